//! The cache of per-file results under the target directory, through the
//! real binary: where it is written, that a warm run prints what a cold
//! run and `--no-cache` print, and that a changed file, a changed
//! configuration or a damaged entry is analysed again.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// The entries of the cache in `target` (a target directory).
fn entries(target: &Path) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(target.join("twelve/v1")) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = dir
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    out.sort();
    out
}

/// A check of the whole workspace in `dir` with `TWELVE_TIMINGS`, which
/// also counts the files read from the cache and the files analysed.
struct Counted {
    code: i32,
    stdout: String,
    /// stderr without the timings.
    stderr: String,
    hits: usize,
    analysed: usize,
}

fn check(dir: &Path, extra: &[&str], env: &[(&str, &Path)]) -> Counted {
    let mut cmd = twelve(dir, &["check", "--workspace"]);
    cmd.args(extra)
        .env("TWELVE_TIMINGS", "1")
        .env_remove("CARGO_TARGET_DIR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let (stderr, timings) = stderr.split_once("twelve timings:\n").expect(&stderr);
    let counts = timings
        .lines()
        .find_map(|l| l.trim().strip_prefix("cache: "))
        .expect(timings);
    let numbers: Vec<usize> = counts.split(' ').filter_map(|w| w.parse().ok()).collect();
    Counted {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: stderr.to_string(),
        hits: numbers[0],
        analysed: numbers[1],
    }
}

/// The same run without the cache.
fn uncached(dir: &Path, extra: &[&str]) -> Counted {
    let mut args = vec!["--no-cache"];
    args.extend(extra);
    check(dir, &args, &[])
}

const FILES: usize = 6;

/// A copy of the workspace fixture without the target directory that
/// runs of the tests in the repository leave there.
fn fresh() -> tempfile::TempDir {
    let dir = fixture_copy("workspace");
    let _ = std::fs::remove_dir_all(dir.path().join("target"));
    dir
}

#[test]
fn the_cache_is_written_under_the_target_directory() {
    let dir = fresh();
    let cold = check(dir.path(), &["--message-format", "json"], &[]);
    assert_eq!((cold.hits, cold.analysed), (0, FILES));
    let written = entries(&dir.path().join("target"));
    assert_eq!(written.len(), FILES, "{written:?}");
    // No temporary files left behind.
    let all = std::fs::read_dir(dir.path().join("target/twelve/v1")).unwrap().count();
    assert_eq!(all, FILES);
}

#[test]
fn cargo_target_dir_and_target_dir_move_the_cache() {
    let dir = fresh();
    let elsewhere = tempfile::tempdir().unwrap();
    check(dir.path(), &[], &[("CARGO_TARGET_DIR", elsewhere.path())]);
    assert_eq!(entries(elsewhere.path()).len(), FILES);
    assert!(entries(&dir.path().join("target")).is_empty());
    let warm = check(dir.path(), &[], &[("CARGO_TARGET_DIR", elsewhere.path())]);
    assert_eq!((warm.hits, warm.analysed), (FILES, 0));

    let flag = tempfile::tempdir().unwrap();
    let target = flag.path().to_str().unwrap();
    let run = check(dir.path(), &["--target-dir", target], &[]);
    assert_eq!(run.analysed, FILES);
    assert_eq!(entries(flag.path()).len(), FILES);
    assert!(entries(&dir.path().join("target")).is_empty());
}

#[test]
fn a_warm_run_prints_what_a_cold_run_and_no_cache_print() {
    for format in ["json", "human", "short", "sarif"] {
        let dir = fresh();
        let args = ["--message-format", format];
        let cold = check(dir.path(), &args, &[]);
        let warm = check(dir.path(), &args, &[]);
        let fresh = uncached(dir.path(), &args);
        assert_eq!((warm.hits, warm.analysed), (FILES, 0), "{format}");
        assert_eq!((fresh.hits, fresh.analysed), (0, 0), "--no-cache reads nothing");
        assert_eq!(cold.code, 1);
        for other in [&warm, &fresh] {
            assert_eq!(other.stdout, cold.stdout, "{format}");
            assert_eq!(other.stderr, cold.stderr, "{format}");
            assert_eq!(other.code, cold.code);
        }
        assert!(
            cold.stdout.contains("compile_time_config") || cold.stderr.contains("compile_time_config"),
            "{format}: {}{}",
            cold.stdout,
            cold.stderr
        );
    }
}

#[test]
fn no_cache_writes_nothing() {
    let dir = fresh();
    uncached(dir.path(), &[]);
    assert!(!dir.path().join("target/twelve").exists());
}

#[test]
fn a_touched_file_is_analysed_again() {
    let dir = fresh();
    let args = ["--message-format", "short"];
    let cold = check(dir.path(), &args, &[]);
    assert!(!cold.stderr.contains("DEPLOY_REGION"));
    let routes = dir.path().join("crates/api/src/generated/routes.rs");
    let text = std::fs::read_to_string(&routes).unwrap();
    std::fs::write(&routes, text.replace("UPSTREAM_URL", "DEPLOY_REGION")).unwrap();
    let warm = check(dir.path(), &args, &[]);
    assert_eq!((warm.hits, warm.analysed), (FILES - 1, 1));
    assert!(warm.stderr.contains("`env!` bakes `DEPLOY_REGION`"), "{}", warm.stderr);
    assert_eq!(warm.stderr, uncached(dir.path(), &args).stderr);
}

#[test]
fn a_configuration_change_analyses_every_file_again() {
    let dir = fresh();
    let args = ["--message-format", "short"];
    check(dir.path(), &args, &[]);
    // A level on the command line.
    let allowed = check(
        dir.path(),
        &["-A", "compile_time_config", "--message-format", "short"],
        &[],
    );
    assert_eq!(allowed.analysed, FILES);
    assert!(!allowed.stderr.contains("compile_time_config"), "{}", allowed.stderr);
    // The same in the manifest.
    let manifest = dir.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let text = text.replace(
        "lints = { compile_time_config = \"deny\" }",
        "lints = { compile_time_config = \"deny\", filesystem_write = \"allow\" }",
    );
    std::fs::write(&manifest, text).unwrap();
    let configured = check(dir.path(), &args, &[]);
    assert_eq!(configured.analysed, FILES);
    assert!(!configured.stderr.contains("filesystem_write"), "{}", configured.stderr);
    assert_eq!(configured.stderr, uncached(dir.path(), &args).stderr);
    let again = check(dir.path(), &args, &[]);
    assert_eq!((again.hits, again.analysed), (FILES, 0));
}

#[test]
fn damaged_entries_are_ignored_and_written_again() {
    let dir = fresh();
    let args = ["--message-format", "json"];
    let cold = check(dir.path(), &args, &[]);
    let written = entries(&dir.path().join("target"));
    assert_eq!(written.len(), FILES);
    // Each damage gives the entry's new text, or `None` where it does
    // not apply to the entry.
    let damages: [fn(&str) -> Option<String>; 6] = [
        // Truncated.
        |t| Some(t[..t.len() / 2].to_string()),
        // Empty.
        |_| Some(String::new()),
        // Not JSON.
        |_| Some("\u{0}garbage\n".repeat(10)),
        // A body that no longer matches its checksum (the same JSON value).
        |t| Some(t.replacen("\"parsed\":", "\"parsed\": ", 1)),
        // Spans far out of the file, with the checksum made to match.
        |t| {
            let (_, body) = t.split_once('\n').unwrap();
            let damaged = body.replace("[0,", "[0,99999999");
            (damaged != body).then(|| with_header(&damaged, "[]"))
        },
        // Another file that spans point into, which does not exist.
        |t| {
            let (_, body) = t.split_once('\n').unwrap();
            Some(with_header(body, "[[\"/nonexistent/Cargo.toml\",\"00\"]]"))
        },
    ];
    for (i, damage) in damages.iter().enumerate() {
        let mut damaged = 0;
        for entry in &written {
            let text = std::fs::read_to_string(entry).unwrap();
            if let Some(new) = damage(&text) {
                std::fs::write(entry, new).unwrap();
                damaged += 1;
            }
        }
        assert!(damaged > 0);
        let run = check(dir.path(), &args, &[]);
        assert_eq!(run.analysed, damaged, "damage {i}: every damaged entry is ignored");
        assert_eq!(run.stdout, cold.stdout, "damage {i}");
        assert_eq!(run.code, cold.code);
        // Written again, sound.
        let warm = check(dir.path(), &args, &[]);
        assert_eq!((warm.hits, warm.analysed), (FILES, 0));
        assert_eq!(warm.stdout, cold.stdout);
    }
}

/// An entry of `body` (a body line) whose checksum matches it.
fn with_header(body: &str, files: &str) -> String {
    let sum = sha256_hex(body.trim_end_matches('\n'));
    format!("{{\"format\":1,\"body\":\"{sum}\",\"files\":{files}}}\n{body}")
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every fixture: the warm run reads every file from the cache (so every
/// fact type of every rule is written and read back) and prints what the
/// cold run printed.
#[test]
fn every_fixture_reads_back_what_it_wrote() {
    for entry in std::fs::read_dir(fixture("")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let dir = fixture_copy(&name);
        let _ = std::fs::remove_dir_all(dir.path().join("target"));
        let args = ["--all-targets", "-v", "--message-format", "json"];
        let mut cold = twelve(dir.path(), &["check", "--workspace"]);
        let cold = cold.args(args).env("TWELVE_TIMINGS", "1").output().unwrap();
        if cold.status.code() == Some(2) {
            continue; // a configuration error: nothing checked
        }
        let warm = check(dir.path(), &args, &[]);
        assert_eq!(warm.analysed, 0, "{name}: {}", warm.stderr);
        assert!(warm.hits > 0, "{name}");
        assert_eq!(warm.stdout, String::from_utf8(cold.stdout).unwrap(), "{name}");
    }
}

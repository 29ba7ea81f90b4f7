//! Command-line behaviour that follows cargo's: target names that match
//! nothing, target flags that add to the defaults, `--exclude`, write
//! errors, cargo's JSON message-format variants, and the project's own
//! promises about installing and building it.

mod common;

use std::process::Stdio;

use common::*;

/// A package with a lib, a bin, an example, a bench and a test, in a
/// scratch directory.
fn all_kinds() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in [
        (
            "Cargo.toml",
            "[package]\nname = \"kinds\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
        ),
        ("src/lib.rs", "pub fn f() {}\n"),
        ("src/main.rs", "fn main() {}\n"),
        ("examples/demo.rs", "fn main() {}\n"),
        ("benches/speed.rs", "fn main() {}\n"),
        ("tests/it.rs", "#[test]\nfn t() {}\n"),
    ] {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// The file count of the closing `Finished` line.
fn files_checked(stderr: &str) -> usize {
    let line = stderr.lines().find(|l| l.contains("Finished")).expect(stderr);
    let counts = line.split_once(" (").unwrap().1;
    counts.split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn a_target_name_that_matches_nothing_is_cargos_error() {
    let dir = fixture("service");
    for (flag, kind) in [
        ("--bin", "bin"),
        ("--test", "test"),
        ("--example", "example"),
        ("--bench", "bench"),
    ] {
        let r = run(&dir, &[flag, "nope"]);
        assert_eq!(r.code, 2, "{flag}");
        assert!(
            r.stderr
                .starts_with(&format!("error: no {kind} target named `nope` in default-run packages")),
            "{flag}: {}",
            r.stderr
        );
    }
    // The targets there are, as cargo lists them; `-p` names the package.
    let r = run(&dir, &["-p", "service", "--bin", "nope"]);
    assert_eq!(
        r.stderr,
        "error: no bin target named `nope` in `service` package\nhelp: available bin targets:\n    service\n"
    );
    let r = run(&dir, &["--test", "nope"]);
    assert!(
        r.stderr.ends_with("help: available test targets:\n    uploads\n"),
        "{}",
        r.stderr
    );
    // A name that exists still checks.
    assert_eq!(run(&dir, &["--bin", "service", "-q"]).code, 0);
    assert_eq!(run(&dir, &["--test", "uploads", "-q"]).code, 0);
}

#[test]
fn plural_target_flags_add_to_the_defaults() {
    let dir = all_kinds();
    // lib and bin.
    assert_eq!(files_checked(&run(dir.path(), &[]).stderr), 2);
    for flag in ["--tests", "--examples", "--benches"] {
        assert_eq!(files_checked(&run(dir.path(), &[flag]).stderr), 3, "{flag}");
    }
    assert_eq!(
        files_checked(&run(dir.path(), &["--tests", "--examples", "--benches"]).stderr),
        5
    );
    // Narrowing flags still narrow, and the plural ones add to them.
    assert_eq!(files_checked(&run(dir.path(), &["--lib"]).stderr), 1);
    assert_eq!(files_checked(&run(dir.path(), &["--lib", "--tests"]).stderr), 2);
    assert_eq!(files_checked(&run(dir.path(), &["--example", "demo"]).stderr), 1);
    assert_eq!(files_checked(&run(dir.path(), &["--all-targets"]).stderr), 5);
}

#[test]
fn exclude_is_for_workspace_runs_and_names_members() {
    let dir = fixture("workspace");
    let r = run(&dir, &["--exclude", "api"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: --exclude can only be used together with --workspace\n"
    );
    let r = run(&dir, &["--workspace", "--exclude", "nope", "--exclude", "ap*", "-q"]);
    assert!(
        r.stderr.starts_with(&format!(
            "warning: excluded package(s) `nope` not found in workspace `{}`\n",
            dir.display()
        )),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("crates/api/"), "the glob excludes api: {}", r.stderr);
    let r = run(&dir, &["--workspace", "--exclude", "zz*", "-q"]);
    assert!(
        r.stderr
            .contains("warning: excluded package pattern(s) `zz*` not found in workspace"),
        "{}",
        r.stderr
    );
    // `-p` beside `--workspace` must name a member, and selects them all.
    let r = run(&dir, &["--workspace", "-p", "nope"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("package(s) `nope` not found in workspace"),
        "{}",
        r.stderr
    );
}

/// `cargo twelve ARGS` as a plain process, for its standard streams.
fn process(dir: &std::path::Path, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("cargo-twelve"));
    cmd.arg("twelve").args(args).current_dir(dir);
    cmd.env_remove("CARGO_TERM_COLOR").env_remove("NO_COLOR");
    cmd
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_an_error_and_a_closed_pipe_is_not() {
    let dir = fixture("service");
    let full = || std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    // stdout: the JSON messages.
    let out = process(&dir, &["--message-format=json"])
        .stdout(full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("error: failed to write to stdout: No space left on device"),
        "{stderr}"
    );
    // stderr: the human output; the message has nowhere to go but the status.
    let out = process(&dir, &[]).stderr(full()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    for args in [&["rules"][..], &["explain", "filesystem_write"], &["env"], &["report"]] {
        let out = process(&dir, args).stdout(full()).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }

    // A reader that went away (`| head`) ends the output, not the run.
    let mut child = process(&dir, &["--message-format=json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8(out.stderr).unwrap(), "");
}

#[test]
fn json_render_diagnostics_prints_them_on_stderr() {
    let dir = fixture("service");
    let r = run(&dir, &["--message-format=json-render-diagnostics"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "{\"reason\":\"build-finished\",\"success\":true}\n");
    assert!(
        r.stderr
            .starts_with("warning[twelve::compile_time_config]: `env!` bakes `PAYMENTS_API_URL`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.ends_with("warning: 5 warnings emitted\n"), "{}", r.stderr);
    // Combined as cargo combines them.
    let r = run(&dir, &["--message-format=json,json-render-diagnostics"]);
    assert_eq!(r.stdout.lines().count(), 1);
}

#[test]
fn json_diagnostic_short_renders_the_short_line() {
    let dir = fixture("service");
    for args in [
        &["--message-format=json-diagnostic-short"][..],
        &["--message-format", "json,short"],
    ] {
        let r = run(&dir, args);
        let rendered: Vec<String> = r
            .stdout
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["reason"] == "compiler-message")
            .map(|v| v["message"]["rendered"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(rendered.len(), 5, "{args:?}");
        assert_eq!(
            rendered[0],
            "src/config.rs:9:28: warning: `env!` bakes `PAYMENTS_API_URL` into the binary at compile time [twelve::compile_time_config]\n"
        );
    }
    // With ANSI colors, both.
    let r = run(
        &dir,
        &["--message-format=json-diagnostic-short,json-diagnostic-rendered-ansi"],
    );
    assert!(
        r.stdout.contains(r#""rendered":"\u001b[1msrc/config.rs:9:28:"#),
        "{}",
        r.stdout
    );
    // Two kinds conflict, as in cargo.
    let r = run(&dir, &["--message-format=human,json"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("cannot specify two kinds of `message-format` arguments")
    );
}

#[test]
fn short_output_is_colored_when_asked() {
    let dir = fixture("service");
    let r = run(&dir, &["--message-format=short", "--color=always", "-q"]);
    let first = r.stderr.lines().next().unwrap();
    assert_eq!(
        first,
        "\u{1b}[1msrc/config.rs:9:28:\u{1b}[0m \u{1b}[1m\u{1b}[33mwarning\u{1b}[0m\u{1b}[1m: `env!` bakes `PAYMENTS_API_URL` into the binary at compile time [twelve::compile_time_config]\u{1b}[0m"
    );
    let plain = run(&dir, &["--message-format=short", "--color=never", "-q"]);
    assert!(!plain.stderr.contains('\u{1b}'));
}

#[test]
fn installing_and_building_as_documented() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.contains("`cargo install --locked --path .`"));
    assert!(!readme.contains("cargo install --path"));
    assert!(
        readme.contains("`.ci/run` needs the `rustfmt` and `clippy` components"),
        "the README says what CI needs"
    );
    let manifest: toml::Table = toml::from_str(&std::fs::read_to_string(root.join("Cargo.toml")).unwrap()).unwrap();
    let declared = manifest["package"]["rust-version"].as_str().expect("rust-version");
    let declared = semver::Version::parse(&format!("{declared}.0")).unwrap();
    // Edition 2024 and let chains need 1.88; cargo_metadata's cargo-platform 1.91.
    assert!(declared >= semver::Version::new(1, 91, 0), "{declared}");
}

/// The `| flag | meaning |` rows of the README's table of `check` flags.
fn readme_flags() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = readme.split("### Flags of `check`").nth(1).unwrap();
    let mut flags = Vec::new();
    let rows = table.lines().skip_while(|l| !l.starts_with('|')).skip(2);
    for line in rows.take_while(|l| l.starts_with('|')) {
        let cell = line.split('|').nth(1).unwrap();
        for word in cell.split(['`', ',', ' ', '(', ')']) {
            if let Some(flag) = word.strip_prefix("--") {
                flags.push(flag.to_string());
            }
        }
    }
    flags
}

#[test]
fn the_readme_flags_table_is_true() {
    let out = twelve(&fixture("service"), &["check", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let shown: Vec<String> = help
        .lines()
        .filter_map(|l| l.trim_start().split_once("--"))
        .filter(|(before, _)| before.is_empty() || before.ends_with(", "))
        .map(|(_, rest)| rest.split([' ', ',', '=', '<', '.']).next().unwrap().to_string())
        .filter(|f| !["help", "version"].contains(&f.as_str()))
        .collect();
    let documented = readme_flags();
    for flag in &shown {
        assert!(documented.contains(flag), "--{flag} is missing from the README's table");
    }
    for flag in documented.iter().filter(|f| !shown.contains(f)) {
        // An alias (`--all`): accepted, though not shown.
        let flag = format!("--{flag}");
        let out = twelve(&fixture("service"), &["check", &flag, "--help"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "the README documents {flag}, which `check` does not take"
        );
    }
}

/// Without `cargo`, one sentence says what was tried.
#[test]
fn cargo_missing_from_path_is_one_clear_error() {
    let empty = tempfile::tempdir().unwrap();
    let out = twelve(&fixture("service"), &[])
        .env("PATH", empty.path())
        .env_remove("CARGO")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: could not run `cargo metadata`: `cargo` was not found on `PATH`\n"
    );
    let out = twelve(&fixture("service"), &[])
        .env("CARGO", empty.path().join("cargo"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.ends_with("(from `CARGO`) does not exist\n"), "{stderr}");
}

/// A module that is a FIFO, a target root that is a device and a module
/// over the size cap are reported, never read: no hang, and the other
/// files are still checked.
#[test]
fn fifos_devices_and_huge_files_are_reported_not_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"probe\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[[bin]]\nname = \"stdin\"\npath = \"src/stdin.rs\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("src/main.rs"),
        "mod pipe;\nmod huge;\n\nfn main() {\n    std::fs::write(\"state.json\", b\"{}\").unwrap();\n    loop {}\n}\n",
    )
    .unwrap();
    let fifo = dir.path().join("src/pipe.rs");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("src/stdin.rs")).unwrap();
    let huge = "// padding\n".repeat(1 << 20);
    std::fs::write(dir.path().join("src/huge.rs"), huge).unwrap();
    let out = twelve(dir.path(), &["--bins", "--message-format", "short"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("pipe.rs") && stderr.contains("not a regular file"),
        "{stderr}"
    );
    assert!(stderr.contains("twelve::file_too_large"), "{stderr}");
    assert!(stderr.contains("stdin.rs"), "{stderr}");
    assert!(stderr.contains("filesystem_write"), "the run goes on: {stderr}");
}

//! The real binary, run the way cargo runs it (`cargo-twelve twelve ...`).

mod common;

use common::*;

use assert_cmd::Command;
use regex::Regex;

#[test]
fn human_output() {
    let dir = fixture("service");
    let r = run(&dir, &[]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("service_human", normalize(&r.stderr, &dir));
}

#[test]
fn short_output() {
    let dir = fixture("service");
    let r = run(&dir, &["--message-format", "short", "-q"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("service_short", r.stderr);
}

#[test]
fn json_output() {
    let dir = fixture("service");
    let r = run(&dir, &["--message-format=json"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.is_empty(), "json mode prints nothing else: {}", r.stderr);
    insta::assert_snapshot!("service_json", normalize(&r.stdout, &dir));
}

#[test]
fn json_lines_are_cargo_compiler_messages() {
    let dir = fixture("service");
    let r = run(&dir, &["--message-format=json-diagnostic-rendered-ansi"]);
    let messages: Vec<_> = cargo_metadata::Message::parse_stream(r.stdout.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(messages.len(), 6);
    let (last, diagnostics) = messages.split_last().unwrap();
    assert!(matches!(last, cargo_metadata::Message::BuildFinished(f) if f.success));
    for m in diagnostics {
        let cargo_metadata::Message::CompilerMessage(m) = m else {
            panic!("not a compiler message: {m:?}");
        };
        assert_eq!(m.package_id.repr, format!("path+file://{}#0.1.0", dir.display()));
        assert!(m.target.name == "service");
        assert_eq!(m.target.src_path.as_std_path(), dir.join("src/lib.rs"));
        let code = m.message.code.as_ref().unwrap();
        assert!(code.code.starts_with("twelve::"));
        assert!(code.explanation.as_ref().unwrap().contains("### Why is this bad"));
        let primary = m.message.spans.iter().find(|s| s.is_primary).unwrap();
        assert!(primary.file_name.starts_with("src/"), "{}", primary.file_name);
        assert!(!primary.text.is_empty());
        assert!(
            m.message.rendered.as_ref().unwrap().contains("\u{1b}["),
            "ansi rendering"
        );
    }
}

#[test]
fn json_file_names_are_relative_to_the_workspace_root() {
    let dir = fixture("workspace");
    let r = run(&dir.join("crates/worker"), &["--message-format=json"]);
    assert!(
        r.stdout.contains(r#""file_name":"crates/worker/src/lib.rs""#),
        "{}",
        r.stdout
    );
    let manifest = dir.join("crates/worker/Cargo.toml");
    assert!(
        r.stdout
            .contains(&format!(r#""manifest_path":"{}""#, manifest.display())),
        "{}",
        r.stdout
    );
}

#[test]
fn rustfix_applies_the_suggestions() {
    let dir = fixture("service");
    let r = run(&dir, &["--message-format=json"]);
    // rustfix reads rustc's diagnostics, the `message` of cargo's lines.
    let diagnostics: String = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["reason"] == "compiler-message")
        .map(|v| v["message"].to_string() + "\n")
        .collect();
    let only = std::collections::HashSet::new();
    let suggestions = rustfix::get_suggestions_from_json(&diagnostics, &only, rustfix::Filter::Everything).unwrap();
    let in_config: Vec<_> = suggestions
        .iter()
        .filter(|s| s.solutions[0].replacements[0].snippet.file_name == "src/config.rs")
        .cloned()
        .collect();
    assert_eq!(in_config.len(), 1);
    let source = std::fs::read_to_string(dir.join("src/config.rs")).unwrap();
    let fixed = rustfix::apply_suggestions(&source, &in_config).unwrap();
    let expected = source.replace(
        r#"option_env!("SENTRY_DSN")"#,
        r#"{ static SENTRY_DSN: std::sync::LazyLock<Option<String>> = std::sync::LazyLock::new(|| std::env::var("SENTRY_DSN").ok()); SENTRY_DSN.as_deref() }"#,
    );
    assert_eq!(fixed, expected);
}

#[test]
fn human_output_matches_the_rustc_problem_matcher() {
    // rust-analyzer's `$rustc` problem matcher, line by line.
    let header = Regex::new(r"^(warning|warn|error)(?:\[(.*?)\])?: (.*)$").unwrap();
    let location = Regex::new(r"^[\s\->=]*(.*?):([1-9]\d*):([1-9]\d*)\s*$").unwrap();
    let dir = fixture("service");
    let r = run(&dir, &["--color=never"]);
    let lines: Vec<&str> = r.stderr.lines().collect();
    let mut matched = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some(h) = header.captures(line) else { continue };
        let Some(code) = h.get(2) else { continue };
        assert!(code.as_str().starts_with("twelve::"));
        let loc = location
            .captures(lines[i + 1])
            .unwrap_or_else(|| panic!("no location after {line:?}"));
        assert!(dir.join(&loc[1]).is_file(), "{}", &loc[1]);
        matched += 1;
    }
    assert_eq!(matched, 5);
}

#[test]
fn short_output_matches_the_gcc_problem_matcher() {
    let re = Regex::new(r"^(.*?):(\d+):(\d*):?\s+(?:fatal\s+)?(warning|error):\s+(.*)$").unwrap();
    let dir = fixture("service");
    let r = run(&dir, &["--message-format=short", "-q"]);
    let findings: Vec<&str> = r.stderr.lines().filter(|l| l.contains("[twelve::")).collect();
    assert_eq!(findings.len(), 5);
    for line in findings {
        let c = re.captures(line).unwrap_or_else(|| panic!("{line}"));
        assert!(dir.join(&c[1]).is_file());
    }
}

#[test]
fn direct_invocation_and_check_subcommand_agree() {
    let dir = fixture("service");
    let via_cargo = run(&dir, &["--message-format=short"]);
    let with_check = run(&dir, &["check", "--message-format=short"]);
    let mut direct = Command::cargo_bin("cargo-twelve").unwrap();
    let direct = direct
        .args(["--message-format=short"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(via_cargo.stderr, with_check.stderr);
    assert_eq!(via_cargo.stderr, String::from_utf8(direct.stderr).unwrap());
}

#[test]
fn runs_as_a_cargo_subcommand() {
    let bin = assert_cmd::cargo::cargo_bin("cargo-twelve");
    let path = std::env::join_paths(
        std::iter::once(bin.parent().unwrap().to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["twelve", "--message-format=short", "-q"])
        .current_dir(fixture("service"))
        .env("PATH", path)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "src/storage.rs:8:5: warning: `std::fs::write` writes to the local filesystem [twelve::filesystem_write]"
        ),
        "{stderr}"
    );
}

#[test]
fn rust_analyzer_check_command_just_works() {
    let dir = fixture("service");
    let manifest = dir.join("Cargo.toml");
    let r = run(
        &dir,
        &[
            "--workspace",
            "--message-format=json",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "--keep-going",
            "--all-targets",
            "--all-features",
            "--no-default-features",
            "--features",
            "a,b",
            "--target-dir",
            "/tmp/ra-target",
            "--target",
            "x86_64-unknown-linux-gnu",
            "--config",
            "build.jobs=1",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.ends_with("{\"reason\":\"build-finished\",\"success\":true}\n"));
}

#[test]
fn workspace_members_path_modules_and_parse_errors() {
    let dir = fixture("workspace");
    let r = run(&dir, &["--message-format=short", "-q"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("workspace_short", r.stderr);
}

#[test]
fn package_selection_like_cargo() {
    let dir = fixture("workspace");
    let files = |r: &Run| -> Vec<String> {
        let mut f: Vec<String> = r
            .stderr
            .lines()
            .filter(|l| l.contains("[twelve::"))
            .map(|l| l.split(':').next().unwrap().to_string())
            .collect();
        f.dedup();
        f
    };
    let api = run(&dir, &["-p", "api", "--message-format=short"]);
    assert_eq!(files(&api), ["crates/api/src/generated/routes.rs"]);
    let excluded = run(&dir, &["--workspace", "--exclude", "api", "--message-format=short"]);
    assert!(files(&excluded).iter().all(|f| f.starts_with("crates/worker")));
    // From a member's directory, that member.
    let member = run(&dir.join("crates/api"), &["--message-format=short"]);
    assert_eq!(files(&member), ["src/generated/routes.rs"]);
    let unknown = run(&dir, &["-p", "nope"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("did not match any packages"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn targets_default_to_lib_and_bins() {
    let dir = fixture("service");
    let default = run(&dir, &[]);
    assert!(default.stderr.contains("(6 files, 112 lines)"), "{}", default.stderr);
    let all = run(&dir, &["--all-targets"]);
    // The test target and build script are read, and neither reports.
    assert!(all.stderr.contains("(8 files, 126 lines)"), "{}", all.stderr);
    assert!(all.stderr.contains("5 warnings emitted"));
    let lib = run(&dir, &["--lib", "--message-format=short"]);
    assert!(lib.stderr.contains("(5 files"), "{}", lib.stderr);
    // The binary is not checked, but the service model still reads it: the
    // library code its `main` runs is service code.
    assert!(lib.stderr.contains("5 warnings emitted"), "{}", lib.stderr);
    let bin = run(&dir, &["--bin", "service", "-q"]);
    assert_eq!(bin.code, 0, "{}", bin.stderr);
}

#[test]
fn level_overrides_apply_in_order() {
    let dir = fixture("service");
    let r = run(&dir, &["-A", "filesystem_write", "--message-format=short", "-q"]);
    assert!(!r.stderr.contains("filesystem_write"));
    assert_eq!(r.code, 1);
    let r = run(&dir, &["-D", "warnings", "--message-format=short", "-q"]);
    assert!(r.stderr.contains("error: 5 errors emitted"), "{}", r.stderr);
    let r = run(
        &dir,
        &[
            "-D",
            "warnings",
            "-W",
            "twelve::filesystem_write",
            "--message-format=short",
            "-q",
        ],
    );
    assert!(
        r.stderr.contains("error: 3 errors and 2 warnings emitted"),
        "{}",
        r.stderr
    );
    let r = run(&dir, &["-A", "compile_time_config", "-A", "filesystem_write", "-q"]);
    assert_eq!(r.code, 0);
    let r = run(&dir, &["-A", "filesystem_writes", "-q"]);
    assert!(
        r.stderr.contains(
            "warning: unknown rule `filesystem_writes` on the command line (did you mean `filesystem_write`?)"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn exit_codes() {
    assert_eq!(run(&fixture("clean"), &[]).code, 0);
    assert_eq!(run(&fixture("service"), &[]).code, 1);
    assert_eq!(run(&fixture("service"), &["--exit-zero"]).code, 0);
    let bad = run(&fixture("bad-config"), &[]);
    assert_eq!(bad.code, 2);
    insta::assert_snapshot!("bad_config", normalize(&bad.stderr, &fixture("bad-config")));
    let missing = run(&fixture("service"), &["--manifest-path", "/nonexistent/Cargo.toml"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.starts_with("error: manifest path"), "{}", missing.stderr);
    assert_eq!(run(&fixture("service"), &["--no-such-flag"]).code, 2);
    assert_eq!(run(&fixture("service"), &["--message-format=xml"]).code, 2);
}

#[test]
fn bad_config_is_the_same_error_for_check_report_and_env() {
    let dir = fixture("bad-config");
    let check = run(&dir, &[]);
    for args in [
        &["report"][..],
        &["env"],
        &["env", "--format", "json"],
        &["report", "--format", "json"],
    ] {
        let r = run(&dir, args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        // Every issue, warnings and errors, in the order `check` prints them.
        assert_eq!(r.stderr, check.stderr, "{args:?}");
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
    }
    assert_eq!(check.stderr.lines().count(), 3, "{}", check.stderr);
}

#[test]
fn color_follows_flags_and_environment() {
    let dir = fixture("service");
    let esc = "\u{1b}[";
    assert!(run(&dir, &["--color=always"]).stderr.contains(esc));
    assert!(!run(&dir, &["--color=never"]).stderr.contains(esc));
    // Not a terminal: auto means no color.
    assert!(!run(&dir, &[]).stderr.contains(esc));
    let forced = twelve(&dir, &[]).env("CARGO_TERM_COLOR", "always").output().unwrap();
    assert!(String::from_utf8(forced.stderr).unwrap().contains(esc));
}

#[test]
fn rules_and_explain() {
    let dir = fixture("service");
    let rules = run(&dir, &["rules"]);
    assert_eq!(rules.code, 0);
    insta::assert_snapshot!("rules", rules.stdout);
    let explain = run(&dir, &["explain", "twelve::filesystem_write"]);
    assert_eq!(explain.code, 0);
    for section in [
        "### What it does",
        "### Why is this bad",
        "### Example",
        "### Use instead",
    ] {
        assert!(explain.stdout.lines().any(|l| l == section), "{section}");
    }
    assert!(
        explain
            .stdout
            .starts_with("twelve::filesystem_write: factor VI (Processes), warn by default")
    );
    let unknown = run(&dir, &["explain", "filesystem_writes"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("`filesystem_write`"));
}

#[test]
fn output_is_deterministic() {
    let dir = fixture("workspace");
    let a = run(&dir, &["--message-format=json"]);
    let b = run(&dir, &["--message-format=json"]);
    assert_eq!(a.stdout, b.stdout);
}

/// A throwaway crate: `files` are (path, contents) under the crate root.
/// Its rules report everywhere (`scope = "all"`).
fn scratch_crate(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    // Every rule everywhere: these crates test the engine, not the
    // service model.
    let manifest = "[package]\nname = \"scratch\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[package.metadata.twelve]\nscope = \"all\"\n\n[workspace]\n";
    let mut all = vec![("Cargo.toml", manifest)];
    all.extend_from_slice(files);
    for (path, text) in all {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

#[test]
fn suppressions_and_unused_ones_with_verbose() {
    let dir = scratch_crate(&[(
        "src/lib.rs",
        "//! twelve:allow(compile_time_config)\n\
         pub const A: &str = env!(\"A\");\n\
         pub fn f() {\n\
             // twelve:allow(filesystem_write)\n\
             std::fs::write(\"a\", \"b\").unwrap();\n\
             std::fs::write(\"c\", \"d\").unwrap(); // twelve:allow(filesystem_write)\n\
             std::fs::write(\"e\", \"f\").unwrap();\n\
             let x = 1; // twelve:allow(filesystem_write, made_up)\n\
         }\n",
    )]);
    let quiet = run(dir.path(), &["--message-format=short", "-q"]);
    assert_eq!(
        quiet.stderr,
        "src/lib.rs:7:1: warning: `std::fs::write` writes to the local filesystem [twelve::filesystem_write]\nwarning: 1 warning emitted\n"
    );
    let verbose = run(dir.path(), &["--message-format=short", "-q", "-v"]);
    assert!(
        verbose
            .stderr
            .contains("src/lib.rs:8:15: note: unknown rule in suppression: `made_up` [twelve::unused_suppression]"),
        "{}",
        verbose.stderr
    );
    assert_eq!(verbose.code, 1);
}

#[test]
fn missing_and_unreadable_modules_are_diagnostics() {
    let dir = scratch_crate(&[
        ("src/lib.rs", "mod gone;\n#[cfg(windows)]\nmod win;\nmod ok;\n"),
        ("src/ok.rs", "pub fn f() { std::fs::write(\"x\", b\"\").unwrap(); }\n"),
    ]);
    let r = run(dir.path(), &["--message-format=short", "-q"]);
    assert_eq!(
        r.stderr,
        "src/lib.rs:1:1: error: file not found for module `gone` [twelve::module_not_found]\n\
         src/ok.rs:1:14: warning: `std::fs::write` writes to the local filesystem [twelve::filesystem_write]\n\
         error: 1 error and 1 warning emitted\n"
    );
}

#[test]
fn a_module_the_build_script_generates_is_not_missing() {
    // rustdesk-server: `build.rs` writes `src/version.rs`, which the
    // repository ignores; a fresh clone does not have it.
    let dir = scratch_crate(&[
        (
            "build.rs",
            "fn main() { std::fs::write(\"src/version.rs\", \"pub const V: &str = \\\"1\\\";\").unwrap(); }\n",
        ),
        (".gitignore", "target\nsrc/version.rs\n"),
        ("src/lib.rs", "mod version;\nmod gone;\n"),
    ]);
    let git = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(git.success());
    let r = run(dir.path(), &["--message-format=short", "-q"]);
    assert_eq!(
        r.stderr,
        "src/lib.rs:2:1: error: file not found for module `gone` [twelve::module_not_found]\n\
         error: 1 error emitted\n"
    );
}

#[test]
fn a_file_shared_by_targets_is_checked_once() {
    let dir = scratch_crate(&[
        ("src/lib.rs", "pub mod shared;\n"),
        ("src/main.rs", "#[path = \"shared.rs\"]\nmod shared;\nfn main() {}\n"),
        (
            "src/shared.rs",
            "pub fn f() { std::fs::write(\"a\", \"b\").unwrap(); }\n",
        ),
    ]);
    let r = run(dir.path(), &["--message-format=short"]);
    assert_eq!(
        r.stderr.matches("[twelve::filesystem_write]").count(),
        1,
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("(3 files, 5 lines)"), "{}", r.stderr);
}

#[test]
fn config_layers_and_exclude() {
    let dir = scratch_crate(&[
        (
            "src/lib.rs",
            "mod generated;\npub fn f() { std::fs::write(\"a\", \"b\").unwrap(); }\n",
        ),
        (
            "src/generated.rs",
            "pub fn g() { std::fs::write(\"a\", \"b\").unwrap(); }\n",
        ),
    ]);
    let manifest = dir.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace(
            "[workspace]\n",
            "[workspace]\n\n[workspace.metadata.twelve]\nlints = { filesystem_write = \"allow\" }\n",
        )
        .replace(
            "scope = \"all\"\n",
            "scope = \"all\"\nlints = { filesystem_write = \"deny\" }\nexclude = [\"src/generated.rs\"]\n",
        );
    std::fs::write(&manifest, text).unwrap();
    let r = run(dir.path(), &["--message-format=short", "-q"]);
    assert_eq!(
        r.stderr,
        "src/lib.rs:2:14: error: `std::fs::write` writes to the local filesystem [twelve::filesystem_write]\nerror: 1 error emitted\n"
    );
    // The command line overrides both tables.
    let r = run(dir.path(), &["-W", "filesystem_write", "--message-format=short", "-q"]);
    assert!(r.stderr.contains("warning: `std::fs::write`"), "{}", r.stderr);
}

#[test]
fn modules_in_macros_reexports_and_renamed_dependencies() {
    let dir = scratch_crate(&[
        (
            "src/lib.rs",
            "pub(crate) use std::fs::{self, File};\n\
             cfg_if::cfg_if! { if #[cfg(unix)] { mod unix; } else { mod windows; } }\n\
             macro_rules! cfg_fs { ($($item:item)*) => { $( #[cfg(feature = \"fs\")] $item )* } }\n\
             cfg_fs! { pub mod store; }\n\
             mod search;\n",
        ),
        ("src/unix.rs", "pub fn f() { tokio1::fs::write(\"a\", \"b\"); }\n"),
        (
            "src/store.rs",
            "pub fn g() { crate::fs::write(\"a\", \"b\").unwrap(); }\n",
        ),
        (
            "src/search.rs",
            "use super::*;\npub fn h() { File::create(\"c\").unwrap(); }\n",
        ),
    ]);
    let manifest = dir.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap().replace(
        "[workspace]\n",
        "[dependencies]\ntokio1 = { package = \"tokio\", version = \"1\" }\n\n[workspace]\n",
    );
    std::fs::write(&manifest, text).unwrap();
    let r = run(dir.path(), &["--message-format=short", "-q"]);
    assert_eq!(
        r.stderr,
        "src/search.rs:2:14: warning: `std::fs::File::create` writes to the local filesystem [twelve::filesystem_write]\n\
         src/store.rs:1:14: warning: `std::fs::write` writes to the local filesystem [twelve::filesystem_write]\n\
         src/unix.rs:1:14: warning: `tokio::fs::write` writes to the local filesystem [twelve::filesystem_write]\n\
         warning: 3 warnings emitted\n"
    );
}

#[test]
fn proc_macro_crates_and_templates_are_build_time() {
    let dir = scratch_crate(&[(
        "src/lib.rs",
        "pub fn expand() -> String {\n\
             std::fs::write(\"/tmp/expanded.rs\", \"\").unwrap();\n\
             let region = env!(\"DEPLOY_REGION\");\n\
             quote::quote! { std::fs::write(\"x\", env!(\"INSIDE_TEMPLATE\")) }.to_string()\n\
         }\n",
    )]);
    let manifest = dir.path().join("Cargo.toml");
    let plain = run(dir.path(), &["--message-format=short", "-q"]);
    assert_eq!(plain.stderr.matches("[twelve::").count(), 2, "{}", plain.stderr);
    assert!(!plain.stderr.contains("INSIDE_TEMPLATE"));
    let text = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("[workspace]\n", "[lib]\nproc-macro = true\n\n[workspace]\n");
    std::fs::write(&manifest, text).unwrap();
    let proc_macro = run(dir.path(), &["--message-format=short", "-q"]);
    assert_eq!(proc_macro.code, 0, "{}", proc_macro.stderr);
}

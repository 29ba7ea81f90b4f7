//! Manifest rules, `report` and `env`, run through the real binary.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::cargo_bin("cargo-twelve").unwrap();
    cmd.arg("twelve").args(args).current_dir(dir);
    cmd.env_remove("CARGO_TERM_COLOR").env_remove("NO_COLOR");
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn normalize(text: &str, root: &Path) -> String {
    text.replace(&root.display().to_string(), "[ROOT]")
}

#[test]
fn manifest_rules_human() {
    let dir = fixture("manifest-deps");
    let r = run(&dir, &["--workspace"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("issue5_manifest_human", normalize(&r.stderr, &dir));
}

#[test]
fn manifest_rules_short() {
    let dir = fixture("manifest-deps");
    let r = run(&dir, &["--workspace", "--message-format=short", "-q"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("issue5_manifest_short", r.stderr);
}

#[test]
fn manifest_rules_json() {
    let dir = fixture("manifest-deps");
    let r = run(&dir, &["--workspace", "--message-format=json"]);
    assert_eq!(r.code, 1);
    let messages: Vec<_> = cargo_metadata::Message::parse_stream(r.stdout.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    // Seven findings, then build-finished; the root's lines once, not per member.
    assert_eq!(messages.len(), 8, "{}", r.stdout);
    insta::assert_snapshot!("issue5_manifest_json", normalize(&r.stdout, &dir));
}

#[test]
fn manifest_rules_from_a_member_directory() {
    // Checking one member still follows `workspace = true` into the root.
    let dir = fixture("manifest-deps");
    let r = run(&dir.join("crates/worker"), &["--message-format=short", "-q"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        normalize(&r.stderr, &dir),
        "[ROOT]/Cargo.toml:1:2: warning: this workspace builds a binary but has no `Cargo.lock` [twelve::missing_lockfile]\n\
         [ROOT]/Cargo.toml:6:21: warning: dependency `serde` accepts any version: `*` [twelve::wildcard_dependency]\n\
         warning: 2 warnings emitted\n"
    );
}

#[test]
fn external_path_dependency_outside_the_git_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let tmp = std::fs::canonicalize(tmp.path()).unwrap();
    let repo = tmp.join("service");
    let write = |rel: &str, text: &str| {
        let p = tmp.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "service/Cargo.toml",
        "[package]\nname = \"service\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nbilling-client = { path = \"../billing-client\" }\nshared = { path = \"libs/shared\" }\n\n[workspace]\n",
    );
    write("service/src/main.rs", "fn main() {}\n");
    write("service/Cargo.lock", "version = 4\n");
    write(
        "service/libs/shared/Cargo.toml",
        "[package]\nname = \"shared\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write("service/libs/shared/src/lib.rs", "\n");
    write(
        "billing-client/Cargo.toml",
        "[package]\nname = \"billing-client\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write("billing-client/src/lib.rs", "\n");
    let git = std::process::Command::new("git")
        .arg("-C")
        .arg(&repo)
        .args(["init", "-q"])
        .status();
    if !git.is_ok_and(|s| s.success()) {
        return;
    }
    let r = run(&repo, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    insta::assert_snapshot!("issue5_external_path_human", normalize(&r.stderr, &tmp));
}

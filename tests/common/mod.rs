//! Helpers shared by the tests that run the real binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A fixture crate under `fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

/// `cargo twelve ARGS` in `dir`, the way cargo runs it (`cargo-twelve
/// twelve ARGS`), with a neutral color environment.
pub fn twelve(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("cargo-twelve").unwrap();
    cmd.arg("twelve").args(args).current_dir(dir);
    cmd.env_remove("CARGO_TERM_COLOR").env_remove("NO_COLOR");
    cmd
}

/// What a run printed and how it exited.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(dir: &Path, args: &[&str]) -> Run {
    let out = twelve(dir, args).output().unwrap();
    Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Replaces the machine-specific path `root` with `[ROOT]`.
pub fn normalize(text: &str, root: &Path) -> String {
    text.replace(&root.display().to_string(), "[ROOT]")
}

/// A copy of fixture `name` in a fresh temporary directory, outside any git
/// repository: for tests that edit it, or whose paths must not depend on
/// where the repository is checked out.
pub fn fixture_copy(name: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(&fixture(name), dir.path());
    dir
}

/// `cargo metadata`'s id of the workspace member named `name`: what
/// rust-analyzer passes to `-p`.
pub fn package_id(dir: &Path, name: &str) -> String {
    let metadata = cargo_metadata::MetadataCommand::new()
        .manifest_path(dir.join("Cargo.toml"))
        .no_deps()
        .other_options(vec!["--offline".to_string()])
        .exec()
        .unwrap();
    let package = metadata.packages.iter().find(|p| p.name.as_str() == name).unwrap();
    package.id.repr.clone()
}

/// Every line of `stdout` as a cargo message; panics on one that is not.
pub fn cargo_messages(stdout: &str) -> Vec<cargo_metadata::Message> {
    stdout
        .lines()
        .map(|line| {
            let message: cargo_metadata::Message =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not a cargo message ({e}): {line}"));
            message
        })
        .collect()
}

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

//! End-to-end checks of the rules `filesystem_write` (extended),
//! `process_local_state`, `hardcoded_port`, `daemonize` and
//! `system_command` on the axum fixture apps.

mod common;

use common::*;

use std::path::Path;

use assert_cmd::Command;

const RULES: &[&str] = &[
    "filesystem_write",
    "process_local_state",
    "hardcoded_port",
    "daemonize",
    "system_command",
];

/// `cargo twelve ARGS` in `dir`: (exit code, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("cargo-twelve")
        .unwrap()
        .arg("twelve")
        .args(args)
        .current_dir(dir)
        .env_remove("CARGO_TERM_COLOR")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The short-format lines of these rules.
fn findings(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| RULES.iter().any(|r| l.ends_with(&format!("[twelve::{r}]"))))
        .collect()
}

#[test]
fn axum_service_breaks_every_rule() {
    let (code, _, stderr) = run(&fixture("axum-service"), &["--message-format=short", "-q"]);
    assert_eq!(code, 1);
    let found = findings(&stderr);
    for rule in RULES {
        assert!(
            found.iter().any(|l| l.contains(&format!("[twelve::{rule}]"))),
            "{rule} did not fire:\n{stderr}"
        );
    }
    insta::assert_snapshot!("axum_service_short", found.join("\n"));
}

#[test]
fn axum_twin_reports_nothing_of_these_rules() {
    let (_, _, stderr) = run(&fixture("axum-twin"), &["--message-format=short", "-q"]);
    assert_eq!(findings(&stderr), Vec::<&str>::new(), "{stderr}");
}

#[test]
fn hardcoded_port_suggestion_in_json() {
    let (_, stdout, _) = run(&fixture("axum-service"), &["--message-format=json"]);
    let port: serde_json::Value = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|m| {
            m["message"]["spans"][0]["text"][0]["text"]
                .as_str()
                .is_some_and(|t| t.contains("bind(\"0.0.0.0:8080\")"))
        })
        .expect("a hardcoded_port message");
    let suggestion = port["message"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|c| c["spans"].as_array().and_then(|s| s.first()).cloned())
        .expect("a suggestion");
    assert_eq!(suggestion["suggestion_applicability"], "MaybeIncorrect");
    assert_eq!(
        suggestion["suggested_replacement"],
        r#"format!("0.0.0.0:{}", std::env::var("PORT").as_deref().unwrap_or("8080"))"#
    );
}

#[test]
fn allowed_system_command_from_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"tools\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n\
         [package.metadata.twelve.system_command]\nallowed = [\"git\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("src/main.rs"),
        "use std::process::Command;\nfn handle() {\n    Command::new(\"git\").arg(\"status\").status().unwrap();\n    Command::new(\"curl\").arg(\"-V\").status().unwrap();\n}\n\
         fn main() {\n    let port = std::env::var(\"PORT\").unwrap();\n    let listener = std::net::TcpListener::bind(format!(\"0.0.0.0:{port}\")).unwrap();\n    for _conn in listener.incoming() {\n        handle();\n    }\n}\n",
    )
    .unwrap();
    let (code, _, stderr) = run(dir.path(), &["--message-format=short", "-q"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        findings(&stderr),
        ["src/main.rs:4:5: warning: `Command::new(\"curl\")` runs the system tool `curl` [twelve::system_command]"]
    );
}

#[test]
fn tools_the_image_installs_are_declared() {
    // crates.io ships `git` through Heroku's `Aptfile`; a service image
    // installs ffmpeg in its Dockerfile's runtime stage.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("api/src")).unwrap();
    std::fs::create_dir_all(root.join("docker")).unwrap();
    std::fs::write(root.join("Cargo.toml"), "[workspace]\nmembers = [\"api\"]\n").unwrap();
    std::fs::write(
        root.join("api/Cargo.toml"),
        "[package]\nname = \"api\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::write(
        root.join("api/src/main.rs"),
        "use std::process::Command;\n\
         fn handle() {\n    Command::new(\"git\").arg(\"http-backend\").status().unwrap();\n    Command::new(\"ffmpeg\").arg(\"-i\").status().unwrap();\n    Command::new(\"convert\").arg(\"a.png\").status().unwrap();\n}\n\
         fn main() {\n    let port = std::env::var(\"PORT\").unwrap();\n    let listener = std::net::TcpListener::bind(format!(\"0.0.0.0:{port}\")).unwrap();\n    for _conn in listener.incoming() {\n        handle();\n    }\n}\n",
    )
    .unwrap();
    let (_, _, before) = run(root, &["--message-format=short", "-q", "--workspace"]);
    assert_eq!(findings(&before).len(), 3, "{before}");
    std::fs::write(root.join("Aptfile"), "git\n").unwrap();
    std::fs::write(
        root.join("docker/Dockerfile"),
        "FROM rust:1 AS build\nCOPY . .\nRUN cargo build --release\n\nFROM debian:bookworm-slim\n\
         RUN apt-get update && \\\n    apt-get install -y --no-install-recommends ffmpeg ca-certificates && \\\n    rm -rf /var/lib/apt/lists/*\n\
         COPY --from=build /target/release/api /usr/local/bin/api\nCMD [\"api\"]\n",
    )
    .unwrap();
    let (_, _, after) = run(root, &["--message-format=short", "-q", "--workspace"]);
    assert_eq!(
        findings(&after),
        [
            "api/src/main.rs:5:5: warning: `Command::new(\"convert\")` runs the system tool `convert` [twelve::system_command]"
        ]
    );
}

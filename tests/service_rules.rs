//! End-to-end checks of the rules `missing_signal_handler`,
//! `log_to_file` and `startup_migration` on the axum fixture apps.

mod common;

use common::*;

use std::path::Path;

const RULES: &[&str] = &["missing_signal_handler", "log_to_file", "startup_migration"];

/// The short-format lines of these rules.
fn mine(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| RULES.iter().any(|r| l.ends_with(&format!("[twelve::{r}]"))))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn axum_service_breaks_each_rule_once() {
    let r = run(&fixture("axum-service"), &["--message-format", "short", "-q"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    insta::assert_snapshot!("axum_service_short", mine(&r.stderr));
}

#[test]
fn axum_service_human_output_labels_main_and_the_serve_call() {
    let dir = fixture("axum-service");
    let r = run(&dir, &["-q", "-A", "warnings", "-W", "missing_signal_handler"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("axum_service_signal_human", r.stderr);
}

#[test]
fn axum_twin_reports_nothing() {
    let r = run(&fixture("axum-twin"), &["--message-format", "short"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(mine(&r.stderr), "");
    assert!(r.stderr.contains("Finished"), "{}", r.stderr);
}

#[test]
fn json_findings_name_the_binary_target() {
    let r = run(
        &fixture("axum-service"),
        &[
            "--message-format=json",
            "-A",
            "warnings",
            "-W",
            "missing_signal_handler",
        ],
    );
    let messages: Vec<_> = cargo_metadata::Message::parse_stream(r.stdout.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    let found: Vec<_> = messages
        .iter()
        .filter_map(|m| match m {
            cargo_metadata::Message::CompilerMessage(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].target.name, "axum-service");
    assert_eq!(found[0].message.spans.len(), 2, "main and the serve call");
    assert!(
        found[0]
            .message
            .spans
            .iter()
            .any(|s| s.is_primary && s.text[0].text.contains("async fn main"))
    );
}

#[test]
fn explain_prints_the_docs() {
    for rule in RULES {
        let r = run(Path::new(env!("CARGO_MANIFEST_DIR")), &["explain", rule]);
        assert_eq!(r.code, 0);
        assert!(r.stdout.contains("### Why is this bad"), "{rule}: {}", r.stdout);
    }
}

//! End-to-end checks of `secret_fallback`, `hardcoded_backing_service` and
//! the `compile_time_config` extension on the factor III-V fixture apps.

mod common;

use common::*;

const MINE: &[&str] = &[
    "[twelve::secret_fallback]",
    "[twelve::hardcoded_backing_service]",
    "[twelve::compile_time_config]",
];

/// Secrets written in the fixture that no output may show.
const SECRETS: &[&str] = &["w4rehouse-pw", "admin-dev-token", "dev-jwt-secret", "mailpass"];

#[test]
fn config_service_findings() {
    let dir = fixture("config-service");
    let r = run(&dir, &["--message-format=short", "-q"]);
    assert_eq!(r.code, 1);
    let mine: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| MINE.iter().any(|m| l.ends_with(m)))
        .collect();
    insta::assert_snapshot!("config_service_short", mine.join("\n"));
}

#[test]
fn config_twin_reports_nothing() {
    let dir = fixture("config-twin");
    let r = run(&dir, &["--message-format=short"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("[twelve::"), "{}", r.stderr);
}

#[test]
fn fallback_secrets_and_url_passwords_are_masked_in_every_format() {
    let dir = fixture("config-service");
    for format in ["human", "short", "json"] {
        let r = run(&dir, &["--message-format", format]);
        let all = format!("{}{}", r.stdout, r.stderr);
        assert!(all.contains("twelve::secret_fallback"), "{format}: {all}");
        for secret in SECRETS {
            assert!(!all.contains(secret), "{format} shows {secret}: {all}");
        }
    }
    let r = run(&dir, &["--message-format=human", "--color=never"]);
    assert!(r.stderr.contains("\"dev-**********\""), "{}", r.stderr);
    assert!(r.stderr.contains("postgres://analytics:w4re********@"), "{}", r.stderr);
}

#[test]
fn show_secrets_reveals_them() {
    let dir = fixture("config-service");
    let r = run(&dir, &["--message-format=human", "--show-secrets"]);
    assert!(r.stderr.contains("dev-jwt-secret"), "{}", r.stderr);
}

#[test]
fn explain_the_new_rules() {
    for rule in ["secret_fallback", "hardcoded_backing_service"] {
        let r = run(&fixture("config-twin"), &["explain", rule]);
        assert_eq!(r.code, 0);
        assert!(r.stdout.contains("### Why is this bad"), "{}", r.stdout);
    }
    let r = run(&fixture("config-twin"), &["explain", "compile_time_config"]);
    assert!(r.stdout.contains("dotenv!"));
}

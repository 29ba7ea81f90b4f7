//! `hardcoded_secret` and `committed_env_file` through the real binary:
//! redaction in every output format, config files, `.env` files and git.

mod common;

use common::*;

/// The secrets of `fixtures/config-service`, in its Rust code, `.env` and
/// YAML config.
const FIXTURE_SECRETS: &[&str] = &[
    "sk_live_51HxQk2LmN8pR4tV7wY9zB3cD",
    "n7Rk2pQx9LmW4tZcY3v8Hq6B",
    "Xk9v2LqT7wPz",
    "b1946ac92492d2347c6235b4d2611184",
    "Qm8vT2pL9xW4nR7kAbC9xYz1",
    "whsec_PzcHvPIe1QHg3qkZFfRtkYCose1Sommr",
    "4f9c2b7e1d8a3f6c5b0e9d2a",
    "qvAghVLOFlxJjMNKryvtxw66",
    "w4rehouse-pw",
];

/// Diagnostics of one rule in JSON output: (file, line, message).
fn json_findings(stdout: &str, rule: &str) -> Vec<(String, u64, String)> {
    stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["reason"] == "compiler-message" && v["message"]["code"]["code"] == format!("twelve::{rule}"))
        .map(|v| {
            let span = &v["message"]["spans"][0];
            (
                span["file_name"].as_str().unwrap().to_string(),
                span["line_start"].as_u64().unwrap(),
                v["message"]["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn secrets_appear_in_no_output_format() {
    let dir = fixture("config-service");
    for format in ["human", "short", "json", "json-diagnostic-rendered-ansi"] {
        let r = run(&dir, &["--message-format", format]);
        assert_eq!(r.code, 1, "{format}");
        let all = format!("{}{}", r.stdout, r.stderr);
        assert!(all.contains("hardcoded_secret"), "{format}: {all}");
        for secret in FIXTURE_SECRETS {
            assert!(!all.contains(secret), "{format} shows {secret}:\n{all}");
        }
    }
}

#[test]
fn show_secrets_prints_them() {
    let dir = fixture("config-service");
    let r = run(&dir, &["--message-format", "json", "--show-secrets"]);
    for secret in FIXTURE_SECRETS {
        assert!(r.stdout.contains(secret), "{secret} missing with --show-secrets");
    }
}

#[test]
fn every_secret_of_the_fixture_is_found() {
    let dir = fixture("config-service");
    let r = run(&dir, &["--message-format", "json"]);
    let found = json_findings(&r.stdout, "hardcoded_secret");
    let at: Vec<(&str, u64)> = found.iter().map(|(f, l, _)| (f.as_str(), *l)).collect();
    assert_eq!(
        at,
        [
            (".env", 3),
            (".env", 4),
            (".env", 5),
            ("config/production.yaml", 4),
            // the credentials in `hardcoded_backing_service`'s URL
            ("src/database.rs", 7),
            ("src/secrets.rs", 6),
            ("src/secrets.rs", 9),
            ("src/secrets.rs", 19),
            ("src/secrets.rs", 20),
            ("src/secrets.rs", 26),
        ],
        "{found:#?}"
    );
    let env = json_findings(&r.stdout, "committed_env_file");
    assert_eq!(env.len(), 1, "{env:?}");
    assert_eq!((env[0].0.as_str(), env[0].1), (".env", 2));
    assert!(env[0].2.starts_with("`.env` with 4 values is "), "{}", env[0].2);
}

#[test]
fn the_compliant_twin_has_no_secrets() {
    let dir = fixture("config-twin");
    let r = run(&dir, &["--message-format", "json"]);
    for rule in ["hardcoded_secret", "committed_env_file"] {
        assert_eq!(json_findings(&r.stdout, rule), [], "{rule}");
    }
}

#[test]
fn human_output_masks_the_snippet() {
    let dir = fixture("config-service");
    let r = run(&dir, &["-A", "committed_env_file", "--color", "never"]);
    assert!(
        r.stderr
            .contains("error[twelve::hardcoded_secret]: hardcoded Stripe secret or restricted key `sk_l…`"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("const STRIPE_KEY: &str = \"sk_l*****"),
        "{}",
        r.stderr
    );
}

#[test]
fn explain_lists_the_detector_families() {
    let r = run(&fixture("config-service"), &["explain", "hardcoded_secret"]);
    assert_eq!(r.code, 0);
    for family in [
        "`github_pat`",
        "`aws_access_key_id`",
        "`private_key`",
        "`url_credentials`",
        "`jwt`",
    ] {
        assert!(r.stdout.contains(family), "{family}:\n{}", r.stdout);
    }
}

/// A package in a fresh temporary directory, outside any git repository.
fn scratch(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec![
        (
            "Cargo.toml",
            "[package]\nname = \"scratch\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
        ),
        ("src/main.rs", "fn main() {}\n"),
        // A binary without a lock file is `missing_lockfile`'s business.
        ("Cargo.lock", "version = 4\n"),
    ];
    all.extend_from_slice(files);
    for (rel, text) in all {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

#[test]
fn env_file_without_git_is_reported_unless_gitignored() {
    let env = ".env";
    let text = "PORT=8080\nAPI_TOKEN=Qm8vT2pL9xW4nR7kAbC9xYz1\n";
    let dir = scratch(&[(env, text)]);
    let r = run(dir.path(), &["--message-format", "short"]);
    assert!(
        r.stderr.contains(
            ".env:1:1: error: `.env` with 2 values is not ignored by any `.gitignore` [twelve::committed_env_file]"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(".env:2:11: error: hardcoded secret `Qm8v…` [twelve::hardcoded_secret]"),
        "{}",
        r.stderr
    );

    let dir = scratch(&[(env, text), (".gitignore", "/target\n.env\n")]);
    let r = run(dir.path(), &["--message-format", "short"]);
    assert!(!r.stderr.contains("committed_env_file"), "{}", r.stderr);

    // A template, and a file without values, are the compliant form.
    let dir = scratch(&[(".env.example", text), (".env.local", "API_TOKEN=\n# nothing yet\n")]);
    let r = run(dir.path(), &["--message-format", "short"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn env_file_in_git_is_reported_when_tracked_or_not_ignored() {
    let dir = scratch(&[(".env", "PORT=8080\n"), (".env.production", "PORT=80\n")]);
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .current_dir(dir.path())
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    std::fs::write(dir.path().join(".gitignore"), "/target\n").unwrap();
    git(&["add", ".env"]);
    let r = run(dir.path(), &["--message-format", "short", "-q"]);
    let lines: Vec<&str> = r.stderr.lines().filter(|l| l.contains("[twelve::")).collect();
    assert_eq!(
        lines,
        [
            ".env:1:1: error: `.env` with 1 value is committed to git [twelve::committed_env_file]",
            ".env.production:1:1: error: `.env.production` with 1 value is not ignored by git [twelve::committed_env_file]",
        ]
    );
    std::fs::write(dir.path().join(".gitignore"), "/target\n.env.*\n").unwrap();
    let r = run(dir.path(), &["--message-format", "short", "-q"]);
    assert_eq!(
        r.stderr.lines().filter(|l| l.contains("[twelve::")).count(),
        1,
        "{}",
        r.stderr
    );
}

#[test]
fn workspace_root_env_file_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"a\", \"b\"]\nresolver = \"2\"\n",
        ),
        (
            "a/Cargo.toml",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        ("a/src/lib.rs", ""),
        (
            "b/Cargo.toml",
            "[package]\nname = \"b\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        ("b/src/lib.rs", ""),
        (".env", "STRIPE_KEY=sk_live_51HxQk2LmN8pR4tV7wY9zB3cD\n"),
    ];
    for (rel, text) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let r = run(dir.path(), &["--workspace", "--message-format", "short", "-q"]);
    let lines: Vec<&str> = r.stderr.lines().filter(|l| l.contains("[twelve::")).collect();
    assert_eq!(lines.len(), 2, "{}", r.stderr);
    assert!(lines[0].contains("committed_env_file"));
    assert!(lines[1].contains("hardcoded Stripe secret or restricted key `sk_l…`"));
}

#[test]
fn allow_comments_work_in_config_files() {
    let dir = scratch(&[
        (".gitignore", ".env\n"),
        (
            ".env",
            "# twelve:allow(hardcoded_secret)\nAPI_TOKEN=Qm8vT2pL9xW4nR7kAbC9xYz1\nOTHER_TOKEN=A7c9E2g4K6m8P0r2Zq # gitleaks:allow\n",
        ),
    ]);
    let r = run(dir.path(), &["--message-format", "short", "-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn env_templates_are_checked_for_provider_formats_only() {
    let dir = scratch(&[(
        ".env.example",
        "DB_PASSWORD=hunter22\nDATABASE_URL=postgres://app:Xk9v2LqT7wPz@localhost/app\nSTRIPE_KEY=sk_live_51HxQk2LmN8pR4tV7wY9zB3cD\n",
    )]);
    let r = run(dir.path(), &["--message-format", "short", "-q"]);
    let lines: Vec<&str> = r.stderr.lines().filter(|l| l.contains("[twelve::")).collect();
    assert_eq!(
        lines,
        [".env.example:3:12: error: hardcoded Stripe secret or restricted key `sk_l…` [twelve::hardcoded_secret]"]
    );
}

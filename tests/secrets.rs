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

/// `file:line` of each `hardcoded_secret` finding in JSON output.
fn secrets_at(stdout: &str) -> Vec<String> {
    json_findings(stdout, "hardcoded_secret")
        .into_iter()
        .map(|(file, line, _)| format!("{file}:{line}"))
        .collect()
}

#[test]
fn secrets_appear_in_no_output_format() {
    let dir = fixture("config-service");
    for format in [
        "human",
        "short",
        "json",
        "json-diagnostic-rendered-ansi",
        "json-diagnostic-short",
        "json-render-diagnostics",
        "sarif",
        "github",
        "gitlab",
    ] {
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
fn a_baseline_holds_no_secret() {
    let dir = fixture_copy("config-service");
    let path = dir.path().join("twelve-baseline.json");
    let r = run(dir.path(), &["--write-baseline", path.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let baseline = std::fs::read_to_string(&path).unwrap();
    assert!(baseline.contains("twelve::hardcoded_secret"), "{baseline}");
    for secret in FIXTURE_SECRETS {
        assert!(!baseline.contains(secret), "the baseline holds {secret}:\n{baseline}");
    }
    // And it matches every finding it recorded, secrets included.
    let r = run(dir.path(), &["--baseline", path.to_str().unwrap(), "-q"]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
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
    write_files(dir.path(), &all);
    dir
}

/// Writes `files` (relative path, text) under `dir`.
fn write_files(dir: &std::path::Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
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

/// A project's published `.env`: each variable documented with its
/// default, some offered commented out, and the code giving the same
/// defaults.
const DOCUMENTED_ENV: &str = "# Require a username for HTTP basic auth.
# Default value: unset
# export PASTE_BASIC_AUTH_USERNAME=

# Enables the admin interface at /admin/.
# Default value: admin
export PASTE_ADMIN_USERNAME=admin

# The admin interface's password.
# Default value: p4st3b1n
export PASTE_ADMIN_PASSWORD=p4st3b1n

# Port to listen on.
# Default value: 8080
export PASTE_PORT=8080
";

const DOCUMENTED_ARGS: &str = r#"#[derive(clap::Parser)]
pub struct Args {
    #[clap(long, env = "PASTE_ADMIN_USERNAME", default_value = "admin")]
    pub admin_username: String,
    #[clap(long, env = "PASTE_ADMIN_PASSWORD", default_value = "p4st3b1n")]
    pub admin_password: String,
    #[clap(long, env = "PASTE_PORT", default_value_t = 8080)]
    pub port: u16,
}
fn main() {}
"#;

#[test]
fn a_documented_template_of_the_defaults_is_the_projects_sample() {
    let dir = scratch(&[(".env", DOCUMENTED_ENV), ("src/main.rs", DOCUMENTED_ARGS)]);
    let r = run(dir.path(), &["--message-format", "short", "-q"]);
    let lines: Vec<&str> = r.stderr.lines().filter(|l| l.contains("[twelve::")).collect();
    // The default password is reported once, where the code sets it.
    assert_eq!(lines.len(), 1, "{}", r.stderr);
    assert!(lines[0].contains("[twelve::secret_fallback]"), "{}", lines[0]);
    assert!(!r.stderr.contains("p4st3b1n"), "{}", r.stderr);

    // A real credential in the same file makes it one deploy's config.
    let real = DOCUMENTED_ENV.replace(
        "export PASTE_ADMIN_PASSWORD=p4st3b1n",
        "export PASTE_ADMIN_PASSWORD=p4st3b1n\n\n# Storage.\nexport PASTE_S3_SECRET_KEY=Qm8vT2pL9xW4nR7kAbC9xYz1",
    );
    let dir = scratch(&[(".env", &real), ("src/main.rs", DOCUMENTED_ARGS)]);
    let r = run(dir.path(), &["--message-format", "short", "-q"]);
    assert!(r.stderr.contains("[twelve::committed_env_file]"), "{}", r.stderr);
    assert!(r.stderr.contains("hardcoded secret `Qm8v…`"), "{}", r.stderr);
    // And so does a value documented as something else.
    let changed = DOCUMENTED_ENV.replace(
        "export PASTE_ADMIN_PASSWORD=p4st3b1n",
        "export PASTE_ADMIN_PASSWORD=Xk9v2LqT7wPz",
    );
    let dir = scratch(&[(".env", &changed), ("src/main.rs", DOCUMENTED_ARGS)]);
    let r = run(dir.path(), &["--message-format", "short", "-q"]);
    assert!(r.stderr.contains("[twelve::committed_env_file]"), "{}", r.stderr);
    assert!(r.stderr.contains("hardcoded password `Xk9v…`"), "{}", r.stderr);
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
fn a_committed_dev_setup_or_fill_in_template_is_not_reported() {
    let files = [
        // sqlx's build-time database, a file beside the code.
        (".env", "DATABASE_URL=sqlite://./db_v2.sqlite3\n"),
        // A compose stack's env file, its secrets left to fill in.
        (
            ".env.docker-compose",
            "DATABASE_URL=postgres://postgres:password@app_postgres:5432/postgres\nPORT=7000\nAPP_COOKIE_SECRET=pleasereplacethiswithrandomstring # PLEASE SET RANDOM STRING\n",
        ),
        // Local, but with a real password: reported.
        (".env.local", "DATABASE_URL=postgres://app:Xk9v2LqT7wPz@localhost/app\n"),
        // Named for a deploy: reported, however local.
        (".env.production", "DATABASE_URL=sqlite://./prod.db\n"),
        // A remote address with no credential to fill in: reported.
        (
            ".env.dev",
            "API_URL=https://api.internal.corp.net\nCACHE_URL=redis://localhost:6379\n",
        ),
    ];
    let dir = scratch(&files);
    let ok = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir.path())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok);
    std::fs::write(dir.path().join(".gitignore"), "/target\n").unwrap();
    let r = run(dir.path(), &["--message-format", "short", "-q"]);
    let mut reported: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("[twelve::committed_env_file]"))
        .filter_map(|l| l.split(':').next())
        .collect();
    reported.sort();
    assert_eq!(reported, [".env.dev", ".env.local", ".env.production"], "{}", r.stderr);
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
    write_files(dir.path(), &files);
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

/// A workspace whose test code holds provider tokens in every form: a
/// `#[cfg(test)]` module, an integration test, and a test-support crate's
/// code and config file. `table` is added to the root manifest.
fn test_code_workspace(table: &str) -> tempfile::TempDir {
    let manifest = |name: &str| format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n");
    let root = format!("[workspace]\nmembers = [\"api\", \"api-test-utils\"]\nresolver = \"2\"\n\n{table}");
    let files = [
        ("Cargo.toml", root),
        ("api/Cargo.toml", manifest("api")),
        (
            "api/src/lib.rs",
            "pub fn f() {}\n\n#[cfg(test)]\nmod tests {\n    const KEY: &str = \"ghp_xGKZWGlby02BcHboRBcynXMgWJoleSrcBrFw\";\n}\n".into(),
        ),
        (
            "api/tests/charge.rs",
            "#[test]\nfn charges() {\n    let key = \"sk_live_v8GMDelNz4n8uNxNw28jsvvQ\";\n}\n".into(),
        ),
        ("api-test-utils/Cargo.toml", manifest("api-test-utils")),
        (
            "api-test-utils/src/lib.rs",
            "pub const TOKEN: &str = \"npm_9mOBX3JlRdR6bahUIjztJnfCP6T11I0fGlYs\";\npub const PASSWORD: &str = \"Tr0ub4dor&3\";\n".into(),
        ),
        (
            "api-test-utils/config/test.yaml",
            "stripe_key: sk_live_v8GMDelNz4n8uNxNw28jsvvQ\ndatabase_url: postgres://app:Xk9v2LqT7wPz@db.internal/app\n".into(),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<(&str, &str)> = files.iter().map(|(rel, text)| (*rel, text.as_str())).collect();
    write_files(dir.path(), &files);
    dir
}

#[test]
fn test_code_is_not_reported_unless_include_tests() {
    let args = ["--workspace", "--all-targets", "--message-format", "json", "-q"];
    let dir = test_code_workspace("");
    let r = run(dir.path(), &args);
    assert_eq!(secrets_at(&r.stdout), Vec::<String>::new(), "{}", r.stderr);

    // Provider formats only: a test's password and URL are throwaway.
    let dir = test_code_workspace("[workspace.metadata.twelve.hardcoded_secret]\ninclude_tests = true\n");
    let r = run(dir.path(), &args);
    assert_eq!(
        secrets_at(&r.stdout),
        [
            "api/src/lib.rs:5",
            "api/tests/charge.rs:3",
            "api-test-utils/config/test.yaml:1",
            "api-test-utils/src/lib.rs:1",
        ],
        "{}",
        r.stderr
    );
}

/// The shapes a reader judged noise on real repositories, next to a secret.
#[test]
fn documentation_hosts_and_samples_are_not_reported() {
    let lib = r##"pub struct Http;

impl Command for Http {
    fn examples(&self) -> Vec<Example> {
        vec![Example {
            description: "Send a request with a bearer token",
            example: "http get -H [Authorization 'Bearer ghp_xGKZWGlby02BcHboRBcynXMgWJoleSrcBrFw'] https://www.example.com",
            result: None,
        }]
    }
}

/// A scanner's detectors, each with an expired sample.
pub const DETECTORS: &[(&str, &str, &str)] = &[("github", r"ghp_[0-9a-zA-Z]{36}", "ghp_MOUdGDxnvsDES92Ep9kD7JxlmXVo6Ma8r6XZ")];

pub const DOCS_DB: &str = "postgres://app:Xk9v2LqT7wPz@db.example.com/app";

pub const LIVE: &str = "ghp_vlpYaGcpNhxIGjb7u4YQ1rOhoYHGEFOwqR8C";
"##;
    let dir = scratch(&[("src/lib.rs", lib)]);
    let r = run(dir.path(), &["--message-format", "json", "-q"]);
    assert_eq!(secrets_at(&r.stdout), ["src/lib.rs:18"], "{}", r.stdout);
}

/// `#[path = "/proc/self/environ"] mod x;` and a module symlinked out of
/// the tree are never read: the process environment (CI tokens) stays out
/// of every format, and the other files are still checked.
#[test]
fn module_files_outside_the_workspace_are_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let token = "ghp_Zq8vT2pL9xW4nR7kAbC9xYz1Lm3Nq5Rs7Tu9";
    std::fs::write(
        outside.path().join("leak.rs"),
        format!("pub const GITHUB_TOKEN: &str = \"{token}\";\n"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"probe\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("src/main.rs"),
        "#[path = \"/proc/self/environ\"]\nmod environ;\nmod leak;\n\nfn main() {\n    std::fs::write(\"state.json\", b\"{}\").unwrap();\n    loop {}\n}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path().join("leak.rs"), dir.path().join("src/leak.rs")).unwrap();
    for format in ["human", "short", "json", "sarif"] {
        let out = twelve(dir.path(), &["--message-format", format])
            .env("TWELVE_PROBE_TOKEN", token)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!text.contains(token), "{format}: {text}");
        assert!(!text.contains("TWELVE_PROBE_TOKEN"), "{format}: {text}");
        assert_eq!(
            text.matches("module_outside_workspace").count().min(1),
            1,
            "{format}: {text}"
        );
        assert!(text.contains("filesystem_write"), "{format}: the run goes on: {text}");
    }
}

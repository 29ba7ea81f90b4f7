//! Manifest rules, `report` and `env`, run through the real binary.

mod common;

use common::*;

use std::path::{Path, PathBuf};

#[test]
fn manifest_rules_human() {
    let dir = fixture("manifest-deps");
    let r = run(&dir, &["--workspace"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("manifest_human", normalize(&r.stderr, &dir));
}

#[test]
fn manifest_rules_short() {
    let dir = fixture("manifest-deps");
    let r = run(&dir, &["--workspace", "--message-format=short", "-q"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("manifest_short", r.stderr);
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
    insta::assert_snapshot!("manifest_json", normalize(&r.stdout, &dir));
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
    insta::assert_snapshot!("external_path_human", normalize(&r.stderr, &tmp));
}

/// Copies a fixture into a fresh directory outside any git repository.
fn copy_fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                if entry.file_name() != "target" {
                    copy(&entry.path(), &target);
                }
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = std::fs::canonicalize(tmp.path()).unwrap().join(name);
    copy(&fixture(name), &dir);
    (tmp, dir)
}

#[test]
fn report_on_a_compliant_project() {
    let dir = fixture("report-compliant");
    let r = run(&dir, &["report"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!("report_compliant_human", r.stdout);
    let r = run(&dir, &["report", "--format", "markdown"]);
    insta::assert_snapshot!("report_compliant_markdown", r.stdout);
    let r = run(&dir, &["report", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let statuses: Vec<&str> = json["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.len(), 12);
    assert!(
        statuses.iter().all(|s| *s == "pass" || *s == "not_applicable"),
        "{statuses:?}"
    );
}

#[test]
fn report_on_a_non_compliant_project() {
    // Outside git, so that factor I has something to say too.
    let (_tmp, dir) = copy_fixture("report-noncompliant");
    let r = run(&dir, &["report"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!("report_noncompliant_human", r.stdout);
    let r = run(&dir, &["report", "--format", "json"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("report_noncompliant_json", r.stdout);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let by_factor: Vec<(&str, &str)> = json["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["numeral"].as_str().unwrap(), f["status"].as_str().unwrap()))
        .collect();
    // Every factor has a violation here, so every row fails or warns.
    assert_eq!(by_factor.len(), 12);
    for (numeral, status) in by_factor {
        assert!(status == "warn" || status == "fail", "{numeral}: {status}");
    }
    assert_eq!(run(&dir, &["report", "--exit-zero"]).code, 0);
}

#[test]
fn env_inventory_of_std_envy_config_and_clap() {
    let dir = fixture("env-surface");
    let r = run(&dir, &["env"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("env_table", r.stdout);
    let r = run(&dir, &["env", "--format", "dotenv"]);
    insta::assert_snapshot!("env_dotenv", r.stdout);
    let r = run(&dir, &["env", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let names: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    for expected in [
        "RUST_LOG",
        "JWT_SECRET",
        "MAIL_SMTP_HOST",
        "APP__*",
        "DATABASE_URL",
        "LISTEN_ADDR",
    ] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    assert!(!names.contains(&"TEST_DATABASE_URL"), "test code is not config");
    let secret = json
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "MAIL_SMTP_PASSWORD")
        .unwrap();
    assert_eq!(secret["secret"], true);
    assert_eq!(secret["file"], "src/settings.rs");
}

#[test]
fn report_and_env_on_a_missing_manifest_are_usage_errors() {
    let dir = fixture("report-compliant");
    for cmd in ["report", "env"] {
        let r = run(&dir, &[cmd, "--manifest-path", "no/such/Cargo.toml"]);
        assert_eq!(r.code, 2, "{cmd}: {}", r.stderr);
        assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
        assert!(r.stdout.is_empty());
    }
}

#[test]
fn report_colors_only_when_asked() {
    let dir = fixture("report-compliant");
    let plain = run(&dir, &["report"]);
    assert!(!plain.stdout.contains('\x1b'));
    let colored = run(&dir, &["report", "--color", "always"]);
    assert!(colored.stdout.contains("\x1b[1;32mpass"));
}

/// `env` on a workspace written as real servers are: a wrapper crate whose
/// functions read `<KEY>` and `<KEY>_FILE`, a macro over a field list that
/// reads through them, a figment struct under `LLDAP_` with `__` nesting
/// and a file adapter, a config-rs struct, `EnvFilter` and Rocket.
#[test]
fn env_follows_wrappers_macros_and_config_crates() {
    let dir = fixture("env-flow");
    let r = run(&dir, &["env", "--workspace", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let vars = json.as_array().unwrap();
    let get = |name: &str| {
        vars.iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing from {}", r.stdout))
    };
    // The macro's field list, through the wrapper crate, with `_FILE`.
    for name in ["DATA_FOLDER", "DATABASE_URL", "ADMIN_TOKEN", "DISABLE_ADMIN_TOKEN"] {
        let v = vars
            .iter()
            .find(|v| v["name"] == name && v["source"] == "make_config! field list")
            .unwrap_or_else(|| panic!("{name} not read by the macro: {}", r.stdout));
        assert_eq!(v["file_variant"], format!("{name}_FILE"), "{name}");
        // A field that gives a default after its shape has one.
        let default = if name == "ADMIN_TOKEN" { "unknown" } else { "yes" };
        assert_eq!(v["default"], default, "{name}");
    }
    // A literal inside the macro's own body, and wrapper calls in other crates.
    assert_eq!(get("ENV_FILE")["source"], "get_env(..) → env::var");
    assert_eq!(get("IMPORT_SOURCE_URL")["file"], "crates/importer/src/main.rs");
    assert_eq!(get("APP_SMTP_HOST")["source"], "app_var(..) → env::var");
    // figment: the struct's fields under the prefix, nested with `__`.
    for name in [
        "LLDAP_LDAP_PORT",
        "LLDAP_JWT_SECRET",
        "LLDAP_KEY_SEED",
        "LLDAP_FORCE_UPDATE_PRIVATE_KEY",
        "LLDAP_SMTP_OPTIONS__PASSWORD",
        "LLDAP_SMTP_OPTIONS__SERVER",
    ] {
        assert_eq!(get(name)["file_variant"], format!("{name}_FILE"), "{name}");
    }
    // config-rs: the prefix joined by the separator, nested the same way.
    assert_eq!(get("WORKER__CONCURRENCY")["source"], "config::Environment::with_prefix");
    get("WORKER__QUEUE__URL");
    // Frameworks.
    assert_eq!(
        get("RUST_LOG")["source"],
        "tracing_subscriber::EnvFilter::from_default_env"
    );
    get("ROCKET_PORT");
    get("ROCKET_ADDRESS");
    // Secrets by type, then name: a flag never is, a secret type always is.
    for (name, secret) in [
        ("ADMIN_TOKEN", true),
        ("DISABLE_ADMIN_TOKEN", false),
        ("LLDAP_KEY_SEED", true),
        ("LLDAP_JWT_SECRET", true),
        ("LLDAP_FORCE_UPDATE_PRIVATE_KEY", false),
        ("LLDAP_SMTP_OPTIONS__PASSWORD", true),
        ("LLDAP_SMTP_OPTIONS__ENABLE_PASSWORD_RESET", false),
        ("DATABASE_URL", false),
    ] {
        assert_eq!(get(name)["secret"], secret, "{name}");
    }
    // No prefix rows once the struct is known, and no generated `_FILE_FILE`.
    assert!(!vars.iter().any(|v| v["name"] == "LLDAP_*" || v["name"] == "WORKER__*"));
    let table = run(&dir, &["env", "--workspace"]).stdout;
    assert!(table.contains("ADMIN_TOKEN (+_FILE)"), "{table}");
    let dotenv = run(&dir, &["env", "--workspace", "--format", "dotenv"]).stdout;
    assert!(
        dotenv.contains("# or LLDAP_JWT_SECRET_FILE: the path of a file that holds the value\nLLDAP_JWT_SECRET=\n")
    );
}

/// `report` on the same workspace: backing services from dependencies and
/// the package's own features, a compose file in `docker/`, the port from
/// `Rocket.toml` and Rocket's figment, the release step judged by what it
/// runs (the migrating `schema-tool`, not the importer named
/// `migration-tool`), and the service's start-up migrations.
/// A factor's row of `report --format json`: its status and evidence.
fn factor_row(json: &serde_json::Value, numeral: &str) -> (String, Vec<String>) {
    let f = json["factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["numeral"] == numeral)
        .unwrap();
    let evidence = f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect();
    (f["status"].as_str().unwrap().to_string(), evidence)
}

#[test]
fn report_sees_what_the_services_use() {
    let dir = fixture("env-flow");
    let r = run(&dir, &["report", "--workspace", "--format", "json"]);
    assert!(r.code == 1, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let row = |n: &str| factor_row(&json, n);
    let has = |n: &str, text: &str| {
        let (_, e) = row(n);
        assert!(e.iter().any(|e| e.contains(text)), "{n}: `{text}` not in {e:?}");
    };
    has("III", "also documented in `docs/config.md`");
    assert!(
        !row("III")
            .1
            .iter()
            .any(|e| e.starts_with("undocumented") && e.contains("LLDAP_JWT_SECRET`")),
        "{:?}",
        row("III")
    );
    has("IV", "uses `object storage`, `postgres`, `smtp`");
    has("IV", "`diesel/postgres` (feature `postgresql`)");
    has("V", "release step: `schema-tool` runs the migrations");
    // A script that tags and publishes the crates is no deploy's release step.
    has(
        "V",
        "`scripts/release.sh` tags and publishes a version of the software: not a deploy's release step",
    );
    assert!(
        !row("V").1.iter().any(|e| e.contains("migration-tool")),
        "{:?}",
        row("V")
    );
    has(
        "V",
        "migrations run at start-up of the service: `crates/server/src/db.rs:9`",
    );
    assert_eq!(row("VII").0, "pass");
    has("VII", "port from config: `port` in `Rocket.toml`");
    has("VII", "port from `ROCKET_PORT`");
    assert_eq!(row("X").0, "pass");
    has("X", "`docker/docker-compose.yml` runs `postgres`");
    has("XII", "one-off migrations: `schema-tool`");
    has(
        "XII",
        "migrations run at every start of the service: `crates/server/src/db.rs:9`",
    );
    // `startup_migration` is allowed by default: evidence, not a finding.
    assert!(row("XII").0 == "pass", "{:?}", row("XII"));
    let check = run(&dir, &["--workspace", "--message-format", "short"]);
    assert!(!check.stderr.contains("startup_migration"), "{}", check.stderr);
}

/// A service that upgrades its own schema with hand-written functions as
/// it starts: XII and V say so from the service model; `sqlx-all` names
/// every database.
#[test]
fn report_sees_start_up_migrations_of_the_apps_own() {
    let dir = fixture("report-own-migrations");
    let r = run(&dir, &["report", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stderr));
    let evidence = |n: &str| factor_row(&json, n).1;
    let xii = evidence("XII");
    assert!(
        xii.iter().any(|e| e.starts_with("migrations run at every start of the service: `src/schema.rs:8` (the app's own migrations, in service `directory-server`: main → init_tables → migrate_from_version)")),
        "{xii:?}"
    );
    assert!(
        evidence("IV").iter().any(|e| e == "uses `mysql`, `postgres`, `sqlite`"),
        "{:?}",
        evidence("IV")
    );
}

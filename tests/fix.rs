//! `cargo twelve fix` through the binary: the fixes of every rule before
//! and after, compiled where the crate needs nothing but std; the VCS
//! guard; idempotence, permissions, `--diff`; and the engine's rollback.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Run, run};

/// A scratch crate in a temporary directory, outside any git repository.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    /// A binary crate `scratch` with no dependencies, `manifest` added to
    /// its `Cargo.toml`, and `files` (relative path, text).
    fn new(manifest: &str, files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let s = Self { dir };
        s.write(
            "Cargo.toml",
            &format!(
                "[package]\nname = \"scratch\"\nversion = \"0.1.0\"\nedition = \"2024\"\n{manifest}\n[workspace]\n"
            ),
        );
        for (path, text) in files {
            s.write(path, text);
        }
        s
    }

    fn path(&self) -> PathBuf {
        std::fs::canonicalize(self.dir.path()).unwrap()
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(rel)).unwrap()
    }

    fn exists(&self, rel: &str) -> bool {
        self.dir.path().join(rel).exists()
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut all = vec!["fix"];
        all.extend_from_slice(args);
        run(&self.path(), &all)
    }

    /// `git init` and a first commit of everything.
    fn commit_all(&self) {
        self.git(&["init", "-q"]);
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", "init"]);
    }

    fn git(&self, args: &[&str]) {
        let status = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.com",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(self.dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    /// `cargo check --offline` accepts the crate.
    fn assert_builds(&self) {
        self.assert_builds_with(&[]);
    }

    /// The same, with these variables set at compile time.
    fn assert_builds_with(&self, vars: &[(&str, &str)]) {
        let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fix-scratch");
        let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["check", "--offline", "--quiet"])
            .envs(vars.iter().copied())
            .env("CARGO_TARGET_DIR", target)
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "the fixed crate does not build:\n{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.read("src/main.rs")
        );
    }
}

/// A std-only service: it binds and loops over connections, so the
/// service-scoped rules look at it too.
const SERVE: &str = r#"
fn serve(listener: std::net::TcpListener) {
    for stream in listener.incoming() {
        drop(stream);
    }
}
"#;

/// Fixes `src/main.rs` with `--unsafe-fixes`, checks that the result
/// builds, and returns it.
fn fixed_and_built(main: &str) -> (Scratch, String) {
    fixed_and_built_with(main, &[])
}

/// The same, for code that builds before the fix only with `vars` set at
/// compile time; after it, they are not set.
fn fixed_and_built_with(main: &str, vars: &[(&str, &str)]) -> (Scratch, String) {
    let s = Scratch::new("", &[("src/main.rs", &format!("{main}{SERVE}"))]);
    s.assert_builds_with(vars);
    let r = s.run(&["--unsafe-fixes", "--allow-no-vcs"]);
    assert!(r.stderr.contains("Fixed src/main.rs"), "{}", r.stderr);
    s.assert_builds();
    let after = s.read("src/main.rs");
    (s, after)
}

#[test]
fn hardcoded_secret_reads_the_variable_named_by_the_binding() {
    let (s, after) = fixed_and_built(
        r#"
const STRIPE_KEY: &str = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";

struct Client {
    api_key: &'static str,
}

fn with_api_key(key: &str) -> usize {
    key.len()
}

fn load() -> Result<String, Box<dyn std::error::Error>> {
    let github_token = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789".to_string();
    Ok(github_token)
}

fn main() {
    let password = "Zx8#kP2$mQ9!vL4w";
    let client = Client { api_key: "xoxb-2345678901-2345678901234-aBcDeFgHiJkLmNoPqRsTuVwX" };
    let n = with_api_key(password) + client.api_key.len() + STRIPE_KEY.len();
    let token = String::from("glpat-aB3dE6gH9jK2mN5pQ8sT");
    println!("{n} {token} {:?}", load().ok());
    serve(std::net::TcpListener::bind(("0.0.0.0", 8080)).unwrap());
}
"#,
    );
    insta::assert_snapshot!(after);
    let example = s.read(".env.example");
    for var in ["STRIPE_KEY", "GITHUB_TOKEN", "PASSWORD", "API_KEY", "TOKEN", "PORT"] {
        assert!(example.lines().any(|l| l == format!("{var}=")), "{var} in {example}");
    }
}

#[test]
fn secret_fallback_drops_the_fallback() {
    let (_, after) = fixed_and_built(
        r#"
fn jwt() -> Result<String, Box<dyn std::error::Error>> {
    Ok(std::env::var("JWT_SECRET").unwrap_or("dev-secret-value".into()))
}

fn main() {
    let api = std::env::var("API_TOKEN").ok().unwrap_or_else(|| "local-token-123".to_string());
    let db_password = match std::env::var("DB_PASSWORD") {
        Ok(v) => v,
        Err(_) => "hunter2hunter2".to_string(),
    };
    let key = if let Ok(v) = std::env::var("SIGNING_KEY") { v } else { String::from("dev-key-abcdef") };
    println!("{api}{db_password}{key}{:?}", jwt().ok());
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8080);
    serve(std::net::TcpListener::bind(("0.0.0.0", port)).unwrap());
}
"#,
    );
    insta::assert_snapshot!(after);
}

#[test]
fn hardcoded_port_reads_port_in_every_address_form() {
    let (_, after) = fixed_and_built(
        r#"
use std::net::{SocketAddr, TcpListener};

fn main() {
    serve(TcpListener::bind("0.0.0.0:8080").unwrap());
    serve(TcpListener::bind(("0.0.0.0", 8081)).unwrap());
    serve(TcpListener::bind(SocketAddr::from(([0, 0, 0, 0], 8082))).unwrap());
    let addr = "127.0.0.1:8083";
    serve(TcpListener::bind(addr).unwrap());
    serve(TcpListener::bind(("0.0.0.0", METRICS_PORT)).unwrap());
    serve(TcpListener::bind(ADMIN_ADDR).unwrap());
    serve(TcpListener::bind(("0.0.0.0", METRICS_PORT as u16)).unwrap());
}

const METRICS_PORT: u16 = 9100;
const ADMIN_ADDR: &str = "127.0.0.1:9200";

/// A client of the same port is left alone.
pub fn metrics_url() -> String {
    format!("http://localhost:{METRICS_PORT}")
}
"#,
    );
    insta::assert_snapshot!(after);
}

#[test]
fn compile_time_config_reads_at_run_time_with_the_same_type() {
    let (s, after) = fixed_and_built_with(
        r#"
struct Settings {
    sentry_dsn: Option<&'static str>,
    region: &'static str,
}

fn banner() -> Result<String, Box<dyn std::error::Error>> {
    Ok(format!("{} in {}", env!("CARGO_PKG_NAME"), env!("DEPLOY_REGION")))
}

fn main() {
    let settings = Settings {
        sentry_dsn: option_env!("SENTRY_DSN"),
        region: env!("AWS_REGION"),
    };
    let stage = option_env!("STAGE").unwrap_or("dev");
    option_env!("FEATURE_FLAGS").map(|f| println!("{f}"));
    println!("{:?} {} {stage} {}", settings.sentry_dsn, settings.region, env!("THEME_COLOR"));
    println!("{:?}", banner().ok());
    serve(std::net::TcpListener::bind(("0.0.0.0", 8080)).unwrap());
}
"#,
        &[
            ("DEPLOY_REGION", "eu"),
            ("AWS_REGION", "eu-west-1"),
            ("THEME_COLOR", "blue"),
        ],
    );
    insta::assert_snapshot!(after);
    let example = s.read(".env.example");
    for var in [
        "FEATURE_FLAGS",
        "DEPLOY_REGION",
        "SENTRY_DSN",
        "AWS_REGION",
        "STAGE",
        "THEME_COLOR",
        "PORT",
    ] {
        assert!(example.contains(&format!("{var}=\n")), "{var} in {example}");
    }
}

#[test]
fn servers_get_a_shutdown_signal_and_ctrl_c_only_code_a_sigterm_arm() {
    let tokio = "[dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\naxum = \"0.7\"\n";
    let s = Scratch::new(
        tokio,
        &[(
            "src/main.rs",
            r#"
#[tokio::main]
async fn main() {
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", 3000)).await.unwrap();
    axum::serve(listener, axum::Router::new()).await.unwrap();
}
"#,
        )],
    );
    let r = s.run(&["--allow-no-vcs"]);
    assert!(
        r.stderr.contains("Fixed src/main.rs (1 fix)"),
        "only the port: {}",
        r.stderr
    );
    let r = s.run(&["--unsafe-fixes", "--allow-no-vcs"]);
    assert!(r.stderr.contains("Fixed src/main.rs (1 fix)"), "{}", r.stderr);
    let main = s.read("src/main.rs");
    syn::parse_file(&main).unwrap();
    insta::assert_snapshot!("axum_graceful_shutdown", main);

    let s = Scratch::new(
        tokio,
        &[(
            "src/main.rs",
            r#"
#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", 3001)).await?;
    tokio::spawn(async move {
        loop {
            let _ = listener.accept().await;
        }
    });
    tokio::signal::ctrl_c().await?;
    Ok(())
}
"#,
        )],
    );
    let r = s.run(&["--unsafe-fixes", "--allow-no-vcs"]);
    assert!(r.stderr.contains("Fixed src/main.rs (2 fixes)"), "{}", r.stderr);
    insta::assert_snapshot!("ctrl_c_sigterm_arm", s.read("src/main.rs"));
}

#[test]
fn warp_tonic_and_hyper_serve_calls_get_their_graceful_shutdown() {
    let cases = [
        (
            "warp",
            "[dependencies]\ntokio = { version = \"1\", features = [\"rt-multi-thread\"] }\nwarp = \"0.3\"\n",
            r#"
use warp::Filter;

#[tokio::main]
async fn main() {
    let routes = warp::any().map(|| "ok");
    warp::serve(routes).run(([0, 0, 0, 0], 3030)).await;
}
"#,
        ),
        (
            "tonic",
            "[dependencies]\ntokio = \"1\"\ntonic = \"0.12\"\n",
            r#"
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = "[::1]:50051".parse()?;
    tonic::transport::Server::builder()
        .add_service(greeter())
        .serve(addr)
        .await?;
    Ok(())
}
"#,
        ),
        (
            "hyper",
            "[dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\nhyper = { version = \"0.14\", features = [\"full\"] }\n",
            r#"
#[tokio::main]
async fn main() {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 3000));
    let make_svc = hyper::service::make_service_fn(|_conn| async { Ok::<_, std::convert::Infallible>(service()) });
    hyper::Server::bind(&addr).serve(make_svc).await.unwrap();
}
"#,
        ),
    ];
    for (name, deps, main) in cases {
        let s = Scratch::new(deps, &[("src/main.rs", main)]);
        let r = s.run(&["--unsafe-fixes", "--allow-no-vcs"]);
        assert!(r.stderr.contains("Fixed src/main.rs"), "{name}: {}", r.stderr);
        let main = s.read("src/main.rs");
        syn::parse_file(&main).unwrap();
        let manifest = s.read("Cargo.toml");
        insta::assert_snapshot!(format!("graceful_shutdown_{name}"), format!("{manifest}\n{main}"));
        assert!(
            !s.run(&["--unsafe-fixes", "--allow-no-vcs"]).stderr.contains("Fixed"),
            "{name}: a second run"
        );
    }
}

#[test]
fn log_to_file_writes_to_stdout() {
    let deps = "[dependencies]\ntracing-subscriber = \"0.3\"\ntracing-appender = \"0.2\"\nlog4rs = \"1\"\n";
    let s = Scratch::new(
        deps,
        &[(
            "src/main.rs",
            r#"
use log4rs::append::file::FileAppender;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let appender = tracing_appender::rolling::daily("/var/log/app", "app.log");
    let (writer, _guard) = tracing_appender::non_blocking(appender);
    tracing_subscriber::fmt().with_writer(writer).init();
    let file = std::fs::File::create("debug.log")?;
    tracing_subscriber::fmt().with_writer(std::sync::Arc::new(file)).init();
    let raw = std::fs::File::create("trace.log")?;
    let (_nb, _g) = tracing_appender::non_blocking(raw);
    let log = FileAppender::builder()
        .encoder(Box::new(log4rs::encode::pattern::PatternEncoder::new("{m}{n}")))
        .build("log/output.log")?;
    drop(log);
    serve(std::net::TcpListener::bind(("0.0.0.0", 8080))?);
    Ok(())
}

fn serve(listener: std::net::TcpListener) {
    for stream in listener.incoming() {
        drop(stream);
    }
}
"#,
        )],
    );
    let r = s.run(&["--allow-no-vcs"]);
    // Without `--unsafe-fixes`, only the writers whose type stays (and the port).
    assert!(r.stderr.contains("Fixed src/main.rs (3 fixes)"), "{}", r.stderr);
    let r = s.run(&["--unsafe-fixes", "--allow-no-vcs"]);
    assert!(r.stderr.contains("Fixed src/main.rs (2 fixes)"), "{}", r.stderr);
    insta::assert_snapshot!(s.read("src/main.rs"));
}

#[test]
fn manifest_fixes_pin_what_cargo_lock_holds() {
    let s = Scratch::new(
        "[dependencies]\nserde = \"*\"\nlog = { version = \">=0.4\", features = [\"std\"] }\ntower-x = { git = \"https://github.com/acme/tower-x\", branch = \"main\" }\nsqlx = { git = \"https://github.com/launchbadge/sqlx\", features = [\"postgres\"] }\n\n[target.'cfg(unix)'.dependencies.io-uring]\ngit = \"https://github.com/tokio-rs/io-uring\"\n",
        &[
            ("src/main.rs", "fn main() {}\n"),
            // The lock is not committed: it pins nothing for the next build.
            (".gitignore", "/target\nCargo.lock\n"),
            (
                "Cargo.lock",
                r#"version = 4

[[package]]
name = "scratch"
version = "0.1.0"

[[package]]
name = "serde"
version = "1.0.228"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "log"
version = "0.4.28"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "tower-x"
version = "0.1.0"
source = "git+https://github.com/acme/tower-x?branch=main#4f0e2a1c9d8b7a6f5e4d3c2b1a0f9e8d7c6b5a49"

[[package]]
name = "sqlx"
version = "0.8.0"
source = "git+https://github.com/launchbadge/sqlx#0123456789abcdef0123456789abcdef01234567"

[[package]]
name = "io-uring"
version = "0.7.0"
source = "git+https://github.com/tokio-rs/io-uring.git#89abcdef0123456789abcdef0123456789abcdef"
"#,
            ),
        ],
    );
    let r = s.run(&["--allow-no-vcs"]);
    assert!(r.stderr.contains("Fixed Cargo.toml (5 fixes)"), "{}", r.stderr);
    let manifest = s.read("Cargo.toml");
    manifest.parse::<toml::Table>().unwrap();
    insta::assert_snapshot!(manifest);
    assert_eq!(s.run(&["--allow-no-vcs"]).stderr.matches("Fixed").count(), 0);
}

#[test]
fn committed_env_file_is_ignored_and_listed_in_env_example() {
    let env =
        "DATABASE_URL=postgres://app:s3cr3tpw@db/app\nexport STRIPE_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dc\nDEBUG=\n";
    let s = Scratch::new("", &[("src/main.rs", "fn main() {}\n"), (".env", env)]);
    s.write(".gitignore", "/target");
    s.write(".env.example", "DATABASE_URL=\n");
    s.commit_all();
    let r = s.run(&[]);
    assert!(r.stderr.contains("Fixed .env.example (1 fix)"), "{}", r.stderr);
    assert!(r.stderr.contains("Fixed .gitignore (1 fix)"), "{}", r.stderr);
    assert_eq!(s.read(".gitignore"), "/target\n.env\n");
    assert_eq!(s.read(".env.example"), "DATABASE_URL=\nSTRIPE_KEY=\nDEBUG=\n");
    assert_eq!(s.read(".env"), env, "the .env stays as it was");
    // Still tracked: the finding stays, with nothing left to fix.
    assert!(
        r.stderr.contains("`.env` with 2 values is committed to git"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("sk_live_4eC39"), "no secret in the output");
    s.git(&["add", "-A"]);
    s.git(&["commit", "-q", "-m", "fixed"]);
    assert!(!s.run(&[]).stderr.contains("Fixed"));
}

#[test]
fn no_vcs_is_refused_in_cargos_words() {
    let main = "fn main() { serve(std::net::TcpListener::bind((\"0.0.0.0\", 8080)).unwrap()); }\n";
    let s = Scratch::new("", &[("src/main.rs", &format!("{main}{SERVE}"))]);
    let r = s.run(&[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(
            "error: no VCS found for this package and `cargo twelve fix` can potentially perform destructive changes; if you'd like to suppress this error pass `--allow-no-vcs`"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(s.read("src/main.rs"), format!("{main}{SERVE}"));
    let r = s.run(&["--allow-no-vcs"]);
    assert!(r.stderr.contains("Fixed src/main.rs (1 fix)"), "{}", r.stderr);
}

/// A committed crate with one machine-applicable fix in `src/main.rs`.
fn committed() -> Scratch {
    let main = "fn main() { serve(std::net::TcpListener::bind((\"0.0.0.0\", 8080)).unwrap()); }\n";
    let s = Scratch::new("", &[("src/main.rs", &format!("{main}{SERVE}")), ("src/other.rs", "")]);
    s.write(".gitignore", "/target\nCargo.lock\n");
    s.commit_all();
    s
}

const DIRTY: &str = "error: the working directory of this package has uncommitted changes, and `cargo twelve fix` can potentially perform destructive changes; if you'd like to suppress this error pass `--allow-dirty`, `--allow-staged`, or commit the changes to these files:\n\n";

#[test]
fn dirty_files_it_would_touch_are_refused() {
    let s = committed();
    let before = format!("{}// work in progress\n", s.read("src/main.rs"));
    s.write("src/main.rs", &before);
    let r = s.run(&[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(&format!("{DIRTY}  * src/main.rs (dirty)\n")),
        "{}",
        r.stderr
    );
    assert_eq!(s.read("src/main.rs"), before);
    // `--allow-staged` does not cover a dirty file.
    assert_eq!(s.run(&["--allow-staged"]).code, 2);
    let r = s.run(&["--allow-dirty"]);
    assert!(r.stderr.contains("Fixed src/main.rs (1 fix)"), "{}", r.stderr);
}

#[test]
fn staged_files_it_would_touch_are_refused() {
    let s = committed();
    let before = format!("{}// staged\n", s.read("src/main.rs"));
    s.write("src/main.rs", &before);
    s.git(&["add", "src/main.rs"]);
    let r = s.run(&[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(&format!("{DIRTY}  * src/main.rs (staged)\n")),
        "{}",
        r.stderr
    );
    assert_eq!(s.run(&["--allow-dirty"]).code, 2);
    let r = s.run(&["--allow-staged"]);
    assert!(r.stderr.contains("Fixed src/main.rs (1 fix)"), "{}", r.stderr);
}

#[test]
fn untracked_files_count_as_dirty_and_other_changes_do_not_matter() {
    let s = committed();
    s.write("src/other.rs", "// changed, but no fix touches it\n");
    let r = s.run(&[]);
    assert!(r.stderr.contains("Fixed src/main.rs (1 fix)"), "{}", r.stderr);

    let s = Scratch::new("", &[("src/main.rs", "fn main() {}\n")]);
    s.commit_all();
    let main = "fn main() { serve(std::net::TcpListener::bind((\"0.0.0.0\", 8080)).unwrap()); }\n";
    s.write("src/bin/new.rs", &format!("{main}{SERVE}"));
    let r = s.run(&[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("  * src/bin/new.rs (dirty)\n"), "{}", r.stderr);
    assert!(
        s.run(&["--allow-dirty", "--allow-staged"])
            .stderr
            .contains("Fixed src/bin/new.rs")
    );
}

#[test]
fn a_second_run_is_a_no_op() {
    let s = committed();
    let first = s.run(&[]);
    assert!(first.stderr.contains("Fixed src/main.rs (1 fix)"), "{}", first.stderr);
    let after = s.read("src/main.rs");
    let example = s.read(".env.example");
    assert_eq!(example, "PORT=\n");
    s.git(&["add", "-A"]);
    s.git(&["commit", "-q", "-m", "fixed"]);
    let second = s.run(&[]);
    assert!(!second.stderr.contains("Fixed"), "{}", second.stderr);
    assert_eq!(s.read("src/main.rs"), after);
    assert_eq!(s.read(".env.example"), example);
}

#[cfg(unix)]
#[test]
fn permissions_are_kept_and_new_files_are_readable() {
    use std::os::unix::fs::PermissionsExt;
    let s = committed();
    let main = s.path().join("src/main.rs");
    std::fs::set_permissions(&main, std::fs::Permissions::from_mode(0o640)).unwrap();
    let r = s.run(&["--allow-dirty"]);
    assert!(r.stderr.contains("Fixed src/main.rs (1 fix)"), "{}", r.stderr);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&main), 0o640);
    assert_eq!(mode(&s.path().join(".env.example")), 0o644);
    // Only the two files: no temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(s.path().join("src"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
}

#[test]
fn diff_prints_a_unified_diff_and_changes_nothing() {
    let s = committed();
    let before = s.read("src/main.rs");
    let r = s.run(&["--diff"]);
    assert!(
        r.stdout
            .starts_with("--- /dev/null\n+++ b/.env.example\n@@ -0,0 +1 @@\n+PORT=\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("--- a/src/main.rs\n+++ b/src/main.rs\n@@ -1,4 +1,4 @@\n-fn main()"),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("Would fix src/main.rs (1 fix)"), "{}", r.stderr);
    assert_eq!(s.read("src/main.rs"), before);
    assert!(!s.exists(".env.example"));
    // Nothing is written, so no guard is needed.
    let bare = Scratch::new("", &[("src/main.rs", &before)]);
    assert!(bare.run(&["--diff"]).stdout.contains("+++ b/src/main.rs"));
}

#[test]
fn secrets_stay_masked_in_the_diff() {
    let main = "fn main() {\n    let api_key = \"sk_live_4eC39HqLyjWDarjtT1zdp7dc\".to_string();\n    println!(\"{api_key}\");\n}\n";
    let s = Scratch::new("", &[("src/main.rs", main)]);
    let r = s.run(&["--diff"]);
    assert!(r.stdout.contains("-    let api_key = \"sk_l****"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("+    let api_key = std::env::var(\"API_KEY\").expect(\"API_KEY must be set\");"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("4eC39HqLyjWDarjtT1zdp7dc") && !r.stderr.contains("4eC39HqLyjWDarjtT1zdp7dc"));
}

#[test]
fn the_exit_status_follows_check_for_what_remains() {
    let s = committed();
    // The port is fixed; the missing SIGTERM handler remains.
    let r = s.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("warning[twelve::missing_signal_handler]"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("twelve::hardcoded_port"), "{}", r.stderr);

    let clean = Scratch::new("", &[("src/lib.rs", "pub fn greet() -> &'static str { \"hello\" }\n")]);
    let r = clean.run(&["--allow-no-vcs"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn has_placeholders_and_maybe_incorrect_are_not_applied_by_default() {
    let main = "fn main() {\n    let stage = option_env!(\"STAGE\");\n    println!(\"{stage:?}\");\n    serve(std::net::TcpListener::bind((\"0.0.0.0\", 8080)).unwrap());\n}\n";
    let s = Scratch::new("", &[("src/main.rs", &format!("{main}{SERVE}"))]);
    let r = s.run(&["--allow-no-vcs"]);
    assert!(r.stderr.contains("Fixed src/main.rs (1 fix)"), "{}", r.stderr);
    assert!(s.read("src/main.rs").contains("option_env!(\"STAGE\")"));
    assert!(
        r.stderr.contains("help: read `STAGE` when the process starts"),
        "{}",
        r.stderr
    );
}

/// rustfix, fed `check`'s JSON, makes the edits `fix` makes with the
/// machine-applicable suggestions.
#[test]
fn rustfix_and_fix_agree_on_machine_applicable_suggestions() {
    let main = r#"
fn load() -> Result<String, Box<dyn std::error::Error>> {
    let github_token = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789".to_string();
    let jwt = std::env::var("JWT_SECRET").unwrap_or("dev-secret-value".into());
    Ok(github_token + &jwt)
}

fn main() {
    let db_password = match std::env::var("DB_PASSWORD") {
        Ok(v) => v,
        Err(_) => "hunter2hunter2".to_string(),
    };
    println!("{db_password} {:?}", load().ok());
    serve(std::net::TcpListener::bind(("0.0.0.0", 8080)).unwrap());
}
"#;
    let source = format!("{main}{SERVE}");
    let s = Scratch::new("", &[("src/main.rs", &source)]);
    let json = run(&s.path(), &["--message-format=json"]).stdout;
    let diagnostics: String = json
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["reason"] == "compiler-message")
        .map(|v| v["message"].to_string() + "\n")
        .collect();
    let only = std::collections::HashSet::new();
    let suggestions =
        rustfix::get_suggestions_from_json(&diagnostics, &only, rustfix::Filter::MachineApplicableOnly).unwrap();
    let in_main: Vec<_> = suggestions
        .into_iter()
        .filter(|s| s.solutions[0].replacements[0].snippet.file_name == "src/main.rs")
        .collect();
    assert_eq!(in_main.len(), 4);
    let by_rustfix = rustfix::apply_suggestions(&source, &in_main).unwrap();
    let r = s.run(&["--allow-no-vcs"]);
    assert!(r.stderr.contains("Fixed src/main.rs (4 fixes)"), "{}", r.stderr);
    assert_eq!(s.read("src/main.rs"), by_rustfix);
    s.assert_builds();
}

/// Every rule `rules` marks fixable has a machine-applicable suggestion
/// in these tests' crates, and no other rule has one.
#[test]
fn rules_marks_the_rules_with_machine_applicable_fixes() {
    let listed = run(Path::new("."), &["rules", "--format", "json"]).stdout;
    let rules: Vec<serde_json::Value> = serde_json::from_str(&listed).unwrap();
    let fixable: std::collections::BTreeSet<String> = rules
        .iter()
        .filter(|r| r["fixable"] == true)
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    let expected: std::collections::BTreeSet<String> = [
        "committed_env_file",
        "hardcoded_port",
        "hardcoded_secret",
        "log_to_file",
        "secret_fallback",
        "unpinned_git_dependency",
        "wildcard_dependency",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(fixable, expected);
    for name in &expected {
        let explained = run(Path::new("."), &["explain", name]).stdout;
        assert!(explained.contains("### Fix"), "`explain {name}` says what the fix does");
    }
}

mod engine {
    //! The fix engine on its own: planning, overlaps, verification and
    //! rollback.

    use std::sync::Arc;

    use cargo_twelve::diagnostic::{Applicability, Diagnostic, Edit, Severity, Span};
    use cargo_twelve::fix::{self, Request};
    use cargo_twelve::source::SourceFile;

    fn file(dir: &std::path::Path, name: &str, text: &str) -> Arc<SourceFile> {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        Arc::new(SourceFile::new(path, text.to_string()))
    }

    /// A finding on `file` whose suggestion replaces each `(range, text)`.
    fn finding(file: &Arc<SourceFile>, edits: &[(std::ops::Range<usize>, &str)]) -> Diagnostic {
        let mut d = Diagnostic::new("probe", Severity::Warning, Span::new(file.clone(), 0..1), "probe");
        d.suggest(
            "probe",
            edits
                .iter()
                .map(|(r, t)| Edit {
                    span: Span::new(file.clone(), r.clone()),
                    replacement: t.to_string(),
                })
                .collect(),
            Applicability::MachineApplicable,
        );
        d
    }

    #[test]
    fn invalid_code_is_never_written_and_every_file_stays_byte_identical() {
        let dir = tempfile::tempdir().unwrap();
        let good = "fn a() -> u16 { 8080 }\n";
        let bad = "fn b() { let x = 1; }\n";
        let a = file(dir.path(), "a.rs", good);
        let b = file(dir.path(), "b.rs", bad);
        let toml_text = "[package]\nname = \"x\"\n";
        let t = file(dir.path(), "Cargo.toml", toml_text);
        let findings = vec![
            finding(&a, &[(16..20, "8081")]),
            // `let x = 1 +;` does not parse.
            finding(&b, &[(18..19, "1 +")]),
            finding(&t, &[(17..20, "\"y\"")]),
        ];
        let plan = fix::plan(&findings, Request::default(), &dir.path().join(".env.example"));
        assert_eq!(plan.changes.len(), 3);
        let err = plan.apply().unwrap_err().to_string();
        assert!(err.contains("b.rs") && err.contains("no file was changed"), "{err}");
        assert_eq!(std::fs::read(dir.path().join("a.rs")).unwrap(), good.as_bytes());
        assert_eq!(std::fs::read(dir.path().join("b.rs")).unwrap(), bad.as_bytes());
        assert_eq!(
            std::fs::read(dir.path().join("Cargo.toml")).unwrap(),
            toml_text.as_bytes()
        );

        // A TOML file that stops parsing is refused the same way.
        let broken = vec![finding(&t, &[(17..20, "\"y")])];
        let plan = fix::plan(&broken, Request::default(), &dir.path().join(".env.example"));
        assert!(plan.apply().is_err());
        assert_eq!(
            std::fs::read(dir.path().join("Cargo.toml")).unwrap(),
            toml_text.as_bytes()
        );
    }

    #[test]
    fn a_failed_write_puts_back_the_files_already_written() {
        let dir = tempfile::tempdir().unwrap();
        let good = "fn a() -> u16 { 8080 }\n";
        let a = file(dir.path(), "a.rs", good);
        let mut plan = fix::plan(
            &[finding(&a, &[(16..20, "8081")])],
            Request::default(),
            &dir.path().join(".env.example"),
        );
        // A directory stands where the second file would be written.
        std::fs::create_dir(dir.path().join("z.rs")).unwrap();
        let mut blocked = plan.changes[0].clone();
        blocked.path = dir.path().join("z.rs");
        plan.changes.push(blocked);
        let err = plan.apply().unwrap_err().to_string();
        assert!(err.contains("every file was restored"), "{err}");
        assert_eq!(std::fs::read(dir.path().join("a.rs")).unwrap(), good.as_bytes());
    }

    #[test]
    fn overlapping_suggestions_are_skipped_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let text = "fn a() -> (u16, u16) { (8080, 9090) }\n";
        let a = file(dir.path(), "a.rs", text);
        let findings = vec![
            finding(&a, &[(24..28, "1")]),
            finding(&a, &[(26..34, "2, 3")]),
            finding(&a, &[(30..34, "4")]),
            // The same edit twice is made once.
            finding(&a, &[(30..34, "4")]),
        ];
        let plan = fix::plan(&findings, Request::default(), &dir.path().join(".env.example"));
        assert_eq!(plan.skipped.len(), 1);
        assert_eq!(plan.skipped[0].reason, "it overlaps another fix");
        assert_eq!(plan.changes[0].after, "fn a() -> (u16, u16) { (1, 4) }\n");
        assert_eq!(plan.changes[0].fixes, 3);
    }

    #[test]
    fn a_file_changed_since_the_check_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let a = file(dir.path(), "a.rs", "fn a() -> u16 { 8080 }\n");
        std::fs::write(dir.path().join("a.rs"), "fn a() -> u16 { 9090 }\n").unwrap();
        let plan = fix::plan(
            &[finding(&a, &[(16..20, "8081")])],
            Request::default(),
            &dir.path().join(".env.example"),
        );
        assert!(plan.changes.is_empty());
        assert!(plan.skipped[0].reason.contains("changed since it was checked"));
    }

    #[test]
    fn applicability_decides_what_is_applied() {
        let safe = Request::default();
        let all = Request { unsafe_fixes: true };
        assert!(safe.applies(Applicability::MachineApplicable));
        assert!(!safe.applies(Applicability::MaybeIncorrect));
        assert!(all.applies(Applicability::MaybeIncorrect));
        assert!(!all.applies(Applicability::HasPlaceholders));
        assert!(!all.applies(Applicability::Unspecified));
    }
}

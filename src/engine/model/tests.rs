//! The service model on whole workspaces written the way real ones are:
//! several crates, renamed dependencies, re-exports, clap subcommands,
//! shutdown flags and configuration overrides. `filesystem_write` is the
//! probe: it is scoped to code a service runs.

use crate::engine::EntryKind;
use crate::rules::processes::filesystem_write::FilesystemWrite;
use crate::test_support::check_workspace;

const ROOT: &str = "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n";

fn manifest(name: &str, extra: &str) -> String {
    format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n{extra}\n")
}

/// `file:line` of each finding, and its notes.
fn found(files: &[(&str, &str)]) -> Vec<String> {
    let outcome = check_workspace(&[&FilesystemWrite], files);
    outcome
        .diagnostics
        .iter()
        .filter(|d| d.code == "filesystem_write")
        .map(|d| {
            // Relative to the scratch directory `/tmp/.tmpXXXX/`.
            let path = d.span.path().to_string_lossy().replace('\\', "/");
            let tmp = path.find("/.tmp").map_or(0, |i| i + 1);
            let at = path[tmp..]
                .split_once('/')
                .map_or(path.as_str(), |(_, rest)| rest)
                .to_string();
            let notes: Vec<&str> = d
                .notes
                .iter()
                .filter(|n| n.starts_with("runs in"))
                .map(String::as_str)
                .collect();
            format!("{at}:{} {}", d.span.start().line, notes.join(" | "))
                .trim_end()
                .to_string()
        })
        .collect()
}

fn entries(files: &[(&str, &str)]) -> Vec<(String, EntryKind)> {
    let outcome = check_workspace(&[&FilesystemWrite], files);
    outcome
        .model
        .entries()
        .iter()
        .map(|e| (e.name.clone(), e.kind))
        .collect()
}

const DB_LIB: &str = r#"//! Storage shared by the server and the admin CLI.
mod blobs;

pub use blobs::save_upload;
pub use blobs::{export as export_all};

pub fn untouched() {
    std::fs::write("never-called.bin", b"x").unwrap();
}
"#;

const DB_BLOBS: &str = r#"use std::fs;
use std::path::PathBuf;

pub fn save_upload(name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let path = PathBuf::from("uploads").join(name);
    fs::write(&path, bytes)?;
    Ok(path)
}

pub fn export(to: &str) -> std::io::Result<()> {
    fs::write(to, b"dump")
}
"#;

const SERVER: &str = r#"use axum::{routing::post, Router};
use storage::save_upload;

async fn upload(body: axum::body::Bytes) -> &'static str {
    save_upload("a.bin", &body).unwrap();
    "ok"
}

#[tokio::main]
async fn main() {
    let app = Router::new().route("/upload", post(upload));
    let port = std::env::var("PORT").unwrap();
    let listener = tokio::net::TcpListener::bind(format!("0.0.0.0:{port}")).await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
"#;

const ADMIN: &str = r#"fn main() {
    let to = std::env::args().nth(1).unwrap_or_else(|| "dump.bin".into());
    app_db::export_all(&to).unwrap();
    std::fs::write("admin.log", b"done").unwrap();
}
"#;

fn workspace() -> Vec<(&'static str, String)> {
    vec![
        ("Cargo.toml", ROOT.to_string()),
        ("crates/app-db/Cargo.toml", manifest("app-db", "")),
        ("crates/app-db/src/lib.rs", DB_LIB.to_string()),
        ("crates/app-db/src/blobs.rs", DB_BLOBS.to_string()),
        (
            "crates/server/Cargo.toml",
            manifest(
                "server",
                "[dependencies]\naxum = \"0.8\"\ntokio = \"1\"\nstorage = { package = \"app-db\", path = \"../app-db\" }\n",
            ),
        ),
        ("crates/server/src/main.rs", SERVER.to_string()),
        (
            "crates/admin/Cargo.toml",
            manifest("admin", "[dependencies]\napp-db = { path = \"../app-db\" }\n"),
        ),
        ("crates/admin/src/main.rs", ADMIN.to_string()),
        ("crates/xtask/Cargo.toml", manifest("xtask", "")),
        (
            "crates/xtask/src/main.rs",
            "fn main() { loop { std::fs::write(\"target/dist.tar\", b\"x\").unwrap(); } }\n".to_string(),
        ),
    ]
}

fn borrowed<'a>(files: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    files.iter().map(|(p, t)| (*p, t.as_str())).collect()
}

#[test]
fn library_code_a_service_runs_through_a_renamed_dependency_and_a_re_export() {
    let files = workspace();
    assert_eq!(
        found(&borrowed(&files)),
        [
            "crates/app-db/src/blobs.rs:6 runs in service binary `server`: main → server::upload → app_db::blobs::save_upload"
        ]
    );
}

#[test]
fn entry_points_are_classified() {
    let files = workspace();
    let mut got = entries(&borrowed(&files));
    got.sort();
    assert_eq!(
        got,
        [
            ("admin".to_string(), EntryKind::OneShot),
            ("server".to_string(), EntryKind::Service),
            ("xtask".to_string(), EntryKind::DevTool),
        ]
    );
}

#[test]
fn configuration_overrides_the_verdicts() {
    let mut files = workspace();
    files[0]
        .1
        .push_str("\n[workspace.metadata.twelve]\nservices = [\"admin\"]\none_shot = [\"server\"]\n");
    let mut got = found(&borrowed(&files));
    got.sort();
    assert_eq!(
        got,
        [
            "crates/admin/src/main.rs:4",
            "crates/app-db/src/blobs.rs:11 runs in service binary `admin`: main → app_db::blobs::export"
        ]
    );
}

#[test]
fn scope_all_reports_everywhere() {
    let mut files = workspace();
    files[0].1.push_str("\n[workspace.metadata.twelve]\nscope = \"all\"\n");
    assert_eq!(found(&borrowed(&files)).len(), 5);
    let mut files = workspace();
    files[0]
        .1
        .push_str("\n[workspace.metadata.twelve.filesystem_write]\nscope = \"all\"\n");
    assert_eq!(found(&borrowed(&files)).len(), 5);
}

#[test]
fn a_library_only_workspace_reports_nothing() {
    let files = [
        ("Cargo.toml", ROOT),
        (
            "crates/app-db/Cargo.toml",
            "[package]\nname = \"app-db\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        ("crates/app-db/src/lib.rs", DB_LIB),
        ("crates/app-db/src/blobs.rs", DB_BLOBS),
    ];
    assert_eq!(found(&files), Vec::<String>::new());
}

const SUBCOMMANDS: &str = r#"use clap::{Parser, Subcommand};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Subcommand)]
enum Commands {
    /// Run the HTTP server.
    Serve { port: u16 },
    /// Print the JSON schema of the API.
    ExportSchema,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    std::fs::write("last-run.txt", b"x")?;
    match cli.command {
        Commands::Serve { port } => serve(port).await,
        Commands::ExportSchema => {
            std::fs::write("schema.json", schema())?;
            Ok(())
        }
    }
}

fn schema() -> String {
    String::new()
}

async fn serve(port: u16) -> anyhow::Result<()> {
    std::fs::write("cache/warm", b"")?;
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", port)).await?;
    axum::serve(listener, axum::Router::new()).await?;
    Ok(())
}
"#;

#[test]
fn each_subcommand_is_an_entry_point() {
    let files = [
        ("Cargo.toml", "[workspace]\nmembers = [\"app\"]\n"),
        (
            "app/Cargo.toml",
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        ("app/src/main.rs", SUBCOMMANDS),
    ];
    let mut got = entries(&files);
    got.sort();
    assert_eq!(
        got,
        [
            // Run without a subcommand, it only parses its arguments.
            ("app".to_string(), EntryKind::OneShot),
            ("app export-schema".to_string(), EntryKind::OneShot),
            ("app serve".to_string(), EntryKind::Service),
        ]
    );
    let lines: Vec<String> = found(&files)
        .iter()
        .map(|f| f.split(' ').next().unwrap().to_string())
        .collect();
    // The write before the dispatch runs for `serve` too; `export-schema`'s
    // own write does not run in the service.
    assert_eq!(lines, ["app/src/main.rs:20", "app/src/main.rs:35"]);
}

#[test]
fn a_listener_loop_that_stops_on_a_shutdown_flag_is_a_server() {
    let main = r#"use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn main() -> std::io::Result<()> {
    let running = Arc::new(AtomicBool::new(true));
    let r = running.clone();
    ctrlc::set_handler(move || r.store(false, Ordering::SeqCst)).unwrap();
    let listener = TcpListener::bind(std::env::var("ADDR").unwrap())?;
    for stream in listener.incoming() {
        if !running.load(Ordering::SeqCst) {
            break;
        }
        let _ = stream?;
        std::fs::write("seen.log", b"x")?;
    }
    Ok(())
}
"#;
    let oauth = r#"use std::net::TcpListener;

fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    for stream in listener.incoming() {
        let _ = stream?;
        std::fs::write("token.json", b"{}")?;
        return Ok(());
    }
    Ok(())
}
"#;
    // kanidm_unixd: a `select!` that leaves when a broadcast says stop.
    let daemon = r#"use tokio::net::UnixListener;

#[tokio::main]
async fn main() {
    let (tx, mut broadcast_rx) = tokio::sync::broadcast::channel::<bool>(4);
    let listener = UnixListener::bind(std::env::var("SOCK").unwrap()).unwrap();
    loop {
        tokio::select! {
            biased;
            _ = broadcast_rx.recv() => {
                break;
            }
            accept_res = listener.accept() => {
                if let Ok((socket, _)) = accept_res {
                    std::fs::write("clients.log", b"x").unwrap();
                    drop(socket);
                }
            }
        }
    }
    drop(tx);
}
"#;
    // One connection, then the `accept` branch leaves.
    let once = r#"#[tokio::main]
async fn main() {
    let listener = tokio::net::TcpListener::bind(std::env::var("ADDR").unwrap()).await.unwrap();
    loop {
        tokio::select! {
            Ok((socket, _)) = listener.accept() => {
                drop(socket);
                break;
            }
            _ = tokio::time::sleep(std::time::Duration::from_secs(30)) => return,
        }
    }
}
"#;
    let files = [
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"relay\", \"login\", \"unixd\", \"once\"]\n",
        ),
        ("unixd/Cargo.toml", &manifest("unixd", "")),
        ("unixd/src/main.rs", daemon),
        ("once/Cargo.toml", &manifest("once", "")),
        ("once/src/main.rs", once),
        (
            "relay/Cargo.toml",
            "[package]\nname = \"relay\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        ("relay/src/main.rs", main),
        (
            "login/Cargo.toml",
            "[package]\nname = \"login\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        ("login/src/main.rs", oauth),
    ];
    let mut got = entries(&files);
    got.sort();
    assert_eq!(
        got,
        [
            ("login".to_string(), EntryKind::OneShot),
            ("once".to_string(), EntryKind::OneShot),
            ("relay".to_string(), EntryKind::Service),
            ("unixd".to_string(), EntryKind::Service),
        ]
    );
    // The relay's write; the Unix-socket daemon's files are its host's.
    assert_eq!(found(&files).len(), 1);
}

#[test]
fn a_daemon_loop_in_a_helper_of_main_that_ends_on_a_signal_is_a_service() {
    let daemon = r#"use tokio::sync::broadcast;

async fn driver_main(interval: u64) -> Result<(), ()> {
    let (broadcast_tx, mut broadcast_rx) = broadcast::channel::<()>(1);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(interval)).await;
            std::fs::write("last-check", b"x").ok();
        }
    });
    loop {
        tokio::select! {
            _ = broadcast_rx.recv() => {
                // stop the event loop!
                break;
            }
            Ok(()) = tokio::signal::ctrl_c() => {
                break
            }
        }
    }
    let _ = broadcast_tx.send(());
    Ok(())
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _ = rt.block_on(async { driver_main(60).await });
}
"#;
    // A prompt that leaves on the user's word is not a daemon.
    let prompt = r#"fn repl() {
    let mut line = String::new();
    loop {
        line.clear();
        std::io::stdin().read_line(&mut line).unwrap();
        if line.trim() == "quit" {
            break;
        }
        std::fs::write("history", line.as_bytes()).unwrap();
    }
}

fn main() {
    repl();
}
"#;
    let files = [
        ("Cargo.toml", "[workspace]\nmembers = [\"mailer\", \"shell\"]\n"),
        (
            "mailer/Cargo.toml",
            &manifest("mailer", "[dependencies]\ntokio = \"1\"\n"),
        ),
        ("mailer/src/main.rs", daemon),
        ("shell/Cargo.toml", &manifest("shell", "")),
        ("shell/src/main.rs", prompt),
    ];
    let mut got = entries(&files);
    got.sort();
    assert_eq!(
        got,
        [
            ("mailer".to_string(), EntryKind::Service),
            ("shell".to_string(), EntryKind::OneShot),
        ]
    );
}

#[test]
fn methods_follow_the_receiver_type_and_ambiguous_names_are_not_guessed() {
    let lib = r#"pub struct Listener { pub addr: String }
pub struct Exporter;

impl Listener {
    pub async fn run(&self) -> std::io::Result<()> {
        let listener = tokio::net::TcpListener::bind(&self.addr).await?;
        loop {
            let _ = listener.accept().await?;
            std::fs::write("served.log", b"x")?;
        }
    }
}

impl Exporter {
    pub fn new() -> Self { Exporter }
    pub fn run(&self) -> std::io::Result<()> { std::fs::write("export.json", b"{}") }
}
"#;
    let main = r#"use relay::{Exporter, Listener};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let server = Listener { addr: std::env::var("ADDR").unwrap() };
    server.run().await
}

#[allow(dead_code)]
fn export() -> std::io::Result<()> {
    Exporter::new().run()
}
"#;
    let files = [
        ("Cargo.toml", "[workspace]\nmembers = [\"relay\"]\n"),
        (
            "relay/Cargo.toml",
            "[package]\nname = \"relay\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        ("relay/src/lib.rs", lib),
        ("relay/src/main.rs", main),
    ];
    assert_eq!(entries(&files), [("relay".to_string(), EntryKind::Service)]);
    // `server.run()` is `Listener::run` (a struct literal bound to a local);
    // `Exporter::run` is not reached, though another `run` is.
    let got: Vec<String> = found(&files)
        .iter()
        .map(|f| f.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(got, ["relay/src/lib.rs:9"]);
}

const LINK_SERVER_LIB: &str = r#"use actix_web::{web, App, HttpServer};
use clap::{Parser, Subcommand};

#[derive(Parser)]
pub struct CmdArgs {
    #[command(subcommand)]
    subcommand: Option<CmdSubcommand>,
    #[arg(long)]
    disable_http_server: bool,
}

#[derive(Subcommand)]
enum CmdSubcommand {
    /// Do something with migrations, then exit.
    Migration {
        #[command(subcommand)]
        subcommand: MigrationSubcommand,
    },
}

#[derive(Subcommand, PartialEq, Eq)]
enum MigrationSubcommand {
    Run,
    Revert,
}

pub async fn start_server(args: CmdArgs) -> std::io::Result<()> {
    if let Some(CmdSubcommand::Migration { subcommand }) = args.subcommand {
        match subcommand {
            MigrationSubcommand::Run => std::fs::write("migrated.stamp", b"up")?,
            MigrationSubcommand::Revert => std::fs::remove_file("migrated.stamp")?,
        }
        return Ok(());
    }
    std::fs::create_dir_all("media")?;
    if !args.disable_http_server {
        HttpServer::new(|| App::new().route("/", web::get().to(|| async { "ok" })))
            .bind(("0.0.0.0", 8536))?
            .run()
            .await?;
    }
    Ok(())
}
"#;

const LINK_SERVER_MAIN: &str = r#"use clap::Parser;
use link_server::{start_server, CmdArgs};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    start_server(CmdArgs::parse()).await
}
"#;

#[test]
fn an_if_let_subcommand_is_an_entry_and_the_run_without_one_is_the_service() {
    let files = [
        ("Cargo.toml", "[workspace]\nmembers = [\"server\"]\n"),
        ("server/Cargo.toml", &manifest("link_server", "")),
        ("server/src/lib.rs", LINK_SERVER_LIB),
        ("server/src/main.rs", LINK_SERVER_MAIN),
    ];
    let mut got = entries(&files);
    got.sort();
    assert_eq!(
        got,
        [
            ("link_server".to_string(), EntryKind::Service),
            ("link_server migration".to_string(), EntryKind::OneShot),
        ]
    );
    // The migration subcommand's writes run and exit; the server's run.
    let lines: Vec<String> = found(&files)
        .iter()
        .map(|f| f.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(lines, ["server/src/lib.rs:35"]);
}

const MULTIPLEXER_MAIN: &str = r#"use clap::{Parser, Subcommand};

#[derive(Parser)]
struct CliArgs {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Share sessions in the browser.
    Web { port: Option<u16> },
    /// List sessions.
    ListSessions,
}

fn main() {
    let opts = CliArgs::parse();
    if let Some(Command::ListSessions) = opts.command {
        println!("no sessions");
        std::process::exit(0);
    }
    if let Some(Command::Web { port }) = opts.command {
        web::start_web_server(port.unwrap_or(8082));
    } else {
        std::fs::write("session.layout", b"tabs").unwrap();
    }
}

mod web {
    pub fn start_web_server(port: u16) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
            std::fs::write("web-tokens.db", b"").unwrap();
            axum::serve(listener, axum::Router::new()).await.unwrap();
        });
    }
}
"#;

#[test]
fn a_terminal_programs_server_mode_is_not_a_deployed_service() {
    let terminal = manifest("mux", "[dependencies]\ncrossterm = \"0.29\"\nclap = \"4\"\n");
    let plain = manifest("mux", "[dependencies]\nclap = \"4\"\n");
    for (manifest, web) in [(&terminal, EntryKind::OneShot), (&plain, EntryKind::Service)] {
        let files = [
            ("Cargo.toml", "[workspace]\nmembers = [\"mux\"]\n"),
            ("mux/Cargo.toml", manifest.as_str()),
            ("mux/src/main.rs", MULTIPLEXER_MAIN),
        ];
        let mut got = entries(&files);
        got.sort();
        assert_eq!(
            got,
            [
                ("mux".to_string(), EntryKind::OneShot),
                ("mux list-sessions".to_string(), EntryKind::OneShot),
                ("mux web".to_string(), web),
            ],
            "{manifest}"
        );
        let lines: Vec<String> = found(&files)
            .iter()
            .map(|f| f.split(' ').next().unwrap().to_string())
            .collect();
        // The session layout is written only by the plain run.
        let expected: &[&str] = if web == EntryKind::Service {
            &["mux/src/main.rs:35"]
        } else {
            &[]
        };
        assert_eq!(lines, expected, "{manifest}");
    }
}

#[test]
fn fuzzers_load_testers_build_tools_and_integration_test_binaries_are_dev_tools() {
    let endless = r#"fn main() {
    loop {
        std::fs::write("corpus/last.bin", b"x").unwrap();
    }
}
"#;
    let files = [
        ("Cargo.toml", ROOT),
        ("crates/fuzzers/Cargo.toml", &manifest("fuzzers", "")),
        ("crates/fuzzers/src/bin/fuzz-indexing.rs", endless),
        (
            "crates/tests-integration/Cargo.toml",
            &manifest("tests-integration", ""),
        ),
        ("crates/tests-integration/src/bin/test-mem.rs", endless),
        (
            "crates/orca/Cargo.toml",
            &manifest("orca", "").replace(
                "[package]\n",
                "[package]\ndescription = \"Orca - load testing for LDAP\"\n",
            ),
        ),
        ("crates/orca/src/main.rs", endless),
        (
            "crates/pinger/Cargo.toml",
            &manifest("pinger", "").replace(
                "[package]\n",
                "[package]\ndescription = \"A pinger that beats every benchmark\"\n",
            ),
        ),
        ("crates/pinger/src/main.rs", endless),
        (
            "crates/sccache/Cargo.toml",
            &manifest("sccache", "").replace(
                "[package]\n",
                "[package]\ndescription = \"Sccache is a ccache-like tool. It is used as a compiler wrapper.\"\n",
            ),
        ),
        ("crates/sccache/src/main.rs", endless),
    ];
    let mut got = entries(&files);
    got.sort();
    assert_eq!(
        got,
        [
            ("fuzz-indexing".to_string(), EntryKind::DevTool),
            ("orca".to_string(), EntryKind::DevTool),
            ("pinger".to_string(), EntryKind::Service),
            ("sccache".to_string(), EntryKind::DevTool),
            ("test-mem".to_string(), EntryKind::DevTool),
        ]
    );
    let lines: Vec<String> = found(&files)
        .iter()
        .map(|f| f.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(lines, ["crates/pinger/src/main.rs:3"]);
}

const IDM_OPT: &str = r#"#[derive(Debug, Parser)]
struct IdmParser {
    #[clap(subcommand)]
    commands: IdmOpt,
}

#[derive(Debug, Subcommand)]
enum ScriptingCommand {
    RecoverAccount { name: String },
    Backup { path: String },
}

// clap's `Parser` on an enum: its variants are subcommands.
#[derive(Debug, Parser, Clone)]
enum IdmOpt {
    Server,
    Version,
    CertGenerate,
    Scripting {
        #[clap(subcommand)]
        command: ScriptingCommand,
    },
}
"#;

const IDM_MAIN: &str = r#"use clap::{Parser, Subcommand};

include!("./opt.rs");

async fn scripting_command(cmd: ScriptingCommand) {
    match cmd {
        ScriptingCommand::RecoverAccount { name } => println!("recovered {name}"),
        ScriptingCommand::Backup { path } => std::fs::write(path, b"dump").unwrap(),
    }
}

fn main() {
    let opt = IdmParser::parse();
    if let IdmOpt::Version = &opt.commands {
        println!("1.0");
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    if let IdmOpt::Scripting { command } = opt.commands {
        rt.block_on(scripting_command(command));
        return;
    }
    rt.block_on(idm_main(opt));
}

async fn idm_main(opt: IdmParser) {
    match &opt.commands {
        IdmOpt::Server => {
            let listener = tokio::net::TcpListener::bind(std::env::var("BIND").unwrap()).await.unwrap();
            loop {
                let _ = listener.accept().await;
                std::fs::write("last-client", b"x").unwrap();
            }
        }
        IdmOpt::CertGenerate => std::fs::write("cert.pem", b"").unwrap(),
        _ => {}
    }
}
"#;

#[test]
fn subcommands_of_an_included_enum_dispatched_in_main_and_deeper() {
    let files = [
        ("Cargo.toml", "[workspace]\nmembers = [\"daemon\"]\n"),
        ("daemon/Cargo.toml", &manifest("idmd", "")),
        ("daemon/src/main.rs", IDM_MAIN),
        ("daemon/src/opt.rs", IDM_OPT),
    ];
    let mut got = entries(&files);
    got.sort();
    assert_eq!(
        got,
        [
            ("idmd".to_string(), EntryKind::OneShot),
            ("idmd cert-generate".to_string(), EntryKind::OneShot),
            ("idmd scripting".to_string(), EntryKind::OneShot),
            ("idmd server".to_string(), EntryKind::Service),
            ("idmd version".to_string(), EntryKind::OneShot),
        ]
    );
    let lines: Vec<String> = found(&files)
        .iter()
        .map(|f| f.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(lines, ["daemon/src/main.rs:32"]);
}

#[test]
fn a_service_built_on_a_storage_engine_is_a_database_and_keeps_its_data() {
    let engine = r#"pub struct Index { env: heed::Env }

impl Index {
    pub fn open(dir: &std::path::Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let env = unsafe { heed::EnvOpenOptions::new().open(dir)? };
        Ok(Index { env })
    }
}
"#;
    let server = r#"use actix_web::{web, App, HttpServer};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let db_path = std::path::PathBuf::from(std::env::var("DB_PATH")?);
    let _index = engine::Index::open(&db_path)?;
    std::fs::write(db_path.join("instance-uid"), b"42")?;
    HttpServer::new(|| App::new().route("/", web::get().to(|| async { "ok" })))
        .bind(std::env::var("ADDR")?)?
        .run()
        .await?;
    Ok(())
}
"#;
    let files = [
        ("Cargo.toml", ROOT),
        (
            "crates/engine/Cargo.toml",
            &manifest("engine", "[dependencies]\nheed = \"0.22\"\n"),
        ),
        ("crates/engine/src/lib.rs", engine),
        (
            "crates/search/Cargo.toml",
            &manifest("search", "[dependencies]\nengine = { path = \"../engine\" }\n"),
        ),
        ("crates/search/src/main.rs", server),
    ];
    let outcome = check_workspace(&[&FilesystemWrite], &files);
    let entry = &outcome.model.entries()[0];
    assert_eq!((entry.name.as_str(), entry.kind), ("search", EntryKind::Service));
    assert_eq!(
        entry.keeps_data.as_deref(),
        Some("a database (`engine` depends on `heed`)")
    );
    assert_eq!(found(&files), Vec::<String>::new());

    // `scope = "service"` reports in databases too.
    let root = format!("{ROOT}\n[workspace.metadata.twelve.filesystem_write]\nscope = \"service\"\n");
    let mut files = files;
    files[0].1 = &root;
    let lines: Vec<String> = found(&files)
        .iter()
        .map(|f| f.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(
        lines,
        // The directory the database opens is the database's.
        ["crates/engine/src/lib.rs:6", "crates/search/src/main.rs:7"]
    );
}

#[test]
fn a_service_that_replicates_its_own_sqlite_store_keeps_its_data() {
    let lib = r#"pub mod be;
pub mod repl;
"#;
    let be = r#"use rusqlite::{Connection, OpenFlags};

pub struct Backend { conn: Connection }

impl Backend {
    pub fn new(path: &str) -> rusqlite::Result<Self> {
        let conn = Connection::open_with_flags(path, OpenFlags::default())?;
        conn.execute_batch("PRAGMA journal_mode=WAL;")?;
        Ok(Backend { conn })
    }
}
"#;
    let repl = r#"pub mod consumer;
"#;
    let consumer = r#"use crate::be::Backend;

pub fn apply_changes(be: &Backend, changes: &[u8]) {
    let _ = (be, changes);
}

pub struct ChangeState;

impl ChangeState {
    pub fn merge_ava(&mut self) {}
}
"#;
    let daemon = r#"use idm::be::Backend;
use idm::repl::consumer::apply_changes;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let be = Backend::new(&std::env::var("DB_PATH").unwrap()).unwrap();
    let listener = tokio::net::TcpListener::bind(std::env::var("ADDR").unwrap()).await?;
    loop {
        let (_socket, _) = listener.accept().await?;
        apply_changes(&be, b"");
    }
}
"#;
    let mut files = vec![
        ("Cargo.toml", ROOT.to_string()),
        (
            "crates/idm/Cargo.toml",
            manifest("idm", "[dependencies]\nrusqlite = \"0.32\"\n"),
        ),
        ("crates/idm/src/lib.rs", lib.to_string()),
        ("crates/idm/src/be.rs", be.to_string()),
        ("crates/idm/src/repl/mod.rs", repl.to_string()),
        ("crates/idm/src/repl/consumer.rs", consumer.to_string()),
        (
            "crates/daemon/Cargo.toml",
            manifest("daemon", "[dependencies]\nidm = { path = \"../idm\" }\ntokio = \"1\"\n"),
        ),
        ("crates/daemon/src/main.rs", daemon.to_string()),
    ];
    let outcome = check_workspace(&[&FilesystemWrite], &borrowed(&files));
    let entry = &outcome.model.entries()[0];
    assert_eq!(entry.kind, EntryKind::Service);
    assert_eq!(
        entry.keeps_data.as_deref(),
        Some("a replicated store (`idm::repl` replicates its database between nodes)")
    );
    assert_eq!(found(&borrowed(&files)), Vec::<String>::new());

    // The same store without the replication the service runs is the
    // service's local state.
    files[7].1 = daemon.replace("apply_changes(&be, b\"\");", "let _ = &be;");
    let outcome = check_workspace(&[&FilesystemWrite], &borrowed(&files));
    assert_eq!(outcome.model.entries()[0].keeps_data, None);
    assert_eq!(found(&borrowed(&files)).len(), 1);
    // A method of that name on a receiver the syntax does not type (a sync
    // tool's own entry) is not the replication running.
    files[7].1 = daemon.replace(
        "apply_changes(&be, b\"\");",
        "let mut entry = ldap::next_entry(); entry.merge_ava();",
    );
    let outcome = check_workspace(&[&FilesystemWrite], &borrowed(&files));
    assert_eq!(outcome.model.entries()[0].keeps_data, None);
    // A `repl` module of a package with no database is a prompt, not
    // replication.
    files[7].1 = daemon.to_string();
    files[1].1 = manifest("idm", "[dependencies]\nrustyline-like = \"1\"\n");
    let outcome = check_workspace(&[&FilesystemWrite], &borrowed(&files));
    assert_eq!(outcome.model.entries()[0].keeps_data, None);
}

#[test]
fn the_evidence_shown_is_the_server_main_starts_by_default() {
    let lib = r#"pub mod exporter;

pub async fn start(config: Config) -> std::io::Result<()> {
    if let Some(prometheus) = config.prometheus.clone() {
        exporter::serve_metrics(prometheus)?;
    }
    http_server(config).await
}

async fn http_server(config: Config) -> std::io::Result<()> {
    actix_web::HttpServer::new(|| actix_web::App::new())
        .bind(config.bind)?
        .run()
        .await
}
"#;
    let metrics = r#"pub fn serve_metrics(config: PrometheusConfig) -> std::io::Result<()> {
    let server = actix_web::HttpServer::new(|| actix_web::App::new()).bind(config.bind)?.run();
    actix_web::rt::spawn(server);
    Ok(())
}
"#;
    let main = r#"#[actix_web::main]
async fn main() -> std::io::Result<()> {
    app::start(Config::load()).await
}
"#;
    let files = [
        ("Cargo.toml", ROOT),
        (
            "crates/app/Cargo.toml",
            &manifest("app", "[dependencies]\nactix-web = \"4\"\n"),
        ),
        ("crates/app/src/lib.rs", lib),
        ("crates/app/src/exporter.rs", metrics),
        (
            "crates/server/Cargo.toml",
            &manifest("server", "[dependencies]\napp = { path = \"../app\" }\n"),
        ),
        ("crates/server/src/main.rs", main),
    ];
    let outcome = check_workspace(&[&FilesystemWrite], &files);
    let entry = &outcome.model.entries()[0];
    assert_eq!(entry.kind, EntryKind::Service);
    let (span, _) = &entry.evidence[0];
    assert!(span.path().ends_with("crates/app/src/lib.rs"), "{:?}", span.path());
    assert_eq!(span.start().line, 11);
}

#[test]
fn a_file_server_with_no_database_keeps_its_files() {
    let main = r#"use actix_web::{web, App, HttpServer};

async fn upload(body: web::Bytes) -> std::io::Result<&'static str> {
    tokio::fs::write("served/upload.bin", &body).await?;
    Ok("ok")
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    HttpServer::new(|| {
        App::new()
            .route("/upload", web::post().to(upload))
            .service(actix_files::Files::new("/", "served"))
    })
    .bind(std::env::var("ADDR").unwrap())?
    .run()
    .await
}
"#;
    for (deps, reported) in [
        ("actix-files = \"0.6\"\n", false),
        ("actix-files = \"0.6\"\nsqlx = \"0.8\"\n", true),
    ] {
        let manifest = manifest("share", &format!("[dependencies]\n{deps}"));
        let files = [
            ("Cargo.toml", "[workspace]\nmembers = [\"share\"]\n"),
            ("share/Cargo.toml", manifest.as_str()),
            ("share/src/main.rs", main),
        ];
        let outcome = check_workspace(&[&FilesystemWrite], &files);
        let entry = &outcome.model.entries()[0];
        assert_eq!(entry.kind, EntryKind::Service);
        assert_eq!(entry.keeps_data.is_some(), !reported, "{deps}");
        assert_eq!(found(&files).len(), usize::from(reported), "{deps}");
    }
}

#[test]
fn a_method_on_an_outside_crates_value_is_not_a_workspace_method() {
    let lib = r#"pub struct Exporter;

impl Exporter {
    pub fn run(&self) -> std::io::Result<()> {
        std::fs::write("export.json", b"{}")
    }
}
"#;
    let main = r#"fn main() {
    let server = rouille::Server::new("0.0.0.0:8080", |_request| rouille::Response::text("ok")).unwrap();
    std::fs::write("started.txt", b"x").unwrap();
    server.run();
}
"#;
    let files = [
        ("Cargo.toml", "[workspace]\nmembers = [\"relay\"]\n"),
        (
            "relay/Cargo.toml",
            "[package]\nname = \"relay\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        ("relay/src/lib.rs", lib),
        ("relay/src/main.rs", main),
    ];
    assert_eq!(entries(&files), [("relay".to_string(), EntryKind::Service)]);
    // `server.run()` is rouille's: `Exporter::run`, the only `run` in the
    // workspace, is not reached.
    let got: Vec<String> = found(&files)
        .iter()
        .map(|f| f.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(got, ["relay/src/main.rs:3"]);
}

#[test]
fn what_only_configuration_switches_on_is_not_the_default_deployment() {
    let lib = r#"pub struct Config {
    pub json_db: bool,
    pub backup_dir: Option<String>,
    pub no_uploads: bool,
}

pub fn save(config: &Config, bytes: &[u8]) -> std::io::Result<()> {
    if config.json_db {
        json::save(bytes)
    } else {
        std::fs::write("data/db.bin", bytes)
    }
}

pub fn nightly(config: &Config) -> std::io::Result<()> {
    if let Some(dir) = &config.backup_dir {
        backup::write(dir)?;
    }
    if !config.no_uploads {
        std::fs::write("uploads/.keep", b"")?;
    }
    Ok(())
}

mod json {
    pub fn save(bytes: &[u8]) -> std::io::Result<()> {
        std::fs::write("data/db.json", bytes)
    }
}

mod backup {
    pub fn write(dir: &str) -> std::io::Result<()> {
        std::fs::write(format!("{dir}/backup.json"), b"{}")
    }
}

// crates.io on Heroku: the platform's variable switches it on.
pub fn boot() -> anyhow::Result<()> {
    if std::env::var("HEROKU")?.is_some() {
        write_known_hosts_file()?;
    }
    if std::env::var_os("FLY_APP_NAME").is_some() {
        backup::write("/data")?;
    }
    Ok(())
}

fn write_known_hosts_file() -> std::io::Result<()> {
    std::fs::write(".ssh/known_hosts", b"github.com ssh-ed25519 AAAA")
}
"#;
    let main = r#"use actix_web::{web, App, HttpServer};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let config = store::Config { json_db: false, backup_dir: None, no_uploads: false };
    store::save(&config, b"")?;
    store::nightly(&config)?;
    store::boot().unwrap();
    HttpServer::new(|| App::new().route("/", web::get().to(|| async { "ok" })))
        .bind(std::env::var("ADDR").unwrap())?
        .run()
        .await
}
"#;
    let files = [
        ("Cargo.toml", ROOT),
        ("crates/store/Cargo.toml", &manifest("store", "")),
        ("crates/store/src/lib.rs", lib),
        (
            "crates/server/Cargo.toml",
            &manifest("server", "[dependencies]\nstore = { path = \"../store\" }\n"),
        ),
        ("crates/server/src/main.rs", main),
    ];
    let lines: Vec<String> = found(&files)
        .iter()
        .map(|f| f.split(' ').next().unwrap().to_string())
        .collect();
    // The default branch and the switch that is on unless turned off.
    assert_eq!(lines, ["crates/store/src/lib.rs:11", "crates/store/src/lib.rs:20"]);
}

#[test]
fn a_service_deployed_behind_its_own_switch_is_still_checked() {
    let main = r#"use clap::Parser;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    serve: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.serve {
        serve().await?;
    }
    Ok(())
}

async fn serve() -> anyhow::Result<()> {
    std::fs::create_dir_all("uploads")?;
    let listener = tokio::net::TcpListener::bind(std::env::var("ADDR")?).await?;
    axum::serve(listener, axum::Router::new()).await?;
    Ok(())
}
"#;
    let files = [
        ("Cargo.toml", "[workspace]\nmembers = [\"app\"]\n"),
        ("app/Cargo.toml", &manifest("app", "")),
        ("app/src/main.rs", main),
    ];
    assert_eq!(entries(&files), [("app".to_string(), EntryKind::Service)]);
    let lines: Vec<String> = found(&files)
        .iter()
        .map(|f| f.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(lines, ["app/src/main.rs:19"]);
}

#[test]
fn subcommand_names_are_clap_kebab_case() {
    assert_eq!(super::kebab("ExportSchema"), "export-schema");
    assert_eq!(super::kebab("ExportGraphQLSchema"), "export-graph-ql-schema");
    assert_eq!(super::kebab("Serve"), "serve");
    assert_eq!(super::kebab("RunV2"), "run-v2");
}

#[test]
fn a_binary_named_like_its_library_whose_main_calls_the_librarys_main() {
    // sccache: `src/main.rs` is `fn main() { sccache::main() }`, and the
    // library's `pub fn main` parses the command line and runs the server.
    let bin = "fn main() {\n    sccache::main()\n}\n";
    let lib = r#"mod server;

pub fn main() {
    if std::env::args().any(|a| a == "--start-server") {
        server::start_server().unwrap();
    }
}
"#;
    let server = r#"use std::net::TcpListener;

pub fn start_server() -> std::io::Result<()> {
    let listener = TcpListener::bind(std::env::var("SCCACHE_ADDR").unwrap())?;
    for stream in listener.incoming() {
        let _ = stream?;
        std::fs::write("/var/cache/sccache/last", b"x")?;
    }
    Ok(())
}
"#;
    let files = [
        ("Cargo.toml", "[workspace]\nmembers = [\"sccache\"]\n"),
        ("sccache/Cargo.toml", &manifest("sccache", "")),
        ("sccache/src/main.rs", bin),
        ("sccache/src/lib.rs", lib),
        ("sccache/src/server.rs", server),
    ];
    assert_eq!(entries(&files), [("sccache".to_string(), EntryKind::Service)]);
    assert_eq!(
        found(&files),
        [
            "sccache/src/server.rs:7 runs in service binary `sccache`: main → sccache::main → sccache::server::start_server"
        ]
    );
}

#[test]
fn a_subcommand_is_named_by_its_attribute() {
    // lldap: `#[clap(name = "run")]` and snake_case names on the variants.
    let main = r#"use clap::Parser;

#[derive(Debug, Parser)]
pub enum Command {
    /// Export the GraphQL schema to *.graphql.
    #[clap(name = "export_graphql_schema", about = "Export")]
    ExportGraphQLSchema,
    /// Run the LDAP and GraphQL server.
    #[clap(alias = "serve", name = "run")]
    Run,
    #[command(subcommand_required = false)]
    HealthCheck,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Command::parse() {
        Command::ExportGraphQLSchema => std::fs::write("schema.graphql", "type Query")?,
        Command::Run => {
            let listener = tokio::net::TcpListener::bind(std::env::var("ADDR")?).await?;
            axum::serve(listener, axum::Router::new()).await?
        }
        Command::HealthCheck => println!("ok"),
    }
    Ok(())
}
"#;
    let files = [
        ("Cargo.toml", "[workspace]\nmembers = [\"server\"]\n"),
        ("server/Cargo.toml", &manifest("lldap", "")),
        ("server/src/main.rs", main),
    ];
    assert_eq!(
        entries(&files),
        [
            ("lldap".to_string(), EntryKind::OneShot),
            ("lldap export_graphql_schema".to_string(), EntryKind::OneShot),
            ("lldap run".to_string(), EntryKind::Service),
            ("lldap health-check".to_string(), EntryKind::OneShot),
        ]
    );
}

#[test]
fn a_subcommands_own_subcommands_are_not_the_binarys() {
    // Plume's `plm`: clap 2 `matches.subcommand()` in `main`, and
    // `instance::run` matching `("new", ..)` of its own.
    let main = r#"use clap::App;

mod instance;

fn main() {
    let matches = App::new("plm").subcommand(instance::command()).get_matches();
    match matches.subcommand() {
        ("instance", Some(args)) => instance::run(args),
        ("version", _) => println!("0.7"),
        _ => {}
    }
}
"#;
    let instance = r#"use clap::{App, ArgMatches, SubCommand};

pub fn command<'a, 'b>() -> App<'a, 'b> {
    SubCommand::with_name("instance").subcommand(SubCommand::with_name("new"))
}

pub fn run(args: &ArgMatches) {
    match args.subcommand() {
        ("new", Some(x)) => new(x),
        ("", None) => println!("instance: nothing to do"),
        _ => {}
    }
}

fn new(_: &ArgMatches) {
    std::fs::write("instance.toml", b"name = 'x'").unwrap();
}
"#;
    let files = [
        ("Cargo.toml", "[workspace]\nmembers = [\"plume-cli\"]\n"),
        (
            "plume-cli/Cargo.toml",
            &format!(
                "{}[[bin]]\nname = \"plm\"\npath = \"src/main.rs\"\n",
                manifest("plume-cli", "")
            ),
        ),
        ("plume-cli/src/main.rs", main),
        ("plume-cli/src/instance.rs", instance),
    ];
    assert_eq!(
        entries(&files),
        [
            ("plm".to_string(), EntryKind::OneShot),
            ("plm instance".to_string(), EntryKind::OneShot),
            ("plm version".to_string(), EntryKind::OneShot),
        ]
    );
}

#[test]
fn a_job_runner_woken_by_postgres_notify_is_a_service() {
    // crates.io's `background-worker`: a runner in a workspace crate spawns
    // a `LISTEN` loop over diesel-async's notification stream.
    let main = r#"use clap::Parser;

mod background_worker;

#[derive(clap::Subcommand)]
enum Command {
    BackgroundWorker,
    Monitor,
}

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::BackgroundWorker => background_worker::run(),
        Command::Monitor => {
            std::fs::write("monitor.stamp", b"ok")?;
            Ok(())
        }
    }
}
"#;
    let worker = r#"use crates_io_worker::Runner;

pub fn run() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let runner = Runner::new(std::env::var("DATABASE_URL")?);
    runtime.block_on(async {
        let handle = runner.start();
        std::fs::write("worker.pid", std::process::id().to_string()).unwrap();
        handle.wait_for_shutdown().await;
    });
    Ok(())
}
"#;
    let runner = r#"mod listener;

pub struct Runner { url: String }
pub struct RunHandle;

impl Runner {
    pub fn new(url: String) -> Self { Runner { url } }

    pub fn start(&self) -> RunHandle {
        let url = self.url.clone();
        tokio::spawn(async move { listener::listen_for_new_jobs(url).await });
        RunHandle
    }
}

impl RunHandle {
    pub async fn wait_for_shutdown(self) {}
}
"#;
    let listener = r#"use diesel_async::AsyncPgConnection;
use futures_util::StreamExt;

pub async fn listen_for_new_jobs(url: String) {
    let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
    let mut stream = std::pin::pin!(conn.notifications_stream());
    while let Some(n) = stream.next().await {
        tracing::debug!(?n, "new job");
    }
}
"#;
    let files = [
        ("Cargo.toml", "[workspace]\nmembers = [\"app\", \"worker\"]\n"),
        (
            "app/Cargo.toml",
            &format!(
                "{}[[bin]]\nname = \"crates-io\"\npath = \"src/main.rs\"\n",
                manifest("app", "[dependencies]\ncrates_io_worker = { path = \"../worker\" }\n")
            ),
        ),
        ("app/src/main.rs", main),
        ("app/src/background_worker.rs", worker),
        (
            "worker/Cargo.toml",
            &manifest("crates_io_worker", "[dependencies]\ndiesel-async = \"0.5\"\n"),
        ),
        ("worker/src/lib.rs", runner),
        ("worker/src/listener.rs", listener),
    ];
    assert_eq!(
        entries(&files),
        [
            ("crates-io".to_string(), EntryKind::OneShot),
            ("crates-io background-worker".to_string(), EntryKind::Service),
            ("crates-io monitor".to_string(), EntryKind::OneShot),
        ]
    );
    let lines: Vec<String> = found(&files)
        .iter()
        .map(|f| f.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(lines, ["app/src/background_worker.rs:8"]);
}

#[test]
fn a_method_of_a_re_exported_type_bound_by_let() {
    // sccache-dist: `let s = dist::http::Scheduler::new(..); s.start()`,
    // where `dist::http` re-exports `server::Scheduler`, and `start` is a
    // name too common to follow without the type.
    let others: String = (0..10)
        .map(|i| format!("pub struct Other{i};\nimpl Other{i} {{ pub fn start(&self) {{}} }}\n"))
        .collect();
    let lib = "pub mod dist;\npub mod others;\n";
    let dist = r#"pub mod http {
    pub use self::server::Scheduler;

    mod server {
        pub struct Scheduler { addr: String }

        impl Scheduler {
            pub fn new(addr: String) -> Self {
                Scheduler { addr }
            }

            pub fn start(self) -> ! {
                let server = rouille::Server::new(self.addr, move |_request| rouille::Response::empty_404()).unwrap();
                server.run();
                unreachable!()
            }
        }
    }
}
"#;
    let main = r#"use sccache::dist;

fn main() {
    let addr = std::env::var("SCCACHE_DIST_ADDR").unwrap();
    let http_scheduler = dist::http::Scheduler::new(addr);
    http_scheduler.start();
}
"#;
    let files = [
        ("Cargo.toml", "[workspace]\nmembers = [\"sccache\"]\n"),
        (
            "sccache/Cargo.toml",
            &format!(
                "{}[[bin]]\nname = \"sccache-dist\"\npath = \"src/bin/sccache-dist/main.rs\"\n",
                manifest("sccache", "[dependencies]\nrouille = \"3\"\n")
            ),
        ),
        ("sccache/src/lib.rs", lib),
        ("sccache/src/dist.rs", dist),
        ("sccache/src/others.rs", others.as_str()),
        ("sccache/src/bin/sccache-dist/main.rs", main),
    ];
    assert_eq!(entries(&files), [("sccache-dist".to_string(), EntryKind::Service)]);
}

#[test]
fn a_lock_server_on_a_port_the_system_picks_is_not_a_service() {
    // cargo's `LockServer`: `cargo fix` binds `&LOCALHOST[..]` (port 0) and
    // serves its rustc children from a thread, then exits.
    let main = r#"mod lockserver;
mod network;

fn main() -> anyhow::Result<()> {
    let server = lockserver::LockServer::new()?;
    let _started = server.start()?;
    std::fs::write("target/fix.stamp", b"done")?;
    Ok(())
}
"#;
    let network = "use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};\n\
                   pub const LOCALHOST: [SocketAddr; 1] = [SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))];\n";
    let lockserver = r#"use std::net::TcpListener;
use std::thread;

use crate::network::LOCALHOST;

pub struct LockServer { listener: TcpListener }

impl LockServer {
    pub fn new() -> anyhow::Result<LockServer> {
        let listener = TcpListener::bind(&LOCALHOST[..])?;
        Ok(LockServer { listener })
    }

    pub fn start(self) -> anyhow::Result<thread::JoinHandle<()>> {
        Ok(thread::spawn(move || self.run()))
    }

    fn run(&self) {
        while let Ok((client, _)) = self.listener.accept() {
            drop(client);
        }
    }
}
"#;
    let files = [
        ("Cargo.toml", "[workspace]\nmembers = [\"cargo\"]\n"),
        ("cargo/Cargo.toml", &manifest("cargo", "")),
        ("cargo/src/main.rs", main),
        ("cargo/src/network.rs", network),
        ("cargo/src/lockserver.rs", lockserver),
    ];
    assert_eq!(entries(&files), [("cargo".to_string(), EntryKind::OneShot)]);
    assert_eq!(found(&files), Vec::<String>::new());

    // The Rust book's web server binds a port of its own.
    let book = r#"use std::net::TcpListener;

fn main() {
    let listener = TcpListener::bind("127.0.0.1:7878").unwrap();
    for stream in listener.incoming() {
        let _ = stream.unwrap();
        std::fs::write("hits.log", b"1").unwrap();
    }
}
"#;
    let files = [
        ("Cargo.toml", "[workspace]\nmembers = [\"hello\"]\n"),
        ("hello/Cargo.toml", &manifest("hello", "")),
        ("hello/src/main.rs", book),
    ];
    assert_eq!(entries(&files), [("hello".to_string(), EntryKind::Service)]);
}

#[test]
fn a_daemon_whose_main_is_a_generic_library_function() {
    // kanidm_unixd: the binary hands its flavour to the shared resolver's
    // `main`, which serves a Unix socket from a spawned task.
    let bin = r#"use kanidm_flavour::Msg;
use std::process::ExitCode;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    sparkle_resolver_common::cli::resolver::main(Msg::default()).await
}
"#;
    let flavour = "#[derive(Default)]\npub struct Msg;\nimpl sparkle_resolver_common::SparkleFlavour for Msg {}\n";
    let lib = "pub mod cli;\n\npub trait SparkleFlavour {}\n";
    let cli = "pub mod resolver;\n";
    let resolver = r#"use crate::SparkleFlavour;
use std::process::ExitCode;
use tokio::net::UnixListener;

async fn main_inner<F: SparkleFlavour>(sock: String, _flavour: F) -> ExitCode {
    std::fs::write("/var/lib/kanidm-unixd/hsm-pin", b"1234").unwrap();
    let listener = match UnixListener::bind(sock.as_str()) {
        Ok(l) => l,
        Err(_) => return ExitCode::FAILURE,
    };
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                accept_res = listener.accept() => {
                    if let Ok((socket, _)) = accept_res {
                        drop(socket);
                    }
                }
            }
        }
    });
    let _ = tokio::signal::ctrl_c().await;
    task.abort();
    ExitCode::SUCCESS
}

pub async fn main<F: SparkleFlavour>(flavour: F) -> ExitCode {
    let sock = std::env::var("KANIDM_SOCK").unwrap_or_default();
    #[allow(clippy::expect_used)]
    tracing_forest::worker_task()
        .set_global(true)
        .build()
        .on(main_inner(sock, flavour))
        .await
}
"#;
    let files = [
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"unix_integration/*\"]\n\n[workspace.dependencies]\nsparkle_resolver_common = { path = \"./unix_integration/resolver_common\" }\n",
        ),
        (
            "unix_integration/resolver_common/Cargo.toml",
            &manifest(
                "sparkle_resolver_common",
                "[lib]\nname = \"sparkle_resolver_common\"\npath = \"src/lib.rs\"\n",
            ),
        ),
        ("unix_integration/resolver_common/src/lib.rs", lib),
        ("unix_integration/resolver_common/src/cli/mod.rs", cli),
        ("unix_integration/resolver_common/src/cli/resolver.rs", resolver),
        (
            "unix_integration/resolver_kanidm/Cargo.toml",
            &format!(
                "{}[lib]\nname = \"kanidm_flavour\"\npath = \"src/lib.rs\"\n\n[[bin]]\nname = \"kanidm_unixd\"\npath = \"src/bin/kanidm_unixd.rs\"\n",
                manifest(
                    "kanidm_unix_resolver",
                    "[dependencies]\nsparkle_resolver_common = { workspace = true }\n"
                )
            ),
        ),
        ("unix_integration/resolver_kanidm/src/lib.rs", flavour),
        ("unix_integration/resolver_kanidm/src/bin/kanidm_unixd.rs", bin),
    ];
    assert_eq!(entries(&files), [("kanidm_unixd".to_string(), EntryKind::Service)]);
    // A daemon of its host, for local clients: its files are the host's.
    let outcome = crate::test_support::check_workspace(&[&FilesystemWrite], &files);
    let daemon = &outcome.model.entries()[0];
    assert_eq!(
        daemon.keeps_data.as_deref(),
        Some("a daemon of its host (it serves only Unix sockets, to local clients)")
    );
    assert_eq!(found(&files), Vec::<String>::new());
}

/// sccache-dist: clap's builder matched by name in a parse function that
/// builds an enum, and `run` dispatching on that enum to servers in the
/// library. The package's description is of its other binary.
fn dist_workspace() -> Vec<(&'static str, String)> {
    let lib = r#"pub mod http {
    pub struct Scheduler { addr: String }
    impl Scheduler {
        pub fn new(addr: String) -> Self { Scheduler { addr } }
        pub fn start(self) -> Result<(), ()> {
            let server = rouille::Server::new(self.addr, move |_request| rouille::Response::empty_404()).unwrap();
            std::fs::write("scheduler.state", b"up").unwrap();
            server.run();
            Ok(())
        }
    }
}
"#;
    let cmdline = r#"mod parse;
pub use parse::try_parse_from;

pub enum Command {
    Auth(String),
    Scheduler(String),
}
"#;
    let parse = r#"use clap::Command as ClapCommand;
use super::Command;

pub fn try_parse_from(args: impl IntoIterator<Item = String>) -> Result<Command, clap::Error> {
    let matches = ClapCommand::new("dist")
        .subcommand(ClapCommand::new("auth"))
        .subcommand(ClapCommand::new("scheduler"))
        .try_get_matches_from(args)?;
    Ok(match matches.subcommand() {
        Some(("auth", _)) => Command::Auth("token".into()),
        Some(("scheduler", m)) => Command::Scheduler(m.get_one::<String>("addr").cloned().unwrap_or_default()),
        _ => unreachable!(),
    })
}
"#;
    let main = r#"mod cmdline;
use cmdline::Command;

fn main() {
    let command = match cmdline::try_parse_from(std::env::args()) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    std::process::exit(match run(command) {
        Ok(()) => 0,
        Err(()) => 1,
    });
}

fn run(command: Command) -> Result<(), ()> {
    match command {
        Command::Auth(token) => {
            std::fs::write("token.txt", token).unwrap();
            Ok(())
        }
        Command::Scheduler(addr) => {
            let scheduler = cache::http::Scheduler::new(addr);
            scheduler.start()?;
            unreachable!();
        }
    }
}
"#;
    let cache = "[package]\nname = \"cache\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
        description = \"A ccache-like compiler caching tool\"\n\n\
        [[bin]]\nname = \"cache\"\npath = \"src/main.rs\"\n\n\
        [[bin]]\nname = \"cache-dist\"\npath = \"src/bin/cache-dist/main.rs\"\n";
    vec![
        ("Cargo.toml", cache.to_string()),
        ("src/lib.rs", lib.to_string()),
        (
            "src/main.rs",
            "fn main() { cache::http::Scheduler::new(String::new()).start().unwrap(); }\n".to_string(),
        ),
        ("src/bin/cache-dist/main.rs", main.to_string()),
        ("src/bin/cache-dist/cmdline/mod.rs", cmdline.to_string()),
        ("src/bin/cache-dist/cmdline/parse.rs", parse.to_string()),
    ]
}

#[test]
fn subcommands_dispatched_on_the_enum_a_parse_function_builds() {
    let files = dist_workspace();
    let mut got = entries(&borrowed(&files));
    got.sort();
    assert_eq!(
        got,
        [
            // The description is of the package's own binary.
            ("cache".to_string(), EntryKind::DevTool),
            ("cache-dist".to_string(), EntryKind::OneShot),
            ("cache-dist auth".to_string(), EntryKind::OneShot),
            ("cache-dist scheduler".to_string(), EntryKind::Service),
        ]
    );
    assert_eq!(
        found(&borrowed(&files)),
        [
            "src/lib.rs:7 runs in service binary `cache-dist scheduler`: main → cache_dist::run → cache::http::Scheduler::start"
        ]
    );
}

/// kanidm's Unix integration: each binary hands its run to a `main` of a
/// shared library; the resolver serves a Unix socket, its tasks daemon
/// loops until a signal and manages the host's home directories.
#[test]
fn a_library_main_that_loops_beside_a_host_daemon_is_that_host_s_daemon() {
    let common = r#"pub mod cli {
    pub mod resolver {
        pub async fn main(flavour: u8) -> std::process::ExitCode {
            let listener = tokio::net::UnixListener::bind("/run/unixd/sock").unwrap();
            loop {
                let (socket, _) = listener.accept().await.unwrap();
                std::fs::write("/var/cache/unixd/last", [flavour]).unwrap();
                drop(socket);
            }
        }
    }
    pub mod tasks {
        pub async fn main(_flavour: u8) -> std::process::ExitCode {
            tokio::spawn(async move {
                std::fs::write("homes.json", b"[]").unwrap();
            });
            loop {
                tokio::select! {
                    Ok(()) = tokio::signal::ctrl_c() => {
                        break
                    }
                }
            }
            std::process::ExitCode::SUCCESS
        }
    }
}

pub fn not_main() {
    loop {
        std::fs::write("/var/lib/x", b"x").unwrap();
    }
}
"#;
    let bin = |module: &str| {
        format!(
            "#[tokio::main]\nasync fn main() -> std::process::ExitCode {{\n    common::cli::{module}::main(1).await\n}}\n"
        )
    };
    let unix = "[package]\nname = \"unix\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
        [dependencies]\ncommon = { path = \"../common\" }\n\n\
        [[bin]]\nname = \"unixd\"\npath = \"src/bin/unixd.rs\"\n\n\
        [[bin]]\nname = \"unixd_tasks\"\npath = \"src/bin/unixd_tasks.rs\"\n";
    let lone = "[package]\nname = \"lone\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
        [dependencies]\ncommon = { path = \"../common\" }\n";
    let files = vec![
        ("Cargo.toml", ROOT.to_string()),
        ("crates/common/Cargo.toml", manifest("common", "")),
        ("crates/common/src/lib.rs", common.to_string()),
        ("crates/unix/Cargo.toml", unix.to_string()),
        ("crates/unix/src/bin/unixd.rs", bin("resolver")),
        ("crates/unix/src/bin/unixd_tasks.rs", bin("tasks")),
        // The same loop without a host daemon beside it: a service.
        ("crates/lone/Cargo.toml", lone.to_string()),
        ("crates/lone/src/main.rs", bin("tasks")),
    ];
    let mut got = entries(&borrowed(&files));
    got.sort();
    assert_eq!(
        got,
        [
            ("lone".to_string(), EntryKind::Service),
            ("unixd".to_string(), EntryKind::Service),
            ("unixd_tasks".to_string(), EntryKind::Service),
        ]
    );
    let outcome = check_workspace(&[&FilesystemWrite], &borrowed(&files));
    let keeps: Vec<(String, bool)> = outcome
        .model
        .entries()
        .iter()
        .map(|e| (e.name.clone(), e.keeps_data.is_some()))
        .collect();
    assert!(keeps.contains(&("unixd_tasks".to_string(), true)), "{keeps:?}");
    assert!(keeps.contains(&("lone".to_string(), false)), "{keeps:?}");
    // Only the lone service's home directory: the host daemons' files are
    // their host's, and a loop outside a `main` proves nothing.
    assert_eq!(
        found(&borrowed(&files)),
        ["crates/common/src/lib.rs:15 runs in service binary `lone`: main → common::cli::tasks::main"]
    );
}

/// atuin's shape: `main` parses a struct whose field is the subcommand
/// enum, `Atuin::run` calls `self.atuin.run()`, and the enum's own `run`
/// matches `Self::..`. Many types have a `run`, so only the field's type
/// tells which one this is. A `#[command(flatten)]` variant's subcommands
/// are the binary's own (`atuin sync`), reached through the variant's
/// field (`Self::Client(client) => client.run()`), flattened again or not;
/// an external subcommand names none.
#[test]
fn subcommands_dispatched_through_a_field_of_the_parsed_struct() {
    let main = r#"use clap::Parser;
use command::AtuinCmd;

mod command;

#[derive(Parser)]
struct Atuin {
    #[command(subcommand)]
    atuin: AtuinCmd,
}

impl Atuin {
    fn run(self) -> anyhow::Result<()> {
        self.atuin.run()
    }
}

fn main() -> anyhow::Result<()> {
    Atuin::parse().run()
}
"#;
    let command = r#"use clap::Subcommand;

mod client;
mod other;

#[derive(Subcommand)]
pub enum AtuinCmd {
    #[command(flatten)]
    Client(client::Cmd),
    /// Start the sync server
    Server(server::Cmd),
    /// Import history
    Import(other::Import),
    Search(other::Search),
    Stats(other::Stats),
    Uuid,
    #[command(external_subcommand)]
    External(Vec<String>),
}

impl AtuinCmd {
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            Self::Client(client) => client.run(),
            Self::External(args) => other::exec(&args),
            Self::Server(cmd) => server::run(cmd),
            Self::Import(cmd) => cmd.run(),
            Self::Search(cmd) => cmd.run(),
            Self::Stats(cmd) => cmd.run(),
            Self::Uuid => {
                println!("uuid");
                Ok(())
            }
        }
    }
}
"#;
    let other = r#"pub struct Import;
pub struct Search;
pub struct Stats;
impl Import {
    pub fn run(self) -> anyhow::Result<()> {
        std::fs::write("import.log", b"x")?;
        Ok(())
    }
}
impl Search {
    pub fn run(self) -> anyhow::Result<()> { Ok(()) }
}
impl Stats {
    pub fn run(self) -> anyhow::Result<()> { Ok(()) }
}
pub fn run() {}
pub fn exec(_args: &[String]) -> anyhow::Result<()> {
    Ok(())
}
"#;
    let client = r#"use clap::Subcommand;

#[derive(Subcommand)]
pub enum Cmd {
    /// Sync with the server
    Sync,
    /// Run the sync worker
    Worker(Worker),
    #[command(flatten)]
    Auth(Auth),
}

#[derive(Subcommand)]
pub enum Auth {
    Login,
    Logout,
}

impl Auth {
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            Self::Login => Ok(()),
            Self::Logout => Ok(()),
        }
    }
}

pub struct Worker;

impl Worker {
    pub fn run(self) -> anyhow::Result<()> {
        let listener = std::net::TcpListener::bind("0.0.0.0:9000")?;
        for stream in listener.incoming() {
            let _peer = stream?;
            std::fs::write("last-sync", b"now")?;
        }
        Ok(())
    }
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            Self::Sync => Ok(()),
            Self::Worker(w) => w.run(),
            Self::Auth(auth) => auth.run(),
        }
    }
}
"#;
    let server = r#"pub struct Cmd;
pub fn run(_cmd: Cmd) -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(async {
        let app = axum::Router::new();
        let listener = tokio::net::TcpListener::bind("0.0.0.0:8888").await?;
        std::fs::write("server.pid", b"1")?;
        axum::serve(listener, app).await
    })?;
    Ok(())
}
"#;
    let app = manifest("atuin", "[dependencies]\nserver = { path = \"../server\" }\n");
    let files = vec![
        ("Cargo.toml", ROOT.to_string()),
        ("crates/atuin/Cargo.toml", app),
        ("crates/atuin/src/main.rs", main.to_string()),
        ("crates/atuin/src/command.rs", command.to_string()),
        ("crates/atuin/src/command/other.rs", other.to_string()),
        ("crates/atuin/src/command/client.rs", client.to_string()),
        ("crates/server/Cargo.toml", manifest("server", "")),
        ("crates/server/src/lib.rs", server.to_string()),
    ];
    let mut got = entries(&borrowed(&files));
    got.sort();
    assert_eq!(
        got,
        [
            ("atuin".to_string(), EntryKind::OneShot),
            ("atuin import".to_string(), EntryKind::OneShot),
            ("atuin login".to_string(), EntryKind::OneShot),
            ("atuin logout".to_string(), EntryKind::OneShot),
            ("atuin search".to_string(), EntryKind::OneShot),
            ("atuin server".to_string(), EntryKind::Service),
            ("atuin stats".to_string(), EntryKind::OneShot),
            ("atuin sync".to_string(), EntryKind::OneShot),
            ("atuin uuid".to_string(), EntryKind::OneShot),
            ("atuin worker".to_string(), EntryKind::Service),
        ]
    );
    assert_eq!(
        found(&borrowed(&files)),
        [
            "crates/atuin/src/command/client.rs:35",
            "crates/server/src/lib.rs:6 runs in service binary `atuin server`: main → atuin::Atuin::run → atuin::command::AtuinCmd::run → server::run",
        ]
    );
}

/// A binary whose clap `about` (or the doc comment clap takes for it)
/// says it is a soak or load test is a dev tool, whatever it runs; the
/// package's other binaries are judged by what they run.
#[test]
fn a_binary_whose_about_says_it_is_a_test_is_a_dev_tool() {
    let serve = |about: &str| {
        format!(
            r#"use clap::Parser;

{about}
struct Args {{
    #[clap(long, default_value_t = 0)]
    seed: u64,
}}

fn main() -> std::io::Result<()> {{
    let _args = Args::parse();
    let listener = std::net::TcpListener::bind("0.0.0.0:6333")?;
    for stream in listener.incoming() {{
        let _peer = stream?;
        std::fs::write("last-peer", b"x")?;
    }}
    Ok(())
}}
"#
        )
    };
    let package = "[package]\nname = \"store\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
        [[bin]]\nname = \"store\"\npath = \"src/main.rs\"\n\n\
        [[bin]]\nname = \"model_testing\"\npath = \"src/model_testing.rs\"\n\n\
        [[bin]]\nname = \"hammer\"\npath = \"src/hammer.rs\"\n";
    let files = vec![
        ("Cargo.toml", ROOT.to_string()),
        ("crates/store/Cargo.toml", package.to_string()),
        (
            "crates/store/src/main.rs",
            serve("/// The vector store's server.\n#[derive(Parser, Debug)]\n#[command(version)]"),
        ),
        (
            "crates/store/src/model_testing.rs",
            serve(
                "#[derive(Parser, Debug)]\n#[command(\n    version,\n    about = \"Long-running soak test: random ops against a Collection\"\n)]",
            ),
        ),
        (
            "crates/store/src/hammer.rs",
            serve("/// Load-testing client: replays recorded traffic.\n#[derive(Parser)]"),
        ),
    ];
    let outcome = check_workspace(&[&FilesystemWrite], &borrowed(&files));
    let mut got: Vec<(String, EntryKind, String)> = outcome
        .model
        .entries()
        .iter()
        .map(|e| (e.name.clone(), e.kind, e.reason.clone()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (
                "hammer".to_string(),
                EntryKind::DevTool,
                "binary `hammer` is a developer tool: its `about` says \"Load-testing\"".to_string()
            ),
            (
                "model_testing".to_string(),
                EntryKind::DevTool,
                "binary `model_testing` is a developer tool: its `about` says \"soak test\"".to_string()
            ),
            (
                "store".to_string(),
                EntryKind::Service,
                "runs a loop over a listener".to_string()
            ),
        ]
    );
    assert_eq!(found(&borrowed(&files)), ["crates/store/src/main.rs:16"]);
}

/// A tonic server on a Unix socket (`serve_with_incoming` on a
/// `UnixListenerStream`) serves its host's local clients: a daemon of its
/// host; in a terminal program's package, a daemon of the user's machine.
#[test]
fn a_grpc_server_on_a_unix_socket_is_a_daemon_of_its_host() {
    let daemon = r#"pub async fn run_grpc_server(socket: std::path::PathBuf) -> eyre::Result<()> {
    use tokio::net::UnixListener;
    use tokio_stream::wrappers::UnixListenerStream;

    let uds = UnixListener::bind(&socket)?;
    let uds_stream = UnixListenerStream::new(uds);
    tokio::spawn(async move {
        use tonic::transport::Server;
        if let Err(e) = Server::builder().serve_with_incoming(uds_stream).await {
            eprintln!("{e}");
        }
    });
    std::fs::write(socket.with_extension("pid"), std::process::id().to_string())?;
    Ok(())
}
"#;
    let bin = "#[tokio::main]\nasync fn main() -> eyre::Result<()> {\n    daemon::run_grpc_server(\"/run/d.sock\".into()).await\n}\n";
    let files = vec![
        ("Cargo.toml", ROOT.to_string()),
        ("crates/daemon/Cargo.toml", manifest("daemon", "")),
        ("crates/daemon/src/lib.rs", daemon.to_string()),
        (
            "crates/hostd/Cargo.toml",
            manifest("hostd", "[dependencies]\ndaemon = { path = \"../daemon\" }\n"),
        ),
        ("crates/hostd/src/main.rs", bin.to_string()),
        (
            "crates/shell/Cargo.toml",
            manifest(
                "shell",
                "[dependencies]\ndaemon = { path = \"../daemon\" }\ncrossterm = \"0.28\"\n",
            ),
        ),
        ("crates/shell/src/main.rs", bin.to_string()),
    ];
    let outcome = check_workspace(&[&FilesystemWrite], &borrowed(&files));
    let mut got: Vec<(String, EntryKind, String, bool)> = outcome
        .model
        .entries()
        .iter()
        .map(|e| (e.name.clone(), e.kind, e.reason.clone(), e.keeps_data.is_some()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (
                "hostd".to_string(),
                EntryKind::Service,
                "runs a server on a Unix socket".to_string(),
                true
            ),
            (
                "shell".to_string(),
                EntryKind::OneShot,
                "a daemon of the user's own machine: it serves only a Unix socket, for a terminal program (`shell` depends on `crossterm`)".to_string(),
                false
            ),
        ]
    );
    // The pid file is the host daemon's own, and the terminal program's.
    assert_eq!(found(&borrowed(&files)), Vec::<String>::new());
}

const STATIC_SERVER_LIB: &str = r#"pub mod settings;

pub struct Server {
    root: std::path::PathBuf,
}

impl Server {
    pub fn new(opts: settings::Settings) -> Self {
        Server { root: opts.general.root }
    }

    pub fn run_standalone(self) -> std::io::Result<()> {
        let listener = std::net::TcpListener::bind(("0.0.0.0", 8080))?;
        for stream in listener.incoming() {
            std::fs::write(self.root.join("last-visit"), b"now")?;
            drop(stream?);
        }
        Ok(())
    }
}
"#;

const STATIC_SERVER_SETTINGS: &str = r#"pub mod cli;

pub use cli::Commands;

pub struct Settings {
    pub general: cli::General,
}

impl Settings {
    pub fn get() -> Settings {
        use clap::Parser;
        Settings { general: cli::General::parse() }
    }
}
"#;

const STATIC_SERVER_CLI: &str = r#"use std::path::PathBuf;

#[derive(clap::Parser)]
pub struct General {
    #[arg(long, default_value = ".")]
    pub root: PathBuf,

    #[command(subcommand)]
    pub commands: Option<Commands>,
}

/// Maintenance tasks.
#[derive(Debug, clap::Subcommand)]
pub enum Commands {
    /// Install a Windows Service for the web server.
    #[cfg(windows)]
    #[command(name = "install")]
    Install {},

    /// Generate man pages and shell completions.
    #[command(name = "generate")]
    Generate { out_dir: PathBuf },
}
"#;

const STATIC_SERVER_MAIN: &str = r#"use static_server::{settings::Commands, Settings};

fn main() -> std::io::Result<()> {
    let opts = Settings::get();

    if let Some(commands) = opts.general.commands {
        match commands {
            #[cfg(windows)]
            Commands::Install {} => return Ok(()),
            Commands::Generate { out_dir } => {
                std::fs::create_dir_all(&out_dir)?;
                std::fs::write(out_dir.join("static-server.1"), b".TH")?;
                return Ok(());
            }
        }
    }

    static_server::Server::new(opts).run_standalone()
}
"#;

#[test]
fn subcommands_of_an_enum_matched_through_its_re_export() {
    let files = [
        ("Cargo.toml", "[workspace]\nmembers = [\"server\"]\n"),
        (
            "server/Cargo.toml",
            &manifest("static_server", "[dependencies]\nclap = \"4\"\n"),
        ),
        ("server/src/lib.rs", STATIC_SERVER_LIB),
        ("server/src/settings/mod.rs", STATIC_SERVER_SETTINGS),
        ("server/src/settings/cli.rs", STATIC_SERVER_CLI),
        ("server/src/bin/static-server.rs", STATIC_SERVER_MAIN),
    ];
    let mut got = entries(&files);
    got.sort();
    assert_eq!(
        got,
        [
            ("static-server".to_string(), EntryKind::Service),
            ("static-server generate".to_string(), EntryKind::OneShot),
            // Platform `cfg`s are not evaluated: every platform's
            // subcommands are entries.
            ("static-server install".to_string(), EntryKind::OneShot),
        ]
    );
    // The man pages `generate` writes are its output; the server's write
    // runs in the service.
    assert_eq!(
        found(&files),
        ["server/src/lib.rs:15 runs in service binary `static-server`: main → static_server::Server::run_standalone"]
    );
}

const RENDEZVOUS_LIB: &str = r#"mod rendezvous_server;
pub use rendezvous_server::*;
pub mod common;
"#;

const RENDEZVOUS_COMMON: &str = r#"pub fn get_arg(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}
"#;

const RENDEZVOUS_SERVER: &str = r#"use tokio::net::TcpListener;

enum LoopFailure {
    Listener,
    Udp,
}

pub struct RendezvousServer {
    peers: std::path::PathBuf,
}

impl RendezvousServer {
    #[tokio::main(flavor = "multi_thread")]
    pub async fn start_with_bind(port: u16) -> std::io::Result<()> {
        let mut rs = RendezvousServer { peers: "peers.db".into() };
        let mut listener = TcpListener::bind(("0.0.0.0", port)).await?;
        loop {
            match rs.io_loop(&mut listener).await {
                LoopFailure::Listener => listener = TcpListener::bind(("0.0.0.0", port)).await?,
                LoopFailure::Udp => {}
            }
        }
    }

    async fn io_loop(&mut self, listener: &mut TcpListener) -> LoopFailure {
        let mut timer = tokio::time::interval(std::time::Duration::from_secs(3));
        loop {
            tokio::select! {
                _ = timer.tick() => {}
                res = listener.accept() => {
                    match res {
                        Ok((stream, addr)) => {
                            std::fs::write(&self.peers, addr.to_string()).ok();
                            drop(stream);
                        }
                        Err(err) => {
                            log::error!("listener.accept failed: {}", err);
                            return LoopFailure::Listener;
                        }
                    }
                }
            }
        }
    }
}
"#;

const RENDEZVOUS_MAIN: &str = r#"use hbbs::{common::*, *};

fn main() -> std::io::Result<()> {
    let port = get_arg("PORT").parse().unwrap_or(21116);
    RendezvousServer::start_with_bind(port)
}
"#;

const RELAY_MAIN: &str = r#"async fn io_loop(listener: tokio::net::TcpListener) {
    loop {
        tokio::select! {
            res = listener.accept() => {
                match res {
                    Ok((stream, _)) => {
                        std::fs::write("relay.log", b"pair").ok();
                        drop(stream);
                    }
                    Err(err) => {
                        log::error!("listener.accept failed: {}", err);
                        break;
                    }
                }
            }
        }
    }
}

#[tokio::main]
async fn main() {
    loop {
        io_loop(tokio::net::TcpListener::bind("0.0.0.0:21117").await.unwrap()).await;
    }
}
"#;

const LOGIN_CALLBACK_MAIN: &str = r#"#[tokio::main]
async fn main() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8400").await.unwrap();
    loop {
        tokio::select! {
            res = listener.accept() => {
                if let Ok((stream, _)) = res {
                    std::fs::write("token", b"code").unwrap();
                    drop(stream);
                    break;
                }
            }
        }
    }
}
"#;

#[test]
fn a_listener_loop_that_leaves_on_an_accept_error_is_a_server() {
    let files = [
        ("Cargo.toml", "[workspace]\nmembers = [\"hbbs\", \"login\"]\n"),
        (
            "hbbs/Cargo.toml",
            &manifest(
                "hbbs",
                "[[bin]]\nname = \"hbbr\"\npath = \"src/hbbr.rs\"\n\n[dependencies]\ntokio = \"1\"\nlog = \"0.4\"\n",
            ),
        ),
        ("hbbs/src/lib.rs", RENDEZVOUS_LIB),
        ("hbbs/src/common.rs", RENDEZVOUS_COMMON),
        ("hbbs/src/rendezvous_server.rs", RENDEZVOUS_SERVER),
        ("hbbs/src/main.rs", RENDEZVOUS_MAIN),
        ("hbbs/src/hbbr.rs", RELAY_MAIN),
        (
            "login/Cargo.toml",
            &manifest("login", "[dependencies]\ntokio = \"1\"\n"),
        ),
        ("login/src/main.rs", LOGIN_CALLBACK_MAIN),
    ];
    let mut got = entries(&files);
    got.sort();
    assert_eq!(
        got,
        [
            // `return LoopFailure::Listener` and `break` on an accept error
            // are failures: the caller binds again.
            ("hbbr".to_string(), EntryKind::Service),
            // Through the crate root's `pub use rendezvous_server::*;`.
            ("hbbs".to_string(), EntryKind::Service),
            // Leaves after the connection it waited for.
            ("login".to_string(), EntryKind::OneShot),
        ]
    );
    assert_eq!(
        found(&files),
        [
            "hbbs/src/hbbr.rs:7",
            "hbbs/src/rendezvous_server.rs:33 runs in service binary `hbbs`: main → hbbs::rendezvous_server::RendezvousServer::start_with_bind → hbbs::rendezvous_server::RendezvousServer::io_loop",
        ]
    );
}

const PLATFORM_COMMON_LIB: &str = r#"//! Shared by the server and the desktop client.
pub mod config;
#[cfg(windows)]
pub mod tray;
"#;

const PLATFORM_CONFIG: &str = r#"use std::{fs, path::{Path, PathBuf}};

pub struct Config;

impl Config {
    fn path<P: AsRef<Path>>(p: P) -> PathBuf {
        Path::new("/var/lib/app").join(p)
    }

    pub fn icon_path() -> PathBuf {
        let path = Self::path("icons");
        fs::write(path.join("app.ico"), b"\0").ok();
        path
    }
}

pub fn save_peers(data: &[u8]) {
    std::fs::write("peers.json", data).ok();
}
"#;

const PLATFORM_TRAY: &str = r#"pub fn install() {
    std::fs::write("C:\\tray.ini", b"[tray]").ok();
}
"#;

const PLATFORM_SERVER: &str = r#"use common::config;

fn handle(data: &[u8]) {
    let _db = {
        let mut db = "db_v2.sqlite3".to_owned();
        #[cfg(all(windows, not(debug_assertions)))]
        {
            if let Some(path) = config::Config::icon_path().parent() {
                db = format!("{}\\{}", path.to_str().unwrap_or("."), db);
            }
        }
        db
    };
    #[cfg(target_os = "macos")]
    std::fs::write("/Library/Caches/peer", data).ok();
    #[cfg(unix)]
    config::save_peers(data);
}

#[cfg(windows)]
fn service_main() {
    common::tray::install();
}

#[tokio::main]
async fn main() {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:21116").await.unwrap();
    #[cfg(windows)]
    service_main();
    loop {
        let (_stream, _) = listener.accept().await.unwrap();
        handle(b"peer");
    }
}
"#;

#[test]
fn code_for_other_platforms_than_the_deploys_is_not_service_code() {
    let files = [
        ("Cargo.toml", ROOT),
        ("crates/common/Cargo.toml", &manifest("common", "")),
        ("crates/common/src/lib.rs", PLATFORM_COMMON_LIB),
        ("crates/common/src/config.rs", PLATFORM_CONFIG),
        ("crates/common/src/tray.rs", PLATFORM_TRAY),
        (
            "crates/server/Cargo.toml",
            &manifest(
                "server",
                "[dependencies]\ncommon = { path = \"../common\" }\ntokio = \"1\"\n",
            ),
        ),
        ("crates/server/src/main.rs", PLATFORM_SERVER),
    ];
    assert_eq!(entries(&files), [("server".to_string(), EntryKind::Service)]);
    // Only the write that runs on Linux: not `icon_path` (called under
    // `cfg(windows)`), the macOS write, or the Windows-only tray module.
    assert_eq!(
        found(&files),
        [
            "crates/common/src/config.rs:18 runs in service binary `server`: main → server::handle → common::config::save_peers"
        ]
    );
}

#[test]
fn the_last_two_segments_of_a_path() {
    use super::tail;
    assert_eq!(tail("a::b::c"), Some("b::c"));
    assert_eq!(tail("b::c"), Some("b::c"));
    assert_eq!(tail("c"), None);
}

#[test]
fn a_glob_re_export_of_a_renamed_re_export_is_followed() {
    // `app::Server::start` reaches `engine::Listener::start` through the
    // crate root's `pub use api::*;` and `api`'s `pub use crate::engine::Listener as Server;`.
    let lib = r#"mod api;
mod engine;
pub use api::*;
"#;
    let api = "pub use crate::engine::Listener as Server;\n";
    let engine = r#"pub struct Listener;

impl Listener {
    pub fn start(&self) {
        let listener = std::net::TcpListener::bind("0.0.0.0:8080").unwrap();
        for stream in listener.incoming() {
            std::fs::write("last-peer", format!("{:?}", stream.is_ok())).ok();
        }
    }
}
"#;
    let main = "fn main() {\n    app::Server::start(&app::Server);\n}\n";
    let files = [
        ("Cargo.toml", "[workspace]\nmembers = [\"app\", \"server\"]\n"),
        ("app/Cargo.toml", &manifest("app", "")),
        ("app/src/lib.rs", lib),
        ("app/src/api.rs", api),
        ("app/src/engine.rs", engine),
        (
            "server/Cargo.toml",
            &manifest("server", "[dependencies]\napp = { path = \"../app\" }\n"),
        ),
        ("server/src/main.rs", main),
    ];
    assert_eq!(entries(&files), [("server".to_string(), EntryKind::Service)]);
}

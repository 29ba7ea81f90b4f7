use syn::spanned::Spanned;

use crate::declare_rule;
use crate::diagnostic::{Applicability, Edit, Span};
use crate::engine::model::Family;
use crate::engine::{Call, Cx, Fact, PackageReport};
use crate::rules::rewrite::{self, Parent};
use crate::rules::services::{self, Handling};
use crate::rules::{Factor, Rule, RuleMeta};

declare_rule! {
    /// ### What it does
    /// Finds long-running service binaries that never handle SIGTERM. A binary
    /// is a service when its `main` (directly or through functions of the
    /// package, its library included) serves HTTP or gRPC (axum, hyper, warp,
    /// tonic, poem, salvo, tide, tiny_http, actix-web, Rocket), loops over a
    /// listener's `accept`/`incoming`, consumes a queue (lapin, rdkafka,
    /// redis pub/sub, async-nats), or runs an endless `loop` in `main`.
    /// SIGTERM is handled by `tokio::signal::unix::signal(SignalKind::terminate())`,
    /// signal-hook with `SIGTERM`/`TERM_SIGNALS`, `ctrlc` with its `termination`
    /// feature, nix, libc or async-signal handlers, and by frameworks that do it
    /// themselves (actix-web and Rocket 0.5 unless told not to, shuttle, loco).
    /// Short-lived binaries (CLIs, one-off admin commands) are not reported.
    ///
    /// ### Why is this bad
    /// Twelve-factor processes are disposable: they can be stopped at any
    /// moment and shut down gracefully when asked. Orchestrators (Kubernetes,
    /// Docker, systemd, Heroku) ask with SIGTERM, then send SIGKILL after a
    /// grace period. A service that ignores SIGTERM drops in-flight requests
    /// and leaves half-done work behind on every deploy; as PID 1 in a
    /// container it does not even exit, so every stop waits out the full
    /// timeout. `tokio::signal::ctrl_c()` only catches SIGINT (Ctrl-C in a
    /// terminal), not SIGTERM.
    ///
    /// ### Example
    /// ```rust,ignore
    /// #[tokio::main]
    /// async fn main() {
    ///     let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    ///     axum::serve(listener, app()).await.unwrap();
    /// }
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// #[tokio::main]
    /// async fn main() {
    ///     let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    ///     axum::serve(listener, app())
    ///         .with_graceful_shutdown(shutdown_signal())
    ///         .await
    ///         .unwrap();
    /// }
    ///
    /// async fn shutdown_signal() {
    ///     use tokio::signal::unix::{signal, SignalKind};
    ///     let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    ///     tokio::select! {
    ///         _ = term.recv() => {},
    ///         _ = tokio::signal::ctrl_c() => {},
    ///     }
    /// }
    /// ```
    ///
    /// ### Fix
    /// With `--unsafe-fixes`, `cargo twelve fix` adds an
    /// `async fn shutdown_signal()` that completes on SIGTERM or Ctrl-C and
    /// wires it into the serve call: axum's and hyper's
    /// `.with_graceful_shutdown(shutdown_signal())`, warp's
    /// `bind_with_graceful_shutdown`, tonic's `serve_with_shutdown`. Code that
    /// waits for `tokio::signal::ctrl_c()` only waits for SIGTERM as well.
    pub MissingSignalHandler => "missing_signal_handler", Factor::Disposability, Warn, fixable: false, options: []
}

impl Rule for MissingSignalHandler {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
    fn fact_types(&self) -> &'static [crate::engine::cache::FactType] {
        const { &[crate::engine::cache::FactType::of::<crate::rules::services::SignalFact>()] }
    }

    fn check_call(&self, cx: &mut Cx<'_>, call: &Call<'_>) {
        services::record_call(cx, call);
    }

    fn check_expr(&self, cx: &mut Cx<'_>, expr: &syn::Expr) {
        services::record_expr(cx, expr);
    }

    fn check_package(&self, cx: &mut PackageReport<'_>, _facts: &[Fact]) {
        for service in services::services(cx) {
            if service.framework_handles {
                continue;
            }
            let handling = service.handling;
            if matches!(handling, Some(Handling::Term | Handling::Unknown)) {
                continue;
            }
            let entry = service.entry;
            // A service configured as one has no marker to point at.
            let Some((marker_span, marker)) = entry.evidence.first() else {
                continue;
            };
            let int_only = handling == Some(Handling::IntOnly);
            // `ctrl_c().await; std::process::exit(130)`: the service's way
            // to stop is to exit at once, which is what SIGTERM does by
            // default too, once an init (`tini`) runs it as PID 1.
            if int_only
                && service.int_only.iter().all(exits_at_once)
                && crate::rules::image::runs_an_init(cx.workspace_root)
            {
                continue;
            }
            let what = match &entry.subcommand {
                Some(_) => format!("subcommand `{}`", entry.name),
                None => format!("binary `{}`", entry.name),
            };
            let message = if int_only {
                format!("{what} handles SIGINT (Ctrl-C) but not SIGTERM, which is what orchestrators send")
            } else {
                format!("{what} is a long-running service but never handles SIGTERM")
            };
            let help = match marker.family {
                Family::GracefulShutdown => {
                    "pass a future that completes on SIGTERM to `.with_graceful_shutdown(..)`: `tokio::signal::unix::signal(SignalKind::terminate())`"
                }
                Family::Warp => {
                    "serve with `.graceful(..)` (warp 0.4) or `bind_with_graceful_shutdown` and a future that completes on `tokio::signal::unix::signal(SignalKind::terminate())`"
                }
                Family::Tonic => {
                    "serve with `serve_with_shutdown(addr, signal)`, where `signal` completes on `tokio::signal::unix::signal(SignalKind::terminate())`"
                }
                Family::Poem => {
                    "use `run_with_graceful_shutdown` with a future that completes on `tokio::signal::unix::signal(SignalKind::terminate())`"
                }
                Family::Loop | Family::Other => {
                    "listen for SIGTERM (`tokio::signal::unix::signal(SignalKind::terminate())`, or signal-hook's `SIGTERM`), stop taking new work and let in-flight work finish before exiting"
                }
            };
            let fix = if int_only {
                service.int_only.first().and_then(add_sigterm_arm)
            } else {
                graceful_shutdown(marker_span, marker.family)
            };
            let fix = fix.map(|(message, mut edits)| {
                let wanted: &[&str] = if int_only { &["signal"] } else { &["signal", "macros"] };
                edits.extend(tokio_features(cx, wanted));
                (message, edits)
            });
            let d = cx
                .report(entry.main_span.clone(), message)
                .label(if int_only {
                    "stops on Ctrl-C, but SIGTERM kills it mid-request"
                } else {
                    "this service does not shut down gracefully on SIGTERM"
                })
                .secondary(
                    marker_span.clone(),
                    format!("runs {} until the process is killed", marker.what),
                );
            if let Some(off) = &service.defaults_off {
                d.secondary(
                    off.clone(),
                    "this turns off the server's own graceful shutdown on SIGTERM",
                );
            }
            let d = d
                .note("orchestrators (Kubernetes, Docker, systemd, Heroku) stop a process with SIGTERM and kill it after a grace period; in-flight work is lost, and as PID 1 in a container the process ignores SIGTERM until it is killed");
            if int_only {
                d.note("`tokio::signal::ctrl_c()` and `ctrlc` (without its `termination` feature) only catch SIGINT");
            }
            d.help(help);
            if let Some((message, edits)) = fix {
                d.suggest(message, edits, Applicability::MaybeIncorrect);
            }
            d.origin = Some(crate::diagnostic::Origin {
                package: entry.package,
                target: entry.target,
            });
        }
    }
}

/// What the suggestion adds: a future that completes on SIGTERM or
/// Ctrl-C, as the axum and tokio examples write it.
const SHUTDOWN_SIGNAL: &str = r#"

/// Completes when the process is asked to stop: SIGTERM (what
/// orchestrators send) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.expect("failed to listen for Ctrl-C");
    };
    #[cfg(unix)]
    let terminate = async {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("failed to listen for SIGTERM")
            .recv()
            .await;
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
"#;

/// Wires a `shutdown_signal()` into the serve call at `serve` and adds the
/// function to its file: axum's and hyper's `.with_graceful_shutdown(..)`,
/// warp's `bind_with_graceful_shutdown`, tonic's `serve_with_shutdown`.
fn graceful_shutdown(serve: &Span, family: Family) -> Option<(String, Vec<Edit>)> {
    let file = &serve.file;
    if file.text.contains("fn shutdown_signal") {
        return None;
    }
    let site = rewrite::site(file, serve.range.clone())?;
    let edit = |range: std::ops::Range<usize>, text: &str| Edit {
        span: Span::new(file.clone(), range),
        replacement: text.to_string(),
    };
    // The method chain on the serve call, innermost first.
    let chain: Vec<&syn::ExprMethodCall> = site
        .parents
        .iter()
        .map_while(|p| match p {
            Parent::Expr(syn::Expr::MethodCall(m)) => Some(m),
            _ => None,
        })
        .collect();
    let mut at = serve.range.clone();
    let mut chained = Vec::new();
    for m in &chain {
        if m.receiver.span().byte_range() != at {
            break;
        }
        chained.push(*m);
        at = m.span().byte_range();
    }
    let wire = match family {
        Family::GracefulShutdown => {
            // `axum::serve(..)` is the server; `Server::bind(..)` is one once `.serve(..)` is called.
            let server = match chained.iter().find(|m| m.method == "serve") {
                Some(m) => m.span().byte_range(),
                None if serve_is_axum_serve(serve) => serve.range.clone(),
                None => return None,
            };
            edit(server.end..server.end, ".with_graceful_shutdown(shutdown_signal())")
        }
        // The method is renamed and takes the signal as a second
        // argument; the address stays as written, for other fixes to edit.
        Family::Warp => {
            let run = chained.iter().find(|m| m.method == "run" && m.args.len() == 1)?;
            let close = run.paren_token.span.close().byte_range();
            return Some((
                "shut down gracefully on SIGTERM or Ctrl-C".into(),
                vec![
                    edit(run.method.span().byte_range(), "bind_with_graceful_shutdown"),
                    edit(close.start..close.end, ", shutdown_signal()).1"),
                    shutdown_fn(file),
                ],
            ));
        }
        Family::Tonic => {
            let serve = chained.iter().find(|m| m.method == "serve" && m.args.len() == 1)?;
            let close = serve.paren_token.span.close().byte_range();
            return Some((
                "shut down gracefully on SIGTERM or Ctrl-C".into(),
                vec![
                    edit(serve.method.span().byte_range(), "serve_with_shutdown"),
                    edit(close.start..close.start, ", shutdown_signal()"),
                    shutdown_fn(file),
                ],
            ));
        }
        _ => return None,
    };
    Some((
        "shut down gracefully on SIGTERM or Ctrl-C".into(),
        vec![wire, shutdown_fn(file)],
    ))
}

/// `shutdown_signal()` at the end of `file`.
fn shutdown_fn(file: &std::sync::Arc<crate::source::SourceFile>) -> Edit {
    let end = file.text.trim_end().len();
    Edit {
        span: Span::new(file.clone(), end..end),
        replacement: SHUTDOWN_SIGNAL.trim_end_matches('\n').to_string(),
    }
}

/// Whether the marker is itself a call of `serve(..)` (axum 0.7's
/// `axum::serve(listener, app)`), which takes the shutdown future.
fn serve_is_axum_serve(serve: &Span) -> bool {
    let text = serve.snippet();
    let head = text.split('(').next().unwrap_or("");
    head.trim_end().ends_with("serve")
}

/// The edit that turns on the tokio features `wanted` (of `signal`,
/// `macros`) the added code needs, when the package's tokio lacks them:
/// into the `features` array of its inline table, a new one, or a
/// `tokio = "1"` made a table.
fn tokio_features(cx: &PackageReport<'_>, wanted: &[&str]) -> Option<Edit> {
    let dep = cx.package.dependency("tokio")?;
    if dep.features.iter().any(|f| f == "full") {
        return None;
    }
    let missing: Vec<String> = wanted
        .iter()
        .filter(|w| !dep.features.iter().any(|f| f == *w))
        .map(|w| format!("\"{w}\""))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let decl = crate::manifest::dependencies(&cx.package.manifest_path, cx.workspace_root)
        .into_iter()
        .find(|d| d.name == "tokio" && d.kind == crate::manifest::DepKind::Normal && d.target.is_none() && !d.patch)?;
    let text = &decl.file.text;
    let file = decl.file.clone();
    let after_key = &text[decl.key.end..];
    let value = after_key.trim_start().strip_prefix('=')?.trim_start();
    let value_start = text.len() - value.len();
    let list = missing.join(", ");
    if value.starts_with('"')
        && let Some(v) = &decl.version
        && v.span.start == value_start
    {
        return Some(Edit {
            span: Span::new(file, v.span.clone()),
            replacement: format!("{{ version = \"{}\", features = [{list}] }}", v.value),
        });
    }
    if !value.starts_with('{') {
        return None;
    }
    let close = value_start + value.find('}')?;
    let table = &text[value_start..close];
    if let Some(at) = table.find("features") {
        let open = value_start + at + table[at..].find('[')?;
        let inside = text[open + 1..].trim_start();
        let sep = if inside.starts_with(']') { "" } else { ", " };
        return Some(Edit {
            span: Span::new(file, open + 1..open + 1),
            replacement: format!("{list}{sep}"),
        });
    }
    let end = text[..close].trim_end().len();
    Some(Edit {
        span: Span::new(file, end..end),
        replacement: format!(", features = [{list}]"),
    })
}

/// Whether the statement after a Ctrl-C wait exits the process and ends
/// its block: `tokio::signal::ctrl_c().await.unwrap(); std::process::exit(130); }`.
fn exits_at_once(ctrl_c: &Span) -> bool {
    let text = &ctrl_c.file.text;
    let Some(end) = text[ctrl_c.range.end..].find(';') else {
        return false;
    };
    let rest = text[ctrl_c.range.end + end + 1..].trim_start();
    let Some(call) = ["std::process::exit(", "process::exit(", "exit("]
        .iter()
        .find_map(|p| rest.strip_prefix(p))
    else {
        return false;
    };
    call.split_once(')')
        .map(|(_, after)| after.trim_start().trim_start_matches(';').trim_start())
        .is_some_and(|after| after.starts_with('}'))
}

/// `tokio::signal::ctrl_c()` becomes a future that also completes on
/// SIGTERM, with the same `io::Result<()>` output.
fn add_sigterm_arm(ctrl_c: &Span) -> Option<(String, Vec<Edit>)> {
    let text = ctrl_c.snippet();
    if !text.trim_end().ends_with("ctrl_c()") {
        return None;
    }
    let file = &ctrl_c.file;
    let line = file.line_text(ctrl_c.start().line);
    let indent = &line[..line.len() - line.trim_start().len()];
    let replacement = [
        "async {".to_string(),
        "    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;".into(),
        format!("    let mut ctrl_c = std::pin::pin!({text});"),
        "    // Whichever comes first.".into(),
        "    std::future::poll_fn(|cx| match std::future::Future::poll(ctrl_c.as_mut(), cx) {".into(),
        "        std::task::Poll::Ready(r) => std::task::Poll::Ready(r),".into(),
        "        std::task::Poll::Pending => term.poll_recv(cx).map(|_| Ok(())),".into(),
        "    })".into(),
        "    .await".into(),
        "}".into(),
    ]
    .join(&format!("\n{indent}"));
    Some((
        "wait for SIGTERM as well as Ctrl-C".into(),
        vec![Edit {
            span: ctrl_c.clone(),
            replacement,
        }],
    ))
}

#[cfg(test)]
mod tests {
    use super::MissingSignalHandler;
    use crate::diagnostic::Diagnostic;
    use crate::test_support::{MIGRATE_BIN, check_package_rule, file_line_messages};

    fn check(manifest: &str, files: &[(&str, &str)]) -> Vec<Diagnostic> {
        check_package_rule(&MissingSignalHandler, manifest, files)
    }

    fn found(manifest: &str, files: &[(&str, &str)]) -> Vec<String> {
        file_line_messages(&check(manifest, files))
    }

    const TOKIO: &str = "[dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\naxum = \"0.8\"\n";

    #[test]
    fn axum_serve_without_sigterm_fires_on_main_with_the_serve_call() {
        let main = r#"
use axum::{routing::get, Router};

#[tokio::main]
async fn main() {
    let app = Router::new().route("/", get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
"#;
        let ds = check(TOKIO, &[("src/main.rs", main)]);
        assert_eq!(ds.len(), 1, "{ds:?}");
        let d = &ds[0];
        assert_eq!(d.span.snippet(), "main");
        assert_eq!(
            d.message,
            "binary `app` is a long-running service but never handles SIGTERM"
        );
        assert_eq!(d.secondary[0].span.snippet(), "axum::serve(listener, app)");
        assert!(d.helps[0].contains("with_graceful_shutdown"));
    }

    #[test]
    fn graceful_shutdown_through_a_local_fn_is_compliant() {
        let main = r#"
use tokio::signal::unix::{signal, SignalKind};

#[tokio::main]
async fn main() {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await.unwrap();
    axum::serve(listener, app())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .unwrap();
}

fn app() -> axum::Router { axum::Router::new() }

async fn shutdown_signal() {
    let mut term = signal(SignalKind::terminate()).expect("install SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {},
        _ = tokio::signal::ctrl_c() => {},
    }
}
"#;
        assert_eq!(found(TOKIO, &[("src/main.rs", main)]), Vec::<String>::new());
    }

    #[test]
    fn ctrl_c_only_says_so() {
        let main = r#"
#[tokio::main]
async fn main() {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await.unwrap();
    axum::serve(listener, axum::Router::new())
        .with_graceful_shutdown(async { tokio::signal::ctrl_c().await.unwrap() })
        .await
        .unwrap();
}
"#;
        assert_eq!(
            found(TOKIO, &[("src/main.rs", main)]),
            ["main.rs:3 binary `app` handles SIGINT (Ctrl-C) but not SIGTERM, which is what orchestrators send"]
        );
    }

    #[test]
    fn re_exported_tokio_signal_paths_count() {
        let actix_rt = r#"
use actix_web::rt::signal::unix::{signal, SignalKind};
#[tokio::main]
async fn main() {
    let mut s = signal(SignalKind::terminate()).unwrap();
    let srv = hyper::Server::bind(&addr()).serve(make_svc());
    srv.with_graceful_shutdown(async move { s.recv().await; }).await.unwrap();
}
"#;
        assert_eq!(found(TOKIO, &[("src/main.rs", actix_rt)]), Vec::<String>::new());
        let workspace_reexport = r#"
use hbb_common::tokio;
#[tokio::main]
async fn main() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).unwrap();
    warp::serve(routes()).run(([0, 0, 0, 0], port())).await;
}
"#;
        assert_eq!(
            found(TOKIO, &[("src/main.rs", workspace_reexport)]),
            Vec::<String>::new()
        );
        // `axum::Server` is `hyper::Server`: a service.
        let axum06 = r#"
#[tokio::main]
async fn main() {
    axum::Server::bind(&"0.0.0.0:3000".parse().unwrap())
        .serve(app().into_make_service())
        .await
        .unwrap();
}
"#;
        assert_eq!(found(TOKIO, &[("src/main.rs", axum06)]).len(), 1);
    }

    #[test]
    fn serve_reached_through_the_lib_crate() {
        let lib = r#"
pub mod server {
    use std::net::SocketAddr;
    pub struct Server { addr: SocketAddr }
    impl Server {
        pub fn new(addr: SocketAddr) -> Self { Self { addr } }
        pub async fn run(self) -> std::io::Result<()> {
            let listener = tokio::net::TcpListener::bind(self.addr).await?;
            self.serve_on(listener).await
        }
        async fn serve_on(&self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
            axum::serve(listener, axum::Router::new()).await
        }
    }
}
"#;
        let main = r#"
use app::server::Server;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("ADDR").unwrap().parse().unwrap();
    Server::new(addr).run().await
}
"#;
        let got = found(TOKIO, &[("src/lib.rs", lib), ("src/main.rs", main)]);
        assert_eq!(
            got,
            ["main.rs:5 binary `app` is a long-running service but never handles SIGTERM"]
        );
        // The lib's handler counts for the binary.
        let lib_with_handler = format!(
            "{lib}\npub async fn shutdown() {{ tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).unwrap().recv().await; }}\n"
        );
        assert_eq!(
            found(TOKIO, &[("src/lib.rs", &lib_with_handler), ("src/main.rs", main)]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn short_lived_clis_and_admin_binaries_do_not_fire() {
        let cli = r#"
use clap::Parser;
#[derive(Parser)]
struct Args { path: String }
fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let text = std::fs::read_to_string(&args.path)?;
    for line in text.lines() { println!("{line}"); }
    loop {
        let mut s = String::new();
        if std::io::stdin().read_line(&mut s)? == 0 { break; }
    }
    Ok(())
}
"#;
        assert_eq!(
            found(TOKIO, &[("src/main.rs", cli), ("src/bin/migrate.rs", MIGRATE_BIN)]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn listener_loops_queue_consumers_and_endless_loops_are_services() {
        let listener = r#"
use std::net::TcpListener;
fn main() {
    let listener = TcpListener::bind("0.0.0.0:7000").unwrap();
    for stream in listener.incoming() {
        handle(stream.unwrap());
    }
}
fn handle(_: std::net::TcpStream) {}
"#;
        let worker = r#"
#[tokio::main]
async fn main() {
    loop {
        let job = next_job().await;
        process(job).await;
    }
}
"#;
        let consumer = r#"
use lapin::{Connection, ConnectionProperties, options::BasicConsumeOptions, types::FieldTable};
#[tokio::main]
async fn main() -> lapin::Result<()> {
    let conn = Connection::connect(&std::env::var("AMQP_URL").unwrap(), ConnectionProperties::default()).await?;
    let channel = conn.create_channel().await?;
    let mut consumer = channel
        .basic_consume("jobs", "worker", BasicConsumeOptions::default(), FieldTable::default())
        .await?;
    while let Some(delivery) = consumer.next().await { delivery?.ack(Default::default()).await?; }
    Ok(())
}
"#;
        let got = found(
            "[dependencies]\nlapin = \"2\"\ntokio = \"1\"\n",
            &[
                ("src/main.rs", listener),
                ("src/bin/worker.rs", worker),
                ("src/bin/consumer.rs", consumer),
            ],
        );
        assert_eq!(
            got,
            [
                "consumer.rs:4 binary `consumer` is a long-running service but never handles SIGTERM",
                "worker.rs:3 binary `worker` is a long-running service but never handles SIGTERM",
                "main.rs:3 binary `app` is a long-running service but never handles SIGTERM",
            ]
        );
    }

    #[test]
    fn signal_hook_nix_libc_and_ctrlc_termination_count() {
        let signal_hook = r#"
use signal_hook::consts::TERM_SIGNALS;
use signal_hook::flag;
fn main() {
    let term = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for sig in TERM_SIGNALS { flag::register(*sig, std::sync::Arc::clone(&term)).unwrap(); }
    let listener = std::net::TcpListener::bind("0.0.0.0:7000").unwrap();
    for s in listener.incoming() { drop(s); }
}
"#;
        assert_eq!(found("", &[("src/main.rs", signal_hook)]), Vec::<String>::new());
        let nix = r#"
use nix::sys::signal::{self, SigHandler, Signal};
extern "C" fn on_term(_: i32) {}
fn main() {
    unsafe { signal::signal(Signal::SIGTERM, SigHandler::Handler(on_term)) }.unwrap();
    let server = tiny_http::Server::http("0.0.0.0:8000").unwrap();
    for req in server.incoming_requests() { drop(req); }
}
"#;
        assert_eq!(found("", &[("src/main.rs", nix)]), Vec::<String>::new());
        let ignored = r#"
fn main() {
    unsafe { libc::signal(libc::SIGTERM, libc::SIG_IGN); }
    let server = tiny_http::Server::http("0.0.0.0:8000").unwrap();
    for req in server.incoming_requests() { drop(req); }
}
"#;
        assert_eq!(found("", &[("src/main.rs", ignored)]).len(), 1);
        let ctrlc = r#"
fn main() {
    ctrlc::set_handler(|| std::process::exit(0)).unwrap();
    let listener = std::net::TcpListener::bind("0.0.0.0:7000").unwrap();
    loop { let (s, _) = listener.accept().unwrap(); drop(s); }
}
"#;
        assert_eq!(
            found(
                "[dependencies]\nctrlc = { version = \"3\", features = [\"termination\"] }\n",
                &[("src/main.rs", ctrlc)]
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            found("[dependencies]\nctrlc = \"3\"\n", &[("src/main.rs", ctrlc)]),
            ["main.rs:2 binary `app` handles SIGINT (Ctrl-C) but not SIGTERM, which is what orchestrators send"]
        );
    }

    #[test]
    fn exiting_at_once_on_ctrl_c_under_an_init_is_a_choice() {
        let main = r#"
use actix_web::{web, App, HttpServer};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    tokio::spawn(async move {
        tokio::signal::ctrl_c().await.unwrap();
        std::process::exit(130);
    });
    HttpServer::new(|| App::new().route("/", web::get().to(|| async { "ok" })))
        // Terminate at once on Ctrl-C.
        .disable_signals()
        .bind(std::env::var("ADDR").unwrap())?
        .run()
        .await
}
"#;
        let manifest = "[dependencies]\nactix-web = \"4\"\ntokio = { version = \"1\", features = [\"full\"] }\n";
        let tini = "FROM alpine:3.20\nRUN apk add --no-cache tini\nCOPY app /bin/app\nENTRYPOINT [\"tini\", \"--\"]\nCMD [\"/bin/app\"]\n";
        assert_eq!(
            found(manifest, &[("src/main.rs", main), ("Dockerfile", tini)]),
            Vec::<String>::new()
        );
        // As PID 1 with no init, SIGTERM is ignored until the kill.
        let bare = "FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n";
        let ds = check(manifest, &[("src/main.rs", main), ("Dockerfile", bare)]);
        assert_eq!(ds.len(), 1, "{ds:?}");
        // The secondary label points at what turned the framework's own
        // handling off.
        assert!(
            ds[0].secondary.iter().any(|s| s.span.snippet() == "disable_signals()"),
            "{:?}",
            ds[0].secondary
        );
        // A Ctrl-C handler that drains first is not an exit at once.
        let drains = main.replace(
            "std::process::exit(130);",
            "drain().await;\n        std::process::exit(130);",
        );
        assert_eq!(
            check(manifest, &[("src/main.rs", &drains), ("Dockerfile", tini)]).len(),
            1
        );
    }

    #[test]
    fn sending_sigterm_to_a_child_is_not_handling_it() {
        let main = r#"
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
#[tokio::main]
async fn main() {
    kill(Pid::from_raw(42), Signal::SIGTERM).unwrap();
    axum::serve(tokio::net::TcpListener::bind("0.0.0.0:1").await.unwrap(), axum::Router::new()).await.unwrap();
}
"#;
        assert_eq!(found(TOKIO, &[("src/main.rs", main)]).len(), 1);
    }

    #[test]
    fn frameworks_that_handle_sigterm_by_default() {
        let actix = r#"
use actix_web::{web, App, HttpServer};
#[actix_web::main]
async fn main() -> std::io::Result<()> {
    HttpServer::new(|| App::new().route("/", web::get().to(|| async { "ok" })))
        .bind(("0.0.0.0", 8080))?
        .run()
        .await
}
"#;
        let manifest = "[dependencies]\nactix-web = \"4\"\n";
        assert_eq!(found(manifest, &[("src/main.rs", actix)]), Vec::<String>::new());
        let disabled = actix.replace(".run()", ".disable_signals()\n        .run()");
        assert_eq!(found(manifest, &[("src/main.rs", &disabled)]).len(), 1);
        let shuttle = r#"
#[shuttle_runtime::main]
async fn main() -> shuttle_axum::ShuttleAxum {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:1").await.unwrap();
    axum::serve(listener, axum::Router::new()).await.unwrap();
    Ok(axum::Router::new().into())
}
"#;
        assert_eq!(found(TOKIO, &[("src/main.rs", shuttle)]), Vec::<String>::new());
        let rocket = r#"
#[rocket::main]
async fn main() -> Result<(), rocket::Error> {
    let _ = rocket::build().mount("/", routes![]).launch().await?;
    Ok(())
}
"#;
        let rocket_manifest = "[dependencies]\nrocket = \"0.5\"\n";
        assert_eq!(found(rocket_manifest, &[("src/main.rs", rocket)]), Vec::<String>::new());
        let cleared = rocket.replace(
            "rocket::build()",
            "rocket::custom(rocket::Config { shutdown: rocket::config::Shutdown { signals: Default::default(), ..Default::default() }, ..Default::default() })",
        );
        assert_eq!(found(rocket_manifest, &[("src/main.rs", &cleared)]).len(), 1);
    }

    #[test]
    fn rocket_toml_or_code_that_clears_the_signals() {
        let main = r#"
#[rocket::main]
async fn main() -> Result<(), rocket::Error> {
    let _ = rocket::build().launch().await?;
    Ok(())
}
"#;
        let manifest = "[dependencies]\nrocket = \"0.5\"\n";
        let toml = "[default.shutdown]\nctrlc = true\nsignals = [\"hup\"]\n";
        assert_eq!(
            found(manifest, &[("src/main.rs", main), ("Rocket.toml", toml)]).len(),
            1
        );
        let keeps_term = "[default.shutdown]\nsignals = [\"term\", \"hup\"]\n";
        assert!(found(manifest, &[("src/main.rs", main), ("Rocket.toml", keeps_term)]).is_empty());
        let cleared = r#"
#[rocket::main]
async fn main() -> Result<(), rocket::Error> {
    let mut config = rocket::Config::default();
    config.shutdown.signals.clear();
    let _ = rocket::custom(config).launch().await?;
    Ok(())
}
"#;
        assert_eq!(found(manifest, &[("src/main.rs", cleared)]).len(), 1);
    }

    #[test]
    fn external_shutdown_helpers_are_trusted() {
        let main = r#"
#[tokio::main]
async fn main() {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:1").await.unwrap();
    axum::serve(listener, axum::Router::new())
        .with_graceful_shutdown(common::shutdown_signal())
        .await
        .unwrap();
}
"#;
        assert_eq!(found(TOKIO, &[("src/main.rs", main)]), Vec::<String>::new());
    }

    #[test]
    fn test_code_and_unreached_servers_do_not_fire() {
        let main = r#"
fn main() {
    println!("{}", app::VERSION);
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn serves() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        axum::serve(l, axum::Router::new()).await.unwrap();
    }
}
"#;
        let lib = r#"
pub const VERSION: &str = "1";
pub async fn serve_forever() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    axum::serve(l, axum::Router::new()).await.unwrap();
}
"#;
        assert_eq!(
            found(TOKIO, &[("src/main.rs", main), ("src/lib.rs", lib)]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn one_shot_listeners_in_clis_are_not_services() {
        // An OAuth callback: wait for one request, then go on.
        let main = r#"
use std::net::TcpListener;
fn main() -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    open::that(format!("https://auth.example.com/?port={}", listener.local_addr()?.port()))?;
    let code = wait_for_code(&listener)?;
    for stream in listener.incoming() {
        let stream = stream?;
        if handle(stream) { break; }
    }
    println!("logged in with {code}");
    Ok(())
}
fn wait_for_code(listener: &TcpListener) -> anyhow::Result<String> {
    loop {
        let (stream, _) = listener.accept()?;
        if let Some(code) = read_code(stream) { return Ok(code); }
    }
}
"#;
        assert_eq!(found("", &[("src/main.rs", main)]), Vec::<String>::new());
    }

    #[test]
    fn accept_inside_select_and_error_returns_are_still_servers() {
        let main = r#"
#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:7000").await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
    loop {
        tokio::select! {
            res = listener.accept() => {
                let (socket, _) = match res { Ok(x) => x, Err(e) => return Err(e) };
                tokio::spawn(handle(socket));
            }
            _ = rx.recv() => {}
        }
    }
}
"#;
        assert_eq!(
            found(TOKIO, &[("src/main.rs", main)]),
            ["main.rs:3 binary `app` is a long-running service but never handles SIGTERM"]
        );
    }

    #[test]
    // On the `main` that runs (the larger), not the stub for other platforms.
    fn cfg_gated_mains_are_one_binary() {
        let main = r#"
#[cfg(not(target_os = "linux"))]
fn main() {
    compile_error!("Linux only");
}

#[cfg(target_os = "linux")]
fn main() {
    let listener = std::net::TcpListener::bind("0.0.0.0:7000").unwrap();
    loop { let (s, _) = listener.accept().unwrap(); drop(s); }
}
"#;
        assert_eq!(
            found("", &[("src/main.rs", main)]),
            ["main.rs:8 binary `app` is a long-running service but never handles SIGTERM"]
        );
    }

    #[test]
    fn subcommand_serve_is_a_service() {
        let main = r#"
use clap::{Parser, Subcommand};
#[derive(Parser)] struct Cli { #[command(subcommand)] cmd: Cmd }
#[derive(Subcommand)] enum Cmd { Serve, Check }
#[tokio::main]
async fn main() {
    match Cli::parse().cmd {
        Cmd::Serve => serve().await,
        Cmd::Check => println!("ok"),
    }
}
async fn serve() {
    let l = tokio::net::TcpListener::bind("0.0.0.0:1").await.unwrap();
    axum::serve(l, axum::Router::new()).await.unwrap();
}
"#;
        assert_eq!(found(TOKIO, &[("src/main.rs", main)]).len(), 1);
    }
}

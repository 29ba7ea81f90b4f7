//! Which binaries of a package are long-running services, and how they
//! handle SIGTERM. Shared by `missing_signal_handler` (IX) and
//! `startup_migration` (XII).
//!
//! During the file pass, [`record_call`], [`record_expr`] and
//! [`record_item`] note facts: calls between the package's own functions,
//! serve calls, listener loops, queue consumers, signal registrations and
//! each binary's `main`. [`analyze`] then walks, for every binary target,
//! the calls reachable from `main` (the lib crate included).

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use syn::spanned::Spanned;
use syn::visit::{self, Visit};

use crate::diagnostic::{Origin, Span};
use crate::engine::{Call, Cx, Fact};
use crate::workspace::{Package, TargetKind};

/// Whether a framework stops gracefully on SIGTERM by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Defaults {
    /// Nothing: the app must listen for SIGTERM.
    None,
    /// actix-web, actix-server, ntex: yes, unless `.disable_signals()` or
    /// `.shutdown_signal(..)`.
    Actix,
    /// Rocket 0.5: yes, unless its shutdown config clears the signals.
    Rocket,
    /// shuttle, loco, pingora: always.
    Always,
}

/// Something that keeps a process running.
#[derive(Debug, Clone)]
pub(crate) struct Marker {
    /// What it is, for the label: `axum::serve`, `a listener loop`.
    pub what: String,
    /// Framework family, for the help text.
    pub family: Family,
    pub defaults: Defaults,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// `with_graceful_shutdown` (axum, hyper 0.14).
    GracefulShutdown,
    Warp,
    Tonic,
    Poem,
    /// Hyper 1 connections, listener loops, queue consumers, endless loops.
    Loop,
    Other,
}

/// How a place in the code handles termination signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Handling {
    /// SIGINT only (`tokio::signal::ctrl_c`, `ctrlc` without `termination`).
    IntOnly,
    /// A call into another crate that looks like shutdown handling
    /// (`common::shutdown_signal()`): cannot be seen, assumed to handle it.
    Unknown,
    /// SIGTERM.
    Term,
}

/// What callee a call may reach.
#[derive(Debug, Clone)]
pub(crate) enum Callee {
    /// Canonical candidates of a path call into the package.
    Paths(Vec<String>),
    /// A method: its name, and the receiver's type when known
    /// (`self`, `Type::new()..`).
    Method { name: String, ty: Option<String> },
}

/// A fact of the service graph.
#[derive(Debug, Clone)]
pub(crate) enum GraphFact {
    Call {
        caller: String,
        callee: Callee,
    },
    Marker {
        caller: String,
        marker: Marker,
    },
    Signal {
        handling: Handling,
    },
    /// A binary's `main`; `always` when its attributes promise signal
    /// handling (`#[shuttle_runtime::main]`).
    Main {
        path: String,
        always: bool,
    },
    /// `.disable_signals()`/`.shutdown_signal(..)` on an actix server, or a
    /// Rocket config that clears its shutdown signals.
    DefaultsOff {
        actix: bool,
    },
}

/// Serve calls by canonical path.
pub(crate) const SERVE_CALLS: &[(&str, Family, Defaults)] = &[
    ("axum::serve", Family::GracefulShutdown, Defaults::None),
    ("axum::serve::serve", Family::GracefulShutdown, Defaults::None),
    ("axum::Server::bind", Family::GracefulShutdown, Defaults::None),
    ("axum::Server::try_bind", Family::GracefulShutdown, Defaults::None),
    ("axum::Server::from_tcp", Family::GracefulShutdown, Defaults::None),
    ("axum::Server::builder", Family::GracefulShutdown, Defaults::None),
    ("hyper::Server::bind", Family::GracefulShutdown, Defaults::None),
    ("hyper::Server::try_bind", Family::GracefulShutdown, Defaults::None),
    ("hyper::Server::from_tcp", Family::GracefulShutdown, Defaults::None),
    ("hyper::Server::builder", Family::GracefulShutdown, Defaults::None),
    ("hyper::server::Server::bind", Family::GracefulShutdown, Defaults::None),
    (
        "hyper::server::Server::try_bind",
        Family::GracefulShutdown,
        Defaults::None,
    ),
    (
        "hyper::server::Server::from_tcp",
        Family::GracefulShutdown,
        Defaults::None,
    ),
    (
        "hyper::server::Server::builder",
        Family::GracefulShutdown,
        Defaults::None,
    ),
    ("axum_server::bind", Family::Other, Defaults::None),
    ("axum_server::bind_rustls", Family::Other, Defaults::None),
    ("axum_server::from_tcp", Family::Other, Defaults::None),
    ("axum_server::from_tcp_rustls", Family::Other, Defaults::None),
    ("warp::serve", Family::Warp, Defaults::None),
    ("tonic::transport::Server::builder", Family::Tonic, Defaults::None),
    ("poem::Server::new", Family::Poem, Defaults::None),
    ("poem::server::Server::new", Family::Poem, Defaults::None),
    ("salvo::Server::new", Family::Other, Defaults::None),
    ("salvo::server::Server::new", Family::Other, Defaults::None),
    ("tiny_http::Server::http", Family::Loop, Defaults::None),
    ("tiny_http::Server::https", Family::Loop, Defaults::None),
    ("tiny_http::Server::new", Family::Loop, Defaults::None),
    ("actix_web::HttpServer::new", Family::Other, Defaults::Actix),
    ("actix_server::Server::build", Family::Other, Defaults::Actix),
    ("actix_server::ServerBuilder::new", Family::Other, Defaults::Actix),
    ("ntex::web::HttpServer::new", Family::Other, Defaults::Actix),
    ("ntex::web::server", Family::Other, Defaults::Actix),
    ("ntex::server::build", Family::Other, Defaults::Actix),
    ("rocket::build", Family::Other, Defaults::Rocket),
    ("rocket::custom", Family::Other, Defaults::Rocket),
    ("rocket::ignite", Family::Other, Defaults::None),
    ("loco_rs::cli::main", Family::Other, Defaults::Always),
    ("loco_rs::boot::start", Family::Other, Defaults::Always),
    ("loco_rs::boot::run_app", Family::Other, Defaults::Always),
    ("pingora::server::Server::new", Family::Other, Defaults::Always),
    ("pingora_core::server::Server::new", Family::Other, Defaults::Always),
];

/// Methods that serve, with the chain roots they must come from (empty:
/// the method name alone is specific enough).
const SERVE_METHODS: &[(&str, &[&str])] = &[
    ("serve_connection", &[]),
    ("serve_connection_with_upgrades", &[]),
    (
        "listen",
        &[
            "tide::new",
            "tide::with_state",
            "tide::Server::new",
            "tide::Server::with_state",
        ],
    ),
];

/// Methods that consume a queue, with the crate (dependency) that makes the
/// name meaningful and the minimum number of arguments.
const CONSUME_METHODS: &[(&str, &str, usize)] = &[
    ("basic_consume", "lapin", 1),
    ("subscribe", "rdkafka", 1),
    ("subscribe", "async-nats", 1),
    ("subscribe", "redis", 1),
    ("psubscribe", "redis", 1),
    ("get_async_pubsub", "redis", 0),
    ("into_pubsub", "redis", 0),
    ("as_pubsub", "redis", 0),
    ("into_on_message", "redis", 0),
];

/// Functions that handle SIGINT only; any path ending in one of these.
pub(crate) const CTRL_C: &[&str] = &[
    "tokio::signal::ctrl_c",
    "actix_rt::signal::ctrl_c",
    "actix_web::rt::signal::ctrl_c",
];

/// Re-exports of `tokio::signal`.
const TOKIO_SIGNAL_REEXPORTS: &[(&str, &str)] = &[
    ("actix_rt::signal::", "tokio::signal::"),
    ("actix_web::rt::signal::", "tokio::signal::"),
    ("shuttle_runtime::tokio::", "tokio::"),
];

/// `ctrlc`: SIGINT only unless the `termination` feature is on.
pub(crate) const CTRLC_HANDLERS: &[&str] = &["ctrlc::set_handler", "ctrlc::try_set_handler"];

/// Libraries that catch SIGTERM themselves.
pub(crate) const TERM_HANDLING_CALLS: &[&str] = &[
    "tokio_graceful::Shutdown::default",
    "tokio_graceful::default_signal",
    "async_shutdown::ShutdownManager::wait_shutdown_triggered",
];
pub(crate) const TERM_HANDLING_METHODS: &[&str] = &["catch_signals"];

/// Callee names that send a signal rather than handle it.
const SENDERS: &[&str] = &["kill", "killpg", "raise", "pthread_kill", "tgkill", "sigqueue", "exit"];

/// Identifiers that name SIGTERM in signal-hook, nix, libc and async-signal.
const SIGTERM_NAMES: &[&str] = &["SIGTERM", "TERM_SIGNALS"];
/// Crates whose `SIGTERM` constants exist to register handlers.
const SIGNAL_HOOK_CRATES: &[&str] = &[
    "signal_hook::",
    "signal_hook_tokio::",
    "signal_hook_async_std::",
    "signal_hook_mio::",
];
/// Handlers that ignore or reset a signal.
const IGNORE_NAMES: &[&str] = &["SIG_IGN", "SIG_DFL", "SigIgn", "SigDfl"];

/// Methods too common to be worth a call-graph edge.
const COMMON_METHODS: &[&str] = &[
    "unwrap",
    "expect",
    "clone",
    "to_string",
    "to_owned",
    "into",
    "as_ref",
    "as_str",
    "iter",
    "map",
    "ok",
    "err",
    "len",
    "is_empty",
    "push",
    "push_str",
    "get",
    "insert",
    "contains",
    "collect",
    "await",
    "unwrap_or",
    "unwrap_or_else",
    "unwrap_or_default",
    "map_err",
    "and_then",
    "as_mut",
    "borrow",
    "borrow_mut",
    "lock",
    "read",
    "write",
    "format",
    "fmt",
    "eq",
    "cmp",
    "filter",
    "next",
    "join",
    "split",
    "trim",
    "parse",
    "with_context",
    "context",
    "is_some",
    "is_none",
    "is_ok",
    "is_err",
    "to_vec",
    "extend",
    "remove",
    "first",
    "last",
    "iter_mut",
    "into_iter",
    "as_bytes",
    "starts_with",
    "ends_with",
    "take",
    "replace",
    "entry",
    "or_insert",
    "or_default",
    "send",
    "recv",
    "display",
    "chars",
    "bytes",
    "keys",
    "values",
];

/// Crates whose calls are known; a shutdown-looking call elsewhere is
/// assumed to handle SIGTERM out of sight.
const KNOWN_CRATES: &[&str] = &[
    "std",
    "core",
    "alloc",
    "tokio",
    "futures",
    "actix_web",
    "actix_rt",
    "actix_server",
    "axum",
    "hyper",
    "hyper_util",
    "warp",
    "tonic",
    "poem",
    "salvo",
    "tide",
    "rocket",
    "tower",
    "tower_http",
    "tracing",
    "tokio_util",
    "async_std",
    "smol",
    "libc",
    "nix",
    "signal_hook",
    "signal_hook_registry",
    "signal_hook_tokio",
    "signal_hook_async_std",
    "signal_hook_mio",
    "ctrlc",
    "async_signal",
    "rustix",
    "windows_sys",
    "winapi",
    "tokio_graceful",
    "tokio_graceful_shutdown",
];

/// The crate names of the package's lib and bins: paths into the package
/// start with one of them.
fn crate_names(package: &Package) -> Vec<String> {
    package
        .targets
        .iter()
        .filter(|t| matches!(t.kind, TargetKind::Lib | TargetKind::Bin))
        .map(|t| t.crate_name.clone())
        .collect()
}

fn is_local(path: &str, crates: &[String]) -> bool {
    path.split_once("::")
        .is_some_and(|(first, _)| crates.iter().any(|c| c == first))
}

/// `actix_web::rt::signal::ctrl_c` is `tokio::signal::ctrl_c`.
fn normalize_tokio(path: &str) -> String {
    for (from, to) in TOKIO_SIGNAL_REEXPORTS {
        if let Some(at) = path.find(from) {
            return format!("{}{to}{}", &path[..at], &path[at + from.len()..]);
        }
    }
    path.to_string()
}

fn ends_with_path(path: &str, suffix: &str) -> bool {
    path == suffix || path.strip_suffix(suffix).is_some_and(|p| p.ends_with("::"))
}

/// Signal names mentioned in expressions: SIGTERM (or a set that holds it),
/// and whether the handler ignores it.
#[derive(Default)]
struct SignalScan {
    term: bool,
    ignore: bool,
}

impl<'ast> Visit<'ast> for SignalScan {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if let Some(last) = segs.last() {
            if SIGTERM_NAMES.contains(&last.as_str()) {
                self.term = true;
            }
            // async-signal `Signal::Term`, tokio `SignalKind::terminate()`.
            let prev = segs.len().checked_sub(2).map(|i| segs[i].as_str());
            if (last == "Term" && prev == Some("Signal")) || (last == "terminate" && prev == Some("SignalKind")) {
                self.term = true;
            }
            if IGNORE_NAMES.contains(&last.as_str()) {
                self.ignore = true;
            }
        }
        visit::visit_path(self, path);
    }
}

fn span_of_call(cx: &Cx<'_>, call: &Call<'_>) -> Span {
    let expr = call.expr;
    match (call.method, expr) {
        (Some(m), _) => cx.span_of(m.span().byte_range().start..expr.span().byte_range().end),
        (None, syn::Expr::Call(c)) => {
            let full = cx.span(expr);
            if full.start().line == full.end().line {
                full
            } else {
                cx.span(&c.func)
            }
        }
        _ => cx.span(expr),
    }
}

/// Whether the code around is code the service graph ignores: test code,
/// build scripts, and packages without a binary (no `main`, no service).
fn skip(cx: &Cx<'_>) -> bool {
    cx.in_test()
        || !matches!(cx.target_kind(), TargetKind::Lib | TargetKind::Bin)
        || !cx.package().targets.iter().any(|t| t.kind == TargetKind::Bin)
}

/// Records the facts a call gives: edges, serve markers, signal handling.
pub(crate) fn record_call(cx: &mut Cx<'_>, call: &Call<'_>) {
    if skip(cx) {
        return;
    }
    let Some(caller) = cx.enclosing_fn_path().map(str::to_string) else {
        return;
    };
    let prefixes = crate_names(cx.package());
    let span = span_of_call(cx, call);

    // Signal registrations that name SIGTERM in their arguments.
    let name = match call.method {
        Some(m) => m.to_string(),
        None => call
            .paths
            .first()
            .and_then(|p| p.rsplit("::").next())
            .unwrap_or_default()
            .to_string(),
    };
    if !SENDERS.iter().any(|s| name.starts_with(s)) && !call.args.is_empty() {
        let mut scan = SignalScan::default();
        for arg in &call.args {
            scan.visit_expr(arg);
            if let syn::Expr::Path(p) = arg
                && let Some(init) = cx.const_init(&p.path)
            {
                scan.visit_expr(init);
            }
            if let syn::Expr::Reference(r) = arg
                && let syn::Expr::Path(p) = &*r.expr
                && let Some(init) = cx.const_init(&p.path)
            {
                scan.visit_expr(init);
            }
        }
        if scan.term && !scan.ignore {
            cx.record(
                span.clone(),
                GraphFact::Signal {
                    handling: Handling::Term,
                },
            );
        }
    }

    if let Some(method) = call.method {
        let method = method.to_string();
        for (m, roots) in SERVE_METHODS {
            if method == *m && (roots.is_empty() || call.chain.root_is(roots)) {
                let family = if roots.is_empty() { Family::Loop } else { Family::Other };
                let what = if roots.is_empty() {
                    format!("`{method}`")
                } else {
                    format!("`{}`", roots[0])
                };
                cx.record(
                    span.clone(),
                    GraphFact::Marker {
                        caller: caller.clone(),
                        marker: Marker {
                            what,
                            family,
                            defaults: Defaults::None,
                        },
                    },
                );
            }
        }
        for (m, krate, min_args) in CONSUME_METHODS {
            if method == *m && call.args.len() >= *min_args && cx.package().dependency(krate).is_some() {
                cx.record(
                    span.clone(),
                    GraphFact::Marker {
                        caller: caller.clone(),
                        marker: Marker {
                            what: format!("a {krate} consumer (`{method}`)"),
                            family: Family::Loop,
                            defaults: Defaults::None,
                        },
                    },
                );
            }
        }
        if TERM_HANDLING_METHODS.contains(&method.as_str()) {
            cx.record(
                span.clone(),
                GraphFact::Signal {
                    handling: Handling::Term,
                },
            );
        }
        let actix = ["actix-web", "actix-server", "ntex"]
            .iter()
            .any(|d| cx.package().dependency(d).is_some());
        if actix && (method == "disable_signals" || (method == "shutdown_signal" && call.args.len() == 1)) {
            cx.record(span.clone(), GraphFact::DefaultsOff { actix: true });
        }
        // Rocket: `config.shutdown.signals.clear()`.
        if method == "clear"
            && let syn::Expr::MethodCall(m) = call.expr
            && let syn::Expr::Field(f) = &*m.receiver
            && matches!(&f.member, syn::Member::Named(n) if n == "signals")
            && cx.package().dependency("rocket").is_some()
        {
            cx.record(span.clone(), GraphFact::DefaultsOff { actix: false });
        }
        if !COMMON_METHODS.contains(&method.as_str()) {
            let ty = receiver_type(call, &caller, &prefixes);
            cx.record(
                span,
                GraphFact::Call {
                    caller,
                    callee: Callee::Method { name: method, ty },
                },
            );
        }
        return;
    }

    // Path calls.
    let paths: Vec<String> = call.paths.iter().map(|p| normalize_tokio(p)).collect();
    if let Some((path, family, defaults)) = SERVE_CALLS.iter().find(|(p, _, _)| paths.iter().any(|c| c == p)) {
        cx.record(
            span.clone(),
            GraphFact::Marker {
                caller: caller.clone(),
                marker: Marker {
                    what: format!("`{path}`"),
                    family: *family,
                    defaults: *defaults,
                },
            },
        );
    }
    let handling = if paths.iter().any(|p| CTRL_C.iter().any(|c| ends_with_path(p, c))) {
        Some(Handling::IntOnly)
    } else if paths.iter().any(|p| ends_with_path(p, "SignalKind::terminate")) {
        Some(Handling::Term)
    } else if call.is(CTRLC_HANDLERS) {
        let termination = cx
            .package()
            .dependency("ctrlc")
            .is_some_and(|d| d.features.iter().any(|f| f == "termination"));
        Some(if termination { Handling::Term } else { Handling::IntOnly })
    } else if call.is(TERM_HANDLING_CALLS) {
        Some(Handling::Term)
    } else if paths.iter().any(|p| looks_like_external_shutdown(p, &prefixes)) {
        Some(Handling::Unknown)
    } else {
        None
    };
    if let Some(handling) = handling {
        cx.record(span.clone(), GraphFact::Signal { handling });
    }
    let mut local: Vec<String> = paths.iter().filter(|p| is_local(p, &prefixes)).cloned().collect();
    // Functions passed by name: `thread::spawn(worker)`, `.map(handle)`.
    for arg in &call.args {
        if let syn::Expr::Path(p) = arg {
            local.extend(cx.resolve(&p.path).into_iter().filter(|p| is_local(p, &prefixes)));
        }
    }
    if !local.is_empty() {
        cx.record(
            span,
            GraphFact::Call {
                caller,
                callee: Callee::Paths(local),
            },
        );
    }
}

/// `common::shutdown_signal()`: a crate we cannot see into.
fn looks_like_external_shutdown(path: &str, prefixes: &[String]) -> bool {
    if is_local(path, prefixes) {
        return false;
    }
    let first = path.split("::").next().unwrap_or_default();
    if KNOWN_CRATES.contains(&first) || !path.contains("::") {
        return false;
    }
    let last = path.rsplit("::").next().unwrap_or_default().to_ascii_lowercase();
    last.contains("shutdown") || last.contains("signal") || last.contains("graceful")
}

/// The type a method is called on, when the syntax says: `self.run()` in an
/// `impl`, or `Server::new(..).run()` with `Server` of this package.
fn receiver_type(call: &Call<'_>, caller: &str, prefixes: &[String]) -> Option<String> {
    if let syn::Expr::MethodCall(m) = call.expr
        && let syn::Expr::Path(p) = &*m.receiver
        && p.path.is_ident("self")
    {
        return caller.rsplit_once("::").map(|(ty, _)| ty.to_string());
    }
    call.chain
        .root
        .iter()
        .filter(|r| is_local(r, prefixes))
        .find_map(|r| r.rsplit_once("::").map(|(ty, _)| ty.to_string()))
        .filter(|_| call.chain.steps.len() == 1)
        .filter(|ty| {
            ty.rsplit("::")
                .next()
                .is_some_and(|s| s.starts_with(|c: char| c.is_ascii_uppercase()))
        })
}

/// Records loops that keep a process alive: around `accept`/`incoming`, or
/// endless in `main`.
pub(crate) fn record_expr(cx: &mut Cx<'_>, expr: &syn::Expr) {
    if skip(cx) {
        return;
    }
    match expr {
        syn::Expr::Loop(_) | syn::Expr::While(_) | syn::Expr::ForLoop(_) => {}
        syn::Expr::Path(p) => {
            // signal-hook's constants are only for registering handlers:
            // `for sig in TERM_SIGNALS { flag::register(*sig, ..) }`.
            let named = p
                .path
                .segments
                .last()
                .is_some_and(|s| SIGTERM_NAMES.iter().any(|n| s.ident == n));
            if named
                && cx
                    .resolve(&p.path)
                    .iter()
                    .any(|r| SIGNAL_HOOK_CRATES.iter().any(|c| r.starts_with(c)))
            {
                let span = cx.span(p);
                cx.record(
                    span,
                    GraphFact::Signal {
                        handling: Handling::Term,
                    },
                );
            }
            return;
        }
        syn::Expr::Struct(s) => {
            // Rocket: `Shutdown { signals: .., .. }` without SIGTERM.
            let is_shutdown = s.path.segments.last().is_some_and(|l| l.ident == "Shutdown");
            if is_shutdown && cx.package().dependency("rocket").is_some() {
                for field in &s.fields {
                    if matches!(&field.member, syn::Member::Named(n) if n == "signals") {
                        let mut names = PathNames::default();
                        names.visit_expr(&field.expr);
                        if !names.0.iter().any(|n| n == "Term") {
                            let span = cx.span(field);
                            cx.record(span, GraphFact::DefaultsOff { actix: false });
                        }
                    }
                }
            }
            return;
        }
        _ => return,
    }
    let Some(caller) = cx.enclosing_fn_path().map(str::to_string) else {
        return;
    };
    let mut finder = AcceptFinder::default();
    match expr {
        syn::Expr::Loop(l) => finder.visit_block(&l.body),
        syn::Expr::While(w) => {
            finder.visit_expr(&w.cond);
            finder.visit_block(&w.body);
        }
        syn::Expr::ForLoop(f) => {
            finder.visit_expr(&f.expr);
            finder.visit_block(&f.body);
        }
        _ => {}
    }
    if let Some(range) = finder.found.filter(|_| !is_one_shot(expr)) {
        let span = cx.span_of(range);
        cx.record(
            span,
            GraphFact::Marker {
                caller,
                marker: Marker {
                    what: "a loop over a listener".into(),
                    family: Family::Loop,
                    defaults: Defaults::None,
                },
            },
        );
        return;
    }
    if let syn::Expr::Loop(l) = expr
        && cx.target_kind() == TargetKind::Bin
        && cx.module().len() == 1
        && cx.enclosing_fn() == Some("main")
        && is_endless(l)
    {
        let span = cx.span(&l.loop_token);
        cx.record(
            span,
            GraphFact::Marker {
                caller,
                marker: Marker {
                    what: "an endless loop".into(),
                    family: Family::Loop,
                    defaults: Defaults::None,
                },
            },
        );
    }
}

/// Every path segment in an expression.
#[derive(Default)]
struct PathNames(Vec<String>);

impl<'ast> Visit<'ast> for PathNames {
    fn visit_path_segment(&mut self, s: &'ast syn::PathSegment) {
        self.0.push(s.ident.to_string());
        visit::visit_path_segment(self, s);
    }
}

/// `listener.accept()` / `listener.incoming()` (no arguments).
#[derive(Default)]
struct AcceptFinder {
    found: Option<std::ops::Range<usize>>,
}

impl<'ast> Visit<'ast> for AcceptFinder {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if self.found.is_none() && m.args.is_empty() && (m.method == "accept" || m.method == "incoming") {
            self.found = Some(m.method.span().byte_range().start..m.span().byte_range().end);
        }
        visit::visit_expr_method_call(self, m);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        // `tokio::select! { Ok((s, _)) = listener.accept() => .. }`
        fn scan(tokens: proc_macro2::TokenStream, found: &mut Option<std::ops::Range<usize>>) {
            let tokens: Vec<proc_macro2::TokenTree> = tokens.into_iter().collect();
            for (i, t) in tokens.iter().enumerate() {
                if found.is_some() {
                    return;
                }
                match t {
                    proc_macro2::TokenTree::Group(g) => scan(g.stream(), found),
                    proc_macro2::TokenTree::Ident(id) if id == "accept" || id == "incoming" => {
                        let dot =
                            i > 0 && matches!(&tokens[i - 1], proc_macro2::TokenTree::Punct(p) if p.as_char() == '.');
                        if dot
                            && let Some(proc_macro2::TokenTree::Group(g)) = tokens.get(i + 1)
                            && g.delimiter() == proc_macro2::Delimiter::Parenthesis
                            && g.stream().is_empty()
                        {
                            *found = Some(id.span().byte_range().start..g.span().byte_range().end);
                        }
                    }
                    _ => {}
                }
            }
        }
        if self.found.is_none() {
            scan(m.tokens.clone(), &mut self.found);
        }
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// How a loop body can be left.
struct Exits<'l> {
    label: Option<&'l syn::Lifetime>,
    depth: usize,
    /// A `break` of this loop.
    breaks: bool,
    /// A `return` of something other than `Err(..)`.
    returns: bool,
    /// `return Err(..)`, `process::exit`, or an exit hidden in a macro.
    other: bool,
}

impl<'ast> Visit<'ast> for Exits<'_> {
    fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
        let ours = match (&b.label, self.label) {
            (None, _) => self.depth == 0,
            (Some(l), Some(mine)) => l.ident == mine.ident,
            (Some(_), None) => false,
        };
        self.breaks |= ours;
        visit::visit_expr_break(self, b);
    }
    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        let error = matches!(r.expr.as_deref(), Some(syn::Expr::Call(c))
            if matches!(&*c.func, syn::Expr::Path(p) if p.path.is_ident("Err")));
        if error {
            self.other = true;
        } else {
            self.returns = true;
        }
    }
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*c.func
            && p.path.segments.last().is_some_and(|s| s.ident == "exit")
        {
            self.other = true;
        }
        visit::visit_expr_call(self, c);
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        // `break` or `return` inside `select!` bodies.
        let text = m.tokens.to_string();
        if text.contains("break") {
            self.breaks = true;
        }
        if text.contains("return") {
            self.other = true;
        }
    }
    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        self.depth += 1;
        visit::visit_expr_loop(self, l);
        self.depth -= 1;
    }
    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        self.depth += 1;
        visit::visit_expr_while(self, w);
        self.depth -= 1;
    }
    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.depth += 1;
        visit::visit_expr_for_loop(self, f);
        self.depth -= 1;
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

fn exits<'l>(label: Option<&'l syn::Label>, body: &syn::Block) -> Exits<'l> {
    let mut exits = Exits {
        label: label.map(|l| &l.name),
        depth: 0,
        breaks: false,
        returns: false,
        other: false,
    };
    exits.visit_block(body);
    exits
}

/// A `loop` nothing leaves: no `break` of it, no `return`, no
/// `process::exit`.
fn is_endless(l: &syn::ExprLoop) -> bool {
    let e = exits(l.label.as_ref(), &l.body);
    !(e.breaks || e.returns || e.other)
}

/// A loop over a listener that stops after a connection it wanted (an
/// OAuth callback in a CLI: `break` or `return Ok(code)`) is not a server.
fn is_one_shot(expr: &syn::Expr) -> bool {
    let e = match expr {
        syn::Expr::Loop(l) => exits(l.label.as_ref(), &l.body),
        syn::Expr::While(w) => exits(w.label.as_ref(), &w.body),
        syn::Expr::ForLoop(f) => exits(f.label.as_ref(), &f.body),
        _ => return false,
    };
    e.breaks || e.returns
}

/// Records a binary's `main` and entry attributes.
pub(crate) fn record_item(cx: &mut Cx<'_>, item: &syn::Item) {
    if skip(cx) || cx.target_kind() != TargetKind::Bin || cx.module().len() != 1 {
        return;
    }
    let syn::Item::Fn(f) = item else { return };
    if f.sig.ident != "main" {
        return;
    }
    let always = f.attrs.iter().any(|a| {
        let segs: Vec<String> = a.path().segments.iter().map(|s| s.ident.to_string()).collect();
        segs.first().is_some_and(|s| s == "shuttle_runtime") || segs.iter().any(|s| s == "launch")
    });
    let path = format!("{}::main", cx.module()[0]);
    let span = cx.span(&f.sig.ident);
    cx.record(span, GraphFact::Main { path, always });
}

/// What one binary of the package does.
pub(crate) struct Binary {
    pub target: usize,
    /// Where `main` is, for the finding's JSON fields.
    pub origin: Origin,
    /// The name of `main`.
    pub main: Span,
    /// Serve calls and loops reachable from `main`, in source order.
    pub markers: Vec<(Span, Marker)>,
    /// The canonical path of `main`.
    pub main_path: String,
    /// The strongest signal handling in the binary and its lib, if any.
    pub handling: Option<Handling>,
    /// Whether a framework handles SIGTERM for it.
    pub framework_handles: bool,
}

impl Binary {
    pub fn is_service(&self) -> bool {
        !self.markers.is_empty()
    }
}

/// The call graph of a package, from its facts.
pub(crate) struct Graph<'f> {
    edges: HashMap<&'f str, Vec<(&'f Span, &'f Callee)>>,
    /// Function paths by their last segment, for method calls.
    by_name: HashMap<&'f str, Vec<&'f str>>,
    known: HashSet<&'f str>,
}

impl<'f> Graph<'f> {
    pub fn new(facts: &'f [Fact]) -> Self {
        let mut edges: HashMap<&str, Vec<(&Span, &Callee)>> = HashMap::new();
        let mut known: HashSet<&str> = HashSet::new();
        for fact in facts {
            match fact.get::<GraphFact>() {
                Some(GraphFact::Call { caller, callee }) => {
                    edges.entry(caller).or_default().push((&fact.span, callee));
                    known.insert(caller);
                }
                Some(GraphFact::Marker { caller, .. }) => {
                    known.insert(caller);
                }
                _ => {}
            }
        }
        let mut by_name: HashMap<&str, Vec<&str>> = HashMap::new();
        for k in &known {
            if let Some((_, last)) = k.rsplit_once("::") {
                by_name.entry(last).or_default().push(k);
            }
        }
        Self { edges, by_name, known }
    }

    /// Functions reachable from `root` through edges `follow` accepts.
    pub fn reach(&self, root: &str, follow: impl Fn(&Span) -> bool) -> HashSet<String> {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut queue: VecDeque<&str> = VecDeque::new();
        if let Some(k) = self.known.get(root) {
            seen.insert(k);
            queue.push_back(k);
        }
        while let Some(f) = queue.pop_front() {
            for (span, callee) in self.edges.get(f).into_iter().flatten() {
                if !follow(span) {
                    continue;
                }
                let mut next: Vec<&str> = Vec::new();
                match callee {
                    Callee::Paths(paths) => {
                        next.extend(paths.iter().filter_map(|p| self.known.get(p.as_str()).copied()));
                    }
                    Callee::Method { name, ty } => {
                        let exact = ty
                            .as_ref()
                            .and_then(|t| self.known.get(format!("{t}::{name}").as_str()).copied());
                        match exact {
                            Some(e) => next.push(e),
                            None => {
                                // A method of some type of this package.
                                for cand in self.by_name.get(name.as_str()).into_iter().flatten() {
                                    let parent = cand.rsplit_once("::").map_or("", |(p, _)| p);
                                    let ty = parent.rsplit("::").next().unwrap_or_default();
                                    if ty.starts_with(|c: char| c.is_ascii_uppercase()) {
                                        next.push(cand);
                                    }
                                }
                            }
                        }
                    }
                }
                for n in next {
                    if seen.insert(n) {
                        queue.push_back(n);
                    }
                }
            }
        }
        seen.into_iter().map(str::to_string).collect()
    }
}

/// Every binary target of the package with a `main`: whether it is a
/// service, and how it handles SIGTERM.
pub(crate) fn analyze(package: &Package, facts: &[Fact]) -> Vec<Binary> {
    let graph = Graph::new(facts);
    let lib: BTreeSet<usize> = package
        .targets
        .iter()
        .enumerate()
        .filter(|(_, t)| t.kind == TargetKind::Lib)
        .map(|(i, _)| i)
        .collect();
    let mut out: Vec<Binary> = Vec::new();
    for fact in facts {
        let Some(GraphFact::Main { path, always }) = fact.get::<GraphFact>() else {
            continue;
        };
        let target = fact.origin.target;
        // `#[cfg(..)] fn main` twice: one binary.
        if out.iter().any(|b| b.target == target) {
            continue;
        }
        let in_scope = |f: &Fact| f.origin.target == target || lib.contains(&f.origin.target);
        let reachable = graph.reach(path, |_| true);
        let mut markers: Vec<(Span, Marker)> = facts
            .iter()
            .filter_map(|f| match f.get::<GraphFact>() {
                Some(GraphFact::Marker { caller, marker }) if reachable.contains(caller) && in_scope(f) => {
                    Some((f.span.clone(), marker.clone()))
                }
                _ => None,
            })
            .collect();
        markers.sort_by_key(|(s, _)| (s.path().to_path_buf(), s.range.start));
        let handling = facts
            .iter()
            .filter(|f| in_scope(f))
            .filter_map(|f| match f.get::<GraphFact>() {
                Some(GraphFact::Signal { handling }) => Some(*handling),
                _ => None,
            })
            .max();
        let off = |actix: bool| {
            facts
                .iter()
                .filter(|f| in_scope(f))
                .any(|f| matches!(f.get::<GraphFact>(), Some(GraphFact::DefaultsOff { actix: a }) if *a == actix))
        };
        let rocket_off = off(false) || rocket_toml_clears_signals(package);
        let framework_handles = *always
            || markers.iter().any(|(_, m)| match m.defaults {
                Defaults::None => false,
                Defaults::Actix => !off(true),
                Defaults::Rocket => !rocket_off,
                Defaults::Always => true,
            });
        out.push(Binary {
            target,
            origin: fact.origin,
            main: fact.span.clone(),
            markers,
            main_path: path.clone(),
            handling,
            framework_handles,
        });
    }
    out
}

/// `Rocket.toml` with a `[*.shutdown]` table whose `signals` leave out
/// `term`.
fn rocket_toml_clears_signals(package: &Package) -> bool {
    if package.dependency("rocket").is_none() {
        return false;
    }
    let Ok(text) = std::fs::read_to_string(package.dir().join("Rocket.toml")) else {
        return false;
    };
    let Ok(table) = text.parse::<toml::Table>() else {
        return false;
    };
    table.values().any(|profile| {
        profile
            .get("shutdown")
            .and_then(|s| s.get("signals"))
            .and_then(|s| s.as_array())
            .is_some_and(|a| !a.iter().any(|v| v.as_str() == Some("term")))
    })
}

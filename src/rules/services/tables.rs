//! The per-framework data of the service graph: which calls serve, which
//! consume a queue, which handle or send signals, and which crates and
//! methods the graph knows.

use super::{Defaults, Family};

/// Serve calls by canonical path.
pub(super) const SERVE_CALLS: &[(&str, Family, Defaults)] = &[
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
pub(super) const SERVE_METHODS: &[(&str, &[&str])] = &[
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
pub(super) const CONSUME_METHODS: &[(&str, &str, usize)] = &[
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
pub(super) const CTRL_C: &[&str] = &[
    "tokio::signal::ctrl_c",
    "actix_rt::signal::ctrl_c",
    "actix_web::rt::signal::ctrl_c",
];

/// Re-exports of `tokio::signal`.
pub(super) const TOKIO_SIGNAL_REEXPORTS: &[(&str, &str)] = &[
    ("actix_rt::signal::", "tokio::signal::"),
    ("actix_web::rt::signal::", "tokio::signal::"),
    ("shuttle_runtime::tokio::", "tokio::"),
];

/// `ctrlc`: SIGINT only unless the `termination` feature is on.
pub(super) const CTRLC_HANDLERS: &[&str] = &["ctrlc::set_handler", "ctrlc::try_set_handler"];

/// Libraries that catch SIGTERM themselves.
pub(super) const TERM_HANDLING_CALLS: &[&str] = &[
    "tokio_graceful::Shutdown::default",
    "tokio_graceful::default_signal",
    "async_shutdown::ShutdownManager::wait_shutdown_triggered",
];
pub(super) const TERM_HANDLING_METHODS: &[&str] = &["catch_signals"];

/// Callee names that send a signal rather than handle it.
pub(super) const SENDERS: &[&str] = &["kill", "killpg", "raise", "pthread_kill", "tgkill", "sigqueue", "exit"];

/// Identifiers that name SIGTERM in signal-hook, nix, libc and async-signal.
pub(super) const SIGTERM_NAMES: &[&str] = &["SIGTERM", "TERM_SIGNALS"];
/// Crates whose `SIGTERM` constants exist to register handlers.
pub(super) const SIGNAL_HOOK_CRATES: &[&str] = &[
    "signal_hook::",
    "signal_hook_tokio::",
    "signal_hook_async_std::",
    "signal_hook_mio::",
];
/// Handlers that ignore or reset a signal.
pub(super) const IGNORE_NAMES: &[&str] = &["SIG_IGN", "SIG_DFL", "SigIgn", "SigDfl"];

/// Methods too common to be worth a call-graph edge.
pub(super) const COMMON_METHODS: &[&str] = &[
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
pub(super) const KNOWN_CRATES: &[&str] = &[
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

//! The per-framework data of the service graph: which calls serve, which
//! consume a queue, which handle or send signals, and which crates and
//! methods the graph knows.

/// Functions that handle SIGINT only; any path ending in one of these.
pub(crate) const CTRL_C: &[&str] = &[
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
pub(crate) const CTRLC_HANDLERS: &[&str] = &["ctrlc::set_handler", "ctrlc::try_set_handler"];

/// Libraries that catch SIGTERM themselves.
pub(crate) const TERM_HANDLING_CALLS: &[&str] = &[
    "tokio_graceful::Shutdown::default",
    "tokio_graceful::default_signal",
    "async_shutdown::ShutdownManager::wait_shutdown_triggered",
];
pub(crate) const TERM_HANDLING_METHODS: &[&str] = &["catch_signals"];

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

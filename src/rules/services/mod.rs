//! How the services of the workspace handle SIGTERM, for
//! `missing_signal_handler` (IX). The engine's service model
//! ([`crate::engine::model`]) finds the entry points, classifies them and
//! walks what each runs; during the pass, [`record_call`] and
//! [`record_expr`] note signal registrations and framework signal defaults
//! turned off, each with the function it is in.

use syn::visit::Visit;

use crate::diagnostic::Span;
use crate::engine::model::Defaults;
use crate::engine::{Call, Cx, Entry, EntryKind, Fact, PackageReport};
use crate::workspace::{Package, TargetKind};

mod scan;
mod tables;

use scan::{PathNames, SignalScan};
pub(crate) use tables::{CTRL_C, CTRLC_HANDLERS, TERM_HANDLING_CALLS, TERM_HANDLING_METHODS};
use tables::{KNOWN_CRATES, SENDERS, SIGNAL_HOOK_CRATES, SIGTERM_NAMES, TOKIO_SIGNAL_REEXPORTS};

/// How a place in the code handles termination signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub(crate) enum Handling {
    /// SIGINT only (`tokio::signal::ctrl_c`, `ctrlc` without `termination`).
    IntOnly,
    /// A call into another crate that looks like shutdown handling
    /// (`common::shutdown_signal()`): cannot be seen, assumed to handle it.
    Unknown,
    /// SIGTERM.
    Term,
}

/// What the pass notes about signals, in function `owner`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) enum SignalFact {
    Handles {
        handling: Handling,
        owner: Option<String>,
    },
    /// `.disable_signals()`/`.shutdown_signal(..)` on an actix server, or a
    /// Rocket config that clears its shutdown signals.
    DefaultsOff {
        actix: bool,
        owner: Option<String>,
    },
}

/// The crate names of the package's lib and bins: paths into the package
/// start with one of them.
fn crate_names(package: &Package) -> Vec<String> {
    package
        .targets
        .iter()
        .filter(|t| matches!(t.kind, TargetKind::Lib | TargetKind::Bin))
        .map(|t| t.root.clone())
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

/// Code a deployed process cannot run: tests, build scripts, examples.
fn skip(cx: &Cx<'_>) -> bool {
    cx.in_test() || !matches!(cx.target_kind(), TargetKind::Lib | TargetKind::Bin)
}

fn handles(cx: &mut Cx<'_>, span: Span, handling: Handling) {
    let owner = cx.owner().map(str::to_string);
    cx.record(span, SignalFact::Handles { handling, owner });
}

fn defaults_off(cx: &mut Cx<'_>, span: Span, actix: bool) {
    let owner = cx.owner().map(str::to_string);
    cx.record(span, SignalFact::DefaultsOff { actix, owner });
}

/// Records the signal handling a call gives.
pub(crate) fn record_call(cx: &mut Cx<'_>, call: &Call<'_>) {
    if skip(cx) {
        return;
    }
    let prefixes = crate_names(cx.package());
    // Found when needed: most calls record nothing.
    let call_span = |cx: &Cx<'_>| cx.span(call.expr);

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
            handles(cx, call_span(cx), Handling::Term);
        }
    }

    if let Some(method) = call.method {
        let method = method.to_string();
        if TERM_HANDLING_METHODS.contains(&method.as_str()) {
            handles(cx, call_span(cx), Handling::Term);
        }
        let actix = ["actix-web", "actix-server", "ntex"]
            .iter()
            .any(|d| cx.package().dependency(d).is_some());
        if actix && (method == "disable_signals" || (method == "shutdown_signal" && call.args.len() == 1)) {
            // `.disable_signals()`, not the whole builder chain.
            let span = call_span(cx);
            let at = call.method.map_or(span.range.start, |m| {
                cx.span_of(m.span().byte_range().start..span.range.end).range.start
            });
            let call_span = cx.span_of(at..span.range.end);
            defaults_off(cx, call_span, true);
        }
        // Rocket: `config.shutdown.signals.clear()`.
        if method == "clear"
            && let syn::Expr::MethodCall(m) = call.expr
            && let syn::Expr::Field(f) = &*m.receiver
            && matches!(&f.member, syn::Member::Named(n) if n == "signals")
            && cx.package().dependency("rocket").is_some()
        {
            defaults_off(cx, call_span(cx), false);
        }
        return;
    }

    let paths: Vec<String> = call.paths.iter().map(|p| normalize_tokio(p)).collect();
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
        handles(cx, call_span(cx), handling);
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

/// Records signal-hook's SIGTERM constants and Rocket shutdown configs
/// that leave SIGTERM out.
pub(crate) fn record_expr(cx: &mut Cx<'_>, expr: &syn::Expr) {
    if skip(cx) {
        return;
    }
    match expr {
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
                handles(cx, span, Handling::Term);
            }
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
                            defaults_off(cx, span, false);
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// A service entry point of the package being checked, and how what it
/// runs handles SIGTERM.
pub(crate) struct Service<'m> {
    pub entry: &'m Entry,
    /// The strongest signal handling in the code it runs, if any.
    pub handling: Option<Handling>,
    /// Whether a framework handles SIGTERM for it.
    pub framework_handles: bool,
    /// The SIGINT-only calls it runs (`tokio::signal::ctrl_c()`).
    pub int_only: Vec<Span>,
    /// Where it turns off a framework's own SIGTERM handling
    /// (`.disable_signals()`), when that framework serves it.
    pub defaults_off: Option<Span>,
}

/// The service entry points of `cx`'s package, each judged on the code it
/// runs across the workspace: a `server` subcommand that handles SIGTERM
/// does not cover a `worker` subcommand that never does.
pub(crate) fn services<'m>(cx: &PackageReport<'m>) -> Vec<Service<'m>> {
    let model = cx.model;
    let mut out = Vec::new();
    for entry in model.entries() {
        if entry.kind != EntryKind::Service || entry.package != cx.index {
            continue;
        }
        let reach = model.reach_all(entry);
        // What the binary's other subcommands run: a handler there is
        // theirs. A handler no entry point is seen to reach (called through
        // a trait, a callback) counts for its whole package.
        let siblings: Vec<_> = model
            .entries()
            .iter()
            .filter(|e| e.package == entry.package && e.target == entry.target && e.name != entry.name)
            .map(|e| model.reach_all(e))
            .collect();
        let runs = |f: &Fact, owner: &Option<String>| match owner {
            Some(o) => {
                reach.contains(o) || (f.origin.package == entry.package && !siblings.iter().any(|s| s.contains(o)))
            }
            None => f.origin.package == entry.package,
        };
        let mut handling = None;
        let mut int_only = Vec::new();
        let (mut actix_off, mut rocket_off) = (None, false);
        for f in cx.workspace_facts {
            match f.get::<SignalFact>() {
                Some(SignalFact::Handles { handling: h, owner }) if runs(f, owner) => {
                    handling = handling.max(Some(*h));
                    if *h == Handling::IntOnly {
                        int_only.push(f.span.clone());
                    }
                }
                Some(SignalFact::DefaultsOff { actix, owner }) if runs(f, owner) => {
                    if *actix {
                        actix_off.get_or_insert_with(|| f.span.clone());
                    } else {
                        rocket_off = true;
                    }
                }
                _ => {}
            }
        }
        rocket_off |= rocket_toml_clears_signals(cx.package);
        let framework_handles = entry.always
            || entry.evidence.iter().any(|(_, m)| match m.defaults {
                Defaults::None => false,
                Defaults::Actix => actix_off.is_none(),
                Defaults::Rocket => !rocket_off,
                Defaults::Always => true,
            });
        let defaults_off = actix_off.filter(|_| {
            entry
                .evidence
                .iter()
                .any(|(_, m)| matches!(m.defaults, Defaults::Actix))
        });
        out.push(Service {
            entry,
            handling,
            framework_handles,
            int_only,
            defaults_off,
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

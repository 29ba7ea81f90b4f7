//! `cargo twelve report`: the Twelve-Factor verification checklist made
//! executable. One row per factor with a status, the evidence it used and
//! the findings per rule.
//!
//! Findings come from one run of the engine with every rule (so rules
//! added later count in their factor's row), plus two collectors in the
//! same pass: [`EnvReads`] for the config surface and [`Evidence`] for
//! shutdown handling, logger setup, backing-service URL schemes chosen by
//! `debug_assertions`, and admin subcommands. Project files (`Cargo.lock`,
//! `Procfile`, `Dockerfile`, compose files, `.env.example`, README) are
//! read once.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use syn::visit::Visit;

use crate::declare_rule;
use crate::diagnostic::Severity;
use crate::engine::{self, Call, Cx, Fact, Options};
use crate::env_inventory::{self, EnvReads};
use crate::manifest;
use crate::rules::concurrency::daemonize;
use crate::rules::{self, Factor, Rule, RuleMeta};
use crate::workspace::{TargetKind, Workspace};

declare_rule! {
    /// ### What it does
    /// Collects project-level evidence for `cargo twelve report`: signal
    /// handling, logger setup, backing-service URLs chosen by
    /// `debug_assertions`, admin subcommands. It never reports.
    ///
    /// ### Why is this bad
    /// Nothing is: this is evidence, not a finding.
    ///
    /// ### Example
    /// ```rust,ignore
    /// axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
    /// ```
    ///
    /// ### Use instead
    /// Run `cargo twelve report`.
    pub Evidence => "report_evidence", Factor::Disposability, Warn, fixable: false, options: []
}

/// Calls that handle a termination signal or wire up graceful shutdown.
const SHUTDOWN_CALLS: &[&str] = &[
    "tokio::signal::ctrl_c",
    "tokio::signal::unix::signal",
    "signal_hook::flag::register",
    "signal_hook::flag::register_conditional_shutdown",
    "signal_hook::iterator::Signals::new",
    "signal_hook_tokio::Signals::new",
    "signal_hook_async_std::Signals::new",
    "ctrlc::set_handler",
    "ctrlc::try_set_handler",
    "nix::sys::signal::sigaction",
    "async_signal::Signals::new",
    "actix_rt::signal::ctrl_c",
    "actix_web::rt::signal::ctrl_c",
];
const SHUTDOWN_METHODS: &[&str] = &[
    "with_graceful_shutdown",
    "serve_with_shutdown",
    "serve_with_incoming_shutdown",
    "bind_with_graceful_shutdown",
    "run_with_graceful_shutdown",
    "graceful_shutdown",
    "shutdown_signal",
];
/// Loggers that write to stdout/stderr.
const STREAM_LOGGERS: &[&str] = &[
    "tracing_subscriber::fmt",
    "tracing_subscriber::fmt::init",
    "tracing_subscriber::fmt::try_init",
    "tracing_subscriber::fmt::layer",
    "tracing_subscriber::fmt::Subscriber::builder",
    "env_logger::init",
    "env_logger::try_init",
    "env_logger::Builder::new",
    "env_logger::Builder::from_default_env",
    "env_logger::Builder::from_env",
    "pretty_env_logger::init",
    "simple_logger::init",
    "simple_logger::SimpleLogger::new",
    "simplelog::TermLogger::init",
    "simplelog::TermLogger::new",
    "log4rs::append::console::ConsoleAppender::builder",
    "femme::start",
    "fern::Dispatch::new",
];
/// Loggers that write to files the app manages.
const FILE_LOGGERS: &[&str] = &[
    "tracing_appender::rolling::minutely",
    "tracing_appender::rolling::hourly",
    "tracing_appender::rolling::daily",
    "tracing_appender::rolling::weekly",
    "tracing_appender::rolling::never",
    "tracing_appender::rolling::RollingFileAppender::new",
    "tracing_appender::rolling::RollingFileAppender::builder",
    "log4rs::append::file::FileAppender::builder",
    "log4rs::append::rolling_file::RollingFileAppender::builder",
    "fern::log_file",
    "simplelog::WriteLogger::init",
    "simplelog::WriteLogger::new",
    "sloggers::file::FileLoggerBuilder::new",
];
const FILE_LOGGER_METHODS: &[&str] = &["log_to_file", "log_to_file_and_writer"];

/// URL schemes of backing services, and the kind each names.
const SCHEMES: &[(&str, &str)] = &[
    ("postgres://", "postgres"),
    ("postgresql://", "postgres"),
    ("mysql://", "mysql"),
    ("mariadb://", "mysql"),
    ("sqlite:", "sqlite"),
    ("redis://", "redis"),
    ("rediss://", "redis"),
    ("amqp://", "rabbitmq"),
    ("amqps://", "rabbitmq"),
    ("mongodb://", "mongodb"),
    ("mongodb+srv://", "mongodb"),
    ("nats://", "nats"),
];
/// Crates that connect to a kind of backing service.
const SERVICE_CRATES: &[(&str, &str)] = &[
    ("tokio-postgres", "postgres"),
    ("postgres", "postgres"),
    ("deadpool-postgres", "postgres"),
    ("bb8-postgres", "postgres"),
    ("redis", "redis"),
    ("deadpool-redis", "redis"),
    ("bb8-redis", "redis"),
    ("fred", "redis"),
    ("lapin", "rabbitmq"),
    ("deadpool-lapin", "rabbitmq"),
    ("mongodb", "mongodb"),
    ("rdkafka", "kafka"),
    ("async-nats", "nats"),
    ("nats", "nats"),
    ("mysql", "mysql"),
    ("mysql_async", "mysql"),
    ("rusqlite", "sqlite"),
    ("elasticsearch", "elasticsearch"),
    ("memcache", "memcached"),
];
/// Crates whose features name the database: sqlx, diesel, sea-orm.
const SQL_CRATES: &[&str] = &["sqlx", "diesel", "sea-orm", "diesel-async"];
const SQL_FEATURES: &[(&str, &str)] = &[
    ("postgres", "postgres"),
    ("sqlx-postgres", "postgres"),
    ("mysql", "mysql"),
    ("sqlx-mysql", "mysql"),
    ("sqlite", "sqlite"),
    ("sqlx-sqlite", "sqlite"),
];
/// Compose images, by substring, and the kind they provide.
const COMPOSE_IMAGES: &[(&str, &str)] = &[
    ("postgres", "postgres"),
    ("postgis", "postgres"),
    ("timescale", "postgres"),
    ("redis", "redis"),
    ("valkey", "redis"),
    ("keydb", "redis"),
    ("rabbitmq", "rabbitmq"),
    ("mongo", "mongodb"),
    ("kafka", "kafka"),
    ("redpanda", "kafka"),
    ("nats", "nats"),
    ("mysql", "mysql"),
    ("mariadb", "mysql"),
    ("elasticsearch", "elasticsearch"),
    ("opensearch", "elasticsearch"),
    ("memcached", "memcached"),
];
/// HTTP and RPC server crates: the app binds a port.
const SERVER_CRATES: &[&str] = &[
    "axum",
    "actix-web",
    "warp",
    "rocket",
    "poem",
    "salvo",
    "tide",
    "tiny_http",
];
/// Crates that are clients unless a server feature is on.
const SERVER_FEATURE_CRATES: &[(&str, &[&str])] = &[
    ("hyper", &["server", "full"]),
    ("hyper-util", &["server", "server-auto", "full"]),
    ("tonic", &["server", "transport"]),
];
/// Variables every process sees, not app config to document.
const SYSTEM_VARS: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "USERNAME",
    "USERPROFILE",
    "SHELL",
    "TERM",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "TEMP",
    "TMP",
    "PWD",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "FORCE_COLOR",
    "COLORTERM",
    "RUST_LOG",
    "RUST_BACKTRACE",
    "RUST_LIB_BACKTRACE",
    "SOURCE_DATE_EPOCH",
    "CI",
    "HOSTNAME",
    "SystemRoot",
];
const SYSTEM_PREFIXES: &[&str] = &["XDG_", "CARGO_", "LC_"];
/// Calls that detach the process from its supervisor: the `daemonize`
/// rule's tables, and the `daemonize` crate's constructor.
const DAEMONIZE_CONSTRUCTORS: &[&str] = &["daemonize::Daemonize::new"];
/// Servers that stop gracefully on SIGTERM without any code.
const SIGTERM_BY_DEFAULT: &[&str] = &["actix-web", "rocket", "shuttle-runtime", "loco-rs"];
/// Names of binaries and subcommands that are admin tasks.
const ADMIN_WORDS: &[&str] = &[
    "migrate",
    "migration",
    "admin",
    "manage",
    "seed",
    "console",
    "task",
    "job",
    "ctl",
    "cli",
    "setup",
    "bootstrap",
];
const RELEASE_SCRIPTS: &[&str] = &["release.sh", "scripts/release.sh", "bin/release", "script/release"];
const DOCKERFILES: &[&str] = &["Dockerfile", "Containerfile", "docker/Dockerfile"];
const COMPOSE_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];
const ENV_EXAMPLES: &[&str] = &[
    ".env.example",
    ".env.sample",
    ".env.template",
    ".env.dist",
    "env.example",
];
const READMES: &[&str] = &["README.md", "README", "README.rst", "readme.md"];

/// What the evidence collector records.
#[derive(Debug, Clone)]
enum Seen {
    Shutdown(String),
    StreamLogger(String),
    FileLogger(String),
    Daemonize(String),
    /// Backing-service kinds chosen per build profile.
    ProfileSchemes {
        debug: BTreeSet<&'static str>,
        release: BTreeSet<&'static str>,
    },
    Subcommands(Vec<String>),
}

impl Seen {
    /// The names recorded with one kind of evidence (`Seen::Shutdown`, ...).
    fn names<'a>(seen: &[&'a Seen], kind: fn(String) -> Seen) -> BTreeSet<&'a str> {
        let kind = std::mem::discriminant(&kind(String::new()));
        seen.iter()
            .filter(|s| std::mem::discriminant(**s) == kind)
            .filter_map(|s| match s {
                Seen::Shutdown(n) | Seen::StreamLogger(n) | Seen::FileLogger(n) | Seen::Daemonize(n) => {
                    Some(n.as_str())
                }
                _ => None,
            })
            .collect()
    }
}

impl Rule for Evidence {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_call(&self, cx: &mut Cx<'_>, call: &Call<'_>) {
        if cx.in_test() {
            return;
        }
        let span = cx.span(call.expr);
        if let Some(p) = call.matched(SHUTDOWN_CALLS) {
            cx.record(span, Seen::Shutdown(p.to_string()));
        } else if let Some(m) = call
            .method
            .filter(|m| SHUTDOWN_METHODS.contains(&m.to_string().as_str()))
        {
            cx.record(span, Seen::Shutdown(format!(".{m}(..)")));
        } else if let Some(p) = call.matched(STREAM_LOGGERS) {
            cx.record(span, Seen::StreamLogger(p.to_string()));
        } else if let Some(p) = call
            .matched(DAEMONIZE_CONSTRUCTORS)
            .or_else(|| call.matched(daemonize::DAEMON_FUNCTIONS))
            .or_else(|| call.matched(daemonize::FORK_FUNCTIONS))
        {
            cx.record(span, Seen::Daemonize(p.to_string()));
        } else if let Some(p) = call.matched(FILE_LOGGERS) {
            cx.record(span, Seen::FileLogger(p.to_string()));
        } else if let Some(m) = call
            .method
            .filter(|m| FILE_LOGGER_METHODS.contains(&m.to_string().as_str()))
        {
            cx.record(span, Seen::FileLogger(format!(".{m}(..)")));
        }
    }

    fn check_expr(&self, cx: &mut Cx<'_>, expr: &syn::Expr) {
        // `if cfg!(debug_assertions) { "sqlite://dev.db" } else { "postgres://.." }`
        let syn::Expr::If(e) = expr else { return };
        let Some(debug_first) = debug_cond(&e.cond) else { return };
        let then = schemes_in(|v| v.visit_block(&e.then_branch));
        let other = e
            .else_branch
            .as_ref()
            .map(|(_, b)| schemes_in(|v| v.visit_expr(b)))
            .unwrap_or_default();
        let (debug, release) = if debug_first { (then, other) } else { (other, then) };
        if !debug.is_empty() || !release.is_empty() {
            let span = cx.span(&e.cond);
            cx.record(span, Seen::ProfileSchemes { debug, release });
        }
    }

    fn check_local(&self, cx: &mut Cx<'_>, local: &syn::Local) {
        let Some(debug) = cfg_debug(&local.attrs) else { return };
        let found = schemes_in(|v| v.visit_local(local));
        if !found.is_empty() {
            let span = cx.span(&local.pat);
            let (d, r) = if debug {
                (found, BTreeSet::new())
            } else {
                (BTreeSet::new(), found)
            };
            cx.record(span, Seen::ProfileSchemes { debug: d, release: r });
        }
    }

    fn check_item(&self, cx: &mut Cx<'_>, item: &syn::Item) {
        if let syn::Item::Enum(e) = item
            && derives_subcommand(&e.attrs)
        {
            let names = e.variants.iter().map(|v| v.ident.to_string()).collect();
            let span = cx.span(&e.ident);
            cx.record(span, Seen::Subcommands(names));
            return;
        }
        let attrs = match item {
            syn::Item::Const(i) => &i.attrs,
            syn::Item::Static(i) => &i.attrs,
            syn::Item::Fn(i) => &i.attrs,
            syn::Item::Mod(i) => &i.attrs,
            _ => return,
        };
        let Some(debug) = cfg_debug(attrs) else { return };
        let found = schemes_in(|v| v.visit_item(item));
        if !found.is_empty() {
            let span = cx.span(item);
            let (d, r) = if debug {
                (found, BTreeSet::new())
            } else {
                (BTreeSet::new(), found)
            };
            cx.record(span, Seen::ProfileSchemes { debug: d, release: r });
        }
    }
}

fn derives_subcommand(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().filter(|a| a.path().is_ident("derive")).any(|a| {
        a.parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
            .is_ok_and(|ps| {
                ps.iter()
                    .any(|p| p.segments.last().is_some_and(|s| s.ident == "Subcommand"))
            })
    })
}

/// `cfg!(debug_assertions)` → `Some(true)`, `!cfg!(debug_assertions)` or
/// `cfg!(not(debug_assertions))` → `Some(false)`.
fn debug_cond(cond: &syn::Expr) -> Option<bool> {
    match cond {
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => debug_cond(&u.expr).map(|b| !b),
        syn::Expr::Paren(p) => debug_cond(&p.expr),
        syn::Expr::Macro(m) if m.mac.path.segments.last().is_some_and(|s| s.ident == "cfg") => {
            let meta: syn::Meta = m.mac.parse_body().ok()?;
            debug_meta(&meta)
        }
        _ => None,
    }
}

fn debug_meta(meta: &syn::Meta) -> Option<bool> {
    match meta {
        syn::Meta::Path(p) if p.is_ident("debug_assertions") => Some(true),
        syn::Meta::List(l) if l.path.is_ident("not") => l
            .parse_args::<syn::Meta>()
            .ok()
            .as_ref()
            .and_then(debug_meta)
            .map(|b| !b),
        _ => None,
    }
}

/// `#[cfg(debug_assertions)]` → `Some(true)`, `#[cfg(not(debug_assertions))]` → `Some(false)`.
fn cfg_debug(attrs: &[syn::Attribute]) -> Option<bool> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .find_map(|a| a.parse_args::<syn::Meta>().ok().as_ref().and_then(debug_meta))
}

/// Backing-service kinds named by URL literals in a subtree, macro
/// arguments included.
fn schemes_in(walk: impl FnOnce(&mut SchemeVisitor)) -> BTreeSet<&'static str> {
    let mut v = SchemeVisitor::default();
    walk(&mut v);
    v.kinds
}

#[derive(Default)]
struct SchemeVisitor {
    kinds: BTreeSet<&'static str>,
}

impl SchemeVisitor {
    fn text(&mut self, s: &str) {
        if let Some((_, kind)) = SCHEMES.iter().find(|(scheme, _)| s.starts_with(scheme)) {
            self.kinds.insert(kind);
        }
    }

    fn tokens(&mut self, tokens: proc_macro2::TokenStream) {
        for t in tokens {
            match t {
                proc_macro2::TokenTree::Literal(l) => {
                    if let Ok(s) = syn::parse_str::<syn::LitStr>(&l.to_string()) {
                        self.text(&s.value());
                    }
                }
                proc_macro2::TokenTree::Group(g) => self.tokens(g.stream()),
                _ => {}
            }
        }
    }
}

impl<'ast> Visit<'ast> for SchemeVisitor {
    fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
        self.text(&s.value());
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.tokens(m.tokens.clone());
    }
}

/// A factor's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    NotApplicable,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Warn => "warn",
            Self::Fail => "fail",
            Self::NotApplicable => "n/a",
        }
    }

    fn worst(self, other: Status) -> Status {
        self.max(other)
    }
}

/// One factor's row.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub numeral: &'static str,
    pub factor: &'static str,
    pub url: String,
    pub status: Status,
    pub evidence: Vec<String>,
    /// Findings at warn or deny level, by rule.
    pub findings: BTreeMap<&'static str, usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub packages: Vec<String>,
    pub factors: Vec<Row>,
    pub summary: BTreeMap<&'static str, usize>,
}

impl Report {
    /// Whether any factor warns or fails (exit status 1, as for `check`).
    pub fn has_problems(&self) -> bool {
        self.factors
            .iter()
            .any(|r| matches!(r.status, Status::Warn | Status::Fail))
    }
}

/// Project files, looked for in the workspace root and then in each
/// selected package's directory.
struct Files {
    dirs: Vec<PathBuf>,
    root: PathBuf,
}

impl Files {
    fn find(&self, names: &[&str]) -> Option<PathBuf> {
        self.dirs
            .iter()
            .flat_map(|d| names.iter().map(move |n| d.join(n)))
            .find(|p| p.is_file())
    }

    fn read(&self, names: &[&str]) -> Option<(String, String)> {
        let p = self.find(names)?;
        let text = std::fs::read_to_string(&p).ok()?;
        Some((self.rel(&p), text))
    }

    fn rel(&self, p: &Path) -> String {
        p.strip_prefix(&self.root).unwrap_or(p).display().to_string()
    }

    fn has_dir(&self, name: &str) -> Option<String> {
        self.dirs
            .iter()
            .map(|d| d.join(name))
            .find(|p| p.is_dir())
            .map(|p| self.rel(&p))
    }
}

/// Runs every rule and the collectors, then judges each factor.
pub fn build(workspace: &Workspace, options: &Options) -> Report {
    let mut all: Vec<&'static dyn Rule> = rules::ALL.to_vec();
    all.push(&EnvReads);
    all.push(&Evidence);
    let outcome = engine::check(workspace, &all, options);
    let env = env_inventory::inventory(&outcome.facts, &workspace.root);
    let seen: Vec<&Seen> = outcome
        .facts
        .iter()
        .filter(|f| f.rule == Evidence::META.name)
        .filter_map(Fact::get::<Seen>)
        .collect();

    let mut findings: BTreeMap<Factor, BTreeMap<&'static str, usize>> = BTreeMap::new();
    let mut worst: BTreeMap<Factor, Status> = BTreeMap::new();
    for d in &outcome.diagnostics {
        let Some(factor) = d.factor else { continue };
        let status = match d.severity {
            Severity::Error => Status::Fail,
            Severity::Warning => Status::Warn,
            Severity::Note => continue,
        };
        *findings.entry(factor).or_default().entry(d.code).or_default() += 1;
        let w = worst.entry(factor).or_insert(Status::Pass);
        *w = w.worst(status);
    }

    let root = workspace.root.clone();
    let mut dirs = vec![root.clone()];
    for p in &workspace.packages {
        if !dirs.iter().any(|d| d == p.dir()) {
            dirs.push(p.dir().to_path_buf());
        }
    }
    let files = Files {
        dirs,
        root: root.clone(),
    };
    let bins: Vec<&str> = workspace
        .packages
        .iter()
        .flat_map(|p| p.targets.iter())
        .filter(|t| t.kind == TargetKind::Bin)
        .map(|t| t.name.as_str())
        .collect();
    let has_bin = !bins.is_empty();
    let deps: BTreeSet<&str> = workspace
        .packages
        .iter()
        .flat_map(|p| p.dependencies.iter())
        .filter(|d| d.kind == cargo_metadata::DependencyKind::Normal)
        .map(|d| d.name.as_str())
        .collect();
    let mut service_kinds: BTreeSet<&'static str> = BTreeSet::new();
    for p in &workspace.packages {
        for d in p
            .dependencies
            .iter()
            .filter(|d| d.kind == cargo_metadata::DependencyKind::Normal)
        {
            if let Some((_, k)) = SERVICE_CRATES.iter().find(|(c, _)| *c == d.name) {
                service_kinds.insert(k);
            }
            if SQL_CRATES.contains(&d.name.as_str()) {
                for f in &d.features {
                    if let Some((_, k)) = SQL_FEATURES.iter().find(|(n, _)| n == f) {
                        service_kinds.insert(k);
                    }
                }
            }
        }
    }
    let mut servers: Vec<&str> = SERVER_CRATES.iter().copied().filter(|c| deps.contains(c)).collect();
    for (name, features) in SERVER_FEATURE_CRATES {
        let serves = workspace.packages.iter().flat_map(|p| p.dependencies.iter()).any(|d| {
            d.name == *name
                && d.kind == cargo_metadata::DependencyKind::Normal
                && d.features.iter().any(|f| features.contains(&f.as_str()))
        });
        if serves {
            servers.push(name);
        }
    }
    let procfile = files.read(&["Procfile"]);
    let process_types: Vec<(String, String)> = procfile
        .as_ref()
        .map(|(_, text)| {
            text.lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .filter(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .collect()
        })
        .unwrap_or_default();

    let mut rows = Vec::new();
    for factor in Factor::ALL {
        let mut evidence = Vec::new();
        let mut status = worst.get(&factor).copied().unwrap_or(Status::Pass);
        let mut applicable = true;
        match factor {
            Factor::Codebase => {
                match manifest::git_toplevel(&root) {
                    Some(top) => evidence.push(if top == manifest::canonical(&root) {
                        "git repository".to_string()
                    } else {
                        format!(
                            "git repository (the workspace is in `{}`)",
                            root.strip_prefix(&top).unwrap_or(&root).display()
                        )
                    }),
                    None => {
                        evidence.push("not in a git repository".into());
                        status = status.worst(Status::Warn);
                    }
                }
                let names: Vec<&str> = workspace.packages.iter().map(|p| p.name.as_str()).collect();
                evidence.push(if names.len() == 1 {
                    format!("one package: `{}`", names[0])
                } else {
                    format!("one workspace of {} packages", names.len())
                });
            }
            Factor::Dependencies => {
                if root.join("Cargo.lock").is_file() {
                    evidence.push("`Cargo.lock` present".into());
                } else if has_bin {
                    evidence.push("no `Cargo.lock`".into());
                    status = status.worst(Status::Warn);
                } else {
                    evidence.push("no `Cargo.lock` (library-only: not needed)".into());
                }
                let n: usize = workspace.packages.iter().map(|p| p.dependencies.len()).sum();
                evidence.push(format!("{n} dependencies declared in `Cargo.toml`"));
            }
            Factor::Config => {
                let names: BTreeSet<&str> = env.iter().map(|v| v.name.as_str()).collect();
                if names.is_empty() {
                    evidence.push("no environment variables read".into());
                } else {
                    evidence.push(format!(
                        "{} environment variable{} read: {}",
                        names.len(),
                        if names.len() == 1 { "" } else { "s" },
                        list(&names)
                    ));
                }
                let example = files.read(ENV_EXAMPLES);
                let readme = files.read(READMES);
                let documented = |name: &str| {
                    let key = name.trim_end_matches('*');
                    example
                        .as_ref()
                        .is_some_and(|(_, t)| dotenv_keys(t).iter().any(|k| k.starts_with(key)))
                        || readme.as_ref().is_some_and(|(_, t)| t.contains(key))
                };
                let undocumented: BTreeSet<&str> = names
                    .iter()
                    .copied()
                    .filter(|n| !is_system_var(n) && !documented(n))
                    .collect();
                match &example {
                    Some((path, _)) => evidence.push(format!("documented in `{path}`")),
                    None if !names.is_empty() => evidence.push("no `.env.example`".into()),
                    None => {}
                }
                if !undocumented.is_empty() {
                    evidence.push(format!("undocumented: {}", list(&undocumented)));
                    status = status.worst(Status::Warn);
                }
                if let Some(dotenv) = files.find(&[".env"]) {
                    let ignored = match manifest::git_ignored(dotenv.parent().unwrap_or(&root), ".env") {
                        Some(i) => i.is_some(),
                        None => manifest::gitignore_ignores(dotenv.parent().unwrap_or(&root), ".env").is_some(),
                    };
                    if ignored {
                        evidence.push("`.env` is ignored by git".into());
                    } else {
                        evidence.push(format!("`{}` is not ignored by git", files.rel(&dotenv)));
                        status = status.worst(Status::Fail);
                    }
                }
            }
            Factor::BackingServices => {
                if service_kinds.is_empty() {
                    applicable = false;
                    evidence.push("no backing-service clients among the dependencies".into());
                } else {
                    evidence.push(format!("uses {}", list(&service_kinds)));
                }
            }
            Factor::BuildReleaseRun => {
                applicable = has_bin;
                let release = process_types
                    .iter()
                    .find(|(k, _)| k == "release")
                    .map(|_| "a `release:` process in the Procfile".to_string())
                    .or_else(|| files.find(RELEASE_SCRIPTS).map(|p| format!("`{}`", files.rel(&p))))
                    .or_else(|| admin_bin(&bins).map(|b| format!("a separate `{b}` binary")));
                let migrations = files.has_dir("migrations");
                match (&release, &migrations) {
                    (Some(r), _) => evidence.push(format!("release step: {r}")),
                    (None, Some(m)) => {
                        evidence.push(format!("`{m}` exists but no release step runs it"));
                        status = status.worst(Status::Warn);
                    }
                    (None, None) => evidence.push("no release step (none needed: no migrations)".into()),
                }
                match files.read(DOCKERFILES) {
                    Some((path, text)) => {
                        let stages = text
                            .lines()
                            .filter(|l| l.trim_start().to_ascii_uppercase().starts_with("FROM "))
                            .count();
                        let builds = text.contains("cargo build") || text.contains("cargo install");
                        if stages >= 2 {
                            evidence.push(format!("`{path}` builds in {stages} stages"));
                        } else if !builds {
                            evidence.push(format!("`{path}` packages a binary built elsewhere"));
                        } else {
                            evidence.push(format!(
                                "`{path}` has a single stage: build tools ship with the release"
                            ));
                            status = status.worst(Status::Warn);
                        }
                    }
                    None => evidence.push("no Dockerfile".into()),
                }
            }
            Factor::Processes => {
                applicable = has_bin || findings.contains_key(&factor);
                if applicable && !findings.contains_key(&factor) {
                    evidence.push("no local-state or filesystem findings".into());
                }
            }
            Factor::PortBinding => {
                // `PORT`, or the app's own `SERVER_PORT`/`ROCKET_PORT`.
                let port = env
                    .iter()
                    .find(|v| v.name == "PORT")
                    .or_else(|| env.iter().find(|v| v.name.ends_with("_PORT")));
                if servers.is_empty() {
                    applicable = port.is_some() || findings.contains_key(&factor);
                    if !applicable {
                        evidence.push("no HTTP or RPC server among the dependencies".into());
                    }
                } else {
                    evidence.push(format!("serves with {}", list(&servers.iter().copied().collect())));
                }
                match port {
                    Some(v) => evidence.push(format!("port from `{}` ({}:{})", v.name, v.file, v.line)),
                    None if !servers.is_empty() => {
                        evidence.push("the port is not read from the environment (`PORT`)".into());
                        status = status.worst(Status::Warn);
                    }
                    None => {}
                }
            }
            Factor::Concurrency => {
                applicable = has_bin;
                if !process_types.is_empty() {
                    let kinds: BTreeSet<&str> = process_types.iter().map(|(k, _)| k.as_str()).collect();
                    evidence.push(format!("Procfile process types: {}", list(&kinds)));
                } else if bins.len() > 1 {
                    evidence.push(format!(
                        "{} binaries: {}",
                        bins.len(),
                        list(&bins.iter().copied().collect())
                    ));
                } else if let [bin] = bins.as_slice() {
                    evidence.push(format!("one process type: `{bin}`"));
                }
                let daemons = Seen::names(&seen, Seen::Daemonize);
                if !daemons.is_empty() {
                    evidence.push(format!("daemonizes with {}", list(&daemons)));
                    status = status.worst(Status::Warn);
                }
            }
            Factor::Disposability => {
                applicable = has_bin;
                let handlers = Seen::names(&seen, Seen::Shutdown);
                let builtin: Vec<&str> = SIGTERM_BY_DEFAULT
                    .iter()
                    .copied()
                    .filter(|c| deps.contains(c))
                    .collect();
                if !handlers.is_empty() {
                    evidence.push(format!("graceful shutdown: {}", list(&handlers)));
                } else if !builtin.is_empty() {
                    evidence.push(format!("`{}` stops gracefully on SIGTERM", builtin.join("`, `")));
                } else if has_bin {
                    evidence.push("no signal handling or graceful shutdown found".into());
                    status = status.worst(Status::Warn);
                }
            }
            Factor::DevProdParity => {
                applicable = !service_kinds.is_empty();
                if !applicable {
                    evidence.push("no backing services to keep alike".into());
                }
                let profiles: Vec<(&BTreeSet<&str>, &BTreeSet<&str>)> = seen
                    .iter()
                    .filter_map(|s| match s {
                        Seen::ProfileSchemes { debug, release } => Some((debug, release)),
                        _ => None,
                    })
                    .collect();
                let (split, debug, release) = profile_split(&profiles);
                if split {
                    evidence.push(format!(
                        "debug builds use {}, release builds {}",
                        list(&debug),
                        list(&release)
                    ));
                }
                if split {
                    status = status.worst(Status::Fail);
                }
                let needs_service: BTreeSet<&str> = service_kinds.iter().copied().filter(|k| *k != "sqlite").collect();
                match files.read(COMPOSE_FILES) {
                    Some((path, text)) => {
                        let composed = compose_kinds(&text);
                        evidence.push(format!(
                            "`{path}` runs {}",
                            if composed.is_empty() {
                                "no backing services".to_string()
                            } else {
                                list(&composed)
                            }
                        ));
                        let missing: BTreeSet<&str> = needs_service.difference(&composed).copied().collect();
                        if !missing.is_empty() {
                            evidence.push(format!("not in compose: {}", list(&missing)));
                            status = status.worst(Status::Warn);
                        }
                    }
                    None if !needs_service.is_empty() => {
                        evidence.push(format!("no compose file to run {} locally", list(&needs_service)));
                        status = status.worst(Status::Warn);
                    }
                    None => {}
                }
            }
            Factor::Logs => {
                applicable = has_bin || findings.contains_key(&factor);
                let loggers = Seen::names(&seen, Seen::StreamLogger);
                let files_ = Seen::names(&seen, Seen::FileLogger);
                if !files_.is_empty() {
                    applicable = true;
                    evidence.push(format!("writes log files with {}", list(&files_)));
                    status = status.worst(Status::Warn);
                }
                if !loggers.is_empty() {
                    evidence.push(format!("logger set up with {}", list(&loggers)));
                } else if applicable && files_.is_empty() {
                    evidence.push("no logger set up: output goes to stdout/stderr".into());
                }
            }
            Factor::AdminProcesses => {
                let subcommands: BTreeSet<&str> = seen
                    .iter()
                    .filter_map(|s| match s {
                        Seen::Subcommands(v) => Some(v),
                        _ => None,
                    })
                    .flatten()
                    .map(String::as_str)
                    .filter(|v| is_admin_word(v))
                    .collect();
                let admin_bins: Vec<&str> = bins.iter().copied().filter(|b| is_admin_word(b)).collect();
                let migrations = files.has_dir("migrations");
                if !admin_bins.is_empty() {
                    evidence.push(format!(
                        "admin binaries: {}",
                        list(&admin_bins.iter().copied().collect())
                    ));
                }
                if !subcommands.is_empty() {
                    evidence.push(format!("admin subcommands: {}", list(&subcommands)));
                }
                let release_runs = process_types.iter().any(|(k, _)| k == "release");
                if admin_bins.is_empty() && subcommands.is_empty() && !release_runs {
                    match migrations {
                        Some(m) => {
                            evidence.push(format!("`{m}` exists but no admin binary or subcommand runs it"));
                            status = status.worst(Status::Warn);
                        }
                        None => {
                            applicable = findings.contains_key(&factor);
                            evidence.push("no migrations or admin tasks found".into());
                        }
                    }
                }
                if release_runs {
                    evidence.push("one-off `release:` process in the Procfile".into());
                }
            }
        }
        if !applicable && status == Status::Pass {
            status = Status::NotApplicable;
        }
        rows.push(Row {
            numeral: factor.numeral(),
            factor: factor.title(),
            url: factor.url(),
            status,
            evidence,
            findings: findings.get(&factor).cloned().unwrap_or_default(),
        });
    }
    let mut summary = BTreeMap::new();
    for r in &rows {
        *summary.entry(r.status.as_str()).or_default() += 1;
    }
    Report {
        packages: workspace
            .packages
            .iter()
            .map(|p| format!("{} v{}", p.name, p.version))
            .collect(),
        factors: rows,
        summary,
    }
}

/// Whether a binary or subcommand name has an admin word in it:
/// `migrate`, `api-migrate`, `SeedDemoData`, `run_migrations`.
fn is_admin_word(name: &str) -> bool {
    let mut snake = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
    }
    snake.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
        let w = w.strip_suffix('s').filter(|s| s.len() > 2).unwrap_or(w);
        ADMIN_WORDS.contains(&w)
    })
}

fn admin_bin<'a>(bins: &[&'a str]) -> Option<&'a str> {
    bins.iter().copied().find(|b| is_admin_word(b))
}

/// Databases, where a different engine per build profile is the classic split.
const SQL_KINDS: &[&str] = &["sqlite", "postgres", "mysql"];

/// Whether build profiles choose different backing services: one
/// `if cfg!(debug_assertions)` with different kinds in its branches, or
/// `#[cfg(debug_assertions)]` and `#[cfg(not(debug_assertions))]` items
/// naming different databases. Gives the kinds per profile.
fn profile_split<'a>(
    facts: &[(&BTreeSet<&'a str>, &BTreeSet<&'a str>)],
) -> (bool, BTreeSet<&'a str>, BTreeSet<&'a str>) {
    for (debug, release) in facts {
        if !debug.is_empty() && !release.is_empty() && debug != release {
            return (true, (*debug).clone(), (*release).clone());
        }
    }
    let mut debug = BTreeSet::new();
    let mut release = BTreeSet::new();
    for (d, r) in facts {
        debug.extend(d.iter().copied().filter(|k| SQL_KINDS.contains(k)));
        release.extend(r.iter().copied().filter(|k| SQL_KINDS.contains(k)));
    }
    let split = !debug.is_empty() && !release.is_empty() && debug != release;
    (split, debug, release)
}

fn is_system_var(name: &str) -> bool {
    SYSTEM_VARS.contains(&name) || SYSTEM_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// `a`, `b`, `c` — at most ten, then how many more.
fn list(items: &BTreeSet<&str>) -> String {
    const MAX: usize = 10;
    let mut out = items
        .iter()
        .take(MAX)
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > MAX {
        out.push_str(&format!(" and {} more", items.len() - MAX));
    }
    out
}

/// `KEY` of each `KEY=value` line (with an optional `export `).
fn dotenv_keys(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            l.strip_prefix("export ")
                .unwrap_or(l)
                .split_once('=')
                .map(|(k, _)| k.trim())
        })
        .collect()
}

/// Backing-service kinds in a compose file, from its `image:` lines.
fn compose_kinds(text: &str) -> BTreeSet<&'static str> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("image:"))
        .filter_map(|image| {
            let image = image.trim().trim_matches(['"', '\'']).to_ascii_lowercase();
            let name = image
                .split(':')
                .next()
                .unwrap_or_default()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string();
            COMPOSE_IMAGES
                .iter()
                .find(|(sub, _)| name.contains(sub))
                .map(|(_, k)| *k)
        })
        .collect()
}

fn findings_text(row: &Row) -> String {
    if row.findings.is_empty() {
        return String::new();
    }
    row.findings
        .iter()
        .map(|(r, n)| format!("{r} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The colored table: one block per factor with its link, findings and evidence.
pub fn render_human(report: &Report, color: bool) -> String {
    let paint = |status: Status, text: &str| -> String {
        if !color {
            return text.to_string();
        }
        let code = match status {
            Status::Pass => "32",
            Status::Warn => "33",
            Status::Fail => "31",
            Status::NotApplicable => "2",
        };
        format!("\x1b[1;{code}m{text}\x1b[0m")
    };
    let dim = |text: &str| -> String {
        if color {
            format!("\x1b[2m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    let _ = writeln!(out, "Twelve-factor report for {}\n", report.packages.join(", "));
    let _ = writeln!(out, "{:<6}{:<22}{:<7}FINDINGS", "", "FACTOR", "STATUS");
    for row in &report.factors {
        let status = format!("{:<7}", row.status.as_str());
        let findings = findings_text(row);
        let _ = writeln!(
            out,
            "{:<6}{:<22}{}{}",
            row.numeral,
            row.factor,
            paint(row.status, &status),
            if findings.is_empty() { dim("-") } else { findings }
        );
        for e in &row.evidence {
            let _ = writeln!(out, "{:<6}- {e}", "");
        }
        let _ = writeln!(out, "{:<6}{}", "", dim(&row.url));
    }
    let _ = writeln!(out, "\n{}", summary_line(report));
    out
}

fn summary_line(report: &Report) -> String {
    ["pass", "warn", "fail", "n/a"]
        .iter()
        .map(|k| {
            let n = report.summary.get(k).copied().unwrap_or(0);
            let word = if *k == "n/a" { "not applicable" } else { k };
            format!("{n} {word}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A Markdown table for PR comments and READMEs.
pub fn render_markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Twelve-factor report: {}\n", report.packages.join(", "));
    let _ = writeln!(out, "| Factor | Status | Findings | Evidence |");
    let _ = writeln!(out, "|---|---|---|---|");
    for row in &report.factors {
        let status = match row.status {
            Status::Pass => "✅ pass",
            Status::Warn => "⚠️ warn",
            Status::Fail => "❌ fail",
            Status::NotApplicable => "➖ n/a",
        };
        let findings = row
            .findings
            .iter()
            .map(|(r, n)| format!("`{r}` ×{n}"))
            .collect::<Vec<_>>()
            .join("<br>");
        let evidence = row
            .evidence
            .iter()
            .map(|e| e.replace('|', "\\|"))
            .collect::<Vec<_>>()
            .join("<br>");
        let _ = writeln!(
            out,
            "| [{}. {}]({}) | {status} | {} | {evidence} |",
            row.numeral,
            row.factor,
            row.url,
            if findings.is_empty() { "–".into() } else { findings }
        );
    }
    let _ = writeln!(out, "\n{}", summary_line(report));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn seen(src: &str) -> Vec<Seen> {
        let pkg = crate::test_support::package();
        engine::check_source_facts(&pkg, &[&Evidence], Path::new("/app/src/main.rs"), src, TargetKind::Bin)
            .iter()
            .filter_map(|f| f.get::<Seen>().cloned())
            .collect()
    }

    #[test]
    fn debug_assertions_choosing_different_backing_services() {
        let src = r#"
fn database_url() -> String {
    let url = if cfg!(debug_assertions) { "sqlite://dev.db" } else { "postgres://db.internal/app" };
    url.into()
}
#[cfg(debug_assertions)]
const CACHE: &str = "redis://localhost:6379";
#[cfg(not(debug_assertions))]
const CACHE: &str = "redis://cache.internal:6379";
fn f() {
    if !cfg!(debug_assertions) { connect(&format!("postgres://{}", host)); }
    if cfg!(debug_assertions) { tracing::debug!("dev"); }
}
"#;
        let found: Vec<(Vec<&str>, Vec<&str>)> = seen(src)
            .iter()
            .filter_map(|s| match s {
                Seen::ProfileSchemes { debug, release } => {
                    Some((debug.iter().copied().collect(), release.iter().copied().collect()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            found,
            [
                (vec!["sqlite"], vec!["postgres"]),
                (vec!["redis"], vec![]),
                (vec![], vec!["redis"]),
                (vec![], vec!["postgres"]),
            ]
        );
    }

    #[test]
    fn profile_splits_across_cfg_items() {
        let src = r#"
#[cfg(debug_assertions)]
const DATABASE_URL: &str = "sqlite://dev.db";
#[cfg(not(debug_assertions))]
const DATABASE_URL: &str = "postgres://db.internal/app";
#[cfg(debug_assertions)]
fn seed_cache() { redis::Client::open("redis://localhost").unwrap(); }
"#;
        let facts = seen(src);
        let profiles: Vec<_> = facts
            .iter()
            .filter_map(|s| match s {
                Seen::ProfileSchemes { debug, release } => Some((debug, release)),
                _ => None,
            })
            .collect();
        let (split, debug, release) = profile_split(&profiles);
        assert!(split);
        assert_eq!(debug.into_iter().collect::<Vec<_>>(), ["sqlite"]);
        assert_eq!(release.into_iter().collect::<Vec<_>>(), ["postgres"]);
        // The same database in both profiles (a different host) is parity.
        let same = seen(
            "#[cfg(debug_assertions)]\nconst U: &str = \"postgres://localhost/app\";\n#[cfg(not(debug_assertions))]\nconst U: &str = \"postgres://db.internal/app\";\n",
        );
        let profiles: Vec<_> = same
            .iter()
            .filter_map(|s| match s {
                Seen::ProfileSchemes { debug, release } => Some((debug, release)),
                _ => None,
            })
            .collect();
        assert!(!profile_split(&profiles).0);
    }

    #[test]
    fn shutdown_loggers_and_subcommands() {
        let src = r#"
use tokio::signal::unix::{signal, SignalKind};
use clap::Subcommand;
#[derive(Subcommand)]
enum Cmd { Serve, Migrate, SeedDemoData }
async fn main() {
    tracing_subscriber::fmt().json().init();
    let mut term = signal(SignalKind::terminate()).unwrap();
    axum::serve(listener, app).with_graceful_shutdown(async move { term.recv().await; }).await;
}
"#;
        let s = seen(src);
        assert!(
            s.iter()
                .any(|s| matches!(s, Seen::Shutdown(p) if p == "tokio::signal::unix::signal"))
        );
        assert!(
            s.iter()
                .any(|s| matches!(s, Seen::Shutdown(p) if p == ".with_graceful_shutdown(..)"))
        );
        assert!(
            s.iter()
                .any(|s| matches!(s, Seen::StreamLogger(p) if p == "tracing_subscriber::fmt"))
        );
        assert!(s.iter().any(|s| matches!(s, Seen::Subcommands(v) if v.len() == 3)));
        assert!(is_admin_word("Migrate") && is_admin_word("SeedDemoData") && !is_admin_word("Serve"));
        assert!(is_admin_word("api-migrate") && !is_admin_word("tasker") && !is_admin_word("client"));
    }

    #[test]
    fn system_variables_and_long_lists() {
        assert!(is_system_var("RUST_LOG") && is_system_var("XDG_CONFIG_HOME") && is_system_var("TERM"));
        assert!(!is_system_var("DATABASE_URL") && !is_system_var("SERVER_PORT"));
        let many: BTreeSet<&str> = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"].into();
        assert!(list(&many).ends_with("`J` and 2 more"));
    }

    #[test]
    fn daemonizing_is_seen() {
        let src =
            "use daemonize::Daemonize;\nfn main() { Daemonize::new().pid_file(\"/run/x.pid\").start().unwrap(); }\n";
        assert!(
            seen(src)
                .iter()
                .any(|s| matches!(s, Seen::Daemonize(p) if p == "daemonize::Daemonize::new"))
        );
    }

    #[test]
    fn compose_images_and_env_examples() {
        let compose = "services:\n  db:\n    image: postgres:16-alpine\n  cache:\n    image: \"docker.io/valkey/valkey:8\"\n  app:\n    build: .\n";
        assert_eq!(
            compose_kinds(compose).into_iter().collect::<Vec<_>>(),
            ["postgres", "redis"]
        );
        assert_eq!(
            dotenv_keys("# c\nexport PORT=8080\nDATABASE_URL=\n\n"),
            ["PORT", "DATABASE_URL"]
        );
    }
}

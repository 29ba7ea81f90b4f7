//! What the report knows before it judges: [`Evidence`], the collector
//! that runs in the engine's pass (shutdown handling, logger setup,
//! backing-service URL schemes chosen by `debug_assertions`, admin
//! subcommands), and [`Project`], the project files (`Cargo.lock`,
//! `Procfile`, `Dockerfile`, compose files, `.env.example`, README) and
//! dependencies, read once.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use syn::visit::Visit;

use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::engine::{Call, Cx, EntryKind, Fact, Model};
use crate::env_inventory;
use crate::manifest;
use crate::rules::admin_processes::startup_migration;
use crate::rules::backing_services::urls::{self, Service};
use crate::rules::concurrency::daemonize;
use crate::rules::config::env_files;
use crate::rules::logs::log_to_file;
use crate::rules::services;
use crate::rules::{Factor, Rule, RuleMeta};
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

/// Calls that register a signal handler, whichever the signal. The
/// signal-handler rule tells SIGTERM from SIGINT by the arguments; for the
/// report, any handler is evidence of shutdown handling.
const SIGNAL_REGISTRATIONS: &[&str] = &[
    "tokio::signal::unix::signal",
    "signal_hook::flag::register",
    "signal_hook::flag::register_conditional_shutdown",
    "signal_hook::iterator::Signals::new",
    "signal_hook_tokio::Signals::new",
    "signal_hook_async_std::Signals::new",
    "nix::sys::signal::sigaction",
    "async_signal::Signals::new",
];
/// Calls that handle a termination signal: the registrations, and the
/// signal-handler rule's `ctrl_c`, `ctrlc` and shutdown-library tables.
const SHUTDOWN_CALLS: &[&[&str]] = &[
    SIGNAL_REGISTRATIONS,
    services::CTRL_C,
    services::CTRLC_HANDLERS,
    services::TERM_HANDLING_CALLS,
];
/// Methods that wire up graceful shutdown.
const GRACEFUL_SHUTDOWN_METHODS: &[&str] = &[
    "with_graceful_shutdown",
    "serve_with_shutdown",
    "serve_with_incoming_shutdown",
    "bind_with_graceful_shutdown",
    "run_with_graceful_shutdown",
    "graceful_shutdown",
    "shutdown_signal",
];
/// Methods that handle a termination signal or wire up graceful shutdown.
const SHUTDOWN_METHODS: &[&[&str]] = &[GRACEFUL_SHUTDOWN_METHODS, services::TERM_HANDLING_METHODS];
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
/// Database clients: a package with one may migrate a schema of its own.
const DATABASE_CRATES: &[&str] = &[
    "sqlx",
    "diesel",
    "diesel-async",
    "sea-orm",
    "rusqlite",
    "tokio-postgres",
    "postgres",
    "mysql_async",
    "deadpool-postgres",
];
/// The `daemonize` crate's constructor.
const DAEMONIZE_CONSTRUCTORS: &[&str] = &["daemonize::Daemonize::new"];
/// Calls that detach the process from its supervisor: the constructor and
/// the `daemonize` rule's tables.
const DAEMONIZE_CALLS: &[&[&str]] = &[
    DAEMONIZE_CONSTRUCTORS,
    daemonize::DAEMON_FUNCTIONS,
    daemonize::FORK_FUNCTIONS,
];

/// What the evidence collector records.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) enum Seen {
    Shutdown(String),
    StreamLogger(String),
    FileLogger(String),
    Daemonize(String),
    /// Backing-service kinds chosen per build profile.
    ProfileSchemes {
        #[serde(deserialize_with = "crate::diagnostic::wire::static_str_set")]
        debug: BTreeSet<crate::diagnostic::wire::StaticStr>,
        #[serde(deserialize_with = "crate::diagnostic::wire::static_str_set")]
        release: BTreeSet<crate::diagnostic::wire::StaticStr>,
    },
    Subcommands(Vec<String>),
    /// A workspace function named for migrating (`run_migrations`,
    /// `migrate_from_version`) in a package with a database client: the
    /// app's own schema migrations.
    MigrationFn(String),
}

impl Seen {
    /// The names recorded with one kind of evidence (`Seen::Shutdown`, ...).
    pub(super) fn names<'a>(seen: &[&'a Seen], kind: fn(String) -> Seen) -> BTreeSet<&'a str> {
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

    /// The kinds of each `Seen::ProfileSchemes`: debug, then release.
    pub(super) fn profiles<'a>(
        seen: impl IntoIterator<Item = &'a Seen>,
    ) -> Vec<(&'a BTreeSet<&'static str>, &'a BTreeSet<&'static str>)> {
        seen.into_iter()
            .filter_map(|s| match s {
                Seen::ProfileSchemes { debug, release } => Some((debug, release)),
                _ => None,
            })
            .collect()
    }
}

impl Rule for Evidence {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
    fn fact_types(&self) -> &'static [crate::engine::cache::FactType] {
        const { &[crate::engine::cache::FactType::of::<Seen>()] }
    }

    fn check_call(&self, cx: &mut Cx<'_>, call: &Call<'_>) {
        if cx.in_test() {
            return;
        }
        let span = cx.span(call.expr);
        if let Some(p) = matched(call, SHUTDOWN_CALLS) {
            cx.record(span, Seen::Shutdown(p.to_string()));
        } else if let Some(m) = call
            .method
            .filter(|m| SHUTDOWN_METHODS.iter().any(|t| t.contains(&m.to_string().as_str())))
        {
            cx.record(span, Seen::Shutdown(format!(".{m}(..)")));
        } else if let Some(p) = call.matched(STREAM_LOGGERS) {
            cx.record(span, Seen::StreamLogger(p.to_string()));
        } else if let Some(p) = matched(call, DAEMONIZE_CALLS) {
            cx.record(span, Seen::Daemonize(p.to_string()));
        } else if let Some(name) = file_logger(cx, call) {
            cx.record(span, Seen::FileLogger(name));
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
        if let syn::Item::Fn(f) = item
            && !cx.in_test()
            && f.sig.ident.to_string().to_ascii_lowercase().contains("migrat")
            && DATABASE_CRATES.iter().any(|c| cx.package().dependency(c).is_some())
            && let Some(path) = cx.enclosing_fn_path()
        {
            let (span, path) = (cx.span(&f.sig.ident), path.to_string());
            cx.record(span, Seen::MigrationFn(path));
            return;
        }
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

/// The first entry of the first table the call's path is in.
fn matched<'t>(call: &Call<'_>, tables: &[&[&'t str]]) -> Option<&'t str> {
    tables.iter().find_map(|t| call.matched(t))
}

/// A call that writes logs to a file, by the `log_to_file` rule's tables:
/// a file sink, a writer sink given a file, or a file method of a
/// dependency (flexi_logger's `log_to_file`).
fn file_logger(cx: &Cx<'_>, call: &Call<'_>) -> Option<String> {
    if let Some(m) = call.method {
        let m = m.to_string();
        let writes = log_to_file::FILE_METHODS
            .iter()
            .any(|(name, krate)| *name == m && cx.package().dependency(krate).is_some());
        return writes.then(|| format!(".{m}(..)"));
    }
    let sink = log_to_file::FILE_SINKS.iter().map(|(p, _)| *p).find(|p| call.is(&[p]));
    let writer = || {
        log_to_file::WRITER_SINKS
            .iter()
            .find(|(p, index, _)| {
                call.is(&[p])
                    && call
                        .args
                        .get(*index)
                        .is_some_and(|a| log_to_file::is_file(&cx.sources(a)))
            })
            .map(|(p, _, _)| *p)
    };
    sink.or_else(writer).map(str::to_string)
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

/// The kind of backing service a URL names by its scheme, from the
/// schemes of `urls` (and sqlx's `sqlite:` without slashes). A scheme that
/// names a service only with its port (`tls://`) does not count.
fn url_kind(url: &str) -> Option<&'static str> {
    let scheme = match url.split_once("://") {
        Some((scheme, _)) => scheme,
        None if url.starts_with("sqlite:") => "sqlite",
        None => return None,
    };
    let (name, service) = urls::SCHEMES.iter().find(|(s, _)| s.eq_ignore_ascii_case(scheme))?;
    if urls::SCHEMES_NEEDING_PORT.contains(name) {
        return None;
    }
    kind(*service)
}

/// The report's name for a kind of backing service.
fn kind(service: Service) -> Option<&'static str> {
    Some(match service {
        urls::POSTGRES => "postgres",
        urls::MYSQL => "mysql",
        urls::SQLITE => "sqlite",
        urls::REDIS => "redis",
        urls::AMQP => "rabbitmq",
        urls::MONGODB => "mongodb",
        urls::NATS => "nats",
        urls::KAFKA => "kafka",
        urls::MEMCACHED => "memcached",
        urls::CLICKHOUSE => "clickhouse",
        urls::ELASTICSEARCH => "elasticsearch",
        urls::CASSANDRA => "cassandra",
        urls::NEO4J => "neo4j",
        _ => return None,
    })
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
        if let Some(kind) = url_kind(s) {
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

/// The facts the collector recorded in one engine pass.
fn seen(facts: &[Fact]) -> Vec<&Seen> {
    facts
        .iter()
        .filter(|f| f.rule == Evidence::META.name)
        .filter_map(Fact::get::<Seen>)
        .collect()
}

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
    ("meilisearch-sdk", "meilisearch"),
    ("scylla", "cassandra"),
    ("cdrs-tokio", "cassandra"),
    ("tiberius", "mssql"),
    ("amqprs", "rabbitmq"),
    ("lettre", "smtp"),
    ("mail-send", "smtp"),
    ("async-smtp", "smtp"),
    ("opendal", "object storage"),
    ("aws-sdk-s3", "object storage"),
    ("rust-s3", "object storage"),
    ("object_store", "object storage"),
    ("google-cloud-storage", "object storage"),
    ("azure_storage_blobs", "object storage"),
];
/// Kinds a compose file can run for local development; SMTP relays and
/// object stores are usually the platform's.
const COMPOSABLE: &[&str] = &[
    "postgres",
    "mysql",
    "redis",
    "rabbitmq",
    "mongodb",
    "kafka",
    "nats",
    "elasticsearch",
    "memcached",
    "meilisearch",
    "cassandra",
];
/// Crates whose features name the database: sqlx, diesel, sea-orm.
const SQL_CRATES: &[&str] = &[
    "sqlx",
    "diesel",
    "sea-orm",
    "diesel-async",
    "diesel_migrations",
    "sea-orm-migration",
];
const SQL_FEATURES: &[(&str, &str)] = &[
    ("postgres", "postgres"),
    ("sqlx-postgres", "postgres"),
    ("mysql", "mysql"),
    ("sqlx-mysql", "mysql"),
    ("sqlite", "sqlite"),
    ("sqlx-sqlite", "sqlite"),
    ("postgresql", "postgres"),
    ("mariadb", "mysql"),
    ("sqlite-bundled", "sqlite"),
    ("sqlx-all", "postgres"),
    ("sqlx-all", "mysql"),
    ("sqlx-all", "sqlite"),
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
    ("meilisearch", "meilisearch"),
    ("cassandra", "cassandra"),
    ("scylla", "cassandra"),
    ("pgautoupgrade", "postgres"),
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
const RELEASE_SCRIPTS: &[&str] = &["release.sh", "scripts/release.sh", "bin/release", "script/release"];
const DOCKERFILES: &[&str] = &["Dockerfile", "Containerfile", "docker/Dockerfile"];
/// Directories a compose file is not looked for in.
const SKIPPED_DIRS: &[&str] = &["target", "node_modules", "vendor"];
/// `env.example`, after the `.env.<template>` files of `env_files`: not a
/// dotenv file, but it documents the variables all the same.
const ENV_EXAMPLE_UNDOTTED: &str = "env.example";
const READMES: &[&str] = &["README.md", "README", "README.rst", "readme.md"];

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

/// Everything the factors are judged from, besides the findings: the
/// workspace, its dependencies and project files, the variables the code
/// reads and what [`Evidence`] saw.
pub(super) struct Project<'a> {
    pub workspace: &'a Workspace,
    pub root: PathBuf,
    files: Files,
    /// The names of the binary targets.
    pub bins: Vec<&'a str>,
    /// The names of the normal dependencies.
    pub deps: BTreeSet<&'a str>,
    /// Kinds of backing service the dependencies connect to.
    pub service_kinds: BTreeSet<&'static str>,
    /// HTTP and RPC servers among the dependencies.
    pub servers: Vec<&'a str>,
    /// The `name: command` lines of the Procfile.
    pub process_types: Vec<(String, String)>,
    pub env: Vec<env_inventory::EnvVar>,
    pub seen: Vec<&'a Seen>,
    /// Where a service runs schema migrations as it starts: the finding's
    /// place and the path from the entry point.
    pub startup_migrations: Vec<String>,
    /// One-shot entry points (binaries, subcommands) that run migrations.
    pub migrating_tasks: BTreeSet<String>,
    /// Config-struct fields that hold the port (`Settings.port`).
    pub port_fields: Vec<String>,
    /// Why each backing-service kind is counted: the crate or feature.
    pub service_sources: Vec<String>,
}

impl<'a> Project<'a> {
    /// Reads the project around one engine pass's facts.
    pub fn read(workspace: &'a Workspace, facts: &'a [Fact]) -> Self {
        let env = env_inventory::inventory(facts, &workspace.root);
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
        let deps: BTreeSet<&str> = workspace
            .packages
            .iter()
            .flat_map(|p| p.dependencies.iter())
            .filter(|d| d.kind == cargo_metadata::DependencyKind::Normal)
            .map(|d| d.name.as_str())
            .collect();
        let mut service_kinds: BTreeSet<&'static str> = BTreeSet::new();
        let mut service_sources: BTreeSet<String> = BTreeSet::new();
        for p in &workspace.packages {
            let normal: Vec<&cargo_metadata::Dependency> = p
                .dependencies
                .iter()
                .filter(|d| d.kind == cargo_metadata::DependencyKind::Normal)
                .collect();
            for d in &normal {
                if let Some((_, k)) = SERVICE_CRATES.iter().find(|(c, _)| *c == d.name) {
                    service_kinds.insert(k);
                    service_sources.insert(format!("`{}`", d.name));
                }
                if SQL_CRATES.contains(&d.name.as_str()) {
                    for f in &d.features {
                        for (_, k) in SQL_FEATURES.iter().filter(|(n, _)| n == f) {
                            service_kinds.insert(k);
                            service_sources.insert(format!("`{}/{f}`", d.name));
                        }
                    }
                }
            }
            // `[features] postgresql = ["diesel/postgres"]`: the package's
            // own features choose the database.
            for (feature, dep, f) in package_features(p) {
                let Some(d) = normal.iter().find(|d| d.rename.as_deref().unwrap_or(&d.name) == dep) else {
                    continue;
                };
                if SQL_CRATES.contains(&d.name.as_str()) {
                    for (_, k) in SQL_FEATURES.iter().filter(|(n, _)| *n == f) {
                        service_kinds.insert(k);
                        service_sources.insert(format!("`{dep}/{f}` (feature `{feature}`)"));
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
                    .filter(|(k, _)| {
                        !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                    })
                    .collect()
            })
            .unwrap_or_default();
        Project {
            workspace,
            root,
            files,
            bins,
            deps,
            service_kinds,
            servers,
            process_types,
            port_fields: env_inventory::port_fields(facts, &workspace.root),
            env,
            seen: seen(facts),
            startup_migrations: Vec::new(),
            migrating_tasks: BTreeSet::new(),
            service_sources: service_sources.into_iter().collect(),
        }
    }

    /// What the service model says about migrations: the service entry
    /// points `startup_migration` finds migrating as they start, and the
    /// one-shot entry points that reach a migration call.
    pub fn add_migrations(&mut self, model: &Model, facts: &[Fact], startup: &[Diagnostic]) {
        for d in startup {
            let path = d.span.path();
            let rel = path.strip_prefix(&self.root).unwrap_or(path).display().to_string();
            let via = d
                .notes
                .iter()
                .find_map(|n| n.strip_prefix("runs in "))
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            self.startup_migrations
                .push(format!("`{rel}:{}`{via}", d.span.start().line));
        }
        let migrations: Vec<(&Fact, &startup_migration::Migration)> = facts
            .iter()
            .filter(|f| f.rule == startup_migration::StartupMigration::META.name)
            .filter_map(|f| f.get::<startup_migration::Migration>().map(|m| (f, m)))
            .collect();
        let mut callers: BTreeSet<&str> = migrations.iter().map(|(_, m)| m.caller.as_str()).collect();
        // The app's own migration functions, where no migration crate is
        // called: what the service model says about them.
        let own: Vec<(&Fact, &str)> = facts
            .iter()
            .filter(|f| f.rule == Evidence::META.name)
            .filter_map(|f| match f.get::<Seen>() {
                Some(Seen::MigrationFn(p)) => Some((f, p.as_str())),
                _ => None,
            })
            .collect();
        if callers.is_empty() {
            callers.extend(own.iter().map(|(_, p)| *p));
        }
        if callers.is_empty() {
            return;
        }
        // Where the rule sees a branch (`match db_type { .. }`), the service
        // model still says whether a service runs it by default.
        let sites: Vec<(&Fact, &str, &str)> = if migrations.is_empty() {
            own.iter().map(|(f, p)| (*f, *p, "the app's own migrations")).collect()
        } else {
            migrations
                .iter()
                .map(|(f, m)| (*f, m.caller.as_str(), m.what))
                .collect()
        };
        let mut found = Vec::new();
        if self.startup_migrations.is_empty() {
            for (fact, caller, what) in sites {
                let Some((entry, path)) = model.service_path(caller) else {
                    continue;
                };
                if !model.runs_by_default(caller) {
                    continue;
                }
                let file = fact.span.path();
                let rel = file.strip_prefix(&self.root).unwrap_or(file).display().to_string();
                let short: Vec<&str> = path.iter().map(|p| p.rsplit("::").next().unwrap_or(p)).collect();
                found.push((
                    short.len(),
                    format!(
                        "`{rel}:{}` ({what}, in service `{}`: {})",
                        fact.span.start().line,
                        entry.name,
                        short.join(" → ")
                    ),
                ));
            }
        }
        // Calls the model follows to no service path (a trait method behind
        // a generic) and no one-off reaches, in a package a service runs:
        // it migrates as it starts.
        if self.startup_migrations.is_empty() && found.is_empty() {
            for (fact, m) in &migrations {
                let one_off = model
                    .entries()
                    .iter()
                    .any(|e| e.kind == EntryKind::OneShot && model.reach_all(e).contains(&m.caller));
                if !one_off && model.serves_package(fact.origin.package) {
                    let file = fact.span.path();
                    let rel = file.strip_prefix(&self.root).unwrap_or(file).display().to_string();
                    found.push((
                        usize::MAX,
                        format!(
                            "`{rel}:{}` ({}, in a package a service runs; the call path is not followed)",
                            fact.span.start().line,
                            m.what
                        ),
                    ));
                }
            }
        }
        // The outermost site first: the one nearest the entry point.
        found.sort();
        self.startup_migrations.extend(found.into_iter().map(|(_, s)| s));
        for entry in model.entries().iter().filter(|e| e.kind == EntryKind::OneShot) {
            let reach = model.reach_all(entry);
            if callers.iter().any(|c| reach.contains(c)) {
                self.migrating_tasks.insert(entry.name.clone());
            }
        }
        // A migration in a binary package whose every entry point is
        // one-shot (a CLI's nested `migration run`) is that CLI's task, even
        // where the model does not follow the dispatch down to it.
        for (fact, m) in &migrations {
            let reached = model.entries().iter().any(|e| model.reach_all(e).contains(&m.caller));
            let entries: Vec<&crate::engine::Entry> = model
                .entries()
                .iter()
                .filter(|e| e.package == fact.origin.package)
                .collect();
            if !reached && !entries.is_empty() && entries.iter().all(|e| e.kind == EntryKind::OneShot) {
                self.migrating_tasks.insert(entries[0].binary.clone());
            }
        }
    }

    pub fn has_bin(&self) -> bool {
        !self.bins.is_empty()
    }

    /// A path relative to the workspace root.
    pub fn rel(&self, p: &Path) -> String {
        self.files.rel(p)
    }

    pub fn has_lockfile(&self) -> bool {
        self.root.join("Cargo.lock").is_file()
    }

    /// The path and text of `.env.example` (or `.env.sample`, ...).
    pub fn env_example(&self) -> Option<(String, String)> {
        let names: Vec<String> = env_files::TEMPLATE_SUFFIXES
            .iter()
            .map(|s| format!(".env.{s}"))
            .chain([ENV_EXAMPLE_UNDOTTED.to_string()])
            .collect();
        self.files.read(&names.iter().map(String::as_str).collect::<Vec<_>>())
    }

    pub fn readme(&self) -> Option<(String, String)> {
        self.files.read(READMES)
    }

    /// Other documents that list variables: config templates and samples
    /// at the top level (`lldap_config.docker_template.toml`,
    /// `config.example.yaml`) and the Markdown of `docs/`, two levels deep.
    pub fn other_docs(&self) -> Vec<(String, String)> {
        let mut paths = Vec::new();
        if let Ok(entries) = std::fs::read_dir(&self.root) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().to_ascii_lowercase();
                let doc = ["template", "example", "sample"].iter().any(|w| name.contains(w))
                    && [".toml", ".yml", ".yaml", ".json", ".hjson", ".md", ".env"]
                        .iter()
                        .any(|x| name.ends_with(x));
                if doc && e.file_type().is_ok_and(|t| t.is_file()) {
                    paths.push(e.path());
                }
            }
        }
        markdown_walk(&self.root.join("docs"), 0, &mut paths);
        paths.sort();
        paths.truncate(64);
        paths
            .into_iter()
            .filter_map(|p| {
                let meta = std::fs::metadata(&p).ok()?;
                (meta.len() <= 1 << 20).then_some(())?;
                Some((self.rel(&p), std::fs::read_to_string(&p).ok()?))
            })
            .collect()
    }

    /// A `.env` file.
    pub fn dotenv(&self) -> Option<PathBuf> {
        self.files.find(&[".env"])
    }

    /// A release script and whether it is a deploy's release phase: one
    /// that migrates or deploys, not one that tags and publishes a version
    /// of the software (`cargo publish`, `git tag`, `gh release`).
    pub fn release_script(&self) -> Option<(String, bool)> {
        let p = self.files.find(RELEASE_SCRIPTS)?;
        let text = std::fs::read_to_string(&p).unwrap_or_default().to_ascii_lowercase();
        let deploys = ["migrat", "kubectl", "helm ", "deploy"]
            .iter()
            .any(|w| text.contains(w));
        let publishes = [
            "cargo publish",
            "cargo release",
            "git tag",
            "gh release",
            "cargo dist",
            "git push --tags",
        ]
        .iter()
        .any(|w| text.contains(w));
        Some((self.rel(&p), deploys || !publishes))
    }

    /// The path of a `migrations` directory.
    pub fn migrations(&self) -> Option<String> {
        self.files.has_dir("migrations")
    }

    pub fn dockerfile(&self) -> Option<(String, String)> {
        self.files.read(DOCKERFILES)
    }

    /// Every compose file in the repository (`compose.yaml`,
    /// `docker/docker-compose.yml`, `deploy/compose.prod.yml`, ...), three
    /// levels deep at most.
    pub fn compose_files(&self) -> Vec<(String, String)> {
        let mut found = Vec::new();
        compose_walk(&self.root, 0, 3, &mut found);
        // A workspace in a subdirectory: the repository's top level too.
        if let Some(top) = manifest::git_toplevel(&self.root)
            && top != manifest::canonical(&self.root)
        {
            compose_walk(&top, 0, 1, &mut found);
        }
        found.sort();
        found.dedup();
        found
            .into_iter()
            .filter_map(|p| {
                let text = std::fs::read_to_string(&p).ok()?;
                Some((self.rel(&p), text))
            })
            .collect()
    }

    /// `port` in a `Rocket.toml`, the file Rocket's figment reads.
    pub fn rocket_toml_port(&self) -> Option<String> {
        let (path, text) = self.files.read(&["Rocket.toml"])?;
        let value: toml::Table = text.parse().ok()?;
        value
            .values()
            .filter_map(|v| v.as_table())
            .any(|t| t.contains_key("port"))
            .then_some(path)
    }
}

fn markdown_walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() && depth < 2 {
            markdown_walk(&e.path(), depth + 1, out);
        } else if kind.is_file() && e.path().extension().is_some_and(|x| x == "md") {
            out.push(e.path());
        }
    }
}

fn compose_walk(dir: &Path, depth: usize, max: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() {
            if depth < max && !SKIPPED_DIRS.contains(&name.as_str()) && !name.starts_with('.') {
                compose_walk(&e.path(), depth + 1, max, out);
            }
        } else if kind.is_file() && is_compose_name(&name) {
            out.push(e.path());
        }
    }
}

/// `compose.yaml`, `docker-compose.dev.yml`, `compose.prod.yaml`.
fn is_compose_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower.starts_with("compose") || lower.starts_with("docker-compose"))
        && (lower.ends_with(".yml") || lower.ends_with(".yaml"))
}

/// The `feature`, dependency and dependency feature of each
/// `feature = ["dep/feat", "dep?/feat"]` entry of a package's manifest.
fn package_features(p: &crate::workspace::Package) -> Vec<(String, String, String)> {
    let Ok(text) = std::fs::read_to_string(&p.manifest_path) else {
        return Vec::new();
    };
    let Ok(table) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let Some(features) = table.get("features").and_then(|f| f.as_table()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, values) in features {
        for v in values.as_array().into_iter().flatten().filter_map(|v| v.as_str()) {
            if let Some((dep, feat)) = v.split_once('/') {
                out.push((name.clone(), dep.trim_end_matches('?').to_string(), feat.to_string()));
            }
        }
    }
    out
}

impl Project<'_> {
    /// Backing-service kinds a compose file can run.
    pub fn composable(&self) -> BTreeSet<&'static str> {
        self.service_kinds
            .iter()
            .copied()
            .filter(|k| COMPOSABLE.contains(k))
            .collect()
    }
}

/// The keys a template documents: its `KEY=value` lines, and the
/// commented-out `# KEY=value` ones a template offers for the operator to
/// set.
pub(super) fn documented_keys(text: &str) -> Vec<&str> {
    text.lines()
        .map(|l| l.trim().trim_start_matches('#').trim_start())
        .filter_map(|l| {
            let (k, _) = l.strip_prefix("export ").unwrap_or(l).split_once('=')?;
            let k = k.trim();
            (!k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(k)
        })
        .collect()
}

/// Backing-service kinds in a compose file, from its `image:` lines and
/// the names of its services (`postgres:` under `services:`).
pub(super) fn compose_kinds(text: &str) -> BTreeSet<&'static str> {
    let kind_of = |name: &str| {
        COMPOSE_IMAGES
            .iter()
            .find(|(sub, _)| name.contains(sub))
            .map(|(_, k)| *k)
    };
    let mut kinds: BTreeSet<&'static str> = text
        .lines()
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
            kind_of(&name)
        })
        .collect();
    // Service names: the keys one level under a top-level `services:`.
    let mut in_services = false;
    let mut indent = None;
    for line in text.lines() {
        let trimmed = line.trim_end();
        if trimmed.trim_start().is_empty() || trimmed.trim_start().starts_with('#') {
            continue;
        }
        let depth = trimmed.len() - trimmed.trim_start().len();
        if depth == 0 {
            in_services = trimmed == "services:";
            indent = None;
            continue;
        }
        if !in_services {
            continue;
        }
        let level = *indent.get_or_insert(depth);
        if depth == level
            && let Some(key) = trimmed.trim_start().strip_suffix(':')
            && let Some(k) = kind_of(&key.trim_matches(['"', '\'']).to_ascii_lowercase())
        {
            kinds.insert(k);
        }
    }
    kinds
}

/// What the collector sees in one file of a binary.
#[cfg(test)]
pub(super) fn seen_in(src: &str) -> Vec<Seen> {
    seen_in_package(&crate::test_support::package(), src)
}

#[cfg(test)]
fn seen_in_package(pkg: &crate::workspace::Package, src: &str) -> Vec<Seen> {
    crate::engine::check_source_facts(pkg, &[&Evidence], Path::new("/app/src/main.rs"), src, TargetKind::Bin)
        .iter()
        .filter_map(|f| f.get::<Seen>().cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let found: Vec<(Vec<&str>, Vec<&str>)> = Seen::profiles(&seen_in(src))
            .into_iter()
            .map(|(debug, release)| (debug.iter().copied().collect(), release.iter().copied().collect()))
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
        let s = seen_in(src);
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
        // The signal-handler rule's tables: shutdown libraries, `ctrlc`.
        let s = seen_in(
            "fn main() { let s = tokio_graceful::Shutdown::default(); ctrlc::set_handler(|| {}).unwrap(); Toplevel::new(run).catch_signals(); }\n",
        );
        let names: Vec<&Seen> = s.iter().collect();
        assert_eq!(
            Seen::names(&names, Seen::Shutdown).into_iter().collect::<Vec<_>>(),
            [
                ".catch_signals(..)",
                "ctrlc::set_handler",
                "tokio_graceful::Shutdown::default"
            ]
        );
    }

    #[test]
    fn log_files_as_the_log_to_file_rule_sees_them() {
        let src = r#"
fn main() {
    let a = tracing_appender::rolling::daily("/var/log", "app.log");
    let b = fern::DateBased::new("logs/", "%Y-%m-%d.log");
    simplelog::WriteLogger::init(Level::Info, Config::default(), std::fs::File::create("app.log").unwrap());
    Logger::try_with_str("info").unwrap().log_to_file(FileSpec::default());
}
"#;
        let files = |s: &[Seen]| -> Vec<String> {
            let s: Vec<&Seen> = s.iter().collect();
            Seen::names(&s, Seen::FileLogger)
                .into_iter()
                .map(str::to_string)
                .collect()
        };
        assert_eq!(
            files(&seen_in(src)),
            [
                "fern::DateBased::new",
                "simplelog::WriteLogger::init",
                "tracing_appender::rolling::daily"
            ]
        );
        // A writer sink is a file logger only when given a file.
        let stdout = "fn main() { simplelog::WriteLogger::init(Level::Info, Config::default(), std::io::stdout()); }\n";
        assert!(files(&seen_in(stdout)).is_empty());
        // `log_to_file` is flexi_logger's when the package depends on it.
        let mut pkg = crate::test_support::package();
        pkg.dependencies.push(
            serde_json::from_value(serde_json::json!({
                "name": "flexi_logger", "req": "*", "kind": null, "optional": false, "uses_default_features": true,
                "features": [], "target": null, "rename": null, "registry": null, "source": null
            }))
            .unwrap(),
        );
        assert!(files(&seen_in_package(&pkg, src)).contains(&".log_to_file(..)".to_string()));
    }

    #[test]
    fn url_kinds_by_the_schemes_of_urls() {
        assert_eq!(url_kind("postgresql://db/app"), Some("postgres"));
        assert_eq!(url_kind("mariadb://db/app"), Some("mysql"));
        assert_eq!(url_kind("sqlite::memory:"), Some("sqlite"));
        assert_eq!(url_kind("sqlite://dev.db"), Some("sqlite"));
        assert_eq!(url_kind("amqps://broker"), Some("rabbitmq"));
        assert_eq!(url_kind("valkey://cache:6379"), Some("redis"));
        assert_eq!(url_kind("kafka://broker:9092"), Some("kafka"));
        assert_eq!(url_kind("tls://nats:4222"), None);
        assert_eq!(url_kind("https://example.com"), None);
        assert_eq!(url_kind("see postgres://db"), None);
    }

    #[test]
    fn daemonizing_is_seen() {
        let src =
            "use daemonize::Daemonize;\nfn main() { Daemonize::new().pid_file(\"/run/x.pid\").start().unwrap(); }\n";
        assert!(
            seen_in(src)
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
        // A service named for what it runs, whatever its image.
        let named = "version: '3'\nservices:\n  lemmy:\n    image: dessalines/lemmy:0.19\n  postgres:\n    image: pgautoupgrade/pgautoupgrade:17-alpine\n  pictrs:\n    image: asonix/pictrs\n    environment:\n      redis: no\nvolumes:\n  redis:\n";
        assert_eq!(compose_kinds(named).into_iter().collect::<Vec<_>>(), ["postgres"]);
        assert!(is_compose_name("docker-compose.dev.yml") && is_compose_name("compose.yaml"));
        assert!(!is_compose_name("compose.rs") && !is_compose_name("docker.yml"));
        assert_eq!(
            documented_keys("# c\nexport PORT=8080\nDATABASE_URL=\n\n"),
            ["PORT", "DATABASE_URL"]
        );
        assert_eq!(
            documented_keys("## Admin token\n# ADMIN_TOKEN=changeme\n#DOMAIN=https://x\n# see a=b\nPORT=1\n"),
            ["ADMIN_TOKEN", "DOMAIN", "PORT"]
        );
    }
}

use std::ops::Range;

use crate::declare_rule;
use crate::engine::{Call, Cx, Fact, PackageReport};
use crate::rules::backing_services::connections::{address_of, config_struct, connect_function, connect_method};
use crate::rules::backing_services::urls::{Address, Service, literal_value_range, service_address};
use crate::rules::common::is_test_or_build_time;
use crate::rules::{Factor, Rule, RuleMeta};
use crate::workspace::TargetKind;

declare_rule! {
    /// ### What it does
    /// Finds backing services addressed by a string literal: a URL with a
    /// service scheme (`postgres://`, `mysql://`, `redis://`, `amqp://`,
    /// `mongodb://`, `nats://`, `kafka://`, `memcached://`, `clickhouse://`,
    /// `sqlite://` with a file, ...), a `host:port` on a well-known service
    /// port (5432, 3306, 6379, 5672, 27017, 9092, ...), and any literal
    /// passed as the address of a connection constructor: sqlx
    /// `PgPool::connect` and `PgPoolOptions::connect`, diesel `establish`,
    /// r2d2 `ConnectionManager::new`, `tokio_postgres::connect`,
    /// `redis::Client::open`, bb8/deadpool configs, lapin
    /// `Connection::connect`, mongodb `Client::with_uri_str`, rdkafka
    /// `set("bootstrap.servers", ..)`, `async_nats::connect`, sea-orm
    /// `Database::connect`, option builders (`PgConnectOptions::host`,
    /// `tokio_postgres::Config::host`), deadpool `Config { host, url, .. }`
    /// literals, clap's `default_value` of an argument, and a derive_builder
    /// default (`#[builder(default = r#"Url::from("sqlite://users.db")"#)]`). A
    /// `const` or `static` of the same crate passed to a constructor is
    /// followed one step. Test code is not reported, and neither is a
    /// loopback default (`mongodb://localhost:27020`) in a package without
    /// a binary, unless it is given to a connection constructor.
    ///
    /// ### Why is this bad
    /// A twelve-factor app treats a database, cache or queue as an attached
    /// resource: the deploy says which one, through config, and a local
    /// PostgreSQL can be swapped for a managed one without touching the
    /// code. An address in the source ties every build to one instance, and
    /// a fallback to `localhost` lets a misconfigured production deploy
    /// start against the wrong database instead of failing.
    ///
    /// ### Example
    /// ```rust,ignore
    /// let pool = PgPool::connect("postgres://app@db.internal:5432/app").await?;
    /// let redis = redis::Client::open("redis://127.0.0.1:6379/")?;
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// let pool = PgPool::connect(&std::env::var("DATABASE_URL")?).await?;
    /// let redis = redis::Client::open(std::env::var("REDIS_URL")?)?;
    /// ```
    pub HardcodedBackingService => "hardcoded_backing_service", Factor::BackingServices, Warn, fixable: false, options: [], scope: Service
}

/// Facts for constants defined in one file and used in another.
#[derive(serde::Serialize, serde::Deserialize)]
enum ConstFact {
    /// A `const`/`static` holding a string that is not itself an address.
    Defined { path: String, value: String },
    /// A connection call whose address is a path to a constant elsewhere.
    Used {
        candidates: Vec<String>,
        callee: String,
        service: Service,
    },
}

/// `password=secret` in a key-value connection string: the value's range.
fn conninfo_password(value: &str) -> Option<Range<usize>> {
    let lower = value.to_ascii_lowercase();
    let start = ["password=", "pwd="]
        .iter()
        .find_map(|k| lower.find(k).map(|i| i + k.len()))?;
    let end = value[start..]
        .find(|c: char| c.is_whitespace() || c == ';')
        .map_or(value.len(), |e| start + e);
    (end > start).then_some(start..end)
}

/// What a connection constructor's literal address must look like to be
/// reported: not empty, not a template, not an in-memory SQLite database.
fn is_connection_string(value: &str) -> bool {
    let v = value.trim();
    !v.is_empty() && !v.contains(['{', '}']) && !v.starts_with("sqlite:") && !v.contains(":memory:")
}

/// A string literal's value, when the expression is one (through `&`,
/// `.to_string()`, `String::from`), else the path it names.
enum Arg<'a> {
    Lit(&'a syn::LitStr),
    Path(&'a syn::Path),
}

fn address_arg(expr: &syn::Expr) -> Option<Arg<'_>> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s), ..
        }) => Some(Arg::Lit(s)),
        syn::Expr::Path(p) => Some(Arg::Path(&p.path)),
        syn::Expr::Reference(r) => address_arg(&r.expr),
        syn::Expr::Paren(p) => address_arg(&p.expr),
        syn::Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(
                    m.method.to_string().as_str(),
                    "to_string" | "to_owned" | "into" | "as_str" | "parse"
                ) =>
        {
            address_arg(&m.receiver)
        }
        _ => None,
    }
}

/// Calls that bind a listening socket, by their last segment.
const LISTEN_CALLS: &[&str] = &[
    "bind",
    "try_bind",
    "listen",
    "bind_addr",
    "bind_rustls",
    "bind_openssl",
    "bind_auto_h2c",
];

fn is_listen_call(frame: &crate::engine::CallFrame) -> bool {
    let name = match &frame.method {
        Some(m) => m.as_str(),
        None => frame.paths.first().and_then(|p| p.rsplit("::").next()).unwrap_or(""),
    };
    LISTEN_CALLS.contains(&name)
}

/// `localhost`, `127.0.0.1`, `[::1]`, `0.0.0.0`.
fn is_loopback(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host.starts_with("127.")
        || host == "::1"
        || host == "0.0.0.0"
}

/// A package without a binary, outside a `main` function: its code runs
/// inside other programs.
fn library_only(cx: &Cx<'_>) -> bool {
    cx.target_kind() == TargetKind::Lib
        && cx.enclosing_fn() != Some("main")
        && !cx.package().targets.iter().any(|t| t.kind == TargetKind::Bin)
}

/// The literal in a config field's value: `Some("db".into())`,
/// `"db".to_string()`, `vec!["db".into()]` is left alone.
fn config_literal(expr: &syn::Expr) -> Option<syn::LitStr> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s), ..
        }) => Some(s.clone()),
        syn::Expr::Call(c) if c.args.len() == 1 => {
            let syn::Expr::Path(p) = &*c.func else { return None };
            let last = p.path.segments.last()?.ident.to_string();
            matches!(last.as_str(), "Some" | "from")
                .then(|| config_literal(&c.args[0]))
                .flatten()
        }
        syn::Expr::MethodCall(m)
            if m.args.is_empty() && matches!(m.method.to_string().as_str(), "to_string" | "to_owned" | "into") =>
        {
            config_literal(&m.receiver)
        }
        _ => None,
    }
}

/// Attributes of argument parsers, and their keys that give a default.
const CLAP_ATTRS: &[&str] = &["arg", "clap", "structopt"];
const CLAP_DEFAULTS: &[&str] = &["default_value", "default_missing_value"];

/// The values of `key = value` settings in a field's attributes: the
/// attributes named in `names`, the keys in `keys`, as `(attribute, value)`.
/// `#[arg(long, default_value = "db")]` gives `("arg", "db")`. Shared with
/// `filesystem_write`, which judges the defaults of other derives too.
pub(crate) fn attribute_settings(attrs: &[syn::Attribute], names: &[&str], keys: &[&str]) -> Vec<(String, syn::Expr)> {
    let mut out = Vec::new();
    for attr in attrs {
        let Some(name) = names.iter().find(|n| attr.path().is_ident(n)) else {
            continue;
        };
        let _ = attr.parse_nested_meta(|meta| {
            if meta.input.peek(syn::Token![=]) {
                let value: syn::Expr = meta.value()?.parse()?;
                if keys.iter().any(|k| meta.path.is_ident(k)) {
                    out.push((name.to_string(), value));
                }
            } else if meta.input.peek(syn::token::Paren) {
                let _: proc_macro2::TokenTree = meta.input.parse()?;
            }
            Ok(())
        });
    }
    out
}

/// The string defaults of a clap field.
fn clap_defaults(attrs: &[syn::Attribute]) -> Vec<syn::LitStr> {
    attribute_settings(attrs, CLAP_ATTRS, CLAP_DEFAULTS)
        .into_iter()
        .filter_map(|(_, value)| match value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s), ..
            }) => Some(s),
            _ => None,
        })
        .collect()
}

/// Addresses in a derive_builder default, which is code in a string:
/// `#[builder(default = r#"DatabaseUrl::from("sqlite://users.db?mode=rwc")"#)]`,
/// with the attribute's literal they are in.
fn builder_default_addresses(attrs: &[syn::Attribute]) -> Vec<(syn::LitStr, Address)> {
    use syn::visit::Visit;
    struct Lits(Vec<String>);
    impl Visit<'_> for Lits {
        fn visit_lit_str(&mut self, s: &syn::LitStr) {
            self.0.push(s.value());
        }
    }
    let mut out = Vec::new();
    for (_, value) in attribute_settings(attrs, &["builder"], &["default"]) {
        let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        }) = value
        else {
            continue;
        };
        let Ok(code) = syn::parse_str::<syn::Expr>(&lit.value()) else {
            continue;
        };
        let mut lits = Lits(Vec::new());
        lits.visit_expr(&code);
        if let Some(address) = lits.0.iter().find_map(|v| service_address(v)) {
            out.push((lit, address));
        }
    }
    out
}

/// Constants are named in upper case; a lower-case single segment is a
/// local or a parameter.
fn looks_like_const(path: &syn::Path) -> bool {
    path.segments.last().is_some_and(|s| {
        s.ident
            .to_string()
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    })
}

impl HardcodedBackingService {
    /// Masks a password in the literal at `token` whose value is `value`.
    fn mask(cx: &mut Cx<'_>, token: Range<usize>, value: &str, password: Range<usize>) {
        let (inner, exact) = literal_value_range(&cx.file().text, token, value);
        if exact {
            cx.redact(inner.start + password.start..inner.start + password.end);
        } else {
            cx.redact(inner);
        }
    }

    /// `callee` is the call the address is passed to; `field` the setting
    /// whose default it is (`database_url` of a clap or builder struct).
    fn report_address(
        cx: &mut Cx<'_>,
        lit: &syn::LitStr,
        address: &Address,
        callee: Option<&str>,
        field: Option<&syn::Ident>,
    ) {
        let token = lit.span().byte_range();
        if let Some(pw) = &address.password {
            Self::mask(cx, token.clone(), &lit.value(), pw.clone());
        }
        let service = address.service;
        let at = match address.port {
            Some(port) => format!("{}:{port}", address.host),
            None => address.host.clone(),
        };
        let what = match &address.scheme {
            Some(scheme) => format!("`{scheme}://` URL"),
            None => "address".to_string(),
        };
        let span = cx.span_of(token);
        // A default is overridable, but a deploy that forgets the setting
        // runs on it: against a file on its own disk, for SQLite.
        if let Some(field) = field {
            let d = cx.report(
                span,
                format!("`{field}` defaults to a hard-coded {} {what} (`{at}`)", service.name),
            );
            d.label(if address.scheme.as_deref() == Some("sqlite") {
                "a deploy that does not set it keeps its database in a file on its own disk".to_string()
            } else {
                "a deploy that does not set it connects here".to_string()
            });
            d.note("a backing service is an attached resource: each deploy names its own through config, so it can be swapped without a code change");
            d.help("give the setting no default: read it from the environment and fail at startup when it is unset");
            return;
        }
        let d = cx.report(span, format!("hard-coded {} {what} (`{at}`)", service.name));
        d.label(match callee {
            Some(c) => format!("`{c}` always connects here"),
            None => "every deploy of this build addresses the same instance".to_string(),
        });
        Self::footer(d, service);
    }

    fn footer(d: &mut crate::diagnostic::Diagnostic, service: Service) {
        d.note("a backing service is an attached resource: each deploy names its own through config, so it can be swapped without a code change");
        d.help(format!(
            "read the address from the environment: `std::env::var(\"{}\")`, and fail at startup when it is unset",
            service.env
        ));
    }
}

impl Rule for HardcodedBackingService {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
    fn fact_types(&self) -> &'static [crate::engine::cache::FactType] {
        const { &[crate::engine::cache::FactType::of::<ConstFact>()] }
    }

    fn check_lit(&self, cx: &mut Cx<'_>, lit: &syn::Lit) {
        if is_test_or_build_time(cx) {
            return;
        }
        let syn::Lit::Str(s) = lit else { return };
        let value = s.value();
        let own = cx.module()[0].clone();
        let callee = cx.call_stack().last().and_then(|f| address_of(f, &own));
        // `connect(env!("URL"))`: the literal is a macro's argument, not the address.
        let direct = cx
            .call_stack()
            .last()
            .is_some_and(|f| f.macro_depth == cx.macro_stack().len());
        if let Some(address) = service_address(&value) {
            let callee = callee.map(|(_, c)| c);
            // A library's own default (`const DEFAULT_URI = "mongodb://localhost:27020"`)
            // is not a deploy's address; a service's is.
            if callee.is_none() && is_loopback(&address.host) && library_only(cx) {
                return;
            }
            // `TcpListener::bind("127.0.0.1:6379")`: a server of the protocol
            // binding its port (factor VII), not a client of the service.
            if address.scheme.is_none() && cx.call_stack().last().is_some_and(is_listen_call) {
                return;
            }
            Self::report_address(cx, s, &address, callee.as_deref(), None);
            return;
        }
        // Any other literal given as a connection's address: a key-value
        // connection string, a bare host.
        let Some((service, callee)) = callee else { return };
        if !direct || !is_connection_string(&value) {
            return;
        }
        let token = s.span().byte_range();
        if let Some(pw) = conninfo_password(&value) {
            Self::mask(cx, token.clone(), &value, pw);
        }
        let span = cx.span_of(token);
        let d = cx.report(span, format!("`{callee}` connects to a hard-coded address"));
        d.label("every deploy of this build connects to the same instance");
        Self::footer(d, service);
    }

    fn check_call(&self, cx: &mut Cx<'_>, call: &Call<'_>) {
        if is_test_or_build_time(cx) {
            return;
        }
        let own = cx.module()[0].clone();
        let found = match call.method {
            Some(m) => {
                let first = call.args.first().and_then(|a| match a {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s), ..
                    }) => Some(s.value()),
                    _ => None,
                });
                connect_method(&m.to_string(), &call.chain, first.as_deref(), &own)
            }
            None => connect_function(&call.paths, &own).map(|(a, s, n)| (a, s, n.to_string())),
        };
        let Some((arg, service, callee)) = found else { return };
        let Some(Arg::Path(path)) = call.args.get(arg).and_then(|a| address_arg(a)) else {
            return;
        };
        if !looks_like_const(path) {
            return;
        }
        let span = cx.span(call.args[arg]);
        if let Some(init) = cx.const_init(path) {
            // Same file: an address literal is reported where it is written;
            // anything else is reported here.
            let Some(Arg::Lit(lit)) = address_arg(init) else { return };
            let value = lit.value();
            if !is_connection_string(&value) || service_address(&value).is_some() {
                return;
            }
            let token = lit.span().byte_range();
            if let Some(pw) = conninfo_password(&value) {
                Self::mask(cx, token.clone(), &value, pw);
            }
            let defined = cx.span_of(token);
            let name = path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
            let d = cx.report(
                span,
                format!("`{callee}` connects to the hard-coded address in `{name}`"),
            );
            d.label("every deploy of this build connects to the same instance");
            d.secondary(defined, "the address is written here");
            Self::footer(d, service);
        } else {
            let candidates = cx.resolve(path);
            cx.record(
                span,
                ConstFact::Used {
                    candidates,
                    callee,
                    service,
                },
            );
        }
    }

    fn check_expr(&self, cx: &mut Cx<'_>, expr: &syn::Expr) {
        let syn::Expr::Struct(lit) = expr else { return };
        if is_test_or_build_time(cx) {
            return;
        }
        let own = cx.module()[0].clone();
        let Some((fields, service, ty)) = config_struct(&cx.resolve(&lit.path), &own) else {
            return;
        };
        for field in &lit.fields {
            let syn::Member::Named(name) = &field.member else {
                continue;
            };
            if !fields.iter().any(|f| name == f) {
                continue;
            }
            let Some(value) = config_literal(&field.expr) else {
                continue;
            };
            let text = value.value();
            // URLs with a scheme are reported where they are written, by `check_lit`.
            if !is_connection_string(&text) || service_address(&text).is_some() {
                continue;
            }
            if let Some(pw) = conninfo_password(&text) {
                Self::mask(cx, value.span().byte_range(), &text, pw);
            }
            let span = cx.span(&value);
            let d = cx.report(span, format!("`{ty}` connects to a hard-coded `{name}`"));
            d.label("every deploy of this build connects to the same instance");
            Self::footer(d, service);
        }
    }

    fn check_item(&self, cx: &mut Cx<'_>, item: &syn::Item) {
        if is_test_or_build_time(cx) {
            return;
        }
        let (ident, expr) = match item {
            syn::Item::Const(c) => (&c.ident, &*c.expr),
            syn::Item::Static(s) => (&s.ident, &*s.expr),
            syn::Item::Struct(s) => {
                // clap: `#[arg(long, env = "DATABASE_URL", default_value = "postgres://..")]`
                for field in &s.fields {
                    for lit in clap_defaults(&field.attrs) {
                        if let Some(address) = service_address(&lit.value())
                            && !(is_loopback(&address.host) && library_only(cx))
                        {
                            Self::report_address(cx, &lit, &address, None, field.ident.as_ref());
                        }
                    }
                    for (lit, address) in builder_default_addresses(&field.attrs) {
                        if !(is_loopback(&address.host) && library_only(cx)) {
                            Self::report_address(cx, &lit, &address, None, field.ident.as_ref());
                        }
                    }
                }
                return;
            }
            _ => return,
        };
        let Some(Arg::Lit(lit)) = address_arg(expr) else { return };
        let value = lit.value();
        if !is_connection_string(&value) || service_address(&value).is_some() {
            return;
        }
        let path = format!("{}::{ident}", cx.module().join("::"));
        let span = cx.span(lit);
        cx.record(span, ConstFact::Defined { path, value });
    }

    fn check_package(&self, cx: &mut PackageReport<'_>, facts: &[Fact]) {
        let defined: Vec<(&str, &Fact)> = facts
            .iter()
            .filter_map(|f| match f.get::<ConstFact>()? {
                ConstFact::Defined { path, .. } => Some((path.as_str(), f)),
                ConstFact::Used { .. } => None,
            })
            .collect();
        for fact in facts {
            let Some(ConstFact::Used {
                candidates,
                callee,
                service,
            }) = fact.get::<ConstFact>()
            else {
                continue;
            };
            let Some((path, def)) = defined.iter().find(|(p, _)| candidates.iter().any(|c| c == p)) else {
                continue;
            };
            let Some(ConstFact::Defined { value, .. }) = def.get::<ConstFact>() else {
                continue;
            };
            if conninfo_password(value).is_some() {
                // The definition's snippet would show the password: name it only.
                let name = path.rsplit("::").next().unwrap_or(path);
                let d = cx.report(
                    fact.span.clone(),
                    format!("`{callee}` connects to the hard-coded address in `{name}`"),
                );
                d.label("every deploy of this build connects to the same instance");
                Self::footer(d, *service);
                continue;
            }
            let name = path.rsplit("::").next().unwrap_or(path);
            let d = cx.report(
                fact.span.clone(),
                format!("`{callee}` connects to the hard-coded address in `{name}`"),
            );
            d.label("every deploy of this build connects to the same instance");
            d.secondary(def.span.clone(), "the address is written here");
            Self::footer(d, *service);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::HardcodedBackingService;
    use crate::test_support::{check_rule, lines_of};

    fn lines(src: &str) -> Vec<usize> {
        lines_of(&check_rule(&HardcodedBackingService, src))
    }

    #[test]
    fn fires_on_service_urls_and_ports() {
        let src = r#"
use sqlx::postgres::{PgPool, PgPoolOptions};

pub async fn connect() -> anyhow::Result<()> {
    let pool = PgPool::connect("postgres://app@db.internal:5432/app").await?;            // 5
    let pool = PgPoolOptions::new()
        .max_connections(5)
        .connect("postgresql://localhost/app").await?;                                    // 8
    let redis = redis::Client::open("redis://127.0.0.1:6379/")?;                          // 9
    let amqp = lapin::Connection::connect("amqp://rabbit:5672/%2f", Default::default()).await?; // 10
    let mongo = mongodb::Client::with_uri_str("mongodb+srv://cluster0.abcd.mongodb.net").await?; // 11
    let nats = async_nats::connect("nats://nats.internal:4222").await?;                    // 12
    let cache = memcache_addr("cache.internal:11211");                                     // 13
    Ok(())
}
"#;
        assert_eq!(lines(src), [5, 8, 9, 10, 11, 12, 13]);
    }

    #[test]
    fn fires_on_any_literal_given_to_a_constructor() {
        let src = r#"
use diesel::prelude::*;
use diesel::pg::PgConnection;
use rdkafka::config::ClientConfig;

fn conn() {
    let c = PgConnection::establish("host=db user=app dbname=app").unwrap();              // 7
    let (client, conn) = tokio_postgres::connect("host=localhost user=postgres", tokio_postgres::NoTls); // 8
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", "kafka-1.internal,kafka-2.internal")                   // 10
        .set("message.timeout.ms", "5000")
        .create()
        .unwrap();
    let nats = async_nats::connect("demo.nats.io");                                       // 14
    let baked = sqlx::PgPool::connect(env!("DATABASE_URL"));
    let built = sqlx::PgPool::connect(&format!("host={} dbname=app", host));
}
"#;
        assert_eq!(lines(src), [7, 8, 10, 14]);
    }

    #[test]
    fn follows_constants_one_step() {
        let src = r#"
const REDIS_URL: &str = "redis://cache.internal:6379";    // 2: reported where written
static CONNINFO: &str = "host=db.internal dbname=app";
mod settings { pub const DSN: &str = "host=pg dbname=x"; }

fn f() {
    let client = redis::Client::open(REDIS_URL).unwrap();
    let conn = postgres::Client::connect(CONNINFO, postgres::NoTls).unwrap();   // 8
    let other = postgres::Client::connect(settings::DSN, postgres::NoTls).unwrap(); // 9
}
"#;
        assert_eq!(lines(src), [2, 8, 9]);
    }

    #[test]
    fn environment_and_templates_are_fine() {
        let src = r#"
use std::env;
use sqlx::PgPool;

const SCHEME: &str = "postgres://";
const DEFAULT_PORT: u16 = 5432;

async fn connect(cfg: &Config) -> anyhow::Result<()> {
    let pool = PgPool::connect(&env::var("DATABASE_URL")?).await?;
    let url = format!("postgres://{}:{}@{}/{}", cfg.user, cfg.password, cfg.host, cfg.db);
    let pool = PgPool::connect(&url).await?;
    let redis = redis::Client::open(cfg.redis_url.as_str())?;
    if url.starts_with("postgres://") || url.starts_with("redis://") {}
    let msg = "expected a URL like postgres://user@localhost/db";
    let doc = "postgres://user:password@host:port/database";
    let web = "http://localhost:8080";
    let listen = "0.0.0.0:8080";
    let mem = sqlx::SqlitePool::connect("sqlite::memory:").await?;
    tracing::info!("connecting to {}", "redis");
    Ok(())
}
"#;
        assert_eq!(lines(src), Vec::<usize>::new());
    }

    #[test]
    fn test_code_is_fine() {
        let src = r#"
#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn db() {
        let pool = sqlx::PgPool::connect("postgres://localhost/test").await.unwrap();
    }
}
"#;
        assert_eq!(lines(src), Vec::<usize>::new());
    }

    #[test]
    fn help_names_the_variable_and_passwords_are_masked() {
        let src = r#"fn f() { let c = redis::Client::open("redis://:hunter2hunter2@cache:6379/0"); let p = sqlx::PgPool::connect("postgres://app:s3cretpw@db/app"); }"#;
        let found = check_rule(&HardcodedBackingService, src);
        assert_eq!(found.len(), 2);
        assert!(found[0].helps[0].contains("REDIS_URL"), "{:?}", found[0].helps);
        assert!(found[1].helps[0].contains("DATABASE_URL"));
        let shown = &found[0].span.file.text;
        assert!(
            !shown.contains("hunter2hunter2") && !shown.contains("s3cretpw"),
            "{shown}"
        );
        assert!(shown.contains("redis://:hunt**********@cache"), "{shown}");
        assert!(
            found
                .iter()
                .all(|d| !d.message.contains("hunter2") && !d.message.contains("s3cret"))
        );
    }

    #[test]
    fn a_library_default_on_loopback_is_fine_a_service_default_is_not() {
        let src = r#"
const MONGOCRYPTD_DEFAULT_URI: &str = "mongodb://localhost:27020";
const CACHE: &str = "redis://cache.internal:6379";
fn open() { let c = redis::Client::open("redis://127.0.0.1/"); }
"#;
        assert_eq!(lines(src), [3, 4]);
        let with_bin = crate::test_support::check_rule_in(&HardcodedBackingService, src, |p| {
            let raw: cargo_metadata::Target = serde_json::from_value(serde_json::json!({
                "name": "app", "kind": ["bin"], "crate_types": ["bin"], "required-features": [],
                "src_path": "/app/src/main.rs", "edition": "2021", "doctest": false, "test": true, "doc": true
            }))
            .unwrap();
            p.targets.push(crate::workspace::Target {
                name: "app".into(),
                crate_name: "app".into(),
                root: "app".into(),
                kind: crate::workspace::TargetKind::Bin,
                src_path: "/app/src/main.rs".into(),
                raw,
                selected: true,
            });
        });
        let got: Vec<usize> = with_bin.iter().map(|d| d.span.start().line).collect();
        assert_eq!(got, [2, 3, 4]);
    }

    #[test]
    fn cfg_test_fields_are_test_code() {
        let src = r#"
const PATTERNS: &[Pattern] = &[Pattern {
    name: "url",
    #[cfg(test)]
    tests: &["redis://:pw@cache.internal:6379/0"],
}];
"#;
        assert_eq!(lines(src), Vec::<usize>::new());
    }

    #[test]
    fn clap_defaults_fire() {
        let src = r#"
#[derive(clap::Parser)]
struct Args {
    #[arg(long, env = "DATABASE_URL", default_value = "postgres://db.internal/app")]
    database_url: String,
    #[arg(long, env = "REDIS_URL")]
    redis_url: String,
    #[arg(long, env = "BIND", default_value = "0.0.0.0:8080")]
    bind: String,
}
"#;
        assert_eq!(lines(src), [4]);
    }

    #[test]
    fn development_fallbacks_in_services_fire() {
        // Shapes seen in public services: a fallback for an unset variable,
        // sometimes after a warning.
        let src = r#"
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let brokers = std::env::var("KAFKA_BROKERS").unwrap_or_else(|_| "localhost:9092".into());   // 4
    let db_url = std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        log::warn!("DATABASE_URL is not set, using the default");
        "sqlite://data/app.db".to_string()                                                    // 7
    });
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,app=debug"));
    let addr = "0.0.0.0:50051";
    let upstream = std::env::var("UPSTREAM").unwrap_or_else(|_| "http://restate:8080".into());
    Ok(())
}
"#;
        assert_eq!(lines(src), [4, 7]);
    }

    #[test]
    fn builder_defaults_in_code_strings_fire() {
        // lldap's configuration struct.
        let src = r##"
#[derive(Clone, Deserialize, derive_builder::Builder)]
pub struct Configuration {
    #[builder(default = r#"String::from("0.0.0.0")"#)]
    pub http_host: String,
    #[builder(default = r#"DatabaseUrl::from("sqlite://users.db?mode=rwc")"#)]   // 6
    pub database_url: DatabaseUrl,
    #[builder(default = r#"Url::parse("redis://cache.internal:6379").unwrap()"#)] // 8
    pub cache_url: Url,
    #[builder(default)]
    pub smtp: MailOptions,
    #[builder(default = "false")]
    pub force_update_private_key: bool,
}
"##;
        assert_eq!(lines(src), [6, 8]);
        // A default names its setting and what a deploy without it runs on.
        let found = check_rule(&HardcodedBackingService, src);
        assert_eq!(
            found[0].message,
            "`database_url` defaults to a hard-coded SQLite `sqlite://` URL (`users.db`)"
        );
        assert_eq!(
            found[0].label.as_deref().unwrap_or_default(),
            "a deploy that does not set it keeps its database in a file on its own disk"
        );
        assert_eq!(
            found[1].label.as_deref(),
            Some("a deploy that does not set it connects here")
        );
    }

    #[test]
    fn conninfo_passwords_are_masked() {
        let src = r#"fn f() { let c = tokio_postgres::connect("host=db user=app password=hunter2pass dbname=x", tokio_postgres::NoTls); }"#;
        let found = check_rule(&HardcodedBackingService, src);
        assert_eq!(found.len(), 1);
        let shown = &found[0].span.file.text;
        assert!(shown.contains("password=hunt******* dbname=x"), "{shown}");
    }

    #[test]
    fn config_structs_and_option_builders_fire() {
        let src = r#"
use sqlx::postgres::PgConnectOptions;

fn pool() {
    let mut cfg = deadpool_postgres::Config {
        host: Some("db.internal".to_string()),          // 6
        dbname: Some("app".to_string()),
        user: Some(std::env::var("DB_USER").unwrap()),
        ..Default::default()
    };
    let opts = PgConnectOptions::new().host("pg.internal").port(5432).database("app");   // 11
    let mut pg = tokio_postgres::Config::new();
    pg.host("10.0.0.7");                                                                    // 13
    let from_env = PgConnectOptions::new().host(&std::env::var("PGHOST").unwrap());
}
"#;
        assert_eq!(lines(src), [6, 11, 13]);
    }

    #[test]
    fn a_server_binding_a_service_port_is_not_a_client() {
        let src = r#"
use tokio::net::TcpListener;
#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:6379").await?;
    let std_listener = std::net::TcpListener::bind("0.0.0.0:5432")?;
    println!("Starting Redis server on 127.0.0.1:6379...");
    let upstream = redis::Client::open("redis://10.0.0.3:6379").unwrap();     // 8
    Ok(())
}
"#;
        assert_eq!(lines(src), [8]);
    }
}

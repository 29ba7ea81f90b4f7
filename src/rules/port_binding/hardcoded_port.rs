use std::ops::Range;

use crate::declare_rule;
use crate::diagnostic::{Applicability, Edit, Span};
use crate::engine::{Call, Cx, Fact, PackageReport};
use crate::rules::common::is_test_or_build_time;
use crate::rules::{Factor, Rule, RuleMeta};

declare_rule! {
    /// ### What it does
    /// Finds a literal port in the address a server binds to:
    /// `TcpListener::bind("0.0.0.0:8080")` (std, tokio, async-std, poem),
    /// `UdpSocket::bind`, actix `HttpServer::bind(("0.0.0.0", 8080))`,
    /// warp `serve(..).run(([0, 0, 0, 0], 3030))`, hyper and axum 0.6
    /// `Server::bind(&addr)`, tonic `serve(addr)`, salvo
    /// `TcpListener::new`, tide `listen` and tiny_http `Server::http`. The
    /// address may be a `"host:port"` string, a `(host, port)` tuple,
    /// `SocketAddr::from(([..], port))`, `SocketAddr::new(ip, port)`, a
    /// `"…".parse()`, or a local, `const` or `static` holding one of those.
    ///
    /// ### Why is this bad
    /// A twelve-factor app is self-contained and exports its service by
    /// binding to a port, and the platform decides which one: Heroku, Cloud
    /// Run and many others pass it in `PORT`, and two instances or two
    /// services on one host need different ports. A port written in the code
    /// takes that decision away from the deploy.
    ///
    /// A port read from a variable, an environment variable, config or the
    /// command line is not reported, and neither is a literal fallback for
    /// `PORT` (`env::var("PORT")…unwrap_or(8080)`), port `0` (any free
    /// port), a port fixed by a protocol (mDNS 5353, SSDP 1900, DHCP, NTP),
    /// test code or a build script. The host (`0.0.0.0`) is fine.
    ///
    /// ### Example
    /// ```rust,ignore
    /// let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
    /// axum::serve(listener, app).await?;
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8080);
    /// let listener = tokio::net::TcpListener::bind(("0.0.0.0", port)).await?;
    /// axum::serve(listener, app).await?;
    /// ```
    ///
    /// ### Fix
    /// `cargo twelve fix` reads `PORT`, keeping the literal as the fallback: a
    /// port number becomes `std::env::var("PORT").ok().and_then(|p|
    /// p.parse::<u16>().ok()).unwrap_or(8080)` (machine-applicable where it is
    /// written in the bind call), a `"host:port"` string a `format!` of the
    /// host and `PORT` (`--unsafe-fixes`). A port behind a `const` or `static`
    /// is read where each bind names it, the constant as the fallback, so
    /// that other uses (a client of the port) keep it (`--unsafe-fixes`).
    /// `PORT` is added to `.env.example`.
    pub HardcodedPort => "hardcoded_port", Factor::PortBinding, Warn, fixable: true, options: [], scope: Service
}

/// Functions that bind a listening socket, with the index of the address
/// argument.
const BIND_FUNCTIONS: &[(&str, usize)] = &[
    ("std::net::TcpListener::bind", 0),
    ("std::net::UdpSocket::bind", 0),
    ("tokio::net::TcpListener::bind", 0),
    ("tokio::net::UdpSocket::bind", 0),
    ("async_std::net::TcpListener::bind", 0),
    ("async_std::net::UdpSocket::bind", 0),
    ("async_net::TcpListener::bind", 0),
    ("async_net::UdpSocket::bind", 0),
    ("smol::net::TcpListener::bind", 0),
    ("smol::net::UdpSocket::bind", 0),
    ("hyper::Server::bind", 0),
    ("hyper::Server::try_bind", 0),
    ("hyper::server::Server::bind", 0),
    ("hyper::server::Server::try_bind", 0),
    ("axum::Server::bind", 0),
    ("axum::Server::try_bind", 0),
    ("axum::server::Server::bind", 0),
    ("poem::listener::TcpListener::bind", 0),
    ("salvo::conn::TcpListener::new", 0),
    ("salvo::conn::tcp::TcpListener::new", 0),
    ("salvo::prelude::TcpListener::new", 0),
    ("salvo::TcpListener::new", 0),
    ("tiny_http::Server::http", 0),
    ("tiny_http::Server::https", 0),
];

/// Methods that bind, with the index of the address argument and the
/// constructors their chain must start from.
const BIND_METHODS: &[(&str, usize, &[&str])] = &[
    ("bind", 0, ACTIX_SERVERS),
    ("bind_rustls", 0, ACTIX_SERVERS),
    ("bind_rustls_021", 0, ACTIX_SERVERS),
    ("bind_rustls_0_22", 0, ACTIX_SERVERS),
    ("bind_rustls_0_23", 0, ACTIX_SERVERS),
    ("bind_openssl", 0, ACTIX_SERVERS),
    ("bind_auto_h2c", 0, ACTIX_SERVERS),
    ("run", 0, WARP_SERVERS),
    ("bind", 0, WARP_SERVERS),
    ("try_bind", 0, WARP_SERVERS),
    ("bind_ephemeral", 0, WARP_SERVERS),
    ("bind_with_graceful_shutdown", 0, WARP_SERVERS),
    ("try_bind_with_graceful_shutdown", 0, WARP_SERVERS),
    ("serve", 0, TONIC_SERVERS),
    ("serve_with_shutdown", 0, TONIC_SERVERS),
    ("listen", 0, TIDE_SERVERS),
];

const ACTIX_SERVERS: &[&str] = &["actix_web::HttpServer::new", "actix_server::Server::build"];
const WARP_SERVERS: &[&str] = &["warp::serve", "warp::Server::new"];
const TONIC_SERVERS: &[&str] = &[
    "tonic::transport::Server::builder",
    "tonic::transport::server::Server::builder",
];
const TIDE_SERVERS: &[&str] = &[
    "tide::new",
    "tide::with_state",
    "tide::Server::new",
    "tide::Server::with_state",
];

/// Address constructors, by the last two segments of their path, with the
/// argument holding the port (`None`: the argument is itself an address).
const ADDRESS_CONSTRUCTORS: &[(&str, Option<usize>)] = &[
    ("SocketAddr::new", Some(1)),
    ("SocketAddrV4::new", Some(1)),
    ("SocketAddrV6::new", Some(1)),
    ("SocketAddr::from", None),
    ("SocketAddrV4::from", None),
    ("SocketAddrV6::from", None),
    ("SocketAddr::from_str", None),
    ("SocketAddr::V4", None),
    ("SocketAddr::V6", None),
    ("Into::into", None),
];

/// Ports fixed by a protocol, not chosen by a deploy: discovery and
/// link-local protocols must bind exactly these (mDNS, LLMNR, SSDP, DHCP,
/// DHCPv6, NTP, NetBIOS, WS-Discovery).
const PROTOCOL_PORTS: &[u16] = &[5353, 5355, 1900, 67, 68, 546, 547, 123, 137, 138, 3702];

/// Methods that keep the address they are called on.
const PASS_THROUGH: &[&str] = &["unwrap", "expect", "into", "to_owned", "to_string", "clone"];

/// How the port is written.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
enum Written {
    /// An integer literal: `8080`, replaceable by an expression.
    Int,
    /// Inside a `"host:port"` literal spanning `lit`, whose value is
    /// `value`.
    InStr {
        lit: Range<usize>,
        value: String,
        plain: bool,
    },
}

/// Where a literal port was found.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Port {
    port: u16,
    /// The digits.
    range: Range<usize>,
    written: Written,
    /// Through a `let` (`Some(false)`), a `const`/`static` (`Some(true)`),
    /// or directly in the call (`None`).
    via: Option<bool>,
}

/// Facts for ports behind a `const` or `static` of another file.
#[derive(serde::Serialize, serde::Deserialize)]
enum Seen {
    /// A `const`/`static` holding an address or port.
    Def { path: String, port: Port },
    /// A bind through a name that is not a local or a same-file const,
    /// written at `at` in the bind's file.
    Use {
        candidates: Vec<String>,
        port_position: bool,
        at: Span,
    },
    /// A port found through a same-file const, named at `at` (and in port
    /// position or not); reported once per const.
    Found { port: Port, at: Option<(Span, bool)> },
}

fn int_port(lit: &syn::LitInt) -> Option<u16> {
    lit.base10_parse::<u16>().ok().filter(|p| is_deploy_port(*p))
}

/// Port 0 asks for any free port, and protocol ports are not a deploy's
/// choice.
fn is_deploy_port(port: u16) -> bool {
    port != 0 && !PROTOCOL_PORTS.contains(&port)
}

/// `"0.0.0.0:8080"`, `"[::]:80"`, `"localhost:3000"`: the port and its
/// byte range in the file.
fn str_port(lit: &syn::LitStr) -> Option<(u16, Range<usize>)> {
    let value = lit.value();
    let (host, digits) = value.rsplit_once(':')?;
    if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) || host.contains('/') {
        return None;
    }
    if host.ends_with(':') && !host.starts_with('[') {
        // `::1` is an IPv6 address without a port.
        return None;
    }
    let port: u16 = digits.parse().ok().filter(|p| is_deploy_port(*p))?;
    let token = lit.token().to_string();
    let at = token.rfind(&format!(":{digits}"))? + 1;
    let start = lit.span().byte_range().start + at;
    Some((port, start..start + digits.len()))
}

fn last_two(path: &syn::Path) -> String {
    let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    segs[segs.len().saturating_sub(2)..].join("::")
}

struct Lookup<'c, 'a> {
    cx: &'c Cx<'a>,
    /// Names that are neither locals nor same-file consts, by position,
    /// with where they are written.
    unresolved: Vec<(Vec<String>, bool, Range<usize>)>,
    /// Where the first `const`/`static` on the way is named, and whether
    /// in port position.
    const_at: Option<(Range<usize>, bool)>,
}

impl<'c> Lookup<'c, '_> {
    /// The initializer behind a name: a local, then a same-file const.
    fn through(&mut self, expr: &syn::ExprPath, port_position: bool) -> Option<(&'c syn::Expr, bool)> {
        let cx: &'c Cx<'_> = self.cx;
        let path = &expr.path;
        if let Some(ident) = path.get_ident()
            && let Some(init) = cx.local_init(&ident.to_string())
        {
            return Some((init, false));
        }
        let at = syn::spanned::Spanned::span(expr).byte_range();
        if let Some(init) = cx.const_init(path) {
            self.const_at.get_or_insert((at, port_position));
            return Some((init, true));
        }
        self.unresolved.push((self.cx.resolve(path), port_position, at));
        None
    }

    fn address(&mut self, expr: &syn::Expr, depth: usize, via: Option<bool>) -> Option<Port> {
        if depth > 4 {
            return None;
        }
        match expr {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s), ..
            }) => {
                let (port, range) = str_port(s)?;
                let value = s.value();
                let plain = s.token().to_string() == format!("{value:?}") && !value.contains(['{', '}']);
                Some(Port {
                    port,
                    range,
                    written: Written::InStr {
                        lit: s.span().byte_range(),
                        value,
                        plain,
                    },
                    via,
                })
            }
            syn::Expr::Tuple(t) if t.elems.len() == 2 => self.port(&t.elems[1], depth + 1, via),
            syn::Expr::Reference(r) => self.address(&r.expr, depth, via),
            syn::Expr::Paren(p) => self.address(&p.expr, depth, via),
            syn::Expr::Group(g) => self.address(&g.expr, depth, via),
            syn::Expr::Try(t) => self.address(&t.expr, depth, via),
            syn::Expr::Await(a) => self.address(&a.base, depth, via),
            syn::Expr::MethodCall(m) => {
                let name = m.method.to_string();
                if name == "parse" || PASS_THROUGH.contains(&name.as_str()) {
                    self.address(&m.receiver, depth + 1, via)
                } else {
                    None
                }
            }
            syn::Expr::Call(c) => {
                let syn::Expr::Path(f) = &*c.func else { return None };
                let name = last_two(&f.path);
                let (_, port_arg) = ADDRESS_CONSTRUCTORS.iter().find(|(n, _)| *n == name)?;
                match port_arg {
                    Some(i) => self.port(c.args.iter().nth(*i)?, depth + 1, via),
                    None => self.address(c.args.first()?, depth + 1, via),
                }
            }
            syn::Expr::Path(p) => {
                let (init, is_const) = self.through(p, false)?;
                let via = Some(via.unwrap_or(false) || is_const);
                self.address(init, depth + 1, via)
            }
            _ => None,
        }
    }

    fn port(&mut self, expr: &syn::Expr, depth: usize, via: Option<bool>) -> Option<Port> {
        if depth > 4 {
            return None;
        }
        match expr {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(i), ..
            }) => Some(Port {
                port: int_port(i)?,
                range: i.span().byte_range(),
                written: Written::Int,
                via,
            }),
            syn::Expr::Paren(p) => self.port(&p.expr, depth, via),
            syn::Expr::Group(g) => self.port(&g.expr, depth, via),
            syn::Expr::Cast(c) => self.port(&c.expr, depth, via),
            syn::Expr::Path(p) => {
                let (init, is_const) = self.through(p, true)?;
                let via = Some(via.unwrap_or(false) || is_const);
                self.port(init, depth + 1, via)
            }
            _ => None,
        }
    }
}

/// The address argument of a bind call, if `call` is one.
fn bind_address<'a>(call: &Call<'a>) -> Option<&'a syn::Expr> {
    match call.method {
        Some(method) => {
            let (_, arg, _) = BIND_METHODS
                .iter()
                .find(|(m, _, roots)| method == m && call.chain.root_is(roots))?;
            call.args.get(*arg).copied()
        }
        None => {
            // `actix_web::rt::net::TcpListener` and a workspace's
            // `common::tokio::net::TcpListener` are tokio's.
            let (_, arg) = BIND_FUNCTIONS.iter().find(|(f, _)| {
                call.paths.iter().any(|p| {
                    p == f
                        || (f.starts_with("tokio::")
                            && (p.ends_with(&format!("::{f}"))
                                || p.strip_prefix("actix_web::rt::").or(p.strip_prefix("actix_rt::"))
                                    == f.strip_prefix("tokio::")))
                })
            })?;
            call.args.get(*arg).copied()
        }
    }
}

const PORT_FROM_ENV: &str = "std::env::var(\"PORT\").ok().and_then(|p| p.parse::<u16>().ok())";

fn report(file_span: impl Fn(Range<usize>) -> Span, out: &mut crate::diagnostic::Diagnostic, port: &Port) {
    out.label("hardcoded port")
        .note("a twelve-factor app exports its service by binding to the port the platform gives it, usually in `PORT`, so instances and services can run side by side")
        .help(format!(
            "read the port from the environment: `{PORT_FROM_ENV}.unwrap_or({})`",
            port.port
        ));
    if port.via == Some(true) {
        return;
    }
    let applicability = if port.via.is_none() {
        Applicability::MachineApplicable
    } else {
        Applicability::MaybeIncorrect
    };
    match &port.written {
        Written::Int => {
            out.suggest(
                "take the port from `PORT`, keeping this one as the fallback",
                vec![Edit {
                    span: file_span(port.range.clone()),
                    replacement: format!("{PORT_FROM_ENV}.unwrap_or({})", port.port),
                }],
                applicability,
            )
            .suggest_env(["PORT"]);
        }
        Written::InStr { lit, value, plain } if *plain => {
            let host = &value[..value.len() - port.range.len()];
            out.suggest(
                "take the port from `PORT`, keeping this one as the fallback",
                vec![Edit {
                    span: file_span(lit.clone()),
                    replacement: format!(
                        "format!(\"{host}{{}}\", std::env::var(\"PORT\").as_deref().unwrap_or(\"{}\"))",
                        port.port
                    ),
                }],
                Applicability::MaybeIncorrect,
            )
            .suggest_env(["PORT"]);
        }
        Written::InStr { .. } => {}
    }
}

const MESSAGE: &str = "the port this server binds to is hardcoded";

impl Rule for HardcodedPort {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
    fn fact_types(&self) -> &'static [crate::engine::cache::FactType] {
        const { &[crate::engine::cache::FactType::of::<Seen>()] }
    }

    fn check_call(&self, cx: &mut Cx<'_>, call: &Call<'_>) {
        if is_test_or_build_time(cx) {
            return;
        }
        let Some(addr) = bind_address(call) else { return };
        let mut lookup = Lookup {
            cx,
            unresolved: Vec::new(),
            const_at: None,
        };
        let found = lookup.address(addr, 0, None);
        let unresolved = std::mem::take(&mut lookup.unresolved);
        let const_at = lookup.const_at.take();
        match found {
            Some(port) if port.via == Some(true) => {
                let span = cx.span_of(port.range.clone());
                let at = const_at.map(|(r, in_port)| (cx.span_of(r), in_port));
                cx.record(span, Seen::Found { port, at });
            }
            Some(port) => {
                let span = cx.span_of(port.range.clone());
                let file = cx.file().clone();
                let d = cx.report(span, MESSAGE);
                report(|r| Span::new(file.clone(), r), d, &port);
            }
            None => {
                let span = cx.span(call.expr);
                for (candidates, port_position, at) in unresolved {
                    let at = cx.span_of(at);
                    cx.record(
                        span.clone(),
                        Seen::Use {
                            candidates,
                            port_position,
                            at,
                        },
                    );
                }
            }
        }
    }

    fn check_item(&self, cx: &mut Cx<'_>, item: &syn::Item) {
        let (ident, expr) = match item {
            syn::Item::Const(c) => (&c.ident, &*c.expr),
            syn::Item::Static(s) => (&s.ident, &*s.expr),
            _ => return,
        };
        if cx.in_test() {
            return;
        }
        let mut lookup = Lookup {
            cx,
            unresolved: Vec::new(),
            const_at: None,
        };
        let is_port_name = ident.to_string().to_ascii_uppercase().contains("PORT");
        let found = lookup.address(expr, 0, Some(true)).or_else(|| {
            if is_port_name {
                lookup.port(expr, 0, Some(true))
            } else {
                None
            }
        });
        if let Some(port) = found {
            // `enclosing_item` is this const: the module is the const's.
            let path = format!("{}::{ident}", cx.module().join("::"));
            let span = cx.span_of(port.range.clone());
            cx.record(span, Seen::Def { path, port });
        }
    }

    fn check_package<'a>(&self, cx: &mut PackageReport<'_>, facts: &'a [Fact]) {
        // One finding per `const`/`static`, with every bind through it.
        struct Through<'f> {
            def: &'f Fact,
            port: &'f Port,
            bind: Option<&'f Span>,
            uses: Vec<(Span, bool)>,
        }
        let mut found: Vec<Through<'_>> = Vec::new();
        let mut add = |def: &'a Fact, port: &'a Port, bind: Option<&'a Span>, at: Option<(Span, bool)>| {
            let slot = match found
                .iter_mut()
                .position(|t| t.def.span.path() == def.span.path() && t.def.span.range == def.span.range)
            {
                Some(i) => &mut found[i],
                None => {
                    found.push(Through {
                        def,
                        port,
                        bind,
                        uses: Vec::new(),
                    });
                    found.last_mut().expect("just pushed")
                }
            };
            slot.uses.extend(at);
        };
        for fact in facts {
            if let Some(Seen::Found { port, at }) = fact.get::<Seen>() {
                add(fact, port, None, at.clone());
            }
        }
        for fact in facts {
            let Some(Seen::Use {
                candidates,
                port_position,
                at,
            }) = fact.get::<Seen>()
            else {
                continue;
            };
            let def = facts.iter().find(|f| {
                matches!(f.get::<Seen>(), Some(Seen::Def { path, port })
                    if candidates.contains(path) && (*port_position == matches!(port.written, Written::Int) || !*port_position))
            });
            if let Some(def) = def
                && let Some(Seen::Def { port, .. }) = def.get::<Seen>()
            {
                add(def, port, Some(&fact.span), Some((at.clone(), *port_position)));
            }
        }
        for t in found {
            let file = t.def.span.file.clone();
            let d = cx.report(t.def.span.clone(), MESSAGE);
            if let Some(bind) = t.bind {
                d.secondary(bind.clone(), "bound here");
            }
            report(|r| Span::new(file.clone(), r), d, t.port);
            let edits: Vec<Edit> = t
                .uses
                .iter()
                .filter_map(|(at, in_port)| read_at_use(at, t.port, *in_port))
                .collect();
            if !edits.is_empty() && edits.len() == t.uses.len() {
                d.suggest(
                    "take the port from `PORT` where it is bound, keeping this one as the fallback",
                    edits,
                    Applicability::MaybeIncorrect,
                )
                .suggest_env(["PORT"]);
            }
        }
    }
}

/// The read of `PORT` that takes the place of a `const`/`static` where a
/// bind names it, with the constant as the fallback: the port's type is
/// the constant's. An address constant gives way to a `format!` of its
/// host and `PORT`.
fn read_at_use(at: &Span, port: &Port, in_port: bool) -> Option<Edit> {
    let written = at.snippet();
    let replacement = if in_port {
        format!("std::env::var(\"PORT\").ok().and_then(|p| p.parse().ok()).unwrap_or({written})")
    } else {
        let Written::InStr { value, plain: true, .. } = &port.written else {
            return None;
        };
        let host = &value[..value.len() - port.range.len()];
        format!(
            "format!(\"{host}{{}}\", std::env::var(\"PORT\").as_deref().unwrap_or(\"{}\"))",
            port.port
        )
    };
    Some(Edit {
        span: at.clone(),
        replacement,
    })
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Applicability;
    use crate::test_support::check_rule;

    use super::HardcodedPort;

    fn lines(src: &str) -> Vec<(usize, String)> {
        check_rule(&HardcodedPort, src)
            .iter()
            .map(|d| (d.span.start().line, d.span.snippet().to_string()))
            .collect()
    }

    fn l(v: &[(usize, &str)]) -> Vec<(usize, String)> {
        v.iter().map(|(n, s)| (*n, s.to_string())).collect()
    }

    #[test]
    fn fires_on_literal_ports_in_binds() {
        let src = r#"
use std::net::{Ipv4Addr, SocketAddr};
use tokio::net::TcpListener;
use actix_web::{App, HttpServer};

async fn serve() -> std::io::Result<()> {
    let listener = TcpListener::bind("0.0.0.0:8080").await?;                      // 7
    let std_l = std::net::TcpListener::bind(("127.0.0.1", 9000))?;                // 8
    let addr = SocketAddr::from(([0, 0, 0, 0], 3000));                             // 9
    axum::Server::bind(&addr);
    let a2: SocketAddr = "[::]:4000".parse().unwrap();                            // 11
    hyper::Server::bind(&a2);
    warp::serve(routes).run(([127, 0, 0, 1], 3030)).await;                        // 13
    HttpServer::new(|| App::new()).workers(4).bind(("0.0.0.0", 8081))?.run().await?; // 14
    tonic::transport::Server::builder().add_service(svc).serve(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 50051)).await; // 15
    let mut app = tide::new();
    app.listen("127.0.0.1:8082").await?;                                          // 17
    let server = tiny_http::Server::http("0.0.0.0:8000").unwrap();                // 18
    let a = actix_web::rt::net::TcpListener::bind("0.0.0.0:8083").await?;          // 19
    let b = hbb_common::tokio::net::TcpListener::bind(("::", 21116)).await?;      // 20
    let port = 7000;                                                              // 21
    let udp = tokio::net::UdpSocket::bind(("0.0.0.0", port)).await?;
    Ok(())
}
"#;
        assert_eq!(
            lines(src),
            l(&[
                (7, "8080"),
                (8, "9000"),
                (9, "3000"),
                (11, "4000"),
                (13, "3030"),
                (14, "8081"),
                (15, "50051"),
                (17, "8082"),
                (18, "8000"),
                (19, "8083"),
                (20, "21116"),
                (21, "7000"),
            ])
        );
    }

    #[test]
    fn const_and_static_addresses_fire_once() {
        let src = r#"
use tokio::net::TcpListener;

const ADDR: &str = "0.0.0.0:8080";
static HOST: &str = "0.0.0.0";
const PORT: u16 = 9090;
const UNUSED: &str = "0.0.0.0:1234";

pub async fn run() {
    let a = TcpListener::bind(ADDR).await.unwrap();
    let b = TcpListener::bind(ADDR).await.unwrap();
    let c = TcpListener::bind((HOST, PORT)).await.unwrap();
}
"#;
        let found = check_rule(&HardcodedPort, src);
        let got: Vec<_> = found
            .iter()
            .map(|d| (d.span.start().line, d.span.snippet().to_string()))
            .collect();
        assert_eq!(got, l(&[(4, "8080"), (6, "9090")]));
        // The reads go where the binds name the constants, every one of them.
        let edits = |i: usize| {
            let s = found[i].suggestion.as_ref().unwrap();
            assert_eq!(s.applicability, Applicability::MaybeIncorrect);
            s.edits
                .iter()
                .map(|e| (e.span.snippet().to_string(), e.replacement.clone()))
                .collect::<Vec<_>>()
        };
        let addr = r#"format!("0.0.0.0:{}", std::env::var("PORT").as_deref().unwrap_or("8080"))"#;
        assert_eq!(
            edits(0),
            [("ADDR".to_string(), addr.to_string()), ("ADDR".into(), addr.into())]
        );
        assert_eq!(
            edits(1),
            [(
                "PORT".to_string(),
                r#"std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(PORT)"#.to_string()
            )]
        );
    }

    #[test]
    fn ports_from_env_config_and_args_are_fine() {
        let src = r#"
use std::env;
use std::net::SocketAddr;
use tokio::net::TcpListener;

struct Config { port: u16, addr: SocketAddr }

const MDNS_PORT: u16 = 5353;

async fn serve(cfg: &Config, args: &Args) -> anyhow::Result<()> {
    let port: u16 = env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8080);
    TcpListener::bind(("0.0.0.0", port)).await?;
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_string());
    TcpListener::bind(format!("0.0.0.0:{port}")).await?;
    TcpListener::bind(cfg.addr).await?;
    TcpListener::bind(("0.0.0.0", cfg.port)).await?;
    TcpListener::bind(&args.listen).await?;
    let addr = env::var("LISTEN_ADDR").unwrap_or_else(|_| "0.0.0.0:8080".into());
    TcpListener::bind(&addr).await?;
    TcpListener::bind("127.0.0.1:0").await?;
    std::net::TcpStream::connect("db:5432")?;
    let mdns = tokio::net::UdpSocket::bind(("0.0.0.0", MDNS_PORT)).await?;
    warp::serve(routes).run(([0, 0, 0, 0], cfg.port)).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn binds() { tokio::net::TcpListener::bind("127.0.0.1:8080").await.unwrap(); }
}
"#;
        assert_eq!(lines(src), Vec::<(usize, String)>::new());
    }

    #[test]
    fn suggestions_read_port() {
        let src = r#"
fn f() {
    std::net::TcpListener::bind(("0.0.0.0", 8080)).unwrap();
    std::net::TcpListener::bind("0.0.0.0:8081").unwrap();
}
"#;
        let found = check_rule(&HardcodedPort, src);
        let s = found[0].suggestion.as_ref().unwrap();
        assert_eq!(s.applicability, Applicability::MachineApplicable);
        assert_eq!(
            s.edits[0].replacement,
            "std::env::var(\"PORT\").ok().and_then(|p| p.parse::<u16>().ok()).unwrap_or(8080)"
        );
        let s = found[1].suggestion.as_ref().unwrap();
        assert_eq!(s.applicability, Applicability::MaybeIncorrect);
        assert_eq!(
            s.edits[0].replacement,
            "format!(\"0.0.0.0:{}\", std::env::var(\"PORT\").as_deref().unwrap_or(\"8081\"))"
        );
        assert!(found[0].helps.iter().any(|h| h.contains("PORT")));
        // Both fixes leave valid Rust behind.
        for d in &found {
            let edit = &d.suggestion.as_ref().unwrap().edits[0];
            let mut fixed = src.to_string();
            fixed.replace_range(edit.span.range.clone(), &edit.replacement);
            syn::parse_file(&fixed).unwrap();
            assert!(fixed.contains("std::env::var(\"PORT\")"));
        }
    }

    #[test]
    fn unrelated_binds_are_fine() {
        let src = r#"
fn f(q: Query) {
    sqlx::query("select $1").bind("0.0.0.0:8080");
    let s = my::Server::bind("0.0.0.0:8080");
    let v = "localhost:8080".to_string();
}
"#;
        assert_eq!(lines(src), Vec::<(usize, String)>::new());
    }
}

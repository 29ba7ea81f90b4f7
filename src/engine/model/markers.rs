//! What keeps a process running: serve calls of the web and RPC
//! frameworks, queue consumers, listener loops and endless loops. Data
//! tables, by canonical path, and the syntax scanners for loops.

use syn::spanned::Spanned;
use syn::visit::{self, Visit};

/// Whether a framework stops gracefully on SIGTERM by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Defaults {
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
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Marker {
    /// What it is, for the label: `axum::serve`, `a listener loop`.
    pub what: String,
    /// Framework family, for the help text.
    pub family: Family,
    pub defaults: Defaults,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Family {
    /// `with_graceful_shutdown` (axum, hyper 0.14).
    GracefulShutdown,
    Warp,
    Tonic,
    Poem,
    /// Hyper 1 connections, listener loops, queue consumers, endless loops.
    Loop,
    Other,
}

/// Serve calls by canonical path.
pub const SERVE_CALLS: &[(&str, Family, Defaults)] = &[
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
    ("rouille::start_server", Family::Other, Defaults::None),
    ("rouille::Server::new", Family::Other, Defaults::None),
    ("rouille::Server::new_ssl", Family::Other, Defaults::None),
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
pub const SERVE_METHODS: &[(&str, &[&str])] = &[
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
pub const CONSUME_METHODS: &[(&str, &str, usize)] = &[
    ("basic_consume", "lapin", 1),
    ("subscribe", "rdkafka", 1),
    ("subscribe", "async-nats", 1),
    ("subscribe", "redis", 1),
    ("psubscribe", "redis", 1),
    ("get_async_pubsub", "redis", 0),
    ("into_pubsub", "redis", 0),
    ("as_pubsub", "redis", 0),
    ("into_on_message", "redis", 0),
    // Postgres `LISTEN`/`NOTIFY`: a job queue's wake-ups.
    ("notifications_stream", "diesel-async", 0),
    ("listen", "sqlx", 1),
    ("listen_all", "sqlx", 1),
];

/// Methods too common to be worth a call-graph edge.
pub const COMMON_METHODS: &[&str] = &[
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

/// `listener.accept()` / `listener.incoming()` (no arguments).
#[derive(Default)]
pub struct AcceptFinder {
    pub found: Option<std::ops::Range<usize>>,
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
    /// Inside an `if` on a shutdown flag (`if !running.load(..) { break }`):
    /// leaving there is how a server stops, not a one-shot.
    on_flag: usize,
    /// A `break` or `return` taken when a shutdown flag is set.
    stops: bool,
    /// Inside an arm on an error (`Err(e) => { log; break }`, `if let
    /// Err(e) = ..`): leaving there is a failure, not the end of the work.
    on_error: usize,
}

/// Whether a pattern matches an error: `Err(e)`, `Some(Err(e))`,
/// `Ok(Err(_)) | Err(_)`.
fn is_error_pat(pat: &syn::Pat) -> bool {
    match pat {
        syn::Pat::TupleStruct(t) => match t.path.segments.last() {
            Some(s) if s.ident == "Err" => true,
            Some(s) if (s.ident == "Some" || s.ident == "Ok") && t.elems.len() == 1 => t.elems.iter().all(is_error_pat),
            _ => false,
        },
        syn::Pat::Or(o) => o.cases.iter().all(is_error_pat),
        syn::Pat::Paren(p) => is_error_pat(&p.pat),
        syn::Pat::Reference(r) => is_error_pat(&r.pat),
        _ => false,
    }
}

/// Words of a condition that make it a shutdown check.
const SHUTDOWN_WORDS: &[&str] = &[
    "shutdown",
    "stop",
    "stopped",
    "running",
    "quit",
    "exit",
    "terminate",
    "terminated",
    "term",
    "cancel",
    "cancelled",
    "canceled",
    "done",
    "closing",
    "closed",
    "signal",
    "signals",
    "ctrl_c",
    "kill",
    "killed",
    "alive",
    "shutting",
    "interrupt",
    "interrupted",
    "finished",
    "graceful",
];

/// Whether the tokens name a shutdown flag or signal: `running.load(..)`,
/// `shutdown_rx.recv()`, `token.is_cancelled()`.
pub fn mentions_shutdown(tokens: proc_macro2::TokenStream) -> bool {
    tokens.into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(id) => {
            let name = id.to_string().to_ascii_lowercase();
            name.split('_').any(|w| SHUTDOWN_WORDS.contains(&w)) || SHUTDOWN_WORDS.contains(&name.as_str())
        }
        proc_macro2::TokenTree::Group(g) => mentions_shutdown(g.stream()),
        _ => false,
    })
}

impl<'ast> Visit<'ast> for Exits<'_> {
    fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
        let ours = match (&b.label, self.label) {
            (None, _) => self.depth == 0,
            (Some(l), Some(mine)) => l.ident == mine.ident,
            (Some(_), None) => false,
        };
        if ours && self.on_flag > 0 {
            self.stops = true;
        } else if ours && self.on_error > 0 {
            self.other = true;
        } else {
            self.breaks |= ours;
        }
        visit::visit_expr_break(self, b);
    }
    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        let error = matches!(r.expr.as_deref(), Some(syn::Expr::Call(c))
            if matches!(&*c.func, syn::Expr::Path(p) if p.path.is_ident("Err")));
        if self.on_flag > 0 {
            self.stops = true;
        } else if error || self.on_error > 0 {
            self.other = true;
        } else {
            self.returns = true;
        }
    }
    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        use quote::ToTokens;
        let flag = mentions_shutdown(i.cond.to_token_stream());
        let error = matches!(&*i.cond, syn::Expr::Let(l) if is_error_pat(&l.pat));
        self.visit_expr(&i.cond);
        self.on_flag += usize::from(flag);
        self.on_error += usize::from(error);
        self.visit_block(&i.then_branch);
        self.on_flag -= usize::from(flag);
        self.on_error -= usize::from(error);
        if let Some((_, e)) = &i.else_branch {
            self.visit_expr(e);
        }
    }
    fn visit_arm(&mut self, a: &'ast syn::Arm) {
        let error = is_error_pat(&a.pat);
        self.on_error += usize::from(error);
        visit::visit_arm(self, a);
        self.on_error -= usize::from(error);
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
        // The branches of a `select!` over a listener: leaving on an event
        // other than a connection (`_ = broadcast_rx.recv() => break`) is
        // how a server stops; leaving on the `accept` branch ends after a
        // connection.
        let branches = if m.path.segments.last().is_some_and(|s| s.ident == "select") && self.on_flag == 0 {
            select_branches(m.tokens.clone())
        } else {
            Vec::new()
        };
        let accepts = |future: &proc_macro2::TokenStream| {
            let future = future.to_string();
            future.contains("accept") || future.contains("incoming")
        };
        if branches.iter().any(|(future, _)| accepts(future)) {
            for (future, body) in &branches {
                // The body as code, where it parses: leaving from an arm on
                // an accept error is a failure.
                if let Ok(block) = syn::parse2::<syn::Block>(quote::quote!({ #body })) {
                    let shutdown = usize::from(!accepts(future));
                    self.on_flag += shutdown;
                    self.visit_block(&block);
                    self.on_flag -= shutdown;
                    continue;
                }
                let body = body.to_string();
                // `return Err(e)` is a failure, not the end of the work.
                let leaves =
                    body.contains("break") || body.matches("return").count() > body.matches("return Err").count();
                if !leaves {
                    continue;
                }
                if accepts(future) {
                    self.breaks = true;
                } else {
                    self.stops = true;
                }
            }
            return;
        }
        // `break` or `return` inside other macro bodies: on a branch that
        // waits for a shutdown signal, how a server stops.
        let text = m.tokens.to_string();
        let flag = self.on_flag > 0 || mentions_shutdown(m.tokens.clone());
        if text.contains("break") {
            if flag {
                self.stops = true;
            } else {
                self.breaks = true;
            }
        }
        if text.contains("return") {
            if flag {
                self.stops = true;
            } else {
                self.other = true;
            }
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

/// The branches of a `tokio::select!` (or `futures::select!`): the future
/// of each (`pat = future`) and the body after its `=>`.
fn select_branches(tokens: proc_macro2::TokenStream) -> Vec<(proc_macro2::TokenStream, proc_macro2::TokenStream)> {
    use proc_macro2::{TokenStream, TokenTree};
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let punct = |t: &TokenTree, c: char| matches!(t, TokenTree::Punct(p) if p.as_char() == c);
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + 1 < tokens.len() {
        // `=>` at the top level ends a branch's head.
        if punct(&tokens[i], '=') && punct(&tokens[i + 1], '>') {
            let head = &tokens[start..i];
            // The future follows the pattern's `=` (not `==`, `<=`, `=>`).
            let eq = head.iter().enumerate().position(|(k, t)| {
                punct(t, '=')
                    && !head.get(k + 1).is_some_and(|n| punct(n, '='))
                    && !(k > 0 && ['=', '<', '>', '!'].iter().any(|c| punct(&head[k - 1], *c)))
            });
            let future: TokenStream = head[eq.map_or(0, |e| e + 1)..].iter().cloned().collect();
            // The body: a block, or an expression up to the next `,`.
            let mut j = i + 2;
            let body: TokenStream = match tokens.get(j) {
                Some(TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Brace => {
                    j += 1;
                    g.stream()
                }
                _ => {
                    let from = j;
                    while j < tokens.len() && !punct(&tokens[j], ',') {
                        j += 1;
                    }
                    tokens[from..j].iter().cloned().collect()
                }
            };
            if tokens.get(j).is_some_and(|t| punct(t, ',')) {
                j += 1;
            }
            out.push((future, body));
            start = j;
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

fn exits<'l>(label: Option<&'l syn::Label>, body: &syn::Block) -> Exits<'l> {
    let mut exits = Exits {
        label: label.map(|l| &l.name),
        depth: 0,
        breaks: false,
        returns: false,
        other: false,
        on_flag: 0,
        stops: false,
        on_error: 0,
    };
    exits.visit_block(body);
    exits
}

/// Constructors that bind a TCP listener.
pub const BIND_CALLS: &[&str] = &[
    "std::net::TcpListener::bind",
    "tokio::net::TcpListener::bind",
    "async_std::net::TcpListener::bind",
    "smol::net::TcpListener::bind",
];

/// Constructors that bind a Unix domain socket listener.
pub const UNIX_BIND_CALLS: &[&str] = &[
    "std::os::unix::net::UnixListener::bind",
    "tokio::net::UnixListener::bind",
    "async_std::os::unix::net::UnixListener::bind",
    "smol::net::unix::UnixListener::bind",
];

/// The marker of a loop over a listener.
pub const LISTENER_LOOP: &str = "a loop over a listener";

/// The marker of a loop over a listener in a file that binds only Unix
/// sockets: a daemon of the host it runs on (an NSS/PAM resolver, an
/// agent), reached by local clients, not over the network.
pub const UNIX_SOCKET_LOOP: &str = "a server on a Unix socket";

/// Whether a bind address is a port the system picks (`"127.0.0.1:0"`,
/// `(addr, 0)`) or a constant address named `LOCALHOST` (cargo's
/// `[127.0.0.1:0, [::1]:0]`): a listener nobody outside the process can
/// find, such as the lock server a CLI runs for its own child processes.
pub fn binds_ephemeral(arg: &syn::Expr) -> bool {
    use quote::ToTokens;
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
            self.0 |= s.value().ends_with(":0");
        }
        fn visit_expr_tuple(&mut self, t: &'ast syn::ExprTuple) {
            self.0 |= t.elems.len() == 2
                && matches!(t.elems.last(), Some(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. })) if i.base10_digits() == "0");
            visit::visit_expr_tuple(self, t);
        }
        fn visit_path(&mut self, p: &'ast syn::Path) {
            // `LOCALHOST`, `network::LOCALHOST`; not `Ipv4Addr::LOCALHOST`,
            // an address that still needs its port.
            let segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
            self.0 |= segs.last().is_some_and(|l| l == "LOCALHOST")
                && !segs.iter().any(|s| s == "Ipv4Addr" || s == "Ipv6Addr" || s == "IpAddr");
            visit::visit_path(self, p);
        }
    }
    let mut f = Finder(false);
    f.visit_expr(arg);
    // `format!("127.0.0.1:{}", 0)` and the like are not worth a parse.
    f.0 || arg.to_token_stream().to_string().ends_with(":0\")")
}

/// What an endless loop's marker shows: the weakest evidence of a
/// service, shown after a serve call or a listener loop.
pub const ENDLESS_LOOP: &str = "an endless loop";

/// A `loop` nothing leaves but a shutdown: no `break` of it, no `return`,
/// no `process::exit`, except when a shutdown flag is set.
pub fn is_endless(l: &syn::ExprLoop) -> bool {
    let e = exits(l.label.as_ref(), &l.body);
    !(e.breaks || e.returns || e.other)
}

/// A loop over a listener that stops after a connection it wanted (an
/// OAuth callback in a CLI: `break` or `return Ok(code)`) is not a server.
/// One that stops when a shutdown flag is set still is.
pub fn is_one_shot(expr: &syn::Expr) -> bool {
    let e = match expr {
        syn::Expr::Loop(l) => exits(l.label.as_ref(), &l.body),
        syn::Expr::While(w) => exits(w.label.as_ref(), &w.body),
        syn::Expr::ForLoop(f) => exits(f.label.as_ref(), &f.body),
        _ => return false,
    };
    e.breaks || e.returns
}

use proc_macro2::{TokenStream, TokenTree};
use syn::parse::{ParseStream, Parser};

use crate::declare_rule;
use crate::engine::{Call, Cx, MacroCall};
use crate::rules::common::{generic_types, is_test_or_build_time};
use crate::rules::naming::words;
use crate::rules::{Factor, Rule, RuleMeta};

declare_rule! {
    /// ### What it does
    /// Finds process-local mutable state that holds per-user data: a
    /// `static` (plain, `LazyLock`, `OnceLock`, `once_cell` `Lazy`,
    /// `lazy_static!`, `thread_local!`, `static mut`) whose type holds a
    /// `Mutex`, `RwLock` or `RefCell` of a `HashMap`, `BTreeMap`, `Vec`,
    /// `HashSet` (or a `DashMap`), and in-memory session stores such as
    /// `tower_sessions::MemoryStore`.
    ///
    /// In a library, a static is reported only when its name or types speak
    /// of users (`SESSIONS`, `HashMap<UserId, Cart>`); in a package that
    /// depends on a web framework (axum, actix-web, warp, rocket, poem,
    /// salvo, tide, tonic, ...) every such static is, unless it is the
    /// program's own: a cache, buffer, pool or registry by its name
    /// (`OPERATOR_CACHE`, `CONN_CACHE`, `LRU`, `BUF`, `CALLSITES`) or a
    /// cache by its type (`lru::LruCache`, moka's or quick_cache's `Cache`,
    /// `cached::SizedCache`), timing and counters (`TIMINGS`, a
    /// `thread_local!` `RefCell<Vec<Instant>>`), or counters and names
    /// stamped with an `Instant`, made to expire with the process (a rate
    /// limiter's `HashMap<String, (u32, Instant)>` by address). Per-user state in a cache
    /// (`SESSIONS: LruCache<SessionId, Session>`) is still reported.
    /// Immutable statics (a compiled `Regex`, a config string, an
    /// `AtomicU64` counter) are not.
    ///
    /// ### Why is this bad
    /// Twelve-factor processes are stateless and share nothing. A session or
    /// a cart kept in a process's memory is lost on restart or deploy and is
    /// invisible to the other instances, so the app only works with sticky
    /// sessions, which defeat horizontal scaling and failover.
    ///
    /// ### Example
    /// ```rust,ignore
    /// static SESSIONS: LazyLock<Mutex<HashMap<String, Session>>> =
    ///     LazyLock::new(|| Mutex::new(HashMap::new()));
    ///
    /// let app = Router::new().layer(SessionManagerLayer::new(MemoryStore::default()));
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// // sessions live in a backing service, addressed through config
    /// let pool = RedisPool::new(RedisConfig::from_url(&env::var("REDIS_URL")?)?, None, None, None, 6)?;
    /// let store = RedisStore::new(pool);
    /// let app = Router::new().layer(SessionManagerLayer::new(store));
    /// ```
    pub ProcessLocalState => "process_local_state", Factor::Processes, Warn, fixable: false, options: [], scope: Service
}

/// Interior-mutability wrappers that make a static writable.
const LOCKS: &[&str] = &[
    "Mutex",
    "RwLock",
    "ReentrantMutex",
    "FairMutex",
    "RefCell",
    "ArcSwap",
    "ArcSwapOption",
];

/// Collections, by the last segment of their type path (`FxHashMap` and
/// `IndexMap` end in `Map` too).
const COLLECTIONS: &[&str] = &["Vec", "VecDeque", "LinkedList", "BinaryHeap", "LruCache", "Slab"];
const COLLECTION_SUFFIXES: &[&str] = &["Map", "Set"];

/// Maps that are their own lock.
const CONCURRENT_MAPS: &[&str] = &["DashMap", "DashSet", "SkipMap", "SkipSet"];

/// Caches that are their own lock (moka's, mini-moka's and quick_cache's
/// `Cache<K, V>`) and caches kept behind one (`cached`'s, `schnellru`'s,
/// `clru`'s): mutable state, reported only when it holds per-user data.
const CONCURRENT_CACHES: &[&str] = &["Cache", "SegmentedCache"];
const CACHES: &[&str] = &[
    "SizedCache",
    "UnboundCache",
    "TimedCache",
    "TimedSizedCache",
    "LruMap",
    "CLruCache",
];

/// Words of a name or type that point at per-user data.
const USER_WORDS: &[&str] = &[
    "session",
    "user",
    "cart",
    "basket",
    "account",
    "login",
    "visitor",
    "customer",
    "subscriber",
    "player",
    "tenant",
    "member",
    "profile",
    "chat",
    "room",
    "conversation",
    "upload",
];

/// Words of types that are handles to something outside the process: a
/// map of them (`DashMap<String, opendal::Operator>`) caches connections.
const HANDLE_WORDS: &[&str] = &[
    "operator",
    "client",
    "connection",
    "conn",
    "pool",
    "channel",
    "sender",
    "driver",
];

/// Words of a static's name that say it is a cache, a buffer, a registry
/// of the program's own things, or timing and counters, not data of users.
const INTERNAL_WORDS: &[&str] = &[
    "cache",
    "caches",
    "cached",
    "lru",
    "memo",
    "memos",
    "memoize",
    "memoized",
    "pool",
    "pools",
    "buf",
    "buffer",
    "buffers",
    "scratch",
    "intern",
    "interner",
    "interned",
    "registry",
    "registries",
    "registered",
    "callsite",
    "callsites",
    "metric",
    "metrics",
    "timer",
    "timers",
    "timing",
    "timings",
    "start",
    "started",
    "elapsed",
    "deadline",
    "deadlines",
    "latency",
    "latencies",
    "counter",
    "counters",
    "stats",
    "histogram",
    "histograms",
    "hook",
    "hooks",
    "lock",
    "handler",
    "handlers",
    "plugin",
    "plugins",
    "test",
    "tests",
    "mock",
    "mocks",
];

/// Words of a type that make it a cache: `lru::LruCache`, moka's and
/// quick_cache's `Cache`, `cached::SizedCache`, `schnellru::LruMap`.
const CACHE_TYPE_WORDS: &[&str] = &["cache", "cached", "lru", "memo"];

/// Types that measure time; a static holding only these (and numbers or
/// `&'static str` labels) is timing, not data.
const TIMING_TYPES: &[&str] = &["Instant", "Duration", "SystemTime"];
const NUMBER_TYPES: &[&str] = &[
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32", "f64",
];

/// Dependencies that make a package a web or RPC service.
const SERVICE_FRAMEWORKS: &[&str] = &[
    "axum",
    "actix-web",
    "warp",
    "rocket",
    "poem",
    "salvo",
    "tide",
    "tonic",
    "gotham",
    "trillium",
    "loco-rs",
    "shuttle-runtime",
    "lambda_http",
    "tower-sessions",
];

/// In-memory session stores.
const MEMORY_SESSION_STORES: &[&str] = &[
    "tower_sessions::MemoryStore::default",
    "tower_sessions::MemoryStore::new",
    "tower_sessions::session_store::MemoryStore::default",
    "tower_sessions_memory_store::MemoryStore::default",
    "tower_sessions_memory_store::MemoryStore::new",
    "axum_login::tower_sessions::MemoryStore::default",
    "async_session::MemoryStore::new",
    "async_session::MemoryStore::default",
    "axum_sessions::async_session::MemoryStore::new",
    "tide::sessions::MemoryStore::new",
    "salvo::session::MemoryStore::new",
    "salvo_extra::session::MemoryStore::new",
    "poem::session::MemoryStorage::new",
    "poem::session::MemoryStorage::default",
];

/// What a static's type holds.
#[derive(Default)]
struct Shape {
    /// The mutable collection, as `Mutex<HashMap<..>>`.
    state: Option<String>,
    /// Every identifier in the type, for per-user words.
    idents: Vec<String>,
}

fn is_collection(name: &str) -> bool {
    COLLECTIONS.contains(&name) || CACHES.contains(&name) || COLLECTION_SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// Walks a type; `lock` is the lock the type is inside, if any.
fn walk(ty: &syn::Type, lock: Option<&str>, mutable_static: bool, shape: &mut Shape) {
    match ty {
        syn::Type::Path(p) => {
            for seg in &p.path.segments {
                shape.idents.push(seg.ident.to_string());
            }
            let Some(last) = p.path.segments.last() else { return };
            let name = last.ident.to_string();
            if shape.state.is_none() {
                let concurrent_cache = CONCURRENT_CACHES.contains(&name.as_str()) && generic_types(last).len() >= 2;
                if CONCURRENT_MAPS.contains(&name.as_str()) || concurrent_cache {
                    shape.state = Some(format!("{name}<..>"));
                } else if is_collection(&name) && (lock.is_some() || mutable_static) {
                    shape.state = Some(match lock {
                        Some(lock) => format!("{lock}<{name}<..>>"),
                        None => format!("{name}<..>"),
                    });
                }
            }
            let inner_lock = if LOCKS.contains(&name.as_str()) {
                Some(name.as_str())
            } else {
                lock
            };
            for t in generic_types(last) {
                walk(t, inner_lock, mutable_static, shape);
            }
        }
        syn::Type::Reference(r) => walk(&r.elem, lock, mutable_static, shape),
        syn::Type::Paren(p) => walk(&p.elem, lock, mutable_static, shape),
        syn::Type::Group(g) => walk(&g.elem, lock, mutable_static, shape),
        syn::Type::Tuple(t) => t.elems.iter().for_each(|e| walk(e, lock, mutable_static, shape)),
        syn::Type::Array(a) => walk(&a.elem, lock, mutable_static, shape),
        syn::Type::Slice(s) => walk(&s.elem, lock, mutable_static, shape),
        _ => {}
    }
}

/// What a type holds past its containers, for [`is_timing`] and
/// [`is_windowed`].
#[derive(PartialEq)]
enum Leaf {
    /// `Instant`: a point of this process's monotonic clock.
    Instant,
    /// `Duration`, `SystemTime`.
    Timing,
    /// Numbers, `bool`, `&'static str` labels.
    Plain,
    /// `String`, `str`, `IpAddr`, `SocketAddr`: a name or an address.
    Text,
    Other,
}

fn leaves(ty: &syn::Type, out: &mut Vec<Leaf>) {
    match ty {
        syn::Type::Path(p) => {
            let Some(last) = p.path.segments.last() else {
                return out.push(Leaf::Other);
            };
            let inner = generic_types(last);
            if !inner.is_empty() {
                inner.into_iter().for_each(|t| leaves(t, out));
                return;
            }
            let name = last.ident.to_string();
            out.push(if name == "Instant" {
                Leaf::Instant
            } else if TIMING_TYPES.contains(&name.as_str()) {
                Leaf::Timing
            } else if NUMBER_TYPES.contains(&name.as_str()) || name == "bool" {
                Leaf::Plain
            } else if ["String", "str", "IpAddr", "Ipv4Addr", "Ipv6Addr", "SocketAddr"].contains(&name.as_str()) {
                Leaf::Text
            } else {
                Leaf::Other
            });
        }
        // `&'static str`: a label such as a metric's name.
        syn::Type::Reference(r)
            if r.lifetime.as_ref().is_some_and(|l| l.ident == "static")
                && matches!(&*r.elem, syn::Type::Path(p) if p.path.is_ident("str")) =>
        {
            out.push(Leaf::Plain)
        }
        syn::Type::Reference(r) => leaves(&r.elem, out),
        syn::Type::Paren(p) => leaves(&p.elem, out),
        syn::Type::Group(g) => leaves(&g.elem, out),
        syn::Type::Tuple(t) => t.elems.iter().for_each(|e| leaves(e, out)),
        syn::Type::Array(a) => leaves(&a.elem, out),
        syn::Type::Slice(s) => leaves(&s.elem, out),
        _ => out.push(Leaf::Other),
    }
}

/// Whether a type holds only timing (`Vec<Instant>`,
/// `HashMap<&'static str, (Duration, u64)>`).
fn is_timing(ty: &syn::Type) -> bool {
    let mut out = Vec::new();
    leaves(ty, &mut out);
    out.iter().any(|l| matches!(l, Leaf::Instant | Leaf::Timing))
        && !out.iter().any(|l| matches!(l, Leaf::Text | Leaf::Other))
}

/// Whether a type holds counters and names stamped with an `Instant`
/// (`HashMap<String, (u32, Instant)>`, a rate limiter's window or recent
/// activity by address): an `Instant` means nothing outside this process,
/// so the entries are made to expire with it.
fn is_windowed(ty: &syn::Type) -> bool {
    let mut out = Vec::new();
    leaves(ty, &mut out);
    out.contains(&Leaf::Instant) && !out.contains(&Leaf::Other)
}

/// Replaces the file's `type` aliases in `ty` by what they stand for, to
/// `depth` levels of nesting.
fn expand_aliases(ty: &mut syn::Type, alias: &dyn Fn(&syn::Path) -> Option<syn::Type>, depth: u8) {
    if depth == 0 {
        return;
    }
    match ty {
        syn::Type::Path(p) => {
            let bare = p.qself.is_none()
                && p.path
                    .segments
                    .last()
                    .is_some_and(|s| matches!(s.arguments, syn::PathArguments::None));
            if bare && let Some(target) = alias(&p.path) {
                *ty = target;
                return expand_aliases(ty, alias, depth - 1);
            }
            for seg in &mut p.path.segments {
                if let syn::PathArguments::AngleBracketed(args) = &mut seg.arguments {
                    for arg in &mut args.args {
                        if let syn::GenericArgument::Type(t) = arg {
                            expand_aliases(t, alias, depth - 1);
                        }
                    }
                }
            }
        }
        syn::Type::Reference(r) => expand_aliases(&mut r.elem, alias, depth - 1),
        syn::Type::Paren(p) => expand_aliases(&mut p.elem, alias, depth - 1),
        syn::Type::Group(g) => expand_aliases(&mut g.elem, alias, depth - 1),
        syn::Type::Tuple(t) => t.elems.iter_mut().for_each(|e| expand_aliases(e, alias, depth - 1)),
        syn::Type::Array(a) => expand_aliases(&mut a.elem, alias, depth - 1),
        syn::Type::Slice(s) => expand_aliases(&mut s.elem, alias, depth - 1),
        _ => {}
    }
}

/// Whether a type is a cache by its name: `lru::LruCache`, `moka::sync::Cache`.
fn is_cache_type(idents: &[String]) -> bool {
    idents
        .iter()
        .flat_map(|i| words(i))
        .any(|w| CACHE_TYPE_WORDS.contains(&w.as_str()))
}

fn is_user_word(word: &str) -> bool {
    let singular = word.strip_suffix('s').unwrap_or(word);
    USER_WORDS.contains(&word) || USER_WORDS.contains(&singular)
}

/// The per-user word in a name or type, if any.
fn user_word(name: &str, idents: &[String]) -> Option<String> {
    std::iter::once(name)
        .chain(idents.iter().map(String::as_str))
        .flat_map(words)
        .find(|w| is_user_word(w))
}

fn is_service(cx: &Cx<'_>) -> bool {
    cx.package()
        .dependencies
        .iter()
        .any(|d| SERVICE_FRAMEWORKS.contains(&d.name.as_str()) && d.kind == cargo_metadata::DependencyKind::Normal)
}

/// A `static NAME: TYPE` of a `lazy_static!` or `thread_local!` body.
struct MacroStatic {
    ident: syn::Ident,
    ty: syn::Type,
}

/// Parses `[attrs] [vis] static [ref] NAME: TYPE = ...;` items, skipping
/// initializers token by token.
fn macro_statics(tokens: TokenStream) -> Vec<MacroStatic> {
    let parser = |input: ParseStream| -> syn::Result<Vec<MacroStatic>> {
        let mut out = Vec::new();
        while !input.is_empty() {
            input.call(syn::Attribute::parse_outer)?;
            input.parse::<syn::Visibility>()?;
            input.parse::<syn::Token![static]>()?;
            if input.peek(syn::Token![ref]) {
                input.parse::<syn::Token![ref]>()?;
            }
            let ident: syn::Ident = input.parse()?;
            input.parse::<syn::Token![:]>()?;
            let ty: syn::Type = input.parse()?;
            input.parse::<syn::Token![=]>()?;
            // The initializer, up to the next top-level `;`.
            while !input.is_empty() && !input.peek(syn::Token![;]) {
                input.parse::<TokenTree>()?;
            }
            if input.peek(syn::Token![;]) {
                input.parse::<syn::Token![;]>()?;
            }
            out.push(MacroStatic { ident, ty });
        }
        Ok(out)
    };
    parser.parse2(tokens).unwrap_or_default()
}

impl ProcessLocalState {
    fn check_static(cx: &mut Cx<'_>, ident: &syn::Ident, ty: &syn::Type, mutable: bool, kind: &str) {
        // `Mutex<IpBlockMap>` is what `type IpBlockMap = ..;` says.
        let mut expanded = ty.clone();
        expand_aliases(&mut expanded, &|p| cx.type_alias(p).cloned(), 16);
        let ty = &expanded;
        let mut shape = Shape::default();
        walk(ty, None, mutable, &mut shape);
        let Some(state) = shape.state else { return };
        let name = ident.to_string();
        let named_internal = words(&name).iter().any(|w| INTERNAL_WORDS.contains(&w.as_str()));
        // A user word in the name (`SESSIONS`, `USER_CACHE`) is per-user
        // state; one only in the type of a static named a cache (`CACHE:
        // Cache<Url, Arc<CommunityOrUser>>`) is a cache of users' records,
        // harmless to lose.
        let user = match user_word(&name, &[]) {
            Some(word) => Some(word),
            None if named_internal => None,
            None => user_word(&name, &shape.idents),
        };
        // Caches, by name or type, handles to backing services (an
        // operator or client per path) and timing are the program's own.
        let internal = named_internal
            || is_cache_type(&shape.idents)
            || shape
                .idents
                .iter()
                .flat_map(|i| words(i))
                .any(|w| HANDLE_WORDS.contains(&w.as_str()))
            || is_timing(ty)
            || is_windowed(ty);
        if user.is_none() && (internal || !is_service(cx)) {
            return;
        }
        let span = cx.span(ident);
        let what = if user.is_some() {
            "per-user state"
        } else {
            "mutable state"
        };
        let ty_span = cx.span(ty);
        cx.report(span, format!("{kind} `{name}` keeps {what} in this process's memory"))
            .secondary(ty_span, format!("a `{state}` that only requests reaching this instance see"))
            .label("lost on restart and invisible to other instances")
            .note("twelve-factor processes are stateless: data kept in memory only works with sticky sessions, which break horizontal scaling and failover")
            .help("keep sessions and per-user data in a backing service such as Redis or a database; an in-memory cache is fine only if losing it is harmless");
    }
}

impl Rule for ProcessLocalState {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_item(&self, cx: &mut Cx<'_>, item: &syn::Item) {
        let syn::Item::Static(s) = item else { return };
        if is_test_or_build_time(cx) {
            return;
        }
        // `thread_local!` and `lazy_static!` bodies parse as items too;
        // `check_macro` names them.
        if cx
            .macro_stack()
            .iter()
            .any(|m| matches!(m.rsplit("::").next(), Some("thread_local" | "lazy_static")))
        {
            return;
        }
        let mutable = matches!(s.mutability, syn::StaticMutability::Mut(_));
        let kind = if mutable { "static mut" } else { "static" };
        Self::check_static(cx, &s.ident, &s.ty, mutable, kind);
    }

    fn check_macro(&self, cx: &mut Cx<'_>, mac: &MacroCall<'_>) {
        let Some(name) = mac.mac.path.segments.last().map(|s| s.ident.to_string()) else {
            return;
        };
        let kind = match name.as_str() {
            "lazy_static" => "lazy static",
            "thread_local" => "thread-local",
            _ => return,
        };
        if is_test_or_build_time(cx) {
            return;
        }
        for s in macro_statics(mac.mac.tokens.clone()) {
            Self::check_static(cx, &s.ident, &s.ty, false, kind);
        }
    }

    fn check_call(&self, cx: &mut Cx<'_>, call: &Call<'_>) {
        if call.method.is_some() || is_test_or_build_time(cx) {
            return;
        }
        let Some(store) = call.matched(MEMORY_SESSION_STORES) else {
            return;
        };
        let short = store.rsplit("::").nth(1).unwrap_or(store);
        let span = cx.span(call.expr);
        cx.report(span, format!("sessions are kept in this process's memory (`{short}`)"))
            .label("sessions are lost on restart and invisible to other instances")
            .note("twelve-factor processes are stateless: in-memory sessions only work with sticky sessions, which break horizontal scaling and failover")
            .help("use a session store backed by Redis or a database (for tower-sessions: `tower-sessions-redis-store`, `tower-sessions-sqlx-store`), addressed through config");
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::{check_rule, check_rule_in, lines_of};

    use super::{ProcessLocalState, words};

    fn lines(src: &str) -> Vec<usize> {
        lines_of(&check_rule(&ProcessLocalState, src))
    }

    fn service_lines(src: &str) -> Vec<usize> {
        lines_of(&check_rule_in(&ProcessLocalState, src, |p| {
            p.dependencies = serde_json::from_value(serde_json::json!([{
                "name": "axum", "source": "registry+https://github.com/rust-lang/crates.io-index",
                "req": "^0.8", "kind": null, "rename": null, "optional": false,
                "uses_default_features": true, "features": [], "target": null, "registry": null
            }]))
            .unwrap();
        }))
    }

    #[test]
    fn splits_words() {
        assert_eq!(words("SESSION_STORE"), ["session", "store"]);
        assert_eq!(words("UserId"), ["user", "id"]);
        assert_eq!(words("HTTPServer"), ["http", "server"]);
    }

    #[test]
    fn fires_on_per_user_statics_everywhere() {
        let src = r#"
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, RwLock};
use once_cell::sync::Lazy;
use dashmap::DashMap;

static SESSIONS: LazyLock<Mutex<HashMap<String, Session>>> =               // 7
    LazyLock::new(|| Mutex::new(HashMap::new()));
pub static CARTS: Lazy<DashMap<u64, Vec<Item>>> = Lazy::new(DashMap::new);  // 9
static STORE: std::sync::OnceLock<RwLock<HashMap<UserId, Profile>>> = std::sync::OnceLock::new(); // 10
static LOGGED_IN_USERS: Mutex<Vec<u64>> = Mutex::new(Vec::new());          // 11

lazy_static::lazy_static! {
    static ref USERS: Mutex<HashMap<u64, User>> = Mutex::new(HashMap::new()); // 14
    pub static ref PATTERN: regex::Regex = regex::Regex::new("x").unwrap();
}

thread_local! {
    static VISITORS: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) }; // 19
}
static mut ACCOUNTS: Vec<Account> = Vec::new();                               // 21
fn handler() {
    static CARTS_BY_USER: Mutex<BTreeMap<u64, Cart>> = Mutex::new(BTreeMap::new()); // 23
}
"#;
        assert_eq!(lines(src), [7, 9, 10, 11, 14, 19, 21, 23]);
    }

    #[test]
    fn library_caches_are_quiet_but_service_state_fires() {
        let src = r#"
use std::collections::HashMap;
use std::sync::{Mutex, LazyLock};

static CALLSITES: LazyLock<Mutex<Vec<&'static Callsite>>> = LazyLock::new(Default::default); // 5
static INTERNER: Mutex<Option<HashMap<String, u32>>> = Mutex::new(None);                      // 6
thread_local!(static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::new())); // 7
static STATE: LazyLock<Mutex<HashMap<String, Vec<u8>>>> = LazyLock::new(Default::default);    // 8
thread_local! {
    static CONTENT_TYPE_CACHE: std::cell::RefCell<HashMap<Box<str>, HeaderValue>> = Default::default(); // 10
}
static USER_CACHE: LazyLock<Mutex<HashMap<u64, User>>> = LazyLock::new(Default::default);     // 12
"#;
        assert_eq!(lines(src), [12]);
        assert_eq!(service_lines(src), [8, 12]);
    }

    #[test]
    fn immutable_statics_are_fine() {
        let src = r#"
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, OnceLock};
use std::sync::atomic::AtomicU64;

static USER_RE: LazyLock<regex::Regex> = LazyLock::new(|| regex::Regex::new("^u").unwrap());
static CONFIG: OnceLock<String> = OnceLock::new();
static USER_COUNT: AtomicU64 = AtomicU64::new(0);
static USER_ROLES: LazyLock<HashMap<&str, u8>> = LazyLock::new(HashMap::new);
static SESSION_LOCK: Mutex<()> = Mutex::new(());
const USERS: &[&str] = &["root"];
fn f() { let sessions: Mutex<HashMap<String, u8>> = Mutex::new(HashMap::new()); }

#[cfg(test)]
mod tests {
    static SESSIONS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
}
"#;
        assert_eq!(service_lines(src), Vec::<usize>::new());
    }

    #[test]
    fn memory_session_stores_fire() {
        let src = r#"
use tower_sessions::{MemoryStore, SessionManagerLayer};

pub fn app() -> axum::Router {
    let store = MemoryStore::default();                          // 5
    axum::Router::new().layer(SessionManagerLayer::new(store))
}

mod redis_backed {
    use tower_sessions_redis_store::RedisStore;
    pub fn store(pool: Pool) -> RedisStore<Pool> { RedisStore::new(pool) }
}
mod own { pub struct MemoryStore; impl MemoryStore { pub fn default() -> Self { MemoryStore } } }
fn other() { own::MemoryStore::default(); }
"#;
        assert_eq!(lines(src), [5]);
    }

    #[test]
    fn timing_and_caches_of_a_service_are_quiet() {
        let src = r#"
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use lru::LruCache;
use moka::sync::Cache;
use once_cell::sync::Lazy;

thread_local! {
    static START: Cell<Instant> = Cell::new(Instant::now());
    static TIMER: RefCell<Option<Instant>> = const { RefCell::new(None) };
    static TIMINGS: RefCell<Vec<(String, Duration)>> = RefCell::new(Vec::new());
    static MARKS: RefCell<Vec<Instant>> = RefCell::new(Vec::new());
    static COUNTERS: RefCell<HashMap<&'static str, u64>> = RefCell::new(HashMap::new());
}
static REQUEST_TIMES: Mutex<Vec<(Instant, Duration)>> = Mutex::new(Vec::new());

static OPERATOR_CACHE: Lazy<Mutex<HashMap<PathBuf, Operator>>> = Lazy::new(Default::default);
static CONN_CACHE: LazyLock<Mutex<HashMap<String, redis::aio::MultiplexedConnection>>> =
    LazyLock::new(Default::default);
static LRU: Lazy<Mutex<LruCache<String, Bytes>>> = Lazy::new(|| Mutex::new(LruCache::unbounded()));
static THUMBNAILS: Lazy<Mutex<LruCache<u64, Bytes>>> = Lazy::new(|| Mutex::new(LruCache::unbounded()));
static RESPONSES: LazyLock<Cache<String, Bytes>> = LazyLock::new(|| Cache::new(10_000));
static PAGES: Lazy<quick_cache::sync::Cache<String, Bytes>> = Lazy::new(|| quick_cache::sync::Cache::new(500));
static TEMPLATES: Lazy<Mutex<cached::SizedCache<String, String>>> =
    Lazy::new(|| Mutex::new(cached::SizedCache::with_size(50)));
// Remote actors fetched once: a cache of users' records, not their state.
static CACHE: LazyLock<Cache<Url, Arc<SiteOrCommunityOrUser>>> = LazyLock::new(|| Cache::new(1000));
// A handle per storage path: a connection cache.
static OPERATORS_BY_PATH: LazyLock<dashmap::DashMap<String, opendal::Operator>> = LazyLock::new(Default::default);
static CLIENTS: Lazy<Mutex<HashMap<String, reqwest::Client>>> = Lazy::new(Default::default);
"#;
        assert_eq!(service_lines(src), Vec::<usize>::new());
    }

    #[test]
    fn entries_stamped_with_an_instant_expire_with_the_process() {
        let src = r#"
use std::collections::{HashMap, HashSet};
use std::time::Instant;
use tokio::sync::{Mutex, RwLock};

type IpBlockMap = HashMap<String, ((u32, Instant), (HashSet<String>, Instant))>;
type IpChangesMap = HashMap<String, (Instant, HashMap<String, i32>)>;
type PeerMap = HashMap<String, Peer>;
type Jobs = HashMap<u64, (JobState, Instant)>;
lazy_static::lazy_static! {
    pub(crate) static ref IP_BLOCKER: Mutex<IpBlockMap> = Default::default();
    pub(crate) static ref IP_CHANGES: Mutex<IpChangesMap> = Default::default();
    static ref LIMITS: RwLock<HashMap<std::net::IpAddr, (u32, Instant)>> = Default::default();
    static ref PEERS: RwLock<PeerMap> = Default::default(); // 14
    static ref JOBS: Mutex<Jobs> = Default::default(); // 15
    static ref LAST_LOGIN: Mutex<HashMap<String, Instant>> = Default::default(); // 16
    static ref USER_SEEN: Mutex<HashMap<String, Instant>> = Default::default(); // 17
}
"#;
        // A peer table, a job's state beside its stamp, and user words are
        // still reported.
        assert_eq!(service_lines(src), [14, 15, 16, 17]);
    }

    #[test]
    fn per_user_state_fires_in_caches_and_beside_timers() {
        let src = r#"
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};
use std::time::Instant;

use lru::LruCache;
use once_cell::sync::Lazy;

static SESSIONS: Lazy<Mutex<LruCache<SessionId, Session>>> = Lazy::new(|| Mutex::new(LruCache::unbounded())); // 10
static LAST_SEEN: LazyLock<Mutex<HashMap<SessionId, Instant>>> = LazyLock::new(Default::default);       // 11
static CARTS: Lazy<moka::future::Cache<UserId, Cart>> = Lazy::new(|| moka::future::Cache::new(10_000)); // 12
static USER_CACHE: LazyLock<Mutex<HashMap<u64, User>>> = LazyLock::new(Default::default);               // 13
"#;
        assert_eq!(service_lines(src), [10, 11, 12, 13]);
        // In a library only per-user state is reported.
        assert_eq!(lines(src), [10, 11, 12, 13]);
    }
}

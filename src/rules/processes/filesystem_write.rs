use std::collections::{HashMap, HashSet};

use syn::spanned::Spanned;
use syn::visit::Visit;

use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::engine::{Call, Cx, Fact, OptionTable, PackageReport, RuleOptions, has_cfg_test, layer_options};
use crate::rules::backing_services::hardcoded_backing_service::attribute_settings;
use crate::rules::common::{has_str_literal, is_test_or_build_time};
use crate::rules::{Factor, Rule, RuleMeta};

declare_rule! {
    /// ### What it does
    /// Finds writes to the local filesystem: creating, writing, appending to
    /// or copying files, and making directories, with `std::fs`,
    /// `tokio::fs`, `async_std::fs`, `fs_err`, `fs_extra` or a `cap_std`
    /// `Dir`; embedded databases kept in a local file (`rusqlite`
    /// `Connection::open`, `sled`, `rocksdb`, `redb`, `heed`, a `sqlite:` URL
    /// naming a file, also as a field's default in an attribute such as
    /// `#[arg(default_value = "sqlite://data.db")]` or derive_builder's
    /// `#[builder(default = ..)]`); and temporary files made permanent
    /// (`NamedTempFile::persist`/`keep`, `TempDir::keep`/`into_path`).
    /// Writes in the initializer of a `lazy_static!`, `LazyLock` or
    /// `once_cell` `Lazy` static are reported like any other.
    ///
    /// ### Why is this bad
    /// Twelve-factor processes are stateless and share nothing. A container's
    /// filesystem is gone after a restart or a deploy, and a second instance
    /// of the service never sees what the first one wrote. Uploads, caches
    /// that must survive and generated reports silently disappear or differ
    /// between instances.
    ///
    /// Writes under `std::env::temp_dir()` or a `tempfile` directory in the
    /// same function, or under a `tempfile::TempDir` or `NamedTempFile` that
    /// the struct holds in a field (`self.dir.path().join(..)`), are scratch
    /// space and are not reported, nor are paths named as temporary or as
    /// a cache (`CONFIG.tmp_folder()`, `cfg.cache_db_path`), nor a helper's
    /// writes when every caller in its file hands it such a path. Deleting files makes no state and is
    /// not reported (removing a stale Unix socket before binding it
    /// included); neither is moving a file already on disk (`fs::rename`
    /// reports only a scratch file made permanent). A directory is
    /// reported only when nothing in its package that a service runs
    /// writes a file: otherwise the files are the state. A file created
    /// only where it is missing (the `else` of `if config_file.exists()`,
    /// or `if !path.exists()`) is a first-run default, not state; the
    /// writes that follow are reported. Writes in the local fallback of an
    /// object-store setting (the `else` of `if CONFIG.s3.is_some()`, the
    /// `LocalFileSystem` arm of a `match` whose other arm is `S3`) are the
    /// operator's choice. Neither are
    /// in-memory databases (`open_in_memory`, `:memory:`,
    /// `sqlite::memory:`, sled's `temporary(true)`), test code, a build script
    /// or a procedural macro. Opening an existing file for writing without
    /// creating, truncating or appending (a device, a FIFO, `/dev/tty`) is not
    /// reported either. Managing a socket file (`set_permissions` on it
    /// after the bind), an SQLite URL that configuration gives in an app
    /// that also speaks PostgreSQL or MySQL, a read-only open (`?mode=ro`)
    /// and an opt-in log file (`log_to_file`'s) are not state either.
    ///
    /// Only what a service runs in its default deployment is reported: not
    /// code reached only through a branch that configuration switches on
    /// (`if config.json_db`, `if let Some(dir) = &config.backup_dir`, `if
    /// env::var("HEROKU").is_ok()`), and
    /// not a service whose job is data on disk, a database built on a
    /// storage engine, a service that replicates its own store between its
    /// nodes, a file server with no database, or a daemon of its host that
    /// serves only Unix sockets (`scope =
    /// "service"` in this rule's table reports those too).
    ///
    /// ### Example
    /// ```rust,ignore
    /// use std::fs;
    ///
    /// fn save_avatar(user: u64, png: &[u8]) -> std::io::Result<()> {
    ///     fs::write(format!("uploads/{user}.png"), png)
    /// }
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// async fn save_avatar(store: &ObjectStore, user: u64, png: Bytes) -> Result<()> {
    ///     // an S3/GCS bucket or a database, addressed through config
    ///     store.put(&format!("avatars/{user}.png").into(), png.into()).await?;
    ///     Ok(())
    /// }
    /// ```
    ///
    /// ### Options
    /// `scratch_dirs = ["my_crate::paths::scratch"]`: functions whose result
    /// is scratch space like `std::env::temp_dir`.
    pub FilesystemWrite => "filesystem_write", Factor::Processes, Warn, fixable: false, options: ["scratch_dirs"], scope: StatelessService
}

/// Modules with std's filesystem API, by crate.
const FS_MODULES: &[&str] = &["std::fs", "tokio::fs", "async_std::fs", "fs_err", "fs_err::tokio"];

/// Free functions of those modules that write, with the index of the
/// argument that names the written path.
const WRITE_FUNCTIONS: &[(&str, usize)] = &[
    ("write", 0),
    ("copy", 1),
    ("rename", 1),
    ("create_dir", 0),
    ("create_dir_all", 0),
    ("remove_file", 0),
    ("remove_dir", 0),
    ("remove_dir_all", 0),
    ("hard_link", 1),
    ("soft_link", 1),
    ("symlink", 1),
    ("set_permissions", 0),
    ("File::create", 0),
    ("File::create_new", 0),
];

/// Unix extensions that write.
const UNIX_WRITE_FUNCTIONS: &[(&str, usize)] = &[
    ("std::os::unix::fs::symlink", 1),
    ("std::os::unix::fs::chown", 0),
    ("std::os::unix::fs::lchown", 0),
];

/// Builders whose `open` writes when one of `OPEN_WRITE_FLAGS` is set.
const OPEN_OPTIONS_CONSTRUCTORS: &[&str] = &["OpenOptions::new", "File::options"];
/// `write(true)` alone opens an existing file, typically a device, a FIFO or
/// a terminal; these flags create or replace content on disk.
const OPEN_WRITE_FLAGS: &[&str] = &["append", "create", "create_new", "truncate"];

/// Words in a function body that a write API has: only such a function's
/// parameters are recorded.
const WRITE_WORDS: &[&str] = &["create", "write", "remove", "rename", "copy", "open", "persist"];

/// Calls that create no state: deleting a file or a directory.
const REMOVALS: &[&str] = &["::remove_file", "::remove_dir", "::remove_dir_all"];

/// Calls that make a directory, by what a finding shows: a sign of local
/// state only where nothing in the package writes files (into it), which
/// are reported instead.
const MAKE_DIR: &[&str] = &[
    "create_dir",
    "create_dir_all",
    "DirBuilder::create",
    "dir::create",
    "dir::create_all",
];

fn makes_dir(what: &str) -> bool {
    let what = what.trim_matches('`');
    MAKE_DIR.iter().any(|m| what.ends_with(m))
}

/// Whether a found write is one of `calls`, by its API or by what it shows
/// (`Dir::create_dir_all` of cap-std).
fn found_is(found: &Found, calls: &[&str]) -> bool {
    calls
        .iter()
        .any(|f| found.api.ends_with(f) || found.what.trim_matches('`').ends_with(f))
}

/// Paths that are devices or kernel interfaces, not storage.
const DEVICE_PREFIXES: &[&str] = &["/dev/", "/proc/", "/sys/"];

/// `DirBuilder::new().recursive(true).create(p)`.
const DIR_BUILDER_CONSTRUCTORS: &[&str] = &["DirBuilder::new"];

/// Calls whose result is scratch space that may vanish.
const SCRATCH_SOURCES: &[&str] = &[
    "std::env::temp_dir",
    "tempfile::tempdir",
    "tempfile::tempdir_in",
    "tempfile::tempfile",
    "tempfile::tempfile_in",
    "tempfile::env::temp_dir",
    "tempfile::TempDir::new",
    "tempfile::TempDir::new_in",
    "tempfile::TempDir::with_prefix",
    "tempfile::NamedTempFile::new",
    "tempfile::NamedTempFile::new_in",
    "tempfile::Builder::new",
];

/// Words that name a path as scratch space: `CONFIG.tmp_folder()`,
/// `temp_path`, `cache_db_path`. The operator points such a setting at
/// space that may vanish, and a cache is what may be lost.
const SCRATCH_WORDS: &[&str] = &["tmp", "temp", "temporary", "scratch", "cache"];

/// `tempfile` types whose path is scratch space, held in a struct field.
const SCRATCH_TYPES: &[&str] = &[
    "tempfile::TempDir",
    "tempfile::NamedTempFile",
    "tempfile::TempPath",
    "tempdir::TempDir",
];

/// Crates of `SCRATCH_TYPES`: a package without them holds none.
const SCRATCH_CRATES: &[&str] = &["tempfile", "tempdir"];

/// Calls on a path named as a socket (`socket_path`, `sock`) that manage
/// the socket file rather than store data.
const SOCKET_FILE_CALLS: &[&str] = &["::remove_file", "::set_permissions"];

/// Types of `UNIX_SOCKET_BINDS`: a file that does not name one binds none.
const SOCKET_TYPES: &[&str] = &["UnixListener", "UnixDatagram"];

/// Unix socket constructors that fail when their path exists, so a stale
/// socket file is removed just before them.
const UNIX_SOCKET_BINDS: &[&str] = &[
    "std::os::unix::net::UnixListener::bind",
    "std::os::unix::net::UnixDatagram::bind",
    "tokio::net::UnixListener::bind",
    "tokio::net::UnixDatagram::bind",
    "async_std::os::unix::net::UnixListener::bind",
    "async_std::os::unix::net::UnixDatagram::bind",
    "async_net::unix::UnixListener::bind",
    "smol::net::unix::UnixListener::bind",
];

/// Attributes of derives whose `key = value` settings give a field's
/// default (clap, structopt, derive_builder, typed-builder, bon, serde,
/// confique, envconfig), and those keys.
const DEFAULT_ATTRS: &[&str] = &["arg", "clap", "structopt", "builder", "serde", "config", "envconfig"];
const DEFAULT_KEYS: &[&str] = &["default", "default_value", "default_value_t", "default_missing_value"];

/// Attributes whose whole argument is a field's default: smart-default's
/// `#[default = ..]` or `#[default(..)]`, `#[serde_inline_default(..)]`.
const DEFAULT_VALUE_ATTRS: &[&str] = &["default", "serde_inline_default"];

/// `fs_extra` functions and `cap_std` associated functions that write, by
/// full path, with the index of the written path.
const EXTRA_WRITE_FUNCTIONS: &[(&str, usize)] = &[
    ("fs_extra::copy_items", 1),
    ("fs_extra::copy_items_with_progress", 1),
    ("fs_extra::move_items", 1),
    ("fs_extra::move_items_with_progress", 1),
    ("fs_extra::remove_items", 0),
    ("fs_extra::dir::copy", 1),
    ("fs_extra::dir::copy_with_progress", 1),
    ("fs_extra::dir::move_dir", 1),
    ("fs_extra::dir::move_dir_with_progress", 1),
    ("fs_extra::dir::create", 0),
    ("fs_extra::dir::create_all", 0),
    ("fs_extra::dir::remove", 0),
    ("fs_extra::file::copy", 1),
    ("fs_extra::file::copy_with_progress", 1),
    ("fs_extra::file::move_file", 1),
    ("fs_extra::file::move_file_with_progress", 1),
    ("fs_extra::file::remove", 0),
    ("fs_extra::file::write_all", 0),
    ("cap_std::fs::Dir::create_ambient_dir_all", 0),
    ("cap_std::fs_utf8::Dir::create_ambient_dir_all", 0),
    ("cap_async_std::fs::Dir::create_ambient_dir_all", 0),
];

/// `cap_std` directory handles opened on the real filesystem.
const CAP_DIR_CONSTRUCTORS: &[&str] = &[
    "cap_std::fs::Dir::open_ambient_dir",
    "cap_std::fs_utf8::Dir::open_ambient_dir",
    "cap_std::fs::Dir::from_std_file",
    "cap_async_std::fs::Dir::open_ambient_dir",
    "cap_async_std::fs_utf8::Dir::open_ambient_dir",
];

/// `Dir` methods that write, with the index of the written path.
const CAP_DIR_WRITES: &[(&str, usize)] = &[
    ("create", 0),
    ("write", 0),
    ("create_dir", 0),
    ("create_dir_all", 0),
    ("rename", 2),
    ("copy", 2),
    ("hard_link", 2),
    ("symlink", 1),
    ("symlink_file", 1),
    ("symlink_dir", 1),
    ("remove_file", 0),
    ("remove_dir", 0),
    ("remove_dir_all", 0),
    ("set_permissions", 0),
];

/// Embedded databases kept in a local file, with the index of the path.
const FILE_DATABASES: &[(&str, usize)] = &[
    ("rusqlite::Connection::open", 0),
    ("rusqlite::Connection::open_with_flags", 0),
    ("sqlite::open", 0),
    ("sqlite::Connection::open", 0),
    ("sled::open", 0),
    ("sled::db::open", 0),
    ("rocksdb::DB::open", 1),
    ("rocksdb::DB::open_default", 0),
    ("rocksdb::DB::open_cf", 1),
    ("rocksdb::DB::open_cf_descriptors", 1),
    ("rocksdb::DB::open_with_ttl", 1),
    ("rocksdb::DBWithThreadMode::open", 1),
    ("rocksdb::DBWithThreadMode::open_default", 0),
    ("rocksdb::DBWithThreadMode::open_cf", 1),
    ("rocksdb::DBWithThreadMode::open_cf_descriptors", 1),
    ("rocksdb::OptimisticTransactionDB::open", 1),
    ("rocksdb::OptimisticTransactionDB::open_default", 0),
    ("rocksdb::TransactionDB::open", 2),
    ("rocksdb::TransactionDB::open_default", 0),
    ("redb::Database::create", 0),
    ("redb::Database::open", 0),
    ("diesel::SqliteConnection::establish", 0),
    ("diesel::sqlite::SqliteConnection::establish", 0),
    ("diesel::prelude::SqliteConnection::establish", 0),
];

/// Database builders whose `open`/`create` makes a file, with the steps
/// that keep it in memory or temporary instead.
const DATABASE_BUILDERS: &[(&str, &[&str], &[&str])] = &[
    ("sled::Config::new", &["open"], &["temporary"]),
    ("sled::Config::default", &["open"], &["temporary"]),
    ("redb::Builder::new", &["create", "open"], &[]),
    ("redb::Database::builder", &["create", "open"], &[]),
    ("heed::EnvOpenOptions::new", &["open"], &[]),
    ("sqlx::sqlite::SqliteConnectOptions::new", &["filename"], &["in_memory"]),
    ("sqlx::SqliteConnectOptions::new", &["filename"], &["in_memory"]),
];

/// Calls that take a database URL; a `sqlite:` URL naming a file keeps the
/// database on the local disk.
const URL_TAKERS: &[&str] = &[
    "connect",
    "connect_lazy",
    "establish",
    "from_str",
    "from_url",
    "new",
    "open",
];

/// Temporary files and directories made persistent again: the method and
/// the number of arguments it takes (the `Builder::keep(bool)` setting is
/// not one of them).
const PERSIST_METHODS: &[(&str, usize)] = &[("persist", 1), ("persist_noclobber", 1), ("keep", 0), ("into_path", 0)];

/// `tokio::fs::write` is `write` in module `tokio::fs`.
fn in_fs_module<'t>(path: &str, table: &[(&'t str, usize)]) -> Option<(&'t str, usize)> {
    table.iter().copied().find(|(name, _)| {
        path.strip_suffix(name)
            .and_then(|p| p.strip_suffix("::"))
            .is_some_and(|module| FS_MODULES.contains(&module))
    })
}

fn root_in_fs_module(chain_root: &[String], constructors: &[&str]) -> Option<String> {
    chain_root.iter().find_map(|root| {
        constructors.iter().find_map(|c| {
            let module = root.strip_suffix(c)?.strip_suffix("::")?;
            FS_MODULES.contains(&module).then(|| root.clone())
        })
    })
}

/// What kind of write was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Kind {
    File,
    Database,
    Persist,
}

struct Found {
    what: String,
    /// The table entry or chain root that matched: `sled::open`.
    api: String,
    /// The argument naming the written path, checked for scratch space.
    path_arg: Option<usize>,
    kind: Kind,
}

/// The last two segments of a path: `Connection::open`.
fn short(path: &str) -> String {
    let segs: Vec<&str> = path.rsplit("::").take(2).collect();
    segs.into_iter().rev().collect::<Vec<_>>().join("::")
}

/// A string literal, directly or through a local or same-file const.
fn str_value(cx: &Cx<'_>, expr: &syn::Expr, depth: usize) -> Option<String> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s), ..
        }) => Some(s.value()),
        syn::Expr::Reference(r) => str_value(cx, &r.expr, depth),
        syn::Expr::Paren(p) => str_value(cx, &p.expr, depth),
        syn::Expr::Path(p) if depth < 3 => {
            let init = match p.path.get_ident() {
                Some(i) => cx.local_init(&i.to_string()).or_else(|| cx.const_init(&p.path)),
                None => cx.const_init(&p.path),
            }?;
            str_value(cx, init, depth + 1)
        }
        _ => None,
    }
}

/// `sqlite://data/app.db`, `sqlite:app.db?mode=rwc`; not `sqlite::memory:`
/// or `mode=memory`.
fn is_sqlite_file_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix("sqlite:") else {
        return false;
    };
    let rest = rest.trim_start_matches('/');
    let file = rest.split('?').next().unwrap_or("");
    !file.is_empty() && !file.starts_with(":memory:") && !lower.contains("mode=memory")
}

fn is_memory_db(path: &str) -> bool {
    path.is_empty() || path == ":memory:" || path.starts_with("file::memory:")
}

/// Whether a written path is scratch space: made from `std::env::temp_dir()`
/// or `tempfile` (or a configured `scratch_dirs` function), or named as
/// temporary.
fn is_scratch(cx: &Cx<'_>, arg: &syn::Expr) -> bool {
    let scratch: &[String] = cx.options::<FilesystemWriteOptions>().map_or(&[], |o| &o.scratch_dirs);
    named_scratch(arg)
        || in_own_cache(cx, arg)
        || cx
            .sources(arg)
            .iter()
            .any(|s| SCRATCH_SOURCES.contains(&s.as_str()) || scratch.contains(s))
}

/// A path held by the value a cache type's method runs on: `self.root` in
/// `impl LruDiskCache`. A cache rebuilds what it loses.
fn in_own_cache(cx: &Cx<'_>, arg: &syn::Expr) -> bool {
    let mut expr = strip_refs(arg);
    while let syn::Expr::Field(f) = expr {
        expr = &f.base;
    }
    let on_self = matches!(expr, syn::Expr::Path(p) if p.path.is_ident("self")) && !std::ptr::eq(expr, strip_refs(arg));
    on_self
        && cx
            .enclosing_fn_path()
            .and_then(|p| p.rsplit("::").nth(1))
            .is_some_and(|ty| {
                crate::resolve::words(ty)
                    .iter()
                    .any(|w| SCRATCH_WORDS.contains(&w.as_str()))
            })
}

/// Whether an expression names its path as temporary: an identifier,
/// field or method with a word of `SCRATCH_WORDS` (`CONFIG.tmp_folder()`,
/// `temp_dir()`, `NamedTempFile::new()`). A string literal does not count:
/// `"data/tmp"` is a path the code fixes.
fn named_scratch(expr: &syn::Expr) -> bool {
    struct Names {
        seen: usize,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Names {
        fn visit_ident(&mut self, ident: &'ast proc_macro2::Ident) {
            self.seen += 1;
            if self.seen <= 64 && !self.found {
                let name = ident.to_string();
                self.found = name.starts_with("tempdir")
                    || name.starts_with("tempfile")
                    || crate::resolve::words(&name)
                        .iter()
                        .any(|w| SCRATCH_WORDS.contains(&w.as_str()));
            }
        }
    }
    let mut names = Names { seen: 0, found: false };
    names.visit_expr(expr);
    names.found
}

/// `&x`, `(x)`: the expression inside.
fn strip_refs(mut expr: &syn::Expr) -> &syn::Expr {
    while let syn::Expr::Reference(syn::ExprReference { expr: inner, .. })
    | syn::Expr::Paren(syn::ExprParen { expr: inner, .. }) = expr
    {
        expr = inner;
    }
    expr
}

/// How many times `function` may be called in the file of `fact`:
/// `function(` not preceded by `fn `, `.` or an identifier. A path call
/// (`crate::function(..)`) counts too: a caller not seen as scratch.
fn calls_in_file(fact: &Fact, function: &str) -> usize {
    let text = &fact.span.file.text;
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(&format!("{function}("))
        .filter(|(at, _)| {
            let before = text[..*at].trim_end_matches(' ');
            let definition = before
                .strip_suffix("fn")
                .is_some_and(|rest| !rest.chars().next_back().is_some_and(ident));
            let joined = before.chars().next_back().is_some_and(|c| ident(c) || c == '.');
            !definition && !joined
        })
        .count()
}

/// Whether a field's type is, or wraps, a `tempfile` type (`TempDir`,
/// `Option<NamedTempFile>`, `Arc<TempDir>`).
fn holds_scratch(cx: &Cx<'_>, ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Path(p) => {
            cx.resolve(&p.path).iter().any(|c| SCRATCH_TYPES.contains(&c.as_str()))
                || p.path.segments.last().is_some_and(|seg| match &seg.arguments {
                    syn::PathArguments::AngleBracketed(a) => a.args.iter().any(|g| match g {
                        syn::GenericArgument::Type(t) => holds_scratch(cx, t),
                        _ => false,
                    }),
                    _ => false,
                })
        }
        syn::Type::Reference(r) => holds_scratch(cx, &r.elem),
        syn::Type::Paren(p) => holds_scratch(cx, &p.elem),
        _ => false,
    }
}

fn member_name(member: &syn::Member) -> String {
    match member {
        syn::Member::Named(i) => i.to_string(),
        syn::Member::Unnamed(i) => i.index.to_string(),
    }
}

/// The field of `self` a path is built from: `dir` for
/// `self.dir.path().join("x")`, also through a local binding.
fn self_field(cx: &Cx<'_>, expr: &syn::Expr, depth: usize) -> Option<String> {
    match expr {
        syn::Expr::Field(f) => match &*f.base {
            syn::Expr::Path(p) if p.path.is_ident("self") => Some(member_name(&f.member)),
            base => self_field(cx, base, depth),
        },
        syn::Expr::MethodCall(m) => self_field(cx, &m.receiver, depth),
        syn::Expr::Reference(r) => self_field(cx, &r.expr, depth),
        syn::Expr::Paren(p) => self_field(cx, &p.expr, depth),
        syn::Expr::Try(t) => self_field(cx, &t.expr, depth),
        syn::Expr::Path(p) if depth < 3 => {
            let init = cx.local_init(&p.path.get_ident()?.to_string())?;
            self_field(cx, init, depth + 1)
        }
        _ => None,
    }
}

/// A path argument as written, for telling whether two calls name the
/// same path: `&socket_path` and `socket_path` are the same.
fn path_text(cx: &Cx<'_>, mut expr: &syn::Expr) -> String {
    while let syn::Expr::Reference(syn::ExprReference { expr: inner, .. })
    | syn::Expr::Paren(syn::ExprParen { expr: inner, .. }) = expr
    {
        expr = inner;
    }
    cx.span(expr).snippet().split_whitespace().collect()
}

/// A SQLite URL opened read-only (`?mode=ro`, `immutable=1`): a backup
/// or a check, not state.
fn is_read_only_url(expr: &syn::Expr) -> bool {
    use quote::ToTokens;
    let text = expr.to_token_stream().to_string();
    text.contains("mode=ro") || text.contains("immutable=1")
}

/// Whether the package can also use PostgreSQL or MySQL (a feature or a
/// dependency feature of diesel, sqlx or sea-orm): its SQLite is one
/// backend of several.
fn has_network_sql_backend(package: &crate::workspace::Package) -> bool {
    let network = |f: &str| f.contains("postgres") || f.contains("mysql");
    package
        .features
        .values()
        .flatten()
        .any(|f| ["diesel/", "sqlx/", "sea-orm/"].iter().any(|c| f.starts_with(c)) && network(f))
        || package
            .dependencies
            .iter()
            .filter(|d| ["diesel", "sqlx", "sea-orm"].contains(&d.name.as_str()))
            .any(|d| d.features.iter().any(|f| network(f)))
}

/// The function a node is in, unique within the package.
fn function_key(cx: &Cx<'_>) -> Option<String> {
    Some(format!("{}#{}", cx.file().path.display(), cx.enclosing_fn_path()?))
}

/// `sqlite:` file URLs in a default value: its string literals, and the
/// code inside a string that derive_builder parses as an expression
/// (`default = r#"String::from("sqlite://users.db")"#`).
fn sqlite_file_urls(expr: &syn::Expr, out: &mut Vec<String>) {
    struct Lits<'o>(&'o mut Vec<String>);
    impl Visit<'_> for Lits<'_> {
        fn visit_lit_str(&mut self, s: &syn::LitStr) {
            let value = s.value();
            if is_sqlite_file_url(&value) {
                self.0.push(value);
            } else if let Ok(code) = syn::parse_str::<syn::Expr>(&value) {
                sqlite_file_urls(&code, self.0);
            }
        }
    }
    Lits(out).visit_expr(expr);
}

/// The defaults a field's attributes give it.
fn attribute_defaults(attrs: &[syn::Attribute]) -> Vec<syn::Expr> {
    let mut out: Vec<syn::Expr> = attribute_settings(attrs, DEFAULT_ATTRS, DEFAULT_KEYS)
        .into_iter()
        .map(|(_, value)| value)
        .collect();
    for attr in attrs
        .iter()
        .filter(|a| DEFAULT_VALUE_ATTRS.iter().any(|n| a.path().is_ident(n)))
    {
        match &attr.meta {
            syn::Meta::NameValue(nv) => out.push(nv.value.clone()),
            syn::Meta::List(list) => out.extend(list.parse_args::<syn::Expr>()),
            syn::Meta::Path(_) => {}
        }
    }
    out
}

/// What this rule records for its package-level check.
#[derive(serde::Serialize, serde::Deserialize)]
enum Note {
    /// A write that another part of the package may show to be scratch
    /// space or a stale socket.
    Pending {
        what: String,
        kind: Kind,
        /// `(struct, field)`: the path is built from `self.field`.
        field: Option<(String, String)>,
        /// `(function, path)`: a `set_permissions`, maybe on the socket
        /// just bound.
        chmod: Option<(String, String)>,
        /// `(file, function, parameter)`: the path is a parameter of a
        /// free function; its callers may all pass scratch space.
        param: Option<(std::path::PathBuf, String, String)>,
    },
    /// `struct owner { field: TempDir }`.
    ScratchField { owner: String, field: String },
    /// A reported write.
    Wrote,
    /// `fs::create_dir_all(..)`, reported when the package writes nothing.
    MadeDir { what: String },
    /// `fn function(params..)` in `file`, whose body writes: a helper
    /// whose callers say what it writes to.
    Params {
        file: std::path::PathBuf,
        function: String,
        params: Vec<String>,
    },
    /// `callee(args..)` in `file`, with whether each argument is scratch
    /// space (`create_dir(&CONFIG.tmp_folder(), "tmp folder")`).
    ScratchArgs {
        file: std::path::PathBuf,
        callee: String,
        scratch: Vec<bool>,
    },
    /// `UnixListener::bind(path)` in `function`.
    Bind { function: String, path: String },
}

fn message(what: &str, kind: Kind) -> String {
    match kind {
        Kind::File => format!("{what} writes to the local filesystem"),
        Kind::Database => format!("{what} keeps a database in a local file"),
        Kind::Persist => format!("{what} turns a temporary file into a permanent one"),
    }
}

fn explain(d: &mut Diagnostic, kind: Kind) {
    let note =
        "twelve-factor processes are stateless and share nothing: data that must persist belongs in a backing service";
    match kind {
        Kind::File => {
            d.label("this file is lost on restart and invisible to other instances")
                .note(note)
                .help("store it in a database or object storage addressed through config; for scratch files that may vanish, use `std::env::temp_dir()` or `tempfile`");
        }
        Kind::Database => {
            d.label("this database is lost on restart and invisible to other instances")
                .note(note)
                .help("use a database server addressed through config (`DATABASE_URL`); an in-memory database is fine for data that may vanish");
        }
        Kind::Persist => {
            d.label("the kept file is lost on restart and invisible to other instances")
                .note(note)
                .help("store the result in a database or object storage addressed through config, or let the temporary file be deleted");
        }
    }
}

impl FilesystemWrite {
    fn find(cx: &Cx<'_>, call: &Call<'_>) -> Option<Found> {
        if let Some(method) = call.method {
            let method = method.to_string();
            let builder = match method.as_str() {
                "open" => root_in_fs_module(&call.chain.root, OPEN_OPTIONS_CONSTRUCTORS)
                    .filter(|_| call.chain.has_enabled_step(OPEN_WRITE_FLAGS)),
                "create" => root_in_fs_module(&call.chain.root, DIR_BUILDER_CONSTRUCTORS),
                _ => None,
            };
            if let Some(builder) = builder {
                let what = match builder.strip_suffix("::new") {
                    Some(ty) => format!("`{ty}::{method}`"),
                    None => format!("`{builder}()…{method}`"),
                };
                return Some(Found {
                    what,
                    api: builder.clone(),
                    path_arg: Some(0),
                    kind: Kind::File,
                });
            }
            if let Some(root) = call
                .chain
                .root
                .iter()
                .find(|r| CAP_DIR_CONSTRUCTORS.contains(&r.as_str()))
                && let Some((_, arg)) = CAP_DIR_WRITES.iter().find(|(m, _)| *m == method)
            {
                return Some(Found {
                    what: format!("`Dir::{method}`"),
                    api: root.clone(),
                    path_arg: Some(*arg),
                    kind: Kind::File,
                });
            }
            if let Some((root, _, _)) = DATABASE_BUILDERS.iter().find(|(root, methods, memory)| {
                call.chain.root_is(&[root])
                    && methods.contains(&method.as_str())
                    && !call.chain.has_enabled_step(memory)
            }) {
                return Some(Found {
                    what: format!("`{}…{method}`", short(root)),
                    api: root.to_string(),
                    path_arg: Some(0).filter(|_| !call.args.is_empty()),
                    kind: Kind::Database,
                });
            }
            if let Some((_, argc)) = PERSIST_METHODS.iter().find(|(m, _)| *m == method)
                && call.args.len() == *argc
                && call.chain.root_is(SCRATCH_SOURCES)
            {
                let ty = if call
                    .chain
                    .root
                    .iter()
                    .any(|r| r.contains("NamedTempFile") || r.contains("tempfile::tempfile"))
                    || method.starts_with("persist")
                {
                    "NamedTempFile"
                } else {
                    "TempDir"
                };
                return Some(Found {
                    what: format!("`{ty}::{method}`"),
                    api: "tempfile".into(),
                    path_arg: Some(0).filter(|_| *argc > 0),
                    kind: Kind::Persist,
                });
            }
            if URL_TAKERS.contains(&method.as_str()) {
                return Self::sqlite_url(cx, call, format!("`{method}`"));
            }
            return None;
        }
        if let Some((api, arg)) = call.paths.iter().find_map(|p| {
            in_fs_module(p, WRITE_FUNCTIONS)
                .or_else(|| UNIX_WRITE_FUNCTIONS.iter().copied().find(|(f, _)| f == p))
                .or_else(|| EXTRA_WRITE_FUNCTIONS.iter().copied().find(|(f, _)| f == p))
                .map(|(_, arg)| (p.clone(), arg))
        }) {
            return Some(Found {
                what: format!("`{api}`"),
                api,
                path_arg: Some(arg),
                kind: Kind::File,
            });
        }
        if let Some((f, arg)) = FILE_DATABASES.iter().find(|(f, _)| call.is(&[f])) {
            let path = call.args.get(*arg)?;
            if str_value(cx, path, 0).is_some_and(|p| is_memory_db(&p)) {
                return None;
            }
            let read_only = call.args.iter().any(|a| {
                let mut text = String::new();
                if let syn::Expr::Path(p) = a {
                    text = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
                }
                text.contains("READ_ONLY")
            });
            if read_only {
                return None;
            }
            return Some(Found {
                what: format!("`{f}`"),
                api: f.to_string(),
                path_arg: Some(*arg),
                kind: Kind::Database,
            });
        }
        let callee = call.paths.first()?;
        let last = callee.rsplit("::").next().unwrap_or(callee);
        if URL_TAKERS.contains(&last) {
            return Self::sqlite_url(cx, call, format!("`{}`", short(callee)));
        }
        None
    }

    fn sqlite_url(cx: &Cx<'_>, call: &Call<'_>, what: String) -> Option<Found> {
        let arg = call.args.first()?;
        let url = str_value(cx, arg, 0)?;
        is_sqlite_file_url(&url).then(|| Found {
            what: format!("{what} of `{url}`"),
            api: call
                .paths
                .first()
                .or(call.chain.root.first())
                .cloned()
                .unwrap_or_default(),
            path_arg: None,
            kind: Kind::Database,
        })
    }
}

/// Options of `filesystem_write`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FilesystemWriteOptions {
    /// Extra functions (canonical paths) whose result counts as scratch
    /// space, like `std::env::temp_dir`.
    #[serde(default)]
    pub scratch_dirs: Vec<String>,
}

impl Rule for FilesystemWrite {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
    fn fact_types(&self) -> &'static [crate::engine::cache::FactType] {
        const { &[crate::engine::cache::FactType::of::<Note>()] }
    }

    fn parse_options(&self, table: &OptionTable, base: Option<&RuleOptions>) -> Result<RuleOptions, String> {
        Ok(std::sync::Arc::new(layer_options::<FilesystemWriteOptions>(
            table,
            base,
            Self::META.options,
        )?))
    }

    fn check_call(&self, cx: &mut Cx<'_>, call: &Call<'_>) {
        if is_test_or_build_time(cx) {
            return;
        }
        if call.method.is_none()
            && call.is(UNIX_SOCKET_BINDS)
            && let (Some(function), Some(path)) = (function_key(cx), call.args.first())
        {
            let path = path_text(cx, path);
            let span = cx.span(call.expr);
            cx.record(span, Note::Bind { function, path });
        } else if let syn::Expr::Call(c) = call.expr
            && let syn::Expr::Path(callee) = &*c.func
            && let Some(callee) = callee.path.get_ident()
        {
            // A helper called by its bare name: what its callers pass.
            let scratch: Vec<bool> = call.args.iter().map(|a| named_scratch(a)).collect();
            if scratch.iter().any(|s| *s) {
                let (file, callee) = (cx.file().path.clone(), callee.to_string());
                let span = cx.span(call.expr);
                cx.record(span, Note::ScratchArgs { file, callee, scratch });
            }
        }
        let Some(mut found) = Self::find(cx, call) else { return };
        if found.kind == Kind::File && found_is(&found, REMOVALS) {
            return;
        }
        // `fs::rename(&tmp, &path)` makes a scratch file permanent; moving
        // a file already on disk (a backup, a corrupt index set aside)
        // makes no new state.
        if found.kind == Kind::File && found.api.ends_with("::rename") {
            if !call.args.first().is_some_and(|from| is_scratch(cx, from)) {
                return;
            }
            found.kind = Kind::Persist;
        }
        // The `else` of `if CONFIG.s3.is_some()`: the operator picks object
        // storage with a setting, and this is the fallback.
        if cx.in_local_fallback() && found.kind != Kind::Persist {
            return;
        }
        // A crate's own implementation of the API (`sled::open` inside sled).
        if found.api.split("::").next() == Some(cx.module()[0].as_str()) {
            return;
        }

        let path = found.path_arg.and_then(|i| call.args.get(i)).copied();
        if found.kind == Kind::Database && call.args.iter().any(|a| is_read_only_url(a)) {
            return;
        }
        // `SqliteConnection::establish(&config.database_url)` in an app
        // that also speaks PostgreSQL or MySQL: the operator picks the
        // backing service, this is one choice.
        if found.kind == Kind::Database
            && path.is_some_and(|arg| !has_str_literal(arg))
            && has_network_sql_backend(cx.package())
        {
            return;
        }
        // An opt-in log file is `log_to_file`'s.
        if found.kind == Kind::File
            && path.is_some_and(|arg| {
                let text = path_text(cx, arg).to_ascii_lowercase();
                text.ends_with("log_file") || text.ends_with("logfile") || text.ends_with("log_path")
            })
        {
            return;
        }
        if let Some(arg) = path {
            // `remove_file(&socket_path)` after serving, `set_permissions`
            // on the socket just bound: a Unix socket is an endpoint, not
            // stored data.
            if found.kind == Kind::File
                && SOCKET_FILE_CALLS.iter().any(|f| found.api.ends_with(f))
                && path_text(cx, arg).to_ascii_lowercase().contains("sock")
            {
                return;
            }
            if let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s), ..
            }) = arg
                && DEVICE_PREFIXES.iter().any(|p| s.value().starts_with(p))
            {
                return;
            }
            if is_scratch(cx, arg) {
                return;
            }
            // `if !config_file.exists() { fs::write(&config_file, EXAMPLE) }`:
            // a default written on the first run, not the service's state.
            if found.kind != Kind::Database && cx.only_when_missing(arg) {
                return;
            }
        }

        let span = match (call.method, call.expr) {
            (Some(method), expr) => cx.span_of(method.span().byte_range().start..expr.span().byte_range().end),
            (None, expr) => cx.span(expr),
        };
        // Whether the path is scratch space or a stale socket may only be
        // known from another file (the struct) or later in the function
        // (the bind): decided in `check_package`, and only where it can be.
        let field = path
            .filter(|_| SCRATCH_CRATES.iter().any(|c| cx.package().dependency(c).is_some()))
            .and_then(|arg| {
                let owner = cx.enclosing_fn_path()?.rsplit("::").nth(1)?.to_string();
                Some((owner, self_field(cx, arg, 0)?))
            });
        let chmod = path
            .filter(|_| found.kind == Kind::File && found.api.ends_with("::set_permissions"))
            .filter(|_| SOCKET_TYPES.iter().any(|t| cx.file().text.contains(t)))
            .and_then(|arg| Some((function_key(cx)?, path_text(cx, arg))));
        let param = path.and_then(|arg| {
            let syn::Expr::Path(p) = strip_refs(arg) else {
                return None;
            };
            let name = p.path.get_ident()?.to_string();
            if cx.local_init(&name).is_some() {
                return None;
            }
            Some((cx.file().path.clone(), cx.enclosing_fn()?.to_string(), name))
        });
        if field.is_some() || chmod.is_some() || param.is_some() {
            cx.record(
                span,
                Note::Pending {
                    what: found.what,
                    kind: found.kind,
                    field,
                    chmod,
                    param,
                },
            );
            return;
        }
        if found.kind == Kind::File && makes_dir(&found.what) {
            cx.record(span, Note::MadeDir { what: found.what });
            return;
        }
        cx.record(span.clone(), Note::Wrote);
        explain(cx.report(span, message(&found.what, found.kind)), found.kind);
    }

    fn check_item(&self, cx: &mut Cx<'_>, item: &syn::Item) {
        if cx.in_test() || cx.target_kind().is_build_time() {
            return;
        }
        if let syn::Item::Fn(f) = item
            && !f.sig.inputs.is_empty()
            && WRITE_WORDS.iter().any(|w| cx.span(&f.block).snippet().contains(w))
        {
            let params = f
                .sig
                .inputs
                .iter()
                .map(|input| match input {
                    syn::FnArg::Typed(t) => match &*t.pat {
                        syn::Pat::Ident(i) => i.ident.to_string(),
                        _ => String::new(),
                    },
                    syn::FnArg::Receiver(_) => "self".into(),
                })
                .collect();
            let span = cx.span(&f.sig.ident);
            cx.record(
                span,
                Note::Params {
                    file: cx.file().path.clone(),
                    function: f.sig.ident.to_string(),
                    params,
                },
            );
            return;
        }
        let (owner, fields): (Option<&syn::Ident>, Vec<&syn::Field>) = match item {
            syn::Item::Struct(s) => (Some(&s.ident), s.fields.iter().collect()),
            syn::Item::Enum(e) => (None, e.variants.iter().flat_map(|v| v.fields.iter()).collect()),
            _ => return,
        };
        for (index, field) in fields.into_iter().enumerate() {
            if has_cfg_test(&field.attrs) {
                continue;
            }
            let name = field
                .ident
                .as_ref()
                .map_or_else(|| index.to_string(), |i| i.to_string());
            if let Some(owner) = owner
                && holds_scratch(cx, &field.ty)
            {
                let span = cx.span(&field.ty);
                cx.record(
                    span,
                    Note::ScratchField {
                        owner: owner.to_string(),
                        field: name.clone(),
                    },
                );
            }
            for default in attribute_defaults(&field.attrs) {
                let mut urls = Vec::new();
                sqlite_file_urls(&default, &mut urls);
                let Some(url) = urls.first() else { continue };
                let what = match &field.ident {
                    Some(ident) => format!("the default `{url}` of `{ident}`"),
                    None => format!("the default `{url}`"),
                };
                let span = cx.span(&default);
                explain(cx.report(span, message(&what, Kind::Database)), Kind::Database);
            }
        }
    }

    fn check_package(&self, cx: &mut PackageReport<'_>, facts: &[Fact]) {
        let mut scratch_fields = HashSet::new();
        let mut binds = Vec::new();
        let mut params = HashMap::new();
        let mut scratch_args: HashMap<(&std::path::Path, &str), Vec<&[bool]>> = HashMap::new();
        for fact in facts {
            match fact.get::<Note>() {
                Some(Note::Params {
                    file,
                    function,
                    params: names,
                }) => {
                    params.insert((file.as_path(), function.as_str()), names);
                }
                Some(Note::ScratchArgs { file, callee, scratch }) => {
                    scratch_args
                        .entry((file.as_path(), callee.as_str()))
                        .or_default()
                        .push(scratch);
                }
                Some(Note::ScratchField { owner, field }) => {
                    scratch_fields.insert((owner.as_str(), field.as_str()));
                }
                Some(Note::Bind { function, path }) => binds.push((function.as_str(), path.as_str(), fact)),
                _ => {}
            }
        }
        let mut reported = Vec::new();
        for fact in facts {
            let Some(Note::Pending {
                what,
                kind,
                field,
                chmod,
                param,
            }) = fact.get::<Note>()
            else {
                continue;
            };
            // `fn create_dir(path: &str)` that every caller in its file
            // hands a scratch path: `create_dir(&CONFIG.tmp_folder(), ..)`.
            if let Some((file, function, name)) = param
                && let Some(index) = params
                    .get(&(file.as_path(), function.as_str()))
                    .and_then(|names| names.iter().position(|n| n == name))
                && let Some(calls) = scratch_args.get(&(file.as_path(), function.as_str()))
                && calls.iter().all(|s| s.get(index).copied().unwrap_or(false))
                && calls.len() == calls_in_file(fact, function)
            {
                continue;
            }
            if field
                .as_ref()
                .is_some_and(|(owner, field)| scratch_fields.contains(&(owner.as_str(), field.as_str())))
            {
                continue;
            }
            // `UnixListener::bind(&path); fs::set_permissions(&path, ..)`.
            if chmod.as_ref().is_some_and(|(function, path)| {
                binds
                    .iter()
                    .any(|(f, p, bind)| f == function && p == path && bind.span.range.start < fact.span.range.start)
            }) {
                continue;
            }
            reported.push((fact, what.as_str(), *kind));
        }
        // A directory is reported only where nothing else is: the files
        // written into it are the state.
        // Writes count where a service runs them by default, as the
        // findings that stay: a one-shot's export does not hide a server's
        // data directory. Without a model (one file), every write counts.
        let model = cx.model;
        let in_service = |span: &crate::diagnostic::Span| {
            model.entries().is_empty()
                || model
                    .locate(span)
                    .is_some_and(|item| model.service_path(item).is_some() && model.runs_by_default(item))
        };
        let writes = facts
            .iter()
            .any(|f| matches!(f.get::<Note>(), Some(Note::Wrote)) && in_service(&f.span))
            || reported
                .iter()
                .any(|(f, what, _)| !makes_dir(what) && in_service(&f.span));
        let dirs = facts.iter().filter_map(|f| match f.get::<Note>() {
            Some(Note::MadeDir { what }) if !writes => Some((f, what.as_str(), Kind::File)),
            _ => None,
        });
        let reported: Vec<_> = reported
            .into_iter()
            .filter(|(_, what, _)| !writes || !makes_dir(what))
            .chain(dirs)
            .collect();
        for (fact, what, kind) in reported {
            let d = cx.report(fact.span.clone(), message(what, kind));
            d.origin = Some(fact.origin);
            explain(d, kind);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::{check_package_rule, check_rule, check_rule_in, lines_of};

    use super::FilesystemWrite;

    fn lines(src: &str) -> Vec<usize> {
        lines_of(&check_rule(&FilesystemWrite, src))
    }

    #[test]
    fn fires_on_std_tokio_and_fs_err_writes() {
        let src = r#"
use std::fs;
use std::fs::File;
use tokio::fs as afs;
use std::io::Write;

pub fn save(data: &[u8]) -> std::io::Result<()> {
    fs::write("state.json", data)?;                     // 8
    let mut f = File::create("out.txt")?;               // 9
    f.write_all(data)?;
    std::fs::create_dir_all("cache/images")?;           // 11: the files are the state
    fs::rename("a.bin", "b.bin")?;                      // 12: moves data already there
    fs_err::remove_file("old.log")?;                    // 13: deleting makes no state
    fs::rename(std::env::temp_dir().join("a.tmp"), "a")?; // 14: scratch made permanent
    Ok(())
}

pub async fn save_async(data: Vec<u8>) -> std::io::Result<()> {
    afs::write("uploads/x.bin", data).await?;           // 18
    tokio::fs::File::create_new("lock").await?;         // 19
    Ok(())
}
"#;
        assert_eq!(lines(src), [8, 9, 14, 19, 20]);
        // A directory is the only sign of local state in a package that
        // writes no file.
        let dir_only = "pub fn init() -> std::io::Result<()> {\n    std::fs::create_dir_all(\"data/blobs\")\n}\n";
        assert_eq!(lines(dir_only), [2]);
    }

    #[test]
    fn fires_on_open_options_chains_and_builders() {
        let src = r#"
use std::fs::{self, OpenOptions};

fn log(line: &str) {
    let f = fs::OpenOptions::new().append(true).create(true).open("app.log"); // 5
    let mut opts = OpenOptions::new();
    opts.write(true).create(true);
    let g = opts.open("data.db");                                               // 8
    let h = std::fs::File::options().truncate(true).write(true).open("x");      // 9
    fs::DirBuilder::new().recursive(true).create("var/run/app").unwrap();      // 10
}
"#;
        assert_eq!(lines(src), [5, 8, 9]);
        let dirs_only =
            "fn init() {\n    std::fs::DirBuilder::new().recursive(true).create(\"var/lib/app\").unwrap();\n}\n";
        assert_eq!(lines(dirs_only), [2]);
    }

    #[test]
    fn devices_fifos_and_ttys_are_fine() {
        let src = r#"
use std::fs::{self, OpenOptions};

fn tty() -> std::io::Result<fs::File> {
    OpenOptions::new().read(true).write(true).open("/dev/tty")
}
fn jobserver(path: &str) -> std::io::Result<fs::File> {
    OpenOptions::new().write(true).open(path)
}
fn sysfs() { fs::write("/sys/class/leds/led0/brightness", "1").unwrap(); }
fn still_a_file() { OpenOptions::new().write(true).truncate(true).open("state.bin").unwrap(); }
"#;
        assert_eq!(lines(src), [11]);
    }

    #[test]
    fn file_options_are_named_as_written() {
        let src = "fn f() { std::fs::File::options().append(true).open(\"x\").unwrap(); }\n";
        let found = check_rule(&FilesystemWrite, src);
        assert_eq!(
            found[0].message,
            "`std::fs::File::options()…open` writes to the local filesystem"
        );
    }

    #[test]
    fn destructured_temp_paths_are_scratch() {
        let src = r#"
use tempfile::NamedTempFile;
fn upload(bytes: &[u8]) -> std::io::Result<()> {
    let (file, temp_path) = NamedTempFile::new()?.keep()?;
    std::fs::remove_file(&temp_path)?;
    Ok(())
}
"#;
        // `keep` makes the file permanent; removing it again is not a write.
        assert_eq!(lines(src), [4]);
    }

    #[test]
    fn reads_are_fine() {
        let src = r#"
use std::fs::{self, File, OpenOptions};
use std::io::Read;

fn load() -> std::io::Result<String> {
    let mut s = String::new();
    File::open("config.toml")?.read_to_string(&mut s)?;
    let t = fs::read_to_string("x")?;
    let f = OpenOptions::new().read(true).open("y")?;
    let g = OpenOptions::new().read(true).write(false).open("z")?;
    let meta = fs::metadata("x")?;
    Ok(s)
}
"#;
        assert_eq!(lines(src), Vec::<usize>::new());
    }

    #[test]
    fn scratch_space_is_fine() {
        let src = r#"
use std::fs;
use std::env;

fn render() -> std::io::Result<()> {
    let dir = tempfile::tempdir()?;
    fs::write(dir.path().join("page.html"), "<html>")?;
    let scratch = env::temp_dir().join("render");
    fs::create_dir_all(&scratch)?;
    fs::write(std::env::temp_dir().join("x"), b"1")?;
    let p = scratch.join("y");
    fs::copy("template.html", &p)?;
    Ok(())
}
"#;
        assert_eq!(lines(src), Vec::<usize>::new());
    }

    #[test]
    fn a_cache_type_s_own_directory_is_scratch() {
        let src = r#"
use fs_err as fs;
use std::path::PathBuf;

pub struct LruDiskCache {
    root: PathBuf,
}

impl LruDiskCache {
    fn init(self) -> std::io::Result<Self> {
        fs::create_dir_all(&self.root)?;
        Ok(self)
    }
}

pub struct Uploads {
    root: PathBuf,
}

impl Uploads {
    fn init(&self) -> std::io::Result<()> {
        fs::create_dir_all(&self.root)
    }
}
"#;
        assert_eq!(lines(src), vec![22]);
    }

    #[test]
    fn the_local_fallback_of_an_object_store_setting_is_not_reported() {
        let src = r#"
use std::fs;

pub fn save(config: &Config, name: &str, bytes: &[u8]) -> Result<String, Error> {
    if config.s3.is_some() {
        let bucket = config.s3.as_ref().unwrap().get_bucket();
        bucket.put_object_blocking(name, bytes)?;
        Ok(name.to_string())
    } else {
        let dest = format!("{}/{}", config.media_directory, name);
        fs::write(&dest, bytes)?;
        Ok(dest)
    }
}

pub fn delete(config: &Config, name: &str) -> Result<(), Error> {
    if config.s3.is_none() {
        fs::write(format!("{}/{}.deleted", config.media_directory, name), b"")?;
    }
    if let Some(bucket) = &config.bucket { bucket.delete(name)?; } else { fs::copy(name, "trash")?; }
    if config.data_folder.starts_with("s3://") { return Ok(()); } else { fs::write("marker", b"")?; }
    Ok(())
}

pub fn thumbnail(config: &Config, name: &str) -> std::io::Result<()> {
    if config.thumbnails { fs::write(format!("thumbs/{name}"), b"")?; }    // 26
    Ok(())
}

// crates.io's `Storage::from_config`: a match on the configured backend.
pub fn open(config: &StorageConfig) -> Storage {
    match &config.backend {
        StorageBackend::S3 { default, .. } => Storage::s3(default),
        StorageBackend::LocalFileSystem { path } => {
            fs::create_dir_all(path.join("index")).unwrap();
            Storage::local(path)
        }
        StorageBackend::InMemory => { fs::write("memory.marker", b"")?; Storage::memory() } // 38
    }
}

pub fn kind(local: bool) -> std::io::Result<()> {
    match local {
        true => fs::write("local.marker", b""),                                   // 44
        false => Ok(()),
    }
}
"#;
        assert_eq!(lines(src), [26, 38, 44]);
    }

    #[test]
    fn a_default_written_where_the_file_is_missing_is_not_state() {
        // atuin's server settings: the example config is written on the
        // first run; the data written later is state.
        let src = r#"
use std::fs::{create_dir_all, File};
use std::io::Write;

const EXAMPLE_CONFIG: &str = "host = \"0.0.0.0\"\n";

pub fn settings(config_file: std::path::PathBuf) -> std::io::Result<()> {
    if config_file.exists() {
        load(&config_file)?;
    } else {
        create_dir_all(config_file.parent().unwrap())?;
        let mut file = File::create(&config_file)?;
        file.write_all(EXAMPLE_CONFIG.as_bytes())?;
    }
    let db = std::path::Path::new("data/pastes.json");
    if !db.exists() {
        std::fs::write(db, b"[]")?;
    }
    std::fs::write(db, b"[1]")?;                                    // 19
    if config_file.exists() {
        std::fs::write(&config_file, b"overwritten")?;              // 21
    }
    Ok(())
}
"#;
        assert_eq!(lines(src), [19, 21]);
    }

    #[test]
    fn paths_named_as_temporary_are_scratch() {
        let src = r#"
use std::fs::{self, create_dir_all};

pub fn start(config: &Config) -> std::io::Result<()> {
    create_dir_all(&config.tmp_folder())?;                 // scratch by name
    fs::write(config.temp_path.join("probe"), b"1")?;       // scratch by name
    fs::write("data/tmp/probe", b"1")?;                     // 6: a fixed path
    fs::write(&config.attachments_folder, b"1")?;           // 7
    Ok(())
}

// kanidm_unixd: the identity cache of an offline login.
pub fn open_cache(cfg: &UnixdConfig) -> rusqlite::Result<rusqlite::Connection> {
    fs::write(cfg.cache_dir.join("last-refresh"), b"0").ok();
    rusqlite::Connection::open(cfg.cache_db_path.as_str())
}

pub fn open_db(cfg: &UnixdConfig) -> rusqlite::Result<rusqlite::Connection> {
    rusqlite::Connection::open(cfg.db_path.as_str())                       // 19
}
"#;
        assert_eq!(lines(src), [7, 8, 19]);
    }

    #[test]
    fn a_helper_that_every_caller_hands_scratch_space_is_fine() {
        let src = r#"
use std::fs::create_dir_all;

fn create_dir(path: &str, description: &str) {
    let err_msg = format!("Error creating {description} directory '{path}'");
    create_dir_all(path).expect(&err_msg);
}

pub fn launch(config: &Config) {
    create_dir(&config.tmp_folder(), "tmp folder");
}
"#;
        assert_eq!(lines(src), Vec::<usize>::new());
        // One caller with a data folder makes the helper's write state.
        let mixed = src.replace(
            "create_dir(&config.tmp_folder(), \"tmp folder\");",
            "create_dir(&config.tmp_folder(), \"tmp folder\");\n    create_dir(&config.attachments_folder(), \"attachments\");",
        );
        assert_eq!(lines(&mixed), [6]);
        // A caller by another path, or none at all, proves nothing.
        let other = src.replace(
            "pub fn launch",
            "pub fn upload(c: &Config) { crate::create_dir(&c.uploads, \"u\"); }\npub fn launch",
        );
        assert_eq!(lines(&other), [6]);
        let unused = src.replace("create_dir(&config.tmp_folder(), \"tmp folder\");", "");
        assert_eq!(lines(&unused), [6]);
    }

    #[test]
    fn temp_binding_does_not_leak_into_other_functions() {
        let src = r#"
fn a() { let dir = std::env::temp_dir(); std::fs::write(&dir, "x").unwrap(); }
fn b(dir: &std::path::Path) { std::fs::write(dir, "x").unwrap(); }
"#;
        assert_eq!(lines(src), [3]);
    }

    #[test]
    fn test_code_is_fine() {
        let src = r#"
pub fn run() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn writes_fixture() {
        fs::write("fixture.txt", "x").unwrap();
    }
}

#[test]
fn top_level_test() { std::fs::write("y", "z").unwrap(); }
"#;
        assert_eq!(lines(src), Vec::<usize>::new());
    }

    #[test]
    fn unrelated_functions_named_write_are_fine() {
        let src = r#"
mod store { pub fn write(_: &str) {} }
use std::io::Write;
fn f(mut out: impl Write, db: &Db) {
    store::write("x");
    write("local");
    out.write_all(b"x").unwrap();
    db.create("row");
    writeln!(out, "hello").unwrap();
}
fn write(_: &str) {}
"#;
        assert_eq!(lines(src), Vec::<usize>::new());
    }

    #[test]
    fn writes_inside_macros_fire() {
        let src = r#"
fn f() {
    let r = format!("{:?}", std::fs::write("a", "b"));
    tracing::info!(result = ?std::fs::copy("pid", "pid.bak"), "copied");
}
"#;
        assert_eq!(lines(src), [3, 4]);
    }

    #[test]
    fn glob_imports_resolve() {
        let src = "use std::fs::*;\nfn f() { write(\"a\", \"b\").unwrap(); }\n";
        assert_eq!(lines(src), [2]);
    }

    #[test]
    fn fires_on_fs_extra_and_cap_std_dirs() {
        let src = r#"
use fs_extra::dir::{self, CopyOptions};
use cap_std::{ambient_authority, fs::Dir};

fn publish(files: &[&str]) -> anyhow::Result<()> {
    fs_extra::copy_items(files, "public", &CopyOptions::new())?;               // 6
    dir::create_all("public/assets", false)?;                                   // 7
    fs_extra::file::write_all("public/index.html", "<html>")?;                  // 8
    let root = Dir::open_ambient_dir("/var/lib/app", ambient_authority())?;
    root.write("state.json", b"{}")?;                                           // 10
    root.create_dir_all("cache")?;                                              // 11
    let text = root.read_to_string("config.toml")?;
    let size = fs_extra::dir::get_size("public")?;
    Ok(())
}
"#;
        assert_eq!(lines(src), [6, 8, 10]);
    }

    #[test]
    fn fires_on_embedded_file_databases() {
        let src = r#"
use rusqlite::{Connection, OpenFlags};
use sqlx::sqlite::{SqlitePool, SqliteConnectOptions};

const DB_URL: &str = "sqlite://data/app.db?mode=rwc";

async fn open() -> anyhow::Result<()> {
    let conn = Connection::open("app.db")?;                                     // 8
    let db = sled::open("data/sled")?;                                          // 9
    let db2 = sled::Config::new().path("data/sled2").open()?;                   // 10
    let rocks = rocksdb::DB::open_default("data/rocks")?;                       // 11
    let r = redb::Database::create("data/app.redb")?;                           // 12
    let pool = SqlitePool::connect(DB_URL).await?;                              // 13
    let opts = SqliteConnectOptions::new().filename("app.sqlite");              // 14
    Ok(())
}
"#;
        assert_eq!(lines(src), [8, 9, 10, 11, 12, 13, 14]);
    }

    #[test]
    fn in_memory_and_configured_databases_are_fine() {
        let src = r#"
use rusqlite::{Connection, OpenFlags};
use sqlx::sqlite::SqlitePool;

async fn open(url: &str) -> anyhow::Result<()> {
    let a = Connection::open_in_memory()?;
    let b = Connection::open(":memory:")?;
    let c = Connection::open_with_flags("ref.db", OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let d = sled::Config::new().temporary(true).open()?;
    let e = SqlitePool::connect("sqlite::memory:").await?;
    let f = SqlitePool::connect(&std::env::var("DATABASE_URL")?).await?;
    let g = sqlx::PgPool::connect("postgres://localhost/app").await?;
    let h = rocksdb::DB::open_for_read_only(&opts, "ref", false)?;
    let dir = tempfile::tempdir()?;
    let i = Connection::open(dir.path().join("scratch.db"))?;
    Ok(())
}
"#;
        assert_eq!(lines(src), Vec::<usize>::new());
    }

    #[test]
    fn persisted_temporary_files_fire() {
        let src = r#"
use std::io::Write;
use tempfile::{Builder, NamedTempFile, TempDir};

fn save(bytes: &[u8]) -> anyhow::Result<()> {
    let mut tmp = NamedTempFile::new_in("uploads")?;
    tmp.write_all(bytes)?;
    tmp.persist("uploads/avatar.png")?;                                         // 8
    let (_file, path) = NamedTempFile::new()?.keep()?;                          // 9
    let dir = TempDir::new()?.into_path();                                      // 10
    let b = Builder::new().prefix("x").keep(true).tempfile()?;
    let scratch = tempfile::tempdir()?;
    let t2 = NamedTempFile::new()?;
    t2.persist(scratch.path().join("out"))?;
    Ok(())
}
"#;
        assert_eq!(lines(src), [8, 9, 10]);
    }

    #[test]
    fn glob_imports_of_the_own_crate_do_not_hide_std_writes() {
        let src = r#"
mod fs { pub trait DavFileSystem {} }
mod localfs {
    use crate::fs::*;
    pub fn create(base: &std::path::Path) { std::fs::create_dir_all(base.join("cal")).unwrap(); }
}
"#;
        assert_eq!(lines(src), [5]);
    }

    #[test]
    fn a_crate_implementing_the_api_is_quiet() {
        let src = r#"
pub struct Config;
impl Config {
    pub fn new() -> Self { Config }
    pub fn path(self, _: &str) -> Self { self }
    pub fn open(self) -> Result<(), ()> { Ok(()) }
}
pub fn open(path: &str) -> Result<(), ()> { Config::new().path(path).open() }
mod db {
    use crate::*;
    pub fn open_db(path: &str) -> Result<(), ()> { Config::new().path(path).open() }
}
"#;
        let found = crate::test_support::check_rule_in(&FilesystemWrite, src, |p| p.name = "sled".into());
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn tempfile_fields_of_the_struct_are_scratch() {
        let src = r#"
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

impl Scratch {
    fn put(&self, body: &[u8]) -> std::io::Result<()> {
        fs::write(self.0.path().join("input"), body)
    }
}

pub struct Workspace {
    dir: tempfile::TempDir,
    log: NamedTempFile,
    keep: Option<TempDir>,
    root: PathBuf,
}

use tempfile::{NamedTempFile, TempDir};

struct Scratch(TempDir);

impl Workspace {
    pub fn write_input(&self, name: &str, body: &str) -> std::io::Result<()> {
        fs::write(self.dir.path().join(name), body)?;
        let out = self.dir.path().join("out");
        fs::create_dir_all(&out)?;
        let mut log = OpenOptions::new().append(true).open(self.log.path())?;
        writeln!(log, "{name}")?;
        let keep = self.keep.as_ref().expect("a kept directory");
        fs::write(keep.path().join("x"), body)?;
        fs::write(self.root.join("index.html"), body)                           // 32
    }
}

struct Site {
    dir: PathBuf,
}
impl Site {
    fn publish(&self) -> std::io::Result<()> {
        fs::write(self.dir.join("index.html"), "<html>")                         // 41
    }
}
"#;
        let found = check_rule_in(&FilesystemWrite, src, |p| {
            p.dependencies.push(
                serde_json::from_value(serde_json::json!({
                    "name": "tempfile", "req": "^3", "kind": null, "optional": false,
                    "uses_default_features": true, "features": [], "target": null, "rename": null,
                    "registry": null, "source": "registry+https://github.com/rust-lang/crates.io-index"
                }))
                .unwrap(),
            );
        });
        let at: Vec<usize> = found.iter().map(|d| d.span.start().line).collect();
        assert_eq!(at, [32, 41]);
    }

    #[test]
    fn tempfile_fields_declared_in_another_file_are_scratch() {
        let found = check_package_rule(
            &FilesystemWrite,
            "[dependencies]\ntempfile = \"3\"",
            &[
                (
                    "src/lib.rs",
                    "mod sandbox;\npub struct Sandbox {\n    pub(crate) dir: tempfile::TempDir,\n}\n",
                ),
                (
                    "src/sandbox.rs",
                    r#"
use crate::Sandbox;

impl Sandbox {
    pub fn stage(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        std::fs::write(self.dir.path().join(name), bytes)
    }
    pub fn export(&self, bytes: &[u8]) -> std::io::Result<()> {
        std::fs::write("export.bin", bytes)
    }
}
"#,
                ),
            ],
        );
        let at: Vec<(String, usize)> = found
            .iter()
            .map(|d| {
                (
                    d.span.file.path.file_name().unwrap().to_string_lossy().into_owned(),
                    d.span.start().line,
                )
            })
            .collect();
        assert_eq!(at, [("sandbox.rs".to_string(), 9)]);
    }

    #[test]
    fn removing_a_stale_socket_before_binding_it_is_fine() {
        let src = r#"
use std::fs;
use std::os::unix::net::UnixListener;
use std::path::Path;

pub fn serve(path: &Path) -> std::io::Result<()> {
    let _ = fs::remove_file(path);
    let listener = UnixListener::bind(path)?;
    for stream in listener.incoming() { handle(stream?); }
    Ok(())
}

pub async fn serve_tokio(socket_path: std::path::PathBuf) -> anyhow::Result<()> {
    if socket_path.exists() {
        tokio::fs::remove_file(&socket_path).await?;
    }
    let listener = tokio::net::UnixListener::bind(&socket_path)?;
    loop { let (stream, _) = listener.accept().await?; }
}

pub async fn serve_async_std(cfg: &Config) -> std::io::Result<()> {
    async_std::fs::remove_file(&cfg.socket).await.ok();
    let listener = async_std::os::unix::net::UnixListener::bind(&cfg.socket).await?;
    Ok(())
}

pub fn other_path(path: &Path, old: &Path) -> std::io::Result<()> {
    fs::remove_file(old)?;                                                   // 28
    let listener = UnixListener::bind(path)?;
    Ok(())
}

pub fn cleanup(path: &Path) {
    let _ = fs::remove_file(path);                                           // 34
}

pub fn create_admin_sock(sock_path: &str) -> std::io::Result<()> {
    rm_if_exist(sock_path);
    let listener = UnixListener::bind(sock_path)?;
    Ok(())
}

fn rm_if_exist(p: &str) {
    let _ = std::fs::remove_file(p);
}

pub fn bind_then_remove(path: &Path) -> std::io::Result<()> {
    let listener = UnixListener::bind(path)?;
    fs::remove_file(path)?;                                                  // 49
    Ok(())
}
"#;
        // Deleting a file makes no state, socket or not.
        assert_eq!(lines(src), Vec::<usize>::new());
    }

    #[test]
    fn sqlite_as_one_configured_backend_read_only_opens_and_log_files_are_not_reported() {
        let src = r#"
use diesel::Connection;

pub struct DbPool { database_url: String }

impl DbPool {
    pub fn connect(&self) -> anyhow::Result<()> {
        if self.database_url.starts_with("postgresql:") {
            let _conn = diesel::pg::PgConnection::establish(&self.database_url)?;
        } else {
            let _conn = diesel::sqlite::SqliteConnection::establish(&self.database_url)?;
        }
        Ok(())
    }
}

pub fn backup(file_path: &str) -> anyhow::Result<()> {
    let _conn = diesel::sqlite::SqliteConnection::establish(&format!("sqlite://{file_path}?mode=ro"))?;
    Ok(())
}

pub fn local() -> anyhow::Result<()> {
    let _conn = diesel::sqlite::SqliteConnection::establish("sqlite://data/app.db")?;    // 23
    Ok(())
}

pub fn validate(log_file: &Option<String>) -> bool {
    log_file.as_ref().is_none_or(|log_file| {
        std::fs::OpenOptions::new().append(true).create(true).open(log_file).is_ok()
    })
}
"#;
        let with_postgres = crate::test_support::check_rule_in(&FilesystemWrite, src, |p| {
            p.features.insert("postgresql".into(), vec!["diesel/postgres".into()]);
            p.features.insert("sqlite".into(), vec!["diesel/sqlite".into()]);
        });
        assert_eq!(lines_of(&with_postgres), [23]);
        // Without another backend, the configured SQLite file is the state.
        assert_eq!(lines(src), [11, 23]);
    }

    #[test]
    fn managing_a_socket_file_is_not_storing_data() {
        let src = r#"
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub async fn serve_uds(socket_path: PathBuf, mode: Option<u32>) -> anyhow::Result<()> {
    let listener = bind_unix(&socket_path, mode)?;
    loop {
        tokio::select! {
            conn = listener.accept() => { let _ = conn?; }
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    // Best-effort socket file cleanup.
    if let Err(err) = tokio::fs::remove_file(&socket_path).await {
        tracing::warn!("failed to remove unix socket file: {err}");
    }
    Ok(())
}

fn bind_unix(path: &Path, mode: Option<u32>) -> anyhow::Result<tokio::net::UnixListener> {
    let listener = tokio::net::UnixListener::bind(path)?;
    if let Some(bits) = mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(bits))?;
    }
    Ok(listener)
}

pub async fn save(upload: &Path) -> std::io::Result<()> {
    tokio::fs::write(upload, b"data").await                                    // 29
}
"#;
        assert_eq!(lines(src), [29]);
    }

    #[test]
    fn writes_in_lazy_initializers_fire() {
        let src = r#"
use std::fs;
use std::path::PathBuf;
use std::sync::LazyLock;
use once_cell::sync::Lazy;
use lazy_static::lazy_static;

static DATA_DIR: Lazy<PathBuf> = Lazy::new(|| {
    let dir = PathBuf::from("data");
    fs::create_dir_all(&dir).expect("data dir");                            // 10
    dir
});

pub static UPLOADS: LazyLock<PathBuf> = LazyLock::new(|| {
    std::fs::create_dir_all("uploads").unwrap();                            // 15
    PathBuf::from("uploads")
});

lazy_static! {
    static ref CACHE_DIR: PathBuf = {
        fs::create_dir_all("cache").unwrap();                               // 21
        PathBuf::from("cache")
    };
    static ref LOG: std::fs::File = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open("app.log")                                                    // 27
        .unwrap();
    static ref SCRATCH: PathBuf = std::env::temp_dir().join("app");
    static ref TOKEN: String = std::fs::read_to_string("token").unwrap_or_default();
}
"#;
        // The log file is the state; the directories are reported where
        // they are all there is.
        assert_eq!(lines(src), [27]);
        let without_files = src.replace(".create(true)\n        .append(true)\n        ", "");
        assert_eq!(lines(&without_files), [10, 15, 21]);
    }

    #[test]
    fn sqlite_file_defaults_in_attributes_fire() {
        let src = r###"
use clap::Parser;
use derive_builder::Builder;
use serde::Deserialize;

#[derive(Builder)]
pub struct Store {
    #[builder(default = r#"String::from("sqlite://users.db?mode=rwc")"#)]     // 8
    url: String,
    #[builder(setter(into), default = "String::from(\"sqlite::memory:\")")]
    cache_url: String,
    #[builder(default = "\"sqlite://file.db?mode=memory&cache=shared\".into()")]
    shared: String,
}

#[derive(Parser)]
struct Args {
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data.db")]  // 18
    database_url: String,
    #[arg(long, default_value = "postgres://db.internal/app")]
    replica_url: String,
}

#[derive(Deserialize, SmartDefault)]
struct Settings {
    #[serde(default = "default_database_url")]
    database_url: String,
    #[default = "sqlite:app.sqlite"]                                          // 28
    events_url: String,
    #[cfg(test)]
    #[default = "sqlite://test.db"]
    test_url: String,
}
"###;
        assert_eq!(lines(src), [8, 18, 28]);
        let found = check_rule(&FilesystemWrite, src);
        assert_eq!(
            found[0].message,
            "the default `sqlite://users.db?mode=rwc` of `url` keeps a database in a local file"
        );
    }
}

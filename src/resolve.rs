//! Name resolution from imports: turns the paths written in a file into
//! canonical paths such as `std::fs::write` or `tokio::net::TcpListener::bind`.
//!
//! This is syntax-only: it knows `use` declarations (aliases, groups, globs,
//! `self`/`super`/`crate`), `extern crate` renames and the items a module
//! defines, scoped the way Rust scopes them (a block sees its module's names,
//! an inline module does not, unless it says `use super::*`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScopeKind {
    Module,
    Block,
}

#[derive(Debug)]
struct Scope {
    kind: ScopeKind,
    /// Full path of the module this scope belongs to, crate name first.
    module: Vec<String>,
    names: HashMap<String, Vec<String>>,
    globs: Vec<Vec<String>>,
    /// `use super::*`: names of the parent module are visible.
    inherits_parent: bool,
}

/// The names a module file declares at its top level, for the files of
/// its child modules: `pub(crate) use std::fs;` in `lib.rs` makes
/// `crate::fs::write` (and `fs::write` after `use crate::*`) mean
/// `std::fs::write` everywhere in the crate.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Exports {
    module: Vec<String>,
    /// Written sorted, so that equal exports are equal bytes (the cache
    /// keys a child file by its ancestors' exports).
    #[serde(serialize_with = "sorted")]
    names: HashMap<String, Vec<String>>,
}

fn sorted<S: serde::Serializer>(names: &HashMap<String, Vec<String>>, s: S) -> Result<S::Ok, S::Error> {
    let sorted: std::collections::BTreeMap<&String, &Vec<String>> = names.iter().collect();
    serde::Serialize::serialize(&sorted, s)
}

impl Context {
    /// The context of a child module of a file with this context whose own
    /// top-level names are `exports` ([`Resolver::exports`]).
    pub fn child(&self, exports: Arc<Exports>) -> Context {
        let mut ancestors = (*self.ancestors).clone();
        ancestors.push(exports);
        Context {
            ancestors: Arc::new(ancestors),
            renames: self.renames.clone(),
        }
    }
}

/// What a file's resolver knows from outside the file.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Top-level names of the ancestor module files, root first.
    pub ancestors: Arc<Vec<Arc<Exports>>>,
    /// Renamed dependencies (`tokio1 = { package = "tokio" }`): the name
    /// used in code to the crate's own name.
    pub renames: Arc<HashMap<String, String>>,
}

/// Per-file resolver; the engine pushes and pops scopes as it walks.
#[derive(Debug)]
pub struct Resolver {
    scopes: Vec<Scope>,
    context: Context,
}

impl Resolver {
    /// `module` is the file's module path, crate name first
    /// (`["my_app", "db"]` for `src/db.rs`).
    pub fn new(module: Vec<String>, items: &[syn::Item]) -> Self {
        Self::with_context(module, items, Context::default())
    }

    pub fn with_context(module: Vec<String>, items: &[syn::Item], context: Context) -> Self {
        let mut r = Self {
            scopes: Vec::new(),
            context,
        };
        r.push_scope(ScopeKind::Module, module, items.iter());
        r
    }

    /// The context for files of modules this file declares: the ancestors'
    /// names and this file's top-level names.
    pub fn child_context(&self) -> Context {
        self.context.child(Arc::new(self.exports()))
    }

    /// The file's top-level names, as its child modules see them.
    pub fn exports(&self) -> Exports {
        let root = &self.scopes[0];
        Exports {
            module: root.module.clone(),
            names: root.names.clone(),
        }
    }

    /// Rewrites an absolute path through renamed dependencies and names
    /// that ancestor modules import (`app::fs::write` → `std::fs::write`).
    fn canonical(&self, mut path: Vec<String>) -> String {
        if let Some(krate) = path.first().and_then(|f| self.context.renames.get(f)) {
            path[0] = krate.clone();
        }
        let root = &self.scopes[0];
        let scopes = self.context.ancestors.iter().map(|ex| (&ex.module, &ex.names));
        let scopes = scopes.chain(std::iter::once((&root.module, &root.names)));
        for _ in 0..4 {
            let step = scopes.clone().find_map(|(module, names)| {
                let n = module.len();
                let target = path
                    .get(n)
                    .filter(|_| path.starts_with(module))
                    .and_then(|name| names.get(name))?;
                let mut next = target.clone();
                next.extend_from_slice(&path[n + 1..]);
                (next != path).then_some(next)
            });
            match step {
                Some(next) => path = next,
                None => break,
            }
        }
        path.join("::")
    }

    /// Enters an inline `mod name { .. }`.
    pub fn push_module(&mut self, name: &str, items: &[syn::Item]) {
        let mut module = self.current_module().to_vec();
        module.push(name.to_string());
        self.push_scope(ScopeKind::Module, module, items.iter());
    }

    /// Enters a block; only its item statements declare names.
    pub fn push_block(&mut self, block: &syn::Block) {
        let module = self.current_module().to_vec();
        let items = block.stmts.iter().filter_map(|s| match s {
            syn::Stmt::Item(item) => Some(item),
            _ => None,
        });
        self.push_scope(ScopeKind::Block, module, items);
    }

    pub fn pop(&mut self) {
        if self.scopes.len() > 1 {
            self.scopes.pop();
        }
    }

    pub fn current_module(&self) -> &[String] {
        &self.scopes.last().expect("root scope").module
    }

    pub fn crate_name(&self) -> &str {
        &self.current_module()[0]
    }

    /// Canonical candidates for a path, best first. The first is the answer
    /// when the path resolves through an explicit name; glob imports add
    /// alternatives because a syntax-only resolver cannot know what a glob
    /// brings in.
    pub fn resolve(&self, path: &syn::Path) -> Vec<String> {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if path.leading_colon.is_some() {
            return vec![self.canonical(segments)];
        }
        self.resolve_segments(&segments)
    }

    pub fn resolve_segments(&self, segments: &[String]) -> Vec<String> {
        let Some(first) = segments.first() else {
            return Vec::new();
        };
        if let Some(abs) = self.relative_to_module(segments) {
            return vec![self.canonical(abs)];
        }
        let mut globs = Vec::new();
        for scope in self.visible_scopes() {
            if let Some(target) = scope.names.get(first.as_str()) {
                let mut full = target.clone();
                full.extend_from_slice(&segments[1..]);
                return vec![self.canonical(full)];
            }
            globs.extend(scope.globs.iter());
        }
        let mut out = vec![self.canonical(segments.to_vec())];
        for glob in globs {
            let mut full = glob.clone();
            full.extend_from_slice(segments);
            let candidate = self.canonical(full);
            if !out.contains(&candidate) {
                out.push(candidate);
            }
        }
        out
    }

    /// Resolves `crate::`, `self::` and `super::` paths.
    fn relative_to_module(&self, segments: &[String]) -> Option<Vec<String>> {
        let module = self.current_module();
        match segments[0].as_str() {
            "crate" => {
                let mut out = vec![module[0].clone()];
                out.extend_from_slice(&segments[1..]);
                Some(out)
            }
            "self" | "super" => {
                let mut out = module.to_vec();
                let mut rest = segments;
                if rest[0] == "self" {
                    rest = &rest[1..];
                }
                while rest.first().is_some_and(|s| s == "super") {
                    if out.len() > 1 {
                        out.pop();
                    }
                    rest = &rest[1..];
                }
                out.extend_from_slice(rest);
                Some(out)
            }
            _ => None,
        }
    }

    /// Scopes whose names are visible here, innermost first.
    fn visible_scopes(&self) -> impl Iterator<Item = &Scope> {
        let mut open = true;
        self.scopes.iter().rev().filter(move |scope| {
            let visible = open;
            if scope.kind == ScopeKind::Module && !scope.inherits_parent {
                open = false;
            }
            visible
        })
    }

    fn push_scope<'a>(&mut self, kind: ScopeKind, module: Vec<String>, items: impl Iterator<Item = &'a syn::Item>) {
        self.scopes.push(Scope {
            kind,
            module,
            names: HashMap::new(),
            globs: Vec::new(),
            inherits_parent: false,
        });
        let mut uses = Vec::new();
        for item in items {
            match item {
                syn::Item::Use(u) => uses.push(u),
                // `include!("opt.rs");` brings items this syntax does not
                // see: a name may be one of this module's.
                syn::Item::Macro(m) if m.mac.path.is_ident("include") => {
                    let module = self.current_module().to_vec();
                    self.scopes.last_mut().expect("scope").globs.push(module);
                }
                syn::Item::ExternCrate(e) => {
                    if let Some((_, rename)) = &e.rename {
                        let name = rename.to_string();
                        if name != "_" {
                            self.declare(name, vec![e.ident.to_string()]);
                        }
                    }
                }
                other => {
                    if let Some(ident) = item_name(other) {
                        let mut full = self.current_module().to_vec();
                        full.push(ident.clone());
                        self.declare(ident, full);
                    }
                }
            }
        }
        // Uses may refer to each other (`use std::fs; use fs::File;`), so
        // declare them after the items, then settle the ones whose first
        // segment is a name declared later (`use fs::File; use fs_err as fs;`).
        let items: HashSet<String> = self.scopes.last().expect("scope").names.keys().cloned().collect();
        for u in uses {
            let prefix = if u.leading_colon.is_some() {
                Some(Vec::new())
            } else {
                None
            };
            self.add_use_tree(prefix, &u.tree);
        }
        let scope = self.scopes.last_mut().expect("scope");
        for _ in 0..4 {
            let updates: Vec<(String, Vec<String>)> = scope
                .names
                .iter()
                .filter(|(name, _)| !items.contains(*name))
                .filter_map(|(name, target)| {
                    let first = scope.names.get(&target[0]).filter(|_| target[0] != **name)?;
                    (first[0] != target[0]).then(|| {
                        let mut next = first.clone();
                        next.extend_from_slice(&target[1..]);
                        (name.clone(), next)
                    })
                })
                .collect();
            if updates.is_empty() {
                break;
            }
            for (name, target) in updates {
                scope.names.insert(name, target);
            }
        }
    }

    fn declare(&mut self, name: String, target: Vec<String>) {
        self.scopes.last_mut().expect("scope").names.insert(name, target);
    }

    /// `prefix` is `None` at the start of a path that still needs resolving,
    /// `Some` once it is absolute.
    fn add_use_tree(&mut self, prefix: Option<Vec<String>>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                let next = self.extend_prefix(prefix, p.ident.to_string());
                self.add_use_tree(Some(next), &p.tree);
            }
            syn::UseTree::Name(n) => {
                let name = n.ident.to_string();
                if name == "self" {
                    if let Some(prefix) = prefix
                        && let Some(last) = prefix.last().cloned()
                    {
                        self.declare(last, prefix);
                    }
                } else {
                    let full = self.extend_prefix(prefix, name.clone());
                    self.declare(name, full);
                }
            }
            syn::UseTree::Rename(r) => {
                let alias = r.rename.to_string();
                if alias == "_" {
                    return;
                }
                let full = if r.ident == "self" {
                    prefix.unwrap_or_default()
                } else {
                    self.extend_prefix(prefix, r.ident.to_string())
                };
                self.declare(alias, full);
            }
            syn::UseTree::Glob(_) => {
                let glob = prefix.unwrap_or_default();
                let scope = self.scopes.last_mut().expect("scope");
                let parent = &scope.module[..scope.module.len().saturating_sub(1)];
                if scope.kind == ScopeKind::Module && scope.module.len() > 1 && glob == parent {
                    scope.inherits_parent = true;
                }
                scope.globs.push(glob);
            }
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    self.add_use_tree(prefix.clone(), tree);
                }
            }
        }
    }

    fn extend_prefix(&self, prefix: Option<Vec<String>>, segment: String) -> Vec<String> {
        match prefix {
            Some(mut p) => {
                p.push(segment);
                p
            }
            None => match self.relative_to_module(std::slice::from_ref(&segment)) {
                Some(abs) => abs,
                None => {
                    // `use fs::File` after `use std::fs`: uniform paths.
                    let top = self.scopes.last().expect("scope");
                    match top.names.get(&segment) {
                        Some(target) if target.len() > 1 || target[0] != segment => target.clone(),
                        _ => vec![segment],
                    }
                }
            },
        }
    }
}

fn item_name(item: &syn::Item) -> Option<String> {
    let ident = match item {
        syn::Item::Fn(i) => &i.sig.ident,
        syn::Item::Struct(i) => &i.ident,
        syn::Item::Enum(i) => &i.ident,
        syn::Item::Mod(i) => &i.ident,
        syn::Item::Const(i) => &i.ident,
        syn::Item::Static(i) => &i.ident,
        syn::Item::Type(i) => &i.ident,
        syn::Item::Trait(i) => &i.ident,
        syn::Item::Union(i) => &i.ident,
        _ => return None,
    };
    Some(ident.to_string())
}

/// Macros of the standard library's prelude, resolved to `std::name` when
/// not imported from elsewhere.
const STD_MACROS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "cfg",
    "column",
    "compile_error",
    "concat",
    "dbg",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "env",
    "eprint",
    "eprintln",
    "file",
    "format",
    "format_args",
    "include",
    "include_bytes",
    "include_str",
    "line",
    "matches",
    "module_path",
    "option_env",
    "panic",
    "print",
    "println",
    "stringify",
    "todo",
    "unimplemented",
    "unreachable",
    "vec",
    "write",
    "writeln",
];

/// Canonical candidates for a macro path. `core::` and `alloc::` macros are
/// the `std::` ones, and prelude macros are `std::` ones unless imported.
pub fn resolve_macro(resolver: &Resolver, path: &syn::Path) -> Vec<String> {
    let mut paths = resolver.resolve(path);
    if let Some(ident) = path.get_ident() {
        let name = ident.to_string();
        if paths[0] == name && STD_MACROS.contains(&name.as_str()) {
            paths[0] = format!("std::{name}");
        }
    }
    for p in &mut paths {
        for prefix in ["core::", "alloc::"] {
            if let Some(rest) = p.strip_prefix(prefix) {
                *p = format!("std::{rest}");
            }
        }
    }
    paths
}

/// Splits an identifier, a header or an env var name into lowercase words:
/// `clientSecret`, `CLIENT_SECRET`, `client-secret`, `X-Api-Key`.
pub fn words(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let boundary = c.is_ascii_uppercase()
            && i > 0
            && (chars[i - 1].is_ascii_lowercase()
                || (chars[i - 1].is_ascii_uppercase() && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase())));
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver(src: &str) -> Resolver {
        let file: syn::File = syn::parse_str(src).unwrap();
        Resolver::new(vec!["app".into(), "db".into()], &file.items)
    }

    fn first(r: &Resolver, path: &str) -> String {
        r.resolve(&syn::parse_str(path).unwrap()).remove(0)
    }

    #[test]
    fn aliases_groups_and_self() {
        let r = resolver(
            "use std::fs::{self, File as F, OpenOptions};
             use tokio::net::TcpListener as Listener;
             use std::{io::{self as stdio}, env};",
        );
        assert_eq!(first(&r, "fs::write"), "std::fs::write");
        assert_eq!(first(&r, "F::create"), "std::fs::File::create");
        assert_eq!(first(&r, "OpenOptions::new"), "std::fs::OpenOptions::new");
        assert_eq!(first(&r, "Listener::bind"), "tokio::net::TcpListener::bind");
        assert_eq!(first(&r, "stdio::stdout"), "std::io::stdout");
        assert_eq!(first(&r, "env::var"), "std::env::var");
        assert_eq!(first(&r, "std::fs::write"), "std::fs::write");
        assert_eq!(first(&r, "::std::fs::write"), "std::fs::write");
    }

    #[test]
    fn crate_self_super_and_local_items() {
        let r = resolver("use super::config::Settings; use self::pool::make; fn helper() {}");
        assert_eq!(first(&r, "crate::store::save"), "app::store::save");
        assert_eq!(first(&r, "self::query"), "app::db::query");
        assert_eq!(first(&r, "super::super::x"), "app::x");
        assert_eq!(first(&r, "Settings::load"), "app::config::Settings::load");
        assert_eq!(first(&r, "make"), "app::db::pool::make");
        assert_eq!(first(&r, "helper"), "app::db::helper");
    }

    #[test]
    fn globs_give_alternatives() {
        let r = resolver("use std::fs::*;");
        assert_eq!(
            r.resolve(&syn::parse_str("write").unwrap()),
            vec!["write", "std::fs::write"]
        );
    }

    #[test]
    fn uniform_paths_and_extern_crate() {
        let r = resolver("use std::fs; use fs::File; extern crate tokio as rt;");
        assert_eq!(first(&r, "File::open"), "std::fs::File::open");
        assert_eq!(first(&r, "rt::fs::write"), "tokio::fs::write");
    }

    #[test]
    fn inline_modules_do_not_inherit_unless_super_glob() {
        let mut r = resolver("use std::fs;");
        let inner: syn::File = syn::parse_str("fn t() {}").unwrap();
        r.push_module("plain", &inner.items);
        assert_eq!(first(&r, "fs::write"), "fs::write");
        r.pop();
        let tests: syn::File = syn::parse_str("use super::*;").unwrap();
        r.push_module("tests", &tests.items);
        assert_eq!(first(&r, "fs::write"), "std::fs::write");
    }

    #[test]
    fn use_order_does_not_matter() {
        let r = resolver("use fs::{File, OpenOptions};\nuse fs_err as fs;");
        assert_eq!(first(&r, "File::create"), "fs_err::File::create");
        assert_eq!(first(&r, "fs::write"), "fs_err::write");
    }

    #[test]
    fn ancestor_reexports_and_renamed_crates() {
        let root: syn::File = syn::parse_str("pub(crate) use std::{fs::{self, File}, io};\nmod search;").unwrap();
        let context = Context {
            renames: Arc::new([("tokio1".to_string(), "tokio".to_string())].into_iter().collect()),
            ..Context::default()
        };
        let lib = Resolver::with_context(vec!["just".into()], &root.items, context);
        let child: syn::File = syn::parse_str("use super::*;\nuse crate::fs as cfs;").unwrap();
        let r = Resolver::with_context(vec!["just".into(), "search".into()], &child.items, lib.child_context());
        assert!(
            r.resolve(&syn::parse_str("fs::write").unwrap())
                .contains(&"std::fs::write".to_string())
        );
        assert_eq!(first(&r, "crate::fs::write"), "std::fs::write");
        assert_eq!(first(&r, "cfs::write"), "std::fs::write");
        assert!(
            r.resolve(&syn::parse_str("File::create").unwrap())
                .contains(&"std::fs::File::create".to_string())
        );
        assert_eq!(first(&r, "tokio1::fs::write"), "tokio::fs::write");
    }

    #[test]
    fn block_scopes_see_module_names() {
        let mut r = resolver("use std::fs;");
        let block: syn::Block = syn::parse_str("{ use tokio::fs as afs; }").unwrap();
        r.push_block(&block);
        assert_eq!(first(&r, "fs::write"), "std::fs::write");
        assert_eq!(first(&r, "afs::write"), "tokio::fs::write");
        r.pop();
        assert_eq!(first(&r, "afs::write"), "afs::write");
    }
}

//! The single pass over a file's syntax tree. It keeps the context rules ask
//! for (imports, test code, enclosing items, local bindings) and calls every
//! enabled rule at each call, macro, literal and item.

use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;
use std::sync::Arc;

use syn::visit::{self, Visit};

mod record;

pub use record::path_key;

use record::is_subcommand_enum;

use super::model::FileFacts;
use super::{Cx, Fact, Job, PackageCx, Rule, has_cfg_test, is_test_fn};
use crate::diagnostic::Diagnostic;
use crate::resolve::{Resolver, resolve_macro};
use crate::source::SourceFile;
use crate::source::cfg::off_deploy_platform;
use crate::source::macros::{self, MacroCache};
use crate::source::spans;
use crate::workspace::TargetKind;

/// How many macros deep bodies are parsed as code. Each nested body is
/// parsed on its own, at the cost of its size, so this bounds the work on
/// `format!` nested thousands deep to this many passes over the text.
const MAX_PARSED_MACRO_DEPTH: usize = 24;

/// A method applied in a chain: `.append(true)` is `append` with
/// `bool_arg` `Some(true)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub name: String,
    pub bool_arg: Option<bool>,
}

/// The chain a method call ends: its root call and the methods applied
/// since, in order. `fs::OpenOptions::new().append(true).open(p)` has root
/// `std::fs::OpenOptions::new` and steps `append(true)`, `open`.
#[derive(Debug, Clone, Default)]
pub struct Chain {
    /// Canonical candidates for the function that made the value.
    pub root: Vec<String>,
    /// The root call's first argument, when it is a string literal:
    /// `JWT_SECRET` for `let s = env::var("JWT_SECRET"); s.unwrap_or(..)`.
    pub root_str: Option<String>,
    pub steps: Steps,
}

/// The steps of a chain, in order: a prefix of a list shared by the chains
/// of every call in `x.a().b().c()`, so a chain of n calls costs n steps,
/// not n²/2.
#[derive(Clone, Default)]
pub struct Steps {
    all: Arc<[Step]>,
    len: usize,
}

impl Steps {
    /// The first `len` steps, sharing the list.
    fn prefix(&self, len: usize) -> Self {
        Self {
            all: self.all.clone(),
            len: len.min(self.len),
        }
    }
}

impl From<Vec<Step>> for Steps {
    fn from(steps: Vec<Step>) -> Self {
        Self {
            len: steps.len(),
            all: steps.into(),
        }
    }
}

impl std::ops::Deref for Steps {
    type Target = [Step];
    fn deref(&self) -> &[Step] {
        &self.all[..self.len]
    }
}

impl std::fmt::Debug for Steps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Chain {
    pub fn root_is(&self, table: &[&str]) -> bool {
        self.root.iter().any(|r| table.contains(&r.as_str()))
    }

    /// Whether some step is one of `names` called with `true` (or no
    /// argument, as `.create_new()` builders do).
    pub fn has_enabled_step(&self, names: &[&str]) -> bool {
        self.steps
            .iter()
            .any(|s| names.contains(&s.name.as_str()) && s.bool_arg != Some(false))
    }
}

/// A macro invocation as rules see it.
pub struct MacroCall<'a> {
    pub mac: &'a syn::Macro,
    /// Canonical candidates: `std::env` for `env!`, `tracing::info` for an
    /// imported `info!`.
    pub paths: &'a [String],
    /// The arguments, when the macro takes expressions.
    pub args: Option<&'a [syn::Expr]>,
}

impl MacroCall<'_> {
    pub fn is(&self, table: &[&str]) -> bool {
        self.paths.iter().any(|p| table.contains(&p.as_str()))
    }

    /// The first argument when it is a string literal.
    pub fn first_str(&self) -> Option<&syn::LitStr> {
        match self.args?.first()? {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s), ..
            }) => Some(s),
            _ => None,
        }
    }
}

/// A call as rules see it.
pub struct Call<'a> {
    /// The `ExprCall` or `ExprMethodCall`.
    pub expr: &'a syn::Expr,
    /// For a path call, canonical candidates for the callee; empty for
    /// method calls.
    pub paths: Vec<String>,
    /// For a method call, the method name.
    pub method: Option<&'a syn::Ident>,
    /// For a method call, the chain it ends (this method included as the
    /// last step).
    pub chain: Chain,
    pub args: Vec<&'a syn::Expr>,
}

impl Call<'_> {
    /// Whether the callee is one of the canonical paths in `table`.
    pub fn is(&self, table: &[&str]) -> bool {
        self.paths.iter().any(|p| table.contains(&p.as_str()))
    }

    /// The first canonical path in `table` the callee matches.
    pub fn matched<'t>(&self, table: &[&'t str]) -> Option<&'t str> {
        self.paths.iter().find_map(|p| table.iter().find(|t| **t == p).copied())
    }
}

/// A call whose argument the visitor is in: `connect` with `arg` 0 while
/// visiting `"postgres://.."` in `PgPool::connect("postgres://..")`.
#[derive(Debug, Clone, Default)]
pub struct CallFrame {
    /// For a path call, canonical candidates for the callee.
    pub paths: Vec<String>,
    /// For a method call, the method name.
    pub method: Option<String>,
    /// For a method call, the chain it ends.
    pub chain: Chain,
    /// The index of the argument being visited.
    pub arg: usize,
    /// The first argument, when it is a string literal
    /// (`.set("bootstrap.servers", ..)`).
    pub first_str: Option<String>,
    /// How many macros enclose the call: a node whose
    /// [`Cx::macro_stack`](super::Cx::macro_stack) is deeper is inside a
    /// macro in the argument (`connect(env!("URL"))`).
    pub macro_depth: usize,
}

impl CallFrame {
    /// Whether the callee is one of the canonical paths in `table`.
    pub fn is(&self, table: &[&str]) -> bool {
        self.paths.iter().any(|p| table.contains(&p.as_str()))
    }
}

#[derive(Debug, Clone, Default)]
struct Binding {
    chain: Chain,
    sources: BTreeSet<String>,
    /// The initializer, for rules that look through a local
    /// (`let addr = ([0, 0, 0, 0], 8080); bind(addr)`).
    init: Option<Rc<syn::Expr>>,
}

pub(super) struct State {
    pub resolver: Resolver,
    pub kind: TargetKind,
    test_depth: usize,
    base_test: bool,
    /// Inside code for another platform than the deploy's
    /// (`#[cfg(windows)]`), here or in the declaring module.
    off_platform_depth: usize,
    base_off_platform: bool,
    pub fns: Vec<String>,
    /// Canonical paths of the enclosing functions, innermost last.
    pub fn_paths: Vec<String>,
    /// Self types of the enclosing `impl` blocks, innermost last.
    impl_types: Vec<String>,
    /// Whether each enclosing `impl` is a trait `impl`.
    trait_impls: Vec<bool>,
    pub items: Vec<String>,
    /// `const` and `static` initializers of this file by canonical path.
    consts: HashMap<String, syn::Expr>,
    /// `type Name = ..;` aliases of this file without generics, by path.
    type_aliases: HashMap<String, syn::Type>,
    /// Struct field and variant types of this file (see [`index_fields`]).
    fields: HashMap<String, syn::Path>,
    /// The binding each dispatching arm around the node takes apart, with
    /// its variant's type (`client: client::Cmd` in
    /// `Self::Client(client) =>`), innermost last.
    pub arm_bindings: Vec<Option<(String, syn::Path)>>,
    pub macros: Vec<String>,
    /// The calls whose arguments enclose the node, innermost last.
    pub calls: Vec<CallFrame>,
    bindings: HashMap<String, Binding>,
    /// Parsed macro bodies, shared with module discovery, so a macro is
    /// parsed once even when binding provenance looks into it again.
    macros_parsed: Rc<MacroCache>,
    /// Canonical paths of the enclosing functions, `static`s and `const`s:
    /// the service model's node the code belongs to.
    pub owners: Vec<String>,
    /// The dispatching `match` arms around the node, innermost last
    /// (indices into the file's [`FileFacts::arms`]).
    arms: Vec<usize>,
    /// How many opt-in branches (`if config.json_db { .. }`) are around the
    /// node.
    opt_in: usize,
    /// How many branches around the node are the local fallback of an
    /// object-store setting (the `else` of `if CONFIG.s3.is_some()`).
    pub local_fallback: usize,
    /// Paths whose absence the branches around the node check (the `else`
    /// of `if config_file.exists()`): what is written there is a first-run
    /// default.
    pub missing: Vec<String>,
    /// The chains of method calls whose receiver chain was already
    /// followed from an outer call, by the call's node: each is used once,
    /// when the pass reaches the call.
    receiver_chains: HashMap<*const syn::Expr, Chain>,
}

impl State {
    /// The initializer of a `const` or `static` of this file that `path`
    /// names.
    pub fn const_init(&self, path: &syn::Path) -> Option<&syn::Expr> {
        self.resolver.resolve(path).iter().find_map(|p| self.consts.get(p))
    }

    /// What a `type` alias of this file named by `path` stands for.
    pub fn type_alias(&self, path: &syn::Path) -> Option<&syn::Type> {
        self.resolver
            .resolve(path)
            .iter()
            .find_map(|p| self.type_aliases.get(p))
    }

    /// The type of `self.field` inside an `impl` of a struct of this file,
    /// or of an enum variant's one field (`field` is the variant).
    pub fn field_type(&self, ty: &str, field: &str) -> Option<&syn::Path> {
        self.fields.get(&format!("{ty}::{field}"))
    }

    /// The canonical path of the enclosing `impl`'s type.
    pub fn self_type(&self) -> Option<String> {
        let ty = self.impl_types.last().filter(|t| *t != "_")?;
        Some(format!("{}::{ty}", self.resolver.current_module().join("::")))
    }

    /// The type of a binding a dispatching arm around the node takes
    /// apart.
    pub fn arm_binding(&self, name: &str) -> Option<&syn::Path> {
        self.arm_bindings
            .iter()
            .rev()
            .flatten()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p)
    }

    pub fn in_test(&self) -> bool {
        self.base_test || self.test_depth > 0
    }

    /// Whether the code here is compiled out on the deploy platform.
    pub fn off_platform(&self) -> bool {
        self.base_off_platform || self.off_platform_depth > 0
    }

    /// The initializer of the local `let name = ..` of the enclosing
    /// function, as last bound before this point.
    pub fn local_init(&self, name: &str) -> Option<&syn::Expr> {
        self.bindings.get(name)?.init.as_deref()
    }

    /// Canonical paths of calls whose value flows into `expr`.
    pub fn sources(&self, expr: &syn::Expr) -> BTreeSet<String> {
        struct Collect<'s> {
            state: &'s State,
            out: BTreeSet<String>,
            macros: usize,
        }
        impl<'ast> Visit<'ast> for Collect<'_> {
            fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
                if let syn::Expr::Path(p) = &*call.func {
                    self.out.extend(self.state.resolver.resolve(&p.path));
                }
                visit::visit_expr_call(self, call);
            }
            fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
                if let Some(ident) = p.path.get_ident()
                    && let Some(b) = self.state.bindings.get(&ident.to_string())
                {
                    self.out.extend(b.sources.iter().cloned());
                }
            }
            fn visit_macro(&mut self, mac: &'ast syn::Macro) {
                if self.macros >= MAX_PARSED_MACRO_DEPTH {
                    return;
                }
                self.macros += 1;
                if let Some(args) = &self.state.macros_parsed.get(mac).args {
                    for arg in args {
                        self.visit_expr(arg);
                    }
                }
                self.macros -= 1;
            }
        }
        let mut c = Collect {
            state: self,
            out: BTreeSet::new(),
            macros: 0,
        };
        c.visit_expr(expr);
        c.out
    }

    /// The chain that ends in `expr`, following local bindings. With
    /// `keep`, the chains of the method calls inside it (its receivers) are
    /// kept for the pass to reach them, as prefixes of this one.
    fn chain_of(&mut self, expr: &syn::Expr, keep: bool) -> Chain {
        if let Some(chain) = self.receiver_chains.remove(&(expr as *const syn::Expr)) {
            return chain;
        }
        let top = expr as *const syn::Expr;
        let mut expr = expr;
        let mut steps = Vec::new();
        let mut root = Vec::new();
        let mut root_str = None;
        // The method calls on the way down, by how many steps they end.
        let mut inner: Vec<(*const syn::Expr, usize)> = Vec::new();
        loop {
            match expr {
                syn::Expr::MethodCall(m) => {
                    if keep && !std::ptr::eq(expr, top) {
                        inner.push((expr, steps.len()));
                    }
                    steps.push(step(m));
                    expr = &m.receiver;
                }
                syn::Expr::Call(c) => {
                    if let syn::Expr::Path(p) = &*c.func {
                        root = self.resolver.resolve(&p.path);
                    }
                    if let Some(syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s), ..
                    })) = c.args.first()
                    {
                        root_str = Some(s.value());
                    }
                    break;
                }
                syn::Expr::Path(p) => {
                    if let Some(b) = p.path.get_ident().and_then(|i| self.bindings.get(&i.to_string())) {
                        root = b.chain.root.clone();
                        root_str = b.chain.root_str.clone();
                        steps.extend(b.chain.steps.iter().rev().cloned());
                    }
                    break;
                }
                syn::Expr::Try(t) => expr = &t.expr,
                syn::Expr::Await(a) => expr = &a.base,
                syn::Expr::Paren(p) => expr = &p.expr,
                syn::Expr::Reference(r) => expr = &r.expr,
                _ => break,
            }
        }
        let total = steps.len();
        steps.reverse();
        let chain = Chain {
            root,
            root_str,
            steps: steps.into(),
        };
        for (node, after) in inner {
            // `after` steps lie above the node: it ends the rest.
            let prefix = Chain {
                root: chain.root.clone(),
                root_str: chain.root_str.clone(),
                steps: chain.steps.prefix(total - after),
            };
            self.receiver_chains.insert(node, prefix);
        }
        chain
    }
}

fn step(m: &syn::ExprMethodCall) -> Step {
    let bool_arg = match m.args.first() {
        Some(syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Bool(b), ..
        })) => Some(b.value),
        _ => None,
    };
    Step {
        name: m.method.to_string(),
        bool_arg,
    }
}

/// The identifier a binding pattern introduces: `x`, `mut x`, `x: T`.
fn pat_ident(pat: &syn::Pat) -> Option<String> {
    match pat {
        syn::Pat::Ident(i) => Some(i.ident.to_string()),
        syn::Pat::Type(t) => pat_ident(&t.pat),
        _ => None,
    }
}

/// Every identifier a destructuring pattern binds: `(file, path)`,
/// `Ok(x)`, `Config { url, .. }`.
fn pat_idents(pat: &syn::Pat, out: &mut Vec<String>) {
    match pat {
        syn::Pat::Ident(i) => out.push(i.ident.to_string()),
        syn::Pat::Type(t) => pat_idents(&t.pat, out),
        syn::Pat::Reference(r) => pat_idents(&r.pat, out),
        syn::Pat::Tuple(t) => t.elems.iter().for_each(|p| pat_idents(p, out)),
        syn::Pat::TupleStruct(t) => t.elems.iter().for_each(|p| pat_idents(p, out)),
        syn::Pat::Slice(s) => s.elems.iter().for_each(|p| pat_idents(p, out)),
        syn::Pat::Struct(s) => s.fields.iter().for_each(|f| pat_idents(&f.pat, out)),
        _ => {}
    }
}

struct FileVisitor<'a> {
    file: &'a Arc<SourceFile>,
    package: &'a PackageCx<'a>,
    state: State,
    out: Vec<Diagnostic>,
    facts: Vec<Fact>,
    redactions: Vec<std::ops::Range<usize>>,
    origin: crate::diagnostic::Origin,
    model: FileFacts,
    /// Whether this file's code can run in a deployed process (lib and bin
    /// targets), so the service model records it.
    modeled: bool,
    /// By index into the package's enabled rules: the rule panicked on
    /// this file.
    failed: Vec<bool>,
}

/// What one pass over a file produced.
pub(super) struct Pass {
    pub diagnostics: Vec<Diagnostic>,
    pub facts: Vec<Fact>,
    pub model: FileFacts,
    /// Byte ranges of secrets, masked in every rendering.
    pub redactions: Vec<std::ops::Range<usize>>,
}

/// `const` and `static` items with their initializers, inline modules
/// included, keyed by canonical path.
fn index_consts(
    module: &[String],
    items: &[syn::Item],
    out: &mut HashMap<String, syn::Expr>,
    types: &mut HashMap<String, syn::Type>,
) {
    for item in items {
        let (ident, expr) = match item {
            syn::Item::Const(c) => (&c.ident, &*c.expr),
            syn::Item::Static(s) => (&s.ident, &*s.expr),
            syn::Item::Type(t) if t.generics.params.is_empty() => {
                types.insert(format!("{}::{}", module.join("::"), t.ident), (*t.ty).clone());
                continue;
            }
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    let mut sub = module.to_vec();
                    sub.push(m.ident.to_string());
                    index_consts(&sub, inner, out, types);
                }
                continue;
            }
            _ => continue,
        };
        out.insert(format!("{}::{ident}", module.join("::")), expr.clone());
    }
}

/// The types of named struct fields of this file, inline modules included,
/// keyed by the struct's canonical path and the field (`main::Atuin::atuin`):
/// the type of `self.atuin` in `impl Atuin`; and of enum variants of one
/// field, keyed by the variant (`cmd::AtuinCmd::Client`): the type of
/// `client` in `Self::Client(client) =>`. A `Box`, `Arc`, `Rc` or `Option`
/// around a type is looked through.
fn index_fields(module: &[String], items: &[syn::Item], out: &mut HashMap<String, syn::Path>) {
    fn inner(ty: &syn::Type) -> Option<&syn::Path> {
        let syn::Type::Path(p) = ty else { return None };
        let last = p.path.segments.last()?;
        if ["Box", "Arc", "Rc", "Option"].iter().any(|w| last.ident == w)
            && let syn::PathArguments::AngleBracketed(a) = &last.arguments
            && let [syn::GenericArgument::Type(t)] = a.args.iter().collect::<Vec<_>>().as_slice()
        {
            return inner(t);
        }
        Some(&p.path)
    }
    for item in items {
        match item {
            syn::Item::Struct(s) => {
                for field in &s.fields {
                    if let Some(ident) = &field.ident
                        && let Some(path) = inner(&field.ty)
                    {
                        out.insert(format!("{}::{}::{ident}", module.join("::"), s.ident), path.clone());
                    }
                }
            }
            syn::Item::Enum(e) => {
                for variant in &e.variants {
                    if let syn::Fields::Unnamed(f) = &variant.fields
                        && let [field] = f.unnamed.iter().collect::<Vec<_>>().as_slice()
                        && let Some(path) = inner(&field.ty)
                    {
                        out.insert(
                            format!("{}::{}::{}", module.join("::"), e.ident, variant.ident),
                            path.clone(),
                        );
                    }
                }
            }
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    let mut sub = module.to_vec();
                    sub.push(m.ident.to_string());
                    index_fields(&sub, items, out);
                }
            }
            _ => {}
        }
    }
}

/// One pass over a file: the findings, the facts rules recorded for their
/// package-level checks, and the secrets to mask.
pub(super) fn run(
    file: &Arc<SourceFile>,
    ast: &syn::File,
    job: &Job,
    package: &PackageCx,
    resolver: Resolver,
    macros_parsed: Rc<MacroCache>,
) -> Pass {
    let mut consts = HashMap::new();
    let mut type_aliases = HashMap::new();
    index_consts(&job.module, &ast.items, &mut consts, &mut type_aliases);
    let mut fields = HashMap::new();
    index_fields(&job.module, &ast.items, &mut fields);
    let mut v = FileVisitor {
        file,
        package,
        facts: Vec::new(),
        redactions: Vec::new(),
        origin: job.origin,
        state: State {
            resolver,
            kind: job.kind,
            test_depth: 0,
            base_test: job.test,
            off_platform_depth: 0,
            base_off_platform: job.off_platform,
            fns: Vec::new(),
            fn_paths: Vec::new(),
            impl_types: Vec::new(),
            trait_impls: Vec::new(),
            items: Vec::new(),
            consts,
            type_aliases,
            fields,
            arm_bindings: Vec::new(),
            macros: Vec::new(),
            calls: Vec::new(),
            bindings: HashMap::new(),
            macros_parsed,
            owners: Vec::new(),
            arms: Vec::new(),
            opt_in: 0,
            local_fallback: 0,
            missing: Vec::new(),
            receiver_chains: HashMap::new(),
        },
        out: Vec::new(),
        model: FileFacts::default(),
        modeled: matches!(job.kind, TargetKind::Lib | TargetKind::Bin),
        failed: Vec::new(),
    };
    if has_cfg_test(&ast.attrs) {
        v.state.base_test = true;
    }
    if off_deploy_platform(&ast.attrs) {
        v.state.base_off_platform = true;
    }
    if v.state.base_off_platform {
        v.model
            .off_platform
            .push(crate::diagnostic::Span::new(file.clone(), 0..file.text.len()));
    }
    for item in &ast.items {
        v.visit_item(item);
    }
    Pass {
        diagnostics: v.out,
        facts: v.facts,
        model: v.model,
        redactions: v.redactions,
    }
}

impl FileVisitor<'_> {
    /// Calls `f` for every enabled rule that has not failed on this file.
    /// A rule that panics is reported once, as an internal error naming it
    /// and the file, and is not called again on this file; the other rules
    /// go on.
    fn each_rule(&mut self, mut f: impl FnMut(&dyn Rule, &mut Cx<'_>)) {
        for (i, (rule, severity)) in self.package.rules.iter().enumerate() {
            if self.failed.get(i).copied().unwrap_or(false) {
                continue;
            }
            let mut cx = Cx {
                file: self.file,
                package: self.package,
                state: &self.state,
                rule: rule.meta(),
                severity: *severity,
                out: &mut self.out,
                facts: &mut self.facts,
                redactions: &mut self.redactions,
                origin: self.origin,
            };
            let call = std::panic::AssertUnwindSafe(|| f(*rule, &mut cx));
            if let Err(panic) = std::panic::catch_unwind(call) {
                if self.failed.len() <= i {
                    self.failed.resize(self.package.rules.len(), false);
                }
                self.failed[i] = true;
                let message = super::panic_message(panic.as_ref());
                self.out.push(super::rule_failed(rule.meta().name, self.file, &message));
            }
        }
    }

    /// Runs `body` inside an item with these attributes.
    fn with_item(
        &mut self,
        attrs: &[syn::Attribute],
        extent: &dyn syn::spanned::Spanned,
        label: String,
        fn_name: Option<String>,
        body: impl FnOnce(&mut Self),
    ) {
        let test = has_cfg_test(attrs) || is_test_fn(attrs);
        self.state.test_depth += usize::from(test);
        let off = self.enter_platform(attrs, extent);
        self.state.items.push(label);
        let saved = fn_name.as_ref().map(|_| std::mem::take(&mut self.state.bindings));
        if let Some(name) = fn_name {
            let mut path = self.state.resolver.current_module().join("::");
            if let Some(ty) = self.state.impl_types.last() {
                path = format!("{path}::{ty}");
            }
            let full = format!("{path}::{name}");
            self.state.fn_paths.push(full.clone());
            self.state.owners.push(full);
            self.state.fns.push(name);
        }
        body(self);
        if let Some(saved) = saved {
            self.state.fns.pop();
            self.state.fn_paths.pop();
            self.state.owners.pop();
            self.state.bindings = saved;
        }
        self.state.items.pop();
        self.state.test_depth -= usize::from(test);
        self.state.off_platform_depth -= usize::from(off);
    }

    /// Enters code with `attrs`: when they compile it out on the deploy
    /// platform, records its extent once (outermost) and returns true.
    fn enter_platform(&mut self, attrs: &[syn::Attribute], extent: &dyn syn::spanned::Spanned) -> bool {
        // The extent is only computed here: joining a node's span walks
        // its tokens.
        let off = !attrs.is_empty() && off_deploy_platform(attrs);
        if off && !self.state.off_platform() {
            let range = extent.span().byte_range();
            self.model
                .off_platform
                .push(crate::diagnostic::Span::new(self.file.clone(), range));
        }
        self.state.off_platform_depth += usize::from(off);
        off
    }

    /// Calls the rules' `check_call`; returns the frame for the call's
    /// arguments.
    fn dispatch_call(&mut self, expr: &syn::Expr) -> CallFrame {
        let call = match expr {
            syn::Expr::Call(c) => {
                let paths = match &*c.func {
                    syn::Expr::Path(p) => self.state.resolver.resolve(&p.path),
                    _ => return CallFrame::default(),
                };
                Call {
                    expr,
                    paths,
                    method: None,
                    chain: Chain::default(),
                    args: c.args.iter().collect(),
                }
            }
            syn::Expr::MethodCall(m) => Call {
                expr,
                paths: Vec::new(),
                method: Some(&m.method),
                chain: self.state.chain_of(expr, true),
                args: m.args.iter().collect(),
            },
            _ => return CallFrame::default(),
        };
        self.each_rule(|rule, cx| rule.check_call(cx, &call));
        self.record_call(&call);
        let first_str = match call.args.first() {
            Some(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s), ..
            })) => Some(s.value()),
            _ => None,
        };
        CallFrame {
            paths: call.paths,
            method: call.method.map(|m| m.to_string()),
            chain: call.chain,
            arg: 0,
            first_str,
            macro_depth: self.state.macros.len(),
        }
    }

    /// Runs `body` as test code when `attrs` has `#[cfg(test)]`: a struct
    /// literal's field, a `match` arm, a statement.
    fn with_cfg(&mut self, attrs: &[syn::Attribute], extent: &dyn syn::spanned::Spanned, body: impl FnOnce(&mut Self)) {
        let test = has_cfg_test(attrs);
        self.state.test_depth += usize::from(test);
        let off = self.enter_platform(attrs, extent);
        body(self);
        self.state.test_depth -= usize::from(test);
        self.state.off_platform_depth -= usize::from(off);
    }

    /// Visits a call's arguments with its frame on the call stack.
    fn visit_args<'ast>(&mut self, frame: CallFrame, args: impl Iterator<Item = &'ast syn::Expr>) {
        self.state.calls.push(frame);
        for (i, arg) in args.enumerate() {
            if let Some(top) = self.state.calls.last_mut() {
                top.arg = i;
            }
            self.visit_expr(arg);
        }
        self.state.calls.pop();
    }
}

/// The outer attributes of an expression statement's expression
/// (`#[cfg(windows)] install_tray();`).
fn expr_attrs(e: &syn::Expr) -> &[syn::Attribute] {
    match e {
        syn::Expr::Call(c) => &c.attrs,
        syn::Expr::MethodCall(m) => &m.attrs,
        syn::Expr::Block(b) => &b.attrs,
        syn::Expr::If(i) => &i.attrs,
        syn::Expr::Match(m) => &m.attrs,
        syn::Expr::Macro(m) => &m.attrs,
        syn::Expr::Assign(a) => &a.attrs,
        syn::Expr::Await(a) => &a.attrs,
        syn::Expr::Try(t) => &t.attrs,
        syn::Expr::Unsafe(u) => &u.attrs,
        syn::Expr::ForLoop(f) => &f.attrs,
        syn::Expr::While(w) => &w.attrs,
        syn::Expr::Loop(l) => &l.attrs,
        syn::Expr::Return(r) => &r.attrs,
        _ => &[],
    }
}

fn item_label(item: &syn::Item) -> Option<String> {
    Some(match item {
        syn::Item::Fn(i) => format!("fn {}", i.sig.ident),
        syn::Item::Static(i) => format!("static {}", i.ident),
        syn::Item::Const(i) => format!("const {}", i.ident),
        syn::Item::Mod(i) => format!("mod {}", i.ident),
        syn::Item::Struct(i) => format!("struct {}", i.ident),
        syn::Item::Enum(i) => format!("enum {}", i.ident),
        syn::Item::Trait(i) => format!("trait {}", i.ident),
        syn::Item::Impl(i) => {
            let ty = &i.self_ty;
            format!("impl {}", quote_type(ty))
        }
        _ => return None,
    })
}

fn quote_type(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
        _ => "_".into(),
    }
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(i) => &i.attrs,
        syn::Item::Enum(i) => &i.attrs,
        syn::Item::ExternCrate(i) => &i.attrs,
        syn::Item::Fn(i) => &i.attrs,
        syn::Item::ForeignMod(i) => &i.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Macro(i) => &i.attrs,
        syn::Item::Mod(i) => &i.attrs,
        syn::Item::Static(i) => &i.attrs,
        syn::Item::Struct(i) => &i.attrs,
        syn::Item::Trait(i) => &i.attrs,
        syn::Item::TraitAlias(i) => &i.attrs,
        syn::Item::Type(i) => &i.attrs,
        syn::Item::Union(i) => &i.attrs,
        syn::Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

impl<'ast> Visit<'ast> for FileVisitor<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let label = item_label(item).unwrap_or_default();
        let fn_name = match item {
            syn::Item::Fn(f) => Some(f.sig.ident.to_string()),
            _ => None,
        };
        let owner = match item {
            syn::Item::Static(syn::ItemStatic { ident, .. }) | syn::Item::Const(syn::ItemConst { ident, .. }) => {
                Some(format!("{}::{ident}", self.state.resolver.current_module().join("::")))
            }
            _ => None,
        };
        let owned = owner.is_some();
        if let Some(owner) = owner {
            self.state.owners.push(owner);
        }
        self.with_item(item_attrs(item), item, label, fn_name, |v| {
            v.each_rule(|rule, cx| rule.check_item(cx, item));
            match item {
                syn::Item::Fn(f) => {
                    let root_bin = v.state.kind == TargetKind::Bin && v.state.resolver.current_module().len() == 1;
                    let launch = f.attrs.iter().any(|a| {
                        let segs: Vec<String> = a.path().segments.iter().map(|s| s.ident.to_string()).collect();
                        segs.first().is_some_and(|s| s == "shuttle_runtime") || segs.iter().any(|s| s == "launch")
                    });
                    let main = (root_bin && (f.sig.ident == "main" || launch)).then_some(launch);
                    v.record_node(&f.sig.ident, syn::spanned::Spanned::span(f), main);
                }
                syn::Item::Static(syn::ItemStatic { ident, .. }) | syn::Item::Const(syn::ItemConst { ident, .. }) => {
                    v.record_node(ident, syn::spanned::Spanned::span(item), None);
                }
                syn::Item::Enum(e) if v.modeling() && is_subcommand_enum(&e.attrs) => {
                    let path = format!("{}::{}", v.state.resolver.current_module().join("::"), e.ident);
                    for variant in &e.variants {
                        let full = format!("{path}::{}", variant.ident);
                        match record::subcommand_flag(&variant.attrs) {
                            Some("flatten") => v.model.subcommand_flattened.push(full),
                            Some(_) => v.model.subcommand_external.push(full),
                            None => {}
                        }
                        if let Some(name) = record::subcommand_name(&variant.attrs) {
                            v.model
                                .subcommand_names
                                .push((format!("{path}::{}", variant.ident), name));
                        }
                    }
                    v.model.subcommand_enums.push(path);
                }
                syn::Item::Use(u) => v.record_use(u),
                syn::Item::Struct(st)
                    if v.modeling()
                        && v.state.kind == TargetKind::Bin
                        && v.state.resolver.current_module().len() == 1
                        && let Some(about) = record::about_text(&st.attrs) =>
                {
                    v.model.about.push(((v.origin.package, v.origin.target), about));
                }
                _ => {}
            }
            match item {
                syn::Item::Mod(m) => {
                    if let Some((_, items)) = &m.content {
                        v.state.resolver.push_module(&m.ident.to_string(), items);
                        for i in items {
                            v.visit_item(i);
                        }
                        v.state.resolver.pop();
                    }
                }
                // `use` declarations were read by the resolver.
                syn::Item::Use(_) => {}
                syn::Item::Impl(i) => {
                    v.state.impl_types.push(quote_type(&i.self_ty));
                    v.state.trait_impls.push(i.trait_.is_some());
                    visit::visit_item_impl(v, i);
                    v.state.impl_types.pop();
                    v.state.trait_impls.pop();
                }
                _ => visit::visit_item(v, item),
            }
        });
        if owned {
            self.state.owners.pop();
        }
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        let name = f.sig.ident.to_string();
        self.with_item(&f.attrs, f, format!("fn {name}"), Some(name), |v| {
            v.record_node(&f.sig.ident, syn::spanned::Spanned::span(f), None);
            visit::visit_impl_item_fn(v, f)
        });
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        let name = f.sig.ident.to_string();
        self.with_item(&f.attrs, f, format!("fn {name}"), Some(name), |v| {
            v.record_node(&f.sig.ident, syn::spanned::Spanned::span(f), None);
            visit::visit_trait_item_fn(v, f)
        });
    }

    fn visit_block(&mut self, block: &'ast syn::Block) {
        let has_items = block.stmts.iter().any(|s| matches!(s, syn::Stmt::Item(_)));
        if has_items {
            self.state.resolver.push_block(block);
        }
        visit::visit_block(self, block);
        if has_items {
            self.state.resolver.pop();
        }
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        // `#[cfg(test)]` on the `let` is handled in `visit_stmt`.
        self.each_rule(|rule, cx| rule.check_local(cx, local));
        visit::visit_local(self, local);
        let Some(init) = &local.init else { return };
        if let Some(name) = pat_ident(&local.pat) {
            let binding = Binding {
                chain: self.state.chain_of(&init.expr, false),
                sources: self.state.sources(&init.expr),
                init: Some(Rc::new((*init.expr).clone())),
            };
            self.state.bindings.insert(name, binding);
        } else {
            // Destructured: each name carries the provenance of the whole value.
            let mut names = Vec::new();
            pat_idents(&local.pat, &mut names);
            let sources = self.state.sources(&init.expr);
            for name in names {
                let binding = Binding {
                    chain: Chain::default(),
                    sources: sources.clone(),
                    init: None,
                };
                self.state.bindings.insert(name, binding);
            }
        }
    }

    fn visit_field_value(&mut self, field: &'ast syn::FieldValue) {
        self.with_cfg(&field.attrs, field, |v| visit::visit_field_value(v, field));
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        self.with_cfg(&arm.attrs, arm, |v| visit::visit_arm(v, arm));
    }

    fn visit_stmt(&mut self, stmt: &'ast syn::Stmt) {
        let attrs: &[syn::Attribute] = match stmt {
            syn::Stmt::Local(l) => &l.attrs,
            syn::Stmt::Macro(m) => &m.attrs,
            syn::Stmt::Expr(e, _) => expr_attrs(e),
            syn::Stmt::Item(_) => &[],
        };
        self.with_cfg(attrs, stmt, |v| visit::visit_stmt(v, stmt));
        // `opts.write(true);` configures the builder bound to `opts`.
        if let syn::Stmt::Expr(expr @ syn::Expr::MethodCall(_), _) = stmt {
            let mut receiver = expr;
            let mut steps = Vec::new();
            while let syn::Expr::MethodCall(m) = receiver {
                steps.push(step(m));
                receiver = &m.receiver;
            }
            if let syn::Expr::Path(p) = receiver
                && let Some(b) = p
                    .path
                    .get_ident()
                    .and_then(|i| self.state.bindings.get_mut(&i.to_string()))
            {
                let mut all = b.chain.steps.to_vec();
                all.extend(steps.into_iter().rev());
                b.chain.steps = all.into();
            }
        }
    }

    fn visit_expr(&mut self, expr: &'ast syn::Expr) {
        self.each_rule(|rule, cx| rule.check_expr(cx, expr));
        match expr {
            syn::Expr::Call(c) => {
                let frame = self.dispatch_call(expr);
                self.visit_expr(&c.func);
                self.visit_args(frame, c.args.iter());
            }
            syn::Expr::MethodCall(m) => {
                let frame = self.dispatch_call(expr);
                self.visit_expr(&m.receiver);
                if let Some(turbofish) = &m.turbofish {
                    self.visit_angle_bracketed_generic_arguments(turbofish);
                }
                self.visit_args(frame, m.args.iter());
            }
            syn::Expr::Path(p) => {
                self.record_path(
                    &p.path,
                    p.path
                        .segments
                        .last()
                        .map_or_else(proc_macro2::Span::call_site, |s| s.ident.span()),
                );
                visit::visit_expr(self, expr);
            }
            syn::Expr::Struct(s) => {
                self.record_path(
                    &s.path,
                    s.path
                        .segments
                        .last()
                        .map_or_else(proc_macro2::Span::call_site, |s| s.ident.span()),
                );
                visit::visit_expr(self, expr);
            }
            syn::Expr::Loop(_) | syn::Expr::While(_) | syn::Expr::ForLoop(_) => {
                self.record_loop(expr);
                visit::visit_expr(self, expr);
            }
            syn::Expr::Match(m) => {
                for attr in &m.attrs {
                    self.visit_attribute(attr);
                }
                self.visit_expr(&m.expr);
                // `StorageBackend::LocalFileSystem { .. } =>` beside an S3 arm.
                let fallback = record::local_fallback_arms(&m.arms);
                for (i, arm) in m.arms.iter().enumerate() {
                    let pushed = self.enter_arm(&m.expr, &arm.pat, spans::arm_range(arm), false);
                    let local = usize::from(fallback.get(i).copied().unwrap_or(false));
                    self.state.local_fallback += local;
                    self.visit_arm(arm);
                    self.state.local_fallback -= local;
                    if pushed {
                        self.leave_arm();
                    }
                }
            }
            // `if let Some(Command::Serve(args)) = cli.command { .. }`: the
            // block is a dispatching arm, the `else` is not. `if
            // config.json_db { .. }`: the block is an opt-in branch.
            syn::Expr::If(i) => {
                for attr in &i.attrs {
                    self.visit_attribute(attr);
                }
                self.visit_expr(&i.cond);
                let dispatch = match &*i.cond {
                    syn::Expr::Let(l) => Some(l),
                    _ => None,
                };
                let pushed = dispatch
                    .is_some_and(|l| self.enter_arm(&l.expr, &l.pat, spans::block_range(&i.then_branch), false));
                // A subcommand's arm is a way to run, not a switch.
                let gate = !pushed && self.modeling() && record::is_opt_in(&i.cond);
                let store = record::object_store_switch(&i.cond);
                let then_fallback = usize::from(store == Some(false));
                // `if !path.exists() { .. }`, `if path.exists() { .. } else { .. }`.
                let missing = record::exists_check(&i.cond);
                let then_missing = missing.as_ref().filter(|(_, negated)| *negated).map(|(p, _)| p.clone());
                let else_missing = missing.filter(|(_, negated)| !*negated).map(|(p, _)| p);
                self.state.opt_in += usize::from(gate);
                self.state.local_fallback += then_fallback;
                self.state.missing.extend(then_missing.clone());
                self.visit_block(&i.then_branch);
                if then_missing.is_some() {
                    self.state.missing.pop();
                }
                self.state.local_fallback -= then_fallback;
                self.state.opt_in -= usize::from(gate);
                if pushed {
                    self.leave_arm();
                }
                if let Some((_, e)) = &i.else_branch {
                    let pushed = dispatch.is_some_and(|l| self.enter_arm(&l.expr, &l.pat, spans::expr_range(e), true));
                    let else_fallback = usize::from(store == Some(true));
                    self.state.local_fallback += else_fallback;
                    self.state.missing.extend(else_missing.clone());
                    self.visit_expr(e);
                    if else_missing.is_some() {
                        self.state.missing.pop();
                    }
                    self.state.local_fallback -= else_fallback;
                    if pushed {
                        self.leave_arm();
                    }
                }
            }
            _ => visit::visit_expr(self, expr),
        }
    }

    fn visit_lit(&mut self, lit: &'ast syn::Lit) {
        if matches!(lit, syn::Lit::Str(_) | syn::Lit::ByteStr(_) | syn::Lit::CStr(_)) {
            self.each_rule(|rule, cx| rule.check_lit(cx, lit));
        }
    }

    fn visit_attribute(&mut self, _attr: &'ast syn::Attribute) {
        // Attribute arguments (`#[serde(rename = "..")]`) are not code.
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if self.state.macros.len() >= MAX_PARSED_MACRO_DEPTH {
            // Deeper macros are read for their literals only, all at once.
            let paths = resolve_macro(&self.state.resolver, &mac.path);
            let call = MacroCall {
                mac,
                paths: &paths,
                args: None,
            };
            self.each_rule(|rule, cx| rule.check_macro(cx, &call));
            self.state.macros.push(paths.first().cloned().unwrap_or_default());
            for lit in macros::all_literals(&mac.tokens) {
                self.visit_lit(&lit);
            }
            self.state.macros.pop();
            return;
        }
        let body = self.state.macros_parsed.get(mac);
        if body.template {
            return;
        }
        let paths = resolve_macro(&self.state.resolver, &mac.path);
        let call = MacroCall {
            mac,
            paths: &paths,
            args: body.args.as_deref(),
        };
        self.each_rule(|rule, cx| rule.check_macro(cx, &call));
        let name = paths.first().cloned().unwrap_or_default();
        self.state.macros.push(name);
        if let Some(args) = &body.args {
            for arg in args {
                self.visit_expr(arg);
            }
        }
        for item in &body.items {
            self.visit_item(item);
        }
        if body.args.is_none() && body.items.is_empty() {
            for token in macros::scan(&mac.tokens) {
                match token {
                    macros::Scanned::Lit(lit) => self.visit_lit(&lit),
                    macros::Scanned::Macro(inner) => self.visit_macro(&inner),
                }
            }
        }
        self.state.macros.pop();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use crate::declare_rule;
    use crate::engine::Cx;
    use crate::engine::{Rule, RuleMeta};
    use crate::factor::Factor;
    use crate::test_support::check_rule;

    declare_rule! {
        /// ### What it does
        /// Notes the call stack at every string literal.
        pub StackProbe => "stack_probe", Factor::Processes, Warn, fixable: false, options: []
    }

    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

    impl Rule for StackProbe {
        fn meta(&self) -> &'static RuleMeta {
            &Self::META
        }

        fn check_lit(&self, cx: &mut Cx<'_>, lit: &syn::Lit) {
            let syn::Lit::Str(s) = lit else { return };
            let frames: Vec<String> = cx
                .call_stack()
                .iter()
                .map(|f| {
                    let callee = f.method.clone().unwrap_or_else(|| f.paths[0].clone());
                    format!(
                        "{callee}#{}{}",
                        f.arg,
                        "!".repeat(cx.macro_stack().len() - f.macro_depth)
                    )
                })
                .collect();
            let test = if cx.in_test() { " (test)" } else { "" };
            SEEN.lock()
                .unwrap()
                .push(format!("{}: {}{test}", s.value(), frames.join(" > ")));
        }
    }

    #[test]
    fn call_stack_names_the_enclosing_calls_and_argument() {
        let src = r#"
use sqlx::PgPool;
fn f(cfg: &mut rdkafka::ClientConfig) {
    let pool = PgPool::connect(&format!("postgres://{}/db", host("h")));
    cfg.set("bootstrap.servers", "k:9092");
    let r = client("recv").get("x");
    let p = Pattern {
        name: "n",
        #[cfg(test)]
        tests: &["t1"],
    };
    #[cfg(test)]
    let t = "t2";
    match x {
        #[cfg(test)]
        Some(_) => "t3",
        _ => "n2",
    };
}
"#;
        SEEN.lock().unwrap().clear();
        check_rule(&StackProbe, src);
        let seen = SEEN.lock().unwrap().clone();
        assert_eq!(
            seen,
            [
                "postgres://{}/db: sqlx::PgPool::connect#0!",
                "h: sqlx::PgPool::connect#0! > host#0",
                "bootstrap.servers: set#0",
                "k:9092: set#1",
                "recv: client#0",
                "x: get#0",
                "n: ",
                "t1:  (test)",
                "t2:  (test)",
                "t3:  (test)",
                "n2: ",
            ]
        );
    }
}

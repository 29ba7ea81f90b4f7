//! The service model's side of the pass: the functions, edges, markers,
//! re-exports and dispatching arms of a file, recorded into its
//! [`FileFacts`](crate::engine::model::FileFacts).

use syn::visit::Visit;

use super::{Call, FileVisitor};
use crate::engine::model::{self, ArmLabel, Callee, Marker, markers};
use crate::workspace::TargetKind;

/// The service model's side of the pass.
impl FileVisitor<'_> {
    /// Whether the node here is code a deployed process may run.
    pub(super) fn modeling(&self) -> bool {
        self.modeled && !self.state.in_test() && !self.state.off_platform()
    }

    pub(super) fn record_node(&mut self, ident: &syn::Ident, extent: proc_macro2::Span, main: Option<bool>) {
        if !self.modeling() {
            return;
        }
        let Some(path) = self.state.owners.last() else { return };
        self.model.nodes.push(model::Node {
            path: path.clone(),
            origin: self.origin,
            span: crate::diagnostic::Span::new(self.file.clone(), ident.span().byte_range()),
            extent: extent.byte_range(),
            main,
            trait_impl: self.state.trait_impls.last().copied().unwrap_or(false) && !self.state.impl_types.is_empty(),
        });
    }

    /// An edge from the enclosing node to the workspace paths `path` names.
    pub(super) fn record_path(&mut self, path: &syn::Path, span: proc_macro2::Span) {
        if !self.modeling() || self.state.owners.is_empty() {
            return;
        }
        let crates = &self.package.workspace_crates;
        let paths: Vec<String> = self
            .state
            .resolver
            .resolve(path)
            .into_iter()
            .filter(|p| p.split("::").next().is_some_and(|c| crates.contains(c)) && p.contains("::"))
            .collect();
        if !paths.is_empty() {
            self.record_edge(Callee::Paths(paths), span);
        }
    }

    pub(super) fn record_edge(&mut self, to: Callee, span: proc_macro2::Span) {
        let Some(from) = self.state.owners.last() else { return };
        self.model.edges.push(model::Edge {
            from: from.clone(),
            to,
            span: crate::diagnostic::Span::new(self.file.clone(), span.byte_range()),
            arm: self.state.arms.last().copied(),
            opt_in: self.state.opt_in > 0,
        });
    }

    pub(super) fn record_marker(&mut self, marker: Marker, range: std::ops::Range<usize>) {
        if !self.modeling() {
            return;
        }
        let Some(owner) = self.state.owners.last() else { return };
        self.model.markers.push(model::MarkerAt {
            owner: owner.clone(),
            marker,
            span: crate::diagnostic::Span::new(self.file.clone(), range),
            arm: self.state.arms.last().copied(),
        });
    }

    /// Serve calls, serve methods and queue consumers; method edges.
    pub(super) fn record_call(&mut self, call: &Call<'_>) {
        if !self.modeling() {
            return;
        }
        let range = match call.method {
            Some(m) => m.span().byte_range().start..crate::source::spans::expr_end(call.expr),
            None => crate::source::spans::expr_range(call.expr),
        };
        let marker = |what: String, family: model::Family, defaults: model::Defaults| Marker { what, family, defaults };
        if let Some(method) = call.method {
            let name = method.to_string();
            for (m, roots) in markers::SERVE_METHODS {
                if name == *m && (roots.is_empty() || call.chain.root_is(roots)) {
                    let (family, what) = if roots.is_empty() {
                        (model::Family::Loop, format!("`{name}`"))
                    } else {
                        (model::Family::Other, format!("`{}`", roots[0]))
                    };
                    self.record_marker(marker(what, family, model::Defaults::None), range.clone());
                }
            }
            for (m, krate, min_args) in markers::CONSUME_METHODS {
                if name == *m && call.args.len() >= *min_args && self.package.package.dependency(krate).is_some() {
                    let what = format!("a {krate} consumer (`{name}`)");
                    self.record_marker(marker(what, model::Family::Loop, model::Defaults::None), range.clone());
                }
            }
            if !markers::COMMON_METHODS.contains(&name.as_str()) {
                // The receiver's type when the syntax says: `self` in an
                // `impl`, or a chain that starts at a workspace type's
                // constructor (`Server::new(..).run()`, through a `let`).
                let crates = &self.package.workspace_crates;
                // What a type's path names in a workspace crate.
                let workspace_type = |path: &syn::Path| {
                    self.state
                        .resolver
                        .resolve(path)
                        .into_iter()
                        .find(|r| r.split("::").next().is_some_and(|c| crates.contains(c)))
                };
                let ty = match call.expr {
                    syn::Expr::MethodCall(mc) if matches!(&*mc.receiver, syn::Expr::Path(p) if p.path.is_ident("self")) => {
                        self.state.self_type()
                    }
                    // `self.atuin.run()` in `impl Atuin`, whose field
                    // `atuin: AtuinCmd` this file declares.
                    syn::Expr::MethodCall(mc)
                        if let syn::Expr::Field(f) = &*mc.receiver
                            && matches!(&*f.base, syn::Expr::Path(p) if p.path.is_ident("self"))
                            && let syn::Member::Named(field) = &f.member
                            && let Some(owner_ty) = self.state.self_type()
                            && let Some(path) = self.state.field_type(&owner_ty, &field.to_string()) =>
                    {
                        workspace_type(path)
                    }
                    // `Self::Client(client) => client.run()`, the variant's
                    // field of type `client::Cmd`.
                    syn::Expr::MethodCall(mc)
                        if let syn::Expr::Path(p) = &*mc.receiver
                            && let Some(ident) = p.path.get_ident()
                            && let Some(path) = self.state.arm_binding(&ident.to_string()) =>
                    {
                        workspace_type(path)
                    }
                    // `let mut server = Listener { .. }; server.run()`.
                    syn::Expr::MethodCall(mc)
                        if let syn::Expr::Path(p) = &*mc.receiver
                            && let Some(ident) = p.path.get_ident()
                            && let Some(syn::Expr::Struct(s)) = self.state.local_init(&ident.to_string()) =>
                    {
                        workspace_type(&s.path)
                    }
                    _ => call
                        .chain
                        .root
                        .iter()
                        .filter(|r| r.split("::").next().is_some_and(|c| crates.contains(c)))
                        .find_map(|r| r.rsplit_once("::").map(|(t, _)| t.to_string()))
                        .filter(|t| {
                            t.rsplit("::")
                                .next()
                                .is_some_and(|s| s.starts_with(|c: char| c.is_ascii_uppercase()))
                        }),
                };
                // `rouille::Server::new(..)` then `server.run()`: a method of a
                // type outside the workspace runs none of its code.
                let external = ty.is_none()
                    && !call.chain.root.is_empty()
                    && call.chain.root.iter().all(|r| {
                        r.split("::").next().is_some_and(|c| !crates.contains(c))
                            && r.split("::").any(|s| s.starts_with(|c: char| c.is_ascii_uppercase()))
                    });
                if !external {
                    self.record_edge(Callee::Method { name, ty }, method.span());
                }
            }
            return;
        }
        if call.method.is_none()
            && call.paths.iter().any(|p| markers::BIND_CALLS.contains(&p.as_str()))
            && let Some(arg) = call.args.first()
        {
            if markers::binds_ephemeral(arg) {
                self.model.ephemeral_binds += 1;
            } else {
                self.model.other_binds += 1;
            }
        }
        if call.method.is_none()
            && call
                .paths
                .iter()
                .any(|p| markers::UNIX_BIND_CALLS.contains(&p.as_str()))
        {
            self.model.unix_binds += 1;
        }
        if let Some((path, family, defaults)) = markers::SERVE_CALLS
            .iter()
            .find(|(p, _, _)| call.paths.iter().any(|c| c == p))
        {
            self.record_marker(marker(format!("`{path}`"), *family, *defaults), range);
        }
    }

    /// Loops that keep a process alive: around `accept`/`incoming`, or
    /// endless in a function of a binary's root module (`main` or the
    /// `driver_main` it runs).
    pub(super) fn record_loop(&mut self, expr: &syn::Expr) {
        if !self.modeling() {
            return;
        }
        let mut finder = markers::AcceptFinder::default();
        match expr {
            syn::Expr::Loop(l) => finder.visit_block(&l.body),
            syn::Expr::While(w) => {
                finder.visit_expr(&w.cond);
                finder.visit_block(&w.body);
            }
            syn::Expr::ForLoop(f) => {
                finder.visit_expr(&f.expr);
                finder.visit_block(&f.body);
            }
            _ => return,
        }
        let loop_marker = |what: &str| Marker {
            what: what.into(),
            family: model::Family::Loop,
            defaults: model::Defaults::None,
        };
        if let Some(range) = finder.found.filter(|_| !markers::is_one_shot(expr)) {
            self.record_marker(loop_marker(markers::LISTENER_LOOP), range);
            return;
        }
        // In a binary's own root module, or in a library's `main` that a
        // binary hands its whole run to (`common::cli::tasks::main(flavour)`).
        let in_main = match self.state.kind {
            TargetKind::Bin => self.state.resolver.current_module().len() == 1 && !self.state.fns.is_empty(),
            TargetKind::Lib => self.state.fns.first().is_some_and(|f| f == "main"),
            _ => false,
        };
        if let syn::Expr::Loop(l) = expr
            && in_main
            && markers::is_endless(l)
        {
            self.record_marker(loop_marker(markers::ENDLESS_LOOP), l.loop_token.span.byte_range());
        }
    }

    /// `pub use` re-exports, for calls through them from other crates.
    pub(super) fn record_use(&mut self, item: &syn::ItemUse) {
        if !self.modeling() || matches!(item.vis, syn::Visibility::Inherited) {
            return;
        }
        fn walk(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, Option<String>)>) {
            match tree {
                syn::UseTree::Path(p) => {
                    prefix.push(p.ident.to_string());
                    walk(&p.tree, prefix, out);
                    prefix.pop();
                }
                syn::UseTree::Name(n) => {
                    let mut full = prefix.clone();
                    full.push(n.ident.to_string());
                    out.push((full, Some(n.ident.to_string())));
                }
                syn::UseTree::Rename(r) => {
                    let mut full = prefix.clone();
                    full.push(r.ident.to_string());
                    out.push((full, Some(r.rename.to_string())));
                }
                syn::UseTree::Glob(_) => out.push((prefix.clone(), None)),
                syn::UseTree::Group(g) => g.items.iter().for_each(|t| walk(t, prefix, out)),
            }
        }
        let mut found = Vec::new();
        walk(&item.tree, &mut Vec::new(), &mut found);
        let module = self.state.resolver.current_module().join("::");
        for (target, name) in found {
            if target.is_empty() || (target.len() == 1 && target[0] == "self") {
                continue;
            }
            let resolved = self.state.resolver.resolve_segments(&target);
            let key = match &name {
                Some(n) if n != "self" => format!("{module}::{n}"),
                _ => module.clone(),
            };
            self.model.aliases.push((key, resolved));
        }
    }

    /// Enters a dispatching arm (a `match` arm, or an `if let` block) when
    /// `pat` on `scrutinee` selects a subcommand: the arm becomes a node of
    /// its own, reached from the function through an edge in the arm, so
    /// what it runs (and what is reported in it) belongs to its
    /// subcommand. An `except` arm is an `if let`'s `else`: it runs for
    /// every other way. Returns whether an arm was entered.
    pub(super) fn enter_arm(
        &mut self,
        scrutinee: &syn::Expr,
        pat: &syn::Pat,
        extent: std::ops::Range<usize>,
        except: bool,
    ) -> bool {
        if !self.modeling() {
            return false;
        }
        let Some(label) = self.arm_label(scrutinee, pat) else {
            return false;
        };
        let Some(owner) = self.state.owners.last() else {
            return false;
        };
        let span = syn::spanned::Spanned::span(pat);
        // Named by the pattern (an `else` by its own start: it shares the
        // `if let`'s pattern).
        let at = if except { extent.start } else { span.byte_range().start };
        let node = format!("{owner}::#{at}");
        // `Self::Client(client)`: `client` is of the variant's type.
        let mut inner = pat;
        while let syn::Pat::Or(o) = inner {
            match o.cases.first() {
                Some(first) => inner = first,
                None => break,
            }
        }
        let binding = match (&label, inner) {
            (ArmLabel::Variant { enums, variant }, syn::Pat::TupleStruct(t)) => {
                match t.elems.iter().collect::<Vec<_>>().as_slice() {
                    [syn::Pat::Ident(i)] => enums
                        .iter()
                        .find_map(|e| self.state.field_type(e, variant))
                        .map(|p| (i.ident.to_string(), p.clone())),
                    _ => None,
                }
            }
            _ => None,
        };
        self.state.arm_bindings.push(binding);
        self.model.arms.push(model::Arm {
            label,
            parent: self.state.arms.last().copied(),
            except,
        });
        self.state.arms.push(self.model.arms.len() - 1);
        self.record_edge(Callee::Paths(vec![node.clone()]), span);
        self.state.owners.push(node.clone());
        self.model.nodes.push(model::Node {
            path: node,
            origin: self.origin,
            span: crate::diagnostic::Span::new(self.file.clone(), span.byte_range()),
            extent,
            main: None,
            trait_impl: false,
        });
        true
    }

    pub(super) fn leave_arm(&mut self) {
        self.state.arms.pop();
        self.state.arm_bindings.pop();
        self.state.owners.pop();
    }

    /// The subcommand a `match` arm selects, when the `match` dispatches.
    pub(super) fn arm_label(&self, scrutinee: &syn::Expr, pat: &syn::Pat) -> Option<ArmLabel> {
        let mut pat = pat;
        loop {
            match pat {
                syn::Pat::Or(o) => pat = o.cases.first()?,
                syn::Pat::Reference(r) => pat = &r.pat,
                syn::Pat::Paren(p) => pat = &p.pat,
                syn::Pat::Ident(i) if i.subpat.is_some() => pat = &i.subpat.as_ref()?.1,
                syn::Pat::TupleStruct(t)
                    if t.path.get_ident().is_some_and(|i| i == "Some" || i == "Ok") && t.elems.len() == 1 =>
                {
                    pat = t.elems.first()?;
                }
                _ => break,
            }
        }
        let path = match pat {
            syn::Pat::TupleStruct(t) => &t.path,
            syn::Pat::Struct(s) => &s.path,
            syn::Pat::Path(p) => &p.path,
            syn::Pat::Tuple(t) => {
                // `Some(("serve", m))` on `matches.subcommand()`.
                use quote::ToTokens;
                if !scrutinee.to_token_stream().to_string().contains("subcommand") {
                    return None;
                }
                return match t.elems.first()? {
                    // `("", None)`: clap 2's "no subcommand", the binary's
                    // own run.
                    syn::Pat::Lit(syn::PatLit {
                        lit: syn::Lit::Str(s), ..
                    }) if !s.value().is_empty() => Some(ArmLabel::Name(s.value())),
                    _ => None,
                };
            }
            _ => return None,
        };
        if path.segments.len() < 2 {
            return None;
        }
        let variant = path.segments.last()?.ident.to_string();
        let mut enum_path = path.clone();
        enum_path.segments.pop();
        enum_path.segments.pop_punct();
        // `Self::Server(cmd)` in the enum's own `impl`.
        let enums = if enum_path.is_ident("Self") {
            self.state.self_type().into_iter().collect()
        } else {
            self.state.resolver.resolve(&enum_path)
        };
        Some(ArmLabel::Variant { enums, variant })
    }
}

/// Words of names that hold the program's configuration: `CONFIG`,
/// `ARGS`, `settings`, `online_backup_config`.
const CONFIG_WORDS: &[&str] = &["config", "cfg", "conf", "settings", "args", "opts", "options", "cli"];

/// Whether `cond` switches a feature on from configuration: `if
/// ARGS.json_db`, `if cfg.backup.enabled && ..`, `if let Some(path) =
/// CONFIG.log_file()`. What runs in its block is the operator's opt-in,
/// not the default deployment. A negated switch (`if !cfg.no_cache`) is
/// on by default.
pub(super) fn is_opt_in(cond: &syn::Expr) -> bool {
    fn reads_config(mut expr: &syn::Expr) -> bool {
        loop {
            let name = match expr {
                syn::Expr::Field(f) => {
                    let member = match &f.member {
                        syn::Member::Named(i) => i.to_string(),
                        syn::Member::Unnamed(_) => String::new(),
                    };
                    expr = &f.base;
                    member
                }
                syn::Expr::MethodCall(m) if m.args.is_empty() => {
                    expr = &m.receiver;
                    continue;
                }
                syn::Expr::Reference(r) => {
                    expr = &r.expr;
                    continue;
                }
                syn::Expr::Paren(p) => {
                    expr = &p.expr;
                    continue;
                }
                syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                    expr = &u.expr;
                    continue;
                }
                syn::Expr::Try(t) => {
                    expr = &t.expr;
                    continue;
                }
                // `if var("HEROKU")?.is_some()`, `if env::var_os("X").is_some()`:
                // the environment switches the branch on.
                syn::Expr::Call(c) => {
                    return matches!(&*c.func, syn::Expr::Path(p)
                        if p.path.segments.last().is_some_and(|s| s.ident == "var" || s.ident == "var_os"));
                }
                syn::Expr::Path(p) => {
                    return p.path.segments.iter().any(|s| {
                        crate::resolve::words(&s.ident.to_string())
                            .iter()
                            .any(|w| CONFIG_WORDS.contains(&w.as_str()))
                    });
                }
                _ => return false,
            };
            if crate::resolve::words(&name)
                .iter()
                .any(|w| CONFIG_WORDS.contains(&w.as_str()))
            {
                return true;
            }
        }
    }
    match cond {
        syn::Expr::Let(l) => {
            let some = matches!(&*l.pat, syn::Pat::TupleStruct(t)
                if t.path.segments.last().is_some_and(|s| s.ident == "Some"));
            some && reads_config(&l.expr)
        }
        syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => is_opt_in(&b.left) || is_opt_in(&b.right),
        syn::Expr::Paren(p) => is_opt_in(&p.expr),
        syn::Expr::Field(_) | syn::Expr::MethodCall(_) | syn::Expr::Path(_) => reads_config(cond),
        _ => false,
    }
}

/// Words that name an object store in a setting: `CONFIG.s3`, `cfg.bucket`.
const OBJECT_STORE_WORDS: &[&str] = &["s3", "bucket", "gcs", "azure", "minio", "opendal", "blob"];

/// Whether an `if` condition switches on an object store
/// (`if CONFIG.s3.is_some()`, `if let Some(bucket) = &cfg.bucket`): then
/// `Some(true)` when the `then` block is the object store's and the `else`
/// the local fallback, `Some(false)` when negated (`if cfg.s3.is_none()`).
pub(super) fn object_store_switch(cond: &syn::Expr) -> Option<bool> {
    struct Names {
        store: bool,
        negated: bool,
    }
    impl<'ast> syn::visit::Visit<'ast> for Names {
        fn visit_ident(&mut self, ident: &'ast proc_macro2::Ident) {
            let name = ident.to_string();
            self.negated |= name == "is_none";
            self.store |= crate::resolve::words(&name)
                .iter()
                .any(|w| OBJECT_STORE_WORDS.contains(&w.as_str()));
        }
        fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
            let value = s.value();
            self.store |= ["s3://", "gs://", "az://", "azblob://"]
                .iter()
                .any(|p| value.starts_with(p));
        }
        fn visit_expr_unary(&mut self, u: &'ast syn::ExprUnary) {
            self.negated |= matches!(u.op, syn::UnOp::Not(_));
            syn::visit::visit_expr_unary(self, u);
        }
    }
    let mut names = Names {
        store: false,
        negated: false,
    };
    syn::visit::Visit::visit_expr(&mut names, cond);
    names.store.then_some(!names.negated)
}

/// A path expression as text, without references and conversions:
/// `&config_file`, `config_file.as_path()` and `config_file` are one.
pub fn path_key(expr: &syn::Expr) -> String {
    use quote::ToTokens;
    let mut expr = expr;
    loop {
        match expr {
            syn::Expr::Reference(r) => expr = &r.expr,
            syn::Expr::Paren(p) => expr = &p.expr,
            syn::Expr::MethodCall(m)
                if m.args.is_empty()
                    && ["as_path", "as_ref", "clone", "to_path_buf"].contains(&m.method.to_string().as_str()) =>
            {
                expr = &m.receiver
            }
            _ => break,
        }
    }
    expr.to_token_stream().to_string().replace(' ', "")
}

/// `path.exists()` (`Some((path, false))`: the `else` runs when it is
/// missing) or `!path.exists()` (`Some((path, true))`).
pub(super) fn exists_check(cond: &syn::Expr) -> Option<(String, bool)> {
    let (negated, expr) = match cond {
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => (true, &*u.expr),
        e => (false, e),
    };
    match expr {
        syn::Expr::MethodCall(m) if m.args.is_empty() && (m.method == "exists" || m.method == "is_file") => {
            Some((path_key(&m.receiver), negated))
        }
        syn::Expr::Paren(p) if !negated => exists_check(&p.expr),
        _ => None,
    }
}

/// Which arms of a `match` on a storage backend are the local fallback:
/// `StorageBackend::LocalFileSystem { path } =>` beside `StorageBackend::S3
/// { .. } =>`. Empty when no arm names an object store.
pub(super) fn local_fallback_arms(arms: &[syn::Arm]) -> Vec<bool> {
    use quote::ToTokens;
    fn words(pat: &syn::Pat) -> Vec<String> {
        fn walk(tokens: proc_macro2::TokenStream, out: &mut Vec<String>) {
            for t in tokens {
                match t {
                    proc_macro2::TokenTree::Ident(i) => out.extend(crate::resolve::words(&i.to_string())),
                    proc_macro2::TokenTree::Literal(l) => out.push(l.to_string().trim_matches('"').to_lowercase()),
                    proc_macro2::TokenTree::Group(g) => walk(g.stream(), out),
                    proc_macro2::TokenTree::Punct(_) => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(pat.to_token_stream(), &mut out);
        out
    }
    let store = |w: &[String]| w.iter().any(|w| OBJECT_STORE_WORDS.contains(&w.as_str()));
    let local = |w: &[String]| {
        w.iter()
            .any(|w| ["local", "disk", "fs", "filesystem"].contains(&w.as_str()))
    };
    let words: Vec<Vec<String>> = arms.iter().map(|a| words(&a.pat)).collect();
    if !words.iter().any(|w| store(w)) {
        return Vec::new();
    }
    words.iter().map(|w| local(w) && !store(w)).collect()
}

/// `#[derive(Subcommand)]`, `#[derive(clap::Subcommand)]`, `#[derive(Parser)]`,
/// `#[argh(subcommand)]`, structopt's `#[derive(StructOpt)]` on an enum.
pub(super) fn is_subcommand_enum(attrs: &[syn::Attribute]) -> bool {
    use quote::ToTokens;
    attrs.iter().any(|a| {
        let text = a.meta.to_token_stream().to_string();
        // clap's `Parser` on an enum makes its variants subcommands too.
        (a.path().is_ident("derive")
            && (text.contains("Subcommand") || text.contains("StructOpt") || text.contains("Parser")))
            || (a.path().is_ident("argh") && text.contains("subcommand"))
    })
}

/// What a binary's clap arguments say it is: the `about` of its
/// `#[derive(Parser)]` struct (`#[command(about = "Long-running soak
/// test ..")]`), or the struct's doc comment, which clap takes for it.
pub(super) fn about_text(attrs: &[syn::Attribute]) -> Option<String> {
    use quote::ToTokens;
    let parser = attrs.iter().any(|a| {
        a.path().is_ident("derive") && {
            let text = a.meta.to_token_stream().to_string();
            text.contains("Parser") || text.contains("StructOpt") || text.contains("FromArgs")
        }
    });
    if !parser {
        return None;
    }
    let about = clap_settings(attrs, &["command", "clap", "structopt", "argh"])
        .into_iter()
        .rev()
        .filter(|(key, _)| key == "about" || key == "description")
        .find_map(|(_, value)| value);
    about.or_else(|| {
        let doc: Vec<String> = attrs
            .iter()
            .filter(|a| a.path().is_ident("doc"))
            .filter_map(|a| match &a.meta {
                syn::Meta::NameValue(syn::MetaNameValue {
                    value:
                        syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(s), ..
                        }),
                    ..
                }) => Some(s.value().trim().to_string()),
                _ => None,
            })
            .collect();
        (!doc.is_empty()).then(|| doc.join(" "))
    })
}

/// `flatten` or `external_subcommand`, where a variant's clap attribute
/// says so (`#[command(flatten)]`, `#[clap(external_subcommand)]`).
pub(super) fn subcommand_flag(attrs: &[syn::Attribute]) -> Option<&'static str> {
    clap_settings(attrs, SUBCOMMAND_ATTRS)
        .into_iter()
        .rev()
        .find_map(|(key, _)| match key.as_str() {
            "flatten" => Some("flatten"),
            "external_subcommand" => Some("external_subcommand"),
            _ => None,
        })
}

/// The attributes clap, structopt and argh read a subcommand's settings
/// from.
const SUBCOMMAND_ATTRS: &[&str] = &["command", "clap", "structopt"];

/// The settings of clap-style attributes named `names`
/// (`#[command(name = "x", flatten)]`), in order: each key, with its value
/// where that is a string literal. Other values and `key(..)` lists are
/// skipped whatever they hold.
fn clap_settings(attrs: &[syn::Attribute], names: &[&str]) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for a in attrs.iter().filter(|a| names.iter().any(|n| a.path().is_ident(n))) {
        let _ = a.parse_nested_meta(|meta| {
            let key = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
            let mut value = None;
            if meta.input.peek(syn::Token![=]) {
                if let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s), ..
                }) = meta.value()?.parse::<syn::Expr>()?
                {
                    value = Some(s.value());
                }
            } else if meta.input.peek(syn::token::Paren) {
                let _skip;
                syn::parenthesized!(_skip in meta.input);
            }
            out.push((key, value));
            Ok(())
        });
    }
    out
}

/// The name a variant's attribute gives its subcommand:
/// `#[command(name = "export_graphql_schema")]` (or `clap`/`structopt`).
pub(super) fn subcommand_name(attrs: &[syn::Attribute]) -> Option<String> {
    // Other keys (`alias`, `about`) are skipped whatever their values.
    clap_settings(attrs, SUBCOMMAND_ATTRS)
        .into_iter()
        .find_map(|(key, value)| value.filter(|_| key == "name"))
}

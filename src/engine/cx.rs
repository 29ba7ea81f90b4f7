//! What a rule sees: [`Cx`] at each node of the pass, and
//! [`PackageReport`] in its package-level check.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use super::{CallFrame, Fact, Model, PackageCx, RuleMeta, Settings, visitor};
use crate::diagnostic::{Diagnostic, Origin, Severity, Span};
use crate::source::SourceFile;
use crate::workspace::{Package, TargetKind};

/// What a rule's package-level check sees and reports through.
pub struct PackageReport<'a> {
    pub package: &'a Package,
    /// The package's index in the workspace, for [`Entry::package`].
    pub index: usize,
    /// The workspace service model.
    pub model: &'a Model,
    /// Every fact this rule recorded in the workspace, all packages
    /// included, for checks that follow calls across crates.
    pub workspace_facts: &'a [Fact],
    pub(super) settings: &'a Settings,
    /// The workspace root (where the root `Cargo.toml` and `Cargo.lock` are).
    pub workspace_root: &'a Path,
    pub(super) rule: &'static RuleMeta,
    pub(super) severity: Severity,
    pub(super) out: &'a mut Vec<Diagnostic>,
    pub(super) show_secrets: bool,
}

impl PackageReport<'_> {
    /// The rule's configured options, when its table was given.
    pub fn options<T: 'static>(&self) -> Option<&T> {
        self.settings.options(self.rule.name)
    }

    /// A secret value as it may appear in a message: its first four
    /// characters and `…`, or all of it with `--show-secrets`.
    pub fn redacted(&self, secret: &str) -> String {
        if self.show_secrets {
            secret.to_string()
        } else {
            crate::diagnostic::redact(secret)
        }
    }

    /// `file` with `ranges` (secrets) masked, unless `--show-secrets`: the
    /// copy package-level findings in a config file should point into.
    pub fn masked(&self, file: &Arc<SourceFile>, ranges: &[Range<usize>]) -> Arc<SourceFile> {
        if self.show_secrets || ranges.is_empty() {
            file.clone()
        } else {
            Arc::new(file.masked(ranges))
        }
    }

    pub fn report(&mut self, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.out.push(finding(self.rule, self.severity, span, message));
        self.out.last_mut().expect("just pushed")
    }
}

fn finding(rule: &'static RuleMeta, severity: Severity, span: Span, message: impl Into<String>) -> Diagnostic {
    let mut d = Diagnostic::new(rule.name, severity, span, message);
    d.factor = Some(rule.factor);
    d
}

/// What rules are told about where they are; created by the engine for
/// each hook call.
pub struct Cx<'a> {
    pub(super) file: &'a Arc<SourceFile>,
    pub(super) package: &'a PackageCx<'a>,
    pub(super) state: &'a visitor::State,
    pub(super) rule: &'static RuleMeta,
    pub(super) severity: Severity,
    pub(super) out: &'a mut Vec<Diagnostic>,
    pub(super) facts: &'a mut Vec<Fact>,
    pub(super) redactions: &'a mut Vec<Range<usize>>,
    pub(super) origin: Origin,
}

impl<'a> Cx<'a> {
    pub fn package(&self) -> &Package {
        self.package.package
    }

    /// The rule's configured options, when its table was given.
    pub fn options<T: 'static>(&self) -> Option<&T> {
        self.package.settings.options(self.rule.name)
    }

    pub fn file(&self) -> &Arc<SourceFile> {
        self.file
    }

    /// The workspace root, where the root `Cargo.toml` is.
    pub fn workspace_root(&self) -> &Path {
        &self.package.workspace_root
    }

    /// In a `#[cfg(test)]` module, a `#[test]` function, or a test,
    /// bench or example target.
    pub fn in_test(&self) -> bool {
        self.state.in_test()
    }

    pub fn target_kind(&self) -> TargetKind {
        self.state.kind
    }

    /// The canonical path of the innermost enclosing function:
    /// `my_app::server::Server::start`.
    pub fn enclosing_fn_path(&self) -> Option<&str> {
        self.state.fn_paths.last().map(String::as_str)
    }

    /// The module the node is in, crate name first.
    pub fn module(&self) -> &[String] {
        self.state.resolver.current_module()
    }

    /// The initializer of a `const` or `static` of this file named by
    /// `path` (`Client::open(REDIS_URL)` looks through to the literal).
    pub fn const_init(&self, path: &syn::Path) -> Option<&syn::Expr> {
        self.state.const_init(path)
    }

    /// What a `type` alias of this file (without generics) named by `path`
    /// stands for: `type IpBlockMap = HashMap<String, (u32, Instant)>;`.
    pub fn type_alias(&self, path: &syn::Path) -> Option<&syn::Type> {
        self.state.type_alias(path)
    }

    /// The initializer of a local binding `let name = ..` of the enclosing
    /// function (the latest one before this node), to look through one
    /// level of indirection: `let addr = "0.0.0.0:8080"; bind(addr)`.
    pub fn local_init(&self, name: &str) -> Option<&syn::Expr> {
        self.state.local_init(name)
    }

    /// Masks `range` (a secret) in every rendering of this file: snippets,
    /// JSON `text` and `rendered`. Unless `--show-secrets` is given.
    pub fn redact(&mut self, range: Range<usize>) {
        self.redactions.push(range);
    }

    /// A secret value as it may appear in a message: its first four
    /// characters and `…`, or all of it with `--show-secrets`.
    pub fn redacted(&self, secret: &str) -> String {
        if self.package.show_secrets {
            secret.to_string()
        } else {
            crate::diagnostic::redact(secret)
        }
    }

    /// Whether the node is in the local fallback of an object-store
    /// setting: the `else` of `if CONFIG.s3.is_some() { .. }`.
    pub fn in_local_fallback(&self) -> bool {
        self.state.local_fallback > 0
    }

    /// Whether the code runs only when `path` does not exist (the `else` of
    /// `if path.exists()`), or `path` is derived from such a path
    /// (`path.parent().unwrap()`): a first-run default written once.
    pub fn only_when_missing(&self, path: &syn::Expr) -> bool {
        let key = visitor::path_key(path);
        self.state
            .missing
            .iter()
            .any(|m| key == *m || key.strip_prefix(m.as_str()).is_some_and(|rest| rest.starts_with('.')))
    }

    /// The innermost enclosing function's name.
    pub fn enclosing_fn(&self) -> Option<&str> {
        self.state.fns.last().map(String::as_str)
    }

    /// The innermost enclosing item, as `fn main`, `static CACHE`, `mod tests`.
    pub fn enclosing_item(&self) -> Option<&str> {
        self.state.items.last().map(String::as_str)
    }

    /// The calls whose arguments the node is in, innermost last: a literal
    /// in `PgPool::connect(&format!("postgres://{h}/db"))` sees `connect`
    /// with `arg` 0. Method receivers are not arguments.
    pub fn call_stack(&self) -> &[CallFrame] {
        &self.state.calls
    }

    /// Paths of the macros the node is inside, innermost last.
    pub fn macro_stack(&self) -> &[String] {
        &self.state.macros
    }

    /// Canonical candidates for a path written in this file.
    pub fn resolve(&self, path: &syn::Path) -> Vec<String> {
        self.state.resolver.resolve(path)
    }

    /// The canonical paths of calls whose value flows into `expr`, through
    /// local `let` bindings: `dir.path().join("x")` after
    /// `let dir = tempfile::tempdir()?` gives `tempfile::tempdir`.
    pub fn sources(&self, expr: &syn::Expr) -> BTreeSet<String> {
        self.state.sources(expr)
    }

    /// A span in this file.
    /// A node's span. An expression's is found from its first and last
    /// tokens, at no cost proportional to its size.
    pub fn span<T: syn::spanned::Spanned + 'static>(&self, node: &T) -> Span {
        let any = node as &dyn std::any::Any;
        let range = if let Some(expr) = any.downcast_ref::<syn::Expr>() {
            crate::source::spans::expr_range(expr)
        } else if let Some(block) = any.downcast_ref::<syn::Block>() {
            crate::source::spans::block_range(block)
        } else {
            node.span().byte_range()
        };
        Span::new(self.file.clone(), range)
    }

    pub fn span_of(&self, range: Range<usize>) -> Span {
        Span::new(self.file.clone(), range)
    }

    /// Reports a finding of the current rule; returns it for labels,
    /// notes, helps and suggestions.
    pub fn report(&mut self, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        let mut d = finding(self.rule, self.severity, span, message);
        d.item = self.state.owners.last().cloned();
        self.out.push(d);
        self.out.last_mut().expect("just pushed")
    }

    /// The canonical path of the function, `static` or `const` the node is
    /// in: the service model's node.
    pub fn owner(&self) -> Option<&str> {
        self.state.owners.last().map(String::as_str)
    }

    /// Records a fact for this rule's [`Rule::check_package`].
    /// The value's type must be listed in the rule's
    /// [`Rule::fact_types`](super::Rule::fact_types), for the cache.
    pub fn record<T: super::cache::FactValue>(&mut self, span: Span, value: T) {
        self.facts.push(Fact {
            rule: self.rule.name,
            origin: self.origin,
            span,
            value: Box::new(value),
            kind: super::cache::FactType::of::<T>(),
        });
    }
}

//! What a rule is: its metadata and documentation ([`RuleMeta`],
//! [`declare_rule!`]), the hooks the pass calls ([`Rule`]), and the
//! per-package [`Settings`] that carry levels and each rule's own typed
//! options.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Call, Cx, Fact, MacroCall, PackageReport};
use crate::diagnostic::LintLevel;
use crate::factor::Factor;

/// Where a rule reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Only code a service entry point runs (the workspace service model);
    /// CLIs, dev tools and libraries no service uses stay quiet.
    Service,
    /// As `Service`, leaving out the services whose job is data on disk
    /// (databases, which embed a storage engine, and file servers) and code
    /// that only an opt-in branch (`if config.json_db`) reaches.
    /// `scope = "service"` puts them back.
    StatelessService,
    /// All checked code.
    #[default]
    All,
}

/// What `cargo twelve rules` and `explain` show of a rule.
#[derive(Debug)]
pub struct RuleMeta {
    pub name: &'static str,
    pub factor: Factor,
    pub default_level: LintLevel,
    /// Whether some findings carry a machine-applicable suggestion.
    pub fixable: bool,
    /// Option keys accepted in the rule's config table.
    pub options: &'static [&'static str],
    /// Where it reports by default; `scope = "all"` widens a service-scoped
    /// rule.
    pub scope: Scope,
    /// The doc comment as the compiler sees it (each line indented by one
    /// space); [`RuleMeta::docs`] gives the Markdown.
    pub raw_docs: &'static str,
}

impl RuleMeta {
    /// The documentation, Markdown: What it does / Why is this bad /
    /// Example / Use instead.
    pub fn docs(&self) -> String {
        self.raw_docs
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The first line of "What it does", for tables.
    pub fn summary(&self) -> &'static str {
        self.raw_docs
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or("")
    }
}

/// Declares a rule: a unit struct, its [`RuleMeta`] and its docs.
///
/// ```ignore
/// declare_rule! {
///     /// ### What it does
///     /// ...
///     pub FilesystemWrite => "filesystem_write", Factor::Processes, Warn, fixable: false, options: []
/// }
/// ```
#[macro_export]
macro_rules! declare_rule {
    (@scope) => { $crate::engine::Scope::All };
    (@scope $scope:ident) => { $crate::engine::Scope::$scope };
    (
        $(#[doc = $doc:expr])*
        $vis:vis $ty:ident => $name:literal, $factor:expr, $level:ident, fixable: $fixable:expr, options: [$($opt:literal),*] $(, scope: $scope:ident)?
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Default, Clone, Copy)]
        $vis struct $ty;

        impl $ty {
            pub const META: $crate::engine::RuleMeta = $crate::engine::RuleMeta {
                name: $name,
                factor: $factor,
                default_level: $crate::diagnostic::LintLevel::$level,
                fixable: $fixable,
                options: &[$($opt),*],
                scope: $crate::declare_rule!(@scope $($scope)?),
                raw_docs: concat!($($doc, "\n"),*),
            };
        }
    };
}

/// The hooks a rule can implement. Each is called by the engine's single
/// pass over a file, with a [`Cx`] that knows where the node is.
pub trait Rule: Send + Sync {
    fn meta(&self) -> &'static RuleMeta;

    /// A call of a path (`std::fs::write(..)`) or a method (`opts.open(..)`),
    /// resolved through the file's imports and local bindings.
    fn check_call(&self, _cx: &mut Cx<'_>, _call: &Call<'_>) {}

    /// A macro invocation anywhere (expression, statement or item position).
    fn check_macro(&self, _cx: &mut Cx<'_>, _mac: &MacroCall<'_>) {}

    /// A string, byte-string or raw-string literal, including those found
    /// inside macro arguments.
    fn check_lit(&self, _cx: &mut Cx<'_>, _lit: &syn::Lit) {}

    /// Every expression, before its sub-expressions (struct literals,
    /// assignments, `match` arms, ...). Calls and macros also get their own
    /// hooks.
    fn check_expr(&self, _cx: &mut Cx<'_>, _expr: &syn::Expr) {}

    /// A `let` statement, before its initializer is visited.
    fn check_local(&self, _cx: &mut Cx<'_>, _local: &syn::Local) {}

    /// An item (fn, static, struct, mod, ...), before its contents.
    fn check_item(&self, _cx: &mut Cx<'_>, _item: &syn::Item) {}

    /// Once per package, after every file's pass, with the facts this rule
    /// recorded with [`Cx::record`]: for checks that need the whole package
    /// (is there a signal handler anywhere?) or its manifest.
    fn check_package(&self, _cx: &mut PackageReport<'_>, _facts: &[Fact]) {}

    /// Every type the rule [records](super::Cx::record) as a fact, so the
    /// cache can read the facts back (`&[FactType::of::<Seen>()]`). A file
    /// with a fact of a type not listed here is not cached.
    fn fact_types(&self) -> &'static [super::cache::FactType] {
        &[]
    }

    /// Files other than the source file that the rule's per-file hooks
    /// read (the image's `Dockerfile`s): the cache keys every file of the
    /// package by their names and contents, so a change to one of them
    /// checks the files again. Package-level checks always run again and
    /// need not list what they read.
    fn file_inputs(
        &self,
        _workspace_root: &std::path::Path,
        _package_dir: &std::path::Path,
    ) -> Vec<std::path::PathBuf> {
        Vec::new()
    }

    /// Markdown that `cargo twelve explain` prints after the docs, generated
    /// from the rule's data tables so it cannot drift from them.
    fn explain_appendix(&self) -> Option<String> {
        None
    }

    /// Validates the rule's table of options (`[*.metadata.twelve.<rule>]`)
    /// into the rule's own typed options, layered over `base`, the value an
    /// earlier configuration layer gave. Only rules that list option keys in
    /// [`RuleMeta::options`] are asked; the keys are checked before.
    fn parse_options(&self, _table: &OptionTable, _base: Option<&RuleOptions>) -> Result<RuleOptions, String> {
        Err(format!("`{}` has no options", self.meta().name))
    }
}

/// A rule's table of options, as `cargo metadata` gives it.
pub type OptionTable = serde_json::Map<String, serde_json::Value>;

/// A rule's validated options: its own struct, read back with
/// [`Cx::options`] or [`PackageReport::options`].
pub type RuleOptions = Arc<dyn Any + Send + Sync>;

/// Reads the `known` keys of `table` into `T`, keeping the fields of `base`
/// (an earlier layer) that this table does not name. The one-liner behind
/// most [`Rule::parse_options`].
pub fn layer_options<T>(table: &OptionTable, base: Option<&RuleOptions>, known: &[&str]) -> Result<T, String>
where
    T: Default + Clone + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    let current: T = base.and_then(|b| b.downcast_ref::<T>()).cloned().unwrap_or_default();
    let Ok(serde_json::Value::Object(mut merged)) = serde_json::to_value(&current) else {
        unreachable!("options are structs");
    };
    for (k, v) in table.iter().filter(|(k, _)| known.contains(&k.as_str())) {
        merged.insert(k.clone(), v.clone());
    }
    serde_json::from_value(serde_json::Value::Object(merged)).map_err(|e| format!("invalid value: {e}"))
}

/// The validated configuration of one package, as the engine applies it:
/// levels, excluded paths and each configured rule's options. `config`
/// builds it from `metadata.twelve`; the default checks everything at the
/// rules' default levels.
#[derive(Clone, Default)]
pub struct Settings {
    /// Rule name to level; rules not listed keep their default.
    pub lints: BTreeMap<String, LintLevel>,
    /// Globs of paths, relative to the workspace root or the package, that
    /// are not checked.
    pub exclude: Vec<String>,
    /// Rule name to its options, for rules whose table was given.
    pub options: BTreeMap<&'static str, RuleOptions>,
    /// `scope = "all"` at the top of the table: every service-scoped rule
    /// reports everywhere.
    pub scope: Option<Scope>,
    /// `scope` in a rule's own table.
    pub rule_scopes: BTreeMap<&'static str, Scope>,
    /// Entry points configured as services, one-shot programs or dev
    /// tools (binary, package or subcommand names), overriding the model.
    pub services: Vec<String>,
    pub one_shot: Vec<String>,
    pub dev_tools: Vec<String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("lints", &self.lints)
            .field("exclude", &self.exclude)
            .field("options", &self.options.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Settings {
    /// Where rule `name`, service-scoped by default as `default`, reports.
    pub fn scope_of(&self, name: &str, default: Scope) -> Scope {
        self.rule_scopes.get(name).copied().or(self.scope).unwrap_or(default)
    }

    /// The options of rule `name`, when they were configured as a `T`.
    pub fn options<T: 'static>(&self, name: &str) -> Option<&T> {
        self.options.get(name)?.downcast_ref()
    }
}

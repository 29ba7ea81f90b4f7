//! The rules, one file each, grouped by factor.
//!
//! A rule is declared with [`declare_rule!`], which keeps its documentation
//! (the doc comment, printed by `cargo twelve explain`) next to its metadata.
//! A rule implements the [`Rule`] hooks it needs; the engine calls every
//! enabled rule from a single syntax-tree pass per file.

pub mod admin_processes;
pub mod backing_services;
pub mod build_release_run;
pub mod codebase;
pub(crate) mod common;
pub mod concurrency;
pub mod config;
pub mod dependencies;
pub mod disposability;
pub mod logs;
pub mod naming;
pub mod port_binding;
pub mod processes;
pub(crate) mod services;

use crate::diagnostic::LintLevel;
use crate::engine::{Call, Cx, Fact, MacroCall, PackageReport};

/// The twelve factors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Factor {
    Codebase,
    Dependencies,
    Config,
    BackingServices,
    BuildReleaseRun,
    Processes,
    PortBinding,
    Concurrency,
    Disposability,
    DevProdParity,
    Logs,
    AdminProcesses,
}

impl Factor {
    pub const ALL: [Factor; 12] = [
        Factor::Codebase,
        Factor::Dependencies,
        Factor::Config,
        Factor::BackingServices,
        Factor::BuildReleaseRun,
        Factor::Processes,
        Factor::PortBinding,
        Factor::Concurrency,
        Factor::Disposability,
        Factor::DevProdParity,
        Factor::Logs,
        Factor::AdminProcesses,
    ];

    /// The roman numeral of the factor, `I` to `XII`.
    pub fn numeral(self) -> &'static str {
        ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"][self as usize]
    }

    pub fn title(self) -> &'static str {
        [
            "Codebase",
            "Dependencies",
            "Config",
            "Backing services",
            "Build, release, run",
            "Processes",
            "Port binding",
            "Concurrency",
            "Disposability",
            "Dev/prod parity",
            "Logs",
            "Admin processes",
        ][self as usize]
    }

    fn page(self) -> &'static str {
        [
            "codebase",
            "dependencies",
            "config",
            "backing-services",
            "build-release-run",
            "processes",
            "port-binding",
            "concurrency",
            "disposability",
            "dev-prod-parity",
            "logs",
            "admin-processes",
        ][self as usize]
    }

    pub fn url(self) -> String {
        format!("https://12factor.net/{}", self.page())
    }
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
    (
        $(#[doc = $doc:expr])*
        $vis:vis $ty:ident => $name:literal, $factor:expr, $level:ident, fixable: $fixable:expr, options: [$($opt:literal),*]
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Default, Clone, Copy)]
        $vis struct $ty;

        impl $ty {
            pub const META: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
                name: $name,
                factor: $factor,
                default_level: $crate::diagnostic::LintLevel::$level,
                fixable: $fixable,
                options: &[$($opt),*],
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

    /// Markdown that `cargo twelve explain` prints after the docs, generated
    /// from the rule's data tables so it cannot drift from them.
    fn explain_appendix(&self) -> Option<String> {
        None
    }
}

/// Every rule, in the order `cargo twelve rules` lists them.
pub static ALL: &[&dyn Rule] = &[
    &codebase::external_path_dependency::ExternalPathDependency,
    &dependencies::missing_lockfile::MissingLockfile,
    &dependencies::system_command::SystemCommand,
    &dependencies::unpinned_git_dependency::UnpinnedGitDependency,
    &dependencies::wildcard_dependency::WildcardDependency,
    &config::committed_env_file::CommittedEnvFile,
    &config::hardcoded_secret::HardcodedSecret,
    &config::secret_fallback::SecretFallback,
    &backing_services::hardcoded_backing_service::HardcodedBackingService,
    &build_release_run::compile_time_config::CompileTimeConfig,
    &processes::filesystem_write::FilesystemWrite,
    &processes::process_local_state::ProcessLocalState,
    &port_binding::hardcoded_port::HardcodedPort,
    &concurrency::daemonize::Daemonize,
    &disposability::missing_signal_handler::MissingSignalHandler,
    &logs::log_to_file::LogToFile,
    &admin_processes::startup_migration::StartupMigration,
];

pub fn find(name: &str) -> Option<&'static dyn Rule> {
    let name = name.strip_prefix("twelve::").unwrap_or(name);
    ALL.iter().copied().find(|r| r.meta().name == name)
}

/// The closest rule name, for "did you mean" hints.
pub fn closest(name: &str) -> Option<&'static str> {
    ALL.iter()
        .map(|r| r.meta().name)
        .map(|n| (edit_distance(name, n), n))
        .filter(|(d, n)| *d <= n.len() / 3 + 1)
        .min()
        .map(|(_, n)| n)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_documented_in_the_four_sections() {
        for rule in ALL {
            let meta = rule.meta();
            for section in [
                "### What it does",
                "### Why is this bad",
                "### Example",
                "### Use instead",
            ] {
                assert!(
                    meta.docs().lines().any(|l| l == section),
                    "{} lacks {section}",
                    meta.name
                );
            }
            assert!(!meta.summary().is_empty());
        }
    }

    #[test]
    fn rule_names_are_unique_snake_case() {
        let mut names: Vec<_> = ALL.iter().map(|r| r.meta().name).collect();
        assert!(
            names
                .iter()
                .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        );
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }

    #[test]
    fn closest_suggests_typos_only() {
        assert_eq!(closest("filesystem_writes"), Some("filesystem_write"));
        assert_eq!(closest("nothing_like_it"), None);
    }

    #[test]
    fn factor_urls() {
        assert_eq!(Factor::BuildReleaseRun.url(), "https://12factor.net/build-release-run");
        assert_eq!(Factor::AdminProcesses.numeral(), "XII");
    }
}

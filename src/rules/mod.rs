//! The rules, one file each, grouped by factor.
//!
//! A rule is declared with [`crate::declare_rule!`], which keeps its
//! documentation (the doc comment, printed by `cargo twelve explain`) next
//! to its metadata. A rule implements the [`Rule`] hooks it needs; the
//! engine calls every enabled rule from a single syntax-tree pass per file.
//! [`ALL`] is the registry: the engine receives it as a parameter and
//! never names this module.

pub mod admin_processes;
pub mod backing_services;
pub mod build_release_run;
pub mod codebase;
pub(crate) mod common;
pub mod concurrency;
pub mod config;
pub mod dependencies;
pub mod disposability;
pub(crate) mod image;
pub mod logs;
pub mod naming;
pub mod port_binding;
pub mod processes;
pub(crate) mod rewrite;
pub(crate) mod services;

pub use crate::engine::{Rule, RuleMeta};
pub use crate::factor::Factor;

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

/// The package `check_text` and the rules' tests check a lone file in:
/// `app` at `/app`, no targets, no dependencies.
pub fn scratch_package() -> crate::workspace::Package {
    crate::workspace::Package {
        id: "path+file:///app#0.1.0".into(),
        name: "app".into(),
        version: "0.1.0".into(),
        manifest_path: "/app/Cargo.toml".into(),
        targets: Vec::new(),
        twelve: None,
        build_env: Default::default(),
        dependencies: Vec::new(),
        description: None,
        features: Default::default(),
    }
}

/// Every rule on one file's text, checked as the root of a library crate
/// `app` at `/app/src/lib.rs` and, when `bin` is set, of its binary at
/// `/app/src/main.rs`, with the default configuration: the per-file
/// analyser on its own, for fuzzing and property tests. Nothing is read
/// from disk.
pub fn check_text(text: &str, bin: bool) -> Vec<crate::diagnostic::Diagnostic> {
    use crate::workspace::TargetKind;
    let package = scratch_package();
    let (path, kind) = if bin {
        ("/app/src/main.rs", TargetKind::Bin)
    } else {
        ("/app/src/lib.rs", TargetKind::Lib)
    };
    crate::engine::check_source(
        &package,
        &Default::default(),
        ALL,
        std::path::Path::new(path),
        text,
        kind,
    )
}

/// The byte ranges of every value the secret detector recognises in
/// `text` (provider token formats, private key blocks, passwords in URLs),
/// whatever the text is and whether or not `hardcoded_secret` is enabled
/// there: what every output masks.
pub fn secret_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    config::secret_patterns::find(text)
        .into_iter()
        .map(|f| f.range)
        .collect()
}

/// `text` with every secret [`secret_ranges`] finds masked the way
/// snippets are: its first four characters kept, the rest `*`.
pub fn mask_secrets(text: &str) -> String {
    let ranges = secret_ranges(text);
    if ranges.is_empty() {
        return text.to_string();
    }
    crate::source::SourceFile::new("", text.to_string())
        .masked(&ranges)
        .text
}

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
}

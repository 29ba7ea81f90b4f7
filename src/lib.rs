//! `cargo twelve`: checks Rust services against the Twelve-Factor App
//! (<https://12factor.net>) and reports compiler-style diagnostics.
//!
//! The modules are layered; data flows down and a module names only the
//! layers below it (`tests/layers.rs` keeps it so):
//!
//! 1. [`source`] (files, parsing, macro bodies), [`resolve`] (imports to
//!    canonical paths) and [`factor`] (the twelve factors);
//! 2. [`workspace`] (`cargo metadata`, targets, module discovery, the raw
//!    `metadata.twelve` tables) and [`manifest`] (`Cargo.toml` with spans);
//! 3. [`diagnostic`]: the model and its emitters;
//! 4. [`engine`]: the `Rule` trait, the single pass over each file, `Cx`,
//!    facts and per-package `Settings`; it is handed its rules;
//! 5. [`rules`]: one file per rule, and the registry [`rules::ALL`];
//! 6. [`config`] (validates `metadata.twelve` against the registry), then
//!    the commands [`report`], [`env_inventory`] and [`fix`], and
//!    [`baseline`] for `check`;
//! 7. [`cli`].

pub mod baseline;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod engine;
pub mod env_inventory;
pub mod factor;
pub mod fix;
pub mod manifest;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod source;
pub mod workspace;

#[cfg(test)]
pub(crate) mod test_support {
    use std::path::Path;

    use crate::diagnostic::Diagnostic;
    use crate::rules::Rule;
    use crate::workspace::{Package, TargetKind};

    pub fn package() -> Package {
        crate::rules::scratch_package()
    }

    /// Findings of one rule on `src` as the root of a library.
    pub fn check_rule(rule: &'static dyn Rule, src: &str) -> Vec<Diagnostic> {
        check_rule_in(rule, src, |_| {})
    }

    /// Writes `files` (relative path, text) into `dir` and runs `rule`'s
    /// package-level check on every `Cargo.toml` with a `[package]`, the
    /// way a run over the whole workspace at `dir` does.
    pub fn check_manifest_in(rule: &'static dyn Rule, dir: &Path, files: &[(&str, &str)]) -> Vec<Diagnostic> {
        let mut packages = Vec::new();
        for (rel, text) in files {
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            if rel.ends_with("Cargo.toml") && text.contains("[package]") {
                let mut p = package();
                p.manifest_path = path.clone();
                p.name = path
                    .parent()
                    .unwrap()
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                packages.push(p);
            }
        }
        let ws = crate::workspace::Workspace {
            root: dir.to_path_buf(),
            packages,
            context: Vec::new(),
            twelve: None,
            warnings: Vec::new(),
            target_directory: dir.join("target"),
        };
        crate::engine::check(&ws, &[rule], &Default::default()).diagnostics
    }

    /// Same, in a fresh temporary directory outside any git repository.
    pub fn check_manifest(rule: &'static dyn Rule, files: &[(&str, &str)]) -> Vec<Diagnostic> {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        check_manifest_in(rule, &root, files)
    }

    /// The line of each finding, in order.
    pub fn lines_of(found: &[Diagnostic]) -> Vec<usize> {
        found.iter().map(|d| d.span.start().line).collect()
    }

    /// `file:line message` of each finding, in order, the file by its name
    /// alone.
    pub fn file_line_messages(found: &[Diagnostic]) -> Vec<String> {
        found
            .iter()
            .map(|d| {
                let file = d.span.path().file_name().unwrap().to_string_lossy().to_string();
                format!("{file}:{} {}", d.span.start().line, d.message)
            })
            .collect()
    }

    /// A `src/bin/migrate.rs` that runs the sqlx migrations and exits: an
    /// admin process, not a service.
    pub const MIGRATE_BIN: &str = r#"
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let pool = sqlx::PgPool::connect(&std::env::var("DATABASE_URL")?).await?;
    sqlx::migrate!().run(&pool).await?;
    Ok(())
}
"#;

    /// `severity: message` of each finding, in order.
    pub fn messages(found: &[Diagnostic]) -> Vec<String> {
        found
            .iter()
            .map(|d| format!("{}: {}", d.severity.as_str(), d.message))
            .collect()
    }

    /// Same, with the package adjusted first (name, build script vars).
    pub fn check_rule_in(rule: &'static dyn Rule, src: &str, adjust: impl FnOnce(&mut Package)) -> Vec<Diagnostic> {
        let mut pkg = package();
        adjust(&mut pkg);
        crate::engine::check_source(
            &pkg,
            &Default::default(),
            &[rule],
            Path::new("/app/src/lib.rs"),
            src,
            TargetKind::Lib,
        )
    }

    /// Same, with the rule's options configured.
    pub fn check_rule_with_options(
        rule: &'static dyn Rule,
        src: &str,
        options: impl std::any::Any + Send + Sync,
    ) -> Vec<Diagnostic> {
        check_rule_configured(rule, src, |_| {}, options)
    }

    /// Same, with the package adjusted and the rule's options configured.
    pub fn check_rule_configured(
        rule: &'static dyn Rule,
        src: &str,
        adjust: impl FnOnce(&mut Package),
        options: impl std::any::Any + Send + Sync,
    ) -> Vec<Diagnostic> {
        let mut pkg = package();
        adjust(&mut pkg);
        let mut settings = crate::engine::Settings::default();
        settings.options.insert(rule.meta().name, std::sync::Arc::new(options));
        crate::engine::check_source(
            &pkg,
            &settings,
            &[rule],
            Path::new("/app/src/lib.rs"),
            src,
            TargetKind::Lib,
        )
    }

    /// Findings of one rule on a whole package written to a scratch
    /// directory: `files` are `(path, text)` pairs (`src/main.rs`,
    /// `src/lib.rs`, `src/bin/x.rs`, `log4rs.yaml`, ...), and `manifest` is
    /// added to the package's `Cargo.toml` (`[dependencies]` and such). Runs
    /// the package-level hooks too. The package is named `app`; the rule runs at
    /// warn level even when it is allowed by default, and everywhere, not
    /// only in code a service runs ([`check_workspace`] tests that).
    pub fn check_package_rule(rule: &'static dyn Rule, manifest: &str, files: &[(&str, &str)]) -> Vec<Diagnostic> {
        let dir = tempfile::tempdir().expect("scratch dir");
        let toml = format!(
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n{manifest}\n\n[workspace]\n"
        );
        std::fs::write(dir.path().join("Cargo.toml"), toml).expect("manifest");
        let selection = write_files(dir.path(), files);
        let workspace = crate::workspace::Workspace::load(&selection).expect("cargo metadata");
        // Rules allowed by default are tested at warn.
        let settings = crate::engine::Settings {
            scope: Some(crate::engine::Scope::All),
            ..Default::default()
        };
        let options = crate::engine::Options {
            overrides: vec![(rule.meta().name.to_string(), crate::diagnostic::LintLevel::Warn)],
            settings: vec![settings],
            ..Default::default()
        };
        crate::engine::check(&workspace, &[rule], &options).diagnostics
    }

    /// Writes `files` (relative path, text) under `dir`; the selection of
    /// its `Cargo.toml`.
    fn write_files(dir: &Path, files: &[(&str, &str)]) -> crate::workspace::Selection {
        for (path, text) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
            std::fs::write(path, text).expect("file");
        }
        crate::workspace::Selection {
            manifest_path: Some(dir.join("Cargo.toml")),
            ..Default::default()
        }
    }

    /// A whole workspace written to a scratch directory (`files` holds
    /// every `Cargo.toml`, the root's `[workspace]` included), checked as
    /// `cargo twelve --workspace` checks it: configuration read from
    /// `metadata.twelve`, rules at warn level, service scoping on.
    pub fn check_workspace(rules: &[&'static dyn Rule], files: &[(&str, &str)]) -> crate::engine::Outcome {
        let dir = tempfile::tempdir().expect("scratch dir");
        let selection = crate::workspace::Selection {
            workspace: true,
            ..write_files(dir.path(), files)
        };
        let workspace = crate::workspace::Workspace::load(&selection).expect("cargo metadata");
        let (settings, issues) = crate::config::load(&workspace);
        assert!(issues.is_empty(), "{issues:?}");
        let options = crate::engine::Options {
            overrides: rules
                .iter()
                .map(|r| (r.meta().name.to_string(), crate::diagnostic::LintLevel::Warn))
                .collect(),
            settings,
            ..Default::default()
        };
        crate::engine::check(&workspace, rules, &options)
    }
}

use std::path::Path;

use crate::declare_rule;
use crate::diagnostic::{Severity, Span};
use crate::engine::{Fact, PackageReport};
use crate::manifest::{self, DepKind};
use crate::rules::{Factor, Rule, RuleMeta};

declare_rule! {
    /// ### What it does
    /// Finds `path` dependencies in `Cargo.toml` (and `[patch]` /
    /// `[replace]` entries with a `path`) that point outside the
    /// repository: outside the git work tree, or outside the workspace root
    /// when the project is not in git. Workspace inheritance is followed
    /// to `[workspace.dependencies]`, whose paths are relative to the root.
    ///
    /// ### Why is this bad
    /// A twelve-factor app is one codebase in revision control. Code pulled
    /// in from `../../other-repo` is not in this codebase: a fresh clone
    /// does not build, CI and colleagues need the same sibling checkout at
    /// the same commit, and nothing records which version of it a release
    /// was built with.
    ///
    /// ### Example
    /// ```toml
    /// [dependencies]
    /// billing-client = { path = "../../billing/client" }
    /// ```
    ///
    /// ### Use instead
    /// ```toml
    /// [dependencies]
    /// billing-client = { version = "2.1", registry = "acme" }
    /// # or a pinned git dependency, or move the crate into this repository
    /// ```
    pub ExternalPathDependency => "external_path_dependency", Factor::Codebase, Warn, fixable: false, options: []
}

impl Rule for ExternalPathDependency {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_package(&self, cx: &mut PackageReport<'_>, _facts: &[Fact]) {
        let (root, in_git) = match manifest::git_toplevel(cx.workspace_root) {
            Some(top) => (top, true),
            None => (manifest::canonical(cx.workspace_root), false),
        };
        let what = if in_git { "the repository" } else { "the workspace" };
        for dep in manifest::dependencies(&cx.package.manifest_path, cx.workspace_root) {
            let Some(path) = &dep.path else { continue };
            let resolved = manifest::resolve_path(dep.base_dir(), &path.value);
            if resolved.starts_with(&root) {
                continue;
            }
            let d = cx
                .report(
                    Span::new(dep.file.clone(), path.span.clone()),
                    format!("path dependency `{}` is outside {what}", dep.name),
                )
                .label(format!("not part of this codebase: {}", shown(&resolved)));
            if dep.kind == DepKind::Dev {
                d.severity = Severity::Note;
                d.note("in dev-dependencies: it changes the test build, not the shipped binary");
            }
            if dep.inherited {
                d.note("declared in `[workspace.dependencies]` and inherited with `workspace = true`");
            }
            advise(d, &root, in_git);
        }
        let root_manifest = cx.workspace_root.join("Cargo.toml");
        for patch in manifest::patches(&root_manifest) {
            let Some(path) = &patch.path else { continue };
            let resolved = manifest::resolve_path(patch.base_dir(), &path.value);
            if resolved.starts_with(&root) {
                continue;
            }
            let d = cx
                .report(
                    Span::new(patch.file.clone(), path.span.clone()),
                    format!("patch of `{}` points outside {what}", patch.name),
                )
                .label(format!("not part of this codebase: {}", shown(&resolved)));
            advise(d, &root, in_git);
        }
    }
}

fn shown(path: &Path) -> String {
    format!("`{}`", path.display())
}

fn advise(d: &mut crate::diagnostic::Diagnostic, root: &Path, in_git: bool) {
    d.note(format!(
        "{} is `{}`: a fresh clone of it does not contain this code, so the build cannot be reproduced from the codebase",
        if in_git {
            "the repository root"
        } else {
            "the workspace root"
        },
        root.display()
    ));
    d.help("publish the crate (to crates.io or a private registry) and depend on a version, use a git dependency pinned by `rev`, or move the code into this repository");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{check_manifest_in, messages};

    fn tmp() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        (dir, root)
    }

    #[test]
    fn outside_the_workspace_without_git() {
        let (_dir, tmp) = tmp();
        std::fs::create_dir_all(tmp.join("billing/client")).unwrap();
        let found = check_manifest_in(
            &ExternalPathDependency,
            &tmp.join("app"),
            &[
                (
                    "Cargo.toml",
                    r#"[workspace]
members = ["crates/*"]

[workspace.dependencies]
billing = { path = "../billing/client" }
core = { path = "crates/core" }

[patch.crates-io]
hyper = { path = "../forks/hyper" }
"#,
                ),
                (
                    "crates/api/Cargo.toml",
                    r#"[package]
name = "api"

[dependencies]
core.workspace = true
billing.workspace = true
util = { path = "../util" }

[target.'cfg(unix)'.dependencies]
sys = { path = "../../../sys", version = "0.1" }

[dev-dependencies]
fixtures = { path = "../../../fixtures" }
"#,
                ),
            ],
        );
        assert_eq!(
            messages(&found),
            [
                "warning: path dependency `billing` is outside the workspace",
                "warning: patch of `hyper` points outside the workspace",
                "warning: path dependency `sys` is outside the workspace",
                "note: path dependency `fixtures` is outside the workspace",
            ]
        );
        assert_eq!(found[0].span.snippet(), "\"../billing/client\"");
        assert!(
            found[0]
                .label
                .as_deref()
                .unwrap()
                .contains(&tmp.join("billing/client").display().to_string())
        );
    }

    #[test]
    fn inside_the_git_repository_is_fine() {
        let (_dir, tmp) = tmp();
        let git = |args: &[&str]| {
            std::process::Command::new("git")
                .arg("-C")
                .arg(&tmp)
                .args(args)
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !git(&["init", "-q"]) {
            return; // no git on this machine
        }
        // The service is a workspace inside a monorepo: `../shared` is
        // outside the workspace but inside the repository.
        let found = check_manifest_in(
            &ExternalPathDependency,
            &tmp.join("services/api"),
            &[(
                "Cargo.toml",
                "[package]\nname = \"api\"\n\n[workspace]\n\n[dependencies]\nshared = { path = \"../../libs/shared\" }\nother = { path = \"../../../other-repo/lib\" }\n",
            )],
        );
        assert_eq!(
            messages(&found),
            ["warning: path dependency `other` is outside the repository"]
        );
    }
}

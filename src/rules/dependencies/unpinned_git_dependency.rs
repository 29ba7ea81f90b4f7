use crate::declare_rule;
use crate::diagnostic::{Applicability, Edit, Severity, Span};
use crate::engine::{Fact, PackageReport};
use crate::manifest::{self, DepDecl, DepKind};
use crate::rules::{Factor, Rule, RuleMeta};

declare_rule! {
    /// ### What it does
    /// Finds `git` dependencies in `Cargo.toml` (and `[patch]` entries)
    /// that are not pinned to a commit with `rev`: those that follow a
    /// `branch`, or the default branch when nothing is given. A `tag` is reported as a note, since
    /// tags can be moved but rarely are. Workspace inheritance is followed
    /// to `[workspace.dependencies]`; dev-dependencies are reported as notes.
    ///
    /// ### Why is this bad
    /// A twelve-factor build is reproducible from the codebase and its
    /// declared dependencies. A branch is a moving target: without a
    /// committed `Cargo.lock` that records the commit, each build (or a
    /// force-push to the branch) gives a different build from the same
    /// manifest. A dependency whose commit a committed `Cargo.lock`
    /// records is pinned, as `serde = "1"` is, and is not reported.
    ///
    /// ### Example
    /// ```toml
    /// [dependencies]
    /// tower-x = { git = "https://github.com/acme/tower-x", branch = "main" }
    /// ```
    ///
    /// ### Use instead
    /// ```toml
    /// [dependencies]
    /// tower-x = { git = "https://github.com/acme/tower-x", rev = "4f0e2a1c" }
    /// ```
    /// or, better, a published version.
    ///
    /// ### Fix
    /// `cargo twelve fix` pins the commit a local, uncommitted `Cargo.lock`
    /// builds: `rev = "<sha>"`
    /// is added after `git`, or replaces `branch`/`tag` (cargo takes only one
    /// of them) (machine-applicable).
    pub UnpinnedGitDependency => "unpinned_git_dependency", Factor::Dependencies, Warn, fixable: true, options: []
}

impl Rule for UnpinnedGitDependency {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_package(&self, cx: &mut PackageReport<'_>, _facts: &[Fact]) {
        let locked = manifest::locked(cx.workspace_root);
        let committed = lock_committed(cx.workspace_root);
        for dep in manifest::dependencies(&cx.package.manifest_path, cx.workspace_root) {
            check(cx, &dep, &locked, committed);
        }
        // `[patch]` applies from the workspace root only.
        for patch in manifest::patches(&cx.workspace_root.join("Cargo.toml")) {
            check(cx, &patch, &locked, committed);
        }
    }
}

/// Whether the workspace's `Cargo.lock` is part of the codebase: present
/// and not ignored by git (as `git check-ignore` sees it, so a tracked
/// lock file is committed whatever `.gitignore` says; without git, by the
/// root's `.gitignore`).
fn lock_committed(root: &std::path::Path) -> bool {
    root.join("Cargo.lock").is_file() && manifest::ignored(root, "Cargo.lock").is_none()
}

/// The one commit `Cargo.lock` builds from the repository at `url`.
fn locked_commit<'l>(locked: &'l [manifest::Locked], url: &str) -> Option<&'l str> {
    let mut commits: Vec<&str> = locked
        .iter()
        .filter_map(|l| l.git())
        .filter(|(u, _)| manifest::same_repository(u, url))
        .map(|(_, c)| c)
        .collect();
    commits.dedup();
    match commits.as_slice() {
        [one] if one.len() >= 7 && one.bytes().all(|b| b.is_ascii_hexdigit()) => Some(one),
        _ => None,
    }
}

/// The edit that pins `dep` to `commit`: `branch = ".."` or `tag = ".."`
/// becomes `rev = ".."` (cargo takes only one of them), or `rev` is added
/// after `git`, in an inline table or on a line of its own.
fn pin(dep: &DepDecl, commit: &str) -> Option<Edit> {
    let text = &dep.file.text;
    let rev = format!("rev = \"{commit}\"");
    if let Some(moving) = dep.branch.as_ref().or(dep.tag.as_ref()) {
        // Back from the value over `=` to the key.
        let before = text[..moving.span.start].trim_end().strip_suffix('=')?.trim_end();
        let key = ["branch", "tag"].iter().find(|k| before.ends_with(*k))?;
        let start = before.len() - key.len();
        return Some(Edit {
            span: Span::new(dep.file.clone(), start..moving.span.end),
            replacement: rev,
        });
    }
    let git = dep.git.as_ref()?;
    let line_start = text[..git.span.start].rfind('\n').map_or(0, |i| i + 1);
    let inline = text[line_start..git.span.start].contains('{');
    Some(Edit {
        span: Span::new(dep.file.clone(), git.span.end..git.span.end),
        replacement: if inline { format!(", {rev}") } else { format!("\n{rev}") },
    })
}

fn check(cx: &mut PackageReport<'_>, dep: &DepDecl, locked: &[manifest::Locked], committed: bool) {
    let Some(git) = &dep.git else { return };
    if dep.rev.is_some() || dep.unresolved {
        return;
    }
    // A committed `Cargo.lock` pins the commit, as it pins the version of
    // `serde = "1"`: the build is reproducible from the codebase.
    let commit = locked_commit(locked, &git.value);
    if committed && commit.is_some() {
        return;
    }
    let (span, message, label, mild) = if let Some(branch) = &dep.branch {
        (
            branch.span.clone(),
            format!("git dependency `{}` follows branch `{}`", dep.name, branch.value),
            "the branch moves; the build changes with it",
            false,
        )
    } else if let Some(tag) = &dep.tag {
        (
            tag.span.clone(),
            format!(
                "git dependency `{}` is pinned by tag `{}`, not by commit",
                dep.name, tag.value
            ),
            "a tag can be moved to another commit",
            true,
        )
    } else {
        (
            git.span.clone(),
            format!("git dependency `{}` is not pinned to a commit", dep.name),
            "builds whatever the default branch holds",
            false,
        )
    };
    let d = cx.report(Span::new(dep.file.clone(), span), message).label(label);
    if mild || dep.kind == DepKind::Dev {
        d.severity = Severity::Note;
    }
    if dep.kind == DepKind::Dev {
        d.note("in dev-dependencies: it changes the test build, not the shipped binary");
    }
    if dep.inherited {
        d.note("declared in `[workspace.dependencies]` and inherited with `workspace = true`");
    }
    if dep.patch {
        d.note(format!("`{}` replaces `{}` in the whole build", dep.table(), dep.name));
    }
    d.note(if commit.is_some() {
        "a build is reproducible only when every dependency names an exact source: the `Cargo.lock` that records this commit is not committed"
    } else {
        "a build is reproducible only when every dependency names an exact source: no committed `Cargo.lock` records a commit for it"
    });
    d.help(format!(
        "pin the commit with `rev = \"<sha>\"` (or commit `Cargo.lock`), or depend on a published version of `{}`",
        dep.name
    ));
    if let Some(commit) = commit
        && let Some(edit) = pin(dep, commit)
    {
        d.suggest(
            format!("pin the commit `Cargo.lock` builds: `{commit}`"),
            vec![edit],
            Applicability::MachineApplicable,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{check_manifest, messages};

    #[test]
    fn branches_default_branches_and_tags() {
        let found = check_manifest(
            &UnpinnedGitDependency,
            &[(
                "Cargo.toml",
                r#"[package]
name = "app"

[dependencies]
tower-x = { git = "https://github.com/acme/tower-x", branch = "main" }
sqlx = { git = "https://github.com/launchbadge/sqlx", features = ["postgres"] }
pinned = { git = "https://github.com/acme/pinned", rev = "4f0e2a1c" }
tagged = { git = "https://github.com/acme/tagged", tag = "v1.2.0" }
serde = "1"

[target.'cfg(target_os = "linux")'.dependencies.io-uring]
git = "https://github.com/tokio-rs/io-uring"
branch = "master"

[dev-dependencies]
fake = { git = "https://github.com/cksac/fake-rs" }
"#,
            )],
        );
        assert_eq!(
            messages(&found),
            [
                "warning: git dependency `tower-x` follows branch `main`",
                "warning: git dependency `sqlx` is not pinned to a commit",
                "note: git dependency `tagged` is pinned by tag `v1.2.0`, not by commit",
                "warning: git dependency `io-uring` follows branch `master`",
                "note: git dependency `fake` is not pinned to a commit",
            ]
        );
        assert_eq!(found[0].span.snippet(), "\"main\"");
        assert_eq!(found[1].span.snippet(), "\"https://github.com/launchbadge/sqlx\"");
    }

    #[test]
    fn inherited_from_the_workspace() {
        let found = check_manifest(
            &UnpinnedGitDependency,
            &[
                (
                    "Cargo.toml",
                    "[workspace]\nmembers = [\"svc\"]\n\n[workspace.dependencies]\nauth = { git = \"ssh://git@github.com/acme/auth.git\", branch = \"develop\" }\nok = { git = \"https://github.com/acme/ok\", rev = \"0123abc\" }\n",
                ),
                (
                    "svc/Cargo.toml",
                    "[package]\nname = \"svc\"\n\n[dependencies]\nauth = { workspace = true, features = [\"jwt\"] }\nok.workspace = true\n",
                ),
            ],
        );
        assert_eq!(
            messages(&found),
            ["warning: git dependency `auth` follows branch `develop`"]
        );
        assert_eq!(found[0].span.start().line, 5);
    }

    #[test]
    fn patches_from_a_branch() {
        let found = check_manifest(
            &UnpinnedGitDependency,
            &[(
                "Cargo.toml",
                "[package]\nname = \"app\"\n\n[dependencies]\nserde = \"1\"\n\n[patch.crates-io]\nserde = { git = \"https://github.com/serde-rs/serde.git\", branch = \"master\" }\nhyper = { git = \"https://github.com/hyperium/hyper\", rev = \"0a1b2c\" }\nlocal = { path = \"vendor/local\" }\n",
            )],
        );
        assert_eq!(
            messages(&found),
            ["warning: git dependency `serde` follows branch `master`"]
        );
        assert!(found[0].notes.iter().any(|n| n.contains("[patch.crates-io]")));
    }

    #[test]
    fn a_committed_lock_file_pins_the_commit() {
        let manifest = "[package]\nname = \"app\"\n\n[dependencies]\nreedline = { git = \"https://github.com/nushell/reedline\", branch = \"main\" }\nfork = { git = \"https://github.com/acme/fork\" }\n";
        let lock = "version = 4\n\n[[package]]\nname = \"reedline\"\nversion = \"0.40.0\"\nsource = \"git+https://github.com/nushell/reedline?branch=main#a1b2c3d4e5f60718293a4b5c6d7e8f9012345678\"\n";
        // The lock records reedline's commit; `fork` is in no lock.
        let found = check_manifest(
            &UnpinnedGitDependency,
            &[("Cargo.toml", manifest), ("Cargo.lock", lock)],
        );
        assert_eq!(
            messages(&found),
            ["warning: git dependency `fork` is not pinned to a commit"]
        );
        // Ignored by git, the lock pins nothing: both are reported, and the
        // fix pins what the local lock builds.
        let found = check_manifest(
            &UnpinnedGitDependency,
            &[
                ("Cargo.toml", manifest),
                ("Cargo.lock", lock),
                (".gitignore", "Cargo.lock\n"),
            ],
        );
        assert_eq!(
            messages(&found),
            [
                "warning: git dependency `reedline` follows branch `main`",
                "warning: git dependency `fork` is not pinned to a commit",
            ]
        );
        let pin = found[0].suggestion.as_ref().expect("a fix");
        assert!(
            pin.message.contains("a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"),
            "{}",
            pin.message
        );
    }

    #[test]
    fn pinned_and_registry_dependencies_are_fine() {
        let found = check_manifest(
            &UnpinnedGitDependency,
            &[(
                "Cargo.toml",
                "[package]\nname = \"app\"\n\n[dependencies]\na = { git = \"https://x/a\", rev = \"abc\", branch = \"main\" }\nb = \"1\"\nc = { version = \"1\", registry = \"internal\" }\n",
            )],
        );
        assert!(found.is_empty(), "{found:?}");
    }
}

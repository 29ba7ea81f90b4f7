use std::sync::Arc;

use crate::declare_rule;
use crate::diagnostic::Span;
use crate::engine::{Fact, PackageReport};
use crate::manifest::{self, IgnoredAt, Manifest};
use crate::rules::{Factor, Rule, RuleMeta};
use crate::source::SourceFile;
use crate::workspace::{Package, TargetKind};

declare_rule! {
    /// ### What it does
    /// Finds a workspace that builds a binary but has no `Cargo.lock` at
    /// its root, or whose `Cargo.lock` is ignored by git (by `.gitignore`,
    /// `.git/info/exclude` or the global excludes, as `git check-ignore`
    /// sees it; without git, by the root's `.gitignore`). A library-only
    /// workspace is fine without one. A lock file that is ignored but
    /// committed anyway is fine too.
    ///
    /// ### Why is this bad
    /// A twelve-factor app declares its dependencies completely and
    /// exactly. For an application, `Cargo.lock` is that exact declaration:
    /// without it in the repository, every build resolves the dependency
    /// graph afresh, and CI, staging and production can run different code
    /// from the same commit.
    ///
    /// ### Example
    /// ```text
    /// # .gitignore
    /// /target
    /// Cargo.lock
    /// ```
    ///
    /// ### Use instead
    /// ```text
    /// # .gitignore
    /// /target
    /// ```
    /// and commit `Cargo.lock`; build with `cargo build --locked`.
    pub MissingLockfile => "missing_lockfile", Factor::Dependencies, Warn, fixable: false, options: []
}

/// The workspace root's `[workspace]` or `[package]` header: the same line
/// for every member, so a finding there is reported once.
fn root_header(root_manifest: &Manifest) -> Span {
    let key = root_manifest
        .table_key("workspace")
        .or_else(|| root_manifest.table_key("package"))
        .unwrap_or(0..0);
    Span::new(root_manifest.file.clone(), key)
}

/// Whether the package builds a binary: a selected bin target, a
/// `[[bin]]` table, or cargo's auto-discovered `src/main.rs` / `src/bin/`.
fn builds_binary(package: &Package, manifest: &Manifest) -> bool {
    package.targets.iter().any(|t| t.kind == TargetKind::Bin)
        || manifest.declares_bins()
        || package.dir().join("src/main.rs").is_file()
        || package.dir().join("src/bin").is_dir()
}

impl Rule for MissingLockfile {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_package(&self, cx: &mut PackageReport<'_>, _facts: &[Fact]) {
        let Some(member) = Manifest::read(&cx.package.manifest_path) else {
            return;
        };
        if !builds_binary(cx.package, &member) {
            return;
        }
        // Binaries that are all developer tools (test helpers, fuzzers,
        // xtask) ship nothing: a library workspace is fine without a lock.
        let mut own = cx.model.entries().iter().filter(|e| e.package == cx.index).peekable();
        if own.peek().is_some() && own.all(|e| e.kind == crate::engine::EntryKind::DevTool) {
            return;
        }
        let root = cx.workspace_root;
        let lock = root.join("Cargo.lock");
        let root_manifest = if manifest::canonical(&root.join("Cargo.toml")) == manifest::canonical(&member.file.path) {
            Some(member)
        } else {
            Manifest::read(&root.join("Cargo.toml"))
        };
        let Some(root_manifest) = root_manifest else { return };
        if !lock.is_file() {
            cx.report(
                root_header(&root_manifest),
                "this workspace builds a binary but has no `Cargo.lock`",
            )
            .label("no `Cargo.lock` next to this manifest")
            .note("an application's exact dependency graph is part of its codebase: without the lock file each build resolves versions afresh")
            .help("run `cargo generate-lockfile`, commit `Cargo.lock`, and build with `--locked`");
            return;
        }
        let Some(IgnoredAt { source, line }) = manifest::ignored(root, "Cargo.lock") else {
            return;
        };
        match SourceFile::read(&source) {
            Ok(file) if line >= 1 && line <= file.line_count() => {
                let file = Arc::new(file);
                let range = file.line_range(line);
                cx.report(Span::new(file, range), "`Cargo.lock` is ignored by git")
                    .label("this pattern keeps the lock file out of the repository")
                    .note("this workspace builds a binary: its exact dependency graph belongs in the codebase")
                    .help("remove the pattern (or add `!Cargo.lock` after it) and commit `Cargo.lock`");
            }
            _ => {
                cx.report(
                    root_header(&root_manifest),
                    format!("`Cargo.lock` is ignored by git (`{}`)", source.display()),
                )
                .note("this workspace builds a binary: its exact dependency graph belongs in the codebase")
                .help("commit `Cargo.lock` with `git add -f Cargo.lock`");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{check_manifest, check_manifest_in, messages};

    const BIN: (&str, &str) = ("src/main.rs", "fn main() {}\n");
    const LOCK: (&str, &str) = ("Cargo.lock", "version = 4\n");

    #[test]
    fn a_binary_without_a_lock_file() {
        let found = check_manifest(
            &MissingLockfile,
            &[("Cargo.toml", "[package]\nname = \"svc\"\nversion = \"0.1.0\"\n"), BIN],
        );
        assert_eq!(
            messages(&found),
            ["warning: this workspace builds a binary but has no `Cargo.lock`"]
        );
        assert_eq!(found[0].span.snippet(), "package");
    }

    #[test]
    fn a_library_whose_only_binaries_are_dev_tools_needs_no_lock_file() {
        let member = |name: &str| format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n");
        let (runtime, tests) = (member("runtime"), member("tests-integration"));
        let mut files = vec![
            (
                "Cargo.toml",
                "[workspace]\nmembers = [\"runtime\", \"tests-integration\"]\n",
            ),
            ("runtime/Cargo.toml", runtime.as_str()),
            ("runtime/src/lib.rs", "pub fn spawn() {}\n"),
            ("tests-integration/Cargo.toml", tests.as_str()),
            ("tests-integration/src/bin/test-cat.rs", "fn main() {}\n"),
        ];
        let outcome = crate::test_support::check_workspace(&[&MissingLockfile], &files);
        assert_eq!(messages(&outcome.diagnostics), Vec::<String>::new());
        // A binary that ships still needs one.
        files.push(("runtime/src/main.rs", "fn main() { runtime::spawn(); }\n"));
        let outcome = crate::test_support::check_workspace(&[&MissingLockfile], &files);
        assert_eq!(
            messages(&outcome.diagnostics),
            ["warning: this workspace builds a binary but has no `Cargo.lock`"]
        );
    }

    #[test]
    fn a_workspace_with_two_binaries_is_reported_once_at_the_root() {
        let found = check_manifest(
            &MissingLockfile,
            &[
                ("Cargo.toml", "[workspace]\nmembers = [\"api\", \"worker\", \"core\"]\n"),
                ("api/Cargo.toml", "[package]\nname = \"api\"\n"),
                ("api/src/main.rs", "fn main() {}\n"),
                (
                    "worker/Cargo.toml",
                    "[package]\nname = \"worker\"\n\n[[bin]]\nname = \"worker\"\npath = \"main.rs\"\n",
                ),
                ("core/Cargo.toml", "[package]\nname = \"core\"\n"),
                ("core/src/lib.rs", "\n"),
            ],
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].span.snippet(), "workspace");
    }

    #[test]
    fn libraries_and_locked_binaries_are_fine() {
        let lib = check_manifest(
            &MissingLockfile,
            &[("Cargo.toml", "[package]\nname = \"lib\"\n"), ("src/lib.rs", "\n")],
        );
        assert!(lib.is_empty(), "{lib:?}");
        let locked = check_manifest(
            &MissingLockfile,
            &[
                ("Cargo.toml", "[package]\nname = \"svc\"\n"),
                BIN,
                LOCK,
                (".gitignore", "/target\n"),
            ],
        );
        assert!(locked.is_empty(), "{locked:?}");
    }

    #[test]
    fn gitignore_without_git() {
        let found = check_manifest(
            &MissingLockfile,
            &[
                ("Cargo.toml", "[package]\nname = \"svc\"\n"),
                BIN,
                LOCK,
                (".gitignore", "/target\n**/*.rs.bk\nCargo.lock\n"),
            ],
        );
        assert_eq!(messages(&found), ["warning: `Cargo.lock` is ignored by git"]);
        assert_eq!(found[0].span.snippet(), "Cargo.lock");
        assert!(found[0].span.path().ends_with(".gitignore"));
    }

    #[test]
    fn git_check_ignore_and_committed_lock_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let git = |args: &[&str]| {
            std::process::Command::new("git")
                .arg("-C")
                .arg(&root)
                .args(args)
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !git(&["init", "-q"]) {
            return;
        }
        let files = [
            ("Cargo.toml", "[package]\nname = \"svc\"\n"),
            BIN,
            LOCK,
            (".gitignore", "/target\n*.lock\n"),
        ];
        let found = check_manifest_in(&MissingLockfile, &root, &files);
        assert_eq!(messages(&found), ["warning: `Cargo.lock` is ignored by git"]);
        assert_eq!(found[0].span.start().line, 2);
        // Committed despite the pattern: tracked files are not ignored.
        assert!(git(&["add", "-f", "Cargo.lock"]));
        let found = check_manifest_in(&MissingLockfile, &root, &files);
        assert!(found.is_empty(), "{found:?}");
    }
}

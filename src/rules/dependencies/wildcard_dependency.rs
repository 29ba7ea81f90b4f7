use std::sync::Arc;

use semver::{Op, VersionReq};

use crate::declare_rule;
use crate::diagnostic::{Applicability, Edit, Severity, Span};
use crate::engine::{Fact, PackageReport};
use crate::manifest::{self, DepDecl, DepKind};
use crate::rules::{Factor, Rule, RuleMeta};

declare_rule! {
    /// ### What it does
    /// Finds dependency requirements in `Cargo.toml` with no upper bound:
    /// `"*"`, `">=1.2"`, `">1"`, or a registry dependency with no version at
    /// all. It checks `[dependencies]`, `[build-dependencies]` and their
    /// `[target.'cfg(..)'.*]` forms, follows `serde.workspace = true` to the
    /// line in the root's `[workspace.dependencies]`, and reports
    /// `[dev-dependencies]` as a note.
    ///
    /// ### Why is this bad
    /// A twelve-factor app declares its dependencies exactly. A requirement
    /// without an upper bound accepts the next major version, which is
    /// allowed to break the API: `cargo update`, a fresh checkout without
    /// the lock file, or anyone depending on your crate gets a different
    /// build from the one you tested.
    ///
    /// ### Example
    /// ```toml
    /// [dependencies]
    /// serde = "*"
    /// tokio = { version = ">=1.28", features = ["full"] }
    /// ```
    ///
    /// ### Use instead
    /// ```toml
    /// [dependencies]
    /// serde = "1.0.200"
    /// tokio = { version = "1.28", features = ["full"] }
    /// ```
    ///
    /// ### Fix
    /// `cargo twelve fix` requires the version `Cargo.lock` holds, as a caret
    /// requirement (`serde = "1.0.228"`), when exactly one locked version
    /// matches (machine-applicable); otherwise `>=1.2` becomes `1.2` with
    /// `--unsafe-fixes`.
    pub WildcardDependency => "wildcard_dependency", Factor::Dependencies, Warn, fixable: true, options: []
}

/// Comparison operators that bound a requirement from above. A `1.*`
/// wildcard, `~1.2`, `^1.2` (the default), `=1.2.3` and `<2` all do; only
/// `>`, `>=` and a bare `*` accept every future major version.
const UNBOUNDED_OPS: &[Op] = &[Op::Greater, Op::GreaterEq];

/// Why a requirement accepts any future version, or `None` if it is bounded.
pub fn unbounded(req: &str) -> Option<&'static str> {
    let parsed = VersionReq::parse(req.trim()).ok()?;
    if parsed.comparators.is_empty() {
        return Some("accepts any version");
    }
    parsed
        .comparators
        .iter()
        .all(|c| UNBOUNDED_OPS.contains(&c.op))
        .then_some("has no upper bound")
}

/// The caret requirement for the lower bound of `>=1.2` / `>1.2.3`:
/// the same minimum, up to the next breaking release.
fn caret_of(req: &str) -> Option<String> {
    let parsed = VersionReq::parse(req.trim()).ok()?;
    let [c] = parsed.comparators.as_slice() else {
        return None;
    };
    if c.op != Op::GreaterEq || !c.pre.is_empty() {
        return None;
    }
    let mut v = c.major.to_string();
    if let Some(minor) = c.minor {
        v.push_str(&format!(".{minor}"));
        if let Some(patch) = c.patch {
            v.push_str(&format!(".{patch}"));
        }
    }
    Some(v)
}

impl Rule for WildcardDependency {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_package(&self, cx: &mut PackageReport<'_>, _facts: &[Fact]) {
        let locked = manifest::locked(cx.workspace_root);
        for dep in manifest::dependencies(&cx.package.manifest_path, cx.workspace_root) {
            check(cx, &dep, &locked);
        }
    }
}

/// The one registry version `Cargo.lock` holds of `name` that `req`
/// accepts: what the build uses today.
fn locked_version(locked: &[manifest::Locked], name: &str, req: &str) -> Option<semver::Version> {
    let req = VersionReq::parse(req.trim()).ok()?;
    let mut found = locked
        .iter()
        .filter(|l| {
            l.name == name
                && l.source
                    .as_deref()
                    .is_some_and(|s| s.starts_with("registry+") || s.starts_with("sparse+"))
        })
        .filter_map(|l| semver::Version::parse(&l.version).ok())
        .filter(|v| req.matches(v));
    let one = found.next()?;
    found.next().is_none().then_some(one)
}

fn check(cx: &mut PackageReport<'_>, dep: &DepDecl, locked: &[manifest::Locked]) {
    if dep.unresolved {
        return;
    }
    let file: &Arc<_> = &dep.file;
    let (span, message, label, req) = match &dep.version {
        Some(v) => {
            let Some(why) = unbounded(&v.value) else { return };
            (
                Span::new(file.clone(), v.span.clone()),
                format!("dependency `{}` {why}: `{}`", dep.name, v.value),
                "a new major version can be picked up without any change here",
                Some(v),
            )
        }
        // A git or path dependency pins its source another way; an
        // entry with neither and no version means `*` to cargo.
        None if dep.git.is_none() && dep.path.is_none() => (
            Span::new(file.clone(), dep.key.clone()),
            format!("dependency `{}` has no version requirement", dep.name),
            "cargo reads a missing requirement as `*`",
            None,
        ),
        None => return,
    };
    let dev = dep.kind == DepKind::Dev;
    let table = dep.table();
    let d = cx.report(span.clone(), message).label(label);
    if dev {
        d.severity = Severity::Note;
        d.note("in dev-dependencies: it changes the test build, not the shipped binary");
    }
    d.note(format!(
        "declared in `{table}`{}",
        if dep.inherited {
            " and inherited with `workspace = true`"
        } else {
            ""
        }
    ));
    d.note("an app declares its dependencies exactly: a requirement without an upper bound accepts the next breaking release");
    if let Some(version) = req.and_then(|r| locked_version(locked, &dep.name, &r.value)) {
        d.suggest(
            format!("require `{version}`, the version `Cargo.lock` holds, and its compatible updates"),
            vec![Edit {
                span,
                replacement: format!("\"{version}\""),
            }],
            Applicability::MachineApplicable,
        );
        return;
    }
    match req.and_then(|r| caret_of(&r.value)) {
        Some(caret) => {
            d.suggest(
                format!("require `{caret}` and its compatible updates"),
                vec![Edit {
                    span,
                    replacement: format!("\"{caret}\""),
                }],
                Applicability::MaybeIncorrect,
            );
        }
        None => {
            d.help(format!(
                "require the version you build with: `{} = \"1.2\"` means `>=1.2.0, <2.0.0`",
                dep.name
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Diagnostic;
    use crate::test_support::{check_manifest, messages};

    /// Findings on a one-package workspace whose root `Cargo.toml` is `manifest`.
    fn check_root(manifest: &str) -> Vec<Diagnostic> {
        check_manifest(&WildcardDependency, &[("Cargo.toml", manifest)])
    }

    #[test]
    fn requirements_without_upper_bound() {
        for req in ["*", ">=1.2", ">1", " >= 0.3 ", ">=1, >1.2"] {
            assert!(unbounded(req).is_some(), "{req}");
        }
        for req in [
            "1",
            "1.2.3",
            "^1",
            "~0.3",
            "=1.0.0",
            "1.*",
            ">=1.2, <2",
            "<3",
            "0.*",
            "not a req",
        ] {
            assert!(unbounded(req).is_none(), "{req}");
        }
        assert_eq!(caret_of(">=1.2"), Some("1.2".into()));
        assert_eq!(caret_of(">1.2"), None);
    }

    #[test]
    fn fires_in_every_dependency_table() {
        let found = check_root(
            r#"[package]
name = "app"
version = "0.1.0"

[dependencies]
serde = "*"
tokio = { version = ">=1.28", features = ["full"] }
anyhow = "1"
uuid = { features = ["v4"] }
shared = { path = "crates/shared" }
fork = { git = "https://github.com/x/fork", rev = "4f0e2a1" }

[build-dependencies]
cc = ">1"

[target.'cfg(unix)'.dependencies]
nix = ">=0.27"

[target.'cfg(windows)'.dependencies.windows-sys]
version = "0.52"

[dev-dependencies]
insta = "*"
"#,
        );
        assert_eq!(
            messages(&found),
            [
                "warning: dependency `serde` accepts any version: `*`",
                "warning: dependency `tokio` has no upper bound: `>=1.28`",
                "warning: dependency `uuid` has no version requirement",
                "warning: dependency `cc` has no upper bound: `>1`",
                "warning: dependency `nix` has no upper bound: `>=0.27`",
                "note: dependency `insta` accepts any version: `*`",
            ]
        );
        let tokio = &found[1];
        assert_eq!(tokio.span.snippet(), "\">=1.28\"");
        assert_eq!(tokio.suggestion.as_ref().unwrap().edits[0].replacement, "\"1.28\"");
        assert!(
            found[4]
                .notes
                .iter()
                .any(|n| n.contains("[target.'cfg(unix)'.dependencies]"))
        );
    }

    #[test]
    fn follows_workspace_inheritance_and_reports_the_root_line_once() {
        let found = check_manifest(
            &WildcardDependency,
            &[
                (
                    "Cargo.toml",
                    "[workspace]\nmembers = [\"api\", \"worker\"]\n\n[workspace.dependencies]\nserde = { version = \"*\", features = [\"derive\"] }\ntokio = \"1.40\"\n",
                ),
                (
                    "api/Cargo.toml",
                    "[package]\nname = \"api\"\n\n[dependencies]\nserde = { workspace = true }\ntokio.workspace = true\n",
                ),
                (
                    "worker/Cargo.toml",
                    "[package]\nname = \"worker\"\n\n[dependencies]\nserde.workspace = true\n",
                ),
            ],
        );
        assert_eq!(
            messages(&found),
            ["warning: dependency `serde` accepts any version: `*`"]
        );
        assert!(found[0].span.path().ends_with("Cargo.toml"));
        assert!(!found[0].span.path().to_string_lossy().contains("api"));
        assert_eq!(found[0].span.start().line, 5);
    }

    #[test]
    fn bounded_requirements_are_fine() {
        let found = check_root(
            r#"[package]
name = "app"

[dependencies]
serde = { version = "1.0", features = ["derive"] }
tokio = "~1.40"
regex = ">=1.10, <2"
log = "0.4.*"
local = { path = "../local" }
git-dep = { git = "https://example.com/x.git", rev = "abc" }

[dependencies.axum]
version = "0.7"
"#,
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn suppressed_with_a_toml_comment() {
        let found = check_root(
            "[package]\nname = \"app\"\n\n[dependencies]\n# twelve:allow(wildcard_dependency)\nserde = \"*\"\nlog = \"*\" # twelve:allow(wildcard_dependency)\n",
        );
        assert!(found.is_empty(), "{found:?}");
    }
}

//! Package ID specifications, the `-p`/`--exclude` arguments, parsed and
//! matched the way cargo does (`cargo help pkgid`):
//!
//! - `name`, `name@version` (a partial version: `1`, `1.2`, `1.2.3`) and the
//!   older `name:version`;
//! - `[kind+]proto://host/path[?query][#[name][@version]]`, where `kind` is
//!   `path`, `registry`, `sparse` or `git`, the fragment may be a name, a
//!   version or both, and without a name the last path segment is the name:
//!   `path+file:///ws/svc-dir#service@0.1.0`, `file:///ws/app#0.1.0`,
//!   `registry+https://github.com/rust-lang/crates.io-index#serde@1.0.0`,
//!   `git+https://github.com/acme/lapin?branch=main#lapin@2.0.0`.
//!
//! A spec with `*`, `?` or `[` is a glob over package names, as in cargo.

use std::fmt;

/// Where a package comes from, as a spec's `kind+` prefix names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    Path,
    Registry,
    SparseRegistry,
    /// With its query (`branch=main`), which cargo matches as a git reference.
    Git(Option<String>),
}

/// A partial version: `1`, `1.2`, `1.2.3`, `1.2.3-beta.1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialVersion {
    major: u64,
    minor: Option<u64>,
    patch: Option<u64>,
    pre: Option<semver::Prerelease>,
}

impl PartialVersion {
    fn parse(text: &str) -> Result<Self, String> {
        if let Ok(v) = semver::Version::parse(text) {
            return Ok(Self {
                major: v.major,
                minor: Some(v.minor),
                patch: Some(v.patch),
                pre: (!v.pre.is_empty()).then_some(v.pre),
            });
        }
        // `1` or `1.2`: what a semver requirement accepts, without operators.
        let bad = || format!("expected a version like \"1.32\", found `{text}`");
        if !text.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Err(bad());
        }
        let req = semver::VersionReq::parse(&format!("={text}")).map_err(|_| bad())?;
        let [c] = req.comparators.as_slice() else {
            return Err(bad());
        };
        Ok(Self {
            major: c.major,
            minor: c.minor,
            patch: c.patch,
            pre: None,
        })
    }

    pub fn matches(&self, version: &semver::Version) -> bool {
        self.major == version.major
            && self.minor.is_none_or(|m| m == version.minor)
            && self.patch.is_none_or(|p| p == version.patch)
            && self.pre.as_ref().is_none_or(|p| *p == version.pre)
    }
}

/// A parsed package ID specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageIdSpec {
    pub name: String,
    pub version: Option<PartialVersion>,
    /// The source URL without kind, query and fragment (`file:///ws/app`).
    pub url: Option<String>,
    pub kind: Option<SourceKind>,
}

/// What `-p` or `--exclude` was given: a spec, or a glob over names.
#[derive(Debug, Clone)]
pub enum Pattern {
    Spec(PackageIdSpec),
    Glob(globset::GlobMatcher),
}

/// Why a spec is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub spec: String,
    pub reason: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid package ID specification: `{}`\n\nCaused by:\n  {}",
            self.spec, self.reason
        )
    }
}

impl std::error::Error for SpecError {}

impl Pattern {
    pub fn parse(text: &str) -> Result<Self, SpecError> {
        if !text.contains("://") && text.contains(['*', '?', '[']) {
            let glob = globset::Glob::new(text).map_err(|e| SpecError {
                spec: text.into(),
                reason: e.kind().to_string(),
            })?;
            return Ok(Self::Glob(glob.compile_matcher()));
        }
        PackageIdSpec::parse(text).map(Self::Spec)
    }

    pub fn matches(&self, name: &str, version: &semver::Version, id: &str) -> bool {
        match self {
            Self::Spec(spec) => spec.matches_id(name, version, id),
            Self::Glob(glob) => glob.is_match(name),
        }
    }
}

impl PackageIdSpec {
    pub fn parse(spec: &str) -> Result<Self, SpecError> {
        let error = |reason: String| SpecError {
            spec: spec.into(),
            reason,
        };
        let Some((scheme, rest)) = spec.split_once("://") else {
            let (name, version) = split_name_version(spec)
                .map_err(error)?
                .unwrap_or((spec.to_string(), None));
            check_name(&name).map_err(error)?;
            return Ok(Self {
                name,
                version,
                url: None,
                kind: None,
            });
        };
        let (rest, fragment) = match rest.split_once('#') {
            Some((r, f)) => (r, Some(f)),
            None => (rest, None),
        };
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        let (kind, scheme) = match scheme.split_once('+') {
            Some((kind, scheme)) => {
                let kind = match kind {
                    "git" => SourceKind::Git(query.map(str::to_string)),
                    "registry" => SourceKind::Registry,
                    "sparse" => SourceKind::SparseRegistry,
                    "path" if scheme != "file" => {
                        return Err(error(format!(
                            "`path+{scheme}` is unsupported; `path+file` and `file` schemes are supported"
                        )));
                    }
                    "path" => SourceKind::Path,
                    other => return Err(error(format!("unsupported source protocol: {other}"))),
                };
                if query.is_some() && !matches!(kind, SourceKind::Git(_)) {
                    return Err(error(format!("cannot have a query string in a pkgid: {spec}")));
                }
                (Some(kind), scheme)
            }
            None if query.is_some() => return Err(error(format!("cannot have a query string in a pkgid: {spec}"))),
            None => (None, scheme),
        };
        if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
            return Err(error(format!("invalid URL scheme `{scheme}`")));
        }
        // `sparse+` stays part of the URL, as cargo keeps it.
        let url = match kind {
            Some(SourceKind::SparseRegistry) => format!("sparse+{scheme}://{}", path.trim_end_matches('/')),
            _ => format!("{scheme}://{}", path.trim_end_matches('/')),
        };
        let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
        let (name, version) = match fragment {
            None => (last.to_string(), None),
            Some("") => return Err(error("package ID specification must have a name: `#`".into())),
            Some(fragment) => match split_name_version(fragment).map_err(error)? {
                Some(nv) => nv,
                None if fragment.starts_with(|c: char| c.is_alphabetic()) => (fragment.to_string(), None),
                None => (last.to_string(), Some(PartialVersion::parse(fragment).map_err(error)?)),
            },
        };
        if name.is_empty() {
            return Err(error(format!("pkgid URLs must have a path: {spec}")));
        }
        check_name(&name).map_err(error)?;
        Ok(Self {
            name,
            version,
            url: Some(url),
            kind,
        })
    }

    /// Whether the package `name`, `version` with `cargo metadata` id `id`
    /// is the one named; the URL and kind are compared with the id's.
    pub fn matches_id(&self, name: &str, version: &semver::Version, id: &str) -> bool {
        if self.name != name || self.version.as_ref().is_some_and(|v| !v.matches(version)) {
            return false;
        }
        if self.url.is_none() && self.kind.is_none() {
            return true;
        }
        let Ok(own) = Self::parse(id) else { return false };
        self.url.as_ref().is_none_or(|u| own.url.as_ref() == Some(u)) && self.kind_matches(own.kind.as_ref())
    }

    /// Whether a declared dependency (`source` as `cargo metadata` prints
    /// it, `None` for a path dependency) is the one named.
    pub fn matches_dependency(&self, name: &str, source: Option<&str>) -> bool {
        if self.name != name {
            return false;
        }
        if self.url.is_none() && self.kind.is_none() {
            return true;
        }
        let Some(source) = source else {
            return matches!(self.kind, None | Some(SourceKind::Path)) && self.url.is_none();
        };
        let Ok(own) = Self::parse(&format!("{source}#{name}")) else {
            return false;
        };
        self.url.as_ref().is_none_or(|u| own.url.as_ref() == Some(u)) && self.kind_matches(own.kind.as_ref())
    }

    fn kind_matches(&self, other: Option<&SourceKind>) -> bool {
        match (&self.kind, other) {
            (None, _) => true,
            (Some(SourceKind::Git(None)), Some(SourceKind::Git(_))) => true,
            (Some(a), Some(b)) => a == b,
            (Some(_), None) => false,
        }
    }
}

/// `name@version` or `name:version`; `None` without either separator.
fn split_name_version(spec: &str) -> Result<Option<(String, Option<PartialVersion>)>, String> {
    let Some((name, version)) = spec
        .rsplit_once('@')
        .or_else(|| spec.rsplit_once(':').filter(|(n, _)| !n.ends_with(':')))
    else {
        return Ok(None);
    };
    Ok(Some((name.to_string(), Some(PartialVersion::parse(version)?))))
}

/// Cargo's rules for a package name.
fn check_name(name: &str) -> Result<(), String> {
    let Some(first) = name.chars().next() else {
        return Err("package name cannot be empty".into());
    };
    if first.is_ascii_digit() {
        return Err(format!(
            "the name `{name}` cannot be used as a package name, the name cannot start with a digit"
        ));
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_alphanumeric() || *c == '-' || *c == '_')) {
        return Err(format!(
            "invalid character `{bad}` in package name: `{name}`, characters must be Unicode XID characters (numbers, `-`, `_`, or most letters)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(v: &str) -> semver::Version {
        semver::Version::parse(v).unwrap()
    }

    const ID: &str = "path+file:///ws/svc-dir#service@0.1.0";

    #[test]
    fn every_form_cargo_accepts() {
        let v = version("0.1.0");
        for spec in [
            "service",
            "service@0.1.0",
            "service@0.1",
            "service@0",
            "service:0.1.0",
            "path+file:///ws/svc-dir#service@0.1.0",
            "path+file:///ws/svc-dir#service",
            "file:///ws/svc-dir#service@0.1.0",
            "file:///ws/svc-dir#service:0.1",
        ] {
            let pattern = Pattern::parse(spec).unwrap();
            assert!(pattern.matches("service", &v, ID), "{spec}");
        }
        for spec in [
            "service@0.2",
            "service@1",
            "other",
            "path+file:///ws/elsewhere#service@0.1.0",
            "path+file:///ws/svc-dir#0.1.0",
            "registry+https://github.com/rust-lang/crates.io-index#service@0.1.0",
            "git+https://github.com/acme/service#0.1.0",
        ] {
            let pattern = Pattern::parse(spec).unwrap();
            assert!(!pattern.matches("service", &v, ID), "{spec}");
        }
        // The directory's name is the package's name when the fragment has none.
        let same = "path+file:///ws/app#0.1.0";
        assert!(Pattern::parse(same).unwrap().matches("app", &v, same));
        assert!(Pattern::parse("path+file:///ws/app").unwrap().matches("app", &v, same));
    }

    #[test]
    fn registry_and_git_sources() {
        let registry =
            PackageIdSpec::parse("registry+https://github.com/rust-lang/crates.io-index#serde@1.0.228").unwrap();
        assert_eq!(registry.name, "serde");
        assert_eq!(registry.kind, Some(SourceKind::Registry));
        assert_eq!(
            registry.url.as_deref(),
            Some("https://github.com/rust-lang/crates.io-index")
        );
        assert!(registry.matches_dependency("serde", Some("registry+https://github.com/rust-lang/crates.io-index")));
        assert!(!registry.matches_dependency("serde", Some("git+https://github.com/serde-rs/serde")));

        let git = PackageIdSpec::parse("git+https://github.com/acme/lapin?branch=main#2.0.0").unwrap();
        assert_eq!(git.name, "lapin");
        assert_eq!(git.kind, Some(SourceKind::Git(Some("branch=main".into()))));
        assert!(git.matches_dependency("lapin", Some("git+https://github.com/acme/lapin?branch=main")));
        assert!(!git.matches_dependency("lapin", Some("git+https://github.com/acme/lapin?tag=v1")));
        let any_ref = PackageIdSpec::parse("git+https://github.com/acme/lapin").unwrap();
        assert!(any_ref.matches_dependency("lapin", Some("git+https://github.com/acme/lapin?tag=v1")));

        let sparse = PackageIdSpec::parse("sparse+https://index.crates.io/#serde").unwrap();
        assert_eq!(sparse.url.as_deref(), Some("sparse+https://index.crates.io"));
    }

    #[test]
    fn malformed_specs_are_errors() {
        for (spec, reason) in [
            ("foo@bar", "expected a version like \"1.32\", found `bar`"),
            ("foo@", "expected a version like \"1.32\", found ``"),
            ("1foo", "cannot start with a digit"),
            ("foo bar", "invalid character ` `"),
            ("https://x.io/a?b=c#a", "cannot have a query string"),
            ("path+https://x.io/a#a", "`path+https` is unsupported"),
            ("svn+https://x.io/a#a", "unsupported source protocol: svn"),
        ] {
            let e = PackageIdSpec::parse(spec).unwrap_err();
            assert!(e.reason.contains(reason), "{spec}: {}", e.reason);
            assert!(
                e.to_string()
                    .starts_with(&format!("invalid package ID specification: `{spec}`"))
            );
        }
    }

    #[test]
    fn globs_match_names() {
        let v = version("0.1.0");
        let glob = Pattern::parse("svc-*").unwrap();
        assert!(glob.matches("svc-api", &v, "path+file:///ws/api#svc-api@0.1.0"));
        assert!(!glob.matches("worker", &v, "path+file:///ws/worker#0.1.0"));
    }
}

//! Baselines: `--write-baseline FILE` records today's findings, and
//! `--baseline FILE` reports only the ones it does not hold, so a project
//! can adopt the check and fail CI on new findings alone.
//!
//! Findings are matched by fingerprint ([`crate::diagnostic::fingerprint`]):
//! rule, file, the flagged text with whitespace collapsed, and its
//! occurrence index in the file. Lines inserted above a finding, or edits
//! elsewhere in the file, keep it matched. The file also records each
//! finding's rule, file, line and message for people reading it; messages
//! show a secret only masked, as every output does, and the flagged text
//! itself is never stored.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, RenderContext, fingerprints};

/// The format's version, the `version` key.
const VERSION: u32 = 1;

/// One recorded finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub fingerprint: String,
    /// `twelve::<rule>`.
    pub rule: String,
    /// Relative to the workspace root, `/`-separated.
    pub file: String,
    /// Where it was when recorded; not used for matching.
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Baseline {
    version: u32,
    findings: Vec<Entry>,
}

impl Baseline {
    /// The findings of a run, in its order. Fingerprints already assigned
    /// over the whole run are kept.
    pub fn from_findings(found: &[Diagnostic], workspace_root: &Path) -> Self {
        let computed = fingerprints(found, workspace_root);
        let findings = found
            .iter()
            .zip(computed)
            .map(|(d, computed)| Entry {
                fingerprint: d.fingerprint.clone().unwrap_or(computed),
                rule: d.full_code(),
                file: RenderContext::relative(d.span.path(), workspace_root),
                line: d.span.start().line,
                message: d.message.clone(),
            })
            .collect();
        Self {
            version: VERSION,
            findings,
        }
    }

    pub fn len(&self) -> usize {
        self.findings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }

    pub fn entries(&self) -> &[Entry] {
        &self.findings
    }

    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read the baseline `{}`", path.display()))?;
        let baseline: Self =
            serde_json::from_str(&text).with_context(|| format!("`{}` is not a baseline", path.display()))?;
        if baseline.version != VERSION {
            bail!(
                "the baseline `{}` has version {}; this cargo twelve reads version {VERSION} (write it again with `--write-baseline`)",
                path.display(),
                baseline.version
            );
        }
        Ok(baseline)
    }

    /// Writes the baseline as pretty JSON, one key per line, so it diffs
    /// well in review.
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        std::fs::write(path, text).with_context(|| format!("cannot write the baseline `{}`", path.display()))
    }

    /// The findings the baseline does not hold, and its entries that no
    /// finding matched among those `in_scope` (the files the run checked).
    pub fn apply(&self, found: Vec<Diagnostic>, in_scope: impl Fn(&Entry) -> bool) -> (Vec<Diagnostic>, Vec<&Entry>) {
        let known: HashSet<&str> = self.findings.iter().map(|e| e.fingerprint.as_str()).collect();
        let mut matched: HashSet<String> = HashSet::new();
        let mut fresh = Vec::new();
        for d in found {
            match d.fingerprint.as_deref() {
                Some(print) if known.contains(print) => {
                    matched.insert(print.to_string());
                }
                _ => fresh.push(d),
            }
        }
        let stale = self
            .findings
            .iter()
            .filter(|e| !matched.contains(&e.fingerprint) && in_scope(e))
            .collect();
        (fresh, stale)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::diagnostic::{Severity, Span, assign_fingerprints};
    use crate::source::SourceFile;

    fn findings(text: &str) -> Vec<Diagnostic> {
        let file = Arc::new(SourceFile::new("/ws/src/lib.rs", text.to_string()));
        let mut found: Vec<Diagnostic> = text
            .match_indices("fs::write(p)")
            .map(|(at, m)| {
                let span = Span::new(file.clone(), at..at + m.len());
                Diagnostic::new("filesystem_write", Severity::Warning, span, "writes")
            })
            .collect();
        assign_fingerprints(&mut found, Path::new("/ws"));
        found
    }

    #[test]
    fn matches_survive_moves_and_new_findings_are_kept() {
        let before = findings("fn a() { fs::write(p); }\n");
        let baseline = Baseline::from_findings(&before, Path::new("/ws"));
        assert_eq!(baseline.entries()[0].file, "src/lib.rs");
        let after = findings("// a\n// b\nfn a() { fs::write(p); }\nfn b() { fs::write(p); }\n");
        let (fresh, stale) = baseline.apply(after, |_| true);
        assert_eq!(fresh.len(), 1);
        assert_eq!(fresh[0].span.start().line, 4);
        assert!(stale.is_empty());

        let (fresh, stale) = baseline.apply(findings("fn a() {}\n"), |_| true);
        assert!(fresh.is_empty());
        assert_eq!(stale.len(), 1);
        let (_, stale) = baseline.apply(Vec::new(), |_| false);
        assert!(stale.is_empty());
    }

    #[test]
    fn round_trips_through_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("twelve-baseline.json");
        let baseline = Baseline::from_findings(&findings("fs::write(p);\n"), Path::new("/ws"));
        baseline.write(&path).unwrap();
        let read = Baseline::load(&path).unwrap();
        assert_eq!(read.entries(), baseline.entries());
        std::fs::write(&path, "{\"version\": 9, \"findings\": []}").unwrap();
        assert!(Baseline::load(&path).unwrap_err().to_string().contains("version 9"));
        std::fs::write(&path, "[]").unwrap();
        assert!(Baseline::load(&path).is_err());
    }
}

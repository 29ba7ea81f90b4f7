//! A finding's fingerprint: what stays the same when lines move and the
//! code around it changes. It is the SHA-256 of the rule, the file
//! (relative to the workspace root), the flagged text with its whitespace
//! collapsed, and the occurrence index of that triple within the file.
//! Line and column numbers are left out, so code inserted above a finding
//! keeps its fingerprint; a second identical finding in the same file gets
//! index 1.
//!
//! The flagged text is read from the span's file, which holds secrets
//! masked: a fingerprint is never computed from a secret's value.

use std::collections::HashMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{Diagnostic, RenderContext};

/// The version tag, part of every fingerprint: a change to what is hashed
/// changes it, so old baselines report their findings again rather than
/// matching wrongly.
pub const VERSION: &str = "v1";

/// The flagged text as hashed: whitespace runs collapsed to one space. An
/// empty span stands for its line.
pub fn normalized_text(d: &Diagnostic) -> String {
    let snippet = d.span.snippet();
    let text = if snippet.trim().is_empty() {
        let line = d.span.start().line;
        &d.span.file.text[d.span.file.line_range(line)]
    } else {
        snippet
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each diagnostic's fingerprint, in order. `diagnostics` must be in the
/// run's order (sorted by file and position) so occurrence indices count
/// from the top of each file.
pub fn fingerprints(diagnostics: &[Diagnostic], workspace_root: &Path) -> Vec<String> {
    let mut seen: HashMap<(String, &'static str, String), usize> = HashMap::new();
    diagnostics
        .iter()
        .map(|d| {
            let file = RenderContext::relative(d.span.path(), workspace_root);
            let text = normalized_text(d);
            let index = seen.entry((file.clone(), d.code, text.clone())).or_insert(0);
            let occurrence = *index;
            *index += 1;
            let mut hash = Sha256::new();
            for part in [VERSION, d.code, &file, &text, &occurrence.to_string()] {
                hash.update(part.as_bytes());
                hash.update([0]);
            }
            let digest = hash.finalize();
            digest[..16].iter().map(|b| format!("{b:02x}")).collect()
        })
        .collect()
}

/// Sets each diagnostic's `fingerprint`, over the whole run's findings.
pub fn assign_fingerprints(diagnostics: &mut [Diagnostic], workspace_root: &Path) {
    let prints = fingerprints(diagnostics, workspace_root);
    for (d, print) in diagnostics.iter_mut().zip(prints) {
        d.fingerprint = Some(print);
    }
}

/// The fingerprints of findings as an emitter got them: the ones assigned
/// over the run, else computed over `found` alone.
pub fn of(found: &[Diagnostic], workspace_root: &Path) -> Vec<String> {
    if found.iter().all(|d| d.fingerprint.is_some()) {
        found.iter().filter_map(|d| d.fingerprint.clone()).collect()
    } else {
        fingerprints(found, workspace_root)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::diagnostic::{Severity, Span};
    use crate::source::SourceFile;

    fn finding(text: &str, needle: &str, nth: usize) -> Diagnostic {
        let file = Arc::new(SourceFile::new("/ws/src/lib.rs", text.to_string()));
        let start = text.match_indices(needle).nth(nth).unwrap().0;
        let span = Span::new(file, start..start + needle.len());
        Diagnostic::new("filesystem_write", Severity::Warning, span, "writes")
    }

    #[test]
    fn lines_moving_keep_the_fingerprint() {
        let root = Path::new("/ws");
        let before = fingerprints(
            &[finding("fn a() {\n    fs::write(p, b);\n}\n", "fs::write(p, b)", 0)],
            root,
        );
        let after = fingerprints(
            &[finding(
                "// new\nuse x;\n\nfn a() {\n        fs::write(p,   b);\n}\n",
                "fs::write(p,   b)",
                0,
            )],
            root,
        );
        assert_eq!(before, after);
        assert_eq!(before[0].len(), 32);
    }

    #[test]
    fn identical_findings_are_told_apart_by_occurrence() {
        let text = "fs::write(p, b);\nfs::write(p, b);\n";
        let both = [finding(text, "fs::write(p, b)", 0), finding(text, "fs::write(p, b)", 1)];
        let prints = fingerprints(&both, Path::new("/ws"));
        assert_ne!(prints[0], prints[1]);
        // Another rule or file is another fingerprint.
        let mut other = finding(text, "fs::write(p, b)", 0);
        other.code = "system_command";
        assert_ne!(fingerprints(&[other], Path::new("/ws"))[0], prints[0]);
        assert_ne!(fingerprints(&both[..1], Path::new("/elsewhere"))[0], prints[0]);
    }
}

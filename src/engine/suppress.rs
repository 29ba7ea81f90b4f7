//! Inline suppression: `// twelve:allow(rule_a, rule_b)` on the line of a
//! finding or the line above, and `//! twelve:allow(rule)` for a whole file.

use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::source::SourceFile;
use std::sync::Arc;

struct Allow {
    /// 1-based line of the comment.
    line: usize,
    file_level: bool,
    /// A comment after code covers its own line only; a comment on a line
    /// of its own covers the next line.
    trailing: bool,
    rules: Vec<String>,
    /// Byte range of the `twelve:allow(..)` text.
    range: std::ops::Range<usize>,
    used: bool,
}

const MARKER: &str = "twelve:allow(";

fn parse(file: &SourceFile) -> Vec<Allow> {
    let mut out = Vec::new();
    if !file.text.contains(MARKER) {
        return out;
    }
    // Config files found by package-level checks (`Cargo.toml`, `.env`,
    // YAML) comment with `#`.
    let is_rust = file.path.extension().is_some_and(|e| e == "rs");
    let comment_marker = if is_rust { "//" } else { "#" };
    for line in 1..=file.line_count() {
        let range = file.line_range(line);
        let text = &file.text[range.clone()];
        let Some(at) = text.find(MARKER) else { continue };
        let Some(comment) = text.find(comment_marker) else {
            continue;
        };
        if comment > at {
            continue;
        }
        let rest = &text[at + MARKER.len()..];
        let Some(close) = rest.find(')') else { continue };
        let rules = rest[..close]
            .split(',')
            .map(|r| r.trim())
            .filter(|r| !r.is_empty())
            .map(|r| r.strip_prefix("twelve::").unwrap_or(r).to_string())
            .collect();
        let start = range.start + at;
        out.push(Allow {
            line,
            file_level: if is_rust {
                text.trim_start().starts_with("//!")
            } else {
                text.trim_start().starts_with("#!")
            },
            trailing: !text[..comment].trim().is_empty(),
            rules,
            range: start..start + MARKER.len() + close + 1,
            used: false,
        });
    }
    out
}

/// Drops the findings a `twelve:allow(..)` comment covers; with
/// `report_unused`, notes comments that cover nothing or name a rule that is
/// not in `known`.
pub fn apply(file: &Arc<SourceFile>, diagnostics: &mut Vec<Diagnostic>, report_unused: bool, known: &[&str]) {
    let mut allows = parse(file);
    if allows.is_empty() {
        return;
    }
    diagnostics.retain(|d| {
        let line = d.span.start().line;
        let mut suppressed = false;
        for allow in &mut allows {
            let applies = allow.file_level || allow.line == line || (!allow.trailing && allow.line + 1 == line);
            if applies && allow.rules.iter().any(|r| r == d.code) {
                allow.used = true;
                suppressed = true;
            }
        }
        !suppressed
    });
    if !report_unused {
        return;
    }
    for allow in &allows {
        let unknown: Vec<&str> = allow
            .rules
            .iter()
            .map(String::as_str)
            .filter(|r| !known.contains(r))
            .collect();
        let message = if !unknown.is_empty() {
            format!("unknown rule in suppression: `{}`", unknown.join("`, `"))
        } else if !allow.used {
            format!("unused suppression: no finding of `{}` here", allow.rules.join("`, `"))
        } else {
            continue;
        };
        let span = Span::new(file.clone(), allow.range.clone());
        let mut d = Diagnostic::new("unused_suppression", Severity::Note, span, message);
        d.help("remove the comment, or check the rule name with `cargo twelve rules`");
        diagnostics.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["filesystem_write", "compile_time_config", "hardcoded_secret"];

    fn diag(file: &Arc<SourceFile>, line: usize, code: &'static str) -> Diagnostic {
        let start = file.line_range(line).start;
        Diagnostic::new(code, Severity::Warning, Span::new(file.clone(), start..start + 1), "m")
    }

    #[test]
    fn same_line_line_above_and_file_level() {
        let text = "//! twelve:allow(compile_time_config)\n\
                    // twelve:allow(filesystem_write)\n\
                    a();\n\
                    b(); // twelve:allow(twelve::filesystem_write, other)\n\
                    c();\n\
                    d(); // twelve:allow(filesystem_write)\n";
        let file = Arc::new(SourceFile::new("x.rs", text.into()));
        let mut ds = vec![
            diag(&file, 3, "filesystem_write"),
            diag(&file, 4, "filesystem_write"),
            diag(&file, 5, "filesystem_write"),
            diag(&file, 5, "compile_time_config"),
        ];
        apply(&file, &mut ds, true, KNOWN);
        let left: Vec<_> = ds.iter().map(|d| (d.span.start().line, d.code)).collect();
        assert_eq!(
            left,
            [
                (5, "filesystem_write"),
                (4, "unused_suppression"),
                (6, "unused_suppression")
            ]
        );
        assert!(ds[1].message.contains("unknown rule in suppression: `other`"));
        assert!(ds[2].message.contains("no finding of `filesystem_write`"));
    }

    #[test]
    fn hash_comments_in_config_files() {
        let text = "# twelve:allow(hardcoded_secret)\nTOKEN=abc\nKEY=x # twelve:allow(hardcoded_secret)\nOTHER=y\n";
        let file = Arc::new(SourceFile::new(".env", text.into()));
        let mut ds = vec![
            diag(&file, 2, "hardcoded_secret"),
            diag(&file, 3, "hardcoded_secret"),
            diag(&file, 4, "hardcoded_secret"),
        ];
        apply(&file, &mut ds, false, KNOWN);
        assert_eq!(ds.iter().map(|d| d.span.start().line).collect::<Vec<_>>(), [4]);
        // In Rust, `#` is not a comment.
        let rust = Arc::new(SourceFile::new(
            "x.rs",
            "#[a] f(); # twelve:allow(hardcoded_secret)\n".into(),
        ));
        let mut ds = vec![diag(&rust, 1, "hardcoded_secret")];
        apply(&rust, &mut ds, false, KNOWN);
        assert_eq!(ds.len(), 1);
    }

    #[test]
    fn strings_are_not_comments() {
        let text = "let s = \"twelve:allow(filesystem_write)\";\n";
        let file = Arc::new(SourceFile::new("x.rs", text.into()));
        let mut ds = vec![diag(&file, 1, "filesystem_write")];
        apply(&file, &mut ds, false, KNOWN);
        assert_eq!(ds.len(), 1);
    }
}

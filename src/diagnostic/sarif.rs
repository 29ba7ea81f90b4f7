//! SARIF 2.1.0, the format GitHub code scanning reads
//! (`github/codeql-action/upload-sarif`): one run whose driver lists every
//! rule with its documentation, and one result per finding with its
//! location relative to the repository root, a fingerprint that survives
//! line moves, and the suggestions as `fixes`.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{Value, json};

use super::{Diagnostic, Emitter, LintLevel, RenderContext, RuleInfo, Severity, Span, Totals, fingerprint};

/// The schema the output declares, the one it is valid against.
pub const SCHEMA: &str = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The `partialFingerprints` key of [`fingerprint`]'s value.
pub const FINGERPRINT_KEY: &str = "twelveFingerprint/v1";

#[derive(Debug, Default)]
pub struct Sarif {
    found: Vec<Diagnostic>,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn default_level(level: LintLevel) -> &'static str {
    match level {
        LintLevel::Allow => "none",
        LintLevel::Warn => "warning",
        LintLevel::Deny => "error",
    }
}

/// The paragraph under the docs' first heading ("What it does"), on one line.
fn first_paragraph(docs: &str) -> String {
    docs.lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty() || l.starts_with('#'))
        .take_while(|l| !l.is_empty() && !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The paragraph's first sentence.
fn first_sentence(paragraph: &str) -> &str {
    let mut from = 0;
    while let Some(at) = paragraph[from..].find(". ") {
        let end = from + at + 1;
        if paragraph[end + 1..].starts_with(|c: char| c.is_uppercase()) {
            return &paragraph[..end];
        }
        from = end;
    }
    paragraph
}

fn rule_json(rule: &RuleInfo) -> Value {
    let full = Some(first_paragraph(&rule.docs))
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| rule.summary.clone());
    // The title: the first sentence, up to its colon when it has one.
    let sentence = first_sentence(&full);
    let short = sentence.split_once(": ").map_or(sentence, |(head, _)| head).to_string();
    let mut tags = vec!["twelve-factor".to_string()];
    if let Some(f) = rule.factor {
        tags.push(format!("{} {}", f.numeral(), f.title()));
    }
    let mut value = json!({
        "id": format!("twelve::{}", rule.name),
        "name": rule.name,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": rule.docs, "markdown": rule.docs},
        "defaultConfiguration": {"level": default_level(rule.default_level)},
        "properties": {"tags": tags},
    });
    if let Some(f) = rule.factor {
        value["helpUri"] = json!(f.url());
    }
    value
}

/// A URI reference for a relative path: each segment percent-encoded
/// where RFC 3986 does not allow the character as is.
pub fn uri_path(path: &str) -> String {
    let mut out = String::new();
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(byte as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

fn artifact(cx: &RenderContext, span: &Span) -> Value {
    json!({
        "uri": uri_path(&RenderContext::relative(span.path(), &cx.repo_root)),
        "uriBaseId": "%SRCROOT%",
    })
}

/// Lines and columns, 1-based; `endColumn` is the column after the end.
fn region(span: &Span) -> Value {
    let start = span.start();
    let end = span.end();
    json!({
        "startLine": start.line,
        "startColumn": start.col,
        "endLine": end.line,
        "endColumn": end.col,
    })
}

fn location(cx: &RenderContext, span: &Span, with_snippet: bool) -> Value {
    let mut region = region(span);
    if with_snippet && !span.snippet().is_empty() {
        region["snippet"] = json!({"text": span.snippet()});
    }
    json!({"physicalLocation": {"artifactLocation": artifact(cx, span), "region": region}})
}

fn message_text(d: &Diagnostic) -> String {
    let mut text = d.message.clone();
    if let Some(label) = &d.label {
        text.push_str(&format!(": {label}"));
    }
    for note in &d.notes {
        text.push_str(&format!("\nnote: {note}"));
    }
    for help in &d.helps {
        text.push_str(&format!("\nhelp: {help}"));
    }
    text
}

fn fixes(cx: &RenderContext, d: &Diagnostic) -> Option<Value> {
    let s = d.suggestion.as_ref()?;
    if s.edits.is_empty() {
        return None;
    }
    // One change per file, its replacements in order.
    let mut by_file: BTreeMap<String, (Value, Vec<Value>)> = BTreeMap::new();
    for edit in &s.edits {
        let entry = by_file
            .entry(edit.span.path().to_string_lossy().into_owned())
            .or_insert_with(|| (artifact(cx, &edit.span), Vec::new()));
        // A deletion has no inserted content (SARIF's strings are non-empty).
        let mut replacement = json!({"deletedRegion": region(&edit.span)});
        if !edit.replacement.is_empty() {
            replacement["insertedContent"] = json!({"text": edit.replacement});
        }
        entry.1.push(replacement);
    }
    let changes: Vec<Value> = by_file
        .into_values()
        .map(|(location, replacements)| json!({"artifactLocation": location, "replacements": replacements}))
        .collect();
    Some(json!([{"description": {"text": s.message}, "artifactChanges": changes}]))
}

/// The whole log.
pub fn log(cx: &RenderContext, found: &[Diagnostic]) -> Value {
    let mut rules: Vec<RuleInfo> = cx.rules.to_vec();
    for d in found {
        if !rules.iter().any(|r| r.name == d.code) {
            rules.push(RuleInfo::engine(d.code));
        }
    }
    let prints = fingerprint::of(found, &cx.workspace_root);
    let results: Vec<Value> = found
        .iter()
        .zip(prints)
        .map(|(d, print)| {
            let index = rules.iter().position(|r| r.name == d.code).unwrap_or_default();
            let mut result = json!({
                "ruleId": d.full_code(),
                "ruleIndex": index,
                "level": level(d.severity),
                "message": {"text": message_text(d)},
                "locations": [location(cx, &d.span, true)],
                "partialFingerprints": {FINGERPRINT_KEY: print},
            });
            if !d.secondary.is_empty() {
                let related: Vec<Value> = d
                    .secondary
                    .iter()
                    .enumerate()
                    .map(|(i, l)| {
                        let mut loc = location(cx, &l.span, false);
                        loc["id"] = json!(i + 1);
                        loc["message"] = json!({"text": l.message});
                        loc
                    })
                    .collect();
                result["relatedLocations"] = json!(related);
            }
            if let Some(fixes) = fixes(cx, d) {
                result["fixes"] = fixes;
            }
            result
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "cargo-twelve",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://12factor.net",
                "rules": rules.iter().map(rule_json).collect::<Vec<_>>(),
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

impl Emitter for Sarif {
    fn emit(&mut self, _cx: &RenderContext, d: &Diagnostic, _out: &mut dyn Write) -> std::io::Result<()> {
        self.found.push(d.clone());
        Ok(())
    }

    fn finish(&mut self, cx: &RenderContext, _totals: &Totals, out: &mut dyn Write) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(&log(cx, &self.found)).map_err(std::io::Error::other)?;
        writeln!(out, "{text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_come_from_the_docs() {
        let docs = "### What it does\nFinds writes to the local filesystem: `std::fs`.\nAlso `tokio::fs`. More here.\n\n### Why is this bad\nState.";
        assert_eq!(
            first_paragraph(docs),
            "Finds writes to the local filesystem: `std::fs`. Also `tokio::fs`. More here."
        );
        assert_eq!(
            first_sentence(&first_paragraph(docs)),
            "Finds writes to the local filesystem: `std::fs`."
        );
        assert_eq!(first_sentence("No full stop"), "No full stop");
    }

    #[test]
    fn paths_are_uri_references() {
        assert_eq!(uri_path("src/a b/ü.rs"), "src/a%20b/%C3%BC.rs");
        assert_eq!(uri_path("crates/api-v2/src/lib.rs"), "crates/api-v2/src/lib.rs");
    }
}

//! Cargo's JSON messages: one `compiler-message` per line, the shape
//! `cargo check --message-format=json` prints, so rust-analyzer, rustfix and
//! CI tools read them like rustc's own diagnostics.

use std::io::Write;

use serde_json::{Value, json};

use super::{Diagnostic, Emitter, RenderContext, Span, Totals, human, short};

#[derive(Debug, Default)]
pub struct Json;

fn span_json(
    cx: &RenderContext,
    span: &Span,
    primary: bool,
    label: Option<&str>,
    replacement: Option<(&str, super::Applicability)>,
) -> Value {
    let start = span.start();
    let end = span.end();
    let file = &span.file;
    let text: Vec<Value> = (start.line..=end.line.max(start.line))
        .map(|line| {
            let range = file.line_range(line);
            let line_text = &file.text[range.clone()];
            let highlight_start = if line == start.line { start.col } else { 1 };
            let highlight_end = if line == end.line {
                end.col
            } else {
                line_text.chars().count() + 1
            };
            json!({"text": line_text, "highlight_start": highlight_start, "highlight_end": highlight_end})
        })
        .collect();
    json!({
        "file_name": RenderContext::relative(span.path(), &cx.workspace_root),
        "byte_start": span.range.start,
        "byte_end": span.range.end,
        "line_start": start.line,
        "line_end": end.line,
        "column_start": start.col,
        "column_end": end.col,
        "is_primary": primary,
        "text": text,
        "label": label,
        "suggested_replacement": replacement.map(|r| r.0),
        "suggestion_applicability": replacement.map(|r| r.1),
        "expansion": null,
    })
}

fn child(level: &str, message: &str, spans: Vec<Value>) -> Value {
    json!({"children": [], "code": null, "level": level, "message": message, "rendered": null, "spans": spans})
}

/// The `message` object of a `compiler-message`.
pub fn diagnostic_json(cx: &RenderContext, d: &Diagnostic) -> Value {
    let mut spans = vec![span_json(cx, &d.span, true, d.label.as_deref(), None)];
    spans.extend(
        d.secondary
            .iter()
            .map(|l| span_json(cx, &l.span, false, Some(&l.message), None)),
    );
    let mut children: Vec<Value> = d.notes.iter().map(|n| child("note", n, Vec::new())).collect();
    children.extend(d.footer_helps().iter().map(|h| child("help", h, Vec::new())));
    if let Some(s) = &d.suggestion {
        let spans = s
            .edits
            .iter()
            .map(|e| span_json(cx, &e.span, true, None, Some((&e.replacement, s.applicability))))
            .collect();
        children.push(child("help", &s.message, spans));
    }
    let explanation = (cx.explain)(d.code);
    json!({
        "rendered": ansi_or_plain(cx, d),
        "$message_type": "diagnostic",
        "children": children,
        "level": d.severity.as_str(),
        "message": d.message,
        "spans": spans,
        "code": {"code": d.full_code(), "explanation": explanation},
    })
}

/// rustc's `rendered`: the human layout (in color with
/// `json-diagnostic-rendered-ansi`), or the short line with
/// `json-diagnostic-short`.
fn ansi_or_plain(cx: &RenderContext, d: &Diagnostic) -> String {
    if cx.rendered_short {
        short::render(d, &cx.workspace_root, cx.rendered_ansi) + "\n"
    } else {
        human::render(d, &cx.workspace_root, cx.rendered_ansi)
    }
}

/// The whole line: package, manifest and target, then the message.
pub fn message_json(cx: &RenderContext, d: &Diagnostic) -> Value {
    let origin = d.origin.unwrap_or(super::Origin { package: 0, target: 0 });
    let package = cx.packages.get(origin.package);
    let target = package.and_then(|p| p.targets.get(origin.target));
    json!({
        "reason": "compiler-message",
        "package_id": package.map(|p| p.id.as_str()),
        "manifest_path": package.map(|p| p.manifest_path.to_string_lossy()),
        "target": target.map(|t| serde_json::to_value(&t.raw).unwrap_or(Value::Null)),
        "message": diagnostic_json(cx, d),
    })
}

impl Emitter for Json {
    fn emit(&mut self, cx: &RenderContext, d: &Diagnostic, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "{}", message_json(cx, d))
    }

    fn finish(&mut self, _cx: &RenderContext, totals: &Totals, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "{}",
            json!({"reason": "build-finished", "success": totals.errors == 0})
        )
    }
}

//! GitLab Code Quality: one JSON array of findings, the report a job
//! uploads with `artifacts: reports: codequality`, shown in merge requests.

use std::io::Write;

use serde_json::{Value, json};

use super::{Diagnostic, Emitter, RenderContext, Severity, Totals, fingerprint};

#[derive(Debug, Default)]
pub struct Gitlab {
    found: Vec<Diagnostic>,
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "major",
        Severity::Warning => "minor",
        Severity::Note => "info",
    }
}

/// The report: one object per finding.
pub fn report(cx: &RenderContext, found: &[Diagnostic]) -> Value {
    let prints = fingerprint::of(found, &cx.workspace_root);
    let issues: Vec<Value> = found
        .iter()
        .zip(prints)
        .map(|(d, fingerprint)| {
            json!({
                "description": d.message,
                "check_name": d.full_code(),
                "fingerprint": fingerprint,
                "severity": severity(d.severity),
                "location": {
                    "path": RenderContext::relative(d.span.path(), &cx.repo_root),
                    "lines": {"begin": d.span.start().line, "end": d.span.end().line},
                },
            })
        })
        .collect();
    Value::Array(issues)
}

impl Emitter for Gitlab {
    fn emit(&mut self, _cx: &RenderContext, d: &Diagnostic, _out: &mut dyn Write) -> std::io::Result<()> {
        self.found.push(d.clone());
        Ok(())
    }

    fn finish(&mut self, cx: &RenderContext, _totals: &Totals, out: &mut dyn Write) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(&report(cx, &self.found)).map_err(std::io::Error::other)?;
        writeln!(out, "{text}")
    }
}

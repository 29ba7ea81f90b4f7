//! One line per finding, in the shape `cargo check --message-format=short`
//! prints and `$gcc`-style problem matchers read.

use std::io::Write;

use super::{Diagnostic, Emitter, Human, RenderContext, Totals};

/// `path:line:col: warning: message [twelve::rule]`.
#[derive(Debug, Default)]
pub struct Short {
    pub quiet: bool,
}

pub fn line(cx: &RenderContext, d: &Diagnostic) -> String {
    let at = d.span.start();
    format!(
        "{}:{}:{}: {}: {} [{}]",
        cx.display_path(d.span.path()),
        at.line,
        at.col,
        d.severity.as_str(),
        d.message,
        d.full_code()
    )
}

impl Emitter for Short {
    fn emit(&mut self, cx: &RenderContext, d: &Diagnostic, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "{}", line(cx, d))
    }

    fn finish(&mut self, cx: &RenderContext, totals: &Totals, out: &mut dyn Write) -> std::io::Result<()> {
        Human { quiet: self.quiet }.finish(cx, totals, out)
    }
}

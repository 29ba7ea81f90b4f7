//! One line per finding, in the shape `cargo check --message-format=short`
//! prints and `$gcc`-style problem matchers read.

use std::io::Write;
use std::path::Path;

use super::human::paint;
use super::{Diagnostic, Emitter, Human, RenderContext, Totals};

/// `path:line:col: warning: message [twelve::rule]`.
#[derive(Debug, Default)]
pub struct Short {
    pub quiet: bool,
}

pub fn line(cx: &RenderContext, d: &Diagnostic) -> String {
    render(d, &cx.cwd, cx.color)
}

/// The line with its path relative to `base`; in color the location is
/// bold and the severity colored, as rustc colors its short form.
pub fn render(d: &Diagnostic, base: &Path, color: bool) -> String {
    let at = d.span.start();
    let location = format!(
        "{}:{}:{}:",
        RenderContext::relative(d.span.path(), base),
        at.line,
        at.col
    );
    let rest = format!("{} [{}]", d.message, d.full_code());
    if color {
        let bold = anstyle::Style::new().bold();
        format!("{bold}{location}{bold:#} {}", paint(true, d.severity, &rest))
    } else {
        format!("{location} {}: {rest}", d.severity.as_str())
    }
}

impl Emitter for Short {
    fn emit(&mut self, cx: &RenderContext, d: &Diagnostic, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "{}", line(cx, d))
    }

    fn finish(&mut self, cx: &RenderContext, totals: &Totals, out: &mut dyn Write) -> std::io::Result<()> {
        Human { quiet: self.quiet }.finish(cx, totals, out)
    }
}

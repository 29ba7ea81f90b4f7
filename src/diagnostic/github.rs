//! GitHub Actions workflow commands: `::warning file=…,line=…::message`, one
//! per finding, which the runner turns into annotations on the pull
//! request. Values are escaped the way the Actions toolkit (`@actions/core`)
//! escapes them.

use std::io::Write;

use super::{Diagnostic, Emitter, RenderContext, Severity, Totals};

#[derive(Debug, Default)]
pub struct Github;

/// A command's message: `%`, `\r` and `\n` escaped.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A property value: the message escapes, and `:` and `,` too.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// The workflow command of one finding.
pub fn command(cx: &RenderContext, d: &Diagnostic) -> String {
    let name = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    };
    let start = d.span.start();
    let end = d.span.end();
    let file = RenderContext::relative(d.span.path(), &cx.repo_root);
    let mut props = vec![
        format!("file={}", escape_property(&file)),
        format!("line={}", start.line),
    ];
    // Columns only mean something on a single line.
    if start.line == end.line {
        props.push(format!("col={}", start.col));
        props.push(format!("endLine={}", end.line));
        props.push(format!("endColumn={}", end.col));
    } else {
        props.push(format!("endLine={}", end.line));
    }
    props.push(format!("title={}", escape_property(&d.full_code())));
    let mut message = d.message.clone();
    if let Some(label) = &d.label {
        message.push_str(&format!("\n{label}"));
    }
    for note in &d.notes {
        message.push_str(&format!("\nnote: {note}"));
    }
    for help in d.footer_helps() {
        message.push_str(&format!("\nhelp: {help}"));
    }
    format!("::{name} {}::{}", props.join(","), escape_data(&message))
}

impl Emitter for Github {
    fn emit(&mut self, cx: &RenderContext, d: &Diagnostic, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "{}", command(cx, d))
    }

    fn finish(&mut self, _cx: &RenderContext, _totals: &Totals, _out: &mut dyn Write) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_actions_toolkit() {
        assert_eq!(escape_data("100% done\r\nnext: a, b"), "100%25 done%0D%0Anext: a, b");
        assert_eq!(escape_property("src/a:b,c%\n"), "src/a%3Ab%2Cc%25%0A");
        // `%` first, so an escape is not escaped again.
        assert_eq!(escape_data("%0A"), "%250A");
    }
}

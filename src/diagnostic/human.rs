//! rustc's human layout, rendered by annotate-snippets like rustc and cargo.

use std::io::Write;
use std::path::Path;

use annotate_snippets::{AnnotationKind, Group, Level, Patch, Renderer, Snippet};

use super::{Diagnostic, Emitter, RenderContext, Severity, Totals};

/// `warning[twelve::rule]: message` with the source gutter, footers and
/// suggestion patches, then a closing summary line.
#[derive(Debug, Default)]
pub struct Human {
    /// `-q`: no summary line.
    pub quiet: bool,
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    }
}

/// Renders one diagnostic, paths shown relative to `base`.
pub fn render(d: &Diagnostic, base: &Path, color: bool) -> String {
    let path = RenderContext::relative(d.span.path(), base);
    let code = d.full_code();
    let mut primary = AnnotationKind::Primary.span(d.span.range.clone());
    if let Some(label) = &d.label {
        primary = primary.label(label.as_str());
    }
    let mut snippet = Snippet::source(d.span.file.text.as_str())
        .path(path.clone())
        .annotation(primary);
    let mut other_files = Vec::new();
    for label in &d.secondary {
        let annotation = AnnotationKind::Context
            .span(label.span.range.clone())
            .label(label.message.as_str());
        if std::sync::Arc::ptr_eq(&label.span.file, &d.span.file) {
            snippet = snippet.annotation(annotation);
        } else {
            other_files.push(
                Snippet::source(label.span.file.text.as_str())
                    .path(RenderContext::relative(label.span.path(), base))
                    .annotation(annotation),
            );
        }
    }
    let mut group = level(d.severity)
        .primary_title(d.message.as_str())
        .id(code)
        .element(snippet);
    for s in other_files {
        group = group.element(s);
    }
    for note in &d.notes {
        group = group.element(Level::NOTE.message(note.as_str()));
    }
    let helps = d.footer_helps();
    for help in &helps {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    let mut report: Vec<Group> = vec![group];
    if let Some(s) = &d.suggestion {
        let mut title = Level::HELP.secondary_title(s.message.as_str()).element(
            Snippet::source(d.span.file.text.as_str()).path(path.clone()).patches(
                s.edits
                    .iter()
                    .filter(|e| std::sync::Arc::ptr_eq(&e.span.file, &d.span.file))
                    .map(|e| Patch::new(e.span.range.clone(), e.replacement.as_str())),
            ),
        );
        for edit in s
            .edits
            .iter()
            .filter(|e| !std::sync::Arc::ptr_eq(&e.span.file, &d.span.file))
        {
            title = title.element(
                Snippet::source(edit.span.file.text.as_str())
                    .path(RenderContext::relative(edit.span.path(), base))
                    .patch(Patch::new(edit.span.range.clone(), edit.replacement.as_str())),
            );
        }
        report.push(title);
    }
    let renderer = if color { Renderer::styled() } else { Renderer::plain() };
    let mut out = renderer.render(&report);
    out.push('\n');
    out
}

impl Emitter for Human {
    fn emit(&mut self, cx: &RenderContext, d: &Diagnostic, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "{}", render(d, &cx.cwd, cx.color))
    }

    fn finish(&mut self, cx: &RenderContext, totals: &Totals, out: &mut dyn Write) -> std::io::Result<()> {
        if let Some((severity, line)) = summary(totals) {
            writeln!(out, "{}", paint(cx.color, severity, &line))?;
        }
        if !self.quiet {
            writeln!(out, "{}", finished_line(cx.color, totals))?;
        }
        Ok(())
    }
}

/// `warning: 2 warnings emitted` or `error: 1 error and 2 warnings emitted`.
pub fn summary(totals: &Totals) -> Option<(Severity, String)> {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (totals.errors, totals.warnings) {
        (0, 0) => None,
        (0, w) => Some((Severity::Warning, plural(w, "warning") + " emitted")),
        (e, 0) => Some((Severity::Error, plural(e, "error") + " emitted")),
        (e, w) => Some((
            Severity::Error,
            format!("{} and {} emitted", plural(e, "error"), plural(w, "warning")),
        )),
    }
}

/// `severity: text`, the severity word styled as rustc styles it.
pub fn paint(color: bool, severity: Severity, text: &str) -> String {
    let style = match severity {
        Severity::Error => annotate_snippets::renderer::DEFAULT_ERROR_STYLE,
        Severity::Warning => annotate_snippets::renderer::DEFAULT_WARNING_STYLE,
        Severity::Note => annotate_snippets::renderer::DEFAULT_NOTE_STYLE,
    };
    let bold = anstyle::Style::new().bold();
    if color {
        format!("{style}{}{style:#}{bold}: {text}{bold:#}", severity.as_str())
    } else {
        format!("{}: {text}", severity.as_str())
    }
}

/// Cargo's right-aligned status word, green and bold in color.
pub fn status(color: bool, word: &str, text: &str) -> String {
    let style = anstyle::AnsiColor::Green.on_default().bold();
    if color {
        format!("{style}{word:>12}{style:#} {text}")
    } else {
        format!("{word:>12} {text}")
    }
}

fn finished_line(color: bool, totals: &Totals) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    status(
        color,
        "Finished",
        &format!(
            "twelve-factor check of {} ({}, {})",
            plural(totals.packages, "package"),
            plural(totals.files, "file"),
            plural(totals.lines, "line")
        ),
    )
}

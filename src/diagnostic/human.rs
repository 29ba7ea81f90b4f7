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
    // The other files' edits, as shown.
    let appended: Vec<(String, std::ops::Range<usize>, std::borrow::Cow<'_, str>)> = d
        .suggestion
        .iter()
        .flat_map(|s| &s.edits)
        .filter(|e| !std::sync::Arc::ptr_eq(&e.span.file, &d.span.file))
        .map(|e| shown_as_lines(&e.span.file.text, e.span.range.clone(), &e.replacement))
        .collect();
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
        for (edit, (text, range, replacement)) in s
            .edits
            .iter()
            .filter(|e| !std::sync::Arc::ptr_eq(&e.span.file, &d.span.file))
            .zip(&appended)
        {
            title = title.element(
                Snippet::source(text.as_str())
                    .path(RenderContext::relative(edit.span.path(), base))
                    .patch(Patch::new(range.clone(), replacement.clone())),
            );
        }
        report.push(title);
    }
    let renderer = if color { Renderer::styled() } else { Renderer::plain() };
    let mut out = renderer.render(&report);
    out.push('\n');
    out
}

/// An edit as the lines it adds: lines appended at the end of a file
/// (`.env\n` after `.gitignore`'s last line `.idea`) are shown below its
/// last line, not run into it as `.idea.env`.
fn shown_as_lines<'r>(
    text: &str,
    range: std::ops::Range<usize>,
    replacement: &'r str,
) -> (String, std::ops::Range<usize>, std::borrow::Cow<'r, str>) {
    let at_end = range.is_empty() && range.start == text.len() && !text.is_empty();
    let lines = if text.ends_with('\n') {
        Some(replacement)
    } else {
        replacement.strip_prefix('\n')
    };
    match lines.and_then(|l| l.strip_suffix('\n')) {
        Some(lines) if at_end && !lines.is_empty() => {
            // Before the last line's newline: a line of its own after it.
            let at = text.strip_suffix('\n').map_or(text.len(), str::len);
            (text.to_string(), at..at, format!("\n{lines}").into())
        }
        _ => (text.to_string(), range, replacement.into()),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Applicability, Edit, Severity, Span, Suggestion};
    use crate::source::SourceFile;
    use std::sync::Arc;

    /// A `.env` finding whose fix appends `.env` to `.gitignore`.
    fn appended_to(gitignore: &str) -> String {
        let env = Arc::new(SourceFile::new("/w/.env", "TOKEN=1\n".to_string()));
        let ignore = Arc::new(SourceFile::new("/w/.gitignore", gitignore.to_string()));
        let end = gitignore.len();
        let lines = if gitignore.ends_with('\n') {
            ".env\n"
        } else {
            "\n.env\n"
        };
        let mut d = Diagnostic::new("committed_env_file", Severity::Error, Span::new(env, 0..7), "committed");
        d.suggestion = Some(Suggestion {
            message: "ignore `.env`".to_string(),
            edits: vec![Edit {
                span: Span::new(ignore, end..end),
                replacement: lines.to_string(),
            }],
            applicability: Applicability::MachineApplicable,
            env: Vec::new(),
        });
        render(&d, Path::new("/w"), false)
    }

    #[test]
    fn lines_appended_to_a_file_are_shown_below_its_last_line() {
        for gitignore in ["target\n.idea\n", "target\n.idea"] {
            let out = appended_to(gitignore);
            assert!(out.contains("2 ~ .idea\n3 + .env\n"), "{out}");
            assert!(!out.contains(".idea.env"), "{out}");
        }
    }
}

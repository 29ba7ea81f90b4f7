//! The diagnostic model, and one renderer per output format.
//!
//! Rules build [`Diagnostic`]s; an [`Emitter`] turns them into text. Adding a
//! format means adding one module with one `Emitter` implementation.

pub mod fingerprint;
pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod sarif;
pub mod short;
pub mod wire;

pub use fingerprint::{assign_fingerprints, fingerprints};
pub use github::Github;
pub use gitlab::Gitlab;
pub use human::Human;
pub use json::Json;
pub use sarif::Sarif;
pub use short::Short;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::factor::Factor;
use crate::source::{LineCol, SourceFile};

/// How loud a rule is, as configured (`allow`, `warn`, `deny`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LintLevel {
    Allow,
    Warn,
    Deny,
}

impl LintLevel {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "allow" => Some(Self::Allow),
            "warn" => Some(Self::Warn),
            "deny" => Some(Self::Deny),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Warn => "warn",
            Self::Deny => "deny",
        }
    }

    /// The severity a finding at this level is reported with.
    pub fn severity(self) -> Option<Severity> {
        match self {
            Self::Allow => None,
            Self::Warn => Some(Severity::Warning),
            Self::Deny => Some(Severity::Error),
        }
    }
}

/// How a diagnostic is shown. `deny` renders as `error`, as in rustc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Severity {
    Error,
    Warning,
    /// Informational; never affects the exit code.
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Note => "note",
        }
    }
}

/// A byte range in a source file.
#[derive(Debug, Clone)]
pub struct Span {
    pub file: Arc<SourceFile>,
    pub range: Range<usize>,
}

impl Span {
    pub fn new(file: Arc<SourceFile>, range: Range<usize>) -> Self {
        let start = file.clamp(range.start);
        let end = file.clamp(range.end.max(range.start));
        Self {
            file,
            range: start..end,
        }
    }

    pub fn start(&self) -> LineCol {
        self.file.line_col(self.range.start)
    }

    /// Whether `other` lies within this span, in the same file.
    pub fn encloses(&self, other: &Span) -> bool {
        self.path() == other.path() && self.range.start <= other.range.start && other.range.end <= self.range.end
    }

    pub fn end(&self) -> LineCol {
        self.file.line_col(self.range.end)
    }

    pub fn path(&self) -> &Path {
        &self.file.path
    }

    pub fn snippet(&self) -> &str {
        &self.file.text[self.range.clone()]
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// How confident a suggestion is; the names and meaning are rustc's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Applicability {
    /// Apply without review (`cargo twelve fix` applies these).
    MachineApplicable,
    /// Probably right, but check it compiles and means what you want.
    MaybeIncorrect,
    /// Contains placeholders like `<value>` to be filled in.
    HasPlaceholders,
    Unspecified,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Suggestion {
    /// The `help:` line above the patch.
    pub message: String,
    pub edits: Vec<Edit>,
    pub applicability: Applicability,
    /// Environment variables the edits start reading: `cargo twelve fix`
    /// lists them in `.env.example`.
    pub env: Vec<String>,
}

/// Where a finding came from, for cargo's JSON message fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Origin {
    /// Index into the run's selected packages.
    pub package: usize,
    /// Index into that package's checked targets.
    pub target: usize,
}

/// One finding.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    /// Rule name without the `twelve::` prefix, or an engine code such as
    /// `parse_error`.
    #[serde(deserialize_with = "wire::static_str")]
    pub code: wire::StaticStr,
    pub severity: Severity,
    pub factor: Option<Factor>,
    pub message: String,
    pub span: Span,
    pub label: Option<String>,
    pub secondary: Vec<Label>,
    pub notes: Vec<String>,
    pub helps: Vec<String>,
    pub suggestion: Option<Suggestion>,
    pub origin: Option<Origin>,
    /// The canonical path of the function, `static` or `const` the finding
    /// is in (`app::storage::save`), for the service model: it decides
    /// whether a deployed service runs that code.
    pub item: Option<String>,
    /// Reported by a rule's package-level check (on the facts of every
    /// file), not by the pass over the file it points into.
    pub package_level: bool,
    /// What identifies the finding across edits ([`fingerprint`]), once
    /// the run's findings are known.
    pub fingerprint: Option<String>,
}

impl Diagnostic {
    pub fn new(code: &'static str, severity: Severity, span: Span, message: impl Into<String>) -> Self {
        Self {
            code,
            severity,
            factor: None,
            message: message.into(),
            span,
            label: None,
            secondary: Vec::new(),
            notes: Vec::new(),
            helps: Vec::new(),
            suggestion: None,
            origin: None,
            item: None,
            package_level: false,
            fingerprint: None,
        }
    }

    pub fn label(&mut self, label: impl Into<String>) -> &mut Self {
        self.label = Some(label.into());
        self
    }

    pub fn secondary(&mut self, span: Span, message: impl Into<String>) -> &mut Self {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn note(&mut self, note: impl Into<String>) -> &mut Self {
        self.notes.push(note.into());
        self
    }

    pub fn help(&mut self, help: impl Into<String>) -> &mut Self {
        self.helps.push(help.into());
        self
    }

    pub fn suggest(&mut self, message: impl Into<String>, edits: Vec<Edit>, applicability: Applicability) -> &mut Self {
        self.suggestion = Some(Suggestion {
            message: message.into(),
            edits,
            applicability,
            env: Vec::new(),
        });
        self
    }

    /// Names the environment variables the suggestion's edits read.
    pub fn suggest_env<S: Into<String>>(&mut self, vars: impl IntoIterator<Item = S>) -> &mut Self {
        if let Some(s) = &mut self.suggestion {
            s.env.extend(vars.into_iter().map(Into::into));
        }
        self
    }

    /// Points every span into another version of its file (the same text
    /// with secrets masked), where `map` gives one.
    pub fn map_files(&mut self, map: impl Fn(&Arc<SourceFile>) -> Option<Arc<SourceFile>>) {
        let swap = |span: &mut Span| {
            if let Some(f) = map(&span.file) {
                span.file = f;
            }
        };
        swap(&mut self.span);
        self.secondary.iter_mut().for_each(|l| swap(&mut l.span));
        if let Some(s) = &mut self.suggestion {
            s.edits.iter_mut().for_each(|e| swap(&mut e.span));
        }
    }

    /// `twelve::<code>`, the code shown in every format.
    pub fn full_code(&self) -> String {
        format!("twelve::{}", self.code)
    }

    /// Every `= help:` footer, the 12factor.net link last.
    pub fn footer_helps(&self) -> Vec<String> {
        let mut helps = self.helps.clone();
        if let Some(factor) = self.factor {
            helps.push(format!("for further information visit {}", factor.url()));
        }
        helps
    }

    /// Sort key: file, line, column, then code, so output is deterministic.
    pub fn sort_key(&self) -> (&Path, usize, usize, &'static str, &str) {
        (
            self.span.path(),
            self.span.range.start,
            self.span.range.end,
            self.code,
            &self.message,
        )
    }
}

/// A secret as it may appear in output: its first four characters and `…`.
pub fn redact(secret: &str) -> String {
    let shown: String = secret.chars().take(4).collect();
    format!("{shown}…")
}

/// Totals for the closing summary line and the exit code.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub errors: usize,
    pub warnings: usize,
    pub files: usize,
    pub lines: usize,
    pub packages: usize,
}

impl Totals {
    pub fn count(&mut self, diagnostics: &[Diagnostic]) {
        for d in diagnostics {
            match d.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Note => {}
            }
        }
    }
}

/// Facts about the run that renderers need besides the diagnostics.
pub struct RenderContext<'a> {
    /// Human paths are shown relative to this directory when under it.
    pub cwd: PathBuf,
    /// JSON `file_name`s are relative to the workspace root.
    pub workspace_root: PathBuf,
    pub color: bool,
    /// JSON `rendered` fields carry ANSI colors.
    pub rendered_ansi: bool,
    /// JSON `rendered` fields are the one-line short form.
    pub rendered_short: bool,
    /// SARIF and GitLab paths are relative to this directory: the git
    /// repository's top level, else the workspace root.
    pub repo_root: PathBuf,
    pub packages: &'a [crate::workspace::Package],
    /// A rule's documentation by code, for JSON `code.explanation`.
    pub explain: &'a dyn Fn(&str) -> Option<String>,
    /// Every rule the run knows, for SARIF's `tool.driver.rules`.
    pub rules: &'a [RuleInfo],
}

/// What the output formats say about a rule besides its findings.
#[derive(Debug, Clone)]
pub struct RuleInfo {
    /// Without the `twelve::` prefix.
    pub name: &'static str,
    pub factor: Option<Factor>,
    pub default_level: LintLevel,
    /// One line: what it finds.
    pub summary: String,
    /// The `cargo twelve explain` text, Markdown.
    pub docs: String,
}

impl RuleInfo {
    /// An engine code (`parse_error`, `module_not_found`) that no rule
    /// declares.
    pub fn engine(name: &'static str) -> Self {
        let summary = match name {
            "parse_error" => "a file that does not parse".to_string(),
            "module_not_found" => "a `mod` declaration whose file is missing".to_string(),
            "module_outside_workspace" => "a `mod` whose file lies outside the workspace, not read".to_string(),
            "unreadable_file" => "a file that cannot be read (or is not a regular file)".to_string(),
            "file_too_large" => "a source file over the size cap (10 MiB, `--max-file-size`), not read".to_string(),
            "too_deeply_nested" => "a source file nested too deeply to check, not checked".to_string(),
            "internal_error" => "a rule or the engine failed on a file (a bug in cargo twelve)".to_string(),
            "unused_suppression" => "a `twelve:allow` comment that matches nothing".to_string(),
            other => format!("`{other}`"),
        };
        Self {
            name,
            factor: None,
            default_level: LintLevel::Deny,
            docs: summary.clone(),
            summary,
        }
    }
}

impl RenderContext<'_> {
    /// A path relative to `base` when it lies under it, otherwise as is.
    pub fn relative(path: &Path, base: &Path) -> String {
        let shown = path.strip_prefix(base).unwrap_or(path);
        shown.to_string_lossy().replace('\\', "/")
    }

    pub fn display_path(&self, path: &Path) -> String {
        Self::relative(path, &self.cwd)
    }
}

/// One output format.
pub trait Emitter {
    /// Writes one diagnostic.
    fn emit(
        &mut self,
        cx: &RenderContext,
        diagnostic: &Diagnostic,
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<()>;

    /// Writes what closes the run: a summary line, or cargo's `build-finished`.
    fn finish(&mut self, cx: &RenderContext, totals: &Totals, out: &mut dyn std::io::Write) -> std::io::Result<()>;
}

//! `cargo twelve fix`: applies the rules' suggestions to the files on disk,
//! and never leaves a file that no longer parses.
//!
//! A run is planned first ([`plan`]): each suggestion allowed by its
//! applicability becomes byte-range edits on the text as it is on disk;
//! a suggestion with an edit that overlaps one already taken is skipped
//! whole. The plan is then checked in memory (Rust files with syn, TOML
//! with toml), written file by file through a temporary file and a rename,
//! and read back and checked again; any failure puts every file back byte
//! for byte ([`Plan::apply`]). [`vcs`] refuses to touch files with
//! uncommitted changes, as `cargo fix` does.

mod edits;
mod env_example;
pub mod vcs;
mod write;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Applicability, Diagnostic};

/// Which suggestions a run applies.
#[derive(Debug, Clone, Copy, Default)]
pub struct Request {
    /// Also `MaybeIncorrect` suggestions (`--unsafe-fixes`).
    pub unsafe_fixes: bool,
}

impl Request {
    /// Whether a suggestion of this applicability is applied.
    /// `HasPlaceholders` never is: its text is not code yet.
    pub fn applies(&self, applicability: Applicability) -> bool {
        match applicability {
            Applicability::MachineApplicable => true,
            Applicability::MaybeIncorrect => self.unsafe_fixes,
            Applicability::HasPlaceholders | Applicability::Unspecified => false,
        }
    }
}

/// One file the plan changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Absolute path.
    pub path: PathBuf,
    /// The text on disk, or `None` when the file is created.
    pub before: Option<String>,
    pub after: String,
    /// The same two texts with secrets masked as the rules' output masks
    /// them, for the diff.
    pub shown_before: Option<String>,
    pub shown_after: String,
    /// Suggestions applied to this file.
    pub fixes: usize,
}

/// A suggestion the plan leaves out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub code: &'static str,
    /// The finding's file and 1-based line.
    pub path: PathBuf,
    pub line: usize,
    pub reason: String,
}

/// What a run would change.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// By path.
    pub changes: Vec<Change>,
    pub skipped: Vec<Skipped>,
    /// Environment variables the applied suggestions introduce.
    pub env: Vec<String>,
}

/// Why nothing was written.
#[derive(Debug)]
pub enum Failure {
    /// A changed file does not parse; nothing was written.
    Invalid { path: PathBuf, error: String },
    /// Writing failed part way; every file written was put back.
    Write { path: PathBuf, error: std::io::Error },
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Invalid { path, error } => write!(
                f,
                "the fixes would leave `{}` unparsable ({error}); no file was changed",
                path.display()
            ),
            Self::Write { path, error } => write!(
                f,
                "could not write `{}` ({error}); every file was restored as it was",
                path.display()
            ),
        }
    }
}

/// One file being planned: its text on disk and the edits taken so far.
struct Pending {
    before: Option<String>,
    /// `before` with every byte a rule's copy masks as `*`.
    shown: Option<String>,
    edits: Vec<(Range<usize>, String)>,
    fixes: BTreeSet<usize>,
}

/// Plans the suggestions of `diagnostics` that `request` allows.
/// `env_example` is the `.env.example` that lists the variables the
/// fixes introduce.
pub fn plan(diagnostics: &[Diagnostic], request: Request, env_example: &Path) -> Plan {
    let mut files: BTreeMap<PathBuf, Pending> = BTreeMap::new();
    let mut skipped = Vec::new();
    let mut env: Vec<String> = Vec::new();
    for (index, d) in diagnostics.iter().enumerate() {
        let Some(s) = &d.suggestion else { continue };
        if !request.applies(s.applicability) || s.edits.is_empty() {
            continue;
        }
        let skip = |reason: String| Skipped {
            code: d.code,
            path: d.span.path().to_path_buf(),
            line: d.span.start().line,
            reason,
        };
        // Every file the suggestion edits, read and checked against what
        // the rules saw.
        let mut ok = true;
        for e in &s.edits {
            let std::collections::btree_map::Entry::Vacant(slot) = files.entry(e.span.path().to_path_buf()) else {
                continue;
            };
            match read_current(e.span.path(), &e.span.file.text) {
                Ok(before) => {
                    slot.insert(Pending {
                        shown: before.clone(),
                        before,
                        edits: Vec::new(),
                        fixes: BTreeSet::new(),
                    });
                }
                Err(reason) => {
                    skipped.push(skip(reason));
                    ok = false;
                    break;
                }
            }
        }
        if !ok {
            continue;
        }
        for e in &s.edits {
            let file = files.get_mut(e.span.path()).expect("read above");
            if let Some(shown) = &mut file.shown {
                mask_like(shown, &e.span.file.text);
            }
        }
        // The edits new to the plan; one equal to an edit already taken
        // (two findings adding the same line) is not applied twice.
        let mut fresh: Vec<(&Path, Range<usize>, &str)> = Vec::new();
        let mut conflict = false;
        for e in &s.edits {
            let taken = &files[e.span.path()].edits;
            let range = e.span.range.clone();
            if taken.iter().any(|(r, text)| *r == range && *text == e.replacement) {
                continue;
            }
            let clashes = taken
                .iter()
                .map(|(r, _)| r)
                .chain(fresh.iter().filter(|(p, _, _)| *p == e.span.path()).map(|(_, r, _)| r))
                .any(|r| edits::overlap(r, &range));
            if clashes {
                conflict = true;
                break;
            }
            fresh.push((e.span.path(), range, &e.replacement));
        }
        if conflict {
            skipped.push(skip("it overlaps another fix".into()));
            continue;
        }
        for (path, range, text) in fresh {
            let file = files.get_mut(path).expect("read above");
            file.edits.push((range, text.to_string()));
        }
        for e in &s.edits {
            files.get_mut(e.span.path()).expect("read above").fixes.insert(index);
        }
        for var in &s.env {
            if !env.contains(var) {
                env.push(var.clone());
            }
        }
    }

    let mut changes: Vec<Change> = files
        .into_iter()
        .filter_map(|(path, p)| {
            let text = p.before.clone().unwrap_or_default();
            let after = edits::apply(&text, &p.edits);
            let shown_after = edits::apply(p.shown.as_deref().unwrap_or_default(), &p.edits);
            (p.before.as_deref() != Some(after.as_str())).then_some(Change {
                path,
                before: p.before,
                after,
                shown_before: p.shown,
                shown_after,
                fixes: p.fixes.len(),
            })
        })
        .collect();
    if !env.is_empty() {
        let at = changes.iter().position(|c| c.path == env_example);
        let (before, current) = match at {
            Some(i) => (changes[i].before.clone(), changes[i].after.clone()),
            None => {
                let before = std::fs::read_to_string(env_example).ok();
                (before.clone(), before.unwrap_or_default())
            }
        };
        let merged = env_example::merge(&current, &env);
        if merged != current {
            match at {
                Some(i) => {
                    let shown = env_example::merge(&changes[i].shown_after, &env);
                    changes[i].shown_after = shown;
                    changes[i].after = merged;
                    changes[i].fixes += 1;
                }
                None => changes.push(Change {
                    path: env_example.to_path_buf(),
                    shown_before: before.clone(),
                    before,
                    shown_after: merged.clone(),
                    after: merged,
                    fixes: 1,
                }),
            }
        }
        changes.sort_by(|a, b| a.path.cmp(&b.path));
    }
    Plan { changes, skipped, env }
}

/// The file's text on disk (`None` when it does not exist and the rule
/// saw it empty), if it is still the text the rule saw: equal byte for
/// byte, except where the rule's copy has a secret masked with `*`.
fn read_current(path: &Path, seen: &str) -> Result<Option<String>, String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && seen.is_empty() => return Ok(None),
        Err(e) => return Err(format!("`{}` cannot be read: {e}", path.display())),
    };
    let same = bytes.len() == seen.len() && bytes.iter().zip(seen.bytes()).all(|(a, b)| *a == b || b == b'*');
    if !same {
        return Err(format!("`{}` changed since it was checked", path.display()));
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| format!("`{}` is not UTF-8", path.display()))
}

/// Masks in `shown` every byte `seen` (the same text as a rule saw it)
/// masks: secrets never reach the diff.
fn mask_like(shown: &mut String, seen: &str) {
    if shown.len() != seen.len() || !seen.contains('*') {
        return;
    }
    let mut bytes = std::mem::take(shown).into_bytes();
    for (b, s) in bytes.iter_mut().zip(seen.bytes()) {
        if s == b'*' {
            *b = b'*';
        }
    }
    // Masking replaces whole UTF-8 sequences, as `SourceFile::masked` does.
    *shown = String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
}

/// Whether `text` still parses as what `path` holds: Rust with syn, TOML
/// with toml. Other files (`.gitignore`, `.env.example`) have no grammar
/// to break.
pub fn verify(path: &Path, text: &str) -> Result<(), String> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.ends_with(".rs") {
        crate::source::parse_rust(text).map(|_| ()).map_err(|e| {
            let at = e.span().start();
            format!("{}:{}: {e}", at.line, at.column + 1)
        })
    } else if name.ends_with(".toml") || name == "Cargo.lock" {
        text.parse::<toml::Table>()
            .map(|_| ())
            .map_err(|e| e.message().to_string())
    } else {
        Ok(())
    }
}

impl Plan {
    /// Suggestions applied, over all files.
    pub fn fixes(&self) -> usize {
        self.changes.iter().map(|c| c.fixes).sum()
    }

    /// Checks every changed file, writes them, reads them back and checks
    /// them again. On any failure every file is as it was before.
    pub fn apply(&self) -> Result<(), Failure> {
        for c in &self.changes {
            verify(&c.path, &c.after).map_err(|error| Failure::Invalid {
                path: c.path.clone(),
                error,
            })?;
        }
        let mut written: Vec<&Change> = Vec::new();
        for c in &self.changes {
            if let Err(error) = write::atomic(&c.path, &c.after) {
                restore(&written);
                return Err(Failure::Write {
                    path: c.path.clone(),
                    error,
                });
            }
            written.push(c);
        }
        for c in &self.changes {
            let back = std::fs::read_to_string(&c.path);
            let check = match &back {
                Ok(text) if *text == c.after => verify(&c.path, text),
                Ok(_) => Err("it changed while it was written".into()),
                Err(e) => Err(e.to_string()),
            };
            if let Err(error) = check {
                restore(&written);
                return Err(Failure::Invalid {
                    path: c.path.clone(),
                    error,
                });
            }
        }
        Ok(())
    }

    /// The plan as a unified diff, paths relative to `base`.
    pub fn diff(&self, base: &Path) -> String {
        let mut out = String::new();
        for c in &self.changes {
            let shown = c.path.strip_prefix(base).unwrap_or(&c.path).display().to_string();
            let old = c.shown_before.as_deref().unwrap_or("");
            let from = if c.before.is_some() {
                format!("a/{shown}")
            } else {
                "/dev/null".to_string()
            };
            let diff = similar::TextDiff::from_lines(old, &c.shown_after);
            out.push_str(
                &diff
                    .unified_diff()
                    .context_radius(3)
                    .header(&from, &format!("b/{shown}"))
                    .missing_newline_hint(true)
                    .to_string(),
            );
        }
        out
    }
}

/// Puts written files back as they were: the old text, or no file.
fn restore(written: &[&Change]) {
    for c in written.iter().rev() {
        let _ = match &c.before {
            Some(text) => write::atomic(&c.path, text),
            None => std::fs::remove_file(&c.path),
        };
    }
}

#[cfg(test)]
mod tests;

//! The cache of per-file results, under cargo's target directory
//! (`target/twelve/`).
//!
//! One entry per file and context: the diagnostics of the file's own pass
//! (after `twelve:allow` comments), the facts its rules recorded for their
//! package-level checks, its part of the service model, its module
//! declarations, the names its child modules see and the ranges of its
//! secrets. A warm run reads each file, hashes it and, when the entry is
//! there, reads the entry instead of parsing and visiting the file. The
//! service model, package-level and workspace-level rules always run
//! again, on the cached facts: their findings depend on every file.
//!
//! An entry's name is a SHA-256 of everything the pass over the file
//! depends on: the tool's version and build, the package as `cargo
//! metadata` describes it and its configuration, the enabled rules and
//! their levels, the workspace's crates, the file's place (module path,
//! target kind, test or `#[cfg]` context), what its ancestor modules
//! export, and the file's bytes. A change to any of them is a new name, so
//! an entry is never stale; entries no run names any more stay until the
//! target directory is cleaned.
//!
//! An entry is two lines of JSON: a header (format version, the SHA-256 of
//! the body, and every other file a span of the body points into, with the
//! SHA-256 of its text) and the body. It is written to a temporary file
//! and renamed into place. An entry that does not parse, whose checksum or
//! other files do not match, or whose spans do not fit the file, is
//! ignored and the file analysed again.

use std::any::Any;
use std::io::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Fact, Job, PackageCx, model};
use crate::diagnostic::wire;
use crate::diagnostic::{Diagnostic, Origin, Span};
use crate::resolve::Exports;
use crate::source::SourceFile;
use crate::workspace::{ModuleDecl, Package, Workspace};

/// The entry format; part of every key.
const FORMAT: u32 = 1;

/// A value a rule records as a fact: any type that serde can write and
/// read back.
pub trait FactValue: Any + Send + Serialize + DeserializeOwned {}

impl<T: Any + Send + Serialize + DeserializeOwned> FactValue for T {}

/// How one type of fact is written to the cache and read back; a rule
/// lists the types it records in [`Rule::fact_types`](super::Rule::fact_types).
#[derive(Clone, Copy)]
pub struct FactType {
    tag: fn() -> &'static str,
    encode: fn(&(dyn Any + Send)) -> Option<serde_json::Value>,
    decode: fn(serde_json::Value) -> Option<Box<dyn Any + Send>>,
}

impl std::fmt::Debug for FactType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str((self.tag)())
    }
}

impl FactType {
    pub const fn of<T: FactValue>() -> Self {
        Self {
            tag: std::any::type_name::<T>,
            encode: encode_fact::<T>,
            decode: decode_fact::<T>,
        }
    }

    fn tag(&self) -> &'static str {
        (self.tag)()
    }
}

fn encode_fact<T: FactValue>(value: &(dyn Any + Send)) -> Option<serde_json::Value> {
    serde_json::to_value(value.downcast_ref::<T>()?).ok()
}

fn decode_fact<T: FactValue>(value: serde_json::Value) -> Option<Box<dyn Any + Send>> {
    let value: T = serde_json::from_value(value).ok()?;
    Some(Box::new(value))
}

/// The cache of one run.
pub struct Cache {
    dir: PathBuf,
    /// The tool's version and build.
    tool: [u8; 32],
}

/// What a file's pass found, as the cache keeps it.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Body {
    /// Whether the file parsed; when not, only `diagnostics` is set.
    pub parsed: bool,
    pub decls: Vec<ModuleDecl>,
    /// The file's top-level names, for its child modules.
    pub exports: Option<Exports>,
    pub diagnostics: Vec<Diagnostic>,
    pub facts: Vec<WireFact>,
    pub model: model::FileFacts,
    pub redactions: Vec<Range<usize>>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct WireFact {
    rule: String,
    tag: String,
    origin: Origin,
    span: Span,
    value: serde_json::Value,
}

#[derive(Serialize, Deserialize)]
struct Header {
    format: u32,
    /// SHA-256 of the body line, hex.
    body: String,
    /// The files spans point into besides the file itself (index 1 on),
    /// with the SHA-256 of their text.
    files: Vec<(PathBuf, String)>,
}

/// The cache key of a file: [`Cache::package_key`] of its package, then
/// the job and the text.
pub(super) type Key = [u8; 32];

impl Cache {
    /// The cache in `dir` (`target/twelve`); `None` when it cannot be
    /// created (a read-only target directory): the run goes on without.
    pub fn open(dir: &Path) -> Option<Self> {
        let dir = dir.join(format!("v{FORMAT}"));
        std::fs::create_dir_all(&dir).ok()?;
        let mut tool = Sha256::new();
        tool.update(env!("CARGO_PKG_NAME").as_bytes());
        tool.update([0]);
        tool.update(env!("CARGO_PKG_VERSION").as_bytes());
        tool.update(FORMAT.to_le_bytes());
        // The build itself: a rebuilt binary of the same version may
        // report differently.
        if let Some(meta) = std::env::current_exe().ok().and_then(|p| std::fs::metadata(p).ok()) {
            tool.update(meta.len().to_le_bytes());
            if let Ok(modified) = meta.modified()
                && let Ok(since) = modified.duration_since(std::time::UNIX_EPOCH)
            {
                tool.update(since.as_nanos().to_le_bytes());
            }
        }
        Some(Self {
            dir,
            tool: tool.finalize().into(),
        })
    }

    /// What every file of a package depends on besides its own place and
    /// text: the package as cargo describes it, the workspace's and the
    /// package's configuration, the enabled rules at their levels, the
    /// run's options, and the workspace's crate names.
    pub(super) fn package_key(&self, workspace: &Workspace, pcx: &PackageCx, show_unused: bool) -> Key {
        let mut h = Sha256::new();
        h.update(self.tool);
        let package: &Package = pcx.package;
        field(&mut h, workspace.root.as_os_str().as_encoded_bytes());
        field(&mut h, package.id.as_bytes());
        field(&mut h, package.name.as_bytes());
        field(&mut h, package.version.as_bytes());
        field(&mut h, package.manifest_path.as_os_str().as_encoded_bytes());
        for t in &package.targets {
            field(&mut h, serde_json::to_string(&t.raw).unwrap_or_default().as_bytes());
            field(&mut h, &[t.selected as u8]);
        }
        field(
            &mut h,
            serde_json::to_string(&package.twelve).unwrap_or_default().as_bytes(),
        );
        field(
            &mut h,
            serde_json::to_string(&workspace.twelve).unwrap_or_default().as_bytes(),
        );
        for v in &package.build_env {
            field(&mut h, v.as_bytes());
        }
        field(
            &mut h,
            serde_json::to_string(&package.dependencies)
                .unwrap_or_default()
                .as_bytes(),
        );
        field(&mut h, package.description.as_deref().unwrap_or_default().as_bytes());
        field(
            &mut h,
            serde_json::to_string(&package.features).unwrap_or_default().as_bytes(),
        );
        for (rule, severity) in &pcx.rules {
            field(&mut h, rule.meta().name.as_bytes());
            field(&mut h, severity.as_str().as_bytes());
            for input in rule.file_inputs(&pcx.workspace_root, package.dir()) {
                field(&mut h, input.as_os_str().as_encoded_bytes());
                match SourceFile::read(&input) {
                    Ok(file) => field(&mut h, file.text.as_bytes()),
                    Err(_) => field(&mut h, b"\0unreadable"),
                }
            }
        }
        let mut known = pcx.known.clone();
        known.sort_unstable();
        for k in known {
            field(&mut h, k.as_bytes());
        }
        field(&mut h, &[pcx.show_secrets as u8, show_unused as u8]);
        let mut crates: Vec<&String> = pcx.workspace_crates.iter().collect();
        crates.sort_unstable();
        for c in crates {
            field(&mut h, c.as_bytes());
        }
        h.finalize().into()
    }

    /// The key of one file's entry.
    pub(super) fn file_key(&self, package: &Key, job: &Job, text: &str) -> Key {
        let mut h = Sha256::new();
        h.update(package);
        field(&mut h, job.path.as_os_str().as_encoded_bytes());
        field(
            &mut h,
            &[
                job.model_only as u8,
                job.mod_rs as u8,
                job.test as u8,
                job.cfg_gated as u8,
                job.off_platform as u8,
            ],
        );
        field(&mut h, format!("{:?}", job.kind).as_bytes());
        field(&mut h, &job.origin.package.to_le_bytes());
        field(&mut h, &job.origin.target.to_le_bytes());
        for m in &job.module {
            field(&mut h, m.as_bytes());
        }
        h.update(job.context_hash);
        // Where the `mod` item declaring it is: its diagnostics point there.
        match &job.declared_at {
            Some(span) => {
                field(&mut h, span.path().as_os_str().as_encoded_bytes());
                field(&mut h, &span.range.start.to_le_bytes());
                field(&mut h, &span.range.end.to_le_bytes());
            }
            None => field(&mut h, b"root"),
        }
        field(&mut h, text.as_bytes());
        h.finalize().into()
    }

    fn path(&self, key: &Key) -> PathBuf {
        self.dir.join(format!("{}.json", hex(key)))
    }

    /// The entry of `key` for `file`, when there is a sound one. Facts are
    /// read back with the types the package's enabled rules list.
    pub(super) fn load(&self, key: &Key, file: &Arc<SourceFile>, pcx: &PackageCx) -> Option<LoadedBody> {
        let bytes = std::fs::read(self.path(key)).ok()?;
        let text = std::str::from_utf8(&bytes).ok()?;
        let (header, body) = text.split_once('\n')?;
        let header: Header = serde_json::from_str(header).ok()?;
        let body = body.strip_suffix('\n')?;
        if header.format != FORMAT || header.body != hex(&Sha256::digest(body.as_bytes()).into()) {
            return None;
        }
        let mut files = vec![file.clone()];
        for (path, hash) in &header.files {
            let other = Arc::new(SourceFile::read(path).ok()?);
            if hex(&Sha256::digest(other.text.as_bytes()).into()) != *hash {
                return None;
            }
            files.push(other);
        }
        let (decoded, _) = wire::with_files(files, || -> Option<LoadedBody> {
            let body: Body = serde_json::from_str(body).ok()?;
            // The module files must still be where they were found.
            for decl in &body.decls {
                let still = match &decl.file {
                    Ok(path) => path.is_file(),
                    Err(tried) => !tried.iter().any(|p| p.is_file()),
                };
                if !still {
                    return None;
                }
            }
            let mut facts = Vec::with_capacity(body.facts.len());
            for f in &body.facts {
                let (rule, _) = pcx.rules.iter().find(|(r, _)| r.meta().name == f.rule)?;
                let kind = *rule.fact_types().iter().find(|k| k.tag() == f.tag)?;
                facts.push(Fact {
                    rule: rule.meta().name,
                    origin: f.origin,
                    span: f.span.clone(),
                    value: (kind.decode)(f.value.clone())?,
                    kind,
                });
            }
            Some(LoadedBody { body, facts })
        });
        decoded
    }

    /// Writes the entry of `key`; a file whose facts cannot all be written
    /// (a type its rule does not list) is not cached. Errors are ignored:
    /// the cache only saves time.
    pub(super) fn store(&self, key: &Key, file: &Arc<SourceFile>, body: &BodyRef<'_>, pcx: &PackageCx) {
        let (line, files) = wire::with_files(vec![file.clone()], || -> Option<String> {
            let mut facts = Vec::with_capacity(body.facts.len());
            for f in body.facts {
                let (rule, _) = pcx.rules.iter().find(|(r, _)| r.meta().name == f.rule)?;
                let listed = rule.fact_types().iter().any(|k| k.tag() == f.kind.tag());
                debug_assert!(
                    listed,
                    "rule `{}` records `{}` but does not list it in `fact_types`",
                    f.rule,
                    f.kind.tag()
                );
                if !listed {
                    return None;
                }
                facts.push(WireFactRef {
                    rule: f.rule,
                    tag: f.kind.tag(),
                    origin: f.origin,
                    span: &f.span,
                    value: (f.kind.encode)(&*f.value)?,
                });
            }
            let out = BodyOut {
                parsed: body.parsed,
                decls: body.decls,
                exports: body.exports,
                diagnostics: body.diagnostics,
                facts,
                model: body.model,
                redactions: body.redactions,
            };
            serde_json::to_string(&out).ok()
        });
        let Some(line) = line else { return };
        let header = Header {
            format: FORMAT,
            body: hex(&Sha256::digest(line.as_bytes()).into()),
            files: files
                .iter()
                .skip(1)
                .map(|f| (f.path.clone(), hex(&Sha256::digest(f.text.as_bytes()).into())))
                .collect(),
        };
        let Ok(header) = serde_json::to_string(&header) else {
            return;
        };
        let write = || -> std::io::Result<()> {
            let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
            tmp.write_all(header.as_bytes())?;
            tmp.write_all(b"\n")?;
            tmp.write_all(line.as_bytes())?;
            tmp.write_all(b"\n")?;
            tmp.persist(self.path(key)).map_err(|e| e.error)?;
            Ok(())
        };
        let _ = write();
    }
}

/// A decoded entry: the body and its facts as values again.
pub(super) struct LoadedBody {
    pub body: Body,
    pub facts: Vec<Fact>,
}

/// A body to write, borrowed from the file's result.
pub(super) struct BodyRef<'a> {
    pub parsed: bool,
    pub decls: &'a [ModuleDecl],
    pub exports: Option<&'a Exports>,
    pub diagnostics: &'a [Diagnostic],
    pub facts: &'a [Fact],
    pub model: &'a model::FileFacts,
    pub redactions: &'a [Range<usize>],
}

#[derive(Serialize)]
struct BodyOut<'a> {
    parsed: bool,
    decls: &'a [ModuleDecl],
    exports: Option<&'a Exports>,
    diagnostics: &'a [Diagnostic],
    facts: Vec<WireFactRef<'a>>,
    model: &'a model::FileFacts,
    redactions: &'a [Range<usize>],
}

#[derive(Serialize)]
struct WireFactRef<'a> {
    rule: &'a str,
    tag: &'a str,
    origin: Origin,
    span: &'a Span,
    value: serde_json::Value,
}

/// The context hash of a child module of a file: its parent's, then the
/// parent's exports.
pub(super) fn child_context_hash(parent: &Key, exports: &Exports) -> Key {
    let mut h = Sha256::new();
    h.update(parent);
    h.update(serde_json::to_vec(exports).unwrap_or_default());
    h.finalize().into()
}

/// A length-prefixed field, so that fields cannot run into each other.
fn field(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

fn hex(bytes: &[u8; 32]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(64);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

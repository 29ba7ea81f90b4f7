//! `Cargo.toml` as the manifest rules see it: every dependency declaration
//! with the byte spans of its keys and values, workspace inheritance
//! followed to the `[workspace.dependencies]` line that declares the
//! requirement, and the few facts about the repository (git top level,
//! ignored files) that the rules about the lock file and path
//! dependencies need.

use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::source::SourceFile;

/// Which dependency table a declaration is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepKind {
    Normal,
    Dev,
    Build,
}

impl DepKind {
    /// The table name as written in the manifest.
    pub fn table(self) -> &'static str {
        match self {
            Self::Normal => "dependencies",
            Self::Dev => "dev-dependencies",
            Self::Build => "build-dependencies",
        }
    }
}

/// The dependency tables and their legacy underscore spellings.
const DEP_TABLES: &[(&str, DepKind)] = &[
    ("dependencies", DepKind::Normal),
    ("dev-dependencies", DepKind::Dev),
    ("dev_dependencies", DepKind::Dev),
    ("build-dependencies", DepKind::Build),
    ("build_dependencies", DepKind::Build),
];

/// A string value and the span of its literal (quotes included).
#[derive(Debug, Clone)]
pub struct Field {
    pub value: String,
    pub span: Range<usize>,
}

/// One dependency as declared, after following `workspace = true`.
#[derive(Debug, Clone)]
pub struct DepDecl {
    /// The key (a rename when `package = ".."` is given).
    pub name: String,
    pub kind: DepKind,
    /// `cfg(unix)` in `[target.'cfg(unix)'.dependencies]`.
    pub target: Option<String>,
    /// The manifest holding the declaration: the member's, or the
    /// workspace root's for an inherited dependency.
    pub file: Arc<SourceFile>,
    /// The span of the dependency's key in `file`.
    pub key: Range<usize>,
    pub version: Option<Field>,
    pub git: Option<Field>,
    pub branch: Option<Field>,
    pub tag: Option<Field>,
    pub rev: Option<Field>,
    pub path: Option<Field>,
    /// Declared in `[workspace.dependencies]` and inherited by the member.
    pub inherited: bool,
    /// A `[workspace.dependencies]` entry that `workspace = true` names
    /// but the root does not declare (cargo rejects this; kept so the rules
    /// can skip it).
    pub unresolved: bool,
    /// A `[patch.<source>]` or `[replace]` entry (`target` holds the table).
    pub patch: bool,
}

impl DepDecl {
    /// The directory `path` is relative to.
    pub fn base_dir(&self) -> &Path {
        self.file.path.parent().unwrap_or(Path::new("."))
    }

    /// `[dependencies]`, `[target.'cfg(unix)'.dev-dependencies]`,
    /// `[workspace.dependencies]`.
    pub fn table(&self) -> String {
        if self.inherited {
            return "[workspace.dependencies]".into();
        }
        if self.patch {
            return format!("[{}]", self.target.as_deref().unwrap_or("patch"));
        }
        match &self.target {
            Some(t) => format!("[target.'{t}'.{}]", self.kind.table()),
            None => format!("[{}]", self.kind.table()),
        }
    }
}

fn get<'a, 'i>(
    table: &'a DeTable<'i>,
    key: &str,
) -> Option<(&'a Spanned<std::borrow::Cow<'i, str>>, &'a Spanned<DeValue<'i>>)> {
    table.iter().find(|(k, _)| k.get_ref() == key)
}

fn field(table: &DeTable<'_>, key: &str) -> Option<Field> {
    let (_, v) = get(table, key)?;
    Some(Field {
        value: v.get_ref().as_str()?.to_string(),
        span: v.span(),
    })
}

/// A `[[package]]` entry of `Cargo.lock`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    pub name: String,
    pub version: String,
    /// `registry+https://…`, `git+https://…?branch=main#<commit>`; none
    /// for workspace members and path dependencies.
    pub source: Option<String>,
}

impl Locked {
    /// The commit of a git source, and the repository URL before `?`/`#`.
    pub fn git(&self) -> Option<(&str, &str)> {
        let rest = self.source.as_deref()?.strip_prefix("git+")?;
        let (url, commit) = rest.rsplit_once('#')?;
        let url = url.split('?').next().unwrap_or(url);
        Some((url, commit))
    }
}

/// The packages `Cargo.lock` at the workspace root locks; empty without
/// one.
pub fn locked(workspace_root: &Path) -> Vec<Locked> {
    let lock = workspace_root.join("Cargo.lock");
    memo("locked", &[&lock], || locked_uncached(workspace_root))
}

fn locked_uncached(workspace_root: &Path) -> Vec<Locked> {
    let Ok(text) = std::fs::read_to_string(workspace_root.join("Cargo.lock")) else {
        return Vec::new();
    };
    let Ok(table) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let Some(packages) = table.get("package").and_then(|p| p.as_array()) else {
        return Vec::new();
    };
    packages
        .iter()
        .filter_map(|p| {
            let p = p.as_table()?;
            Some(Locked {
                name: p.get("name")?.as_str()?.to_string(),
                version: p.get("version")?.as_str()?.to_string(),
                source: p.get("source").and_then(|s| s.as_str()).map(String::from),
            })
        })
        .collect()
}

/// Two git URLs name the same repository: equal but for a trailing `/`
/// or `.git`, and the case of the host.
pub fn same_repository(a: &str, b: &str) -> bool {
    let norm = |u: &str| u.trim_end_matches('/').trim_end_matches(".git").to_ascii_lowercase();
    norm(a) == norm(b)
}

/// A manifest read and parsed with spans; `None` if it cannot be read or
/// parsed (cargo would have rejected it already).
pub struct Manifest {
    pub file: Arc<SourceFile>,
}

impl Manifest {
    pub fn read(path: &Path) -> Option<Self> {
        let file = SourceFile::read(path).ok()?;
        DeTable::parse(&file.text).ok()?;
        Some(Self { file: Arc::new(file) })
    }

    fn with<T>(&self, f: impl FnOnce(&DeTable<'_>) -> T) -> Option<T> {
        let table = DeTable::parse(&self.file.text).ok()?;
        Some(f(table.get_ref()))
    }

    /// The span of a top-level table's key: `package` in `[package]`.
    pub fn table_key(&self, name: &str) -> Option<Range<usize>> {
        self.with(|t| get(t, name).map(|(k, _)| k.span())).flatten()
    }

    /// Whether the manifest declares `[[bin]]` targets.
    pub fn declares_bins(&self) -> bool {
        self.with(|t| get(t, "bin").is_some_and(|(_, v)| v.get_ref().as_array().is_some_and(|a| !a.is_empty())))
            .unwrap_or(false)
    }
}

/// Every dependency of the manifest at `manifest_path`, with inherited
/// ones followed into the workspace root's manifest.
pub fn dependencies(manifest_path: &Path, workspace_root: &Path) -> Vec<DepDecl> {
    let root = workspace_root.join("Cargo.toml");
    memo("dependencies", &[manifest_path, &root], || {
        dependencies_uncached(manifest_path, workspace_root)
    })
}

fn dependencies_uncached(manifest_path: &Path, workspace_root: &Path) -> Vec<DepDecl> {
    let Ok(member) = SourceFile::read(manifest_path) else {
        return Vec::new();
    };
    let member = Arc::new(member);
    let mut out = Vec::new();
    let Ok(doc) = DeTable::parse(&member.text) else {
        return out;
    };
    let root_path = workspace_root.join("Cargo.toml");
    // Parsed once per run, not once per member.
    let ws_deps = if same_file(&root_path, manifest_path) {
        workspace_dependencies_of(&member)
    } else {
        workspace_dependencies(&root_path)
    };

    let mut collect = |table: &DeTable<'_>, target: Option<String>| {
        for (name, kind) in DEP_TABLES {
            let Some(deps) = get(table, name).and_then(|(_, v)| v.get_ref().as_table()) else {
                continue;
            };
            for (key, value) in deps.iter() {
                let inherits = value
                    .get_ref()
                    .as_table()
                    .and_then(|t| get(t, "workspace"))
                    .and_then(|(_, v)| v.get_ref().as_bool())
                    == Some(true);
                let decl = if inherits {
                    match ws_deps.get(key.get_ref().as_ref()) {
                        Some(base) => DepDecl {
                            name: key.get_ref().to_string(),
                            kind: *kind,
                            target: target.clone(),
                            ..base.clone()
                        },
                        None => {
                            let mut d = decl(key.get_ref(), *kind, target.clone(), &member, key, value, false);
                            d.unresolved = true;
                            d
                        }
                    }
                } else {
                    decl(key.get_ref(), *kind, target.clone(), &member, key, value, false)
                };
                out.push(decl);
            }
        }
    };
    collect(doc.get_ref(), None);
    if let Some(targets) = get(doc.get_ref(), "target").and_then(|(_, v)| v.get_ref().as_table()) {
        for (cfg, table) in targets.iter() {
            if let Some(table) = table.get_ref().as_table() {
                collect(table, Some(cfg.get_ref().to_string()));
            }
        }
    }
    out
}

/// The `[workspace.dependencies]` of a root manifest, as declarations
/// that members inherit (kind and target are the member's).
fn workspace_dependencies(root_path: &Path) -> Arc<std::collections::HashMap<String, DepDecl>> {
    memo("workspace dependencies", &[root_path], || {
        match SourceFile::read(root_path) {
            Ok(file) => workspace_dependencies_of(&Arc::new(file)),
            Err(_) => Arc::default(),
        }
    })
}

fn workspace_dependencies_of(root: &Arc<SourceFile>) -> Arc<std::collections::HashMap<String, DepDecl>> {
    let Ok(doc) = DeTable::parse(&root.text) else {
        return Arc::default();
    };
    let Some(deps) = get(doc.get_ref(), "workspace")
        .and_then(|(_, w)| w.get_ref().as_table())
        .and_then(|w| get(w, "dependencies"))
        .and_then(|(_, d)| d.get_ref().as_table())
    else {
        return Arc::default();
    };
    Arc::new(
        deps.iter()
            .map(|(k, v)| {
                let name = k.get_ref().to_string();
                (name.clone(), decl(&name, DepKind::Normal, None, root, k, v, true))
            })
            .collect(),
    )
}

fn decl(
    name: &str,
    kind: DepKind,
    target: Option<String>,
    file: &Arc<SourceFile>,
    key: &Spanned<std::borrow::Cow<'_, str>>,
    value: &Spanned<DeValue<'_>>,
    inherited: bool,
) -> DepDecl {
    let mut d = DepDecl {
        name: name.to_string(),
        kind,
        target,
        file: file.clone(),
        key: key.span(),
        version: None,
        git: None,
        branch: None,
        tag: None,
        rev: None,
        path: None,
        inherited,
        unresolved: false,
        patch: false,
    };
    match value.get_ref() {
        DeValue::String(s) => {
            d.version = Some(Field {
                value: s.to_string(),
                span: value.span(),
            });
        }
        DeValue::Table(t) => {
            d.version = field(t, "version");
            d.git = field(t, "git");
            d.branch = field(t, "branch");
            d.tag = field(t, "tag");
            d.rev = field(t, "rev");
            d.path = field(t, "path");
        }
        _ => {}
    }
    d
}

/// Every `[patch.<source>]` and `[replace]` entry of the manifest, as
/// declarations (kind `Normal`, table `[patch.<source>]`): code swapped
/// into the whole build, from a directory or a git repository.
pub fn patches(manifest_path: &Path) -> Vec<DepDecl> {
    memo("patches", &[manifest_path], || patches_uncached(manifest_path))
}

fn patches_uncached(manifest_path: &Path) -> Vec<DepDecl> {
    let Some(m) = Manifest::read(manifest_path) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    m.with(|doc| {
        let mut tables: Vec<(String, &DeTable<'_>)> = Vec::new();
        if let Some(patch) = get(doc, "patch").and_then(|(_, v)| v.get_ref().as_table()) {
            for (source, t) in patch.iter() {
                if let Some(t) = t.get_ref().as_table() {
                    tables.push((format!("patch.{}", source.get_ref()), t));
                }
            }
        }
        if let Some(replace) = get(doc, "replace").and_then(|(_, v)| v.get_ref().as_table()) {
            tables.push(("replace".into(), replace));
        }
        for (table, entries) in tables {
            for (key, value) in entries.iter() {
                let mut d = decl(key.get_ref(), DepKind::Normal, None, &m.file, key, value, false);
                d.target = Some(table.clone());
                d.patch = true;
                out.push(d);
            }
        }
    });
    out
}

/// What `compute` gives for the files at `paths`, computed once while
/// their bytes stay the same: every package's manifest rules read the
/// workspace root's `Cargo.toml` and `Cargo.lock`, and parsing them once per
/// package and rule was most of the package-level time on large
/// workspaces. The bytes are compared, not times, so `fix` (which edits
/// manifests and checks again in the same process) sees its edits.
fn memo<T: Clone + Send + 'static>(kind: &'static str, paths: &[&Path], compute: impl FnOnce() -> T) -> T {
    type Entry = (Vec<Option<Vec<u8>>>, Box<dyn std::any::Any + Send>);
    type Memo = std::collections::HashMap<(&'static str, Vec<PathBuf>), Entry>;
    static MEMO: std::sync::LazyLock<std::sync::Mutex<Memo>> = std::sync::LazyLock::new(Default::default);
    let bytes: Vec<Option<Vec<u8>>> = paths
        .iter()
        .map(|p| {
            // Bounded as source files are; a manifest is never this large.
            std::fs::metadata(p)
                .ok()
                .filter(|m| m.is_file() && m.len() <= crate::source::MAX_FILE_SIZE)
                .and_then(|_| std::fs::read(p).ok())
        })
        .collect();
    let key = (kind, paths.iter().map(|p| p.to_path_buf()).collect::<Vec<_>>());
    if let Ok(memo) = MEMO.lock()
        && let Some((seen, value)) = memo.get(&key)
        && *seen == bytes
        && let Some(value) = value.downcast_ref::<T>()
    {
        return value.clone();
    }
    let value = compute();
    if let Ok(mut memo) = MEMO.lock() {
        memo.insert(key, (bytes, Box::new(value.clone())));
    }
    value
}

fn same_file(a: &Path, b: &Path) -> bool {
    canonical(a) == canonical(b)
}

pub fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| normalize(path))
}

/// `a/b/../c` as `a/c`, without touching the filesystem.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Where `path` (relative to `base`) resolves: canonical when it exists.
pub fn resolve_path(base: &Path, path: &str) -> PathBuf {
    let joined = base.join(path);
    std::fs::canonicalize(&joined).unwrap_or_else(|_| normalize(&canonical(base).join(path)))
}

fn git(dir: &Path, args: &[&str]) -> Option<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
}

/// The top level of the git work tree holding `dir`, if any.
pub fn git_toplevel(dir: &Path) -> Option<PathBuf> {
    // One `git` process per directory and run: every package's rules ask.
    static TOPLEVELS: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<PathBuf, Option<PathBuf>>>> =
        std::sync::LazyLock::new(Default::default);
    if let Some(known) = TOPLEVELS.lock().ok().and_then(|t| t.get(dir).cloned()) {
        return known;
    }
    let top = git_toplevel_uncached(dir);
    if let Ok(mut t) = TOPLEVELS.lock() {
        t.insert(dir.to_path_buf(), top.clone());
    }
    top
}

fn git_toplevel_uncached(dir: &Path) -> Option<PathBuf> {
    let out = git(dir, &["rev-parse", "--show-toplevel"])?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let top = text.trim_end_matches(['\n', '\r']);
    (!top.is_empty()).then(|| canonical(Path::new(top)))
}

/// Where a file is ignored: the ignore file and its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredAt {
    pub source: PathBuf,
    pub line: usize,
}

/// Whether git ignores `file` (a path relative to `dir`), and by which
/// line: `git check-ignore -v`, which honours every `.gitignore`,
/// `.git/info/exclude` and the global excludes, and never reports a
/// tracked file. `None` when `dir` is not in a git work tree.
pub fn git_ignored(dir: &Path, file: &str) -> Option<Option<IgnoredAt>> {
    let top = git_toplevel(dir)?;
    // One `git` process per file and run, while the ignore files beside it
    // and at the top and the index stay the same (`fix` appends to the one
    // beside it and checks again; `git add -f` tracks an ignored file):
    // every package's lock and env-file rules ask. The index is large, so
    // its size and time stand for it.
    type Stamp = (Option<Vec<u8>>, Option<Vec<u8>>, Option<(u64, std::time::SystemTime)>);
    type Known = std::collections::HashMap<(PathBuf, String), (Stamp, Option<Option<IgnoredAt>>)>;
    static KNOWN: std::sync::LazyLock<std::sync::Mutex<Known>> = std::sync::LazyLock::new(Default::default);
    let read = |p: PathBuf| std::fs::read(p).ok();
    let index = std::fs::metadata(top.join(".git").join("index"))
        .ok()
        .and_then(|m| Some((m.len(), m.modified().ok()?)));
    let stamp: Stamp = (read(dir.join(".gitignore")), read(top.join(".gitignore")), index);
    let key = (dir.to_path_buf(), file.to_string());
    if let Some((seen, found)) = KNOWN.lock().ok().and_then(|k| k.get(&key).cloned())
        && seen == stamp
    {
        return found;
    }
    let found = git_ignored_uncached(dir, file);
    if let Ok(mut known) = KNOWN.lock() {
        known.insert(key, (stamp, found.clone()));
    }
    found
}

fn git_ignored_uncached(dir: &Path, file: &str) -> Option<Option<IgnoredAt>> {
    let out = git(dir, &["check-ignore", "-v", "--", file])?;
    // Exit status 1: not ignored; 128: an error (treated as not ignored).
    if !out.status.success() {
        return Some(None);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let meta = text.split('\t').next().unwrap_or_default();
    // `source:line:pattern`; the source may itself contain colons.
    let mut parts = meta.rsplitn(3, ':');
    let _pattern = parts.next();
    let line = parts.next().and_then(|l| l.parse().ok()).unwrap_or(1);
    let source = parts.next().unwrap_or_default();
    let source = if Path::new(source).is_absolute() {
        PathBuf::from(source)
    } else {
        dir.join(source)
    };
    Some(Some(IgnoredAt { source, line }))
}

/// Whether git ignores `file` in `dir`, and where: as `git check-ignore`
/// sees it (a tracked file is never ignored), or without git by the
/// `.gitignore` in `dir`.
pub fn ignored(dir: &Path, file: &str) -> Option<IgnoredAt> {
    match git_ignored(dir, file) {
        Some(found) => found,
        None => gitignore_ignores(dir, file),
    }
}

/// Without git: whether the `.gitignore` in `dir` ignores `file` (a name
/// in `dir`), with gitignore's rules for the patterns that can match a
/// file at the top level: comments, `!` negation (last match wins), a
/// leading `/`, `**/`, and globs. Directory-only patterns (`x/`) never
/// match a file.
pub fn gitignore_ignores(dir: &Path, file: &str) -> Option<IgnoredAt> {
    let source = dir.join(".gitignore");
    let text = std::fs::read_to_string(&source).ok()?;
    let mut verdict = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (negated, pattern) = match line.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, line.strip_prefix('\\').unwrap_or(line)),
        };
        if pattern.ends_with('/') {
            continue;
        }
        let pattern = pattern
            .strip_prefix('/')
            .or_else(|| pattern.strip_prefix("**/"))
            .unwrap_or(pattern);
        // A pattern with a slash in the middle names a deeper path.
        if pattern.contains('/') {
            continue;
        }
        let Ok(glob) = globset::GlobBuilder::new(pattern).literal_separator(true).build() else {
            continue;
        };
        if glob.compile_matcher().is_match(file) {
            verdict = (!negated).then(|| IgnoredAt {
                source: source.clone(),
                line: i + 1,
            });
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn declarations_with_spans_targets_and_inheritance() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "Cargo.toml",
            "[workspace]\nmembers = [\"app\"]\n\n[workspace.dependencies]\nserde = { version = \">=1\", features = [\"derive\"] }\n",
        );
        let member = write(
            root,
            "app/Cargo.toml",
            r#"[package]
name = "app"

[dependencies]
serde.workspace = true
tokio = "1"

[target.'cfg(unix)'.dependencies]
nix = { git = "https://github.com/nix-rust/nix", branch = "main" }

[dev_dependencies.insta]
version = "*"
"#,
        );
        let deps = dependencies(&member, root);
        let by = |n: &str| deps.iter().find(|d| d.name == n).unwrap();
        let serde = by("serde");
        assert!(serde.inherited);
        assert_eq!(serde.table(), "[workspace.dependencies]");
        assert_eq!(
            &serde.file.text[serde.version.as_ref().unwrap().span.clone()],
            "\">=1\""
        );
        assert!(serde.file.path.ends_with("Cargo.toml") && !serde.file.path.ends_with("app/Cargo.toml"));
        let nix = by("nix");
        assert_eq!(nix.target.as_deref(), Some("cfg(unix)"));
        assert_eq!(nix.table(), "[target.'cfg(unix)'.dependencies]");
        assert_eq!(nix.branch.as_ref().unwrap().value, "main");
        let insta = by("insta");
        assert_eq!(insta.kind, DepKind::Dev);
        assert_eq!(&insta.file.text[insta.key.clone()], "insta");
        assert_eq!(by("tokio").version.as_ref().unwrap().value, "1");
    }

    #[test]
    fn gitignore_without_git() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), ".gitignore", "/target\n# Cargo.lock\n*.lock\n");
        assert_eq!(gitignore_ignores(dir.path(), "Cargo.lock").unwrap().line, 3);
        write(dir.path(), ".gitignore", "*.lock\n!Cargo.lock\n");
        assert_eq!(gitignore_ignores(dir.path(), "Cargo.lock"), None);
        write(dir.path(), ".gitignore", "Cargo.lock/\nsub/Cargo.lock\ntarget\n");
        assert_eq!(gitignore_ignores(dir.path(), "Cargo.lock"), None);
        write(dir.path(), ".gitignore", "**/Cargo.lock\n");
        assert_eq!(gitignore_ignores(dir.path(), "Cargo.lock").unwrap().line, 1);
    }

    #[test]
    fn normalizes_parent_components() {
        assert_eq!(normalize(Path::new("/a/b/../c/./d")), PathBuf::from("/a/c/d"));
    }
}

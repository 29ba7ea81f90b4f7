//! The workspace: `cargo metadata --no-deps`, package and target selection
//! the way cargo selects them, and module discovery the way rustc finds
//! module files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use cargo_metadata::{Metadata, MetadataCommand};

mod spec;

pub use spec::{PackageIdSpec, Pattern, SpecError};

/// What to check, from cargo's package and target flags.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub manifest_path: Option<PathBuf>,
    pub packages: Vec<String>,
    pub workspace: bool,
    pub exclude: Vec<String>,
    pub lib: bool,
    pub bins: bool,
    pub bin: Vec<String>,
    pub tests: bool,
    pub test: Vec<String>,
    pub examples: bool,
    pub example: Vec<String>,
    pub benches: bool,
    pub bench: Vec<String>,
    pub all_targets: bool,
    /// `--file`: the package that owns this file (canonical), with the
    /// targets whose directory holds it besides the default ones.
    pub file: Option<PathBuf>,
}

impl Selection {
    /// Flags that choose exactly which targets to check: `--lib`, `--bins`
    /// and the named targets. Without them the defaults (lib and bins) are
    /// checked, and `--tests`, `--examples`, `--benches` add to them.
    fn narrows(&self) -> bool {
        self.lib
            || self.bins
            || !(self.bin.is_empty() && self.test.is_empty() && self.example.is_empty() && self.bench.is_empty())
    }

    fn wants(&self, target: &Target) -> bool {
        if self.all_targets {
            return true;
        }
        let named = |names: &[String]| names.contains(&target.name);
        let default = !self.narrows();
        match target.kind {
            TargetKind::Lib | TargetKind::ProcMacro => default || self.lib,
            TargetKind::Bin => default || self.bins || named(&self.bin),
            TargetKind::Test => self.tests || named(&self.test),
            TargetKind::Example => self.examples || named(&self.example),
            TargetKind::Bench => self.benches || named(&self.bench),
            TargetKind::BuildScript => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TargetKind {
    Lib,
    /// A procedural macro library: its code runs inside the compiler.
    ProcMacro,
    Bin,
    BuildScript,
    Example,
    Test,
    Bench,
}

impl TargetKind {
    fn of(target: &cargo_metadata::Target) -> Option<Self> {
        use cargo_metadata::TargetKind as K;
        let kind = target.kind.first()?;
        Some(match kind {
            K::Bin => Self::Bin,
            K::Test => Self::Test,
            K::Bench => Self::Bench,
            K::Example => Self::Example,
            K::CustomBuild => Self::BuildScript,
            K::ProcMacro => Self::ProcMacro,
            K::Lib | K::RLib | K::DyLib | K::CDyLib | K::StaticLib => Self::Lib,
            _ => return None,
        })
    }

    /// Code in this target is test code for every rule.
    pub fn is_test(self) -> bool {
        matches!(self, Self::Test | Self::Bench | Self::Example)
    }

    /// Code that runs while the package is compiled (build scripts and
    /// procedural macros), not in the deployed process.
    pub fn is_build_time(self) -> bool {
        matches!(self, Self::BuildScript | Self::ProcMacro)
    }

    /// Cargo's word for the target in messages: `lib`, `bin`, ...
    pub fn describe(self) -> &'static str {
        match self {
            Self::Lib => "lib",
            Self::ProcMacro => "proc-macro",
            Self::Bin => "bin",
            Self::BuildScript => "build script",
            Self::Example => "example",
            Self::Test => "test",
            Self::Bench => "bench",
        }
    }
}

/// One checked target of a package.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    /// `name` with `-` replaced by `_`, the name `crate::` refers to.
    pub crate_name: String,
    /// The first segment of its items' canonical paths: `crate_name`, or
    /// `crate_name#bin` for a binary named like its package's library, whose
    /// `main` would otherwise be the library's `sccache::main`.
    pub root: String,
    pub kind: TargetKind,
    pub src_path: PathBuf,
    /// The target as `cargo metadata` printed it, for JSON messages.
    pub raw: cargo_metadata::Target,
    /// Chosen by the target flags. A lib or bin that is not is still read,
    /// for the service model, and nothing in it is reported.
    pub selected: bool,
}

/// One selected package.
#[derive(Debug, Clone)]
pub struct Package {
    /// `cargo metadata`'s package id.
    pub id: String,
    pub name: String,
    pub version: String,
    pub manifest_path: PathBuf,
    pub targets: Vec<Target>,
    /// The package's `[package.metadata.twelve]` table as written,
    /// unvalidated (`config` validates it).
    pub twelve: Option<serde_json::Value>,
    /// Variables the package's build script sets with `cargo:rustc-env=`.
    pub build_env: BTreeSet<String>,
    /// Dependencies as declared in the manifest (with their features).
    pub dependencies: Vec<cargo_metadata::Dependency>,
    /// The manifest's `description`.
    pub description: Option<String>,
    /// The package's `[features]` table.
    pub features: std::collections::BTreeMap<String, Vec<String>>,
}

impl Package {
    /// The declared dependency named `name` (its package name, not a rename).
    pub fn dependency(&self, name: &str) -> Option<&cargo_metadata::Dependency> {
        self.dependencies.iter().find(|d| d.name == name)
    }
}

impl Package {
    pub fn dir(&self) -> &Path {
        self.manifest_path.parent().unwrap_or(Path::new("."))
    }
}

#[derive(Debug)]
pub struct Workspace {
    pub root: PathBuf,
    /// The selected packages.
    pub packages: Vec<Package>,
    /// The other members, with their lib and bin targets: read for the
    /// service model (what calls what across crates), never reported.
    pub context: Vec<Package>,
    /// The `[workspace.metadata.twelve]` table as written, unvalidated.
    pub twelve: Option<serde_json::Value>,
    /// What the selection left out, as cargo warns of it: an unknown
    /// `--exclude`, a `-p` naming a dependency.
    pub warnings: Vec<String>,
    /// Cargo's target directory (`CARGO_TARGET_DIR`, `build.target-dir`):
    /// the cache lives in its `twelve/`.
    pub target_directory: PathBuf,
}

impl Workspace {
    /// Runs `cargo metadata --no-deps` and selects packages and targets.
    pub fn load(selection: &Selection) -> Result<Self> {
        let mut cmd = MetadataCommand::new();
        cmd.no_deps();
        cmd.other_options(vec!["--offline".to_string()]);
        if let Some(path) = &selection.manifest_path {
            cmd.manifest_path(path);
        } else if let Some(dir) = selection.file.as_deref().and_then(Path::parent) {
            // The workspace the file is in, wherever the editor runs us.
            cmd.current_dir(dir);
        }
        let metadata = cmd.exec().map_err(|e| match e {
            cargo_metadata::Error::CargoMetadata { stderr } => {
                // Cargo's own `error: ` prefix is added back when printed.
                let stderr = stderr.trim();
                anyhow::anyhow!("{}", stderr.strip_prefix("error: ").unwrap_or(stderr))
            }
            // cargo_metadata runs `$CARGO`, else `cargo` from `PATH`.
            cargo_metadata::Error::Io(io) => {
                let cargo = std::env::var_os("CARGO");
                let program = match &cargo {
                    Some(path) => format!("`{}` (from `CARGO`)", Path::new(path).display()),
                    None => "`cargo`".to_string(),
                };
                if io.kind() == std::io::ErrorKind::NotFound {
                    let where_ = if cargo.is_some() {
                        "does not exist"
                    } else {
                        "was not found on `PATH`"
                    };
                    anyhow::anyhow!("could not run `cargo metadata`: {program} {where_}")
                } else {
                    anyhow::anyhow!("could not run `cargo metadata` with {program}: {io}")
                }
            }
            other => anyhow::anyhow!("could not run `cargo metadata`: {other}"),
        })?;
        let current = current_manifest(selection)?;
        Self::from_metadata(&metadata, selection, current.as_deref())
    }

    /// Package selection as cargo does it: `-p`, `--workspace` with
    /// `--exclude`, else the package of the current manifest, else the
    /// workspace's default members.
    pub fn from_metadata(metadata: &Metadata, selection: &Selection, current: Option<&Path>) -> Result<Self> {
        let root = metadata.workspace_root.clone().into_std_path_buf();
        let members: Vec<&cargo_metadata::Package> = metadata.workspace_packages();
        let mut warnings = Vec::new();
        if !selection.exclude.is_empty() && !selection.workspace {
            bail!("--exclude can only be used together with --workspace");
        }
        let parse = |specs: &[String]| -> Result<Vec<(String, Pattern)>> {
            specs.iter().map(|s| Ok((s.clone(), Pattern::parse(s)?))).collect()
        };
        let matches = |p: &cargo_metadata::Package, pattern: &Pattern| pattern.matches(&p.name, &p.version, &p.id.repr);
        let not_found = |unmatched: &[&(String, Pattern)], excluded: bool| {
            let (globs, specs): (Vec<_>, Vec<_>) = unmatched.iter().partition(|(_, p)| matches!(p, Pattern::Glob(_)));
            let list = |v: Vec<&&(String, Pattern)>| v.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>().join(", ");
            let prefix = if excluded { "excluded " } else { "" };
            let mut lines = Vec::new();
            if !specs.is_empty() {
                lines.push(format!(
                    "{prefix}package(s) `{}` not found in workspace `{}`",
                    list(specs),
                    root.display()
                ));
            }
            if !globs.is_empty() {
                lines.push(format!(
                    "{prefix}package pattern(s) `{}` not found in workspace `{}`",
                    list(globs),
                    root.display()
                ));
            }
            lines
        };
        let chosen: Vec<&cargo_metadata::Package> = if let Some(file) = &selection.file {
            // The member whose directory holds the file most closely.
            let owner = members
                .iter()
                .filter(|m| m.manifest_path.parent().is_some_and(|d| file.starts_with(d)))
                .max_by_key(|m| m.manifest_path.as_str().len());
            match owner {
                Some(p) => vec![*p],
                None => bail!(
                    "`{}` is not in a package of the workspace at `{}`",
                    file.display(),
                    root.display()
                ),
            }
        } else if selection.workspace {
            // `--workspace` takes every member; `-p` beside it must name one.
            let packages = parse(&selection.packages)?;
            let unmatched: Vec<_> = packages
                .iter()
                .filter(|(_, p)| !members.iter().any(|m| matches(m, p)))
                .collect();
            if let Some(first) = not_found(&unmatched, false).into_iter().next() {
                bail!("{first}");
            }
            let exclude = parse(&selection.exclude)?;
            let unmatched: Vec<_> = exclude
                .iter()
                .filter(|(_, p)| !members.iter().any(|m| matches(m, p)))
                .collect();
            warnings.extend(not_found(&unmatched, true));
            members
                .iter()
                .filter(|m| !exclude.iter().any(|(_, p)| matches(m, p)))
                .copied()
                .collect()
        } else if !selection.packages.is_empty() {
            let mut chosen = Vec::new();
            for (text, pattern) in parse(&selection.packages)? {
                let found: Vec<_> = members.iter().filter(|m| matches(m, &pattern)).copied().collect();
                if !found.is_empty() {
                    chosen.extend(found);
                    continue;
                }
                if let Pattern::Glob(_) = pattern {
                    bail!(
                        "package pattern(s) `{text}` not found in workspace `{}`",
                        root.display()
                    );
                }
                let Pattern::Spec(spec) = &pattern else { continue };
                // A dependency cargo would build: there is no source of it to read.
                let dependency = members.iter().find_map(|m| {
                    m.dependencies
                        .iter()
                        .find(|d| spec.matches_dependency(&d.name, d.source.as_ref().map(|s| s.repr.as_str())))
                        .map(|_| m.name.as_str())
                });
                match dependency {
                    Some(by) => warnings.push(format!(
                        "`{text}` is a dependency of `{by}`, not a workspace member: cargo twelve checks workspace members only"
                    )),
                    None => {
                        let names: Vec<_> = members.iter().map(|p| p.name.as_str()).collect();
                        bail!(
                            "package ID specification `{text}` did not match any packages\n\nworkspace members: {}",
                            names.join(", ")
                        );
                    }
                }
            }
            chosen
        } else {
            let root_manifest = root.join("Cargo.toml");
            let here = current.and_then(|m| members.iter().find(|p| p.manifest_path.as_std_path() == m));
            match here {
                Some(p) if p.manifest_path.as_std_path() != root_manifest => vec![*p],
                _ => {
                    let defaults: Vec<_> = members
                        .iter()
                        .filter(|p| metadata.workspace_default_members.contains(&p.id))
                        .copied()
                        .collect();
                    if defaults.is_empty() { members.clone() } else { defaults }
                }
            }
        };
        missing_targets(&chosen, selection)?;

        let mut seen = BTreeSet::new();
        let mut packages = Vec::new();
        for pkg in chosen {
            if seen.insert(pkg.id.repr.clone()) {
                packages.push(Self::package(pkg, Some(selection)));
            }
        }
        let mut context: Vec<Package> = members
            .iter()
            .filter(|p| !seen.contains(&p.id.repr))
            .map(|p| Self::package(p, None))
            .collect();
        // `build.rs` calling `profiles::apply_profile()` of a workspace
        // build-dependency: the variables that library sets are the build's.
        let mut helper_env: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for p in packages.iter_mut().chain(context.iter_mut()) {
            for dep in p
                .dependencies
                .iter()
                .filter(|d| d.kind == cargo_metadata::DependencyKind::Build)
            {
                let Some(helper) = members
                    .iter()
                    .find(|m| m.name.as_str() == dep.name && dep.path.is_some())
                else {
                    continue;
                };
                let env = helper_env
                    .entry(helper.name.to_string())
                    .or_insert_with(|| library_build_env(helper));
                p.build_env.extend(env.iter().cloned());
            }
        }
        Ok(Self {
            root,
            packages,
            context,
            twelve: metadata.workspace_metadata.get("twelve").cloned(),
            warnings,
            target_directory: metadata.target_directory.clone().into_std_path_buf(),
        })
    }

    /// A member as checked: the targets `selection` chooses, plus its lib
    /// and bins for the service model; `None` for a member that is not
    /// selected (lib and bins only, none selected).
    fn package(pkg: &cargo_metadata::Package, selection: Option<&Selection>) -> Package {
        let mut targets: Vec<Target> = pkg
            .targets
            .iter()
            .filter_map(|t| {
                let kind = TargetKind::of(t)?;
                Some(Target {
                    name: t.name.clone(),
                    crate_name: t.name.replace('-', "_"),
                    root: t.name.replace('-', "_"),
                    kind,
                    src_path: t.src_path.clone().into_std_path_buf(),
                    raw: t.clone(),
                    selected: false,
                })
            })
            .collect();
        let lib = targets
            .iter()
            .find(|t| t.kind == TargetKind::Lib)
            .map(|t| t.crate_name.clone());
        for t in &mut targets {
            if t.kind == TargetKind::Bin && lib.as_ref() == Some(&t.crate_name) {
                t.root = format!("{}#bin", t.crate_name);
            }
        }
        let build_env = targets
            .iter()
            .find(|t| t.kind == TargetKind::BuildScript)
            .and_then(|t| std::fs::read_to_string(&t.src_path).ok())
            .map(|text| build_script_env(&text))
            .unwrap_or_default();
        for t in &mut targets {
            t.selected = selection.is_some_and(|s| {
                let holds_file = s.file.as_deref().is_some_and(|f| {
                    let dir = t.src_path.parent().unwrap_or(Path::new("/"));
                    // A build script is its file alone; `src/` holds the defaults.
                    if t.kind == TargetKind::BuildScript {
                        f == t.src_path
                    } else {
                        f.starts_with(dir)
                    }
                });
                if t.kind == TargetKind::BuildScript {
                    s.all_targets || holds_file
                } else {
                    s.wants(t) || holds_file
                }
            });
        }
        targets.retain(|t| t.selected || matches!(t.kind, TargetKind::Lib | TargetKind::Bin));
        // Library first, so a file shared by several targets belongs to it.
        targets.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        Package {
            id: pkg.id.repr.clone(),
            name: pkg.name.to_string(),
            version: pkg.version.to_string(),
            manifest_path: pkg.manifest_path.clone().into_std_path_buf(),
            targets,
            twelve: pkg.metadata.get("twelve").cloned(),
            build_env,
            dependencies: pkg.dependencies.clone(),
            description: pkg.description.clone(),
            features: pkg.features.clone(),
        }
    }
}

/// `--bin`, `--test`, `--example` and `--bench` names that no chosen package
/// has: cargo's error, with the targets there are.
fn missing_targets(chosen: &[&cargo_metadata::Package], selection: &Selection) -> Result<()> {
    use cargo_metadata::TargetKind as K;
    let scope = match (selection.workspace, selection.packages.as_slice()) {
        (false, [one]) => format!(" in `{one}` package"),
        (false, [first, ..]) => format!(" in `{first}`, ... packages"),
        _ => " in default-run packages".to_string(),
    };
    for (names, kind, desc) in [
        (&selection.bin, K::Bin, "bin"),
        (&selection.test, K::Test, "test"),
        (&selection.example, K::Example, "example"),
        (&selection.bench, K::Bench, "bench"),
    ] {
        let available: BTreeSet<&str> = chosen
            .iter()
            .flat_map(|p| &p.targets)
            .filter(|t| t.kind.contains(&kind))
            .map(|t| t.name.as_str())
            .collect();
        for name in names {
            if available.contains(name.as_str()) {
                continue;
            }
            let mut msg = format!("no {desc} target named `{name}`{scope}");
            if !available.is_empty() {
                msg.push_str(&format!("\nhelp: available {desc} targets:"));
                for t in &available {
                    msg.push_str(&format!("\n    {t}"));
                }
            }
            bail!(msg);
        }
    }
    Ok(())
}

/// The manifest cargo would use: `--manifest-path`, or the nearest
/// `Cargo.toml` from the current directory up.
fn current_manifest(selection: &Selection) -> Result<Option<PathBuf>> {
    if let Some(path) = &selection.manifest_path {
        let path = std::fs::canonicalize(path)
            .with_context(|| format!("manifest path `{}` does not exist", path.display()))?;
        return Ok(Some(path));
    }
    let cwd = std::env::current_dir()?;
    Ok(cwd.ancestors().map(|d| d.join("Cargo.toml")).find(|p| p.is_file()))
}

/// The variables a build-helper library (a workspace member that build
/// scripts depend on) sets with `cargo:rustc-env=`, from its library
/// sources.
fn library_build_env(pkg: &cargo_metadata::Package) -> BTreeSet<String> {
    const MAX_FILES: usize = 256;
    let mut out = BTreeSet::new();
    let Some(lib) = pkg.targets.iter().find(|t| t.is_lib()) else {
        return out;
    };
    let Some(dir) = lib.src_path.parent() else { return out };
    let mut stack = vec![dir.as_std_path().to_path_buf()];
    let mut files = 0;
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() && path.extension().is_some_and(|e| e == "rs") && files < MAX_FILES {
                files += 1;
                if let Ok(text) = std::fs::read_to_string(&path) {
                    out.extend(build_script_env(&text));
                }
            }
        }
    }
    out
}

/// Variables a build script sets for the crate with `cargo:rustc-env=NAME=…`
/// or `cargo::rustc-env=NAME=…`.
pub fn build_script_env(text: &str) -> BTreeSet<String> {
    let mut vars = BTreeSet::new();
    for marker in ["cargo:rustc-env=", "cargo::rustc-env="] {
        for (at, _) in text.match_indices(marker) {
            let rest = &text[at + marker.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && rest[name.len()..].starts_with('=') {
                vars.insert(name);
            }
        }
    }
    vars
}

/// A `mod name;` declaration found in a file, with where its file is.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct ModuleDecl {
    /// Module path relative to the file's module (`["inner", "x"]` for
    /// `mod inner { mod x; }`).
    pub relative_module: Vec<String>,
    /// The file that holds the module, or the candidates tried.
    pub file: Result<PathBuf, Vec<PathBuf>>,
    /// Whether the file is "mod-rs" (its children live in its directory).
    pub mod_rs: bool,
    /// Declared under `#[cfg(test)]`.
    pub test: bool,
    /// Declared under some other `#[cfg(..)]`; a missing file is then fine.
    pub cfg_gated: bool,
    /// Declared under a `#[cfg]` that is false on the deploy platform
    /// (`#[cfg(windows)] mod service;`).
    pub off_platform: bool,
    /// Byte range of the declaration in the declaring file.
    pub span: std::ops::Range<usize>,
}

/// Finds the out-of-line modules a file declares, the way rustc does:
/// `x.rs` or `x/mod.rs`, nested inline modules as directories, and
/// `#[path]` attributes.
pub fn module_decls(
    file_path: &Path,
    mod_rs: bool,
    items: &[syn::Item],
    macros: &crate::source::macros::MacroCache,
) -> Vec<ModuleDecl> {
    let file_dir = file_path.parent().unwrap_or(Path::new("")).to_path_buf();
    let children_dir = if mod_rs {
        file_dir.clone()
    } else {
        let stem = file_path.file_stem().unwrap_or_default();
        file_dir.join(stem)
    };
    let mut out = Vec::new();
    let scope = DeclScope {
        file_dir: &file_dir,
        dir: children_dir,
        module: Vec::new(),
        nested: false,
        gated: false,
        test: false,
        off_platform: false,
    };
    collect_decls(&scope, items, macros, &mut out);
    out
}

/// Where the modules declared in a file, or in an inline module of it, live.
struct DeclScope<'a> {
    /// Directory of the file itself.
    file_dir: &'a Path,
    /// Directory for `mod x;` here.
    dir: PathBuf,
    module: Vec<String>,
    /// Inside an inline `mod { }` block.
    nested: bool,
    /// Inside a `#[cfg]`- or test-gated inline module.
    gated: bool,
    test: bool,
    /// Inside an inline module for another platform than the deploy's.
    off_platform: bool,
}

fn collect_decls(
    scope: &DeclScope<'_>,
    items: &[syn::Item],
    macros: &crate::source::macros::MacroCache,
    out: &mut Vec<ModuleDecl>,
) {
    use syn::spanned::Spanned;
    for item in items {
        if let syn::Item::Macro(m) = item
            && m.mac.path.is_ident("include")
        {
            // `include!("opt.rs");`: the file's items belong to this module.
            if let Ok(lit) = m.mac.parse_body::<syn::LitStr>() {
                let file = scope.file_dir.join(lit.value());
                out.push(ModuleDecl {
                    relative_module: scope.module.clone(),
                    file: if file.is_file() { Ok(file) } else { Err(vec![file]) },
                    mod_rs: false,
                    test: scope.test,
                    off_platform: scope.off_platform,
                    // A file made by the build (`concat!(env!("OUT_DIR"), ..)`)
                    // is not a literal; a literal one that is missing is
                    // left to rustc.
                    cfg_gated: true,
                    span: m.span().byte_range(),
                });
            }
            continue;
        }
        if let syn::Item::Macro(m) = item {
            // `cfg_if! { if #[cfg(unix)] { mod unix; } .. }`, `cfg_fs! { mod fs; }`:
            // the configuration picks, so a missing file is not an error.
            let body = macros.get(&m.mac);
            let gated = DeclScope {
                dir: scope.dir.clone(),
                module: scope.module.clone(),
                gated: true,
                ..*scope
            };
            collect_decls(&gated, &body.items, macros, out);
            continue;
        }
        let syn::Item::Mod(m) = item else { continue };
        let name = m.ident.to_string();
        let name = name.strip_prefix("r#").unwrap_or(&name).to_string();
        let mut relative_module = scope.module.clone();
        relative_module.push(name.clone());
        // `#[path]`, or the paths `#[cfg_attr(.., path = "..")]` may choose.
        let path_attrs = path_attributes(&m.attrs);
        let gated = scope.gated
            || m.attrs
                .iter()
                .any(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr"));
        let test = scope.test || crate::source::cfg::has_cfg_test(&m.attrs);
        let off_platform = scope.off_platform || crate::source::cfg::off_deploy_platform(&m.attrs);
        // A path attribute outside inline blocks is relative to the file's
        // directory; inside them, to the inline modules' directory.
        let path_base = if scope.nested {
            scope.dir.as_path()
        } else {
            scope.file_dir
        };
        match &m.content {
            Some((_, inner)) => {
                let dir = match path_attrs.first() {
                    Some(p) => path_base.join(p),
                    None => scope.dir.join(&name),
                };
                let inner_scope = DeclScope {
                    file_dir: scope.file_dir,
                    dir,
                    module: relative_module,
                    nested: true,
                    gated,
                    test,
                    off_platform,
                };
                collect_decls(&inner_scope, inner, macros, out);
            }
            None => {
                let (file, mod_rs) = if path_attrs.is_empty() {
                    let flat = scope.dir.join(format!("{name}.rs"));
                    let nested_file = scope.dir.join(&name).join("mod.rs");
                    // Anything that is not a directory: a FIFO or a device is
                    // reported as unreadable, not as missing.
                    let present = |p: &Path| p.exists() && !p.is_dir();
                    if present(&flat) {
                        (Ok(flat), false)
                    } else if present(&nested_file) {
                        (Ok(nested_file), true)
                    } else {
                        (Err(vec![flat, nested_file]), false)
                    }
                } else {
                    let candidates: Vec<PathBuf> = path_attrs.iter().map(|p| path_base.join(p)).collect();
                    match candidates.iter().find(|p| p.exists()) {
                        Some(found) => (Ok(found.clone()), true),
                        None => (Err(candidates), true),
                    }
                };
                out.push(ModuleDecl {
                    relative_module,
                    file,
                    mod_rs,
                    test,
                    cfg_gated: gated,
                    off_platform,
                    span: m.span().byte_range(),
                });
            }
        }
    }
}

/// `#[path = "p"]` gives `p`; `#[cfg_attr(pred, path = "p")]` gives each `p`
/// the configurations may choose, in order.
fn path_attributes(attrs: &[syn::Attribute]) -> Vec<String> {
    fn lit(expr: &syn::Expr) -> Option<String> {
        match expr {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s), ..
            }) => Some(s.value()),
            _ => None,
        }
    }
    let mut out = Vec::new();
    for attr in attrs {
        match &attr.meta {
            syn::Meta::NameValue(nv) if nv.path.is_ident("path") => out.extend(lit(&nv.value)),
            syn::Meta::List(list) if list.path.is_ident("cfg_attr") => {
                let parsed =
                    list.parse_args_with(syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated);
                for meta in parsed.into_iter().flatten().skip(1) {
                    if let syn::Meta::NameValue(nv) = meta
                        && nv.path.is_ident("path")
                    {
                        out.extend(lit(&nv.value));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_script_env_vars() {
        let text = r#"
            println!("cargo:rustc-env=GIT_SHA={}", sha);
            println!("cargo::rustc-env=BUILT_AT=now");
            println!("cargo:rerun-if-env-changed=NOT_THIS");
        "#;
        let vars: Vec<_> = build_script_env(text).into_iter().collect();
        assert_eq!(vars, ["BUILT_AT", "GIT_SHA"]);
    }

    #[test]
    fn module_files_like_rustc() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        for f in ["lib.rs", "a.rs", "a/b.rs", "c/mod.rs", "inner/d.rs", "elsewhere/e.rs"] {
            let p = src.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        let lib: syn::File = syn::parse_str(
            r#"mod a; mod c; mod inner { mod d; } #[path = "elsewhere/e.rs"] mod e; mod gone; #[cfg(windows)] mod win;"#,
        )
        .unwrap();
        let cache = crate::source::macros::MacroCache::default();
        let decls = module_decls(&src.join("lib.rs"), true, &lib.items, &cache);
        let found: Vec<_> = decls
            .iter()
            .map(|d| match &d.file {
                Ok(p) => p.strip_prefix(&src).unwrap().display().to_string(),
                Err(_) => format!("missing {}", d.relative_module.join("::")),
            })
            .collect();
        assert_eq!(
            found,
            [
                "a.rs",
                "c/mod.rs",
                "inner/d.rs",
                "elsewhere/e.rs",
                "missing gone",
                "missing win"
            ]
        );
        assert!(decls[5].cfg_gated && !decls[4].cfg_gated);
        assert_eq!(decls[2].relative_module, ["inner", "d"]);

        // `#[cfg_attr(.., path)]` picks among files; inline `#[path]` at a
        // file's top level is relative to the file's directory.
        for f in ["soft/fixslice64.rs", "a/gen/out.rs", "tests_only.rs"] {
            std::fs::create_dir_all(src.join(f).parent().unwrap()).unwrap();
            std::fs::write(src.join(f), "").unwrap();
        }
        let lib: syn::File = syn::parse_str(
            r#"#[cfg_attr(not(target_pointer_width = "64"), path = "soft/fixslice32.rs")]
               #[cfg_attr(target_pointer_width = "64", path = "soft/fixslice64.rs")]
               mod fixslice;
               #[cfg(test)] mod tests { mod helpers; }"#,
        )
        .unwrap();
        let decls = module_decls(&src.join("lib.rs"), true, &lib.items, &cache);
        assert_eq!(decls[0].file.as_ref().unwrap(), &src.join("soft/fixslice64.rs"));
        assert!(decls[1].file.is_err() && decls[1].cfg_gated && decls[1].test);
        let a: syn::File = syn::parse_str(r#"#[path = "a/gen"] mod generated { mod out; }"#).unwrap();
        let decls = module_decls(&src.join("a.rs"), false, &a.items, &cache);
        assert_eq!(decls[0].file.as_ref().unwrap(), &src.join("a/gen/out.rs"));

        // `a.rs` is not mod-rs: its children live in `a/`.
        let a: syn::File = syn::parse_str("mod b;").unwrap();
        let decls = module_decls(&src.join("a.rs"), false, &a.items, &cache);
        assert_eq!(decls[0].file.as_ref().unwrap(), &src.join("a/b.rs"));
    }
}

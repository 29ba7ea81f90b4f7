//! The analysis engine: one parse and one visitor pass per file, feeding
//! every enabled rule, with files spread over rayon's thread pool.
//!
//! Files are found while they are analysed: each pass reports the module
//! files its file declares, and the next wave takes those. A file reached
//! from several targets is read, parsed and checked once.

pub mod cache;
mod cx;
pub mod model;
mod rule;
mod suppress;
pub mod timings;
mod visitor;

use std::any::Any;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, LintLevel, Origin, Severity, Span};
use crate::resolve::Resolver;
use crate::source::macros::MacroCache;
use crate::source::{ParseFailure, SourceFile};
use crate::workspace::{Package, TargetKind, Workspace, module_decls};

pub use crate::source::cfg::{has_cfg_test, is_test_fn};
pub use cx::{Cx, PackageReport};
pub use model::{Entry, EntryKind, Model};
pub use rule::{OptionTable, Rule, RuleMeta, RuleOptions, Scope, Settings, layer_options};
pub use visitor::{Call, CallFrame, Chain, MacroCall, Step};

/// The byte ranges of the secrets in a text.
pub type SecretDetector = fn(&str) -> Vec<std::ops::Range<usize>>;

/// Settings of one run that are not per package.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Level overrides from the command line, applied in order after the
    /// configuration (`-A`/`-W`/`-D`; `warnings` means every warn-level rule).
    pub overrides: Vec<(String, LintLevel)>,
    /// Report `twelve:allow` comments that match nothing (`-v`).
    pub report_unused_suppressions: bool,
    /// Do not mask secrets in output (`--show-secrets`, for local debugging).
    pub show_secrets: bool,
    /// Finds the secrets in a text (the rules' detector): every file and
    /// message a diagnostic shows is masked with it, unless `show_secrets`.
    pub detect_secrets: Option<SecretDetector>,
    /// The largest source file read, in bytes (`--max-file-size`); `None`
    /// is [`MAX_FILE_SIZE`](crate::source::MAX_FILE_SIZE).
    pub max_file_size: Option<u64>,
    /// Each package's validated configuration, in the order of
    /// [`Workspace::packages`]; a package without one is checked with the
    /// defaults.
    pub settings: Vec<Settings>,
    /// Where per-file results are cached (`target/twelve`); `None` checks
    /// every file afresh (`--no-cache`).
    pub cache: Option<PathBuf>,
}

impl Options {
    /// Entry points named in any package's configuration.
    fn overrides_of_entries(&self) -> model::Overrides {
        let mut o = model::Overrides::default();
        for s in &self.settings {
            o.services.extend(s.services.iter().cloned());
            o.one_shot.extend(s.one_shot.iter().cloned());
            o.dev_tools.extend(s.dev_tools.iter().cloned());
        }
        o
    }

    fn settings(&self, package: usize) -> &Settings {
        static DEFAULT: std::sync::LazyLock<Settings> = std::sync::LazyLock::new(Settings::default);
        self.settings.get(package).unwrap_or(&DEFAULT)
    }
}

/// What a rule sees of the package its file belongs to.
pub struct PackageCx<'w> {
    pub package: &'w Package,
    pub settings: &'w Settings,
    /// Enabled rules with the severity they report at.
    rules: Vec<(&'static dyn Rule, Severity)>,
    exclude: globset::GlobSet,
    show_secrets: bool,
    /// Renamed dependencies, for the resolver.
    renames: Arc<HashMap<String, String>>,
    /// Every rule the run knows, enabled or not: `twelve:allow` may name them.
    known: Vec<&'static str>,
    /// The lib and bin crate names of every package in the run: paths into
    /// them are edges of the service model.
    pub workspace_crates: Arc<foldhash::HashSet<String>>,
    /// Where the root `Cargo.toml` is: image files (`Dockerfile`, `Aptfile`)
    /// sit there.
    pub workspace_root: PathBuf,
}

impl<'w> PackageCx<'w> {
    pub fn new(package: &'w Package, settings: &'w Settings, rules: &[&'static dyn Rule], options: &Options) -> Self {
        let mut levels: HashMap<&'static str, LintLevel> =
            rules.iter().map(|r| (r.meta().name, r.meta().default_level)).collect();
        for (name, level) in &settings.lints {
            if let Some(slot) = levels.get_mut(name.as_str()) {
                *slot = *level;
            }
        }
        for (name, level) in &options.overrides {
            if name == "warnings" {
                if *level == LintLevel::Deny {
                    levels
                        .values_mut()
                        .filter(|l| **l == LintLevel::Warn)
                        .for_each(|l| *l = LintLevel::Deny);
                } else if *level == LintLevel::Allow {
                    levels
                        .values_mut()
                        .filter(|l| **l == LintLevel::Warn)
                        .for_each(|l| *l = LintLevel::Allow);
                }
                continue;
            }
            let name = name.strip_prefix("twelve::").unwrap_or(name);
            if let Some(slot) = levels.get_mut(name) {
                *slot = *level;
            }
        }
        let rules = rules
            .iter()
            .filter_map(|r| levels[r.meta().name].severity().map(|s| (*r, s)))
            .collect();
        let mut exclude = globset::GlobSetBuilder::new();
        for glob in &settings.exclude {
            if let Ok(g) = globset::Glob::new(glob) {
                exclude.add(g);
            }
        }
        Self {
            package,
            settings,
            rules,
            exclude: exclude.build().unwrap_or_else(|_| globset::GlobSet::empty()),
            show_secrets: options.show_secrets,
            known: levels.keys().copied().collect(),
            workspace_crates: Default::default(),
            workspace_root: package.dir().to_path_buf(),
            renames: Arc::new(
                package
                    .dependencies
                    .iter()
                    .filter_map(|d| Some((d.rename.as_ref()?.replace('-', "_"), d.name.replace('-', "_"))))
                    .collect(),
            ),
        }
    }

    /// `exclude` globs match paths relative to the workspace root or to the
    /// package's directory.
    pub fn is_excluded(&self, path: &Path, workspace_root: &Path) -> bool {
        [workspace_root, self.package.dir()]
            .iter()
            .any(|base| path.strip_prefix(base).is_ok_and(|rel| self.exclude.is_match(rel)))
    }

    /// The resolver context of a target's root file.
    pub fn resolve_context(&self) -> crate::resolve::Context {
        crate::resolve::Context {
            ancestors: Default::default(),
            renames: self.renames.clone(),
        }
    }

    pub fn enabled(&self) -> impl Iterator<Item = &'static dyn Rule> + '_ {
        self.rules.iter().map(|(r, _)| *r)
    }
}

/// Something a rule noted during a file's pass, for its package-level check
/// ([`Rule::check_package`]): a `main` function, a serve call, a signal
/// handler. The value is the rule's own type.
pub struct Fact {
    pub rule: &'static str,
    pub origin: Origin,
    pub span: Span,
    pub value: Box<dyn Any + Send>,
    /// How the value is written to the cache and read back.
    pub kind: cache::FactType,
}

impl std::fmt::Debug for Fact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fact")
            .field("rule", &self.rule)
            .field("origin", &self.origin)
            .field("span", &self.span.range)
            .finish_non_exhaustive()
    }
}

impl Fact {
    pub fn get<T: 'static>(&self) -> Option<&T> {
        self.value.downcast_ref()
    }
}

/// The result of a run.
#[derive(Debug, Default)]
pub struct Outcome {
    pub diagnostics: Vec<Diagnostic>,
    /// Files read and parsed (each exactly once).
    pub files: usize,
    /// Every fact the rules recorded, after their package-level checks saw
    /// them: for commands that summarise a project (`report`, `env`).
    pub facts: Vec<Fact>,
    pub lines: usize,
    pub bytes: usize,
    /// The files read and parsed, in the order they were found.
    pub paths: Vec<PathBuf>,
    /// The workspace service model: entry points and what they run.
    pub model: Model,
}

/// One file to analyse.
struct Job {
    path: PathBuf,
    origin: Origin,
    /// Read for the service model only: a target that is not selected.
    model_only: bool,
    /// Module path, crate name first.
    module: Vec<String>,
    mod_rs: bool,
    test: bool,
    kind: TargetKind,
    /// Declared under a `#[cfg]` (here or in an ancestor module): a missing
    /// child module is then not an error, the configuration may not need it.
    cfg_gated: bool,
    /// Declared under a `#[cfg]` that is false on the deploy platform.
    off_platform: bool,
    /// What the resolver knows from the ancestor modules' files.
    context: crate::resolve::Context,
    /// The `mod x;` that declared it, for diagnostics about the file itself.
    declared_at: Option<Span>,
    /// What the cache key of the file takes from its ancestors: a hash of
    /// their exports.
    context_hash: cache::Key,
}

/// Checks every selected target of every selected package.
pub fn check(workspace: &Workspace, rules: &[&'static dyn Rule], options: &Options) -> Outcome {
    // The selected packages, then the other members: read for the model.
    let all: Vec<&Package> = workspace.packages.iter().chain(&workspace.context).collect();
    let selected = workspace.packages.len();
    let crates: Arc<foldhash::HashSet<String>> = Arc::new(
        all.iter()
            .flat_map(|p| &p.targets)
            .filter(|t| matches!(t.kind, TargetKind::Lib | TargetKind::Bin))
            .flat_map(|t| [t.crate_name.clone(), t.root.clone()])
            .collect(),
    );
    let packages: Vec<PackageCx> = all
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut pcx = PackageCx::new(p, options.settings(i), rules, options);
            pcx.workspace_crates = crates.clone();
            pcx.workspace_root = workspace.root.clone();
            pcx
        })
        .collect();
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    let mut wave = Vec::new();
    // Selected targets first, so a file they share with a context target
    // is reported.
    let mut targets: Vec<(usize, usize, bool)> = Vec::new();
    for (pi, package) in all.iter().enumerate() {
        for (ti, target) in package.targets.iter().enumerate() {
            targets.push((pi, ti, pi >= selected || !target.selected));
        }
    }
    targets.sort_by_key(|(_, _, context)| *context);
    for (pi, ti, context) in targets {
        let target = &all[pi].targets[ti];
        {
            let job = Job {
                path: target.src_path.clone(),
                model_only: context,
                origin: Origin {
                    package: pi,
                    target: ti,
                },
                module: vec![target.root.clone()],
                mod_rs: true,
                test: target.kind.is_test(),
                kind: target.kind,
                cfg_gated: false,
                off_platform: false,
                context: packages[pi].resolve_context(),
                declared_at: None,
                context_hash: [0; 32],
            };
            if seen.insert(canonical(&job.path)) {
                wave.push(job);
            }
        }
    }

    let mut outcome = Outcome::default();
    let mut facts: Vec<Fact> = Vec::new();
    let mut model_facts = Vec::new();
    let mut masked: HashMap<PathBuf, Arc<SourceFile>> = HashMap::new();
    // Symlinks resolved once: module files must lie under it.
    let confine = std::fs::canonicalize(&workspace.root).unwrap_or_else(|_| workspace.root.clone());
    let files_started = timings::start();
    let store = options.cache.as_deref().and_then(cache::Cache::open);
    let package_keys: Vec<cache::Key> = match &store {
        Some(c) => packages
            .iter()
            .map(|p| c.package_key(workspace, p, options.report_unused_suppressions))
            .collect(),
        None => Vec::new(),
    };
    while !wave.is_empty() {
        let results: Vec<FileResult> = pool().install(|| {
            wave.par_iter()
                .map(|job| {
                    let cached = store.as_ref().map(|c| (c, &package_keys[job.origin.package]));
                    check_file_guarded(
                        job,
                        &packages[job.origin.package],
                        &workspace.root,
                        &confine,
                        options,
                        cached,
                    )
                })
                .collect()
        });
        let mut next = Vec::new();
        for result in results {
            facts.extend(result.facts);
            model_facts.push(result.model);
            if result.context {
                next.extend(result.children.into_iter().filter(|j| seen.insert(canonical(&j.path))));
                continue;
            }
            outcome.diagnostics.extend(result.diagnostics);
            if let Some(m) = result.masked {
                masked.insert(m.path.clone(), m);
            }
            if let Some(file) = result.file {
                outcome.paths.push(file.path.clone());
                outcome.files += 1;
                outcome.lines += file.line_count();
                outcome.bytes += file.text.len();
            }
            for job in result.children {
                if seen.insert(canonical(&job.path)) {
                    next.push(job);
                }
            }
        }
        wave = next;
    }
    timings::since(timings::Phase::Files, files_started);
    let model = Model::build(&all, model_facts, &options.overrides_of_entries());
    let package_rules = timings::start();
    // Each rule's facts, all packages, in package order.
    let mut by_rule: HashMap<&'static str, Vec<Fact>> = HashMap::new();
    for fact in facts {
        by_rule.entry(fact.rule).or_default().push(fact);
    }
    for list in by_rule.values_mut() {
        list.sort_by_key(|f| f.origin.package);
    }
    // What the files reported, to report a package-level finding once.
    let mut reported: std::collections::HashSet<(&'static str, std::ops::Range<usize>, String, PathBuf)> = outcome
        .diagnostics
        .iter()
        .map(|d| {
            (
                d.code,
                d.span.range.clone(),
                d.message.clone(),
                d.span.path().to_path_buf(),
            )
        })
        .collect();
    for (pi, pcx) in packages.iter().enumerate() {
        let found = check_package(pi, pcx, &workspace.root, &by_rule, &model);
        // Nothing is reported in what is read only for the model.
        let found = found.into_iter().filter(|d| {
            d.origin
                .is_none_or(|o| o.package < selected && all[o.package].targets.get(o.target).is_none_or(|t| t.selected))
        });
        // A finding in a file shared by several packages (the workspace
        // root's `Cargo.toml`) is reported once per run.
        for mut d in found {
            d.package_level = true;
            let key = (
                d.code,
                d.span.range.clone(),
                d.message.clone(),
                d.span.path().to_path_buf(),
            );
            if reported.insert(key) {
                outcome.diagnostics.push(d);
            }
        }
    }
    timings::since(timings::Phase::PackageRules, package_rules);
    let scoping = timings::start();
    scope_to_services(&mut outcome.diagnostics, &all, rules, options, &model);
    let mut names: Vec<&'static str> = by_rule.keys().copied().collect();
    names.sort_by_key(|n| rules.iter().position(|r| r.meta().name == *n));
    outcome.facts = names
        .into_iter()
        .flat_map(|n| by_rule.remove(n).unwrap_or_default())
        .collect();
    outcome.model = model;
    if !masked.is_empty() {
        for d in &mut outcome.diagnostics {
            d.map_files(|f| masked.get(&f.path).cloned());
        }
    }
    if let Some(detect) = options.detect_secrets.filter(|_| !options.show_secrets) {
        mask_everywhere(&mut outcome.diagnostics, detect);
    }
    outcome.diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    dedup(&mut outcome.diagnostics);
    timings::since(timings::Phase::Scope, scoping);
    outcome
}

/// The one masking step every output goes through: each file a
/// diagnostic shows (snippets, JSON `text` and `rendered`, suggestions) and
/// each of its messages, with every secret `detect` finds masked, wherever
/// it is (a line that does not parse, a `gitleaks:allow` line, a file where
/// `hardcoded_secret` is allowed).
pub fn mask_everywhere(diagnostics: &mut [Diagnostic], detect: SecretDetector) {
    let files: std::cell::RefCell<HashMap<*const SourceFile, Option<Arc<SourceFile>>>> = Default::default();
    let mask_text = |text: &mut String| {
        let ranges = detect(text);
        if !ranges.is_empty() {
            *text = SourceFile::new("", std::mem::take(text)).masked(&ranges).text;
        }
    };
    for d in diagnostics {
        d.map_files(|f| {
            files
                .borrow_mut()
                .entry(Arc::as_ptr(f))
                .or_insert_with(|| {
                    let ranges = detect(&f.text);
                    (!ranges.is_empty()).then(|| Arc::new(f.masked(&ranges)))
                })
                .clone()
        });
        mask_text(&mut d.message);
        d.label.iter_mut().for_each(mask_text);
        d.notes.iter_mut().for_each(mask_text);
        d.helps.iter_mut().for_each(mask_text);
        d.secondary.iter_mut().for_each(|l| mask_text(&mut l.message));
    }
}

/// Keeps the findings of service-scoped rules only where a service entry
/// point runs the code, with a note naming the way there for library code;
/// `scope = "all"` keeps them all.
fn scope_to_services(
    diagnostics: &mut Vec<Diagnostic>,
    packages: &[&Package],
    rules: &[&'static dyn Rule],
    options: &Options,
    model: &Model,
) {
    let scoped: Vec<(&'static str, Scope)> = rules
        .iter()
        .map(|r| r.meta())
        .filter(|m| m.scope != Scope::All)
        .map(|m| (m.name, m.scope))
        .collect();
    diagnostics.retain_mut(|d| {
        let Some(&(_, default)) = scoped.iter().find(|(name, _)| *name == d.code) else {
            return true;
        };
        let Some(origin) = d.origin else { return true };
        let scope = options.settings(origin.package).scope_of(d.code, default);
        if scope == Scope::All {
            return true;
        }
        if model.off_platform(&d.span) {
            return false;
        }
        let Some(item) = d.item.as_deref().or_else(|| model.locate(&d.span)) else {
            // Module-level code (an attribute, a package file): the
            // package's code runs in a service or it does not.
            return model.serves_package(origin.package);
        };
        let Some((entry, path)) = model.service_path(item) else {
            return false;
        };
        if scope == Scope::StatelessService && (entry.keeps_data.is_some() || !model.runs_by_default(item)) {
            return false;
        }
        let in_lib = packages
            .get(origin.package)
            .and_then(|p| p.targets.get(origin.target))
            .is_some_and(|t| t.kind == TargetKind::Lib);
        if in_lib && path.len() > 1 {
            let shown: Vec<String> = path
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    if i == 0 {
                        "main".to_string()
                    } else {
                        p.replace("#bin::", "::")
                    }
                })
                .collect();
            d.note(format!(
                "runs in service binary `{}`: {}",
                entry.name,
                shown.join(" → ")
            ));
        }
        true
    });
}

/// Drops repeated findings from sorted diagnostics: a rule reports a node
/// once, though package-level checks of several packages see the same
/// workspace file and a literal may sit in two contexts.
fn dedup(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.dedup_by(|a, b| {
        a.code == b.code && a.span.range == b.span.range && a.span.path() == b.span.path() && a.message == b.message
    });
}

/// Runs every enabled rule's package-level check with the facts it
/// recorded in this package's files.
fn check_package(
    index: usize,
    pcx: &PackageCx,
    workspace_root: &Path,
    by_rule: &HashMap<&'static str, Vec<Fact>>,
    model: &Model,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (rule, severity) in &pcx.rules {
        let meta = rule.meta();
        let all: &[Fact] = by_rule.get(meta.name).map_or(&[], Vec::as_slice);
        let start = all.partition_point(|f| f.origin.package < index);
        let end = all.partition_point(|f| f.origin.package <= index);
        let mut report = PackageReport {
            package: pcx.package,
            index,
            model,
            workspace_facts: all,
            settings: pcx.settings,
            workspace_root,
            rule: meta,
            severity: *severity,
            out: &mut found,
            show_secrets: pcx.show_secrets,
        };
        let run = std::panic::AssertUnwindSafe(|| rule.check_package(&mut report, &all[start..end]));
        if let Err(panic) = timings::time_rule(meta.name, || std::panic::catch_unwind(run)) {
            let manifest = Arc::new(SourceFile::new(&pcx.package.manifest_path, String::new()));
            found.push(rule_failed(meta.name, &manifest, &panic_message(panic.as_ref())));
        }
    }
    for d in &mut found {
        d.origin.get_or_insert(Origin {
            package: index,
            target: pcx.package.targets.iter().position(|t| t.selected).unwrap_or(0),
        });
    }
    // Inline suppression works for package-level findings too.
    let mut by_file: Vec<(Arc<SourceFile>, Vec<Diagnostic>)> = Vec::new();
    for d in found {
        match by_file.iter_mut().find(|(f, _)| Arc::ptr_eq(f, &d.span.file)) {
            Some((_, ds)) => ds.push(d),
            None => by_file.push((d.span.file.clone(), vec![d])),
        }
    }
    let mut out = Vec::new();
    for (file, mut ds) in by_file {
        suppress::apply(&file, &mut ds, false, &pcx.known);
        out.extend(ds);
    }
    out
}

/// Checks one file's text as if it were the root of a target of `package`,
/// without following its modules; package-level checks see this file's
/// facts. For tests and embedding.
pub fn check_source(
    package: &Package,
    settings: &Settings,
    rules: &[&'static dyn Rule],
    path: &Path,
    text: &str,
    kind: TargetKind,
) -> Vec<Diagnostic> {
    let pcx = PackageCx::new(package, settings, rules, &Options::default());
    on_big_stack(|| {
        single_file(&pcx, path, text, kind, |pcx, file, pass| {
            let mut found = pass.diagnostics;
            let mut by_rule: HashMap<&'static str, Vec<Fact>> = HashMap::new();
            for fact in pass.facts {
                by_rule.entry(fact.rule).or_default().push(fact);
            }
            found.extend(check_package(0, pcx, package.dir(), &by_rule, &Model::default()));
            if !pass.redactions.is_empty() && !pcx.show_secrets {
                let masked = Arc::new(file.masked(&pass.redactions));
                for d in &mut found {
                    d.map_files(|f| Arc::ptr_eq(f, file).then(|| masked.clone()));
                }
            }
            suppress::apply(file, &mut found, false, &pcx.known);
            found.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
            dedup(&mut found);
            found
        })
    })
    .unwrap_or_else(|error| vec![*error])
}

/// The thread pool files are checked on: rayon's, with stacks of
/// [`STACK_SIZE`](crate::source::STACK_SIZE) (rayon's own are 2 MiB).
fn pool() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .stack_size(crate::source::STACK_SIZE)
            .thread_name(|i| format!("twelve-{i}"))
            .build()
            .unwrap_or_else(|_| {
                // No thread could be started with that stack: the default.
                rayon::ThreadPoolBuilder::new().build().expect("a thread pool")
            })
    })
}

/// Runs `f` on a thread of its own with a stack of
/// [`STACK_SIZE`](crate::source::STACK_SIZE), where a file's syntax tree
/// can be as deep as [`MAX_NESTING`](crate::source::MAX_NESTING) allows.
fn on_big_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("twelve-file".into())
            .stack_size(crate::source::STACK_SIZE)
            .spawn_scoped(scope, f);
        match spawned {
            Ok(handle) => handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => panic!("cannot start a thread to check a file"),
        }
    })
}

/// The facts rules record on one file's text (as [`check_source`] runs
/// it), for tests of collectors.
pub fn check_source_facts(
    package: &Package,
    rules: &[&'static dyn Rule],
    path: &Path,
    text: &str,
    kind: TargetKind,
) -> Vec<Fact> {
    let settings = Settings::default();
    let pcx = PackageCx::new(package, &settings, rules, &Options::default());
    on_big_stack(|| single_file(&pcx, path, text, kind, |_, _, pass| pass.facts)).unwrap_or_default()
}

/// One file's pass as the root of a target of `package`, handed to `then`;
/// a `parse_error` diagnostic when it does not parse.
fn single_file<T>(
    pcx: &PackageCx,
    path: &Path,
    text: &str,
    kind: TargetKind,
    then: impl FnOnce(&PackageCx, &Arc<SourceFile>, visitor::Pass) -> T,
) -> Result<T, Box<Diagnostic>> {
    let package = pcx.package;
    let file = Arc::new(SourceFile::new(path, text.to_string()));
    let job = Job {
        path: path.to_path_buf(),
        model_only: false,
        origin: Origin { package: 0, target: 0 },
        module: vec![package.name.replace('-', "_")],
        mod_rs: true,
        test: kind.is_test(),
        kind,
        cfg_gated: false,
        off_platform: false,
        context: pcx.resolve_context(),
        declared_at: None,
        context_hash: [0; 32],
    };
    let result = match file.parse() {
        Ok(ast) => {
            let resolver = Resolver::with_context(job.module.clone(), &ast.items, job.context.clone());
            let ast = std::rc::Rc::new(ast);
            let pass = crate::source::with_tree(&file, ast.clone(), || {
                visitor::run(&file, &ast, &job, pcx, resolver, Default::default())
            });
            drop(ast);
            Ok(then(pcx, &file, pass))
        }
        // The error's span is read before spans are invalidated below.
        Err(ParseFailure::Syntax(err)) => Err(Box::new(Diagnostic::new(
            "parse_error",
            Severity::Error,
            Span::new(file.clone(), err.span().byte_range()),
            err.to_string(),
        ))),
        Err(ParseFailure::TooDeep { at }) => Err(Box::new(too_deeply_nested(&file, at))),
    };
    proc_macro2::extra::invalidate_current_thread_spans();
    result
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

struct FileResult {
    context: bool,
    model: model::FileFacts,
    file: Option<Arc<SourceFile>>,
    diagnostics: Vec<Diagnostic>,
    facts: Vec<Fact>,
    /// The file with its secrets masked, when it has any.
    masked: Option<Arc<SourceFile>>,
    children: Vec<Job>,
}

/// Whether `path`, symlinks resolved, lies under `root` (canonical).
fn inside(path: &Path, root: &Path) -> bool {
    std::fs::canonicalize(path).is_ok_and(|p| p.starts_with(root))
}

/// `error[twelve::too_deeply_nested]` for a file nested past
/// [`MAX_NESTING`](crate::source::MAX_NESTING), at the token where it
/// passed it.
fn too_deeply_nested(file: &Arc<SourceFile>, at: std::ops::Range<usize>) -> Diagnostic {
    let mut d = Diagnostic::new(
        "too_deeply_nested",
        Severity::Error,
        Span::new(file.clone(), at),
        format!("`{}` is nested too deeply to check", file.path.display()),
    );
    d.label("the nesting passes the limit here");
    d.note(format!(
        "cargo twelve checks code nested up to {} levels (tokens of one expression or type, plus \
         brackets); this file was skipped, the other files were checked",
        crate::source::MAX_NESTING
    ));
    d
}

/// [`check_file`], with a panic turned into an internal error naming the
/// file: the other files are still checked.
fn check_file_guarded(
    job: &Job,
    pcx: &PackageCx,
    workspace_root: &Path,
    confine: &Path,
    options: &Options,
    cached: Option<(&cache::Cache, &cache::Key)>,
) -> FileResult {
    let run = std::panic::AssertUnwindSafe(|| check_file(job, pcx, workspace_root, confine, options, cached));
    match std::panic::catch_unwind(run) {
        Ok(result) => result,
        Err(panic) => {
            proc_macro2::extra::invalidate_current_thread_spans();
            let file = Arc::new(SourceFile::new(&job.path, String::new()));
            let mut d = Diagnostic::new(
                "internal_error",
                Severity::Error,
                Span::new(file, 0..0),
                format!(
                    "cargo twelve failed while checking `{}`: {}",
                    job.path.display(),
                    panic_message(panic.as_ref())
                ),
            );
            d.note("this is a bug in cargo twelve; this file was skipped, the other files were checked");
            d.origin = Some(job.origin);
            FileResult {
                context: job.model_only,
                model: Default::default(),
                file: None,
                diagnostics: vec![d],
                facts: Vec::new(),
                masked: None,
                children: Vec::new(),
            }
        }
    }
}

/// `error[twelve::internal_error]`: `rule` panicked on `file` (a package's
/// `Cargo.toml` for its package-level check).
pub(crate) fn rule_failed(rule: &str, file: &Arc<SourceFile>, message: &str) -> Diagnostic {
    let mut d = Diagnostic::new(
        "internal_error",
        Severity::Error,
        Span::new(file.clone(), 0..0),
        format!("rule `twelve::{rule}` failed on `{}`: {message}", file.path.display()),
    );
    d.note(format!(
        "this is a bug in cargo twelve; `twelve::{rule}` may have missed findings here, the other rules were run"
    ));
    d
}

/// The message a panic was raised with.
pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_string())
}

fn check_file(
    job: &Job,
    pcx: &PackageCx,
    workspace_root: &Path,
    confine: &Path,
    options: &Options,
    cached: Option<(&cache::Cache, &cache::Key)>,
) -> FileResult {
    let mut result = FileResult {
        context: job.model_only,
        model: Default::default(),
        file: None,
        diagnostics: Vec::new(),
        facts: Vec::new(),
        masked: None,
        children: Vec::new(),
    };
    let span = || {
        job.declared_at
            .clone()
            .unwrap_or_else(|| Span::new(Arc::new(SourceFile::new(&job.path, String::new())), 0..0))
    };
    // A target's root outside the workspace (`path = "/proc/self/environ"`).
    if job.declared_at.is_none() && !inside(&job.path, confine) {
        let mut d = Diagnostic::new(
            "module_outside_workspace",
            Severity::Error,
            span(),
            format!("`{}` is outside the workspace: not read", job.path.display()),
        );
        d.origin = Some(job.origin);
        result.diagnostics.push(d);
        return result;
    }
    let cap = options.max_file_size.unwrap_or(crate::source::MAX_FILE_SIZE);
    let file = match timings::time(timings::Phase::Read, || SourceFile::read_capped(&job.path, cap)) {
        Ok(file) => Arc::new(file),
        Err(err) => {
            let code = if err.kind() == std::io::ErrorKind::FileTooLarge {
                "file_too_large"
            } else {
                "unreadable_file"
            };
            let mut d = Diagnostic::new(
                code,
                Severity::Error,
                span(),
                format!("cannot read `{}`: {err}", job.path.display()),
            );
            d.origin = Some(job.origin);
            result.diagnostics.push(d);
            return result;
        }
    };
    result.file = Some(file.clone());
    let excluded = pcx.is_excluded(&job.path, workspace_root);

    let key = cached.map(|(c, package)| (c, c.file_key(package, job, &file.text)));
    if let Some((c, key)) = &key
        && let Some(loaded) = timings::time(timings::Phase::CacheRead, || c.load(key, &file, pcx))
    {
        timings::count_cache(true);
        let cache::LoadedBody { body, facts } = loaded;
        if body.parsed {
            let exports = Arc::new(body.exports.unwrap_or_default());
            let child_hash = cache::child_context_hash(&job.context_hash, &exports);
            let child_context = job.context.child(exports);
            declare_children(
                job,
                &file,
                &body.decls,
                excluded,
                (&child_context, &child_hash),
                workspace_root,
                confine,
                &mut result,
            );
            if !body.redactions.is_empty() && !pcx.show_secrets {
                result.masked = Some(Arc::new(file.masked(&body.redactions)));
            }
        }
        result.diagnostics.extend(body.diagnostics);
        result.facts = facts;
        result.model = body.model;
        return result;
    }

    if key.is_some() {
        timings::count_cache(false);
    }
    let ast = match timings::time(timings::Phase::Parse, || file.parse()) {
        Ok(ast) => std::rc::Rc::new(ast),
        Err(ParseFailure::TooDeep { at }) => {
            let mut d = too_deeply_nested(&file, at);
            d.origin = Some(job.origin);
            result.diagnostics.push(d);
            proc_macro2::extra::invalidate_current_thread_spans();
            return result;
        }
        Err(ParseFailure::Syntax(err)) => {
            let mut found = Vec::new();
            // A file behind a `#[cfg]` may be meant for another configuration,
            // or be a deliberate `compile_error!`-style stub.
            if !excluded && !job.cfg_gated {
                let range = err.span().byte_range();
                let mut d = Diagnostic::new(
                    "parse_error",
                    Severity::Error,
                    Span::new(file.clone(), range),
                    format!("could not parse file: {err}"),
                );
                d.note("this file was skipped; the other files were checked");
                let edition = pcx.package.targets.get(job.origin.target).map(|t| t.raw.edition);
                if edition == Some(cargo_metadata::Edition::E2015) {
                    d.note("cargo twelve reads the Rust 2018+ grammar; this target uses edition 2015");
                }
                d.origin = Some(job.origin);
                found.push(d);
            }
            proc_macro2::extra::invalidate_current_thread_spans();
            if let Some((c, key)) = &key {
                let body = cache::BodyRef {
                    parsed: false,
                    decls: &[],
                    exports: None,
                    diagnostics: &found,
                    facts: &[],
                    model: &result.model,
                    redactions: &[],
                };
                timings::time(timings::Phase::CacheWrite, || c.store(key, &file, &body, pcx));
            }
            result.diagnostics.extend(found);
            return result;
        }
    };

    let pass_started = timings::start();
    let resolver = Resolver::with_context(job.module.clone(), &ast.items, job.context.clone());
    let exports = Arc::new(resolver.exports());
    let child_hash = match key {
        Some(_) => cache::child_context_hash(&job.context_hash, &exports),
        None => [0; 32],
    };
    let child_context = job.context.child(exports.clone());
    let macros_parsed: std::rc::Rc<MacroCache> = Default::default();
    let decls = module_decls(&job.path, job.mod_rs, &ast.items, &macros_parsed);
    declare_children(
        job,
        &file,
        &decls,
        excluded,
        (&child_context, &child_hash),
        workspace_root,
        confine,
        &mut result,
    );

    let mut found = Vec::new();
    let mut redactions = Vec::new();
    if !excluded && !pcx.rules.is_empty() {
        let (pass, reads) = crate::source::reads_of(|| {
            crate::source::with_tree(&file, ast.clone(), || {
                visitor::run(&file, &ast, job, pcx, resolver, macros_parsed)
            })
        });
        // What the pass read besides the file must be in the cache key.
        if cfg!(debug_assertions) && !reads.is_empty() {
            let declared: Vec<PathBuf> = pcx
                .enabled()
                .flat_map(|r| r.file_inputs(&pcx.workspace_root, pcx.package.dir()))
                .collect();
            for read in &reads {
                debug_assert!(
                    declared.contains(read),
                    "the pass over `{}` read `{}`, which no rule lists in `file_inputs`",
                    job.path.display(),
                    read.display()
                );
            }
        }
        found = pass.diagnostics;
        result.facts = pass.facts;
        result.model = pass.model;
        if !pass.redactions.is_empty() && !pcx.show_secrets {
            result.masked = Some(Arc::new(file.masked(&pass.redactions)));
        }
        redactions = pass.redactions;
        suppress::apply(&file, &mut found, options.report_unused_suppressions, &pcx.known);
        for d in &mut found {
            d.origin = Some(job.origin);
        }
    }
    timings::since(timings::Phase::Pass, pass_started);
    drop(ast);
    proc_macro2::extra::invalidate_current_thread_spans();
    if let Some((c, key)) = &key {
        let body = cache::BodyRef {
            parsed: true,
            decls: &decls,
            exports: Some(&exports),
            diagnostics: &found,
            facts: &result.facts,
            model: &result.model,
            redactions: &redactions,
        };
        timings::time(timings::Phase::CacheWrite, || c.store(key, &file, &body, pcx));
    }
    result.diagnostics.extend(found);
    result
}

/// Whether git ignores a module file that does not exist: a file the
/// build generates.
fn generated(path: &Path) -> bool {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return false;
    };
    dir.is_dir() && matches!(crate::manifest::git_ignored(dir, name), Some(Some(_)))
}

/// The child module files of `file` as jobs, and the errors of the
/// declarations whose file is missing or outside the workspace.
#[allow(clippy::too_many_arguments)]
fn declare_children(
    job: &Job,
    file: &Arc<SourceFile>,
    decls: &[crate::workspace::ModuleDecl],
    excluded: bool,
    (child_context, child_hash): (&crate::resolve::Context, &cache::Key),
    workspace_root: &Path,
    confine: &Path,
    result: &mut FileResult,
) {
    for decl in decls {
        let span = Span::new(file.clone(), decl.span.clone());
        match &decl.file {
            // `#[path = "/proc/self/environ"] mod x;`, a symlink out of the
            // tree: never read, so never shown.
            Ok(path) if !inside(path, confine) => {
                let name = decl.relative_module.last().cloned().unwrap_or_default();
                let mut d = Diagnostic::new(
                    "module_outside_workspace",
                    Severity::Error,
                    span,
                    format!(
                        "the file of module `{name}` is outside the workspace: `{}`",
                        path.display()
                    ),
                );
                d.label("declared here");
                d.note("cargo twelve reads only files inside the workspace; this module was not checked");
                d.origin = Some(job.origin);
                result.diagnostics.push(d);
            }
            Ok(path) => {
                let mut module = job.module.clone();
                module.extend(decl.relative_module.iter().cloned());
                result.children.push(Job {
                    path: path.clone(),
                    model_only: job.model_only,
                    origin: job.origin,
                    module,
                    mod_rs: decl.mod_rs,
                    test: job.test || decl.test,
                    kind: job.kind,
                    cfg_gated: job.cfg_gated || decl.cfg_gated,
                    off_platform: job.off_platform || decl.off_platform,
                    context: child_context.clone(),
                    declared_at: Some(span),
                    context_hash: *child_hash,
                });
            }
            // `mod version;` whose file the repository ignores: written by
            // the build script (rustdesk's `src/version.rs`), not missing.
            Err(tried) if tried.iter().any(|p| generated(p)) => {}
            Err(tried) if !decl.cfg_gated && !job.cfg_gated && !job.test && !excluded => {
                let name = decl.relative_module.last().cloned().unwrap_or_default();
                let mut d = Diagnostic::new(
                    "module_not_found",
                    Severity::Error,
                    span,
                    format!("file not found for module `{name}`"),
                );
                d.label("declared here");
                let tried: Vec<String> = tried
                    .iter()
                    .map(|p| format!("`{}`", p.strip_prefix(workspace_root).unwrap_or(p).display()))
                    .collect();
                d.help(format!("create {}, or remove the declaration", tried.join(" or ")));
                d.origin = Some(job.origin);
                result.diagnostics.push(d);
            }
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_source_reports_a_parse_error() {
        let found = check_source(
            &crate::test_support::package(),
            &Default::default(),
            crate::rules::ALL,
            Path::new("/app/src/lib.rs"),
            "fn broken( {}\n",
            TargetKind::Lib,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].code, "parse_error");
        assert_eq!(found[0].span.start().line, 1);
    }

    crate::declare_rule! {
        /// ### What it does
        /// Reports the initializer of the local passed to `probe(x)`, and
        /// once per package how many probes it saw.
        pub Probe => "probe", crate::factor::Factor::Processes, Warn, fixable: false, options: []
    }

    impl Rule for Probe {
        fn meta(&self) -> &'static RuleMeta {
            &Self::META
        }
        fn check_call(&self, cx: &mut Cx<'_>, call: &Call<'_>) {
            if !call.paths.iter().any(|p| p == "probe") {
                return;
            }
            let Some(syn::Expr::Path(p)) = call.args.first() else {
                return;
            };
            let name = p.path.get_ident().unwrap().to_string();
            let init = cx.local_init(&name).map(|e| cx.span(e).snippet().to_string());
            let span = cx.span(call.expr);
            cx.report(span.clone(), format!("{init:?}"));
            cx.record(span, ());
        }
        fn check_package(&self, cx: &mut PackageReport<'_>, facts: &[Fact]) {
            let span = facts[0].span.clone();
            cx.report(span, format!("{} probes", facts.len()));
        }
    }

    #[test]
    fn local_init_is_the_latest_binding_of_the_function() {
        let src = r#"
fn a() { let x = 1; let x = "0.0.0.0:80"; probe(x); }
fn b() { probe(x); let y = (1, 2); probe(y); }
"#;
        let found = check_source(
            &crate::test_support::package(),
            &Default::default(),
            &[&Probe],
            Path::new("/app/src/lib.rs"),
            src,
            TargetKind::Lib,
        );
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            ["3 probes", r#"Some("\"0.0.0.0:80\"")"#, "None", "Some(\"(1, 2)\")"]
        );
    }
}

#[cfg(test)]
mod robustness {
    use super::*;

    crate::declare_rule! {
        /// ### What it does
        /// Panics at a call of `boom()`, and in its package-level check when
        /// the package has one; reports every call of `ok()`.
        pub Fragile => "fragile", crate::factor::Factor::Processes, Warn, fixable: false, options: []
    }

    impl Rule for Fragile {
        fn meta(&self) -> &'static RuleMeta {
            &Self::META
        }
        fn check_call(&self, cx: &mut Cx<'_>, call: &Call<'_>) {
            if call.is(&["boom"]) {
                panic!("boom at a call");
            }
            if call.is(&["ok"]) {
                let span = cx.span(call.expr);
                cx.report(span.clone(), "ok");
                cx.record(span, ());
            }
        }
        fn check_package(&self, _cx: &mut PackageReport<'_>, facts: &[Fact]) {
            if facts.len() > 2 {
                panic!("too many oks");
            }
        }
    }

    crate::declare_rule! {
        /// ### What it does
        /// Reports every call of `boom()` and `ok()`.
        pub Steady => "steady", crate::factor::Factor::Processes, Warn, fixable: false, options: []
    }

    impl Rule for Steady {
        fn meta(&self) -> &'static RuleMeta {
            &Self::META
        }
        fn check_call(&self, cx: &mut Cx<'_>, call: &Call<'_>) {
            if call.is(&["boom"]) || call.is(&["ok"]) {
                let span = cx.span(call.expr);
                cx.report(span, "steady");
            }
        }
    }

    fn codes_and_messages(found: &[Diagnostic]) -> Vec<String> {
        let mut out: Vec<String> = found
            .iter()
            .map(|d| {
                let file = d
                    .span
                    .path()
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_string();
                format!("{file} {}: {}", d.code, d.message)
            })
            .collect();
        out.sort();
        out
    }

    /// A panic in one rule on one file is an internal error naming the rule
    /// and the file; the rule still runs on the other files, and the other
    /// rules on this one.
    #[test]
    fn a_panicking_rule_is_reported_and_the_run_goes_on() {
        let outcome = crate::test_support::check_workspace(
            &[&Fragile, &Steady],
            &[
                (
                    "Cargo.toml",
                    "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
                ),
                (
                    "src/lib.rs",
                    "mod a;\nmod b;\nmod c;\npub fn f() { ok(); boom(); ok(); }\n",
                ),
                ("src/a.rs", "pub fn f() { ok(); }\n"),
                ("src/b.rs", "pub fn f() { boom(); }\n"),
                ("src/c.rs", "pub fn f() { ok(); ok(); }\n"),
            ],
        );
        let found = codes_and_messages(&outcome.diagnostics);
        let internal: Vec<&String> = found.iter().filter(|m| m.contains("internal_error")).collect();
        assert_eq!(internal.len(), 3, "{found:#?}");
        assert!(
            internal.iter().any(|m| m.starts_with("lib.rs")
                && m.contains("rule `twelve::fragile` failed on `")
                && m.ends_with("boom at a call")),
            "{found:#?}"
        );
        assert!(
            internal
                .iter()
                .any(|m| m.starts_with("b.rs") && m.contains("src/b.rs`")),
            "{found:#?}"
        );
        // The package-level check panicked too (4 oks recorded).
        assert!(
            internal
                .iter()
                .any(|m| m.starts_with("Cargo.toml") && m.ends_with("too many oks")),
            "{found:#?}"
        );
        // `fragile` reported what it saw before the panic and in the other
        // files; `steady` saw everything.
        assert_eq!(
            found.iter().filter(|m| m.ends_with("fragile: ok")).count(),
            4,
            "{found:#?}"
        );
        assert_eq!(
            found.iter().filter(|m| m.ends_with("steady: steady")).count(),
            7,
            "{found:#?}"
        );
    }

    /// The same on the single-file path.
    #[test]
    fn a_panicking_rule_in_one_file_is_an_internal_error() {
        let found = check_source(
            &crate::test_support::package(),
            &Default::default(),
            &[&Fragile, &Steady],
            Path::new("/app/src/lib.rs"),
            "fn f() { boom(); ok(); }\n",
            TargetKind::Lib,
        );
        let found = codes_and_messages(&found);
        assert_eq!(
            found,
            [
                "lib.rs internal_error: rule `twelve::fragile` failed on `/app/src/lib.rs`: boom at a call",
                "lib.rs steady: steady",
                "lib.rs steady: steady",
            ]
        );
    }

    fn nested(open: &str, mid: &str, close: &str, depth: usize) -> String {
        format!("{}{mid}{}", open.repeat(depth), close.repeat(depth))
    }

    /// What rustc compiles is checked, on a thread of the single-file path:
    /// generics, blocks and parentheses 3,000 deep.
    #[test]
    fn deep_nesting_is_checked_on_the_single_file_path() {
        let sources = [
            format!("pub type T = {};\n", nested("Vec<", "u8", ">", 3000)),
            format!("pub fn f() {{ let _ = {}; }}\n", nested("{ ", "1", " }", 3000)),
            format!("pub fn f() {{ let _ = {}; }}\n", nested("(", "1", ")", 3000)),
        ];
        for src in sources {
            let found = check_source(
                &crate::test_support::package(),
                &Default::default(),
                crate::rules::ALL,
                Path::new("/app/src/lib.rs"),
                &src,
                TargetKind::Lib,
            );
            assert!(found.is_empty(), "{:?}", codes_and_messages(&found));
        }
    }

    /// Past the limit: `too_deeply_nested` naming the file, and the other
    /// files of the crate are checked (on rayon's threads).
    #[test]
    fn too_deep_is_reported_and_the_other_files_are_checked() {
        let deep = format!(
            "pub fn f() {{ let _ = {}; }}\n",
            nested("!", "x", "", crate::source::MAX_NESTING + 10)
        );
        let generics = format!("pub type T = {};\n", nested("Vec<", "u8", ">", 3000));
        let blocks = format!("pub fn f() {{ let _ = {}; }}\n", nested("{ ", "1", " }", 3000));
        let parens = format!("pub fn f() {{ let _ = {}; }}\n", nested("(", "1", ")", 3000));
        let outcome = crate::test_support::check_workspace(
            &[&Steady],
            &[
                (
                    "Cargo.toml",
                    "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
                ),
                (
                    "src/lib.rs",
                    "mod deep;\nmod g;\nmod b;\nmod p;\npub fn f() { ok(); }\n",
                ),
                ("src/deep.rs", &deep),
                ("src/g.rs", &generics),
                ("src/b.rs", &blocks),
                ("src/p.rs", &parens),
            ],
        );
        let found = codes_and_messages(&outcome.diagnostics);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(
            found[0].starts_with("deep.rs too_deeply_nested: `")
                && found[0].contains("src/deep.rs` is nested too deeply"),
            "{found:#?}"
        );
        assert_eq!(found[1], "lib.rs steady: steady");
        // Read, not parsed.
        assert_eq!(outcome.files, 5);
        let d = outcome
            .diagnostics
            .iter()
            .find(|d| d.code == "too_deeply_nested")
            .unwrap();
        assert_eq!(d.severity, Severity::Error);
    }
}

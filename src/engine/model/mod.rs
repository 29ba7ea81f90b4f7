//! The workspace service model: what a deployed service runs.
//!
//! The single pass records, per file, every function (and `static`/`const`
//! initializer) with its canonical path, the calls and paths it names into
//! workspace crates, `pub use` re-exports, `match` arms that dispatch
//! subcommands, and the markers of a long-running process (serve calls,
//! listener loops, queue consumers, endless loops). [`Model::build`] joins
//! them for the whole workspace, finds the entry points (each binary's
//! `main`, and each subcommand a binary dispatches), classifies each as a
//! service, a one-shot program or a dev tool, and walks the calls from every
//! service entry point. Rules scoped to services report only code that walk
//! reaches.

pub mod markers;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet, VecDeque};

pub use markers::{Defaults, Family, Marker};

use crate::diagnostic::{Origin, Span};
use crate::workspace::{Package, TargetKind};

/// What the callee of an edge may be.
#[derive(Debug, Clone)]
pub enum Callee {
    /// Canonical candidates of a path into a workspace crate: a function
    /// called or passed by name, a `static` read, a type constructed.
    Paths(Vec<String>),
    /// A method: its name, and the receiver's type when the syntax says
    /// (`self.run()` inside an `impl`).
    Method { name: String, ty: Option<String> },
}

/// A function, `static` or `const` of the workspace.
#[derive(Debug, Clone)]
pub struct Node {
    pub path: String,
    pub origin: Origin,
    pub span: Span,
    /// The byte range of the whole item (or `match` arm) in its file.
    pub extent: std::ops::Range<usize>,
    /// `Some` for a binary's `main` (or Rocket's `#[launch]` function):
    /// whether its attributes promise a service (`#[launch]`,
    /// `#[shuttle_runtime::main]`).
    pub main: Option<bool>,
}

/// A call or path from `from` (a node's path) to `to`.
#[derive(Debug, Clone)]
pub struct Edge {
    pub from: String,
    pub to: Callee,
    pub span: Span,
    /// The innermost dispatching `match` arm around it (file-local index
    /// while recorded, model-wide after [`Model::build`]).
    pub arm: Option<usize>,
}

/// A marker of a long-running process, in function `owner`.
#[derive(Debug, Clone)]
pub struct MarkerAt {
    pub owner: String,
    pub marker: Marker,
    pub span: Span,
    pub arm: Option<usize>,
}

/// What a dispatching `match` arm selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArmLabel {
    /// `Commands::Serve(args) =>`: the enum's canonical candidates and the
    /// variant.
    Variant { enums: Vec<String>, variant: String },
    /// `Some(("serve", m)) =>` on `matches.subcommand()`.
    Name(String),
}

#[derive(Debug, Clone)]
pub struct Arm {
    pub label: ArmLabel,
    pub parent: Option<usize>,
}

/// What the pass records about one file.
#[derive(Debug, Default)]
pub struct FileFacts {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub markers: Vec<MarkerAt>,
    pub arms: Vec<Arm>,
    /// Enums that derive clap's `Subcommand` (or argh/structopt's).
    pub subcommand_enums: Vec<String>,
    /// `pub use` re-exports: the path it makes, and what it names.
    pub aliases: Vec<(String, Vec<String>)>,
}

/// What an entry point is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// Serves HTTP/gRPC, loops over a listener, consumes a queue or loops
    /// forever: the deployed process.
    Service,
    /// A CLI, an admin task, a code generator: runs and exits.
    OneShot,
    /// Test support, xtask, bench or example code.
    DevTool,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::OneShot => "one-shot",
            Self::DevTool => "dev tool",
        }
    }
}

/// An entry point: a binary's `main`, or one subcommand it dispatches.
#[derive(Debug, Clone)]
pub struct Entry {
    /// `server`, or `server serve` for a subcommand.
    pub name: String,
    pub binary: String,
    pub subcommand: Option<String>,
    pub package: usize,
    pub target: usize,
    /// The canonical path of `main`.
    pub main: String,
    /// The name of `main`, where findings about the entry point go.
    pub main_span: Span,
    pub kind: EntryKind,
    /// Why: the markers it reaches, in source order, or the reason it is a
    /// dev tool or was configured.
    pub evidence: Vec<(Span, Marker)>,
    pub reason: String,
    /// `main`'s attributes promise a service (`#[launch]`).
    pub always: bool,
    /// The dispatch this entry takes: the subcommand enum and variant.
    dispatch: Option<(ArmLabel, usize)>,
}

/// Entry points named in configuration: `services = [..]`,
/// `one_shot = [..]`, `dev_tools = [..]`.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub services: Vec<String>,
    pub one_shot: Vec<String>,
    pub dev_tools: Vec<String>,
}

/// The service model of a run.
#[derive(Debug, Default)]
pub struct Model {
    nodes: HashMap<String, Node>,
    edges: HashMap<String, Vec<usize>>,
    edge_list: Vec<Edge>,
    arms: Vec<Arm>,
    markers: HashMap<String, Vec<usize>>,
    marker_list: Vec<MarkerAt>,
    subcommand_enums: HashSet<String>,
    aliases: HashMap<String, Vec<String>>,
    /// Method nodes by name, for method calls on unknown receivers.
    methods: HashMap<String, Vec<String>>,
    /// Type path to the method nodes of its `impl` blocks.
    types: HashMap<String, Vec<String>>,
    pub entries: Vec<Entry>,
    /// Every node a service entry point reaches: the entry's index and the
    /// node it was reached from.
    service_reach: HashMap<String, (usize, Option<String>)>,
    /// Packages with code that a service runs.
    service_packages: HashSet<usize>,
    /// The node of each dispatching `match` arm and the arm.
    dispatch_arms: HashMap<String, usize>,
    /// Each file's nodes by extent, for findings that do not name theirs.
    by_file: HashMap<std::path::PathBuf, Vec<(std::ops::Range<usize>, String)>>,
}

/// Package names of test-support and developer-tool crates.
fn is_dev_package(name: &str) -> bool {
    let n = name.replace('_', "-");
    n == "xtask"
        || n.starts_with("xtask-")
        || [
            "-test-support",
            "-testing",
            "-test-utils",
            "-test-util",
            "-fixtures",
            "-test-helpers",
            "-bench",
            "-benches",
            "-xtask",
        ]
        .iter()
        .any(|s| n.ends_with(s))
        || ["test-helpers", "test-utils", "test-support", "testing"].contains(&n.as_str())
}

/// clap's name for a variant: `ExportSchema` is `export-schema`.
fn kebab(ident: &str) -> String {
    let mut out = String::new();
    for (i, c) in ident.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn is_type_segment(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase())
}

impl Model {
    /// Joins the facts of every file and classifies the entry points.
    pub fn build(packages: &[&Package], files: Vec<FileFacts>, overrides: &Overrides) -> Self {
        let mut m = Model::default();
        for file in files {
            let base = m.arms.len();
            m.arms.extend(file.arms.into_iter().map(|mut a| {
                a.parent = a.parent.map(|p| p + base);
                a
            }));
            for node in file.nodes {
                m.nodes.entry(node.path.clone()).or_insert(node);
            }
            for mut e in file.edges {
                e.arm = e.arm.map(|a| a + base);
                if let (Callee::Paths(p), Some(arm)) = (&e.to, e.arm)
                    && let [node] = p.as_slice()
                    && node.contains("::#")
                {
                    m.dispatch_arms.insert(node.clone(), arm);
                }
                m.edges.entry(e.from.clone()).or_default().push(m.edge_list.len());
                m.edge_list.push(e);
            }
            for mut mk in file.markers {
                mk.arm = mk.arm.map(|a| a + base);
                m.markers.entry(mk.owner.clone()).or_default().push(m.marker_list.len());
                m.marker_list.push(mk);
            }
            m.subcommand_enums.extend(file.subcommand_enums);
            for (from, to) in file.aliases {
                m.aliases.entry(from).or_default().extend(to);
            }
        }
        for path in m.nodes.keys() {
            if let Some((parent, name)) = path.rsplit_once("::")
                && parent.rsplit("::").next().is_some_and(is_type_segment)
            {
                m.methods.entry(name.to_string()).or_default().push(path.clone());
                m.types.entry(parent.to_string()).or_default().push(path.clone());
            }
        }
        for list in m.methods.values_mut().chain(m.types.values_mut()) {
            list.sort();
        }
        for node in m.nodes.values() {
            m.by_file
                .entry(node.span.path().to_path_buf())
                .or_default()
                .push((node.extent.clone(), node.path.clone()));
        }
        m.find_entries(packages, overrides);
        m.walk_services();
        m
    }

    /// The nodes a callee may be, through re-exports and `impl` blocks.
    fn targets(&self, callee: &Callee, out: &mut Vec<String>) {
        match callee {
            Callee::Paths(paths) => {
                for p in paths {
                    self.resolve_path(p, out, 0);
                }
            }
            Callee::Method { name, ty } => {
                if let Some(ty) = ty {
                    let exact = format!("{ty}::{name}");
                    if self.nodes.contains_key(&exact) {
                        out.push(exact);
                        return;
                    }
                }
                out.extend(self.methods.get(name).into_iter().flatten().cloned());
            }
        }
    }

    fn resolve_path(&self, path: &str, out: &mut Vec<String>, depth: usize) {
        if self.nodes.contains_key(path) {
            out.push(path.to_string());
            return;
        }
        if let Some(methods) = self.types.get(path) {
            out.extend(methods.iter().cloned());
            return;
        }
        if depth > 4 {
            return;
        }
        // `app::api::run` where `pub use inner as api;` or
        // `pub use inner::run;` in `app`.
        let mut at = path.len();
        while let Some(i) = path[..at].rfind("::") {
            let (prefix, rest) = (&path[..at], &path[at..]);
            if let Some(targets) = self.aliases.get(prefix) {
                for t in targets {
                    self.resolve_path(&format!("{t}{rest}"), out, depth + 1);
                }
                return;
            }
            at = i;
        }
    }

    /// The dispatching arm of `arm`'s chain that selects a subcommand: the
    /// outermost one whose label is a subcommand.
    fn subcommand_arm(&self, mut arm: Option<usize>) -> Option<usize> {
        let mut found = None;
        while let Some(a) = arm {
            if self.is_subcommand(&self.arms[a].label) {
                found = Some(a);
            }
            arm = self.arms[a].parent;
        }
        found
    }

    fn is_subcommand(&self, label: &ArmLabel) -> bool {
        match label {
            ArmLabel::Name(_) => true,
            ArmLabel::Variant { enums, .. } => enums.iter().any(|e| self.subcommand_enums.contains(e)),
        }
    }

    fn same_enum(a: &ArmLabel, b: &ArmLabel) -> bool {
        match (a, b) {
            (ArmLabel::Name(_), ArmLabel::Name(_)) => true,
            (ArmLabel::Variant { enums: x, .. }, ArmLabel::Variant { enums: y, .. }) => x.iter().any(|e| y.contains(e)),
            _ => false,
        }
    }

    /// Whether an edge or marker in `arm` runs for `dispatch`.
    fn in_dispatch(&self, arm: Option<usize>, dispatch: Option<&(ArmLabel, usize)>) -> bool {
        let Some((chosen, _)) = dispatch else { return true };
        match self.subcommand_arm(arm) {
            None => true,
            Some(a) => {
                let label = &self.arms[a].label;
                !Self::same_enum(label, chosen) || label == chosen
            }
        }
    }

    /// Breadth-first from `root`: every node reached, with the node it was
    /// reached from, following edges `follow` accepts.
    fn walk(
        &self,
        root: &str,
        dispatch: Option<&(ArmLabel, usize)>,
        follow: &dyn Fn(&Edge) -> bool,
    ) -> HashMap<String, Option<String>> {
        let mut seen: HashMap<String, Option<String>> = HashMap::new();
        let mut queue = VecDeque::new();
        seen.insert(root.to_string(), None);
        queue.push_back(root.to_string());
        let mut next = Vec::new();
        while let Some(f) = queue.pop_front() {
            // A method reached means its type is in use: its other methods
            // (trait impls the framework calls) run too.
            if let Some((ty, _)) = f.rsplit_once("::")
                && let Some(methods) = self.types.get(ty)
            {
                for m in methods {
                    if !seen.contains_key(m) {
                        seen.insert(m.clone(), Some(f.clone()));
                        queue.push_back(m.clone());
                    }
                }
            }
            for &ei in self.edges.get(&f).into_iter().flatten() {
                let edge = &self.edge_list[ei];
                if !self.in_dispatch(edge.arm, dispatch) || !follow(edge) {
                    continue;
                }
                next.clear();
                self.targets(&edge.to, &mut next);
                for n in next.drain(..) {
                    if !seen.contains_key(&n) {
                        seen.insert(n.clone(), Some(f.clone()));
                        queue.push_back(n);
                    }
                }
            }
        }
        seen
    }

    /// The subcommands a binary dispatches from `main`: the variants of
    /// the first subcommand `match` its calls reach.
    fn dispatches(&self, main: &str) -> Vec<(ArmLabel, usize)> {
        let reach = self.walk(main, None, &|_| true);
        let mut arms: Vec<usize> = Vec::new();
        for f in reach.keys() {
            for &ei in self.edges.get(f).into_iter().flatten() {
                arms.extend(self.subcommand_arm(self.edge_list[ei].arm));
            }
            for &mi in self.markers.get(f).into_iter().flatten() {
                arms.extend(self.subcommand_arm(self.marker_list[mi].arm));
            }
        }
        arms.sort();
        arms.dedup();
        let Some(&first) = arms.first() else { return Vec::new() };
        let top = self.arms[first].label.clone();
        let mut out: Vec<(ArmLabel, usize)> = Vec::new();
        for a in arms {
            let label = &self.arms[a].label;
            if Self::same_enum(label, &top) && !out.iter().any(|(l, _)| l == label) {
                out.push((label.clone(), a));
            }
        }
        out
    }

    fn find_entries(&mut self, packages: &[&Package], overrides: &Overrides) {
        let dev_only = dev_only_packages(packages);
        let mut mains: Vec<&Node> = self.nodes.values().filter(|n| n.main.is_some()).collect();
        mains.sort_by_key(|n| (n.origin.package, n.origin.target, n.path.clone()));
        let mut entries = Vec::new();
        let mut done: HashSet<(usize, usize)> = HashSet::new();
        for node in mains {
            let (pi, ti) = (node.origin.package, node.origin.target);
            // `#[cfg(..)] fn main` twice: one binary.
            if !done.insert((pi, ti)) {
                continue;
            }
            let Some(package) = packages.get(pi) else { continue };
            let Some(target) = package.targets.get(ti) else {
                continue;
            };
            if target.kind != TargetKind::Bin {
                continue;
            }
            let dispatches = self.dispatches(&node.path);
            let choices: Vec<Option<(ArmLabel, usize)>> = if dispatches.is_empty() {
                vec![None]
            } else {
                dispatches.into_iter().map(Some).collect()
            };
            for dispatch in choices {
                let subcommand = dispatch.as_ref().map(|(l, _)| match l {
                    ArmLabel::Variant { variant, .. } => kebab(variant),
                    ArmLabel::Name(n) => n.clone(),
                });
                let name = match &subcommand {
                    Some(s) => format!("{} {s}", target.name),
                    None => target.name.clone(),
                };
                let reach = self.walk(&node.path, dispatch.as_ref(), &|_| true);
                let mut evidence: Vec<(Span, Marker)> = Vec::new();
                for f in reach.keys() {
                    for &mi in self.markers.get(f).into_iter().flatten() {
                        let mk = &self.marker_list[mi];
                        if self.in_dispatch(mk.arm, dispatch.as_ref()) {
                            evidence.push((mk.span.clone(), mk.marker.clone()));
                        }
                    }
                }
                evidence.sort_by(|a, b| (a.0.path(), a.0.range.start).cmp(&(b.0.path(), b.0.range.start)));
                let always = node.main == Some(true);
                let named = |list: &[String]| {
                    list.iter().any(|n| {
                        *n == name
                            || *n == target.name
                            || *n == package.name
                            || subcommand.as_deref() == Some(n.as_str())
                    })
                };
                let (kind, reason) = if named(&overrides.services) {
                    (EntryKind::Service, "configured in `services`".to_string())
                } else if named(&overrides.one_shot) {
                    (EntryKind::OneShot, "configured in `one_shot`".to_string())
                } else if named(&overrides.dev_tools) {
                    (EntryKind::DevTool, "configured in `dev_tools`".to_string())
                } else if is_dev_package(&package.name) {
                    (
                        EntryKind::DevTool,
                        format!("package `{}` is a developer tool", package.name),
                    )
                } else if dev_only.contains(&package.name) {
                    (
                        EntryKind::DevTool,
                        format!("package `{}` is only a dev-dependency of other members", package.name),
                    )
                } else if let Some((_, first)) = evidence.first() {
                    (EntryKind::Service, format!("runs {}", first.what))
                } else if always {
                    (EntryKind::Service, "its `main` attribute starts a service".to_string())
                } else {
                    (
                        EntryKind::OneShot,
                        "no serve call, listener loop, consumer or endless loop".to_string(),
                    )
                };
                entries.push(Entry {
                    name,
                    binary: target.name.clone(),
                    subcommand,
                    package: pi,
                    target: ti,
                    main: node.path.clone(),
                    main_span: node.span.clone(),
                    kind,
                    evidence,
                    reason,
                    always,
                    dispatch,
                });
            }
        }
        self.entries = entries;
    }

    fn walk_services(&mut self) {
        let mut all: HashMap<String, (usize, Option<String>)> = HashMap::new();
        for (i, e) in self.entries.iter().enumerate() {
            if e.kind != EntryKind::Service {
                continue;
            }
            for (node, parent) in self.walk(&e.main, e.dispatch.as_ref(), &|_| true) {
                all.entry(node).or_insert((i, parent));
            }
        }
        self.service_packages = all
            .keys()
            .filter_map(|n| self.nodes.get(n))
            .map(|n| n.origin.package)
            .collect();
        self.service_reach = all;
    }

    /// The entry points of the workspace.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The nodes `entry` reaches, following the edges `follow` accepts:
    /// `startup_migration` leaves out calls behind a flag.
    pub fn reach(&self, entry: &Entry, follow: &dyn Fn(&Span) -> bool) -> HashSet<String> {
        self.walk(&entry.main, entry.dispatch.as_ref(), &|e| follow(&e.span))
            .into_keys()
            .collect()
    }

    /// Whether a service runs node `item`, with the service entry point and
    /// the call path to it: `main → app::run → app::storage::save`.
    pub fn service_path(&self, item: &str) -> Option<(&Entry, Vec<String>)> {
        let (entry, _) = self.service_reach.get(item)?;
        let mut path = vec![item.to_string()];
        let mut at = item;
        while let Some((_, Some(parent))) = self.service_reach.get(at) {
            if path.len() > 32 || path.contains(parent) {
                break;
            }
            path.push(parent.clone());
            at = parent;
        }
        path.reverse();
        // Dispatching arms are nodes of their own, not worth a hop.
        path.retain(|p| !p.contains("::#"));
        Some((&self.entries[*entry], path))
    }

    /// Whether some service runs code of this package.
    pub fn serves_package(&self, package: usize) -> bool {
        self.service_packages.contains(&package)
    }

    /// The innermost node whose code holds `span`: for findings a rule
    /// reports from its package-level check.
    pub fn locate(&self, span: &Span) -> Option<&str> {
        self.by_file
            .get(span.path())?
            .iter()
            .filter(|(r, _)| r.start <= span.range.start && span.range.end <= r.end)
            .min_by_key(|(r, _)| r.end - r.start)
            .map(|(_, p)| p.as_str())
    }

    /// Whether `node` (a `match` arm's node) selects a subcommand.
    pub fn is_dispatch_arm(&self, node: &str) -> bool {
        self.dispatch_arms
            .get(node)
            .is_some_and(|&a| self.is_subcommand(&self.arms[a].label))
    }

    /// Whether any entry point is a service.
    pub fn has_service(&self) -> bool {
        self.entries.iter().any(|e| e.kind == EntryKind::Service)
    }
}

/// Members that other members depend on only as a dev-dependency: test
/// support.
fn dev_only_packages(packages: &[&Package]) -> HashSet<String> {
    let mut normal: HashSet<&str> = HashSet::new();
    let mut dev: HashSet<&str> = HashSet::new();
    for p in packages {
        for d in &p.dependencies {
            if d.kind == cargo_metadata::DependencyKind::Development {
                dev.insert(d.name.as_str());
            } else {
                normal.insert(d.name.as_str());
            }
        }
    }
    packages
        .iter()
        .filter(|p| dev.contains(p.name.as_str()) && !normal.contains(p.name.as_str()))
        .map(|p| p.name.clone())
        .collect()
}

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

use std::collections::VecDeque;

// Millions of path strings are hashed while the model is built.
use foldhash::{HashMap, HashMapExt as _, HashSet, HashSetExt as _};

pub use markers::{Defaults, Family, Marker};

use crate::diagnostic::{Origin, Span};
use crate::workspace::{Package, TargetKind};

/// What the callee of an edge may be.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum Callee {
    /// Canonical candidates of a path into a workspace crate: a function
    /// called or passed by name, a `static` read, a type constructed.
    Paths(Vec<String>),
    /// A method: its name, and the receiver's type when the syntax says
    /// (`self.run()` inside an `impl`).
    Method { name: String, ty: Option<String> },
}

/// A function, `static` or `const` of the workspace.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
    /// A method of a trait `impl`: code a framework may call once it holds
    /// a value of the type.
    pub trait_impl: bool,
}

/// A call or path from `from` (a node's path) to `to`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Edge {
    pub from: String,
    pub to: Callee,
    pub span: Span,
    /// The innermost dispatching `match` arm around it (file-local index
    /// while recorded, model-wide after [`Model::build`]).
    pub arm: Option<usize>,
    /// In a branch that configuration switches on (`if config.json_db`).
    pub opt_in: bool,
}

/// A marker of a long-running process, in function `owner`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MarkerAt {
    pub owner: String,
    pub marker: Marker,
    pub span: Span,
    pub arm: Option<usize>,
}

/// What a dispatching `match` arm selects.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ArmLabel {
    /// `Commands::Serve(args) =>`: the enum's canonical candidates and the
    /// variant.
    Variant { enums: Vec<String>, variant: String },
    /// `Some(("serve", m)) =>` on `matches.subcommand()`.
    Name(String),
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Arm {
    pub label: ArmLabel,
    pub parent: Option<usize>,
    /// The `else` of an `if let`: it runs for every way but `label`.
    pub except: bool,
}

/// What the pass records about one file.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct FileFacts {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub markers: Vec<MarkerAt>,
    pub arms: Vec<Arm>,
    /// Enums that derive clap's `Subcommand` (or argh/structopt's).
    pub subcommand_enums: Vec<String>,
    /// `Enum::Variant` paths whose attribute names the subcommand.
    pub subcommand_names: Vec<(String, String)>,
    /// `Enum::Variant` paths of `#[command(flatten)]` variants, whose own
    /// enum's subcommands are the binary's, and of
    /// `#[command(external_subcommand)]` ones, which name none.
    pub subcommand_flattened: Vec<String>,
    pub subcommand_external: Vec<String>,
    /// What a binary's root module's clap struct says it is, by package
    /// and target: its `about` or doc comment.
    pub about: Vec<((usize, usize), String)>,
    /// TCP listeners bound to a port the system picks, and to any other: a
    /// file whose binds are all ephemeral runs listener loops nobody
    /// outside the process can find.
    pub ephemeral_binds: usize,
    pub other_binds: usize,
    /// Unix socket listeners: a file that binds only those serves its host.
    pub unix_binds: usize,
    /// `pub use` re-exports: the path it makes, and what it names.
    pub aliases: Vec<(String, Vec<String>)>,
    /// Byte ranges of code compiled out on the deploy platform
    /// (`#[cfg(windows)]`), outermost only; the whole file when its module
    /// is.
    pub off_platform: Vec<Span>,
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
    /// For a service whose job is data on disk, a database or a file
    /// server: what it is and why (a database: `segment` depends on
    /// `rocksdb`).
    pub keeps_data: Option<String>,
    /// The dispatch this entry takes: the subcommand enum and variant.
    dispatch: Option<Dispatch>,
}

/// Which way through a binary's subcommand dispatch an entry goes.
#[derive(Debug, Clone)]
enum Dispatch {
    /// The arms with this label.
    Arm(ArmLabel),
    /// The arms with the last label, inside those of the first ones: a
    /// subcommand of a `#[command(flatten)]` variant's enum (atuin's
    /// `Client(client::Cmd)`, whose `Daemon` is `atuin daemon`), flattened
    /// again perhaps (`Client`, then `Sync(sync::Cmd)`, then `Login`).
    Through(Vec<ArmLabel>, ArmLabel),
    /// No arm of this label's enum: the binary run without a subcommand
    /// (`None =>`, `_ =>`, or the code after an `if let` that returns).
    Default(ArmLabel),
}

/// Entry points named in configuration: `services = [..]`,
/// `one_shot = [..]`, `dev_tools = [..]`.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub services: Vec<String>,
    pub one_shot: Vec<String>,
    pub dev_tools: Vec<String>,
}

/// Index of a node in the model.
type Id = u32;
const NONE: Id = Id::MAX;

/// What an edge reaches, resolved once when the model is built.
#[derive(Debug, Clone)]
enum Targets {
    Nodes(Vec<Id>),
    /// A method on a receiver the syntax does not name: every method of a
    /// workspace type with this name (an index into `method_lists`).
    Methods(usize),
}

/// The nodes an entry point reaches: each with the node it was reached
/// from, `NONE` where not reached.
#[derive(Debug, Clone)]
pub struct Reach<'m> {
    model: &'m Model,
    parent: std::borrow::Cow<'m, [Id]>,
}

impl Reach<'_> {
    /// Whether the node with this canonical path is reached.
    pub fn contains(&self, path: &str) -> bool {
        self.model
            .ids
            .get(path)
            .is_some_and(|&i| self.parent[i as usize] != NONE)
    }
}

/// The service model of a run.
#[derive(Debug, Default)]
pub struct Model {
    ids: HashMap<String, Id>,
    nodes: Vec<Node>,
    /// Each node's outgoing edges.
    out: Vec<Vec<usize>>,
    edges: Vec<Edge>,
    targets: Vec<Targets>,
    /// Each edge's innermost dispatching arm.
    edge_arm: Vec<Option<usize>>,
    method_lists: Vec<Vec<Id>>,
    /// Each node's `impl` type group, `NONE` for free functions.
    type_of: Vec<Id>,
    type_members: Vec<Vec<Id>>,
    arms: Vec<Arm>,
    /// Whether each arm selects a subcommand.
    arm_is_sub: Vec<bool>,
    /// `sees[a][b]`: code of package `a` can call into package `b` (itself,
    /// or a workspace dependency, transitively).
    sees: Vec<Vec<bool>>,
    markers: Vec<MarkerAt>,
    node_markers: Vec<Vec<usize>>,
    subcommand_enums: HashSet<String>,
    subcommand_names: HashMap<String, String>,
    subcommand_flattened: HashSet<String>,
    subcommand_external: HashSet<String>,
    about: HashMap<(usize, usize), String>,
    pub entries: Vec<Entry>,
    /// What each entry point reaches.
    entry_reach: Vec<Vec<Id>>,
    /// Every node a service entry point reaches: the entry's index and the
    /// node it was reached from.
    service_reach: Vec<(usize, Id)>,
    /// Packages with code that a service runs.
    service_packages: HashSet<usize>,
    /// Nodes a service runs in its default deployment: reached through no
    /// opt-in branch (`if config.json_db`).
    service_default: Vec<bool>,
    /// The node of each dispatching `match` arm and the arm.
    dispatch_arms: HashMap<String, usize>,
    /// Each file's nodes by extent, for findings that do not name theirs.
    by_file: HashMap<std::path::PathBuf, Vec<(std::ops::Range<usize>, Id)>>,
    /// Each file's code compiled out on the deploy platform.
    off_platform: HashMap<std::path::PathBuf, Vec<std::ops::Range<usize>>>,
}

/// Endings of the package names of test-support crates (`_` and `-` alike).
const TEST_SUPPORT_SUFFIXES: &[&str] = &[
    "-test-support",
    "-testing",
    "-test-utils",
    "-test-util",
    "-test-helpers",
    "-fixtures",
    "-testkit",
];

/// Whole package names of test-support and developer-tool crates.
const TEST_SUPPORT_NAMES: &[&str] = &[
    "test-support",
    "testing",
    "test-utils",
    "test-helpers",
    "fixtures",
    "testkit",
    "xtask",
];

/// Whether a package is test support or a developer tool: its code runs in
/// no deployed service.
pub fn is_test_support_package(name: &str) -> bool {
    let name = name.replace('_', "-");
    TEST_SUPPORT_NAMES.contains(&name.as_str()) || TEST_SUPPORT_SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// Whether a module's name says it holds test support (`test_keys`,
/// `test_utils`, `testing`, `fixtures`, `mocks`): code the tests of other
/// crates use, compiled in for them.
pub fn is_test_support_module(name: &str) -> bool {
    name.starts_with("test_")
        || name.ends_with("_tests")
        || ["testing", "tests", "testutil", "testutils", "fixtures", "mock", "mocks"].contains(&name)
}

/// Words of package names that make a developer tool: `fuzzers`,
/// `tests-integration`, `search-benchmarks`, `e2e`.
const DEV_NAME_WORDS: &[&str] = &[
    "xtask",
    "bench",
    "benches",
    "benchmark",
    "benchmarks",
    "fuzz",
    "fuzzer",
    "fuzzers",
    "fuzzing",
    "test",
    "tests",
    "e2e",
    "loadtest",
    "stress",
];

/// What a package's `description` says of a developer tool: "load testing
/// for LDAP", "a suite for benchmarking", "a fuzzer", "a compiler wrapper"
/// (a build tool runs on developers' machines and in CI). A mention of a
/// service's benchmarks ("fast, see the benchmarks") is not one.
const DEV_DESCRIPTION: &str = r"(?i)\b(load[- ]?test(s|ing)?|stress[- ]?test(s|ing)?|soak[- ]?test(s|ing)?|benchmarking|benchmark (suite|harness|tool)s?|fuzz(er|ers|ing)|test (harness|suite|utilities)|compiler (wrapper|cache)|ccache|build (cache|system|tool))\b";

/// Why a package is a developer tool (test support, xtask, bench, fuzz or
/// load-test crates), by its name or its description.
fn dev_package_reason(package: &Package, binary: &str) -> Option<String> {
    static DESCRIPTION: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(DEV_DESCRIPTION).expect("valid regex"));
    let name = &package.name;
    if is_test_support_package(name) || name.replace('_', "-").split('-').any(|w| DEV_NAME_WORDS.contains(&w)) {
        return Some(format!("package `{name}` is a developer tool"));
    }
    // The description tells of the package's own binary; another binary
    // beside it (`sccache-dist` of `sccache`: a build cluster's scheduler)
    // is judged by what it runs.
    let bins = package.targets.iter().filter(|t| t.kind == TargetKind::Bin).count();
    if bins > 1 && binary.replace('_', "-") != name.replace('_', "-") {
        return None;
    }
    let description = package.description.as_deref()?;
    let found = DESCRIPTION.find(description)?;
    Some(format!(
        "package `{name}` is a developer tool: its description says \"{}\"",
        found.as_str()
    ))
}

/// A binary whose clap `about` says it is a test or benchmark tool
/// (qdrant's `model_testing`: "Long-running soak test: random ops against
/// a Collection").
fn dev_about_reason(binary: &str, about: &str) -> Option<String> {
    static ABOUT: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(DEV_DESCRIPTION).expect("valid regex"));
    let found = ABOUT.find(about)?;
    Some(format!(
        "binary `{binary}` is a developer tool: its `about` says \"{}\"",
        found.as_str()
    ))
}

/// Crates of full-screen terminal interfaces and line editors. A program
/// built on one is used at a terminal: a server it starts runs on the
/// user's machine (a web view of a terminal multiplexer, a shell's MCP
/// server), not as a deployed service.
const TERMINAL_UI_CRATES: &[&str] = &[
    "crossterm",
    "termion",
    "termwiz",
    "ratatui",
    "tui",
    "reedline",
    "rustyline",
    "cursive",
    "pancurses",
    "ncurses",
    "linefeed",
];

/// Embedded storage engines and write-ahead logs: a service built on one
/// is a database, a backing service of others, whose data directory is
/// its job. SQL clients and `rusqlite` are not here: an application keeps
/// its state in those.
const STORAGE_ENGINES: &[&str] = &[
    "rocksdb",
    "librocksdb-sys",
    "speedb",
    "heed",
    "lmdb",
    "lmdb-rkv",
    "lmdb-zero",
    "sled",
    "redb",
    "fjall",
    "persy",
    "jammdb",
    "surrealkv",
    "wal",
    "okaywal",
];

/// Consensus crates: a service built on one replicates its own state
/// between its nodes, so its data directory is one replica of a store.
const CONSENSUS_CRATES: &[&str] = &["raft", "openraft", "async-raft", "omnipaxos", "raft-engine"];

/// Module names of code that replicates a store between nodes.
const REPLICATION_MODULES: &[&str] = &["repl", "replication"];

/// Crates that serve a directory's files over HTTP. A service built on one
/// that uses no database is a file server: the directory it serves (and
/// receives uploads into) is its job.
const FILE_SERVER_CRATES: &[&str] = &["actix-files", "hyper-staticfile", "static-web-server"];

/// Database and store clients: an application that has one keeps its
/// state there, and its own files are its own choice.
const DATABASE_CLIENTS: &[&str] = &[
    "diesel",
    "sqlx",
    "sea-orm",
    "rusqlite",
    "sqlite",
    "postgres",
    "tokio-postgres",
    "mysql",
    "mysql_async",
    "redis",
    "mongodb",
    "scylla",
    "elasticsearch",
    "aws-sdk-s3",
    "rust-s3",
    "opendal",
    "object_store",
];

/// The first package an entry point runs code of (its own first) that
/// depends on one of `crates`, and that crate.
fn depends_on<'p>(
    own: &'p Package,
    reached: impl Iterator<Item = &'p Package>,
    crates: &[&str],
) -> Option<(&'p str, &'p str)> {
    std::iter::once(own).chain(reached).find_map(|p| {
        p.dependencies
            .iter()
            .filter(|d| d.kind == cargo_metadata::DependencyKind::Normal)
            .find(|d| crates.contains(&d.name.as_str()))
            .map(|d| (p.name.as_str(), d.name.as_str()))
    })
}

/// How many calls from its walk's root a reached node is.
fn depth(parent: &[Id], mut node: Id) -> usize {
    let mut steps = 0;
    while parent[node as usize] != node && parent[node as usize] != NONE && steps < parent.len() {
        node = parent[node as usize];
        steps += 1;
    }
    steps
}

/// clap's name for a variant: `ExportSchema` is `export-schema`.
fn kebab(ident: &str) -> String {
    // heck's kebab case, as clap derives it: `ExportGraphQLSchema` is
    // `export-graph-ql-schema`.
    crate::resolve::words(ident).join("-")
}

fn is_type_segment(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase())
}

/// What a path names while the model is built: re-exports and `impl`
/// types, by canonical path.
struct Names<'a> {
    ids: &'a HashMap<String, Id>,
    aliases: &'a HashMap<String, Vec<String>>,
    types: &'a HashMap<String, Id>,
    type_members: &'a [Vec<Id>],
    /// The first and the last segments of every function, type and alias:
    /// a path with another (`std::..`, `..::to_string`) names nothing here,
    /// since rewriting through an alias keeps both ends of the path or
    /// takes an alias's.
    firsts: HashSet<String>,
    lasts: HashSet<String>,
    /// Every function and type by its last two segments (`Server::run`): a
    /// rewrite keeps the rest of a path after the alias it replaces, so a
    /// rest whose last two segments name none of them leads nowhere, and
    /// one that does names the paths it may lead to.
    tails: HashMap<&'a str, Vec<&'a str>>,
    /// Every function and type by its last segment, for rests of one.
    by_last: HashMap<&'a str, Vec<&'a str>>,
    /// The last segment of every alias that changes it (`pub use c::Bar as
    /// Foo;`, a glob's module): the end of a rest with one of them may be
    /// rewritten again.
    renamed: HashSet<&'a str>,
    /// The targets of each alias with many (a glob re-export), to find the
    /// one a path leads to.
    target_sets: HashMap<&'a str, HashSet<&'a str>>,
}

/// The last two segments of a path (`b::c` of `a::b::c`), if it has two.
fn tail(path: &str) -> Option<&str> {
    let bytes = path.as_bytes();
    let last = bytes.windows(2).rposition(|w| w == b"::")?;
    Some(match bytes[..last].windows(2).rposition(|w| w == b"::") {
        Some(i) => &path[i + 2..],
        None => path,
    })
}

impl Names<'_> {
    /// The nodes `path` names, through `pub use` re-exports (`app::api::run`
    /// with `pub use inner as api;` or `pub use inner::run;` in `app`):
    /// each rewritten path is tried once, so cycles and fan-out stay
    /// bounded.
    fn resolve(&self, path: &str, out: &mut Vec<Id>) {
        if let Some(&id) = self.ids.get(path) {
            out.push(id);
            return;
        }
        let first = path.split("::").next().unwrap_or(path);
        let last = path.rsplit("::").next().unwrap_or(path);
        if !self.firsts.contains(first) || !self.lasts.contains(last) {
            return;
        }
        // A rewrite keeps the last two segments of the rest after the alias
        // it replaces, unless an alias renames one of them: when no
        // function or type ends with them, the rewrite leads nowhere.
        let ends = |rest: &str| {
            let bare = rest.strip_prefix("::").unwrap_or(rest);
            let two = tail(bare);
            let known = match two {
                Some(t) => self.tails.get(t),
                None => self.by_last.get(bare),
            };
            if known.is_none() && !self.renames(two.unwrap_or(bare)) {
                return None;
            }
            // `new`, `run`: too common to list.
            let known = known.filter(|k| k.len() <= 32).into_iter().flatten();
            Some(known.copied().filter(|k| k.ends_with(rest)).collect())
        };
        self.rewrites(path, ends, |p| {
            if let Some(&id) = self.ids.get(p) {
                out.push(id);
                return true;
            }
            if let Some(&group) = self.types.get(p) {
                out.extend(&self.type_members[group as usize]);
                return true;
            }
            false
        });
    }

    /// Whether an alias renames a segment of `end`, the last segments of a
    /// rest, so a rewrite may not keep them.
    fn renames(&self, end: &str) -> bool {
        end.split("::").any(|s| self.renamed.contains(s))
    }

    /// The path among `known` that `path` names through re-exports: the
    /// enum a `match` takes apart as `settings::Commands` is defined as
    /// `settings::cli::Commands`.
    fn canonical<'k>(&self, path: &str, known: &'k HashSet<String>) -> Option<&'k String> {
        let mut found = None;
        // As in `resolve`: only the last two segments of a rest are kept.
        let ends = |rest: &str| {
            let bare = rest.strip_prefix("::").unwrap_or(rest);
            let end = tail(bare).unwrap_or(bare);
            let leads = known.iter().any(|k| k == end || k.ends_with(&format!("::{end}"))) || self.renames(end);
            leads.then(|| known.iter().map(String::as_str).filter(|k| k.ends_with(rest)).collect())
        };
        self.rewrites(path, ends, |p| {
            found = found.or_else(|| known.get(p));
            found.is_some()
        });
        found
    }

    /// Calls `hit` on `path` and on each path a `pub use` rewrites it to,
    /// until `hit` says it names something; a path `hit` takes is not
    /// rewritten further. `ends` says, for the rest of a path after an
    /// alias (`::x::run`), whether a rewrite that keeps it may lead to what
    /// `hit` takes (`None`: it does not, and neither do those at shorter
    /// prefixes, whose rests are longer), and which of those paths end
    /// with it: a target of the alias that is their module, or an ancestor
    /// of it (the module a glob re-exports), is tried first.
    fn rewrites<'k>(&self, path: &str, ends: impl Fn(&str) -> Option<Vec<&'k str>>, mut hit: impl FnMut(&str) -> bool) {
        // A path that resolves does so within a few rewrites; one that does
        // not (an external item through a crate's glob re-exports) tries
        // them all. 32 resolves as 64 did on the whole corpus, at two thirds
        // of the time on nushell.
        const MAX_TRIED: usize = 32;
        // A stack of the paths to try: each alias's targets are written
        // out one at a time, last first, when their turn comes (a glob
        // re-export has hundreds).
        let mut queue: Vec<(&[String], String)> = vec![(&[], path.to_string())];
        let mut tried: HashSet<String> = HashSet::new();
        while tried.len() < MAX_TRIED
            && let Some((targets, rest)) = queue.last_mut()
        {
            let p = match targets.split_last() {
                None => {
                    let p = std::mem::take(rest);
                    queue.pop();
                    p
                }
                Some((t, others)) => {
                    let p = format!("{t}{rest}");
                    *targets = others;
                    if others.is_empty() {
                        queue.pop();
                    }
                    p
                }
            };
            if !tried.insert(p.clone()) {
                continue;
            }
            if hit(&p) {
                // What is left to try is the paths a rest was found to
                // lead to, not the other targets of a glob.
                queue.retain(|(targets, _)| targets.is_empty());
                continue;
            }
            // Every prefix, longest first, down to the crate itself (a
            // crate root's `pub use server::*;`).
            let mut at = p.len();
            loop {
                let rest = &p[at..];
                let known = if at < p.len() { ends(rest) } else { Some(Vec::new()) };
                let Some(known) = known else { break };
                if let Some((key, targets)) = self.aliases.get_key_value(&p[..at])
                    && !targets.is_empty()
                {
                    queue.push((targets, rest.to_string()));
                    // Targets that are the module of a path the rest may
                    // lead to, or an ancestor of it (the module a glob
                    // re-export names, which re-exports it in turn): tried
                    // first.
                    let named = |t: &str| match self.target_sets.get(key.as_str()) {
                        Some(set) => set.contains(t),
                        None => targets.iter().any(|x| x == t),
                    };
                    for k in known {
                        let mut q = &k[..k.len() - rest.len()];
                        loop {
                            if named(q) {
                                queue.push((&[], format!("{q}{rest}")));
                                break;
                            }
                            match q.as_bytes().windows(2).rposition(|w| w == b"::") {
                                Some(i) if i > key.len() => q = &q[..i],
                                _ => break,
                            }
                        }
                    }
                    break;
                }
                // `rfind("::")` builds a two-way searcher per call: too slow
                // for every prefix of every path tried.
                match p.as_bytes()[..at].windows(2).rposition(|w| w == b"::") {
                    Some(i) => at = i,
                    None => break,
                }
            }
        }
    }
}

impl Model {
    /// Joins the facts of every file and classifies the entry points.
    pub fn build(packages: &[&Package], files: Vec<FileFacts>, overrides: &Overrides) -> Self {
        use crate::engine::timings::{Phase, since, start};
        let joining = start();
        let mut m = Model::default();
        let mut aliases: HashMap<String, Vec<String>> = HashMap::new();
        for file in files {
            let base = m.arms.len();
            m.arms.extend(file.arms.into_iter().map(|mut a| {
                a.parent = a.parent.map(|p| p + base);
                a
            }));
            for node in file.nodes {
                match m.ids.get(&node.path) {
                    None => {
                        m.ids.insert(node.path.clone(), m.nodes.len() as Id);
                        m.nodes.push(node);
                    }
                    // `#[cfg(..)] fn main` twice: the larger is the binary's
                    // own, not a `compile_error!` stub for other platforms.
                    Some(&id) => {
                        let kept = &mut m.nodes[id as usize];
                        if kept.span.path() == node.span.path() && node.extent.len() > kept.extent.len() {
                            kept.span = node.span;
                            kept.extent = node.extent;
                        }
                    }
                }
            }
            for mut e in file.edges {
                e.arm = e.arm.map(|a| a + base);
                if let (Callee::Paths(p), Some(arm)) = (&e.to, e.arm)
                    && let [node] = p.as_slice()
                    && node.contains("::#")
                {
                    m.dispatch_arms.insert(node.clone(), arm);
                }
                m.edges.push(e);
            }
            // A CLI's lock server on `127.0.0.1:0` is not a service.
            let local_only = file.ephemeral_binds > 0 && file.other_binds == 0;
            let unix_only = file.unix_binds > 0 && file.other_binds == 0 && file.ephemeral_binds == 0;
            for mut mk in file.markers {
                if local_only && mk.marker.what == markers::LISTENER_LOOP {
                    continue;
                }
                // A listener loop or a serve call (tonic's
                // `serve_with_incoming` on a `UnixListenerStream`).
                let serves = mk.marker.what == markers::LISTENER_LOOP
                    || markers::SERVE_CALLS.iter().any(|(p, _, _)| {
                        mk.marker.what.strip_prefix('`').and_then(|w| w.strip_suffix('`')) == Some(*p)
                    });
                if unix_only && serves {
                    mk.marker.what = markers::UNIX_SOCKET_LOOP.to_string();
                }
                mk.arm = mk.arm.map(|a| a + base);
                m.markers.push(mk);
            }
            m.subcommand_enums.extend(file.subcommand_enums);
            m.subcommand_names.extend(file.subcommand_names);
            m.subcommand_flattened.extend(file.subcommand_flattened);
            m.subcommand_external.extend(file.subcommand_external);
            m.about.extend(file.about);
            for span in file.off_platform {
                m.off_platform
                    .entry(span.path().to_path_buf())
                    .or_default()
                    .push(span.range);
            }
            for (from, to) in file.aliases {
                aliases.entry(from).or_default().extend(to);
            }
        }
        let n = m.nodes.len();
        // `impl` types and methods by name.
        let mut types: HashMap<String, Id> = HashMap::new();
        let mut methods: HashMap<String, Vec<Id>> = HashMap::new();
        m.type_of = vec![NONE; n];
        for (i, node) in m.nodes.iter().enumerate() {
            if let Some((parent, name)) = node.path.rsplit_once("::")
                && parent.rsplit("::").next().is_some_and(is_type_segment)
            {
                let group = *types.entry(parent.to_string()).or_insert_with(|| {
                    m.type_members.push(Vec::new());
                    (m.type_members.len() - 1) as Id
                });
                m.type_of[i] = group;
                // A type in use brings its trait methods along (the framework
                // calls them); inherent methods run only when called.
                if node.trait_impl {
                    m.type_members[group as usize].push(i as Id);
                }
                methods.entry(name.to_string()).or_default().push(i as Id);
            }
        }
        let mut method_index: HashMap<String, usize> = HashMap::new();
        for (name, list) in methods {
            method_index.insert(name, m.method_lists.len());
            m.method_lists.push(list);
        }
        // Every edge resolved once.
        let (mut firsts, mut lasts) = (HashSet::new(), HashSet::new());
        for path in m.ids.keys().chain(types.keys()).chain(aliases.keys()) {
            firsts.insert(path.split("::").next().unwrap_or(path).to_string());
            lasts.insert(path.rsplit("::").next().unwrap_or(path).to_string());
        }
        since(Phase::ModelJoin, joining);
        let resolving = start();
        let mut tails: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut by_last: HashMap<&str, Vec<&str>> = HashMap::new();
        for p in m.ids.keys().chain(types.keys()) {
            if let Some(t) = tail(p) {
                tails.entry(t).or_default().push(p);
            }
            by_last.entry(p.rsplit("::").next().unwrap_or(p)).or_default().push(p);
        }
        fn last(p: &str) -> &str {
            p.rsplit("::").next().unwrap_or(p)
        }
        let renamed = aliases
            .iter()
            .filter(|(k, targets)| targets.iter().any(|t| last(t) != last(k)))
            .map(|(k, _)| last(k))
            .collect();
        let target_sets = aliases
            .iter()
            .filter(|(_, targets)| targets.len() > 8)
            .map(|(k, targets)| (k.as_str(), targets.iter().map(String::as_str).collect()))
            .collect();
        let names = Names {
            ids: &m.ids,
            aliases: &aliases,
            types: &types,
            type_members: &m.type_members,
            firsts,
            lasts,
            tails,
            by_last,
            renamed,
            target_sets,
        };
        // Each distinct path once, on every core: resolving is pure, and
        // the most expensive step of the model on large workspaces.
        let memo: HashMap<&str, Vec<Id>> = {
            use rayon::prelude::*;
            let mut seen: HashSet<&str> = HashSet::new();
            let unique: Vec<&str> = m
                .edges
                .iter()
                .filter_map(|e| match &e.to {
                    Callee::Paths(paths) => Some(paths),
                    Callee::Method { .. } => None,
                })
                .flatten()
                .map(String::as_str)
                .filter(|p| seen.insert(p))
                .collect();
            let resolved: Vec<Vec<Id>> = unique
                .par_iter()
                .map(|p| {
                    let mut found = Vec::new();
                    names.resolve(p, &mut found);
                    found
                })
                .collect();
            unique.into_iter().zip(resolved).collect()
        };
        let mut targets = Vec::with_capacity(m.edges.len());
        m.out = vec![Vec::new(); n];
        for (ei, e) in m.edges.iter().enumerate() {
            let t = match &e.to {
                Callee::Paths(paths) => {
                    let mut out = Vec::new();
                    for p in paths {
                        out.extend(memo.get(p.as_str()).into_iter().flatten().copied());
                    }
                    Targets::Nodes(out)
                }
                Callee::Method { name, ty } => {
                    // The receiver's type, through re-exports
                    // (`dist::http::Scheduler` is `dist::http::server::Scheduler`).
                    let mut exact = Vec::new();
                    if let Some(t) = ty {
                        names.resolve(&format!("{t}::{name}"), &mut exact);
                    }
                    match (exact.is_empty(), method_index.get(name)) {
                        (false, _) => Targets::Nodes(exact),
                        (true, Some(&list)) => Targets::Methods(list),
                        (true, None) => Targets::Nodes(Vec::new()),
                    }
                }
            };
            targets.push(t);
            if let Some(&from) = m.ids.get(&e.from) {
                m.out[from as usize].push(ei);
            }
        }
        drop(memo);
        // An arm on a re-exported subcommand enum (`settings::Commands` for
        // `settings::cli::Commands`) is labelled with the enum's own path.
        for arm in &mut m.arms {
            if let ArmLabel::Variant { enums, .. } = &mut arm.label
                && !enums.iter().any(|e| m.subcommand_enums.contains(e))
                && let Some(e) = enums.iter().find_map(|e| names.canonical(e, &m.subcommand_enums))
            {
                enums.push(e.clone());
            }
        }
        drop(names);
        since(Phase::ModelResolve, resolving);
        let classifying = start();
        m.targets = targets;
        let built = m.enums_built_from_names();
        m.subcommand_enums.extend(built);
        m.arm_is_sub = m.arms.iter().map(|a| m.is_subcommand(&a.label)).collect();
        m.edge_arm = m.edges.iter().map(|e| e.arm).collect();
        m.node_markers = vec![Vec::new(); n];
        for (mi, mk) in m.markers.iter().enumerate() {
            if let Some(&id) = m.ids.get(&mk.owner) {
                m.node_markers[id as usize].push(mi);
            }
        }
        for (i, node) in m.nodes.iter().enumerate() {
            m.by_file
                .entry(node.span.path().to_path_buf())
                .or_default()
                .push((node.extent.clone(), i as Id));
        }
        m.sees = visibility(packages);
        m.find_entries(packages, overrides);
        m.walk_services();
        since(Phase::ModelEntries, classifying);
        m
    }

    /// The dispatching arm of `arm`'s chain that selects a subcommand: the
    /// outermost one whose label is a subcommand.
    fn subcommand_arm(&self, mut arm: Option<usize>) -> Option<usize> {
        let mut found = None;
        while let Some(a) = arm {
            if self.arm_is_sub[a] && !self.arms[a].except {
                found = Some(a);
            }
            arm = self.arms[a].parent;
        }
        found
    }

    /// Plain enums that a parse function builds from clap's names
    /// (`Some(("scheduler", m)) => Command::Scheduler(..)`, sccache-dist):
    /// every variant a `match` takes apart, two at least, is one of the
    /// names. A `match` on such an enum is where the subcommands run.
    fn enums_built_from_names(&self) -> Vec<String> {
        let names: HashSet<String> = self
            .arms
            .iter()
            .filter_map(|a| match &a.label {
                ArmLabel::Name(n) => Some(n.clone()),
                ArmLabel::Variant { .. } => None,
            })
            .collect();
        if names.is_empty() {
            return Vec::new();
        }
        let mut variants: HashMap<&str, (HashSet<&str>, bool)> = HashMap::new();
        for a in &self.arms {
            if let ArmLabel::Variant { enums, variant } = &a.label {
                let named = names.contains(&kebab(variant));
                for e in enums.iter().filter(|e| !self.subcommand_enums.contains(*e)) {
                    let (seen, all) = variants.entry(e.as_str()).or_insert_with(|| (HashSet::new(), true));
                    seen.insert(variant.as_str());
                    *all &= named;
                }
            }
        }
        variants
            .into_iter()
            .filter(|(_, (seen, all))| *all && seen.len() >= 2)
            .map(|(e, _)| e.to_string())
            .collect()
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

    /// Whether code inside dispatching arm `arm` (innermost first) runs
    /// for `dispatch`: every subcommand arm around it must admit it.
    fn in_dispatch(&self, mut arm: Option<usize>, dispatch: Option<&Dispatch>) -> bool {
        let Some(dispatch) = dispatch else { return true };
        while let Some(a) = arm {
            arm = self.arms[a].parent;
            if !self.arm_is_sub[a] {
                continue;
            }
            let Arm { label, except, .. } = &self.arms[a];
            let admits = match dispatch {
                Dispatch::Arm(chosen) => !Self::same_enum(label, chosen) || (label == chosen) != *except,
                Dispatch::Through(vias, chosen) => match vias.iter().find(|v| Self::same_enum(label, v)) {
                    Some(via) => (label == via) != *except,
                    None => !Self::same_enum(label, chosen) || (label == chosen) != *except,
                },
                Dispatch::Default(of) => *except || !Self::same_enum(label, of),
            };
            if !admits {
                return false;
            }
        }
        true
    }

    /// Breadth-first from `root`: every node reached, with the node it was
    /// reached from, following edges `follow` accepts.
    fn walk(&self, root: Id, dispatch: Option<&Dispatch>, follow: &dyn Fn(&Edge) -> bool) -> Vec<Id> {
        self.walk_from(&[root], dispatch, follow)
    }

    fn walk_from(&self, roots: &[Id], dispatch: Option<&Dispatch>, follow: &dyn Fn(&Edge) -> bool) -> Vec<Id> {
        let mut parent = vec![NONE; self.nodes.len()];
        let mut queue = VecDeque::new();
        for &root in roots {
            parent[root as usize] = root;
            queue.push_back(root);
        }
        let visit = |n: Id, from: Id, parent: &mut Vec<Id>, queue: &mut VecDeque<Id>| {
            if parent[n as usize] == NONE {
                parent[n as usize] = from;
                queue.push_back(n);
            }
        };
        while let Some(f) = queue.pop_front() {
            // A method reached means its type is in use: its other methods
            // (trait impls the framework calls) run too.
            let group = self.type_of[f as usize];
            if group != NONE {
                for &m in &self.type_members[group as usize] {
                    visit(m, f, &mut parent, &mut queue);
                }
            }
            for &ei in &self.out[f as usize] {
                if !self.in_dispatch(self.edge_arm[ei], dispatch) || !follow(&self.edges[ei]) {
                    continue;
                }
                match &self.targets[ei] {
                    Targets::Nodes(v) => {
                        for &n in v {
                            visit(n, f, &mut parent, &mut queue);
                        }
                    }
                    Targets::Methods(i) => {
                        // A method on a receiver of unknown type: the methods
                        // of that name in crates this code can call, unless
                        // the name is too common to tell them apart.
                        let from = self.nodes[f as usize].origin.package;
                        let sees = self.sees.get(from);
                        let candidates = self.method_lists[*i].iter().filter(|&&n| {
                            sees.and_then(|s| s.get(self.nodes[n as usize].origin.package))
                                .copied()
                                .unwrap_or(true)
                        });
                        if candidates.clone().nth(MAX_METHOD_FAN_OUT).is_some() {
                            continue;
                        }
                        for &n in candidates {
                            visit(n, f, &mut parent, &mut queue);
                        }
                    }
                }
            }
        }
        parent
    }

    /// The subcommands a binary dispatches from `main`: the variants of
    /// the first subcommand `match` its calls reach in its own package.
    fn dispatches(&self, main: Id) -> Vec<(ArmLabel, usize)> {
        let reach = self.walk(main, None, &|_| true);
        self.nearest_dispatch(&reach, self.nodes[main as usize].origin.package, &[])
    }

    /// Whether a label is a variant of one of `list`'s `Enum::Variant`s.
    fn label_in(label: &ArmLabel, list: &HashSet<String>) -> bool {
        match label {
            ArmLabel::Variant { enums, variant } => enums.iter().any(|e| list.contains(&format!("{e}::{variant}"))),
            ArmLabel::Name(_) => false,
        }
    }

    /// The subcommands of a `#[command(flatten)]` variant, the last of
    /// `chain`: those of the nearest dispatch on another enum inside its
    /// arms, each flattened in turn where it is flattened too. Each is the
    /// chain of labels down to it.
    fn flattened(&self, main: Id, chain: Vec<ArmLabel>) -> Vec<Vec<ArmLabel>> {
        const MAX_FLATTEN: usize = 4;
        let Some((last, outer)) = chain.split_last() else {
            return Vec::new();
        };
        let through = if outer.is_empty() {
            Dispatch::Arm(last.clone())
        } else {
            Dispatch::Through(outer.to_vec(), last.clone())
        };
        let reach = self.walk(main, Some(&through), &|_| true);
        let roots = self.arm_roots(last, &reach);
        let inner = self.walk_from(&roots, Some(&through), &|_| true);
        let labels = self.nearest_dispatch(&inner, self.nodes[main as usize].origin.package, &chain);
        if labels.is_empty() {
            return vec![chain];
        }
        let mut out = Vec::new();
        for (label, _) in labels {
            if Self::label_in(&label, &self.subcommand_external) {
                continue;
            }
            let mut next = chain.clone();
            let flat = Self::label_in(&label, &self.subcommand_flattened);
            next.push(label);
            if flat && next.len() < MAX_FLATTEN {
                out.extend(self.flattened(main, next));
            } else {
                out.push(next);
            }
        }
        out
    }

    /// The nodes of the arms labelled `label` that `reach` reaches: where
    /// what a subcommand runs starts.
    fn arm_roots(&self, label: &ArmLabel, reach: &[Id]) -> Vec<Id> {
        self.dispatch_arms
            .iter()
            .filter(|(_, a)| !self.arms[**a].except && self.arms[**a].label == *label)
            .filter_map(|(node, _)| self.ids.get(node).copied())
            .filter(|&n| reach[n as usize] != NONE)
            .collect()
    }

    /// The nearest subcommand dispatch in `package` that `reach` reaches,
    /// on an enum other than those of `outer`.
    fn nearest_dispatch(&self, reach: &[Id], package: usize, outer: &[ArmLabel]) -> Vec<(ArmLabel, usize)> {
        // Each dispatching arm reached, with the number of calls from `main`
        // to it: the nearest dispatch is the binary's (`main` matching
        // `Cli::command`); a nested one (`Scripting { command }` handing
        // off to another `match`) belongs to a subcommand.
        let depth = |mut n: usize| {
            let mut d = 0;
            while reach[n] != n as Id && d < 64 {
                n = reach[n] as usize;
                d += 1;
            }
            d
        };
        // The function that holds an arm: `plm::main` for `plm::main::#3`.
        let owner = |f: usize| {
            let path = &self.nodes[f].path;
            path.find("::#").map_or(path.as_str(), |i| &path[..i])
        };
        // At the same depth, a `match` on the parsed enum (`Command::Server`)
        // is the dispatch; one on names (`Some(("server", m))`) may only
        // build that enum.
        let mut arms: Vec<(usize, bool, usize, &str)> = Vec::new();
        for (f, p) in reach.iter().enumerate() {
            if *p == NONE || self.nodes[f].origin.package != package {
                continue;
            }
            if let Some(a) = self.dispatch_arms.get(&self.nodes[f].path).copied()
                && let Some(sub) = self.subcommand_arm(Some(a))
                && !outer.iter().any(|o| Self::same_enum(&self.arms[sub].label, o))
            {
                let by_name = matches!(self.arms[sub].label, ArmLabel::Name(_));
                arms.push((depth(f), by_name, sub, owner(f)));
            }
        }
        arms.sort();
        let Some(&(_, _, first, top_owner)) = arms.first() else {
            return Vec::new();
        };
        let top = self.arms[first].label.clone();
        // Names (`("instance", Some(m))`) are of no type: those of another
        // function's `match` are a subcommand's own (`plm instance new`).
        let mut arms: Vec<usize> = arms
            .into_iter()
            .filter(|(_, _, a, o)| !matches!(self.arms[*a].label, ArmLabel::Name(_)) || *o == top_owner)
            .map(|(_, _, a, _)| a)
            .collect();
        arms.sort();
        arms.dedup();
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
        let mut mains: Vec<Id> = (0..self.nodes.len() as Id)
            .filter(|&i| self.nodes[i as usize].main.is_some())
            .collect();
        mains.sort_by_key(|&i| {
            let n = &self.nodes[i as usize];
            (n.origin.package, n.origin.target, n.path.clone())
        });
        let mut entries = Vec::new();
        let mut reaches = Vec::new();
        let mut done: HashSet<(usize, usize)> = HashSet::new();
        for id in mains {
            let node = &self.nodes[id as usize];
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
            let dispatches = self.dispatches(id);
            let mut choices: Vec<Option<Dispatch>> = Vec::new();
            match dispatches.first() {
                None => choices.push(None),
                Some((top, _)) => choices.push(Some(Dispatch::Default(top.clone()))),
            }
            for (label, _) in dispatches {
                // `atuin <anything>`: no name of its own.
                if Self::label_in(&label, &self.subcommand_external) {
                    continue;
                }
                if !Self::label_in(&label, &self.subcommand_flattened) {
                    choices.push(Some(Dispatch::Arm(label)));
                    continue;
                }
                for mut chain in self.flattened(id, vec![label]) {
                    let Some(leaf) = chain.pop() else { continue };
                    choices.push(Some(if chain.is_empty() {
                        Dispatch::Arm(leaf)
                    } else {
                        Dispatch::Through(chain, leaf)
                    }));
                }
            }
            for dispatch in choices {
                let chosen = match &dispatch {
                    Some(Dispatch::Arm(l) | Dispatch::Through(_, l)) => Some(l),
                    _ => None,
                };
                let subcommand = match chosen {
                    Some(ArmLabel::Variant { enums, variant }) => Some(
                        enums
                            .iter()
                            .find_map(|e| self.subcommand_names.get(&format!("{e}::{variant}")))
                            .cloned()
                            .unwrap_or_else(|| kebab(variant)),
                    ),
                    Some(ArmLabel::Name(n)) => Some(n.clone()),
                    _ => None,
                };
                let name = match &subcommand {
                    Some(s) => format!("{} {s}", target.name),
                    None => target.name.clone(),
                };
                let reach = self.walk(id, dispatch.as_ref(), &|_| true);
                // A subcommand is judged by what its arms run: the code
                // around the dispatch is the binary's own (its default run).
                let arm_reach =
                    chosen.map(|label| self.walk_from(&self.arm_roots(label, &reach), dispatch.as_ref(), &|_| true));
                // Evidence nearest `main` first: the server `main` starts,
                // before a metrics endpoint three calls away.
                // and what runs by default before what an operator opts in;
                // a serve call or listener loop before an endless loop.
                let mut evidence: Vec<((bool, bool, usize), Span, Marker)> = Vec::new();
                let walked = arm_reach.as_ref().unwrap_or(&reach);
                let by_default = self.walk(id, dispatch.as_ref(), &|e| !e.opt_in);
                for (f, p) in walked.iter().enumerate() {
                    if *p == NONE {
                        continue;
                    }
                    for &mi in &self.node_markers[f] {
                        let mk = &self.markers[mi];
                        if self.in_dispatch(mk.arm, dispatch.as_ref()) {
                            let rank = (
                                by_default[f] == NONE,
                                mk.marker.what == markers::ENDLESS_LOOP,
                                depth(walked, f as Id),
                            );
                            evidence.push((rank, mk.span.clone(), mk.marker.clone()));
                        }
                    }
                }
                evidence.sort_by(|a, b| (a.0, a.1.path(), a.1.range.start).cmp(&(b.0, b.1.path(), b.1.range.start)));
                let evidence: Vec<(Span, Marker)> = evidence.into_iter().map(|(_, s, m)| (s, m)).collect();
                let always = node.main == Some(true);
                let mut reached: Vec<usize> = reach
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| **p != NONE)
                    .map(|(n, _)| self.nodes[n].origin.package)
                    .collect();
                reached.sort_unstable();
                reached.dedup();
                let reached_packages = || reached.iter().filter_map(|&p| packages.get(p).copied());
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
                } else if let Some(reason) = dev_package_reason(package, &target.name) {
                    (EntryKind::DevTool, reason)
                } else if let Some(reason) = self
                    .about
                    .get(&(pi, ti))
                    .and_then(|about| dev_about_reason(&target.name, about))
                {
                    (EntryKind::DevTool, reason)
                } else if dev_only.contains(&package.name) {
                    (
                        EntryKind::DevTool,
                        format!("package `{}` is only a dev-dependency of other members", package.name),
                    )
                } else if let Some((_, first)) = evidence.first() {
                    match depends_on(package, reached_packages(), TERMINAL_UI_CRATES) {
                        Some((by, ui)) if evidence.iter().all(|(_, m)| m.what == markers::UNIX_SOCKET_LOOP) => (
                            EntryKind::OneShot,
                            format!(
                                "a daemon of the user's own machine: it serves only a Unix socket, for a terminal program (`{by}` depends on `{ui}`)"
                            ),
                        ),
                        Some((by, ui)) => (
                            EntryKind::OneShot,
                            format!(
                                "an interactive terminal program (`{by}` depends on `{ui}`): what it serves runs on the user's own machine"
                            ),
                        ),
                        None => (EntryKind::Service, format!("runs {}", first.what)),
                    }
                } else if always {
                    (EntryKind::Service, "its `main` attribute starts a service".to_string())
                } else {
                    (
                        EntryKind::OneShot,
                        "no serve call, listener loop, queue consumer, or loop that only a shutdown ends".to_string(),
                    )
                };
                // Served only over Unix sockets (an endless loop aside): the
                // host's own daemon, whose files on disk are the host's.
                let host_daemon = evidence.iter().any(|(_, m)| m.what == markers::UNIX_SOCKET_LOOP)
                    && evidence
                        .iter()
                        .all(|(_, m)| m.what == markers::UNIX_SOCKET_LOOP || m.what == markers::ENDLESS_LOOP);
                let keeps_data = if kind != EntryKind::Service {
                    None
                } else if host_daemon {
                    Some("a daemon of its host (it serves only Unix sockets, to local clients)".to_string())
                } else if let Some((by, engine)) = depends_on(package, reached_packages(), STORAGE_ENGINES) {
                    Some(format!("a database (`{by}` depends on `{engine}`)"))
                } else if let Some((by, engine)) = depends_on(package, reached_packages(), CONSENSUS_CRATES) {
                    Some(format!("a replicated store (`{by}` depends on `{engine}`)"))
                } else if let Some(module) = self.replication_module(walked, packages) {
                    Some(format!(
                        "a replicated store (`{module}` replicates its database between nodes)"
                    ))
                } else if let Some((by, files)) = depends_on(package, reached_packages(), FILE_SERVER_CRATES)
                    && depends_on(package, reached_packages(), DATABASE_CLIENTS).is_none()
                {
                    Some(format!(
                        "a file server (`{by}` serves files with `{files}` and uses no database)"
                    ))
                } else {
                    None
                };
                entries.push(Entry {
                    keeps_data,
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
                reaches.push(reach);
            }
        }
        // An endless loop beside a host daemon in its package (the tasks
        // daemon a Unix-socket daemon hands its host's files to) is that
        // host's daemon too.
        let host_daemons: Vec<(usize, String)> = entries
            .iter()
            .filter(|e| e.evidence.iter().any(|(_, m)| m.what == markers::UNIX_SOCKET_LOOP))
            .map(|e| (e.package, e.binary.clone()))
            .collect();
        for e in &mut entries {
            if e.kind == EntryKind::Service
                && e.keeps_data.is_none()
                && e.evidence.iter().all(|(_, m)| m.what == markers::ENDLESS_LOOP)
                && let Some((_, daemon)) = host_daemons.iter().find(|(p, b)| *p == e.package && *b != e.binary)
            {
                e.keeps_data = Some(format!(
                    "a daemon of its host (a companion of the Unix-socket daemon `{daemon}` in its package)"
                ));
            }
        }
        self.entries = entries;
        self.entry_reach = reaches;
    }

    /// A replication module the service runs (`kanidmd_lib::repl`), in a
    /// package that keeps a database: the service replicates its own store
    /// between its nodes, as a database server does.
    fn replication_module(&self, reach: &[Id], packages: &[&Package]) -> Option<String> {
        reach
            .iter()
            .enumerate()
            .filter(|(_, p)| **p != NONE)
            .find_map(|(n, _)| {
                let node = &self.nodes[n];
                let segments: Vec<&str> = node.path.split("::").collect();
                let at = segments
                    .iter()
                    .position(|s| REPLICATION_MODULES.contains(s))
                    .filter(|&i| i > 0 && i + 1 < segments.len())?;
                let package = packages.get(node.origin.package)?;
                depends_on(package, std::iter::empty(), DATABASE_CLIENTS)?;
                // Reached through calls the syntax names, not a method of
                // that name on a receiver of unknown type (a sync tool's
                // `entry.remove_ava(..)` on its own map).
                let mut hop = n;
                for _ in 0..64 {
                    let from = reach[hop] as usize;
                    if from == hop {
                        break;
                    }
                    if self.nodes[from].origin.package != self.nodes[hop].origin.package
                        && !self.out[from]
                            .iter()
                            .any(|&ei| matches!(&self.targets[ei], Targets::Nodes(to) if to.contains(&(hop as Id))))
                    {
                        return None;
                    }
                    hop = from;
                }
                Some(segments[..=at].join("::"))
            })
    }

    fn walk_services(&mut self) {
        let mut all = vec![(usize::MAX, NONE); self.nodes.len()];
        // Databases last: code a stateless service runs is that service's.
        let mut order: Vec<usize> = (0..self.entries.len())
            .filter(|&i| self.entries[i].kind == EntryKind::Service)
            .collect();
        order.sort_by_key(|&i| self.entries[i].keeps_data.is_some());
        let mut default = vec![false; self.nodes.len()];
        for &i in &order {
            let Some(&root) = self.ids.get(&self.entries[i].main) else {
                continue;
            };
            let reach = self.walk(root, self.entries[i].dispatch.as_ref(), &|e| !e.opt_in);
            // `if args.server { serve() }`: when the serving itself is behind
            // the switch, the switch is how the service is deployed.
            let serves = self.entries[i].evidence.iter().any(|(span, _)| {
                self.locate(span)
                    .and_then(|owner| self.ids.get(owner))
                    .is_some_and(|&id| reach[id as usize] != NONE)
            });
            let reach = if serves || self.entries[i].evidence.is_empty() {
                reach
            } else {
                self.entry_reach[i].clone()
            };
            for (node, &parent) in reach.iter().enumerate() {
                default[node] |= parent != NONE;
            }
        }
        self.service_default = default;
        for i in order {
            for (node, &parent) in self.entry_reach[i].iter().enumerate() {
                if parent != NONE && all[node].0 == usize::MAX {
                    all[node] = (i, parent);
                    self.service_packages.insert(self.nodes[node].origin.package);
                }
            }
        }
        self.service_reach = all;
    }

    /// The entry points of the workspace.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    fn entry_index(&self, entry: &Entry) -> Option<usize> {
        self.entries.iter().position(|e| std::ptr::eq(e, entry))
    }

    /// The nodes `entry` reaches, following the edges `follow` accepts:
    /// `startup_migration` leaves out calls behind a flag.
    pub fn reach(&self, entry: &Entry, follow: &dyn Fn(&Span) -> bool) -> Reach<'_> {
        let root = self.ids.get(&entry.main).copied();
        let parent = match root {
            Some(root) => std::borrow::Cow::Owned(self.walk(root, entry.dispatch.as_ref(), &|e| follow(&e.span))),
            None => std::borrow::Cow::Owned(vec![NONE; self.nodes.len()]),
        };
        Reach { model: self, parent }
    }

    /// What `entry` reaches, following every edge.
    pub fn reach_all(&self, entry: &Entry) -> Reach<'_> {
        match self.entry_index(entry) {
            Some(i) => Reach {
                model: self,
                parent: std::borrow::Cow::Borrowed(&self.entry_reach[i]),
            },
            None => self.reach(entry, &|_| true),
        }
    }

    /// Whether a service runs node `item`, with the service entry point and
    /// the call path to it: `main → app::run → app::storage::save`.
    pub fn service_path(&self, item: &str) -> Option<(&Entry, Vec<String>)> {
        let &id = self.ids.get(item)?;
        let (entry, _) = *self.service_reach.get(id as usize)?;
        if entry == usize::MAX {
            return None;
        }
        let reach = &self.entry_reach[entry];
        let mut path = vec![id];
        let mut at = id;
        while reach[at as usize] != at && path.len() <= 32 {
            at = reach[at as usize];
            path.push(at);
        }
        path.reverse();
        // Dispatching arms are nodes of their own, not worth a hop.
        let path = path
            .into_iter()
            .map(|i| self.nodes[i as usize].path.clone())
            .filter(|p| !p.contains("::#"))
            .collect();
        Some((&self.entries[entry], path))
    }

    /// Whether a service runs node `item` without the configuration
    /// switching a feature on (`if config.json_db { .. }` leads to it
    /// otherwise).
    pub fn runs_by_default(&self, item: &str) -> bool {
        self.ids
            .get(item)
            .is_some_and(|&id| self.service_default.get(id as usize).copied().unwrap_or(false))
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
            .map(|(_, id)| self.nodes[*id as usize].path.as_str())
    }

    /// Whether `span` is in code compiled out on the deploy platform
    /// (`#[cfg(windows)]`): no deployed service runs it.
    pub fn off_platform(&self, span: &Span) -> bool {
        self.off_platform.get(span.path()).is_some_and(|ranges| {
            ranges
                .iter()
                .any(|r| r.start <= span.range.start && span.range.end <= r.end)
        })
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

/// How many methods of one name a call on a receiver of unknown type may
/// reach: only a name that one type of the visible crates has says which
/// (`run`, `new`, `create_index` on several types say too little).
const MAX_METHOD_FAN_OUT: usize = 1;

/// `sees[a][b]`: package `a` depends on package `b` through its normal
/// dependencies, transitively, or is `b`.
fn visibility(packages: &[&Package]) -> Vec<Vec<bool>> {
    let n = packages.len();
    let index: HashMap<&str, usize> = packages.iter().enumerate().map(|(i, p)| (p.name.as_str(), i)).collect();
    let mut sees = vec![vec![false; n]; n];
    for (a, p) in packages.iter().enumerate() {
        sees[a][a] = true;
        for d in &p.dependencies {
            if d.kind != cargo_metadata::DependencyKind::Development
                && let Some(&b) = index.get(d.name.as_str())
            {
                sees[a][b] = true;
            }
        }
    }
    // Transitive closure; workspaces have tens of members, not thousands.
    for k in 0..n {
        let through = sees[k].clone();
        for row in sees.iter_mut().filter(|row| row[k]) {
            for (b, _) in through.iter().enumerate().filter(|(_, s)| **s) {
                row[b] = true;
            }
        }
    }
    sees
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

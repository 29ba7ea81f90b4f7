//! Where a run's time goes, for profiling: `TWELVE_TIMINGS=1` prints the
//! time spent in each phase on stderr when the run ends. The per-file
//! phases (reading, parsing, the pass) run on every worker thread, so they
//! add up thread time; the others are wall time of the main thread.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// A phase of a run.
#[derive(Debug, Clone, Copy)]
pub enum Phase {
    /// `cargo metadata` and the manifests.
    Load,
    /// Reading source files (thread time).
    Read,
    /// The cache: hashing, looking up and decoding entries (thread time).
    CacheRead,
    /// `syn` parsing (thread time).
    Parse,
    /// Module discovery and the visitor pass with every rule (thread time).
    Pass,
    /// Writing cache entries (thread time).
    CacheWrite,
    /// Every file, wall time.
    Files,
    /// Building the service model: joining the files' facts.
    ModelJoin,
    /// Building the service model: resolving every call's paths.
    ModelResolve,
    /// Building the service model: entry points and their verdicts.
    ModelEntries,
    /// Package-level rules.
    PackageRules,
    /// Scoping findings to services, masking and sorting them.
    Scope,
    /// Rendering and printing the diagnostics.
    Emit,
}

const PHASES: [(Phase, &str); 13] = [
    (Phase::Load, "load (cargo metadata, manifests, config)"),
    (Phase::Read, "read (thread time)"),
    (Phase::CacheRead, "cache lookup (thread time)"),
    (Phase::Parse, "parse (thread time)"),
    (Phase::Pass, "pass (thread time)"),
    (Phase::CacheWrite, "cache write (thread time)"),
    (Phase::Files, "files, wall"),
    (Phase::ModelJoin, "model: join facts"),
    (Phase::ModelResolve, "model: resolve calls"),
    (Phase::ModelEntries, "model: entries and verdicts"),
    (Phase::PackageRules, "package-level rules"),
    (Phase::Scope, "scope, mask and sort"),
    (Phase::Emit, "emit"),
];

static NANOS: [AtomicU64; 13] = [const { AtomicU64::new(0) }; 13];

static ENABLED: LazyLock<bool> = LazyLock::new(|| std::env::var_os("TWELVE_TIMINGS").is_some_and(|v| v != "0"));

/// Whether `TWELVE_TIMINGS` asks for timings.
pub fn enabled() -> bool {
    *ENABLED
}

/// Runs `f`, adding its time to `phase` when timings are on.
pub fn time<R>(phase: Phase, f: impl FnOnce() -> R) -> R {
    if !enabled() {
        return f();
    }
    let start = Instant::now();
    let r = f();
    NANOS[phase as usize].fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
    r
}

/// The phases' times, one line each, when timings are on.
pub fn summary() -> Option<String> {
    if !enabled() {
        return None;
    }
    let mut out = String::from("twelve timings:\n");
    for (phase, name) in PHASES {
        let nanos = NANOS[phase as usize].load(Ordering::Relaxed);
        out.push_str(&format!("  {:>9.1} ms  {name}\n", nanos as f64 / 1e6));
    }
    if let Ok(mut rules) = RULES.lock() {
        rules.sort_by_key(|(_, t)| std::cmp::Reverse(*t));
        for (rule, nanos) in rules.iter().take(5).filter(|(_, t)| *t >= 1_000_000) {
            out.push_str(&format!(
                "  {:>9.1} ms    {rule} (package-level)\n",
                *nanos as f64 / 1e6
            ));
        }
    }
    out.push_str(&format!(
        "  cache: {} files read from it, {} analysed\n",
        HITS.load(Ordering::Relaxed),
        MISSES.load(Ordering::Relaxed)
    ));
    Some(out)
}

/// Adds the time since `start` to `phase` (timings on).
pub fn since(phase: Phase, start: Option<Instant>) {
    if let Some(start) = start {
        NANOS[phase as usize].fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
    }
}

/// Now, when timings are on: the start of a phase for [`since`].
pub fn start() -> Option<Instant> {
    enabled().then(Instant::now)
}

/// Time in each rule's package-level check, by rule.
static RULES: std::sync::Mutex<Vec<(&'static str, u64)>> = std::sync::Mutex::new(Vec::new());

/// Runs a rule's package-level check `f`, adding its time to the rule's
/// when timings are on.
pub fn time_rule<R>(rule: &'static str, f: impl FnOnce() -> R) -> R {
    if !enabled() {
        return f();
    }
    let start = Instant::now();
    let r = f();
    let nanos = start.elapsed().as_nanos() as u64;
    if let Ok(mut rules) = RULES.lock() {
        match rules.iter_mut().find(|(n, _)| *n == rule) {
            Some((_, t)) => *t += nanos,
            None => rules.push((rule, nanos)),
        }
    }
    r
}

static HITS: AtomicU64 = AtomicU64::new(0);
static MISSES: AtomicU64 = AtomicU64::new(0);

/// Counts a file whose results came from the cache (`hit`) or were
/// computed and written to it.
pub fn count_cache(hit: bool) {
    if enabled() {
        let counter = if hit { &HITS } else { &MISSES };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

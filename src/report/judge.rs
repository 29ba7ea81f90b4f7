//! Each factor's status and evidence, judged from what [`Project`] knows
//! and the factor's findings.

use std::collections::BTreeSet;

use super::Status;
use super::evidence::{Project, Seen, compose_kinds, documented_keys};
use crate::engine::model::Defaults;
use crate::engine::model::markers::SERVE_CALLS;
use crate::manifest;
use crate::rules::Factor;
use crate::rules::naming::words;

/// Variables every process sees, not app config to document.
const SYSTEM_VARS: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "USERNAME",
    "USERPROFILE",
    "SHELL",
    "TERM",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "TEMP",
    "TMP",
    "PWD",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "FORCE_COLOR",
    "COLORTERM",
    "RUST_LOG",
    "RUST_BACKTRACE",
    "RUST_LIB_BACKTRACE",
    "SOURCE_DATE_EPOCH",
    "CI",
    "HOSTNAME",
    "SystemRoot",
];
const SYSTEM_PREFIXES: &[&str] = &["XDG_", "CARGO_", "LC_"];
/// shuttle stops gracefully on SIGTERM; the signal-handler rule knows it
/// by `#[shuttle_runtime::main]`.
const SHUTTLE: &str = "shuttle-runtime";
/// Names of binaries and subcommands that are admin tasks.
const ADMIN_WORDS: &[&str] = &[
    "migrate",
    "migration",
    "admin",
    "manage",
    "seed",
    "console",
    "task",
    "job",
    "ctl",
    "cli",
    "setup",
    "bootstrap",
];
/// Databases, where a different engine per build profile is the classic split.
const SQL_KINDS: &[&str] = &["sqlite", "postgres", "mysql"];

/// One factor's verdict while it is judged.
struct Verdict {
    status: Status,
    evidence: Vec<String>,
    applicable: bool,
    /// Whether the factor's rules found anything.
    has_findings: bool,
}

impl Verdict {
    fn worst(&mut self, status: Status) {
        self.status = self.status.worst(status);
    }
}

/// One factor's status and evidence: `worst` is the status its findings
/// give, if it has any.
pub(super) fn judge(factor: Factor, project: &Project<'_>, worst: Option<Status>) -> (Status, Vec<String>) {
    let mut verdict = Verdict {
        status: worst.unwrap_or(Status::Pass),
        evidence: Vec::new(),
        applicable: true,
        has_findings: worst.is_some(),
    };
    let judge = match factor {
        Factor::Codebase => codebase,
        Factor::Dependencies => dependencies,
        Factor::Config => config,
        Factor::BackingServices => backing_services,
        Factor::BuildReleaseRun => build_release_run,
        Factor::Processes => processes,
        Factor::PortBinding => port_binding,
        Factor::Concurrency => concurrency,
        Factor::Disposability => disposability,
        Factor::DevProdParity => dev_prod_parity,
        Factor::Logs => logs,
        Factor::AdminProcesses => admin_processes,
    };
    judge(project, &mut verdict);
    if !verdict.applicable && verdict.status == Status::Pass {
        verdict.status = Status::NotApplicable;
    }
    (verdict.status, verdict.evidence)
}

fn codebase(project: &Project<'_>, verdict: &mut Verdict) {
    let root = &project.root;
    match manifest::git_toplevel(root) {
        Some(top) => verdict.evidence.push(if top == manifest::canonical(root) {
            "git repository".to_string()
        } else {
            format!(
                "git repository (the workspace is in `{}`)",
                root.strip_prefix(&top).unwrap_or(root).display()
            )
        }),
        None => {
            verdict.evidence.push("not in a git repository".into());
            verdict.worst(Status::Warn);
        }
    }
    let names: Vec<&str> = project.workspace.packages.iter().map(|p| p.name.as_str()).collect();
    verdict.evidence.push(if names.len() == 1 {
        format!("one package: `{}`", names[0])
    } else {
        format!("one workspace of {} packages", names.len())
    });
}

fn dependencies(project: &Project<'_>, verdict: &mut Verdict) {
    if project.has_lockfile() {
        verdict.evidence.push("`Cargo.lock` present".into());
    } else if project.has_bin() {
        verdict.evidence.push("no `Cargo.lock`".into());
        verdict.worst(Status::Warn);
    } else {
        verdict
            .evidence
            .push("no `Cargo.lock` (library-only: not needed)".into());
    }
    let n: usize = project.workspace.packages.iter().map(|p| p.dependencies.len()).sum();
    verdict
        .evidence
        .push(format!("{n} dependencies declared in `Cargo.toml`"));
}

fn config(project: &Project<'_>, verdict: &mut Verdict) {
    let names: BTreeSet<&str> = project.env.iter().map(|v| v.name.as_str()).collect();
    if names.is_empty() {
        verdict.evidence.push("no environment variables read".into());
    } else {
        verdict.evidence.push(format!(
            "{} environment variable{} read: {}",
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            list(&names)
        ));
    }
    let example = project.env_example();
    let readme = project.readme();
    let docs = project.other_docs();
    let documented = |name: &str| {
        let key = name.trim_end_matches('*');
        example
            .as_ref()
            .is_some_and(|(_, t)| documented_keys(t).iter().any(|k| k.starts_with(key)))
            || readme.as_ref().is_some_and(|(_, t)| t.contains(key))
            || docs.iter().any(|(_, t)| t.contains(key))
    };
    let undocumented: BTreeSet<&str> = names
        .iter()
        .copied()
        .filter(|n| !is_system_var(n) && !documented(n))
        .collect();
    match &example {
        Some((path, _)) => verdict.evidence.push(format!("documented in `{path}`")),
        None if !names.is_empty() => verdict.evidence.push("no `.env.example`".into()),
        None => {}
    }
    let used: BTreeSet<&str> = docs
        .iter()
        .filter(|(_, t)| names.iter().any(|n| t.contains(n.trim_end_matches('*'))))
        .map(|(p, _)| p.as_str())
        .collect();
    if !used.is_empty() {
        verdict.evidence.push(format!("also documented in {}", list(&used)));
    }
    if !undocumented.is_empty() {
        verdict.evidence.push(format!("undocumented: {}", list(&undocumented)));
        verdict.worst(Status::Warn);
    }
    if let Some(dotenv) = project.dotenv() {
        let dir = dotenv.parent().unwrap_or(&project.root);
        if manifest::ignored(dir, ".env").is_some() {
            verdict.evidence.push("`.env` is ignored by git".into());
        } else {
            verdict
                .evidence
                .push(format!("`{}` is not ignored by git", project.rel(&dotenv)));
            verdict.worst(Status::Fail);
        }
    }
}

fn backing_services(project: &Project<'_>, verdict: &mut Verdict) {
    if project.service_kinds.is_empty() {
        verdict.applicable = false;
        verdict
            .evidence
            .push("no backing-service clients among the dependencies".into());
    } else {
        verdict.evidence.push(format!("uses {}", list(&project.service_kinds)));
        let sources: BTreeSet<&str> = project.service_sources.iter().map(String::as_str).collect();
        verdict.evidence.push(format!("from {}", plain_list(&sources)));
    }
}

fn build_release_run(project: &Project<'_>, verdict: &mut Verdict) {
    verdict.applicable = project.has_bin();
    // A release step is judged by what it does: a Procfile `release:`, a
    // release script, or an entry point that runs the migrations.
    let tasks: BTreeSet<&str> = project.migrating_tasks.iter().map(String::as_str).collect();
    let release = project
        .process_types
        .iter()
        .find(|(k, _)| k == "release")
        .map(|_| "a `release:` process in the Procfile".to_string())
        .or_else(|| {
            project
                .release_script()
                .filter(|(_, deploys)| *deploys)
                .map(|(p, _)| format!("`{p}`"))
        })
        .or_else(|| {
            (!tasks.is_empty()).then(|| {
                let verb = if tasks.len() == 1 { "runs" } else { "run" };
                format!("{} {verb} the migrations", list(&tasks))
            })
        });
    let migrations = project.migrations();
    if let Some(first) = project.startup_migrations.first() {
        verdict
            .evidence
            .push(format!("migrations run at start-up of the service: {first}"));
    }
    match (&release, &migrations) {
        (Some(r), _) => verdict.evidence.push(format!("release step: {r}")),
        (None, Some(_)) if !project.startup_migrations.is_empty() => verdict
            .evidence
            .push("no separate release step: the service migrates as it starts".into()),
        (None, Some(m)) => {
            verdict
                .evidence
                .push(format!("`{m}` exists but no release step runs it"));
            verdict.worst(Status::Warn);
        }
        (None, None) => verdict
            .evidence
            .push("no release step (none needed: no migrations)".into()),
    }
    if let Some((p, false)) = project.release_script() {
        verdict.evidence.push(format!(
            "`{p}` tags and publishes a version of the software: not a deploy's release step"
        ));
    }
    match project.dockerfile() {
        Some((path, text)) => {
            let stages = text
                .lines()
                .filter(|l| l.trim_start().to_ascii_uppercase().starts_with("FROM "))
                .count();
            let builds = text.contains("cargo build") || text.contains("cargo install");
            if stages >= 2 {
                verdict.evidence.push(format!("`{path}` builds in {stages} stages"));
            } else if !builds {
                verdict
                    .evidence
                    .push(format!("`{path}` packages a binary built elsewhere"));
            } else {
                verdict.evidence.push(format!(
                    "`{path}` has a single stage: build tools ship with the release"
                ));
                verdict.worst(Status::Warn);
            }
        }
        None => verdict.evidence.push("no Dockerfile".into()),
    }
}

fn processes(project: &Project<'_>, verdict: &mut Verdict) {
    verdict.applicable = project.has_bin() || verdict.has_findings;
    if verdict.applicable && !verdict.has_findings {
        verdict.evidence.push("no local-state or filesystem findings".into());
    }
}

fn port_binding(project: &Project<'_>, verdict: &mut Verdict) {
    let (env, servers) = (&project.env, &project.servers);
    // `PORT`, or the app's own `SERVER_PORT`/`ROCKET_PORT` (Rocket's figment
    // reads it by itself).
    let port = env
        .iter()
        .find(|v| v.name == "PORT")
        .or_else(|| {
            env.iter().find(|v| {
                ["ROCKET_PORT", "HTTP_PORT", "SERVER_PORT", "WEB_PORT", "APP_PORT"]
                    .iter()
                    .any(|s| v.name.ends_with(s))
            })
        })
        .or_else(|| {
            env.iter()
                .filter(|v| v.name.ends_with("_PORT") && !v.name.contains("SMTP"))
                .min_by_key(|v| v.name.len())
        });
    let configured = project
        .rocket_toml_port()
        .map(|p| format!("`port` in `{p}`"))
        .or_else(|| project.port_fields.first().cloned());
    if servers.is_empty() {
        verdict.applicable = port.is_some() || verdict.has_findings;
        if !verdict.applicable {
            verdict
                .evidence
                .push("no HTTP or RPC server among the dependencies".into());
        }
    } else {
        verdict
            .evidence
            .push(format!("serves with {}", list(&servers.iter().copied().collect())));
    }
    if let Some(c) = &configured {
        verdict.evidence.push(format!("port from config: {c}"));
    }
    match port {
        Some(v) => verdict
            .evidence
            .push(format!("port from `{}` ({}:{})", v.name, v.file, v.line)),
        None if configured.is_some() => {}
        None if !servers.is_empty() => {
            verdict
                .evidence
                .push("the port is not read from the environment (`PORT`)".into());
            verdict.worst(Status::Warn);
        }
        None => {}
    }
}

fn concurrency(project: &Project<'_>, verdict: &mut Verdict) {
    let (bins, process_types) = (&project.bins, &project.process_types);
    verdict.applicable = project.has_bin();
    if !process_types.is_empty() {
        let kinds: BTreeSet<&str> = process_types.iter().map(|(k, _)| k.as_str()).collect();
        verdict
            .evidence
            .push(format!("Procfile process types: {}", list(&kinds)));
    } else if bins.len() > 1 {
        verdict.evidence.push(format!(
            "{} binaries: {}",
            bins.len(),
            list(&bins.iter().copied().collect())
        ));
    } else if let [bin] = bins.as_slice() {
        verdict.evidence.push(format!("one process type: `{bin}`"));
    }
    let daemons = Seen::names(&project.seen, Seen::Daemonize);
    if !daemons.is_empty() {
        verdict.evidence.push(format!("daemonizes with {}", list(&daemons)));
        verdict.worst(Status::Warn);
    }
}

fn disposability(project: &Project<'_>, verdict: &mut Verdict) {
    verdict.applicable = project.has_bin();
    let handlers = Seen::names(&project.seen, Seen::Shutdown);
    let builtin: Vec<&str> = project.deps.iter().copied().filter(|d| stops_on_sigterm(d)).collect();
    if !handlers.is_empty() {
        verdict.evidence.push(format!("graceful shutdown: {}", list(&handlers)));
    } else if !builtin.is_empty() {
        verdict
            .evidence
            .push(format!("`{}` stops gracefully on SIGTERM", builtin.join("`, `")));
    } else if project.has_bin() {
        verdict
            .evidence
            .push("no signal handling or graceful shutdown found".into());
        verdict.worst(Status::Warn);
    }
}

/// Whether a server dependency stops gracefully on SIGTERM without any
/// code: shuttle, or the crate of a serve call the signal-handler rule
/// trusts to (actix-web, Rocket, loco, ...).
fn stops_on_sigterm(dependency: &str) -> bool {
    let krate = dependency.replace('-', "_");
    dependency == SHUTTLE
        || SERVE_CALLS
            .iter()
            .any(|(path, _, defaults)| *defaults != Defaults::None && path.split("::").next() == Some(&*krate))
}

fn dev_prod_parity(project: &Project<'_>, verdict: &mut Verdict) {
    verdict.applicable = !project.service_kinds.is_empty();
    if !verdict.applicable {
        verdict.evidence.push("no backing services to keep alike".into());
    }
    let (split, debug, release) = profile_split(&Seen::profiles(project.seen.iter().copied()));
    if split {
        verdict.evidence.push(format!(
            "debug builds use {}, release builds {}",
            list(&debug),
            list(&release)
        ));
    }
    if split {
        verdict.worst(Status::Fail);
    }
    let needs_service: BTreeSet<&str> = project.composable();
    let files = project.compose_files();
    match files.is_empty() {
        false => {
            let mut composed = BTreeSet::new();
            for (path, text) in &files {
                let kinds = compose_kinds(text);
                verdict.evidence.push(format!(
                    "`{path}` runs {}",
                    if kinds.is_empty() {
                        "no backing services".to_string()
                    } else {
                        list(&kinds)
                    }
                ));
                composed.extend(kinds);
            }
            let missing: BTreeSet<&str> = needs_service.difference(&composed).copied().collect();
            if !missing.is_empty() {
                verdict.evidence.push(format!("not in compose: {}", list(&missing)));
                verdict.worst(Status::Warn);
            }
        }
        true if !needs_service.is_empty() => {
            verdict
                .evidence
                .push(format!("no compose file to run {} locally", list(&needs_service)));
            verdict.worst(Status::Warn);
        }
        true => {}
    }
}

fn logs(project: &Project<'_>, verdict: &mut Verdict) {
    verdict.applicable = project.has_bin() || verdict.has_findings;
    let loggers = Seen::names(&project.seen, Seen::StreamLogger);
    let files = Seen::names(&project.seen, Seen::FileLogger);
    if !files.is_empty() {
        verdict.applicable = true;
        verdict.evidence.push(format!("writes log files with {}", list(&files)));
        verdict.worst(Status::Warn);
    }
    if !loggers.is_empty() {
        verdict.evidence.push(format!("logger set up with {}", list(&loggers)));
    } else if verdict.applicable && files.is_empty() {
        verdict
            .evidence
            .push("no logger set up: output goes to stdout/stderr".into());
    }
}

fn admin_processes(project: &Project<'_>, verdict: &mut Verdict) {
    let subcommands: BTreeSet<&str> = project
        .seen
        .iter()
        .filter_map(|s| match s {
            Seen::Subcommands(v) => Some(v),
            _ => None,
        })
        .flatten()
        .map(String::as_str)
        .filter(|v| is_admin_word(v))
        .collect();
    let admin_bins: Vec<&str> = project.bins.iter().copied().filter(|b| is_admin_word(b)).collect();
    let migrations = project.migrations();
    if !admin_bins.is_empty() {
        verdict.evidence.push(format!(
            "admin binaries: {}",
            list(&admin_bins.iter().copied().collect())
        ));
    }
    if !subcommands.is_empty() {
        verdict
            .evidence
            .push(format!("admin subcommands: {}", list(&subcommands)));
    }
    let release_runs = project.process_types.iter().any(|(k, _)| k == "release");
    let tasks: BTreeSet<&str> = project.migrating_tasks.iter().map(String::as_str).collect();
    if !tasks.is_empty() {
        verdict.evidence.push(format!("one-off migrations: {}", list(&tasks)));
    }
    if let Some(first) = project.startup_migrations.first() {
        let more = project.startup_migrations.len() - 1;
        verdict.evidence.push(format!(
            "migrations run at every start of the service: {first}{}",
            if more > 0 {
                format!(" (and {more} more site{})", if more == 1 { "" } else { "s" })
            } else {
                String::new()
            }
        ));
    }
    let startup = !project.startup_migrations.is_empty();
    if admin_bins.is_empty() && subcommands.is_empty() && !release_runs && tasks.is_empty() && !startup {
        match migrations {
            Some(m) => {
                verdict
                    .evidence
                    .push(format!("`{m}` exists but no admin binary or subcommand runs it"));
                verdict.worst(Status::Warn);
            }
            None => {
                verdict.applicable = verdict.has_findings;
                verdict.evidence.push("no migrations or admin tasks found".into());
            }
        }
    }
    if release_runs {
        verdict
            .evidence
            .push("one-off `release:` process in the Procfile".into());
    }
}

/// Whether a binary or subcommand name has an admin word in it:
/// `migrate`, `api-migrate`, `SeedDemoData`, `run_migrations`.
fn is_admin_word(name: &str) -> bool {
    words(name).iter().any(|w| {
        let w = w.strip_suffix('s').filter(|s| s.len() > 2).unwrap_or(w);
        ADMIN_WORDS.contains(&w)
    })
}

/// Whether build profiles choose different backing services: one
/// `if cfg!(debug_assertions)` with different kinds in its branches, or
/// `#[cfg(debug_assertions)]` and `#[cfg(not(debug_assertions))]` items
/// naming different databases. Gives the kinds per profile.
fn profile_split<'a>(
    facts: &[(&BTreeSet<&'a str>, &BTreeSet<&'a str>)],
) -> (bool, BTreeSet<&'a str>, BTreeSet<&'a str>) {
    for (debug, release) in facts {
        if !debug.is_empty() && !release.is_empty() && debug != release {
            return (true, (*debug).clone(), (*release).clone());
        }
    }
    let mut debug = BTreeSet::new();
    let mut release = BTreeSet::new();
    for (d, r) in facts {
        debug.extend(d.iter().copied().filter(|k| SQL_KINDS.contains(k)));
        release.extend(r.iter().copied().filter(|k| SQL_KINDS.contains(k)));
    }
    let split = !debug.is_empty() && !release.is_empty() && debug != release;
    (split, debug, release)
}

fn is_system_var(name: &str) -> bool {
    SYSTEM_VARS.contains(&name) || SYSTEM_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Already quoted items, joined: at most ten, then how many more.
fn plain_list(items: &BTreeSet<&str>) -> String {
    const MAX: usize = 10;
    let mut out = items.iter().take(MAX).copied().collect::<Vec<_>>().join(", ");
    if items.len() > MAX {
        out.push_str(&format!(" and {} more", items.len() - MAX));
    }
    out
}

/// `a`, `b`, `c` — at most ten, then how many more.
fn list(items: &BTreeSet<&str>) -> String {
    const MAX: usize = 10;
    let mut out = items
        .iter()
        .take(MAX)
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > MAX {
        out.push_str(&format!(" and {} more", items.len() - MAX));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::evidence::seen_in;

    #[test]
    fn profile_splits_across_cfg_items() {
        let src = r#"
#[cfg(debug_assertions)]
const DATABASE_URL: &str = "sqlite://dev.db";
#[cfg(not(debug_assertions))]
const DATABASE_URL: &str = "postgres://db.internal/app";
#[cfg(debug_assertions)]
fn seed_cache() { redis::Client::open("redis://localhost").unwrap(); }
"#;
        let (split, debug, release) = profile_split(&Seen::profiles(&seen_in(src)));
        assert!(split);
        assert_eq!(debug.into_iter().collect::<Vec<_>>(), ["sqlite"]);
        assert_eq!(release.into_iter().collect::<Vec<_>>(), ["postgres"]);
        // The same database in both profiles (a different host) is parity.
        let same = seen_in(
            "#[cfg(debug_assertions)]\nconst U: &str = \"postgres://localhost/app\";\n#[cfg(not(debug_assertions))]\nconst U: &str = \"postgres://db.internal/app\";\n",
        );
        assert!(!profile_split(&Seen::profiles(&same)).0);
    }

    #[test]
    fn admin_words() {
        assert!(is_admin_word("Migrate") && is_admin_word("SeedDemoData") && !is_admin_word("Serve"));
        assert!(is_admin_word("api-migrate") && !is_admin_word("tasker") && !is_admin_word("client"));
        assert!(is_admin_word("run_migrations") && is_admin_word("DBSeed") && is_admin_word("CLI"));
    }

    #[test]
    fn servers_that_stop_on_sigterm_by_themselves() {
        for d in ["actix-web", "rocket", "shuttle-runtime", "loco-rs", "ntex", "pingora"] {
            assert!(stops_on_sigterm(d), "{d}");
        }
        for d in ["axum", "warp", "hyper", "tonic", "poem", "tokio"] {
            assert!(!stops_on_sigterm(d), "{d}");
        }
    }

    #[test]
    fn system_variables_and_long_lists() {
        assert!(is_system_var("RUST_LOG") && is_system_var("XDG_CONFIG_HOME") && is_system_var("TERM"));
        assert!(!is_system_var("DATABASE_URL") && !is_system_var("SERVER_PORT"));
        let many: BTreeSet<&str> = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"].into();
        assert!(list(&many).ends_with("`J` and 2 more"));
    }
}

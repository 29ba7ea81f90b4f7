//! The command line: cargo's flags, `check` (the default), `fix`, `rules`,
//! `explain`, `report` and `env`.
//!
//! Cargo runs `cargo twelve ARGS` as `cargo-twelve twelve ARGS`; both that
//! and a direct `cargo-twelve ARGS` work.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::diagnostic::{Emitter, Human, Json, LintLevel, RenderContext, Severity, Short, Totals, human};
use crate::engine::{self, Options};
use crate::rules;
use crate::workspace::{Selection, Workspace};

/// Exit code for findings at warn or deny level.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code for usage, manifest and configuration errors.
pub const EXIT_USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "cargo-twelve",
    bin_name = "cargo twelve",
    version,
    about = "Check a Rust service against the Twelve-Factor App (12factor.net)",
    args_conflicts_with_subcommands = true,
    after_help = "With no command, `check` runs. Exit status: 0 clean, 1 findings, 2 usage or configuration error."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    check: CheckArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check the selected packages and report violations (the default)
    Check(Box<CheckArgs>),
    /// List every rule with its factor, default level and whether it is fixable
    Rules {
        /// `table` for people, `json` for tools
        #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
        format: RulesFormat,
    },
    /// Print a rule's documentation, like `rustc --explain`
    Explain {
        /// The rule, with or without the `twelve::` prefix
        rule: String,
    },
    /// Check the project factor by factor (I-XII): status, evidence, findings
    Report(Box<ReportArgs>),
    /// List every environment variable the code reads: the app's config surface
    Env(Box<EnvArgs>),
    /// Apply the rules' suggested fixes, then report what remains
    Fix(Box<FixArgs>),
}

#[derive(Debug, Args)]
pub struct FixArgs {
    #[command(flatten)]
    check: CheckArgs,
    /// Also apply fixes that may be incorrect (`MaybeIncorrect`): review them
    #[arg(long, help_heading = "Fix Options")]
    unsafe_fixes: bool,
    /// Print the fixes as a unified diff and change nothing
    #[arg(long, help_heading = "Fix Options")]
    diff: bool,
    /// Fix code even if the working directory has uncommitted changes
    #[arg(long, help_heading = "Fix Options")]
    allow_dirty: bool,
    /// Fix code even if the working directory has staged changes
    #[arg(long, help_heading = "Fix Options")]
    allow_staged: bool,
    /// Fix code even if a VCS was not detected
    #[arg(long, help_heading = "Fix Options")]
    allow_no_vcs: bool,
}

/// Which packages `report` and `env` look at, as for `check`.
#[derive(Debug, Default, Args)]
pub struct ProjectArgs {
    /// Path to Cargo.toml
    #[arg(long, value_name = "PATH", help_heading = "Manifest Options")]
    manifest_path: Option<PathBuf>,
    /// Package to select (repeatable)
    #[arg(short, long = "package", value_name = "SPEC", help_heading = "Package Selection")]
    package: Vec<String>,
    /// All packages in the workspace
    #[arg(long, alias = "all", help_heading = "Package Selection")]
    workspace: bool,
    /// Exclude packages (with --workspace)
    #[arg(long, value_name = "SPEC", help_heading = "Package Selection")]
    exclude: Vec<String>,
}

impl ProjectArgs {
    fn selection(&self) -> Selection {
        Selection {
            manifest_path: self.manifest_path.clone(),
            packages: self.package.clone(),
            workspace: self.workspace,
            exclude: self.exclude.clone(),
            ..Selection::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    #[command(flatten)]
    project: ProjectArgs,
    /// `table` for people, `json` for tools, `dotenv` for a ready `.env.example`
    #[arg(long, value_enum, default_value_t = EnvFormat::Table)]
    format: EnvFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EnvFormat {
    Table,
    Json,
    Dotenv,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    project: ProjectArgs,
    /// `human` (a table), `markdown` (for PR comments and READMEs) or `json`
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    format: ReportFormat,
    /// Coloring: auto, always, never (default from CARGO_TERM_COLOR)
    #[arg(long, value_enum, value_name = "WHEN")]
    color: Option<ColorChoice>,
    /// Exit with 0 even when a factor fails or warns
    #[arg(long)]
    exit_zero: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    Human,
    Markdown,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RulesFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Default, Args)]
struct CheckArgs {
    #[command(flatten)]
    project: ProjectArgs,

    /// Check only this package's library
    #[arg(long, help_heading = "Target Selection")]
    lib: bool,
    /// Check all binaries
    #[arg(long, help_heading = "Target Selection")]
    bins: bool,
    /// Check only the specified binary
    #[arg(long, value_name = "NAME", help_heading = "Target Selection")]
    bin: Vec<String>,
    /// Check all test targets
    #[arg(long, help_heading = "Target Selection")]
    tests: bool,
    /// Check only the specified test target
    #[arg(long, value_name = "NAME", help_heading = "Target Selection")]
    test: Vec<String>,
    /// Check all examples
    #[arg(long, help_heading = "Target Selection")]
    examples: bool,
    /// Check only the specified example
    #[arg(long, value_name = "NAME", help_heading = "Target Selection")]
    example: Vec<String>,
    /// Check all benches
    #[arg(long, help_heading = "Target Selection")]
    benches: bool,
    /// Check only the specified bench target
    #[arg(long, value_name = "NAME", help_heading = "Target Selection")]
    bench: Vec<String>,
    /// Check all targets: lib, bins, tests, examples, benches and the build script
    #[arg(long, help_heading = "Target Selection")]
    all_targets: bool,

    /// Set a rule to allow (repeatable; later flags win)
    #[arg(short = 'A', long = "allow", value_name = "RULE", help_heading = "Rule Levels")]
    allow: Vec<String>,
    /// Set a rule to warn
    #[arg(short = 'W', long = "warn", value_name = "RULE", help_heading = "Rule Levels")]
    warn: Vec<String>,
    /// Set a rule to deny; `-D warnings` denies every warning
    #[arg(short = 'D', long = "deny", value_name = "RULE", help_heading = "Rule Levels")]
    deny: Vec<String>,

    /// Output format: human, short, json (and cargo's json-diagnostic-* variants)
    #[arg(
        long,
        value_name = "FMT",
        value_delimiter = ',',
        default_value = "human",
        help_heading = "Output"
    )]
    message_format: Vec<String>,
    /// Coloring: auto, always, never (default from CARGO_TERM_COLOR)
    #[arg(long, value_enum, value_name = "WHEN", help_heading = "Output")]
    color: Option<ColorChoice>,
    /// Print only diagnostics, no status lines
    #[arg(short, long, help_heading = "Output")]
    quiet: bool,
    /// Also report unused `twelve:allow` comments (-vv for more detail)
    #[arg(short, long, action = clap::ArgAction::Count, help_heading = "Output")]
    verbose: u8,
    /// Show secrets in full instead of masking them (for local debugging only)
    #[arg(long, help_heading = "Output")]
    show_secrets: bool,
    /// Exit with 0 even when findings are reported
    #[arg(long, help_heading = "Output")]
    exit_zero: bool,

    // Accepted for rust-analyzer's `check.command` and cargo muscle memory;
    // they do not change what a syntax-level check sees.
    #[arg(long, hide = true)]
    keep_going: bool,
    #[arg(long, hide = true)]
    all_features: bool,
    #[arg(long, hide = true)]
    no_default_features: bool,
    #[arg(short = 'F', long, hide = true)]
    features: Vec<String>,
    #[arg(long, hide = true)]
    target_dir: Option<String>,
    #[arg(long, hide = true)]
    target: Vec<String>,
    #[arg(long, hide = true)]
    config: Vec<String>,
    #[arg(long, hide = true)]
    locked: bool,
    #[arg(long, hide = true)]
    offline: bool,
    #[arg(long, hide = true)]
    frozen: bool,
    #[arg(long, hide = true)]
    release: bool,
    #[arg(long, hide = true)]
    profile: Option<String>,
    #[arg(short = 'j', long, hide = true)]
    jobs: Option<String>,
    #[arg(short = 'Z', hide = true)]
    unstable: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Human,
    Short,
    Json { ansi: bool },
}

/// Runs the command line and returns the process exit code.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let mut args: Vec<OsString> = args.into_iter().collect();
    // `cargo twelve ...` runs `cargo-twelve twelve ...`.
    if args.get(1).is_some_and(|a| a == "twelve") {
        args.remove(1);
    }
    let matches = match Cli::command().try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(EXIT_USAGE);
        }
    };
    match cli.command {
        Some(Command::Rules { format }) => list_rules(format),
        Some(Command::Explain { rule }) => explain(&rule),
        Some(Command::Env(args)) => run_env(&args),
        Some(Command::Report(args)) => run_report(&args),
        Some(Command::Fix(fix)) => {
            let sub = matches.subcommand_matches("fix").expect("fix matched");
            run_fix(&fix, sub)
        }
        Some(Command::Check(check)) => {
            let sub = matches.subcommand_matches("check").expect("check matched");
            run_check(&check, sub)
        }
        None => run_check(&cli.check, &matches),
    }
}

fn list_rules(format: RulesFormat) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match format {
        RulesFormat::Json => {
            let rules: Vec<_> = rules::ALL
                .iter()
                .map(|r| {
                    let m = r.meta();
                    serde_json::json!({
                        "name": m.name,
                        "code": format!("twelve::{}", m.name),
                        "factor": m.factor.numeral(),
                        "factor_name": m.factor.title(),
                        "default_level": m.default_level,
                        "fixable": m.fixable,
                        "summary": m.summary(),
                        "url": m.factor.url(),
                    })
                })
                .collect();
            let _ = writeln!(out, "{}", serde_json::to_string_pretty(&rules).unwrap_or_default());
        }
        RulesFormat::Table => {
            let _ = writeln!(out, "{:<28} {:<28} {:<8} FIXABLE", "RULE", "FACTOR", "DEFAULT");
            for rule in rules::ALL {
                let m = rule.meta();
                let factor = format!("{:<4} {}", m.factor.numeral(), m.factor.title());
                let fixable = if m.fixable { "yes" } else { "no" };
                let _ = writeln!(
                    out,
                    "{:<28} {:<28} {:<8} {}",
                    m.name,
                    factor,
                    m.default_level.as_str(),
                    fixable
                );
            }
        }
    }
    ExitCode::SUCCESS
}

fn explain(name: &str) -> ExitCode {
    let Some(rule) = rules::find(name) else {
        let hint = rules::closest(name.strip_prefix("twelve::").unwrap_or(name))
            .map(|c| format!("\n\nhelp: a rule with a similar name exists: `{c}`"))
            .unwrap_or_else(|| "\n\nhelp: `cargo twelve rules` lists every rule".into());
        eprintln!("error: no rule named `{name}`{hint}");
        return ExitCode::from(EXIT_USAGE);
    };
    let m = rule.meta();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "twelve::{}: factor {} ({}), {} by default\n{}\n",
        m.name,
        m.factor.numeral(),
        m.factor.title(),
        m.default_level.as_str(),
        m.factor.url()
    );
    let _ = writeln!(out, "{}", m.docs());
    if let Some(more) = rule.explain_appendix() {
        let _ = writeln!(out, "\n{more}");
    }
    ExitCode::SUCCESS
}

fn load_project(project: &ProjectArgs, color: bool) -> Result<Workspace, ExitCode> {
    Workspace::load(&project.selection()).map_err(|e| {
        eprintln!("{}", human::paint(color, Severity::Error, &format!("{e:#}")));
        ExitCode::from(EXIT_USAGE)
    })
}

fn run_env(args: &EnvArgs) -> ExitCode {
    let workspace = match load_project(&args.project, use_color(None)) {
        Ok(ws) => ws,
        Err(code) => return code,
    };
    let (settings, _) = crate::config::load(&workspace);
    let options = Options {
        settings,
        ..Options::default()
    };
    let (vars, _) = crate::env_inventory::collect(&workspace, &options);
    let text = match args.format {
        EnvFormat::Table => crate::env_inventory::render_table(&vars),
        EnvFormat::Json => serde_json::to_string_pretty(&vars).unwrap_or_default() + "\n",
        EnvFormat::Dotenv => crate::env_inventory::render_dotenv(&vars),
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    ExitCode::SUCCESS
}

fn run_report(args: &ReportArgs) -> ExitCode {
    let color = use_color(args.color);
    let workspace = match load_project(&args.project, color) {
        Ok(ws) => ws,
        Err(code) => return code,
    };
    let (settings, issues) = crate::config::load(&workspace);
    for issue in &issues {
        let severity = if issue.is_error {
            Severity::Error
        } else {
            Severity::Warning
        };
        eprintln!("{}", human::paint(color, severity, &issue.to_string()));
        if issue.is_error {
            return ExitCode::from(EXIT_USAGE);
        }
    }
    let options = Options {
        settings,
        ..Options::default()
    };
    let report = crate::report::build(&workspace, &options);
    let text = match args.format {
        ReportFormat::Human => {
            // The table goes to stdout: `auto` asks whether stdout is a terminal.
            let choice = args
                .color
                .or_else(|| match std::env::var("CARGO_TERM_COLOR").ok()?.as_str() {
                    "always" => Some(ColorChoice::Always),
                    "never" => Some(ColorChoice::Never),
                    _ => None,
                });
            let color = match choice {
                Some(ColorChoice::Always) => true,
                Some(ColorChoice::Never) => false,
                _ => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal(),
            };
            crate::report::render_human(&report, color)
        }
        ReportFormat::Markdown => crate::report::render_markdown(&report),
        ReportFormat::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    if args.exit_zero || !report.has_problems() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    }
}

fn parse_format(values: &[String]) -> Result<Format, String> {
    let mut format = Format::Human;
    for v in values {
        format = match v.as_str() {
            "human" => Format::Human,
            "short" => Format::Short,
            "json" | "json-diagnostic-short" | "json-render-diagnostics" => match format {
                Format::Json { ansi } => Format::Json { ansi },
                _ => Format::Json { ansi: false },
            },
            "json-diagnostic-rendered-ansi" => Format::Json { ansi: true },
            other => {
                return Err(format!(
                    "invalid message format `{other}`: expected human, short, json, json-diagnostic-short, json-diagnostic-rendered-ansi or json-render-diagnostics"
                ));
            }
        };
    }
    Ok(format)
}

fn use_color(choice: Option<ColorChoice>) -> bool {
    let choice = choice.or_else(|| match std::env::var("CARGO_TERM_COLOR").ok()?.as_str() {
        "always" => Some(ColorChoice::Always),
        "never" => Some(ColorChoice::Never),
        _ => Some(ColorChoice::Auto),
    });
    match choice.unwrap_or(ColorChoice::Auto) {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
        }
    }
}

/// `-A`/`-W`/`-D` in the order given, so later flags win as in rustc.
fn level_overrides(args: &CheckArgs, matches: &ArgMatches) -> Vec<(String, LintLevel)> {
    let mut all = Vec::new();
    for (id, values, level) in [
        ("allow", &args.allow, LintLevel::Allow),
        ("warn", &args.warn, LintLevel::Warn),
        ("deny", &args.deny, LintLevel::Deny),
    ] {
        let indices: Vec<usize> = matches.indices_of(id).map(|i| i.collect()).unwrap_or_default();
        for (i, value) in values.iter().enumerate() {
            all.push((indices.get(i).copied().unwrap_or(0), value.clone(), level));
        }
    }
    all.sort_by_key(|(i, _, _)| *i);
    all.into_iter().map(|(_, name, level)| (name, level)).collect()
}

/// A loaded, configured run of `check` (or `fix`), before the pass.
struct Prepared {
    selection: Selection,
    workspace: Workspace,
    options: Options,
    format: Format,
    color: bool,
}

/// Parses the output flags, loads the workspace and its configuration,
/// warns about unknown rules and prints the `Checking` lines.
fn prepare(args: &CheckArgs, matches: &ArgMatches, stderr: &mut dyn Write) -> Result<Prepared, ExitCode> {
    let color = use_color(args.color);
    let format = match parse_format(&args.message_format) {
        Ok(f) => f,
        Err(e) => {
            let _ = writeln!(stderr, "{}", human::paint(color, Severity::Error, &e));
            return Err(ExitCode::from(EXIT_USAGE));
        }
    };
    let selection = Selection {
        lib: args.lib,
        bins: args.bins,
        bin: args.bin.clone(),
        tests: args.tests,
        test: args.test.clone(),
        examples: args.examples,
        example: args.example.clone(),
        benches: args.benches,
        bench: args.bench.clone(),
        all_targets: args.all_targets,
        ..args.project.selection()
    };
    let workspace = match Workspace::load(&selection) {
        Ok(ws) => ws,
        Err(e) => {
            let _ = writeln!(stderr, "{}", human::paint(color, Severity::Error, &format!("{e:#}")));
            return Err(ExitCode::from(EXIT_USAGE));
        }
    };

    let (settings, issues) = crate::config::load(&workspace);
    let mut config_error = false;
    for issue in &issues {
        let severity = if issue.is_error {
            Severity::Error
        } else {
            Severity::Warning
        };
        config_error |= issue.is_error;
        let _ = writeln!(stderr, "{}", human::paint(color, severity, &issue.to_string()));
    }
    if config_error {
        return Err(ExitCode::from(EXIT_USAGE));
    }
    let overrides = level_overrides(args, matches);
    for (name, _) in &overrides {
        if name != "warnings" && rules::find(name).is_none() {
            let hint = rules::closest(name)
                .map(|c| format!(" (did you mean `{c}`?)"))
                .unwrap_or_default();
            let _ = writeln!(
                stderr,
                "{}",
                human::paint(
                    color,
                    Severity::Warning,
                    &format!("unknown rule `{name}` on the command line{hint}")
                )
            );
        }
    }

    if !args.quiet && !matches!(format, Format::Json { .. }) {
        for p in &workspace.packages {
            let _ = writeln!(
                stderr,
                "{}",
                human::status(
                    color,
                    "Checking",
                    &format!("{} v{} ({})", p.name, p.version, p.dir().display())
                )
            );
        }
    }

    let options = Options {
        overrides,
        report_unused_suppressions: args.verbose > 0,
        show_secrets: args.show_secrets,
        settings,
    };
    Ok(Prepared {
        selection,
        workspace,
        options,
        format,
        color,
    })
}

fn run_check(args: &CheckArgs, matches: &ArgMatches) -> ExitCode {
    let stderr = &mut std::io::stderr().lock();
    let run = match prepare(args, matches, stderr) {
        Ok(run) => run,
        Err(code) => return code,
    };
    let outcome = engine::check(&run.workspace, rules::ALL, &run.options);
    print_outcome(args, &run, &outcome, stderr)
}

/// Prints the findings as `check` does; the exit code they make.
fn print_outcome(args: &CheckArgs, run: &Prepared, outcome: &engine::Outcome, stderr: &mut dyn Write) -> ExitCode {
    let Prepared {
        workspace,
        format,
        color,
        ..
    } = run;
    let (format, color) = (*format, *color);
    if args.verbose > 0 && !args.quiet {
        // The service model's verdicts, with their evidence, cargo-style.
        for entry in outcome.model.entries() {
            let at = entry
                .evidence
                .first()
                .map(|(span, _)| {
                    let path = span.path().strip_prefix(&workspace.root).unwrap_or(span.path());
                    let at = format!("{}:{}", path.display(), span.start().line);
                    match entry.kind {
                        engine::model::EntryKind::Service => format!(" at {at}"),
                        _ => format!(" (serves at {at})"),
                    }
                })
                .unwrap_or_default();
            let _ = writeln!(
                stderr,
                "{}",
                human::status(
                    color,
                    "Entry",
                    &format!(
                        "`{}` ({}): {}{at}{}",
                        entry.name,
                        entry.kind.as_str(),
                        entry.reason,
                        entry
                            .keeps_data
                            .as_ref()
                            .map(|what| format!("; {what}: its data on disk is its job"))
                            .unwrap_or_default()
                    )
                )
            );
        }
    }

    let cx = RenderContext {
        cwd: std::env::current_dir().unwrap_or_default(),
        workspace_root: workspace.root.clone(),
        color,
        rendered_ansi: matches!(format, Format::Json { ansi: true }),
        packages: &workspace.packages,
        explain: &|code| rules::find(code).map(|r| r.meta().docs()),
    };
    let mut totals = Totals {
        files: outcome.files,
        lines: outcome.lines,
        packages: workspace.packages.len(),
        ..Totals::default()
    };
    totals.count(&outcome.diagnostics);

    let (mut emitter, out): (Box<dyn Emitter>, Box<dyn Write>) = match format {
        Format::Human => (Box::new(Human { quiet: args.quiet }), Box::new(std::io::stderr())),
        Format::Short => (Box::new(Short { quiet: args.quiet }), Box::new(std::io::stderr())),
        Format::Json { .. } => (Box::new(Json), Box::new(std::io::stdout())),
    };
    let mut out = std::io::BufWriter::new(out);
    for d in &outcome.diagnostics {
        let _ = emitter.emit(&cx, d, &mut out);
    }
    let _ = emitter.finish(&cx, &totals, &mut out);
    let _ = out.flush();

    if args.exit_zero || totals.errors + totals.warnings == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    }
}

/// `cargo twelve fix`: check, apply the allowed suggestions, check again
/// and report what remains.
fn run_fix(args: &FixArgs, matches: &ArgMatches) -> ExitCode {
    let stderr = &mut std::io::stderr().lock();
    let check = &args.check;
    let run = match prepare(check, matches, stderr) {
        Ok(run) => run,
        Err(code) => return code,
    };
    let color = run.color;
    let fail = |stderr: &mut dyn Write, message: &str| {
        let _ = writeln!(stderr, "{}", human::paint(color, Severity::Error, message));
        ExitCode::from(EXIT_USAGE)
    };
    let allow = crate::fix::vcs::Allow {
        no_vcs: args.allow_no_vcs,
        dirty: args.allow_dirty,
        staged: args.allow_staged,
    };
    if !args.diff
        && let Err(e) = crate::fix::vcs::require_vcs(&run.workspace.root, allow)
    {
        return fail(stderr, &e);
    }
    let outcome = engine::check(&run.workspace, rules::ALL, &run.options);
    let request = crate::fix::Request {
        unsafe_fixes: args.unsafe_fixes,
    };
    let plan = crate::fix::plan(&outcome.diagnostics, request, &run.workspace.root.join(".env.example"));
    let cwd = std::env::current_dir().unwrap_or_default();
    let shown = |path: &std::path::Path| RenderContext::relative(path, &cwd);
    for s in &plan.skipped {
        let _ = writeln!(
            stderr,
            "{}",
            human::paint(
                color,
                Severity::Warning,
                &format!(
                    "skipped the fix of `twelve::{}` at {}:{}: {}",
                    s.code,
                    shown(&s.path),
                    s.line,
                    s.reason
                )
            )
        );
    }
    let count = |n: usize| format!("{n} fix{}", if n == 1 { "" } else { "es" });
    if args.diff {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(plan.diff(&cwd).as_bytes());
        let _ = out.flush();
        for c in plan.changes.iter().filter(|_| !check.quiet) {
            let _ = writeln!(
                stderr,
                "{}",
                human::status(color, "Would fix", &format!("{} ({})", shown(&c.path), count(c.fixes)))
            );
        }
        return print_outcome(check, &run, &outcome, stderr);
    }
    if plan.changes.is_empty() {
        return print_outcome(check, &run, &outcome, stderr);
    }
    let touched: Vec<PathBuf> = plan
        .changes
        .iter()
        .filter(|c| c.before.is_some())
        .map(|c| c.path.clone())
        .collect();
    if let Err(e) = crate::fix::vcs::check_files(&run.workspace.root, &touched, allow) {
        return fail(stderr, &e);
    }
    if let Err(e) = plan.apply() {
        return fail(stderr, &e.to_string());
    }
    for c in plan.changes.iter().filter(|_| !check.quiet) {
        let _ = writeln!(
            stderr,
            "{}",
            human::status(color, "Fixed", &format!("{} ({})", shown(&c.path), count(c.fixes)))
        );
    }
    // What remains, checked anew; the manifests may have changed too.
    let workspace = Workspace::load(&run.selection).unwrap_or(run.workspace);
    let (settings, _) = crate::config::load(&workspace);
    let options = Options {
        settings,
        ..run.options
    };
    let outcome = engine::check(&workspace, rules::ALL, &options);
    let run = Prepared {
        workspace,
        options,
        ..run
    };
    print_outcome(check, &run, &outcome, stderr)
}

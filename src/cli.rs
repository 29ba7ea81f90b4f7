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

use crate::baseline::Baseline;
use crate::diagnostic::{
    Emitter, Github, Gitlab, Human, Json, LintLevel, RenderContext, RuleInfo, Sarif, Severity, Short, Totals, human,
};
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
    /// Package to select, by name or package ID spec (repeatable)
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
    /// Also check all test targets
    #[arg(long, help_heading = "Target Selection")]
    tests: bool,
    /// Check only the specified test target
    #[arg(long, value_name = "NAME", help_heading = "Target Selection")]
    test: Vec<String>,
    /// Also check all examples
    #[arg(long, help_heading = "Target Selection")]
    examples: bool,
    /// Check only the specified example
    #[arg(long, value_name = "NAME", help_heading = "Target Selection")]
    example: Vec<String>,
    /// Also check all benches
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

    /// Output format: human, short, json (and cargo's json-diagnostic-* variants), sarif, github, gitlab
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
    /// Also report unused `twelve:allow` comments, the service model's entry points and stale baseline entries
    #[arg(short, long, action = clap::ArgAction::Count, help_heading = "Output")]
    verbose: u8,
    /// Show secrets in full instead of masking them (for local debugging only)
    #[arg(long, help_heading = "Output")]
    show_secrets: bool,
    /// Analyse every file afresh: neither read nor write the cache in target/twelve
    #[arg(long)]
    no_cache: bool,
    /// Exit with 0 even when findings are reported
    #[arg(long, help_heading = "Output")]
    exit_zero: bool,
    /// Skip source files larger than SIZE (bytes, or with a KiB, MiB or GiB suffix), reporting them as `file_too_large` [default: 10MiB]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_file_size: Option<u64>,
    /// Write the --message-format output to FILE; the summary still goes to the terminal
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    output: Option<PathBuf>,

    /// Report only findings not recorded in this baseline file
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Baseline",
        conflicts_with = "show_secrets"
    )]
    baseline: Option<PathBuf>,
    /// Record today's findings in FILE (and report nothing)
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Baseline",
        conflicts_with_all = ["show_secrets", "baseline"]
    )]
    write_baseline: Option<PathBuf>,

    /// Check the package that owns PATH: its package-level findings and PATH's own (for editors)
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "Package Selection",
        conflicts_with_all = ["package", "workspace", "exclude"]
    )]
    file: Option<PathBuf>,

    /// Directory for all generated artifacts: the cache lives in its twelve/ (default: cargo's target directory)
    #[arg(long, value_name = "DIRECTORY")]
    target_dir: Option<PathBuf>,
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
    /// Cargo's JSON messages; `short` and `ansi` shape `rendered`, and
    /// `render` prints the diagnostics on stderr instead, as cargo does.
    Json {
        ansi: bool,
        short: bool,
        render: bool,
    },
    Sarif,
    Github,
    Gitlab,
}

impl Format {
    /// Written for tools, on stdout (or `--output`).
    fn is_machine(self) -> bool {
        !matches!(self, Self::Human | Self::Short)
    }
}

/// The first failed write to stdout or stderr, kept so the run can end
/// with exit status 2 and say so.
static WRITE_ERROR: std::sync::Mutex<Option<(&'static str, std::io::Error)>> = std::sync::Mutex::new(None);

/// stdout or stderr, remembering the first write that fails.
struct Tracked<W: Write> {
    name: &'static str,
    inner: W,
}

impl<W: Write> Tracked<W> {
    fn record<T>(&self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &result
            && let Ok(mut slot) = WRITE_ERROR.lock()
            && slot.is_none()
        {
            *slot = Some((self.name, std::io::Error::new(e.kind(), e.to_string())));
        }
        result
    }
}

impl<W: Write> Write for Tracked<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = self.inner.write(buf);
        self.record(r)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let r = self.inner.flush();
        self.record(r)
    }
}

fn stdout() -> Tracked<std::io::Stdout> {
    Tracked {
        name: "stdout",
        inner: std::io::stdout(),
    }
}

fn stderr() -> Tracked<std::io::Stderr> {
    Tracked {
        name: "stderr",
        inner: std::io::stderr(),
    }
}

/// The exit code, unless a write failed: a closed pipe (`| head`) is not
/// an error, anything else (a full disk) is exit status 2.
fn conclude(code: ExitCode) -> ExitCode {
    let _ = stdout().flush();
    let _ = stderr().flush();
    let failed = WRITE_ERROR.lock().ok().and_then(|mut slot| slot.take());
    match failed {
        Some((_, e)) if e.kind() == std::io::ErrorKind::BrokenPipe => code,
        Some((name, e)) => {
            let _ = writeln!(std::io::stderr(), "error: failed to write to {name}: {e}");
            ExitCode::from(EXIT_USAGE)
        }
        None => code,
    }
}

/// Runs the command line and returns the process exit code.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    conclude(run(args))
}

fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let mut args: Vec<OsString> = args.into_iter().collect();
    // `cargo twelve ...` runs `cargo-twelve twelve ...`.
    if args.get(1).is_some_and(|a| a == "twelve") {
        args.remove(1);
    }
    let matches = match Cli::command().try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) => {
            let text = e.render().to_string();
            if e.use_stderr() {
                let _ = stderr().write_all(text.as_bytes());
            } else {
                let _ = stdout().write_all(text.as_bytes());
            }
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = write!(stderr(), "{}", e.render());
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
    let mut out = std::io::BufWriter::new(stdout());
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
        let _ = writeln!(stderr(), "error: no rule named `{name}`{hint}");
        return ExitCode::from(EXIT_USAGE);
    };
    let m = rule.meta();
    let mut out = std::io::BufWriter::new(stdout());
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
        let message = rules::mask_secrets(&format!("{e:#}"));
        let _ = writeln!(stderr(), "{}", human::paint(color, Severity::Error, &message));
        ExitCode::from(EXIT_USAGE)
    })
}

/// The workspace's warnings and every configuration issue, printed the
/// same way by `check`, `fix`, `report` and `env`; any configuration error
/// is exit status 2, after all of them are shown.
fn load_config(
    workspace: &Workspace,
    color: bool,
    show_secrets: bool,
    stderr: &mut dyn Write,
) -> Result<Vec<engine::Settings>, ExitCode> {
    for warning in &workspace.warnings {
        let warning = shown_text(show_secrets, warning);
        let _ = writeln!(stderr, "{}", human::paint(color, Severity::Warning, &warning));
    }
    let (settings, issues) = crate::config::load(workspace);
    let mut config_error = false;
    for issue in &issues {
        let severity = if issue.is_error {
            Severity::Error
        } else {
            Severity::Warning
        };
        config_error |= issue.is_error;
        let issue = shown_text(show_secrets, &issue.to_string());
        let _ = writeln!(stderr, "{}", human::paint(color, severity, &issue));
    }
    if config_error {
        return Err(ExitCode::from(EXIT_USAGE));
    }
    Ok(settings)
}

fn run_env(args: &EnvArgs) -> ExitCode {
    let workspace = match load_project(&args.project, use_color(None)) {
        Ok(ws) => ws,
        Err(code) => return code,
    };
    let settings = match load_config(&workspace, use_color(None), false, &mut stderr()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let options = Options {
        settings,
        detect_secrets: Some(rules::secret_ranges),
        ..Options::default()
    };
    let (vars, _) = crate::env_inventory::collect(&workspace, &options);
    let text = match args.format {
        EnvFormat::Table => crate::env_inventory::render_table(&vars),
        EnvFormat::Json => serde_json::to_string_pretty(&vars).unwrap_or_default() + "\n",
        EnvFormat::Dotenv => crate::env_inventory::render_dotenv(&vars),
    };
    let _ = stdout().write_all(text.as_bytes());
    ExitCode::SUCCESS
}

fn run_report(args: &ReportArgs) -> ExitCode {
    let color = use_color(args.color);
    let workspace = match load_project(&args.project, color) {
        Ok(ws) => ws,
        Err(code) => return code,
    };
    let settings = match load_config(&workspace, color, false, &mut stderr()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let options = Options {
        settings,
        detect_secrets: Some(rules::secret_ranges),
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
    let _ = stdout().write_all(text.as_bytes());
    if args.exit_zero || !report.has_problems() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    }
}

/// `--message-format` values, comma-separated and repeatable, combined the
/// way cargo combines them: one kind, and `json-*` (or `short` after
/// `json`) shaping the JSON.
fn parse_format(values: &[String]) -> Result<Format, String> {
    let two = || "cannot specify two kinds of `message-format` arguments".to_string();
    let mut format: Option<Format> = None;
    for v in values.iter().flat_map(|v| v.split(',')) {
        let v = v.trim().to_ascii_lowercase();
        let json_flag = |f: &mut Option<Format>, set: fn(&mut bool, &mut bool, &mut bool)| -> Result<(), String> {
            let (mut ansi, mut short, mut render) = match *f {
                None => (false, false, false),
                Some(Format::Json { ansi, short, render }) => (ansi, short, render),
                Some(_) => return Err(two()),
            };
            set(&mut ansi, &mut short, &mut render);
            *f = Some(Format::Json { ansi, short, render });
            Ok(())
        };
        match v.as_str() {
            "human" | "sarif" | "github" | "gitlab" | "json" => {
                if format.is_some() {
                    return Err(two());
                }
                format = Some(match v.as_str() {
                    "human" => Format::Human,
                    "sarif" => Format::Sarif,
                    "github" => Format::Github,
                    "gitlab" => Format::Gitlab,
                    _ => Format::Json {
                        ansi: false,
                        short: false,
                        render: false,
                    },
                });
            }
            "short" => match &mut format {
                None => format = Some(Format::Short),
                Some(Format::Short) => {}
                Some(Format::Json { short, .. }) => *short = true,
                Some(_) => return Err(two()),
            },
            "json-diagnostic-short" => json_flag(&mut format, |_, short, _| *short = true)?,
            "json-diagnostic-rendered-ansi" => json_flag(&mut format, |ansi, _, _| *ansi = true)?,
            "json-render-diagnostics" => json_flag(&mut format, |_, _, render| *render = true)?,
            other => {
                return Err(format!(
                    "invalid message format specifier: `{other}`: expected human, short, json, json-diagnostic-short, json-diagnostic-rendered-ansi, json-render-diagnostics, sarif, github or gitlab"
                ));
            }
        }
    }
    Ok(format.unwrap_or(Format::Human))
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
    /// `--file`, canonical: only its findings and package-level ones.
    file: Option<PathBuf>,
    baseline: Option<Baseline>,
}

/// Parses the output flags, loads the workspace and its configuration,
/// warns about unknown rules and prints the `Checking` lines.
fn prepare(args: &CheckArgs, matches: &ArgMatches, stderr: &mut dyn Write) -> Result<Prepared, ExitCode> {
    let color = use_color(args.color);
    let fail = |stderr: &mut dyn Write, message: &str| {
        let _ = writeln!(stderr, "{}", human::paint(color, Severity::Error, message));
        ExitCode::from(EXIT_USAGE)
    };
    let format = match parse_format(&args.message_format) {
        Ok(f) => f,
        Err(e) => return Err(fail(stderr, &e)),
    };
    let file = match &args.file {
        Some(path) => match std::fs::canonicalize(path) {
            Ok(p) => Some(p),
            Err(e) => return Err(fail(stderr, &format!("cannot read `{}`: {e}", path.display()))),
        },
        None => None,
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
        file: file.clone(),
        ..args.project.selection()
    };
    let loading = engine::timings::start();
    let workspace = match Workspace::load(&selection) {
        Ok(ws) => ws,
        Err(e) => return Err(fail(stderr, &shown_text(args.show_secrets, &format!("{e:#}")))),
    };
    let settings = load_config(&workspace, color, args.show_secrets, stderr)?;
    engine::timings::since(engine::timings::Phase::Load, loading);
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
    let baseline = match &args.baseline {
        Some(path) => match Baseline::load(path) {
            Ok(b) => Some(b),
            Err(e) => return Err(fail(stderr, &format!("{e:#}"))),
        },
        None => None,
    };

    let json = matches!(format, Format::Json { .. });
    let show_status = !args.quiet && !json;
    if show_status {
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
        detect_secrets: Some(rules::secret_ranges),
        max_file_size: args.max_file_size,
        settings,
        // Cargo's target directory, or `--target-dir` (relative to the
        // current directory, as cargo reads it).
        cache: (!args.no_cache).then(|| {
            args.target_dir
                .as_deref()
                .map(|d| std::path::absolute(d).unwrap_or_else(|_| d.to_path_buf()))
                .unwrap_or_else(|| workspace.target_directory.clone())
                .join("twelve")
        }),
    };
    Ok(Prepared {
        selection,
        workspace,
        options,
        format,
        color,
        file,
        baseline,
    })
}

/// `text` as an output may show it: its secrets masked, unless
/// `--show-secrets`.
fn shown_text(show_secrets: bool, text: &str) -> String {
    if show_secrets {
        text.to_string()
    } else {
        rules::mask_secrets(text)
    }
}

/// `--max-file-size`: `1048576`, `512KiB`, `20MiB`, `1GiB`.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map_or((text, ""), |i| (&text[..i], text[i..].trim()));
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" | "kb" => 10,
        "m" | "mib" | "mb" => 20,
        "g" | "gib" | "gb" => 30,
        _ => return Err("expected a number of bytes, optionally with a KiB, MiB or GiB suffix".into()),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| "expected a number of bytes, optionally with a KiB, MiB or GiB suffix".to_string())?;
    n.checked_mul(1 << shift)
        .filter(|n| *n > 0)
        .ok_or_else(|| "expected a size above 0 that fits in 64 bits".to_string())
}

fn run_check(args: &CheckArgs, matches: &ArgMatches) -> ExitCode {
    let stderr = &mut stderr();
    let run = match prepare(args, matches, stderr) {
        Ok(run) => run,
        Err(code) => return code,
    };
    let outcome = engine::check(&run.workspace, rules::ALL, &run.options);
    let emitting = engine::timings::start();
    let code = print_outcome(args, &run, &outcome, stderr);
    engine::timings::since(engine::timings::Phase::Emit, emitting);
    if let Some(summary) = engine::timings::summary() {
        let _ = write!(stderr, "{summary}");
    }
    code
}

/// Prints the findings as `check` does; the exit code they make.
fn print_outcome(args: &CheckArgs, run: &Prepared, outcome: &engine::Outcome, stderr: &mut dyn Write) -> ExitCode {
    let Prepared {
        workspace,
        format,
        color,
        file,
        baseline,
        ..
    } = run;
    let (format, color) = (*format, *color);
    let json = matches!(format, Format::Json { .. });
    let fail = |stderr: &mut dyn Write, message: &str| {
        let _ = writeln!(stderr, "{}", human::paint(color, Severity::Error, message));
        ExitCode::from(EXIT_USAGE)
    };
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

    // Fingerprints count occurrences over the whole run, before anything
    // is left out.
    let mut diagnostics = outcome.diagnostics.clone();
    crate::diagnostic::assign_fingerprints(&mut diagnostics, &workspace.root);
    if let Some(file) = &file {
        diagnostics.retain(|d| d.package_level || same_file(d.span.path(), file));
    }

    if let Some(path) = &args.write_baseline {
        let baseline = Baseline::from_findings(&diagnostics, &workspace.root);
        if let Err(e) = baseline.write(path) {
            return fail(stderr, &format!("{e:#}"));
        }
        if !args.quiet {
            let _ = writeln!(
                stderr,
                "{}",
                human::status(
                    color,
                    "Baselined",
                    &format!("{} in {}", plural(baseline.len(), "finding"), path.display())
                )
            );
        }
        return ExitCode::SUCCESS;
    }
    if let Some(baseline) = &baseline {
        let in_scope = |entry: &crate::baseline::Entry| {
            let path = workspace.root.join(&entry.file);
            match &file {
                Some(f) => same_file(&path, f),
                None => workspace.packages.iter().any(|p| path.starts_with(p.dir())),
            }
        };
        let (kept, stale) = baseline.apply(diagnostics, in_scope);
        diagnostics = kept;
        if !stale.is_empty() && !args.quiet {
            if args.verbose > 0 {
                for entry in &stale {
                    let _ = writeln!(
                        stderr,
                        "{}",
                        human::paint(
                            color,
                            Severity::Note,
                            &format!(
                                "stale baseline entry: {} at {}:{}: {}",
                                entry.rule, entry.file, entry.line, entry.message
                            )
                        )
                    );
                }
            } else {
                let _ = writeln!(
                    stderr,
                    "{}",
                    human::paint(
                        color,
                        Severity::Note,
                        &format!(
                            "{} in the baseline no longer found (`-v` lists them)",
                            plural(stale.len(), "finding")
                        )
                    )
                );
            }
        }
    }

    let to_file = args.output.is_some();
    let file_color = color && args.color == Some(ColorChoice::Always);
    let needs_repo_root = matches!(format, Format::Sarif | Format::Github | Format::Gitlab);
    let rule_infos = rule_infos();
    let cx = RenderContext {
        cwd: std::env::current_dir().unwrap_or_default(),
        workspace_root: workspace.root.clone(),
        // Rendered diagnostics of `json-render-diagnostics` go to the terminal.
        color: if to_file && !matches!(format, Format::Json { render: true, .. }) {
            file_color
        } else {
            color
        },
        rendered_ansi: matches!(format, Format::Json { ansi: true, .. }),
        rendered_short: matches!(format, Format::Json { short: true, .. }),
        repo_root: needs_repo_root
            .then(|| crate::manifest::git_toplevel(&workspace.root))
            .flatten()
            .unwrap_or_else(|| workspace.root.clone()),
        packages: &workspace.packages,
        explain: &|code| rules::find(code).map(|r| r.meta().docs()),
        rules: &rule_infos,
    };
    let mut totals = Totals {
        files: outcome.files,
        lines: outcome.lines,
        packages: workspace.packages.len(),
        ..Totals::default()
    };
    totals.count(&diagnostics);

    let mut emitter: Box<dyn Emitter> = match format {
        Format::Human => Box::new(Human { quiet: args.quiet }),
        Format::Short => Box::new(Short { quiet: args.quiet }),
        Format::Json { .. } => Box::new(Json),
        Format::Sarif => Box::new(Sarif::default()),
        Format::Github => Box::new(Github),
        Format::Gitlab => Box::new(Gitlab::default()),
    };
    let mut buffer: Vec<u8> = Vec::new();
    {
        let mut out: Box<dyn Write> = match (&args.output, format.is_machine()) {
            (Some(_), _) => Box::new(&mut buffer),
            (None, true) => Box::new(std::io::BufWriter::new(self::stdout())),
            (None, false) => Box::new(std::io::BufWriter::new(self::stderr())),
        };
        for d in &diagnostics {
            let _ = match format {
                // Cargo renders the diagnostics itself, on stderr.
                Format::Json { render: true, .. } => Human::default().emit(&cx, d, stderr),
                _ => emitter.emit(&cx, d, &mut out),
            };
        }
        let _ = emitter.finish(&cx, &totals, &mut out);
        let _ = out.flush();
    }
    if let Some(path) = &args.output
        && let Err(e) = std::fs::write(path, &buffer)
    {
        return fail(stderr, &format!("failed to write `{}`: {e}", path.display()));
    }
    // The summary for people, when the findings went to a tool.
    let summary = match format {
        Format::Json { render, .. } => render || to_file,
        Format::Sarif | Format::Github | Format::Gitlab => true,
        Format::Human | Format::Short => to_file,
    };
    if summary {
        let terminal = RenderContext { color, ..cx };
        let _ = Human {
            quiet: args.quiet || json,
        }
        .finish(&terminal, &totals, stderr);
    }

    if args.exit_zero || totals.errors + totals.warnings == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    }
}

/// `cargo twelve fix`: check, apply the allowed suggestions, check again
/// and report what remains.
fn run_fix(args: &FixArgs, matches: &ArgMatches) -> ExitCode {
    let stderr = &mut stderr();
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
        let mut out = stdout();
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

/// Every rule, for SARIF's `tool.driver.rules`.
fn rule_infos() -> Vec<RuleInfo> {
    rules::ALL
        .iter()
        .map(|r| {
            let m = r.meta();
            RuleInfo {
                name: m.name,
                factor: Some(m.factor),
                default_level: m.default_level,
                summary: m.summary().to_string(),
                docs: m.docs(),
            }
        })
        .collect()
}

/// Whether `path` names `canonical` (already canonical).
fn same_file(path: &std::path::Path, canonical: &std::path::Path) -> bool {
    path == canonical || std::fs::canonicalize(path).is_ok_and(|p| p == canonical)
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

use std::collections::BTreeSet;
use std::path::Path;

use syn::spanned::Spanned;

use crate::declare_rule;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Span};
use crate::engine::{Call, Cx, Fact, PackageReport};
use crate::rules::common::{has_str_literal, is_test_or_build_time};
use crate::rules::rewrite::{self, Parent};
use crate::rules::{Factor, Rule, RuleMeta};

declare_rule! {
    /// ### What it does
    /// Finds logs written to files instead of the stdout/stderr event stream:
    /// log4rs `FileAppender`/`RollingFileAppender` (and `log4rs::init_file`
    /// with a YAML, TOML or JSON config that has a `file` or `rolling_file`
    /// appender), tracing-appender's rolling files, tracing-subscriber's
    /// `with_writer` of a file, fern's `log_file`/`log_reopen`/`DateBased`/
    /// `chain(File)`, flexi_logger's `log_to_file`, simplelog's `WriteLogger`,
    /// slog-term decorators of a file, sloggers' `FileLoggerBuilder` and
    /// env_logger's `Target::Pipe` of a file. Logs sent to syslog or journald
    /// are reported with a milder message. Console, stdout and stderr writers
    /// are fine, and so is what the operator opts into: a log file at a path
    /// the configuration gives (`fern::log_file(&config.log_file)`, no literal
    /// in the path), or a system logger behind a switch that names it (`if
    /// CONFIG.use_syslog()`).
    ///
    /// ### Why is this bad
    /// A twelve-factor app never concerns itself with routing or storing its
    /// output stream. It writes its event stream, unbuffered, to stdout and the
    /// execution environment collects it (`docker logs`, `kubectl logs`,
    /// journald, a log router such as Fluent Bit or Vector). Log files inside
    /// a container fill its disk, disappear when it is replaced, and never
    /// reach the platform's log search; with several instances each keeps a
    /// piece of the story.
    ///
    /// ### Example
    /// ```rust,ignore
    /// let appender = tracing_appender::rolling::daily("/var/log/app", "app.log");
    /// let (writer, _guard) = tracing_appender::non_blocking(appender);
    /// tracing_subscriber::fmt().with_writer(writer).init();
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// // stdout is the default writer; `.json()` gives structured events
    /// tracing_subscriber::fmt().json().init();
    /// ```
    ///
    /// ### Fix
    /// `cargo twelve fix` writes to stdout: the file given to
    /// tracing-subscriber's `with_writer` becomes `std::io::stdout` and the one
    /// given to `tracing_appender::non_blocking` `std::io::stdout()`
    /// (machine-applicable). With `--unsafe-fixes`, a tracing-appender rolling
    /// file becomes `std::io::stdout()` and a log4rs `FileAppender` or
    /// `RollingFileAppender` builder a `ConsoleAppender` one.
    pub LogToFile => "log_to_file", Factor::Logs, Warn, fixable: true, options: [], scope: Service
}

/// Calls that make a log file, by canonical path, with how to name them.
pub(crate) const FILE_SINKS: &[(&str, &str)] = &[
    ("log4rs::append::file::FileAppender::builder", "log4rs `FileAppender`"),
    (
        "log4rs::append::rolling_file::RollingFileAppender::builder",
        "log4rs `RollingFileAppender`",
    ),
    (
        "tracing_appender::rolling::minutely",
        "`tracing_appender::rolling::minutely`",
    ),
    (
        "tracing_appender::rolling::hourly",
        "`tracing_appender::rolling::hourly`",
    ),
    ("tracing_appender::rolling::daily", "`tracing_appender::rolling::daily`"),
    (
        "tracing_appender::rolling::weekly",
        "`tracing_appender::rolling::weekly`",
    ),
    ("tracing_appender::rolling::never", "`tracing_appender::rolling::never`"),
    (
        "tracing_appender::rolling::RollingFileAppender::new",
        "tracing-appender's `RollingFileAppender`",
    ),
    (
        "tracing_appender::rolling::RollingFileAppender::builder",
        "tracing-appender's `RollingFileAppender`",
    ),
    ("fern::log_file", "`fern::log_file`"),
    ("fern::log_reopen", "`fern::log_reopen`"),
    ("fern::log_reopen1", "`fern::log_reopen1`"),
    ("fern::DateBased::new", "fern's `DateBased` file"),
    (
        "sloggers::file::FileLoggerBuilder::new",
        "sloggers' `FileLoggerBuilder`",
    ),
];

/// Calls that send logs to the system logger, with how to name them.
const SYSTEM_SINKS: &[(&str, &str)] = &[
    ("syslog::init", "syslog"),
    ("syslog::init_unix", "syslog"),
    ("syslog::init_unix_custom", "syslog"),
    ("syslog::init_tcp", "syslog"),
    ("syslog::init_udp", "syslog"),
    ("syslog::unix", "syslog"),
    ("syslog::unix_custom", "syslog"),
    ("syslog::tcp", "syslog"),
    ("syslog::udp", "syslog"),
    ("systemd_journal_logger::JournalLog::new", "journald"),
    ("systemd_journal_logger::JournalLog::default", "journald"),
    ("systemd_journal_logger::init", "journald"),
    ("systemd_journal_logger::init_with_extra_fields", "journald"),
    ("tracing_journald::layer", "journald"),
    ("tracing_journald::Layer::new", "journald"),
    ("slog_syslog::unix_3164", "syslog"),
    ("slog_journald::JournaldDrain", "journald"),
];

/// Constructors that take a writer: logs go to a file when it is one.
/// (path, index of the writer argument, name)
pub(crate) const WRITER_SINKS: &[(&str, usize, &str)] = &[
    ("simplelog::WriteLogger::new", 2, "simplelog's `WriteLogger`"),
    ("simplelog::WriteLogger::init", 2, "simplelog's `WriteLogger`"),
    ("slog_term::PlainDecorator::new", 0, "`slog_term::PlainDecorator`"),
    (
        "slog_term::PlainSyncDecorator::new",
        0,
        "`slog_term::PlainSyncDecorator`",
    ),
    ("env_logger::Target::Pipe", 0, "env_logger's `Target::Pipe`"),
    ("env_logger::fmt::Target::Pipe", 0, "env_logger's `Target::Pipe`"),
    ("tracing_appender::non_blocking", 0, "`tracing_appender::non_blocking`"),
    (
        "tracing_appender::non_blocking::NonBlocking::new",
        0,
        "`tracing_appender::non_blocking`",
    ),
];

/// Methods that take a writer, with the dependency that makes the name
/// meaningful.
const WRITER_METHODS: &[(&str, &str)] = &[("with_writer", "tracing-subscriber"), ("chain", "fern")];

/// Methods that log to a file, with their crate.
pub(crate) const FILE_METHODS: &[(&str, &str)] = &[
    ("log_to_file", "flexi_logger"),
    ("log_to_file_and_writer", "flexi_logger"),
];

/// log4rs: a config file read at run time.
const LOG4RS_INIT_FILE: &[&str] = &[
    "log4rs::init_file",
    "log4rs::config::init_file",
    "log4rs::config::load_config_file",
];

/// Calls whose value is an open file.
const FILE_SOURCES: &[&str] = &[
    "std::fs::File::create",
    "std::fs::File::create_new",
    "std::fs::OpenOptions::new",
    "std::fs::File::options",
    "fs_err::File::create",
    "fs_err::OpenOptions::new",
    "tokio::fs::File::create",
    "tokio::fs::OpenOptions::new",
];

/// Calls whose value is a standard stream.
const STREAM_SOURCES: &[&str] = &["std::io::stdout", "std::io::stderr"];

/// A call that sends logs to the system logger, in function `function`.
#[derive(serde::Serialize, serde::Deserialize)]
struct SystemSink {
    what: String,
    #[serde(deserialize_with = "crate::diagnostic::wire::static_str")]
    sink: crate::diagnostic::wire::StaticStr,
    function: Option<String>,
}

/// The body of an `if` whose condition names a system logger: the
/// operator's switch.
#[derive(serde::Serialize, serde::Deserialize)]
struct SinkSwitch;

/// A call of a function named for a system logger (`chain_syslog(..)`).
#[derive(serde::Serialize, serde::Deserialize)]
struct SinkCall {
    callee: String,
}

fn names_system_sink(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    text.contains("syslog") || text.contains("journal")
}

/// `log4rs::init_file("log4rs.yaml", ..)`: the config file to read.
#[derive(serde::Serialize, serde::Deserialize)]
struct InitFile {
    path: String,
}

pub(crate) fn is_file(sources: &BTreeSet<String>) -> bool {
    sources.iter().any(|s| FILE_SOURCES.contains(&s.as_str()))
        && !sources.iter().any(|s| STREAM_SOURCES.contains(&s.as_str()))
}

fn report_file<'c>(cx: &'c mut Cx<'_>, span: Span, what: &str) -> &'c mut Diagnostic {
    cx.report(span, format!("{what} writes logs to a file"))
        .label("log files fill the disk, vanish with the container and never reach the platform's log router")
        .note("a twelve-factor app writes its logs as an unbuffered event stream to stdout/stderr; the environment captures, routes and stores them")
        .help("log to stdout or stderr (tracing-subscriber's default writer, log4rs `ConsoleAppender`, env_logger) and let the platform collect the stream")
}

fn report_system(d: &mut Diagnostic, sink: &str) {
    d.label(format!("routes its own logs to {sink}"))
        .note("better than a file, but a twelve-factor app leaves log routing to the environment: in a container there is usually no syslog or journald to talk to")
        .help("write to stdout or stderr; under systemd, journald captures them anyway");
}

fn call_span(cx: &Cx<'_>, call: &Call<'_>) -> Span {
    match (call.method, call.expr) {
        (Some(m), expr) => cx.span_of(m.span().byte_range().start..expr.span().byte_range().end),
        (None, syn::Expr::Call(c)) => {
            let full = cx.span(call.expr);
            if full.start().line == full.end().line {
                full
            } else {
                cx.span(&c.func)
            }
        }
        (None, expr) => cx.span(expr),
    }
}

/// tracing-appender's rolling files without their builder.
const ROLLING_FNS: &[&str] = &[
    "tracing_appender::rolling::minutely",
    "tracing_appender::rolling::hourly",
    "tracing_appender::rolling::daily",
    "tracing_appender::rolling::weekly",
    "tracing_appender::rolling::never",
    "tracing_appender::rolling::RollingFileAppender::new",
];

/// log4rs builders and what their `build(..)` takes.
const LOG4RS_BUILDERS: &[&str] = &[
    "log4rs::append::file::FileAppender::builder",
    "log4rs::append::rolling_file::RollingFileAppender::builder",
];

/// The edits that send a file sink's output to stdout instead:
/// tracing-appender's rolling file becomes `std::io::stdout()` (a `Write`
/// like it), and a log4rs `FileAppender` or `RollingFileAppender` builder
/// chain a `ConsoleAppender` one, whose `build()` takes no path and cannot
/// fail.
fn to_console(cx: &Cx<'_>, call: &Call<'_>, path: &str) -> Option<(String, Vec<Edit>)> {
    let file = cx.file();
    let edit = |range: std::ops::Range<usize>, text: &str| Edit {
        span: Span::new(file.clone(), range),
        replacement: text.to_string(),
    };
    if ROLLING_FNS.contains(&path) {
        return Some((
            "write to stdout".into(),
            vec![edit(call.expr.span().byte_range(), "std::io::stdout()")],
        ));
    }
    if !LOG4RS_BUILDERS.contains(&path) {
        return None;
    }
    let syn::Expr::Call(builder) = call.expr else {
        return None;
    };
    let site = rewrite::site(file, call.expr.span().byte_range())?;
    let mut current = call.expr.span().byte_range();
    let mut edits = vec![edit(
        builder.func.span().byte_range(),
        "log4rs::append::console::ConsoleAppender::builder",
    )];
    let mut parents = site.parents.iter();
    loop {
        let Some(Parent::Expr(syn::Expr::MethodCall(m))) = parents.next() else {
            return None;
        };
        if m.receiver.span().byte_range() != current {
            return None;
        }
        let end = m.span().byte_range().end;
        match m.method.to_string().as_str() {
            "encoder" => current = m.span().byte_range(),
            "build" => {
                edits.push(edit(current.end..end, ".build()"));
                current = m.span().byte_range();
                break;
            }
            // `append`, `policy`: a console has no file to append to.
            _ => return None,
        }
    }
    // The file's `io::Result` is gone: so is what handled it.
    match parents.next() {
        Some(Parent::Expr(syn::Expr::Try(t))) if t.expr.span().byte_range() == current => {
            edits.push(edit(t.question_token.span.byte_range(), ""));
        }
        Some(Parent::Expr(syn::Expr::MethodCall(m)))
            if m.receiver.span().byte_range() == current && (m.method == "unwrap" || m.method == "expect") =>
        {
            edits.push(edit(current.end..m.span().byte_range().end, ""));
        }
        _ => return None,
    }
    Some(("log to the console (stdout) instead".into(), edits))
}

/// The string a literal or a same-file `const` gives.
fn string_value(cx: &Cx<'_>, expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s), ..
        }) => Some(s.value()),
        syn::Expr::Reference(r) => string_value(cx, &r.expr),
        syn::Expr::Path(p) => match cx.const_init(&p.path)? {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s), ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    }
}

/// The path argument of the file a writer expression opens
/// (`BufWriter::new(OpenOptions::new().append(true).open(log_file)?)`),
/// through wrappers, `?` and one level of local bindings.
fn opened_path<'e>(cx: &'e Cx<'_>, expr: &'e syn::Expr, depth: usize) -> Option<&'e syn::Expr> {
    if depth > 8 {
        return None;
    }
    match expr {
        syn::Expr::MethodCall(m) if matches!(m.method.to_string().as_str(), "open" | "create") => {
            m.args.first().or_else(|| opened_path(cx, &m.receiver, depth + 1))
        }
        syn::Expr::MethodCall(m) => opened_path(cx, &m.receiver, depth + 1)
            .or_else(|| m.args.iter().find_map(|a| opened_path(cx, a, depth + 1))),
        syn::Expr::Call(c) => {
            let callee = match &*c.func {
                syn::Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
                _ => None,
            };
            match callee.as_deref() {
                Some("create" | "create_new" | "open") => c.args.first(),
                _ => c.args.iter().find_map(|a| opened_path(cx, a, depth + 1)),
            }
        }
        syn::Expr::Try(t) => opened_path(cx, &t.expr, depth + 1),
        syn::Expr::Reference(r) => opened_path(cx, &r.expr, depth + 1),
        syn::Expr::Paren(p) => opened_path(cx, &p.expr, depth + 1),
        syn::Expr::Path(p) => {
            let name = p.path.get_ident()?.to_string();
            opened_path(cx, cx.local_init(&name)?, depth + 1)
        }
        _ => None,
    }
}

/// The argument of the `.build(path)` that ends the chain a builder call
/// starts (`FileAppender::builder().encoder(..).build(path)`).
fn builder_build_arg(cx: &Cx<'_>, call: &Call<'_>) -> Option<syn::Expr> {
    let site = rewrite::site(cx.file(), call.expr.span().byte_range())?;
    let mut current = call.expr.span().byte_range();
    for parent in &site.parents {
        let Parent::Expr(syn::Expr::MethodCall(m)) = parent else {
            return None;
        };
        if m.receiver.span().byte_range() != current {
            return None;
        }
        if m.method == "build" {
            return m.args.first().cloned();
        }
        current = m.span().byte_range();
    }
    None
}

/// A log file at a path the configuration gives (`fern::log_file(&config.log_file)`,
/// `rolling::daily(&cfg.log_dir, ..)`): logging there is the operator's
/// opt-in, stdout stays the default.
fn configured(path: Option<&syn::Expr>) -> bool {
    path.is_some_and(|p| !has_str_literal(p))
}

impl Rule for LogToFile {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
    fn fact_types(&self) -> &'static [crate::engine::cache::FactType] {
        const {
            &[
                crate::engine::cache::FactType::of::<SinkCall>(),
                crate::engine::cache::FactType::of::<SystemSink>(),
                crate::engine::cache::FactType::of::<InitFile>(),
                crate::engine::cache::FactType::of::<SinkSwitch>(),
            ]
        }
    }

    fn check_call(&self, cx: &mut Cx<'_>, call: &Call<'_>) {
        if is_test_or_build_time(cx) {
            return;
        }
        if let Some(method) = call.method {
            let method = method.to_string();
            if let Some((_, krate)) = FILE_METHODS.iter().find(|(m, _)| *m == method)
                && cx.package().dependency(krate).is_some()
            {
                let span = call_span(cx, call);
                report_file(cx, span, &format!("{krate}'s `{method}`"));
                return;
            }
            if let Some((_, krate)) = WRITER_METHODS.iter().find(|(m, _)| *m == method)
                && cx.package().dependency(krate).is_some()
                && let Some(arg) = call.args.first()
                && is_file(&cx.sources(arg))
                && !configured(opened_path(cx, arg, 0))
            {
                let span = call_span(cx, call);
                let writer = cx.span(*arg);
                report_file(cx, span, &format!("`{method}` of a file")).suggest(
                    "write to stdout",
                    vec![Edit {
                        span: writer,
                        replacement: "std::io::stdout".into(),
                    }],
                    Applicability::MachineApplicable,
                );
            }
            return;
        }
        if let Some(callee) = call.paths.first().and_then(|p| p.rsplit("::").next())
            && names_system_sink(callee)
            && !SYSTEM_SINKS.iter().any(|(p, _)| call.is(&[p]))
        {
            let (callee, span) = (callee.to_string(), cx.span(call.expr));
            cx.record(span, SinkCall { callee });
        }
        // The logging crate's own code (log4rs building its `FileAppender`
        // from a config) is the feature, not a use of it.
        let own = format!("{}::", cx.module()[0]);
        if call.paths.iter().any(|p| p.starts_with(&own)) {
            return;
        }
        if let Some((path, what)) = FILE_SINKS.iter().find(|(p, _)| call.is(&[p])) {
            // A builder's path comes at `build`; `RollingFileAppender::new`
            // takes the rotation first.
            let opt_in = if path.ends_with("::builder") {
                builder_build_arg(cx, call).is_some_and(|arg| !has_str_literal(&arg))
            } else {
                let path_arg = usize::from(path.ends_with("RollingFileAppender::new"));
                configured(call.args.get(path_arg).copied())
            };
            if opt_in {
                return;
            }
            let span = call_span(cx, call);
            let fix = to_console(cx, call, path);
            let d = report_file(cx, span, what);
            if let Some((message, edits)) = fix {
                d.suggest(message, edits, Applicability::MaybeIncorrect);
            }
        } else if let Some((_, sink)) = SYSTEM_SINKS.iter().find(|(p, _)| call.is(&[p])) {
            // Whether a switch turns it on is known from the callers:
            // decided in `check_package`.
            let span = call_span(cx, call);
            let what = call.paths.first().map(|p| format!("`{p}`")).unwrap_or_default();
            let function = cx.enclosing_fn().map(str::to_string);
            cx.record(span, SystemSink { what, sink, function });
        } else if let Some((_, index, what)) = WRITER_SINKS.iter().find(|(p, _, _)| call.is(&[p])) {
            if let Some(arg) = call.args.get(*index)
                && is_file(&cx.sources(arg))
                && !configured(opened_path(cx, arg, 0))
            {
                let span = call_span(cx, call);
                let writer = cx.span(*arg);
                let d = report_file(cx, span, what);
                if what.contains("non_blocking") {
                    // Any `Write` fits; the `NonBlocking` writer stays.
                    d.suggest(
                        "write to stdout",
                        vec![Edit {
                            span: writer,
                            replacement: "std::io::stdout()".into(),
                        }],
                        Applicability::MachineApplicable,
                    );
                }
            }
        } else if call.is(LOG4RS_INIT_FILE)
            && let Some(path) = call.args.first().and_then(|a| string_value(cx, a))
        {
            let span = call_span(cx, call);
            cx.record(span, InitFile { path });
        }
    }

    fn check_expr(&self, cx: &mut Cx<'_>, expr: &syn::Expr) {
        if is_test_or_build_time(cx) {
            return;
        }
        // `if CONFIG.use_syslog() { .. }`, `if cfg!(feature = "journald")`.
        if let syn::Expr::If(i) = expr
            && names_system_sink(&quote::ToTokens::to_token_stream(&i.cond).to_string())
        {
            let span = cx.span(&i.then_branch);
            cx.record(span, SinkSwitch);
        }
    }

    fn check_package(&self, cx: &mut PackageReport<'_>, facts: &[Fact]) {
        let switches: Vec<&Span> = facts
            .iter()
            .filter(|f| f.get::<SinkSwitch>().is_some())
            .map(|f| &f.span)
            .collect();
        let switched = |span: &Span| switches.iter().any(|g| g.encloses(span));
        // Calls of the functions named for a sink (`chain_syslog(logger)`).
        let calls: Vec<(&str, &Span)> = facts
            .iter()
            .filter_map(|f| f.get::<SinkCall>().map(|c| (c.callee.as_str(), &f.span)))
            .collect();
        for fact in facts {
            let Some(sink) = fact.get::<SystemSink>() else { continue };
            let opt_in = switched(&fact.span)
                || sink.function.as_deref().is_some_and(|f| {
                    let mut callers = calls.iter().filter(|(c, _)| *c == f).peekable();
                    callers.peek().is_some() && callers.all(|(_, at)| switched(at))
                });
            if opt_in {
                continue;
            }
            let d = cx.report(
                fact.span.clone(),
                format!("{} sends logs to {} instead of stdout/stderr", sink.what, sink.sink),
            );
            d.origin = Some(fact.origin);
            report_system(d, sink.sink);
        }
        for fact in facts {
            let Some(init) = fact.get::<InitFile>() else { continue };
            let path = cx.package.dir().join(&init.path);
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let Some(kind) = log4rs_file_appender(&path, &text) else {
                continue;
            };
            let d = cx.report(
                fact.span.clone(),
                format!("log4rs config `{}` writes logs to a file", init.path),
            );
            d.label(format!("its config has a `{kind}` appender"))
                .note("a twelve-factor app writes its logs as an unbuffered event stream to stdout/stderr; the environment captures, routes and stores them")
                .help("use a `console` appender (stdout) in the config and let the platform collect the stream");
            d.origin = Some(fact.origin);
        }
    }
}

/// The first `file`/`rolling_file` appender kind in a log4rs config, read
/// as YAML, TOML or JSON by its extension (YAML otherwise, as log4rs does
/// for `.yml`/`.yaml`).
fn log4rs_file_appender(path: &Path, text: &str) -> Option<&'static str> {
    const FILE_KINDS: &[&str] = &["file", "rolling_file"];
    let pick = |kind: &str| FILE_KINDS.iter().copied().find(|k| *k == kind);
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
    match ext {
        "toml" => {
            let table: toml::Table = text.parse().ok()?;
            let appenders = table.get("appenders")?.as_table()?;
            appenders
                .values()
                .find_map(|a| a.get("kind").and_then(|k| k.as_str()).and_then(pick))
        }
        "json" => {
            let value: serde_json::Value = serde_json::from_str(text).ok()?;
            let appenders = value.get("appenders")?.as_object()?;
            appenders
                .values()
                .find_map(|a| a.get("kind").and_then(|k| k.as_str()).and_then(pick))
        }
        _ => {
            // A line scanner is enough for log4rs's flat YAML: appender kinds
            // (`file`, `rolling_file`, `console`) never clash with encoder or
            // policy kinds (`pattern`, `compound`, `size`, `fixed_window`).
            text.lines().find_map(|line| {
                let line = line.split('#').next().unwrap_or_default().trim();
                let line = line.strip_prefix("- ").unwrap_or(line);
                let value = line.strip_prefix("kind:")?.trim();
                pick(value.trim_matches(|c| c == '"' || c == '\''))
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LogToFile;
    use crate::test_support::{check_package_rule, check_rule_in};

    fn found(deps: &[&str], src: &str) -> Vec<String> {
        check_rule_in(&LogToFile, src, |p| {
            for d in deps {
                p.dependencies.push(
                    serde_json::from_value(serde_json::json!({
                        "name": d, "req": "*", "kind": null, "optional": false, "uses_default_features": true,
                        "features": [], "target": null, "rename": null, "registry": null, "source": null
                    }))
                    .unwrap(),
                );
            }
        })
        .iter()
        .map(|d| format!("{} {}", d.span.start().line, d.message))
        .collect()
    }

    #[test]
    fn tracing_appender_and_subscriber_files_fire() {
        let src = r#"
use tracing_appender::rolling;
use tracing_subscriber::fmt;
use std::fs::File;
use std::sync::Arc;

pub fn init_logging() -> tracing_appender::non_blocking::WorkerGuard {
    let appender = rolling::daily("/var/log/app", "app.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    fmt().with_writer(writer).init();
    let file = File::create("debug.log").unwrap();
    tracing_subscriber::fmt().with_writer(Arc::new(file)).init();
    let raw = std::fs::OpenOptions::new().append(true).create(true).open("trace.log").unwrap();
    let (nb, _g) = tracing_appender::non_blocking(raw);
    let hourly = tracing_appender::rolling::RollingFileAppender::new(rolling::Rotation::HOURLY, "logs", "x");
    guard
}
"#;
        assert_eq!(
            found(&["tracing-subscriber", "tracing-appender"], src),
            [
                "8 `tracing_appender::rolling::daily` writes logs to a file",
                "12 `with_writer` of a file writes logs to a file",
                "14 `tracing_appender::non_blocking` writes logs to a file",
                "15 tracing-appender's `RollingFileAppender` writes logs to a file",
            ]
        );
    }

    #[test]
    fn stdout_and_stderr_writers_are_fine() {
        let src = r#"
use tracing_subscriber::{fmt, prelude::*, EnvFilter};
use std::io;

fn init() {
    tracing_subscriber::fmt().with_writer(io::stderr).init();
    let (nb, _guard) = tracing_appender::non_blocking(std::io::stdout());
    fmt().with_writer(nb).json().init();
    tracing_subscriber::registry().with(fmt::layer().with_writer(std::io::stdout)).with(EnvFilter::from_default_env()).init();
    env_logger::Builder::from_default_env().target(env_logger::Target::Stdout).init();
    let decorator = slog_term::PlainDecorator::new(std::io::stdout());
    simplelog::TermLogger::init(log::LevelFilter::Info, simplelog::Config::default(), simplelog::TerminalMode::Mixed, simplelog::ColorChoice::Auto).unwrap();
    let appender = log4rs::append::console::ConsoleAppender::builder().build();
    fern::Dispatch::new().chain(std::io::stdout()).apply().unwrap();
}
"#;
        assert_eq!(found(&["tracing-subscriber", "fern"], src), Vec::<String>::new());
    }

    #[test]
    fn log4rs_fern_flexi_simplelog_slog_env_logger_files_fire() {
        let src = r#"
use log4rs::append::{file::FileAppender, rolling_file::RollingFileAppender};
use log4rs::encode::pattern::PatternEncoder;
use flexi_logger::{Logger, FileSpec};
use simplelog::{WriteLogger, Config, LevelFilter};
use std::fs::File;

fn setup() -> Result<(), Box<dyn std::error::Error>> {
    let file = FileAppender::builder()
        .encoder(Box::new(PatternEncoder::new("{d} {l} {m}{n}")))
        .build("log/output.log")?;
    let dispatch = fern::Dispatch::new().level(log::LevelFilter::Info);
    dispatch.chain(fern::log_file("output.log")?).apply()?;
    fern::Dispatch::new().chain(File::create("x.log")?).apply()?;
    Logger::try_with_str("info")?.log_to_file(FileSpec::default().directory("logs")).start()?;
    WriteLogger::init(LevelFilter::Info, Config::default(), File::create("my_rust_binary.log").unwrap())?;
    let log_file = std::fs::OpenOptions::new().create(true).append(true).open("app.log")?;
    let decorator = slog_term::PlainSyncDecorator::new(log_file);
    let target = Box::new(File::create("env.log")?);
    env_logger::Builder::new().target(env_logger::Target::Pipe(target)).init();
    Ok(())
}
"#;
        assert_eq!(
            found(&["fern", "flexi_logger"], src),
            [
                "9 log4rs `FileAppender` writes logs to a file",
                "13 `fern::log_file` writes logs to a file",
                "14 `chain` of a file writes logs to a file",
                "15 flexi_logger's `log_to_file` writes logs to a file",
                "16 simplelog's `WriteLogger` writes logs to a file",
                "18 `slog_term::PlainSyncDecorator` writes logs to a file",
                "20 env_logger's `Target::Pipe` writes logs to a file",
            ]
        );
    }

    #[test]
    fn a_log_file_the_configuration_names_is_the_operators_opt_in() {
        let src = r#"
use std::fs;
use std::io;
use std::sync::Mutex;
use tracing_appender::rolling::{RollingFileAppender, Rotation};

pub fn init(config: &LogConfig) -> anyhow::Result<()> {
    let mut logger = fern::Dispatch::new().chain(io::stdout());
    if let Some(log_file) = &config.log_file {
        logger = logger.chain(fern::log_file(log_file)?);
    }
    if let Some(dir) = &config.audit_dir {
        let appender = RollingFileAppender::builder()
            .rotation(Rotation::DAILY)
            .filename_prefix("audit")
            .build(dir)?;
    }
    let Some(on_disk) = &config.on_disk_path else { return Ok(()) };
    let writer = fs::OpenOptions::new().create(true).append(true).open(on_disk)?;
    tracing_subscriber::fmt().with_writer(Mutex::new(io::BufWriter::new(writer))).init();
    let fixed = fs::OpenOptions::new().create(true).append(true).open(format!("{}/server.log", config.dir))?;
    tracing_subscriber::fmt().with_writer(Mutex::new(fixed)).init();                         // 22
    let appender = RollingFileAppender::builder().filename_prefix("app").build("logs")?;   // 23
    Ok(())
}
"#;
        let lines: Vec<String> = found(&["fern", "tracing-subscriber"], src)
            .iter()
            .map(|f| f.split(' ').next().unwrap().to_string())
            .collect();
        assert_eq!(lines, ["22", "23"]);
    }

    #[test]
    fn a_system_logger_behind_its_own_switch_is_opt_in() {
        let src = r#"
pub fn init_logging(logger: fern::Dispatch) -> fern::Dispatch {
    let mut logger = logger.chain(std::io::stdout());
    if cfg!(feature = "enable_syslog") || CONFIG.use_syslog() {
        logger = chain_syslog(logger);
    }
    if settings.journald {
        tracing_journald::layer().ok();
    }
    logger
}

fn chain_syslog(logger: fern::Dispatch) -> fern::Dispatch {
    let fmt = syslog::Formatter3164 { facility: syslog::Facility::LOG_USER, hostname: None, process: "app".into(), pid: 0 };
    match syslog::unix(fmt) {
        Ok(sl) => logger.chain(sl),
        Err(_) => logger,
    }
}

pub fn always() {
    let fmt = syslog::Formatter3164 { facility: syslog::Facility::LOG_USER, hostname: None, process: "app".into(), pid: 0 };
    let _ = syslog::unix(fmt);                                                    // 23
}
"#;
        let lines: Vec<String> = found(&["fern"], src)
            .iter()
            .map(|f| f.split(' ').next().unwrap().to_string())
            .collect();
        assert_eq!(lines, ["23"]);
    }

    #[test]
    fn syslog_and_journald_get_a_milder_message() {
        let src = r#"
use syslog::{Facility, Formatter3164};
fn init() {
    let formatter = Formatter3164 { facility: Facility::LOG_USER, hostname: None, process: "app".into(), pid: 0 };
    let logger = syslog::unix(formatter).unwrap();
    tracing_subscriber::registry().with(tracing_journald::layer().unwrap()).init();
}
"#;
        assert_eq!(
            found(&[], src),
            [
                "5 `syslog::unix` sends logs to syslog instead of stdout/stderr",
                "6 `tracing_journald::layer` sends logs to journald instead of stdout/stderr",
            ]
        );
    }

    #[test]
    fn test_code_and_unrelated_names_are_fine() {
        let src = r#"
mod store { pub fn log_file(_: &str) {} }
fn f(it: impl Iterator<Item = u8>) {
    store::log_file("x");
    let v: Vec<u8> = it.chain(std::iter::once(1)).collect();
}
#[cfg(test)]
mod tests {
    #[test]
    fn logs() { tracing_appender::rolling::never(".", "test.log"); }
}
"#;
        assert_eq!(found(&["fern"], src), Vec::<String>::new());
    }

    #[test]
    fn the_logging_crates_own_code_is_fine() {
        // Inside log4rs (crate name `log4rs`), building a `FileAppender`
        // from a deserialized config is the feature itself.
        let src = r#"
use crate::append::file::FileAppender;
pub fn deserialize() -> FileAppender {
    FileAppender::builder().build("log/requests.log").unwrap()
}
"#;
        let found = crate::engine::check_source(
            &crate::test_support::package(),
            &Default::default(),
            &[&LogToFile],
            std::path::Path::new("/app/src/lib.rs"),
            &src.replace("crate::", "log4rs::"),
            crate::workspace::TargetKind::Lib,
        );
        assert_eq!(found.len(), 1, "a user of log4rs is reported");
        let mut log4rs = crate::test_support::package();
        log4rs.name = "log4rs".into();
        let own = crate::engine::check_source(
            &log4rs,
            &Default::default(),
            &[&LogToFile],
            std::path::Path::new("/log4rs/src/lib.rs"),
            src,
            crate::workspace::TargetKind::Lib,
        );
        assert!(own.is_empty(), "{own:?}");
    }

    #[test]
    fn log4rs_init_file_reads_the_config() {
        let main = r#"
const LOG_CONFIG: &str = "config/log4rs.toml";
fn main() {
    log4rs::init_file("log4rs.yaml", Default::default()).unwrap();
    log4rs::init_file(LOG_CONFIG, Default::default()).unwrap();
    log4rs::config::init_file("console.yml", Default::default()).unwrap();
    log4rs::init_file(std::env::var("LOG_CONFIG").unwrap(), Default::default()).unwrap();
}
"#;
        let yaml = "refresh_rate: 30 seconds\nappenders:\n  stdout:\n    kind: console\n  requests:\n    kind: \"rolling_file\" # rotated\n    path: log/requests.log\n    encoder:\n      kind: pattern\nroot:\n  level: info\n  appenders: [stdout, requests]\n";
        let toml = "[appenders.file]\nkind = \"file\"\npath = \"log/app.log\"\n[root]\nlevel = \"info\"\nappenders = [\"file\"]\n";
        let console =
            "appenders:\n  stdout:\n    kind: console\n    encoder:\n      kind: json\nroot:\n  appenders: [stdout]\n";
        let ds = check_package_rule(
            &LogToFile,
            "",
            &[
                ("src/main.rs", main),
                ("log4rs.yaml", yaml),
                ("config/log4rs.toml", toml),
                ("console.yml", console),
            ],
        );
        let got: Vec<String> = ds
            .iter()
            .map(|d| format!("{} {} / {}", d.span.start().line, d.message, d.label.clone().unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                "4 log4rs config `log4rs.yaml` writes logs to a file / its config has a `rolling_file` appender",
                "5 log4rs config `config/log4rs.toml` writes logs to a file / its config has a `file` appender",
            ]
        );
    }

    #[test]
    fn log4rs_json_config() {
        let path = std::path::Path::new("log4rs.json");
        let json = r#"{"appenders": {"f": {"kind": "file", "path": "a.log"}}, "root": {"appenders": ["f"]}}"#;
        assert_eq!(super::log4rs_file_appender(path, json), Some("file"));
        let console = r#"{"appenders": {"c": {"kind": "console"}}}"#;
        assert_eq!(super::log4rs_file_appender(path, console), None);
    }
}

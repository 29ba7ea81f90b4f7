use syn::spanned::Spanned;
use syn::visit::Visit;

use crate::declare_rule;
use crate::diagnostic::Span;
use crate::engine::{Call, Cx, Fact, PackageReport};
use crate::rules::common::is_test_or_build_time;
use crate::rules::{Factor, Rule, RuleMeta};

declare_rule! {
    /// ### What it does
    /// Finds processes that daemonize themselves or write a PID file:
    /// `daemonize::Daemonize` (and any vendored `Daemonize::new()…start()`),
    /// `fork::daemon`, `nix::unistd::daemon`, `libc::daemon`, a `fork` that
    /// is not followed by an `exec` in the same function, and files named
    /// `*.pid` or holding `std::process::id()`.
    ///
    /// ### Why is this bad
    /// Twelve-factor processes never daemonize or write PID files. They run
    /// in the foreground and rely on the operating system's process manager
    /// (systemd, a container runtime, Kubernetes, a Procfile runner) to
    /// manage output streams, respond to crashed processes, and handle
    /// restarts and shutdowns. A process that forks into the background
    /// escapes its supervisor: the container exits at once or the manager
    /// loses track of it, and its logs vanish.
    ///
    /// ### Example
    /// ```rust,ignore
    /// use daemonize::Daemonize;
    ///
    /// fn main() {
    ///     Daemonize::new().pid_file("/var/run/app.pid").working_directory("/").start().unwrap();
    ///     serve();
    /// }
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// fn main() {
    ///     // stay in the foreground; let systemd, Docker or Kubernetes supervise
    ///     serve();
    /// }
    /// ```
    pub Daemonize => "daemonize", Factor::Concurrency, Warn, fixable: false, options: [], scope: Service
}

/// Calls that detach the process from its supervisor.
pub(crate) const DAEMON_FUNCTIONS: &[&str] = &["fork::daemon", "nix::unistd::daemon", "libc::daemon"];

/// `fork` is daemonizing unless the child `exec`s (a hand-made spawn).
pub(crate) const FORK_FUNCTIONS: &[&str] = &["fork::fork", "nix::unistd::fork", "libc::fork"];

const EXEC_FUNCTIONS: &[&str] = &[
    "libc::execv",
    "libc::execve",
    "libc::execvp",
    "libc::execvpe",
    "libc::execl",
    "libc::execle",
    "libc::execlp",
    "libc::fexecve",
    "nix::unistd::execv",
    "nix::unistd::execve",
    "nix::unistd::execvp",
    "nix::unistd::execvpe",
    "nix::unistd::fexecve",
    "nix::unistd::execveat",
];

/// The daemonize builder (the `daemonize` crate, or a vendored copy with the
/// same shape) and the methods that detach.
const DAEMONIZE_CONSTRUCTOR: &str = "Daemonize::new";
const DAEMONIZE_START: &[&str] = &["start", "execute"];

/// Functions that write a file, with the index of the path argument and of
/// the content argument.
const FILE_WRITES: &[(&str, usize, Option<usize>)] = &[
    ("std::fs::write", 0, Some(1)),
    ("tokio::fs::write", 0, Some(1)),
    ("async_std::fs::write", 0, Some(1)),
    ("fs_err::write", 0, Some(1)),
    ("std::fs::File::create", 0, None),
    ("tokio::fs::File::create", 0, None),
    ("async_std::fs::File::create", 0, None),
    ("fs_err::File::create", 0, None),
];

/// A value that identifies this process.
const PROCESS_ID: &[&str] = &["std::process::id", "nix::unistd::getpid", "libc::getpid"];

/// What `check_package` decides on.
#[derive(serde::Serialize, serde::Deserialize)]
enum Seen {
    Fork { function: Option<String>, callee: String },
    Exec { function: Option<String> },
}

/// String literals in an expression, macro arguments included, looking
/// through one local or `const`.
fn strings_in(cx: &Cx<'_>, expr: &syn::Expr) -> Vec<String> {
    struct Collect(Vec<String>);
    fn tokens(ts: proc_macro2::TokenStream, out: &mut Vec<String>) {
        for tt in ts {
            match tt {
                proc_macro2::TokenTree::Literal(l) => {
                    if let syn::Lit::Str(s) = syn::Lit::new(l) {
                        out.push(s.value());
                    }
                }
                proc_macro2::TokenTree::Group(g) => tokens(g.stream(), out),
                _ => {}
            }
        }
    }
    impl<'ast> Visit<'ast> for Collect {
        fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
            self.0.push(s.value());
        }
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            tokens(mac.tokens.clone(), &mut self.0);
        }
    }
    let mut c = Collect(Vec::new());
    let mut e = expr;
    while let syn::Expr::Reference(r) = e {
        e = &r.expr;
    }
    if let syn::Expr::Path(p) = e {
        let init = match p.path.get_ident() {
            Some(i) => cx.local_init(&i.to_string()).or_else(|| cx.const_init(&p.path)),
            None => cx.const_init(&p.path),
        };
        if let Some(init) = init {
            c.visit_expr(init);
        }
    }
    c.visit_expr(expr);
    c.0
}

/// Identifiers in an expression: `self.pid_file`, `pid_path`.
fn idents_in(expr: &syn::Expr) -> Vec<String> {
    struct Collect(Vec<String>);
    impl<'ast> Visit<'ast> for Collect {
        fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
            self.0.push(i.to_string());
        }
        fn visit_member(&mut self, m: &'ast syn::Member) {
            if let syn::Member::Named(i) = m {
                self.0.push(i.to_string());
            }
        }
    }
    let mut c = Collect(Vec::new());
    c.visit_expr(expr);
    c.0
}

/// `pid_file`, `pidfile`, `PID_PATH`: a name for a PID file.
fn names_pid_ident(ident: &str) -> bool {
    let lower = ident.to_ascii_lowercase();
    lower.starts_with("pidfile") || lower.starts_with("pid_file") || lower.starts_with("pid_path")
}

/// `app.pid`, `/run/app.pid`, `pidfile`.
fn names_pid_file(s: &str) -> bool {
    let name = s.rsplit(['/', '\\']).next().unwrap_or(s).to_ascii_lowercase();
    name.ends_with(".pid") || name == "pidfile" || name == "pid"
}

impl Daemonize {
    fn pid_file(cx: &mut Cx<'_>, call: &Call<'_>) {
        let (path_arg, content_arg) = if let Some(method) = call.method {
            let opens = method == "open"
                && call
                    .chain
                    .root
                    .iter()
                    .any(|r| r.ends_with("OpenOptions::new") || r.ends_with("File::options"));
            if !opens {
                return;
            }
            (0, None)
        } else {
            let Some((_, p, c)) = FILE_WRITES.iter().find(|(f, _, _)| call.is(&[f])) else {
                return;
            };
            (*p, *c)
        };
        let Some(path) = call.args.get(path_arg) else { return };
        let named = strings_in(cx, path).iter().any(|s| names_pid_file(s))
            || idents_in(path).iter().any(|i| names_pid_ident(i));
        let holds_pid = content_arg
            .and_then(|i| call.args.get(i))
            .is_some_and(|c| cx.sources(c).iter().any(|s| PROCESS_ID.contains(&s.as_str())));
        if !named && !holds_pid {
            return;
        }
        let span = cx.span(call.expr);
        cx.report(span, "the process writes its own PID file")
            .label("a PID file is how daemons are tracked")
            .note("twelve-factor processes never daemonize or write PID files: the process manager (systemd, the container runtime, Kubernetes) tracks the process")
            .help("run in the foreground and let the process manager supervise, restart and stop the process");
    }
}

impl Rule for Daemonize {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
    fn fact_types(&self) -> &'static [crate::engine::cache::FactType] {
        const { &[crate::engine::cache::FactType::of::<Seen>()] }
    }

    fn check_call(&self, cx: &mut Cx<'_>, call: &Call<'_>) {
        if is_test_or_build_time(cx) {
            return;
        }
        if let Some(method) = call.method {
            let name = method.to_string();
            if DAEMONIZE_START.contains(&name.as_str())
                && call
                    .chain
                    .root
                    .iter()
                    .any(|r| r == DAEMONIZE_CONSTRUCTOR || r.ends_with(&format!("::{DAEMONIZE_CONSTRUCTOR}")))
            {
                let span = cx.span_of(method.span().byte_range().start..call.expr.span().byte_range().end);
                cx.report(span, format!("`Daemonize::{name}` detaches the process into the background"))
                    .label("the process forks away from its supervisor")
                    .note("twelve-factor processes never daemonize or write PID files: they run in the foreground under a process manager")
                    .help("remove the daemonization and run in the foreground; systemd, Docker or Kubernetes supervise, restart and collect the output streams");
                return;
            }
            if name == "exec" && call.chain.root.iter().any(|r| r.ends_with("Command::new")) {
                let function = cx.enclosing_fn_path().map(str::to_string);
                let span = cx.span(call.expr);
                cx.record(span, Seen::Exec { function });
            }
            Self::pid_file(cx, call);
            return;
        }
        if let Some(f) = call.matched(DAEMON_FUNCTIONS) {
            let span = cx.span(call.expr);
            cx.report(span, format!("`{f}` detaches the process into the background"))
                .label("the process forks away from its supervisor and closes its output streams")
                .note("twelve-factor processes never daemonize or write PID files: they run in the foreground under a process manager")
                .help("remove the daemonization and run in the foreground; systemd, Docker or Kubernetes supervise, restart and collect the output streams");
        } else if let Some(f) = call.matched(FORK_FUNCTIONS) {
            let function = cx.enclosing_fn_path().map(str::to_string);
            let span = cx.span(call.expr);
            cx.record(
                span,
                Seen::Fork {
                    function,
                    callee: f.to_string(),
                },
            );
        } else if call.is(EXEC_FUNCTIONS) {
            let function = cx.enclosing_fn_path().map(str::to_string);
            let span = cx.span(call.expr);
            cx.record(span, Seen::Exec { function });
        } else {
            Self::pid_file(cx, call);
        }
    }

    fn check_package(&self, cx: &mut PackageReport<'_>, facts: &[Fact]) {
        let execs: Vec<&Option<String>> = facts
            .iter()
            .filter_map(|f| match f.get::<Seen>()? {
                Seen::Exec { function } => Some(function),
                Seen::Fork { .. } => None,
            })
            .collect();
        for fact in facts {
            let Some(Seen::Fork { function, callee }) = fact.get::<Seen>() else {
                continue;
            };
            if function.is_some() && execs.contains(&function) {
                continue;
            }
            let span: Span = fact.span.clone();
            cx.report(span, format!("`{callee}` forks the process without `exec`"))
                .label("a forked copy of the process runs outside its supervisor's view")
                .note("twelve-factor processes never daemonize and scale out through the process model: the process manager starts more processes")
                .help("run one process in the foreground and scale by running more of them; to run another program use `std::process::Command`");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::{check_rule, lines_of};

    use super::Daemonize;

    fn lines(src: &str) -> Vec<usize> {
        let mut found = lines_of(&check_rule(&Daemonize, src));
        found.sort();
        found
    }

    #[test]
    fn fires_on_daemonize_builders_and_daemon_calls() {
        let src = r#"
use daemonize::Daemonize;
use nix::unistd::{self, daemon};

fn main() {
    let d = Daemonize::new()
        .pid_file("/tmp/app.pid")
        .working_directory("/");
    match d.start() {                                            // 9
        Ok(_) => serve(),
        Err(e) => eprintln!("{e}"),
    }
    daemon(false, false).unwrap();                               // 13
    unsafe { libc::daemon(0, 0) };                               // 14
    fork::daemon(false, false).unwrap();                         // 15
}

mod vendored { pub struct Daemonize; impl Daemonize { pub fn new() -> Self { Daemonize } pub fn start(self) {} } }
fn other() { vendored::Daemonize::new().start(); }              // 19
"#;
        assert_eq!(lines(src), [9, 13, 14, 15, 19]);
    }

    #[test]
    fn fork_without_exec_fires_fork_then_exec_does_not() {
        let src = r#"
use nix::unistd::{fork, ForkResult, execvp};

fn background() {
    match unsafe { fork() } {                                    // 5
        Ok(ForkResult::Parent { .. }) => std::process::exit(0),
        _ => serve(),
    }
}

fn spawn(cmd: &std::ffi::CStr) {
    match unsafe { fork() } {
        Ok(ForkResult::Child) => { execvp(cmd, &[cmd]).unwrap(); }
        _ => {}
    }
}

fn spawn_libc() {
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        use std::os::unix::process::CommandExt;
        let err = std::process::Command::new("worker").exec();
    }
}
"#;
        assert_eq!(lines(src), [5]);
    }

    #[test]
    fn pid_files_fire() {
        let src = r#"
use std::{fs, process};
use std::io::Write;

const PID_PATH: &str = "/var/run/app.pid";

fn write_pid(dir: &str, cfg: &Config) -> std::io::Result<()> {
    fs::write(PID_PATH, process::id().to_string())?;                       // 8
    fs::write(format!("{dir}/server.pid"), b"")?;                          // 9
    fs::write("state", format!("{}", std::process::id()))?;                // 10
    let mut f = std::fs::OpenOptions::new().write(true).create(true).open("app.pid")?; // 11
    let mut g = std::fs::File::create(&cfg.pid_file)?;                     // 12
    Ok(())
}
"#;
        assert_eq!(lines(src), [8, 9, 10, 11, 12]);
    }

    #[test]
    fn ordinary_files_processes_and_tests_are_fine() {
        let src = r#"
use std::fs;
use std::process::Command;

fn run(out: &str, cfg: &Config) -> std::io::Result<()> {
    fs::write(out, b"report")?;
    fs::write("pids.txt", "1 2 3")?;
    let rapid = std::fs::File::create(&cfg.rapid_export)?;
    let child = Command::new("worker").spawn()?;
    println!("{}", std::process::id());
    let builder = Builder::new().start();
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn daemon() { nix::unistd::daemon(false, false).unwrap(); unsafe { libc::fork() }; }
}
"#;
        assert_eq!(lines(src), Vec::<usize>::new());
    }
}

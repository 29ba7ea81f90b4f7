use crate::declare_rule;
use crate::engine::{Call, Cx, OptionTable, RuleOptions, layer_options};
use crate::rules::common::is_test_or_build_time;
use crate::rules::{Factor, Rule, RuleMeta};

declare_rule! {
    /// ### What it does
    /// Finds processes started with `std::process::Command::new`,
    /// `tokio::process::Command::new`, `async_process::Command::new` (or
    /// `async_std`/`smol`) whose program is a string literal naming a
    /// system tool such as `convert`, `curl` or `ffmpeg`.
    ///
    /// ### Why is this bad
    /// A twelve-factor app never relies on the implicit existence of
    /// system-wide tools. The tool is a dependency that `Cargo.toml` does not
    /// declare: a fresh container image, a new host or a developer's laptop
    /// may not have it, or may have another version, and the failure only
    /// shows when the code path runs in production.
    ///
    /// A program taken from config or the environment is not reported, and
    /// neither is test code or a build script. Shells (`sh`, `bash`, `cmd`)
    /// are not listed: `sh -c <command>` runs a command line that comes from
    /// the user or config, and the tool it needs is named there.
    ///
    /// ### Example
    /// ```rust,ignore
    /// use std::process::Command;
    ///
    /// fn thumbnail(src: &Path, dst: &Path) -> io::Result<ExitStatus> {
    ///     Command::new("convert").arg(src).arg("-resize").arg("128x128").arg(dst).status()
    /// }
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// // a crate declared in Cargo.toml does the job in-process
    /// fn thumbnail(src: &Path, dst: &Path) -> image::ImageResult<()> {
    ///     image::open(src)?.thumbnail(128, 128).save(dst)
    /// }
    /// ```
    /// When the tool is a deliberate part of the runtime image, name its
    /// path through config (`FFMPEG_PATH`) or list it in `allowed`. A tool
    /// the image installs is declared already: a package of a `RUN apt-get
    /// install` (or `apk add`, `dnf install`) in a `Dockerfile` at the
    /// workspace root, under `docker/` or `deploy/` or in the package, or a
    /// line of Heroku's `Aptfile`, is not reported.
    ///
    /// ### Options
    /// `allowed = ["git"]`: tools that are a declared part of the runtime
    /// image and may be run by name.
    pub SystemCommand => "system_command", Factor::Dependencies, Warn, fixable: false, options: ["allowed"], scope: Service
}

/// Constructors of a child process, by crate.
const COMMAND_CONSTRUCTORS: &[&str] = &[
    "std::process::Command::new",
    "tokio::process::Command::new",
    "async_process::Command::new",
    "async_std::process::Command::new",
    "smol::process::Command::new",
    "duct::cmd",
];

/// Tools that are not part of a Rust binary's runtime and must be
/// installed on the host: media, documents, network, archives, databases,
/// cloud and container CLIs, interpreters and shells.
const SYSTEM_TOOLS: &[&str] = &[
    // images, video, audio
    "convert",
    "magick",
    "mogrify",
    "identify",
    "composite",
    "ffmpeg",
    "ffprobe",
    "avconv",
    "sox",
    "lame",
    "gifsicle",
    "optipng",
    "pngquant",
    "jpegoptim",
    "cwebp",
    "dwebp",
    "exiftool",
    "vips",
    "vipsthumbnail",
    "inkscape",
    "rsvg-convert",
    "dot",
    "gm",
    "heif-convert",
    "tesseract",
    "yt-dlp",
    "youtube-dl",
    // documents
    "pandoc",
    "wkhtmltopdf",
    "wkhtmltoimage",
    "libreoffice",
    "soffice",
    "pdftotext",
    "pdftoppm",
    "pdfinfo",
    "pdftk",
    "qpdf",
    "gs",
    "ghostscript",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "phantomjs",
    "latex",
    "pdflatex",
    "xelatex",
    // network
    "curl",
    "wget",
    "ssh",
    "scp",
    "sftp",
    "rsync",
    "ping",
    "dig",
    "nslookup",
    "host",
    "nc",
    "netcat",
    "traceroute",
    "ip",
    "ifconfig",
    "iptables",
    "sendmail",
    "mail",
    // archives
    "tar",
    "zip",
    "unzip",
    "gzip",
    "gunzip",
    "bzip2",
    "xz",
    "7z",
    "7za",
    "unrar",
    "zstd",
    // crypto
    "openssl",
    "gpg",
    "gpg2",
    "ssh-keygen",
    "certbot",
    // databases
    "psql",
    "pg_dump",
    "pg_restore",
    "pg_dumpall",
    "mysql",
    "mysqldump",
    "mongo",
    "mongosh",
    "mongodump",
    "mongorestore",
    "redis-cli",
    "sqlite3",
    // version control, containers, cloud
    "git",
    "hg",
    "svn",
    "docker",
    "podman",
    "kubectl",
    "helm",
    "aws",
    "gcloud",
    "gsutil",
    "az",
    "terraform",
    // interpreters and package managers
    "node",
    "npm",
    "npx",
    "yarn",
    "pnpm",
    "deno",
    "python",
    "python3",
    "pip",
    "ruby",
    "perl",
    "php",
    "java",
    "dotnet",
    // system utilities (shells are not listed: `sh -c <command>` runs a
    // command line the user gave, and the tool it needs is in that string)
    "systemctl",
    "service",
    "crontab",
    "sudo",
    "su",
    "jq",
    "lsof",
    "ps",
    "kill",
    "pkill",
    "killall",
    "xdg-open",
    "open",
    "osascript",
    "say",
    "espeak",
    "notify-send",
    "lp",
    "lpr",
];

/// The tool a program literal names: `/usr/bin/convert` and `convert.exe`
/// are `convert`.
fn tool_name(program: &str) -> &str {
    let base = program.rsplit(['/', '\\']).next().unwrap_or(program);
    base.strip_suffix(".exe").unwrap_or(base)
}

/// A string literal, directly or through a same-file `const` or a local
/// `let` of one.
fn str_lit(cx: &Cx<'_>, expr: &syn::Expr, depth: usize) -> Option<syn::LitStr> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s), ..
        }) => Some(s.clone()),
        syn::Expr::Reference(r) => str_lit(cx, &r.expr, depth),
        syn::Expr::Paren(p) => str_lit(cx, &p.expr, depth),
        syn::Expr::Path(p) if depth < 3 => {
            let init = match p.path.get_ident() {
                Some(ident) => cx.local_init(&ident.to_string()).or_else(|| cx.const_init(&p.path)),
                None => cx.const_init(&p.path),
            }?;
            str_lit(cx, init, depth + 1)
        }
        _ => None,
    }
}

/// Options of `system_command`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SystemCommandOptions {
    /// Tools that are a declared part of the runtime image and may be run
    /// by name (`git`, `ffmpeg`).
    #[serde(default)]
    pub allowed: Vec<String>,
}

impl Rule for SystemCommand {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    /// A tool the image installs is declared (`crate::rules::image`).
    fn file_inputs(&self, workspace_root: &std::path::Path, package_dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        crate::rules::image::image_files(workspace_root, package_dir)
    }

    fn parse_options(&self, table: &OptionTable, base: Option<&RuleOptions>) -> Result<RuleOptions, String> {
        Ok(std::sync::Arc::new(layer_options::<SystemCommandOptions>(
            table,
            base,
            Self::META.options,
        )?))
    }

    fn check_call(&self, cx: &mut Cx<'_>, call: &Call<'_>) {
        if call.method.is_some() || is_test_or_build_time(cx) {
            return;
        }
        let Some(ctor) = call.matched(COMMAND_CONSTRUCTORS) else {
            return;
        };
        let Some(arg) = call.args.first() else { return };
        let Some(program) = str_lit(cx, arg, 0) else { return };
        let value = program.value();
        let tool = tool_name(&value);
        if !SYSTEM_TOOLS.contains(&tool) {
            return;
        }
        if cx
            .options::<SystemCommandOptions>()
            .is_some_and(|o| o.allowed.iter().any(|a| a == tool || *a == value))
        {
            return;
        }
        // A tool the image installs (`apt-get install git`, an `Aptfile`)
        // is a declared dependency.
        if crate::rules::image::installs(cx.workspace_root(), cx.package().dir(), tool) {
            return;
        }
        let callee = ctor.rsplit("::").take(2).collect::<Vec<_>>();
        let callee = callee.into_iter().rev().collect::<Vec<_>>().join("::");
        let span = cx.span(call.expr);
        cx.report(span, format!("`{callee}(\"{value}\")` runs the system tool `{tool}`"))
            .label(format!("the app silently depends on `{tool}` being installed"))
            .note("a twelve-factor app declares all its dependencies and never relies on system-wide tools: a fresh image or host may lack it or ship another version")
            .help(format!(
                "use a crate declared in Cargo.toml for the job, or ship `{tool}` in the image and name its path through config; if it is a declared part of the runtime image, add it to `allowed` in `[package.metadata.twelve.system_command]`"
            ));
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::{check_rule, lines_of};

    use super::SystemCommand;

    fn lines(src: &str) -> Vec<usize> {
        lines_of(&check_rule(&SystemCommand, src))
    }

    #[test]
    fn fires_on_system_tools_by_name() {
        let src = r#"
use std::process::Command;
use tokio::process::Command as AsyncCommand;

const CONVERT: &str = "/usr/bin/convert";

pub fn thumbnail(src: &str, dst: &str) -> std::io::Result<()> {
    Command::new("ffmpeg").args(["-i", src, dst]).status()?;            // 8
    let out = std::process::Command::new("curl").arg("-sS").output()?; // 9
    Command::new(CONVERT).arg(src).status()?;                          // 10
    let tool = "rsync";
    Command::new(tool).arg("-a").arg(src).arg(dst).status()?;          // 12
    Ok(())
}

pub async fn fetch() {
    let _ = AsyncCommand::new("wget").arg("x").status().await;         // 17
    let _ = async_process::Command::new("git.exe").output().await;     // 18
}
"#;
        assert_eq!(lines(src), [8, 9, 10, 12, 17, 18]);
        let found = check_rule(&SystemCommand, src);
        assert_eq!(
            found[0].message,
            "`Command::new(\"ffmpeg\")` runs the system tool `ffmpeg`"
        );
        assert_eq!(
            found[2].message,
            "`Command::new(\"/usr/bin/convert\")` runs the system tool `convert`"
        );
    }

    #[test]
    fn configured_or_own_programs_are_fine() {
        let src = r#"
use std::process::Command;
use std::env;

struct Config { ffmpeg: std::path::PathBuf, hook: String }

fn run(cfg: &Config, exe: &std::path::Path) -> std::io::Result<()> {
    Command::new(&cfg.ffmpeg).arg("-version").status()?;
    let tool = env::var("CONVERT_PATH").unwrap_or_else(|_| "convert".into());
    Command::new(tool).status()?;
    Command::new(env::current_exe()?).arg("worker").status()?;
    Command::new("./bin/helper").status()?;
    Command::new("cargo").arg("metadata").status()?;
    Command::new("sh").arg("-c").arg(&cfg.hook).status()?;
    Command::new(exe).status()?;
    my::Command::new("curl");
    Ok(())
}
mod my { pub struct Command; impl Command { pub fn new(_: &str) -> Self { Command } } }
"#;
        assert_eq!(lines(src), Vec::<usize>::new());
    }

    #[test]
    fn tests_and_allowed_tools_are_fine() {
        let src = r#"
use std::process::Command;
pub fn clone(url: &str) { Command::new("git").args(["clone", url]).status().unwrap(); }
pub fn dump() { Command::new("pg_dump").status().unwrap(); }

#[cfg(test)]
mod tests {
    #[test]
    fn uses_curl() { std::process::Command::new("curl").status().unwrap(); }
}
"#;
        let options = super::SystemCommandOptions {
            allowed: vec!["git".into()],
        };
        let found = crate::test_support::check_rule_with_options(&SystemCommand, src, options);
        let lines: Vec<_> = found.iter().map(|d| d.span.start().line).collect();
        assert_eq!(lines, [4]);
    }
}

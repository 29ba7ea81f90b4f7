use syn::spanned::Spanned;

use crate::declare_rule;
use crate::engine::{Call, Cx};
use crate::rules::{Factor, Rule, RuleMeta};

declare_rule! {
    /// ### What it does
    /// Finds writes to the local filesystem: creating, writing, appending to,
    /// copying, renaming or removing files and directories with `std::fs`,
    /// `tokio::fs`, `async_std::fs` or `fs_err`.
    ///
    /// ### Why is this bad
    /// Twelve-factor processes are stateless and share nothing. A container's
    /// filesystem is gone after a restart or a deploy, and a second instance
    /// of the service never sees what the first one wrote. Uploads, caches
    /// that must survive and generated reports silently disappear or differ
    /// between instances.
    ///
    /// Writes under `std::env::temp_dir()` or a `tempfile` directory in the
    /// same function are scratch space and are not reported, and neither is
    /// test code, a build script or a procedural macro. Opening an existing
    /// file for writing without creating, truncating or appending (a device,
    /// a FIFO, `/dev/tty`) is not reported either.
    ///
    /// ### Example
    /// ```rust,ignore
    /// use std::fs;
    ///
    /// fn save_avatar(user: u64, png: &[u8]) -> std::io::Result<()> {
    ///     fs::write(format!("uploads/{user}.png"), png)
    /// }
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// async fn save_avatar(store: &ObjectStore, user: u64, png: Bytes) -> Result<()> {
    ///     // an S3/GCS bucket or a database, addressed through config
    ///     store.put(&format!("avatars/{user}.png").into(), png.into()).await?;
    ///     Ok(())
    /// }
    /// ```
    ///
    /// ### Options
    /// `scratch_dirs = ["my_crate::paths::scratch"]`: functions whose result
    /// is scratch space like `std::env::temp_dir`.
    pub FilesystemWrite => "filesystem_write", Factor::Processes, Warn, fixable: false, options: ["scratch_dirs"]
}

/// Modules with std's filesystem API, by crate.
const FS_MODULES: &[&str] = &["std::fs", "tokio::fs", "async_std::fs", "fs_err", "fs_err::tokio"];

/// Free functions of those modules that write, with the index of the
/// argument that names the written path.
const WRITE_FUNCTIONS: &[(&str, usize)] = &[
    ("write", 0),
    ("copy", 1),
    ("rename", 1),
    ("create_dir", 0),
    ("create_dir_all", 0),
    ("remove_file", 0),
    ("remove_dir", 0),
    ("remove_dir_all", 0),
    ("hard_link", 1),
    ("soft_link", 1),
    ("symlink", 1),
    ("set_permissions", 0),
    ("File::create", 0),
    ("File::create_new", 0),
];

/// Unix extensions that write.
const UNIX_WRITE_FUNCTIONS: &[(&str, usize)] = &[
    ("std::os::unix::fs::symlink", 1),
    ("std::os::unix::fs::chown", 0),
    ("std::os::unix::fs::lchown", 0),
];

/// Builders whose `open` writes when one of `OPEN_WRITE_FLAGS` is set.
const OPEN_OPTIONS_CONSTRUCTORS: &[&str] = &["OpenOptions::new", "File::options"];
/// `write(true)` alone opens an existing file, typically a device, a FIFO or
/// a terminal; these flags create or replace content on disk.
const OPEN_WRITE_FLAGS: &[&str] = &["append", "create", "create_new", "truncate"];

/// Paths that are devices or kernel interfaces, not storage.
const DEVICE_PREFIXES: &[&str] = &["/dev/", "/proc/", "/sys/"];

/// `DirBuilder::new().recursive(true).create(p)`.
const DIR_BUILDER_CONSTRUCTORS: &[&str] = &["DirBuilder::new"];

/// Calls whose result is scratch space that may vanish.
const SCRATCH_SOURCES: &[&str] = &[
    "std::env::temp_dir",
    "tempfile::tempdir",
    "tempfile::tempdir_in",
    "tempfile::tempfile",
    "tempfile::tempfile_in",
    "tempfile::env::temp_dir",
    "tempfile::TempDir::new",
    "tempfile::TempDir::new_in",
    "tempfile::TempDir::with_prefix",
    "tempfile::NamedTempFile::new",
    "tempfile::NamedTempFile::new_in",
    "tempfile::Builder::new",
];

/// `tokio::fs::write` is `write` in module `tokio::fs`.
fn in_fs_module<'t>(path: &str, table: &[(&'t str, usize)]) -> Option<(&'t str, usize)> {
    table.iter().copied().find(|(name, _)| {
        path.strip_suffix(name)
            .and_then(|p| p.strip_suffix("::"))
            .is_some_and(|module| FS_MODULES.contains(&module))
    })
}

fn root_in_fs_module(chain_root: &[String], constructors: &[&str]) -> Option<String> {
    chain_root.iter().find_map(|root| {
        constructors.iter().find_map(|c| {
            let module = root.strip_suffix(c)?.strip_suffix("::")?;
            FS_MODULES.contains(&module).then(|| root.clone())
        })
    })
}

impl Rule for FilesystemWrite {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_call(&self, cx: &mut Cx<'_>, call: &Call<'_>) {
        if cx.in_test() || cx.target_kind().is_build_time() {
            return;
        }
        let (what, path_arg) = if let Some(method) = call.method {
            let method = method.to_string();
            let builder = match method.as_str() {
                "open" => root_in_fs_module(&call.chain.root, OPEN_OPTIONS_CONSTRUCTORS)
                    .filter(|_| call.chain.has_enabled_step(OPEN_WRITE_FLAGS)),
                "create" => root_in_fs_module(&call.chain.root, DIR_BUILDER_CONSTRUCTORS),
                _ => None,
            };
            let Some(builder) = builder else { return };
            let what = match builder.strip_suffix("::new") {
                Some(ty) => format!("`{ty}::{method}`"),
                None => format!("`{builder}()…{method}`"),
            };
            (what, 0)
        } else {
            let found = call.paths.iter().find_map(|p| {
                in_fs_module(p, WRITE_FUNCTIONS)
                    .or_else(|| UNIX_WRITE_FUNCTIONS.iter().copied().find(|(f, _)| f == p))
                    .map(|(_, arg)| (format!("`{p}`"), arg))
            });
            let Some(found) = found else { return };
            found
        };

        if let Some(arg) = call.args.get(path_arg) {
            if let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s), ..
            }) = arg
                && DEVICE_PREFIXES.iter().any(|p| s.value().starts_with(p))
            {
                return;
            }
            let sources = cx.sources(arg);
            let scratch = &cx.package().config.rules.filesystem_write.scratch_dirs;
            if sources
                .iter()
                .any(|s| SCRATCH_SOURCES.contains(&s.as_str()) || scratch.contains(s))
            {
                return;
            }
        }

        let span = match (call.method, call.expr) {
            (Some(method), expr) => cx.span_of(method.span().byte_range().start..expr.span().byte_range().end),
            (None, expr) => cx.span(expr),
        };
        cx.report(span, format!("{what} writes to the local filesystem"))
            .label("this file is lost on restart and invisible to other instances")
            .note("twelve-factor processes are stateless and share nothing: data that must persist belongs in a backing service")
            .help("store it in a database or object storage addressed through config; for scratch files that may vanish, use `std::env::temp_dir()` or `tempfile`");
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::check_rule;

    use super::FilesystemWrite;

    fn lines(src: &str) -> Vec<usize> {
        check_rule(&FilesystemWrite, src)
            .iter()
            .map(|d| d.span.start().line)
            .collect()
    }

    #[test]
    fn fires_on_std_tokio_and_fs_err_writes() {
        let src = r#"
use std::fs;
use std::fs::File;
use tokio::fs as afs;
use std::io::Write;

pub fn save(data: &[u8]) -> std::io::Result<()> {
    fs::write("state.json", data)?;                     // 8
    let mut f = File::create("out.txt")?;               // 9
    f.write_all(data)?;
    std::fs::create_dir_all("cache/images")?;           // 11
    fs::rename("a.tmp", "a")?;                          // 12
    fs_err::remove_file("old.log")?;                    // 13
    Ok(())
}

pub async fn save_async(data: Vec<u8>) -> std::io::Result<()> {
    afs::write("uploads/x.bin", data).await?;           // 18
    tokio::fs::File::create_new("lock").await?;         // 19
    Ok(())
}
"#;
        assert_eq!(lines(src), [8, 9, 11, 12, 13, 18, 19]);
    }

    #[test]
    fn fires_on_open_options_chains_and_builders() {
        let src = r#"
use std::fs::{self, OpenOptions};

fn log(line: &str) {
    let f = fs::OpenOptions::new().append(true).create(true).open("app.log"); // 5
    let mut opts = OpenOptions::new();
    opts.write(true).create(true);
    let g = opts.open("data.db");                                               // 8
    let h = std::fs::File::options().truncate(true).write(true).open("x");      // 9
    fs::DirBuilder::new().recursive(true).create("var/run/app").unwrap();      // 10
}
"#;
        assert_eq!(lines(src), [5, 8, 9, 10]);
    }

    #[test]
    fn devices_fifos_and_ttys_are_fine() {
        let src = r#"
use std::fs::{self, OpenOptions};

fn tty() -> std::io::Result<fs::File> {
    OpenOptions::new().read(true).write(true).open("/dev/tty")
}
fn jobserver(path: &str) -> std::io::Result<fs::File> {
    OpenOptions::new().write(true).open(path)
}
fn sysfs() { fs::write("/sys/class/leds/led0/brightness", "1").unwrap(); }
fn still_a_file() { OpenOptions::new().write(true).truncate(true).open("state.bin").unwrap(); }
"#;
        assert_eq!(lines(src), [11]);
    }

    #[test]
    fn file_options_are_named_as_written() {
        let src = "fn f() { std::fs::File::options().append(true).open(\"x\").unwrap(); }\n";
        let found = check_rule(&FilesystemWrite, src);
        assert_eq!(
            found[0].message,
            "`std::fs::File::options()…open` writes to the local filesystem"
        );
    }

    #[test]
    fn destructured_temp_paths_are_scratch() {
        let src = r#"
use tempfile::NamedTempFile;
fn upload(bytes: &[u8]) -> std::io::Result<()> {
    let (file, temp_path) = NamedTempFile::new()?.keep()?;
    std::fs::remove_file(&temp_path)?;
    Ok(())
}
"#;
        assert_eq!(lines(src), Vec::<usize>::new());
    }

    #[test]
    fn reads_are_fine() {
        let src = r#"
use std::fs::{self, File, OpenOptions};
use std::io::Read;

fn load() -> std::io::Result<String> {
    let mut s = String::new();
    File::open("config.toml")?.read_to_string(&mut s)?;
    let t = fs::read_to_string("x")?;
    let f = OpenOptions::new().read(true).open("y")?;
    let g = OpenOptions::new().read(true).write(false).open("z")?;
    let meta = fs::metadata("x")?;
    Ok(s)
}
"#;
        assert_eq!(lines(src), Vec::<usize>::new());
    }

    #[test]
    fn scratch_space_is_fine() {
        let src = r#"
use std::fs;
use std::env;

fn render() -> std::io::Result<()> {
    let dir = tempfile::tempdir()?;
    fs::write(dir.path().join("page.html"), "<html>")?;
    let scratch = env::temp_dir().join("render");
    fs::create_dir_all(&scratch)?;
    fs::write(std::env::temp_dir().join("x"), b"1")?;
    let p = scratch.join("y");
    fs::copy("template.html", &p)?;
    Ok(())
}
"#;
        assert_eq!(lines(src), Vec::<usize>::new());
    }

    #[test]
    fn temp_binding_does_not_leak_into_other_functions() {
        let src = r#"
fn a() { let dir = std::env::temp_dir(); std::fs::write(&dir, "x").unwrap(); }
fn b(dir: &std::path::Path) { std::fs::write(dir, "x").unwrap(); }
"#;
        assert_eq!(lines(src), [3]);
    }

    #[test]
    fn test_code_is_fine() {
        let src = r#"
pub fn run() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn writes_fixture() {
        fs::write("fixture.txt", "x").unwrap();
    }
}

#[test]
fn top_level_test() { std::fs::write("y", "z").unwrap(); }
"#;
        assert_eq!(lines(src), Vec::<usize>::new());
    }

    #[test]
    fn unrelated_functions_named_write_are_fine() {
        let src = r#"
mod store { pub fn write(_: &str) {} }
use std::io::Write;
fn f(mut out: impl Write, db: &Db) {
    store::write("x");
    write("local");
    out.write_all(b"x").unwrap();
    db.create("row");
    writeln!(out, "hello").unwrap();
}
fn write(_: &str) {}
"#;
        assert_eq!(lines(src), Vec::<usize>::new());
    }

    #[test]
    fn writes_inside_macros_fire() {
        let src = r#"
fn f() {
    let r = format!("{:?}", std::fs::write("a", "b"));
    tracing::info!(result = ?std::fs::remove_file("pid"), "cleaned");
}
"#;
        assert_eq!(lines(src), [3, 4]);
    }

    #[test]
    fn glob_imports_resolve() {
        let src = "use std::fs::*;\nfn f() { write(\"a\", \"b\").unwrap(); }\n";
        assert_eq!(lines(src), [2]);
    }
}

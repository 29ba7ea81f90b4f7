use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use crate::declare_rule;
use crate::diagnostic::{Applicability, Edit, Span};
use crate::engine::{Fact, PackageReport};
use crate::rules::config::env_files::{self, parse_env};
use crate::rules::{Factor, Rule, RuleMeta};
use crate::source::SourceFile;

declare_rule! {
    /// ### What it does
    /// Finds `.env` and `.env.<name>` files with values in a package's or the
    /// workspace's directory that git tracks (or would add: present and not
    /// ignored). Outside a git repository, it finds those that no
    /// `.gitignore` ignores. `.env.example`, `.env.sample` and
    /// `.env.template` are the documented, compliant form, and a file whose
    /// variables are all empty is a template too. So is a file that holds no
    /// secret and is either a fill-in template (every credential it names is
    /// a placeholder, `COOKIE_SECRET=pleasereplacethis`) or the developer's
    /// own setup (every address it names is on the local machine, such as
    /// sqlx's build-time `DATABASE_URL=sqlite://./dev.db`). A file named for
    /// a deploy (`.env.production`, `.env.staging`) is reported either way.
    ///
    /// ### Why is this bad
    /// Twelve-factor config lives in the environment, strictly separate from
    /// the code. A committed `.env` ships one deploy's settings, and usually
    /// its secrets, to everyone who can read the repository, and keeps them
    /// in its history. Config files grouped per environment
    /// (`.env.production`, `.env.staging`) do not scale as deploys multiply.
    ///
    /// ### Example
    /// ```text
    /// # .env, tracked by git
    /// DATABASE_URL=postgres://app:s3cr3t@db.internal/app
    /// STRIPE_KEY=sk_live_…
    /// ```
    ///
    /// ### Use instead
    /// ```text
    /// # .gitignore
    /// .env
    /// .env.*
    /// !.env.example
    ///
    /// # .env.example, committed: the names, no values
    /// DATABASE_URL=
    /// STRIPE_KEY=
    /// ```
    /// Then `git rm --cached .env`, and rotate any secret it held.
    ///
    /// ### Fix
    /// `cargo twelve fix` adds the file to the `.gitignore` next to it and
    /// writes its keys, with empty values, to `.env.example` there, creating
    /// either file when needed (machine-applicable). The `.env` itself is left
    /// as it is: stop tracking it with `git rm --cached` and rotate its
    /// secrets.
    pub CommittedEnvFile => "committed_env_file", Factor::Config, Deny, fixable: true, options: []
}

/// What git says of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Tracked,
    /// Present, neither tracked nor ignored: the next `git add -A` commits it.
    Unignored,
    Ignored,
}

/// Status of `names` in `dir`, or `None` outside a git work tree (or without
/// git).
fn git_status(dir: &Path, names: &[String]) -> Option<HashMap<String, Status>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "ls-files",
            "-z",
            "-t",
            "--cached",
            "--others",
            "--exclude-standard",
            "--",
        ])
        .args(names)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let mut status: HashMap<String, Status> = names.iter().map(|n| (n.clone(), Status::Ignored)).collect();
    for entry in String::from_utf8_lossy(&out.stdout).split('\0') {
        let Some((tag, path)) = entry.split_once(' ') else {
            continue;
        };
        let s = if tag == "?" { Status::Unignored } else { Status::Tracked };
        if let Some(slot) = status.get_mut(path) {
            // A file both tracked and listed as other stays tracked.
            if *slot != Status::Tracked {
                *slot = s;
            }
        }
    }
    Some(status)
}

/// `.gitignore` files from `dir` up to `root`, outermost first, each with its
/// directory.
fn gitignores(dir: &Path, root: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for d in dir.ancestors() {
        if let Ok(text) = std::fs::read_to_string(d.join(".gitignore")) {
            out.push((d.to_path_buf(), text));
        }
        if d == root {
            break;
        }
    }
    out.reverse();
    out
}

/// Whether the `.gitignore` files ignore `name` in `dir`: patterns in order,
/// the last match wins, `!` re-includes, a `/` anchors to the file's
/// directory.
fn gitignore_ignores(ignores: &[(PathBuf, String)], dir: &Path, name: &str) -> bool {
    let mut ignored = false;
    for (base, text) in ignores {
        let Ok(rel) = dir.join(name).strip_prefix(base).map(Path::to_path_buf) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        for line in text.lines() {
            let line = line.trim_end();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (negated, pattern) = match line.strip_prefix('!') {
                Some(p) => (true, p),
                None => (false, line),
            };
            if pattern.ends_with('/') {
                // A directory pattern does not match a file.
                continue;
            }
            let anchored = pattern.starts_with('/') || pattern.contains('/');
            let pattern = pattern.trim_start_matches('/');
            let glob = if anchored {
                pattern.to_string()
            } else {
                format!("**/{pattern}")
            };
            let Ok(glob) = globset::GlobBuilder::new(&glob).literal_separator(true).build() else {
                continue;
            };
            if glob.compile_matcher().is_match(&rel) {
                ignored = !negated;
            }
        }
    }
    ignored
}

impl Rule for CommittedEnvFile {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_package(&self, cx: &mut PackageReport<'_>, _facts: &[Fact]) {
        let package_dir = cx.package.dir().to_path_buf();
        let root = cx.workspace_root.to_path_buf();
        for dir in env_files::env_dirs(&package_dir, &root) {
            let files: Vec<PathBuf> = env_files::env_files(&dir)
                .into_iter()
                .filter(|p| {
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    name != ".envrc" && !env_files::is_env_template(name)
                })
                .collect();
            if files.is_empty() {
                continue;
            }
            let names: Vec<String> = files
                .iter()
                .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(String::from))
                .collect();
            let git = git_status(&dir, &names);
            let ignores = if git.is_none() {
                gitignores(&dir, &root)
            } else {
                Vec::new()
            };
            for (path, name) in files.iter().zip(&names) {
                let status = match &git {
                    Some(s) => s.get(name).copied().unwrap_or(Status::Ignored),
                    None if gitignore_ignores(&ignores, &dir, name) => Status::Ignored,
                    None => Status::Unignored,
                };
                if status != Status::Ignored {
                    report(cx, path, name, status, git.is_some());
                }
            }
        }
    }
}

fn report(cx: &mut PackageReport<'_>, path: &Path, name: &str, status: Status, in_git: bool) {
    let Ok(file) = SourceFile::read(path) else { return };
    let entries: Vec<_> = parse_env(&file.text)
        .into_iter()
        .filter(|e| !e.value.is_empty())
        .collect();
    let Some(first) = entries.first() else { return };
    if env_files::is_documented_template(&file.text, &entries) || is_dev_setup(name, &entries) {
        return;
    }
    let values: Vec<Range<usize>> = entries.iter().map(|e| e.value_range.clone()).collect();
    let span = first.key_range.start..first.value_range.end;
    let shown = cx.masked(&Arc::new(file), &values);
    let n = entries.len();
    let values_word = if n == 1 { "value" } else { "values" };
    let (message, help) = match status {
        Status::Tracked => (
            format!("`{name}` with {n} {values_word} is committed to git"),
            format!(
                "stop tracking it (`git rm --cached {name}`), ignore it in `.gitignore`, commit a `.env.example` with the names and no values, and rotate any secret it held"
            ),
        ),
        _ if in_git => (
            format!("`{name}` with {n} {values_word} is not ignored by git"),
            format!(
                "add `{name}` to `.gitignore` before it is committed; commit a `.env.example` with the names and no values instead"
            ),
        ),
        _ => (
            format!("`{name}` with {n} {values_word} is not ignored by any `.gitignore`"),
            format!("add `{name}` to `.gitignore`; commit a `.env.example` with the names and no values instead"),
        ),
    };
    let keys: Vec<String> = parse_env(&shown.text).into_iter().map(|e| e.key).collect();
    let edits = path
        .parent()
        .map(|dir| ignore_and_template(dir, name, &keys))
        .unwrap_or_default();
    let d = cx
        .report(Span::new(shown, span), message)
        .label("one deploy's config, kept with the code")
        .note("twelve-factor config lives in the environment, separate from the code: a committed `.env` gives every reader of the repository that deploy's settings and secrets")
        .help(help);
    if !edits.is_empty() {
        d.suggest(
            format!("ignore `{name}` in `.gitignore` and list its variables, without values, in `.env.example`"),
            edits,
            Applicability::MachineApplicable,
        );
    }
}

/// Suffixes of env files named for a deploy: `.env.production`.
const DEPLOY_SUFFIXES: &[&str] = &["production", "prod", "staging", "stage", "live", "qa", "uat", "preprod"];

/// Whether an env file is a template or the developer's own setup rather
/// than one deploy's config: it holds no secret, and either every
/// credential it names is a placeholder (at least one), or every address
/// it names is on the developer's machine (at least one) and none is
/// elsewhere. A file named for a deploy never is.
fn is_dev_setup(name: &str, entries: &[env_files::EnvEntry]) -> bool {
    use crate::rules::backing_services::urls;
    use crate::rules::config::{secret_patterns, secret_values};
    let suffix = name.strip_prefix(".env.").unwrap_or("").to_ascii_lowercase();
    if DEPLOY_SUFFIXES
        .iter()
        .any(|s| suffix.split(['.', '-', '_']).any(|w| w == *s))
    {
        return false;
    }
    let (mut credentials, mut local, mut remote) = (0, 0, 0);
    for e in entries {
        let value = e.value.trim();
        if !secret_patterns::find(value).is_empty() {
            return false;
        }
        if let Some(pw) = urls::url_password(value)
            && secret_values::plausible_password(&value[pw])
        {
            return false;
        }
        if secret_values::secret_name(&e.key).is_some() {
            if !secret_values::is_placeholder(value) {
                return false;
            }
            credentials += 1;
        }
        match address_host(value) {
            Some(host) if is_local_host(&host) => local += 1,
            Some(_) => remote += 1,
            None => {}
        }
    }
    credentials > 0 || (local > 0 && remote == 0)
}

/// The host a value addresses: a URL's (`sqlite://./dev.db` has the empty
/// host of a local file), or a bare `host:port`.
fn address_host(value: &str) -> Option<String> {
    if value.starts_with("sqlite:") {
        return Some(String::new());
    }
    let (_, rest) = value.split_once("://")?;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let first = hosts.split(',').next().unwrap_or("");
    let host = match first.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => first.rsplit_once(':').map_or(first, |(h, _)| h),
    };
    Some(host.to_ascii_lowercase())
}

/// Hosts of the developer's own machine; the empty host is a local file.
fn is_local_host(host: &str) -> bool {
    host.is_empty()
        || host == "localhost"
        || host.ends_with(".localhost")
        || host == "::1"
        || host == "0.0.0.0"
        || host.starts_with("127.")
        || host == "host.docker.internal"
}

/// The edits that add `name` to the `.gitignore` of `dir` (unless it
/// already ignores it there) and `keys` with empty values to its
/// `.env.example`, each file created when missing. The `.env` itself is
/// left as it is.
fn ignore_and_template(dir: &Path, name: &str, keys: &[String]) -> Vec<Edit> {
    let mut edits = Vec::new();
    let append = |path: PathBuf, lines: &[String]| -> Option<Edit> {
        if lines.is_empty() {
            return None;
        }
        let file = if path.exists() {
            SourceFile::read(&path).ok()?
        } else {
            SourceFile::new(path, String::new())
        };
        let mut text = String::new();
        if !file.text.is_empty() && !file.text.ends_with('\n') {
            text.push('\n');
        }
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
        let end = file.text.len();
        Some(Edit {
            span: Span::new(Arc::new(file), end..end),
            replacement: text,
        })
    };
    let ignores = gitignores(dir, dir);
    if !gitignore_ignores(&ignores, dir, name) {
        edits.extend(append(dir.join(".gitignore"), &[name.to_string()]));
    }
    let example = dir.join(".env.example");
    let have: Vec<String> = std::fs::read_to_string(&example)
        .map(|t| parse_env(&t).into_iter().map(|e| e.key).collect())
        .unwrap_or_default();
    let mut missing: Vec<String> = Vec::new();
    for key in keys {
        if !have.contains(key) && !missing.contains(key) {
            missing.push(key.clone());
        }
    }
    let lines: Vec<String> = missing.iter().map(|k| format!("{k}=")).collect();
    edits.extend(append(example, &lines));
    edits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignores(files: &[(&str, &str)]) -> (tempfile::TempDir, Vec<(PathBuf, String)>) {
        let dir = tempfile::tempdir().unwrap();
        for (rel, text) in files {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let sub = dir.path().join("app");
        std::fs::create_dir_all(&sub).unwrap();
        let ig = gitignores(&sub, dir.path());
        (dir, ig)
    }

    #[test]
    fn gitignore_patterns() {
        let (dir, ig) = ignores(&[(".gitignore", "/target\n.env\n.env.*\n!.env.local\n")]);
        let sub = dir.path().join("app");
        assert!(gitignore_ignores(&ig, &sub, ".env"));
        assert!(gitignore_ignores(&ig, &sub, ".env.production"));
        assert!(!gitignore_ignores(&ig, &sub, ".env.local"));

        let (dir, ig) = ignores(&[(".gitignore", "/.env\n"), ("app/.gitignore", "# nothing\n")]);
        let sub = dir.path().join("app");
        assert!(!gitignore_ignores(&ig, &sub, ".env"), "anchored to the root");
        assert!(gitignore_ignores(&ig, dir.path(), ".env"));

        let (dir, ig) = ignores(&[("app/.gitignore", "*.env*\n")]);
        assert!(gitignore_ignores(&ig, &dir.path().join("app"), ".env"));

        let (dir, ig) = ignores(&[(".gitignore", ".env/\n")]);
        assert!(
            !gitignore_ignores(&ig, &dir.path().join("app"), ".env"),
            "a directory pattern"
        );
    }
}

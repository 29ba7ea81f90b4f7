//! The non-Rust files of a package that hold config: `.env` files and
//! TOML/YAML/JSON config files in the package directory (and the workspace
//! root), with a small `.env` parser that keeps byte ranges.

use std::ops::Range;
use std::path::{Path, PathBuf};

/// `.env.<name>` files that document the variables without real values.
pub const TEMPLATE_SUFFIXES: &[&str] = &["example", "sample", "template", "dist", "tmpl", "defaults.example"];

/// Directories next to the manifest where services keep their config files.
const CONFIG_DIRS: &[&str] = &["", "config", "configs", "conf", "settings", ".cargo"];

/// Config file extensions that are scanned.
const CONFIG_EXTENSIONS: &[&str] = &["toml", "yaml", "yml", "json"];

/// Files that are not config: lockfiles and tool metadata.
const SKIPPED_FILES: &[&str] = &[
    "Cargo.lock",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "composer.lock",
    ".cargo-checksum.json",
    ".cargo_vcs_info.json",
    "tsconfig.json",
    "renovate.json",
    "rust-toolchain.toml",
    "rustfmt.toml",
    ".rustfmt.toml",
    "clippy.toml",
    ".clippy.toml",
];

/// Larger files are data, not config.
const MAX_CONFIG_BYTES: u64 = 256 * 1024;

/// Whether a file name is a dotenv file: `.env`, `.env.local`, `.envrc`.
pub fn is_env_file(name: &str) -> bool {
    name == ".env" || name == ".envrc" || name.starts_with(".env.")
}

/// `.env.example`, `.env.sample`, `.env.template`: the documented form.
pub fn is_env_template(name: &str) -> bool {
    name.strip_prefix(".env.").is_some_and(|rest| {
        TEMPLATE_SUFFIXES
            .iter()
            .any(|s| rest == *s || rest.ends_with(&format!(".{s}")))
    })
}

/// Dotenv files directly in `dir`, sorted.
pub fn env_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| e.file_name().to_str().is_some_and(is_env_file))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

/// TOML/YAML/JSON files in `dir` and its usual config subdirectories.
pub fn config_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in CONFIG_DIRS {
        let d = if sub.is_empty() {
            dir.to_path_buf()
        } else {
            dir.join(sub)
        };
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if !CONFIG_EXTENSIONS.contains(&ext) || SKIPPED_FILES.contains(&name) {
                continue;
            }
            if entry
                .metadata()
                .is_ok_and(|m| m.is_file() && m.len() <= MAX_CONFIG_BYTES)
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The directories whose dotenv files concern a package: its own, and the
/// workspace root's when that is another directory.
pub fn env_dirs(package_dir: &Path, workspace_root: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![package_dir.to_path_buf()];
    if workspace_root != package_dir {
        dirs.push(workspace_root.to_path_buf());
    }
    dirs
}

/// One `KEY=value` line of a dotenv file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvEntry {
    pub key: String,
    pub key_range: Range<usize>,
    /// The value without quotes; escapes are kept as written.
    pub value: String,
    /// Where the value is in the text (inside the quotes).
    pub value_range: Range<usize>,
}

/// The comment lines right above `entry`'s line, nearest last.
fn comment_block<'t>(text: &'t str, entry: &EnvEntry) -> Vec<&'t str> {
    let line_start = text[..entry.key_range.start].rfind('\n').map_or(0, |i| i + 1);
    let mut block: Vec<&str> = text[..line_start]
        .lines()
        .rev()
        .take_while(|l| l.trim_start().starts_with('#'))
        .collect();
    block.reverse();
    block
}

/// Whether the comment right above `entry` gives its value as the default
/// (`# Default value: m1cr0b1n` over `export MICROBIN_ADMIN_PASSWORD=m1cr0b1n`):
/// the file documents what the code does when the variable is unset.
pub fn documented_default(text: &str, entry: &EnvEntry) -> bool {
    !entry.value.is_empty()
        && comment_block(text, entry)
            .iter()
            .any(|l| l.to_ascii_lowercase().contains("default") && l.contains(entry.value.as_str()))
}

/// Whether a dotenv file is a documented template rather than one deploy's
/// config: every set variable has its own comment, some are offered
/// commented out (`# export NAME=`), and every credential it sets is the
/// documented default. Such a file is the project's published sample, as
/// `.env.example` is.
pub fn is_documented_template(text: &str, entries: &[EnvEntry]) -> bool {
    let offered = text.lines().any(|l| {
        let l = l.trim_start();
        l.strip_prefix('#').is_some_and(|rest| {
            let rest = rest.trim_start();
            let rest = rest.strip_prefix("export ").unwrap_or(rest);
            rest.split_once('=').is_some_and(|(k, _)| {
                !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
        })
    });
    entries.len() >= 3
        && offered
        && entries.iter().all(|e| !comment_block(text, e).is_empty())
        && entries
            .iter()
            .filter(|e| crate::rules::config::secret_values::secret_name(&e.key).is_some())
            .all(|e| documented_default(text, e))
}

/// Parses dotenv text: `KEY=value`, `export KEY=value`, `'…'` and `"…"`
/// quoting (double quotes may span lines), ` #` comments after unquoted
/// values.
pub fn parse_env(text: &str) -> Vec<EnvEntry> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let line = &text[pos..line_end];
        let indent = line.len() - line.trim_start().len();
        let mut body = &line[indent..];
        let mut start = pos + indent;
        if let Some(rest) = body.strip_prefix("export ") {
            let skipped = body.len() - rest.trim_start().len();
            start += skipped;
            body = &body[skipped..];
        }
        let next = line_end + 1;
        let Some(eq) = body.find('=') else {
            pos = next;
            continue;
        };
        let key = body[..eq].trim_end();
        if body.starts_with('#')
            || key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
        {
            pos = next;
            continue;
        }
        let key_range = start..start + key.len();
        let after = &body[eq + 1..];
        let lead = after.len() - after.trim_start_matches([' ', '\t']).len();
        let value_start = start + eq + 1 + lead;
        let raw = &text[value_start..];
        let (value_range, resume) = match raw.chars().next() {
            Some(q @ ('"' | '\'')) => {
                // A quoted value; double quotes may span lines.
                let inner = value_start + 1;
                let close = if q == '"' {
                    find_closing_quote(&text[inner..]).map(|i| inner + i)
                } else {
                    text[inner..line_end].find('\'').map(|i| inner + i)
                };
                match close {
                    Some(c) => {
                        let resume = text[c..].find('\n').map_or(text.len(), |i| c + i + 1);
                        (inner..c, resume)
                    }
                    None => (inner..line_end, next),
                }
            }
            _ => {
                let line_rest = &text[value_start..line_end];
                let mut end = line_rest.find(" #").unwrap_or(line_rest.len());
                end = line_rest[..end].trim_end().len();
                (value_start..value_start + end, next)
            }
        };
        out.push(EnvEntry {
            key: key.to_string(),
            key_range,
            value: text[value_range.clone()].trim_end_matches('\r').to_string(),
            value_range,
        });
        pos = resume;
    }
    out
}

fn find_closing_quote(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_names() {
        assert!(is_env_file(".env"));
        assert!(is_env_file(".env.production"));
        assert!(is_env_file(".envrc"));
        assert!(!is_env_file("env.rs"));
        assert!(!is_env_file(".environment"));
        assert!(is_env_template(".env.example"));
        assert!(is_env_template(".env.local.example"));
        assert!(is_env_template(".env.sample"));
        assert!(is_env_template(".env.template"));
        assert!(!is_env_template(".env.local"));
        assert!(!is_env_template(".env"));
    }

    #[test]
    fn parses_dotenv_with_ranges() {
        let text = "# comment\nPORT=8080\nexport API_TOKEN = \"abc def\"\nEMPTY=\nNAME='x y' # note\nURL=http://h # c\nKEY=\"-----BEGIN\nMIIE\n-----END\"\nLAST=1";
        let entries = parse_env(text);
        let pairs: Vec<(&str, &str)> = entries.iter().map(|e| (e.key.as_str(), e.value.as_str())).collect();
        assert_eq!(
            pairs,
            [
                ("PORT", "8080"),
                ("API_TOKEN", "abc def"),
                ("EMPTY", ""),
                ("NAME", "x y"),
                ("URL", "http://h"),
                ("KEY", "-----BEGIN\nMIIE\n-----END"),
                ("LAST", "1")
            ]
        );
        for e in &entries {
            assert_eq!(&text[e.key_range.clone()], e.key);
            assert_eq!(&text[e.value_range.clone()], e.value);
        }
    }
}

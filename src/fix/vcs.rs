//! The guard `cargo fix` has, in its words: no fix without version
//! control, and none over uncommitted work in the files it would touch.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What the user allowed (`--allow-no-vcs`, `--allow-dirty`,
/// `--allow-staged`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Allow {
    pub no_vcs: bool,
    pub dirty: bool,
    pub staged: bool,
}

/// The top of the git work tree holding `dir`, if any.
pub fn work_tree(dir: &Path) -> Option<PathBuf> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let top = String::from_utf8(out.stdout).ok()?;
    Some(PathBuf::from(top.trim_end_matches(['\n', '\r'])))
}

/// Refuses to go on outside version control, unless allowed.
pub fn require_vcs(dir: &Path, allow: Allow) -> Result<(), String> {
    if allow.no_vcs || work_tree(dir).is_some() {
        return Ok(());
    }
    Err(
        "no VCS found for this package and `cargo twelve fix` can potentially perform destructive changes; \
         if you'd like to suppress this error pass `--allow-no-vcs`"
            .into(),
    )
}

/// Refuses to change `files` when git shows uncommitted (dirty or
/// untracked) or staged changes in them, unless allowed.
pub fn check_files(dir: &Path, files: &[PathBuf], allow: Allow) -> Result<(), String> {
    if (allow.dirty && allow.staged) || files.is_empty() {
        return Ok(());
    }
    let Some(top) = work_tree(dir) else {
        // Outside git only with `--allow-no-vcs`: nothing to compare with.
        return Ok(());
    };
    let out = Command::new("git")
        .arg("-C")
        .arg(&top)
        .args([
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--ignored=no",
            "--",
        ])
        .args(files)
        .output()
        .map_err(|e| format!("could not run `git status`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`git status` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let (dirty, staged) = parse_status(&String::from_utf8_lossy(&out.stdout), allow);
    if dirty.is_empty() && staged.is_empty() {
        return Ok(());
    }
    let mut list = String::new();
    for f in &dirty {
        list.push_str(&format!("  * {f} (dirty)\n"));
    }
    for f in &staged {
        list.push_str(&format!("  * {f} (staged)\n"));
    }
    Err(format!(
        "the working directory of this package has uncommitted changes, and `cargo twelve fix` can potentially \
         perform destructive changes; if you'd like to suppress this error pass `--allow-dirty`, \
         `--allow-staged`, or commit the changes to these files:\n\n{list}"
    ))
}

/// The dirty and the staged paths of `git status --porcelain=v1 -z`, as
/// cargo sorts them: a change only in the index is staged, anything else
/// (work tree changes, untracked files) dirty.
fn parse_status(out: &str, allow: Allow) -> (Vec<String>, Vec<String>) {
    let mut dirty = Vec::new();
    let mut staged = Vec::new();
    let mut entries = out.split('\0').filter(|e| !e.is_empty());
    while let Some(entry) = entries.next() {
        let (Some(x), Some(y), Some(path)) = (entry.chars().next(), entry.chars().nth(1), entry.get(3..)) else {
            continue;
        };
        if x == 'R' || x == 'C' {
            // The source path of a rename follows.
            entries.next();
        }
        if y == ' ' && "MADRCT".contains(x) {
            if !allow.staged {
                staged.push(path.to_string());
            }
        } else if !allow.dirty {
            dirty.push(path.to_string());
        }
    }
    (dirty, staged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_sort_into_dirty_and_staged() {
        let out = " M src/a.rs\0M  src/b.rs\0MM src/c.rs\0?? src/d.rs\0R  src/e.rs\0src/old.rs\0A  src/f.rs\0";
        let (dirty, staged) = parse_status(out, Allow::default());
        assert_eq!(dirty, ["src/a.rs", "src/c.rs", "src/d.rs"]);
        assert_eq!(staged, ["src/b.rs", "src/e.rs", "src/f.rs"]);
        let (dirty, staged) = parse_status(
            out,
            Allow {
                staged: true,
                ..Allow::default()
            },
        );
        assert_eq!(dirty.len(), 3);
        assert!(staged.is_empty());
    }
}

//! What the deployed image declares: the `Dockerfile`s and Heroku `Aptfile`
//! of the workspace. A tool the image installs is a declared dependency,
//! and an init in the entrypoint forwards signals.

use std::path::{Path, PathBuf};

/// The image files of a workspace: `Dockerfile*` and `Aptfile` at the root
/// and under `docker/` or `deploy/`, and at the package's own directory.
pub(crate) fn image_files(root: &Path, package_dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [
        root.to_path_buf(),
        root.join("docker"),
        root.join("deploy"),
        package_dir.to_path_buf(),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name().is_some_and(|n| {
                    let n = n.to_string_lossy();
                    n.starts_with("Dockerfile") || n.starts_with("Containerfile") || n == "Aptfile"
                })
            })
            .filter(|p| !files.contains(p))
            .collect();
        found.sort();
        files.extend(found);
    }
    files
}

fn read(path: &Path) -> Option<String> {
    crate::source::SourceFile::read(path).ok().map(|f| f.text.to_string())
}

/// A Dockerfile's instructions, continuation lines joined.
fn instructions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') && current.is_empty() {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                out.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Package managers' install commands: the words before the packages.
const INSTALLS: &[&[&str]] = &[
    &["apt-get", "install"],
    &["apt", "install"],
    &["apk", "add"],
    &["dnf", "install"],
    &["microdnf", "install"],
    &["yum", "install"],
    &["zypper", "install"],
    &["pacman", "-S"],
];

/// The tools a distribution package puts on `PATH`, where its name is not
/// the tool's.
const PACKAGE_TOOLS: &[(&str, &[&str])] = &[
    (
        "imagemagick",
        &["convert", "magick", "mogrify", "identify", "composite"],
    ),
    ("graphicsmagick", &["gm"]),
    ("postgresql-client", &["psql", "pg_dump", "pg_restore", "pg_dumpall"]),
    ("default-mysql-client", &["mysql", "mysqldump"]),
    ("mariadb-client", &["mysql", "mysqldump", "mariadb"]),
    ("openssh-client", &["ssh", "scp", "sftp", "ssh-keygen"]),
    ("poppler-utils", &["pdftotext", "pdftoppm", "pdfinfo"]),
    ("libreoffice", &["soffice", "libreoffice"]),
    ("chromium", &["chromium", "chromium-browser"]),
    ("wkhtmltopdf", &["wkhtmltopdf", "wkhtmltoimage"]),
    ("ghostscript", &["gs"]),
    ("xz-utils", &["xz", "unxz"]),
    ("bzip2", &["bzip2", "bunzip2"]),
    ("unzip", &["unzip"]),
    ("zip", &["zip"]),
    ("git", &["git"]),
];

/// The instructions of the image that runs: the last stage, and the stages
/// it is built `FROM` (a `rust` build stage's tools are not in it).
fn runtime_stage(instructions: &[String]) -> Vec<&str> {
    // (name, base image, instructions) of each stage.
    let mut stages: Vec<(Option<String>, String, Vec<&str>)> = Vec::new();
    for ins in instructions {
        let words: Vec<&str> = ins.split_whitespace().collect();
        if words.first().is_some_and(|w| w.eq_ignore_ascii_case("FROM")) {
            let args: Vec<&str> = words[1..].iter().copied().filter(|w| !w.starts_with("--")).collect();
            let base = args.first().map(|b| b.to_string()).unwrap_or_default();
            let name = match args.as_slice() {
                [_, as_, name, ..] if as_.eq_ignore_ascii_case("AS") => Some(name.to_string()),
                _ => None,
            };
            stages.push((name, base, Vec::new()));
        } else if let Some(stage) = stages.last_mut() {
            stage.2.push(ins);
        }
    }
    let mut out = Vec::new();
    let mut at = stages.len().checked_sub(1);
    let mut hops = 0;
    while let Some(i) = at {
        out.extend(stages[i].2.iter().copied());
        let base = &stages[i].1;
        at = stages[..i].iter().rposition(|s| s.0.as_deref() == Some(base.as_str()));
        hops += 1;
        if hops > stages.len() {
            break;
        }
    }
    out
}

/// The distribution packages a Dockerfile `RUN` of the runtime image or an
/// `Aptfile` installs.
fn installed_packages(path: &Path, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    if path.file_name().is_some_and(|n| n == "Aptfile") {
        out.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(":repo:"))
                .map(str::to_string),
        );
        return out;
    }
    for ins in runtime_stage(&instructions(text)) {
        let Some(run) = ins.strip_prefix("RUN ").or_else(|| ins.strip_prefix("run ")) else {
            continue;
        };
        for command in run.split(['&', ';', '|']) {
            let words: Vec<&str> = command.split_whitespace().collect();
            for install in INSTALLS {
                let Some(at) = words.windows(install.len()).position(|w| w == *install) else {
                    continue;
                };
                out.extend(
                    words[at + install.len()..]
                        .iter()
                        .filter(|w| !w.starts_with('-') && !w.starts_with('$'))
                        .map(|w| w.split('=').next().unwrap_or(w).to_string()),
                );
            }
        }
    }
    out
}

/// Whether the image declares `tool`: a package of that name, or one that
/// provides it (`imagemagick` for `convert`, `postgresql15-client` for
/// `pg_dump`).
pub(crate) fn installs(root: &Path, package_dir: &Path, tool: &str) -> bool {
    image_files(root, package_dir).iter().any(|f| {
        let Some(text) = read(f) else { return false };
        installed_packages(f, &text).iter().any(|p| {
            p == tool
                || PACKAGE_TOOLS.iter().any(|(name, tools)| {
                    // `postgresql15-client`, `postgresql-client-16`.
                    let family = p
                        .split(|c: char| c.is_ascii_digit())
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join("")
                        .trim_end_matches('-')
                        .to_string();
                    (p == name || family == *name) && tools.contains(&tool)
                })
        })
    })
}

/// Whether the image runs the binary under an init that forwards signals
/// (`tini`, `dumb-init`, `catatonit`): a SIGTERM without a handler still
/// ends the process.
pub(crate) fn runs_an_init(root: &Path) -> bool {
    image_files(root, root).iter().any(|f| {
        read(f).is_some_and(|text| {
            instructions(&text).iter().any(|l| {
                (l.starts_with("ENTRYPOINT") || l.starts_with("CMD"))
                    && ["tini", "dumb-init", "catatonit"].iter().any(|i| l.contains(i))
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::create_dir_all(dir.join(name).parent().unwrap()).unwrap();
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn tools_an_image_installs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "docker/Dockerfile.release",
            "FROM rust:1 AS build\nRUN cargo build --release\n\nFROM debian:bookworm-slim\n\
             RUN apt-get update \\\n && apt-get install -y --no-install-recommends \\\n   ca-certificates ffmpeg=7:5.1 imagemagick \\\n && rm -rf /var/lib/apt/lists/*\n\
             RUN apk add --no-cache postgresql15-client\n",
        );
        write(
            root,
            "Dockerfile",
            "FROM rust:1 AS build\nRUN apt-get install -y protobuf-compiler curl\n\
             FROM debian:bookworm AS base\nRUN apt-get install -y ca-certificates wget\n\
             FROM base\nRUN apt-get install -y -q unzip\n",
        );
        write(root, "Aptfile", "# Heroku's apt buildpack\ngit\n");
        for tool in ["ffmpeg", "convert", "pg_dump", "git", "wget", "unzip"] {
            assert!(installs(root, root, tool), "{tool}");
        }
        for tool in ["curl", "protoc", "protobuf-compiler", "rm", "cargo", "psql2"] {
            assert!(!installs(root, root, tool), "{tool}");
        }
        assert!(!runs_an_init(root));
        write(
            root,
            "Dockerfile",
            "FROM alpine\nENTRYPOINT [\"/sbin/tini\", \"--\"]\nCMD [\"/app\"]\n",
        );
        assert!(runs_an_init(root));
    }
}

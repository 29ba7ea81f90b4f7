//! What no input may do to a run: leak a secret into any output, hang on a
//! file that never ends, or read what lies outside the workspace. These run
//! the real binary.

mod common;

use std::path::Path;
use std::time::Duration;

use common::twelve;

/// Writes `files` (relative path, text) under `dir`.
fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// stdout and stderr of `cargo twelve ARGS` in `dir`, with `env` set.
fn output(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = twelve(dir, args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.timeout(Duration::from_secs(120)).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// A GitHub token the secret detector recognises, distinct per `n`.
fn token(n: u8) -> String {
    let tail = "Zq8vT2pL9xW4nR7kAbC9xYz1Lm3Nq5Rs7Tu";
    format!("ghp_{tail}{}", (b'a' + n) as char)
}

const CHECK_FORMATS: &[&str] = &[
    "human",
    "short",
    "json",
    "json-diagnostic-short",
    "json-render-diagnostics",
    "sarif",
    "github",
    "gitlab",
];

/// Every output of `check` (each format, with and without
/// `-A twelve::hardcoded_secret`), `report` (each format) and `env` (each
/// format) in `dir`: what a CI log could show.
fn every_output(dir: &Path, env: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut outputs = Vec::new();
    for format in CHECK_FORMATS {
        for allow in [false, true] {
            let mut args = vec!["--message-format", format];
            if allow {
                args.extend(["-A", "twelve::hardcoded_secret"]);
            }
            let (_, text) = output(dir, &args, env);
            outputs.push((format!("check {}", args.join(" ")), text));
        }
    }
    for format in ["human", "markdown", "json"] {
        let (_, text) = output(dir, &["report", "--format", format], env);
        outputs.push((format!("report {format}"), text));
    }
    for format in ["table", "json", "dotenv"] {
        let (_, text) = output(dir, &["env", "--format", format], env);
        outputs.push((format!("env {format}"), text));
    }
    outputs
}

fn assert_no_secret(outputs: &[(String, String)], secrets: &[(&str, String)]) {
    let mut leaks = Vec::new();
    let mut texts = Vec::new();
    for (run, text) in outputs {
        for (place, secret) in secrets {
            if text.contains(secret.as_str()) {
                leaks.push(format!("{place} in `{run}`"));
                texts.push(format!("{place} in `{run}`:\n{text}"));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}\n\n{}",
        leaks.len(),
        leaks.join("\n"),
        texts.join("\n---\n")
    );
}

/// No full secret value appears in any output format of `check`, `report`
/// or `env`, wherever the secret sits: on a line that does not parse, in
/// another rule's snippet while `hardcoded_secret` is allowed (`-A`, a
/// file-level `twelve:allow`) or on a `gitleaks:allow` line, on a
/// `Cargo.toml` line that does not parse, in a configuration value an
/// error echoes, and in the process environment that a
/// `#[path = "/proc/self/environ"]` module would show.
#[test]
fn no_output_shows_a_secret() {
    let places = [
        "parse_error line",
        "system_command snippet, file-level twelve:allow",
        "gitleaks:allow line",
        "process environment",
        "Cargo.toml syntax error",
        "configuration error",
        "system_command snippet, -A",
    ];
    let secrets: Vec<(&str, String)> = places.iter().enumerate().map(|(i, p)| (*p, token(i as u8))).collect();
    let manifest = "[package]\nname = \"leaky\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n";

    // The source places, one workspace.
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("Cargo.toml", manifest),
            ("Cargo.lock", "version = 4\n"),
            (
                "src/main.rs",
                "mod broken;\nmod quiet;\nmod marked;\nmod loud;\n#[path = \"/proc/self/environ\"]\nmod environ;\n\nfn main() {\n    let l = std::net::TcpListener::bind(\"0.0.0.0:8080\").unwrap();\n    loop {\n        l.accept().unwrap();\n        quiet::f();\n        marked::f();\n        loud::f();\n    }\n}\n",
            ),
            (
                "src/broken.rs",
                &format!("pub fn f() {{\n    let t = \"{}\" ) ];\n}}\n", secrets[0].1),
            ),
            (
                "src/quiet.rs",
                &format!(
                    "//! twelve:allow(hardcoded_secret)\npub fn f() {{\n    std::process::Command::new(\"curl\").arg(\"Authorization: Bearer {}\").spawn().unwrap();\n}}\n",
                    secrets[1].1
                ),
            ),
            (
                "src/marked.rs",
                &format!(
                    "pub fn f() {{\n    std::process::Command::new(\"curl\").arg(\"{}\").spawn().unwrap(); // gitleaks:allow\n}}\n",
                    secrets[2].1
                ),
            ),
            (
                "src/loud.rs",
                &format!(
                    "pub fn f() {{\n    std::process::Command::new(\"curl\").arg(\"Authorization: Bearer {}\").spawn().unwrap();\n}}\n",
                    secrets[6].1
                ),
            ),
        ],
    );
    let env_secret = secrets[3].1.clone();
    let mut outputs = every_output(dir.path(), &[("TWELVE_CI_TOKEN", &env_secret)]);
    // The run went on: other rules reported in the files around the secrets.
    let (_, human) = output(dir.path(), &["--message-format", "short"], &[]);
    assert!(human.contains("parse_error"), "{human}");
    assert!(human.contains("system_command"), "{human}");
    assert!(human.contains("module_outside_workspace"), "{human}");

    // A manifest that does not parse, on a line with a secret.
    let bad_manifest = tempfile::tempdir().unwrap();
    write_files(
        bad_manifest.path(),
        &[
            (
                "Cargo.toml",
                &format!(
                    "[package]\nname = \"leaky\"\nversion = \"0.1.0\"\nedition = \"2021\"\ntoken = \"{}\" = 1\n",
                    secrets[4].1
                ),
            ),
            ("src/main.rs", "fn main() {}\n"),
        ],
    );
    outputs.extend(every_output(bad_manifest.path(), &[]));

    // A configuration value that an error echoes.
    let bad_config = tempfile::tempdir().unwrap();
    write_files(
        bad_config.path(),
        &[
            (
                "Cargo.toml",
                &format!(
                    "{manifest}\n[package.metadata.twelve.lints]\nhardcoded_port = \"{}\"\n\n[package.metadata.twelve]\nscope = \"{}\"\n",
                    secrets[5].1, secrets[5].1
                ),
            ),
            ("src/main.rs", "fn main() {}\n"),
        ],
    );
    let config = every_output(bad_config.path(), &[]);
    assert!(
        config.iter().any(|(_, text)| text.contains("hardcoded_port")),
        "the configuration error is reported: {config:?}"
    );
    outputs.extend(config);
    assert_no_secret(&outputs, &secrets);

    // `--show-secrets` is the way to see one.
    let (_, shown) = output(dir.path(), &["--message-format", "short", "--show-secrets"], &[]);
    assert!(shown.contains(&secrets[6].1), "{shown}");
}

/// A crate root that is a FIFO, a `[[bin]]` whose path is `/dev/stdin`,
/// a root symlinked to `/dev/zero`, a 3 GB module (sparse), and `#[path]`
/// pointing at a directory or a device: each is reported by name, nothing
/// hangs or is read, and the other targets and files are checked.
#[test]
fn unreadable_roots_and_modules_are_reported_not_read() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"probe\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                 [[bin]]\nname = \"fifo\"\npath = \"src/fifo.rs\"\n\n\
                 [[bin]]\nname = \"stdin\"\npath = \"/dev/stdin\"\n\n\
                 [[bin]]\nname = \"zero\"\npath = \"src/zero.rs\"\n\n\
                 [[bin]]\nname = \"app\"\npath = \"src/main.rs\"\n\n[workspace]\n",
            ),
            ("Cargo.lock", "version = 4\n"),
            (
                "src/main.rs",
                "mod huge;\n#[path = \"dir\"]\nmod dir;\n#[path = \"null.rs\"]\nmod null;\n\nfn main() {\n    std::fs::write(\"state.json\", b\"{}\").unwrap();\n    loop {}\n}\n",
            ),
        ],
    );
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("dir")).unwrap();
    assert!(
        std::process::Command::new("mkfifo")
            .arg(src.join("fifo.rs"))
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink("/dev/zero", src.join("zero.rs")).unwrap();
    // A device inside the tree: a symlink to one is outside the workspace,
    // so a FIFO stands for it here.
    assert!(
        std::process::Command::new("mkfifo")
            .arg(src.join("null.rs"))
            .status()
            .unwrap()
            .success()
    );
    let huge = std::fs::File::create(src.join("huge.rs")).unwrap();
    huge.set_len(3 << 30).unwrap();
    drop(huge);

    let started = std::time::Instant::now();
    let out = twelve(dir.path(), &["--bins", "--message-format", "short"])
        .write_stdin("fn main() {}\n")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(60), "the run hung");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = |needle: &str| {
        stderr
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line("fifo.rs").contains("twelve::unreadable_file"), "{stderr}");
    assert!(line("fifo.rs").contains("not a regular file"), "{stderr}");
    assert!(
        line("/dev/stdin").contains("twelve::module_outside_workspace"),
        "{stderr}"
    );
    assert!(line("zero").contains("twelve::module_outside_workspace"), "{stderr}");
    assert!(line("huge.rs").contains("twelve::file_too_large"), "{stderr}");
    assert!(line("/src/dir`").contains("twelve::unreadable_file"), "{stderr}");
    assert!(line("null.rs").contains("twelve::unreadable_file"), "{stderr}");
    assert!(stderr.contains("filesystem_write"), "the run goes on: {stderr}");

    // The cap is configurable.
    write_files(dir.path(), &[("src/big.rs", &"// padding\n".repeat(2000))]);
    std::fs::write(
        src.join("main.rs"),
        "mod big;\n\nfn main() {\n    std::fs::write(\"state.json\", b\"{}\").unwrap();\n    loop {}\n}\n",
    )
    .unwrap();
    let (_, text) = output(
        dir.path(),
        &["--bin", "app", "--message-format", "short", "--max-file-size", "16KiB"],
        &[],
    );
    assert!(line_of(&text, "big.rs").contains("twelve::file_too_large"), "{text}");
    assert!(line_of(&text, "big.rs").contains("larger than 16384 bytes"), "{text}");
    let (_, text) = output(dir.path(), &["--bin", "app", "--message-format", "short"], &[]);
    assert!(!text.contains("file_too_large"), "{text}");
}

fn line_of(text: &str, needle: &str) -> String {
    text.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_default()
        .to_string()
}

/// Generics, blocks and parentheses 3,000 deep (what rustc compiles) are
/// checked by the binary in a single-file crate and in a crate whose files
/// run on the thread pool; a file past the nesting limit is
/// `too_deeply_nested`, named, and the other files still report.
#[test]
fn deep_nesting_does_not_crash_the_binary() {
    let nest = |open: &str, mid: &str, close: &str, n: usize| format!("{}{mid}{}", open.repeat(n), close.repeat(n));
    let generics = format!("pub type T = {};\n", nest("Vec<", "u8", ">", 3000));
    let blocks = format!("pub fn b() {{ let _ = {}; }}\n", nest("{ ", "1", " }", 3000));
    let parens = format!("pub fn p() {{ let _ = {}; }}\n", nest("(", "1", ")", 3000));
    let manifest = "[package]\nname = \"deep\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n";
    let single = tempfile::tempdir().unwrap();
    write_files(
        single.path(),
        &[
            ("Cargo.toml", manifest),
            ("src/lib.rs", &format!("{generics}{blocks}{parens}")),
        ],
    );
    let (code, text) = output(single.path(), &["--message-format", "short"], &[]);
    assert_eq!(code, Some(0), "{text}");

    let multi = tempfile::tempdir().unwrap();
    let too_deep = format!("pub fn d() {{ let _ = {}x; }}\n", "!".repeat(100_010));
    write_files(
        multi.path(),
        &[
            ("Cargo.toml", manifest),
            ("Cargo.lock", "version = 4\n"),
            (
                "src/main.rs",
                "mod g;\nmod b;\nmod p;\nmod d;\n\nfn main() {\n    std::fs::write(\"state.json\", b\"{}\").unwrap();\n    loop {}\n}\n",
            ),
            ("src/g.rs", &generics),
            ("src/b.rs", &blocks),
            ("src/p.rs", &parens),
            ("src/d.rs", &too_deep),
        ],
    );
    let (code, text) = output(multi.path(), &["--message-format", "short"], &[]);
    assert_eq!(code, Some(1), "{text}");
    let deep = line_of(&text, "too_deeply_nested");
    assert!(deep.starts_with("src/d.rs:1:"), "{text}");
    assert!(deep.contains("src/d.rs` is nested too deeply to check"), "{text}");
    assert!(text.contains("filesystem_write"), "the run goes on: {text}");
    assert_eq!(text.matches("error:").count(), 2, "{text}");
}

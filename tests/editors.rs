//! Where people read the findings: rust-analyzer's exact command lines,
//! package ID specs in every cargo form, `--file` for editors, and the
//! GitHub and GitLab formats.
//!
//! `fixtures/editor` is a workspace whose member `svc-dir` is the package
//! `service` (its id is `path+file:///…/svc-dir#service@0.1.0`) and whose
//! member `worker` has its directory's name (`…/worker#0.2.0`).

mod common;

use cargo_metadata::Message;
use common::*;

/// The compiler messages of a JSON run, checking that every line is a
/// cargo message and the stream ends with `build-finished`.
fn compiler_messages(stdout: &str) -> Vec<cargo_metadata::CompilerMessage> {
    let messages = cargo_messages(stdout);
    let (last, rest) = messages.split_last().expect("at least build-finished");
    assert!(matches!(last, Message::BuildFinished(_)), "{last:?}");
    rest.iter()
        .map(|m| match m {
            Message::CompilerMessage(m) => m.clone(),
            other => panic!("not a compiler message: {other:?}"),
        })
        .collect()
}

fn packages_of(messages: &[cargo_metadata::CompilerMessage]) -> Vec<String> {
    let mut ids: Vec<String> = messages.iter().map(|m| m.package_id.repr.clone()).collect();
    ids.dedup();
    ids
}

#[test]
fn rust_analyzer_workspace_check() {
    let dir = fixture("editor");
    let manifest = dir.join("Cargo.toml");
    // `rust-analyzer.check.command = "twelve"`, whole workspace.
    let r = run(
        &dir,
        &[
            "--workspace",
            "--message-format=json",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "--keep-going",
            "--all-targets",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stderr, "", "rust-analyzer reads stderr too");
    let messages = compiler_messages(&r.stdout);
    assert_eq!(
        packages_of(&messages),
        [package_id(&dir, "service"), package_id(&dir, "worker")]
    );
}

#[test]
fn rust_analyzer_package_check_of_a_renamed_directory() {
    let dir = fixture("editor");
    let manifest = dir.join("Cargo.toml");
    let id = package_id(&dir, "service");
    assert!(id.ends_with("/svc-dir#service@0.1.0"), "{id}");
    // On save in `svc-dir/src/main.rs`: that package and that binary.
    for format in [
        "--message-format=json",
        "--message-format=json-diagnostic-rendered-ansi",
    ] {
        let r = run(
            &dir,
            &[
                "-p",
                &id,
                "--bin",
                "service",
                format,
                "--manifest-path",
                manifest.to_str().unwrap(),
                "--keep-going",
                "--all-targets",
            ],
        );
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert_eq!(r.stderr, "");
        let messages = compiler_messages(&r.stdout);
        assert_eq!(packages_of(&messages), std::slice::from_ref(&id));
        let codes: Vec<_> = messages
            .iter()
            .map(|m| m.message.code.as_ref().unwrap().code.as_str())
            .collect();
        assert_eq!(
            codes,
            [
                "twelve::missing_lockfile",
                "twelve::missing_signal_handler",
                "twelve::filesystem_write",
                "twelve::filesystem_write"
            ]
        );
    }
    // Without `--all-targets`, and the binary of the same-named directory.
    let worker = package_id(&dir, "worker");
    let r = run(
        &dir,
        &[
            "-p",
            &worker,
            "--lib",
            "--message-format=json",
            "--manifest-path",
            manifest.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(packages_of(&compiler_messages(&r.stdout)), [worker]);
}

#[test]
fn every_package_id_spec_form() {
    let dir = fixture("editor");
    let service = package_id(&dir, "service");
    let worker = package_id(&dir, "worker");
    let url = service.split('#').next().unwrap().to_string();
    let bare = url.strip_prefix("path+").unwrap().to_string();
    let worker_url = worker.split('#').next().unwrap().to_string();
    let cases: Vec<(String, &str)> = vec![
        ("service".into(), "service"),
        ("service@0.1.0".into(), "service"),
        ("service@0.1".into(), "service"),
        ("service:0.1.0".into(), "service"),
        (service.clone(), "service"),
        (format!("{url}#service"), "service"),
        (format!("{bare}#service@0.1.0"), "service"),
        (worker.clone(), "worker"),
        (format!("{worker_url}#worker@0.2.0"), "worker"),
        (worker_url.clone(), "worker"),
        ("work*".into(), "worker"),
    ];
    for (spec, name) in cases {
        let r = run(&dir, &["-p", &spec, "--message-format=json"]);
        assert_eq!(r.code, 1, "{spec}: {}", r.stderr);
        let id = package_id(&dir, name);
        assert_eq!(packages_of(&compiler_messages(&r.stdout)), [id], "{spec}");
    }

    // Registry and git specs name dependencies: accepted, and not checked.
    for spec in [
        "registry+https://github.com/rust-lang/crates.io-index#serde@1.0.0",
        "registry+https://github.com/rust-lang/crates.io-index#serde",
        "git+https://github.com/acme/lapin?branch=main#lapin",
        "git+https://github.com/acme/lapin#lapin@2.0.0",
    ] {
        let r = run(&dir, &["-p", spec, "--message-format=json"]);
        assert_eq!(r.code, 0, "{spec}: {}", r.stderr);
        assert!(compiler_messages(&r.stdout).is_empty(), "{spec}");
        assert!(r.stderr.contains("not a workspace member"), "{spec}: {}", r.stderr);
    }

    // What matches nothing, or is no spec at all, is cargo's error.
    for (spec, error) in [
        (
            "path+file:///elsewhere/svc-dir#service@0.1.0",
            "did not match any packages",
        ),
        ("service@0.2", "did not match any packages"),
        (
            "registry+https://github.com/rust-lang/crates.io-index#tokio",
            "did not match any packages",
        ),
        ("nope*", "package pattern(s) `nope*` not found in workspace"),
        ("service@x", "invalid package ID specification: `service@x`"),
        ("svn+https://x.io/a#a", "unsupported source protocol: svn"),
    ] {
        let r = run(&dir, &["-p", spec]);
        assert_eq!(r.code, 2, "{spec}");
        assert!(r.stderr.contains(error), "{spec}: {}", r.stderr);
    }
}

#[test]
fn file_checks_its_package_for_editors() {
    let dir = fixture("editor");
    // `check.overrideCommand` with `{saved_file}`: an absolute path.
    let store = dir.join("svc-dir/src/store.rs");
    let r = run(
        &dir,
        &["--file", store.to_str().unwrap(), "--message-format=short", "-q"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    insta::assert_snapshot!("file_store", r.stderr);
    // A file of the other package, relative, from a member's directory.
    let r = run(
        &dir.join("svc-dir"),
        &["--file", "../worker/src/lib.rs", "--message-format=short", "-q"],
    );
    insta::assert_snapshot!("file_worker", normalize(&r.stderr, &dir));
    // A file without findings of its own still gets the package's.
    let main = dir.join("svc-dir/src/lib.rs");
    let r = run(&dir, &["--file", main.to_str().unwrap(), "--message-format=json"]);
    let codes: Vec<String> = compiler_messages(&r.stdout)
        .iter()
        .map(|m| m.message.code.as_ref().unwrap().code.clone())
        .collect();
    assert_eq!(codes, ["twelve::missing_lockfile", "twelve::missing_signal_handler"]);

    let manifest = dir.join("Cargo.toml");
    let elsewhere = concat!(env!("CARGO_MANIFEST_DIR"), "/src/lib.rs");
    let outside = run(
        &dir,
        &["--manifest-path", manifest.to_str().unwrap(), "--file", elsewhere],
    );
    assert_eq!(outside.code, 2);
    assert!(
        outside.stderr.contains("is not in a package of the workspace"),
        "{}",
        outside.stderr
    );
    let missing = run(&dir, &["--file", "svc-dir/src/gone.rs"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("cannot read `svc-dir/src/gone.rs`"),
        "{}",
        missing.stderr
    );
    let both = run(&dir, &["--file", "svc-dir/src/lib.rs", "-p", "worker"]);
    assert_eq!(both.code, 2);
}

/// The editor fixture, copied, with a file whose name needs escaping in a
/// workflow command property and an env var name with `%` in a message.
fn escaping_workspace() -> tempfile::TempDir {
    let dir = fixture_copy("editor");
    let lib = dir.path().join("svc-dir/src/lib.rs");
    let text = std::fs::read_to_string(&lib)
        .unwrap()
        .replace(
            "pub mod store;",
            "pub mod store;\n#[path = \"legacy,v1:old.rs\"]\nmod legacy;",
        )
        .replace("store::save(", "legacy::drop_old();\n    store::save(");
    std::fs::write(&lib, text).unwrap();
    std::fs::write(
        dir.path().join("svc-dir/src/legacy,v1:old.rs"),
        "pub fn drop_old() {\n    let quota = env!(\"UPLOAD_QUOTA_%\");\n    std::fs::write(quota, b\"\").ok();\n}\n",
    )
    .unwrap();
    dir
}

#[test]
fn github_workflow_commands() {
    let dir = escaping_workspace();
    let r = run(dir.path(), &["--workspace", "--message-format=github"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    insta::assert_snapshot!("github", r.stdout);
    // The summary is for the log, on stderr.
    assert!(r.stderr.contains("warnings emitted"), "{}", r.stderr);
    for line in r.stdout.lines() {
        let (head, message) = line.split_once("::").unwrap().1.split_once("::").unwrap();
        assert!(!message.contains('\n') && !message.contains('\r'));
        let (_, props) = head.split_once(' ').unwrap();
        for prop in props.split(',') {
            let (key, value) = prop.split_once('=').unwrap();
            assert!(["file", "line", "col", "endLine", "endColumn", "title"].contains(&key));
            assert!(!value.contains(':'), "{prop}");
        }
    }
}

#[test]
fn github_paths_are_relative_to_the_repository() {
    // The fixture lies in this repository: paths start at its top level,
    // where the workflow checks it out.
    let r = run(&fixture("editor"), &["-p", "worker", "--message-format=github"]);
    assert!(
        r.stdout
            .starts_with("::warning file=fixtures/editor/worker/Cargo.toml,line=7,"),
        "{}",
        r.stdout
    );
}

#[test]
fn gitlab_code_quality() {
    let dir = escaping_workspace();
    let r = run(dir.path(), &["--workspace", "--message-format=gitlab", "-q"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    insta::assert_snapshot!("gitlab", r.stdout);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let issues = report.as_array().unwrap();
    let mut prints: Vec<&str> = issues.iter().map(|i| i["fingerprint"].as_str().unwrap()).collect();
    prints.sort();
    prints.dedup();
    assert_eq!(prints.len(), issues.len(), "fingerprints are unique");
    for issue in issues {
        for key in ["description", "check_name", "fingerprint", "severity"] {
            assert!(!issue[key].as_str().unwrap().is_empty(), "{key}");
        }
        assert!(["info", "minor", "major", "critical", "blocker"].contains(&issue["severity"].as_str().unwrap()));
        assert!(issue["location"]["path"].is_string());
        assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn output_file_gets_the_format_and_the_terminal_the_summary() {
    let dir = fixture_copy("editor");
    let out = dir.path().join("twelve.sarif");
    let r = run(
        dir.path(),
        &[
            "--workspace",
            "--message-format",
            "sarif",
            "--output",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("warning: 5 warnings emitted"), "{}", r.stderr);
    assert!(r.stderr.contains("Finished"), "{}", r.stderr);
    let log: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 5);

    let json = dir.path().join("twelve.json");
    let r = run(
        dir.path(),
        &[
            "--workspace",
            "--message-format=json",
            "--output",
            json.to_str().unwrap(),
        ],
    );
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("5 warnings emitted"));
    assert_eq!(cargo_messages(&std::fs::read_to_string(&json).unwrap()).len(), 6);

    let r = run(
        dir.path(),
        &["--output", "/nonexistent/dir/out.json", "--message-format=json"],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("failed to write `/nonexistent/dir/out.json`"),
        "{}",
        r.stderr
    );
}

/// One entry of a Vim `errorformat`, the items the README's uses:
/// `%f` a file name (Vim's `isfname` characters), `%l` line, `%c` column,
/// `%t` the type letter, `%m` the message, `%.%#` anything, `%-G` to
/// ignore the line.
struct Errorformat {
    ignore: bool,
    regex: regex::Regex,
}

impl Errorformat {
    fn parse(option: &str) -> Vec<Self> {
        // Entries are separated by commas not escaped with a backslash.
        let mut entries = vec![String::new()];
        let mut chars = option.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => entries.last_mut().unwrap().extend(chars.next()),
                ',' => entries.push(String::new()),
                c => entries.last_mut().unwrap().push(c),
            }
        }
        entries
            .into_iter()
            .map(|entry| {
                let (ignore, entry) = match entry.strip_prefix("%-G") {
                    Some(rest) => (true, rest.to_string()),
                    None => (false, entry),
                };
                let mut regex = String::from("^");
                let mut rest = entry.as_str();
                while !rest.is_empty() {
                    let (piece, len) = match rest.get(..2) {
                        Some("%f") => (r"(?P<f>[\p{Alphabetic}0-9/._+,#$%~=-]+)".to_string(), 2),
                        Some("%l") => (r"(?P<l>\d+)".to_string(), 2),
                        Some("%c") => (r"(?P<c>\d+)".to_string(), 2),
                        Some("%t") => ("(?P<t>.)".to_string(), 2),
                        Some("%m") => ("(?P<m>.*)".to_string(), 2),
                        Some("%.") if rest.starts_with("%.%#") => (".*".to_string(), 4),
                        Some("%%") => ("%".to_string(), 2),
                        _ => {
                            let c = rest.chars().next().unwrap();
                            (regex::escape(&c.to_string()), c.len_utf8())
                        }
                    };
                    regex.push_str(&piece);
                    rest = &rest[len..];
                }
                regex.push('$');
                Self {
                    ignore,
                    regex: regex::Regex::new(&regex).unwrap(),
                }
            })
            .collect()
    }
}

/// What Vim's quickfix list gets from the lines: (file, line, col, type, message).
fn quickfix(errorformat: &[Errorformat], output: &str) -> Vec<(String, usize, usize, char, String)> {
    output
        .lines()
        .filter_map(|line| {
            let entry = errorformat.iter().find(|e| e.regex.is_match(line))?;
            if entry.ignore {
                return None;
            }
            let c = entry.regex.captures(line).unwrap();
            Some((
                c["f"].to_string(),
                c["l"].parse().unwrap(),
                c["c"].parse().unwrap(),
                c["t"].chars().next().unwrap(),
                c["m"].to_string(),
            ))
        })
        .collect()
}

#[test]
fn vim_errorformat_of_the_readme_reads_the_short_output() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let option = readme
        .lines()
        .find_map(|l| l.strip_prefix("let &l:errorformat = '"))
        .and_then(|l| l.strip_suffix('\''))
        .expect("the README sets errorformat");
    let makeprg = readme
        .lines()
        .find_map(|l| l.strip_prefix("let &l:makeprg = 'cargo twelve "))
        .and_then(|l| l.strip_suffix('\''))
        .expect("the README sets makeprg");
    let errorformat = Errorformat::parse(option);
    let dir = fixture("editor");
    let args: Vec<&str> = makeprg.split(' ').chain(["--workspace"]).collect();
    let r = run(&dir, &args);
    // `:make` reads stdout and stderr.
    let entries = quickfix(&errorformat, &format!("{}{}", r.stdout, r.stderr));
    let json = run(&dir, &["--workspace", "--message-format=json"]);
    let expected: Vec<_> = compiler_messages(&json.stdout)
        .iter()
        .map(|m| {
            let span = &m.message.spans[0];
            (span.file_name.clone(), span.line_start, span.column_start)
        })
        .collect();
    let found: Vec<_> = entries.iter().map(|(f, l, c, _, _)| (f.clone(), *l, *c)).collect();
    assert_eq!(found, expected);
    assert!(
        entries
            .iter()
            .all(|(f, _, _, t, m)| dir.join(f).is_file() && *t == 'w' && m.ends_with(']'))
    );
    // The human layout is what `:compiler cargo` cannot read: none of it
    // is taken for a finding with this errorformat either.
    let human = run(&dir, &["--workspace", "--color=never"]);
    assert!(quickfix(&errorformat, &human.stderr).is_empty());
}

#[test]
fn ci_integrations_install_locked_and_write_sarif() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let action = std::fs::read_to_string(root.join("action.yml")).unwrap();
    assert!(action.contains("using: composite"));
    assert!(action.contains("cargo install --locked --path \"$GITHUB_ACTION_PATH\""));
    assert!(action.contains("cargo twelve check --message-format sarif --output \"$TWELVE_OUTPUT\""));
    assert!(action.contains("default: twelve.sarif"));
    let hooks = std::fs::read_to_string(root.join(".pre-commit-hooks.yaml")).unwrap();
    assert!(hooks.starts_with("- id: cargo-twelve\n"));
    assert!(hooks.contains("entry: cargo-twelve\n") && hooks.contains("language: rust\n"));
    // The hook's entry runs as `cargo-twelve ARGS`, which works like `cargo twelve ARGS`.
    let out = assert_cmd::Command::cargo_bin("cargo-twelve")
        .unwrap()
        .arg("-q")
        .current_dir(fixture("clean"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

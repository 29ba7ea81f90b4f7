//! `--write-baseline` and `--baseline` through the binary: a round trip
//! over edits that move findings, add one and remove one.

mod common;

use common::*;

fn short(dir: &std::path::Path, args: &[&str]) -> Run {
    let mut all = vec!["--workspace", "--message-format=short", "-q"];
    all.extend(args);
    run(dir, &all)
}

#[test]
fn baseline_round_trip() {
    let dir = fixture_copy("editor");
    let root = dir.path();
    let written = run(root, &["--workspace", "--write-baseline", "twelve-baseline.json"]);
    assert_eq!(written.code, 0, "{}", written.stderr);
    assert!(
        written.stderr.contains("Baselined 5 findings in twelve-baseline.json"),
        "{}",
        written.stderr
    );
    let baseline = std::fs::read_to_string(root.join("twelve-baseline.json")).unwrap();
    insta::assert_snapshot!("baseline_file", baseline);

    // Nothing new: clean, exit 0.
    let r = short(root, &["--baseline", "twelve-baseline.json"]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));

    // Lines inserted above both findings of `store.rs`, code reformatted
    // around one, and a new finding below them.
    let store = root.join("svc-dir/src/store.rs");
    let text = std::fs::read_to_string(&store).unwrap();
    let text = format!("//! Where uploads go.\n\n// TODO: object storage\n{text}").replace(
        "pub fn save(name: &str, body: &[u8]) {",
        "pub fn save(\n    name: &str,\n    body: &[u8],\n) {",
    ) + "\npub fn purge(name: &str) {\n    fs::write(name, b\"\").unwrap();\n}\n";
    std::fs::write(&store, text).unwrap();
    let main = root.join("svc-dir/src/main.rs");
    let text = std::fs::read_to_string(&main).unwrap().replace(
        "service::handle(&body);",
        "service::handle(&body);\n        service::store::purge(\"old\");",
    );
    std::fs::write(&main, text).unwrap();
    let r = short(root, &["--baseline", "twelve-baseline.json"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("baseline_new_finding", r.stderr);

    // A finding fixed: its entry is stale, and `-v` lists it.
    let text = std::fs::read_to_string(&store).unwrap().replace(
        "fs::write(format!(\"/var/lib/service/{name}.bak\"), body).unwrap();",
        "let _ = (name, body);",
    );
    std::fs::write(&store, text).unwrap();
    let r = run(
        root,
        &[
            "--workspace",
            "--message-format=short",
            "--baseline",
            "twelve-baseline.json",
        ],
    );
    assert!(
        r.stderr
            .contains("note: 1 finding in the baseline no longer found (`-v` lists them)"),
        "{}",
        r.stderr
    );
    let r = run(
        root,
        &[
            "--workspace",
            "--message-format=short",
            "--baseline",
            "twelve-baseline.json",
            "-v",
        ],
    );
    let stale: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("stale baseline entry"))
        .collect();
    assert_eq!(
        stale,
        [
            "note: stale baseline entry: twelve::filesystem_write at svc-dir/src/store.rs:8: `std::fs::write` writes to the local filesystem"
        ]
    );
    // Another run's subset leaves the other entries alone.
    let r = run(
        root,
        &["-p", "worker", "--baseline", "twelve-baseline.json", "-v", "-q"],
    );
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
}

#[test]
fn baseline_errors() {
    let dir = fixture_copy("editor");
    let r = run(dir.path(), &["--baseline", "missing.json"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with("error: cannot read the baseline `missing.json`"),
        "{}",
        r.stderr
    );
    std::fs::write(dir.path().join("bad.json"), "{}").unwrap();
    let r = run(dir.path(), &["--baseline", "bad.json"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("`bad.json` is not a baseline"), "{}", r.stderr);
    let r = run(dir.path(), &["--write-baseline", "b.json", "--show-secrets"]);
    assert_eq!(r.code, 2);
    let r = run(dir.path(), &["--write-baseline", "/nonexistent/b.json"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot write the baseline"), "{}", r.stderr);
}

#[test]
fn file_and_baseline_together() {
    // An editor on a baselined project sees only new findings of the file.
    let dir = fixture_copy("editor");
    let root = dir.path();
    assert_eq!(run(root, &["--workspace", "--write-baseline", "b.json", "-q"]).code, 0);
    let store = root.join("svc-dir/src/store.rs");
    let text = std::fs::read_to_string(&store).unwrap()
        + "\npub fn purge() {\n    fs::write(\"/var/lib/service/purged\", b\"\").unwrap();\n}\n";
    std::fs::write(&store, text).unwrap();
    let main = root.join("svc-dir/src/main.rs");
    let text = std::fs::read_to_string(&main).unwrap().replace(
        "service::handle(&body);",
        "service::handle(&body);\n        service::store::purge();",
    );
    std::fs::write(&main, text).unwrap();
    let r = run(
        root,
        &[
            "--file",
            store.to_str().unwrap(),
            "--baseline",
            "b.json",
            "--message-format=short",
            "-q",
            "-v",
        ],
    );
    assert_eq!(
        r.stderr,
        "svc-dir/src/store.rs:12:5: warning: `std::fs::write` writes to the local filesystem [twelve::filesystem_write]\nwarning: 1 warning emitted\n"
    );
}

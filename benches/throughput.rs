//! Throughput of a full check on a generated workspace of 240k lines:
//! `cargo metadata`, module discovery, one parse and one visitor pass per
//! file for every rule, rendering skipped.
//!
//! Run with `cargo bench --bench throughput`. Set `TWELVE_BENCH_FILES` to
//! change the number of files per package.
//!
//! Then the editor case: `cargo twelve --file` on one file of a generated
//! one-package workspace of 20k lines, run as a process again and again
//! (warm: the files in the page cache), as rust-analyzer runs it on save.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use cargo_twelve::engine::{self, Options};
use cargo_twelve::rules;
use cargo_twelve::workspace::{Selection, Workspace};

const PACKAGES: usize = 8;
const ITERATIONS: usize = 5;

/// One module of realistic service code, about 250 lines.
fn module(pkg: usize, m: usize) -> String {
    let mut s = String::new();
    writeln!(s, "//! Handlers and storage for area {m} of service {pkg}.\n").unwrap();
    writeln!(s, "use std::collections::HashMap;\nuse std::fs::{{self, OpenOptions}};\nuse std::io::Write;\nuse std::sync::Arc;\n").unwrap();
    writeln!(s, "pub const VERSION: &str = env!(\"CARGO_PKG_VERSION\");\n").unwrap();
    writeln!(s, "#[derive(Debug, Clone, Default)]\npub struct Record{m} {{\n    pub id: u64,\n    pub name: String,\n    pub tags: Vec<String>,\n    pub attrs: HashMap<String, String>,\n}}\n").unwrap();
    for f in 0..10 {
        writeln!(
            s,
            r#"/// Handles request kind {f}.
pub fn handle_{f}(input: &str, store: &Arc<HashMap<String, Record{m}>>) -> Result<String, String> {{
    let mut out = String::with_capacity(input.len());
    for (i, part) in input.split(',').enumerate() {{
        if part.is_empty() {{
            continue;
        }}
        let key = format!("{{}}-{{}}", part.trim(), i);
        match store.get(&key) {{
            Some(rec) if rec.tags.len() > {f} => out.push_str(&rec.name),
            Some(rec) => {{
                tracing::debug!(id = rec.id, key = %key, "short record");
                out.push_str(&rec.name.to_uppercase());
            }}
            None => return Err(format!("missing {{key}} in area {m}")),
        }}
    }}
    let scratch = std::env::temp_dir().join(format!("h{f}"));
    fs::write(&scratch, out.as_bytes()).map_err(|e| e.to_string())?;
    Ok(out)
}}
"#
        )
        .unwrap();
    }
    writeln!(
        s,
        r#"pub async fn serve_{m}() -> std::io::Result<()> {{
    let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
    let pool = sqlx::PgPool::connect("postgres://app:Zk4vQ9mT2wLp8Rx@db.internal:5432/app").await;
    let _ = std::process::Command::new("convert").arg("in.png").status();
    let _ = (listener, pool);
    Ok(())
}}

pub fn auth_headers(token: &str) -> Vec<(&'static str, String)> {{
    let api_key = std::env::var("API_KEY").unwrap_or_default();
    vec![("Authorization", format!("Bearer {{token}}")), ("X-Api-Key", api_key)]
}}

pub fn persist(rec: &Record{m}) -> std::io::Result<()> {{
    let mut log = OpenOptions::new().append(true).create(true).open("records.log")?;
    writeln!(log, "{{}} {{}}", rec.id, rec.name)?;
    fs::write(format!("data/{{}}.json", rec.id), rec.name.as_bytes())
}}

#[cfg(test)]
mod tests {{
    use super::*;

    #[test]
    fn persists() {{
        let rec = Record{m}::default();
        fs::write("fixture", "x").unwrap();
        assert!(persist(&rec).is_ok() || true);
    }}
}}"#
    )
    .unwrap();
    s
}

fn generate(root: &Path, packages: usize, files_per_package: usize) -> usize {
    let members: Vec<String> = (0..packages).map(|p| format!("\"svc{p}\"")).collect();
    std::fs::write(
        root.join("Cargo.toml"),
        format!("[workspace]\nmembers = [{}]\nresolver = \"2\"\n", members.join(", ")),
    )
    .unwrap();
    let mut files = 0;
    for p in 0..packages {
        let dir = root.join(format!("svc{p}"));
        std::fs::create_dir_all(dir.join("src/areas")).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            format!("[package]\nname = \"svc{p}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        )
        .unwrap();
        // A committed `.env` with a password in a URL.
        std::fs::write(
            dir.join(".env"),
            format!("PORT=8080\nDATABASE_URL=postgres://svc{p}:Xk9v2LqT7wPz@db/svc{p}\n"),
        )
        .unwrap();
        let mut lib = String::from("pub mod areas;\n\npub fn region() -> &'static str { env!(\"DEPLOY_REGION\") }\n");
        lib.push_str("fn main_loop() {}\n");
        std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
        let mods: String = (0..files_per_package).map(|m| format!("pub mod area{m};\n")).collect();
        std::fs::write(dir.join("src/areas.rs"), mods).unwrap();
        for m in 0..files_per_package {
            std::fs::write(dir.join(format!("src/areas/area{m}.rs")), module(p, m)).unwrap();
        }
        // The binary is a service: it accepts connections and runs every
        // area's code, so the service-scoped rules report all of it.
        let mut main = String::from(
            "#[tokio::main]\nasync fn main() {\n    let listener = tokio::net::TcpListener::bind(std::env::var(\"ADDR\").unwrap()).await.unwrap();\n    loop {\n        let _ = listener.accept().await;\n",
        );
        writeln!(main, "        println!(\"{{}}\", svc{p}::region());").unwrap();
        for m in 0..files_per_package {
            let area = format!("svc{p}::areas::area{m}");
            let handlers: Vec<String> = (0..10).map(|f| format!("{area}::handle_{f}")).collect();
            writeln!(main, "        let _ = {area}::serve_{m}().await;").unwrap();
            writeln!(
                main,
                "        let _ = ({}, {area}::persist, {area}::auth_headers);",
                handlers.join(", ")
            )
            .unwrap();
        }
        main.push_str("    }\n}\n");
        std::fs::write(dir.join("src/main.rs"), main).unwrap();
        files += files_per_package + 3;
    }
    files
}

fn main() {
    let files_per_package: usize = std::env::var("TWELVE_BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(125);
    let dir = tempfile::tempdir().unwrap();
    let generated = generate(dir.path(), PACKAGES, files_per_package);
    let selection = Selection {
        manifest_path: Some(dir.path().join("Cargo.toml")),
        workspace: true,
        ..Selection::default()
    };

    let mut best = f64::MAX;
    let mut best_metadata = f64::MAX;
    let mut last = None;
    for _ in 0..ITERATIONS {
        let start = Instant::now();
        let workspace = Workspace::load(&selection).unwrap();
        let loaded = start.elapsed().as_secs_f64();
        let outcome = engine::check(&workspace, rules::ALL, &Options::default());
        best = best.min(start.elapsed().as_secs_f64());
        best_metadata = best_metadata.min(loaded);
        last = Some(outcome);
    }
    let outcome = last.unwrap();
    // Every file is read and parsed exactly once, with every rule in that pass.
    assert_eq!(outcome.files, generated, "each file parsed once");
    let rules_seen: std::collections::BTreeSet<_> = outcome.diagnostics.iter().map(|d| d.code).collect();
    let expected = [
        "committed_env_file",
        "compile_time_config",
        "filesystem_write",
        "hardcoded_backing_service",
        "hardcoded_port",
        "hardcoded_secret",
        "system_command",
    ];
    assert!(
        expected.iter().all(|r| rules_seen.contains(r)),
        "rules that fired in the single pass: {rules_seen:?}"
    );
    println!(
        "throughput: {} files, {} lines, {:.1} MiB, {} findings, {} threads",
        outcome.files,
        outcome.lines,
        outcome.bytes as f64 / (1024.0 * 1024.0),
        outcome.diagnostics.len(),
        rayon::current_num_threads()
    );
    println!(
        "throughput: best of {ITERATIONS}: {:.3} s total ({:.3} s cargo metadata) = {:.0} lines/s",
        best,
        best_metadata,
        outcome.lines as f64 / best
    );
    editor_file_check();
}

/// `cargo twelve --file src/areas/area0.rs --message-format=json` on a
/// one-package workspace of about 20k lines: best and median of 20 runs.
fn editor_file_check() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), 1, 80);
    let file = dir.path().join("svc0/src/areas/area0.rs");
    let run = || {
        let start = Instant::now();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-twelve"))
            .args(["--file", file.to_str().unwrap(), "--message-format=json"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        (start.elapsed().as_secs_f64(), out.stdout)
    };
    let (_, first) = run();
    let reported = String::from_utf8(first).unwrap().lines().count() - 1;
    let mut times: Vec<f64> = (0..20).map(|_| run().0).collect();
    times.sort_by(f64::total_cmp);
    let lines: usize = walk(&dir.path().join("svc0"))
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| std::fs::read_to_string(p).unwrap().lines().count())
        .sum();
    println!(
        "--file: package of {lines} lines, {reported} findings reported; warm best {:.1} ms, median {:.1} ms",
        times[0] * 1000.0,
        times[times.len() / 2] * 1000.0
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

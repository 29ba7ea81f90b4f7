//! Throughput of `cargo twelve check --workspace --all-targets
//! --message-format json`, run as a process (the release binary), on
//! generated workspaces of about 100k, 400k and 1.6M lines, and on real
//! workspaces named in `TWELVE_BENCH_REAL` (directories separated by `:`).
//!
//! Run with `cargo bench --bench throughput`. For each workspace it prints:
//!
//! - the parse floor: reading every file the check reads and
//!   `syn::parse_file`-ing it, in parallel on rayon's pool, with the same
//!   proc-macro2 features (best of 3);
//! - the check without the cache (`--no-cache`), its lines/s and its ratio
//!   to the floor;
//! - cold (an empty cache, written), warm (nothing changed) and
//!   one-file-touched times, each as a share of cold;
//! - the peak RSS of the process (`/usr/bin/time -f %M`), cold.
//!
//! `TWELVE_BENCH_SIZES` (lines, comma-separated) changes the generated sizes.
//!
//! Then the editor case: `cargo twelve --file` on one file of a generated
//! one-package workspace of 20k lines, run as a process again and again
//! (warm: the cache filled and the files in the page cache), as
//! rust-analyzer runs it on save.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use cargo_twelve::engine::{self, Options};
use cargo_twelve::rules;
use cargo_twelve::workspace::{Selection, Workspace};

const PACKAGES: usize = 8;

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

/// Lines of one generated module file.
const MODULE_LINES: usize = 269;

fn main() {
    let sizes: Vec<usize> = std::env::var("TWELVE_BENCH_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100_000, 400_000, 1_600_000]);
    let mut rows = Vec::new();
    for lines in sizes {
        let dir = tempfile::tempdir().unwrap();
        let per_package = (lines / (PACKAGES * MODULE_LINES)).max(1);
        generate(dir.path(), PACKAGES, per_package);
        let touch = dir.path().join("svc0/src/areas/area0.rs");
        rows.push(measure(
            &format!("generated {}k", lines / 1000),
            dir.path(),
            &touch,
            true,
        ));
    }
    for root in std::env::var("TWELVE_BENCH_REAL")
        .unwrap_or_default()
        .split(':')
        .filter(|s| !s.is_empty())
    {
        let root = std::path::PathBuf::from(root);
        let name = root.file_name().unwrap().to_string_lossy().into_owned();
        rows.push(measure(&name, &root, Path::new(""), false));
    }
    println!();
    println!(
        "| workspace | files | lines | parse floor | check (no cache) | lines/s | check/floor | cold | warm | one file touched | peak RSS | CPU: no cache / warm |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!("{r}");
    }
    editor_file_check();
}

/// One row of the table.
struct Row {
    name: String,
    files: usize,
    lines: usize,
    floor: f64,
    no_cache: f64,
    cold: f64,
    warm: f64,
    touched: f64,
    rss_kib: Option<u64>,
    /// CPU time (user and system) of the check without the cache, and warm.
    no_cache_cpu: f64,
    warm_cpu: f64,
}

impl std::fmt::Display for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let share = |t: f64| format!("{:.3} s ({:.0}%)", t, 100.0 * t / self.cold);
        write!(
            f,
            "| {} | {} | {} | {:.3} s | {:.3} s | {:.0}k | {:.2}× | {:.3} s | {} | {} | {} | {:.2} s / {:.2} s |",
            self.name,
            self.files,
            self.lines,
            self.floor,
            self.no_cache,
            self.lines as f64 / self.no_cache / 1000.0,
            self.no_cache / self.floor,
            self.cold,
            share(self.warm),
            share(self.touched),
            self.rss_kib
                .map_or("-".to_string(), |k| format!("{:.0} MiB", k as f64 / 1024.0)),
            self.no_cache_cpu,
            self.warm_cpu,
        )
    }
}

/// The floor, then the check run as a process: without the cache, cold,
/// warm, and with one file touched (`touch`, or the middle file the check
/// reads). A generated workspace must report the expected rules.
fn measure(name: &str, root: &Path, touch: &Path, generated: bool) -> Row {
    let selection = Selection {
        manifest_path: Some(root.join("Cargo.toml")),
        workspace: true,
        all_targets: true,
        ..Selection::default()
    };
    let workspace = Workspace::load(&selection).unwrap();
    let outcome = engine::check(&workspace, rules::ALL, &Options::default());
    if generated {
        // Every file is read and parsed exactly once, with every rule in that pass.
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
    }
    let paths = outcome.paths.clone();
    let floor = best(3, || {
        use rayon::prelude::*;
        let start = Instant::now();
        let parsed: usize = paths
            .par_iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).unwrap();
                syn::parse_file(&text).map(|f| f.items.len()).unwrap_or(0)
            })
            .sum();
        std::hint::black_box(parsed);
        start.elapsed().as_secs_f64()
    });
    let big = outcome.lines > 1_000_000;
    let cache = workspace.target_directory.join("twelve");
    let _ = std::fs::remove_dir_all(&cache);
    let (no_cache, no_cache_cpu, _) = best_run(if big { 2 } else { 3 }, root, &["--no-cache"], || {});
    let expected = run_check(root, &["--no-cache"]).2;
    let mut rss = None;
    let (cold, _, _) = best_run(if big { 2 } else { 3 }, root, &[], || {
        let _ = std::fs::remove_dir_all(&cache);
    });
    // The peak RSS of a cold run.
    let _ = std::fs::remove_dir_all(&cache);
    if let Some((k, _)) = run_check(root, &[]).1 {
        rss = Some(k);
    }
    let (warm, warm_cpu, out) = best_run(5, root, &[], || {});
    assert_eq!(out, expected, "{name}: a warm run prints what --no-cache prints");
    let touch = if touch.as_os_str().is_empty() {
        paths[paths.len() / 2].clone()
    } else {
        touch.to_path_buf()
    };
    let original = std::fs::read(&touch).unwrap();
    let mut n = 0;
    let (touched, _, _) = best_run(3, root, &[], || {
        n += 1;
        let mut text = original.clone();
        text.extend_from_slice(format!("\n// touched {n}\n").as_bytes());
        std::fs::write(&touch, text).unwrap();
    });
    std::fs::write(&touch, &original).unwrap();
    let row = Row {
        name: name.to_string(),
        files: outcome.files,
        lines: outcome.lines,
        floor,
        no_cache,
        cold,
        warm,
        touched,
        rss_kib: rss,
        no_cache_cpu,
        warm_cpu,
    };
    println!("{row}");
    row
}

fn best(n: usize, mut f: impl FnMut() -> f64) -> f64 {
    (0..n).map(|_| f()).fold(f64::MAX, f64::min)
}

/// The best wall time and the least CPU time of `n` runs of the check,
/// `before` run before each (untimed); the output of the last.
fn best_run(n: usize, root: &Path, args: &[&str], mut before: impl FnMut()) -> (f64, f64, Vec<u8>) {
    let mut best = f64::MAX;
    let mut cpu = f64::MAX;
    let mut out = Vec::new();
    for _ in 0..n {
        before();
        let (t, usage, o) = run_check(root, args);
        best = best.min(t);
        cpu = cpu.min(usage.map_or(f64::NAN, |(_, c)| c));
        out = o;
    }
    (best, cpu, out)
}

/// One run of the release binary: wall time, peak RSS in KiB and CPU
/// time (user and system, through `/usr/bin/time`, when there is one),
/// and stdout.
fn run_check(root: &Path, args: &[&str]) -> (f64, Option<(u64, f64)>, Vec<u8>) {
    let bin = env!("CARGO_BIN_EXE_cargo-twelve");
    let time = Path::new("/usr/bin/time");
    let rss_file = tempfile::NamedTempFile::new().unwrap();
    let mut cmd = if time.exists() {
        let mut c = std::process::Command::new(time);
        c.arg("-f").arg("%M %U %S").arg("-o").arg(rss_file.path()).arg(bin);
        c
    } else {
        std::process::Command::new(bin)
    };
    cmd.args([
        "twelve",
        "check",
        "--workspace",
        "--all-targets",
        "--message-format",
        "json",
    ])
    .args(args)
    .current_dir(root)
    .env_remove("TWELVE_TIMINGS");
    let start = Instant::now();
    let out = cmd.output().unwrap();
    let elapsed = start.elapsed().as_secs_f64();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let usage = std::fs::read_to_string(rss_file.path()).ok().and_then(|t| {
        let line = t.lines().last()?.to_string();
        let mut words = line.split_whitespace();
        let rss: u64 = words.next()?.parse().ok()?;
        let user: f64 = words.next()?.parse().ok()?;
        let system: f64 = words.next()?.parse().ok()?;
        Some((rss, user + system))
    });
    (elapsed, usage, out.stdout)
}

/// `cargo twelve --file src/areas/area0.rs --message-format=json` on a
/// one-package workspace of about 20k lines: best and median of 20 runs.
fn editor_file_check() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), 1, 80);
    let file = dir.path().join("svc0/src/areas/area0.rs");
    let run = |extra: &[&str]| {
        let start = Instant::now();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-twelve"))
            .args(["--file", file.to_str().unwrap(), "--message-format=json"])
            .args(extra)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        (start.elapsed().as_secs_f64(), out.stdout)
    };
    let lines: usize = walk(&dir.path().join("svc0"))
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| std::fs::read_to_string(p).unwrap().lines().count())
        .sum();
    for (what, extra) in [("warm", &[][..]), ("without the cache", &["--no-cache"][..])] {
        let (_, first) = run(extra);
        let reported = String::from_utf8(first).unwrap().lines().count() - 1;
        let mut times: Vec<f64> = (0..20).map(|_| run(extra).0).collect();
        times.sort_by(f64::total_cmp);
        println!(
            "--file: package of {lines} lines, {reported} findings reported; {what}: best {:.1} ms, median {:.1} ms",
            times[0] * 1000.0,
            times[times.len() / 2] * 1000.0
        );
    }
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

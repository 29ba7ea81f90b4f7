//! Property tests of the per-file analyser (`rules::check_text`, the entry
//! point the fuzz targets in `fuzz/` drive): on any text, built from Rust
//! fragments the rules look at, deep nesting, long chains and large
//! literals, it returns without panicking, no rule fails
//! (`internal_error`), and every diagnostic points into the text and
//! renders.

use proptest::prelude::*;

fn fragment() -> impl Strategy<Value = String> {
    let known = prop::sample::select(vec![
        "fn main() { let l = std::net::TcpListener::bind(\"0.0.0.0:8080\").unwrap(); loop { l.accept(); } }",
        "fn f() { std::process::Command::new(\"ffmpeg\").arg(\"-i\").spawn(); }",
        "fn f() { let s = std::env::var(\"JWT_SECRET\").unwrap_or(\"hunter2hunter2\".into()); }",
        "fn f() { std::fs::write(\"state.json\", b\"x\").unwrap(); }",
        "static SESSIONS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());",
        "const DB: &str = \"postgres://user:pa55w0rd@db:5432/app\";",
        "#[tokio::main] async fn main() { axum::serve(listener, app).await; }",
        "#[path = \"/proc/self/environ\"] mod env;",
        "mod missing;",
        "fn f() { info!(target: \"x\", ?a, \"{}\", b); }",
        "cfg_if::cfg_if! { if #[cfg(unix)] { mod u; } }",
        "lazy_static! { static ref X: Mutex<HashMap<u8, u8>> = Mutex::new(HashMap::new()); }",
        "// twelve:allow(hardcoded_secret)",
        "fn f() { let t = \"ghp_Zq8vT2pL9xW4nR7kAbC9xYz1Lm3Nq5Rs7Tu9\"; } // gitleaks:allow",
        "fn f( {",
        "\"unterminated",
        "}}}",
        "#!/usr/bin/env run",
        "\u{feff}",
    ])
    .prop_map(str::to_string);
    let nested = (0usize..10, 0usize..300).prop_map(|(kind, depth)| {
        let (open, mid, close) = [
            ("Vec<", "u8", ">"),
            ("{ ", "1", " }"),
            ("(", "1", ")"),
            ("[", "1", "]"),
            ("|| ", "1", ""),
            ("format!(\"{}\", ", "1", ")"),
            ("if x { ", "1", " } else { 2 }"),
            ("!", "x", ""),
            ("&", "x", ""),
            ("mod m { fn f() { ", "", " } }"),
        ][kind];
        let body = format!("{}{mid}{}", open.repeat(depth), close.repeat(depth));
        match kind {
            0 => format!("type T = {body};"),
            9 => body,
            _ => format!("fn f() {{ let _ = {body}; }}"),
        }
    });
    let chain = (0usize..4, 0usize..1500, any::<bool>()).prop_map(|(kind, len, in_macro)| {
        let step = [".a()", ".arg(\"x\")", ".f()?", ".x"][kind];
        let expr = format!("std::process::Command::new(\"curl\"){}", step.repeat(len));
        if in_macro {
            format!("fn f() {{ println!(\"{{}}\", {expr}); }}")
        } else {
            format!("fn f() {{ let _ = {expr}; }}")
        }
    });
    let literal = (0usize..3, 0usize..20_000).prop_map(|(kind, len)| match kind {
        0 => format!("const A: &str = \"{}\";", "a".repeat(len)),
        1 => format!("const SECRET_TOKEN: &str = \"ghp_{}\";", "A1b2".repeat(len / 4)),
        _ => format!("const N: u8 = {};", "9".repeat(len.max(1))),
    });
    prop_oneof![
        4 => known,
        2 => nested,
        2 => chain,
        1 => literal,
        1 => "\\PC{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn the_analyser_never_fails(pieces in prop::collection::vec(fragment(), 0..6), bin in any::<bool>()) {
        let text = pieces.join("\n");
        for d in cargo_twelve::rules::check_text(&text, bin) {
            prop_assert_ne!(d.code, "internal_error", "{}", d.message);
            let range = d.span.range.clone();
            prop_assert!(range.start <= range.end && range.end <= d.span.file.text.len(), "{:?}", range);
            let rendered = cargo_twelve::diagnostic::human::render(&d, std::path::Path::new("/app"), false);
            prop_assert!(rendered.contains(d.code), "{}", rendered);
        }
    }
}

/// Long chains and deep macro nesting are checked in work linear in their
/// size: before, a 10,000-call chain took seconds and gigabytes, and 20,000
/// ran out of memory. Each case here completes, and what the rules find at
/// the root of the chain is still found (once).
#[test]
fn long_chains_and_nested_macros_are_checked() {
    let cases = [
        (format!("pub fn f(x: X) {{ x{}; }}", ".a()".repeat(20_000)), None),
        (
            format!(
                "pub fn f() {{ std::process::Command::new(\"curl\"){}.spawn(); }}",
                ".arg(\"x\")".repeat(20_000)
            ),
            Some("system_command"),
        ),
        (
            format!(
                "pub fn f() {{ println!(\"{{}}\", std::process::Command::new(\"curl\"){}.status()); }}",
                ".arg(\"x\")".repeat(20_000)
            ),
            Some("system_command"),
        ),
        (
            format!(
                "pub fn f() {{ let _ = {}std::fs::write(\"state.json\", b\"x\"){}; }}",
                "format!(\"{}\", ".repeat(4000),
                ")".repeat(4000)
            ),
            None,
        ),
        (
            format!(
                "pub fn f() {{ let _ = {}\"postgres://app:Xk9v2LqT7wPz@db.internal/app\"{}; }}",
                "format!(\"{}\", ".repeat(4000),
                ")".repeat(4000)
            ),
            Some("hardcoded_secret"),
        ),
    ];
    for (text, expected) in cases {
        let found = cargo_twelve::rules::check_text(&text, false);
        let codes: Vec<&str> = found.iter().map(|d| d.code).collect();
        assert!(!codes.contains(&"internal_error"), "{codes:?}");
        assert!(!codes.contains(&"too_deeply_nested"), "{codes:?}");
        if let Some(code) = expected {
            assert_eq!(codes.iter().filter(|c| **c == code).count(), 1, "{codes:?}");
        }
    }
}

/// The slowest inputs of the fuzz run (50 s and 11 s per run on the
/// instrumented build before spans and macro bodies were made linear), as
/// the `analyse_file` target reads them: the first byte picks the target.
#[test]
fn fuzz_inputs_stay_fast() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_inputs");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let Some((&flag, rest)) = bytes.split_first() else {
            continue;
        };
        let text = String::from_utf8_lossy(rest);
        for d in cargo_twelve::rules::check_text(&text, flag & 1 == 1) {
            assert_ne!(d.code, "internal_error", "{}", d.message);
            let _ = cargo_twelve::diagnostic::human::render(&d, std::path::Path::new("/app"), false);
        }
        seen += 1;
    }
    assert_eq!(seen, 2);
}

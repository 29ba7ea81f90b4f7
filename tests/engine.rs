//! The engine's hooks, seen from a rule written outside the crate: what a
//! new rule file can rely on.

use std::path::Path;
use std::sync::Mutex;

use cargo_twelve::declare_rule;
use cargo_twelve::engine::{self, Call, Cx, Fact, MacroCall, Options, PackageReport};
use cargo_twelve::rules::{Factor, Rule, RuleMeta};
use cargo_twelve::workspace::{Selection, Workspace};

declare_rule! {
    /// ### What it does
    /// Records every hook call, for these tests.
    /// ### Why is this bad
    /// ### Example
    /// ### Use instead
    pub Probe => "probe", Factor::Processes, Warn, fixable: false, options: []
}

static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn note(s: String) {
    SEEN.lock().unwrap().push(s);
}

impl Rule for Probe {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_call(&self, cx: &mut Cx<'_>, call: &Call<'_>) {
        let what = match call.method {
            Some(m) => format!(
                "method {m} root={:?} steps={:?}",
                call.chain.root,
                call.chain.steps.iter().map(|s| &s.name).collect::<Vec<_>>()
            ),
            None => format!("call {}", call.paths.join("|")),
        };
        note(format!("{what} fn={:?} test={}", cx.enclosing_fn(), cx.in_test()));
    }

    fn check_macro(&self, cx: &mut Cx<'_>, mac: &MacroCall<'_>) {
        note(format!(
            "macro {} parsed={} item={:?}",
            mac.paths[0],
            mac.args.is_some(),
            cx.enclosing_item()
        ));
    }

    fn check_lit(&self, cx: &mut Cx<'_>, lit: &syn::Lit) {
        if let syn::Lit::Str(s) = lit {
            note(format!("lit {:?} in {:?}", s.value(), cx.macro_stack()));
            if s.value().starts_with("sk_live_") {
                let span = cx.span(s);
                cx.redact(span.range.start + 1..span.range.end - 1);
                let message = format!("secret {}", cx.redacted(&s.value()));
                cx.report(span, message);
            }
        }
    }

    fn check_expr(&self, cx: &mut Cx<'_>, expr: &syn::Expr) {
        if let syn::Expr::Struct(s) = expr {
            let fields: Vec<String> = s
                .fields
                .iter()
                .map(|f| quote::ToTokens::to_token_stream(&f.member).to_string())
                .collect();
            note(format!("struct {fields:?} in {:?}", cx.enclosing_fn_path()));
        }
        if let syn::Expr::Path(p) = expr
            && let Some(init) = cx.const_init(&p.path)
        {
            note(format!(
                "const {} = {}",
                quote::ToTokens::to_token_stream(&p.path),
                quote::ToTokens::to_token_stream(init)
            ));
        }
    }

    fn check_local(&self, cx: &mut Cx<'_>, local: &syn::Local) {
        note(format!(
            "let {} in {:?}",
            quote::ToTokens::to_token_stream(&local.pat),
            cx.module()
        ));
    }

    fn check_item(&self, cx: &mut Cx<'_>, item: &syn::Item) {
        if let syn::Item::Fn(f) = item
            && f.sig.ident == "main"
        {
            let span = cx.span(&f.sig.ident);
            cx.record(span, f.sig.ident.to_string());
        }
    }

    fn check_package(&self, cx: &mut PackageReport<'_>, facts: &[Fact]) {
        let names: Vec<&String> = facts.iter().filter_map(|f| f.get::<String>()).collect();
        if let Some(first) = facts.first() {
            let message = format!("{} in {}: {names:?}", facts.len(), cx.package.name);
            cx.report(first.span.clone(), message);
        }
    }
}

fn scratch(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let manifest = "[package]\nname = \"probe-app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n";
    std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn check(dir: &Path) -> engine::Outcome {
    let selection = Selection {
        manifest_path: Some(dir.join("Cargo.toml")),
        all_targets: true,
        ..Selection::default()
    };
    let workspace = Workspace::load(&selection).unwrap();
    engine::check(&workspace, &[&Probe], &Options::default())
}

#[test]
fn hooks_see_resolved_calls_macros_literals_and_package_facts() {
    let dir = scratch(&[
        (
            "src/main.rs",
            r#"
mod util;
use std::fs::OpenOptions as Opts;

#[derive(serde::Deserialize)]
#[serde(rename = "ignored-attribute")]
struct S;

fn main() {
    let f = Opts::new().append(true).open("log");
    tracing::info!(target: "app", path = ?util::path(), "started {}", "now");
    custom_dsl! { key => "scanned", nested => format!("{}", "inner") }
}

#[cfg(test)]
mod tests {
    #[test]
    fn t() { super::util::path(); }
}
"#,
        ),
        (
            "src/util.rs",
            "pub fn path() -> &'static str { self::inner() }\nfn inner() -> &'static str { \"p\" }\n\
             pub mod conf { pub const URL: &str = \"redis://cache:6379\"; }\n\
             struct Server { port: u16 }\n\
             impl Server { fn start() { let s = Server { port: 1 }; let u = conf::URL; } }\n",
        ),
        ("examples/demo.rs", "fn main() {}\n"),
    ]);
    SEEN.lock().unwrap().clear();
    let outcome = check(dir.path());
    let seen = SEEN.lock().unwrap().clone();
    let has = |s: &str| seen.iter().any(|l| l == s);

    assert!(
        has(
            "method open root=[\"std::fs::OpenOptions::new\"] steps=[\"append\", \"open\"] fn=Some(\"main\") test=false"
        ),
        "{seen:#?}"
    );
    assert!(
        has("call std::fs::OpenOptions::new fn=Some(\"main\") test=false"),
        "{seen:#?}"
    );
    assert!(
        has("call probe_app::util::path fn=Some(\"main\") test=false"),
        "{seen:#?}"
    );
    assert!(has("call probe_app::util::path fn=Some(\"t\") test=true"), "{seen:#?}");
    assert!(
        has("call probe_app::util::inner fn=Some(\"path\") test=false"),
        "{seen:#?}"
    );
    assert!(
        has("macro tracing::info parsed=true item=Some(\"fn main\")"),
        "{seen:#?}"
    );
    assert!(has("macro custom_dsl parsed=false item=Some(\"fn main\")"), "{seen:#?}");
    assert!(has("macro std::format parsed=true item=Some(\"fn main\")"), "{seen:#?}");
    assert!(has("lit \"started {}\" in [\"tracing::info\"]"), "{seen:#?}");
    assert!(has("lit \"scanned\" in [\"custom_dsl\"]"), "{seen:#?}");
    assert!(has("lit \"inner\" in [\"custom_dsl\", \"std::format\"]"), "{seen:#?}");
    assert!(!seen.iter().any(|l| l.contains("ignored-attribute")), "{seen:#?}");
    assert!(
        has("struct [\"port\"] in Some(\"probe_app::util::Server::start\")"),
        "{seen:#?}"
    );
    assert!(has("const conf :: URL = \"redis://cache:6379\""), "{seen:#?}");
    assert!(has("let s in [\"probe_app\", \"util\"]"), "{seen:#?}");

    // Facts from both binaries' files reach the package-level check once.
    let package: Vec<_> = outcome.diagnostics.iter().filter(|d| d.code == "probe").collect();
    assert_eq!(package.len(), 1);
    assert_eq!(package[0].message, "2 in probe-app: [\"main\", \"main\"]");
    assert_eq!(outcome.files, 3);
}

#[test]
fn package_findings_can_be_suppressed_inline() {
    let dir = scratch(&[("src/main.rs", "// twelve:allow(probe)\nfn main() {}\n")]);
    let outcome = check(dir.path());
    assert!(
        outcome.diagnostics.iter().all(|d| d.code != "probe"),
        "{:?}",
        outcome.diagnostics
    );
}

#[test]
fn secrets_are_masked_in_every_span_of_the_file() {
    let dir = scratch(&[(
        "src/lib.rs",
        "pub fn f() {\n    let key = \"sk_live_4eC39HqLyjWDarjtT1zdp7dc\";\n}\n",
    )]);
    let outcome = check(dir.path());
    let secret: Vec<_> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.message.starts_with("secret"))
        .collect();
    assert_eq!(secret.len(), 1);
    assert_eq!(secret[0].message, "secret sk_l…");
    assert_eq!(secret[0].span.snippet(), format!("\"sk_l{}\"", "*".repeat(28)));
    assert!(!secret[0].span.file.text.contains("4eC39HqLyjWDarjtT1zdp7dc"));

    let selection = Selection {
        manifest_path: Some(dir.path().join("Cargo.toml")),
        ..Selection::default()
    };
    let workspace = Workspace::load(&selection).unwrap();
    let shown = engine::check(
        &workspace,
        &[&Probe],
        &Options {
            show_secrets: true,
            ..Options::default()
        },
    );
    let secret = shown
        .diagnostics
        .iter()
        .find(|d| d.message.starts_with("secret"))
        .unwrap();
    assert_eq!(secret.message, "secret sk_live_4eC39HqLyjWDarjtT1zdp7dc");
}

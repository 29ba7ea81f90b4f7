use crate::declare_rule;
use crate::diagnostic::{Applicability, Edit};
use crate::engine::{Cx, MacroCall, OptionTable, RuleOptions, layer_options};
use crate::rules::backing_services::connections::address_of;
use crate::rules::common::is_test_or_build_time;
use crate::rules::{Factor, Rule, RuleMeta};

declare_rule! {
    /// ### What it does
    /// Finds configuration read at compile time with `env!`, `option_env!`,
    /// or `dotenv!` (`dotenv_codegen`, `dotenvy_macro`), which reads the
    /// `.env` file of the machine that compiles.
    ///
    /// Only configuration is reported. Build and version stamps are facts
    /// about the build and belong in it, so they are never reported:
    /// variables that Cargo and the toolchain set (`CARGO_PKG_VERSION`,
    /// `CARGO_MANIFEST_DIR`, `OUT_DIR`, `TARGET`, `PROFILE`, `HOST`,
    /// `RUSTC_VERSION`, `MACOSX_DEPLOYMENT_TARGET`, `DOCS_RS`), those of
    /// build-info crates and CI (`VERGEN_GIT_SHA`, `GITHUB_SHA`,
    /// `CI_COMMIT_SHA`, `BUILD_NUMBER`, `SOURCE_DATE_EPOCH`), and any name
    /// with a stamp word between its underscores (`APP_VERSION`, `GIT_HASH`,
    /// `BUILD_TIMESTAMP`, `RELEASE_DATE`); `cargo twelve explain
    /// compile_time_config` lists the words, prefixes and names. Variables
    /// the package's own build script emits with `cargo:rustc-env=`, and
    /// code that runs at compile time (build scripts, procedural macros,
    /// `quote!` templates) are fine too, except in the address of a
    /// connection (`PgPool::connect(env!("DATABASE_URL"))`,
    /// `redis::Client::open(..)`, and the other constructors of
    /// `hardcoded_backing_service`): a database URL baked in by a build
    /// script is still baked in.
    ///
    /// ### Why is this bad
    /// A twelve-factor build produces one artifact that is released to every
    /// environment with that environment's config. `env!("DATABASE_URL")`
    /// copies the value from the machine that compiled the code into the
    /// binary: staging and production now need different builds, and the
    /// value cannot change without a rebuild.
    ///
    /// ### Example
    /// ```rust,ignore
    /// let api = Client::new(env!("PAYMENTS_API_URL"));
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// let url = std::env::var("PAYMENTS_API_URL").context("PAYMENTS_API_URL must be set")?;
    /// let api = Client::new(&url);
    /// ```
    ///
    /// ### Options
    /// `allow = ["RELEASE_CHANNEL"]`: variables that are meant to be baked
    /// into the build besides the stamps above.
    pub CompileTimeConfig => "compile_time_config", Factor::BuildReleaseRun, Warn, fixable: false, options: ["allow"], scope: Service
}

/// Macros that read the environment of the compiler.
const COMPILE_TIME_ENV_MACROS: &[&str] = &["std::env", "std::option_env"];

/// Build and version stamps, by exact name: what Cargo and the toolchain
/// set while compiling, and CI build numbers.
const STAMP_NAMES: &[&str] = &[
    "CARGO",
    "OUT_DIR",
    "RUSTC",
    "RUSTDOC",
    "DOCS_RS",
    "TARGET",
    "PROFILE",
    "HOST",
    "SOURCE_DATE_EPOCH",
    "BUILD_NUMBER",
];

/// Stamps by prefix: Cargo's `CARGO_PKG_*` and `CARGO_MANIFEST_DIR`, the
/// compiler's `RUSTC_*`, vergen's `VERGEN_*`, CI's `GITHUB_*` and `CI_*`.
const STAMP_PREFIXES: &[&str] = &["CARGO_", "RUSTC_", "VERGEN_", "GITHUB_", "CI_"];

/// Stamps by suffix: the Apple deployment targets of the toolchain.
const STAMP_SUFFIXES: &[&str] = &["_DEPLOYMENT_TARGET"];

/// Words that mark a stamp anywhere between a name's underscores:
/// `APP_VERSION`, `GIT_SHA`, `BUILD_TIMESTAMP`, `RELEASE_DATE`.
const STAMP_WORDS: &[&str] = &[
    "VERSION",
    "SHA",
    "COMMIT",
    "GIT",
    "VERGEN",
    "BUILD",
    "BUILT",
    "CI",
    "HASH",
    "REVISION",
    "TIMESTAMP",
    "DATE",
];

/// Macros that read a `.env` file (and the environment) at compile time.
const DOTENV_MACROS: &[&str] = &["dotenv_codegen::dotenv", "dotenvy_macro::dotenv", "dotenv::dotenv"];

/// Crates whose `dotenv!` a bare `dotenv!` is, through `#[macro_use]`.
const DOTENV_MACRO_CRATES: &[&str] = &["dotenv_codegen", "dotenvy_macro"];

/// Whether `name` is a build or version stamp rather than configuration.
fn is_stamp(name: &str) -> bool {
    STAMP_NAMES.contains(&name)
        || STAMP_PREFIXES.iter().any(|p| name.starts_with(p))
        || STAMP_SUFFIXES.iter().any(|s| name.ends_with(s))
        || name
            .split('_')
            .any(|w| STAMP_WORDS.iter().any(|s| s.eq_ignore_ascii_case(w)))
}

/// The stamp tables, for `cargo twelve explain`.
fn stamps_table() -> String {
    fn list(items: &[&str], decorate: impl Fn(&str) -> String) -> String {
        items.iter().map(|i| decorate(i)).collect::<Vec<_>>().join(", ")
    }
    format!(
        "### Stamps that are never reported\n\
         - words of the name, between `_`: {}\n\
         - prefixes: {}\n\
         - suffixes: {}\n\
         - names: {}\n",
        list(STAMP_WORDS, |w| format!("`{w}`")),
        list(STAMP_PREFIXES, |p| format!("`{p}*`")),
        list(STAMP_SUFFIXES, |s| format!("`*{s}`")),
        list(STAMP_NAMES, |n| format!("`{n}`")),
    )
}

/// Options of `compile_time_config`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CompileTimeConfigOptions {
    /// Variables that may be read with `env!` besides the build and
    /// version stamps, such as a release channel chosen at build time.
    #[serde(default)]
    pub allow: Vec<String>,
}

impl Rule for CompileTimeConfig {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn explain_appendix(&self) -> Option<String> {
        Some(stamps_table())
    }

    fn parse_options(&self, table: &OptionTable, base: Option<&RuleOptions>) -> Result<RuleOptions, String> {
        Ok(std::sync::Arc::new(layer_options::<CompileTimeConfigOptions>(
            table,
            base,
            Self::META.options,
        )?))
    }

    fn check_macro(&self, cx: &mut Cx<'_>, mac: &MacroCall<'_>) {
        if is_test_or_build_time(cx) {
            return;
        }
        let dotenv = mac.is(DOTENV_MACROS)
            || (mac.mac.path.is_ident("dotenv")
                && mac.paths.first().is_some_and(|p| p == "dotenv")
                && DOTENV_MACRO_CRATES.iter().any(|c| cx.package().dependency(c).is_some()));
        if !dotenv && !mac.is(COMPILE_TIME_ENV_MACROS) {
            return;
        }
        let Some(name_lit) = mac.first_str() else { return };
        let name = name_lit.value();
        let own = cx.module()[0].clone();
        let connection = cx
            .call_stack()
            .iter()
            .rev()
            .find_map(|f| address_of(f, &own))
            .map(|(_, callee)| callee);
        let package = cx.package();
        if is_stamp(&name)
            || (package.build_env.contains(&name) && connection.is_none())
            || cx
                .options::<CompileTimeConfigOptions>()
                .is_some_and(|o| o.allow.contains(&name))
        {
            return;
        }
        let optional = mac.paths.iter().any(|p| p == "std::option_env");
        let written = if dotenv {
            "dotenv!"
        } else if optional {
            "option_env!"
        } else {
            "env!"
        };
        let span = cx.span(mac.mac);
        // A `const` or `static` needs a constant; the run-time read cannot go there.
        let in_constant = cx
            .enclosing_item()
            .is_some_and(|i| i.starts_with("const ") || i.starts_with("static "))
            && cx.enclosing_fn().is_none();
        let replacement = if optional {
            format!("std::env::var({name:?}).ok()")
        } else {
            format!("std::env::var({name:?}).expect(\"{name} must be set\")")
        };
        let (message, label) = match &connection {
            Some(callee) => (
                format!("`{callee}` connects to the `{name}` of the machine that compiled it"),
                format!("`{written}` bakes the address into the binary at compile time"),
            ),
            None if dotenv => (
                format!("`{written}` bakes `{name}` from the build machine's `.env` into the binary"),
                "read when the crate is compiled, not when it runs".to_string(),
            ),
            None => (
                format!("`{written}` bakes `{name}` into the binary at compile time"),
                "read when the crate is compiled, not when it runs".to_string(),
            ),
        };
        let d = cx
            .report(span.clone(), message)
            .label(label)
            .note("one build must run in every deploy: config that varies between deploys is read from the environment at run time");
        if in_constant {
            d.help(format!(
                "read `{name}` at startup into your config struct instead of a `const` or `static`"
            ));
        } else {
            d.suggest(
                format!("read `{name}` when the process starts"),
                vec![Edit { span, replacement }],
                Applicability::MaybeIncorrect,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CompileTimeConfig;
    use crate::test_support::{check_rule, check_rule_in};

    fn names(src: &str) -> Vec<String> {
        check_rule(&CompileTimeConfig, src)
            .iter()
            .map(|d| d.span.snippet().to_string())
            .collect()
    }

    #[test]
    fn fires_on_deploy_config() {
        let src = r#"
const API: &str = env!("PAYMENTS_API_URL");
fn main() {
    let db = std::env!("DATABASE_URL");
    let region = option_env!("AWS_REGION").unwrap_or("eu-west-1");
    let banner = format!("{} {}", env!("CARGO_PKG_NAME"), core::env!("STAGE"));
}
"#;
        assert_eq!(
            names(src),
            [
                r#"env!("PAYMENTS_API_URL")"#,
                r#"std::env!("DATABASE_URL")"#,
                r#"option_env!("AWS_REGION")"#,
                r#"core::env!("STAGE")"#
            ]
        );
    }

    #[test]
    fn cargo_and_build_script_vars_are_fine() {
        let src = r#"
const NAME: &str = env!("CARGO_PKG_NAME");
static SCHEMA: &str = include_str!(concat!(env!("OUT_DIR"), "/schema.sql"));
fn main() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let min_macos = option_env!("MACOSX_DEPLOYMENT_TARGET");
    let tokens = quote::quote! { option_env!("GENERATED_CODE_READS_THIS") };
    let bin = env!("CARGO_BIN_EXE_app");
    let features = env!("APP_FEATURES");
    let channel = option_env!("RELEASE_CHANNEL");
    let runtime = std::env::var("DATABASE_URL");
}
"#;
        let options = super::CompileTimeConfigOptions {
            allow: vec!["RELEASE_CHANNEL".into()],
        };
        let found = crate::test_support::check_rule_configured(
            &CompileTimeConfig,
            src,
            |p| {
                p.build_env.insert("APP_FEATURES".into());
            },
            options,
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn build_and_version_stamps_are_never_reported() {
        let src = r#"
use clap::Parser;
use serde_json::json;

pub const VERSION: &str = match option_env!("VERGEN_GIT_SEMVER_LIGHTWEIGHT") {
    Some(v) => v,
    None => env!("VERGEN_BUILD_SEMVER"),
};
pub const LONG_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("VERGEN_GIT_SHA"), ")");
static BUILT_AT: &str = env!("VERGEN_BUILD_TIMESTAMP");

lazy_static::lazy_static! {
    static ref COMMIT: String = option_env!("GITHUB_SHA").or(option_env!("CI_COMMIT_SHA")).unwrap_or("dev").into();
}

#[derive(Parser)]
#[command(version = VERSION)]
struct Cli {}

pub fn build_info() -> serde_json::Value {
    json!({
        "version": env!("APP_VERSION"),
        "git": option_env!("GIT_HASH"),
        "build": option_env!("BUILD_NUMBER"),
        "epoch": option_env!("SOURCE_DATE_EPOCH"),
        "date": option_env!("RELEASE_DATE"),
        "revision": option_env!("SOURCE_REVISION"),
        "target": env!("TARGET"),
        "profile": env!("PROFILE"),
        "host": env!("HOST"),
        "rustc": env!("RUSTC_VERSION"),
        "ci": option_env!("CI"),
        "commit": option_env!("LAST_COMMIT_TIMESTAMP"),
        "built_by": option_env!("BUILT_BY"),
    })
}
"#;
        assert!(names(src).is_empty(), "{:?}", names(src));
    }

    #[test]
    fn stamp_tables_are_explained() {
        let text = super::stamps_table();
        for entry in ["`VERGEN`", "`GITHUB_*`", "`SOURCE_DATE_EPOCH`", "`*_DEPLOYMENT_TARGET`"] {
            assert!(text.contains(entry), "{entry} in {text}");
        }
    }

    /// Each finding names, in its message and its suggestion, the variable
    /// its own macro reads; `others` are the names it must not mention.
    fn assert_names_own_variable(src: &str, expected: usize) {
        let found = check_rule(&CompileTimeConfig, src);
        assert_eq!(found.len(), expected, "{src}\n{found:?}");
        for d in &found {
            let snippet = d.span.snippet();
            let read = snippet.split('"').nth(1).expect("a quoted name");
            let other = if read == "APP_PREFIX" {
                "APP_DATA_DIR"
            } else {
                "APP_PREFIX"
            };
            assert!(d.message.contains(&format!("`{read}`")), "{snippet}: {}", d.message);
            assert!(!d.message.contains(other), "{snippet}: {}", d.message);
            if let Some(s) = &d.suggestion {
                assert!(s.message.contains(read), "{snippet}: {}", s.message);
                assert!(
                    s.edits[0].replacement.contains(read),
                    "{snippet}: {}",
                    s.edits[0].replacement
                );
                assert!(
                    !s.edits[0].replacement.contains(other),
                    "{snippet}: {}",
                    s.edits[0].replacement
                );
            }
        }
    }

    #[test]
    fn messages_name_the_variable_the_macro_reads() {
        // Regression: in `lazy_static!` and `json!` bodies the second macro
        // was reported with the first one's variable, and its suggestion
        // swapped that name in.
        assert_names_own_variable(
            r#"
pub const PREFIX: &str = match option_env!("APP_PREFIX") {
    Some(v) => v,
    None => env!("APP_DATA_DIR"),
};
"#,
            2,
        );
        assert_names_own_variable(
            r#"
lazy_static::lazy_static! {
    static ref PREFIX: &'static str = match option_env!("APP_PREFIX") {
        Some(v) => v,
        None => env!("APP_DATA_DIR"),
    };
}
"#,
            2,
        );
        assert_names_own_variable(
            r#"
use std::path::PathBuf;
pub fn data_dir() -> PathBuf {
    PathBuf::from(option_env!("APP_PREFIX").unwrap_or(env!("APP_DATA_DIR")))
}
"#,
            2,
        );
        assert_names_own_variable(
            r#"pub const DIR: &str = concat!(env!("APP_PREFIX"), "-", env!("APP_DATA_DIR"));"#,
            2,
        );
        assert_names_own_variable(
            r#"
use serde_json::json;
pub fn settings() -> serde_json::Value {
    json!({ "prefix": option_env!("APP_PREFIX"), "data_dir": env!("APP_DATA_DIR") })
}
"#,
            2,
        );
    }

    #[test]
    fn test_code_is_fine() {
        let src = r#"
#[cfg(test)]
mod tests {
    #[test]
    fn db() { let url = env!("TEST_DATABASE_URL"); }
}
"#;
        assert!(names(src).is_empty());
    }

    #[test]
    fn a_local_macro_named_env_is_not_std() {
        let src = "use my_macros::env;\nfn f() { env!(\"X\"); }\n";
        assert!(names(src).is_empty());
    }

    #[test]
    fn suggestion_reads_at_run_time_except_in_constants() {
        let src = "const A: &str = env!(\"A\");\nfn f() { let b = option_env!(\"B\"); }\n";
        let found = check_rule(&CompileTimeConfig, src);
        assert!(found[0].suggestion.is_none());
        assert!(found[0].helps[0].contains("config struct"));
        let s = found[1].suggestion.as_ref().unwrap();
        assert_eq!(s.edits[0].replacement, r#"std::env::var("B").ok()"#);
    }

    #[test]
    fn fires_on_dotenv_macros() {
        let src = r#"
use dotenvy_macro::dotenv;
fn main() {
    let key = dotenv!("STRIPE_KEY");
    let url = dotenv_codegen::dotenv!("DATABASE_URL");
    dotenvy::dotenv().ok();
    let run_time = dotenvy::var("PORT");
}
"#;
        let found = check_rule(&CompileTimeConfig, src);
        let snippets: Vec<&str> = found.iter().map(|d| d.span.snippet()).collect();
        assert_eq!(
            snippets,
            [r#"dotenv!("STRIPE_KEY")"#, r#"dotenv_codegen::dotenv!("DATABASE_URL")"#]
        );
        assert!(found[0].message.contains(".env"), "{}", found[0].message);
    }

    #[test]
    fn bare_dotenv_needs_the_macro_crate() {
        let src = "#[macro_use]\nextern crate dotenv_codegen;\nfn main() { let k = dotenv!(\"API_KEY\"); }\n";
        assert!(check_rule(&CompileTimeConfig, src).is_empty());
        let found = check_rule_in(&CompileTimeConfig, src, |p| {
            p.dependencies.push(
                serde_json::from_value(serde_json::json!({
                    "name": "dotenv_codegen", "req": "^0.15", "kind": null, "optional": false,
                    "uses_default_features": true, "features": [], "target": null, "rename": null,
                    "registry": null, "source": "registry+https://github.com/rust-lang/crates.io-index"
                }))
                .unwrap(),
            );
        });
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn connection_addresses_baked_in_fire_even_from_the_build_script() {
        let src = r#"
use sqlx::postgres::PgPoolOptions;
async fn db() {
    let pool = sqlx::PgPool::connect(env!("DATABASE_URL")).await;
    let redis = redis::Client::open(format!("redis://{}/", env!("REDIS_HOST")));
    let pool = PgPoolOptions::new().connect(&String::from(env!("DATABASE_URL"))).await;
    let name = env!("DATABASE_URL");
}
"#;
        let found = check_rule_in(&CompileTimeConfig, src, |p| {
            p.build_env.insert("DATABASE_URL".into());
            p.build_env.insert("REDIS_HOST".into());
        });
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`PgPool::connect` connects to the `DATABASE_URL` of the machine that compiled it",
                "`Client::open` connects to the `REDIS_HOST` of the machine that compiled it",
                "`PgPoolOptions::connect` connects to the `DATABASE_URL` of the machine that compiled it",
            ]
        );
    }

    #[test]
    fn variables_a_build_helper_crate_sets_are_the_builds() {
        let profiles = r#"//! Build profiles, applied from each server crate's build script.
pub fn apply_profile() {
    let profile = std::env::var("IDM_BUILD_PROFILE").unwrap_or_else(|_| "developer".into());
    println!("cargo:rustc-env=IDM_PROFILE_NAME={profile}");
    println!(
        "cargo:rustc-env=IDM_SERVER_CONFIG_PATH={}",
        "/etc/idm/server.toml"
    );
}
"#;
        let server = r#"use std::path::PathBuf;

fn main() {
    let config = PathBuf::from(env!("IDM_SERVER_CONFIG_PATH"));
    let db = env!("IDM_DATABASE_PATH");
    println!("{} {config:?} {db}", env!("IDM_PROFILE_NAME"));
    loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}
"#;
        let outcome = crate::test_support::check_workspace(
            &[&CompileTimeConfig],
            &[
                ("Cargo.toml", "[workspace]\nmembers = [\"profiles\", \"server\"]\n"),
                (
                    "profiles/Cargo.toml",
                    "[package]\nname = \"profiles\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
                ),
                ("profiles/src/lib.rs", profiles),
                (
                    "server/Cargo.toml",
                    "[package]\nname = \"idmd\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[build-dependencies]\nprofiles = { path = \"../profiles\" }\n",
                ),
                ("server/build.rs", "fn main() {\n    profiles::apply_profile();\n}\n"),
                ("server/src/main.rs", server),
            ],
        );
        let messages: Vec<&str> = outcome.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            ["`env!` bakes `IDM_DATABASE_PATH` into the binary at compile time"]
        );
    }
}

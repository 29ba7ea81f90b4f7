//! The collector: the [`EnvReads`] hooks that record each read during the
//! engine's pass, and [`inventory`], which turns the facts into read sites.

use std::collections::BTreeMap;
use std::path::Path;

use super::{EnvReads, EnvVar, Fallback, Read, looks_secret};
use crate::diagnostic::Span;
use crate::engine::{Call, Cx, Fact, MacroCall, Outcome};
use crate::rules::{Rule, RuleMeta};

/// Functions that read one variable by name: the canonical path and the
/// source shown in the inventory.
const VAR_READS: &[&str] = &["std::env::var", "std::env::var_os", "dotenvy::var", "dotenv::var"];

/// Methods on a read's result that supply a value when it is unset.
const DEFAULT_STEPS: &[&str] = &[
    "unwrap_or",
    "unwrap_or_else",
    "unwrap_or_default",
    "or",
    "or_else",
    "map_or",
    "map_or_else",
];
/// Methods that make the read optional (the code handles absence).
const OPTIONAL_STEPS: &[&str] = &["ok", "is_ok", "is_err", "is_some", "is_none"];
/// Methods that fail or panic when the variable is unset.
const REQUIRED_STEPS: &[&str] = &["unwrap", "expect"];

const ENVY_FROM_ENV: &[&str] = &["envy::from_env", "envy::from_iter"];
const ENVY_PREFIXED: &[&str] = &["envy::prefixed"];
/// Prefix sources: every variable starting with the prefix is config.
const PREFIX_SOURCES: &[&str] = &[
    "config::Environment::with_prefix",
    "config::builder::Environment::with_prefix",
    "figment::providers::Env::prefixed",
];
/// Prefix given as a builder method on a config `Environment`.
const CONFIG_ENV_CONSTRUCTORS: &[&str] = &[
    "config::Environment::default",
    "config::Environment::new",
    "config::Environment::with_prefix",
];
const SERDE_DERIVES: &[&str] = &["Deserialize", "serde::Deserialize"];
const CLAP_ATTRS: &[&str] = &["arg", "clap", "structopt"];
const CLAP_DEFAULT_KEYS: &[&str] = &[
    "default_value",
    "default_value_t",
    "default_values_t",
    "default_value_os_t",
    "default_values",
    "default_missing_value",
];

impl Rule for EnvReads {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_call(&self, cx: &mut Cx<'_>, call: &Call<'_>) {
        if cx.in_test() {
            return;
        }
        if let Some(source) = call.matched(VAR_READS) {
            if let Some(name) = call.args.first().and_then(|a| str_value(cx, a)) {
                let span = cx.span(call.expr);
                cx.record(span, Read::Var { name, source });
            }
            return;
        }
        if let Some(source) = call.matched(PREFIX_SOURCES) {
            if let Some(prefix) = call.args.first().and_then(|a| str_value(cx, a)) {
                let span = cx.span(call.expr);
                cx.record(span, Read::Prefix { prefix, source });
            }
            return;
        }
        if call.is(ENVY_FROM_ENV) {
            if let Some(ty) = turbofish(call.expr) {
                let span = cx.span(call.expr);
                cx.record(
                    span,
                    Read::Envy {
                        ty,
                        prefix: String::new(),
                    },
                );
            }
            return;
        }
        let Some(method) = call.method else { return };
        let method = method.to_string();
        // `envy::prefixed("APP_").from_env::<Config>()`
        if method == "from_env" && call.chain.root_is(ENVY_PREFIXED) && call.chain.steps.len() == 1 {
            let prefix = root_call(call.expr)
                .and_then(|c| c.args.first())
                .and_then(|a| str_value(cx, a))
                .unwrap_or_default();
            if let Some(ty) = turbofish(call.expr) {
                let span = cx.span(call.expr);
                cx.record(span, Read::Envy { ty, prefix });
            }
            return;
        }
        // `config::Environment::default().prefix("APP")`
        if method == "prefix" && call.chain.root_is(CONFIG_ENV_CONSTRUCTORS) {
            if let Some(prefix) = call.args.first().and_then(|a| str_value(cx, a)) {
                let span = cx.span(call.expr);
                cx.record(
                    span,
                    Read::Prefix {
                        prefix,
                        source: "config::Environment::prefix",
                    },
                );
            }
            return;
        }
        // `env::var("X").unwrap_or(..)`: mark the read it starts from.
        if call.chain.root_is(VAR_READS) && call.chain.steps.last().is_some_and(|s| s.name == method) {
            let handled = if DEFAULT_STEPS.contains(&method.as_str()) {
                Fallback::Yes
            } else if OPTIONAL_STEPS.contains(&method.as_str()) {
                Fallback::Optional
            } else if REQUIRED_STEPS.contains(&method.as_str()) {
                Fallback::No
            } else {
                return;
            };
            if let Some(root) = root_call(call.expr) {
                let span = cx.span(root);
                cx.record(span, Read::Handled(handled));
            }
        }
    }

    fn check_expr(&self, cx: &mut Cx<'_>, expr: &syn::Expr) {
        // `env::var("X")?` is required; `match env::var("X") {..}` and
        // `if let Ok(v) = env::var("X")` handle absence.
        let (inner, handled) = match expr {
            syn::Expr::Try(t) => (&*t.expr, Fallback::No),
            syn::Expr::Match(m) => (&*m.expr, Fallback::Optional),
            syn::Expr::Let(l) => (&*l.expr, Fallback::Optional),
            _ => return,
        };
        mark_read(cx, inner, handled);
    }

    fn check_macro(&self, cx: &mut Cx<'_>, mac: &MacroCall<'_>) {
        // `matches!(env::var("X"), Ok(_))`
        if mac.mac.path.segments.last().is_some_and(|s| s.ident == "matches")
            && let Some(first) = mac.args.and_then(|a| a.first())
        {
            mark_read(cx, first, Fallback::Optional);
        }
    }

    fn check_local(&self, cx: &mut Cx<'_>, local: &syn::Local) {
        // `let config: Config = envy::from_env()?;`
        if cx.in_test() {
            return;
        }
        let (syn::Pat::Type(pt), Some(init)) = (&local.pat, &local.init) else {
            return;
        };
        let Some(root) = root_call(&init.expr) else { return };
        let syn::Expr::Path(p) = &*root.func else { return };
        let paths = cx.resolve(&p.path);
        if !paths.iter().any(|p| ENVY_FROM_ENV.contains(&p.as_str())) || turbofish_of_path(&p.path).is_some() {
            return;
        }
        if let Some(ty) = type_name(&pt.ty) {
            let span = cx.span(root);
            cx.record(
                span,
                Read::Envy {
                    ty,
                    prefix: String::new(),
                },
            );
        }
    }

    fn check_item(&self, cx: &mut Cx<'_>, item: &syn::Item) {
        if cx.in_test() {
            return;
        }
        let syn::Item::Struct(s) = item else { return };
        let syn::Fields::Named(fields) = &s.fields else { return };
        let deserialize = derives(&s.attrs, SERDE_DERIVES);
        let rename_all = serde_rename_all(&s.attrs);
        let struct_default = serde_flag(&s.attrs, "default");
        let mut envy_fields = Vec::new();
        for field in &fields.named {
            let Some(ident) = &field.ident else { continue };
            let ident = ident.to_string();
            let ident = ident.strip_prefix("r#").unwrap_or(&ident).to_string();
            let optional = type_name(&field.ty).as_deref() == Some("Option");
            if let Some((name, default)) = clap_env(&field.attrs, &ident) {
                let default = if default {
                    Fallback::Yes
                } else if optional || type_name(&field.ty).as_deref() == Some("bool") {
                    Fallback::Optional
                } else {
                    Fallback::No
                };
                let span = cx.span(field);
                cx.record(span, Read::Clap { name, default });
            }
            if deserialize && !serde_flag(&field.attrs, "skip") && !serde_flag(&field.attrs, "flatten") {
                let name =
                    serde_rename(&field.attrs).unwrap_or_else(|| apply_rename_all(&ident, rename_all.as_deref()));
                let default = if struct_default || serde_flag(&field.attrs, "default") {
                    Fallback::Yes
                } else if optional {
                    Fallback::Optional
                } else {
                    Fallback::No
                };
                envy_fields.push((name, default));
            }
        }
        if deserialize && !envy_fields.is_empty() {
            let span = cx.span(&s.ident);
            cx.record(
                span,
                Read::Struct {
                    name: s.ident.to_string(),
                    fields: envy_fields,
                },
            );
        }
    }
}

/// Marks the read a chain starts from (`env::var("X").map(..)`) as handled.
fn mark_read(cx: &mut Cx<'_>, expr: &syn::Expr, handled: Fallback) {
    if cx.in_test() {
        return;
    }
    let Some(root) = root_call(expr) else { return };
    let syn::Expr::Path(p) = &*root.func else { return };
    if cx.resolve(&p.path).iter().any(|p| VAR_READS.contains(&p.as_str())) {
        let span = cx.span(root);
        cx.record(span, Read::Handled(handled));
    }
}

/// A string literal, or a `const`/`static` of this file holding one.
fn str_value(cx: &Cx<'_>, expr: &syn::Expr) -> Option<String> {
    match strip(expr) {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s), ..
        }) => Some(s.value()),
        syn::Expr::Path(p) => match cx.const_init(&p.path).map(strip) {
            Some(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s), ..
            })) => Some(s.value()),
            _ => None,
        },
        _ => None,
    }
}

fn strip(mut expr: &syn::Expr) -> &syn::Expr {
    loop {
        match expr {
            syn::Expr::Reference(r) => expr = &r.expr,
            syn::Expr::Paren(p) => expr = &p.expr,
            syn::Expr::Group(g) => expr = &g.expr,
            _ => return expr,
        }
    }
}

/// The path call a method chain starts from.
fn root_call(mut expr: &syn::Expr) -> Option<&syn::ExprCall> {
    loop {
        match expr {
            syn::Expr::MethodCall(m) => expr = &m.receiver,
            syn::Expr::Try(t) => expr = &t.expr,
            syn::Expr::Await(a) => expr = &a.base,
            syn::Expr::Paren(p) => expr = &p.expr,
            syn::Expr::Call(c) => return Some(c),
            _ => return None,
        }
    }
}

/// `T` in `from_env::<T>()` (a path call or a method call).
fn turbofish(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) => turbofish_of_path(&p.path),
            _ => None,
        },
        syn::Expr::MethodCall(m) => m.turbofish.as_ref().and_then(|t| generic_type(&t.args)),
        _ => None,
    }
}

fn turbofish_of_path(path: &syn::Path) -> Option<String> {
    match &path.segments.last()?.arguments {
        syn::PathArguments::AngleBracketed(a) => generic_type(&a.args),
        _ => None,
    }
}

fn generic_type(args: &syn::punctuated::Punctuated<syn::GenericArgument, syn::Token![,]>) -> Option<String> {
    args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(t) => type_name(t),
        _ => None,
    })
}

/// The last segment of a path type: `Config` for `crate::Config`.
fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        syn::Type::Reference(r) => type_name(&r.elem),
        syn::Type::Paren(p) => type_name(&p.elem),
        _ => None,
    }
}

fn derives(attrs: &[syn::Attribute], names: &[&str]) -> bool {
    attrs.iter().filter(|a| a.path().is_ident("derive")).any(|a| {
        a.parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
            .is_ok_and(|paths| {
                paths.iter().any(|p| {
                    let text: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
                    names.contains(&text.join("::").as_str())
                })
            })
    })
}

/// The `key = "value"` and bare `key` entries of `#[serde(..)]`-style attributes.
fn attr_entries(attrs: &[syn::Attribute], names: &[&str]) -> Vec<(String, Option<String>)> {
    type Metas = syn::punctuated::Punctuated<syn::Meta, syn::Token![,]>;
    let mut lists: Vec<Metas> = Vec::new();
    for attr in attrs {
        let Ok(metas) = attr.parse_args_with(Metas::parse_terminated) else {
            continue;
        };
        if names.iter().any(|n| attr.path().is_ident(n)) {
            lists.push(metas);
        } else if attr.path().is_ident("cfg_attr") {
            // `#[cfg_attr(feature = "x", arg(env = "Y"))]`: the attributes after the predicate.
            for nested in metas.into_iter().skip(1) {
                if let syn::Meta::List(l) = nested
                    && names.iter().any(|n| l.path.is_ident(n))
                    && let Ok(inner) = l.parse_args_with(Metas::parse_terminated)
                {
                    lists.push(inner);
                }
            }
        }
    }
    let mut out = Vec::new();
    for metas in lists {
        for meta in metas {
            match meta {
                syn::Meta::Path(p) => {
                    if let Some(i) = p.get_ident() {
                        out.push((i.to_string(), None));
                    }
                }
                syn::Meta::NameValue(nv) => {
                    let Some(i) = nv.path.get_ident() else { continue };
                    let value = match &nv.value {
                        syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(s), ..
                        }) => Some(s.value()),
                        _ => Some(String::new()),
                    };
                    out.push((i.to_string(), value));
                }
                syn::Meta::List(l) => {
                    if let Some(i) = l.path.get_ident() {
                        out.push((i.to_string(), Some(String::new())));
                    }
                }
            }
        }
    }
    out
}

fn serde_flag(attrs: &[syn::Attribute], key: &str) -> bool {
    attr_entries(attrs, &["serde"])
        .iter()
        .any(|(k, _)| k == key || (key == "skip" && (k == "skip_deserializing" || k == "skip")))
}

fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    attr_entries(attrs, &["serde"])
        .into_iter()
        .find(|(k, v)| k == "rename" && v.as_ref().is_some_and(|v| !v.is_empty()))
        .and_then(|(_, v)| v)
}

fn serde_rename_all(attrs: &[syn::Attribute]) -> Option<String> {
    attr_entries(attrs, &["serde"])
        .into_iter()
        .find(|(k, _)| k == "rename_all")
        .and_then(|(_, v)| v)
}

/// A field name as serde sees it under `rename_all`; envy then matches it
/// against the lower-cased variable name, so only the separators matter.
fn apply_rename_all(field: &str, rule: Option<&str>) -> String {
    match rule {
        Some("kebab-case") | Some("SCREAMING-KEBAB-CASE") => field.replace('_', "-"),
        Some("camelCase") | Some("PascalCase") | Some("lowercase") | Some("UPPERCASE") => field.replace('_', ""),
        _ => field.to_string(),
    }
}

/// `#[arg(env = "PORT")]` or `#[arg(long, env)]` (the field name,
/// upper-cased), and whether a default value is given.
fn clap_env(attrs: &[syn::Attribute], field: &str) -> Option<(String, bool)> {
    let entries = attr_entries(attrs, CLAP_ATTRS);
    let name = entries.iter().find(|(k, _)| k == "env").map(|(_, v)| match v {
        Some(v) if !v.is_empty() => v.clone(),
        _ => field.to_ascii_uppercase(),
    })?;
    let default = entries.iter().any(|(k, _)| CLAP_DEFAULT_KEYS.contains(&k.as_str()));
    Some((name, default))
}

fn location(span: &Span, root: &Path) -> (String, usize, usize) {
    let path = span.path();
    let rel = path.strip_prefix(root).unwrap_or(path);
    let start = span.start();
    (rel.display().to_string(), start.line, start.col)
}

/// The inventory from a run's facts: one entry per read site, sorted by
/// name, then file and line.
pub fn inventory(facts: &[Fact], workspace_root: &Path) -> Vec<EnvVar> {
    let mine: Vec<(&Fact, &Read)> = facts
        .iter()
        .filter(|f| f.rule == EnvReads::META.name)
        .filter_map(|f| f.get::<Read>().map(|r| (f, r)))
        .collect();
    let mut handled: BTreeMap<(std::path::PathBuf, usize), Fallback> = BTreeMap::new();
    let mut structs: BTreeMap<(usize, &str), &[(String, Fallback)]> = BTreeMap::new();
    for (fact, read) in &mine {
        match read {
            Read::Handled(d) => {
                let slot = handled
                    .entry((fact.span.path().to_path_buf(), fact.span.range.start))
                    .or_insert(*d);
                *slot = (*slot).max(*d);
            }
            Read::Struct { name, fields } => {
                structs.insert((fact.origin.package, name.as_str()), fields);
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (fact, read) in &mine {
        let (file, line, column) = location(&fact.span, workspace_root);
        let mut push = |name: String, source: String, default: Fallback| {
            out.push(EnvVar {
                secret: looks_secret(&name),
                name,
                file: file.clone(),
                line,
                column,
                source,
                default,
            });
        };
        match read {
            Read::Var { name, source } => {
                // `var_os` returns an `Option`: absence is handled by type.
                let base = if source.ends_with("var_os") {
                    Fallback::Optional
                } else {
                    Fallback::Unknown
                };
                let default = handled
                    .get(&(fact.span.path().to_path_buf(), fact.span.range.start))
                    .copied()
                    .map_or(base, |d| d.max(base));
                push(name.clone(), source.to_string(), default);
            }
            Read::Prefix { prefix, source } => {
                let sep = if prefix.ends_with('_') || source.starts_with("figment") {
                    ""
                } else {
                    "_"
                };
                push(format!("{prefix}{sep}*"), source.to_string(), Fallback::Optional);
            }
            Read::Envy { ty, prefix } => {
                let source = if prefix.is_empty() {
                    format!("envy::from_env::<{ty}>")
                } else {
                    format!("envy::prefixed({prefix:?}).from_env::<{ty}>")
                };
                match structs.get(&(fact.origin.package, ty.as_str())) {
                    Some(fields) => {
                        for (field, default) in fields.iter() {
                            push(
                                format!("{prefix}{}", field.to_ascii_uppercase()),
                                source.clone(),
                                *default,
                            );
                        }
                    }
                    None => push(format!("{prefix}*"), source, Fallback::Optional),
                }
            }
            Read::Clap { name, default } => push(name.clone(), "clap #[arg(env)]".into(), *default),
            Read::Handled(_) | Read::Struct { .. } => {}
        }
    }
    out.sort_by(|a, b| (&a.name, &a.file, a.line, a.column).cmp(&(&b.name, &b.file, b.line, b.column)));
    out.dedup_by(|a, b| a.name == b.name && a.file == b.file && a.line == b.line && a.column == b.column);
    out
}

/// Runs the collector alone over the workspace.
pub fn collect(workspace: &crate::workspace::Workspace, options: &crate::engine::Options) -> (Vec<EnvVar>, Outcome) {
    let outcome = crate::engine::check(workspace, &[&EnvReads], options);
    (inventory(&outcome.facts, &workspace.root), outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(src: &str) -> Vec<(String, Fallback, String)> {
        let pkg = crate::test_support::package();
        let outcome_facts = crate::engine::check_source_facts(
            &pkg,
            &[&EnvReads],
            Path::new("/app/src/main.rs"),
            src,
            crate::workspace::TargetKind::Bin,
        );
        inventory(&outcome_facts, Path::new("/app"))
            .into_iter()
            .map(|v| (v.name, v.default, v.source))
            .collect()
    }

    fn names(src: &str) -> Vec<String> {
        vars(src).into_iter().map(|v| v.0).collect()
    }

    #[test]
    fn std_and_dotenvy_reads_with_defaults() {
        let src = r#"
use std::env;
use dotenvy::var as dvar;
const PORT_VAR: &str = "PORT";
fn main() {
    let url = env::var("DATABASE_URL").expect("DATABASE_URL must be set");
    let port: u16 = env::var(PORT_VAR).ok().and_then(|p| p.parse().ok()).unwrap_or(8080);
    let level = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into());
    let home = env::var_os("HOME");
    let key = dvar("STRIPE_API_KEY")?;
    let color = match env::var("NO_COLOR") { Ok(_) => false, Err(_) => true };
    if let Ok(dir) = env::var("CACHE_DIR") { use_dir(dir); }
    let debug = matches!(env::var("APP_DEBUG").as_deref(), Ok("1"));
    let editor = env::var("EDITOR").map(|e| e.to_uppercase());
    let region = env::var("REGION").unwrap();
    env::set_var("TZ", "UTC");
    let dynamic = env::var(format!("{}_URL", svc));
}
#[cfg(test)]
mod tests {
    fn t() { std::env::var("TEST_ONLY").unwrap(); }
}
"#;
        assert_eq!(
            vars(src),
            [
                ("APP_DEBUG".into(), Fallback::Optional, "std::env::var".into()),
                ("CACHE_DIR".into(), Fallback::Optional, "std::env::var".into()),
                ("DATABASE_URL".into(), Fallback::No, "std::env::var".into()),
                ("EDITOR".into(), Fallback::Unknown, "std::env::var".into()),
                ("HOME".into(), Fallback::Optional, "std::env::var_os".into()),
                ("NO_COLOR".into(), Fallback::Optional, "std::env::var".into()),
                ("PORT".into(), Fallback::Yes, "std::env::var".into()),
                ("REGION".into(), Fallback::No, "std::env::var".into()),
                ("RUST_LOG".into(), Fallback::Yes, "std::env::var".into()),
                ("STRIPE_API_KEY".into(), Fallback::No, "dotenvy::var".into()),
            ]
        );
    }

    #[test]
    fn envy_structs_with_prefix_rename_and_defaults() {
        let src = r#"
use serde::Deserialize;
#[derive(Debug, Deserialize)]
struct Config {
    database_url: String,
    #[serde(default = "default_port")]
    port: u16,
    #[serde(rename = "redis_dsn")]
    redis: Option<String>,
}
#[derive(Deserialize)]
#[serde(default)]
struct Worker { concurrency: usize }
#[derive(Debug)]
struct NotConfig { ignored: String }
fn main() -> anyhow::Result<()> {
    let config = envy::from_env::<Config>()?;
    let worker: Worker = envy::prefixed("WORKER_").from_env::<Worker>()?;
    let again: Config = envy::from_env()?;
    Ok(())
}
"#;
        let found = vars(src);
        let got: Vec<(&str, Fallback)> = found.iter().map(|v| (v.0.as_str(), v.1)).collect();
        assert_eq!(
            got,
            [
                ("DATABASE_URL", Fallback::No),
                ("DATABASE_URL", Fallback::No),
                ("PORT", Fallback::Yes),
                ("PORT", Fallback::Yes),
                ("REDIS_DSN", Fallback::Optional),
                ("REDIS_DSN", Fallback::Optional),
                ("WORKER_CONCURRENCY", Fallback::Yes),
            ]
        );
        assert_eq!(
            found.last().unwrap().2,
            "envy::prefixed(\"WORKER_\").from_env::<Worker>"
        );
    }

    #[test]
    fn config_figment_and_clap() {
        let src = r#"
use clap::Parser;
use config::{Config, Environment};
use figment::{Figment, providers::{Env, Format, Toml}};
#[derive(Parser)]
struct Args {
    #[arg(long, env = "LISTEN_ADDR", default_value = "0.0.0.0:8080")]
    listen: String,
    #[arg(long, env)]
    database_url: String,
    #[clap(long, env = "SENTRY_DSN")]
    sentry: Option<String>,
    #[cfg_attr(unix, arg(long, env = "SOCKET_PATH", default_value = "/run/app.sock"))]
    socket: String,
    #[arg(short, long)]
    verbose: bool,
}
fn load() {
    let c = Config::builder().add_source(Environment::with_prefix("APP").separator("__")).build();
    let f = Figment::new().merge(Toml::file("App.toml")).merge(Env::prefixed("SVC_"));
    let e = config::Environment::default().prefix("LEGACY");
}
"#;
        assert_eq!(
            names(src),
            [
                "APP_*",
                "DATABASE_URL",
                "LEGACY_*",
                "LISTEN_ADDR",
                "SENTRY_DSN",
                "SOCKET_PATH",
                "SVC_*"
            ]
        );
        let found = vars(src);
        assert_eq!(found[3].1, Fallback::Yes);
        assert_eq!(found[4].1, Fallback::Optional);
        assert_eq!(found[1].1, Fallback::No);
    }

    #[test]
    fn unrelated_functions_named_var_are_not_reads() {
        let src = r#"
mod template { pub fn var(name: &str) -> String { name.into() } }
use template::var;
fn f(ctx: &Ctx) {
    let x = var("NAME");
    let y = ctx.var("HOST");
    let z = env_config::from_env::<Cfg>();
}
"#;
        assert!(names(src).is_empty());
    }
}

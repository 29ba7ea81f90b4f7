//! The collector: the [`EnvReads`] hooks that record each read during the
//! engine's pass, and [`inventory`], which turns the facts into read sites.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{Arg, EnvReads, EnvVar, Fallback, Field, PrefixStep, Read, flow, secret_by_type};
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
/// figment's environment provider, for `.split(..)`.
const FIGMENT_ENV: &[&str] = &["figment::providers::Env::prefixed", "figment::providers::Env::raw"];
/// Providers that also read `NAME_FILE` as a path to the value.
const FILE_ADAPTERS: &[&str] = &[
    "figment_file_provider_adapter::FileAdapter::wrap",
    "figment_file_provider_adapter::FileAdapter::with_suffix",
];
/// Methods that deserialize a figment or config-rs builder into a struct.
const EXTRACT_METHODS: &[&str] = &["extract", "extract_lossy", "try_deserialize", "try_into", "deserialize"];
/// `EnvFilter` and logger constructors that read `RUST_LOG`.
const RUST_LOG_READS: &[&str] = &[
    "tracing_subscriber::EnvFilter::from_default_env",
    "tracing_subscriber::EnvFilter::try_from_default_env",
    "tracing_subscriber::filter::EnvFilter::from_default_env",
    "tracing_subscriber::filter::EnvFilter::try_from_default_env",
    "env_logger::init",
    "env_logger::try_init",
    "env_logger::Builder::from_default_env",
    "env_logger::Env::default",
    "pretty_env_logger::init",
    "pretty_env_logger::try_init",
    "pretty_env_logger::formatted_builder",
    "pretty_env_logger::formatted_timed_builder",
];
/// Every variable of the process.
const VARS_CALLS: &[&str] = &["std::env::vars", "std::env::vars_os"];
/// `tracing_subscriber::fmt::init()` reads `RUST_LOG` when the crate's
/// `env-filter` feature is on.
const FMT_INIT: &[&str] = &["tracing_subscriber::fmt::init", "tracing_subscriber::fmt::try_init"];
/// `EnvFilter` constructors that read the variable they are given.
const NAMED_FILTER_READS: &[&str] = &[
    "tracing_subscriber::EnvFilter::from_env",
    "tracing_subscriber::EnvFilter::try_from_env",
    "tracing_subscriber::filter::EnvFilter::from_env",
    "tracing_subscriber::filter::EnvFilter::try_from_env",
];
const ENV_FILTER_BUILDERS: &[&str] = &[
    "tracing_subscriber::EnvFilter::builder",
    "tracing_subscriber::filter::EnvFilter::builder",
];
/// `EnvFilter::builder()` steps that read the environment.
const FILTER_BUILDER_READS: &[&str] = &["from_env", "from_env_lossy", "try_from_env"];
/// Rocket 0.5: the default figment reads `ROCKET_*` (these are the keys
/// its guide documents for a deployment).
const ROCKET_05_CALLS: &[&str] = &["rocket::build", "rocket::Config::figment", "rocket::Rocket::build"];
const ROCKET_05: &[&str] = &[
    "ROCKET_ADDRESS",
    "ROCKET_PORT",
    "ROCKET_WORKERS",
    "ROCKET_LOG_LEVEL",
    "ROCKET_SECRET_KEY",
    "ROCKET_LIMITS",
    "ROCKET_TLS",
    "ROCKET_PROFILE",
    "ROCKET_CONFIG",
];
/// Rocket 0.4: `rocket::ignite()` reads `Rocket.toml` and `ROCKET_*`.
const ROCKET_04_CALLS: &[&str] = &["rocket::ignite", "rocket::config::RocketConfig::read"];
/// Rocket 0.4: the active environment is `ROCKET_ENV` alone.
const ROCKET_04_ENV_CALLS: &[&str] = &[
    "rocket::config::Environment::active",
    "rocket::Config::active",
    "rocket::config::Config::active",
];
const ROCKET_04: &[&str] = &[
    "ROCKET_ENV",
    "ROCKET_ADDRESS",
    "ROCKET_PORT",
    "ROCKET_WORKERS",
    "ROCKET_LOG",
    "ROCKET_SECRET_KEY",
    "ROCKET_LIMITS",
    "ROCKET_TLS",
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
    fn fact_types(&self) -> &'static [crate::engine::cache::FactType] {
        const { &[crate::engine::cache::FactType::of::<super::Read>()] }
    }

    fn check_call(&self, cx: &mut Cx<'_>, call: &Call<'_>) {
        if cx.in_test() {
            return;
        }
        if let Some(source) = call.matched(VAR_READS) {
            let Some(arg) = call.args.first() else { return };
            let span = cx.span(call.expr);
            if let Some(name) = str_value(cx, arg) {
                cx.record(span, Read::Var { name, source });
            } else if let Arg::Param { ident, prefix, suffix } = arg_of(cx, arg)
                && let Some(fn_path) = cx.enclosing_fn_path().map(str::to_string)
            {
                cx.record(
                    span,
                    Read::ParamFlow {
                        fn_path,
                        param: ident,
                        prefix,
                        suffix,
                        source,
                    },
                );
            }
            return;
        }
        if let Some(source) = call.matched(PREFIX_SOURCES) {
            if let Some(prefix) = call.args.first().and_then(|a| str_value(cx, a)) {
                let span = cx.span(call.expr);
                let fn_path = cx.enclosing_fn_path().map(str::to_string);
                cx.record(
                    span,
                    Read::Prefix {
                        prefix,
                        source,
                        fn_path,
                    },
                );
            }
            return;
        }
        if call.is(FILE_ADAPTERS) {
            if let Some(root) = call.args.first().and_then(|a| root_call(a)) {
                let span = cx.span(root);
                cx.record(span, Read::PrefixStep(PrefixStep::FileAdapter));
            }
            return;
        }
        if call.is(VARS_CALLS) {
            if let Some(fn_path) = cx.enclosing_fn_path().map(str::to_string) {
                let span = cx.span(call.expr);
                cx.record(span, Read::VarsCall { fn_path });
            }
            return;
        }
        if let Some(m) = call.method
            && (m == "strip_prefix" || m == "starts_with")
            && let Some(prefix) = call.args.first().and_then(|a| str_value(cx, a))
            && prefix.len() > 2
            && prefix.ends_with('_')
            && prefix
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            && let Some(fn_path) = cx.enclosing_fn_path().map(str::to_string)
        {
            let span = cx.span(call.expr);
            cx.record(span, Read::VarsPrefix { fn_path, prefix });
            return;
        }
        if let Some(framework) = framework_read(cx, call) {
            let span = cx.span(call.expr);
            cx.record(span, framework);
            return;
        }
        if call.method.is_none() && !call.args.is_empty() && workspace_callee(cx, &call.paths) {
            let args: Vec<Arg> = call.args.iter().map(|a| arg_of(cx, a)).collect();
            if args.iter().any(|a| *a != Arg::Other) {
                let span = cx.span(call.expr);
                let fn_path = cx.enclosing_fn_path().map(str::to_string);
                cx.record(
                    span,
                    Read::Call {
                        fn_path,
                        callees: call.paths.clone(),
                        args,
                    },
                );
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
        // `Env::prefixed("APP_").split("__")`, `Environment::with_prefix("app").separator("__")`
        let step = match method.as_str() {
            "split" if call.chain.root_is(FIGMENT_ENV) => Some(PrefixStep::Separator as fn(String) -> PrefixStep),
            "separator" if call.chain.root_is(CONFIG_ENV_CONSTRUCTORS) => Some(PrefixStep::Separator as _),
            "prefix_separator" if call.chain.root_is(CONFIG_ENV_CONSTRUCTORS) => Some(PrefixStep::PrefixSeparator as _),
            _ => None,
        };
        if let Some(step) = step {
            if let (Some(sep), Some(root)) = (call.args.first().and_then(|a| str_value(cx, a)), root_call(call.expr)) {
                let span = cx.span(root);
                cx.record(span, Read::PrefixStep(step(sep)));
            }
            return;
        }
        // `figment.extract::<Config>()`, `config.try_deserialize::<Settings>()`
        if EXTRACT_METHODS.contains(&method.as_str()) {
            if let Some(ty) = turbofish(call.expr) {
                let span = cx.span(call.expr);
                let fn_path = cx.enclosing_fn_path().map(str::to_string);
                let ty = self_type(&ty, fn_path.as_deref());
                cx.record(span, Read::Extract { ty, fn_path });
            }
            return;
        }
        // `config::Environment::default().prefix("APP")`
        if method == "prefix" && call.chain.root_is(CONFIG_ENV_CONSTRUCTORS) {
            if let Some(prefix) = call.args.first().and_then(|a| str_value(cx, a)) {
                let span = cx.span(call.expr);
                let fn_path = cx.enclosing_fn_path().map(str::to_string);
                cx.record(
                    span,
                    Read::Prefix {
                        prefix,
                        source: "config::Environment::prefix",
                        fn_path,
                    },
                );
            }
            return;
        }
        // `env::var("X").unwrap_or(..)`: mark the read it starts from (or
        // the wrapper call, `get_env("X").unwrap_or(..)`).
        if (call.chain.root_is(VAR_READS) || call.chain.root_str.is_some())
            && call.chain.steps.last().is_some_and(|s| s.name == method)
        {
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
        if mac.args.is_none() && !cx.in_test() {
            // Calls in tokens the engine does not parse: `json!({ "tz": env::var("TZ") })`.
            let mut calls = Vec::new();
            flow::token_calls(&mac.mac.tokens, &mut calls, 0);
            record_token_calls(cx, calls);
            // An invocation of a workspace macro: its field list, for macros
            // that build names from it.
            if workspace_callee(cx, mac.paths)
                && let Some(name) = mac.mac.path.segments.last().map(|s| s.ident.to_string())
            {
                let span = cx.span(&mac.mac.path);
                let seqs = flow::sequences(&mac.mac.tokens);
                cx.record(span, Read::MacroUse { name, seqs });
            }
        }
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
        if let Some(m) = outer_method(&init.expr)
            && EXTRACT_METHODS.contains(&m.method.to_string().as_str())
            && m.turbofish.is_none()
            && let Some(ty) = type_name(&pt.ty)
        {
            let span = cx.span(m);
            let fn_path = cx.enclosing_fn_path().map(str::to_string);
            let ty = self_type(&ty, fn_path.as_deref());
            cx.record(span, Read::Extract { ty, fn_path });
            return;
        }
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
        match item {
            syn::Item::Fn(f) => {
                let params: Vec<String> = f
                    .sig
                    .inputs
                    .iter()
                    .map(|i| match i {
                        syn::FnArg::Typed(t) => match &*t.pat {
                            syn::Pat::Ident(p) => p.ident.to_string(),
                            _ => String::new(),
                        },
                        syn::FnArg::Receiver(_) => "self".into(),
                    })
                    .collect();
                if let (false, Some(fn_path)) = (params.is_empty(), cx.enclosing_fn_path()) {
                    let fn_path = fn_path.to_string();
                    let span = cx.span(&f.sig.ident);
                    cx.record(span, Read::Params { fn_path, params });
                }
                // Rocket's `#[launch]` builds the default figment.
                if f.attrs
                    .iter()
                    .any(|a| a.path().segments.last().is_some_and(|s| s.ident == "launch"))
                    && cx.package().dependency("rocket").is_some()
                {
                    let span = cx.span(&f.sig.ident);
                    cx.record(span, rocket_vars(ROCKET_05, "rocket (figment)"));
                }
                return;
            }
            syn::Item::Macro(m) if m.mac.path.is_ident("macro_rules") => {
                let Some(ident) = &m.ident else { return };
                let mut calls = Vec::new();
                flow::token_calls(&m.mac.tokens, &mut calls, 0);
                record_token_calls(cx, calls);
                if let Some(def) = flow::macro_def(&ident.to_string(), &m.mac.tokens) {
                    let span = cx.span(ident);
                    cx.record(span, Read::MacroDef(def));
                }
                return;
            }
            _ => {}
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
            let types = type_idents(&field.ty);
            if let Some((name, default)) = clap_env(&field.attrs, &ident) {
                let default = if default {
                    Fallback::Yes
                } else if optional || type_name(&field.ty).as_deref() == Some("bool") {
                    Fallback::Optional
                } else {
                    Fallback::No
                };
                let span = cx.span(field);
                cx.record(
                    span,
                    Read::Clap {
                        name,
                        default,
                        types: types.clone(),
                    },
                );
            }
            if deserialize && !serde_flag(&field.attrs, "skip") {
                let name =
                    serde_rename(&field.attrs).unwrap_or_else(|| apply_rename_all(&ident, rename_all.as_deref()));
                let default = if struct_default || serde_flag(&field.attrs, "default") || builder_default(&field.attrs)
                {
                    Fallback::Yes
                } else if optional {
                    Fallback::Optional
                } else {
                    Fallback::No
                };
                envy_fields.push(Field {
                    name,
                    default,
                    types,
                    flatten: serde_flag(&field.attrs, "flatten"),
                });
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

/// A variable a framework call reads by itself.
fn framework_read(cx: &Cx<'_>, call: &Call<'_>) -> Option<Read> {
    let framework = |names: &[&str], source: &'static str, default: Fallback| Read::Framework {
        names: names.iter().map(|n| n.to_string()).collect(),
        source,
        default,
    };
    if let Some(source) = call.matched(RUST_LOG_READS) {
        return Some(framework(&["RUST_LOG"], source, Fallback::Optional));
    }
    if let Some(source) = call.matched(FMT_INIT)
        && cx
            .package()
            .dependency("tracing-subscriber")
            .is_some_and(|d| d.features.iter().any(|f| f == "env-filter"))
    {
        return Some(framework(&["RUST_LOG"], source, Fallback::Optional));
    }
    if let Some(source) = call.matched(NAMED_FILTER_READS) {
        let name = call.args.first().and_then(|a| str_value(cx, a))?;
        return Some(framework(&[&name], source, Fallback::Optional));
    }
    if call.matched(ROCKET_05_CALLS).is_some() && cx.package().dependency("rocket").is_some() {
        return Some(rocket_vars(ROCKET_05, "rocket (figment)"));
    }
    if call.matched(ROCKET_04_CALLS).is_some() && cx.package().dependency("rocket").is_some() {
        return Some(rocket_vars(ROCKET_04, "rocket::ignite"));
    }
    if call.matched(ROCKET_04_ENV_CALLS).is_some() && cx.package().dependency("rocket").is_some() {
        return Some(rocket_vars(&["ROCKET_ENV"], "rocket::config::Environment::active"));
    }
    let method = call.method?.to_string();
    if FILTER_BUILDER_READS.contains(&method.as_str()) && call.chain.root_is(ENV_FILTER_BUILDERS) {
        // `.with_env_var("APP_LOG")` names another variable.
        let name = match call.args.first().and_then(|a| str_value(cx, a)) {
            Some(n) => n,
            None => with_env_var(cx, call.expr).unwrap_or_else(|| "RUST_LOG".into()),
        };
        return Some(framework(
            &[&name],
            "tracing_subscriber::EnvFilter::builder",
            Fallback::Optional,
        ));
    }
    None
}

fn rocket_vars(names: &[&str], source: &'static str) -> Read {
    Read::Framework {
        names: names.iter().map(|n| n.to_string()).collect(),
        source,
        default: Fallback::Yes,
    }
}

/// The literal of a `.with_env_var("X")` step in a builder chain.
fn with_env_var(cx: &Cx<'_>, mut expr: &syn::Expr) -> Option<String> {
    while let syn::Expr::MethodCall(m) = expr {
        if m.method == "with_env_var" {
            return m.args.first().and_then(|a| str_value(cx, a));
        }
        expr = &m.receiver;
    }
    None
}

/// Whether a callee is workspace code: not std, not a registry
/// dependency, and named like a crate (`Some(..)` is not).
fn workspace_callee(cx: &Cx<'_>, paths: &[String]) -> bool {
    let Some(first) = paths.first().and_then(|p| p.split("::").next()) else {
        return false;
    };
    if ["std", "core", "alloc"].contains(&first) || !first.starts_with(|c: char| c.is_ascii_lowercase()) {
        return false;
    }
    !cx.package()
        .dependencies
        .iter()
        .any(|d| d.path.is_none() && d.rename.as_deref().unwrap_or(&d.name).replace('-', "_") == first)
}

/// Records the calls found in macro tokens: reads of `env::var`, and calls
/// into the workspace with a literal (a wrapper, maybe).
fn record_token_calls(cx: &mut Cx<'_>, calls: Vec<flow::TokenCall>) {
    for c in calls {
        let Ok(path) = syn::parse_str::<syn::Path>(&c.path) else {
            continue;
        };
        let paths = cx.resolve(&path);
        let span = cx.span_of(c.range.clone());
        if let Some(source) = paths.iter().find_map(|p| VAR_READS.iter().find(|v| **v == p.as_str())) {
            cx.record(span, Read::Var { name: c.lit, source });
        } else if workspace_callee(cx, &paths) {
            let fn_path = cx.enclosing_fn_path().map(str::to_string);
            cx.record(
                span,
                Read::Call {
                    fn_path,
                    callees: paths,
                    args: vec![Arg::Lit(c.lit)],
                },
            );
        }
    }
}

/// An argument as the wrapper analysis sees it: a literal, a name built
/// from a parameter (`key`, `&key`, `key.as_str()`, `format!("{key}_FILE")`,
/// or a local holding one of those), or anything else.
fn arg_of(cx: &Cx<'_>, expr: &syn::Expr) -> Arg {
    arg_at(cx, expr, 0)
}

fn arg_at(cx: &Cx<'_>, expr: &syn::Expr, depth: usize) -> Arg {
    if let Some(s) = str_value(cx, expr) {
        return Arg::Lit(s);
    }
    let param = |ident: String| Arg::Param {
        ident,
        prefix: String::new(),
        suffix: String::new(),
    };
    match strip(expr) {
        syn::Expr::Path(p) if p.qself.is_none() => {
            let Some(ident) = p.path.get_ident() else {
                return Arg::Other;
            };
            let ident = ident.to_string();
            if ident.starts_with(|c: char| c.is_ascii_uppercase()) {
                return Arg::Other;
            }
            match cx.local_init(&ident) {
                Some(init) if depth < 2 => arg_at(cx, &init.clone(), depth + 1),
                Some(_) => Arg::Other,
                None => param(ident),
            }
        }
        syn::Expr::MethodCall(m)
            if m.args.is_empty()
                && ["as_str", "as_ref", "to_string", "to_owned", "clone", "into"]
                    .contains(&m.method.to_string().as_str()) =>
        {
            arg_at(cx, &m.receiver, depth)
        }
        syn::Expr::Macro(m) if m.mac.path.segments.last().is_some_and(|s| s.ident == "format") => {
            format_param(&m.mac).unwrap_or(Arg::Other)
        }
        _ => Arg::Other,
    }
}

/// `format!("{key}_FILE")` or `format!("APP_{}", key)`: one placeholder
/// filled by an identifier.
fn format_param(mac: &syn::Macro) -> Option<Arg> {
    let args = mac
        .parse_body_with(syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        .ok()?;
    let mut args = args.iter();
    let syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(fmt),
        ..
    }) = args.next()?
    else {
        return None;
    };
    let fmt = fmt.value();
    let open = fmt.find('{')?;
    let close = open + fmt[open..].find('}')?;
    let (prefix, inner, suffix) = (&fmt[..open], &fmt[open + 1..close], &fmt[close + 1..]);
    if prefix.contains(['{', '}']) || suffix.contains(['{', '}']) {
        return None;
    }
    let inner = inner.split(':').next().unwrap_or_default();
    let ident = if inner.is_empty() {
        match args.next()? {
            syn::Expr::Path(p) => p.path.get_ident()?.to_string(),
            syn::Expr::Reference(r) => match &*r.expr {
                syn::Expr::Path(p) => p.path.get_ident()?.to_string(),
                _ => return None,
            },
            _ => return None,
        }
    } else if inner.chars().all(|c| c.is_alphanumeric() || c == '_') && !inner.starts_with(|c: char| c.is_ascii_digit())
    {
        inner.to_string()
    } else {
        return None;
    };
    Some(Arg::Param {
        ident,
        prefix: prefix.to_string(),
        suffix: suffix.to_string(),
    })
}

/// `Self` in a method of `impl Settings` is `Settings`.
fn self_type(ty: &str, fn_path: Option<&str>) -> String {
    if ty != "Self" {
        return ty.to_string();
    }
    fn_path.and_then(|p| p.rsplit("::").nth(1)).unwrap_or(ty).to_string()
}

/// The outermost method call of an initializer, through `?` and `.await`.
fn outer_method(mut expr: &syn::Expr) -> Option<&syn::ExprMethodCall> {
    loop {
        match expr {
            syn::Expr::Try(t) => expr = &t.expr,
            syn::Expr::Await(a) => expr = &a.base,
            syn::Expr::Paren(p) => expr = &p.expr,
            syn::Expr::MethodCall(m)
                if ["unwrap", "expect", "context", "map_err", "with_context", "wrap_err"]
                    .contains(&m.method.to_string().as_str()) =>
            {
                expr = &m.receiver
            }
            syn::Expr::MethodCall(m) => return Some(m),
            _ => return None,
        }
    }
}

/// Every identifier of a type: `Option<SecUtf8>` gives `Option`, `SecUtf8`.
fn type_idents(ty: &syn::Type) -> Vec<String> {
    fn walk(tokens: proc_macro2::TokenStream, out: &mut Vec<String>) {
        for t in tokens {
            match t {
                proc_macro2::TokenTree::Ident(i) => out.push(i.to_string()),
                proc_macro2::TokenTree::Group(g) => walk(g.stream(), out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(quote::ToTokens::to_token_stream(ty), &mut out);
    out
}

/// derive_builder's `#[builder(default)]` / `#[builder(default = "..")]`.
fn builder_default(attrs: &[syn::Attribute]) -> bool {
    attr_entries(attrs, &["builder"]).iter().any(|(k, _)| k == "default")
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

/// A wrapper's read of its parameter: `prefix + value + suffix`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Sink {
    prefix: String,
    suffix: String,
    source: &'static str,
}

/// The wrappers of the workspace: for each function, the reads each of
/// its parameters reaches, through other wrappers too.
fn wrappers(mine: &[(&Fact, &Read)]) -> BTreeMap<String, BTreeMap<usize, BTreeSet<Sink>>> {
    let mut params: BTreeMap<&str, &[String]> = BTreeMap::new();
    for (_, read) in mine {
        if let Read::Params { fn_path, params: p } = read {
            params.insert(fn_path, p);
        }
    }
    let index = |fn_path: &str, ident: &str| params.get(fn_path).and_then(|p| p.iter().position(|n| n == ident));
    let mut out: BTreeMap<String, BTreeMap<usize, BTreeSet<Sink>>> = BTreeMap::new();
    for (_, read) in mine {
        if let Read::ParamFlow {
            fn_path,
            param,
            prefix,
            suffix,
            source,
        } = read
            && let Some(i) = index(fn_path, param)
        {
            out.entry(fn_path.clone())
                .or_default()
                .entry(i)
                .or_default()
                .insert(Sink {
                    prefix: prefix.clone(),
                    suffix: suffix.clone(),
                    source,
                });
        }
    }
    // A function passing its parameter on to a wrapper is one: to a fixpoint.
    for _ in 0..8 {
        let mut added = false;
        for (_, read) in mine {
            let Read::Call {
                fn_path: Some(caller),
                callees,
                args,
            } = read
            else {
                continue;
            };
            for (i, arg) in args.iter().enumerate() {
                let Arg::Param { ident, prefix, suffix } = arg else {
                    continue;
                };
                let Some(j) = index(caller, ident) else { continue };
                let sinks: Vec<Sink> = callees
                    .iter()
                    .filter_map(|c| out.get(c).and_then(|w| w.get(&i)))
                    .flatten()
                    .map(|s| Sink {
                        prefix: format!("{}{prefix}", s.prefix),
                        suffix: format!("{suffix}{}", s.suffix),
                        source: s.source,
                    })
                    .collect();
                for sink in sinks {
                    added |= out
                        .entry(caller.clone())
                        .or_default()
                        .entry(j)
                        .or_default()
                        .insert(sink);
                }
            }
        }
        if !added {
            break;
        }
    }
    out
}

/// Splits a wrapper's sinks into the plain reads and the `_FILE` ones.
fn names_of(value: &str, sinks: &BTreeSet<Sink>) -> Vec<(String, Option<String>)> {
    let mut plain: Vec<String> = Vec::new();
    let mut files: Vec<String> = Vec::new();
    for s in sinks {
        let name = format!("{}{value}{}", s.prefix, s.suffix);
        if s.suffix == "_FILE" {
            files.push(name);
        } else {
            plain.push(name);
        }
    }
    plain.sort();
    plain.dedup();
    let mut out: Vec<(String, Option<String>)> = plain
        .iter()
        .map(|n| {
            let file = files.iter().find(|f| **f == format!("{n}_FILE")).cloned();
            (n.clone(), file)
        })
        .collect();
    // A `_FILE` read without the plain one is a variable of its own.
    for f in files {
        if !plain.iter().any(|n| f == format!("{n}_FILE")) {
            out.push((f, None));
        }
    }
    out
}

/// The fields of a struct under a prefix, nested structs joined with
/// `sep` (none: a nested struct is one value).
fn expand_fields(
    structs: &Structs<'_>,
    package: usize,
    ty: &str,
    prefix: &str,
    sep: Option<&str>,
    depth: usize,
    out: &mut Vec<(String, Fallback, Vec<String>)>,
) {
    let Some(fields) = find_struct(structs, package, ty) else {
        return;
    };
    for f in fields {
        let nested = f
            .types
            .iter()
            .find(|t| *t != ty && depth < 4 && find_struct(structs, package, t).is_some());
        let key = f.name.to_ascii_uppercase();
        match nested {
            Some(t) if f.flatten => expand_fields(structs, package, t, prefix, sep, depth + 1, out),
            Some(t) if sep.is_some() => {
                let inner = format!("{prefix}{key}{}", sep.unwrap_or_default());
                expand_fields(structs, package, t, &inner, sep, depth + 1, out);
            }
            _ if f.flatten => {}
            // `#[serde(rename = "vim-insert")]`: no shell can set that name.
            _ if key.contains('-') => {}
            _ => out.push((format!("{prefix}{key}"), f.default, f.types.clone())),
        }
    }
}

/// Deserialized structs by package and name; a name may be defined in
/// several modules (`Settings` and `meta::Settings`).
type Structs<'a> = BTreeMap<(usize, &'a str), Vec<&'a [Field]>>;

/// A struct of this package by name, else of any package; of several
/// with one name, the one with the most fields (the top-level settings).
fn find_struct<'a>(structs: &Structs<'a>, package: usize, ty: &str) -> Option<&'a [Field]> {
    let best = |v: &Vec<&'a [Field]>| v.iter().copied().max_by_key(|f| f.len());
    structs
        .get(&(package, ty))
        .and_then(best)
        .or_else(|| structs.iter().find(|((_, n), _)| *n == ty).and_then(|(_, v)| best(v)))
}

/// The inventory from a run's facts: one entry per read site, sorted by
/// name, then file and line.
pub fn inventory(facts: &[Fact], workspace_root: &Path) -> Vec<EnvVar> {
    let mine: Vec<(&Fact, &Read)> = facts
        .iter()
        .filter(|f| f.rule == EnvReads::META.name)
        .filter_map(|f| f.get::<Read>().map(|r| (f, r)))
        .collect();
    type At = (std::path::PathBuf, usize);
    let at = |fact: &Fact| -> At { (fact.span.path().to_path_buf(), fact.span.range.start) };
    let mut handled: BTreeMap<At, Fallback> = BTreeMap::new();
    let mut structs: Structs<'_> = BTreeMap::new();
    let mut steps: BTreeMap<At, Vec<&PrefixStep>> = BTreeMap::new();
    let mut extracts: Vec<(&Fact, &str, Option<&str>)> = Vec::new();
    let mut macro_defs: BTreeMap<&str, &flow::MacroDef> = BTreeMap::new();
    for (fact, read) in &mine {
        match read {
            Read::Handled(d) => {
                let slot = handled.entry(at(fact)).or_insert(*d);
                *slot = (*slot).max(*d);
            }
            Read::Struct { name, fields } => {
                structs
                    .entry((fact.origin.package, name.as_str()))
                    .or_default()
                    .push(fields);
            }
            Read::PrefixStep(step) => steps.entry(at(fact)).or_default().push(step),
            Read::Extract { ty, fn_path } => extracts.push((fact, ty, fn_path.as_deref())),
            Read::MacroDef(def) => {
                macro_defs.insert(def.name.as_str(), def);
            }
            _ => {}
        }
    }
    let wrappers = wrappers(&mine);
    let vars_fns: BTreeSet<&str> = mine
        .iter()
        .filter_map(|(_, r)| match r {
            Read::VarsCall { fn_path } => Some(fn_path.as_str()),
            _ => None,
        })
        .collect();
    // Wrappers by their last path segment, for calls written in macro tokens.
    let by_name = |name: &str| -> BTreeSet<Sink> {
        wrappers
            .iter()
            .filter(|(p, _)| p.rsplit("::").next() == Some(name))
            .filter_map(|(_, w)| w.get(&0))
            .flatten()
            .cloned()
            .collect()
    };
    let mut out = Vec::new();
    for (fact, read) in &mine {
        let (file, line, column) = location(&fact.span, workspace_root);
        let mut push =
            |name: String, source: String, default: Fallback, types: &[String], file_variant: Option<String>| {
                out.push(EnvVar {
                    secret: secret_by_type(&name, types),
                    name,
                    file: file.clone(),
                    line,
                    column,
                    source,
                    default,
                    file_variant,
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
                let default = handled.get(&at(fact)).copied().map_or(base, |d| d.max(base));
                push(name.clone(), source.to_string(), default, &[], None);
            }
            Read::Prefix {
                prefix,
                source,
                fn_path,
            } => {
                let my_steps = steps.get(&at(fact)).map(Vec::as_slice).unwrap_or_default();
                let sep = my_steps.iter().find_map(|s| match s {
                    PrefixStep::Separator(s) => Some(s.as_str()),
                    _ => None,
                });
                let figment = source.starts_with("figment");
                let prefix_sep = my_steps
                    .iter()
                    .find_map(|s| match s {
                        PrefixStep::PrefixSeparator(s) => Some(s.as_str()),
                        _ => None,
                    })
                    .or(if figment || prefix.ends_with('_') {
                        Some("")
                    } else {
                        None
                    })
                    .or(sep)
                    .unwrap_or("_");
                let file_adapter = my_steps.iter().any(|s| matches!(s, PrefixStep::FileAdapter));
                let head = format!("{}{prefix_sep}", prefix.to_ascii_uppercase());
                // The struct the same function (else the same file) deserializes.
                let same_fn: Vec<&str> = extracts
                    .iter()
                    .filter(|(_, _, f)| f.is_some() && *f == fn_path.as_deref())
                    .map(|(_, t, _)| *t)
                    .collect();
                // In a method of `impl Settings` that returns the built
                // value: the impl's type.
                let impl_type = self_type("Self", fn_path.as_deref());
                let types: Vec<&str> = if !same_fn.is_empty() {
                    same_fn
                } else if find_struct(&structs, fact.origin.package, &impl_type).is_some() {
                    vec![impl_type.as_str()]
                } else {
                    extracts
                        .iter()
                        .filter(|(f, _, _)| f.span.path() == fact.span.path())
                        .map(|(_, t, _)| *t)
                        .collect()
                };
                let mut fields = Vec::new();
                for ty in types {
                    expand_fields(&structs, fact.origin.package, ty, &head, sep, 0, &mut fields);
                }
                fields.sort_by(|a, b| a.0.cmp(&b.0));
                fields.dedup_by(|a, b| a.0 == b.0);
                if fields.is_empty() {
                    push(format!("{head}*"), source.to_string(), Fallback::Optional, &[], None);
                }
                for (name, default, types) in fields {
                    let file = file_adapter.then(|| format!("{name}_FILE"));
                    push(name, source.to_string(), default, &types, file);
                }
            }
            Read::Envy { ty, prefix } => {
                let source = if prefix.is_empty() {
                    format!("envy::from_env::<{ty}>")
                } else {
                    format!("envy::prefixed({prefix:?}).from_env::<{ty}>")
                };
                match find_struct(&structs, fact.origin.package, ty) {
                    Some(fields) => {
                        for f in fields.iter().filter(|f| !f.flatten) {
                            push(
                                format!("{prefix}{}", f.name.to_ascii_uppercase()),
                                source.clone(),
                                f.default,
                                &f.types,
                                None,
                            );
                        }
                    }
                    None => push(format!("{prefix}*"), source, Fallback::Optional, &[], None),
                }
            }
            Read::Clap { name, default, types } => push(name.clone(), "clap #[arg(env)]".into(), *default, types, None),
            Read::Framework { names, source, default } => {
                for n in names {
                    push(n.clone(), source.to_string(), *default, &[], None);
                }
            }
            Read::Call { callees, args, .. } => {
                let default = handled.get(&at(fact)).copied().unwrap_or(Fallback::Unknown);
                for (i, arg) in args.iter().enumerate() {
                    let Arg::Lit(value) = arg else { continue };
                    for callee in callees {
                        let Some(sinks) = wrappers.get(callee).and_then(|w| w.get(&i)) else {
                            continue;
                        };
                        let name = callee.rsplit("::").next().unwrap_or(callee);
                        for (var, file) in names_of(value, sinks) {
                            push(var, format!("{name}(..) → env::var"), default, &[], file);
                        }
                    }
                }
            }
            Read::MacroUse { name, seqs } => {
                let Some(def) = macro_defs.get(name.as_str()) else {
                    continue;
                };
                let mut sinks: BTreeSet<Sink> = def.calls.iter().flat_map(|c| by_name(c)).collect();
                if def.direct {
                    sinks.insert(Sink {
                        prefix: String::new(),
                        suffix: String::new(),
                        source: "std::env::var",
                    });
                }
                if sinks.is_empty() {
                    continue;
                }
                let source = format!("{name}! field list");
                for seq in seqs {
                    for (field, types, has_default) in flow::matches(def, seq) {
                        let field = if def.upper { field.to_ascii_uppercase() } else { field };
                        let value = format!("{}{field}{}", def.prefix, def.suffix);
                        let default = if has_default { Fallback::Yes } else { Fallback::Unknown };
                        for (var, file) in names_of(&value, &sinks) {
                            push(var, source.clone(), default, &types, file);
                        }
                    }
                }
            }
            Read::VarsPrefix { fn_path, prefix } if vars_fns.contains(fn_path.as_str()) => push(
                format!("{prefix}*"),
                "std::env::vars".into(),
                Fallback::Optional,
                &[],
                None,
            ),
            Read::VarsPrefix { .. }
            | Read::VarsCall { .. }
            | Read::Handled(_)
            | Read::Struct { .. }
            | Read::PrefixStep(_)
            | Read::ParamFlow { .. }
            | Read::Params { .. }
            | Read::MacroDef(_)
            | Read::Extract { .. } => {}
        }
    }
    out.sort_by(|a, b| (&a.name, &a.file, a.line, a.column).cmp(&(&b.name, &b.file, b.line, b.column)));
    out.dedup_by(|a, b| a.name == b.name && a.file == b.file && a.line == b.line && a.column == b.column);
    out
}

/// Fields of config structs (named `*Config*`, `*Settings*`, `*Options*`)
/// that hold the port to listen on: `Settings.port (src/settings.rs:12)`.
pub fn port_fields(facts: &[Fact], workspace_root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for fact in facts.iter().filter(|f| f.rule == EnvReads::META.name) {
        let Some(Read::Struct { name, fields }) = fact.get::<Read>() else {
            continue;
        };
        let config = ["Config", "Settings", "Options", "Conf"]
            .iter()
            .any(|w| name.contains(w));
        if !config {
            continue;
        }
        for f in fields {
            let n = f.name.to_ascii_lowercase();
            if n == "port" || n == "http_port" || n == "listen_port" || n == "bind_port" || n == "server_port" {
                let (file, line, _) = location(&fact.span, workspace_root);
                out.push((fields.len(), format!("`{name}.{}` ({file}:{line})", f.name)));
            }
        }
    }
    // The top-level settings (the most fields) first: a nested
    // `MetricsConfig.port` is another listener.
    out.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    out.into_iter().map(|(_, s)| s).collect()
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
                // config-rs joins the prefix with the separator when one is set.
                "APP__*",
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
    fn prefixes_filtered_out_of_env_vars() {
        let src = r#"
fn icons() -> Vec<String> {
    std::env::vars()
        .filter_map(|(var, val)| var.strip_prefix("PLUME_LOGO_").map(|size| format!("{size}{val}")))
        .collect()
}
fn unrelated(s: &str) -> bool { s.starts_with("HTTP_") }
"#;
        assert_eq!(names(src), ["PLUME_LOGO_*"]);
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

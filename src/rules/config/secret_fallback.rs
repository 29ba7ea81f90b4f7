use std::ops::Range;

use syn::spanned::Spanned;

use crate::declare_rule;
use crate::diagnostic::{Applicability, Edit, Span};
use crate::engine::{Call, Cx, Fact, PackageReport};
use crate::rules::backing_services::urls::{literal_value_range, url_password};
use crate::rules::common::is_test_or_build_time;
use crate::rules::config::secret_names::is_secret_name;
use crate::rules::rewrite;
use crate::rules::{Factor, Rule, RuleMeta};

declare_rule! {
    /// ### What it does
    /// Finds environment reads of secrets that fall back to a literal when
    /// the variable is unset: `env::var("JWT_SECRET").unwrap_or("dev".into())`,
    /// `unwrap_or_else(|_| ..)`, `.ok().unwrap_or(..)`, `map_or`, a `match` or
    /// `if let` arm, clap's `#[arg(env = "API_TOKEN", default_value = "..")]`
    /// (or a secret-named option with a default) and
    /// `Arg::env(..).default_value(..)`, config's `set_default("password", ..)`,
    /// `#[serde(default = "f")]` on a secret field where `f` returns a
    /// literal, and smart-default's `#[default("..")]` on a secret field. A
    /// fallback that is a URL with a password counts whatever the variable's
    /// name.
    ///
    /// Only secret-like names count (`*_SECRET`, `*_TOKEN`, `*_PASSWORD`,
    /// `*_API_KEY`, ...): `PORT` falling back to 8080 or `RUST_LOG` to
    /// `"info"` is fine. `unwrap_or_default()` is not reported: an empty
    /// secret fails loudly at the first use, a literal one works everywhere.
    ///
    /// ### Why is this bad
    /// The fallback is a credential in the code, and it is the one every
    /// deploy uses whose environment lacks the variable: a production
    /// service that forgot `JWT_SECRET` starts fine and signs tokens with a
    /// key anyone can read in the repository. Config that is a secret must be
    /// required, so that a missing value stops the process at startup.
    ///
    /// ### Example
    /// ```rust,ignore
    /// let secret = std::env::var("JWT_SECRET").unwrap_or_else(|_| "dev-secret".to_string());
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// let secret = std::env::var("JWT_SECRET").context("JWT_SECRET must be set")?;
    /// ```
    /// and put the development value in an untracked `.env` file.
    ///
    /// ### Fix
    /// `cargo twelve fix` drops the fallback so that a missing secret fails
    /// where it is read, at start-up: `.unwrap_or(..)` becomes `?` (in a
    /// function whose error type takes a `VarError`) or
    /// `.expect("NAME must be set")`, and the `Err`/`None`/`else` branch of a
    /// `match` or `if let` becomes `panic!("NAME must be set")`
    /// (machine-applicable). A clap `default_value` is removed
    /// (`--unsafe-fixes`).
    pub SecretFallback => "secret_fallback", Factor::Config, Warn, fixable: true, options: []
}

/// Functions that read an environment variable named by their first
/// argument.
const ENV_READS: &[&str] = &["std::env::var", "std::env::var_os", "dotenvy::var", "dotenv::var"];

/// Macros that read an environment variable named by their first argument.
const ENV_READ_MACROS: &[&str] = &["std::option_env"];

/// Methods whose argument (at the index) is the value used when the
/// receiver has none.
const FALLBACK_METHODS: &[(&str, usize)] = &[
    ("unwrap_or", 0),
    ("unwrap_or_else", 0),
    ("map_or", 0),
    ("map_or_else", 0),
    ("or", 0),
    ("or_else", 0),
];

/// Conversions that keep a literal a literal.
const LITERAL_CONVERSIONS: &[&str] = &["to_string", "to_owned", "into", "to_str", "as_str", "as_ref", "clone"];
const LITERAL_CONSTRUCTORS: &[&str] = &[
    "String::from",
    "std::string::String::from",
    "std::ffi::OsString::from",
    "OsString::from",
    "From::from",
    "Some",
    "Ok",
    "Cow::Borrowed",
    "std::borrow::Cow::Borrowed",
    "SecretString::from",
    "secrecy::SecretString::from",
    "secrecy::SecretString::new",
    "SecretString::new",
];

/// Methods that replace the value read by what their closure returns.
const VALUE_MAPS: &[&str] = &["map", "and_then", "map_or", "map_or_else"];

/// Whether a closure passes its argument on: `|v| v`, `|v| v.trim().into()`,
/// `|t| format!("Bearer {t}")`; not `|_| "set"`. Anything that is not a
/// closure (`String::from`, `Some`) passes it on.
fn keeps_value(arg: &syn::Expr) -> bool {
    let syn::Expr::Closure(c) = arg else { return true };
    let names: Vec<String> = c
        .inputs
        .iter()
        .filter_map(|p| match p {
            syn::Pat::Ident(i) => Some(i.ident.to_string()),
            syn::Pat::Type(t) => match &*t.pat {
                syn::Pat::Ident(i) => Some(i.ident.to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    !names.is_empty() && names.iter().any(|n| mentions(&c.body, n))
}

/// Whether `name` appears in `expr`, macro arguments included.
fn mentions(expr: &syn::Expr, name: &str) -> bool {
    use syn::visit::Visit;
    struct Find<'n> {
        name: &'n str,
        found: bool,
    }
    fn in_tokens(tokens: proc_macro2::TokenStream, name: &str) -> bool {
        tokens.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(i) => i == name,
            proc_macro2::TokenTree::Group(g) => in_tokens(g.stream(), name),
            proc_macro2::TokenTree::Literal(l) => l.to_string().contains(&format!("{{{name}")),
            proc_macro2::TokenTree::Punct(_) => false,
        })
    }
    impl<'ast> Visit<'ast> for Find<'_> {
        fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
            self.found |= i == self.name;
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            self.found |= in_tokens(m.tokens.clone(), self.name);
        }
    }
    let mut f = Find { name, found: false };
    f.visit_expr(expr);
    f.found
}

/// Attributes of argument parsers whose fields can read the environment.
const CLAP_ATTRS: &[&str] = &["arg", "clap", "structopt"];
const CLAP_DEFAULTS: &[&str] = &["default_value", "default_value_t", "default_missing_value"];

/// A literal fallback: where it is and its value.
struct Fallback {
    range: std::ops::Range<usize>,
    value: String,
}

/// The literal an expression evaluates to, through conversions, closures,
/// blocks and one `const`.
fn literal(cx: &Cx<'_>, expr: &syn::Expr, depth: usize) -> Option<Fallback> {
    if depth > 6 {
        return None;
    }
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s), ..
        }) => {
            let value = s.value();
            (!value.trim().is_empty()).then(|| Fallback {
                range: s.span().byte_range(),
                value,
            })
        }
        syn::Expr::MethodCall(m) if LITERAL_CONVERSIONS.contains(&m.method.to_string().as_str()) => {
            literal(cx, &m.receiver, depth + 1)
        }
        syn::Expr::Call(c) if c.args.len() == 1 => {
            let syn::Expr::Path(p) = &*c.func else { return None };
            let paths = cx.resolve(&p.path);
            let written = path_text(&p.path);
            (LITERAL_CONSTRUCTORS.contains(&written.as_str())
                || paths.iter().any(|p| LITERAL_CONSTRUCTORS.contains(&p.as_str())))
            .then(|| literal(cx, &c.args[0], depth + 1))
            .flatten()
        }
        syn::Expr::Closure(c) => literal(cx, &c.body, depth + 1),
        // `{ warn!("JWT_SECRET unset"); "dev".into() }`
        syn::Expr::Block(b) => match b.block.stmts.last() {
            Some(syn::Stmt::Expr(e, None)) => literal(cx, e, depth + 1),
            _ => None,
        },
        syn::Expr::Paren(p) => literal(cx, &p.expr, depth + 1),
        syn::Expr::Reference(r) => literal(cx, &r.expr, depth + 1),
        syn::Expr::Path(p) => {
            let init = cx.const_init(&p.path)?;
            literal(cx, init, depth + 4)
        }
        _ => None,
    }
}

fn path_text(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// A string literal, or a same-file `const` holding one.
fn str_value(cx: &Cx<'_>, expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s), ..
        }) => Some(s.value()),
        syn::Expr::Path(p) => match cx.const_init(&p.path)? {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s), ..
            }) => Some(s.value()),
            _ => None,
        },
        syn::Expr::Reference(r) => str_value(cx, &r.expr),
        _ => None,
    }
}

/// The variable an environment read names, looking through the methods
/// applied to the read: `env::var("X").ok().as_deref()` reads `X`.
fn env_read(cx: &Cx<'_>, mut expr: &syn::Expr) -> Option<String> {
    loop {
        match expr {
            // `.map(|_| "configured")`: the value is no longer the secret.
            syn::Expr::MethodCall(m)
                if VALUE_MAPS.contains(&m.method.to_string().as_str()) && !m.args.iter().all(keeps_value) =>
            {
                return None;
            }
            syn::Expr::MethodCall(m) => expr = &m.receiver,
            syn::Expr::Paren(p) => expr = &p.expr,
            syn::Expr::Reference(r) => expr = &r.expr,
            syn::Expr::Call(c) => {
                let syn::Expr::Path(p) = &*c.func else { return None };
                if !cx.resolve(&p.path).iter().any(|p| ENV_READS.contains(&p.as_str())) {
                    return None;
                }
                return str_value(cx, c.args.first()?);
            }
            syn::Expr::Macro(m) => {
                let paths = cx.resolve(&m.mac.path);
                let std_named = m.mac.path.is_ident("option_env");
                if !std_named && !paths.iter().any(|p| ENV_READ_MACROS.contains(&p.as_str())) {
                    return None;
                }
                let lit: syn::LitStr = m.mac.parse_body_with(first_lit).ok()?;
                return Some(lit.value());
            }
            _ => return None,
        }
    }
}

fn first_lit(input: syn::parse::ParseStream) -> syn::Result<syn::LitStr> {
    let lit = input.parse()?;
    let _: proc_macro2::TokenStream = input.parse()?;
    Ok(lit)
}

/// The variable read by a local binding the chain starts from:
/// `let s = env::var("JWT_SECRET"); s.unwrap_or(..)`, unless a step maps
/// the value away.
fn bound_env_read(chain: &crate::engine::Chain) -> Option<String> {
    let (_, before) = chain.steps.split_last()?;
    if !chain.root_is(ENV_READS) || before.iter().any(|s| VALUE_MAPS.contains(&s.name.as_str())) {
        return None;
    }
    chain.root_str.clone()
}

/// The variable and the fallback of an environment read's fallback method:
/// `("JWT_SECRET", "dev".into())` for
/// `env::var("JWT_SECRET").unwrap_or("dev".into())`, whatever the
/// variable's name. Shared with `hardcoded_secret`.
pub(crate) fn env_fallback<'a>(cx: &Cx<'_>, call: &Call<'a>) -> Option<(String, &'a syn::Expr)> {
    let syn::Expr::MethodCall(m) = call.expr else {
        return None;
    };
    let method = m.method.to_string();
    let (_, arg) = FALLBACK_METHODS.iter().find(|(n, _)| *n == method)?;
    // `map_or("unset", |_| "set")` maps the secret away.
    if method.starts_with("map_or") && !m.args.iter().skip(1).all(keeps_value) {
        return None;
    }
    let name = env_read(cx, &m.receiver).or_else(|| bound_env_read(&call.chain))?;
    Some((name, call.args.get(*arg).copied()?))
}

/// `Err(_)`, `Err(e)`, `None`, `_`: the arms taken when the variable is unset.
fn is_fallback_pattern(pat: &syn::Pat) -> bool {
    match pat {
        syn::Pat::Wild(_) => true,
        syn::Pat::Ident(i) => i.ident == "None",
        syn::Pat::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "None"),
        syn::Pat::TupleStruct(t) => t.path.segments.last().is_some_and(|s| s.ident == "Err"),
        syn::Pat::Or(o) => o.cases.iter().any(is_fallback_pattern),
        _ => false,
    }
}

/// The suggestion that drops a fallback, so a missing secret stops the
/// process when it is read.
struct Drop {
    range: Range<usize>,
    replacement: String,
    message: String,
    applicability: Applicability,
}

impl Drop {
    /// `.unwrap_or(..)` and `.unwrap_or_else(..)` become `?` (a `Result`
    /// read in a function whose error takes a `VarError`) or
    /// `.expect("NAME must be set")`, which give the same type;
    /// `.map_or(d, f)` becomes `.map(f).expect(..)`.
    fn method(cx: &Cx<'_>, m: &syn::ExprMethodCall, name: &str) -> Option<Drop> {
        let method = m.method.to_string();
        let expect = format!(".expect(\"{name} must be set\")");
        let tail = match method.as_str() {
            "unwrap_or" | "unwrap_or_else" => {
                let result = matches!(&*m.receiver, syn::Expr::Call(c)
                    if matches!(&*c.func, syn::Expr::Path(p)
                        if cx.resolve(&p.path).iter().any(|x| x == "std::env::var")));
                let scope = rewrite::scope_at(cx.file(), m.span().byte_range());
                match scope {
                    Some(s) if result && rewrite::missing(cx, &s) == rewrite::Missing::Try => "?".to_string(),
                    _ => expect,
                }
            }
            "map_or" | "map_or_else" => {
                let f = m.args.iter().nth(1)?;
                format!(".map({}){expect}", &cx.file().text[f.span().byte_range()])
            }
            _ => return None,
        };
        Some(Drop {
            range: m.receiver.span().byte_range().end..m.span().byte_range().end,
            replacement: tail,
            message: format!("require `{name}`: fail when it is unset"),
            applicability: Applicability::MachineApplicable,
        })
    }

    /// The arm or `else` taken when the variable is unset panics instead:
    /// `!` fits any type.
    fn fail(range: Range<usize>, name: &str, block: bool) -> Drop {
        let panic = format!("panic!(\"{name} must be set\")");
        Drop {
            range,
            replacement: if block { format!("{{ {panic} }}") } else { panic },
            message: format!("require `{name}`: stop when it is unset"),
            applicability: Applicability::MachineApplicable,
        }
    }

    /// `default_value = "dev"` and its comma, out of an attribute's list.
    fn entry(text: &str, entry: Range<usize>) -> Option<Drop> {
        let before = text[..entry.start].trim_end();
        let after = &text[entry.end..];
        let range = if before.ends_with(',') {
            before.len() - 1..entry.end
        } else {
            let rest = after.trim_start();
            let rest = rest.strip_prefix(',')?;
            entry.start..text.len() - rest.trim_start().len()
        };
        Some(Drop {
            range,
            replacement: String::new(),
            message: "drop the default so that clap requires the value".into(),
            applicability: Applicability::MaybeIncorrect,
        })
    }
}

/// Facts for the package-level check of `#[serde(default = "f")]`.
#[derive(serde::Serialize, serde::Deserialize)]
enum SerdeFact {
    /// A secret field defaulting to the function at one of these paths.
    Wants { field: String, fns: Vec<String> },
    /// A secret's environment read falling back to what a function returns.
    EnvWants { name: String, fns: Vec<String> },
    /// A function whose body is a literal.
    Returns { path: String },
}

/// Where the fallback is declared, for the help.
#[derive(Clone, Copy)]
enum Kind {
    Env,
    Clap,
    Config,
}

impl SecretFallback {
    #[allow(clippy::too_many_arguments)]
    fn report(
        &self,
        cx: &mut Cx<'_>,
        at: Range<usize>,
        name: &str,
        fallback: &Fallback,
        by_name: bool,
        kind: Kind,
        fix: Option<Drop>,
    ) {
        // The fallback is a credential: mask it in every output.
        let (range, _) = literal_value_range(&cx.file().text, fallback.range.clone(), &fallback.value);
        cx.redact(range);
        let elsewhere = fallback.range.start < at.start || fallback.range.end > at.end;
        let cx_file = cx.file().clone();
        let span = cx.span_of(at);
        let literal_span = cx.span_of(fallback.range.clone());
        let message = if by_name {
            format!("secret `{name}` falls back to a hard-coded value when it is unset")
        } else {
            format!("`{name}` falls back to a URL with a hard-coded password when it is unset")
        };
        let d = cx.report(span, message);
        d.label("every deploy that lacks the variable runs with this credential")
            .note("a secret belongs in the environment only: a missing one must stop the process at startup, not fall back to a value in the repository")
            .help(match kind {
                Kind::Env => format!(
                    "require it: `std::env::var(\"{name}\")` with `?` or `.expect(\"{name} must be set\")`, and keep the development value in an untracked `.env` file"
                ),
                Kind::Clap => format!(
                    "drop the default so that clap requires `{name}`, and keep the development value in an untracked `.env` file"
                ),
                Kind::Config => format!(
                    "drop the default so that loading the configuration fails without `{name}`"
                ),
            });
        if elsewhere {
            d.secondary(literal_span, "the fallback is written here");
        }
        if let Some(fix) = fix {
            let span = Span::new(cx_file, fix.range);
            d.suggest(
                fix.message,
                vec![Edit {
                    span,
                    replacement: fix.replacement,
                }],
                fix.applicability,
            );
        }
    }

    /// Reports when `name` is a secret or the fallback is a URL with a password.
    fn judge(&self, cx: &mut Cx<'_>, at: Range<usize>, name: &str, expr: &syn::Expr, kind: Kind, fix: Option<Drop>) {
        let Some(fallback) = literal(cx, expr, 0) else {
            // `unwrap_or_else(|_| default_secret())`: the package check
            // looks into the function.
            if is_secret_name(name)
                && let Some(fns) = fallback_fn(cx, expr)
            {
                let span = cx.span_of(at);
                cx.record(
                    span,
                    SerdeFact::EnvWants {
                        name: name.to_string(),
                        fns,
                    },
                );
            }
            return;
        };
        if is_secret_name(name) {
            self.report(cx, at, name, &fallback, true, kind, fix);
        } else if url_password(&fallback.value).is_some() {
            self.report(cx, at, name, &fallback, false, kind, fix);
        }
    }

    fn check_clap_field(&self, cx: &mut Cx<'_>, field: &syn::Field) {
        for attr in &field.attrs {
            if !CLAP_ATTRS.iter().any(|a| attr.path().is_ident(a)) {
                continue;
            }
            let mut env: Option<String> = None;
            let mut default: Option<syn::Expr> = None;
            let mut default_key = 0;
            let _ = attr.parse_nested_meta(|meta| {
                let key = meta.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
                if meta.input.peek(syn::Token![=]) {
                    let value: syn::Expr = meta.value()?.parse()?;
                    if key == "env" {
                        if let syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(s), ..
                        }) = &value
                        {
                            env = Some(s.value());
                        }
                    } else if CLAP_DEFAULTS.contains(&key.as_str()) {
                        default_key = meta.path.span().byte_range().start;
                        default = Some(value);
                    }
                } else if meta.input.peek(syn::token::Paren) {
                    let _: proc_macro2::TokenTree = meta.input.parse()?;
                } else if key == "env" {
                    env = field.ident.as_ref().map(|i| i.to_string().to_uppercase());
                }
                Ok(())
            });
            // Without `env`, the option's own name: `--api-key` defaulting to
            // a literal is a secret in the code all the same.
            let name = env.or_else(|| field.ident.as_ref().map(|i| i.to_string()));
            if let (Some(name), Some(default)) = (name, default) {
                let fix = Drop::entry(&cx.file().text, default_key..default.span().byte_range().end);
                self.judge(cx, default.span().byte_range(), &name, &default, Kind::Clap, fix);
            }
        }
    }

    fn check_serde_field(&self, cx: &mut Cx<'_>, field: &syn::Field) {
        let Some(ident) = &field.ident else { return };
        let name = ident.to_string();
        let renamed = serde_value(&field.attrs, "rename");
        if !is_secret_name(&name) && !renamed.as_deref().is_some_and(is_secret_name) {
            return;
        }
        // smart-default and educe: `#[default("password")]`, `#[default = "password"]`.
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("default")) {
            let value = match &attr.meta {
                syn::Meta::List(_) => attr.parse_args::<syn::Expr>().ok(),
                syn::Meta::NameValue(nv) => Some(nv.value.clone()),
                syn::Meta::Path(_) => None,
            };
            if let Some(value) = value {
                self.judge(cx, value.span().byte_range(), &name, &value, Kind::Config, None);
            }
        }
        let Some(default) = serde_value(&field.attrs, "default") else {
            return;
        };
        let Ok(path) = syn::parse_str::<syn::Path>(&default) else {
            return;
        };
        let fns = cx.resolve(&path);
        let span = cx.span(field);
        cx.record(span, SerdeFact::Wants { field: name, fns });
    }
}

/// `#[serde(key = "value")]`.
fn serde_value(attrs: &[syn::Attribute], key: &str) -> Option<String> {
    let mut found = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.input.peek(syn::Token![=]) {
                let value: syn::Expr = meta.value()?.parse()?;
                if meta.path.is_ident(key)
                    && let syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s), ..
                    }) = value
                {
                    found = Some(s.value());
                }
            } else if meta.input.peek(syn::token::Paren) {
                let _: proc_macro2::TokenTree = meta.input.parse()?;
            }
            Ok(())
        });
    }
    found
}

/// The functions a fallback calls without arguments: `default_secret()`,
/// `|_| default_secret()`, `Config::dev_token()`.
fn fallback_fn(cx: &Cx<'_>, expr: &syn::Expr) -> Option<Vec<String>> {
    match expr {
        syn::Expr::Closure(c) => fallback_fn(cx, &c.body),
        syn::Expr::Call(c) if c.args.is_empty() => match &*c.func {
            syn::Expr::Path(p) => Some(cx.resolve(&p.path)),
            _ => None,
        },
        // `unwrap_or_else(default_secret)`
        syn::Expr::Path(p)
            if p.path
                .segments
                .last()
                .is_some_and(|s| s.ident.to_string().chars().any(|c| c.is_ascii_lowercase())) =>
        {
            Some(cx.resolve(&p.path))
        }
        _ => None,
    }
}

/// Whether a function body is one literal (`"dev".into()`).
fn returns_literal(cx: &Cx<'_>, block: &syn::Block) -> bool {
    match block.stmts.as_slice() {
        [syn::Stmt::Expr(e, None)] => literal(cx, e, 0).is_some(),
        [syn::Stmt::Expr(syn::Expr::Return(r), _)] => r.expr.as_ref().is_some_and(|e| literal(cx, e, 0).is_some()),
        _ => false,
    }
}

impl Rule for SecretFallback {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }
    fn fact_types(&self) -> &'static [crate::engine::cache::FactType] {
        const { &[crate::engine::cache::FactType::of::<SerdeFact>()] }
    }

    fn check_call(&self, cx: &mut Cx<'_>, call: &Call<'_>) {
        if is_test_or_build_time(cx) {
            return;
        }
        let Some(method) = call.method else { return };
        let syn::Expr::MethodCall(m) = call.expr else { return };
        let method_name = method.to_string();
        if FALLBACK_METHODS.iter().any(|(n, _)| *n == method_name) {
            if let Some((name, arg)) = env_fallback(cx, call) {
                let fix = Drop::method(cx, m, &name);
                self.judge(
                    cx,
                    method.span().byte_range().start..call.expr.span().byte_range().end,
                    &name,
                    arg,
                    Kind::Env,
                    fix,
                );
            }
            return;
        }
        match method_name.as_str() {
            // config-rs: `.set_default("database.password", "dev")`.
            "set_default" => {
                let (Some(key), Some(value)) = (call.args.first(), call.args.get(1)) else {
                    return;
                };
                let Some(key) = str_value(cx, key) else { return };
                self.judge(
                    cx,
                    method.span().byte_range().start..call.expr.span().byte_range().end,
                    &key,
                    value,
                    Kind::Config,
                    None,
                );
            }
            // clap's builder: `.env("API_TOKEN").default_value("dev")`, either order.
            "default_value" | "env" => {
                let wanted = if method_name == "env" { "default_value" } else { "env" };
                let mut receiver = &*m.receiver;
                while let syn::Expr::MethodCall(r) = receiver {
                    if r.method == wanted {
                        let (env_arg, default_arg) = if wanted == "env" {
                            (r.args.first(), m.args.first())
                        } else {
                            (m.args.first(), r.args.first())
                        };
                        let (Some(env_arg), Some(default_arg)) = (env_arg, default_arg) else {
                            return;
                        };
                        let Some(name) = str_value(cx, env_arg) else { return };
                        // The `.default_value(..)` link of the chain goes.
                        let link = if wanted == "env" { m } else { r };
                        let fix = Some(Drop {
                            range: link.receiver.span().byte_range().end..link.span().byte_range().end,
                            replacement: String::new(),
                            message: format!("drop the default so that `{name}` is required"),
                            applicability: Applicability::MaybeIncorrect,
                        });
                        self.judge(cx, default_arg.span().byte_range(), &name, default_arg, Kind::Clap, fix);
                        return;
                    }
                    receiver = &r.receiver;
                }
            }
            _ => {}
        }
    }

    fn check_expr(&self, cx: &mut Cx<'_>, expr: &syn::Expr) {
        if is_test_or_build_time(cx) {
            return;
        }
        match expr {
            syn::Expr::Match(m) => {
                let Some(name) = env_read(cx, &m.expr) else { return };
                for arm in &m.arms {
                    if is_fallback_pattern(&arm.pat) {
                        let fix = Some(Drop::fail(arm.body.span().byte_range(), &name, false));
                        self.judge(
                            cx,
                            arm.pat.span().byte_range().start..arm.body.span().byte_range().end,
                            &name,
                            &arm.body,
                            Kind::Env,
                            fix,
                        );
                    }
                }
            }
            syn::Expr::If(i) => {
                let syn::Expr::Let(l) = &*i.cond else { return };
                let Some((_, otherwise)) = &i.else_branch else { return };
                let Some(name) = env_read(cx, &l.expr) else { return };
                let fix = Some(Drop::fail(otherwise.span().byte_range(), &name, true));
                self.judge(cx, otherwise.span().byte_range(), &name, otherwise, Kind::Env, fix);
            }
            _ => {}
        }
    }

    fn check_item(&self, cx: &mut Cx<'_>, item: &syn::Item) {
        if is_test_or_build_time(cx) {
            return;
        }
        match item {
            syn::Item::Struct(s) => {
                for field in &s.fields {
                    self.check_clap_field(cx, field);
                    self.check_serde_field(cx, field);
                }
            }
            syn::Item::Fn(f) if f.sig.inputs.is_empty() && returns_literal(cx, &f.block) => {
                let path = format!("{}::{}", cx.module().join("::"), f.sig.ident);
                let span = cx.span(&f.sig.ident);
                cx.record(span, SerdeFact::Returns { path });
            }
            syn::Item::Impl(i) if i.trait_.is_none() => {
                let syn::Type::Path(ty) = &*i.self_ty else { return };
                let Some(ty) = ty.path.segments.last() else { return };
                for item in &i.items {
                    if let syn::ImplItem::Fn(f) = item
                        && f.sig.inputs.is_empty()
                        && returns_literal(cx, &f.block)
                    {
                        let path = format!("{}::{}::{}", cx.module().join("::"), ty.ident, f.sig.ident);
                        let span = cx.span(&f.sig.ident);
                        cx.record(span, SerdeFact::Returns { path });
                    }
                }
            }
            _ => {}
        }
    }

    fn check_package(&self, cx: &mut PackageReport<'_>, facts: &[Fact]) {
        let returns: Vec<(&str, &Fact)> = facts
            .iter()
            .filter_map(|f| match f.get::<SerdeFact>()? {
                SerdeFact::Returns { path } => Some((path.as_str(), f)),
                _ => None,
            })
            .collect();
        for fact in facts {
            let (fns, env) = match fact.get::<SerdeFact>() {
                Some(SerdeFact::Wants { fns, .. }) => (fns, None),
                Some(SerdeFact::EnvWants { name, fns }) => (fns, Some(name)),
                _ => continue,
            };
            let Some((path, f)) = returns.iter().find(|(p, _)| fns.iter().any(|w| w == p)) else {
                continue;
            };
            let function = path.rsplit("::").next().unwrap_or(path);
            if let Some(name) = env {
                cx.report(fact.span.clone(), format!("secret `{name}` falls back to a hard-coded value when it is unset"))
                    .label(format!("`{function}` returns a literal"))
                    .secondary(f.span.clone(), "the fallback is written here")
                    .note("a secret belongs in the environment only: a missing one must stop the process at startup, not fall back to a value in the repository")
                    .help(format!("require it: `std::env::var(\"{name}\")` with `?` or `.expect(\"{name} must be set\")`, and keep the development value in an untracked `.env` file"));
                continue;
            }
            let Some(SerdeFact::Wants { field, .. }) = fact.get::<SerdeFact>() else {
                continue;
            };
            cx.report(fact.span.clone(), format!("secret field `{field}` defaults to a hard-coded value"))
                .label(format!("`#[serde(default = \"..\")]` calls `{function}`, which returns a literal"))
                .secondary(f.span.clone(), "the default is written here")
                .note("a secret belongs in the environment only: a missing one must stop the process at startup, not fall back to a value in the repository")
                .help("drop the default so that deserializing fails when the secret is missing");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SecretFallback;
    use crate::test_support::{check_rule, lines_of};

    fn lines(src: &str) -> Vec<usize> {
        lines_of(&check_rule(&SecretFallback, src))
    }

    #[test]
    fn fires_on_literal_fallbacks_of_secrets() {
        let src = r#"
use std::env;
use std::env::var;

const DEV_KEY: &str = "dev-only-key";

pub fn load() -> Config {
    let jwt = env::var("JWT_SECRET").unwrap_or("dev-secret".into());                        // 8
    let token = std::env::var("API_TOKEN").unwrap_or_else(|_| "local-token".to_string());   // 9
    let pw = var("DATABASE_PASSWORD").ok().unwrap_or("postgres");                           // 10
    let key = env::var("STRIPE_SECRET_KEY").unwrap_or_else(|_| String::from("sk_dev"));     // 11
    let k2 = env::var("SIGNING_KEY").unwrap_or(DEV_KEY.to_owned());                         // 12
    let k3 = dotenvy::var("SESSION_SECRET").map_or("s3ss10n".to_string(), |v| v);           // 13
    let k5 = env::var("AUTH_TOKEN").map(|t| format!("Bearer {t}")).unwrap_or("Bearer dev".into()); // 14
    let k4 = env::var("clientSecret").ok().unwrap_or_else(|| { "abc".into() });             // 15
    Config { jwt, token, pw, key, k2, k3, k4 }
}
"#;
        assert_eq!(lines(src), [8, 9, 10, 11, 12, 13, 14, 15]);
    }

    #[test]
    fn fires_on_match_and_if_let_arms() {
        let src = r#"
use std::env;
fn secret() -> String {
    match env::var("JWT_SECRET") {
        Ok(s) => s,
        Err(_) => "fallback-jwt".to_string(),   // 6
    }
}
fn token() -> String {
    if let Ok(t) = env::var("GITHUB_TOKEN") { t } else { String::from("ghp_dev") }  // 10
}
fn pw() -> String {
    match env::var("REDIS_PASSWORD").ok() {
        Some(p) => p,
        None => "redis".into(),                 // 15
    }
}
"#;
        assert_eq!(lines(src), [6, 10, 15]);
    }

    #[test]
    fn fires_on_clap_and_config_defaults() {
        let src = r#"
use clap::{Arg, Parser};

#[derive(Parser)]
struct Args {
    #[arg(long, env = "API_TOKEN", default_value = "dev-token")]    // 6
    api_token: String,
    #[clap(long, env, default_value_t = String::from("hunter2"))]   // 8
    db_password: String,
    #[arg(long, env = "PORT", default_value = "8080")]
    port: u16,
    #[arg(long, env = "API_TOKEN")]
    required_token: String,
    #[arg(long, default_value = "abc123")]                          // 14
    api_key: String,
    #[arg(long, default_value = "cert.pem")]
    private_key_path: String,
}

fn build() {
    let cmd = clap::Command::new("app")
        .arg(Arg::new("key").long("key").env("APP_API_KEY").default_value("k-123"));   // 22
    let settings = config::Config::builder()
        .set_default("database.password", "postgres")                                // 24
        .unwrap()
        .set_default("server.port", 8080)
        .unwrap();
}
"#;
        assert_eq!(lines(src), [6, 8, 14, 22, 24]);
    }

    #[test]
    fn fires_on_serde_default_fn_returning_a_literal() {
        let src = r#"
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Settings {
    #[serde(default = "default_port")]
    port: u16,
    #[serde(default = "default_secret")]     // 9
    jwt_secret: String,
    #[serde(default = "Settings::default_token")]   // 11
    api_token: String,
    #[serde(default = "computed")]
    session_secret: String,
}

fn default_port() -> u16 { 8080 }
fn default_secret() -> String { "not-so-secret".into() }
fn computed() -> String { uuid::Uuid::new_v4().to_string() }
impl Settings {
    fn default_token() -> String { String::from("tok") }
}
"#;
        let found = check_rule(&SecretFallback, src);
        let got: Vec<usize> = found.iter().map(|d| d.span.start().line).collect();
        assert_eq!(got, [8, 10]);
        assert!(found[0].message.contains("jwt_secret"));
    }

    #[test]
    fn url_fallback_with_password_fires_whatever_the_name() {
        let src = r#"
fn db() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://app:hunter2@localhost/app".into())
}
fn cache() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://localhost:6379".into())
}
"#;
        assert_eq!(lines(src), [3]);
    }

    #[test]
    fn non_secret_and_non_literal_fallbacks_are_fine() {
        let src = r#"
use std::env;
fn load() {
    let port: u16 = env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8080);
    let log = env::var("RUST_LOG").unwrap_or_else(|_| "info".into());
    let host = env::var("HOST").unwrap_or("0.0.0.0".to_string());
    let token = env::var("API_TOKEN").unwrap_or_default();
    let secret = env::var("JWT_SECRET").unwrap_or_else(|_| generate_secret());
    let empty = env::var("API_KEY").unwrap_or_else(|_| String::new());
    let blank = env::var("API_KEY").unwrap_or("".into());
    let ttl = env::var("TOKEN_TTL").unwrap_or("3600".into());
    let path = env::var("JWT_SECRET_FILE").unwrap_or("/run/secrets/jwt".into());
    let pw = env::var("DB_PASSWORD").expect("DB_PASSWORD must be set");
    let Ok(t) = env::var("GITHUB_TOKEN") else { panic!("GITHUB_TOKEN must be set") };
    let pwd = env::var("PWD").unwrap_or(".".into());
    let name = other.get("API_TOKEN").unwrap_or("x");
    match env::var("JWT_SECRET") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let status = env::var("API_KEY").map(|_| "configured").unwrap_or("missing");
    let shown = env::var("API_TOKEN").map_or("unset".to_string(), |_| "set".to_string());
    let len = env::var("API_TOKEN").map(|t| t.len()).unwrap_or(0);
}
"#;
        assert_eq!(lines(src), Vec::<usize>::new());
    }

    #[test]
    fn test_code_is_fine() {
        let src = r#"
#[cfg(test)]
mod tests {
    #[test]
    fn t() {
        let s = std::env::var("JWT_SECRET").unwrap_or("test-secret".into());
    }
}
"#;
        assert_eq!(lines(src), Vec::<usize>::new());
    }

    #[test]
    fn the_fallback_value_is_masked() {
        let src = "fn f() { let s = std::env::var(\"JWT_SECRET\").unwrap_or(\"supersecretvalue\".into()); }\n";
        let found = check_rule(&SecretFallback, src);
        assert_eq!(found.len(), 1);
        let shown = found[0].span.file.text.clone();
        assert!(!shown.contains("supersecretvalue"), "{shown}");
        assert!(shown.contains("\"supe************\""), "{shown}");
        assert!(!found[0].message.contains("supersecret"));
    }

    #[test]
    fn fallbacks_through_functions_and_logging_blocks_fire() {
        let src = r#"
use std::env;
use tracing::warn;

fn dev_secret() -> String {
    "dev-only-secret".to_string()
}

fn random_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

pub fn load() {
    let a = env::var("JWT_SECRET").unwrap_or_else(|_| dev_secret());          // 15
    let b = env::var("SESSION_SECRET").unwrap_or_else(|_| random_secret());
    let c = env::var("API_TOKEN").unwrap_or_else(|_| {                         // 17
        warn!("API_TOKEN is not set, using the development token");
        "dev-token".into()
    });
    let d = env::var("CSRF_SECRET").unwrap_or_else(|_| {
        warn!("CSRF_SECRET is not set");
        random_secret()
    });
}
"#;
        assert_eq!(lines(src), [15, 17]);
    }

    #[test]
    fn reads_bound_to_a_local_first_fire() {
        let src = r#"
use std::env;
fn load() {
    let secret = env::var("JWT_SECRET");
    let secret = secret.unwrap_or_else(|_| "dev-secret".into());        // 5
    let token = env::var("API_TOKEN").ok();
    let token = token.unwrap_or("dev-token".into());                    // 7
    let port = env::var("PORT");
    let port = port.unwrap_or("8080".into());
    let key = env::var("API_KEY");
    let label = key.map(|_| "set").unwrap_or("unset");
}
fn other(secret: Result<String, std::env::VarError>) -> String {
    secret.unwrap_or("x".into())
}
"#;
        assert_eq!(lines(src), [5, 7]);
    }

    #[test]
    fn smart_default_literals_on_secret_fields_fire() {
        let src = r#"
#[derive(Debug, serde::Deserialize, smart_default::SmartDefault)]
#[serde(default)]
pub struct DatabaseConfig {
    #[default("lemmy")]
    pub user: String,
    #[default("password")]          // 7
    pub password: String,
    #[default("localhost")]
    pub host: String,
    #[default = "dev-key"]          // 11
    pub api_key: String,
    #[default(None)]
    pub token: Option<String>,
}
"#;
        assert_eq!(lines(src), [7, 11]);
    }
}

//! Rust-source detection for `hardcoded_secret`: the string literals an
//! expression stands for, the names they are bound to (`let`, fields,
//! assignments, callees, `json!` keys), and secrets split over `concat!`.

use std::ops::Range;

use super::{HardcodedSecret, allowed_value, format_hits, report_secret, scanner_allowed, strip_auth_scheme};
use crate::engine::{Call, Cx, MacroCall, has_cfg_test, is_test_fn};
use crate::rules::config::secret_patterns::Kind;
use crate::rules::config::secret_values::{Class, plausible_value, secret_name};
use crate::source::SourceFile;

/// Methods that unwrap or convert a value without changing it:
/// `"…".to_string()`, `String::from("…")`, `Some("…")`.
const TRANSPARENT_METHODS: &[&str] = &[
    "to_string",
    "to_owned",
    "into",
    "as_bytes",
    "as_ref",
    "to_vec",
    "as_str",
    "clone",
    "parse",
    "unwrap",
    "expect",
    "into_bytes",
    "into_boxed_str",
];

/// Constructors that wrap their one argument: `SecretString::new("…".into())`.
const TRANSPARENT_CALLS: &[&str] = &[
    "from",
    "new",
    "Some",
    "Ok",
    "Borrowed",
    "Owned",
    "from_static",
    "from_str",
    "from_string",
    "from_maybe_shared",
];

/// Calls with a name literal and a value: headers, maps, env vars, params.
/// `.header("Authorization", "Bearer …")`, `env::set_var("API_TOKEN", "…")`.
pub(super) const NAMED_VALUE_CALLS: &[&str] = &[
    "header",
    "insert",
    "append",
    "insert_header",
    "append_header",
    "set_header",
    "default_header",
    "set",
    "env",
    "set_var",
    "param",
    "add",
    "put",
    "field",
    "query_param",
    "with_header",
];

/// Callees whose argument at the index is the secret, where the callee's own
/// name says less: `Credentials::new(user, "…")`.
pub(super) const SECRET_ARGUMENTS: &[(&str, usize, Class)] = &[
    ("basic_auth", 1, Class::Password),
    ("bearer_auth", 0, Class::Token),
    ("Credentials::new", 1, Class::Password),
    ("StaticProvider::new", 1, Class::Token),
    ("with_credentials", 1, Class::Password),
    ("credentials", 1, Class::Password),
];

/// First words of callees that read or check a secret rather than set one:
/// `get_secret("db")`, `verify_password(input, hash)`.
const READING_VERBS: &[&str] = &[
    "get", "read", "load", "fetch", "find", "lookup", "remove", "delete", "has", "contains", "is", "parse", "validate",
    "verify", "check", "hash", "decode", "encode", "require", "expect", "unwrap", "take", "clear", "redact", "mask",
    "hide", "strip", "rotate", "revoke", "refresh", "list", "describe", "count", "len", "print", "log", "format",
    "display", "debug", "fmt", "to", "as", "into", "from", "try", "map", "sanitize", "escape", "compare", "eq",
    "split",
];

/// A string literal's value and where it sits in the file.
pub(super) struct LitText {
    pub(super) value: String,
    /// The whole token.
    token: Range<usize>,
    /// Between the quotes.
    inner: Range<usize>,
    /// Whether `inner` is written exactly as `value` (no escapes), so value
    /// offsets are file offsets from `inner.start`.
    verbatim: bool,
}

pub(super) fn lit_text(file: &SourceFile, lit: &syn::Lit) -> Option<LitText> {
    let value = match lit {
        syn::Lit::Str(s) => s.value(),
        syn::Lit::ByteStr(b) => String::from_utf8_lossy(&b.value()).into_owned(),
        syn::Lit::CStr(c) => c.value().to_string_lossy().into_owned(),
        _ => return None,
    };
    let token = lit.span().byte_range();
    let written = file.text.get(token.clone())?;
    let open = written.find('"')?;
    let close = written.rfind('"')?;
    if close <= open {
        return None;
    }
    let inner = token.start + open + 1..token.start + close;
    let verbatim = file.text.get(inner.clone()) == Some(value.as_str());
    Some(LitText {
        value,
        token,
        inner,
        verbatim,
    })
}

/// The string literals an expression stands for, looking through
/// conversions, wrappers, references, arrays, closures and blocks.
fn literals<'e>(expr: &'e syn::Expr, out: &mut Vec<&'e syn::Lit>) {
    match expr {
        syn::Expr::Lit(l) if matches!(l.lit, syn::Lit::Str(_) | syn::Lit::ByteStr(_) | syn::Lit::CStr(_)) => {
            out.push(&l.lit)
        }
        syn::Expr::MethodCall(m) if TRANSPARENT_METHODS.contains(&m.method.to_string().as_str()) => {
            literals(&m.receiver, out)
        }
        syn::Expr::Call(c) if c.args.len() == 1 => {
            if let syn::Expr::Path(p) = &*c.func
                && let Some(last) = p.path.segments.last()
            {
                let name = last.ident.to_string();
                // `Some(..)`, `String::from(..)`, and tuple structs `ApiKey(..)`
                if TRANSPARENT_CALLS.contains(&name.as_str()) || name.starts_with(|c: char| c.is_ascii_uppercase()) {
                    literals(&c.args[0], out);
                }
            }
        }
        syn::Expr::Reference(r) => literals(&r.expr, out),
        syn::Expr::Paren(p) => literals(&p.expr, out),
        syn::Expr::Group(g) => literals(&g.expr, out),
        syn::Expr::Cast(c) => literals(&c.expr, out),
        syn::Expr::Array(a) => a.elems.iter().for_each(|e| literals(e, out)),
        // `match env { Env::Prod => "…", .. }`, `if prod { "…" } else { .. }`
        syn::Expr::Match(m) => m
            .arms
            .iter()
            .filter(|a| !has_cfg_test(&a.attrs))
            .for_each(|a| literals(&a.body, out)),
        syn::Expr::If(i) => {
            if let Some(syn::Stmt::Expr(e, None)) = i.then_branch.stmts.last() {
                literals(e, out);
            }
            if let Some((_, e)) = &i.else_branch {
                literals(e, out);
            }
        }
        syn::Expr::Closure(c) => literals(&c.body, out),
        syn::Expr::Block(b) => {
            if let Some(syn::Stmt::Expr(e, None)) = b.block.stmts.last() {
                literals(e, out);
            }
        }
        _ => {}
    }
}

/// Whether [`literals`] finds any string literal in `expr`.
pub(super) fn has_literal(expr: &syn::Expr) -> bool {
    let mut lits = Vec::new();
    literals(expr, &mut lits);
    !lits.is_empty()
}

/// The name an assignee or operand reads as: `password`, `self.api_key`,
/// `cfg.auth.token`, `self.password()`.
pub(super) fn expr_name(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        syn::Expr::Field(f) => match &f.member {
            syn::Member::Named(i) => Some(i.to_string()),
            syn::Member::Unnamed(_) => None,
        },
        syn::Expr::MethodCall(m) if m.args.is_empty() => Some(m.method.to_string()),
        syn::Expr::Reference(r) => expr_name(&r.expr),
        syn::Expr::Unary(u) => expr_name(&u.expr),
        syn::Expr::Paren(p) => expr_name(&p.expr),
        _ => None,
    }
}

/// Roots of expressions that read the program's configuration: `ARGS.x`,
/// `CONFIG.admin_token()`, `settings.password`, `self.config.secret`.
const CONFIG_ROOTS: &[&str] = &[
    "args", "config", "cfg", "conf", "settings", "opts", "options", "cli", "env",
];

/// Whether `expr` reads a configured value (`*ARGS.auth_admin_password`,
/// `CONFIG.admin_token()`, `self.config.secret`).
pub(super) fn reads_configuration(expr: &syn::Expr) -> bool {
    let mut expr = expr;
    loop {
        match expr {
            syn::Expr::Field(f) => {
                if let syn::Expr::Field(inner) = &*f.base
                    && let syn::Member::Named(m) = &inner.member
                    && CONFIG_ROOTS.contains(&m.to_string().to_ascii_lowercase().as_str())
                {
                    return true;
                }
                expr = &f.base;
            }
            syn::Expr::MethodCall(m) => expr = &m.receiver,
            syn::Expr::Unary(u) => expr = &u.expr,
            syn::Expr::Reference(r) => expr = &r.expr,
            syn::Expr::Paren(p) => expr = &p.expr,
            syn::Expr::Path(p) => {
                return p
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| CONFIG_ROOTS.contains(&s.ident.to_string().to_ascii_lowercase().as_str()));
            }
            _ => return false,
        }
    }
}

/// A name given as a literal or a constant: `"X-Api-Key"`, `AUTHORIZATION`.
pub(super) fn name_arg(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s), ..
        }) => Some(s.value()),
        syn::Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        syn::Expr::Reference(r) => name_arg(&r.expr),
        syn::Expr::MethodCall(m) if TRANSPARENT_METHODS.contains(&m.method.to_string().as_str()) => {
            name_arg(&m.receiver)
        }
        syn::Expr::Call(c) if c.args.len() == 1 => name_arg(&c.args[0]),
        _ => None,
    }
}

/// The callee's name: a method's, or a path's last segment with its type
/// (`Credentials::new`).
pub(super) fn callee_names(call: &Call<'_>) -> Vec<String> {
    if let Some(m) = call.method {
        return vec![m.to_string()];
    }
    let syn::Expr::Call(c) = call.expr else {
        return Vec::new();
    };
    let syn::Expr::Path(p) = &*c.func else {
        return Vec::new();
    };
    let segs: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
    let mut out = vec![segs.last().cloned().unwrap_or_default()];
    if segs.len() >= 2 {
        out.push(segs[segs.len() - 2..].join("::"));
    }
    out
}

/// The class of secret a callee's arguments are, when its name reads as
/// setting one: `with_api_key`, `set_password`, `bearer_auth`.
pub(super) fn secret_callee(name: &str) -> Option<Class> {
    let words = crate::rules::config::secret_values::words(name);
    if words.first().is_some_and(|w| READING_VERBS.contains(&w.as_str())) {
        return None;
    }
    secret_name(name)
}

impl HardcodedSecret {
    /// Reports `range` (file offsets of the secret) inside the literal `lit`.
    pub(super) fn report_in_lit(
        &self,
        cx: &mut Cx<'_>,
        lit: &LitText,
        secret: Range<usize>,
        message: String,
        label: String,
    ) {
        if Self::quiet(cx, &lit.token) {
            return;
        }
        let (span, mask) = if lit.verbatim {
            let r = lit.inner.start + secret.start..lit.inner.start + secret.end;
            (r.clone(), r)
        } else {
            (lit.token.clone(), lit.inner.clone())
        };
        if scanner_allowed(cx.file(), span.start) {
            return;
        }
        cx.redact(mask);
        let span = cx.span_of(span);
        report_secret(cx.report(span, message), &label);
    }

    /// A literal in a context named `name`: reports it when the value looks
    /// like a credential of that class and no format detector finds it.
    pub(super) fn check_named_lit(&self, cx: &mut Cx<'_>, name: &str, class: Class, lit: &syn::Lit) {
        let Some(text) = lit_text(cx.file(), lit) else { return };
        let options = Self::options(cx);
        if !format_hits(options, &text.value).is_empty() {
            // The literal check reports it by its format.
            return;
        }
        let (offset, value) = strip_auth_scheme(&text.value);
        if !plausible_value(value, class) || allowed_value(options, value) {
            return;
        }
        let shown = cx.redacted(value);
        let what = match class {
            Class::Password => "password",
            Class::Token => "secret",
        };
        self.report_in_lit(
            cx,
            &text,
            offset..offset + value.len(),
            format!("hardcoded {what} `{shown}`"),
            format!("`{name}` is set to a credential written in the source"),
        );
    }

    pub(super) fn check_named(&self, cx: &mut Cx<'_>, name: &str, value: &syn::Expr) {
        // Cheap tests first: most bindings hold no literal.
        if Self::in_test_code(cx) || !has_literal(value) {
            return;
        }
        let Some(class) = secret_name(name) else { return };
        self.check_named_with(cx, name, class, value);
    }

    pub(super) fn check_named_with(&self, cx: &mut Cx<'_>, name: &str, class: Class, value: &syn::Expr) {
        let mut lits = Vec::new();
        literals(value, &mut lits);
        for lit in lits {
            self.check_named_lit(cx, name, class, lit);
        }
    }

    /// `fn api_key() -> &'static str { "…" }`
    pub(super) fn check_fn_body(
        &self,
        cx: &mut Cx<'_>,
        name: &syn::Ident,
        attrs: &[syn::Attribute],
        block: &syn::Block,
    ) {
        if has_cfg_test(attrs) || is_test_fn(attrs) {
            return;
        }
        if let Some(syn::Stmt::Expr(tail, None)) = block.stmts.last() {
            self.check_named(cx, &name.to_string(), tail);
        }
    }
}

/// Macros whose literal arguments make one string.
pub(super) const CONCAT_MACROS: &[&str] = &["std::concat", "const_format::concatcp", "const_format::concatc"];

impl HardcodedSecret {
    /// `concat!("ghp_", "xGKZ…")`: a secret split over literals, found in
    /// the joined value and reported at the macro.
    pub(super) fn check_concat(&self, cx: &mut Cx<'_>, mac: &MacroCall<'_>) {
        let Some(args) = mac.args else { return };
        if Self::skips_formats(cx) {
            return;
        }
        let mut joined = String::new();
        let mut pieces = Vec::new();
        for arg in args {
            let syn::Expr::Lit(syn::ExprLit { lit, .. }) = arg else {
                continue;
            };
            let Some(text) = lit_text(cx.file(), lit) else { continue };
            joined.push_str(&text.value);
            pieces.push(text);
        }
        if pieces.len() < 2 {
            return;
        }
        let options = Self::options(cx);
        let hits = format_hits(options, &joined);
        // A secret inside one piece is reported by the literal check.
        let whole: Vec<&LitText> = pieces.iter().collect();
        let in_one_piece = |secret: &str| whole.iter().any(|p| p.value.contains(secret));
        for hit in hits {
            let secret = joined[hit.range.clone()].to_string();
            if in_one_piece(&secret) || (hit.kind == Kind::UrlCredentials && Self::in_test_code(cx)) {
                continue;
            }
            let span = mac
                .mac
                .path
                .segments
                .first()
                .map_or(0, |s| s.ident.span().byte_range().start)
                ..mac.mac.delimiter.span().close().byte_range().end;
            if scanner_allowed(cx.file(), span.start) || Self::quiet(cx, &span) {
                continue;
            }
            // One range over every piece, so only the first four characters show.
            let first = pieces.first().map_or(0, |p| p.inner.start);
            let last = pieces.last().map_or(0, |p| p.inner.end);
            cx.redact(first..last);
            let shown = cx.redacted(&secret);
            let span = cx.span_of(span);
            report_secret(
                cx.report(span, format!("hardcoded {} `{shown}`", hit.title)),
                &format!("a {} put together from literals", hit.title),
            );
        }
    }
}

/// `"key": "value"` pairs anywhere in a `json!` body.
pub(super) fn json_pairs(tokens: proc_macro2::TokenStream, out: &mut Vec<(String, proc_macro2::Literal)>) {
    use proc_macro2::TokenTree;
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tt) in tokens.iter().enumerate() {
        match tt {
            TokenTree::Group(g) => json_pairs(g.stream(), out),
            TokenTree::Literal(key) => {
                if let (Some(TokenTree::Punct(colon)), Some(TokenTree::Literal(value))) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                    && colon.as_char() == ':'
                    && let syn::Lit::Str(k) = syn::Lit::new(key.clone())
                    && matches!(syn::Lit::new(value.clone()), syn::Lit::Str(_))
                {
                    out.push((k.value(), value.clone()));
                }
            }
            _ => {}
        }
    }
}

/// The identifier a `let` pattern binds: `x`, `mut x`, `x: T`.
pub(super) fn pat_name(pat: &syn::Pat) -> Option<String> {
    match pat {
        syn::Pat::Ident(i) => Some(i.ident.to_string()),
        syn::Pat::Type(t) => pat_name(&t.pat),
        _ => None,
    }
}

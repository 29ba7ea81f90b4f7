//! The suggestion of `hardcoded_secret` in Rust source: the literal gives
//! way to an environment read named after what holds it.

use std::ops::Range;

use syn::spanned::Spanned;

use crate::diagnostic::{Applicability, Diagnostic, Edit, Span};
use crate::engine::Cx;
use crate::rules::rewrite::{self, Parent, Scope};

/// Conversions of a literal into a `String`: the read replaces them whole.
const TO_STRING: &[&str] = &["to_string", "to_owned"];

/// A conversion into what the context wants, which a `String` usually is.
const INTO: &str = "into";

/// Prefixes of setter names that are not part of the variable's name.
const SETTER_PREFIXES: &[&str] = &["with_", "set_"];

/// A suggestion: its message, edits, applicability and the variable read.
pub(super) struct Fix {
    message: String,
    edits: Vec<Edit>,
    applicability: Applicability,
    var: String,
}

impl Fix {
    pub(super) fn attach(self, d: &mut Diagnostic) {
        d.suggest(self.message, self.edits, self.applicability)
            .suggest_env([self.var]);
    }
}

/// The suggestion for the literal token at `token`, when the code around
/// it says what to read and the read keeps the code well typed.
pub(super) fn suggestion(cx: &Cx<'_>, token: Range<usize>) -> Option<Fix> {
    let text = &cx.file().text[token.clone()];
    // Byte and C strings are not `&str`s.
    if !(text.starts_with('"') || text.starts_with("r\"") || text.starts_with("r#")) {
        return None;
    }
    let site = rewrite::site(cx.file(), token.clone())?;
    if let Some(Parent::Constant(c)) = site.parents.first() {
        return constant(cx, c);
    }
    let mut target = token.clone();
    let mut owned = false;
    let mut exact = true;
    let mut holder = 0;
    match site.parents.first() {
        Some(Parent::Expr(syn::Expr::MethodCall(m)))
            if m.args.is_empty() && m.receiver.span().byte_range() == token && m.method == INTO =>
        {
            (target, owned, exact, holder) = (m.span().byte_range(), true, false, 1);
        }
        Some(Parent::Expr(syn::Expr::MethodCall(m)))
            if m.args.is_empty()
                && m.receiver.span().byte_range() == token
                && TO_STRING.contains(&m.method.to_string().as_str()) =>
        {
            (target, owned, holder) = (m.span().byte_range(), true, 1);
        }
        Some(Parent::Expr(syn::Expr::Call(c)))
            if c.args.len() == 1
                && matches!(&*c.func, syn::Expr::Path(p) if p.path.segments.len() >= 2
                    && p.path.segments.iter().rev().nth(1).is_some_and(|s| s.ident == "String")
                    && p.path.segments.last().is_some_and(|s| s.ident == "from")) =>
        {
            (target, owned, holder) = (c.span().byte_range(), true, 1);
        }
        _ => {}
    }
    // What holds the value, and how a borrow of a fresh `String` lives there.
    let (name, hold) = match site.parents.get(holder) {
        Some(Parent::Local(l)) if l.init.as_ref().is_some_and(|i| i.expr.span().byte_range() == target) => {
            (super::source::pat_name(&l.pat), Hold::Borrow)
        }
        Some(Parent::Expr(syn::Expr::Struct(s))) => (
            s.fields.iter().find_map(|f| match &f.member {
                syn::Member::Named(i) if f.expr.span().byte_range() == target => Some(i.to_string()),
                _ => None,
            }),
            Hold::Leak,
        ),
        Some(Parent::Expr(syn::Expr::Assign(a))) if a.right.span().byte_range() == target => {
            (super::source::expr_name(&a.left), Hold::Leak)
        }
        // An argument is named by a callee that reads as taking a secret
        // (`with_api_key`, `set_password`); `from_static` wants a literal.
        Some(Parent::Expr(syn::Expr::Call(c))) if c.args.iter().any(|a| a.span().byte_range() == target) => {
            let name = match &*c.func {
                syn::Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
                _ => None,
            };
            (name.filter(|n| names_secret(n)), Hold::Borrow)
        }
        Some(Parent::Expr(syn::Expr::MethodCall(m))) if m.args.iter().any(|a| a.span().byte_range() == target) => {
            (Some(m.method.to_string()).filter(|n| names_secret(n)), Hold::Borrow)
        }
        // The tail of `fn api_key() -> &'static str { "…" }`.
        None if matches!(&site.scope, Scope::Fn(syn::ReturnType::Type(_, t)) if rewrite::is_str_ref(t)) => {
            (cx.enclosing_fn().map(str::to_string), Hold::Leak)
        }
        _ => (None, Hold::Borrow),
    };
    let name = name?;
    let bare = SETTER_PREFIXES
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(&name);
    let var = rewrite::var_name(bare);
    if var.is_empty() {
        return None;
    }
    let read = rewrite::env_read(&var, rewrite::missing(cx, &site.scope));
    let (replacement, applicability) = if owned && exact {
        // Exactly the `String` the conversion made.
        (read, Applicability::MachineApplicable)
    } else if owned {
        (read, Applicability::MaybeIncorrect)
    } else {
        match hold {
            Hold::Borrow => (format!("&{read}"), Applicability::MaybeIncorrect),
            Hold::Leak => (format!("{read}.leak()"), Applicability::MaybeIncorrect),
        }
    };
    Some(Fix {
        message: format!("read it from `{var}` in the environment"),
        edits: vec![Edit {
            span: Span::new(cx.file().clone(), target),
            replacement,
        }],
        applicability,
        var,
    })
}

/// Whether a callee's name says its argument is a secret.
fn names_secret(name: &str) -> bool {
    let bare = SETTER_PREFIXES
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name);
    crate::rules::config::secret_values::secret_name(bare).is_some()
}

/// How the read's `String` stands in for a `&str`.
enum Hold {
    /// `&std::env::var(..)..`: a `let` or an argument keeps the borrow alive.
    Borrow,
    /// `std::env::var(..)...leak()`: a field or a return value may need
    /// `&'static str`, read once at startup.
    Leak,
}

/// `const API_KEY: &str = "…";` becomes a `LazyLock<String>` read from
/// `API_KEY`, and each use in the file `API_KEY.as_str()`.
fn constant(cx: &Cx<'_>, c: &rewrite::Constant) -> Option<Fix> {
    if !rewrite::is_str_ref(&c.ty) {
        return None;
    }
    let uses = rewrite::value_uses(cx.file(), &c.ident)?;
    let var = rewrite::static_name(&c.ident);
    let file = cx.file();
    let mut edits = vec![Edit {
        span: Span::new(file.clone(), c.range.clone()),
        replacement: format!(
            "static {}: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {});",
            c.ident,
            rewrite::env_read(&var, rewrite::Missing::Expect)
        ),
    }];
    edits.extend(uses.into_iter().map(|r| {
        let written = file.text[r.clone()].to_string();
        Edit {
            span: Span::new(file.clone(), r),
            replacement: format!("{written}.as_str()"),
        }
    }));
    Some(Fix {
        message: format!("read it from `{var}` once, at first use"),
        edits,
        applicability: Applicability::MaybeIncorrect,
        var,
    })
}

//! What the rules' suggestions need to know about the code around a node
//! that the pass does not keep: the expressions enclosing it, the `let`,
//! item or field it initialises, and the function whose `?` it would use.
//!
//! Only findings with a suggestion ask, so the parents are found here
//! rather than the pass keeping them for every node: in the tree the pass
//! is visiting, or, after it (package-level checks), in the file parsed
//! again. No tree outlives its pass: the engine invalidates the thread's
//! spans after each file.

use std::ops::Range;
use std::sync::Arc;

use syn::spanned::Spanned;
use syn::visit::Visit;

use crate::engine::Cx;
use crate::source::SourceFile;

/// What holds the node, innermost first.
#[derive(Debug, Clone)]
pub(crate) enum Parent {
    Expr(syn::Expr),
    /// `let pat = <node>;` (the initializer, possibly through parents).
    Local(syn::Local),
    /// A `const` or `static` item.
    Constant(Constant),
}

/// A `const` or `static` item around the node.
#[derive(Debug, Clone)]
pub(crate) struct Constant {
    pub ident: String,
    pub ty: syn::Type,
    /// From the `const`/`static` keyword to the `;`.
    pub range: Range<usize>,
}

/// Where code that returns early with `?` would return to.
#[derive(Debug, Clone)]
pub(crate) enum Scope {
    /// A function, with its return type.
    Fn(syn::ReturnType),
    /// A closure or an `async` block: its own return type is not written.
    Closure,
    /// A `const` or `static` initializer, or no function at all.
    Constant,
}

/// The syntax around a node.
#[derive(Debug, Clone)]
pub(crate) struct Site {
    pub parents: Vec<Parent>,
    pub scope: Scope,
}

/// The file's syntax tree, with spans valid until the engine's next
/// invalidation.
fn parsed(file: &Arc<SourceFile>) -> Option<std::rc::Rc<syn::File>> {
    crate::source::tree_of(file).or_else(|| file.parse().ok().map(std::rc::Rc::new))
}

/// The site of the expression spanning exactly `range` in `file`, if it is
/// in code syn sees (not inside a macro's arguments).
pub(crate) fn site(file: &Arc<SourceFile>, range: Range<usize>) -> Option<Site> {
    find(file, range)?.found
}

/// Where `?` at `range` would return to, inside macro arguments too.
pub(crate) fn scope_at(file: &Arc<SourceFile>, range: Range<usize>) -> Option<Scope> {
    let finder = find(file, range)?;
    Some(match finder.found {
        Some(site) => site.scope,
        None => finder.deepest.unwrap_or(Scope::Constant),
    })
}

fn find(file: &Arc<SourceFile>, range: Range<usize>) -> Option<Finder> {
    let tree = parsed(file)?;
    let mut finder = Finder {
        target: range,
        parents: Vec::new(),
        scopes: Vec::new(),
        found: None,
        deepest: None,
    };
    finder.visit_file(&tree);
    Some(finder)
}

struct Finder {
    target: Range<usize>,
    parents: Vec<Parent>,
    scopes: Vec<Scope>,
    found: Option<Site>,
    /// The innermost scope of a node that covers the target.
    deepest: Option<Scope>,
}

impl Finder {
    fn covers(&self, node: &impl Spanned) -> bool {
        let r = node.span().byte_range();
        r.start <= self.target.start && self.target.end <= r.end
    }
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        if self.found.is_some() || !self.covers(e) {
            return;
        }
        self.deepest = self.scopes.last().cloned();
        if e.span().byte_range() == self.target {
            self.found = Some(Site {
                parents: self.parents.iter().rev().cloned().collect(),
                scope: self.scopes.last().cloned().unwrap_or(Scope::Constant),
            });
            return;
        }
        let scope = match e {
            syn::Expr::Closure(_) | syn::Expr::Async(_) => Some(Scope::Closure),
            _ => None,
        };
        if let Some(s) = &scope {
            self.scopes.push(s.clone());
            self.deepest = Some(s.clone());
        }
        self.parents.push(Parent::Expr(e.clone()));
        syn::visit::visit_expr(self, e);
        self.parents.pop();
        if scope.is_some() {
            self.scopes.pop();
        }
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        if self.found.is_some() || !self.covers(l) {
            return;
        }
        self.parents.push(Parent::Local(l.clone()));
        syn::visit::visit_local(self, l);
        self.parents.pop();
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if self.found.is_some() || !self.covers(f) {
            return;
        }
        self.scopes.push(Scope::Fn(f.sig.output.clone()));
        self.deepest = self.scopes.last().cloned();
        let saved = std::mem::take(&mut self.parents);
        syn::visit::visit_item_fn(self, f);
        self.parents = saved;
        self.scopes.pop();
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if self.found.is_some() || !self.covers(f) {
            return;
        }
        self.scopes.push(Scope::Fn(f.sig.output.clone()));
        self.deepest = self.scopes.last().cloned();
        let saved = std::mem::take(&mut self.parents);
        syn::visit::visit_impl_item_fn(self, f);
        self.parents = saved;
        self.scopes.pop();
    }

    fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
        if self.found.is_some() || !self.covers(c) {
            return;
        }
        self.scopes.push(Scope::Constant);
        self.deepest = Some(Scope::Constant);
        self.parents.push(Parent::Constant(Constant {
            ident: c.ident.to_string(),
            ty: (*c.ty).clone(),
            range: c.const_token.span.byte_range().start..c.semi_token.span.byte_range().end,
        }));
        syn::visit::visit_item_const(self, c);
        self.parents.pop();
        self.scopes.pop();
    }

    fn visit_item_static(&mut self, s: &'ast syn::ItemStatic) {
        if self.found.is_some() || !self.covers(s) {
            return;
        }
        self.scopes.push(Scope::Constant);
        self.deepest = Some(Scope::Constant);
        self.parents.push(Parent::Constant(Constant {
            ident: s.ident.to_string(),
            ty: (*s.ty).clone(),
            range: s.static_token.span.byte_range().start..s.semi_token.span.byte_range().end,
        }));
        syn::visit::visit_item_static(self, s);
        self.parents.pop();
        self.scopes.pop();
    }
}

/// Every use of the item `ident` of this file as a value (`API_KEY`,
/// `self::API_KEY`), or `None` when one is where a value expression
/// cannot change: in a `const` or `static`, a pattern, or macro
/// arguments syn does not parse (every whole-word mention is counted).
pub(crate) fn value_uses(file: &Arc<SourceFile>, ident: &str) -> Option<Vec<Range<usize>>> {
    struct Uses<'i> {
        ident: &'i str,
        in_constant: usize,
        found: Vec<Range<usize>>,
        blocked: bool,
    }
    impl<'ast> Visit<'ast> for Uses<'_> {
        fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
            let named = p.qself.is_none()
                && p.path.segments.last().is_some_and(|s| s.ident == self.ident)
                && p.path
                    .segments
                    .iter()
                    .rev()
                    .skip(1)
                    .all(|s| s.ident == "self" || s.ident == "crate");
            if named {
                if self.in_constant > 0 {
                    self.blocked = true;
                }
                self.found.push(p.span().byte_range());
            }
        }
        fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
            self.in_constant += 1;
            syn::visit::visit_item_const(self, c);
            self.in_constant -= 1;
        }
        fn visit_item_static(&mut self, s: &'ast syn::ItemStatic) {
            self.in_constant += 1;
            syn::visit::visit_item_static(self, s);
            self.in_constant -= 1;
        }
    }
    let tree = parsed(file)?;
    let mut uses = Uses {
        ident,
        in_constant: 0,
        found: Vec::new(),
        blocked: false,
    };
    uses.visit_file(&tree);
    // The definition is one more mention.
    let mentions = word_count(&file.text, ident);
    (!uses.blocked && mentions == uses.found.len() + 1).then_some(uses.found)
}

/// How often `word` appears in `text` as a whole identifier.
fn word_count(text: &str, word: &str) -> usize {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word)
        .filter(|(i, _)| {
            let before = text[..*i].chars().next_back();
            let after = text[i + word.len()..].chars().next();
            !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
        })
        .count()
}

/// Whether `ty` is `&str` or `&'static str`.
pub(crate) fn is_str_ref(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Reference(r) if r.mutability.is_none()
        && r.lifetime.as_ref().is_none_or(|l| l.ident == "static")
        && matches!(&*r.elem, syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("str")))
}

/// How a required environment read handles a missing variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Missing {
    /// `?`: the function returns a `Result` whose error a `VarError`
    /// converts into.
    Try,
    /// `.expect("NAME must be set")`.
    Expect,
}

/// Result types whose error a `std::env::VarError` converts into with `?`.
const RESULTS: &[&str] = &[
    "anyhow::Result",
    "eyre::Result",
    "color_eyre::Result",
    "color_eyre::eyre::Result",
];

/// Error types a `std::env::VarError` converts into.
const ERRORS: &[&str] = &[
    "anyhow::Error",
    "eyre::Report",
    "color_eyre::Report",
    "color_eyre::eyre::Report",
    "std::env::VarError",
];

/// How a read in `scope` handles a missing variable: `?` where the
/// enclosing function's error type takes a `VarError`, else `expect`.
pub(crate) fn missing(cx: &Cx<'_>, scope: &Scope) -> Missing {
    let Scope::Fn(syn::ReturnType::Type(_, ty)) = scope else {
        return Missing::Expect;
    };
    let syn::Type::Path(p) = &**ty else {
        return Missing::Expect;
    };
    let Some(last) = p.path.segments.last() else {
        return Missing::Expect;
    };
    let paths = cx.resolve(&p.path);
    let args = crate::rules::common::generic_types(last);
    let converts = if paths.iter().any(|p| RESULTS.contains(&p.as_str())) {
        args.len() == 1 || args.get(1).is_some_and(|e| error_converts(cx, e))
    } else if last.ident == "Result" && args.len() == 2 {
        error_converts(cx, args[1])
    } else {
        false
    };
    if converts { Missing::Try } else { Missing::Expect }
}

/// `Box<dyn Error (+ Send + Sync)>`, `anyhow::Error`, `VarError`, ...
fn error_converts(cx: &Cx<'_>, ty: &syn::Type) -> bool {
    let syn::Type::Path(p) = ty else { return false };
    let Some(last) = p.path.segments.last() else {
        return false;
    };
    if cx.resolve(&p.path).iter().any(|p| ERRORS.contains(&p.as_str())) {
        return true;
    }
    if last.ident != "Box" {
        return false;
    }
    let syn::PathArguments::AngleBracketed(a) = &last.arguments else {
        return false;
    };
    let Some(syn::GenericArgument::Type(syn::Type::TraitObject(t))) = a.args.first() else {
        return false;
    };
    t.bounds.iter().any(|b| match b {
        syn::TypeParamBound::Trait(t) => t.path.segments.last().is_some_and(|s| s.ident == "Error"),
        _ => false,
    })
}

/// `std::env::var("NAME")?` or `std::env::var("NAME").expect("NAME must be set")`:
/// a `String`.
pub(crate) fn env_read(name: &str, missing: Missing) -> String {
    match missing {
        Missing::Try => format!("std::env::var({name:?})?"),
        Missing::Expect => format!("std::env::var({name:?}).expect(\"{name} must be set\")"),
    }
}

/// An identifier for a variable's value: `API_KEY` for `api-key`.
pub(crate) fn static_name(var: &str) -> String {
    let mut s: String = var
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}

/// An environment variable name for a binding: `API_KEY` for `api_key`,
/// `self.stripeSecret` gives `STRIPE_SECRET`.
pub(crate) fn var_name(binding: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in binding.trim_start_matches('_').chars() {
        if c.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(var_name("api_key"), "API_KEY");
        assert_eq!(var_name("stripeSecret"), "STRIPE_SECRET");
        assert_eq!(var_name("_token"), "TOKEN");
        assert_eq!(static_name("x-api.key"), "X_API_KEY");
        assert_eq!(static_name("1X"), "_1X");
    }

    #[test]
    fn finds_parents_and_scope() {
        let src = "fn f() -> Result<(), Box<dyn std::error::Error>> { let k = \"v\".to_string(); Ok(()) }";
        let file = Arc::new(SourceFile::new("/x.rs", src.into()));
        let at = src.find("\"v\"").unwrap();
        let site = site(&file, at..at + 3).unwrap();
        assert!(matches!(
            site.parents.first(),
            Some(Parent::Expr(syn::Expr::MethodCall(_)))
        ));
        assert!(matches!(site.parents.get(1), Some(Parent::Local(_))));
        assert!(matches!(site.scope, Scope::Fn(syn::ReturnType::Type(..))));
        // In a statement macro's arguments, which syn does not parse.
        let src = "fn f() -> anyhow::Result<()> { println!(\"{}\", env!(\"X\")); Ok(()) }";
        let file = Arc::new(SourceFile::new("/z.rs", src.into()));
        let at = src.find("env!").unwrap();
        assert!(matches!(
            scope_at(&file, at..at + 9),
            Some(Scope::Fn(syn::ReturnType::Type(..)))
        ));
        let closure = "fn f() { let c = || \"v\"; }";
        let file = Arc::new(SourceFile::new("/y.rs", closure.into()));
        let at = closure.find("\"v\"").unwrap();
        assert!(matches!(site_of(&file, at).scope, Scope::Closure));
    }

    fn site_of(file: &Arc<SourceFile>, at: usize) -> Site {
        site(file, at..at + 3).unwrap()
    }
}

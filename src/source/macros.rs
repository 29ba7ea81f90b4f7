//! Macro arguments. `syn` does not expand macros, so well-known macros are
//! parsed as the expressions they take; any other macro's tokens are scanned
//! for literals and nested macro calls.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;

/// Logging macros whose arguments may start with `target:`/`parent:` and use
/// `?x` / `%x` field sigils.
const LOG_MACROS: &[&str] = &[
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "event",
    "span",
    "trace_span",
    "debug_span",
    "info_span",
    "warn_span",
    "error_span",
    "log",
];

/// Macros whose body is a template of code generated elsewhere, not code
/// of this crate: nothing in them is checked.
const TEMPLATE_MACROS: &[&str] = &[
    "quote",
    "quote_spanned",
    "parse_quote",
    "parse_quote_spanned",
    "macro_rules",
];

/// What a macro's body holds, as far as it can be parsed.
#[derive(Default)]
pub struct MacroBody {
    /// Expressions: the arguments of `format!`-like macros, or the
    /// expression statements of a statement-like body.
    pub args: Option<Vec<syn::Expr>>,
    /// Items: `cfg_if! { if #[cfg(unix)] { mod unix; } }`, `tokio`'s
    /// `cfg_rt! { pub fn spawn() {} }`.
    pub items: Vec<syn::Item>,
    /// A code template (`quote!`, `macro_rules!`): not this crate's code.
    pub template: bool,
}

/// Parsed macro bodies of one file by the address of the macro node and
/// where it is written, so each body is parsed once per file. Entries live
/// as long as the cache, so addresses of nodes inside them are not reused;
/// a macro found by [`scan`] is a temporary whose address the next one
/// takes, and only its place in the file tells the two apart.
#[derive(Default)]
pub struct MacroCache(RefCell<HashMap<(usize, usize, usize), Rc<MacroBody>>>);

impl MacroCache {
    pub fn get(&self, mac: &syn::Macro) -> Rc<MacroBody> {
        let start = mac
            .path
            .segments
            .first()
            .map_or(0, |s| s.ident.span().byte_range().start);
        let end = mac.delimiter.span().close().byte_range().end;
        let key = (mac as *const syn::Macro as usize, start, end);
        if let Some(body) = self.0.borrow().get(&key) {
            return body.clone();
        }
        let body = Rc::new(parse_body(mac));
        self.0.borrow_mut().insert(key, body.clone());
        body
    }
}

/// Parses a macro's arguments as expressions, when they are expressions.
pub fn parse_args(mac: &syn::Macro) -> Option<Vec<syn::Expr>> {
    parse_body(mac).args
}

/// Parses a macro body: expressions, statements and items where it can.
pub fn parse_body(mac: &syn::Macro) -> MacroBody {
    let Some(last) = mac.path.segments.last() else {
        return MacroBody::default();
    };
    let name = last.ident.to_string();
    let exprs = |args| MacroBody {
        args: Some(args),
        ..MacroBody::default()
    };
    if TEMPLATE_MACROS.contains(&name.as_str()) {
        return MacroBody {
            template: true,
            ..MacroBody::default()
        };
    }
    if name == "select" || name == "join" || name == "try_join" {
        return exprs(select_branches(mac.tokens.clone()));
    }
    if LOG_MACROS.contains(&name.as_str()) {
        return exprs(lenient_chunks(mac.tokens.clone()));
    }
    if name == "json" {
        return MacroBody::default();
    }
    if let Ok(args) = Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated.parse2(mac.tokens.clone()) {
        return exprs(args.into_iter().collect());
    }
    if name == "lazy_static"
        && let Some(items) = lazy_static_items(mac.tokens.clone())
    {
        return MacroBody {
            items,
            ..MacroBody::default()
        };
    }
    // Statement-like bodies; other DSLs fail here and fall back to
    // `cfg_if!`-style item groups, then to scanning.
    let Ok(stmts) = (|input: ParseStream| syn::Block::parse_within(input)).parse2(mac.tokens.clone()) else {
        return MacroBody {
            items: item_groups(mac.tokens.clone()),
            ..MacroBody::default()
        };
    };
    let mut body = MacroBody::default();
    let mut args = Vec::new();
    for stmt in stmts {
        match stmt {
            syn::Stmt::Expr(e, _) => args.push(e),
            syn::Stmt::Local(l) => args.extend(l.init.map(|i| *i.expr)),
            syn::Stmt::Macro(m) => args.push(syn::Expr::Macro(syn::ExprMacro {
                attrs: m.attrs,
                mac: m.mac,
            })),
            syn::Stmt::Item(item) => body.items.push(item),
        }
    }
    body.args = Some(args);
    body
}

/// `lazy_static! { static ref NAME: T = init; }` as the `static` items it
/// declares, so their initializers are visited as code.
fn lazy_static_items(tokens: TokenStream) -> Option<Vec<syn::Item>> {
    let mut after_static = false;
    let tokens: TokenStream = tokens
        .into_iter()
        .filter(|tt| {
            let is_ref = after_static && matches!(tt, TokenTree::Ident(i) if i == "ref");
            after_static = matches!(tt, TokenTree::Ident(i) if i == "static");
            !is_ref
        })
        .collect();
    syn::parse2::<syn::File>(tokens).ok().map(|f| f.items)
}

/// Items in the brace groups of a body such as `cfg_if!`'s
/// `if #[cfg(unix)] { .. } else { .. }`, at any depth.
fn item_groups(tokens: TokenStream) -> Vec<syn::Item> {
    let mut items = Vec::new();
    for tt in tokens {
        if let TokenTree::Group(g) = tt
            && g.delimiter() == Delimiter::Brace
        {
            match syn::parse2::<syn::File>(g.stream()) {
                Ok(file) if !file.items.is_empty() => items.extend(file.items),
                _ => items.extend(item_groups(g.stream())),
            }
        }
    }
    items
}

/// Splits tokens at top-level commas.
fn split_commas(tokens: TokenStream) -> Vec<Vec<TokenTree>> {
    let mut chunks = vec![Vec::new()];
    for tt in tokens {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == ',' => chunks.push(Vec::new()),
            _ => chunks.last_mut().expect("one chunk").push(tt),
        }
    }
    chunks.retain(|c| !c.is_empty());
    chunks
}

/// `info!(target: "app", ?user, %id, key = value, "msg {}", x)`: each
/// argument that parses as an expression, keyed fields by their value.
fn lenient_chunks(tokens: TokenStream) -> Vec<syn::Expr> {
    split_commas(tokens)
        .into_iter()
        .filter_map(|mut chunk| {
            // `target: x` (a single colon, not a path's `::`)
            if let [TokenTree::Ident(_), TokenTree::Punct(p), rest @ ..] = chunk.as_slice() {
                let path_sep = matches!(rest.first(), Some(TokenTree::Punct(q)) if q.as_char() == ':');
                if p.as_char() == ':' && !path_sep {
                    chunk.drain(..2);
                }
            }
            // `field = value`, `a.b = value`: keep the value.
            let assign = chunk.iter().position(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == '=' && p.spacing() == proc_macro2::Spacing::Alone));
            if let Some(k) = assign {
                let is_field = chunk[..k].iter().all(|t| matches!(t, TokenTree::Ident(_)) || matches!(t, TokenTree::Punct(p) if p.as_char() == '.'));
                if k > 0 && is_field {
                    chunk.drain(..=k);
                }
            }
            if let Some(TokenTree::Punct(p)) = chunk.first()
                && (p.as_char() == '?' || p.as_char() == '%') {
                    chunk.remove(0);
                }
            syn::parse2::<syn::Expr>(chunk.into_iter().collect()).ok()
        })
        .collect()
}

/// `tokio::select! { v = fut => body, else => other }`: the futures and the
/// bodies, as expressions.
fn select_branches(tokens: TokenStream) -> Vec<syn::Expr> {
    let mut out = Vec::new();
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut part: Vec<TokenTree> = Vec::new();
    let mut i = 0;
    let flush = |part: &mut Vec<TokenTree>, out: &mut Vec<syn::Expr>| {
        if let Ok(e) = syn::parse2::<syn::Expr>(std::mem::take(part).into_iter().collect()) {
            out.push(e);
        }
    };
    while i < tokens.len() {
        match &tokens[i] {
            // `pat = fut`: keep what follows the first `=` that is not `==` or `=>`.
            TokenTree::Punct(p) if p.as_char() == '=' && p.spacing() == proc_macro2::Spacing::Alone => {
                part.clear();
            }
            TokenTree::Punct(p) if p.as_char() == '=' => {
                // `=>`
                flush(&mut part, &mut out);
                i += 1;
            }
            TokenTree::Punct(p) if p.as_char() == ',' || p.as_char() == ';' => flush(&mut part, &mut out),
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace && part.is_empty() && i > 0 => {
                // A branch body `{ .. }`.
                part.push(tokens[i].clone());
                flush(&mut part, &mut out);
            }
            other => part.push(other.clone()),
        }
        i += 1;
    }
    flush(&mut part, &mut out);
    out
}

/// What scanning an unparsed macro body finds.
pub enum Scanned {
    Lit(syn::Lit),
    Macro(syn::Macro),
}

/// Literals and nested `path!(..)` calls in a token stream, depth first.
/// Every literal in `tokens`, nested groups and macro calls included, in
/// one walk that does not recurse: for macros nested past what is parsed
/// (each parse of a nested body costs its size, so parsing every level of
/// `format!("{}", format!("{}", ..))` would be quadratic).
pub fn all_literals(tokens: &TokenStream) -> Vec<syn::Lit> {
    let mut out = Vec::new();
    let mut stack = vec![tokens.clone().into_iter()];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            None => {
                stack.pop();
            }
            Some(TokenTree::Literal(lit)) => out.push(syn::Lit::new(lit)),
            Some(TokenTree::Group(g)) => stack.push(g.stream().into_iter()),
            Some(_) => {}
        }
    }
    out
}

pub fn scan(tokens: &TokenStream) -> Vec<Scanned> {
    let mut out = Vec::new();
    scan_into(tokens.clone(), &mut out);
    out
}

fn scan_into(tokens: TokenStream, out: &mut Vec<Scanned>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            TokenTree::Literal(lit) => out.push(Scanned::Lit(syn::Lit::new(lit.clone()))),
            TokenTree::Group(g) => scan_into(g.stream(), out),
            TokenTree::Ident(_) => {
                // path segments `a::b::c` then `!` then a group
                let mut j = i + 1;
                while j + 2 < tokens.len()
                    && is_path_sep(&tokens[j], &tokens[j + 1])
                    && matches!(tokens[j + 2], TokenTree::Ident(_))
                {
                    j += 3;
                }
                if let (Some(TokenTree::Punct(bang)), Some(TokenTree::Group(_))) = (tokens.get(j), tokens.get(j + 1))
                    && bang.as_char() == '!'
                {
                    let stream: TokenStream = tokens[i..j + 2].iter().cloned().collect();
                    if let Ok(mac) = syn::parse2::<syn::Macro>(stream) {
                        out.push(Scanned::Macro(mac));
                        i = j + 2;
                        continue;
                    }
                }
            }
            TokenTree::Punct(_) => {}
        }
        i += 1;
    }
}

fn is_path_sep(a: &TokenTree, b: &TokenTree) -> bool {
    matches!((a, b), (TokenTree::Punct(x), TokenTree::Punct(y)) if x.as_char() == ':' && y.as_char() == ':')
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn mac(src: &str) -> syn::Macro {
        syn::parse_str::<syn::ExprMacro>(src).unwrap().mac
    }

    fn show(e: &syn::Expr) -> String {
        e.to_token_stream().to_string()
    }

    fn args(src: &str) -> Vec<String> {
        parse_args(&mac(src)).unwrap().iter().map(show).collect()
    }

    #[test]
    fn format_like() {
        assert_eq!(
            args(r#"format!("{}-{}", a, env!("X"))"#),
            [r#""{}-{}""#, "a", r#"env ! ("X")"#]
        );
    }

    #[test]
    fn tracing_fields() {
        assert_eq!(
            args(r#"info!(target: "app", ?user, %id, port = cfg.port(), "listening on {}", addr)"#),
            [
                r#""app""#,
                "user",
                "id",
                "cfg . port ()",
                r#""listening on {}""#,
                "addr"
            ]
        );
    }

    #[test]
    fn select_branches_are_expressions() {
        let got =
            args("tokio::select! { biased; v = rx.recv() => { handle(v) }, _ = shutdown() => break, else => {} }");
        assert!(got.contains(&"rx . recv ()".to_string()), "{got:?}");
        assert!(got.contains(&"shutdown ()".to_string()), "{got:?}");
        assert!(got.iter().any(|g| g.contains("handle")), "{got:?}");
    }

    #[test]
    fn statement_bodies() {
        assert_eq!(
            args("my_dsl! { let x = compute(); run(x); }"),
            ["compute ()", "run (x)"]
        );
    }

    #[test]
    fn item_bodies_and_templates() {
        let body = parse_body(&mac("cfg_fs! { pub mod fs; pub fn spawn() {} }"));
        assert_eq!(body.items.len(), 2);
        let body = parse_body(&mac(
            "cfg_if::cfg_if! { if #[cfg(unix)] { mod unix; use unix as imp; } else { mod other; } }",
        ));
        assert_eq!(body.items.len(), 3);
        assert!(parse_body(&mac("quote! { env!(\"X\") }")).template);
        let body = parse_body(&mac(
            "lazy_static! { static ref A: u8 = 1; pub static ref B: String = std::fs::read_to_string(\"b\").unwrap(); }",
        ));
        assert_eq!(body.items.len(), 2);
    }

    #[test]
    fn scans_literals_and_nested_macros() {
        let m = mac(r#"lazy_static! { static ref URL: String = format!("{}", std::env!("API")); }"#);
        assert!(parse_args(&m).is_none());
        let found = scan(&m.tokens);
        let macros: Vec<String> = found
            .iter()
            .filter_map(|s| match s {
                Scanned::Macro(m) => Some(
                    m.path
                        .segments
                        .iter()
                        .map(|s| s.ident.to_string())
                        .collect::<Vec<_>>()
                        .join("::"),
                ),
                Scanned::Lit(_) => None,
            })
            .collect();
        assert_eq!(macros, ["format"]);
    }

    #[test]
    fn scanned_macros_do_not_share_a_cached_body() {
        // Scanned macros are temporaries that take one another's address.
        let outer = mac(r#"json!({ "prefix": option_env!("A"), "data_dir": env!("B") })"#);
        let cache = MacroCache::default();
        let mut firsts = Vec::new();
        for token in scan(&outer.tokens) {
            if let Scanned::Macro(inner) = token {
                let body = cache.get(&inner);
                firsts.push(body.args.as_ref().map(|a| show(&a[0])));
            }
        }
        assert_eq!(firsts, [Some(r#""A""#.to_string()), Some(r#""B""#.to_string())]);
    }
}

//! The syntax scanners of the service graph: signal names in arguments,
//! path segments, `accept`/`incoming` calls in a loop, and how a loop can be
//! left.

use syn::spanned::Spanned;
use syn::visit::{self, Visit};

use super::tables::{IGNORE_NAMES, SIGTERM_NAMES};

/// Signal names mentioned in expressions: SIGTERM (or a set that holds it),
/// and whether the handler ignores it.
#[derive(Default)]
pub(super) struct SignalScan {
    pub(super) term: bool,
    pub(super) ignore: bool,
}

impl<'ast> Visit<'ast> for SignalScan {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if let Some(last) = segs.last() {
            if SIGTERM_NAMES.contains(&last.as_str()) {
                self.term = true;
            }
            // async-signal `Signal::Term`, tokio `SignalKind::terminate()`.
            let prev = segs.len().checked_sub(2).map(|i| segs[i].as_str());
            if (last == "Term" && prev == Some("Signal")) || (last == "terminate" && prev == Some("SignalKind")) {
                self.term = true;
            }
            if IGNORE_NAMES.contains(&last.as_str()) {
                self.ignore = true;
            }
        }
        visit::visit_path(self, path);
    }
}

/// Every path segment in an expression.
#[derive(Default)]
pub(super) struct PathNames(pub(super) Vec<String>);

impl<'ast> Visit<'ast> for PathNames {
    fn visit_path_segment(&mut self, s: &'ast syn::PathSegment) {
        self.0.push(s.ident.to_string());
        visit::visit_path_segment(self, s);
    }
}

/// `listener.accept()` / `listener.incoming()` (no arguments).
#[derive(Default)]
pub(super) struct AcceptFinder {
    pub(super) found: Option<std::ops::Range<usize>>,
}

impl<'ast> Visit<'ast> for AcceptFinder {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if self.found.is_none() && m.args.is_empty() && (m.method == "accept" || m.method == "incoming") {
            self.found = Some(m.method.span().byte_range().start..m.span().byte_range().end);
        }
        visit::visit_expr_method_call(self, m);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        // `tokio::select! { Ok((s, _)) = listener.accept() => .. }`
        fn scan(tokens: proc_macro2::TokenStream, found: &mut Option<std::ops::Range<usize>>) {
            let tokens: Vec<proc_macro2::TokenTree> = tokens.into_iter().collect();
            for (i, t) in tokens.iter().enumerate() {
                if found.is_some() {
                    return;
                }
                match t {
                    proc_macro2::TokenTree::Group(g) => scan(g.stream(), found),
                    proc_macro2::TokenTree::Ident(id) if id == "accept" || id == "incoming" => {
                        let dot =
                            i > 0 && matches!(&tokens[i - 1], proc_macro2::TokenTree::Punct(p) if p.as_char() == '.');
                        if dot
                            && let Some(proc_macro2::TokenTree::Group(g)) = tokens.get(i + 1)
                            && g.delimiter() == proc_macro2::Delimiter::Parenthesis
                            && g.stream().is_empty()
                        {
                            *found = Some(id.span().byte_range().start..g.span().byte_range().end);
                        }
                    }
                    _ => {}
                }
            }
        }
        if self.found.is_none() {
            scan(m.tokens.clone(), &mut self.found);
        }
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// How a loop body can be left.
struct Exits<'l> {
    label: Option<&'l syn::Lifetime>,
    depth: usize,
    /// A `break` of this loop.
    breaks: bool,
    /// A `return` of something other than `Err(..)`.
    returns: bool,
    /// `return Err(..)`, `process::exit`, or an exit hidden in a macro.
    other: bool,
}

impl<'ast> Visit<'ast> for Exits<'_> {
    fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
        let ours = match (&b.label, self.label) {
            (None, _) => self.depth == 0,
            (Some(l), Some(mine)) => l.ident == mine.ident,
            (Some(_), None) => false,
        };
        self.breaks |= ours;
        visit::visit_expr_break(self, b);
    }
    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        let error = matches!(r.expr.as_deref(), Some(syn::Expr::Call(c))
            if matches!(&*c.func, syn::Expr::Path(p) if p.path.is_ident("Err")));
        if error {
            self.other = true;
        } else {
            self.returns = true;
        }
    }
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*c.func
            && p.path.segments.last().is_some_and(|s| s.ident == "exit")
        {
            self.other = true;
        }
        visit::visit_expr_call(self, c);
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        // `break` or `return` inside `select!` bodies.
        let text = m.tokens.to_string();
        if text.contains("break") {
            self.breaks = true;
        }
        if text.contains("return") {
            self.other = true;
        }
    }
    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        self.depth += 1;
        visit::visit_expr_loop(self, l);
        self.depth -= 1;
    }
    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        self.depth += 1;
        visit::visit_expr_while(self, w);
        self.depth -= 1;
    }
    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.depth += 1;
        visit::visit_expr_for_loop(self, f);
        self.depth -= 1;
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

fn exits<'l>(label: Option<&'l syn::Label>, body: &syn::Block) -> Exits<'l> {
    let mut exits = Exits {
        label: label.map(|l| &l.name),
        depth: 0,
        breaks: false,
        returns: false,
        other: false,
    };
    exits.visit_block(body);
    exits
}

/// A `loop` nothing leaves: no `break` of it, no `return`, no
/// `process::exit`.
pub(super) fn is_endless(l: &syn::ExprLoop) -> bool {
    let e = exits(l.label.as_ref(), &l.body);
    !(e.breaks || e.returns || e.other)
}

/// A loop over a listener that stops after a connection it wanted (an
/// OAuth callback in a CLI: `break` or `return Ok(code)`) is not a server.
pub(super) fn is_one_shot(expr: &syn::Expr) -> bool {
    let e = match expr {
        syn::Expr::Loop(l) => exits(l.label.as_ref(), &l.body),
        syn::Expr::While(w) => exits(w.label.as_ref(), &w.body),
        syn::Expr::ForLoop(f) => exits(f.label.as_ref(), &f.body),
        _ => return false,
    };
    e.breaks || e.returns
}

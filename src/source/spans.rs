//! Byte ranges of expressions without printing them. `syn`'s `Spanned`
//! prints a node to tokens to find its first and last token, which costs
//! the node's size: asked at every call of a 10,000-call chain, that is
//! quadratic. These follow the first and last child down instead.

use std::ops::Range;

use syn::spanned::Spanned;

fn close(d: &proc_macro2::extra::DelimSpan) -> usize {
    d.close().byte_range().end
}

/// Where `expr` ends: the end of its last token.
pub fn expr_end(mut expr: &syn::Expr) -> usize {
    use syn::Expr;
    loop {
        return match expr {
            Expr::MethodCall(m) => close(&m.paren_token.span),
            Expr::Call(c) => close(&c.paren_token.span),
            Expr::Macro(m) => close(m.mac.delimiter.span()),
            Expr::Block(b) => close(&b.block.brace_token.span),
            Expr::Paren(p) => close(&p.paren_token.span),
            Expr::Tuple(t) => close(&t.paren_token.span),
            Expr::Array(a) => close(&a.bracket_token.span),
            Expr::Struct(s) => close(&s.brace_token.span),
            Expr::Index(i) => close(&i.bracket_token.span),
            Expr::Match(m) => close(&m.brace_token.span),
            Expr::Loop(l) => close(&l.body.brace_token.span),
            Expr::While(w) => close(&w.body.brace_token.span),
            Expr::ForLoop(f) => close(&f.body.brace_token.span),
            Expr::Unsafe(u) => close(&u.block.brace_token.span),
            Expr::Async(a) => close(&a.block.brace_token.span),
            Expr::Const(c) => close(&c.block.brace_token.span),
            Expr::TryBlock(t) => close(&t.block.brace_token.span),
            Expr::Try(t) => t.question_token.span.byte_range().end,
            Expr::Await(a) => a.await_token.span.byte_range().end,
            Expr::Field(f) => f.member.span().byte_range().end,
            Expr::Lit(l) => l.lit.span().byte_range().end,
            Expr::If(i) => match &i.else_branch {
                Some((_, e)) => {
                    expr = e;
                    continue;
                }
                None => close(&i.then_branch.brace_token.span),
            },
            Expr::Binary(b) => {
                expr = &b.right;
                continue;
            }
            Expr::Assign(a) => {
                expr = &a.right;
                continue;
            }
            Expr::Unary(u) => {
                expr = &u.expr;
                continue;
            }
            Expr::Reference(r) => {
                expr = &r.expr;
                continue;
            }
            Expr::Closure(c) => {
                expr = &c.body;
                continue;
            }
            Expr::Let(l) => {
                expr = &l.expr;
                continue;
            }
            Expr::Group(g) => {
                expr = &g.expr;
                continue;
            }
            other => other.span().byte_range().end,
        };
    }
}

/// Where `expr` starts: the start of its first token (an outer attribute's
/// when it has one).
pub fn expr_start(mut expr: &syn::Expr) -> usize {
    use syn::Expr;
    loop {
        if expr_has_attrs(expr) {
            return expr.span().byte_range().start;
        }
        return match expr {
            Expr::MethodCall(m) => {
                expr = &m.receiver;
                continue;
            }
            Expr::Field(f) => {
                expr = &f.base;
                continue;
            }
            Expr::Try(t) => {
                expr = &t.expr;
                continue;
            }
            Expr::Await(a) => {
                expr = &a.base;
                continue;
            }
            Expr::Index(i) => {
                expr = &i.expr;
                continue;
            }
            Expr::Call(c) => {
                expr = &c.func;
                continue;
            }
            Expr::Binary(b) => {
                expr = &b.left;
                continue;
            }
            Expr::Assign(a) => {
                expr = &a.left;
                continue;
            }
            Expr::Cast(c) => {
                expr = &c.expr;
                continue;
            }
            Expr::Paren(p) => p.paren_token.span.open().byte_range().start,
            Expr::Tuple(t) => t.paren_token.span.open().byte_range().start,
            Expr::Array(a) => a.bracket_token.span.open().byte_range().start,
            Expr::Lit(l) => l.lit.span().byte_range().start,
            Expr::Unary(u) => u.op.span().byte_range().start,
            Expr::Reference(r) => r.and_token.span.byte_range().start,
            Expr::Macro(m) => m.mac.path.span().byte_range().start,
            Expr::Path(p) if p.qself.is_none() => p.path.span().byte_range().start,
            other => other.span().byte_range().start,
        };
    }
}

fn expr_has_attrs(expr: &syn::Expr) -> bool {
    use syn::Expr;
    let attrs = match expr {
        Expr::MethodCall(e) => &e.attrs,
        Expr::Field(e) => &e.attrs,
        Expr::Try(e) => &e.attrs,
        Expr::Await(e) => &e.attrs,
        Expr::Index(e) => &e.attrs,
        Expr::Call(e) => &e.attrs,
        Expr::Binary(e) => &e.attrs,
        Expr::Assign(e) => &e.attrs,
        Expr::Cast(e) => &e.attrs,
        Expr::Paren(e) => &e.attrs,
        Expr::Tuple(e) => &e.attrs,
        Expr::Array(e) => &e.attrs,
        Expr::Lit(e) => &e.attrs,
        Expr::Unary(e) => &e.attrs,
        Expr::Reference(e) => &e.attrs,
        Expr::Macro(e) => &e.attrs,
        Expr::Path(e) => &e.attrs,
        _ => return false,
    };
    !attrs.is_empty()
}

/// The byte range of `expr`, as `Spanned` gives it.
pub fn expr_range(expr: &syn::Expr) -> Range<usize> {
    expr_start(expr)..expr_end(expr)
}

/// The byte range of a block, braces included.
pub fn block_range(block: &syn::Block) -> Range<usize> {
    block.brace_token.span.open().byte_range().start..close(&block.brace_token.span)
}

/// The byte range of a `match` arm.
pub fn arm_range(arm: &syn::Arm) -> Range<usize> {
    let start = if arm.attrs.is_empty() {
        arm.pat.span().byte_range().start
    } else {
        arm.attrs[0].pound_token.span.byte_range().start
    };
    let end = match &arm.comma {
        Some(c) => c.span.byte_range().end,
        None => expr_end(&arm.body),
    };
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same ranges as `Spanned`, on every kind of expression the
    /// walks follow.
    #[test]
    fn ranges_agree_with_spanned() {
        let src = r#"
fn f() {
    let _ = x.a().b::<u8>(1)?.c.await[0](2) as u8;
    let _ = a + b * (c - d) = -e && !&mut f;
    let _ = if a { 1 } else if b { 2 } else { 3 };
    let _ = |x| move || async { x };
    let _ = #[cfg(x)] y.z();
    let _ = [1, 2]; let _ = (1,); let _ = S { a: 1 }; let _ = m!(a, b);
    let _ = match x { A => 1, #[cfg(y)] B => { 2 } C => 3 };
    let _ = loop {}; let _ = unsafe { 1 }; let _ = ::std::x; let _ = "s";
    let _ = <T as U>::f();
}
"#;
        struct Walk(Vec<(Range<usize>, Range<usize>)>);
        impl<'a> syn::visit::Visit<'a> for Walk {
            fn visit_expr(&mut self, e: &'a syn::Expr) {
                self.0.push((expr_range(e), e.span().byte_range()));
                syn::visit::visit_expr(self, e);
            }
            fn visit_arm(&mut self, a: &'a syn::Arm) {
                self.0.push((arm_range(a), a.span().byte_range()));
                syn::visit::visit_arm(self, a);
            }
            fn visit_block(&mut self, b: &'a syn::Block) {
                self.0.push((block_range(b), b.span().byte_range()));
                syn::visit::visit_block(self, b);
            }
        }
        let file = crate::source::parse_rust(src).unwrap();
        let mut walk = Walk(Vec::new());
        syn::visit::visit_file(&mut walk, &file);
        assert!(walk.0.len() > 60, "{}", walk.0.len());
        for (fast, slow) in walk.0 {
            assert_eq!(fast, slow, "{:?} vs {:?}", &src[fast.clone()], &src[slow.clone()]);
        }
    }
}

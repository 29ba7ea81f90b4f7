//! Small helpers shared by the rules.

use crate::engine::Cx;

/// Whether the code being visited never runs in the deployed process: test
/// code, or a build-time target (a build script or a proc macro). Rules about
/// how the app runs skip it.
pub(crate) fn is_test_or_build_time(cx: &Cx<'_>) -> bool {
    cx.in_test() || cx.target_kind().is_build_time()
}

/// Whether `expr` holds a string literal, directly or inside a macro such
/// as `format!` (`"sqlite://data.db"`, `format!("{dir}/app.log")`): a path
/// the code chooses, not one configuration gives.
pub(crate) fn has_str_literal(expr: &syn::Expr) -> bool {
    use quote::ToTokens;
    fn walk(tokens: proc_macro2::TokenStream) -> bool {
        tokens.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Literal(l) => l.to_string().contains('"'),
            proc_macro2::TokenTree::Group(g) => walk(g.stream()),
            _ => false,
        })
    }
    walk(expr.to_token_stream())
}

/// The type arguments of a path segment: `K` and `V` of `HashMap<K, V>`.
pub(crate) fn generic_types(seg: &syn::PathSegment) -> Vec<&syn::Type> {
    match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|g| match g {
                syn::GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

//! What attributes say about where code runs: `#[cfg(test)]` and test
//! functions.

/// `#[cfg(test)]`, `#[cfg(all(test, ..))]`: code that exists only in tests.
/// Evaluates the predicate with `test` false and everything else unknown.
pub fn has_cfg_test(attrs: &[syn::Attribute]) -> bool {
    fn eval(meta: &syn::Meta) -> Option<bool> {
        match meta {
            syn::Meta::Path(p) if p.is_ident("test") => Some(false),
            syn::Meta::List(list) => {
                let args = list
                    .parse_args_with(syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated)
                    .ok()?;
                let values: Vec<Option<bool>> = args.iter().map(eval).collect();
                if list.path.is_ident("all") {
                    if values.contains(&Some(false)) {
                        Some(false)
                    } else if values.iter().all(|v| *v == Some(true)) {
                        Some(true)
                    } else {
                        None
                    }
                } else if list.path.is_ident("any") {
                    if values.contains(&Some(true)) {
                        Some(true)
                    } else if values.iter().all(|v| *v == Some(false)) {
                        Some(false)
                    } else {
                        None
                    }
                } else if list.path.is_ident("not") && values.len() == 1 {
                    values[0].map(|v| !v)
                } else {
                    None
                }
            }
            _ => None,
        }
    }
    attrs.iter().filter(|a| a.path().is_ident("cfg")).any(|a| {
        a.parse_args::<syn::Meta>()
            .ok()
            .is_some_and(|m| eval(&m) == Some(false))
    })
}

/// `#[test]`, `#[tokio::test]`, `#[rstest]`, `#[bench]` and friends.
pub fn is_test_fn(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().segments.last().is_some_and(|s| {
            matches!(
                s.ident.to_string().as_str(),
                "test" | "bench" | "rstest" | "test_case" | "quickcheck" | "proptest"
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(src: &str) -> Vec<syn::Attribute> {
        let item: syn::ItemFn = syn::parse_str(&format!("{src} fn f() {{}}")).unwrap();
        item.attrs
    }

    #[test]
    fn cfg_test_predicates() {
        assert!(has_cfg_test(&attrs("#[cfg(test)]")));
        assert!(has_cfg_test(&attrs("#[cfg(all(test, feature = \"x\"))]")));
        assert!(has_cfg_test(&attrs("#[cfg(all(unix, test))]")));
        assert!(!has_cfg_test(&attrs("#[cfg(not(test))]")));
        assert!(!has_cfg_test(&attrs("#[cfg(any(test, feature = \"mock\"))]")));
        assert!(!has_cfg_test(&attrs("#[cfg(unix)]")));
    }

    #[test]
    fn test_attributes() {
        assert!(is_test_fn(&attrs("#[test]")));
        assert!(is_test_fn(&attrs("#[tokio::test(flavor = \"multi_thread\")]")));
        assert!(!is_test_fn(&attrs("#[tokio::main]")));
    }
}

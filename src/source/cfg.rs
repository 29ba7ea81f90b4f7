//! What attributes say about where code runs: `#[cfg(test)]`, test
//! functions, and code for other platforms than the deploy's.

/// Evaluates a `cfg` predicate, with `atom` giving each option's value
/// (`None`: unknown).
fn eval(meta: &syn::Meta, atom: &dyn Fn(&syn::Meta) -> Option<bool>) -> Option<bool> {
    match meta {
        syn::Meta::List(list) if ["all", "any", "not"].iter().any(|op| list.path.is_ident(op)) => {
            let args = list
                .parse_args_with(syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated)
                .ok()?;
            let values: Vec<Option<bool>> = args.iter().map(|m| eval(m, atom)).collect();
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
            } else if values.len() == 1 {
                values[0].map(|v| !v)
            } else {
                None
            }
        }
        _ => atom(meta),
    }
}

/// Whether some `#[cfg(..)]` of `attrs` is false under `atom`.
fn cfg_false(attrs: &[syn::Attribute], atom: &dyn Fn(&syn::Meta) -> Option<bool>) -> bool {
    attrs.iter().filter(|a| a.path().is_ident("cfg")).any(|a| {
        a.parse_args::<syn::Meta>()
            .ok()
            .is_some_and(|m| eval(&m, atom) == Some(false))
    })
}

/// `#[cfg(test)]`, `#[cfg(all(test, ..))]`: code that exists only in tests.
/// Evaluates the predicate with `test` false and everything else unknown.
pub fn has_cfg_test(attrs: &[syn::Attribute]) -> bool {
    cfg_false(attrs, &|meta| match meta {
        syn::Meta::Path(p) if p.is_ident("test") => Some(false),
        _ => None,
    })
}

/// `target_os` values of the platform services are deployed on.
const DEPLOY_OS: &[&str] = &["linux"];

/// `#[cfg(windows)]`, `#[cfg(target_os = "macos")]`,
/// `#[cfg(all(windows, not(debug_assertions)))]`: code that does not exist
/// on the platform services are deployed on, Linux (containers, VMs,
/// platforms). Evaluates the predicate with `unix`, `target_os = "linux"`
/// and `target_family = "unix"` true, other platforms false, and everything
/// else unknown.
pub fn off_deploy_platform(attrs: &[syn::Attribute]) -> bool {
    cfg_false(attrs, &|meta| match meta {
        syn::Meta::Path(p) if p.is_ident("unix") => Some(true),
        syn::Meta::Path(p) if p.is_ident("windows") => Some(false),
        syn::Meta::NameValue(nv) => {
            let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(value),
                ..
            }) = &nv.value
            else {
                return None;
            };
            let value = value.value();
            if nv.path.is_ident("target_os") {
                Some(DEPLOY_OS.contains(&value.as_str()))
            } else if nv.path.is_ident("target_family") {
                Some(value == "unix")
            } else {
                None
            }
        }
        _ => None,
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
    fn deploy_platform_predicates() {
        for off in [
            "#[cfg(windows)]",
            "#[cfg(all(windows, not(debug_assertions)))]",
            "#[cfg(target_os = \"macos\")]",
            "#[cfg(any(target_os = \"ios\", target_os = \"android\"))]",
            "#[cfg(not(unix))]",
            "#[cfg(target_family = \"wasm\")]",
        ] {
            assert!(off_deploy_platform(&attrs(off)), "{off}");
        }
        for on in [
            "#[cfg(unix)]",
            "#[cfg(not(windows))]",
            "#[cfg(target_os = \"linux\")]",
            "#[cfg(any(windows, target_os = \"linux\"))]",
            "#[cfg(any(windows, feature = \"tray\"))]",
            "#[cfg(feature = \"windows\")]",
            "#[cfg(test)]",
        ] {
            assert!(!off_deploy_platform(&attrs(on)), "{on}");
        }
    }

    #[test]
    fn test_attributes() {
        assert!(is_test_fn(&attrs("#[test]")));
        assert!(is_test_fn(&attrs("#[tokio::test(flavor = \"multi_thread\")]")));
        assert!(!is_test_fn(&attrs("#[tokio::main]")));
    }
}

//! The layers of `src/` point one way: a module names only modules of the
//! layers below it (and its own submodules). This test reads every source
//! file, drops its `#[cfg(test)]` items, and checks each `crate::` path.
//!
//! | layer | modules |
//! |---|---|
//! | 1 | `source`, `resolve`, `factor` |
//! | 2 | `workspace`, `manifest` |
//! | 3 | `diagnostic` |
//! | 4 | `engine` |
//! | 5 | `rules` |
//! | 6 | `config`, then the commands `report`, `env_inventory`, `fix` and `baseline` |
//! | 7 | `cli`, `main`, `lib` |

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::ToTokens;

/// The layer of a top-level module. Commands (layer 6.5) sit above
/// `config` and may use each other.
fn layer(module: &str) -> Option<f32> {
    Some(match module {
        "source" | "resolve" | "factor" => 1.0,
        "workspace" | "manifest" => 2.0,
        "diagnostic" => 3.0,
        "engine" => 4.0,
        "rules" => 5.0,
        "config" => 6.0,
        "report" | "env_inventory" | "fix" | "baseline" => 6.5,
        "cli" | "main" | "lib" => 7.0,
        _ => return None,
    })
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `#[cfg(test)]` and `#[cfg(all(test, ..))]`.
fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg") && {
            let tokens = a.meta.to_token_stream().to_string();
            tokens.contains("test") && !tokens.contains("not")
        }
    })
}

/// Drops `#[cfg(test)]` items; the names of test modules kept in files of
/// their own (`#[cfg(test)] mod tests;`) go to `test_files`.
fn strip_tests(items: &mut Vec<syn::Item>, test_files: &mut Vec<String>) {
    for item in items.iter() {
        if let syn::Item::Mod(m) = item
            && m.content.is_none()
            && is_cfg_test(&m.attrs)
        {
            test_files.push(m.ident.to_string());
        }
    }
    items.retain(|item| {
        let attrs = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Struct(s) => &s.attrs,
            syn::Item::Const(c) => &c.attrs,
            syn::Item::Static(s) => &s.attrs,
            _ => return true,
        };
        !is_cfg_test(attrs)
    });
    for item in items {
        if let syn::Item::Mod(syn::ItemMod {
            content: Some((_, inner)),
            ..
        }) = item
        {
            strip_tests(inner, &mut Vec::new());
        }
    }
}

/// The first segment after every `crate::` in the tokens: `crate::rules::x`
/// gives `rules`, `crate::{engine::Cx, source}` gives both.
fn crate_paths(tokens: TokenStream, out: &mut BTreeSet<String>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Ident(id) if id == "crate" => {
                let sep = matches!(
                    (tokens.get(i + 1), tokens.get(i + 2)),
                    (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b))) if a.as_char() == ':' && b.as_char() == ':'
                );
                if !sep {
                    continue;
                }
                match tokens.get(i + 3) {
                    Some(TokenTree::Ident(m)) => {
                        out.insert(m.to_string());
                    }
                    Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => {
                        let mut first = true;
                        for t in g.stream() {
                            match &t {
                                TokenTree::Ident(m) if first => {
                                    out.insert(m.to_string());
                                    first = false;
                                }
                                TokenTree::Punct(p) if p.as_char() == ',' => first = true,
                                _ => first = false,
                            }
                        }
                    }
                    _ => {}
                }
            }
            TokenTree::Group(g) => crate_paths(g.stream(), out),
            _ => {}
        }
    }
}

/// The top-level module a file of `src/` belongs to.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    first.trim_end_matches(".rs").to_string()
}

#[test]
fn layers_point_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    assert!(files.len() > 20, "read {} files", files.len());
    let mut violations = Vec::new();
    let mut checked = 0;
    // Files that are `#[cfg(test)]` modules of their parent.
    let mut test_only: Vec<PathBuf> = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let mut ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut names = Vec::new();
        strip_tests(&mut ast.items, &mut names);
        let stem = file.file_stem().unwrap().to_string_lossy();
        let dir = if ["mod", "lib", "main"].contains(&stem.as_ref()) {
            file.parent().unwrap().to_path_buf()
        } else {
            file.with_extension("")
        };
        for name in names {
            test_only.push(dir.join(format!("{name}.rs")));
            test_only.push(dir.join(&name).join("mod.rs"));
        }
    }
    for file in &files {
        if test_only.contains(file) {
            continue;
        }
        let module = module_of(&src, file);
        let own = layer(&module).unwrap_or_else(|| panic!("{}: module `{module}` has no layer here", file.display()));
        let text = std::fs::read_to_string(file).unwrap();
        let mut ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        strip_tests(&mut ast.items, &mut Vec::new());
        let mut named = BTreeSet::new();
        crate_paths(ast.into_token_stream(), &mut named);
        for other in named {
            if other == module {
                continue;
            }
            // Crate-root macros (`crate::declare_rule!`) and the test-only
            // helpers are not layers.
            let Some(theirs) = layer(&other) else { continue };
            checked += 1;
            let allowed = theirs < own || (theirs == own && own == 6.5);
            if !allowed {
                violations.push(format!(
                    "{} (layer {own}) names `crate::{other}` (layer {theirs})",
                    file.strip_prefix(&src).unwrap().display()
                ));
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} cross-module paths seen: is the scan broken?"
    );
    assert!(
        violations.is_empty(),
        "layers must point down:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_scan_sees_grouped_and_nested_paths() {
    let file: syn::File = syn::parse_str(
        "use crate::{engine::Cx, source as s};\nfn f() { let x = crate::rules::find(\"a\"); }\n#[cfg(test)] mod tests { use crate::cli; }",
    )
    .unwrap();
    let mut ast = file;
    let mut test_files = Vec::new();
    strip_tests(&mut ast.items, &mut test_files);
    assert!(test_files.is_empty());
    let mut named = BTreeSet::new();
    crate_paths(ast.into_token_stream(), &mut named);
    assert_eq!(named.into_iter().collect::<Vec<_>>(), ["engine", "rules", "source"]);
}

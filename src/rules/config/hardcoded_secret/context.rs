//! Where a literal sits, for `hardcoded_secret`: test code, which is not
//! reported unless `include_tests = true`; documentation (doc comments and
//! attributes, help texts, example fields and functions); and samples in a
//! table next to the pattern they illustrate. Neither runs in a service.
//!
//! Documentation and samples are found per item: [`HardcodedSecret::walk_item`]
//! runs when the engine enters an item, before any literal in it is checked,
//! and keeps the ranges it finds for the file being checked;
//! [`HardcodedSecret::quiet`] asks them when a finding is about to be reported.

use std::cell::RefCell;
use std::collections::HashSet;
use std::ops::Range;
use std::sync::{Arc, LazyLock, Weak};

use regex::Regex;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};

use super::HardcodedSecret;
use crate::engine::Cx;
use crate::rules::config::secret_patterns::FAMILIES;
use crate::rules::config::secret_values::secret_name;
use crate::source::SourceFile;

pub(super) use crate::engine::model::{is_test_support_module, is_test_support_package};

impl HardcodedSecret {
    /// `#[cfg(test)]` modules, test functions, test, bench and example
    /// targets, test-support crates, and modules named for test support
    /// (`pub mod test_keys;` of keys "only for testing purposes").
    pub(super) fn in_test_code(cx: &Cx<'_>) -> bool {
        cx.in_test()
            || is_test_support_package(&cx.package().name)
            || cx.module().iter().skip(1).any(|m| is_test_support_module(m))
    }

    /// Whether provider formats and private keys are skipped here: in test
    /// code unless `include_tests = true`. Keyword and URL evidence is
    /// skipped in test code either way.
    pub(super) fn skips_formats(cx: &Cx<'_>) -> bool {
        !Self::options(cx).include_tests && Self::in_test_code(cx)
    }
}

/// Names whose value is documentation, as a struct field (nushell's
/// `Example { example, description }`), a function's name (nushell's
/// `fn examples(&self) -> Vec<Example>`), a method (clap's builder
/// `.about("…")`) or an attribute key (clap's `#[arg(help = "…")]`).
const DOC_NAMES: &[&str] = &[
    "example",
    "examples",
    "description",
    "extra_description",
    "usage",
    "extra_usage",
    "override_usage",
    "help",
    "long_help",
    "override_help",
    "about",
    "long_about",
    "after_help",
    "after_long_help",
    "before_help",
    "before_long_help",
    "doc",
    "docs",
];

fn is_doc_name(name: &syn::Ident) -> bool {
    DOC_NAMES.contains(&name.to_string().as_str())
}

/// A literal written as an attribute's documentation value, in a macro body
/// whose tokens are scanned (attributes elsewhere are never checked):
/// `#[doc = "…"]`, `#[arg(help = "…")]`, `#[command(about = "…", long_about = "…")]`.
static DOC_ATTRIBUTE_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    let keys = DOC_NAMES.join("|");
    Regex::new(&format!(r"(?:#!?\[\s*|[(,]\s*)(?:doc|{keys})\s*=\s*$")).expect("regex compiles")
});

/// Struct fields of a sample table's row that say the row describes a
/// detector: `Case { detector: "github", sample: "ghp_…" }`.
const DETECTOR_FIELDS: &[&str] = &[
    "regex",
    "regexes",
    "re",
    "pattern",
    "patterns",
    "detector",
    "detectors",
    "rule",
    "rule_id",
    "family",
];

/// Regex syntax that source text rarely has otherwise: escapes of classes
/// and boundaries, groups with flags, a bracket class with a range
/// (`[0-9a-zA-Z]`), a counted repetition after a class or group (`]{36}`).
static REGEX_SYNTAX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\\[dwsbDWSB]|\(\?[:iPmsx<]|\[\^?[^\]\s]*[A-Za-z0-9]-[A-Za-z0-9][^\]\s]*\]|[\]).]\{\d+(?:,\d*)?\}")
        .expect("regex compiles")
});

/// The names and titles of the detector families, normalized by [`norm_name`].
static FAMILY_NAMES: LazyLock<HashSet<String>> = LazyLock::new(|| {
    FAMILIES
        .iter()
        .flat_map(|f| [norm_name(f.name), norm_name(f.title)])
        .collect()
});

/// `GitHub personal-access token` is `github_personal_access_token`.
fn norm_name(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace([' ', '-'], "_")
}

/// Whether a string looks like a regex rather than a value.
pub(super) fn looks_like_regex(value: &str) -> bool {
    REGEX_SYNTAX.is_match(value)
}

/// The quiet ranges of a file being checked on this thread.
struct Quiet {
    /// The file; a `Weak` keeps its address from being reused.
    file: Weak<SourceFile>,
    /// Byte ranges whose literals are documentation or samples.
    ranges: Vec<Range<usize>>,
    /// The items walked (their addresses in the syntax tree the engine
    /// visits, which outlives the pass), so nested items are walked once.
    /// A span would cost a walk of its own: syn computes it from tokens.
    walked: HashSet<usize>,
}

/// How many files' ranges a thread keeps: the file of the pass it runs, and
/// a few more should passes ever interleave.
const QUIET_FILES: usize = 4;

thread_local! {
    /// The latest file last; files dropped since are removed.
    static QUIET: RefCell<Vec<Quiet>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on the quiet ranges of `file`.
fn with_quiet<T>(file: &Arc<SourceFile>, f: impl FnOnce(&mut Quiet) -> T) -> T {
    QUIET.with(|q| {
        let mut q = q.borrow_mut();
        let this = |e: &Quiet| std::ptr::eq(e.file.as_ptr(), Arc::as_ptr(file));
        if !q.last().is_some_and(this) {
            q.retain(|e| e.file.strong_count() > 0);
            let entry = match q.iter().position(this) {
                Some(i) => q.remove(i),
                None => Quiet {
                    file: Arc::downgrade(file),
                    ranges: Vec::new(),
                    walked: HashSet::new(),
                },
            };
            if q.len() >= QUIET_FILES {
                q.remove(0);
            }
            q.push(entry);
        }
        f(q.last_mut().expect("just pushed"))
    })
}

/// Collects the documentation and sample ranges of an item.
#[derive(Default)]
struct Walk {
    ranges: Vec<Range<usize>>,
    items: Vec<usize>,
    /// How many macro bodies enclose the node: past a few, bodies are not
    /// parsed again (each parse costs the body's size).
    macros: usize,
}

impl Walk {
    fn quiet(&mut self, node: &impl Spanned) {
        self.ranges.push(node.span().byte_range());
    }

    /// The elements of an array, slice or `vec![]`: sample rows are quiet.
    fn table<'a>(&mut self, elems: impl Iterator<Item = &'a syn::Expr>) {
        for elem in elems {
            if is_sample_row(elem) {
                self.quiet(elem);
            }
        }
    }

    fn doc_fn(&mut self, ident: &syn::Ident, node: &impl Spanned) -> bool {
        let doc = is_doc_name(ident);
        if doc {
            self.quiet(node);
        }
        doc
    }
}

impl<'ast> Visit<'ast> for Walk {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        self.items.push(std::ptr::from_ref(item) as usize);
        visit::visit_item(self, item);
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if !self.doc_fn(&f.sig.ident, &f.block) {
            visit::visit_item_fn(self, f);
        }
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if !self.doc_fn(&f.sig.ident, &f.block) {
            visit::visit_impl_item_fn(self, f);
        }
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        match &f.default {
            Some(block) if self.doc_fn(&f.sig.ident, block) => {}
            _ => visit::visit_trait_item_fn(self, f),
        }
    }

    fn visit_field_value(&mut self, field: &'ast syn::FieldValue) {
        if let syn::Member::Named(name) = &field.member
            && is_doc_name(name)
        {
            self.quiet(&field.expr);
            return;
        }
        visit::visit_field_value(self, field);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if is_doc_name(&m.method) {
            m.args.iter().for_each(|a| self.quiet(a));
        }
        visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_array(&mut self, a: &'ast syn::ExprArray) {
        self.table(a.elems.iter());
        visit::visit_expr_array(self, a);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if self.macros >= 24 {
            return;
        }
        // Macros taking expressions (`vec![..]`, `format!(..)`) are looked into.
        let parser = syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated;
        let Ok(args) = mac.parse_body_with(parser) else { return };
        if mac.path.segments.last().is_some_and(|s| s.ident == "vec") {
            self.table(args.iter());
        }
        self.macros += 1;
        args.iter().for_each(|a| self.visit_expr(a));
        self.macros -= 1;
    }

    fn visit_attribute(&mut self, _attr: &'ast syn::Attribute) {
        // The engine checks no attribute.
    }
}

/// The fields of a table's row: a tuple, a struct literal, or a
/// constructor call (`Case::new(..)`, `Case(..)`), with their names.
fn row_fields(row: &syn::Expr) -> Vec<(Option<String>, &syn::Expr)> {
    match row {
        syn::Expr::Reference(r) => row_fields(&r.expr),
        syn::Expr::Paren(p) => row_fields(&p.expr),
        syn::Expr::Group(g) => row_fields(&g.expr),
        syn::Expr::Tuple(t) => t.elems.iter().map(|e| (None, e)).collect(),
        syn::Expr::Call(c) => c.args.iter().map(|e| (None, e)).collect(),
        syn::Expr::Struct(s) => s
            .fields
            .iter()
            .map(|f| {
                let name = match &f.member {
                    syn::Member::Named(i) => Some(i.to_string()),
                    syn::Member::Unnamed(_) => None,
                };
                (name, &f.expr)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether a table's row illustrates a pattern with a sample: of its two or
/// more fields, one is named for a detector (`regex`, `pattern`,
/// `detector`, ...), or holds a string that looks like a regex
/// (`r"ghp_[0-9a-zA-Z]{36}"`, `Regex::new(r"…")`) or that names a detector
/// family of this rule (`"github_pat"`, `"GitHub personal access token"`).
fn is_sample_row(row: &syn::Expr) -> bool {
    let fields = row_fields(row);
    fields.len() >= 2
        && fields.iter().any(|(name, value)| {
            name.as_deref().is_some_and(|n| DETECTOR_FIELDS.contains(&n))
                || strings(value).iter().any(|s| looks_like_regex(s) || names_family(s))
        })
}

/// Whether a string names a detector family: its title, or its name unless
/// that also reads as a variable holding the secret (`("NPM_TOKEN", "npm_…")`
/// is an environment, not a detector table).
fn names_family(s: &str) -> bool {
    FAMILY_NAMES.contains(&norm_name(s)) && (s.contains(' ') || secret_name(s).is_none())
}

/// Every string literal in an expression, macro arguments included.
fn strings(expr: &syn::Expr) -> Vec<String> {
    #[derive(Default)]
    struct Strings(Vec<String>);
    impl<'ast> Visit<'ast> for Strings {
        fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
            self.0.push(s.value());
        }
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            for token in crate::source::macros::scan(&mac.tokens) {
                if let crate::source::macros::Scanned::Lit(syn::Lit::Str(s)) = token {
                    self.0.push(s.value());
                }
            }
        }
    }
    let mut s = Strings::default();
    s.visit_expr(expr);
    s.0
}

impl HardcodedSecret {
    /// Finds the documentation and samples of an item the engine enters,
    /// unless an enclosing item was walked already.
    pub(super) fn walk_item(cx: &Cx<'_>, item: &syn::Item) {
        let at = std::ptr::from_ref(item) as usize;
        if with_quiet(cx.file(), |q| q.walked.contains(&at)) {
            return;
        }
        let mut walk = Walk::default();
        walk.visit_item(item);
        with_quiet(cx.file(), |q| {
            q.ranges.extend(walk.ranges);
            q.walked.extend(walk.items);
        });
    }

    /// Whether a finding at `range` (a literal, or the macro that joins
    /// literals) is documentation or a sample, not a value the code runs with.
    pub(super) fn quiet(cx: &Cx<'_>, range: &Range<usize>) -> bool {
        let text = &cx.file().text;
        // A doc comment in a macro body whose tokens are scanned.
        let at = text.get(range.start..).unwrap_or("");
        if at.starts_with("//") || at.starts_with("/*") {
            return true;
        }
        let mut from = range.start.saturating_sub(200);
        while !text.is_char_boundary(from) {
            from += 1;
        }
        let before = text.get(from..range.start).unwrap_or("");
        if DOC_ATTRIBUTE_BEFORE.is_match(before) {
            return true;
        }
        with_quiet(cx.file(), |q| {
            q.ranges.iter().any(|r| r.start <= range.start && range.end <= r.end)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{is_test_support_package, looks_like_regex};

    #[test]
    fn regex_looking_strings() {
        for s in [
            r"ghp_[0-9a-zA-Z]{36}",
            r"\bAKIA[A-Z2-7]{16}\b",
            r"(?i)secret\s*=",
            r"sk_live_\w+",
            r"xox[baprs]-.{10,48}",
        ] {
            assert!(looks_like_regex(s), "{s}");
        }
        for s in [
            "ghp_xGKZWGlby02BcHboRBcynXMgWJoleSrcBrFw",
            "github",
            "Bearer {0}",
            "[default]",
            "key{0}",
            "a-b [x] {1}",
            "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n",
        ] {
            assert!(!looks_like_regex(s), "{s}");
        }
    }

    #[test]
    fn test_support_package_names() {
        for name in [
            "acme-test-support",
            "acme_testing",
            "acme-test-utils",
            "acme-fixtures",
            "acme_test_helpers",
            "test_helpers",
            "xtask",
        ] {
            assert!(is_test_support_package(name), "{name}");
        }
        for name in ["acme", "acme-api", "testcontainers", "contest", "fixtures-api"] {
            assert!(!is_test_support_package(name), "{name}");
        }
    }
}

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, LazyLock, Mutex};

use regex::Regex;

use crate::declare_rule;
use crate::engine::{Call, Cx, Fact, MacroCall, OptionTable, PackageReport, RuleOptions, has_cfg_test, layer_options};
use crate::rules::config::env_files;
use crate::rules::config::secret_fallback::env_fallback;
use crate::rules::config::secret_patterns::{self, Kind};
use crate::rules::config::secret_values::{in_documentation_url, secret_name};
use crate::rules::{Factor, Rule, RuleMeta};
use crate::source::SourceFile;

mod context;
mod files;
mod fix;
mod source;

use files::FileKind;
use source::{
    CONCAT_MACROS, NAMED_VALUE_CALLS, SECRET_ARGUMENTS, callee_names, expr_name, has_literal, json_pairs, lit_text,
    name_arg, pat_name, reads_configuration, secret_callee,
};

declare_rule! {
    /// ### What it does
    /// Finds credentials written into source code and config files: API
    /// tokens in a provider's format, private keys, passwords in URLs, and
    /// random-looking values bound to a name that reads as a secret.
    ///
    /// It checks every string, byte-string and raw-string literal, macro
    /// arguments included, with three kinds of evidence:
    ///
    /// - **Provider formats**: the families that `cargo twelve explain
    ///   hardcoded_secret` lists at the end, each with its own regex.
    /// - **Credentials in URLs**: `postgres://app:s3cr3t@db/app`, unless the
    ///   password is a placeholder (`password`, `${DB_PASSWORD}`, `{}`) or
    ///   repeats the user name (`postgres:postgres`).
    /// - **Keyword context**: a literal bound by `let`, `const` or `static`,
    ///   set as a struct field, assigned, compared with `==`, returned by a
    ///   function, or passed to a callee whose name reads as a secret
    ///   (`password`, `api_key`, `client_secret`, `token`, `auth`, ... in any
    ///   case style): `.bearer_auth("…")`, `.basic_auth(user, Some("…"))`,
    ///   `.header("Authorization", "Bearer …")`, `env::set_var("API_TOKEN", "…")`,
    ///   `("password", "…")` pairs, `json!({"api_key": "…"})`, and the
    ///   fallback of an environment read, named by its variable
    ///   (`env::var("API_KEY").unwrap_or("…".into())`, which may also be a
    ///   `secret_fallback`). `match` arms and `if` branches count as the
    ///   value (`let api_key = match env { Env::Prod => "…", .. }`). The value
    ///   must also look like a credential: key names (`form.get("password")`),
    ///   messages, format strings, placeholders (`<token>`, `${X}`, `changeme`,
    ///   `xxxx`), paths, URLs, hashes (`$argon2id$…`), digests and env var
    ///   names are not.
    ///
    /// Test code is not checked (see `include_tests` below): `#[cfg(test)]`
    /// modules, test functions, test, bench and example targets, modules
    /// named for test support (`test_keys`, `testing`, `fixtures`, `mocks`),
    /// and test-support crates (package names ending in `-test-support`,
    /// `-testing`, `-test-utils`, `-test-helpers` or `-fixtures`, and
    /// `xtask`), their config files included.
    ///
    /// Nor is documentation: doc comments and `#[doc]`, and the values of
    /// struct fields, functions, methods and attribute keys named `example`,
    /// `examples`, `description`, `usage`, `help`, `about`, `long_about`,
    /// `after_help` and the like: nushell's `fn examples(&self) ->
    /// Vec<Example>` with its `example: "…"` fields, clap's `about` and
    /// `help` as attributes or builder methods.
    ///
    /// Nor a secret in a URL on a host reserved for documentation:
    /// `example.com`, `example.net`, `example.org` and their subdomains, names
    /// under `.example`, `.test`, `.invalid` and `.localhost`, and the
    /// addresses of 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and
    /// 2001:db8::/32.
    ///
    /// Nor a sample next to the pattern it illustrates, as in a secret
    /// scanner's own tables: a row (a tuple, a struct literal or a
    /// constructor call) of an array, slice or `vec![]` literal, where
    /// another element is a regex (`r"ghp_[0-9a-zA-Z]{36}"`,
    /// `Regex::new(r"…")`), names a detector family of this rule by its
    /// title or name (`"github_pat"`, not `"NPM_TOKEN"`, which names a
    /// variable), or is a field named `regex`, `pattern`, `detector`, `rule`
    /// or `family`. Tokens by provider, account or variable
    /// (`("github", "ghp_…")`) are a table of secrets and are reported.
    ///
    /// A secret split over the literals of `concat!` is found in the joined
    /// value.
    ///
    /// It also scans `.env*` files and the TOML, YAML and JSON config files in
    /// the package directory (and its `config/` directory) with the format and
    /// URL detectors, and the `KEY=value` lines of `.env` files with the
    /// keyword detector. `.env.example`, `.env.sample` and `.env.template`
    /// are only checked for provider formats.
    ///
    /// A secret is never printed: messages, snippets and JSON output show its
    /// first four characters, unless `--show-secrets` is given. Lines marked
    /// for other scanners (`gitleaks:allow`, `pragma: allowlist secret`,
    /// `trufflehog:ignore`) are honoured, as is `twelve:allow(hardcoded_secret)`.
    ///
    /// ### Why is this bad
    /// Config, and credentials above all, varies between deploys and belongs
    /// in the environment. A secret in the code is readable by everyone with
    /// the repository, stays in its history after it is removed, is the same
    /// in every deploy, and cannot be rotated without a release.
    ///
    /// ### Example
    /// ```rust,ignore
    /// const STRIPE_KEY: &str = "sk_live_…";
    ///
    /// let client = reqwest::Client::new()
    ///     .get(url)
    ///     .bearer_auth("9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c");
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// let stripe_key = std::env::var("STRIPE_KEY")?;
    /// let token = std::env::var("API_TOKEN")?;
    /// let client = reqwest::Client::new().get(url).bearer_auth(token);
    /// ```
    /// and rotate the credential that was committed.
    ///
    /// ### Options
    /// `extra_patterns = [{ name = "Acme token", regex = "\\bacme_[a-z0-9]{32}\\b" }]`:
    /// more detector families (the secret is capture group 1 if there is one).
    /// `allow_values = ["^sk_test_"]`: regexes of values that are not secrets.
    /// `include_tests = true`: report provider formats and private keys in
    /// test code too (keyword and URL evidence stays quiet there: test
    /// passwords are throwaway by design).
    ///
    /// ### Fix
    /// `cargo twelve fix` replaces the literal with an environment read named
    /// after what holds it (`let stripe_key`, a field `api_key`, an argument of
    /// `with_password`): `std::env::var("STRIPE_KEY")?` in a function whose
    /// error type takes a `VarError`, `.expect("STRIPE_KEY must be set")`
    /// elsewhere. A `"…".to_string()` or `String::from("…")` becomes the read
    /// itself (machine-applicable); a bare `&str` a borrow of it, or for a
    /// field or a return value `.leak()`, read once (`--unsafe-fixes`). A
    /// `const`/`static` `&str` becomes a `LazyLock<String>` and each use in
    /// its file `.as_str()` (`--unsafe-fixes`). The variable is added to
    /// `.env.example`. Rotate the credential: it stays in the history.
    pub HardcodedSecret => "hardcoded_secret", Factor::Config, Deny, fixable: true, options: ["extra_patterns", "allow_values", "include_tests"]
}

/// Comments of other secret scanners that mark a line as reviewed.
const SCANNER_ALLOW_MARKERS: &[&str] = &["gitleaks:allow", "pragma: allowlist secret", "trufflehog:ignore"];

/// The line-above form of detect-secrets.
const SCANNER_ALLOW_NEXT_LINE: &str = "pragma: allowlist nextline secret";

/// `Authorization` header schemes before the credential.
const AUTH_SCHEMES: &[&str] = &[
    "Bearer ", "bearer ", "Basic ", "basic ", "Token ", "token ", "Bot ", "Bearer: ",
];

/// Compiled option regexes, shared by every file of a run.
static OPTION_REGEXES: LazyLock<Mutex<HashMap<String, Option<Arc<Regex>>>>> = LazyLock::new(Default::default);

fn option_regex(pattern: &str) -> Option<Arc<Regex>> {
    let mut cache = OPTION_REGEXES.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry(pattern.to_string())
        .or_insert_with(|| Regex::new(pattern).ok().map(Arc::new))
        .clone()
}

fn allowed_value(options: &HardcodedSecretOptions, value: &str) -> bool {
    options
        .allow_values
        .iter()
        .filter_map(|p| option_regex(p))
        .any(|re| re.is_match(value))
}

/// A secret found in a text, by a built-in family or an `extra_patterns` one.
struct Hit {
    title: String,
    kind: Kind,
    range: Range<usize>,
}

/// Secrets of the built-in and configured families in `text`.
fn format_hits(options: &HardcodedSecretOptions, text: &str) -> Vec<Hit> {
    let mut hits: Vec<Hit> = secret_patterns::find(text)
        .into_iter()
        .map(|f| Hit {
            title: f.family.title.to_string(),
            kind: f.family.kind,
            range: f.range,
        })
        .collect();
    for extra in &options.extra_patterns {
        let Some(re) = option_regex(&extra.regex) else { continue };
        for caps in re.captures_iter(text) {
            let Some(m) = caps.get(1).or_else(|| caps.get(0)) else {
                continue;
            };
            if m.is_empty() || hits.iter().any(|h| h.range.start < m.end() && m.start() < h.range.end) {
                continue;
            }
            hits.push(Hit {
                title: extra.name.clone(),
                kind: Kind::Provider,
                range: m.range(),
            });
        }
    }
    hits.retain(|h| !allowed_value(options, &text[h.range.clone()]) && !in_documentation_url(text, &h.range));
    hits
}

/// Whether the line holding `offset`, or the line above, carries another
/// scanner's allow comment.
fn scanner_allowed(file: &SourceFile, offset: usize) -> bool {
    let line = file.line_col(offset).line;
    let text = file.line_text(line);
    if SCANNER_ALLOW_MARKERS.iter().any(|m| text.contains(m)) {
        return true;
    }
    line > 1 && file.line_text(line - 1).contains(SCANNER_ALLOW_NEXT_LINE)
}

impl HardcodedSecret {
    fn options<'c>(cx: &'c Cx<'_>) -> &'c HardcodedSecretOptions {
        static DEFAULT: LazyLock<HardcodedSecretOptions> = LazyLock::new(HardcodedSecretOptions::default);
        cx.options().unwrap_or(&DEFAULT)
    }
}

fn strip_auth_scheme(value: &str) -> (usize, &str) {
    for scheme in AUTH_SCHEMES {
        if let Some(rest) = value.strip_prefix(scheme) {
            return (scheme.len(), rest.trim_start());
        }
    }
    (0, value)
}

/// The notes and helps every finding carries.
fn report_secret(d: &mut crate::diagnostic::Diagnostic, label: &str) {
    d.label(label.to_string())
        .note("config varies between deploys and belongs in the environment; a credential in the repository is readable by everyone with access and stays in its history")
        .help("read it from the environment or a secret manager at startup (`std::env::var(\"…\")`), and rotate this credential");
}

/// A detector family added in the configuration of `hardcoded_secret`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraPattern {
    /// Shown in messages: "hardcoded <name>".
    pub name: String,
    /// The secret is capture group 1 when there is one, else the match.
    pub regex: String,
}

/// Options of `hardcoded_secret`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HardcodedSecretOptions {
    /// More detector families, such as an internal token format.
    #[serde(default)]
    pub extra_patterns: Vec<ExtraPattern>,
    /// Regexes of values that are not secrets (matched against the whole
    /// value), such as a published test key.
    #[serde(default)]
    pub allow_values: Vec<String>,
    /// Report provider formats and private keys in test code and
    /// test-support crates too.
    #[serde(default)]
    pub include_tests: bool,
}

impl HardcodedSecretOptions {
    /// Every regex compiles.
    pub fn validate(&self) -> Result<(), String> {
        for p in &self.extra_patterns {
            regex::Regex::new(&p.regex).map_err(|e| format!("invalid regex in `extra_patterns` `{}`: {e}", p.name))?;
        }
        for v in &self.allow_values {
            regex::Regex::new(v).map_err(|e| format!("invalid regex in `allow_values`: {e}"))?;
        }
        Ok(())
    }
}

impl Rule for HardcodedSecret {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn parse_options(&self, table: &OptionTable, base: Option<&RuleOptions>) -> Result<RuleOptions, String> {
        let options: HardcodedSecretOptions = layer_options(table, base, Self::META.options)?;
        options.validate()?;
        Ok(std::sync::Arc::new(options))
    }

    fn check_lit(&self, cx: &mut Cx<'_>, lit: &syn::Lit) {
        // The shortest family matches 8 characters; the token has quotes.
        if lit.span().byte_range().len() < 10 || Self::skips_formats(cx) {
            return;
        }
        let Some(text) = lit_text(cx.file(), lit) else { return };
        if text.value.len() < 8 {
            return;
        }
        let hits = format_hits(Self::options(cx), &text.value);
        for hit in hits {
            if hit.kind == Kind::UrlCredentials && Self::in_test_code(cx) {
                continue;
            }
            let secret = &text.value[hit.range.clone()];
            let shown = cx.redacted(secret);
            let (message, label) = match hit.kind {
                Kind::UrlCredentials => (
                    format!("hardcoded password `{shown}` in a URL"),
                    "the URL carries its credentials".to_string(),
                ),
                Kind::Provider => (
                    format!("hardcoded {} `{shown}`", hit.title),
                    format!("a {} in the source", hit.title),
                ),
            };
            self.report_in_lit(cx, &text, hit.range, message, label);
        }
    }

    fn check_local(&self, cx: &mut Cx<'_>, local: &syn::Local) {
        let Some(init) = &local.init else { return };
        if let Some(name) = pat_name(&local.pat) {
            self.check_named(cx, &name, &init.expr);
        }
    }

    fn check_item(&self, cx: &mut Cx<'_>, item: &syn::Item) {
        if !Self::skips_formats(cx) {
            Self::walk_item(cx, item);
        }
        if Self::in_test_code(cx) {
            return;
        }
        match item {
            syn::Item::Const(c) => self.check_named(cx, &c.ident.to_string(), &c.expr),
            syn::Item::Static(s) => self.check_named(cx, &s.ident.to_string(), &s.expr),
            syn::Item::Fn(f) => self.check_fn_body(cx, &f.sig.ident, &[], &f.block),
            syn::Item::Impl(i) => {
                for item in &i.items {
                    match item {
                        syn::ImplItem::Const(c) if !has_cfg_test(&c.attrs) => {
                            self.check_named(cx, &c.ident.to_string(), &c.expr)
                        }
                        syn::ImplItem::Fn(f) => self.check_fn_body(cx, &f.sig.ident, &f.attrs, &f.block),
                        _ => {}
                    }
                }
            }
            syn::Item::Trait(t) => {
                for item in &t.items {
                    match item {
                        syn::TraitItem::Const(c) => {
                            if let Some((_, e)) = &c.default {
                                self.check_named(cx, &c.ident.to_string(), e);
                            }
                        }
                        syn::TraitItem::Fn(f) => {
                            if let Some(b) = &f.default {
                                self.check_fn_body(cx, &f.sig.ident, &f.attrs, b);
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    fn check_expr(&self, cx: &mut Cx<'_>, expr: &syn::Expr) {
        if Self::in_test_code(cx) {
            return;
        }
        match expr {
            syn::Expr::Struct(s) => {
                for field in &s.fields {
                    if let syn::Member::Named(name) = &field.member {
                        self.check_named(cx, &name.to_string(), &field.expr);
                    }
                }
            }
            syn::Expr::Assign(a) => {
                if let Some(name) = expr_name(&a.left) {
                    self.check_named(cx, &name, &a.right);
                }
            }
            syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::Eq(_) | syn::BinOp::Ne(_)) => {
                for (name_side, value_side) in [(&b.left, &b.right), (&b.right, &b.left)] {
                    // `CONFIG.admin_password == "changeme"` checks whether
                    // the configured secret is still the shipped default:
                    // the default itself is where the value lives.
                    if reads_configuration(name_side) {
                        continue;
                    }
                    if let Some(name) = expr_name(name_side) {
                        self.check_named(cx, &name, value_side);
                    }
                }
            }
            syn::Expr::Tuple(t) if t.elems.len() == 2 => {
                if let Some(name) = name_arg(&t.elems[0]).filter(|_| matches!(t.elems[0], syn::Expr::Lit(_))) {
                    self.check_named(cx, &name, &t.elems[1]);
                }
            }
            _ => {}
        }
    }

    fn check_call(&self, cx: &mut Cx<'_>, call: &Call<'_>) {
        if Self::in_test_code(cx) || !call.args.iter().any(|a| has_literal(a)) {
            return;
        }
        // `env::var("API_KEY").unwrap_or("…".into())`: the fallback is bound
        // to the variable's name.
        if let Some((var, fallback)) = env_fallback(cx, call) {
            if let Some(class) = secret_name(&var) {
                self.check_named_with(cx, &var, class, fallback);
            }
            return;
        }
        let names = callee_names(call);
        let Some(name) = names.first() else { return };
        if NAMED_VALUE_CALLS.contains(&name.as_str()) && call.args.len() == 2 {
            if let Some(key) = name_arg(call.args[0]) {
                self.check_named(cx, &key, call.args[1]);
            }
            return;
        }
        if let Some((_, index, class)) = SECRET_ARGUMENTS.iter().find(|(n, _, _)| names.iter().any(|c| c == n)) {
            if let Some(arg) = call.args.get(*index) {
                self.check_named_with(cx, name, *class, arg);
            }
            return;
        }
        if let Some(class) = secret_callee(name) {
            for arg in &call.args {
                self.check_named_with(cx, name, class, arg);
            }
        }
    }

    fn check_macro(&self, cx: &mut Cx<'_>, mac: &MacroCall<'_>) {
        if mac.is(CONCAT_MACROS) {
            self.check_concat(cx, mac);
            return;
        }
        // `json!({"api_key": "…"})`: a key literal, `:`, a value literal.
        if Self::in_test_code(cx)
            || mac.args.is_some()
            || mac.mac.path.segments.last().is_none_or(|s| s.ident != "json")
        {
            return;
        }
        let mut pairs = Vec::new();
        json_pairs(mac.mac.tokens.clone(), &mut pairs);
        for (key, value) in pairs {
            if let Some(class) = secret_name(&key) {
                let lit = syn::Lit::new(value);
                self.check_named_lit(cx, &key, class, &lit);
            }
        }
    }

    fn explain_appendix(&self) -> Option<String> {
        Some(families_table())
    }

    fn check_package(&self, cx: &mut PackageReport<'_>, _facts: &[Fact]) {
        let options = cx.options::<HardcodedSecretOptions>().cloned().unwrap_or_default();
        let test_support = context::is_test_support_package(&cx.package.name);
        if test_support && !options.include_tests {
            return;
        }
        let dir = cx.package.dir().to_path_buf();
        let mut files: Vec<(std::path::PathBuf, FileKind)> = Vec::new();
        for d in env_files::env_dirs(&dir, cx.workspace_root) {
            for f in env_files::env_files(&d) {
                let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let kind = if env_files::is_env_template(name) {
                    FileKind::EnvTemplate
                } else {
                    FileKind::Env
                };
                files.push((f, kind));
            }
        }
        files.extend(env_files::config_files(&dir).into_iter().map(|f| (f, FileKind::Config)));
        for (path, kind) in files {
            // The files of a test-support crate are test code.
            let kind = if test_support { FileKind::TestCode } else { kind };
            self.check_config_file(cx, &options, &path, kind);
        }
    }
}

/// The families `cargo twelve explain hardcoded_secret` lists after the docs.
pub fn families_table() -> String {
    let mut out = String::from("### Detector families\n");
    for f in secret_patterns::FAMILIES {
        out.push_str(&format!("- `{}`: {}\n", f.name, f.title));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::HardcodedSecret;
    use crate::diagnostic::Diagnostic;
    use crate::test_support::{check_rule, check_rule_with_options, lines_of};
    use crate::workspace::TargetKind;

    fn found(src: &str) -> Vec<Diagnostic> {
        check_rule(&HardcodedSecret, src)
    }

    /// The line of each finding.
    fn lines(src: &str) -> Vec<usize> {
        lines_of(&found(src))
    }

    /// The line of each finding with `include_tests = true`.
    fn lines_with_tests(src: &str) -> Vec<usize> {
        let options = super::HardcodedSecretOptions {
            include_tests: true,
            ..Default::default()
        };
        lines_of(&check_rule_with_options(&HardcodedSecret, src, options))
    }

    #[test]
    fn provider_formats_anywhere() {
        let src = r##"
use reqwest::header::{HeaderMap, AUTHORIZATION};

const GITHUB: &str = "ghp_xGKZWGlby02BcHboRBcynXMgWJoleSrcBrFw";            // 4
static STRIPE: &[u8] = b"sk_live_v8GMDelNz4n8uNxNw28jsvvQ";                 // 5

pub fn client() -> reqwest::Client {
    let raw = r#"{"key": "AIzapBx9N6q9Y47XUIzE_RTZNrdjLXL9t1OwH20"}"#;        // 8
    let hook = format!("{}", "https://hooks.slack.com/services/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"); // 9
    tracing::info!(key = "AKIA6RWJYAX6R5OAJ4XK", "using key");                  // 10
    let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END RSA PRIVATE KEY-----"; // 11
    match env() {
        Env::Prod => "xoxb-065469469522-4096669456676-8z0ZlkYn1qhrH4d31P3V0TwV", // 13
        Env::Dev => "sk-ant-api03-2N9-2F8Zqza7QvD9JjAsxcv-2C03uwS-Ow4wcnFG0K5R63iappeszhdp3X4d5XfwShzZnIJWyYAOFnuA_6yuohls3WVpXAA", // 14
    };
    some_macro! { token => "npm_9mOBX3JlRdR6bahUIjztJnfCP6T11I0fGlYs" }          // 16
    todo!()
}
"##;
        assert_eq!(lines(src), [4, 5, 8, 9, 10, 11, 13, 14, 16]);
    }

    #[test]
    fn provider_format_in_test_code_fires_with_include_tests() {
        let src = r#"
#[cfg(test)]
mod tests {
    #[test]
    fn charges() {
        let key = "sk_live_v8GMDelNz4n8uNxNw28jsvvQ";
        let password = "hunter22";
        let url = "postgres://app:Xk9v2LqT7wPz@localhost/app";
    }
}
"#;
        assert_eq!(lines_with_tests(src), [6]);
        assert!(lines(src).is_empty());
    }

    /// Findings with the file checked as the root of a `kind` target of a
    /// package named `package`.
    fn lines_in(package: &str, kind: TargetKind, src: &str, options: super::HardcodedSecretOptions) -> Vec<usize> {
        let mut pkg = crate::test_support::package();
        pkg.name = package.into();
        let mut settings = crate::engine::Settings::default();
        settings
            .options
            .insert("hardcoded_secret", std::sync::Arc::new(options));
        let found = crate::engine::check_source(
            &pkg,
            &settings,
            &[&HardcodedSecret],
            std::path::Path::new("/app/src/lib.rs"),
            src,
            kind,
        );
        lines_of(&found)
    }

    /// Every kind of test code, with every kind of evidence in it.
    #[test]
    fn nothing_in_test_code_by_default() {
        let body = r#"
    let stripe = "sk_live_v8GMDelNz4n8uNxNw28jsvvQ";
    let joined = concat!("ghp_xGKZWGlby02BcHbo", "RBcynXMgWJoleSrcBrFw");
    let body = serde_json::json!({ "api_key": "Zx81Qw72Er63Ty54" });
    client.bearer_auth("9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c");
"#;
        let in_mod = format!(
            "#[cfg(test)]
mod tests {{
    fn f() {{{body}    }}
}}
"
        );
        let in_test_fn = format!(
            "#[tokio::test]
async fn charges() {{{body}}}
"
        );
        let in_rstest = format!(
            "#[rstest]
fn charges() {{{body}}}
"
        );
        let plain = format!(
            "pub fn f() {{{body}}}
"
        );
        for src in [&in_mod, &in_test_fn, &in_rstest] {
            assert_eq!(lines(src), Vec::<usize>::new(), "{src}");
        }
        let default = super::HardcodedSecretOptions::default;
        for kind in [TargetKind::Test, TargetKind::Bench, TargetKind::Example] {
            assert_eq!(
                lines_in("app", kind, &plain, default()),
                Vec::<usize>::new(),
                "{kind:?}"
            );
        }
        for package in [
            "acme-test-support",
            "acme_testing",
            "acme-test-utils",
            "acme-fixtures",
            "test_helpers",
            "xtask",
        ] {
            assert_eq!(
                lines_in(package, TargetKind::Lib, &plain, default()),
                Vec::<usize>::new(),
                "{package}"
            );
        }
        // A module named for test support, as crates.io's `pub mod
        // test_keys;` of keys "used only for testing purposes".
        for module in ["test_keys", "testing", "fixtures", "mocks"] {
            let src = format!("pub mod {module} {{\n    pub mod keys {{\n{plain}    }}\n}}\n");
            assert_eq!(lines(&src), Vec::<usize>::new(), "{module}");
        }
        let src = format!("pub mod signing_keys {{\n{plain}}}\n");
        assert_eq!(lines(&src), [3, 4, 5, 6]);
        // The same code is reported where a service runs it.
        assert_eq!(lines(&plain), [2, 3, 4, 5]);
    }

    #[test]
    fn include_tests_reports_provider_formats_in_test_code() {
        let src = r#"
pub fn f() {
    let stripe = "sk_live_v8GMDelNz4n8uNxNw28jsvvQ";
    let joined = concat!("ghp_xGKZWGlby02BcHbo", "RBcynXMgWJoleSrcBrFw");
    let password = "Tr0ub4dor&3";
    let db = "postgres://app:Xk9v2LqT7wPz@db.internal/app";
}
"#;
        let options = || super::HardcodedSecretOptions {
            include_tests: true,
            ..Default::default()
        };
        assert_eq!(lines_in("app", TargetKind::Test, src, options()), [3, 4]);
        assert_eq!(lines_in("acme-test-utils", TargetKind::Lib, src, options()), [3, 4]);
        let in_mod = format!(
            "#[cfg(test)]
mod tests {{{src}}}
"
        );
        assert_eq!(lines_with_tests(&in_mod), [4, 5]);
    }

    #[test]
    fn analytics_ingest_keys_and_default_checks_are_not_credentials() {
        let src = r#"
use once_cell::sync::Lazy;

const SEGMENT_API_KEY: &str = "P3FWhhEsJiEDCuEHpmcN9DHcK4hVfBvb";
const POSTHOG_API_KEY: &str = "phc_f3kT9qLmZ2xVbN8wR4yU7iO1pA6sD5gH";
const MIXPANEL_API_SECRET: &str = "f3kT9qLmZ2xVbN8wR4yU7iO1pA6sD5gH";           // 6

pub fn warn_on_default_login(args: &Args) -> bool {
    *ARGS.auth_admin_password == "m1cr0b1n" || CONFIG.admin_token() == "dJ8fK2mQ9zX4vB7n"
        || args.password == "hunter2hunter2"
}

pub fn login(req: &LoginForm) -> bool {
    req.password == "Xk29!vPq7#mLw4zR"                                        // 14
}
"#;
        assert_eq!(lines(src), [6, 14]);
    }

    #[test]
    fn nothing_in_documentation() {
        let src = r##"
//! let key = "ghp_xGKZWGlby02BcHboRBcynXMgWJoleSrcBrFw";
/// ```
/// let client = Client::new("sk_live_v8GMDelNz4n8uNxNw28jsvvQ");
/// ```
#[doc = "ghp_MOUdGDxnvsDES92Ep9kD7JxlmXVo6Ma8r6XZ"]
pub struct Http;

#[derive(clap::Parser)]
#[command(about = "Calls with ghp_vlpYaGcpNhxIGjb7u4YQ1rOhoYHGEFOwqR8C", long_about = "ghp_vlpYaGcpNhxIGjb7u4YQ1rOhoYHGEFOwqR8C")]
#[command(after_help = "GITHUB_TOKEN=ghp_vlpYaGcpNhxIGjb7u4YQ1rOhoYHGEFOwqR8C deploy")]
struct Cli {
    /// A token such as "ghp_vlpYaGcpNhxIGjb7u4YQ1rOhoYHGEFOwqR8C".
    #[arg(long, env = "GITHUB_TOKEN", help = "ghp_vlpYaGcpNhxIGjb7u4YQ1rOhoYHGEFOwqR8C")]
    token: Option<String>,
}

impl Command for Http {
    fn examples(&self) -> Vec<Example> {
        let token = "ghp_5VkCsN3crv83GOSCTYnUsHqbRaSbiJ4rAipm";
        vec![Example {
            description: "Get a resource with a bearer token",
            example: "http get -H [Authorization 'Bearer ghp_5VkCsN3crv83GOSCTYnUsHqbRaSbiJ4rAipm'] https://www.example.com",
            result: None,
        }]
    }

    fn usage(&self) -> &str {
        "Sends the request; `--password Tr0ub4dor&3` for basic auth."
    }
}

pub fn command() -> clap::Command {
    clap::Command::new("deploy")
        .about("Deploys with GITHUB_TOKEN, such as ghp_BEdJKNU679qWcABLf5zYmLJwxOVyKkbSTj5b")
        .arg(clap::Arg::new("token").help(concat!("such as ghp_BEdJKNU679qWc", "ABLf5zYmLJwxOVyKkbSTj5b")))
        .after_help("STRIPE_KEY=sk_live_v8GMDelNz4n8uNxNw28jsvvQ deploy")
}

static HELP: &[Topic] = &[Topic {
    name: "auth",
    usage: "login --token ghp_BEdJKNU679qWcABLf5zYmLJwxOVyKkbSTj5b",
    long_about: "api_key = \"ghp_BEdJKNU679qWcABLf5zYmLJwxOVyKkbSTj5b\"",
}];

bitflags! {
    /// Set `GITHUB_TOKEN="ghp_xGKZWGlby02BcHboRBcynXMgWJoleSrcBrFw"` first.
    #[doc = "ghp_xGKZWGlby02BcHboRBcynXMgWJoleSrcBrFw"]
    pub struct Flags: u32 { const A = 1; }
}

const GITHUB_TOKEN: &str = "ghp_MOUdGDxnvsDES92Ep9kD7JxlmXVo6Ma8r6XZ";                 // 52
"##;
        assert_eq!(lines(src), [52]);
    }

    #[test]
    fn nothing_on_documentation_hosts() {
        let src = r#"
fn connect() {
    let a = sqlx::PgPool::connect("postgres://billing:Xk9v2LqT7wPz@db.example.com:5432/billing");
    let b = redis::Client::open("redis://:N8c2hQ7rLm4x@cache.example.org:6379/0");
    let c = "amqp://svc:Zq81Lm2pR7xK@rabbit.test:5672";
    let d = "https://deploy:Zq81Lm2pR7xK@203.0.113.7/api";
    let e = "http://svc:Zq81Lm2pR7xK@[2001:db8::7]:8080/";
    let f = "https://www.example.com/hook?access_token=ghp_xGKZWGlby02BcHboRBcynXMgWJoleSrcBrFw";
    let g = "https://api.example.net/v1?key=AIzapBx9N6q9Y47XUIzE_RTZNrdjLXL9t1OwH20";
    let h = "postgres://billing:Xk9v2LqT7wPz@db.internal:5432/billing";                      // 10
    let i = "https://api.acme.io/hook?access_token=ghp_xGKZWGlby02BcHboRBcynXMgWJoleSrcBrFw"; // 11
}
"#;
        assert_eq!(lines(src), [10, 11]);
    }

    /// A secret scanner's own tables: each sample sits next to the pattern
    /// it illustrates.
    #[test]
    fn nothing_for_samples_next_to_their_pattern() {
        let src = r##"
const DETECTORS: &[(&str, &str, &str)] = &[
    ("github", r"ghp_[0-9a-zA-Z]{36}", "ghp_xGKZWGlby02BcHboRBcynXMgWJoleSrcBrFw"),
    ("stripe", r"\bsk_live_\w{24}\b", "sk_live_v8GMDelNz4n8uNxNw28jsvvQ"),
];

static CASES: &[Case] = &[
    Case { detector: "slack", sample: "xoxb-065469469522-4096669456676-8z0ZlkYn1qhrH4d31P3V0TwV" },
    Case { name: "npm", regex: &NPM, samples: &["npm_9mOBX3JlRdR6bahUIjztJnfCP6T11I0fGlYs"] },
];

const BY_FAMILY: [(&str, &str); 2] = [
    ("github_pat", "ghp_MOUdGDxnvsDES92Ep9kD7JxlmXVo6Ma8r6XZ"),
    ("Google API key", "AIzapBx9N6q9Y47XUIzE_RTZNrdjLXL9t1OwH20"),
];

fn detectors() -> Vec<Detector> {
    vec![
        Detector::new("gitlab", Regex::new(r"glpat-[\w-]{20,}").unwrap(), "glpat-z3LCsQu7XF66gD0Y4gnN"),
        Detector::new("npm", regex!("npm_[A-Za-z0-9]{36}"), concat!("npm_9mOBX3JlRdR6", "bahUIjztJnfCP6T11I0fGlYs")),
    ]
}

const CREDENTIALS: &[(&str, &str)] = &[("github", "ghp_vlpYaGcpNhxIGjb7u4YQ1rOhoYHGEFOwqR8C")];                 // 24
const ACCOUNTS: &[Account] = &[Account { name: "billing", token: "ghp_5VkCsN3crv83GOSCTYnUsHqbRaSbiJ4rAipm" }]; // 25
const ROUTES: &[(&str, &str)] = &[("/v1/[a-z]+", "static")];
const KEYS: [&str; 2] = [r"ghp_[0-9a-zA-Z]{36}", "ghp_BEdJKNU679qWcABLf5zYmLJwxOVyKkbSTj5b"];                  // 27
const ENV: &[(&str, &str)] = &[("NPM_TOKEN", "npm_9mOBX3JlRdR6bahUIjztJnfCP6T11I0fGlYs")];                     // 28
"##;
        // A table of tokens by provider, account or variable is a table of
        // secrets, and a list is no row.
        assert_eq!(lines(src), [24, 25, 27, 28]);
    }

    /// The shapes a key takes in Rust, each reported where a service runs it.
    #[test]
    fn recall_of_rust_shapes() {
        let src = r#"
use std::env;

static STRIPE: &[u8] = b"sk_live_v8GMDelNz4n8uNxNw28jsvvQ";                                   // 4
const KEYS: [&str; 2] = ["ghp_xGKZWGlby02BcHboRBcynXMgWJoleSrcBrFw", "ghp_MOUdGDxnvsDES92Ep9kD7JxlmXVo6Ma8r6XZ"]; // 5
static MORE: &[&str] = &["npm_9mOBX3JlRdR6bahUIjztJnfCP6T11I0fGlYs"];                         // 6

pub fn keys(env: Env, prod: bool) {
    let key = b"ghp_vlpYaGcpNhxIGjb7u4YQ1rOhoYHGEFOwqR8C";                                       // 9
    let api_key = b"Zx8qT4mWv2Lp9RkN7cYb";                                                      // 10
    let key = match env {
        Env::Prod => "sk_live_v8GMDelNz4n8uNxNw28jsvvQ",                                        // 12
        Env::Dev => "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    };
    let api_key = match env { Env::Prod => "Qm8vT2pL9xW4nR7kAbC9", Env::Dev => "sk_test_4eC39HqLyjWDarjtT1zdp7dc" }; // 15
    let password = if prod { "Tr0ub4dor&3" } else { "devpassword" };                          // 16
    let fleet = vec!["ghp_5VkCsN3crv83GOSCTYnUsHqbRaSbiJ4rAipm"];                                // 17
    let x = concat!("ghp_BEdJKNU679qWcABLf5zYm", "LJwxOVyKkbSTj5b");                             // 18
    let api_key = env::var("API_KEY").unwrap_or("Zx8qT4mWv2Lp9RkN7cYb".into());                 // 19
    let jwt = std::env::var("JWT_SECRET").unwrap_or_else(|_| "n7Rk2pQx9LmW4tZcY3v8".to_string()); // 20
    let token = env::var("API_TOKEN").ok().unwrap_or_else(|| String::from("A7c9E2g4K6m8P0r2Zq")); // 21
    let raw = env::var("GITHUB_TOKEN");
    let gh = raw.unwrap_or("b1946ac92492d2347c6235b4d2611184".into());                         // 23
    // Not hardcoded credentials (a weak fallback is `secret_fallback`'s).
    let port = env::var("PORT").unwrap_or("8080".into());
    let id = env::var("CLIENT_ID").unwrap_or("Zx8qT4mWv2Lp9RkN7cYb".into());
    let dev = env::var("JWT_SECRET").unwrap_or_else(|_| "dev-secret".into());
    let set = env::var("API_KEY").map_or("unset", |_| "set");
}
"#;
        assert_eq!(lines(src), [4, 5, 5, 6, 9, 10, 12, 15, 16, 17, 18, 19, 20, 21, 23]);
    }

    #[test]
    fn messages_show_four_characters_and_spans_point_at_the_secret() {
        let src = "const K: &str = \"prefix ghp_xGKZWGlby02BcHboRBcynXMgWJoleSrcBrFw\";\n";
        let d = &found(src)[0];
        assert_eq!(d.message, "hardcoded GitHub personal access token `ghp_…`");
        // The diagnostic points into the masked copy of the file.
        assert_eq!(d.span.snippet(), "ghp_************************************");
        assert!(!d.span.file.text.contains("xGKZWG"));
    }

    #[test]
    fn escaped_literals_mask_the_whole_value() {
        let src = "const K: &str = \"\\x67hp_xGKZWGlby02BcHboRBcynXMgWJoleSrcBrFw\";\n";
        let d = &found(src)[0];
        assert!(!d.span.file.text.contains("xGKZWG"), "{}", d.span.file.text);
        assert!(d.span.snippet().starts_with('"'));
    }

    #[test]
    fn url_credentials() {
        let src = r#"
fn connect() {
    let db = sqlx::PgPool::connect("postgres://billing:Xk9v2LqT7wPz@db.internal:5432/billing");  // 3
    let cache = redis::Client::open("redis://:N8c2hQ7rLm4x@cache:6379/0");                        // 4
    let docs = "postgres://user:password@localhost/db";
    let tmpl = format!("amqp://{}:{}@{}", user, pass, host);
    let env = "postgres://app:${DB_PASSWORD}@db/app";
    let local = "postgres://postgres:postgres@localhost/app";
    let ssh = "git+ssh://git@github.com/org/repo.git";
}
"#;
        assert_eq!(lines(src), [3, 4]);
        let d = &found(src)[0];
        assert_eq!(d.message, "hardcoded password `Xk9v…` in a URL");
        assert_eq!(d.span.snippet(), "Xk9v********");
    }

    #[test]
    fn keyword_context_bindings_fields_and_returns() {
        let src = r#"
use secrecy::SecretString;

const API_KEY: &str = "9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c";                        // 4
static DB_PASSWORD: &str = "hunter22";                                          // 5
const API_KEYS: [&str; 2] = ["AbC9xYz1QwE7rTy3", "Qm8vT2pL9xW4nR7k"];          // 6

struct Client;
impl Client {
    const SIGNING_KEY: &'static [u8] = b"k3Y-9f8a7b6c5d4e3f2a";                 // 10
    fn client_secret() -> &'static str { "Zm9vYmFyOmJhei1xdXV4LTE5OTk" }        // 11
}

pub fn config() -> Config {
    let token: String = "Qm8vT2pL9xW4nR7kAbC9".to_string();                      // 15
    let jwt_secret = SecretString::new("n7Rk2pQx9LmW4tZc".into());                // 16
    let mut cfg = Config {
        api_key: String::from("b1946ac92492d2347c6235b4d2611184"),               // 18
        password: Some("Tr0ub4dor&3".into()),                                     // 19
        ..Default::default()
    };
    cfg.auth_token = "A7c9E2g4K6m8P0r2".into();                                   // 22
    if input.password == "letMe1nNow" { admin() }                                 // 23
    cfg
}
"#;
        assert_eq!(lines(src), [4, 5, 6, 6, 10, 11, 15, 16, 18, 19, 22, 23]);
    }

    #[test]
    fn keyword_context_calls_headers_and_env() {
        let src = r#"
use reqwest::header::{self, HeaderValue, AUTHORIZATION};
use std::env;

async fn call(client: reqwest::Client, user: &str) {
    client.get(URL).bearer_auth("9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c");                         // 6
    client.get(URL).basic_auth(user, Some("s3cr3t-Pa55"));                                   // 7
    client.get(URL).header("X-Api-Key", "b1946ac92492d2347c6235b4d2611184");                  // 8
    client.get(URL).header(AUTHORIZATION, "Bearer Qm8vT2pL9xW4nR7kAbC9xYz1");                 // 9
    headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Token A7c9E2g4K6m8P0r2")); // 10
    unsafe { env::set_var("API_TOKEN", "n7Rk2pQx9LmW4tZcY3v8") };                             // 11
    let opts = PgConnectOptions::new().username("app").password("p4ssW0rd-99");              // 12
    let c = Client::new().with_api_key("AbC9xYz1QwE7rTy3Qm8v");                              // 13
    let form = [("username", "bob"), ("password", "hunter22")];                               // 14
    let body = serde_json::json!({ "user": "bob", "api_key": "Zx81Qw72Er63Ty54" });          // 15
    std::process::Command::new("deploy").env("GITHUB_TOKEN", "Zm9vYmFyOmJhei1xdXV4");        // 16
}
"#;
        assert_eq!(lines(src), [6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    }

    #[test]
    fn names_and_messages_are_not_secrets() {
        let src = r#"
use reqwest::header::AUTHORIZATION;

const PASSWORD_FIELD: &str = "password";
const API_KEY_ENV: &str = "API_KEY";
const TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
const AUTH_HEADER: &str = "Authorization";
const PUBLIC_KEY: &str = "9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c";
const SECRET_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";

#[derive(serde::Deserialize)]
struct Login {
    #[serde(rename = "apiKey")]
    api_key: String,
}

fn handle(form: &Form, client: &Client) -> Result<(), Error> {
    let password = form.get("password")?;
    let token = std::env::var("API_TOKEN").expect("API_TOKEN must be set");
    let secret = vault.get_secret("payments/stripe-key-2024")?;
    if password.is_empty() { return Err(Error::new("password is required")); }
    tracing::warn!(token = %redact(&token), "invalid token {}", token);
    let auth = format!("Bearer {}", token);
    let api_key = "<your-api-key>";
    let client_secret = "${CLIENT_SECRET}";
    let pwd = "changeme";
    let token = "xxxxxxxxxxxxxxxxxxxxxxxx";
    let password_hash = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g";
    let hashed = "$2b$12$KIXQJQ0s9m8vN5h5WcHqUu5rM5xg1fJ6jzQ9b4Y8v4C3h2R1lK0aO";
    let token_type = "Bearer";
    let image = "ghcr.io/acme/api@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let checksum = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let id = "550e8400-e29b-41d4-a716-446655440000";
    let key = "AKIAIOSFODNN7EXAMPLE";
    let secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let token = lexer.next_token();
    if token == "=>" || token == "fn" { }
    let max_tokens = "4096";
    let csrf_token = "a8f5f167f44f4964e6c998dee827110c";
    client.get(URL).header(AUTHORIZATION, auth);
    client.get(URL).header("Content-Type", "application/json");
    let pubkey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    let cert = "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n-----END CERTIFICATE-----";
    Ok(())
}
"#;
        let f = found(src);
        assert!(
            f.is_empty(),
            "{:?}",
            f.iter().map(|d| (d.span.start().line, &d.message)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn keyword_findings_are_skipped_in_test_code() {
        let src = r#"
pub fn run() {}

#[cfg(test)]
mod tests {
    const API_KEY: &str = "9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c";
    #[test]
    fn login() {
        let password = "hunter22";
        let c = Config { token: "Qm8vT2pL9xW4nR7kAbC9".into() };
        client.bearer_auth("9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c");
    }
}

#[tokio::test]
async fn top_level() { let secret = "A7c9E2g4K6m8P0r2"; }
"#;
        assert!(lines(src).is_empty());
    }

    #[test]
    fn cfg_test_fields_locals_and_arms_are_test_code() {
        let src = r#"
const PATTERNS: &[Pattern] = &[Pattern {
    name: "url",
    #[cfg(test)]
    tests: &["postgres://app:s3cr3t-pw@db.internal:5432/app", "ghp_xGKZWGlby02BcHboRBcynXMgWJoleSrcBrFw"],
}];
fn f() {
    #[cfg(test)]
    let password = "hunter22";
    let live = Config { password: "Tr0ub4dor&3" };
}
"#;
        // With `include_tests` the provider token is reported in test code
        // too; the URL and the keyword finding only outside it.
        assert_eq!(lines_with_tests(src), [5, 10]);
        assert_eq!(lines(src), [10]);
    }

    /// The Rust idioms that regex scanners miss (shared/reference), and the
    /// ones they flag wrongly.
    #[test]
    fn idioms_regex_scanners_get_wrong() {
        let src = r##"
//! api_key = "9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c"
/// -----BEGIN EC PRIVATE KEY-----
/// MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5jQxSeQD0ng1OoAoGCCqGSM49
static TOKEN: &str = "Qm8vT2pL9xW4nR7kAbC9";                                   // 5
fn f(client: reqwest::Client, kind: Kind) {
    let api_token: String = "A7c9E2g4K6m8P0r2".to_string();                 // 7
    let password = String::from("Tr0ub4dor&3");                               // 8
    client.get(URL).bearer_auth("9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c");          // 9
    client.get(URL).header("Authorization", "Bearer Zm9vYmFyOmJhei1xdXV4");   // 10
    let opts = opts.password("p4ssW0rd-99");                                   // 11
    let key = match kind { Kind::Live => "sk_live_v8GMDelNz4n8uNxNw28jsvvQ", _ => "" }; // 12
    const API_KEYS: [&str; 1] = ["b1946ac92492d2347c6235b4d2611184"];           // 13
    let t = concat!("ghp_xGKZWGlby02BcHbo", "RBcynXMgWJoleSrcBrFw");             // 14
    let r = r#"ghp_MOUdGDxnvsDES92Ep9kD7JxlmXVo6Ma8r6XZ"#;                     // 15
    let b = b"ghp_vlpYaGcpNhxIGjb7u4YQ1rOhoYHGEFOwqR8C";                       // 16
    // The type is not the value; match arms map names to names.
    let process_access_token: ProcessInfoClass = ProcessInfoClass::ProcessAccessToken;
    let der_private_key_buffer: EcPrivateKeyRfc5915Der = Default::default();
    let name = match kind { Kind::Token => "ACCESS_TOKEN", Kind::Secret => "CLIENT_SECRET" };
}
"##;
        assert_eq!(lines(src), [5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    }

    #[test]
    fn secrets_split_over_concat() {
        let src = r#"
const TOKEN: &str = concat!("ghp_xGKZWGlby02BcHbo", "RBcynXMgWJoleSrcBrFw");
const NAME: &str = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));
const URL: &str = concat!("https://", "api.example.com", "/v1");
"#;
        let f = found(src);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].message, "hardcoded GitHub personal access token `ghp_…`");
        assert_eq!(f[0].span.start().line, 2);
        assert!(!f[0].span.file.text.contains("RBcy"));
        assert!(!f[0].span.file.text.contains("xGKZ"));
    }

    #[test]
    fn other_scanners_allow_comments_are_honoured() {
        let src = r#"
const A: &str = "ghp_xGKZWGlby02BcHboRBcynXMgWJoleSrcBrFw"; // gitleaks:allow
const B: &str = "ghp_MOUdGDxnvsDES92Ep9kD7JxlmXVo6Ma8r6XZ"; // pragma: allowlist secret
// pragma: allowlist nextline secret
const C: &str = "ghp_vlpYaGcpNhxIGjb7u4YQ1rOhoYHGEFOwqR8C";
const D: &str = "ghp_5VkCsN3crv83GOSCTYnUsHqbRaSbiJ4rAipm"; // trufflehog:ignore
const E: &str = "ghp_BEdJKNU679qWcABLf5zYmLJwxOVyKkbSTj5b"; // twelve:allow(hardcoded_secret)
const F: &str = "ghp_xGKZWGlby02BcHboRBcynXMgWJoleSrcBrFw";
"#;
        assert_eq!(lines(src), [8]);
    }

    #[test]
    fn options_extra_patterns_and_allow_values() {
        let src = r#"
const INTERNAL: &str = "acme_4f9c2b7e1d8a3f6c5b0e9d2a7c4f1b8e";
const STRIPE: &str = "sk_live_v8GMDelNz4n8uNxNw28jsvvQ";
const TOKEN: &str = "Qm8vT2pL9xW4nR7kAbC9";
"#;
        let mut o = super::HardcodedSecretOptions::default();
        o.extra_patterns.push(super::ExtraPattern {
            name: "Acme token".into(),
            regex: r"\bacme_[a-f0-9]{32}\b".into(),
        });
        o.allow_values.push("^sk_live_v8GM".into());
        o.allow_values.push("^Qm8vT2".into());
        let f = crate::test_support::check_rule_with_options(&HardcodedSecret, src, o);
        let messages: Vec<_> = f.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, ["hardcoded Acme token `acme…`"]);
    }

    #[test]
    fn explain_lists_every_family() {
        let table = super::families_table();
        for family in super::secret_patterns::FAMILIES {
            assert!(table.contains(&format!("`{}`", family.name)), "{}", family.name);
        }
        assert_eq!(table.lines().count(), super::secret_patterns::FAMILIES.len() + 1);
    }
}

//! Names that reach `env::var` through code rather than as a literal at
//! the read: wrapper functions and macros over a list of fields.
//!
//! - **Wrappers.** A free function whose parameter flows into a read
//!   (`fn get_env(key: &str) { env::var(key) }`, also as
//!   `format!("{key}_FILE")`, directly or through a local) is a wrapper of
//!   that parameter; a function that passes its own parameter on to a
//!   wrapper is one too, across workspace crates. A call of a wrapper with
//!   a string literal reads the variable it builds.
//! - **Macros over a field list.** A `macro_rules!` macro whose expansion
//!   reads the environment (it calls `env::var` or a wrapper) and builds
//!   the name with `stringify!($name)` (upper-cased by paste's
//!   `[<$name:upper>]` or `.to_uppercase()`, with `concat!` or paste
//!   prefixes): each invocation names one variable per `$name` its matcher
//!   matches. The matcher is followed from `$name:ident` over the literal
//!   tokens and `ident`/`literal`/`ty` fragments after it (up to the first
//!   other fragment or group), and the invocation is scanned for that
//!   shape. A matcher with nothing after `$name` matches too much and is
//!   not followed.
//!
//! Only what the recorded shapes say is used: no expansion, no types.

use proc_macro2::{Delimiter, TokenStream, TokenTree};

/// A token of an invocation, `Send` to be kept as a fact.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) enum Tok {
    Ident(String),
    Punct(char),
    Lit,
    Group,
}

/// One element of a matcher after `$name:ident`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) enum PatTok {
    Punct(char),
    Ident(String),
    AnyIdent,
    AnyLit,
    /// A `ty` fragment: tokens up to the next punctuation of the pattern.
    AnyTy,
}

/// What a `macro_rules!` definition says about the names it reads.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct MacroDef {
    pub name: String,
    pub pattern: Vec<PatTok>,
    /// The index in `pattern` of the fragment named `ty`/`type`, if any.
    pub ty_at: Option<usize>,
    pub upper: bool,
    pub prefix: String,
    pub suffix: String,
    /// Functions called in the expansion (last path segment): wrappers among
    /// them read the names.
    pub calls: Vec<String>,
    /// The expansion calls `env::var` itself.
    pub direct: bool,
    /// The matcher goes on with an optional default, `$(, $default:expr)?`:
    /// a field followed by that punctuation has a default.
    pub default_after: Option<char>,
}

/// The token sequences of an invocation, one per group level.
pub(super) fn sequences(tokens: &TokenStream) -> Vec<Vec<Tok>> {
    let mut out = Vec::new();
    flatten(tokens.clone(), &mut out, 0);
    out
}

fn flatten(tokens: TokenStream, out: &mut Vec<Vec<Tok>>, depth: usize) {
    if depth > 16 || out.len() > 4096 {
        return;
    }
    let mut seq = Vec::new();
    for t in tokens {
        match t {
            TokenTree::Ident(i) => seq.push(Tok::Ident(i.to_string())),
            TokenTree::Punct(p) => seq.push(Tok::Punct(p.as_char())),
            TokenTree::Literal(_) => seq.push(Tok::Lit),
            TokenTree::Group(g) => {
                seq.push(Tok::Group);
                // Attributes and doc comments are not fields.
                if !matches!(seq.get(seq.len().wrapping_sub(2)), Some(Tok::Punct('#'))) {
                    flatten(g.stream(), out, depth + 1);
                }
            }
        }
    }
    out.push(seq);
}

/// A field of an invocation: its name, the `ty` fragment's identifiers
/// (when the pattern has one), and whether a default follows it.
pub(super) type FieldMatch = (String, Vec<String>, bool);

/// Each match of the definition's shape in `seq`.
pub(super) fn matches(def: &MacroDef, seq: &[Tok]) -> Vec<FieldMatch> {
    let mut out = Vec::new();
    for i in 0..seq.len() {
        let Tok::Ident(name) = &seq[i] else { continue };
        if let Some((ty, end)) = match_at(def, seq, i + 1) {
            let default = def.default_after.is_some_and(|c| seq.get(end) == Some(&Tok::Punct(c)));
            out.push((name.clone(), ty, default));
        }
    }
    out
}

fn match_at(def: &MacroDef, seq: &[Tok], mut at: usize) -> Option<(Vec<String>, usize)> {
    let mut ty = Vec::new();
    for (k, p) in def.pattern.iter().enumerate() {
        let t = seq.get(at)?;
        match p {
            PatTok::Punct(c) => {
                if t != &Tok::Punct(*c) {
                    return None;
                }
                at += 1;
            }
            PatTok::Ident(s) => {
                if !matches!(t, Tok::Ident(i) if i == s) {
                    return None;
                }
                at += 1;
            }
            PatTok::AnyIdent => {
                let Tok::Ident(i) = t else { return None };
                if def.ty_at == Some(k) {
                    ty.push(i.clone());
                }
                at += 1;
            }
            PatTok::AnyLit => {
                let literal = matches!(t, Tok::Lit) || matches!(t, Tok::Ident(i) if i == "true" || i == "false");
                if literal {
                    at += 1;
                } else if t == &Tok::Punct('-') && seq.get(at + 1) == Some(&Tok::Lit) {
                    at += 2;
                } else {
                    return None;
                }
            }
            PatTok::AnyTy => {
                let stop = def.pattern[k + 1..].iter().find_map(|p| match p {
                    PatTok::Punct(c) => Some(*c),
                    _ => None,
                });
                let start = at;
                let mut angle = 0usize;
                while let Some(t) = seq.get(at) {
                    match t {
                        Tok::Punct('<') => angle += 1,
                        Tok::Punct('>') => angle = angle.saturating_sub(1),
                        Tok::Punct(c) if angle == 0 && Some(*c) == stop => break,
                        Tok::Punct(';') if angle == 0 => break,
                        Tok::Ident(i) if def.ty_at == Some(k) => ty.push(i.clone()),
                        _ => {}
                    }
                    at += 1;
                }
                if at == start {
                    return None;
                }
            }
        }
    }
    Some((ty, at))
}

/// Reads a `macro_rules!` body. `None` when no rule stringifies a
/// metavariable the matcher binds as an `ident` with a shape after it.
pub(super) fn macro_def(name: &str, body: &TokenStream) -> Option<MacroDef> {
    let trees: Vec<TokenTree> = body.clone().into_iter().collect();
    let mut def = MacroDef {
        name: name.to_string(),
        ..MacroDef::default()
    };
    // `(matcher) => {transcriber};`
    let mut i = 0;
    while i + 3 < trees.len() + 1 {
        let (
            Some(TokenTree::Group(m)),
            Some(TokenTree::Punct(eq)),
            Some(TokenTree::Punct(gt)),
            Some(TokenTree::Group(t)),
        ) = (trees.get(i), trees.get(i + 1), trees.get(i + 2), trees.get(i + 3))
        else {
            i += 1;
            continue;
        };
        if eq.as_char() != '=' || gt.as_char() != '>' {
            i += 1;
            continue;
        }
        // The matcher of the rule whose expansion stringifies the name.
        if let Some(var) = transcriber(t.stream(), &mut def)
            && def.pattern.is_empty()
            && let Some((pattern, ty_at, default_after)) = pattern_after(m.stream(), &var, 0)
        {
            def.pattern = pattern;
            def.ty_at = ty_at;
            def.default_after = default_after;
        }
        i += 4;
    }
    (!def.pattern.is_empty()).then_some(def)
}

/// The shape after `$var:ident` in a matcher.
type Shape = (Vec<PatTok>, Option<usize>, Option<char>);

fn pattern_after(tokens: TokenStream, var: &str, depth: usize) -> Option<Shape> {
    if depth > 8 {
        return None;
    }
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, t) in trees.iter().enumerate() {
        if let TokenTree::Group(g) = t
            && let Some(found) = pattern_after(g.stream(), var, depth + 1)
        {
            return Some(found);
        }
        if !is_dollar(t) || !is_ident(trees.get(i + 1), var) || !is_punct(trees.get(i + 2), ':') {
            continue;
        }
        if !is_ident(trees.get(i + 3), "ident") {
            return None;
        }
        let mut pattern = Vec::new();
        let mut ty_at = None;
        let mut default_after = None;
        let mut k = i + 4;
        while let Some(t) = trees.get(k) {
            if pattern.len() >= 12 {
                break;
            }
            if is_dollar(t)
                && let Some(TokenTree::Group(g)) = trees.get(k + 1)
            {
                // `$(, $default:expr)?`: an optional default after the shape.
                let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                if let (Some(TokenTree::Punct(p)), true) = (inner.first(), inner.iter().any(is_dollar)) {
                    default_after = Some(p.as_char());
                }
                break;
            }
            if is_dollar(t) {
                let (Some(TokenTree::Ident(v)), true, Some(TokenTree::Ident(frag))) =
                    (trees.get(k + 1), is_punct(trees.get(k + 2), ':'), trees.get(k + 3))
                else {
                    break;
                };
                let v = v.to_string();
                if v == "ty" || v == "type" || v == "typ" {
                    ty_at = Some(pattern.len());
                }
                pattern.push(match frag.to_string().as_str() {
                    "ident" => PatTok::AnyIdent,
                    "literal" => PatTok::AnyLit,
                    "ty" => PatTok::AnyTy,
                    _ => break,
                });
                k += 4;
                continue;
            }
            match t {
                TokenTree::Punct(p) => pattern.push(PatTok::Punct(p.as_char())),
                TokenTree::Ident(id) => pattern.push(PatTok::Ident(id.to_string())),
                _ => break,
            }
            k += 1;
        }
        // A trailing `ty` with nothing after it would swallow the rest.
        while matches!(pattern.last(), Some(PatTok::AnyTy)) {
            pattern.pop();
        }
        if ty_at.is_some_and(|t| t >= pattern.len()) {
            ty_at = None;
        }
        return (!pattern.is_empty()).then_some((pattern, ty_at, default_after));
    }
    None
}

/// Walks a transcriber: the stringified metavariable and its case and
/// affixes, the functions called, `env::var` and `f("LIT")` calls.
fn transcriber(tokens: TokenStream, def: &mut MacroDef) -> Option<String> {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut found = None;
    for (i, t) in trees.iter().enumerate() {
        match t {
            TokenTree::Ident(id) => {
                let id = id.to_string();
                let bang = is_punct(trees.get(i + 1), '!');
                let group = trees.get(i + 1 + usize::from(bang));
                if let Some(TokenTree::Group(g)) = group {
                    if bang && id == "stringify" {
                        if let Some(v) = dollar_var(g.stream()) {
                            def.upper |= has_upper(g.stream()) || upper_after(&trees, i + 3);
                            let (pre, suf) = paste_affixes(g.stream());
                            def.prefix.push_str(&pre);
                            def.suffix.push_str(&suf);
                            found.get_or_insert(v);
                        }
                    } else if bang && id == "concat" {
                        let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                        if let Some(pos) = inner.iter().position(|t| is_ident(Some(t), "stringify")) {
                            def.prefix.push_str(&literals(&inner[..pos]));
                            def.suffix.push_str(&literals(&inner[pos..]));
                        }
                    } else if !bang && g.delimiter() == Delimiter::Parenthesis {
                        if (id == "var" || id == "var_os") && i >= 3 && is_ident(trees.get(i - 3), "env") {
                            def.direct = true;
                        }
                        if !def.calls.contains(&id) {
                            def.calls.push(id.clone());
                        }
                    }
                }
            }
            TokenTree::Group(g) => {
                // The group of `stringify!(..)` was read above.
                let stringify = i >= 2 && is_punct(trees.get(i - 1), '!') && is_ident(trees.get(i - 2), "stringify");
                if !stringify {
                    let inner = transcriber(g.stream(), def);
                    if found.is_none() {
                        found = inner;
                    }
                }
            }
            _ => {}
        }
    }
    found
}

fn literals(trees: &[TokenTree]) -> String {
    let mut out = String::new();
    for t in trees {
        match t {
            TokenTree::Literal(l) => {
                if let Ok(s) = syn::parse_str::<syn::LitStr>(&l.to_string()) {
                    out.push_str(&s.value());
                }
            }
            TokenTree::Ident(i) if i == "stringify" => {}
            TokenTree::Group(_) => {}
            _ => {}
        }
    }
    out
}

/// The first `$var` in a token stream, at any depth.
fn dollar_var(tokens: TokenStream) -> Option<String> {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, t) in trees.iter().enumerate() {
        if is_dollar(t)
            && let Some(TokenTree::Ident(v)) = trees.get(i + 1)
        {
            return Some(v.to_string());
        }
        if let TokenTree::Group(g) = t
            && let Some(v) = dollar_var(g.stream())
        {
            return Some(v);
        }
    }
    None
}

/// paste's `$name:upper` anywhere in the stream.
fn has_upper(tokens: TokenStream) -> bool {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    trees.iter().enumerate().any(|(i, t)| match t {
        TokenTree::Group(g) => has_upper(g.stream()),
        _ => is_punct(Some(t), ':') && is_ident(trees.get(i + 1), "upper"),
    })
}

/// `.to_uppercase()` right after the `stringify!(..)` group.
fn upper_after(trees: &[TokenTree], at: usize) -> bool {
    is_punct(trees.get(at), '.')
        && (is_ident(trees.get(at + 1), "to_uppercase") || is_ident(trees.get(at + 1), "to_ascii_uppercase"))
}

/// Identifiers around `$name` inside paste's `[< .. >]`.
fn paste_affixes(tokens: TokenStream) -> (String, String) {
    for t in tokens {
        if let TokenTree::Group(g) = t
            && g.delimiter() == Delimiter::Bracket
        {
            let inner: Vec<TokenTree> = g.stream().into_iter().collect();
            let Some(dollar) = inner.iter().position(is_dollar) else {
                continue;
            };
            let idents = |ts: &[TokenTree]| {
                ts.iter()
                    .filter_map(|t| match t {
                        TokenTree::Ident(i) if i != "upper" && i != "lower" => Some(i.to_string()),
                        TokenTree::Literal(l) => Some(l.to_string().trim_matches('"').to_string()),
                        _ => None,
                    })
                    .collect::<String>()
            };
            let end = inner
                .iter()
                .rposition(|t| is_punct(Some(t), '>'))
                .unwrap_or(inner.len());
            let after = (dollar + 2).min(end);
            return (idents(&inner[..dollar]), idents(&inner[after..end]));
        }
    }
    (String::new(), String::new())
}

fn is_dollar(t: &TokenTree) -> bool {
    matches!(t, TokenTree::Punct(p) if p.as_char() == '$')
}

fn is_punct(t: Option<&TokenTree>, c: char) -> bool {
    matches!(t, Some(TokenTree::Punct(p)) if p.as_char() == c)
}

fn is_ident(t: Option<&TokenTree>, s: &str) -> bool {
    matches!(t, Some(TokenTree::Ident(i)) if i == s)
}

/// A `f("LIT")` call found in tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TokenCall {
    /// The callee as written: `env::var`.
    pub path: String,
    pub lit: String,
    /// Where the callee's path starts in the file.
    pub range: std::ops::Range<usize>,
}

/// `path::to::f("LIT")` calls in a macro's tokens that the engine does not
/// parse (`json!({ "tz": env::var("TZ") })`): the path as written and the
/// literal.
pub(super) fn token_calls(tokens: &TokenStream, out: &mut Vec<TokenCall>, depth: usize) {
    if depth > 16 || out.len() > 256 {
        return;
    }
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    for (i, t) in trees.iter().enumerate() {
        if let TokenTree::Group(g) = t {
            if let Some(TokenTree::Ident(_)) = i.checked_sub(1).and_then(|p| trees.get(p))
                && g.delimiter() == Delimiter::Parenthesis
                && let Some(TokenTree::Literal(l)) = g.stream().into_iter().next()
                && let Ok(s) = syn::parse_str::<syn::LitStr>(&l.to_string())
            {
                // Walk back over `a::b::c`.
                let mut start = i - 1;
                while start >= 3
                    && is_punct(trees.get(start - 1), ':')
                    && is_punct(trees.get(start - 2), ':')
                    && matches!(trees.get(start - 3), Some(TokenTree::Ident(_)))
                {
                    start -= 3;
                }
                let path: String = trees[start..i].iter().map(|t| t.to_string()).collect();
                out.push(TokenCall {
                    path,
                    lit: s.value(),
                    range: trees[start].span().byte_range(),
                });
            }
            token_calls(&g.stream(), out, depth + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vaultwarden_style_config_macro() {
        let body: TokenStream = r#"
    ( @supportstr $name:ident, $value:expr, Pass, option ) => { serde_json::to_value(&$value).unwrap() };
    ( @getenv $name:expr, bool ) => { get_env_bool($name) };
    ( @getenv $name:expr, $ty:ident ) => { get_env($name) };
    ($(
        $(#[doc = $groupdoc:literal])?
        $group:ident $(: $group_enabled:ident)? {
        $(
            $(#[doc = $doc:literal])+
            $name:ident : $ty:ident, $editable:literal, $none_action:ident $(, $default:expr)?;
        )+},
    )+) => {
        fn from_env() -> Self {
            let env_file = get_env("ENV_FILE").unwrap_or_else(|| String::from(".env"));
            $($(
                builder.$name = make_config! { @getenv pastey::paste!(stringify!([<$name:upper>])), $ty };
            )+)+
        }
    };
"#
        .parse()
        .unwrap();
        let def = macro_def("make_config", &body).unwrap();
        assert!(def.upper);
        assert_eq!(
            def.pattern,
            [
                PatTok::Punct(':'),
                PatTok::AnyIdent,
                PatTok::Punct(','),
                PatTok::AnyLit,
                PatTok::Punct(','),
                PatTok::AnyIdent
            ]
        );
        assert_eq!(def.ty_at, Some(1));
        assert!(def.calls.contains(&"get_env".to_string()) && def.calls.contains(&"get_env_bool".to_string()));
        let invocation: TokenStream = r#"
    folders {
        /// Data folder |> Main data folder
        data_folder: String, false, def, "data".to_string();
        database_url: String, false, auto, |c| format!("{}/db.sqlite3", c.data_folder);
    },
    smtp: _enable_smtp {
        smtp_password: Pass, true, option;
        smtp_debug: bool, false, def, false;
        smtp_timeout: u64, true, def, -15;
    },
"#
        .parse()
        .unwrap();
        let found: Vec<FieldMatch> = sequences(&invocation).iter().flat_map(|s| matches(&def, s)).collect();
        let names: Vec<&str> = found.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "data_folder",
                "database_url",
                "smtp_password",
                "smtp_debug",
                "smtp_timeout"
            ]
        );
        assert_eq!(found[2].1, ["Pass"]);
        // `$(, $default:expr)?`: the fields that give one have a default.
        assert_eq!(def.default_after, Some(','));
        let defaults: Vec<bool> = found.iter().map(|f| f.2).collect();
        assert_eq!(defaults, [true, true, false, true, true]);
    }

    #[test]
    fn concat_prefixes_and_macros_without_a_shape() {
        let body: TokenStream =
            r#"($($field:ident: $t:ty),* $(,)?) => { $( let $field: Option<$t> = std::env::var(concat!("APP_", stringify!($field))).ok().and_then(|v| v.parse().ok()); )* };"#
                .parse()
                .unwrap();
        let def = macro_def("env_fields", &body).unwrap();
        assert!(def.direct && !def.upper);
        assert_eq!(def.prefix, "APP_");
        assert_eq!(def.pattern, [PatTok::Punct(':')]);
        // Nothing after `$name`: every identifier would match.
        let loose: TokenStream = r#"($($f:ident),*) => { $( std::env::var(stringify!($f)); )* };"#
            .parse()
            .unwrap();
        assert!(macro_def("loose", &loose).is_none());
        // A macro that stringifies without a matcher shape of `ident`.
        let expr: TokenStream = r#"($e:expr) => { stringify!($e) };"#.parse().unwrap();
        assert!(macro_def("show", &expr).is_none());
    }

    #[test]
    fn calls_inside_unparsed_macros() {
        let tokens: TokenStream =
            r#"{ "tz_env": env::var("TZ").unwrap_or_default(), "x": helpers::get_env("SMTP_HOST"), "y": f(1) }"#
                .parse()
                .unwrap();
        let mut out = Vec::new();
        token_calls(&tokens, &mut out, 0);
        let out: Vec<(String, String)> = out.into_iter().map(|c| (c.path, c.lit)).collect();
        assert_eq!(
            out,
            [
                ("env::var".to_string(), "TZ".to_string()),
                ("helpers::get_env".to_string(), "SMTP_HOST".to_string())
            ]
        );
    }
}

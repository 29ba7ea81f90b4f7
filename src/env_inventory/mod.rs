//! `cargo twelve env`: the app's configuration surface, every environment
//! variable the code reads, collected in the engine's single pass by
//! [`EnvReads`], a rule that reports nothing and records facts.
//!
//! Sources: `std::env::var`/`var_os`, `dotenvy::var`, `envy::from_env::<T>()`
//! (the fields of `T` become the names, with `envy::prefixed(..)`),
//! `config::Environment::with_prefix` and figment's `Env::prefixed` (the
//! fields of the struct deserialized there, nested with the separator),
//! clap's `#[arg(env = "..")]`, framework reads (`EnvFilter`'s `RUST_LOG`,
//! Rocket's `ROCKET_*`), and names that reach a read through code: wrapper
//! functions and macros over a field list (`flow.rs`).

use serde::Serialize;

use crate::declare_rule;
use crate::rules::Factor;

mod collect;
mod flow;
mod render;

pub use collect::{collect, inventory, port_fields};
pub use render::{render_dotenv, render_table};

declare_rule! {
    /// ### What it does
    /// Collects the environment variables the code reads, for
    /// `cargo twelve env` and `cargo twelve report`. It never reports.
    ///
    /// ### Why is this bad
    /// Nothing is: this is the inventory of the config surface.
    ///
    /// ### Example
    /// ```rust,ignore
    /// let url = std::env::var("DATABASE_URL")?;
    /// ```
    ///
    /// ### Use instead
    /// Document every variable in `.env.example` (`cargo twelve env --format dotenv`).
    pub EnvReads => "env_inventory", Factor::Config, Warn, fixable: false, options: []
}

/// Whether a name looks like it holds a secret.
const SECRET_WORDS: &[&str] = &[
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIAL",
    "AUTH_KEY",
    "SIGNING_KEY",
    "ENCRYPTION_KEY",
    "DSN",
];
const SECRET_SUFFIXES: &[&str] = &["_KEY", "_PASS", "_PWD", "_SEED"];
const NOT_SECRET_SUFFIXES: &[&str] = &[
    "_PUBLIC_KEY",
    "_KEY_ID",
    "_KEY_PATH",
    "_KEY_FILE",
    "_KEY_FILENAME",
    "_TOKEN_URL",
    "_POLICY",
    "_SIZE",
    "_LENGTH",
    "_HINT",
    "_HINTS",
    "_ITERATIONS",
];

/// Types that hold a secret whatever the name: the `secrecy`, `sec`,
/// `zeroize` and `redact` wrappers, and type aliases named for passwords.
const SECRET_TYPES: &[&str] = &[
    "SecUtf8",
    "SecStr",
    "SecVec",
    "Secret",
    "SecretString",
    "SecretBox",
    "SecretVec",
    "SecretSlice",
    "Zeroizing",
    "Sensitive",
    "Pass",
    "Password",
];

/// Flags, numbers and durations: never a secret, whatever the name
/// (`PASSWORD_ITERATIONS`, `DISABLE_ADMIN_TOKEN`).
const NOT_SECRET_TYPES: &[&str] = &[
    "bool",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "f32",
    "f64",
    "Duration",
    "NonZeroU16",
    "NonZeroU32",
    "NonZeroU64",
    "NonZeroUsize",
    "TrueFalseAlways",
];

/// Whether a variable holds a secret, by the type it is read into (when
/// known: a `bool` or flag never is; a `SecretString` always is) and then
/// by its name.
pub fn secret_by_type(name: &str, types: &[String]) -> bool {
    if types.iter().any(|t| NOT_SECRET_TYPES.contains(&t.as_str())) {
        return false;
    }
    if types.iter().any(|t| SECRET_TYPES.contains(&t.as_str())) {
        return true;
    }
    looks_secret(name)
}

pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if NOT_SECRET_SUFFIXES.iter().any(|s| upper.ends_with(s)) {
        return false;
    }
    SECRET_WORDS.iter().any(|w| upper.contains(w)) || SECRET_SUFFIXES.iter().any(|s| upper.ends_with(s))
}

/// Whether the code supplies a value when the variable is unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fallback {
    /// Not visible from the read site (the result is passed on).
    Unknown,
    /// Required: `?`, `.unwrap()` or `.expect(..)` on the read.
    No,
    /// Absence is handled (`.ok()`, `Option<T>` fields).
    Optional,
    /// A default value (`unwrap_or`, `#[serde(default)]`, `default_value`).
    Yes,
}

impl Fallback {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "?",
            Self::No => "no",
            Self::Yes => "yes",
            Self::Optional => "optional",
        }
    }
}

/// What the collector records.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
enum Read {
    Var {
        name: String,
        #[serde(deserialize_with = "crate::diagnostic::wire::static_str")]
        source: crate::diagnostic::wire::StaticStr,
    },
    /// A default or optional marker for the read at the same span.
    Handled(Fallback),
    Prefix {
        prefix: String,
        #[serde(deserialize_with = "crate::diagnostic::wire::static_str")]
        source: crate::diagnostic::wire::StaticStr,
        fn_path: Option<String>,
    },
    /// A builder step on the prefix source that starts at the same span.
    PrefixStep(PrefixStep),
    Envy {
        ty: String,
        prefix: String,
    },
    Struct {
        name: String,
        fields: Vec<Field>,
    },
    Clap {
        name: String,
        default: Fallback,
        types: Vec<String>,
    },
    /// A variable a framework reads by itself (`RUST_LOG` for `EnvFilter`,
    /// `ROCKET_PORT` for Rocket's figment).
    Framework {
        names: Vec<String>,
        #[serde(deserialize_with = "crate::diagnostic::wire::static_str")]
        source: crate::diagnostic::wire::StaticStr,
        default: Fallback,
    },
    /// `env::var(..)` on a name built from parameter `param` of `fn_path`.
    ParamFlow {
        fn_path: String,
        param: String,
        prefix: String,
        suffix: String,
        #[serde(deserialize_with = "crate::diagnostic::wire::static_str")]
        source: crate::diagnostic::wire::StaticStr,
    },
    /// A free function's parameter names, in order.
    Params {
        fn_path: String,
        params: Vec<String>,
    },
    /// A path call into the workspace with literal or parameter arguments.
    Call {
        fn_path: Option<String>,
        callees: Vec<String>,
        args: Vec<Arg>,
    },
    /// A `macro_rules!` macro that builds names from a field list.
    MacroDef(flow::MacroDef),
    /// An invocation of a workspace macro: its token sequences.
    MacroUse {
        name: String,
        seqs: Vec<Vec<flow::Tok>>,
    },
    /// `env::vars()` in function `fn_path`.
    VarsCall {
        fn_path: String,
    },
    /// `.strip_prefix("APP_")`/`.starts_with("APP_")` with an upper-case
    /// literal in `fn_path`: with `env::vars()` there, a prefix read.
    VarsPrefix {
        fn_path: String,
        prefix: String,
    },
    /// The struct a config builder is deserialized into.
    Extract {
        ty: String,
        fn_path: Option<String>,
    },
}

/// A deserialized field: its key, default, type identifiers and whether it
/// is `#[serde(flatten)]`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Field {
    name: String,
    default: Fallback,
    types: Vec<String>,
    flatten: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
enum PrefixStep {
    /// figment's `.split("__")`, config-rs's `.separator("__")`.
    Separator(String),
    /// config-rs's `.prefix_separator("_")`.
    PrefixSeparator(String),
    /// `FileAdapter::wrap(..)`: `NAME_FILE` holds a path to the value.
    FileAdapter,
}

/// An argument of a recorded call.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Arg {
    Lit(String),
    /// A parameter of the caller, with what `format!` adds around it.
    Param {
        ident: String,
        prefix: String,
        suffix: String,
    },
    Other,
}

/// One read site of the inventory.
#[derive(Debug, Clone, Serialize)]
pub struct EnvVar {
    /// The variable, or `PREFIX_*` for a prefix source.
    pub name: String,
    /// File relative to the workspace root.
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// How it is read: `std::env::var`, `envy::from_env::<Config>`, ...
    pub source: String,
    pub default: Fallback,
    pub secret: bool,
    /// The `_FILE` variable the code also reads for this value: a path to
    /// a file that holds it (Docker secrets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_variant: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for n in [
            "JWT_SECRET",
            "DATABASE_PASSWORD",
            "GITHUB_TOKEN",
            "STRIPE_API_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "SENTRY_DSN",
            "LLDAP_SERVER_KEY_SEED",
        ] {
            assert!(looks_secret(n), "{n}");
        }
        for n in [
            "PORT",
            "DATABASE_URL",
            "RUST_LOG",
            "JWT_PUBLIC_KEY",
            "AWS_ACCESS_KEY_ID",
            "TLS_KEY_PATH",
            "KEYBOARD",
        ] {
            assert!(!looks_secret(n), "{n}");
        }
    }
}

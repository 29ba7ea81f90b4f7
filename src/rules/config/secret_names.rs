//! Does a variable, field or key name read as a secret? `JWT_SECRET`,
//! `DATABASE_PASSWORD`, `apiKey`, `stripe.secret_key` do; `PORT`, `RUST_LOG`,
//! `TOKEN_TTL`, `PUBLIC_KEY`, `SECRET_FILE` do not.
//!
//! Shared by the rules that judge values by the name they are read or
//! bound as, and by `cargo twelve env`.

pub use crate::rules::naming::words;

/// Words that name a credential, for both classifiers of secret names: this
/// one and `secret_values::secret_name`.
pub(crate) const CREDENTIAL_WORDS: &[&str] = &[
    "secret",
    "secrets",
    "token",
    "tokens",
    "apikey",
    "apikeys",
    "credential",
    "credentials",
    "creds",
];

/// Words that name where a secret is rather than the secret, for both
/// classifiers of secret names: `TOKEN_URL`, `secret_path`.
pub(crate) const LOCATION_WORDS: &[&str] = &[
    "url", "uri", "endpoint", "host", "hostname", "port", "path", "file", "filename", "dir",
];

/// Words that make a name a secret, with [`CREDENTIAL_WORDS`].
const SECRET_WORDS: &[&str] = &["password", "passwd", "passphrase", "pass", "pwd", "dsn"];

/// Glued compounds that end in a secret word: `dbpassword`, `apitoken`,
/// `clientsecret`, `accesskey`.
const SECRET_SUFFIXES: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
    "signingkey",
    "masterkey",
    "licensekey",
    "authkey",
    "encryptionkey",
];

/// Words that, with `key`, name something that is not a credential.
const NON_SECRET_KEY_QUALIFIERS: &[&str] = &[
    "public",
    "pub",
    "primary",
    "foreign",
    "cache",
    "sort",
    "partition",
    "routing",
    "idempotency",
    "lookup",
    "hash",
    "unique",
    "composite",
    "map",
    "object",
    "index",
    "group",
    "message",
    "dedup",
    "shard",
    "row",
    "column",
    "table",
    "field",
    "hot",
    "hotkey",
    "shortcut",
    "keyboard",
    "idempotent",
    "redis",
    "s3",
];

/// Words that make the name about a secret rather than the secret itself:
/// where it is ([`LOCATION_WORDS`]), how long it lives, how it is sent.
const NON_SECRET_WORDS: &[&str] = &[
    "directory",
    "ttl",
    "expiry",
    "expires",
    "expiration",
    "lifetime",
    "timeout",
    "duration",
    "age",
    "len",
    "length",
    "size",
    "max",
    "min",
    "count",
    "limit",
    "header",
    "name",
    "id",
    "arn",
    "region",
    "type",
    "kind",
    "algorithm",
    "alg",
    "enabled",
    "enable",
    "disabled",
    "disable",
    "required",
    "mode",
    "prefix",
    "suffix",
    "format",
    "version",
    "policy",
    "rotation",
    "interval",
    "param",
    "location",
    "store",
    "backend",
    "provider",
    "issuer",
    "audience",
    "scope",
    "scopes",
    "through",
    "field",
    "env",
    "var",
    "command",
    "cmd",
    "hint",
    "reset",
    "manager",
    "strategy",
    "source",
    "encoding",
    "tokenizer",
    "num",
    "per",
    "rate",
    "budget",
    "level",
    "log",
    "display",
    "label",
    "placeholder",
    "regex",
    "pattern",
    "cost",
    "rounds",
];

/// Exact names that are not secrets though a word says so: the shell's
/// working directory variables.
const NON_SECRET_NAMES: &[&str] = &["pwd", "oldpwd"];

/// Analytics and telemetry products whose ingestion keys are write-only
/// and public by design (they ship in every browser page): a
/// `SEGMENT_WRITE_KEY` or `POSTHOG_API_KEY` is no credential.
pub(crate) const PUBLIC_INGEST_WORDS: &[&str] = &[
    "segment",
    "mixpanel",
    "amplitude",
    "posthog",
    "plausible",
    "heap",
    "analytics",
    "telemetry",
    "publishable",
];

/// Whether `words` name an analytics ingestion key or token (not a
/// password or a secret of that product: `MIXPANEL_API_SECRET` is one).
pub(crate) fn is_public_ingest_key(words: &[String]) -> bool {
    words.iter().any(|w| PUBLIC_INGEST_WORDS.contains(&w.as_str()))
        && !words
            .iter()
            .any(|w| SECRET_WORDS.contains(&w.as_str()) || w == "secret" || w == "secrets")
}

/// Whether a variable, field or key name reads as a credential.
pub fn is_secret_name(name: &str) -> bool {
    let words = words(name);
    if words.is_empty() || is_public_ingest_key(&words) {
        return false;
    }
    let joined = words.join("");
    if NON_SECRET_NAMES.contains(&joined.as_str()) {
        return false;
    }
    if words
        .iter()
        .any(|w| NON_SECRET_WORDS.contains(&w.as_str()) || LOCATION_WORDS.contains(&w.as_str()))
    {
        return false;
    }
    words.iter().enumerate().any(|(i, w)| {
        if SECRET_WORDS.contains(&w.as_str()) || CREDENTIAL_WORDS.contains(&w.as_str()) {
            return true;
        }
        if w == "key" || w == "keys" {
            // `API_KEY`, `STRIPE_KEY`, `SECRET_KEY_BASE`; not `PUBLIC_KEY`,
            // `ROUTING_KEY`, or a bare `key`.
            let before = i.checked_sub(1).map(|j| words[j].as_str());
            return match before {
                Some(b) => !NON_SECRET_KEY_QUALIFIERS.contains(&b),
                None => false,
            };
        }
        if w == "auth" {
            // `BASIC_AUTH`, `PROXY_AUTH`; not `AUTH_URL` (caught above) or
            // `AUTH_ENABLED`.
            return i + 1 == words.len() && i > 0;
        }
        SECRET_SUFFIXES.iter().any(|s| w.len() > s.len() && w.ends_with(s))
    })
}

#[cfg(test)]
mod tests {
    use super::is_secret_name;

    #[test]
    fn secret_names() {
        for name in [
            "JWT_SECRET",
            "MIXPANEL_API_SECRET",
            "API_TOKEN",
            "DATABASE_PASSWORD",
            "DB_PASS",
            "DB_PWD",
            "STRIPE_SECRET_KEY",
            "STRIPE_KEY",
            "OPENAI_API_KEY",
            "apiKey",
            "client_secret",
            "clientSecret",
            "SECRET_KEY_BASE",
            "GITHUB_TOKEN",
            "SESSION_SECRET",
            "accesstoken",
            "dbpassword",
            "SMTP_CREDENTIALS",
            "BASIC_AUTH",
            "SENTRY_DSN",
            "AWS_SECRET_ACCESS_KEY",
            "ENCRYPTION_KEY",
            "PRIVATE_KEY",
            "stripe.secret_key",
            "x-api-key",
            "REDIS_PASSWORD",
            "ADMIN_PASSPHRASE",
            "API_KEYS",
            "GITHUB_TOKENS",
        ] {
            assert!(is_secret_name(name), "{name} is a secret");
        }
    }

    #[test]
    fn not_secret_names() {
        for name in [
            "PORT",
            "RUST_LOG",
            "HOST",
            "DATABASE_URL",
            "PWD",
            "OLDPWD",
            "TOKEN_TTL",
            "TOKEN_URL",
            "JWT_EXPIRY",
            "MAX_TOKENS",
            "NUM_TOKENS",
            "TOKENS_PER_MINUTE",
            "PUBLIC_KEY",
            "SEGMENT_API_KEY",
            "POSTHOG_API_KEY",
            "ROUTING_KEY",
            "CACHE_KEY",
            "key",
            "SECRET_FILE",
            "JWT_SECRET_PATH",
            "AWS_SECRETS_MANAGER_SECRET_ID",
            "PASSWORD_MIN_LENGTH",
            "AUTH_URL",
            "AUTH_ENABLED",
            "TOKENIZER",
            "BYPASS_CACHE",
            "COMPASS_HOST",
            "API_KEY_HEADER",
            "LOG_LEVEL",
            "APP_ENV",
            "",
        ] {
            assert!(!is_secret_name(name), "{name} is not a secret");
        }
    }
}

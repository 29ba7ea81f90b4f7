//! Keyword context for `hardcoded_secret`: which names read as a secret
//! (`api_key`, `DB_PASSWORD`, `clientSecret`, `X-Api-Key`), and which values
//! bound to them look like a credential rather than a key name, a message,
//! a placeholder, a path or a hash.

use crate::rules::config::secret_names::{CREDENTIAL_WORDS, LOCATION_WORDS};
pub use crate::rules::naming::words;

/// How a secret is shaped, by the name it is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Passwords: short is fine, but not plain words.
    Password,
    /// Tokens, keys and secrets: long and random-looking.
    Token,
}

/// Words that make a name a password.
const PASSWORD_WORDS: &[&str] = &[
    "password",
    "passwords",
    "passwd",
    "pwd",
    "pass",
    "passphrase",
    "passcode",
];

/// Words that make a name a token, key or secret on their own.
const TOKEN_WORDS: &[&str] = &[
    "apitoken",
    "authtoken",
    "accesstoken",
    "auth",
    "authorization",
    "bearer",
    "privkey",
    "privatekey",
    "secretkey",
    "accesskey",
    "signingkey",
    "clientsecret",
];

/// `<qualifier>_key` is a secret: `api_key`, `signing_key`, `HMAC_KEY`.
const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "secret",
    "private",
    "priv",
    "access",
    "signing",
    "sign",
    "encryption",
    "encrypt",
    "decryption",
    "master",
    "hmac",
    "auth",
    "session",
    "service",
    "account",
    "app",
    "client",
    "cipher",
    "crypto",
    "aes",
    "shared",
    "root",
    "deploy",
    "webhook",
    "jwt",
    "cookie",
    "subscription",
    "consumer",
    "storage",
    "admin",
    "ingest",
    "write",
    "license",
];

/// A name with one of these words is about something else: `public_key`,
/// `csrf_token`, `next_page_token`, a lexer's `eof_token`.
const NOT_SECRET_WORDS: &[&str] = &[
    "public",
    "pub",
    "pubkey",
    "csrf",
    "xsrf",
    "cancel",
    "cancellation",
    "page",
    "next",
    "continuation",
    "pagination",
    "cursor",
    "sync",
    "lexer",
    "lex",
    "parser",
    "syntax",
    "eof",
    "sentinel",
    "special",
    "bos",
    "eos",
    "pad",
    "unk",
    "cls",
    "sep",
    "primary",
    "foreign",
    "partition",
    "sort",
    "idempotency",
    "hash",
    "hashed",
    "digest",
    "fingerprint",
    "encrypted",
    "max",
    "min",
    "num",
    "total",
];

/// A name ending in one of these words names something about the secret, not
/// the secret: `token_url`, `API_KEY_ENV`, `password_hash`, `auth_header`.
const NOT_SECRET_LAST_WORDS: &[&str] = &[
    "name",
    "names",
    "id",
    "ids",
    "urls",
    "paths",
    "files",
    "env",
    "var",
    "vars",
    "variable",
    "type",
    "kind",
    "len",
    "length",
    "size",
    "count",
    "prefix",
    "suffix",
    "header",
    "headers",
    "field",
    "fields",
    "param",
    "params",
    "column",
    "regex",
    "re",
    "pattern",
    "format",
    "template",
    "ttl",
    "timeout",
    "expiry",
    "expires",
    "expiration",
    "duration",
    "lifetime",
    "interval",
    "age",
    "mode",
    "policy",
    "scope",
    "scopes",
    "version",
    "label",
    "placeholder",
    "hint",
    "prompt",
    "message",
    "msg",
    "error",
    "err",
    "hash",
    "digest",
    "algorithm",
    "alg",
    "enabled",
    "required",
    "provider",
    "scheme",
    "method",
    "domain",
    "realm",
    "user",
    "username",
    "login",
    "email",
    "issuer",
    "audience",
    "region",
    "role",
    "cookie",
    "store",
    "manager",
    "config",
    "cfg",
    "settings",
    "options",
    "location",
    "source",
    "arn",
    "ref",
    "index",
    "offset",
    "start",
    "end",
    "min",
    "max",
    "limit",
    "flag",
    "rule",
    "description",
    "desc",
    "doc",
    "help",
    "title",
    "text",
    "display",
    "usage",
    "query",
    "command",
    "cmd",
    "arg",
    "option",
    "key_id",
    "request",
    "response",
    "result",
    "state",
    "status",
    "handler",
    "callback",
    "event",
    "events",
    "metadata",
    "info",
    "details",
    "policy",
    "validator",
    "mask",
    "masked",
    "redacted",
    "label",
    "symbol",
    "char",
    "chars",
    "str",
    "span",
    "pos",
    "position",
    "tree",
    "node",
    "list",
    "map",
    "set",
    "table",
    "module",
    "mod",
    "crate",
    "trait",
];

/// Trailing words that say how a secret is held, not what it is:
/// `api_key_value`, `password_str`, `secret_key_base`, `token_b64`.
const HOLDER_WORDS: &[&str] = &[
    "value",
    "val",
    "str",
    "string",
    "raw",
    "bytes",
    "b64",
    "base64",
    "hex",
    "plain",
    "plaintext",
    "literal",
    "base",
    "default",
    "data",
    "for",
    "v1",
    "v2",
    "v3",
    "pem",
    "der",
];

/// The class of secret a name reads as, if it reads as one. The secret
/// word must end the name (before holder words such as `_value`):
/// `auth_response_body` is a body.
pub fn secret_name(name: &str) -> Option<Class> {
    let mut words = words(name);
    if crate::rules::config::secret_names::is_public_ingest_key(&words) {
        return None;
    }
    let last = words.last()?;
    if NOT_SECRET_LAST_WORDS.contains(&last.as_str())
        || LOCATION_WORDS.contains(&last.as_str())
        || words.iter().any(|w| NOT_SECRET_WORDS.contains(&w.as_str()))
    {
        return None;
    }
    while words.len() > 1 && words.last().is_some_and(|w| HOLDER_WORDS.contains(&w.as_str())) {
        words.pop();
    }
    let last = words.last()?.as_str();
    if PASSWORD_WORDS.contains(&last) {
        return Some(Class::Password);
    }
    if TOKEN_WORDS.contains(&last) || CREDENTIAL_WORDS.contains(&last) {
        return Some(Class::Token);
    }
    let qualified_key = (last == "key" || last == "keys")
        && words.len() >= 2
        && KEY_QUALIFIERS.contains(&words[words.len() - 2].as_str());
    qualified_key.then_some(Class::Token)
}

/// Values published by vendors for emulators and documentation, so not
/// secret anywhere: the Azurite storage key, the jwt.io example signature,
/// Rocket's documented example `secret_key`.
pub const KNOWN_PUBLIC_VALUES: &[&str] = &[
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk=",
    // RFC 6750's bearer token and RFC 7617's `Aladdin:open sesame`
    "mF_9.B5f-4.1JqM",
    "QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
    "opensesame",
];

/// A host reserved for documentation.
#[derive(Debug, Clone, Copy)]
pub enum DocumentationHost {
    /// The domain and its subdomains.
    Domain(&'static str),
    /// Every name under the top-level domain (not the bare label).
    Tld(&'static str),
    /// An IPv4 network: its address and prefix length.
    Ipv4([u8; 4], u32),
    /// An IPv6 network: its address and prefix length.
    Ipv6([u16; 8], u32),
}

/// Hosts of examples, not of services: RFC 2606 and RFC 6761 reserve the
/// `example.*` second-level domains and the `.example`, `.test`, `.invalid`
/// and `.localhost` top-level domains, RFC 5737 three IPv4 blocks and
/// RFC 3849 an IPv6 prefix for documentation. A bare `localhost` is a
/// developer's machine, not documentation: it is not here.
pub const DOCUMENTATION_HOSTS: &[DocumentationHost] = &[
    DocumentationHost::Domain("example.com"),
    DocumentationHost::Domain("example.net"),
    DocumentationHost::Domain("example.org"),
    DocumentationHost::Tld("example"),
    DocumentationHost::Tld("test"),
    DocumentationHost::Tld("invalid"),
    DocumentationHost::Tld("localhost"),
    DocumentationHost::Ipv4([192, 0, 2, 0], 24),
    DocumentationHost::Ipv4([198, 51, 100, 0], 24),
    DocumentationHost::Ipv4([203, 0, 113, 0], 24),
    DocumentationHost::Ipv6([0x2001, 0x0db8, 0, 0, 0, 0, 0, 0], 32),
];

/// Whether `host` (a name, an IPv4 address, or an IPv6 address with or
/// without brackets) is reserved for documentation.
pub fn is_documentation_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let v4: Option<std::net::Ipv4Addr> = bare.parse().ok();
    let v6: Option<std::net::Ipv6Addr> = bare.parse().ok();
    let in_net = |addr: u128, net: u128, prefix: u32, bits: u32| {
        let mask = if prefix == 0 { 0 } else { u128::MAX << (bits - prefix) };
        (addr & mask) == (net & mask)
    };
    DOCUMENTATION_HOSTS.iter().any(|d| match *d {
        DocumentationHost::Domain(domain) => {
            host == domain || host.strip_suffix(domain).is_some_and(|rest| rest.ends_with('.'))
        }
        DocumentationHost::Tld(tld) => host
            .strip_suffix(tld)
            .is_some_and(|rest| rest.len() > 1 && rest.ends_with('.')),
        DocumentationHost::Ipv4(net, prefix) => v4.is_some_and(|a| {
            in_net(
                u128::from(u32::from(a)),
                u128::from(u32::from(std::net::Ipv4Addr::from(net))),
                prefix,
                32,
            )
        }),
        DocumentationHost::Ipv6(net, prefix) => {
            v6.is_some_and(|a| in_net(u128::from(a), u128::from(std::net::Ipv6Addr::from(net)), prefix, 128))
        }
    })
}

/// Characters that end a URL written in text.
fn ends_url(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '<' | '>')
}

/// Whether `range` of `text` lies in a URL whose host is reserved for
/// documentation: `https://user:s3cr3t@www.example.com`,
/// `http://203.0.113.7/hook?token=…`.
pub fn in_documentation_url(text: &str, range: &std::ops::Range<usize>) -> bool {
    let (Some(head), Some(tail)) = (text.get(..range.start), text.get(range.end..)) else {
        return false;
    };
    let start = head
        .rfind(ends_url)
        .map_or(0, |i| i + head[i..].chars().next().map_or(1, char::len_utf8));
    let end = range.end + tail.find(ends_url).unwrap_or(tail.len());
    let url = &text[start..end];
    let Some(scheme_end) = url.find("://").filter(|i| start + i < range.start) else {
        return false;
    };
    let rest = &url[scheme_end + 3..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        host_port.find(']').map_or(host_port, |i| &host_port[..=i])
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    is_documentation_host(host)
}

/// Whether a value is itself a name of a secret (a header, a mechanism):
/// `x-amz-security-token`, `x-ms-encryption-key`, `MONGODB-X509`.
fn is_secret_word_name(value: &str) -> bool {
    let upper_name = value
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '-')
        && value.contains(['_', '-']);
    let segments: Vec<String> = value.split(['-', '_', '.', ':']).map(str::to_ascii_lowercase).collect();
    let names_secret = segments.len() > 1
        && segments.iter().any(|s| {
            PASSWORD_WORDS.contains(&s.as_str())
                || TOKEN_WORDS.contains(&s.as_str())
                || CREDENTIAL_WORDS.contains(&s.as_str())
                || s == "key"
                || s == "keys"
        });
    upper_name || names_secret
}

/// Values in the shape of a placeholder or a template, lowercased substrings.
const PLACEHOLDER_MARKERS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "example",
    "dummy",
    "placeholder",
    "your-",
    "your_",
    "yourpass",
    "yourtoken",
    "yoursecret",
    "yourkey",
    "sample",
    "redacted",
    "replace",
    "fake",
    "mock",
    "test",
    "todo",
    "fixme",
    "xxx",
    "***",
    "...",
    "notasecret",
    "not-a-secret",
    "not_a_secret",
    "insecure",
    "demo",
];

/// Prefixes of values that are not secrets: hashes of passwords (`$argon2id$`,
/// `$2b$`), image and content digests, ARNs, public keys, data URLs.
const NOT_SECRET_PREFIXES: &[&str] = &[
    "$",
    "%",
    "sha256:",
    "sha512:",
    "sha1:",
    "md5:",
    "arn:",
    "urn:",
    "ssh-",
    "ecdsa-",
    "data:",
    "file:",
    "mailto:",
    "pk_",
    "age1",
    "npub",
    "-----BEGIN PUBLIC",
    "-----BEGIN CERTIFICATE",
];

/// File names: `private_key = "server.key"`.
const FILE_SUFFIXES: &[&str] = &[
    ".pem", ".key", ".crt", ".cer", ".der", ".p12", ".pfx", ".json", ".toml", ".yaml", ".yml", ".txt", ".env", ".conf",
    ".cfg", ".ini", ".jks", ".asc", ".gpg", ".pub", ".rs", ".html", ".js",
];

/// Whether the value has a template, mask or placeholder in it.
pub fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if PLACEHOLDER_MARKERS.iter().any(|m| lower.contains(m)) {
        return true;
    }
    if value.contains(['{', '}', '<', '>']) || lower.contains("%s") || lower.contains("%(") {
        return true;
    }
    let first = value.chars().next();
    first.is_some() && value.chars().all(|c| Some(c) == first)
}

/// Shannon entropy in bits per character.
pub fn entropy(value: &str) -> f64 {
    let mut counts = [0usize; 128];
    let mut n = 0usize;
    for b in value.bytes().filter(u8::is_ascii) {
        counts[b as usize] += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
}

/// `abcdef`, `123456`, `qwerty`: the longest run of consecutive ascending
/// characters.
fn longest_sequence(value: &str) -> usize {
    let b = value.as_bytes();
    let (mut best, mut run) = (1, 1);
    for w in b.windows(2) {
        if w[1] == w[0].wrapping_add(1) {
            run += 1;
            best = best.max(run);
        } else {
            run = 1;
        }
    }
    best
}

/// Whether some segment (between separators) mixes letters with digits or
/// symbols, as random strings do; `read-only`, `v1.2.3`, `AUTH_TOKEN` and
/// `x-api-key` have none.
fn has_mixed_segment(value: &str) -> bool {
    value.split(['.', '-', '_', ':', '/', ',', ';', '=']).any(|seg| {
        // `v1`, `x86`: too short to be random.
        if seg.len() < 4 {
            return false;
        }
        let letter = seg.chars().any(|c| c.is_ascii_alphabetic());
        let other = seg.chars().any(|c| !c.is_ascii_alphabetic());
        letter && other
    })
}

/// Whether `value`, bound to a secret-like name, looks like a credential:
/// not a key name, message, format string, placeholder, path, URL, hash or
/// env var name.
pub fn plausible_value(value: &str, class: Class) -> bool {
    let v = value;
    if v.is_empty() || v.len() > 512 {
        return false;
    }
    if v.chars()
        .any(|c| c.is_whitespace() || !c.is_ascii() || c.is_ascii_control())
    {
        return false;
    }
    if is_placeholder(v) || v.contains("://") {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    if NOT_SECRET_PREFIXES.iter().any(|p| v.starts_with(p))
        || FILE_SUFFIXES.iter().any(|s| lower.ends_with(s))
        || v.starts_with('/')
        || v.starts_with("./")
        || v.starts_with("~/")
    {
        return false;
    }
    // An env var or constant name (`GITHUB_TOKEN`), or a header naming a secret.
    if is_secret_word_name(v) || KNOWN_PUBLIC_VALUES.iter().any(|k| v.contains(k)) {
        return false;
    }
    if !has_mixed_segment(v) {
        return false;
    }
    match class {
        Class::Password => v.len() >= 6 && longest_sequence(v) < 6,
        Class::Token => {
            let has_digit = v.chars().any(|c| c.is_ascii_digit());
            let has_letter = v.chars().any(|c| c.is_ascii_alphabetic());
            let mut distinct: Vec<char> = v.chars().collect();
            distinct.sort_unstable();
            distinct.dedup();
            v.len() >= 12
                && has_digit
                && has_letter
                && distinct.len() >= 8
                && entropy(v) >= 3.0
                && longest_sequence(v) < 5
                // a resource path such as `projects/p1/secrets/db`
                && !(v.contains('/') && v.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "/-_.".contains(c)))
        }
    }
}

/// Passwords of URLs in documentation and local setups.
const PLACEHOLDER_PASSWORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "pw",
    "secret",
    "mypassword",
    "mysecretpassword",
    "yourpassword",
    "foo",
    "bar",
    "foobar",
    "baz",
    "guest",
    "p",
    "x",
    // the defaults of local setups and compose files
    "dev",
    "development",
    "local",
    "test",
    "testing",
    "postgres",
    "mysql",
    "root",
    "admin",
    "docker",
    "user",
];

/// Whether the password of `scheme://user:password@host` is a credential.
pub fn plausible_password(password: &str) -> bool {
    let lower = password.to_ascii_lowercase();
    !password.is_empty()
        && !PLACEHOLDER_PASSWORDS.contains(&lower.as_str())
        && !KNOWN_PUBLIC_VALUES.contains(&password)
        && !is_placeholder(password)
        && !password.starts_with('$')
        && !password.starts_with('%')
        && !password.contains("{}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for (name, class) in [
            ("password", Class::Password),
            ("DB_PASSWORD", Class::Password),
            ("dbPass", Class::Password),
            ("api_key", Class::Token),
            ("apiKey", Class::Token),
            ("APIKEY", Class::Token),
            ("X-Api-Key", Class::Token),
            ("Authorization", Class::Token),
            ("client_secret", Class::Token),
            ("GITHUB_TOKEN", Class::Token),
            ("signing_key", Class::Token),
            ("webhook_secret", Class::Token),
            ("private_key", Class::Token),
            ("credentials", Class::Token),
            ("basic_auth", Class::Token),
            ("with_api_key", Class::Token),
            ("api_key_value", Class::Token),
            ("secret_key_base", Class::Token),
            ("KNOWN_SECRET_KEYS", Class::Token),
        ] {
            assert_eq!(secret_name(name), Some(class), "{name}");
        }
        for name in [
            "public_key",
            "token_url",
            "API_KEY_ENV",
            "password_hash",
            "auth_header",
            "csrf_token",
            "next_page_token",
            "key",
            "primary_key",
            "bypass_cache",
            "tokenizer",
            "secretary",
            "access_key_id",
            "max_tokens",
            "user",
            "passthrough",
            "auth_response_body",
            "token_stream",
        ] {
            assert_eq!(secret_name(name), None, "{name}");
        }
    }

    #[test]
    fn credential_values() {
        for (value, class) in [
            ("hunter22", Class::Password),
            ("Tr0ub4dor&3", Class::Password),
            ("p@ssw0rd!", Class::Password),
            ("9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c", Class::Token),
            ("AbC9xYz1QwE7rTy3", Class::Token),
            ("Zm9vYmFyOmJhei1xdXV4LTE5OTk=", Class::Token),
            ("550e8400-e29b-41d4-a716-446655440000", Class::Token),
        ] {
            assert!(plausible_value(value, class), "{value}");
        }
    }

    #[test]
    fn values_that_are_not_credentials() {
        for value in [
            "password",
            "api_key",
            "x-api-key",
            "Authorization",
            "Bearer",
            "GITHUB_TOKEN",
            "invalid token: {}",
            "missing api key",
            "${API_KEY}",
            "<your-token>",
            "{{ secrets.TOKEN }}",
            "changeme",
            "xxxxxxxxxxxxxxxx",
            "****************",
            "your-api-key-here",
            "sk_test_placeholder",
            "https://oauth2.googleapis.com/token",
            "/var/run/secrets/token",
            "server.key",
            "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g",
            "$2b$12$KIXQJQ0s9m8vN5h5WcHqUu5rM5xg1fJ6jzQ9b4Y8v4C3h2R1lK0aO",
            "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "v1.2.3",
            "x86_64-unknown-linux-gnu",
            "0123456789abcdef",
            "test-secret-123",
            "dev-secret-do-not-use",
            "projects/p1/secrets/db-password/versions/2",
            "read:org",
            "ssh-ed25519",
            "Zgüü1234567890abc",
            "x-amz-s3session-token",
            "x-ms-encryption-key",
            "MONGODB-X509",
            "mF_9.B5f-4.1JqM",
            "SCRAM-SHA-256",
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
        ] {
            assert!(!plausible_value(value, Class::Token), "{value}");
            assert!(!plausible_value(value, Class::Password), "{value}");
        }
    }

    #[test]
    fn documentation_hosts() {
        for host in [
            "example.com",
            "www.example.com",
            "API.Example.ORG.",
            "db.example.net",
            "app.example",
            "db.test",
            "broker.invalid",
            "api.localhost",
            "192.0.2.10",
            "198.51.100.255",
            "203.0.113.7",
            "[2001:db8::1]",
            "2001:db8:ffff::5",
        ] {
            assert!(is_documentation_host(host), "{host}");
        }
        for host in [
            "example.co",
            "notexample.com",
            "example.com.evil.io",
            "localhost",
            "test",
            "contest",
            "db.internal",
            "192.0.3.1",
            "203.0.114.1",
            "10.0.0.1",
            "[2001:db9::1]",
            "2001:4860::8888",
        ] {
            assert!(!is_documentation_host(host), "{host}");
        }
    }

    #[test]
    fn secrets_in_documentation_urls() {
        let at = |text: &str, secret: &str| {
            let start = text.find(secret).unwrap();
            in_documentation_url(text, &(start..start + secret.len()))
        };
        assert!(at(
            "postgres://app:Xk9v2LqT7wPz@db.example.com:5432/app",
            "Xk9v2LqT7wPz"
        ));
        assert!(at("see https://www.example.com/hook?token=ghp_abc and more", "ghp_abc"));
        assert!(at("amqp://svc:N8c2hQ7rLm4x@[2001:db8::7]:5672", "N8c2hQ7rLm4x"));
        assert!(at("http://u:Zq81Lm2pR7@203.0.113.9/", "Zq81Lm2pR7"));
        assert!(!at("postgres://app:Xk9v2LqT7wPz@db.internal:5432/app", "Xk9v2LqT7wPz"));
        assert!(!at("https://www.example.com/docs ghp_abc", "ghp_abc"));
        assert!(!at("https://api.github.com/?token=ghp_abc", "ghp_abc"));
        assert!(!at("ghp_abc", "ghp_abc"));
    }

    #[test]
    fn entropy_of_random_and_repeated() {
        assert!(entropy("aaaaaaaa") < 0.01);
        assert!(entropy("9f8a7b6c5d4e3f2a1b0c") > 3.5);
    }
}

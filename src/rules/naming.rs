//! Names split into words, for rules that judge identifiers, headers and
//! environment variable names.

/// Splits an identifier, a header or an env var name into lowercase words:
/// `clientSecret`, `CLIENT_SECRET`, `client-secret`, `X-Api-Key`.
pub fn words(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let boundary = c.is_ascii_uppercase()
            && i > 0
            && (chars[i - 1].is_ascii_lowercase()
                || (chars[i - 1].is_ascii_uppercase() && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase())));
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn every_case_style() {
        assert_eq!(words("clientSecret"), ["client", "secret"]);
        assert_eq!(words("CLIENT_SECRET"), ["client", "secret"]);
        assert_eq!(words("X-Api-Key"), ["x", "api", "key"]);
        assert_eq!(words("HTTPAuthToken"), ["http", "auth", "token"]);
        assert_eq!(words("db.password"), ["db", "password"]);
        assert_eq!(words("UserId"), ["user", "id"]);
        assert_eq!(words("apiKey2"), ["api", "key2"]);
        assert_eq!(words("JWT_SECRET"), ["jwt", "secret"]);
        assert_eq!(words("apiKey"), ["api", "key"]);
        assert_eq!(words("x-api-key"), ["x", "api", "key"]);
        assert_eq!(words("clientSecret2"), ["client", "secret2"]);
    }
}

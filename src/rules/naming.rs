//! Names split into words, for rules that judge identifiers, headers and
//! environment variable names.

pub use crate::resolve::words;

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

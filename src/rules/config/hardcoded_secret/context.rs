//! Where a literal sits, for `hardcoded_secret`: test code, which is not
//! reported unless `include_tests = true`.

use super::HardcodedSecret;
use crate::engine::Cx;

/// Endings of the package names of test-support crates (`_` and `-` alike).
const TEST_SUPPORT_SUFFIXES: &[&str] = &[
    "-test-support",
    "-testing",
    "-test-utils",
    "-test-util",
    "-test-helpers",
    "-fixtures",
];

/// Whole package names of test-support and developer-tool crates.
const TEST_SUPPORT_NAMES: &[&str] = &[
    "test-support",
    "testing",
    "test-utils",
    "test-helpers",
    "fixtures",
    "xtask",
];

/// Whether a package is test support or a developer tool: its code runs in
/// no deployed service.
pub(super) fn is_test_support_package(name: &str) -> bool {
    let name = name.replace('_', "-");
    TEST_SUPPORT_NAMES.contains(&name.as_str()) || TEST_SUPPORT_SUFFIXES.iter().any(|s| name.ends_with(s))
}

impl HardcodedSecret {
    /// `#[cfg(test)]` modules, test functions, test, bench and example
    /// targets, and test-support crates.
    pub(super) fn in_test_code(cx: &Cx<'_>) -> bool {
        cx.in_test() || is_test_support_package(&cx.package().name)
    }

    /// Whether provider formats and private keys are skipped here: in test
    /// code unless `include_tests = true`. Keyword and URL evidence is
    /// skipped in test code either way.
    pub(super) fn skips_formats(cx: &Cx<'_>) -> bool {
        !Self::options(cx).include_tests && Self::in_test_code(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::is_test_support_package;

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

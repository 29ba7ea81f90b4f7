//! Config-file scanning for `hardcoded_secret`: `.env*` files and the TOML,
//! YAML and JSON config files of a package, with the format and URL
//! detectors, and the keyword detector on `.env` lines.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use super::HardcodedSecretOptions;
use super::{HardcodedSecret, allowed_value, format_hits, report_secret, scanner_allowed, strip_auth_scheme};
use crate::diagnostic::Span;
use crate::engine::PackageReport;
use crate::rules::config::env_files::{documented_default, parse_env};
use crate::rules::config::secret_patterns::Kind;
use crate::rules::config::secret_values::{Class, plausible_value, secret_name};
use crate::source::SourceFile;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FileKind {
    Env,
    EnvTemplate,
    Config,
    /// A file of a test-support crate, checked with `include_tests`.
    TestCode,
}

impl HardcodedSecret {
    pub(super) fn check_config_file(
        &self,
        cx: &mut PackageReport<'_>,
        options: &HardcodedSecretOptions,
        path: &Path,
        kind: FileKind,
    ) {
        // Larger files are data, not config.
        if std::fs::metadata(path).map_or(true, |m| m.len() > 1024 * 1024) {
            return;
        }
        let Ok(file) = SourceFile::read(path) else { return };
        let file = Arc::new(file);
        // (range, message, label)
        let mut found: Vec<(Range<usize>, String, String)> = Vec::new();
        for hit in format_hits(options, &file.text) {
            if matches!(kind, FileKind::EnvTemplate | FileKind::TestCode) && hit.kind != Kind::Provider {
                continue;
            }
            // A commented-out URL documents a setting (`# db_uri = "mysql://root:foobar@…"`);
            // a provider token is a secret even in a comment.
            if hit.kind == Kind::UrlCredentials && in_hash_comment(&file, hit.range.start) {
                continue;
            }
            let secret = &file.text[hit.range.clone()];
            let (message, label) = match hit.kind {
                Kind::UrlCredentials => (
                    format!("hardcoded password `{}` in a URL", cx.redacted(secret)),
                    "the URL carries its credentials".to_string(),
                ),
                Kind::Provider => (
                    format!("hardcoded {} `{}`", hit.title, cx.redacted(secret)),
                    format!("a {} in a config file", hit.title),
                ),
            };
            found.push((hit.range, message, label));
        }
        if kind == FileKind::Env {
            for entry in parse_env(&file.text) {
                let Some(class) = secret_name(&entry.key) else { continue };
                // The default the code gives, documented as such: reported
                // where the code sets it (`secret_fallback`).
                if documented_default(&file.text, &entry) {
                    continue;
                }
                if found
                    .iter()
                    .any(|(r, _, _)| r.start < entry.value_range.end && entry.value_range.start < r.end)
                {
                    continue;
                }
                let (offset, value) = strip_auth_scheme(&entry.value);
                if !plausible_value(value, class) || allowed_value(options, value) {
                    continue;
                }
                let what = match class {
                    Class::Password => "password",
                    Class::Token => "secret",
                };
                let start = entry.value_range.start + offset;
                found.push((
                    start..start + value.len(),
                    format!("hardcoded {what} `{}`", cx.redacted(value)),
                    format!("`{}` is set to a credential in a file of the repository", entry.key),
                ));
            }
        }
        found.retain(|(r, _, _)| !scanner_allowed(&file, r.start));
        if found.is_empty() {
            return;
        }
        let ranges: Vec<Range<usize>> = found.iter().map(|(r, _, _)| r.clone()).collect();
        let shown = cx.masked(&file, &ranges);
        for (range, message, label) in found {
            let d = cx.report(Span::new(shown.clone(), range), message);
            report_secret(d, &label);
        }
    }
}

/// Whether `offset` is on a line that is a `#` comment.
fn in_hash_comment(file: &SourceFile, offset: usize) -> bool {
    let line = file.line_col(offset).line;
    file.line_text(line).trim_start().starts_with('#')
}

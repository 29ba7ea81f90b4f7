//! `[workspace.metadata.twelve]` and `[package.metadata.twelve]`, validated
//! into typed structs.
//!
//! Cargo rejects third-party tables under `[lints]` and `#[allow(tool::x)]`
//! for unknown tools, so configuration lives in `metadata`, which cargo
//! ignores and `cargo metadata` hands over as JSON. The package table
//! overrides the workspace table key by key; the command line overrides both.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diagnostic::LintLevel;
use crate::engine::{Scope, Settings};
use crate::rules;
use crate::workspace::Workspace;

/// Each selected package's settings, in the order of
/// [`Workspace::packages`], and every problem found on the way (each once).
pub fn load(workspace: &Workspace) -> (Vec<Settings>, Vec<ConfigIssue>) {
    let root_manifest = workspace.root.join("Cargo.toml");
    let mut all = Vec::new();
    let mut issues: Vec<ConfigIssue> = Vec::new();
    for package in &workspace.packages {
        let (settings, found) = from_layers(&[
            Layer {
                table: workspace.twelve.as_ref(),
                scope: "workspace",
                manifest: &root_manifest,
            },
            Layer {
                table: package.twelve.as_ref(),
                scope: "package",
                manifest: &package.manifest_path,
            },
        ]);
        for issue in found {
            if !issues.contains(&issue) {
                issues.push(issue);
            }
        }
        all.push(settings);
    }
    (all, issues)
}

/// A problem found while reading configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    /// `true` for a malformed value (exit code 2), `false` for an unknown
    /// rule or key (a warning).
    pub is_error: bool,
    pub manifest: PathBuf,
    /// The table and key, as `[package.metadata.twelve] lints.foo`.
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` in {}: {}", self.key, self.manifest.display(), self.message)
    }
}

/// One source of configuration: a `twelve` table and where it came from.
pub struct Layer<'a> {
    pub table: Option<&'a Value>,
    /// `workspace` or `package`, for messages.
    pub scope: &'static str,
    pub manifest: &'a Path,
}

/// Merges layers in order, later layers overriding earlier ones.
pub fn from_layers(layers: &[Layer<'_>]) -> (Settings, Vec<ConfigIssue>) {
    let mut settings = Settings::default();
    let mut issues = Vec::new();
    for layer in layers {
        if let Some(table) = layer.table {
            apply(&mut settings, table, layer, &mut issues);
        }
    }
    (settings, issues)
}

fn apply(settings: &mut Settings, table: &Value, layer: &Layer<'_>, issues: &mut Vec<ConfigIssue>) {
    let section = format!("[{}.metadata.twelve]", layer.scope);
    let mut issue = |is_error: bool, key: String, message: String| {
        issues.push(ConfigIssue {
            is_error,
            manifest: layer.manifest.to_path_buf(),
            key: format!("{section} {key}"),
            message,
        })
    };
    let Some(table) = table.as_object() else {
        issue(true, String::new(), "expected a table".into());
        return;
    };
    for (key, value) in table {
        match key.as_str() {
            "lints" => {
                let Some(lints) = value.as_object() else {
                    issue(true, key.clone(), "expected a table of rule = level".into());
                    continue;
                };
                for (rule, level) in lints {
                    let name = rule.strip_prefix("twelve::").unwrap_or(rule);
                    let Some(found) = rules::find(name) else {
                        issue(false, format!("lints.{rule}"), unknown_rule(name));
                        continue;
                    };
                    match level.as_str().and_then(LintLevel::parse) {
                        Some(level) => {
                            settings.lints.insert(found.meta().name.to_string(), level);
                        }
                        None => issue(
                            true,
                            format!("lints.{rule}"),
                            format!("invalid level {level}, expected \"allow\", \"warn\" or \"deny\""),
                        ),
                    }
                }
            }
            "scope" => match parse_scope(value) {
                Ok(scope) => settings.scope = Some(scope),
                Err(message) => issue(true, key.clone(), message),
            },
            "services" | "one_shot" | "dev_tools" => match value.as_array().map(|a| {
                a.iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
            }) {
                Some(Some(names)) => {
                    let slot = match key.as_str() {
                        "services" => &mut settings.services,
                        "one_shot" => &mut settings.one_shot,
                        _ => &mut settings.dev_tools,
                    };
                    *slot = names;
                }
                _ => issue(
                    true,
                    key.clone(),
                    "expected an array of binary, package or subcommand names".into(),
                ),
            },
            "exclude" => match value
                .as_array()
                .map(|a| a.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
            {
                Some(Some(globs)) => {
                    let mut ok = Vec::new();
                    for glob in globs {
                        match globset::Glob::new(glob) {
                            Ok(_) => ok.push(glob.to_string()),
                            Err(e) => issue(true, key.clone(), format!("invalid glob {glob:?}: {}", e.kind())),
                        }
                    }
                    settings.exclude = ok;
                }
                _ => issue(true, key.clone(), "expected an array of glob strings".into()),
            },
            other => match rules::find(other) {
                Some(rule) => {
                    let meta = rule.meta();
                    let Some(options) = value.as_object() else {
                        issue(
                            true,
                            key.clone(),
                            format!("expected a table of options for `{}`", meta.name),
                        );
                        continue;
                    };
                    for option in options.keys() {
                        if option == "scope" && meta.scope != Scope::All {
                            match parse_scope(&options[option]) {
                                Ok(scope) => {
                                    settings.rule_scopes.insert(meta.name, scope);
                                }
                                Err(message) => issue(true, format!("{key}.{option}"), message),
                            }
                            continue;
                        }
                        if !meta.options.contains(&option.as_str()) {
                            let known = if meta.options.is_empty() {
                                "it has no options".to_string()
                            } else {
                                format!("known options: {}", meta.options.join(", "))
                            };
                            issue(
                                false,
                                format!("{key}.{option}"),
                                format!("unknown option for `{}` ({known})", meta.name),
                            );
                        }
                    }
                    if !meta.options.is_empty() {
                        match rule.parse_options(options, settings.options.get(meta.name)) {
                            Ok(parsed) => {
                                settings.options.insert(meta.name, parsed);
                            }
                            Err(message) => issue(true, key.clone(), message),
                        }
                    }
                }
                None => {
                    let message = match rules::closest(other) {
                        Some(close) => format!("unknown key (a rule's options table? did you mean `{close}`)"),
                        None => "unknown key (expected `lints`, `exclude`, `scope`, `services`, `one_shot`, `dev_tools` or a rule name)"
                            .to_string(),
                    };
                    issue(false, key.clone(), message);
                }
            },
        }
    }
}

/// `"service"` (the default: code a service runs) or `"all"`.
fn parse_scope(value: &Value) -> Result<Scope, String> {
    match value.as_str() {
        Some("service") => Ok(Scope::Service),
        Some("all") => Ok(Scope::All),
        _ => Err("expected \"service\" or \"all\"".into()),
    }
}

fn unknown_rule(name: &str) -> String {
    match rules::closest(name) {
        Some(close) => format!("unknown rule `{name}` (did you mean `{close}`?)"),
        None => format!("unknown rule `{name}` (`cargo twelve rules` lists them)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::build_release_run::compile_time_config::CompileTimeConfigOptions;
    use crate::rules::config::hardcoded_secret::HardcodedSecretOptions;
    use serde_json::json;

    fn load(ws: Value, pkg: Value) -> (Settings, Vec<ConfigIssue>) {
        let manifest = Path::new("/w/Cargo.toml");
        from_layers(&[
            Layer {
                table: Some(&ws),
                scope: "workspace",
                manifest,
            },
            Layer {
                table: Some(&pkg),
                scope: "package",
                manifest,
            },
        ])
    }

    #[test]
    fn package_overrides_workspace() {
        let (config, issues) = load(
            json!({"lints": {"filesystem_write": "deny", "compile_time_config": "allow"}, "exclude": ["gen/**"]}),
            json!({"lints": {"filesystem_write": "allow"}, "compile_time_config": {"allow": ["GIT_SHA"]}}),
        );
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(config.lints["filesystem_write"], LintLevel::Allow);
        assert_eq!(config.lints["compile_time_config"], LintLevel::Allow);
        assert_eq!(config.exclude, ["gen/**"]);
        assert_eq!(
            config
                .options::<CompileTimeConfigOptions>("compile_time_config")
                .unwrap()
                .allow,
            ["GIT_SHA"]
        );
    }

    #[test]
    fn unknown_rule_and_key_are_warnings() {
        let (_, issues) = load(
            json!({"lints": {"filesystem_writes": "deny"}, "colour": true}),
            json!({}),
        );
        assert_eq!(issues.len(), 2);
        assert!(issues.iter().all(|i| !i.is_error));
        let key = |k: &str| {
            issues
                .iter()
                .find(|i| i.key == k)
                .unwrap_or_else(|| panic!("{k}: {issues:?}"))
        };
        assert!(
            key("[workspace.metadata.twelve] colour")
                .message
                .starts_with("unknown key")
        );
        let rule = key("[workspace.metadata.twelve] lints.filesystem_writes");
        assert!(
            rule.message.contains("did you mean `filesystem_write`"),
            "{}",
            rule.message
        );
        assert_eq!(rule.manifest, Path::new("/w/Cargo.toml"));
    }

    #[test]
    fn malformed_values_are_errors() {
        let (_, issues) = load(
            json!({"lints": {"filesystem_write": "loud"}, "exclude": "src", "compile_time_config": {"allow": "X"}}),
            json!({}),
        );
        assert_eq!(issues.len(), 3, "{issues:?}");
        assert!(issues.iter().all(|i| i.is_error));
    }

    #[test]
    fn hardcoded_secret_options() {
        let (config, issues) = load(
            json!({"hardcoded_secret": {"allow_values": ["^sk_test_"]}}),
            json!({"hardcoded_secret": {"extra_patterns": [{"name": "Acme token", "regex": "\\bacme_[a-z0-9]{32}\\b"}]}}),
        );
        assert!(issues.is_empty(), "{issues:?}");
        let o = config.options::<HardcodedSecretOptions>("hardcoded_secret").unwrap();
        assert_eq!(o.allow_values, ["^sk_test_"]);
        assert_eq!(o.extra_patterns[0].name, "Acme token");
        let (_, issues) = load(
            json!({"hardcoded_secret": {"extra_patterns": [{"name": "bad", "regex": "(unclosed"}]}}),
            json!({}),
        );
        assert_eq!(issues.len(), 1);
        assert!(
            issues[0].is_error && issues[0].message.contains("invalid regex"),
            "{issues:?}"
        );
    }

    #[test]
    fn unknown_rule_option_is_a_warning() {
        let (config, issues) = load(
            json!({"compile_time_config": {"allow": ["A"], "alow": ["B"]}}),
            json!({}),
        );
        assert_eq!(
            config
                .options::<CompileTimeConfigOptions>("compile_time_config")
                .unwrap()
                .allow,
            ["A"]
        );
        assert_eq!(issues.len(), 1);
        assert!(!issues[0].is_error);
        assert_eq!(issues[0].key, "[workspace.metadata.twelve] compile_time_config.alow");
    }
}

//! `[workspace.metadata.twelve]` and `[package.metadata.twelve]`, validated
//! into typed structs.
//!
//! Cargo rejects third-party tables under `[lints]` and `#[allow(tool::x)]`
//! for unknown tools, so configuration lives in `metadata`, which cargo
//! ignores and `cargo metadata` hands over as JSON. The package table
//! overrides the workspace table key by key; the command line overrides both.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diagnostic::LintLevel;
use crate::rules;

/// Options of `compile_time_config`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CompileTimeConfigOptions {
    /// Variables that may be read with `env!` besides the ones Cargo sets,
    /// such as a commit hash stamped in by CI.
    #[serde(default)]
    pub allow: Vec<String>,
}

/// Options of `filesystem_write`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FilesystemWriteOptions {
    /// Extra functions (canonical paths) whose result counts as scratch
    /// space, like `std::env::temp_dir`.
    #[serde(default)]
    pub scratch_dirs: Vec<String>,
}

/// Options of `system_command`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SystemCommandOptions {
    /// Tools that are a declared part of the runtime image and may be run
    /// by name (`git`, `ffmpeg`).
    #[serde(default)]
    pub allowed: Vec<String>,
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
}

impl HardcodedSecretOptions {
    /// Every regex compiles.
    fn validate(&self) -> Result<(), String> {
        for p in &self.extra_patterns {
            regex::Regex::new(&p.regex).map_err(|e| format!("invalid regex in `extra_patterns` `{}`: {e}", p.name))?;
        }
        for v in &self.allow_values {
            regex::Regex::new(v).map_err(|e| format!("invalid regex in `allow_values`: {e}"))?;
        }
        Ok(())
    }
}

/// Per-rule option tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleOptions {
    pub compile_time_config: CompileTimeConfigOptions,
    pub filesystem_write: FilesystemWriteOptions,
    pub system_command: SystemCommandOptions,
    pub hardcoded_secret: HardcodedSecretOptions,
}

/// The validated configuration of one package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Rule name to level; rules not listed keep their default.
    pub lints: BTreeMap<String, LintLevel>,
    /// Globs of paths, relative to the workspace root, that are not checked.
    pub exclude: Vec<String>,
    pub rules: RuleOptions,
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

impl Config {
    /// Merges layers in order, later layers overriding earlier ones.
    pub fn from_layers(layers: &[Layer<'_>]) -> (Self, Vec<ConfigIssue>) {
        let mut config = Config::default();
        let mut issues = Vec::new();
        for layer in layers {
            if let Some(table) = layer.table {
                config.apply(table, layer, &mut issues);
            }
        }
        (config, issues)
    }

    fn apply(&mut self, table: &Value, layer: &Layer<'_>, issues: &mut Vec<ConfigIssue>) {
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
                                self.lints.insert(found.meta().name.to_string(), level);
                            }
                            None => issue(
                                true,
                                format!("lints.{rule}"),
                                format!("invalid level {level}, expected \"allow\", \"warn\" or \"deny\""),
                            ),
                        }
                    }
                }
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
                        self.exclude = ok;
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
                        if let Err(message) = self.rules.apply(meta.name, options) {
                            issue(true, key.clone(), message);
                        }
                    }
                    None => {
                        let message = match rules::closest(other) {
                            Some(close) => format!("unknown key (a rule's options table? did you mean `{close}`)"),
                            None => "unknown key (expected `lints`, `exclude` or a rule name)".to_string(),
                        };
                        issue(false, key.clone(), message);
                    }
                },
            }
        }
    }
}

impl RuleOptions {
    /// Reads the known keys of a rule's table into its typed options,
    /// keeping values set by an earlier layer that this one does not name.
    fn apply(&mut self, rule: &str, table: &serde_json::Map<String, Value>) -> Result<(), String> {
        fn merge<T: serde::Serialize + serde::de::DeserializeOwned>(
            current: &mut T,
            table: &serde_json::Map<String, Value>,
            known: &[&str],
        ) -> Result<(), String> {
            let Ok(Value::Object(mut merged)) = serde_json::to_value(&*current) else {
                unreachable!("options are structs");
            };
            for (k, v) in table.iter().filter(|(k, _)| known.contains(&k.as_str())) {
                merged.insert(k.clone(), v.clone());
            }
            *current = serde_json::from_value(Value::Object(merged)).map_err(|e| format!("invalid value: {e}"))?;
            Ok(())
        }
        use crate::rules::{
            build_release_run::compile_time_config::CompileTimeConfig, config::hardcoded_secret::HardcodedSecret,
            dependencies::system_command::SystemCommand, processes::filesystem_write::FilesystemWrite,
        };
        match rule {
            "compile_time_config" => merge(&mut self.compile_time_config, table, CompileTimeConfig::META.options),
            "filesystem_write" => merge(&mut self.filesystem_write, table, FilesystemWrite::META.options),
            "system_command" => merge(&mut self.system_command, table, SystemCommand::META.options),
            "hardcoded_secret" => {
                let mut options = self.hardcoded_secret.clone();
                merge(&mut options, table, HardcodedSecret::META.options)?;
                options.validate()?;
                self.hardcoded_secret = options;
                Ok(())
            }
            _ => Ok(()),
        }
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
    use serde_json::json;

    fn load(ws: Value, pkg: Value) -> (Config, Vec<ConfigIssue>) {
        let manifest = Path::new("/w/Cargo.toml");
        Config::from_layers(&[
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
        assert_eq!(config.rules.compile_time_config.allow, ["GIT_SHA"]);
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
        let o = &config.rules.hardcoded_secret;
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
        assert_eq!(config.rules.compile_time_config.allow, ["A"]);
        assert_eq!(issues.len(), 1);
        assert!(!issues[0].is_error);
        assert_eq!(issues[0].key, "[workspace.metadata.twelve] compile_time_config.alow");
    }
}

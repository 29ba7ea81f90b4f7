//! `--message-format sarif` against the official SARIF 2.1.0 JSON schema
//! (`tests/sarif/sarif-schema-2.1.0.json`, the OASIS errata01 schema) and
//! the properties GitHub code scanning requires.

mod common;

use common::*;
use serde_json::Value;

fn schema_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/sarif/sarif-schema-2.1.0.json"
    ))
    .unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn schema_errors(log: &Value) -> Vec<String> {
    schema_validator()
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn sarif(dir: &std::path::Path, args: &[&str]) -> Value {
    let mut all = vec!["--message-format=sarif"];
    all.extend(args);
    let r = run(dir, &all);
    assert_eq!(r.code, 1, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

/// Every string in the log: required properties may not be empty.
fn strings<'a>(v: &'a Value, path: String, out: &mut Vec<(String, &'a str)>) {
    match v {
        Value::String(s) => out.push((path, s)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| strings(v, format!("{path}/{i}"), out)),
        Value::Object(o) => o.iter().for_each(|(k, v)| strings(v, format!("{path}/{k}"), out)),
        _ => {}
    }
}

/// What GitHub code scanning needs of an upload, beyond the schema.
fn github_requirements(log: &Value) {
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().ends_with("sarif-schema-2.1.0.json"));
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "one run");
    let driver = &runs[0]["tool"]["driver"];
    for key in ["name", "version", "informationUri"] {
        assert!(driver[key].is_string(), "driver.{key}");
    }
    let rules = driver["rules"].as_array().unwrap();
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        assert!(id.starts_with("twelve::"), "{id}");
        assert!(rule["name"].is_string(), "{id}");
        for key in ["shortDescription", "fullDescription"] {
            assert!(rule[key]["text"].is_string(), "{id} {key}");
        }
        assert!(
            rule["help"]["text"].is_string() && rule["help"]["markdown"].is_string(),
            "{id}"
        );
        assert!(rule["defaultConfiguration"]["level"].is_string(), "{id}");
        let tags = rule["properties"]["tags"].as_array().unwrap();
        if rule["helpUri"].is_string() {
            assert!(tags.len() == 2, "{id}: the factor is a tag");
        }
    }
    for result in runs[0]["results"].as_array().unwrap() {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(result["ruleId"], rules[index]["id"]);
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap()));
        assert!(result["message"]["text"].is_string());
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.starts_with('/') && !uri.contains("://"),
            "relative to the repository: {uri}"
        );
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let region = &location["region"];
        let start = (
            region["startLine"].as_u64().unwrap(),
            region["startColumn"].as_u64().unwrap(),
        );
        let end = (
            region["endLine"].as_u64().unwrap(),
            region["endColumn"].as_u64().unwrap(),
        );
        assert!(start.0 >= 1 && start.1 >= 1 && end >= start, "{region}");
        assert!(result["partialFingerprints"].as_object().unwrap().len() == 1);
    }
    let mut all = Vec::new();
    strings(log, String::new(), &mut all);
    for (path, s) in all {
        assert!(!s.is_empty(), "empty string at {path}");
    }
}

#[test]
fn the_official_schema_rejects_what_is_not_sarif() {
    // The validator is live: each of these breaks the schema.
    let dir = fixture("service");
    let log = sarif(&dir, &["-q"]);
    let mut no_version = log.clone();
    no_version.as_object_mut().unwrap().remove("version");
    assert!(!schema_errors(&no_version).is_empty());
    let mut bad_level = log.clone();
    bad_level["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!schema_errors(&bad_level).is_empty());
    let mut bad_line = log.clone();
    bad_line["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0.into();
    assert!(!schema_errors(&bad_line).is_empty());
    let mut extra = log;
    extra["runs"][0]["tool"]["driver"]["colour"] = "blue".into();
    assert!(!schema_errors(&extra).is_empty());
}

#[test]
fn sarif_validates_against_the_official_schema() {
    for (name, args) in [
        ("service", vec!["-q"]),
        ("editor", vec!["--workspace"]),
        ("config-service", vec![]),
        ("manifest-deps", vec!["--workspace"]),
        ("workspace", vec!["--workspace"]),
    ] {
        let log = sarif(&fixture(name), &args);
        assert_eq!(schema_errors(&log), Vec::<String>::new(), "{name}");
        github_requirements(&log);
        assert!(!log["runs"][0]["results"].as_array().unwrap().is_empty(), "{name}");
    }
}

#[test]
fn results_locations_and_fixes() {
    let dir = fixture_copy("service");
    let log = sarif(dir.path(), &["-q"]);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let first = &results[0];
    assert_eq!(first["ruleId"], "twelve::compile_time_config");
    let location = &first["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "src/config.rs");
    // `env!("PAYMENTS_API_URL")` at 9:28, 24 characters: endColumn is one past.
    assert_eq!(
        location["region"],
        serde_json::json!({"startLine": 9, "startColumn": 28, "endLine": 9, "endColumn": 52, "snippet": {"text": "env!(\"PAYMENTS_API_URL\")"}})
    );
    // The `option_env!` fix: a run-time read of the same type.
    let fixed = results
        .iter()
        .find(|r| r["fixes"].is_array())
        .expect("a result with fixes");
    let change = &fixed["fixes"][0]["artifactChanges"][0];
    assert_eq!(change["artifactLocation"]["uri"], "src/config.rs");
    let inserted = change["replacements"][0]["insertedContent"]["text"].as_str().unwrap();
    assert!(inserted.contains("std::env::var(\"SENTRY_DSN\").ok()"), "{inserted}");
    assert_eq!(change["replacements"][0]["deletedRegion"]["startLine"], 21);
    let driver = &log["runs"][0]["tool"]["driver"];
    let rule = &driver["rules"][first["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(rule["helpUri"], "https://12factor.net/build-release-run");
    assert!(
        rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("### Why is this bad")
    );
    assert_eq!(
        rule["properties"]["tags"],
        serde_json::json!(["twelve-factor", "V Build, release, run"])
    );
}

#[test]
fn fingerprints_stay_when_lines_move() {
    let dir = fixture_copy("service");
    let prints = |log: &Value| -> Vec<(String, String)> {
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap().to_string(),
                    r["partialFingerprints"]["twelveFingerprint/v1"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                )
            })
            .collect()
    };
    let before = sarif(dir.path(), &["-q"]);
    for file in ["src/config.rs", "src/storage.rs"] {
        let path = dir.path().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("// moved\n\n// down\n{text}")).unwrap();
    }
    let after = sarif(dir.path(), &["-q"]);
    assert_ne!(
        before["runs"][0]["results"][0]["locations"],
        after["runs"][0]["results"][0]["locations"]
    );
    assert_eq!(prints(&before), prints(&after));
}

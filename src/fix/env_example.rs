//! `.env.example`: the variables a deploy sets, with empty values.

/// The keys a `.env`-style text defines (`KEY=..`, `export KEY=..`).
pub fn keys(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let line = line.strip_prefix("export ").unwrap_or(line);
            let (key, _) = line.split_once('=')?;
            let key = key.trim();
            (!key.is_empty() && !key.starts_with('#') && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
                .then(|| key.to_string())
        })
        .collect()
}

/// `text` with a `NAME=` line added for each of `vars` it does not define.
pub fn merge(text: &str, vars: &[String]) -> String {
    let have = keys(text);
    let mut out = text.to_string();
    for var in vars {
        if have.contains(var) || out.lines().any(|l| l.trim() == format!("{var}=")) {
            continue;
        }
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(var);
        out.push_str("=\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_only_missing_keys() {
        let text = "# settings\nexport PORT=8080\nDATABASE_URL=";
        let merged = merge(text, &["PORT".into(), "API_KEY".into(), "DATABASE_URL".into()]);
        assert_eq!(merged, "# settings\nexport PORT=8080\nDATABASE_URL=\nAPI_KEY=\n");
        assert_eq!(merge(&merged, &["API_KEY".into()]), merged);
        assert_eq!(merge("", &["A".into(), "A".into()]), "A=\n");
    }
}

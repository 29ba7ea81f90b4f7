//! The report as text: a colored table for terminals and Markdown for PR
//! comments. The JSON form is `Report`'s `Serialize`.

use std::fmt::Write as _;

use super::{Report, Row, Status};

fn findings_text(row: &Row) -> String {
    if row.findings.is_empty() {
        return String::new();
    }
    row.findings
        .iter()
        .map(|(r, n)| format!("{r} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The colored table: one block per factor with its link, findings and evidence.
pub fn render_human(report: &Report, color: bool) -> String {
    let paint = |status: Status, text: &str| -> String {
        if !color {
            return text.to_string();
        }
        let code = match status {
            Status::Pass => "32",
            Status::Warn => "33",
            Status::Fail => "31",
            Status::NotApplicable => "2",
        };
        format!("\x1b[1;{code}m{text}\x1b[0m")
    };
    let dim = |text: &str| -> String {
        if color {
            format!("\x1b[2m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    let _ = writeln!(out, "Twelve-factor report for {}\n", report.packages.join(", "));
    let _ = writeln!(out, "{:<6}{:<22}{:<7}FINDINGS", "", "FACTOR", "STATUS");
    for row in &report.factors {
        let status = format!("{:<7}", row.status.as_str());
        let findings = findings_text(row);
        let _ = writeln!(
            out,
            "{:<6}{:<22}{}{}",
            row.numeral,
            row.factor,
            paint(row.status, &status),
            if findings.is_empty() { dim("-") } else { findings }
        );
        for e in &row.evidence {
            let _ = writeln!(out, "{:<6}- {e}", "");
        }
        let _ = writeln!(out, "{:<6}{}", "", dim(&row.url));
    }
    let _ = writeln!(out, "\n{}", summary_line(report));
    out
}

fn summary_line(report: &Report) -> String {
    ["pass", "warn", "fail", "n/a"]
        .iter()
        .map(|k| {
            let n = report.summary.get(k).copied().unwrap_or(0);
            let word = if *k == "n/a" { "not applicable" } else { k };
            format!("{n} {word}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A Markdown table for PR comments and READMEs.
pub fn render_markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Twelve-factor report: {}\n", report.packages.join(", "));
    let _ = writeln!(out, "| Factor | Status | Findings | Evidence |");
    let _ = writeln!(out, "|---|---|---|---|");
    for row in &report.factors {
        let status = match row.status {
            Status::Pass => "✅ pass",
            Status::Warn => "⚠️ warn",
            Status::Fail => "❌ fail",
            Status::NotApplicable => "➖ n/a",
        };
        let findings = row
            .findings
            .iter()
            .map(|(r, n)| format!("`{r}` ×{n}"))
            .collect::<Vec<_>>()
            .join("<br>");
        let evidence = row
            .evidence
            .iter()
            .map(|e| e.replace('|', "\\|"))
            .collect::<Vec<_>>()
            .join("<br>");
        let _ = writeln!(
            out,
            "| [{}. {}]({}) | {status} | {} | {evidence} |",
            row.numeral,
            row.factor,
            row.url,
            if findings.is_empty() { "–".into() } else { findings }
        );
    }
    let _ = writeln!(out, "\n{}", summary_line(report));
    out
}

//! `cargo twelve report`: the Twelve-Factor verification checklist made
//! executable. One row per factor with a status, the evidence it used and
//! the findings per rule.
//!
//! Findings come from one run of the engine with every rule (so rules
//! added later count in their factor's row), plus two collectors in the
//! same pass: [`EnvReads`] for the config surface and [`Evidence`] for
//! shutdown handling, logger setup, backing-service URL schemes chosen by
//! `debug_assertions`, and admin subcommands. Project files (`Cargo.lock`,
//! `Procfile`, `Dockerfile`, compose files, `.env.example`, README) are
//! read once.
//!
//! `evidence` gathers what is known, `judge` decides each factor's
//! row, `render` prints the report.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diagnostic::Severity;
use crate::engine::{self, Options};
use crate::env_inventory::EnvReads;
use crate::rules::{self, Factor, Rule};
use crate::workspace::Workspace;

mod evidence;
mod judge;
mod render;

pub use evidence::Evidence;
pub use render::{render_human, render_markdown};

/// A factor's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    NotApplicable,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Warn => "warn",
            Self::Fail => "fail",
            Self::NotApplicable => "n/a",
        }
    }

    fn worst(self, other: Status) -> Status {
        self.max(other)
    }
}

/// One factor's row.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub numeral: &'static str,
    pub factor: &'static str,
    pub url: String,
    pub status: Status,
    pub evidence: Vec<String>,
    /// Findings at warn or deny level, by rule.
    pub findings: BTreeMap<&'static str, usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub packages: Vec<String>,
    pub factors: Vec<Row>,
    pub summary: BTreeMap<&'static str, usize>,
}

impl Report {
    /// Whether any factor warns or fails (exit status 1, as for `check`).
    pub fn has_problems(&self) -> bool {
        self.factors
            .iter()
            .any(|r| matches!(r.status, Status::Warn | Status::Fail))
    }
}

/// Runs every rule and the collectors, then judges each factor.
pub fn build(workspace: &Workspace, options: &Options) -> Report {
    let mut all: Vec<&'static dyn Rule> = rules::ALL.to_vec();
    all.push(&EnvReads);
    all.push(&Evidence);
    // `startup_migration` is allowed by default, but XII and V need to know
    // what it sees: run it, and count its findings only where it is enabled.
    let migration = rules::admin_processes::startup_migration::StartupMigration::META.name;
    let configured = options.settings.iter().any(|s| s.lints.contains_key(migration))
        || options
            .overrides
            .iter()
            .any(|(n, _)| n.trim_start_matches("twelve::") == migration);
    let mut forced = options.clone();
    if !configured {
        forced
            .overrides
            .push((migration.to_string(), crate::diagnostic::LintLevel::Warn));
    }
    let mut outcome = engine::check(workspace, &all, &forced);
    let startup_migrations: Vec<crate::diagnostic::Diagnostic> = if configured {
        outcome
            .diagnostics
            .iter()
            .filter(|d| d.code == migration)
            .cloned()
            .collect()
    } else {
        let (m, rest) = std::mem::take(&mut outcome.diagnostics)
            .into_iter()
            .partition(|d| d.code == migration);
        outcome.diagnostics = rest;
        m
    };

    let mut findings: BTreeMap<Factor, BTreeMap<&'static str, usize>> = BTreeMap::new();
    let mut worst: BTreeMap<Factor, Status> = BTreeMap::new();
    for d in &outcome.diagnostics {
        let Some(factor) = d.factor else { continue };
        let status = match d.severity {
            Severity::Error => Status::Fail,
            Severity::Warning => Status::Warn,
            Severity::Note => continue,
        };
        *findings.entry(factor).or_default().entry(d.code).or_default() += 1;
        let w = worst.entry(factor).or_insert(Status::Pass);
        *w = w.worst(status);
    }

    let mut project = evidence::Project::read(workspace, &outcome.facts);
    project.add_migrations(&outcome.model, &outcome.facts, &startup_migrations);
    let mut rows = Vec::new();
    for factor in Factor::ALL {
        let (status, evidence) = judge::judge(factor, &project, worst.get(&factor).copied());
        rows.push(Row {
            numeral: factor.numeral(),
            factor: factor.title(),
            url: factor.url(),
            status,
            evidence,
            findings: findings.get(&factor).cloned().unwrap_or_default(),
        });
    }
    let mut summary = BTreeMap::new();
    for r in &rows {
        *summary.entry(r.status.as_str()).or_default() += 1;
    }
    Report {
        packages: workspace
            .packages
            .iter()
            .map(|p| format!("{} v{}", p.name, p.version))
            .collect(),
        factors: rows,
        summary,
    }
}

//! GitLab Code Quality (the Code Climate subset GitLab reads from
//! `artifacts:reports:codequality`): one issue per finding.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::sarif::line_hashes;
use crate::gate::model::{GateReport, Level, Severity};

#[derive(Debug, Serialize)]
pub struct Issue {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub description: String,
    pub check_name: String,
    pub fingerprint: String,
    pub severity: &'static str,
    pub categories: Vec<&'static str>,
    pub location: IssueLocation,
}

#[derive(Debug, Serialize)]
pub struct IssueLocation {
    pub path: String,
    pub lines: Lines,
}

#[derive(Debug, Serialize)]
pub struct Lines {
    pub begin: u32,
    pub end: u32,
}

/// The Code Quality issues of a run. Waived findings are left out: GitLab has no notion of a
/// suppression, and an accepted waiver is not a quality issue to show in the MR widget.
pub fn issues(report: &GateReport) -> Vec<Issue> {
    let hashes = line_hashes(&report.findings);
    report
        .findings
        .iter()
        .zip(hashes)
        .filter(|(f, _)| f.level != Level::Waived)
        .map(|(f, hash)| {
            let severity = match (f.level, f.severity) {
                (Level::Block, _) => "blocker",
                (_, Severity::Error) => "major",
                (_, Severity::Warning) => "minor",
                _ => "info",
            };
            let category = if f.rule_id.starts_with("security/") {
                "Security"
            } else {
                "Bug Risk"
            };
            let fingerprint = hex::encode(Sha256::digest(format!("{}\0{}\0{}", f.rule_id, f.path, hash)));
            Issue {
                kind: "issue",
                description: format!("{} ({})", f.message, f.rule_id),
                check_name: f.rule_id.clone(),
                fingerprint,
                severity,
                categories: vec![category],
                location: IssueLocation {
                    path: f.path.clone(),
                    lines: Lines {
                        begin: f.start.line,
                        end: f.end.line,
                    },
                },
            }
        })
        .collect()
}

pub fn to_string(report: &GateReport) -> String {
    serde_json::to_string_pretty(&issues(report)).unwrap_or_else(|_| "[]".into())
}

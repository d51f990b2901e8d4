//! What the forges show of a run: a GitHub check run (conclusion, title, Markdown summary,
//! annotations on the lines) and the one-line description of a commit status. Pure functions of
//! the report, within the forges' limits, so the clients only move bytes.

use serde::{Deserialize, Serialize};

use crate::gate::model::{GateFinding, GateReport, Level, Outcome};
use crate::report::markdown;

/// GitHub accepts at most 50 annotations per create or update request.
pub const ANNOTATIONS_PER_REQUEST: usize = 50;
/// Annotations posted per run: the rest are counted in the summary (SARIF has them all).
pub const MAX_ANNOTATIONS: usize = 1_000;
/// Check run `output.title`, `output.summary` and `output.text` are each limited to 65,535 characters.
pub const MAX_OUTPUT_CHARS: usize = 65_535;
/// A commit status description, on GitHub and GitLab.
pub const MAX_STATUS_CHARS: usize = 140;
/// An annotation's `title`; its `message` and `raw_details` are limited to 64 KB.
const MAX_TITLE_CHARS: usize = 255;
const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// A check run's `conclusion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conclusion {
    Success,
    Failure,
    /// The gate could not decide and `--fail-open` let the change through: neither passed nor failed.
    Neutral,
}

/// One annotation, in the shape of the Checks API (`output.annotations[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotation {
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    /// Columns only for single-line annotations: GitHub rejects them otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u32>,
    /// `failure`, `warning` or `notice`.
    pub annotation_level: String,
    pub message: String,
    pub title: String,
}

/// The completed check run of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRunReport {
    pub conclusion: Conclusion,
    pub title: String,
    pub summary: String,
    /// Blocking findings first, so a capped list keeps what matters.
    pub annotations: Vec<Annotation>,
}

/// The check run for `report`.
pub fn check_run(report: &GateReport) -> CheckRunReport {
    let mut findings: Vec<&GateFinding> = report.findings.iter().collect();
    findings.sort_by_key(|f| f.level);
    let mut summary = markdown::to_string(report);
    if findings.len() > MAX_ANNOTATIONS {
        summary.push_str(&format!(
            "\n\n{} of {} findings are annotated here; the SARIF report and the job log have them all.\n",
            MAX_ANNOTATIONS,
            findings.len()
        ));
    }
    CheckRunReport {
        conclusion: conclusion(report),
        title: truncate(&title(report), MAX_OUTPUT_CHARS),
        summary: truncate(&summary, MAX_OUTPUT_CHARS),
        annotations: findings.into_iter().take(MAX_ANNOTATIONS).map(annotation).collect(),
    }
}

/// Success, failure, or neutral when an undecided run was let through with `--fail-open`.
pub fn conclusion(report: &GateReport) -> Conclusion {
    match report.verdict.outcome {
        Outcome::Pass => Conclusion::Success,
        Outcome::Block => Conclusion::Failure,
        Outcome::Error if report.verdict.exit_code == 0 => Conclusion::Neutral,
        Outcome::Error => Conclusion::Failure,
    }
}

/// The check run title: the verdict and its counts.
pub fn title(report: &GateReport) -> String {
    let t = &report.totals;
    match report.verdict.outcome {
        Outcome::Pass if t.findings == 0 => "Passed: no findings".to_owned(),
        Outcome::Pass => format!("Passed: {} non-blocking, {} waived", t.warnings, t.waived),
        Outcome::Block => format!(
            "Blocked: {} blocking finding{}",
            t.blocking,
            if t.blocking == 1 { "" } else { "s" }
        ),
        Outcome::Error => "Could not decide".to_owned(),
    }
}

/// A commit status description (≤ 140 characters): the title and, when there is room, the reason.
pub fn status_description(report: &GateReport) -> String {
    truncate(
        &format!("{} — {}", title(report), report.verdict.reason),
        MAX_STATUS_CHARS,
    )
}

fn annotation(f: &GateFinding) -> Annotation {
    let level = match f.level {
        Level::Block => "failure",
        Level::Warn => "warning",
        Level::Waived => "notice",
    };
    let mut message = f.message.clone();
    if let Some(w) = &f.waived {
        message.push_str(&format!("\n\nWaived: {}", w.reason));
    }
    if let Some(p) = f.provenance.as_ref().filter(|p| p.ai) {
        message.push_str(&format!("\n\nWritten by {}", p.tool.as_deref().unwrap_or("an AI tool")));
        if let Some(commit) = &p.commit {
            message.push_str(&format!(" in {}", &commit[..commit.len().min(12)]));
        }
    }
    let single_line = f.start.line == f.end.line;
    Annotation {
        path: f.path.clone(),
        start_line: f.start.line.max(1),
        end_line: f.end.line.max(f.start.line).max(1),
        start_column: single_line.then_some(f.start.column.max(1)),
        end_column: single_line.then_some(f.end.column.max(f.start.column).max(1)),
        annotation_level: level.to_owned(),
        message: truncate_bytes(&message, MAX_MESSAGE_BYTES),
        title: truncate(&format!("aigate {}", f.rule_id), MAX_TITLE_CHARS),
    }
}

/// At most `max` characters, with an ellipsis when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn truncate_bytes(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max - '…'.len_utf8();
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_characters_and_marks_the_cut() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "ab…");
        assert_eq!(truncate("ééééé", 4).chars().count(), 4);
        let cut = truncate_bytes(&"é".repeat(10), 7);
        assert!(cut.len() <= 7 && cut.ends_with('…'), "{cut}");
    }
}

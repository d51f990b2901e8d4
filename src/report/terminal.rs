//! rustc-style diagnostics for people at a terminal or reading CI logs: the rule, the snippet
//! with the span underlined, why it blocks, which AI tool and commit wrote the line, then the
//! verdict line.

use std::fmt::Write;

use crate::gate::model::{GateFinding, GateReport, Level, Outcome, Severity};

pub fn to_string(report: &GateReport) -> String {
    let mut out = String::new();
    for f in &report.findings {
        diagnostic(f, &mut out);
    }
    for n in &report.notes {
        let _ = writeln!(out, "note: {n}");
    }
    let c = &report.change;
    let _ = writeln!(
        out,
        "{} AI commits of {}, {} AI lines of {} added; {} files checked; policy {}",
        c.ai_commits, c.commits, c.ai_lines, c.added_lines, c.files_checked, report.policy_digest
    );
    let word = match report.verdict.outcome {
        Outcome::Pass => "PASS",
        Outcome::Block => "BLOCKED",
        Outcome::Error => "ERROR",
    };
    let t = &report.totals;
    let _ = writeln!(
        out,
        "aigate: {word}: {} ({} blocking, {} warnings, {} waived)",
        report.verdict.reason, t.blocking, t.warnings, t.waived
    );
    out
}

/// One finding, as rustc prints a diagnostic.
pub fn diagnostic(f: &GateFinding, out: &mut String) {
    let label = match (f.level, f.severity) {
        (Level::Waived, _) => "waived",
        (Level::Block, _) => "error",
        (_, Severity::Error | Severity::Warning) => "warning",
        _ => "note",
    };
    let _ = writeln!(out, "{label}[{}]: {}", f.rule_id, f.message);
    let width = f.end.line.max(f.start.line).to_string().len();
    let pad = " ".repeat(width);
    let _ = writeln!(out, "{pad}--> {}:{}:{}", f.path, f.start.line, f.start.column);
    let _ = writeln!(out, "{pad} |");
    for (i, line) in f.snippet.lines().enumerate() {
        let n = f.start.line as usize + i;
        let _ = writeln!(out, "{n:>width$} | {line}");
        let (from, to) = underline(f, i, line);
        if to > from {
            let _ = writeln!(out, "{pad} | {}{}", " ".repeat(from), "^".repeat(to - from));
        }
    }
    let _ = writeln!(out, "{pad} |");
    if let Some(p) = &f.provenance {
        let who = if p.ai {
            let model = p.model.as_deref().map(|m| format!(" ({m})")).unwrap_or_default();
            format!("{}{model}", p.tool.as_deref().unwrap_or("an AI tool"))
        } else {
            "a human".to_string()
        };
        let commit = p
            .commit
            .as_deref()
            .map(|c| format!(" in {}", c.get(..12).unwrap_or(c)))
            .unwrap_or_default();
        let _ = writeln!(out, "{pad} = written by: {who}{commit}");
    }
    let why = match f.level {
        Level::Block => "blocks: unwaived, in scope, at the block level".to_string(),
        Level::Warn => "does not block: outside the blocking scope or below the block level".to_string(),
        Level::Waived => format!("waived: {}", f.waived.as_ref().map_or("", |w| w.reason.as_str())),
    };
    let _ = writeln!(out, "{pad} = {why}\n");
}

/// The char columns to underline on snippet line `i` (0-based within the snippet).
fn underline(f: &GateFinding, i: usize, line: &str) -> (usize, usize) {
    let len = line.chars().count();
    let line_no = f.start.line as usize + i;
    let from = if line_no == f.start.line as usize {
        f.start.column.saturating_sub(1) as usize
    } else {
        0
    };
    let to = if line_no == f.end.line as usize {
        f.end.column.saturating_sub(1) as usize
    } else {
        len
    };
    let from = from.min(len);
    // A zero-width span still gets one caret, so the reader sees where.
    (from, to.min(len).max(from + usize::from(from < len || len == 0)))
}

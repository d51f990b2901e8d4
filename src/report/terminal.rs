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
    let pad = gutter(f.end.line.max(f.start.line));
    let _ = writeln!(out, "{pad}--> {}:{}:{}", f.path, f.start.line, f.start.column);
    let lines: Vec<&str> = f.snippet.lines().collect();
    snippet(
        out,
        &pad,
        &lines,
        f.start.line,
        (f.start.line, f.start.column),
        (f.end.line, f.end.column),
    );
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

/// The blank gutter of a diagnostic whose last line number is `last_line` (at least two wide).
pub fn gutter(last_line: u32) -> String {
    " ".repeat(last_line.to_string().len().max(2))
}

/// Draws `lines` (source lines, the first being line `first`) rustc-style, with the span from
/// `start` to `end` ((line, column), 1-based, columns in chars) underlined. A zero-width span still
/// gets one caret, so the reader sees where.
pub fn snippet(out: &mut String, pad: &str, lines: &[&str], first: u32, start: (u32, u32), end: (u32, u32)) {
    let width = pad.len();
    let _ = writeln!(out, "{pad} |");
    for (i, line) in lines.iter().enumerate() {
        let n = first + i as u32;
        let line = line.trim_end_matches('\r');
        let _ = writeln!(out, "{n:>width$} | {line}");
        let len = line.chars().count();
        let from = if n == start.0 {
            start.1.saturating_sub(1) as usize
        } else {
            0
        }
        .min(len);
        let to = if n == end.0 {
            end.1.saturating_sub(1) as usize
        } else {
            len
        }
        .min(len);
        let to = if n == start.0 && to <= from { from + 1 } else { to };
        if to > from {
            let _ = writeln!(out, "{pad} | {}{}", " ".repeat(from), "^".repeat(to - from));
        }
    }
    let _ = writeln!(out, "{pad} |");
}

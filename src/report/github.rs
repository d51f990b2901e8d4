//! GitHub Actions workflow commands (`::error file=…,line=…::message`): annotations that need no
//! token, so fork PRs still see findings on their lines.

use std::fmt::Write;

use crate::gate::model::{GateReport, Level};

/// One workflow command per finding (waived ones as notices), then the verdict.
pub fn to_string(report: &GateReport) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let command = match f.level {
            Level::Block => "error",
            Level::Warn => "warning",
            Level::Waived => "notice",
        };
        let mut message = f.message.clone();
        if let Some(w) = &f.waived {
            let _ = write!(message, " (waived: {})", w.reason);
        }
        if let Some(p) = f.provenance.as_ref().filter(|p| p.ai) {
            let _ = write!(message, "\nWritten by {}", p.tool.as_deref().unwrap_or("an AI tool"));
        }
        let _ = writeln!(
            out,
            "::{command} file={},line={},endLine={},col={},endColumn={},title={}::{}",
            escape_property(&f.path),
            f.start.line,
            f.end.line,
            f.start.column,
            f.end.column,
            escape_property(&format!("aigate {}", f.rule_id)),
            escape_data(&message)
        );
    }
    let _ = writeln!(
        out,
        "aigate: {} — {} (policy {})",
        report.verdict.outcome_word(),
        report.verdict.reason,
        report.policy_digest
    );
    out
}

/// Escaping of a command's message, as `@actions/core` does.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escaping of a command's property values: the data escapes plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

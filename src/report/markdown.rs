//! The Markdown summary a PR/MR comment or `GITHUB_STEP_SUMMARY` shows: verdict, the AI share of
//! the change, findings grouped by rule with file:line, and waivers with their reasons. Always
//! under [`MAX_CHARS`]: lists are cut with a count of what was left out.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::gate::model::{GateFinding, GateReport, Level, Outcome};

/// GitHub's comment body limit is 65,536; keep a margin for the forge's own wrapping.
pub const MAX_CHARS: usize = 65_000;
/// The hidden marker that lets a forge find and update its own comment instead of adding one.
pub const MARKER: &str = "<!-- aigate:summary -->";

pub fn to_string(report: &GateReport) -> String {
    let mut out = String::new();
    header(report, &mut out);
    let groups = [
        (Level::Block, "Blocking findings"),
        (Level::Warn, "Warnings (do not block)"),
    ];
    // Reserve room for the waivers section and the footer before spending it on findings.
    let budget = MAX_CHARS.saturating_sub(2_000);
    for (level, title) in groups {
        let findings: Vec<&GateFinding> = report.findings.iter().filter(|f| f.level == level).collect();
        if findings.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n### {title} ({})\n", findings.len());
        let mut by_rule: BTreeMap<&str, Vec<&GateFinding>> = BTreeMap::new();
        for f in findings {
            by_rule.entry(&f.rule_id).or_default().push(f);
        }
        for (rule, list) in by_rule {
            let _ = writeln!(out, "**`{rule}`** ({}) — {}\n", list.len(), escape(&list[0].message));
            for (i, f) in list.iter().enumerate() {
                let line = format!("- `{}:{}`{}\n", f.path, f.start.line, written_by(f));
                if out.len() + line.len() > budget {
                    let _ = writeln!(out, "- … and {} more\n", list.len() - i);
                    break;
                }
                out.push_str(&line);
            }
            out.push('\n');
        }
    }
    let waived: Vec<&GateFinding> = report.findings.iter().filter(|f| f.level == Level::Waived).collect();
    if !waived.is_empty() {
        let _ = writeln!(
            out,
            "\n### Waivers ({})\n\n| Rule | Where | Reason |\n|---|---|---|",
            waived.len()
        );
        for (i, f) in waived.iter().enumerate() {
            let reason = f.waived.as_ref().map_or("", |w| w.reason.as_str());
            let row = format!(
                "| `{}` | `{}:{}` | {} |\n",
                f.rule_id,
                f.path,
                f.start.line,
                escape(reason)
            );
            if out.len() + row.len() > MAX_CHARS - 500 {
                let _ = writeln!(out, "\n… and {} more waivers", waived.len() - i);
                break;
            }
            out.push_str(&row);
        }
    }
    if !report.notes.is_empty() {
        let _ = writeln!(out, "\n<details><summary>Notes ({})</summary>\n", report.notes.len());
        for n in &report.notes {
            let line = format!("- {}\n", escape(n));
            if out.len() + line.len() > MAX_CHARS - 200 {
                break;
            }
            out.push_str(&line);
        }
        out.push_str("\n</details>\n");
    }
    let _ = write!(
        out,
        "\n<sub>policy `{}` · scope `{}`</sub>\n",
        short_digest(&report.policy_digest),
        scope_name(report)
    );
    out
}

fn header(report: &GateReport, out: &mut String) {
    let icon = match report.verdict.outcome {
        Outcome::Pass => "✅",
        Outcome::Block => "❌",
        Outcome::Error => "⚠️",
    };
    let word = report.verdict.outcome_word();
    let _ = writeln!(
        out,
        "{MARKER}\n## {icon} aigate: {word}\n\n> {}\n",
        escape(&report.verdict.reason)
    );
    let c = &report.change;
    let _ = write!(
        out,
        "**AI share of the change:** {} of {} commits ({}), {} of {} added lines ({})",
        c.ai_commits,
        c.commits,
        percent(c.ai_commits, c.commits),
        c.ai_lines,
        c.added_lines,
        percent(c.ai_lines, c.added_lines)
    );
    if !c.tools.is_empty() {
        let tools: Vec<String> = c.tools.iter().map(|(t, n)| format!("{t} ({n})")).collect();
        let _ = write!(out, " — {}", tools.join(", "));
    }
    let t = &report.totals;
    let _ = writeln!(
        out,
        "\n\n**Findings:** {} blocking · {} warnings · {} waived · {} files checked · `{}`…`{}`",
        t.blocking,
        t.warnings,
        t.waived,
        c.files_checked,
        short(&c.base),
        short(&c.head)
    );
}

fn written_by(f: &GateFinding) -> String {
    match &f.provenance {
        Some(p) if p.ai => {
            let tool = p.tool.as_deref().unwrap_or("AI");
            let model = p.model.as_deref().map(|m| format!(", {m}")).unwrap_or_default();
            let commit = p
                .commit
                .as_deref()
                .map(|c| format!(" in {}", short(c)))
                .unwrap_or_default();
            format!(" — written by {tool}{model}{commit}")
        }
        Some(p) => p
            .commit
            .as_deref()
            .map(|c| format!(" — human, {}", short(c)))
            .unwrap_or_default(),
        None => String::new(),
    }
}

fn scope_name(report: &GateReport) -> String {
    serde_json::to_value(report.scope)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "—".into()
    } else {
        format!("{:.0}%", part as f64 * 100.0 / whole as f64)
    }
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

fn short_digest(d: &str) -> &str {
    d.get(..19).unwrap_or(d)
}

/// Keep user text from breaking tables or opening HTML.
fn escape(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\r', '\n'], " ")
}

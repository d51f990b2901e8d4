//! Inline waivers: `aigate: allow(<rule-id>[, <rule-id>…]) -- <reason>` in a comment on the
//! finding's start line or the line above it.
//!
//! A waiver needs a reason of at least a minimum length; without one the finding stands and the
//! waiver is itself reported (`waiver: invalid`). So is a waiver of a rule whose metadata says
//! `waivable: false`, and a waiver naming a rule that has no finding there (`waiver: unused`).
//! Waived findings are kept, with the reason, so reports and the ledger can show them.
//!
//! Waivers are recognised in the text (not the syntax tree), so that they work for every kind,
//! including on files the prefilter did not parse: the marker must follow a comment opener of
//! the file's language (`//`, `#`, `/*`, or a `*` continuing a block comment) on its line.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::finding::{Finding, Waived};
use super::lang::Lang;
use super::source::LineIndex;
use super::source::Position;

/// The two waiver-hygiene invariants (`waiver: invalid` / `waiver: unused` in a rule file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WaiverHygiene {
    /// A waiver without a (long enough) reason, or of a rule that cannot be waived.
    Invalid,
    /// A waiver that waives nothing.
    Unused,
}

/// One waiver comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    /// Byte offset of the `aigate:` marker in the text.
    pub offset: usize,
    pub start: Position,
    pub end: Position,
    pub ids: Vec<String>,
    /// The text after `--`, trimmed (and without a closing `*/`); `None` when absent or empty.
    pub reason: Option<String>,
}

/// Rule ids are word characters and `-./:@`; anything else in the parentheses (say `<rule-id>`
/// in documentation) means the text is not a waiver.
static MARKER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"aigate:\s*allow\(\s*([\w\-./:@]+(?:\s*,\s*[\w\-./:@]+)*)?\s*,?\s*\)(?:\s*--(.*))?").ok()
});

/// Every waiver in `text`.
pub fn parse(text: &str, lang: Option<Lang>) -> Vec<Waiver> {
    let Some(marker) = MARKER.as_ref() else {
        return Vec::new();
    };
    if memchr::memmem::find(text.as_bytes(), b"aigate:").is_none() {
        return Vec::new();
    }
    let index = LineIndex::new(text);
    let mut out = Vec::new();
    for n in 1..=index.line_count() as u32 {
        let Some(line) = index.line(n) else { continue };
        let Some(caps) = marker.captures(line) else {
            continue;
        };
        let Some(whole) = caps.get(0) else { continue };
        if !in_comment(&line[..whole.start()], lang) {
            continue;
        }
        let ids: Vec<String> = caps
            .get(1)
            .map_or("", |m| m.as_str())
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        let reason = caps.get(2).map(|m| {
            let r = m.as_str().trim();
            let r = r.find("*/").map_or(r, |i| r[..i].trim_end());
            r.trim_end_matches("-->").trim().to_string()
        });
        let col = |byte: usize| line[..byte].chars().count() as u32 + 1;
        let line_start = line.as_ptr() as usize - text.as_ptr() as usize;
        out.push(Waiver {
            offset: line_start + whole.start(),
            start: Position {
                line: n,
                column: col(whole.start()),
            },
            end: Position {
                line: n,
                column: col(line.len()),
            },
            ids,
            reason: reason.filter(|r| !r.is_empty()),
        });
    }
    out
}

fn in_comment(before: &str, lang: Option<Lang>) -> bool {
    let openers: &[&str] = match lang {
        Some(lang) => lang.line_comments(),
        None => &["//", "#"],
    };
    openers.iter().any(|o| before.contains(o)) || before.contains("/*") || before.trim_start().starts_with('*')
}

/// A waiver that is itself a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: WaiverHygiene,
    pub start: Position,
    pub end: Position,
    pub detail: String,
}

/// Applies `waivers` to `findings` (marking the waived ones) and returns the waiver problems.
/// `waivable(rule_id)` says whether a rule may be waived.
pub fn apply(
    findings: &mut [Finding],
    waivers: &[Waiver],
    waivable: &dyn Fn(&str) -> bool,
    min_reason: usize,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let valid: Vec<Result<(), String>> = waivers
        .iter()
        .map(|w| {
            if w.ids.is_empty() {
                return Err("the waiver names no rule: write `aigate: allow(<rule-id>) -- <reason>`".into());
            }
            match &w.reason {
                None => Err(format!(
                    "the waiver of {} gives no reason: add ` -- <why this is acceptable>`",
                    list(&w.ids)
                )),
                Some(r) if r.chars().count() < min_reason => Err(format!(
                    "the waiver of {} gives too short a reason (`{r}`, {} chars; at least {min_reason} needed)",
                    list(&w.ids),
                    r.chars().count()
                )),
                Some(_) => Ok(()),
            }
        })
        .collect();
    let mut addressed: Vec<BTreeSet<String>> = vec![BTreeSet::new(); waivers.len()];
    let mut refused: BTreeSet<(usize, String)> = BTreeSet::new();
    for finding in findings.iter_mut() {
        let line = finding.start.line;
        for (i, w) in waivers.iter().enumerate() {
            let covers = w.start.line == line || w.start.line + 1 == line;
            if !covers || !w.ids.contains(&finding.rule_id) {
                continue;
            }
            addressed[i].insert(finding.rule_id.clone());
            if !waivable(&finding.rule_id) {
                if refused.insert((i, finding.rule_id.clone())) {
                    problems.push(problem(
                        w,
                        WaiverHygiene::Invalid,
                        format!(
                            "`{}` cannot be waived (its metadata says `waivable: false`); fix the code instead",
                            finding.rule_id
                        ),
                    ));
                }
                continue;
            }
            if valid[i].is_ok() && finding.waived.is_none() {
                finding.waived = w.reason.clone().map(|reason| Waived { reason });
            }
        }
    }
    for (i, w) in waivers.iter().enumerate() {
        match &valid[i] {
            Err(why) => problems.push(problem(w, WaiverHygiene::Invalid, why.clone())),
            Ok(()) => {
                for id in w.ids.iter().filter(|id| !addressed[i].contains(*id)) {
                    problems.push(problem(
                        w,
                        WaiverHygiene::Unused,
                        format!("the waiver of `{id}` waives nothing on this line or the next; remove it"),
                    ));
                }
            }
        }
    }
    problems.sort_by(|a, b| (a.start, &a.detail).cmp(&(b.start, &b.detail)));
    problems
}

fn problem(w: &Waiver, kind: WaiverHygiene, detail: String) -> Problem {
    Problem {
        kind,
        start: w.start,
        end: w.end,
        detail,
    }
}

fn list(ids: &[String]) -> String {
    ids.iter().map(|id| format!("`{id}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_line_and_block_comments() {
        let text = "x = 1  # aigate: allow(py/eval, py/exec) -- trusted input from config\n\
                    s = \"aigate: allow(nope) -- not a comment at all\"\n";
        let ws = parse(text, Some(Lang::Python));
        assert_eq!(ws.len(), 1, "{ws:?}");
        assert_eq!(ws[0].ids, ["py/eval", "py/exec"]);
        assert_eq!(ws[0].reason.as_deref(), Some("trusted input from config"));
        assert_eq!(ws[0].start, Position { line: 1, column: 10 });

        let ws = parse("/* aigate: allow(r) -- reason long enough */ foo();", Some(Lang::C));
        assert_eq!(ws[0].reason.as_deref(), Some("reason long enough"));
        let ws = parse("// aigate: allow(r)", Some(Lang::Rust));
        assert_eq!(ws[0].reason, None);
        let ws = parse("// aigate: allow(r) --   ", Some(Lang::Rust));
        assert_eq!(ws[0].reason, None);
        let ws = parse("// aigate: allow() -- no rule named here at all", Some(Lang::Rust));
        assert!(ws[0].ids.is_empty());
        // Documentation of the syntax is not a waiver.
        assert!(
            parse(
                "//! `aigate: allow(<rule-id>[, <rule-id>…]) -- <reason>`",
                Some(Lang::Rust)
            )
            .is_empty()
        );
    }
}

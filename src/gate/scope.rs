//! Scope: which findings of a change count, and how. A finding's lines are looked up in the line
//! origins at head (who wrote each line within the change); findings with no line evidence (a
//! protected path touched, a test deleted) fall back to who touched the file.

use std::collections::HashSet;

use super::model::{Level, LineProvenance, ScopeMode};
use crate::policy::{KindName, Scope, Severity};
use crate::provenance::attribution::FileLines;
use crate::provenance::model::CommitProvenance;

/// What the change says about one file.
pub struct FileEvidence<'a> {
    /// Origins of the file's lines at head; `None` for a file deleted by the change.
    pub lines: Option<&'a FileLines>,
    /// Some commit of the change that touched the file is AI-attributed.
    pub touched_by_ai: bool,
}

/// The decision for one finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scoped {
    /// `None`: not reported (unchanged code outside the scope).
    pub level: Option<Level>,
    pub provenance: Option<LineProvenance>,
}

/// The run scope an invariant's own `metadata.scope` asks for, if any.
pub fn rule_mode(scope: Option<Scope>, run: ScopeMode) -> ScopeMode {
    match scope {
        None => run,
        Some(Scope::Ai) => ScopeMode::AiLines,
        Some(Scope::Changed) => ScopeMode::ChangedLines,
        Some(Scope::All) => ScopeMode::All,
    }
}

/// What the engine said about one finding, as scoping needs it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    pub kind: KindName,
    /// 1-based lines `start..=end` at head.
    pub start: u32,
    pub end: u32,
    pub severity: Severity,
    pub waived: bool,
}

/// Decides how a finding counts under `mode`, blocking at `block_on` and above.
pub fn scope_finding(
    evidence: &FileEvidence<'_>,
    commits: &[CommitProvenance],
    finding: Candidate,
    mode: ScopeMode,
    block_on: Severity,
) -> Scoped {
    let Candidate {
        kind,
        start,
        end,
        severity,
        waived,
    } = finding;
    let origins = evidence.lines.map(|f| f.origins.as_slice()).unwrap_or(&[]);
    let span = origins
        .get(start.saturating_sub(1) as usize..(end as usize).min(origins.len()))
        .unwrap_or(&[]);
    let is_ai = |i: u32| commits.get(i as usize).is_some_and(|c| c.ai);
    // The most telling line: the first AI line of the span, else its first changed line.
    let owner = span
        .iter()
        .flatten()
        .find(|o| is_ai(o.commit))
        .or_else(|| span.iter().flatten().next())
        .map(|o| o.commit);
    // Path rules and removal detectors point at lines the change may not have written.
    let file_level = kind == KindName::Paths || (owner.is_none() && matches!(kind, KindName::Diff | KindName::Rust));
    let (on_ai, on_changed) = match owner {
        Some(c) => (is_ai(c), true),
        None if file_level => (evidence.touched_by_ai, true),
        None => (false, false),
    };
    let in_scope = match mode {
        ScopeMode::AiLines => on_ai,
        ScopeMode::AiFiles => evidence.touched_by_ai,
        ScopeMode::ChangedLines => on_changed,
        ScopeMode::All => true,
    };
    let provenance = match owner.and_then(|c| commits.get(c as usize)) {
        Some(c) => Some(LineProvenance {
            ai: c.ai,
            tool: c.tool.clone(),
            model: c.model.clone(),
            commit: Some(c.sha.clone()),
        }),
        None if file_level => Some(LineProvenance {
            ai: evidence.touched_by_ai,
            tool: None,
            model: None,
            commit: None,
        }),
        None => None,
    };
    let level = if !(in_scope || on_changed) {
        None
    } else if waived {
        Some(Level::Waived)
    } else if in_scope && severity >= block_on {
        Some(Level::Block)
    } else {
        Some(Level::Warn)
    };
    Scoped { level, provenance }
}

/// The paths (at head, or the old path of a deletion) that AI commits of the change touched.
pub type AiTouched = HashSet<String>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::attribution::LineOrigin;
    use crate::provenance::model::Identity;

    fn commit(ai: bool) -> CommitProvenance {
        CommitProvenance {
            sha: if ai { "a".repeat(40) } else { "h".repeat(40) },
            author: Identity {
                name: "x".into(),
                email: "x@example.com".into(),
            },
            ai,
            tool: ai.then(|| "Claude Code".into()),
            model: None,
            signals: Vec::new(),
            trailers: Vec::new(),
        }
    }

    /// Line 1 old, line 2 by the AI commit (0), line 3 by the human commit (1).
    fn file() -> FileLines {
        FileLines {
            path: "a.py".into(),
            binary: false,
            origins: vec![
                None,
                Some(LineOrigin { commit: 0, line: 1 }),
                Some(LineOrigin { commit: 1, line: 2 }),
            ],
        }
    }

    fn level(mode: ScopeMode, kind: KindName, line: u32, touched_by_ai: bool) -> Option<Level> {
        let f = file();
        let evidence = FileEvidence {
            lines: Some(&f),
            touched_by_ai,
        };
        let commits = [commit(true), commit(false)];
        let finding = Candidate {
            kind,
            start: line,
            end: line,
            severity: Severity::Error,
            waived: false,
        };
        scope_finding(&evidence, &commits, finding, mode, Severity::Error).level
    }

    #[test]
    fn each_mode_blocks_warns_or_drops_as_documented() {
        use KindName::Pattern as P;
        use ScopeMode::*;
        // (mode, line) → level: line 1 old, 2 AI, 3 human.
        let table = [
            (AiLines, 1, None),
            (AiLines, 2, Some(Level::Block)),
            (AiLines, 3, Some(Level::Warn)),
            (AiFiles, 1, Some(Level::Block)),
            (AiFiles, 3, Some(Level::Block)),
            (ChangedLines, 1, None),
            (ChangedLines, 3, Some(Level::Block)),
            (All, 1, Some(Level::Block)),
        ];
        for (mode, line, want) in table {
            assert_eq!(level(mode, P, line, true), want, "{mode:?} line {line}");
        }
    }

    #[test]
    fn findings_without_line_evidence_follow_who_touched_the_file() {
        assert_eq!(level(ScopeMode::AiLines, KindName::Paths, 1, true), Some(Level::Block));
        assert_eq!(level(ScopeMode::AiLines, KindName::Paths, 1, false), Some(Level::Warn));
        assert_eq!(level(ScopeMode::AiLines, KindName::Diff, 1, true), Some(Level::Block));
        // A pattern finding on an old line is not the change's doing.
        assert_eq!(level(ScopeMode::AiLines, KindName::Pattern, 1, true), None);
    }

    #[test]
    fn below_the_block_level_warns_and_waived_stays_waived() {
        let f = file();
        let evidence = FileEvidence {
            lines: Some(&f),
            touched_by_ai: true,
        };
        let commits = [commit(true), commit(false)];
        let run = |severity, waived| {
            let finding = Candidate {
                kind: KindName::Pattern,
                start: 2,
                end: 2,
                severity,
                waived,
            };
            scope_finding(&evidence, &commits, finding, ScopeMode::AiLines, Severity::Error)
        };
        assert_eq!(run(Severity::Warning, false).level, Some(Level::Warn));
        let waived = run(Severity::Error, true);
        assert_eq!(waived.level, Some(Level::Waived));
        assert_eq!(waived.provenance.and_then(|p| p.tool).as_deref(), Some("Claude Code"));
    }
}

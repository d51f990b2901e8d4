//! The gate's result: plain data that every reporter reads and `aigate check --format json`
//! prints as is. Reporters never go back to git or the engine: everything they show is here.

use serde::{Deserialize, Serialize};

/// How bad a finding is, as the rule declares it (ast-grep's levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Hint,
    Info,
    Warning,
    Error,
}

/// The decision of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The change may merge.
    Pass,
    /// At least one unwaived blocking finding is in scope.
    Block,
    /// The gate could not decide (bad input, internal error).
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub outcome: Outcome,
    /// One sentence: why this outcome.
    pub reason: String,
    /// The process exit code: 0 pass, 1 block, 2 error (0 with `--fail-open`).
    pub exit_code: u8,
}

/// Which findings of a change count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScopeMode {
    /// Findings on lines AI commits of the change wrote block; on other changed lines they warn.
    #[default]
    AiLines,
    /// Findings anywhere in a file an AI commit touched block.
    AiFiles,
    /// Findings on any changed line block, whoever wrote it.
    ChangedLines,
    /// Every finding in the changed files blocks, changed or not.
    All,
}

/// How a finding counts in this run, after scope and waivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// In scope, unwaived, at or above the block level: fails the gate.
    Block,
    /// Reported, does not block (out of scope, or below the block level).
    Warn,
    /// Waived with a reason.
    Waived,
}

/// Who wrote the line a finding starts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineProvenance {
    pub ai: bool,
    pub tool: Option<String>,
    pub model: Option<String>,
    /// The commit of the change that last wrote the line; `None` for lines older than the change.
    pub commit: Option<String>,
}

/// 1-based line and column (columns in chars).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Point {
    pub line: u32,
    pub column: u32,
}

/// A suggested replacement for the finding's span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub start: Point,
    pub end: Point,
    pub replacement: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waived {
    pub reason: String,
}

/// One finding of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateFinding {
    pub rule_id: String,
    pub severity: Severity,
    pub level: Level,
    pub message: String,
    pub path: String,
    pub start: Point,
    pub end: Point,
    /// The source lines the finding spans at head (for snippets and stable fingerprints).
    pub snippet: String,
    pub waived: Option<Waived>,
    pub provenance: Option<LineProvenance>,
    pub fix: Option<Fix>,
}

/// What reporters need to describe a rule (SARIF `rules`, `aigate rules explain`-like help).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInfo {
    pub id: String,
    pub severity: Severity,
    pub message: String,
    pub note: Option<String>,
    pub rationale: Option<String>,
    pub pack: Option<String>,
    pub kind: String,
    pub url: Option<String>,
    /// Security rules carry a CVSS-like score (e.g. `"8.8"`) for GitHub code scanning (`security-severity`).
    pub security_severity: Option<String>,
}

/// The AI share of a change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSummary {
    pub base: String,
    pub head: String,
    pub commits: usize,
    pub ai_commits: usize,
    pub added_lines: usize,
    pub ai_lines: usize,
    /// AI tools seen in the change, with their commit counts.
    pub tools: Vec<(String, usize)>,
    pub files_checked: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub findings: usize,
    pub blocking: usize,
    pub warnings: usize,
    pub waived: usize,
}

/// Everything one `aigate check` run decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateReport {
    pub verdict: Verdict,
    pub policy_digest: String,
    pub scope: ScopeMode,
    pub change: ChangeSummary,
    pub rules: Vec<RuleInfo>,
    pub findings: Vec<GateFinding>,
    pub totals: Totals,
    /// Things the run wants a reader to know (skipped files, ignored policy settings, truncation).
    pub notes: Vec<String>,
}

impl Verdict {
    /// `passed`, `blocked` or `could not decide`, for one-line summaries.
    pub fn outcome_word(&self) -> &'static str {
        match self.outcome {
            Outcome::Pass => "passed",
            Outcome::Block => "blocked",
            Outcome::Error => "could not decide",
        }
    }
}

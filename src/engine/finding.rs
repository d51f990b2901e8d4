//! Findings: one invariant violated at one location, with its waiver (if any) and fix (if any).

use serde::{Deserialize, Serialize};

use super::source::Position;
use crate::policy::Severity;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub message: String,
    pub path: String,
    pub start: Position,
    pub end: Position,
    /// `null` unless an inline waiver with a reason exempts this finding.
    pub waived: Option<Waived>,
    /// The rule's fix for this occurrence, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

impl Finding {
    /// Whether this finding blocks: an unwaived finding at error severity.
    pub fn blocks(&self) -> bool {
        self.waived.is_none() && self.severity == Severity::Error
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waived {
    pub reason: String,
}

/// A replacement of the text between `start` and `end` (what SARIF `fixes` carry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub start: Position,
    pub end: Position,
    pub replacement: String,
}

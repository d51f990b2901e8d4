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

/// Byte offset → line/column for one text, in O(log lines) per lookup.
pub(crate) struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { text, starts }
    }

    pub(crate) fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let column = self.text[self.starts[line]..offset].chars().count() + 1;
        Position {
            line: line as u32 + 1,
            column: column as u32,
        }
    }

    /// The text of a 1-based line, without its newline.
    pub(crate) fn line(&self, line: u32) -> Option<&'t str> {
        let i = (line as usize).checked_sub(1)?;
        let start = *self.starts.get(i)?;
        let end = self.starts.get(i + 1).map_or(self.text.len(), |&e| e - 1);
        Some(self.text[start..end.max(start)].trim_end_matches('\r'))
    }

    pub(crate) fn line_count(&self) -> usize {
        self.starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_agrees_with_position_at_byte() {
        let text = "ab\nçd\r\n\nxyz";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() + 2 {
            assert_eq!(
                index.position(offset),
                Position::at_byte(text, offset),
                "offset {offset}"
            );
        }
        assert_eq!(index.line(2), Some("çd"));
        assert_eq!(index.line(3), Some(""));
        assert_eq!(index.line(4), Some("xyz"));
        assert_eq!(index.line(5), None);
    }
}

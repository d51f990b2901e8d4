//! The plain data every invariant kind works on: a file's text (at head, and at base for the
//! kinds that compare), and the span a kind reports. Shared by all kinds so that the engine can
//! run them in one pass per file.

use serde::{Deserialize, Serialize};

use super::lang::Lang;

/// One version of a file.
#[derive(Debug, Clone, Copy)]
pub struct SourceFile<'a> {
    /// Path relative to the scan root or repository root, `/`-separated.
    pub path: &'a str,
    pub lang: Option<Lang>,
    pub text: &'a str,
}

/// 1-based line and column; columns count Unicode scalar values (chars), as editors do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl Position {
    /// The position of byte `offset` in `text` (clamped to the text, and to a char boundary).
    pub fn at_byte(text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let column = before[line_start..].chars().count() + 1;
        Position {
            line: line as u32,
            column: column as u32,
        }
    }
}

/// What one invariant kind reports at one place; the engine turns it into a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub start: Position,
    pub end: Position,
    /// Detail for this occurrence (e.g. which import, which secret format), added to the rule's message.
    pub detail: Option<String>,
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
    fn positions_count_lines_and_chars() {
        let text = "ab\nçd\n";
        assert_eq!(Position::at_byte(text, 0), Position { line: 1, column: 1 });
        assert_eq!(Position::at_byte(text, 3), Position { line: 2, column: 1 });
        // 'd' is after the two-byte 'ç': byte 5, char column 2.
        assert_eq!(Position::at_byte(text, 5), Position { line: 2, column: 2 });
        // Inside a multi-byte char: clamped back to its start.
        assert_eq!(Position::at_byte(text, 4), Position { line: 2, column: 1 });
        assert_eq!(Position::at_byte(text, 999), Position { line: 3, column: 1 });
    }

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

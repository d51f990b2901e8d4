//! Which lines of the head file a change added. "Added" is by content, not by position: a line
//! that was deleted in one place and inserted in another (a move, a re-indent) is not added.

use std::collections::HashMap;
use std::time::Duration;

use similar::{Algorithm, ChangeTag, TextDiff};

/// A set of 1-based head line numbers that the change added.
pub(crate) struct AddedLines {
    added: Vec<bool>,
}

impl AddedLines {
    /// Compares `base` (None: an empty file, so everything is added) with `head`.
    pub(crate) fn between(base: Option<&str>, head: &str) -> AddedLines {
        let count = head.split('\n').count();
        let Some(base) = base else {
            return AddedLines {
                added: vec![true; count + 1],
            };
        };
        let mut added = vec![false; count + 1];
        // Big files: the diff gives up after the deadline and degrades to a coarser (still correct) diff.
        let diff = TextDiff::configure()
            .algorithm(Algorithm::Myers)
            .timeout(Duration::from_secs(2))
            .diff_lines(base, head);
        let mut removed: HashMap<&str, usize> = HashMap::new();
        let mut inserted = Vec::new();
        for change in diff.iter_all_changes() {
            match change.tag() {
                ChangeTag::Delete => *removed.entry(change.value().trim()).or_default() += 1,
                ChangeTag::Insert => {
                    if let Some(index) = change.new_index() {
                        inserted.push((index, change.value().trim()));
                    }
                }
                ChangeTag::Equal => {}
            }
        }
        for (index, content) in inserted {
            match removed.get_mut(content) {
                Some(n) if *n > 0 => *n -= 1,
                _ => {
                    if let Some(slot) = added.get_mut(index + 1) {
                        *slot = true;
                    }
                }
            }
        }
        AddedLines { added }
    }

    pub(crate) fn contains(&self, line: u32) -> bool {
        self.added.get(line as usize).copied().unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserted_lines_are_added_and_moved_lines_are_not() {
        let base = "a\nb\nc\n";
        let head = "b\nx\nc\n    a\n";
        let added = AddedLines::between(Some(base), head);
        assert!(added.contains(2), "x is new");
        assert!(!added.contains(1) && !added.contains(3));
        assert!(!added.contains(4), "a moved and re-indented");
        assert!(AddedLines::between(None, head).contains(4));
    }
}

//! Tree diffs (with git's rename detection) and line diffs with hunks.
//!
//! Conventions, kept consistent everywhere in aigate:
//! - Lines are split on `\n`; the `\n` belongs to its line, a `\r` before it stays in the line text, and a
//!   last line without `\n` is still a line (so `a\r\nb` is two lines, `a\r\n` and `b`).
//! - A blob is binary when its first 8000 bytes contain a NUL byte (git's own rule); binary files get no hunks.
//! - Symlinks are text: their content is the link target, one line without a newline, as `git diff` and
//!   `git blame` show it.
//! - Submodules (gitlinks) are reported as changed, with no content and no hunks.
//! - Line diffs use Myers with git's indent heuristic for sliders, the algorithm `git diff`/`git blame` use by
//!   default, so hunks agree with what reviewers see.

use std::ops::Range;

use bstr::{BString, ByteSlice};
use gix::diff::blob::{Algorithm, InternedInput, diff_with_slider_heuristics};
use gix::object::tree::EntryMode;

use super::{CommitInfo, GitError, ObjectId, Repo};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeStatus {
    Added,
    Modified,
    Deleted,
    /// Renamed by git's rename detection (50% similarity), possibly with edits.
    Renamed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular or executable file.
    File,
    /// A symbolic link: its content is the target path.
    Symlink,
    /// A gitlink: a commit of another repository, no content here.
    Submodule,
}

impl EntryKind {
    fn of(mode: EntryMode) -> Option<Self> {
        if mode.is_link() {
            Some(EntryKind::Symlink)
        } else if mode.is_commit() {
            Some(EntryKind::Submodule)
        } else if mode.is_blob() {
            Some(EntryKind::File)
        } else {
            None // trees: their files are reported one by one
        }
    }

    /// Whether the entry has line content (files and symlinks).
    pub fn has_content(self) -> bool {
        self != EntryKind::Submodule
    }
}

/// One changed path between two trees, without content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeChange {
    pub status: ChangeStatus,
    /// Path in the old tree (`None` when added).
    pub old_path: Option<BString>,
    /// Path in the new tree (`None` when deleted).
    pub new_path: Option<BString>,
    pub old_id: Option<ObjectId>,
    pub new_id: Option<ObjectId>,
    pub old_kind: Option<EntryKind>,
    pub new_kind: Option<EntryKind>,
}

impl TreeChange {
    /// The path to show: the new path, or the old one for deletions (lossy UTF-8).
    pub fn display_path(&self) -> String {
        self.new_path
            .as_ref()
            .or(self.old_path.as_ref())
            .map(|p| p.to_str_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// A changed region: `old` lines of the old version replaced by `new` lines of the new version
/// (0-based, half-open; an empty range is a pure insertion or deletion at that position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub old: Range<u32>,
    pub new: Range<u32>,
}

/// One changed path with its line hunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub change: TreeChange,
    /// Either side is binary: no hunks.
    pub binary: bool,
    pub hunks: Vec<Hunk>,
}

/// git's binary rule: a NUL byte in the first 8000 bytes.
pub fn is_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(8000)]).is_some()
}

/// The lines of `data`, each with its `\n` (see the module docs).
pub fn split_lines(data: &[u8]) -> Vec<&[u8]> {
    data.split_inclusive(|b| *b == b'\n').collect()
}

/// The hunks turning `old` into `new`, line by line (Myers with git's indent heuristic).
pub fn diff_lines(old: &[u8], new: &[u8]) -> Vec<Hunk> {
    let input = InternedInput::new(old, new);
    let diff = diff_with_slider_heuristics(Algorithm::Myers, &input);
    diff.hunks()
        .map(|h| Hunk {
            old: h.before,
            new: h.after,
        })
        .collect()
}

impl Repo {
    /// The changed paths from tree `old` (`None`: the empty tree) to tree `new`, renames detected as git does
    /// by default (50% similarity, no copies). Sorted by path for determinism.
    pub fn tree_changes(&self, old: Option<ObjectId>, new: ObjectId) -> Result<Vec<TreeChange>, GitError> {
        let find = |id: ObjectId| {
            self.repo
                .find_tree(id)
                .map_err(|err| self.missing(id, format!("reading tree: {err}")))
        };
        let new_tree = find(new)?;
        let old_tree = old.map(find).transpose()?;
        let options = gix::diff::Options::default().with_rewrites(Some(gix::diff::Rewrites::default()));
        let changes = self
            .repo
            .diff_tree_to_tree(old_tree.as_ref(), Some(&new_tree), Some(options))
            .map_err(|err| self.read_or_shallow(format!("diffing trees {} and {new}", fmt_opt(old)), err))?;
        let mut out: Vec<TreeChange> = changes.into_iter().filter_map(convert).collect();
        out.sort_by(|a, b| {
            (a.new_path.as_ref().or(a.old_path.as_ref())).cmp(&b.new_path.as_ref().or(b.old_path.as_ref()))
        });
        Ok(out)
    }

    /// The changes of `commit` against its first parent (a root commit against the empty tree), with hunks.
    pub fn diff_commit(&self, commit: &CommitInfo) -> Result<Vec<FileChange>, GitError> {
        let parent_tree = match commit.parents.first() {
            Some(parent) => Some(self.commit(*parent)?.tree),
            None => None,
        };
        self.diff_trees(parent_tree, commit.tree)
    }

    /// The changes from tree `old` (`None`: empty) to tree `new`, with hunks for text content.
    pub fn diff_trees(&self, old: Option<ObjectId>, new: ObjectId) -> Result<Vec<FileChange>, GitError> {
        let mut out = Vec::new();
        for change in self.tree_changes(old, new)? {
            let old_data = self.content(change.old_id, change.old_kind)?;
            let new_data = self.content(change.new_id, change.new_kind)?;
            let binary = old_data.as_deref().is_some_and(is_binary) || new_data.as_deref().is_some_and(is_binary);
            let has_content = old_data.is_some() || new_data.is_some();
            let hunks = if binary || !has_content {
                Vec::new()
            } else {
                diff_lines(
                    old_data.as_deref().unwrap_or_default(),
                    new_data.as_deref().unwrap_or_default(),
                )
            };
            out.push(FileChange { change, binary, hunks });
        }
        Ok(out)
    }

    /// The content of a blob or symlink entry; `None` for submodules and absent sides.
    pub(crate) fn content(&self, id: Option<ObjectId>, kind: Option<EntryKind>) -> Result<Option<Vec<u8>>, GitError> {
        match (id, kind) {
            (Some(id), Some(kind)) if kind.has_content() => Ok(Some(self.blob(id)?)),
            _ => Ok(None),
        }
    }

    fn read_or_shallow(&self, context: String, err: impl std::fmt::Display) -> GitError {
        if self.is_shallow() {
            GitError::Shallow {
                what: format!("{context}: {err}"),
            }
        } else {
            GitError::read(context, err)
        }
    }
}

fn fmt_opt(id: Option<ObjectId>) -> String {
    id.map_or_else(|| "(empty)".to_owned(), |id| id.to_string())
}

fn convert(change: gix::object::tree::diff::ChangeDetached) -> Option<TreeChange> {
    use gix::object::tree::diff::ChangeDetached as C;
    Some(match change {
        C::Addition {
            location,
            entry_mode,
            id,
            ..
        } => TreeChange {
            status: ChangeStatus::Added,
            old_path: None,
            new_path: Some(location),
            old_id: None,
            new_id: Some(id),
            old_kind: None,
            new_kind: Some(EntryKind::of(entry_mode)?),
        },
        C::Deletion {
            location,
            entry_mode,
            id,
            ..
        } => TreeChange {
            status: ChangeStatus::Deleted,
            old_path: Some(location),
            new_path: None,
            old_id: Some(id),
            new_id: None,
            old_kind: Some(EntryKind::of(entry_mode)?),
            new_kind: None,
        },
        C::Modification {
            location,
            previous_entry_mode,
            previous_id,
            entry_mode,
            id,
        } => {
            let (old_kind, new_kind) = (EntryKind::of(previous_entry_mode), EntryKind::of(entry_mode));
            // A tree turning into a file (or back) is an addition (or deletion) of the file.
            let status = match (old_kind, new_kind) {
                (None, None) => return None,
                (None, Some(_)) => ChangeStatus::Added,
                (Some(_), None) => ChangeStatus::Deleted,
                _ => ChangeStatus::Modified,
            };
            TreeChange {
                status,
                old_path: old_kind.map(|_| location.clone()),
                new_path: new_kind.map(|_| location),
                old_id: old_kind.map(|_| previous_id),
                new_id: new_kind.map(|_| id),
                old_kind,
                new_kind,
            }
        }
        C::Rewrite {
            source_location,
            source_entry_mode,
            source_id,
            entry_mode,
            id,
            location,
            copy,
            ..
        } => TreeChange {
            status: if copy {
                ChangeStatus::Added
            } else {
                ChangeStatus::Renamed
            },
            old_path: (!copy).then_some(source_location),
            new_path: Some(location),
            old_id: (!copy).then_some(source_id),
            new_id: Some(id),
            old_kind: if copy {
                None
            } else {
                Some(EntryKind::of(source_entry_mode)?)
            },
            new_kind: Some(EntryKind::of(entry_mode)?),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_terminators_and_carriage_returns() {
        assert_eq!(split_lines(b"a\r\nb"), vec![&b"a\r\n"[..], &b"b"[..]]);
        assert_eq!(split_lines(b""), Vec::<&[u8]>::new());
        assert_eq!(split_lines(b"x\n\n"), vec![&b"x\n"[..], &b"\n"[..]]);
    }

    #[test]
    fn binary_is_a_nul_in_the_first_8000_bytes() {
        assert!(is_binary(b"PNG\0\x01"));
        assert!(!is_binary(b"plain text\n"));
        let mut late = vec![b'a'; 8000];
        late.push(0);
        assert!(!is_binary(&late));
    }

    #[test]
    fn hunks_are_zero_based_half_open() {
        let hunks = diff_lines(b"a\nb\nc\n", b"a\nB\nc\nd\n");
        assert_eq!(
            hunks,
            vec![Hunk { old: 1..2, new: 1..2 }, Hunk { old: 3..3, new: 3..4 }]
        );
        // A missing final newline changes the last line, as in git.
        assert_eq!(diff_lines(b"a\nb", b"a\nb\n"), vec![Hunk { old: 1..2, new: 1..2 }]);
    }
}

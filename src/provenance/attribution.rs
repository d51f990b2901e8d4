//! Line attribution: which commit of a change wrote each line at head.
//!
//! The answer is `git blame base..head -- path` for every changed file, computed forwards instead of backwards:
//! commits are visited parents-first and each keeps, for the paths the change touched so far, the origin of every
//! line (the commit that wrote it, and the line number in that commit's version). A commit inherits its first
//! parent's map and recomputes only the paths its tree diff touches, with git blame's rules:
//!
//! - a parent holding the identical blob (first such parent) gives all its lines;
//! - otherwise, parent by parent, the lines a line diff (Myers with git's indent heuristic, git's default) says
//!   are unchanged take the parent's origin, and the rest are the commit's own;
//! - a path missing in a parent is followed through git's rename detection (50% similarity), as blame does;
//! - lines of versions outside the change (the base and older) belong to the boundary (`None`).
//!
//! The work is one tree diff per commit and parent plus one line diff per touched file, so the cost follows the
//! size of the change, never the length of the history. Binary files get no lines; submodules have no content.
//! While propagating, the same diffs reveal human commits rewriting lines of chosen (AI) commits: the raw
//! material of corrections (see [`super::corrections`]).

use std::collections::HashMap;
use std::rc::Rc;

use bstr::{BString, ByteSlice};

use crate::git::{
    ChangeStatus, EntryKind, GitError, Hunk, ObjectId, Range, Repo, TreeChange, diff_lines, is_binary, split_lines,
};

/// Where a line came from: a commit of the change (index into [`Range::commits`]) and its 0-based line
/// number in that commit's version of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineOrigin {
    pub commit: u32,
    pub line: u32,
}

/// The origin of each line of one file version; `None` is the boundary (written before the change).
#[derive(Debug, Default)]
struct FileState {
    origins: Vec<Option<LineOrigin>>,
    binary: bool,
}

/// The file versions of one commit that the change touched; a path not present is wholly boundary.
type State = HashMap<BString, Rc<FileState>>;

/// A changed file at head with the origin of each of its lines.
#[derive(Debug, Clone)]
pub struct FileLines {
    pub path: BString,
    /// Binary files have no lines.
    pub binary: bool,
    pub origins: Vec<Option<LineOrigin>>,
}

impl FileLines {
    /// Display path (lossy UTF-8).
    pub fn display_path(&self) -> String {
        self.path.to_str_lossy().into_owned()
    }

    /// 1-based inclusive ranges of the lines whose origin satisfies `keep`, sorted and merged.
    pub fn ranges(&self, keep: impl Fn(LineOrigin) -> bool) -> Vec<[u32; 2]> {
        let mut out: Vec<[u32; 2]> = Vec::new();
        for (idx, origin) in self.origins.iter().enumerate() {
            if !origin.is_some_and(&keep) {
                continue;
            }
            let line = idx as u32 + 1;
            match out.last_mut() {
                Some(last) if last[1] + 1 == line => last[1] = line,
                _ => out.push([line, line]),
            }
        }
        out
    }
}

/// A hunk of a non-merge commit that removed or replaced lines owned by tracked commits.
#[derive(Debug, Clone)]
pub struct Rewrite {
    /// The rewriting commit (index into [`Range::commits`]).
    pub commit: u32,
    /// The path in the rewriting commit (the old path when it deleted the file).
    pub path: BString,
    /// The hunk, against the rewriting commit's first parent.
    pub hunk: Hunk,
    /// The removed lines (`hunk.old`) with their origins.
    pub old_lines: Vec<(BString, Option<LineOrigin>)>,
    /// The added lines (`hunk.new`).
    pub new_lines: Vec<BString>,
}

/// Attribution of a whole change.
#[derive(Debug, Clone, Default)]
pub struct Attribution {
    /// The files changed by the change that exist at head, sorted by path.
    pub files: Vec<FileLines>,
    /// Rewrites of tracked lines by untracked commits, in commit order.
    pub rewrites: Vec<Rewrite>,
}

/// Attributes every line at head of the files the change touched. `tracked(i)` marks the commits (indices into
/// `range.commits`) whose lines, when a non-tracked, non-merge commit rewrites them, are reported as
/// [`Rewrite`]s (provenance passes the AI commits).
pub fn attribute(repo: &Repo, range: &Range, tracked: &dyn Fn(u32) -> bool) -> Result<Attribution, GitError> {
    let index: HashMap<ObjectId, u32> = range
        .commits
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i as u32))
        .collect();
    // Keep a commit's state only until its last child in the range has been processed.
    let mut pending_children = vec![0u32; range.commits.len()];
    for commit in &range.commits {
        for parent in &commit.parents {
            if let Some(&p) = index.get(parent) {
                pending_children[p as usize] += 1;
            }
        }
    }
    let mut states: Vec<Option<Rc<State>>> = vec![None; range.commits.len()];
    let empty: Rc<State> = Rc::default();
    let mut rewrites = Vec::new();

    for (i, commit) in range.commits.iter().enumerate() {
        let i = i as u32;
        let parent_states: Vec<Rc<State>> = commit
            .parents
            .iter()
            .map(|p| {
                index
                    .get(p)
                    .and_then(|&p| states[p as usize].clone())
                    .unwrap_or_else(|| empty.clone())
            })
            .collect();
        let parent_trees: Vec<ObjectId> = commit
            .parents
            .iter()
            .map(|p| repo.commit(*p).map(|c| c.tree))
            .collect::<Result<_, _>>()?;

        let mut step = Step {
            repo,
            commit: i,
            parents: &parent_trees,
            parent_states: &parent_states,
            tree: commit.tree,
            diffs: HashMap::new(),
        };
        let changes = step.changes(0)?;
        let mut state: State = parent_states.first().map(|s| (**s).clone()).unwrap_or_default();
        let mut updates = Vec::new();
        for change in changes.changes.iter() {
            if let Some(old) = &change.old_path
                && change.status != ChangeStatus::Modified
            {
                state.remove(old);
            }
            if let (Some(path), Some(id), Some(kind)) = (&change.new_path, change.new_id, change.new_kind)
                && kind.has_content()
            {
                updates.push((path.clone(), step.file_state(path, id)?));
            } else if let Some(path) = &change.new_path {
                state.remove(path); // a submodule now: no lines
            }
            if commit.parents.len() <= 1 && !tracked(i) {
                let new_state = updates
                    .last()
                    .filter(|(p, _)| Some(p) == change.new_path.as_ref())
                    .map(|(_, s)| s.clone());
                step.rewrites_of(change, new_state.as_deref(), tracked, &mut rewrites)?;
            }
        }
        for (path, file) in updates {
            state.insert(path, file);
        }
        states[i as usize] = Some(Rc::new(state));
        for parent in &commit.parents {
            if let Some(&p) = index.get(parent) {
                pending_children[p as usize] -= 1;
                if pending_children[p as usize] == 0 && p != i {
                    states[p as usize] = None;
                }
            }
        }
    }

    let head_state = range
        .commits
        .last()
        .and_then(|c| index.get(&c.id))
        .and_then(|&i| states[i as usize].clone());
    let files = head_files(repo, range, head_state.as_deref())?;
    Ok(Attribution { files, rewrites })
}

/// The files at head the change touched: those differing from the merge-base of base and head (what a pull
/// request shows), plus any whose lines the change wrote even if a later commit restored the old text.
fn head_files(repo: &Repo, range: &Range, head_state: Option<&State>) -> Result<Vec<FileLines>, GitError> {
    let head_tree = repo.commit(range.head)?.tree;
    let base_tree = match range.base {
        Some(base) => {
            let fork = repo.merge_base(base, range.head)?.unwrap_or(base);
            Some(repo.commit(fork)?.tree)
        }
        None => None,
    };
    let mut paths: Vec<BString> = repo
        .tree_changes(base_tree, head_tree)?
        .into_iter()
        .filter(|c| c.new_kind.is_some_and(EntryKind::has_content))
        .filter_map(|c| c.new_path)
        .collect();
    if let Some(state) = head_state {
        paths.extend(
            state
                .iter()
                .filter(|(_, f)| f.origins.iter().any(Option::is_some))
                .map(|(p, _)| p.clone()),
        );
    }
    paths.sort();
    paths.dedup();
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let file = head_state.and_then(|s| s.get(&path));
        let (origins, binary) = match file {
            Some(f) => (if f.binary { Vec::new() } else { f.origins.clone() }, f.binary),
            // Differs from the fork point yet no commit of the change wrote it: all boundary.
            None => match repo.blob_at_commit(range.head, path.as_bstr())? {
                Some(data) if is_binary(&data) => (Vec::new(), true),
                Some(data) => (vec![None; split_lines(&data).len()], false),
                None => continue,
            },
        };
        files.push(FileLines { path, binary, origins });
    }
    Ok(files)
}

/// The work on one commit: its tree diffs against each parent, computed lazily.
struct Step<'a> {
    repo: &'a Repo,
    commit: u32,
    parents: &'a [ObjectId],
    parent_states: &'a [Rc<State>],
    tree: ObjectId,
    diffs: HashMap<usize, Rc<ParentDiff>>,
}

/// The tree changes from one parent, indexed by new path (merges can change thousands of paths).
struct ParentDiff {
    changes: Vec<TreeChange>,
    by_new_path: HashMap<BString, usize>,
}

impl Step<'_> {
    /// Tree changes from parent `j` (the empty tree for a root commit) to this commit.
    fn changes(&mut self, j: usize) -> Result<Rc<ParentDiff>, GitError> {
        if let Some(diff) = self.diffs.get(&j) {
            return Ok(diff.clone());
        }
        let changes = self.repo.tree_changes(self.parents.get(j).copied(), self.tree)?;
        let by_new_path = changes
            .iter()
            .enumerate()
            .filter_map(|(i, c)| Some((c.new_path.clone()?, i)))
            .collect();
        let diff = Rc::new(ParentDiff { changes, by_new_path });
        self.diffs.insert(j, diff.clone());
        Ok(diff)
    }

    /// Where parent `j` holds the content of `path`: `(path in parent, blob)`, following renames; `None` when the
    /// parent has no such file (added, or it was not a file there).
    fn source_in_parent(
        &mut self,
        j: usize,
        path: &BString,
        id: ObjectId,
    ) -> Result<Option<(BString, ObjectId)>, GitError> {
        let diff = self.changes(j)?;
        let Some(change) = diff.by_new_path.get(path).map(|&i| &diff.changes[i]) else {
            return Ok(Some((path.clone(), id))); // unchanged in this parent
        };
        Ok(match (change.status, &change.old_path, change.old_id) {
            // A type change (file ↔ symlink ↔ submodule) starts afresh, as in git blame.
            (ChangeStatus::Modified, Some(old), Some(old_id)) if change.old_kind == change.new_kind => {
                Some((old.clone(), old_id))
            }
            (ChangeStatus::Renamed, Some(old), Some(old_id)) => Some((old.clone(), old_id)),
            _ => None,
        })
    }

    /// The origins of the lines of `path` (blob `id`) in this commit, by git blame's rules.
    fn file_state(&mut self, path: &BString, id: ObjectId) -> Result<Rc<FileState>, GitError> {
        let parents = self.parents.len().max(1);
        let mut sources = Vec::with_capacity(parents);
        for j in 0..self.parents.len() {
            sources.push(self.source_in_parent(j, path, id)?);
        }
        // A parent with the identical blob passes all of it.
        for (j, source) in sources.iter().enumerate() {
            if let Some((ppath, pid)) = source
                && *pid == id
            {
                return Ok(match self.parent_states[j].get(ppath) {
                    Some(state) => state.clone(),
                    None => Rc::new(self.boundary_state(id)?),
                });
            }
        }
        let data = self.repo.blob(id)?;
        if is_binary(&data) {
            return Ok(Rc::new(FileState {
                origins: Vec::new(),
                binary: true,
            }));
        }
        let mut origins: Vec<Option<Option<LineOrigin>>> = vec![None; split_lines(&data).len()];
        for (j, source) in sources.iter().enumerate() {
            let Some((ppath, pid)) = source else { continue };
            let pdata = self.repo.blob(*pid)?;
            if is_binary(&pdata) {
                continue;
            }
            let pstate = self.parent_states[j].get(ppath);
            let parent_origin = |line: u32| pstate.and_then(|s| s.origins.get(line as usize).copied().flatten());
            for_each_unchanged(
                &diff_lines(&pdata, &data),
                split_lines(&pdata).len() as u32,
                |old, new| {
                    let slot = &mut origins[new as usize];
                    if slot.is_none() {
                        *slot = Some(parent_origin(old));
                    }
                },
            );
        }
        let origins = origins
            .into_iter()
            .enumerate()
            .map(|(line, o)| {
                o.unwrap_or(Some(LineOrigin {
                    commit: self.commit,
                    line: line as u32,
                }))
            })
            .collect();
        Ok(Rc::new(FileState { origins, binary: false }))
    }

    fn boundary_state(&self, id: ObjectId) -> Result<FileState, GitError> {
        let data = self.repo.blob(id)?;
        Ok(if is_binary(&data) {
            FileState {
                origins: Vec::new(),
                binary: true,
            }
        } else {
            FileState {
                origins: vec![None; split_lines(&data).len()],
                binary: false,
            }
        })
    }

    /// Records the hunks of `change` (against the first parent) that remove lines owned by tracked commits.
    fn rewrites_of(
        &mut self,
        change: &TreeChange,
        new_state: Option<&FileState>,
        tracked: &dyn Fn(u32) -> bool,
        out: &mut Vec<Rewrite>,
    ) -> Result<(), GitError> {
        let (Some(old_path), Some(old_id)) = (&change.old_path, change.old_id) else {
            return Ok(());
        };
        let Some(old_state) = self.parent_states.first().and_then(|s| s.get(old_path)) else {
            return Ok(());
        };
        if old_state.binary || new_state.is_some_and(|s| s.binary) {
            return Ok(());
        }
        let owned = |o: &Option<LineOrigin>| o.is_some_and(|o| tracked(o.commit));
        if !old_state.origins.iter().any(owned) {
            return Ok(());
        }
        let old_data = self.repo.blob(old_id)?;
        let new_data = match (change.new_id, change.new_kind) {
            (Some(id), Some(kind)) if kind.has_content() => self.repo.blob(id)?,
            _ => Vec::new(),
        };
        let (old_lines, new_lines) = (split_lines(&old_data), split_lines(&new_data));
        for hunk in diff_lines(&old_data, &new_data) {
            let removed =
                &old_state.origins[hunk.old.start as usize..(hunk.old.end as usize).min(old_state.origins.len())];
            if !removed.iter().any(owned) {
                continue;
            }
            out.push(Rewrite {
                commit: self.commit,
                path: change.new_path.clone().unwrap_or_else(|| old_path.clone()),
                old_lines: hunk
                    .old
                    .clone()
                    .filter_map(|l| {
                        Some((
                            BString::from(*old_lines.get(l as usize)?),
                            old_state.origins.get(l as usize).copied().flatten(),
                        ))
                    })
                    .collect(),
                new_lines: hunk
                    .new
                    .clone()
                    .filter_map(|l| new_lines.get(l as usize).map(|t| BString::from(*t)))
                    .collect(),
                hunk,
            });
        }
        Ok(())
    }
}

/// Calls `f(old, new)` for every line pair the hunks leave unchanged.
fn for_each_unchanged(hunks: &[Hunk], old_len: u32, mut f: impl FnMut(u32, u32)) {
    let (mut old, mut new) = (0u32, 0u32);
    for hunk in hunks {
        while old < hunk.old.start {
            f(old, new);
            old += 1;
            new += 1;
        }
        old = hunk.old.end;
        new = hunk.new.end;
    }
    while old < old_len {
        f(old, new);
        old += 1;
        new += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_lines_pair_up_around_hunks() {
        let mut pairs = Vec::new();
        // old: a b c d ; new: a X c d e  → b→X replaced, e appended
        let hunks = [Hunk { old: 1..2, new: 1..2 }, Hunk { old: 4..4, new: 4..5 }];
        for_each_unchanged(&hunks, 4, |o, n| pairs.push((o, n)));
        assert_eq!(pairs, vec![(0, 0), (2, 2), (3, 3)]);
    }

    #[test]
    fn ranges_merge_adjacent_lines() {
        let o = |c| Some(LineOrigin { commit: c, line: 0 });
        let file = FileLines {
            path: "f".into(),
            binary: false,
            origins: vec![o(1), o(1), None, o(2), o(1), o(1)],
        };
        assert_eq!(file.ranges(|l| l.commit == 1), vec![[1, 2], [5, 6]]);
        assert_eq!(file.ranges(|_| true), vec![[1, 2], [4, 6]]);
    }
}

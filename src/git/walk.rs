//! The commits of a change: `base..head`, resolved and ordered parents-first.

use std::collections::{HashMap, HashSet};

use super::{CommitInfo, GitError, ObjectId, Repo};

/// How the base of a change was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseChoice {
    /// `--base` was given.
    Given(String),
    /// The merge-base of head with the default branch (named).
    MergeBase(String),
    /// head's first parent: no default branch, or head is on it.
    Parent,
    /// No base at all: head's whole history, from the root commit(s).
    Root,
}

/// A resolved change.
#[derive(Debug, Clone)]
pub struct Range {
    /// `None`: the whole history of head (diffs of root commits are against the empty tree).
    pub base: Option<ObjectId>,
    pub head: ObjectId,
    pub base_choice: BaseChoice,
    /// Commits reachable from head and not from base, parents before children (first parents first),
    /// so the oldest commit comes first and head last.
    pub commits: Vec<CommitInfo>,
}

/// Where the default branch may live, in order of preference after `origin/HEAD`.
const DEFAULT_BRANCHES: [&str; 4] = ["main", "master", "origin/main", "origin/master"];

impl Repo {
    /// Resolves `base..head` and walks it. `base: None` picks the default base (see [`Repo::default_base`]).
    pub fn range(&self, base: Option<&str>, head: &str) -> Result<Range, GitError> {
        let head_id = self.resolve(head)?;
        let (base_id, base_choice) = match base {
            Some(rev) => {
                let id = self.resolve(rev)?;
                self.check_common_history(id, head_id, rev, head)?;
                (Some(id), BaseChoice::Given(rev.to_owned()))
            }
            None => self.default_base(head_id)?,
        };
        tracing::debug!(?base_choice, base = ?base_id, head = %head_id, "range of the change");
        let commits = self.walk(base_id, head_id)?;
        Ok(Range {
            base: base_id,
            head: head_id,
            base_choice,
            commits,
        })
    }

    /// The default base of a change ending at `head`: the merge-base with the default branch (`origin/HEAD`'s
    /// target, else `main`, `master`, `origin/main`, `origin/master`); when there is none, or head is on the
    /// default branch (merge-base = head, an empty change), head's first parent, so a push is judged by its
    /// last commit; when head is a root commit, no base: the whole history.
    pub fn default_base(&self, head: ObjectId) -> Result<(Option<ObjectId>, BaseChoice), GitError> {
        for branch in self.default_branch_candidates() {
            let Ok(tip) = self.resolve(&branch) else {
                continue;
            };
            match self.repo.merge_base(tip, head) {
                Ok(Some(mb)) if mb.detach() != head => {
                    tracing::debug!(%branch, merge_base = %mb, "default base: merge-base with the default branch");
                    return Ok((Some(mb.detach()), BaseChoice::MergeBase(branch)));
                }
                Ok(_) => {
                    tracing::debug!(%branch, "default branch gives no usable merge-base; trying head's parent");
                    break;
                }
                Err(err) => tracing::debug!(%branch, %err, "merge-base failed"),
            }
        }
        let commit = self.commit(head)?;
        match commit.parents.first() {
            Some(parent) => {
                // The parent must be readable, or a depth-1 clone would silently look like a root commit.
                self.commit(*parent)?;
                tracing::debug!(parent = %parent, "default base: head's first parent");
                Ok((Some(*parent), BaseChoice::Parent))
            }
            None if self.is_shallow() => Err(GitError::Shallow {
                what: format!("commit {head} has no readable parent"),
            }),
            None => {
                tracing::debug!("default base: none, head is a root commit; the change is the whole history");
                Ok((None, BaseChoice::Root))
            }
        }
    }

    fn default_branch_candidates(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Ok(Some(reference)) = self.repo.try_find_reference("refs/remotes/origin/HEAD")
            && let gix::refs::TargetRef::Symbolic(name) = reference.target()
        {
            out.push(name.shorten().to_string());
        }
        out.extend(DEFAULT_BRANCHES.iter().map(|b| (*b).to_owned()));
        out
    }

    /// The best common ancestor of `a` and `b`, if they share history.
    pub fn merge_base(&self, a: ObjectId, b: ObjectId) -> Result<Option<ObjectId>, GitError> {
        self.repo
            .merge_base(a, b)
            .map(|id| id.map(|id| id.detach()))
            .map_err(|err| self.missing(a, format!("merge-base of {a} and {b}: {err}")))
    }

    fn check_common_history(
        &self,
        base: ObjectId,
        head: ObjectId,
        base_rev: &str,
        head_rev: &str,
    ) -> Result<(), GitError> {
        match self.repo.merge_base(base, head) {
            Ok(Some(_)) => Ok(()),
            Ok(None) if self.is_shallow() => Err(GitError::Shallow {
                what: format!("no common history found between `{base_rev}` and `{head_rev}`"),
            }),
            Ok(None) => Err(GitError::NoCommonHistory {
                base: base_rev.to_owned(),
                head: head_rev.to_owned(),
            }),
            Err(err) => Err(self.missing(base, format!("merge-base of `{base_rev}` and `{head_rev}`: {err}"))),
        }
    }

    /// Commits reachable from `head` and not from `base`, parents first (see [`Range::commits`]).
    pub fn walk(&self, base: Option<ObjectId>, head: ObjectId) -> Result<Vec<CommitInfo>, GitError> {
        let walk = self
            .repo
            .rev_walk([head])
            .with_hidden(base)
            .all()
            .map_err(|err| self.missing(head, format!("walking from {head}: {err}")))?;
        let mut parents: HashMap<ObjectId, Vec<ObjectId>> = HashMap::new();
        for info in walk {
            let info = info.map_err(|err| self.missing(head, format!("walking from {head}: {err}")))?;
            parents.insert(info.id, info.parent_ids().map(|p| p.detach()).collect());
        }
        self.check_not_cut_by_shallow(&parents)?;
        let order = topo_parents_first(head, &parents);
        order.into_iter().map(|id| self.commit(id)).collect()
    }

    /// In a shallow clone, a commit of the range whose parents were cut off makes the range unknowable.
    fn check_not_cut_by_shallow(&self, range: &HashMap<ObjectId, Vec<ObjectId>>) -> Result<(), GitError> {
        let Ok(Some(shallow)) = self.repo.shallow_commits() else {
            return Ok(());
        };
        if let Some(cut) = shallow.iter().find(|id| range.contains_key(*id)) {
            return Err(GitError::Shallow {
                what: format!("the history of the change is cut at commit {cut}"),
            });
        }
        Ok(())
    }
}

/// Orders the commits of `parents` (restricted to its keys) so that every commit follows its parents, visiting
/// parents in order: deterministic, oldest first along the first-parent chain.
fn topo_parents_first(head: ObjectId, parents: &HashMap<ObjectId, Vec<ObjectId>>) -> Vec<ObjectId> {
    let mut order = Vec::with_capacity(parents.len());
    let mut done: HashSet<ObjectId> = HashSet::with_capacity(parents.len());
    // (commit, index of the next parent to visit): iterative, histories can be deep.
    let mut stack: Vec<(ObjectId, usize)> = Vec::new();
    if parents.contains_key(&head) {
        stack.push((head, 0));
    }
    while let Some((id, next)) = stack.pop() {
        if done.contains(&id) {
            continue;
        }
        let ps = parents.get(&id).map(Vec::as_slice).unwrap_or_default();
        match ps[next.min(ps.len())..]
            .iter()
            .position(|p| parents.contains_key(p) && !done.contains(p))
        {
            Some(offset) => {
                let parent = ps[next + offset];
                stack.push((id, next + offset + 1));
                stack.push((parent, 0));
            }
            None => {
                done.insert(id);
                order.push(id);
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ObjectId {
        ObjectId::from_bytes_or_panic(&[n; 20])
    }

    #[test]
    fn parents_come_before_children_first_parent_first() {
        // 1 ← 2 ← 4 (merge of 2 and 3), 1 ← 3
        let graph: HashMap<_, _> = [
            (id(1), vec![]),
            (id(2), vec![id(1)]),
            (id(3), vec![id(1)]),
            (id(4), vec![id(2), id(3)]),
        ]
        .into();
        assert_eq!(topo_parents_first(id(4), &graph), vec![id(1), id(2), id(3), id(4)]);
    }

    #[test]
    fn parents_outside_the_range_are_skipped() {
        let graph: HashMap<_, _> = [(id(2), vec![id(1)]), (id(3), vec![id(2)])].into();
        assert_eq!(topo_parents_first(id(3), &graph), vec![id(2), id(3)]);
    }
}

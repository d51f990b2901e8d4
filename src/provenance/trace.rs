//! The provenance of a change, composed: walk the range, classify each commit with the signature catalogue,
//! attribute the lines at head, find corrections, total up.

use super::attribution::{Attribution, FileLines, attribute};
use super::corrections::corrections;
use super::model::{CommitProvenance, FileAttribution, Identity, Totals, Trace};
use super::signatures::{Catalogue, CommitMeta};
use super::trailers;
use crate::git::{BaseChoice, CommitInfo, GitError, Person, Range, Repo};

/// git's empty tree: the base of a change that starts at the root commit (`git diff 4b825dc… HEAD` is the
/// whole history, as the trace is).
pub const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

#[derive(Debug, thiserror::Error)]
pub enum ProvenanceError {
    #[error(transparent)]
    Git(#[from] GitError),
}

/// A trace together with how its range was chosen (for logs and the text report).
#[derive(Debug, Clone)]
pub struct TracedChange {
    pub trace: Trace,
    pub base_choice: BaseChoice,
}

/// The provenance of `base..head` (`base: None`: the default base, see [`Repo::default_base`]).
pub fn trace(
    repo: &Repo,
    base: Option<&str>,
    head: &str,
    catalogue: &Catalogue,
) -> Result<TracedChange, ProvenanceError> {
    let range = repo.range(base, head)?;
    let trace = trace_range(repo, &range, catalogue)?;
    Ok(TracedChange {
        trace,
        base_choice: range.base_choice,
    })
}

/// The provenance of an already resolved range.
pub fn trace_range(repo: &Repo, range: &Range, catalogue: &Catalogue) -> Result<Trace, ProvenanceError> {
    let commits: Vec<CommitProvenance> = range.commits.iter().map(|c| classify(c, catalogue)).collect();
    Ok(trace_commits(repo, range, commits)?.0)
}

/// The provenance of a range whose commits are already classified (the gate may treat undeclared
/// commits as AI), with the origin of every line at head of each changed file, which scoping needs.
pub fn trace_commits(
    repo: &Repo,
    range: &Range,
    commits: Vec<CommitProvenance>,
) -> Result<(Trace, Vec<FileLines>), ProvenanceError> {
    let is_ai = |i: u32| commits.get(i as usize).is_some_and(|c| c.ai);
    let Attribution { files: lines, rewrites } = attribute(repo, range, &is_ai)?;

    let mut totals = Totals {
        commits: commits.len(),
        ai_commits: commits.iter().filter(|c| c.ai).count(),
        ..Totals::default()
    };
    let mut files = Vec::with_capacity(lines.len());
    for file in &lines {
        totals.added_lines += file.origins.iter().filter(|o| o.is_some()).count();
        totals.ai_lines += file
            .origins
            .iter()
            .filter(|o| o.is_some_and(|o| is_ai(o.commit)))
            .count();
        files.push(FileAttribution {
            path: file.display_path(),
            ai_lines: file.ranges(|o| is_ai(o.commit)),
        });
    }
    let corrections = corrections(&commits, &rewrites);
    let trace = Trace {
        base: range.base.map_or_else(|| EMPTY_TREE.to_owned(), |b| b.to_string()),
        head: range.head.to_string(),
        commits,
        files,
        corrections,
        totals,
    };
    Ok((trace, lines))
}

/// Parses the trailers and asks the catalogue about one commit.
pub fn classify(commit: &CommitInfo, catalogue: &Catalogue) -> CommitProvenance {
    let identity = |p: &Person| Identity {
        name: p.name.clone(),
        email: p.email.clone(),
    };
    let (author, committer) = (identity(&commit.author), identity(&commit.committer));
    let trailers = trailers::parse(&commit.message);
    let verdict = catalogue.classify(&CommitMeta {
        author: &author,
        committer: &committer,
        message: &commit.message,
        trailers: &trailers,
    });
    CommitProvenance {
        sha: commit.id.to_string(),
        author,
        ai: verdict.ai,
        tool: verdict.tool,
        model: verdict.model,
        signals: verdict.signals,
        trailers,
    }
}

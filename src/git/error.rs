//! What can go wrong reading a repository, each with what to do about it.

use std::path::PathBuf;

/// The advice for every shallow-clone failure: the range needs history the clone does not have.
pub const SHALLOW_HELP: &str = "the repository is a shallow clone and lacks the history of the change; fetch full \
history: `fetch-depth: 0` for GitHub Actions' actions/checkout, `GIT_DEPTH: 0` for GitLab CI, or run \
`git fetch --unshallow`";

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{path} is not inside a git repository ({reason}); run aigate inside a repository or pass --repo PATH")]
    NotARepository { path: PathBuf, reason: String },

    #[error("unknown revision `{rev}` ({reason}); check the name, or fetch it (e.g. `git fetch origin {rev}`)")]
    UnknownRevision { rev: String, reason: String },

    #[error("`{rev}` names a {kind}, not a commit; pass a commit, branch or tag")]
    NotACommit { rev: String, kind: String },

    #[error(
        "`{base}` and `{head}` share no history; pass a --base that is an ancestor of (or shares history with) --head"
    )]
    NoCommonHistory { base: String, head: String },

    #[error(
        "object {id} is missing from the repository ({context}); the clone may be incomplete: run `git fetch` for the missing history"
    )]
    MissingObject { id: String, context: String },

    #[error("{what}: {SHALLOW_HELP}")]
    Shallow { what: String },

    #[error(
        "could not read the repository ({context}): {reason}; check that the repository is not corrupt (`git fsck`)"
    )]
    Read { context: String, reason: String },
}

impl GitError {
    pub(crate) fn read(context: impl Into<String>, err: impl std::fmt::Display) -> Self {
        GitError::Read {
            context: context.into(),
            reason: err.to_string(),
        }
    }
}

//! Repository access with gix: revisions, the commit walk of a change, diffs with line hunks,
//! and blobs at any revision. Nothing here knows about AI: it hands plain data to provenance.

mod diff;
mod error;
mod tree;
mod walk;

use std::path::{Path, PathBuf};

use bstr::{BStr, ByteSlice};
pub use gix::ObjectId;

pub use diff::{ChangeStatus, EntryKind, FileChange, Hunk, TreeChange, diff_lines, is_binary, split_lines};
pub use error::{GitError, SHALLOW_HELP};
pub use walk::{BaseChoice, Range};

/// A git identity as written in a commit (not mailmapped: provenance wants the raw evidence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: String,
}

/// One commit, decoded: what provenance needs and nothing more.
#[derive(Debug, Clone)]
pub struct CommitInfo {
    pub id: ObjectId,
    pub tree: ObjectId,
    /// In order; the first parent is the one diffs are taken against.
    pub parents: Vec<ObjectId>,
    pub author: Person,
    pub committer: Person,
    /// The message decoded to UTF-8: by its `encoding` header when it names a known encoding, otherwise
    /// as UTF-8 with invalid bytes replaced (U+FFFD).
    pub message: String,
}

/// An open repository.
pub struct Repo {
    pub(crate) repo: gix::Repository,
}

impl Repo {
    /// Opens the repository containing `path`, searching upwards like git does.
    pub fn discover(path: &Path) -> Result<Self, GitError> {
        let mut repo = gix::discover(path).map_err(|err| GitError::NotARepository {
            path: path.to_path_buf(),
            reason: err.to_string(),
        })?;
        // Attribution reads each blob of the change once or twice; a small cache keeps trees hot.
        repo.object_cache_size_if_unset(16 * 1024 * 1024);
        Ok(Repo { repo })
    }

    /// The working tree (or the git dir of a bare repository).
    pub fn path(&self) -> PathBuf {
        self.repo.workdir().unwrap_or_else(|| self.repo.git_dir()).to_path_buf()
    }

    /// Whether `.git/shallow` exists: history may end before the root.
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow().unwrap_or(false)
    }

    /// Resolves a revision (sha, short sha, branch, tag, `HEAD~3`, `origin/main`…) to a commit id.
    pub fn resolve(&self, rev: &str) -> Result<ObjectId, GitError> {
        let id = match self.repo.rev_parse_single(rev) {
            Ok(id) => id,
            Err(err) if self.is_shallow() => {
                return Err(GitError::Shallow {
                    what: format!("cannot resolve `{rev}` ({err})"),
                });
            }
            Err(err) => {
                return Err(GitError::UnknownRevision {
                    rev: rev.to_owned(),
                    reason: err.to_string(),
                });
            }
        };
        let object = id
            .object()
            .and_then(|o| o.peel_tags_to_end())
            .map_err(|err| self.missing(id.detach(), format!("resolving `{rev}`: {err}")))?;
        if object.kind != gix::object::Kind::Commit {
            return Err(GitError::NotACommit {
                rev: rev.to_owned(),
                kind: object.kind.to_string(),
            });
        }
        Ok(object.id)
    }

    /// Reads and decodes one commit.
    pub fn commit(&self, id: ObjectId) -> Result<CommitInfo, GitError> {
        let commit = self
            .repo
            .find_commit(id)
            .map_err(|err| self.missing(id, format!("reading commit: {err}")))?;
        let decoded = commit
            .decode()
            .map_err(|err| GitError::read(format!("decoding commit {id}"), err))?;
        let person = |raw: Result<gix::actor::SignatureRef<'_>, _>, role: &str| -> Result<Person, GitError> {
            let sig = raw.map_err(|err| GitError::read(format!("{role} of commit {id}"), err))?;
            let sig = sig.trim();
            Ok(Person {
                name: sig.name.to_str_lossy().into_owned(),
                email: sig.email.to_str_lossy().into_owned(),
            })
        };
        Ok(CommitInfo {
            id,
            tree: decoded.tree(),
            parents: decoded.parents().collect(),
            author: person(decoded.author(), "author")?,
            committer: person(decoded.committer(), "committer")?,
            message: decode_message(decoded.message, decoded.encoding),
        })
    }

    /// Reads a blob by id.
    pub fn blob(&self, id: ObjectId) -> Result<Vec<u8>, GitError> {
        let object = self
            .repo
            .find_object(id)
            .map_err(|err| self.missing(id, format!("reading blob: {err}")))?;
        Ok(object.detach().data)
    }

    /// The content of `path` (`/`-separated, relative to the root) at revision `rev`; `None` when the path
    /// does not exist there or is not a blob (a directory, a submodule). Symlinks give their target.
    pub fn blob_at(&self, rev: &str, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        let commit = self.resolve(rev)?;
        self.blob_at_commit(commit, path.as_bytes().as_bstr())
    }

    /// Like [`Repo::blob_at`] with a commit id and a raw path.
    pub fn blob_at_commit(&self, commit: ObjectId, path: &BStr) -> Result<Option<Vec<u8>>, GitError> {
        let tree = self.commit(commit)?.tree;
        let tree = self
            .repo
            .find_tree(tree)
            .map_err(|err| self.missing(tree, format!("reading tree: {err}")))?;
        let entry = tree
            .lookup_entry(path.split_str("/"))
            .map_err(|err| GitError::read(format!("looking up {path} in {commit}"), err))?;
        match entry {
            Some(entry) if entry.mode().is_blob_or_symlink() => Ok(Some(self.blob(entry.object_id())?)),
            _ => Ok(None),
        }
    }

    /// A missing-object error, or the shallow-clone error when that is the likely cause.
    pub(crate) fn missing(&self, id: ObjectId, context: String) -> GitError {
        if self.is_shallow() {
            GitError::Shallow {
                what: format!("object {id} is missing ({context})"),
            }
        } else {
            GitError::MissingObject {
                id: id.to_string(),
                context,
            }
        }
    }
}

/// Commit messages are bytes; git records a non-UTF-8 encoding in the `encoding` header.
fn decode_message(raw: &BStr, encoding: Option<&BStr>) -> String {
    if let Some(label) = encoding
        && let Some(enc) = encoding_rs::Encoding::for_label(label)
        && enc != encoding_rs::UTF_8
    {
        return enc.decode_without_bom_handling(raw).0.into_owned();
    }
    raw.to_str_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_follow_their_encoding_header() {
        let latin1 = b"caf\xe9\n";
        assert_eq!(
            decode_message(latin1.as_bstr(), Some(b"ISO-8859-1".as_bstr())),
            "café\n"
        );
        assert_eq!(decode_message(latin1.as_bstr(), None), "caf\u{fffd}\n");
        assert_eq!(
            decode_message("café\n".as_bytes().as_bstr(), Some(b"UTF-8".as_bstr())),
            "café\n"
        );
        assert_eq!(
            decode_message(latin1.as_bstr(), Some(b"no-such-encoding".as_bstr())),
            "caf\u{fffd}\n"
        );
    }
}

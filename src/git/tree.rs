//! Reading a directory of the tree at a revision (the repository's own rule files live there).

use bstr::ByteSlice;

use super::{GitError, Repo};

impl Repo {
    /// The YAML files (`*.yml`, `*.yaml`) at or below `path` at revision `rev`, as (path, text),
    /// sorted by path. A path naming one file gives that file whatever its extension.
    pub fn files_under(&self, rev: &str, path: &str) -> Result<Vec<(String, String)>, GitError> {
        let commit = self.resolve(rev)?;
        let path = path.trim_start_matches("./").trim_end_matches('/');
        let root = self.commit(commit)?.tree;
        let root = self
            .repo
            .find_tree(root)
            .map_err(|err| self.missing(root, format!("reading tree: {err}")))?;
        let entry = if path.is_empty() {
            None
        } else {
            root.lookup_entry(path.as_bytes().split_str("/"))
                .map_err(|err| GitError::read(format!("looking up {path} in {commit}"), err))?
        };
        let tree = match entry {
            Some(e) if e.mode().is_blob() => {
                let text = String::from_utf8_lossy(&self.blob(e.object_id())?).into_owned();
                return Ok(vec![(path.to_string(), text)]);
            }
            Some(e) if e.mode().is_tree() => {
                let id = e.object_id();
                self.repo
                    .find_tree(id)
                    .map_err(|err| self.missing(id, format!("reading tree: {err}")))?
            }
            Some(_) => return Ok(Vec::new()),
            None if path.is_empty() => root,
            None => return Ok(Vec::new()),
        };
        let mut recorder = gix::traverse::tree::Recorder::default();
        tree.traverse()
            .breadthfirst(&mut recorder)
            .map_err(|err| GitError::read(format!("listing {path} at {commit}"), err))?;
        let mut out = Vec::new();
        for entry in recorder.records.iter().filter(|e| e.mode.is_blob()) {
            let rel = entry.filepath.to_str_lossy();
            if !(rel.ends_with(".yml") || rel.ends_with(".yaml")) {
                continue;
            }
            let full = if path.is_empty() {
                rel.into_owned()
            } else {
                format!("{path}/{rel}")
            };
            let text = String::from_utf8_lossy(&self.blob(entry.oid)?).into_owned();
            out.push((full, text));
        }
        out.sort();
        Ok(out)
    }
}

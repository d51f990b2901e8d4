//! The spool: records the ledger could not take yet, one JSON file each, written atomically
//! (temporary file, fsync, rename, fsync of the directory), so a crash leaves either the whole
//! record or nothing. A file is named after the record's idempotency key, so spooling the same
//! record twice keeps one file; sending it twice is harmless because the ledger is idempotent.
//! Records the ledger refuses for good (400, 409, 413) move to `rejected/` with the reason beside
//! them, so one bad record never blocks the others and none is silently dropped.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::model::{CorrectionSubmission, RunSubmission};

/// The spool directory under a repository's root, by default.
pub const DEFAULT_DIR: &str = ".aigate/spool";

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("could not write the ledger spool {path}: {source}. Check that the directory is writable")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("could not read the ledger spool {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("could not encode a spooled record: {0}")]
    Encode(#[from] serde_json::Error),
}

/// One spooled record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "record", rename_all = "lowercase")]
pub enum SpoolItem {
    Run(RunSubmission),
    Correction(CorrectionSubmission),
}

impl SpoolItem {
    pub fn idempotency_key(&self) -> &str {
        match self {
            SpoolItem::Run(r) => r.idempotency_key.as_deref().unwrap_or_default(),
            SpoolItem::Correction(c) => c.idempotency_key.as_deref().unwrap_or_default(),
        }
    }

    fn file_name(&self) -> String {
        let kind = match self {
            SpoolItem::Run(_) => "run",
            SpoolItem::Correction(_) => "correction",
        };
        let digest = hex::encode(&Sha256::digest(self.idempotency_key().as_bytes())[..16]);
        format!("{kind}-{digest}.json")
    }
}

#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
}

impl Spool {
    pub fn new(dir: impl Into<PathBuf>) -> Spool {
        Spool { dir: dir.into() }
    }

    /// `<repo_root>/.aigate/spool`.
    pub fn in_repo(repo_root: &Path) -> Spool {
        Spool::new(repo_root.join(DEFAULT_DIR))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn write_err(&self, source: std::io::Error) -> SpoolError {
        SpoolError::Write {
            path: self.dir.clone(),
            source,
        }
    }

    /// Writes `item` atomically; returns its file.
    pub fn put(&self, item: &SpoolItem) -> Result<PathBuf, SpoolError> {
        fs::create_dir_all(&self.dir).map_err(|e| self.write_err(e))?;
        let target = self.dir.join(item.file_name());
        let json = serde_json::to_vec_pretty(item)?;
        let mut nonce = [0u8; 8];
        let _ = getrandom::fill(&mut nonce);
        let tmp = self
            .dir
            .join(format!(".{}.{}.tmp", item.file_name(), hex::encode(nonce)));
        let write = || -> std::io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&json)?;
            f.sync_all()?;
            fs::rename(&tmp, &target)?;
            // The rename is durable only once the directory is.
            fs::File::open(&self.dir)?.sync_all()
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            self.write_err(e)
        })?;
        Ok(target)
    }

    /// The spooled records, oldest file name first; unreadable files are moved to `rejected/`.
    pub fn list(&self) -> Result<Vec<(PathBuf, SpoolItem)>, SpoolError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(SpoolError::Read {
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        let mut out = Vec::new();
        for path in paths {
            let text = fs::read(&path).map_err(|source| SpoolError::Read {
                path: path.clone(),
                source,
            })?;
            match serde_json::from_slice(&text) {
                Ok(item) => out.push((path, item)),
                Err(e) => self.reject(&path, &format!("not a spooled ledger record: {e}"))?,
            }
        }
        Ok(out)
    }

    /// Forgets a record the ledger has acknowledged.
    pub fn remove(&self, path: &Path) -> Result<(), SpoolError> {
        match fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(self.write_err(e)),
            _ => Ok(()),
        }
    }

    /// Moves a record the ledger refused for good to `rejected/`, with the reason beside it.
    pub fn reject(&self, path: &Path, reason: &str) -> Result<(), SpoolError> {
        let dir = self.dir.join("rejected");
        fs::create_dir_all(&dir).map_err(|e| self.write_err(e))?;
        let name = path
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("record.json"));
        let target = dir.join(&name);
        fs::rename(path, &target).map_err(|e| self.write_err(e))?;
        fs::write(target.with_extension("reason.txt"), reason).map_err(|e| self.write_err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::model::CorrectionKind;

    fn correction(key: &str) -> SpoolItem {
        SpoolItem::Correction(CorrectionSubmission {
            idempotency_key: Some(key.into()),
            kind: CorrectionKind::Manual,
            repo: "o/r".into(),
            path: "a.rs".into(),
            tool: None,
            model: None,
            ai_commit: None,
            fix_commit: None,
            author: None,
            before: "a".into(),
            after: "b".into(),
            rule_id: None,
            reason: None,
        })
    }

    #[test]
    fn same_key_is_one_file_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path().join("s"));
        let a = spool.put(&correction("k1")).unwrap();
        assert_eq!(spool.put(&correction("k1")).unwrap(), a);
        spool.put(&correction("k2")).unwrap();
        let listed = spool.list().unwrap();
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().any(|(_, item)| *item == correction("k1")));
        // No temporary files are left behind.
        assert_eq!(fs::read_dir(spool.dir()).unwrap().count(), 2);
    }

    #[test]
    fn garbage_and_refused_records_move_to_rejected_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path());
        fs::write(dir.path().join("run-x.json"), b"{not json").unwrap();
        let good = spool.put(&correction("k")).unwrap();
        assert_eq!(spool.list().unwrap().len(), 1);
        spool.reject(&good, "413: too large").unwrap();
        assert!(spool.list().unwrap().is_empty());
        let reasons: Vec<String> = fs::read_dir(dir.path().join("rejected"))
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.path().to_string_lossy().ends_with(".reason.txt"))
            .map(|e| fs::read_to_string(e.path()).unwrap())
            .collect();
        assert_eq!(reasons.len(), 2);
        assert!(reasons.iter().any(|r| r.contains("413")));
    }
}

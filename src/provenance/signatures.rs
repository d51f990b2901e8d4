//! The AI signature catalogue (`rules/signatures.yaml`, embedded; organisations add their own
//! files) and the classification of one commit against it.

use super::model::{Classification, Identity};

/// The commit data classification looks at.
#[derive(Debug, Clone)]
pub struct CommitMeta<'a> {
    pub author: &'a Identity,
    pub committer: &'a Identity,
    pub message: &'a str,
    /// The parsed trailers of `message` (see [`super::trailers::parse`]).
    pub trailers: &'a [(String, String)],
}

/// The loaded catalogue.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {}

impl Catalogue {
    pub fn classify(&self, commit: &CommitMeta<'_>) -> Classification {
        let _ = commit;
        Classification::default() // replaced by the real catalogue
    }
}

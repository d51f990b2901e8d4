//! Repository access with gix: revisions, the commit walk of a change, diffs with line hunks,
//! and blobs at any revision. Nothing here knows about AI: it hands plain data to provenance.

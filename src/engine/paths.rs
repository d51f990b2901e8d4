//! Protected paths that an AI-authored change must not touch.
//!
//! (Placeholder interface; the real spec and checks are being built.)

use serde::{Deserialize, Serialize};

use super::source::{Hit, SourceFile};

/// The `paths:` section of an invariant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathsSpec {}

/// Runs one `paths` invariant on a file (`base` is the file at the change's base, if any).
pub fn check(spec: &PathsSpec, head: &SourceFile<'_>, base: Option<&SourceFile<'_>>) -> Vec<Hit> {
    let _ = (spec, head, base);
    Vec::new()
}

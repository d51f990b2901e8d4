//! Built-in change detectors comparing a file at base and at head (test skips added, tests deleted, assertions removed, suppressions added, secrets added, new dependencies).
//!
//! (Placeholder interface; the real spec and checks are being built.)

use serde::{Deserialize, Serialize};

use super::source::{Hit, SourceFile};

/// The `diff:` section of an invariant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffSpec {}

/// Runs one `diff` invariant on a file (`base` is the file at the change's base, if any).
pub fn check(spec: &DiffSpec, head: &SourceFile<'_>, base: Option<&SourceFile<'_>>) -> Vec<Hit> {
    let _ = (spec, head, base);
    Vec::new()
}

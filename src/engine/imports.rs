//! Architecture layering: extract each file's imports and forbid edges between layers.
//!
//! (Placeholder interface; the real spec and checks are being built.)

use serde::{Deserialize, Serialize};

use super::source::{Hit, SourceFile};

/// The `imports:` section of an invariant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportsSpec {}

/// Runs one `imports` invariant on a file (`base` is the file at the change's base, if any).
pub fn check(spec: &ImportsSpec, head: &SourceFile<'_>, base: Option<&SourceFile<'_>>) -> Vec<Hit> {
    let _ = (spec, head, base);
    Vec::new()
}

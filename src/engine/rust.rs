//! syn-based semantic checks for Rust (unsafe without SAFETY, panics in library code, public API changes).
//!
//! (Placeholder interface; the real spec and checks are being built.)

use serde::{Deserialize, Serialize};

use super::source::{Hit, SourceFile};

/// The `rust:` section of an invariant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RustSpec {}

/// Runs one `rust` invariant on a file (`base` is the file at the change's base, if any).
pub fn check(spec: &RustSpec, head: &SourceFile<'_>, base: Option<&SourceFile<'_>>) -> Vec<Hit> {
    let _ = (spec, head, base);
    Vec::new()
}

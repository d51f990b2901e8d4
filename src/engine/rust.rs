//! Semantic checks on Rust files with syn (a full parse, so macros-free code is understood as the
//! compiler sees it; comments, which syn drops, are read from the source lines by span).
//!
//! ```yaml
//! rust:
//!   check: unsafe-without-safety   # unsafe block/impl/trait without `// SAFETY:` directly above;
//!                                  # unsafe fn without a `# Safety` doc section (or `// SAFETY:`)
//! ---
//! rust:
//!   check: panic-in-library        # unwrap/expect/panic!… in library code (not tests, benches,
//!   calls: [unwrap, expect]        #   examples, build.rs, binaries, fn main, #[cfg(test)] items)
//!   macros: [panic, todo, unimplemented, unreachable]
//!   exclude: ['xtask/**']          # optional: more paths that are not library code
//! ---
//! rust:
//!   check: public-api-changed      # a pub item removed, or its signature changed, since base
//! ```
//!
//! A file syn cannot parse (a syntax error, or nesting deeper than [`MAX_NESTING`]) yields no
//! hits from [`check`]; [`try_check`] (or [`unparsable`]) says why, for the engine to report the
//! file as skipped rather than clean.

pub(crate) mod api;
mod panics;
mod parse;
mod unsafe_doc;

use globset::GlobSet;
use serde::{Deserialize, Serialize};

pub(crate) use self::parse::nesting;
pub use self::parse::{MAX_NESTING, unparsable};
use super::diff::cache::Cached;
use super::source::{Hit, SourceFile};

/// The `rust:` section of an invariant: which check, and its options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RustSpec {
    pub check: Check,
    #[serde(skip)]
    compiled: Cached<Result<GlobSet, String>>,
}

/// The syn-based checks, named by `check:`; unknown options are rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Check {
    UnsafeWithoutSafety {},
    PanicInLibrary {
        /// Method names whose call may panic.
        #[serde(default = "panics::default_calls")]
        calls: Vec<String>,
        /// Macro names (without `!`) that panic.
        #[serde(default = "panics::default_macros")]
        macros: Vec<String>,
        /// Globs of paths that are not library code, besides the built-in ones.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        exclude: Vec<String>,
    },
    PublicApiChanged {},
}

impl RustSpec {
    pub fn new(check: Check) -> RustSpec {
        RustSpec {
            check,
            compiled: Cached::default(),
        }
    }

    /// Compiles the check's options; the engine calls this when it loads the rule.
    pub fn validate(&self) -> Result<(), String> {
        self.excluded().map(|_| ())
    }

    fn excluded(&self) -> Result<&GlobSet, String> {
        let extra = match &self.check {
            Check::PanicInLibrary { exclude, .. } => exclude.as_slice(),
            _ => &[],
        };
        self.compiled.get_or_compile(|| panics::compile_exclude(extra))
    }
}

/// Runs one `rust` invariant on a file (`base` is the file at the change's base, if any).
/// A file that cannot be parsed yields no hits; see [`try_check`] to learn why.
pub fn check(spec: &RustSpec, head: &SourceFile<'_>, base: Option<&SourceFile<'_>>) -> Vec<Hit> {
    try_check(spec, head, base).unwrap_or_default()
}

/// Like [`check`], but says why a file (at head, or at base for `public-api-changed`) could not
/// be checked, for the engine to report it as skipped rather than clean.
pub fn try_check(spec: &RustSpec, head: &SourceFile<'_>, base: Option<&SourceFile<'_>>) -> Result<Vec<Hit>, String> {
    if !head.path.ends_with(".rs") && head.lang != Some(super::lang::Lang::Rust) {
        return Ok(Vec::new());
    }
    match &spec.check {
        Check::UnsafeWithoutSafety {} => {
            if !head.text.contains("unsafe") {
                return Ok(Vec::new());
            }
            parse::with_file(head.text, |file| unsafe_doc::check(file, head.text))
        }
        Check::PanicInLibrary { calls, macros, .. } => {
            let excluded = spec.excluded()?;
            // Cheap exit before parsing: none of the names appears anywhere in the text.
            let mentioned = calls.iter().chain(macros).any(|name| head.text.contains(name.as_str()));
            if excluded.is_match(head.path) || !mentioned {
                return Ok(Vec::new());
            }
            parse::with_file(head.text, |file| panics::check(file, calls, macros))
        }
        Check::PublicApiChanged {} => match base {
            Some(base) => api::check(head, base),
            None => Ok(Vec::new()),
        },
    }
}

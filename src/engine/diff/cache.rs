//! A compiled form (globs, regexes) cached inside a deserialized spec, so that a rule's patterns
//! are compiled once per run rather than once per file. Invisible to serde and to comparisons.

use std::fmt;
use std::sync::OnceLock;

pub(crate) struct Cached<T>(OnceLock<T>);

impl<T> Cached<Result<T, String>> {
    /// The compiled form, compiling it on first use; a compile error is kept and returned each time.
    pub(crate) fn get_or_compile(&self, compile: impl FnOnce() -> Result<T, String>) -> Result<&T, String> {
        self.0.get_or_init(compile).as_ref().map_err(Clone::clone)
    }
}

impl<T> Default for Cached<T> {
    fn default() -> Self {
        Cached(OnceLock::new())
    }
}

// A clone recompiles lazily: the cache is derived data.
impl<T> Clone for Cached<T> {
    fn clone(&self) -> Self {
        Cached::default()
    }
}

impl<T> PartialEq for Cached<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> fmt::Debug for Cached<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cached")
    }
}

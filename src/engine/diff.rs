//! Built-in change detectors: each compares a file at the change's base with the file at head.
//!
//! ```yaml
//! diff:
//!   detector: test-skip-added      # a test skip/ignore marker added (Rust, Python, JS/TS, Go, Java, C#, Ruby)
//! ---
//! diff:
//!   detector: test-deleted         # a test function present at base is gone at head
//! ---
//! diff:
//!   detector: assertion-removed    # a test has fewer assertions than at base
//!   per: test                      # or `file`: compare the file's total
//! ---
//! diff:
//!   detector: suppression-added    # a lint/type-check suppression added
//!   allow: ['clippy::too_many_arguments']   # optional regexes: suppressions matching one are fine
//! ---
//! diff:
//!   detector: secret-added         # a credential added: key/token formats, or a high-entropy literal
//!   min-length: 16                 # optional: shortest literal judged by entropy
//!   entropy: 3.5                   # optional: Shannon entropy (bits/char) above which a literal is secret
//!   names: [passphrase]            # optional: more secret-looking names besides password, token, api_key…
//! ---
//! diff:
//!   detector: dependency-added     # a new dependency in a manifest (Cargo.toml, package.json, …)
//!   allow: ['serde*', '@types/*']  # optional globs of dependency names that need no review
//! ```
//!
//! "Added" means present at head and not at base, by content: a line that moved or was only
//! re-indented is not added. Without a base (a scan outside git) everything at head is added, and
//! the detectors that need a base (`test-deleted`, `assertion-removed`) report nothing. Markers in
//! comments and string literals are not code and do not count (tree-sitter locates them).

pub(crate) mod added;
pub(crate) mod assertions;
pub(crate) mod cache;
pub(crate) mod code;
pub(crate) mod deps;
pub(crate) mod secrets;
pub(crate) mod skips;
pub(crate) mod suppressions;
pub(crate) mod testfns;

use serde::{Deserialize, Serialize};

use self::cache::Cached;
use super::source::{Hit, SourceFile};

/// The `diff:` section of an invariant: which detector, and its options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DiffSpec {
    pub detector: Detector,
    #[serde(skip)]
    compiled: Cached<Result<Compiled, String>>,
}

/// A detector's options in compiled form.
enum Compiled {
    Nothing,
    Suppressions(regex::RegexSet),
    Secrets(secrets::Named),
    Dependencies(globset::GlobSet),
}

/// The built-in detectors, named by `detector:`; unknown options are rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "detector", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Detector {
    // Braced (not unit) variants, so that serde rejects options they do not have.
    TestSkipAdded {},
    TestDeleted {},
    AssertionRemoved {
        #[serde(default)]
        per: Per,
    },
    SuppressionAdded {
        /// Regexes; a suppression whose line matches one is not reported.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        allow: Vec<String>,
    },
    SecretAdded {
        #[serde(default = "secrets::default_min_length", rename = "min-length")]
        min_length: usize,
        #[serde(default = "secrets::default_entropy")]
        entropy: f64,
        /// Extra secret-looking name fragments (case-insensitive).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        names: Vec<String>,
    },
    DependencyAdded {
        /// Globs of dependency names that need no review.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        allow: Vec<String>,
    },
}

impl Detector {
    /// Whether the detector judges a change (what a change added or removed to a manifest or a
    /// test) rather than what a file holds: without a change (a whole-tree scan) it has nothing to say.
    pub fn judges_change(&self) -> bool {
        matches!(
            self,
            Detector::TestDeleted {} | Detector::AssertionRemoved { .. } | Detector::DependencyAdded { .. }
        )
    }
}

/// How `assertion-removed` counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Per {
    /// Per test function, matched by name between base and head.
    #[default]
    Test,
    /// The whole file's total.
    File,
}

impl DiffSpec {
    pub fn new(detector: Detector) -> DiffSpec {
        DiffSpec {
            detector,
            compiled: Cached::default(),
        }
    }

    /// Compiles the detector's options; the engine calls this when it loads the rule.
    pub fn validate(&self) -> Result<(), String> {
        self.compiled().map(|_| ())
    }

    fn compiled(&self) -> Result<&Compiled, String> {
        self.compiled.get_or_compile(|| self.compile())
    }

    fn compile(&self) -> Result<Compiled, String> {
        Ok(match &self.detector {
            Detector::SuppressionAdded { allow } => Compiled::Suppressions(suppressions::compile_allow(allow)?),
            Detector::SecretAdded {
                names,
                entropy,
                min_length,
            } => {
                if !(0.0..=8.0).contains(entropy) || *min_length == 0 {
                    return Err(format!(
                        "secret-added: entropy must be between 0 and 8 bits per char (got {entropy}) and min-length above 0 (got {min_length})"
                    ));
                }
                Compiled::Secrets(secrets::Named::compile(names)?)
            }
            Detector::DependencyAdded { allow } => Compiled::Dependencies(deps::compile_allow(allow)?),
            Detector::TestSkipAdded {} | Detector::TestDeleted {} | Detector::AssertionRemoved { .. } => {
                Compiled::Nothing
            }
        })
    }
}

/// Runs one `diff` invariant on a file (`base` is the file at the change's base, if any).
pub fn check(spec: &DiffSpec, head: &SourceFile<'_>, base: Option<&SourceFile<'_>>) -> Vec<Hit> {
    // Invalid options are reported by `validate` at load time; such a rule finds nothing.
    let Ok(compiled) = spec.compiled() else {
        return Vec::new();
    };
    // Every detector is about a change: an unchanged file has none.
    if base.is_some_and(|b| b.text == head.text) {
        return Vec::new();
    }
    match (&spec.detector, compiled) {
        (Detector::TestSkipAdded {}, _) => skips::check(head, base),
        (Detector::TestDeleted {}, _) => base.map_or_else(Vec::new, |base| testfns::check_deleted(head, base)),
        (Detector::AssertionRemoved { per }, _) => {
            base.map_or_else(Vec::new, |base| assertions::check(*per, head, base))
        }
        (Detector::SuppressionAdded { .. }, Compiled::Suppressions(allow)) => suppressions::check(allow, head, base),
        (
            Detector::SecretAdded {
                min_length, entropy, ..
            },
            Compiled::Secrets(named),
        ) => secrets::check(named, *min_length, *entropy, head, base),
        (Detector::DependencyAdded { .. }, Compiled::Dependencies(allow)) => deps::check(allow, head, base),
        _ => Vec::new(),
    }
}

//! The invariant model: plain serde data describing each invariant, plus the compiled check the
//! engine runs (shared behind an `Arc`, so a policy is cheap to clone and to hand to threads).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::engine::lang::Lang;
use crate::engine::{diff::DiffSpec, imports::ImportsSpec, paths::PathsSpec, rust::RustSpec};
use crate::engine::{pattern::PatternCheck, query::QueryCheck, waiver::WaiverHygiene};

/// How serious a finding is (ast-grep's levels). `off` disables the invariant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Off,
    #[default]
    Hint,
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Off => "off",
            Severity::Hint => "hint",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which lines of a change an invariant is enforced on (the gate's concern; unset = gate default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Ai,
    Changed,
    All,
}

/// One example for `aigate rules test`: the file at head, optionally a path and the file at base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Example {
    Text(String),
    File {
        #[serde(default)]
        path: Option<String>,
        /// Absent for a deleted file (paths examples).
        #[serde(default)]
        head: Option<String>,
        #[serde(default)]
        base: Option<String>,
    },
}

impl Example {
    /// The file's path (if given), head text (empty for a deleted file) and base text.
    pub fn parts(&self) -> (Option<&str>, &str, Option<&str>) {
        match self {
            Example::Text(text) => (None, text, None),
            Example::File { path, head, base } => (path.as_deref(), head.as_deref().unwrap_or(""), base.as_deref()),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    #[serde(default)]
    pub invalid: Vec<Example>,
    #[serde(default)]
    pub valid: Vec<Example>,
}

fn yes() -> bool {
    true
}

/// `metadata:` of a rule. aigate's keys are typed; any other key (ast-grep allows arbitrary
/// metadata) is kept in `extra` so that existing ast-grep rules load unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    #[serde(default = "yes")]
    pub waivable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard: Option<String>,
    #[serde(default)]
    pub examples: Examples,
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Default for Metadata {
    fn default() -> Self {
        Metadata {
            scope: None,
            waivable: true,
            owner: None,
            rationale: None,
            standard: None,
            examples: Examples::default(),
            extra: BTreeMap::new(),
        }
    }
}

/// Where an invariant was defined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// The rule file (for built-in packs: `rules/<pack>/<file>`).
    pub file: String,
    /// 1-based line of the rule's document in that file.
    pub line: u32,
    /// The pack the file belongs to, if any.
    pub pack: Option<String>,
    pub builtin: bool,
}

/// The kind of check an invariant runs, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KindName {
    Pattern,
    Query,
    Imports,
    Paths,
    Diff,
    Rust,
    Waiver,
}

impl KindName {
    pub fn name(self) -> &'static str {
        match self {
            KindName::Pattern => "pattern",
            KindName::Query => "query",
            KindName::Imports => "imports",
            KindName::Paths => "paths",
            KindName::Diff => "diff",
            KindName::Rust => "rust",
            KindName::Waiver => "waiver",
        }
    }
}

/// The compiled check of an invariant.
pub enum Check {
    /// An ast-grep rule (`rule:` with constraints/utils/transform/fix), compiled by ast-grep-config.
    Pattern(Box<PatternCheck>),
    /// A tree-sitter query (`query:`).
    Query(QueryCheck),
    Imports(ImportsSpec),
    Paths(PathsSpec),
    Diff(DiffSpec),
    Rust(RustSpec),
    /// Waiver hygiene (`waiver: invalid|unused`): reported by the waiver pass, not by a matcher.
    Waiver(WaiverHygiene),
}

impl Check {
    /// Whether the check judges a change rather than a file's content: protected paths touched,
    /// dependencies added, tests deleted or stripped, public API changed. `aigate scan`, which has
    /// no change, leaves these out.
    pub fn judges_change(&self) -> bool {
        match self {
            Check::Paths(_) => true,
            Check::Diff(spec) => spec.detector.judges_change(),
            Check::Rust(spec) => matches!(spec.check, crate::engine::rust::Check::PublicApiChanged {}),
            _ => false,
        }
    }

    pub fn kind(&self) -> KindName {
        match self {
            Check::Pattern(_) => KindName::Pattern,
            Check::Query(_) => KindName::Query,
            Check::Imports(_) => KindName::Imports,
            Check::Paths(_) => KindName::Paths,
            Check::Diff(_) => KindName::Diff,
            Check::Rust(_) => KindName::Rust,
            Check::Waiver(_) => KindName::Waiver,
        }
    }
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Check::Imports(s) => s.fmt(f),
            Check::Paths(s) => s.fmt(f),
            Check::Diff(s) => s.fmt(f),
            Check::Rust(s) => s.fmt(f),
            Check::Waiver(s) => s.fmt(f),
            other => write!(f, "{}", other.kind().name()),
        }
    }
}

/// One enforced rule. Everything but `check` is plain data; `definition` is the rule document
/// as loaded (canonical JSON), which `rules explain` can show and the policy digest covers.
#[derive(Debug, Clone, Serialize)]
pub struct Invariant {
    pub id: String,
    pub language: Option<Lang>,
    pub severity: Severity,
    pub message: String,
    pub note: Option<String>,
    pub url: Option<String>,
    /// The `fix:` template, when the rule has one.
    pub fix: Option<serde_json::Value>,
    pub files: Vec<String>,
    pub ignores: Vec<String>,
    pub kind: KindName,
    pub metadata: Metadata,
    pub origin: Origin,
    pub definition: serde_json::Value,
    #[serde(skip)]
    pub(crate) globs: Arc<FileGlobs>,
    #[serde(skip)]
    pub check: Arc<Check>,
}

impl Invariant {
    /// Whether `files`/`ignores` let this invariant apply to `path` (relative, `/`-separated).
    pub fn applies_to_path(&self, path: &str) -> bool {
        self.globs.allows(path)
    }
}

/// Compiled `files` / `ignores` globs (ast-grep's semantics: no `files` = every file).
#[derive(Debug, Default)]
pub(crate) struct FileGlobs {
    pub files: Option<globset::GlobSet>,
    pub ignores: Option<globset::GlobSet>,
}

impl FileGlobs {
    pub fn allows(&self, path: &str) -> bool {
        let path = path.strip_prefix("./").unwrap_or(path);
        if let Some(files) = &self.files
            && !files.is_match(path)
        {
            return false;
        }
        !self.ignores.as_ref().is_some_and(|ignores| ignores.is_match(path))
    }
}

//! Protected paths: files an AI-authored change must not touch (CI configuration, the gate's own
//! configuration, code owners, rule files, database migrations…).
//!
//! ```yaml
//! paths:
//!   protect:                 # globs, gitignore-like: `**` crosses directories, `*` does not
//!     - .github/workflows/**
//!     - "**/CODEOWNERS"
//!   changes: [added, modified, deleted, renamed]   # optional; default: all four
//! ```
//!
//! A file counts as touched when it is added (no base), modified (base text differs), deleted
//! (head text empty, base present) or renamed (base path differs; either path may be the
//! protected one). An unchanged file is never reported. The hit is on line 1 of the head file.

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use super::diff::cache::Cached;
use super::source::{Hit, Position, SourceFile};

/// The `paths:` section of an invariant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathsSpec {
    /// Globs of protected paths, relative to the repository root.
    pub protect: Vec<String>,
    /// Which kinds of change count; all of them when omitted.
    #[serde(default = "all_changes")]
    pub changes: Vec<Change>,
    #[serde(skip)]
    compiled: Cached<Result<GlobSet, String>>,
}

/// How a change touched a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Modified,
    Deleted,
    Renamed,
}

impl Change {
    fn verb(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Modified => "modified",
            Change::Deleted => "deleted",
            Change::Renamed => "renamed",
        }
    }
}

fn all_changes() -> Vec<Change> {
    vec![Change::Added, Change::Modified, Change::Deleted, Change::Renamed]
}

fn glob(pattern: &str) -> Result<Glob, String> {
    GlobBuilder::new(pattern).literal_separator(true).build().map_err(|e| {
        format!(
            "invalid protected-path glob `{pattern}`: {e}; write a gitignore-like glob such as `.github/workflows/**`"
        )
    })
}

impl PathsSpec {
    /// Checks the globs compile; the engine calls this when it loads the rule.
    pub fn validate(&self) -> Result<(), String> {
        if self.protect.is_empty() {
            return Err("`paths.protect` is empty: list at least one glob of protected paths".into());
        }
        self.globs().map(|_| ())
    }

    fn globs(&self) -> Result<&GlobSet, String> {
        self.compiled.get_or_compile(|| self.compile())
    }

    fn compile(&self) -> Result<GlobSet, String> {
        let mut set = GlobSetBuilder::new();
        for pattern in &self.protect {
            set.add(glob(pattern)?);
        }
        set.build().map_err(|e| format!("invalid protected-path globs: {e}"))
    }
}

/// How `head` changed relative to `base`, or `None` when it did not change.
fn change_of(head: &SourceFile<'_>, base: Option<&SourceFile<'_>>) -> Option<Change> {
    match base {
        None => Some(Change::Added),
        Some(base) if head.text.is_empty() && !base.text.is_empty() => Some(Change::Deleted),
        Some(base) if base.path != head.path => Some(Change::Renamed),
        Some(base) if base.text != head.text => Some(Change::Modified),
        Some(_) => None,
    }
}

/// Runs one `paths` invariant on a file (`base` is the file at the change's base, if any).
pub fn check(spec: &PathsSpec, head: &SourceFile<'_>, base: Option<&SourceFile<'_>>) -> Vec<Hit> {
    let Some(change) = change_of(head, base) else {
        return Vec::new();
    };
    if !spec.changes.contains(&change) {
        return Vec::new();
    }
    // An invalid glob is reported by `validate` at load time; here it simply protects nothing.
    let Ok(globs) = spec.globs() else { return Vec::new() };
    let mut candidates = vec![head.path];
    if let Some(base) = base.filter(|b| b.path != head.path) {
        candidates.push(base.path);
    }
    let Some((path, index)) = candidates
        .iter()
        .find_map(|p| globs.matches(p.trim_start_matches("./")).first().map(|&i| (*p, i)))
    else {
        return Vec::new();
    };
    let first_line = head.text.split('\n').next().unwrap_or("");
    let end = Position::at_byte(head.text, first_line.trim_end_matches('\r').len());
    let detail = match (change, base) {
        (Change::Renamed, Some(b)) => {
            format!(
                "renamed `{}` to `{}` (protected by `{}`)",
                b.path, head.path, spec.protect[index]
            )
        }
        _ => format!("{} `{path}` (protected by `{}`)", change.verb(), spec.protect[index]),
    };
    vec![Hit {
        start: Position { line: 1, column: 1 },
        end,
        detail: Some(detail),
    }]
}

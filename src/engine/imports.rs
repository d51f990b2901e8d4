//! Architecture layering: which files must not import which modules.
//!
//! ```yaml
//! imports:
//!   from: ['src/domain/**']                 # files this applies to (globs; default: every file)
//!   forbid: [crate::infra, sqlx, reqwest]   # modules they must not import
//!   allow: [crate::infra::ids]              # optional exceptions
//! ```
//!
//! A module pattern is written in the importing language's own notation (`crate::infra`,
//! `app.infra`, `@org/db`, `github.com/org/x`, `../infra`). Without `*` it names a module and
//! everything under it (`sqlx` matches `sqlx` and `sqlx::PgPool`, not `sqlx_core`); `*` matches
//! within one segment (`app.infra.*`) and `**` across segments. Relative imports are also matched
//! in resolved form: Rust `self::`/`super::` against the file's module (`crate::…` from its path
//! under `src/`), Python `from ..x import y` against the file's package, JavaScript `./x`/`../x`
//! against its directory (so `src/infra/**` catches `../infra/db`).
//!
//! Imports are read with tree-sitter: Rust `use` (groups expanded), `mod x;`, `extern crate`;
//! Python `import`/`from … import`; JavaScript/TypeScript `import`, `export … from`, `require(…)`,
//! `import(…)`; Go `import` (single and grouped); Java `import` (and static); C# `using`.
//! Every forbidden import at head is reported on its statement, whatever the base.

mod extract;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::RegexSet;
use serde::{Deserialize, Serialize};

use super::diff::cache::Cached;
use super::source::{Hit, Position, SourceFile};

/// The `imports:` section of an invariant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportsSpec {
    /// Globs of the files this applies to; all files when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub from: Vec<String>,
    /// Module patterns these files must not import.
    pub forbid: Vec<String>,
    /// Module patterns that are fine even though a `forbid` pattern matches them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    #[serde(skip)]
    compiled: Cached<Result<Compiled, String>>,
}

struct Compiled {
    from: GlobSet,
    forbid: RegexSet,
    allow: RegexSet,
    /// One literal segment of each `forbid` pattern (None: some pattern has none).
    needles: Option<Vec<String>>,
}

/// The longest literal segment of a module pattern. A matching import holds it whole: in its
/// text, or (for relative imports, resolved against the file's location) in the file's path.
fn needle(pattern: &str) -> Option<String> {
    pattern
        .split([':', '.', '/', '*'])
        .max_by_key(|segment| segment.len())
        .filter(|segment| !segment.is_empty())
        .map(str::to_owned)
}

/// A module pattern as an anchored regex over an import path; see the module docs.
fn module_regex(pattern: &str) -> String {
    let mut out = String::from("^");
    let mut rest = pattern;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("**") {
            out.push_str(".*");
            rest = r;
        } else if let Some(r) = rest.strip_prefix('*') {
            out.push_str("[^:./]*");
            rest = r;
        } else {
            let c = rest.chars().next().unwrap_or_default();
            out.push_str(&regex::escape(&c.to_string()));
            rest = &rest[c.len_utf8()..];
        }
    }
    // Anything under the module: after a separator of any of the notations.
    out.push_str("(?:(?:::|\\.|/).*)?$");
    out
}

fn module_set(what: &str, patterns: &[String]) -> Result<RegexSet, String> {
    RegexSet::new(patterns.iter().map(|p| module_regex(p)))
        .map_err(|e| format!("imports: invalid `{what}` pattern: {e}"))
}

impl ImportsSpec {
    pub fn new(from: Vec<String>, forbid: Vec<String>, allow: Vec<String>) -> ImportsSpec {
        ImportsSpec {
            from,
            forbid,
            allow,
            compiled: Cached::default(),
        }
    }

    /// Compiles the globs and patterns; the engine calls this when it loads the rule.
    pub fn validate(&self) -> Result<(), String> {
        if self.forbid.is_empty() {
            return Err("`imports.forbid` is empty: list the modules these files must not import".into());
        }
        self.compiled().map(|_| ())
    }

    fn compiled(&self) -> Result<&Compiled, String> {
        self.compiled.get_or_compile(|| self.compile())
    }

    fn compile(&self) -> Result<Compiled, String> {
        let mut from = GlobSetBuilder::new();
        for pattern in &self.from {
            let glob = GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("imports: invalid `from` glob `{pattern}`: {e}"))?;
            from.add(glob);
        }
        Ok(Compiled {
            from: from
                .build()
                .map_err(|e| format!("imports: invalid `from` globs: {e}"))?,
            forbid: module_set("forbid", &self.forbid)?,
            allow: module_set("allow", &self.allow)?,
            needles: self.forbid.iter().map(|p| needle(p)).collect(),
        })
    }
}

/// Runs one `imports` invariant on a file (`base` is the file at the change's base, if any).
pub fn check(spec: &ImportsSpec, head: &SourceFile<'_>, base: Option<&SourceFile<'_>>) -> Vec<Hit> {
    let _ = base;
    let (Some(lang), Ok(compiled)) = (head.lang, spec.compiled()) else {
        return Vec::new();
    };
    if !spec.from.is_empty() && !compiled.from.is_match(head.path) {
        return Vec::new();
    }
    // Cheap exit before parsing: no forbidden module is even mentioned.
    if let Some(needles) = &compiled.needles
        && !needles
            .iter()
            .any(|n| head.text.contains(n.as_str()) || head.path.contains(n.as_str()))
    {
        return Vec::new();
    }
    let mut hits: Vec<Hit> = Vec::new();
    for import in extract::imports(head.text, lang, head.path) {
        let candidates: Vec<&str> = std::iter::once(import.written.as_str())
            .chain(import.resolved.as_deref())
            .collect();
        let forbidden = candidates.iter().find_map(|c| compiled.forbid.matches(c).iter().next());
        let Some(index) = forbidden else { continue };
        if candidates.iter().any(|c| compiled.allow.is_match(c)) {
            continue;
        }
        let start = Position::at_byte(head.text, import.at.start);
        let detail = format!("imports `{}`, forbidden by `{}`", import.written, spec.forbid[index]);
        if hits
            .iter()
            .any(|h| h.start == start && h.detail.as_deref() == Some(detail.as_str()))
        {
            continue;
        }
        hits.push(Hit {
            start,
            end: Position::at_byte(head.text, import.at.end),
            detail: Some(detail),
        });
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_patterns_match_on_segment_boundaries() {
        let set = |p: &str| regex::Regex::new(&module_regex(p));
        let sqlx = set("sqlx").expect("compiles");
        assert!(sqlx.is_match("sqlx") && sqlx.is_match("sqlx::PgPool"));
        assert!(!sqlx.is_match("sqlx_core") && !sqlx.is_match("my_sqlx"));
        let infra = set("app.infra.*").expect("compiles");
        assert!(infra.is_match("app.infra.db") && infra.is_match("app.infra.db.session"));
        assert!(!infra.is_match("app.infrastructure") && !infra.is_match("app.infra"));
        let deep = set("src/**/infra").expect("compiles");
        assert!(deep.is_match("src/a/b/infra/db"));
        assert_eq!(needle("crate::infra").as_deref(), Some("infra"));
        assert_eq!(needle("@org/db").as_deref(), Some("@org"));
        assert_eq!(needle("**"), None);
    }
}

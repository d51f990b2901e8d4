//! `dependency-added`: a dependency in a manifest at head that the base did not have. Manifests
//! are recognised by file name and parsed properly where that is cheap (TOML with toml_edit, JSON
//! with serde_json); line formats (requirements, go.mod, Gemfile) and XML (pom.xml, *.csproj)
//! are scanned line by line / element by element with their comments blanked.

mod json;
mod lines;
mod toml;

use std::collections::HashSet;
use std::ops::Range;

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::engine::source::{Hit, Position, SourceFile};

/// One declared dependency: its name (normalised per ecosystem), where it is, and which section.
pub(crate) struct Dep {
    pub name: String,
    pub at: Range<usize>,
    pub section: String,
}

/// The manifest kinds this detector understands, by file name.
fn parse(path: &str, text: &str) -> Option<Vec<Dep>> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let deps = match name {
        "Cargo.toml" => toml::cargo(text),
        "pyproject.toml" => toml::pyproject(text),
        "package.json" => json::package(text),
        "go.mod" => lines::go_mod(text),
        "Gemfile" => lines::gemfile(text),
        "pom.xml" => lines::pom(text),
        _ if name.ends_with(".csproj") => lines::csproj(text),
        _ if name.starts_with("requirements") && (name.ends_with(".txt") || name.ends_with(".in")) => {
            lines::requirements(text)
        }
        _ => return None,
    };
    Some(deps)
}

pub(crate) fn compile_allow(allow: &[String]) -> Result<GlobSet, String> {
    let mut set = GlobSetBuilder::new();
    for pattern in allow {
        set.add(Glob::new(pattern).map_err(|e| format!("dependency-added: invalid `allow` glob `{pattern}`: {e}"))?);
    }
    set.build()
        .map_err(|e| format!("dependency-added: invalid `allow` globs: {e}"))
}

pub(crate) fn check(allow: &GlobSet, head: &SourceFile<'_>, base: Option<&SourceFile<'_>>) -> Vec<Hit> {
    let Some(at_head) = parse(head.path, head.text) else {
        return Vec::new();
    };
    let known: HashSet<String> = base
        .and_then(|b| parse(b.path, b.text))
        .unwrap_or_default()
        .into_iter()
        .map(|d| d.name)
        .collect();
    let mut reported = HashSet::new();
    let mut at_head = at_head;
    at_head.sort_by_key(|d| d.at.start);
    at_head
        .into_iter()
        .filter(|d| !known.contains(&d.name) && !allow.is_match(&d.name) && reported.insert(d.name.clone()))
        .map(|d| Hit {
            start: Position::at_byte(head.text, d.at.start),
            end: Position::at_byte(head.text, d.at.end),
            detail: Some(format!("new dependency `{}` ({})", d.name, d.section)),
        })
        .collect()
}

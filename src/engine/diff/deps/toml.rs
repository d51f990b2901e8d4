//! Cargo.toml and pyproject.toml, parsed with toml_edit (which keeps each key's span).

use toml_edit::{Document, Item, TableLike};

use super::Dep;

const CARGO_SECTIONS: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];

/// The keys of a dependency table, named by `package = "…"` when renamed.
fn keyed(table: &dyn TableLike, section: &str, skip: &[&str], out: &mut Vec<Dep>, normalise: fn(&str) -> String) {
    for (key, item) in table.iter() {
        if skip.contains(&key) {
            continue;
        }
        let renamed = item
            .as_table_like()
            .and_then(|t| t.get("package"))
            .and_then(|p| p.as_str());
        let at = table.get_key_value(key).and_then(|(k, _)| k.span()).unwrap_or(0..0);
        out.push(Dep {
            name: normalise(renamed.unwrap_or(key)),
            at,
            section: section.to_owned(),
        });
    }
}

fn same(name: &str) -> String {
    name.to_owned()
}

fn table(item: Option<&Item>) -> Option<&dyn TableLike> {
    item.and_then(Item::as_table_like)
}

pub(super) fn cargo(text: &str) -> Vec<Dep> {
    let Ok(doc) = Document::parse(text) else {
        return Vec::new();
    };
    let root = doc.as_table();
    let mut out = Vec::new();
    for section in CARGO_SECTIONS {
        if let Some(t) = table(root.get(section)) {
            keyed(t, &format!("[{section}]"), &[], &mut out, same);
        }
    }
    if let Some(targets) = table(root.get("target")) {
        for (cfg, target) in targets.iter() {
            for section in CARGO_SECTIONS {
                if let Some(t) = target
                    .as_table_like()
                    .and_then(|t| t.get(section))
                    .and_then(Item::as_table_like)
                {
                    keyed(t, &format!("[target.{cfg}.{section}]"), &[], &mut out, same);
                }
            }
        }
    }
    if let Some(t) = table(root.get("workspace").and_then(|w| w.get("dependencies"))) {
        keyed(t, "[workspace.dependencies]", &[], &mut out, same);
    }
    out
}

/// PEP 503 normalisation: case-insensitive, runs of `-_.` are one `-`.
pub(super) fn pep503(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The distribution name at the start of a PEP 508 requirement (`requests[socks]>=2 ; …`).
pub(super) fn pep508_name(spec: &str) -> Option<String> {
    let spec = spec.trim_start();
    let end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    (end > 0).then(|| pep503(&spec[..end]))
}

/// Arrays of PEP 508 strings (PEP 621 `dependencies`, optional-dependencies, PEP 735 groups).
fn requirements(item: Option<&Item>, section: &str, out: &mut Vec<Dep>) {
    let Some(array) = item.and_then(Item::as_array) else {
        return;
    };
    for value in array.iter() {
        if let (Some(s), Some(at)) = (value.as_str(), value.span())
            && let Some(name) = pep508_name(s)
        {
            out.push(Dep {
                name,
                at,
                section: section.to_owned(),
            });
        }
    }
}

pub(super) fn pyproject(text: &str) -> Vec<Dep> {
    let Ok(doc) = Document::parse(text) else {
        return Vec::new();
    };
    let root = doc.as_table();
    let mut out = Vec::new();
    let project = root.get("project");
    requirements(
        project.and_then(|p| p.get("dependencies")),
        "[project] dependencies",
        &mut out,
    );
    for (group_key, groups) in [
        (
            "optional-dependencies",
            project.and_then(|p| p.get("optional-dependencies")),
        ),
        ("dependency-groups", root.get("dependency-groups")),
    ] {
        if let Some(groups) = table(groups) {
            for (group, item) in groups.iter() {
                requirements(Some(item), &format!("[{group_key}] {group}"), &mut out);
            }
        }
    }
    let poetry = root.get("tool").and_then(|t| t.get("poetry"));
    for section in ["dependencies", "dev-dependencies"] {
        if let Some(t) = table(poetry.and_then(|p| p.get(section))) {
            keyed(t, &format!("[tool.poetry.{section}]"), &["python"], &mut out, pep503);
        }
    }
    if let Some(groups) = table(poetry.and_then(|p| p.get("group"))) {
        for (group, item) in groups.iter() {
            if let Some(t) = item
                .as_table_like()
                .and_then(|g| g.get("dependencies"))
                .and_then(Item::as_table_like)
            {
                keyed(
                    t,
                    &format!("[tool.poetry.group.{group}.dependencies]"),
                    &["python"],
                    &mut out,
                    pep503,
                );
            }
        }
    }
    out
}

//! package.json, parsed with serde_json; the reported place is the name's key in its section.

use serde_json::Value;

use super::Dep;

const SECTIONS: [&str; 4] = [
    "dependencies",
    "devDependencies",
    "peerDependencies",
    "optionalDependencies",
];

/// The byte range of `"key"` followed by `:`, searching from `from`.
fn key_at(text: &str, key: &str, from: usize) -> Option<std::ops::Range<usize>> {
    let quoted = serde_json::to_string(key).ok()?;
    let mut search = from;
    while let Some(i) = text.get(search..)?.find(&quoted) {
        let start = search + i;
        let end = start + quoted.len();
        if text[end..].trim_start().starts_with(':') {
            return Some(start..end);
        }
        search = end;
    }
    None
}

pub(super) fn package(text: &str) -> Vec<Dep> {
    let Ok(Value::Object(root)) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for section in SECTIONS {
        let Some(Value::Object(deps)) = root.get(section) else {
            continue;
        };
        let from = key_at(text, section, 0).map_or(0, |r| r.end);
        for name in deps.keys() {
            let at = key_at(text, name, from).unwrap_or(0..0);
            out.push(Dep {
                name: name.clone(),
                at,
                section: section.to_owned(),
            });
        }
    }
    out
}

//! `aigate rules explain <id>`: everything a reviewer needs to judge one invariant.

use std::fmt::Write as _;
use std::process::ExitCode;

use aigate::policy::{Example, Invariant, Policy, builtin};

use super::{Sources, pack_of};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The invariant id, e.g. `security/python-eval-exec`.
    id: String,
    #[command(flatten)]
    sources: Sources,
}

pub fn run(args: Args) -> miette::Result<ExitCode> {
    let policy = args.sources.load()?;
    let Some(inv) = policy.get(&args.id) else {
        return Err(unknown(&policy, &args.id));
    };
    print!("{}", explain(&policy, inv));
    Ok(ExitCode::SUCCESS)
}

fn unknown(policy: &Policy, id: &str) -> miette::Report {
    let needle = id.rsplit('/').next().unwrap_or(id).to_ascii_lowercase();
    let near: Vec<&str> = policy
        .invariants()
        .iter()
        .map(|i| i.id.as_str())
        .filter(|other| {
            needle
                .split('-')
                .any(|part| part.len() > 2 && other.to_ascii_lowercase().contains(part))
        })
        .take(8)
        .collect();
    let hint = if near.is_empty() {
        "run `aigate rules list` to see the loaded invariant ids".to_string()
    } else {
        format!("similar ids: {}; `aigate rules list` shows them all", near.join(", "))
    };
    miette::miette!(help = hint, "no invariant `{id}` in the loaded policy")
}

fn explain(policy: &Policy, inv: &Invariant) -> String {
    let meta = &inv.metadata;
    let mut out = String::new();
    let state = if policy.is_enabled(inv) { "on" } else { "off by default" };
    let origin = if inv.origin.builtin { "built-in" } else { "user" };
    let _ = writeln!(out, "{}", inv.id);
    let _ = writeln!(out, "  pack:      {} ({origin}, {state})", pack_of(inv));
    let _ = writeln!(out, "  defined:   {}:{}", inv.origin.file, inv.origin.line);
    let _ = writeln!(out, "  kind:      {}", inv.kind.name());
    let _ = writeln!(
        out,
        "  language:  {}",
        inv.language.map_or("any (the kind decides)", |l| l.name())
    );
    let _ = writeln!(out, "  severity:  {}", inv.severity);
    let scope = meta
        .scope
        .map_or("the gate's default".to_string(), |s| format!("{s:?}").to_lowercase());
    let _ = writeln!(out, "  scope:     {scope}");
    let _ = writeln!(out, "  waivable:  {}", if meta.waivable { "yes" } else { "no" });
    let _ = writeln!(out, "  owner:     {}", meta.owner.as_deref().unwrap_or("-"));
    if let Some(standard) = &meta.standard {
        let _ = writeln!(out, "  standard:  {standard}");
    }
    if !inv.files.is_empty() {
        let _ = writeln!(out, "  files:     {}", inv.files.join(", "));
    }
    if !inv.ignores.is_empty() {
        let _ = writeln!(out, "  ignores:   {}", inv.ignores.join(", "));
    }
    section(&mut out, "message", Some(&inv.message));
    section(&mut out, "note", inv.note.as_deref());
    section(&mut out, "rationale", meta.rationale.as_deref());
    for (label, examples) in [("invalid", &meta.examples.invalid), ("valid", &meta.examples.valid)] {
        for (i, example) in examples.iter().enumerate() {
            let (path, head, base) = example.parts();
            let title = match path {
                Some(path) => format!("example {label}[{i}] ({path})"),
                None => format!("example {label}[{i}]"),
            };
            let _ = writeln!(out, "\n{title}:");
            if let Some(base) = base {
                let _ = writeln!(out, "  base:");
                indent(&mut out, base, "    | ");
                let _ = writeln!(out, "  head:");
            }
            if matches!(example, Example::File { head: None, .. }) {
                let _ = writeln!(out, "    (deleted)");
            } else {
                indent(&mut out, head, "    | ");
            }
        }
    }
    let _ = writeln!(out, "\nsource ({}:{}):", inv.origin.file, inv.origin.line);
    match source(inv) {
        Some(yaml) => indent(&mut out, &yaml, "  "),
        None => {
            let json = serde_json::to_string_pretty(&inv.definition).unwrap_or_default();
            indent(&mut out, &json, "  ");
        }
    }
    out
}

fn section(out: &mut String, title: &str, text: Option<&str>) {
    if let Some(text) = text {
        let _ = writeln!(out, "\n{title}:");
        indent(out, text.trim_end(), "  ");
    }
}

fn indent(out: &mut String, text: &str, prefix: &str) {
    for line in text.trim_end_matches('\n').lines() {
        let _ = writeln!(out, "{prefix}{line}");
    }
}

/// The rule's YAML document as written: the embedded file for built-in rules, else the file on
/// disk; `None` if it cannot be read (the canonical JSON definition is shown instead).
fn source(inv: &Invariant) -> Option<String> {
    let text = if inv.origin.builtin {
        let path = inv.origin.file.strip_prefix("rules/").unwrap_or(&inv.origin.file);
        builtin::file(path)?.to_string()
    } else {
        std::fs::read_to_string(&inv.origin.file).ok()?
    };
    document_at(&text, inv.origin.line as usize)
}

/// The `---`-separated YAML document of `text` that contains 1-based `line`.
fn document_at(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let is_separator = |l: &str| l.trim_end() == "---" || l.starts_with("--- ");
    let at = line.saturating_sub(1).min(lines.len().checked_sub(1)?);
    // A document starts after the last separator at or before `line` (the line may be the separator itself).
    let start = (0..=at).rev().find(|&i| is_separator(lines[i])).map_or(0, |i| i + 1);
    let end = (start..lines.len())
        .find(|&i| is_separator(lines[i]))
        .unwrap_or(lines.len());
    let doc = lines[start..end].join("\n");
    (!doc.trim().is_empty()).then(|| doc + "\n")
}

#[cfg(test)]
mod tests {
    use super::document_at;

    #[test]
    fn finds_the_document_around_a_line() {
        let text = "# head\nid: a\nx: 1\n---\nid: b\ny: 2\n---\nid: c\n";
        assert_eq!(document_at(text, 2).as_deref(), Some("# head\nid: a\nx: 1\n"));
        assert_eq!(document_at(text, 5).as_deref(), Some("id: b\ny: 2\n"));
        // The separator line itself belongs to the document it opens.
        assert_eq!(document_at(text, 4).as_deref(), Some("id: b\ny: 2\n"));
        assert_eq!(document_at(text, 8).as_deref(), Some("id: c\n"));
        assert_eq!(document_at("", 1), None);
    }
}

//! `aigate rules list`: every loaded invariant with its pack, kind, language and severity.

use std::process::ExitCode;

use serde::Serialize;

use super::{Format, Sources, pack_of};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    sources: Sources,
    /// `text` (grouped by pack) or `json` (one object per invariant).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// One row of `rules list --format json`.
#[derive(Debug, Serialize)]
struct Row<'a> {
    id: &'a str,
    language: Option<&'static str>,
    kind: &'static str,
    severity: &'static str,
    pack: String,
    /// Whether the invariant runs by default (its pack is enabled).
    enabled: bool,
    builtin: bool,
    /// `file:line` of the rule's definition.
    source: String,
}

pub fn run(args: Args) -> miette::Result<ExitCode> {
    let policy = args.sources.load()?;
    let rows: Vec<Row> = policy
        .invariants()
        .iter()
        .map(|inv| Row {
            id: &inv.id,
            language: inv.language.map(|l| l.name()),
            kind: inv.kind.name(),
            severity: inv.severity.name(),
            pack: pack_of(inv),
            enabled: policy.is_enabled(inv),
            builtin: inv.origin.builtin,
            source: format!("{}:{}", inv.origin.file, inv.origin.line),
        })
        .collect();
    match args.format {
        Format::Json => {
            let json = serde_json::to_string_pretty(&rows).map_err(|e| miette::miette!("cannot write JSON: {e}"))?;
            println!("{json}");
        }
        Format::Text => print!("{}", text(&policy, &rows)),
    }
    Ok(ExitCode::SUCCESS)
}

/// Rows grouped by pack, in load order, with a header per pack saying whether it is on by default.
fn text(policy: &aigate::policy::Policy, rows: &[Row]) -> String {
    let mut packs: Vec<&str> = Vec::new();
    for row in rows {
        if !packs.contains(&row.pack.as_str()) {
            packs.push(&row.pack);
        }
    }
    let id_width = rows.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for pack in packs {
        let members: Vec<&Row> = rows.iter().filter(|r| r.pack == pack).collect();
        let info = policy.packs().iter().find(|p| p.name == pack);
        let origin = if members.iter().all(|r| r.builtin) {
            "built-in"
        } else {
            "user"
        };
        let state = if members.iter().any(|r| r.enabled) {
            "on"
        } else {
            "off by default"
        };
        out.push_str(&format!("{pack} ({origin}, {state}, {} invariants)\n", members.len()));
        if let Some(description) = info.and_then(|p| p.description.as_deref()) {
            out.push_str(&format!(
                "  {}\n",
                description.split_whitespace().collect::<Vec<_>>().join(" ")
            ));
        }
        for row in members {
            out.push_str(&format!(
                "  {:id_width$}  {:8} {:10} {}\n",
                row.id,
                row.kind,
                row.language.unwrap_or("-"),
                row.severity,
            ));
        }
        out.push('\n');
    }
    let enabled = rows.iter().filter(|r| r.enabled).count();
    let mut languages: Vec<&str> = rows.iter().filter_map(|r| r.language).collect();
    languages.sort_unstable();
    languages.dedup();
    out.push_str(&format!(
        "{} invariants ({enabled} on by default) over {} languages\n",
        rows.len(),
        languages.len()
    ));
    out
}

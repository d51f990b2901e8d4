//! SARIF 2.1.0 for code-scanning tools, built with serde-sarif and kept within GitHub's
//! ingestion rules: non-empty descriptions on every rule, relative URIs under `%SRCROOT%`, at
//! most [`MAX_RESULTS`] results per run, stable `primaryLocationLineHash` fingerprints.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};
use serde_sarif::sarif::{
    ArtifactChange, ArtifactContent, ArtifactLocation, Fix, Invocation, Location, Message, MultiformatMessageString,
    Notification, PhysicalLocation, PropertyBag, Region, Replacement, ReportingConfiguration, ReportingDescriptor,
    Result as SarifResult, ResultLevel, Run, RunAutomationDetails, Sarif, Suppression, Tool, ToolComponent,
};
use sha2::{Digest, Sha256};

use crate::gate::model::{GateFinding, GateReport, Level, RuleInfo, Severity};

/// GitHub code scanning rejects runs with more results than this.
pub const MAX_RESULTS: usize = 25_000;
/// The base every result URI is relative to: the repository root.
pub const SRCROOT: &str = "%SRCROOT%";
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The SARIF log of one gate run.
pub fn to_sarif(report: &GateReport) -> Sarif {
    let rule_index: HashMap<&str, usize> = report
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let fingerprints = line_hashes(&report.findings);
    let kept = report.findings.len().min(MAX_RESULTS);
    let results: Vec<SarifResult> = report.findings[..kept]
        .iter()
        .zip(&fingerprints)
        .map(|(f, hash)| result(f, rule_index.get(f.rule_id.as_str()).copied(), hash))
        .collect();

    let mut notifications = Vec::new();
    if kept < report.findings.len() {
        notifications.push(note(format!(
            "{} findings; only the first {MAX_RESULTS} are in this SARIF file (GitHub's per-run limit). \
             The terminal, JSON and Code Quality outputs have them all.",
            report.findings.len()
        )));
    }
    notifications.extend(report.notes.iter().cloned().map(note));

    let invocation = Invocation::builder()
        .execution_successful(report.verdict.outcome != crate::gate::model::Outcome::Error)
        .exit_code(i64::from(report.verdict.exit_code))
        .tool_execution_notifications(notifications)
        .build();

    let driver = ToolComponent::builder()
        .name("aigate")
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri("https://github.com/aigate-dev/aigate")
        .rules(report.rules.iter().map(rule).collect::<Vec<_>>())
        .build();

    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .automation_details(
            RunAutomationDetails::builder()
                .id(format!("aigate/check/{}", report.change.head))
                .build(),
        )
        .invocations(vec![invocation])
        .column_kind(json!("unicodeCodePoints"))
        .results(results)
        .properties(bag([
            ("policyDigest", json!(report.policy_digest)),
            ("verdict", json!(report.verdict)),
            ("scope", json!(report.scope)),
            ("change", json!(report.change)),
            ("truncated", json!(kept < report.findings.len())),
        ]))
        .build();

    Sarif::builder()
        .schema(SCHEMA)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build()
}

/// The SARIF log as pretty JSON text.
pub fn to_string(report: &GateReport) -> String {
    serde_json::to_string_pretty(&to_sarif(report)).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

fn rule(info: &RuleInfo) -> ReportingDescriptor {
    let short = first_sentence(&info.message);
    let full = match &info.rationale {
        Some(r) if !r.trim().is_empty() => r.trim().to_string(),
        _ => info.message.clone(),
    };
    let mut help = info.message.clone();
    if let Some(note) = info.note.as_deref().filter(|n| !n.trim().is_empty()) {
        help.push_str("\n\n");
        help.push_str(note.trim());
    }
    if let Some(r) = info.rationale.as_deref().filter(|r| !r.trim().is_empty()) {
        help.push_str("\n\nWhy: ");
        help.push_str(r.trim());
    }
    let mut tags = vec!["aigate".to_string(), info.kind.clone()];
    tags.extend(info.pack.clone());
    let mut props = vec![("precision", json!("high"))];
    if let Some(score) = &info.security_severity {
        tags.push("security".into());
        props.push(("security-severity", json!(score)));
    }
    // The schema requires unique tags (a pack may be named like a tag).
    tags.sort();
    tags.dedup();
    let mut bag = bag(props);
    bag.tags = Some(tags);

    let mut builder = ReportingDescriptor::builder()
        .id(info.id.clone())
        .name(rule_name(&info.id))
        .short_description(text(short))
        .full_description(text(full))
        .help(
            MultiformatMessageString::builder()
                .text(help.clone())
                .markdown(help)
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(json!(sarif_level(info.severity)))
                .build(),
        )
        .properties(bag)
        .build();
    builder.help_uri = info.url.clone();
    builder
}

fn result(f: &GateFinding, rule_index: Option<usize>, line_hash: &str) -> SarifResult {
    let location = Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(artifact(&f.path))
                .region(region(
                    f.start.line,
                    f.start.column,
                    f.end.line,
                    f.end.column,
                    Some(&f.snippet),
                ))
                .build(),
        )
        .build();
    let level = match f.level {
        Level::Block => ResultLevel::Error,
        Level::Warn | Level::Waived => match f.severity {
            Severity::Error | Severity::Warning => ResultLevel::Warning,
            Severity::Info | Severity::Hint => ResultLevel::Note,
        },
    };
    let mut r = SarifResult::builder()
        .message(Message::builder().text(f.message.clone()).build())
        .rule_id(f.rule_id.clone())
        .level(level)
        .locations(vec![location])
        .partial_fingerprints(BTreeMap::from([(
            "primaryLocationLineHash".to_string(),
            line_hash.to_string(),
        )]))
        .properties(bag([(
            "aigate",
            json!({ "level": f.level, "severity": f.severity, "provenance": f.provenance }),
        )]))
        .build();
    r.rule_index = rule_index.map(|i| i as i64);
    if let Some(w) = &f.waived {
        r.suppressions = Some(vec![
            Suppression::builder()
                .kind(json!("inSource"))
                .status(json!("accepted"))
                .justification(w.reason.clone())
                .build(),
        ]);
    }
    if let Some(fix) = &f.fix {
        let replacement = Replacement::builder()
            .deleted_region(region(
                fix.start.line,
                fix.start.column,
                fix.end.line,
                fix.end.column,
                None,
            ))
            .inserted_content(ArtifactContent::builder().text(fix.replacement.clone()).build())
            .build();
        r.fixes = Some(vec![
            Fix::builder()
                .description(
                    Message::builder()
                        .text(format!("Apply the fix suggested by {}", f.rule_id))
                        .build(),
                )
                .artifact_changes(vec![
                    ArtifactChange::builder()
                        .artifact_location(artifact(&f.path))
                        .replacements(vec![replacement])
                        .build(),
                ])
                .build(),
        ]);
    }
    r
}

fn region(start_line: u32, start_col: u32, end_line: u32, end_col: u32, snippet: Option<&str>) -> Region {
    let mut region = Region::builder()
        .start_line(i64::from(start_line.max(1)))
        .start_column(i64::from(start_col.max(1)))
        .end_line(i64::from(end_line.max(start_line).max(1)))
        .end_column(i64::from(end_col.max(1)))
        .build();
    if let Some(s) = snippet.filter(|s| !s.is_empty()) {
        region.snippet = Some(ArtifactContent::builder().text(s.to_string()).build());
    }
    region
}

fn artifact(path: &str) -> ArtifactLocation {
    ArtifactLocation::builder()
        .uri(uri_path(path))
        .uri_base_id(SRCROOT)
        .build()
}

/// A relative URI reference for a repository path: `/`-separated, percent-encoding what a URI
/// path cannot hold (spaces, `#`, `?`, `%`, non-ASCII).
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.trim_start_matches("./").bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'='
            | b'@' => out.push(b as char),
            b'\\' => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `primaryLocationLineHash` per finding: a hash of the rule and the whitespace-normalised text
/// of the finding's first line, plus the occurrence index of that (rule, text) in the file. It
/// depends on what the line says, not where it is, so it survives unrelated lines moving.
pub fn line_hashes(findings: &[GateFinding]) -> Vec<String> {
    let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
    findings
        .iter()
        .map(|f| {
            let first = f.snippet.lines().next().unwrap_or("");
            let normalised: String = first.split_whitespace().collect::<Vec<_>>().join(" ");
            let mut h = Sha256::new();
            h.update(f.rule_id.as_bytes());
            h.update([0]);
            h.update(normalised.as_bytes());
            let digest = hex::encode(&h.finalize()[..8]);
            let n = seen
                .entry((f.path.clone(), f.rule_id.clone(), digest.clone()))
                .or_insert(0);
            *n += 1;
            format!("{digest}:{n}")
        })
        .collect()
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Hint => "note",
    }
}

/// `security/python-eval` → `SecurityPythonEval`, the camel-case name SARIF viewers show.
fn rule_name(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|s| !s.is_empty())
        .map(|s| {
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn first_sentence(text: &str) -> String {
    let t = text.trim();
    let end = t.find(". ").map_or(t.len(), |i| i + 1);
    let s = t[..end].trim();
    if s.is_empty() {
        "aigate invariant".to_string()
    } else {
        s.to_string()
    }
}

fn text(s: impl Into<String>) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(s.into()).build()
}

fn note(text: String) -> Notification {
    Notification::builder()
        .message(Message::builder().text(text).build())
        .level(json!("note"))
        .build()
}

fn bag<'a>(entries: impl IntoIterator<Item = (&'a str, Value)>) -> PropertyBag {
    PropertyBag::builder()
        .additional_properties(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect::<BTreeMap<_, _>>(),
        )
        .build()
}

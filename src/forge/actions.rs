//! What a GitHub Actions step hands back without a token: the Markdown summary appended to
//! `GITHUB_STEP_SUMMARY` (shown on the run page) and step outputs in `GITHUB_OUTPUT`, which later
//! steps read as `steps.<id>.outputs.verdict`. Failing to write either is a warning for the caller
//! to log: the verdict is decided by the gate, never by the runner's files.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::gate::model::{GateReport, Outcome};
use crate::report::markdown;

/// A runner file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot append to {what} ({}): {source}; the verdict stands, but the run page will not show it", path.display())]
pub struct ActionsError {
    /// `GITHUB_STEP_SUMMARY` or `GITHUB_OUTPUT`.
    pub what: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// `pass`, `block` or `error`: the `verdict` output.
pub fn verdict_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "pass",
        Outcome::Block => "block",
        Outcome::Error => "error",
    }
}

/// The step outputs of a run: `verdict`, `findings`, `blocking`, `sarif` (the SARIF file written, or
/// empty) and `reason` (the verdict's sentence).
pub fn outputs(report: &GateReport, sarif: Option<&Path>) -> Vec<(&'static str, String)> {
    vec![
        ("verdict", verdict_word(report.verdict.outcome).to_owned()),
        ("findings", report.totals.findings.to_string()),
        ("blocking", report.totals.blocking.to_string()),
        ("sarif", sarif.map(|p| p.display().to_string()).unwrap_or_default()),
        ("reason", report.verdict.reason.clone()),
    ]
}

/// One output in the `GITHUB_OUTPUT` file format: `name=value`, or for a value with a line break
/// `name<<DELIM` / value / `DELIM` with a random delimiter that does not occur in the value, so a
/// value cannot end the block early and inject outputs of its own.
pub fn output_entry(name: &str, value: &str) -> String {
    if !value.contains(['\n', '\r']) {
        return format!("{name}={value}\n");
    }
    let delimiter = loop {
        let candidate = format!("ghadelimiter_{}", random_hex());
        if !value.contains(&candidate) {
            break candidate;
        }
    };
    format!("{name}<<{delimiter}\n{value}\n{delimiter}\n")
}

/// 128 random bits as hex. std's `RandomState` is seeded from the operating system's randomness,
/// which is all an unguessable delimiter needs.
fn random_hex() -> String {
    let mut hex = String::new();
    for _ in 0..2 {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u8(0);
        hex.push_str(&format!("{:016x}", hasher.finish()));
    }
    hex
}

/// Appends `outputs` to the `GITHUB_OUTPUT` file.
pub fn write_outputs(path: &Path, outputs: &[(&str, String)]) -> Result<(), ActionsError> {
    let text: String = outputs.iter().map(|(name, value)| output_entry(name, value)).collect();
    append(path, &text).map_err(|source| ActionsError {
        what: "GITHUB_OUTPUT",
        path: path.to_owned(),
        source,
    })
}

/// Appends the Markdown summary of `report` to the `GITHUB_STEP_SUMMARY` file.
pub fn append_summary(path: &Path, report: &GateReport) -> Result<(), ActionsError> {
    let mut text = markdown::to_string(report);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    append(path, &text).map_err(|source| ActionsError {
        what: "GITHUB_STEP_SUMMARY",
        path: path.to_owned(),
        source,
    })
}

/// After the gate, in a GitHub Actions step: the summary and the outputs, for the files the runner
/// named in the environment (`env` as in [`crate::forge::env::detect`]). Returns what could not be
/// written; the caller logs it as warnings.
pub fn publish(report: &GateReport, sarif: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> Vec<ActionsError> {
    let file = |name: &str| env(name).filter(|v| !v.trim().is_empty()).map(PathBuf::from);
    let mut failures = Vec::new();
    if let Some(path) = file("GITHUB_STEP_SUMMARY") {
        failures.extend(append_summary(&path, report).err());
    }
    if let Some(path) = file("GITHUB_OUTPUT") {
        failures.extend(write_outputs(&path, &outputs(report, sarif)).err());
    }
    failures
}

fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().append(true).create(true).open(path)?;
    file.write_all(text.as_bytes())
}

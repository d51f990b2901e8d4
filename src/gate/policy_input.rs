//! The org policy of a run, from `--policy` / `AIGATE_POLICY` entries:
//!
//! - a **directory**: its rule files (recursively), plus optional `policy.yaml` (the settings
//!   document, `policy: {…}`) and `signatures.yaml` (the org's AI signatures);
//! - a **bundle file**: rule documents and at most one `policy:` settings document, in one YAML file.
//!
//! With no entry the org policy is the built-in packs with default settings.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::config::{ConfigError, OrgSettings};
use super::layering::Layered;
use super::run::GateError;
use crate::policy::{Invariant, PolicyError, PolicyLoader};

/// The org's layer of a run.
#[derive(Debug)]
pub struct OrgPolicy {
    pub settings: OrgSettings,
    /// The enabled org invariants (built-in packs as the settings say, then org rules).
    pub invariants: Vec<Invariant>,
    /// The org's signature files.
    pub signatures: Vec<PathBuf>,
}

pub const SETTINGS_FILE: &str = "policy.yaml";

pub fn load(entries: &[PathBuf]) -> Result<OrgPolicy, GateError> {
    let mut settings: Option<(String, OrgSettings)> = None;
    let mut signatures = Vec::new();
    let mut rule_texts: Vec<(String, String)> = Vec::new();
    let mut rule_dirs: Vec<PathBuf> = Vec::new();
    let mut set = |file: String, s: OrgSettings| -> Result<(), ConfigError> {
        if let Some((first, _)) = &settings {
            return Err(ConfigError {
                file,
                message: format!("a second org settings document (the first is in {first})"),
                help: "an org policy has one `policy:` settings document; merge them".into(),
            });
        }
        settings = Some((file, s));
        Ok(())
    };
    for entry in entries {
        let meta = std::fs::metadata(entry).map_err(|source| PolicyError::Read {
            path: entry.clone(),
            source,
        })?;
        if meta.is_dir() {
            let settings_file = entry.join(SETTINGS_FILE);
            if settings_file.is_file() {
                let text = read(&settings_file)?;
                set(
                    settings_file.display().to_string(),
                    OrgSettings::parse(&settings_file.display().to_string(), &text)?,
                )?;
            }
            for name in ["signatures.yaml", "signatures.yml"] {
                if entry.join(name).is_file() {
                    signatures.push(entry.join(name));
                }
            }
            rule_dirs.push(entry.clone());
        } else {
            let name = entry.display().to_string();
            let text = read(entry)?;
            let (doc, rules) = split_bundle(&name, &text)?;
            if let Some(doc) = doc {
                set(name.clone(), OrgSettings::parse(&name, &doc)?)?;
            }
            rule_texts.push((name, rules));
        }
    }
    let settings = settings.map(|(_, s)| s).unwrap_or_default();
    // Settings name signature files relative to where the settings live; an absolute path stays.
    let base = entries
        .iter()
        .find(|e| e.is_dir())
        .cloned()
        .or_else(|| entries.first().and_then(|e| e.parent().map(Path::to_path_buf)));
    signatures.extend(
        settings
            .signatures
            .iter()
            .map(|s| base.as_deref().map_or_else(|| PathBuf::from(s), |b| b.join(s))),
    );

    let mut loader = PolicyLoader::new().builtin(settings.builtin);
    for dir in rule_dirs {
        loader = loader.path(dir);
    }
    for (name, text) in &rule_texts {
        loader = loader.text(name, text);
    }
    let mut policy = loader.load()?;
    for pack in &settings.packs.enable {
        policy.enable_pack(pack)?;
    }
    let mut invariants: Vec<Invariant> = policy
        .enabled()
        .filter(|i| {
            !i.origin
                .pack
                .as_ref()
                .is_some_and(|p| settings.packs.disable.contains(p))
        })
        .cloned()
        .collect();
    for (id, severity) in &settings.severity {
        match invariants.iter_mut().find(|i| &i.id == id) {
            Some(inv) => inv.severity = *severity,
            None => {
                return Err(ConfigError {
                    file: "org policy".into(),
                    message: format!("`severity.{id}` names no loaded invariant"),
                    help: "use an id from `aigate rules list`".into(),
                }
                .into());
            }
        }
    }
    invariants.retain(|i| i.severity != crate::policy::Severity::Off);
    Ok(OrgPolicy {
        settings,
        invariants,
        signatures,
    })
}

fn read(path: &Path) -> Result<String, PolicyError> {
    std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Splits a bundle into its settings document (if any) and the rule documents, with the settings
/// lines blanked so that rule errors keep their line numbers.
fn split_bundle(name: &str, text: &str) -> Result<(Option<String>, String), ConfigError> {
    let mut docs: Vec<(usize, usize)> = Vec::new(); // line ranges [start, end) of each document
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut start = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.trim_end() == "---" {
            docs.push((start, i));
            start = i + 1;
        }
    }
    docs.push((start, lines.len()));
    let mut settings = None;
    let mut rules = String::with_capacity(text.len());
    for (s, e) in docs {
        let body: String = lines[s..e].concat();
        let is_settings = body.lines().any(|l| l.starts_with("policy:"));
        if is_settings {
            if settings.is_some() {
                return Err(ConfigError {
                    file: name.into(),
                    message: "two `policy:` settings documents in one bundle".into(),
                    help: "keep one settings document per org policy".into(),
                });
            }
            settings = Some(body);
            rules.extend(lines[s..e].iter().map(|_| "\n"));
        } else {
            rules.push_str(&body);
        }
        if e < lines.len() {
            rules.push_str(lines[e]);
        }
    }
    Ok((settings, rules))
}

/// The effective policy digest: sha256 over the canonical enforced rule set (definitions, as
/// layered severities and scopes) and the run settings. Equal digests, equal enforcement.
pub fn digest(layered: &Layered) -> String {
    let mut rules: Vec<&Invariant> = layered.invariants.iter().collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    let canonical = serde_json::json!({
        "settings": layered.settings,
        "rules": rules.iter().map(|i| serde_json::json!({
            "id": i.id,
            "pack": i.origin.pack,
            "severity": i.severity,
            "scope": i.metadata.scope,
            "definition": i.definition,
        })).collect::<Vec<_>>(),
    });
    // serde_json maps are sorted (no preserve_order), so this text is canonical.
    let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
    format!("sha256:{}", hex::encode(Sha256::digest(&bytes)))
}

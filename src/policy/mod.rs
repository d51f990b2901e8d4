//! Policy: the invariant model, loading and validating rule files (ast-grep's format plus
//! aigate's kinds), the built-in packs embedded at build time, and pack enablement.
//!
//! Loading is all or nothing: any error in any rule file fails the whole load, so a run never
//! enforces half a policy.

mod error;
mod load;
mod model;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

pub use error::{PolicyError, RuleError};
pub use model::{Check, Example, Examples, Invariant, KindName, Metadata, Origin, Scope, Severity};

use load::{RuleFile, parse_file};

/// The built-in packs and signature catalogue: every YAML file under `rules/`, embedded.
pub mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

    /// The embedded file at `path` (below `rules/`), if any.
    pub fn file(path: &str) -> Option<&'static str> {
        FILES.iter().find(|(p, _)| *p == path).map(|(_, text)| *text)
    }
}

/// A pack: a directory of rule files, optionally with a `pack.yaml` manifest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Pack {
    pub name: String,
    pub description: Option<String>,
    pub enabled: bool,
    pub builtin: bool,
}

/// `pack.yaml`. Unknown keys are allowed (the manifest belongs to the pack authors).
#[derive(Debug, Default, Deserialize)]
struct Manifest {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
}

/// The effective set of invariants for a run.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    invariants: Vec<Invariant>,
    packs: Vec<Pack>,
}

impl Policy {
    /// The built-in packs, with their default enablement.
    pub fn builtin() -> Result<Policy, PolicyError> {
        PolicyLoader::new().load()
    }

    /// A policy of one YAML text (several documents allowed); `name` is shown in errors.
    pub fn from_yaml(name: &str, text: &str) -> Result<Policy, PolicyError> {
        PolicyLoader::new().builtin(false).text(name, text).load()
    }

    /// Every loaded invariant, including those of disabled packs.
    pub fn invariants(&self) -> &[Invariant] {
        &self.invariants
    }

    /// The invariants that run: those of enabled packs and those outside any pack.
    pub fn enabled(&self) -> impl Iterator<Item = &Invariant> {
        self.invariants.iter().filter(|i| self.is_enabled(i))
    }

    pub fn is_enabled(&self, invariant: &Invariant) -> bool {
        match &invariant.origin.pack {
            Some(name) => self.packs.iter().any(|p| p.name == *name && p.enabled),
            None => true,
        }
    }

    pub fn packs(&self) -> &[Pack] {
        &self.packs
    }

    pub fn get(&self, id: &str) -> Option<&Invariant> {
        self.invariants.iter().find(|i| i.id == id)
    }

    /// Turns on a pack that is off by default (e.g. `architecture`).
    pub fn enable_pack(&mut self, name: &str) -> Result<(), PolicyError> {
        match self.packs.iter_mut().find(|p| p.name == name) {
            Some(pack) => {
                pack.enabled = true;
                Ok(())
            }
            None => Err(PolicyError::UnknownPack {
                name: name.to_string(),
                known: self
                    .packs
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// sha256 (hex) of the canonical serialization of the enabled invariants: their definitions
    /// (sorted keys) in id order. Equal digests mean the same rules are enforced.
    pub fn digest(&self) -> String {
        let mut enabled: Vec<&Invariant> = self.enabled().collect();
        enabled.sort_by(|a, b| a.id.cmp(&b.id));
        let canonical: Vec<serde_json::Value> = enabled
            .iter()
            .map(|i| serde_json::json!({ "id": i.id, "pack": i.origin.pack, "definition": i.definition }))
            .collect();
        let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
        hex::encode(Sha256::digest(&bytes))
    }
}

/// Builds a policy from the built-in packs, rule files and directories, and YAML texts.
#[derive(Debug, Clone)]
pub struct PolicyLoader {
    builtin: bool,
    paths: Vec<PathBuf>,
    texts: Vec<(String, String)>,
}

impl Default for PolicyLoader {
    fn default() -> Self {
        PolicyLoader::new()
    }
}

impl PolicyLoader {
    /// Starts with the built-in packs included.
    pub fn new() -> PolicyLoader {
        PolicyLoader {
            builtin: true,
            paths: Vec::new(),
            texts: Vec::new(),
        }
    }

    /// Whether to include the built-in packs.
    pub fn builtin(mut self, on: bool) -> Self {
        self.builtin = on;
        self
    }

    /// A rule file, or a directory searched recursively for `*.yml`/`*.yaml` (`pack.yaml` and
    /// `signatures.yaml` are not rule files).
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        self.paths.push(path.into());
        self
    }

    pub fn text(mut self, name: &str, text: &str) -> Self {
        self.texts.push((name.to_string(), text.to_string()));
        self
    }

    pub fn load(self) -> Result<Policy, PolicyError> {
        let mut policy = Policy::default();
        if self.builtin {
            load_builtin(&mut policy)?;
        }
        for path in &self.paths {
            load_path(&mut policy, path)?;
        }
        for (name, text) in &self.texts {
            let file = RuleFile {
                name,
                text,
                pack: None,
                builtin: false,
            };
            add(&mut policy, parse_file(&file)?)?;
        }
        Ok(policy)
    }
}

fn load_builtin(policy: &mut Policy) -> Result<(), PolicyError> {
    // Manifests first, so that a pack's name and enablement are known before its rules.
    let mut names: BTreeMap<&str, String> = BTreeMap::new();
    for (path, text) in builtin::FILES {
        if let Some((dir, "pack.yaml" | "pack.yml")) = path.split_once('/') {
            ensure_pack(policy, dir, true);
            names.insert(dir, apply_manifest(policy, dir, &format!("rules/{path}"), text)?);
        }
    }
    for (path, text) in builtin::FILES {
        let file_name = path.rsplit('/').next().unwrap_or_default();
        if matches!(
            file_name,
            "pack.yaml" | "pack.yml" | "signatures.yaml" | "signatures.yml"
        ) {
            continue;
        }
        // Each directory directly under rules/ is a pack.
        let pack = path
            .split_once('/')
            .map(|(dir, _)| names.get(dir).cloned().unwrap_or_else(|| dir.to_string()));
        if let Some(pack) = &pack {
            ensure_pack(policy, pack, true);
        }
        let shown = format!("rules/{path}");
        let file = RuleFile {
            name: &shown,
            text,
            pack: pack.as_deref(),
            builtin: true,
        };
        add(policy, parse_file(&file)?)?;
    }
    Ok(())
}

fn ensure_pack(policy: &mut Policy, name: &str, builtin: bool) {
    if !policy.packs.iter().any(|p| p.name == name) {
        policy.packs.push(Pack {
            name: name.to_string(),
            description: None,
            enabled: true,
            builtin,
        });
    }
}

/// Reads a `pack.yaml`; returns the pack's name (the manifest's `name`, else `default_name`).
fn apply_manifest(policy: &mut Policy, default_name: &str, shown: &str, text: &str) -> Result<String, PolicyError> {
    let manifest: Manifest = serde_saphyr::from_str::<Option<Manifest>>(text)
        .map(Option::unwrap_or_default)
        .map_err(|e| {
            let (line, column) = e.location().map_or((1, 1), |l| (l.line() as u32, l.column() as u32));
            PolicyError::from(RuleError::new(
                shown,
                text,
                (line, column),
                None,
                None,
                e.without_snippet().to_string(),
                "a pack.yaml holds `name`, `description` and `enabled: true|false`",
            ))
        })?;
    let name = manifest.name.unwrap_or_else(|| default_name.to_string());
    let builtin = policy
        .packs
        .iter()
        .find(|p| p.name == default_name)
        .is_some_and(|p| p.builtin);
    ensure_pack(policy, &name, builtin);
    if let Some(pack) = policy.packs.iter_mut().find(|p| p.name == name) {
        pack.enabled = manifest.enabled.unwrap_or(true);
        pack.description = manifest.description;
    }
    Ok(name)
}

fn load_path(policy: &mut Policy, path: &Path) -> Result<(), PolicyError> {
    let meta = fs::metadata(path).map_err(|source| PolicyError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_file() {
        return load_one(policy, path, None);
    }
    // Each directory with a pack.yaml is a pack; its rule files (and those below) belong to it.
    let mut files: Vec<PathBuf> = Vec::new();
    let mut manifests: Vec<PathBuf> = Vec::new();
    collect(path, &mut files, &mut manifests)?;
    let mut packs: BTreeMap<PathBuf, String> = BTreeMap::new();
    for manifest in &manifests {
        let dir = manifest.parent().unwrap_or(path).to_path_buf();
        let default_name = dir
            .file_name()
            .map_or_else(|| "rules".to_string(), |n| n.to_string_lossy().into_owned());
        let text = read(manifest)?;
        let name = apply_manifest(policy, &default_name, &manifest.display().to_string(), &text)?;
        packs.insert(dir, name);
    }
    for file in &files {
        let pack = file.ancestors().skip(1).find_map(|dir| packs.get(dir)).cloned();
        load_one(policy, file, pack.as_deref())?;
    }
    Ok(())
}

fn load_one(policy: &mut Policy, path: &Path, pack: Option<&str>) -> Result<(), PolicyError> {
    let text = read(path)?;
    let shown = path.display().to_string();
    let file = RuleFile {
        name: &shown,
        text: &text,
        pack,
        builtin: false,
    };
    add(policy, parse_file(&file)?)
}

fn read(path: &Path) -> Result<String, PolicyError> {
    fs::read_to_string(path).map_err(|source| PolicyError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>, manifests: &mut Vec<PathBuf>) -> Result<(), PolicyError> {
    let entries = fs::read_dir(dir).map_err(|source| PolicyError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect(&path, files, manifests)?;
            continue;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if !(name.ends_with(".yml") || name.ends_with(".yaml")) {
            continue;
        }
        match name {
            "pack.yaml" | "pack.yml" => manifests.push(path),
            // The org policy settings and AI signatures of a policy directory are not rule files.
            "signatures.yaml" | "signatures.yml" | "policy.yaml" | "policy.yml" => {}
            _ => files.push(path),
        }
    }
    Ok(())
}

/// Adds invariants, refusing an id that is already defined.
fn add(policy: &mut Policy, invariants: Vec<Invariant>) -> Result<(), PolicyError> {
    for inv in invariants {
        if let Some(first) = policy.invariants.iter().find(|i| i.id == inv.id) {
            return Err(PolicyError::DuplicateId {
                id: inv.id.clone(),
                first: format!("{}:{}", first.origin.file, first.origin.line),
                second: format!("{}:{}", inv.origin.file, inv.origin.line),
            });
        }
        policy.invariants.push(inv);
    }
    Ok(())
}

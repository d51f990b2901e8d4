//! The two configuration layers of a gate run, as plain data:
//!
//! - the **org policy settings** (`policy:` document in an org bundle or `policy.yaml` in an org
//!   policy directory), which the organisation controls outside the repository;
//! - the **repository's `.aigate.yml`**, read at head, which may only add and tighten.
//!
//! Locations are kept ([`Spanned`]) so that a weakening setting can be reported on its line.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::model::ScopeMode;
use crate::policy::{Scope, Severity};

/// Whether commits with no AI signal count as human (the default) or as AI (strict orgs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownAuthorship {
    #[default]
    Human,
    Ai,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackSwitches {
    #[serde(default)]
    pub enable: Vec<String>,
    #[serde(default)]
    pub disable: Vec<String>,
}

/// The organisation's settings (`policy:` key). Every field has the default an org gets with
/// no settings at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgSettings {
    /// Load the built-in packs (on by default).
    #[serde(default = "yes")]
    pub builtin: bool,
    #[serde(default)]
    pub packs: PackSwitches,
    /// The run's default scope.
    #[serde(default)]
    pub scope: ScopeMode,
    /// The lowest severity that blocks when in scope.
    #[serde(default = "error")]
    pub block_on: Severity,
    #[serde(default)]
    pub unknown_authorship: UnknownAuthorship,
    /// Shortest accepted waiver reason, in characters.
    #[serde(default)]
    pub waiver_min_reason: Option<usize>,
    /// Extra AI signature files, relative to the settings file.
    #[serde(default)]
    pub signatures: Vec<String>,
    /// Per-rule severity for the whole org (`off` disables: the org owns its rules).
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
}

fn yes() -> bool {
    true
}
fn error() -> Severity {
    Severity::Error
}

impl Default for OrgSettings {
    fn default() -> Self {
        OrgSettings {
            builtin: true,
            packs: PackSwitches::default(),
            scope: ScopeMode::default(),
            block_on: Severity::Error,
            unknown_authorship: UnknownAuthorship::Human,
            waiver_min_reason: None,
            signatures: Vec::new(),
            severity: BTreeMap::new(),
        }
    }
}

/// A repository's `.aigate.yml`. Everything is optional; unknown keys are an error (a typo must
/// not silently turn a setting off).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoConfig {
    /// Rule files or directories in the repository to add (relative to its root).
    #[serde(default)]
    pub rules: Vec<Spanned<String>>,
    /// Extra paths an AI-authored change must not touch.
    #[serde(default)]
    pub protected_paths: Vec<Spanned<String>>,
    /// Per-rule severities: raising is allowed, lowering is weakening.
    #[serde(default)]
    pub severity: BTreeMap<String, Spanned<Severity>>,
    /// Per-rule scope: widening is allowed, narrowing is weakening.
    #[serde(default)]
    pub rule_scope: BTreeMap<String, Spanned<Scope>>,
    /// The run's scope: widening is allowed, narrowing is weakening.
    #[serde(default)]
    pub scope: Option<Spanned<ScopeMode>>,
    /// Rules to turn off: always weakening for org rules.
    #[serde(default)]
    pub disable: Vec<Spanned<String>>,
    #[serde(default)]
    pub packs: Option<Spanned<PackSwitches>>,
    #[serde(default)]
    pub block_on: Option<Spanned<Severity>>,
    #[serde(default)]
    pub unknown_authorship: Option<Spanned<UnknownAuthorship>>,
    #[serde(default)]
    pub waiver_min_reason: Option<Spanned<usize>>,
    /// Per-rule extra `ignores` globs: narrowing an org rule, so weakening.
    #[serde(default)]
    pub ignores: BTreeMap<String, Spanned<Vec<String>>>,
}

/// A configuration file that could not be read as such.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}\nhelp: {help}")]
pub struct ConfigError {
    pub file: String,
    pub message: String,
    pub help: String,
}

impl RepoConfig {
    pub fn parse(file: &str, text: &str) -> Result<RepoConfig, ConfigError> {
        if text.trim().is_empty() {
            return Ok(RepoConfig::default());
        }
        serde_saphyr::from_str(text).map_err(|e| ConfigError {
            file: file.to_string(),
            message: e.to_string(),
            help: "fix the key or value named above; keys allowed in .aigate.yml: rules, protected_paths, \
                   severity, rule_scope, scope, disable, packs, block_on, unknown_authorship, \
                   waiver_min_reason, ignores (see the README, \"Repository configuration\")"
                .into(),
        })
    }
}

/// The `policy:` settings document of an org bundle or `policy.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsDoc {
    policy: OrgSettings,
}

impl OrgSettings {
    pub fn parse(file: &str, text: &str) -> Result<OrgSettings, ConfigError> {
        serde_saphyr::from_str::<SettingsDoc>(text).map(|d| d.policy).map_err(|e| ConfigError {
            file: file.to_string(),
            message: e.to_string(),
            help: "an org settings document is a YAML map with one key, `policy:`, holding builtin, packs, scope, \
                   block_on, unknown_authorship, waiver_min_reason, signatures, severity (see the README, \"Org policy\")"
                .into(),
        })
    }
}

/// How wide a run scope is: a repository may only move right.
pub fn scope_rank(scope: ScopeMode) -> u8 {
    match scope {
        ScopeMode::AiLines => 0,
        ScopeMode::AiFiles => 1,
        ScopeMode::ChangedLines => 2,
        ScopeMode::All => 3,
    }
}

/// How wide a rule scope is: a repository may only move right.
pub fn rule_scope_rank(scope: Scope) -> u8 {
    match scope {
        Scope::Ai => 0,
        Scope::Changed => 1,
        Scope::All => 2,
    }
}

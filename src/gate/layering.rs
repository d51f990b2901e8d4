//! Policy layering: the org's invariants and settings, then the repository's `.aigate.yml`.
//! A repository may add rules, add protected paths and tighten; it may never disable,
//! downgrade, re-scope narrower or narrow the files of an org invariant. Such settings are
//! ignored, and each one becomes a blocking `aigate/policy-weakening` finding on its line.

use serde_saphyr::Spanned;

use super::config::{OrgSettings, RepoConfig, UnknownAuthorship, rule_scope_rank, scope_rank};
use crate::policy::Invariant;

/// The rule id of the finding that reports a weakening attempt.
pub const POLICY_WEAKENING: &str = "aigate/policy-weakening";

/// One ignored repository setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weakening {
    /// 1-based line in `.aigate.yml`.
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// The result of layering: the settings and invariants the run enforces.
#[derive(Debug, Clone)]
pub struct Layered {
    pub settings: OrgSettings,
    pub invariants: Vec<Invariant>,
    pub weakenings: Vec<Weakening>,
    /// Settings naming rules that do not exist (a typo is worth saying, not worth blocking).
    pub notes: Vec<String>,
}

/// Layers `repo` (with the repository's own `repo_rules`, loaded from its `rules:` entries) over
/// the org's `org_rules` and `settings`.
pub fn layer(
    settings: &OrgSettings,
    org_rules: Vec<Invariant>,
    repo: &RepoConfig,
    repo_rules: Vec<Invariant>,
) -> Layered {
    let mut out = Layered {
        settings: settings.clone(),
        invariants: org_rules,
        weakenings: Vec::new(),
        notes: Vec::new(),
    };
    let org_ids: std::collections::HashSet<String> = out.invariants.iter().map(|i| i.id.clone()).collect();
    let weaken = |out: &mut Layered, at: &dyn Located, message: String| {
        let (line, column) = at.at();
        out.weakenings.push(Weakening { line, column, message });
    };

    // Run-wide settings.
    if let Some(scope) = &repo.scope {
        if scope_rank(scope.value) >= scope_rank(out.settings.scope) {
            out.settings.scope = scope.value;
        } else {
            let msg = format!(
                "`scope: {}` narrows the org scope `{}`",
                kebab(&scope.value),
                kebab(&out.settings.scope)
            );
            weaken(&mut out, scope, msg);
        }
    }
    if let Some(level) = &repo.block_on {
        if level.value <= out.settings.block_on {
            out.settings.block_on = level.value;
        } else {
            let msg = format!(
                "`block_on: {}` raises the org block level `{}`",
                level.value, out.settings.block_on
            );
            weaken(&mut out, level, msg);
        }
    }
    if let Some(unknown) = &repo.unknown_authorship {
        if unknown.value == UnknownAuthorship::Ai || out.settings.unknown_authorship == UnknownAuthorship::Human {
            out.settings.unknown_authorship = unknown.value;
        } else {
            weaken(
                &mut out,
                unknown,
                "`unknown_authorship: human` relaxes the org's `ai`".into(),
            );
        }
    }
    if let Some(min) = &repo.waiver_min_reason {
        if min.value >= out.settings.waiver_min_reason.unwrap_or(0) {
            out.settings.waiver_min_reason = Some(min.value);
        } else {
            let msg = format!("`waiver_min_reason: {}` is shorter than the org's minimum", min.value);
            weaken(&mut out, min, msg);
        }
    }
    if let Some(packs) = &repo.packs {
        out.settings.packs.enable.extend(packs.value.enable.iter().cloned());
        for name in &packs.value.disable {
            weaken(
                &mut out,
                packs,
                format!("`packs.disable: {name}` turns off an org pack"),
            );
        }
    }

    // Per-rule settings: only tightening of existing org rules.
    for id in &repo.disable {
        if org_ids.contains(&id.value) {
            weaken(
                &mut out,
                id,
                format!("`disable: {}` turns off an org invariant", id.value),
            );
        } else if !repo_rules.iter().any(|r| r.id == id.value) {
            out.notes
                .push(format!(".aigate.yml disables `{}`, which no rule defines", id.value));
        }
    }
    for (id, severity) in &repo.severity {
        match out.invariants.iter_mut().find(|i| &i.id == id) {
            Some(inv) if severity.value >= inv.severity => inv.severity = severity.value,
            Some(inv) => {
                let msg = format!(
                    "`severity.{id}: {}` downgrades the org severity `{}`",
                    severity.value, inv.severity
                );
                weaken(&mut out, severity, msg);
            }
            None => out.notes.push(format!(
                ".aigate.yml sets the severity of `{id}`, which no org rule defines"
            )),
        }
    }
    for (id, scope) in &repo.rule_scope {
        match out.invariants.iter_mut().find(|i| &i.id == id) {
            Some(inv) => match inv.metadata.scope {
                Some(current) if rule_scope_rank(scope.value) < rule_scope_rank(current) => {
                    let msg = format!("`rule_scope.{id}` narrows the org scope of that invariant");
                    weaken(&mut out, scope, msg);
                }
                _ => inv.metadata.scope = Some(scope.value),
            },
            None => out
                .notes
                .push(format!(".aigate.yml scopes `{id}`, which no org rule defines")),
        }
    }
    for (id, globs) in &repo.ignores {
        if org_ids.contains(id) {
            weaken(
                &mut out,
                globs,
                format!("`ignores.{id}` exempts files from an org invariant"),
            );
        } else {
            out.notes
                .push(format!(".aigate.yml adds ignores to `{id}`, which no org rule defines"));
        }
    }

    // The repository's own rules: added, unless they try to redefine an org rule.
    for rule in repo_rules {
        if org_ids.contains(&rule.id) {
            let line = rule.origin.line;
            let message = format!(
                "`{}` in {} redefines an org invariant; give the repository's rule its own id",
                rule.id, rule.origin.file
            );
            out.weakenings.push(Weakening {
                line: 1,
                column: 1,
                message: format!("{message} (line {line} there)"),
            });
        } else if !repo.disable.iter().any(|d| d.value == rule.id) {
            out.invariants.push(rule);
        }
    }
    out
}

/// Anything in `.aigate.yml` with a location.
trait Located {
    fn at(&self) -> (u32, u32);
}

impl<T> Located for Spanned<T> {
    fn at(&self) -> (u32, u32) {
        let loc = self.referenced;
        (
            loc.line().try_into().unwrap_or(1).max(1),
            loc.column().try_into().unwrap_or(1).max(1),
        )
    }
}

fn kebab<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

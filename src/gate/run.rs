//! `aigate check`, composed: context → policy → provenance → engine → scope → waivers → verdict.
//! Reads only what the change touches: the commits of the range, the files they change (once at
//! head, once at base), never the rest of the repository.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use rayon::prelude::*;

use super::config::{ConfigError, RepoConfig, UnknownAuthorship};
use super::layering::{self, Layered, POLICY_WEAKENING};
use super::model::*;
use super::policy_input::{self, OrgPolicy};
use super::scope::{Candidate, FileEvidence, rule_mode, scope_finding};
use crate::engine::lang::Lang;
use crate::engine::runner::{Engine, EngineOptions};
use crate::engine::source::SourceFile;
use crate::git::{ChangeStatus, GitError, Repo, TreeChange, is_binary};
use crate::policy::{Invariant, KindName, PolicyError, PolicyLoader};
use crate::provenance::attribution::FileLines;
use crate::provenance::model::{CommitProvenance, Signal, SignalKind, Trace};
use crate::provenance::signatures::{Catalogue, SignatureError};
use crate::provenance::trace::{ProvenanceError, classify, trace_commits};

/// The repository configuration file, read at head.
pub const REPO_CONFIG: &str = ".aigate.yml";

/// What `aigate check` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub repo: PathBuf,
    pub base: Option<String>,
    pub head: Option<String>,
    /// Org policy: rule directories, rule files, bundle files.
    pub policies: Vec<PathBuf>,
    /// Read the repository configuration from this file instead of `.aigate.yml` at head.
    pub config: Option<PathBuf>,
    /// A run scope from the command line: may widen the org's, never narrow it.
    pub scope: Option<ScopeMode>,
    /// Extra AI signature files.
    pub signatures: Vec<PathBuf>,
    pub max_file_size: Option<u64>,
}

/// Why the gate could not decide.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum GateError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Policy(#[from] PolicyError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Signatures(#[from] SignatureError),
    #[error("{0}")]
    Provenance(#[from] ProvenanceError),
}

/// Runs the gate on one change.
pub fn check(opts: &CheckOptions) -> Result<GateReport, GateError> {
    check_traced(opts).map(|(report, _)| report)
}

/// Runs the gate and also returns the change's provenance (corrections for the ledger).
pub fn check_traced(opts: &CheckOptions) -> Result<(GateReport, Trace), GateError> {
    let repo = Repo::discover(&opts.repo)?;
    let head_rev = opts.head.as_deref().unwrap_or("HEAD");
    let range = repo.range(opts.base.as_deref(), head_rev)?;
    let head_sha = range.head.to_string();

    // Policy: org (built-in packs, org rule dirs and bundles) ⊕ the repository's additions.
    let org: OrgPolicy = policy_input::load(&opts.policies)?;
    // Read once: parsed for the layering, quoted in the weakening findings.
    let config_text = repo_config_text(&repo, &head_sha, opts)?.unwrap_or_default();
    let repo_config = RepoConfig::parse(&config_name(opts), &config_text)?;
    let repo_rules = load_repo_rules(&repo, &head_sha, &repo_config)?;
    let mut layered = layering::layer(&org.settings, org.invariants, &repo_config, repo_rules);
    if let Some(scope) = opts.scope {
        widen_scope(&mut layered, scope);
    }
    let digest = policy_input::digest(&layered);

    // Provenance of the range, with undeclared commits as AI when the org says so.
    let mut catalogue = Catalogue::builtin()?;
    for file in org.signatures.iter().chain(&opts.signatures) {
        catalogue.extend(Catalogue::load_file(file)?);
    }
    let mut commits: Vec<CommitProvenance> = range.commits.iter().map(|c| classify(c, &catalogue)).collect();
    if layered.settings.unknown_authorship == UnknownAuthorship::Ai {
        for c in commits.iter_mut().filter(|c| !c.ai) {
            c.ai = true;
            c.tool = Some("undeclared".into());
            c.signals.push(Signal {
                kind: SignalKind::Marker,
                detail: "no AI signal; the org policy treats undeclared commits as AI".into(),
            });
        }
    }
    let (trace, lines) = trace_commits(&repo, &range, commits)?;

    // The changed files at head (and base), read once.
    let base_tree = match range.base {
        Some(b) => Some(repo.commit(b)?.tree),
        None => None,
    };
    let head_tree = repo.commit(range.head)?.tree;
    let changes = repo.tree_changes(base_tree, head_tree)?;
    let ai_touched = ai_touched_paths(&repo, &range, &trace.commits)?;
    let mut notes = layered.notes.clone();
    let files = read_files(&repo, &changes, &mut notes)?;

    let options = EngineOptions {
        max_file_size: opts.max_file_size.unwrap_or(EngineOptions::default().max_file_size),
        min_waiver_reason: layered
            .settings
            .waiver_min_reason
            .unwrap_or(EngineOptions::default().min_waiver_reason),
    };
    let invariants = layered.invariants.clone();
    let engine = Engine::from_invariants(invariants, options)?;
    let outcomes: Vec<_> = files
        .par_iter()
        .map(|f| {
            let head = SourceFile {
                path: &f.path,
                lang: f.lang,
                text: &f.head,
            };
            let base = f.base.as_ref().map(|(path, text)| SourceFile {
                path,
                lang: f.lang,
                text,
            });
            engine.analyse(&head, base.as_ref())
        })
        .collect();

    // Scope and level of every finding.
    let by_id: HashMap<&str, &Invariant> = layered.invariants.iter().map(|i| (i.id.as_str(), i)).collect();
    let lines_by_path: HashMap<String, &FileLines> = lines.iter().map(|l| (l.display_path(), l)).collect();
    let mut findings = Vec::new();
    for (file, outcome) in files.iter().zip(outcomes) {
        if let Some(why) = outcome.skipped {
            notes.push(format!("skipped {}: {why}", file.path));
        }
        notes.extend(outcome.notes.into_iter().map(|n| format!("{}: {n}", file.path)));
        let evidence = FileEvidence {
            lines: lines_by_path.get(&file.path).copied(),
            touched_by_ai: ai_touched.contains(&file.path)
                || file.base.as_ref().is_some_and(|(p, _)| ai_touched.contains(p)),
        };
        for f in outcome.findings {
            let invariant = by_id.get(f.rule_id.as_str());
            let kind = invariant.map_or(KindName::Pattern, |i| i.kind);
            let mode = rule_mode(invariant.and_then(|i| i.metadata.scope), layered.settings.scope);
            let candidate = Candidate {
                kind,
                start: f.start.line,
                end: f.end.line,
                severity: f.severity,
                waived: f.waived.is_some(),
            };
            let scoped = scope_finding(&evidence, &trace.commits, candidate, mode, layered.settings.block_on);
            let Some(level) = scoped.level else { continue };
            findings.push(GateFinding {
                snippet: snippet(&file.head, f.start.line, f.end.line),
                rule_id: f.rule_id,
                severity: f.severity.into(),
                level,
                message: f.message,
                path: f.path,
                start: Point {
                    line: f.start.line,
                    column: f.start.column,
                },
                end: Point {
                    line: f.end.line,
                    column: f.end.column,
                },
                waived: f.waived.map(|w| Waived { reason: w.reason }),
                provenance: scoped.provenance,
                fix: f.fix.map(|x| Fix {
                    start: Point {
                        line: x.start.line,
                        column: x.start.column,
                    },
                    end: Point {
                        line: x.end.line,
                        column: x.end.column,
                    },
                    replacement: x.replacement,
                }),
            });
        }
    }
    for w in &layered.weakenings {
        findings.push(GateFinding {
            rule_id: POLICY_WEAKENING.into(),
            severity: Severity::Error,
            level: Level::Block,
            message: format!("{}; the setting is ignored and the org policy applies", w.message),
            path: config_name(opts),
            start: Point {
                line: w.line,
                column: w.column,
            },
            end: Point {
                line: w.line,
                column: w.column,
            },
            snippet: snippet(&config_text, w.line, w.line),
            waived: None,
            provenance: None,
            fix: None,
        });
    }
    findings.sort_by(|a, b| (a.level, &a.path, a.start, &a.rule_id).cmp(&(b.level, &b.path, b.start, &b.rule_id)));

    let mut rules: Vec<RuleInfo> = layered
        .invariants
        .iter()
        .filter(|i| findings.iter().any(|f| f.rule_id == i.id))
        .map(rule_info)
        .collect();
    if !layered.weakenings.is_empty() {
        rules.push(weakening_rule());
    }
    let totals = Totals {
        findings: findings.len(),
        blocking: findings.iter().filter(|f| f.level == Level::Block).count(),
        warnings: findings.iter().filter(|f| f.level == Level::Warn).count(),
        waived: findings.iter().filter(|f| f.level == Level::Waived).count(),
    };
    let verdict = verdict(&totals, &layered);
    let mut tools: BTreeMap<String, usize> = BTreeMap::new();
    for c in trace.commits.iter().filter(|c| c.ai) {
        *tools
            .entry(c.tool.clone().unwrap_or_else(|| "unknown".into()))
            .or_default() += 1;
    }
    let mut tools: Vec<(String, usize)> = tools.into_iter().collect();
    tools.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let report = GateReport {
        verdict,
        policy_digest: digest,
        scope: layered.settings.scope,
        change: ChangeSummary {
            base: trace.base.clone(),
            head: trace.head.clone(),
            commits: trace.totals.commits,
            ai_commits: trace.totals.ai_commits,
            added_lines: trace.totals.added_lines,
            ai_lines: trace.totals.ai_lines,
            tools,
            files_checked: files.len(),
        },
        rules,
        findings,
        totals,
        notes,
    };
    Ok((report, trace))
}

/// The report of a run that could not decide: exit 2, or 0 when the user opted to fail open.
pub fn error_report(reason: String, fail_open: bool) -> GateReport {
    GateReport {
        verdict: Verdict {
            outcome: Outcome::Error,
            reason,
            exit_code: if fail_open { 0 } else { 2 },
        },
        policy_digest: String::new(),
        scope: ScopeMode::default(),
        change: ChangeSummary::default(),
        rules: Vec::new(),
        findings: Vec::new(),
        totals: Totals::default(),
        notes: Vec::new(),
    }
}

fn verdict(totals: &Totals, layered: &Layered) -> Verdict {
    if totals.blocking > 0 {
        let weakening = if layered.weakenings.is_empty() {
            String::new()
        } else {
            " (including policy weakening)".into()
        };
        let plural = if totals.blocking == 1 { "" } else { "s" };
        Verdict {
            outcome: Outcome::Block,
            reason: format!("{} blocking finding{plural} in scope{weakening}", totals.blocking),
            exit_code: 1,
        }
    } else {
        let reason = if totals.findings == 0 {
            "no findings".to_string()
        } else {
            "nothing in scope blocks".to_string()
        };
        Verdict {
            outcome: Outcome::Pass,
            reason,
            exit_code: 0,
        }
    }
}

/// A scope flag widens the run like a repository setting may, and is refused like one when it narrows.
fn widen_scope(layered: &mut Layered, scope: ScopeMode) {
    use super::config::scope_rank;
    if scope_rank(scope) >= scope_rank(layered.settings.scope) {
        layered.settings.scope = scope;
    } else {
        layered.notes.push(format!(
            "--scope {} is narrower than the org scope and is ignored",
            serde_json::to_value(scope)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default()
        ));
    }
}

struct ChangedFile {
    path: String,
    lang: Option<Lang>,
    head: String,
    /// The base path and text, when the file existed at base.
    base: Option<(String, String)>,
}

fn read_files(repo: &Repo, changes: &[TreeChange], notes: &mut Vec<String>) -> Result<Vec<ChangedFile>, GitError> {
    let mut out = Vec::with_capacity(changes.len());
    for change in changes {
        let path = change.display_path();
        let read = |id, kind: Option<crate::git::EntryKind>| -> Result<Option<Vec<u8>>, GitError> {
            match (id, kind) {
                (Some(id), Some(k)) if k.has_content() => repo.blob(id).map(Some),
                _ => Ok(None),
            }
        };
        let head = read(change.new_id, change.new_kind)?;
        let base = read(change.old_id, change.old_kind)?;
        if change.new_kind.is_some_and(|k| !k.has_content()) || change.old_kind.is_some_and(|k| !k.has_content()) {
            notes.push(format!("skipped {path}: a submodule has no content to check"));
            continue;
        }
        let text = |data: Option<Vec<u8>>| -> Result<Option<String>, &'static str> {
            match data {
                None => Ok(None),
                Some(d) if is_binary(&d) => Err("binary"),
                Some(d) => String::from_utf8(d).map(Some).map_err(|_| "not UTF-8"),
            }
        };
        let (head, base) = match (text(head), text(base)) {
            (Ok(h), Ok(b)) => (h, b),
            (Err(why), _) | (_, Err(why)) => {
                notes.push(format!("skipped {path}: {why}"));
                continue;
            }
        };
        if change.status == ChangeStatus::Deleted && base.is_none() {
            continue;
        }
        let old_path = change
            .old_path
            .as_ref()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        out.push(ChangedFile {
            lang: Lang::from_path(std::path::Path::new(&path)),
            path,
            head: head.unwrap_or_default(),
            base: base.map(|b| (old_path.unwrap_or_default(), b)),
        });
    }
    Ok(out)
}

/// Paths that AI commits of the range touched: evidence for findings without line evidence.
fn ai_touched_paths(
    repo: &Repo,
    range: &crate::git::Range,
    commits: &[CommitProvenance],
) -> Result<super::scope::AiTouched, GitError> {
    let mut out = super::scope::AiTouched::new();
    for (info, prov) in range.commits.iter().zip(commits) {
        if !prov.ai {
            continue;
        }
        let parent = match info.parents.first() {
            Some(p) => Some(repo.commit(*p)?.tree),
            None => None,
        };
        for change in repo.tree_changes(parent, info.tree)? {
            for p in [&change.old_path, &change.new_path].into_iter().flatten() {
                out.insert(String::from_utf8_lossy(p).into_owned());
            }
        }
    }
    Ok(out)
}

fn repo_config_text(repo: &Repo, head: &str, opts: &CheckOptions) -> Result<Option<String>, ConfigError> {
    let err = |file: String, message: String| ConfigError {
        file,
        message,
        help: "the repository configuration must be readable UTF-8 YAML".into(),
    };
    match &opts.config {
        Some(path) => std::fs::read_to_string(path)
            .map(Some)
            .map_err(|e| err(path.display().to_string(), e.to_string())),
        None => match repo.blob_at(head, REPO_CONFIG) {
            Ok(Some(bytes)) => String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| err(REPO_CONFIG.into(), "not UTF-8".into())),
            Ok(None) => Ok(None),
            Err(e) => Err(err(REPO_CONFIG.into(), e.to_string())),
        },
    }
}

/// How the repository configuration is named in messages and findings.
fn config_name(opts: &CheckOptions) -> String {
    opts.config
        .as_ref()
        .map_or_else(|| REPO_CONFIG.to_string(), |p| p.display().to_string())
}

/// The repository's own rules (`rules:` in `.aigate.yml`) and protected paths, read at head.
fn load_repo_rules(repo: &Repo, head: &str, config: &RepoConfig) -> Result<Vec<Invariant>, GateError> {
    let mut loader = PolicyLoader::new().builtin(false);
    for entry in &config.rules {
        let files = repo.files_under(head, &entry.value)?;
        if files.is_empty() {
            return Err(ConfigError {
                file: REPO_CONFIG.into(),
                message: format!("`rules: {}` names no YAML file at head", entry.value),
                help: "list rule files or directories that exist in the repository (paths from its root)".into(),
            }
            .into());
        }
        for (path, text) in files {
            loader = loader.text(&path, &text);
        }
    }
    if !config.protected_paths.is_empty() {
        let globs: Vec<&str> = config.protected_paths.iter().map(|p| p.value.as_str()).collect();
        let doc = serde_json::json!({
            "id": "repo/protected-paths",
            "severity": "error",
            "message": "This path is protected by the repository's .aigate.yml; AI-authored changes must not touch it.",
            "note": "Ask a maintainer to make this change, or move the edit out of the protected path.",
            "paths": { "protect": globs },
            "metadata": { "rationale": "The repository declared these paths protected in .aigate.yml." },
        });
        loader = loader.text(REPO_CONFIG, &doc.to_string());
    }
    Ok(loader.load()?.enabled().cloned().collect())
}

fn snippet(text: &str, start: u32, end: u32) -> String {
    let end = end.max(start).min(start + 4);
    text.lines()
        .skip(start.saturating_sub(1) as usize)
        .take((end - start.max(1) + 1) as usize)
        .collect::<Vec<_>>()
        .join("\n")
}

fn rule_info(i: &Invariant) -> RuleInfo {
    let security = i.origin.pack.as_deref() == Some("security") || i.id.starts_with("security/");
    let explicit = i.metadata.extra.get("security-severity").and_then(|v| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    let default_score = match i.severity {
        crate::policy::Severity::Error => "8.0",
        crate::policy::Severity::Warning => "5.0",
        _ => "2.0",
    };
    RuleInfo {
        id: i.id.clone(),
        severity: i.severity.into(),
        message: i.message.clone(),
        note: i.note.clone(),
        rationale: i.metadata.rationale.clone(),
        pack: i.origin.pack.clone(),
        kind: i.kind.name().to_string(),
        url: i.url.clone(),
        security_severity: explicit.or_else(|| security.then(|| default_score.to_string())),
    }
}

fn weakening_rule() -> RuleInfo {
    RuleInfo {
        id: POLICY_WEAKENING.into(),
        severity: Severity::Error,
        message: "The repository configuration tries to weaken the org policy.".into(),
        note: Some("Remove the setting from .aigate.yml; org invariants can be tightened, never disabled or narrowed.".into()),
        rationale: Some(
            "The org's invariants live outside the repository so that an agent editing the repository cannot relax them.".into(),
        ),
        pack: Some("governance".into()),
        kind: "policy".into(),
        url: None,
        security_severity: None,
    }
}

impl From<crate::policy::Severity> for Severity {
    fn from(s: crate::policy::Severity) -> Self {
        match s {
            crate::policy::Severity::Error => Severity::Error,
            crate::policy::Severity::Warning => Severity::Warning,
            crate::policy::Severity::Info => Severity::Info,
            crate::policy::Severity::Hint | crate::policy::Severity::Off => Severity::Hint,
        }
    }
}

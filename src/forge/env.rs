//! The change a CI job is about, read from the CI environment, so that a bare `aigate check` in a
//! pull-request or merge-request job needs no flags.
//!
//! Detection takes an environment lookup (`detect(|name| std::env::var(name).ok())` in the binary, a
//! map in tests) and records where every value came from, for `aigate check --explain-context`.
//! Anything the environment promises but does not deliver (a GitHub event file that is missing,
//! unreadable or malformed) is an error: the gate fails closed rather than guessing another range.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The API of github.com; GitHub Enterprise Server runners set `GITHUB_API_URL`.
pub const GITHUB_API_URL: &str = "https://api.github.com";
/// The API of gitlab.com; self-managed runners set `CI_API_V4_URL`.
pub const GITLAB_API_URL: &str = "https://gitlab.com/api/v4";

/// Which CI system the run is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Forge {
    Github,
    Gitlab,
    /// A shell, or a CI system aigate does not read: flags and git defaults only.
    None,
}

/// Where one field of the context came from: `flag --base`, `env GITHUB_REPOSITORY`,
/// `event payload .pull_request.base.sha (/path/event.json)`, `default`, or why it is unset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub field: String,
    pub from: String,
}

/// The change a run is about and the forge it reports to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    pub forge: Forge,
    /// GitHub's event name (`pull_request`, `merge_group`, `push`, ...), GitLab's merge request event
    /// type (`detached`, `merged_result`, `merge_train`) or pipeline source (`push`, ...).
    pub event: Option<String>,
    /// GitHub `owner/name`; GitLab project path (or id): for a merge request, the MR's project.
    pub repo: Option<String>,
    /// Where the change starts; `None`: the gate's default (merge-base with the default branch).
    pub base: Option<String>,
    /// Where the change ends; `None`: `HEAD`.
    pub head: Option<String>,
    /// The pull request number (GitHub) or merge request iid (GitLab).
    pub pr: Option<u64>,
    pub api_url: Option<String>,
    /// The git ref results belong to (code scanning's `ref`, GitLab's status `ref`): `refs/pull/N/head`
    /// for a pull request, else `GITHUB_REF`; GitLab's `CI_COMMIT_REF_NAME`.
    #[serde(default)]
    pub git_ref: Option<String>,
    /// The page of this CI run, linked from check runs and statuses.
    #[serde(default)]
    pub run_url: Option<String>,
    /// GitLab's `CI_PIPELINE_ID`: statuses join the running pipeline instead of starting another.
    #[serde(default)]
    pub pipeline_id: Option<u64>,
    /// One entry per field that was set or deliberately left unset, latest wins.
    pub sources: Vec<Source>,
}

/// Why the CI environment could not be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ContextError {
    #[error("GITHUB_EVENT_NAME is `{event}` but GITHUB_EVENT_PATH is not set, so the change of this job is unknown")]
    #[diagnostic(
        code(aigate::context::no_event_file),
        help(
            "in GitHub Actions the runner sets GITHUB_EVENT_PATH: do not unset it; outside Actions, unset GITHUB_ACTIONS and pass --base/--head"
        )
    )]
    NoEventFile { event: String },
    #[error("cannot read the GitHub event payload {}: {source}", path.display())]
    #[diagnostic(
        code(aigate::context::event_unreadable),
        help("the file GITHUB_EVENT_PATH names must exist and be readable by the step running aigate")
    )]
    EventUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the GitHub event payload {} is not valid JSON: {source}", path.display())]
    #[diagnostic(
        code(aigate::context::event_malformed),
        help("GITHUB_EVENT_PATH must name the runner's event file; if a step rewrote it, restore it")
    )]
    EventMalformed {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("the GitHub `{event}` event payload {} has no usable `{field}` (expected {expected})", path.display())]
    #[diagnostic(
        code(aigate::context::event_field),
        help("GITHUB_EVENT_PATH must name the runner's payload for GITHUB_EVENT_NAME; or pass --base and --head")
    )]
    EventField {
        event: String,
        path: PathBuf,
        field: String,
        expected: &'static str,
    },
    #[error("{var} is `{value}`, not a merge request number")]
    #[diagnostic(
        code(aigate::context::not_a_number),
        help("leave {var} to the CI runner, which sets it to the merge request iid")
    )]
    NotANumber { var: &'static str, value: String },
}

/// Reads the context from an environment lookup. `GITHUB_ACTIONS=true` means GitHub Actions,
/// `GITLAB_CI=true` GitLab CI, anything else no forge.
pub fn detect(env: impl Fn(&str) -> Option<String>) -> Result<Context, ContextError> {
    let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    if var("GITHUB_ACTIONS").as_deref() == Some("true") {
        github(&var)
    } else if var("GITLAB_CI").as_deref() == Some("true") {
        gitlab(&var)
    } else {
        Ok(Context::new(
            Forge::None,
            "neither GITHUB_ACTIONS nor GITLAB_CI is `true`",
        ))
    }
}

/// [`detect`] on the process environment.
pub fn from_process_env() -> Result<Context, ContextError> {
    detect(|name| std::env::var(name).ok())
}

/// Whether the lookup says the run is a GitHub Actions step (even when the event cannot be read).
pub fn in_github_actions(env: impl Fn(&str) -> Option<String>) -> bool {
    env("GITHUB_ACTIONS").as_deref() == Some("true")
}

type Var<'a> = dyn Fn(&str) -> Option<String> + 'a;

fn github(var: &Var) -> Result<Context, ContextError> {
    let mut ctx = Context::new(Forge::Github, "env GITHUB_ACTIONS=true");
    ctx.set_env(var, Field::Repo, "GITHUB_REPOSITORY");
    if !ctx.set_env(var, Field::ApiUrl, "GITHUB_API_URL") {
        ctx.set(Field::ApiUrl, Some(GITHUB_API_URL.to_owned()), "default (github.com)");
    }
    // The commit the workflow runs on: the head unless the event names a better one.
    ctx.set_env(var, Field::Head, "GITHUB_SHA");
    ctx.set_env(var, Field::Ref, "GITHUB_REF");
    if let (Some(server), Some(repo), Some(run)) =
        (var("GITHUB_SERVER_URL"), var("GITHUB_REPOSITORY"), var("GITHUB_RUN_ID"))
    {
        let url = format!(
            "{}/{}/actions/runs/{}",
            server.trim_end_matches('/'),
            repo.trim(),
            run.trim()
        );
        ctx.set(
            Field::RunUrl,
            Some(url),
            "env GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID",
        );
    }
    if !ctx.set_env(var, Field::Event, "GITHUB_EVENT_NAME") {
        return Ok(ctx);
    }
    let event = ctx.event.clone().unwrap_or_default();
    if !matches!(
        event.as_str(),
        "pull_request" | "pull_request_target" | "merge_group" | "push"
    ) {
        // Other events (schedule, workflow_dispatch, ...) name no range: GITHUB_SHA and the default base.
        return Ok(ctx);
    }
    let path = var("GITHUB_EVENT_PATH").ok_or_else(|| ContextError::NoEventFile { event: event.clone() })?;
    let payload = Payload::read(event.clone(), PathBuf::from(path))?;
    match event.as_str() {
        "pull_request" | "pull_request_target" => {
            // The PR's own head, not GITHUB_SHA (the synthetic merge commit of pull_request, the base
            // branch tip of pull_request_target): provenance reads the commits the PR author pushed.
            payload.sha(&mut ctx, Field::Base, "/pull_request/base/sha")?;
            payload.sha(&mut ctx, Field::Head, "/pull_request/head/sha")?;
            let number = payload.require("/number", "a pull request number", Value::as_u64)?;
            ctx.set_pr(number, &payload.from("/number"));
            // GITHUB_REF is the merge ref (or the base branch for pull_request_target); results are
            // about the PR's head commit, which code scanning pairs with refs/pull/N/head.
            ctx.set(
                Field::Ref,
                Some(format!("refs/pull/{number}/head")),
                &payload.from("/number"),
            );
        }
        "merge_group" => {
            // The queue's merge commit is what lands; its base is the commit the group sits on.
            payload.sha(&mut ctx, Field::Base, "/merge_group/base_sha")?;
            payload.sha(&mut ctx, Field::Head, "/merge_group/head_sha")?;
        }
        _ => push(&mut ctx, &payload)?,
    }
    Ok(ctx)
}

fn push(ctx: &mut Context, payload: &Payload) -> Result<(), ContextError> {
    let after = payload.require("/after", "a commit sha", sha)?;
    if !is_zero(&after) {
        ctx.set(Field::Head, Some(after), &payload.from("/after"));
    }
    let before = payload.require("/before", "a commit sha", sha)?;
    let forced = payload
        .value
        .pointer("/forced")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if is_zero(&before) {
        ctx.set(
            Field::Base,
            None,
            &format!(
                "unset: {} is all zeros (a new branch), so the default base applies",
                payload.from("/before")
            ),
        );
    } else if forced {
        // A force push rewrote history: `before` need not be an ancestor of, or even fetched with, head.
        ctx.set(
            Field::Base,
            None,
            &format!(
                "unset: {} is true (a force push), so the default base applies",
                payload.from("/forced")
            ),
        );
    } else {
        ctx.set(Field::Base, Some(before), &payload.from("/before"));
    }
    Ok(())
}

fn gitlab(var: &Var) -> Result<Context, ContextError> {
    let mut ctx = Context::new(Forge::Gitlab, "env GITLAB_CI=true");
    if !ctx.set_env(var, Field::Repo, "CI_PROJECT_PATH") {
        ctx.set_env(var, Field::Repo, "CI_PROJECT_ID");
    }
    if !ctx.set_env(var, Field::ApiUrl, "CI_API_V4_URL") {
        match var("CI_SERVER_URL") {
            Some(server) => ctx.set(
                Field::ApiUrl,
                Some(format!("{}/api/v4", server.trim_end_matches('/'))),
                "env CI_SERVER_URL + /api/v4",
            ),
            None => ctx.set(Field::ApiUrl, Some(GITLAB_API_URL.to_owned()), "default (gitlab.com)"),
        }
    }
    ctx.set_env(var, Field::Head, "CI_COMMIT_SHA");
    ctx.set_env(var, Field::Ref, "CI_COMMIT_REF_NAME");
    ctx.set_env(var, Field::RunUrl, "CI_JOB_URL");
    // Only where a status shows: a bad value is noted, not a reason to leave the change undecided.
    if let Some(id) = var("CI_PIPELINE_ID") {
        match id.trim().parse::<u64>() {
            Ok(n) => {
                ctx.pipeline_id = Some(n);
                ctx.record("pipeline_id", "env CI_PIPELINE_ID");
            }
            Err(_) => ctx.record("pipeline_id", &format!("unset: CI_PIPELINE_ID `{id}` is not a number")),
        }
    }
    if !ctx.set_env(var, Field::Event, "CI_MERGE_REQUEST_EVENT_TYPE") {
        ctx.set_env(var, Field::Event, "CI_PIPELINE_SOURCE");
    }
    let Some(iid) = var("CI_MERGE_REQUEST_IID") else {
        // Branch (push) pipeline: the pushed range, unless the branch is new (before is all zeros).
        match var("CI_COMMIT_BEFORE_SHA") {
            Some(before) if !is_zero(&before) => ctx.set(Field::Base, Some(before), "env CI_COMMIT_BEFORE_SHA"),
            Some(_) => ctx.set(
                Field::Base,
                None,
                "unset: CI_COMMIT_BEFORE_SHA is all zeros (a new branch), so the default base applies",
            ),
            None => {}
        }
        return Ok(ctx);
    };
    let number = iid.trim().parse::<u64>().map_err(|_| ContextError::NotANumber {
        var: "CI_MERGE_REQUEST_IID",
        value: iid.clone(),
    })?;
    ctx.set_pr(number, "env CI_MERGE_REQUEST_IID");
    // The iid numbers merge requests within the MR's (target) project, which differs from the
    // pipeline's project when a fork's pipeline runs for an MR into its parent.
    if !ctx.set_env(var, Field::Repo, "CI_MERGE_REQUEST_PROJECT_PATH") {
        ctx.set_env(var, Field::Repo, "CI_MERGE_REQUEST_PROJECT_ID");
    }
    // Merged-results and merge-train pipelines run on a merge commit GitLab made (CI_COMMIT_SHA): that
    // is what lands, so it is the head. Its first parent, the target it was merged onto (the target
    // branch, or the previous car of a merge train), is CI_MERGE_REQUEST_TARGET_BRANCH_SHA; taking it
    // as the base makes the change exactly what this merge adds. The diff base (the fork point) would
    // also pull in every target commit since the fork, already merged and gated elsewhere, and their
    // AI lines would block this MR. Detached MR pipelines run on the source head: base = diff base.
    let merge_commit = matches!(ctx.event.as_deref(), Some("merged_result" | "merge_train"));
    if !(merge_commit && ctx.set_env(var, Field::Base, "CI_MERGE_REQUEST_TARGET_BRANCH_SHA")) {
        ctx.set_env(var, Field::Base, "CI_MERGE_REQUEST_DIFF_BASE_SHA");
    }
    Ok(ctx)
}

/// The text fields of a [`Context`] that detection sets.
#[derive(Debug, Clone, Copy)]
enum Field {
    Event,
    Repo,
    Base,
    Head,
    ApiUrl,
    Ref,
    RunUrl,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Event => "event",
            Field::Repo => "repo",
            Field::Base => "base",
            Field::Head => "head",
            Field::ApiUrl => "api_url",
            Field::Ref => "git_ref",
            Field::RunUrl => "run_url",
        }
    }
}

/// A parsed event payload and where it came from.
struct Payload {
    event: String,
    path: PathBuf,
    value: Value,
}

impl Payload {
    fn read(event: String, path: PathBuf) -> Result<Self, ContextError> {
        let text = std::fs::read_to_string(&path).map_err(|source| ContextError::EventUnreadable {
            path: path.clone(),
            source,
        })?;
        let value = serde_json::from_str(&text).map_err(|source| ContextError::EventMalformed {
            path: path.clone(),
            source,
        })?;
        Ok(Payload { event, path, value })
    }

    fn from(&self, pointer: &str) -> String {
        format!("event payload {} ({})", pointer.replace('/', "."), self.path.display())
    }

    /// The value at `pointer`, converted, or an error naming the field.
    fn require<T>(
        &self,
        pointer: &str,
        expected: &'static str,
        convert: impl Fn(&Value) -> Option<T>,
    ) -> Result<T, ContextError> {
        self.value
            .pointer(pointer)
            .and_then(convert)
            .ok_or_else(|| ContextError::EventField {
                event: self.event.clone(),
                path: self.path.clone(),
                field: pointer.replace('/', "."),
                expected,
            })
    }

    fn sha(&self, ctx: &mut Context, field: Field, pointer: &str) -> Result<(), ContextError> {
        let value = self.require(pointer, "a commit sha", sha)?;
        ctx.set(field, Some(value), &self.from(pointer));
        Ok(())
    }
}

/// A full hex object id (SHA-1 or SHA-256), nothing else: a payload is not a place for revision syntax.
fn sha(value: &Value) -> Option<String> {
    let s = value.as_str()?;
    (matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_owned())
}

/// Git's null object id: "no commit" (a branch created or deleted).
fn is_zero(sha: &str) -> bool {
    !sha.is_empty() && sha.bytes().all(|b| b == b'0')
}

impl Context {
    fn new(forge: Forge, from: &str) -> Self {
        Context {
            forge,
            event: None,
            repo: None,
            base: None,
            head: None,
            pr: None,
            api_url: None,
            git_ref: None,
            run_url: None,
            pipeline_id: None,
            sources: vec![Source {
                field: "forge".into(),
                from: from.into(),
            }],
        }
    }

    /// Sets `field` to `value` (or deliberately leaves it unset), recording `from`.
    fn set(&mut self, field: Field, value: Option<String>, from: &str) {
        let slot = match field {
            Field::Event => &mut self.event,
            Field::Repo => &mut self.repo,
            Field::Base => &mut self.base,
            Field::Head => &mut self.head,
            Field::ApiUrl => &mut self.api_url,
            Field::Ref => &mut self.git_ref,
            Field::RunUrl => &mut self.run_url,
        };
        *slot = value;
        self.record(field.name(), from);
    }

    fn set_pr(&mut self, number: u64, from: &str) {
        self.pr = Some(number);
        self.record("pr", from);
    }

    /// One source per field: the latest setter wins.
    fn record(&mut self, field: &str, from: &str) {
        self.sources.retain(|s| s.field != field);
        self.sources.push(Source {
            field: field.into(),
            from: from.into(),
        });
    }

    /// Sets `field` from the environment variable `name` when it is set; says whether it was.
    fn set_env(&mut self, var: &Var, field: Field, name: &str) -> bool {
        match var(name) {
            Some(value) => {
                self.set(field, Some(value.trim().to_owned()), &format!("env {name}"));
                true
            }
            None => false,
        }
    }

    /// Applies `--base`/`--head` given on the command line: flags always win over the environment.
    pub fn with_flags(mut self, base: Option<&str>, head: Option<&str>) -> Self {
        if let Some(base) = base {
            self.set(Field::Base, Some(base.to_owned()), "flag --base");
        }
        if let Some(head) = head {
            self.set(Field::Head, Some(head.to_owned()), "flag --head");
        }
        self
    }

    /// Where `field` came from, if it was set or deliberately left unset.
    pub fn source(&self, field: &str) -> Option<&str> {
        self.sources.iter().find(|s| s.field == field).map(|s| s.from.as_str())
    }

    /// What was detected and from where, one field a line (`aigate check --explain-context`).
    pub fn explain(&self) -> String {
        let forge = match self.forge {
            Forge::Github => "github",
            Forge::Gitlab => "gitlab",
            Forge::None => "none",
        };
        let rows: [(&str, Option<String>, &str); 10] = [
            ("forge", Some(forge.into()), ""),
            ("event", self.event.clone(), "(none)"),
            ("repo", self.repo.clone(), "(none)"),
            (
                "base",
                self.base.clone(),
                "(default: the merge-base with the default branch, else head's parent)",
            ),
            ("head", self.head.clone(), "HEAD"),
            ("pr", self.pr.map(|n| n.to_string()), "(none)"),
            ("api_url", self.api_url.clone(), "(none)"),
            ("git_ref", self.git_ref.clone(), "(none)"),
            ("run_url", self.run_url.clone(), "(none)"),
            ("pipeline_id", self.pipeline_id.map(|n| n.to_string()), "(none)"),
        ];
        let mut out = String::new();
        for (field, value, unset) in rows {
            let value = value.unwrap_or_else(|| unset.to_owned());
            let from = self.source(field).unwrap_or("default");
            let _ = writeln!(out, "{field:<8} {value}\n         from: {from}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shas_are_full_hex_ids_only() {
        assert!(sha(&Value::from("0123456789abcdef0123456789abcdef01234567")).is_some());
        assert!(sha(&Value::from("HEAD~1")).is_none());
        assert!(sha(&Value::from("0123456789abcdef")).is_none());
        assert!(sha(&Value::from(12)).is_none());
        assert!(is_zero("0000000000000000000000000000000000000000"));
        assert!(!is_zero(""));
    }
}

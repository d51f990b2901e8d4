//! Reporting a run where reviewers look: on GitHub a check run (plus, opted in, a commit status
//! and a SARIF upload) and the PR summary comment; on GitLab a commit status and the MR note.
//!
//! Posting is best effort and never changes the verdict: the job's exit code is what blocks the
//! merge. [`Publisher::plan`] decides from the context, the tokens and the options whether and
//! where to post, or says why not; [`Publisher::start`] marks the check as running before the
//! gate works; [`Publisher::finish`] posts the result. Every outcome is a line for the log, and a
//! permission failure (a read-only token, as fork pull requests get) stops further posting.

use std::fmt;

use super::env::{Context, Forge};
use super::error::ForgeError;
use super::github::{self, CommentAction, GitHub};
use super::gitlab::{self, GitLab, NoteAction};
use super::retry::RetryPolicy;
use crate::gate::model::{GateReport, Outcome};
use crate::report::checkrun::{self, Conclusion};
use crate::report::{markdown, sarif};

/// Tokens, in the order they are looked up.
pub const GITHUB_TOKEN_VARS: [&str; 2] = ["AIGATE_GITHUB_TOKEN", "GITHUB_TOKEN"];
pub const GITLAB_TOKEN_VAR: &str = "AIGATE_GITLAB_TOKEN";

/// What to post besides the defaults.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// The check run (GitHub) or commit status (GitLab) name.
    pub check_name: String,
    /// GitHub: also set a commit status (for branch protection that requires statuses).
    pub commit_status: bool,
    /// GitHub: also upload the SARIF report to code scanning.
    pub upload_sarif: bool,
    pub retry: RetryPolicy,
}

impl Default for PublishOptions {
    fn default() -> Self {
        PublishOptions {
            check_name: "aigate".into(),
            commit_status: false,
            upload_sarif: false,
            retry: RetryPolicy::default(),
        }
    }
}

/// One thing posted, or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub ok: bool,
    pub line: String,
}

impl fmt::Display for Posted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line)
    }
}

enum Client {
    GitHub(GitHub),
    GitLab(GitLab),
}

/// A run's posts to one forge.
pub struct Publisher {
    client: Client,
    ctx: Context,
    options: PublishOptions,
    sha: String,
    check_run: Option<u64>,
    /// Set by the first permission failure (the token cannot write here) or unreachable forge: nothing
    /// more is tried.
    denied: Option<String>,
    /// Check runs need a GitHub App token; with a personal token the commit status stands in.
    status_instead: bool,
    /// The check run was completed with the findings as its annotations.
    annotated: bool,
    pub log: Vec<Posted>,
}

/// A token and the variable it came from.
struct Token {
    value: String,
    var: &'static str,
}

/// The API URL, the repository and the token a run in `ctx` posts with, or why it posts nothing
/// (empty outside a forge).
fn credentials(ctx: &Context, env: &impl Fn(&str) -> Option<String>) -> Result<(String, String, Token), NotPosting> {
    let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let not = |why: String| Err(NotPosting(why));
    if ctx.forge == Forge::None {
        return not(String::new());
    }
    let (Some(repo), Some(api)) = (ctx.repo.clone(), ctx.api_url.clone()) else {
        return not("nothing posted to the forge: the CI environment names no repository or API URL".into());
    };
    if ctx.forge == Forge::Github {
        return match GITHUB_TOKEN_VARS
            .iter()
            .find_map(|v| var(v).map(|value| Token { value, var: v }))
        {
            Some(token) => Ok((api, repo, token)),
            None => not(
                "GitHub: no token (AIGATE_GITHUB_TOKEN or GITHUB_TOKEN), so no check run or PR comment; findings \
                 are shown as workflow-command annotations. Pass `GITHUB_TOKEN: ${{ github.token }}` in the \
                 step's env with `checks: write` and `pull-requests: write` permissions."
                    .into(),
            ),
        };
    }
    let job_token = var("CI_JOB_TOKEN");
    match var(GITLAB_TOKEN_VAR) {
        Some(value) if job_token.as_deref() != Some(value.as_str()) => Ok((
            api,
            repo,
            Token {
                value,
                var: GITLAB_TOKEN_VAR,
            },
        )),
        given => {
            let why = if given.is_some() {
                "AIGATE_GITLAB_TOKEN is the job token (CI_JOB_TOKEN)"
            } else if job_token.is_some() {
                "only CI_JOB_TOKEN is available"
            } else {
                "no AIGATE_GITLAB_TOKEN is set"
            };
            not(format!(
                "GitLab: {why}, and CI_JOB_TOKEN cannot set commit statuses or write merge request notes, so \
                 none were posted (the job's result still gates the merge). Set AIGATE_GITLAB_TOKEN to a \
                 project access token with the `api` scope and the Developer role, as a masked CI/CD variable."
            ))
        }
    }
}

/// What a run in `ctx` would post, and with the token from which variable (never the token), or
/// why it posts nothing: the `posts` line of `aigate check --explain-context`.
pub fn describe(ctx: &Context, env: impl Fn(&str) -> Option<String>, options: &PublishOptions) -> String {
    let (_, _, token) = match credentials(ctx, &env) {
        Ok(c) => c,
        Err(NotPosting(why)) if why.is_empty() => return "nothing (not in a forge's CI)".into(),
        Err(NotPosting(why)) => return format!("nothing: {why}"),
    };
    let name = &options.check_name;
    let mut posts = match ctx.forge {
        Forge::Github => vec![format!("check run `{name}`")],
        _ => vec![format!("commit status `{name}`")],
    };
    if ctx.pr.is_some() {
        posts.push(
            if ctx.forge == Forge::Github {
                "PR summary comment"
            } else {
                "MR summary note"
            }
            .into(),
        );
    }
    if ctx.forge == Forge::Github && options.commit_status {
        posts.push(format!("commit status `{name}`"));
    }
    if ctx.forge == Forge::Github && options.upload_sarif {
        posts.push("SARIF upload".into());
    }
    format!("{} (token from {})", posts.join(", "), token.var)
}

/// Why a run posts nothing (a line for the log), when there is something worth saying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotPosting(pub String);

impl Publisher {
    /// The publisher for `ctx`, or why the run posts nothing. `env` looks up the tokens; `sha` is
    /// the resolved head commit. Call it within a tokio runtime: the GitHub client starts its
    /// connection worker when built.
    pub fn plan(
        ctx: &Context,
        sha: &str,
        env: impl Fn(&str) -> Option<String>,
        options: PublishOptions,
    ) -> Result<Publisher, NotPosting> {
        let (api, repo, token) = credentials(ctx, &env)?;
        let client = match ctx.forge {
            Forge::Github => GitHub::new(&api, &token.value, &repo, options.retry).map(Client::GitHub),
            _ => GitLab::new(&api, &token.value, &repo, options.retry).map(Client::GitLab),
        }
        .map_err(|e| NotPosting(format!("nothing posted to the forge: {e}")))?;
        Ok(Publisher {
            client,
            ctx: ctx.clone(),
            options,
            sha: sha.to_owned(),
            check_run: None,
            denied: None,
            status_instead: false,
            annotated: false,
            log: Vec::new(),
        })
    }

    /// Marks the check as running: an in-progress check run (and a pending status when asked) on
    /// GitHub, a `running` status on GitLab.
    pub async fn start(&mut self) {
        let name = self.options.check_name.clone();
        let url = self.ctx.run_url.clone();
        match &self.client {
            Client::GitHub(gh) => {
                let started = gh.start_check_run(&name, &self.sha, url.as_deref()).await;
                match started {
                    Ok(id) => self.check_run = Some(id),
                    Err(e) if needs_app(&e) => self.use_status_instead(&e),
                    Err(e) => self.failed("create the check run", e),
                }
                if self.wants_status() {
                    let gh = self.github();
                    let r = gh
                        .set_status(
                            &self.sha,
                            &name,
                            github::StatusState::Pending,
                            "Checking the change",
                            url.as_deref(),
                        )
                        .await;
                    if let Err(e) = r {
                        self.failed("set the pending commit status", e);
                    }
                }
            }
            Client::GitLab(gl) => {
                let r = gl
                    .set_status(
                        &self.sha,
                        &name,
                        gitlab::StatusState::Running,
                        "Checking the change",
                        url.as_deref(),
                        self.ctx.pipeline_id,
                    )
                    .await;
                if let Err(e) = r {
                    self.failed("set the running commit status", e);
                }
            }
        }
    }

    /// Posts the result of `report`.
    pub async fn finish(&mut self, report: &GateReport) {
        match self.client {
            Client::GitHub(_) => self.finish_github(report).await,
            Client::GitLab(_) => self.finish_gitlab(report).await,
        }
    }

    /// Whether the findings reached the forge as annotations (else the caller prints workflow commands).
    pub fn annotated(&self) -> bool {
        self.annotated
    }

    async fn finish_github(&mut self, report: &GateReport) {
        if self.denied.is_some() {
            return;
        }
        let name = self.options.check_name.clone();
        let url = self.ctx.run_url.clone();
        let run = checkrun::check_run(report);
        if !self.status_instead {
            let gh = self.github();
            let id = match self.check_run {
                Some(id) => Ok(id),
                None => gh.start_check_run(&name, &self.sha, url.as_deref()).await,
            };
            let done = match id {
                Ok(id) => gh.finish_check_run(id, &run).await.map(|requests| (id, requests)),
                Err(e) => Err(e),
            };
            self.annotated = done.is_ok();
            match done {
                Ok((id, requests)) => self.ok(format!(
                    "GitHub: check run `{name}` ({id}) completed: {} with {} annotation(s) in {requests} update(s)",
                    conclusion_word(run.conclusion),
                    run.annotations.len()
                )),
                Err(e) if needs_app(&e) => self.use_status_instead(&e),
                Err(e) => self.failed("complete the check run", e),
            }
        }
        if let (Some(pr), None) = (self.ctx.pr, &self.denied) {
            let create = report.verdict.outcome != Outcome::Pass || report.totals.findings > 0;
            match self
                .github()
                .upsert_comment(pr, &markdown::to_string(report), create)
                .await
            {
                Ok(Some(CommentAction::Created(id))) => self.ok(format!("GitHub: summary comment {id} added to #{pr}")),
                Ok(Some(CommentAction::Updated(id))) => {
                    self.ok(format!("GitHub: summary comment {id} on #{pr} updated"))
                }
                Ok(None) => self.ok(format!("GitHub: no summary comment on #{pr} (a clean pass)")),
                Err(e) => self.failed("write the PR summary comment", e),
            }
        }
        if self.wants_status() {
            let state = match checkrun::conclusion(report) {
                Conclusion::Success | Conclusion::Neutral => github::StatusState::Success,
                Conclusion::Failure if report.verdict.outcome == Outcome::Error => github::StatusState::Error,
                Conclusion::Failure => github::StatusState::Failure,
            };
            let description = checkrun::status_description(report);
            match self
                .github()
                .set_status(&self.sha, &name, state, &description, url.as_deref())
                .await
            {
                Ok(()) => self.ok(format!("GitHub: commit status `{name}` set")),
                Err(e) => self.failed("set the commit status", e),
            }
        }
        if self.options.upload_sarif && self.denied.is_none() {
            match self.ctx.git_ref.clone() {
                None => self.log.push(Posted {
                    ok: false,
                    line: "GitHub: SARIF not uploaded: no git ref is known (GITHUB_REF)".into(),
                }),
                Some(git_ref) => match self
                    .github()
                    .upload_sarif(&self.sha, &git_ref, &sarif::to_string(report))
                    .await
                {
                    Ok(id) => self.ok(format!("GitHub: SARIF uploaded to code scanning ({id}) for {git_ref}")),
                    Err(e) => self.failed("upload SARIF", e),
                },
            }
        }
    }

    async fn finish_gitlab(&mut self, report: &GateReport) {
        if self.denied.is_some() {
            return;
        }
        let name = self.options.check_name.clone();
        let url = self.ctx.run_url.clone();
        let Client::GitLab(gl) = &self.client else { return };
        let state = if report.verdict.exit_code == 0 {
            gitlab::StatusState::Success
        } else {
            gitlab::StatusState::Failed
        };
        let description = checkrun::status_description(report);
        let status = gl
            .set_status(
                &self.sha,
                &name,
                state,
                &description,
                url.as_deref(),
                self.ctx.pipeline_id,
            )
            .await;
        let note = match (self.ctx.pr, status.is_ok()) {
            (Some(iid), true) => Some((iid, gl.upsert_note(iid, &markdown::to_string(report)).await)),
            _ => None,
        };
        match status {
            Ok(()) => self.ok(format!(
                "GitLab: commit status `{name}` set to {}",
                if state == gitlab::StatusState::Success {
                    "success"
                } else {
                    "failed"
                }
            )),
            Err(e) => self.failed("set the commit status", e),
        }
        match note {
            Some((iid, Ok(NoteAction::Created(id)))) => self.ok(format!("GitLab: summary note {id} added to !{iid}")),
            Some((iid, Ok(NoteAction::Updated(id)))) => self.ok(format!("GitLab: summary note {id} on !{iid} updated")),
            Some((_, Err(e))) => self.failed("write the merge request note", e),
            None => {}
        }
    }

    fn wants_status(&self) -> bool {
        (self.options.commit_status || self.status_instead) && self.denied.is_none()
    }

    fn use_status_instead(&mut self, e: &ForgeError) {
        self.status_instead = true;
        self.log.push(Posted {
            ok: false,
            line: format!(
                "cannot create the check run: {e}; check runs need a GitHub App token (GITHUB_TOKEN or an app \
                 installation token), so the commit status `{}` carries the verdict instead",
                self.options.check_name
            ),
        });
    }

    fn github(&self) -> &GitHub {
        match &self.client {
            Client::GitHub(gh) => gh,
            Client::GitLab(_) => unreachable!("GitHub calls are made for GitHub contexts only"),
        }
    }

    fn ok(&mut self, line: String) {
        self.log.push(Posted { ok: true, line });
    }

    fn failed(&mut self, what: &str, e: ForgeError) {
        let mut line = format!("cannot {what}: {e}");
        if e.is_permission() {
            let hint = match self.client {
                Client::GitHub(_) => {
                    "the token may not write here (a pull request from a fork gets a read-only GITHUB_TOKEN; \
                     otherwise grant `checks: write`, `pull-requests: write`, and `statuses: write` / \
                     `security-events: write` for the opt-ins); nothing more is posted, the verdict stands and \
                     the findings are shown as workflow-command annotations"
                }
                Client::GitLab(_) => {
                    "AIGATE_GITLAB_TOKEN may not write here: it needs the `api` scope and at least the Developer \
                     role on the project; nothing more is posted and the job's result still gates the merge"
                }
            };
            line = format!("{line}; {hint}");
            self.denied = Some(line.clone());
        } else if matches!(e, ForgeError::Unreachable { .. }) {
            // Every further call would wait out the same retries: a forge outage must not hold the job.
            line = format!("{line}; nothing more is posted in this run, the verdict stands");
            self.denied = Some(line.clone());
        }
        self.log.push(Posted { ok: false, line });
    }
}

/// GitHub's answer to a check run written with a personal access token.
fn needs_app(e: &ForgeError) -> bool {
    matches!(e, ForgeError::Api { status: 403, message, .. } if message.contains("GitHub App"))
}

fn conclusion_word(c: Conclusion) -> &'static str {
    match c {
        Conclusion::Success => "success",
        Conclusion::Failure => "failure",
        Conclusion::Neutral => "neutral",
    }
}

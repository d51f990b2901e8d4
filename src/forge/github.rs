//! The GitHub REST calls of a run, with octocrab on aigate's one reqwest/rustls client: the check
//! run (created `in_progress`, annotated 50 at a time, completed), the commit status, the PR summary
//! comment found by its marker and edited in place, and the SARIF upload to code scanning.
//!
//! Requests go through octocrab's raw methods so that every response's status and headers reach
//! [`retry::decide`]: 5xx, 429 and rate limits are retried within the policy, anything else fails
//! with GitHub's own message.

use std::io::Write as _;

use base64::Engine as _;
use http::Method;
use octocrab::Octocrab;
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::error::ForgeError;
use super::retry::{CONNECT_TIMEOUT, Decision, RetryPolicy, decide};
use crate::report::checkrun::{ANNOTATIONS_PER_REQUEST, CheckRunReport};
use crate::report::markdown::MARKER;

const FORGE: &str = "GitHub";
/// Code scanning refuses gzipped SARIF over 10 MB.
pub const SARIF_LIMIT: usize = 10 * 1024 * 1024;
/// Comments read while looking for the summary (100 a page).
const MAX_COMMENT_PAGES: u32 = 50;

/// A commit status `state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusState {
    Pending,
    Success,
    Failure,
    Error,
}

impl StatusState {
    fn as_str(self) -> &'static str {
        match self {
            StatusState::Pending => "pending",
            StatusState::Success => "success",
            StatusState::Failure => "failure",
            StatusState::Error => "error",
        }
    }
}

/// Whether the summary comment was added or edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentAction {
    Created(u64),
    Updated(u64),
}

/// One repository on one GitHub (github.com or an Enterprise Server API URL).
pub struct GitHub {
    octo: Octocrab,
    repo: String,
    retry: RetryPolicy,
}

#[derive(Deserialize)]
struct Id {
    id: u64,
}

#[derive(Deserialize)]
struct Comment {
    id: u64,
    #[serde(default)]
    body: Option<String>,
}

impl GitHub {
    /// A client for `repo` (`owner/name`) at `api_url` (`https://api.github.com`, or
    /// `https://ghe.example.com/api/v3`).
    pub fn new(api_url: &str, token: &str, repo: &str, retry: RetryPolicy) -> Result<GitHub, ForgeError> {
        let setup = |reason: String| ForgeError::Setup { forge: FORGE, reason };
        // octocrab spawns its connection worker as it is built, which panics outside a runtime.
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(setup("the GitHub client must be created inside a tokio runtime".into()));
        }
        if repo.split('/').filter(|s| !s.is_empty()).count() != 2 {
            return Err(setup(format!("`{repo}` is not an owner/name repository")));
        }
        let http = crate::net::client(retry.timeout, CONNECT_TIMEOUT).map_err(|e| setup(e.to_string()))?;
        let octo = Octocrab::builder()
            .base_uri(api_url.trim_end_matches('/'))
            .map_err(|e| setup(format!("the API URL `{api_url}` is not a URL: {e}")))?
            .personal_token(token.to_owned())
            .add_header(http::header::ACCEPT, "application/vnd.github+json".into())
            .add_header(
                http::HeaderName::from_static("x-github-api-version"),
                "2022-11-28".into(),
            )
            .build_with_reqwest(http)
            .map_err(|e| setup(e.to_string()))?;
        Ok(GitHub {
            octo,
            repo: repo.to_owned(),
            retry,
        })
    }

    /// Creates the check run `name` on `head_sha`, in progress; returns its id.
    pub async fn start_check_run(
        &self,
        name: &str,
        head_sha: &str,
        details_url: Option<&str>,
    ) -> Result<u64, ForgeError> {
        let mut body = json!({
            "name": name,
            "head_sha": head_sha,
            "status": "in_progress",
            "started_at": now(),
            "output": {
                "title": "Checking the change",
                "summary": "aigate is checking the AI-written lines of this change against the organisation's invariants.",
            },
        });
        if let Some(url) = details_url {
            body["details_url"] = url.into();
        }
        let created: Id = self.send(Method::POST, &self.path("check-runs"), Some(&body)).await?;
        Ok(created.id)
    }

    /// Completes check run `id` with `report`: annotations 50 per request (GitHub appends them on
    /// every update), the conclusion with the last batch, so the run never shows completed with
    /// annotations still missing. Returns the number of requests sent.
    pub async fn finish_check_run(&self, id: u64, report: &CheckRunReport) -> Result<usize, ForgeError> {
        let path = self.path(&format!("check-runs/{id}"));
        let batches: Vec<&[_]> = if report.annotations.is_empty() {
            vec![&[]]
        } else {
            report.annotations.chunks(ANNOTATIONS_PER_REQUEST).collect()
        };
        let last = batches.len() - 1;
        for (i, batch) in batches.iter().enumerate() {
            let mut body = json!({
                "output": {
                    "title": report.title,
                    "summary": report.summary,
                    "annotations": batch,
                },
            });
            if i == last {
                body["status"] = "completed".into();
                body["conclusion"] = serde_json::to_value(report.conclusion).unwrap_or_default();
                body["completed_at"] = now().into();
            }
            let _: Value = self.send(Method::PATCH, &path, Some(&body)).await?;
        }
        Ok(batches.len())
    }

    /// Sets the commit status `context` on `sha` (description ≤ 140 characters, cut by the caller).
    pub async fn set_status(
        &self,
        sha: &str,
        context: &str,
        state: StatusState,
        description: &str,
        target_url: Option<&str>,
    ) -> Result<(), ForgeError> {
        let mut body = json!({ "state": state.as_str(), "context": context, "description": description });
        if let Some(url) = target_url {
            body["target_url"] = url.into();
        }
        let _: Value = self
            .send(Method::POST, &self.path(&format!("statuses/{sha}")), Some(&body))
            .await?;
        Ok(())
    }

    /// Puts `body` (which carries the summary marker) on pull request `pr`: edits the comment that
    /// has the marker, or adds one. An existing comment the token may not edit (someone else's that
    /// quotes the marker) is left alone and a new one added. With `create` false, only an existing
    /// comment is updated (a clean pass does not start a conversation).
    pub async fn upsert_comment(&self, pr: u64, body: &str, create: bool) -> Result<Option<CommentAction>, ForgeError> {
        let comments = self.path(&format!("issues/{pr}/comments"));
        let mut existing = None;
        for page in 1..=MAX_COMMENT_PAGES {
            let batch: Vec<Comment> = self
                .send(Method::GET, &format!("{comments}?per_page=100&page={page}"), None)
                .await?;
            let full = batch.len() == 100;
            existing = batch
                .into_iter()
                .find(|c| c.body.as_deref().is_some_and(|b| b.contains(MARKER)));
            if existing.is_some() || !full {
                break;
            }
        }
        let text = json!({ "body": body });
        if let Some(comment) = existing {
            let path = self.path(&format!("issues/comments/{}", comment.id));
            match self.send::<Value>(Method::PATCH, &path, Some(&text)).await {
                Ok(_) => return Ok(Some(CommentAction::Updated(comment.id))),
                Err(e) if matches!(e.status(), Some(403 | 404)) => {
                    tracing::warn!("cannot edit summary comment {}: {e}; adding a new one", comment.id)
                }
                Err(e) => return Err(e),
            }
        }
        if !create {
            return Ok(None);
        }
        let created: Id = self.send(Method::POST, &comments, Some(&text)).await?;
        Ok(Some(CommentAction::Created(created.id)))
    }

    /// Uploads `sarif` to code scanning for `commit_sha` on `git_ref` (gzip + base64, as the API
    /// wants); returns the upload id. Over 10 MB gzipped it is not sent.
    pub async fn upload_sarif(&self, commit_sha: &str, git_ref: &str, sarif: &str) -> Result<String, ForgeError> {
        let encoded = encode_sarif(sarif)?;
        let body = json!({
            "commit_sha": commit_sha,
            "ref": git_ref,
            "sarif": encoded,
            "tool_name": "aigate",
        });
        #[derive(Deserialize)]
        struct Upload {
            id: String,
        }
        let upload: Upload = self
            .send(Method::POST, &self.path("code-scanning/sarifs"), Some(&body))
            .await?;
        Ok(upload.id)
    }

    fn path(&self, rest: &str) -> String {
        format!("/repos/{}/{rest}", self.repo)
    }

    /// One request, retried per the policy; the JSON answer deserialised into `T`.
    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, ForgeError> {
        let attempts = self.retry.attempts.max(1);
        let mut last = String::new();
        for attempt in 1..=attempts {
            let sent = match method {
                Method::GET => self.octo._get(path).await,
                Method::POST => self.octo._post(path, body).await,
                Method::PATCH => self.octo._patch(path, body).await,
                _ => unreachable!("aigate sends GET, POST and PATCH only"),
            };
            let wait = match sent {
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    let text = self.octo.body_to_string(response).await.unwrap_or_default();
                    match decide(status, &headers, &text) {
                        Decision::Done => {
                            let text = if text.trim().is_empty() { "null" } else { &text };
                            return serde_json::from_str(text).map_err(|e| {
                                self.api_error(&method, path, status.as_u16(), format!("unexpected answer: {e}"))
                            });
                        }
                        Decision::Fail => return Err(self.api_error(&method, path, status.as_u16(), message(&text))),
                        Decision::Retry { after, why } => {
                            last = format!("{why}: {}", message(&text));
                            if after.is_some_and(|a| a > self.retry.max_wait) || attempt == attempts {
                                return Err(self.api_error(&method, path, status.as_u16(), last));
                            }
                            after.unwrap_or_else(|| self.retry.backoff(attempt))
                        }
                    }
                }
                Err(e) => {
                    last = e.to_string();
                    self.retry.backoff(attempt)
                }
            };
            if attempt < attempts {
                tracing::info!("{FORGE}: {method} {path}: {last}; retrying in {wait:?}");
                tokio::time::sleep(wait).await;
            }
        }
        Err(ForgeError::Unreachable {
            forge: FORGE,
            method: method.to_string(),
            path: path.to_owned(),
            attempts,
            reason: last,
        })
    }

    fn api_error(&self, method: &Method, path: &str, status: u16, message: String) -> ForgeError {
        ForgeError::Api {
            forge: FORGE,
            method: method.to_string(),
            path: path.to_owned(),
            status,
            message,
        }
    }
}

/// GitHub's `message` from an error body, or the body itself.
fn message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| body.chars().take(300).collect())
}

/// The `sarif` field of an upload: gzip, then base64; refused over [`SARIF_LIMIT`].
pub fn encode_sarif(sarif: &str) -> Result<String, ForgeError> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zipped = gz
        .write_all(sarif.as_bytes())
        .and_then(|_| gz.finish())
        .map_err(|e| ForgeError::Setup {
            forge: FORGE,
            reason: format!("cannot compress the SARIF report: {e}"),
        })?;
    if zipped.len() > SARIF_LIMIT {
        return Err(ForgeError::SarifTooLarge {
            bytes: zipped.len(),
            limit: SARIF_LIMIT,
        });
    }
    Ok(base64::engine::general_purpose::STANDARD.encode(zipped))
}

fn now() -> String {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

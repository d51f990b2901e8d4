//! The GitLab REST calls of a run: the commit status `aigate` (`running`, then `success` or
//! `failed`) and one merge request note with the summary, found by its marker and edited in place.
//!
//! The endpoints are the gitlab crate's; they run on [`GitLab`], our implementation of its
//! `AsyncClient` on aigate's one reqwest/rustls client. That keeps `CI_API_V4_URL` exactly as the
//! runner gives it (instances under a relative URL root, plain http in tests), adds retries on 5xx
//! and 429, and sends no connection probe before the first real call.

use async_trait::async_trait;
use bytes::Bytes;
use gitlab::api::projects::merge_requests::notes::{CreateMergeRequestNote, EditMergeRequestNote, MergeRequestNotes};
use gitlab::api::projects::repository::commits::{CommitStatusState, CreateCommitStatus};
use gitlab::api::{self, ApiError, AsyncClient, AsyncQuery, Pagination, RestClient};
use serde::Deserialize;
use url::Url;

use super::error::ForgeError;
use super::retry::{CONNECT_TIMEOUT, Decision, RetryPolicy, decide};
use crate::report::markdown::MARKER;

const FORGE: &str = "GitLab";
/// The header GitLab reads project, group and personal access tokens from.
const TOKEN_HEADER: &str = "PRIVATE-TOKEN";

/// A commit status `state` aigate sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusState {
    Running,
    Success,
    Failed,
}

/// Whether the summary note was added or edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteAction {
    Created(u64),
    Updated(u64),
}

/// A transport failure (the server was never heard).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Transport(String);

/// One project on one GitLab instance.
pub struct GitLab {
    http: reqwest::Client,
    /// `CI_API_V4_URL` with a trailing slash, so endpoints join under it.
    base: Url,
    token: String,
    project: String,
    retry: RetryPolicy,
}

#[derive(Deserialize)]
struct Note {
    id: u64,
    #[serde(default)]
    body: String,
    #[serde(default)]
    system: bool,
}

#[derive(Deserialize)]
struct Created {
    id: u64,
}

impl GitLab {
    /// A client for `project` (path or numeric id) at `api_url` (`https://gitlab.com/api/v4`).
    pub fn new(api_url: &str, token: &str, project: &str, retry: RetryPolicy) -> Result<GitLab, ForgeError> {
        let setup = |reason: String| ForgeError::Setup { forge: FORGE, reason };
        let base = Url::parse(&format!("{}/", api_url.trim_end_matches('/')))
            .map_err(|e| setup(format!("the API URL `{api_url}` is not a URL: {e}")))?;
        let http = crate::net::client(retry.timeout, CONNECT_TIMEOUT).map_err(|e| setup(e.to_string()))?;
        Ok(GitLab {
            http,
            base,
            token: token.to_owned(),
            project: project.to_owned(),
            retry,
        })
    }

    /// Sets the commit status `name` on `sha`, in `pipeline_id` when known (so it shows in the
    /// pipeline that runs the job instead of a new external one).
    pub async fn set_status(
        &self,
        sha: &str,
        name: &str,
        state: StatusState,
        description: &str,
        target_url: Option<&str>,
        pipeline_id: Option<u64>,
    ) -> Result<(), ForgeError> {
        let mut status = CreateCommitStatus::builder();
        status
            .project(self.project.as_str())
            .commit(sha)
            .state(match state {
                StatusState::Running => CommitStatusState::Running,
                StatusState::Success => CommitStatusState::Success,
                StatusState::Failed => CommitStatusState::Failed,
            })
            .name(name)
            .description(description);
        if let Some(url) = target_url {
            status.target_url(url);
        }
        if let Some(id) = pipeline_id {
            status.pipeline_id(id);
        }
        let endpoint = status.build().map_err(|e| self.setup(e.to_string()))?;
        api::ignore(endpoint)
            .query_async(self)
            .await
            .map_err(|e| self.error("POST", &format!("projects/{}/statuses/{sha}", self.project), e))
    }

    /// Puts `body` (which carries the summary marker) on merge request `iid`: edits the note with the
    /// marker, or adds one.
    pub async fn upsert_note(&self, iid: u64, body: &str) -> Result<NoteAction, ForgeError> {
        let path = format!("projects/{}/merge_requests/{iid}/notes", self.project);
        let list = MergeRequestNotes::builder()
            .project(self.project.as_str())
            .merge_request(iid)
            .build()
            .map_err(|e| self.setup(e.to_string()))?;
        let notes: Vec<Note> = api::paged(list, Pagination::Limit(5_000))
            .query_async(self)
            .await
            .map_err(|e| self.error("GET", &path, e))?;
        let existing = notes.into_iter().find(|n| !n.system && n.body.contains(MARKER));
        if let Some(note) = existing {
            let edit = EditMergeRequestNote::builder()
                .project(self.project.as_str())
                .merge_request(iid)
                .note(note.id)
                .body(body)
                .build()
                .map_err(|e| self.setup(e.to_string()))?;
            match api::ignore(edit).query_async(self).await {
                Ok(()) => return Ok(NoteAction::Updated(note.id)),
                Err(e) => {
                    let err = self.error("PUT", &format!("{path}/{}", note.id), e);
                    if !matches!(err.status(), Some(403 | 404)) {
                        return Err(err);
                    }
                    tracing::warn!("cannot edit summary note {}: {err}; adding a new one", note.id);
                }
            }
        }
        let create = CreateMergeRequestNote::builder()
            .project(self.project.as_str())
            .merge_request(iid)
            .body(body)
            .build()
            .map_err(|e| self.setup(e.to_string()))?;
        let created: Created = create
            .query_async(self)
            .await
            .map_err(|e| self.error("POST", &path, e))?;
        Ok(NoteAction::Created(created.id))
    }

    fn setup(&self, reason: String) -> ForgeError {
        ForgeError::Setup { forge: FORGE, reason }
    }

    fn error(&self, method: &str, path: &str, e: ApiError<Transport>) -> ForgeError {
        let (status, message) = match &e {
            ApiError::GitlabWithStatus { status, msg } => (status.as_u16(), msg.clone()),
            ApiError::GitlabObjectWithStatus { status, obj } => (status.as_u16(), obj.to_string()),
            ApiError::GitlabService { status, data } => (
                status.as_u16(),
                String::from_utf8_lossy(data).chars().take(300).collect(),
            ),
            ApiError::GitlabUnrecognizedWithStatus { status, obj } => (status.as_u16(), obj.to_string()),
            ApiError::Client { source } => {
                return ForgeError::Unreachable {
                    forge: FORGE,
                    method: method.to_owned(),
                    path: path.to_owned(),
                    attempts: self.retry.attempts,
                    reason: source.to_string(),
                };
            }
            ApiError::GitlabRateLimited { .. } => (429, e.to_string()),
            other => (0, other.to_string()),
        };
        ForgeError::Api {
            forge: FORGE,
            method: method.to_owned(),
            path: path.to_owned(),
            status,
            message,
        }
    }
}

impl RestClient for GitLab {
    type Error = Transport;

    fn rest_endpoint(&self, endpoint: &str) -> Result<Url, ApiError<Self::Error>> {
        Ok(self.base.join(endpoint)?)
    }
}

#[async_trait]
impl AsyncClient for GitLab {
    /// Sends the request with the token, retrying per the policy; the last answer goes back to the
    /// gitlab crate, which turns a failure status into its error with GitLab's message.
    async fn rest_async(
        &self,
        request: http::request::Builder,
        body: Vec<u8>,
    ) -> Result<http::Response<Bytes>, ApiError<Self::Error>> {
        let client_error = |e: String| ApiError::Client { source: Transport(e) };
        let mut request = request.body(body).map_err(|e| client_error(e.to_string()))?;
        request.headers_mut().insert(
            TOKEN_HEADER,
            http::HeaderValue::from_str(&self.token)
                .map_err(|_| client_error("the token is not a valid header value".into()))?,
        );
        let attempts = self.retry.attempts.max(1);
        let mut last = String::new();
        for attempt in 1..=attempts {
            let copy = clone_request(&request);
            let sent = reqwest::Request::try_from(copy).map_err(|e| client_error(e.to_string()))?;
            let wait = match self.http.execute(sent).await {
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    let bytes = response.bytes().await.unwrap_or_default();
                    let retry = match decide(status, &headers, &String::from_utf8_lossy(&bytes)) {
                        Decision::Retry { after, why }
                            if attempt < attempts && after.is_none_or(|a| a <= self.retry.max_wait) =>
                        {
                            last = why;
                            Some(after.unwrap_or_else(|| self.retry.backoff(attempt)))
                        }
                        _ => None,
                    };
                    match retry {
                        Some(wait) => wait,
                        None => {
                            let mut out = http::Response::builder().status(status);
                            if let Some(h) = out.headers_mut() {
                                *h = headers;
                            }
                            return out.body(bytes).map_err(|e| client_error(e.to_string()));
                        }
                    }
                }
                Err(e) => {
                    last = e.to_string();
                    self.retry.backoff(attempt)
                }
            };
            if attempt < attempts {
                tracing::info!(
                    "{FORGE}: {} {}: {last}; retrying in {wait:?}",
                    request.method(),
                    request.uri()
                );
                tokio::time::sleep(wait).await;
            }
        }
        // The attempts are counted by the caller's error (ForgeError::Unreachable).
        Err(client_error(last))
    }
}

fn clone_request(request: &http::Request<Vec<u8>>) -> http::Request<Vec<u8>> {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.headers_mut() = request.headers().clone();
    copy
}

//! The gate's ledger client: post a run, its corrections and its waivers, each with an
//! idempotency key derived from its content (a rerun of the same CI job sends the same keys, so
//! the ledger keeps one copy). Connection failures, timeouts, 429 and 5xx are retried a bounded
//! number of times; whatever still cannot be sent goes to the [`Spool`] and is sent by the next
//! run or `aigate ledger flush`. [`Delivery`] says what happened, for the gate to print.
//!
//! TLS is rustls with the aws-lc-rs provider and the webpki roots (no OpenSSL, no ring).

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::chain::canonical_json;
use super::model::{
    AiCommit, CorrectionBatch, CorrectionKind, CorrectionSubmission, CorrectionsWritten, FindingsSummary, RunRecord,
    RunSubmission, RunWaiver, Written,
};
use super::spool::{Spool, SpoolError, SpoolItem};
use crate::gate::model::{GateReport, Level};
use crate::provenance::model::{CommitProvenance, Correction, Trace};

/// The environment variable holding the bearer token.
pub const TOKEN_ENV: &str = "AIGATE_LEDGER_TOKEN";
/// Corrections per request: keeps bodies far below the server's limit with 64 KiB snippets.
const BATCH: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("`{0}` is not a ledger URL: use http(s)://HOST[:PORT]")]
    BadUrl(String),
    #[error("could not set up the HTTP client: {0}")]
    Setup(String),
    /// Worth retrying later: the ledger was unreachable or failing.
    #[error(
        "the ledger at {url} is unreachable: {reason}. The records are kept in the spool; run `aigate ledger flush` later"
    )]
    Unavailable { url: String, reason: String },
    /// The ledger refused the request; sending it again will not help.
    #[error("the ledger refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error(transparent)]
    Spool(#[from] SpoolError),
}

impl ClientError {
    /// Whether the same request may succeed later.
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Unavailable { .. } => true,
            // A token problem is fixed by configuration, not by the record: keep it spooled.
            ClientError::Refused { status, .. } => matches!(status, 401 | 403 | 404 | 408 | 429),
            _ => false,
        }
    }
}

/// Retry schedule for one request.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    pub first_backoff: Duration,
    pub timeout: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 3,
            first_backoff: Duration::from_millis(250),
            timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone)]
pub struct LedgerClient {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    retry: Retry,
}

impl LedgerClient {
    /// A client for the ledger at `base_url` (e.g. `https://ledger.example.com`).
    pub fn new(base_url: &str, token: Option<String>, retry: Retry) -> Result<LedgerClient, ClientError> {
        let base = base_url.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ClientError::BadUrl(base_url.to_string()));
        }
        let http =
            crate::net::client(retry.timeout, Duration::from_secs(5)).map_err(|e| ClientError::Setup(e.to_string()))?;
        Ok(LedgerClient {
            http,
            base,
            token,
            retry,
        })
    }

    /// A client with the token from `AIGATE_LEDGER_TOKEN`.
    pub fn from_env(base_url: &str) -> Result<LedgerClient, ClientError> {
        LedgerClient::new(
            base_url,
            std::env::var(TOKEN_ENV).ok().filter(|t| !t.is_empty()),
            Retry::default(),
        )
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        let mut backoff = self.retry.first_backoff;
        let mut last = String::new();
        for attempt in 1..=self.retry.attempts.max(1) {
            let mut request = self.http.post(&url).json(body);
            if let Some(token) = &self.token {
                request = request.bearer_auth(token);
            }
            match request.send().await {
                Ok(response) if response.status().is_success() => {
                    return response.json().await.map_err(|e| ClientError::Unavailable {
                        url: self.base.clone(),
                        reason: e.to_string(),
                    });
                }
                Ok(response) => {
                    let status = response.status();
                    let message = response
                        .json::<super::model::ApiError>()
                        .await
                        .map(|e| e.error)
                        .unwrap_or_else(|_| status.canonical_reason().unwrap_or("error").to_string());
                    if !(status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS) {
                        return Err(ClientError::Refused {
                            status: status.as_u16(),
                            message,
                        });
                    }
                    last = format!("{status}: {message}");
                }
                Err(e) => last = e.to_string(),
            }
            if attempt < self.retry.attempts {
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
        }
        Err(ClientError::Unavailable {
            url: self.base.clone(),
            reason: last,
        })
    }

    /// Posts a run (its `idempotency_key` should be set; see [`with_content_key`]).
    pub async fn post_run(&self, run: &RunSubmission) -> Result<Written<RunRecord>, ClientError> {
        self.post("/v1/runs", run).await
    }

    /// Posts corrections as one batch (one transaction on the ledger).
    pub async fn post_corrections(
        &self,
        corrections: &[CorrectionSubmission],
    ) -> Result<CorrectionsWritten, ClientError> {
        self.post(
            "/v1/corrections",
            &CorrectionBatch {
                corrections: corrections.to_vec(),
            },
        )
        .await
    }

    /// Sends spooled records; each acknowledged one leaves the spool, each refused for good
    /// moves to `rejected/`. Stops at the first transient failure (the ledger is down again).
    pub async fn flush(&self, spool: &Spool) -> Result<Delivery, ClientError> {
        let mut delivery = Delivery::default();
        let items = spool.list()?;
        let (runs, corrections): (Vec<_>, Vec<_>) =
            items.into_iter().partition(|(_, i)| matches!(i, SpoolItem::Run(_)));
        for (path, item) in runs {
            let SpoolItem::Run(run) = item else { continue };
            match self.post_run(&run).await {
                Ok(_) => {
                    spool.remove(&path)?;
                    delivery.sent += 1;
                }
                Err(e) if e.is_transient() => return Ok(delivery.failed(e)),
                Err(e) => {
                    spool.reject(&path, &e.to_string())?;
                    delivery.rejected.push(e.to_string());
                }
            }
        }
        for chunk in corrections.chunks(BATCH) {
            let batch: Vec<CorrectionSubmission> = chunk
                .iter()
                .filter_map(|(_, i)| {
                    if let SpoolItem::Correction(c) = i {
                        Some(c.clone())
                    } else {
                        None
                    }
                })
                .collect();
            match self.post_corrections(&batch).await {
                Ok(_) => {
                    for (path, _) in chunk {
                        spool.remove(path)?;
                    }
                    delivery.sent += chunk.len();
                }
                Err(e) if e.is_transient() => return Ok(delivery.failed(e)),
                // One bad record refuses the whole batch: retry them one by one to find it.
                Err(_) => {
                    for ((path, _), c) in chunk.iter().zip(&batch) {
                        match self.post_corrections(std::slice::from_ref(c)).await {
                            Ok(_) => {
                                spool.remove(path)?;
                                delivery.sent += 1;
                            }
                            Err(e) if e.is_transient() => return Ok(delivery.failed(e)),
                            Err(e) => {
                                spool.reject(path, &e.to_string())?;
                                delivery.rejected.push(e.to_string());
                            }
                        }
                    }
                }
            }
        }
        Ok(delivery)
    }

    /// Reports a run: first sends what earlier runs spooled, then the run and its corrections
    /// (fixes and waivers). Whatever cannot be sent is spooled; only a spool that cannot be
    /// written is an error (then the records really could be lost, and the gate must say so).
    pub async fn deliver(
        &self,
        spool: &Spool,
        run: RunSubmission,
        corrections: Vec<CorrectionSubmission>,
    ) -> Result<Delivery, ClientError> {
        let mut delivery = self.flush(spool).await?;
        let earlier = std::mem::take(&mut delivery.sent);
        delivery.flushed = earlier;
        let mut pending: Vec<SpoolItem> = std::iter::once(SpoolItem::Run(with_content_key(run, "run")))
            .chain(
                corrections
                    .into_iter()
                    .map(|c| SpoolItem::Correction(with_content_key(c, "correction"))),
            )
            .collect();
        if delivery.error.is_none() {
            pending = self.send_now(pending, &mut delivery).await;
        }
        for item in &pending {
            spool.put(item)?;
            delivery.spooled += 1;
        }
        Ok(delivery)
    }

    /// Sends items; returns those that must be spooled.
    async fn send_now(&self, items: Vec<SpoolItem>, delivery: &mut Delivery) -> Vec<SpoolItem> {
        let mut rest = items.into_iter().peekable();
        let mut unsent = Vec::new();
        if let Some(SpoolItem::Run(run)) = rest.peek() {
            match self.post_run(run).await {
                Ok(_) => {
                    delivery.sent += 1;
                    rest.next();
                }
                Err(e) => {
                    delivery.record_error(e);
                    return rest.collect();
                }
            }
        }
        let corrections: Vec<CorrectionSubmission> = rest
            .filter_map(|i| {
                if let SpoolItem::Correction(c) = i {
                    Some(c)
                } else {
                    None
                }
            })
            .collect();
        for chunk in corrections.chunks(BATCH) {
            if delivery.error.is_some() {
                unsent.extend(chunk.iter().cloned().map(SpoolItem::Correction));
                continue;
            }
            match self.post_corrections(chunk).await {
                Ok(_) => delivery.sent += chunk.len(),
                Err(e) => {
                    delivery.record_error(e);
                    unsent.extend(chunk.iter().cloned().map(SpoolItem::Correction));
                }
            }
        }
        unsent
    }

    /// [`LedgerClient::deliver`] for synchronous callers (the gate): runs on its own small runtime.
    pub fn deliver_blocking(
        &self,
        spool: &Spool,
        run: RunSubmission,
        corrections: Vec<CorrectionSubmission>,
    ) -> Result<Delivery, ClientError> {
        block_on(self.deliver(spool, run, corrections))
    }

    /// [`LedgerClient::flush`] for synchronous callers.
    pub fn flush_blocking(&self, spool: &Spool) -> Result<Delivery, ClientError> {
        block_on(self.flush(spool))
    }
}

fn block_on<T>(f: impl Future<Output = Result<T, ClientError>>) -> Result<T, ClientError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ClientError::Setup(format!("no async runtime: {e}")))?
        .block_on(f)
}

/// What a delivery did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Records of this run the ledger acknowledged (by `flush`: spooled records sent).
    pub sent: usize,
    /// Records spooled by earlier runs and sent now.
    pub flushed: usize,
    /// Records written to the spool for later.
    pub spooled: usize,
    /// Refusals that moved spooled records to `rejected/`.
    pub rejected: Vec<String>,
    /// Why records were spooled (the first failure).
    pub error: Option<String>,
}

impl Delivery {
    fn failed(mut self, e: ClientError) -> Delivery {
        self.record_error(e);
        self
    }

    fn record_error(&mut self, e: ClientError) {
        if self.error.is_none() {
            self.error = Some(e.to_string());
        }
    }
}

impl fmt::Display for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ledger: sent {}, spooled {}", self.sent, self.spooled)?;
        if self.flushed > 0 {
            write!(f, ", sent {} spooled earlier", self.flushed)?;
        }
        if !self.rejected.is_empty() {
            write!(f, ", {} refused (kept in the spool's rejected/)", self.rejected.len())?;
        }
        if let Some(e) = &self.error {
            write!(f, " ({e})")?;
        }
        Ok(())
    }
}

/// Anything with an `idempotency_key` field.
pub trait Keyed: Serialize {
    fn key_slot(&mut self) -> &mut Option<String>;
}

impl Keyed for RunSubmission {
    fn key_slot(&mut self) -> &mut Option<String> {
        &mut self.idempotency_key
    }
}

impl Keyed for CorrectionSubmission {
    fn key_slot(&mut self) -> &mut Option<String> {
        &mut self.idempotency_key
    }
}

/// Sets the idempotency key (unless one is set) to `<prefix>-` and the SHA-256 of the record's
/// canonical JSON: the same content always gets the same key.
pub fn with_content_key<T: Keyed>(mut record: T, prefix: &str) -> T {
    if record.key_slot().is_none() {
        let digest = canonical_json(&record)
            .map(|c| hex::encode(Sha256::digest(c.as_bytes())))
            .unwrap_or_default();
        *record.key_slot() = Some(format!("{prefix}-{digest}"));
    }
    record
}

/// Where a run happened: what the gate knows beyond its report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunContext {
    pub repo: String,
    pub forge: Option<String>,
    pub change_number: Option<u64>,
}

/// The ledger's view of a gate run.
pub fn run_submission(report: &GateReport, ctx: &RunContext, commits: &[CommitProvenance]) -> RunSubmission {
    let mut by_rule = std::collections::BTreeMap::new();
    for f in &report.findings {
        *by_rule.entry(f.rule_id.clone()).or_insert(0u64) += 1;
    }
    let waivers = report
        .findings
        .iter()
        .filter_map(|f| {
            f.waived.as_ref().map(|w| RunWaiver {
                rule_id: f.rule_id.clone(),
                path: f.path.clone(),
                line: f.start.line,
                reason: w.reason.clone(),
            })
        })
        .collect();
    RunSubmission {
        idempotency_key: None,
        repo: ctx.repo.clone(),
        forge: ctx.forge.clone(),
        change_number: ctx.change_number,
        base: report.change.base.clone(),
        head: report.change.head.clone(),
        policy_digest: report.policy_digest.clone(),
        verdict: report.verdict.outcome,
        verdict_reason: report.verdict.reason.clone(),
        ai_commits: commits
            .iter()
            .filter(|c| c.ai)
            .map(|c| AiCommit {
                sha: c.sha.clone(),
                tool: c.tool.clone(),
                model: c.model.clone(),
            })
            .collect(),
        findings: FindingsSummary {
            total: report.totals.findings as u64,
            blocking: report.totals.blocking as u64,
            warnings: report.totals.warnings as u64,
            waived: report.totals.waived as u64,
            by_rule,
        },
        waivers,
    }
}

/// Everything the gate reports for one run: the run, the human fixes of AI lines the trace
/// found, and the waivers the run honoured. Pass the result to [`LedgerClient::deliver`].
pub fn gate_records(
    report: &GateReport,
    ctx: &RunContext,
    trace: &Trace,
) -> (RunSubmission, Vec<CorrectionSubmission>) {
    let run = run_submission(report, ctx, &trace.commits);
    let mut corrections: Vec<CorrectionSubmission> =
        trace.corrections.iter().map(|c| fix_submission(&ctx.repo, c)).collect();
    corrections.extend(waiver_submissions(&ctx.repo, report));
    (run, corrections)
}

/// A human fix of AI lines, as a ledger correction of kind `fix`.
pub fn fix_submission(repo: &str, c: &Correction) -> CorrectionSubmission {
    CorrectionSubmission {
        idempotency_key: None,
        kind: CorrectionKind::Fix,
        repo: repo.to_string(),
        path: c.path.clone(),
        tool: c.tool.clone(),
        model: c.model.clone(),
        ai_commit: Some(c.ai_commit.clone()),
        fix_commit: Some(c.fix_commit.clone()),
        author: Some(format!("{} <{}>", c.fix_author.name, c.fix_author.email)),
        before: c.before.clone(),
        after: c.after.clone(),
        rule_id: None,
        reason: None,
    }
}

/// The run's waived findings, as ledger corrections of kind `waiver` (the waived code as
/// `before`, the reason as written).
pub fn waiver_submissions(repo: &str, report: &GateReport) -> Vec<CorrectionSubmission> {
    report
        .findings
        .iter()
        .filter(|f| f.level == Level::Waived)
        .filter_map(|f| {
            let w = f.waived.as_ref()?;
            let p = f.provenance.as_ref();
            Some(CorrectionSubmission {
                idempotency_key: None,
                kind: CorrectionKind::Waiver,
                repo: repo.to_string(),
                path: f.path.clone(),
                tool: p.and_then(|p| p.tool.clone()),
                model: p.and_then(|p| p.model.clone()),
                ai_commit: p.and_then(|p| p.commit.clone()),
                fix_commit: None,
                author: None,
                before: f.snippet.clone(),
                after: f.snippet.clone(),
                rule_id: Some(f.rule_id.clone()),
                reason: Some(w.reason.clone()),
            })
        })
        .collect()
}

//! The handlers. Each reads the exact documented JSON (parsing it here rather than through
//! `axum::Json`, so malformed input and unknown fields both answer 400 with serde's reason),
//! builds the records and appends them in one store call (one transaction).

use std::path::Path;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::auth::{Administer, AnyRole, Authed, Read, Report};
use super::{AppState, Failure};
use crate::engine::lang::Lang;
use crate::ledger::chain::canonical_json;
use crate::ledger::model::{
    CorrectionBatch, CorrectionRecord, CorrectionSubmission, CorrectionsWritten, ListQuery, Page, RunRecord,
    RunSubmission, Stats, TokenCreated, TokenRequest, Written,
};
use crate::ledger::store::{Appended, EntryType, Filter, Pending, Store};
use crate::ledger::{fingerprint, normalise_time, now, token};

const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// Longest idempotency key, and longest short text field (repo, path, sha, names).
const SHORT_TEXT: usize = 1024;

pub async fn health<S: Store>(State(state): State<AppState<S>>) -> Response {
    match state.store.head().await {
        // No counts here: health needs no token, so it says nothing about the contents.
        Ok(_) => Json(serde_json::json!({"status": "ok"})).into_response(),
        Err(e) => Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the ledger database is unreachable: {e}"),
        )
        .into_response(),
    }
}

pub async fn openapi(_auth: Authed<AnyRole>) -> Json<serde_json::Value> {
    Json(super::openapi::document())
}

fn parse<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, Failure> {
    let bytes = body.map_err(|r| {
        Failure::new(
            r.status(),
            format!("could not read the request body: {}", r.body_text()),
        )
    })?;
    serde_json::from_slice(&bytes).map_err(|e| Failure::bad_request(format!("invalid JSON body: {e}")))
}

fn header_key(headers: &HeaderMap) -> Result<Option<String>, Failure> {
    match headers.get(IDEMPOTENCY_HEADER) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .filter(|k| !k.trim().is_empty())
            .map(|k| Some(k.trim().to_string()))
            .ok_or_else(|| Failure::bad_request("the Idempotency-Key header must be non-empty visible ASCII")),
    }
}

fn check_key(key: String) -> Result<String, Failure> {
    if key.is_empty() || key.len() > SHORT_TEXT {
        return Err(Failure::bad_request(format!(
            "an idempotency key must be 1 to {SHORT_TEXT} bytes"
        )));
    }
    Ok(key)
}

fn check_short(what: &str, value: &str) -> Result<(), Failure> {
    if value.len() > SHORT_TEXT {
        return Err(Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("`{what}` is {} bytes; the limit is {SHORT_TEXT}", value.len()),
        ));
    }
    Ok(())
}

/// The digest that tells a retry (same content) from a reused key (different content).
fn request_digest<T: Serialize>(submission: &T) -> Result<String, Failure> {
    let canonical = canonical_json(submission).map_err(|e| Failure::bad_request(e.to_string()))?;
    Ok(hex::encode(Sha256::digest(canonical.as_bytes())))
}

fn written<T: DeserializeOwned>(appended: Appended) -> Result<Written<T>, Failure> {
    let record = serde_json::from_str(&appended.body).map_err(|e| {
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("a stored record does not read back ({e}): run `aigate ledger verify`"),
        )
    })?;
    Ok(Written {
        created: appended.created,
        record,
    })
}

fn write_status(created: bool) -> StatusCode {
    if created { StatusCode::CREATED } else { StatusCode::OK }
}

pub async fn post_run<S: Store>(
    _auth: Authed<Report>,
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let mut run: RunSubmission = parse(body)?;
    let key = match (header_key(&headers)?, run.idempotency_key.take()) {
        (Some(k), _) | (None, Some(k)) => check_key(k)?,
        (None, None) => {
            return Err(Failure::bad_request(
                "every write needs an idempotency key: send an Idempotency-Key header or an `idempotency_key` field",
            ));
        }
    };
    for (what, value) in [
        ("repo", &run.repo),
        ("base", &run.base),
        ("head", &run.head),
        ("policy_digest", &run.policy_digest),
    ] {
        check_short(what, value)?;
        if value.is_empty() {
            return Err(Failure::bad_request(format!("`{what}` must not be empty")));
        }
    }
    if run.verdict_reason.len() > state.limits.snippet_bytes {
        return Err(Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "`verdict_reason` is over the snippet limit",
        ));
    }
    let digest = request_digest(&run)?;
    let record = RunRecord {
        id: uuid::Uuid::now_v7().to_string(),
        seq: 0,
        recorded_at: now(),
        idempotency_key: key.clone(),
        repo: run.repo,
        forge: run.forge,
        change_number: run.change_number,
        base: run.base,
        head: run.head,
        policy_digest: run.policy_digest,
        verdict: run.verdict,
        verdict_reason: run.verdict_reason,
        ai_commits: run.ai_commits,
        findings: run.findings,
        waivers: run.waivers,
    };
    let pending = Pending {
        entry_type: EntryType::Run,
        idempotency_key: key,
        request_digest: digest,
        record: serde_json::to_value(&record).map_err(|e| Failure::bad_request(e.to_string()))?,
    };
    let appended = state.store.append(vec![pending]).await?.into_iter().next();
    let appended =
        appended.ok_or_else(|| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, "the store answered nothing"))?;
    let out: Written<RunRecord> = written(appended)?;
    Ok((write_status(out.created), Json(out)).into_response())
}

fn correction_record(
    c: CorrectionSubmission,
    key: String,
    limits: &super::Limits,
    index: usize,
) -> Result<(String, CorrectionRecord), Failure> {
    for (what, value) in [("before", &c.before), ("after", &c.after)] {
        if value.len() > limits.snippet_bytes {
            return Err(Failure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "correction {index}: `{what}` is {} bytes; the ledger keeps at most {} bytes of each snippet: send only the changed lines",
                    value.len(),
                    limits.snippet_bytes
                ),
            ));
        }
    }
    if let Some(reason) = &c.reason
        && reason.len() > limits.snippet_bytes
    {
        return Err(Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("correction {index}: `reason` is over the snippet limit"),
        ));
    }
    for (what, value) in [
        ("repo", Some(&c.repo)),
        ("path", Some(&c.path)),
        ("tool", c.tool.as_ref()),
        ("model", c.model.as_ref()),
        ("ai_commit", c.ai_commit.as_ref()),
        ("fix_commit", c.fix_commit.as_ref()),
        ("author", c.author.as_ref()),
        ("rule_id", c.rule_id.as_ref()),
    ] {
        if let Some(v) = value {
            check_short(&format!("corrections[{index}].{what}"), v)?;
        }
    }
    if c.repo.is_empty() || c.path.is_empty() {
        return Err(Failure::bad_request(format!(
            "correction {index}: `repo` and `path` must not be empty"
        )));
    }
    let digest = request_digest(&c)?;
    let record = CorrectionRecord {
        id: uuid::Uuid::now_v7().to_string(),
        seq: 0,
        recorded_at: now(),
        idempotency_key: key,
        kind: c.kind,
        language: Lang::from_path(Path::new(&c.path)).map(|l| l.name().to_string()),
        fingerprint: fingerprint::fingerprint(&c.path, &c.before, &c.after),
        repo: c.repo,
        path: c.path,
        tool: c.tool,
        model: c.model,
        ai_commit: c.ai_commit,
        fix_commit: c.fix_commit,
        author: c.author,
        before: c.before,
        after: c.after,
        rule_id: c.rule_id,
        reason: c.reason,
    };
    Ok((digest, record))
}

pub async fn post_corrections<S: Store>(
    _auth: Authed<Report>,
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let batch: CorrectionBatch = parse(body)?;
    if batch.corrections.is_empty() {
        return Err(Failure::bad_request("`corrections` is empty: send at least one"));
    }
    if batch.corrections.len() > state.limits.batch_len {
        return Err(Failure::bad_request(format!(
            "{} corrections in one batch; the limit is {}: split the batch",
            batch.corrections.len(),
            state.limits.batch_len
        )));
    }
    let header = header_key(&headers)?;
    let mut keyed = Vec::with_capacity(batch.corrections.len());
    for (index, mut c) in batch.corrections.into_iter().enumerate() {
        let key = match (c.idempotency_key.take(), &header) {
            (Some(k), _) => check_key(k)?,
            (None, Some(h)) => check_key(format!("{h}:{index}"))?,
            (None, None) => {
                return Err(Failure::bad_request(format!(
                    "correction {index} has no idempotency key: give each an `idempotency_key` or send an Idempotency-Key header"
                )));
            }
        };
        keyed.push((index, c, key));
    }
    // Fingerprinting parses source: keep it off the async workers.
    let limits = state.limits;
    let records = tokio::task::spawn_blocking(move || {
        keyed
            .into_iter()
            .map(|(index, c, key)| correction_record(c, key, &limits, index))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|e| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, format!("fingerprinting failed: {e}")))??;
    let mut pending = Vec::with_capacity(records.len());
    for (digest, record) in records {
        pending.push(Pending {
            entry_type: EntryType::Correction,
            idempotency_key: record.idempotency_key.clone(),
            request_digest: digest,
            record: serde_json::to_value(&record).map_err(|e| Failure::bad_request(e.to_string()))?,
        });
    }
    let appended = state.store.append(pending).await?;
    let records = appended
        .into_iter()
        .map(written::<CorrectionRecord>)
        .collect::<Result<Vec<_>, _>>()?;
    let created = records.iter().any(|r| r.created);
    Ok((write_status(created), Json(CorrectionsWritten { records })).into_response())
}

fn filter(query: Result<Query<ListQuery>, QueryRejection>, limits: &super::Limits) -> Result<Filter, Failure> {
    let Query(q) = query.map_err(|r| Failure::bad_request(format!("invalid query: {}", r.body_text())))?;
    let after_seq = match q.cursor.as_deref() {
        None | Some("") => 0,
        Some(c) => c
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| Failure::bad_request(format!("`{c}` is not a cursor: pass back a `next_cursor`")))?,
    };
    let since = q
        .since
        .as_deref()
        .map(normalise_time)
        .transpose()
        .map_err(Failure::bad_request)?;
    let limit = q.limit.unwrap_or(100).clamp(1, limits.page_len);
    Ok(Filter {
        repo: q.repo,
        rule: q.rule,
        tool: q.tool,
        author: q.author,
        kind: q.kind,
        since,
        after_seq,
        limit: i64::from(limit) + 1,
    })
}

async fn list<S: Store, T: DeserializeOwned>(
    state: &AppState<S>,
    entry_type: EntryType,
    filter: Filter,
) -> Result<Page<T>, Failure> {
    let want = (filter.limit - 1) as usize;
    let mut rows = state.store.list(entry_type, &filter).await?;
    let next_cursor = if rows.len() > want {
        rows.truncate(want);
        rows.last().map(|r| r.seq.to_string())
    } else {
        None
    };
    let items = rows
        .into_iter()
        .map(|r| serde_json::from_str(&r.body))
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| {
            Failure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("a stored record does not read back ({e}): run `aigate ledger verify`"),
            )
        })?;
    Ok(Page { items, next_cursor })
}

pub async fn list_runs<S: Store>(
    _auth: Authed<Read>,
    State(state): State<AppState<S>>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<RunRecord>>, Failure> {
    let f = filter(query, &state.limits)?;
    Ok(Json(list(&state, EntryType::Run, f).await?))
}

pub async fn list_corrections<S: Store>(
    _auth: Authed<Read>,
    State(state): State<AppState<S>>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<CorrectionRecord>>, Failure> {
    let f = filter(query, &state.limits)?;
    Ok(Json(list(&state, EntryType::Correction, f).await?))
}

pub async fn stats<S: Store>(_auth: Authed<Read>, State(state): State<AppState<S>>) -> Result<Json<Stats>, Failure> {
    Ok(Json(Stats {
        runs: state.store.counts(EntryType::Run).await?,
        corrections: state.store.counts(EntryType::Correction).await?,
    }))
}

pub async fn create_token<S: Store>(
    _auth: Authed<Administer>,
    State(state): State<AppState<S>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let request: TokenRequest = parse(body)?;
    if let Some(label) = &request.label {
        check_short("label", label)?;
    }
    let token = token::generate().map_err(|e| {
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("no randomness for a token: {e}"),
        )
    })?;
    state
        .store
        .insert_token(&token::hash(&token), request.role, request.label.as_deref(), &now())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenCreated {
            role: request.role,
            token,
        }),
    )
        .into_response())
}

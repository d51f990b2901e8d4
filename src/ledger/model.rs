//! The ledger's records and API bodies. Field names are the wire contract of `/v1` (the OpenAPI
//! document in `server/openapi.rs` describes the same shapes). Submissions refuse unknown fields so
//! that a typo in a client is an error, not silently lost data.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::gate::model::Outcome;

/// What a bearer token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Posts runs and corrections (a CI job).
    Reporter,
    /// Reads runs, corrections and stats (dashboards, audits).
    Reader,
    /// Reserved for promoting standards; may read.
    Architect,
    /// Creates tokens; may do everything.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Reporter, Role::Reader, Role::Architect, Role::Admin];

    pub fn name(self) -> &'static str {
        match self {
            Role::Reporter => "reporter",
            Role::Reader => "reader",
            Role::Architect => "architect",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| format!("unknown role `{s}`: use one of reporter, reader, architect, admin"))
    }
}

/// How a correction came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CorrectionKind {
    /// A human commit rewrote lines an AI commit wrote.
    Fix,
    /// A reasoned exemption of a finding (`aigate: allow(<rule-id>) -- <reason>`).
    Waiver,
    /// Reported by a person with `aigate ledger record`.
    Manual,
}

impl CorrectionKind {
    pub fn name(self) -> &'static str {
        match self {
            CorrectionKind::Fix => "fix",
            CorrectionKind::Waiver => "waiver",
            CorrectionKind::Manual => "manual",
        }
    }
}

/// An AI-attributed commit of the change a run checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AiCommit {
    pub sha: String,
    pub tool: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
}

/// Finding counts of a run; the findings themselves live in SARIF, not in the ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingsSummary {
    pub total: u64,
    pub blocking: u64,
    pub warnings: u64,
    pub waived: u64,
    /// Findings per rule id.
    #[serde(default)]
    pub by_rule: BTreeMap<String, u64>,
}

/// A waiver the run honoured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunWaiver {
    pub rule_id: String,
    pub path: String,
    pub line: u32,
    pub reason: String,
}

/// `POST /v1/runs`: one gate run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSubmission {
    /// Alternative to the `Idempotency-Key` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// `owner/name` (GitHub) or the project path (GitLab).
    pub repo: String,
    /// `github`, `gitlab`, `local`...
    #[serde(default)]
    pub forge: Option<String>,
    /// The PR/MR number, when the run checked one.
    #[serde(default)]
    pub change_number: Option<u64>,
    pub base: String,
    pub head: String,
    pub policy_digest: String,
    pub verdict: Outcome,
    #[serde(default)]
    pub verdict_reason: String,
    #[serde(default)]
    pub ai_commits: Vec<AiCommit>,
    #[serde(default)]
    pub findings: FindingsSummary,
    #[serde(default)]
    pub waivers: Vec<RunWaiver>,
}

/// A run as the ledger stores and returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRecord {
    pub id: String,
    /// Position in the hash chain.
    pub seq: i64,
    /// RFC 3339, UTC, set by the ledger.
    pub recorded_at: String,
    pub idempotency_key: String,
    pub repo: String,
    pub forge: Option<String>,
    pub change_number: Option<u64>,
    pub base: String,
    pub head: String,
    pub policy_digest: String,
    pub verdict: Outcome,
    pub verdict_reason: String,
    pub ai_commits: Vec<AiCommit>,
    pub findings: FindingsSummary,
    pub waivers: Vec<RunWaiver>,
}

/// One correction to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionSubmission {
    /// Required unless the request has an `Idempotency-Key` header (then `<header>:<index>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    pub kind: CorrectionKind,
    pub repo: String,
    pub path: String,
    #[serde(default)]
    pub tool: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub ai_commit: Option<String>,
    #[serde(default)]
    pub fix_commit: Option<String>,
    /// The human: `Name <email>`.
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub before: String,
    #[serde(default)]
    pub after: String,
    #[serde(default)]
    pub rule_id: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /v1/corrections`: a batch, written in one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionBatch {
    pub corrections: Vec<CorrectionSubmission>,
}

/// A correction as the ledger stores and returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionRecord {
    pub id: String,
    pub seq: i64,
    pub recorded_at: String,
    pub idempotency_key: String,
    pub kind: CorrectionKind,
    pub repo: String,
    pub path: String,
    /// From the path's extension; `None` for languages aigate does not parse.
    pub language: Option<String>,
    pub tool: Option<String>,
    pub model: Option<String>,
    pub ai_commit: Option<String>,
    pub fix_commit: Option<String>,
    pub author: Option<String>,
    pub before: String,
    pub after: String,
    pub rule_id: Option<String>,
    pub reason: Option<String>,
    /// Structural fingerprint of before → after (see `fingerprint`).
    pub fingerprint: String,
}

/// The answer to a write: the record, and whether this request created it (`false`: an
/// idempotent repeat answered with the original).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Written<T> {
    pub created: bool,
    pub record: T,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectionsWritten {
    pub records: Vec<Written<CorrectionRecord>>,
}

/// A page of a listing; pass `next_cursor` as `cursor` for the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Filters of `GET /v1/runs` and `GET /v1/corrections`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub repo: Option<String>,
    pub rule: Option<String>,
    pub tool: Option<String>,
    pub author: Option<String>,
    pub kind: Option<String>,
    /// RFC 3339; records recorded at or after.
    pub since: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub total: u64,
    pub by_repo: BTreeMap<String, u64>,
    pub by_tool: BTreeMap<String, u64>,
    pub by_rule: BTreeMap<String, u64>,
    pub by_kind: BTreeMap<String, u64>,
}

/// `GET /v1/stats`. For runs, `by_kind` counts verdicts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub runs: Counts,
    pub corrections: Counts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub role: Role,
    #[serde(default)]
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenCreated {
    pub role: Role,
    /// Shown once; the ledger keeps only its SHA-256.
    pub token: String,
}

/// Every error answer of the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: String,
}

//! Where the ledger keeps its entries: one small async trait, [`Store`], with two
//! implementations on sqlx — SQLite (a file in WAL mode; the embedded default) and PostgreSQL
//! (many stateless replicas on one database). Both append under a lock on the chain's head row,
//! so writers are serialised and the chain can never fork; everything backend-neutral (sealing an
//! entry, deriving its indexed columns, verifying the chain) lives here, once.

pub(crate) mod group;
pub mod postgres;
pub mod sqlite;

use std::future::Future;

use serde_json::Value;

use super::chain::{self, ChainEntry, Head, Verdict, Verifier};
use super::model::{Counts, Role};

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("`{0}` is not a ledger database URL: use sqlite://PATH or postgres://USER@HOST/DB")]
    BadUrl(String),
    #[error("could not open the ledger database {url}: {source}. Check that it exists and is reachable")]
    Connect { url: String, source: sqlx::Error },
    #[error("could not migrate the ledger schema: {0}")]
    Migrate(sqlx::Error),
    #[error("ledger database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("idempotency key `{0}` was already used for a different record: use a new key for new content")]
    IdempotencyConflict(String),
    #[error("the ledger could not commit the write: {0}. Nothing was recorded; retry")]
    Commit(String),
    #[error("the ledger holds a record it cannot read (entry {seq}): {problem}. Run `aigate ledger verify`")]
    Corrupt { seq: i64, problem: String },
}

/// Which of the two record kinds an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryType {
    Run,
    Correction,
}

impl EntryType {
    pub fn name(self) -> &'static str {
        match self {
            EntryType::Run => "run",
            EntryType::Correction => "correction",
        }
    }
}

/// A record to append: its body without `seq` (the store assigns it under the lock).
#[derive(Debug, Clone)]
pub struct Pending {
    pub entry_type: EntryType,
    pub idempotency_key: String,
    /// Digest of the submission, to tell a retry (same content) from a reused key (different).
    pub request_digest: String,
    pub record: Value,
}

/// The outcome of one pending record: its stored body, and whether this append created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub created: bool,
    pub body: String,
}

/// The filterable columns of an entry. Always derived from the record body by
/// [`Columns::of`], when writing and again when verifying, so the two cannot drift apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    pub repo: String,
    /// The correction kind, or the run's verdict.
    pub kind: String,
    /// The correction's tool, or the tool of the run's first AI commit.
    pub tool: Option<String>,
    pub rule_id: Option<String>,
    pub author: Option<String>,
    pub recorded_at: String,
}

impl Columns {
    pub fn of(entry_type: EntryType, body: &Value) -> Columns {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let (kind, tool) = match entry_type {
            EntryType::Run => (
                text(body.get("verdict")),
                body.get("ai_commits")
                    .and_then(Value::as_array)
                    .and_then(|c| c.iter().find_map(|c| text(c.get("tool")))),
            ),
            EntryType::Correction => (text(body.get("kind")), text(body.get("tool"))),
        };
        Columns {
            repo: text(body.get("repo")).unwrap_or_default(),
            kind: kind.unwrap_or_default(),
            tool,
            rule_id: text(body.get("rule_id")),
            author: text(body.get("author")),
            recorded_at: text(body.get("recorded_at")).unwrap_or_default(),
        }
    }
}

/// A pending record made ready to insert as entry `seq` after `prev`.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub seq: i64,
    pub entry_type: EntryType,
    pub id: String,
    pub idempotency_key: String,
    pub request_digest: String,
    pub columns: Columns,
    pub body: String,
    pub prev_hash: String,
    pub hash: String,
}

pub fn seal(pending: &Pending, seq: i64, prev: &str) -> Result<Sealed, StoreError> {
    let mut record = pending.record.clone();
    if let Value::Object(map) = &mut record {
        map.insert("seq".into(), Value::from(seq));
    }
    let body = chain::canonical_json(&record).map_err(|e| StoreError::Corrupt {
        seq,
        problem: e.to_string(),
    })?;
    let hash = chain::entry_hash(prev, &body);
    Ok(Sealed {
        seq,
        entry_type: pending.entry_type,
        id: record.get("id").and_then(Value::as_str).unwrap_or_default().to_string(),
        idempotency_key: pending.idempotency_key.clone(),
        request_digest: pending.request_digest.clone(),
        columns: Columns::of(pending.entry_type, &record),
        body,
        prev_hash: prev.to_string(),
        hash,
    })
}

/// A validated listing filter (the server turns query strings into this).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub repo: Option<String>,
    pub rule: Option<String>,
    pub tool: Option<String>,
    pub author: Option<String>,
    pub kind: Option<String>,
    /// Normalised to the ledger's timestamp format, so that text comparison orders by time.
    pub since: Option<String>,
    /// Entries with `seq` greater than this (the cursor).
    pub after_seq: i64,
    pub limit: i64,
}

/// A stored entry of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub seq: i64,
    pub body: String,
}

/// The ledger's storage. Implementations must append each batch atomically in a transaction
/// holding an exclusive lock on the chain head (several batches may share one, see [`group`]),
/// and answer a repeated `(entry_type, idempotency_key)` with the stored record instead of a new
/// one.
pub trait Store: Send + Sync + 'static {
    fn append(&self, batch: Vec<Pending>) -> impl Future<Output = Result<Vec<Appended>, StoreError>> + Send;
    fn list(
        &self,
        entry_type: EntryType,
        filter: &Filter,
    ) -> impl Future<Output = Result<Vec<Listed>, StoreError>> + Send;
    fn counts(&self, entry_type: EntryType) -> impl Future<Output = Result<Counts, StoreError>> + Send;
    /// Chain entries with `seq > after`, in seq order.
    fn chain_page(
        &self,
        after: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<(ChainEntry, Columns)>, StoreError>> + Send;
    fn head(&self) -> impl Future<Output = Result<Option<Head>, StoreError>> + Send;
    fn insert_token(
        &self,
        token_hash: &str,
        role: Role,
        label: Option<&str>,
        created_at: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn token_role(&self, token_hash: &str) -> impl Future<Output = Result<Option<Role>, StoreError>> + Send;
}

/// Recomputes the whole chain and compares it with the recorded head. Safe on a live ledger:
/// the head is read first and read again whenever an entry past it shows up (appended since),
/// so concurrent appends are never mistaken for tampering, while an entry that no head covers is.
pub async fn verify<S: Store>(store: &S) -> Result<Verdict, StoreError> {
    const PAGE: i64 = 1000;
    let mut verifier = Verifier::default();
    let mut head = store.head().await?;
    let mut after = 0;
    loop {
        let page = store.chain_page(after, PAGE).await?;
        if page.is_empty() {
            break;
        }
        for (entry, stored) in &page {
            let covered = |head: &Option<Head>| head.as_ref().is_some_and(|h| entry.seq <= h.seq);
            if !covered(&head) {
                head = store.head().await?;
                if !covered(&head) {
                    let at = head.as_ref().map_or(0, |h| h.seq);
                    verifier.fail(
                        entry.seq,
                        format!(
                            "entry {} is past the chain head (entry {at}): it was added behind the ledger's back",
                            entry.seq
                        ),
                    );
                    return Ok(verifier.finish(head.as_ref()));
                }
            }
            if !verifier.push(entry) {
                return Ok(verifier.finish(head.as_ref()));
            }
            // The hash covers the body; the filter columns must say what the body says.
            let body: Value = serde_json::from_str(&entry.body).unwrap_or(Value::Null);
            let entry_type = if entry.entry_type == "run" {
                EntryType::Run
            } else {
                EntryType::Correction
            };
            if Columns::of(entry_type, &body) != *stored {
                verifier.fail(
                    entry.seq,
                    format!(
                        "entry {} ({} {}): its indexed columns disagree with the hashed record: a column was altered",
                        entry.seq, entry.entry_type, entry.id
                    ),
                );
                return Ok(verifier.finish(head.as_ref()));
            }
            after = entry.seq;
        }
    }
    Ok(verifier.finish(head.as_ref()))
}

/// Either backend, chosen by the URL scheme. (Our own enum, not `sqlx::Any`: each backend keeps
/// its own SQL and locking.)
#[derive(Debug, Clone)]
pub enum LedgerStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl LedgerStore {
    /// Opens (creating a SQLite file if needed) and migrates the database at `url`.
    pub async fn open(url: &str) -> Result<LedgerStore, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(LedgerStore::Sqlite(SqliteStore::open(url).await?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(LedgerStore::Postgres(PgStore::open(url).await?))
        } else {
            Err(StoreError::BadUrl(url.to_string()))
        }
    }
}

macro_rules! delegate {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            LedgerStore::Sqlite($s) => $call.await,
            LedgerStore::Postgres($s) => $call.await,
        }
    };
}

impl Store for LedgerStore {
    async fn append(&self, batch: Vec<Pending>) -> Result<Vec<Appended>, StoreError> {
        delegate!(self, s => s.append(batch))
    }
    async fn list(&self, entry_type: EntryType, filter: &Filter) -> Result<Vec<Listed>, StoreError> {
        delegate!(self, s => s.list(entry_type, filter))
    }
    async fn counts(&self, entry_type: EntryType) -> Result<Counts, StoreError> {
        delegate!(self, s => s.counts(entry_type))
    }
    async fn chain_page(&self, after: i64, limit: i64) -> Result<Vec<(ChainEntry, Columns)>, StoreError> {
        delegate!(self, s => s.chain_page(after, limit))
    }
    async fn head(&self) -> Result<Option<Head>, StoreError> {
        delegate!(self, s => s.head())
    }
    async fn insert_token(
        &self,
        token_hash: &str,
        role: Role,
        label: Option<&str>,
        created_at: &str,
    ) -> Result<(), StoreError> {
        delegate!(self, s => s.insert_token(token_hash, role, label, created_at))
    }
    async fn token_role(&self, token_hash: &str) -> Result<Option<Role>, StoreError> {
        delegate!(self, s => s.token_role(token_hash))
    }
}

/// Groups `(column value, count)` rows into a map, naming missing values `(none)`.
pub(crate) fn tally(rows: Vec<(Option<String>, i64)>) -> std::collections::BTreeMap<String, u64> {
    rows.into_iter()
        .map(|(k, n)| (k.unwrap_or_else(|| "(none)".to_string()), n.max(0) as u64))
        .collect()
}

/// The listing query of [`Store::list`], the same SQL for both backends (the builder writes each
/// backend's placeholders).
macro_rules! list_query {
    ($db:ty, $entry_type:expr, $f:expr) => {{
        let f: &$crate::ledger::store::Filter = $f;
        let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT seq, body FROM entries WHERE entry_type = ");
        qb.push_bind($entry_type.name());
        qb.push(" AND seq > ").push_bind(f.after_seq);
        for (column, value) in [
            ("repo", &f.repo),
            ("rule_id", &f.rule),
            ("tool", &f.tool),
            ("author", &f.author),
            ("kind", &f.kind),
        ] {
            if let Some(v) = value {
                qb.push(format_args!(" AND {column} = ")).push_bind(v.clone());
            }
        }
        if let Some(since) = &f.since {
            qb.push(" AND recorded_at >= ").push_bind(since.clone());
        }
        qb.push(" ORDER BY seq LIMIT ").push_bind(f.limit);
        qb
    }};
}
pub(crate) use list_query;

/// The columns `GET /v1/stats` groups by (fixed names, never input).
pub(crate) const COUNTED: [&str; 4] = ["repo", "tool", "rule_id", "kind"];

pub(crate) fn counts_from(groups: Vec<std::collections::BTreeMap<String, u64>>) -> Counts {
    let mut it = groups.into_iter();
    let mut next = || it.next().unwrap_or_default();
    let (by_repo, by_tool, by_rule, by_kind) = (next(), next(), next(), next());
    Counts {
        total: by_kind.values().sum(),
        by_repo,
        by_tool,
        by_rule,
        by_kind,
    }
}

/// The row of [`Store::chain_page`].
pub(crate) type ChainRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    String,
);

pub(crate) const CHAIN_COLUMNS: &str =
    "seq, entry_type, id, repo, kind, tool, rule_id, author, recorded_at, prev_hash, hash, body";

pub(crate) fn chain_row(
    (seq, entry_type, id, repo, kind, tool, rule_id, author, recorded_at, prev_hash, hash, body): ChainRow,
) -> (ChainEntry, Columns) {
    let columns = Columns {
        repo: repo.clone(),
        kind,
        tool,
        rule_id,
        author,
        recorded_at,
    };
    (
        ChainEntry {
            seq,
            entry_type,
            id,
            repo,
            prev_hash,
            hash,
            body,
        },
        columns,
    )
}

/// What an append found for one pending record before inserting.
pub(crate) enum Prior {
    /// Not seen: insert it.
    New,
    /// Seen (in the database or earlier in the batch) with the same content: answer with it.
    Same(String),
}

/// Decides on a pending record given what the store holds under its key.
pub(crate) fn prior(pending: &Pending, stored: Option<(String, String)>) -> Result<Prior, StoreError> {
    match stored {
        None => Ok(Prior::New),
        Some((digest, body)) if digest == pending.request_digest => Ok(Prior::Same(body)),
        Some(_) => Err(StoreError::IdempotencyConflict(pending.idempotency_key.clone())),
    }
}

/// Looks up the idempotency keys of a group inside its transaction (same SQL for both
/// backends; the builder writes the placeholders).
macro_rules! lookup_known {
    ($db:ty, $tx:expr, $jobs:expr) => {{
        let mut known = $crate::ledger::store::group::Known::new();
        for (entry_type, keys) in $crate::ledger::store::group::keys($jobs) {
            for chunk in keys.chunks(512) {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT idempotency_key, request_digest, body FROM entries WHERE entry_type = ",
                );
                qb.push_bind(entry_type.name()).push(" AND idempotency_key IN (");
                let mut list = qb.separated(", ");
                for key in chunk {
                    list.push_bind(key.clone());
                }
                list.push_unseparated(")");
                let rows: Vec<(String, String, String)> = qb.build_query_as().fetch_all(&mut *$tx).await?;
                for (key, digest, body) in rows {
                    known.insert((entry_type, key), (digest, body));
                }
            }
        }
        known
    }};
}
pub(crate) use lookup_known;

/// Inserts sealed rows with multi-row INSERTs.
macro_rules! insert_rows {
    ($db:ty, $tx:expr, $rows:expr) => {{
        let rows: &[$crate::ledger::store::Sealed] = $rows;
        for chunk in rows.chunks(512) {
            let mut qb = sqlx::QueryBuilder::<$db>::new(
                "INSERT INTO entries (seq, entry_type, id, idempotency_key, request_digest, repo, kind, tool, rule_id, author, \
                 recorded_at, body, prev_hash, hash) ",
            );
            qb.push_values(chunk, |mut b, s| {
                let c = &s.columns;
                b.push_bind(s.seq)
                    .push_bind(s.entry_type.name())
                    .push_bind(s.id.clone())
                    .push_bind(s.idempotency_key.clone())
                    .push_bind(s.request_digest.clone())
                    .push_bind(c.repo.clone())
                    .push_bind(c.kind.clone())
                    .push_bind(c.tool.clone())
                    .push_bind(c.rule_id.clone())
                    .push_bind(c.author.clone())
                    .push_bind(c.recorded_at.clone())
                    .push_bind(s.body.clone())
                    .push_bind(s.prev_hash.clone())
                    .push_bind(s.hash.clone());
            });
            qb.build().execute(&mut *$tx).await?;
        }
    }};
}
pub(crate) use insert_rows;

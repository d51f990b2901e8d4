//! The SQLite store: one file in WAL mode, `synchronous = FULL` so an acknowledged write survives a
//! crash. All writes go through a pool of one connection and `BEGIN IMMEDIATE`, so writers queue
//! in the process and take SQLite's write lock up front; reads use their own pool and run
//! concurrently with the writer (WAL).

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqliteConnection};

use super::{
    CHAIN_COLUMNS, COUNTED, Appended, ChainRow, Columns, EntryType, Filter, Listed, Pending, Prior, Store, StoreError, chain_row,
    counts_from, list_query, prior, seal, tally,
};
use crate::ledger::chain::{ChainEntry, Head};
use crate::ledger::model::{Counts, Role};

const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("../migrations/sqlite/0001_init.sql"))];

#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens `sqlite://PATH` (created if missing) and brings its schema up to date.
    pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
        let connect = |source| StoreError::Connect { url: url.to_string(), source };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(connect)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30));
        let writer = SqlitePoolOptions::new().max_connections(1).connect_with(options.clone()).await.map_err(connect)?;
        migrate(&writer).await?;
        let reader = SqlitePoolOptions::new().max_connections(4).connect_with(options.read_only(true)).await.map_err(connect)?;
        Ok(SqliteStore { writer, reader })
    }

    /// The write pool, for tests and tools that inspect the file directly.
    pub fn pool(&self) -> &SqlitePool {
        &self.writer
    }
}

async fn migrate(pool: &SqlitePool) -> Result<(), StoreError> {
    let run = async {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::raw_sql("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)").execute(&mut *tx).await?;
        for (version, sql) in MIGRATIONS {
            let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = ?")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_none() {
                sqlx::raw_sql(sql).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO schema_migrations (version) VALUES (?)").bind(version).execute(&mut *tx).await?;
            }
        }
        tx.commit().await
    };
    run.await.map_err(StoreError::Migrate)
}

async fn stored(conn: &mut SqliteConnection, p: &Pending) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT request_digest, body FROM entries WHERE entry_type = ? AND idempotency_key = ?")
        .bind(p.entry_type.name())
        .bind(&p.idempotency_key)
        .fetch_optional(conn)
        .await
}

impl Store for SqliteStore {
    async fn append(&self, batch: Vec<Pending>) -> Result<Vec<Appended>, StoreError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let (mut seq, mut prev): (i64, String) = sqlx::query_as("SELECT seq, hash FROM chain_head WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::Corrupt { seq: 0, problem: "the chain head row is missing".into() })?;
        let mut out = Vec::with_capacity(batch.len());
        let mut in_batch: HashMap<(EntryType, &str), (String, String)> = HashMap::new();
        for p in &batch {
            let key = (p.entry_type, p.idempotency_key.as_str());
            let earlier = match in_batch.get(&key) {
                Some(found) => Some(found.clone()),
                None => stored(&mut tx, p).await?,
            };
            if let Prior::Same(body) = prior(p, earlier)? {
                out.push(Appended { created: false, body });
                continue;
            }
            seq += 1;
            let s = seal(p, seq, &prev)?;
            let c: &Columns = &s.columns;
            sqlx::query(
                "INSERT INTO entries (seq, entry_type, id, idempotency_key, request_digest, repo, kind, tool, rule_id, author, \
                 recorded_at, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(s.seq)
            .bind(s.entry_type.name())
            .bind(&s.id)
            .bind(&s.idempotency_key)
            .bind(&s.request_digest)
            .bind(&c.repo)
            .bind(&c.kind)
            .bind(&c.tool)
            .bind(&c.rule_id)
            .bind(&c.author)
            .bind(&c.recorded_at)
            .bind(&s.body)
            .bind(&s.prev_hash)
            .bind(&s.hash)
            .execute(&mut *tx)
            .await?;
            in_batch.insert(key, (s.request_digest.clone(), s.body.clone()));
            prev = s.hash;
            out.push(Appended { created: true, body: s.body });
        }
        sqlx::query("UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1").bind(seq).bind(&prev).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn list(&self, entry_type: EntryType, filter: &Filter) -> Result<Vec<Listed>, StoreError> {
        let mut qb = list_query!(Sqlite, entry_type, filter);
        let rows: Vec<(i64, String)> = qb.build_query_as().fetch_all(&self.reader).await?;
        Ok(rows.into_iter().map(|(seq, body)| Listed { seq, body }).collect())
    }

    async fn counts(&self, entry_type: EntryType) -> Result<Counts, StoreError> {
        let mut groups = Vec::new();
        for column in COUNTED {
            let sql = format!("SELECT {column}, COUNT(*) FROM entries WHERE entry_type = ? GROUP BY {column}");
            let rows: Vec<(Option<String>, i64)> = sqlx::query_as(&sql).bind(entry_type.name()).fetch_all(&self.reader).await?;
            groups.push(tally(rows));
        }
        Ok(counts_from(groups))
    }

    async fn chain_page(&self, after: i64, limit: i64) -> Result<Vec<(ChainEntry, Columns)>, StoreError> {
        let sql = format!("SELECT {CHAIN_COLUMNS} FROM entries WHERE seq > ? ORDER BY seq LIMIT ?");
        let rows: Vec<ChainRow> = sqlx::query_as(&sql).bind(after).bind(limit).fetch_all(&self.reader).await?;
        Ok(rows.into_iter().map(chain_row).collect())
    }

    async fn head(&self) -> Result<Option<Head>, StoreError> {
        let row: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM chain_head WHERE id = 1").fetch_optional(&self.reader).await?;
        Ok(row.map(|(seq, hash)| Head { seq, hash }))
    }

    async fn insert_token(&self, token_hash: &str, role: Role, label: Option<&str>, created_at: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO tokens (token_hash, role, label, created_at) VALUES (?, ?, ?, ?)")
            .bind(token_hash)
            .bind(role.name())
            .bind(label)
            .bind(created_at)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn token_role(&self, token_hash: &str) -> Result<Option<Role>, StoreError> {
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM tokens WHERE token_hash = ?").bind(token_hash).fetch_optional(&self.reader).await?;
        Ok(role.and_then(|r| r.parse().ok()))
    }
}

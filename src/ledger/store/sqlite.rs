//! The SQLite store: one file in WAL mode, `synchronous = FULL` so an acknowledged write survives a
//! crash. Appends go through the group-commit writer (one task, one connection, `BEGIN
//! IMMEDIATE`: SQLite's write lock is taken up front, so a second process on the same file waits
//! instead of forking the chain); reads use their own pool and run concurrently with it (WAL).

use std::str::FromStr;
use std::time::Duration;

use sqlx::Sqlite;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::mpsc;

use super::group::{self, Job};
use super::{
    Appended, CHAIN_COLUMNS, COUNTED, ChainRow, Columns, EntryType, Filter, Listed, Pending, Store, StoreError,
    chain_row, counts_from, insert_rows, list_query, lookup_known, tally,
};
use crate::ledger::chain::{ChainEntry, Head};
use crate::ledger::model::{Counts, Role};

const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("../migrations/sqlite/0001_init.sql"))];

#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    /// Appends queue here for the group-commit writer task.
    queue: mpsc::Sender<Job>,
}

impl SqliteStore {
    /// Opens `sqlite://PATH` (created if missing) and brings its schema up to date.
    pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
        let connect = |source| StoreError::Connect {
            url: url.to_string(),
            source,
        };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(connect)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(connect)?;
        migrate(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await
            .map_err(connect)?;
        let pool = writer.clone();
        let queue = group::spawn(move |jobs| {
            let pool = pool.clone();
            async move {
                let outcome = write_group(&pool, &jobs).await;
                group::answer(jobs, outcome);
            }
        });
        Ok(SqliteStore { writer, reader, queue })
    }

    /// The write pool, for tests and tools that inspect the file directly.
    pub fn pool(&self) -> &SqlitePool {
        &self.writer
    }
}

async fn migrate(pool: &SqlitePool) -> Result<(), StoreError> {
    let run = async {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::raw_sql("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
            .execute(&mut *tx)
            .await?;
        for (version, sql) in MIGRATIONS {
            let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = ?")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_none() {
                sqlx::raw_sql(sql).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO schema_migrations (version) VALUES (?)")
                    .bind(version)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await
    };
    run.await.map_err(StoreError::Migrate)
}

/// Writes one group of appends in one transaction (see [`group`]).
async fn write_group(pool: &SqlitePool, jobs: &[Job]) -> Result<Vec<Result<Vec<Appended>, StoreError>>, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let head: (i64, String) = sqlx::query_as("SELECT seq, hash FROM chain_head WHERE id = 1")
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::Corrupt {
            seq: 0,
            problem: "the chain head row is missing".into(),
        })?;
    let known = lookup_known!(Sqlite, tx, jobs);
    let plan = group::plan(jobs, &known, head)?;
    if !plan.rows.is_empty() {
        insert_rows!(Sqlite, tx, &plan.rows);
        sqlx::query("UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1")
            .bind(plan.head.0)
            .bind(&plan.head.1)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(plan.answers)
}

impl Store for SqliteStore {
    async fn append(&self, batch: Vec<Pending>) -> Result<Vec<Appended>, StoreError> {
        group::submit(&self.queue, batch).await
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
            let rows: Vec<(Option<String>, i64)> = sqlx::query_as(&sql)
                .bind(entry_type.name())
                .fetch_all(&self.reader)
                .await?;
            groups.push(tally(rows));
        }
        Ok(counts_from(groups))
    }

    async fn chain_page(&self, after: i64, limit: i64) -> Result<Vec<(ChainEntry, Columns)>, StoreError> {
        let sql = format!("SELECT {CHAIN_COLUMNS} FROM entries WHERE seq > ? ORDER BY seq LIMIT ?");
        let rows: Vec<ChainRow> = sqlx::query_as(&sql)
            .bind(after)
            .bind(limit)
            .fetch_all(&self.reader)
            .await?;
        Ok(rows.into_iter().map(chain_row).collect())
    }

    async fn head(&self) -> Result<Option<Head>, StoreError> {
        let row: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM chain_head WHERE id = 1")
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.map(|(seq, hash)| Head { seq, hash }))
    }

    async fn insert_token(
        &self,
        token_hash: &str,
        role: Role,
        label: Option<&str>,
        created_at: &str,
    ) -> Result<(), StoreError> {
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
        let role: Option<String> = sqlx::query_scalar("SELECT role FROM tokens WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.reader)
            .await?;
        Ok(role.and_then(|r| r.parse().ok()))
    }
}

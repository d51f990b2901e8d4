//! The PostgreSQL store, for a fleet: any number of stateless `aigate ledger serve` replicas on
//! one database. Each replica group-commits its appends; each group is one transaction that
//! first takes `SELECT … FOR UPDATE` on the single chain-head row: replicas queue on that row
//! lock, so seq numbers stay gap-free and two replicas can never append to the same head (fork
//! the chain). The idempotency lookup happens after the lock, so a concurrent duplicate from
//! another replica sees the first one's committed record (READ COMMITTED takes a fresh snapshot
//! per statement); the unique constraint is the backstop.

use std::str::FromStr;

use sqlx::Postgres;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use tokio::sync::mpsc;

use super::group::{self, Job};
use super::{
    Appended, CHAIN_COLUMNS, COUNTED, ChainRow, Columns, EntryType, Filter, Listed, Pending, Store, StoreError,
    chain_row, counts_from, insert_rows, list_query, lookup_known, tally,
};
use crate::ledger::chain::{ChainEntry, Head};
use crate::ledger::model::{Counts, Role};

const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("../migrations/postgres/0001_init.sql"))];
/// `pg_advisory_xact_lock` key that serialises schema migrations of replicas starting together.
const MIGRATION_LOCK: i64 = 0x6169_6761_7465; // "aigate"

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Appends queue here for this replica's group-commit writer task.
    queue: mpsc::Sender<Job>,
}

impl PgStore {
    /// Opens `postgres://…` (a `?options=-c search_path=SCHEMA` parameter selects a schema) and
    /// brings its schema up to date.
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(|source| StoreError::Connect {
            url: url.to_string(),
            source,
        })?;
        PgStore::open_with(options, url).await
    }

    pub async fn open_with(options: PgConnectOptions, shown_url: &str) -> Result<PgStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Connect {
                url: shown_url.to_string(),
                source,
            })?;
        migrate(&pool).await?;
        let writer = pool.clone();
        let queue = group::spawn(move |jobs| {
            let pool = writer.clone();
            async move {
                let outcome = write_group(&pool, &jobs).await;
                group::answer(jobs, outcome);
            }
        });
        Ok(PgStore { pool, queue })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    let run = async {
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *tx)
            .await?;
        sqlx::raw_sql("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)")
            .execute(&mut *tx)
            .await?;
        for (version, sql) in MIGRATIONS {
            let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_none() {
                sqlx::raw_sql(sql).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO schema_migrations (version) VALUES ($1)")
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
async fn write_group(pool: &PgPool, jobs: &[Job]) -> Result<Vec<Result<Vec<Appended>, StoreError>>, StoreError> {
    let mut tx = pool.begin().await?;
    let head: (i64, String) = sqlx::query_as("SELECT seq, hash FROM chain_head WHERE id = 1 FOR UPDATE")
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::Corrupt {
            seq: 0,
            problem: "the chain head row is missing".into(),
        })?;
    let known = lookup_known!(Postgres, tx, jobs);
    let plan = group::plan(jobs, &known, head)?;
    if !plan.rows.is_empty() {
        insert_rows!(Postgres, tx, &plan.rows);
        sqlx::query("UPDATE chain_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(plan.head.0)
            .bind(&plan.head.1)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(plan.answers)
}

impl Store for PgStore {
    async fn append(&self, batch: Vec<Pending>) -> Result<Vec<Appended>, StoreError> {
        group::submit(&self.queue, batch).await
    }

    async fn list(&self, entry_type: EntryType, filter: &Filter) -> Result<Vec<Listed>, StoreError> {
        let mut qb = list_query!(Postgres, entry_type, filter);
        let rows: Vec<(i64, String)> = qb.build_query_as().fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|(seq, body)| Listed { seq, body }).collect())
    }

    async fn counts(&self, entry_type: EntryType) -> Result<Counts, StoreError> {
        let mut groups = Vec::new();
        for column in COUNTED {
            let sql = format!("SELECT {column}, COUNT(*) FROM entries WHERE entry_type = $1 GROUP BY {column}");
            let rows: Vec<(Option<String>, i64)> = sqlx::query_as(&sql)
                .bind(entry_type.name())
                .fetch_all(&self.pool)
                .await?;
            groups.push(tally(rows));
        }
        Ok(counts_from(groups))
    }

    async fn chain_page(&self, after: i64, limit: i64) -> Result<Vec<(ChainEntry, Columns)>, StoreError> {
        let sql = format!("SELECT {CHAIN_COLUMNS} FROM entries WHERE seq > $1 ORDER BY seq LIMIT $2");
        let rows: Vec<ChainRow> = sqlx::query_as(&sql)
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(chain_row).collect())
    }

    async fn head(&self) -> Result<Option<Head>, StoreError> {
        let row: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM chain_head WHERE id = 1")
            .fetch_optional(&self.pool)
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
        sqlx::query("INSERT INTO tokens (token_hash, role, label, created_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(role.name())
            .bind(label)
            .bind(created_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn token_role(&self, token_hash: &str) -> Result<Option<Role>, StoreError> {
        let role: Option<String> = sqlx::query_scalar("SELECT role FROM tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(role.and_then(|r| r.parse().ok()))
    }
}

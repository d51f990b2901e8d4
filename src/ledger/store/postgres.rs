//! The PostgreSQL store, for a fleet: any number of stateless `aigate ledger serve` replicas on
//! one database. Each append is one transaction that first takes `SELECT … FOR UPDATE` on the
//! single chain-head row: replicas queue on that row lock, so seq numbers stay gap-free and two
//! replicas can never append to the same head (fork the chain). The idempotency lookup happens
//! after the lock, so a concurrent duplicate sees the first one's committed record (READ
//! COMMITTED takes a fresh snapshot per statement); the unique constraint is the backstop.

use std::collections::HashMap;
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{PgConnection, Postgres};

use super::{
    CHAIN_COLUMNS, COUNTED, Appended, ChainRow, Columns, EntryType, Filter, Listed, Pending, Prior, Store, StoreError, chain_row,
    counts_from, list_query, prior, seal, tally,
};
use crate::ledger::chain::{ChainEntry, Head};
use crate::ledger::model::{Counts, Role};

const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("../migrations/postgres/0001_init.sql"))];
/// `pg_advisory_xact_lock` key that serialises schema migrations of replicas starting together.
const MIGRATION_LOCK: i64 = 0x6169_6761_7465; // "aigate"

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Opens `postgres://…` (a `?options=-c search_path=SCHEMA` parameter selects a schema) and
    /// brings its schema up to date.
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(|source| StoreError::Connect { url: url.to_string(), source })?;
        PgStore::open_with(options, url).await
    }

    pub async fn open_with(options: PgConnectOptions, shown_url: &str) -> Result<PgStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Connect { url: shown_url.to_string(), source })?;
        migrate(&pool).await?;
        Ok(PgStore { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    let run = async {
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(MIGRATION_LOCK).execute(&mut *tx).await?;
        sqlx::raw_sql("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)").execute(&mut *tx).await?;
        for (version, sql) in MIGRATIONS {
            let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_none() {
                sqlx::raw_sql(sql).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO schema_migrations (version) VALUES ($1)").bind(version).execute(&mut *tx).await?;
            }
        }
        tx.commit().await
    };
    run.await.map_err(StoreError::Migrate)
}

async fn stored(conn: &mut PgConnection, p: &Pending) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT request_digest, body FROM entries WHERE entry_type = $1 AND idempotency_key = $2")
        .bind(p.entry_type.name())
        .bind(&p.idempotency_key)
        .fetch_optional(conn)
        .await
}

impl Store for PgStore {
    async fn append(&self, batch: Vec<Pending>) -> Result<Vec<Appended>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let (mut seq, mut prev): (i64, String) = sqlx::query_as("SELECT seq, hash FROM chain_head WHERE id = 1 FOR UPDATE")
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
                 recorded_at, body, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
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
        sqlx::query("UPDATE chain_head SET seq = $1, hash = $2 WHERE id = 1").bind(seq).bind(&prev).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(out)
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
            let rows: Vec<(Option<String>, i64)> = sqlx::query_as(&sql).bind(entry_type.name()).fetch_all(&self.pool).await?;
            groups.push(tally(rows));
        }
        Ok(counts_from(groups))
    }

    async fn chain_page(&self, after: i64, limit: i64) -> Result<Vec<(ChainEntry, Columns)>, StoreError> {
        let sql = format!("SELECT {CHAIN_COLUMNS} FROM entries WHERE seq > $1 ORDER BY seq LIMIT $2");
        let rows: Vec<ChainRow> = sqlx::query_as(&sql).bind(after).bind(limit).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(chain_row).collect())
    }

    async fn head(&self) -> Result<Option<Head>, StoreError> {
        let row: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM chain_head WHERE id = 1").fetch_optional(&self.pool).await?;
        Ok(row.map(|(seq, hash)| Head { seq, hash }))
    }

    async fn insert_token(&self, token_hash: &str, role: Role, label: Option<&str>, created_at: &str) -> Result<(), StoreError> {
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
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM tokens WHERE token_hash = $1").bind(token_hash).fetch_optional(&self.pool).await?;
        Ok(role.and_then(|r| r.parse().ok()))
    }
}

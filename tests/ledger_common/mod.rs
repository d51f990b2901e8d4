//! Shared by the ledger tests: a real server on 127.0.0.1 (ephemeral port) over a real store —
//! SQLite in a temp dir always, PostgreSQL in a fresh schema when AIGATE_TEST_DATABASE_URL is set.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use aigate::ledger::model::Role;
use aigate::ledger::server::{self, Limits};
use aigate::ledger::store::{LedgerStore, Store};
use aigate::ledger::{now, token};

pub const PG_ENV: &str = "AIGATE_TEST_DATABASE_URL";

/// A fresh PostgreSQL schema, dropped when this is dropped.
pub struct PgSchema {
    pub base_url: String,
    pub name: String,
}

impl PgSchema {
    /// `None` (after saying so) when the environment names no test database.
    pub async fn create() -> Option<PgSchema> {
        let Ok(base_url) = std::env::var(PG_ENV) else {
            eprintln!("skipped: {PG_ENV} not set");
            return None;
        };
        let mut nonce = [0u8; 6];
        getrandom::fill(&mut nonce).unwrap();
        let name = format!("t_{}", hex::encode(nonce));
        let pool = sqlx::PgPool::connect(&base_url)
            .await
            .expect("connect to the test database");
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        Some(PgSchema { base_url, name })
    }

    /// The URL that puts every connection in this schema.
    pub fn url(&self) -> String {
        let sep = if self.base_url.contains('?') { '&' } else { '?' };
        format!("{}{sep}options=-c%20search_path%3D{}", self.base_url, self.name)
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (url, name) = (self.base_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(pool) = sqlx::PgPool::connect(&url).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA {name} CASCADE")).execute(&pool).await;
                }
            });
        })
        .join();
    }
}

/// Which store a test runs on.
pub enum Backend {
    Sqlite(tempfile::TempDir),
    Postgres(PgSchema),
}

impl Backend {
    pub fn sqlite() -> Backend {
        Backend::Sqlite(tempfile::tempdir().unwrap())
    }
    pub async fn postgres() -> Option<Backend> {
        PgSchema::create().await.map(Backend::Postgres)
    }
    pub fn url(&self) -> String {
        match self {
            Backend::Sqlite(dir) => format!("sqlite://{}", dir.path().join("ledger.db").display()),
            Backend::Postgres(schema) => schema.url(),
        }
    }
}

pub struct Harness {
    pub base: String,
    pub http: reqwest::Client,
    pub tokens: HashMap<Role, String>,
    pub store: Arc<LedgerStore>,
    pub backend: Backend,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Harness {
    pub async fn start(backend: Backend) -> Harness {
        Harness::start_with(backend, Limits::default()).await
    }

    pub async fn start_with(backend: Backend, limits: Limits) -> Harness {
        let store = Arc::new(LedgerStore::open(&backend.url()).await.expect("open the store"));
        let mut tokens = HashMap::new();
        for role in Role::ALL {
            let t = token::generate().unwrap();
            store
                .insert_token(&token::hash(&t), role, Some("test"), &now())
                .await
                .unwrap();
            tokens.insert(role, t);
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = Arc::clone(&store);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, server::router(app, limits)).await;
        });
        Harness {
            base,
            http: aigate::net::http_builder().build().unwrap(),
            tokens,
            store,
            backend,
            server,
        }
    }

    /// A second server on its own store over the same database: another replica.
    pub async fn replica(&self) -> (String, tokio::task::JoinHandle<()>) {
        let store = Arc::new(
            LedgerStore::open(&self.backend.url())
                .await
                .expect("open the replica's store"),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, server::router(store, Limits::default())).await;
        });
        (base, server)
    }

    pub fn token(&self, role: Role) -> &str {
        &self.tokens[&role]
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post(
        &self,
        role: Role,
        path: &str,
        body: &serde_json::Value,
        key: Option<&str>,
    ) -> (u16, serde_json::Value) {
        let mut rb = self.http.post(self.url(path)).bearer_auth(self.token(role)).json(body);
        if let Some(k) = key {
            rb = rb.header("Idempotency-Key", k);
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn get(&self, role: Role, path: &str) -> (u16, serde_json::Value) {
        let resp = self
            .http
            .get(self.url(path))
            .bearer_auth(self.token(role))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// Runs SQL directly on the database, behind the ledger's back.
    pub async fn tamper(&self, sql: &str) -> u64 {
        match &*self.store {
            LedgerStore::Sqlite(s) => sqlx::raw_sql(sql).execute(s.pool()).await.unwrap().rows_affected(),
            LedgerStore::Postgres(s) => sqlx::raw_sql(sql).execute(s.pool()).await.unwrap().rows_affected(),
        }
    }
}

pub fn run_body(repo: &str, head: &str) -> serde_json::Value {
    serde_json::json!({
        "repo": repo, "forge": "github", "change_number": 7, "base": "b0", "head": head,
        "policy_digest": "sha256:abc", "verdict": "block", "verdict_reason": "1 blocking finding",
        "ai_commits": [{"sha": "c1", "tool": "claude-code", "model": "claude-opus-4"}],
        "findings": {"total": 2, "blocking": 1, "warnings": 0, "waived": 1, "by_rule": {"rust/no-unwrap": 2}},
        "waivers": [{"rule_id": "rust/no-unwrap", "path": "src/a.rs", "line": 3, "reason": "checked above"}]
    })
}

pub fn correction_body(key: &str, repo: &str, path: &str, before: &str, after: &str) -> serde_json::Value {
    serde_json::json!({
        "idempotency_key": key, "kind": "fix", "repo": repo, "path": path, "tool": "copilot", "model": "gpt-5",
        "ai_commit": "a1", "fix_commit": "f1", "author": "Ann <ann@example.com>", "before": before, "after": after,
        "rule_id": "rust/no-unwrap", "reason": null
    })
}

/// Defines `<name>_sqlite` and `<name>_postgres` tests running `suite(Backend)`.
#[macro_export]
macro_rules! both_stores {
    ($($name:ident => $suite:path;)*) => {
        $(
            mod $name {
                use super::*;
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    $suite(Backend::sqlite()).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    let Some(backend) = Backend::postgres().await else { return };
                    $suite(backend).await;
                }
            }
        )*
    };
}

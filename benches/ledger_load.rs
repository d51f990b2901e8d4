//! Ledger load benchmark: 64 concurrent clients post 50,000 gate runs over HTTP to an in-process
//! `aigate ledger serve` (the real router and store), on a SQLite file and, when
//! AIGATE_TEST_DATABASE_URL is set, on PostgreSQL (a fresh schema, dropped afterwards).
//! Reports throughput and latency percentiles per store.
//!
//!     AIGATE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench ledger_load
//!
//! LEDGER_BENCH_RUNS and LEDGER_BENCH_CLIENTS override the defaults (50000, 64).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aigate::ledger::model::Role;
use aigate::ledger::server::{self, Limits};
use aigate::ledger::store::{self, LedgerStore, Store};
use aigate::ledger::{now, token};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn body(i: usize) -> serde_json::Value {
    serde_json::json!({
        "repo": format!("org/repo-{}", i % 50), "forge": "github", "change_number": i, "base": "0123abc", "head": format!("{i:040x}"),
        "policy_digest": "sha256:4f2a", "verdict": if i.is_multiple_of(7) { "block" } else { "pass" }, "verdict_reason": "bench",
        "ai_commits": [{"sha": format!("{i:040x}"), "tool": "claude-code", "model": "claude-opus-4"}],
        "findings": {"total": 1, "blocking": 0, "warnings": 1, "waived": 0, "by_rule": {"rust/no-unwrap": 1}},
        "waivers": []
    })
}

struct Result {
    store: &'static str,
    runs: usize,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

async fn load(name: &'static str, url: &str, runs: usize, clients: usize) -> Result {
    let store = Arc::new(LedgerStore::open(url).await.expect("open the store"));
    let t = token::generate().unwrap();
    store
        .insert_token(&token::hash(&t), Role::Reporter, Some("bench"), &now())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1/runs", listener.local_addr().unwrap());
    let app = server::router(Arc::clone(&store), Limits::default());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let http = aigate::net::http_builder()
        .pool_max_idle_per_host(clients)
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, base, t, next) = (http.clone(), base.clone(), t.clone(), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= runs {
                    return latencies;
                }
                let b = body(i);
                let sent = Instant::now();
                let resp = http
                    .post(&base)
                    .bearer_auth(&t)
                    .header("Idempotency-Key", format!("bench-{i}"))
                    .json(&b)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status().as_u16(), 201, "{}", resp.text().await.unwrap_or_default());
                latencies.push(sent.elapsed());
            }
        }));
    }
    let mut all = Vec::with_capacity(runs);
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let elapsed = start.elapsed();
    server.abort();
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    match store::verify(&*store).await.unwrap() {
        aigate::ledger::chain::Verdict::Intact { entries, .. } => assert_eq!(entries as usize, runs),
        broken => panic!("{broken:?}"),
    }
    Result {
        store: name,
        runs,
        elapsed,
        p50: pct(0.50),
        p99: pct(0.99),
        max: *all.last().unwrap(),
    }
}

fn main() {
    // `cargo test --benches` runs bench binaries with no `--bench`: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runs = env_usize("LEDGER_BENCH_RUNS", 50_000);
    let clients = env_usize("LEDGER_BENCH_CLIENTS", 64);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut results = Vec::new();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        results.push(load("SQLite (file, WAL, synchronous=FULL)", &url, runs, clients).await);
        match std::env::var("AIGATE_TEST_DATABASE_URL") {
            Ok(base) => {
                let schema = format!("bench_{}", std::process::id());
                let admin = sqlx::PgPool::connect(&base).await.unwrap();
                sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .execute(&admin)
                    .await
                    .unwrap();
                sqlx::query(&format!("CREATE SCHEMA {schema}"))
                    .execute(&admin)
                    .await
                    .unwrap();
                let sep = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
                results.push(load("PostgreSQL (local)", &url, runs, clients).await);
                sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                    .execute(&admin)
                    .await
                    .unwrap();
            }
            Err(_) => eprintln!("PostgreSQL skipped: AIGATE_TEST_DATABASE_URL not set"),
        }
    });
    println!("{runs} runs, {clients} concurrent clients, one in-process server per store");
    println!("| store | runs | wall time | throughput | p50 | p99 | max |");
    println!("|---|---|---|---|---|---|---|");
    for r in results {
        println!(
            "| {} | {} | {:.1} s | {:.0} runs/s | {:.1} ms | {:.1} ms | {:.1} ms |",
            r.store,
            r.runs,
            r.elapsed.as_secs_f64(),
            r.runs as f64 / r.elapsed.as_secs_f64(),
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3,
            r.max.as_secs_f64() * 1e3
        );
    }
}

//! `aigate ledger serve` as a real child process: concurrent posting load, SIGKILL mid-load,
//! restart — every acknowledged record is there and `aigate ledger verify` passes; then the CLI
//! names the first broken entry after tampering.

mod ledger_common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ledger_common::Backend;
use tokio::sync::Mutex;

const BIN: &str = env!("CARGO_BIN_EXE_aigate");

fn token(db: &str, role: &str) -> String {
    let out = Command::new(BIN)
        .args(["ledger", "token", "create", "--role", role, "--database", db])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string()
}

/// Starts the server on an ephemeral port; returns it and its base URL (from its first line).
fn serve(db: &str) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(["ledger", "serve", "--listen", "127.0.0.1:0", "--database", db])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(addr.starts_with("http://127.0.0.1:"), "unexpected first line: {line}");
    (child, addr)
}

fn verify(db: &str) -> std::process::Output {
    Command::new(BIN)
        .args(["ledger", "verify", "--database", db])
        .output()
        .unwrap()
}

async fn all_run_ids(http: &reqwest::Client, base: &str, token: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: serde_json::Value = http
            .get(format!("{base}/v1/runs?limit=1000{cursor}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return ids,
        }
    }
}

async fn kill_mid_load_then_restart(backend: Backend) {
    let db = backend.url();
    let reporter = token(&db, "reporter");
    let reader = token(&db, "reader");
    let (mut child, base) = serve(&db);
    let http = aigate::net::http_builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let attempts = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for worker in 0..16 {
        let (http, base, reporter, acked, attempts) = (
            http.clone(),
            base.clone(),
            reporter.clone(),
            Arc::clone(&acked),
            Arc::clone(&attempts),
        );
        tasks.push(tokio::spawn(async move {
            for i in 0.. {
                attempts.fetch_add(1, Ordering::SeqCst);
                let body = ledger_common::run_body("o/durable", &format!("w{worker}-{i}"));
                let sent = http
                    .post(format!("{base}/v1/runs"))
                    .bearer_auth(&reporter)
                    .header("Idempotency-Key", format!("w{worker}-{i}"))
                    .json(&body)
                    .send()
                    .await;
                match sent {
                    Ok(resp) if resp.status().is_success() => {
                        let out: serde_json::Value = match resp.json().await {
                            Ok(v) => v,
                            Err(_) => return, // died while answering: not acknowledged
                        };
                        acked
                            .lock()
                            .await
                            .push(out["record"]["id"].as_str().unwrap().to_string());
                    }
                    _ => return,
                }
            }
        }));
    }
    // Let the load run, then SIGKILL the server in the middle of it.
    let started = std::time::Instant::now();
    while acked.lock().await.len() < 300 {
        assert!(
            tasks.iter().any(|t| !t.is_finished()),
            "every writer stopped before the kill: the server failed"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the load made no progress"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().await.clone();
    assert!(
        attempts.load(Ordering::SeqCst) > acked.len(),
        "requests were in flight when the server died"
    );

    let (mut child, base) = serve(&db);
    let stored: std::collections::HashSet<String> = all_run_ids(&http, &base, &reader).await.into_iter().collect();
    let lost: Vec<&String> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged records lost",
        lost.len(),
        acked.len()
    );
    // It takes writes again after the restart.
    let resp = http
        .post(format!("{base}/v1/runs"))
        .bearer_auth(&reporter)
        .header("Idempotency-Key", "after-restart")
        .json(&ledger_common::run_body("o/durable", "after"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    child.kill().unwrap();
    child.wait().unwrap();

    let out = verify(&db);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "verify failed: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("ledger intact"), "{stdout}");

    // Tampering with one record behind the ledger's back: verify exits non-zero naming it.
    tamper(
        &db,
        "UPDATE entries SET body = replace(body, 'o/durable', 'o/elsewhere') WHERE seq = 7",
    )
    .await;
    let out = verify(&db);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("entry 7"), "{stderr}");
}

async fn tamper(db: &str, sql: &str) {
    if db.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(db).await.unwrap();
        sqlx::raw_sql(sql).execute(&pool).await.unwrap();
    } else {
        let pool = sqlx::PgPool::connect(db).await.unwrap();
        sqlx::raw_sql(sql).execute(&pool).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_survives_sigkill_mid_load() {
    kill_mid_load_then_restart(Backend::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_survives_sigkill_mid_load() {
    let Some(backend) = Backend::postgres().await else {
        return;
    };
    kill_mid_load_then_restart(backend).await;
}

#[test]
fn verify_reports_a_bad_database_url_as_an_error() {
    let out = Command::new(BIN)
        .args(["ledger", "verify", "--database", "mysql://x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sqlite://PATH or postgres://"));
}

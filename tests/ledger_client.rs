//! The gate's ledger client: content-derived idempotency keys, bounded retries, the spool when
//! the ledger is down, and flushing it once the ledger is back, exactly once.

mod ledger_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aigate::gate::model::*;
use aigate::ledger::client::{LedgerClient, Retry, RunContext, fix_submission, run_submission, waiver_submissions};
use aigate::ledger::model::{CorrectionKind, CorrectionSubmission, Role, RunSubmission};
use aigate::ledger::spool::Spool;
use aigate::provenance::model::{CommitProvenance, Correction, Identity};
use ledger_common::{Backend, Harness};

fn fast() -> Retry {
    Retry {
        attempts: 3,
        first_backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
    }
}

fn report() -> GateReport {
    let finding = |rule: &str, waived: Option<&str>| GateFinding {
        rule_id: rule.into(),
        severity: Severity::Error,
        level: if waived.is_some() { Level::Waived } else { Level::Block },
        message: "m".into(),
        path: "src/lib.rs".into(),
        start: Point { line: 3, column: 1 },
        end: Point { line: 3, column: 9 },
        snippet: "x.unwrap()".into(),
        waived: waived.map(|r| Waived { reason: r.into() }),
        provenance: Some(LineProvenance {
            ai: true,
            tool: Some("claude-code".into()),
            model: None,
            commit: Some("c1".into()),
        }),
        fix: None,
    };
    GateReport {
        verdict: Verdict {
            outcome: Outcome::Block,
            reason: "1 blocking finding".into(),
            exit_code: 1,
        },
        policy_digest: "sha256:p".into(),
        scope: ScopeMode::AiLines,
        change: ChangeSummary {
            base: "b".into(),
            head: "h".into(),
            commits: 2,
            ai_commits: 1,
            added_lines: 10,
            ai_lines: 5,
            tools: vec![],
            files_checked: 1,
        },
        rules: vec![],
        findings: vec![
            finding("rust/no-unwrap", None),
            finding("rust/no-unwrap", Some("length checked above")),
        ],
        totals: Totals {
            findings: 2,
            blocking: 1,
            warnings: 0,
            waived: 1,
        },
        notes: vec![],
    }
}

fn inputs() -> (RunSubmission, Vec<CorrectionSubmission>) {
    let commits = vec![CommitProvenance {
        sha: "c1".into(),
        author: Identity {
            name: "bot".into(),
            email: "bot@x".into(),
        },
        ai: true,
        tool: Some("claude-code".into()),
        model: Some("opus".into()),
        signals: vec![],
        trailers: vec![],
    }];
    let ctx = RunContext {
        repo: "o/r".into(),
        forge: Some("github".into()),
        change_number: Some(12),
    };
    let run = run_submission(&report(), &ctx, &commits);
    let fix = Correction {
        path: "src/lib.rs".into(),
        ai_commit: "c1".into(),
        fix_commit: "c2".into(),
        tool: Some("claude-code".into()),
        model: None,
        fix_author: Identity {
            name: "Ann".into(),
            email: "ann@x".into(),
        },
        before: "let a = b.unwrap();\n".into(),
        after: "let a = b?;\n".into(),
        before_lines: [3, 3],
        after_lines: [3, 3],
    };
    let mut corrections = vec![fix_submission("o/r", &fix)];
    corrections.extend(waiver_submissions("o/r", &report()));
    (run, corrections)
}

/// A port nothing listens on.
async fn dead_url() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    url
}

#[test]
fn gate_report_maps_to_ledger_records() {
    let (run, corrections) = inputs();
    assert_eq!(run.ai_commits.len(), 1);
    assert_eq!(run.findings.by_rule["rust/no-unwrap"], 2);
    assert_eq!(run.waivers.len(), 1);
    assert_eq!(run.waivers[0].reason, "length checked above");
    assert_eq!(corrections.len(), 2);
    assert_eq!(corrections[0].kind, CorrectionKind::Fix);
    assert_eq!(corrections[0].author.as_deref(), Some("Ann <ann@x>"));
    assert_eq!(corrections[1].kind, CorrectionKind::Waiver);
    assert_eq!(corrections[1].rule_id.as_deref(), Some("rust/no-unwrap"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn down_then_up_spools_then_flushes_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::new(dir.path().join(".aigate/spool"));
    let h = Harness::start(Backend::sqlite()).await;
    let token = Some(h.token(Role::Reporter).to_string());

    // Down: everything goes to the spool, one file per record, and the delivery says so.
    let down = LedgerClient::new(&dead_url().await, token.clone(), fast()).unwrap();
    let (run, corrections) = inputs();
    let d = down.deliver(&spool, run.clone(), corrections.clone()).await.unwrap();
    assert_eq!((d.sent, d.spooled), (0, 3), "{d}");
    assert!(d.error.as_deref().unwrap().contains("unreachable"), "{d}");
    assert!(d.to_string().contains("spooled 3"));
    assert_eq!(spool.list().unwrap().len(), 3);
    // The same CI job run again while down: same content, same keys, still 3 files.
    down.deliver(&spool, run.clone(), corrections.clone()).await.unwrap();
    assert_eq!(spool.list().unwrap().len(), 3);

    // Up: flush sends them, empties the spool; flushing again sends nothing.
    let up = LedgerClient::new(&h.base, token.clone(), fast()).unwrap();
    let f = up.flush(&spool).await.unwrap();
    assert_eq!((f.sent, f.error.clone()), (3, None));
    assert!(spool.list().unwrap().is_empty());
    assert_eq!(up.flush(&spool).await.unwrap().sent, 0);
    let (_, runs) = h.get(Role::Reader, "/v1/runs").await;
    let (_, corr) = h.get(Role::Reader, "/v1/corrections").await;
    assert_eq!(runs["items"].as_array().unwrap().len(), 1);
    assert_eq!(corr["items"].as_array().unwrap().len(), 2);

    // A rerun of the same job while up: sent, but the ledger keeps one copy of each.
    let d = up.deliver(&spool, run, corrections).await.unwrap();
    assert_eq!((d.sent, d.spooled), (3, 0));
    let (_, runs) = h.get(Role::Reader, "/v1/runs").await;
    let (_, corr) = h.get(Role::Reader, "/v1/corrections").await;
    assert_eq!(runs["items"].as_array().unwrap().len(), 1);
    assert_eq!(corr["items"].as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_run_sends_what_the_last_one_spooled() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::new(dir.path());
    let h = Harness::start(Backend::sqlite()).await;
    let token = Some(h.token(Role::Reporter).to_string());
    let (run, corrections) = inputs();
    LedgerClient::new(&dead_url().await, token.clone(), fast())
        .unwrap()
        .deliver(&spool, run.clone(), corrections)
        .await
        .unwrap();
    let mut next = run;
    next.head = "h2".into();
    let d = LedgerClient::new(&h.base, token, fast())
        .unwrap()
        .deliver(&spool, next, vec![])
        .await
        .unwrap();
    assert_eq!((d.flushed, d.sent, d.spooled), (3, 1, 0), "{d}");
    assert!(spool.list().unwrap().is_empty());
    let (_, runs) = h.get(Role::Reader, "/v1/runs").await;
    assert_eq!(runs["items"].as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_a_bounded_number_of_times_then_spooled() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let app = axum::Router::new().fallback(move || {
        let counter = Arc::clone(&counter);
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, "down for maintenance")
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::new(dir.path());
    let (run, corrections) = inputs();
    let d = LedgerClient::new(&url, Some("t".into()), fast())
        .unwrap()
        .deliver(&spool, run, corrections)
        .await
        .unwrap();
    assert_eq!(
        hits.load(Ordering::SeqCst),
        3,
        "three attempts for the run, then give up"
    );
    assert_eq!((d.sent, d.spooled), (0, 3));
    assert!(d.error.unwrap().contains("503"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_records_are_set_aside_not_lost_and_do_not_block_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::new(dir.path());
    let h = Harness::start(Backend::sqlite()).await;
    let (_, mut corrections) = inputs();
    corrections[0].before = "z".repeat(70 << 10); // over the snippet cap: the ledger will refuse it
    let down = LedgerClient::new(&dead_url().await, None, fast()).unwrap();
    let (run, _) = inputs();
    down.deliver(&spool, run, corrections).await.unwrap();
    let up = LedgerClient::new(&h.base, Some(h.token(Role::Reporter).to_string()), fast()).unwrap();
    let f = up.flush(&spool).await.unwrap();
    assert_eq!(f.sent, 2);
    assert_eq!(f.rejected.len(), 1);
    assert!(f.rejected[0].contains("413"), "{:?}", f.rejected);
    assert!(spool.list().unwrap().is_empty());
    assert_eq!(
        std::fs::read_dir(dir.path().join("rejected")).unwrap().count(),
        2,
        "the record and its reason"
    );
}

#[test]
fn blocking_api_works_for_the_synchronous_gate() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::new(dir.path());
    let url = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let (run, corrections) = inputs();
    let d = LedgerClient::new(&url, None, fast())
        .unwrap()
        .deliver_blocking(&spool, run, corrections)
        .unwrap();
    assert_eq!(d.spooled, 3);
}

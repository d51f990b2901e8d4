//! What posting costs a CI job: a blocked pull request with N findings published to a mock GitHub
//! (check run created, annotations 50 per update, summary comment) and a mock GitLab (two statuses,
//! the MR note), on 127.0.0.1, release profile. Also the time to render the check run of a report
//! with 25,000 findings (the SARIF result limit). Requests are counted, so the batching is visible.
//!
//!     cargo bench --bench forge_publish
//!
//! FORGE_BENCH_ROUNDS changes the rounds per row (default 20; the median is reported).

use std::time::{Duration, Instant};

use aigate::forge::env::{Context, Forge};
use aigate::forge::publish::{PublishOptions, Publisher};
use aigate::forge::retry::RetryPolicy;
use aigate::gate::model::{GateFinding, GateReport, Level, LineProvenance, Outcome, Point, Severity, Totals, Verdict};
use aigate::gate::run::error_report;
use aigate::report::checkrun;
use serde_json::json;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SHA: &str = "6dcb09b5b57875f334f61aebed695e2e4193db5e";

fn report(n: usize) -> GateReport {
    let mut report = error_report(String::new(), false);
    report.findings = (0..n)
        .map(|i| GateFinding {
            rule_id: "security/no-eval".into(),
            severity: Severity::Error,
            level: Level::Block,
            message: format!("eval of untrusted input #{i}"),
            path: format!("src/module_{}.py", i % 40),
            start: Point {
                line: i as u32 % 900 + 1,
                column: 5,
            },
            end: Point {
                line: i as u32 % 900 + 1,
                column: 17,
            },
            snippet: "    eval(input)".into(),
            waived: None,
            provenance: Some(LineProvenance {
                ai: true,
                tool: Some("Claude Code".into()),
                model: None,
                commit: Some(SHA.into()),
            }),
            fix: None,
        })
        .collect();
    report.totals = Totals {
        findings: n,
        blocking: n,
        warnings: 0,
        waived: 0,
    };
    report.verdict = Verdict {
        outcome: Outcome::Block,
        reason: format!("{n} blocking findings"),
        exit_code: 1,
    };
    report
}

fn context(forge: Forge, api_url: String) -> Context {
    let mut ctx: Context = serde_json::from_value(json!({
        "forge": "github", "repo": if forge == Forge::Github { "octo-org/widgets" } else { "group/project" },
        "head": SHA, "pr": 42, "api_url": api_url, "pipeline_id": 7, "sources": [],
    }))
    .unwrap();
    ctx.forge = forge;
    ctx
}

async fn server() -> MockServer {
    let server = MockServer::start().await;
    let ok = |status: u16, body: serde_json::Value| ResponseTemplate::new(status).set_body_json(body);
    for (verb, route, response) in [
        ("POST", r"/check-runs$", ok(201, json!({ "id": 7 }))),
        ("PATCH", r"/check-runs/7$", ok(200, json!({ "id": 7 }))),
        ("GET", r"/comments$", ok(200, json!([]))),
        ("POST", r"/comments$", ok(201, json!({ "id": 9 }))),
        ("POST", r"/statuses/", ok(201, json!({ "id": 1 }))),
        ("GET", r"/notes$", ok(200, json!([]))),
        ("POST", r"/notes$", ok(201, json!({ "id": 3 }))),
    ] {
        Mock::given(method(verb))
            .and(path_regex(route))
            .respond_with(response)
            .mount(&server)
            .await;
    }
    server
}

/// Median wall time of one start + finish, and the requests one run sends.
async fn publish(forge: Forge, report: &GateReport, rounds: usize) -> (Duration, usize) {
    let mut times = Vec::with_capacity(rounds);
    let mut requests = 0;
    for _ in 0..rounds {
        let server = server().await;
        let api = match forge {
            Forge::Github => server.uri(),
            _ => format!("{}/api/v4", server.uri()),
        };
        let env = |name: &str| matches!(name, "GITHUB_TOKEN" | "AIGATE_GITLAB_TOKEN").then(|| "t".to_owned());
        let options = PublishOptions {
            retry: RetryPolicy::quick(1),
            ..Default::default()
        };
        let started = Instant::now();
        let mut publisher = Publisher::plan(&context(forge, api), SHA, env, options).unwrap();
        publisher.start().await;
        publisher.finish(report).await;
        times.push(started.elapsed());
        assert!(publisher.log.iter().all(|l| l.ok), "{:?}", publisher.log);
        requests = server.received_requests().await.map(|r| r.len()).unwrap_or(0);
    }
    times.sort();
    (times[times.len() / 2], requests)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let rounds = std::env::var("FORGE_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    println!("| forge | findings | annotations | requests | median wall time |");
    println!("|---|---|---|---|---|");
    for n in [1, 120, 1_000, 25_000] {
        let report = report(n);
        let annotations = checkrun::check_run(&report).annotations.len();
        let (time, requests) = publish(Forge::Github, &report, rounds).await;
        println!(
            "| GitHub | {n} | {annotations} | {requests} | {:.1} ms |",
            time.as_secs_f64() * 1e3
        );
    }
    for n in [1, 25_000] {
        let (time, requests) = publish(Forge::Gitlab, &report(n), rounds).await;
        println!("| GitLab | {n} | – | {requests} | {:.1} ms |", time.as_secs_f64() * 1e3);
    }
    let big = report(25_000);
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(checkrun::check_run(&big));
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "\nrender the check run of 25,000 findings (Markdown summary + 1,000 annotations): {:.1} ms median",
        times[times.len() / 2].as_secs_f64() * 1e3
    );
}

//! The GitHub calls against a wiremock server: exact paths, methods, headers and bodies; annotation
//! batching; the summary comment edited in place; read-only tokens; retries.

#[path = "forge_common/mod.rs"]
mod forge_common;

use std::io::Read as _;

use aigate::forge::ForgeError;
use aigate::forge::env::{Context, Forge};
use aigate::forge::github::{CommentAction, GitHub, SARIF_LIMIT, StatusState, encode_sarif};
use aigate::forge::publish::{PublishOptions, Publisher};
use aigate::forge::retry::RetryPolicy;
use aigate::report::markdown::MARKER;
use aigate::report::{markdown, sarif};
use base64::Engine as _;
use forge_common::{SHA, blocked_report, lines, mock, seen};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const REPO: &str = "octo-org/widgets";

fn github(server: &MockServer, attempts: u32) -> GitHub {
    GitHub::new(&server.uri(), "ghs_test", REPO, RetryPolicy::quick(attempts)).unwrap()
}

fn pr_context(server: &MockServer) -> Context {
    pr_context_at(&server.uri())
}

fn pr_context_at(api_url: &str) -> Context {
    let mut ctx: Context = serde_json::from_value(json!({
        "forge": "github", "event": "pull_request", "repo": REPO, "base": null, "head": SHA, "pr": 42,
        "api_url": api_url, "git_ref": "refs/pull/42/head",
        "run_url": "https://github.com/octo-org/widgets/actions/runs/1", "sources": [],
    }))
    .unwrap();
    ctx.forge = Forge::Github;
    ctx
}

fn publisher(server: &MockServer, options: PublishOptions) -> Publisher {
    let env = |name: &str| (name == "GITHUB_TOKEN").then(|| "ghs_test".to_owned());
    Publisher::plan(
        &pr_context(server),
        SHA,
        env,
        PublishOptions {
            retry: RetryPolicy::quick(3),
            ..options
        },
    )
    .unwrap_or_else(|e| panic!("{e:?}"))
}

#[tokio::test]
async fn a_blocked_run_is_a_check_run_with_120_annotations_in_3_updates_and_one_comment() {
    let server = MockServer::start().await;
    mock(
        &server,
        "POST",
        "/repos/octo-org/widgets/check-runs",
        201,
        json!({ "id": 7 }),
    )
    .await;
    mock(
        &server,
        "PATCH",
        "/repos/octo-org/widgets/check-runs/7",
        200,
        json!({ "id": 7 }),
    )
    .await;
    mock(
        &server,
        "GET",
        "/repos/octo-org/widgets/issues/42/comments",
        200,
        json!([]),
    )
    .await;
    mock(
        &server,
        "POST",
        "/repos/octo-org/widgets/issues/42/comments",
        201,
        json!({ "id": 99 }),
    )
    .await;

    let report = blocked_report(120);
    let mut p = publisher(&server, PublishOptions::default());
    p.start().await;
    p.finish(&report).await;
    assert!(p.log.iter().all(|l| l.ok), "{:?}", p.log);
    assert!(p.annotated());

    let seen = seen(&server).await;
    assert_eq!(
        lines(&seen),
        [
            "POST /repos/octo-org/widgets/check-runs",
            "PATCH /repos/octo-org/widgets/check-runs/7",
            "PATCH /repos/octo-org/widgets/check-runs/7",
            "PATCH /repos/octo-org/widgets/check-runs/7",
            "GET /repos/octo-org/widgets/issues/42/comments",
            "POST /repos/octo-org/widgets/issues/42/comments",
        ]
    );
    for s in &seen {
        assert_eq!(s.header("authorization"), "Bearer ghs_test", "{}", s.line());
        assert_eq!(s.header("accept"), "application/vnd.github+json");
        assert_eq!(s.header("x-github-api-version"), "2022-11-28");
    }
    let create = seen[0].json();
    assert_eq!(create["name"], "aigate");
    assert_eq!(create["head_sha"], SHA);
    assert_eq!(create["status"], "in_progress");
    assert_eq!(
        create["details_url"],
        "https://github.com/octo-org/widgets/actions/runs/1"
    );
    assert!(create.get("conclusion").is_none());

    let updates: Vec<Value> = seen[1..4].iter().map(|s| s.json()).collect();
    let counts: Vec<usize> = updates
        .iter()
        .map(|u| u["output"]["annotations"].as_array().unwrap().len())
        .collect();
    assert_eq!(counts, [50, 50, 20]);
    // Completed only with the last batch, so the run never shows done with annotations missing.
    assert!(updates[0].get("status").is_none() && updates[1].get("conclusion").is_none());
    assert_eq!(updates[2]["status"], "completed");
    assert_eq!(updates[2]["conclusion"], "failure");
    assert_eq!(updates[2]["output"]["title"], "Blocked: 120 blocking findings");
    let first = &updates[0]["output"]["annotations"][0];
    assert_eq!(
        first,
        &json!({
            "path": "src/lib.rs", "start_line": 1, "end_line": 1, "start_column": 5, "end_column": 17,
            "annotation_level": "failure", "title": "aigate security/no-eval",
            "message": format!("eval of untrusted input #0\n\nWritten by Claude Code in {}", &SHA[..12]),
        })
    );
    let summary = updates[2]["output"]["summary"].as_str().unwrap();
    assert!(summary.starts_with(MARKER) && summary.chars().count() <= 65_535);

    assert_eq!(seen[4].query, "per_page=100&page=1");
    assert_eq!(seen[5].json(), json!({ "body": markdown::to_string(&report) }));
}

#[tokio::test]
async fn a_second_run_edits_the_summary_comment_instead_of_adding_one() {
    let server = MockServer::start().await;
    let comments = json!([
        { "id": 1, "body": "LGTM", "user": { "login": "octocat" } },
        { "id": 2, "body": format!("{MARKER}\n# aigate: blocked"), "user": { "login": "github-actions[bot]" } },
    ]);
    mock(
        &server,
        "GET",
        "/repos/octo-org/widgets/issues/42/comments",
        200,
        comments,
    )
    .await;
    mock(
        &server,
        "PATCH",
        "/repos/octo-org/widgets/issues/comments/2",
        200,
        json!({ "id": 2 }),
    )
    .await;

    let gh = github(&server, 1);
    let body = markdown::to_string(&blocked_report(0));
    assert_eq!(
        gh.upsert_comment(42, &body, true).await.unwrap(),
        Some(CommentAction::Updated(2))
    );
    let seen = seen(&server).await;
    assert_eq!(
        lines(&seen),
        [
            "GET /repos/octo-org/widgets/issues/42/comments",
            "PATCH /repos/octo-org/widgets/issues/comments/2"
        ]
    );
    assert_eq!(seen[1].json(), json!({ "body": body }));
}

#[tokio::test]
async fn comments_are_searched_page_by_page_and_a_clean_pass_adds_none() {
    let server = MockServer::start().await;
    let page1: Vec<Value> = (0..100).map(|i| json!({ "id": i, "body": "chatter" })).collect();
    Mock::given(method("GET"))
        .and(path("/repos/octo-org/widgets/issues/42/comments"))
        .and(wiremock::matchers::query_param("page", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page1))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/octo-org/widgets/issues/42/comments"))
        .and(wiremock::matchers::query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{ "id": 500, "body": "more" }])))
        .mount(&server)
        .await;
    let gh = github(&server, 1);
    assert_eq!(gh.upsert_comment(42, MARKER, false).await.unwrap(), None);
    let seen = seen(&server).await;
    assert_eq!(seen.len(), 2, "{:?}", lines(&seen));
    assert_eq!(seen[1].query, "per_page=100&page=2");
}

#[tokio::test]
async fn a_read_only_fork_token_posts_nothing_more_and_says_why() {
    let server = MockServer::start().await;
    mock(
        &server,
        "POST",
        "/repos/octo-org/widgets/check-runs",
        403,
        json!({ "message": "Resource not accessible by integration", "status": "403" }),
    )
    .await;

    let mut p = publisher(
        &server,
        PublishOptions {
            commit_status: true,
            upload_sarif: true,
            ..Default::default()
        },
    );
    p.start().await;
    p.finish(&blocked_report(3)).await;

    let seen = seen(&server).await;
    assert_eq!(
        lines(&seen),
        ["POST /repos/octo-org/widgets/check-runs"],
        "no retries, no further writes"
    );
    assert!(!p.annotated());
    assert_eq!(p.log.len(), 1, "{:?}", p.log);
    let line = &p.log[0].line;
    assert!(!p.log[0].ok);
    assert!(
        line.contains("403") && line.contains("Resource not accessible by integration"),
        "{line}"
    );
    assert!(
        line.contains("fork") && line.contains("workflow-command annotations"),
        "{line}"
    );
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let server = MockServer::start().await;
    mock(
        &server,
        "POST",
        "/repos/octo-org/widgets/check-runs",
        502,
        json!({ "message": "Bad Gateway" }),
    )
    .await;
    let err = github(&server, 3)
        .start_check_run("aigate", SHA, None)
        .await
        .unwrap_err();
    assert_eq!(seen(&server).await.len(), 3, "three attempts in all");
    assert!(matches!(err, ForgeError::Api { status: 502, .. }), "{err:?}");
    assert!(err.to_string().contains("Bad Gateway"), "{err}");
    assert!(!err.is_permission());
}

#[tokio::test]
async fn a_transient_failure_and_a_rate_limit_are_ridden_out() {
    let server = MockServer::start().await;
    // First a 503, then a secondary rate limit that names its wait, then success.
    Mock::given(method("POST"))
        .and(path("/repos/octo-org/widgets/check-runs"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/octo-org/widgets/check-runs"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("retry-after", "0")
                .set_body_json(json!({ "message": "You have exceeded a secondary rate limit." })),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mock(
        &server,
        "POST",
        "/repos/octo-org/widgets/check-runs",
        201,
        json!({ "id": 5 }),
    )
    .await;
    assert_eq!(
        github(&server, 4).start_check_run("aigate", SHA, None).await.unwrap(),
        5
    );
    assert_eq!(seen(&server).await.len(), 3);
}

#[tokio::test]
async fn opt_ins_set_a_commit_status_and_upload_sarif() {
    let server = MockServer::start().await;
    mock(
        &server,
        "POST",
        "/repos/octo-org/widgets/check-runs",
        201,
        json!({ "id": 7 }),
    )
    .await;
    mock(&server, "PATCH", "/repos/octo-org/widgets/check-runs/7", 200, json!({})).await;
    mock(
        &server,
        "GET",
        "/repos/octo-org/widgets/issues/42/comments",
        200,
        json!([]),
    )
    .await;
    mock(
        &server,
        "POST",
        "/repos/octo-org/widgets/issues/42/comments",
        201,
        json!({ "id": 1 }),
    )
    .await;
    mock(
        &server,
        "POST",
        &format!("/repos/octo-org/widgets/statuses/{SHA}"),
        201,
        json!({ "id": 3 }),
    )
    .await;
    mock(
        &server,
        "POST",
        "/repos/octo-org/widgets/code-scanning/sarifs",
        202,
        json!({ "id": "47177e22", "url": "x" }),
    )
    .await;

    let mut report = blocked_report(2);
    report.verdict.reason = "x".repeat(400);
    let mut p = publisher(
        &server,
        PublishOptions {
            commit_status: true,
            upload_sarif: true,
            ..Default::default()
        },
    );
    p.start().await;
    p.finish(&report).await;
    assert!(p.log.iter().all(|l| l.ok), "{:?}", p.log);

    let seen = seen(&server).await;
    let statuses: Vec<Value> = seen
        .iter()
        .filter(|s| s.path.contains("/statuses/"))
        .map(|s| s.json())
        .collect();
    assert_eq!(statuses.len(), 2);
    assert_eq!(statuses[0]["state"], "pending");
    assert_eq!(statuses[1]["state"], "failure");
    assert_eq!(statuses[1]["context"], "aigate");
    let description = statuses[1]["description"].as_str().unwrap();
    assert_eq!(description.chars().count(), 140, "{description}");
    assert!(description.starts_with("Blocked: 2 blocking findings — xxx") && description.ends_with('…'));

    let upload = seen
        .iter()
        .find(|s| s.path.ends_with("/code-scanning/sarifs"))
        .unwrap()
        .json();
    assert_eq!(upload["commit_sha"], SHA);
    assert_eq!(upload["ref"], "refs/pull/42/head");
    let zipped = base64::engine::general_purpose::STANDARD
        .decode(upload["sarif"].as_str().unwrap())
        .unwrap();
    let mut unzipped = String::new();
    flate2::read::GzDecoder::new(&zipped[..])
        .read_to_string(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, sarif::to_string(&report));
}

#[test]
fn sarif_over_ten_megabytes_gzipped_is_refused_with_the_limit() {
    // Pseudo-random text from 64 symbols compresses to about 6/8 of its size: 16 MB → ~12 MB gzipped.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let symbols = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let text: String = (0..16 * 1024 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            symbols[(state % 64) as usize] as char
        })
        .collect();
    let err = encode_sarif(&text).unwrap_err();
    assert!(
        matches!(err, ForgeError::SarifTooLarge { limit, .. } if limit == SARIF_LIMIT),
        "{err:?}"
    );
    assert!(err.to_string().contains("10485760 bytes"), "{err}");
    assert!(encode_sarif("{}").is_ok());
}

#[tokio::test]
async fn status_states_are_githubs_words() {
    let server = MockServer::start().await;
    mock(
        &server,
        "POST",
        &format!("/repos/octo-org/widgets/statuses/{SHA}"),
        201,
        json!({}),
    )
    .await;
    let gh = github(&server, 1);
    gh.set_status(
        SHA,
        "aigate",
        StatusState::Error,
        "Could not decide",
        Some("https://ci/1"),
    )
    .await
    .unwrap();
    let seen = seen(&server).await;
    assert_eq!(
        seen[0].json(),
        json!({ "state": "error", "context": "aigate", "description": "Could not decide", "target_url": "https://ci/1" })
    );
}

#[tokio::test]
async fn no_token_means_no_posting_and_the_reason_names_the_fix() {
    let ctx: Context = serde_json::from_value(json!({
        "forge": "github", "event": "pull_request", "repo": REPO, "base": null, "head": SHA, "pr": 1,
        "api_url": "https://api.github.com", "sources": [],
    }))
    .unwrap();
    let why = Publisher::plan(&ctx, SHA, |_| None, PublishOptions::default())
        .err()
        .unwrap()
        .0;
    assert!(why.contains("GITHUB_TOKEN") && why.contains("checks: write"), "{why}");
    // AIGATE_GITHUB_TOKEN wins over GITHUB_TOKEN.
    let env = |n: &str| match n {
        "AIGATE_GITHUB_TOKEN" => Some("mine".to_owned()),
        "GITHUB_TOKEN" => Some("".to_owned()),
        _ => None,
    };
    assert!(Publisher::plan(&ctx, SHA, env, PublishOptions::default()).is_ok());
    // Outside a runtime the client cannot start: an error, never a panic.
    let outside = std::thread::spawn(move || {
        Publisher::plan(&ctx, SHA, |_| Some("t".to_owned()), PublishOptions::default())
            .err()
            .map(|e| e.0)
    });
    let why = outside.join().expect("no panic").expect("refused");
    assert!(why.contains("inside a tokio runtime"), "{why}");
}

#[tokio::test]
async fn a_personal_token_gets_a_commit_status_in_place_of_the_check_run() {
    let server = MockServer::start().await;
    mock(
        &server,
        "POST",
        "/repos/octo-org/widgets/check-runs",
        403,
        json!({ "message": "You must authenticate via a GitHub App." }),
    )
    .await;
    mock(
        &server,
        "POST",
        &format!("/repos/octo-org/widgets/statuses/{SHA}"),
        201,
        json!({ "id": 3 }),
    )
    .await;
    mock(
        &server,
        "GET",
        "/repos/octo-org/widgets/issues/42/comments",
        200,
        json!([]),
    )
    .await;
    mock(
        &server,
        "POST",
        "/repos/octo-org/widgets/issues/42/comments",
        201,
        json!({ "id": 1 }),
    )
    .await;

    let mut p = publisher(&server, PublishOptions::default());
    p.start().await;
    p.finish(&blocked_report(1)).await;
    let seen = seen(&server).await;
    let statuses = format!("POST /repos/octo-org/widgets/statuses/{SHA}");
    assert_eq!(
        lines(&seen),
        [
            "POST /repos/octo-org/widgets/check-runs".to_owned(),
            statuses.clone(),
            "GET /repos/octo-org/widgets/issues/42/comments".to_owned(),
            "POST /repos/octo-org/widgets/issues/42/comments".to_owned(),
            statuses,
        ]
    );
    assert_eq!(seen[1].json()["state"], "pending");
    assert_eq!(seen[4].json()["state"], "failure");
    assert!(p.log[0].line.contains("need a GitHub App token"), "{:?}", p.log);
    assert!(!p.annotated());
}

#[tokio::test]
async fn enterprise_server_api_urls_keep_their_path() {
    let server = MockServer::start().await;
    mock(
        &server,
        "POST",
        "/api/v3/repos/octo-org/widgets/check-runs",
        201,
        json!({ "id": 1 }),
    )
    .await;
    let ghes = GitHub::new(&format!("{}/api/v3/", server.uri()), "t", REPO, RetryPolicy::quick(1)).unwrap();
    assert_eq!(ghes.start_check_run("aigate", SHA, None).await.unwrap(), 1);
    assert_eq!(
        lines(&seen(&server).await),
        ["POST /api/v3/repos/octo-org/widgets/check-runs"]
    );
}

#[tokio::test]
async fn an_unreachable_forge_is_given_up_on_once_not_per_call() {
    // A port nothing listens on: connections are refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut ctx = pr_context_at(&format!("http://127.0.0.1:{port}"));
    ctx.pr = Some(42);
    let env = |name: &str| (name == "GITHUB_TOKEN").then(|| "t".to_owned());
    let options = PublishOptions {
        commit_status: true,
        retry: RetryPolicy::quick(2),
        ..Default::default()
    };
    let mut p = Publisher::plan(&ctx, SHA, env, options).unwrap();
    p.start().await;
    p.finish(&blocked_report(1)).await;
    assert_eq!(p.log.len(), 1, "{:?}", p.log);
    let line = &p.log[0].line;
    assert!(
        line.contains("cannot reach GitHub") && line.contains("after 2 attempt(s)"),
        "{line}"
    );
    assert!(line.contains("nothing more is posted"), "{line}");
}

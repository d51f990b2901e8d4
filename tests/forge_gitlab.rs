//! The GitLab calls against a wiremock server: the commit status (running, then success or
//! failed), the MR note found by its marker and edited in place, retries, and the job token refused.

#[path = "forge_common/mod.rs"]
mod forge_common;

use aigate::forge::env::Context;
use aigate::forge::gitlab::{GitLab, NoteAction, StatusState};
use aigate::forge::publish::{PublishOptions, Publisher};
use aigate::forge::retry::RetryPolicy;
use aigate::report::markdown::{self, MARKER};
use forge_common::{SHA, blocked_report, lines, mock, seen};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The project path as the API wants it in a URL: one segment, `/` percent-encoded.
const PROJECT: &str = "/api/v4/projects/group%2Fproject";

fn context(server: &MockServer) -> Context {
    serde_json::from_value(json!({
        "forge": "gitlab", "event": "detached", "repo": "group/project", "base": null, "head": SHA, "pr": 7,
        "api_url": format!("{}/api/v4", server.uri()), "git_ref": "feature",
        "run_url": "https://gitlab.example.com/group/project/-/jobs/9", "pipeline_id": 1234, "sources": [],
    }))
    .unwrap()
}

fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
}

#[tokio::test]
async fn a_blocked_merge_request_gets_running_then_failed_and_one_note() {
    let server = MockServer::start().await;
    let statuses = format!("{PROJECT}/statuses/{SHA}");
    let notes = format!("{PROJECT}/merge_requests/7/notes");
    mock(&server, "POST", &statuses, 201, json!({ "id": 1, "status": "running" })).await;
    mock(
        &server,
        "GET",
        &notes,
        200,
        json!([{ "id": 3, "body": "please rename", "system": false }]),
    )
    .await;
    mock(&server, "POST", &notes, 201, json!({ "id": 11, "body": "x" })).await;

    let report = blocked_report(2);
    let mut p = Publisher::plan(
        &context(&server),
        SHA,
        env(&[("AIGATE_GITLAB_TOKEN", "glpat-test"), ("CI_JOB_TOKEN", "job-token")]),
        PublishOptions {
            retry: RetryPolicy::quick(2),
            ..Default::default()
        },
    )
    .unwrap();
    p.start().await;
    p.finish(&report).await;
    assert!(p.log.iter().all(|l| l.ok), "{:?}", p.log);

    let seen = seen(&server).await;
    assert_eq!(
        lines(&seen),
        [
            format!("POST {statuses}"),
            format!("POST {statuses}"),
            format!("GET {notes}"),
            format!("POST {notes}")
        ]
    );
    for s in &seen {
        assert_eq!(s.header("private-token"), "glpat-test", "{}", s.line());
    }
    let running = seen[0].form();
    assert_eq!(running["state"], "running");
    assert_eq!(running["name"], "aigate");
    assert_eq!(running["pipeline_id"], "1234");
    assert_eq!(
        running["target_url"],
        "https://gitlab.example.com/group/project/-/jobs/9"
    );
    let failed = seen[1].form();
    assert_eq!(failed["state"], "failed");
    assert!(
        failed["description"].starts_with("Blocked: 2 blocking findings"),
        "{failed:?}"
    );
    assert!(failed["description"].chars().count() <= 140);
    assert_eq!(seen[3].form()["body"], markdown::to_string(&report));
}

#[tokio::test]
async fn a_second_pipeline_edits_the_note() {
    let server = MockServer::start().await;
    let notes = format!("{PROJECT}/merge_requests/7/notes");
    let listed = json!([
        { "id": 3, "body": format!("quoting {MARKER}"), "system": true },
        { "id": 5, "body": format!("{MARKER}\n# aigate: blocked"), "system": false },
    ]);
    mock(&server, "GET", &notes, 200, listed).await;
    mock(
        &server,
        "PUT",
        &format!("{notes}/5"),
        200,
        json!({ "id": 5, "body": "x" }),
    )
    .await;
    let gl = GitLab::new(
        &format!("{}/api/v4", server.uri()),
        "glpat-test",
        "group/project",
        RetryPolicy::quick(1),
    )
    .unwrap();
    let body = markdown::to_string(&blocked_report(0));
    assert_eq!(gl.upsert_note(7, &body).await.unwrap(), NoteAction::Updated(5));
    let seen = seen(&server).await;
    assert_eq!(lines(&seen), [format!("GET {notes}"), format!("PUT {notes}/5")]);
    assert_eq!(seen[1].form()["body"], body);
}

#[tokio::test]
async fn an_instance_under_a_relative_url_root_and_5xx_retries() {
    let server = MockServer::start().await;
    let route = format!("/gitlab/api/v4/projects/42/statuses/{SHA}");
    Mock::given(method("POST"))
        .and(path(route.as_str()))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    mock(&server, "POST", &route, 201, json!({ "id": 1 })).await;
    let gl = GitLab::new(
        &format!("{}/gitlab/api/v4/", server.uri()),
        "t",
        "42",
        RetryPolicy::quick(3),
    )
    .unwrap();
    gl.set_status(SHA, "aigate", StatusState::Success, "Passed", None, None)
        .await
        .unwrap();
    assert_eq!(seen(&server).await.len(), 3);

    let down = MockServer::start().await;
    mock(
        &down,
        "POST",
        &format!("/api/v4/projects/42/statuses/{SHA}"),
        503,
        json!({ "message": "down" }),
    )
    .await;
    let gl = GitLab::new(&format!("{}/api/v4", down.uri()), "t", "42", RetryPolicy::quick(2)).unwrap();
    let err = gl
        .set_status(SHA, "aigate", StatusState::Running, "x", None, None)
        .await
        .unwrap_err();
    assert_eq!(seen(&down).await.len(), 2);
    assert_eq!(err.status(), Some(503), "{err}");
}

#[tokio::test]
async fn a_token_without_rights_stops_posting_and_says_what_it_needs() {
    let server = MockServer::start().await;
    mock(
        &server,
        "POST",
        &format!("{PROJECT}/statuses/{SHA}"),
        403,
        json!({ "message": "403 Forbidden" }),
    )
    .await;
    let mut p = Publisher::plan(
        &context(&server),
        SHA,
        env(&[("AIGATE_GITLAB_TOKEN", "glpat-reporter")]),
        PublishOptions {
            retry: RetryPolicy::quick(3),
            ..Default::default()
        },
    )
    .unwrap();
    p.start().await;
    p.finish(&blocked_report(1)).await;
    assert_eq!(
        seen(&server).await.len(),
        1,
        "a permission error is not retried and nothing else is tried"
    );
    assert!(
        p.log[0].line.contains("`api` scope") && p.log[0].line.contains("Developer"),
        "{:?}",
        p.log
    );
}

#[test]
fn the_job_token_is_refused_with_what_to_do() {
    let ctx: Context = serde_json::from_value(json!({
        "forge": "gitlab", "repo": "group/project", "head": SHA, "pr": 7, "api_url": "https://gitlab.com/api/v4", "sources": [],
    }))
    .unwrap();
    for environment in [
        env(&[("CI_JOB_TOKEN", "job")]),
        env(&[("CI_JOB_TOKEN", "job"), ("AIGATE_GITLAB_TOKEN", "job")]),
        env(&[]),
    ] {
        let why = Publisher::plan(&ctx, SHA, environment, PublishOptions::default())
            .err()
            .unwrap()
            .0;
        assert!(
            why.contains("CI_JOB_TOKEN cannot set commit statuses or write merge request notes")
                && why.contains("AIGATE_GITLAB_TOKEN")
                && why.contains("`api` scope"),
            "{why}"
        );
    }
    assert!(
        Publisher::plan(
            &ctx,
            SHA,
            env(&[("AIGATE_GITLAB_TOKEN", "glpat-x")]),
            PublishOptions::default()
        )
        .is_ok()
    );
}

#[tokio::test]
async fn the_note_is_found_on_a_later_page() {
    let server = MockServer::start().await;
    let notes = format!("{PROJECT}/merge_requests/7/notes");
    let page1: Vec<Value> = (0..100)
        .map(|i| json!({ "id": 100 + i, "body": "review chatter", "system": false }))
        .collect();
    Mock::given(method("GET"))
        .and(path(notes.as_str()))
        .and(wiremock::matchers::query_param("page", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page1))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(notes.as_str()))
        .and(wiremock::matchers::query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{ "id": 7, "body": MARKER, "system": false }])))
        .mount(&server)
        .await;
    mock(
        &server,
        "PUT",
        &format!("{notes}/7"),
        200,
        json!({ "id": 7, "body": "x" }),
    )
    .await;
    let gl = GitLab::new(
        &format!("{}/api/v4", server.uri()),
        "t",
        "group/project",
        RetryPolicy::quick(1),
    )
    .unwrap();
    assert_eq!(gl.upsert_note(7, MARKER).await.unwrap(), NoteAction::Updated(7));
    let seen = seen(&server).await;
    assert_eq!(
        lines(&seen),
        [format!("GET {notes}"), format!("GET {notes}"), format!("PUT {notes}/7")]
    );
    assert_eq!(seen[0].query, "per_page=100&page=1");
}

#[tokio::test]
async fn an_unreachable_instance_is_reported_once_with_its_attempts() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gl = GitLab::new(
        &format!("http://127.0.0.1:{port}/api/v4"),
        "t",
        "42",
        RetryPolicy::quick(2),
    )
    .unwrap();
    let err = gl
        .set_status(SHA, "aigate", StatusState::Running, "x", None, None)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("cannot reach GitLab (POST projects/42/statuses/"),
        "{text}"
    );
    assert!(
        text.contains("after 2 attempt(s)") && !text.contains("attempts)"),
        "{text}"
    );
}

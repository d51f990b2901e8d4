//! Whole `aigate check` runs in simulated CI jobs against mock forge APIs: a GitHub Actions
//! pull_request job (real event payload, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files) and a GitLab
//! merge request pipeline. The right calls, in the right order, and the right exit code.

#[path = "forge_common/mod.rs"]
mod forge_common;
#[path = "git_fixture/mod.rs"]
mod git_fixture;

use std::collections::HashMap;
use std::path::Path;

use aigate::report::markdown::MARKER;
use forge_common::{lines, mock, seen};
use git_fixture::TempRepo;
use serde_json::{Value, json};
use wiremock::MockServer;

const CLAUDE: &str = "Co-Authored-By: Claude Sonnet 4.5 <noreply@anthropic.com>";
const REPO: &str = "Codertocat/Hello-World";

/// A human base and an AI commit adding `eval`; the checkout stays on the base, so a blocking run
/// proves the range came from the CI environment.
fn ai_change() -> (TempRepo, String, String) {
    let mut repo = TempRepo::new();
    repo.write("app/calc.py", "def parse(expr):\n    return int(expr)\n");
    let base = repo.commit("initial import");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("app/calc.py", "def parse(expr):\n    return eval(expr)\n");
    let head = repo.commit(&format!("evaluate expressions\n\n{CLAUDE}\n"));
    repo.git(&["checkout", "-q", "main"]);
    (repo, base, head)
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `aigate check` in `repo` with exactly `env` (plus PATH), off the async runtime.
async fn aigate(repo: &Path, env: HashMap<String, String>, args: &[&str]) -> Run {
    let repo = repo.to_owned();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(git_fixture::bin_path())
            .current_dir(&repo)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(&env)
            .arg("check")
            .args(&args)
            .output()
            .expect("run aigate");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .unwrap()
}

fn github_job(dir: &Path, api: &str, base: &str, head: &str) -> HashMap<String, String> {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/forge_events/pull_request-synchronize.payload.json");
    let mut payload: Value = serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    payload["pull_request"]["base"]["sha"] = base.into();
    payload["pull_request"]["head"]["sha"] = head.into();
    let number = payload["number"].as_u64().unwrap();
    let event = dir.join("event.json");
    std::fs::write(&event, serde_json::to_vec(&payload).unwrap()).unwrap();
    let file = |name: &str| dir.join(name).display().to_string();
    [
        ("GITHUB_ACTIONS", "true".to_owned()),
        ("GITHUB_EVENT_NAME", "pull_request".to_owned()),
        ("GITHUB_EVENT_PATH", event.display().to_string()),
        ("GITHUB_STEP_SUMMARY", file("summary.md")),
        ("GITHUB_OUTPUT", file("output")),
        ("GITHUB_REPOSITORY", REPO.to_owned()),
        ("GITHUB_API_URL", api.to_owned()),
        ("GITHUB_SERVER_URL", "https://github.com".to_owned()),
        ("GITHUB_RUN_ID", "1658821493".to_owned()),
        ("GITHUB_REF", format!("refs/pull/{number}/merge")),
        ("GITHUB_SHA", "0000000000000000000000000000000000000001".to_owned()),
        ("GITHUB_TOKEN", "ghs_job_token".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn github_pull_request_job_posts_the_check_run_and_the_comment_and_blocks() {
    let (repo, base, head) = ai_change();
    let server = MockServer::start().await;
    let api = format!("/repos/{REPO}");
    mock(&server, "POST", &format!("{api}/check-runs"), 201, json!({ "id": 4 })).await;
    mock(
        &server,
        "PATCH",
        &format!("{api}/check-runs/4"),
        200,
        json!({ "id": 4 }),
    )
    .await;
    mock(&server, "GET", &format!("{api}/issues/2/comments"), 200, json!([])).await;
    mock(
        &server,
        "POST",
        &format!("{api}/issues/2/comments"),
        201,
        json!({ "id": 8 }),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();

    let run = aigate(repo.path(), github_job(dir.path(), &server.uri(), &base, &head), &[]).await;
    assert_eq!(run.code, 1, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);

    let seen = seen(&server).await;
    assert_eq!(
        lines(&seen),
        [
            format!("POST {api}/check-runs"),
            format!("PATCH {api}/check-runs/4"),
            format!("GET {api}/issues/2/comments"),
            format!("POST {api}/issues/2/comments"),
        ]
    );
    let created = seen[0].json();
    assert_eq!(
        created["head_sha"],
        head.as_str(),
        "the PR head, not GITHUB_SHA (the merge commit)"
    );
    assert_eq!(created["status"], "in_progress");
    assert_eq!(
        created["details_url"],
        "https://github.com/Codertocat/Hello-World/actions/runs/1658821493"
    );
    let done = seen[1].json();
    assert_eq!(done["conclusion"], "failure");
    let annotations = done["output"]["annotations"].as_array().unwrap();
    assert_eq!(annotations.len(), 1);
    assert_eq!(annotations[0]["path"], "app/calc.py");
    assert_eq!(annotations[0]["start_line"], 2);
    assert_eq!(annotations[0]["annotation_level"], "failure");
    let comment = seen[3].json()["body"].as_str().unwrap().to_owned();
    assert!(
        comment.starts_with(MARKER) && comment.contains("written by Claude Code"),
        "{comment}"
    );

    assert!(
        run.stderr.contains("check run `aigate` (4) completed: failure"),
        "{}",
        run.stderr
    );
    let output = std::fs::read_to_string(dir.path().join("output")).unwrap();
    assert!(output.contains("verdict=block"), "{output}");
    assert!(
        std::fs::read_to_string(dir.path().join("summary.md"))
            .unwrap()
            .contains(MARKER)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fork_pull_request_still_blocks_with_workflow_annotations() {
    let (repo, base, head) = ai_change();
    let server = MockServer::start().await;
    mock(
        &server,
        "POST",
        &format!("/repos/{REPO}/check-runs"),
        403,
        json!({ "message": "Resource not accessible by integration" }),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let env = github_job(dir.path(), &server.uri(), &base, &head);
    // Asked for text output: the annotations must still reach the lines through the runner.
    let run = aigate(repo.path(), env, &["--format", "text"]).await;
    assert_eq!(run.code, 1, "the verdict does not depend on posting: {}", run.stderr);
    assert_eq!(seen(&server).await.len(), 1);
    assert!(
        run.stdout.contains("error[security/python-eval-exec]"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("::error"),
        "stdout is the format asked for: {}",
        run.stdout
    );
    assert!(
        run.stderr.contains("::error file=app/calc.py,line=2,"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Resource not accessible by integration"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("from a fork"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_forge_api_posts_nothing() {
    let (repo, base, head) = ai_change();
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = github_job(dir.path(), &server.uri(), &base, &head);
    env.insert("AIGATE_NO_FORGE_API".into(), "true".into());
    let run = aigate(repo.path(), env, &[]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(seen(&server).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn gitlab_merge_request_pipeline_sets_the_status_and_the_note_and_blocks() {
    let (repo, base, head) = ai_change();
    let server = MockServer::start().await;
    let project = "/api/v4/projects/group%2Fproject";
    let statuses = format!("{project}/statuses/{head}");
    let notes = format!("{project}/merge_requests/7/notes");
    mock(&server, "POST", &statuses, 201, json!({ "id": 1 })).await;
    mock(&server, "GET", &notes, 200, json!([])).await;
    mock(&server, "POST", &notes, 201, json!({ "id": 2 })).await;
    let env: HashMap<String, String> = [
        ("GITLAB_CI", "true".to_owned()),
        ("CI_PROJECT_PATH", "group/project".to_owned()),
        ("CI_API_V4_URL", format!("{}/api/v4", server.uri())),
        ("CI_PIPELINE_SOURCE", "merge_request_event".to_owned()),
        ("CI_MERGE_REQUEST_EVENT_TYPE", "detached".to_owned()),
        ("CI_MERGE_REQUEST_IID", "7".to_owned()),
        ("CI_MERGE_REQUEST_PROJECT_PATH", "group/project".to_owned()),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", base.clone()),
        ("CI_COMMIT_SHA", head.clone()),
        ("CI_COMMIT_REF_NAME", "feature".to_owned()),
        ("CI_PIPELINE_ID", "1001".to_owned()),
        (
            "CI_JOB_URL",
            "https://gitlab.example.com/group/project/-/jobs/5".to_owned(),
        ),
        ("CI_JOB_TOKEN", "job-token".to_owned()),
        ("AIGATE_GITLAB_TOKEN", "glpat-project".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();

    let run = aigate(repo.path(), env, &[]).await;
    assert_eq!(run.code, 1, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
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
    assert_eq!(seen[0].form()["state"], "running");
    assert_eq!(seen[1].form()["state"], "failed");
    assert_eq!(seen[1].form()["pipeline_id"], "1001");
    assert!(seen[3].form()["body"].starts_with(MARKER));
    // Zero configuration: the Code Quality report the template's artifacts pick up.
    let quality: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.path().join("gl-code-quality.json")).unwrap()).unwrap();
    assert_eq!(quality[0]["location"]["path"], "app/calc.py");
}

#[tokio::test(flavor = "multi_thread")]
async fn gitlab_with_only_the_job_token_says_why_nothing_was_posted() {
    let (repo, base, head) = ai_change();
    let server = MockServer::start().await;
    let env: HashMap<String, String> = [
        ("GITLAB_CI", "true".to_owned()),
        ("CI_PROJECT_PATH", "group/project".to_owned()),
        ("CI_API_V4_URL", format!("{}/api/v4", server.uri())),
        ("CI_MERGE_REQUEST_IID", "7".to_owned()),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", base),
        ("CI_COMMIT_SHA", head),
        ("CI_JOB_TOKEN", "job-token".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let run = aigate(repo.path(), env, &[]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(seen(&server).await.is_empty());
    assert!(
        run.stderr
            .contains("CI_JOB_TOKEN cannot set commit statuses or write merge request notes"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_merge_queue_run_reports_on_the_group_head_without_a_comment() {
    let (repo, base, head) = ai_change();
    let server = MockServer::start().await;
    let api = format!("/repos/{REPO}");
    mock(&server, "POST", &format!("{api}/check-runs"), 201, json!({ "id": 6 })).await;
    mock(
        &server,
        "PATCH",
        &format!("{api}/check-runs/6"),
        200,
        json!({ "id": 6 }),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/forge_events/merge_group-checks_requested.payload.json");
    let mut payload: Value = serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    payload["merge_group"]["base_sha"] = base.as_str().into();
    payload["merge_group"]["head_sha"] = head.as_str().into();
    let mut env = github_job(dir.path(), &server.uri(), &base, &head);
    std::fs::write(dir.path().join("event.json"), serde_json::to_vec(&payload).unwrap()).unwrap();
    env.insert("GITHUB_EVENT_NAME".into(), "merge_group".into());
    env.insert(
        "GITHUB_REF".into(),
        payload["merge_group"]["head_ref"].as_str().unwrap().into(),
    );

    let run = aigate(repo.path(), env, &[]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let seen = seen(&server).await;
    assert_eq!(
        lines(&seen),
        [format!("POST {api}/check-runs"), format!("PATCH {api}/check-runs/6")]
    );
    assert_eq!(
        seen[0].json()["head_sha"],
        head.as_str(),
        "the queue's merge commit is what lands"
    );
    assert_eq!(seen[1].json()["conclusion"], "failure");
}

#[tokio::test(flavor = "multi_thread")]
async fn explain_context_says_what_would_be_posted_and_with_which_token() {
    let (repo, base, head) = ai_change();
    let dir = tempfile::tempdir().unwrap();
    let mut env = github_job(dir.path(), "https://api.github.com", &base, &head);
    env.insert("AIGATE_COMMIT_STATUS".into(), "true".into());
    let run = aigate(repo.path(), env.clone(), &["--explain-context"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "posts    check run `aigate`, PR summary comment, commit status `aigate` (token from GITHUB_TOKEN)\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("ghs_job_token"),
        "never the token itself: {}",
        run.stdout
    );
    assert!(run.stdout.contains("git_ref  refs/pull/2/head\n"), "{}", run.stdout);

    env.remove("GITHUB_TOKEN");
    let run = aigate(repo.path(), env, &["--explain-context"]).await;
    assert!(
        run.stdout.contains("posts    nothing: GitHub: no token"),
        "{}",
        run.stdout
    );
}

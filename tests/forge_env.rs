//! CI context detection from real GitHub event payloads and GitLab CI variables, through an
//! environment map (the process environment is never touched).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use aigate::forge::env::{Context, ContextError, Forge, detect};
use serde_json::{Value, json};

const PR_BASE: &str = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e";
const PR_HEAD: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
const GITHUB_SHA: &str = "1111111111111111111111111111111111111111";
const ZERO: &str = "0000000000000000000000000000000000000000";

fn event_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/forge_events")
        .join(name)
}

fn github_env(event: &str, path: &Path) -> HashMap<String, String> {
    [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_EVENT_NAME", event),
        ("GITHUB_EVENT_PATH", path.to_str().unwrap()),
        ("GITHUB_REPOSITORY", "Codertocat/Hello-World"),
        ("GITHUB_SHA", GITHUB_SHA),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn run(env: &HashMap<String, String>) -> Result<Context, ContextError> {
    detect(|name| env.get(name).cloned())
}

fn detected(env: &HashMap<String, String>) -> Context {
    run(env).unwrap_or_else(|e| panic!("detection failed: {e}"))
}

/// A payload written to a temp file (for shapes the shared fixtures do not cover).
fn payload_file(dir: &tempfile::TempDir, value: &Value) -> PathBuf {
    let path = dir.path().join("event.json");
    std::fs::write(&path, serde_json::to_vec(value).unwrap()).unwrap();
    path
}

#[test]
fn pull_request_payloads_give_the_pr_base_head_and_number() {
    for (event, file) in [
        ("pull_request", "pull_request-opened.payload.json"),
        ("pull_request", "pull_request-synchronize.payload.json"),
        ("pull_request_target", "pull_request-opened.payload.json"),
    ] {
        let path = event_file(file);
        let ctx = detected(&github_env(event, &path));
        assert_eq!(ctx.forge, Forge::Github);
        assert_eq!(ctx.event.as_deref(), Some(event));
        assert_eq!(ctx.base.as_deref(), Some(PR_BASE), "{file}");
        // The PR's head, not GITHUB_SHA (the synthetic merge commit).
        assert_eq!(ctx.head.as_deref(), Some(PR_HEAD), "{file}");
        assert_eq!(ctx.pr, Some(2));
        assert_eq!(ctx.repo.as_deref(), Some("Codertocat/Hello-World"));
        assert_eq!(ctx.api_url.as_deref(), Some("https://api.github.com"));
        let payload = path.display().to_string();
        assert_eq!(
            ctx.source("base"),
            Some(format!("event payload .pull_request.base.sha ({payload})").as_str())
        );
        assert_eq!(
            ctx.source("head"),
            Some(format!("event payload .pull_request.head.sha ({payload})").as_str())
        );
        assert_eq!(
            ctx.source("pr"),
            Some(format!("event payload .number ({payload})").as_str())
        );
        assert_eq!(ctx.source("repo"), Some("env GITHUB_REPOSITORY"));
        assert_eq!(ctx.source("api_url"), Some("default (github.com)"));
    }
}

#[test]
fn merge_group_payload_reports_on_the_queue_head() {
    let ctx = detected(&github_env(
        "merge_group",
        &event_file("merge_group-checks_requested.payload.json"),
    ));
    assert_eq!(ctx.base.as_deref(), Some("380387fbc80638b734a49e1be1c4dfec1c01b33c"));
    assert_eq!(ctx.head.as_deref(), Some("2ffea6db159f6b6c47a24e778fb9ef40cf6b1c7d"));
    assert_eq!(ctx.pr, None);
    assert!(
        ctx.source("head")
            .unwrap()
            .starts_with("event payload .merge_group.head_sha")
    );
}

#[test]
fn github_enterprise_api_url_comes_from_the_runner() {
    let mut env = github_env("pull_request", &event_file("pull_request-opened.payload.json"));
    env.insert("GITHUB_API_URL".into(), "https://ghe.example.com/api/v3".into());
    let ctx = detected(&env);
    assert_eq!(ctx.api_url.as_deref(), Some("https://ghe.example.com/api/v3"));
    assert_eq!(ctx.source("api_url"), Some("env GITHUB_API_URL"));
}

#[test]
fn push_ranges_from_before_to_after() {
    let dir = tempfile::tempdir().unwrap();
    let (before, after) = ("a".repeat(40), "b".repeat(40));
    let path = payload_file(
        &dir,
        &json!({"ref": "refs/heads/main", "before": before, "after": after, "forced": false}),
    );
    let ctx = detected(&github_env("push", &path));
    assert_eq!(ctx.base.as_deref(), Some(before.as_str()));
    assert_eq!(ctx.head.as_deref(), Some(after.as_str()));
    assert!(ctx.source("base").unwrap().starts_with("event payload .before"));
}

#[test]
fn push_of_a_new_branch_falls_back_to_the_default_base() {
    let dir = tempfile::tempdir().unwrap();
    let after = "b".repeat(40);
    let path = payload_file(&dir, &json!({"before": ZERO, "after": after, "created": true}));
    let ctx = detected(&github_env("push", &path));
    assert_eq!(ctx.base, None);
    assert_eq!(ctx.head.as_deref(), Some(after.as_str()));
    assert!(ctx.source("base").unwrap().contains("all zeros"), "{:?}", ctx.sources);
    assert!(
        ctx.explain()
            .contains("(default: the merge-base with the default branch"),
        "{}",
        ctx.explain()
    );
}

#[test]
fn force_push_does_not_trust_before() {
    let dir = tempfile::tempdir().unwrap();
    let path = payload_file(
        &dir,
        &json!({"before": "a".repeat(40), "after": "b".repeat(40), "forced": true}),
    );
    let ctx = detected(&github_env("push", &path));
    assert_eq!(ctx.base, None);
    assert!(ctx.source("base").unwrap().contains("force push"));
}

#[test]
fn branch_deletion_push_keeps_github_sha_as_head() {
    let dir = tempfile::tempdir().unwrap();
    let path = payload_file(&dir, &json!({"before": "a".repeat(40), "after": ZERO, "deleted": true}));
    let ctx = detected(&github_env("push", &path));
    assert_eq!(ctx.head.as_deref(), Some(GITHUB_SHA));
    assert_eq!(ctx.source("head"), Some("env GITHUB_SHA"));
}

#[test]
fn events_without_a_range_use_github_sha_and_need_no_payload() {
    let mut env = github_env("workflow_dispatch", Path::new("/nonexistent/event.json"));
    env.remove("GITHUB_EVENT_PATH");
    let ctx = detected(&env);
    assert_eq!(ctx.head.as_deref(), Some(GITHUB_SHA));
    assert_eq!(ctx.base, None);
    assert_eq!(ctx.event.as_deref(), Some("workflow_dispatch"));
}

#[test]
fn a_missing_or_broken_event_file_is_an_error() {
    let mut env = github_env("pull_request", Path::new("/x"));
    env.remove("GITHUB_EVENT_PATH");
    assert!(matches!(run(&env), Err(ContextError::NoEventFile { .. })));

    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone.json");
    let err = run(&github_env("pull_request", &missing)).unwrap_err();
    assert!(matches!(err, ContextError::EventUnreadable { .. }), "{err}");
    assert!(err.to_string().contains("gone.json"), "{err}");

    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"pull_request\": ").unwrap();
    assert!(matches!(
        run(&github_env("pull_request", &broken)),
        Err(ContextError::EventMalformed { .. })
    ));

    // Valid JSON, but not a pull_request payload (e.g. a push payload under the wrong event name).
    let wrong = payload_file(&dir, &json!({"before": "a".repeat(40), "after": "b".repeat(40)}));
    let err = run(&github_env("pull_request", &wrong)).unwrap_err();
    assert!(
        matches!(&err, ContextError::EventField { field, .. } if field == ".pull_request.base.sha"),
        "{err}"
    );

    // A sha that is not a full object id is not a range to trust.
    let odd = payload_file(
        &dir,
        &json!({"number": 3, "pull_request": {"base": {"sha": "main"}, "head": {"sha": "b".repeat(40)}}}),
    );
    assert!(matches!(
        run(&github_env("pull_request", &odd)),
        Err(ContextError::EventField { .. })
    ));
}

fn gitlab_env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    let mut env: HashMap<String, String> = [
        ("GITLAB_CI", "true"),
        ("CI_PROJECT_PATH", "group/sub/project"),
        ("CI_PROJECT_ID", "4242"),
        ("CI_API_V4_URL", "https://gitlab.example.com/api/v4"),
        ("CI_COMMIT_SHA", "c0ffee0000000000000000000000000000000001"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    env.extend(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    env
}

const DIFF_BASE: &str = "d1ffba5e00000000000000000000000000000002";
const TARGET: &str = "7a26e70000000000000000000000000000000003";

#[test]
fn gitlab_merge_request_pipeline() {
    let ctx = detected(&gitlab_env(&[
        ("CI_PIPELINE_SOURCE", "merge_request_event"),
        ("CI_MERGE_REQUEST_EVENT_TYPE", "detached"),
        ("CI_MERGE_REQUEST_IID", "17"),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", DIFF_BASE),
        ("CI_COMMIT_BEFORE_SHA", ZERO),
    ]));
    assert_eq!(ctx.forge, Forge::Gitlab);
    assert_eq!(ctx.event.as_deref(), Some("detached"));
    assert_eq!(ctx.base.as_deref(), Some(DIFF_BASE));
    assert_eq!(ctx.head.as_deref(), Some("c0ffee0000000000000000000000000000000001"));
    assert_eq!(ctx.pr, Some(17));
    assert_eq!(ctx.repo.as_deref(), Some("group/sub/project"));
    assert_eq!(ctx.api_url.as_deref(), Some("https://gitlab.example.com/api/v4"));
    assert_eq!(ctx.source("base"), Some("env CI_MERGE_REQUEST_DIFF_BASE_SHA"));
    assert_eq!(ctx.source("pr"), Some("env CI_MERGE_REQUEST_IID"));

    // A fork's pipeline for an MR into its parent: the iid belongs to the parent project.
    let ctx = detected(&gitlab_env(&[
        ("CI_PROJECT_PATH", "contributor/project"),
        ("CI_MERGE_REQUEST_IID", "17"),
        ("CI_MERGE_REQUEST_PROJECT_PATH", "group/sub/project"),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", DIFF_BASE),
    ]));
    assert_eq!(ctx.repo.as_deref(), Some("group/sub/project"));
    assert_eq!(ctx.source("repo"), Some("env CI_MERGE_REQUEST_PROJECT_PATH"));
}

#[test]
fn gitlab_merged_result_and_merge_train_judge_the_merge_commit_against_its_target() {
    for kind in ["merged_result", "merge_train"] {
        let mut env = gitlab_env(&[
            ("CI_MERGE_REQUEST_EVENT_TYPE", kind),
            ("CI_MERGE_REQUEST_IID", "5"),
            ("CI_MERGE_REQUEST_DIFF_BASE_SHA", DIFF_BASE),
            ("CI_MERGE_REQUEST_TARGET_BRANCH_SHA", TARGET),
            (
                "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA",
                "5005ce0000000000000000000000000000000004",
            ),
        ]);
        let ctx = detected(&env);
        // Head: the merge commit GitLab made (what lands), not the source branch head.
        assert_eq!(
            ctx.head.as_deref(),
            Some("c0ffee0000000000000000000000000000000001"),
            "{kind}"
        );
        assert_eq!(ctx.base.as_deref(), Some(TARGET), "{kind}");
        assert_eq!(ctx.source("base"), Some("env CI_MERGE_REQUEST_TARGET_BRANCH_SHA"));

        // Without the target sha (older GitLab), the diff base.
        env.remove("CI_MERGE_REQUEST_TARGET_BRANCH_SHA");
        assert_eq!(detected(&env).base.as_deref(), Some(DIFF_BASE), "{kind}");
    }
    // A detached MR pipeline ignores a target sha: its head is the source branch, not a merge.
    let ctx = detected(&gitlab_env(&[
        ("CI_MERGE_REQUEST_EVENT_TYPE", "detached"),
        ("CI_MERGE_REQUEST_IID", "5"),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", DIFF_BASE),
        ("CI_MERGE_REQUEST_TARGET_BRANCH_SHA", TARGET),
    ]));
    assert_eq!(ctx.base.as_deref(), Some(DIFF_BASE));
}

#[test]
fn gitlab_push_pipeline() {
    let before = "befe000000000000000000000000000000000005";
    let ctx = detected(&gitlab_env(&[
        ("CI_PIPELINE_SOURCE", "push"),
        ("CI_COMMIT_BEFORE_SHA", before),
    ]));
    assert_eq!(ctx.event.as_deref(), Some("push"));
    assert_eq!(ctx.base.as_deref(), Some(before));
    assert_eq!(ctx.pr, None);

    let ctx = detected(&gitlab_env(&[
        ("CI_PIPELINE_SOURCE", "push"),
        ("CI_COMMIT_BEFORE_SHA", ZERO),
    ]));
    assert_eq!(ctx.base, None);
    assert!(ctx.source("base").unwrap().contains("all zeros"));
}

#[test]
fn gitlab_fallbacks_and_bad_iid() {
    let mut env = gitlab_env(&[]);
    env.remove("CI_PROJECT_PATH");
    env.remove("CI_API_V4_URL");
    env.insert("CI_SERVER_URL".into(), "https://git.example.org/".into());
    let ctx = detected(&env);
    assert_eq!(ctx.repo.as_deref(), Some("4242"));
    assert_eq!(ctx.api_url.as_deref(), Some("https://git.example.org/api/v4"));

    let err = run(&gitlab_env(&[("CI_MERGE_REQUEST_IID", "seventeen")])).unwrap_err();
    assert!(
        matches!(
            err,
            ContextError::NotANumber {
                var: "CI_MERGE_REQUEST_IID",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn no_ci_means_no_forge() {
    let mut env = HashMap::new();
    env.insert("GITHUB_ACTIONS".to_owned(), "false".to_owned());
    env.insert("CI_COMMIT_SHA".to_owned(), "c".repeat(40));
    let ctx = detected(&env);
    assert_eq!(ctx.forge, Forge::None);
    assert_eq!((ctx.base, ctx.head, ctx.pr), (None, None, None));
}

#[test]
fn flags_win_over_the_environment() {
    let ctx = detected(&github_env(
        "pull_request",
        &event_file("pull_request-opened.payload.json"),
    ));
    let ctx = ctx.with_flags(Some("origin/main"), None);
    assert_eq!(ctx.base.as_deref(), Some("origin/main"));
    assert_eq!(ctx.source("base"), Some("flag --base"));
    assert_eq!(
        ctx.head.as_deref(),
        Some(PR_HEAD),
        "an unset flag keeps the detected head"
    );

    let ctx = ctx.with_flags(None, Some("HEAD~1"));
    assert_eq!(ctx.head.as_deref(), Some("HEAD~1"));
    assert_eq!(ctx.source("head"), Some("flag --head"));
    assert_eq!(
        ctx.sources.iter().filter(|s| s.field == "head").count(),
        1,
        "one source per field"
    );

    let explained = ctx.explain();
    assert!(
        explained.contains("base     origin/main\n         from: flag --base"),
        "{explained}"
    );
    assert!(
        explained.contains("pr       2\n         from: event payload .number"),
        "{explained}"
    );
}

#[test]
fn context_serialises_as_plain_json() {
    let ctx = detected(&github_env(
        "merge_group",
        &event_file("merge_group-checks_requested.payload.json"),
    ));
    let value = serde_json::to_value(&ctx).unwrap();
    assert_eq!(value["forge"], "github");
    assert_eq!(value["event"], "merge_group");
    assert_eq!(
        value["sources"][0],
        json!({"field": "forge", "from": "env GITHUB_ACTIONS=true"})
    );
    let back: Context = serde_json::from_value(value).unwrap();
    assert_eq!(back, ctx);
}

#[test]
fn gitlab_pipeline_id_and_job_url_are_read_and_a_bad_id_is_only_noted() {
    let mut env = HashMap::new();
    for (k, v) in [
        ("GITLAB_CI", "true"),
        ("CI_PROJECT_PATH", "group/project"),
        ("CI_COMMIT_SHA", "0123456789abcdef0123456789abcdef01234567"),
        ("CI_COMMIT_REF_NAME", "feature"),
        ("CI_JOB_URL", "https://gitlab.example.com/group/project/-/jobs/9"),
        ("CI_PIPELINE_ID", "1234"),
    ] {
        env.insert(k.to_owned(), v.to_owned());
    }
    let ctx = detected(&env);
    assert_eq!(ctx.pipeline_id, Some(1234));
    assert_eq!(ctx.git_ref.as_deref(), Some("feature"));
    assert_eq!(
        ctx.run_url.as_deref(),
        Some("https://gitlab.example.com/group/project/-/jobs/9")
    );
    env.insert("CI_PIPELINE_ID".into(), "12ab".into());
    let ctx = detected(&env);
    assert_eq!(ctx.pipeline_id, None);
    assert_eq!(
        ctx.source("pipeline_id"),
        Some("unset: CI_PIPELINE_ID `12ab` is not a number")
    );
}

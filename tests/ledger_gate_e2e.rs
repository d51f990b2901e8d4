//! `aigate check --ledger` end to end: a human fixing AI lines becomes a correction in the
//! ledger with both texts and a structural fingerprint shared across repositories; waivers are
//! recorded with their reasons; an unreachable ledger spools, and `--ledger-required` fails closed.

#[path = "git_fixture/mod.rs"]
mod git_fixture;
#[path = "ledger_common/mod.rs"]
mod ledger_common;

use std::path::Path;
use std::process::Command;

use aigate::ledger::model::Role;
use git_fixture::TempRepo;
use ledger_common::{Backend, Harness};
use serde_json::Value;

const CLAUDE: &str = "Co-Authored-By: Claude Sonnet 4.5 <noreply@anthropic.com>";

/// base (human) → AI writes a function → a human rewrites two of its lines. `name` varies the
/// identifiers, so two repositories hold the same fix with different names.
fn fixed_repo(name: &str) -> (TempRepo, String) {
    let mut repo = TempRepo::new();
    repo.write("app/util.py", "import json\n");
    let base = repo.commit("initial");
    repo.write(
        "app/util.py",
        format!(
            "import json\n\ndef load_{name}(path):\n    f = open(path)\n    data = json.load(f)\n    return data\n"
        ),
    );
    repo.commit(&format!("load {name}\n\n{CLAUDE}\n"));
    repo.write(
        "app/util.py",
        format!("import json\n\ndef load_{name}(path):\n    with open(path) as f:\n        data = json.load(f)\n    return data\n"),
    );
    repo.commit("close the file");
    (repo, base)
}

fn check(repo: &Path, base: &str, ledger: &str, token: &str, extra: &[&str]) -> std::process::Output {
    Command::new(git_fixture::bin_path())
        .current_dir(repo)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITLAB_CI")
        .env("AIGATE_LEDGER_TOKEN", token)
        .args(["check", "--base", base, "--ledger", ledger])
        .args(extra)
        .output()
        .expect("run aigate")
}

async fn corrections(h: &Harness, query: &str) -> Vec<Value> {
    let (status, page) = h.get(Role::Reader, &format!("/v1/corrections?{query}")).await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_human_fix_of_ai_lines_reaches_the_ledger_with_a_shared_fingerprint() {
    let h = Harness::start(Backend::sqlite()).await;
    let token = h.token(Role::Reporter).to_string();
    let (one, base_one) = fixed_repo("config");
    let (two, base_two) = fixed_repo("settings");
    let base = h.base.clone();
    // The gate is a blocking subprocess; the ledger serves on this test's runtime meanwhile.
    let (out_one, out_two) = tokio::task::spawn_blocking(move || {
        (
            check(one.path(), &base_one, &base, &token, &[]),
            check(two.path(), &base_two, &base, &token, &[]),
        )
    })
    .await
    .unwrap();
    for out in [&out_one, &out_two] {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(
            stderr.contains("ledger: sent 2, spooled 0"),
            "one run and one correction: {stderr}"
        );
    }

    let fixes = corrections(&h, "kind=fix").await;
    assert_eq!(fixes.len(), 2, "{fixes:#?}");
    let first = &fixes[0];
    assert_eq!(first["path"], "app/util.py");
    assert_eq!(first["tool"], "Claude Code");
    assert_eq!(first["model"], "Claude Sonnet 4.5");
    assert!(
        first["before"]
            .as_str()
            .unwrap()
            .contains("    f = open(path)\n    data = json.load(f)"),
        "{first:#}"
    );
    assert!(
        first["after"]
            .as_str()
            .unwrap()
            .contains("    with open(path) as f:\n        data = json.load(f)"),
        "{first:#}"
    );
    assert_eq!(first["language"], "python");
    assert_eq!(
        fixes[0]["fingerprint"], fixes[1]["fingerprint"],
        "the same fix in two repositories"
    );
    assert_ne!(fixes[0]["repo"], fixes[1]["repo"]);

    let (status, runs) = h.get(Role::Reader, "/v1/runs").await;
    assert_eq!(status, 200);
    assert_eq!(runs["items"].as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn waivers_are_recorded_with_their_reason_and_reruns_do_not_duplicate() {
    let h = Harness::start(Backend::sqlite()).await;
    let token = h.token(Role::Reporter).to_string();
    let mut repo = TempRepo::new();
    repo.write("calc.py", "x = 1\n");
    let base = repo.commit("initial");
    repo.write(
        "calc.py",
        "x = 1\n# aigate: allow(security/python-eval-exec) -- expressions come from our signed config\ny = eval(x)\n",
    );
    repo.commit(&format!("eval\n\n{CLAUDE}\n"));
    let url = h.base.clone();
    let path = repo.path().to_path_buf();
    let outs = tokio::task::spawn_blocking(move || {
        [
            check(&path, &base, &url, &token, &[]),
            check(&path, &base, &url, &token, &[]),
        ]
    })
    .await
    .unwrap();
    assert!(outs.iter().all(|o| o.status.code() == Some(0)));
    let waivers = corrections(&h, "kind=waiver").await;
    assert_eq!(waivers.len(), 1, "a rerun must not duplicate: {waivers:#?}");
    assert_eq!(waivers[0]["rule_id"], "security/python-eval-exec");
    assert_eq!(waivers[0]["reason"], "expressions come from our signed config");
}

#[test]
fn an_unreachable_ledger_spools_and_ledger_required_fails_closed() {
    let (repo, base) = fixed_repo("config");
    // Nothing listens on port 9 of loopback (discard): a refused connection.
    let down = "http://127.0.0.1:9";
    let out = check(repo.path(), &base, down, "t", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the verdict does not depend on the ledger: {stderr}"
    );
    assert!(stderr.contains("spooled 2"), "{stderr}");
    let spooled = std::fs::read_dir(repo.path().join(".aigate/spool"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "json"))
        });
    assert_eq!(spooled.count(), 2);

    let required = check(
        repo.path(),
        &base,
        down,
        "t",
        &["--ledger-required", "--format", "json"],
    );
    assert_eq!(required.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&required.stdout).unwrap();
    assert_eq!(report["verdict"]["outcome"], "error");
    assert!(
        report["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().starts_with("ledger:"))
    );
}

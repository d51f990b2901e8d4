//! `aigate trace` end to end on real repositories: the JSON contract, AI detection through the signature
//! catalogue, and every awkward git shape (merges, renames, binary, symlink, submodule, CRLF, non-UTF-8,
//! a lone root commit), plus the errors and their exit code 2.

#[path = "git_fixture/mod.rs"]
mod fixture;

use assert_cmd::Command;
use fixture::TempRepo;
use predicates::str::contains;
use serde_json::Value;

const CLAUDE: &str = "Co-Authored-By: Claude Sonnet 4.5 <noreply@anthropic.com>";

fn aigate(repo: &TempRepo) -> Command {
    let mut cmd = Command::new(fixture::bin_path());
    cmd.arg("trace")
        .arg("--repo")
        .arg(repo.path())
        .env_remove("AIGATE_SIGNATURES");
    cmd
}

fn json(repo: &TempRepo, args: &[&str]) -> Value {
    let out = aigate(repo)
        .args(["--format", "json"])
        .args(args)
        .output()
        .expect("run aigate");
    assert!(
        out.status.success(),
        "aigate failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn ai_msg(subject: &str) -> String {
    format!("{subject}\n\n{CLAUDE}")
}

fn file<'a>(trace: &'a Value, path: &str) -> &'a Value {
    trace["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} in {trace:#}"))
}

#[test]
fn json_contract_with_an_ai_commit_and_a_correction() {
    let mut repo = TempRepo::new();
    repo.write("src/lib.rs", "pub fn base() {}\n");
    let base = repo.commit("base");
    repo.write(
        "src/lib.rs",
        "pub fn base() {}\npub fn parse(s: &str) -> u32 {\n    s.parse().unwrap()\n}\n",
    );
    let ai = repo.commit(&ai_msg("feat: parse"));
    repo.write(
        "src/lib.rs",
        "pub fn base() {}\npub fn parse(s: &str) -> u32 {\n    s.parse().unwrap_or(0)\n}\n// note\n",
    );
    let fix = repo.commit("fix: no unwrap");

    let trace = json(&repo, &["--base", &base]);
    assert_eq!(trace["base"], base.as_str());
    assert_eq!(trace["head"], fix.as_str());
    let commits = trace["commits"].as_array().expect("commits");
    assert_eq!(commits.len(), 2);
    let first = &commits[0];
    assert_eq!(first["sha"], ai.as_str());
    assert_eq!(first["ai"], true);
    assert_eq!(first["tool"], "Claude Code");
    assert_eq!(first["model"], "Claude Sonnet 4.5");
    assert_eq!(first["author"]["email"], "dana@example.com");
    assert_eq!(
        first["trailers"],
        serde_json::json!([["Co-Authored-By", "Claude Sonnet 4.5 <noreply@anthropic.com>"]])
    );
    assert!(
        first["signals"]
            .as_array()
            .is_some_and(|s| !s.is_empty() && s[0]["kind"].is_string())
    );
    assert_eq!(commits[1]["ai"], false);
    assert_eq!(commits[1]["tool"], Value::Null);

    assert_eq!(
        file(&trace, "src/lib.rs")["ai_lines"],
        serde_json::json!([[2, 2], [4, 4]])
    );
    let corrections = trace["corrections"].as_array().expect("corrections");
    assert_eq!(corrections.len(), 1);
    let c = &corrections[0];
    assert_eq!(c["path"], "src/lib.rs");
    assert_eq!(
        (c["ai_commit"].as_str(), c["fix_commit"].as_str()),
        (Some(ai.as_str()), Some(fix.as_str()))
    );
    assert_eq!(c["before"], "    s.parse().unwrap()\n");
    assert_eq!(c["after"], "    s.parse().unwrap_or(0)\n");
    assert_eq!(c["before_lines"], serde_json::json!([3, 3]));
    assert_eq!(c["after_lines"], serde_json::json!([3, 3]));
    assert_eq!(c["fix_author"]["name"], "Dana Human");
    assert_eq!(c["tool"], "Claude Code");
    assert_eq!(
        trace["totals"],
        serde_json::json!({"commits": 2, "ai_commits": 1, "added_lines": 4, "ai_lines": 2})
    );
}

#[test]
fn text_summary_for_people() {
    let mut repo = TempRepo::new();
    repo.write("a.py", "x = 1\n");
    let base = repo.commit("base");
    repo.write("a.py", "x = 1\ny = 2\nz = 3\n");
    repo.commit(&ai_msg("feat"));
    aigate(&repo)
        .args(["--base", &base])
        .assert()
        .success()
        .stdout(contains("AI     Claude Code (Claude Sonnet 4.5)"))
        .stdout(contains("a.py: 2-3"))
        .stdout(contains("1/1 commits by AI; 2 of 2 lines"));
}

#[test]
fn org_signature_files_add_tools() {
    let mut repo = TempRepo::new();
    repo.write("a.txt", "a\n");
    let base = repo.commit("base");
    repo.write("a.txt", "a\nb\n");
    repo.commit("feat\n\nX-Internal-Agent: acme-bot");
    let org = repo.path().join("org-signatures.yaml");
    std::fs::write(
        &org,
        "version: 1\ntools:\n  - id: acme-agent\n    name: Acme Agent\n    signals:\n      - kind: trailer\n        key: X-Internal-Agent\n        source: internal wiki\n",
    )
    .expect("write");
    assert_eq!(json(&repo, &["--base", &base])["commits"][0]["ai"], false);
    let trace = json(&repo, &["--base", &base, "--signatures", &org.display().to_string()]);
    assert_eq!(trace["commits"][0]["tool"], "Acme Agent");
    // The environment variable does the same.
    let out = aigate(&repo)
        .args(["--format", "json", "--base", &base])
        .env("AIGATE_SIGNATURES", &org)
        .output()
        .expect("run");
    let trace: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(trace["commits"][0]["ai"], true);
}

#[test]
fn errors_exit_2_with_what_to_do() {
    let not_repo = tempfile::tempdir().expect("tmp");
    Command::new(fixture::bin_path())
        .args(["trace", "--repo"])
        .arg(not_repo.path())
        .assert()
        .code(2)
        .stderr(contains("not inside a git repository"))
        .stderr(contains("--repo"));

    let mut repo = TempRepo::new();
    repo.write("a", "a\n");
    repo.commit("one");
    aigate(&repo)
        .args(["--base", "no-such-rev"])
        .assert()
        .code(2)
        .stderr(contains("unknown revision `no-such-rev`"));

    let bad = repo.path().join("bad.yaml");
    std::fs::write(&bad, "version: 1\ntools: [{id: x}]\n").expect("write");
    aigate(&repo)
        .args(["--signatures", &bad.display().to_string()])
        .assert()
        .code(2)
        .stderr(contains("signature"));
}

#[test]
fn shallow_clone_lacking_the_base_mentions_fetch_depth() {
    let mut repo = TempRepo::new();
    for i in 0..3 {
        repo.write("a", format!("{i}\n"));
        repo.commit(&format!("c{i}"));
    }
    let clone = tempfile::tempdir().expect("tmp");
    let url = format!("file://{}", repo.path().display());
    let ok = std::process::Command::new("git")
        .args(["clone", "-q", "--depth", "1", &url])
        .arg(clone.path())
        .status()
        .expect("clone");
    assert!(ok.success());
    for args in [&["--base", "HEAD~2"][..], &[]] {
        Command::new(fixture::bin_path())
            .args(["trace", "--repo"])
            .arg(clone.path())
            .args(args)
            .assert()
            .code(2)
            .stderr(contains("shallow"))
            .stderr(contains("fetch-depth: 0"));
    }
}

#[test]
fn merge_commits_and_renames() {
    let mut repo = TempRepo::new();
    repo.write(
        "old.rs",
        (1..=10).map(|i| format!("fn f{i}() {{}}\n")).collect::<String>(),
    );
    let base = repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("new_file.rs", "ai 1\nai 2\n");
    repo.commit(&ai_msg("ai adds a file"));
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["mv", "old.rs", "renamed.rs"]);
    repo.write(
        "renamed.rs",
        (1..=10).map(|i| format!("fn f{i}() {{}}\n")).collect::<String>() + "fn human() {}\n",
    );
    repo.commit("human renames");
    repo.merge("feature", "merge feature");

    let trace = json(&repo, &["--base", &base]);
    assert_eq!(trace["totals"]["commits"], 3);
    assert_eq!(file(&trace, "new_file.rs")["ai_lines"], serde_json::json!([[1, 2]]));
    assert_eq!(file(&trace, "renamed.rs")["ai_lines"], serde_json::json!([]));
    assert_eq!(
        trace["totals"]["added_lines"], 3,
        "two AI lines and the human's one; renamed lines are older"
    );
}

#[test]
fn binary_symlink_submodule_crlf() {
    let sub = TempRepo::new();
    sub.write("x", "x\n");
    let mut sub = sub;
    sub.commit("sub");
    let mut repo = TempRepo::new();
    repo.write("crlf.txt", "one\r\n");
    let base = repo.commit("base");
    repo.write("logo.png", b"\x89PNG\0\0binary");
    repo.write("crlf.txt", "one\r\ntwo\r\nthree\r\n");
    std::os::unix::fs::symlink("crlf.txt", repo.path().join("link")).expect("symlink");
    let url = format!("file://{}", sub.path().display());
    repo.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        &url,
        "vendor/sub",
    ]);
    repo.commit(&ai_msg("ai adds assets"));
    repo.write("crlf.txt", "one\r\nTWO\r\nthree\r\n");
    repo.commit("human fixes case");

    let trace = json(&repo, &["--base", &base]);
    assert_eq!(
        file(&trace, "logo.png")["ai_lines"],
        serde_json::json!([]),
        "binary files have no lines"
    );
    assert_eq!(
        file(&trace, "link")["ai_lines"],
        serde_json::json!([[1, 1]]),
        "a symlink's target is one line"
    );
    assert_eq!(file(&trace, "crlf.txt")["ai_lines"], serde_json::json!([[3, 3]]));
    assert!(
        trace["files"]
            .as_array()
            .expect("files")
            .iter()
            .all(|f| f["path"] != "vendor/sub"),
        "submodules have no lines"
    );
    let c = &trace["corrections"][0];
    assert_eq!(
        (c["before"].as_str(), c["after"].as_str()),
        (Some("two\r\n"), Some("TWO\r\n")),
        "the \\r stays in the text"
    );
}

#[test]
fn non_utf8_message_and_path() {
    use std::os::unix::ffi::OsStrExt;
    let mut repo = TempRepo::new();
    repo.write("README", "x\n");
    let base = repo.commit("base");
    std::fs::write(repo.path().join(std::ffi::OsStr::from_bytes(b"na\xefve.txt")), "ai\n").expect("write");
    repo.git(&["add", "-A"]);
    let msg = repo.path().join(".git/MSG");
    std::fs::write(
        &msg,
        [b"caf\xe9 without an encoding header\n\n".as_slice(), CLAUDE.as_bytes()].concat(),
    )
    .expect("msg");
    repo.git(&["commit", "-q", "-F", &msg.display().to_string()]);

    let trace = json(&repo, &["--base", &base]);
    assert_eq!(trace["commits"][0]["ai"], true, "trailers survive a lossy message");
    assert_eq!(
        file(&trace, "na\u{fffd}ve.txt")["ai_lines"],
        serde_json::json!([[1, 1]])
    );
}

#[test]
fn a_lone_root_commit_traces_the_whole_history() {
    let mut repo = TempRepo::new();
    repo.write("a.rs", "fn a() {}\nfn b() {}\n");
    let root = repo.commit(&ai_msg("initial"));
    let trace = json(&repo, &[]);
    assert_eq!(
        trace["base"], "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        "the empty tree"
    );
    assert_eq!(trace["commits"][0]["sha"], root.as_str());
    assert_eq!(file(&trace, "a.rs")["ai_lines"], serde_json::json!([[1, 2]]));
}

/// The two shapes CI hands over: a base that moved on after the fork (not an ancestor of head), and GitHub's
/// synthetic pull-request merge commit (head = merge of the PR into the base tip).
#[test]
fn moved_base_and_pull_request_merge_commits() {
    let mut repo = TempRepo::new();
    repo.write("shared.txt", "one\ntwo\n");
    repo.write("main_only.txt", "m\n");
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("feature.rs", "fn ai() {}\nfn more() {}\n");
    let ai = repo.commit(&ai_msg("ai feature"));
    repo.git(&["checkout", "-q", "main"]);
    repo.write("main_only.txt", "m\nmain moved on\n");
    let main_tip = repo.commit("main moves on");

    // Base not an ancestor of head: merge-base semantics, only the feature's commit and files.
    let trace = json(&repo, &["--base", "main", "--head", "feature"]);
    let shas: Vec<&str> = trace["commits"]
        .as_array()
        .expect("commits")
        .iter()
        .filter_map(|c| c["sha"].as_str())
        .collect();
    assert_eq!(shas, vec![ai.as_str()]);
    let paths: Vec<&str> = trace["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert_eq!(paths, vec!["feature.rs"]);

    // The pull-request merge commit: first parent the base tip, second the PR head.
    repo.git(&["checkout", "-q", "--detach", &main_tip]);
    repo.merge("feature", "Merge feature into main");
    let trace = json(&repo, &["--base", &main_tip]);
    assert_eq!(trace["totals"]["commits"], 2, "the AI commit and the merge");
    assert_eq!(file(&trace, "feature.rs")["ai_lines"], serde_json::json!([[1, 2]]));
    assert!(
        trace["files"]
            .as_array()
            .expect("files")
            .iter()
            .all(|f| f["path"] != "main_only.txt")
    );
    assert_eq!(trace["totals"]["ai_lines"], 2);
    assert_eq!(trace["totals"]["added_lines"], 2);
}

#[test]
fn the_chosen_base_is_logged_at_debug_level() {
    let mut repo = TempRepo::new();
    repo.write("a", "a\n");
    let base = repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.write("a", "a\nb\n");
    repo.commit("topic");
    let out = aigate(&repo).args(["-vv", "--format", "json"]).output().expect("run");
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("merge-base with the default branch") && stderr.contains("main"),
        "{stderr}"
    );
    let trace: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(trace["base"], base.as_str());
}

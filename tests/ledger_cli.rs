//! The ledger commands a person runs: `token create`, `record` (text, files, or a commit's
//! change), and `flush` of what `record` spooled while the ledger was down.

mod ledger_common;

use std::path::Path;
use std::process::Command;

use aigate::ledger::model::Role;
use ledger_common::{Backend, Harness};

const BIN: &str = env!("CARGO_BIN_EXE_aigate");

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn aigate(dir: &Path, token: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("AIGATE_LEDGER_TOKEN", token)
        .env_remove("AIGATE_LEDGER_URL")
        .env_remove("AIGATE_LEDGER_DATABASE")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn token_create_prints_the_token_last_and_stores_only_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("l.db").display());
    let (ok, stdout, stderr) = aigate(
        dir.path(),
        "",
        &["ledger", "token", "create", "--role", "architect", "--database", &db],
    );
    assert!(ok, "{stderr}");
    let token = stdout.lines().last().unwrap().trim().to_string();
    assert!(token.starts_with("aig_") && token.len() == 68, "{token}");
    let raw = std::fs::read(dir.path().join("l.db")).unwrap();
    let wal = std::fs::read(dir.path().join("l.db-wal")).unwrap_or_default();
    let contains = |hay: &[u8], needle: &str| hay.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(
        !contains(&raw, &token) && !contains(&wal, &token),
        "the plaintext token is in the database"
    );
    let hash = aigate::ledger::token::hash(&token);
    assert!(contains(&raw, &hash) || contains(&wal, &hash), "its hash is stored");
    let (ok, _, stderr) = aigate(
        dir.path(),
        "",
        &["ledger", "token", "create", "--role", "root", "--database", &db],
    );
    assert!(!ok);
    assert!(stderr.contains("reporter, reader, architect, admin"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_by_hand_from_text_files_and_a_commit() {
    let h = Harness::start(Backend::sqlite()).await;
    let reporter = h.token(Role::Reporter).to_string();
    let repo = tempfile::tempdir().unwrap();
    let r = repo.path();
    git(r, &["init", "-q", "-b", "main"]);
    git(r, &["config", "user.name", "Dev"]);
    git(r, &["config", "user.email", "dev@example.com"]);
    git(r, &["config", "commit.gpgsign", "false"]);
    std::fs::write(
        r.join("app.py"),
        "import os\n\ndef load(p):\n    return eval(open(p).read())\n\nprint(load('x'))\n",
    )
    .unwrap();
    git(r, &["add", "."]);
    git(r, &["commit", "-qm", "ai: add loader"]);
    std::fs::write(
        r.join("app.py"),
        "import os\n\ndef load(p):\n    return json.loads(open(p).read())\n\nprint(load('x'))\n",
    )
    .unwrap();
    git(r, &["commit", "-qam", "fix: no eval"]);

    let base = [
        "ledger",
        "record",
        "--ledger",
        h.base.as_str(),
        "--repo-name",
        "acme/app",
        "--path",
        "app.py",
        "--reason",
        "eval of file content",
        "--rule",
        "python/no-eval",
    ];
    let mut by_commit: Vec<&str> = base.to_vec();
    by_commit.extend(["--commit", "HEAD"]);
    let (ok, stdout, stderr) = aigate(r, &reporter, &by_commit);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("recorded: correction "), "{stdout}");
    // Recording the same again is idempotent.
    let (ok, stdout, _) = aigate(r, &reporter, &by_commit);
    assert!(ok);
    assert!(stdout.starts_with("already recorded"), "{stdout}");

    std::fs::write(r.join("before.txt"), "    return eval(open(path).read())\n").unwrap();
    let mut by_file: Vec<&str> = base.to_vec();
    by_file.extend([
        "--before-file",
        "before.txt",
        "--after",
        "    return json.loads(open(path).read())\n",
        "--author",
        "Dev <dev@example.com>",
    ]);
    let (ok, _, stderr) = aigate(r, &reporter, &by_file);
    assert!(ok, "{stderr}");

    let (_, page) = h.get(Role::Reader, "/v1/corrections").await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["kind"], "manual");
    assert_eq!(
        items[0]["before"], "    return eval(open(p).read())\n",
        "only the lines the commit changed"
    );
    assert_eq!(items[0]["after"], "    return json.loads(open(p).read())\n");
    assert_eq!(items[0]["rule_id"], "python/no-eval");
    assert_eq!(items[0]["reason"], "eval of file content");
    assert_eq!(items[0]["language"], "python");
    assert_eq!(items[1]["author"], "Dev <dev@example.com>");
    assert_eq!(
        items[0]["fingerprint"], items[1]["fingerprint"],
        "the same fix, other names"
    );

    // Neither text nor a commit: a clear error.
    let (ok, _, stderr) = aigate(r, &reporter, &base);
    assert!(!ok);
    assert!(stderr.contains("--before"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_while_down_spools_and_flush_sends_it() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    let spool = spool.to_str().unwrap();
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let args = [
        "ledger",
        "record",
        "--ledger",
        dead.as_str(),
        "--spool",
        spool,
        "--repo-name",
        "o/r",
        "--path",
        "a.rs",
        "--before",
        "x.unwrap()",
        "--after",
        "x?",
        "--reason",
        "propagate",
    ];
    let (ok, stdout, stderr) = aigate(dir.path(), "t", &args);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("spooled: "), "{stdout}");

    let (ok, _, _) = aigate(
        dir.path(),
        "t",
        &["ledger", "flush", "--ledger", dead.as_str(), "--spool", spool],
    );
    assert!(!ok, "flush fails while the ledger is still down");

    let h = Harness::start(Backend::sqlite()).await;
    let (ok, stdout, stderr) = aigate(
        dir.path(),
        h.token(Role::Reporter),
        &["ledger", "flush", "--ledger", h.base.as_str(), "--spool", spool],
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("sent 1, 0 still spooled"), "{stdout}");
    let (_, page) = h.get(Role::Reader, "/v1/corrections").await;
    assert_eq!(page["items"][0]["kind"], "manual");
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

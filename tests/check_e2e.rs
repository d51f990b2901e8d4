//! `aigate check` end to end on generated repositories: AI-scoped verdicts, waivers, protected
//! paths, policy layering, every output format, and failing closed.

#[path = "git_fixture/mod.rs"]
mod git_fixture;
#[path = "sarif_schema/mod.rs"]
mod sarif_schema;

use std::path::Path;

use assert_cmd::Command;
use git_fixture::TempRepo;
use serde_json::Value;

const CLAUDE: &str = "Co-Authored-By: Claude Sonnet 4.5 <noreply@anthropic.com>";
const EVAL_LINE: &str = "    return eval(expr)\n";

/// A repository with one human commit (the base) holding a harmless module.
fn repo_with_base() -> TempRepo {
    let mut repo = TempRepo::new();
    repo.write("app/calc.py", "def parse(expr):\n    return int(expr)\n");
    repo.commit("initial import");
    repo
}

fn ai_message(subject: &str) -> String {
    format!("{subject}\n\nWritten with an agent.\n\n{CLAUDE}\n")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn check(repo: &Path, args: &[&str]) -> Run {
    let out = Command::new(git_fixture::bin_path())
        .current_dir(repo)
        .env_remove("AIGATE_POLICY")
        .env_remove("AIGATE_SIGNATURES")
        .env_remove("AIGATE_LEDGER_URL")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITLAB_CI")
        .args(["check", "--base", "HEAD~1"])
        .args(args)
        .output()
        .expect("run aigate");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\nstderr:\n{}", run.stdout, run.stderr))
}

fn findings<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .collect()
}

#[test]
fn ai_commit_adding_a_violation_blocks_in_every_format() {
    let mut repo = repo_with_base();
    repo.write("app/calc.py", format!("def parse(expr):\n{EVAL_LINE}"));
    let head = repo.commit(&ai_message("evaluate expressions"));
    let dir = tempfile::tempdir().unwrap();
    let (sarif, cq, md) = (
        dir.path().join("a.sarif"),
        dir.path().join("cq.json"),
        dir.path().join("s.md"),
    );
    let run = check(
        repo.path(),
        &[
            "--format",
            "json",
            "--sarif",
            sarif.to_str().unwrap(),
            "--codequality",
            cq.to_str().unwrap(),
            "--markdown",
            md.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 1, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);

    let report = json(&run);
    assert_eq!(report["verdict"]["outcome"], "block");
    assert_eq!(report["verdict"]["exit_code"], 1);
    assert!(report["policy_digest"].as_str().unwrap().starts_with("sha256:"));
    let evals = findings(&report, "security/python-eval-exec");
    assert_eq!(evals.len(), 1, "{report:#}");
    let f = evals[0];
    assert_eq!(f["level"], "block");
    assert_eq!(f["path"], "app/calc.py");
    assert_eq!(f["start"]["line"], 2);
    assert_eq!(f["provenance"]["ai"], true);
    assert_eq!(f["provenance"]["tool"], "Claude Code");
    assert_eq!(f["provenance"]["model"], "Claude Sonnet 4.5");
    assert_eq!(f["provenance"]["commit"], head.as_str());
    assert_eq!(report["change"]["ai_commits"], 1);
    assert_eq!(report["change"]["ai_lines"], 1);

    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    sarif_schema::assert_valid_sarif(&sarif);
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "security/python-eval-exec");
    assert_eq!(result["level"], "error");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "app/calc.py"
    );
    assert_eq!(result["properties"]["aigate"]["provenance"]["commit"], head.as_str());
    let rule = &sarif["runs"][0]["tool"]["driver"]["rules"][0];
    assert!(rule["properties"]["security-severity"].is_string(), "{rule:#}");

    let cq: Value = serde_json::from_str(&std::fs::read_to_string(&cq).unwrap()).unwrap();
    assert_eq!(cq[0]["check_name"], "security/python-eval-exec");
    assert_eq!(cq[0]["severity"], "blocker");
    assert_eq!(cq[0]["location"]["lines"]["begin"], 2);

    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.contains("aigate: blocked"), "{md}");
    assert!(
        md.contains("`app/calc.py:2` — written by Claude Code, Claude Sonnet 4.5"),
        "{md}"
    );
    assert!(md.contains("1 of 1 commits (100%)"), "{md}");

    let text = check(repo.path(), &[]);
    assert_eq!(text.code, 1);
    assert!(
        text.stdout.contains("error[security/python-eval-exec]"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("written by: Claude Code (Claude Sonnet 4.5)"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("aigate: BLOCKED"), "{}", text.stdout);

    let gh = check(repo.path(), &["--format", "github"]);
    assert!(
        gh.stdout.starts_with("::error file=app/calc.py,line=2,"),
        "{}",
        gh.stdout
    );
}

#[test]
fn a_human_commit_with_the_same_code_passes_with_a_warning() {
    let mut repo = repo_with_base();
    repo.write("app/calc.py", format!("def parse(expr):\n{EVAL_LINE}"));
    repo.commit("evaluate expressions by hand");
    let run = check(repo.path(), &["--format", "json"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let report = json(&run);
    assert_eq!(report["verdict"]["outcome"], "pass");
    let evals = findings(&report, "security/python-eval-exec");
    assert_eq!(evals.len(), 1);
    assert_eq!(evals[0]["level"], "warn");
    assert_eq!(evals[0]["provenance"]["ai"], false);

    // A strict org treats undeclared commits as AI: the same change blocks.
    let org = tempfile::tempdir().unwrap();
    std::fs::write(org.path().join("policy.yaml"), "policy:\n  unknown_authorship: ai\n").unwrap();
    let strict = check(
        repo.path(),
        &["--format", "json", "--policy", org.path().to_str().unwrap()],
    );
    assert_eq!(strict.code, 1, "{}{}", strict.stdout, strict.stderr);
    assert_eq!(
        findings(&json(&strict), "security/python-eval-exec")[0]["level"],
        "block"
    );

    // Widening the scope from the command line makes human changed lines block too.
    let wide = check(repo.path(), &["--scope", "changed-lines"]);
    assert_eq!(wide.code, 1, "{}", wide.stdout);
}

#[test]
fn unchanged_code_is_not_reported() {
    let mut repo = TempRepo::new();
    repo.write("app/calc.py", format!("def parse(expr):\n{EVAL_LINE}"));
    repo.commit("old code");
    repo.write(
        "app/calc.py",
        format!("def parse(expr):\n{EVAL_LINE}\ndef two():\n    return 2\n"),
    );
    repo.commit(&ai_message("add two"));
    let report = json(&check(repo.path(), &["--format", "json"]));
    assert!(findings(&report, "security/python-eval-exec").is_empty(), "{report:#}");
    assert_eq!(report["verdict"]["outcome"], "pass");
    // Scope `all` reports (and blocks on) everything in the changed files.
    let all = check(repo.path(), &["--scope", "all"]);
    assert_eq!(all.code, 1);
}

#[test]
fn a_reasoned_waiver_passes_and_becomes_a_sarif_suppression() {
    let mut repo = repo_with_base();
    repo.write(
        "app/calc.py",
        "def parse(expr):\n    # aigate: allow(security/python-eval-exec) -- expressions come from our signed config only\n    return eval(expr)\n",
    );
    repo.commit(&ai_message("evaluate config expressions"));
    let dir = tempfile::tempdir().unwrap();
    let sarif_path = dir.path().join("a.sarif");
    let run = check(
        repo.path(),
        &["--format", "json", "--sarif", sarif_path.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let report = json(&run);
    let f = &findings(&report, "security/python-eval-exec")[0];
    assert_eq!(f["level"], "waived");
    assert_eq!(f["waived"]["reason"], "expressions come from our signed config only");
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    sarif_schema::assert_valid_sarif(&sarif);
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["suppressions"][0]["kind"], "inSource");
    assert_eq!(
        result["suppressions"][0]["justification"],
        "expressions come from our signed config only"
    );
}

#[test]
fn a_waiver_without_a_reason_does_not_waive_and_is_reported() {
    let mut repo = repo_with_base();
    repo.write(
        "app/calc.py",
        "def parse(expr):\n    return eval(expr)  # aigate: allow(security/python-eval-exec)\n",
    );
    repo.commit(&ai_message("evaluate"));
    let run = check(repo.path(), &["--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report = json(&run);
    assert_eq!(findings(&report, "security/python-eval-exec")[0]["level"], "block");
    assert_eq!(findings(&report, "aigate/invalid-waiver").len(), 1, "{report:#}");
}

#[test]
fn an_ai_commit_touching_a_protected_path_blocks() {
    let mut repo = repo_with_base();
    repo.write(".github/workflows/ci.yml", "on: push\njobs: {}\n");
    repo.commit(&ai_message("simplify CI"));
    let run = check(repo.path(), &["--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report = json(&run);
    let f = &findings(&report, "governance/ci-config-changed")[0];
    assert_eq!(f["level"], "block");
    assert_eq!(f["path"], ".github/workflows/ci.yml");

    // A human may change CI: reported, not blocking.
    let mut human = repo_with_base();
    human.write(".github/workflows/ci.yml", "on: push\njobs: {}\n");
    human.commit("simplify CI");
    assert_eq!(check(human.path(), &[]).code, 0);
}

#[test]
fn repository_config_may_add_and_tighten_but_never_weaken() {
    let mut repo = repo_with_base();
    repo.commit("noop");
    repo.write(
        ".aigate.yml",
        "disable: [security/python-eval-exec]\nseverity:\n  reliability/python-mutable-default-arg: error\n  security/python-os-system: warning\nprotected_paths: [db/schema.sql]\n",
    );
    repo.write("app/calc.py", format!("def parse(expr):\n{EVAL_LINE}"));
    repo.write("db/schema.sql", "create table t (id int);\n");
    repo.commit(&ai_message("evaluate, and turn the eval rule off"));
    let run = check(repo.path(), &["--format", "json"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report = json(&run);
    // The disabled org rule still applies ...
    assert_eq!(findings(&report, "security/python-eval-exec")[0]["level"], "block");
    // ... and each weakening is its own blocking finding on its line of .aigate.yml.
    let weakening = findings(&report, "aigate/policy-weakening");
    assert_eq!(weakening.len(), 2, "{report:#}");
    assert!(
        weakening
            .iter()
            .all(|w| w["level"] == "block" && w["path"] == ".aigate.yml")
    );
    let lines: Vec<i64> = weakening.iter().map(|w| w["start"]["line"].as_i64().unwrap()).collect();
    assert!(lines.contains(&1) && lines.contains(&4), "{lines:?}");
    // The added protected path applies to the AI change.
    assert_eq!(findings(&report, "repo/protected-paths")[0]["path"], "db/schema.sql");
}

#[test]
fn repository_rules_are_added_from_head() {
    let mut repo = repo_with_base();
    repo.write(
        "policy/no-print.yaml",
        "id: repo/no-print\nlanguage: python\nseverity: error\nmessage: use logging, not print\nrule:\n  pattern: print($$$A)\n",
    );
    repo.write(".aigate.yml", "rules: [policy]\n");
    repo.commit("team rules");
    repo.write(
        "app/calc.py",
        "def parse(expr):\n    print(expr)\n    return int(expr)\n",
    );
    repo.commit(&ai_message("debug output"));
    let report = json(&check(repo.path(), &["--format", "json"]));
    assert_eq!(findings(&report, "repo/no-print")[0]["level"], "block", "{report:#}");
}

#[test]
fn org_bundle_settings_and_rules_apply() {
    let mut repo = repo_with_base();
    repo.write(
        "app/calc.py",
        "def parse(expr):\n    print(expr)\n    return int(expr)\n",
    );
    repo.commit("human debug output");
    let org = tempfile::tempdir().unwrap();
    let bundle = org.path().join("acme.yaml");
    std::fs::write(
        &bundle,
        "policy:\n  builtin: false\n  scope: changed-lines\n---\nid: acme/no-print\nlanguage: python\nseverity: error\nmessage: use logging\nrule:\n  pattern: print($$$A)\n",
    )
    .unwrap();
    let run = check(repo.path(), &["--format", "json", "--policy", bundle.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report = json(&run);
    assert_eq!(report["scope"], "changed-lines");
    assert_eq!(findings(&report, "acme/no-print").len(), 1);
    // builtin: false — no built-in rule is in force.
    let other = check(
        repo.path(),
        &[
            "--format",
            "json",
            "--policy",
            bundle.to_str().unwrap(),
            "--scope",
            "ai-lines",
        ],
    );
    assert_eq!(json(&other)["scope"], "changed-lines", "a narrower --scope is ignored");
}

#[test]
fn errors_fail_closed_and_fail_open_is_loud() {
    let not_repo = tempfile::tempdir().unwrap();
    let run = check(not_repo.path(), &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not inside a git repository"), "{}", run.stderr);

    let repo = repo_with_base();
    let unknown = Command::new(git_fixture::bin_path())
        .current_dir(repo.path())
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITLAB_CI")
        .args(["check", "--base", "no-such-branch"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown revision `no-such-branch`"));

    let org = tempfile::tempdir().unwrap();
    std::fs::write(
        org.path().join("bad.yaml"),
        "id: x\nlanguage: python\nrule:\n  pattern: [\n",
    )
    .unwrap();
    let mut repo = repo;
    repo.write("a.py", "x = 1\n");
    repo.commit("more");
    let bad = check(repo.path(), &["--policy", org.path().to_str().unwrap()]);
    assert_eq!(bad.code, 2, "{}{}", bad.stdout, bad.stderr);
    assert!(bad.stderr.contains("bad.yaml"), "{}", bad.stderr);
    assert!(bad.stdout.contains("aigate: ERROR"), "{}", bad.stdout);

    let open = check(repo.path(), &["--policy", org.path().to_str().unwrap(), "--fail-open"]);
    assert_eq!(open.code, 0);
    assert!(
        open.stderr.contains("--fail-open is set: this change is NOT gated"),
        "{}",
        open.stderr
    );

    // A malformed .aigate.yml is bad input too: the gate cannot know the repository's policy.
    repo.write(".aigate.yml", "disabel: [x]\n");
    repo.commit("typo");
    let typo = check(repo.path(), &[]);
    assert_eq!(typo.code, 2, "{}", typo.stderr);
    assert!(typo.stderr.contains("disabel"), "{}", typo.stderr);
}

//! GitHub Actions files (step summary, step outputs) and bare `aigate check` runs in simulated GitHub
//! Actions and GitLab CI jobs: the change comes from the CI environment, not from flags.

#[path = "git_fixture/mod.rs"]
mod git_fixture;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use aigate::forge::actions::{self, output_entry, write_outputs};
use aigate::gate::run::error_report;
use aigate::report::markdown::MARKER;
use assert_cmd::Command;
use git_fixture::TempRepo;
use serde_json::Value;

const CLAUDE: &str = "Co-Authored-By: Claude Sonnet 4.5 <noreply@anthropic.com>";

/// Reads a `GITHUB_OUTPUT` file as the runner does: `name=value` lines and `name<<DELIM` blocks.
fn parse_outputs(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delimiter {
                    break;
                }
                value.push(l);
            }
            out.insert(name.to_owned(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            out.insert(name.to_owned(), value.to_owned());
        }
    }
    out
}

#[test]
fn single_line_outputs_are_name_equals_value() {
    assert_eq!(output_entry("verdict", "block"), "verdict=block\n");
    assert_eq!(output_entry("sarif", ""), "sarif=\n");
}

#[test]
fn multi_line_outputs_use_a_random_heredoc_delimiter() {
    // A value that tries to close a heredoc and inject its own output.
    let value = "first line\nEOF\nverdict=pass";
    let entry = output_entry("reason", value);
    let header = entry.lines().next().unwrap();
    let delimiter = header.strip_prefix("reason<<").expect("heredoc form");
    assert!(
        delimiter.starts_with("ghadelimiter_") && delimiter.len() > 40,
        "{delimiter}"
    );
    assert!(!value.contains(delimiter));
    assert!(entry.ends_with(&format!("\n{delimiter}\n")));
    let parsed = parse_outputs(&entry);
    assert_eq!(parsed["reason"], value);
    assert!(!parsed.contains_key("verdict"), "the value must not inject an output");

    let other = output_entry("reason", value);
    assert_ne!(other.lines().next(), Some(header), "delimiters are random, not fixed");
}

#[test]
fn outputs_and_summary_are_appended_to_what_earlier_steps_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let (output, summary) = (dir.path().join("output"), dir.path().join("summary.md"));
    std::fs::write(&output, "earlier=1\n").unwrap();
    std::fs::write(&summary, "# Build\n").unwrap();
    let report = error_report("the policy file is\nnot valid YAML".into(), false);
    let env: HashMap<&str, String> = [
        ("GITHUB_OUTPUT", output.display().to_string()),
        ("GITHUB_STEP_SUMMARY", summary.display().to_string()),
    ]
    .into();
    let failures = actions::publish(&report, Some(Path::new("out/aigate.sarif")), |k| env.get(k).cloned());
    assert!(failures.is_empty(), "{failures:?}");

    let parsed = parse_outputs(&std::fs::read_to_string(&output).unwrap());
    assert_eq!(parsed["earlier"], "1");
    assert_eq!(parsed["verdict"], "error");
    assert_eq!(parsed["findings"], "0");
    assert_eq!(parsed["blocking"], "0");
    assert_eq!(parsed["sarif"], "out/aigate.sarif");
    assert_eq!(parsed["reason"], "the policy file is\nnot valid YAML");

    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(summary.starts_with("# Build\n"), "{summary}");
    assert!(summary.contains(MARKER), "{summary}");
}

#[test]
fn unwritable_runner_files_are_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    // A directory cannot be appended to.
    let path = dir.path().display().to_string();
    let report = error_report("x".into(), false);
    let failures = actions::publish(&report, None, |k| {
        matches!(k, "GITHUB_OUTPUT" | "GITHUB_STEP_SUMMARY").then(|| path.clone())
    });
    assert_eq!(failures.len(), 2);
    assert!(failures.iter().any(|f| f.what == "GITHUB_OUTPUT"));
    assert!(
        failures[0].to_string().contains("the verdict stands"),
        "{}",
        failures[0]
    );
    assert!(write_outputs(&dir.path().join("missing/dir/out"), &[("verdict", "pass".into())]).is_err());
}

/// A repository with a human base commit and, on `feature`, an AI commit adding `eval`. The working
/// tree is left on `main` (the base): a bare `aigate check` there sees no change, so a blocking run
/// proves the range came from the CI environment.
struct Pr {
    repo: TempRepo,
    base: String,
    head: String,
}

fn ai_pull_request() -> Pr {
    let mut repo = TempRepo::new();
    repo.write("app/calc.py", "def parse(expr):\n    return int(expr)\n");
    let base = repo.commit("initial import");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("app/calc.py", "def parse(expr):\n    return eval(expr)\n");
    let head = repo.commit(&format!("evaluate expressions\n\n{CLAUDE}\n"));
    repo.git(&["checkout", "-q", "main"]);
    Pr { repo, base, head }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `aigate check ARGS` in `repo` with exactly `env` (plus PATH): nothing leaks in from the test's own CI.
fn aigate(repo: &Path, env: &HashMap<String, String>, args: &[&str]) -> Run {
    let out = Command::new(git_fixture::bin_path())
        .current_dir(repo)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env)
        .arg("check")
        .args(args)
        .output()
        .expect("run aigate");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A GitHub Actions job for a pull_request event whose payload (the real fixture) names `base..head`.
struct ActionsJob {
    dir: tempfile::TempDir,
    env: HashMap<String, String>,
}

impl ActionsJob {
    fn new(base: &str, head: &str) -> Self {
        let fixture =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/forge_events/pull_request-synchronize.payload.json");
        let mut payload: Value = serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
        payload["pull_request"]["base"]["sha"] = base.into();
        payload["pull_request"]["head"]["sha"] = head.into();
        payload["before"] = base.into();
        payload["after"] = head.into();
        let dir = tempfile::tempdir().unwrap();
        let event = dir.path().join("event.json");
        std::fs::write(&event, serde_json::to_vec_pretty(&payload).unwrap()).unwrap();
        let file = |name: &str| dir.path().join(name).display().to_string();
        let env = [
            ("GITHUB_ACTIONS", "true".to_owned()),
            ("GITHUB_EVENT_NAME", "pull_request".to_owned()),
            ("GITHUB_EVENT_PATH", event.display().to_string()),
            ("GITHUB_STEP_SUMMARY", file("summary.md")),
            ("GITHUB_OUTPUT", file("output")),
            ("GITHUB_REPOSITORY", "Codertocat/Hello-World".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        ActionsJob { dir, env }
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    fn outputs(&self) -> HashMap<String, String> {
        parse_outputs(&self.read("output"))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

#[test]
fn bare_check_in_a_github_pull_request_job_blocks_with_annotations_summary_and_outputs() {
    let pr = ai_pull_request();
    let job = ActionsJob::new(&pr.base, &pr.head);

    let run = aigate(pr.repo.path(), &job.env, &[]);
    assert_eq!(run.code, 1, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    // The default format in Actions: workflow-command annotations.
    assert!(
        run.stdout.starts_with("::error file=app/calc.py,line=2,"),
        "{}",
        run.stdout
    );

    let summary = job.read("summary.md");
    assert!(summary.starts_with(MARKER), "{summary}");
    assert!(summary.contains("aigate: blocked"), "{summary}");
    assert!(
        summary.contains("`app/calc.py:2` — written by Claude Code"),
        "{summary}"
    );

    let outputs = job.outputs();
    assert_eq!(outputs["verdict"], "block");
    assert_eq!(outputs["findings"], "1");
    assert_eq!(outputs["blocking"], "1");
    assert_eq!(outputs["sarif"], "");

    // Without the CI environment the same checkout (on main) has nothing to judge.
    let bare = aigate(pr.repo.path(), &HashMap::new(), &[]);
    assert_eq!(bare.code, 0, "stdout:\n{}\nstderr:\n{}", bare.stdout, bare.stderr);
    assert!(
        !bare.stdout.contains("::error"),
        "text format outside Actions: {}",
        bare.stdout
    );
}

#[test]
fn explicit_flags_win_in_a_github_job() {
    let pr = ai_pull_request();
    let job = ActionsJob::new(&pr.base, &pr.head);
    let sarif = job.path("aigate.sarif");

    // --format and --sarif as given; the outputs name the SARIF file.
    let run = aigate(
        pr.repo.path(),
        &job.env,
        &["--format", "json", "--sarif", sarif.to_str().unwrap()],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).expect("--format json wins over the Actions default");
    assert_eq!(report["change"]["head"], pr.head.as_str());
    assert_eq!(job.outputs()["sarif"], sarif.to_str().unwrap());
    assert!(sarif.exists());

    // --head wins over the payload: the base itself is an empty change, which passes.
    let run = aigate(pr.repo.path(), &job.env, &["--head", &pr.base, "--base", &pr.base]);
    assert_eq!(run.code, 0, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    // Each run appends; the last verdict is the last line written.
    assert_eq!(job.outputs()["verdict"], "pass");

    let explained = aigate(pr.repo.path(), &job.env, &["--explain-context", "--base", "HEAD"]);
    assert_eq!(explained.code, 0, "{}", explained.stderr);
    assert!(
        explained.stdout.contains("base     HEAD\n         from: flag --base"),
        "{}",
        explained.stdout
    );
    assert!(
        explained.stdout.contains(&format!(
            "head     {}\n         from: event payload .pull_request.head.sha",
            pr.head
        )),
        "{}",
        explained.stdout
    );
    assert!(explained.stdout.contains("pr       2\n"), "{}", explained.stdout);
}

#[test]
fn explain_context_prints_json_and_runs_no_gate() {
    let pr = ai_pull_request();
    let job = ActionsJob::new(&pr.base, &pr.head);
    let run = aigate(pr.repo.path(), &job.env, &["--explain-context", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let context: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(context["forge"], "github");
    assert_eq!(context["base"], pr.base.as_str());
    assert_eq!(context["head"], pr.head.as_str());
    assert_eq!(context["pr"], 2);
    assert_eq!(context["repo"], "Codertocat/Hello-World");
    assert_eq!(job.read("output"), "", "no gate ran, so no outputs");
}

#[test]
fn a_broken_event_file_fails_closed() {
    let pr = ai_pull_request();
    let job = ActionsJob::new(&pr.base, &pr.head);
    std::fs::write(job.path("event.json"), "{ not json").unwrap();

    let run = aigate(pr.repo.path(), &job.env, &[]);
    assert_eq!(run.code, 2, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("event payload") && run.stderr.contains("not valid JSON"),
        "{}",
        run.stderr
    );
    assert_eq!(job.outputs()["verdict"], "error");
    assert!(
        job.read("summary.md").contains("could not decide"),
        "{}",
        job.read("summary.md")
    );

    let explained = aigate(pr.repo.path(), &job.env, &["--explain-context"]);
    assert_eq!(explained.code, 2);

    let open = aigate(pr.repo.path(), &job.env, &["--fail-open"]);
    assert_eq!(open.code, 0);
    assert!(open.stderr.contains("NOT gated"), "{}", open.stderr);
}

fn gitlab_env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    let mut env: HashMap<String, String> = [
        ("GITLAB_CI", "true"),
        ("CI_PROJECT_PATH", "group/project"),
        ("CI_PROJECT_ID", "42"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    env.extend(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    env
}

#[test]
fn bare_check_in_a_gitlab_merge_request_pipeline() {
    let pr = ai_pull_request();
    let env = gitlab_env(&[
        ("CI_PIPELINE_SOURCE", "merge_request_event"),
        ("CI_MERGE_REQUEST_EVENT_TYPE", "detached"),
        ("CI_MERGE_REQUEST_IID", "7"),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", &pr.base),
        ("CI_COMMIT_SHA", &pr.head),
        ("CI_COMMIT_BEFORE_SHA", "0000000000000000000000000000000000000000"),
    ]);
    let explained = aigate(pr.repo.path(), &env, &["--explain-context"]);
    assert_eq!(explained.code, 0, "{}", explained.stderr);
    let out = &explained.stdout;
    assert!(out.contains("forge    gitlab\n"), "{out}");
    assert!(
        out.contains(&format!(
            "base     {}\n         from: env CI_MERGE_REQUEST_DIFF_BASE_SHA",
            pr.base
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("head     {}\n         from: env CI_COMMIT_SHA", pr.head)),
        "{out}"
    );
    assert!(
        out.contains("pr       7\n         from: env CI_MERGE_REQUEST_IID"),
        "{out}"
    );

    let run = aigate(pr.repo.path(), &env, &[]);
    assert_eq!(run.code, 1, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    // Not GitHub: the terminal format, no workflow commands.
    assert!(
        run.stdout.contains("error[security/python-eval-exec]"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("::error"), "{}", run.stdout);
}

/// A merged-results pipeline runs on GitLab's merge of the MR into the target tip. The target moved on
/// after the fork with an AI commit of its own (already merged, gated in its own MR); this MR adds
/// clean code. Judged against the target tip the merge sits on, the MR passes; judged against the
/// fork point it would inherit the target's finding.
#[test]
fn gitlab_merged_result_pipeline_judges_only_what_the_merge_adds() {
    let mut repo = TempRepo::new();
    repo.write("app/calc.py", "def parse(expr):\n    return int(expr)\n");
    let fork = repo.commit("initial import");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("app/util.py", "def double(x):\n    return 2 * x\n");
    repo.commit(&format!("add double\n\n{CLAUDE}\n"));
    repo.git(&["checkout", "-q", "main"]);
    repo.write("app/legacy.py", "def run(expr):\n    return eval(expr)\n");
    let target = repo.commit(&format!("legacy evaluator\n\n{CLAUDE}\n"));
    repo.git(&["checkout", "-q", "--detach", &target]);
    let merge = repo.merge("feature", "Merge branch 'feature' into 'main'");
    repo.git(&["checkout", "-q", "main"]);

    let mut env = gitlab_env(&[
        ("CI_PIPELINE_SOURCE", "merge_request_event"),
        ("CI_MERGE_REQUEST_EVENT_TYPE", "merged_result"),
        ("CI_MERGE_REQUEST_IID", "8"),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", &fork),
        ("CI_MERGE_REQUEST_TARGET_BRANCH_SHA", &target),
        ("CI_COMMIT_SHA", &merge),
    ]);
    let run = aigate(repo.path(), &env, &["--format", "json"]);
    assert_eq!(run.code, 0, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["change"]["head"], merge.as_str());
    assert_eq!(
        report["change"]["commits"], 2,
        "the MR's commit and GitLab's merge: {report:#}"
    );
    assert_eq!(report["totals"]["findings"], 0, "{report:#}");

    // The fork point as base (what an older GitLab without the target sha gives) pulls the target's
    // commit in: this is why the target sha is preferred.
    env.remove("CI_MERGE_REQUEST_TARGET_BRANCH_SHA");
    let run = aigate(repo.path(), &env, &["--format", "json"]);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["change"]["commits"], 3, "{report:#}");
    assert_eq!(run.code, 1, "{report:#}");
}

#[test]
fn unwritable_runner_files_warn_and_keep_the_verdict() {
    let pr = ai_pull_request();
    let mut job = ActionsJob::new(&pr.base, &pr.head);
    let dir = job.dir.path().display().to_string();
    job.env.insert("GITHUB_OUTPUT".into(), dir.clone());
    job.env.insert("GITHUB_STEP_SUMMARY".into(), dir);
    let run = aigate(pr.repo.path(), &job.env, &[]);
    assert_eq!(run.code, 1, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("cannot append to GITHUB_OUTPUT"), "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot append to GITHUB_STEP_SUMMARY"),
        "{}",
        run.stderr
    );
}

/// An Actions job for `event` with the real (or a minimal) payload patched by `patch`.
fn job_for(event: &str, fixture: Option<&str>, patch: impl FnOnce(&mut Value)) -> ActionsJob {
    let mut job = ActionsJob::new(&"0".repeat(40), &"0".repeat(40));
    let mut payload: Value = match fixture {
        Some(name) => {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/forge_events")
                .join(name);
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
        }
        None => serde_json::json!({"ref": "refs/heads/feature"}),
    };
    patch(&mut payload);
    std::fs::write(job.path("event.json"), serde_json::to_vec(&payload).unwrap()).unwrap();
    job.env.insert("GITHUB_EVENT_NAME".into(), event.into());
    job
}

#[test]
fn merge_queue_job_judges_the_queue_merge_commit() {
    let mut pr = ai_pull_request();
    // The queue's commit: the PR merged onto the base branch tip.
    pr.repo.git(&["checkout", "-q", "--detach", &pr.base]);
    let queued = pr.repo.merge("feature", "Merge pull request #2 (queue)");
    pr.repo.git(&["checkout", "-q", "main"]);
    let job = job_for("merge_group", Some("merge_group-checks_requested.payload.json"), |p| {
        p["merge_group"]["base_sha"] = pr.base.as_str().into();
        p["merge_group"]["head_sha"] = queued.as_str().into();
    });
    let run = aigate(pr.repo.path(), &job.env, &[]);
    assert_eq!(run.code, 1, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.starts_with("::error file=app/calc.py,line=2,"),
        "{}",
        run.stdout
    );
    assert_eq!(job.outputs()["verdict"], "block");
}

#[test]
fn push_jobs_use_before_and_after_and_a_new_branch_uses_the_default_base() {
    let pr = ai_pull_request();
    let push = job_for("push", None, |p| {
        p["before"] = pr.base.as_str().into();
        p["after"] = pr.head.as_str().into();
    });
    let run = aigate(pr.repo.path(), &push.env, &["--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["change"]["base"], pr.base.as_str());
    assert_eq!(report["change"]["head"], pr.head.as_str());

    // First push of the branch: before is all zeros; the default base (merge-base with main) applies.
    let new_branch = job_for("push", None, |p| {
        p["before"] = "0".repeat(40).into();
        p["after"] = pr.head.as_str().into();
        p["created"] = true.into();
    });
    let run = aigate(pr.repo.path(), &new_branch.env, &["--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["change"]["base"], pr.base.as_str());
    assert_eq!(report["change"]["ai_commits"], 1);
}

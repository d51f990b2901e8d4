//! `provenance::trailers` against git itself: every message of the real fixture corpora (parsed by
//! git when the fixtures were recorded), and generated messages fed to `git interpret-trailers`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use aigate::provenance::trailers::{self, ParseOptions};
use proptest::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct FixtureCommit {
    sha: String,
    message: String,
    git_trailers: Vec<(String, String)>,
}

/// `../shared/fixtures/provenance` next to the crate; from a git worktree nested deeper (e.g.
/// `/work/wt/<name>`), the nearest ancestor that has `shared/fixtures/provenance`.
fn fixture_dir() -> PathBuf {
    let primary = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/provenance"));
    if primary.is_dir() {
        return primary;
    }
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared/fixtures/provenance"))
        .find(|p| p.is_dir())
        .unwrap_or(primary)
}

fn load(name: &str) -> Vec<FixtureCommit> {
    let path = fixture_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the trailer oracle {}: {e}; the shared fixtures (../shared/fixtures/provenance \
             next to the crate) must be present, CI provides them",
            path.display()
        )
    });
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{}:{}: bad JSON: {e}", path.display(), i + 1))
        })
        .collect()
}

fn check_corpus(name: &str) {
    let commits = load(name);
    assert!(
        commits.len() > 1000,
        "{name}: expected a real corpus, got {} commits",
        commits.len()
    );
    let mut mismatches = Vec::new();
    let mut with_trailers = 0;
    for c in &commits {
        let ours = trailers::parse(&c.message);
        with_trailers += usize::from(!c.git_trailers.is_empty());
        if ours != c.git_trailers {
            mismatches.push(format!(
                "sha {}\nmessage:\n{}\n--- git: {:?}\n--- ours: {:?}\n",
                c.sha, c.message, c.git_trailers, ours
            ));
        }
    }
    eprintln!(
        "{name}: {} commits, {with_trailers} with trailers, {} mismatches",
        commits.len(),
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {} messages disagree with git:\n{}",
        mismatches.len(),
        commits.len(),
        mismatches.join("\n")
    );
    assert!(with_trailers > 50, "{name}: the oracle should exercise trailers");
}

#[test]
fn agrees_with_git_on_basic_memory() {
    check_corpus("basic-memory.commits.jsonl");
}

#[test]
fn agrees_with_git_on_aider() {
    check_corpus("aider.commits.jsonl");
}

/// git, run outside any repository (or in its own scratch repository) and without user config.
struct Git {
    repo: tempfile::TempDir,
}

impl Git {
    fn new() -> Git {
        let repo = tempfile::tempdir().expect("temp dir");
        let git = Git { repo };
        git.run(&["init", "-q", "."], "");
        git
    }

    fn run(&self, args: &[&str], stdin: &str) -> String {
        let mut child = Command::new("git")
            .args(args)
            .current_dir(self.repo.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("git must be installed to run the trailer oracle");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write to git");
        let out = child.wait_with_output().expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("git prints UTF-8 for UTF-8 input")
    }

    /// `git interpret-trailers --parse` (with the `---` divider, or `--no-divider`).
    fn interpret_trailers(&self, message: &str, divider: bool) -> String {
        let mut args = vec!["interpret-trailers", "--parse"];
        if !divider {
            args.push("--no-divider");
        }
        self.run(&args, message)
    }

    /// `%(trailers:only,unfold)` of a commit object whose message is `message` byte for byte
    /// (written with `hash-object`, since `git commit` would clean the message up first).
    fn commit_trailers(&self, message: &str) -> String {
        let object = format!(
            "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@example.org> 0 +0000\n\
             committer A <a@example.org> 0 +0000\n\n{message}"
        );
        let sha = self.run(&["hash-object", "-t", "commit", "-w", "--stdin"], &object);
        let out = self.run(&["log", "-1", "--format=%(trailers:only,unfold)", sha.trim()], "");
        // `git log` ends the record with one newline of its own.
        out.strip_suffix('\n').unwrap_or(&out).to_owned()
    }
}

fn ours_as_git_prints(message: &str, options: ParseOptions) -> String {
    trailers::parse_with(message, options)
        .iter()
        .map(|(k, v)| format!("{k}: {v}\n"))
        .collect()
}

fn check_against_git(git: &Git, msg: &str) -> Result<(), String> {
    let pairs = [
        (
            "commit %(trailers:only,unfold)",
            ours_as_git_prints(msg, ParseOptions::COMMIT),
            git.commit_trailers(msg),
        ),
        (
            "interpret-trailers --parse",
            ours_as_git_prints(msg, ParseOptions::INTERPRET_TRAILERS),
            git.interpret_trailers(msg, true),
        ),
        (
            "interpret-trailers --parse --no-divider",
            ours_as_git_prints(
                msg,
                ParseOptions {
                    divider: false,
                    ..ParseOptions::INTERPRET_TRAILERS
                },
            ),
            git.interpret_trailers(msg, false),
        ),
    ];
    for (what, ours, theirs) in pairs {
        if ours != theirs {
            return Err(format!("{what} on {msg:?}:\n  git:  {theirs:?}\n  ours: {ours:?}"));
        }
    }
    Ok(())
}

/// One line of a generated message: prose, trailers of every shape git distinguishes, and the
/// lines that move the block boundaries (comments, dividers, scissors, conflicts blocks).
fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z][a-z]{0,6}( [a-z]{1,6}){0,4}[.]?",
        4 => "[A-Z][A-Za-z0-9-]{0,12}: [A-Za-z0-9 <>@.#:-]{0,20}",
        2 => "(Signed-off-by|signed-off-by|Co-Authored-By|Reviewed-by): [A-Z][a-z]{1,5} <[a-z]{1,5}@[a-z]{1,5}\\.org>",
        1 => "\\(cherry picked from commit [0-9a-f]{7,12}\\)",
        3 => "[ \t]{1,3}[a-z]{1,6}( [a-z:]{1,6}){0,2}",
        1 => "#[ a-z]{0,8}",
        1 => "(---|--- |---\t|--- [a-z]{1,4}|----)",
        1 => "# ------------------------ >8 ------------------------",
        1 => "(Conflicts:|\t[a-z/]{1,8}\\.c)",
        1 => "([A-Za-z]{1,5} [A-Za-z]{1,5}|[A-Za-z]{1,5}[ \t]{1,2}|:[a-z]{0,4}|-[a-z]{1,4}|[a-z]{1,4}\\.[a-z]{1,3}): ?[a-z]{0,6}",
        1 => "[ \t]{0,2}",
        1 => "Key:",
        1 => "(Bug #[0-9]{1,3}|[a-z]+=[a-z]+|Käse: [a-zé]{1,4}|Fixes [a-z]{1,3}: x)",
    ]
}

fn message() -> impl Strategy<Value = String> {
    let paragraph = prop::collection::vec(line(), 1..7);
    (
        "(\n| \n)?[A-Za-z][a-z]{0,8}(: [a-z ]{0,12})?",
        prop::collection::vec(paragraph, 0..4),
        prop::bool::ANY,
        prop::bool::ANY,
    )
        .prop_map(|(subject, paragraphs, trailing_newline, extra_blank)| {
            let mut msg = subject;
            for p in paragraphs {
                msg.push_str("\n\n");
                msg.push_str(&p.join("\n"));
            }
            if trailing_newline {
                msg.push('\n');
            }
            if extra_blank {
                msg.push('\n');
            }
            msg
        })
}

#[test]
fn generated_messages_agree_with_git() {
    let git = Git::new();
    // 200 cases keep the test to seconds; PROPTEST_CASES=5000 for a deeper run.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(cases));
    let with_trailers = std::cell::Cell::new(0u32);
    let result = runner.run(&message(), |msg| {
        with_trailers.set(with_trailers.get() + u32::from(!trailers::parse(&msg).is_empty()));
        check_against_git(&git, &msg).map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // The generator must reach both sides of the block rules, not only prose.
    eprintln!("{} of {cases} generated messages have trailers", with_trailers.get());
    assert!(
        with_trailers.get() * 10 >= cases,
        "too few generated messages have trailers"
    );
}

/// Hand-picked edges, checked against git rather than against expectations written by hand.
#[test]
fn edge_cases_agree_with_git() {
    let git = Git::new();
    let cases = [
        "S\n\nSigned-off-by: A <a@b>\n",
        "S\n\nprose\nprose\nprose\nSigned-off-by: A <a@b>\n",
        "S\n\nprose\nprose\nprose\nprose\nSigned-off-by: A <a@b>\n",
        "S\n\nKey: v\n  folded\n\n   \n",
        "S\n\n  indented: x\nKey: v\n",
        "S\n\nKey: v\n--- \nOther: w\n",
        "S\n\nKey: v\n---\n",
        "S\n\nKey: v\n# comment\nOther: w\n# tail\n",
        "S\n\nKey: v\nConflicts:\n\ta.c\n",
        "# comment first\nS\n\nKey: v\n",
        "\nKey: v\n",
        " \n\t\nKey: v\n",
        "S\n\nKey: v\r\nOther: w\r\n",
        "S\n\nKey:v\n",
        "S\n\nKey: v\n\tcont\n#c\n\tafter comment\n",
        "S\n\nprose\n (cherry picked from commit abc)\nKey: v\n",
        "S\n\n(cherry picked from commit abc)\nprose\nprose\nprose\n",
        "S\n\nKey\t: v\n",
        "S\n\nKey: \u{00e9}t\u{00e9} \u{1F916}\n",
        "A\n\nConflicts:",
        "A\n\nKey: v\n---",
        "A\n\nKey: v",
    ];
    for msg in cases {
        if let Err(e) = check_against_git(&git, msg) {
            panic!("{e}");
        }
    }
}

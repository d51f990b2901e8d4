//! `aigate rules list|explain|test`, run as a user would: through the binary.

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn aigate() -> Command {
    let mut cmd = Command::cargo_bin("aigate").expect("the aigate binary is built by cargo test");
    cmd.env_remove("RUST_LOG");
    cmd
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("a file path has a parent")).expect("create dirs");
    std::fs::write(path, text).expect("write fixture");
}

/// This is how CI proves the built-in packs: every example of every built-in rule behaves as documented.
#[test]
fn builtin_packs_pass_their_own_examples() {
    let out = aigate().args(["rules", "test"]).assert().success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    assert!(!stdout.contains("FAIL"), "{stdout}");
    assert!(
        !stdout.contains("skip "),
        "every built-in rule carries examples:\n{stdout}"
    );
    // Every built-in invariant was tested (one `ok` line each), the pack that is off by default included.
    let listed = list_json(&["rules", "list", "--format", "json"]);
    let ok_lines = stdout.lines().filter(|l| l.starts_with("ok ")).count();
    assert_eq!(ok_lines, listed.len(), "{stdout}");
    assert!(
        stdout.contains("ok      architecture/ts-env-outside-config"),
        "{stdout}"
    );
}

const RULE: &str = r#"
id: team/no-print
language: python
severity: warning
message: Use the logger instead of print.
note: Replace `print(x)` with `log.info(x)`.
rule:
  pattern: print($$$ARGS)
metadata:
  rationale: Output on stdout is lost in production.
  examples:
    invalid:
      - "print('hello')\n"
      - "log.info('this is not a print call')\n"
    valid:
      - "log.info('hello')\n"
      - "def report():\n    print('total', n)\n"
"#;

#[test]
fn a_wrong_example_fails_with_a_readable_diff() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "team/print.yaml", RULE);
    let out = aigate().args(["rules", "test"]).arg(dir.path()).assert().code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(stdout.contains("FAIL    team/no-print"), "{stdout}");
    // The invalid example that matches nothing: expected vs actual, and the example text.
    assert!(
        stdout.contains("examples.invalid[1] (example.py): expected a finding, got none"),
        "{stdout}"
    );
    assert!(
        stdout.contains("- expected: at least one finding of team/no-print"),
        "{stdout}"
    );
    assert!(stdout.contains("+ actual:   no finding"), "{stdout}");
    assert!(stdout.contains("1 | log.info('this is not a print call')"), "{stdout}");
    // The valid example that does match: the actual finding with its position and message.
    assert!(
        stdout.contains("examples.valid[1] (example.py): expected no finding"),
        "{stdout}"
    );
    assert!(
        stdout.contains("+ actual:   2:5-2:22 warning Use the logger instead of print."),
        "{stdout}"
    );
    assert!(stdout.contains("2 |     print('total', n)"), "{stdout}");
    // The two correct examples are not reported.
    assert!(!stdout.contains("examples.invalid[0]"), "{stdout}");
    assert!(!stdout.contains("examples.valid[0]"), "{stdout}");
    assert!(stdout.contains("0 passed, 1 failed"), "{stdout}");
}

#[test]
fn correct_examples_pass_and_rules_without_examples_are_reported_untested() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixed = RULE
        .replace("      - \"log.info('this is not a print call')\\n\"\n", "")
        .replace("      - \"def report():\\n    print('total', n)\\n\"\n", "");
    write(dir.path(), "print.yaml", &fixed);
    // A plain ast-grep rule, as found in the wild: no aigate metadata at all.
    write(
        dir.path(),
        "plain.yml",
        "id: plain-eval\nlanguage: python\nrule:\n  pattern: eval($X)\n",
    );
    aigate()
        .args(["rules", "test"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("ok      team/no-print (2 examples)"))
        .stdout(predicate::str::contains("skip    plain-eval: no examples"))
        .stdout(predicate::str::contains("1 passed, 0 failed, 1 without examples"));
}

#[test]
fn examples_respect_the_path_they_give() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rule = r#"
id: team/no-print-in-lib
language: python
severity: warning
message: Use the logger.
rule:
  pattern: print($$$ARGS)
ignores: ["scripts/**"]
metadata:
  rationale: Libraries log; scripts may print.
  examples:
    invalid:
      - { path: lib/report.py, head: "print('x')\n" }
    valid:
      - { path: scripts/report.py, head: "print('x')\n" }
"#;
    write(dir.path(), "r.yaml", rule);
    aigate()
        .args(["rules", "test"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("1 passed, 0 failed"));
    // Swap the paths: both examples now fail, which proves the paths (and `ignores`) were used.
    write(
        dir.path(),
        "r.yaml",
        &rule
            .replace("lib/report.py", "TMP")
            .replace("scripts/report.py", "lib/report.py")
            .replace("TMP", "scripts/report.py"),
    );
    aigate()
        .args(["rules", "test"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("examples.invalid[0] (scripts/report.py)"))
        .stdout(predicate::str::contains("examples.valid[0] (lib/report.py)"));
}

#[test]
fn a_rule_file_that_does_not_load_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "bad.yaml",
        "id: bad\nlanguage: klingon\nrule:\n  pattern: x\n",
    );
    aigate()
        .args(["rules", "test"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.yaml"));
}

fn list_json(args: &[&str]) -> Vec<Value> {
    let out = aigate().args(args).assert().success();
    let json: Value = serde_json::from_slice(&out.get_output().stdout).expect("rules list --format json is JSON");
    json.as_array().expect("a JSON array").clone()
}

#[test]
fn list_json_has_the_contract_fields_and_covers_the_builtin_packs() {
    let rows = list_json(&["rules", "list", "--format", "json"]);
    for row in &rows {
        for key in ["id", "language", "kind", "severity", "pack"] {
            assert!(row.get(key).is_some(), "missing `{key}` in {row}");
        }
    }
    let ids: BTreeSet<&str> = rows.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids.len(), rows.len(), "ids are unique");
    let languages: BTreeSet<&str> = rows.iter().filter_map(|r| r["language"].as_str()).collect();
    let packs: BTreeSet<&str> = rows.iter().filter_map(|r| r["pack"].as_str()).collect();
    assert!(rows.len() >= 40, "{} invariants", rows.len());
    assert!(languages.len() >= 6, "languages: {languages:?}");
    for pack in ["security", "reliability", "architecture", "governance"] {
        assert!(packs.contains(pack), "packs: {packs:?}");
    }
    let eval = rows
        .iter()
        .find(|r| r["id"] == "security/python-eval-exec")
        .expect("security/python-eval-exec is built in");
    assert_eq!(eval["language"], "python");
    assert_eq!(eval["kind"], "pattern");
    assert_eq!(eval["severity"], "error");
    assert_eq!(eval["pack"], "security");
    // The architecture pack is off by default; list says so.
    let arch = rows
        .iter()
        .find(|r| r["pack"] == "architecture")
        .expect("an architecture rule");
    assert_eq!(arch["enabled"], false);
    assert_eq!(eval["enabled"], true);
}

#[test]
fn list_shows_user_rules_with_their_file_and_can_leave_out_builtins() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "print.yaml", RULE);
    let rows = list_json(&[
        "rules",
        "list",
        "--no-builtin",
        "--format",
        "json",
        "--rules",
        dir.path().to_str().expect("utf-8 temp path"),
    ]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], "team/no-print");
    assert!(
        rows[0]["pack"].as_str().is_some_and(|p| p.ends_with("print.yaml")),
        "{}",
        rows[0]
    );
    let text = aigate().args(["rules", "list"]).assert().success();
    let text = String::from_utf8_lossy(&text.get_output().stdout).into_owned();
    assert!(text.contains("architecture (built-in, off by default"), "{text}");
    assert!(text.contains("security (built-in, on"), "{text}");
}

#[test]
fn explain_shows_rationale_examples_and_source() {
    aigate()
        .args(["rules", "explain", "security/python-subprocess-shell-true"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "rationale:\n  With `shell=True` any file name",
        ))
        .stdout(predicate::str::contains("severity:  error"))
        .stdout(predicate::str::contains("kind:      pattern"))
        .stdout(predicate::str::contains("waivable:  yes"))
        .stdout(predicate::str::contains("owner:     appsec"))
        .stdout(predicate::str::contains("example invalid[0]:"))
        .stdout(predicate::str::contains(
            "| subprocess.check_output(cmd, cwd=root, shell=True)",
        ))
        .stdout(predicate::str::contains(
            "source (rules/security/command-injection.yaml:",
        ))
        .stdout(predicate::str::contains(
            "  id: security/python-subprocess-shell-true\n  language: python\n",
        ));
}

#[test]
fn explain_of_an_unknown_id_suggests_similar_ones() {
    aigate()
        .args(["rules", "explain", "security/eval"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no invariant `security/eval`"))
        .stderr(predicate::str::contains("security/js-eval"));
}

/// Examples with a `base` are checked as a change: the same head passes or fails depending on the base.
#[test]
fn examples_with_a_base_are_checked_as_a_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rule = r##"
id: team/test-deleted
severity: error
message: A test was deleted.
diff:
  detector: test-deleted
metadata:
  rationale: Deleting a failing test hides the failure.
  examples:
    invalid:
      - {path: src/lib.rs, base: "#[test]\nfn a() {}\n#[test]\nfn b() {}\n", head: "#[test]\nfn a() {}\n"}
    valid:
      - {path: src/lib.rs, base: "#[test]\nfn a() {}\n", head: "#[test]\nfn a() {}\n"}
"##;
    write(dir.path(), "r.yaml", rule);
    aigate()
        .args(["rules", "test"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("1 passed, 0 failed"));
    // Give the valid example the larger base: the same head now deletes a test, and the diff shows both versions.
    write(
        dir.path(),
        "r.yaml",
        &rule.replace(
            "valid:\n      - {path: src/lib.rs, base: \"#[test]\\nfn a() {}\\n\"",
            "valid:\n      - {path: src/lib.rs, base: \"#[test]\\nfn a() {}\\n#[test]\\nfn b() {}\\n\"",
        ),
    );
    aigate()
        .args(["rules", "test"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("examples.valid[0] (src/lib.rs): expected no finding"))
        .stdout(predicate::str::contains("    base:\n        1 | #[test]\n        2 | fn a() {}\n        3 | #[test]\n        4 | fn b() {}\n    head:\n        1 | #[test]\n        2 | fn a() {}\n"));
}

/// A waived finding does not count: a waived occurrence is a valid example, and an invalid example
/// whose only finding is waived fails, saying so.
#[test]
fn waived_findings_do_not_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rule = r##"
id: team/no-print
language: python
severity: warning
message: Use the logger instead of print.
rule:
  pattern: print($$$ARGS)
metadata:
  rationale: Output on stdout is lost in production.
  examples:
    invalid:
      - "print('x')  # aigate: allow(team/no-print) -- the CLI entry point writes to stdout\n"
    valid:
      - "# aigate: allow(team/no-print) -- the CLI entry point writes to stdout\nprint('x')\n"
"##;
    write(dir.path(), "r.yaml", rule);
    aigate()
        .args(["rules", "test"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "examples.invalid[0] (example.py): expected a finding, got none",
        ))
        .stdout(predicate::str::contains(
            "+ actual:   no finding (1 waived by an inline waiver)",
        ))
        .stdout(predicate::str::contains("examples.valid").not());
}

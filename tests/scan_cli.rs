//! `aigate scan` end to end on temporary trees.

use std::fs;
use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use serde_json::{Value, json};

const RULES: &str = r#"
id: rust/no-unwrap
language: rust
severity: error
message: unwrap panics
note: propagate the error with `?`
rule:
  pattern: $X.unwrap()
---
id: py/print
language: python
severity: warning
message: print in library code
rule:
  pattern: print($$$A)
"#;

fn write(root: &Path, rel: &str, text: impl AsRef<[u8]>) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn aigate(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("aigate").unwrap();
    cmd.current_dir(dir);
    cmd
}

fn scan_json(dir: &Path, args: &[&str]) -> (Value, i32) {
    let out = aigate(dir)
        .arg("scan")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let value: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (value, out.status.code().unwrap_or(-1))
}

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "rules/r.yaml", RULES);
    write(
        dir.path(),
        "src/b.rs",
        "fn b() {\n    y.unwrap();\n    x.unwrap();\n}\n",
    );
    write(dir.path(), "src/a.rs", "fn a() { z.unwrap(); }\n");
    write(dir.path(), "lib/m.py", "def f():\n    print('hi')\n");
    dir
}

#[test]
fn json_follows_the_contract_sorted_by_path_line_column() {
    let dir = tree();
    let (v, code) = scan_json(dir.path(), &["--no-builtin", "--rules", "rules", "src", "lib"]);
    assert_eq!(code, 1, "an unwaived error finding blocks");
    assert_eq!(
        v,
        json!({
            "findings": [
                {"rule_id": "py/print", "severity": "warning", "message": "print in library code", "path": "lib/m.py",
                 "start": {"line": 2, "column": 5}, "end": {"line": 2, "column": 16}, "waived": null},
                {"rule_id": "rust/no-unwrap", "severity": "error", "message": "unwrap panics", "path": "src/a.rs",
                 "start": {"line": 1, "column": 10}, "end": {"line": 1, "column": 20}, "waived": null},
                {"rule_id": "rust/no-unwrap", "severity": "error", "message": "unwrap panics", "path": "src/b.rs",
                 "start": {"line": 2, "column": 5}, "end": {"line": 2, "column": 15}, "waived": null},
                {"rule_id": "rust/no-unwrap", "severity": "error", "message": "unwrap panics", "path": "src/b.rs",
                 "start": {"line": 3, "column": 5}, "end": {"line": 3, "column": 15}, "waived": null},
            ],
            "files_scanned": 3,
            "skipped": [],
        })
    );
}

#[test]
fn paths_are_printed_as_given_joined_with_the_file_below() {
    let dir = tree();
    let (v, _) = scan_json(dir.path(), &["--no-builtin", "--rules", "rules", "./src"]);
    assert_eq!(v["findings"][0]["path"], "./src/a.rs");
    let (v, _) = scan_json(&dir.path().join("src"), &["--no-builtin", "--rules", "../rules"]);
    assert_eq!(
        v["findings"][0]["path"], "a.rs",
        "no PATH: relative to the current directory"
    );
    let (v, _) = scan_json(dir.path(), &["--no-builtin", "--rules", "rules", "src/b.rs"]);
    assert_eq!(v["files_scanned"], 1);
    assert_eq!(v["findings"][0]["path"], "src/b.rs");
}

#[test]
fn warnings_and_waived_errors_pass() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "r.yaml", RULES);
    write(dir.path(), "m.py", "print(1)\n");
    write(
        dir.path(),
        "a.rs",
        "fn a() {\n    // aigate: allow(rust/no-unwrap) -- the value was checked just above\n    z.unwrap();\n}\n",
    );
    let (v, code) = scan_json(dir.path(), &["--no-builtin", "--rules", "r.yaml"]);
    assert_eq!(code, 0, "{v}");
    let waived: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["waived"].is_null())
        .collect();
    assert_eq!(waived.len(), 1);
    assert_eq!(
        waived[0]["waived"],
        json!({"reason": "the value was checked just above"})
    );
}

#[test]
fn gitignored_and_hidden_files_are_not_scanned() {
    let dir = tree();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    write(dir.path(), ".gitignore", "target/\n*.gen.rs\n");
    write(dir.path(), "target/debug/x.rs", "fn x() { a.unwrap(); }\n");
    write(dir.path(), "src/c.gen.rs", "fn x() { a.unwrap(); }\n");
    write(dir.path(), ".hidden/h.rs", "fn x() { a.unwrap(); }\n");
    let (v, _) = scan_json(dir.path(), &["--no-builtin", "--rules", "rules"]);
    let paths: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert_eq!(paths, ["lib/m.py", "src/a.rs", "src/b.rs", "src/b.rs"]);
    assert_eq!(v["files_scanned"], 3);
}

#[test]
fn large_binary_and_non_utf8_files_are_skipped_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "r.yaml", RULES);
    write(
        dir.path(),
        "big.rs",
        format!("fn f() {{ a.unwrap(); }}\n{}", "// pad\n".repeat(100)),
    );
    write(dir.path(), "bin.rs", b"fn f() { a.unwrap(); }\0\x01\x02");
    write(dir.path(), "latin1.rs", b"// caf\xe9\nfn f() { a.unwrap(); }\n");
    write(dir.path(), "ok.rs", "fn f() { a.unwrap(); }\n");
    let (v, code) = scan_json(
        dir.path(),
        &["--no-builtin", "--rules", "r.yaml", "--max-file-size", "200"],
    );
    assert_eq!(code, 1);
    assert_eq!(v["files_scanned"], 1);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
    let skipped: Vec<(String, String)> = v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_string(),
                s["why"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let why = |p: &str| {
        skipped
            .iter()
            .find(|(path, _)| path == p)
            .map(|(_, w)| w.clone())
            .unwrap_or_default()
    };
    assert!(why("big.rs").contains("size limit"), "{skipped:?}");
    assert!(why("bin.rs").contains("binary"), "{skipped:?}");
    assert!(why("latin1.rs").contains("not UTF-8"), "{skipped:?}");
}

#[test]
fn packs_off_by_default_run_with_pack() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "policy/arch/pack.yaml", "enabled: false\n");
    write(
        dir.path(),
        "policy/arch/r.yaml",
        "id: arch/no-unwrap\nlanguage: rust\nseverity: error\nrule:\n  pattern: $X.unwrap()\n",
    );
    write(dir.path(), "a.rs", "fn a() { z.unwrap(); }\n");
    let (v, code) = scan_json(dir.path(), &["--no-builtin", "--rules", "policy", "a.rs"]);
    assert_eq!((v["findings"].as_array().unwrap().len(), code), (0, 0));
    let (v, code) = scan_json(
        dir.path(),
        &["--no-builtin", "--rules", "policy", "--pack", "arch", "a.rs"],
    );
    assert_eq!((v["findings"].as_array().unwrap().len(), code), (1, 1));
    let out = aigate(dir.path())
        .args(["scan", "--no-builtin", "--rules", "policy", "--pack", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown pack `nope`"));
}

#[test]
fn bad_rules_and_unreadable_paths_exit_2_with_a_located_message() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bad.yaml",
        "id: k\nlanguage: kotlin\nrule:\n  pattern: f()\n",
    );
    let out = aigate(dir.path())
        .args(["scan", "--no-builtin", "--rules", "bad.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yaml:2:11") && err.contains("kotlin"), "{err}");
    let out = aigate(dir.path())
        .args(["scan", "--no-builtin", "no/such/dir"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/dir"));
}

#[test]
fn text_output_is_rustc_style_with_a_summary() {
    let dir = tree();
    let out = aigate(dir.path())
        .args(["scan", "--no-builtin", "--rules", "rules", "src/a.rs"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let expected = "error[rust/no-unwrap]: unwrap panics\n  --> src/a.rs:1:10\n   |\n 1 | fn a() { z.unwrap(); }\n   |          ^^^^^^^^^^\n   |\n   = note: propagate the error with `?`\n\naigate scan: 1 error, 0 waived, 1 file scanned, 0 skipped\n";
    assert_eq!(text, expected);
}

#[test]
fn the_builtin_packs_run_by_default() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "m.py",
        "x = 1  # aigate: allow(nothing/here) -- kept from an older version of the file\n",
    );
    let (v, _) = scan_json(dir.path(), &[]);
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    assert!(ids.contains(&"aigate/unused-waiver"), "{v}");
    let (v, _) = scan_json(dir.path(), &["--no-builtin"]);
    assert_eq!(v["findings"], json!([]));
}

/// A scan has no change: protected paths, new dependencies and deleted tests are not judged, while
/// what a file holds (a secret, a suppression) still is.
#[test]
fn scan_leaves_out_invariants_that_judge_a_change() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".github/workflows/ci.yml", "on: push\n");
    write(
        dir.path(),
        "Cargo.toml",
        "[package]\nname = \"x\"\n\n[dependencies]\nserde = \"1\"\n",
    );
    write(dir.path(), "src/keys.py", "AWS_KEY = \"AKIAIOSFODNN7EXAMPLF\"\n");
    let (report, code) = scan_json(dir.path(), &[".github", "Cargo.toml", "src"]);
    let ids: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"security/secret-added"), "{ids:?}");
    assert!(
        !ids.iter()
            .any(|id| id.starts_with("governance/ci-config") || *id == "governance/dependency-added"),
        "{ids:?}"
    );
    assert_eq!(code, 1);

    let text = aigate(dir.path()).args(["scan", "src"]).output().unwrap();
    assert!(String::from_utf8_lossy(&text.stderr).contains("invariants judge a change"));
}

//! Differential test: aigate's pattern invariants must report exactly what ast-grep itself reports
//! for the same rule files (rule id, path, start and end line/column), on a realistic corpus
//! (tests/corpus: ten languages, unicode, CRLF, nested matches, ignored paths) and on every rule's
//! own examples. The peer is the real ast-grep CLI, installed by ./scripts/test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use aigate::engine::lang::Lang;
use aigate::policy::PolicyLoader;

/// One reported match: rule id, path, 1-based start/end (line, char column), and the message
/// (with metavariables such as `$M` interpolated).
type Match = (String, String, (u32, u32), (u32, u32), String);

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// The ast-grep binary: `AIGATE_AST_GREP` (set by ./scripts/test), else the venv ./scripts/test
/// creates. Missing is a failure, never a skip: a differential test without its peer proves nothing.
fn ast_grep() -> PathBuf {
    let path = std::env::var_os("AIGATE_AST_GREP")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(MANIFEST).join("target/tools/venv/bin/ast-grep"));
    assert!(
        path.is_file(),
        "the ast-grep CLI is not at {}: run ./scripts/test (it installs ast-grep-cli 0.51.1 into target/tools/venv \
         and sets AIGATE_AST_GREP)",
        path.display()
    );
    path
}

/// The pattern-kind rule documents (those with a top-level `rule:`) of every built-in rule file,
/// byte for byte as written, and their ids. Other kinds are aigate's own and ast-grep cannot run them.
fn pattern_rule_docs() -> (String, BTreeSet<String>) {
    let mut files = Vec::new();
    collect_yaml(&Path::new(MANIFEST).join("rules"), &mut files);
    let mut docs = Vec::new();
    let mut ids = BTreeSet::new();
    for file in files {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if matches!(name, "pack.yaml" | "signatures.yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read rule file");
        let mut current = Vec::new();
        for line in text.lines().chain(std::iter::once("---")) {
            if line.trim_end() == "---" {
                let doc = current.join("\n");
                if doc.lines().any(|l| l.starts_with("rule:")) {
                    let id = doc
                        .lines()
                        .find_map(|l| l.strip_prefix("id:"))
                        .expect("a rule has an id")
                        .trim();
                    ids.insert(id.trim_matches(|c| c == '"' || c == '\'').to_string());
                    docs.push(doc);
                }
                current.clear();
            } else {
                current.push(line);
            }
        }
    }
    assert!(
        ids.len() >= 30,
        "expected the built-in packs' pattern rules, found {}",
        ids.len()
    );
    (docs.join("\n---\n") + "\n", ids)
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_yaml(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read corpus") {
        let path = entry.expect("dir entry").path();
        let target = to.join(path.file_name().expect("entry has a name"));
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy corpus file");
        }
    }
}

/// ast-grep's matches: its lines and columns are 0-based (columns in chars), aigate's 1-based.
fn run_ast_grep(rules: &Path, root: &Path) -> BTreeSet<Match> {
    let out = Command::new(ast_grep())
        .args(["scan", "--rule"])
        .arg(rules)
        .args(["--json=stream", "--no-ignore", "hidden", "."])
        .current_dir(root)
        .output()
        .expect("run ast-grep");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Exit 1 only means "found error-severity matches".
    assert!(
        out.status.code().is_some_and(|c| c <= 1) && (stderr.is_empty() || stderr.contains("Scan succeeded")),
        "ast-grep failed ({:?}): {stderr}",
        out.status
    );
    let mut matches = BTreeSet::new();
    for line in String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let m: serde_json::Value = serde_json::from_str(line).expect("ast-grep --json=stream emits JSON lines");
        let pos = |end: &str| {
            let p = &m["range"][end];
            let n = |k: &str| p[k].as_u64().expect("numeric position") as u32 + 1;
            (n("line"), n("column"))
        };
        let file = m["file"].as_str().expect("file").trim_start_matches("./").to_string();
        let id = m["ruleId"].as_str().expect("ruleId").to_string();
        let message = m["message"].as_str().expect("message").to_string();
        matches.insert((id, file, pos("start"), pos("end"), message));
    }
    matches
}

/// aigate's matches for the same rule file: `aigate scan --format json --no-builtin --rules DIR .`
/// run in `root`, exactly as a user would.
fn run_aigate(rules: &Path, root: &Path) -> BTreeSet<Match> {
    let out = Command::new(env!("CARGO_BIN_EXE_aigate"))
        .args(["scan", "--format", "json", "--no-builtin", "--rules"])
        .arg(rules.parent().expect("the rule file is in its own directory"))
        .arg(".")
        .current_dir(root)
        .env_remove("RUST_LOG")
        .output()
        .expect("run aigate scan");
    // Exit 1 only means "findings at error severity".
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "aigate scan failed ({:?}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("aigate scan --format json emits JSON");
    let skipped = report["skipped"].as_array().map_or(0, Vec::len);
    assert_eq!(skipped, 0, "aigate skipped corpus files: {}", report["skipped"]);
    let mut matches = BTreeSet::new();
    for f in report["findings"].as_array().expect("findings array") {
        let pos = |end: &str| {
            let n = |k: &str| f[end][k].as_u64().expect("numeric position") as u32;
            (n("line"), n("column"))
        };
        let path = f["path"].as_str().expect("path").trim_start_matches("./").to_string();
        let id = f["rule_id"].as_str().expect("rule_id").to_string();
        let message = f["message"].as_str().expect("message").to_string();
        matches.insert((id, path, pos("start"), pos("end"), message));
    }
    matches
}

/// Both tools on one tree; any difference fails, shown as a diff with the source line.
fn compare(root: &Path, rules: &Path) -> BTreeSet<Match> {
    let theirs = run_ast_grep(rules, root);
    let ours = run_aigate(rules, root);
    if theirs != ours {
        let mut report = String::from("aigate and ast-grep disagree (- only ast-grep, + only aigate):\n");
        for (sign, set, other) in [("-", &theirs, &ours), ("+", &ours, &theirs)] {
            for m in set.difference(other) {
                let (id, path, (l1, c1), (l2, c2), message) = m;
                let text = std::fs::read_to_string(root.join(path)).unwrap_or_default();
                let line = text.lines().nth(*l1 as usize - 1).unwrap_or("").trim_end();
                report.push_str(&format!(
                    "{sign} {path}:{l1}:{c1}-{l2}:{c2} {id}: {message}\n      | {line}\n"
                ));
            }
        }
        panic!("{report}");
    }
    eprintln!(
        "{}: {} matches, identical in aigate and ast-grep",
        root.display(),
        theirs.len()
    );
    theirs
}

/// The rule file goes in its own directory beside the scanned tree, never above it: ast-grep
/// matches `files`/`ignores` globs against the path relative to the rule file's directory when the
/// file lies below it, whereas aigate (like ast-grep with an sgconfig.yml at the scan root) matches
/// them against the path relative to the scan root.
fn rules_file(dir: &Path) -> (PathBuf, BTreeSet<String>) {
    let (docs, ids) = pattern_rule_docs();
    let dir = dir.join("rules");
    std::fs::create_dir_all(&dir).expect("create rules dir");
    let path = dir.join("pattern-rules.yaml");
    std::fs::write(&path, docs).expect("write rules");
    (path, ids)
}

#[test]
fn corpus_matches_agree_with_ast_grep_and_cover_every_pattern_rule() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (rules, ids) = rules_file(tmp.path());
    let root = tmp.path().join("corpus");
    copy_tree(&Path::new(MANIFEST).join("tests/corpus"), &root);
    let matches = compare(&root, &rules);

    let mut per_rule: BTreeMap<&str, usize> = ids.iter().map(|id| (id.as_str(), 0)).collect();
    for (id, ..) in &matches {
        *per_rule.entry(id).or_default() += 1;
    }
    let unmatched: Vec<&str> = per_rule.iter().filter(|(_, n)| **n == 0).map(|(id, _)| *id).collect();
    assert!(
        unmatched.is_empty(),
        "the corpus must make every pattern rule match at least once; no match for: {unmatched:?}"
    );
    // The tricky cases are really exercised: CRLF + unicode files, and nested matches of one rule.
    assert!(matches.iter().any(|(_, p, ..)| p == "python/app/unicode_crlf.py"));
    assert!(matches.iter().any(|(_, p, ..)| p == "js/src/crlf_ünïcode.js"));
    let nested = matches.iter().any(|a| {
        matches
            .iter()
            .any(|b| a != b && a.0 == b.0 && a.1 == b.1 && a.2 <= b.2 && b.3 <= a.3)
    });
    assert!(nested, "the corpus has nested matches of one rule");
    // Ignored paths are honoured by both (and the corpus has files that would otherwise match).
    assert!(
        !matches
            .iter()
            .any(|(id, p, ..)| id == "reliability/python-bare-except" && p.starts_with("python/tests/"))
    );
}

#[test]
fn rule_examples_match_the_same_as_ast_grep() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (rules, ids) = rules_file(tmp.path());
    let policy = PolicyLoader::new()
        .builtin(false)
        .path(&rules)
        .load()
        .expect("rules load");
    let root = tmp.path().join("examples");
    let mut written = 0;
    for (n, inv) in policy.invariants().iter().enumerate() {
        let ext = inv.language.map(lang_ext).unwrap_or("txt");
        let examples = &inv.metadata.examples;
        for (kind, list) in [("invalid", &examples.invalid), ("valid", &examples.valid)] {
            for (i, example) in list.iter().enumerate() {
                let (path, head, _) = example.parts();
                let path = path.map_or_else(|| format!("example.{ext}"), str::to_string);
                let target = root.join(format!("r{n}-{kind}{i}")).join(path);
                std::fs::create_dir_all(target.parent().expect("parent")).expect("create example dir");
                std::fs::write(target, head).expect("write example");
                written += 1;
            }
        }
    }
    assert!(
        written >= 2 * ids.len(),
        "every pattern rule has examples ({written} written)"
    );
    let matches = compare(&root, &rules);
    // Every rule's invalid examples produce matches in both tools.
    let matched: BTreeSet<&str> = matches.iter().map(|(id, ..)| id.as_str()).collect();
    let missing: Vec<&String> = ids.iter().filter(|id| !matched.contains(id.as_str())).collect();
    assert!(missing.is_empty(), "no example matched for {missing:?}");
}

fn lang_ext(lang: Lang) -> &'static str {
    match lang {
        Lang::Bash => "sh",
        Lang::C => "c",
        Lang::Cpp => "cpp",
        Lang::CSharp => "cs",
        Lang::Go => "go",
        Lang::Java => "java",
        Lang::JavaScript => "js",
        Lang::Python => "py",
        Lang::Ruby => "rb",
        Lang::Rust => "rs",
        Lang::Tsx => "tsx",
        Lang::TypeScript => "ts",
    }
}

/// The built-in pattern rule files are plain ast-grep rule files: ast-grep loads each one unchanged
/// (aigate's additions live under `metadata`). Files of aigate-only kinds hold no pattern rules, so
/// a pattern file never mixes in a document ast-grep would reject.
#[test]
fn ast_grep_loads_every_pattern_rule_file_unchanged() {
    let mut files = Vec::new();
    collect_yaml(&Path::new(MANIFEST).join("rules"), &mut files);
    let empty = tempfile::tempdir().expect("tempdir");
    std::fs::write(empty.path().join("x.py"), "x = 1\n").expect("write");
    let mut pattern_files = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read rule file");
        let docs: Vec<&str> = text.split("\n---\n").collect();
        let patterns = docs
            .iter()
            .filter(|d| d.lines().any(|l| l.starts_with("rule:")))
            .count();
        if patterns == 0 {
            continue;
        }
        pattern_files += 1;
        assert_eq!(
            patterns,
            docs.len(),
            "{} mixes pattern rules with other kinds",
            file.display()
        );
        let out = Command::new(ast_grep())
            .args(["scan", "--json=stream", "--rule"])
            .arg(&file)
            .arg(".")
            .current_dir(empty.path())
            .output()
            .expect("run ast-grep");
        assert!(
            out.status.success() && out.stdout.is_empty(),
            "ast-grep does not load {} unchanged: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(pattern_files >= 8, "found {pattern_files} pattern rule files");
}

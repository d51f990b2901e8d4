//! Waivers: `aigate: allow(<rule-id>) -- <reason>` on the finding's line or the line above.

use aigate::engine::lang::Lang;
use aigate::engine::source::SourceFile;
use aigate::engine::{Engine, EngineOptions, Finding};
use aigate::policy::{PolicyLoader, Severity};

const RULES: &str = r#"
id: py/eval
language: python
severity: error
message: eval of dynamic input
rule:
  pattern: eval($X)
---
id: py/exec
language: python
severity: error
message: exec of dynamic input
rule:
  pattern: exec($X)
---
id: py/pickle
language: python
severity: error
message: pickle.loads of untrusted data
rule:
  pattern: pickle.loads($X)
metadata:
  waivable: false
---
id: c/gets
language: c
severity: error
message: gets overflows
rule:
  pattern: gets($B);
---
id: aigate/invalid-waiver
waiver: invalid
severity: error
message: Invalid waiver
---
id: aigate/unused-waiver
waiver: unused
severity: warning
message: Unused waiver
"#;

fn engine_with(min_reason: usize) -> Engine {
    let policy = PolicyLoader::new()
        .builtin(false)
        .text("rules.yaml", RULES)
        .load()
        .unwrap_or_else(|e| panic!("{e}"));
    Engine::with_options(
        &policy,
        EngineOptions {
            min_waiver_reason: min_reason,
            ..Default::default()
        },
    )
    .unwrap()
}

fn run(path: &str, text: &str) -> Vec<Finding> {
    let lang = Lang::from_path(std::path::Path::new(path));
    engine_with(10).check_file(&SourceFile { path, lang, text }, None)
}

/// (rule, line, waived reason) of each finding.
fn summary(found: &[Finding]) -> Vec<(String, u32, Option<String>)> {
    found
        .iter()
        .map(|f| {
            (
                f.rule_id.clone(),
                f.start.line,
                f.waived.as_ref().map(|w| w.reason.clone()),
            )
        })
        .collect()
}

fn s(id: &str, line: u32, reason: Option<&str>) -> (String, u32, Option<String>) {
    (id.to_string(), line, reason.map(str::to_string))
}

#[test]
fn a_waiver_on_the_same_line_or_the_line_above_waives_with_its_reason() {
    let text = "a = eval(x)  # aigate: allow(py/eval) -- x is a literal from our own config\n\
                # aigate: allow(py/eval) -- parsing trusted fixture files only\n\
                b = eval(y)\n\
                c = eval(z)\n";
    assert_eq!(
        summary(&run("m.py", text)),
        [
            s("py/eval", 1, Some("x is a literal from our own config")),
            s("py/eval", 3, Some("parsing trusted fixture files only")),
            s("py/eval", 4, None),
        ]
    );
}

#[test]
fn a_waiver_two_lines_above_does_not_reach_and_is_unused() {
    let text = "# aigate: allow(py/eval) -- far too far away from the call\n\nb = eval(y)\n";
    let found = run("m.py", text);
    assert_eq!(
        summary(&found),
        [s("aigate/unused-waiver", 1, None), s("py/eval", 3, None)]
    );
    assert_eq!(found[0].severity, Severity::Warning);
    assert!(found[0].message.contains("waives nothing"), "{}", found[0].message);
}

#[test]
fn a_waiver_without_a_reason_or_with_a_short_one_is_invalid_and_the_finding_stands() {
    let found = run(
        "m.py",
        "a = eval(x)  # aigate: allow(py/eval)\nb = eval(y)  # aigate: allow(py/eval) -- ok\n",
    );
    assert_eq!(
        summary(&found),
        [
            s("py/eval", 1, None),
            s("aigate/invalid-waiver", 1, None),
            s("py/eval", 2, None),
            s("aigate/invalid-waiver", 2, None)
        ]
    );
    assert!(found[1].message.contains("no reason"), "{}", found[1].message);
    assert!(found[3].message.contains("too short"), "{}", found[3].message);
    assert_eq!(found[1].severity, Severity::Error);

    // The minimum is configurable.
    let e = engine_with(2);
    let text = "b = eval(y)  # aigate: allow(py/eval) -- ok\n";
    let found = e.check_file(
        &SourceFile {
            path: "m.py",
            lang: Some(Lang::Python),
            text,
        },
        None,
    );
    assert_eq!(summary(&found), [s("py/eval", 1, Some("ok"))]);
}

#[test]
fn a_rule_that_is_not_waivable_cannot_be_waived() {
    let found = run(
        "m.py",
        "d = pickle.loads(blob)  # aigate: allow(py/pickle) -- we trust the queue producer\n",
    );
    // Sorted by position: the finding (column 5) before the waiver comment (column 25).
    assert_eq!(
        summary(&found),
        [s("py/pickle", 1, None), s("aigate/invalid-waiver", 1, None)]
    );
    assert!(found[1].message.contains("cannot be waived"), "{}", found[0].message);
}

#[test]
fn one_waiver_can_name_several_rules_and_reports_the_ones_it_does_not_use() {
    let text = "# aigate: allow(py/eval, py/exec, py/other) -- sandboxed interpreter for the REPL\nexec(eval(x))\n";
    assert_eq!(
        summary(&run("m.py", text)),
        [
            s("aigate/unused-waiver", 1, None),
            s("py/exec", 2, Some("sandboxed interpreter for the REPL")),
            s("py/eval", 2, Some("sandboxed interpreter for the REPL")),
        ]
    );
}

#[test]
fn block_comments_carry_waivers() {
    let text = "void f(char *buf) {\n  /* aigate: allow(c/gets) -- legacy stdin reader, input length bounded */\n  gets(buf);\n}\n";
    assert_eq!(
        summary(&run("a.c", text)),
        [s("c/gets", 3, Some("legacy stdin reader, input length bounded"))]
    );
}

#[test]
fn a_waiver_in_a_string_is_not_a_waiver() {
    let text = "a = eval(\"aigate: allow(py/eval) -- a string, not a comment\")\n";
    assert_eq!(summary(&run("m.py", text)), [s("py/eval", 1, None)]);
}

#[test]
fn without_hygiene_invariants_waivers_still_apply_but_problems_are_not_reported() {
    let rules = RULES.split("---\nid: aigate/invalid-waiver").next().unwrap_or_default();
    let policy = PolicyLoader::new().builtin(false).text("r.yaml", rules).load().unwrap();
    let e = Engine::new(&policy).unwrap();
    let text = "a = eval(x)  # aigate: allow(py/eval) -- constant from the settings module\n# aigate: allow(py/exec)\n";
    let found = e.check_file(
        &SourceFile {
            path: "m.py",
            lang: Some(Lang::Python),
            text,
        },
        None,
    );
    assert_eq!(
        summary(&found),
        [s("py/eval", 1, Some("constant from the settings module"))]
    );
}

#[test]
fn a_marker_in_a_string_after_a_comment_opener_is_not_a_waiver() {
    // `//` inside the string makes the line look like a comment; the syntax tree says otherwise.
    let text = "fn f() {\n    let s = \"// aigate: allow(rust/x) -- not a comment, a string\";\n}\n";
    let policy = PolicyLoader::new()
        .builtin(false)
        .text(
            "r.yaml",
            "id: rust/x\nlanguage: rust\nrule: {pattern: let s = $S;}\n---\nid: aigate/unused-waiver\nwaiver: unused\n",
        )
        .load()
        .unwrap();
    let e = Engine::new(&policy).unwrap();
    let found = e.check_file(
        &SourceFile {
            path: "a.rs",
            lang: Some(Lang::Rust),
            text,
        },
        None,
    );
    assert_eq!(summary(&found), [s("rust/x", 2, None)]);
}

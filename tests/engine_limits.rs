//! Prefilter decisions and hostile input: deep nesting must not overflow the stack.

use aigate::engine::Engine;
use aigate::engine::lang::Lang;
use aigate::engine::source::SourceFile;
use aigate::policy::Policy;

fn engine(yaml: &str) -> Engine {
    Engine::new(&Policy::from_yaml("t.yaml", yaml).unwrap_or_else(|e| panic!("{e}"))).unwrap()
}

#[test]
fn a_file_without_the_rule_literals_is_not_parsed_and_one_with_them_is() {
    let e = engine("id: u\nlanguage: rust\nseverity: error\nrule:\n  pattern: $X.unwrap()\n");
    let out = e.analyse(
        &SourceFile {
            path: "a.rs",
            lang: Some(Lang::Rust),
            text: "fn f() { g(); }",
        },
        None,
    );
    assert!(!out.parsed, "no `unwrap` in the file: no parse");
    assert!(out.findings.is_empty());
    let out = e.analyse(
        &SourceFile {
            path: "a.rs",
            lang: Some(Lang::Rust),
            text: "fn f() { g().unwrap(); }",
        },
        None,
    );
    assert!(out.parsed);
    assert_eq!(out.findings.len(), 1);
    // The literal in a comment or string makes the file a candidate: parsed, but no finding.
    let out = e.analyse(
        &SourceFile {
            path: "a.rs",
            lang: Some(Lang::Rust),
            text: "// unwrap\nfn f() {}",
        },
        None,
    );
    assert!(out.parsed && out.findings.is_empty());
}

#[test]
fn a_kind_only_rule_is_never_skipped() {
    let e = engine("id: k\nlanguage: rust\nseverity: error\nmessage: unsafe\nrule:\n  kind: unsafe_block\n");
    let out = e.analyse(
        &SourceFile {
            path: "a.rs",
            lang: Some(Lang::Rust),
            text: "fn f() { unsafe { g() } }",
        },
        None,
    );
    assert!(out.parsed);
    assert_eq!(out.findings.len(), 1);
    let out = e.analyse(
        &SourceFile {
            path: "a.rs",
            lang: Some(Lang::Rust),
            text: "fn f() {}",
        },
        None,
    );
    assert!(out.parsed, "a kind-only rule has no literal to rule the file out");
}

#[test]
fn an_any_rule_runs_when_one_branch_can_match() {
    let e = engine("id: a\nlanguage: python\nrule:\n  any:\n    - pattern: eval($X)\n    - pattern: exec($X)\n");
    let out = e.analyse(
        &SourceFile {
            path: "a.py",
            lang: Some(Lang::Python),
            text: "exec(code)\n",
        },
        None,
    );
    assert_eq!(out.findings.len(), 1);
    let out = e.analyse(
        &SourceFile {
            path: "a.py",
            lang: Some(Lang::Python),
            text: "print(code)\n",
        },
        None,
    );
    assert!(!out.parsed);
}

fn nested(depth: usize) -> String {
    let mut s = String::with_capacity(depth * 2 + 40);
    s.push_str("fn f() { let x = ");
    s.push_str(&"(".repeat(depth));
    s.push_str("a.unwrap()");
    s.push_str(&")".repeat(depth));
    s.push_str("; }\n");
    s
}

/// 100,000 nested parentheses, on a test thread's default (2 MiB) stack.
#[test]
fn deep_nesting_survives_a_pattern_rule_and_a_query_rule() {
    let text = nested(100_000);
    let e = engine(
        "id: u\nlanguage: rust\nrule:\n  pattern: $X.unwrap()\n---\nid: q\nlanguage: rust\nquery: ((identifier) @match (#eq? @match \"a\"))\n---\nid: in-fn\nlanguage: rust\nrule:\n  pattern: $X.unwrap()\n  inside:\n    kind: function_item\n    stopBy: end\n",
    );
    let out = e.analyse(
        &SourceFile {
            path: "deep.rs",
            lang: Some(Lang::Rust),
            text: &text,
        },
        None,
    );
    assert!(out.parsed, "analysed");
    let ids: Vec<&str> = out.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, ["in-fn", "u"], "the pattern rules run at any depth");
    // tree-sitter's query cursor cannot go this deep: the query rule is not run, with a note.
    assert_eq!(out.notes.len(), 1, "{:?}", out.notes);
    assert!(out.notes[0].contains("`q` not run"), "{:?}", out.notes);

    // At a depth the query cursor handles, the query rule runs.
    let out = e.analyse(
        &SourceFile {
            path: "deep.rs",
            lang: Some(Lang::Rust),
            text: &nested(20_000),
        },
        None,
    );
    let ids: Vec<&str> = out.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, ["q", "in-fn", "u"], "sorted by start, then end");
    assert!(out.notes.is_empty());

    let js = format!("x = {}1{};\n", "[".repeat(100_000), "]".repeat(100_000));
    let e = engine("id: j\nlanguage: javascript\nrule:\n  kind: array\n  has:\n    kind: number\n");
    let out = e.analyse(
        &SourceFile {
            path: "deep.js",
            lang: Some(Lang::JavaScript),
            text: &js,
        },
        None,
    );
    assert!(out.parsed);
    assert_eq!(out.findings.len(), 1, "only the innermost array has a number child");
}

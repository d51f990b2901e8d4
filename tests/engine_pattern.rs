//! The pattern and query kinds end to end: rule text → policy → engine → findings.

use aigate::engine::lang::Lang;
use aigate::engine::source::{Position, SourceFile};
use aigate::engine::{Engine, EngineOptions, Finding};
use aigate::policy::{Policy, Severity};

fn engine(yaml: &str) -> Engine {
    let policy = Policy::from_yaml("test.yaml", yaml).unwrap_or_else(|e| panic!("{e}"));
    Engine::new(&policy).unwrap_or_else(|e| panic!("{e}"))
}

fn check(engine: &Engine, path: &str, text: &str) -> Vec<Finding> {
    let lang = Lang::from_path(std::path::Path::new(path));
    engine.check_file(&SourceFile { path, lang, text }, None)
}

const UNWRAP: &str = r#"
id: rust/no-unwrap
language: rust
severity: error
message: "`$RECV.unwrap()` panics"
rule:
  pattern: $RECV.unwrap()
fix: $RECV.expect("TODO")
"#;

#[test]
fn a_pattern_rule_reports_message_span_and_fix() {
    let e = engine(UNWRAP);
    let found = check(&e, "src/lib.rs", "fn f() {\n    let x = thing.unwrap();\n}\n");
    assert_eq!(found.len(), 1, "{found:?}");
    let f = &found[0];
    assert_eq!(f.rule_id, "rust/no-unwrap");
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.message, "`thing.unwrap()` panics");
    assert_eq!(f.path, "src/lib.rs");
    assert_eq!(f.start, Position { line: 2, column: 13 });
    assert_eq!(f.end, Position { line: 2, column: 27 });
    assert_eq!(f.waived, None);
    let fix = f.fix.as_ref().expect("the rule has a fix");
    assert_eq!(fix.replacement, "thing.expect(\"TODO\")");
    assert_eq!((fix.start, fix.end), (f.start, f.end));
}

#[test]
fn rules_apply_only_to_their_language_and_globs() {
    let yaml = format!("{UNWRAP}\nfiles: ['src/**']\nignores: ['src/generated/**']\n");
    let e = engine(&yaml);
    let text = "fn f() { a.unwrap(); }";
    assert_eq!(check(&e, "src/a.rs", text).len(), 1);
    assert!(check(&e, "tests/a.rs", text).is_empty(), "outside `files`");
    assert!(check(&e, "src/generated/a.rs", text).is_empty(), "in `ignores`");
    assert!(check(&e, "src/a.py", "a.unwrap()").is_empty(), "another language");
}

#[test]
fn severity_off_disables_a_rule() {
    let e = engine(&UNWRAP.replace("severity: error", "severity: off"));
    assert!(check(&e, "a.rs", "fn f() { a.unwrap(); }").is_empty());
}

#[test]
fn a_query_rule_honours_predicates_and_the_capture_key() {
    let yaml = r#"
id: py/eval-call
language: python
severity: warning
message: eval of dynamic input
query: |
  (call function: (identifier) @fn
    arguments: (argument_list . (_) @arg)
    (#any-of? @fn "eval" "exec")
    (#not-match? @arg "^\"")) @call
capture: arg
"#;
    let e = engine(yaml);
    let found = check(&e, "a.py", "eval(user)\nexec(\"const\")\nprint(x)\nexec(y)\n");
    let lines: Vec<(u32, u32)> = found.iter().map(|f| (f.start.line, f.start.column)).collect();
    assert_eq!(lines, [(1, 6), (4, 6)], "{found:?}");
    assert!(found.iter().all(|f| f.message == "eval of dynamic input"));

    // Without `capture:` the `@match` capture, else the first capture, is reported.
    let e = engine(&yaml.replace("capture: arg\n", "").replace("@call", "@match"));
    let found = check(&e, "a.py", "eval(user)\n");
    assert_eq!((found[0].start.column, found[0].end.column), (1, 11));
}

#[test]
fn eq_and_match_predicates_filter() {
    let yaml = r#"
id: js/console-log
language: javascript
message: no console.log
query: |
  ((call_expression
     function: (member_expression object: (identifier) @obj property: (property_identifier) @prop)) @match
   (#eq? @obj "console")
   (#match? @prop "^(log|debug)$"))
"#;
    let e = engine(yaml);
    let found = check(
        &e,
        "a.js",
        "console.log(1);\nconsole.error(2);\nfoo.log(3);\nconsole.debug(4);\n",
    );
    assert_eq!(found.iter().map(|f| f.start.line).collect::<Vec<_>>(), [1, 4]);
}

#[test]
fn size_limit_skips_with_a_reason() {
    let policy = Policy::from_yaml("t.yaml", UNWRAP).unwrap();
    let e = Engine::with_options(
        &policy,
        EngineOptions {
            max_file_size: 10,
            ..Default::default()
        },
    )
    .unwrap();
    let text = "fn f() { a.unwrap(); }";
    let out = e.analyse(
        &SourceFile {
            path: "a.rs",
            lang: Some(Lang::Rust),
            text,
        },
        None,
    );
    assert!(out.findings.is_empty());
    assert!(
        out.skipped.as_deref().is_some_and(|s| s.contains("size limit")),
        "{:?}",
        out.skipped
    );
}

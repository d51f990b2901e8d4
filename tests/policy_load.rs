//! Loading rule files: ast-grep's format unchanged, aigate's kinds, located errors, all-or-nothing.

use aigate::engine::Engine;
use aigate::engine::lang::Lang;
use aigate::engine::source::SourceFile;
use aigate::policy::{KindName, Policy, PolicyError, PolicyLoader, RuleError};

fn rule_error(yaml: &str) -> RuleError {
    match Policy::from_yaml("bad.yaml", yaml) {
        Err(PolicyError::Rule(e)) => *e,
        Err(other) => panic!("expected a located rule error, got {other}"),
        Ok(_) => panic!("expected the load to fail"),
    }
}

#[test]
fn an_unchanged_ast_grep_rule_file_loads_and_matches() {
    // utils, constraints, transform, fix, labels-free, several documents: as ast-grep users write them.
    let yaml = r#"
id: no-await-in-loop
language: TypeScript
severity: warning
message: Avoid await in a loop
note: Use Promise.all
utils:
  is-loop:
    any:
      - kind: for_statement
      - kind: for_in_statement
      - kind: while_statement
rule:
  pattern: await $PROMISE
  inside:
    matches: is-loop
    stopBy: end
metadata:
  docs: https://example.com
  level: 3
---
id: rename-log
language: ts
rule:
  pattern: console.$METHOD($$$ARGS)
constraints:
  METHOD:
    regex: ^(log|debug)$
transform:
  UPPER:
    convert:
      source: $METHOD
      toCase: upperCase
message: console.$METHOD is not allowed ($UPPER)
fix: logger.$METHOD($$$ARGS)
"#;
    let policy = Policy::from_yaml("sg.yaml", yaml).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(policy.invariants().len(), 2);
    let first = &policy.invariants()[0];
    assert_eq!(first.kind, KindName::Pattern);
    assert_eq!(first.language, Some(Lang::TypeScript));
    assert_eq!(first.origin.line, 2);
    assert_eq!(first.metadata.extra.get("level"), Some(&serde_json::json!(3)));
    assert_eq!(policy.invariants()[1].origin.line, 22);

    let engine = Engine::new(&policy).unwrap();
    let text = "async function f(xs) {\n  for (const x of xs) { await g(x); }\n  console.log(1, 2);\n  await h();\n}\n";
    let found = engine.check_file(
        &SourceFile {
            path: "a.ts",
            lang: Some(Lang::TypeScript),
            text,
        },
        None,
    );
    let got: Vec<(&str, u32)> = found.iter().map(|f| (f.rule_id.as_str(), f.start.line)).collect();
    assert_eq!(got, [("no-await-in-loop", 2), ("rename-log", 3)], "{found:?}");
    assert_eq!(found[1].message, "console.log is not allowed (LOG)");
    assert_eq!(
        found[1].fix.as_ref().map(|f| f.replacement.as_str()),
        Some("logger.log(1, 2)")
    );
}

#[test]
fn an_unsupported_language_names_it_and_the_supported_ones() {
    let e = rule_error("id: k\nlanguage: kotlin\nrule:\n  pattern: foo()\n");
    assert_eq!((e.line, e.column), (2, 11));
    assert_eq!(e.key.as_deref(), Some("language"));
    assert_eq!(e.rule_id.as_deref(), Some("k"));
    assert!(e.message.contains("kotlin"), "{}", e.message);
    assert!(e.help.contains("rust") && e.help.contains("typescript"), "{}", e.help);
}

#[test]
fn an_unknown_top_level_key_is_located() {
    let e = rule_error(
        "id: a\nlanguage: rust\nrule:\n  pattern: foo()\n---\nid: b\nlanguage: rust\nrulez:\n  pattern: x\n",
    );
    assert_eq!(e.line, 8, "{e}");
    assert_eq!(e.key.as_deref(), Some("rulez"));
    assert_eq!(e.rule_id.as_deref(), Some("b"));
    assert!(e.to_string().starts_with("bad.yaml:8:"), "{e}");
}

#[test]
fn a_bad_pattern_is_located_at_its_key() {
    let e = rule_error(
        "id: p\nlanguage: rust\nrule:\n  all:\n    - kind: call_expression\n    - pattern: \"let a = 1; let b = 2;\"\n",
    );
    assert_eq!(e.key.as_deref(), Some("rule.pattern"), "{e}");
    assert_eq!(e.line, 6, "{e}");
    assert_eq!(e.rule_id.as_deref(), Some("p"));
}

#[test]
fn an_unknown_rule_key_and_a_bad_regex_are_located() {
    let e = rule_error("id: p\nlanguage: rust\nrule:\n  patern: foo()\n");
    assert_eq!((e.line, e.key.as_deref()), (4, Some("rule.patern")), "{e}");
    let e = rule_error("id: r\nlanguage: rust\nrule:\n  kind: identifier\n  regex: \"(unclosed\"\n");
    assert_eq!((e.line, e.key.as_deref()), (5, Some("rule.regex")), "{e}");
    let e = rule_error("id: r\nlanguage: rust\nrule:\n  matches: nowhere\n");
    assert_eq!((e.line, e.key.as_deref()), (4, Some("rule.matches")), "{e}");
}

#[test]
fn bad_yaml_is_located() {
    let e = rule_error("id: a\nlanguage: rust\nrule:\n  pattern: [unclosed\n");
    assert!(e.line >= 4, "{e}");
    assert!(e.column >= 1);
}

#[test]
fn a_bad_query_is_located_inside_the_query() {
    let e = rule_error("id: q\nlanguage: python\nquery: |\n  (call\n    function: (nonexistent_kind) @f)\n");
    assert_eq!(e.key.as_deref(), Some("query"));
    assert_eq!(e.line, 5, "{e}");
    assert!(e.message.contains("nonexistent_kind"), "{e}");
    let e = rule_error("id: q\nlanguage: python\nquery: (call) @c\ncapture: nope\n");
    assert_eq!((e.line, e.key.as_deref()), (4, Some("capture")), "{e}");
    let e = rule_error("id: q\nlanguage: python\nquery: ((call) @c (#is? @c local))\n");
    assert!(e.message.contains("#is?"), "{e}");
}

#[test]
fn one_kind_per_document() {
    let e = rule_error("id: two\nlanguage: rust\nrule:\n  pattern: a\nquery: (identifier) @i\n");
    assert_eq!((e.line, e.key.as_deref()), (5, Some("query")), "{e}");
    let e = rule_error("id: none\nlanguage: rust\nmessage: hi\n");
    assert!(e.message.contains("nothing to check"), "{e}");
    let e = rule_error("language: rust\nrule:\n  pattern: a\n");
    assert_eq!(e.key.as_deref(), Some("id"));
}

#[test]
fn duplicate_ids_fail_and_nothing_loads_half() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.yaml"),
        "id: same\nlanguage: rust\nrule:\n  pattern: a()\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b.yaml"),
        "id: same\nlanguage: rust\nrule:\n  pattern: b()\n",
    )
    .unwrap();
    let err = PolicyLoader::new().builtin(false).path(dir.path()).load().unwrap_err();
    assert!(
        matches!(&err, PolicyError::DuplicateId { id, .. } if id == "same"),
        "{err}"
    );

    // A good file next to a bad one: the load fails as a whole (no partial policy is returned).
    std::fs::write(
        dir.path().join("b.yaml"),
        "id: other\nlanguage: cobol\nrule:\n  pattern: b()\n",
    )
    .unwrap();
    let err = PolicyLoader::new().builtin(false).path(dir.path()).load().unwrap_err();
    assert!(err.to_string().contains("b.yaml:2:"), "{err}");
}

#[test]
fn directories_skip_pack_and_signature_files_and_packs_can_be_off() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("arch");
    std::fs::create_dir_all(pack.join("deep")).unwrap();
    std::fs::write(pack.join("pack.yaml"), "description: layering\nenabled: false\n").unwrap();
    std::fs::write(
        pack.join("deep/r.yml"),
        "id: arch/r\nlanguage: rust\nrule:\n  pattern: a()\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("signatures.yaml"), "tools: []\n").unwrap();
    std::fs::write(
        dir.path().join("top.yaml"),
        "id: top\nlanguage: rust\nrule:\n  pattern: b()\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a rule").unwrap();
    let mut policy = PolicyLoader::new()
        .builtin(false)
        .path(dir.path())
        .load()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(policy.invariants().len(), 2);
    assert_eq!(
        policy.get("arch/r").and_then(|i| i.origin.pack.as_deref()),
        Some("arch")
    );
    let enabled: Vec<&str> = policy.enabled().map(|i| i.id.as_str()).collect();
    assert_eq!(enabled, ["top"]);
    let before = policy.digest();
    policy.enable_pack("arch").unwrap();
    assert_eq!(policy.enabled().count(), 2);
    assert_ne!(policy.digest(), before, "the digest covers what is enforced");
    assert!(matches!(
        policy.enable_pack("nope"),
        Err(PolicyError::UnknownPack { .. })
    ));
}

#[test]
fn the_digest_is_canonical() {
    let a = Policy::from_yaml(
        "a.yaml",
        "id: x\nlanguage: rust\nseverity: error\nrule:\n  pattern: a()\n",
    )
    .unwrap();
    // Same rule, other key order and formatting.
    let b = Policy::from_yaml(
        "b.yaml",
        "rule: {pattern: a()}\nseverity: error\nlanguage: rust\nid: x\n",
    )
    .unwrap();
    let c = Policy::from_yaml(
        "c.yaml",
        "id: x\nlanguage: rust\nseverity: warning\nrule:\n  pattern: a()\n",
    )
    .unwrap();
    assert_eq!(a.digest(), b.digest());
    assert_ne!(a.digest(), c.digest());
    assert_eq!(a.digest().len(), 64);
}

#[test]
fn the_builtin_packs_load_with_the_waiver_hygiene_invariants() {
    let policy = Policy::builtin().unwrap_or_else(|e| panic!("{e:?}"));
    for id in ["aigate/invalid-waiver", "aigate/unused-waiver"] {
        let inv = policy.get(id).unwrap_or_else(|| panic!("{id} is built in"));
        assert_eq!(inv.kind, KindName::Waiver);
        assert_eq!(inv.origin.pack.as_deref(), Some("governance"));
        assert!(inv.metadata.rationale.is_some());
        assert!(!inv.metadata.waivable);
    }
}

#[test]
fn errors_render_with_miette() {
    let err = Policy::from_yaml("bad.yaml", "id: k\nlanguage: kotlin\nrule:\n  pattern: foo()\n").unwrap_err();
    let report = miette::Report::new(err);
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .render_report(&mut out, report.as_ref())
        .unwrap();
    assert!(out.contains("language: kotlin"), "{out}");
    assert!(out.contains("bash, c, cpp"), "{out}");
}

#[test]
fn a_kind_spec_is_validated_at_load_time_and_located() {
    let e = rule_error("id: p\nseverity: error\npaths:\n  protect: [\"ci/[oops\"]\n");
    assert_eq!(e.key.as_deref(), Some("paths"), "{e}");
    assert_eq!(e.line, 4, "{e}");
    assert!(e.message.contains("ci/[oops"), "{e}");
    let e = rule_error("id: p\npaths:\n  protect: [a]\n  colour: red\n");
    assert!(e.to_string().contains("colour"), "{e}");
}

#[test]
fn a_bad_value_is_located_with_its_key() {
    let e = rule_error("id: a\nlanguage: rust\nseverity: fatal\nrule:\n  pattern: foo()\n");
    assert_eq!((e.line, e.column, e.key.as_deref()), (3, 11, Some("severity")), "{e}");
    assert_eq!(e.rule_id.as_deref(), Some("a"));
    let e = rule_error("id: a\nlanguage: rust\nrule:\n  pattern: foo()\nmetadata:\n  waivable: maybe\n");
    assert_eq!((e.line, e.key.as_deref()), (6, Some("waivable")), "{e}");
}

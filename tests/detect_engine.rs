//! The detect kinds through the engine: loaded from the embedded built-in packs by the policy
//! loader, run by `Engine::check_file` on each rule's own examples, and end to end with `aigate scan`.

use std::fs;
use std::path::Path;
use std::process::Command;

use aigate::engine::lang::Lang;
use aigate::engine::runner::{Engine, EngineOptions};
use aigate::engine::source::SourceFile;
use aigate::policy::{KindName, Policy};
use assert_cmd::cargo::CommandCargoExt;

#[test]
fn builtin_detect_rules_pass_their_examples_through_the_engine() {
    let policy = Policy::builtin().expect("built-in packs load");
    let mine: Vec<_> = policy
        .invariants()
        .iter()
        .filter(|i| {
            matches!(
                i.kind,
                KindName::Imports | KindName::Paths | KindName::Diff | KindName::Rust
            )
        })
        .collect();
    assert!(mine.len() >= 12, "{} detect invariants", mine.len());
    for inv in mine {
        let engine = Engine::from_invariants(vec![inv.clone()], EngineOptions::default()).expect("engine builds");
        let examples = &inv.metadata.examples;
        for (invalid, list) in [(true, &examples.invalid), (false, &examples.valid)] {
            for example in list {
                let (path, head, base) = example.parts();
                let path = path.unwrap_or("src/lib.rs");
                let lang = Lang::from_path(Path::new(path)).or(inv.language);
                let base = base.map(|text| SourceFile { path, lang, text });
                let findings = engine.check_file(&SourceFile { path, lang, text: head }, base.as_ref());
                assert_eq!(!findings.is_empty(), invalid, "{} on {path}: {findings:?}", inv.id);
                assert!(findings.iter().all(|f| f.rule_id == inv.id));
            }
        }
    }
}

#[test]
fn scan_reports_detect_findings_in_a_tree() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |rel: &str, text: &str| {
        let path = dir.path().join(rel);
        fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    };
    write(
        "src/domain/user.rs",
        "use sqlx::PgPool;\n\npub fn id(s: &str) -> u32 {\n    s.parse().unwrap()\n}\n",
    );
    write("src/infra/db.rs", "use sqlx::PgPool;\n");
    let out = Command::cargo_bin("aigate")
        .expect("binary")
        .current_dir(dir.path())
        .args(["scan", "--pack", "architecture", "--format", "json"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let found: Vec<(String, String, u64)> = report["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["rule_id"].as_str().unwrap_or("").to_owned(),
                        f["path"].as_str().unwrap_or("").to_owned(),
                        f["start"]["line"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert!(
        found.contains(&(
            "architecture/domain-imports-infrastructure".into(),
            "src/domain/user.rs".into(),
            1
        )),
        "{found:?}"
    );
    assert!(
        found.contains(&(
            "reliability/rust-panic-in-library".into(),
            "src/domain/user.rs".into(),
            4
        )),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|f| f.1 == "src/infra/db.rs" && f.0.starts_with("architecture/")),
        "{found:?}"
    );
}

//! Protected paths: which changes to which files are reported.

use aigate::engine::paths::{PathsSpec, check};
use aigate::engine::source::SourceFile;

const PROTECT: &str =
    "protect: ['.github/workflows/**', '**/CODEOWNERS', '.aigate.yml', 'rules/**', '**/migrations/**']";

fn spec(yaml: &str) -> PathsSpec {
    let spec: PathsSpec = serde_saphyr::from_str(yaml).expect("valid spec");
    spec.validate().expect("valid globs");
    spec
}

fn run(yaml: &str, base: Option<(&str, &str)>, head: (&str, &str)) -> Vec<String> {
    let base = base.map(|(path, text)| SourceFile { path, lang: None, text });
    let head = SourceFile {
        path: head.0,
        lang: None,
        text: head.1,
    };
    check(&spec(yaml), &head, base.as_ref())
        .into_iter()
        .map(|h| {
            assert_eq!(h.start.line, 1);
            h.detail.unwrap_or_default()
        })
        .collect()
}

#[test]
fn protected_files_touched_in_each_way() {
    let wf = ".github/workflows/ci.yml";
    assert_eq!(
        run(PROTECT, None, (wf, "on: push\n")),
        vec![format!("added `{wf}` (protected by `.github/workflows/**`)")]
    );
    assert_eq!(
        run(
            PROTECT,
            Some(("docs/CODEOWNERS", "* @a\n")),
            ("docs/CODEOWNERS", "* @b\n")
        )
        .len(),
        1
    );
    assert_eq!(
        run(PROTECT, Some(("CODEOWNERS", "* @a\n")), ("CODEOWNERS", "")),
        vec!["deleted `CODEOWNERS` (protected by `**/CODEOWNERS`)"]
    );
    assert_eq!(
        run(
            PROTECT,
            Some(("db/migrations/001.sql", "x")),
            ("db/migrations/001.sql", "y")
        )
        .len(),
        1
    );
    // Renaming a protected file away still touches it.
    assert_eq!(
        run(PROTECT, Some(("rules/a.yaml", "id: a\n")), ("attic/a.yaml", "id: a\n")),
        vec!["renamed `rules/a.yaml` to `attic/a.yaml` (protected by `rules/**`)"]
    );
}

#[test]
fn unchanged_or_unprotected_files_and_excluded_change_kinds_are_not_reported() {
    assert!(
        run(PROTECT, Some((".aigate.yml", "a: 1\n")), (".aigate.yml", "a: 1\n")).is_empty(),
        "unchanged"
    );
    assert!(run(PROTECT, None, ("src/main.rs", "fn main() {}\n")).is_empty());
    // `*` does not cross directories: a nested file with the same name is not the root config.
    assert!(run(PROTECT, None, ("sub/.aigate.yml", "")).is_empty());
    let only_deletes = "protect: ['**/migrations/**']\nchanges: [deleted]";
    assert!(run(only_deletes, None, ("db/migrations/002.sql", "create table t();\n")).is_empty());
    assert_eq!(
        run(
            only_deletes,
            Some(("db/migrations/001.sql", "x")),
            ("db/migrations/001.sql", "")
        )
        .len(),
        1
    );
}

#[test]
fn bad_specs_are_load_errors() {
    assert!(serde_saphyr::from_str::<PathsSpec>("protect: ['a']\nchanges: [touched]").is_err());
    assert!(serde_saphyr::from_str::<PathsSpec>("protect: ['a']\nextra: 1").is_err());
    let bad: PathsSpec = serde_saphyr::from_str("protect: ['a/{b']").expect("shape is fine");
    assert!(bad.validate().is_err());
    let empty: PathsSpec = serde_saphyr::from_str("protect: []").expect("shape is fine");
    assert!(empty.validate().is_err());
}

//! The rule files of the non-pattern kinds: each loads into its spec and passes its own examples
//! (invalid ones produce a hit, valid ones none), checked here without the policy loader.

use std::path::Path;

use aigate::engine::diff::DiffSpec;
use aigate::engine::imports::ImportsSpec;
use aigate::engine::lang::Lang;
use aigate::engine::paths::PathsSpec;
use aigate::engine::rust::RustSpec;
use aigate::engine::source::{Hit, SourceFile};
use serde::Deserialize;

const FILES: &[&str] = &[
    "rules/governance/protected-paths.yaml",
    "rules/governance/tests.yaml",
    "rules/governance/suppressions.yaml",
    "rules/governance/dependencies.yaml",
    "rules/governance/rust-api.yaml",
    "rules/reliability/rust-unsafe.yaml",
    "rules/reliability/rust-panics.yaml",
    "rules/security/secrets.yaml",
    "rules/architecture/layering.yaml",
];

#[derive(Deserialize)]
#[serde(untagged)]
enum Example {
    Text(String),
    File {
        path: Option<String>,
        head: Option<String>,
        base: Option<String>,
    },
}

#[derive(Deserialize)]
struct Examples {
    invalid: Vec<Example>,
    valid: Vec<Example>,
}

#[derive(Deserialize)]
struct Metadata {
    rationale: String,
    #[allow(dead_code)]
    owner: String,
    #[serde(default)]
    #[allow(dead_code)]
    waivable: Option<bool>,
    examples: Examples,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    id: String,
    language: Option<String>,
    #[allow(dead_code)]
    severity: String,
    message: String,
    note: String,
    paths: Option<PathsSpec>,
    diff: Option<DiffSpec>,
    rust: Option<RustSpec>,
    imports: Option<ImportsSpec>,
    metadata: Metadata,
}

impl Rule {
    fn check(&self, head: &SourceFile<'_>, base: Option<&SourceFile<'_>>) -> Vec<Hit> {
        use aigate::engine::{diff, imports, paths, rust};
        match (&self.paths, &self.diff, &self.rust, &self.imports) {
            (Some(s), None, None, None) => paths::check(s, head, base),
            (None, Some(s), None, None) => diff::check(s, head, base),
            (None, None, Some(s), None) => rust::check(s, head, base),
            (None, None, None, Some(s)) => imports::check(s, head, base),
            _ => panic!("{}: exactly one kind", self.id),
        }
    }

    fn validate(&self) -> Result<(), String> {
        self.paths.as_ref().map_or(Ok(()), PathsSpec::validate)?;
        self.diff.as_ref().map_or(Ok(()), DiffSpec::validate)?;
        self.rust.as_ref().map_or(Ok(()), RustSpec::validate)?;
        self.imports.as_ref().map_or(Ok(()), ImportsSpec::validate)
    }
}

fn run(rule: &Rule, example: &Example) -> Vec<Hit> {
    let (path, head, base) = match example {
        Example::Text(text) => (None, text.as_str(), None),
        Example::File { path, head, base } => (path.as_deref(), head.as_deref().unwrap_or(""), base.as_deref()),
    };
    let path = path.unwrap_or("src/lib.rs");
    let lang = Lang::from_path(Path::new(path)).or_else(|| rule.language.as_deref().and_then(Lang::from_name));
    let base = base.map(|text| SourceFile { path, lang, text });
    rule.check(&SourceFile { path, lang, text: head }, base.as_ref())
}

#[test]
fn every_rule_loads_and_passes_its_examples() {
    let mut ids = Vec::new();
    for file in FILES {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).expect("rule file exists");
        let rules: Vec<Rule> = serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        for rule in &rules {
            let pack = file.split('/').nth(1).unwrap_or_default();
            assert!(
                rule.id.starts_with(&format!("{pack}/")),
                "{}: id must start with its pack",
                rule.id
            );
            assert!(!rule.message.is_empty() && !rule.note.is_empty() && !rule.metadata.rationale.is_empty());
            rule.validate().unwrap_or_else(|e| panic!("{}: {e}", rule.id));
            assert!(
                !rule.metadata.examples.invalid.is_empty() && !rule.metadata.examples.valid.is_empty(),
                "{}",
                rule.id
            );
            for (i, example) in rule.metadata.examples.invalid.iter().enumerate() {
                assert!(
                    !run(rule, example).is_empty(),
                    "{}: invalid example {i} found nothing",
                    rule.id
                );
            }
            for (i, example) in rule.metadata.examples.valid.iter().enumerate() {
                let hits = run(rule, example);
                assert!(hits.is_empty(), "{}: valid example {i} gave {hits:?}", rule.id);
            }
            ids.push(rule.id.clone());
        }
    }
    ids.sort();
    let count = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), count, "rule ids are unique");
    assert!(count >= 12, "{count} invariants");
}

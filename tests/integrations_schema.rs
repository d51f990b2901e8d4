//! The shipped integrations are valid against the official schemas in ../shared/schemas.

use serde_json::Value;

fn schema(name: &str) -> jsonschema::Validator {
    let path = format!("{}/../shared/schemas/{name}", env!("CARGO_MANIFEST_DIR"));
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e} (CI lays shared/ beside the repo)"));
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::options().build(&schema).expect("schema compiles")
}

fn yaml(path: &str) -> Value {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("read {full}: {e}"));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"))
}

fn assert_valid(schema_name: &str, path: &str) {
    let doc = yaml(path);
    let validator = schema(schema_name);
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{path} is not valid against {schema_name}:\n{}",
        errors.join("\n")
    );
}

#[test]
fn action_is_valid() {
    assert_valid("github-action.schema.json", "action/action.yml");
    let action = yaml("action/action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    assert!(action["outputs"]["verdict"].is_object());
}

#[test]
fn example_workflow_is_valid_with_full_history_and_merge_queue() {
    assert_valid("github-workflow.schema.json", "action/example-workflow.yml");
    let wf = yaml("action/example-workflow.yml");
    assert!(wf["on"]["merge_group"].is_null() || wf["on"].get("merge_group").is_some());
    assert_eq!(wf["jobs"]["aigate"]["steps"][0]["with"]["fetch-depth"], 0);
}

#[test]
fn gitlab_template_is_valid() {
    assert_valid("gitlab-ci.schema.json", "ci-templates/aigate.gitlab-ci.yml");
    let t = yaml("ci-templates/aigate.gitlab-ci.yml");
    assert_eq!(t["aigate"]["variables"]["GIT_DEPTH"], "0");
    assert_eq!(
        t["aigate"]["artifacts"]["reports"]["codequality"],
        "gl-code-quality.json"
    );
}

/// A schema that accepts anything would make these tests vacuous: prove each rejects a broken file.
#[test]
fn schemas_reject_broken_files() {
    let bad_action: Value = serde_json::json!({ "name": "x", "runs": { "using": "teleport" } });
    assert!(!schema("github-action.schema.json").is_valid(&bad_action));
    let bad_job: Value = serde_json::json!({ "aigate": { "script": 42 } });
    assert!(!schema("gitlab-ci.schema.json").is_valid(&bad_job));
}

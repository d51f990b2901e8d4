//! The shipped integrations (the GitHub Action and its example workflow, the release workflow, the GitLab
//! template and CI/CD component) are valid against the official schemas in ../shared/schemas, and agree
//! with each other on what they install and how.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;
use serde_json::{Value, json};

/// The targets the release workflow builds and the installers know.
const TARGETS: [&str; 4] = [
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
];

fn text(path: &str) -> String {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("read {full}: {e}"))
}

fn schema(name: &str) -> jsonschema::Validator {
    let path = format!("{}/../shared/schemas/{name}", env!("CARGO_MANIFEST_DIR"));
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e} (CI lays shared/ beside the repo)"));
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::options().build(&schema).expect("schema compiles")
}

fn yaml(path: &str) -> Value {
    serde_saphyr::from_str(&text(path)).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"))
}

fn assert_doc_valid(schema_name: &str, what: &str, doc: &Value) {
    let errors: Vec<String> = schema(schema_name)
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} is not valid against {schema_name}:\n{}",
        errors.join("\n")
    );
}

fn assert_valid(schema_name: &str, path: &str) {
    assert_doc_valid(schema_name, path, &yaml(path));
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not a mapping: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

fn set<'a>(items: &[&'a str]) -> BTreeSet<&'a str> {
    items.iter().copied().collect()
}

fn str_of<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str().unwrap_or_else(|| panic!("{what} is not a string: {v}"))
}

/// The pinned lines of a sha256sum-format list: `<sha256>  <file>`, comments and blank lines left out.
fn pins(list: &str) -> BTreeSet<String> {
    list.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

fn action_pins() -> BTreeSet<String> {
    pins(&text("action/checksums.sha256"))
}

/// Every `uses:` reference in a workflow or action.
fn uses(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    if k == "uses"
                        && let Some(s) = v.as_str()
                    {
                        out.push(s.to_owned());
                    }
                    walk(v, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(doc, &mut out);
    out
}

fn pinned_to_commit(reference: &str) -> bool {
    Regex::new(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
        .unwrap()
        .is_match(reference)
}

// ---------------------------------------------------------------- the GitHub Action

#[test]
fn action_is_valid_and_declares_its_interface() {
    assert_valid("github-action.schema.json", "action/action.yml");
    let action = yaml("action/action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    assert_eq!(
        keys(&action["inputs"]),
        set(&[
            "version",
            "policy",
            "scope",
            "fail-open",
            "sarif-file",
            "upload-sarif",
            "commit-status",
            "ledger-url",
            "ledger-token",
            "token"
        ])
    );
    assert_eq!(
        keys(&action["outputs"]),
        set(&["verdict", "findings", "blocking", "reason", "sarif-file"])
    );
    assert_eq!(action["inputs"]["token"]["default"], "${{ github.token }}");
    for (name, input) in action["inputs"].as_object().unwrap() {
        assert_eq!(input["required"], false, "input {name} must be optional");
    }
    // The outputs are the ones aigate writes to GITHUB_OUTPUT in the step with id `check`.
    for (name, output) in action["outputs"].as_object().unwrap() {
        let value = str_of(&output["value"], name);
        let written = if name == "sarif-file" { "sarif" } else { name };
        assert_eq!(
            value,
            format!("${{{{ steps.check.outputs.{written} }}}}"),
            "output {name}"
        );
    }
}

#[test]
fn action_never_interpolates_expressions_into_the_shell() {
    let action = yaml("action/action.yml");
    let steps = action["runs"]["steps"].as_array().unwrap();
    let mut scripts = 0;
    for step in steps {
        if let Some(run) = step["run"].as_str() {
            scripts += 1;
            assert!(
                !run.contains("${{"),
                "step {:?} interpolates an expression into its script (injection): pass it through env",
                step["name"]
            );
        }
    }
    assert!(scripts >= 2, "the install and check steps are scripts");

    // Every declared input is used, and only declared inputs are referenced.
    let source = text("action/action.yml");
    let referenced: BTreeSet<String> = Regex::new(r"inputs\.([A-Za-z0-9_-]+)")
        .unwrap()
        .captures_iter(&source)
        .map(|c| c[1].to_owned())
        .collect();
    let declared: BTreeSet<String> = keys(&action["inputs"]).into_iter().map(str::to_owned).collect();
    assert_eq!(referenced, declared, "inputs referenced vs declared");
}

#[test]
fn action_installs_the_pinned_release_then_checks_then_uploads_sarif() {
    let action = yaml("action/action.yml");
    let steps = action["runs"]["steps"].as_array().unwrap();
    let install = &steps[0];
    assert!(str_of(&install["run"], "install run").contains("$GITHUB_ACTION_PATH/install.sh"));
    assert_eq!(install["env"]["AIGATE_VERSION"], "${{ inputs.version }}");

    let check = steps.iter().find(|s| s["id"] == "check").expect("a step with id check");
    let run = str_of(&check["run"], "check run");
    assert!(
        run.contains("aigate \"${args[@]}\""),
        "the check step runs aigate:\n{run}"
    );
    for flag in [
        "--policy",
        "--scope",
        "--fail-open",
        "--sarif",
        "--commit-status",
        "--ledger",
    ] {
        assert!(run.contains(&format!("({flag}")), "the check step passes {flag}");
    }
    assert!(run.contains("AIGATE_GITHUB_TOKEN") && run.contains("AIGATE_LEDGER_TOKEN"));

    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("a step uploading SARIF");
    let condition = str_of(&upload["if"], "upload if");
    assert!(condition.contains("always()"), "upload also after a blocking verdict");
    assert!(
        condition.contains("inputs.upload-sarif == 'true'"),
        "upload only when enabled"
    );
    assert_eq!(upload["with"]["category"], "aigate");
    assert_eq!(upload["with"]["sarif_file"], "${{ steps.check.outputs.sarif }}");
}

#[test]
fn third_party_actions_are_pinned_to_commits() {
    for path in [
        "action/action.yml",
        "action/example-workflow.yml",
        ".github/workflows/release.yml",
    ] {
        let refs = uses(&yaml(path));
        assert!(!refs.is_empty(), "{path} uses no actions?");
        for r in refs {
            if r.starts_with("aigate-dev/aigate/") {
                assert!(
                    !r.ends_with("@main") && !r.ends_with("@master"),
                    "{path}: pin {r} to a release"
                );
                continue;
            }
            assert!(pinned_to_commit(&r), "{path}: {r} is not pinned to a commit sha");
        }
    }
    assert!(!pinned_to_commit("actions/checkout@v7"));
}

#[test]
fn example_workflow_is_valid_least_privilege_with_full_history_and_merge_queue() {
    assert_valid("github-workflow.schema.json", "action/example-workflow.yml");
    let wf = yaml("action/example-workflow.yml");
    assert_eq!(keys(&wf["on"]), set(&["pull_request", "merge_group"]));
    assert_eq!(wf["permissions"], json!({}), "no workflow-wide permissions");
    // The job is named aigate: the required check (README: Making aigate a required check).
    let job = &wf["jobs"]["aigate"];
    assert!(job.is_object() && job.get("name").is_none());
    assert_eq!(
        job["permissions"],
        json!({ "contents": "read", "checks": "write", "pull-requests": "write" })
    );
    assert!(job.get("continue-on-error").is_none());
    let steps = job["steps"].as_array().unwrap();
    assert!(str_of(&steps[0]["uses"], "checkout").starts_with("actions/checkout@"));
    assert_eq!(steps[0]["with"]["fetch-depth"], 0);
    assert!(steps.iter().any(|s| {
        s["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("aigate-dev/aigate/action@"))
    }));
}

/// The README's "In CI" shows the example workflow as it is (comments aside).
#[test]
fn readme_shows_the_example_workflow() {
    let readme = text("README.md");
    let section = &readme[readme.find("\n## In CI\n").expect("an In CI section")..];
    let start = section
        .find("```yaml\nname: aigate\n")
        .expect("the example workflow in In CI")
        + "```yaml\n".len();
    let block = &section[start..];
    let shown: Value = serde_saphyr::from_str(&block[..block.find("```").unwrap()]).unwrap();
    assert_eq!(shown, yaml("action/example-workflow.yml"));
}

// ---------------------------------------------------------------- releases and pins

#[test]
fn release_workflow_is_valid_and_builds_every_target_with_least_privilege() {
    assert_valid("github-workflow.schema.json", ".github/workflows/release.yml");
    let wf = yaml(".github/workflows/release.yml");
    assert_eq!(wf["on"], json!({ "push": { "tags": ["v*"] } }));
    assert_eq!(wf["permissions"], json!({}), "no workflow-wide permissions");

    let jobs = wf["jobs"].as_object().unwrap();
    let writers: BTreeMap<&str, &Value> = jobs
        .iter()
        .filter(|(_, job)| {
            job["permissions"]
                .as_object()
                .is_some_and(|p| p.values().any(|v| v == "write"))
        })
        .map(|(name, job)| (name.as_str(), &job["permissions"]))
        .collect();
    assert_eq!(
        writers,
        BTreeMap::from([("release", &json!({ "contents": "write" }))]),
        "only the release job writes, and only contents"
    );
    for (name, job) in jobs {
        assert!(job["permissions"].is_object(), "job {name} states its permissions");
    }

    let build = &wf["jobs"]["build"];
    let targets: BTreeSet<&str> = build["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| str_of(&m["target"], "matrix target"))
        .collect();
    assert_eq!(targets, set(&TARGETS));
    let source = text(".github/workflows/release.yml");
    assert!(source.contains("cargo build --release --locked --target \"$TARGET\""));
    assert!(source.contains("name=\"aigate-v$VERSION-$TARGET\"") && source.contains("\"dist/$name.tar.gz\""));
    assert!(source.contains("sha256sum aigate-v*.tar.gz > SHA256SUMS"));
    assert!(source.contains("gh release create"));

    // What is built is what the installers look for.
    let install = text("action/install.sh");
    let gitlab = text("ci-templates/aigate.gitlab-ci.yml");
    for target in TARGETS {
        assert!(install.contains(target), "action/install.sh does not know {target}");
        assert!(gitlab.contains(target), "the GitLab installer does not know {target}");
    }
    assert!(install.contains("aigate-v$version-$target.tar.gz"));
}

#[test]
fn pinned_checksums_are_well_formed() {
    let line = Regex::new(r"^[0-9a-f]{64}  aigate-v\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?-([a-z0-9_]+-[a-z0-9_-]+)\.tar\.gz$")
        .unwrap();
    let mut assets = BTreeSet::new();
    for pin in action_pins() {
        let caps = line
            .captures(&pin)
            .unwrap_or_else(|| panic!("not a sha256sum line of a release archive: {pin}"));
        assert!(TARGETS.contains(&&caps[2]), "unknown target in {pin}");
        let asset = pin[66..].to_owned();
        assert!(assets.insert(asset), "pinned twice: {pin}");
    }
    assert!(!line.is_match("abc  aigate-v0.1.0-x86_64-unknown-linux-gnu.tar.gz"));
}

/// The version the integrations install by default is one they can vouch for: pinned for every target,
/// or the crate's own version (built from source until it is released and pinned).
#[test]
fn default_versions_agree_and_are_installable() {
    let action = yaml("action/action.yml");
    let version = str_of(&action["inputs"]["version"]["default"], "action version").to_owned();
    let template = yaml("ci-templates/aigate.gitlab-ci.yml");
    assert_eq!(template["aigate"]["variables"]["AIGATE_VERSION"], version.as_str());
    let (spec, _) = component();
    assert_eq!(spec["spec"]["inputs"]["version"]["default"], version.as_str());

    let pinned: BTreeSet<String> = action_pins().iter().map(|p| p[66..].to_owned()).collect();
    let all_pinned = TARGETS
        .iter()
        .all(|t| pinned.contains(&format!("aigate-v{version}-{t}.tar.gz")));
    assert!(
        all_pinned || version == env!("CARGO_PKG_VERSION"),
        "default version {version} is neither pinned for every target nor the crate version {}",
        env!("CARGO_PKG_VERSION")
    );
}

#[test]
fn gitlab_pins_are_the_actions_pins() {
    let template = yaml("ci-templates/aigate.gitlab-ci.yml");
    let (_, job) = component();
    for (what, sums) in [
        ("template", &template["aigate"]["variables"]["AIGATE_SHA256SUMS"]),
        ("component", &job["aigate"]["variables"]["AIGATE_SHA256SUMS"]),
    ] {
        assert_eq!(
            pins(str_of(sums, what)),
            action_pins(),
            "the {what}'s AIGATE_SHA256SUMS"
        );
    }
}

// ---------------------------------------------------------------- GitLab

fn assert_merge_request_job(job: &Value, what: &str) {
    assert_eq!(job["variables"]["GIT_DEPTH"], "0", "{what}: full history");
    assert_eq!(
        job["rules"],
        json!([{ "if": "$CI_PIPELINE_SOURCE == \"merge_request_event\"" }]),
        "{what}: MR pipelines"
    );
    assert!(
        job.get("allow_failure").is_none_or(|v| v == false),
        "{what}: a gate that may fail blocks nothing"
    );
    assert!(job.get("when").is_none(), "{what}: not manual");
    assert_eq!(job["artifacts"]["when"], "always", "{what}: reports also after a block");
    let script = job["script"].as_array().unwrap();
    assert_eq!(script.len(), 2, "{what}: install, then check");
    let install = str_of(&script[0], "install");
    assert!(install.contains("AIGATE_SHA256SUMS") && install.contains("sha256sum"));
    assert!(install.contains("cargo install --locked"));
    let check = str_of(&script[1], "check");
    assert!(check.contains("check --codequality \"$AIGATE_CODEQUALITY_FILE\" --sarif \"$AIGATE_SARIF_FILE\""));
    assert!(check.contains("aigate \"$@\""));
}

#[test]
fn gitlab_template_is_valid() {
    assert_valid("gitlab-ci.schema.json", "ci-templates/aigate.gitlab-ci.yml");
    let t = yaml("ci-templates/aigate.gitlab-ci.yml");
    assert_eq!(keys(&t), set(&["aigate"]));
    let job = &t["aigate"];
    assert_merge_request_job(job, "template");
    // The report paths are literal (artifacts are collected by the runner) and match the variables.
    assert_eq!(job["variables"]["AIGATE_CODEQUALITY_FILE"], "gl-code-quality.json");
    assert_eq!(job["artifacts"]["reports"]["codequality"], "gl-code-quality.json");
    assert_eq!(
        job["artifacts"]["paths"],
        json!([job["variables"]["AIGATE_SARIF_FILE"]])
    );
    assert_eq!(job["variables"]["AIGATE_FAIL_OPEN"], "false");
}

/// The component's two documents: the `spec` header and the job.
fn component() -> (Value, Value) {
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text("templates/aigate.yml"))
        .unwrap_or_else(|e| panic!("templates/aigate.yml is not YAML: {e}"));
    assert_eq!(docs.len(), 2, "templates/aigate.yml: a spec document, `---`, the job");
    let mut docs = docs.into_iter();
    (docs.next().unwrap(), docs.next().unwrap())
}

/// The component's job text with `$[[ inputs.NAME ]]` replaced as GitLab does for a block that is the
/// whole value: by the input's typed value.
fn interpolate(job_text: &str, inputs: &BTreeMap<String, Value>) -> String {
    let block = Regex::new(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]").unwrap();
    block
        .replace_all(job_text, |c: &regex::Captures| {
            let value = inputs.get(&c[1]).unwrap_or_else(|| panic!("no input {}", &c[1]));
            serde_json::to_string(value).unwrap()
        })
        .into_owned()
}

fn component_job_text() -> String {
    let source = text("templates/aigate.yml");
    let (_, job) = source.split_once("\n---\n").expect("a `---` line after the spec");
    job.to_owned()
}

#[test]
fn gitlab_component_spec_declares_typed_inputs() {
    let (spec, _) = component();
    assert_eq!(keys(&spec), set(&["spec"]));
    assert_doc_valid("gitlab-ci.schema.json", "the component's spec document", &spec);
    let inputs = &spec["spec"]["inputs"];
    let types: BTreeMap<&str, &str> = inputs
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, input)| (name.as_str(), input["type"].as_str().unwrap_or("string")))
        .collect();
    assert_eq!(
        types,
        BTreeMap::from([
            ("stage", "string"),
            ("version", "string"),
            ("policy", "string"),
            ("scope", "string"),
            ("fail-open", "boolean"),
            ("codequality-file", "string"),
            ("sarif-file", "string"),
            ("image", "string"),
        ])
    );
    for (name, input) in inputs.as_object().unwrap() {
        assert!(
            input.get("default").is_some(),
            "input {name} needs a default: including needs no inputs"
        );
        assert!(input["description"].is_string(), "input {name} is described");
    }
    assert_eq!(inputs["fail-open"]["default"], false);
    assert_eq!(inputs["codequality-file"]["default"], "gl-code-quality.json");
    // The input regexes accept their defaults and what the README documents, and refuse the rest.
    let scope = Regex::new(str_of(&inputs["scope"]["regex"], "scope regex")).unwrap();
    for ok in ["", "ai-lines", "ai-files", "changed-lines", "all"] {
        assert!(scope.is_match(ok), "scope {ok:?}");
    }
    assert!(!scope.is_match("everything"));
    let version = Regex::new(str_of(&inputs["version"]["regex"], "version regex")).unwrap();
    assert!(version.is_match(str_of(&inputs["version"]["default"], "version default")));
    assert!(version.is_match("v1.2.3") && version.is_match("1.2.3-rc.1"));
    assert!(!version.is_match("main") && !version.is_match("1.2.3; curl x | sh"));
}

#[test]
fn gitlab_component_job_is_valid_and_uses_only_declared_inputs() {
    let (spec, job) = component();
    // As written (the `$[[ ]]` blocks are strings to the schema) ...
    assert_doc_valid("gitlab-ci.schema.json", "the component's job document", &job);
    // ... and as GitLab interpolates it with the defaults.
    let defaults: BTreeMap<String, Value> = spec["spec"]["inputs"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, input)| (name.clone(), input["default"].clone()))
        .collect();
    let job_text = component_job_text();
    let interpolated: Value = serde_saphyr::from_str(&interpolate(&job_text, &defaults)).unwrap();
    assert_doc_valid("gitlab-ci.schema.json", "the interpolated component job", &interpolated);

    let used: BTreeSet<String> = Regex::new(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]")
        .unwrap()
        .captures_iter(&job_text)
        .map(|c| c[1].to_owned())
        .collect();
    let declared: BTreeSet<String> = defaults.keys().cloned().collect();
    assert_eq!(used, declared, "inputs used in the job vs declared in the spec");
    assert!(
        !Regex::new(r"\$\[\[")
            .unwrap()
            .is_match(&text("ci-templates/aigate.gitlab-ci.yml")),
        "the include-able template has no inputs"
    );

    let job = &interpolated["aigate"];
    assert_merge_request_job(job, "component");
    assert_eq!(job["stage"], "test");
    assert_eq!(job["artifacts"]["reports"]["codequality"], "gl-code-quality.json");
    assert_eq!(job["variables"]["AIGATE_FAIL_OPEN"], false);
    assert_eq!(
        job["artifacts"]["reports"]["codequality"],
        job["variables"]["AIGATE_CODEQUALITY_FILE"]
    );
    assert_eq!(
        job["artifacts"]["paths"],
        json!([job["variables"]["AIGATE_SARIF_FILE"]])
    );
}

/// The component is the template's job with inputs: the same scripts, rules, artifacts and pins.
#[test]
fn gitlab_component_and_template_are_the_same_job() {
    let (spec, _) = component();
    let defaults: BTreeMap<String, Value> = spec["spec"]["inputs"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, input)| (name.clone(), input["default"].clone()))
        .collect();
    let component: Value = serde_saphyr::from_str(&interpolate(&component_job_text(), &defaults)).unwrap();
    let (c, t) = (
        &component["aigate"],
        &yaml("ci-templates/aigate.gitlab-ci.yml")["aigate"],
    );
    for key in ["stage", "image", "needs", "rules", "script", "artifacts"] {
        assert_eq!(c[key], t[key], "{key} differs between the component and the template");
    }
    for var in [
        "GIT_DEPTH",
        "AIGATE_VERSION",
        "AIGATE_SCOPE",
        "AIGATE_CODEQUALITY_FILE",
        "AIGATE_SARIF_FILE",
        "AIGATE_SHA256SUMS",
    ] {
        assert_eq!(c["variables"][var], t["variables"][var], "variable {var}");
    }
}

// ---------------------------------------------------------------- the schemas are not vacuous

/// A schema that accepts anything would make these tests vacuous: prove each rejects a broken file.
#[test]
fn schemas_reject_broken_files() {
    let bad_action: Value = json!({ "name": "x", "runs": { "using": "teleport" } });
    assert!(!schema("github-action.schema.json").is_valid(&bad_action));
    let bad_job: Value = json!({ "aigate": { "script": 42 } });
    assert!(!schema("gitlab-ci.schema.json").is_valid(&bad_job));
    let bad_workflow: Value = json!({ "on": "push", "jobs": { "build": { "steps": "cargo build" } } });
    assert!(!schema("github-workflow.schema.json").is_valid(&bad_workflow));
    // Each pair differs in one place: the schema accepts the first and rejects the second.
    let workflow = json!({
        "on": "push",
        "permissions": { "contents": "read" },
        "jobs": { "b": { "runs-on": "x", "steps": [{ "run": "true" }] } }
    });
    let mut admin = workflow.clone();
    admin["permissions"]["contents"] = json!("admin");
    assert!(schema("github-workflow.schema.json").is_valid(&workflow));
    assert!(!schema("github-workflow.schema.json").is_valid(&admin));
    let spec = json!({ "spec": { "inputs": { "fail-open": { "type": "boolean", "default": false } } } });
    let mut bad_default = spec.clone();
    bad_default["spec"]["inputs"]["fail-open"]["default"] = json!("no");
    let mut bad_type = spec.clone();
    bad_type["spec"]["inputs"]["fail-open"]["type"] = json!("bool");
    assert!(schema("gitlab-ci.schema.json").is_valid(&spec));
    assert!(!schema("gitlab-ci.schema.json").is_valid(&bad_default));
    assert!(!schema("gitlab-ci.schema.json").is_valid(&bad_type));
}

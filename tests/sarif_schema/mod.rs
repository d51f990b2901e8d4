//! The official SARIF 2.1.0 schema (from ../shared/schemas), compiled once per test binary.
#![allow(dead_code)]

use serde_json::Value;

/// The official schema, with the one pattern Rust's regex engine cannot compile patched in memory.
pub fn sarif_validator() -> jsonschema::Validator {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/schemas/sarif-schema-2.1.0.json");
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e} (CI lays shared/ beside the repo)"));
    let mut schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    patch_patterns(&mut schema);
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles")
}

fn patch_patterns(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(p)) = map.get("pattern")
                && regex::Regex::new(p).is_err()
            {
                map.insert("pattern".into(), Value::String(".*".into()));
            }
            map.values_mut().for_each(patch_patterns);
        }
        Value::Array(items) => items.iter_mut().for_each(patch_patterns),
        _ => {}
    }
}

pub fn assert_valid_sarif(sarif: &Value) {
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF is not valid 2.1.0:\n{}", errors.join("\n"));
}

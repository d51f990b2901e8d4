//! The OpenAPI 3.1 description served at `GET /v1/openapi.json`. Hand-built: a test checks that
//! every documented operation exists on the router and every route of [`super::routes`] is
//! documented, so the two cannot drift.

use serde_json::{Value, json};

fn error_responses(auth: bool) -> Value {
    let err = json!({"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let mut r = serde_json::Map::new();
    r.insert(
        "400".into(),
        json!({"description": "malformed request: the reason is in `error`", "content": err["content"].clone()}),
    );
    if auth {
        r.insert(
            "401".into(),
            json!({"description": "missing or unknown bearer token", "content": err["content"].clone()}),
        );
        r.insert(
            "403".into(),
            json!({"description": "the token's role may not do this", "content": err["content"].clone()}),
        );
    }
    Value::Object(r)
}

fn ok(status: &str, description: &str, schema: Value, auth: bool) -> Value {
    let mut responses = error_responses(auth);
    responses[status] = json!({"description": description, "content": {"application/json": {"schema": schema}}});
    responses
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn page_of(name: &str) -> Value {
    json!({"type": "object", "required": ["items", "next_cursor"], "properties": {
        "items": {"type": "array", "items": schema_ref(name)},
        "next_cursor": {"type": ["string", "null"], "description": "pass as `cursor` for the next page; null on the last"}
    }})
}

fn list_parameters() -> Value {
    let q = |name: &str, description: &str, schema: Value| json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema});
    json!([
        q("repo", "only this repository", json!({"type": "string"})),
        q("rule", "only this rule id (corrections)", json!({"type": "string"})),
        q(
            "tool",
            "only this AI tool (runs: the tool of the first AI commit)",
            json!({"type": "string"})
        ),
        q(
            "author",
            "only this human author (corrections)",
            json!({"type": "string"})
        ),
        q(
            "kind",
            "correction kind (fix, waiver, manual) or run verdict (pass, block, error)",
            json!({"type": "string"})
        ),
        q(
            "since",
            "recorded at or after this RFC 3339 time",
            json!({"type": "string", "format": "date-time"})
        ),
        q(
            "cursor",
            "the `next_cursor` of the previous page",
            json!({"type": "string"})
        ),
        q(
            "limit",
            "page size, 1 to 1000 (default 100)",
            json!({"type": "integer", "minimum": 1, "maximum": 1000})
        ),
    ])
}

fn idempotency_header(required: bool) -> Value {
    json!([{"name": "Idempotency-Key", "in": "header", "required": required,
        "description": "makes the write idempotent: a repeat answers with the original record (200) instead of a second one",
        "schema": {"type": "string", "maxLength": 1024}}])
}

fn body(name: &str) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema_ref(name)}}})
}

/// The answers of a write: 201 created, 200 an idempotent repeat, and the errors.
fn write_responses(schema: &str, created: &str, repeat: &str) -> Value {
    let mut responses = error_responses(true);
    let content = json!({"application/json": {"schema": schema_ref(schema)}});
    responses["201"] = json!({"description": created, "content": content.clone()});
    responses["200"] = json!({"description": repeat, "content": content});
    responses["413"] = json!({"description": "body or a snippet over its size limit", "content": {"application/json": {"schema": schema_ref("Error")}}});
    responses["409"] = json!({"description": "the idempotency key was used for different content", "content": {"application/json": {"schema": schema_ref("Error")}}});
    responses
}

fn schemas() -> Value {
    let s = |t: &str| json!({"type": t});
    let opt = |t: &str| json!({"type": [t, "null"]});
    let counts = json!({"type": "object", "properties": {
        "total": s("integer"),
        "by_repo": {"type": "object", "additionalProperties": s("integer")},
        "by_tool": {"type": "object", "additionalProperties": s("integer")},
        "by_rule": {"type": "object", "additionalProperties": s("integer")},
        "by_kind": {"type": "object", "additionalProperties": s("integer")}
    }});
    let run_fields = json!({
        "repo": s("string"), "forge": opt("string"), "change_number": opt("integer"),
        "base": s("string"), "head": s("string"), "policy_digest": s("string"),
        "verdict": {"type": "string", "enum": ["pass", "block", "error"]}, "verdict_reason": s("string"),
        "ai_commits": {"type": "array", "items": {"type": "object", "additionalProperties": false, "required": ["sha", "tool"],
            "properties": {"sha": s("string"), "tool": opt("string"), "model": opt("string")}}},
        "findings": {"type": "object", "additionalProperties": false, "required": ["total", "blocking", "warnings", "waived"],
            "properties": {"total": s("integer"), "blocking": s("integer"), "warnings": s("integer"), "waived": s("integer"),
                "by_rule": {"type": "object", "additionalProperties": s("integer")}}},
        "waivers": {"type": "array", "items": {"type": "object", "additionalProperties": false, "required": ["rule_id", "path", "line", "reason"],
            "properties": {"rule_id": s("string"), "path": s("string"), "line": s("integer"), "reason": s("string")}}}
    });
    let correction_fields = json!({
        "kind": {"type": "string", "enum": ["fix", "waiver", "manual"]},
        "repo": s("string"), "path": s("string"), "tool": opt("string"), "model": opt("string"),
        "ai_commit": opt("string"), "fix_commit": opt("string"), "author": opt("string"),
        "before": {"type": "string", "maxLength": 65536}, "after": {"type": "string", "maxLength": 65536},
        "rule_id": opt("string"), "reason": opt("string")
    });
    let stored = json!({"id": s("string"), "seq": {"type": "integer", "description": "position in the hash chain"},
        "recorded_at": {"type": "string", "format": "date-time"}, "idempotency_key": s("string")});
    let merge = |a: &Value, b: &Value, extra: Value| {
        let mut m = a.as_object().cloned().unwrap_or_default();
        m.extend(b.as_object().cloned().unwrap_or_default());
        m.extend(extra.as_object().cloned().unwrap_or_default());
        Value::Object(m)
    };
    let mut run_submission = run_fields.clone();
    run_submission["idempotency_key"] = s("string");
    let mut correction_submission = correction_fields.clone();
    correction_submission["idempotency_key"] = s("string");
    json!({
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string", "description": "what was wrong and what to do"}}},
        "RunSubmission": {"type": "object", "additionalProperties": false, "required": ["repo", "base", "head", "policy_digest", "verdict"], "properties": run_submission},
        "RunRecord": {"type": "object", "properties": merge(&run_fields, &stored, json!({}))},
        "WrittenRun": {"type": "object", "required": ["created", "record"], "properties": {"created": s("boolean"), "record": schema_ref("RunRecord")}},
        "CorrectionSubmission": {"type": "object", "additionalProperties": false, "required": ["kind", "repo", "path"], "properties": correction_submission},
        "CorrectionBatch": {"type": "object", "additionalProperties": false, "required": ["corrections"],
            "properties": {"corrections": {"type": "array", "minItems": 1, "maxItems": 256, "items": schema_ref("CorrectionSubmission")}}},
        "CorrectionRecord": {"type": "object", "properties": merge(&correction_fields, &stored, json!({
            "language": opt("string"),
            "fingerprint": {"type": "string", "description": "structural fingerprint of before → after: equal for the same fix with other names and literals"}
        }))},
        "CorrectionsWritten": {"type": "object", "required": ["records"], "properties": {"records": {"type": "array", "items":
            {"type": "object", "required": ["created", "record"], "properties": {"created": s("boolean"), "record": schema_ref("CorrectionRecord")}}}}},
        "Stats": {"type": "object", "required": ["runs", "corrections"], "properties": {"runs": counts.clone(), "corrections": counts}},
        "TokenRequest": {"type": "object", "additionalProperties": false, "required": ["role"],
            "properties": {"role": {"type": "string", "enum": ["reporter", "reader", "architect", "admin"]}, "label": opt("string")}},
        "TokenCreated": {"type": "object", "required": ["role", "token"], "properties": {"role": s("string"), "token": s("string")}}
    })
}

/// The whole document.
pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "aigate ledger",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The append-only, hash-chained ledger of aigate gate runs, corrections and waivers."
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas()
        },
        "security": [{"bearer": []}],
        "paths": {
            "/v1/health": {"get": {"operationId": "health", "summary": "liveness and database reachability", "security": [],
                "responses": {"200": {"description": "up", "content": {"application/json": {"schema": {"type": "object"}}}},
                    "503": {"description": "the database is unreachable"}}}},
            "/v1/openapi.json": {"get": {"operationId": "openapi", "summary": "this document (any role)",
                "responses": ok("200", "the OpenAPI document", json!({"type": "object"}), true)}},
            "/v1/runs": {
                "post": {"operationId": "postRun", "summary": "record a gate run (reporter, admin)",
                    "parameters": idempotency_header(false), "requestBody": body("RunSubmission"),
                    "responses": write_responses("WrittenRun", "recorded", "a repeat: the original record")},
                "get": {"operationId": "listRuns", "summary": "list runs in chain order (reader, architect, admin)",
                    "parameters": list_parameters(), "responses": ok("200", "a page of runs", page_of("RunRecord"), true)}
            },
            "/v1/corrections": {
                "post": {"operationId": "postCorrections", "summary": "record a batch of corrections in one transaction (reporter, admin)",
                    "parameters": idempotency_header(false), "requestBody": body("CorrectionBatch"),
                    "responses": write_responses("CorrectionsWritten", "at least one recorded", "all repeats: the original records")},
                "get": {"operationId": "listCorrections", "summary": "list corrections in chain order (reader, architect, admin)",
                    "parameters": list_parameters(), "responses": ok("200", "a page of corrections", page_of("CorrectionRecord"), true)}
            },
            "/v1/stats": {"get": {"operationId": "stats", "summary": "counts by repo, tool, rule and kind (reader, architect, admin)",
                "responses": ok("200", "counts", schema_ref("Stats"), true)}},
            "/v1/tokens": {"post": {"operationId": "createToken", "summary": "create a bearer token (admin)",
                "requestBody": body("TokenRequest"), "responses": ok("201", "the token, shown once", schema_ref("TokenCreated"), true)}}
        }
    })
}

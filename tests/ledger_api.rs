//! The ledger's HTTP API against both stores: routes and their description, the role matrix,
//! writes and listings, idempotency under concurrency, limits and atomicity, and tampering.

mod ledger_common;

use std::collections::{BTreeSet, HashSet};

use aigate::ledger::chain::Verdict;
use aigate::ledger::model::Role;
use aigate::ledger::server::{self, Limits};
use aigate::ledger::store::{self, LedgerStore};
use ledger_common::{Backend, Harness, correction_body, run_body};
use serde_json::{Value, json};

both_stores! {
    openapi_matches_routes => openapi_matches_routes;
    role_matrix => role_matrix;
    write_list_filter_paginate_stats => write_list_filter_paginate_stats;
    concurrent_duplicates_make_one_record => concurrent_duplicates_make_one_record;
    limits_and_atomic_batches => limits_and_atomic_batches;
    edited_record_is_caught => edited_record_is_caught;
    deleted_middle_entry_is_caught => deleted_middle_entry_is_caught;
    truncated_tail_is_caught => truncated_tail_is_caught;
    altered_index_column_is_caught => altered_index_column_is_caught;
    fingerprint_groups_the_same_fix_across_repos => fingerprint_groups_the_same_fix_across_repos;
    two_replicas_never_fork_the_chain => two_replicas_never_fork_the_chain;
    verify_on_a_live_ledger => verify_on_a_live_ledger;
    entry_past_the_head_is_caught => entry_past_the_head_is_caught;
}

/// A request body each POST route accepts.
fn valid_body(path: &str, n: usize) -> Value {
    match path {
        "/v1/runs" => {
            let mut b = run_body("o/r", &format!("h{n}"));
            b["idempotency_key"] = json!(format!("run-{n}"));
            b
        }
        "/v1/corrections" => {
            json!({"corrections": [correction_body(&format!("c-{n}"), "o/r", "a.rs", "x.unwrap()", "x?")]})
        }
        "/v1/tokens" => json!({"role": "reader"}),
        other => panic!("no body for {other}"),
    }
}

async fn openapi_matches_routes(backend: Backend) {
    let h = Harness::start(backend).await;
    let (status, doc) = h.get(Role::Reader, "/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (path.clone(), m.to_uppercase()))
        })
        .collect();
    let real: BTreeSet<(String, String)> = server::routes::<LedgerStore>()
        .iter()
        .map(|r| (r.path.to_string(), r.method.to_string()))
        .collect();
    assert_eq!(documented, real, "the OpenAPI paths and the router's routes differ");
    // Every documented operation exists on the live server.
    for (i, (path, method)) in documented.iter().enumerate() {
        let rb = h
            .http
            .request(method.parse().unwrap(), h.url(path))
            .bearer_auth(h.token(Role::Admin));
        let rb = if method == "POST" {
            rb.json(&valid_body(path, i))
        } else {
            rb
        };
        let status = rb.send().await.unwrap().status().as_u16();
        assert!(status != 404 && status != 405, "{method} {path} answered {status}");
        assert!(status < 300, "{method} {path} answered {status}");
    }
    // And an undocumented one does not.
    assert_eq!(h.get(Role::Admin, "/v1/standards").await.0, 404);
    let (status, _) = h.post(Role::Admin, "/v1/stats", &json!({}), None).await;
    assert_eq!(status, 405);
    // Every schema reference resolves.
    let text = doc.to_string();
    for part in text.split("#/components/schemas/").skip(1) {
        let name: String = part.chars().take_while(|c| c.is_alphanumeric()).collect();
        assert!(
            doc["components"]["schemas"].get(&name).is_some(),
            "dangling $ref {name}"
        );
    }
}

async fn role_matrix(backend: Backend) {
    let h = Harness::start(backend).await;
    let allowed = |method: &str, path: &str, role: Role| -> bool {
        match (method, path) {
            ("GET", "/v1/health") | ("GET", "/v1/openapi.json") => true,
            ("POST", "/v1/runs") | ("POST", "/v1/corrections") => matches!(role, Role::Reporter | Role::Admin),
            ("POST", "/v1/tokens") => role == Role::Admin,
            ("GET", _) => matches!(role, Role::Reader | Role::Architect | Role::Admin),
            _ => panic!("a route the matrix does not know: {method} {path}"),
        }
    };
    let mut n = 0;
    for route in server::routes::<LedgerStore>() {
        let (method, path) = (route.method.to_string(), route.path);
        let public = path == "/v1/health";
        let mut callers: Vec<(String, Option<String>)> =
            vec![("none".into(), None), ("unknown".into(), Some("aig_0000".into()))];
        callers.extend(Role::ALL.iter().map(|r| (r.to_string(), Some(h.token(*r).to_string()))));
        for (who, token) in callers {
            n += 1;
            let mut rb = h.http.request(route.method.clone(), h.url(path));
            if let Some(t) = &token {
                rb = rb.bearer_auth(t);
            }
            if method == "POST" {
                rb = rb.json(&valid_body(path, n));
            }
            let status = rb.send().await.unwrap().status().as_u16();
            let role: Option<Role> = who.parse().ok();
            let expected = match (public, role) {
                (true, _) => 200,
                (false, None) => 401,
                (false, Some(r)) if allowed(&method, path, r) => 0,
                (false, Some(_)) => 403,
            };
            if expected == 0 {
                assert!((200..300).contains(&status), "{who} on {method} {path}: {status}");
            } else {
                assert_eq!(status, expected, "{who} on {method} {path}");
            }
        }
    }
    // A 401 tells the client how to authenticate.
    let resp = h.http.get(h.url("/v1/runs")).send().await.unwrap();
    assert!(resp.headers().get("www-authenticate").is_some());
    let body: Value = resp.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("bearer token"));
}

async fn write_list_filter_paginate_stats(backend: Backend) {
    let h = Harness::start(backend).await;
    for (i, repo) in ["a/one", "a/one", "b/two"].iter().enumerate() {
        let (s, out) = h
            .post(
                Role::Reporter,
                "/v1/runs",
                &run_body(repo, &format!("h{i}")),
                Some(&format!("run-{i}")),
            )
            .await;
        assert_eq!(s, 201, "{out}");
        assert_eq!(out["created"], true);
        assert_eq!(out["record"]["repo"], *repo);
    }
    let mut batch = Vec::new();
    for i in 0..7 {
        let mut c = correction_body(
            &format!("k{i}"),
            if i < 4 { "a/one" } else { "b/two" },
            "src/x.rs",
            "let v = f().unwrap();",
            "let v = f()?;",
        );
        if i % 2 == 1 {
            c["tool"] = json!("cursor");
            c["rule_id"] = json!("rust/no-expect");
            c["kind"] = json!("waiver");
        }
        batch.push(c);
    }
    let (s, out) = h
        .post(Role::Reporter, "/v1/corrections", &json!({"corrections": batch}), None)
        .await;
    assert_eq!(s, 201, "{out}");
    let records = out["records"].as_array().unwrap();
    assert_eq!(records.len(), 7);
    assert!(
        records
            .iter()
            .all(|r| r["created"] == true && r["record"]["language"] == "rust")
    );

    let (_, page) = h.get(Role::Reader, "/v1/runs?repo=a/one").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let (_, page) = h.get(Role::Reader, "/v1/runs?kind=pass").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
    let (_, page) = h.get(Role::Reader, "/v1/corrections?tool=cursor&repo=b/two").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    let (_, page) = h.get(Role::Reader, "/v1/corrections?rule=rust/no-unwrap").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 4);
    let (_, page) = h
        .get(
            Role::Reader,
            "/v1/corrections?author=Ann%20%3Cann%40example.com%3E&kind=waiver",
        )
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    let (_, page) = h
        .get(Role::Reader, "/v1/corrections?since=2999-01-01T00:00:00%2B02:00")
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
    let (_, page) = h.get(Role::Reader, "/v1/corrections?since=2000-01-01T00:00:00Z").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 7);
    assert_eq!(h.get(Role::Reader, "/v1/corrections?since=yesterday").await.0, 400);
    assert_eq!(h.get(Role::Reader, "/v1/corrections?colour=red").await.0, 400);
    assert_eq!(h.get(Role::Reader, "/v1/corrections?cursor=abc").await.0, 400);

    // Cursor pagination: pages of 3 cover every record once, in chain order.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let (s, page) = h.get(Role::Architect, &format!("/v1/corrections?limit=3{q}")).await;
        assert_eq!(s, 200);
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["seq"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");

    let (s, stats) = h.get(Role::Reader, "/v1/stats").await;
    assert_eq!(s, 200);
    assert_eq!(stats["runs"]["total"], 3);
    assert_eq!(stats["runs"]["by_repo"]["a/one"], 2);
    assert_eq!(stats["runs"]["by_kind"]["block"], 3);
    assert_eq!(stats["corrections"]["total"], 7);
    assert_eq!(stats["corrections"]["by_tool"]["cursor"], 3);
    assert_eq!(stats["corrections"]["by_tool"]["copilot"], 4);
    assert_eq!(stats["corrections"]["by_rule"]["rust/no-expect"], 3);
    assert_eq!(stats["corrections"]["by_kind"]["fix"], 4);
    assert_eq!(stats["corrections"]["by_repo"]["b/two"], 3);
    assert!(matches!(
        store::verify(&*h.store).await.unwrap(),
        Verdict::Intact { entries: 10, .. }
    ));
}

async fn concurrent_duplicates_make_one_record(backend: Backend) {
    let h = std::sync::Arc::new(Harness::start(backend).await);
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let h = std::sync::Arc::clone(&h);
        tasks.push(tokio::spawn(async move {
            h.post(Role::Reporter, "/v1/runs", &run_body("o/r", "same"), Some("the-key"))
                .await
        }));
    }
    let mut ids = HashSet::new();
    let mut created = 0;
    for t in tasks {
        let (s, out) = t.await.unwrap();
        assert!(s == 201 || s == 200, "{s} {out}");
        created += usize::from(out["created"] == true);
        ids.insert(out["record"]["id"].as_str().unwrap().to_string());
    }
    assert_eq!(created, 1);
    assert_eq!(ids.len(), 1);
    let (_, page) = h.get(Role::Reader, "/v1/runs").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    // The same for correction batches keyed by the header, 32 at once.
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let h = std::sync::Arc::clone(&h);
        tasks.push(tokio::spawn(async move {
            let mut c = correction_body("x", "o/r", "a.py", "eval(s)", "json.loads(s)");
            c.as_object_mut().unwrap().remove("idempotency_key");
            h.post(
                Role::Reporter,
                "/v1/corrections",
                &json!({"corrections": [c.clone(), c]}),
                Some("batch-1"),
            )
            .await
        }));
    }
    for t in tasks {
        let (s, out) = t.await.unwrap();
        assert!(s == 201 || s == 200, "{s} {out}");
    }
    let (_, page) = h.get(Role::Reader, "/v1/corrections").await;
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        2,
        "keys batch-1:0 and batch-1:1"
    );

    // The key in the body works like the header; reusing a key for other content is a conflict.
    let mut body = run_body("o/r", "same");
    body["idempotency_key"] = json!("the-key");
    let (s, out) = h.post(Role::Reporter, "/v1/runs", &body, None).await;
    assert_eq!((s, out["created"].clone()), (200, json!(false)));
    let (s, out) = h
        .post(
            Role::Reporter,
            "/v1/runs",
            &run_body("o/r", "other-head"),
            Some("the-key"),
        )
        .await;
    assert_eq!(s, 409, "{out}");
    assert!(out["error"].as_str().unwrap().contains("the-key"));
    assert!(matches!(
        store::verify(&*h.store).await.unwrap(),
        Verdict::Intact { entries: 3, .. }
    ));
}

async fn limits_and_atomic_batches(backend: Backend) {
    let limits = Limits {
        body_bytes: 256 << 10,
        ..Limits::default()
    };
    let h = Harness::start_with(backend, limits).await;
    let head = |h: &Harness| {
        let store = std::sync::Arc::clone(&h.store);
        async move { store::verify(&*store).await.unwrap() }
    };
    let before = head(&h).await;

    // Malformed JSON and unknown fields: 400 with serde's reason.
    let resp = h
        .http
        .post(h.url("/v1/runs"))
        .bearer_auth(h.token(Role::Reporter))
        .header("Idempotency-Key", "k")
        .header("content-type", "application/json")
        .body("{\"repo\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert!(
        resp.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("invalid JSON")
    );
    let mut body = run_body("o/r", "h");
    body["colour"] = json!("red");
    let (s, out) = h.post(Role::Reporter, "/v1/runs", &body, Some("k")).await;
    assert_eq!(s, 400);
    assert!(
        out["error"].as_str().unwrap().contains("unknown field `colour`"),
        "{out}"
    );
    let mut body = run_body("o/r", "h");
    body["ai_commits"][0]["sha1"] = json!("x");
    assert_eq!(
        h.post(Role::Reporter, "/v1/runs", &body, Some("k")).await.0,
        400,
        "nested unknown fields too"
    );
    // No idempotency key: 400.
    let (s, out) = h.post(Role::Reporter, "/v1/runs", &run_body("o/r", "h"), None).await;
    assert_eq!(s, 400);
    assert!(out["error"].as_str().unwrap().contains("idempotency key"));
    // Body over the limit: 413.
    let mut body = run_body("o/r", "h");
    body["verdict_reason"] = json!("x".repeat(300 << 10));
    assert_eq!(h.post(Role::Reporter, "/v1/runs", &body, Some("k")).await.0, 413);
    // A snippet over its cap, third in a batch: 413 naming it, and none of the batch is written.
    let big = "y".repeat((64 << 10) + 1);
    let batch = json!({"corrections": [
        correction_body("a", "o/r", "a.rs", "x", "y"),
        correction_body("b", "o/r", "a.rs", "x", "z"),
        correction_body("c", "o/r", "a.rs", &big, "z"),
    ]});
    let (s, out) = h.post(Role::Reporter, "/v1/corrections", &batch, None).await;
    assert_eq!(s, 413);
    assert!(
        out["error"].as_str().unwrap().contains("correction 2: `before`"),
        "{out}"
    );
    // A batch with a conflicting key fails whole, too.
    let (s, _) = h
        .post(
            Role::Reporter,
            "/v1/corrections",
            &json!({"corrections": [correction_body("a", "o/r", "a.rs", "x", "y")]}),
            None,
        )
        .await;
    assert_eq!(s, 201);
    let batch = json!({"corrections": [correction_body("new", "o/r", "a.rs", "p", "q"), correction_body("a", "o/r", "a.rs", "DIFFERENT", "y")]});
    assert_eq!(h.post(Role::Reporter, "/v1/corrections", &batch, None).await.0, 409);
    let (_, page) = h.get(Role::Reader, "/v1/corrections").await;
    let keys: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["idempotency_key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["a"], "only the one good single write landed");
    // Empty and oversized batches.
    assert_eq!(
        h.post(Role::Reporter, "/v1/corrections", &json!({"corrections": []}), None)
            .await
            .0,
        400
    );
    let many: Vec<Value> = (0..300)
        .map(|i| correction_body(&format!("m{i}"), "o/r", "a.rs", "x", "y"))
        .collect();
    assert_eq!(
        h.post(Role::Reporter, "/v1/corrections", &json!({"corrections": many}), None)
            .await
            .0,
        400
    );
    assert!(matches!(before, Verdict::Intact { entries: 0, .. }));
    assert!(matches!(head(&h).await, Verdict::Intact { entries: 1, .. }));
}

/// Posts 2 runs and 3 corrections (seq 1..=5) and checks the chain is intact.
async fn populated(backend: Backend) -> Harness {
    let h = Harness::start(backend).await;
    for i in 0..2 {
        assert_eq!(
            h.post(
                Role::Reporter,
                "/v1/runs",
                &run_body("o/r", &format!("h{i}")),
                Some(&format!("r{i}"))
            )
            .await
            .0,
            201
        );
    }
    let batch: Vec<Value> = (0..3)
        .map(|i| correction_body(&format!("c{i}"), "o/r", "a.rs", &format!("v{i}.unwrap()"), "v?"))
        .collect();
    assert_eq!(
        h.post(Role::Reporter, "/v1/corrections", &json!({"corrections": batch}), None)
            .await
            .0,
        201
    );
    assert!(matches!(
        store::verify(&*h.store).await.unwrap(),
        Verdict::Intact { entries: 5, .. }
    ));
    h
}

fn broken_at(v: Verdict) -> (i64, String) {
    match v {
        Verdict::Broken { seq, problem } => (seq, problem),
        Verdict::Intact { .. } => panic!("tampering went unnoticed"),
    }
}

async fn edited_record_is_caught(backend: Backend) {
    let h = populated(backend).await;
    assert_eq!(
        h.tamper("UPDATE entries SET body = replace(body, 'v1.unwrap()', 'v1.expect(\"ok\")') WHERE seq = 4")
            .await,
        1
    );
    let (seq, problem) = broken_at(store::verify(&*h.store).await.unwrap());
    assert_eq!(seq, 4);
    assert!(problem.contains("altered"), "{problem}");
}

async fn deleted_middle_entry_is_caught(backend: Backend) {
    let h = populated(backend).await;
    assert_eq!(h.tamper("DELETE FROM entries WHERE seq = 3").await, 1);
    let (seq, problem) = broken_at(store::verify(&*h.store).await.unwrap());
    assert_eq!(seq, 3);
    assert!(problem.contains("deleted"), "{problem}");
}

async fn truncated_tail_is_caught(backend: Backend) {
    let h = populated(backend).await;
    assert_eq!(h.tamper("DELETE FROM entries WHERE seq >= 4").await, 2);
    let (seq, problem) = broken_at(store::verify(&*h.store).await.unwrap());
    assert_eq!(seq, 4);
    assert!(problem.contains("removed"), "{problem}");
}

async fn altered_index_column_is_caught(backend: Backend) {
    let h = populated(backend).await;
    assert_eq!(h.tamper("UPDATE entries SET tool = 'human' WHERE seq = 5").await, 1);
    let (seq, problem) = broken_at(store::verify(&*h.store).await.unwrap());
    assert_eq!(seq, 5);
    assert!(problem.contains("column"), "{problem}");
}

async fn fingerprint_groups_the_same_fix_across_repos(backend: Backend) {
    let h = Harness::start(backend).await;
    let batch = json!({"corrections": [
        correction_body("1", "acme/api", "src/config.ts", "const cfg = JSON.parse(raw) as any;\n", "const cfg: Config = parseConfig(raw);\n"),
        correction_body("2", "globex/web", "lib/settings.ts", "const opts = JSON.parse(text) as any; // ai\n", "const opts: Options = readOptions(text);\n"),
        correction_body("3", "globex/web", "lib/other.ts", "const opts = JSON.parse(text) as any;\n", "const opts = JSON.parse(text) as unknown;\n"),
    ]});
    let (s, out) = h.post(Role::Reporter, "/v1/corrections", &batch, None).await;
    assert_eq!(s, 201, "{out}");
    let fp: Vec<&str> = out["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["record"]["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fp[0], fp[1], "the same fix in two repos with other names");
    assert_ne!(fp[0], fp[2], "a different fix");
    assert!(fp[0].starts_with("ast1:"));
    assert_eq!(out["records"][0]["record"]["language"], "typescript");
}

/// Two servers with their own stores on one database (two replicas; for SQLite, two writers on
/// one file): concurrent appends through both, every key posted to both, give one gap-free chain
/// with one record per key.
async fn two_replicas_never_fork_the_chain(backend: Backend) {
    let h = std::sync::Arc::new(Harness::start(backend).await);
    let (other, server) = h.replica().await;
    let mut tasks = Vec::new();
    for i in 0..120 {
        for base in [h.base.clone(), other.clone()] {
            let h = std::sync::Arc::clone(&h);
            tasks.push(tokio::spawn(async move {
                let resp = h
                    .http
                    .post(format!("{base}/v1/runs"))
                    .bearer_auth(h.token(Role::Reporter))
                    .header("Idempotency-Key", format!("k{i}"))
                    .json(&run_body("o/r", &format!("h{i}")))
                    .send()
                    .await
                    .unwrap();
                let status = resp.status().as_u16();
                let body: Value = resp.json().await.unwrap();
                assert!(status == 200 || status == 201, "{status} {body}");
                (i, body["record"]["id"].as_str().unwrap().to_string())
            }));
        }
    }
    let mut ids = std::collections::HashMap::new();
    for t in tasks {
        let (i, id) = t.await.unwrap();
        assert_eq!(
            ids.entry(i).or_insert_with(|| id.clone()),
            &id,
            "both replicas answer key k{i} with the same record"
        );
    }
    server.abort();
    match store::verify(&*h.store).await.unwrap() {
        Verdict::Intact { entries, .. } => assert_eq!(entries, 120),
        broken => panic!("{broken:?}"),
    }
}

/// `verify` while writers append: always intact (appends are not tampering).
async fn verify_on_a_live_ledger(backend: Backend) {
    let h = std::sync::Arc::new(Harness::start(backend).await);
    let mut writers = Vec::new();
    for w in 0..8 {
        let h = std::sync::Arc::clone(&h);
        writers.push(tokio::spawn(async move {
            for i in 0..40 {
                let (s, _) = h
                    .post(
                        Role::Reporter,
                        "/v1/runs",
                        &run_body("o/r", "x"),
                        Some(&format!("{w}-{i}")),
                    )
                    .await;
                assert_eq!(s, 201);
            }
        }));
    }
    let mut checks = 0;
    while writers.iter().any(|w| !w.is_finished()) || checks < 3 {
        match store::verify(&*h.store).await.unwrap() {
            Verdict::Intact { .. } => checks += 1,
            broken => panic!("a live ledger verified as {broken:?}"),
        }
    }
    for w in writers {
        w.await.unwrap();
    }
    assert!(matches!(
        store::verify(&*h.store).await.unwrap(),
        Verdict::Intact { entries: 320, .. }
    ));
}

/// An entry appended behind the ledger's back, correctly linked but past the recorded head.
async fn entry_past_the_head_is_caught(backend: Backend) {
    let h = populated(backend).await;
    h.tamper(
        "INSERT INTO entries (seq, entry_type, id, idempotency_key, request_digest, repo, kind, tool, rule_id, author, recorded_at, body, prev_hash, hash) \
         SELECT seq + 1, entry_type, id || 'x', idempotency_key || 'x', request_digest, repo, kind, tool, rule_id, author, recorded_at, body, hash, hash \
         FROM entries WHERE seq = 5",
    )
    .await;
    let (seq, problem) = broken_at(store::verify(&*h.store).await.unwrap());
    assert_eq!(seq, 6);
    assert!(problem.contains("past the chain head"), "{problem}");
}

//! Shared pieces of the forge tests: gate reports with N findings, and reading what a wiremock
//! server received.
#![allow(dead_code)]

use aigate::gate::model::{GateFinding, GateReport, Level, LineProvenance, Outcome, Point, Severity, Totals, Verdict};
use aigate::gate::run::error_report;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const SHA: &str = "6dcb09b5b57875f334f61aebed695e2e4193db5e";

/// A blocked report with `n` findings on AI-written lines of `src/lib.rs`.
pub fn blocked_report(n: usize) -> GateReport {
    let mut report = error_report(String::new(), false);
    report.findings = (0..n)
        .map(|i| GateFinding {
            rule_id: "security/no-eval".into(),
            severity: Severity::Error,
            level: Level::Block,
            message: format!("eval of untrusted input #{i}"),
            path: "src/lib.rs".into(),
            start: Point {
                line: i as u32 + 1,
                column: 5,
            },
            end: Point {
                line: i as u32 + 1,
                column: 17,
            },
            snippet: "    eval(input)".into(),
            waived: None,
            provenance: Some(LineProvenance {
                ai: true,
                tool: Some("Claude Code".into()),
                model: None,
                commit: Some(SHA.into()),
            }),
            fix: None,
        })
        .collect();
    report.totals = Totals {
        findings: n,
        blocking: n,
        warnings: 0,
        waived: 0,
    };
    report.verdict = if n == 0 {
        Verdict {
            outcome: Outcome::Pass,
            reason: "no blocking findings".into(),
            exit_code: 0,
        }
    } else {
        Verdict {
            outcome: Outcome::Block,
            reason: format!("{n} blocking findings in scope"),
            exit_code: 1,
        }
    };
    report.policy_digest = "sha256:test".into();
    report
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{} {} body is not JSON: {e}", self.method, self.path))
    }

    /// A form-encoded body (the gitlab crate's writes) as key → value.
    pub fn form(&self) -> std::collections::BTreeMap<String, String> {
        url::form_urlencoded::parse(&self.body).into_owned().collect()
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap_or_default().to_owned())
            .unwrap_or_default()
    }

    /// `METHOD path`, for order assertions.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

pub async fn seen(server: &MockServer) -> Vec<Seen> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            let mut headers = http::HeaderMap::new();
            for (k, v) in r.headers.iter() {
                if let (Ok(k), Ok(v)) = (
                    http::HeaderName::from_bytes(k.as_str().as_bytes()),
                    http::HeaderValue::from_bytes(v.as_bytes()),
                ) {
                    headers.append(k, v);
                }
            }
            Seen {
                method: r.method.to_string(),
                path: r.url.path().to_owned(),
                query: r.url.query().unwrap_or_default().to_owned(),
                headers,
                body: r.body,
            }
        })
        .collect()
}

pub fn lines(seen: &[Seen]) -> Vec<String> {
    seen.iter().map(Seen::line).collect()
}

/// Answers `verb route` with `status` and the JSON `body`, for as many requests as come.
pub async fn mock(server: &MockServer, verb: &str, route: &str, status: u16, body: Value) {
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(server)
        .await;
}

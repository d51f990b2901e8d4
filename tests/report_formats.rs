//! The reporters on a fixed gate report: SARIF valid against the official 2.1.0 schema and within
//! GitHub's ingestion rules, Code Quality, Markdown within the comment limit, workflow-command
//! escaping, and snapshots of every format.

use aigate::gate::model::*;
use aigate::report::{codequality, github, markdown, sarif, terminal};
use serde_json::Value;

#[path = "sarif_schema/mod.rs"]
mod sarif_schema;
use sarif_schema::assert_valid_sarif;

fn finding(rule: &str, level: Level, path: &str, line: u32, snippet: &str) -> GateFinding {
    GateFinding {
        rule_id: rule.into(),
        severity: Severity::Error,
        level,
        message: format!("{rule} violated"),
        path: path.into(),
        start: Point { line, column: 5 },
        end: Point { line, column: 12 },
        snippet: snippet.into(),
        waived: (level == Level::Waived).then(|| Waived {
            reason: "vetted input, see ADR-12".into(),
        }),
        provenance: Some(LineProvenance {
            ai: level != Level::Warn,
            tool: (level != Level::Warn).then(|| "Claude Code".into()),
            model: (level != Level::Warn).then(|| "Claude Sonnet 4.5".into()),
            commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        }),
        fix: None,
    }
}

fn rule(id: &str, security: bool) -> RuleInfo {
    RuleInfo {
        id: id.into(),
        severity: Severity::Error,
        message: format!("{id} violated. Use the safe API instead."),
        note: Some("Prefer `ast.literal_eval`.".into()),
        rationale: Some("Evaluating strings runs attacker-controlled code.".into()),
        pack: Some(id.split('/').next().unwrap_or_default().into()),
        kind: "pattern".into(),
        url: None,
        security_severity: security.then(|| "9.8".into()),
    }
}

fn sample() -> GateReport {
    let mut eval = finding(
        "security/python-eval",
        Level::Block,
        "src/app dir/main.py",
        3,
        "    eval(user_input)",
    );
    eval.fix = Some(Fix {
        start: Point { line: 3, column: 5 },
        end: Point { line: 3, column: 21 },
        replacement: "ast.literal_eval(user_input)".into(),
    });
    let findings = vec![
        eval,
        finding("reliability/bare-except", Level::Warn, "src/util.py", 10, "    except:"),
        finding(
            "security/python-eval",
            Level::Waived,
            "src/legacy.py",
            7,
            "    eval(config_expr)  # aigate: allow(security/python-eval) -- vetted input, see ADR-12",
        ),
    ];
    GateReport {
        verdict: Verdict {
            outcome: Outcome::Block,
            reason: "1 blocking finding on AI lines".into(),
            exit_code: 1,
        },
        policy_digest: "sha256:4f2a9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b".into(),
        scope: ScopeMode::AiLines,
        change: ChangeSummary {
            base: "1111111111111111111111111111111111111111".into(),
            head: "2222222222222222222222222222222222222222".into(),
            commits: 4,
            ai_commits: 3,
            added_lines: 120,
            ai_lines: 90,
            tools: vec![("Claude Code".into(), 2), ("Cursor".into(), 1)],
            files_checked: 3,
        },
        rules: vec![
            rule("security/python-eval", true),
            rule("reliability/bare-except", false),
        ],
        findings,
        totals: Totals {
            findings: 3,
            blocking: 1,
            warnings: 1,
            waived: 1,
        },
        notes: vec!["skipped vendor/big.min.js: larger than 2 MB".into()],
    }
}

#[test]
fn sarif_is_valid_and_meets_github_rules() {
    let report = sample();
    let sarif: Value = serde_json::to_value(sarif::to_sarif(&report)).unwrap();
    assert_valid_sarif(&sarif);

    let run = &sarif["runs"][0];
    for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
        for key in ["shortDescription", "fullDescription", "help"] {
            let text = rule[key]["text"].as_str().unwrap_or("");
            assert!(!text.trim().is_empty(), "rule {} has empty {key}", rule["id"]);
        }
    }
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules[0]["properties"]["security-severity"], "9.8");
    assert!(rules[1]["properties"].get("security-severity").is_none());
    assert_eq!(
        run["automationDetails"]["id"],
        "aigate/check/2222222222222222222222222222222222222222"
    );

    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let loc = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "src/app%20dir/main.py");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(results[0]["level"], "error");
    assert_eq!(results[1]["level"], "warning");
    assert_eq!(results[0]["ruleIndex"], 0);
    assert_eq!(results[0]["properties"]["aigate"]["provenance"]["tool"], "Claude Code");
    assert_eq!(
        results[0]["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"],
        "ast.literal_eval(user_input)"
    );
    assert!(results[0].get("suppressions").is_none());
    assert_eq!(results[2]["suppressions"][0]["kind"], "inSource");
    assert_eq!(
        results[2]["suppressions"][0]["justification"],
        "vetted input, see ADR-12"
    );
    let line_hash = regex::Regex::new("^[0-9a-f]{16}:[0-9]+$").unwrap();
    for r in results {
        let hash = r["partialFingerprints"]["primaryLocationLineHash"].as_str().unwrap();
        assert!(line_hash.is_match(hash), "{hash}");
    }
}

#[test]
fn line_hash_survives_unrelated_lines_moving_and_separates_repeats() {
    let mut report = sample();
    let before = sarif::line_hashes(&report.findings);
    for f in &mut report.findings {
        f.start.line += 40;
        f.end.line += 40;
    }
    assert_eq!(
        before,
        sarif::line_hashes(&report.findings),
        "moving lines changed fingerprints"
    );

    // The same offending line twice in one file: two distinct fingerprints.
    let twin = report.findings[0].clone();
    report.findings.push(twin);
    let hashes = sarif::line_hashes(&report.findings);
    assert_ne!(hashes[0], hashes[3]);
    assert_eq!(hashes[0].split(':').next(), hashes[3].split(':').next());

    // A change to the offending line itself changes its fingerprint.
    report.findings[0].snippet = "    eval(other_input)".into();
    assert_ne!(sarif::line_hashes(&report.findings)[0], hashes[0]);
}

#[test]
fn sarif_truncates_at_githubs_result_limit_with_a_note() {
    let mut report = sample();
    let template = report.findings[0].clone();
    report.findings = (0..sarif::MAX_RESULTS + 10)
        .map(|i| GateFinding {
            start: Point {
                line: i as u32 + 1,
                column: 1,
            },
            ..template.clone()
        })
        .collect();
    let sarif: Value = serde_json::to_value(sarif::to_sarif(&report)).unwrap();
    let run = &sarif["runs"][0];
    assert_eq!(run["results"].as_array().unwrap().len(), sarif::MAX_RESULTS);
    assert_eq!(run["properties"]["truncated"], true);
    let notes = run["invocations"][0]["toolExecutionNotifications"].as_array().unwrap();
    assert!(notes[0]["message"]["text"].as_str().unwrap().contains("25010 findings"));
}

#[test]
fn codequality_has_gitlab_fields_and_stable_unique_fingerprints() {
    let report = sample();
    let issues: Value = serde_json::from_str(&codequality::to_string(&report)).unwrap();
    let issues = issues.as_array().unwrap();
    assert_eq!(issues.len(), 2, "waived findings are not quality issues");
    assert_eq!(issues[0]["check_name"], "security/python-eval");
    assert_eq!(issues[0]["severity"], "blocker");
    assert_eq!(issues[1]["severity"], "major");
    assert_eq!(issues[0]["location"]["path"], "src/app dir/main.py");
    assert_eq!(issues[0]["location"]["lines"]["begin"], 3);
    assert!(
        issues[0]["description"]
            .as_str()
            .unwrap()
            .contains("security/python-eval")
    );
    assert_ne!(issues[0]["fingerprint"], issues[1]["fingerprint"]);
    let again: Value = serde_json::from_str(&codequality::to_string(&report)).unwrap();
    assert_eq!(again[0]["fingerprint"], issues[0]["fingerprint"]);
}

#[test]
fn markdown_stays_under_the_comment_limit() {
    let mut report = sample();
    let template = report.findings[0].clone();
    report.findings = (0..20_000)
        .map(|i| GateFinding {
            path: format!("src/generated/module_{i}.py"),
            ..template.clone()
        })
        .collect();
    let md = markdown::to_string(&report);
    assert!(md.len() <= markdown::MAX_CHARS, "{} chars", md.len());
    assert!(md.starts_with(markdown::MARKER));
    assert!(md.contains("… and "), "truncation must be said");
}

#[test]
fn workflow_commands_escape_like_actions_core() {
    assert_eq!(github::escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
    assert_eq!(github::escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    let out = github::to_string(&sample());
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with(
            "::error file=src/app dir/main.py,line=3,endLine=3,col=5,endColumn=12,title=aigate security/python-eval::"
        ),
        "{first}"
    );
    assert!(out.contains("::notice file=src/legacy.py"));
}

#[test]
fn snapshots_of_every_format() {
    let report = sample();
    insta::assert_snapshot!("terminal", terminal::to_string(&report));
    insta::assert_snapshot!("markdown", markdown::to_string(&report));
    insta::assert_snapshot!("github", github::to_string(&report));
    insta::assert_snapshot!("codequality", codequality::to_string(&report));
    insta::assert_snapshot!("sarif", sarif::to_string(&report));
}

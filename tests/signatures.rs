//! The AI signature catalogue: every built-in signal fires on the convention it documents, the
//! not-AI cases stay human, org files extend it, bad files give located errors, and on two real
//! repositories the classifier agrees with an independent predicate on every commit.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use aigate::provenance::model::{Classification, Identity, SignalKind};
use aigate::provenance::signatures::{Catalogue, CommitMeta, SignatureError};
use aigate::provenance::trailers;
use serde::Deserialize;

fn who(name: &str, email: &str) -> Identity {
    Identity {
        name: name.into(),
        email: email.into(),
    }
}

/// A commit as the classifier sees it, trailers parsed by the real (git-exact) parser.
struct Commit {
    author: Identity,
    committer: Identity,
    message: String,
    trailers: Vec<(String, String)>,
}

impl Commit {
    fn new(author: Identity, message: &str) -> Commit {
        let committer = author.clone();
        Commit::with_committer(author, committer, message)
    }

    fn with_committer(author: Identity, committer: Identity, message: &str) -> Commit {
        Commit {
            author,
            committer,
            trailers: trailers::parse(message),
            message: message.into(),
        }
    }

    fn by_human(message: &str) -> Commit {
        Commit::new(who("Jane Doe", "jane@example.org"), message)
    }

    fn meta(&self) -> CommitMeta<'_> {
        CommitMeta {
            author: &self.author,
            committer: &self.committer,
            message: &self.message,
            trailers: &self.trailers,
        }
    }
}

fn builtin() -> Catalogue {
    Catalogue::builtin().unwrap_or_else(|e| panic!("the built-in catalogue must load: {e}"))
}

struct Positive {
    commit: Commit,
    tool: &'static str,
    model: Option<&'static str>,
    kind: SignalKind,
}

fn pos(commit: Commit, tool: &'static str, model: Option<&'static str>, kind: SignalKind) -> Positive {
    Positive {
        commit,
        tool,
        model,
        kind,
    }
}

/// One or more commits per built-in signal, written the way each tool writes them.
fn positives() -> Vec<Positive> {
    use SignalKind::{Identity as I, Marker as M, Trailer as T};
    let h = Commit::by_human;
    let bot = |name: &str, id: u32| {
        Commit::new(
            who(name, &format!("{id}+{name}@users.noreply.github.com")),
            "Do a thing\n",
        )
    };
    vec![
        // Claude Code
        pos(
            h("Add cache\n\nCo-Authored-By: Claude Opus 4.5 <noreply@anthropic.com>\n"),
            "Claude Code",
            Some("Claude Opus 4.5"),
            T,
        ),
        pos(
            h("Add cache\n\nCo-authored-by: Claude <noreply@anthropic.com>\n"),
            "Claude Code",
            None,
            T,
        ),
        pos(
            h("Add cache\n\nCo-Authored-By: Claude Opus  4.8 (1M context)  <noreply@anthropic.com>\n"),
            "Claude Code",
            Some("Claude Opus 4.8 (1M context)"),
            T,
        ),
        pos(
            h("Add cache\n\nClaude-Session: https://claude.ai/code/session_01A2bg\n"),
            "Claude Code",
            None,
            T,
        ),
        pos(
            h("Add cache\n\nDetails.\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n"),
            "Claude Code",
            None,
            M,
        ),
        pos(
            Commit::new(
                who("claude[bot]", "41898282+claude[bot]@users.noreply.github.com"),
                "feat: x\n",
            ),
            "Claude Code",
            None,
            I,
        ),
        pos(
            h("feat: x\n\nCo-authored-by: claude[bot] <209825114+claude[bot]@users.noreply.github.com>\n"),
            "Claude Code",
            None,
            T,
        ),
        // GitHub Copilot
        pos(bot("copilot-swe-agent[bot]", 198982749), "GitHub Copilot", None, I),
        pos(
            h("Fix\n\nCo-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>\n"),
            "GitHub Copilot",
            None,
            T,
        ),
        pos(
            h("Fix\n\nCo-authored-by: Copilot <Copilot@users.noreply.github.com>\n"),
            "GitHub Copilot",
            None,
            T,
        ),
        pos(
            h(
                "Fix\n\nCo-authored-by: Copilot Autofix powered by AI <62310815+github-advanced-security[bot]@users.noreply.github.com>\n",
            ),
            "GitHub Copilot",
            None,
            T,
        ),
        pos(
            h("Potential fix for code scanning alert no. 12: Incomplete URL sanitization\n"),
            "GitHub Copilot",
            None,
            M,
        ),
        // The coding agent as GitHub records it: author Copilot, committer copilot-swe-agent[bot].
        pos(
            Commit::with_committer(
                who("Copilot", "198982749+Copilot@users.noreply.github.com"),
                who(
                    "copilot-swe-agent[bot]",
                    "198982749+copilot-swe-agent[bot]@users.noreply.github.com",
                ),
                "Initial plan\n",
            ),
            "GitHub Copilot",
            None,
            I,
        ),
        pos(
            Commit::with_committer(
                who("Jane Doe", "jane@example.org"),
                who(
                    "copilot-swe-agent[bot]",
                    "198982749+copilot-swe-agent[bot]@users.noreply.github.com",
                ),
                "Apply review\n",
            ),
            "GitHub Copilot",
            None,
            I,
        ),
        // Cursor
        pos(
            h("Fix\n\nCo-authored-by: Cursor <cursoragent@cursor.com>\n"),
            "Cursor",
            None,
            T,
        ),
        pos(
            Commit::new(who("Cursor Agent", "agent@corp.example"), "Fix\n"),
            "Cursor",
            None,
            I,
        ),
        pos(h("Fix\n\nMade-with: Cursor\n"), "Cursor", None, T),
        // OpenAI Codex
        pos(
            h("Fix\n\nCo-authored-by: Codex <noreply@openai.com>\n"),
            "OpenAI Codex",
            None,
            T,
        ),
        pos(
            Commit::new(who("Codex", "codex@openai.com"), "Fix\n"),
            "OpenAI Codex",
            None,
            I,
        ),
        pos(bot("chatgpt-codex-connector[bot]", 199175422), "OpenAI Codex", None, I),
        // Aider
        pos(
            Commit::new(who("Paul Gauthier (aider)", "paul@aider.chat"), "feat: add flag\n"),
            "Aider",
            None,
            I,
        ),
        pos(
            h("feat: x\n\nCo-authored-by: aider (gemini/gemini-2.5-pro) <aider@aider.chat>\n"),
            "Aider",
            Some("gemini/gemini-2.5-pro"),
            T,
        ),
        pos(h("aider: fix: align headings\n"), "Aider", None, M),
        // Sourcegraph Amp
        pos(
            h("Fix\n\nCo-authored-by: Amp <amp@ampcode.com>\n"),
            "Sourcegraph Amp",
            None,
            T,
        ),
        pos(
            h("Fix\n\nAmp-Thread-ID: https://ampcode.com/threads/T-1234\n"),
            "Sourcegraph Amp",
            None,
            T,
        ),
        // Bots and agents identified by their account
        pos(bot("devin-ai-integration[bot]", 158243242), "Devin", None, I),
        pos(bot("google-labs-jules[bot]", 161369871), "Jules", None, I),
        pos(
            Commit::new(who("gemini-code-assist[bot]", "x@example.org"), "Apply suggestion\n"),
            "Gemini Code Assist",
            None,
            I,
        ),
        pos(bot("amazon-q-developer[bot]", 208079219), "Amazon Q Developer", None, I),
        pos(
            h("Fix\n\nCo-authored-by: openhands <openhands@all-hands.dev>\n"),
            "OpenHands",
            None,
            T,
        ),
        pos(
            Commit::new(who("Roomote", "roomote@roocode.com"), "Fix\n"),
            "Roo Code",
            None,
            I,
        ),
        pos(
            h("Checkpoint\n\nReplit-Commit-Author: Agent\nReplit-Commit-Session-Id: 1b2c\n"),
            "Replit Agent",
            None,
            T,
        ),
        pos(
            h("Fix\n\nCo-authored-by: opencode <noreply@opencode.ai>\n"),
            "opencode",
            None,
            T,
        ),
        pos(
            h("Fix\n\nCo-authored-by: Windsurf <noreply@codeium.com>\n"),
            "Windsurf",
            None,
            T,
        ),
        pos(
            Commit::new(who("Cascade", "cascade@windsurf.ai"), "Fix\n"),
            "Windsurf",
            None,
            I,
        ),
        // Generic conventions: tool and model read from the value.
        pos(
            h(
                "mm: fix leak\n\nAssisted-by: Claude:claude-3-opus coccinelle\nSigned-off-by: Jane Doe <jane@example.org>\n",
            ),
            "Claude",
            Some("claude-3-opus"),
            T,
        ),
        pos(h("Fix\n\nAssisted-by: GitHub Copilot\n"), "GitHub Copilot", None, T),
        pos(
            h("Fix\n\nGenerated-by: ChatGPT (gpt-4o)\n"),
            "ChatGPT",
            Some("gpt-4o"),
            T,
        ),
        pos(
            h("Fix\n\nCo-authored-by-AI: Gemini (gemini-2.5-pro) <ai@example.org>\n"),
            "Gemini",
            Some("gemini-2.5-pro"),
            T,
        ),
        pos(
            h("Fix\n\nAI-Assisted: true\n"),
            "AI-assisted (tool unspecified)",
            None,
            T,
        ),
    ]
}

#[test]
fn every_builtin_signal_fires_on_its_convention() {
    let catalogue = builtin();
    let mut fired = BTreeSet::new();
    for (i, case) in positives().iter().enumerate() {
        let meta = case.commit.meta();
        let c = catalogue.classify(&meta);
        let ctx = format!(
            "case {i}: {:?} by {:?} → {c:?}",
            case.commit.message, case.commit.author
        );
        assert!(c.ai, "{ctx}");
        assert_eq!(c.tool.as_deref(), Some(case.tool), "{ctx}");
        assert_eq!(c.model.as_deref(), case.model, "{ctx}");
        assert!(
            c.signals.iter().any(|s| s.kind == case.kind),
            "{ctx}: expected a {:?} signal",
            case.kind
        );
        assert!(c.signals.iter().all(|s| !s.detail.is_empty()), "{ctx}");
        fired.extend(catalogue.matches(&meta).into_iter().map(|m| m.signal_id));
    }
    let missing: Vec<String> = catalogue
        .signal_ids()
        .into_iter()
        .filter(|id| !fired.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "built-in signals without a positive case: {missing:?}"
    );
}

#[test]
fn not_ai_commits_stay_human() {
    let catalogue = builtin();
    let h = Commit::by_human;
    let bot = |name: &str, id: u32| {
        Commit::new(
            who(name, &format!("{id}+{name}@users.noreply.github.com")),
            "Bump serde\n",
        )
    };
    let cases = [
        h("Fix parser\n\nCo-authored-by: John Smith <john@example.org>\nSigned-off-by: Jane Doe <jane@example.org>\n"),
        bot("github-actions[bot]", 41898282),
        bot("dependabot[bot]", 49699333),
        bot("renovate[bot]", 29139614),
        Commit::new(
            who("github-actions[bot]", "github-actions[bot]@users.noreply.github.com"),
            "chore(release): 1.2.3\n",
        ),
        h("fix the Claude integration\n"),
        h("update aider docs\n\nThe aider: prefix is documented now.\n"),
        h("Support Cursor and Copilot in the settings page\n"),
        // A quoted trailer in prose, followed by a paragraph that is not a trailer block.
        h(
            "Document attribution\n\nClaude Code writes:\n\n    Co-Authored-By: Claude <noreply@anthropic.com>\n\nso we parse it.\n",
        ),
        h("Document attribution\n\n```\nCo-Authored-By: Claude <noreply@anthropic.com>\n```\n"),
        h("Fix\n\nAI-Assisted: false\n"),
        h("Fix\n\nAssisted-by: Jane Roe <jane.roe@example.org>\n"),
        h("Fix\n\nMade-with: Vim\n"),
        Commit::new(who("Aider Fan", "fan@example.org"), "aider is great\n"),
        Commit::new(who("Claude Monet", "claude@example.org"), "Paint\n"),
        // aider's committer attribution alone marks commits of the human's own edits.
        Commit::with_committer(
            who("Paul Gauthier", "paul@aider.chat"),
            who("Paul Gauthier (aider)", "paul@aider.chat"),
            "Update history\n",
        ),
    ];
    for commit in &cases {
        let c = catalogue.classify(&commit.meta());
        assert_eq!(
            c,
            Classification::default(),
            "{:?} by {:?} must be human",
            commit.message,
            commit.author
        );
    }
}

#[test]
fn strongest_evidence_picks_the_primary_tool_and_all_signals_are_kept() {
    let catalogue = builtin();
    // Identity beats trailer, even though Claude Code is listed first.
    let commit = Commit::with_committer(
        who(
            "copilot-swe-agent[bot]",
            "198982749+copilot-swe-agent[bot]@users.noreply.github.com",
        ),
        who("GitHub", "noreply@github.com"),
        "Fix\n\nCo-authored-by: Claude Opus 4.5 <noreply@anthropic.com>\n",
    );
    let c = catalogue.classify(&commit.meta());
    assert_eq!(c.tool.as_deref(), Some("GitHub Copilot"));
    assert_eq!(
        c.model, None,
        "the model of another tool is not the primary tool's model"
    );
    assert_eq!(c.signals.len(), 2, "{c:?}");
    assert_eq!(c.signals[0].kind, SignalKind::Identity);
    assert_eq!(
        c.signals[1].detail,
        "trailer Co-authored-by: Claude Opus 4.5 <noreply@anthropic.com> → Claude Code"
    );
    // Trailer beats marker.
    let commit = Commit::by_human("aider: fix\n\nCo-authored-by: Cursor <cursoragent@cursor.com>\n");
    assert_eq!(catalogue.classify(&commit.meta()).tool.as_deref(), Some("Cursor"));
    // Same strength: catalogue order (Claude Code before Cursor), whatever the trailer order.
    let commit = Commit::by_human(
        "Fix\n\nCo-authored-by: Cursor <cursoragent@cursor.com>\nCo-authored-by: Claude <noreply@anthropic.com>\n",
    );
    let c = catalogue.classify(&commit.meta());
    assert_eq!(c.tool.as_deref(), Some("Claude Code"));
    assert_eq!(c.signals.len(), 2);
    // The model comes from the primary tool's strongest signal that carries one.
    let commit = Commit::new(
        who("Paul Gauthier (aider)", "paul@aider.chat"),
        "feat: x\n\nCo-authored-by: aider (gpt-5) <aider@aider.chat>\n",
    );
    let c = catalogue.classify(&commit.meta());
    assert_eq!((c.tool.as_deref(), c.model.as_deref()), (Some("Aider"), Some("gpt-5")));
    assert_eq!(
        c.signals[0].detail,
        "author Paul Gauthier (aider) <paul@aider.chat> → Aider"
    );
}

const ORG: &str = r#"
version: 1
tools:
  - id: claude-code            # an existing tool: adds a signal to it
    name: ignored when merging
    signals:
      - kind: identity
        sides: [author]
        email: claude@basicmachines.co
        source: our Claude service account
  - id: acme-agent             # a new tool
    name: ACME Agent
    signals:
      - kind: trailer
        key: ACME-Agent-Run
        model: { from: value, regex: 'model=(\S+)' }
        source: https://wiki.acme.example/agents
      - kind: identity
        sides: [author, committer]
        name_regex: '\[bot\]$'
        source: every bot account at ACME is an agent
not_ai:
  - github: release-robot[bot]
    reason: our release automation is a script
"#;

#[test]
fn organisations_extend_the_builtin_catalogue() {
    let mut catalogue = builtin();
    let builtin_signals = catalogue.signal_ids().len();
    catalogue.extend(Catalogue::from_yaml(ORG, "acme.yaml").unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(catalogue.signal_ids().len(), builtin_signals + 3);
    assert!(catalogue.signal_ids().contains(&"acme-agent#1".to_owned()));

    let service = Commit::new(who("bm-claudeai", "claude@basicmachines.co"), "docs: update\n");
    let meta = service.meta();
    let c = catalogue.classify(&meta);
    assert_eq!(
        c.tool.as_deref(),
        Some("Claude Code"),
        "merged into the existing tool, its name kept"
    );
    assert_eq!(catalogue.matches(&meta)[0].origin, "acme.yaml");
    assert!(
        !builtin().classify(&meta).ai,
        "without the org file the account is unknown"
    );

    let run = Commit::by_human("Fix\n\nACME-Agent-Run: 42 model=acme-coder-2\n");
    let c = catalogue.classify(&run.meta());
    assert_eq!(
        (c.tool.as_deref(), c.model.as_deref()),
        (Some("ACME Agent"), Some("acme-coder-2"))
    );

    // The broad org rule catches unknown bots, but never the declared and built-in non-AI ones.
    let unknown_bot = Commit::new(
        who("lint-fixer[bot]", "1+lint-fixer[bot]@users.noreply.github.com"),
        "style\n",
    );
    assert_eq!(
        catalogue.classify(&unknown_bot.meta()).tool.as_deref(),
        Some("ACME Agent")
    );
    for name in [
        "release-robot[bot]",
        "dependabot[bot]",
        "github-actions[bot]",
        "renovate[bot]",
    ] {
        let commit = Commit::new(who(name, &format!("1+{name}@users.noreply.github.com")), "chore\n");
        assert!(!catalogue.classify(&commit.meta()).ai, "{name} is declared not AI");
    }
}

fn invalid(text: &str) -> (String, u64, String) {
    match Catalogue::from_yaml(text, "org/signatures.yaml") {
        Err(e @ SignatureError::Invalid { .. }) => {
            let shown = e.to_string();
            let SignatureError::Invalid { line, key, .. } = e else {
                unreachable!()
            };
            assert!(shown.starts_with(&format!("org/signatures.yaml:{line}:")), "{shown}");
            assert!(shown.contains(&key), "{shown}");
            assert!(shown.contains("Fix this entry"), "the message says what to do: {shown}");
            (shown, line, key)
        }
        Err(other) => panic!("expected a located error, got {other}"),
        Ok(_) => panic!("expected an error for:\n{text}"),
    }
}

const HEAD: &str = "version: 1\ntools:\n  - id: acme\n    name: ACME\n    signals:\n";

#[test]
fn bad_catalogues_give_located_errors() {
    // Unknown key (a typo), reported by the YAML reader with its position.
    let (_, line, key) = invalid(&format!(
        "{HEAD}      - kind: trailer\n        kee: X-Agent\n        source: s\n"
    ));
    assert_eq!((line, key.as_str()), (7, "kee"));
    // Invalid regex: the entry and key, at the regex's line.
    let (shown, line, key) = invalid(&format!(
        "{HEAD}      - kind: marker\n        in: body\n        regex: '(unclosed'\n        source: s\n"
    ));
    assert_eq!((line, key.as_str()), (8, "tools[acme].signals[0].regex"));
    assert!(shown.contains("invalid regex"), "{shown}");
    // Model regex inside a nested map.
    let (_, line, key) = invalid(&format!(
        "{HEAD}      - kind: trailer\n        key: X-Agent\n        model: {{ from: value, regex: '[z-a]' }}\n        source: s\n"
    ));
    assert_eq!((line, key.as_str()), (8, "tools[acme].signals[0].model.regex"));
    // A key of another kind of signal.
    let (_, line, key) = invalid(&format!(
        "{HEAD}      - kind: trailer\n        key: X-Agent\n        email: a@b\n        source: s\n"
    ));
    assert_eq!((line, key.as_str()), (6, "tools[acme].signals[0].email"));
    // Missing source, missing key, a key git cannot parse, an identity without matcher.
    let (_, _, key) = invalid(&format!("{HEAD}      - kind: trailer\n        key: X-Agent\n"));
    assert_eq!(key, "tools[acme].signals[0].source");
    let (_, _, key) = invalid(&format!("{HEAD}      - kind: trailer\n        source: s\n"));
    assert_eq!(key, "tools[acme].signals[0].key");
    let (_, line, key) = invalid(&format!(
        "{HEAD}      - kind: trailer\n        key: X Agent\n        source: s\n"
    ));
    assert_eq!((line, key.as_str()), (7, "tools[acme].signals[0].key"));
    let (_, _, key) = invalid(&format!(
        "{HEAD}      - kind: identity\n        sides: [author]\n        source: s\n"
    ));
    assert_eq!(key, "tools[acme].signals[0]");
    // Wrong `from` for the kind, unknown kind, wrong version, duplicate tool id, syntax error.
    let (_, line, key) = invalid(&format!(
        "{HEAD}      - kind: marker\n        in: body\n        regex: x\n        model:\n          from: email\n        source: s\n"
    ));
    assert_eq!((line, key.as_str()), (10, "tools[acme].signals[0].model.from"));
    let (_, line, key) = invalid(&format!("{HEAD}      - kind: trailor\n        source: s\n"));
    assert_eq!((line, key.as_str()), (6, "trailor"));
    let (_, line, key) = invalid("version: 2\n");
    assert_eq!((line, key.as_str()), (1, "version"));
    let dup = format!(
        "{HEAD}      - kind: trailer\n        key: A\n        source: s\n  - id: acme\n    name: B\n    signals: []\n"
    );
    let (_, line, key) = invalid(&dup);
    assert_eq!((line, key.as_str()), (9, "tools[acme].id"));
    let (_, line, _) = invalid(&format!("{HEAD}      - kind: [trailer\n"));
    assert!(line >= 6, "syntax errors are located too");
}

#[test]
fn load_file_reads_and_locates_errors_in_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = dir.path().join("org.yaml");
    std::fs::write(&good, ORG).expect("write");
    let loaded = Catalogue::load_file(&good).unwrap_or_else(|e| panic!("{e}"));
    assert!(loaded.tools().any(|(id, _)| id == "acme-agent"));

    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        format!("{HEAD}      - kind: identity\n        github: x\n        color: red\n        source: s\n"),
    )
    .expect("write");
    let err = Catalogue::load_file(&bad).expect_err("unknown key").to_string();
    assert!(err.starts_with(&format!("{}:8:", bad.display())), "{err}");
    assert!(err.contains("`color`"), "{err}");

    let missing = dir.path().join("missing.yaml");
    let err = Catalogue::load_file(&missing).expect_err("missing file");
    assert!(matches!(err, SignatureError::Read { .. }), "{err}");
    assert!(err.to_string().contains("missing.yaml"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// The real corpora, against an independent predicate over git's own trailer parse.

#[derive(Deserialize)]
struct FixtureCommit {
    sha: String,
    author: Identity,
    committer: Identity,
    message: String,
    git_trailers: Vec<(String, String)>,
}

fn fixture(name: &str) -> Vec<FixtureCommit> {
    let primary = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/provenance"));
    let dir = if primary.is_dir() {
        primary
    } else {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .map(|a| a.join("shared/fixtures/provenance"))
            .find(|p| p.is_dir())
            .unwrap_or(primary)
    };
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; the shared fixtures must be present (CI has them)",
            path.display()
        )
    });
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

/// The oracle: plain string tests over the author and git's parse, strongest evidence first and
/// ties in catalogue order. Returns (tool, model).
fn oracle(c: &FixtureCommit) -> Option<(&'static str, Option<String>)> {
    const ORDER: [&str; 4] = ["Claude Code", "GitHub Copilot", "Cursor", "Aider"];
    let author = c.author.name.as_str();
    if author.ends_with(" (aider)") {
        let model = c
            .git_trailers
            .iter()
            .find_map(|(_, v)| v.strip_prefix("aider (").and_then(|r| r.split(')').next()));
        return Some(("Aider", model.map(str::to_owned)));
    }
    if author == "claude[bot]" {
        return Some(("Claude Code", None));
    }
    let mut found: Vec<(&'static str, Option<String>)> = Vec::new();
    for (key, value) in &c.git_trailers {
        let value_lc = value.to_lowercase();
        let coauthor = key.eq_ignore_ascii_case("co-authored-by");
        if coauthor && value_lc.ends_with("<noreply@anthropic.com>") {
            let name = value[..value.find('<').unwrap_or(0)].trim();
            found.push(("Claude Code", (name != "Claude").then(|| name.to_owned())));
        } else if (coauthor && value_lc.ends_with("+claude[bot]@users.noreply.github.com>")) || key == "Claude-Session"
        {
            found.push(("Claude Code", None));
        } else if coauthor && value_lc.ends_with("+copilot@users.noreply.github.com>") {
            found.push(("GitHub Copilot", None));
        } else if coauthor && value_lc.ends_with("<cursoragent@cursor.com>") {
            found.push(("Cursor", None));
        } else if coauthor && (value_lc.ends_with("@aider.chat>") || value_lc.ends_with("@aider.dev>")) {
            let model = value
                .strip_prefix("aider (")
                .and_then(|r| r.split(')').next())
                .map(str::to_owned);
            found.push(("Aider", model));
        }
    }
    if let Some(tool) = ORDER.iter().find(|t| found.iter().any(|(f, _)| f == *t)) {
        let model = found.iter().filter(|(f, _)| f == tool).find_map(|(_, m)| m.clone());
        return Some((tool, model));
    }
    if c.message.contains("🤖 Generated with [Claude Code]") {
        return Some(("Claude Code", None));
    }
    if c.message.starts_with("aider: ") {
        return Some(("Aider", None));
    }
    None
}

fn check_corpus(name: &str) -> BTreeMap<String, usize> {
    let catalogue = builtin();
    let commits = fixture(name);
    let mut by_tool = BTreeMap::new();
    let mut disagreements = Vec::new();
    for c in &commits {
        let meta = CommitMeta {
            author: &c.author,
            committer: &c.committer,
            message: &c.message,
            trailers: &c.git_trailers,
        };
        let got = catalogue.classify(&meta);
        let expected = oracle(c);
        let got_pair = got.tool.clone().map(|t| (t, got.model.clone()));
        let expected_pair = expected.clone().map(|(t, m)| (t.to_owned(), m));
        if got_pair != expected_pair || got.ai != expected.is_some() {
            disagreements.push(format!(
                "{} by {:?}\n  oracle: {expected_pair:?}\n  ours:   {got:?}\n  message: {:?}",
                c.sha, c.author, c.message
            ));
        }
        *by_tool.entry(got.tool.unwrap_or_else(|| "human".into())).or_insert(0) += 1;
    }
    eprintln!("{name}: {} commits: {by_tool:?}", commits.len());
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    by_tool
}

#[test]
fn basic_memory_corpus_agrees_with_the_oracle() {
    let by_tool = check_corpus("basic-memory.commits.jsonl");
    assert!(by_tool.get("Claude Code").copied().unwrap_or(0) > 300, "{by_tool:?}");
    assert!(by_tool.get("human").copied().unwrap_or(0) > 500, "{by_tool:?}");
}

#[test]
fn aider_corpus_agrees_with_the_oracle() {
    let by_tool = check_corpus("aider.commits.jsonl");
    assert!(by_tool.get("Aider").copied().unwrap_or(0) > 1000, "{by_tool:?}");
    assert!(by_tool.get("human").copied().unwrap_or(0) > 1000, "{by_tool:?}");
}

mod properties {
    use super::*;
    use proptest::prelude::*;
    use std::sync::LazyLock;

    static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(builtin);

    /// Prose lines that name tools and even quote their trailers, but are never a trailer block on
    /// their own (each paragraph has a line with a space before any colon).
    fn prose_paragraph() -> impl Strategy<Value = String> {
        let word = prop_oneof![
            "[a-z]{1,8}",
            Just("Claude".to_owned()),
            Just("Copilot".to_owned()),
            Just("aider".to_owned()),
            Just("Cursor".to_owned()),
            Just("Codex".to_owned()),
            Just("noreply@anthropic.com".to_owned()),
            Just("copilot-swe-agent[bot]".to_owned()),
        ];
        let prose = prop::collection::vec(word, 2..8).prop_map(|w| w.join(" "));
        let quoted = prop_oneof![
            Just("Co-Authored-By: Claude <noreply@anthropic.com>".to_owned()),
            Just("Co-authored-by: Cursor <cursoragent@cursor.com>".to_owned()),
            Just("Made-with: Cursor".to_owned()),
            Just("Assisted-by: Claude:claude-3-opus".to_owned()),
            Just("AI-Assisted: true".to_owned()),
        ];
        (prose, prop::collection::vec(quoted, 0..3), any::<prop::sample::Index>()).prop_map(|(prose, mut lines, at)| {
            lines.insert(at.index(lines.len() + 1), prose);
            lines.join("\n")
        })
    }

    fn prose_message() -> impl Strategy<Value = String> {
        (
            "[A-Z][a-z]{2,8}( [a-z]{1,8}){0,4}",
            prop::collection::vec(prose_paragraph(), 0..4),
        )
            .prop_map(|(subject, paragraphs)| {
                let mut msg = subject;
                for p in paragraphs {
                    msg.push_str("\n\n");
                    msg.push_str(&p);
                }
                msg.push('\n');
                msg
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Mentions and quotations in prose never make a human commit AI; the same message with a
        /// real trailer block is Claude Code's, whatever the prose around it.
        #[test]
        fn prose_is_never_evidence_but_the_trailer_block_is(msg in prose_message()) {
            let catalogue = &*CATALOGUE;
            let human = Commit::by_human(&msg);
            prop_assert_eq!(catalogue.classify(&human.meta()), Classification::default(), "{:?}", msg);

            let attributed = Commit::by_human(&format!("{msg}\nCo-Authored-By: Claude Opus 4.5 <noreply@anthropic.com>\n"));
            let c = catalogue.classify(&attributed.meta());
            prop_assert_eq!(c.tool.as_deref(), Some("Claude Code"), "{:?}", attributed.message);
            prop_assert_eq!(c.model.as_deref(), Some("Claude Opus 4.5"));
        }
    }
}

//! `secret-added`: credentials added by the change. Two ways to recognise one: a known key or
//! token format (private key blocks, cloud and forge tokens, JWTs), or a high-entropy literal
//! assigned to a secret-looking name. Details name the format and never echo the secret.

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

use super::added::AddedLines;
use super::skips::regex;
use crate::engine::source::LineIndex;
use crate::engine::source::{Hit, SourceFile};

pub(crate) fn default_min_length() -> usize {
    16
}

pub(crate) fn default_entropy() -> f64 {
    3.5
}

/// Known formats, most specific first (an Anthropic key is also shaped like an OpenAI one).
const FORMAT_PATTERNS: [(&str, &str); 12] = [
    ("private key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    ("AWS access key id", r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
    ("GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b"),
    ("GitHub fine-grained token", r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b"),
    ("GitLab token", r"\bglpat-[A-Za-z0-9_\-]{20,}"),
    ("Slack token", r"\bxox[baprs]-[A-Za-z0-9-]{10,}"),
    ("Stripe live key", r"\b[sr]k_live_[A-Za-z0-9]{20,}\b"),
    ("Google API key", r"\bAIza[0-9A-Za-z_\-]{35}"),
    ("Anthropic API key", r"\bsk-ant-[A-Za-z0-9_\-]{20,}"),
    ("OpenAI API key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
    ("npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    (
        "JSON Web Token",
        r"\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}",
    ),
];

static FORMATS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    FORMAT_PATTERNS
        .iter()
        .map(|&(name, pattern)| (name, regex(pattern)))
        .collect()
});

/// All formats at once: one pass over a file tells whether any format needs a closer look.
static ANY_FORMAT: LazyLock<RegexSet> =
    // aigate: allow(reliability/rust-panic-in-library) -- constant pattern, compiled by the unit tests: cannot fail at run time
    LazyLock::new(|| RegexSet::new(FORMAT_PATTERNS.iter().map(|(_, p)| p)).expect("built-in patterns compile"));

const NAMES: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "access_key",
    "accesskey",
    "private_key",
    "privatekey",
    "client_secret",
    "credential",
    "auth_key",
    "signing_key",
    "encryption_key",
];

/// `name = "literal"` / `name: literal` where the name looks secret; group 1 the name, 2 the value.
pub(crate) struct Named(Regex);

impl Named {
    pub(crate) fn compile(extra: &[String]) -> Result<Named, String> {
        let names: Vec<String> = NAMES
            .iter()
            .map(|n| regex::escape(n))
            .chain(extra.iter().map(|n| regex::escape(n)))
            .collect();
        let pattern = format!(
            r#"(?i)([\w.\-]*(?:{})[\w.\-]*)["']?[ \t]*(?::=|=>|=|:)[ \t]*(?:["'`]([^"'`\s]+)["'`]|([^\s"'`,;#()\[\]{{}}]+)[ \t]*\r?$)"#,
            names.join("|")
        );
        Regex::new(&format!("(?m){pattern}"))
            .map(Named)
            .map_err(|e| format!("secret-added: invalid `names`: {e}"))
    }
}

/// Shannon entropy in bits per char.
fn entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = s.chars().count() as f64;
    counts.values().map(|&k| k as f64 / n).map(|p| -p * p.log2()).sum()
}

/// Obvious non-secrets: placeholders, examples, interpolations and environment lookups.
fn placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    const WORDS: &[&str] = &[
        "changeme",
        "change_me",
        "example",
        "xxxx",
        "dummy",
        "fake",
        "sample",
        "placeholder",
        "your",
        "redacted",
        "todo",
        "secret",
        "password",
        "test",
        "mock",
        "<",
        "${",
        "{{",
        "%s",
        "process.env",
        "os.environ",
        "getenv",
        "env(",
        "env[",
        "env.",
        "secrets.",
        "vault:",
        "*****",
    ];
    WORDS.iter().any(|w| lower.contains(w)) || lower.chars().collect::<std::collections::HashSet<_>>().len() <= 3
}

/// A redacted rendering: the first four chars and the length.
fn redact(secret: &str) -> String {
    let head: String = secret.chars().take(4).collect();
    format!("`{head}…` ({} chars)", secret.chars().count())
}

pub(crate) fn check(
    named: &Named,
    min_length: usize,
    threshold: f64,
    head: &SourceFile<'_>,
    base: Option<&SourceFile<'_>>,
) -> Vec<Hit> {
    let text = head.text;
    // Candidates first (byte range, detail); the diff against base only when there are some.
    let mut found: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    if ANY_FORMAT.is_match(text) {
        for (format, re) in FORMATS.iter() {
            for m in re.find_iter(text) {
                if *format != "private key" && placeholder(m.as_str()) {
                    continue;
                }
                found.push((m.range(), format!("{format} {}", redact(m.as_str()))));
            }
        }
    }
    for caps in named.0.captures_iter(text) {
        let (Some(name), Some(value)) = (caps.get(1), caps.get(2).or_else(|| caps.get(3))) else {
            continue;
        };
        // Unquoted values are for configuration files (.env, YAML, INI); in code they are expressions.
        if caps.get(3).is_some() && head.lang.is_some() {
            continue;
        }
        let v = value.as_str();
        if v.chars().count() < min_length || placeholder(v) || entropy(v) < threshold {
            continue;
        }
        let detail = format!("high-entropy literal assigned to `{}` {}", name.as_str(), redact(v));
        found.push((value.range(), detail));
    }
    if found.is_empty() {
        return Vec::new();
    }
    let added = AddedLines::between(base.map(|b| b.text), text);
    let mut taken: Vec<std::ops::Range<usize>> = Vec::new();
    let index = LineIndex::new(text);
    let mut hits: Vec<Hit> = Vec::new();
    // Earlier candidates win an overlap: known formats come before the entropy heuristic.
    for (range, detail) in found {
        let start = index.position(range.start);
        if !added.contains(start.line) || taken.iter().any(|t| t.start < range.end && range.start < t.end) {
            continue;
        }
        taken.push(range.clone());
        hits.push(Hit {
            start,
            end: index.position(range.end),
            detail: Some(detail),
        });
    }
    hits.sort_by_key(|h| h.start);
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_separates_words_from_keys() {
        assert!(entropy("aaaaaaaaaaaaaaaa") < 0.1);
        assert!(entropy("q8Zr2LmX0vT5kW9pB3nY") > 4.0);
        assert!(Named::compile(&["passphrase".into()]).is_ok());
        assert_eq!(FORMATS.len(), 12);
    }
}

//! `assertion-removed`: a test checks less than it did at base. Assertions are counted per test
//! (matched by name between base and head) or per file, on code with comments and strings blanked.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::Per;
use super::code::Code;
use super::skips::regex;
use super::testfns::{TestFn, tests};
use crate::engine::lang::Lang;
use crate::engine::source::{Hit, Position, SourceFile};

fn assertions(lang: Lang) -> Option<&'static Regex> {
    static RUST: LazyLock<Regex> = LazyLock::new(|| regex(r"\b[a-z_]*assert[a-z_]*!\s*[(\[{]"));
    static PYTHON: LazyLock<Regex> =
        LazyLock::new(|| regex(r"(?m)^[ \t]*assert\b|\bself\.assert\w*\s*\(|\bpytest\.raises\s*\("));
    static JS: LazyLock<Regex> = LazyLock::new(|| regex(r"\bexpect\s*[(.]|\bassert\b(?:\.\w+)*\s*\("));
    static GO: LazyLock<Regex> = LazyLock::new(|| {
        regex(r"\b(?:t|b|tb|f)\.(?:Errorf?|Fatalf?|Fail(?:Now)?)\s*\(|\b(?:require|assert)\.\w+\s*\(")
    });
    static JAVA: LazyLock<Regex> =
        LazyLock::new(|| regex(r"\bassert(?:[A-Z]\w*)?\s*\(|\bassert\s+[^;(]|\bverify\s*\("));
    static CSHARP: LazyLock<Regex> = LazyLock::new(|| regex(r"\bAssert\.\w+\s*\(|\.Should\w*\s*\("));
    static RUBY: LazyLock<Regex> = LazyLock::new(|| regex(r"\bexpect\b|\bassert\w*\b|\brefute\w*\b"));
    match lang {
        Lang::Rust => Some(&RUST),
        Lang::Python => Some(&PYTHON),
        Lang::JavaScript | Lang::TypeScript | Lang::Tsx => Some(&JS),
        Lang::Go => Some(&GO),
        Lang::Java => Some(&JAVA),
        Lang::CSharp => Some(&CSHARP),
        Lang::Ruby => Some(&RUBY),
        Lang::Bash | Lang::C | Lang::Cpp => None,
    }
}

/// The file's assertions (byte offsets) and its tests.
fn survey(text: &str, lang: Lang, re: &Regex) -> (Vec<usize>, Vec<TestFn>) {
    let code = Code::parse(text, Some(lang));
    let found = re.find_iter(&code.masked).map(|m| m.start()).collect();
    (found, tests(&code, lang))
}

/// Assertions inside each test, by name (repeated names keep their order).
fn per_test(found: &[usize], tests: &[TestFn]) -> HashMap<String, Vec<usize>> {
    let mut counts: HashMap<String, Vec<usize>> = HashMap::new();
    for t in tests {
        // Innermost wins: an assertion inside a nested test is not also its parent's.
        let n = found
            .iter()
            .filter(|&&a| {
                t.extent.contains(&a)
                    && !tests.iter().any(|o| {
                        o.extent != t.extent
                            && t.extent.start <= o.extent.start
                            && o.extent.end <= t.extent.end
                            && o.extent.contains(&a)
                    })
            })
            .count();
        counts.entry(t.name.clone()).or_default().push(n);
    }
    counts
}

pub(crate) fn check(per: Per, head: &SourceFile<'_>, base: &SourceFile<'_>) -> Vec<Hit> {
    let Some(lang) = head.lang.or(base.lang) else {
        return Vec::new();
    };
    let Some(re) = assertions(lang) else { return Vec::new() };
    if !re.is_match(base.text) {
        return Vec::new();
    }
    let (base_found, base_tests) = survey(base.text, lang, re);
    let (head_found, head_tests) = survey(head.text, lang, re);
    if per == Per::File {
        if head_found.len() >= base_found.len() {
            return Vec::new();
        }
        let detail = format!(
            "{} assertion(s) removed from the file ({} at base, {} at head)",
            base_found.len() - head_found.len(),
            base_found.len(),
            head_found.len()
        );
        return vec![Hit {
            start: Position { line: 1, column: 1 },
            end: Position { line: 1, column: 1 },
            detail: Some(detail),
        }];
    }
    let before = per_test(&base_found, &base_tests);
    let after = per_test(&head_found, &head_tests);
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut hits = Vec::new();
    for t in &head_tests {
        let nth = seen.entry(t.name.as_str()).or_insert(0);
        let (Some(was), Some(now)) = (
            before.get(&t.name).and_then(|v| v.get(*nth)),
            after.get(&t.name).and_then(|v| v.get(*nth)),
        ) else {
            *nth += 1;
            continue;
        };
        *nth += 1;
        if now < was {
            hits.push(Hit {
                start: Position::at_byte(head.text, t.at.start),
                end: Position::at_byte(head.text, t.at.end),
                detail: Some(format!(
                    "test `{}` lost {} assertion(s) ({was} at base, {now} at head)",
                    t.name,
                    was - now
                )),
            });
        }
    }
    hits
}

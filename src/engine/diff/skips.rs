//! `test-skip-added`: a marker that disables a test, added by the change.

use std::sync::LazyLock;

use regex::Regex;

use super::added::AddedLines;
use super::code::Code;
use crate::engine::lang::Lang;
use crate::engine::source::LineIndex;
use crate::engine::source::{Hit, SourceFile};

/// Built from constant patterns (compiled by the unit tests below), so this cannot fail at run time.
pub(crate) fn regex(pattern: &str) -> Regex {
    // aigate: allow(reliability/rust-panic-in-library) -- constant pattern, compiled by the unit tests: cannot fail at run time
    Regex::new(pattern).expect("built-in pattern compiles")
}

/// Skip markers, matched on code with comments and strings blanked.
fn markers(lang: Lang) -> &'static Regex {
    static RUST: LazyLock<Regex> = LazyLock::new(|| regex(r"#\[\s*ignore\b"));
    static PYTHON: LazyLock<Regex> = LazyLock::new(|| {
        regex(concat!(
            r"@pytest\.mark\.skip(?:if)?\b|\bpytest\.skip\s*\(|@(?:unittest\.)?skip(?:If|Unless)?\b",
            r"|\.skipTest\s*\(|\braise\s+(?:unittest\.)?SkipTest\b"
        ))
    });
    static JS: LazyLock<Regex> = LazyLock::new(|| {
        regex(
            r"\b(?:it|describe|test|context|suite|specify)\.(?:skip|todo)\b|\bx(?:it|describe|test|context|specify)\s*\(",
        )
    });
    // The test's handle (`t`, `b`, `tb`, `f`, or a suite's `s.T()`), not any value with a Skip method.
    static GO: LazyLock<Regex> = LazyLock::new(|| regex(r"(?:\b(?:t|b|tb|f)|\.T\(\))\.Skip(?:f|Now)?\s*\("));
    static JAVA: LazyLock<Regex> = LazyLock::new(|| regex(r"@(?:Disabled|Ignore)\b"));
    static CSHARP: LazyLock<Regex> =
        LazyLock::new(|| regex(r"\[\s*(?:Fact|Theory|Test|TestCase)\s*\([^\]]*\bSkip\s*=|\[\s*Ignore\b"));
    static RUBY: LazyLock<Regex> =
        LazyLock::new(|| regex(r"\bx(?:it|describe|context|specify)\b|(?m)^[ \t]*(?:skip|pending)\b"));
    static NONE: LazyLock<Regex> = LazyLock::new(|| regex(r"[^\s\S]"));
    match lang {
        Lang::Rust => &RUST,
        Lang::Python => &PYTHON,
        Lang::JavaScript | Lang::TypeScript | Lang::Tsx => &JS,
        Lang::Go => &GO,
        Lang::Java => &JAVA,
        Lang::CSharp => &CSHARP,
        Lang::Ruby => &RUBY,
        Lang::Bash | Lang::C | Lang::Cpp => &NONE,
    }
}

/// Hits for every match of `re` in `haystack` (a view of `code.text` with the same offsets) that
/// starts on an added line, with the line's text as detail.
pub(crate) fn on_added_lines(re: &Regex, haystack: &str, code: &Code<'_>, added: &AddedLines, what: &str) -> Vec<Hit> {
    let index = LineIndex::new(code.text);
    let mut hits: Vec<Hit> = Vec::new();
    for m in re.find_iter(haystack) {
        let start = index.position(m.start());
        if !added.contains(start.line) || hits.last().is_some_and(|h| h.start.line == start.line) {
            continue;
        }
        let end = index.position(m.end());
        hits.push(Hit {
            start,
            end,
            detail: Some(format!("{what}: `{}`", code.line_text(m.start()))),
        });
    }
    hits
}

pub(crate) fn check(head: &SourceFile<'_>, base: Option<&SourceFile<'_>>) -> Vec<Hit> {
    let Some(lang) = head.lang else { return Vec::new() };
    let re = markers(lang);
    // Cheap exit: no marker anywhere in the raw text means none in code either.
    if !re.is_match(head.text) {
        return Vec::new();
    }
    let code = Code::parse(head.text, Some(lang));
    let added = AddedLines::between(base.map(|b| b.text), head.text);
    on_added_lines(re, &code.masked, &code, &added, "test skipped")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_pattern_compiles() {
        for lang in Lang::ALL {
            let _ = markers(lang).is_match("");
        }
    }
}

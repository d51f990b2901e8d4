//! Test functions of a file, per language, and `test-deleted`: tests present at base, gone at head.
//! Definitions are matched on code with comments and strings blanked; JavaScript and RSpec test
//! titles are then read from the original string literal.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::code::Code;
use super::skips::regex;
use crate::engine::lang::Lang;
use crate::engine::source::{Hit, Position, SourceFile};

/// One test: its name (or title), where the name is, and the extent of its body.
pub(crate) struct TestFn {
    pub name: String,
    pub at: Range<usize>,
    pub extent: Range<usize>,
}

/// Definitions whose capture group 1 is the test's name.
fn named(lang: Lang) -> Option<&'static Regex> {
    static RUST: LazyLock<Regex> = LazyLock::new(|| {
        regex(concat!(
            r"#\[\s*(?:\w+::)*(?:test|rstest|test_case|quickcheck)\b[^\]]*\](?:\s*#\[[^\]]*\])*\s*",
            r"(?:pub(?:\s*\([^)]*\))?\s+)?(?:(?:async|unsafe|const)\s+)*fn\s+(\w+)"
        ))
    });
    static PYTHON: LazyLock<Regex> = LazyLock::new(|| regex(r"(?m)^[ \t]*(?:async[ \t]+)?def[ \t]+(test\w*)\s*\("));
    static GO: LazyLock<Regex> = LazyLock::new(|| regex(r"\bfunc\s+(Test\w*)\s*\(\s*\w+\s+\*testing\.T\s*\)"));
    static JAVA: LazyLock<Regex> = LazyLock::new(|| {
        regex(concat!(
            r"@(?:Test|ParameterizedTest|RepeatedTest|TestFactory|TestTemplate)\b(?:\s*\([^)]*\))?",
            r"(?:\s*@[\w.]+(?:\s*\([^)]*\))?)*\s*(?:(?:public|protected|private|static|final)\s+)*",
            r"[\w<>\[\].,?]+\s+(\w+)\s*\("
        ))
    });
    static CSHARP: LazyLock<Regex> = LazyLock::new(|| {
        regex(concat!(
            r"\[\s*(?:Fact|Theory|Test|TestCase|TestMethod|DataTestMethod)\b[^\]]*\](?:\s*\[[^\]]*\])*\s*",
            r"(?:(?:public|private|protected|internal|static|async|virtual|override)\s+)*[\w<>\[\].,?]+\s+(\w+)\s*\("
        ))
    });
    static RUBY: LazyLock<Regex> = LazyLock::new(|| regex(r"(?m)^[ \t]*def[ \t]+(test_\w+)"));
    match lang {
        Lang::Rust => Some(&RUST),
        Lang::Python => Some(&PYTHON),
        Lang::Go => Some(&GO),
        Lang::Java => Some(&JAVA),
        Lang::CSharp => Some(&CSHARP),
        Lang::Ruby => Some(&RUBY),
        _ => None,
    }
}

/// Calls whose first argument, a string literal, is the test's title.
fn titled(lang: Lang) -> Option<&'static Regex> {
    static JS: LazyLock<Regex> =
        LazyLock::new(|| regex(r"\b(?:it|test|specify|xit|xtest)(?:\.(?:only|concurrent|skip|todo|failing))*\s*\("));
    static RUBY: LazyLock<Regex> = LazyLock::new(|| regex(r"\b(?:it|specify|scenario|example|xit)\b"));
    match lang {
        Lang::JavaScript | Lang::TypeScript | Lang::Tsx => Some(&JS),
        Lang::Ruby => Some(&RUBY),
        _ => None,
    }
}

/// The string literal starting at `from` (after blanks and an opening parenthesis), as its byte
/// range and content.
fn literal_at(text: &str, from: usize) -> Option<(Range<usize>, String)> {
    let rest = text.get(from..)?;
    let skipped = rest.len() - rest.trim_start_matches([' ', '\t', '(']).len();
    let start = from + skipped;
    let mut chars = text.get(start..)?.char_indices();
    let (_, quote) = chars.next()?;
    if !matches!(quote, '\'' | '"' | '`') {
        return None;
    }
    let mut escaped = false;
    for (i, c) in chars {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '\n' if quote != '`' => return None,
            c if c == quote => return Some((start..start + i + 1, text[start + 1..start + i].to_owned())),
            _ => {}
        }
    }
    None
}

pub(crate) fn tests(code: &Code<'_>, lang: Lang) -> Vec<TestFn> {
    let mut found = Vec::new();
    if let Some(re) = named(lang) {
        for caps in re.captures_iter(&code.masked) {
            if let Some(name) = caps.get(1) {
                found.push((name.range(), name.as_str().to_owned()));
            }
        }
    }
    if let Some(re) = titled(lang) {
        for m in re.find_iter(&code.masked) {
            if let Some((at, title)) = literal_at(code.text, m.end()) {
                found.push((at, title));
            }
        }
    }
    found.sort_by_key(|(at, _)| at.start);
    let starts: Vec<usize> = found.iter().map(|(at, _)| at.start).collect();
    found
        .into_iter()
        .enumerate()
        .map(|(i, (at, name))| {
            let fallback = at.start..starts.get(i + 1).copied().unwrap_or(code.text.len());
            let extent = code.function_at(at.start).unwrap_or(fallback);
            TestFn { name, at, extent }
        })
        .collect()
}

/// Tests by name, with how many of each (titles may repeat across `describe` blocks).
fn census(tests: &[TestFn]) -> HashMap<&str, usize> {
    let mut counts = HashMap::new();
    for t in tests {
        *counts.entry(t.name.as_str()).or_insert(0) += 1;
    }
    counts
}

pub(crate) fn check_deleted(head: &SourceFile<'_>, base: &SourceFile<'_>) -> Vec<Hit> {
    let Some(lang) = base.lang.or(head.lang) else {
        return Vec::new();
    };
    // Cheap exit before parsing: no test definition anywhere in the base text.
    if !named(lang).is_some_and(|re| re.is_match(base.text)) && !titled(lang).is_some_and(|re| re.is_match(base.text)) {
        return Vec::new();
    }
    let base_code = Code::parse(base.text, Some(lang));
    let base_tests = tests(&base_code, lang);
    if base_tests.is_empty() {
        return Vec::new();
    }
    let head_code = Code::parse(head.text, Some(lang));
    let head_tests = tests(&head_code, lang);
    let head_counts = census(&head_tests);
    let mut remaining = census(&base_tests);
    let mut hits = Vec::new();
    for t in &base_tests {
        let Some(left) = remaining.get_mut(t.name.as_str()) else {
            continue;
        };
        // Report the surplus once per name: base had `left` of them, head keeps fewer.
        let kept = head_counts.get(t.name.as_str()).copied().unwrap_or(0);
        if *left > kept {
            *left -= 1;
            let line = Position::at_byte(base.text, t.at.start).line;
            hits.push(Hit {
                start: Position { line: 1, column: 1 },
                end: Position { line: 1, column: 1 },
                detail: Some(format!("test `{}` deleted (it was at line {line} at base)", t.name)),
            });
        }
    }
    hits
}

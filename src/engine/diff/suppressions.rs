//! `suppression-added`: a lint or type-check suppression added by the change. Directives carried
//! by comments (Python's noqa, ESLint's disabling comments) count only inside comments; attribute and pragma
//! suppressions (`#[allow(…)]`, `@SuppressWarnings`, `#pragma warning disable`) only in code.

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

use super::added::AddedLines;
use super::code::Code;
use super::skips::{on_added_lines, regex};
use crate::engine::lang::Lang;
use crate::engine::source::{Hit, SourceFile};

static IN_COMMENTS: LazyLock<Regex> = LazyLock::new(|| {
    regex(concat!(
        r"eslint-disable(?:-next-line|-line)?\b|#\s*noqa\b|\btype:\s*ignore\b|@ts-(?:ignore|expect-error|nocheck)\b",
        r"|(?i:\bnolint\b)|\brubocop:\s*disable\b|\bpylint:\s*disable\b|\bnosec\b|\bNOSONAR\b|\bbiome-ignore\b",
        r"|\bistanbul\s+ignore\b|\bphpcs:ignore\b"
    ))
});

fn in_code(lang: Lang) -> Option<&'static Regex> {
    static RUST: LazyLock<Regex> =
        LazyLock::new(|| regex(r"#!?\[\s*(?:cfg_attr\s*\([^\]]*?,\s*)?(?:allow|expect)\s*\("));
    static JAVA: LazyLock<Regex> = LazyLock::new(|| regex(r"@(?:java\.lang\.)?SuppressWarnings\b"));
    static CSHARP: LazyLock<Regex> =
        LazyLock::new(|| regex(r"#\s*pragma\s+warning\s+disable\b|\[\s*(?:assembly\s*:\s*)?SuppressMessage\b"));
    static C: LazyLock<Regex> = LazyLock::new(|| {
        regex(r"#\s*pragma\s+warning\s*\(\s*disable\b|#\s*pragma\s+(?:GCC|clang)\s+diagnostic\s+ignored\b")
    });
    match lang {
        Lang::Rust => Some(&RUST),
        Lang::Java => Some(&JAVA),
        Lang::CSharp => Some(&CSHARP),
        Lang::C | Lang::Cpp => Some(&C),
        _ => None,
    }
}

pub(crate) fn compile_allow(allow: &[String]) -> Result<RegexSet, String> {
    RegexSet::new(allow).map_err(|e| {
        format!(
            "suppression-added: invalid `allow` regex: {e}; write a Rust regex such as `clippy::too_many_arguments`"
        )
    })
}

pub(crate) fn check(allow: &RegexSet, head: &SourceFile<'_>, base: Option<&SourceFile<'_>>) -> Vec<Hit> {
    let Some(lang) = head.lang else { return Vec::new() };
    let code_re = in_code(lang);
    if !IN_COMMENTS.is_match(head.text) && !code_re.is_some_and(|re| re.is_match(head.text)) {
        return Vec::new();
    }
    let code = Code::parse(head.text, Some(lang));
    let added = AddedLines::between(base.map(|b| b.text), head.text);
    // Comment text only: everything outside comments blanked, offsets kept.
    let mut comments_only = vec![b' '; head.text.len()];
    for range in &code.comments {
        comments_only[range.clone()].copy_from_slice(&head.text.as_bytes()[range.clone()]);
    }
    let comments_only = String::from_utf8(comments_only).unwrap_or_default();
    let mut hits = on_added_lines(&IN_COMMENTS, &comments_only, &code, &added, "suppression added");
    if let Some(re) = code_re {
        hits.extend(on_added_lines(re, &code.masked, &code, &added, "suppression added"));
    }
    hits.retain(|h| !h.detail.as_deref().is_some_and(|d| allow.is_match(d)));
    hits.sort_by_key(|h| h.start);
    hits.dedup_by_key(|h| h.start.line);
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        let _ = IN_COMMENTS.is_match("");
        for lang in Lang::ALL {
            let _ = in_code(lang).map(|re| re.is_match(""));
        }
    }
}

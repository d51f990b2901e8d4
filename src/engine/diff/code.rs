//! A file's text seen through its parser: comments and string literals located by tree-sitter
//! (so a `#[ignore]` in a comment or an `it.skip(` inside a string is not code), and the extents
//! of function-like nodes (to attribute an assertion to its test). Offsets are byte offsets.

use std::ops::Range;

use ast_grep_language::LanguageExt;

use crate::engine::lang::Lang;

pub(crate) struct Code<'a> {
    pub text: &'a str,
    /// `text` with every comment and string literal replaced by spaces (newlines kept), so that
    /// offsets and line numbers are those of `text`.
    pub masked: String,
    pub comments: Vec<Range<usize>>,
    /// Function-like nodes (functions, methods, and calls in languages whose tests are calls).
    pub functions: Vec<Range<usize>>,
}

fn is_comment(kind: &str) -> bool {
    kind.contains("comment")
}

fn is_string(kind: &str) -> bool {
    kind.contains("string") || kind == "text_block" || kind == "heredoc_body"
}

fn is_function(kind: &str, lang: Lang) -> bool {
    match kind {
        "function_item"
        | "function_definition"
        | "function_declaration"
        | "method_declaration"
        | "method"
        | "singleton_method"
        | "local_function_statement"
        | "method_definition" => true,
        // JavaScript/TypeScript tests are `it(…)` calls; RSpec examples are `it "…" do` calls.
        "call_expression" => matches!(lang, Lang::JavaScript | Lang::TypeScript | Lang::Tsx),
        "call" => lang == Lang::Ruby,
        _ => false,
    }
}

impl<'a> Code<'a> {
    /// Parses `text` as `lang`; without a language, nothing is masked.
    pub(crate) fn parse(text: &'a str, lang: Option<Lang>) -> Code<'a> {
        let mut code = Code {
            text,
            masked: text.to_owned(),
            comments: Vec::new(),
            functions: Vec::new(),
        };
        let Some(lang) = lang else { return code };
        let root = lang.ast_grep().ast_grep(text);
        let mut blank = Vec::new();
        walk(root.root().get_inner_node(), |node| {
            let kind = node.kind();
            if is_comment(kind) {
                code.comments.push(node.byte_range());
                blank.push(node.byte_range());
                return false;
            }
            if is_string(kind) {
                blank.push(node.byte_range());
                return false;
            }
            if is_function(kind, lang) {
                code.functions.push(node.byte_range());
            }
            true
        });
        let mut bytes = std::mem::take(&mut code.masked).into_bytes();
        for range in blank {
            for b in &mut bytes[range] {
                // Blank whole UTF-8 sequences (all their bytes are non-ASCII) and keep line breaks.
                if *b != b'\n' && *b != b'\r' {
                    *b = b' ';
                }
            }
        }
        code.masked = String::from_utf8(bytes).unwrap_or_else(|_| text.to_owned());
        code.comments.sort_by_key(|r| r.start);
        code
    }

    /// The smallest function-like node containing `offset`.
    pub(crate) fn function_at(&self, offset: usize) -> Option<Range<usize>> {
        self.functions
            .iter()
            .filter(|r| r.contains(&offset))
            .min_by_key(|r| r.len())
            .cloned()
    }

    /// The trimmed text of the line holding `offset`, shortened for a finding's detail.
    pub(crate) fn line_text(&self, offset: usize) -> String {
        let offset = offset.min(self.text.len());
        let start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let end = self.text[offset..].find('\n').map_or(self.text.len(), |i| offset + i);
        shorten(self.text[start..end].trim(), 80)
    }
}

/// Visits the syntax tree in document order with a cursor (no recursion, so deeply nested input
/// cannot overflow the stack); `visit` returns whether to descend into the node.
pub(crate) fn walk(root: tree_sitter::Node<'_>, mut visit: impl FnMut(tree_sitter::Node<'_>) -> bool) {
    let mut cursor = root.walk();
    loop {
        if visit(cursor.node()) && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

/// `s` cut to at most `max` chars, with an ellipsis when cut.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_strings_are_masked_in_place() {
        let text = "let a = \"it.skip(\"; // #[ignore]\nfn f() {}\n";
        let code = Code::parse(text, Some(Lang::Rust));
        assert_eq!(code.masked.len(), text.len());
        assert!(!code.masked.contains("it.skip") && !code.masked.contains("ignore"));
        assert!(code.masked.contains("fn f() {}"));
        assert_eq!(code.comments.len(), 1);
        assert_eq!(
            code.function_at(text.find("f()").unwrap_or(0)).map(|r| r.start),
            text.find("fn f")
        );
    }
}

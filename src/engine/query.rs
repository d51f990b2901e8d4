//! The query kind: a tree-sitter query (S-expressions with captures and predicates) run on the
//! tree ast-grep already parsed. tree-sitter applies the text predicates itself (`#eq?`,
//! `#not-eq?`, `#match?`, `#not-match?`, `#any-of?`, `#not-any-of?` and their `any-` forms);
//! any other predicate is refused at load time rather than silently ignored.

use std::ops::Range;

use ast_grep_core::tree_sitter::LanguageExt;
use tree_sitter::{Query, QueryCursor, StreamingIterator};

use super::lang::Lang;

pub struct QueryCheck {
    query: Query,
    /// The capture reported; `None` = the first capture of each match.
    capture: Option<u32>,
}

#[derive(Debug)]
pub(crate) struct QueryError {
    /// 0-based row and column in the query text, when the error is in the query.
    pub row: Option<u32>,
    pub column: u32,
    pub in_capture: bool,
    pub message: String,
    pub help: String,
}

pub(crate) fn compile(lang: Lang, source: &str, capture: Option<&str>) -> Result<QueryCheck, QueryError> {
    let ts_lang = lang.ast_grep().get_ts_language();
    let query = Query::new(&ts_lang, source).map_err(|e| QueryError {
        row: Some(e.row as u32),
        column: e.column as u32,
        in_capture: false,
        message: format!("invalid {lang} query ({:?}): {}", e.kind, e.message.trim()),
        help: "check the node kinds and fields against the grammar (`tree-sitter parse`, or ast-grep's playground)"
            .into(),
    })?;
    for i in 0..query.pattern_count() {
        let general = query.general_predicates(i).first().map(|p| p.operator.to_string());
        let property = query
            .property_predicates(i)
            .first()
            .map(|(_, positive)| if *positive { "is?" } else { "is-not?" }.to_string());
        if let Some(operator) = general.or(property) {
            return Err(QueryError {
                row: None,
                column: 0,
                in_capture: false,
                message: format!("unsupported predicate `#{operator}`"),
                help:
                    "aigate honours #eq?, #not-eq?, #match?, #not-match?, #any-of?, #not-any-of? (and their any- forms)"
                        .into(),
            });
        }
    }
    let capture = match capture {
        Some(name) => Some(query.capture_index_for_name(name).ok_or_else(|| QueryError {
            row: None,
            column: 0,
            in_capture: true,
            message: format!("the query has no capture `@{name}`"),
            help: format!("captures of this query: {}", names(&query)),
        })?),
        None => query.capture_index_for_name("match"),
    };
    if query.capture_names().is_empty() {
        return Err(QueryError {
            row: None,
            column: 0,
            in_capture: false,
            message: "the query captures nothing, so there is nothing to report".into(),
            help: "add a capture (e.g. `@match`) to the node to report".into(),
        });
    }
    Ok(QueryCheck { query, capture })
}

fn names(query: &Query) -> String {
    query
        .capture_names()
        .iter()
        .map(|n| format!("@{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl QueryCheck {
    /// Byte ranges of the reported capture of every match under `root`.
    pub(crate) fn run(&self, root: tree_sitter::Node<'_>, text: &str) -> Vec<Range<usize>> {
        let mut cursor = QueryCursor::new();
        let mut out = Vec::new();
        let mut matches = cursor.matches(&self.query, root, text.as_bytes());
        while let Some(m) = matches.next() {
            let node = match self.capture {
                Some(index) => m.captures().iter().find(|c| c.index == index).map(|c| c.node),
                None => m.captures().first().map(|c| c.node),
            };
            if let Some(node) = node {
                out.push(node.byte_range());
            }
        }
        out.sort_by_key(|r| (r.start, r.end));
        out.dedup();
        out
    }
}

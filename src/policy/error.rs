//! Errors loading a policy. Every rule-file error names the file, line, column, rule id and the
//! offending key, and renders with miette as a labelled snippet of the rule file.

use std::path::PathBuf;

use miette::{NamedSource, SourceSpan};

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PolicyError {
    #[error("cannot read {path}: {source}")]
    #[diagnostic(help("check that the path exists and is readable"))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Rule(Box<RuleError>),

    #[error("duplicate invariant id `{id}`: defined in {first} and in {second}")]
    #[diagnostic(help("invariant ids are unique across the whole policy; rename one of them"))]
    DuplicateId { id: String, first: String, second: String },

    #[error("unknown pack `{name}`; the loaded packs are: {known}")]
    #[diagnostic(help("pack names are the directory names under rules/ (see `aigate rules list`)"))]
    UnknownPack { name: String, known: String },

    #[error("cannot build the engine: {0}")]
    Engine(String),
}

/// A rule file that does not load, located in the file.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{file}:{line}:{column}: {what}: {message}")]
#[diagnostic(code(aigate::policy::invalid_rule), help("{help}"))]
pub struct RuleError {
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// The id of the rule document, when it has one.
    pub rule_id: Option<String>,
    /// The offending key (e.g. `language`, `rule.pattern`, `metadata.waivable`).
    pub key: Option<String>,
    pub message: String,
    pub help: String,
    what: String,
    #[source_code]
    source_code: NamedSource<String>,
    #[label("{label}")]
    span: SourceSpan,
    label: String,
}

impl RuleError {
    /// `at` is a 1-based line and column (in chars); 0 means unknown (start of the document).
    pub(crate) fn new(
        file: &str,
        text: &str,
        at: (u32, u32),
        rule_id: Option<&str>,
        key: Option<&str>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Box<RuleError> {
        let (line, column) = at;
        let line = line.max(1);
        let column = column.max(1);
        let offset = byte_offset(text, line, column);
        let len = text[offset..].find(['\n', ':']).unwrap_or(text.len() - offset).max(1);
        let len = len.min(text.len().saturating_sub(offset));
        let what = match (rule_id, key) {
            (Some(id), Some(key)) => format!("rule `{id}`, key `{key}`"),
            (Some(id), None) => format!("rule `{id}`"),
            (None, Some(key)) => format!("key `{key}`"),
            (None, None) => "rule file".to_string(),
        };
        Box::new(RuleError {
            file: file.to_string(),
            line,
            column,
            rule_id: rule_id.map(str::to_string),
            key: key.map(str::to_string),
            message: message.into(),
            help: help.into(),
            what,
            source_code: NamedSource::new(file, text.to_string()),
            span: (offset, len).into(),
            label: key.map_or_else(|| "here".to_string(), |k| format!("`{k}`")),
        })
    }
}

impl From<Box<RuleError>> for PolicyError {
    fn from(e: Box<RuleError>) -> Self {
        PolicyError::Rule(e)
    }
}

/// Byte offset of a 1-based line and char column in `text`, clamped to the text.
pub(crate) fn byte_offset(text: &str, line: u32, column: u32) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line_text = &text[start..text[start..].find('\n').map_or(text.len(), |i| start + i)];
    start
        + line_text
            .char_indices()
            .nth(column.saturating_sub(1) as usize)
            .map_or(line_text.len(), |(i, _)| i)
}

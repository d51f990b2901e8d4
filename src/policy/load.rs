//! Parsing one rule file (several YAML documents) into invariants, each compiled and validated.
//!
//! Each file is read twice with ast-grep-config's own YAML options: once into [`RawDoc`]
//! (typed, with the location of every top-level key, so errors point at the file) and once
//! into generic values (handed unchanged to ast-grep-config for pattern rules, and kept as
//! the invariant's canonical definition).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_saphyr::{Location, RenderOptions, SnippetMode, Spanned};
use serde_value::Value;

use super::error::RuleError;
use super::model::{Check, FileGlobs, Invariant, KindName, Metadata, Origin, Severity};
use crate::engine::lang::Lang;
use crate::engine::waiver::WaiverHygiene;
use crate::engine::{diff::DiffSpec, imports::ImportsSpec, paths::PathsSpec, rust::RustSpec};
use crate::engine::{pattern, query};

/// One rule file to load.
pub(crate) struct RuleFile<'a> {
    /// Shown in errors and origins (a path, or `rules/<pack>/<file>` for built-in packs).
    pub name: &'a str,
    pub text: &'a str,
    pub pack: Option<&'a str>,
    pub builtin: bool,
}

/// The top-level keys of a rule document. ast-grep's keys are only located here (their values
/// go to ast-grep-config from the generic parse); aigate's are typed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDoc {
    id: Option<Spanned<String>>,
    language: Option<Spanned<String>>,
    rule: Option<Spanned<IgnoredAny>>,
    constraints: Option<Spanned<IgnoredAny>>,
    utils: Option<Spanned<IgnoredAny>>,
    transform: Option<Spanned<IgnoredAny>>,
    fix: Option<Spanned<IgnoredAny>>,
    rewriters: Option<Spanned<IgnoredAny>>,
    labels: Option<Spanned<IgnoredAny>>,
    message: Option<String>,
    note: Option<String>,
    severity: Option<Spanned<Severity>>,
    files: Option<Spanned<Vec<GlobEntry>>>,
    ignores: Option<Spanned<Vec<GlobEntry>>>,
    url: Option<String>,
    metadata: Option<Spanned<Metadata>>,
    query: Option<Spanned<String>>,
    capture: Option<Spanned<String>>,
    imports: Option<Spanned<ImportsSpec>>,
    paths: Option<Spanned<PathsSpec>>,
    diff: Option<Spanned<DiffSpec>>,
    rust: Option<Spanned<RustSpec>>,
    waiver: Option<Spanned<WaiverHygiene>>,
}

/// ast-grep's `files`/`ignores` entry: a glob, or `{ glob, caseInsensitive }`.
#[derive(Deserialize)]
#[serde(untagged)]
enum GlobEntry {
    Glob(String),
    #[serde(rename_all = "camelCase")]
    Config {
        glob: String,
        #[serde(default)]
        case_insensitive: bool,
    },
}

impl GlobEntry {
    fn glob(&self) -> &str {
        match self {
            GlobEntry::Glob(g) | GlobEntry::Config { glob: g, .. } => g,
        }
    }
}

/// Only the id and start of each document, to name the rule in a syntax or type error.
#[derive(Deserialize)]
struct IdOnly {
    #[serde(default)]
    id: Option<Value>,
}

/// A kind key present in a document, with where it is.
struct KindKey {
    name: &'static str,
    at: Location,
}

pub(crate) fn parse_file(file: &RuleFile<'_>) -> Result<Vec<Invariant>, Box<RuleError>> {
    let starts: Vec<(Location, Option<String>)> = ast_grep_config::from_multiple::<Spanned<IdOnly>>(file.text)
        .map(|docs| {
            docs.into_iter()
                .map(|d| {
                    let id = match d.value.id {
                        Some(Value::String(s)) => Some(s),
                        _ => None,
                    };
                    (d.referenced, id)
                })
                .collect()
        })
        .unwrap_or_default();
    let raw: Vec<Spanned<RawDoc>> =
        ast_grep_config::from_multiple(file.text).map_err(|e| yaml_error(file, &starts, &e))?;
    let values: Vec<Value> = ast_grep_config::from_multiple(file.text).map_err(|e| yaml_error(file, &starts, &e))?;
    if raw.len() != values.len() {
        return Err(RuleError::new(
            file.name,
            file.text,
            (1, 1),
            None,
            None,
            "the documents of this file could not be told apart",
            "separate rule documents with a line holding only `---`",
        ));
    }
    let line_count = file.text.lines().count() as u32 + 1;
    let mut out = Vec::with_capacity(raw.len());
    for (i, (doc, value)) in raw.into_iter().zip(values).enumerate() {
        let start = line_of(doc.referenced).max(1);
        let end = raw_end(&starts, i, line_count);
        out.push(build(file, doc.value, value, start, end)?);
    }
    Ok(out)
}

fn raw_end(starts: &[(Location, Option<String>)], i: usize, line_count: u32) -> u32 {
    starts
        .get(i + 1)
        .map_or(line_count, |(l, _)| line_of(*l).saturating_sub(1).max(1))
}

fn line_of(l: Location) -> u32 {
    l.line() as u32
}

fn col_of(l: Location) -> u32 {
    l.column() as u32
}

fn yaml_error(file: &RuleFile<'_>, starts: &[(Location, Option<String>)], e: &serde_saphyr::Error) -> Box<RuleError> {
    let loc = e.location();
    let (line, column) = loc.map_or((1, 1), |l| (line_of(l), col_of(l)));
    // The document the error is in: the last one starting at or before the error's line.
    let id = starts
        .iter()
        .rev()
        .find(|(l, _)| line_of(*l) <= line)
        .and_then(|(_, id)| id.clone());
    let mut options = RenderOptions::default();
    options.snippets = SnippetMode::Off;
    let message = e.without_snippet().render_with_options(options);
    // serde names an unknown key in backticks; otherwise the key is the one written on that line.
    let key = message
        .contains("unknown field")
        .then(|| backticked(&message))
        .flatten()
        .or_else(|| key_on_line(file.text, line));
    let message = match message.rfind(" at line ") {
        Some(i) if loc.is_some() => message[..i].to_string(),
        _ => message,
    };
    let help = if message.contains("unknown field") {
        "aigate rule documents accept ast-grep's keys (id, language, rule, constraints, utils, transform, fix, \
         rewriters, message, note, severity, labels, files, ignores, url, metadata) plus exactly one of aigate's \
         kinds (query, imports, paths, diff, rust, waiver); aigate's own settings go under `metadata`"
    } else {
        "fix the YAML at this location"
    };
    RuleError::new(
        file.name,
        file.text,
        (line, column),
        id.as_deref(),
        key.as_deref(),
        message,
        help,
    )
}

/// The first `name` in backticks in an error message (serde names the offending field so).
fn backticked(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_string())
}

/// The mapping key written on a 1-based line, if any.
fn key_on_line(text: &str, line: u32) -> Option<String> {
    let l = text.lines().nth(line.checked_sub(1)? as usize)?;
    let key = l.trim_start().trim_start_matches("- ").split(':').next()?.trim();
    (!key.is_empty() && !key.contains(' ')).then(|| key.to_string())
}

/// The first line in `from..=to` (1-based) whose text is the mapping key `key:`; gives (line, column).
pub(crate) fn find_key(text: &str, key: &str, from: u32, to: u32) -> Option<(u32, u32)> {
    for (i, l) in text.lines().enumerate().skip(from.saturating_sub(1) as usize) {
        let n = i as u32 + 1;
        if n > to {
            break;
        }
        let trimmed = l
            .trim_start()
            .trim_start_matches("- ")
            .trim_start_matches('{')
            .trim_start();
        let indent = l.chars().count() - trimmed.chars().count();
        if trimmed.starts_with(key) && trimmed[key.len()..].trim_start().starts_with(':') {
            return Some((n, indent as u32 + 1));
        }
        if let Some(pos) = l.find(&format!("{key}:")) {
            let before = &l[..pos];
            if before.ends_with(['{', ' ', ',']) {
                return Some((n, before.chars().count() as u32 + 1));
            }
        }
    }
    None
}

fn build(file: &RuleFile<'_>, doc: RawDoc, value: Value, start: u32, end: u32) -> Result<Invariant, Box<RuleError>> {
    let id = doc
        .id
        .as_ref()
        .map(|s| s.value.trim().to_string())
        .filter(|s| !s.is_empty());
    let err = |at: Option<Location>, key: &str, message: String, help: &str| {
        let (line, column) = at.map_or((start, 1), |l| (line_of(l), col_of(l)));
        RuleError::new(
            file.name,
            file.text,
            (line, column),
            id.as_deref(),
            Some(key),
            message,
            help,
        )
    };
    let Some(id_str) = id.clone() else {
        return Err(err(
            None,
            "id",
            "the rule has no `id`".into(),
            "give every rule document a unique `id:`",
        ));
    };

    // Exactly one kind.
    let mut kinds: Vec<KindKey> = Vec::new();
    let mut note_kind = |name: &'static str, at: Option<Location>| {
        if let Some(at) = at {
            kinds.push(KindKey { name, at });
        }
    };
    note_kind("rule", doc.rule.as_ref().map(|s| s.referenced));
    note_kind("query", doc.query.as_ref().map(|s| s.referenced));
    note_kind("imports", doc.imports.as_ref().map(|s| s.referenced));
    note_kind("paths", doc.paths.as_ref().map(|s| s.referenced));
    note_kind("diff", doc.diff.as_ref().map(|s| s.referenced));
    note_kind("rust", doc.rust.as_ref().map(|s| s.referenced));
    note_kind("waiver", doc.waiver.as_ref().map(|s| s.referenced));
    let kind = match kinds.as_slice() {
        [one] => one.name,
        [] => {
            return Err(err(
                None,
                "rule",
                "the rule says nothing to check".into(),
                "add exactly one of `rule:` (an ast-grep rule), `query:`, `imports:`, `paths:`, `diff:`, `rust:` or `waiver:`",
            ));
        }
        [first, second, ..] => {
            return Err(err(
                Some(second.at),
                second.name,
                format!("the rule has both `{}:` and `{}:`", first.name, second.name),
                "a rule document has exactly one kind; split it into two documents with their own ids",
            ));
        }
    };
    if kind != "rule" {
        for (name, at) in [
            ("constraints", doc.constraints.as_ref().map(|s| s.referenced)),
            ("utils", doc.utils.as_ref().map(|s| s.referenced)),
            ("transform", doc.transform.as_ref().map(|s| s.referenced)),
            ("fix", doc.fix.as_ref().map(|s| s.referenced)),
            ("rewriters", doc.rewriters.as_ref().map(|s| s.referenced)),
            ("labels", doc.labels.as_ref().map(|s| s.referenced)),
        ] {
            if at.is_some() {
                return Err(err(
                    at,
                    name,
                    format!("`{name}:` only applies to `rule:` (ast-grep) rules, not to `{kind}:` rules"),
                    "remove the key, or write the check as an ast-grep `rule:`",
                ));
            }
        }
    }
    if kind != "query" && doc.capture.is_some() {
        return Err(err(
            doc.capture.as_ref().map(|s| s.referenced),
            "capture",
            "`capture:` only applies to `query:` rules".into(),
            "remove the key",
        ));
    }

    // Language.
    let language = match &doc.language {
        Some(name) => match Lang::from_name(name.value.trim()) {
            Some(lang) => Some(lang),
            None => {
                let supported: Vec<&str> = Lang::ALL.iter().map(|l| l.name()).collect();
                return Err(err(
                    Some(name.referenced),
                    "language",
                    format!("unsupported language `{}`", name.value),
                    &format!("aigate supports: {}", supported.join(", ")),
                ));
            }
        },
        None => None,
    };
    if language.is_none() && matches!(kind, "rule" | "query") {
        return Err(err(
            None,
            "language",
            format!("a `{kind}:` rule needs a `language:`"),
            "add e.g. `language: rust`",
        ));
    }

    let metadata = doc.metadata.map(|m| m.value).unwrap_or_default();
    if file.builtin && metadata.rationale.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(err(
            None,
            "metadata.rationale",
            "a built-in rule has no `metadata.rationale`".into(),
            "say why the invariant exists under `metadata: { rationale: ... }`",
        ));
    }

    let globs = FileGlobs {
        files: compile_globs(doc.files.as_ref())
            .map_err(|m| err(doc.files.as_ref().map(|s| s.referenced), "files", m, "fix the glob"))?,
        ignores: compile_globs(doc.ignores.as_ref())
            .map_err(|m| err(doc.ignores.as_ref().map(|s| s.referenced), "ignores", m, "fix the glob"))?,
    };
    let glob_strings = |g: &Option<Spanned<Vec<GlobEntry>>>| -> Vec<String> {
        g.as_ref()
            .map(|s| s.value.iter().map(|e| e.glob().to_string()).collect())
            .unwrap_or_default()
    };

    let missing = || err(None, kind, format!("`{kind}:` has no value"), "give the kind its spec");
    // The kind's own validation (globs, regexes) at load time, located at the kind's key.
    let invalid = |at: Location, message: String| err(Some(at), kind, message, "fix the value under this key");
    let definition = to_json(&value);
    let fix = definition.get("fix").cloned();
    let (check, kind_name) = match kind {
        "rule" => {
            let lang = language.unwrap_or(Lang::Rust);
            let compiled = pattern::compile(value, lang).map_err(|e| {
                let top = match e.key {
                    "rule" => doc.rule.as_ref().map(|s| s.referenced),
                    "constraints" => doc.constraints.as_ref().map(|s| s.referenced),
                    "utils" => doc.utils.as_ref().map(|s| s.referenced),
                    "transform" => doc.transform.as_ref().map(|s| s.referenced),
                    "fix" => doc.fix.as_ref().map(|s| s.referenced),
                    "rewriters" => doc.rewriters.as_ref().map(|s| s.referenced),
                    "labels" => doc.labels.as_ref().map(|s| s.referenced),
                    _ => None,
                };
                let from = top.map_or(start, line_of);
                let sub = e
                    .subkey
                    .as_deref()
                    .and_then(|k| find_key(file.text, k, from, end).map(|at| (k, at)));
                let (line, column, key) = match sub {
                    Some((k, (line, column))) => (line, column, format!("{}.{k}", e.key)),
                    None => match top {
                        Some(l) => (line_of(l), col_of(l), e.key.to_string()),
                        None => (
                            find_key(file.text, e.key, start, end).map_or(start, |p| p.0),
                            1,
                            e.key.to_string(),
                        ),
                    },
                };
                RuleError::new(
                    file.name,
                    file.text,
                    (line, column),
                    Some(&id_str),
                    Some(&key),
                    e.message,
                    e.help,
                )
            })?;
            (Check::Pattern(Box::new(compiled)), KindName::Pattern)
        }
        "query" => {
            let lang = language.unwrap_or(Lang::Rust);
            let q = doc.query.as_ref().map(|s| s.value.as_str()).unwrap_or_default();
            let capture = doc.capture.as_ref().map(|s| s.value.as_str());
            let compiled = query::compile(lang, q, capture).map_err(|e| {
                let (key, at) = match e.in_capture {
                    true => ("capture", doc.capture.as_ref().map(|s| s.referenced)),
                    false => ("query", doc.query.as_ref().map(|s| s.referenced)),
                };
                let (mut line, mut column) = at.map_or((start, 1), |l| (line_of(l), col_of(l)));
                if let (false, Some(row), Some(at)) = (e.in_capture, e.row, at) {
                    // A block scalar (`query: |`) starts on the next line.
                    let offset = super::error::byte_offset(file.text, line_of(at), col_of(at));
                    let block = file.text[offset..].starts_with(['|', '>']);
                    line += row + u32::from(block);
                    column = if block || row > 0 {
                        e.column + 1
                    } else {
                        column + e.column
                    };
                }
                RuleError::new(
                    file.name,
                    file.text,
                    (line, column),
                    Some(&id_str),
                    Some(key),
                    e.message,
                    e.help,
                )
            })?;
            (Check::Query(compiled), KindName::Query)
        }
        "imports" => {
            let spec = doc.imports.ok_or_else(missing)?;
            spec.value.validate().map_err(|m| invalid(spec.referenced, m))?;
            (Check::Imports(spec.value), KindName::Imports)
        }
        "paths" => {
            let spec = doc.paths.ok_or_else(missing)?;
            spec.value.validate().map_err(|m| invalid(spec.referenced, m))?;
            (Check::Paths(spec.value), KindName::Paths)
        }
        "diff" => {
            let spec = doc.diff.ok_or_else(missing)?;
            spec.value.validate().map_err(|m| invalid(spec.referenced, m))?;
            (Check::Diff(spec.value), KindName::Diff)
        }
        "rust" => {
            let spec = doc.rust.ok_or_else(missing)?;
            spec.value.validate().map_err(|m| invalid(spec.referenced, m))?;
            (Check::Rust(spec.value), KindName::Rust)
        }
        _ => (
            Check::Waiver(doc.waiver.map(|s| s.value).ok_or_else(missing)?),
            KindName::Waiver,
        ),
    };

    Ok(Invariant {
        id: id_str,
        language,
        severity: doc.severity.map(|s| s.value).unwrap_or_default(),
        message: doc.message.unwrap_or_default(),
        note: doc.note,
        url: doc.url,
        fix,
        files: glob_strings(&doc.files),
        ignores: glob_strings(&doc.ignores),
        kind: kind_name,
        metadata,
        origin: Origin {
            file: file.name.to_string(),
            line: start,
            pack: file.pack.map(str::to_string),
            builtin: file.builtin,
        },
        definition,
        globs: Arc::new(globs),
        check: Arc::new(check),
    })
}

fn compile_globs(entries: Option<&Spanned<Vec<GlobEntry>>>) -> Result<Option<globset::GlobSet>, String> {
    let Some(entries) = entries else {
        return Ok(None);
    };
    let mut set = globset::GlobSetBuilder::new();
    for entry in &entry_list(entries) {
        let (glob, ci) = entry;
        let g = globset::GlobBuilder::new(glob)
            .case_insensitive(*ci)
            .literal_separator(false)
            .build()
            .map_err(|e| format!("invalid glob `{glob}`: {e}"))?;
        set.add(g);
    }
    set.build().map(Some).map_err(|e| format!("invalid globs: {e}"))
}

fn entry_list(entries: &Spanned<Vec<GlobEntry>>) -> Vec<(String, bool)> {
    entries
        .value
        .iter()
        .map(|e| match e {
            GlobEntry::Glob(g) => (g.clone(), false),
            GlobEntry::Config { glob, case_insensitive } => (glob.clone(), *case_insensitive),
        })
        .collect()
}

/// A YAML value as canonical JSON (sorted keys; non-string keys written as strings).
pub(crate) fn to_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Bool(b) => J::Bool(*b),
        Value::U8(n) => J::from(*n),
        Value::U16(n) => J::from(*n),
        Value::U32(n) => J::from(*n),
        Value::U64(n) => J::from(*n),
        Value::I8(n) => J::from(*n),
        Value::I16(n) => J::from(*n),
        Value::I32(n) => J::from(*n),
        Value::I64(n) => J::from(*n),
        Value::F32(n) => {
            serde_json::Number::from_f64(f64::from(*n)).map_or_else(|| J::String(n.to_string()), J::Number)
        }
        Value::F64(n) => serde_json::Number::from_f64(*n).map_or_else(|| J::String(n.to_string()), J::Number),
        Value::Char(c) => J::String(c.to_string()),
        Value::String(s) => J::String(s.clone()),
        Value::Unit => J::Null,
        Value::Option(o) => o.as_deref().map_or(J::Null, to_json),
        Value::Newtype(v) => to_json(v),
        Value::Seq(items) => J::Array(items.iter().map(to_json).collect()),
        Value::Map(map) => {
            let mut out = serde_json::Map::new();
            let sorted: BTreeMap<String, &Value> = map.iter().map(|(k, v)| (key_string(k), v)).collect();
            for (k, v) in sorted {
                out.insert(k, to_json(v));
            }
            J::Object(out)
        }
        Value::Bytes(b) => J::String(String::from_utf8_lossy(b).into_owned()),
    }
}

fn key_string(k: &Value) -> String {
    match to_json(k) {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

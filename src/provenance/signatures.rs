//! The AI signature catalogue (`rules/signatures.yaml`, embedded; organisations add their own
//! files) and the classification of one commit against it.
//!
//! A catalogue is a list of tools, each with signals of three kinds: trailers, identities (author,
//! committer, co-author trailers) and message markers. Classifying a commit reports every signal
//! that matches; the primary tool is the one with the strongest evidence (author/committer identity
//! > trailer > marker), ties going to the tool listed first.
//!
//! Models are reported as the commit wrote them (trimmed, whitespace runs collapsed): the
//! co-author `Claude Opus 4.5 <noreply@anthropic.com>` gives `Claude Opus 4.5`, and a bare
//! `Claude` gives no model. Each signal's detail says what matched and which tool it points at,
//! e.g. `trailer Co-Authored-By: Claude Opus 4.5 <noreply@anthropic.com> → Claude Code`.

mod identity;
mod index;
mod schema;

use std::path::{Path, PathBuf};

use super::model::{Classification, Identity, Signal, SignalKind};
pub use identity::Side;
use identity::{IdentityMatcher, Seen, split_name_email};
use index::Index;
use schema::{Extract, FileDef, From, KindDef, MarkerField, Validator, is_trailer_key};

/// The built-in catalogue, compiled into the binary.
const BUILTIN: &str = include_str!("../../rules/signatures.yaml");
const BUILTIN_ORIGIN: &str = "rules/signatures.yaml (built in)";
/// Longest marker line quoted in a signal's detail.
const MAX_DETAIL_LINE: usize = 120;

/// The commit data classification looks at.
#[derive(Debug, Clone)]
pub struct CommitMeta<'a> {
    pub author: &'a Identity,
    pub committer: &'a Identity,
    pub message: &'a str,
    /// The parsed trailers of `message` (see [`super::trailers::parse`]).
    pub trailers: &'a [(String, String)],
}

/// A catalogue file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    #[error(
        "{origin}:{line}:{column}: `{key}`: {message}. Fix this entry of the signature catalogue \
         (the format is documented at the top of rules/signatures.yaml)"
    )]
    Invalid {
        origin: String,
        line: u64,
        column: u64,
        key: String,
        message: String,
    },
    #[error("cannot read the signature catalogue {}: {source}. Check the path and that the file is readable", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One matching signal, with the tool it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// The catalogue id of the tool (`claude-code`).
    pub tool_id: String,
    /// The display name (`Claude Code`), or the name read from the commit for generic conventions.
    pub tool: String,
    pub model: Option<String>,
    pub signal: Signal,
    /// Where the convention is documented (the signal's `source`).
    pub source: String,
    /// The file the signal came from.
    pub origin: String,
    /// `tool-id#n`: the n-th signal of the tool (0-based, org signals numbered after built-in ones).
    pub signal_id: String,
    strength: u8,
    tool_rank: usize,
}

#[derive(Debug, Clone)]
struct Tool {
    id: String,
    name: String,
}

#[derive(Debug, Clone)]
enum Body {
    Trailer { key: String, value: Option<regex::Regex> },
    Identity { sides: Vec<Side>, matcher: IdentityMatcher },
    Marker { field: MarkerField, regex: regex::Regex },
}

#[derive(Debug, Clone)]
struct CompiledSignal {
    id: String,
    tool: usize,
    body: Body,
    model: Option<Extract>,
    tool_name: Option<Extract>,
    source: String,
    origin: String,
}

/// The loaded catalogue: tools, their signals, the identities that never count as AI, and an
/// index so that a commit is checked against the few signals that can match it.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    tools: Vec<Tool>,
    signals: Vec<CompiledSignal>,
    not_ai: Vec<IdentityMatcher>,
    index: Index,
}

impl Catalogue {
    /// The catalogue compiled into the binary (`rules/signatures.yaml`).
    ///
    /// # Errors
    /// Only if the embedded file is invalid, which the crate's tests rule out.
    pub fn builtin() -> Result<Catalogue, SignatureError> {
        Catalogue::from_yaml(BUILTIN, BUILTIN_ORIGIN)
    }

    /// Reads an organisation's catalogue file.
    ///
    /// # Errors
    /// [`SignatureError::Read`] if the file cannot be read, else as [`Catalogue::from_yaml`].
    pub fn load_file(path: &Path) -> Result<Catalogue, SignatureError> {
        let text = std::fs::read_to_string(path).map_err(|source| SignatureError::Read {
            path: path.to_owned(),
            source,
        })?;
        Catalogue::from_yaml(&text, &path.display().to_string())
    }

    /// Parses and validates a catalogue; `origin` names it in errors (a path, usually).
    ///
    /// # Errors
    /// [`SignatureError::Invalid`], located at the offending line and column and naming the key,
    /// for malformed YAML, unknown keys, invalid regexes and incomplete signals.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Catalogue, SignatureError> {
        let file: FileDef = serde_saphyr::from_str(text).map_err(|e| yaml_error(&e, origin))?;
        compile(file, &Validator { origin })
    }

    /// Adds `other` to this catalogue. A tool of `other` with an id already present adds its
    /// signals to that tool (keeping this catalogue's display name and priority); a new tool is
    /// appended after the existing ones (lowest priority on ties); `not_ai` identities are added.
    /// Signals are never removed: an organisation cannot drop a built-in signal, only exempt its
    /// own identities (a release bot, a service account) through `not_ai`.
    pub fn extend(&mut self, other: Catalogue) {
        let remap: Vec<usize> = other
            .tools
            .into_iter()
            .map(|tool| match self.tools.iter().position(|t| t.id == tool.id) {
                Some(i) => i,
                None => {
                    self.tools.push(tool);
                    self.tools.len() - 1
                }
            })
            .collect();
        for s in other.signals {
            let tool = remap[s.tool];
            let n = self.signals.iter().filter(|x| x.tool == tool).count();
            let id = format!("{}#{n}", self.tools[tool].id);
            self.signals.push(CompiledSignal { id, tool, ..s });
        }
        self.not_ai.extend(other.not_ai);
        self.index = Index::build(&self.signals);
    }

    /// The id (`tool-id#n`) of every signal, tools in priority order.
    pub fn signal_ids(&self) -> Vec<String> {
        let mut ids: Vec<(usize, &str)> = self.signals.iter().map(|s| (s.tool, s.id.as_str())).collect();
        ids.sort_by_key(|(tool, _)| *tool);
        ids.into_iter().map(|(_, id)| id.to_owned()).collect()
    }

    /// `(id, display name)` of every tool, in priority order.
    pub fn tools(&self) -> impl Iterator<Item = (&str, &str)> {
        self.tools.iter().map(|t| (t.id.as_str(), t.name.as_str()))
    }

    /// Every signal of the catalogue that matches `commit`, strongest evidence first.
    pub fn matches(&self, commit: &CommitMeta<'_>) -> Vec<Match> {
        let mut out = Vec::new();
        for seen in identities(commit) {
            if self.not_ai.iter().any(|m| m.matches(seen.name, seen.email)) {
                continue;
            }
            for i in self.index.identity_candidates(seen.name, seen.email) {
                let s = &self.signals[i];
                if let Body::Identity { sides, matcher } = &s.body
                    && sides.contains(&seen.side)
                    && matcher.matches(seen.name, seen.email)
                {
                    out.push(self.identity_match(s, &seen));
                }
            }
        }
        for (key, value) in commit.trailers {
            for &i in self.index.trailer_candidates(key) {
                let s = &self.signals[i];
                if let Body::Trailer { value: re, .. } = &s.body
                    && re.as_ref().is_none_or(|r| r.is_match(value))
                {
                    let detail = format!("trailer {key}: {value}");
                    out.push(self.make_match(s, SignalKind::Trailer, detail, |_| Some(value.as_str())));
                }
            }
        }
        let (subject, body) = commit.message.split_once('\n').unwrap_or((commit.message, ""));
        for (field, text) in [
            (MarkerField::Subject, subject),
            (MarkerField::Body, body),
            (MarkerField::Message, commit.message),
        ] {
            for i in self.index.marker_candidates(field, text) {
                let s = &self.signals[i];
                if let Body::Marker { regex, .. } = &s.body
                    && let Some(found) = regex.find(text)
                {
                    let line = line_around(text, found.start(), found.end());
                    out.push(self.make_match(s, SignalKind::Marker, format!("marker {line}"), |_| Some(line)));
                }
            }
        }
        out.sort_by_key(|m| m.strength);
        out
    }

    /// The verdict on one commit: AI or not, the primary tool and model, and every signal.
    pub fn classify(&self, commit: &CommitMeta<'_>) -> Classification {
        let matches = self.matches(commit);
        let Some(primary) = matches.iter().min_by_key(|m| (m.strength, m.tool_rank)) else {
            return Classification::default();
        };
        let model = matches
            .iter()
            .filter(|m| m.tool_id == primary.tool_id && m.tool == primary.tool)
            .find_map(|m| m.model.clone());
        let mut signals: Vec<Signal> = Vec::with_capacity(matches.len());
        for m in &matches {
            if !signals.contains(&m.signal) {
                signals.push(m.signal.clone());
            }
        }
        Classification {
            ai: true,
            tool: Some(primary.tool.clone()),
            model,
            signals,
        }
    }

    fn identity_match(&self, s: &CompiledSignal, seen: &Seen<'_>) -> Match {
        let (kind, detail) = match (seen.side, seen.trailer) {
            (Side::CoAuthor, Some((key, value))) => (SignalKind::Trailer, format!("trailer {key}: {value}")),
            (side, _) => {
                let word = if side == Side::Committer { "committer" } else { "author" };
                (SignalKind::Identity, format!("{word} {} <{}>", seen.name, seen.email))
            }
        };
        self.make_match(s, kind, detail, |from| match from {
            From::Name => Some(seen.name),
            From::Email => Some(seen.email),
            From::Value | From::Text => None,
        })
    }

    fn make_match<'t>(
        &self,
        s: &CompiledSignal,
        kind: SignalKind,
        detail: String,
        field: impl Fn(From) -> Option<&'t str>,
    ) -> Match {
        let read = |e: &Option<Extract>| e.as_ref().and_then(|e| field(e.from).and_then(|text| e.apply(text)));
        let tool = read(&s.tool_name).unwrap_or_else(|| self.tools[s.tool].name.clone());
        let strength = match kind {
            SignalKind::Identity => 0,
            SignalKind::Trailer => 1,
            SignalKind::Marker => 2,
        };
        Match {
            tool_id: self.tools[s.tool].id.clone(),
            model: read(&s.model),
            signal: Signal {
                kind,
                detail: format!("{detail} → {tool}"),
            },
            tool,
            source: s.source.clone(),
            origin: s.origin.clone(),
            signal_id: s.id.clone(),
            strength,
            tool_rank: s.tool,
        }
    }
}

/// Author, committer, then each `Co-authored-by` trailer, in message order.
fn identities<'a>(commit: &'a CommitMeta<'a>) -> impl Iterator<Item = Seen<'a>> {
    let people = [(Side::Author, commit.author), (Side::Committer, commit.committer)]
        .into_iter()
        .map(|(side, id)| Seen {
            side,
            name: &id.name,
            email: &id.email,
            trailer: None,
        });
    let co_authors = commit
        .trailers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("Co-authored-by"))
        .map(|(k, v)| {
            let (name, email) = split_name_email(v);
            Seen {
                side: Side::CoAuthor,
                name,
                email,
                trailer: Some((k.as_str(), v.as_str())),
            }
        });
    people.chain(co_authors)
}

/// The line of `text` holding `start..end`, trimmed and shortened for display.
fn line_around(text: &str, start: usize, end: usize) -> &str {
    let from = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let to = text[end..].find('\n').map_or(text.len(), |i| end + i);
    let line = text[from..to].trim();
    match line.char_indices().nth(MAX_DETAIL_LINE) {
        Some((cut, _)) => &line[..cut],
        None => line,
    }
}

/// A serde-saphyr error as a located [`SignatureError`]; the offending key is the one serde names.
fn yaml_error(e: &serde_saphyr::Error, origin: &str) -> SignatureError {
    let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default().trim();
    // serde-saphyr prefixes "error: line L column C: "; the location is reported separately.
    let message = first
        .split_once(": ")
        .filter(|(head, _)| head.starts_with("error"))
        .map_or(first, |(_, rest)| rest);
    let message = match message.split_once(": ") {
        Some((head, rest)) if head.starts_with("line ") && head.contains(" column ") => rest,
        _ => message,
    }
    .to_owned();
    let key = message.split('`').nth(1).unwrap_or("(document)").to_owned();
    SignatureError::Invalid {
        origin: origin.to_owned(),
        line,
        column,
        key,
        message,
    }
}

fn compile(file: FileDef, v: &Validator<'_>) -> Result<Catalogue, SignatureError> {
    if file.version.value != 1 {
        return Err(v.error(
            file.version.referenced,
            "version".into(),
            format!(
                "unsupported version {}, this aigate reads version 1",
                file.version.value
            ),
        ));
    }
    let mut catalogue = Catalogue::default();
    for def in &file.tools {
        let id = &def.id.value;
        if id.trim().is_empty() || def.name.trim().is_empty() {
            return Err(v.error(
                def.id.referenced,
                format!("tools[{id}]"),
                "a tool needs a non-empty id and name",
            ));
        }
        if catalogue.tools.iter().any(|t| &t.id == id) {
            return Err(v.error(
                def.id.referenced,
                format!("tools[{id}].id"),
                "this id is used twice in the file; merge the two entries",
            ));
        }
        if def.signals.is_empty() {
            return Err(v.error(
                def.id.referenced,
                format!("tools[{id}].signals"),
                "a tool needs at least one signal",
            ));
        }
        let tool = catalogue.tools.len();
        catalogue.tools.push(Tool {
            id: id.clone(),
            name: def.name.clone(),
        });
        for (i, s) in def.signals.iter().enumerate() {
            let mut compiled = compile_signal(s, tool, &format!("tools[{id}].signals[{i}]"), v)?;
            compiled.id = format!("{id}#{i}");
            catalogue.signals.push(compiled);
        }
    }
    for (i, def) in file.not_ai.iter().enumerate() {
        let at = def.reason.as_ref().map_or(file.version.referenced, |r| r.referenced);
        catalogue
            .not_ai
            .push(v.identity(&def.identity(), at, &format!("not_ai[{i}]"))?);
    }
    catalogue.index = Index::build(&catalogue.signals);
    Ok(catalogue)
}

fn compile_signal(
    s: &schema::SignalDef,
    tool: usize,
    path: &str,
    v: &Validator<'_>,
) -> Result<CompiledSignal, SignatureError> {
    let at = s.kind.referenced;
    let kind = s.kind.value;
    let present = [
        ("key", s.key.is_some(), KindDef::Trailer),
        ("value", s.value.is_some(), KindDef::Trailer),
        ("sides", s.sides.is_some(), KindDef::Identity),
        ("name", s.name.is_some(), KindDef::Identity),
        ("name_regex", s.name_regex.is_some(), KindDef::Identity),
        ("email", s.email.is_some(), KindDef::Identity),
        ("email_regex", s.email_regex.is_some(), KindDef::Identity),
        ("github", s.github.is_some(), KindDef::Identity),
        ("in", s.field.is_some(), KindDef::Marker),
        ("regex", s.regex.is_some(), KindDef::Marker),
    ];
    if let Some((key, _, _)) = present.iter().find(|(_, set, k)| *set && *k != kind) {
        return Err(v.error(
            at,
            format!("{path}.{key}"),
            format!("`{key}` does not apply to a {kind:?} signal (lowercase)"),
        ));
    }
    let source = s.source.as_deref().map(str::trim).unwrap_or_default();
    if source.is_empty() {
        return Err(v.error(
            at,
            format!("{path}.source"),
            "every signal needs a `source` saying where the convention is documented or seen",
        ));
    }
    let (body, allowed) = match kind {
        KindDef::Trailer => {
            let key = s
                .key
                .as_ref()
                .ok_or_else(|| v.error(at, format!("{path}.key"), "a trailer signal needs a `key`"))?;
            if !is_trailer_key(&key.value) {
                return Err(v.error(
                    key.referenced,
                    format!("{path}.key"),
                    format!(
                        "{:?} is not a trailer key git can parse (letters, digits and `-` only)",
                        key.value
                    ),
                ));
            }
            let value = s
                .value
                .as_ref()
                .map(|r| v.regex(r, format!("{path}.value")))
                .transpose()?;
            (
                Body::Trailer {
                    key: key.value.clone(),
                    value,
                },
                &[From::Value][..],
            )
        }
        KindDef::Identity => {
            let matcher = v.identity(&s.identity(), at, path)?;
            let sides = s.sides.clone().unwrap_or_else(|| vec![Side::Author, Side::CoAuthor]);
            if sides.is_empty() {
                return Err(v.error(
                    at,
                    format!("{path}.sides"),
                    "`sides` must name at least one of author, committer, co_author",
                ));
            }
            (Body::Identity { sides, matcher }, &[From::Name, From::Email][..])
        }
        KindDef::Marker => {
            let field = s.field.ok_or_else(|| {
                v.error(
                    at,
                    format!("{path}.in"),
                    "a marker signal needs `in`: subject, body or message",
                )
            })?;
            let regex = s
                .regex
                .as_ref()
                .ok_or_else(|| v.error(at, format!("{path}.regex"), "a marker signal needs a `regex`"))?;
            (
                Body::Marker {
                    field,
                    regex: v.regex(regex, format!("{path}.regex"))?,
                },
                &[From::Text][..],
            )
        }
    };
    Ok(CompiledSignal {
        id: String::new(),
        tool,
        body,
        model: v.extract(s.model.as_ref(), allowed, &format!("{path}.model"))?,
        tool_name: v.extract(s.tool.as_ref(), allowed, &format!("{path}.tool"))?,
        source: source.to_owned(),
        origin: v.origin.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_loads() {
        let c = Catalogue::builtin().unwrap_or_else(|e| panic!("{e}"));
        assert!(c.tools().any(|(id, name)| id == "claude-code" && name == "Claude Code"));
        assert!(c.signals.len() >= 30);
    }
}

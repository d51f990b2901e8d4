//! The on-disk form of a signature catalogue (documented at the top of `rules/signatures.yaml`)
//! and its validation into compiled matchers.

use regex::Regex;
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use super::SignatureError;
use super::identity::{IdentityMatcher, Side};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileDef {
    pub version: Spanned<u32>,
    #[serde(default)]
    pub tools: Vec<ToolDef>,
    #[serde(default)]
    pub not_ai: Vec<NotAiDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ToolDef {
    pub id: Spanned<String>,
    pub name: String,
    pub signals: Vec<SignalDef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum KindDef {
    Trailer,
    Identity,
    Marker,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum MarkerField {
    Subject,
    Body,
    Message,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum From {
    Name,
    Email,
    Value,
    Text,
}

/// One signal; flat rather than an internally tagged enum so that every field keeps its location.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SignalDef {
    pub kind: Spanned<KindDef>,
    pub source: Option<String>,
    pub key: Option<Spanned<String>>,
    pub value: Option<Spanned<String>>,
    pub sides: Option<Vec<Side>>,
    pub name: Option<String>,
    pub name_regex: Option<Spanned<String>>,
    pub email: Option<String>,
    pub email_regex: Option<Spanned<String>>,
    pub github: Option<String>,
    #[serde(rename = "in")]
    pub field: Option<MarkerField>,
    pub regex: Option<Spanned<String>>,
    pub model: Option<ExtractDef>,
    pub tool: Option<ExtractDef>,
}

/// The identity matcher keys, shared by identity signals and `not_ai` entries.
pub(super) struct IdentityDef<'a> {
    pub name: Option<&'a str>,
    pub name_regex: Option<&'a Spanned<String>>,
    pub email: Option<&'a str>,
    pub email_regex: Option<&'a Spanned<String>>,
    pub github: Option<&'a str>,
}

impl SignalDef {
    pub fn identity(&self) -> IdentityDef<'_> {
        IdentityDef {
            name: self.name.as_deref(),
            name_regex: self.name_regex.as_ref(),
            email: self.email.as_deref(),
            email_regex: self.email_regex.as_ref(),
            github: self.github.as_deref(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NotAiDef {
    pub name: Option<String>,
    pub name_regex: Option<Spanned<String>>,
    pub email: Option<String>,
    pub email_regex: Option<Spanned<String>>,
    pub github: Option<String>,
    pub reason: Option<Spanned<String>>,
}

impl NotAiDef {
    pub fn identity(&self) -> IdentityDef<'_> {
        IdentityDef {
            name: self.name.as_deref(),
            name_regex: self.name_regex.as_ref(),
            email: self.email.as_deref(),
            email_regex: self.email_regex.as_ref(),
            github: self.github.as_deref(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExtractDef {
    pub from: Spanned<From>,
    pub regex: Option<Spanned<String>>,
}

/// Reads a field out of the commit: the first capture group that took part, or the whole field.
#[derive(Debug, Clone)]
pub(super) struct Extract {
    pub from: From,
    pub regex: Option<Regex>,
}

impl Extract {
    pub fn apply(&self, text: &str) -> Option<String> {
        let raw = match &self.regex {
            None => text,
            Some(re) => {
                let caps = re.captures(text)?;
                caps.iter().skip(1).flatten().next().or_else(|| caps.get(0))?.as_str()
            }
        };
        let normalised = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        (!normalised.is_empty()).then_some(normalised)
    }
}

/// Builds located validation errors for one catalogue file.
pub(super) struct Validator<'a> {
    pub origin: &'a str,
}

impl Validator<'_> {
    pub fn error(&self, at: Location, key: String, message: impl Into<String>) -> SignatureError {
        SignatureError::Invalid {
            origin: self.origin.to_owned(),
            line: at.line(),
            column: at.column(),
            key,
            message: message.into(),
        }
    }

    pub fn regex(&self, spanned: &Spanned<String>, key: String) -> Result<Regex, SignatureError> {
        Regex::new(&spanned.value).map_err(|e| {
            let detail = e.to_string().lines().last().unwrap_or_default().trim().to_owned();
            self.error(
                spanned.referenced,
                key,
                format!("invalid regex {:?}: {detail}", spanned.value),
            )
        })
    }

    pub fn identity(&self, def: &IdentityDef<'_>, at: Location, path: &str) -> Result<IdentityMatcher, SignatureError> {
        let name_regex = def
            .name_regex
            .map(|r| self.regex(r, format!("{path}.name_regex")))
            .transpose()?;
        let email_regex = def
            .email_regex
            .map(|r| self.regex(r, format!("{path}.email_regex")))
            .transpose()?;
        let matcher = IdentityMatcher::new(def.name, name_regex, def.email, email_regex, def.github);
        matcher.ok_or_else(|| {
            self.error(
                at,
                path.to_owned(),
                "an identity needs at least one of name, name_regex, email, email_regex, github",
            )
        })
    }

    pub fn extract(
        &self,
        def: Option<&ExtractDef>,
        allowed: &[From],
        path: &str,
    ) -> Result<Option<Extract>, SignatureError> {
        let Some(def) = def else { return Ok(None) };
        if !allowed.contains(&def.from.value) {
            return Err(self.error(
                def.from.referenced,
                format!("{path}.from"),
                format!(
                    "this kind of signal can read from {allowed:?} (lowercase), not {:?}",
                    def.from.value
                ),
            ));
        }
        let regex = def
            .regex
            .as_ref()
            .map(|r| self.regex(r, format!("{path}.regex")))
            .transpose()?;
        Ok(Some(Extract {
            from: def.from.value,
            regex,
        }))
    }
}

/// Whether git could read `key` as a trailer key (its `find_separator` token rules).
pub(super) fn is_trailer_key(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

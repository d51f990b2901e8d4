//! The pattern kind: an ast-grep rule (`rule:` with `constraints`, `utils`, `transform`, `fix`,
//! `rewriters`, `labels`), compiled by ast-grep-config so that its semantics are ast-grep's own.

use ast_grep_config::{Fixer, RuleConfig, SerializableRuleConfig};
use ast_grep_core::matcher::Matcher;
use ast_grep_language::SupportLang;
use serde::Deserialize;
use serde_value::Value;

use super::lang::Lang;
use super::prefilter::Need;

/// A compiled ast-grep rule, the node kinds it can match, and the words a file must contain
/// for it to match (the prefilter's input).
pub struct PatternCheck {
    pub(crate) rule: RuleConfig<SupportLang>,
    pub(crate) kinds: Vec<u16>,
    pub(crate) need: Need,
}

/// Why a pattern rule does not compile: the top-level key at fault, and the nested key to
/// point at when the error names one (e.g. `pattern` under `rule`).
#[derive(Debug)]
pub(crate) struct PatternError {
    pub key: &'static str,
    pub subkey: Option<String>,
    pub message: String,
    pub help: String,
}

/// Compiles a rule document (the whole YAML mapping, ast-grep's keys only) for `lang`.
pub(crate) fn compile(doc: Value, lang: Lang) -> Result<PatternCheck, PatternError> {
    let Value::Map(mut map) = doc else {
        return Err(PatternError {
            key: "rule",
            subkey: None,
            message: "a rule document must be a mapping".into(),
            help: "write the rule as `key: value` lines".into(),
        });
    };
    // ast-grep's own name for the language (aigate accepts a few more aliases).
    map.insert(Value::String("language".into()), Value::String(lang.name().into()));
    let rule_value = map.get(&Value::String("rule".into())).cloned();
    let utils_value = map.get(&Value::String("utils".into())).cloned();
    let serial = SerializableRuleConfig::<SupportLang>::deserialize(Value::Map(map)).map_err(|e| {
        let message = e.to_string();
        let subkey = quoted(&message);
        let key = top_key_of(subkey.as_deref());
        PatternError {
            key,
            subkey: subkey.filter(|s| s != key),
            message,
            help: "see ast-grep's rule reference: https://ast-grep.github.io/reference/rule.html".into(),
        }
    })?;
    let has_transform = serial.transform.is_some();
    let message = serial.message.clone();
    let rule = RuleConfig::try_from(serial, &Default::default()).map_err(config_error)?;
    if !has_transform && let Err(e) = Fixer::from_str(&message, &lang.ast_grep()) {
        return Err(PatternError {
            key: "message",
            subkey: None,
            message: format!("the message is not a valid template: {}", chain(&e)),
            help: "meta-variables in the message must be written `$NAME`".into(),
        });
    }
    let kinds = rule
        .matcher
        .potential_kinds()
        .map(|set| set.iter().filter_map(|k| u16::try_from(k).ok()).collect())
        .unwrap_or_default();
    let need = match &rule_value {
        Some(rule) => super::prefilter::need_of_rule(rule, utils_value.as_ref(), 0),
        None => Need::Always,
    };
    Ok(PatternCheck { rule, kinds, need })
}

fn config_error(e: ast_grep_config::RuleConfigError) -> PatternError {
    use ast_grep_config::{RuleConfigError as E, RuleCoreError as C};
    let message = chain(&e);
    let key = match &e {
        E::Yaml(_) => "rule",
        E::Core(core) => match core {
            C::Utils(_) => "utils",
            C::Constraints(_) => "constraints",
            C::Transform(_) => "transform",
            C::UndefinedMetaVar(_, place) => match *place {
                "constraints" => "constraints",
                "transform" => "transform",
                _ => "rule",
            },
            _ => "rule",
        },
        E::Fixer(_) => "fix",
        E::Rewriter(_) | E::UndefinedRewriter(_) => "rewriters",
        E::LabelVariable(_) => "labels",
        E::MissingPotentialKinds => "rule",
    };
    // The nested key the failing matcher is written under.
    let subkey = [
        ("invalid pattern", "pattern"),
        ("invalid kind", "kind"),
        ("invalid regex", "regex"),
        ("invalid nthChild", "nthChild"),
        ("invalid matches", "matches"),
        ("invalid range", "range"),
        ("invalid utils", "matches"),
        ("Relational rule", "field"),
        ("field is only", "field"),
    ]
    .iter()
    .find(|(needle, _)| message.contains(needle))
    .map(|(_, k)| k.to_string());
    let help = match &e {
        E::MissingPotentialKinds => "add a `kind:` or a `pattern:` so the rule knows which nodes to look at",
        E::Fixer(_) => "check the `fix` template and its meta-variables",
        _ => "see ast-grep's rule reference: https://ast-grep.github.io/reference/rule.html",
    };
    PatternError {
        key,
        subkey,
        message,
        help: help.into(),
    }
}

/// An error and its causes, joined: ast-grep-config's top-level messages are generic.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cur = s.source();
    }
    out
}

/// The offending field a serde message names: quoted with backticks, or after `Unknown field`.
fn quoted(message: &str) -> Option<String> {
    if let Some(i) = message.to_ascii_lowercase().find("unknown field ") {
        let rest = message[i + "unknown field ".len()..].trim_start_matches('`');
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        if !name.is_empty() {
            return Some(name);
        }
    }
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_string())
}

fn top_key_of(name: Option<&str>) -> &'static str {
    match name {
        Some("constraints") => "constraints",
        Some("utils") => "utils",
        Some("transform") => "transform",
        Some("fix") => "fix",
        Some("rewriters") => "rewriters",
        Some("labels") => "labels",
        Some("severity") => "severity",
        Some("files") => "files",
        Some("ignores") => "ignores",
        Some("metadata") => "metadata",
        _ => "rule",
    }
}

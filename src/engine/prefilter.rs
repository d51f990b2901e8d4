//! The prefilter: skip parsing a file when no applicable rule can match it.
//!
//! From each pattern rule we derive the words a file must contain for the rule to match (a
//! pattern's leaf text appears verbatim in any node it matches), as a boolean formula over
//! words; one aho-corasick pass over the file's bytes tells which words are present. The
//! derivation is conservative: whatever it cannot reason about (`kind`, `regex`, `not`,
//! patterns with a `selector` or a non-default `strictness`, global utils) becomes `Always`,
//! so a rule is only ever skipped when it provably cannot match.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};
use serde_value::Value;

/// What a file must contain for a rule to possibly match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// No requirement we can check: the rule must always run.
    Always,
    /// A whole word (a pattern's token): not counted inside a longer word.
    Word(String),
    /// Any occurrence of the text (a regex's literal, which may be part of a longer word).
    Text(String),
    All(Vec<Need>),
    Any(Vec<Need>),
}

impl Need {
    fn all(items: Vec<Need>) -> Need {
        let mut items: Vec<Need> = items.into_iter().filter(|n| *n != Need::Always).collect();
        match items.len() {
            0 => Need::Always,
            1 => items.pop().unwrap_or(Need::Always),
            _ => Need::All(items),
        }
    }

    fn any(items: Vec<Need>) -> Need {
        if items.is_empty() || items.contains(&Need::Always) {
            return Need::Always;
        }
        Need::Any(items)
    }

    fn words<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Need::Always => {}
            Need::Word(w) | Need::Text(w) => out.push(w),
            Need::All(items) | Need::Any(items) => items.iter().for_each(|n| n.words(out)),
        }
    }

    fn holds(&self, present: &dyn Fn(&str, bool) -> bool) -> bool {
        match self {
            Need::Always => true,
            Need::Word(w) => present(w, true),
            Need::Text(w) => present(w, false),
            Need::All(items) => items.iter().all(|n| n.holds(present)),
            Need::Any(items) => items.iter().any(|n| n.holds(present)),
        }
    }
}

const MAX_UTIL_DEPTH: usize = 8;

/// The need of an ast-grep rule object (`rule:` or a util), resolving local `utils`.
pub(crate) fn need_of_rule(rule: &Value, utils: Option<&Value>, depth: usize) -> Need {
    let Value::Map(map) = rule else {
        return Need::Always;
    };
    let mut needs = Vec::new();
    for (key, value) in map {
        let Value::String(key) = key else { continue };
        let need = match key.as_str() {
            "pattern" => match value {
                Value::String(p) => pattern_words(p),
                // `{ context, selector, strictness }`: only part of the context is matched.
                _ => Need::Always,
            },
            "regex" => match value {
                Value::String(re) => regex_words(re),
                _ => Need::Always,
            },
            "inside" | "has" | "follows" | "precedes" => need_of_rule(value, utils, depth),
            "all" => match value {
                Value::Seq(items) => Need::all(items.iter().map(|r| need_of_rule(r, utils, depth)).collect()),
                _ => Need::Always,
            },
            "any" => match value {
                Value::Seq(items) => Need::any(items.iter().map(|r| need_of_rule(r, utils, depth)).collect()),
                _ => Need::Always,
            },
            "matches" => match (value, utils) {
                (Value::String(name), Some(Value::Map(utils))) if depth < MAX_UTIL_DEPTH => {
                    utils.get(&Value::String(name.clone())).map_or(Need::Always, |util| {
                        need_of_rule(util, Some(&Value::Map(utils.clone())), depth + 1)
                    })
                }
                _ => Need::Always,
            },
            // kind, not, nthChild, range, stopBy, field: nothing textual is required.
            _ => Need::Always,
        };
        needs.push(need);
    }
    Need::all(needs)
}

/// The literal words of a pattern string; meta-variables (`$A`, `$$$ARGS`, `$_`) are skipped.
pub(crate) fn pattern_words(pattern: &str) -> Need {
    let mut words = Vec::new();
    let mut chars = pattern.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c == '$' {
            // Skip the meta-variable's name.
            while chars
                .peek()
                .is_some_and(|(_, c)| *c == '$' || c.is_alphanumeric() || *c == '_')
            {
                chars.next();
            }
            continue;
        }
        if c.is_alphanumeric() || c == '_' {
            let mut end = start + c.len_utf8();
            while let Some(&(i, c)) = chars.peek() {
                if !(c.is_alphanumeric() || c == '_') {
                    break;
                }
                end = i + c.len_utf8();
                chars.next();
            }
            let word = &pattern[start..end];
            if word.len() >= 2 && !words.iter().any(|w: &Need| *w == Need::Word(word.to_string())) {
                words.push(Need::Word(word.to_string()));
            }
        }
    }
    Need::all(words)
}

/// A regex's required prefix literals: every match starts with one of them, so the file must
/// contain one. Unbounded, tiny or numerous literal sets give `Always`.
pub(crate) fn regex_words(pattern: &str) -> Need {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let Ok(hir) = regex_syntax::Parser::new().parse(pattern) else {
        return Need::Always;
    };
    let seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    let Some(literals) = seq.literals() else {
        return Need::Always;
    };
    if literals.is_empty() || literals.len() > 32 {
        return Need::Always;
    }
    let mut words = Vec::new();
    for lit in literals {
        match std::str::from_utf8(lit.as_bytes()) {
            Ok(w) if w.len() >= 2 => words.push(Need::Text(w.to_string())),
            _ => return Need::Always,
        }
    }
    match words.len() {
        1 => words.pop().unwrap_or(Need::Always),
        _ => Need::any(words),
    }
}

/// The words of a set of rules, searched in one pass.
pub(crate) struct Prefilter {
    matcher: Option<AhoCorasick>,
    words: Vec<String>,
    index: HashMap<String, usize>,
}

impl Prefilter {
    pub(crate) fn new<'a>(needs: impl IntoIterator<Item = &'a Need>) -> Result<Prefilter, String> {
        let mut words: Vec<String> = Vec::new();
        let mut index = HashMap::new();
        for need in needs {
            let mut ws = Vec::new();
            need.words(&mut ws);
            for w in ws {
                if !index.contains_key(w) {
                    index.insert(w.to_string(), words.len());
                    words.push(w.to_string());
                }
            }
        }
        let matcher = if words.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(&words)
                    .map_err(|e| format!("cannot build the prefilter: {e}"))?,
            )
        };
        Ok(Prefilter { matcher, words, index })
    }

    /// Which of the words occur in `text`, anywhere and as whole words.
    pub(crate) fn scan(&self, text: &str) -> Present<'_> {
        let mut anywhere = vec![false; self.words.len()];
        let mut whole = vec![false; self.words.len()];
        if let Some(matcher) = &self.matcher {
            let mut left = whole.len();
            for m in matcher.find_overlapping_iter(text) {
                let i = m.pattern().as_usize();
                anywhere[i] = true;
                if !whole[i] && whole_word(text, m.start(), m.end()) {
                    whole[i] = true;
                    left -= 1;
                    if left == 0 {
                        break;
                    }
                }
            }
        }
        Present {
            anywhere,
            whole,
            index: &self.index,
        }
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `text[start..end]` is not glued to word characters on either side. A pattern word is
/// a maximal run of word characters in the pattern, and the node it belongs to is a whole token
/// in the source, so an occurrence inside a longer word (`unwrap` in `unwrap_or`, `expect` in
/// `expected`) cannot be it.
fn whole_word(text: &str, start: usize, end: usize) -> bool {
    let word = &text[start..end];
    let glued_before = word.starts_with(is_word_char) && text[..start].chars().next_back().is_some_and(is_word_char);
    let glued_after = word.ends_with(is_word_char) && text[end..].chars().next().is_some_and(is_word_char);
    !glued_before && !glued_after
}

/// The words found in one file.
pub(crate) struct Present<'p> {
    anywhere: Vec<bool>,
    whole: Vec<bool>,
    index: &'p HashMap<String, usize>,
}

impl Present<'_> {
    /// Whether a rule with this need can match the file.
    pub(crate) fn allows(&self, need: &Need) -> bool {
        // A word the prefilter was not built with is treated as present (never skip wrongly).
        need.holds(&|w, as_word| {
            self.index
                .get(w)
                .is_none_or(|&i| if as_word { self.whole[i] } else { self.anywhere[i] })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(s: &str) -> Value {
        ast_grep_config::from_str(s).expect("test yaml")
    }

    #[test]
    fn pattern_words_skip_metavariables() {
        assert_eq!(pattern_words("$A.unwrap($$$ARGS)"), Need::Word("unwrap".into()),);
        assert_eq!(pattern_words("$X"), Need::Always);
        assert_eq!(
            pattern_words("subprocess.run($$$, shell=True)"),
            Need::All(vec![
                Need::Word("subprocess".into()),
                Need::Word("run".into()),
                Need::Word("shell".into()),
                Need::Word("True".into())
            ]),
        );
    }

    #[test]
    fn rule_needs_follow_the_rule_structure() {
        let r = yaml("any: [{pattern: eval($A)}, {kind: call_expression}]");
        assert_eq!(
            need_of_rule(&r, None, 0),
            Need::Always,
            "a kind-only branch can match anything"
        );
        let r = yaml("all: [{pattern: foo()}, {inside: {pattern: bar()}}]");
        assert_eq!(
            need_of_rule(&r, None, 0),
            Need::All(vec![Need::Word("foo".into()), Need::Word("bar".into())])
        );
        let r = yaml("pattern: {context: 'class A { $F = 1 }', selector: field_definition}");
        assert_eq!(need_of_rule(&r, None, 0), Need::Always);
        let utils = yaml("is-unwrap: {pattern: $X.unwrap()}");
        let r = yaml("matches: is-unwrap");
        assert_eq!(need_of_rule(&r, Some(&utils), 0), Need::Word("unwrap".into()));
        let r = yaml("not: {pattern: foo}\nkind: identifier");
        assert_eq!(need_of_rule(&r, None, 0), Need::Always);
        let r = yaml("kind: identifier\nregex: ^(password|secret)_");
        assert_eq!(
            need_of_rule(&r, None, 0),
            Need::Any(vec![Need::Text("password_".into()), Need::Text("secret_".into())])
        );
    }

    #[test]
    fn regex_words_are_conservative() {
        assert_eq!(regex_words("^Deprecated"), Need::Text("Deprecated".into()));
        assert_eq!(regex_words("a*b"), Need::Always, "may start with `b`: too short to use");
        assert_eq!(regex_words(".*foo"), Need::Always, "no prefix literal");
        match regex_words("(?i)eval") {
            Need::Any(v) => assert!(v.len() == 16 && v.contains(&Need::Text("EvAl".into())), "{v:?}"),
            other => panic!("case variants expected, got {other:?}"),
        }
        assert_eq!(regex_words("(?i)password_hash"), Need::Always, "too many case variants");
        assert_eq!(regex_words("(unclosed"), Need::Always);
    }

    #[test]
    fn present_words_decide() {
        let needs = [
            Need::Word("unwrap".into()),
            Need::Any(vec![Need::Word("eval".into()), Need::Word("exec".into())]),
        ];
        let p = Prefilter::new(needs.iter()).expect("prefilter");
        let present = p.scan("let x = y.unwrap();");
        assert!(present.allows(&needs[0]));
        assert!(!present.allows(&needs[1]));
        assert!(present.allows(&Need::Always));
        assert!(p.scan("exec(code)").allows(&needs[1]));
        // Inside a longer word is not an occurrence; a later whole one is.
        assert!(!p.scan("x.unwrap_or(1); // unwrapped").allows(&needs[0]));
        assert!(p.scan("x.unwrap_or(1); y.unwrap()").allows(&needs[0]));
        assert!(!p.scan("évalexec(x)").allows(&needs[1]));
        assert!(p.scan("(exec)").allows(&needs[1]));
        // A regex literal counts anywhere, even inside a longer word.
        let text_need = [Need::Text("Deprecated".into())];
        let p = Prefilter::new(text_need.iter()).expect("prefilter");
        assert!(p.scan("struct DeprecatedApi;").allows(&text_need[0]));
        assert!(!p.scan("struct Api;").allows(&text_need[0]));
    }
}

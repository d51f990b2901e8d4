//! Which signals can match a given trailer, identity or message, so that classifying a commit
//! costs a few hash lookups and one `RegexSet` pass per message field instead of a scan of every
//! signal.

use std::collections::HashMap;

use regex::RegexSet;

use super::identity::{IndexField, github_login};
use super::schema::MarkerField;
use super::{Body, CompiledSignal};

#[derive(Debug, Clone, Default)]
pub(super) struct Index {
    /// Lowercased trailer key → trailer signals.
    trailers: HashMap<String, Vec<usize>>,
    /// Exact identity key (lowercased) → identity signals filed under it.
    identities: HashMap<(IndexField, String), Vec<usize>>,
    /// Identity signals with only regexes: checked against every identity.
    identity_scan: Vec<usize>,
    /// Per marker field: all its marker regexes in one set, and the signal of each pattern.
    /// `None` if the set would exceed the regex size limit: then every marker is a candidate.
    markers: Vec<(MarkerField, Option<RegexSet>, Vec<usize>)>,
}

impl Index {
    pub fn build(signals: &[CompiledSignal]) -> Index {
        let mut index = Index::default();
        let mut patterns: Vec<(MarkerField, Vec<String>, Vec<usize>)> = Vec::new();
        for (i, s) in signals.iter().enumerate() {
            match &s.body {
                Body::Trailer { key, .. } => index.trailers.entry(key.to_ascii_lowercase()).or_default().push(i),
                Body::Identity { matcher, .. } => match matcher.index_key() {
                    Some((field, key)) => index.identities.entry((field, key.to_owned())).or_default().push(i),
                    None => index.identity_scan.push(i),
                },
                Body::Marker { field, regex } => {
                    let slot = match patterns.iter().position(|(f, _, _)| f == field) {
                        Some(p) => p,
                        None => {
                            patterns.push((*field, Vec::new(), Vec::new()));
                            patterns.len() - 1
                        }
                    };
                    patterns[slot].1.push(regex.as_str().to_owned());
                    patterns[slot].2.push(i);
                }
            }
        }
        index.markers = patterns
            .into_iter()
            .map(|(field, pats, ids)| (field, RegexSet::new(&pats).ok(), ids))
            .collect();
        index
    }

    pub fn trailer_candidates(&self, key: &str) -> &[usize] {
        self.trailers.get(&key.to_ascii_lowercase()).map_or(&[], Vec::as_slice)
    }

    /// Identity signals that may match `name <email>`, ascending and without duplicates.
    pub fn identity_candidates(&self, name: &str, email: &str) -> Vec<usize> {
        let mut out = self.identity_scan.clone();
        let mut add = |field: IndexField, key: &str| {
            if let Some(ids) = self.identities.get(&(field, key.to_ascii_lowercase())) {
                out.extend_from_slice(ids);
            }
        };
        add(IndexField::Email, email);
        add(IndexField::Name, name);
        if let Some(login) = github_login(email) {
            add(IndexField::Github, login);
        }
        if name.ends_with("[bot]") {
            add(IndexField::Github, name);
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Marker signals whose regex matches somewhere in `text` (the `field` of the message).
    pub fn marker_candidates(&self, field: MarkerField, text: &str) -> Vec<usize> {
        self.markers
            .iter()
            .filter(|(f, _, _)| *f == field)
            .flat_map(|(_, set, ids)| match set {
                Some(set) => set.matches(text).into_iter().map(|p| ids[p]).collect(),
                None => ids.clone(),
            })
            .collect()
    }
}

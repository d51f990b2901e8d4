//! The hash chain that makes the ledger tamper-evident.
//!
//! Entry `n` stores `hash_n = sha256(hash_{n-1} ‖ canonical_json(record_n))` with `hash_0` all
//! zeros, and the store keeps the head (last seq and hash) in its own row. Editing a record breaks
//! its hash; deleting one leaves a gap in `seq`; cutting the tail leaves the head pointing past the
//! end. `verify` walks the chain and names the first entry that does not hold. (Someone able to
//! rewrite every row and the head could forge a consistent chain: publish the head hash that
//! `aigate ledger verify` prints somewhere they cannot write to make that detectable too.)

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// JSON with object keys sorted at every level and no insignificant whitespace: the same record
/// always hashes the same, whatever map order serde_json was built with.
pub fn canonical_json<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    let value = serde_json::to_value(value)?;
    let mut out = String::new();
    write_canonical(&value, &mut out)?;
    Ok(out)
}

fn write_canonical(value: &Value, out: &mut String) -> Result<(), serde_json::Error> {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(key)?);
                out.push(':');
                write_canonical(&map[key], out)?;
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out)?;
            }
            out.push(']');
        }
        scalar => out.push_str(&serde_json::to_string(scalar)?),
    }
    Ok(())
}

/// The hash of an entry whose predecessor hashed to `prev` and whose record is `canonical`.
pub fn entry_hash(prev: &str, canonical: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev.as_bytes());
    hasher.update(canonical.as_bytes());
    hex::encode(hasher.finalize())
}

/// One entry as stored: the chain columns and the record body (canonical JSON), plus the columns
/// the store indexes for filtering, which must agree with the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainEntry {
    pub seq: i64,
    pub entry_type: String,
    pub id: String,
    pub repo: String,
    pub prev_hash: String,
    pub hash: String,
    pub body: String,
}

/// The last entry's seq and hash, kept apart from the entries so that a cut tail shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact { entries: i64, head: String },
    Broken { seq: i64, problem: String },
}

/// Checks entries fed in seq order; `finish` compares the end with the recorded head.
#[derive(Debug)]
pub struct Verifier {
    expected_seq: i64,
    prev: String,
    broken: Option<(i64, String)>,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            expected_seq: 1,
            prev: GENESIS.to_string(),
            broken: None,
        }
    }
}

impl Verifier {
    /// Feeds the next entry; returns false once the chain is broken (stop feeding).
    pub fn push(&mut self, entry: &ChainEntry) -> bool {
        if self.broken.is_some() {
            return false;
        }
        if let Some(problem) = self.check(entry) {
            let seq = if entry.seq > self.expected_seq {
                self.expected_seq
            } else {
                entry.seq
            };
            self.broken = Some((seq, problem));
            return false;
        }
        self.expected_seq += 1;
        self.prev = entry.hash.clone();
        true
    }

    /// Marks the chain broken at `seq` for a reason found outside the chain columns.
    pub fn fail(&mut self, seq: i64, problem: String) {
        if self.broken.is_none() {
            self.broken = Some((seq, problem));
        }
    }

    fn check(&self, e: &ChainEntry) -> Option<String> {
        if e.seq != self.expected_seq {
            return Some(format!(
                "entry {} is missing (the next entry present is {}): a record was deleted",
                self.expected_seq, e.seq
            ));
        }
        if e.prev_hash != self.prev {
            return Some(format!(
                "entry {} ({} {}) does not link to entry {}: prev_hash was changed",
                e.seq,
                e.entry_type,
                e.id,
                e.seq - 1
            ));
        }
        if entry_hash(&e.prev_hash, &e.body) != e.hash {
            return Some(format!(
                "entry {} ({} {}): the record does not match its hash: it was altered",
                e.seq, e.entry_type, e.id
            ));
        }
        let body: Value = match serde_json::from_str(&e.body) {
            Ok(v) => v,
            Err(err) => {
                return Some(format!(
                    "entry {} ({} {}): the record is not JSON: {err}",
                    e.seq, e.entry_type, e.id
                ));
            }
        };
        let fields_agree = body.get("seq").and_then(Value::as_i64) == Some(e.seq)
            && body.get("id").and_then(Value::as_str) == Some(e.id.as_str())
            && body.get("repo").and_then(Value::as_str) == Some(e.repo.as_str());
        if !fields_agree {
            return Some(format!(
                "entry {} ({} {}): its indexed columns (seq, id, repo) disagree with the hashed record: a column was altered",
                e.seq, e.entry_type, e.id
            ));
        }
        None
    }

    /// The result, given the head the store recorded (`None`: an empty ledger).
    pub fn finish(self, head: Option<&Head>) -> Verdict {
        if let Some((seq, problem)) = self.broken {
            return Verdict::Broken { seq, problem };
        }
        let last = self.expected_seq - 1;
        match head {
            None if last == 0 => Verdict::Intact {
                entries: 0,
                head: GENESIS.to_string(),
            },
            None => Verdict::Broken {
                seq: 1,
                problem: format!("the chain has {last} entries but its head record is missing"),
            },
            Some(h) if h.seq != last || h.hash != self.prev => Verdict::Broken {
                seq: last + 1,
                problem: format!(
                    "the head records entry {} ({}) but the chain ends at entry {last}: entries after {last} were removed or the head was altered",
                    h.seq, h.hash
                ),
            },
            Some(_) => Verdict::Intact {
                entries: last,
                head: self.prev,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> (Vec<ChainEntry>, Head) {
        let mut prev = GENESIS.to_string();
        let mut out = Vec::new();
        for seq in 1..=n {
            let body =
                canonical_json(&serde_json::json!({"seq": seq, "id": format!("r{seq}"), "repo": "a/b", "x": seq * 2}))
                    .unwrap();
            let hash = entry_hash(&prev, &body);
            out.push(ChainEntry {
                seq,
                entry_type: "run".into(),
                id: format!("r{seq}"),
                repo: "a/b".into(),
                prev_hash: prev.clone(),
                hash: hash.clone(),
                body,
            });
            prev = hash;
        }
        (out, Head { seq: n, hash: prev })
    }

    fn verify(entries: &[ChainEntry], head: Option<&Head>) -> Verdict {
        let mut v = Verifier::default();
        for e in entries {
            if !v.push(e) {
                break;
            }
        }
        v.finish(head)
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let v = serde_json::json!({"b": 1, "a": {"z": [ {"y": 1, "x": 2} ], "c": null}});
        assert_eq!(
            canonical_json(&v).unwrap(),
            r#"{"a":{"c":null,"z":[{"x":2,"y":1}]},"b":1}"#
        );
    }

    #[test]
    fn intact_chain_verifies_and_each_kind_of_tampering_is_named() {
        let (entries, head) = chain(5);
        assert_eq!(
            verify(&entries, Some(&head)),
            Verdict::Intact {
                entries: 5,
                head: head.hash.clone()
            }
        );

        let mut edited = entries.clone();
        edited[2].body = edited[2].body.replace("\"x\":6", "\"x\":7");
        assert!(matches!(verify(&edited, Some(&head)), Verdict::Broken { seq: 3, .. }));

        let mut deleted = entries.clone();
        deleted.remove(1);
        assert!(matches!(verify(&deleted, Some(&head)), Verdict::Broken { seq: 2, .. }));

        let truncated = &entries[..3];
        assert!(matches!(verify(truncated, Some(&head)), Verdict::Broken { seq: 4, .. }));

        let mut column = entries.clone();
        column[4].repo = "evil/repo".into();
        assert!(matches!(verify(&column, Some(&head)), Verdict::Broken { seq: 5, .. }));
    }
}

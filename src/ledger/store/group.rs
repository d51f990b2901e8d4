//! Group commit. Appends from concurrent requests queue to one writer task per store, which
//! takes whatever has queued (up to a cap) and commits it as ONE transaction: one lock of the
//! chain head, one lookup of the idempotency keys, one multi-row insert, one fsync. Each request
//! is answered only after that commit, so an acknowledged record is durable; a request whose
//! record conflicts is refused alone, and if the commit fails every request of the group gets
//! the error (none of them was acknowledged, all may retry).
//!
//! The planning — idempotency decisions, seq numbers, hashes — is backend-neutral and pure, here;
//! the stores only lock, look up, insert and commit.

use std::collections::HashMap;
use std::future::Future;

use tokio::sync::{mpsc, oneshot};

use super::{Appended, EntryType, Pending, Prior, Sealed, StoreError, prior, seal};

/// Most records one group transaction writes (bounds statement parameters: 14 per row).
pub(crate) const MAX_GROUP_RECORDS: usize = 1024;

pub(crate) type Reply = oneshot::Sender<Result<Vec<Appended>, StoreError>>;

pub(crate) struct Job {
    pub batch: Vec<Pending>,
    pub reply: Reply,
}

/// The stored `(request_digest, body)` of idempotency keys the database already holds.
pub(crate) type Known = HashMap<(EntryType, String), (String, String)>;

/// Starts the writer task; `commit` writes one group and answers its jobs.
pub(crate) fn spawn<F, Fut>(commit: F) -> mpsc::Sender<Job>
where
    F: Fn(Vec<Job>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let (tx, mut rx) = mpsc::channel::<Job>(4096);
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut records = first.batch.len();
            let mut jobs = vec![first];
            while records < MAX_GROUP_RECORDS {
                match rx.try_recv() {
                    Ok(job) => {
                        records += job.batch.len();
                        jobs.push(job);
                    }
                    Err(_) => break,
                }
            }
            commit(jobs).await;
        }
    });
    tx
}

/// Queues `batch` on the writer and waits for its commit.
pub(crate) async fn submit(writer: &mpsc::Sender<Job>, batch: Vec<Pending>) -> Result<Vec<Appended>, StoreError> {
    let (reply, answer) = oneshot::channel();
    writer
        .send(Job { batch, reply })
        .await
        .map_err(|_| StoreError::Commit("the ledger's writer has stopped".into()))?;
    answer
        .await
        .map_err(|_| StoreError::Commit("the ledger's writer dropped the request".into()))?
}

/// The keys a group needs looked up, per entry type.
pub(crate) fn keys(jobs: &[Job]) -> HashMap<EntryType, Vec<String>> {
    let mut out: HashMap<EntryType, Vec<String>> = HashMap::new();
    for p in jobs.iter().flat_map(|j| &j.batch) {
        out.entry(p.entry_type).or_default().push(p.idempotency_key.clone());
    }
    out
}

enum Decision {
    /// New: insert it.
    New,
    /// Already in the ledger (or written by an earlier job of the group): answer with this body.
    Stored(String),
    /// A repeat of an earlier record of the same job.
    EarlierInJob,
}

/// What one group writes and answers.
pub(crate) struct Plan {
    pub rows: Vec<Sealed>,
    pub answers: Vec<Result<Vec<Appended>, StoreError>>,
    pub head: (i64, String),
}

/// Decides every job of a group against what the database holds and what earlier jobs of the
/// group add, assigns seq numbers from `head` and seals the new records.
pub(crate) fn plan(jobs: &[Job], known: &Known, head: (i64, String)) -> Result<Plan, StoreError> {
    let (mut seq, mut prev) = head;
    let mut group: Known = HashMap::new();
    let mut rows = Vec::new();
    let mut answers = Vec::with_capacity(jobs.len());
    'jobs: for job in jobs {
        // First decide every record of the job, so that a conflict refuses the job before it writes.
        let mut decided: Vec<Decision> = Vec::with_capacity(job.batch.len());
        let mut in_job: HashMap<(EntryType, &str), &str> = HashMap::new();
        for p in &job.batch {
            let short = (p.entry_type, p.idempotency_key.as_str());
            if let Some(digest) = in_job.get(&short) {
                if *digest != p.request_digest {
                    answers.push(Err(StoreError::IdempotencyConflict(p.idempotency_key.clone())));
                    continue 'jobs;
                }
                decided.push(Decision::EarlierInJob);
                continue;
            }
            let key = (p.entry_type, p.idempotency_key.clone());
            match prior(p, group.get(&key).or_else(|| known.get(&key)).cloned()) {
                Err(e) => {
                    answers.push(Err(e));
                    continue 'jobs;
                }
                Ok(Prior::Same(body)) => {
                    decided.push(Decision::Stored(body));
                    in_job.insert(short, &p.request_digest);
                }
                Ok(Prior::New) => {
                    decided.push(Decision::New);
                    in_job.insert(short, &p.request_digest);
                }
            }
        }
        let mut out: Vec<Appended> = Vec::with_capacity(job.batch.len());
        let mut body_of: HashMap<(EntryType, &str), String> = HashMap::new();
        for (p, decision) in job.batch.iter().zip(decided) {
            let short = (p.entry_type, p.idempotency_key.as_str());
            match decision {
                Decision::EarlierInJob => out.push(Appended {
                    created: false,
                    body: body_of.get(&short).cloned().unwrap_or_default(),
                }),
                Decision::Stored(body) => {
                    body_of.insert(short, body.clone());
                    out.push(Appended { created: false, body });
                }
                Decision::New => {
                    seq += 1;
                    let s = seal(p, seq, &prev)?;
                    prev = s.hash.clone();
                    group.insert(
                        (p.entry_type, p.idempotency_key.clone()),
                        (s.request_digest.clone(), s.body.clone()),
                    );
                    body_of.insert(short, s.body.clone());
                    out.push(Appended {
                        created: true,
                        body: s.body.clone(),
                    });
                    rows.push(s);
                }
            }
        }
        answers.push(Ok(out));
    }
    Ok(Plan {
        rows,
        answers,
        head: (seq, prev),
    })
}

/// Answers every job: with its own answer after a commit, or with the group's error.
pub(crate) fn answer(jobs: Vec<Job>, outcome: Result<Vec<Result<Vec<Appended>, StoreError>>, StoreError>) {
    match outcome {
        Ok(answers) => {
            for (job, a) in jobs.into_iter().zip(answers) {
                let _ = job.reply.send(a);
            }
        }
        Err(e) => {
            if !matches!(e, StoreError::IdempotencyConflict(_)) {
                tracing::error!("ledger group commit failed: {e}");
            }
            let message = e.to_string();
            for job in jobs {
                let _ = job.reply.send(Err(StoreError::Commit(message.clone())));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::chain::{GENESIS, entry_hash};

    fn pending(key: &str, digest: &str) -> Pending {
        Pending {
            entry_type: EntryType::Run,
            idempotency_key: key.into(),
            request_digest: digest.into(),
            record: serde_json::json!({"id": key, "repo": "o/r", "verdict": "pass"}),
        }
    }

    fn job(batch: Vec<Pending>) -> Job {
        Job {
            batch,
            reply: oneshot::channel().0,
        }
    }

    #[test]
    fn a_conflict_refuses_its_job_alone_and_repeats_share_records() {
        let mut known = Known::new();
        known.insert(
            (EntryType::Run, "old".into()),
            ("d-old".into(), "{\"stored\":1}".into()),
        );
        let jobs = vec![
            job(vec![pending("a", "d1"), pending("a", "d1")]), // a repeat inside one job
            job(vec![pending("b", "d2"), pending("old", "DIFFERENT")]), // conflicts with the ledger
            job(vec![pending("a", "d1"), pending("old", "d-old")]), // repeats of the group and the ledger
            job(vec![pending("c", "d3")]),
        ];
        let plan = plan(&jobs, &known, (7, "h7".into())).unwrap();
        assert_eq!(
            plan.rows.iter().map(|r| r.seq).collect::<Vec<_>>(),
            [8, 9],
            "a and c; nothing of the refused job"
        );
        assert_eq!(plan.rows[0].prev_hash, "h7");
        assert_eq!(plan.rows[1].prev_hash, plan.rows[0].hash);
        assert_eq!(plan.rows[1].hash, entry_hash(&plan.rows[0].hash, &plan.rows[1].body));
        assert_eq!(plan.head, (9, plan.rows[1].hash.clone()));
        let a = plan.answers[0].as_ref().unwrap();
        assert_eq!((a[0].created, a[1].created), (true, false));
        assert_eq!(a[0].body, a[1].body);
        assert!(matches!(plan.answers[1], Err(StoreError::IdempotencyConflict(ref k)) if k == "old"));
        let repeat = plan.answers[2].as_ref().unwrap();
        assert_eq!((repeat[0].created, &repeat[0].body), (false, &a[0].body));
        assert_eq!((repeat[1].created, repeat[1].body.as_str()), (false, "{\"stored\":1}"));
        assert!(plan.answers[3].as_ref().unwrap()[0].created);
        assert_ne!(GENESIS, plan.head.1);
    }
}

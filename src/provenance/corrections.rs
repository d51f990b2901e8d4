//! Corrections: a later human commit of the change rewriting (modifying or deleting) lines an AI commit of the
//! change wrote. Attribution finds the hunks ([`Rewrite`]s); this turns them into [`Correction`] records.
//!
//! One correction per hunk and AI commit run: within a hunk, consecutive removed lines written by the same AI
//! commit at consecutive lines of its version form one record. Merge commits are never fixing commits
//! (their diff against the first parent is the other branch, and conflict resolutions are not reviews), and
//! AI commits rewriting AI lines are not corrections.

use bstr::ByteSlice;

use super::attribution::{LineOrigin, Rewrite};
use super::model::{CommitProvenance, Correction};

/// The corrections in `rewrites`; `commits` are the change's commits with provenance, in the order of
/// [`crate::git::Range::commits`] (the indices rewrites refer to).
pub fn corrections(commits: &[CommitProvenance], rewrites: &[Rewrite]) -> Vec<Correction> {
    let is_ai = |o: &LineOrigin| commits.get(o.commit as usize).is_some_and(|c| c.ai);
    let mut out = Vec::new();
    for rewrite in rewrites {
        let Some(fix) = commits.get(rewrite.commit as usize) else {
            continue;
        };
        if fix.ai {
            continue;
        }
        let after: String = rewrite.new_lines.iter().map(|l| l.to_str_lossy()).collect();
        let after_lines = [rewrite.hunk.new.start + 1, rewrite.hunk.new.end];
        let mut run: Vec<(&[u8], LineOrigin)> = Vec::new();
        let mut flush = |run: &mut Vec<(&[u8], LineOrigin)>| {
            let (Some(first), Some(last)) = (run.first(), run.last()) else {
                return;
            };
            let ai = &commits[first.1.commit as usize];
            out.push(Correction {
                path: rewrite.path.to_str_lossy().into_owned(),
                ai_commit: ai.sha.clone(),
                fix_commit: fix.sha.clone(),
                tool: ai.tool.clone(),
                model: ai.model.clone(),
                fix_author: fix.author.clone(),
                before: run.iter().map(|(text, _)| text.to_str_lossy()).collect(),
                after: after.clone(),
                before_lines: [first.1.line + 1, last.1.line + 1],
                after_lines,
            });
            run.clear();
        };
        for (text, origin) in &rewrite.old_lines {
            match origin.filter(is_ai) {
                Some(o) => {
                    let continues = run
                        .last()
                        .is_some_and(|(_, p)| p.commit == o.commit && p.line + 1 == o.line);
                    if !continues {
                        flush(&mut run);
                    }
                    run.push((text.as_slice(), o));
                }
                None => flush(&mut run),
            }
        }
        flush(&mut run);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::Hunk;
    use crate::provenance::model::Identity;

    fn commit(sha: &str, ai: bool) -> CommitProvenance {
        CommitProvenance {
            sha: sha.into(),
            author: Identity {
                name: sha.into(),
                email: format!("{sha}@example.com"),
            },
            ai,
            tool: ai.then(|| "Claude Code".into()),
            model: None,
            signals: vec![],
            trailers: vec![],
        }
    }

    #[test]
    fn runs_split_on_authorship_and_gaps() {
        let commits = [commit("ai1", true), commit("human", false), commit("fix", false)];
        let o = |commit, line| Some(LineOrigin { commit, line });
        let rewrite = Rewrite {
            commit: 2,
            path: "f.rs".into(),
            hunk: Hunk { old: 3..8, new: 3..4 },
            old_lines: vec![
                ("a\n".into(), o(0, 4)),
                ("b\n".into(), o(0, 5)),
                ("h\n".into(), o(1, 0)), // a human line breaks the run
                ("c\n".into(), o(0, 6)),
                ("d\n".into(), o(0, 9)), // not consecutive in the AI commit's version
            ],
            new_lines: vec!["x\n".into()],
        };
        let found = corrections(&commits, &[rewrite]);
        let spans: Vec<_> = found.iter().map(|c| (c.before.as_str(), c.before_lines)).collect();
        assert_eq!(spans, vec![("a\nb\n", [5, 6]), ("c\n", [7, 7]), ("d\n", [10, 10])]);
        assert!(
            found
                .iter()
                .all(|c| c.after == "x\n" && c.after_lines == [4, 4] && c.fix_commit == "fix")
        );
        assert_eq!(found[0].tool.as_deref(), Some("Claude Code"));
    }
}

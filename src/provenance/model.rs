//! The provenance data that leaves this stage; `aigate trace --format json` prints [`Trace`]
//! as is, so field names here are a public contract (documented in the README).

use serde::{Deserialize, Serialize};

/// A git identity as written in the commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub name: String,
    pub email: String,
}

/// What kind of evidence a signal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    /// A trailer in the commit message (`Co-Authored-By:`, `Assisted-by:`, ...).
    Trailer,
    /// The author or committer identity (a bot account, a tool's address).
    Identity,
    /// A marker in the message body or subject (`🤖 Generated with ...`, `aider: `).
    Marker,
}

/// One piece of evidence of AI authorship.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    pub kind: SignalKind,
    /// Human-readable description of what matched, e.g. `Co-Authored-By: Claude <noreply@anthropic.com>`.
    pub detail: String,
}

/// The verdict of the signature catalogue on one commit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    pub ai: bool,
    pub tool: Option<String>,
    pub model: Option<String>,
    pub signals: Vec<Signal>,
}

/// One commit of the change, with its provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitProvenance {
    pub sha: String,
    pub author: Identity,
    pub ai: bool,
    pub tool: Option<String>,
    pub model: Option<String>,
    pub signals: Vec<Signal>,
    /// Trailers as git prints them with `%(trailers:only,unfold)`: keys as written, values unfolded.
    pub trailers: Vec<(String, String)>,
}

/// The lines at head of one changed file that AI-attributed commits of the change wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileAttribution {
    pub path: String,
    /// 1-based inclusive ranges, sorted and merged.
    pub ai_lines: Vec<[u32; 2]>,
}

/// A later human commit of the change rewriting lines an AI commit of the change wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    pub path: String,
    pub ai_commit: String,
    pub fix_commit: String,
    pub tool: Option<String>,
    pub model: Option<String>,
    pub fix_author: Identity,
    /// The AI text that was replaced (lines joined with `\n`, trailing newline kept).
    pub before: String,
    /// The human text that replaced it.
    pub after: String,
    /// Lines of `before` in the AI commit's version of the file (1-based, inclusive).
    pub before_lines: [u32; 2],
    /// Lines of `after` in the fixing commit's version of the file (1-based, inclusive; `[n, n-1]` when the fix deleted).
    pub after_lines: [u32; 2],
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub commits: usize,
    pub ai_commits: usize,
    /// Lines at head added by the change (any author).
    pub added_lines: usize,
    /// Of those, lines written by AI-attributed commits.
    pub ai_lines: usize,
}

/// Provenance of a whole change: the output of `aigate trace`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    pub base: String,
    pub head: String,
    pub commits: Vec<CommitProvenance>,
    pub files: Vec<FileAttribution>,
    pub corrections: Vec<Correction>,
    pub totals: Totals,
}

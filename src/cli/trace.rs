//! `aigate trace`: the provenance of a change (AI commits and their signals, AI lines at head, corrections).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use super::change::ChangeArgs;
use aigate::git::{BaseChoice, GitError, Repo};
use aigate::provenance::model::Trace;
use aigate::provenance::signatures::Catalogue;
use aigate::provenance::trace::{EMPTY_TREE, ProvenanceError, trace};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A summary for people.
    Text,
    /// The `Trace` record, pretty-printed (a stable contract: see the README).
    Json,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
  aigate trace                                # this branch against the default branch\n  \
  aigate trace --base origin/main --head HEAD\n  \
  aigate trace --base HEAD~5 --format json > provenance.json\n  \
  aigate trace --signatures org-signatures.yaml\n\n\
Without --base, the base is the merge-base of --head with the default branch (origin/HEAD, main, master). \
On the default branch itself, or without one, it is the parent of --head; for a lone root commit, the whole \
history (JSON `base` is then git's empty tree).\n\n\
Shallow clones must fetch the change's history: actions/checkout `fetch-depth: 0`, GitLab `GIT_DEPTH: 0`, or \
`git fetch --unshallow`.")]
pub struct Args {
    #[command(flatten)]
    pub change: ChangeArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// A failure shown as a diagnostic: what went wrong, and what to do.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
#[diagnostic(code(aigate::trace))]
struct TraceFailure {
    message: String,
    #[help]
    help: Option<String>,
}

impl From<ProvenanceError> for TraceFailure {
    fn from(err: ProvenanceError) -> Self {
        let ProvenanceError::Git(git) = &err;
        let help = match git {
            GitError::NotARepository { .. } => "run aigate inside a git repository, or pass --repo PATH",
            GitError::UnknownRevision { .. } | GitError::NotACommit { .. } => {
                "check --base/--head; in CI, fetch the base branch (e.g. `git fetch origin main`)"
            }
            GitError::NoCommonHistory { .. } => "pass a --base that shares history with --head",
            GitError::Shallow { .. } => aigate::git::SHALLOW_HELP,
            GitError::MissingObject { .. } | GitError::Read { .. } => {
                "fetch the full history (`git fetch --unshallow` or `git fetch origin`) and check the repository with `git fsck`"
            }
        };
        TraceFailure {
            message: err.to_string(),
            help: Some(help.to_owned()),
        }
    }
}

pub fn run(args: Args) -> miette::Result<ExitCode> {
    let catalogue = load_catalogue(&args.change.signatures)?;
    let repo = Repo::discover(&args.change.repo).map_err(|e| TraceFailure::from(ProvenanceError::from(e)))?;
    let traced = trace(
        &repo,
        args.change.base.as_deref(),
        args.change.head.as_deref().unwrap_or("HEAD"),
        &catalogue,
    )
    .map_err(TraceFailure::from)?;
    let out = match args.format {
        Format::Json => {
            serde_json::to_string_pretty(&traced.trace).map_err(|e| TraceFailure {
                message: format!("could not serialise the trace: {e}"),
                help: None,
            })? + "\n"
        }
        Format::Text => render_text(&traced.trace, &traced.base_choice),
    };
    print!("{out}");
    Ok(ExitCode::from(super::EXIT_PASS))
}

/// The built-in catalogue plus the organisation's files.
fn load_catalogue(files: &[PathBuf]) -> Result<Catalogue, TraceFailure> {
    let invalid = |e: &dyn std::fmt::Display| TraceFailure {
        message: e.to_string(),
        help: Some("fix the signature file (see rules/signatures.yaml for the format) or drop --signatures".into()),
    };
    let mut catalogue = Catalogue::builtin().map_err(|e| invalid(&e))?;
    for file in files {
        catalogue.extend(Catalogue::load_file(file).map_err(|e| invalid(&e))?);
    }
    Ok(catalogue)
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(10)]
}

fn render_text(trace: &Trace, choice: &BaseChoice) -> String {
    let mut s = String::new();
    let why = match choice {
        BaseChoice::Given(rev) => format!("--base {rev}"),
        BaseChoice::MergeBase(branch) => format!("merge-base with {branch}"),
        BaseChoice::Parent => "head's parent".to_owned(),
        BaseChoice::Root => "none: the whole history".to_owned(),
    };
    let base = if trace.base == EMPTY_TREE {
        "(root)"
    } else {
        short(&trace.base)
    };
    let _ = writeln!(s, "Change {base}..{} (base: {why})", short(&trace.head));
    let _ = writeln!(
        s,
        "\nCommits ({}, {} by AI):",
        trace.totals.commits, trace.totals.ai_commits
    );
    for c in &trace.commits {
        let who = if c.ai {
            let tool = c.tool.as_deref().unwrap_or("AI");
            match &c.model {
                Some(model) => format!("AI     {tool} ({model})"),
                None => format!("AI     {tool}"),
            }
        } else {
            format!("human  {} <{}>", c.author.name, c.author.email)
        };
        // The first signal is the catalogue's strongest evidence.
        let signal = c.signals.first().map(|sig| format!("  [{}]", sig.detail));
        let _ = writeln!(s, "  {}  {who}{}", short(&c.sha), signal.unwrap_or_default());
    }
    let with_ai: Vec<_> = trace.files.iter().filter(|f| !f.ai_lines.is_empty()).collect();
    let _ = writeln!(
        s,
        "\nAI lines at head ({} of {} changed files):",
        with_ai.len(),
        trace.files.len()
    );
    if with_ai.is_empty() {
        let _ = writeln!(s, "  none");
    }
    for f in with_ai {
        let ranges: Vec<String> = f
            .ai_lines
            .iter()
            .map(|&[a, b]| if a == b { a.to_string() } else { format!("{a}-{b}") })
            .collect();
        let _ = writeln!(s, "  {}: {}", f.path, ranges.join(", "));
    }
    let _ = writeln!(s, "\nCorrections ({}):", trace.corrections.len());
    for c in &trace.corrections {
        let tool = c.tool.as_deref().unwrap_or("AI");
        let _ = writeln!(
            s,
            "  {} {} by {tool} in {}, rewritten by {} in {} (now {})",
            c.path,
            lines(c.before_lines),
            short(&c.ai_commit),
            c.fix_author.name,
            short(&c.fix_commit),
            lines(c.after_lines),
        );
        for line in c.before.lines() {
            let _ = writeln!(s, "    - {line}");
        }
        for line in c.after.lines() {
            let _ = writeln!(s, "    + {line}");
        }
    }
    let t = &trace.totals;
    let share = if t.added_lines == 0 {
        0.0
    } else {
        100.0 * t.ai_lines as f64 / t.added_lines as f64
    };
    let _ = writeln!(
        s,
        "\nTotals: {}/{} commits by AI; {} of {} lines the change wrote at head are AI lines ({share:.0}%)",
        t.ai_commits, t.commits, t.ai_lines, t.added_lines
    );
    s
}

fn lines(range: [u32; 2]) -> String {
    match range {
        [a, b] if b < a => format!("deleted at {a}"),
        [a, b] if a == b => format!("line {a}"),
        [a, b] => format!("lines {a}-{b}"),
    }
}

//! `aigate check`: the gate. Decides whether a change may merge and writes the reports that
//! review tools read. Exit code: 0 pass, 1 blocked, 2 could not decide (0 with --fail-open).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::change::ChangeArgs;
use aigate::forge::actions;
use aigate::forge::env::{self as ci, Context, ContextError};
use aigate::forge::publish::{self, NotPosting, PublishOptions, Publisher};
use aigate::gate::model::{GateReport, Outcome, ScopeMode, Verdict};
use aigate::gate::run::{CheckOptions, check_traced, error_report};
use aigate::git::Repo;
use aigate::ledger::client::{LedgerClient, RunContext, gate_records};
use aigate::ledger::spool::Spool;
use aigate::provenance::model::Trace;
use aigate::report::{codequality, github, markdown, sarif, terminal};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// rustc-style diagnostics and a verdict line.
    Text,
    /// The gate report (a stable contract: see the README).
    Json,
    /// The summary a PR comment or GITHUB_STEP_SUMMARY shows.
    Markdown,
    /// GitHub Actions workflow commands (annotations without a token).
    Github,
}

#[derive(Debug, clap::Args)]
// Paragraphs are single lines so clap wraps them to the terminal; example lines stay short.
#[command(after_help = "Examples:\n  \
  aigate check                          # this branch vs the default branch (CI: the PR/MR)\n  \
  aigate check --explain-context        # the range, forge and posts a run would use, and why\n  \
  aigate check --base origin/main --sarif aigate.sarif\n  \
  aigate check --policy /etc/aigate/org-policy --format markdown > summary.md\n  \
  aigate check --scope changed-lines --codequality gl-code-quality.json\n\n\
Policy: the built-in packs (unless the org policy says `builtin: false`), the org policy from --policy or \
AIGATE_POLICY (rule directories with an optional policy.yaml and signatures.yaml, or bundle files), then the \
repository's .aigate.yml at --head, which may add and tighten but never weaken (that blocks as \
aigate/policy-weakening).\n\n\
Scope (default ai-lines): findings on lines AI commits of the change wrote block; findings on other changed \
lines warn; unchanged code is not reported.\n\n\
CI: when GITHUB_ACTIONS or GITLAB_CI is true, base, head and PR/MR come from the environment (GitHub's event \
payload for pull_request, pull_request_target, merge_group and push; GitLab's CI_MERGE_REQUEST_* and \
CI_COMMIT_* variables); --base/--head always win. In GitHub Actions the default --format is github, the \
Markdown summary is appended to GITHUB_STEP_SUMMARY, and verdict, findings, blocking, sarif and reason are \
written to GITHUB_OUTPUT.\n\n\
Forge: with a token (AIGATE_GITHUB_TOKEN or GITHUB_TOKEN; AIGATE_GITLAB_TOKEN) a run posts a check run named \
`aigate` with annotations (GitHub) or a commit status (GitLab), and on a PR/MR one summary comment or note \
updated in place. Posting never changes the verdict; a read-only token (fork PRs) is logged and skipped.\n\n\
Exit codes: 0 pass, 1 blocked, 2 could not decide. --fail-open turns 2 into 0, loudly.")]
pub struct Args {
    #[command(flatten)]
    pub change: ChangeArgs,
    /// Org policy: a rule directory or a bundle file (repeatable). Default: $AIGATE_POLICY (a path list).
    #[arg(long, value_name = "DIR|FILE")]
    pub policy: Vec<PathBuf>,
    /// Read the repository configuration from FILE instead of .aigate.yml at --head.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Which findings block. May widen the org scope, never narrow it.
    #[arg(long, value_enum)]
    pub scope: Option<ScopeArg>,
    /// What to print on stdout. Default: text, or github (workflow-command annotations) in GitHub Actions.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Also write SARIF 2.1.0 to FILE.
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// Also write a GitLab Code Quality report to FILE.
    #[arg(long, value_name = "FILE")]
    pub codequality: Option<PathBuf>,
    /// Also write the Markdown summary to FILE.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Skip files larger than this many bytes (default 2 MB).
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
    /// When the gate cannot decide, pass (exit 0) instead of failing closed (exit 2). Printed loudly.
    #[arg(long)]
    pub fail_open: bool,
    /// Post the run, its corrections and waivers to this ledger (token: AIGATE_LEDGER_TOKEN). When it
    /// cannot be reached the records are spooled to .aigate/spool/ and sent by a later run.
    #[arg(long, value_name = "URL", env = "AIGATE_LEDGER_URL")]
    pub ledger: Option<String>,
    /// Fail closed (exit 2) when the records could not be delivered to the ledger.
    #[arg(long, requires = "ledger")]
    pub ledger_required: bool,
    /// Print the change and forge detected from the CI environment and the flags, each with where it
    /// came from, and exit 0 without running the gate (with --format json: the context as JSON).
    #[arg(long)]
    pub explain_context: bool,
    /// Post nothing to the forge API (no check run, status or comment) even with a token.
    #[arg(long, env = "AIGATE_NO_FORGE_API")]
    pub no_forge_api: bool,
    /// GitHub: also set a commit status (for branch protection that requires statuses).
    #[arg(long, env = "AIGATE_COMMIT_STATUS")]
    pub commit_status: bool,
    /// GitHub: also upload the SARIF report to code scanning (needs `security-events: write`).
    #[arg(long, env = "AIGATE_UPLOAD_SARIF")]
    pub upload_sarif: bool,
    /// The name of the check run (GitHub) or commit status (GitLab), as required checks name it.
    #[arg(long, value_name = "NAME", env = "AIGATE_CHECK_NAME", default_value = "aigate")]
    pub check_name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScopeArg {
    AiLines,
    AiFiles,
    ChangedLines,
    All,
}

impl From<ScopeArg> for ScopeMode {
    fn from(s: ScopeArg) -> Self {
        match s {
            ScopeArg::AiLines => ScopeMode::AiLines,
            ScopeArg::AiFiles => ScopeMode::AiFiles,
            ScopeArg::ChangedLines => ScopeMode::ChangedLines,
            ScopeArg::All => ScopeMode::All,
        }
    }
}

pub fn run(args: Args) -> miette::Result<ExitCode> {
    let env = |name: &str| std::env::var(name).ok();
    // Flags always win over what the CI environment says.
    let context = ci::detect(env).map(|c| c.with_flags(args.change.base.as_deref(), args.change.head.as_deref()));
    if args.explain_context {
        let posts = match &context {
            _ if args.no_forge_api => "nothing (--no-forge-api)".to_owned(),
            Ok(ctx) => publish::describe(ctx, env, &publish_options(&args)),
            Err(_) => String::new(),
        };
        return explain(context, args.format, &posts);
    }
    let in_actions = ci::in_github_actions(env);
    let format = args
        .format
        .unwrap_or(if in_actions { Format::Github } else { Format::Text });
    let policies = if args.policy.is_empty() {
        std::env::var_os("AIGATE_POLICY")
            .map(|v| std::env::split_paths(&v).collect())
            .unwrap_or_default()
    } else {
        args.policy.clone()
    };
    let on_gitlab = matches!(&context, Ok(c) if c.forge == ci::Forge::Gitlab);
    let mut forge = match &context {
        Ok(ctx) if !args.no_forge_api => ForgePosts::start(ctx, &args, env),
        _ => None,
    };
    // An unreadable CI environment is an undecided run like any other gate error: fail closed.
    let decided = context.map_err(miette::Report::new).and_then(|context| {
        let options = CheckOptions {
            repo: args.change.repo.clone(),
            base: context.base.clone(),
            head: context.head.clone(),
            policies,
            config: args.config.clone(),
            scope: args.scope.map(Into::into),
            signatures: args.change.signatures.clone(),
            max_file_size: args.max_file_size,
        };
        let (report, trace) = check_traced(&options).map_err(miette::Report::new)?;
        Ok((report, trace, context))
    });
    let mut report = match decided {
        Ok((mut report, trace, context)) => {
            if let Some(url) = &args.ledger {
                record(url, &args, &mut report, &trace, &context);
            }
            report
        }
        Err(err) => {
            // Say what went wrong as a diagnostic, then report the undecided verdict like any other.
            eprintln!("{err:?}");
            let report = error_report("the gate could not decide: see the error above".into(), args.fail_open);
            if args.fail_open {
                eprintln!(
                    "\nWARNING: aigate could not decide and --fail-open is set: this change is NOT gated.\n\
                     WARNING: remove --fail-open to fail closed (exit 2) on errors.\n"
                );
            }
            report
        }
    };
    let mut annotated = false;
    if let Some(forge) = forge.as_mut() {
        annotated = forge.finish(&mut report);
    }
    write_outputs(&args, &report)?;
    if on_gitlab && args.codequality.is_none() {
        // Zero configuration on GitLab: the file `artifacts:reports:codequality` picks up.
        write(Path::new(GITLAB_CODEQUALITY), &codequality::to_string(&report))?;
    }
    let out = match format {
        Format::Text => terminal::to_string(&report),
        Format::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        Format::Markdown => markdown::to_string(&report),
        Format::Github => github::to_string(&report),
    };
    print!("{out}");
    if in_actions && format != Format::Github && !annotated {
        // The annotations did not reach a check run: show them on the lines through the runner, which
        // reads workflow commands from stderr too (stdout stays the format asked for).
        eprint!("{}", github::to_string(&report));
    }
    if in_actions {
        for failure in actions::publish(&report, args.sarif.as_deref(), env) {
            tracing::warn!("{failure}");
        }
    }
    if report.verdict.outcome == Outcome::Error && report.verdict.exit_code == 0 {
        tracing::warn!("fail-open: exit 0 although the gate could not decide");
    }
    Ok(ExitCode::from(report.verdict.exit_code))
}

fn publish_options(args: &Args) -> PublishOptions {
    PublishOptions {
        check_name: args.check_name.clone(),
        commit_status: args.commit_status,
        upload_sarif: args.upload_sarif,
        ..PublishOptions::default()
    }
}

/// Where GitLab jobs write the Code Quality report unless `--codequality` says otherwise.
const GITLAB_CODEQUALITY: &str = "gl-code-quality.json";

/// The run's posts to the forge, with the runtime they run on.
struct ForgePosts {
    runtime: tokio::runtime::Runtime,
    publisher: Publisher,
}

impl ForgePosts {
    /// Plans the posts for `ctx` and marks the check as running; `None` (with the reason logged)
    /// when nothing is posted.
    fn start(ctx: &Context, args: &Args, env: impl Fn(&str) -> Option<String>) -> Option<ForgePosts> {
        if ctx.forge == ci::Forge::None {
            return None;
        }
        let head = ctx.head.as_deref().unwrap_or("HEAD");
        // The sha the gate will read; if it cannot be resolved the gate fails and says why.
        let sha = Repo::discover(&args.change.repo)
            .and_then(|r| r.resolve(head))
            .ok()?
            .to_string();
        let options = publish_options(args);
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => {
                eprintln!("aigate: nothing posted to the forge: cannot start the async runtime: {e}");
                return None;
            }
        };
        // octocrab's client spawns its worker when built: inside the runtime.
        let planned = {
            let _inside = runtime.enter();
            Publisher::plan(ctx, &sha, env, options)
        };
        let mut publisher = match planned {
            Ok(p) => p,
            Err(NotPosting(why)) => {
                if !why.is_empty() {
                    eprintln!("aigate: {why}");
                }
                return None;
            }
        };
        runtime.block_on(publisher.start());
        Some(ForgePosts { runtime, publisher })
    }

    /// Posts the result; every outcome is logged and kept in the report's notes. Returns whether
    /// the findings reached the forge as annotations.
    fn finish(&mut self, report: &mut GateReport) -> bool {
        self.runtime.block_on(self.publisher.finish(report));
        for posted in &self.publisher.log {
            eprintln!("aigate: {posted}");
            if !posted.ok {
                report.notes.push(posted.line.clone());
            }
        }
        self.publisher.annotated()
    }
}

/// `--explain-context`: the detected context, or why it could not be read (exit 2).
fn explain(context: Result<Context, ContextError>, format: Option<Format>, posts: &str) -> miette::Result<ExitCode> {
    match context {
        Ok(context) if format == Some(Format::Json) => {
            let json = serde_json::to_string_pretty(&context)
                .map_err(|e| miette::miette!("cannot serialise the context: {e}"))?;
            println!("{json}");
        }
        Ok(context) => println!("{}posts    {posts}", context.explain()),
        Err(err) => {
            eprintln!("{:?}", miette::Report::new(err));
            return Ok(ExitCode::from(super::EXIT_ERROR));
        }
    }
    Ok(ExitCode::from(super::EXIT_PASS))
}

fn write_outputs(args: &Args, report: &GateReport) -> miette::Result<()> {
    type Render = fn(&GateReport) -> String;
    let outputs: [(&Option<PathBuf>, Render); 3] = [
        (&args.sarif, sarif::to_string),
        (&args.codequality, codequality::to_string),
        (&args.markdown, markdown::to_string),
    ];
    for (path, render) in outputs {
        if let Some(path) = path {
            write(path, &render(report))?;
        }
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> miette::Result<()> {
    std::fs::write(path, text).map_err(|e| {
        miette::miette!(
            help = "check that the directory exists and is writable",
            "cannot write {}: {e}",
            path.display()
        )
    })
}

/// Posts the run to the ledger (or spools it). The verdict does not depend on it unless
/// `--ledger-required`, which turns an undelivered record into "could not decide".
fn record(url: &str, args: &Args, report: &mut GateReport, trace: &Trace, context: &Context) {
    let root = Repo::discover(&args.change.repo)
        .map(|r| r.path())
        .unwrap_or_else(|_| args.change.repo.clone());
    let ctx = RunContext {
        repo: context.repo.clone().unwrap_or_else(|| {
            root.canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_default()
        }),
        forge: match context.forge {
            ci::Forge::None => None,
            forge => serde_json::to_value(forge)
                .ok()
                .and_then(|v| v.as_str().map(String::from)),
        },
        change_number: context.pr,
    };
    let (run, corrections) = gate_records(report, &ctx, trace);
    let delivery = LedgerClient::from_env(url)
        .and_then(|client| client.deliver_blocking(&Spool::in_repo(&root), run, corrections));
    let (line, delivered) = match delivery {
        Ok(d) => {
            let ok = d.spooled == 0 && d.rejected.is_empty();
            (d.to_string(), ok)
        }
        Err(e) => (format!("ledger: nothing recorded: {e}"), false),
    };
    eprintln!("{line}");
    report.notes.push(line);
    if args.ledger_required && !delivered {
        report.verdict = Verdict {
            outcome: Outcome::Error,
            reason: "--ledger-required and the run could not be delivered to the ledger".into(),
            exit_code: if args.fail_open { 0 } else { super::EXIT_ERROR },
        };
    }
}

//! `aigate ledger serve|token|verify|flush|record`: the ledger service and its tools.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use miette::{IntoDiagnostic, WrapErr, miette};

use aigate::ledger::client::{LedgerClient, with_content_key};
use aigate::ledger::model::{CorrectionKind, CorrectionSubmission, Role};
use aigate::ledger::server::{self, Limits};
use aigate::ledger::spool::Spool;
use aigate::ledger::store::{self, LedgerStore, Store};
use aigate::ledger::{DEFAULT_DATABASE, DEFAULT_LISTEN, chain, now, token};

use super::{EXIT_ERROR, EXIT_PASS};

#[derive(Debug, clap::Args)]
pub struct Db {
    /// The ledger database: sqlite://PATH or postgres://USER@HOST/DB.
    #[arg(long, env = "AIGATE_LEDGER_DATABASE", default_value = DEFAULT_DATABASE)]
    pub database: String,
}

#[derive(Debug, clap::Args)]
pub struct Remote {
    /// The ledger's URL, e.g. https://ledger.example.com (token from AIGATE_LEDGER_TOKEN).
    #[arg(long, env = "AIGATE_LEDGER_URL")]
    pub ledger: String,
    /// The spool directory [default: .aigate/spool under the repository, or here].
    #[arg(long)]
    pub spool: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Run the ledger service (plain HTTP: put TLS in a proxy in front).
    Serve {
        #[command(flatten)]
        db: Db,
        /// Address to listen on (port 0 picks one; the address is printed on stdout).
        #[arg(long, default_value = DEFAULT_LISTEN)]
        listen: String,
    },
    /// Manage bearer tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Recompute the hash chain; exit 0 when intact, 1 naming the first broken entry.
    Verify {
        #[command(flatten)]
        db: Db,
    },
    /// Send the records spooled while the ledger was unreachable.
    Flush {
        #[command(flatten)]
        remote: Remote,
    },
    /// Record a correction by hand (kind `manual`).
    Record(Box<RecordArgs>),
}

#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Create a token; it is printed once, as the last line of stdout (only its hash is stored).
    Create {
        /// reporter, reader, architect or admin.
        #[arg(long)]
        role: Role,
        #[arg(long)]
        label: Option<String>,
        #[command(flatten)]
        db: Db,
    },
}

#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// The repository, as the ledger names it (e.g. owner/name).
    #[arg(long)]
    pub repo_name: String,
    /// The file the correction is in.
    #[arg(long)]
    pub path: String,
    /// The code before the correction (or --before-file, or --commit).
    #[arg(long, conflicts_with_all = ["before_file", "commit"])]
    pub before: Option<String>,
    #[arg(long, conflicts_with = "commit")]
    pub before_file: Option<PathBuf>,
    /// The code after the correction (or --after-file, or --commit).
    #[arg(long, conflicts_with_all = ["after_file", "commit"])]
    pub after: Option<String>,
    #[arg(long, conflicts_with = "commit")]
    pub after_file: Option<PathBuf>,
    /// Take before/after from the lines this commit changed in --path.
    #[arg(long)]
    pub commit: Option<String>,
    /// Why the AI output was wrong.
    #[arg(long)]
    pub reason: String,
    /// The invariant this correction relates to.
    #[arg(long)]
    pub rule: Option<String>,
    /// Who corrected it: `Name <email>`.
    #[arg(long)]
    pub author: Option<String>,
    #[arg(long)]
    pub tool: Option<String>,
}

pub fn run(cmd: Command) -> miette::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .into_diagnostic()?;
    runtime.block_on(async move {
        match cmd {
            Command::Serve { db, listen } => serve(&db.database, &listen).await,
            Command::Token(TokenCommand::Create { role, label, db }) => create_token(&db.database, role, label).await,
            Command::Verify { db } => verify(&db.database).await,
            Command::Flush { remote } => flush(&remote).await,
            Command::Record(args) => record(*args).await,
        }
    })
}

async fn open(url: &str) -> miette::Result<LedgerStore> {
    LedgerStore::open(url).await.into_diagnostic()
}

async fn serve(database: &str, listen: &str) -> miette::Result<ExitCode> {
    let store = open(database).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .into_diagnostic()
        .wrap_err_with(|| format!("could not listen on {listen}: pick another --listen address"))?;
    let addr = listener.local_addr().into_diagnostic()?;
    println!("aigate ledger listening on http://{addr}");
    tracing::info!("ledger database: {database}");
    server::serve(Arc::new(store), Limits::default(), listener)
        .await
        .into_diagnostic()?;
    Ok(ExitCode::from(EXIT_PASS))
}

async fn create_token(database: &str, role: Role, label: Option<String>) -> miette::Result<ExitCode> {
    let store = open(database).await?;
    let t = token::generate().map_err(|e| miette!("no randomness for a token: {e}"))?;
    store
        .insert_token(&token::hash(&t), role, label.as_deref(), &now())
        .await
        .into_diagnostic()?;
    println!("created a {role} token; it is shown only now:");
    println!("{t}");
    Ok(ExitCode::from(EXIT_PASS))
}

async fn verify(database: &str) -> miette::Result<ExitCode> {
    let store = open(database).await?;
    match store::verify(&store).await.into_diagnostic()? {
        chain::Verdict::Intact { entries, head } => {
            println!("ledger intact: {entries} entries, head {head}");
            Ok(ExitCode::from(EXIT_PASS))
        }
        chain::Verdict::Broken { seq, problem } => {
            eprintln!("ledger BROKEN at entry {seq}: {problem}");
            Ok(ExitCode::from(1))
        }
    }
}

fn spool_for(remote: &Remote) -> Spool {
    if let Some(dir) = &remote.spool {
        return Spool::new(dir);
    }
    let root = gix::discover(".")
        .ok()
        .and_then(|r| r.workdir().map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("."));
    Spool::in_repo(&root)
}

async fn flush(remote: &Remote) -> miette::Result<ExitCode> {
    let client = LedgerClient::from_env(&remote.ledger).into_diagnostic()?;
    let spool = spool_for(remote);
    let delivery = client.flush(&spool).await.into_diagnostic()?;
    let left = spool.list().into_diagnostic()?.len();
    println!(
        "ledger flush: sent {}, {} still spooled in {}",
        delivery.sent,
        left,
        spool.dir().display()
    );
    for r in &delivery.rejected {
        eprintln!("refused: {r}");
    }
    if let Some(e) = &delivery.error {
        eprintln!("{e}");
        return Ok(ExitCode::from(EXIT_ERROR));
    }
    Ok(ExitCode::from(EXIT_PASS))
}

fn text(inline: Option<String>, file: Option<PathBuf>, what: &str) -> miette::Result<String> {
    match (inline, file) {
        (Some(t), _) => Ok(t),
        (None, Some(f)) => std::fs::read_to_string(&f)
            .into_diagnostic()
            .wrap_err_with(|| format!("could not read --{what}-file {}", f.display())),
        (None, None) => Err(miette!("give --{what}, --{what}-file or --commit")),
    }
}

/// The lines `commit` changed in `path`: the file at its parent and at the commit, minus the
/// lines the two share at the start and the end.
fn changed_by_commit(commit: &str, path: &str) -> miette::Result<(String, String)> {
    let repo = gix::discover(".")
        .into_diagnostic()
        .wrap_err("--commit needs to run inside a git repository")?;
    let blob = |spec: String| -> Option<String> {
        let id = repo.rev_parse_single(spec.as_str()).ok()?;
        let object = id.object().ok()?;
        Some(String::from_utf8_lossy(&object.data).into_owned())
    };
    let after =
        blob(format!("{commit}:{path}")).ok_or_else(|| miette!("`{path}` does not exist at commit {commit}"))?;
    let before = blob(format!("{commit}^:{path}")).unwrap_or_default();
    let (b, a): (Vec<&str>, Vec<&str>) = (
        before.split_inclusive('\n').collect(),
        after.split_inclusive('\n').collect(),
    );
    let prefix = b.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let suffix = b[prefix..]
        .iter()
        .rev()
        .zip(a[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    Ok((
        b[prefix..b.len() - suffix].concat(),
        a[prefix..a.len() - suffix].concat(),
    ))
}

async fn record(args: RecordArgs) -> miette::Result<ExitCode> {
    let (before, after) = match &args.commit {
        Some(commit) => changed_by_commit(commit, &args.path)?,
        None => (
            text(args.before, args.before_file, "before")?,
            text(args.after, args.after_file, "after")?,
        ),
    };
    let correction = with_content_key(
        CorrectionSubmission {
            idempotency_key: None,
            kind: CorrectionKind::Manual,
            repo: args.repo_name,
            path: args.path,
            tool: args.tool,
            model: None,
            ai_commit: None,
            fix_commit: args.commit,
            author: args.author,
            before,
            after,
            rule_id: args.rule,
            reason: Some(args.reason),
        },
        "manual",
    );
    let client = LedgerClient::from_env(&args.remote.ledger).into_diagnostic()?;
    match client.post_corrections(std::slice::from_ref(&correction)).await {
        Ok(written) => {
            for w in written.records {
                let state = if w.created { "recorded" } else { "already recorded" };
                println!(
                    "{state}: correction {} (fingerprint {})",
                    w.record.id, w.record.fingerprint
                );
            }
            Ok(ExitCode::from(EXIT_PASS))
        }
        Err(e) if e.is_transient() => {
            let spool = spool_for(&args.remote);
            let file = spool
                .put(&aigate::ledger::spool::SpoolItem::Correction(correction))
                .into_diagnostic()?;
            println!("spooled: {} ({e}); send it with `aigate ledger flush`", file.display());
            Ok(ExitCode::from(EXIT_PASS))
        }
        Err(e) => Err(miette!("{e}")),
    }
}

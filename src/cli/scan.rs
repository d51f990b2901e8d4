//! `aigate scan`: run the policy over whole trees (no git history needed).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use aigate::engine::walk::{self, ScanReport};
use aigate::engine::{Engine, EngineOptions, Finding};
use aigate::policy::{Invariant, PolicyLoader, Severity};
use aigate::report::terminal;

use super::{EXIT_BLOCKED, EXIT_PASS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// rustc-style diagnostics with source snippets, then a summary line.
    Text,
    /// `{ "findings": [...], "files_scanned": N, "skipped": [{ "path", "why" }] }`.
    Json,
}

#[derive(Debug, clap::Args)]
#[command(
    long_about = "Scan files for invariant findings: the whole tree under each PATH (default: the current \
directory), honouring .gitignore, .ignore and hidden files as ripgrep does. The built-in packs run unless \
--no-builtin; --rules adds rule files or directories (ast-grep's rule format plus aigate's kinds).\n\n\
Waivers: `aigate: allow(<rule-id>) -- <reason>` in a comment on the finding's line or the line above.\n\n\
Exit codes: 0 no unwaived finding at severity error, 1 at least one, 2 error (bad rules, unreadable path).",
    after_help = "Examples:\n  aigate scan                          # the current directory, built-in packs\n  \
aigate scan src/ lib/ --format json  # machine-readable findings\n  \
aigate scan --rules ./policy --no-builtin\n  \
aigate scan --pack architecture      # also run a pack that is off by default\n  \
aigate scan --max-file-size 500000"
)]
pub struct Args {
    /// Files or directories to scan (default: the current directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// A rule file, or a directory of them (recursive), to add to the policy. Repeatable.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Do not load the built-in packs.
    #[arg(long)]
    pub no_builtin: bool,
    /// Enable a pack that is off by default (e.g. `architecture`). Repeatable.
    #[arg(long = "pack", value_name = "NAME")]
    pub packs: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Skip files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 2 * 1024 * 1024)]
    pub max_file_size: u64,
    /// The shortest accepted waiver reason, in characters.
    #[arg(long, value_name = "CHARS", default_value_t = 10)]
    pub min_waiver_reason: usize,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,
}

pub fn run(args: Args) -> miette::Result<ExitCode> {
    let mut loader = PolicyLoader::new().builtin(!args.no_builtin);
    for path in &args.rules {
        loader = loader.path(path);
    }
    let mut policy = loader.load()?;
    for pack in &args.packs {
        policy.enable_pack(pack)?;
    }
    let options = EngineOptions {
        max_file_size: args.max_file_size,
        min_waiver_reason: args.min_waiver_reason,
    };
    // A scan has no change: invariants about what a change touched or removed have nothing to judge.
    let (whole_tree, change_only): (Vec<_>, Vec<_>) = policy.enabled().cloned().partition(|i| !i.check.judges_change());
    let engine = Engine::from_invariants(whole_tree, options)?;
    if !change_only.is_empty() && args.format == Format::Text {
        eprintln!(
            "note: {} invariants judge a change (protected paths, dependencies added, tests deleted, API changes) \
             and do not run in a scan; `aigate check` runs them on a change",
            change_only.len()
        );
    }
    let (targets, walk_skipped) = walk::targets(&engine, &args.paths)?;

    let bar = (std::io::stderr().is_terminal() && targets.len() > 500).then(|| {
        let bar = indicatif::ProgressBar::new(targets.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} scanning {pos}/{len} files {wide_bar} {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let tick = || {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    };
    let mut report = walk::scan(&engine, &targets, args.threads, &tick)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    report.skipped.splice(0..0, walk_skipped);

    let output = match args.format {
        Format::Json => {
            let mut json =
                serde_json::to_string_pretty(&report).map_err(|e| miette::miette!("cannot write JSON: {e}"))?;
            json.push('\n');
            json
        }
        Format::Text => render_text(&report, engine.invariants()),
    };
    // A closed pipe (`aigate scan | head`) is not an error; the exit code still tells the verdict.
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(output.as_bytes()).and_then(|()| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(miette::miette!("cannot write the report to stdout: {e}"));
    }
    let blocked = report.findings.iter().any(Finding::blocks);
    Ok(ExitCode::from(if blocked { EXIT_BLOCKED } else { EXIT_PASS }))
}

/// rustc-style diagnostics with a numbered source snippet, then a one-line summary.
fn render_text(report: &ScanReport, invariants: &[Invariant]) -> String {
    let by_id: HashMap<&str, &Invariant> = invariants.iter().map(|i| (i.id.as_str(), i)).collect();
    let mut files: HashMap<&str, Option<String>> = HashMap::new();
    let mut out = String::new();
    for f in &report.findings {
        let text = files
            .entry(f.path.as_str())
            .or_insert_with(|| std::fs::read_to_string(&f.path).ok());
        let label = if f.waived.is_some() {
            "waived".to_string()
        } else {
            f.severity.name().to_string()
        };
        let _ = writeln!(out, "{label}[{}]: {}", f.rule_id, f.message);
        let pad = terminal::gutter(f.end.line);
        let _ = writeln!(out, "{pad}--> {}:{}:{}", f.path, f.start.line, f.start.column);
        if let Some(text) = text.as_deref() {
            let last = f.end.line.clamp(f.start.line, f.start.line + 4);
            let lines: Vec<&str> = text
                .lines()
                .skip(f.start.line as usize - 1)
                .take((last + 1 - f.start.line) as usize)
                .collect();
            let (start, end) = ((f.start.line, f.start.column), (f.end.line, f.end.column));
            terminal::snippet(&mut out, &pad, &lines, f.start.line, start, end);
        }
        if let Some(w) = &f.waived {
            let _ = writeln!(out, "{pad} = waived: {}", w.reason);
        }
        if let Some(inv) = by_id.get(f.rule_id.as_str()) {
            if let Some(note) = &inv.note {
                let note = note.trim().replace('\n', &format!("\n{pad}   "));
                let _ = writeln!(out, "{pad} = note: {note}");
            }
            if let Some(url) = &inv.url {
                let _ = writeln!(out, "{pad} = note: see {url}");
            }
        }
        if let Some(fix) = &f.fix {
            let _ = writeln!(out, "{pad} = help: replace with `{}`", fix.replacement);
        }
        out.push('\n');
    }
    for s in &report.skipped {
        let _ = writeln!(out, "skipped: {}: {}", s.path, s.why);
    }
    out.push_str(&summary(report));
    out.push('\n');
    out
}

fn summary(report: &ScanReport) -> String {
    let open: Vec<&Finding> = report.findings.iter().filter(|f| f.waived.is_none()).collect();
    let waived = report.findings.len() - open.len();
    let count = |s: Severity| open.iter().filter(|f| f.severity == s).count();
    let mut parts = Vec::new();
    for (sev, name) in [
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Info, "info"),
        (Severity::Hint, "hint"),
    ] {
        let n = count(sev);
        if n > 0 {
            parts.push(format!(
                "{n} {name}{}",
                if n == 1 || sev == Severity::Info { "" } else { "s" }
            ));
        }
    }
    let found = if parts.is_empty() {
        "no findings".to_string()
    } else {
        parts.join(", ")
    };
    format!(
        "aigate scan: {found}, {waived} waived, {} file{} scanned, {} skipped",
        report.files_scanned,
        if report.files_scanned == 1 { "" } else { "s" },
        report.skipped.len()
    )
}

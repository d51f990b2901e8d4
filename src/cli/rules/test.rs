//! `aigate rules test`: every invariant against its own `metadata.examples`, through the same
//! engine `aigate scan` and `aigate check` use.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use aigate::engine::lang::Lang;
use aigate::engine::source::SourceFile;
use aigate::engine::{Engine, EngineOptions, Finding};
use aigate::policy::{Example, Invariant, KindName, Policy, PolicyLoader, Severity};

use crate::cli::{EXIT_BLOCKED, EXIT_PASS};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Rule files or directories to test. None: the built-in packs (all of them, also those off by default).
    #[arg(value_name = "DIR")]
    paths: Vec<PathBuf>,
    /// Only test invariants whose id contains this text.
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
}

pub fn run(args: Args) -> miette::Result<ExitCode> {
    let builtin = args.paths.is_empty();
    let mut loader = PolicyLoader::new().builtin(builtin);
    for path in &args.paths {
        loader = loader.path(path);
    }
    let policy = loader.load()?;
    let mut summary = Summary::default();
    let mut out = String::new();
    for inv in policy.invariants() {
        if args.filter.as_deref().is_some_and(|f| !inv.id.contains(f)) {
            continue;
        }
        let outcome = test_invariant(&policy, inv)?;
        summary.examples += outcome.examples;
        match outcome.verdict(builtin) {
            Verdict::Pass => {
                summary.passed += 1;
                let _ = writeln!(out, "ok      {} ({} examples)", inv.id, outcome.examples);
            }
            Verdict::Untested(why) => {
                summary.untested += 1;
                let _ = writeln!(out, "skip    {}: {why}", inv.id);
            }
            Verdict::Fail => {
                summary.failed += 1;
                let _ = writeln!(out, "FAIL    {} ({}:{})", inv.id, inv.origin.file, inv.origin.line);
                if builtin && outcome.missing.is_some() {
                    let _ = writeln!(out, "  {}", outcome.missing.as_deref().unwrap_or_default());
                }
                for failure in &outcome.failures {
                    out.push_str(&failure.render(&inv.id));
                }
            }
        }
    }
    print!("{out}");
    println!("\n{summary}");
    Ok(ExitCode::from(if summary.failed > 0 {
        EXIT_BLOCKED
    } else {
        EXIT_PASS
    }))
}

#[derive(Debug, Default)]
struct Summary {
    passed: usize,
    failed: usize,
    untested: usize,
    examples: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = if self.failed > 0 { "FAILED" } else { "ok" };
        write!(f, "rules test {status}: {} passed, {} failed", self.passed, self.failed)?;
        if self.untested > 0 {
            write!(f, ", {} without examples", self.untested)?;
        }
        write!(f, " ({} examples checked)", self.examples)
    }
}

enum Verdict {
    Pass,
    Fail,
    Untested(String),
}

#[derive(Default)]
struct Outcome {
    examples: usize,
    failures: Vec<Failure>,
    /// Why the examples are incomplete (no invalid or no valid example), if they are.
    missing: Option<String>,
}

impl Outcome {
    /// Built-in invariants must carry both kinds of example; user rules (e.g. plain ast-grep
    /// rules) without examples are reported as untested rather than failed.
    fn verdict(&self, builtin: bool) -> Verdict {
        match (&self.missing, builtin) {
            _ if !self.failures.is_empty() => Verdict::Fail,
            (Some(_), true) => Verdict::Fail,
            (Some(why), false) => Verdict::Untested(why.clone()),
            (None, _) => Verdict::Pass,
        }
    }
}

/// One example that did not behave as documented.
struct Failure {
    label: String,
    path: String,
    head: String,
    base: Option<String>,
    deleted: bool,
    expect_findings: bool,
    /// The findings of the rule under test (empty for a failed invalid example).
    actual: Vec<Finding>,
    /// Findings of the rule that an inline waiver exempted (they do not count).
    waived: usize,
}

impl Failure {
    /// A diff of expected against actual findings, then the example text.
    fn render(&self, id: &str) -> String {
        let mut out = String::new();
        let what = if self.expect_findings {
            "expected a finding, got none"
        } else {
            "expected no finding"
        };
        let _ = writeln!(out, "  examples.{} ({}): {what}", self.label, self.path);
        if self.expect_findings {
            let _ = writeln!(out, "    - expected: at least one finding of {id}");
            match self.waived {
                0 => writeln!(out, "    + actual:   no finding"),
                n => writeln!(out, "    + actual:   no finding ({n} waived by an inline waiver)"),
            }
            .ok();
        } else {
            let _ = writeln!(out, "    - expected: no finding of {id}");
            for f in &self.actual {
                let _ = writeln!(
                    out,
                    "    + actual:   {}:{}-{}:{} {} {}",
                    f.start.line, f.start.column, f.end.line, f.end.column, f.severity, f.message
                );
            }
        }
        if let Some(base) = &self.base {
            let _ = writeln!(out, "    base:");
            numbered(&mut out, base);
            let _ = writeln!(out, "    head:");
        }
        if self.deleted {
            let _ = writeln!(out, "      (deleted)");
        } else {
            numbered(&mut out, &self.head);
        }
        out
    }
}

fn numbered(out: &mut String, text: &str) {
    for (i, line) in text.lines().enumerate() {
        let _ = writeln!(out, "      {:>3} | {line}", i + 1);
    }
    if text.is_empty() {
        let _ = writeln!(out, "          | (empty)");
    }
}

fn test_invariant(policy: &Policy, inv: &Invariant) -> miette::Result<Outcome> {
    let examples = &inv.metadata.examples;
    let mut outcome = Outcome {
        missing: match (examples.invalid.is_empty(), examples.valid.is_empty()) {
            (true, true) => Some("no examples".into()),
            (true, false) => Some("no `examples.invalid` (a case the rule must report)".into()),
            (false, true) => Some("no `examples.valid` (a case the rule must not report)".into()),
            (false, false) => None,
        },
        ..Outcome::default()
    };
    if inv.severity == Severity::Off {
        outcome.missing = Some("severity is `off`: the rule never reports".into());
        return Ok(outcome);
    }
    let engine = engine_for(policy, inv)?;
    for (expect_findings, label, list) in [(true, "invalid", &examples.invalid), (false, "valid", &examples.valid)] {
        for (i, example) in list.iter().enumerate() {
            outcome.examples += 1;
            let (path, head, base) = example.parts();
            let path = path.map_or_else(|| default_path(inv), str::to_string);
            let lang = Lang::from_path(std::path::Path::new(&path)).or(inv.language);
            let head_file = SourceFile {
                path: &path,
                lang,
                text: head,
            };
            let base_file = base.map(|text| SourceFile {
                path: &path,
                lang,
                text,
            });
            let (actual, waived): (Vec<Finding>, Vec<Finding>) = engine
                .check_file(&head_file, base_file.as_ref())
                .into_iter()
                .filter(|f| f.rule_id == inv.id)
                .partition(|f| f.waived.is_none());
            if actual.is_empty() == expect_findings {
                outcome.failures.push(Failure {
                    label: format!("{label}[{i}]"),
                    path: path.clone(),
                    head: head.to_string(),
                    base: base.map(str::to_string),
                    deleted: matches!(example, Example::File { head: None, .. }),
                    expect_findings,
                    actual,
                    waived: waived.len(),
                });
            }
        }
    }
    Ok(outcome)
}

/// The engine for one invariant's examples. Waiver-hygiene invariants judge the waivers of other
/// findings, so they run with every invariant of the policy; the rest run alone.
fn engine_for(policy: &Policy, inv: &Invariant) -> miette::Result<Engine> {
    let invariants = if inv.kind == KindName::Waiver {
        policy.invariants().to_vec()
    } else {
        vec![inv.clone()]
    };
    Ok(Engine::from_invariants(invariants, EngineOptions::default())?)
}

/// The example's file name when it gives none: `example.<ext>` of the rule's language.
fn default_path(inv: &Invariant) -> String {
    let ext = match inv.language {
        Some(Lang::Bash) => "sh",
        Some(Lang::C) => "c",
        Some(Lang::Cpp) => "cpp",
        Some(Lang::CSharp) => "cs",
        Some(Lang::Go) => "go",
        Some(Lang::Java) => "java",
        Some(Lang::JavaScript) => "js",
        Some(Lang::Python) => "py",
        Some(Lang::Ruby) => "rb",
        Some(Lang::Rust) => "rs",
        Some(Lang::Tsx) => "tsx",
        Some(Lang::TypeScript) => "ts",
        None => "txt",
    };
    format!("example.{ext}")
}

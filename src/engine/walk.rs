//! Scanning whole trees (no git history): walk the given paths honouring `.gitignore` (the
//! `ignore` crate, as ripgrep does), read each relevant file once, and run the engine on all
//! cores. Files too large, binary or not UTF-8 are skipped with a reason, never a crash.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::finding::Finding;
use super::lang::Lang;
use super::runner::Engine;
use super::source::SourceFile;

/// How many leading bytes are searched for a NUL to call a file binary (as git and ripgrep do).
const BINARY_PROBE: usize = 8 * 1024;
/// Worker stack size: generous, so that deeply nested input cannot exhaust it.
const WORKER_STACK: usize = 64 * 1024 * 1024;

/// The result of a scan (the JSON contract of `aigate scan --format json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanReport {
    /// Sorted by path, line, column, rule.
    pub findings: Vec<Finding>,
    pub files_scanned: usize,
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub path: String,
    pub why: String,
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ScanError {
    #[error("cannot scan {path}: {source}")]
    #[diagnostic(help("check that the path exists and is readable"))]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the scan's worker threads: {0}")]
    Threads(String),
}

/// One file to scan: the path to print and the path below its root (for rule globs).
#[derive(Debug, Clone)]
pub struct Target {
    pub fs_path: PathBuf,
    pub display: String,
    pub relative: String,
    pub lang: Option<Lang>,
}

/// The files under `roots` (a file root is taken as is) the engine has rules for, in path order.
/// An empty `roots` means the current directory, printed without a `./` prefix.
pub fn targets(engine: &Engine, roots: &[PathBuf]) -> Result<(Vec<Target>, Vec<Skipped>), ScanError> {
    let default = [PathBuf::from(".")];
    let (roots, strip_dot) = if roots.is_empty() {
        (&default[..], true)
    } else {
        (roots, false)
    };
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for root in roots {
        let meta = fs::metadata(root).map_err(|source| ScanError::Unreadable {
            path: root.clone(),
            source,
        })?;
        if meta.is_file() {
            let display = slash(root);
            let relative = display.trim_start_matches("./").to_string();
            let lang = Lang::from_path(root);
            if engine.is_relevant(&relative, lang) {
                out.push(Target {
                    fs_path: root.clone(),
                    display,
                    relative,
                    lang,
                });
            }
            continue;
        }
        let walker = ignore::WalkBuilder::new(root).require_git(false).build();
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    skipped.push(Skipped {
                        path: slash(root),
                        why: format!("cannot walk: {e}"),
                    });
                    continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let path = entry.path();
            let relative = slash(path.strip_prefix(root).unwrap_or(path));
            let mut display = slash(path);
            if strip_dot && let Some(rest) = display.strip_prefix("./") {
                display = rest.to_string();
            }
            let lang = Lang::from_path(path);
            if engine.is_relevant(&relative, lang) {
                out.push(Target {
                    fs_path: path.to_path_buf(),
                    display,
                    relative,
                    lang,
                });
            }
        }
    }
    out.sort_by(|a, b| a.display.cmp(&b.display));
    out.dedup_by(|a, b| a.display == b.display);
    Ok((out, skipped))
}

fn slash(path: &Path) -> String {
    let s = path.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        s.into_owned()
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// Reads a file for analysis, or says why it is skipped.
fn read(target: &Target, max: u64) -> Result<String, String> {
    let mut file = fs::File::open(&target.fs_path).map_err(|e| format!("cannot read: {e}"))?;
    let len = file.metadata().map_err(|e| format!("cannot read: {e}"))?.len();
    if len > max {
        return Err(format!("larger than the size limit ({len} bytes > {max} bytes)"));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.by_ref()
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(format!("larger than the size limit (> {max} bytes)"));
    }
    if memchr::memchr(0, &bytes[..bytes.len().min(BINARY_PROBE)]).is_some() {
        return Err("binary (NUL byte in the first 8 KiB)".into());
    }
    String::from_utf8(bytes).map_err(|e| format!("not UTF-8 (invalid byte at offset {})", e.utf8_error().valid_up_to()))
}

/// Scans the targets on all cores (or `threads`); `progress` is called once per file.
pub fn scan(
    engine: &Engine,
    targets: &[Target],
    threads: Option<usize>,
    progress: &(dyn Fn() + Sync),
) -> Result<ScanReport, ScanError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .stack_size(WORKER_STACK)
        .build()
        .map_err(|e| ScanError::Threads(e.to_string()))?;
    let max = engine.options().max_file_size;
    let results: Vec<(Vec<Finding>, Vec<Skipped>, bool)> = pool.install(|| {
        targets
            .par_iter()
            .map(|t| {
                let out = match read(t, max) {
                    Ok(text) => {
                        let file = SourceFile {
                            path: &t.relative,
                            lang: t.lang,
                            text: &text,
                        };
                        let outcome = engine.analyse(&file, None);
                        let mut findings = outcome.findings;
                        for f in &mut findings {
                            f.path.clone_from(&t.display);
                        }
                        let mut skipped: Vec<Skipped> = outcome
                            .notes
                            .into_iter()
                            .map(|why| Skipped {
                                path: t.display.clone(),
                                why,
                            })
                            .collect();
                        if let Some(why) = outcome.skipped {
                            skipped.push(Skipped {
                                path: t.display.clone(),
                                why,
                            });
                            (findings, skipped, false)
                        } else {
                            (findings, skipped, true)
                        }
                    }
                    Err(why) => (
                        Vec::new(),
                        vec![Skipped {
                            path: t.display.clone(),
                            why,
                        }],
                        false,
                    ),
                };
                progress();
                out
            })
            .collect()
    });
    let mut report = ScanReport::default();
    for (findings, skipped, scanned) in results {
        report.findings.extend(findings);
        report.skipped.extend(skipped);
        report.files_scanned += usize::from(scanned);
    }
    report.findings.sort_by(|a, b| {
        (&a.path, a.start.line, a.start.column, &a.rule_id).cmp(&(&b.path, b.start.line, b.start.column, &b.rule_id))
    });
    Ok(report)
}

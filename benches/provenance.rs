//! Provenance benchmarks (a `harness = false` bench binary: `cargo bench --bench provenance`).
//!
//! Generates (once, cached under `target/bench-repos/`) a 10,000-commit repository and a 100,000-commit one:
//! ~300 files, mixed AI and human commits with realistic messages and trailers, 1–3 files edited per commit.
//! Then measures, median of several runs:
//! 1. classification of the whole 10,000-commit history (walk + message decode + trailers + catalogue) vs
//!    `git log --format=%B` over the same commits;
//! 2. attribution of the last 50 commits vs `git blame` (range-limited and full) on the files they changed;
//! 3. the same 50-commit attribution in the 10× history: the cost follows the change, not the history.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aigate::git::Repo;
use aigate::provenance::attribution::attribute;
use aigate::provenance::signatures::Catalogue;
use aigate::provenance::trace::classify;

const FILES: usize = 300;
const CHANGE: usize = 50;

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const MODULES: [&str; 8] = [
    "parser", "auth", "billing", "storage", "http", "cache", "metrics", "config",
];
const VERBS: [&str; 8] = [
    "handle", "validate", "refactor", "speed up", "log", "retry", "document", "test",
];

fn line(rng: &mut Rng, n: &mut u64) -> String {
    *n += 1;
    match rng.below(10) {
        0 => "    }".to_owned(),
        1 => String::new(),
        2 => format!("    fn step_{n}(&self, input: &str) -> Result<u32, Error> {{"),
        3 => format!(
            "        // {} the {} path ({n})",
            VERBS[rng.below(8)],
            MODULES[rng.below(8)]
        ),
        _ => format!(
            "        let value_{n} = self.{}.get({})?;",
            MODULES[rng.below(8)],
            rng.below(1000)
        ),
    }
}

fn message(rng: &mut Rng, i: usize) -> (String, (&'static str, &'static str)) {
    let module = MODULES[rng.below(8)];
    let subject = format!(
        "{}: {} {module} edge case #{i}",
        ["fix", "feat", "refactor", "chore"][rng.below(4)],
        VERBS[rng.below(8)]
    );
    let body = format!(
        "The {module} code path did not cover the case where the input is empty.\nThis change makes the behaviour explicit and adds a log line.\n"
    );
    let human = ("Dana Human", "dana@example.com");
    match rng.below(10) {
        0..=1 => (
            format!(
                "{subject}\n\n{body}\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\nCo-Authored-By: Claude Sonnet 4.5 <noreply@anthropic.com>\n"
            ),
            human,
        ),
        2 => (
            format!("{subject}\n\n{body}\nCo-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>\n"),
            human,
        ),
        3 => (
            format!("aider: {subject}\n\n{body}"),
            ("Dana Human (aider)", "dana@example.com"),
        ),
        4 => (
            format!("{subject}\n\n{body}\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>\n"),
            human,
        ),
        5..=6 => (
            format!(
                "{subject}\n\n{body}\nSigned-off-by: Dana Human <dana@example.com>\nReviewed-by: Rita Reviewer <rita@example.com>\n"
            ),
            human,
        ),
        _ => (format!("{subject}\n\n{body}"), ("Rita Reviewer", "rita@example.com")),
    }
}

fn data(out: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    writeln!(out, "data {}", bytes.len())?;
    out.write_all(bytes)?;
    writeln!(out)
}

/// A repository with `commits` commits, generated with `git fast-import` and cached.
fn history(commits: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/bench-repos/history-{commits}"));
    if dir.join(".complete").exists() {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let git = |args: &[&str]| {
        assert!(
            Command::new("git")
                .current_dir(&dir)
                .args(args)
                .status()
                .expect("git")
                .success()
        )
    };
    git(&["init", "-q", "-b", "main"]);
    let started = Instant::now();
    let mut child = Command::new("git")
        .current_dir(&dir)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("fast-import");
    let mut out = std::io::BufWriter::new(child.stdin.take().expect("stdin"));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ commits as u64);
    let mut n = 0u64;
    let mut files: Vec<Vec<String>> = (0..FILES)
        .map(|_| (0..40 + rng.below(80)).map(|_| line(&mut rng, &mut n)).collect())
        .collect();
    let path = |f: usize| format!("src/{}/file_{f}.rs", MODULES[f % 8]);
    for i in 0..commits {
        let (msg, (name, email)) = if i == 0 {
            ("initial import\n".to_owned(), ("Dana Human", "dana@example.com"))
        } else {
            message(&mut rng, i)
        };
        let when = 1_600_000_000 + i as u64 * 600;
        writeln!(out, "commit refs/heads/main\nmark :{}", i + 1).expect("w");
        writeln!(
            out,
            "author {name} <{email}> {when} +0000\ncommitter {name} <{email}> {when} +0000"
        )
        .expect("w");
        data(&mut out, msg.as_bytes()).expect("w");
        if i > 0 {
            writeln!(out, "from :{i}").expect("w");
        }
        let touched: Vec<usize> = if i == 0 {
            (0..FILES).collect()
        } else {
            (0..1 + rng.below(3)).map(|_| rng.below(FILES)).collect()
        };
        for f in touched {
            if i > 0 {
                for _ in 0..1 + rng.below(3) {
                    let lines = &mut files[f];
                    let at = rng.below(lines.len() + 1);
                    match rng.below(if lines.len() > 250 { 4 } else { 3 }) {
                        0 => {
                            let new: Vec<String> = (0..1 + rng.below(8)).map(|_| line(&mut rng, &mut n)).collect();
                            lines.splice(at..at, new);
                        }
                        1 if !lines.is_empty() => {
                            let end = (at + 1 + rng.below(4)).min(lines.len());
                            let new: Vec<String> = (0..1 + rng.below(4)).map(|_| line(&mut rng, &mut n)).collect();
                            let at = at.min(end.saturating_sub(1));
                            lines.splice(at..end, new);
                        }
                        _ if !lines.is_empty() => {
                            let at = at.min(lines.len() - 1);
                            let end = (at + 1 + rng.below(6)).min(lines.len());
                            lines.drain(at..end);
                        }
                        _ => {}
                    }
                }
            }
            writeln!(out, "M 100644 inline {}", path(f)).expect("w");
            let content: String = files[f].iter().map(|l| format!("{l}\n")).collect();
            data(&mut out, content.as_bytes()).expect("w");
        }
    }
    drop(out);
    assert!(child.wait().expect("fast-import").success());
    git(&["reset", "-q", "--hard", "main"]);
    std::fs::write(dir.join(".complete"), "").expect("marker");
    eprintln!("generated {commits} commits in {:.1?}", started.elapsed());
    dir
}

fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn git_output(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("git").current_dir(dir).args(args).output().expect("git");
    assert!(out.status.success(), "git {args:?}");
    out.stdout
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is understood.
    let small = history(10_000);
    let large = history(100_000);
    let catalogue = Catalogue::builtin().expect("built-in catalogue");

    // 1. Classification of the whole history.
    let repo = Repo::discover(&small).expect("open");
    let head = repo.resolve("HEAD").expect("head");
    let mut ai = 0;
    let classify_all = median(5, || {
        let commits = repo.walk(None, head).expect("walk");
        ai = commits.iter().map(|c| classify(c, &catalogue)).filter(|p| p.ai).count();
        assert_eq!(commits.len(), 10_000);
    });
    let git_log = median(5, || {
        let out = git_output(&small, &["log", "--format=%B", "HEAD"]);
        assert!(!out.is_empty());
    });
    println!(
        "| classify 10,000 commits (walk + decode + trailers + catalogue; {ai} AI) | {} |",
        ms(classify_all)
    );
    println!(
        "| `git log --format=%B` over the same 10,000 commits | {} |",
        ms(git_log)
    );
    println!(
        "| ratio aigate / git log | {:.2}× |",
        classify_all.as_secs_f64() / git_log.as_secs_f64()
    );

    // 2 and 3. Attribution of the last 50 commits, in both histories.
    for (dir, label) in [(&small, "10,000"), (&large, "100,000")] {
        let repo = Repo::discover(dir).expect("open");
        let base = format!("HEAD~{CHANGE}");
        let range = repo.range(Some(&base), "HEAD").expect("range");
        let mut files = Vec::new();
        let attribution_time = median(5, || {
            let attribution = attribute(&repo, &range, &|_| false).expect("attribution");
            files = attribution.files.iter().map(|f| f.display_path()).collect();
        });
        let blame_range = median(3, || {
            for f in &files {
                git_output(dir, &["blame", "--porcelain", &format!("{base}..HEAD"), "--", f]);
            }
        });
        println!(
            "| attribute last {CHANGE} commits ({} files) in {label}-commit history | {} |",
            files.len(),
            ms(attribution_time)
        );
        println!(
            "| `git blame --porcelain HEAD~{CHANGE}..HEAD` on those files ({label}) | {} |",
            ms(blame_range)
        );
        if dir == &small {
            // Unbounded blame walks the whole history of each file: once is enough to make the point.
            let blame_full = median(1, || {
                for f in &files {
                    git_output(dir, &["blame", "--porcelain", "HEAD", "--", f]);
                }
            });
            println!(
                "| `git blame --porcelain HEAD` (full history) on those files ({label}) | {} |",
                ms(blame_full)
            );
        }
    }
}

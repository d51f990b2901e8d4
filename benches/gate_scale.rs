//! The gate's cost follows the change, not the repository: the same 1,000-file AI change checked
//! in a 1,000-file repository and in a 100,000-file repository (`cargo bench --bench gate_scale`).
//!
//! Repositories are generated once with `git fast-import` under target/bench-repos/ and reused.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aigate::gate::run::{CheckOptions, check};

const CHANGED: usize = 1_000;
const RUNS: usize = 9;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-repos");
    std::fs::create_dir_all(&root).expect("bench dir");
    let small = ensure_repo(&root.join("files-1k"), 1_000);
    let large = ensure_repo(&root.join("files-100k"), 100_000);
    // Interleaved, so that load on the machine hits both sides alike.
    let (mut small_times, mut large_times) = (Vec::new(), Vec::new());
    let (mut f_small, mut f_large) = (0, 0);
    for _ in 0..RUNS {
        let (t, f) = measure(&small);
        small_times.push(t);
        f_small = f;
        let (t, f) = measure(&large);
        large_times.push(t);
        f_large = f;
    }
    let (t_small, min_small) = median_min(&mut small_times);
    let (t_large, min_large) = median_min(&mut large_times);
    println!("gate_scale: {CHANGED}-file AI change, {RUNS} interleaved runs (median, min)");
    println!(
        "  1,000-file repository:   {:>8.1} ms  {:>8.1} ms  ({f_small} findings)",
        ms(t_small),
        ms(min_small)
    );
    println!(
        "  100,000-file repository: {:>8.1} ms  {:>8.1} ms  ({f_large} findings)",
        ms(t_large),
        ms(min_large)
    );
    println!(
        "  ratio large/small: median {:.2}, min {:.2}",
        t_large.as_secs_f64() / t_small.as_secs_f64(),
        min_large.as_secs_f64() / min_small.as_secs_f64()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median_min(times: &mut [Duration]) -> (Duration, Duration) {
    times.sort();
    (times[times.len() / 2], times[0])
}

/// One full gate run (open, policy, provenance, engine, scope) on the repository's last commit.
fn measure(repo: &Path) -> (Duration, usize) {
    let options = CheckOptions {
        repo: repo.to_path_buf(),
        base: Some("HEAD~1".into()),
        ..CheckOptions::default()
    };
    let start = Instant::now();
    let report = check(&options).expect("gate runs");
    let elapsed = start.elapsed();
    assert_eq!(report.change.files_checked, CHANGED, "the change is {CHANGED} files");
    (elapsed, report.findings.len())
}

/// A repository of `files` Python modules (spread over directories of 100), then one AI commit
/// rewriting the first 1,000 of them, some with a violation.
fn ensure_repo(dir: &Path, files: usize) -> PathBuf {
    if dir.join(".git").join("aigate-bench-ready").exists() {
        return dir.to_path_buf();
    }
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("repo dir");
    git(dir, &["init", "-q", "-b", "main"]);
    let mut stream = String::new();
    let path = |i: usize| format!("pkg{:04}/module_{i:06}.py", i / 100);
    let body = |i: usize, extra: &str| {
        format!(
            "\"\"\"Module {i}.\"\"\"\n\n\ndef handler_{i}(value):\n    total = value * {i}\n{extra}    return total\n"
        )
    };
    let commit = |msg: &str, ts: u64, files: &mut dyn Iterator<Item = (String, String)>, stream: &mut String| {
        let _ = write!(
            stream,
            "commit refs/heads/main\ncommitter Dana Human <dana@example.com> {ts} +0000\ndata {}\n{msg}\n",
            msg.len()
        );
        for (p, content) in files {
            let _ = write!(stream, "M 100644 inline {p}\ndata {}\n{content}\n", content.len());
        }
    };
    commit(
        "initial import",
        1_700_000_000,
        &mut (0..files).map(|i| (path(i), body(i, ""))),
        &mut stream,
    );
    let ai = "refactor handlers\n\nCo-Authored-By: Claude Sonnet 4.5 <noreply@anthropic.com>";
    let mut changed = (0..CHANGED).map(|i| {
        let extra = if i % 10 == 0 {
            "    total = eval(str(total))\n"
        } else {
            "    total += 1\n"
        };
        (path(i), body(i, extra))
    });
    commit(ai, 1_700_000_600, &mut changed, &mut stream);
    let mut child = Command::new("git")
        .current_dir(dir)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stream.as_bytes())
        .expect("feed fast-import");
    assert!(child.wait().expect("fast-import").success());
    git(dir, &["reset", "-q", "--hard", "main"]);
    git(dir, &["gc", "-q"]);
    std::fs::write(dir.join(".git").join("aigate-bench-ready"), "").expect("marker");
    dir.to_path_buf()
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .current_dir(dir)
        .args(args)
        .status()
        .expect("git")
        .success();
    assert!(ok, "git {args:?}");
}

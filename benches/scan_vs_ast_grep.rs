//! `aigate scan` against `ast-grep scan` (the peer) with the same pattern rules
//! (benches/scan_rules/*.yml, unchanged for both) on the same large corpus of real source, in
//! one run. Prints wall times, the ratio, the machine, and whether both tools found the same.
//!
//! Run: `cargo bench --bench scan_vs_ast_grep` (release build). ast-grep is taken from
//! `$AIGATE_AST_GREP`, else `target/tools/venv/bin/ast-grep` (see scripts/test to install it).
//! The corpus is assembled once under `$AIGATE_BENCH_CORPUS` (default: a directory in the
//! system temp dir, outside any git repository so that no .gitignore applies) from the Rust
//! sources in ~/.cargo/registry/src, the Python standard library and npm's JavaScript.
//! `AIGATE_BENCH_RUNS` sets the timed runs per tool (default 5).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUST_LINES: usize = 700_000;
const MAX_FILE: u64 = 1024 * 1024;

fn main() {
    // `cargo bench` passes `--bench`; cargo test passes nothing special. Run either way.
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let aigate = PathBuf::from(env!("CARGO_BIN_EXE_aigate"));
    let ast_grep = std::env::var_os("AIGATE_AST_GREP")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("target/tools/venv/bin/ast-grep"));
    if !ast_grep.exists() {
        eprintln!(
            "ast-grep not found at {}: install it as scripts/test does",
            ast_grep.display()
        );
        std::process::exit(2);
    }
    let runs: usize = std::env::var("AIGATE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let corpus = std::env::var_os("AIGATE_BENCH_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("aigate-bench-corpus"));
    let stats = build_corpus(&corpus);
    let rules = manifest.join("benches/scan_rules");
    let config_dir = corpus.with_extension("sgconfig");
    fs::create_dir_all(&config_dir).expect("create sgconfig dir");
    let sgconfig = config_dir.join("sgconfig.yml");
    fs::write(&sgconfig, format!("ruleDirs:\n  - {}\n", rules.display())).expect("write sgconfig");

    let corpus_arg = corpus.to_string_lossy().to_string();
    let aigate_cmd = |out: Stdio| {
        let mut c = Command::new(&aigate);
        c.args(["scan", "--no-builtin", "--rules"])
            .arg(&rules)
            .args(["--format", "json", &corpus_arg])
            .stdout(out);
        c
    };
    let sg_cmd = |out: Stdio| {
        let mut c = Command::new(&ast_grep);
        c.arg("scan")
            .arg("-c")
            .arg(&sgconfig)
            .args(["--json=compact", &corpus_arg])
            .stdout(out);
        c
    };

    // Same findings? (file, line, rule) from both JSON outputs.
    let ours = run_json(aigate_cmd(Stdio::piped()));
    let theirs = run_json(sg_cmd(Stdio::piped()));
    let ours = keys(
        ours["findings"].as_array().map(Vec::as_slice).unwrap_or_default(),
        |f| {
            (
                f["path"].as_str().unwrap_or_default().to_string(),
                f["start"]["line"].as_u64().unwrap_or(0),
                f["rule_id"].as_str().unwrap_or_default().to_string(),
            )
        },
    );
    let theirs = keys(theirs.as_array().map(Vec::as_slice).unwrap_or_default(), |m| {
        (
            m["file"].as_str().unwrap_or_default().to_string(),
            m["range"]["start"]["line"].as_u64().unwrap_or(0) + 1,
            m["ruleId"].as_str().unwrap_or_default().to_string(),
        )
    });

    // Alternate the tools so that neither benefits from a warmer cache; one warm-up each.
    let _ = time(aigate_cmd(Stdio::null()));
    let _ = time(sg_cmd(Stdio::null()));
    let (mut a, mut s, mut a_cpu, mut s_cpu) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let (wall, cpu) = time(aigate_cmd(Stdio::null()));
        a.push(wall);
        a_cpu.push(cpu);
        let (wall, cpu) = time(sg_cmd(Stdio::null()));
        s.push(wall);
        s_cpu.push(cpu);
    }
    let (am, sm) = (median(&mut a), median(&mut s));
    let (acm, scm) = (median(&mut a_cpu), median(&mut s_cpu));
    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_rule = |m: &BTreeMap<(String, u64, String), usize>| {
        let mut r: BTreeMap<&str, usize> = BTreeMap::new();
        for ((_, _, rule), n) in m {
            *r.entry(rule).or_default() += n;
        }
        r.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
    };
    println!(
        "corpus: {} ({} files, {} lines: {})",
        corpus.display(),
        stats.files,
        stats.lines,
        stats.by_lang
    );
    println!("rules: {} (8 pattern rules)", rules.display());
    println!("machine: {cores} cores, {cpu}");
    println!("runs: {runs} per tool, alternating, after one warm-up each");
    println!(
        "aigate scan:   median {:.2}s  min {:.2}s",
        am.as_secs_f64(),
        min(&a).as_secs_f64()
    );
    println!(
        "ast-grep scan: median {:.2}s  min {:.2}s",
        sm.as_secs_f64(),
        min(&s).as_secs_f64()
    );
    println!(
        "ratio aigate/ast-grep (median wall): {:.2}",
        am.as_secs_f64() / sm.as_secs_f64()
    );
    println!(
        "CPU time (user+sys, median): aigate {:.2}s, ast-grep {:.2}s, ratio {:.2}",
        acm.as_secs_f64(),
        scm.as_secs_f64(),
        acm.as_secs_f64() / scm.as_secs_f64().max(0.01)
    );
    println!("load average after the runs: {}", load.trim());
    println!(
        "findings: aigate {} , ast-grep {} , identical (file, line, rule): {}",
        ours.values().sum::<usize>(),
        theirs.values().sum::<usize>(),
        ours == theirs
    );
    println!("per rule (aigate): {}", per_rule(&ours));
    if ours != theirs {
        let only_ours: Vec<_> = ours.keys().filter(|k| !theirs.contains_key(*k)).take(5).collect();
        let only_theirs: Vec<_> = theirs.keys().filter(|k| !ours.contains_key(*k)).take(5).collect();
        println!("only aigate: {only_ours:?}\nonly ast-grep: {only_theirs:?}");
    }
}

fn run_json(mut cmd: Command) -> serde_json::Value {
    let out = cmd.stderr(Stdio::null()).output().expect("run tool");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{cmd:?} did not print JSON: {e}"))
}

type Key = (String, u64, String);

/// Counts per (file, line, rule) of the bench's rules (ast-grep also reports its own
/// `unused-suppression` for `ast-grep-ignore` comments in the corpus, which aigate does not honour).
fn keys(items: &[serde_json::Value], key: impl Fn(&serde_json::Value) -> Key) -> BTreeMap<Key, usize> {
    let mut out = BTreeMap::new();
    for k in items.iter().map(key).filter(|k| k.2.starts_with("bench/")) {
        *out.entry(k).or_default() += 1;
    }
    out
}

/// Wall time and CPU time (user + system, of the waited-for child) of one run.
fn time(mut cmd: Command) -> (Duration, Duration) {
    let cpu_before = children_cpu();
    let start = Instant::now();
    let status = cmd.stderr(Stdio::null()).status().expect("run tool");
    let elapsed = start.elapsed();
    assert!(status.code().is_some_and(|c| c <= 1), "{cmd:?} failed: {status}");
    (elapsed, children_cpu().saturating_sub(cpu_before))
}

/// CPU time of this process's waited-for children (`cutime + cstime` of /proc/self/stat,
/// in clock ticks of 10 ms); zero where /proc is unavailable.
fn children_cpu() -> Duration {
    let stat = fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the `(comm)`: state is field 3; cutime and cstime are fields 16 and 17.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i - 3).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    Duration::from_millis((ticks(16) + ticks(17)) * 10)
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn min(v: &[Duration]) -> Duration {
    v.iter().copied().min().unwrap_or_default()
}

struct Stats {
    files: usize,
    lines: usize,
    by_lang: String,
}

/// Copies real source into `dir` (once): UTF-8 text files up to 1 MiB, no dot-files.
fn build_corpus(dir: &Path) -> Stats {
    let home = PathBuf::from(std::env::var_os("HOME").unwrap_or_default());
    let sources: [(&str, Vec<PathBuf>, &str, Option<usize>); 3] = [
        (
            "rust",
            registry_dirs(&home.join(".cargo/registry/src")),
            "rs",
            Some(RUST_LINES),
        ),
        ("python", glob_dirs("/usr/lib", "python3."), "py", None),
        ("js", vec![PathBuf::from("/usr/lib/node_modules/npm")], "js", None),
    ];
    let marker = dir.join(".complete");
    let mut by_lang = Vec::new();
    let (mut files, mut lines) = (0, 0);
    if !marker.exists() {
        let _ = fs::remove_dir_all(dir);
        for (name, roots, ext, budget) in &sources {
            let mut taken = 0;
            for root in roots {
                if budget.is_some_and(|b| taken >= b) {
                    break;
                }
                let mut found = Vec::new();
                collect(root, ext, &mut found);
                found.sort();
                for file in found {
                    let Ok(text) = fs::read_to_string(&file) else {
                        continue;
                    };
                    if text.contains('\0') {
                        continue;
                    }
                    // <corpus>/<lang>/<source root's name>/<path below it>: no hidden components.
                    let rel = file.strip_prefix(root).unwrap_or(&file);
                    let dest = dir.join(name).join(root.file_name().unwrap_or_default()).join(rel);
                    if let Some(parent) = dest.parent() {
                        fs::create_dir_all(parent).expect("create corpus dir");
                    }
                    fs::write(&dest, &text).expect("write corpus file");
                    taken += text.lines().count();
                }
            }
        }
        fs::write(&marker, "").expect("write marker");
    }
    for (name, _, ext, _) in &sources {
        let mut found = Vec::new();
        collect(&dir.join(name), ext, &mut found);
        let l: usize = found
            .iter()
            .filter_map(|f| fs::read_to_string(f).ok())
            .map(|t| t.lines().count())
            .sum();
        by_lang.push(format!("{name} {} files/{l} lines", found.len()));
        files += found.len();
        lines += l;
    }
    Stats {
        files,
        lines,
        by_lang: by_lang.join(", "),
    }
}

fn registry_dirs(src: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for index in fs::read_dir(src).into_iter().flatten().flatten() {
        for krate in fs::read_dir(index.path()).into_iter().flatten().flatten() {
            out.push(krate.path());
        }
    }
    out.sort();
    out
}

fn glob_dirs(parent: &str, prefix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(parent)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

fn collect(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            collect(&path, ext, out);
        } else if meta.is_file() && meta.len() <= MAX_FILE && path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

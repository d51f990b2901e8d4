//! Real git repositories in temp dirs, built with the git CLI, for the git/attribution/trace tests.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct TempRepo {
    pub dir: tempfile::TempDir,
    /// Commit counter: each commit gets a distinct, increasing date for determinism.
    tick: u64,
}

impl TempRepo {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = TempRepo { dir, tick: 0 };
        repo.git(&["init", "-q", "-b", "main"]);
        for (key, value) in [
            ("user.name", "Dana Human"),
            ("user.email", "dana@example.com"),
            ("commit.gpgsign", "false"),
            ("core.autocrlf", "false"),
            ("protocol.file.allow", "always"),
        ] {
            repo.git(&["config", key, value]);
        }
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs git in the repository; panics with stderr on failure (test fixture).
    pub fn git(&self, args: &[&str]) -> String {
        let out = self.git_raw(args, &[]);
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn git_raw(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        let mut cmd = Command::new("git");
        cmd.current_dir(self.path())
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", self.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run git")
    }

    pub fn write(&self, path: &str, content: impl AsRef<[u8]>) {
        let full = self.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, content).expect("write");
    }

    pub fn remove(&self, path: &str) {
        self.git(&["rm", "-q", "--", path]);
    }

    /// Commits everything (`git add -A`) with `message`; returns the sha.
    pub fn commit(&mut self, message: &str) -> String {
        self.commit_as(message, None)
    }

    /// Commits with an explicit author `(name, email)`.
    pub fn commit_as(&mut self, message: &str, author: Option<(&str, &str)>) -> String {
        self.git(&["add", "-A"]);
        self.tick += 1;
        let date = format!("{} +0000", 1_700_000_000 + self.tick * 60);
        let mut env = vec![
            ("GIT_AUTHOR_DATE", date.as_str()),
            ("GIT_COMMITTER_DATE", date.as_str()),
        ];
        if let Some((name, email)) = author {
            env.push(("GIT_AUTHOR_NAME", name));
            env.push(("GIT_AUTHOR_EMAIL", email));
        }
        let out = self.git_raw(&["commit", "-q", "--allow-empty", "--no-verify", "-m", message], &env);
        assert!(
            out.status.success(),
            "commit failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.head()
    }

    /// A merge commit of `branch` into the current branch (no fast-forward), resolving nothing.
    pub fn merge(&mut self, branch: &str, message: &str) -> String {
        self.tick += 1;
        let date = format!("{} +0000", 1_700_000_000 + self.tick * 60);
        let env = [
            ("GIT_AUTHOR_DATE", date.as_str()),
            ("GIT_COMMITTER_DATE", date.as_str()),
        ];
        let out = self.git_raw(&["merge", "-q", "--no-ff", "-m", message, branch], &env);
        assert!(
            out.status.success(),
            "merge failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.head()
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    pub fn open(&self) -> aigate::git::Repo {
        aigate::git::Repo::discover(self.path()).expect("open repo")
    }

    /// `git blame --porcelain base..head -- path`: for each line at head, the owning commit, or `None` for the
    /// boundary (lines older than the change).
    pub fn blame(&self, base: &str, head: &str, path: &str, extra: &[&str]) -> Vec<Option<String>> {
        let range = format!("{base}..{head}");
        let mut args = vec!["blame", "--porcelain"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[range.as_str(), "--", path]);
        let out = self.git(&args);
        parse_porcelain(&out)
    }
}

/// Owner of each final line from `git blame --porcelain` output (`None` for boundary commits).
pub fn parse_porcelain(out: &str) -> Vec<Option<String>> {
    let mut boundary: HashMap<String, bool> = HashMap::new();
    let mut lines: Vec<(usize, String)> = Vec::new();
    let mut current = String::new();
    for line in out.lines() {
        if line.starts_with('\t') {
            continue;
        }
        let mut parts = line.split(' ');
        let first = parts.next().unwrap_or_default();
        if first.len() == 40 && first.bytes().all(|b| b.is_ascii_hexdigit()) {
            let _orig = parts.next();
            let final_line: usize = parts.next().and_then(|n| n.parse().ok()).expect("final line number");
            current = first.to_owned();
            boundary.entry(current.clone()).or_insert(false);
            lines.push((final_line, current.clone()));
        } else if line == "boundary" {
            boundary.insert(current.clone(), true);
        }
    }
    lines.sort();
    lines
        .into_iter()
        .map(|(_, sha)| (!boundary[&sha]).then_some(sha))
        .collect()
}

pub fn bin_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_aigate"))
}

//! Line attribution agrees with `git blame --porcelain base..head -- path`, line by line, on random histories:
//! AI and human commits inserting, editing, moving blocks, deleting lines, deleting whole files and re-adding
//! them, renaming files (exactly or with edits), over several files, and side branches merged back (git's
//! merge, conflicts resolved to our side).
//! Both sides use git's default diff (Myers with the indent heuristic).

#[path = "git_fixture/mod.rs"]
mod fixture;

use aigate::provenance::attribution::attribute;
use fixture::TempRepo;
use proptest::prelude::*;

const FILES: [&str; 3] = ["a.txt", "b.rs", "dir/c.txt"];

#[derive(Debug, Clone)]
enum Edit {
    Insert {
        at: usize,
        lines: Vec<u8>,
    },
    Replace {
        at: usize,
        len: usize,
        lines: Vec<u8>,
    },
    Delete {
        at: usize,
        len: usize,
    },
    Move {
        from: usize,
        len: usize,
        to: usize,
    },
    DeleteFile,
    /// Moves the file to another of the paths when that one is free (git sees a rename, exact or edited).
    RenameTo(usize),
}

#[derive(Debug, Clone)]
struct Plan {
    ai: bool,
    edits: Vec<(usize, Edit)>,
}

fn edit() -> impl Strategy<Value = Edit> {
    let lines = || prop::collection::vec(any::<u8>(), 1..5);
    prop_oneof![
        3 => (any::<usize>(), lines()).prop_map(|(at, lines)| Edit::Insert { at, lines }),
        3 => (any::<usize>(), 1usize..4, lines()).prop_map(|(at, len, lines)| Edit::Replace { at, len, lines }),
        2 => (any::<usize>(), 1usize..4).prop_map(|(at, len)| Edit::Delete { at, len }),
        2 => (any::<usize>(), 1usize..5, any::<usize>()).prop_map(|(from, len, to)| Edit::Move { from, len, to }),
        1 => Just(Edit::DeleteFile),
        1 => (0..FILES.len()).prop_map(Edit::RenameTo),
    ]
}

fn plan() -> impl Strategy<Value = Plan> {
    (any::<bool>(), prop::collection::vec((0..FILES.len(), edit()), 1..4)).prop_map(|(ai, edits)| Plan { ai, edits })
}

/// One step of the history on main: a commit, or a side branch (from here) merged back after main moved on.
#[derive(Debug, Clone)]
enum Step {
    Commit(Plan),
    Merge { side: Vec<Plan>, main: Vec<Plan> },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => plan().prop_map(Step::Commit),
        1 => (prop::collection::vec(plan(), 1..3), prop::collection::vec(plan(), 0..2))
            .prop_map(|(side, main)| Step::Merge { side, main }),
    ]
}

/// Realistic lines: mostly unique statements, with the repeated lines real code has (`}`, blank lines).
struct Lines(u32);
impl Lines {
    fn make(&mut self, seed: u8) -> String {
        self.0 += 1;
        match seed % 8 {
            0 => "}".to_owned(),
            1 => String::new(),
            2 => format!("fn f{}() {{", self.0),
            3 => "    return x;".to_owned(),
            _ => format!("    let v{} = {};", self.0, seed),
        }
    }
}

fn apply(file: &mut Option<Vec<String>>, edit: &Edit, lines_gen: &mut Lines) {
    let make = |lines_gen: &mut Lines, seeds: &[u8]| seeds.iter().map(|s| lines_gen.make(*s)).collect::<Vec<_>>();
    let Some(lines) = file else {
        // A missing file comes back with new content on any edit but a delete.
        if let Edit::Insert { lines: seeds, .. } | Edit::Replace { lines: seeds, .. } = edit {
            *file = Some(make(lines_gen, seeds));
        }
        return;
    };
    let n = lines.len();
    match edit {
        Edit::Insert { at, lines: seeds } => {
            let new = make(lines_gen, seeds);
            let at = at % (n + 1);
            lines.splice(at..at, new);
        }
        Edit::Replace { at, len, lines: seeds } if n > 0 => {
            let new = make(lines_gen, seeds);
            let at = at % n;
            let end = (at + len).min(n);
            lines.splice(at..end, new);
        }
        Edit::Delete { at, len } if n > 0 => {
            let at = at % n;
            lines.drain(at..(at + len).min(n));
        }
        Edit::Move { from, len, to } if n > 1 => {
            let from = from % n;
            let block: Vec<String> = lines.drain(from..(from + len).min(n)).collect();
            let to = to % (lines.len() + 1);
            lines.splice(to..to, block);
        }
        Edit::DeleteFile => *file = None,
        _ => {}
    }
}

fn write_all(repo: &TempRepo, files: &[Option<Vec<String>>]) {
    for (path, content) in FILES.iter().zip(files) {
        let full = repo.path().join(path);
        match content {
            Some(lines) => repo.write(path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()),
            None if full.exists() => std::fs::remove_file(full).expect("rm"),
            None => {}
        }
    }
}

/// Re-reads the files from the working tree (after a merge the model follows git's result).
fn read_all(repo: &TempRepo) -> Vec<Option<Vec<String>>> {
    FILES
        .iter()
        .map(|path| {
            std::fs::read_to_string(repo.path().join(path))
                .ok()
                .map(|text| text.lines().map(str::to_owned).collect())
        })
        .collect()
}

struct History {
    repo: TempRepo,
    lines: Lines,
    files: Vec<Option<Vec<String>>>,
    commits: usize,
}

impl History {
    fn commit(&mut self, plan: &Plan) {
        for (file, edit) in &plan.edits {
            if let Edit::RenameTo(target) = edit {
                if self.files[*target].is_none() {
                    self.files[*target] = self.files[*file].take();
                }
                continue;
            }
            apply(&mut self.files[*file], edit, &mut self.lines);
        }
        write_all(&self.repo, &self.files);
        let n = self.commits;
        let message = if plan.ai {
            format!("change {n}\n\nCo-Authored-By: Claude Sonnet 4.5 <noreply@anthropic.com>")
        } else {
            format!("change {n}")
        };
        self.repo.commit(&message);
        self.commits += 1;
    }

    fn merge(&mut self, side: &[Plan], main: &[Plan]) {
        let branch = format!("side{}", self.commits);
        self.repo.git(&["checkout", "-q", "-b", &branch]);
        side.iter().for_each(|p| self.commit(p));
        self.repo.git(&["checkout", "-q", "main"]);
        self.files = read_all(&self.repo);
        main.iter().for_each(|p| self.commit(p));
        let merged = self
            .repo
            .git_raw(&["merge", "-q", "--no-ff", "-X", "ours", "-m", "merge", &branch], &[]);
        if !merged.status.success() {
            // Conflicts -X ours cannot settle (modify/delete): keep the working tree as git left it.
            self.repo.git(&["add", "-A"]);
            self.repo.git(&["commit", "-q", "--no-edit"]);
        }
        self.commits += 1;
        self.files = read_all(&self.repo);
    }
}

fn check(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let repo = TempRepo::new();
    let mut lines_gen = Lines(0);
    let files: Vec<Option<Vec<String>>> = (0..FILES.len())
        .map(|i| {
            Some(
                (0..6 + i as u8 * 3)
                    .map(|s| lines_gen.make(s.wrapping_mul(37).wrapping_add(5)))
                    .collect(),
            )
        })
        .collect();
    write_all(&repo, &files);
    let mut history = History {
        repo,
        lines: lines_gen,
        files,
        commits: 0,
    };
    let base = history.repo.commit("base: the state before the change");
    for step in &steps {
        match step {
            Step::Commit(plan) => history.commit(plan),
            Step::Merge { side, main } => history.merge(side, main),
        }
    }
    let repo = &history.repo;

    let git = repo.open();
    let range = git.range(Some(&base), "HEAD").expect("range");
    prop_assert_eq!(range.commits.len(), history.commits);
    let attribution = attribute(&git, &range, &|_| false).expect("attribution");
    let sha_of = |i: u32| range.commits[i as usize].id.to_string();

    for path in repo.git(&["ls-files"]).lines() {
        let blame = repo.blame(&base, "HEAD", path, &[]);
        let ours: Vec<Option<String>> = match attribution.files.iter().find(|f| f.path == path) {
            Some(file) => file.origins.iter().map(|o| o.map(|o| sha_of(o.commit))).collect(),
            None => vec![None; blame.len()],
        };
        prop_assert_eq!(&ours, &blame, "owners of {} differ from git blame", path);
    }
    // Every file the change left different from base is listed.
    for path in repo
        .git(&["diff", "--name-only", "--no-renames", &base, "HEAD"])
        .lines()
    {
        if repo.path().join(path).exists() {
            prop_assert!(
                attribution.files.iter().any(|f| f.path == path),
                "{} missing from the changed files",
                path
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn attribution_matches_git_blame(steps in prop::collection::vec(step(), 1..7)) {
        check(steps)?;
    }
}

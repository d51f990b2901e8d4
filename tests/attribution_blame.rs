//! Line attribution agrees with `git blame --porcelain base..head -- path`, line by line, on random histories:
//! AI and human commits inserting, editing, moving blocks, deleting lines, deleting whole files and re-adding
//! them, over several files. Both sides use git's default diff (Myers with the indent heuristic).

#[path = "git_fixture/mod.rs"]
mod fixture;

use aigate::provenance::attribution::attribute;
use fixture::TempRepo;
use proptest::prelude::*;

const FILES: [&str; 3] = ["a.txt", "b.rs", "dir/c.txt"];

#[derive(Debug, Clone)]
enum Edit {
    Insert { at: usize, lines: Vec<u8> },
    Replace { at: usize, len: usize, lines: Vec<u8> },
    Delete { at: usize, len: usize },
    Move { from: usize, len: usize, to: usize },
    DeleteFile,
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
    ]
}

fn plan() -> impl Strategy<Value = Plan> {
    (any::<bool>(), prop::collection::vec((0..FILES.len(), edit()), 1..4)).prop_map(|(ai, edits)| Plan { ai, edits })
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

fn check(plans: Vec<Plan>) -> Result<(), TestCaseError> {
    let mut repo = TempRepo::new();
    let mut lines_gen = Lines(0);
    let mut files: Vec<Option<Vec<String>>> =
        (0..FILES.len()).map(|i| Some((0..6 + i as u8 * 3).map(|s| lines_gen.make(s.wrapping_mul(37).wrapping_add(5))).collect())).collect();
    write_all(&repo, &files);
    let base = repo.commit("base: the state before the change");
    let mut ai_shas = Vec::new();
    for (n, plan) in plans.iter().enumerate() {
        for (file, edit) in &plan.edits {
            apply(&mut files[*file], edit, &mut lines_gen);
        }
        write_all(&repo, &files);
        let message = if plan.ai {
            format!("change {n}\n\nCo-Authored-By: Claude Sonnet 4.5 <noreply@anthropic.com>")
        } else {
            format!("change {n}")
        };
        let sha = repo.commit(&message);
        if plan.ai {
            ai_shas.push(sha);
        }
    }

    let git = repo.open();
    let range = git.range(Some(&base), "HEAD").expect("range");
    prop_assert_eq!(range.commits.len(), plans.len());
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
    for path in repo.git(&["diff", "--name-only", "--no-renames", &base, "HEAD"]).lines() {
        if repo.path().join(path).exists() {
            prop_assert!(attribution.files.iter().any(|f| f.path == path), "{} missing from the changed files", path);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn attribution_matches_git_blame(plans in prop::collection::vec(plan(), 1..8)) {
        check(plans)?;
    }
}

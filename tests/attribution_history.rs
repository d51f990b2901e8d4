//! Attribution and corrections on hand-built histories: merges, renames, conflict resolutions, and the three
//! correction cases (human rewrites AI lines; human adds elsewhere; AI fixes AI).

#[path = "git_fixture/mod.rs"]
mod fixture;

use aigate::provenance::attribution::{Attribution, attribute};
use aigate::provenance::corrections::corrections;
use aigate::provenance::model::{CommitProvenance, Identity};
use fixture::TempRepo;

fn numbered(prefix: &str, n: usize) -> String {
    (1..=n).map(|i| format!("{prefix} line {i}\n")).collect()
}

/// Attribution of `base..HEAD` with the commits in `ai` tracked; owners as shas per file.
fn run(repo: &TempRepo, base: &str, ai: &[&str]) -> (aigate::git::Range, Attribution) {
    let git = repo.open();
    let range = git.range(Some(base), "HEAD").expect("range");
    let ai_idx: Vec<u32> = range
        .commits
        .iter()
        .enumerate()
        .filter(|(_, c)| ai.contains(&c.id.to_string().as_str()))
        .map(|(i, _)| i as u32)
        .collect();
    let attribution = attribute(&git, &range, &|i| ai_idx.contains(&i)).expect("attribution");
    (range, attribution)
}

fn owners(range: &aigate::git::Range, attribution: &Attribution, path: &str) -> Vec<Option<String>> {
    let file = attribution
        .files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} not attributed"));
    file.origins
        .iter()
        .map(|o| o.map(|o| range.commits[o.commit as usize].id.to_string()))
        .collect()
}

fn provenance(range: &aigate::git::Range, ai: &[&str]) -> Vec<CommitProvenance> {
    range
        .commits
        .iter()
        .map(|c| CommitProvenance {
            sha: c.id.to_string(),
            author: Identity {
                name: c.author.name.clone(),
                email: c.author.email.clone(),
            },
            ai: ai.contains(&c.id.to_string().as_str()),
            tool: ai
                .contains(&c.id.to_string().as_str())
                .then(|| "Claude Code".to_owned()),
            model: None,
            signals: vec![],
            trailers: vec![],
        })
        .collect()
}

#[test]
fn merged_branches_attribute_like_git_blame() {
    let mut repo = TempRepo::new();
    repo.write("a.txt", numbered("a", 5));
    repo.write("b.txt", numbered("b", 5));
    let base = repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("a.txt", numbered("a", 5) + "ai addition 1\nai addition 2\n");
    let ai = repo.commit("feat: ai lines\n\nCo-Authored-By: Claude <noreply@anthropic.com>");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("b.txt", "human first\n".to_owned() + &numbered("b", 5));
    let human = repo.commit("human edit on main");
    repo.git(&["checkout", "-q", "feature"]);
    repo.merge("main", "merge main into feature");

    let (range, attribution) = run(&repo, &base, &[&ai]);
    assert_eq!(range.commits.len(), 3, "ai, human and the merge");
    for path in ["a.txt", "b.txt"] {
        assert_eq!(
            owners(&range, &attribution, path),
            repo.blame(&base, "HEAD", path, &[]),
            "{path}"
        );
    }
    let a = attribution.files.iter().find(|f| f.path == "a.txt").expect("a.txt");
    let ai_idx = range
        .commits
        .iter()
        .position(|c| c.id == ai.as_str())
        .expect("ai commit") as u32;
    assert_eq!(a.ranges(|o| o.commit == ai_idx), vec![[6, 7]]);
    let b = owners(&range, &attribution, "b.txt");
    assert_eq!(
        b[0].as_deref(),
        Some(human.as_str()),
        "the merged side's own line stays its author's"
    );
    assert!(b[1..].iter().all(Option::is_none));
}

#[test]
fn conflict_resolution_lines_belong_to_the_merge() {
    let mut repo = TempRepo::new();
    repo.write("f.txt", numbered("f", 4));
    let base = repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("f.txt", "f line 1\nside version\nf line 3\nf line 4\n");
    repo.commit("side");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("f.txt", "f line 1\nmain version\nf line 3\nf line 4\n");
    repo.commit("main");
    let out = repo.git_raw(&["merge", "-q", "side"], &[]);
    assert!(!out.status.success(), "expected a conflict");
    repo.write("f.txt", "f line 1\nresolved by hand\nf line 3\nf line 4\n");
    let merge = repo.commit("merge side");

    let (range, attribution) = run(&repo, &base, &[]);
    let ours = owners(&range, &attribution, "f.txt");
    assert_eq!(ours, repo.blame(&base, "HEAD", "f.txt", &[]));
    assert_eq!(ours[1].as_deref(), Some(merge.as_str()));
}

#[test]
fn renames_keep_the_lines_of_the_original_author() {
    let mut repo = TempRepo::new();
    repo.write("README", "readme\n");
    let base = repo.commit("base");
    repo.write("src/old.rs", numbered("fn body", 12));
    let ai = repo.commit("ai writes old.rs\n\nCo-Authored-By: Claude <noreply@anthropic.com>");
    repo.git(&["mv", "src/old.rs", "src/new.rs"]);
    let edited = numbered("fn body", 12).replace("fn body line 3\n", "human line 3\n");
    repo.write("src/new.rs", edited);
    let human = repo.commit("rename and fix line 3");

    let (range, attribution) = run(&repo, &base, &[&ai]);
    let ours = owners(&range, &attribution, "src/new.rs");
    assert_eq!(ours, repo.blame(&base, "HEAD", "src/new.rs", &[]));
    assert_eq!(ours[2].as_deref(), Some(human.as_str()));
    assert_eq!(ours.iter().filter(|o| o.as_deref() == Some(ai.as_str())).count(), 11);
    assert!(
        attribution.files.iter().all(|f| f.path != "src/old.rs"),
        "the old path is gone at head"
    );
}

#[test]
fn human_rewriting_two_ai_lines_is_one_correction() {
    let mut repo = TempRepo::new();
    repo.write("lib.rs", "// lib\n");
    let base = repo.commit("base");
    let function = "fn parse(input: &str) -> u32 {\n    let trimmed = input.trim();\n    let value = trimmed.parse().unwrap();\n    println!(\"parsed {value}\");\n    value\n}\n";
    repo.write("lib.rs", format!("// lib\n{function}"));
    let ai = repo.commit_as(
        "feat: parse\n\nCo-Authored-By: Claude Sonnet 4.5 <noreply@anthropic.com>",
        None,
    );
    let fixed = function.replace(
        "    let value = trimmed.parse().unwrap();\n    println!(\"parsed {value}\");\n",
        "    let value = trimmed.parse().unwrap_or(0);\n    tracing::debug!(value, \"parsed\");\n",
    );
    repo.write("lib.rs", format!("// lib\n{fixed}"));
    let fix = repo.commit_as(
        "fix: no unwrap, no println",
        Some(("Rita Reviewer", "rita@example.com")),
    );

    let (range, attribution) = run(&repo, &base, &[&ai]);
    let found = corrections(&provenance(&range, &[&ai]), &attribution.rewrites);
    assert_eq!(found.len(), 1, "{found:#?}");
    let c = &found[0];
    assert_eq!(
        (c.path.as_str(), c.ai_commit.as_str(), c.fix_commit.as_str()),
        ("lib.rs", ai.as_str(), fix.as_str())
    );
    assert_eq!(
        c.before,
        "    let value = trimmed.parse().unwrap();\n    println!(\"parsed {value}\");\n"
    );
    assert_eq!(
        c.after,
        "    let value = trimmed.parse().unwrap_or(0);\n    tracing::debug!(value, \"parsed\");\n"
    );
    assert_eq!(c.before_lines, [4, 5]);
    assert_eq!(c.after_lines, [4, 5]);
    assert_eq!(
        c.fix_author,
        Identity {
            name: "Rita Reviewer".into(),
            email: "rita@example.com".into()
        }
    );
    assert_eq!(c.tool.as_deref(), Some("Claude Code"));
}

#[test]
fn before_lines_are_in_the_ai_commits_version_and_deletions_have_empty_after() {
    let mut repo = TempRepo::new();
    repo.write("f.py", "import os\n");
    let base = repo.commit("base");
    repo.write("f.py", "import os\nai 1\nai 2\nai 3\n");
    let ai = repo.commit("ai");
    // A human inserts above (no correction), then deletes the AI's second line.
    repo.write("f.py", "# header\n# more\nimport os\nai 1\nai 2\nai 3\n");
    repo.commit("human header");
    repo.write("f.py", "# header\n# more\nimport os\nai 1\nai 3\n");
    let fix = repo.commit("drop ai 2");

    let (range, attribution) = run(&repo, &base, &[&ai]);
    let found = corrections(&provenance(&range, &[&ai]), &attribution.rewrites);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].fix_commit, fix);
    assert_eq!(found[0].before, "ai 2\n");
    assert_eq!(
        found[0].before_lines,
        [3, 3],
        "line 3 of the AI commit's version, not 5 of the parent's"
    );
    assert_eq!((found[0].after.as_str(), found[0].after_lines), ("", [5, 4]));
}

#[test]
fn additions_elsewhere_and_ai_fixing_ai_are_not_corrections() {
    let mut repo = TempRepo::new();
    repo.write("f.rs", "fn main() {}\n");
    let base = repo.commit("base");
    repo.write("f.rs", "fn main() {}\nfn ai_one() {}\nfn ai_two() {}\n");
    let ai1 = repo.commit("ai one");
    repo.write("f.rs", "fn main() {}\nfn ai_one() { fixed() }\nfn ai_two() {}\n");
    let ai2 = repo.commit("ai fixes ai");
    repo.write(
        "f.rs",
        "// human note\nfn main() {}\nfn ai_one() { fixed() }\nfn ai_two() {}\nfn human() {}\n",
    );
    repo.commit("human adds elsewhere");

    let (range, attribution) = run(&repo, &base, &[&ai1, &ai2]);
    let found = corrections(&provenance(&range, &[&ai1, &ai2]), &attribution.rewrites);
    assert!(found.is_empty(), "{found:#?}");
    // The lines are still the AIs': ai_two from ai1, ai_one's fix from ai2.
    let ours = owners(&range, &attribution, "f.rs");
    assert_eq!(ours[2].as_deref(), Some(ai2.as_str()));
    assert_eq!(ours[3].as_deref(), Some(ai1.as_str()));
}

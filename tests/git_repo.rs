//! Repository access on real repositories: revisions, the range walk and its default base, diffs with hunks
//! (renames, deletions, binary, symlinks, submodules, CRLF, non-UTF-8 paths), blobs, and the errors.

#[path = "git_fixture/mod.rs"]
mod fixture;

use aigate::git::{BaseChoice, ChangeStatus, EntryKind, GitError, Hunk, Repo};
use fixture::TempRepo;

fn linear(n: usize) -> (TempRepo, Vec<String>) {
    let mut repo = TempRepo::new();
    let shas = (0..n)
        .map(|i| {
            repo.write("f.txt", (0..=i).map(|l| format!("line {l}\n")).collect::<String>());
            repo.commit(&format!("commit {i}"))
        })
        .collect();
    (repo, shas)
}

#[test]
fn revisions_resolve_like_git() {
    let (repo, shas) = linear(4);
    repo.git(&["tag", "-a", "v1", "-m", "release", &shas[1]]);
    repo.git(&["branch", "topic", &shas[2]]);
    let git = repo.open();
    for (rev, expected) in [
        ("HEAD", &shas[3]),
        ("HEAD~3", &shas[0]),
        ("v1", &shas[1]),
        ("topic", &shas[2]),
        (&shas[2][..8], &shas[2]),
        (shas[0].as_str(), &shas[0]),
    ] {
        assert_eq!(git.resolve(rev).expect(rev).to_string(), *expected, "{rev}");
    }
    // A remote-tracking branch, as in CI checkouts.
    let clone = tempfile::tempdir().expect("tmp");
    let status = std::process::Command::new("git")
        .args([
            "clone",
            "-q",
            &repo.path().display().to_string(),
            &clone.path().display().to_string(),
        ])
        .status()
        .expect("clone");
    assert!(status.success());
    let cloned = Repo::discover(clone.path()).expect("open clone");
    assert_eq!(cloned.resolve("origin/main").expect("origin/main").to_string(), shas[3]);
}

#[test]
fn unknown_revisions_and_non_repositories_are_named() {
    let (repo, _) = linear(1);
    let err = repo.open().resolve("no-such-branch").expect_err("unknown");
    assert!(
        matches!(&err, GitError::UnknownRevision { rev, .. } if rev == "no-such-branch"),
        "{err}"
    );
    let empty = tempfile::tempdir().expect("tmp");
    let err = Repo::discover(empty.path()).err().expect("not a repo");
    assert!(matches!(err, GitError::NotARepository { .. }));
    assert!(err.to_string().contains("--repo"), "{err}");
}

#[test]
fn walk_is_parents_first_and_excludes_the_base() {
    let (repo, shas) = linear(5);
    let git = repo.open();
    let range = git.range(Some(&shas[1]), "HEAD").expect("range");
    let walked: Vec<String> = range.commits.iter().map(|c| c.id.to_string()).collect();
    assert_eq!(walked, shas[2..].to_vec());
    assert_eq!(range.base_choice, BaseChoice::Given(shas[1].clone()));
}

#[test]
fn default_base_is_the_merge_base_with_the_default_branch() {
    let (mut repo, shas) = linear(3);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("g.txt", "new\n");
    let f1 = repo.commit("feature 1");
    repo.write("g.txt", "new\nmore\n");
    let f2 = repo.commit("feature 2");
    let git = repo.open();
    let range = git.range(None, "HEAD").expect("range");
    assert_eq!(range.base.map(|b| b.to_string()), Some(shas[2].clone()));
    assert_eq!(range.base_choice, BaseChoice::MergeBase("main".into()));
    assert_eq!(
        range.commits.iter().map(|c| c.id.to_string()).collect::<Vec<_>>(),
        vec![f1, f2.clone()]
    );

    // On the default branch itself the change is the last commit.
    repo.git(&["checkout", "-q", "main"]);
    let range = repo.open().range(None, "HEAD").expect("range");
    assert_eq!(range.base_choice, BaseChoice::Parent);
    assert_eq!(range.commits.len(), 1);
    assert_eq!(range.commits[0].id.to_string(), shas[2]);
}

#[test]
fn a_lone_root_commit_is_the_whole_history() {
    let (repo, shas) = linear(1);
    let range = repo.open().range(None, "HEAD").expect("range");
    assert_eq!(range.base, None);
    assert_eq!(range.base_choice, BaseChoice::Root);
    assert_eq!(range.commits.len(), 1);
    assert_eq!(range.commits[0].id.to_string(), shas[0]);
}

#[test]
fn unrelated_histories_are_an_error() {
    let (mut repo, _) = linear(2);
    repo.git(&["checkout", "-q", "--orphan", "other"]);
    repo.write("other.txt", "x\n");
    repo.commit("unrelated root");
    let err = repo.open().range(Some("main"), "other").expect_err("no common history");
    assert!(matches!(err, GitError::NoCommonHistory { .. }), "{err}");
}

#[test]
fn shallow_clones_missing_the_base_say_fetch_depth() {
    let (repo, _) = linear(4);
    let clone = tempfile::tempdir().expect("tmp");
    let url = format!("file://{}", repo.path().display());
    let status = std::process::Command::new("git")
        .args(["clone", "-q", "--depth", "1", &url, &clone.path().display().to_string()])
        .status()
        .expect("clone");
    assert!(status.success());
    let git = Repo::discover(clone.path()).expect("open");
    assert!(git.is_shallow());
    for base in [Some("HEAD~2"), None] {
        let err = git.range(base, "HEAD").expect_err("shallow");
        assert!(matches!(err, GitError::Shallow { .. }), "{base:?}: {err}");
        assert!(err.to_string().contains("fetch-depth: 0"), "{err}");
    }
}

#[test]
fn shallow_clones_holding_the_whole_change_are_fine() {
    let (repo, shas) = linear(6);
    let clone = tempfile::tempdir().expect("tmp");
    let url = format!("file://{}", repo.path().display());
    let status = std::process::Command::new("git")
        .args(["clone", "-q", "--depth", "3", &url, &clone.path().display().to_string()])
        .status()
        .expect("clone");
    assert!(status.success());
    let git = Repo::discover(clone.path()).expect("open");
    assert!(git.is_shallow());
    let range = git
        .range(Some("HEAD~1"), "HEAD")
        .expect("the change is within the fetched depth");
    assert_eq!(
        range.commits.iter().map(|c| c.id.to_string()).collect::<Vec<_>>(),
        vec![shas[5].clone()]
    );
    // Reaching the cut is an error, never a silently shorter change.
    let err = git.range(Some(&shas[1]), "HEAD").expect_err("base beyond the cut");
    assert!(matches!(err, GitError::Shallow { .. }), "{err}");
}

#[test]
fn diffs_report_renames_deletions_readds_binary_symlinks_crlf() {
    let mut repo = TempRepo::new();
    let body: String = (0..20).map(|i| format!("shared line {i}\n")).collect();
    repo.write("old/name.rs", &body);
    repo.write("gone.txt", "bye\n");
    repo.write("crlf.txt", "one\r\ntwo\r\n");
    repo.commit("base");
    std::fs::create_dir(repo.path().join("new")).expect("mkdir");
    repo.git(&["mv", "old/name.rs", "new/name.rs"]);
    repo.remove("gone.txt");
    repo.write("image.png", b"\x89PNG\r\n\x1a\n\0\0\0IHDR");
    std::os::unix::fs::symlink("new/name.rs", repo.path().join("link")).expect("symlink");
    repo.write("crlf.txt", "one\r\nTWO\r\n");
    repo.commit("rename, delete, binary, symlink, crlf");
    let git = repo.open();
    let head = git.commit(git.resolve("HEAD").expect("head")).expect("commit");
    let changes = git.diff_commit(&head).expect("diff");
    let by_path = |p: &str| {
        changes
            .iter()
            .find(|c| c.change.display_path() == p)
            .unwrap_or_else(|| panic!("{p}: {changes:#?}"))
    };

    let renamed = by_path("new/name.rs");
    assert_eq!(renamed.change.status, ChangeStatus::Renamed);
    assert_eq!(
        renamed.change.old_path.as_ref().map(|p| p.to_string()).as_deref(),
        Some("old/name.rs")
    );
    assert!(renamed.hunks.is_empty());
    assert_eq!(by_path("gone.txt").change.status, ChangeStatus::Deleted);
    assert_eq!(by_path("gone.txt").hunks, vec![Hunk { old: 0..1, new: 0..0 }]);
    let png = by_path("image.png");
    assert!(png.binary && png.hunks.is_empty());
    let link = by_path("link");
    assert_eq!(link.change.new_kind, Some(EntryKind::Symlink));
    assert_eq!(
        link.hunks,
        vec![Hunk { old: 0..0, new: 0..1 }],
        "the target is one line of text"
    );
    assert_eq!(
        git.blob_at("HEAD", "link").expect("blob").as_deref(),
        Some(b"new/name.rs".as_slice())
    );
    // CRLF: lines split on \n, the \r stays in the line, so only line 2 changed.
    assert_eq!(by_path("crlf.txt").hunks, vec![Hunk { old: 1..2, new: 1..2 }]);
    assert_eq!(
        git.blob_at("HEAD~1", "gone.txt").expect("blob").as_deref(),
        Some(b"bye\n".as_slice())
    );
    assert_eq!(git.blob_at("HEAD", "gone.txt").expect("blob"), None);
}

#[test]
fn deleted_then_readded_files_are_additions() {
    let mut repo = TempRepo::new();
    repo.write("f.txt", "first life\n");
    repo.commit("add");
    repo.remove("f.txt");
    repo.commit("delete");
    repo.write("f.txt", "second life\n");
    repo.commit("re-add");
    let git = repo.open();
    let head = git.commit(git.resolve("HEAD").expect("head")).expect("commit");
    let changes = git.diff_commit(&head).expect("diff");
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].change.status, ChangeStatus::Added);
    assert_eq!(changes[0].hunks, vec![Hunk { old: 0..0, new: 0..1 }]);
}

#[test]
fn submodules_are_changed_without_content() {
    let (sub, _) = linear(1);
    let mut repo = TempRepo::new();
    repo.write("README", "x\n");
    repo.commit("base");
    let url = format!("file://{}", sub.path().display());
    repo.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        &url,
        "vendor/sub",
    ]);
    repo.commit("add submodule");
    let git = repo.open();
    let head = git.commit(git.resolve("HEAD").expect("head")).expect("commit");
    let changes = git.diff_commit(&head).expect("diff");
    let module = changes
        .iter()
        .find(|c| c.change.display_path() == "vendor/sub")
        .expect("submodule change");
    assert_eq!(module.change.new_kind, Some(EntryKind::Submodule));
    assert!(module.hunks.is_empty() && !module.binary);
    assert_eq!(git.blob_at("HEAD", "vendor/sub").expect("lookup"), None);
}

#[test]
fn non_utf8_paths_and_messages_never_crash() {
    use std::os::unix::ffi::OsStrExt;
    let mut repo = TempRepo::new();
    repo.write("README", "x\n");
    repo.commit("base");
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    std::fs::write(repo.path().join(name), "hello\n").expect("write");
    repo.git(&["add", "-A"]);
    let msg = repo.path().join("msg");
    std::fs::write(&msg, b"caf\xe9: latin-1 subject\n").expect("msg");
    repo.git(&[
        "-c",
        "i18n.commitEncoding=ISO-8859-1",
        "commit",
        "-q",
        "-F",
        &msg.display().to_string(),
    ]);
    let git = repo.open();
    let head = git.commit(git.resolve("HEAD").expect("head")).expect("commit");
    assert_eq!(
        head.message, "café: latin-1 subject\n",
        "decoded by its encoding header"
    );
    let changes = git.diff_commit(&head).expect("diff");
    assert_eq!(changes[0].change.display_path(), "caf\u{fffd}.txt");
    assert_eq!(
        changes[0].change.new_path.as_deref().map(|p| p.to_vec()),
        Some(b"caf\xe9.txt".to_vec())
    );
}

//! The installers of the shipped integrations (action/install.sh, and the install script of the GitLab
//! template and component) against a fake release served from `file://` URLs, with a fake `cargo` on
//! PATH that records how it was called: a pinned checksum that matches installs the release binary, a
//! mismatch or a failed download fails without building anything, and only an unpinned version is built.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

const TARGET: &str = "x86_64-unknown-linux-gnu";
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).canonicalize().unwrap()
}

fn write_script(path: &Path, body: &str) {
    std::fs::write(path, body).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A release directory laid out as GitHub serves one (`<base>/v<version>/<asset>`), a checksum list, a
/// fake cargo and the directory aigate is to be installed into.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let fixture = Fixture {
            dir: tempfile::tempdir().unwrap(),
        };
        let fake = fixture.path("fake-bin");
        std::fs::create_dir_all(&fake).unwrap();
        // Records its working directory and arguments, one a line, then installs a stand-in under --root.
        write_script(
            &fake.join("cargo"),
            "#!/bin/sh\n\
             { pwd; printf '%s\\n' \"$@\"; } > \"$FAKE_CARGO_LOG\"\n\
             root=\n\
             while [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=\"$2\"; shift; done\n\
             [ -n \"$root\" ] || exit 3\n\
             mkdir -p \"$root/bin\"\n\
             printf '#!/bin/sh\\necho aigate built by fake cargo\\n' > \"$root/bin/aigate\"\n\
             chmod +x \"$root/bin/aigate\"\n",
        );
        // An aigate already on PATH (an image that ships an old one): an installer that fails must not
        // go on with it, and one that succeeds must put its own first.
        write_script(&fake.join("aigate"), "#!/bin/sh\necho aigate decoy already on PATH\n");
        fixture
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn asset(version: &str, target: &str) -> String {
        format!("aigate-v{version}-{target}.tar.gz")
    }

    /// Publishes `aigate-v<version>-<target>.tar.gz` holding `aigate-v<version>-<target>/aigate`; returns
    /// its sha256.
    fn publish(&self, version: &str, target: &str) -> String {
        let name = format!("aigate-v{version}-{target}");
        let staging = self.path(&format!("staging/{name}"));
        std::fs::create_dir_all(&staging).unwrap();
        write_script(
            &staging.join("aigate"),
            &format!("#!/bin/sh\necho aigate {version} from the fake release\n"),
        );
        let release = self.path(&format!("release/v{version}"));
        std::fs::create_dir_all(&release).unwrap();
        let archive = release.join(format!("{name}.tar.gz"));
        let status = Command::new("tar")
            .arg("-czf")
            .arg(&archive)
            .arg("-C")
            .arg(self.path("staging"))
            .arg(&name)
            .status()
            .expect("tar runs");
        assert!(status.success());
        hex::encode(Sha256::digest(std::fs::read(&archive).unwrap()))
    }

    fn base_url(&self) -> String {
        format!("file://{}", self.path("release").display())
    }

    fn write_pins(&self, lines: &[(String, String)]) -> PathBuf {
        let path = self.path("checksums.sha256");
        let mut text = String::from("# pinned by the test\n");
        for (sum, asset) in lines {
            text.push_str(&format!("{sum}  {asset}\n"));
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    fn bin(&self) -> PathBuf {
        self.path("bin")
    }

    fn installed(&self) -> PathBuf {
        self.bin().join("aigate")
    }

    fn cargo_log(&self) -> PathBuf {
        self.path("cargo.log")
    }

    /// The cargo invocation, if any: (working directory, arguments).
    fn cargo_call(&self) -> Option<(PathBuf, Vec<String>)> {
        let log = std::fs::read_to_string(self.cargo_log()).ok()?;
        let mut lines = log.lines().map(str::to_owned);
        let cwd = PathBuf::from(lines.next()?).canonicalize().unwrap();
        Some((cwd, lines.collect()))
    }

    /// A hermetic environment: the fake cargo first on PATH, nothing of the caller's AIGATE_* or GitHub
    /// variables.
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        let path = format!(
            "{}:{}",
            self.path("fake-bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        // Not the repository: the scripts must find their files themselves.
        cmd.current_dir(self.dir.path())
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.dir.path())
            .env("TMPDIR", self.dir.path())
            .env("FAKE_CARGO_LOG", self.cargo_log());
        cmd
    }

    /// Runs action/install.sh.
    fn install(&self, version: &str, target: Option<&str>, pins: &Path) -> Output {
        let mut cmd = self.command("bash");
        cmd.arg(repo().join("action/install.sh"))
            .env("AIGATE_VERSION", version)
            .env("AIGATE_RELEASE_BASE_URL", self.base_url())
            .env("AIGATE_CHECKSUMS_FILE", pins)
            .env("AIGATE_BIN_DIR", self.bin())
            .env("GITHUB_PATH", self.path("github_path"));
        if let Some(target) = target {
            cmd.env("AIGATE_TARGET", target);
        }
        cmd.output().expect("bash runs")
    }

    /// Runs the install script of the GitLab template (the first item of the job's `script`).
    fn gitlab_install(&self, version: &str, sums: &str) -> Output {
        let template: serde_json::Value =
            serde_saphyr::from_str(&std::fs::read_to_string(repo().join("ci-templates/aigate.gitlab-ci.yml")).unwrap())
                .unwrap();
        let script = template["aigate"]["script"][0]
            .as_str()
            .expect("an install script")
            .to_owned();
        self.command("sh")
            .arg("-c")
            .arg(script)
            .env("AIGATE_VERSION", version)
            .env("AIGATE_SHA256SUMS", sums)
            .env("AIGATE_RELEASE_BASE_URL", self.base_url())
            .env("AIGATE_BIN_DIR", self.bin())
            .env("AIGATE_TARGET", TARGET)
            .output()
            .expect("sh runs")
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn run_installed(path: &Path) -> String {
    let out = Command::new(path)
        .arg("--version")
        .output()
        .expect("the installed aigate runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn assert_executable(path: &Path) {
    let mode = std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{} not installed: {e}", path.display()))
        .permissions()
        .mode();
    assert!(mode & 0o111 != 0, "{} is not executable ({mode:o})", path.display());
}

// ---------------------------------------------------------------- action/install.sh

#[test]
fn pinned_and_matching_installs_the_release_binary() {
    let f = Fixture::new();
    let sum = f.publish(VERSION, TARGET);
    let pins = f.write_pins(&[(sum.clone(), Fixture::asset(VERSION, TARGET))]);
    let out = f.install(VERSION, Some(TARGET), &pins);
    assert!(out.status.success(), "install failed:\n{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("checksum verified: {sum}")),
        "{}",
        stderr(&out)
    );
    assert_executable(&f.installed());
    assert!(run_installed(&f.installed()).contains("from the fake release"));
    let github_path = std::fs::read_to_string(f.path("github_path")).unwrap();
    assert_eq!(
        github_path,
        format!("{}\n", f.bin().display()),
        "the bin dir goes on GITHUB_PATH"
    );
    assert!(f.cargo_call().is_none(), "a pinned release is never built");
}

#[test]
fn pinned_but_mismatching_fails_and_installs_nothing() {
    let f = Fixture::new();
    let sum = f.publish(VERSION, TARGET);
    let tampered = hex::encode(Sha256::digest(b"what the release was when it was pinned"));
    assert_ne!(sum, tampered);
    let pins = f.write_pins(&[(tampered.clone(), Fixture::asset(VERSION, TARGET))]);
    let out = f.install(VERSION, Some(TARGET), &pins);
    assert!(!out.status.success(), "a checksum mismatch must fail");
    let err = stderr(&out);
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(
        err.contains(&tampered) && err.contains(&sum),
        "names both checksums: {err}"
    );
    assert!(!f.installed().exists(), "nothing installed on a mismatch");
    assert!(f.cargo_call().is_none(), "a mismatch never falls back to a build");
    assert!(!f.path("github_path").exists());
}

#[test]
fn pinned_but_not_downloadable_fails_without_a_build() {
    let f = Fixture::new();
    // Pinned, but the release has no such asset.
    let pins = f.write_pins(&[("ab".repeat(32), Fixture::asset(VERSION, TARGET))]);
    let out = f.install(VERSION, Some(TARGET), &pins);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("could not download"), "{}", stderr(&out));
    assert!(!f.installed().exists());
    assert!(f.cargo_call().is_none(), "a pinned version is never built instead");
}

#[test]
fn unpinned_builds_the_actions_own_source_with_cargo() {
    let f = Fixture::new();
    f.publish(VERSION, TARGET); // published but not pinned: not trusted
    let pins = f.write_pins(&[]);
    let out = f.install(VERSION, Some(TARGET), &pins);
    assert!(out.status.success(), "install failed:\n{}", stderr(&out));
    assert!(stderr(&out).contains("no pinned checksum"), "{}", stderr(&out));
    let (cwd, args) = f.cargo_call().expect("cargo was called");
    let root = repo();
    let source = root.display().to_string();
    assert_eq!(
        args[..4],
        ["install", "--locked", "--path", source.as_str()],
        "cargo {args:?}"
    );
    assert_eq!(args[4], "--root");
    assert_eq!(cwd, root, "cargo runs in the source, under its rust-toolchain.toml");
    assert_executable(&f.installed());
    assert!(run_installed(&f.installed()).contains("built by fake cargo"));
}

#[test]
fn a_pin_for_another_target_does_not_apply() {
    let f = Fixture::new();
    let other = "aarch64-unknown-linux-gnu";
    let sum = f.publish(VERSION, other);
    let pins = f.write_pins(&[(sum, Fixture::asset(VERSION, other))]);
    let out = f.install(VERSION, Some(TARGET), &pins);
    assert!(out.status.success(), "install failed:\n{}", stderr(&out));
    assert!(f.cargo_call().is_some(), "{TARGET} is not pinned: built");
}

#[test]
fn unpinned_other_version_is_refused_not_built() {
    let f = Fixture::new();
    let pins = f.write_pins(&[]);
    let out = f.install("99.0.0", Some(TARGET), &pins);
    assert!(!out.status.success(), "the action's source is not 99.0.0");
    assert!(stderr(&out).contains("not 99.0.0"), "{}", stderr(&out));
    assert!(f.cargo_call().is_none());
    assert!(!f.installed().exists());
}

#[test]
fn a_version_that_is_not_a_release_is_refused() {
    let f = Fixture::new();
    let pins = f.write_pins(&[]);
    for bad in ["", "main", "0.1.0/../../x", "1.2.3; id"] {
        let out = f.install(bad, Some(TARGET), &pins);
        assert!(!out.status.success(), "version {bad:?} accepted");
        assert!(stderr(&out).contains("is not a release version"), "{}", stderr(&out));
    }
    assert!(f.cargo_call().is_none());
}

#[test]
fn a_leading_v_is_accepted() {
    let f = Fixture::new();
    let sum = f.publish(VERSION, TARGET);
    let pins = f.write_pins(&[(sum, Fixture::asset(VERSION, TARGET))]);
    let out = f.install(&format!("v{VERSION}"), Some(TARGET), &pins);
    assert!(out.status.success(), "install failed:\n{}", stderr(&out));
    assert_executable(&f.installed());
}

#[test]
fn detects_this_machines_target() {
    let expected = match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => Some("x86_64-unknown-linux-gnu"),
        ("linux", "aarch64") => Some("aarch64-unknown-linux-gnu"),
        ("macos", "x86_64") => Some("x86_64-apple-darwin"),
        ("macos", "aarch64") => Some("aarch64-apple-darwin"),
        _ => None,
    };
    let f = Fixture::new();
    let pins = f.write_pins(&[]);
    let out = f.install(VERSION, None, &pins);
    assert!(out.status.success(), "install failed:\n{}", stderr(&out));
    let wanted = match expected {
        Some(target) => Fixture::asset(VERSION, target),
        None => "this platform".to_owned(),
    };
    assert!(
        stderr(&out).contains(&format!("no pinned checksum for {wanted} ")),
        "{}",
        stderr(&out)
    );
}

// ---------------------------------------------------------------- the GitLab template's installer

#[test]
fn gitlab_pinned_and_matching_installs_the_release_binary() {
    let f = Fixture::new();
    let sum = f.publish(VERSION, TARGET);
    let out = f.gitlab_install(VERSION, &format!("{sum}  {}\n", Fixture::asset(VERSION, TARGET)));
    assert!(out.status.success(), "install failed:\n{}", stderr(&out));
    assert_executable(&f.installed());
    // The script puts the bin dir on PATH and runs `aigate --version`.
    assert!(String::from_utf8_lossy(&out.stdout).contains("from the fake release"));
    assert!(f.cargo_call().is_none());
}

#[test]
fn gitlab_mismatch_fails_and_installs_nothing() {
    let f = Fixture::new();
    f.publish(VERSION, TARGET);
    let out = f.gitlab_install(
        VERSION,
        &format!("{}  {}\n", "0".repeat(64), Fixture::asset(VERSION, TARGET)),
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("checksum mismatch"), "{}", stderr(&out));
    assert!(!f.installed().exists());
    assert!(f.cargo_call().is_none(), "a mismatch never falls back to a build");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("decoy"),
        "stops before running an aigate"
    );
}

#[test]
fn gitlab_unpinned_builds_the_release_tag_with_cargo() {
    let f = Fixture::new();
    let out = f.gitlab_install(VERSION, "");
    assert!(out.status.success(), "install failed:\n{}", stderr(&out));
    let (_, args) = f.cargo_call().expect("cargo was called");
    assert_eq!(args[..2], ["install", "--locked"], "cargo {args:?}");
    let tag = format!("v{VERSION}");
    assert_eq!(
        args[4..],
        [
            "--git",
            "https://github.com/aigate-dev/aigate",
            "--tag",
            tag.as_str(),
            "aigate"
        ],
        "cargo {args:?}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("built by fake cargo"));
}

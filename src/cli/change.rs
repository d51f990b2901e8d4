//! The flags that name a change, shared by `check` and `trace`.

use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct ChangeArgs {
    /// The repository (or any directory inside it).
    #[arg(long, value_name = "PATH", default_value = ".")]
    pub repo: PathBuf,
    /// Where the change starts (excluded): a sha, branch, tag or `HEAD~N`. Default: the merge-base
    /// with the default branch, else the parent of --head (`check` in CI: the change's base from the
    /// CI environment).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Where the change ends (included). Default: HEAD (`check` in CI: the change's head from the CI
    /// environment).
    #[arg(long, value_name = "REV")]
    pub head: Option<String>,
    /// An organisation's AI-signature file, added to the built-in catalogue (repeatable; the
    /// environment variable names one file).
    #[arg(long = "signatures", value_name = "FILE", env = "AIGATE_SIGNATURES")]
    pub signatures: Vec<PathBuf>,
}

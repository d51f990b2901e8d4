//! The flags that name a change, shared by `check` and `trace`.

use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct ChangeArgs {
    /// The repository (or any directory inside it).
    #[arg(long, value_name = "PATH", default_value = ".")]
    pub repo: PathBuf,
    /// Where the change starts (excluded): a sha, branch, tag or `HEAD~N`. Default: the merge-base
    /// with the default branch, else the parent of --head.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Where the change ends (included).
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    pub head: String,
    /// An organisation's AI-signature file, added to the built-in catalogue (repeatable; the
    /// environment variable names one file).
    #[arg(long = "signatures", value_name = "FILE", env = "AIGATE_SIGNATURES")]
    pub signatures: Vec<PathBuf>,
}

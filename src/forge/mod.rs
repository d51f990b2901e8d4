//! The forge side of a run: where it runs (the CI environment that names the change), what it
//! hands back to the CI system (job summary, step outputs), and what it posts through the forge
//! APIs (check runs, commit statuses, PR/MR summaries, SARIF uploads).

pub mod actions;
pub mod env;
pub mod error;
pub mod github;
pub mod gitlab;
pub mod publish;
pub mod retry;

pub use env::{Context, ContextError, Forge, Source, detect};
pub use error::ForgeError;
pub use publish::{Posted, PublishOptions, Publisher};

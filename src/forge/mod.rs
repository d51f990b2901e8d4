//! The forge side of a run: where it runs (the CI environment that names the change) and what it
//! hands back to the CI system (job summary, step outputs). The forge API clients (check runs,
//! commit statuses, PR/MR comments) build on [`env::Context`].

pub mod actions;
pub mod env;

pub use env::{Context, ContextError, Forge, Source, detect};

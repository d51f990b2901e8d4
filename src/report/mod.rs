//! Reporters: turn a [`crate::gate::model::GateReport`] into SARIF, GitLab Code Quality,
//! terminal diagnostics, Markdown and GitHub workflow commands. Pure functions of the report.

pub mod checkrun;
pub mod codequality;
pub mod github;
pub mod markdown;
pub mod sarif;
pub mod terminal;

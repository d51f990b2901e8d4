//! The invariant engine: parse each file once, run every applicable invariant, and produce
//! findings with waivers applied. Knows nothing of git, forges or reporters.

pub mod diff;
pub mod finding;
pub mod imports;
pub mod lang;
pub mod paths;
pub mod pattern;
pub mod prefilter;
pub mod query;
pub mod runner;
pub mod rust;
pub mod source;
pub mod waiver;
pub mod walk;

pub use finding::{Finding, Fix, Waived};
pub use runner::{Engine, EngineOptions, FileOutcome};

//! aigate: governance for AI-written code.
//!
//! The library follows the data flow of `aigate check` (see `DESIGN.md` in the shared design):
//! git → provenance → policy → engine → gate → report → forge/ledger. Each module does one
//! stage and passes plain serde data to the next; the binary (`src/main.rs`) is a thin edge.

pub mod engine;
pub mod forge;
pub mod gate;
pub mod git;
pub mod ledger;
pub mod net;
pub mod policy;
pub mod provenance;
pub mod report;

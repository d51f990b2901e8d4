//! The gate: the composition behind `aigate check`. Policy layering, scope and verdict live
//! here; each stage it calls (git, provenance, engine) stays ignorant of the others.

pub mod config;
pub mod layering;
pub mod model;
pub mod policy_input;
pub mod run;
pub mod scope;

//! The gate: scope and verdict, the composition behind `aigate check`.

pub mod config;
pub mod layering;
pub mod model;

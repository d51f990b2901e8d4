//! The gate: scope and verdict, the composition behind `aigate check`.

pub mod model;

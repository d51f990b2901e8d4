//! The invariant engine: parse each file once, run every applicable invariant, and produce
//! findings with waivers applied. Knows nothing of git, forges or reporters.

pub mod diff;
pub mod imports;
pub mod lang;
pub mod paths;
pub mod rust;
pub mod source;

//! The invariant engine: parse each file once, run every applicable invariant, and produce
//! findings with waivers applied. Knows nothing of git, forges or reporters.

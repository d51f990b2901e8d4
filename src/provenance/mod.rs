//! Provenance: which commits of a change an AI tool wrote (trailers, identities, markers from the
//! signature catalogue), which lines at head they wrote, and which of those a human corrected.

pub mod attribution;
pub mod corrections;
pub mod model;
pub mod signatures;
pub mod trace;
pub mod trailers;

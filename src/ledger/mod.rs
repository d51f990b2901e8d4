//! The ledger: the central, append-only, tamper-evident store of gate runs, corrections and
//! waivers, and the client the gate uses to report to it.
//!
//! - [`server`]: `aigate ledger serve`, an axum HTTP service with a JSON API under `/v1` and
//!   bearer tokens with roles. It speaks plain HTTP: put TLS in a reverse proxy or load balancer
//!   in front of it (the replicas are stateless, so any number can sit behind one).
//! - [`store`]: SQLite (a file, the embedded default) or PostgreSQL (a fleet of replicas). The
//!   schema (tables `entries`, `chain_head`, `tokens`, `schema_migrations`) is created and
//!   migrated at start; give the ledger its own database or schema
//!   (`postgres://…/db?options=-c%20search_path%3Dledger`).
//! - [`chain`]: the hash chain that `aigate ledger verify` checks.
//! - [`fingerprint`]: the structural fingerprint that groups the same correction across repos.
//! - [`client`] and [`spool`]: post runs and corrections idempotently; spool them to disk when
//!   the ledger is unreachable and send them later, so that nothing is lost.

pub mod chain;
pub mod client;
pub mod fingerprint;
pub mod model;
pub mod server;
pub mod spool;
pub mod store;
pub mod token;

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// The default database of `aigate ledger serve` and friends.
pub const DEFAULT_DATABASE: &str = "sqlite://aigate-ledger.db";
/// The default listen address of `aigate ledger serve`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7878";

/// One fixed-width UTC format, so that timestamps compare as text in both databases.
const TIMESTAMP: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Now, in the ledger's timestamp format.
pub fn now() -> String {
    format_time(OffsetDateTime::now_utc())
}

fn format_time(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(TIMESTAMP)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Parses an RFC 3339 time (any offset) into the ledger's timestamp format.
pub fn normalise_time(text: &str) -> Result<String, String> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(format_time)
        .map_err(|e| format!("`{text}` is not an RFC 3339 time ({e}): write e.g. 2026-01-31T12:00:00Z"))
}

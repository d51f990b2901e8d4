//! Bearer tokens: 256 random bits shown once; the ledger stores only their SHA-256.

use sha2::{Digest, Sha256};

/// A new random token, `aig_` and 64 hex digits.
pub fn generate() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("aig_{}", hex::encode(bytes)))
}

/// What the ledger stores and looks tokens up by.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

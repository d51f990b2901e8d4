//! Why a forge call did not happen. Posting is best effort: the caller logs these and the verdict
//! stands (the job's exit code still blocks the merge).

/// A forge request that failed for good, or a setup that cannot post at all.
#[derive(Debug, thiserror::Error)]
pub enum ForgeError {
    #[error("{forge} answered {status} to {method} {path}: {message}")]
    Api {
        forge: &'static str,
        method: String,
        path: String,
        status: u16,
        message: String,
    },
    #[error("cannot reach {forge} ({method} {path}) after {attempts} attempt(s): {reason}")]
    Unreachable {
        forge: &'static str,
        method: String,
        path: String,
        attempts: u32,
        reason: String,
    },
    #[error("cannot set up the {forge} client: {reason}")]
    Setup { forge: &'static str, reason: String },
    #[error(
        "the SARIF report is {bytes} bytes gzipped, over GitHub code scanning's limit of {limit} bytes; \
         it was not uploaded (narrow the scan with --scope, or split the policy)"
    )]
    SarifTooLarge { bytes: usize, limit: usize },
}

impl ForgeError {
    /// A permission problem (read-only or missing token, not found): retrying or posting anything
    /// else with the same token fails the same way.
    pub fn is_permission(&self) -> bool {
        matches!(
            self,
            ForgeError::Api {
                status: 401 | 403 | 404,
                ..
            }
        )
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ForgeError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

//! When to try a forge request again, and how long to wait: bounded attempts with exponential
//! backoff on transport errors, 5xx and 429, and GitHub's rate limits (`retry-after`,
//! `x-ratelimit-reset`, or a minute for a secondary limit that names no time), within a total wait
//! budget so a CI job never hangs on a forge outage.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, StatusCode};

/// How long connecting to a forge may take before the attempt counts as failed.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Requests in all, the first included.
    pub attempts: u32,
    /// The wait before the second attempt; doubled for each further one.
    pub first_backoff: Duration,
    /// A server-named wait longer than this is not waited for: the request fails instead.
    pub max_wait: Duration,
    /// Every request's own time limit.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            first_backoff: Duration::from_secs(1),
            max_wait: Duration::from_secs(90),
            timeout: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy for tests and benchmarks: the same decisions, millisecond waits.
    pub fn quick(attempts: u32) -> Self {
        RetryPolicy {
            attempts,
            first_backoff: Duration::from_millis(5),
            max_wait: Duration::from_millis(50),
            timeout: Duration::from_secs(10),
        }
    }

    /// The exponential backoff before attempt `attempt + 1` (attempt counts from 1).
    pub fn backoff(&self, attempt: u32) -> Duration {
        self.first_backoff
            .saturating_mul(1 << (attempt.saturating_sub(1)).min(16))
    }
}

/// What to do with a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Done,
    /// Try again after this long (or the policy's backoff when `None`).
    Retry {
        after: Option<Duration>,
        why: String,
    },
    Fail,
}

/// Classifies a forge response. `body` is read for GitHub's secondary rate limit, which answers 403
/// like a permission problem but says so in its message.
pub fn decide(status: StatusCode, headers: &HeaderMap, body: &str) -> Decision {
    if status.is_success() {
        return Decision::Done;
    }
    let retry_after = header_u64(headers, "retry-after").map(Duration::from_secs);
    if status.is_server_error() {
        return Decision::Retry {
            after: retry_after,
            why: format!("the server answered {status}"),
        };
    }
    let exhausted = header_u64(headers, "x-ratelimit-remaining") == Some(0);
    let secondary = body.to_ascii_lowercase().contains("secondary rate limit");
    if status == StatusCode::TOO_MANY_REQUESTS || (status == StatusCode::FORBIDDEN && (secondary || exhausted)) {
        let after = retry_after
            .or_else(|| exhausted.then(|| until_reset(headers)).flatten())
            // GitHub: a secondary limit without a named time means waiting at least a minute.
            .or_else(|| secondary.then_some(Duration::from_secs(60)));
        return Decision::Retry {
            after,
            why: format!("rate limited ({status})"),
        };
    }
    Decision::Fail
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn until_reset(headers: &HeaderMap) -> Option<Duration> {
    let reset = header_u64(headers, "x-ratelimit-reset")?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(reset.saturating_sub(now) + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn server_errors_and_rate_limits_are_retried_permission_errors_are_not() {
        let none = HeaderMap::new();
        assert_eq!(decide(StatusCode::CREATED, &none, ""), Decision::Done);
        assert!(matches!(
            decide(StatusCode::BAD_GATEWAY, &none, ""),
            Decision::Retry { after: None, .. }
        ));
        assert_eq!(
            decide(
                StatusCode::FORBIDDEN,
                &none,
                r#"{"message":"Resource not accessible by integration"}"#
            ),
            Decision::Fail
        );
        assert_eq!(decide(StatusCode::UNPROCESSABLE_ENTITY, &none, ""), Decision::Fail);
        match decide(
            StatusCode::FORBIDDEN,
            &none,
            r#"{"message":"You have exceeded a secondary rate limit"}"#,
        ) {
            Decision::Retry { after, .. } => assert_eq!(after, Some(Duration::from_secs(60))),
            other => panic!("{other:?}"),
        }
        match decide(StatusCode::TOO_MANY_REQUESTS, &headers(&[("retry-after", "7")]), "") {
            Decision::Retry { after, .. } => assert_eq!(after, Some(Duration::from_secs(7))),
            other => panic!("{other:?}"),
        }
        let reset = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() + 30;
        match decide(
            StatusCode::FORBIDDEN,
            &headers(&[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", &reset.to_string()),
            ]),
            "",
        ) {
            Decision::Retry { after: Some(after), .. } => assert!((29..=32).contains(&after.as_secs()), "{after:?}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn backoff_doubles() {
        let p = RetryPolicy::quick(4);
        assert_eq!(p.backoff(1), Duration::from_millis(5));
        assert_eq!(p.backoff(3), Duration::from_millis(20));
    }
}

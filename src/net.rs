//! The one HTTP/TLS stack of the process: reqwest on rustls with aws-lc-rs and the system's roots.
//! The ledger client and both forge clients (octocrab on this client, the gitlab crate's
//! endpoints through our `AsyncClient`) start here, so no other TLS stack or provider is linked.

/// A reqwest builder whose TLS is rustls on aws-lc-rs with the system's roots. aws-lc-rs is also
/// installed as the process-wide rustls default so no other provider is ever picked implicitly.
pub fn http_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
}

/// A client on that stack identifying as aigate, with a time limit per request and a shorter one
/// for connecting, so an unreachable server fails fast and a slow one cannot hold a CI job.
pub fn client(timeout: std::time::Duration, connect_timeout: std::time::Duration) -> reqwest::Result<reqwest::Client> {
    http_builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(connect_timeout))
        .user_agent(concat!("aigate/", env!("CARGO_PKG_VERSION")))
        .build()
}

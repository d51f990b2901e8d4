//! HTTP client set-up. Ünïcode: «naïve» — 😀 — must not shift columns.
use std::path::Path;
use std::process;

pub fn insecure_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .danger_accept_invalid_hostnames(true)
        .build()
}

pub fn strict_client(ca: reqwest::Certificate) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder().add_root_certificate(ca).danger_accept_invalid_certs(false).build()
}

pub fn load(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot read {}: {e}", path.display());
            std::process::exit(2);
        }
    }
}

pub fn abort_on(flag: bool) {
    if flag {
        process::exit(1);
    }
}

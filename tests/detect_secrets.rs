//! `secret-added`: known credential formats and high-entropy literals under secret-looking names.

use std::path::Path;

use aigate::engine::diff::{DiffSpec, check};
use aigate::engine::lang::Lang;
use aigate::engine::source::SourceFile;

fn run_with(yaml: &str, path: &str, base: Option<&str>, head: &str) -> Vec<(u32, String)> {
    let spec: DiffSpec = serde_saphyr::from_str(yaml).expect("valid spec");
    spec.validate().expect("valid options");
    let lang = Lang::from_path(Path::new(path));
    let base = base.map(|text| SourceFile { path, lang, text });
    let head = SourceFile { path, lang, text: head };
    check(&spec, &head, base.as_ref())
        .into_iter()
        .map(|h| (h.start.line, h.detail.unwrap_or_default()))
        .collect()
}

fn run(path: &str, base: Option<&str>, head: &str) -> Vec<(u32, String)> {
    run_with("detector: secret-added", path, base, head)
}

// Assembled at run time so that this file holds no literal token (and secret scanners stay quiet).
fn token(prefix: &str, body_len: usize) -> String {
    let alphabet = b"Q7mZk2P9xR4tL8vW3nB6yH1cJ5gF0dS";
    let body: String = (0..body_len)
        .map(|i| alphabet[(i * 7 + 3) % alphabet.len()] as char)
        .collect();
    format!("{prefix}{body}")
}

#[test]
fn known_formats_are_reported_by_name_and_redacted() {
    let cases = [
        (token("gh", 0) + "p_" + &token("", 36), "GitHub token"),
        (token("AKIA", 16).to_uppercase(), "AWS access key id"),
        (token("glpat-", 20), "GitLab token"),
        (token("xoxb-", 24), "Slack token"),
        (token("sk_", 0) + "live_" + &token("", 24), "Stripe live key"),
        (token("AIza", 35), "Google API key"),
        (token("sk-ant-api03-", 40), "Anthropic API key"),
        (token("sk-proj-", 40), "OpenAI API key"),
        (token("npm_", 36), "npm token"),
        (
            format!("eyJ{}.eyJ{}.{}", token("", 20), token("", 30), token("", 25)),
            "JSON Web Token",
        ),
    ];
    for (secret, format) in cases {
        let head = format!("const CONFIG = {{\n  value: \"{secret}\",\n}};\n");
        let hits = run("src/config.ts", Some("const CONFIG = {\n};\n"), &head);
        assert_eq!(hits.len(), 1, "{format}: {hits:?}");
        assert_eq!(hits[0].0, 2);
        assert!(hits[0].1.starts_with(format), "{format}: {hits:?}");
        assert!(
            !hits[0].1.contains(&secret),
            "the detail must not echo the secret: {}",
            hits[0].1
        );
        assert!(
            hits[0].1.contains(&format!("({} chars)", secret.len())),
            "{}",
            hits[0].1
        );
    }
}

#[test]
fn private_keys_are_reported_in_any_file() {
    let pem = format!(
        "-----BEGIN {}PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n",
        "RSA "
    );
    let hits = run("deploy/key.pem", None, &pem);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(hits[0].1.starts_with("private key"));
}

#[test]
fn placeholders_and_documentation_examples_are_not_secrets() {
    let doc_example = format!("AKIA{}EXAMPLE", "IOSFODNN7");
    for head in [
        format!("aws_access_key_id = \"{doc_example}\"\n"),
        "password = \"changeme\"\n".to_owned(),
        "api_key = \"xxxxxxxxxxxxxxxxxxxxxxxx\"\n".to_owned(),
        "token = \"${GITHUB_TOKEN}\"\n".to_owned(),
        "secret = os.environ[\"APP_SECRET\"]\n".to_owned(),
        "password = get_password()\n".to_owned(),
        "token_type = \"bearer\"\n".to_owned(),
    ] {
        assert!(run("settings.py", None, &head).is_empty(), "{head}");
    }
}

#[test]
fn high_entropy_literals_under_secret_names() {
    let value = token("", 28);
    let hits = run(
        "settings.py",
        Some(""),
        &format!("DEBUG = True\nDB_PASSWORD = \"{value}\"\n"),
    );
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].0, 2);
    assert!(
        hits[0].1.contains("`DB_PASSWORD`") && !hits[0].1.contains(&value),
        "{}",
        hits[0].1
    );
    // Unquoted values count in configuration files, not in code.
    assert_eq!(run(".env", None, &format!("API_KEY={value}\n")).len(), 1);
    assert!(run("app.py", None, &format!("api_key = {value}\n")).is_empty());
    // A low-entropy or short literal is not judged a secret; thresholds are options.
    assert!(run("settings.py", None, "client_secret = \"aaaabbbbaaaabbbbaaaa\"\n").is_empty());
    let strict = "detector: secret-added\nmin-length: 40";
    assert!(run_with(strict, "settings.py", None, &format!("DB_PASSWORD = \"{value}\"\n")).is_empty());
    let named = "detector: secret-added\nnames: [passphrase]";
    assert_eq!(
        run_with(named, "settings.py", None, &format!("passphrase = \"{value}\"\n")).len(),
        1
    );
}

#[test]
fn a_secret_already_at_base_is_not_added() {
    let secret = token("gh", 0) + "p_" + &token("", 36);
    let base = format!("x = 1\nTOKEN = \"{secret}\"\n");
    let head = format!("TOKEN = \"{secret}\"\nx = 1\ny = 2\n");
    assert!(run("settings.py", Some(&base), &head).is_empty());
}

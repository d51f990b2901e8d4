//! Identities a signal can look at (author, committer, co-author trailers) and their matchers.

use regex::Regex;
use serde::Deserialize;

/// Where an identity comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Author,
    Committer,
    /// A `Co-authored-by: Name <email>` trailer.
    CoAuthor,
}

/// One identity of a commit, with where it was found and how to show it.
#[derive(Debug, Clone)]
pub(super) struct Seen<'a> {
    pub side: Side,
    pub name: &'a str,
    pub email: &'a str,
    /// The trailer it came from (`key`, `value` as written), for a co-author.
    pub trailer: Option<(&'a str, &'a str)>,
}

/// Splits a `Name <email>` trailer value; a value without `<…>` is all name.
pub(super) fn split_name_email(value: &str) -> (&str, &str) {
    match (value.find('<'), value.rfind('>')) {
        (Some(open), Some(close)) if open < close => (value[..open].trim(), value[open + 1..close].trim()),
        _ => (value.trim(), ""),
    }
}

/// The GitHub login behind a `login@users.noreply.github.com` or
/// `NNN+login@users.noreply.github.com` address.
pub(super) fn github_login(email: &str) -> Option<&str> {
    const DOMAIN: &str = "@users.noreply.github.com";
    let cut = email.len().checked_sub(DOMAIN.len())?;
    if !email.is_char_boundary(cut) || !email[cut..].eq_ignore_ascii_case(DOMAIN) {
        return None;
    }
    let local = &email[..cut];
    let login = match local.split_once('+') {
        Some((id, login)) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => login,
        _ => local,
    };
    (!login.is_empty()).then_some(login)
}

/// Matches one identity; every key that is set must match.
#[derive(Debug, Clone)]
pub(super) struct IdentityMatcher {
    /// Lowercased.
    pub name: Option<String>,
    pub name_regex: Option<Regex>,
    /// Lowercased.
    pub email: Option<String>,
    pub email_regex: Option<Regex>,
    /// Lowercased GitHub login.
    pub github: Option<String>,
}

impl IdentityMatcher {
    /// `None` when no key is set (a matcher that would match everyone).
    pub fn new(
        name: Option<&str>,
        name_regex: Option<Regex>,
        email: Option<&str>,
        email_regex: Option<Regex>,
        github: Option<&str>,
    ) -> Option<IdentityMatcher> {
        let m = IdentityMatcher {
            name: name.map(str::to_ascii_lowercase),
            name_regex,
            email: email.map(str::to_ascii_lowercase),
            email_regex,
            github: github.map(str::to_ascii_lowercase),
        };
        let any = m.name.is_some()
            || m.name_regex.is_some()
            || m.email.is_some()
            || m.email_regex.is_some()
            || m.github.is_some();
        any.then_some(m)
    }

    pub fn matches(&self, name: &str, email: &str) -> bool {
        self.name.as_ref().is_none_or(|n| n.eq_ignore_ascii_case(name))
            && self.email.as_ref().is_none_or(|e| e.eq_ignore_ascii_case(email))
            && self.name_regex.as_ref().is_none_or(|r| r.is_match(name))
            && self.email_regex.as_ref().is_none_or(|r| r.is_match(email))
            && self.github.as_ref().is_none_or(|login| {
                github_login(email).is_some_and(|l| l.eq_ignore_ascii_case(login))
                    || (login.ends_with("[bot]") && name.eq_ignore_ascii_case(login))
            })
    }

    /// The exact key an index can file this matcher under (most selective first).
    pub fn index_key(&self) -> Option<(IndexField, &str)> {
        if let Some(e) = &self.email {
            Some((IndexField::Email, e))
        } else if let Some(g) = &self.github {
            Some((IndexField::Github, g))
        } else {
            self.name.as_deref().map(|n| (IndexField::Name, n))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum IndexField {
    Email,
    Github,
    Name,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_noreply_forms() {
        assert_eq!(
            github_login("198982749+Copilot@users.noreply.github.com"),
            Some("Copilot")
        );
        assert_eq!(github_login("Copilot@users.noreply.github.com"), Some("Copilot"));
        assert_eq!(
            github_login("41898282+claude[bot]@users.noreply.github.com"),
            Some("claude[bot]")
        );
        assert_eq!(github_login("a+b@users.noreply.github.com"), Some("a+b"));
        assert_eq!(github_login("copilot@example.com"), None);
        assert_eq!(github_login("@users.noreply.github.com"), None);
    }

    #[test]
    fn bot_login_matches_name_but_user_login_does_not() {
        let bot = IdentityMatcher::new(None, None, None, None, Some("claude[bot]")).unwrap();
        assert!(bot.matches("claude[bot]", "claude@example.com"));
        let user = IdentityMatcher::new(None, None, None, None, Some("Copilot")).unwrap();
        assert!(!user.matches("Copilot", "someone@example.com"));
        assert!(user.matches("Copilot", "175728472+Copilot@users.noreply.github.com"));
    }

    #[test]
    fn name_email_split() {
        assert_eq!(
            split_name_email("Claude Opus 4.5 <noreply@anthropic.com>"),
            ("Claude Opus 4.5", "noreply@anthropic.com")
        );
        assert_eq!(split_name_email("just a name"), ("just a name", ""));
        assert_eq!(split_name_email("x > y <"), ("x > y <", ""));
    }
}

//! The structural fingerprint of a correction: the same fix made in two repositories, with
//! different names and literals, gets the same fingerprint, so the ledger can count how often a
//! pattern of correction recurs (the evidence for promoting it to a standard).
//!
//! Before and after are parsed with the file's tree-sitter grammar (through ast-grep); the trees
//! are written as s-expressions in which identifiers become numbered placeholders (numbered by
//! first appearance across before *and* after, so "the same variable on both sides" survives),
//! literals become `$L`, and comments vanish. The fingerprint hashes the pair of shapes. Files in
//! languages aigate has no grammar for fall back to a token-level normalisation with the same
//! placeholders.

use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

use ast_grep_core::Node;
use ast_grep_core::tree_sitter::StrDoc;
use ast_grep_language::{LanguageExt, SupportLang};
use regex::Regex;
use sha2::{Digest, Sha256};

use crate::engine::lang::Lang;

/// Fingerprints a before → after change of the file at `path`.
pub fn fingerprint(path: &str, before: &str, after: &str) -> String {
    let mut names = Names::default();
    match Lang::from_path(Path::new(path)) {
        Some(lang) => {
            let b = ast_shape(lang, before, &mut names);
            let a = ast_shape(lang, after, &mut names);
            format!("ast1:{}", digest(&[lang.name(), &b, &a]))
        }
        None => {
            let b = token_shape(before, &mut names);
            let a = token_shape(after, &mut names);
            format!("tok1:{}", digest(&[&b, &a]))
        }
    }
}

fn digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    hex::encode(&h.finalize()[..16])
}

/// Identifier → placeholder number, by first appearance.
#[derive(Default)]
struct Names(HashMap<String, usize>);

impl Names {
    fn placeholder(&mut self, name: &str) -> String {
        let next = self.0.len();
        format!("$I{}", self.0.entry(name.to_string()).or_insert(next))
    }
}

fn is_identifier(kind: &str) -> bool {
    kind.ends_with("identifier") || matches!(kind, "name" | "constant" | "word" | "variable_name" | "self")
}

fn is_literal(kind: &str) -> bool {
    [
        "string", "number", "integer", "float", "char", "literal", "boolean", "heredoc",
    ]
    .iter()
    .any(|k| kind.contains(k))
        || matches!(kind, "true" | "false" | "nil" | "none" | "null")
}

/// The tree as an s-expression with names and literals abstracted. Iterative, so that deeply
/// nested input cannot overflow the stack.
fn ast_shape(lang: Lang, source: &str, names: &mut Names) -> String {
    enum Step<'r> {
        Enter(Node<'r, StrDoc<SupportLang>>),
        Exit,
    }
    let root = lang.ast_grep().ast_grep(source);
    let mut out = String::new();
    let mut stack = vec![Step::Enter(root.root())];
    while let Some(step) = stack.pop() {
        let node = match step {
            Step::Exit => {
                out.push(')');
                continue;
            }
            Step::Enter(node) => node,
        };
        let kind = node.kind();
        if kind.contains("comment") {
            continue;
        }
        out.push(' ');
        if node.is_named() && is_identifier(&kind) {
            out.push_str(&names.placeholder(&node.text()));
        } else if node.is_named() && is_literal(&kind) {
            out.push_str("$L");
        } else if node.is_leaf() {
            // Keywords and punctuation are their kind; named leaves such as a primitive type keep
            // their text (`u32` → `i64` is a change worth telling apart).
            out.push_str(&kind);
            if node.is_named() {
                out.push('=');
                out.push_str(&node.text());
            }
        } else {
            out.push('(');
            out.push_str(&kind);
            stack.push(Step::Exit);
            let children: Vec<_> = node.children().collect();
            stack.extend(children.into_iter().rev().map(Step::Enter));
        }
    }
    out
}

static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?P<id>[\p{L}_][\p{L}\p{N}_]*)|(?P<lit>\p{N}[\p{L}\p{N}_.]*|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)|(?P<p>\S)"#)
        // aigate: allow(reliability/rust-panic-in-library) -- constant pattern, exercised by every fingerprint test
        .expect("the token pattern is a valid regex")
});

/// Tokens with names and literals abstracted, whitespace ignored.
fn token_shape(source: &str, names: &mut Names) -> String {
    let mut out = String::new();
    for cap in TOKEN.captures_iter(source) {
        out.push(' ');
        if let Some(id) = cap.name("id") {
            out.push_str(&names.placeholder(id.as_str()));
        } else if cap.name("lit").is_some() {
            out.push_str("$L");
        } else if let Some(p) = cap.name("p") {
            out.push_str(p.as_str());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_fix_with_other_names_and_literals_has_the_same_fingerprint() {
        let a = fingerprint(
            "src/a.rs",
            "let cfg = load(\"a.toml\").unwrap();\n",
            "let cfg = load(\"a.toml\")?;\n",
        );
        let b = fingerprint(
            "lib/b.rs",
            "let settings = read_file(\"/etc/x\").unwrap(); // AI\n",
            "let settings = read_file(\"/etc/x\")?;\n",
        );
        assert_eq!(a, b);
        assert!(a.starts_with("ast1:"));
    }

    #[test]
    fn a_different_fix_has_a_different_fingerprint() {
        let a = fingerprint(
            "src/a.rs",
            "let cfg = load(path).unwrap();\n",
            "let cfg = load(path)?;\n",
        );
        let c = fingerprint(
            "src/a.rs",
            "let cfg = load(path).unwrap();\n",
            "let cfg = load(path).unwrap_or_default();\n",
        );
        let swapped = fingerprint(
            "src/a.rs",
            "let cfg = load(path)?;\n",
            "let cfg = load(path).unwrap();\n",
        );
        assert_ne!(a, c);
        assert_ne!(a, swapped);
    }

    #[test]
    fn variable_identity_across_before_and_after_matters() {
        // `x = y` → `x = x` is not the same change as `x = y` → `y = y`... nor as renaming to a new name.
        let p = fingerprint("a.py", "x = y\n", "x = x\n");
        let q = fingerprint("a.py", "x = y\n", "x = z\n");
        assert_ne!(p, q);
    }

    #[test]
    fn unknown_languages_fall_back_to_tokens() {
        let a = fingerprint("x.kt", "val a = foo(1)!!", "val a = foo(1) ?: return");
        let b = fingerprint("y.kt", "val bb = bar(22)!!", "val bb = bar(22)   ?:   return");
        assert!(a.starts_with("tok1:"));
        assert_eq!(a, b);
        assert_ne!(a, fingerprint("y.kt", "val bb = bar(22)!!", "val bb = bar(22) ?: 0"));
    }

    mod properties {
        use super::super::fingerprint;
        use proptest::prelude::*;

        fn ident() -> impl Strategy<Value = String> {
            "[a-z][a-z0-9_]{0,8}".prop_map(|s| format!("v_{s}"))
        }

        proptest! {
            #[test]
            fn never_panics_and_is_deterministic(before in "\\PC{0,200}", after in "\\PC{0,200}", ext in prop::sample::select(vec!["rs", "py", "ts", "go", "java", "kt", "c"])) {
                let path = format!("f.{ext}");
                prop_assert_eq!(fingerprint(&path, &before, &after), fingerprint(&path, &before, &after));
            }

            #[test]
            fn consistent_renaming_keeps_the_fingerprint(
                names in prop::collection::hash_set(ident(), 3),
                number in 0u32..100_000,
                text in "[a-z ]{0,12}",
            ) {
                let n: Vec<&String> = names.iter().collect();
                let fix = |a: &str, b: &str, c: &str, num: &str, msg: &str| fingerprint(
                    "src/x.rs",
                    &format!("let {a} = {b}({c}, {num}).unwrap();\n"),
                    &format!("let {a} = {b}({c}, {num}).expect(\"{msg}\");\n"),
                );
                prop_assert_eq!(
                    fix(n[0], n[1], n[2], &number.to_string(), &text),
                    fix("cfg", "load", "path", "3", "config must load")
                );
            }
        }
    }
}

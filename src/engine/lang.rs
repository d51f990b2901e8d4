//! The languages aigate analyses. A subset of ast-grep's: only the grammars compiled in
//! (see the `ast-grep-language` features in Cargo.toml). Going through this type is what keeps
//! a rule naming another language from reaching ast-grep-language, which panics on grammars that
//! are not compiled in.

use std::fmt;
use std::path::Path;

use ast_grep_language::SupportLang;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Bash,
    C,
    Cpp,
    CSharp,
    Go,
    Java,
    JavaScript,
    Python,
    Ruby,
    Rust,
    Tsx,
    TypeScript,
}

impl Lang {
    pub const ALL: [Lang; 12] = [
        Lang::Bash,
        Lang::C,
        Lang::Cpp,
        Lang::CSharp,
        Lang::Go,
        Lang::Java,
        Lang::JavaScript,
        Lang::Python,
        Lang::Ruby,
        Lang::Rust,
        Lang::Tsx,
        Lang::TypeScript,
    ];

    /// The language of a rule's `language:` value, accepting ast-grep's names and aliases
    /// (case-insensitive): `rust`/`rs`, `python`/`py`, `javascript`/`js`/`jsx`, `typescript`/`ts`,
    /// `tsx`, `go`/`golang`, `java`, `c`, `cpp`/`c++`/`cc`/`cxx`, `csharp`/`cs`/`c#`,
    /// `ruby`/`rb`, `bash`/`sh`/`shell`.
    pub fn from_name(name: &str) -> Option<Lang> {
        let lang = match name.to_ascii_lowercase().as_str() {
            "bash" | "sh" | "shell" => Lang::Bash,
            "c" => Lang::C,
            "cpp" | "c++" | "cc" | "cxx" => Lang::Cpp,
            "csharp" | "cs" | "c#" | "c-sharp" => Lang::CSharp,
            "go" | "golang" => Lang::Go,
            "java" => Lang::Java,
            "javascript" | "js" | "jsx" => Lang::JavaScript,
            "python" | "py" => Lang::Python,
            "ruby" | "rb" => Lang::Ruby,
            "rust" | "rs" => Lang::Rust,
            "tsx" => Lang::Tsx,
            "typescript" | "ts" => Lang::TypeScript,
            _ => return None,
        };
        Some(lang)
    }

    /// The language of a file, from its extension (ast-grep's default mapping).
    pub fn from_path(path: &Path) -> Option<Lang> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        let lang = match ext.as_str() {
            "sh" | "bash" | "bats" | "zsh" => Lang::Bash,
            "c" | "h" => Lang::C,
            "cc" | "hpp" | "cpp" | "c++" | "hh" | "cxx" | "cu" | "ino" => Lang::Cpp,
            "cs" => Lang::CSharp,
            "go" => Lang::Go,
            "java" => Lang::Java,
            "cjs" | "js" | "mjs" | "jsx" => Lang::JavaScript,
            "py" | "py3" | "pyi" | "bzl" => Lang::Python,
            "rb" | "rbw" | "gemspec" => Lang::Ruby,
            "rs" => Lang::Rust,
            "tsx" => Lang::Tsx,
            "ts" | "cts" | "mts" => Lang::TypeScript,
            _ => return None,
        };
        Some(lang)
    }

    /// The canonical name, as rule files and output spell it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Bash => "bash",
            Lang::C => "c",
            Lang::Cpp => "cpp",
            Lang::CSharp => "csharp",
            Lang::Go => "go",
            Lang::Java => "java",
            Lang::JavaScript => "javascript",
            Lang::Python => "python",
            Lang::Ruby => "ruby",
            Lang::Rust => "rust",
            Lang::Tsx => "tsx",
            Lang::TypeScript => "typescript",
        }
    }

    /// ast-grep's handle for this language; always a compiled-in grammar.
    pub fn ast_grep(self) -> SupportLang {
        match self {
            Lang::Bash => SupportLang::Bash,
            Lang::C => SupportLang::C,
            Lang::Cpp => SupportLang::Cpp,
            Lang::CSharp => SupportLang::CSharp,
            Lang::Go => SupportLang::Go,
            Lang::Java => SupportLang::Java,
            Lang::JavaScript => SupportLang::JavaScript,
            Lang::Python => SupportLang::Python,
            Lang::Ruby => SupportLang::Ruby,
            Lang::Rust => SupportLang::Rust,
            Lang::Tsx => SupportLang::Tsx,
            Lang::TypeScript => SupportLang::TypeScript,
        }
    }

    /// Line-comment prefixes, for waivers and comment-based detectors.
    pub fn line_comments(self) -> &'static [&'static str] {
        match self {
            Lang::Bash | Lang::Python | Lang::Ruby => &["#"],
            _ => &["//"],
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_every_grammar_loads() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_name(lang.name()), Some(lang));
            // Parsing proves the grammar is compiled in (ast-grep-language panics otherwise).
            use ast_grep_language::LanguageExt;
            let root = lang.ast_grep().ast_grep("x");
            assert!(!root.root().kind().is_empty(), "{lang} parsed to nothing");
        }
        assert_eq!(Lang::from_name("kotlin"), None);
    }

    #[test]
    fn extensions_map_like_ast_grep() {
        assert_eq!(Lang::from_path(Path::new("a/b.tsx")), Some(Lang::Tsx));
        assert_eq!(Lang::from_path(Path::new("x.PY")), Some(Lang::Python));
        assert_eq!(Lang::from_path(Path::new("Makefile")), None);
    }
}

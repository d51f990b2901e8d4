//! The imports of a file, read from its tree-sitter syntax tree (so imports in comments and
//! strings do not count), with relative imports resolved against the file's location.

use ast_grep_core::Node;
use ast_grep_core::tree_sitter::StrDoc;
use ast_grep_language::{LanguageExt, SupportLang};

use crate::engine::diff::code::walk;
use crate::engine::lang::Lang;
use crate::engine::rust::api::module_path;

type N<'r> = Node<'r, StrDoc<SupportLang>>;

/// One imported module as written, and resolved when it was relative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Import {
    pub written: String,
    pub resolved: Option<String>,
    /// Byte range of the import statement.
    pub at: std::ops::Range<usize>,
}

/// Text without whitespace (`a :: b` → `a::b`).
fn compact(node: &N<'_>) -> String {
    node.text().chars().filter(|c| !c.is_whitespace()).collect()
}

/// The content of a string literal node (quotes dropped).
fn unquote(node: &N<'_>) -> String {
    let text = node.text();
    let t = text.trim();
    let mut chars = t.chars();
    match (chars.next(), chars.next_back()) {
        (Some(a), Some(b)) if a == b && matches!(a, '"' | '\'' | '`') => chars.as_str().to_owned(),
        _ => t.to_owned(),
    }
}

fn join(prefix: &str, rest: &str, sep: &str) -> String {
    match (prefix.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_owned(),
        (_, true) => prefix.to_owned(),
        _ => format!("{prefix}{sep}{rest}"),
    }
}

/// Expands a Rust use tree: `a::{b, c::d as e, f::*}` → `a::b`, `a::c::d`, `a::f`.
fn rust_use_tree(node: &N<'_>, prefix: &str, out: &mut Vec<String>) {
    match node.kind().as_ref() {
        "scoped_use_list" => {
            let path = node.field("path").map(|p| compact(&p)).unwrap_or_default();
            let prefix = join(prefix, &path, "::");
            if let Some(list) = node.field("list") {
                rust_use_tree(&list, &prefix, out);
            }
        }
        "use_list" => node
            .children()
            .filter(|c| c.is_named())
            .for_each(|c| rust_use_tree(&c, prefix, out)),
        "use_as_clause" => {
            if let Some(path) = node.field("path") {
                rust_use_tree(&path, prefix, out);
            }
        }
        "use_wildcard" => {
            let path = node
                .children()
                .find(|c| c.is_named())
                .map(|p| compact(&p))
                .unwrap_or_default();
            out.push(join(prefix, &path, "::"));
        }
        kind if kind.contains("comment") || kind.contains("attribute") => {}
        // `self` in a group means the group's own path.
        "self" if !prefix.is_empty() => out.push(prefix.to_owned()),
        _ => out.push(join(prefix, &compact(node), "::")),
    }
}

/// `self::`/`super::` resolved against the file's module (`crate::a::b`).
fn resolve_rust(path: &str, module: &str) -> Option<String> {
    let mut base: Vec<&str> = module.split("::").collect();
    let mut rest = path;
    if let Some(r) = rest.strip_prefix("self::") {
        rest = r;
    } else if rest.starts_with("super::") {
        while let Some(r) = rest.strip_prefix("super::") {
            base.pop();
            rest = r;
        }
    } else {
        return None;
    }
    Some(join(&base.join("::"), rest, "::"))
}

/// The directory of a file, as path segments.
fn dir_of(path: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    parts.pop();
    parts
}

/// `./x`, `../y/z` resolved against the importing file's directory.
fn resolve_js(spec: &str, path: &str) -> Option<String> {
    if !(spec.starts_with("./") || spec.starts_with("../")) {
        return None;
    }
    let mut parts = dir_of(path);
    for seg in spec.split('/') {
        match seg {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// `from ..x import y` resolved against the file's package (its directory, `src/` dropped).
fn resolve_python(module: &str, path: &str) -> Option<String> {
    let dots = module.chars().take_while(|&c| c == '.').count();
    if dots == 0 {
        return None;
    }
    let mut package = dir_of(path);
    if package.first() == Some(&"src") {
        package.remove(0);
    }
    for _ in 1..dots {
        package.pop();
    }
    Some(join(&package.join("."), &module[dots..], "."))
}

fn python(node: &N<'_>, path: &str, push: &mut dyn FnMut(String, Option<String>)) {
    let names = || {
        node.field_children("name").map(|n| match n.field("name") {
            Some(inner) => compact(&inner),
            None => compact(&n),
        })
    };
    match node.kind().as_ref() {
        "import_statement" => names().for_each(|n| push(n, None)),
        "import_from_statement" => {
            let module = node.field("module_name").map(|m| compact(&m)).unwrap_or_default();
            let resolved = resolve_python(&module, path);
            let mut any = false;
            for name in names() {
                any = true;
                let sep = if module.ends_with('.') { "" } else { "." };
                push(
                    format!("{module}{sep}{name}"),
                    resolved.as_ref().map(|r| join(r, &name, ".")),
                );
            }
            if !any {
                push(module, resolved);
            }
        }
        _ => {}
    }
}

/// Appends the imports found at `node` (one statement or call) to `out`.
fn at_node(node: &N<'_>, lang: Lang, path: &str, module: &str, out: &mut Vec<Import>) {
    let at = node.range();
    let mut push = |written: String, resolved: Option<String>| {
        if !written.is_empty() {
            out.push(Import {
                written,
                resolved,
                at: at.clone(),
            });
        }
    };
    let kind = node.kind();
    match lang {
        Lang::Rust => match kind.as_ref() {
            "use_declaration" => {
                let mut paths = Vec::new();
                if let Some(arg) = node.field("argument") {
                    rust_use_tree(&arg, "", &mut paths);
                }
                for p in paths {
                    let p = p.trim_start_matches("::").to_owned();
                    let resolved = resolve_rust(&p, module);
                    push(p, resolved);
                }
            }
            "mod_item" if node.field("body").is_none() => {
                if let Some(name) = node.field("name") {
                    push(join(module, &name.text(), "::"), None);
                }
            }
            "extern_crate_declaration" => {
                if let Some(name) = node.field("name") {
                    push(name.text().into_owned(), None);
                }
            }
            _ => {}
        },
        Lang::Python => python(node, path, &mut push),
        Lang::JavaScript | Lang::TypeScript | Lang::Tsx => {
            let source = match kind.as_ref() {
                "import_statement" | "export_statement" => node.field("source").or_else(|| {
                    node.children()
                        .find(|c| c.kind() == "import_require_clause")
                        .and_then(|c| c.field("source"))
                }),
                "call_expression" => {
                    let callee = node.field("function");
                    let is_loader = callee.is_some_and(|f| f.kind() == "import" || f.text() == "require");
                    let first = node
                        .field("arguments")
                        .and_then(|a| a.children().find(|c| c.is_named()));
                    first.filter(|a| is_loader && (a.kind() == "string" || a.kind() == "template_string"))
                }
                _ => None,
            };
            if let Some(s) = source {
                let spec = unquote(&s);
                let resolved = resolve_js(&spec, path);
                push(spec, resolved);
            }
        }
        Lang::Go if kind == "import_spec" => {
            if let Some(p) = node.field("path") {
                push(unquote(&p), None);
            }
        }
        Lang::Java if kind == "import_declaration" => {
            let target = node
                .children()
                .find(|c| matches!(c.kind().as_ref(), "scoped_identifier" | "identifier"));
            let wildcard = node.children().any(|c| c.kind() == "asterisk");
            if let Some(t) = target {
                push(format!("{}{}", compact(&t), if wildcard { ".*" } else { "" }), None);
            }
        }
        Lang::CSharp if kind == "using_directive" => {
            let alias = node.field("name").map(|n| n.range());
            let target = node
                .children()
                .filter(|c| matches!(c.kind().as_ref(), "qualified_name" | "identifier") && Some(c.range()) != alias)
                .last();
            if let Some(t) = target {
                push(compact(&t), None);
            }
        }
        _ => {}
    }
}

/// The node kinds `at_node` looks at, in any language.
const IMPORT_KINDS: &[&str] = &[
    "use_declaration",
    "mod_item",
    "extern_crate_declaration",
    "import_statement",
    "import_from_statement",
    "export_statement",
    "call_expression",
    "import_spec",
    "import_declaration",
    "using_directive",
];

/// Every import of `text`, a file at `path` in `lang`.
pub(crate) fn imports(text: &str, lang: Lang, path: &str) -> Vec<Import> {
    let root = lang.ast_grep().ast_grep(text);
    let module = module_path(path);
    let mut out = Vec::new();
    walk(root.root().get_inner_node(), |node| {
        let kind = node.kind();
        if kind.contains("comment") || kind == "string" || kind.ends_with("string_literal") {
            return false;
        }
        if IMPORT_KINDS.contains(&kind) {
            at_node(&root.adopt(node), lang, path, &module, &mut out);
        }
        true
    });
    out.sort_by_key(|i| i.at.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_imports_resolve_against_the_file() {
        assert_eq!(
            resolve_rust("super::infra::Db", "crate::domain::user").as_deref(),
            Some("crate::domain::infra::Db")
        );
        assert_eq!(resolve_rust("self::x", "crate").as_deref(), Some("crate::x"));
        assert_eq!(
            resolve_js("../infra/db", "web/src/domain/a.ts").as_deref(),
            Some("web/src/infra/db")
        );
        assert_eq!(
            resolve_python("..infra", "src/app/domain/svc.py").as_deref(),
            Some("app.infra")
        );
        assert_eq!(resolve_python(".", "app/domain/svc.py").as_deref(), Some("app.domain"));
    }
}

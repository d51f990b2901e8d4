//! `panic-in-library`: calls that may panic (`.unwrap()`, `.expect(…)`, `panic!`, `todo!`…) in
//! library code. Test code is not library code: `#[cfg(test)]` items, `#[test]`-like functions,
//! `fn main`, and files under tests/, benches/, examples/, src/bin/, build.rs and src/main.rs.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};

use super::unsafe_doc::{end, start};
use crate::engine::source::Hit;

pub(super) fn default_calls() -> Vec<String> {
    ["unwrap", "expect"].map(String::from).to_vec()
}

pub(super) fn default_macros() -> Vec<String> {
    ["panic", "todo", "unimplemented", "unreachable"]
        .map(String::from)
        .to_vec()
}

/// Paths that are never library code.
const NOT_LIBRARY: &[&str] = &[
    "**/tests/**",
    "**/benches/**",
    "**/examples/**",
    "**/build.rs",
    "**/src/main.rs",
    "**/src/bin/**",
];

pub(super) fn compile_exclude(extra: &[String]) -> Result<GlobSet, String> {
    let mut set = GlobSetBuilder::new();
    for pattern in NOT_LIBRARY.iter().copied().chain(extra.iter().map(String::as_str)) {
        let glob = GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("panic-in-library: invalid `exclude` glob `{pattern}`: {e}"))?;
        set.add(glob);
    }
    set.build()
        .map_err(|e| format!("panic-in-library: invalid `exclude` globs: {e}"))
}

/// `cfg(test)`, also inside `all(…)`/`any(…)`, but not `not(test)`.
fn cfg_mentions_test(meta: &syn::Meta) -> bool {
    match meta {
        syn::Meta::Path(p) => p.is_ident("test"),
        syn::Meta::List(list) if list.path.is_ident("not") => false,
        syn::Meta::List(list) => list
            .parse_args_with(Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated)
            .is_ok_and(|inner| inner.iter().any(cfg_mentions_test)),
        syn::Meta::NameValue(_) => false,
    }
}

/// Test-only: `#[cfg(test)]`, `#[test]`, `#[tokio::test]`, `#[rstest]`…
pub(super) fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let last = a
            .path()
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        (a.path().is_ident("cfg") && cfg_mentions_test(&a.meta))
            || matches!(last.as_str(), "test" | "rstest" | "test_case" | "quickcheck" | "bench")
    })
}

struct Finder<'a> {
    calls: &'a [String],
    macros: &'a [String],
    hits: Vec<Hit>,
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) if f.sig.ident == "main" => return,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Const(c) => &c.attrs,
            syn::Item::Static(s) => &s.attrs,
            syn::Item::Trait(t) => &t.attrs,
            _ => return visit::visit_item(self, item),
        };
        if !is_test_only(attrs) {
            visit::visit_item(self, item);
        }
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if !is_test_only(&f.attrs) {
            visit::visit_impl_item_fn(self, f);
        }
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if !is_test_only(&f.attrs) {
            visit::visit_trait_item_fn(self, f);
        }
    }

    fn visit_stmt(&mut self, s: &'ast syn::Stmt) {
        // `#[cfg(test)] let x = …;` and friends.
        let attrs = match s {
            syn::Stmt::Local(l) => l.attrs.as_slice(),
            syn::Stmt::Macro(m) => m.attrs.as_slice(),
            _ => &[],
        };
        if !is_test_only(attrs) {
            visit::visit_stmt(self, s);
        }
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        if self.calls.iter().any(|c| call.method == c) {
            let span = call.method.span();
            let detail = format!("`.{}()` may panic in library code", call.method);
            self.hits.push(Hit {
                start: start(span),
                end: end(call.paren_token.span.close()),
                detail: Some(detail),
            });
        }
        visit::visit_expr_method_call(self, call);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if self.macros.contains(&name) {
            let detail = format!("`{name}!` panics in library code");
            self.hits.push(Hit {
                start: start(mac.path.span()),
                end: end(mac.bang_token.span),
                detail: Some(detail),
            });
        }
        // Arguments of format-like macros (`format!("{}", x.unwrap())`, `vec![…]`) are expressions
        // syn leaves as tokens: look inside when they parse as such.
        if let Ok(args) = mac.parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated) {
            for arg in &args {
                self.visit_expr(arg);
            }
        }
    }
}

pub(super) fn check(file: &syn::File, calls: &[String], macros: &[String]) -> Vec<Hit> {
    let mut finder = Finder {
        calls,
        macros,
        hits: Vec::new(),
    };
    finder.visit_file(file);
    finder.hits.sort_by_key(|h| h.start);
    finder.hits
}

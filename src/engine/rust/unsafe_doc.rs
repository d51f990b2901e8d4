//! `unsafe-without-safety`, after clippy's `undocumented_unsafe_blocks` and `missing_safety_doc`:
//! every `unsafe` block, impl and trait needs a `// SAFETY:` comment directly above it (above its
//! statement also counts, attributes in between are fine, a blank line breaks the link); an
//! `unsafe fn` needs a `# Safety` section in its docs (or such a comment).

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};

use crate::engine::source::{Hit, Position};

struct Finder<'a> {
    lines: Vec<&'a str>,
    /// First lines of the statements enclosing the current node, innermost last.
    statements: Vec<usize>,
    hits: Vec<Hit>,
}

pub(super) fn start(span: Span) -> Position {
    let s = span.start();
    Position {
        line: s.line as u32,
        column: s.column as u32 + 1,
    }
}

pub(super) fn end(span: Span) -> Position {
    let e = span.end();
    Position {
        line: e.line as u32,
        column: e.column as u32 + 1,
    }
}

fn says_safety(text: &str) -> bool {
    text.to_ascii_uppercase().contains("SAFETY:")
}

fn is_comment(line: &str) -> bool {
    let t = line.trim();
    // Whole comment lines only: `f(); /* … */` is code, and the search stops there.
    t.starts_with("//") || t.starts_with("/*") || t.starts_with('*')
}

fn is_attribute(line: &str) -> bool {
    let t = line.trim();
    t.starts_with("#[") || t.starts_with("#![")
}

/// `# Safety` (any heading level) in the item's doc attributes.
fn documents_safety(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().filter(|a| a.path().is_ident("doc")).any(|a| {
        let syn::Meta::NameValue(nv) = &a.meta else {
            return false;
        };
        let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s), ..
        }) = &nv.value
        else {
            return false;
        };
        s.value().lines().any(|l| {
            let t = l.trim();
            t.starts_with('#') && t.trim_start_matches('#').trim().eq_ignore_ascii_case("safety")
        })
    })
}

impl Finder<'_> {
    /// A `SAFETY:` comment on the lines directly above 1-based `line` (skipping attributes), or
    /// earlier on that line itself, before `column`.
    fn commented_above(&self, line: usize, column: usize) -> bool {
        let Some(this) = self.lines.get(line.wrapping_sub(1)) else {
            return false;
        };
        let before: String = this.chars().take(column).collect();
        if says_safety(&before) {
            return true;
        }
        let mut index = line.saturating_sub(1);
        while index > 0 {
            index -= 1;
            let text = self.lines.get(index).copied().unwrap_or("");
            if is_attribute(text) {
                continue;
            }
            if !is_comment(text) {
                return false;
            }
            if says_safety(text) {
                return true;
            }
        }
        false
    }

    fn documented(&self, span: Span) -> bool {
        let s = span.start();
        self.commented_above(s.line, s.column)
            || self
                .statements
                .last()
                .is_some_and(|&stmt| stmt != s.line && self.commented_above(stmt, 0))
    }

    fn report(&mut self, span: Span, what: String) {
        if !self.documented(span) {
            self.hits.push(Hit {
                start: start(span),
                end: end(span),
                detail: Some(what),
            });
        }
    }

    fn unsafe_fn(&mut self, attrs: &[syn::Attribute], sig: &syn::Signature) {
        if let Some(token) = &sig.unsafety
            && !documents_safety(attrs)
            && !self.documented(token.span)
        {
            let detail = format!("unsafe fn `{}` has no `# Safety` doc section", sig.ident);
            self.hits.push(Hit {
                start: start(token.span),
                end: end(sig.ident.span()),
                detail: Some(detail),
            });
        }
    }
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_stmt(&mut self, stmt: &'ast syn::Stmt) {
        self.statements.push(stmt.span().start().line);
        visit::visit_stmt(self, stmt);
        self.statements.pop();
    }

    fn visit_expr_unsafe(&mut self, e: &'ast syn::ExprUnsafe) {
        self.report(
            e.unsafe_token.span,
            "unsafe block without a `// SAFETY:` comment".into(),
        );
        visit::visit_expr_unsafe(self, e);
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.unsafe_fn(&f.attrs, &f.sig);
        // A function's body is a new context: its statements are not the item's.
        let outer = std::mem::take(&mut self.statements);
        visit::visit_item_fn(self, f);
        self.statements = outer;
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.unsafe_fn(&f.attrs, &f.sig);
        visit::visit_impl_item_fn(self, f);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        self.unsafe_fn(&f.attrs, &f.sig);
        visit::visit_trait_item_fn(self, f);
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if let Some(token) = &i.unsafety {
            let what = match &i.trait_ {
                Some((_, path, _)) => quote::ToTokens::to_token_stream(path).to_string(),
                None => "impl".into(),
            };
            self.report(
                token.span,
                format!("unsafe impl of `{what}` without a `// SAFETY:` comment"),
            );
        }
        visit::visit_item_impl(self, i);
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        if let Some(token) = &t.unsafety
            && !documents_safety(&t.attrs)
        {
            self.report(
                token.span,
                format!("unsafe trait `{}` has no `# Safety` doc section", t.ident),
            );
        }
        visit::visit_item_trait(self, t);
    }
}

pub(super) fn check(file: &syn::File, text: &str) -> Vec<Hit> {
    let mut finder = Finder {
        lines: text.lines().collect(),
        statements: Vec::new(),
        hits: Vec::new(),
    };
    finder.visit_file(file);
    finder.hits
}

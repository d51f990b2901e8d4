//! `public-api-changed`: the public items of a file at base and at head, each with a normalised
//! signature (token text without attributes or bodies). A pub item gone at head is reported on
//! line 1; a changed signature at the item's name at head. Order of items does not matter.

use std::collections::BTreeMap;

use proc_macro2::Span;
use quote::ToTokens;

use super::panics::is_test_only;
use super::parse::with_file;
use super::unsafe_doc::{end, start};
use crate::engine::diff::code::shorten;
use crate::engine::source::{Hit, Position, SourceFile};

/// One public item: its signature and where its name is.
struct Item {
    signature: String,
    at: (Position, Position),
}

/// Items by "kind path", e.g. `fn crate::store::Store::open`.
type Api = BTreeMap<String, Vec<Item>>;

/// The module path of a file from its location: `src/a/b.rs` → `crate::a::b`.
pub(crate) fn module_path(path: &str) -> String {
    let rel = path.rsplit_once("src/").map_or(path, |(_, rel)| rel);
    let rel = rel.strip_suffix(".rs").unwrap_or(rel);
    let mut parts: Vec<&str> = vec!["crate"];
    parts.extend(rel.split('/').filter(|p| !p.is_empty()));
    if matches!(parts.last(), Some(&("lib" | "main" | "mod"))) {
        parts.pop();
    }
    parts.join("::")
}

fn tokens(t: &impl ToTokens) -> String {
    t.to_token_stream().to_string()
}

/// Generics and every variant (all are public), without attributes such as doc comments.
fn enum_signature(e: &syn::ItemEnum) -> String {
    let variants: Vec<String> = e
        .variants
        .iter()
        .map(|v| {
            let fields: Vec<String> = v
                .fields
                .iter()
                .map(|f| match &f.ident {
                    Some(name) => format!("{name} : {}", tokens(&f.ty)),
                    None => tokens(&f.ty),
                })
                .collect();
            let discriminant = v
                .discriminant
                .as_ref()
                .map(|(_, e)| format!(" = {}", tokens(e)))
                .unwrap_or_default();
            match &v.fields {
                syn::Fields::Named(_) => format!("{} {{ {} }}{discriminant}", v.ident, fields.join(" , ")),
                syn::Fields::Unnamed(_) => format!("{} ( {} ){discriminant}", v.ident, fields.join(" , ")),
                syn::Fields::Unit => format!("{}{discriminant}", v.ident),
            }
        })
        .collect();
    format!(
        "{} {} {{ {} }}",
        tokens(&e.generics),
        tokens(&e.generics.where_clause),
        variants.join(" , ")
    )
}

fn public(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

struct Collector {
    api: Api,
}

impl Collector {
    fn add(&mut self, kind: &str, path: String, signature: String, name: Span) {
        let at = (start(name), end(name));
        self.api
            .entry(format!("{kind} {path}"))
            .or_default()
            .push(Item { signature, at });
    }

    fn items(&mut self, module: &str, items: &[syn::Item]) {
        for item in items {
            self.item(module, item);
        }
    }

    fn item(&mut self, module: &str, item: &syn::Item) {
        use syn::Item as I;
        let path = |ident: &syn::Ident| format!("{module}::{ident}");
        match item {
            I::Fn(f) if public(&f.vis) && !is_test_only(&f.attrs) => {
                self.add("fn", path(&f.sig.ident), tokens(&f.sig), f.sig.ident.span());
            }
            I::Struct(s) if public(&s.vis) && !is_test_only(&s.attrs) => {
                let header = format!("{} {}", tokens(&s.generics), tokens(&s.generics.where_clause));
                self.add("struct", path(&s.ident), header, s.ident.span());
                for (i, field) in s.fields.iter().enumerate().filter(|(_, f)| public(&f.vis)) {
                    let name = field.ident.as_ref().map_or_else(|| i.to_string(), ToString::to_string);
                    let span = field
                        .ident
                        .as_ref()
                        .map_or_else(|| field.ty.span_of(), syn::Ident::span);
                    self.add("field", format!("{}::{name}", path(&s.ident)), tokens(&field.ty), span);
                }
            }
            I::Enum(e) if public(&e.vis) && !is_test_only(&e.attrs) => {
                self.add("enum", path(&e.ident), enum_signature(e), e.ident.span());
            }
            I::Trait(t) if public(&t.vis) && !is_test_only(&t.attrs) => {
                let header = format!(
                    "{} {} : {} {}",
                    tokens(&t.unsafety),
                    tokens(&t.generics),
                    tokens(&t.supertraits),
                    tokens(&t.generics.where_clause)
                );
                let trait_path = path(&t.ident);
                self.add("trait", trait_path.clone(), header, t.ident.span());
                for ti in &t.items {
                    match ti {
                        syn::TraitItem::Fn(f) => self.add(
                            "fn",
                            format!("{trait_path}::{}", f.sig.ident),
                            tokens(&f.sig),
                            f.sig.ident.span(),
                        ),
                        syn::TraitItem::Const(c) => self.add(
                            "const",
                            format!("{trait_path}::{}", c.ident),
                            tokens(&c.ty),
                            c.ident.span(),
                        ),
                        syn::TraitItem::Type(ty) => {
                            let sig = format!("{} {}", tokens(&ty.generics), tokens(&ty.bounds));
                            self.add("type", format!("{trait_path}::{}", ty.ident), sig, ty.ident.span());
                        }
                        _ => {}
                    }
                }
            }
            I::Const(c) if public(&c.vis) => self.add("const", path(&c.ident), tokens(&c.ty), c.ident.span()),
            I::Static(s) if public(&s.vis) => {
                self.add(
                    "static",
                    path(&s.ident),
                    format!("{} {}", tokens(&s.mutability), tokens(&s.ty)),
                    s.ident.span(),
                );
            }
            I::Type(t) if public(&t.vis) => {
                let sig = format!("{} = {}", tokens(&t.generics), tokens(&t.ty));
                self.add("type", path(&t.ident), sig, t.ident.span());
            }
            I::Mod(m) if public(&m.vis) && !is_test_only(&m.attrs) => {
                self.add("mod", path(&m.ident), String::new(), m.ident.span());
                if let Some((_, content)) = &m.content {
                    self.items(&path(&m.ident), content);
                }
            }
            I::Use(u) if public(&u.vis) => {
                self.add(
                    "use",
                    format!("{module}::{{{}}}", tokens(&u.tree)),
                    String::new(),
                    u.use_token.span,
                );
            }
            I::Macro(m) if m.attrs.iter().any(|a| a.path().is_ident("macro_export")) => {
                if let Some(ident) = &m.ident {
                    self.add("macro", format!("crate::{ident}"), String::new(), ident.span());
                }
            }
            I::Impl(i) if !is_test_only(&i.attrs) => self.impl_block(module, i),
            _ => {}
        }
    }

    fn impl_block(&mut self, module: &str, i: &syn::ItemImpl) {
        let self_ty = tokens(&i.self_ty);
        let generics = format!("{} {}", tokens(&i.generics), tokens(&i.generics.where_clause));
        if let Some((bang, trait_path, _)) = &i.trait_ {
            // A trait implementation is public whenever the trait and the type are.
            let name = format!(
                "{module}::{{{}{} for {self_ty}}}",
                if bang.is_some() { "!" } else { "" },
                tokens(trait_path)
            );
            self.add("impl", name, generics, i.impl_token.span);
            return;
        }
        for item in &i.items {
            match item {
                syn::ImplItem::Fn(f) if public(&f.vis) && !is_test_only(&f.attrs) => {
                    let sig = format!("{generics} {}", tokens(&f.sig));
                    self.add(
                        "fn",
                        format!("{module}::{self_ty}::{}", f.sig.ident),
                        sig,
                        f.sig.ident.span(),
                    );
                }
                syn::ImplItem::Const(c) if public(&c.vis) => {
                    self.add(
                        "const",
                        format!("{module}::{self_ty}::{}", c.ident),
                        tokens(&c.ty),
                        c.ident.span(),
                    );
                }
                _ => {}
            }
        }
    }
}

trait SpanOf {
    fn span_of(&self) -> Span;
}

impl<T: ToTokens> SpanOf for T {
    fn span_of(&self) -> Span {
        syn::spanned::Spanned::span(self)
    }
}

/// The public API of a file. Signatures are compared as text, so they are rendered (with
/// positions) on the parsing thread.
fn api_of(file: &SourceFile<'_>) -> Result<Api, String> {
    let module = module_path(file.path);
    with_file(file.text, |parsed| {
        let mut collector = Collector { api: Api::new() };
        collector.items(&module, &parsed.items);
        collector.api
    })
}

pub(super) fn check(head: &SourceFile<'_>, base: &SourceFile<'_>) -> Result<Vec<Hit>, String> {
    // Unchanged, or nothing public to lose: no need to parse.
    if base.text == head.text || !base.text.contains("pub") {
        return Ok(Vec::new());
    }
    let before = api_of(base).map_err(|e| format!("at base: {e}"))?;
    // A deleted file removes everything; an unparsable head is not judged.
    let after = if head.text.is_empty() {
        Api::new()
    } else {
        api_of(head)?
    };
    let line1 = (Position { line: 1, column: 1 }, Position { line: 1, column: 1 });
    let mut hits = Vec::new();
    for (key, was) in &before {
        let (kind, path) = key.split_once(' ').unwrap_or(("item", key));
        let Some(now) = after.get(key) else {
            hits.push(Hit {
                start: line1.0,
                end: line1.1,
                detail: Some(format!("pub {kind} `{path}` removed")),
            });
            continue;
        };
        for item in now.iter().filter(|n| !was.iter().any(|w| w.signature == n.signature)) {
            let old = was
                .first()
                .map(|w| shorten(w.signature.trim(), 100))
                .unwrap_or_default();
            let detail = format!(
                "signature of pub {kind} `{path}` changed: `{old}` → `{}`",
                shorten(item.signature.trim(), 100)
            );
            hits.push(Hit {
                start: item.at.0,
                end: item.at.1,
                detail: Some(detail),
            });
        }
    }
    hits.sort_by_key(|h| h.start);
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::module_path;

    #[test]
    fn module_paths_follow_the_file_layout() {
        assert_eq!(module_path("src/lib.rs"), "crate");
        assert_eq!(module_path("crates/x/src/store/mod.rs"), "crate::store");
        assert_eq!(module_path("src/a/b.rs"), "crate::a::b");
    }
}

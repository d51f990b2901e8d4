//! The syn-based Rust checks, called directly.

use aigate::engine::lang::Lang;
use aigate::engine::rust::{RustSpec, check, try_check, unparsable};
use aigate::engine::source::SourceFile;

fn run_at(yaml: &str, path: &str, base: Option<&str>, head: &str) -> Vec<(u32, u32, String)> {
    let spec: RustSpec = serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"));
    spec.validate().expect("valid options");
    let base = base.map(|text| SourceFile {
        path,
        lang: Some(Lang::Rust),
        text,
    });
    let head = SourceFile {
        path,
        lang: Some(Lang::Rust),
        text: head,
    };
    check(&spec, &head, base.as_ref())
        .into_iter()
        .map(|h| (h.start.line, h.start.column, h.detail.unwrap_or_default()))
        .collect()
}

fn lines(hits: &[(u32, u32, String)]) -> Vec<u32> {
    hits.iter().map(|h| h.0).collect()
}

const UNSAFE: &str = "check: unsafe-without-safety";

#[test]
fn unsafe_blocks_need_a_safety_comment_directly_above() {
    let text = r#"
fn a(p: *const u8) -> u8 {
    // SAFETY: p comes from a live Box.
    unsafe { *p }
}

fn b(p: *const u8) -> u8 {
    unsafe { *p }
}

fn c(p: *const u8) -> u8 {
    // SAFETY: the caller guarantees p.

    unsafe { *p }
}

fn d(p: *const u8) -> u8 {
    // SAFETY: checked above,
    // and p is aligned.
    let x = unsafe { *p };
    x
}

fn e(p: *const u8) -> u8 {
    let s = "SAFETY:";
    unsafe { *p }
}

fn f(p: *const u8) -> u8 {
    // SAFETY: p is valid for reads.
    let v = g(
        1,
        unsafe { *p },
    );
    v
}
"#;
    let hits = run_at(UNSAFE, "src/lib.rs", None, text);
    // b: none; c: a blank line breaks the link (as in clippy); e: a string is not a comment.
    assert_eq!(lines(&hits), vec![8, 14, 26], "{hits:?}");
    assert_eq!(hits[0].1, 5, "the hit is on the `unsafe` keyword");
    assert!(hits[0].2.contains("unsafe block"));
}

#[test]
fn unsafe_fn_impl_and_trait() {
    let text = r#"
/// Reads a byte.
///
/// # Safety
/// `p` must be valid.
pub unsafe fn documented(p: *const u8) -> u8 { unsafe { *p } }

/// Reads a byte.
pub unsafe fn undocumented(p: *const u8) -> u8 { 0 }

struct S;
// SAFETY: S has no fields.
unsafe impl Send for S {}
unsafe impl Sync for S {}

#[derive(Clone)]
// SAFETY: no interior pointers.
#[repr(C)]
struct T;
"#;
    let hits = run_at(UNSAFE, "src/lib.rs", None, text);
    // The block inside `documented` is on the fn's line, whose docs are not a SAFETY comment.
    assert_eq!(lines(&hits), vec![6, 9, 14], "{hits:?}");
    assert!(hits[1].2.contains("unsafe fn `undocumented`"));
    assert!(hits[2].2.contains("unsafe impl of `Sync`"));
    assert!(run_at(UNSAFE, "src/lib.rs", None, "fn safe() {}\n").is_empty());
    let block = "fn g(p: *const u8) -> u8 {\n    /* SAFETY: p is valid\n     * for reads. */\n    unsafe { *p }\n}\n";
    assert!(run_at(UNSAFE, "src/lib.rs", None, block).is_empty());
    let trailing = "fn g(p: *const u8) -> u8 {\n    // SAFETY: stale, about the line below\n    let q = p; /* moved */\n    unsafe { *q }\n}\n";
    assert_eq!(lines(&run_at(UNSAFE, "src/lib.rs", None, trailing)), vec![4]);
}

const PANICS: &str = "check: panic-in-library";

#[test]
fn panics_in_library_code_are_reported() {
    let text = r#"
pub fn parse(s: &str) -> u32 {
    let n = s.parse::<u32>().unwrap();
    let m = s.len().checked_add(1).expect("fits");
    if n == 0 { panic!("zero"); }
    let _ = format!("{}", s.parse::<u8>().unwrap());
    n + m as u32 + x.unwrap_or(0)
}

pub fn later() { todo!() }

fn main() { "1".parse::<u8>().unwrap(); }

#[cfg(test)]
mod tests {
    #[test]
    fn t() { "1".parse::<u8>().unwrap(); }
}

#[cfg(all(test, feature = "x"))]
fn helper() { None::<u8>.unwrap(); }

#[cfg(not(test))]
fn prod() { None::<u8>.unwrap(); }

#[tokio::test]
async fn at() { None::<u8>.unwrap(); }
"#;
    let hits = run_at(PANICS, "src/parse.rs", None, text);
    assert_eq!(lines(&hits), vec![3, 4, 5, 6, 10, 24], "{hits:?}");
    assert_eq!(hits[0].2, "`.unwrap()` may panic in library code");
    assert_eq!(hits[2].2, "`panic!` panics in library code");
}

#[test]
fn panics_outside_library_paths_and_configured_lists() {
    let text = "pub fn f() { None::<u8>.unwrap(); }\n";
    for path in [
        "tests/it.rs",
        "benches/b.rs",
        "examples/e.rs",
        "build.rs",
        "src/main.rs",
        "src/bin/tool.rs",
        "crates/x/tests/a.rs",
    ] {
        assert!(run_at(PANICS, path, None, text).is_empty(), "{path}");
    }
    assert_eq!(run_at(PANICS, "crates/x/src/lib.rs", None, text).len(), 1);
    let custom = "check: panic-in-library\ncalls: [expect]\nexclude: ['xtask/**']";
    assert!(run_at(custom, "src/lib.rs", None, text).is_empty(), "unwrap not listed");
    assert!(run_at(custom, "xtask/src/lib.rs", None, "pub fn f() { x.expect(\"y\"); }\n").is_empty());
    assert!(serde_saphyr::from_str::<RustSpec>("check: panic-in-library\nfoo: 1").is_err());
    assert!(serde_saphyr::from_str::<RustSpec>("check: unsafe-without-safety\ncalls: [x]").is_err());
}

const API: &str = "check: public-api-changed";

const BASE_API: &str = r#"
pub fn open(path: &str) -> Result<Store, Error> { todo!() }
pub fn close() {}
fn private() {}
pub struct Store { pub root: String, cache: u32 }
pub enum Mode { Read, Write }
impl Store {
    pub fn get(&self, key: &str) -> Option<&str> { None }
    fn internal(&self) {}
}
pub mod nested {
    pub fn inner() {}
}
"#;

#[test]
fn removed_and_changed_public_items_are_reported() {
    let head = r#"
pub fn open(path: &std::path::Path) -> Result<Store, Error> { todo!() }
pub struct Store { pub root: String, cache: u64 }
pub enum Mode { Read, Write, Append }
impl Store {
    /// Now documented.
    pub fn get(&self, key: &str) -> Option<&str> { Some("x") }
}
pub mod nested {}
"#;
    let hits = run_at(API, "src/store.rs", Some(BASE_API), head);
    let details: Vec<&str> = hits.iter().map(|h| h.2.as_str()).collect();
    assert_eq!(
        details,
        vec![
            "pub fn `crate::store::close` removed",
            "pub fn `crate::store::nested::inner` removed",
            "signature of pub fn `crate::store::open` changed: `pub fn open (path : & str) -> Result < Store , Error >` → `pub fn open (path : & std :: path :: Path) -> Result < Store , Error >`"
                .replace("pub fn open (path", "fn open (path")
                .as_str(),
            "signature of pub enum `crate::store::Mode` changed: `{ Read , Write }` → `{ Read , Write , Append }`",
        ],
        "{hits:?}"
    );
    assert_eq!((hits[2].0, hits[3].0), (2, 4), "changes are reported at head");
}

#[test]
fn reordering_private_changes_and_bodies_are_not_api_changes() {
    let head = r#"
pub mod nested {
    /// Docs added.
    pub fn inner() {}
}
impl Store {
    fn internal(&self, extra: u8) {}
    pub fn get(&self, key: &str) -> Option<&str> { Some(key) }
}
pub enum Mode { Read, Write }
pub struct Store { cache: u64, pub root: String }
fn private(x: u8) {}
pub fn close() { println!("bye") }
pub fn open(path: &str) -> Result<Store, Error> { unimplemented!() }
pub fn added() {}
"#;
    assert!(run_at(API, "src/store.rs", Some(BASE_API), head).is_empty());
    assert!(
        run_at(API, "src/store.rs", None, head).is_empty(),
        "no base, nothing to compare"
    );
    // A deleted file removes its API; an unparsable head is not judged.
    assert_eq!(run_at(API, "src/store.rs", Some(BASE_API), "").len(), 8);
    assert!(run_at(API, "src/store.rs", Some(BASE_API), "pub fn broken( {").is_empty());
}

#[test]
fn unparsable_and_deeply_nested_files_are_skipped_without_overflow() {
    assert!(unparsable("fn ok() {}").is_none());
    let broken = unparsable("fn x( {").unwrap_or_default();
    assert!(broken.contains("line 1"), "{broken}");
    // 100k nested parentheses: refused by the cheap pre-check.
    let deep = format!(
        "pub fn f() -> u8 {{ {}1{}.unwrap() }}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    assert!(run_at(PANICS, "src/lib.rs", None, &deep).is_empty());
    assert!(
        unparsable(&deep)
            .unwrap_or_default()
            .contains("brackets nest 100001 deep")
    );
    // Nesting below the limit still parses, on a thread with a big stack.
    let nested = format!(
        "pub fn f() -> u8 {{ {}x.unwrap(){} }}",
        "(".repeat(1_990),
        ")".repeat(1_990)
    );
    assert_eq!(run_at(PANICS, "src/lib.rs", None, &nested).len(), 1);

    // try_check says why instead of returning a clean result.
    let spec: RustSpec = serde_saphyr::from_str(PANICS).expect("valid spec");
    let file = |text| SourceFile {
        path: "src/lib.rs",
        lang: Some(Lang::Rust),
        text,
    };
    let why = try_check(&spec, &file("pub fn f( { x.unwrap()"), None).expect_err("syntax error");
    assert!(why.starts_with("syntax error at line 1"), "{why}");
    // Text that names no panicking call needs no parse: there is nothing to find in it.
    assert_eq!(try_check(&spec, &file("pub fn f( {"), None), Ok(Vec::new()));
    assert!(
        try_check(&spec, &file(&deep), None)
            .expect_err("too deep")
            .contains("more than")
    );
    let api: RustSpec = serde_saphyr::from_str(API).expect("valid spec");
    let why = try_check(&api, &file("pub fn f() {}"), Some(&file("pub fn f( {"))).expect_err("base broken");
    assert!(why.starts_with("at base: syntax error"), "{why}");
    assert_eq!(try_check(&spec, &file("pub fn f() {}"), None), Ok(Vec::new()));
}

//! Parsing with syn without risking the stack: syn (and our visitors) recurse once per nesting
//! level, so deeply nested input could overflow the thread's stack. Files nested deeper than
//! [`MAX_NESTING`] are not parsed; moderately nested ones run on a thread with a large stack.

/// Bracket nesting above which a file is not parsed (no real code comes close).
pub const MAX_NESTING: usize = 2_000;

/// Nesting up to which the caller's stack is enough.
const SHALLOW: usize = 64;

const BIG_STACK: usize = 256 << 20;

/// The deepest bracket nesting in `text`, counted on raw bytes (brackets in strings and comments
/// count too, which can only overestimate).
pub(crate) fn nesting(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Parses `text` and runs `f` on it; `None` when the file cannot be parsed.
pub(crate) fn with_file<T: Send>(text: &str, f: impl FnOnce(&syn::File) -> T + Send) -> Option<T> {
    let depth = nesting(text);
    if depth > MAX_NESTING {
        return None;
    }
    let run = move || syn::parse_file(text).ok().map(|file| f(&file));
    if depth <= SHALLOW {
        return run();
    }
    std::thread::scope(|scope| {
        std::thread::Builder::new().stack_size(BIG_STACK).spawn_scoped(scope, run).ok()?.join().ok().flatten()
    })
}

/// Why a Rust file cannot be checked, or `None` when it parses.
pub fn unparsable(text: &str) -> Option<String> {
    let depth = nesting(text);
    if depth > MAX_NESTING {
        return Some(format!("nested {depth} brackets deep (more than {MAX_NESTING}); not parsed"));
    }
    let error = with_file(text, |_| ()).is_none();
    if !error {
        return None;
    }
    let message = std::thread::scope(|scope| {
        let parse = move || syn::parse_file(text).err().map(|e| (e.span().start(), e.to_string()));
        std::thread::Builder::new().stack_size(BIG_STACK).spawn_scoped(scope, parse).ok()?.join().ok().flatten()
    });
    Some(match message {
        Some((at, e)) => format!("syntax error at line {}, column {}: {e}", at.line, at.column + 1),
        None => "could not be parsed".to_owned(),
    })
}

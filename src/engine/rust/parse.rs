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

/// Parses `text` and runs `f` on it; the error says why the file could not be parsed.
pub(crate) fn with_file<T: Send>(text: &str, f: impl FnOnce(&syn::File) -> T + Send) -> Result<T, String> {
    let depth = nesting(text);
    if depth > MAX_NESTING {
        return Err(format!(
            "brackets nest {depth} deep (more than {MAX_NESTING}); not parsed"
        ));
    }
    // syn's values are not `Send`: the error is rendered on the thread that parsed.
    let run = move || match syn::parse_file(text) {
        Ok(file) => Ok(f(&file)),
        Err(e) => {
            let at = e.span().start();
            Err(format!(
                "syntax error at line {}, column {}: {e}",
                at.line,
                at.column + 1
            ))
        }
    };
    if depth <= SHALLOW {
        return run();
    }
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .stack_size(BIG_STACK)
            .spawn_scoped(scope, run)
            .map_err(|e| format!("could not start a parsing thread: {e}"))?;
        worker
            .join()
            .unwrap_or_else(|_| Err("the parser failed on this file".to_owned()))
    })
}

/// Why a Rust file cannot be checked, or `None` when it parses.
pub fn unparsable(text: &str) -> Option<String> {
    with_file(text, |_| ()).err()
}

//! The trailer block of a commit message, parsed exactly as git parses it
//! (`git interpret-trailers --parse`, `%(trailers:only,unfold)`).
//!
//! This is a port of git's `trailer.c` (`find_end_of_log_message`, `find_trailer_block_start`,
//! `find_separator`, `trailer_info_get`, `parse_trailers`, `unfold_value`), `commit.c`
//! (`ignored_log_message_bytes`) and `wt-status.c` (`wt_status_locate_end`), with git's default
//! configuration: `trailer.separators = ":"`, `core.commentChar = '#'`, no `trailer.<key>.*`
//! entries. Like git it works on bytes: only ASCII letters and digits are alphanumeric, and
//! whitespace is git's `isspace` (space, tab, LF, CR). Every split point is an ASCII byte, so the
//! `&str` slices below always fall on character boundaries.

/// Options that differ between git's trailer readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Stop the log message at the first `---` line followed by whitespace (the patch part of a
    /// `format-patch` mail). `git interpret-trailers` does this unless `--no-divider`; git's
    /// commit formatting (`%(trailers)`, `git log`) does not, because a commit message has no
    /// patch part.
    pub divider: bool,
    /// Append a newline to input that lacks one before parsing, as `git interpret-trailers`
    /// does when it reads its input (commit messages are parsed as stored).
    pub final_newline: bool,
    /// Skip whitespace-only lines at the start, as git's commit formatting does before it looks
    /// for the subject (`pretty.c`'s `skip_blank_lines`).
    pub skip_leading_blank_lines: bool,
}

impl ParseOptions {
    /// How `%(trailers:only,unfold)` reads a commit message.
    pub const COMMIT: ParseOptions = ParseOptions {
        divider: false,
        final_newline: false,
        skip_leading_blank_lines: true,
    };
    /// How `git interpret-trailers --parse` reads its input.
    pub const INTERPRET_TRAILERS: ParseOptions = ParseOptions {
        divider: true,
        final_newline: true,
        skip_leading_blank_lines: false,
    };
}

/// Parses the trailers of a commit message: `(key, value)` pairs, keys as written, values unfolded,
/// exactly as `git log --format='%(trailers:only,unfold)'` shows them.
pub fn parse(message: &str) -> Vec<(String, String)> {
    parse_with(message, ParseOptions::COMMIT)
}

/// [`parse`] with explicit options (see [`ParseOptions`]).
pub fn parse_with(message: &str, options: ParseOptions) -> Vec<(String, String)> {
    if options.final_newline && !message.is_empty() && !message.ends_with('\n') {
        return parse_with(
            &format!("{message}\n"),
            ParseOptions {
                final_newline: false,
                ..options
            },
        );
    }
    let message = if options.skip_leading_blank_lines {
        skip_blank_lines(message)
    } else {
        message
    };
    let end = find_end_of_log_message(message.as_bytes(), !options.divider);
    let start = find_trailer_block_start(message.as_bytes(), end);
    trailer_strings(&message[start..end])
        .into_iter()
        .filter(|line| !line.starts_with(COMMENT))
        .filter_map(|line| {
            let sep = find_separator(line.as_bytes())?;
            let key = trim(&line[..sep]);
            let value = unfold(trim(&line[sep + 1..]));
            Some((key.to_owned(), value))
        })
        .collect()
}

const SEPARATORS: &[u8] = b":";
const COMMENT: &str = "#";
/// Trailers git itself writes; one of them lets a block with prose in it count as trailers.
const GIT_GENERATED_PREFIXES: [&str; 2] = ["Signed-off-by: ", "(cherry picked from commit "];
/// `wt-status.c`'s scissors line, preceded by `\n` and the comment prefix.
const CUT_LINE: &str = "\n# ------------------------ >8 ------------------------\n";

/// git's `isspace`: its own ctype table, narrower than C's (no VT, no FF).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_ascii() && is_space(c as u8))
}

fn skip_blank_lines(mut text: &str) -> &str {
    while !text.is_empty() {
        let line_len = next_line(text.as_bytes(), 0);
        if !text.as_bytes()[..line_len].iter().all(|&b| is_space(b)) {
            break;
        }
        text = &text[line_len..];
    }
    text
}

/// Offset just past the newline ending the line at `pos` (or the end of the text).
fn next_line(buf: &[u8], pos: usize) -> usize {
    match memchr::memchr(b'\n', &buf[pos..]) {
        Some(i) => pos + i + 1,
        None => buf.len(),
    }
}

/// Start of the last line of `buf[..len]`; a final newline belongs to that last line.
fn last_line(buf: &[u8], len: usize) -> Option<usize> {
    match len {
        0 => None,
        1 => Some(0),
        _ => Some(memchr::memrchr(b'\n', &buf[..len - 1]).map_or(0, |i| i + 1)),
    }
}

/// Whether the line at `pos` holds only whitespace (the text ends like a NUL-terminated C string).
fn is_blank_line(buf: &[u8], pos: usize) -> bool {
    buf[pos..].iter().take_while(|&&b| b != b'\n').all(|&b| is_space(b))
}

/// `find_separator`: the offset of the separator of a `<token><optional whitespace><separator>`
/// line; `None` when the line is not of that form or the token would be empty (git's -1 and 0).
fn find_separator(line: &[u8]) -> Option<usize> {
    let mut whitespace_found = false;
    for (i, &c) in line.iter().enumerate() {
        if SEPARATORS.contains(&c) {
            return (i > 0).then_some(i);
        }
        if !whitespace_found && (c.is_ascii_alphanumeric() || c == b'-') {
            continue;
        }
        if i != 0 && (c == b' ' || c == b'\t') {
            whitespace_found = true;
            continue;
        }
        break;
    }
    None
}

/// `wt_status_locate_end`: where a `git commit -v` scissors line cuts the message.
fn locate_scissors(buf: &[u8], len: usize) -> usize {
    let cut = CUT_LINE.as_bytes();
    if buf.starts_with(&cut[1..]) {
        return 0;
    }
    match memchr::memmem::find(buf, cut) {
        Some(p) if p + 1 < len => p + 1,
        _ => len,
    }
}

/// `ignored_log_message_bytes`: trailing comment lines, blank lines, an old `Conflicts:` block and
/// anything below a scissors line are not part of the log message.
fn ignored_log_message_bytes(buf: &[u8], len: usize) -> usize {
    let cutoff = locate_scissors(buf, len);
    // `boc` (beginning of comments) uses 0 for "none", as git does.
    let (mut boc, mut bol, mut in_old_conflicts_block) = (0, 0, false);
    while bol < cutoff {
        let next = memchr::memchr(b'\n', &buf[bol..len]).map_or(len, |i| bol + i + 1);
        if buf[bol..cutoff].starts_with(COMMENT.as_bytes()) || buf[bol] == b'\n' {
            if boc == 0 {
                boc = bol;
            }
        } else if buf[bol..].starts_with(b"Conflicts:\n") {
            in_old_conflicts_block = true;
            if boc == 0 {
                boc = bol;
            }
        } else if in_old_conflicts_block && buf[bol] == b'\t' {
            // a path of the conflicts block
        } else if boc != 0 {
            boc = 0;
            in_old_conflicts_block = false;
        }
        bol = next;
    }
    if boc != 0 { len - boc } else { len - cutoff }
}

/// `find_end_of_log_message`: the patch part (with the divider) and the ignorable tail are cut.
fn find_end_of_log_message(buf: &[u8], no_divider: bool) -> usize {
    let mut end = buf.len();
    if !no_divider {
        let mut s = 0;
        while s < buf.len() {
            if buf[s..].starts_with(b"---") && buf.get(s + 3).is_some_and(|&b| is_space(b)) {
                end = s;
                break;
            }
            s = next_line(buf, s);
        }
    }
    end - ignored_log_message_bytes(buf, end)
}

/// `find_trailer_block_start`: the offset of the first trailer line, or `len` when the last
/// paragraph is not a trailer block. A block counts when all its lines are trailers, or when it
/// has a git-generated trailer and at least 25% of its lines are trailers.
fn find_trailer_block_start(buf: &[u8], len: usize) -> usize {
    let comment = COMMENT.as_bytes();
    // The first paragraph is the title and cannot be trailers.
    let mut s = 0;
    while s < len {
        if !buf[s..len].starts_with(comment) && is_blank_line(buf, s) {
            break;
        }
        s = next_line(buf, s);
    }
    let end_of_title = s;

    let mut only_spaces = true;
    let mut recognized_prefix = false;
    let (mut trailer_lines, mut non_trailer_lines) = (0usize, 0usize);
    // Indented lines: continuations if a trailer comes above them, prose otherwise.
    let mut possible_continuation_lines = 0usize;
    let mut cursor = last_line(buf, len);
    while let Some(bol) = cursor.filter(|&l| l >= end_of_title) {
        cursor = last_line(buf, bol);
        if buf[bol..len].starts_with(comment) {
            non_trailer_lines += possible_continuation_lines;
            possible_continuation_lines = 0;
            continue;
        }
        if is_blank_line(buf, bol) {
            if only_spaces {
                continue;
            }
            non_trailer_lines += possible_continuation_lines;
            let is_block = (recognized_prefix && trailer_lines * 3 >= non_trailer_lines)
                || (trailer_lines > 0 && non_trailer_lines == 0);
            return if is_block { next_line(buf, bol) } else { len };
        }
        only_spaces = false;

        let line = &buf[bol..];
        if GIT_GENERATED_PREFIXES.iter().any(|p| line.starts_with(p.as_bytes())) {
            trailer_lines += 1;
            possible_continuation_lines = 0;
            recognized_prefix = true;
        } else if find_separator(line).is_some() && !is_space(line[0]) {
            trailer_lines += 1;
            possible_continuation_lines = 0;
        } else if is_space(line[0]) {
            possible_continuation_lines += 1;
        } else {
            non_trailer_lines += 1 + possible_continuation_lines;
            possible_continuation_lines = 0;
        }
    }
    len
}

/// `trailer_info_get`: the lines of the block, each indented line appended to the trailer above it.
fn trailer_strings(block: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut last_is_trailer = false;
    for line in block.split_inclusive('\n') {
        if last_is_trailer && is_space(line.as_bytes()[0]) {
            if let Some(last) = out.last_mut() {
                last.push_str(line);
            }
            continue;
        }
        last_is_trailer = find_separator(line.as_bytes()).is_some();
        out.push(line.to_owned());
    }
    out
}

/// `unfold_value`: each newline and the whitespace after it become one space.
fn unfold(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            while chars.next_if(|&n| n.is_ascii() && is_space(n as u8)).is_some() {}
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    trim(&out).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn last_paragraph_of_trailers() {
        let msg = "Subject\n\nBody text.\n\nCo-Authored-By: Claude <noreply@anthropic.com>\nReviewed-by: A <a@b>\n";
        assert_eq!(
            parse(msg),
            pairs(&[
                ("Co-Authored-By", "Claude <noreply@anthropic.com>"),
                ("Reviewed-by", "A <a@b>")
            ])
        );
    }

    #[test]
    fn title_is_never_trailers() {
        assert!(parse("Fix: a thing\n").is_empty());
        assert!(parse("Key: value\nOther: value\n").is_empty());
    }

    #[test]
    fn prose_in_block_needs_git_generated_trailer_and_25_percent() {
        // 1 trailer, 1 prose line, no Signed-off-by: not a block.
        assert!(parse("S\n\nsome prose\nKey: v\n").is_empty());
        // Signed-off-by and 1 of 4 lines trailers: a block (25%).
        let msg = "S\n\nprose one\nprose two\nprose three\nSigned-off-by: A <a@b>\n";
        assert_eq!(parse(msg), pairs(&[("Signed-off-by", "A <a@b>")]));
        // 1 of 5: below 25%.
        let msg = "S\n\np1\np2\np3\np4\nSigned-off-by: A <a@b>\n";
        assert!(parse(msg).is_empty());
    }

    #[test]
    fn signed_off_by_prefix_is_case_sensitive() {
        // Lowercase is an ordinary trailer, so the prose line defeats the block.
        assert!(parse("S\n\nprose\nsigned-off-by: A <a@b>\n").is_empty());
    }

    #[test]
    fn continuation_lines_unfold() {
        let msg = "S\n\nKey: first\n  second\n\tthird\nOther: x\n";
        assert_eq!(parse(msg), pairs(&[("Key", "first second third"), ("Other", "x")]));
    }

    #[test]
    fn key_rules_follow_find_separator() {
        let msg = "S\n\nKey : spaced\nTwo words: no\n";
        // "Two words: no" is not a trailer, so the block is not all trailers.
        assert!(parse(msg).is_empty());
        assert_eq!(parse("S\n\nKey  : v\n"), pairs(&[("Key", "v")]));
        assert_eq!(parse("S\n\nKey:\n"), pairs(&[("Key", "")]));
    }

    #[test]
    fn trailing_comments_and_scissors_are_ignored() {
        let msg = "S\n\nKey: v\n# a comment\n\n# more\n";
        assert_eq!(parse(msg), pairs(&[("Key", "v")]));
        let msg = "S\n\nKey: v\n# ------------------------ >8 ------------------------\nOther: w\n";
        assert_eq!(parse(msg), pairs(&[("Key", "v")]));
    }

    #[test]
    fn divider_only_for_interpret_trailers() {
        let msg = "S\n\nKey: v\n--- \nBody: x\n";
        assert_eq!(
            parse_with(msg, ParseOptions::INTERPRET_TRAILERS),
            pairs(&[("Key", "v")])
        );
        // A commit message has no patch part: the `---` line is prose and defeats the block.
        assert!(parse(msg).is_empty());
    }

    #[test]
    fn interpret_trailers_completes_the_last_line() {
        // Without its newline, `Conflicts:` is a trailer; with it, the start of an old conflicts block.
        assert_eq!(parse("S\n\nConflicts:"), pairs(&[("Conflicts", "")]));
        assert!(parse_with("S\n\nConflicts:", ParseOptions::INTERPRET_TRAILERS).is_empty());
    }

    #[test]
    fn commit_reader_skips_leading_blank_lines() {
        // The subject is the first non-blank line, so "Key: v" is a title here, not a trailer.
        assert!(parse("\n \nKey: v\n").is_empty());
        assert_eq!(
            parse_with("\nKey: v\n", ParseOptions::INTERPRET_TRAILERS),
            pairs(&[("Key", "v")])
        );
    }

    #[test]
    fn cherry_pick_line_recognises_block() {
        let msg = "S\n\nprose\n(cherry picked from commit abc)\nKey: v\n";
        assert_eq!(parse(msg), pairs(&[("Key", "v")]));
    }

    proptest::proptest! {
        /// Any text, including multi-byte characters next to every split point, parses without
        /// panicking in every reader mode.
        #[test]
        fn never_panics(msg in "(\\PC|[\n\t\r :#-]|é|🤖){0,200}") {
            for options in [ParseOptions::COMMIT, ParseOptions::INTERPRET_TRAILERS] {
                for (key, _) in parse_with(&msg, options) {
                    proptest::prop_assert!(!key.is_empty());
                }
            }
        }
    }
}

//! Diagnostics: `path:line:col: message` plus the offending source line and a caret.
//!
//! Every stage (splitting, TOML, the action/assert language, validation, running) reports problems as
//! [`Diagnostic`]s built from byte spans into the original file text, so the author always sees the file,
//! the line and the column of the thing to fix. This module owns the span → line:col arithmetic and the
//! rendering; it knows nothing about lessons.
//!
//! A diagnostic's size is bounded whatever the input: the snippet is a window of at most
//! [`limits::MAX_SNIPPET_CHARS`] characters around the column (an ellipsis marks each cut), the message at
//! most [`limits::MAX_MESSAGE_CHARS`]; [`cap`] bounds how many one file reports.

use crate::limits;
use serde::Serialize;
use std::fmt;
use std::ops::Range;

/// One problem found in a lesson file. Lines and columns are 1-based; columns count characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub path: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
    /// The source line the problem starts on (without its newline); a line longer than
    /// [`limits::MAX_SNIPPET_CHARS`] is cut to a window around the column, each cut marked with `…`.
    pub snippet: String,
    /// 1-based character column of the caret within `snippet` (equals `col` unless the line was cut).
    pub snippet_col: usize,
    /// How many characters of `snippet` the caret underlines (at least 1).
    pub width: usize,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}:{}:{}: {}",
            self.path, self.line, self.col, self.message
        )?;
        let gutter = self.line.to_string();
        writeln!(f, "{gutter} | {}", self.snippet)?;
        let pad = " ".repeat(gutter.len());
        let lead = " ".repeat(self.snippet_col.saturating_sub(1));
        write!(f, "{pad} | {lead}{}", "^".repeat(self.width.max(1)))
    }
}

/// Maps byte offsets of one file to line/column positions and source lines.
#[derive(Clone, Debug)]
pub struct SourceMap<'a> {
    pub path: &'a str,
    pub text: &'a str,
    /// Byte offset at which each line starts.
    line_starts: Vec<usize>,
    /// Diagnostics made so far. Past [`limits::MAX_DIAGNOSTICS`] a diagnostic is only counted (no line,
    /// column or snippet is worked out), so 100,000 problems on one long line cost no more than 50.
    made: std::cell::Cell<usize>,
}

impl<'a> SourceMap<'a> {
    pub fn new(path: &'a str, text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceMap {
            path,
            text,
            line_starts,
            made: std::cell::Cell::new(0),
        }
    }

    /// 0-based line index containing `offset` (clamped to the text).
    fn line_index(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// The text of 0-based line `index`, without its line terminator.
    fn line_text(&self, index: usize) -> &'a str {
        let start = self
            .line_starts
            .get(index)
            .copied()
            .unwrap_or(self.text.len());
        let end = self
            .line_starts
            .get(index + 1)
            .copied()
            .unwrap_or(self.text.len());
        let line = self.text.get(start..end).unwrap_or("");
        line.trim_end_matches(['\n', '\r'])
    }

    /// 1-based (line, col) of a byte offset; an offset inside a multi-byte character counts as that character.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let index = self.line_index(offset);
        let start = self.line_starts.get(index).copied().unwrap_or(0);
        let offset = offset.clamp(start, self.text.len());
        let col = self
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or_else(|| {
                // `offset` fell inside a character: count the characters that start before it.
                self.text[start..]
                    .char_indices()
                    .take_while(|(i, c)| start + i + c.len_utf8() <= offset)
                    .count()
            });
        (index + 1, col + 1)
    }

    /// A diagnostic for the byte span `span` of this file.
    pub fn error(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        self.made.set(self.made.get() + 1);
        if self.made.get() > limits::MAX_DIAGNOSTICS {
            // Dropped by `cap`; only counted.
            return Diagnostic {
                path: String::new(),
                line: 0,
                col: 0,
                message: String::new(),
                snippet: String::new(),
                snippet_col: 0,
                width: 0,
            };
        }
        let (line, col) = self.position(span.start);
        let (snippet, snippet_col, room) = window(self.line_text(line - 1), col);
        let span_chars = self
            .text
            .get(span.clone())
            .map(|s| s.chars().take(limits::MAX_SNIPPET_CHARS).count())
            .unwrap_or(1);
        let width = span_chars.clamp(1, room.max(1));
        Diagnostic {
            path: self.path.to_string(),
            line,
            col,
            message: trim_chars(message.into(), limits::MAX_MESSAGE_CHARS),
            snippet,
            snippet_col,
            width,
        }
    }
}

/// For the source text of a TOML string value (quotes included): the offset in `raw` of each byte of the
/// decoded value, plus one entry for its end. Carets inside string values use it, so they land on the
/// right character after escapes (`\u0050`), in literal strings and in `'''` / `"""` strings. `None`
/// when `raw` is not a string this understands (the caller then underlines the whole value).
pub fn toml_string_offsets(raw: &str) -> Option<Vec<usize>> {
    let (delim, basic) = if raw.starts_with("\"\"\"") {
        (3, true)
    } else if raw.starts_with("'''") {
        (3, false)
    } else if raw.starts_with('"') {
        (1, true)
    } else if raw.starts_with('\'') {
        (1, false)
    } else {
        return None;
    };
    let end = raw.len().checked_sub(delim).filter(|&e| e >= delim)?;
    let mut i = delim;
    if delim == 3 {
        // A newline right after the opening delimiter is not part of the value.
        if raw[i..].starts_with("\r\n") {
            i += 2;
        } else if raw[i..].starts_with('\n') {
            i += 1;
        }
    }
    let mut out = Vec::new();
    while i < end {
        let c = raw.get(i..)?.chars().next()?;
        if basic && c == '\\' {
            let next = raw.get(i + 1..)?.chars().next()?;
            let hex = |n: usize| {
                let digits = raw.get(i + 2..i + 2 + n)?;
                char::from_u32(u32::from_str_radix(digits, 16).ok()?)
            };
            let (len, decoded) = match next {
                'b' | 't' | 'n' | 'f' | 'r' | '"' | '\\' | 'e' => (2, Some('x')),
                'x' => (4, Some(hex(2)?)),
                'u' => (6, Some(hex(4)?)),
                'U' => (10, Some(hex(8)?)),
                w if delim == 3 && w.is_whitespace() => {
                    // Line-ending backslash: it and the whitespace after it produce nothing.
                    let rest = &raw[i + 1..end];
                    let skip = rest.len() - rest.trim_start().len();
                    (1 + skip, None)
                }
                _ => return None,
            };
            if let Some(d) = decoded {
                out.extend(std::iter::repeat_n(i, d.len_utf8()));
            }
            i += len;
        } else {
            out.extend(std::iter::repeat_n(i, c.len_utf8()));
            i += c.len_utf8();
        }
    }
    out.push(i);
    Some(out)
}

/// At most [`limits::MAX_SNIPPET_CHARS`] characters of `line` around 1-based column `col`: the text, the
/// caret's column in it, and how many characters from the caret to the window's end.
fn window(line: &str, col: usize) -> (String, usize, usize) {
    let max = limits::MAX_SNIPPET_CHARS;
    let total = line.chars().count();
    if total <= max {
        return (line.to_string(), col, total.saturating_sub(col - 1));
    }
    // Keep a third of the window before the caret, so the reader sees what leads up to it.
    let first = (col - 1).saturating_sub(max / 3).min(total - max);
    let mut out = String::new();
    if first > 0 {
        out.push('…');
    }
    out.extend(line.chars().skip(first).take(max));
    if first + max < total {
        out.push('…');
    }
    let caret = col - first + usize::from(first > 0);
    (out, caret, (first + max).saturating_sub(col - 1))
}

fn trim_chars(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Bound one file's diagnostics to [`limits::MAX_DIAGNOSTICS`]: the first ones worked out in full (see
/// `SourceMap::made`), then one line saying how many more there were.
pub fn cap(diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let total = diags.len();
    if total <= limits::MAX_DIAGNOSTICS {
        return diags;
    }
    // Past the limit, `SourceMap::error` returns placeholders (line 0): never shown.
    let mut shown: Vec<Diagnostic> = diags
        .into_iter()
        .filter(|d| d.line > 0)
        .take(limits::MAX_DIAGNOSTICS)
        .collect();
    let more = total - shown.len();
    if let Some(last) = shown.last().cloned() {
        shown.push(Diagnostic {
            message: format!(
                "{more} more problem(s) not shown (at most {} are reported per file: MAX_DIAGNOSTICS)",
                limits::MAX_DIAGNOSTICS
            ),
            ..last
        });
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let map = SourceMap::new("x.md", "ab\nçd ef\n");
        assert_eq!(map.position(0), (1, 1));
        assert_eq!(map.position(3), (2, 1));
        // 'ç' is two bytes: byte 7 is the 'e' of "ef", the 4th character of line 2.
        assert_eq!(map.position(7), (2, 4));
        assert_eq!(map.position(1000), (3, 1));
    }

    #[test]
    fn render_has_path_line_col_snippet_and_caret() {
        let map = SourceMap::new("l.md", "one\ntwo three\n");
        let d = map.error(8..13, "bad word");
        assert_eq!(
            d.to_string(),
            "l.md:2:5: bad word\n2 | two three\n  |     ^^^^^"
        );
    }

    /// Issue 14 item 4: a snippet is a bounded window, the caret still under the right character.
    #[test]
    fn long_lines_are_cut_around_the_caret() {
        let line = format!("{}BAD{}", "a".repeat(1000), "b".repeat(1000));
        let map = SourceMap::new("l.md", &line);
        let d = map.error(1000..1003, "x".repeat(10_000));
        assert_eq!(d.col, 1001);
        assert!(d.snippet.chars().count() <= limits::MAX_SNIPPET_CHARS + 2);
        assert!(d.snippet.starts_with('…') && d.snippet.ends_with('…'));
        let under: String = d
            .snippet
            .chars()
            .skip(d.snippet_col - 1)
            .take(d.width)
            .collect();
        assert_eq!(under, "BAD");
        assert!(d.message.chars().count() <= limits::MAX_MESSAGE_CHARS + 1);
        let text = d.to_string();
        let caret_line = text.lines().nth(2).unwrap();
        let snippet_line = text.lines().nth(1).unwrap();
        // Columns count characters (`…` is one), as a terminal shows them.
        let at = caret_line.chars().position(|c| c == '^').unwrap();
        let shown: String = snippet_line.chars().skip(at).take(3).collect();
        assert_eq!(shown, "BAD");
        // Near the end of a long line: the window stops at the line's end, no trailing ellipsis.
        let d = map.error(2002..2003, "end");
        assert!(!d.snippet.ends_with('…'));
        assert_eq!(d.snippet.chars().nth(d.snippet_col - 1), Some('b'));
    }

    #[test]
    fn toml_string_offsets_follow_escapes_and_delimiters() {
        // `"\u0050X"` decodes to "PX": the X is raw byte 7.
        let o = toml_string_offsets("\"\\u0050X\"").unwrap();
        assert_eq!(o, vec![1, 7, 8]);
        assert_eq!(toml_string_offsets("'''PX'''").unwrap(), vec![3, 4, 5]);
        assert_eq!(toml_string_offsets("'''\nPX'''").unwrap(), vec![4, 5, 6]);
        assert_eq!(toml_string_offsets("'a\\b'").unwrap(), vec![1, 2, 3, 4]);
        assert_eq!(toml_string_offsets("42"), None);
    }

    #[test]
    fn cap_keeps_the_first_and_counts_the_rest() {
        let map = SourceMap::new("l.md", "x\n");
        let diags = (0..limits::MAX_DIAGNOSTICS + 7)
            .map(|_| map.error(0..1, "e"))
            .collect();
        let capped = cap(diags);
        assert_eq!(capped.len(), limits::MAX_DIAGNOSTICS + 1);
        assert!(capped
            .last()
            .unwrap()
            .message
            .starts_with("7 more problem(s) not shown"));
    }

    #[test]
    fn spans_inside_a_character_do_not_panic() {
        let map = SourceMap::new("u.md", "é");
        let d = map.error(1..2, "inside");
        assert_eq!((d.line, d.col), (1, 1));
    }
}

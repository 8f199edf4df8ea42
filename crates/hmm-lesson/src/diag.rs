//! Diagnostics: `path:line:col: message` plus the offending source line and a caret.
//!
//! Every stage (splitting, TOML, the action/assert language, validation, running) reports problems as
//! [`Diagnostic`]s built from byte spans into the original file text, so the author always sees the file,
//! the line and the column of the thing to fix. This module owns the span → line:col arithmetic and the
//! rendering; it knows nothing about lessons.

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
    /// The whole source line the problem starts on (without its newline).
    pub snippet: String,
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
        let lead = " ".repeat(self.col.saturating_sub(1));
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
}

impl<'a> SourceMap<'a> {
    pub fn new(path: &'a str, text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceMap {
            path,
            text,
            line_starts,
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
        let (line, col) = self.position(span.start);
        let snippet = self.line_text(line - 1).to_string();
        let remaining = snippet.chars().count().saturating_sub(col - 1);
        let span_chars = self
            .text
            .get(span.clone())
            .map(|s| s.chars().count())
            .unwrap_or(1);
        let width = span_chars.clamp(1, remaining.max(1));
        Diagnostic {
            path: self.path.to_string(),
            line,
            col,
            message: message.into(),
            snippet,
            width,
        }
    }
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

    #[test]
    fn spans_inside_a_character_do_not_panic() {
        let map = SourceMap::new("u.md", "é");
        let d = map.error(1..2, "inside");
        assert_eq!((d.line, d.col), (1, 1));
    }
}

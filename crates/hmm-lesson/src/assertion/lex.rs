//! The assertion line's tokens, and a cursor over them with the small steps every claim is made of.

use crate::model::{lane_from_name, Pages, Span, WhichWorld};
use crate::values;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Ident(String),
    /// Numbers keep their text: `0x10`, `16`.
    Num(String),
    Sym(&'static str),
}

#[derive(Clone, Debug)]
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) span: Span,
}

pub type Problem = (Span, String);

/// Longest first: `==` must win over `=`, `..` over `.`.
const SYMS: [&str; 18] = [
    "==", "!=", "<=", ">=", "..", "<", ">", "=", "[", "]", "(", ")", ",", "|", ":", ".", "-", "+",
];

pub(super) fn lex(line: &str, base: usize) -> Result<Vec<Token>, Problem> {
    let mut out = Vec::new();
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < line.len() {
        let c = line[i..].chars().next().unwrap_or(' ');
        if c == '#' {
            break;
        }
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        let start = i;
        if c.is_ascii_alphabetic() || c == '_' {
            while i < line.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Ident(line[start..i].to_string()),
                span: base + start..base + i,
            });
        } else if c.is_ascii_digit() {
            while i < line.len() && (bytes[i].is_ascii_alphanumeric()) {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Num(line[start..i].to_string()),
                span: base + start..base + i,
            });
        } else if let Some(sym) = SYMS.iter().find(|s| line[i..].starts_with(**s)) {
            i += sym.len();
            out.push(Token {
                tok: Tok::Sym(sym),
                span: base + start..base + i,
            });
        } else {
            return Err((
                base + i..base + i + c.len_utf8(),
                format!("unexpected character `{c}`"),
            ));
        }
    }
    Ok(out)
}

pub(super) struct Parser<'l> {
    /// The line and its offset in the file: values are read from the source text, spaces included.
    pub(super) line: &'l str,
    pub(super) base: usize,
    pub(super) toks: Vec<Token>,
    pub(super) pos: usize,
    /// Span used for "unexpected end of line".
    pub(super) end: Span,
    pub(super) page_count: usize,
}

impl Parser<'_> {
    pub(super) fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }
    pub(super) fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n).map(|t| &t.tok)
    }
    pub(super) fn span(&self) -> Span {
        self.toks
            .get(self.pos)
            .map_or(self.end.clone(), |t| t.span.clone())
    }
    pub(super) fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    pub(super) fn err<T>(&self, message: impl Into<String>) -> Result<T, Problem> {
        Err((self.span(), message.into()))
    }
    pub(super) fn ident(&mut self, what: &str) -> Result<(String, Span), Problem> {
        match self.next() {
            Some(Token {
                tok: Tok::Ident(s),
                span,
            }) => Ok((s, span)),
            Some(Token { span, .. }) => Err((span, format!("expected {what}"))),
            None => Err((
                self.end.clone(),
                format!("expected {what} before the end of the line"),
            )),
        }
    }
    pub(super) fn sym(&mut self, sym: &'static str) -> Result<Span, Problem> {
        match self.next() {
            Some(Token {
                tok: Tok::Sym(s),
                span,
            }) if s == sym => Ok(span),
            Some(Token { span, .. }) => Err((span, format!("expected `{sym}`"))),
            None => Err((
                self.end.clone(),
                format!("expected `{sym}` before the end of the line"),
            )),
        }
    }
    pub(super) fn eat_sym(&mut self, sym: &'static str) -> bool {
        if self.peek() == Some(&Tok::Sym(sym)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    pub(super) fn number(&mut self) -> Result<u64, Problem> {
        match self.next() {
            Some(Token {
                tok: Tok::Num(n),
                span,
            }) => values::number(&n).map_err(|m| (span, m)),
            Some(Token { span, .. }) => Err((span, "expected a number".into())),
            None => Err((
                self.end.clone(),
                "expected a number before the end of the line".into(),
            )),
        }
    }

    /// `[N]` or `[N..M]`, already past nothing: expects the `[`.
    pub(super) fn range(&mut self) -> Result<Pages, Problem> {
        let open = self.sym("[")?;
        let start = self.number()?;
        let end = if self.eat_sym("..") {
            self.number()?
        } else {
            start.saturating_add(1)
        };
        let close = self.sym("]")?;
        let text = if end == start.saturating_add(1) {
            start.to_string()
        } else {
            format!("{start}..{end}")
        };
        values::pages(&text, self.page_count).map_err(|m| (open.start..close.end, m))
    }

    pub(super) fn world_prefix(&mut self) -> Option<WhichWorld> {
        let Some(Tok::Ident(name)) = self.peek() else {
            return None;
        };
        if self.peek_at(1) != Some(&Tok::Sym(".")) {
            return None;
        }
        let world = if name == "main" {
            WhichWorld::Main
        } else {
            WhichWorld::Lane(lane_from_name(name)?)
        };
        self.pos += 2;
        Some(world)
    }

    /// Event filters are written `page=3`.
    pub(super) fn sym_eq(&mut self) -> Result<(), Problem> {
        if self.eat_sym("=") {
            return Ok(());
        }
        self.err("expected `=` after the filter name")
    }

    pub(super) fn done(&self) -> Result<(), Problem> {
        match self.toks.get(self.pos) {
            None => Ok(()),
            Some(t) => Err((t.span.clone(), "unexpected text after the assertion".into())),
        }
    }
}

//! The assertion language of ```` ```assert ```` blocks: one claim per line.
//!
//! ```text
//! r.ret == -EFAULT                      result fields: ret cpages faults data[..] snapshot[..] outcome
//! r.snapshot == [ERROR, ZERO|READ]      snapshot bytes (HMM_DMIRROR_PROT_*), or one value for a range
//! mirror[0..16] == i                    the test's mirror buffer
//! pte[0..4] == device_private_write     per page (all pages of the range): pte where refcount mapcount locked
//!                                       holder mem
//! A.walks == 2                          lane counters (A B U or legacy_a legacy_b unified; `counters.` = main)
//! U.pte[3] == migration_write           lane worlds have the same per-page probes
//! locks_held == 0
//! always invariants                     the simulator's invariant checker never fired
//! lanes_agree                           the three lanes end in the same state
//! exists schedule livelock              some interleaving of the last `run` ends so (bounded search)
//! all schedules completed               every interleaving does (and the search was exhaustive)
//! eventually U.retry(page=3)            events: kind(page=, thread=, func=)
//! never B.fault
//! A.walk before A.fault
//! expect_fail: r.cpages == 16           demonstrates a bug: the claim must NOT hold
//! ```

use crate::model::{
    Assertion, Check, Cmp, Counter, EventPattern, Lane, Outcome, PageField, Pages, Probe, Property,
    ResultField, Span, Value, World,
};
use crate::values;

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    /// Numbers keep their text: `0x10`, `16`.
    Num(String),
    Sym(&'static str),
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    span: Span,
}

pub type Problem = (Span, String);

/// Longest first: `==` must win over `=`, `..` over `.`.
const SYMS: [&str; 18] = [
    "==", "!=", "<=", ">=", "..", "<", ">", "=", "[", "]", "(", ")", ",", "|", ":", ".", "-", "+",
];

fn lex(line: &str, base: usize) -> Result<Vec<Token>, Problem> {
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

struct Parser<'l> {
    /// The line and its offset in the file: values are read from the source text, spaces included.
    line: &'l str,
    base: usize,
    toks: Vec<Token>,
    pos: usize,
    /// Span used for "unexpected end of line".
    end: Span,
    page_count: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }
    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n).map(|t| &t.tok)
    }
    fn span(&self) -> Span {
        self.toks
            .get(self.pos)
            .map_or(self.end.clone(), |t| t.span.clone())
    }
    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn err<T>(&self, message: impl Into<String>) -> Result<T, Problem> {
        Err((self.span(), message.into()))
    }
    fn ident(&mut self, what: &str) -> Result<(String, Span), Problem> {
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
    fn sym(&mut self, sym: &'static str) -> Result<Span, Problem> {
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
    fn eat_sym(&mut self, sym: &'static str) -> bool {
        if self.peek() == Some(&Tok::Sym(sym)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn number(&mut self) -> Result<u64, Problem> {
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
    fn range(&mut self) -> Result<Pages, Problem> {
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

    fn world_prefix(&mut self) -> Option<World> {
        let Some(Tok::Ident(name)) = self.peek() else {
            return None;
        };
        if self.peek_at(1) != Some(&Tok::Sym(".")) {
            return None;
        }
        let world = if name == "main" {
            World::Main
        } else {
            World::Lane(Lane::from_name(name)?)
        };
        self.pos += 2;
        Some(world)
    }

    fn probe(&mut self) -> Result<Probe, Problem> {
        let world = self.world_prefix();
        let (name, span) = self.ident("a probe such as r.ret, pte[0], mirror[0..4] or A.walks")?;
        let page_field = match name.as_str() {
            "pte" => Some(PageField::Pte),
            "where" => Some(PageField::Where),
            "refcount" => Some(PageField::Refcount),
            "mapcount" => Some(PageField::Mapcount),
            "locked" => Some(PageField::Locked),
            "holder" => Some(PageField::Holder),
            "mem" => Some(PageField::Mem),
            _ => None,
        };
        if let Some(field) = page_field {
            let pages = self.range()?;
            return Ok(Probe::Page {
                world: world.unwrap_or(World::Main),
                field,
                pages,
            });
        }
        if name == "locks_held" {
            return Ok(Probe::LocksHeld {
                world: world.unwrap_or(World::Main),
            });
        }
        if let Some(counter) = Counter::from_name(&name) {
            if let Some(world) = world {
                return Ok(Probe::Counter { world, counter });
            }
        }
        if world.is_some() {
            return Err((
                span,
                format!("`{name}` is not a counter, a per-page probe or locks_held"),
            ));
        }
        if name == "mirror" {
            return Ok(Probe::Mirror {
                pages: self.range()?,
            });
        }
        if name == "counters" {
            self.sym(".")?;
            let (c, cspan) = self.ident("a counter name")?;
            let counter = Counter::from_name(&c).ok_or((
                cspan,
                format!("unknown counter `{c}`: expected {}", counter_names()),
            ))?;
            return Ok(Probe::Counter {
                world: World::Main,
                counter,
            });
        }
        // A bound result: NAME.field
        self.sym(".").map_err(|(s, _)| (s, format!("`{name}` is not a probe: write NAME.field for a result, or pte[..], mirror[..], A.walks …")))?;
        let (field, fspan) = self.ident("a result field")?;
        let field = match field.as_str() {
            "ret" => ResultField::Ret,
            "cpages" => ResultField::Cpages,
            "faults" => ResultField::Faults,
            "data" => ResultField::Data,
            "snapshot" => ResultField::Snapshot,
            "outcome" => ResultField::Outcome,
            other => {
                return Err((fspan, format!("unknown result field `{other}`: expected ret, cpages, faults, data, snapshot or outcome")))
            }
        };
        let pages = if self.peek() == Some(&Tok::Sym("[")) {
            Some(self.range()?)
        } else {
            None
        };
        if pages.is_some() && !matches!(field, ResultField::Data | ResultField::Snapshot) {
            return Err((fspan, "only data and snapshot take a page range".into()));
        }
        Ok(Probe::Result { name, field, pages })
    }

    fn cmp(&mut self) -> Result<Cmp, Problem> {
        let cmp = match self.peek() {
            Some(Tok::Sym("==")) => Cmp::Eq,
            Some(Tok::Sym("!=")) => Cmp::Ne,
            Some(Tok::Sym("<")) => Cmp::Lt,
            Some(Tok::Sym("<=")) => Cmp::Le,
            Some(Tok::Sym(">")) => Cmp::Gt,
            Some(Tok::Sym(">=")) => Cmp::Ge,
            Some(Tok::Sym("=")) => return self.err("`=` assigns; compare with `==`"),
            _ => return self.err("expected a comparison: == != < <= > >="),
        };
        self.pos += 1;
        Ok(cmp)
    }

    /// The rest of the line as the value, interpreted by what the probe measures.
    fn value(&mut self, probe: &Probe) -> Result<Value, Problem> {
        let start = self.span();
        if self.pos >= self.toks.len() {
            return self.err("expected a value after the comparison");
        }
        let rest: Vec<Token> = self.toks[self.pos..].to_vec();
        self.pos = self.toks.len();
        let span = start.start..rest.last().map_or(start.end, |t| t.span.end);
        let text = self
            .line
            .get(span.start - self.base..span.end - self.base)
            .unwrap_or("")
            .to_string();
        let err = |m: String| (span.clone(), m);
        let int = || values::int(&text).map(Value::Int).map_err(err);
        match probe {
            Probe::Result { field, .. } => {
                match field {
                    ResultField::Ret | ResultField::Cpages | ResultField::Faults => int(),
                    ResultField::Data => data_value(&text).map_err(err),
                    ResultField::Snapshot => snapshot_value(&text).map_err(err),
                    ResultField::Outcome => Outcome::from_name(&text)
                        .map(Value::Outcome)
                        .ok_or_else(|| {
                            err(format!(
                                "unknown outcome `{text}`: expected {}",
                                outcome_names()
                            ))
                        }),
                }
            }
            Probe::Page { field, .. } => match field {
                PageField::Pte => match hmm_sim::PteKind::from_name(&text) {
                    Some(_) => Ok(Value::Kind(text)),
                    None => Err(err(format!(
                        "unknown PTE kind `{text}`: expected one of {}",
                        kind_names()
                    ))),
                },
                PageField::Where => values::location(&text).map(Value::Location).ok_or_else(|| {
                    err(format!(
                        "unknown location `{text}`: expected sys, dev0, dev1, swap or nowhere"
                    ))
                }),
                PageField::Refcount | PageField::Mapcount => int(),
                PageField::Holder => match text.as_str() {
                    "none" => Ok(Value::Nothing),
                    t if !t.is_empty()
                        && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                    {
                        Ok(Value::Thread(t.to_string()))
                    }
                    _ => Err(err(format!(
                        "expected a thread name or none, found `{text}`"
                    ))),
                },
                PageField::Locked => match text.as_str() {
                    "true" => Ok(Value::Bool(true)),
                    "false" => Ok(Value::Bool(false)),
                    _ => Err(err(format!("expected true or false, found `{text}`"))),
                },
                PageField::Mem => data_value(&text).map_err(err),
            },
            Probe::Mirror { .. } => values::pattern(&text).map(Value::Pattern).map_err(err),
            Probe::Counter { .. } | Probe::LocksHeld { .. } => int(),
        }
    }

    /// `[WORLD.]kind[(page=N, thread=T, func=F)]`
    fn event(&mut self) -> Result<EventPattern, Problem> {
        let world = self.world_prefix().unwrap_or(World::Main);
        let (kind, span) = self.ident("an event kind")?;
        if !crate::runner::EVENT_KINDS.contains(&kind.as_str()) {
            return Err((
                span,
                format!(
                    "unknown event kind `{kind}`: expected one of {}",
                    crate::runner::EVENT_KINDS.join(", ")
                ),
            ));
        }
        let mut ev = EventPattern {
            world,
            kind,
            page: None,
            thread: None,
            func: None,
        };
        if self.eat_sym("(") {
            loop {
                let (key, kspan) = self.ident("page=, thread= or func=")?;
                self.sym_eq()?;
                match key.as_str() {
                    "page" => {
                        let n = self.number()?;
                        if n >= self.page_count as u64 {
                            return Err((
                                kspan,
                                format!(
                                    "page {n} is outside the scenario's {} pages",
                                    self.page_count
                                ),
                            ));
                        }
                        ev.page = Some(n as usize);
                    }
                    "thread" => ev.thread = Some(self.ident("a thread name")?.0),
                    "func" => {
                        let (f, fspan) = self.ident("a kernel function name")?;
                        if !crate::runner::is_func(&f) {
                            return Err((
                                fspan,
                                format!("`{f}` is not a kernel function the simulator traces"),
                            ));
                        }
                        ev.func = Some(f);
                    }
                    other => {
                        return Err((
                            kspan,
                            format!(
                                "unknown event filter `{other}`: expected page, thread or func"
                            ),
                        ))
                    }
                }
                if self.eat_sym(")") {
                    break;
                }
                self.sym(",")?;
            }
        }
        Ok(ev)
    }

    /// Event filters are written `page=3`.
    fn sym_eq(&mut self) -> Result<(), Problem> {
        if self.eat_sym("=") {
            return Ok(());
        }
        self.err("expected `=` after the filter name")
    }

    fn done(&self) -> Result<(), Problem> {
        match self.toks.get(self.pos) {
            None => Ok(()),
            Some(t) => Err((t.span.clone(), "unexpected text after the assertion".into())),
        }
    }
}

fn counter_names() -> String {
    Counter::ALL
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(", ")
}
fn outcome_names() -> String {
    Outcome::ALL
        .iter()
        .map(|o| o.name())
        .collect::<Vec<_>>()
        .join(", ")
}
fn kind_names() -> String {
    hmm_sim::PteKind::ALL
        .iter()
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn data_value(text: &str) -> Result<Value, String> {
    if text == "none" {
        return Ok(Value::Nothing);
    }
    values::pattern(text).map(Value::Pattern)
}

fn snapshot_value(text: &str) -> Result<Value, String> {
    match text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        Some(inner) => inner
            .split(',')
            .map(values::snapshot_byte)
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Bytes),
        None => values::snapshot_byte(text).map(|b| Value::Bytes(vec![b])),
    }
}

/// Parse one assertion line (comment-free, non-empty). `base` is its offset in the file.
pub fn parse_line(line: &str, base: usize, page_count: usize) -> Result<Assertion, Problem> {
    let toks = lex(line, base)?;
    let first = toks.first().map_or(base..base + 1, |t| t.span.clone());
    let end = toks
        .last()
        .map_or(base..base + 1, |t| t.span.end..t.span.end + 1);
    let span = first.start..end.start;
    let mut p = Parser {
        line,
        base,
        toks,
        pos: 0,
        end,
        page_count,
    };
    let mut expect_fail = false;
    if p.peek() == Some(&Tok::Ident("expect_fail".into())) {
        p.pos += 1;
        p.sym(":")?;
        expect_fail = true;
    }
    let check = match p.peek().cloned() {
        Some(Tok::Ident(w)) if w == "always" => {
            p.pos += 1;
            let (what, span) = p.ident("`invariants`")?;
            if what != "invariants" {
                return Err((span, "only `always invariants` is supported".into()));
            }
            Check::AlwaysInvariants
        }
        Some(Tok::Ident(w)) if w == "lanes_agree" => {
            p.pos += 1;
            Check::LanesAgree
        }
        Some(Tok::Ident(w)) if w == "exists" || w == "all" => {
            p.pos += 1;
            let (noun, nspan) = p.ident("`schedule` / `schedules`")?;
            let want = if w == "exists" {
                "schedule"
            } else {
                "schedules"
            };
            if noun != want {
                return Err((nspan, format!("expected `{w} {want}`")));
            }
            // An outcome name, or an event pattern such as `retry(func=hmm_range_fault)`.
            let property =
                match p.peek() {
                    Some(Tok::Ident(o))
                        if Outcome::from_name(o).is_some() && p.peek_at(1).is_none() =>
                    {
                        let o = Outcome::from_name(o).unwrap_or(Outcome::Completed);
                        p.pos += 1;
                        Property::Outcome(o)
                    }
                    Some(Tok::Ident(_)) => Property::Event(p.event().map_err(|(s, m)| {
                        (s, format!("{m} (or an outcome: {})", outcome_names()))
                    })?),
                    _ => {
                        return p.err(format!(
                            "expected an outcome ({}) or an event",
                            outcome_names()
                        ))
                    }
                };
            if w == "exists" {
                Check::ExistsSchedule(property)
            } else {
                Check::AllSchedules(property)
            }
        }
        Some(Tok::Ident(w)) if w == "eventually" || w == "never" => {
            p.pos += 1;
            let ev = p.event()?;
            if w == "eventually" {
                Check::Eventually(ev)
            } else {
                Check::Never(ev)
            }
        }
        Some(_) if p.toks.iter().any(|t| t.tok == Tok::Ident("before".into())) => {
            let a = p.event()?;
            let (kw, kspan) = p.ident("`before`")?;
            if kw != "before" {
                return Err((kspan, "expected `before`".into()));
            }
            let b = p.event()?;
            Check::Before(a, b)
        }
        Some(_) => {
            let probe = p.probe()?;
            let cmp = p.cmp()?;
            let value = p.value(&probe)?;
            if !matches!(value, Value::Int(_)) && !matches!(cmp, Cmp::Eq | Cmp::Ne) {
                return Err((
                    span,
                    "only numbers can be ordered: use == or != here".into(),
                ));
            }
            Check::Compare { probe, cmp, value }
        }
        None => return Err((span, "empty assertion".into())),
    };
    p.done()?;
    Ok(Assertion {
        span: span.clone(),
        text: line.trim().to_string(),
        expect_fail,
        check,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Assertion, Problem> {
        parse_line(line, 0, 16)
    }

    #[test]
    fn comparisons_and_values() {
        let a = parse("r.ret == -EFAULT").unwrap();
        assert_eq!(
            a.check,
            Check::Compare {
                probe: Probe::Result {
                    name: "r".into(),
                    field: ResultField::Ret,
                    pages: None
                },
                cmp: Cmp::Eq,
                value: Value::Int(-14)
            }
        );
        let a = parse("s.snapshot == [ERROR, ERROR, ZERO|READ]").unwrap();
        assert!(
            matches!(a.check, Check::Compare { value: Value::Bytes(ref b), .. } if b == &vec![0xFF, 0xFF, 0x11])
        );
        let a = parse("U.pte[0..4] == migration_write").unwrap();
        assert!(matches!(
            a.check,
            Check::Compare {
                probe: Probe::Page {
                    world: World::Lane(Lane::Unified),
                    ..
                },
                ..
            }
        ));
        assert!(matches!(
            parse("B.walks >= 3").unwrap().check,
            Check::Compare {
                probe: Probe::Counter { .. },
                cmp: Cmp::Ge,
                ..
            }
        ));
        assert!(matches!(
            parse("counters.faults == 0").unwrap().check,
            Check::Compare {
                probe: Probe::Counter {
                    world: World::Main,
                    ..
                },
                ..
            }
        ));
        assert!(matches!(
            parse("mirror[0..16] == -i").unwrap().check,
            Check::Compare {
                probe: Probe::Mirror { .. },
                ..
            }
        ));
        assert!(parse("expect_fail: r.cpages == 16").unwrap().expect_fail);
    }

    #[test]
    fn temporal_and_existential() {
        assert_eq!(
            parse("always invariants").unwrap().check,
            Check::AlwaysInvariants
        );
        assert_eq!(
            parse("exists schedule livelock").unwrap().check,
            Check::ExistsSchedule(Property::Outcome(Outcome::Livelock))
        );
        assert_eq!(
            parse("all schedules completed").unwrap().check,
            Check::AllSchedules(Property::Outcome(Outcome::Completed))
        );
        let a = parse("eventually U.retry(page=3, thread=t1)").unwrap();
        assert!(matches!(
            a.check,
            Check::Eventually(EventPattern { page: Some(3), .. })
        ));
        assert!(matches!(
            parse("A.walk_begin before A.fault").unwrap().check,
            Check::Before(..)
        ));
    }

    #[test]
    fn bad_assertions_name_the_column() {
        let (span, m) = parse("r.cpage == 3").unwrap_err();
        assert_eq!(span, 2..7);
        assert!(m.contains("unknown result field"));
        let (span, m) = parse("pte[2] == device_privat").unwrap_err();
        assert_eq!(span.start, 10);
        assert!(m.contains("unknown PTE kind"));
        let (_, m) = parse("pte[2] < zero").unwrap_err();
        assert!(m.contains("only numbers"));
        let (_, m) = parse("r.ret == 0 0").unwrap_err();
        assert!(m.contains("expected an integer"), "{m}");
        let (_, m) = parse("eventually U.explode").unwrap_err();
        assert!(m.contains("unknown event kind"));
        let (_, m) = parse("pte[20] == none").unwrap_err();
        assert!(m.contains("past the scenario"));
        let (_, m) = parse("r.ret == $").unwrap_err();
        assert!(m.contains("unexpected character"));
    }
}

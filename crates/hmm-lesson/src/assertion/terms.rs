//! The terms of a claim: probes, comparisons, values, event patterns and schedule properties.

use super::lex::{Parser, Problem, Tok, Token};
use crate::model::{
    Check, Cmp, Counter, EventPattern, PageField, Probe, Property, ResultClaim, ResultField,
    ResultProperty, RunEnd, Value, WhichWorld,
};
use crate::values;

impl Parser<'_> {
    pub(super) fn probe(&mut self) -> Result<Probe, Problem> {
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
                world: world.unwrap_or(WhichWorld::Main),
                field,
                pages,
            });
        }
        if name == "locks_held" {
            return Ok(Probe::LocksHeld {
                world: world.unwrap_or(WhichWorld::Main),
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
                world: WhichWorld::Main,
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

    pub(super) fn cmp(&mut self) -> Result<Cmp, Problem> {
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
    pub(super) fn value(&mut self, probe: &Probe) -> Result<Value, Problem> {
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
            Probe::Result { field, .. } => match field {
                ResultField::Ret | ResultField::Cpages | ResultField::Faults => int(),
                ResultField::Data => data_value(&text).map_err(err),
                ResultField::Snapshot => snapshot_value(&text).map_err(err),
                ResultField::Outcome => {
                    RunEnd::from_name(&text).map(Value::Outcome).ok_or_else(|| {
                        err(format!(
                            "unknown outcome `{text}`: expected {}",
                            outcome_names()
                        ))
                    })
                }
            },
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
                        "unknown location `{text}`: expected sys, dev0, dev1, dev2, dev3, swap or nowhere"
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
    pub(super) fn event(&mut self) -> Result<EventPattern, Problem> {
        let world = self.world_prefix().unwrap_or(WhichWorld::Main);
        let (kind, span) = self.ident("an event kind")?;
        if hmm_sim::Kind::from_name(&kind).is_none() {
            return Err((
                span,
                format!(
                    "unknown event kind `{kind}`: expected one of {}",
                    event_kind_names()
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

    /// `exists schedule P` / `all schedules P` (`w` is `exists` or `all`, already consumed).
    pub(super) fn schedule_claim(&mut self, w: &str) -> Result<Check, Problem> {
        let (noun, nspan) = self.ident("`schedule` / `schedules`")?;
        let want = if w == "exists" {
            "schedule"
        } else {
            "schedules"
        };
        if noun != want {
            return Err((nspan, format!("expected `{w} {want}`")));
        }
        // A comparison of a run's result (`p.data == i+1 [when …]`), an outcome name, or an event pattern
        // such as `retry(func=hmm_range_fault)`: only the result form has a comparison symbol.
        let is_cmp = |t: &Token| matches!(t.tok, Tok::Sym("==" | "!=" | "<" | "<=" | ">" | ">="));
        if self.toks[self.pos..].iter().any(is_cmp) {
            let property = self.result_property(w == "all")?;
            return Ok(if w == "exists" {
                Check::ExistsSchedule(property)
            } else {
                Check::AllSchedules(property)
            });
        }
        let property = match self.peek() {
            Some(Tok::Ident(o)) if RunEnd::from_name(o).is_some() && self.peek_at(1).is_none() => {
                let o = RunEnd::from_name(o).unwrap_or(RunEnd::Completed);
                self.pos += 1;
                Property::Outcome(o)
            }
            Some(Tok::Ident(_)) => Property::Event(
                self.event()
                    .map_err(|(s, m)| (s, format!("{m} (or an outcome: {})", outcome_names())))?,
            ),
            _ => {
                return self.err(format!(
                    "expected an outcome ({}) or an event",
                    outcome_names()
                ))
            }
        };
        if w == "exists" {
            Ok(Check::ExistsSchedule(property))
        } else {
            Ok(Check::AllSchedules(property))
        }
    }
}

impl Parser<'_> {
    /// `r.field CMP VALUE [when r.field CMP VALUE]`: a schedule property over the run's own results.
    fn result_property(&mut self, guard_allowed: bool) -> Result<Property, Problem> {
        let start = self.span().start;
        let when = self.toks[self.pos..]
            .iter()
            .position(|t| t.tok == Tok::Ident("when".into()))
            .map(|i| self.pos + i);
        let claim = match when {
            Some(w) => {
                // `value` reads to the end of the tokens: parse the claim on the tokens before `when`.
                let rest = self.toks.split_off(w);
                let end = std::mem::replace(&mut self.end, rest[0].span.clone());
                let claim = self.result_claim();
                self.toks.extend(rest);
                self.end = end;
                let claim = claim?;
                if !guard_allowed {
                    return Err((
                        self.span(),
                        "`when` only guards `all schedules`: for `exists schedule`, claim the guard and the result on two lines".into(),
                    ));
                }
                self.pos += 1;
                if self.pos >= self.toks.len() {
                    return self.err("expected a result comparison after `when`");
                }
                Some(claim)
            }
            None => None,
        };
        let (claim, when) = match claim {
            Some(c) => (c, Some(self.result_claim()?)),
            None => (self.result_claim()?, None),
        };
        let end = self.toks.last().map_or(start, |t| t.span.end);
        let text = self
            .line
            .get(start - self.base..end - self.base)
            .unwrap_or("")
            .to_string();
        Ok(Property::Result(ResultProperty { text, claim, when }))
    }

    fn result_claim(&mut self) -> Result<ResultClaim, Problem> {
        let at = self.span();
        let probe = self.probe()?;
        if !matches!(probe, Probe::Result { .. }) {
            return Err((
                at,
                "a schedule can only be asked about the run's own results (NAME.field), or an outcome or event".into(),
            ));
        }
        let cmp = self.cmp()?;
        let value = self.value(&probe)?;
        if !matches!(value, Value::Int(_)) && !matches!(cmp, Cmp::Eq | Cmp::Ne) {
            return Err((at, "only numbers can be ordered: use == or != here".into()));
        }
        Ok(ResultClaim { probe, cmp, value })
    }
}

/// `a, b, c`: the valid names a diagnostic lists.
fn listed(names: impl Iterator<Item = &'static str>) -> String {
    names.collect::<Vec<_>>().join(", ")
}
fn counter_names() -> String {
    listed(Counter::all().map(|c| c.name()))
}
fn event_kind_names() -> String {
    listed(hmm_sim::Kind::ALL.iter().map(|k| k.name()))
}
fn outcome_names() -> String {
    listed(RunEnd::ALL.iter().map(|o| o.name()))
}
fn kind_names() -> String {
    listed(hmm_sim::PteKind::ALL.iter().map(|k| k.name()))
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

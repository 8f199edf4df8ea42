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

mod lex;
mod terms;

use crate::model::{Assertion, Check, Cmp, Value};
use lex::{lex, Parser, Tok};

pub use lex::Problem;

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
            p.schedule_claim(&w)?
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
    use crate::model::{
        EventPattern, Probe, Property, ResultClaim, ResultField, ResultProperty, RunEnd, Strategy,
        WhichWorld,
    };

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
                    world: WhichWorld::Lane(Strategy::Unified),
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
                    world: WhichWorld::Main,
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
            Check::ExistsSchedule(Property::Outcome(RunEnd::Livelock))
        );
        assert_eq!(
            parse("all schedules completed").unwrap().check,
            Check::AllSchedules(Property::Outcome(RunEnd::Completed))
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
    fn schedule_result_properties() {
        let a = parse("all schedules r.cpages == 64 when r.ret == 0").unwrap();
        let Check::AllSchedules(Property::Result(p)) = a.check else {
            panic!("not a result property: {:?}", a.check)
        };
        assert_eq!(p.text, "r.cpages == 64 when r.ret == 0");
        assert_eq!(p.claim.cmp, Cmp::Eq);
        assert_eq!(p.claim.value, Value::Int(64));
        assert!(matches!(
            p.when,
            Some(ResultClaim {
                value: Value::Int(0),
                ..
            })
        ));
        let a = parse("exists schedule r.ret == -EFAULT").unwrap();
        assert!(matches!(
            a.check,
            Check::ExistsSchedule(Property::Result(ResultProperty { when: None, .. }))
        ));
        let (_, m) = parse("exists schedule r.data == i when r.ret == 0").unwrap_err();
        assert!(m.contains("only guards `all schedules`"), "{m}");
        let (_, m) = parse("all schedules pte[0] == none").unwrap_err();
        assert!(m.contains("the run's own results"), "{m}");
        let (_, m) = parse("all schedules r.ret == 0 when").unwrap_err();
        assert!(m.contains("after `when`"), "{m}");
        let (_, m) = parse("all schedules r.data < i").unwrap_err();
        assert!(m.contains("only numbers"), "{m}");
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

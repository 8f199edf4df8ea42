//! Evaluate one [`Check`] against an [`Observation`]: does the claim hold, and what was actually seen.
//!
//! Pure functions over plain data; the `expect_fail` inversion is applied by the caller, so a verdict always
//! describes the claim as written.

//!
//! | module | judges |
//! |---|---|
//! | this file | claims over whole worlds: schedules, events, invariants, lanes agreeing |
//! | `probe` | comparisons of per-page state, the mirror buffer, counters and held locks |
//! | `result` | comparisons of a bound result's fields (`r.ret`, `r.data[..]`, `r.snapshot`, …) |

mod probe;
mod result;

use crate::model::{
    Check, EventPattern, Probe, Property, ResultClaim, ResultProperty, Strategy, WhichWorld,
};
use crate::observe::{EventObs, Observation, PageObs, ResultObs, ScheduleSearch, WorldObs};
use std::collections::BTreeMap;

/// The simulator's content tokens are 32-bit: patterns compare modulo 2³² (as `Observation::content_mask`).
const CONTENT_MASK: u64 = u32::MAX as u64;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub holds: bool,
    /// What was observed, in the lesson's vocabulary ("r.cpages is 15").
    pub detail: String,
    /// The evaluator could not judge the claim: the validator accepted something the evaluator has no
    /// meaning for (a bug in this crate, never the lesson's fault). Such a verdict fails the lesson
    /// whatever the claim's polarity: under `expect_fail:` too, so a claim and its negation can never both
    /// pass (issue 14 item 9).
    pub internal: bool,
}

fn verdict(holds: bool, detail: impl Into<String>) -> Verdict {
    Verdict {
        holds,
        detail: detail.into(),
        internal: false,
    }
}

/// A claim the validator accepted but the evaluator cannot judge (see [`Verdict::internal`]).
fn internal(detail: impl Into<String>) -> Verdict {
    Verdict {
        holds: false,
        detail: format!(
            "cannot be evaluated: {} (an internal error: the validator should have refused this claim)",
            detail.into()
        ),
        internal: true,
    }
}

fn world(obs: &Observation, w: WhichWorld) -> Result<&WorldObs, Verdict> {
    match w {
        WhichWorld::Main => Ok(&*obs.main),
        WhichWorld::Lane(l) => obs
            .lane(l)
            .ok_or_else(|| internal(format!("lane {} did not run", l.name()))),
    }
}

fn world_name(w: WhichWorld) -> String {
    match w {
        WhichWorld::Main => String::new(),
        WhichWorld::Lane(l) => format!("{}.", l.name()),
    }
}

pub fn check(c: &Check, obs: &Observation) -> Verdict {
    let result = match c {
        Check::Compare { probe, cmp, value } => probe::compare(probe, *cmp, value, obs),
        Check::AlwaysInvariants => always_invariants(obs),
        Check::LanesAgree => lanes_agree(obs),
        Check::ExistsSchedule(p) => exists_schedule(p, obs),
        Check::AllSchedules(p) => all_schedules(p, obs),
        Check::Eventually(e) => world(obs, e.world).map(|w| {
            let n = w.events.iter().filter(|x| event_matches(e, x)).count();
            verdict(
                n > 0,
                format!("{} matching {} event(s)", n, describe_event(e)),
            )
        }),
        Check::Never(e) => world(obs, e.world).map(|w| {
            let n = w.events.iter().filter(|x| event_matches(e, x)).count();
            verdict(
                n == 0,
                format!("{} matching {} event(s)", n, describe_event(e)),
            )
        }),
        Check::Before(a, b) => before(a, b, obs),
    };
    result.unwrap_or_else(|v| v)
}

/// One schedule's results against a result property: the claim holds, or its guard does not. `Err` is a
/// claim the evaluator cannot judge (the validator should have refused it): the schedule claim then fails
/// as an internal error, whatever its polarity.
pub fn result_property_holds(
    p: &ResultProperty,
    results: &BTreeMap<String, ResultObs>,
) -> Result<bool, String> {
    let holds = |c: &ResultClaim| match &c.probe {
        Probe::Result { name, field, pages } => match results.get(name) {
            // Its action did not complete in this schedule (the run stopped first): nothing is bound.
            None => Ok(false),
            Some(r) => result::result_field(name, *field, *pages, r, c.cmp, &c.value, CONTENT_MASK)
                .map_err(|v| v.detail)
                .and_then(|v| {
                    if v.internal {
                        Err(v.detail)
                    } else {
                        Ok(v.holds)
                    }
                }),
        },
        _ => Err("a schedule property whose probe is not a result".into()),
    };
    match &p.when {
        Some(guard) if !holds(guard)? => Ok(true),
        _ => holds(&p.claim),
    }
}

fn searched(obs: &Observation) -> Result<&ScheduleSearch, Verdict> {
    obs.schedules
        .as_ref()
        .ok_or_else(|| internal("no schedule search was made"))
}

fn exists_schedule(p: &Property, obs: &Observation) -> Result<Verdict, Verdict> {
    let s = searched(obs)?;
    let key = p.key();
    if let Some(why) = s.internal.get(&key) {
        return Err(internal(why.clone()));
    }
    Ok(match s.witnesses.get(&key) {
        Some(w) => verdict(
            true,
            format!(
                "{key} within {} schedules tried; witness: {}",
                s.tried,
                w.join(" ")
            ),
        ),
        None => verdict(
            false,
            format!(
                "no schedule with {key} among {} tried (seen: {})",
                s.tried,
                keys(&s.witnesses)
            ),
        ),
    })
}

fn all_schedules(p: &Property, obs: &Observation) -> Result<Verdict, Verdict> {
    let s = searched(obs)?;
    let key = p.key();
    if let Some(why) = s.internal.get(&key) {
        return Err(internal(why.clone()));
    }
    let with = s.counts.get(&key).copied().unwrap_or(0);
    let exhaustive = if s.exhaustive {
        " (exhaustive)"
    } else {
        " (bound hit: not exhaustive)"
    };
    // Bounded like loom: "all" means every schedule tried; the detail says whether that was all.
    Ok(verdict(
        s.tried > 0 && with == s.tried,
        format!("{with} of {} schedules have {key}{exhaustive}", s.tried),
    ))
}

fn keys<V>(m: &std::collections::BTreeMap<String, V>) -> String {
    if m.is_empty() {
        "none".into()
    } else {
        m.keys().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// Does event `e` match pattern `p` (kind and every filter given)?
pub fn event_matches(p: &EventPattern, e: &EventObs<'_>) -> bool {
    p.kind == e.kind
        && p.page.is_none_or(|pg| e.page == Some(pg))
        && p.thread
            .as_ref()
            .is_none_or(|t| e.thread == Some(t.as_str()))
        && p.func.as_ref().is_none_or(|f| f == e.func)
}

fn describe_event(p: &EventPattern) -> String {
    p.describe()
}

fn before(a: &EventPattern, b: &EventPattern, obs: &Observation) -> Result<Verdict, Verdict> {
    if a.world != b.world {
        return Ok(verdict(false, "`before` compares events of one world"));
    }
    let wa = world(obs, a.world)?;
    let ia = wa.events.iter().position(|e| event_matches(a, &e));
    let ib = wa.events.iter().position(|e| event_matches(b, &e));
    Ok(match (ia, ib) {
        (Some(x), Some(y)) => verdict(
            x < y,
            format!(
                "first {} at event {x}, first {} at event {y}",
                describe_event(a),
                describe_event(b)
            ),
        ),
        (None, _) => verdict(false, format!("no {} event", describe_event(a))),
        (Some(_), None) => verdict(false, format!("no {} event", describe_event(b))),
    })
}

fn always_invariants(obs: &Observation) -> Result<Verdict, Verdict> {
    let mut all: Vec<String> = obs
        .main
        .violations
        .iter()
        .map(|v| format!("main: {v}"))
        .collect();
    for (name, w) in &obs.lanes {
        all.extend(w.violations.iter().map(|v| format!("{name}: {v}")));
    }
    Ok(match all.first() {
        None => verdict(true, "no invariant violation"),
        Some(first) => verdict(false, format!("{} violation(s); first: {first}", all.len())),
    })
}

fn lanes_agree(obs: &Observation) -> Result<Verdict, Verdict> {
    let mut worlds = Vec::new();
    for l in Strategy::ALL {
        worlds.push((l, world(obs, WhichWorld::Lane(l))?));
    }
    let (l0, w0) = worlds[0];
    for (l, w) in &worlds[1..] {
        if w.pages.len() != w0.pages.len() {
            return Ok(verdict(
                false,
                format!("{} and {} cover different page counts", l0.name(), l.name()),
            ));
        }
        for (p, (a, b)) in w0.pages.iter().zip(&w.pages).enumerate() {
            // As hmm_sim::same_place: where each page lives and what it holds; permissions may differ.
            let key = |x: &PageObs| (x.location, x.content);
            if key(a) != key(b) {
                return Ok(verdict(
                    false,
                    format!(
                        "page {p}: {} has {} in {}, {} has {} in {}",
                        l0.name(),
                        a.pte,
                        crate::values::location_name(a.location),
                        l.name(),
                        b.pte,
                        crate::values::location_name(b.location)
                    ),
                ));
            }
        }
    }
    Ok(verdict(
        true,
        format!(
            "all three lanes end with the same {} PTEs, locations and contents",
            w0.pages.len()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assertion::parse_line;
    use crate::model::Location;
    use crate::observe::ResultObs;
    use std::collections::BTreeMap;

    fn obs() -> Observation {
        let mut o = Observation {
            content_mask: u32::MAX as u64,
            mirror: std::sync::Arc::new((0..4).collect()),
            ..Default::default()
        };
        let results = std::sync::Arc::make_mut(&mut o.results);
        results.insert(
            "r".into(),
            ResultObs::Dmirror {
                ret: 0,
                cpages: 4,
                faults: 1,
                data: Some((0..4).map(|p| (p, p as u64)).collect()),
                snapshot: Some(BTreeMap::from([(0, 0xFF), (1, 0x11), (2, 0x02), (3, 0x02)])),
            },
        );
        results.insert(
            "bad".into(),
            ResultObs::Dmirror {
                ret: -14,
                cpages: 0,
                faults: 0,
                data: None,
                snapshot: None,
            },
        );
        std::sync::Arc::make_mut(&mut o.main).pages = (0..4)
            .map(|p| PageObs {
                pte: "device_private_write".into(),
                location: Some(Location::Dev(0)),
                refcount: Some(1),
                mapcount: Some(1),
                locked: false,
                holder: None,
                content: Some(p as u64),
            })
            .collect();
        let mut lane = WorldObs::default();
        lane.counters.insert("walks".into(), 2);
        o.lanes.insert("legacy_a".into(), std::sync::Arc::new(lane));
        o.schedules = Some(ScheduleSearch {
            witnesses: BTreeMap::from([
                ("livelock".into(), vec!["t1".into(), "t2".into()]),
                ("completed".into(), vec![]),
            ]),
            counts: BTreeMap::from([("livelock".into(), 3), ("completed".into(), 7)]),
            tried: 10,
            exhaustive: true,
            internal: BTreeMap::new(),
            budget_hit: false,
        });
        o
    }

    fn eval(line: &str) -> Verdict {
        let a = parse_line(line, 0, 4).unwrap();
        check(&a.check, &obs())
    }

    #[test]
    fn holds_and_fails_with_the_observed_value() {
        assert!(eval("r.cpages == 4").holds);
        let v = eval("r.cpages == 5");
        assert!(!v.holds);
        assert_eq!(v.detail, "r.cpages is 4");
        assert!(eval("r.faults <= 1").holds);
        assert!(eval("bad.ret == -EFAULT").holds);
        assert!(
            !eval("bad.cpages == 0").holds,
            "a failed ioctl reports no counters"
        );
        assert!(eval("bad.data == none").holds);
        assert!(eval("r.data == i").holds);
        assert!(!eval("r.data == -i").holds);
        assert!(eval("r.snapshot == [ERROR, ZERO|READ, WRITE, WRITE]").holds);
        assert!(eval("r.snapshot[2..4] == WRITE").holds);
        assert!(!eval("r.snapshot == [ERROR, READ, WRITE, WRITE]").holds);
        assert!(eval("mirror[0..4] == i").holds);
        assert!(eval("pte[0..4] == device_private_write").holds);
        assert!(eval("where[1] == dev0").holds);
        assert!(!eval("where[1] == sys").holds);
        assert!(eval("mem[0..4] == i").holds);
        assert!(eval("refcount[2] == 1").holds);
        assert!(eval("holder[0..4] == none").holds);
        assert!(!eval("holder[0] == t1").holds);
        assert!(eval("A.walks == 2").holds);
        assert!(!eval("A.walks == 1").holds);
        assert!(!eval("B.walks == 1").holds, "a lane that did not run fails");
        assert!(eval("exists schedule livelock").holds);
        assert!(!eval("exists schedule deadlock").holds);
        assert!(!eval("all schedules completed").holds);
    }

    #[test]
    fn pages_report_the_first_failing_page() {
        let v = eval("mem[0..4] == 0");
        assert!(!v.holds);
        assert_eq!(v.detail, "mem[1] is 1");
    }
}

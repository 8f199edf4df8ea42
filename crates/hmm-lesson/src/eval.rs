//! Evaluate one [`Check`] against an [`Observation`]: does the claim hold, and what was actually seen.
//!
//! Pure functions over plain data; the `expect_fail` inversion is applied by the caller, so a verdict always
//! describes the claim as written.

use crate::model::{
    Check, Cmp, EventPattern, Lane, PageField, Pages, Probe, ResultField, Value, World,
};
use crate::observe::{EventObs, Observation, PageObs, ResultObs, WorldObs};
use crate::values;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub holds: bool,
    /// What was observed, in the lesson's vocabulary ("r.cpages is 15").
    pub detail: String,
}

fn verdict(holds: bool, detail: impl Into<String>) -> Verdict {
    Verdict {
        holds,
        detail: detail.into(),
    }
}

fn world(obs: &Observation, w: World) -> Result<&WorldObs, Verdict> {
    match w {
        World::Main => Ok(&obs.main),
        World::Lane(l) => obs
            .lane(l)
            .ok_or_else(|| verdict(false, format!("lane {} did not run", l.name()))),
    }
}

fn world_name(w: World) -> String {
    match w {
        World::Main => String::new(),
        World::Lane(l) => format!("{}.", l.name()),
    }
}

pub fn check(c: &Check, obs: &Observation) -> Verdict {
    let result = match c {
        Check::Compare { probe, cmp, value } => compare(probe, *cmp, value, obs),
        Check::AlwaysInvariants => always_invariants(obs),
        Check::LanesAgree => lanes_agree(obs),
        Check::ExistsSchedule(p) => match &obs.schedules {
            None => Err(verdict(false, "no schedule search was made")),
            Some(s) => {
                let key = p.key();
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
        },
        Check::AllSchedules(p) => match &obs.schedules {
            None => Err(verdict(false, "no schedule search was made")),
            Some(s) => {
                let key = p.key();
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
        },
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

fn keys<V>(m: &std::collections::BTreeMap<String, V>) -> String {
    if m.is_empty() {
        "none".into()
    } else {
        m.keys().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// Does event `e` match pattern `p` (kind and every filter given)?
pub fn event_matches(p: &EventPattern, e: &EventObs) -> bool {
    e.kind == p.kind
        && p.page.is_none_or(|pg| e.page == Some(pg))
        && p.thread
            .as_ref()
            .is_none_or(|t| e.thread.as_ref() == Some(t))
        && p.func.as_ref().is_none_or(|f| &e.func == f)
}

fn describe_event(p: &EventPattern) -> String {
    p.describe()
}

fn before(a: &EventPattern, b: &EventPattern, obs: &Observation) -> Result<Verdict, Verdict> {
    if a.world != b.world {
        return Ok(verdict(false, "`before` compares events of one world"));
    }
    let wa = world(obs, a.world)?;
    let ia = wa.events.iter().position(|e| event_matches(a, e));
    let ib = wa.events.iter().position(|e| event_matches(b, e));
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
    for l in Lane::ALL {
        worlds.push((l, world(obs, World::Lane(l))?));
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
                        "page {p}: {} has {} at {:?}, {} has {} at {:?}",
                        l0.name(),
                        a.pte,
                        a.location,
                        l.name(),
                        b.pte,
                        b.location
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

fn compare(probe: &Probe, cmp: Cmp, value: &Value, obs: &Observation) -> Result<Verdict, Verdict> {
    let mask = if obs.content_mask == 0 {
        u64::MAX
    } else {
        obs.content_mask
    };
    match probe {
        Probe::Result { name, field, pages } => {
            let r = obs
                .results
                .get(name)
                .ok_or_else(|| verdict(false, format!("{name} was never produced")))?;
            result_field(name, *field, *pages, r, cmp, value, mask)
        }
        Probe::Mirror { pages } => {
            let Value::Pattern(pat) = value else {
                return Err(type_error());
            };
            per_page(*pages, "mirror", cmp, |p| {
                let got = obs.mirror.get(p).copied();
                let want = pat.value(p) & mask;
                (
                    cmp.holds_eq(&got.map(|g| g & mask), &Some(want)),
                    got.map_or("nothing".into(), |g| g.to_string()),
                )
            })
        }
        Probe::Page {
            world: w,
            field,
            pages,
        } => {
            let wo = world(obs, *w)?;
            let label = format!("{}{}", world_name(*w), page_field_name(*field));
            per_page(*pages, &label, cmp, |p| {
                let Some(page) = wo.pages.get(p) else {
                    return (false, "not observed".into());
                };
                page_field(page, *field, cmp, value, p, mask)
            })
        }
        Probe::Counter { world: w, counter } => {
            let wo = world(obs, *w)?;
            let Value::Int(want) = value else {
                return Err(type_error());
            };
            let label = format!(
                "{}{}",
                if *w == World::Main {
                    "counters.".to_string()
                } else {
                    world_name(*w)
                },
                counter.name()
            );
            match wo.counter(*counter) {
                None => Ok(verdict(
                    false,
                    format!("{label} is not reported by the simulator"),
                )),
                Some(got) => Ok(verdict(
                    cmp.holds(&(got as i64), want),
                    format!("{label} is {got}"),
                )),
            }
        }
        Probe::LocksHeld { world: w } => {
            let wo = world(obs, *w)?;
            let Value::Int(want) = value else {
                return Err(type_error());
            };
            Ok(verdict(
                cmp.holds(&(wo.locks_held as i64), want),
                format!("{}locks_held is {}", world_name(*w), wo.locks_held),
            ))
        }
    }
}

fn type_error() -> Verdict {
    verdict(
        false,
        "value of the wrong type for this probe (validator bug)",
    )
}

fn page_field_name(f: PageField) -> &'static str {
    match f {
        PageField::Pte => "pte",
        PageField::Where => "where",
        PageField::Refcount => "refcount",
        PageField::Mapcount => "mapcount",
        PageField::Locked => "locked",
        PageField::Holder => "holder",
        PageField::Mem => "mem",
    }
}

/// The claim for a range holds iff it holds for every page; the detail names the first page where it fails.
fn per_page(
    pages: Pages,
    label: &str,
    cmp: Cmp,
    mut f: impl FnMut(usize) -> (bool, String),
) -> Result<Verdict, Verdict> {
    let mut first_seen = None;
    for p in pages.iter() {
        let (ok, seen) = f(p);
        if !ok {
            return Ok(verdict(false, format!("{label}[{p}] is {seen}")));
        }
        first_seen.get_or_insert(seen);
    }
    let range = if pages.len() == 1 {
        pages.start.to_string()
    } else {
        format!("{}..{}", pages.start, pages.end)
    };
    let _ = cmp;
    Ok(verdict(
        true,
        format!("{label}[{range}]: {}", first_seen.unwrap_or_default()),
    ))
}

fn page_field(
    page: &PageObs,
    field: PageField,
    cmp: Cmp,
    value: &Value,
    p: usize,
    mask: u64,
) -> (bool, String) {
    match (field, value) {
        (PageField::Pte, Value::Kind(k)) => (cmp.holds_eq(&page.pte, k), page.pte.clone()),
        (PageField::Where, Value::Location(l)) => (
            cmp.holds_eq(&page.location, &Some(*l)),
            format!("{:?}", page.location),
        ),
        (PageField::Refcount, Value::Int(n)) | (PageField::Mapcount, Value::Int(n)) => {
            let got = if field == PageField::Refcount {
                page.refcount
            } else {
                page.mapcount
            };
            match got {
                Some(g) => (cmp.holds(&g, n), g.to_string()),
                None => (false, "without a folio".into()),
            }
        }
        (PageField::Holder, Value::Nothing) => {
            (cmp.holds_eq(&page.holder, &None), holder_text(&page.holder))
        }
        (PageField::Holder, Value::Thread(t)) => (
            cmp.holds_eq(&page.holder, &Some(t.clone())),
            holder_text(&page.holder),
        ),
        (PageField::Locked, Value::Bool(b)) => {
            (cmp.holds_eq(&page.locked, b), page.locked.to_string())
        }
        (PageField::Mem, Value::Nothing) => (
            cmp.holds_eq(&page.content, &None),
            content_text(page.content),
        ),
        (PageField::Mem, Value::Pattern(pat)) => {
            let got = page.content.map(|c| c & mask);
            (
                cmp.holds_eq(&got, &Some(pat.value(p) & mask)),
                content_text(page.content),
            )
        }
        _ => (false, "compared with a value of the wrong type".into()),
    }
}

fn holder_text(h: &Option<String>) -> String {
    h.clone().unwrap_or_else(|| "none".into())
}

fn content_text(c: Option<u64>) -> String {
    c.map_or("no content".into(), |v| v.to_string())
}

fn result_field(
    name: &str,
    field: ResultField,
    pages: Option<Pages>,
    r: &ResultObs,
    cmp: Cmp,
    value: &Value,
    mask: u64,
) -> Result<Verdict, Verdict> {
    let wrong = || verdict(false, format!("{name} has no such field"));
    match (field, r) {
        (ResultField::Ret, ResultObs::Dmirror { ret, .. })
        | (ResultField::Ret, ResultObs::Run { ret: Some(ret), .. }) => {
            int_field(name, "ret", *ret, cmp, value)
        }
        (ResultField::Cpages, ResultObs::Dmirror { ret, cpages, .. }) => {
            // dmirror_fops_unlocked_ioctl copies cmd back only on success: a failed call reports nothing.
            if *ret != 0 {
                return Ok(verdict(
                    false,
                    format!("{name} failed with {ret}: no cpages are copied back"),
                ));
            }
            int_field(name, "cpages", *cpages as i64, cmp, value)
        }
        (ResultField::Faults, ResultObs::Dmirror { ret, faults, .. }) => {
            if *ret != 0 {
                return Ok(verdict(
                    false,
                    format!("{name} failed with {ret}: no faults count is copied back"),
                ));
            }
            int_field(name, "faults", *faults as i64, cmp, value)
        }
        (ResultField::Outcome, ResultObs::Run { outcome, .. }) => match value {
            Value::Outcome(o) => Ok(verdict(
                cmp.holds_eq(outcome, o),
                format!("{name}.outcome is {}", outcome.name()),
            )),
            _ => Err(type_error()),
        },
        (ResultField::Data, ResultObs::Dmirror { data, .. }) => match (data, value) {
            (None, Value::Nothing) => Ok(verdict(cmp == Cmp::Eq, format!("{name}.data is none"))),
            (None, _) => Ok(verdict(
                cmp == Cmp::Ne,
                format!("{name}.data is none: nothing was copied back"),
            )),
            (Some(_), Value::Nothing) => Ok(verdict(
                cmp == Cmp::Ne,
                format!("{name}.data was copied back"),
            )),
            (Some(d), Value::Pattern(pat)) => {
                let range = pages.unwrap_or_else(|| span_of(d.keys()));
                per_page(range, &format!("{name}.data"), cmp, |p| match d.get(&p) {
                    Some(v) => (
                        cmp.holds_eq(&(v & mask), &(pat.value(p) & mask)),
                        v.to_string(),
                    ),
                    None => (false, "not part of this result".into()),
                })
            }
            _ => Err(type_error()),
        },
        (ResultField::Data, ResultObs::CpuRead { data }) => {
            let Value::Pattern(pat) = value else {
                return Err(type_error());
            };
            let range = pages.unwrap_or_else(|| span_of(data.keys()));
            per_page(range, &format!("{name}.data"), cmp, |p| {
                match data.get(&p) {
                    Some(Some(v)) => (
                        cmp.holds_eq(&(v & mask), &(pat.value(p) & mask)),
                        v.to_string(),
                    ),
                    Some(None) => (false, "a failed access".into()),
                    None => (false, "not part of this read".into()),
                }
            })
        }
        (ResultField::Snapshot, ResultObs::Dmirror { snapshot, .. }) => {
            let Value::Bytes(want) = value else {
                return Err(type_error());
            };
            let Some(s) = snapshot else {
                return Ok(verdict(false, format!("{name} produced no snapshot")));
            };
            let range = pages.unwrap_or_else(|| span_of(s.keys()));
            if want.len() != 1 && want.len() != range.len() {
                return Ok(verdict(
                    false,
                    format!("{} expected bytes for {} pages", want.len(), range.len()),
                ));
            }
            per_page(range, &format!("{name}.snapshot"), cmp, |p| {
                let expected = if want.len() == 1 {
                    want[0]
                } else {
                    want[p - range.start]
                };
                match s.get(&p) {
                    Some(b) => (cmp.holds_eq(b, &expected), values::snapshot_name(*b)),
                    None => (false, "not part of this snapshot".into()),
                }
            })
        }
        _ => Err(wrong()),
    }
}

fn span_of<'a>(keys: impl Iterator<Item = &'a usize> + Clone) -> Pages {
    let start = keys.clone().min().copied().unwrap_or(0);
    let end = keys.max().map_or(0, |m| m + 1);
    Pages { start, end }
}

fn int_field(
    name: &str,
    field: &str,
    got: i64,
    cmp: Cmp,
    value: &Value,
) -> Result<Verdict, Verdict> {
    let Value::Int(want) = value else {
        return Err(type_error());
    };
    Ok(verdict(
        cmp.holds(&got, want),
        format!("{name}.{field} is {got}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assertion::parse_line;
    use crate::model::Location;
    use crate::observe::ScheduleSearch;
    use std::collections::BTreeMap;

    fn obs() -> Observation {
        let mut o = Observation {
            content_mask: u32::MAX as u64,
            mirror: (0..4).collect(),
            ..Default::default()
        };
        o.results.insert(
            "r".into(),
            ResultObs::Dmirror {
                ret: 0,
                cpages: 4,
                faults: 1,
                data: Some((0..4).map(|p| (p, p as u64)).collect()),
                snapshot: Some(BTreeMap::from([(0, 0xFF), (1, 0x11), (2, 0x02), (3, 0x02)])),
            },
        );
        o.results.insert(
            "bad".into(),
            ResultObs::Dmirror {
                ret: -14,
                cpages: 0,
                faults: 0,
                data: None,
                snapshot: None,
            },
        );
        o.main.pages = (0..4)
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
        o.lanes.insert("legacy_a".into(), lane);
        o.schedules = Some(ScheduleSearch {
            witnesses: BTreeMap::from([
                ("livelock".into(), vec!["t1".into(), "t2".into()]),
                ("completed".into(), vec![]),
            ]),
            counts: BTreeMap::from([("livelock".into(), 3), ("completed".into(), 7)]),
            tried: 10,
            exhaustive: true,
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

//! Comparing what a probe reads in a world (pages, mirror, counters, locks) with the claimed value.

use super::result::{per_page, result_field, type_error};
use super::{verdict, world, world_name, Verdict};
use crate::model::{Cmp, PageField, Probe, Value, WhichWorld};
use crate::observe::{Observation, PageObs};

pub(super) fn compare(
    probe: &Probe,
    cmp: Cmp,
    value: &Value,
    obs: &Observation,
) -> Result<Verdict, Verdict> {
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
                if *w == WhichWorld::Main {
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
            crate::values::location_name(page.location),
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

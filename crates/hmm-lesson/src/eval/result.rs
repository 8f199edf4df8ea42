//! Comparing a bound result's fields (`ret`, `cpages`, `faults`, `data`, `snapshot`, `outcome`), and the two
//! helpers every comparison shares ([`per_page`], [`type_error`]): `probe` builds on this module, never the
//! other way round.

use super::{internal, verdict, Verdict};
use crate::model::{Cmp, Pages, ResultField, Value};
use crate::observe::ResultObs;
use crate::values;
use std::collections::BTreeMap;

pub(super) fn result_field(
    name: &str,
    field: ResultField,
    pages: Option<Pages>,
    r: &ResultObs,
    cmp: Cmp,
    value: &Value,
    mask: u64,
) -> Result<Verdict, Verdict> {
    let wrong = || internal(format!("{name} has no such field"));
    match (field, r) {
        (ResultField::Ret, ResultObs::Dmirror { ret, .. })
        | (ResultField::Ret, ResultObs::Run { ret: Some(ret), .. })
        | (ResultField::Ret, ResultObs::Syscall { ret }) => {
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
        (
            ResultField::Outcome,
            ResultObs::Run {
                outcome, stopped, ..
            },
        ) => match value {
            Value::Outcome(o) => Ok(verdict(
                cmp.holds_eq(outcome, o),
                match stopped {
                    Some(why) => format!("{name}.outcome is {} ({why})", outcome.name()),
                    None => format!("{name}.outcome is {}", outcome.name()),
                },
            )),
            _ => Err(type_error()),
        },
        (ResultField::Data, ResultObs::Dmirror { data, .. }) => {
            dmirror_data(name, data.as_ref(), pages, cmp, value, mask)
        }
        (ResultField::Data, ResultObs::CpuRead { data }) => {
            cpu_data(name, data, pages, cmp, value, mask)
        }
        (ResultField::Snapshot, ResultObs::Dmirror { snapshot, .. }) => {
            snapshot_bytes(name, snapshot.as_ref(), pages, cmp, value)
        }
        _ => Err(wrong()),
    }
}

pub(super) fn type_error() -> Verdict {
    internal("a value of the wrong type for this probe")
}

/// The claim for a range holds iff it holds for every page; the detail names the first page where it fails.
pub(super) fn per_page(
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

/// `r.data` of a dmirror call: `none` when nothing was copied back, else a pattern per page.
fn dmirror_data(
    name: &str,
    data: Option<&BTreeMap<usize, u64>>,
    pages: Option<Pages>,
    cmp: Cmp,
    value: &Value,
    mask: u64,
) -> Result<Verdict, Verdict> {
    match (data, value) {
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
    }
}

/// `r.data` of a `cpu read`: what each page's access returned.
fn cpu_data(
    name: &str,
    data: &BTreeMap<usize, Option<u64>>,
    pages: Option<Pages>,
    cmp: Cmp,
    value: &Value,
    mask: u64,
) -> Result<Verdict, Verdict> {
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

/// `r.snapshot`: one expected byte for every page, or one per page of the range.
fn snapshot_bytes(
    name: &str,
    snapshot: Option<&BTreeMap<usize, u8>>,
    pages: Option<Pages>,
    cmp: Cmp,
    value: &Value,
) -> Result<Verdict, Verdict> {
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

//! mm/pagewalk.c: the bits of `walk_page_range` every walker shares — the trace of its levels and the
//! split of a range into PMD-sized chunks. PGD, P4D and PUD are collapsed (the model's ranges fit in one
//! PUD) but are still shown as levels in the trace.

use crate::kernel::Kernel;
use crate::trace::{pack_page, Ev, Func, Level, Page, WalkKind};
use crate::world::{MmId, PTRS_PER_PTE};

/// An open `walk_page_range` invocation.
pub struct Walk {
    pub mm: MmId,
}

/// Start a `walk_page_range` over `[start, end)`.
pub fn begin(k: &Kernel, mm: MmId, start: u32, end: u32) -> Walk {
    let _call = k.enter(Func::WalkPageRange, pack_page(mm, start));
    k.record(Ev::WalkBegin {
        walk: WalkKind::PageRange,
        start: pack_page(mm, start),
        end,
    });
    for level in [Level::Pgd, Level::P4d, Level::Pud] {
        let page = Page { mm, vpn: start };
        k.record(Ev::Descend { page, level });
    }
    Walk { mm }
}

/// The walker reaches the PMD covering `vpn`.
pub fn descend(k: &Kernel, w: &Walk, vpn: u32) {
    let page = Page { mm: w.mm, vpn };
    k.record(Ev::Descend {
        page,
        level: Level::Pmd,
    });
}

pub fn end(k: &Kernel, start: u32, end: u32) {
    k.record(Ev::WalkEnd {
        walk: WalkKind::PageRange,
        start,
        end,
    });
}

/// `[start, end)` split at PMD boundaries (`pmd_addr_end`).
pub fn pmd_chunks(start: u32, end: u32) -> impl Iterator<Item = (u32, u32)> {
    let mut s = start;
    std::iter::from_fn(move || {
        if s >= end {
            return None;
        }
        let e = ((s / PTRS_PER_PTE + 1) * PTRS_PER_PTE).min(end);
        let chunk = (s, e);
        s = e;
        Some(chunk)
    })
}

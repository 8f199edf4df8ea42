//! mm/gup_test.c: the debugfs test module hmm-tests.c's `hmm_gup_test` drives (`/sys/kernel/debug/gup_test`).
//! Each benchmark ioctl gets or pins the pages of a range one call at a time, then puts them all back
//! (`put_back_pages`): nothing stays pinned after the ioctl.

use crate::kernel::Kernel;
use crate::mm::gup::{get_user_pages, get_user_pages_fast, put_user_page};
use crate::trace::{pack_page, Func};
use crate::world::MmId;
use serde::{Deserialize, Serialize};

/// The gup_test ioctls hmm_gup_test uses (mm/gup_test.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GupTestCmd {
    /// `get_user_pages`, under `mmap_lock`.
    GupBasicTest,
    /// `get_user_pages_fast`.
    GupFastBenchmark,
    /// `pin_user_pages_fast`.
    PinFastBenchmark,
    /// `pin_user_pages(… | FOLL_LONGTERM)`, under `mmap_lock`.
    PinLongtermBenchmark,
}

impl GupTestCmd {
    pub const ALL: [GupTestCmd; 4] = [
        GupTestCmd::GupBasicTest,
        GupTestCmd::GupFastBenchmark,
        GupTestCmd::PinFastBenchmark,
        GupTestCmd::PinLongtermBenchmark,
    ];
    /// The ioctl's name in mm/gup_test.h.
    pub fn name(self) -> &'static str {
        match self {
            GupTestCmd::GupBasicTest => "GUP_BASIC_TEST",
            GupTestCmd::GupFastBenchmark => "GUP_FAST_BENCHMARK",
            GupTestCmd::PinFastBenchmark => "PIN_FAST_BENCHMARK",
            GupTestCmd::PinLongtermBenchmark => "PIN_LONGTERM_BENCHMARK",
        }
    }
    pub fn parse(name: &str) -> Option<GupTestCmd> {
        GupTestCmd::ALL.into_iter().find(|c| c.name() == name)
    }
    fn fast(self) -> bool {
        matches!(
            self,
            GupTestCmd::GupFastBenchmark | GupTestCmd::PinFastBenchmark
        )
    }
    fn pin(self) -> bool {
        matches!(
            self,
            GupTestCmd::PinFastBenchmark | GupTestCmd::PinLongtermBenchmark
        )
    }
}

/// `__gup_test_ioctl` with `nr_pages_per_call = 1` and `gup_flags = FOLL_WRITE` (plus `FOLL_LONGTERM` when
/// `longterm`, as hmm_gup_test passes it to `PIN_FAST_BENCHMARK`). The loop stops at the first page it
/// cannot get; the ioctl still returns 0 (only its `size` field, which the test does not read, says how
/// far it got).
pub async fn gup_test_ioctl(
    k: &Kernel,
    mm: MmId,
    cmd: GupTestCmd,
    start: u32,
    npages: u32,
    longterm: bool,
) -> i32 {
    let call = k.enter(Func::GupTestIoctl, pack_page(mm, start));
    let needs_mmap_lock = !cmd.fast();
    if needs_mmap_lock {
        k.mmap_read_lock(mm).await;
    }
    let longterm = longterm || cmd == GupTestCmd::PinLongtermBenchmark;
    let mut pages = Vec::new();
    for vpn in start..start.saturating_add(npages) {
        let got = if cmd.fast() {
            get_user_pages_fast(k, mm, vpn, cmd.pin(), longterm).await
        } else {
            get_user_pages(k, mm, vpn, cmd.pin(), longterm).await
        };
        match got {
            Ok(pfn) => pages.push(pfn),
            Err(_) => break,
        }
    }
    // put_back_pages
    for pfn in pages {
        put_user_page(k, pfn, cmd.pin());
    }
    if needs_mmap_lock {
        k.mmap_read_unlock(mm);
    }
    call.ret(0);
    0
}

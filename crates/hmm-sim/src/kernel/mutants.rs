//! The release-site mutation knob (cargo feature `mutants`, enabled only for hmm-sim's own tests): skip the
//! lock release at one call site, as if that line were deleted, and record which release sites a workload
//! reaches. The release primitives (`unlock`, `up_read`, `up_write`, `folio_unlock`, `mmap_read_unlock`,
//! `mmap_write_unlock`) are `#[track_caller]`, so the site is the caller's `file:line`.
//!
//! Thread-local: tests run in parallel on separate threads and the simulator is single-threaded.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::panic::Location;

/// A release call site: the source file (as the compiler names it) and line.
pub type Site = (&'static str, u32);

thread_local! {
    /// The site to skip: a path suffix (e.g. `src/mm/rmap.rs`) and a line.
    static SKIP: RefCell<Option<(String, u32)>> = const { RefCell::new(None) };
    static REACHED: RefCell<BTreeSet<Site>> = const { RefCell::new(BTreeSet::new()) };
}

/// Called by each release primitive: records the site and says whether to skip the release there.
pub(crate) fn skipped(loc: &'static Location<'static>) -> bool {
    let site = (loc.file(), loc.line());
    let skip = SKIP.with(|s| {
        s.borrow().as_ref().is_some_and(|(file, line)| {
            *line == site.1 && site.0.replace('\\', "/").ends_with(file.as_str())
        })
    });
    REACHED.with(|r| r.borrow_mut().insert(site));
    skip
}

/// Skip the release at line `site.1` of the file whose path ends with `site.0` (None: skip nothing), on
/// this thread from now on.
pub fn skip_release_at(site: Option<(String, u32)>) {
    SKIP.with(|s| *s.borrow_mut() = site);
}

/// The release sites reached on this thread since the last call (the set is emptied).
pub fn take_release_sites_reached() -> BTreeSet<Site> {
    REACHED.with(|r| std::mem::take(&mut *r.borrow_mut()))
}

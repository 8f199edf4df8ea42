//! Invariants of the model. The kernel context checks the per-step ones as it goes (a PTE written
//! without its PTL, a refcount below zero, a lock released by a non-holder) and records breaches;
//! [`check_at_rest`] checks what must hold whenever no operation is in flight, including that no lock of
//! any class is held ([`World::held_locks`]). Compound folios are covered: a THP head holds the references of
//! every PMD and PTE mapping of its pages, tails hold none, and a 2 MiB range is one PMD entry or 512 PTEs,
//! never both.

use crate::pte::{Pte, ZERO_PFN};
use crate::world::{MappingKind, PageLocation, World, Zone, PTRS_PER_PTE};

/// Everything that must hold when every thread has finished. Returns one message per breach.
pub fn check_at_rest(w: &World) -> Vec<String> {
    let mut out = Vec::new();
    // Mappings per frame, from every live page table.
    let mut maps = vec![0i32; w.frames.len()];
    // PMD mappings per THP head.
    let mut entire = vec![0i32; w.frames.len()];
    for mm in w.mms.iter().filter(|m| m.alive) {
        for (&pmd, h) in &mm.huge {
            let vpn = pmd * PTRS_PER_PTE;
            if mm.pmds[pmd as usize].is_some() {
                out.push(format!(
                    "mm{} page {vpn:#x}: both a PMD leaf and a PTE table (one PMD entry or 512 PTEs, never both)",
                    mm.id
                ));
            }
            match h.entry {
                Pte::Migration { pfn, .. } => out.push(format!(
                    "mm{} page {vpn:#x}: unresolved PMD migration entry for pfn {pfn:#x}",
                    mm.id
                )),
                Pte::Present { pfn, .. } | Pte::DevicePrivate { pfn, .. } => {
                    let f = w.folio(pfn);
                    if f.order != 9 || f.tail_of.is_some() {
                        out.push(format!(
                            "mm{} page {vpn:#x}: the PMD maps pfn {pfn:#x}, which is not the head of a 2 MiB folio",
                            mm.id
                        ));
                    } else {
                        entire[pfn as usize] += 1;
                    }
                }
                Pte::Zero if w.huge_zero.is_none() => out.push(format!(
                    "mm{} page {vpn:#x}: maps the huge zero page, which was never allocated",
                    mm.id
                )),
                _ => {}
            }
        }
        for (pmd, table) in mm.pmds.iter().enumerate() {
            let Some(t) = table else { continue };
            for (i, pte) in t.ptes.iter().enumerate() {
                let vpn = pmd as u32 * PTRS_PER_PTE + i as u32;
                match *pte {
                    Pte::Migration { pfn, .. } => out.push(format!(
                        "mm{} page {vpn:#x}: unresolved migration entry for pfn {pfn:#x}",
                        mm.id
                    )),
                    Pte::Present { pfn, .. }
                    | Pte::DevicePrivate { pfn, .. }
                    | Pte::DeviceExclusive { pfn, .. } => maps[pfn as usize] += 1,
                    Pte::None | Pte::Zero | Pte::Swap { .. } => {}
                }
            }
        }
        if mm.invalidate_seq % 2 == 1 || mm.active_invalidations != 0 {
            out.push(format!(
                "mm{}: an invalidation is still open (seq {})",
                mm.id, mm.invalidate_seq
            ));
        }
    }
    for (pfn, f) in w.frames.iter().enumerate() {
        if pfn as u32 == ZERO_PFN || f.zone == Zone::Zero {
            continue;
        }
        if f.entire_mapcount != entire[pfn] {
            out.push(format!(
                "pfn {pfn:#x}: entire mapcount {} but {} PMD mappings",
                f.entire_mapcount, entire[pfn]
            ));
        }
        if let Some(head) = f.tail_of {
            // A tail page: its own PTE mappings only; the folio's references live in the head.
            if f.mapcount != maps[pfn] {
                out.push(format!(
                    "pfn {pfn:#x} (tail of {head:#x}): mapcount {} but {} mappings",
                    f.mapcount, maps[pfn]
                ));
            }
            if f.refcount != 0 {
                out.push(format!(
                    "pfn {pfn:#x} (tail of {head:#x}): refcount {}",
                    f.refcount
                ));
            }
            continue;
        }
        if f.order > 0 {
            // A large folio: one reference per PMD mapping and per PTE mapping of any of its pages.
            let n = f.nr_pages() as usize;
            let ptes: i32 = maps[pfn..pfn + n].iter().sum();
            if f.mapcount != maps[pfn] {
                out.push(format!(
                    "pfn {pfn:#x} (THP head): mapcount {} but {} mappings",
                    f.mapcount, maps[pfn]
                ));
            }
            if f.refcount != f.entire_mapcount + ptes {
                out.push(format!(
                    "pfn {pfn:#x} (THP head): refcount {} but {} PMD + {ptes} PTE mappings",
                    f.refcount, f.entire_mapcount
                ));
            }
            continue;
        }
        if f.mapcount != maps[pfn] {
            out.push(format!(
                "pfn {pfn:#x}: mapcount {} but {} mappings",
                f.mapcount, maps[pfn]
            ));
        }
        // At rest the only references are the mappings' (device pages: one per mapping, the driver's
        // initial reference having been dropped at finalize) and the page cache's.
        let cached = f.mapping.is_some() as i32;
        if f.refcount != f.mapcount + cached {
            out.push(format!(
                "pfn {pfn:#x}: refcount {} but mapcount {} (+{cached} page cache)",
                f.refcount, f.mapcount
            ));
        }
        if f.refcount > 0 && f.mapping.is_some() && f.anon_vma.is_some() {
            out.push(format!("pfn {pfn:#x}: both anonymous and in a page cache"));
        }
    }
    out.extend(check_page_cache(w));
    // Nothing is locked at rest: every lock of every class (World::held_locks is the one enumerator).
    for h in w.held_locks() {
        out.push(format!("{} still held by T{}", h.lock.describe(), h.holder));
    }
    out.extend(check_contents(w));
    out
}

/// Page-cache folios keep their place and their data: every cached folio names its file and index
/// (`folio->mapping`, `folio->index`), no folio is cached twice, a clean folio of a regular file holds what
/// its block on disk holds (dirty data is never dropped without writeback), and every file page reads
/// back what was last written to it (`expected_file`).
pub fn check_page_cache(w: &World) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for a in &w.mappings {
        for (&index, &pfn) in &a.pages {
            let f = w.folio(pfn);
            if f.mapping != Some(a.id) || f.index != index || f.refcount == 0 {
                out.push(format!(
                    "file {} page {index}: cached pfn {pfn:#x} says mapping {:?} index {} refcount {}",
                    a.id, f.mapping, f.index, f.refcount
                ));
            }
            if !seen.insert(pfn) {
                out.push(format!("pfn {pfn:#x} is cached twice"));
            }
            if a.kind == MappingKind::File && !f.dirty {
                let disk = a.disk.get(&index).copied().unwrap_or(0);
                if f.content != disk {
                    out.push(format!(
                        "file {} page {index}: clean folio holds {:#x} but the disk holds {disk:#x} (dirty data lost)",
                        a.id, f.content
                    ));
                }
            }
        }
    }
    for (pfn, f) in w.frames.iter().enumerate() {
        if let Some(m) = f.mapping.filter(|_| f.refcount > 0) {
            let cached = w
                .mappings
                .get(m as usize)
                .and_then(|a| a.pages.get(&f.index));
            if cached != Some(&(pfn as u32)) {
                out.push(format!(
                    "pfn {pfn:#x} names file {m} page {} but is not cached there",
                    f.index
                ));
            }
        }
    }
    for (&(m, index), &want) in &w.expected_file {
        let Some(a) = w.mappings.get(m as usize) else {
            continue;
        };
        let have = match a.pages.get(&index) {
            Some(&pfn) => w.folio(pfn).content,
            None if a.kind == MappingKind::File => a.disk.get(&index).copied().unwrap_or(0),
            None => 0,
        };
        if have != want {
            out.push(format!(
                "file {m} page {index}: reads {have:#x}, expected {want:#x}"
            ));
        }
    }
    out
}

/// Page contents are never lost: every page reads back what was last written to it.
pub fn check_contents(w: &World) -> Vec<String> {
    let mut out = Vec::new();
    for (&(mm, vpn), &want) in &w.expected {
        if !w.mms.get(mm as usize).is_some_and(|m| m.alive) {
            continue;
        }
        let loc = w.locate(mm, vpn);
        if let PageLocation::Swap { slot, .. } = loc {
            if w.swap.get(slot as usize).copied().flatten().is_none() {
                out.push(format!("mm{mm} page {vpn:#x}: swap slot {slot} is free"));
                continue;
            }
        }
        if loc.content() != want {
            out.push(format!(
                "mm{mm} page {vpn:#x}: holds {:#x}, expected {want:#x} ({})",
                loc.content(),
                loc.name()
            ));
        }
    }
    out
}

//! Page cache, shmem and file mappings: the reverse map of page-cache folios (`rmap_walk_file` under
//! `i_mmap_rwsem`), shared and private file faults, `read(2)` / `write(2)`, writeback and truncate.

use hmm_sim::{
    check_page_cache, run, DmirrorCmd, Ev, LockId, MappingKind, Op, Outcome, Prot, Pte, Report,
    RunConfig, Setup, ThreadSpec, CPU_FAULT_SIGNAL, RANGE_BASE_VPN,
};

const B: u32 = RANGE_BASE_VPN;

fn main_thread(ops: Vec<Op>) -> Vec<ThreadSpec> {
    vec![ThreadSpec {
        name: "main".into(),
        mm: 0,
        ops,
    }]
}

fn go(setup: &Setup, ops: Vec<Op>) -> Report {
    let r = run(setup, &main_thread(ops), &RunConfig::default());
    assert_eq!(r.result, Ok(()), "the run must complete");
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    r
}

fn writes(start: u32, n: u32, base: u32) -> Vec<Op> {
    (0..n)
        .map(|i| Op::CpuWrite {
            vpn: start + i,
            value: base + i,
        })
        .collect()
}

fn reads(start: u32, n: u32) -> Vec<Op> {
    (0..n).map(|i| Op::CpuRead { vpn: start + i }).collect()
}

fn migrate(start: u32, npages: u32) -> Op {
    Op::Dmirror {
        dev: 0,
        cmd: DmirrorCmd::MigrateToDev,
        start,
        npages,
        data: Vec::new(),
    }
}

fn took_i_mmap_for_read(r: &Report) -> bool {
    r.events.iter().any(|e| {
        matches!(
            e.decode(),
            Ev::LockAcquire {
                lock: LockId::IMmap(_),
                shared: true
            }
        )
    })
}

/// Issue 9 item 7: a shmem page that collect takes and `migrate_vma_pages` refuses ("only anonymous
/// memory to device private") has its migration entry restored by `remove_migration_ptes` through
/// `rmap_walk_file`. Before, the rmap walk found nothing for a folio without an anon_vma: the entries
/// stayed, and the CPU read after the migration waited on them forever (the run hit its step limit).
#[test]
fn refused_shmem_pages_are_restored_through_rmap_walk_file() {
    let mut s = Setup::new(1);
    s.mmap(
        0,
        B,
        4,
        Prot {
            shared: true,
            ..Prot::RW
        },
    );
    let mut ops = writes(B, 4, 10);
    ops.push(migrate(B, 4));
    ops.extend(reads(B, 4));
    let r = go(&s, ops);
    let out = &r.outcomes[0];
    // test_hmm reads the range back through the device after migrating: nothing moved, so -ENOENT.
    assert!(matches!(out[4], Outcome::Cmd(ref c) if c.ret == hmm_sim::ENOENT));
    for i in 0..4 {
        assert_eq!(out[5 + i as usize], Outcome::Cpu(Ok(10 + i)));
        assert!(matches!(
            r.world.mms[0].pte(B + i),
            Pte::Present { write: true, .. }
        ));
    }
    assert!(took_i_mmap_for_read(&r));
}

/// The same through fork: parent and child map the same shmem folios, so the file rmap walk restores
/// both mappings, and a write in the child is seen by the parent.
#[test]
fn shmem_rmap_walk_reaches_every_mm_mapping_the_file() {
    let mut s = Setup::new(1);
    s.mmap(
        0,
        B,
        2,
        Prot {
            shared: true,
            ..Prot::RW
        },
    );
    let mut ops = writes(B, 2, 1);
    ops.push(Op::Fork);
    ops.push(migrate(B, 2));
    ops.extend(reads(B, 2));
    let r = go(&s, ops);
    for mm in 0..2 {
        for i in 0..2 {
            let pte = r.world.mms[mm].pte(B + i);
            assert!(pte.is_present(), "mm{mm} page {i}: {pte:?}");
        }
    }
    let pfn = r.world.mms[0].pte(B).pfn().unwrap();
    assert_eq!(r.world.mms[1].pte(B).pfn(), Some(pfn));
    let f = r.world.folio(pfn);
    // Two mappings plus the page cache's reference.
    assert_eq!((f.mapcount, f.refcount), (2, 3));
}

fn file_setup(kind: MappingKind, shared: bool) -> (Setup, u32) {
    let mut s = Setup::new(1);
    let file = s.create_file(kind, 4);
    let prot = Prot { shared, ..Prot::RW };
    s.mmap_file(0, B, 4, prot, file, 0);
    (s, file)
}

/// `write(2)`, then a read-only `MAP_SHARED` fault maps the page-cache folio read-only; a CPU store then
/// goes through `wp_page_shared` and dirties it; `fsync` writes it back and write-protects the PTE again.
#[test]
fn shared_file_mapping_reads_and_writes_the_page_cache() {
    let (s, file) = file_setup(MappingKind::File, true);
    let ops = vec![
        Op::FileWrite {
            file,
            index: 0,
            value: 7,
        },
        Op::CpuRead { vpn: B },
        Op::CpuWrite { vpn: B, value: 8 },
        Op::FileRead { file, index: 0 },
        Op::Fsync { file },
    ];
    let r = go(&s, ops);
    assert_eq!(r.outcomes[0][1], Outcome::Cpu(Ok(7)));
    assert_eq!(r.outcomes[0][3], Outcome::Cpu(Ok(8)));
    let a = &r.world.mappings[file as usize];
    assert_eq!(a.disk.get(&0), Some(&8));
    let pfn = a.pages[&0];
    assert!(!r.world.folio(pfn).dirty);
    assert_eq!(
        r.world.mms[0].pte(B),
        Pte::Present {
            pfn,
            write: false,
            dirty: false
        }
    );
}

/// `MAP_PRIVATE`: a write fault copies the page-cache folio into an anonymous one (`do_cow_fault`); the
/// file keeps its data.
#[test]
fn private_file_write_gives_an_anonymous_folio_in_a_file_vma() {
    let (s, file) = file_setup(MappingKind::File, false);
    let ops = vec![
        Op::FileWrite {
            file,
            index: 1,
            value: 5,
        },
        Op::CpuRead { vpn: B + 1 },
        Op::CpuWrite {
            vpn: B + 1,
            value: 6,
        },
        Op::FileRead { file, index: 1 },
    ];
    let r = go(&s, ops);
    assert_eq!(r.outcomes[0][1], Outcome::Cpu(Ok(5)));
    assert_eq!(r.outcomes[0][3], Outcome::Cpu(Ok(5)));
    let pfn = r.world.mms[0].pte(B + 1).pfn().unwrap();
    let f = r.world.folio(pfn);
    assert!(f.is_anon() && f.mapping.is_none());
    assert_eq!(f.content, 6);
}

/// migrate_file_private's shape: every page of a private file mapping COWed to anonymous, migrated to the
/// device (they are anonymous folios, so they move), then unmapped: the zap of device-private entries in
/// a file VMA checks `folio_test_anon()` (be3f38d05cc5), not `vma_is_anonymous()`.
#[test]
fn cowed_private_file_pages_migrate_and_unmap_cleanly() {
    let (s, _) = file_setup(MappingKind::Shmem, false);
    let mut ops = writes(B, 4, 1);
    ops.push(migrate(B, 4));
    ops.push(Op::Munmap {
        start: B,
        npages: 4,
    });
    let r = go(&s, ops);
    assert!(matches!(r.outcomes[0][4], Outcome::Cmd(ref c) if c.ret == 0 && c.cpages == 4));
}

/// Truncate unmaps every mapping past the new size and drops those folios from the page cache; a later
/// access there is `SIGBUS`, and `read(2)` returns nothing.
#[test]
fn truncate_unmaps_and_removes_folios() {
    let (s, file) = file_setup(MappingKind::File, true);
    let mut ops = writes(B, 4, 1);
    ops.push(Op::Truncate { file, pages: 2 });
    ops.push(Op::CpuRead { vpn: B + 3 });
    ops.push(Op::FileRead { file, index: 3 });
    ops.push(Op::CpuRead { vpn: B + 1 });
    let r = go(&s, ops);
    let out = &r.outcomes[0];
    assert_eq!(out[5], Outcome::Cpu(Err(CPU_FAULT_SIGNAL)));
    assert_eq!(out[6], Outcome::Ret(0));
    assert_eq!(out[7], Outcome::Cpu(Ok(2)));
    let a = &r.world.mappings[file as usize];
    assert_eq!(a.pages.keys().copied().collect::<Vec<_>>(), vec![0, 1]);
}

/// The page-cache invariant can fail: a clean folio whose data the disk does not have (dirty data
/// dropped without writeback) is reported.
#[test]
fn page_cache_invariant_reports_lost_dirty_data() {
    let (s, file) = file_setup(MappingKind::File, true);
    let r = go(
        &s,
        vec![Op::FileWrite {
            file,
            index: 0,
            value: 3,
        }],
    );
    let mut w = r.world.clone();
    assert!(check_page_cache(&w).is_empty());
    let pfn = w.mappings[file as usize].pages[&0];
    w.frames[pfn as usize].dirty = false;
    let found = check_page_cache(&w);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("dirty data lost"), "{found:?}");
}

//! Popple's RFC "Allow file-backed or shared device private pages" (seed 002, March 2025, never merged),
//! kernel `file-rfc`, beside the merged kernel's refusal: page-cache folios moved to device-private memory
//! and left in the page cache, the lookup that migrates them back, read-only migration without the
//! driver's copy-back callback, writeback and truncate of a device-private folio, and the shared-mapping
//! fault path. Every run checks the invariants (page cache index/mapping, contents never lost).

use hmm_sim::{
    run, DmirrorCmd, DriverOpts, Func, KernelVersion, Kind, MappingKind, Op, Outcome, Prot, Pte,
    Report, RunConfig, Setup, ThreadSpec, RANGE_BASE_VPN,
};

const B: u32 = RANGE_BASE_VPN;

fn go(setup: &Setup, kernel: KernelVersion, ops: Vec<Op>) -> Report {
    let threads = vec![ThreadSpec {
        name: "main".into(),
        mm: 0,
        ops,
    }];
    let cfg = RunConfig {
        kernel,
        ..RunConfig::default()
    };
    let r = run(setup, &threads, &cfg);
    assert_eq!(r.result, Ok(()), "the run must complete");
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    r
}

fn dmirror(cmd: DmirrorCmd, start: u32, npages: u32, data: Vec<u32>) -> Op {
    Op::Dmirror {
        dev: 0,
        cmd,
        start,
        npages,
        data,
    }
}

/// A 4-page file of `kind` mapped at B, shared or private; the driver with or without copy-back.
fn file_setup(kind: MappingKind, shared: bool, copy_back: bool) -> (Setup, u32) {
    let mut s = Setup::new(1);
    let file = s.create_file(kind, 4);
    let prot = Prot { shared, ..Prot::RW };
    s.mmap_file(0, B, 4, prot, file, 0);
    s.driver(DriverOpts {
        file_copy_back: copy_back,
        ..DriverOpts::default()
    });
    (s, file)
}

fn calls(r: &Report, func: Func) -> usize {
    r.events
        .iter()
        .filter(|e| e.kind == Kind::Call && e.func == func)
        .count()
}

fn cached(r: &Report, file: u32, index: u32) -> u32 {
    r.world.mappings[file as usize].pages[&index]
}

fn cmd_ret(o: &Outcome) -> (i32, u64) {
    match o {
        Outcome::Cmd(c) => (c.ret, c.cpages),
        other => panic!("not a command outcome: {other:?}"),
    }
}

/// Shared writes to a regular file, then MIGRATE_TO_DEV: the merged kernel refuses every page (they stay
/// present, in system memory), the RFC moves them and puts the device pages in the page cache.
#[test]
fn merged_kernel_refuses_file_pages_the_rfc_moves_them_into_the_page_cache() {
    let mut ops: Vec<Op> = (0..4)
        .map(|i| Op::CpuWrite {
            vpn: B + i,
            value: 10 + i,
        })
        .collect();
    ops.push(dmirror(DmirrorCmd::MigrateToDev, B, 4, vec![]));
    let (s, file) = file_setup(MappingKind::File, true, true);

    let merged = go(&s, KernelVersion::Fix2026, ops.clone());
    for i in 0..4 {
        assert!(merged.world.mms[0].pte(B + i).is_present(), "page {i}");
        assert!(!merged
            .world
            .folio(cached(&merged, file, i))
            .is_device_private());
    }

    let rfc = go(&s, KernelVersion::FileRfc, ops);
    assert_eq!(cmd_ret(&rfc.outcomes[0][4]), (0, 4));
    for i in 0..4 {
        let pfn = cached(&rfc, file, i);
        let f = rfc.world.folio(pfn);
        assert!(f.is_device_private(), "page {i} is cached on the device");
        assert_eq!((f.mapping, f.index), (Some(file), i));
        assert!(
            f.dirty,
            "written data not yet on disk keeps the folio dirty"
        );
        assert_eq!(f.content, 10 + i);
        assert_eq!(
            rfc.world.mms[0].pte(B + i),
            Pte::DevicePrivate { pfn, write: true }
        );
    }
}

/// `read(2)` of a page whose folio sits on the device: the page-cache lookup migrates it back first,
/// through the driver's copy-back callback, and the data the device wrote is what `read` returns; the
/// system page that replaces it in the cache is dirty (the driver's `set_page_dirty`), and `fsync` then
/// migrates the other device pages back (they are dirty: the device held them writable) and puts the
/// device's data on disk.
#[test]
fn read_through_the_page_cache_migrates_back_and_writeback_keeps_the_device_data() {
    let (s, file) = file_setup(MappingKind::File, true, true);
    let mut ops: Vec<Op> = (0..4)
        .map(|i| Op::CpuWrite {
            vpn: B + i,
            value: 1,
        })
        .collect();
    ops.push(dmirror(DmirrorCmd::MigrateToDev, B, 4, vec![]));
    ops.push(dmirror(DmirrorCmd::Write, B, 4, vec![20, 21, 22, 23]));
    ops.push(Op::FileRead { file, index: 2 });
    ops.push(Op::Fsync { file });
    let r = go(&s, KernelVersion::FileRfc, ops);
    assert_eq!(cmd_ret(&r.outcomes[0][5]), (0, 4));
    assert_eq!(r.outcomes[0][6], Outcome::Cpu(Ok(22)));
    // The lookup of page 2 by read(2), then writeback's of pages 0, 1 and 3.
    assert_eq!(calls(&r, Func::FilemapMigrateDevicePrivate), 4);
    assert_eq!(calls(&r, Func::DmirrorCopyToPagecache), 4);
    let a = &r.world.mappings[file as usize];
    for i in 0..4 {
        assert_eq!(a.disk.get(&i), Some(&(20 + i)), "page {i} reached the disk");
        let f = r.world.folio(a.pages[&i]);
        assert!(!f.is_device_private() && !f.dirty);
    }
}

/// A file page that was clean and mapped read-only moves read-only, and stays so on the device: the
/// device's own WRITE finds its read-only device-private entry, which `hmm_range_fault` returns as it
/// is (an owned device-private entry is never faulted), and test_hmm's `dmirror_do_fault` fails with
/// `-EFAULT`. The cover letter's "I'm not sure that the management of PTE write bits is entirely
/// correct", seen from the driver.
#[test]
fn a_page_moved_read_only_cannot_be_written_by_the_device() {
    let (s, file) = file_setup(MappingKind::File, true, true);
    let ops = vec![
        Op::FileWrite {
            file,
            index: 0,
            value: 1,
        },
        Op::Fsync { file },
        Op::CpuRead { vpn: B },
        dmirror(DmirrorCmd::MigrateToDev, B, 1, vec![]),
        dmirror(DmirrorCmd::Write, B, 1, vec![2]),
    ];
    let r = go(&s, KernelVersion::FileRfc, ops);
    assert_eq!(cmd_ret(&r.outcomes[0][3]), (0, 1));
    assert_eq!(cmd_ret(&r.outcomes[0][4]).0, -14); // -EFAULT
    let pfn = cached(&r, file, 0);
    assert_eq!(
        r.world.mms[0].pte(B),
        Pte::DevicePrivate { pfn, write: false }
    );
    assert!(!r.world.folio(pfn).dirty);
}

/// The series before patch 4 (driver without the copy-back callback): only clean pages mapped read-only
/// may move ("read-only migration"); a dirty or writable one is refused as on the merged kernel. Looking
/// a moved page up reloads it from disk, which is right because the device could not write it.
#[test]
fn without_copy_back_only_clean_read_only_file_pages_move_and_come_back_from_disk() {
    let mut ops = vec![
        Op::FileWrite {
            file: 0,
            index: 0,
            value: 5,
        },
        Op::FileWrite {
            file: 0,
            index: 1,
            value: 6,
        },
        Op::Fsync { file: 0 },  // both on disk, both clean
        Op::CpuRead { vpn: B }, // page 0: clean, mapped read-only
        Op::CpuWrite {
            vpn: B + 1,
            value: 9,
        }, // page 1: dirty, mapped writable
        dmirror(DmirrorCmd::MigrateToDev, B, 2, vec![]),
        Op::FileRead { file: 0, index: 0 },
    ];
    let (s, file) = file_setup(MappingKind::File, true, false);
    assert_eq!(file, 0);
    let r = go(&s, KernelVersion::FileRfc, ops.clone());
    assert_eq!(
        calls(&r, Func::FilemapMigrateDevicePrivate),
        1,
        "read(2) found page 0 on the device"
    );
    assert_eq!(r.outcomes[0][6], Outcome::Cpu(Ok(5)), "reloaded from disk");
    assert_eq!(calls(&r, Func::DmirrorCopyToPagecache), 0);
    let p1 = cached(&r, file, 1);
    assert!(
        !r.world.folio(p1).is_device_private(),
        "dirty page 1 stayed"
    );
    assert_eq!(r.world.folio(p1).content, 9);

    // With the callback the dirty, writable page moves too.
    let (s, _) = file_setup(MappingKind::File, true, true);
    ops.pop();
    let r = go(&s, KernelVersion::FileRfc, ops);
    assert!(r.world.folio(cached(&r, file, 1)).is_device_private());
}

/// Truncating a file whose page sits on the device: the device-private PTE is zapped, the folio leaves
/// the page cache, and its last reference frees the device page (`page_free`).
#[test]
fn truncate_frees_a_device_private_page_cache_folio() {
    let (s, file) = file_setup(MappingKind::Shmem, true, true);
    let ops = vec![
        Op::CpuWrite { vpn: B, value: 3 },
        dmirror(DmirrorCmd::MigrateToDev, B, 1, vec![]),
        Op::Truncate { file, pages: 0 },
    ];
    let r = go(&s, KernelVersion::FileRfc, ops);
    assert!(r.world.mappings[file as usize].pages.is_empty());
    assert_eq!(r.world.mms[0].pte(B), Pte::None);
    assert_eq!(calls(&r, Func::DmirrorDevmemFree), 1);
    assert_eq!(
        calls(&r, Func::FilemapMigrateDevicePrivate),
        0,
        "truncate drops, never migrates back"
    );
}

/// The shared-mapping fault path: two processes map a shmem page (fork), the device takes it, and a CPU
/// read in one process faults it back through `migrate_to_ram`; `remove_migration_ptes` walks the file's
/// `i_mmap` and maps the new system page in both.
#[test]
fn a_cpu_fault_in_one_process_brings_a_shared_page_back_for_both() {
    let (s, file) = file_setup(MappingKind::Shmem, true, true);
    let ops = vec![
        Op::CpuWrite { vpn: B, value: 4 },
        Op::Fork,
        dmirror(DmirrorCmd::MigrateToDev, B, 1, vec![]),
        Op::CpuRead { vpn: B },
    ];
    let r = go(&s, KernelVersion::FileRfc, ops);
    assert_eq!(r.outcomes[0][3], Outcome::Cpu(Ok(4)));
    let pfn = cached(&r, file, 0);
    assert!(!r.world.folio(pfn).is_device_private());
    for mm in 0..2 {
        assert_eq!(r.world.mms[mm].pte(B).pfn(), Some(pfn), "mm{mm}");
    }
    let f = r.world.folio(pfn);
    assert_eq!((f.mapcount, f.refcount), (2, 3));
    assert!(f.dirty, "shmem data has no other home");
}

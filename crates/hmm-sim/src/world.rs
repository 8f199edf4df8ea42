//! The simulated machine's state: address spaces, page tables, folios, swap, device memory and mirrors.
//!
//! Plain data with public fields so that viewers and invariant checks can read it. Only kernel paths
//! (through the kernel context's primitives, which record events) mutate it after set-up.

use crate::pte::{Pfn, Pte, ZERO_PFN};
use crate::trace::{LockId, Tid};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Entries per PTE table (4 KiB pages, 2 MiB per PMD).
pub const PTRS_PER_PTE: u32 = 512;
/// Virtual pages per mm the model can address (4 GiB): bounds the PMD array.
pub const VPN_LIMIT: u32 = 1 << 20;
/// First page of the range scenarios use: 0x10000000, PMD-aligned.
pub const RANGE_BASE_VPN: u32 = 0x10000;

pub type MmId = u8;
pub type DevId = u8;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vma {
    pub start: u32,
    pub end: u32,
    pub read: bool,
    pub write: bool,
    /// `MAP_SHARED` (`VM_SHARED`): writes go to the file's page cache, fork shares the pages.
    pub shared: bool,
    /// `VM_IO|VM_PFNMAP`-style special mapping (hmm skips it, migrate_vma_setup refuses it).
    pub special: bool,
    /// `vm_pgoff`: the linear page index of `start`. A new anonymous vma's is its own start page, a file
    /// vma's the file page it maps at `start` (the same as `file.pgoff`); `mremap` moves a vma and keeps it
    /// (`copy_vma`), so rmap still finds each folio at its unchanged `folio->index`.
    pub pgoff: u32,
    /// `VM_MIXEDMAP`: a driver's file mapping whose pages it inserted (`vm_insert_page`), such as
    /// `dmirror_fops_mmap`'s. Not anonymous: its pages have no anon_vma, so a write copies them.
    pub mixedmap: bool,
    /// `vma->vm_file` and `vma->vm_pgoff`: the file this VMA maps. `MAP_SHARED|MAP_ANONYMOUS` is a shmem
    /// file of its own (`shmem_zero_setup`), so it has one too and is not `vma_is_anonymous()`.
    #[serde(default)]
    pub file: Option<FileRef>,
    /// `VM_HUGEPAGE` (`madvise(MADV_HUGEPAGE)`): an anonymous fault in a 2 MiB-aligned range wholly inside the
    /// VMA, with no PTE table yet, maps a THP with one PMD entry (`do_huge_pmd_anonymous_page`). The model's
    /// THP policy is the kernel's `enabled=madvise` mode: without the flag faults stay 4 KiB.
    #[serde(default)]
    pub hugepage: bool,
}

/// What a file VMA maps: the address space and the file page at `vm_start` (`vm_pgoff`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub mapping: u32,
    pub pgoff: u32,
}

impl Vma {
    /// `linear_page_index()`: the index a folio mapped at `vpn` of this vma has.
    pub fn linear_page_index(&self, vpn: u32) -> u32 {
        self.pgoff.wrapping_add(vpn - self.start)
    }
    /// `vma_address()`: where this vma maps index `index`, if it covers it.
    pub fn address_of(&self, index: u32) -> Option<u32> {
        let off = index.checked_sub(self.pgoff)?;
        (off < self.end - self.start).then(|| self.start + off)
    }
    pub fn is_anonymous(&self) -> bool {
        self.file.is_none() && !self.shared && !self.special && !self.mixedmap
    }
    pub fn contains(&self, vpn: u32) -> bool {
        (self.start..self.end).contains(&vpn)
    }
    /// `linear_page_index`: the file page mapped at `vpn` (the VMA maps a file).
    pub fn pgoff_of(&self, vpn: u32) -> Option<u32> {
        self.file?;
        self.contains(vpn).then(|| self.linear_page_index(vpn))
    }
    /// `vma_address`: where this VMA maps file page `index` of `mapping`, if it does (through `vm_pgoff`).
    pub fn file_address_of(&self, mapping: u32, index: u32) -> Option<u32> {
        self.file.filter(|f| f.mapping == mapping)?;
        self.address_of(index)
    }
}

/// One PMD leaf (a PMD entry mapping 2 MiB directly, no PTE table) and its lock. The entry is written with
/// the PTE vocabulary at PMD level: `Present` maps the THP whose head is `pfn` (`pmd_trans_huge`), `Zero`
/// the huge zero folio, `Migration` is a PMD migration entry and `DevicePrivate` a device-private PMD entry
/// (6.18+). `ptl` is `pmd_lock`: the model keys it, like a PTE table's lock, by this 2 MiB entry (the
/// kernel's split PMD lock covers a whole PMD table), so both are [`LockId::Ptl`] of the same index.
#[derive(Clone, Debug)]
pub struct HugePmd {
    pub entry: Pte,
    pub ptl: Option<Tid>,
}

/// One PTE table and its split lock.
#[derive(Clone, Debug)]
pub struct PteTable {
    pub ptes: Vec<Pte>,
    /// Holder of this table's PTL.
    pub ptl: Option<Tid>,
}

/// `mmap_lock`: a reader count or one writer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RwSem {
    pub readers: Vec<Tid>,
    pub writer: Option<Tid>,
}

#[derive(Clone, Debug)]
pub struct Mm {
    pub id: MmId,
    pub alive: bool,
    pub vmas: Vec<Vma>,
    /// Indexed by PMD index (`vpn / 512`); `None` is `pmd_none` unless [`Mm::huge`] holds a leaf there.
    pub pmds: Vec<Option<Box<PteTable>>>,
    /// PMD leaves by PMD index: a PMD entry maps 2 MiB itself. Never both a leaf and a PTE table at one index.
    pub huge: BTreeMap<u32, HugePmd>,
    pub mmap_lock: RwSem,
    /// The anon_vma new anonymous folios of this mm join (shared with fork children).
    pub anon_vma: u32,
    /// `subscriptions->invalidate_seq`: even = idle, odd = an invalidation is running.
    pub invalidate_seq: u64,
    pub active_invalidations: u32,
}

impl Mm {
    /// An empty address space: no VMAs, no page tables, notifier sequence idle (even).
    pub fn new(id: MmId, anon_vma: u32) -> Mm {
        Mm {
            id,
            alive: true,
            vmas: Vec::new(),
            pmds: vec![None; (VPN_LIMIT / PTRS_PER_PTE) as usize],
            huge: BTreeMap::new(),
            mmap_lock: RwSem::default(),
            anon_vma,
            invalidate_seq: 2,
            active_invalidations: 0,
        }
    }

    pub fn vma(&self, vpn: u32) -> Option<&Vma> {
        self.vmas.iter().find(|v| v.contains(vpn))
    }
    /// Every address of this mm where a vma that may hold anonymous folios (not `MAP_SHARED`) covers linear
    /// index `index` (an anon rmap walk's visits: after an `mremap(MREMAP_DONTUNMAP)` the old vma and the
    /// moved one both cover it).
    pub fn addresses_of(&self, index: u32) -> impl Iterator<Item = u32> + '_ {
        self.vmas
            .iter()
            .filter(|v| !v.shared)
            .filter_map(move |v| v.address_of(index))
    }
    /// The PMD leaf covering `vpn`, if that 2 MiB is mapped by one PMD entry.
    pub fn pmd_leaf(&self, vpn: u32) -> Option<Pte> {
        self.huge
            .get(&(vpn / PTRS_PER_PTE))
            .map(|h| h.entry)
            .filter(|&e| e != Pte::None)
    }
    /// What maps page `vpn`, whichever level holds it: its PTE, or the PMD leaf's entry narrowed to the
    /// page (`Present` of subpage `head + i`, as `pmd_page(pmd) + i`). What a CPU access and `locate` see.
    pub fn entry(&self, vpn: u32, huge_zero: Option<Pfn>) -> Pte {
        let Some(leaf) = self.pmd_leaf(vpn) else {
            return self.pte(vpn);
        };
        match leaf {
            Pte::Zero if huge_zero.is_none() => Pte::None,
            _ => leaf.subpage(vpn % PTRS_PER_PTE),
        }
    }
    pub fn pte(&self, vpn: u32) -> Pte {
        match self.pmds.get((vpn / PTRS_PER_PTE) as usize) {
            Some(Some(t)) => t.ptes[(vpn % PTRS_PER_PTE) as usize],
            _ => Pte::None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Zone {
    /// Ordinary system RAM.
    System,
    /// The shared zero page (never refcounted for mappings, never migrated).
    Zero,
    /// ZONE_DEVICE, MEMORY_DEVICE_PRIVATE memory of device `n`; `pgmap->owner` is that device.
    DevicePrivate(DevId),
    /// ZONE_DEVICE, MEMORY_DEVICE_COHERENT memory of device `n`: device memory the CPU can address over a
    /// coherent bus, so it is mapped by ordinary present PTEs and never faults; only a migration with
    /// `MIGRATE_VMA_SELECT_DEVICE_COHERENT` and the owner's `pgmap_owner` takes it back to system memory.
    DeviceCoherent(DevId),
}

impl Zone {
    /// The device of a ZONE_DEVICE page (`folio_is_zone_device`), private or coherent.
    pub fn device(self) -> Option<DevId> {
        match self {
            Zone::DevicePrivate(d) | Zone::DeviceCoherent(d) => Some(d),
            Zone::System | Zone::Zero => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Folio {
    pub zone: Zone,
    /// Free frames have refcount 0 (device-private pages too, since v6.1).
    pub refcount: i32,
    pub mapcount: i32,
    /// `PG_locked`, with the holder for display.
    pub locked: Option<Tid>,
    pub anon_exclusive: bool,
    pub lru: bool,
    /// The page's data, a token that must survive every migration.
    pub content: u32,
    /// `folio->mapping` of an anonymous folio: its anon_vma (`folio_test_anon`).
    pub anon_vma: Option<u32>,
    /// `folio->index`: anonymous folios keep the virtual page they were first mapped at (their linear
    /// index); page-cache folios their page offset in the file.
    pub index: u32,
    /// `folio->mapping` of a page-cache folio (shmem or a regular file): the [`AddressSpace`] id. Such a
    /// folio is not anonymous, so `migrate_vma_pages` refuses to move it to device-private memory.
    pub mapping: Option<u32>,
    /// `PG_dirty`: a page-cache folio holds data its backing store does not have yet.
    pub dirty: bool,
    /// `PG_writeback`: its data is being written to the backing store.
    pub writeback: bool,
    /// For device pages: the mirror (device, mm) that migrated it (`zone_device_data`).
    pub mirror: Option<(DevId, MmId)>,
    /// Pinned by the set-up (tests): `maybe_dma_pinned` holds however many references it has.
    pub pinned: bool,
    /// `folio_order` of a head page (9 for a 2 MiB THP); 0 for an order-0 folio and for tail pages. A large
    /// folio's refcount, `entire_mapcount`, flags, lock and `index` live in its head; each page keeps its own
    /// `mapcount` (PTE mappings of that page) and content.
    #[serde(default)]
    pub order: u8,
    /// A tail page's head (`page_folio`); None for heads and order-0 folios.
    #[serde(default)]
    pub tail_of: Option<Pfn>,
    /// `_entire_mapcount` of a head: PMD mappings of the whole folio.
    #[serde(default)]
    pub entire_mapcount: i32,
}

impl Folio {
    /// `folio_maybe_dma_pinned`: an order-0 folio with at least `GUP_PIN_COUNTING_BIAS` references may be
    /// pinned (`FOLL_PIN`), so `folio_try_share_anon_rmap_pte` refuses to unmap it for migration.
    pub fn maybe_dma_pinned(&self) -> bool {
        self.pinned || self.refcount >= crate::mm::gup::GUP_PIN_COUNTING_BIAS
    }

    pub fn free(zone: Zone) -> Folio {
        Folio {
            zone,
            refcount: 0,
            mapcount: 0,
            locked: None,
            anon_exclusive: false,
            lru: false,
            content: 0,
            anon_vma: None,
            index: 0,
            mapping: None,
            dirty: false,
            writeback: false,
            mirror: None,
            pinned: false,
            order: 0,
            tail_of: None,
            entire_mapcount: 0,
        }
    }
    /// Pages in this folio (`folio_nr_pages`): 1 for order 0 and for a tail asked directly.
    pub fn nr_pages(&self) -> u32 {
        1 << self.order
    }
    /// `folio_is_zone_device`: device-private or device-coherent memory.
    pub fn is_device(&self) -> bool {
        self.zone.device().is_some()
    }
    /// `folio_is_device_private`.
    pub fn is_device_private(&self) -> bool {
        matches!(self.zone, Zone::DevicePrivate(_))
    }
    /// `folio_test_anon`.
    pub fn is_anon(&self) -> bool {
        self.anon_vma.is_some()
    }
}

/// What backs an address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MappingKind {
    /// shmem / tmpfs (also every `MAP_SHARED|MAP_ANONYMOUS` mapping): the page cache is the only copy of
    /// the data (swap is not modelled for it), so there is no writeback.
    Shmem,
    /// A regular file on a disk: clean folios can be dropped and read back, dirty ones are written back.
    File,
}

/// A file's `struct address_space`: its page cache (`i_pages`, folios by index), its size, the mappings
/// that map it (`i_mmap`, found by scanning the VMAs whose [`Vma::file`] names it) and the rwsem rmap walks
/// take for read (`i_mmap_rwsem`). A regular file also has its blocks on disk.
#[derive(Clone, Debug)]
pub struct AddressSpace {
    pub id: u32,
    pub kind: MappingKind,
    /// `i_pages`: the folio caching each file page.
    pub pages: BTreeMap<u32, Pfn>,
    /// `i_size` in pages: accesses at or past it fail (`SIGBUS`, short reads).
    pub size: u32,
    /// The blocks of a regular file on disk (pages never written read as zeroes, as a hole does).
    pub disk: BTreeMap<u32, u32>,
    /// `i_mmap_rwsem`.
    pub i_mmap_rwsem: RwSem,
}

/// Tag of a device page-table entry (`DPT_XA_TAG_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DptTag {
    Read,
    Write,
    Atomic,
}

/// One entry of a dmirror's device page table: which frame backs the virtual page, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DptEntry {
    pub pfn: Pfn,
    pub tag: DptTag,
}

impl DptEntry {
    pub fn pack(e: Option<DptEntry>) -> u32 {
        match e {
            None => 0,
            Some(e) => {
                let tag = match e.tag {
                    DptTag::Read => 1,
                    DptTag::Write => 2,
                    DptTag::Atomic => 3,
                };
                tag << 28 | (e.pfn & 0x0fff_ffff)
            }
        }
    }
    pub fn unpack(bits: u32) -> Option<DptEntry> {
        let tag = match bits >> 28 {
            1 => DptTag::Read,
            2 => DptTag::Write,
            3 => DptTag::Atomic,
            _ => return None,
        };
        Some(DptEntry {
            pfn: bits & 0x0fff_ffff,
            tag,
        })
    }
}

/// How the simulated driver behaves when it runs a lane strategy (kernel-model.md §3 assumptions, §5a).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriverOpts {
    /// Write intent, one setting for all three lanes: `HMM_PFN_REQ_WRITE` on every lane's
    /// `hmm_range_fault` (legacy A and B's fault-in, the unified walk), so COW is broken and zero pages are
    /// replaced before migrating. Off by default, as the RFC's test driver (`REQ_FAULT|REQ_MIGRATE`).
    pub write: bool,
    /// What legacy B does when collect missed pages.
    pub b_policy: BPolicy,
    /// The unified path's driver exactly as RFC v1's test driver (`dmirror_fault_and_migrate_to_device`) has
    /// it: `dmirror_range_fault` retries `-EBUSY` by walking again over the migration entries the walk already
    /// installed (and waits on folios its own thread locked: a hang), takes `mmap_read_lock` a second time
    /// inside the chunk loop's, and goes on to `migrate_hmm_range_setup` whatever the fault returned. Off: the
    /// model's fixed driver restores what the walk collected before it retries.
    pub rfc_v1_driver: bool,
    /// Which of the RFC's two entry points the unified lane's driver calls.
    pub unified_entry: UnifiedEntry,
    /// Add `MIGRATE_VMA_SELECT_DEVICE_PRIVATE` to the lanes' selection (own device pages are collected too).
    pub select_device_private: bool,
    /// Hold the driver mutex across `migrate_vma_setup`, as drivers with plain notifiers do to block page
    /// table downgrades; the callback takes the same mutex (the self-deadlock of kernel-model.md §5a).
    pub hold_lock_across_setup: bool,
    /// The notifier callback skips the device's own `MMU_NOTIFY_MIGRATE` (test_hmm does); see
    /// [`Mirror::filter_own_migrate`].
    pub filter_own_migrate: bool,
    /// Serialise `migrate_to_ram` with a driver lock; see [`Device::migrate_to_ram_lock`].
    pub migrate_to_ram_lock: bool,
    /// On the file-backed RFC kernel (`file-rfc`): the driver implements the RFC's copy-back callback
    /// (patch 4), so a page-cache lookup copies a device page's data back and dirties it, and any
    /// page-cache folio may move to the device. Off: the series as patches 2-3 leave it, read-only
    /// migration of clean file pages, reloaded from disk when looked up. No effect on other kernels.
    pub file_copy_back: bool,
}

/// Legacy B's answer to `cpages != npages` (some pages were not collected: swapped out, another device's,
/// never touched in a shared mapping, …). Both are real drivers' choices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum BPolicy {
    /// The cover letter's B: migrate what was collected, fault in the rest, migrate again.
    Partial,
    /// drm_pagemap (drm_gpusvm, Xe): a partial collection is `-EBUSY`; restore everything, fault the whole
    /// range in, and migrate it again as one.
    AllOrNothing,
}

impl BPolicy {
    pub const ALL: [BPolicy; 2] = [BPolicy::Partial, BPolicy::AllOrNothing];
    /// The name lessons, the CLI and URLs write.
    pub fn name(self) -> &'static str {
        match self {
            BPolicy::Partial => "partial",
            BPolicy::AllOrNothing => "all_or_nothing",
        }
    }
    /// Which driver does it.
    pub fn describe(self) -> &'static str {
        match self {
            BPolicy::Partial => "the RFC cover letter's legacy B: migrate what collect found, fault the rest, migrate again",
            BPolicy::AllOrNothing => "drm_pagemap (drm_gpusvm, Xe): fewer pages collected than asked is -EBUSY; restore all, fault all, migrate all again",
        }
    }
    pub fn parse(s: &str) -> Result<BPolicy, String> {
        BPolicy::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("unknown B policy `{s}`: expected partial or all_or_nothing"))
    }
}

/// The two entry points of the RFC's single walk ("Migrate on fault for device pages", Penttilä; seed 000).
/// Both walk once and take each PTE's lock on its own (`hmm_vma_handle_migrate_prepare`); they differ in who
/// validates the snapshot and what the caller can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum UnifiedEntry {
    /// The fault path: `hmm_range_fault` with `HMM_PFN_REQ_FAULT | HMM_PFN_REQ_MIGRATE` and the driver's
    /// interval notifier (its sequence makes the driver retry), then `migrate_hmm_range_setup`.
    HmmRangeFault,
    /// The migrate path: `migrate_vma_setup` with `MIGRATE_VMA_FAULT`, which builds its own range with no
    /// notifier (no sequence, so no driver retry) and `REQ_MIGRATE | REQ_FAULT` only (no write request).
    MigrateVmaFault,
}

impl UnifiedEntry {
    pub const ALL: [UnifiedEntry; 2] = [UnifiedEntry::HmmRangeFault, UnifiedEntry::MigrateVmaFault];
    /// The name lessons, the CLI and URLs write.
    pub fn name(self) -> &'static str {
        match self {
            UnifiedEntry::HmmRangeFault => "hmm_range_fault",
            UnifiedEntry::MigrateVmaFault => "migrate_vma_fault",
        }
    }
    pub fn describe(self) -> &'static str {
        match self {
            UnifiedEntry::HmmRangeFault => "hmm_range_fault(HMM_PFN_REQ_FAULT|HMM_PFN_REQ_MIGRATE) under the driver's interval notifier, then migrate_hmm_range_setup",
            UnifiedEntry::MigrateVmaFault => "migrate_vma_setup(MIGRATE_VMA_FAULT): the same walk on a range with no notifier and no write request",
        }
    }
    pub fn parse(s: &str) -> Result<UnifiedEntry, String> {
        UnifiedEntry::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown unified entry `{s}`: expected hmm_range_fault or migrate_vma_fault"
                )
            })
    }
}

impl DriverOpts {
    /// A combination no real driver can express, with the reason (consumers refuse it before running).
    pub fn conflict(&self) -> Option<String> {
        if self.unified_entry == UnifiedEntry::MigrateVmaFault && self.write {
            return Some(
                "write intent cannot be combined with the migrate_vma_fault entry: the RFC's \
                 migrate_vma_setup builds its range with HMM_PFN_REQ_MIGRATE|HMM_PFN_REQ_FAULT only, so it \
                 has no way to ask for a write fault (use write = false, or the hmm_range_fault entry)"
                    .to_owned(),
            );
        }
        if self.unified_entry == UnifiedEntry::MigrateVmaFault && self.rfc_v1_driver {
            return Some(
                "rfc_v1 is RFC v1's test driver for the hmm_range_fault entry; the migrate_vma_fault entry \
                 has no driver retry to get wrong"
                    .to_owned(),
            );
        }
        None
    }
}

impl Default for DriverOpts {
    fn default() -> DriverOpts {
        DriverOpts {
            write: false,
            b_policy: BPolicy::Partial,
            rfc_v1_driver: false,
            unified_entry: UnifiedEntry::HmmRangeFault,
            select_device_private: false,
            hold_lock_across_setup: false,
            filter_own_migrate: true,
            migrate_to_ram_lock: false,
            file_copy_back: true,
        }
    }
}

/// An `anon_vma`: the mms whose anonymous folios it covers (parent and fork children), and its rwsem
/// (rmap walks read it; fork's `anon_vma_fork` writes it to link a child).
#[derive(Clone, Debug, Default)]
pub struct AnonVma {
    pub members: Vec<MmId>,
    pub lock: RwSem,
}

/// A device (`struct dmirror_device`): its ZONE_DEVICE memory and allocator.
#[derive(Clone, Debug)]
pub struct Device {
    pub id: DevId,
    /// LIFO free list, as dmirror pushes each new chunk's pages onto `free_pages`.
    pub free: Vec<Pfn>,
    /// First pfn and length of each chunk.
    pub chunks: Vec<(Pfn, u32)>,
    /// `calloc` / `cfree` counters of test_hmm.
    pub calloc: u64,
    pub cfree: u64,
    /// Free 2 MiB device folios (test_hmm's `free_folios`, 6.19+), by head pfn.
    pub free_folios: Vec<Pfn>,
    /// `HMM_DMIRROR_FLAG_FAIL_ALLOC`: the next allocation of a migration fails once.
    pub fail_alloc: bool,
    /// Serialise `migrate_to_ram` with a driver lock, as Xe did when it livelocked (kernel-model.md §4).
    pub migrate_to_ram_lock: bool,
    /// Holder of that lock.
    pub migrate_lock: Option<Tid>,
    /// How the driver runs lane strategies.
    pub driver: DriverOpts,
    /// Chunk removal in progress (RELEASE): freed pages are not returned to the free list.
    pub removing: bool,
    /// `HMM_DMIRROR_MEMORY_DEVICE_COHERENT`: test_hmm's devices 2 and 3 (when its `spm_addr_dev0/1`
    /// parameters give them memory); devices 0 and 1 are device-private.
    pub coherent: bool,
}

impl Device {
    /// The zone of this device's pages.
    pub fn zone(&self) -> Zone {
        if self.coherent {
            Zone::DeviceCoherent(self.id)
        } else {
            Zone::DevicePrivate(self.id)
        }
    }
}

/// A mirror (`struct dmirror`, one per `open()` of `/dev/hmm_dmirrorN` by process `mm`).
#[derive(Clone, Debug)]
pub struct Mirror {
    pub dev: DevId,
    pub mm: MmId,
    /// The device page table (`dmirror->pt`, an xarray keyed by pfn = vpn).
    pub pt: BTreeMap<u32, DptEntry>,
    /// `interval_sub->invalidate_seq` of this mirror's notifier over the whole mm.
    pub seq: u64,
    /// `dmirror->mutex`.
    pub mutex: Option<Tid>,
    /// The callback skips `MMU_NOTIFY_MIGRATE` events whose owner is this device (test_hmm does). Turning it
    /// off shows the driver-lock deadlock the filter avoids (kernel-model.md §5a).
    pub filter_own_migrate: bool,
}

#[derive(Clone, Debug)]
pub struct World {
    pub mms: Vec<Mm>,
    /// Frame arena indexed by pfn; pfn 0 is the zero page.
    pub frames: Vec<Folio>,
    /// LIFO free list of system frames.
    pub free_system: Vec<Pfn>,
    /// Swap slots: `Some(content)` while in use.
    pub swap: Vec<Option<u32>>,
    pub devices: Vec<Device>,
    pub mirrors: Vec<Mirror>,
    /// Members (mms) of each anon_vma, for rmap walks.
    pub anon_vmas: Vec<AnonVma>,
    /// What each written virtual page must read back as: the content-preservation invariant's oracle.
    pub expected: BTreeMap<(MmId, u32), u32>,
    /// Files (shmem and regular), by id.
    pub mappings: Vec<AddressSpace>,
    /// What each written file page must read back as through `read(2)` (the same oracle for files).
    pub expected_file: BTreeMap<(u32, u32), u32>,
    /// The huge zero folio (`huge_zero_folio`): 512 frames reading as zeroes, allocated at its first use
    /// (`get_huge_zero_folio`); never refcounted per mapping, never migrated.
    pub huge_zero: Option<Pfn>,
}

impl World {
    pub fn new() -> World {
        World {
            mms: Vec::new(),
            frames: vec![Folio {
                refcount: 1,
                ..Folio::free(Zone::Zero)
            }],
            free_system: Vec::new(),
            swap: Vec::new(),
            devices: Vec::new(),
            mirrors: Vec::new(),
            anon_vmas: Vec::new(),
            expected: BTreeMap::new(),
            mappings: Vec::new(),
            expected_file: BTreeMap::new(),
            huge_zero: None,
        }
    }

    /// `page_folio`: the head of the folio page `pfn` belongs to.
    pub fn folio_head(&self, pfn: Pfn) -> Pfn {
        self.frames[pfn as usize].tail_of.unwrap_or(pfn)
    }

    /// 512 new contiguous frames at the end of the arena (a THP needs physically contiguous pages; the free
    /// list's single frames are not), each a free frame of `zone`; returns the first.
    pub fn contiguous_frames(&mut self, zone: Zone, n: u32) -> Pfn {
        let first = self.frames.len() as Pfn;
        self.frames.extend((0..n).map(|_| Folio::free(zone)));
        first
    }

    /// Make `[head, head + 512)` one order-9 folio (`prep_compound_page`): the head holds the refcount.
    pub fn prep_compound(&mut self, head: Pfn, order: u8) {
        let n = 1u32 << order;
        self.frames[head as usize].order = order;
        for p in head + 1..head + n {
            let f = &mut self.frames[p as usize];
            f.tail_of = Some(head);
            f.refcount = 0;
        }
    }

    /// A new, empty file of `size` pages; returns its address space id.
    pub fn new_mapping(&mut self, kind: MappingKind, size: u32) -> u32 {
        let id = self.mappings.len() as u32;
        self.mappings.push(AddressSpace {
            id,
            kind,
            pages: BTreeMap::new(),
            size,
            disk: BTreeMap::new(),
            i_mmap_rwsem: RwSem::default(),
        });
        id
    }

    /// `i_mmap`: every place file page `index` of `mapping` may be mapped, as `rmap_walk_file`'s
    /// `vma_interval_tree_foreach` finds them (every live mm's VMAs of that file covering the index; mm
    /// order, then address order, stands in for the interval tree's order).
    pub fn i_mmap(&self, mapping: u32, index: u32) -> Vec<(MmId, u32)> {
        let mut out = Vec::new();
        for mm in self.mms.iter().filter(|m| m.alive) {
            out.extend(
                mm.vmas
                    .iter()
                    .filter_map(|v| v.file_address_of(mapping, index))
                    .map(|vpn| (mm.id, vpn)),
            );
        }
        out
    }

    /// Every place folio `pfn` may be mapped: its anon_vma's mms wherever a vma covers its linear index
    /// (`vma_address` through `vm_pgoff`), or its file's
    /// `i_mmap`. The rmap walks and a store's oracle update both start here.
    pub fn rmap_candidates(&self, pfn: Pfn) -> Vec<(MmId, u32)> {
        // A page of a large folio is found through its head: the folio's anon_vma, at the head's index
        // plus the page's offset (`folio_page_idx`).
        let head = self.folio_head(pfn);
        let f = &Folio {
            index: self.folio(head).index + (pfn - head),
            ..self.folio(head).clone()
        };
        if let Some(av) = f.anon_vma {
            return self.anon_vmas[av as usize]
                .members
                .iter()
                .filter(|&&mm| self.mms[mm as usize].alive)
                .flat_map(|&mm| {
                    self.mms[mm as usize]
                        .addresses_of(f.index)
                        .map(move |vpn| (mm, vpn))
                })
                .collect();
        }
        match f.mapping {
            Some(m) => self.i_mmap(m, f.index),
            None => Vec::new(),
        }
    }

    /// Pop a free page of device `dev`, adding a chunk of `chunk_pages` when the free list is empty
    /// (`dmirror_allocate_chunk`); the page starts with refcount 1 (`zone_device_page_init`).
    pub fn devmem_pop(&mut self, dev: DevId, chunk_pages: u32) -> Pfn {
        if self.devices[dev as usize].free.is_empty() {
            let first = self.frames.len() as Pfn;
            self.frames
                .extend((0..chunk_pages).map(|_| Folio::free(self.devices[dev as usize].zone())));
            let d = &mut self.devices[dev as usize];
            d.chunks.push((first, chunk_pages));
            d.free.extend(first..first + chunk_pages);
        }
        let d = &mut self.devices[dev as usize];
        d.calloc += 1;
        let pfn = d.free.pop().expect("a chunk was just added");
        self.frames[pfn as usize].refcount = 1;
        pfn
    }

    /// Take a system frame (refcount 1) from the free list or grow the arena.
    pub fn system_pop(&mut self) -> Pfn {
        let pfn = match self.free_system.pop() {
            Some(p) => p,
            None => {
                self.frames.push(Folio::free(Zone::System));
                (self.frames.len() - 1) as Pfn
            }
        };
        self.frames[pfn as usize] = Folio {
            refcount: 1,
            ..Folio::free(Zone::System)
        };
        pfn
    }

    /// `dup_mmap` + `anon_vma_fork`: a child mm with the parent's VMAs and empty page tables, linked into the
    /// parent's anon_vma (so rmap walks of the parent's folios reach it) and with an anon_vma of its own.
    /// The caller holds the parent anon_vma's lock for write when other threads may walk it.
    pub fn fork_mm(&mut self, parent: MmId) -> MmId {
        let id = self.mms.len() as MmId;
        let parent_av = self.mms[parent as usize].anon_vma;
        self.anon_vmas[parent_av as usize].members.push(id);
        let child_av = self.new_anon_vma(vec![id]);
        let mut child = Mm::new(id, child_av);
        child.vmas = self.mms[parent as usize].vmas.clone();
        self.mms.push(child);
        id
    }

    /// A new anon_vma covering `members`; returns its id.
    pub fn new_anon_vma(&mut self, members: Vec<MmId>) -> u32 {
        self.anon_vmas.push(AnonVma {
            members,
            lock: RwSem::default(),
        });
        (self.anon_vmas.len() - 1) as u32
    }

    pub fn folio(&self, pfn: Pfn) -> &Folio {
        &self.frames[pfn as usize]
    }

    pub fn mirror_index(&self, dev: DevId, mm: MmId) -> Option<usize> {
        self.mirrors.iter().position(|m| m.dev == dev && m.mm == mm)
    }

    /// Where the data of virtual page `vpn` of `mm` lives now, and its content.
    pub fn locate(&self, mm: MmId, vpn: u32) -> PageLocation {
        match self.mms[mm as usize].entry(vpn, self.huge_zero) {
            Pte::None => PageLocation::Unpopulated,
            Pte::Zero => PageLocation::ZeroPage,
            Pte::Swap { slot } => PageLocation::Swap {
                slot,
                content: self.swap[slot as usize].unwrap_or(0),
            },
            pte => {
                let pfn = pte.pfn().unwrap_or(ZERO_PFN);
                let f = self.folio(pfn);
                match f.zone {
                    Zone::DevicePrivate(dev) | Zone::DeviceCoherent(dev) => PageLocation::Device {
                        dev,
                        pfn,
                        content: f.content,
                    },
                    _ => PageLocation::System {
                        pfn,
                        content: f.content,
                    },
                }
            }
        }
    }
}

/// One lock held in a world: which, by whom, and whether shared (an rwsem held for read).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct HeldLock {
    pub lock: LockId,
    pub holder: Tid,
    pub shared: bool,
}

/// One sample of every lock class. [`World::held_locks`] enumerates each class through an exhaustive
/// match on [`LockId`], so a new class does not compile until it is enumerated there and listed here.
const LOCK_CLASSES: [LockId; 7] = [
    LockId::MmapLock(0),
    LockId::Ptl { mm: 0, pmd: 0 },
    LockId::Folio(0),
    LockId::Driver(0),
    LockId::AnonVma(0),
    LockId::DevmemMigrate(0),
    LockId::IMmap(0),
];

fn rwsem_holders(out: &mut Vec<HeldLock>, lock: LockId, s: &RwSem) {
    if let Some(holder) = s.writer {
        out.push(HeldLock {
            lock,
            holder,
            shared: false,
        });
    }
    out.extend(s.readers.iter().map(|&holder| HeldLock {
        lock,
        holder,
        shared: true,
    }));
}

fn exclusive_holder(out: &mut Vec<HeldLock>, lock: LockId, holder: Option<Tid>) {
    if let Some(holder) = holder {
        out.push(HeldLock {
            lock,
            holder,
            shared: false,
        });
    }
}

impl World {
    /// Every lock held in this world, of every class (mmap_lock and anon_vma rwsems, PTLs, `PG_locked`,
    /// mirror mutexes, device `migrate_to_ram` locks): the one enumerator that invariants, views and lessons
    /// use. Dead mms' locks are included: a lock leaked by an exiting process is still a leak.
    pub fn held_locks(&self) -> Vec<HeldLock> {
        let mut out = Vec::new();
        for class in LOCK_CLASSES {
            match class {
                LockId::MmapLock(_) => {
                    for mm in &self.mms {
                        rwsem_holders(&mut out, LockId::MmapLock(mm.id), &mm.mmap_lock);
                    }
                }
                LockId::Ptl { .. } => {
                    for mm in &self.mms {
                        for (pmd, t) in mm.pmds.iter().enumerate() {
                            let lock = LockId::Ptl {
                                mm: mm.id,
                                pmd: pmd as u32,
                            };
                            exclusive_holder(&mut out, lock, t.as_ref().and_then(|t| t.ptl));
                        }
                        for (&pmd, h) in &mm.huge {
                            exclusive_holder(&mut out, LockId::Ptl { mm: mm.id, pmd }, h.ptl);
                        }
                    }
                }
                LockId::Folio(_) => {
                    for (pfn, f) in self.frames.iter().enumerate() {
                        exclusive_holder(&mut out, LockId::Folio(pfn as Pfn), f.locked);
                    }
                }
                LockId::Driver(_) => {
                    for (i, m) in self.mirrors.iter().enumerate() {
                        exclusive_holder(&mut out, LockId::Driver(i as u8), m.mutex);
                    }
                }
                LockId::AnonVma(_) => {
                    for (id, av) in self.anon_vmas.iter().enumerate() {
                        rwsem_holders(&mut out, LockId::AnonVma(id as u32), &av.lock);
                    }
                }
                LockId::DevmemMigrate(_) => {
                    for d in &self.devices {
                        exclusive_holder(&mut out, LockId::DevmemMigrate(d.id), d.migrate_lock);
                    }
                }
                LockId::IMmap(_) => {
                    for a in &self.mappings {
                        rwsem_holders(&mut out, LockId::IMmap(a.id), &a.i_mmap_rwsem);
                    }
                }
            }
        }
        out
    }
}

impl Default for World {
    fn default() -> World {
        World::new()
    }
}

/// Where a page's data is: the "where does this page live" of lessons and the final-state comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PageLocation {
    Unpopulated,
    ZeroPage,
    Swap { slot: u32, content: u32 },
    System { pfn: Pfn, content: u32 },
    Device { dev: DevId, pfn: Pfn, content: u32 },
}

impl PageLocation {
    /// The data a read would return (unpopulated and zero pages read as 0).
    pub fn content(self) -> u32 {
        match self {
            PageLocation::Unpopulated | PageLocation::ZeroPage => 0,
            PageLocation::Swap { content, .. }
            | PageLocation::System { content, .. }
            | PageLocation::Device { content, .. } => content,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            PageLocation::Unpopulated => "unpopulated",
            PageLocation::ZeroPage => "zero_page",
            PageLocation::Swap { .. } => "swap",
            PageLocation::System { .. } => "system",
            PageLocation::Device { .. } => "device",
        }
    }
}

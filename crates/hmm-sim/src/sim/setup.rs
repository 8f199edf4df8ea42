//! The world before step 0: processes, mappings, devices, mirrors and each page's initial state.

use crate::drivers::dmirror::mmap::dmirror_fops_mmap;
use crate::drivers::dmirror::DEVMEM_CHUNK_PAGES;
use crate::pte::{Pfn, Pte};
use crate::scenario::PageState;
use crate::view::{ViewState, WorldViewer};
use crate::world::*;
use serde::{Deserialize, Serialize};

/// Mapping flags for [`Setup::mmap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prot {
    pub read: bool,
    pub write: bool,
    /// `MAP_SHARED` (of a file, or `MAP_SHARED|MAP_ANONYMOUS`), else `MAP_PRIVATE`.
    pub shared: bool,
}

impl Prot {
    pub const RW: Prot = Prot {
        read: true,
        write: true,
        shared: false,
    };
    pub const RO: Prot = Prot {
        read: true,
        write: false,
        shared: false,
    };
    pub const NONE: Prot = Prot {
        read: false,
        write: false,
        shared: false,
    };
}

/// The world before step 0.
#[derive(Clone, Debug)]
pub struct Setup {
    pub world: World,
    /// Device count (each a private dmirror device with its own owner).
    pub devices: u8,
    /// Requests refused because they break a limit; `run` reports the first as `RunError::BadSetup`.
    pub errors: Vec<String>,
}

/// Devices a scenario may have (`DMIRROR_NDEVICES`).
pub const MAX_DEVICES: u8 = 4;

/// Is `[start, start + npages)` inside the model's address space and page limit?
pub fn range_ok(start: u32, npages: u32) -> bool {
    (npages as usize) <= crate::scenario::MAX_PAGES
        && start
            .checked_add(npages)
            .is_some_and(|end| end <= VPN_LIMIT)
}

/// The device that owns `O` pages in state-string scenarios.
pub const OTHER_DEVICE: DevId = 1;

/// The first device-coherent device, as test_hmm numbers them (`hmm_dmirror_init`: devices 0 and 1 are
/// device-private, 2 and 3 device-coherent); it owns `M` pages in state-string scenarios.
pub const COHERENT_DEVICE: DevId = 2;

impl Setup {
    /// One process (mm0) and `devices` dmirror devices, each opened by mm0.
    pub fn new(devices: u8) -> Setup {
        let devices_wanted = devices;
        let devices = devices.min(MAX_DEVICES);
        let mut world = World::new();
        world.new_anon_vma(vec![0]);
        world.mms.push(Mm::new(0, 0));
        for id in 0..devices {
            world.devices.push(Device {
                id,
                free: Vec::new(),
                chunks: Vec::new(),
                calloc: 0,
                cfree: 0,
                free_folios: Vec::new(),
                fail_alloc: false,
                migrate_to_ram_lock: false,
                migrate_lock: None,
                driver: DriverOpts::default(),
                removing: false,
                coherent: id >= COHERENT_DEVICE,
            });
        }
        let mut s = Setup {
            world,
            devices,
            errors: Vec::new(),
        };
        if devices_wanted > MAX_DEVICES {
            s.errors
                .push(format!("{devices_wanted} devices: at most {MAX_DEVICES}"));
        }
        for dev in 0..devices {
            s.open_mirror(dev, 0);
        }
        s
    }

    /// `open("/dev/hmm_dmirror<dev>")` by process `mm`: a mirror with an interval notifier over the mm.
    pub fn open_mirror(&mut self, dev: DevId, mm: MmId) -> usize {
        open_mirror(&mut self.world, dev, mm)
    }

    /// How the simulated driver behaves: every device's lane options, `migrate_to_ram` lock and every
    /// open mirror's notifier filter.
    pub fn driver(&mut self, opts: DriverOpts) -> &mut Setup {
        for m in &mut self.world.mirrors {
            m.filter_own_migrate = opts.filter_own_migrate;
        }
        for dev in &mut self.world.devices {
            dev.migrate_to_ram_lock = opts.migrate_to_ram_lock;
            dev.driver = opts;
        }
        self
    }

    /// `mmap` a fixed range. A `MAP_SHARED` anonymous mapping gets a shmem file of its own
    /// (`shmem_zero_setup`), mapped from its first page.
    pub fn mmap(&mut self, mm: MmId, start: u32, npages: u32, prot: Prot) {
        let file = prot.shared.then(|| FileRef {
            mapping: self.world.new_mapping(MappingKind::Shmem, npages),
            pgoff: 0,
        });
        self.map(mm, start, npages, prot, file);
    }

    /// A new empty file of `pages` pages (`open(O_TMPFILE)` + `ftruncate`): shmem/tmpfs or a regular file
    /// on disk. Returns its id for [`Setup::mmap_file`] and the file ops.
    pub fn create_file(&mut self, kind: MappingKind, pages: u32) -> u32 {
        self.world.new_mapping(kind, pages)
    }

    /// `mmap(fd, pgoff)` of `file` (from [`Setup::create_file`]): `MAP_SHARED` or `MAP_PRIVATE` by
    /// `prot.shared`.
    pub fn mmap_file(
        &mut self,
        mm: MmId,
        start: u32,
        npages: u32,
        prot: Prot,
        file: u32,
        pgoff: u32,
    ) {
        if self.world.mappings.get(file as usize).is_none() {
            self.errors
                .push(format!("mmap of file {file}: no such file"));
            return;
        }
        let file = Some(FileRef {
            mapping: file,
            pgoff,
        });
        self.map(mm, start, npages, prot, file);
    }

    fn map(&mut self, mm: MmId, start: u32, npages: u32, prot: Prot, file: Option<FileRef>) {
        if !range_ok(start, npages) || npages == 0 || self.world.mms.get(mm as usize).is_none() {
            self.errors.push(format!(
                "mmap of {npages} pages at page {start:#x} of mm{mm} is outside the model"
            ));
            return;
        }
        self.world.mms[mm as usize].vmas.push(Vma {
            start,
            end: start + npages,
            read: prot.read,
            write: prot.write,
            shared: prot.shared,
            special: false,
            pgoff: file.map_or(start, |f| f.pgoff),
            mixedmap: false,
            file,
            hugepage: false,
        });
        self.world.mms[mm as usize].vmas.sort_by_key(|v| v.start);
    }

    /// `mmap` of `/dev/hmm_dmirror<dev>` at a fixed range: `dmirror_fops_mmap` inserts a zeroed page at every
    /// page (`vm_insert_page`, a `VM_MIXEDMAP` vma).
    pub fn mmap_dmirror(&mut self, dev: DevId, mm: MmId, start: u32, npages: u32, prot: Prot) {
        if !range_ok(start, npages)
            || npages == 0
            || self.world.mms.get(mm as usize).is_none()
            || dev >= self.devices
        {
            self.errors.push(format!(
                "mmap of /dev/hmm_dmirror{dev} ({npages} pages at page {start:#x} of mm{mm}) is outside the model"
            ));
            return;
        }
        dmirror_fops_mmap(
            &mut self.world,
            mm,
            start,
            npages,
            prot.read,
            prot.write,
            prot.shared,
        );
    }

    /// The standard scenario of a state string: one anonymous RW VMA at [`RANGE_BASE_VPN`], page `i`
    /// holding content `i + 1` unless it reads as zero (`Z`, `N`); `C` pages are shared with a fork child
    /// (mm1); `D` pages live on device 0, `O` pages on device 1.
    pub fn from_states(states: &[PageState]) -> Setup {
        let mut s = Setup::mapped_for(states);
        s.place_states(states, 0..states.len());
        s
    }

    /// [`Setup::from_states`] before any page is placed: its devices and its one read-write vma.
    fn mapped_for(states: &[PageState]) -> Setup {
        let coherent = states.contains(&PageState::DeviceCoherent);
        let mut s = Setup::new(if coherent { COHERENT_DEVICE + 1 } else { 2 });
        s.mmap(0, RANGE_BASE_VPN, states.len() as u32, Prot::RW);
        s
    }

    /// Place pages `pages` of `states` (page i at `RANGE_BASE_VPN + i`, holding content i + 1), in order.
    fn place_states(&mut self, states: &[PageState], pages: std::ops::Range<usize>) {
        for i in pages {
            self.place(0, RANGE_BASE_VPN + i as u32, states[i], i as u32 + 1);
        }
    }

    fn child_for_cow(&mut self, parent: MmId) -> MmId {
        if let Some(child) = self
            .world
            .mms
            .iter()
            .position(|m| m.id != parent && m.alive)
        {
            return child as MmId;
        }
        self.world.fork_mm(parent)
    }

    fn set_pte(&mut self, mm: MmId, vpn: u32, pte: Pte) {
        let pmd = (vpn / PTRS_PER_PTE) as usize;
        let table = self.world.mms[mm as usize].pmds[pmd].get_or_insert_with(|| {
            Box::new(PteTable {
                ptes: vec![Pte::None; PTRS_PER_PTE as usize],
                ptl: None,
            })
        });
        table.ptes[(vpn % PTRS_PER_PTE) as usize] = pte;
    }

    /// Frame `pfn` becomes an exclusive anonymous folio of `mm` mapped once at `vpn`, holding `content`
    /// (what `folio_add_new_anon_rmap` leaves, set directly).
    fn new_anon_folio(&mut self, pfn: Pfn, mm: MmId, vpn: u32, content: u32) -> &mut Folio {
        let av = self.world.mms[mm as usize].anon_vma;
        let f = &mut self.world.frames[pfn as usize];
        f.content = content;
        f.anon_vma = Some(av);
        f.index = vpn;
        f.mapcount = 1;
        f.anon_exclusive = true;
        f
    }

    /// A system page for `place`: a new anonymous folio on the LRU.
    fn anon_folio(&mut self, mm: MmId, vpn: u32, content: u32) -> Pfn {
        let pfn = self.world.system_pop();
        self.new_anon_folio(pfn, mm, vpn, content).lru = true;
        pfn
    }

    /// `madvise(MADV_HUGEPAGE)` at set-up: the VMAs of `[start, end)` get `VM_HUGEPAGE` (split at the
    /// boundaries, as madvise splits them).
    pub fn madvise_hugepage(&mut self, mm: MmId, start: u32, end: u32) {
        let Some(m) = self.world.mms.get_mut(mm as usize) else {
            self.errors
                .push(format!("madvise of mm{mm}: no such process"));
            return;
        };
        crate::mm::mmap::split_vmas(m, start, end);
        for v in m
            .vmas
            .iter_mut()
            .filter(|v| v.start >= start && v.end <= end)
        {
            v.hugepage = true;
        }
    }

    /// An `H` page: the first page of each 512 (a PMD boundary) makes the THP (512 contiguous frames, one
    /// order-9 folio mapped by one writable PMD entry: refcount 1, entire mapcount 1, what
    /// `do_huge_pmd_anonymous_page` leaves); the other 511 set their subpage's content.
    fn place_huge(&mut self, mm: MmId, vpn: u32, content: u32) -> bool {
        let pmd = vpn / PTRS_PER_PTE;
        let i = vpn % PTRS_PER_PTE;
        let anonymous = self.world.mms[mm as usize].vma(vpn).is_some_and(|v| {
            v.is_anonymous()
                && v.start <= pmd * PTRS_PER_PTE
                && pmd * PTRS_PER_PTE + PTRS_PER_PTE <= v.end
        });
        if !anonymous {
            self.errors.push(format!(
                "page {vpn:#x} of mm{mm} is H but its 2 MiB is not wholly inside one private anonymous vma"
            ));
            return false;
        }
        if i == 0 {
            if self.world.mms[mm as usize].pmds[pmd as usize].is_some()
                || self.world.mms[mm as usize].huge.contains_key(&pmd)
            {
                self.errors.push(format!(
                    "page {vpn:#x} of mm{mm} is H but its PMD is already populated"
                ));
                return false;
            }
            let head = self.world.contiguous_frames(Zone::System, PTRS_PER_PTE);
            self.world.prep_compound(head, 9);
            let f = self.new_anon_folio(head, mm, vpn, content);
            f.mapcount = 0;
            f.entire_mapcount = 1;
            f.refcount = 1;
            f.lru = true;
            self.world.mms[mm as usize].huge.insert(
                pmd,
                HugePmd {
                    entry: Pte::mk(head, true),
                    ptl: None,
                },
            );
            return true;
        }
        match self.world.mms[mm as usize].pmd_leaf(vpn) {
            Some(Pte::Present { pfn, .. }) => {
                self.world.frames[(pfn + i) as usize].content = content;
                true
            }
            _ => {
                self.errors.push(format!(
                    "page {vpn:#x} of mm{mm} is H but page {:#x}, the first of its 2 MiB, is not",
                    pmd * PTRS_PER_PTE
                ));
                false
            }
        }
    }

    /// A page of device `dev` holding `content`, mapped by the PTE `pte(pfn)` and mirrored writable in the
    /// device's page table, as a migration to the device would have left it.
    fn place_on_device(
        &mut self,
        mm: MmId,
        vpn: u32,
        dev: DevId,
        content: u32,
        pte: impl Fn(Pfn) -> Pte,
    ) {
        let pfn = self.world.devmem_pop(dev, DEVMEM_CHUNK_PAGES);
        self.new_anon_folio(pfn, mm, vpn, content).mirror = Some((dev, mm));
        self.set_pte(mm, vpn, pte(pfn));
        let mirror = self
            .world
            .mirror_index(dev, mm)
            .unwrap_or_else(|| open_mirror(&mut self.world, dev, mm));
        self.world.mirrors[mirror].pt.insert(
            vpn,
            DptEntry {
                pfn,
                tag: DptTag::Write,
            },
        );
    }

    /// Put page `vpn` of `mm` in `state`, holding `content` where it has data.
    pub fn place(&mut self, mm: MmId, vpn: u32, state: PageState, content: u32) {
        if !range_ok(vpn, 1) || self.world.mms.get(mm as usize).is_none() {
            self.errors
                .push(format!("page {vpn:#x} of mm{mm} is outside the model"));
            return;
        }
        if matches!(state, PageState::DevicePrivate | PageState::OtherDevice) && self.devices == 0 {
            self.errors.push(format!(
                "page {vpn:#x} is device-private but the scenario has no device"
            ));
            return;
        }
        if state == PageState::DeviceCoherent && self.devices <= COHERENT_DEVICE {
            self.errors.push(format!(
                "page {vpn:#x} is device-coherent but the scenario has no coherent device (device {COHERENT_DEVICE}: give it {} devices)",
                COHERENT_DEVICE + 1
            ));
            return;
        }
        let expected = match state {
            PageState::Zero | PageState::None => 0,
            _ => content,
        };
        if self.world.mms[mm as usize].pmd_leaf(vpn).is_some() && state != PageState::Huge {
            self.errors.push(format!(
                "page {vpn:#x} of mm{mm} is inside an H run's THP: its 512 pages are all H"
            ));
            return;
        }
        match state {
            PageState::None => {}
            PageState::Huge => {
                if !self.place_huge(mm, vpn, content) {
                    return;
                }
            }
            PageState::Zero => self.set_pte(mm, vpn, Pte::Zero),
            PageState::Present => {
                let pfn = self.anon_folio(mm, vpn, content);
                self.set_pte(mm, vpn, Pte::mk(pfn, true));
            }
            PageState::CowShared => {
                let child = self.child_for_cow(mm);
                let pfn = self.anon_folio(mm, vpn, content);
                let f = &mut self.world.frames[pfn as usize];
                f.refcount = 2;
                f.mapcount = 2;
                f.anon_exclusive = false;
                let ro = Pte::Present {
                    pfn,
                    write: false,
                    dirty: true,
                };
                self.set_pte(mm, vpn, ro);
                self.set_pte(child, vpn, ro);
                self.world.expected.insert((child, vpn), content);
            }
            PageState::Swapped => {
                self.world.swap.push(Some(content));
                let slot = (self.world.swap.len() - 1) as u32;
                self.set_pte(mm, vpn, Pte::Swap { slot });
            }
            // Mapped like system memory (a present, writable, anon-exclusive PTE), off the LRU.
            PageState::DeviceCoherent => {
                self.place_on_device(mm, vpn, COHERENT_DEVICE, content, |pfn| Pte::mk(pfn, true))
            }
            PageState::DevicePrivate | PageState::OtherDevice => {
                let dev = if state == PageState::DevicePrivate {
                    0
                } else {
                    OTHER_DEVICE.min(self.devices - 1)
                };
                self.place_on_device(mm, vpn, dev, content, |pfn| Pte::DevicePrivate {
                    pfn,
                    write: true,
                });
            }
        }
        self.world.expected.insert((mm, vpn), expected);
    }
}

pub(crate) fn open_mirror(world: &mut World, dev: DevId, mm: MmId) -> usize {
    if let Some(i) = world.mirror_index(dev, mm) {
        return i;
    }
    // mmu_interval_notifier_insert while idle: the subscription starts one behind the mm's sequence.
    let seq = world.mms[mm as usize].invalidate_seq - 1;
    world.mirrors.push(Mirror {
        dev,
        mm,
        pt: Default::default(),
        seq,
        mutex: None,
        filter_own_migrate: true,
    });
    world.mirrors.len() - 1
}

/// The view of [`Setup::from_states`]'s world ([`ViewState::from_world`]) built a slice at a time: placing the
/// pages, then viewing their PTE tables, so a page that must answer input within a frame can build the view of
/// a 1 GiB set-up world (about 170 ms in one go in a browser) across many short tasks. The result is the view
/// `from_states` then `from_world` give.
pub struct InitialViewBuilder {
    states: Vec<PageState>,
    setup: Setup,
    placed: usize,
    viewer: WorldViewer,
}

impl InitialViewBuilder {
    pub fn new(states: &[PageState]) -> InitialViewBuilder {
        InitialViewBuilder {
            states: states.to_vec(),
            setup: Setup::mapped_for(states),
            placed: 0,
            viewer: WorldViewer::default(),
        }
    }

    /// Do about `max_pages` pages' worth more work: place that many pages, or, once all are placed, view that
    /// many pages' PTE tables. True once only [`InitialViewBuilder::finish`]'s small remainder is left.
    pub fn advance(&mut self, max_pages: usize) -> bool {
        let max_pages = max_pages.max(1);
        if self.placed < self.states.len() {
            let end = self.placed.saturating_add(max_pages).min(self.states.len());
            self.setup.place_states(&self.states, self.placed..end);
            self.placed = end;
            return false;
        }
        let tables = max_pages.div_ceil(PTRS_PER_PTE as usize);
        self.viewer.tables(&self.setup.world, tables)
    }

    /// The set-up world's view (doing whatever is left first).
    pub fn finish(mut self) -> ViewState {
        self.setup
            .place_states(&self.states, self.placed..self.states.len());
        self.viewer.finish(&self.setup.world)
    }
}

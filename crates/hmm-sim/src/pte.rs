//! Page-table entries: every PTE encoding of kernel-model.md §1.2, and their packed trace form.
//!
//! A PTE is plain data (`Copy`). The packed `u32` form is what the trace stores: 4 bits of kind,
//! 4 bits of flags, 24 bits of pfn. 24 bits of pfn bound the simulated physical memory (see `MAX_FRAMES`).

use serde::{Deserialize, Serialize};

/// Physical frame number in the simulator's frame arena (system and device frames share one space,
/// as ZONE_DEVICE pfns do in the kernel). pfn 0 is the shared zero page.
pub type Pfn = u32;

/// The zero page's pfn (`my_zero_pfn()`).
pub const ZERO_PFN: Pfn = 0;

/// Frames addressable by a packed PTE (24 bits).
pub const MAX_FRAMES: usize = 1 << 24;

/// The three kinds of migration entry (`make_writable_migration_entry`, `make_readable_exclusive_migration_entry`,
/// `make_readable_migration_entry`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MigrationKind {
    Read,
    ReadExclusive,
    Write,
}

impl MigrationKind {
    /// The migration entry that replaces a mapping being unmapped for migration (try_to_migrate_one and
    /// set_pmd_migration_entry, and migrate_vma_collect_pmd's own unmap): writable if the mapping was, else read-exclusive for an anon-exclusive folio,
    /// else read.
    pub fn for_unmap(write: bool, anon_exclusive: bool) -> MigrationKind {
        if write {
            MigrationKind::Write
        } else if anon_exclusive {
            MigrationKind::ReadExclusive
        } else {
            MigrationKind::Read
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pte {
    /// `pte_none()`: never populated, or zapped.
    None,
    /// A present PTE mapping a normal (system) page.
    Present { pfn: Pfn, write: bool, dirty: bool },
    /// The shared zero page: present, special, read-only.
    Zero,
    /// A swap entry; the content lives in swap slot `slot`.
    Swap { slot: u32 },
    /// A migration entry: the folio at `pfn` is locked and being migrated.
    Migration { pfn: Pfn, kind: MigrationKind },
    /// A device-private entry (`make_{readable,writable}_device_private_entry`).
    DevicePrivate { pfn: Pfn, write: bool },
    /// A device-exclusive entry (`make_device_exclusive`): CPU access is revoked while the device does atomics.
    DeviceExclusive { pfn: Pfn, write: bool },
}

/// What kind of entry a PTE is, without its fields: the vocabulary of lessons, the legend and the UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PteKind {
    None,
    PresentWrite,
    PresentRead,
    Zero,
    Swap,
    MigrationRead,
    MigrationReadExclusive,
    MigrationWrite,
    DevicePrivateRead,
    DevicePrivateWrite,
    DeviceExclusive,
}

impl PteKind {
    /// The entry maps its page writable (present, or to be restored writable: migration, device-private).
    /// A device-exclusive entry's permission is not part of its kind, so it counts as not writable.
    pub fn is_writable(self) -> bool {
        matches!(
            self,
            PteKind::PresentWrite | PteKind::MigrationWrite | PteKind::DevicePrivateWrite
        )
    }

    pub const ALL: [PteKind; 11] = [
        PteKind::None,
        PteKind::PresentWrite,
        PteKind::PresentRead,
        PteKind::Zero,
        PteKind::Swap,
        PteKind::MigrationRead,
        PteKind::MigrationReadExclusive,
        PteKind::MigrationWrite,
        PteKind::DevicePrivateRead,
        PteKind::DevicePrivateWrite,
        PteKind::DeviceExclusive,
    ];

    /// Stable snake_case name used in lessons, JSON and CSS classes.
    pub fn name(self) -> &'static str {
        match self {
            PteKind::None => "none",
            PteKind::PresentWrite => "present_rw",
            PteKind::PresentRead => "present_ro",
            PteKind::Zero => "zero",
            PteKind::Swap => "swap",
            PteKind::MigrationRead => "migration_read",
            PteKind::MigrationReadExclusive => "migration_read_exclusive",
            PteKind::MigrationWrite => "migration_write",
            PteKind::DevicePrivateRead => "device_private_read",
            PteKind::DevicePrivateWrite => "device_private_write",
            PteKind::DeviceExclusive => "device_exclusive",
        }
    }

    pub fn from_name(name: &str) -> Option<PteKind> {
        PteKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// A one-character glyph: the UI pairs it with a colour so the picture never relies on colour alone.
    pub fn glyph(self) -> char {
        match self {
            PteKind::None => '·',
            PteKind::PresentWrite => 'W',
            PteKind::PresentRead => 'R',
            PteKind::Zero => '0',
            PteKind::Swap => 'S',
            PteKind::MigrationRead | PteKind::MigrationReadExclusive | PteKind::MigrationWrite => {
                'M'
            }
            PteKind::DevicePrivateRead => 'd',
            PteKind::DevicePrivateWrite => 'D',
            PteKind::DeviceExclusive => 'X',
        }
    }

    pub fn is_migration(self) -> bool {
        matches!(
            self,
            PteKind::MigrationRead | PteKind::MigrationReadExclusive | PteKind::MigrationWrite
        )
    }
}

impl Pte {
    /// A fresh present PTE for `pfn`: `mk_pte`, then `pte_mkwrite(pte_mkdirty(entry))` when `write`, as the
    /// fault paths and `remove_migration_pte` build them (a writable new mapping starts dirty).
    pub fn mk(pfn: Pfn, write: bool) -> Pte {
        Pte::Present {
            pfn,
            write,
            dirty: write,
        }
    }

    /// A PMD leaf's entry narrowed to subpage `i` of its 2 MiB (`pmd_page(pmd) + i`): the same entry for
    /// the `i`-th page of the folio. Entries without a pfn are returned as they are.
    pub fn subpage(self, i: u32) -> Pte {
        match self {
            Pte::Present { pfn, write, dirty } => Pte::Present {
                pfn: pfn + i,
                write,
                dirty,
            },
            Pte::Migration { pfn, kind } => Pte::Migration { pfn: pfn + i, kind },
            Pte::DevicePrivate { pfn, write } => Pte::DevicePrivate {
                pfn: pfn + i,
                write,
            },
            other => other,
        }
    }

    pub fn kind(self) -> PteKind {
        match self {
            Pte::None => PteKind::None,
            Pte::Present { write: true, .. } => PteKind::PresentWrite,
            Pte::Present { write: false, .. } => PteKind::PresentRead,
            Pte::Zero => PteKind::Zero,
            Pte::Swap { .. } => PteKind::Swap,
            Pte::Migration {
                kind: MigrationKind::Read,
                ..
            } => PteKind::MigrationRead,
            Pte::Migration {
                kind: MigrationKind::ReadExclusive,
                ..
            } => PteKind::MigrationReadExclusive,
            Pte::Migration {
                kind: MigrationKind::Write,
                ..
            } => PteKind::MigrationWrite,
            Pte::DevicePrivate { write: false, .. } => PteKind::DevicePrivateRead,
            Pte::DevicePrivate { write: true, .. } => PteKind::DevicePrivateWrite,
            Pte::DeviceExclusive { .. } => PteKind::DeviceExclusive,
        }
    }

    /// The folio this entry refers to (zero page and swap entries refer to none).
    pub fn pfn(self) -> Option<Pfn> {
        match self {
            Pte::Present { pfn, .. }
            | Pte::Migration { pfn, .. }
            | Pte::DevicePrivate { pfn, .. }
            | Pte::DeviceExclusive { pfn, .. } => Some(pfn),
            Pte::None | Pte::Zero | Pte::Swap { .. } => None,
        }
    }

    pub fn is_present(self) -> bool {
        matches!(self, Pte::Present { .. } | Pte::Zero)
    }

    /// Packed form for the trace: `kind:4 | flags:4 | pfn_or_slot:24`.
    pub fn pack(self) -> u32 {
        let (kind, flags, low): (u32, u32, u32) = match self {
            Pte::None => (0, 0, 0),
            Pte::Present { pfn, write, dirty } => (1, write as u32 | (dirty as u32) << 1, pfn),
            Pte::Zero => (2, 0, 0),
            Pte::Swap { slot } => (3, 0, slot),
            Pte::Migration { pfn, kind } => (
                4,
                match kind {
                    MigrationKind::Read => 0,
                    MigrationKind::ReadExclusive => 1,
                    MigrationKind::Write => 2,
                },
                pfn,
            ),
            Pte::DevicePrivate { pfn, write } => (5, write as u32, pfn),
            Pte::DeviceExclusive { pfn, write } => (6, write as u32, pfn),
        };
        kind << 28 | flags << 24 | (low & 0x00ff_ffff)
    }

    /// Inverse of [`Pte::pack`]; an unknown kind decodes as `None` (the trace is produced by this crate only).
    pub fn unpack(bits: u32) -> Pte {
        let (kind, flags, low) = (bits >> 28, bits >> 24 & 0xf, bits & 0x00ff_ffff);
        match kind {
            1 => Pte::Present {
                pfn: low,
                write: flags & 1 != 0,
                dirty: flags & 2 != 0,
            },
            2 => Pte::Zero,
            3 => Pte::Swap { slot: low },
            4 => Pte::Migration {
                pfn: low,
                kind: match flags {
                    0 => MigrationKind::Read,
                    1 => MigrationKind::ReadExclusive,
                    _ => MigrationKind::Write,
                },
            },
            5 => Pte::DevicePrivate {
                pfn: low,
                write: flags & 1 != 0,
            },
            6 => Pte::DeviceExclusive {
                pfn: low,
                write: flags & 1 != 0,
            },
            _ => Pte::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_round_trips() {
        let samples = [
            Pte::None,
            Pte::Present {
                pfn: 77,
                write: true,
                dirty: false,
            },
            Pte::Present {
                pfn: 0xff_fff0,
                write: false,
                dirty: true,
            },
            Pte::Zero,
            Pte::Swap { slot: 9 },
            Pte::Migration {
                pfn: 3,
                kind: MigrationKind::Read,
            },
            Pte::Migration {
                pfn: 3,
                kind: MigrationKind::ReadExclusive,
            },
            Pte::Migration {
                pfn: 3,
                kind: MigrationKind::Write,
            },
            Pte::DevicePrivate {
                pfn: 12,
                write: true,
            },
            Pte::DevicePrivate {
                pfn: 12,
                write: false,
            },
            Pte::DeviceExclusive {
                pfn: 5,
                write: true,
            },
        ];
        for pte in samples {
            assert_eq!(Pte::unpack(pte.pack()), pte, "{pte:?}");
        }
        let kinds: std::collections::BTreeSet<_> = samples.iter().map(|p| p.kind()).collect();
        assert_eq!(kinds.len(), PteKind::ALL.len());
    }
}

//! The kernel versions (and proposed variants) whose behaviour the model distinguishes.

/// The `do_swap_page` device-private fault paths the model distinguishes (kernel-model.md §2.6, §4). Ordered
/// by history: a path at or after [`KernelVersion::V6_15`] has the pre-locked fault page of 1afaeb8293c9.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum KernelVersion {
    /// ≤ 6.14: `do_swap_page` takes a reference on the device page without locking it; collect trylocks
    /// the fault page like any other page.
    V6_14,
    /// 6.15 up to 6.18.0 (1afaeb8293c9): `trylock_page` under the PTL; a loser returns 0 and re-faults at once.
    V6_15,
    /// Mainline 2026 with b570f37a2ce4 (backported to 6.18.y): a loser sleeps until the folio is unlocked
    /// instead of spinning. Mainline 2026 is 6.19 and later, so it also has Balbir Singh's device-private
    /// THP series (merged for 6.19: 368076f52ebe, a30b48bf1b24, aa3ade429543), which 6.18.y does not.
    Fix2026,
    /// Alistair Popple's alternative from the seed-003 thread (2024, repeated 2026), never merged: on top of
    /// the 2026 fix, `do_swap_page` installs the migration entry itself (it holds the PTL, the page lock and
    /// a reference) before calling `migrate_to_ram`, so later faults wait on the entry holding no reference.
    PoppleProposal,
    /// Alistair Popple's RFC "Allow file-backed or shared device private pages" (March 2025, seed 002, 6
    /// patches, never merged), modelled on top of mainline 2026: device-private folios may sit in the page
    /// cache, so `migrate_vma` moves shmem and file pages too; a page-cache lookup that finds one migrates it
    /// back first; writeback and truncate handle it.
    FileRfc,
}

/// The plain words every consumer (lesson engine, CLI, web) shows beside a behaviour no released kernel has.
pub const RFC_MARK: &str = "RFC, not merged";

impl KernelVersion {
    pub const ALL: [KernelVersion; 5] = [
        KernelVersion::V6_14,
        KernelVersion::V6_15,
        KernelVersion::Fix2026,
        KernelVersion::PoppleProposal,
        KernelVersion::FileRfc,
    ];

    /// The name lessons, the CLI and URLs write.
    pub fn name(self) -> &'static str {
        match self {
            KernelVersion::V6_14 => "6.14",
            KernelVersion::V6_15 => "6.15",
            KernelVersion::Fix2026 => "2026",
            KernelVersion::PoppleProposal => "popple",
            KernelVersion::FileRfc => "file-rfc",
        }
    }

    /// What the name stands for, in words a reader can check against the kernel's history.
    pub fn describe(self) -> &'static str {
        match self {
            KernelVersion::V6_14 => "6.14 and earlier: do_swap_page takes a reference without the page lock",
            KernelVersion::V6_15 => {
                "6.15 to 6.18.0 (1afaeb8293c9): do_swap_page trylocks the page; a loser re-faults at once (spins)"
            }
            KernelVersion::Fix2026 => {
                "mainline 2026, 6.19+ (b570f37a2ce4): a loser of the trylock sleeps until the page is unlocked; \
                 device-private THPs migrate whole (MIGRATE_VMA_SELECT_COMPOUND)"
            }
            KernelVersion::PoppleProposal => {
                "proposal, not merged (Popple, 2024 and 2026): do_swap_page installs the migration entry itself"
            }
            KernelVersion::FileRfc => {
                "RFC, not merged (Popple, March 2025, \"Allow file-backed or shared device private pages\"), on \
                 mainline 2026: shmem and file pages migrate to device-private memory and stay in the page cache; \
                 a page-cache lookup migrates them back"
            }
        }
    }

    /// Balbir Singh's device-private THP series (merged for 6.19, so in mainline 2026 and the proposal built
    /// on it; not in 6.18.y): `MIGRATE_VMA_SELECT_COMPOUND`, `migrate_vma_collect_huge_pmd`'s PMD migration
    /// entry, 2 MiB device folios behind device-private PMD entries, and test_hmm's 512-page migrate chunks.
    /// Before it collect always splits a THP.
    pub fn device_thp(self) -> bool {
        matches!(
            self,
            KernelVersion::Fix2026 | KernelVersion::PoppleProposal | KernelVersion::FileRfc
        )
    }

    /// [`RFC_MARK`] for a variant no released kernel has (Popple's do_swap_page proposal, the file-backed
    /// RFC): the one test every consumer asks before it shows a kernel's behaviour. `None` for a release.
    pub fn rfc_mark(self) -> Option<&'static str> {
        match self {
            KernelVersion::PoppleProposal | KernelVersion::FileRfc => Some(RFC_MARK),
            KernelVersion::V6_14 | KernelVersion::V6_15 | KernelVersion::Fix2026 => None,
        }
    }

    /// The name as people read it, everywhere a kernel is shown (lesson reports, `hmmviz compare`, the
    /// web): the [`KernelVersion::name`], followed by its [`RFC_MARK`] when it has one.
    pub fn label(self) -> String {
        match self.rfc_mark() {
            Some(mark) => format!("{} ({mark})", self.name()),
            None => self.name().to_owned(),
        }
    }

    /// The file-backed RFC (seed 002): device-private folios may be page-cache folios.
    pub fn file_backed_device_private(self) -> bool {
        self == KernelVersion::FileRfc
    }

    /// Parses a name of [`KernelVersion::ALL`]. `6.18` and `6.18.y` are refused with the reason: 6.18.0 still
    /// spins like 6.15; 6.18.y sleeps like `2026` but lacks 6.19's device-private THP migration, a mix no
    /// variant models.
    pub fn parse(s: &str) -> Result<KernelVersion, String> {
        if let Some(v) = KernelVersion::ALL.into_iter().find(|v| v.name() == s) {
            return Ok(v);
        }
        match s {
            "6.18.y" => Err("kernel `6.18.y` is not modelled: it has the 2026 fix b570f37a2ce4 (a loser of the page \
                 trylock sleeps, as `2026`), but not 6.19's device-private THP migration, which `2026` has; write \
                 `2026` for the fault path, `6.15` for a THP split before migration"
                .to_string()),
            "6.18" => Err("kernel `6.18` is ambiguous: 6.18.0 behaves like `6.15` (a loser of the page trylock \
                 spins), while the 6.18.y backport of b570f37a2ce4 behaves like `2026` (it sleeps); write one of \
                 those"
                .to_string()),
            _ => Err(format!(
                "unknown kernel `{s}`: expected one of {}",
                KernelVersion::ALL.map(KernelVersion::name).join(", ")
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_6_18_is_refused_with_the_reason() {
        for v in KernelVersion::ALL {
            assert_eq!(KernelVersion::parse(v.name()), Ok(v));
        }
        let e = KernelVersion::parse("6.18.y").unwrap_err();
        assert!(e.contains("device-private THP"), "{e}");
        let e = KernelVersion::parse("6.18").unwrap_err();
        assert!(e.contains("6.18.0 behaves like `6.15`"), "{e}");
        assert!(KernelVersion::parse("5.0")
            .unwrap_err()
            .contains("6.14, 6.15, 2026, popple, file-rfc"));
        assert_eq!(KernelVersion::FileRfc.rfc_mark(), Some(RFC_MARK));
        assert_eq!(KernelVersion::Fix2026.rfc_mark(), None);
        assert_eq!(
            KernelVersion::PoppleProposal.label(),
            "popple (RFC, not merged)"
        );
        assert_eq!(KernelVersion::V6_15.label(), "6.15");
    }
}

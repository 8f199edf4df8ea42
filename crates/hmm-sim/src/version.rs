//! The kernel versions whose behaviour the model distinguishes.

/// Kernel versions whose behaviour differs in what the model shows (kernel-model.md §2.6, §4).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum KernelVersion {
    /// ≤ 6.14: `do_swap_page` takes a reference on the device page without locking it.
    V6_14,
    /// 6.15 (1afaeb8293c9): `trylock_page` under the PTL; a loser returns 0 and re-faults at once.
    V6_15,
    /// 6.18.y with b570f37a2ce4: a loser sleeps until the folio is unlocked instead of spinning.
    V6_18,
}

impl KernelVersion {
    pub const ALL: [KernelVersion; 3] = [
        KernelVersion::V6_14,
        KernelVersion::V6_15,
        KernelVersion::V6_18,
    ];
    pub fn name(self) -> &'static str {
        match self {
            KernelVersion::V6_14 => "6.14",
            KernelVersion::V6_15 => "6.15",
            KernelVersion::V6_18 => "6.18",
        }
    }
    pub fn parse(s: &str) -> Option<KernelVersion> {
        KernelVersion::ALL.into_iter().find(|v| v.name() == s)
    }
}

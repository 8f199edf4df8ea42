//! [`Kind`]: what happened in one step, with the stable snake_case names lessons and JSON use.
//!
//! The field docs below describe the packed form; [`super::Ev`] is the typed form every consumer reads.

#[allow(unused_imports)] // for the field docs' links
use super::ids::{
    fault, FolioFlag, Level, LockId, Milestone, RetryReason, SeqId, ThreadState, WalkKind,
};
use serde::{Deserialize, Serialize};

macro_rules! kinds {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal, )*) => {
        /// What happened in one step.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[repr(u8)]
        pub enum Kind { $( $(#[$doc])* $variant, )* }

        impl Kind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [Kind] = &[ $( Kind::$variant, )* ];
            /// The stable snake_case name (`PteWrite` → `"pte_write"`): what lesson assertions and JSON exports say.
            pub fn name(self) -> &'static str { match self { $( Kind::$variant => $name, )* } }
        }
    };
}

kinds! {
    /// A function was entered. `a` = first page (packed page ref) or 0.
    Call => "call",
    /// A function returned. `a` = return value as `i32`.
    Return => "return",
    /// A walk started. `a` = first page, `b` = end page, `c` = [`WalkKind`].
    WalkBegin => "walk_begin",
    /// A walk ended. `c` = [`WalkKind`].
    WalkEnd => "walk_end",
    /// The walker descended one level. `a` = page, `b` = [`Level`].
    Descend => "descend",
    /// A PTE was read. `a` = page ref, `b` = packed PTE, `c` = 1 if a walker visited it (counted as a PTE visit).
    PteRead => "pte_read",
    /// A PTE was written. `a` = page ref, `b` = old, `c` = new (packed).
    PteWrite => "pte_write",
    /// A lock was taken. `a` = packed [`LockId`], `b` = mode (0 exclusive, 1 shared).
    LockAcquire => "lock_acquire",
    /// A lock was dropped. `a`, `b` as for acquire.
    LockRelease => "lock_release",
    /// A lock was wanted but held by someone else. `a`, `b` as for acquire, `c` = holder tid + 1 (0: readers).
    LockContended => "lock_contended",
    /// A folio's refcount changed. `a` = pfn, `b` = new value, `c` = old value.
    Ref => "ref",
    /// A folio's mapcount changed. `a` = pfn, `b` = new, `c` = old.
    Map => "map",
    /// A folio flag changed. `a` = pfn, `b` = [`FolioFlag`], `c` = new value.
    Flag => "flag",
    /// A page fault entered `handle_mm_fault`. `a` = page ref, `b` = [`fault`] flags.
    Fault => "fault",
    /// An invalidation started. `a` = event | owner << 8, `b`/`c` = page range.
    NotifierStart => "notifier_start",
    /// An invalidation ended. Fields as for start.
    NotifierEnd => "notifier_end",
    /// A notifier sequence changed. `a` = [`SeqId`], `b` = old, `c` = new.
    Seq => "seq",
    /// A frame was allocated. `a` = pfn, `b` = zone (0 system, 1 + device id).
    Alloc => "alloc",
    /// A frame was freed. `a` = pfn, `b` = zone.
    Free => "free",
    /// Page contents were copied. `a` = source pfn, `b` = destination pfn, `c` = content token copied.
    Copy => "copy",
    /// A frame's content changed. `a` = pfn, `b` = old token, `c` = new token.
    Content => "content",
    /// `src[i]` of a `struct migrate_vma` changed. `a` = i, `b` = old, `c` = new `MIGRATE_PFN_*` value.
    Src => "src",
    /// `dst[i]` changed. As for [`Kind::Src`].
    Dst => "dst",
    /// `hmm_pfns[i]` changed. `a` = i, `b` = new low 32 bits (pfn), `c` = new high 32 bits (flags, order).
    HmmPfn => "hmm_pfn",
    /// A device page-table entry changed. `a` = device << 24 | page, `b` = old, `c` = new ([`crate::world::DptEntry`] packed).
    DevPt => "dev_pt",
    /// A swap slot changed. `a` = slot, `b` = old token + 1 (0: free), `c` = new token + 1 (0: free).
    Swap => "swap",
    /// TLB flush. `a` = first page, `b` = end page.
    TlbFlush => "tlb_flush",
    /// Work is being redone. `a` = [`RetryReason`].
    Retry => "retry",
    /// A function failed. `a` = errno (positive).
    Error => "error",
    /// A named point in a lane's story. `a` = [`Milestone`].
    Milestone => "milestone",
    /// A thread changed scheduling state. `b` = [`ThreadState`], `c` = packed resource waited on.
    Thread => "thread",
    /// A PMD entry was written (a THP leaf, the huge zero page, a PMD migration or device-private entry, or
    /// none). `a` = page ref of the entry's first page, `b` = old, `c` = new (packed as PTEs).
    PmdWrite => "pmd_write",
    /// A large folio's `_entire_mapcount` (its PMD mappings) changed. `a` = head pfn, `b` = new, `c` = old.
    EntireMap => "entire_map",
}

impl Kind {
    /// The kind named `name` ([`Kind::name`]), if any.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names are the snake_case of the variant names, which lessons were written against.
    #[test]
    fn names_are_snake_case_of_the_variants() {
        for &k in Kind::ALL {
            let camel = format!("{k:?}");
            let mut snake = String::new();
            for (i, ch) in camel.chars().enumerate() {
                if ch.is_ascii_uppercase() && i > 0 {
                    snake.push('_');
                }
                snake.push(ch.to_ascii_lowercase());
            }
            assert_eq!(k.name(), snake);
            assert_eq!(Kind::from_name(&snake), Some(k));
        }
        assert_eq!(Kind::ALL.len(), 33);
        assert_eq!(
            Kind::ALL
                .iter()
                .enumerate()
                .filter(|(i, k)| **k as usize != *i)
                .count(),
            0
        );
    }

    /// docs/lessons.md lists exactly these names for `eventually KIND(...)` / `never KIND(...)`.
    #[test]
    fn lessons_md_lists_every_kind() {
        let documented = crate::trace::lessons_md_list(
            "| `eventually KIND(filters)`",
            "an event of the world's trace: `",
        );
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(documented, names);
    }
}

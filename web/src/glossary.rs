//! The glossary (`?glossary`): the kernel terms the lessons, the race lab and the narration use, each in a
//! few sentences of our own, and [`linkify`], which turns every occurrence of a term in a line of text into a
//! link to its entry. Kernel functions' links are `crate::kernel_refs`'.

use yew::prelude::*;

/// One glossary entry.
pub struct Term {
    /// The anchor (`?glossary#term-KEY`).
    pub key: &'static str,
    pub name: &'static str,
    /// The spellings that link here, longest first where one contains another.
    pub spellings: &'static [&'static str],
    pub text: &'static str,
}

/// The kernel tag the selftest source links point at, and the function links of runs on a kernel variant
/// Elixir has no tag for (`crate::kernel_refs::elixir_tag`): v7.2.13, a release with both what the 2026 variant
/// models (6.19's device-private THP migration, 368076f52ebe, and the 2026 do_swap_page fix, b570f37a2ce4) and
/// the selftests ported; its lines in web/kernel-refs.tsv were read in its source.
pub const KERNEL_REF: &str = "v7.2.13";

/// Is `file` (a `Func::file()`) kernel source, so that its functions can be looked up on Elixir?
pub fn is_kernel_file(file: &str) -> bool {
    [
        "mm/", "lib/", "include/", "kernel/", "arch/", "drivers/", "tools/",
    ]
    .iter()
    .any(|p| file.starts_with(p))
}

pub const TERMS: &[Term] = &[
    Term {
        key: "ptl",
        name: "PTL (page table lock)",
        spellings: &["PTL", "PTE lock", "pte lock"],
        text: "The spinlock that guards one page of PTEs (with split PTE locks, one per PTE table). Every read-modify-write of a PTE happens under it: a fault handler, a migration's collect step and the page-table walker all take it, so they see each other's changes whole. It is dropped before anything that may sleep.",
    },
    Term {
        key: "migration-entry",
        name: "migration entry",
        spellings: &["migration entries", "migration entry", "migration_write", "migration_read"],
        text: "A non-present PTE that stands for a page being migrated. migrate_vma_collect / try_to_migrate install it in place of the real mapping; a CPU access that meets it waits (migration_entry_wait) until the migration ends, and remove_migration_ptes (or migrate_vma_finalize) replaces it with the new or the old page. Read and write (and read-exclusive) flavours remember the mapping's permissions.",
    },
    Term {
        key: "device-private",
        name: "device-private memory",
        spellings: &["device-private", "device_private", "device private", "MEMORY_DEVICE_PRIVATE"],
        text: "ZONE_DEVICE memory that the CPU cannot access (MEMORY_DEVICE_PRIVATE). Its pages are mapped in the CPU page table by a special swap-like entry; a CPU access faults, and do_swap_page calls the owner's pgmap->ops->migrate_to_ram to bring the data back to system memory first.",
    },
    Term {
        key: "device-coherent",
        name: "device-coherent memory",
        spellings: &["device-coherent", "device_coherent", "MEMORY_DEVICE_COHERENT"],
        text: "ZONE_DEVICE memory the CPU can access coherently (MEMORY_DEVICE_COHERENT): its pages are mapped by ordinary present PTEs, so no fault is needed to use them. hmmviz's scenarios use device-private memory only.",
    },
    Term {
        key: "device-exclusive",
        name: "device-exclusive entry",
        spellings: &["device-exclusive", "device_exclusive", "device exclusive"],
        text: "A non-present PTE that gives a device exclusive access to a system page for atomics (make_device_exclusive). A CPU access faults and restores the normal mapping (remove_device_exclusive_entry), notifying the device first.",
    },
    Term {
        key: "notifier",
        name: "mmu_interval_notifier and its sequence",
        spellings: &["mmu_interval_notifier", "interval notifier", "notifier sequence", "mmu_interval_read_begin", "mmu_interval_read_retry", "MMU notifier", "notifier"],
        text: "A driver's subscription to changes of a range of an mm. Before the kernel changes PTEs in the range it calls the subscription's invalidate callback, and it bumps the subscription's sequence: odd while an invalidation is in progress, even when none is. A driver reads the sequence (mmu_interval_read_begin), does its work (hmm_range_fault), then takes its own lock and checks mmu_interval_read_retry: if the sequence moved, its snapshot is stale and it starts again.",
    },
    Term {
        key: "hmm-pfns",
        name: "hmm_pfns flags",
        spellings: &["hmm_pfns", "HMM_PFN_VALID", "HMM_PFN_WRITE", "HMM_PFN_ERROR", "HMM_PFN_REQ_FAULT", "HMM_PFN_REQ_WRITE"],
        text: "hmm_range_fault fills one unsigned long per page: the pfn plus flags. HMM_PFN_VALID: the entry holds a page; HMM_PFN_WRITE: the CPU mapping is writable; HMM_PFN_ERROR: the page cannot be had. The caller asks with HMM_PFN_REQ_FAULT (fault the page in if needed) and HMM_PFN_REQ_WRITE (fault it in writable).",
    },
    Term {
        key: "migrate-pfn",
        name: "MIGRATE_PFN flags",
        spellings: &["MIGRATE_PFN_MIGRATE", "MIGRATE_PFN_VALID", "MIGRATE_PFN_WRITE", "MIGRATE_PFN"],
        text: "migrate_vma_setup fills src[i] for each page: MIGRATE_PFN_VALID with a pfn when there is a page, MIGRATE_PFN_WRITE when it was mapped writable, and MIGRATE_PFN_MIGRATE when the page was collected and may move. The driver puts its destination pages in dst[i]; migrate_vma_pages clears MIGRATE_PFN_MIGRATE for any page it could not move.",
    },
    Term {
        key: "fault-ahead",
        name: "fault-ahead",
        spellings: &["fault-ahead", "fault ahead"],
        text: "When hmm_range_fault meets a page that needs a fault, it does not fault that page alone: it faults the rest of the range up to the end of the PMD, then walks again. hmmviz's narration calls this fault-ahead.",
    },
    Term {
        key: "anon-exclusive",
        name: "anon-exclusive",
        spellings: &["AnonExclusive", "anon-exclusive", "anon_exclusive", "PageAnonExclusive"],
        text: "A flag on an anonymous page saying this process's mapping is its only one, so it can be written without a copy-on-write. Migration must keep it: a migration entry records it, and the page is mapped exclusive again after the move.",
    },
    Term {
        key: "folio-lock",
        name: "folio lock (PG_locked)",
        spellings: &["folio lock", "PG_locked", "folio_lock", "folio_trylock", "page lock"],
        text: "A sleeping lock bit on a folio. Migration holds it while it moves the page; do_swap_page takes it (6.15 and later try-locks it) before it calls migrate_to_ram on a device-private page. Unlike the PTL, a thread may sleep while holding it.",
    },
    Term {
        key: "refcount",
        name: "refcount and mapcount",
        spellings: &["refcount", "mapcount"],
        text: "A folio's reference count (every user: mappings, get_page callers, the migration itself) and its map count (the page-table entries mapping it). folio_migrate_mapping moves a page only if the refcount is exactly what the mappings and the migration explain; any extra reference (another thread's fault) makes it fail with -EAGAIN.",
    },
    Term {
        key: "mmap-lock",
        name: "mmap_lock",
        spellings: &["mmap_lock"],
        text: "The per-mm reader-writer semaphore guarding the VMAs. Faults and hmm_range_fault take it for read; mprotect and munmap for write.",
    },
    Term {
        key: "errnos",
        name: "errnos you will meet",
        spellings: &["-EBUSY", "-EAGAIN", "-EFAULT", "EBUSY", "EAGAIN", "EFAULT"],
        text: "-EBUSY: hmm_range_fault's walk raced with an invalidation (the notifier sequence moved) and must be retried. -EAGAIN: folio_migrate_mapping found more references than it expected, so the page was not migrated this time. -EFAULT: the address is not mapped, or the access is not allowed.",
    },
];

/// The entry with this key.
pub fn term(key: &str) -> Option<&'static Term> {
    TERMS.iter().find(|t| t.key == key)
}

/// The first spelling of any term in `text` at or after byte `from`, whole-word: (start, spelling, term).
fn next_term(text: &str, from: usize) -> Option<(usize, &'static str, &'static Term)> {
    let mut best: Option<(usize, &'static str, &'static Term)> = None;
    for t in TERMS {
        for &s in t.spellings {
            let mut at = from;
            while let Some(i) = text.get(at..).and_then(|rest| rest.find(s)) {
                let start = at + i;
                let end = start + s.len();
                let word = |c: char| c.is_alphanumeric() || c == '_';
                let before_ok = !text[..start].chars().next_back().is_some_and(word);
                let after_ok = !text[end..].chars().next().is_some_and(word);
                if before_ok && after_ok {
                    let better = match best {
                        None => true,
                        Some((b, bs, _)) => start < b || (start == b && s.len() > bs.len()),
                    };
                    if better {
                        best = Some((start, s, t));
                    }
                    break;
                }
                at = start + s.len();
            }
        }
    }
    best
}

/// `text` with each glossary term a link to its entry.
pub fn linkify(text: &str) -> Html {
    let mut nodes: Vec<Html> = Vec::new();
    let mut at = 0;
    while let Some((start, spelling, t)) = next_term(text, at) {
        if start > at {
            nodes.push(html! { { text[at..start].to_owned() } });
        }
        nodes.push(html! {
            <a class="term" href={format!("?glossary#term-{}", t.key)} title={t.name} target="_blank">{ spelling }</a>
        });
        at = start + spelling.len();
    }
    if at < text.len() {
        nodes.push(html! { { text[at..].to_owned() } });
    }
    nodes.into_iter().collect()
}

/// The glossary page.
#[component]
pub fn GlossaryPage() -> Html {
    html! {
        <div id="app" class="app glossary">
            <header class="topbar">
                <div class="brand">
                    <h1>{ "hmmviz glossary" }</h1>
                    <p class="tagline">{ "The kernel terms the lessons and the narration use" }</p>
                </div>
                <nav class="views" aria-label="Views">
                    <a class="view-tab" href="./">{ "Compare lanes" }</a>
                    <a class="view-tab" href="?lessons">{ "Lessons" }</a>
                    <a class="view-tab" href="?race=livelock-6-14">{ "Race lab" }</a>
                    <a class="view-tab selected" href="?glossary">{ "Glossary" }</a>
                </nav>
            </header>
            <dl id="glossary" class="glossary-list">
                { for TERMS.iter().map(|t| html! {
                    <>
                        <dt id={format!("term-{}", t.key)}>{ t.name }</dt>
                        <dd>{ linkify(t.text) }</dd>
                    </>
                }) }
            </dl>
            <p class="more">{ format!("Kernel functions link to their definitions on elixir.bootlin.com, in the kernel version the run simulates (v6.14, v6.15; {KERNEL_REF} for the 2026 fix and the proposal): to the line where it is verified, otherwise to Elixir's definition search, and say where hmm-sim models each. What the model simplifies is listed in ") }
                <a href="simplifications.md">{ "the simplifications page" }</a>{ "." }</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_whole_words_and_the_longest_spelling() {
        let text = "do_swap_page takes the PTL, then the folio lock; a migration entry waits";
        let (start, s, t) = next_term(text, 0).unwrap();
        assert_eq!((&text[start..start + s.len()], t.key), ("PTL", "ptl"));
        let (start, s, t) = next_term(text, start + s.len()).unwrap();
        assert_eq!(
            (s, t.key, &text[start..start + s.len()]),
            ("folio lock", "folio-lock", "folio lock")
        );
        // Inside a word is not a term.
        assert!(next_term("xPTLx notifiers", 0).is_none());
        assert_eq!(
            next_term("HMM_PFN_REQ_WRITE", 0).unwrap().1,
            "HMM_PFN_REQ_WRITE"
        );
    }

    #[test]
    fn the_brief_terms_are_all_here() {
        for key in [
            "ptl",
            "migration-entry",
            "device-private",
            "device-coherent",
            "device-exclusive",
            "notifier",
            "hmm-pfns",
            "migrate-pfn",
            "fault-ahead",
            "anon-exclusive",
            "folio-lock",
        ] {
            assert!(term(key).is_some(), "{key}");
        }
        assert!(is_kernel_file("mm/memory.c"));
        assert!(!is_kernel_file("hmmviz lanes"));
    }
}

//! Where the model simplifies the kernel, said on screen (DESIGN.md's fidelity rule: never silently).

use yew::prelude::*;

pub const SIMPLIFICATIONS: [&str; 4] = [
    "THP (2 MiB folios, PMD migration entries) is not modelled: every page is a 4 KiB base page.",
    "The swap cache and per-CPU LRU batches are not modelled: swap-in reads straight from the slot, and lru_add_drain has nothing to drain.",
    "Faults arrive under mmap_lock: the per-VMA-lock fault path and its retry are not shown.",
    "Spinlock contention (PTL, anon_vma) is shown as the waiting thread sleeping.",
];

#[component]
pub fn Simplified() -> Html {
    html! {
        <aside class="simplified" aria-label="Where the model simplifies">
            <h2>{ "Simplified" }</h2>
            <ul>
                { for SIMPLIFICATIONS.iter().map(|s| html! { <li>{ "simplified: " }{ *s }</li> }) }
                <li>
                    { "inference: hmm_vma_fault faults every page from the first that needs it to the end of the PMD chunk \
                       (derived from the code, kernel-model.md §7.2); the ‘ahead’ counter shows those faults." }
                </li>
            </ul>
        </aside>
    }
}

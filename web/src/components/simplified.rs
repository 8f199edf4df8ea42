//! Where the model simplifies the kernel, said on screen (DESIGN.md's fidelity rule: never silently).

use yew::prelude::*;

#[component]
pub fn Simplified() -> Html {
    html! {
        <aside class="simplified" aria-label="Where the model simplifies">
            <h2>{ "Simplified" }</h2>
            <ul>
                { for hmm_sim::SIMPLIFICATIONS.iter().map(|s| html! { <li>{ "simplified: " }{ *s }</li> }) }
                <li>
                    { "inference: hmm_vma_fault faults every page from the first that needs it to the end of the PMD chunk \
                       (derived from the code, kernel-model.md §7.2); the ‘ahead’ counter shows those faults." }
                </li>
            </ul>
        </aside>
    }
}

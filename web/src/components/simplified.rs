//! Where the model simplifies the kernel, said on screen once (never silently), with a link to the page that
//! explains each note (docs/simplifications.md, copied beside the app by trunk).

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
                       (read from the code, not yet confirmed on a running kernel); the ‘ahead’ counter shows those faults." }
                </li>
            </ul>
            <p><a href="simplifications.md" target="_blank" rel="noopener">{ "What each of these means, and why" }</a></p>
        </aside>
    }
}

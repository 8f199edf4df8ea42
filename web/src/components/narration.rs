//! Narration of the current step: the kernel function that acted, its source file (linked for the lanes' kernel
//! version, `crate::kernel_refs`) and where hmm-sim models it, what it does and why
//! (`Func::what()`), the event in one line (`hmm_sim::narrate`), and the locks the thread holds. An
//! aria-live region, quiet while playing so a screen reader is not flooded.

use yew::prelude::*;

use super::lane_name;
use crate::picture::narration::NarrationPicture;

#[derive(Properties, PartialEq)]
pub struct NarrationProps {
    pub picture: NarrationPicture,
    pub playing: bool,
}

#[component]
pub fn Narration(props: &NarrationProps) -> Html {
    let playing = props.playing;
    let props = &props.picture;
    html! {
        <section id="narration" class="narration" aria-live={ if playing { "off" } else { "polite" } }
            aria-atomic="true" aria-label="What this step does">
            <p class="narration-where">
                <span class="narration-step">{ format!("Step {} of {}", props.step, props.len) }</span>
                <span class="narration-lane">{ lane_name(props.strategy) }</span>
                if let Some(func) = props.func {
                    <code id="narration-func" class="func">{ func.name() }</code>
                    <span class="file">{ func.file() }</span>
                    // The compare lanes run hmm-sim's default kernel version.
                    if let Some(link) = crate::kernel_refs::link(func, hmm_sim::RunConfig::default().kernel) {
                        if let Some(url) = link.url.clone() {
                            <a id="narration-kernel-link" class="func-link" href={url} target="_blank" rel="noopener"
                                title={link.title.clone()} data-verified={link.verified.to_string()}>
                                { if link.verified { "source line ↗" } else { "definition ↗" } }
                            </a>
                        } else {
                            <span id="narration-kernel-link" class="file" title={link.title.clone()}>{ hmm_sim::RFC_MARK }</span>
                        }
                        if let Some(sim) = link.sim {
                            <span id="narration-sim" class="file" title="where the simulator models this function">{ format!("model: {sim}") }</span>
                        }
                    }
                }
            </p>
            <p id="narration-line" class="narration-line">{ &props.line }</p>
            // A call's narration already says what the function does. The line stays (empty) so the box keeps
            // its height from step to step.
            <p class="narration-what">
                { props.func.filter(|_| !props.is_call).map(|f| f.what()).unwrap_or("") }
            </p>
            <p id="narration-locks" class="narration-locks">
                <span class="row-label">{ "locks held: " }</span>
                if props.held.is_empty() {
                    <span class="none">{ "none" }</span>
                } else {
                    { for props.held.iter().map(|l| html! { <span class="chip lock-chip">{ l }</span> }) }
                }
                if let Some(m) = props.milestone {
                    <span class="narration-milestone">{ format!("last milestone: {}", m.name()) }</span>
                }
            </p>
        </section>
    }
}

//! A run in the worker: each lane waiting, computing or done (its events and time), and a button that
//! stops it. The lanes already done are explorable below while the others compute.

use hmm_sim::thousands;
use yew::prelude::*;

use super::lane_name;
use crate::state::{LaneStatus, Progress};

#[derive(Properties, PartialEq)]
pub struct ComputeProgressProps {
    pub progress: Progress,
    pub on_cancel: Callback<()>,
}

#[component]
pub fn ComputeProgress(props: &ComputeProgressProps) -> Html {
    let p = &props.progress;
    let done = p
        .lanes
        .iter()
        .filter(|(_, s)| matches!(s, LaneStatus::Done { .. }))
        .count();
    let cancel = props.on_cancel.reform(|_: MouseEvent| ());
    html! {
        <section id="computing" class="computing" role="status" aria-live="polite"
            aria-label="Computing the lanes">
            <p class="computing-head">
                { format!("Computing the three lanes of {} pages, off the page's main thread: {done} of 3 done.",
                    thousands(p.pages as u64)) }
                { " " }
                <button id="cancel-compute" type="button" onclick={cancel}>{ "Stop" }</button>
            </p>
            <ol class="compute-lanes">
                { for p.lanes.iter().map(|(strategy, status)| {
                    let (class, text) = match status {
                        LaneStatus::Waiting => ("waiting", "waiting".to_owned()),
                        LaneStatus::Computing => ("running", "computing in the worker…".to_owned()),
                        LaneStatus::Preparing { done, total } => ("preparing", format!(
                            "computed; preparing it for stepping back and forth: {}%",
                            done * 100 / (*total).max(1))),
                        LaneStatus::Done { events, millis } => ("done", format!("done: {} events in {:.1} s",
                            thousands(*events as u64), millis / 1000.0)),
                    };
                    // The page's replay says how far it is; the worker's run does not (the bar only moves).
                    let fill = match status {
                        LaneStatus::Preparing { done, total } =>
                            Some(format!("inset: 0 {}% 0 0", 100 - done * 100 / (*total).max(1))),
                        _ => None,
                    };
                    html! {
                        <li key={strategy.name()} id={format!("compute-{}", strategy.name())}
                            class={classes!("compute-lane", class)}>
                            <span class="compute-name">{ lane_name(*strategy) }</span>
                            <span class="compute-bar" aria-hidden="true"><span class="compute-fill" style={fill}></span></span>
                            <span class="compute-status">{ text }</span>
                        </li>
                    }
                }) }
            </ol>
        </section>
    }
}

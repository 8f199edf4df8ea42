//! The end-of-run comparison: every counter, three bars (one per lane) scaled to the largest of the three, the
//! values written on the bars. Fewest is marked. It gives the result away, so before the run's last step it
//! stays folded until the reader asks for it.

use hmm_sim::Strategy;
use hmm_sim::{CounterInfo, Counters, COUNTERS};
use yew::prelude::*;

use super::{lane_letter, lane_name};

#[derive(Properties, PartialEq)]
pub struct SummaryChartProps {
    pub totals: Vec<(Strategy, Counters)>,
    /// hmm-sim's verdict on the lanes' final pages.
    pub agree: bool,
    /// Lanes that stopped at the browser's trace budget: their counters are as far as they got, and their
    /// final pages are not compared.
    #[prop_or_default]
    pub stopped: Vec<Strategy>,
    /// The transport is at the run's last step: the counters are shown without asking.
    #[prop_or(true)]
    pub ended: bool,
}

#[component]
pub fn SummaryChart(props: &SummaryChartProps) -> Html {
    // Every counter of hmm-sim's table (name and help), once there are lanes to compare.
    let counters: &[CounterInfo] = if props.totals.is_empty() {
        &[]
    } else {
        COUNTERS
    };
    let asked = use_state(|| false);
    if !props.ended && !*asked {
        let onclick = {
            let asked = asked.clone();
            Callback::from(move |_: MouseEvent| asked.set(true))
        };
        return html! {
            <section id="summary" class="summary folded" aria-label="Counters at the end of each lane">
                <h2>{ "At the end: what each path cost" }</h2>
                <p>{ "Shown when the run reaches its last step, so it does not give the result away. " }
                    <button id="summary-show" type="button" {onclick}>{ "show it now" }</button>
                </p>
            </section>
        };
    }
    html! {
        <section id="summary" class="summary" aria-label="Counters at the end of each lane">
            <h2>{ "At the end: what each path cost" }</h2>
            <p class={classes!("agree", (!props.agree || !props.stopped.is_empty()).then_some("error"))}>
                { if !props.stopped.is_empty() {
                    let names: Vec<&str> = props.stopped.iter().map(|&s| lane_name(s)).collect();
                    format!("{} stopped at the browser's trace limit: {} counters are as far as it got, and the \
                        lanes' final pages are not compared.", names.join(" and "),
                        if names.len() == 1 { "its" } else { "their" })
                } else if props.agree {
                    "All three lanes end with every page in the same place holding the same data.".to_owned()
                } else {
                    "The lanes end with different pages: see each lane.".to_owned()
                } }
            </p>
            <div class="chart" role="table" aria-label="Counters per lane">
                <div class="chart-row chart-head" role="row">
                    <span class="chart-label" role="columnheader">{ "counter" }</span>
                    <span class="chart-bars" role="columnheader">
                        { for props.totals.iter().map(|(s, _)| html! {
                            <span class={classes!("key", format!("lane-{}", s.name()))}>{ format!("{} {}", lane_letter(*s), lane_name(*s)) }</span>
                        }) }
                    </span>
                </div>
                { for counters.iter().map(|&CounterInfo { name, help, .. }| {
                    let values: Vec<(Strategy, u64)> = props.totals.iter()
                        .map(|(s, c)| (*s, c.get(name).unwrap_or(0))).collect();
                    let max = values.iter().map(|v| v.1).max().unwrap_or(0).max(1);
                    // Fewest among the lanes that ran to their end: a stopped lane's count is only a start.
                    let finished: Vec<u64> = values.iter()
                        .filter(|v| !props.stopped.contains(&v.0)).map(|v| v.1).collect();
                    let min = finished.iter().copied().min().unwrap_or(0);
                    let all_same = finished.len() < 2 || finished.iter().all(|&v| v == finished[0]);
                    let stopped = |s: Strategy| props.stopped.contains(&s);
                    html! {
                        <div key={name} class="chart-row" role="row" title={help}>
                            <span class="chart-label" role="rowheader">{ name }</span>
                            <span class="chart-bars" role="cell">
                                { for values.iter().map(|&(s, v)| html! {
                                    <span class="bar-line">
                                        <span class="bar-lane" aria-hidden="true">{ lane_letter(s) }</span>
                                        <span class={classes!("bar", format!("lane-{}", s.name()), (!all_same && !stopped(s) && v == min).then_some("fewest"))}
                                            style={format!("width: {:.1}%", (v as f64 * 100.0 / max as f64).max(0.5))}
                                            aria-label={format!("{}: {v}{}", lane_name(s), if stopped(s) { " (stopped)" } else { "" })}></span>
                                        <span class="bar-value">{ v }{
                                            if stopped(s) { " when it stopped" } else if !all_same && v == min { " ◀ fewest" } else { "" }
                                        }</span>
                                    </span>
                                }) }
                            </span>
                        </div>
                    }
                }) }
            </div>
            // The two walk counts mean different things; both are defined where they are compared.
            <dl class="walk-definitions" aria-label="The two walk counts">
                { for counters.iter().filter(|c| matches!(c.name, "walks" | "cover_letter_walks")).map(|c| html! {
                    <div key={c.name}><dt>{ c.name }</dt><dd>{ c.help }</dd></div>
                }) }
            </dl>
        </section>
    }
}

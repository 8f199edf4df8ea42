//! The zoomable overview of a large range (`crate::picture::overview`): one row of cells per lane, each
//! coloured by the PTE kind most of its pages hold (paler when its pages differ), from the whole range down to
//! single PTEs. Clicking a cell zooms in on it; the buttons zoom out, in, or back to following the walk.

use std::rc::Rc;

use hmm_sim::thousands;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::{kind_class, lane_letter, lane_name};
use crate::picture::overview::{OverviewPicture, Zoom, OVERVIEW_CELLS};
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct OverviewProps {
    pub picture: Rc<OverviewPicture>,
    pub on: Callback<Action>,
}

#[component]
pub fn Overview(props: &OverviewProps) -> Html {
    let p = &*props.picture;
    let on = &props.on;
    let centre = p.first + p.covered / 2;
    let zoom = |level: usize, focus: Option<usize>| {
        on.reform(move |_: MouseEvent| Action::SetOverview(Zoom { level, focus }))
    };
    let (first, span, level, levels) = (p.first, p.span, p.level, p.levels);
    let click_cell = {
        let on = on.clone();
        Callback::from(move |e: MouseEvent| {
            let Some(target) = e
                .current_target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            else {
                return;
            };
            let rect = target.get_bounding_client_rect();
            let x = (e.client_x() as f64 - rect.left()) / rect.width().max(1.0);
            let cell = (x * OVERVIEW_CELLS as f64).clamp(0.0, OVERVIEW_CELLS as f64 - 1.0) as usize;
            let page = first + cell * span + span / 2;
            on.emit(Action::SetOverview(Zoom {
                level: (level + 1).min(levels - 1),
                focus: Some(page),
            }));
        })
    };
    let x = |page: usize| (page.saturating_sub(p.first)) as f64 / p.span as f64;
    let last = p.first + p.covered - 1;
    html! {
        <section id="overview" class="overview panel" aria-label="Overview of the range">
            <header class="overview-head">
                <h3>{ "Overview" }</h3>
                <span id="overview-range" class="overview-range">
                    { format!("pages {}–{} of {}, {} per cell", thousands(p.first as u64), thousands(last as u64),
                        thousands(p.npages as u64),
                        if p.span == 1 { "one PTE".to_owned() } else { format!("{} pages", thousands(p.span as u64)) }) }
                </span>
                <span class="overview-tools">
                    <button id="overview-out" type="button" disabled={p.level == 0}
                        onclick={zoom(p.level.saturating_sub(1), if p.level <= 1 { None } else { Some(centre) })}
                        title="Show more pages per cell">{ "− zoom out" }</button>
                    <button id="overview-in" type="button" disabled={p.level + 1 >= p.levels}
                        onclick={zoom(p.level + 1, if p.following { None } else { Some(centre) })}
                        title="Show fewer pages per cell">{ "+ zoom in" }</button>
                    <button id="overview-follow" type="button" disabled={p.following}
                        onclick={zoom(p.level, None)} title="Keep the walk cursor in view">{ "follow the walk" }</button>
                </span>
            </header>
            { for p.lanes.iter().map(|(strategy, cells)| html! {
                <div key={strategy.name()} class="overview-row" data-lane={strategy.name()}>
                    <span class="overview-label" title={lane_name(*strategy)}>{ lane_letter(*strategy) }</span>
                    <svg class="overview-cells" viewBox={format!("0 0 {OVERVIEW_CELLS} 10")} preserveAspectRatio="none"
                        role="img" onclick={click_cell.clone()}
                        aria-label={format!("{} lane: pages {}–{}, each cell coloured by the PTE kind most of its pages hold; click to zoom in",
                            lane_name(*strategy), p.first, last)}>
                        { for cells.iter().enumerate().map(|(i, c)| html! {
                            <rect key={i} class={classes!(kind_class(c.kind), (!c.uniform()).then_some("mixed"))}
                                x={i.to_string()} y="0" width="1.05" height="10" />
                        }) }
                        if let Some(c) = p.cursor.filter(|&c| c >= p.first && c <= last) {
                            <rect class="overview-cursor" x={format!("{:.2}", x(c))} y="0" width="0.6" height="10" />
                        }
                    </svg>
                </div>
            }) }
        </section>
    }
}

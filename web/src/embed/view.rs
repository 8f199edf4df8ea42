//! The embedded frame's page (`embed=1`): the chosen lanes (or the deep view), the chosen controls and a link
//! to the full app, laid out to fill the frame without scrolling (`static/style.css`, "embedded frame": the
//! type scales with the frame, so a 16:9 frame of any size shows the same picture).

use std::rc::Rc;

use yew::prelude::*;

use super::{Controls, Display};
use crate::comparison::LoadedLanes;
use crate::components::{CompactTransport, DeepView, LanePanel, Narration, Notices, Transport};
use crate::picture::deep::deep_picture;
use crate::picture::lane::compare_pictures;
use crate::picture::narration::narration_picture;
use crate::picture::swimlanes::swimlanes_picture;
use crate::state::{Action, AppState};
use crate::url::{format_query, View};

/// The full app at the picture this frame shows: the same scenario, view, lane and step, without the
/// embedding parameters.
pub fn open_href(state: &AppState) -> String {
    let mut url = state.url_state();
    url.display = Display {
        theme: url.display.theme,
        ..Display::default()
    };
    format!("?{}", format_query(&url))
}

pub fn embed_body(state: &AppState, on: &Callback<Action>) -> Html {
    let controls = state.display.controls();
    let main = match &state.comparison {
        Some(comparison) => main_view(state, comparison, on),
        None => html! { <p class="placeholder">{ "Computing…" }</p> },
    };
    let full = match (&state.comparison, controls) {
        (Some(comparison), Controls::Full) => full_transport(state, comparison, on),
        _ => html! {},
    };
    html! {
        <>
            <Notices notices={state.notices.clone()} on={on.clone()} />
            { full }
            <main id="main" class={classes!("view", "embed-main", format!("view-{}", state.view.name()))}>{ main }</main>
            if controls != Controls::Full {
                <CompactTransport step={state.step} len={state.transport_len()} playing={state.playing}
                    controls={controls == Controls::Compact} open_href={AttrValue::from(open_href(state))}
                    on={on.clone()} />
            } else {
                <p class="open-row"><a id="open-full" class="open-full" href={open_href(state)} target="_blank"
                    rel="noopener">{ "open in hmmviz ↗" }</a></p>
            }
        </>
    }
}

fn main_view(state: &AppState, comparison: &LoadedLanes, on: &Callback<Action>) -> Html {
    let reference = comparison.lane_index(state.lane);
    let steps = comparison.lane_steps(state.align, state.lane, state.step);
    let prevs = comparison.lane_steps(state.align, state.lane, state.prev_step);
    match state.view {
        View::Compare => {
            let shown = state.display.lanes;
            let pictures = compare_pictures(comparison, reference, &steps, &prevs);
            html! {
                <div id="lanes" class="lanes" style={format!("--lanes: {}", shown.count())}>
                    { for pictures.into_iter().enumerate().filter(|(i, _)| shown.contains(comparison.lanes[*i].strategy))
                        .map(|(i, picture)| html! {
                            <LanePanel key={comparison.lanes[i].strategy.name()} {picture} reference={i == reference} on={on.clone()} />
                        }) }
                </div>
            }
        }
        View::Deep => {
            let lane = &comparison.lanes[reference];
            let picture = Rc::new(deep_picture(
                lane,
                steps[reference],
                prevs[reference],
                comparison.npages(),
            ));
            let swimlanes = swimlanes_picture(lane, steps[reference], state.zoom);
            html! { <DeepView {picture} {swimlanes} on={on.clone()} /> }
        }
    }
}

fn full_transport(state: &AppState, comparison: &LoadedLanes, on: &Callback<Action>) -> Html {
    let reference = comparison.lane_index(state.lane);
    let steps = comparison.lane_steps(state.align, state.lane, state.step);
    let milestones = Rc::new(comparison.transport_milestones(state.align, state.lane));
    let narration = narration_picture(&comparison.lanes[reference], steps[reference]);
    html! {
        <>
            <Transport step={state.step} len={state.transport_len()} playing={state.playing}
                speed_index={state.speed_index} jump_kind={state.jump_kind} align={state.align}
                view={state.view} lane={state.lane} {milestones} on={on.clone()} />
            <Narration picture={narration} playing={state.playing} />
        </>
    }
}

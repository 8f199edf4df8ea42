//! A Perfetto-like timeline of the steps around the current one: one swimlane per thread, its call stack as
//! nested spans and the locks it holds as spans, milestones on top, the current step as a line. Click to seek.

use std::rc::Rc;

use hmm_sim::{LockId, Milestone};
use web_sys::Element;
use yew::prelude::*;

use crate::decode;
use crate::session::Session;
use crate::state::Action;

/// Steps either side of the current one, per zoom level.
pub const ZOOMS: [usize; 4] = [40, 150, 600, 2500];
const WIDTH: f64 = 1200.0;
const ROW: f64 = 16.0;
const MAX_DEPTH_SHOWN: usize = 7;
/// Rows for locks other than folio locks, per thread.
const MAX_LOCK_ROWS: usize = 8;

#[derive(Clone)]
pub struct SessionRef(pub Rc<Session>);

impl PartialEq for SessionRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub session: SessionRef,
    pub lane: usize,
    pub step: usize,
    pub on: Callback<Action>,
}

#[component]
pub fn Timeline(props: &TimelineProps) -> Html {
    let zoom = use_state(|| 1usize);
    let lane = &props.session.0.lanes[props.lane];
    let len = lane.track.len();
    let half = ZOOMS[(*zoom).min(ZOOMS.len() - 1)];
    let from = props.step.saturating_sub(half);
    let to = (from + 2 * half).min(len.max(1));
    let from = to.saturating_sub(2 * half).min(from);
    let span = (to - from).max(1) as f64;
    let x = |step: usize| (step.saturating_sub(from)) as f64 * WIDTH / span;
    let spans = lane.spans();

    // Rows: per thread, the call depths then one row per lock seen in the window.
    let mut rows: Vec<Html> = Vec::new();
    let mut labels: Vec<Html> = Vec::new();
    let mut y = 14.0;
    for &tid in &spans.threads {
        labels.push(html! { <text class="tl-thread" x="2" y={format!("{:.1}", y + 11.0)}>{ lane.thread_name(tid) }</text> });
        y += ROW;
        let depth = spans.max_depth.min(MAX_DEPTH_SHOWN);
        for s in spans
            .calls_in(from, to)
            .filter(|s| s.thread == tid && s.row < depth)
        {
            let x0 = x(s.start.max(from));
            let x1 = x(s.end.min(to));
            let w = (x1 - x0).max(1.0);
            let yy = y + s.row as f64 * ROW;
            rows.push(html! {
                <g class="tl-call">
                    <rect x={format!("{x0:.1}")} y={format!("{yy:.1}")} width={format!("{w:.1}")} height={format!("{:.1}", ROW - 2.0)}>
                        <title>{ format!("{} ({}), steps {}–{}", s.what.name(), s.what.file(), s.start, s.end) }</title>
                    </rect>
                    if w > 50.0 {
                        <text x={format!("{:.1}", x0 + 3.0)} y={format!("{:.1}", yy + 11.0)}>{ clip(s.what.name(), w) }</text>
                    }
                </g>
            });
        }
        y += depth as f64 * ROW + 4.0;
        // Folio locks (a collect holds one per page: thousands) share one row, drawn as the union of their
        // holds; every other lock gets its own row.
        let mut folio_holds: Vec<(usize, usize)> = Vec::new();
        let mut lock_rows: Vec<LockId> = Vec::new();
        let mut lock_spans = Vec::new();
        for s in spans.locks_in(from, to).filter(|s| s.thread == tid) {
            if matches!(s.what, LockId::Folio(_)) {
                folio_holds.push((s.start.max(from), s.end.min(to)));
                continue;
            }
            let row = match lock_rows.iter().position(|&l| l == s.what) {
                Some(r) => r,
                None if lock_rows.len() < MAX_LOCK_ROWS => {
                    lock_rows.push(s.what);
                    lock_rows.len() - 1
                }
                None => continue,
            };
            lock_spans.push((row + 1, s));
        }
        let folio_count = folio_holds.len();
        folio_holds.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (a, b) in folio_holds {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        for (a, b) in merged.iter().copied() {
            let (x0, x1) = (x(a), x(b));
            let w = (x1 - x0).max(1.0);
            rows.push(html! {
                <g class="tl-lock tl-folios">
                    <rect x={format!("{x0:.1}")} y={format!("{y:.1}")} width={format!("{w:.1}")} height={format!("{:.1}", ROW - 3.0)}>
                        <title>{ format!("PG_locked held on folios (T{tid}), steps {a}–{b}") }</title>
                    </rect>
                    if w > 60.0 {
                        <text x={format!("{:.1}", x0 + 3.0)} y={format!("{:.1}", y + 10.0)}>{ clip(&format!("PG_locked ({folio_count} folio holds)"), w) }</text>
                    }
                </g>
            });
        }
        for (row, s) in lock_spans {
            let x0 = x(s.start.max(from));
            let x1 = x(s.end.min(to));
            let w = (x1 - x0).max(1.0);
            let yy = y + row as f64 * ROW;
            rows.push(html! {
                <g class="tl-lock">
                    <rect x={format!("{x0:.1}")} y={format!("{yy:.1}")} width={format!("{w:.1}")} height={format!("{:.1}", ROW - 3.0)}>
                        <title>{ format!("{} held by T{}, steps {}–{}", s.what.describe(), s.thread, s.start, s.end) }</title>
                    </rect>
                    if w > 60.0 {
                        <text x={format!("{:.1}", x0 + 3.0)} y={format!("{:.1}", yy + 10.0)}>{ clip(&decode::lock_short(s.what), w) }</text>
                    }
                </g>
            });
        }
        let lock_rows = (0..=lock_rows.len()).collect::<Vec<_>>();
        y += lock_rows.len() as f64 * ROW + 8.0;
    }
    let height = y.max(40.0);
    let marks: Vec<(usize, Milestone)> = lane
        .milestones
        .iter()
        .copied()
        .filter(|&(at, _)| at >= from && at <= to)
        .collect();

    // Yew delegates events to its root, so the event's current target is not the SVG: measure the SVG itself.
    let svg_ref = use_node_ref();
    let onclick = {
        let on = props.on.clone();
        let svg_ref = svg_ref.clone();
        Callback::from(move |e: MouseEvent| {
            let Some(svg) = svg_ref.cast::<Element>() else {
                return;
            };
            let rect = svg.get_bounding_client_rect();
            if rect.width() <= 0.0 {
                return;
            }
            let fraction = ((e.client_x() as f64 - rect.left()) / rect.width()).clamp(0.0, 1.0);
            on.emit(Action::Seek(from + (fraction * span).round() as usize));
        })
    };
    let zoom_button = |i: usize, label: &'static str| {
        let z = zoom.clone();
        html! {
            <button type="button" class={classes!("zoom", (*zoom == i).then_some("selected"))}
                aria-pressed={(*zoom == i).to_string()} onclick={Callback::from(move |_: MouseEvent| z.set(i))}>{ label }</button>
        }
    };
    html! {
        <section id="timeline" class="panel timeline" aria-label="Timeline: calls and locks per thread">
            <h3>{ "Timeline" }
                <span class="zooms" role="group" aria-label="Zoom">
                    { zoom_button(0, "±40") }{ zoom_button(1, "±150") }{ zoom_button(2, "±600") }{ zoom_button(3, "±2500") }
                </span>
                <span class="tl-range">{ format!("steps {from}–{to}; click to go to a step") }</span>
            </h3>
            <svg ref={svg_ref} class="tl" viewBox={format!("0 0 {WIDTH} {height:.0}")} role="img" {onclick}
                aria-label={format!("Timeline of steps {from} to {to}; the current step is {}", props.step)}>
                // Labels alternate between two heights so that close milestones do not print over each other.
                { for marks.iter().enumerate().map(|(i, &(at, m))| html! {
                    <g class="tl-mark">
                        <line x1={format!("{:.1}", x(at))} x2={format!("{:.1}", x(at))} y1="0" y2={format!("{height:.0}")} />
                        <text x={format!("{:.1}", x(at) + 2.0)} y={if i % 2 == 0 { "9" } else { "19" }}>
                            { m.name().split(" (").next().unwrap_or_default() }
                        </text>
                    </g>
                }) }
                { for rows.into_iter() }
                { for labels.into_iter() }
                <line class="tl-now" x1={format!("{:.1}", x(props.step))} x2={format!("{:.1}", x(props.step))} y1="0" y2={format!("{height:.0}")} />
            </svg>
        </section>
    }
}

/// Text that fits roughly in `width` user units (about 6.5 per character at the timeline's font size).
fn clip(s: &str, width: f64) -> String {
    let max = ((width - 6.0) / 6.5).max(1.0) as usize;
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

//! A Perfetto-like timeline of the steps around the current one: one swimlane per thread, its call stack as
//! nested spans and the locks it holds as spans, milestones on top, the current step as a line. Click to seek.
//! Draws a [`SwimlanesPicture`]: the window of spans is chosen by `crate::picture::swimlanes`.

use hmm_sim::Tid;
use web_sys::Element;
use yew::prelude::*;

use crate::decode;
use crate::picture::swimlanes::{SwimlanesPicture, ThreadSwimlane};
use crate::state::Action;

const WIDTH: f64 = 1200.0;
const ROW: f64 = 16.0;

#[derive(Properties, PartialEq)]
pub struct SwimlanesProps {
    pub picture: SwimlanesPicture,
    pub on: Callback<Action>,
}

/// Step → x in the SVG's user units.
#[derive(Clone, Copy)]
struct Scale {
    from: usize,
    to: usize,
}

impl Scale {
    fn span(self) -> f64 {
        (self.to - self.from).max(1) as f64
    }
    fn x(self, step: usize) -> f64 {
        step.saturating_sub(self.from) as f64 * WIDTH / self.span()
    }
    /// Left edge and width of `[start, end)` clipped to the window.
    fn bar(self, start: usize, end: usize) -> (f64, f64) {
        let x0 = self.x(start.max(self.from));
        let x1 = self.x(end.min(self.to));
        (x0, (x1 - x0).max(1.0))
    }
}

#[component]
pub fn Swimlanes(props: &SwimlanesProps) -> Html {
    let p = &props.picture;
    let scale = Scale {
        from: p.from,
        to: p.to,
    };
    // Rows: per thread, the call depths then one row per lock seen in the window.
    let mut rows: Vec<Html> = Vec::new();
    let mut labels: Vec<Html> = Vec::new();
    let mut y = 14.0;
    for t in &p.threads {
        labels.push(html! { <text class="tl-thread" x="2" y={format!("{:.1}", y + 11.0)}>{ &t.name }</text> });
        y += ROW;
        rows.extend(call_bars(t, scale, y));
        y += p.depth as f64 * ROW + 4.0;
        rows.extend(lock_bars(t, scale, y));
        y += (t.lock_rows + 1) as f64 * ROW + 8.0;
    }
    let height = y.max(40.0);

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
            on.emit(Action::Seek(
                scale.from + (fraction * scale.span()).round() as usize,
            ));
        })
    };
    let zoom_button = |i: usize, label: &'static str| {
        let selected = p.zoom == i;
        html! {
            <button type="button" class={classes!("zoom", selected.then_some("selected"))}
                aria-pressed={selected.to_string()} onclick={props.on.reform(move |_: MouseEvent| Action::SetZoom(i))}>{ label }</button>
        }
    };
    let (from, to) = (p.from, p.to);
    html! {
        <section id="timeline" class="panel timeline" aria-label="Timeline: calls and locks per thread">
            <h3>{ "Timeline" }
                <span class="zooms" role="group" aria-label="Zoom">
                    { zoom_button(0, "±40") }{ zoom_button(1, "±150") }{ zoom_button(2, "±600") }{ zoom_button(3, "±2500") }
                </span>
                <span class="tl-range">{ format!("steps {from}–{to}; click to go to a step") }</span>
            </h3>
            <svg ref={svg_ref} class="tl" viewBox={format!("0 0 {WIDTH} {height:.0}")} role="img" {onclick}
                aria-label={format!("Timeline of steps {from} to {to}; the current step is {}", p.step)}>
                // Labels alternate between two heights so that close milestones do not print over each other.
                { for p.marks.iter().enumerate().map(|(i, &(at, m))| html! {
                    <g class="tl-mark">
                        <line x1={format!("{:.1}", scale.x(at))} x2={format!("{:.1}", scale.x(at))} y1="0" y2={format!("{height:.0}")} />
                        <text x={format!("{:.1}", scale.x(at) + 2.0)} y={if i % 2 == 0 { "9" } else { "19" }}>
                            { m.name().split(" (").next().unwrap_or_default() }
                        </text>
                    </g>
                }) }
                { for rows.into_iter() }
                { for labels.into_iter() }
                <line class="tl-now" x1={format!("{:.1}", scale.x(p.step))} x2={format!("{:.1}", scale.x(p.step))} y1="0" y2={format!("{height:.0}")} />
            </svg>
        </section>
    }
}

/// A thread's call spans, one row per depth, starting at `y`.
fn call_bars(t: &ThreadSwimlane, scale: Scale, y: f64) -> Vec<Html> {
    t.calls
        .iter()
        .map(|s| {
            let (x0, w) = scale.bar(s.start, s.end);
            let yy = y + s.depth as f64 * ROW;
            html! {
                <g class="tl-call">
                    <rect x={format!("{x0:.1}")} y={format!("{yy:.1}")} width={format!("{w:.1}")} height={format!("{:.1}", ROW - 2.0)}>
                        <title>{ format!("{} ({}), steps {}–{}", s.what.name(), s.what.file(), s.start, s.end) }</title>
                    </rect>
                    if w > 50.0 {
                        <text x={format!("{:.1}", x0 + 3.0)} y={format!("{:.1}", yy + 11.0)}>{ clip(s.what.name(), w) }</text>
                    }
                </g>
            }
        })
        .collect()
}

/// A thread's lock holds starting at `y`: the folio row (the union of the folio-lock holds), then a row per
/// other lock.
fn lock_bars(t: &ThreadSwimlane, scale: Scale, y: f64) -> Vec<Html> {
    let tid: Tid = t.tid;
    let folio_count = t.folio_count;
    let folios = t.folio_holds.iter().map(|&(a, b)| {
        let (x0, w) = scale.bar(a, b);
        html! {
            <g class="tl-lock tl-folios">
                <rect x={format!("{x0:.1}")} y={format!("{y:.1}")} width={format!("{w:.1}")} height={format!("{:.1}", ROW - 3.0)}>
                    <title>{ format!("PG_locked held on folios (T{tid}), steps {a}–{b}") }</title>
                </rect>
                if w > 60.0 {
                    <text x={format!("{:.1}", x0 + 3.0)} y={format!("{:.1}", y + 10.0)}>{ clip(&format!("PG_locked ({folio_count} folio holds)"), w) }</text>
                }
            </g>
        }
    });
    let others = t.locks.iter().map(|(row, s)| {
        let (x0, w) = scale.bar(s.start, s.end);
        let yy = y + *row as f64 * ROW;
        html! {
            <g class="tl-lock">
                <rect x={format!("{x0:.1}")} y={format!("{yy:.1}")} width={format!("{w:.1}")} height={format!("{:.1}", ROW - 3.0)}>
                    <title>{ format!("{} held by T{}, steps {}–{}", s.what.describe(), s.thread, s.start, s.end) }</title>
                </rect>
                if w > 60.0 {
                    <text x={format!("{:.1}", x0 + 3.0)} y={format!("{:.1}", yy + 10.0)}>{ clip(&decode::lock_short(s.what), w) }</text>
                }
            </g>
        }
    });
    folios.chain(others).collect()
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

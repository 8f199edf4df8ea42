//! A followed page's history: a track of its entry's kind over the whole run of the followed lane (one band per
//! stretch between writes, the current step marked), its previous / next change, and the list of writes with the
//! kernel function that made each. Opened by clicking a page in a lane's row.

use std::rc::Rc;

use yew::prelude::*;

use super::{kind_class, lane_name};
use crate::decode;
use crate::picture::page_history::{PageHistory, MAX_PAGE_CHANGES};
use crate::state::Action;

/// Rows of the change list shown around the current step.
const LIST_ROWS: usize = 40;

#[derive(Properties, PartialEq)]
pub struct PageHistoryProps {
    pub history: Rc<PageHistory>,
    /// The followed lane's step.
    pub step: usize,
    pub on: Callback<Action>,
}

#[component]
pub fn PageHistoryPanel(props: &PageHistoryProps) -> Html {
    let h = &*props.history;
    let step = props.step;
    let len = h.len.max(1) as f64;
    let x = |s: usize| s as f64 * 1000.0 / len;
    // Bands: from step 0 (the initial kind) and from each change to the next.
    let mut bands = vec![(0usize, h.initial)];
    bands.extend(h.changes.iter().map(|c| (c.step, c.new)));
    let now = h.kind_at(step);
    let next = h.next_after(step);
    let prev = h.prev_before(step);
    // The list: the rows around the first change after the current step.
    let at = h.changes.partition_point(|c| c.step <= step);
    let first = at.saturating_sub(LIST_ROWS / 2);
    let last = (first + LIST_ROWS).min(h.changes.len());
    let on = props.on.clone();
    let seek = move |s: usize| on.reform(move |_: MouseEvent| Action::Seek(s));
    let vpn = decode::page_vpn(h.page);
    html! {
        <section id="page-history" class="panel page-history" aria-label={format!("History of page {}", h.page)}
            data-page={h.page.to_string()} data-changes={h.changes.len().to_string()}>
            <header class="page-history-head">
                <h3>{ format!("Page {} at {} in the {} lane", h.page, decode::addr(vpn), lane_name(h.strategy)) }</h3>
                <span id="page-history-now" class={classes!("pte", "inline", kind_class(now))}>
                    <span class="glyph">{ now.glyph() }</span>
                </span>
                <span>{ format!(" {} at step {step}; ", now.name()) }</span>
                <span id="page-history-count">{
                    match h.changes.len() {
                        0 => "its entry is never written in this lane".to_owned(),
                        1 => "1 write of its entry in this lane".to_owned(),
                        n => format!("{n}{} writes of its entry in this lane", if h.more > 0 { "+" } else { "" }),
                    }
                }</span>
                <button id="page-prev-change" type="button" disabled={prev.is_none()}
                    onclick={props.on.reform(|_: MouseEvent| Action::PrevPageChange)}
                    title="The step of this page's previous change">{ "◀ previous change" }</button>
                <button id="page-next-change" type="button" disabled={next.is_none()}
                    onclick={props.on.reform(|_: MouseEvent| Action::NextPageChange)}
                    title={format!("The step of page {}'s next change", h.page)}>{ format!("next change of page {} ▶", h.page) }</button>
                <button id="page-history-close" type="button" class="link"
                    onclick={props.on.reform(|_: MouseEvent| Action::FollowPage(None))}
                    aria-label="Stop following this page">{ "×" }</button>
            </header>
            <svg class="page-track" viewBox="0 0 1000 16" preserveAspectRatio="none" role="img"
                aria-label={format!("Page {}'s entry from step 0 to {}: {} band(s)", h.page, h.len, bands.len())}>
                { for bands.iter().enumerate().map(|(i, &(from, kind))| {
                    let to = bands.get(i + 1).map_or(h.len, |b| b.0);
                    html! {
                        <rect key={i} class={kind_class(kind)} x={format!("{:.2}", x(from))} y="3"
                            width={format!("{:.2}", (x(to) - x(from)).max(0.8))} height="10">
                            <title>{ format!("steps {from}–{to}: {}", kind.name()) }</title>
                        </rect>
                    }
                }) }
                <rect class="page-track-now" x={format!("{:.2}", x(step.min(h.len)))} y="0" width="3" height="16" />
            </svg>
            if h.more > 0 {
                <p class="more">{ format!("The first {MAX_PAGE_CHANGES} writes are kept; {} more are not shown.", h.more) }</p>
            }
            if !h.changes.is_empty() {
                <ol class="page-changes" start={(first + 1).to_string()}>
                    { for h.changes[first..last].iter().enumerate().map(|(i, c)| {
                        // The last write at or before the current step: what the page shows now.
                        let current = first + i + 1 == at;
                        html! {
                            <li key={c.step} class={classes!(current.then_some("current"))}>
                                <button type="button" class="link" onclick={seek(c.step)}>{ format!("step {}", c.step) }</button>
                                { format!(": {}{} → ", if c.pmd { "PMD " } else { "" }, c.old.name()) }
                                <span class={classes!("pte", "inline", kind_class(c.new))}><span class="glyph">{ c.new.glyph() }</span></span>
                                { format!(" {} in ", c.new.name()) }<code>{ c.func.name() }</code>
                            </li>
                        }
                    }) }
                </ol>
            }
        </section>
    }
}

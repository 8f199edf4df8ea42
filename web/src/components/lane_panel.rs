//! One lane of the compare view: its page-table row with the walk cursor, its device frames, live counters, the
//! function it is in and what it just did.

use std::rc::Rc;

use hmm_sim::Strategy;
use hmm_sim::COUNTERS;
use yew::prelude::*;

use super::{content_label, lane_letter, lane_name, Minimap, PteRow};
use crate::picture::lane::LanePicture;
use crate::picture::WINDOW_PAGES;
use crate::state::Action;
use crate::url::View;

#[derive(Properties, PartialEq)]
pub struct LanePanelProps {
    pub picture: Rc<LanePicture>,
    /// The lane the transport follows.
    pub reference: bool,
    /// The page whose history is followed, outlined in the row.
    #[prop_or_default]
    pub followed: Option<usize>,
    pub on: Callback<Action>,
}

#[component]
pub fn LanePanel(props: &LanePanelProps) -> Html {
    let f = &*props.picture;
    let name = f.strategy.name();
    let strategy: Strategy = f.strategy;
    let open_deep = props
        .on
        .reform(move |_: MouseEvent| Action::SetView(View::Deep));
    let set_lane = props.on.clone();
    let deep_click = Callback::from(move |e: MouseEvent| {
        set_lane.emit(Action::SetLane(strategy));
        open_deep.emit(e);
    });
    let cells = Rc::new(f.cells.clone());
    // A THP's chunk shows as the one PMD entry the kernel has, until the reader expands it to its pages.
    let pmds_expanded = use_state(|| false);
    let toggle_pmds = {
        let pmds_expanded = pmds_expanded.clone();
        Callback::from(move |_: MouseEvent| pmds_expanded.set(!*pmds_expanded))
    };
    let progress = |step: usize| step as f64 * 100.0 / f.len.max(1) as f64;
    html! {
        <section id={format!("lane-{name}")} class={classes!("lane", format!("lane-{name}"), props.reference.then_some("reference"))}
            aria-label={format!("{} lane", lane_name(f.strategy))}>
            <header class="lane-head">
                <span class="lane-badge" aria-hidden="true">{ lane_letter(f.strategy) }</span>
                <h2 class="lane-title">{ lane_name(f.strategy) }</h2>
                <span class="lane-sub">{ f.subtitle }</span>
                <span class="lane-step">{ format!("step {} / {}", f.step, f.len) }</span>
                <span class="lane-func">
                    if let Some(func) = f.func {
                        <code title={format!("{} ({}): {}", func.name(), func.file(), func.what())}>{ func.name() }</code>
                    }
                </span>
                if let Some(m) = f.milestone {
                    <span class="lane-milestone" title="the last milestone this lane reached">{ format!("✓ {}", m.name()) }</span>
                }
                <button type="button" class="link deep-link" onclick={deep_click}
                    aria-label={format!("Look into the {} lane", lane_name(f.strategy))}>{ "look inside ›" }</button>
            </header>
            <div class="lane-progress" aria-hidden="true">
                <div class="lane-progress-fill" style={format!("width: {:.2}%", progress(f.step))}></div>
                { for super::thin_marks(&f.milestones, f.len).into_iter().enumerate().map(|(i, (at, m))| html! {
                    <span key={i} class={classes!("lane-mark", (at <= f.step).then_some("passed"))}
                        style={format!("left: {:.2}%", progress(at))} title={m.name()}></span>
                }) }
            </div>
            <div class="lane-body">
                <div class="lane-pages">
                    <PteRow {cells} label={format!("{} page table", lane_name(f.strategy))}
                        on_page={props.on.reform(|page: usize| Action::FollowPage(Some(page)))} followed={props.followed}
                        pmd_chunks={Rc::new(f.pmd_chunks.clone())} expanded={*pmds_expanded} />
                    if !f.pmd_chunks.is_empty() {
                        <p class="pmd-note">
                            { if *pmds_expanded {
                                "Each page is read through its PMD entry: no PTE table sits under a huge mapping. "
                            } else {
                                "A 2 MiB THP is mapped by one PMD entry, not 512 PTEs. "
                            } }
                            <button type="button" class="link pmd-toggle" onclick={toggle_pmds}
                                aria-pressed={if *pmds_expanded { "true" } else { "false" }}>
                                { if *pmds_expanded { "show as one PMD entry" } else { "show its pages" } }
                            </button>
                        </p>
                    }
                    if let Some(mini) = &f.minimap {
                        <Minimap cells={Rc::new(mini.clone())} npages={f.npages} window_start={f.window_start}
                            window_pages={WINDOW_PAGES.min(f.npages)} cursor={f.cursor} />
                    }
                    <div class="device-row" aria-label="Device memory in use">
                        <span class="row-label">{ format!("device pages: {}", f.device_total) }</span>
                        { for f.device_frames.iter().take(24).enumerate().map(|(slot, d)| html! {
                            <span key={slot} class={classes!("chip", "dev-chip", d.changed.then_some("changed"), d.locked_by.is_some().then_some("locked"))}
                                title={format!("device pfn {:#x}: holds {}, refcount {}, mapcount {}{}", d.pfn,
                                    content_label(Some(d.content)), d.refcount, d.mapcount,
                                    if d.locked_by.is_some() { ", PG_locked" } else { "" })}>
                                { content_label(Some(d.content)) }
                                if d.locked_by.is_some() { <span class="lock-mark" aria-label="PG_locked">{ "L" }</span> }
                            </span>
                        }) }
                        if f.device_total > 24 { <span class="more">{ format!("+{}", f.device_total - 24) }</span> }
                    </div>
                </div>
                <dl class="counters" aria-label="Counters so far">
                    { for COUNTERS.iter().map(|c| {
                        let n = c.name;
                        html! {
                            <div key={n} class={classes!("counter", format!("c-{n}"), f.counters_differ.contains(&n).then_some("differs"))}
                                title={c.help}>
                                <dt>{ c.label }</dt><dd>{ f.counters.get(n).unwrap_or(0) }</dd>
                            </div>
                        }
                    }) }
                </dl>
            </div>
            <p class="lane-narration">{ &f.narration }</p>
            <p class="lane-held">
                if !f.held.is_empty() { { "holding: " }{ f.held.join(", ") } }
            </p>
            if f.faults_ahead_total > 0 {
                <p class={classes!("note", "fault-ahead", (f.faults_ahead > 0).then_some("active"))}>
                    { format!("{} of this lane's faults are made ahead of need: hmm_vma_fault faults every page to the end of the PMD chunk ", f.faults_ahead_total) }
                    <a class="inference" href="simplifications.md" target="_blank" rel="noopener">{ "(an inference from the code: see “Simplified”)" }</a>
                </p>
            }
            if let Some(stopped) = &f.stopped {
                <p class="error lane-stopped">{ stopped }</p>
            }
            if let Some(error) = &f.error {
                <p class="error" role="alert">{ format!("This lane did not complete: {error}") }</p>
            }
            if f.violations > 0 {
                <p class="error">{ format!("hmm-sim reported {} invariant violation(s) in this lane.", f.violations) }</p>
            }
        </section>
    }
}

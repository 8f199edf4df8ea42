//! The deep view of one lane: narration is above (shared with the compare view); here the page-table tree and
//! decoded PTEs, system and device frames, `src[]`/`dst[]` and `hmm_pfns[]`, locks, threads, notifiers, and the
//! swimlane timeline.

use std::rc::Rc;

use yew::prelude::*;

use super::{Arrays, Frames, Locks, PageTable, Swimlanes};
use crate::picture::deep::DeepPicture;
use crate::picture::swimlanes::SwimlanesPicture;
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct DeepViewProps {
    pub picture: Rc<DeepPicture>,
    pub swimlanes: SwimlanesPicture,
    pub on: Callback<Action>,
}

#[component]
pub fn DeepView(props: &DeepViewProps) -> Html {
    let f = &*props.picture;
    let thread = f.event.map_or(0, |e| e.thread);
    let thread_name = f
        .threads
        .iter()
        .find(|t| t.tid == thread)
        .map_or_else(|| format!("T{thread}"), |t| t.name.clone());
    html! {
        <div id="deep-view" class="deep">
            <div class="deep-grid">
                <div class="deep-col">
                    <Locks locks={Rc::new(f.locks.clone())} folio_locks={f.folio_locks} threads={Rc::new(f.threads.clone())}
                        seqs={Rc::new(f.seqs.clone())} notifiers={Rc::new(f.notifiers.clone())} />
                </div>
                <div class="deep-col">
                    <PageTable pmds={Rc::new(f.pmds.clone())} ptes={Rc::new(f.ptes.clone())}
                        walker_level={f.walker_level} cursor={f.cursor} npages={f.npages}
                        thread_name={thread_name} />
                </div>
                <div class="deep-col">
                    <Frames id="system-frames" title="System frames" rows={Rc::new(f.system_frames.clone())} total={f.system_total} />
                    <Frames id="device-frames" title="Device frames" rows={Rc::new(f.device_frames.clone())} total={f.device_total} />
                    <Arrays arrays={Rc::new(f.arrays.clone())} hmm={Rc::new(f.hmm_arrays.clone())} />
                </div>
            </div>
            <Swimlanes picture={props.swimlanes.clone()} on={props.on.clone()} />
        </div>
    }
}

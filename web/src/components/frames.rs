//! System and device frames (folios): refcount, mapcount, PG_locked and its holder, AnonExclusive, LRU, and the
//! content token the frame holds.

use std::rc::Rc;

use yew::prelude::*;

use super::content_label;
use crate::picture::FrameRow;

#[derive(Properties, PartialEq)]
pub struct FramesProps {
    pub title: AttrValue,
    pub id: AttrValue,
    pub rows: Rc<Vec<FrameRow>>,
    pub total: usize,
}

#[component]
pub fn Frames(props: &FramesProps) -> Html {
    html! {
        <section id={props.id.clone()} class="panel frames" aria-label={props.title.clone()}>
            <h3>{ format!("{} ({})", props.title, props.total) }</h3>
            if props.rows.is_empty() {
                <p class="none">{ "none" }</p>
            } else {
                <div class="table-scroll">
                    <table class="frame-table">
                        <thead><tr>
                            <th scope="col">{ "pfn" }</th><th scope="col" title="refcount">{ "ref" }</th>
                            <th scope="col" title="mapcount">{ "map" }</th><th scope="col" title="PG_locked holder">{ "PG_locked" }</th>
                            <th scope="col" title="AnonExclusive">{ "excl" }</th><th scope="col">{ "LRU" }</th><th scope="col">{ "data" }</th>
                        </tr></thead>
                        <tbody>
                            { for props.rows.iter().enumerate().map(|(slot, f)| html! {
                                <tr key={slot} class={classes!(f.changed.then_some("changed"), f.locked_by.is_some().then_some("locked"))}>
                                    <td class="mono">{ format!("{:#x}", f.pfn) }</td>
                                    <td>{ f.refcount }</td>
                                    <td>{ f.mapcount }</td>
                                    <td>{ f.locked_by.map(|t| format!("T{t}")).unwrap_or_default() }</td>
                                    <td>{ if f.anon_exclusive { "✓" } else { "" } }</td>
                                    <td>{ if f.lru { "✓" } else { "" } }</td>
                                    <td>{ content_label(Some(f.content)) }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
                if props.total > props.rows.len() {
                    <p class="more">{ format!("… {} more (changed and locked frames are listed first)", props.total - props.rows.len()) }</p>
                }
            }
        </section>
    }
}

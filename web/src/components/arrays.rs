//! `struct migrate_vma`'s `src[]`/`dst[]` with their `MIGRATE_PFN_*` bits, and `hmm_range`'s `hmm_pfns[]`.

use std::rc::Rc;

use yew::prelude::*;

use crate::decode;
use crate::picture::deep::{HmmArray, MigrateArrays};

#[derive(Properties, PartialEq)]
pub struct ArraysProps {
    pub arrays: Rc<Vec<MigrateArrays>>,
    pub hmm: Rc<Vec<HmmArray>>,
}

fn mpfn(value: Option<u32>) -> Html {
    match value {
        None => html! { <span class="none">{ "—" }</span> },
        Some(v) => {
            let (flags, pfn) = decode::migrate_pfn(v);
            html! {
                <span title={format!("raw value {v:#x}")}>
                    { for flags.iter().map(|f| html! { <span class={classes!("bit", format!("bit-{}", f.to_lowercase()))}>{ *f }</span> }) }
                    { pfn.map(|p| format!(" pfn {p:#x}")).unwrap_or_default() }
                </span>
            }
        }
    }
}

#[component]
pub fn Arrays(props: &ArraysProps) -> Html {
    html! {
        <section id="arrays" class="panel arrays" aria-label="migrate_vma arrays">
            <h3>{ "src[] / dst[] (struct migrate_vma)" }</h3>
            if props.arrays.is_empty() {
                <p class="none">{ "no migrate_vma yet" }</p>
            }
            { for props.arrays.iter().map(|a| html! {
                <div key={a.id} class="table-scroll">
                    <table class="array-table">
                        <caption>{ format!("migrate_vma #{}", a.id) }</caption>
                        <thead><tr><th scope="col">{ "i" }</th><th scope="col">{ "src[i]" }</th><th scope="col">{ "dst[i]" }</th></tr></thead>
                        <tbody>
                            { for a.rows.iter().enumerate().map(|(slot, r)| html! {
                                <tr key={slot}>
                                    <td>{ r.index }</td>
                                    <td class={classes!(r.src_changed.then_some("changed"))}>{ mpfn(r.src) }</td>
                                    <td class={classes!(r.dst_changed.then_some("changed"))}>{ mpfn(r.dst) }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                    if a.more > 0 { <p class="more">{ format!("… {} more entries", a.more) }</p> }
                </div>
            }) }
            { for props.hmm.iter().map(|h| html! {
                <div key={format!("hmm-{}", h.id)} class="table-scroll">
                    <table class="array-table">
                        <caption>{ format!("hmm_range #{}: hmm_pfns[]", h.id) }</caption>
                        <thead><tr><th scope="col">{ "i" }</th><th scope="col">{ "hmm_pfns[i]" }</th></tr></thead>
                        <tbody>
                            { for h.rows.iter().enumerate().map(|(slot, &(i, v, changed))| {
                                let (flags, pfn) = decode::hmm_pfn(v);
                                html! {
                                    <tr key={slot}>
                                        <td>{ i }</td>
                                        <td class={classes!(changed.then_some("changed"))}>
                                            { for flags.iter().map(|f| html! { <span class={classes!("bit", format!("bit-{}", f.to_lowercase()))}>{ *f }</span> }) }
                                            { pfn.map(|p| format!(" pfn {p:#x}")).unwrap_or_else(|| if v == 0 { "0".to_owned() } else { format!("{v:#x}") }) }
                                        </td>
                                    </tr>
                                }
                            }) }
                        </tbody>
                    </table>
                    if h.more > 0 { <p class="more">{ format!("… {} more entries", h.more) }</p> }
                </div>
            }) }
        </section>
    }
}

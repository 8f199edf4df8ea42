//! The page-table tree of the range (PGD → P4D → PUD → PMD → PTE tables) with the walker's position, and the
//! PTEs of the window decoded: kind, pfn, write, which folio (zone, content, refcount, mapcount, PG_locked).

use std::rc::Rc;

use hmm_sim::Level;
use hmm_sim::Pte;
use yew::prelude::*;

use super::{content_label, kind_class};
use crate::decode;
use crate::picture::deep::{PmdNode, PteRow};

#[derive(Properties, PartialEq)]
pub struct PageTableProps {
    pub pmds: Rc<Vec<PmdNode>>,
    pub ptes: Rc<Vec<PteRow>>,
    pub walker_level: Option<Level>,
    pub cursor: Option<usize>,
    pub npages: usize,
    pub thread_name: AttrValue,
}

fn level_node(level: Level, label: String, walker: Option<Level>) -> Html {
    let here = walker == Some(level);
    html! {
        <li class={classes!("pt-node", here.then_some("walker"))} aria-current={here.then_some("location")}>
            <span class="pt-level">{ level.name() }</span>{ " " }{ label }
            if here { <span class="walker-tag">{ " ◀ walker" }</span> }
        </li>
    }
}

#[component]
pub fn PageTable(props: &PageTableProps) -> Html {
    let base = decode::page_vpn(0);
    let (pgd, pud, _, _) = decode::table_indices(base);
    let walker = props.walker_level;
    html! {
        <section id="page-table" class="panel page-table" aria-label="Page table">
            <h3>{ "Page table (mm0)" }</h3>
            <ul class="pt-tree">
                { level_node(Level::Pgd, format!("mm0->pgd [{pgd}]"), walker) }
                { level_node(Level::P4d, "[0] (folded: 4-level paging)".to_owned(), walker) }
                { level_node(Level::Pud, format!("[{pud}]"), walker) }
                { level_node(Level::Pmd, format!("{} entr{} for {} pages", props.pmds.len(),
                    if props.pmds.len() == 1 { "y" } else { "ies" }, props.npages), walker) }
                <li>
                    <ul class="pt-pmds">
                        { for props.pmds.iter().map(|p| html! {
                            <li key={p.pmd} class={classes!("pt-pmd", p.cursor.then_some("cursor-table"))}>
                                { format!("PMD [{:#x}] → PTE table: pages {}–{}", p.pmd, p.first_page, p.first_page + p.pages.saturating_sub(1)) }
                                <span class={classes!("ptl", p.ptl_holder.is_some().then_some("held"))}>
                                    { match p.ptl_holder { Some(t) => format!(" PTL held by T{t}"), None => " PTL free".to_owned() } }
                                </span>
                                if p.cursor && walker == Some(Level::Pte) { <span class="walker-tag">{ " ◀ walker" }</span> }
                            </li>
                        }) }
                    </ul>
                </li>
            </ul>
            <div class="table-scroll">
                <table class="pte-table">
                    <caption>{ match props.cursor {
                        Some(c) => format!("PTEs around the walk cursor (page {c}, {})", props.thread_name),
                        None => "PTEs of the range".to_owned(),
                    } }</caption>
                    <thead><tr>
                        <th scope="col">{ "page" }</th><th scope="col">{ "address" }</th><th scope="col">{ "PTE" }</th>
                        <th scope="col">{ "pfn / slot" }</th><th scope="col">{ "W" }</th><th scope="col">{ "folio" }</th>
                        <th scope="col">{ "ref" }</th><th scope="col">{ "map" }</th><th scope="col">{ "data" }</th>
                    </tr></thead>
                    <tbody>
                        { for props.ptes.iter().enumerate().map(|(slot, r)| {
                            let kind = r.pte.kind();
                            let (target, write) = match r.pte {
                                Pte::Swap { slot } => (format!("slot {slot}"), String::new()),
                                Pte::Present { pfn, write, .. } | Pte::DevicePrivate { pfn, write } | Pte::DeviceExclusive { pfn, write } =>
                                    (format!("{pfn:#x}"), if write { "W".into() } else { "–".into() }),
                                Pte::Migration { pfn, .. } => (format!("{pfn:#x}"), String::new()),
                                Pte::Zero => ("zero pfn".into(), "–".into()),
                                Pte::None => (String::new(), String::new()),
                            };
                            html! {
                                <tr key={slot} class={classes!(r.cursor.then_some("cursor"), r.changed.then_some("changed"))}
                                    aria-current={r.cursor.then_some("location")}>
                                    <td>{ r.page }{ if r.cursor { " ▶" } else { "" } }</td>
                                    <td class="mono">{ decode::addr(r.vpn) }</td>
                                    <td><span class={classes!("pte", "inline", kind_class(kind))}><span class="glyph">{ kind.glyph() }</span></span>{ " " }{ kind.name() }</td>
                                    <td class="mono">{ target }</td>
                                    <td>{ write }</td>
                                    <td>{ r.folio.as_ref().map(|f| decode::zone_name(f.zone)).unwrap_or_default() }
                                        if r.folio.as_ref().is_some_and(|f| f.locked_by.is_some()) { <span class="lock-mark" title="PG_locked">{ "L" }</span> }
                                    </td>
                                    <td>{ r.folio.as_ref().map(|f| f.refcount.to_string()).unwrap_or_default() }</td>
                                    <td>{ r.folio.as_ref().map(|f| f.mapcount.to_string()).unwrap_or_default() }</td>
                                    <td>{ content_label(r.content) }</td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            </div>
        </section>
    }
}

//! A lane's page-table row: one cell per PTE of the window (colour + glyph per kind, the content token the page
//! holds), the walk cursor, what changed since the last picture, and where the lanes disagree; plus a minimap
//! when the range is wider than the window.

use std::rc::Rc;

use yew::prelude::*;

use super::{content_label, kind_class};
use crate::decode;
use crate::picture::lane::{MiniCell, PageCell, PmdChunk};

/// Rows wider than this drop the content token under each glyph.
const DENSE_CELLS: usize = 24;

#[derive(Properties, PartialEq)]
pub struct PteRowProps {
    pub cells: Rc<Vec<PageCell>>,
    /// Accessible name of the row, e.g. "Legacy A page table".
    pub label: AttrValue,
    /// A click (or Enter) on a page follows its history.
    #[prop_or_default]
    pub on_page: Option<Callback<usize>>,
    /// The followed page, outlined.
    #[prop_or_default]
    pub followed: Option<usize>,
    /// The window's chunks mapped by a PMD leaf: one cell each, unless `expanded`.
    #[prop_or_default]
    pub pmd_chunks: Rc<Vec<PmdChunk>>,
    #[prop_or_default]
    pub expanded: bool,
}

/// What a PMD leaf is, in words: its kind, and the 2 MiB folio it maps.
pub fn pmd_leaf_words(chunk: &PmdChunk) -> String {
    format!(
        "one PMD entry maps pages {}–{} (2 MiB): {}{}",
        chunk.base,
        chunk.last_mapped(),
        chunk.leaf.kind().name(),
        chunk
            .leaf
            .pfn()
            .map(|p| format!(", folio pfn {p:#x}"))
            .unwrap_or_default(),
    )
}

#[component]
pub fn PteRow(props: &PteRowProps) -> Html {
    let n = props.cells.len().max(1);
    html! {
        // Beyond a couple dozen cells the content tokens no longer fit: glyphs only (the tooltip keeps them).
        <div class={classes!("pte-row", (n > DENSE_CELLS).then_some("dense"))} role="list" aria-label={props.label.clone()}
            style={format!("--n: {n}")}>
            // Keyed by position in the window, not by page: when the window moves, the same DOM nodes are reused
            // with new contents instead of being removed and created again.
            { for props.cells.iter().enumerate().map(|(slot, cell)| {
                let chunk = props.pmd_chunks.iter().find(|c| c.covers(cell.page));
                match chunk {
                    // Collapsed: the chunk is the one entry the kernel has; its first cell stands for it.
                    Some(chunk) if !props.expanded => {
                        if cell.page != chunk.first {
                            return html! {};
                        }
                        let span = chunk.last - chunk.first + 1;
                        let covered = props.cells.iter().filter(|c| chunk.covers(c.page));
                        let (cursor, changed, differs) = covered.fold((false, false, false), |(a, b, c), x| (a || x.cursor, b || x.changed, c || x.differs));
                        let words = pmd_leaf_words(chunk);
                        html! {
                            <div key={slot} role="listitem" aria-label={words.clone()} title={words}
                                data-page={cell.page.to_string()} data-pmd-base={chunk.base.to_string()}
                                style={format!("grid-column: span {span}")}
                                class={classes!("pte", "pmd-leaf", kind_class(chunk.leaf.kind()),
                                    cursor.then_some("cursor"), changed.then_some("changed"), differs.then_some("differs"))}>
                                <span class="glyph" aria-hidden="true">{ chunk.leaf.kind().glyph() }</span>
                                <span class="pmd-label" aria-hidden="true">{ format!("PMD · 2 MiB · pages {}–{}", chunk.base, chunk.last_mapped()) }</span>
                            </div>
                        }
                    }
                    _ => page_cell(props, slot, cell, chunk.is_some()),
                }
            }) }
        </div>
    }
}

/// One page's cell; `via_pmd` marks a page read through an expanded PMD leaf.
fn page_cell(props: &PteRowProps, slot: usize, cell: &PageCell, via_pmd: bool) -> Html {
    let vpn = decode::page_vpn(cell.page);
    let title = format!(
        "page {} at {}: {}{}{}{}{}",
        cell.page,
        decode::addr(vpn),
        cell.kind.name(),
        cell.pfn
            .map(|p| format!(", pfn {p:#x}"))
            .unwrap_or_default(),
        if cell.on_device {
            " (device memory)"
        } else {
            ""
        },
        cell.content
            .map(|c| format!(", holds {}", content_label(Some(c))))
            .unwrap_or_default(),
        if cell.differs {
            "; the lanes differ here"
        } else {
            ""
        },
    );
    let page = cell.page;
    let follow = props
        .on_page
        .as_ref()
        .map(|on| on.reform(move |_: MouseEvent| page));
    let follow_key = props.on_page.as_ref().map(|on| {
        let on = on.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                on.emit(page);
            }
        })
    });
    let clickable = props.on_page.is_some();
    html! {
        <div key={slot} role="listitem" title={if clickable { format!("{title} (click: follow this page's history)") } else { title.clone() }}
            aria-label={title} data-page={page.to_string()}
            tabindex={clickable.then_some("0")} onclick={follow} onkeydown={follow_key}
            class={classes!(
                clickable.then_some("follow"),
                (props.followed == Some(page)).then_some("followed"),
                "pte",
                kind_class(cell.kind),
                cell.cursor.then_some("cursor"),
                cell.changed.then_some("changed"),
                cell.differs.then_some("differs"),
                via_pmd.then_some("via-pmd"),
            )}>
            <span class="glyph" aria-hidden="true">{ cell.kind.glyph() }</span>
            <span class="content" aria-hidden="true">{ content_label(cell.content) }</span>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct MinimapProps {
    pub cells: Rc<Vec<MiniCell>>,
    pub npages: usize,
    pub window_start: usize,
    pub window_pages: usize,
    pub cursor: Option<usize>,
}

/// The whole range at a glance: each bar is a bucket of pages coloured by its most common PTE kind; the outline
/// marks the window shown above, the line the walk cursor.
#[component]
pub fn Minimap(props: &MinimapProps) -> Html {
    let n = props.npages.max(1) as f64;
    let x = |page: usize| page as f64 * 1000.0 / n;
    let buckets = props.cells.len().max(1) as f64;
    html! {
        <svg class="minimap" viewBox="0 0 1000 12" preserveAspectRatio="none" role="img"
            aria-label={format!("Minimap of all {} pages; pages {}–{} are shown above", props.npages,
                props.window_start, props.window_start + props.window_pages - 1)}>
            { for props.cells.iter().enumerate().map(|(i, c)| html! {
                <rect key={i} class={kind_class(c.kind)} x={format!("{:.2}", i as f64 * 1000.0 / buckets)} y="2"
                    width={format!("{:.2}", 1000.0 / buckets + 0.5)} height="8" />
            }) }
            <rect class="mini-window" x={format!("{:.2}", x(props.window_start))} y="0.5"
                width={format!("{:.2}", x(props.window_pages).max(2.0))} height="11" />
            if let Some(c) = props.cursor {
                <rect class="mini-cursor" x={format!("{:.2}", x(c))} y="0" width="3" height="12" />
            }
        </svg>
    }
}

//! The visual language: a colour and a glyph per PTE kind, and the marks used on every page row.

use hmm_sim::PteKind;
use yew::prelude::*;

use super::kind_class;

/// What each PTE kind is, in words (the names are hmm-sim's).
pub fn kind_meaning(kind: PteKind) -> &'static str {
    match kind {
        PteKind::None => "pte_none: nothing mapped",
        PteKind::PresentWrite => "present, writable",
        PteKind::PresentRead => "present, read-only",
        PteKind::Zero => "the shared zero page",
        PteKind::Swap => "swap entry",
        PteKind::MigrationRead => "migration entry (read)",
        PteKind::MigrationReadExclusive => "migration entry (read, exclusive)",
        PteKind::MigrationWrite => "migration entry (write)",
        PteKind::DevicePrivateRead => "device-private entry, read-only",
        PteKind::DevicePrivateWrite => "device-private entry, writable",
        PteKind::DeviceExclusive => "device-exclusive entry",
    }
}

#[component]
pub fn Legend() -> Html {
    // The three migration kinds share a glyph and a colour family; list them once.
    let shown = [
        PteKind::None,
        PteKind::PresentWrite,
        PteKind::PresentRead,
        PteKind::Zero,
        PteKind::Swap,
        PteKind::MigrationWrite,
        PteKind::MigrationRead,
        PteKind::DevicePrivateWrite,
        PteKind::DevicePrivateRead,
        PteKind::DeviceExclusive,
    ];
    html! {
        <aside id="legend" class="legend" aria-label="Legend">
            <h2>{ "Legend" }</h2>
            <ul class="legend-kinds">
                { for shown.iter().map(|&k| html! {
                    <li key={k.name()}>
                        <span class={classes!("pte", "swatch", kind_class(k))} aria-hidden="true">
                            <span class="glyph">{ k.glyph() }</span>
                        </span>
                        <span>{ kind_meaning(k) }</span>
                    </li>
                }) }
            </ul>
            <ul class="legend-marks">
                <li><span class="pte swatch cursor k-present_rw" aria-hidden="true"><span class="glyph">{ "W" }</span></span>{ "walk cursor: the PTE the walker looks at" }</li>
                <li><span class="pte swatch changed k-present_rw" aria-hidden="true"><span class="glyph">{ "W" }</span></span>{ "changed since the previous step" }</li>
                <li><span class="pte swatch differs k-present_rw" aria-hidden="true"><span class="glyph">{ "W" }</span></span>{ "the lanes differ here" }</li>
                <li><span class="chip" aria-hidden="true">{ "#3" }</span>{ "content token: page 3's data (page i starts holding i); it must survive every migration" }</li>
                <li><span class="chip locked" aria-hidden="true">{ "#3" }<span class="lock-mark">{ "L" }</span></span>{ "folio locked (PG_locked)" }</li>
            </ul>
        </aside>
    }
}

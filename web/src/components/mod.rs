//! Presentational components: plain-data props (`PartialEq`, so equal props skip rendering), callbacks out,
//! no app state. The app's reducer (`crate::state`) owns every decision about time and scenario.

mod arrays;
mod compact_transport;
mod compute_progress;
mod deep_view;
mod frames;
mod help;
mod lane_panel;
mod legend;
mod locks;
mod narration;
mod notices;
mod overview;
mod page_history;
mod page_table;
mod pte_row;
mod scenario_input;
mod simplified;
mod summary_chart;
mod swimlanes;
mod transport;

pub use arrays::Arrays;
pub use compact_transport::CompactTransport;
pub use compute_progress::ComputeProgress;
pub use deep_view::DeepView;
pub use frames::Frames;
pub use help::Help;
pub use lane_panel::LanePanel;
pub use legend::Legend;
pub use locks::Locks;
pub use narration::Narration;
pub use notices::Notices;
pub use overview::Overview;
pub use page_history::PageHistoryPanel;
pub use page_table::PageTable;
pub use pte_row::{Minimap, MinimapProps, PteRow, PteRowProps};
pub use scenario_input::ScenarioInput;
pub use simplified::Simplified;
pub use summary_chart::{SummaryChart, SummaryChartProps};
pub use swimlanes::Swimlanes;
pub use transport::Transport;

use hmm_sim::PteKind;
use hmm_sim::Strategy;

/// CSS class carrying a PTE kind's colour (`static/style.css` defines one per kind).
pub fn kind_class(kind: PteKind) -> String {
    format!("k-{}", kind.name())
}

/// The short lane label used in tight places: A, B, U.
pub fn lane_letter(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::LegacyA => "A",
        Strategy::LegacyB => "B",
        Strategy::Unified => "U",
    }
}

pub fn lane_name(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::LegacyA => "Legacy A",
        Strategy::LegacyB => "Legacy B",
        Strategy::Unified => "Unified",
    }
}

/// A content token as shown on a page: page i of the scenario starts holding i + 1; 0 reads as zeroes.
pub fn content_label(content: Option<u32>) -> String {
    match content {
        None => String::new(),
        Some(0) => "0s".to_owned(),
        Some(c) => format!("#{c}"),
    }
}

/// The most milestone marks drawn on one bar (the transport's scrubber, a lane's progress bar). A lane that
/// migrates page by page reaches a milestone per page (`O*32768`: 131,142), far more than a bar has pixels.
pub const MAX_MARKS: usize = 500;

/// At most [`MAX_MARKS`] of `milestones` (steps of a trace of `len` steps): the first in each of that many
/// equal slices of the bar. Short lists come back whole.
pub fn thin_marks(
    milestones: &[(usize, hmm_sim::Milestone)],
    len: usize,
) -> Vec<(usize, hmm_sim::Milestone)> {
    if milestones.len() <= MAX_MARKS {
        return milestones.to_vec();
    }
    let len = len.max(1) as u128;
    let mut last = None;
    milestones
        .iter()
        .copied()
        .filter(|&(at, _)| {
            let slice = Some(at as u128 * MAX_MARKS as u128 / len);
            let first = slice != last;
            last = slice;
            first
        })
        .collect()
}

//! Driving the model: build a world (setup.rs), give threads programs and run them under a scheduling
//! policy (run.rs), and run the three lanes on one scenario (compare.rs). The schedule explorer is
//! `sched::explore`.
//!
//! Set-up ([`Setup`]) builds the world directly, as if earlier faults and migrations had happened; it is
//! "before step 0" and records no events. Everything after it is traced.

mod compare;
mod run;
mod setup;

pub use compare::{
    compare, compare_lane, compare_setup, final_pages, final_states_agree, permission_differences,
    restart_limit, same_place, Comparison, FinalPage, LaneRun, PermissionDifference, RestartLimit,
    MAX_COW_OR_ZERO_PAGES, MAX_OTHER_DEVICE_PAGES,
};
pub use run::{run, Madvice, Op, Outcome, Report, RunConfig, ThreadSpec, MAX_MMS};
pub use setup::{
    range_ok, InitialViewBuilder, Prot, Setup, COHERENT_DEVICE, MAX_DEVICES, OTHER_DEVICE,
};

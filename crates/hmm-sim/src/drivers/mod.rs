//! Device drivers: the dmirror test driver and the three migration strategies built on it.
pub mod dmirror;
pub mod strategies;

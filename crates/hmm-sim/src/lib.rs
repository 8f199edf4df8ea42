//! hmm-sim: a deterministic simulation of Linux HMM and device-private page migration.
pub mod drivers;
pub mod exec;
pub mod invariants;
pub mod mm;
pub mod pte;
pub mod scenario;
pub mod sim;
pub mod trace;
pub mod view;
pub mod world;

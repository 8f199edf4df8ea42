//! hmm-sim: a deterministic simulation of Linux HMM and device-private page migration.
pub mod drivers;
pub mod exec;
pub mod mm;
pub mod pte;
pub mod scenario;
pub mod trace;
pub mod world;
pub mod invariants;
pub mod sim;

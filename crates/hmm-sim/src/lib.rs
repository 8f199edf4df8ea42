//! hmm-sim: a deterministic simulation of Linux HMM and device-private page migration.
pub mod scenario;

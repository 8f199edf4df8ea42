//! The only code in hmm-lesson that writes `hmm_sim::World` fields directly.
//!
//! A stop-gap until hmm-sim offers it: `apply_driver` becomes `Setup::driver(DriverOpts)`. Nothing else in
//! the lesson engine may reach into `World`; observing goes through `ViewState` (runner/observe.rs), which
//! also counts held locks, so the old `locks_held` walk over `World` fields is gone.

use crate::model::DriverSettings;
use hmm_sim::World;

/// Driver settings live in the simulator's world: the mirrors' notifier filter and each device's options.
pub fn apply_driver(world: &mut World, d: &DriverSettings) {
    for m in &mut world.mirrors {
        m.filter_own_migrate = d.owner_filter;
    }
    for dev in &mut world.devices {
        dev.migrate_to_ram_lock = d.fault_lock;
        dev.driver.write = d.write;
        dev.driver.select_device_private = d.select.device_private;
        dev.driver.hold_lock_across_setup = d.lock_across_setup;
    }
}

//! Scenarios more than one test binary runs (`mod common;`).

use hmm_sim::{Op, PageState, Setup, ThreadSpec, RANGE_BASE_VPN};

/// One device-private page, `threads` CPUs reading it. Xe serialised migrate_to_ram with a driver lock:
/// Brost needed it to livelock.
pub fn device_page_readers(threads: usize) -> (Setup, Vec<ThreadSpec>) {
    let mut setup = Setup::from_states(&[PageState::DevicePrivate]);
    setup.world.devices[0].migrate_to_ram_lock = true;
    let specs = (0..threads)
        .map(|t| ThreadSpec {
            name: format!("cpu{t}"),
            mm: 0,
            ops: vec![Op::CpuRead {
                vpn: RANGE_BASE_VPN,
            }],
        })
        .collect();
    (setup, specs)
}

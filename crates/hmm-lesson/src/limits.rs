//! Every bound the lesson tools enforce, in one place. A limit that is hit is reported as a diagnostic or a
//! failed check naming the limit; nothing is silently truncated.

/// Largest lesson file read (bytes). Real lessons are a few KiB.
pub const MAX_FILE_BYTES: usize = 1 << 20;
/// Beats (`##` sections) per lesson.
pub const MAX_BEATS: usize = 200;
/// Lines in one directive block.
pub const MAX_BLOCK_LINES: usize = 2_000;
/// Extra threads a scenario may declare (besides the main thread).
pub const MAX_THREADS: usize = 8;
/// dmirror devices (lib/test_hmm.c has 2 device-private minors).
pub const MAX_DEVICES: usize = 2;
/// Pages per scenario: the simulator's own bound (1 GiB of 4 KiB pages).
pub const MAX_PAGES: usize = hmm_sim::MAX_PAGES;
/// Default and largest scheduler steps per run.
pub const DEFAULT_STEPS: u64 = 200_000;
pub const MAX_STEPS: u64 = 10_000_000;
/// Default and largest number of schedules tried by `exists schedule` / `all schedules`.
pub const DEFAULT_SCHEDULES: u64 = 500;
pub const MAX_SCHEDULES: u64 = 100_000;
/// Files visited by one `hmmviz check` over directories.
pub const MAX_FILES: usize = 10_000;

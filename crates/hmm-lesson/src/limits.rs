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
/// dmirror devices: lib/test_hmm.c's four minors, 0 and 1 device-private, 2 and 3 device-coherent
/// (hmm-sim's own bound).
pub const MAX_DEVICES: usize = hmm_sim::MAX_DEVICES as usize;
/// Pages per scenario: the simulator's own bound (1 GiB of 4 KiB pages).
pub const MAX_PAGES: usize = hmm_sim::MAX_PAGES;
/// Default and largest scheduler steps per run.
pub const DEFAULT_STEPS: u64 = 200_000;
pub const MAX_STEPS: u64 = 10_000_000;
/// Default and largest number of schedules tried by `exists schedule` / `all schedules`.
pub const DEFAULT_SCHEDULES: u64 = 500;
pub const MAX_SCHEDULES: u64 = 100_000;
/// Default and largest total work of one lesson, in events (`[limits] events`): the steps and the
/// schedules bound one run and one search; this bounds their sum over every run, search and beat. Each run
/// costs the events it records plus its set-up (one per scenario page, plus one: the world is copied and
/// observed page by page), and each claim one plus the pages or events it reads; queued ops, `mirror`
/// writes and resumes are charged too (`runner/session.rs`). The maximum is what fits the documented worst case (docs/lessons.md, *Limits*).
pub const DEFAULT_EVENTS: u64 = 20_000_000;
pub const MAX_EVENTS: u64 = 40_000_000;
/// Files visited by one `hmmviz check` over directories.
pub const MAX_FILES: usize = 10_000;
/// Diagnostics reported per lesson file; the rest are counted in one closing line. A 43 KB line of
/// 10,000 bad words once printed 601 MB (issue 14); an author fixes the first few and re-runs.
pub const MAX_DIAGNOSTICS: usize = 50;
/// Characters of a source line shown under a diagnostic: a window around the column, cut with `…`.
pub const MAX_SNIPPET_CHARS: usize = 120;
/// Characters of a diagnostic's message (messages quote the offending text, which may be long).
pub const MAX_MESSAGE_CHARS: usize = 300;
/// Directory levels `hmmviz check DIR` descends (symlinked directories are never followed).
pub const MAX_DIR_DEPTH: usize = 32;
/// Directory entries `hmmviz check DIR` looks at in all, lesson or not.
pub const MAX_DIR_ENTRIES: usize = 100_000;

/// `n` with thousands separators, as limits are written in messages (`200,000`): hmm-sim's, so the
/// simulator's and the lessons' messages write numbers alike.
pub use hmm_sim::thousands;

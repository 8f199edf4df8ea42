//! Shared by the integration tests: run one test's body in a child copy of the test binary under a memory
//! and a time limit, so an input that exhausts memory or never ends fails that test instead of the machine.

use std::process::Command;

/// Address space for a child, in KiB (`ulimit -v`): 2 GB, as issue 14's "done when" asks.
pub const MEMORY_KB: u64 = 2_000_000;

/// Runs `body` in a child copy of this test binary, alone, under `ulimit -v MEMORY_KB` and
/// `timeout seconds`. The child sees `HMM_LESSON_BOUNDED_CHILD` and runs the body itself.
pub fn under_limits(name: &str, seconds: u32, body: impl FnOnce()) {
    if std::env::var_os("HMM_LESSON_BOUNDED_CHILD").is_some() {
        body();
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            r#"ulimit -v {MEMORY_KB}; exec timeout {seconds} "$0" "$@""#
        ))
        .arg(exe)
        .args([name, "--exact", "--test-threads=1", "--nocapture"])
        .env("HMM_LESSON_BOUNDED_CHILD", "1")
        .output()
        .expect("sh runs");
    // Prefixed, so the child's own `test result:` line never reads as this binary's (xtask counts them).
    let log: String = String::from_utf8_lossy(&out.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&out.stderr).lines())
        .map(|l| format!("  child| {l}\n"))
        .collect();
    // The child's own output (e.g. the fuzz tests' counts) stays visible with --nocapture.
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "{name} under ulimit -v {MEMORY_KB} / timeout {seconds}: {:?}\n{log}",
        out.status
    );
    assert!(
        log.contains("1 passed"),
        "{name} did not run in the child:\n{log}"
    );
}

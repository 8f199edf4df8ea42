//! `cargo xtask test`: setup, then every test suite, then one summary. The last line is always
//! `N passed, N failed` summed over all suites, and the exit status is non-zero if a test failed, if a step
//! could not run (counted as one failure, so the closing line never looks green when the run was not), or if
//! no test ran at all.
//!
//! Steps run in order and a failing step does not stop later ones (except what depends on it), so one run
//! shows everything that is wrong.

use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use crate::counts::{self, Counts};
use crate::process::{self, cargo, command};
use crate::static_server::StaticServer;
use crate::{project, setup, Failure, Result};

/// Crates that must also build for wasm32 even before the app uses them (the lesson runner will run in the
/// browser too). The app's own dependencies are covered by the site build.
const WASM_LIBRARIES: [&str; 2] = ["hmm-sim", "hmm-lesson"];

/// Crates whose tests use `wasm_bindgen_test` (in the browser, or in node without `run_in_browser`). Only list
/// such crates: a plain `#[test]` compiled for wasm32 runs nothing.
const WASM_TEST_CRATES: [&str; 1] = ["web"];

/// The sub-path the end-to-end tests load the site from: the bundle must not assume it lives at `/`.
const E2E_MOUNT: &str = "/hmmviz/";

pub fn run() -> Result {
    setup::run()?;
    let mut steps = Vec::new();

    steps.push(Step::timed(
        "native tests (cargo test --workspace)",
        native_tests,
    ));
    steps.push(Step::timed(
        "wasm32 build of hmm-sim, hmm-lesson",
        wasm_libraries,
    ));
    steps.push(Step::timed(
        "wasm tests in headless Chromium",
        wasm_browser_tests,
    ));
    // The release build lives inside the dev site, so one server serves both: e2e/scale.spec.mjs loads
    // `release/` (issue 13's budgets are the shipped app's; a dev build's app is unoptimised), every other
    // spec the dev build, and the size budget reads the release build's wasm.
    let site = project::xtask_target().join("site");
    let release = site.join("release");
    let site_step = Step::timed("site builds (trunk, offline: dev, then release)", || {
        build_site(&site)?;
        build_release_site(&release)
    });
    let site_built = site_step.outcome.is_ok();
    steps.push(site_step);
    steps.push(Step::timed("end-to-end tests (Playwright)", || {
        if site_built {
            e2e_tests(&site)
        } else {
            Err("not run: the site did not build".to_owned())
        }
    }));

    steps.push(Step::timed("bundle budget (the release site)", || {
        if site_built {
            crate::budget::check(&release).map(Some)
        } else {
            Err("not run: the site did not build".to_owned())
        }
    }));

    summarize(&steps)
}

/// A suite's `Ok` carries its counts and a build's carries none; `Err` says why the step did not succeed.
type StepResult = std::result::Result<Option<Counts>, String>;

/// One step's name, result and duration.
struct Step {
    name: &'static str,
    outcome: StepResult,
    elapsed: Duration,
}

impl Step {
    fn timed(name: &'static str, body: impl FnOnce() -> StepResult) -> Step {
        println!("\n=== {name}");
        let start = Instant::now();
        let outcome = body();
        Step {
            name,
            outcome,
            elapsed: start.elapsed(),
        }
    }
}

fn summarize(steps: &[Step]) -> Result {
    let mut total = Counts::default();
    println!("\n=== summary");
    for step in steps {
        let result = match &step.outcome {
            Ok(Some(counts)) => {
                total += *counts;
                counts.to_string()
            }
            Ok(None) => "ok".to_owned(),
            Err(problem) => {
                total.failed += 1;
                format!("FAILED: {problem} (counted as 1 failed)")
            }
        };
        println!(
            "{:<42} {:>6.1}s  {result}",
            step.name,
            step.elapsed.as_secs_f64()
        );
    }
    if total.total() == 0 {
        println!("no test ran: that is a failure too");
    }
    println!("{total}");
    if total.failed == 0 && total.passed > 0 {
        Ok(())
    } else {
        Err(Failure::AlreadyReported)
    }
}

/// Judge a test suite by its counts and its exit status together: failures are counted, but a suite that
/// exited non-zero without any counted failure (a compile error, a crash, a runner that could not start) or
/// that ran no test did not really run, and must not pass.
fn judge(status: ExitStatus, counts: Counts) -> StepResult {
    if !status.success() && counts.failed == 0 {
        return Err(format!(
            "exited with {status} before any test failed; see the output above"
        ));
    }
    if counts.total() == 0 {
        return Err("ran no test".to_owned());
    }
    Ok(Some(counts))
}

fn cargo_suite(command: &mut Command) -> StepResult {
    let captured = process::run_captured(command)?;
    judge(captured.status, counts::libtest(&captured.lines))
}

fn native_tests() -> StepResult {
    // --no-fail-fast: run every test binary even after one fails, so every test is counted.
    cargo_suite(cargo().args(["test", "--workspace", "--no-fail-fast"]))
}

fn wasm_libraries() -> StepResult {
    let mut build = cargo();
    build.args(["build", "--lib", "--target", "wasm32-unknown-unknown"]);
    for library in WASM_LIBRARIES {
        build.args(["-p", library]);
    }
    process::run(&mut build).map(|()| None)
}

fn wasm_browser_tests() -> StepResult {
    // The runner (set in .cargo/config.toml) drives Chromium through chromedriver; it adds --headless and
    // --no-sandbox itself. A first run compiles the test crate, so allow more than the 20 s default.
    let mut test = cargo();
    test.env("CHROMEDRIVER", setup::CHROMEDRIVER)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120")
        .args([
            "test",
            "--target",
            "wasm32-unknown-unknown",
            "--no-fail-fast",
        ]);
    for krate in WASM_TEST_CRATES {
        test.args(["-p", krate]);
    }
    cargo_suite(&mut test)
}

fn build_site(site: &Path) -> StepResult {
    // A dev build (fast; wasm-opt runs only for release builds) with relative URLs, like `cargo xtask dist`.
    let mut build = command("trunk");
    build
        .args(["build", "--offline", "--public-url", "./", "--dist"])
        .arg(site);
    process::run(&mut build).map(|()| None)
}

/// The release build of the site (the `web-release` profile, then `wasm-opt -Oz`: what `cargo xtask dist` ships)
/// into `dir`: issue 11's size budget (`budget::check`, two counted checks) needs it, wasm-opt shrinking only
/// release builds, and so do issue 13's time and memory budgets at 262,144 pages (e2e/scale.spec.mjs).
fn build_release_site(dir: &Path) -> StepResult {
    process::find("wasm-opt").ok_or(
        "wasm-opt is missing from node_modules/.bin: run `cargo xtask setup` (it runs `npm ci`)",
    )?;
    let mut build = command("trunk");
    build
        .args([
            "build",
            "--offline",
            "--release",
            "--public-url",
            "./",
            "--dist",
        ])
        .arg(dir);
    process::run(&mut build).map(|()| None)
}

fn e2e_tests(site: &Path) -> StepResult {
    let server = StaticServer::start(site, E2E_MOUNT)?;
    println!("serving {} at {}", site.display(), server.url());
    let captured = process::run_captured(
        command("playwright")
            .env("HMMVIZ_URL", server.url())
            .env("CHROMIUM", setup::CHROMIUM)
            .env("SPHINX_BUILD", project::venv().join("bin/sphinx-build"))
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
            .args(["test", "--config", "e2e/playwright.config.mjs"]),
    )?;
    drop(server);
    match counts::playwright(&captured.lines) {
        Some(counts) => judge(captured.status, counts),
        None => Err(format!(
            "Playwright printed no `{}` line; see the output above",
            counts::E2E_MARKER
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    const SUCCESS: i32 = 0;
    const EXIT_101: i32 = 101 << 8; // wait(2) status encoding: exit code in the second byte

    fn counts(passed: u64, failed: u64) -> Counts {
        Counts { passed, failed }
    }

    #[test]
    fn a_suite_passes_only_when_tests_ran_and_it_exited_zero() {
        assert_eq!(
            judge(ExitStatus::from_raw(SUCCESS), counts(3, 0)),
            Ok(Some(counts(3, 0)))
        );
        assert_eq!(
            judge(ExitStatus::from_raw(SUCCESS), counts(0, 0)),
            Err("ran no test".to_owned())
        );
    }

    #[test]
    fn failed_tests_are_counted_and_a_crash_without_failures_is_a_problem() {
        assert_eq!(
            judge(ExitStatus::from_raw(EXIT_101), counts(3, 1)),
            Ok(Some(counts(3, 1)))
        );
        let crash = judge(ExitStatus::from_raw(EXIT_101), counts(3, 0)).unwrap_err();
        assert!(crash.contains("exit status: 101"), "{crash}");
    }
}

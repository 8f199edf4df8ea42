//! `cargo xtask`: the project's automation, so that a fresh machine with only rustup, cargo, node and npm gets
//! from a clone to a served or tested app with one command.
//!
//! - `setup`: installs whatever tool is missing (idempotent; prints what it found and what it did).
//! - `serve`: setup, then `trunk serve --offline`.
//! - `test`:  setup, then every suite (native, wasm in headless Chromium, site build, end-to-end), ending with
//!   one `N passed, N failed` line.
//! - `dist`:  setup, then a relocatable release build of the static site in `dist/`.
//!
//! Nothing here downloads a binary: tools come from crates.io (`cargo install`), npm (`npm ci`) or apt.

mod bench;
mod budget;
mod counts;
mod dist;
mod kernel_lines;
mod process;
mod project;
mod serve;
mod setup;
mod static_server;
mod test;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  setup              install missing tools (wasm32 target, trunk, wasm-bindgen-cli, chromium, npm packages)
  serve [ARGS...]    setup, then `trunk serve --offline ARGS...`; open http://127.0.0.1:8080/
  test               setup, then run every test suite; ends with `N passed, N failed`
  dist               setup, then a release build of the static site into dist/ (works from any sub-path)
  budget [DIST]      issue 11's size budget of the app's wasm (raw and gzip): `dist` first, or check a built
                     DIST folder; ends with `N passed, N failed` and fails when over
  bench              release site, then native, wasm (node) and browser (e2e/perf.mjs, Chromium) figures for
                     512 / 32,768 / 262,144 pages of one scenario, in one table (docs/benchmarks.md)
  kernel-lines SRC   check web/kernel-refs.tsv's verified lines against a kernel source tree SRC (its Makefile
                     names the release); ends with `N passed, N failed`
";

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// Print this message and exit non-zero.
    Message(String),
    /// The command has already said why (the test summary must stay the last line), so only exit non-zero.
    AlreadyReported,
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Message(message)
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        Failure::Message(message.to_owned())
    }
}

pub type Result<T = ()> = std::result::Result<T, Failure>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("setup") if args.len() == 1 => setup::run(),
        Some("serve") => serve::run(&args[1..]),
        Some("test") if args.len() == 1 => test::run(),
        Some("dist") if args.len() == 1 => dist::run(),
        Some("bench") if args.len() == 1 => bench::run(),
        Some("kernel-lines") if args.len() == 2 => {
            kernel_lines::run(std::path::Path::new(&args[1]))
        }
        Some("budget") if args.len() <= 2 => budget::run(args.get(1).map(std::path::Path::new)),
        Some("help" | "-h" | "--help") => {
            print!("{USAGE}");
            Ok(())
        }
        _ => Err(Failure::Message(format!(
            "unknown command line {args:?}\n\n{USAGE}"
        ))),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Message(message)) => {
            eprintln!("xtask: error: {message}");
            ExitCode::FAILURE
        }
        Err(Failure::AlreadyReported) => ExitCode::FAILURE,
    }
}

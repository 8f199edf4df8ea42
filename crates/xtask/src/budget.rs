//! The browser app's size budget (issue 11): the main app's wasm, as the release build ships it (the
//! `web-release` profile, then `wasm-opt -Oz`), may grow at most 40% over what it weighed before the lesson
//! engine came in: 975,924 bytes raw and 361 KB gzip. The compute worker's wasm (`worker_bg.wasm`) is a module
//! of its own, loaded only when a large scenario runs, and is not counted; nor is the lesson pages' module
//! (`pages_bg.wasm`: the lesson engine, its TOML parser, the lesson player and the race lab), loaded only by
//! those pages. Both are printed beside the figures.
//!
//! `cargo xtask budget` builds the release site (as `cargo xtask dist`) and checks both figures, two checks
//! counted as tests; `cargo xtask budget DIST` checks a site already built; `cargo xtask dist` prints them.
//! `cargo xtask test` runs it as its last step, on the release build it makes beside its dev site (wasm-opt
//! shrinks only release builds).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::counts::Counts;
use crate::process::command;
use crate::{dist, project, Failure, Result};

/// `cargo xtask budget [DIST]`.
pub fn run(built: Option<&Path>) -> Result {
    let site = match built {
        Some(dir) => dir.to_path_buf(),
        None => {
            dist::run()?;
            project::root().join("dist")
        }
    };
    let counts = check(&site)?;
    println!("{counts}");
    if counts.failed == 0 {
        Ok(())
    } else {
        Err(Failure::AlreadyReported)
    }
}

/// The main app's wasm before issue 11, raw bytes (trunk release build after wasm-opt).
pub const BASE_RAW: u64 = 975_924;
/// The same, gzip -9 (the "361 KB").
pub const BASE_GZIP: u64 = 361_000;
/// At most 40% over the base: `base * 14 / 10`, rounded down.
pub const fn limit(base: u64) -> u64 {
    base * 14 / 10
}

/// The main app's wasm in a trunk dist folder: the one `*_bg.wasm` that is neither the compute worker's nor
/// the lesson pages' module (`pages_bg.wasm`, loaded only by the lesson pages and the race lab).
pub fn main_wasm(dist: &Path) -> std::result::Result<PathBuf, String> {
    let entries =
        fs::read_dir(dist).map_err(|error| format!("cannot list {}: {error}", dist.display()))?;
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| is_main_wasm(path))
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(format!(
            "no app wasm (*_bg.wasm other than {}) in {}",
            SECONDARY_MODULES.join(", "),
            dist.display()
        )),
        n => Err(format!(
            "{n} app wasm files in {}: expected one",
            dist.display()
        )),
    }
}

/// The modules of their own that the app loads only when it needs them (web/index.html's `data-type="worker"`
/// links, named after their binaries): not counted in the budget, their sizes printed beside it.
pub const SECONDARY_MODULES: &[&str] = &["worker_bg.wasm", "pages_bg.wasm"];

fn is_main_wasm(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with("_bg.wasm") && !SECONDARY_MODULES.contains(&name)
}

/// Its size compressed with `gzip -9 -n` (Debian's gzip; xtask itself depends on std only).
fn gzip_size(bytes: &[u8]) -> std::result::Result<u64, String> {
    let mut child = command("gzip")
        .args(["-9", "-n", "-c"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot run gzip: {error}"))?;
    let mut stdin = child.stdin.take().ok_or("gzip has no stdin")?;
    // Write from a thread: gzip's output pipe would fill and block it while we are still writing.
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child
        .wait_with_output()
        .map_err(|error| format!("gzip failed: {error}"))?;
    writer
        .join()
        .map_err(|_| "the gzip writer panicked".to_owned())?
        .map_err(|error| format!("cannot feed gzip: {error}"))?;
    if !output.status.success() {
        return Err(format!("gzip exited with {}", output.status));
    }
    Ok(output.stdout.len() as u64)
}

/// One figure against its limit.
pub struct Figure {
    pub name: &'static str,
    pub bytes: u64,
    pub base: u64,
}

impl Figure {
    pub fn within(&self) -> bool {
        self.bytes <= limit(self.base)
    }
}

impl std::fmt::Display for Figure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let growth = (self.bytes as f64 / self.base as f64 - 1.0) * 100.0;
        write!(
            f,
            "{}: {} bytes ({growth:+.1}% over {}; limit {}): {}",
            self.name,
            self.bytes,
            self.base,
            limit(self.base),
            if self.within() {
                "within budget"
            } else {
                "OVER BUDGET"
            }
        )
    }
}

/// The main app wasm's raw and gzip figures in `dist`.
pub fn measure(dist: &Path) -> std::result::Result<[Figure; 2], String> {
    let wasm = main_wasm(dist)?;
    let bytes =
        fs::read(&wasm).map_err(|error| format!("cannot read {}: {error}", wasm.display()))?;
    println!("budget: {}", wasm.display());
    for name in SECONDARY_MODULES {
        // Printed, not judged: what the lesson pages and a large scenario download besides the app.
        if let Ok(other) = fs::read(dist.join(name)) {
            println!(
                "budget: not counted: {name}, {} bytes raw, {} gzip -9",
                other.len(),
                gzip_size(&other)?
            );
        }
    }
    Ok([
        Figure {
            name: "app wasm, raw",
            bytes: bytes.len() as u64,
            base: BASE_RAW,
        },
        Figure {
            name: "app wasm, gzip -9",
            bytes: gzip_size(&bytes)?,
            base: BASE_GZIP,
        },
    ])
}

/// Print both figures; each is one check, passed when within its limit.
pub fn check(dist: &Path) -> std::result::Result<Counts, String> {
    let mut counts = Counts::default();
    for figure in measure(dist)? {
        println!("budget: {figure}");
        if figure.within() {
            counts.passed += 1;
        } else {
            counts.failed += 1;
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limits_are_forty_percent_over_the_base() {
        assert_eq!(limit(BASE_RAW), 1_366_293);
        assert_eq!(limit(BASE_GZIP), 505_400);
        let at = Figure {
            name: "x",
            bytes: 1_366_293,
            base: BASE_RAW,
        };
        assert!(at.within());
        let over = Figure {
            name: "x",
            bytes: 1_366_294,
            base: BASE_RAW,
        };
        assert!(!over.within());
        assert!(over.to_string().contains("OVER BUDGET"), "{over}");
    }

    #[test]
    fn the_worker_and_pages_wasm_are_not_the_app() {
        assert!(is_main_wasm(Path::new("dist/web-3f2a_bg.wasm")));
        assert!(!is_main_wasm(Path::new("dist/worker_bg.wasm")));
        assert!(!is_main_wasm(Path::new("dist/pages_bg.wasm")));
        assert!(!is_main_wasm(Path::new("dist/web-3f2a.js")));
    }

    #[test]
    fn gzip_measures_compressed_bytes() {
        let zeros = vec![0u8; 100_000];
        let size = gzip_size(&zeros).expect("gzip runs");
        assert!(size > 0 && size < 1_000, "{size}");
    }
}

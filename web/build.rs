//! List every lesson file of `lessons/` (teaching lessons and `selftests/`) for the app. The texts are not
//! compiled in: trunk copies `lessons/` beside the app (`web/index.html`) and the lesson pages fetch them at
//! run time (`web/src/lesson/bundle.rs`), which keeps about 90 KB of Markdown out of the wasm (issue 11's
//! bundle budget). Only the paths are code, so a lesson edited under `trunk serve` is copied again and the
//! reloaded page reads it; the `rerun-if-changed` on the two directories catches a file added or removed.
//!
//! Each lesson's id is listed too, read by hmm-lesson's own parser (a build dependency, the one parser): the
//! compare page checks an embedding page's `load {lesson}` against it without the lesson engine, which lives in
//! the pages module only (`web/src/pages_module.rs`), nor a fetch of every lesson. A lesson edited under `trunk
//! serve` reruns this script (`rerun-if-changed` per file) so its id cannot go stale.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The same rule as `hmm_lesson::collect`: every `*.md` except `README.md`.
fn lesson_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| {
        p.is_file()
            && p.extension().is_some_and(|x| x == "md")
            && p.file_name().is_some_and(|n| n != "README.md")
    });
    files.sort();
    files
}

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("..");
    let dirs = [root.join("lessons"), root.join("lessons/selftests")];
    let mut paths = String::new();
    let mut ids = String::new();
    for dir in &dirs {
        println!("cargo:rerun-if-changed={}", dir.display());
        for file in lesson_files(dir) {
            println!("cargo:rerun-if-changed={}", file.display());
            let relative = file.strip_prefix(&root).unwrap_or(&file);
            let path = relative.to_string_lossy();
            let _ = writeln!(paths, "    {path:?},");
            // A lesson that does not parse has no id (the index leaves it out too, and the lesson tests keep
            // every lesson parsing).
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            if let Ok(lesson) = hmm_lesson::parse(&path, &text) {
                let _ = writeln!(ids, "    ({:?}, {path:?}),", lesson.id);
            }
        }
    }
    let code = format!(
        "/// Every lesson file's path as `hmmviz check lessons` names it (also its URL beside the app), teaching\n\
         /// lessons first, each directory sorted.\npub static PATHS: &[&str] = &[\n{paths}];\n\
         /// Each lesson's id and path, in `PATHS` order: every file that parses when the app is built.\n\
         pub static IDS: &[(&str, &str)] = &[\n{ids}];\n"
    );
    let out =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("lessons.rs");
    std::fs::write(&out, code).expect("OUT_DIR is writable");
}

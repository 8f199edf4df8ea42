//! Bundle every lesson file of `lessons/` (teaching lessons and `selftests/`) into the app as text: the
//! browser plays them with the same parser and runner as `hmmviz check`. The files are data (static strings,
//! compressed by the server's gzip like the rest of the wasm), not generated code.
//!
//! `include_str!` makes cargo rebuild when a bundled file changes; the `rerun-if-changed` on the two
//! directories catches a file added or removed. `trunk serve` watches `lessons/` (Trunk.toml), so an edited
//! lesson is rebuilt and reloaded.

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
    let mut code = String::from("/// `(path as `hmmviz check lessons` names it, text)`, teaching lessons first, each directory sorted.\npub static BUNDLED: &[(&str, &str)] = &[\n");
    for dir in &dirs {
        println!("cargo:rerun-if-changed={}", dir.display());
        for file in lesson_files(dir) {
            let relative = file.strip_prefix(&root).unwrap_or(&file);
            let _ = writeln!(
                code,
                "    ({:?}, include_str!({:?})),",
                relative.to_string_lossy(),
                file.canonicalize()
                    .unwrap_or(file.clone())
                    .to_string_lossy()
            );
        }
    }
    code.push_str("];\n");
    let out =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("lessons.rs");
    std::fs::write(&out, code).expect("OUT_DIR is writable");
}

//! Where things are in the repository, and the tool versions the project pins.
//!
//! Each version is read from the one file that pins it, so a bump is a one-line change there: trunk's from
//! `Trunk.toml` (`trunk-version`), wasm-bindgen's from `Cargo.lock` (the CLI must equal the crate exactly).

use std::fs;
use std::path::{Path, PathBuf};

/// The workspace root: xtask lives in `crates/xtask`, and every command runs from the root.
pub fn root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .nth(2)
        .unwrap_or(manifest_dir)
        .to_path_buf()
}

/// Where npm installs the JS tools (Playwright, binaryen's wasm-opt); its `.bin` goes on every child's PATH.
pub fn node_modules() -> PathBuf {
    root().join("node_modules")
}

/// The project's own Python virtualenv (Sphinx for the integration tests), ignored by git.
pub fn venv() -> PathBuf {
    root().join(".venv")
}

/// Scratch space for `cargo xtask test` (the site under test, Playwright's results), inside the ignored target/.
pub fn xtask_target() -> PathBuf {
    root().join("target/xtask")
}

fn read(relative: &str) -> Result<String, String> {
    let path = root().join(relative);
    fs::read_to_string(&path).map_err(|error| format!("cannot read {}: {error}", path.display()))
}

/// The exact trunk version, from `trunk-version = "=X.Y.Z"` in `Trunk.toml`.
pub fn trunk_version() -> Result<String, String> {
    let text = read("Trunk.toml")?;
    let requirement = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("trunk-version"))
        .and_then(|rest| rest.trim().strip_prefix('='))
        .map(|value| value.trim().trim_matches('"'))
        .ok_or("Trunk.toml has no `trunk-version = \"=X.Y.Z\"` line")?;
    requirement
        .strip_prefix('=')
        .map(str::to_owned)
        .ok_or_else(|| {
            format!(
                "Trunk.toml pins trunk-version {requirement:?}; xtask needs an exact `=X.Y.Z` pin"
            )
        })
}

/// The exact wasm-bindgen version the workspace builds with, from `Cargo.lock`.
pub fn wasm_bindgen_version() -> Result<String, String> {
    let lock = read("Cargo.lock")?;
    let versions = locked_versions(&lock, "wasm-bindgen");
    match versions.as_slice() {
        [version] => Ok(version.clone()),
        [] => Err("Cargo.lock has no wasm-bindgen package; run `cargo fetch`".to_owned()),
        _ => Err(format!(
            "Cargo.lock has several wasm-bindgen versions {versions:?}; the CLI can match only one, so pin one"
        )),
    }
}

/// Every version of package `name` in a Cargo.lock: each `[[package]]` has `name = ...` then `version = ...`.
fn locked_versions(lock: &str, name: &str) -> Vec<String> {
    let name_line = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    let mut versions = Vec::new();
    while let Some(line) = lines.next() {
        if line.trim() == name_line {
            if let Some(version) = lines
                .next()
                .and_then(|next| next.trim().strip_prefix("version = "))
            {
                versions.push(version.trim_matches('"').to_owned());
            }
        }
    }
    versions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_versions_finds_only_the_named_package() {
        let lock = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n\n\
                    [[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"0.2.130\"\n";
        assert_eq!(locked_versions(lock, "wasm-bindgen"), ["0.2.130"]);
        assert!(locked_versions(lock, "trunk").is_empty());
    }

    #[test]
    fn the_real_pins_are_readable() {
        assert!(trunk_version().unwrap().starts_with("0.21."));
        assert!(wasm_bindgen_version().unwrap().starts_with("0.2."));
    }
}

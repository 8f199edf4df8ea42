//! `cargo xtask setup`: make this machine able to build, serve and test the app, installing only what is
//! missing, and say what was found and what was done. Running it twice installs nothing the second time.
//!
//! Everything comes from a package registry with its ordinary client (rustup, `cargo install --locked`, apt,
//! `npm ci`); nothing downloads a binary on its own (no `playwright install`, no trunk tool downloads).

use std::fs;
use std::path::Path;

use crate::process::{self, cargo, command};
use crate::{project, Result};

/// Where Debian's `chromium` and `chromium-driver` packages put the browser and its WebDriver server.
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// A copy of the `package-lock.json` that `npm ci` last installed, kept inside `node_modules` (so deleting
/// `node_modules` forgets it): if it equals the current lockfile, the npm packages are up to date.
const NPM_STAMP: &str = ".xtask-installed-package-lock.json";

pub fn run() -> Result {
    let mut installed = Vec::new();
    wasm_target(&mut installed)?;
    cargo_tool(
        "trunk",
        &project::trunk_version()?,
        &["trunk"],
        &[],
        &mut installed,
    )?;
    cargo_tool(
        "wasm-bindgen-cli",
        &project::wasm_bindgen_version()?,
        &["wasm-bindgen", "wasm-bindgen-test-runner"],
        &[],
        &mut installed,
    )?;
    chromium(&mut installed)?;
    npm_packages(&mut installed)?;
    // The host integrations' tests build a real Sphinx site and a real mdBook (integrations/).
    sphinx(&mut installed)?;
    // `mdbook build` is all the test runs: without the `serve` and `watch` features (tokio, axum, notify) the
    // install compiles far less on a fresh machine.
    cargo_tool(
        "mdbook",
        MDBOOK_VERSION,
        &["mdbook"],
        &["--no-default-features", "--features", "search"],
        &mut installed,
    )?;
    // trunk runs cargo with --offline (Trunk.toml), so every crate must already be in cargo's cache.
    process::run(cargo().arg("fetch"))?;
    if installed.is_empty() {
        println!("setup: everything was already installed");
    } else {
        println!("setup: installed {}", installed.join(", "));
    }
    Ok(())
}

fn found(what: &str) {
    println!("setup: found {what}");
}

fn installing(what: &str, how: &str) {
    println!("setup: installing {what} ({how})");
}

fn wasm_target(installed: &mut Vec<String>) -> Result {
    let list = command("rustup")
        .args(["target", "list", "--installed"])
        .output();
    let list = list
        .map_err(|error| format!("cannot run rustup (is Rust installed with rustup?): {error}"))?;
    if String::from_utf8_lossy(&list.stdout)
        .lines()
        .any(|line| line.trim() == WASM_TARGET)
    {
        found(&format!("rust target {WASM_TARGET}"));
        return Ok(());
    }
    installing(&format!("rust target {WASM_TARGET}"), "rustup");
    process::run(command("rustup").args(["target", "add", WASM_TARGET]))?;
    installed.push(WASM_TARGET.to_owned());
    Ok(())
}

/// Install crate `name` at exactly `version` unless every one of `binaries` already reports that version
/// (`<binary> --version` prints `<binary> <version>`).
/// `features`: extra `cargo install` arguments choosing the tool's features.
fn cargo_tool(
    name: &str,
    version: &str,
    binaries: &[&str],
    features: &[&str],
    installed: &mut Vec<String>,
) -> Result {
    let versions: Vec<Option<String>> = binaries
        .iter()
        .map(|binary| process::version_of(binary))
        .collect();
    // `trunk 0.21.14`, `wasm-bindgen 0.2.130`; mdbook says `mdbook v0.5.4`.
    let up_to_date = binaries.iter().zip(&versions).all(|(binary, reported)| {
        let reported = reported.as_deref();
        reported == Some(format!("{binary} {version}").as_str())
            || reported == Some(format!("{binary} v{version}").as_str())
    });
    if up_to_date {
        found(&format!("{name} {version} ({})", binaries.join(", ")));
        return Ok(());
    }
    let seen: Vec<&str> = versions
        .iter()
        .map(|v| v.as_deref().unwrap_or("missing"))
        .collect();
    installing(
        &format!("{name} {version}"),
        &format!("cargo install; found {}", seen.join(", ")),
    );
    let spec = format!("{name}@{version}");
    // --locked builds with the dependency versions the tool was released and tested with.
    let locked =
        process::run_captured(cargo().args(["install", "--locked", &spec]).args(features))?;
    if !locked.status.success() {
        // A registry can lack a version the tool's lockfile names (seen: wasm-bindgen-cli 0.2.130 locks
        // webpki-roots 1.0.11, which this workplace's crates.io does not serve). Only then fall back to the
        // newest semver-compatible dependencies; any other failure (a compile error, say) is reported as is.
        if !locked
            .lines
            .iter()
            .any(|line| line.contains(UNSATISFIABLE_LOCK))
        {
            return Err(
                format!("`cargo install --locked {spec}` failed ({})", locked.status).into(),
            );
        }
        println!("setup: {spec}'s lockfile names a crate version the registry lacks; installing unlocked");
        process::run(cargo().args(["install", &spec]).args(features))?;
    }
    installed.push(format!("{name} {version}"));
    Ok(())
}

/// What cargo says when a lockfile names a crate version the registry does not have.
const UNSATISFIABLE_LOCK: &str = "failed to select a version for the requirement";

/// The browser for the wasm tests (through chromedriver) and the end-to-end tests (through Playwright).
fn chromium(installed: &mut Vec<String>) -> Result {
    if Path::new(CHROMIUM).is_file() && Path::new(CHROMEDRIVER).is_file() {
        let chromium = process::version_of(CHROMIUM).unwrap_or_else(|| CHROMIUM.to_owned());
        let chromedriver =
            process::version_of(CHROMEDRIVER).unwrap_or_else(|| CHROMEDRIVER.to_owned());
        found(&format!("{chromium}; {chromedriver}"));
        return Ok(());
    }
    let command_line = "apt-get update && apt-get install -y chromium chromium-driver";
    if !Path::new("/etc/debian_version").exists() {
        return Err(format!(
            "Chromium and ChromeDriver are needed at {CHROMIUM} and {CHROMEDRIVER}; on Debian or Ubuntu install \
             them with `sudo sh -c '{command_line}'`, elsewhere install both (same version) at those paths"
        )
        .into());
    }
    if !is_root() {
        return Err(format!(
            "Chromium and ChromeDriver are missing; install them as root, then rerun: sudo sh -c '{command_line}'"
        )
        .into());
    }
    installing("chromium, chromium-driver", "apt-get");
    process::run(command("apt-get").arg("update"))?;
    process::run(
        command("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "chromium", "chromium-driver"]),
    )?;
    installed.push("chromium, chromium-driver".to_owned());
    Ok(())
}

fn is_root() -> bool {
    command("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

/// mdBook, whose `mdbook build` the mdBook integration's test runs. Pinned: the test builds a real book
/// with it, and a new release can change its HTML; `cargo install --locked` builds it from crates.io
/// (measured here: 1,229 s, about 20 minutes, on two cores shared with other builds; once per machine).
pub const MDBOOK_VERSION: &str = "0.5.4";

/// Sphinx, whose `sphinx-build` the Sphinx integration's test runs, in the project's own virtualenv
/// (`.venv`, ignored by git) so nothing is installed into the system Python. 8.2.3: the newest release
/// that runs on Debian's Python 3.11 (9.x needs 3.12 or newer).
pub const SPHINX_VERSION: &str = "8.2.3";

fn sphinx(installed: &mut Vec<String>) -> Result {
    let venv = project::venv();
    let sphinx_build = venv.join("bin/sphinx-build");
    let reported = process::version_of(&sphinx_build.to_string_lossy());
    if reported.as_deref() == Some(format!("sphinx-build {SPHINX_VERSION}").as_str()) {
        found(&format!(
            "sphinx {SPHINX_VERSION} ({})",
            sphinx_build.display()
        ));
        return Ok(());
    }
    installing(
        &format!("sphinx {SPHINX_VERSION}"),
        &format!("pip, in {}", venv.display()),
    );
    if !venv.join("bin/pip").is_file() {
        process::run(command("python3").args(["-m", "venv"]).arg(&venv)).map_err(|error| {
            format!(
                "{error}: the Sphinx test needs Python 3 with venv (apt-get install python3-venv)"
            )
        })?;
    }
    process::run(command(venv.join("bin/pip")).args([
        "install",
        "--disable-pip-version-check",
        &format!("sphinx=={SPHINX_VERSION}"),
    ]))?;
    installed.push(format!("sphinx {SPHINX_VERSION}"));
    Ok(())
}

/// The JS tools pinned in `package.json` + `package-lock.json`: Playwright (end-to-end tests, driving the
/// system Chromium), binaryen (wasm-opt for release builds) and reveal.js (the reveal.js integration's test).
fn npm_packages(installed: &mut Vec<String>) -> Result {
    let npm = process::version_of("npm").ok_or(
        "npm is needed for the end-to-end tests: install Node.js 20 or newer with npm, then rerun",
    )?;
    let lockfile = fs::read(project::root().join("package-lock.json"))
        .map_err(|error| format!("cannot read package-lock.json: {error}"))?;
    let stamp = project::node_modules().join(NPM_STAMP);
    if fs::read(&stamp).is_ok_and(|stamped| stamped == lockfile) {
        found("npm packages of package-lock.json (node_modules is up to date)");
        return Ok(());
    }
    installing("npm packages", &format!("npm {npm} ci"));
    process::run(
        command("npm")
            // Belt and braces: Playwright must drive the system Chromium and never fetch a browser of its own.
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
            // No package we use needs an install script, and scripts are how packages download binaries.
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"]),
    )?;
    fs::write(&stamp, &lockfile)
        .map_err(|error| format!("cannot write {}: {error}", stamp.display()))?;
    installed.push("npm packages".to_owned());
    Ok(())
}

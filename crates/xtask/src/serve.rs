//! `cargo xtask serve`: setup, then trunk's dev server, which rebuilds and reloads the page on every change.

use crate::process::{self, command};
use crate::{setup, Result};

/// Where Trunk.toml's `[serve]` section binds.
const URL: &str = "http://127.0.0.1:8080/";

pub fn run(trunk_args: &[String]) -> Result {
    setup::run()?;
    println!(
        "serve: open {URL} (unless the arguments below change the address or port); Ctrl-C stops"
    );
    // --offline on the command line also skips trunk's update check, which Trunk.toml's `offline` does not.
    process::run(
        command("trunk")
            .args(["serve", "--offline"])
            .args(trunk_args),
    )?;
    Ok(())
}

//! Running the tools xtask drives. Every child runs in the project root with a PATH that also holds the places
//! setup installs into (cargo's bin directory, `node_modules/.bin`), and every command is echoed before it runs,
//! so a log shows exactly what to re-run by hand.

use std::env;
use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;

use crate::project;

/// A command for `program`, ready to run from the project root.
pub fn command(program: impl AsRef<Path>) -> Command {
    let mut command = Command::new(program.as_ref());
    command
        .current_dir(project::root())
        .env("PATH", tool_path());
    command
}

/// The cargo that runs xtask (cargo sets `$CARGO`), so nested builds use the same toolchain.
pub fn cargo() -> Command {
    command(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Where `cargo install` puts binaries: `$CARGO_HOME/bin`, by default `~/.cargo/bin`.
fn cargo_bin_dir() -> Option<PathBuf> {
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))?;
    Some(cargo_home.join("bin"))
}

/// PATH with the tool directories first, so a just-installed tool is found even if the shell's PATH lacks them.
fn tool_path() -> OsString {
    let mut dirs = vec![project::node_modules().join(".bin")];
    dirs.extend(cargo_bin_dir());
    dirs.extend(env::split_paths(&env::var_os("PATH").unwrap_or_default()));
    env::join_paths(dirs).unwrap_or_else(|_| env::var_os("PATH").unwrap_or_default())
}

/// The first match for `program` on the tool PATH.
pub fn find(program: &str) -> Option<PathBuf> {
    env::split_paths(&tool_path())
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// `program --version`, first line, or `None` if it is missing or fails. Quiet: used to probe for tools.
pub fn version_of(program: &str) -> Option<String> {
    let output = command(program)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout.lines().next().map(|line| line.trim().to_owned())
}

/// The command as a person would type it: extra environment first, program by file name.
pub fn describe(command: &Command) -> String {
    let envs = command
        .get_envs()
        .filter(|(key, _)| *key != "PATH")
        .map(|(key, value)| {
            let value = value
                .map(|v| v.to_string_lossy().into_owned())
                .unwrap_or_default();
            format!("{}={value}", key.to_string_lossy())
        });
    let program = Path::new(command.get_program());
    let program = program
        .file_name()
        .unwrap_or(program.as_os_str())
        .to_string_lossy()
        .into_owned();
    let args = command
        .get_args()
        .map(|arg| arg.to_string_lossy().into_owned());
    envs.chain([program])
        .chain(args)
        .collect::<Vec<_>>()
        .join(" ")
}

fn echo(command: &Command) {
    println!("==> {}", describe(command));
}

fn spawn_error(command: &Command, error: io::Error) -> String {
    format!("cannot start `{}`: {error}", describe(command))
}

/// Run to completion with the terminal attached; a non-zero exit is an error.
pub fn run(command: &mut Command) -> Result<(), String> {
    echo(command);
    let status = command
        .status()
        .map_err(|error| spawn_error(command, error))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(command)))
    }
}

/// What a command printed, for counting its tests.
pub struct Captured {
    pub status: ExitStatus,
    pub lines: Vec<String>,
}

/// Run to completion, showing its output live and also keeping it. A non-zero exit is not an error here:
/// the caller reads the output to tell failed tests from a suite that could not run.
pub fn run_captured(command: &mut Command) -> Result<Captured, String> {
    echo(command);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| spawn_error(command, error))?;
    let stdout = child
        .stdout
        .take()
        .map(|pipe| thread::spawn(move || tee(pipe, io::stdout())));
    let stderr = child
        .stderr
        .take()
        .map(|pipe| thread::spawn(move || tee(pipe, io::stderr())));
    let status = child.wait().map_err(|error| spawn_error(command, error))?;
    let mut lines = Vec::new();
    for reader in [stdout, stderr].into_iter().flatten() {
        lines.extend(reader.join().unwrap_or_default());
    }
    Ok(Captured { status, lines })
}

/// Copy `input` to `output` line by line as it arrives, and return the lines (invalid UTF-8 replaced).
fn tee(input: impl Read, mut output: impl Write) -> Vec<String> {
    let mut reader = BufReader::new(input);
    let mut lines = Vec::new();
    let mut buffer = Vec::new();
    while let Ok(read) = reader.read_until(b'\n', &mut buffer) {
        if read == 0 {
            break;
        }
        // A closed terminal must not stop the child: keep reading even if echoing fails.
        let _ = output.write_all(&buffer).and_then(|()| output.flush());
        lines.push(String::from_utf8_lossy(&buffer).trim_end().to_owned());
        buffer.clear();
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_shows_env_program_and_args() {
        let mut command = command("/usr/bin/cargo");
        command
            .env("CHROMEDRIVER", "/usr/bin/chromedriver")
            .args(["test", "-p", "web"]);
        assert_eq!(
            describe(&command),
            "CHROMEDRIVER=/usr/bin/chromedriver cargo test -p web"
        );
    }

    #[test]
    fn tee_keeps_every_line_even_without_a_final_newline() {
        let mut echoed = Vec::new();
        let lines = tee(&b"one\ntwo\r\nthree"[..], &mut echoed);
        assert_eq!(lines, ["one", "two", "three"]);
        assert_eq!(echoed, b"one\ntwo\r\nthree");
    }
}

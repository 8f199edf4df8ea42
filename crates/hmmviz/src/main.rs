//! `hmmviz`: the command-line face of hmmviz. This file defines the command line (clap's derive: `--help`,
//! `--version`, completions and the man page all come from these types) and dispatches; each subcommand
//! lives in its own module and owns its arguments, output and exit code.
//!
//! Exit codes: 0 success; 1 a lesson or lane failed; 2 usage errors (clap's own, and ours: a bad state
//! string, no lesson found); 141 when the reader of stdout went away (`| head`), quietly, as a program
//! killed by SIGPIPE would.

use clap::{CommandFactory, Parser, Subcommand};
use std::io::Write;
use std::process::ExitCode;

mod check;
mod compare;
mod export;
mod run;

#[derive(Parser)]
#[command(
    name = "hmmviz",
    version,
    about = "Linux HMM and device-page migration, simulated: compare the three driver paths, check and run lessons",
    arg_required_else_help = true,
    propagate_version = true,
    after_help = "Exit status: 0 success, 1 a lesson or lane failed, 2 usage error or no lesson found.\n\
                  Lesson format: docs/lessons.md; counters: docs/cli.md."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run legacy A, legacy B and the unified path on one scenario; counters as a table or JSON
    Compare(compare::Args),
    /// Parse, validate and run lessons (files or directories); exit 0 iff all pass
    Check(check::Args),
    /// Run one lesson and summarise its trace: counters, final states, assertions
    Run(run::Args),
    /// Write the three lanes' traces as Chrome / Perfetto trace-event JSON (open it in ui.perfetto.dev)
    Export(export::Args),
    /// Print a completion script for SHELL to stdout
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print hmmviz's man page (roff) to stdout, or one command's (`hmmviz man check`)
    Man {
        /// The command whose page to print (hmmviz-compare(1), …); the main page without it
        #[arg(value_parser = ["compare", "check", "run", "export", "completions"])]
        command: Option<String>,
    },
}

fn main() -> ExitCode {
    // `args_os`: a non-UTF-8 argument is clap's (or a subcommand's) clear error, never a panic.
    let cli = match Cli::try_parse_from(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    match cli.command {
        Command::Compare(args) => compare::main(args),
        Command::Check(args) => check::main(args),
        Command::Run(args) => run::main(args),
        Command::Export(args) => export::main(args),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "hmmviz", &mut script);
            write_all(&script);
            ExitCode::SUCCESS
        }
        Command::Man { command } => {
            let mut cli = Cli::command();
            cli.build();
            // A command's page is named as man(1) expects: hmmviz-check.
            let page_name = |name: &str| match name {
                "compare" => Some("hmmviz-compare"),
                "check" => Some("hmmviz-check"),
                "run" => Some("hmmviz-run"),
                "export" => Some("hmmviz-export"),
                "completions" => Some("hmmviz-completions"),
                _ => None,
            };
            let cmd = match command.as_deref() {
                Some(name) => match (cli.find_subcommand(name), page_name(name)) {
                    (Some(sub), Some(page)) => sub.clone().name(page),
                    _ => return ExitCode::from(2),
                },
                None => cli,
            };
            let mut page = Vec::new();
            if let Err(e) = clap_mangen::Man::new(cmd).render(&mut page) {
                eprintln!("hmmviz man: {e}");
                return ExitCode::FAILURE;
            }
            write_all(&page);
            ExitCode::SUCCESS
        }
    }
}

/// Write to stdout. A closed pipe (`hmmviz run X --json | head -c 10`) ends the program quietly with
/// status 141, as SIGPIPE would; any other write error is reported, status 1. Never a panic.
fn write_all(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        eprintln!("hmmviz: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

/// `println!` through [`write_all`].
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::write_all(format!("{}\n", format_args!($($arg)*)).as_bytes())
    };
}
/// `print!` through [`write_all`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::write_all(format!($($arg)*).as_bytes())
    };
}
pub(crate) use {out, outln};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}

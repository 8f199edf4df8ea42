//! `hmmviz`: the command-line face of hmmviz. This file only dispatches; each subcommand lives in its own
//! module and owns its argument parsing, output and exit code.

use std::process::ExitCode;

mod check;
mod compare;
mod run;

const USAGE: &str = "\
usage: hmmviz <command> [args]

commands:
  compare --pages <STATES> [--json] [--kernel V]
                        run legacy A, legacy B and the unified path on one scenario; counters as JSON
  check PATH...         parse, validate and run lessons (files or directories); exit 0 iff all pass
  run LESSON [--json]   run one lesson and summarise its trace: counters, final states, assertions
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or(&[]);
    match args.first().map(String::as_str) {
        Some("check") => check::main(rest),
        Some("compare") => compare::main(rest),
        Some("run") => run::main(rest),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprint!("hmmviz: unknown command `{other}`\n{USAGE}");
            ExitCode::from(2)
        }
        None => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

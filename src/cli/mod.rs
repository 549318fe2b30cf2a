//! Command line: raw arguments (clap) and their resolution into a [`ScanConfig`].
//!
//! Input: `std::env::args`. Output: the process exit code. This is the only module that
//! prints; the library stages return values.
//!
//! Exit codes (documented in README.md and docs/robustness.md, like `diff` and linters so CI can gate on them):
//! 0 no incident, 1 incidents found, 2 trouble (bad flags or rules, or nothing could be
//! read). `--exit-zero` turns 1 into 0 for pipelines. A broken pipe (`| head`) is not an
//! error.
//!
//! Files of this stage:
//! - `mod.rs` (this file): [`run`], the exit codes;
//! - `args.rs`: the clap definitions (subcommands and their flags);
//! - `resolve.rs`: flag values into a [`ScanConfig`] (zones, globs, sizes, ranges, rules);
//! - `scan.rs`: `faultscope scan` (discovery, shards, the scan, `--emit partial`);
//! - `merge.rs`: `faultscope merge` (partial results into one report);
//! - `stage.rs`: the report stage `scan` and `merge` share: analysis, the report, its
//!   warnings, writing, the exit code;
//! - `tools.rs`: `templates`, `inspect`, `sockets`, `signatures`;
//! - `habits.rs`: `completions`, `man`, and the hint for a path where the subcommand goes;
//! - [`write`](mod@write): where each report goes (`-o`, formats), colors, the progress bar;
//! - [`atomic`]: output files written whole or not at all (temporary file, `fsync`, rename;
//!   SIGINT/SIGTERM remove the temporary file).
//!
//! [`ScanConfig`]: crate::config::ScanConfig

mod args;
pub mod atomic;
mod habits;
mod merge;
mod resolve;
mod scan;
mod stage;
mod tools;
pub mod write;

pub use resolve::{parse_range, parse_size};

use args::{Cli, Command};
use clap::Parser;
use merge::run_merge;
use scan::run_scan;
use tools::{run_inspect, run_signatures, run_sockets, run_templates};

/// Exit code: no incident.
pub const EXIT_CLEAN: i32 = 0;
/// Exit code: incidents found.
pub const EXIT_INCIDENTS: i32 = 1;
/// Exit code: trouble.
pub const EXIT_TROUBLE: i32 = 2;

/// Runs the CLI; returns the exit code.
pub fn run() -> i32 {
    // Before any output file exists: SIGINT/SIGTERM remove unfinished outputs (`atomic`).
    atomic::install_signal_cleanup();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_TROUBLE
            } else {
                EXIT_CLEAN
            };
            let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
            match habits::did_you_mean(&e, &args) {
                Some(hint) => eprintln!("faultscope: error: {hint}"),
                None => {
                    let _ = e.print();
                }
            }
            return code;
        }
    };
    let result = match cli.command {
        Command::Scan(a) => run_scan(*a),
        Command::Signatures(a) => run_signatures(a),
        Command::Inspect(a) => run_inspect(*a),
        Command::Sockets(a) => run_sockets(a),
        Command::Merge(a) => run_merge(*a),
        Command::Templates(a) => run_templates(*a),
        Command::Completions(a) => habits::run_completions(a),
        Command::Man(a) => habits::run_man(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return EXIT_CLEAN;
            }
            eprintln!("faultscope: error: {e:#}");
            EXIT_TROUBLE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

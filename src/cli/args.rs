//! The command line as clap reads it: subcommands and their flags, before any value is
//! checked (`resolve.rs` turns them into a `ScanConfig`; a flag's error names the flag).
//!
//! `scan` and `merge` share [`ReportArgs`], the flags of the report, so the same report comes
//! out of both; `templates` takes the flags of `scan`.

use crate::input::MmapChoice;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "faultscope",
    version,
    about = "Reads the logs of a misbehaving system and prints an outage timeline: what broke, when, how often, and why.",
    after_help = "Exit codes: 0 no incident, 1 incidents found, 2 trouble (bad flags/rules, nothing readable).\n\
                  Examples:\n  faultscope scan /var/log/app /var/log/nginx\n  faultscope scan --format json --tz Asia/Shanghai logs/ > timeline.json\n  faultscope signatures"
)]
pub(super) struct Cli {
    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Subcommand, Debug)]
pub(super) enum Command {
    /// Scan log files and directories and print the outage timeline.
    Scan(Box<ScanArgs>),
    /// List the signature catalog.
    Signatures(SignaturesArgs),
    /// Show how each file's timestamps are read: format, zone and why, records, gaps, order.
    Inspect(Box<InspectArgs>),
    /// Read saved netstat/ss/tasklist/ps dumps and name who holds the ports.
    Sockets(SocketsArgs),
    /// List the templates of error/warning records no signature knows, with counts, first
    /// and last time, services and an example line (takes the options of `scan`).
    Templates(Box<ScanArgs>),
    /// Merge partial results (`scan --emit partial`) and print the report one scan over all
    /// their files would print.
    Merge(Box<MergeArgs>),
    /// Print a shell completion script: bash, zsh, fish, powershell (or elvish).
    Completions(CompletionsArgs),
    /// Print the man page (roff): faultscope(1), or faultscope-SUBCOMMAND(1); --out-dir
    /// writes them all.
    Man(ManArgs),
}

#[derive(Args, Debug)]
pub(super) struct CompletionsArgs {
    /// The shell, e.g. `faultscope completions bash > /etc/bash_completion.d/faultscope`.
    #[arg(value_enum, value_name = "SHELL")]
    pub(super) shell: clap_complete::Shell,
}

#[derive(Args, Debug)]
pub(super) struct ManArgs {
    /// A subcommand whose page to print (faultscope-scan(1) for `scan`).
    #[arg(value_name = "SUBCOMMAND", conflicts_with = "out_dir")]
    pub(super) subcommand: Option<String>,
    /// Write every page (faultscope.1, faultscope-scan.1, ...) into DIR instead.
    #[arg(long = "out-dir", value_name = "DIR")]
    pub(super) out_dir: Option<PathBuf>,
}

/// `scan --emit`: what the scan writes instead of a report.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(super) enum Emit {
    /// A partial result (JSON, `faultscope-partial/2`) for `faultscope merge`.
    Partial,
}

#[derive(Args, Debug)]
pub(super) struct MergeArgs {
    /// Partial results written by `faultscope scan --emit partial` (plain or gzip).
    #[arg(required = true, value_name = "PART")]
    pub(super) parts: Vec<PathBuf>,
    #[command(flatten)]
    pub(super) report: ReportArgs,
    /// The --rules files the partials were scanned with (the catalogs must match).
    #[arg(long, value_name = "FILE")]
    pub(super) rules: Vec<PathBuf>,
    /// Explain on stderr: partials read, files, hits, timings.
    #[arg(long)]
    pub(super) debug: bool,
}

#[derive(Args, Debug)]
pub(super) struct SocketsArgs {
    /// Dump files or directories (netstat -ano/-anob/-tanp, ss -tanp, tasklist, ps), found by content.
    #[arg(required = true, value_name = "PATH")]
    pub(super) paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub(super) format: OutputFormat,
    /// Ephemeral port range, e.g. 49152-65535 (default: by OS of the dump).
    #[arg(long = "ephemeral-range", value_name = "LO-HI")]
    pub(super) ephemeral_range: Option<String>,
    /// Zone for capture times written without one (default: TZ, else this machine's zone).
    #[arg(long, value_name = "ZONE", allow_hyphen_values = true)]
    pub(super) tz: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(super) enum OutputFormat {
    Text,
    Json,
}

/// Report flags shared by `scan` and `merge` (the same report comes out of both).
#[derive(Args, Debug)]
pub(super) struct ReportArgs {
    /// Output format: text, json, markdown, html, ndjson, junit. Repeat or comma-separate
    /// for several at once (then -o is a prefix).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "text")]
    pub(super) format: Vec<crate::cli::write::ReportFormat>,
    /// Write the report to FILE instead of stdout; with several --format, FILE is a prefix
    /// (FILE.txt, FILE.json, FILE.md, FILE.html, FILE.ndjson, FILE.xml).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub(super) output: Option<PathBuf>,
    /// Colors in text output: auto (on a terminal; off in pipes and with NO_COLOR), always, never.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub(super) color: crate::cli::write::ColorWhen,
    /// Write the time of this run into the report (off by default: reports are reproducible).
    #[arg(long)]
    pub(super) now: bool,
    /// Hits closer than this merge into one incident (90s, 2m, 5m).
    #[arg(long, default_value = "2m", value_name = "DURATION")]
    pub(super) gap: String,
    /// Zone used to display times in text output (default: the assumed zone).
    #[arg(long = "display-tz", value_name = "ZONE", allow_hyphen_values = true)]
    pub(super) display_tz: Option<String>,
    /// Exit 0 even when incidents are found.
    #[arg(long = "exit-zero")]
    pub(super) exit_zero: bool,
    /// What sets exit status 1: critical (critical incidents only), error (any incident; the
    /// default), any (also critical/error evidence outside incidents: isolated events). See docs/ci.md.
    #[arg(
        long = "fail-on",
        value_enum,
        default_value = "error",
        value_name = "LEVEL"
    )]
    pub(super) fail_on: crate::report::gate::FailOn,
    /// Remove the clock skews found between sources (reported either way) before building
    /// the timeline.
    #[arg(long = "correct-skew")]
    pub(super) correct_skew: bool,
    /// Deprecated and ignored: unknown error templates are signals of the rate detector
    /// (docs/how-it-works.md), whose thresholds are statistics, not a record count.
    #[arg(long = "burst-min", value_name = "N", hide = true)]
    pub(super) burst_min: Option<usize>,
}

#[derive(Args, Debug)]
pub(super) struct ScanArgs {
    /// Log files or directories (recursive; .gz read transparently).
    #[arg(required = true, value_name = "PATH")]
    pub(super) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(super) report: ReportArgs,
    /// Include or exclude files under the roots, like ripgrep's -g: GLOB matches the path
    /// under the root, `!GLOB` excludes, the later of two matching patterns wins
    /// (repeatable), e.g. -g '!*_structured.csv'.
    #[arg(
        short = 'g',
        long = "glob",
        value_name = "GLOB",
        allow_hyphen_values = true
    )]
    pub(super) glob: Vec<String>,
    /// Zone for timestamps without one: +08:00, -02:00, UTC, Asia/Shanghai. Default: inferred
    /// from files that state their offset, else TZ, else this machine's zone.
    #[arg(long, value_name = "ZONE", allow_hyphen_values = true)]
    pub(super) tz: Option<String>,
    /// Zone for the files matching GLOB (repeatable; first match wins), e.g. 'nginx/*=UTC'.
    #[arg(long = "tz-for", value_name = "GLOB=ZONE")]
    pub(super) tz_for: Vec<String>,
    /// Resolve a zone abbreviation found in logs, e.g. CST=+08:00 or CST=Asia/Shanghai (repeatable).
    #[arg(long = "tz-alias", value_name = "ABBR=ZONE")]
    pub(super) tz_alias: Vec<String>,
    /// Year of the last record for stamps without a year (syslog, klog, logcat). Default: each file's mtime.
    #[arg(long, value_name = "YEAR", value_parser = clap::value_parser!(i32).range(1970..=2200))]
    pub(super) year: Option<i32>,
    /// Extra signatures: a JSON or TOML rules file that adds, overrides or disables entries (repeatable).
    #[arg(long, value_name = "FILE")]
    pub(super) rules: Vec<PathBuf>,
    /// Service name for files matching GLOB (repeatable), e.g. '**/gw*.log=zuul-gateway'.
    #[arg(long, value_name = "GLOB=NAME")]
    pub(super) service: Vec<String>,
    /// Worker threads (default: all cores).
    #[arg(short = 'j', long, value_name = "N")]
    pub(super) threads: Option<usize>,
    /// Follow symbolic links met inside directories (loops are detected).
    #[arg(long)]
    pub(super) follow: bool,
    /// Memory-map policy: auto maps only large files not modified in the last 30 s.
    #[arg(long, value_enum, default_value = "auto")]
    pub(super) mmap: MmapChoice,
    /// Stop decompressing a .gz after this many bytes (e.g. 512M, 4G).
    #[arg(long = "max-decompressed", value_name = "SIZE")]
    pub(super) max_decompressed: Option<String>,
    /// A saved netstat/ss/tasklist/ps dump to use as host evidence (repeatable). Dumps lying
    /// among the scanned paths are found by content without this flag.
    #[arg(long, value_name = "FILE")]
    pub(super) sockets: Vec<PathBuf>,
    /// Ephemeral port range for socket dumps, e.g. 49152-65535 (default: by OS of the dump).
    #[arg(long = "ephemeral-range", value_name = "LO-HI")]
    pub(super) ephemeral_range: Option<String>,
    /// Explain decisions on stderr: formats, zones, read mode, timings.
    #[arg(long)]
    pub(super) debug: bool,
    /// Store at most N hits, the earliest (more are counted, not stored; 0 = no limit).
    /// Unknown error/warning records are summarised, not stored, and need no bound.
    #[arg(long = "max-hits", value_name = "N", default_value_t = crate::config::DEFAULT_MAX_HITS)]
    pub(super) max_hits: usize,
    /// Scan only the I-th of N shares of the discovered files (0-based, e.g. 0/4 ... 3/4),
    /// chosen by a stable hash of each path: N workers given the same paths split them
    /// without talking.
    #[arg(long, value_name = "I/N")]
    pub(super) shard: Option<String>,
    /// Show every path with PREFIX in front, e.g. `web-01:` (hosts with the same layout then
    /// merge side by side; files are still opened at their real path).
    #[arg(long = "path-prefix", value_name = "PREFIX")]
    pub(super) path_prefix: Option<String>,
    /// Write a partial result for `faultscope merge` instead of a report (to -o FILE, gzip
    /// when FILE ends in .gz, or stdout). Report options (--format, --gap, --display-tz, ...)
    /// belong to the merge; --exit-zero and --fail-on are accepted and ignored (a partial
    /// exits 0 unless there is trouble), so one command line serves every worker.
    #[arg(long, value_enum, value_name = "WHAT",
          conflicts_with_all = ["format", "gap", "display_tz", "color", "now", "burst_min", "correct_skew"])]
    pub(super) emit: Option<Emit>,
}

#[derive(Args, Debug)]
pub(super) struct SignaturesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub(super) format: OutputFormat,
    /// Print the catalog's regexes one per line (for rg -f / grep -f).
    #[arg(long = "export-patterns")]
    pub(super) export_patterns: bool,
    /// Rules files applied before listing.
    #[arg(long, value_name = "FILE")]
    pub(super) rules: Vec<PathBuf>,
    /// Only entries of these stacks (repeatable or comma-separated: --stack python,redis).
    #[arg(long, value_name = "STACK", value_delimiter = ',')]
    pub(super) stack: Vec<String>,
    /// Only entries of these categories (repeatable or comma-separated: --category timeout,dns).
    #[arg(long, value_name = "CATEGORY", value_delimiter = ',')]
    pub(super) category: Vec<String>,
}

#[derive(Args, Debug)]
pub(super) struct InspectArgs {
    /// Log files or directories (recursive; .gz read transparently).
    #[arg(required = true, value_name = "PATH")]
    pub(super) paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub(super) format: OutputFormat,
    /// Print one NDJSON object {"path","line","time"} per record instead of the summary.
    #[arg(long)]
    pub(super) records: bool,
    /// Largest gaps shown per file.
    #[arg(long, default_value = "5", value_name = "N")]
    pub(super) gaps: usize,
    /// Zone for timestamps without one: +08:00, -02:00, UTC, Asia/Shanghai. Default: inferred
    /// from files that state their offset, else TZ, else this machine's zone.
    #[arg(long, value_name = "ZONE", allow_hyphen_values = true)]
    pub(super) tz: Option<String>,
    /// Zone for the files matching GLOB (repeatable; first match wins), e.g. 'nginx/*=UTC'.
    #[arg(long = "tz-for", value_name = "GLOB=ZONE")]
    pub(super) tz_for: Vec<String>,
    /// Resolve a zone abbreviation found in logs, e.g. CST=+08:00 or CST=Asia/Shanghai (repeatable).
    #[arg(long = "tz-alias", value_name = "ABBR=ZONE")]
    pub(super) tz_alias: Vec<String>,
    /// Year of the last record for stamps without a year (syslog, klog, logcat). Default: each file's mtime.
    #[arg(long, value_name = "YEAR", value_parser = clap::value_parser!(i32).range(1970..=2200))]
    pub(super) year: Option<i32>,
    /// Follow symbolic links met inside directories (loops are detected).
    #[arg(long)]
    pub(super) follow: bool,
    /// Include or exclude files under the roots, like ripgrep's -g (see `scan --help`).
    #[arg(
        short = 'g',
        long = "glob",
        value_name = "GLOB",
        allow_hyphen_values = true
    )]
    pub(super) glob: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

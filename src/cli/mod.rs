//! Command line: raw arguments (clap) and their resolution into a [`ScanConfig`].
//!
//! Input: `std::env::args`. Output: the process exit code. This is the only module that
//! prints; the library stages return values.
//!
//! Exit codes (documented in the README, like `diff` and linters so CI can gate on them):
//! 0 no incident, 1 incidents found, 2 trouble (bad flags or rules, or nothing could be
//! read). `--exit-zero` turns 1 into 0 for pipelines. A broken pipe (`| head`) is not an
//! error.

pub mod write;

use crate::analysis::incidents as cluster;
use crate::catalog::Catalog;
use crate::config::{ScanConfig, ZoneFor};
use crate::evidence::sockets;
use crate::input::discover::{self, DiscoverOptions, ServiceRule};
use crate::input::{InputOptions, MmapChoice, DEFAULT_MAX_DECOMPRESSED};
use crate::scaleout::{Partial, Shard};
use crate::time::{parse_duration, Zone, ZoneReason};
use crate::{report, scan};
use clap::{Args, Parser, Subcommand, ValueEnum};
use globset::Glob;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Exit code: no incident.
pub const EXIT_CLEAN: i32 = 0;
/// Exit code: incidents found.
pub const EXIT_INCIDENTS: i32 = 1;
/// Exit code: trouble.
pub const EXIT_TROUBLE: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "faultscope",
    version,
    about = "Reads the logs of a misbehaving system and prints an outage timeline: what broke, when, how often, and why.",
    after_help = "Exit codes: 0 no incident, 1 incidents found, 2 trouble (bad flags/rules, nothing readable).\n\
                  Examples:\n  faultscope scan /var/log/app /var/log/nginx\n  faultscope scan --format json --tz Asia/Shanghai logs/ > timeline.json\n  faultscope signatures"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
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
}

/// `scan --emit`: what the scan writes instead of a report.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Emit {
    /// A partial result (JSON, `faultscope-partial/1`) for `faultscope merge`.
    Partial,
}

#[derive(Args, Debug)]
struct MergeArgs {
    /// Partial results written by `faultscope scan --emit partial` (plain or gzip).
    #[arg(required = true, value_name = "PART")]
    parts: Vec<PathBuf>,
    #[command(flatten)]
    report: ReportArgs,
    /// The --rules files the partials were scanned with (the catalogs must match).
    #[arg(long, value_name = "FILE")]
    rules: Vec<PathBuf>,
    /// Explain on stderr: partials read, files, hits, timings.
    #[arg(long)]
    debug: bool,
}

#[derive(Args, Debug)]
struct SocketsArgs {
    /// Dump files or directories (netstat -ano/-anob/-tanp, ss -tanp, tasklist, ps), found by content.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,
    /// Ephemeral port range, e.g. 49152-65535 (default: by OS of the dump).
    #[arg(long = "ephemeral-range", value_name = "LO-HI")]
    ephemeral_range: Option<String>,
    /// Zone for capture times written without one (default: this machine's zone).
    #[arg(long, value_name = "ZONE")]
    tz: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum OutputFormat {
    Text,
    Json,
}

/// Report flags shared by `scan` and `merge` (the same report comes out of both).
#[derive(Args, Debug)]
struct ReportArgs {
    /// Output format: text, json, markdown, html, ndjson. Repeat or comma-separate for
    /// several at once (then -o is a prefix).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "text")]
    format: Vec<crate::cli::write::ReportFormat>,
    /// Write the report to FILE instead of stdout; with several --format, FILE is a prefix
    /// (FILE.txt, FILE.json, FILE.md, FILE.html, FILE.ndjson).
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Colors in text output: auto (on a terminal; off in pipes and with NO_COLOR), always, never.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    color: crate::cli::write::ColorWhen,
    /// Write the time of this run into the report (off by default: reports are reproducible).
    #[arg(long)]
    now: bool,
    /// Hits closer than this merge into one incident (90s, 2m, 5m).
    #[arg(long, default_value = "2m", value_name = "DURATION")]
    gap: String,
    /// Zone used to display times in text output (default: the assumed zone).
    #[arg(long = "display-tz", value_name = "ZONE", allow_hyphen_values = true)]
    display_tz: Option<String>,
    /// Exit 0 even when incidents are found.
    #[arg(long = "exit-zero")]
    exit_zero: bool,
    /// Records of one unknown error template that make a burst (an incident) within --gap,
    /// at 10x its rate in the rest of the logs (and, for a template with 5 or more such
    /// clumps, at 10x its median clump rate).
    #[arg(long = "burst-min", default_value_t = crate::analysis::templates::DEFAULT_BURST_MIN, value_name = "N")]
    burst_min: usize,
}

#[derive(Args, Debug)]
struct ScanArgs {
    /// Log files or directories (recursive; .gz read transparently).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    report: ReportArgs,
    /// Zone for timestamps without one: +08:00, UTC, Asia/Shanghai. Default: this machine's zone.
    #[arg(long, value_name = "ZONE", allow_hyphen_values = true)]
    tz: Option<String>,
    /// Zone for the files matching GLOB (repeatable; first match wins), e.g. 'nginx/*=UTC'.
    #[arg(long = "tz-for", value_name = "GLOB=ZONE")]
    tz_for: Vec<String>,
    /// Resolve a zone abbreviation found in logs, e.g. CST=+08:00 or CST=Asia/Shanghai (repeatable).
    #[arg(long = "tz-alias", value_name = "ABBR=ZONE")]
    tz_alias: Vec<String>,
    /// Year of the last record for stamps without a year (syslog, klog, logcat). Default: each file's mtime.
    #[arg(long, value_name = "YEAR", value_parser = clap::value_parser!(i32).range(1970..=2200))]
    year: Option<i32>,
    /// Extra signatures: a JSON or TOML rules file that adds, overrides or disables entries (repeatable).
    #[arg(long, value_name = "FILE")]
    rules: Vec<PathBuf>,
    /// Service name for files matching GLOB (repeatable), e.g. '**/gw*.log=zuul-gateway'.
    #[arg(long, value_name = "GLOB=NAME")]
    service: Vec<String>,
    /// Worker threads (default: all cores).
    #[arg(short = 'j', long, value_name = "N")]
    threads: Option<usize>,
    /// Follow symbolic links met inside directories (loops are detected).
    #[arg(long)]
    follow: bool,
    /// Memory-map policy: auto maps only large files not modified in the last 30 s.
    #[arg(long, value_enum, default_value = "auto")]
    mmap: MmapChoice,
    /// Stop decompressing a .gz after this many bytes (e.g. 512M, 4G).
    #[arg(long = "max-decompressed", value_name = "SIZE")]
    max_decompressed: Option<String>,
    /// A saved netstat/ss/tasklist/ps dump to use as host evidence (repeatable). Dumps lying
    /// among the scanned paths are found by content without this flag.
    #[arg(long, value_name = "FILE")]
    sockets: Vec<PathBuf>,
    /// Ephemeral port range for socket dumps, e.g. 49152-65535 (default: by OS of the dump).
    #[arg(long = "ephemeral-range", value_name = "LO-HI")]
    ephemeral_range: Option<String>,
    /// Explain decisions on stderr: formats, zones, read mode, timings.
    #[arg(long)]
    debug: bool,
    /// Store at most N hits, the earliest, and at most N unknown error/warning records for
    /// template mining (more are counted, not stored; 0 = no limit).
    #[arg(long = "max-hits", value_name = "N", default_value_t = crate::config::DEFAULT_MAX_HITS)]
    max_hits: usize,
    /// Scan only the I-th of N shares of the discovered files (0-based, e.g. 0/4 ... 3/4),
    /// chosen by a stable hash of each path: N workers given the same paths split them
    /// without talking.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Show every path with PREFIX in front, e.g. `web-01:` (hosts with the same layout then
    /// merge side by side; files are still opened at their real path).
    #[arg(long = "path-prefix", value_name = "PREFIX")]
    path_prefix: Option<String>,
    /// Write a partial result for `faultscope merge` instead of a report (to -o FILE, gzip
    /// when FILE ends in .gz, or stdout). Report options (--format, --gap, --display-tz, ...)
    /// belong to the merge.
    #[arg(long, value_enum, value_name = "WHAT",
          conflicts_with_all = ["format", "gap", "display_tz", "color", "now", "exit_zero", "burst_min"])]
    emit: Option<Emit>,
}

#[derive(Args, Debug)]
struct SignaturesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,
    /// Print the catalog's regexes one per line (for rg -f / grep -f).
    #[arg(long = "export-patterns")]
    export_patterns: bool,
    /// Rules files applied before listing.
    #[arg(long, value_name = "FILE")]
    rules: Vec<PathBuf>,
}

#[derive(Args, Debug)]
struct InspectArgs {
    /// Log files or directories (recursive; .gz read transparently).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,
    /// Print one NDJSON object {"path","line","time"} per record instead of the summary.
    #[arg(long)]
    records: bool,
    /// Largest gaps shown per file.
    #[arg(long, default_value = "5", value_name = "N")]
    gaps: usize,
    /// Zone for timestamps without one: +08:00, UTC, Asia/Shanghai. Default: this machine's zone.
    #[arg(long, value_name = "ZONE")]
    tz: Option<String>,
    /// Zone for the files matching GLOB (repeatable; first match wins), e.g. 'nginx/*=UTC'.
    #[arg(long = "tz-for", value_name = "GLOB=ZONE")]
    tz_for: Vec<String>,
    /// Resolve a zone abbreviation found in logs, e.g. CST=+08:00 or CST=Asia/Shanghai (repeatable).
    #[arg(long = "tz-alias", value_name = "ABBR=ZONE")]
    tz_alias: Vec<String>,
    /// Year of the last record for stamps without a year (syslog, klog, logcat). Default: each file's mtime.
    #[arg(long, value_name = "YEAR", value_parser = clap::value_parser!(i32).range(1970..=2200))]
    year: Option<i32>,
    /// Follow symbolic links met inside directories (loops are detected).
    #[arg(long)]
    follow: bool,
}

/// Runs the CLI; returns the exit code.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_TROUBLE
            } else {
                EXIT_CLEAN
            };
            let _ = e.print();
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

fn load_catalog(rules: &[PathBuf]) -> anyhow::Result<Catalog> {
    let mut cat = Catalog::builtin()?;
    for r in rules {
        cat.apply_rules_file(r)?;
    }
    Ok(cat)
}

/// Parses `49152-65535`.
pub fn parse_range(s: &str) -> Result<(u16, u16), String> {
    let (a, b) = s
        .split_once(['-', ':'])
        .ok_or_else(|| format!("`{s}`: expected LO-HI, e.g. 49152-65535"))?;
    let lo: u16 = a
        .trim()
        .parse()
        .map_err(|_| format!("`{a}` is not a port"))?;
    let hi: u16 = b
        .trim()
        .parse()
        .map_err(|_| format!("`{b}` is not a port"))?;
    if lo == 0 || lo > hi {
        return Err(format!("`{s}`: need 1 <= LO <= HI <= 65535"));
    }
    Ok((lo, hi))
}

/// Parses `512M`, `4G`, `1000`, `64KiB`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size (try 512M, 4G)"))?;
    let mult: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        "T" | "TB" | "TIB" => 1 << 40,
        _ => return Err(format!("`{s}`: unknown size unit (use K, M, G)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{s}` is too large"))
}

fn flag_err(flag: &str, reason: String) -> anyhow::Error {
    crate::Error::Flag {
        flag: flag.to_string(),
        reason,
    }
    .into()
}

fn split_eq<'a>(flag: &str, s: &'a str) -> anyhow::Result<(&'a str, &'a str)> {
    s.rsplit_once('=')
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .ok_or_else(|| flag_err(flag, format!("`{s}`: expected KEY=VALUE")))
}

/// Resolves raw scan arguments into the engine configuration.
fn resolve(a: &ScanArgs) -> anyhow::Result<ScanConfig> {
    let catalog = load_catalog(&a.rules)?;
    let matcher = catalog.compile()?;
    let gap = parse_duration(&a.report.gap).map_err(|e| flag_err("--gap", e))?;
    if gap <= chrono::Duration::zero() {
        return Err(flag_err("--gap", "must be positive".into()));
    }
    let (tz, tz_reason) = match &a.tz {
        Some(z) => (
            Zone::parse(z).map_err(|e| flag_err("--tz", e))?,
            ZoneReason::Flag,
        ),
        None => (Zone::local(), ZoneReason::DefaultLocal),
    };
    let mut tz_for = Vec::new();
    for s in &a.tz_for {
        let (g, z) = split_eq("--tz-for", s)?;
        tz_for.push(ZoneFor {
            glob: Glob::new(g)
                .map_err(|e| flag_err("--tz-for", format!("`{g}`: {e}")))?
                .compile_matcher(),
            zone: Zone::parse(z).map_err(|e| flag_err("--tz-for", e))?,
        });
    }
    let mut tz_alias = BTreeMap::new();
    for s in &a.tz_alias {
        let (abbr, z) = split_eq("--tz-alias", s)?;
        tz_alias.insert(
            abbr.to_string(),
            Zone::parse(z).map_err(|e| flag_err("--tz-alias", e))?,
        );
    }
    let services = a
        .service
        .iter()
        .map(|s| ServiceRule::parse(s).map_err(|e| flag_err("--service", e)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let max_decompressed = match &a.max_decompressed {
        Some(s) => parse_size(s).map_err(|e| flag_err("--max-decompressed", e))?,
        None => DEFAULT_MAX_DECOMPRESSED,
    };
    Ok(ScanConfig {
        roots: a.paths.clone(),
        discover: DiscoverOptions {
            follow: a.follow,
            services,
        },
        input: InputOptions {
            mmap: a.mmap,
            max_decompressed,
        },
        threads: a.threads.unwrap_or(0),
        gap,
        tz,
        tz_reason,
        tz_for,
        tz_alias,
        chunk_size: crate::config::DEFAULT_CHUNK,
        catalog,
        matcher,
        debug: a.debug,
        year: a.year,
        sockets: a.sockets.clone(),
        ephemeral_range: match &a.ephemeral_range {
            Some(r) => Some(parse_range(r).map_err(|e| flag_err("--ephemeral-range", e))?),
            None => None,
        },
        max_hits: a.max_hits,
        path_prefix: a.path_prefix.clone().unwrap_or_default(),
    })
}

fn run_scan(a: ScanArgs) -> anyhow::Result<i32> {
    let t0 = Instant::now();
    let cfg = resolve(&a)?;
    let shard = match &a.shard {
        Some(s) => Some(Shard::parse(s).map_err(|e| flag_err("--shard", e))?),
        None => None,
    };
    let display = match &a.report.display_tz {
        Some(z) => Zone::parse(z).map_err(|e| flag_err("--display-tz", e))?,
        None => cfg.tz.clone(),
    };
    if cfg.threads > 0 {
        // Ignore "already initialised" (tests may call run twice in one process).
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(cfg.threads)
            .build_global();
    }
    let debug = |msg: String| {
        if cfg.debug {
            eprintln!("debug: {msg}");
        }
    };
    debug(format!(
        "catalog: {} signatures, {} patterns; threads: {}; gap {}s; naive zone {} ({})",
        cfg.catalog.signatures.len(),
        cfg.matcher.pattern_sig.len(),
        rayon::current_num_threads(),
        cfg.gap.num_seconds(),
        cfg.tz,
        cfg.tz_reason.describe()
    ));
    if cfg.debug {
        debug(format!(
            "chunks: files above {} MiB are scanned in line-aligned chunks of that size",
            cfg.chunk_size >> 20
        ));
    }
    let t_disc = Instant::now();
    let disc = discover::discover(&cfg.roots, &cfg.discover);
    debug(format!(
        "discovered {} files, {} problems in {:.1?}",
        disc.sources.len(),
        disc.problems.len(),
        t_disc.elapsed()
    ));
    let mut sources = disc.sources;
    // Problems keep their place in discovery: a merge of shards orders them as one scan.
    let mut problems: Vec<(usize, discover::Problem)> =
        disc.problems.into_iter().enumerate().collect();
    if !cfg.path_prefix.is_empty() {
        for (_, p) in &mut problems {
            p.path = PathBuf::from(format!("{}{}", cfg.path_prefix, p.path.display()));
        }
    }
    if let Some(sh) = shard {
        // The key is the path as shown (with --path-prefix), like a problem's.
        let prefix = &cfg.path_prefix;
        sources.retain(|s| sh.owns(Path::new(&format!("{prefix}{}", s.path.display()))));
        problems.retain(|(_, p)| sh.owns(&p.path));
        debug(format!(
            "shard {sh}: {} files, {} problems",
            sources.len(),
            problems.len()
        ));
    }
    let dests = match a.emit {
        Some(Emit::Partial) => Vec::new(),
        None => crate::cli::write::destinations(&a.report.format, a.report.output.as_deref())
            .map_err(|e| flag_err("--format", e))?,
    };
    let t_scan = Instant::now();
    let bar = crate::cli::write::Progress::allowed() && !cfg.debug;
    let progress = crate::cli::write::Progress::start(
        sources.iter().filter_map(|s| s.size).sum(),
        if bar {
            sources
                .iter()
                .filter(|s| s.size.is_none())
                .map(|s| s.path.clone())
                .collect()
        } else {
            Vec::new()
        },
        bar,
    );
    let out = scan::scan(&sources, &cfg);
    progress.finish();
    let scan_time = t_scan.elapsed();
    if cfg.debug {
        debug(match cfg.matcher.prefilter() {
            Ok(pf) => format!(
                "prefilter: {} over {} necessary literals (regex only on lines holding one): {:?}",
                pf.engine(),
                pf.literals().len(),
                pf.literals()
                    .iter()
                    .map(|l| String::from_utf8_lossy(l))
                    .collect::<Vec<_>>()
            ),
            Err(why) => format!("prefilter: off ({why}): the automaton reads every byte"),
        });
    }
    // Only under --debug: built unconditionally, these 100,000 lines cost 2% of the CPU of
    // a scan of the bench's small-files corpus, on the main thread.
    for f in out.files.iter().filter(|_| cfg.debug) {
        debug(format!(
            "{}: service={} format={} [{}] zone={} ({}) access={} bytes={} lines={} records={} matched_lines={} hits={}",
            f.path,
            f.service,
            f.format.map_or("none", |x| x.id()),
            f.time_detail,
            f.zone,
            f.zone_reason.map_or("-", |r| r.describe()),
            f.access
                .map(|x| format!("{x:?}").to_lowercase())
                .unwrap_or_else(|| "-".into()),
            f.bytes,
            f.lines,
            f.records,
            f.matched_lines,
            f.hits
        ));
    }
    if cfg.debug {
        // Three passes over every file's result: only when shown.
        debug(format!(
            "totals: files={} bytes={} lines={} matched_lines={} hits={}",
            out.files.len(),
            out.files.iter().map(|f| f.bytes).sum::<u64>(),
            out.files.iter().map(|f| f.lines).sum::<u64>(),
            out.files.iter().map(|f| f.matched_lines).sum::<u64>(),
            out.hits.len()
        ));
    }
    if a.emit == Some(Emit::Partial) {
        return emit_partial(&a, &cfg, shard, out, problems, &debug, scan_time, t0);
    }
    let scanned = Scanned {
        out,
        problems: problems.into_iter().map(|(_, p)| p).collect(),
        socket_files: sockets::read_socket_files(&cfg.sockets, &cfg.input),
    };
    let opts = ReportOpts {
        dests,
        burst_min: a.report.burst_min,
        color: a.report.color,
        now: a.report.now,
        exit_zero: a.report.exit_zero,
        display,
    };
    let code = report_stage(&cfg, scanned, &opts, &debug, Some(scan_time), t0);
    // The discovered sources (a path, a relative path and a service per file): freed on the
    // main thread they took 35 ms of the 100,000-file bench corpus's wall time.
    free_in_background(sources, "the file list", &debug);
    code
}

/// `scan --emit partial`: the scan output of this share, for `faultscope merge`.
#[allow(clippy::too_many_arguments)]
fn emit_partial(
    a: &ScanArgs,
    cfg: &ScanConfig,
    shard: Option<Shard>,
    out: scan::ScanOutput,
    problems: Vec<(usize, discover::Problem)>,
    debug: &dyn Fn(String),
    scan_time: std::time::Duration,
    t0: Instant,
) -> anyhow::Result<i32> {
    for f in &out.files {
        if let Some(e) = &f.error {
            eprintln!("faultscope: error: {}", report::escape_control(&e.message));
        }
    }
    // The merge reads the zone back from its name: it must mean the same zone there.
    if Zone::parse(&cfg.tz.to_string()).ok().as_ref() != Some(&cfg.tz) {
        return Err(flag_err(
            "--tz",
            format!(
                "this machine's zone ({}) has no name a merge can read back; pass --tz",
                cfg.tz
            ),
        ));
    }
    // The --sockets files travel once: in shard 0 (or in every unsharded partial; the merge
    // takes the first).
    let socket_files = shard
        .map_or(true, |s| s.index == 0)
        .then(|| sockets::read_socket_files(&cfg.sockets, &cfg.input));
    let mut part = Partial::new(cfg, shard, out, problems, socket_files);
    part.rules = a.rules.iter().map(|p| p.display().to_string()).collect();
    let written = match &a.report.output {
        Some(p) => part
            .write_file(p)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?,
        None => {
            let json = part.to_json();
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(json.as_bytes())?;
            stdout.flush()?;
            json.len() as u64
        }
    };
    debug(format!(
        "partial: {} files, {} hits, {} bytes; timings: scan {:.1?}, total {:.1?}",
        part.files.len(),
        part.hits.len(),
        written,
        scan_time,
        t0.elapsed()
    ));
    Ok(EXIT_CLEAN)
}

/// What the report stage reads: the scan output (of one scan, or merged partials) and what
/// comes with it.
struct Scanned {
    out: scan::ScanOutput,
    problems: Vec<discover::Problem>,
    socket_files: Vec<sockets::SocketFile>,
}

/// Report-time choices.
struct ReportOpts {
    dests: Vec<(crate::cli::write::ReportFormat, Option<PathBuf>)>,
    burst_min: usize,
    color: crate::cli::write::ColorWhen,
    now: bool,
    exit_zero: bool,
    display: Zone,
}

/// Cluster → sockets → report → render, and the exit code. `scan` and `merge` share it, so
/// a merge of partials prints what one scan prints.
fn report_stage(
    cfg: &ScanConfig,
    s: Scanned,
    o: &ReportOpts,
    debug: &dyn Fn(String),
    scan_time: Option<std::time::Duration>,
    t0: Instant,
) -> anyhow::Result<i32> {
    let out = &s.out;
    let t_cl = Instant::now();
    let files = &out.files;
    let mut clusters = cluster::cluster(&out.hits, &cfg.catalog, cfg.gap, &|f| {
        files[f as usize].service.to_string()
    });
    let t_tpl = Instant::now();
    let analysis = mine_unknown(out, cfg, o.burst_min);
    debug(format!(
        "templates: {} unknown error/warning records → {} templates, {} bursts in {:.1?}",
        out.unknown.len(),
        analysis.templates.len(),
        analysis.bursts.len(),
        t_tpl.elapsed()
    ));
    cluster::merge_templates(&mut clusters, analysis, &out.unknown, cfg.gap, &|f| {
        files[f as usize].service.to_string()
    });
    if cfg.debug {
        for inc in &clusters.incidents {
            debug(format!(
                "incident #{}: {} opening/attached hits merged (gap < {}s); root {} chosen as lowest layer among {:?}",
                inc.id,
                inc.hits.len(),
                cfg.gap.num_seconds(),
                match inc.kind {
                    cluster::RootKind::Signature => cfg.catalog.signatures[inc.root as usize].id.clone(),
                    cluster::RootKind::Template => format!("an unknown template burst ({} bursts)", inc.bursts.len()),
                },
                inc.chain
                    .iter()
                    .map(|&s| format!(
                        "{}(L{})",
                        cfg.catalog.signatures[s as usize].id,
                        cfg.catalog.signatures[s as usize].layer.map_or("-".into(), |l| l.to_string())
                    ))
                    .collect::<Vec<_>>()
            ));
        }
    }
    let cluster_time = t_cl.elapsed();
    let t_build = Instant::now();
    let last_log = out.files.iter().filter_map(|f| f.last).max();
    let (sockets, socket_problems) = sockets::analyze_sockets_with(
        &out.dumps,
        &s.socket_files,
        last_log,
        cfg.ephemeral_range,
        &cfg.tz,
    );
    // The zone hints read every file's offsets: they run beside the report's build (one pass
    // over 100,000 files is ~1.5 ms that otherwise kept a core idle after the scan).
    let (mut report, zone_warnings) = rayon::join(
        || report::build(out, &clusters, cfg, &s.problems, sockets),
        || crate::analysis::clock::hints::likely_zone_warnings(&out.files),
    );
    report.warnings.extend(socket_problems);
    report.warnings.extend(zone_warnings);
    if out.hits_dropped > 0 {
        let through = out
            .hits
            .iter()
            .rev()
            .find_map(|h| h.time)
            .map_or_else(|| "-".to_string(), crate::time::rfc3339);
        report.warnings.push(format!(
            "--max-hits {} reached: stored the {} earliest hits (timeline complete through {through}); \
             {} more were counted but not stored, so later incidents are missing and counts are lower \
             bounds. Raise --max-hits (0 = no limit) to see them",
            cfg.max_hits,
            out.hits.len(),
            out.hits_dropped
        ));
    }
    if out.unknown_dropped > 0 {
        report.warnings.push(format!(
            "--max-hits {} reached for unknown error/warning records: kept the {} earliest for \
             template mining, {} more were counted but not kept, so template counts are lower \
             bounds and later bursts may be missing. Raise --max-hits (0 = no limit) to see them",
            cfg.max_hits,
            out.unknown.len(),
            out.unknown_dropped
        ));
    }
    let build_time = t_build.elapsed();
    for w in &report.warnings {
        eprintln!("faultscope: warning: {}", report::escape_control(w));
    }
    for f in &report.files {
        if let Some(e) = &f.error {
            eprintln!("faultscope: error: {}", report::escape_control(e));
        }
    }
    if o.dests.iter().any(|(f, _)| f.needs_hashes()) {
        report::hash_inputs(&mut report);
    }
    if o.now {
        report.generated_at = Some(chrono::Utc::now());
    }
    let t_write = Instant::now();
    crate::cli::write::write_all(
        &o.dests,
        &crate::cli::write::RenderInput {
            report: &report,
            display: &o.display,
            cfg,
            scan: out,
            clusters: &clusters,
        },
        o.color,
    )?;
    debug(format!(
        "timings: scan {}, cluster {:.1?}, report {:.1?}, write {:.1?}, total {:.1?}",
        scan_time.map_or("-".into(), |t| format!("{t:.1?}")),
        cluster_time,
        build_time,
        t_write.elapsed(),
        t0.elapsed()
    ));
    let read_any = out.files.iter().any(|f| f.access.is_some());
    let had_errors = report.files.iter().any(|f| f.error.is_some());
    let code = if !read_any && had_errors {
        EXIT_TROUBLE
    } else if report.incidents.is_empty() || o.exit_zero {
        EXIT_CLEAN
    } else {
        EXIT_INCIDENTS
    };
    // The report is out: freeing the scan output (one FileScan per file, their maps and
    // strings) is left to another thread, which the process does not wait for at exit. On
    // the 100,000-file bench corpus those drops were 4% of the CPU, all of it on the main
    // thread after the last byte was written. The report borrows its per-file texts from
    // the scan output, so it ends here (what it owns is a few large vectors).
    drop(report);
    free_in_background((s, clusters), "the scan output", debug);
    Ok(code)
}

/// Drops `garbage` on another thread, which the process does not wait for at exit: what a
/// scan of many files leaves is hundreds of thousands of small allocations, most of them made
/// on the worker threads, and freeing them on the main thread only delays the exit.
fn free_in_background<T: Send + 'static>(garbage: T, what: &str, debug: &dyn Fn(String)) {
    if let Err(e) = std::thread::Builder::new().spawn(move || drop(garbage)) {
        // No thread (resource limits): the closure, and what it holds, is freed right here.
        debug(format!("could not free {what} in the background: {e}"));
    }
}

/// `faultscope merge`: partial results → the report one scan over all their files prints.
fn run_merge(a: MergeArgs) -> anyhow::Result<i32> {
    let t0 = Instant::now();
    let debug = |msg: String| {
        if a.debug {
            eprintln!("debug: {msg}");
        }
    };
    let mut cfg = ScanConfig::new(Vec::new())?;
    cfg.catalog = load_catalog(&a.rules)?;
    cfg.matcher = cfg.catalog.compile()?;
    cfg.debug = a.debug;
    cfg.gap = parse_duration(&a.report.gap).map_err(|e| flag_err("--gap", e))?;
    if cfg.gap <= chrono::Duration::zero() {
        return Err(flag_err("--gap", "must be positive".into()));
    }
    let display = match &a.report.display_tz {
        Some(z) => Some(Zone::parse(z).map_err(|e| flag_err("--display-tz", e))?),
        None => None,
    };
    let dests = crate::cli::write::destinations(&a.report.format, a.report.output.as_deref())
        .map_err(|e| flag_err("--format", e))?;
    let t_read = Instant::now();
    let parts = {
        use rayon::prelude::*;
        a.parts
            .par_iter()
            .map(|p| {
                Partial::read_file(p)
                    .map(|part| (p.display().to_string(), part))
                    .map_err(anyhow::Error::msg)
            })
            .collect::<anyhow::Result<Vec<_>>>()?
    };
    debug(format!(
        "read {} partials in {:.1?}",
        parts.len(),
        t_read.elapsed()
    ));
    let t_merge = Instant::now();
    let merged = crate::scaleout::merge(parts, &cfg.catalog).map_err(anyhow::Error::msg)?;
    cfg.tz = merged
        .options
        .zone()
        .map_err(|e| anyhow::anyhow!("partials name an unknown zone: {e}"))?;
    cfg.tz_reason = merged.options.tz_reason;
    cfg.ephemeral_range = merged.options.ephemeral_range;
    cfg.year = merged.options.year;
    cfg.max_hits = merged.options.max_hits;
    debug(format!(
        "merged in {:.1?}: {} files, {} hits, {} dumps, {} problems; zone {} ({})",
        t_merge.elapsed(),
        merged.out.files.len(),
        merged.out.hits.len(),
        merged.out.dumps.len(),
        merged.problems.len(),
        cfg.tz,
        cfg.tz_reason.describe()
    ));
    let opts = ReportOpts {
        dests,
        burst_min: a.report.burst_min,
        color: a.report.color,
        now: a.report.now,
        exit_zero: a.report.exit_zero,
        display: display.unwrap_or_else(|| cfg.tz.clone()),
    };
    let scanned = Scanned {
        out: merged.out,
        problems: merged.problems,
        socket_files: merged.socket_files,
    };
    report_stage(&cfg, scanned, &opts, &debug, None, t0)
}

/// Mines the scan's unknown error/warning records and finds their bursts over the span
/// of the logs.
fn mine_unknown(
    out: &scan::ScanOutput,
    cfg: &ScanConfig,
    burst_min: usize,
) -> crate::analysis::templates::Analysis {
    let files = &out.files;
    let first = files.iter().filter_map(|f| f.first).min();
    let last = files.iter().filter_map(|f| f.last).max();
    crate::analysis::templates::analyze(
        &out.unknown,
        &|f| &files[f as usize].service,
        first.zip(last),
        cfg.gap,
        burst_min.max(1),
    )
}

fn run_templates(a: ScanArgs) -> anyhow::Result<i32> {
    if a.shard.is_some() || a.emit.is_some() {
        return Err(flag_err(
            if a.shard.is_some() {
                "--shard"
            } else {
                "--emit"
            },
            "belongs to `faultscope scan` (merge the partials, then read the report's templates)"
                .into(),
        ));
    }
    let cfg = resolve(&a)?;
    let display = match &a.report.display_tz {
        Some(z) => Zone::parse(z).map_err(|e| flag_err("--display-tz", e))?,
        None => cfg.tz.clone(),
    };
    if cfg.threads > 0 {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(cfg.threads)
            .build_global();
    }
    let disc = discover::discover(&cfg.roots, &cfg.discover);
    for p in disc.problems.iter().filter(|p| !p.note) {
        eprintln!(
            "faultscope: error: {}",
            report::escape_control(&p.error.message)
        );
    }
    let out = scan::scan(&disc.sources, &cfg);
    for f in &out.files {
        if let Some(e) = &f.error {
            eprintln!("faultscope: error: {}", report::escape_control(&e.message));
        }
    }
    let analysis = mine_unknown(&out, &cfg, a.report.burst_min);
    let templates = report::templates_out(&out, &analysis);
    let json = a
        .report
        .format
        .iter()
        .any(|f| matches!(f, crate::cli::write::ReportFormat::Json));
    let rendered = match if json {
        OutputFormat::Json
    } else {
        OutputFormat::Text
    } {
        OutputFormat::Json => {
            let v = serde_json::json!({
                "schema": "faultscope-templates/1",
                "records": out.unknown.len(),
                "templates": templates,
            });
            format!("{}\n", serde_json::to_string_pretty(&v)?)
        }
        OutputFormat::Text => {
            let day = |t: chrono::DateTime<chrono::Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
            let mut o = format!(
                "faultscope: {} templates from {} error/warning records no signature matched (times in {display})\n",
                templates.len(),
                out.unknown.len()
            );
            for t in &templates {
                o.push_str(&report::template_line(t, &day));
                o.push('\n');
                o.push_str(&format!(
                    "             e.g. {}:{}  {}\n",
                    t.example.path,
                    t.example.line,
                    report::escape_control(t.example.text.trim())
                        .chars()
                        .take(120)
                        .collect::<String>()
                ));
            }
            o
        }
    };
    match &a.report.output {
        Some(p) => std::fs::write(p, rendered.as_bytes())
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(rendered.as_bytes())?;
            stdout.flush()?;
        }
    }
    let read_any = out.files.iter().any(|f| f.access.is_some());
    Ok(if read_any { EXIT_CLEAN } else { EXIT_TROUBLE })
}

fn run_inspect(a: InspectArgs) -> anyhow::Result<i32> {
    let mut cfg = ScanConfig::new(a.paths.clone())?;
    cfg.discover.follow = a.follow;
    cfg.year = a.year;
    if let Some(z) = &a.tz {
        cfg.tz = Zone::parse(z).map_err(|e| flag_err("--tz", e))?;
        cfg.tz_reason = ZoneReason::Flag;
    }
    for s in &a.tz_for {
        let (g, z) = split_eq("--tz-for", s)?;
        cfg.tz_for.push(ZoneFor {
            glob: Glob::new(g)
                .map_err(|e| flag_err("--tz-for", format!("`{g}`: {e}")))?
                .compile_matcher(),
            zone: Zone::parse(z).map_err(|e| flag_err("--tz-for", e))?,
        });
    }
    for s in &a.tz_alias {
        let (abbr, z) = split_eq("--tz-alias", s)?;
        cfg.tz_alias.insert(
            abbr.to_string(),
            Zone::parse(z).map_err(|e| flag_err("--tz-alias", e))?,
        );
    }
    let disc = discover::discover(&cfg.roots, &cfg.discover);
    for p in &disc.problems {
        let kind = if p.note { "note" } else { "error" };
        eprintln!(
            "faultscope: {kind}: {}",
            report::escape_control(&p.error.message)
        );
    }
    let opts = crate::inspect::InspectOptions {
        records: a.records,
        gaps: a.gaps,
    };
    let files = crate::inspect::inspect(&disc.sources, &cfg, &opts);
    let rendered = if a.records {
        crate::inspect::to_ndjson(&files)
    } else {
        match a.format {
            OutputFormat::Json => crate::inspect::to_json(&files),
            OutputFormat::Text => crate::inspect::to_text(&files),
        }
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(rendered.as_bytes())?;
    stdout.flush()?;
    let read_any = files.iter().any(|f| f.lines > 0 || f.error.is_none());
    Ok(if read_any && !disc.sources.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_TROUBLE
    })
}

fn run_sockets(a: SocketsArgs) -> anyhow::Result<i32> {
    let tz = match &a.tz {
        Some(z) => Zone::parse(z).map_err(|e| flag_err("--tz", e))?,
        None => Zone::local(),
    };
    let range = match &a.ephemeral_range {
        Some(r) => Some(parse_range(r).map_err(|e| flag_err("--ephemeral-range", e))?),
        None => None,
    };
    let disc = discover::discover(&a.paths, &DiscoverOptions::default());
    let mut trouble = false;
    for p in disc.problems.iter().filter(|p| !p.note) {
        eprintln!("faultscope: error: {}", p.error.message);
        trouble = true;
    }
    let mut inputs = Vec::new();
    for src in &disc.sources {
        let shown = src.path.display().to_string();
        match crate::input::open(&src.path, &InputOptions::default()) {
            Ok(Ok(opened)) => {
                let text = String::from_utf8_lossy(&opened.bytes).into_owned();
                if crate::evidence::sockets::sniff(&text).is_some() {
                    inputs.push(crate::evidence::sockets::DumpInput {
                        path: shown,
                        text,
                        mtime: src.mtime.map(chrono::DateTime::<chrono::Utc>::from),
                    });
                } else {
                    eprintln!(
                        "faultscope: warning: {shown}: not a netstat/ss/tasklist/ps dump, skipped"
                    );
                }
            }
            Ok(Err(crate::input::Skip::Binary(note))) => eprintln!("faultscope: warning: {note}"),
            Err(e) => {
                eprintln!("faultscope: error: {e}");
                trouble = true;
            }
        }
    }
    let reference = inputs.iter().filter_map(|d| d.mtime).max();
    let report = crate::evidence::sockets::analyze(
        &inputs,
        &crate::evidence::sockets::SocketConfig {
            ephemeral_range: range,
        },
        tz.offset_at(reference.unwrap_or(chrono::DateTime::UNIX_EPOCH)),
    );
    let mut stdout = std::io::stdout().lock();
    match a.format {
        OutputFormat::Json => {
            let v = serde_json::json!({"schema": "faultscope-sockets/1", "sockets": report});
            writeln!(stdout, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        OutputFormat::Text => {
            // Dump text is untrusted input (process names): escape per line.
            for line in crate::evidence::sockets::render_text(&report).lines() {
                writeln!(stdout, "{}", report::escape_control(line))?;
            }
        }
    }
    if inputs.is_empty() {
        eprintln!("faultscope: error: no netstat/ss/tasklist/ps dump found in the given paths");
        return Ok(EXIT_TROUBLE);
    }
    Ok(if trouble { EXIT_TROUBLE } else { EXIT_CLEAN })
}

fn run_signatures(a: SignaturesArgs) -> anyhow::Result<i32> {
    let cat = load_catalog(&a.rules)?;
    cat.compile()?;
    let mut stdout = std::io::stdout().lock();
    if a.export_patterns {
        stdout.write_all(cat.export_patterns().as_bytes())?;
        return Ok(EXIT_CLEAN);
    }
    match a.format {
        OutputFormat::Json => {
            let v = serde_json::json!({
                "schema": "faultscope-catalog/1",
                "signatures": cat.signatures,
            });
            writeln!(stdout, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        OutputFormat::Text => {
            let w = cat
                .signatures
                .iter()
                .map(|s| s.id.len())
                .max()
                .unwrap_or(10);
            let c = cat
                .signatures
                .iter()
                .map(|s| s.category.len())
                .max()
                .unwrap_or(10);
            writeln!(
                stdout,
                "{:<w$}  {:<c$}  {:<8}  LAYER  TITLE",
                "ID", "CATEGORY", "SEVERITY"
            )?;
            for s in &cat.signatures {
                writeln!(
                    stdout,
                    "{:<w$}  {:<c$}  {:<8}  {:<5}  {}",
                    s.id,
                    s.category,
                    s.severity.as_str(),
                    s.layer.map_or("-".into(), |l| l.to_string()),
                    s.title
                )?;
            }
        }
    }
    Ok(EXIT_CLEAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512M").unwrap(), 512 << 20);
        assert_eq!(parse_size("4G").unwrap(), 4 << 30);
        assert_eq!(parse_size("1000").unwrap(), 1000);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("3X").is_err());
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

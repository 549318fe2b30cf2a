//! `faultscope scan`: discovery (and `--shard`), the scan with its progress bar and
//! `--debug` lines, then either the report stage (`stage.rs`) or, with `--emit partial`, a
//! partial result for `faultscope merge`.

use super::args::{Emit, ScanArgs};
use super::resolve::{flag_err, resolve};
use super::stage::{free_in_background, report_stage, ReportOpts, Scanned};
use super::EXIT_CLEAN;
use crate::config::ScanConfig;
use crate::input::discover;
use crate::scaleout::{Partial, Shard};
use crate::time::Zone;
use crate::{report, scan};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub(super) fn run_scan(a: ScanArgs) -> anyhow::Result<i32> {
    let t0 = Instant::now();
    let cfg = resolve(&a)?;
    let shard = match &a.shard {
        Some(s) => Some(Shard::parse(s).map_err(|e| flag_err("--shard", e))?),
        None => None,
    };
    let display = match &a.report.display_tz {
        Some(z) => Some(Zone::parse(z).map_err(|e| flag_err("--display-tz", e))?),
        None => None,
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
    if cfg
        .roots
        .iter()
        .any(|r| r.as_os_str() == crate::input::stream::STDIN_ARG)
        && std::io::IsTerminal::is_terminal(&std::io::stdin())
    {
        // `faultscope scan -` typed by hand waits for input: say so.
        eprintln!("faultscope: reading stdin from the terminal (end it with Ctrl-D)");
    }
    let (sources, problems) = discover_share(&cfg, shard, &debug);
    let dests = match a.emit {
        Some(Emit::Partial) => Vec::new(),
        None => crate::cli::write::destinations(&a.report.format, a.report.output.as_deref())
            .map_err(|e| flag_err("--format", e))?,
    };
    let (out, scan_time) = scan_with_progress(&sources, &cfg);
    debug_scan(&cfg, &out, &debug);
    if a.emit == Some(Emit::Partial) {
        return emit_partial(&a, &cfg, shard, out, problems, &debug, scan_time, t0);
    }
    let scanned = Scanned {
        out,
        problems: problems.into_iter().map(|(_, p)| p).collect(),
        socket_files: crate::evidence::sockets::read_socket_files(&cfg.sockets, &cfg.input),
    };
    let opts = ReportOpts {
        dests,
        burst_min: a.report.burst_min,
        color: a.report.color,
        now: a.report.now,
        exit_zero: a.report.exit_zero,
        fail_on: a.report.fail_on,
        display,
        correct_skew: a.report.correct_skew,
    };
    let code = report_stage(&cfg, scanned, &opts, &debug, Some(scan_time), t0);
    // The discovered sources (a path, a relative path and a service per file): freed on the
    // main thread they took 35 ms of the 100,000-file bench corpus's wall time.
    free_in_background(sources, "the file list", &debug);
    code
}

/// Discovery, and the share of it this worker scans (`--shard`): the sources and the
/// problems (with their place in discovery), paths shown with `--path-prefix`.
fn discover_share(
    cfg: &ScanConfig,
    shard: Option<Shard>,
    debug: &dyn Fn(String),
) -> (Vec<discover::Source>, Vec<(usize, discover::Problem)>) {
    let t_disc = Instant::now();
    let disc = crate::input::stream::discover_all(&cfg.roots, &cfg.discover);
    debug(format!(
        "discovered {} files, {} problems in {:.1?}",
        disc.sources.len(),
        disc.problems.len(),
        t_disc.elapsed()
    ));
    if cfg.discover.globs.is_active() {
        debug(format!(
            "--glob: {} files and directories left out",
            cfg.discover.globs.excluded()
        ));
    }
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
    (sources, problems)
}

/// The scan, with a progress bar on a terminal (not under `--debug`); returns the output
/// and the scan's wall time.
fn scan_with_progress(
    sources: &[discover::Source],
    cfg: &ScanConfig,
) -> (scan::ScanOutput, std::time::Duration) {
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
    let out = scan::scan(sources, cfg);
    progress.finish();
    let scan_time = t_scan.elapsed();
    (out, scan_time)
}

/// The `--debug` lines after a scan: the prefilter, each file, the totals.
fn debug_scan(cfg: &ScanConfig, out: &scan::ScanOutput, debug: &dyn Fn(String)) {
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
        .is_none_or(|s| s.index == 0)
        .then(|| crate::evidence::sockets::read_socket_files(&cfg.sockets, &cfg.input));
    let mut part = Partial::new(cfg, shard, out, problems, socket_files);
    part.rules = a.rules.iter().map(|p| p.display().to_string()).collect();
    let written = match &a.report.output {
        Some(p) => {
            let gz = p.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"));
            let mut out = crate::cli::atomic::Output::create(p)?;
            let n = part
                .write_to(&mut out, gz)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?;
            out.commit()?;
            n
        }
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

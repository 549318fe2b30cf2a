//! The report stage that `scan` and `merge` share, so a merge of partials prints what one
//! scan prints: the analysis (`analysis::run`), the report built beside the zone hints, the
//! warnings and errors on stderr, the report written to each destination, and the exit
//! code.

use super::{EXIT_CLEAN, EXIT_INCIDENTS, EXIT_TROUBLE};
use crate::config::ScanConfig;
use crate::input::discover;
use crate::time::Zone;
use crate::{report, scan};
use std::path::PathBuf;
use std::time::Instant;

/// What the report stage reads: the scan output (of one scan, or merged partials) and what
/// comes with it.
pub(super) struct Scanned {
    pub(super) out: scan::ScanOutput,
    pub(super) problems: Vec<discover::Problem>,
    pub(super) socket_files: Vec<crate::evidence::sockets::SocketFile>,
}

/// Report-time choices.
pub(super) struct ReportOpts {
    pub(super) dests: Vec<(crate::cli::write::ReportFormat, Option<PathBuf>)>,
    /// `--burst-min` (deprecated, ignored: a warning says so).
    pub(super) burst_min: Option<usize>,
    pub(super) color: crate::cli::write::ColorWhen,
    pub(super) now: bool,
    pub(super) exit_zero: bool,
    pub(super) fail_on: report::gate::FailOn,
    /// `--display-tz`; `None`: the zone naive times were read in (inferred or assumed).
    pub(super) display: Option<Zone>,
    /// `--correct-skew`: remove the clock skews found.
    pub(super) correct_skew: bool,
}

/// Analysis (cluster, templates, sockets) → report → render, and the exit code. `scan` and
/// `merge` share it, so a merge of partials prints what one scan prints.
pub(super) fn report_stage(
    cfg: &ScanConfig,
    s: Scanned,
    o: &ReportOpts,
    debug: &dyn Fn(String),
    scan_time: Option<std::time::Duration>,
    t0: Instant,
) -> anyhow::Result<i32> {
    let mut s = s;
    // Zones inferred from the logs and clock skew, before anything reads a time.
    let t_clock = Instant::now();
    let clock =
        crate::analysis::clock::settle(&mut s.out, (&cfg.tz, cfg.tz_reason), o.correct_skew);
    debug_clock(&clock, debug);
    debug(format!("clocks: settled in {:.1?}", t_clock.elapsed()));
    let settled;
    let cfg = match &clock.effective {
        Some((z, r)) if *r != cfg.tz_reason || *z != cfg.tz => {
            settled = ScanConfig {
                tz: z.clone(),
                tz_reason: *r,
                ..cfg.clone()
            };
            &settled
        }
        _ => cfg,
    };
    let display = o.display.clone().unwrap_or_else(|| cfg.tz.clone());
    let out = &s.out;
    let crate::analysis::Analyzed {
        clusters,
        sockets,
        socket_problems,
        cluster_time,
        sockets_time,
    } = crate::analysis::run(out, &s.socket_files, cfg, debug);
    let t_build = Instant::now();
    // The zone hints read every file's offsets: they run beside the report's build (one pass
    // over 100,000 files is ~1.5 ms that otherwise kept a core idle after the scan).
    let (mut report, zone_warnings) = rayon::join(
        || report::build(out, &clusters, cfg, &s.problems, sockets),
        || crate::analysis::clock::hints::likely_zone_warnings(&out.files),
    );
    report.warnings.extend(socket_problems);
    report.warnings.extend(clock.warnings.iter().cloned());
    if o.burst_min.is_some() {
        report.warnings.push(
            "--burst-min is deprecated and ignored: unknown error templates are signals of the rate \
             detector, which opens an incident on a rate improbable under the template's own baseline"
                .into(),
        );
    }
    report.warnings.extend(zone_warnings);
    report.clock = clock;
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
    let build_time = sockets_time + t_build.elapsed();
    report.error = nothing_scanned(out, &s.problems, &cfg.roots);
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
    if let Some(e) = &report.error {
        eprintln!("faultscope: error: {}", report::escape_control(e));
    }
    let gate = report::gate::evaluate(o.fail_on, &report, out, &clusters, &cfg.catalog);
    debug(format!(
        "--fail-on {}: {} of {} incidents fail the run{}",
        o.fail_on.as_str(),
        gate.incidents.iter().filter(|&&f| f).count(),
        gate.incidents.len(),
        if gate.fails_outside() {
            format!(
                ", and error evidence outside incidents ({} isolated events, {} signature hits, {} error templates)",
                gate.isolated.len(),
                gate.outside_hits.values().sum::<u64>(),
                gate.error_templates.len()
            )
        } else {
            String::new()
        }
    ));
    let t_write = Instant::now();
    crate::cli::write::write_all(
        &o.dests,
        &crate::cli::write::RenderInput {
            report: &report,
            display: &display,
            cfg,
            scan: out,
            clusters: &clusters,
            gate: &gate,
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
    let code = if report.error.is_some() {
        EXIT_TROUBLE
    } else if !gate.fails() || o.exit_zero {
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

/// Why nothing could be scanned, when no input gave a log to scan: every file missing,
/// unreadable, binary, unsupported or empty, every path a problem, or no file at all (an
/// empty directory). `None` once one file was read (a partly read one counts; so does a
/// saved host dump, which is evidence). A CI gate must not pass on nothing.
fn nothing_scanned(
    out: &scan::ScanOutput,
    problems: &[discover::Problem],
    roots: &[PathBuf],
) -> Option<String> {
    let scanned = |f: &scan::FileScan| {
        f.access.is_some() && f.skipped.is_none() && (f.bytes > 0 || f.dump.is_some())
    };
    if out.files.iter().any(scanned) {
        return None;
    }
    let mut why: Vec<String> = problems.iter().map(|p| p.error.message.clone()).collect();
    for f in &out.files {
        why.push(match (&f.error, &f.skipped) {
            (Some(e), _) => e.message.clone(),
            (None, Some(note)) => note.clone(),
            (None, None) => format!("{}: empty", f.path),
        });
    }
    if why.is_empty() {
        let shown: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
        return Some(if shown.is_empty() {
            "nothing could be scanned: the partial results hold no file".to_string()
        } else {
            format!(
                "nothing could be scanned: no file found in {} (an empty directory?)",
                shown.join(", ")
            )
        });
    }
    const SHOWN: usize = 10;
    let more = why.len().saturating_sub(SHOWN);
    let n = why.len();
    why.truncate(SHOWN);
    let mut msg = format!(
        "nothing could be scanned: no readable log among the {n} input{}: {}",
        if n == 1 { "" } else { "s" },
        why.join("; ")
    );
    if more > 0 {
        msg.push_str(&format!("; and {more} more"));
    }
    Some(msg)
}

/// The `--debug` lines of the clocks stage: every zone inference and skew.
fn debug_clock(clock: &crate::analysis::clock::ClockReport, debug: &dyn Fn(String)) {
    for i in &clock.inferences {
        debug(format!(
            "zone inference: {}: best {} (z {:.1}; runner-up {}, z {:.1}), confidence {}, witness {}, {} minutes of overlap: {}",
            i.path,
            i.offset,
            i.z,
            i.runner_up.as_deref().unwrap_or("-"),
            i.runner_up_z,
            crate::analysis::clock::confidence_text(i.confidence),
            i.witness.as_deref().unwrap_or("-"),
            i.overlap_minutes,
            if i.applied { "applied" } else { "not applied (weak)" }
        ));
    }
    for s in &clock.skews {
        debug(format!(
            "clock skew: {} {:+.1}s against the majority ({} event pairs){}",
            s.service,
            s.seconds,
            s.pairs,
            if s.applied { ", corrected" } else { "" }
        ));
    }
}

/// Drops `garbage` on another thread, which the process does not wait for at exit: what a
/// scan of many files leaves is hundreds of thousands of small allocations, most of them made
/// on the worker threads, and freeing them on the main thread only delays the exit.
pub(super) fn free_in_background<T: Send + 'static>(
    garbage: T,
    what: &str,
    debug: &dyn Fn(String),
) {
    if let Err(e) = std::thread::Builder::new().spawn(move || drop(garbage)) {
        // No thread (resource limits): the closure, and what it holds, is freed right here.
        debug(format!("could not free {what} in the background: {e}"));
    }
}

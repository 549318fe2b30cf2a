//! `faultscope merge`: partial results (`scan --emit partial`) read in parallel, merged
//! (`scaleout::merge`) into the scan output one scan over all their files gives, then the
//! same report stage as `scan`.

use super::args::MergeArgs;
use super::resolve::{flag_err, load_catalog};
use super::stage::{report_stage, ReportOpts, Scanned};
use crate::config::ScanConfig;
use crate::scaleout::Partial;
use crate::time::Zone;
use std::time::Instant;

/// `faultscope merge`: partial results → the report one scan over all their files prints.
pub(super) fn run_merge(a: MergeArgs) -> anyhow::Result<i32> {
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
    cfg.gap = super::resolve::parse_gap(&a.report.gap)?;
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
        fail_on: a.report.fail_on,
        display,
        correct_skew: a.report.correct_skew,
    };
    let scanned = Scanned {
        out: merged.out,
        problems: merged.problems,
        socket_files: merged.socket_files,
    };
    report_stage(&cfg, scanned, &opts, &debug, None, t0)
}

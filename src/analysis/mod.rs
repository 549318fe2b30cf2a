//! Analysis: scan output → incidents → findings.
//!
//! Takes the [`crate::scan::ScanOutput`] (hits, per-minute activity, unknown error records)
//! and the catalog, and gives the incidents with their root causes ([`incidents`]), the
//! unknown-error templates and their bursts ([`templates`]), the findings beside the
//! timeline ([`findings`]: recurrence, red herrings, coverage, traffic, host-wide events)
//! and the clocks ([`clock`]: zones inferred from the logs, years, skew; run by the report
//! stage before the rest, so every time the analysis reads is settled).
//!
//! Imports only stages below it (scan, record, evidence, config, catalog, input, time).

pub mod clock;
pub mod findings;
pub mod incidents;
pub mod rates;
pub mod templates;

use crate::config::ScanConfig;
use crate::evidence::sockets::SocketFile;
use crate::evidence::sockets::SocketsReport;
use crate::scan::ScanOutput;
use std::time::{Duration, Instant};

/// What [`run`] gives the report stage.
pub struct Analyzed {
    /// Incidents (opened by signature hits or by unknown-template bursts), markers and
    /// undated hits.
    pub clusters: incidents::Clusters,
    /// The socket/process dumps found among the files and the `--sockets` files, analysed.
    pub sockets: SocketsReport,
    /// Why some `--sockets` files were not used (warnings of the report).
    pub socket_problems: Vec<String>,
    /// Time spent clustering and mining templates (the `cluster` figure of `--debug`).
    pub cluster_time: Duration,
    /// Time spent on the socket analysis (`--debug` counts it in the `report` figure).
    pub sockets_time: Duration,
}

/// Scan output → incidents: clusters the hits, mines the unknown error/warning records
/// (templates, and their bursts as incidents) and analyses the socket dumps against the
/// last log time. `socket_files` are the `--sockets` files as read (by this scan, or
/// carried by a partial to `merge`). `debug` receives the `--debug` lines (templates mined,
/// and under `--debug` how each incident's root was chosen).
pub fn run(
    out: &ScanOutput,
    socket_files: &[SocketFile],
    cfg: &ScanConfig,
    burst_min: usize,
    debug: &dyn Fn(String),
) -> Analyzed {
    let t_cl = Instant::now();
    let files = &out.files;
    let mut clusters = incidents::cluster(&out.hits, &cfg.catalog, cfg.gap, &|f| {
        files[f as usize].service.to_string()
    });
    let t_tpl = Instant::now();
    let analysis = mine_unknown(out, cfg, burst_min);
    debug(format!(
        "templates: {} unknown error/warning records → {} templates, {} bursts in {:.1?}",
        out.unknown.records(),
        analysis.templates.len(),
        analysis.bursts.len(),
        t_tpl.elapsed()
    ));
    incidents::merge_templates(&mut clusters, analysis, cfg.gap, &|f| {
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
                    incidents::RootKind::Signature => cfg.catalog.signatures[inc.root as usize].id.clone(),
                    incidents::RootKind::Template => format!("an unknown template burst ({} bursts)", inc.bursts.len()),
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
    let t_sockets = Instant::now();
    let last_log = out.files.iter().filter_map(|f| f.last).max();
    let (sockets, socket_problems) = crate::evidence::sockets::analyze_sockets_with(
        &out.dumps,
        socket_files,
        last_log,
        cfg.ephemeral_range,
        &cfg.tz,
    );
    Analyzed {
        clusters,
        sockets,
        socket_problems,
        cluster_time,
        sockets_time: t_sockets.elapsed(),
    }
}

/// Mines the scan's unknown error/warning records and finds their bursts over the span
/// of the logs.
pub fn mine_unknown(out: &ScanOutput, cfg: &ScanConfig, burst_min: usize) -> templates::Analysis {
    let files = &out.files;
    let first = files.iter().filter_map(|f| f.first).min();
    let last = files.iter().filter_map(|f| f.last).max();
    templates::analyze(
        &out.unknown,
        &|f| &files[f as usize].service,
        first.zip(last),
        cfg.gap,
        burst_min.max(1),
    )
}

//! Analysis: scan output → incidents → findings.
//!
//! Takes the [`crate::scan::ScanOutput`] (hits, per-minute activity, unknown error records)
//! and the catalog, and gives the incidents with their root causes ([`incidents`]), the
//! unknown-error templates and their bursts ([`templates`]), the findings beside the
//! timeline ([`findings`]: recurrence, red herrings, coverage, traffic, host-wide events)
//! and the clocks ([`clock`]: zones inferred from the logs, years, skew; run by the report
//! stage before the rest, so every time the analysis reads is settled). [`impact`] gives the
//! access logs' per-minute user impact (failed/total requests) and their windows of slowness.
//!
//! Imports only stages below it (scan, record, evidence, config, catalog, input, time).

pub mod clock;
pub mod detect;
pub mod findings;
pub mod impact;
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

/// Scan output → incidents: mines the unknown error/warning records into templates, runs
/// the rate detector over every signal (`detect`), turns its incident groups into
/// incidents with root causes, and analyses the socket dumps against the last log time.
/// `socket_files` are the `--sockets` files as read (by this scan, or carried by a partial
/// to `merge`). `debug` receives the `--debug` lines (templates mined, each signal's
/// baseline and windows, merges, isolated events, how each root was chosen).
pub fn run(
    out: &ScanOutput,
    socket_files: &[SocketFile],
    cfg: &ScanConfig,
    debug: &dyn Fn(String),
) -> Analyzed {
    let t_cl = Instant::now();
    let t_tpl = Instant::now();
    let analysis = mine_unknown(out);
    debug(format!(
        "templates: {} unknown error/warning records → {} templates in {:.1?}",
        out.unknown.records(),
        analysis.templates.len(),
        t_tpl.elapsed()
    ));
    let t_det = Instant::now();
    let detection = detect_with(out, cfg, &analysis);
    debug(format!(
        "detector: {} signals, {} tests (α {} / tests = {:.3e} per test), {} windows, {} incidents, {} isolated, mode {} in {:.1?}",
        detection.signals.signals.len(),
        detection.tests,
        detect::ALPHA,
        detection.alpha_test(),
        detection.windows.len(),
        detection.groups.len(),
        detection.isolated.len(),
        detection.mode(),
        t_det.elapsed()
    ));
    if cfg.debug {
        for line in explain(&detection, cfg, &analysis) {
            debug(line);
        }
    }
    let mut clusters = incidents_of(out, cfg, &detection, analysis);
    clusters.detection = detection;
    if cfg.debug {
        for inc in &clusters.incidents {
            debug(format!(
                "incident #{}: {} anomalous hits; root {} chosen as lowest layer among the anomalous {:?}",
                inc.id,
                inc.hits.len(),
                match inc.kind {
                    incidents::RootKind::Signature => cfg.catalog.signatures[inc.root as usize].id.clone(),
                    incidents::RootKind::Template => format!("an unknown template burst ({} bursts)", inc.bursts.len()),
                    incidents::RootKind::Slowness => "slow requests in the access logs (no failure names a cause)".into(),
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

/// Mines the scan's unknown error/warning records into templates (no bursts: those are the
/// detector's).
pub fn mine_unknown(out: &ScanOutput) -> templates::Analysis {
    let files = &out.files;
    templates::analyze(&out.unknown, &|f| &files[f as usize].service)
}

/// The templates with their bursts (template windows inside incidents), as `faultscope
/// templates` lists them.
pub fn templates_with_bursts(out: &ScanOutput, cfg: &ScanConfig) -> templates::Analysis {
    let analysis = mine_unknown(out);
    let detection = detect_with(out, cfg, &analysis);
    incidents_of(out, cfg, &detection, analysis).templates
}

/// The detector's incident groups turned into incidents with root causes.
fn incidents_of(
    out: &ScanOutput,
    cfg: &ScanConfig,
    detection: &detect::Detection,
    analysis: templates::Analysis,
) -> incidents::Clusters {
    let files = &out.files;
    let service_of = |f: u32| files[f as usize].service.to_string();
    incidents::from_detection(
        detection,
        analysis,
        &incidents::Inputs {
            hits: &out.hits,
            catalog: &cfg.catalog,
            gap: cfg.gap,
            service_of: &service_of,
            unknown: &out.unknown,
        },
    )
}

/// The detector over the scan's signals and the mined templates.
fn detect_with(
    out: &ScanOutput,
    cfg: &ScanConfig,
    analysis: &templates::Analysis,
) -> detect::Detection {
    detect::detect(
        out,
        &cfg.catalog,
        analysis,
        &|t| analysis.templates[t as usize].level == crate::record::level::Level::Error,
        cfg.gap,
        cfg.debug,
    )
}

/// A signal's name: signature id, template id, or `user-impact`.
pub fn signal_name(
    kind: detect::SignalKind,
    cat: &crate::catalog::Catalog,
    analysis: &templates::Analysis,
) -> String {
    match kind {
        detect::SignalKind::Signature(s) => cat.signatures[s as usize].id.clone(),
        detect::SignalKind::Template(t) => analysis.templates[t as usize].id.clone(),
        detect::SignalKind::Impact => "user-impact".into(),
        detect::SignalKind::Slow => "slow-requests".into(),
    }
}

/// `--debug`: each signal's baseline and class, its windows, and why groups were isolated.
fn explain(d: &detect::Detection, cfg: &ScanConfig, analysis: &templates::Analysis) -> Vec<String> {
    let mut out = Vec::new();
    for (i, s) in d.signals.signals.iter().enumerate() {
        let name = signal_name(s.kind, &cfg.catalog, analysis);
        let svc = &d.signals.services[s.service].name;
        match &d.fits[i] {
            Some(f) => out.push(format!(
                "signal {name} @ {svc}: {} events; baseline {:.4}/{} (φ {:.2}, {} rounds, {} of {} hours present) → {:?}",
                s.total(),
                f.rate,
                if s.requests.is_some() { "request" } else { "min" },
                f.phi,
                f.rounds,
                f.hours_present.0,
                f.hours_present.1,
                d.classes[i]
            )),
            None => out.push(format!(
                "signal {name} @ {svc}: {} events; no baseline (short capture: observed under {} min)",
                s.total(),
                detect::SHORT_MINUTES
            )),
        }
        for w in d.windows.iter().filter(|w| w.signal == i) {
            out.push(format!(
                "  window {} → {}: {} observed, {} expected, p {} ({})",
                crate::time::rfc3339(w.start),
                crate::time::rfc3339(w.end),
                w.observed,
                w.expected.map_or("-".into(), |e| format!("{e:.3}")),
                w.p.map_or("-".into(), |p| format!("{p:.2e}")),
                w.how.as_str()
            ));
        }
    }
    for (n, g) in d.groups.iter().enumerate() {
        out.push(format!(
            "incident {}: {} → {}, {} window(s) merged within --gap {}s, {} signal(s) elevated inside",
            n + 1,
            crate::time::rfc3339(g.start),
            crate::time::rfc3339(g.end),
            g.windows.len(),
            cfg.gap.num_seconds(),
            g.joined.len()
        ));
    }
    out.extend(d.debug.iter().cloned());
    out
}

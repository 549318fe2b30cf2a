//! Findings: the questions a postmortem author otherwise answers by hand (issue 6).
//!
//! Input: the scan output (hits, per-file per-minute record counts) and the clusters.
//! Output: [`Findings`], part of the JSON contract and shown by every report format. One
//! module per finding; [`compute`] runs them side by side:
//!
//! - `recurrence.rs`, [`Recurrence`]: do incidents repeat at a regular interval (period,
//!   jitter, phase, missed cycles)? Robust to one extra or one missing incident; `None`
//!   otherwise.
//! - `red_herrings.rs`, [`SignatureScore`] (red-herring scoring): per signature, hits inside
//!   incident windows vs outside, and the lift over the base rate. A signature firing all
//!   day at the same rate (nginx `CreateFile()` in the founding case) is *unrelated noise*,
//!   not evidence.
//! - `coverage.rs`, [`Coverage`]: per incident, which services logged during it, which were
//!   silent (a silent service is not "no errors"), and services with no dated records at
//!   all.
//! - `traffic.rs`, [`Traffic`]: from access logs read as fields, requests and failures
//!   per incident vs the baseline outside, the URL paths that failed most, the upstreams and
//!   the proxy flags (explained).
//! - `host_wide.rs`, [`HostWide`]: one signature in several services within the same
//!   second: a shared cause (ports, DNS, disk), not one service's fault.
//!
//! Every threshold is a named constant in its finding's module (all re-exported here) and
//! documented in `docs/reports.md`. The span and Poisson maths is `analysis::rates`.
//! Everything is computed from sorted data and rounded before it is shown, so output is
//! identical for any thread count.

mod coverage;
mod host_wide;
mod recurrence;
mod red_herrings;
mod traffic;

pub use coverage::{
    service_files_json, Coverage, Gap, IncidentCoverage, Presence, ServiceActivity,
    ServicePresence, GAP_MIN_MINUTES, GAP_MIN_OCCUPANCY, SILENT_MIN_EXPECTED,
};
pub use host_wide::{HostWide, HostWideSecond, HOST_WIDE_EXAMPLES};
pub use recurrence::{
    fit_grid, GridFit, Recurrence, PHASE_HOURLY_TOLERANCE, RECURRENCE_MIN_PERIOD_SECS,
    RECURRENCE_TOLERANCE, RECURRENCE_TOLERANCE_FOUR, RECURRENCE_TOLERANCE_THREE,
};
pub use red_herrings::{
    classify, SignatureScore, Verdict, CORRELATED_SHARE, LIFT_HIGH, LIFT_LOW, SCORE_MIN_HITS,
    SCORE_P_VALUE,
};
pub use traffic::{
    request_path, FlagCount, IncidentTraffic, PathCount, Quantiles, Rate, Traffic, TOP_PATHS,
};

use crate::analysis::incidents::Clusters;
use crate::analysis::rates::{union, Spans};
use crate::catalog::Catalog;
use crate::scan::ScanOutput;
use crate::time::{rfc3339, Zone};
use chrono::{DateTime, Utc};
use coverage::coverage;
use host_wide::host_wide;
use rayon::prelude::*;
use recurrence::recurrence;
use red_herrings::red_herrings;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use traffic::traffic;

fn ser_time<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

fn ser_opt_time<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&rfc3339(*t)),
        None => s.serialize_none(),
    }
}

fn ser_times<S: Serializer>(t: &[DateTime<Utc>], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(t.iter().map(|t| rfc3339(*t)))
}

/// Everything found beyond the incident list.
#[derive(Serialize, Debug, Clone, Default)]
pub struct Findings<'a> {
    /// Regular repetition of incidents; `null` when there is no regular pattern.
    pub recurrence: Option<Recurrence>,
    /// Per-signature scores against the incident windows (red-herring scoring).
    pub red_herrings: Vec<SignatureScore>,
    /// Which services logged during each incident.
    pub coverage: Coverage<'a>,
    /// Requests and 5xx from access logs; `null` without an access log.
    pub traffic: Option<Traffic>,
    /// Signatures seen in several services within the same second.
    pub host_wide: Vec<HostWide>,
}

/// Computes every finding. `tz` is the assumed zone (for the phase); `layouts` explain the
/// access logs' proxy flags.
pub fn compute<'a>(
    scan: &'a ScanOutput,
    clusters: &Clusters,
    catalog: &Catalog,
    layouts: &crate::evidence::access::Layouts,
    tz: &Zone,
) -> Findings<'a> {
    let incs = &clusters.incidents;
    let incident_of = |s: i64| {
        incs.iter()
            .find(|i| i.start.timestamp() <= s && s <= i.end.timestamp())
            .map(|i| i.id)
    };
    // Per service: files, seconds spans, per-minute counts.
    let mut svc_files: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    // Files come in path order, so a service's files mostly follow each other: they are
    // gathered in runs and the map is searched once per run, not once per file.
    let mut run: Option<(&str, Vec<usize>)> = None;
    for (i, f) in scan.files.iter().enumerate() {
        // Host dumps (netstat, tasklist) are evidence, not logs: no coverage to speak of.
        if f.dump.is_some() {
            continue;
        }
        match &mut run {
            Some((svc, v)) if *svc == &*f.service => v.push(i),
            _ => {
                if let Some((svc, v)) = run.replace((&*f.service, vec![i])) {
                    svc_files.entry(svc).or_default().extend(v);
                }
            }
        }
    }
    if let Some((svc, v)) = run {
        svc_files.entry(svc).or_default().extend(v);
    }
    let file_span = |i: usize| {
        let f = &scan.files[i];
        match (f.first, f.last) {
            (Some(a), Some(b)) if f.dated_records > 0 => Some((
                a.timestamp().min(b.timestamp()),
                a.timestamp().max(b.timestamp()) + 1,
            )),
            _ => None,
        }
    };
    let svc_span: BTreeMap<&str, Spans> = svc_files
        .par_iter()
        .map(|(s, fs)| (*s, union(fs.iter().filter_map(|&i| file_span(i)).collect())))
        .collect::<Vec<_>>()
        .into_iter()
        .collect();
    let logs_end = scan.files.iter().filter_map(|f| f.last).max();

    // The findings are independent of each other; they run side by side (the report stage
    // otherwise keeps one core busy and the other idle).
    let ((recurrence, red_herrings), (coverage, (traffic, host_wide))) = rayon::join(
        || {
            (
                recurrence(clusters, tz, logs_end),
                red_herrings(scan, catalog, clusters, &svc_span),
            )
        },
        || {
            rayon::join(
                || coverage(scan, clusters, &svc_files, catalog),
                || {
                    (
                        traffic(scan, clusters, layouts),
                        host_wide(scan, catalog, incident_of),
                    )
                },
            )
        },
    );
    Findings {
        recurrence,
        red_herrings,
        coverage,
        traffic,
        host_wide,
    }
}

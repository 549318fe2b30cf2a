//! Signals: what the detector counts, per service and per UTC minute.
//!
//! Input: the scan output (per-file per-minute signature counts, hits, unknown records), the
//! catalog and the mined templates. Output: [`Signal`]s (counts per minute, record times for
//! second-precise edges, what the catalog says about them) and the observation span of each
//! service ([`ServiceSpan`]).
//!
//! - A catalog signature per service: from `FileScan::sig_minutes` (every dated hit, stored
//!   or dropped by `--max-hits`). Markers are not signals (they go on the timeline),
//!   except those the catalog flags as noise (background that is never evidence).
//! - A mined template per service: its dated records, counted per minute from the scan's
//!   summary of unknown records (`analysis::templates::Analysis::minutes`), their kept
//!   times (`--max-hits`) for the edges.
//! - User impact per access-log service: failed requests against requests per minute,
//!   read only from [`ImpactMinute`]s, the one seam of the user-impact input: [`build`]
//!   takes them as an argument. Today [`impact_minutes`] makes them (failed = hits of
//!   user-impact signatures of the access-log context, requests = the access log's dated
//!   records); a parsed access log (status and volume per minute, issue 19) feeds the same
//!   type instead. Those hits are not also counted as a signature signal; their record
//!   times, where stored, give the signal's second-precise edges and evidence.
//! - A service's span: first to last record of its files (union over files), its observed
//!   minutes being the span less the silences its own record rate makes improbable
//!   (P(no record for L minutes) = e^(−rL) below α, Bonferroni over its gaps; in a log
//!   with records in fewer than half its minutes, such as an error log, only silences
//!   longer than the longest window): a hole in the log, where no signal could be seen.

use super::{ALPHA, SHORT_MINUTES};
use crate::catalog::{Catalog, MatchContext, Role, Severity};
use crate::scan::{FileScan, ScanOutput};
use crate::time::Format;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Record times with their index (hit or unknown record).
type RecordTimes = Vec<(DateTime<Utc>, usize)>;

/// What a signal counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SignalKind {
    /// A catalog signature (its index).
    Signature(u16),
    /// A mined template (index into the template analysis).
    Template(u32),
    /// Failed requests of an access log against its requests.
    Impact,
    /// Slow requests of an access log (at least its own slow threshold,
    /// `FileTraffic::slow_threshold_ms`) against its timed requests: user impact without
    /// errors (issue 19).
    Slow,
}

impl SignalKind {
    /// Is it user impact read from access logs (failures or slowness)? Their records are
    /// written when a request completes, so they say little about when an outage began.
    pub fn is_user_impact(self) -> bool {
        matches!(self, SignalKind::Impact | SignalKind::Slow)
    }
}

/// One signal.
#[derive(Clone, Debug)]
pub struct Signal {
    /// What it counts.
    pub kind: SignalKind,
    /// Its service (index into [`Signals::services`]).
    pub service: usize,
    /// (minute, events), sorted.
    pub counts: Vec<(i64, u32)>,
    /// Record times with their index (hit index for signatures and impact, template point
    /// index for templates), sorted. Hits dropped by `--max-hits` have no time here.
    pub times: Vec<(DateTime<Utc>, usize)>,
    /// Requests per minute (impact: requests; slowness: timed requests).
    pub requests: Option<Vec<(i64, f64)>>,
    /// Severity as the detector weighs it ([`signal_severity`]).
    pub severity: Severity,
    /// Catalog noise flag (a prior: stronger effect needed, never a root).
    pub noise: bool,
    /// Role `crash` or `host-wide`: one occurrence with no background is a rare event.
    pub rare_role: bool,
}

impl Signal {
    /// Can it open an incident (critical or error)?
    pub fn opens(&self) -> bool {
        self.severity.opens_incident()
    }

    /// Events in total.
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|c| u64::from(c.1)).sum()
    }
}

/// A service's observation span.
#[derive(Clone, Debug, Default)]
pub struct ServiceSpan {
    /// Name.
    pub name: String,
    /// First and last minute with a record (inclusive); `None` without dated records.
    pub range: Option<(i64, i64)>,
    /// Observed minutes: the union of its files' first–last spans, less its log gaps.
    pub minutes: i64,
}

/// Every signal of a scan.
#[derive(Clone, Debug, Default)]
pub struct Signals {
    /// Services, in name order.
    pub services: Vec<ServiceSpan>,
    /// Signals in (service, kind) order.
    pub signals: Vec<Signal>,
}

/// Requests and failures of one access-log service in one minute: the user-impact signal's
/// input, whatever reads the access log.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ImpactMinute {
    /// UTC minute (unix seconds / 60).
    pub minute: i64,
    /// Requests.
    pub requests: u64,
    /// Failed requests (5xx).
    pub failed: u64,
    /// First and last failure in the minute (stored hits), for second-precise edges.
    pub first_fail: Option<DateTime<Utc>>,
    /// See `first_fail`.
    pub last_fail: Option<DateTime<Utc>>,
}

/// The severity the detector gives a signature's hits: the catalog's. Issue 21's record
/// level (a signature on an INFO line weighs less) lowers it here, in one place.
pub fn signal_severity(sig: &crate::catalog::Signature) -> Severity {
    sig.severity
}

/// A timeline marker, not a signal (a marker the catalog flags as noise, such as nginx's
/// static-file misses, is a signal: background that is never evidence).
fn is_marker(sig: &crate::catalog::Signature) -> bool {
    sig.severity == Severity::Marker && !sig.noise
}

/// Is the file an access log (the user-impact signal's source)?
pub fn is_access_log(f: &FileScan) -> bool {
    f.format == Some(Format::Clf) && f.dated_records > 0 && f.dump.is_none()
}

/// Is the signature a user-impact signature of the access-log context?
pub fn is_impact(sig: &crate::catalog::Signature) -> bool {
    sig.has_role(Role::UserImpact) && sig.context == Some(MatchContext::AccessLog)
}

/// Per access-log service, its [`ImpactMinute`]s in minute order.
pub fn impact_minutes(scan: &ScanOutput, cat: &Catalog) -> BTreeMap<String, Vec<ImpactMinute>> {
    let mut per: BTreeMap<String, BTreeMap<i64, ImpactMinute>> = BTreeMap::new();
    let blank = |minute| ImpactMinute {
        minute,
        requests: 0,
        failed: 0,
        first_fail: None,
        last_fail: None,
    };
    for f in scan.files.iter() {
        // An access log whose layout was recognised gives its parsed per-minute traffic:
        // requests and failed requests by status and flags (issue 19), so a `500` in a
        // length or timer field never counts and a 499 (the client gave up) is no failure.
        if let Some(h) = &f.http {
            let e = per.entry(f.service.to_string()).or_default();
            for m in &h.minutes {
                let im = e.entry(m.minute).or_insert_with(|| blank(m.minute));
                im.requests += u64::from(m.requests);
                im.failed += u64::from(m.failed);
            }
            continue;
        }
        if !is_access_log(f) {
            continue;
        }
        let e = per.entry(f.service.to_string()).or_default();
        for (m, n) in f.minutes.iter() {
            e.entry(m).or_insert_with(|| blank(m)).requests += u64::from(n);
        }
        for (m, sig, n) in f.sig_minutes.iter() {
            if is_impact(&cat.signatures[sig as usize]) {
                e.entry(m).or_insert_with(|| blank(m)).failed += u64::from(n);
            }
        }
    }
    for h in &scan.hits {
        let (Some(t), f) = (h.time, &scan.files[h.file as usize]) else {
            continue;
        };
        if (f.http.is_some() || is_access_log(f)) && is_impact(&cat.signatures[h.sig as usize]) {
            if let Some(im) = per
                .get_mut(&*f.service)
                .and_then(|e| e.get_mut(&t.timestamp().div_euclid(60)))
            {
                im.first_fail = Some(im.first_fail.map_or(t, |x| x.min(t)));
                im.last_fail = Some(im.last_fail.map_or(t, |x| x.max(t)));
            }
        }
    }
    per.into_iter()
        .map(|(s, m)| (s, m.into_values().collect()))
        .collect()
}

/// Builds every signal of a scan. `templates` gives each template's records per file and
/// minute and their kept times, `template_opens` whether a template opens; `impact` is
/// the user-impact input per access-log service ([`impact_minutes`] or parsed traffic).
pub fn build(
    scan: &ScanOutput,
    cat: &Catalog,
    templates: &crate::analysis::templates::Analysis,
    template_opens: &dyn Fn(u32) -> bool,
    impact: &BTreeMap<String, Vec<ImpactMinute>>,
) -> Signals {
    // Services in name order; dumps are evidence, not logs.
    let mut names: Vec<&str> = scan
        .files
        .iter()
        .filter(|f| f.dump.is_none())
        .map(|f| &*f.service)
        .collect();
    names.sort_unstable();
    names.dedup();
    let svc_of = |name: &str| names.binary_search(&name).ok();
    let mut services: Vec<ServiceSpan> = names
        .iter()
        .map(|n| ServiceSpan {
            name: n.to_string(),
            ..Default::default()
        })
        .collect();
    let mut by_key: BTreeMap<(usize, SignalKind), Vec<(i64, u32)>> = BTreeMap::new();
    let mut times: BTreeMap<(usize, SignalKind), RecordTimes> = BTreeMap::new();
    for f in scan.files.iter().filter(|f| f.dump.is_none()) {
        let Some(s) = svc_of(&f.service) else {
            continue;
        };
        let access = is_access_log(f);
        for (m, sig, n) in f.sig_minutes.iter() {
            let sg = &cat.signatures[sig as usize];
            // User impact is counted from `impact` only.
            if is_marker(sg) || (access && is_impact(sg)) {
                continue;
            }
            by_key
                .entry((s, SignalKind::Signature(sig)))
                .or_default()
                .push((m, n));
        }
    }
    // User impact: failures and requests per minute from the seam.
    let mut requests: BTreeMap<(usize, SignalKind), BTreeMap<i64, f64>> = BTreeMap::new();
    for (name, minutes) in impact {
        let Some(s) = svc_of(name) else { continue };
        let r = requests.entry((s, SignalKind::Impact)).or_default();
        let c = by_key.entry((s, SignalKind::Impact)).or_default();
        for im in minutes {
            *r.entry(im.minute).or_default() += im.requests as f64;
            if im.failed > 0 {
                c.push((im.minute, u32::try_from(im.failed).unwrap_or(u32::MAX)));
            }
        }
        if c.is_empty() {
            by_key.remove(&(s, SignalKind::Impact));
        }
    }
    slowness(scan, &svc_of, &mut by_key, &mut requests);
    for (i, h) in scan.hits.iter().enumerate() {
        let Some(t) = h.time else { continue };
        let f = &scan.files[h.file as usize];
        let sg = &cat.signatures[h.sig as usize];
        let Some(s) = svc_of(&f.service).filter(|_| f.dump.is_none()) else {
            continue;
        };
        if is_marker(sg) {
            continue;
        }
        let kind = if is_access_log(f) && is_impact(sg) {
            SignalKind::Impact
        } else {
            SignalKind::Signature(h.sig)
        };
        times.entry((s, kind)).or_default().push((t, i));
    }
    // Templates: every dated record per (file, minute) from the summaries, and the kept
    // record times (`--max-hits`, as hits) for second-precise edges.
    for &(tpl, file, m, n) in &templates.minutes {
        let Some(s) = scan
            .files
            .get(file as usize)
            .and_then(|f| svc_of(&f.service))
        else {
            continue;
        };
        by_key
            .entry((s, SignalKind::Template(tpl)))
            .or_default()
            .push((m, n));
    }
    for (i, p) in templates.points.iter().enumerate() {
        let Some(s) = scan
            .files
            .get(p.file as usize)
            .and_then(|f| svc_of(&f.service))
        else {
            continue;
        };
        times
            .entry((s, SignalKind::Template(p.template)))
            .or_default()
            .push((p.time, i));
    }
    spans(scan, &names, &mut services, &by_key);
    let mut signals = Vec::with_capacity(by_key.len());
    for ((s, kind), mut counts) in by_key {
        counts.sort_unstable();
        let mut merged: Vec<(i64, u32)> = Vec::with_capacity(counts.len());
        for (m, n) in counts {
            match merged.last_mut() {
                Some(l) if l.0 == m => l.1 = l.1.saturating_add(n),
                _ => merged.push((m, n)),
            }
        }
        let (severity, noise, rare_role) = match kind {
            SignalKind::Signature(sig) => {
                let sg = &cat.signatures[sig as usize];
                (
                    signal_severity(sg),
                    sg.noise,
                    sg.has_role(Role::Crash) || sg.has_role(Role::HostWide),
                )
            }
            SignalKind::Template(t) => (
                if template_opens(t) {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                false,
                false,
            ),
            SignalKind::Impact | SignalKind::Slow => (Severity::Error, false, false),
        };
        let mut t = times.remove(&(s, kind)).unwrap_or_default();
        t.sort_unstable();
        signals.push(Signal {
            kind,
            service: s,
            counts: merged,
            times: t,
            requests: requests
                .get(&(s, kind))
                .map(|r| r.iter().map(|(&m, &n)| (m, n)).collect()),
            severity,
            noise,
            rare_role,
        });
    }
    Signals { services, signals }
}

/// Slowness per access-log service: per minute, the requests at least as slow as their
/// log's threshold, against the timed requests (the exposure). A steady trickle of slow
/// requests is the baseline; only a jump in their share is a window (the detector's rate
/// test with weights, as for failures).
fn slowness(
    scan: &ScanOutput,
    svc_of: &dyn Fn(&str) -> Option<usize>,
    by_key: &mut BTreeMap<(usize, SignalKind), Vec<(i64, u32)>>,
    requests: &mut BTreeMap<(usize, SignalKind), BTreeMap<i64, f64>>,
) {
    for f in scan.files.iter().filter(|f| f.dump.is_none()) {
        let (Some(h), Some(s)) = (&f.http, svc_of(&f.service)) else {
            continue;
        };
        let Some((_, t)) = h.slow_threshold_ms() else {
            continue;
        };
        let key = (s, SignalKind::Slow);
        for m in &h.minutes {
            let timed = m.durations.count();
            if timed == 0 {
                continue;
            }
            *requests
                .entry(key)
                .or_default()
                .entry(m.minute)
                .or_default() += timed as f64;
            let slow = m.durations.count_at_least_ms(t);
            if slow > 0 {
                by_key
                    .entry(key)
                    .or_default()
                    .push((m.minute, u32::try_from(slow).unwrap_or(u32::MAX)));
            }
        }
    }
}

/// Fills each service's observation span, for the services that have a signal.
fn spans(
    scan: &ScanOutput,
    names: &[&str],
    services: &mut [ServiceSpan],
    by_key: &BTreeMap<(usize, SignalKind), Vec<(i64, u32)>>,
) {
    let mut wanted = vec![false; services.len()];
    for (s, _) in by_key.keys() {
        wanted[*s] = true;
    }
    let mut ranges: Vec<Vec<(i64, i64)>> = vec![Vec::new(); services.len()];
    let mut minutes: Vec<Vec<(i64, u32)>> = vec![Vec::new(); services.len()];
    for f in scan.files.iter().filter(|f| f.dump.is_none()) {
        let Ok(s) = names.binary_search(&&*f.service) else {
            continue;
        };
        if !wanted[s] {
            continue;
        }
        if let (Some(a), Some(b)) = (f.first, f.last) {
            let (a, b) = (a.timestamp().div_euclid(60), b.timestamp().div_euclid(60));
            ranges[s].push((a.min(b), a.max(b)));
        }
        minutes[s].extend(f.minutes.iter());
    }
    for (s, svc) in services.iter_mut().enumerate() {
        let mut r = std::mem::take(&mut ranges[s]);
        let mut mins = std::mem::take(&mut minutes[s]);
        // Hits of a file whose first/last stamps were not read still have minutes.
        if r.is_empty() {
            if let (Some(a), Some(b)) = (
                mins.iter().map(|x| x.0).min(),
                mins.iter().map(|x| x.0).max(),
            ) {
                r.push((a, b));
            }
        }
        if r.is_empty() {
            continue;
        }
        r.sort_unstable();
        let mut union: Vec<(i64, i64)> = Vec::new();
        for (a, b) in r {
            match union.last_mut() {
                Some(l) if a <= l.1 + 1 => l.1 = l.1.max(b),
                _ => union.push((a, b)),
            }
        }
        let lo = union.first().map_or(0, |u| u.0);
        let hi = union.last().map_or(0, |u| u.1);
        let mut observed: i64 = union.iter().map(|(a, b)| b - a + 1).sum();
        mins.sort_unstable();
        let records: f64 = mins.iter().map(|x| f64::from(x.1)).sum();
        mins.dedup_by_key(|x| x.0);
        // A silence the service's own record rate makes improbable (P = e^(−r·L) below α
        // over its gaps, Bonferroni) is a hole in the log (rotation, host down, an old
        // startup section at the top of an ERRORLOG), not observation time.
        let per_minute = records / (hi - lo + 1).max(1) as f64;
        let holes = mins.len().saturating_sub(1).max(1) as f64;
        let longest_plausible = (holes / ALPHA).ln() / per_minute.max(1e-9);
        // Gaps inside one file span only: between spans nothing was counted.
        let same_span = |a: i64, b: i64| {
            let i = union.partition_point(|u| u.1 < a);
            i < union.len() && union[i].0 <= a && b <= union[i].1
        };
        // A log that writes little besides its errors (an error log) is silent between
        // them by nature: there only a silence longer than the longest window counts as a
        // hole; a busy log (records in most minutes) also loses shorter ones.
        let busy = mins.len() as f64 >= 0.5 * observed as f64;
        for w in mins.windows(2) {
            let empty = w[1].0 - w[0].0 - 1;
            if empty as f64 > longest_plausible
                && (busy || empty >= SHORT_MINUTES)
                && same_span(w[0].0, w[1].0)
            {
                observed -= empty;
            }
        }
        svc.range = Some((lo, hi));
        svc.minutes = observed.max(1);
    }
}

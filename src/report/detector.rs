//! What the rate detector decided, as the report shows it: each incident's `why` (its
//! anomalous signals, observed against expected), the `isolated[]` events (anomalous, but
//! not an incident), the `chronic[]` signals (steady background) and the `detector` block
//! (mode, α, scales, rules).
//!
//! Input: the clusters (the detection and the template analysis it names templates from),
//! the scan output and the catalog. Output: [`WhyOut`], [`IsolatedOut`], [`ChronicOut`],
//! [`DetectorOut`], all additive fields of `faultscope/1` (docs/json.md).

use super::{ser_opt_time, ser_time, HitOut};
use crate::analysis::detect::{self, Detection, SignalKind};
use crate::analysis::incidents::{Clusters, Incident};
use crate::analysis::rates::round;
use crate::catalog::Catalog;
use crate::scan::ScanOutput;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// One anomalous signal of an incident.
#[derive(Serialize, Debug, Clone)]
pub struct WhyOut {
    /// Signature id, template id or `user-impact`.
    pub signal: String,
    /// `signature`, `template` or `impact`.
    pub kind: &'static str,
    /// Its service.
    pub service: String,
    /// `burst`, `rare-event`, `short-capture` (it opened the incident) or `elevated`.
    pub how: &'static str,
    /// Events counted (records per minute, every hit, stored or not).
    pub observed: u64,
    /// Events its baseline expects there (`null`: no baseline, short capture).
    pub expected: Option<f64>,
    /// Tail probability P(X ≥ observed) of the test (`null`: short capture).
    pub p_value: Option<f64>,
    /// observed / expected (`null` without a baseline).
    pub lift: Option<f64>,
}

/// An anomalous window that is not an incident.
#[derive(Serialize, Debug, Clone)]
pub struct IsolatedOut {
    /// First record.
    #[serde(serialize_with = "ser_time")]
    pub time: DateTime<Utc>,
    /// Last record.
    #[serde(serialize_with = "ser_time")]
    pub end: DateTime<Utc>,
    /// Signature id, template id or `user-impact`.
    pub signal: String,
    /// `signature`, `template` or `impact`.
    pub kind: &'static str,
    /// Title (signature) or template text.
    pub title: String,
    /// Service.
    pub service: String,
    /// Records.
    pub observed: u64,
    /// Expected at its baseline (`null`: short capture).
    pub expected: Option<f64>,
    /// Why it is not an incident.
    pub reason: String,
    /// Its first record.
    pub evidence: Option<HitOut>,
}

/// A chronic signal: present in most hours at a steady rate.
#[derive(Serialize, Debug, Clone)]
pub struct ChronicOut {
    /// Signature id or template id.
    pub signature: String,
    /// `signature` or `template` (`impact` for a steady failure ratio of an access log).
    pub kind: &'static str,
    /// Title (signature) or template text.
    pub title: String,
    /// Services where it is chronic.
    pub services: Vec<String>,
    /// Baseline rate per hour (summed over those services).
    pub rate_per_hour: f64,
    /// First record.
    #[serde(serialize_with = "ser_opt_time")]
    pub first: Option<DateTime<Utc>>,
    /// Last record.
    #[serde(serialize_with = "ser_opt_time")]
    pub last: Option<DateTime<Utc>>,
    /// Share of its services' observed minutes with at least one record.
    pub share_of_minutes: f64,
    /// Its anomalous windows (it can be chronic and still burst).
    pub windows: usize,
}

/// How incidents were decided.
#[derive(Serialize, Debug, Clone)]
pub struct DetectorOut {
    /// `baseline`, `short-capture` (no baseline anywhere: absolute minimums) or `mixed`.
    pub mode: &'static str,
    /// Family-wise error level of the run.
    pub alpha: f64,
    /// Tests counted (positions × scales × signals).
    pub tests: u64,
    /// α per test (Bonferroni).
    pub alpha_per_test: f64,
    /// Effect size: observed ≥ this × expected.
    pub effect: f64,
    /// Effect size for catalog noise signatures.
    pub noise_effect: f64,
    /// Window lengths, minutes.
    pub scales_minutes: Vec<i64>,
    /// Anomalous records an incident needs (without user impact or a corroborated rare event).
    pub min_records: u64,
    /// Services observed for fewer minutes have no baseline.
    pub short_minutes: i64,
    /// Services without a baseline.
    pub short_services: Vec<String>,
    /// Signals tested.
    pub signals: usize,
    /// The rules, in words.
    pub rules: Vec<String>,
}

/// A signal's id, kind word and title.
pub(super) fn describe(
    d: &Detection,
    c: &Clusters,
    cat: &Catalog,
    i: usize,
) -> (String, &'static str, String) {
    let s = &d.signals.signals[i];
    match s.kind {
        SignalKind::Signature(x) => {
            let sg = &cat.signatures[x as usize];
            (sg.id.clone(), "signature", sg.title.clone())
        }
        SignalKind::Template(t) => {
            let tp = &c.templates.templates[t as usize];
            (tp.id.clone(), "template", tp.text.clone())
        }
        SignalKind::Impact => (
            "user-impact".into(),
            "impact",
            "failed requests of an access log".into(),
        ),
        SignalKind::Slow => (
            "slow-requests".into(),
            "slowness",
            "requests slower than the access log's own threshold".into(),
        ),
    }
}

/// An incident's `why`.
pub(super) fn why(inc: &Incident, c: &Clusters, cat: &Catalog) -> Vec<WhyOut> {
    let d = &c.detection;
    inc.why
        .iter()
        .map(|w| {
            let (signal, kind, _) = describe(d, c, cat, w.signal);
            WhyOut {
                signal,
                kind,
                service: d.signals.services[d.signals.signals[w.signal].service]
                    .name
                    .clone(),
                how: w.how,
                observed: w.observed,
                expected: w.expected.map(|e| round(e, 3)),
                p_value: w.p.map(sig_round),
                lift: w
                    .expected
                    .filter(|&e| e > 0.0)
                    .map(|e| round(w.observed as f64 / e, 1)),
            }
        })
        .collect()
}

/// A p-value rounded to 3 significant digits (tiny values stay visible).
fn sig_round(p: f64) -> f64 {
    if p <= 0.0 || !p.is_finite() {
        return 0.0;
    }
    format!("{p:.2e}").parse().unwrap_or(p)
}

/// The isolated events.
pub(super) fn isolated(
    c: &Clusters,
    scan: &ScanOutput,
    cat: &Catalog,
    hit_out: &dyn Fn(usize) -> HitOut,
) -> Vec<IsolatedOut> {
    let d = &c.detection;
    d.isolated
        .iter()
        .map(|x| {
            let w = &d.windows[x.window];
            let s = &d.signals.signals[w.signal];
            let (signal, kind, title) = describe(d, c, cat, w.signal);
            let evidence = w.members.first().map(|&m| match s.kind {
                SignalKind::Template(t) => {
                    // The record itself as the summary kept it (a run's first record).
                    let p = c.templates.points[m];
                    let rec = crate::analysis::templates::window_firsts(
                        &scan.unknown,
                        &c.templates,
                        t,
                        w.start,
                        w.end,
                        &[p.file],
                    );
                    let f = &scan.files[p.file as usize];
                    HitOut {
                        time: p.time,
                        service: f.service.to_string(),
                        signature: signal.clone(),
                        path: f.path.clone(),
                        line: rec.first().map_or(0, |r| r.line),
                        text: rec
                            .first()
                            .map_or(String::new(), |r| r.excerpt().to_string()),
                    }
                }
                _ => hit_out(m),
            });
            IsolatedOut {
                time: w.start,
                end: w.end,
                signal,
                kind,
                title,
                service: d.signals.services[s.service].name.clone(),
                observed: w.observed,
                expected: w.expected.map(|e| round(e, 3)),
                reason: x.reason.clone(),
                evidence,
            }
        })
        .collect()
}

/// The chronic signals, one entry per signature or template (services merged), by rate.
pub(super) fn chronic(c: &Clusters, cat: &Catalog) -> Vec<ChronicOut> {
    let d = &c.detection;
    let mut per: BTreeMap<(String, &'static str), ChronicOut> = BTreeMap::new();
    let mut minutes: BTreeMap<(String, &'static str), (f64, f64)> = BTreeMap::new();
    for (i, s) in d.signals.signals.iter().enumerate() {
        let Some(f) = &d.fits[i] else { continue };
        if !detect::is_chronic(f) {
            continue;
        }
        let (id, kind, title) = describe(d, c, cat, i);
        let svc = &d.signals.services[s.service];
        let first = s.times.first().map(|t| t.0);
        let last = s.times.last().map(|t| t.0);
        let per_hour = match &s.requests {
            // Failures per request × requests per hour of the span.
            Some(r) => f.rate * r.iter().map(|x| x.1).sum::<f64>() / (svc.minutes as f64 / 60.0),
            None => f.rate * 60.0,
        };
        let e = per.entry((id.clone(), kind)).or_insert_with(|| ChronicOut {
            signature: id.clone(),
            kind,
            title,
            services: Vec::new(),
            rate_per_hour: 0.0,
            first,
            last,
            share_of_minutes: 0.0,
            windows: 0,
        });
        e.services.push(svc.name.clone());
        e.rate_per_hour += per_hour;
        e.first = match (e.first, first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        e.last = e.last.max(last);
        e.windows += d.windows.iter().filter(|w| w.signal == i).count();
        let m = minutes.entry((id, kind)).or_default();
        m.0 += s.counts.len() as f64;
        m.1 += svc.minutes as f64;
    }
    let mut out: Vec<ChronicOut> = per
        .into_iter()
        .map(|(k, mut e)| {
            let (present, total) = minutes[&k];
            e.share_of_minutes = round(present / total.max(1.0), 3);
            e.rate_per_hour = round(e.rate_per_hour, 1);
            e.services.sort();
            e
        })
        .collect();
    out.sort_by(|a, b| {
        b.rate_per_hour
            .total_cmp(&a.rate_per_hour)
            .then(a.signature.cmp(&b.signature))
    });
    out
}

/// The `detector` block.
pub(super) fn detector(d: &Detection) -> DetectorOut {
    DetectorOut {
        mode: d.mode(),
        alpha: detect::ALPHA,
        tests: d.tests,
        alpha_per_test: sig_round(d.alpha_test()),
        effect: detect::EFFECT,
        noise_effect: detect::NOISE_EFFECT,
        scales_minutes: detect::SCALES.to_vec(),
        min_records: detect::MIN_RECORDS,
        short_minutes: detect::SHORT_MINUTES,
        short_services: d.short_services.clone(),
        signals: d.signals.signals.len(),
        rules: vec![
            format!(
                "a signal (signature, template or user impact, per service and minute) opens a window where its count over 1-60 minutes has P(X >= observed | its own baseline) <= {} / {} tests and is at least {}x the expected count ({}x for catalog noise)",
                detect::ALPHA, d.tests, detect::EFFECT, detect::NOISE_EFFECT
            ),
            "baselines leave out the flagged minutes (3 rounds), get 0.5 events when empty, and use a negative binomial when the baseline is over-dispersed".into(),
            "one crash or host-wide event that its own background makes unlikely is a rare event".into(),
            format!(
                "windows of different signals merge within --gap; an incident needs {} anomalous records, or user impact, or a rare event with a second anomalous signal; anything less is isolated",
                detect::MIN_RECORDS
            ),
            "inside an incident other signals count only when elevated above their baseline outside every incident".into(),
            format!(
                "a service observed for under {} minutes has no baseline: its error records count as anomalous (short capture)",
                detect::SHORT_MINUTES
            ),
        ],
    }
}

//! Red-herring scoring: per signature, hits inside incident windows vs outside, and the lift
//! over the base rate. A signature firing all day at the same rate (nginx `CreateFile()` in
//! the founding case) is *unrelated noise*, not evidence.
//!
//! Input: the dated hits (markers skipped unless flagged noise), the incidents with the
//! windows that opened them, and the spans each service's files cover. Each signature is
//! scored against the incident windows formed *without* it (leave-one-out): the windows
//! the other anomalous signals opened. Scoring a signature against windows its own hits
//! built was circular (a noise signature not flagged in the catalog came out "100 % inside,
//! correlated"). Output: one [`SignatureScore`]
//! per signature, by [`Verdict`] then id. A signature's base time is when the services that
//! produced it were logging, so a service that logged for an hour is not compared with a
//! day. [`classify`] (pure, unit-tested) tests the inside count against the base rate with
//! the Poisson tails of `analysis::rates`.

use crate::analysis::incidents::Clusters;
use crate::analysis::rates::{
    contains, intersect, measure, poisson_cdf, poisson_sf, round, union, Spans,
};
use crate::catalog::{Catalog, Severity};
use crate::scan::ScanOutput;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Red herrings: fewer dated hits than this cannot be classified (unless every hit is
/// inside an incident and that is unlikely by chance).
pub const SCORE_MIN_HITS: u64 = 5;
/// Red herrings: significance level of the Poisson test against the base rate.
pub const SCORE_P_VALUE: f64 = 0.01;
/// Red herrings: lift at or above this (and significant) means "more during incidents".
pub const LIFT_HIGH: f64 = 2.0;
/// Red herrings: lift at or below this (and significant) means "less during incidents".
pub const LIFT_LOW: f64 = 0.5;
/// Red herrings: share of hits inside incidents above which an elevated signature is
/// "correlated" rather than "elevated" background.
pub const CORRELATED_SHARE: f64 = 0.5;

/// What a signature's timing says about it.
#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Mostly or only inside incident windows, far above its base rate: evidence.
    Correlated,
    /// Significantly more frequent during incidents, but mostly background.
    Elevated,
    /// About the same rate inside and outside (lift ≈ 1): background, not evidence.
    UnrelatedNoise,
    /// Significantly rarer during incidents (e.g. its service stopped logging).
    Suppressed,
    /// Too few hits to say.
    TooFewHits,
    /// Its logs do not overlap any incident window (or only the windows).
    NotComparable,
}

impl Verdict {
    /// Human words.
    pub fn describe(self) -> &'static str {
        match self {
            Verdict::Correlated => "correlated",
            Verdict::Elevated => "elevated during incidents",
            Verdict::UnrelatedNoise => "unrelated noise",
            Verdict::Suppressed => "rarer during incidents",
            Verdict::TooFewHits => "too few hits",
            Verdict::NotComparable => "not comparable",
        }
    }
}

/// One signature against the incident windows.
#[derive(Serialize, Debug, Clone)]
pub struct SignatureScore {
    /// Signature id.
    pub signature: String,
    /// Flagged as background noise in the catalog.
    pub catalog_noise: bool,
    /// Dated hits.
    pub hits: u64,
    /// Hits inside incident windows (start to end second, inclusive).
    pub inside: u64,
    /// Hits outside.
    pub outside: u64,
    /// inside / hits.
    pub share_inside: f64,
    /// Seconds of incident window within the time its services were logging.
    pub inside_seconds: i64,
    /// The rest of that time.
    pub outside_seconds: i64,
    /// Hits expected inside at the base rate: hits × inside_seconds / (inside + outside seconds).
    pub expected_inside: f64,
    /// (inside / inside_seconds) / (outside / outside_seconds); `null` when it never
    /// fired outside (unbounded) or a side has no time.
    pub lift: Option<f64>,
    /// Chance of at least `inside` hits inside at the base rate (Poisson).
    pub p_more: f64,
    /// The classification.
    pub verdict: Verdict,
}

/// Classifies one signature from its counts (pure; rules in docs/reports.md).
pub fn classify(
    inside: u64,
    outside: u64,
    inside_secs: i64,
    outside_secs: i64,
) -> (Option<f64>, f64, f64, Verdict) {
    let hits = inside + outside;
    let total_secs = inside_secs + outside_secs;
    if inside_secs <= 0 || outside_secs <= 0 || hits == 0 {
        return (None, 0.0, 1.0, Verdict::NotComparable);
    }
    let expected = hits as f64 * inside_secs as f64 / total_secs as f64;
    let lift = (outside > 0)
        .then(|| (inside as f64 / inside_secs as f64) / (outside as f64 / outside_secs as f64));
    let p_more = poisson_sf(inside, expected);
    let p_less = poisson_cdf(inside, expected);
    let share = inside as f64 / hits as f64;
    let verdict = if outside == 0 && p_more < SCORE_P_VALUE {
        Verdict::Correlated
    } else if hits < SCORE_MIN_HITS {
        Verdict::TooFewHits
    } else if lift.is_some_and(|l| l >= LIFT_HIGH) && p_more < SCORE_P_VALUE {
        if share >= CORRELATED_SHARE {
            Verdict::Correlated
        } else {
            Verdict::Elevated
        }
    } else if lift.is_some_and(|l| l <= LIFT_LOW) && p_less < SCORE_P_VALUE {
        Verdict::Suppressed
    } else {
        Verdict::UnrelatedNoise
    };
    (lift, expected, p_more, verdict)
}

/// The incident windows without a signature's own: each incident spans the windows of the
/// *other* signals that opened it (an incident only this signature opened drops out), so
/// a signature is never scored against windows built from its own hits.
fn windows_without(clusters: &Clusters, sig: u16) -> Spans {
    union(
        clusters
            .incidents
            .iter()
            .filter_map(|i| {
                let others = i.opened.iter().filter(|o| o.signature != Some(sig));
                let a = others.clone().map(|o| o.start).min()?;
                let b = others.map(|o| o.end).max()?;
                Some((a.timestamp(), b.timestamp() + 1))
            })
            .collect(),
    )
}

pub(super) fn red_herrings(
    scan: &ScanOutput,
    catalog: &Catalog,
    clusters: &Clusters,
    svc_span: &BTreeMap<&str, Spans>,
) -> Vec<SignatureScore> {
    if clusters.incidents.is_empty() {
        return Vec::new();
    }
    let loo: BTreeMap<u16, Spans> = scan
        .hits
        .iter()
        .map(|h| h.sig)
        .collect::<std::collections::BTreeSet<u16>>()
        .into_iter()
        .map(|s| (s, windows_without(clusters, s)))
        .collect();
    // Per signature: counts and the services it was seen in.
    let mut per: BTreeMap<u16, (u64, u64, BTreeSet<&str>)> = BTreeMap::new();
    for h in &scan.hits {
        let Some(t) = h.time else { continue };
        let s = &catalog.signatures[h.sig as usize];
        if s.severity == Severity::Marker && !s.noise {
            continue;
        }
        let e = per.entry(h.sig).or_default();
        if contains(&loo[&h.sig], t.timestamp()) {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
        e.2.insert(scan.files[h.file as usize].service.as_ref());
    }
    let mut out: Vec<SignatureScore> = per
        .into_iter()
        .map(|(sig, (inside, outside, services))| {
            // Base time: when the services that produced it were logging.
            let observed = union(
                services
                    .iter()
                    .flat_map(|s| svc_span.get(s).cloned().unwrap_or_default())
                    .collect(),
            );
            let total = measure(&observed);
            let inside_seconds = intersect(&observed, &loo[&sig]);
            let outside_seconds = total - inside_seconds;
            let (lift, expected, p_more, verdict) =
                classify(inside, outside, inside_seconds, outside_seconds);
            let s = &catalog.signatures[sig as usize];
            SignatureScore {
                signature: s.id.clone(),
                catalog_noise: s.noise,
                hits: inside + outside,
                inside,
                outside,
                share_inside: round(inside as f64 / (inside + outside) as f64, 3),
                inside_seconds,
                outside_seconds,
                expected_inside: round(expected, 2),
                lift: lift.map(|l| round(l, 2)),
                p_more: round(p_more, 4),
                verdict,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.verdict
            .cmp(&b.verdict)
            .then(a.signature.cmp(&b.signature))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        // The founding case red herring: 1 of 136 inside 128 s of 16,200 s.
        let (lift, _, _, v) = classify(1, 135, 128, 16_072);
        assert_eq!(v, Verdict::UnrelatedNoise);
        assert!((lift.unwrap() - 0.93).abs() < 0.01);
        // Port exhaustion: only inside.
        assert_eq!(classify(65, 0, 128, 16_072).3, Verdict::Correlated);
        assert_eq!(classify(1, 3, 128, 16_072).3, Verdict::TooFewHits);
        assert_eq!(classify(30, 40, 128, 16_072).3, Verdict::Elevated);
        assert_eq!(classify(0, 5000, 1280, 16_072).3, Verdict::Suppressed);
        assert_eq!(classify(0, 20, 128, 16_072).3, Verdict::UnrelatedNoise);
        assert_eq!(classify(3, 3, 0, 16_072).3, Verdict::NotComparable);
    }
}

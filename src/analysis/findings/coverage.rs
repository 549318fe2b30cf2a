//! Coverage and silence: per incident, which services logged during it, which were silent
//! (a silent service is not "no errors"), and services with no dated records at all; per
//! service, its baseline rate, its occupancy and its log gaps.
//!
//! Input: the scan's per-file per-minute record counts, the clusters, and the files of each
//! service. Output: [`Coverage`]. A service with no record in an incident's minutes is
//! *silent* when its baseline predicts at least [`SILENT_MIN_EXPECTED`] records there,
//! *quiet* below, *not covered* when the incident lies outside its log.
//!
//! Tricky cases: baseline minutes are counted from the incident minutes, not by walking the
//! span (stamps years apart, a clock reset, would mean billions of minutes). Services are
//! merged on every thread: the merge of per-file minutes was most of `findings::compute` on
//! the 100,000-file bench corpus (`sum_minutes` sums into one counter per minute of a dense
//! span). Each service's file list is written as JSON beside its activity by the
//! hand-written fast path [`service_files_json`], which a unit test compares byte for byte
//! with serde's output.

use super::{ser_opt_time, ser_time};
use crate::analysis::incidents::{minute_range, Clusters, Incident};
use crate::analysis::rates::round;
use crate::catalog::{Catalog, Severity};
use crate::scan::{Hit, ScanOutput};
use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Coverage: a service with no record during an incident is "silent" when its baseline
/// rate predicts at least this many records in the incident's minutes ("quiet" below).
pub const SILENT_MIN_EXPECTED: f64 = 3.0;
/// Coverage: a log gap is reported when a service that logs in at least this share of its
/// minutes has no record for [`GAP_MIN_MINUTES`] minutes or more.
pub const GAP_MIN_OCCUPANCY: f64 = 0.5;
/// Coverage: shortest reported log gap, in minutes.
pub const GAP_MIN_MINUTES: i64 = 10;

/// Logging activity of one service over the scanned span.
#[derive(Serialize, Debug, Clone)]
pub struct ServiceActivity<'a> {
    /// Service.
    pub service: String,
    /// Its files (borrowed from the scan output: one per file of the scan).
    #[serde(skip)]
    pub files: Vec<&'a str>,
    /// The same list as the JSON report writes it ([`service_files_json`]), written on the
    /// thread that built this service's activity.
    #[serde(rename = "files")]
    pub files_json: Box<serde_json::value::RawValue>,
    /// Dated records.
    pub records: u64,
    /// First dated record.
    #[serde(serialize_with = "ser_opt_time")]
    pub first: Option<DateTime<Utc>>,
    /// Last dated record.
    #[serde(serialize_with = "ser_opt_time")]
    pub last: Option<DateTime<Utc>>,
    /// Records per minute outside incidents, over its logging span.
    pub baseline_per_minute: f64,
    /// Share of the minutes of its span with at least one record.
    pub occupancy: f64,
    /// Stretches with no record in a service that normally logs most minutes.
    pub gaps: Vec<Gap>,
}

/// A service's file list as serde_json's pretty printer writes it where it stands in the
/// report (`findings.coverage.services[].files`: items at depth 6), as raw JSON. These lists
/// repeat every path of the files table: serde's escaper took 14 ms on one thread for the
/// 100,000 paths of the bench's small-files corpus, and written at serialization they were
/// still 9 ms of reading scattered path strings on the writing thread, so every service's
/// list is written in parallel beside its activity;
/// `service_files_are_written_as_serde_writes_them` compares the bytes with the derived
/// form at that depth. Written elsewhere (a compact writer), the list keeps this layout:
/// the same JSON.
pub fn service_files_json(files: &[&str]) -> Box<serde_json::value::RawValue> {
    if files.is_empty() {
        // SAFETY: an empty JSON array.
        return unsafe { serde_json::value::RawValue::from_string_unchecked("[]".into()) };
    }
    let mut text = String::with_capacity(files.iter().map(|f| f.len() + 16).sum::<usize>() + 16);
    text.push('[');
    for (i, f) in files.iter().enumerate() {
        text.push_str(if i == 0 {
            "\n            "
        } else {
            ",\n            "
        });
        crate::json::push_json_str(&mut text, f);
    }
    text.push_str("\n          ]");
    debug_assert!(serde_json::from_str::<Vec<String>>(&text).is_ok_and(|v| v == files));
    // SAFETY: `text` is one JSON array of strings, each written by `push_json_str`
    // (serde_json's escaping), without leading or trailing whitespace (debug builds parse
    // it back above).
    unsafe { serde_json::value::RawValue::from_string_unchecked(text) }
}

/// A stretch of minutes without records.
#[derive(Serialize, Debug, Clone)]
pub struct Gap {
    /// First empty minute.
    #[serde(serialize_with = "ser_time")]
    pub from: DateTime<Utc>,
    /// End of the last empty minute.
    #[serde(serialize_with = "ser_time")]
    pub to: DateTime<Utc>,
    /// Length in minutes.
    pub minutes: i64,
    /// Incidents overlapping it.
    pub incidents: Vec<usize>,
}

/// How a service looked during one incident.
#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Presence {
    /// It wrote records during the incident's minutes.
    Logging,
    /// No record although its baseline predicts several: it went silent (or its log has a
    /// hole). Its lack of errors is not evidence of health.
    Silent,
    /// No record, but it logs too rarely for that to mean anything.
    Quiet,
    /// The incident lies outside the time its log covers.
    NotCovered,
}

/// One service during one incident.
#[derive(Serialize, Debug, Clone)]
pub struct ServicePresence {
    /// Service.
    pub service: String,
    /// Status.
    pub status: Presence,
    /// Records in the incident's minutes (minute resolution).
    pub records: u64,
    /// Records its baseline predicts for those minutes.
    pub expected: f64,
    /// Signature hits attached to the incident (noise and markers not counted).
    pub hits: u64,
    /// First hit in the incident.
    #[serde(serialize_with = "ser_opt_time")]
    pub first_hit: Option<DateTime<Utc>>,
    /// Last hit in the incident.
    #[serde(serialize_with = "ser_opt_time")]
    pub last_hit: Option<DateTime<Utc>>,
}

/// Coverage of one incident.
#[derive(Serialize, Debug, Clone)]
pub struct IncidentCoverage {
    /// Incident id.
    pub id: usize,
    /// Minutes looked at (the minutes the incident touches).
    pub minutes: i64,
    /// Every service with dated records, in name order.
    pub services: Vec<ServicePresence>,
}

impl IncidentCoverage {
    /// Services with a given status.
    pub fn with(&self, p: Presence) -> Vec<&str> {
        self.services
            .iter()
            .filter(|s| s.status == p)
            .map(|s| s.service.as_str())
            .collect()
    }
}

/// Coverage and silence.
#[derive(Serialize, Debug, Clone, Default)]
pub struct Coverage<'a> {
    /// Per service activity.
    pub services: Vec<ServiceActivity<'a>>,
    /// Per incident presence.
    pub incidents: Vec<IncidentCoverage>,
    /// Services with no dated record at all (nothing to compare: coverage unknown).
    pub without_records: Vec<String>,
}

/// (hits, first, last) of one service in one incident.
type HitStats = (u64, DateTime<Utc>, DateTime<Utc>);

/// One service's activity and its records per minute (what [`coverage`] merges per service).
type ActivityAndMinutes<'a> = (ServiceActivity<'a>, BTreeMap<i64, u64>);

/// The per-minute records of several files, summed. Most services span far fewer minutes
/// than their files hold entries (a day is 1,440 minutes; the bench's 1,000 files of a
/// service hold 14,000): the sums then go into one counter per minute of the span, without
/// sorting the entries (sorting 1.4 million entries was a third of `findings::compute` on
/// the bench's small-files corpus).
fn sum_minutes<'m>(
    files: impl Iterator<Item = &'m crate::scan::activity::Minutes> + Clone,
) -> BTreeMap<i64, u64> {
    let entries: usize = files.clone().map(|m| m.len()).sum();
    let span = files
        .clone()
        .filter_map(|m| Some((m.iter().next()?.0, m.iter().last()?.0)))
        .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)));
    let Some((lo, hi)) = span else {
        return BTreeMap::new();
    };
    let width = hi.checked_sub(lo).and_then(|w| usize::try_from(w).ok());
    if let Some(width) = width.filter(|&w| w <= entries.saturating_mul(4).max(1 << 12)) {
        // One more than the sum for a minute that has an entry (even of 0 records).
        let mut counts = vec![0u64; width + 1];
        for (m, n) in files.flat_map(|m| m.iter()) {
            let c = &mut counts[(m - lo) as usize];
            *c = (*c).max(1) + u64::from(n);
        }
        return counts
            .into_iter()
            .zip(lo..)
            .filter(|&(c, _)| c > 0)
            .map(|(c, m)| (m, c - 1))
            .collect();
    }
    let mut pairs: Vec<(i64, u64)> = files
        .flat_map(|m| m.iter().map(|(m, n)| (m, u64::from(n))))
        .collect();
    pairs.sort_unstable_by_key(|p| p.0);
    let mut summed: Vec<(i64, u64)> = Vec::with_capacity(pairs.len());
    for (m, n) in pairs {
        match summed.last_mut() {
            Some(last) if last.0 == m => last.1 += n,
            _ => summed.push((m, n)),
        }
    }
    summed.into_iter().collect()
}

pub(super) fn coverage<'a>(
    scan: &'a ScanOutput,
    clusters: &Clusters,
    svc_files: &BTreeMap<&'a str, Vec<usize>>,
    catalog: &Catalog,
) -> Coverage<'a> {
    let incs = &clusters.incidents;
    let inc_minutes: BTreeSet<i64> = incs
        .iter()
        .flat_map(|i| {
            let (a, b) = minute_range(i);
            a..=b
        })
        .collect();
    let mut cov = Coverage::default();
    let mut per_svc_minutes: BTreeMap<&'a str, BTreeMap<i64, u64>> = BTreeMap::new();
    // Services are independent: merged on every thread, then taken in service order. On the
    // 100,000-file bench corpus this merge of per-file minutes (1.3 million entries) was
    // most of `findings::compute`, which runs on one thread after the scan.
    let activity = |(svc, files): (&&'a str, &Vec<usize>)| {
        (*svc, service_activity(scan, incs, &inc_minutes, svc, files))
    };
    let per_svc: Vec<(&'a str, Option<ActivityAndMinutes>)> =
        svc_files.par_iter().map(activity).collect();
    for (svc, r) in per_svc {
        match r {
            None => cov.without_records.push(svc.to_string()),
            Some((act, minutes)) => {
                cov.services.push(act);
                per_svc_minutes.insert(svc, minutes);
            }
        }
    }
    let hit_stats = hit_stats(scan, incs, catalog);
    for inc in incs {
        cov.incidents.push(incident_coverage(
            inc,
            &cov.services,
            &per_svc_minutes,
            &hit_stats,
        ));
    }
    cov
}

/// One service's activity over the scanned span (records, first and last, baseline,
/// occupancy, log gaps) and its records per minute; `None` when it has no dated record.
fn service_activity<'a>(
    scan: &'a ScanOutput,
    incs: &[Incident],
    inc_minutes: &BTreeSet<i64>,
    svc: &str,
    files: &[usize],
) -> Option<ActivityAndMinutes<'a>> {
    // Gathered, sorted and summed, then built in one go: one map insert per (file,
    // minute) was half of this on 1,000 files of 14 minutes each per service.
    let minutes: BTreeMap<i64, u64> = sum_minutes(files.iter().map(|&i| &scan.files[i].minutes));
    let records: u64 = minutes.values().sum();
    if records == 0 {
        return None;
    }
    let first = files.iter().filter_map(|&i| scan.files[i].first).min();
    let last = files.iter().filter_map(|&i| scan.files[i].last).max();
    let m0 = *minutes.keys().next().expect("non-empty");
    let m1 = *minutes.keys().next_back().expect("non-empty");
    let span_minutes = m1 - m0 + 1;
    // Counted from the incident minutes, not by walking the span: stamps years apart
    // (a clock reset) would mean billions of minutes.
    let base_minutes = span_minutes - inc_minutes.range(m0..=m1).count() as i64;
    let base_records: u64 = minutes
        .iter()
        .filter(|(m, _)| !inc_minutes.contains(m))
        .map(|(_, n)| n)
        .sum();
    let baseline = if base_minutes > 0 {
        base_records as f64 / base_minutes as f64
    } else {
        0.0
    };
    let occupancy = minutes.len() as f64 / span_minutes as f64;
    let mut gaps = Vec::new();
    if occupancy >= GAP_MIN_OCCUPANCY {
        let keys: Vec<i64> = minutes.keys().copied().collect();
        for w in keys.windows(2) {
            let empty = w[1] - w[0] - 1;
            if empty >= GAP_MIN_MINUTES {
                let (a, b) = (w[0] + 1, w[1]);
                gaps.push(Gap {
                    from: DateTime::from_timestamp(a * 60, 0).unwrap_or_default(),
                    to: DateTime::from_timestamp(b * 60, 0).unwrap_or_default(),
                    minutes: empty,
                    incidents: incs
                        .iter()
                        .filter(|i| {
                            let (x, y) = minute_range(i);
                            x < b && y >= a
                        })
                        .map(|i| i.id)
                        .collect(),
                });
            }
        }
    }
    let mut files_shown: Vec<&str> = files.iter().map(|&i| scan.files[i].path.as_str()).collect();
    files_shown.sort_unstable();
    let act = ServiceActivity {
        service: svc.to_string(),
        files_json: service_files_json(&files_shown),
        files: files_shown,
        records,
        first,
        last,
        baseline_per_minute: round(baseline, 2),
        occupancy: round(occupancy, 3),
        gaps,
    };
    Some((act, minutes))
}

/// Hits per (incident, service): count, first and last (noise and markers not counted).
fn hit_stats<'a>(
    scan: &'a ScanOutput,
    incs: &[Incident],
    catalog: &Catalog,
) -> BTreeMap<(usize, &'a str), HitStats> {
    let mut hit_stats: BTreeMap<(usize, &str), HitStats> = BTreeMap::new();
    for inc in incs {
        for &hi in &inc.hits {
            let h: &Hit = &scan.hits[hi];
            let Some(t) = h.time else { continue };
            let s = &catalog.signatures[h.sig as usize];
            if s.noise || s.severity == Severity::Marker {
                continue;
            }
            let svc = scan.files[h.file as usize].service.as_ref();
            let e = hit_stats.entry((inc.id, svc)).or_insert((0, t, t));
            e.0 += 1;
            e.1 = e.1.min(t);
            e.2 = e.2.max(t);
        }
    }
    hit_stats
}

/// How every service with dated records looked during one incident.
fn incident_coverage(
    inc: &Incident,
    activity: &[ServiceActivity],
    per_svc_minutes: &BTreeMap<&str, BTreeMap<i64, u64>>,
    hit_stats: &BTreeMap<(usize, &str), HitStats>,
) -> IncidentCoverage {
    let (a, b) = minute_range(inc);
    let mut services = Vec::new();
    for act in activity {
        let minutes = &per_svc_minutes[act.service.as_str()];
        let records: u64 = minutes.range(a..=b).map(|(_, n)| n).sum();
        let expected = act.baseline_per_minute * (b - a + 1) as f64;
        let covered = match (act.first, act.last) {
            (Some(f), Some(l)) => {
                f.timestamp().div_euclid(60) <= b && l.timestamp().div_euclid(60) >= a
            }
            _ => false,
        };
        let status = if records > 0 {
            Presence::Logging
        } else if !covered {
            Presence::NotCovered
        } else if expected >= SILENT_MIN_EXPECTED {
            Presence::Silent
        } else {
            Presence::Quiet
        };
        let hs = hit_stats.get(&(inc.id, act.service.as_str()));
        services.push(ServicePresence {
            service: act.service.clone(),
            status,
            records,
            expected: round(expected, 1),
            hits: hs.map_or(0, |h| h.0),
            first_hit: hs.map(|h| h.1),
            last_hit: hs.map(|h| h.2),
        });
    }
    IncidentCoverage {
        id: inc.id,
        minutes: b - a + 1,
        services,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Summing per-minute counts over a dense span or by sorting gives the map of sums.
        #[test]
        fn sum_minutes_is_the_sum_per_minute(
            files in proptest::collection::vec(
                proptest::collection::vec((-3i64..3, 0u32..5), 0..6), 0..6),
            scale in proptest::prop_oneof![proptest::strategy::Just(1i64), proptest::strategy::Just(1_000_000)],
        ) {
            let minutes: Vec<crate::scan::activity::Minutes> = files
                .iter()
                .map(|f| f.iter().map(|&(m, n)| (m * scale, n)).collect())
                .collect();
            let mut want: BTreeMap<i64, u64> = BTreeMap::new();
            for m in &minutes {
                for (k, n) in m.iter() {
                    *want.entry(k).or_default() += u64::from(n);
                }
            }
            proptest::prop_assert_eq!(sum_minutes(minutes.iter()), want);
        }
    }

    /// The hand-written file lists are the derived ones, byte for byte, at their depth in the
    /// report (`findings.coverage.services[].files`), names that need escaping included.
    #[test]
    fn service_files_are_written_as_serde_writes_them() {
        #[derive(Serialize)]
        struct Derived<'a> {
            service: &'a str,
            files: Vec<&'a str>,
        }
        #[derive(Serialize)]
        struct Fast<'a> {
            service: &'a str,
            files: Box<serde_json::value::RawValue>,
        }
        #[derive(Serialize)]
        struct Report<T> {
            schema: u32,
            findings: Findings<T>,
        }
        #[derive(Serialize)]
        struct Findings<T> {
            coverage: Coverage<T>,
        }
        #[derive(Serialize)]
        struct Coverage<T> {
            services: Vec<T>,
        }
        fn at_depth<T>(services: Vec<T>) -> Report<T> {
            Report {
                schema: 1,
                findings: Findings {
                    coverage: Coverage { services },
                },
            }
        }
        for files in [
            vec![],
            vec!["a.log"],
            vec![
                "logs/a b/x.log",
                "q\"uote\\back\tslash\u{1}.log",
                "ünï/cödé.log",
            ],
        ] {
            let fast = at_depth(vec![
                Fast {
                    service: "s",
                    files: service_files_json(&files),
                },
                Fast {
                    service: "t",
                    files: service_files_json(&files),
                },
            ]);
            let derived = at_depth(vec![
                Derived {
                    service: "s",
                    files: files.clone(),
                },
                Derived {
                    service: "t",
                    files: files.clone(),
                },
            ]);
            assert_eq!(
                serde_json::to_string_pretty(&fast).unwrap(),
                serde_json::to_string_pretty(&derived).unwrap()
            );
        }
    }
}

//! Clocks: the right time for every file without flags. After the scan and before the
//! analysis, [`settle`] moves year-less files copied years after they were written to the
//! dated files' years (`years`), infers the zone of files written in naive local time from
//! files that state their offset (`zones`, on `stats`), moves their times (`retime`),
//! measures per-source clock skew (`skew`) and, with `--correct-skew`, removes it. `hints`
//! words the likely-zone warnings for files nothing could settle.
//!
//! Input: the scan output (files with their per-minute activity, hits and unknown
//! error/warning records) and the configuration's default zone and its reason. Output: the
//! same scan output, re-timed, and a [`ClockReport`] for every report format's header and
//! findings: which zone naive times were read in and why (`flag`, `TZ`, `inferred from
//! <file>`, `local`), with what confidence, and the skews found.
//!
//! `--tz` wins: only files whose zone is a default (this machine's zone or `TZ`) are
//! inferred. A file's zone is replaced only when the evidence is strong (the rule in
//! `zones.rs`); otherwise it keeps the default and a warning gives the best guess and its
//! confidence.

pub mod hints;
pub mod retime;
pub mod skew;
pub mod stats;
pub mod years;
pub mod zones;

use crate::scan::ScanOutput;
use crate::time::{Format, Zone, ZoneReason};
use chrono::FixedOffset;
use retime::Move;
use std::collections::BTreeMap;
use zones::{Activity, Role};

/// What the clocks stage found, for the reports.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ClockReport {
    /// The zones naive times were read in, one entry per (zone, source), most files first.
    pub naive_zones: Vec<NaiveZone>,
    /// Zone inference, per file that had naive times read in a default zone and enough
    /// overlap with files that state their offset.
    pub inferences: Vec<ZoneInference>,
    /// Year-less files moved to the years of the dated files beside them.
    pub years: Vec<YearMove>,
    /// Clock skews over [`SKEW_REPORT_SECS`] against the majority of sources.
    pub skews: Vec<Skew>,
    /// Were the skews removed (`--correct-skew`)?
    pub skew_corrected: bool,
    /// Warnings (also in the report's warnings).
    #[serde(skip)]
    pub warnings: Vec<String>,
    /// The zone for the report header and for naive times outside files (host dumps):
    /// the inferred zone when every applied inference agrees, with its reason.
    #[serde(skip)]
    pub effective: Option<(Zone, ZoneReason)>,
}

/// A zone naive times were read in.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct NaiveZone {
    /// The zone (`+08:00`, `Asia/Shanghai`).
    pub zone: String,
    /// Why: `flag`, `flag-for-file`, `tz-env`, `default-local` or `inferred`.
    pub source: &'static str,
    /// For `inferred`: the file whose activity pinned it (of the first such file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// For `inferred`: the lowest confidence among the files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// Files with naive times read in it.
    pub files: usize,
}

/// One file's zone inference.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ZoneInference {
    /// The file.
    pub path: String,
    /// The best offset (`+08:00`).
    pub offset: String,
    /// The second best.
    pub runner_up: Option<String>,
    /// 1 − the larger p-value of the two tests (zones.rs).
    pub confidence: f64,
    /// z-score of the best offset against the null (records and events combined).
    pub z: f64,
    /// z-score of the runner-up.
    pub runner_up_z: f64,
    /// Applied: the file's naive times are read at `offset`.
    pub applied: bool,
    /// Applied and different from the default: the file's times moved.
    pub changed: bool,
    /// The default zone it had (and keeps when not applied).
    pub default_zone: String,
    /// The file whose activity lines up best at `offset`.
    pub witness: Option<String>,
    /// Minutes of overlap at `offset`.
    pub overlap_minutes: usize,
    /// Which candidates the decision was made among (zones.rs).
    pub basis: zones::Basis,
}

/// A year-less file whose years came from its mtime, moved to the dated files' years.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct YearMove {
    /// The file.
    pub path: String,
    /// Years it moved by (negative: back).
    pub years: i32,
    /// Where its years had come from (`mtime`, `none`).
    pub was_from: String,
}

/// One source's clock skew.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Skew {
    /// The source (service).
    pub service: String,
    /// Seconds its stamps are ahead of the majority's (negative: behind).
    pub seconds: f64,
    /// Event pairs that support it.
    pub pairs: usize,
    /// Removed by `--correct-skew`.
    pub applied: bool,
}

/// Skews smaller than this are not reported (stamps of one second's precision, and the
/// milliseconds between a proxy and its upstream, make smaller ones noise).
pub const SKEW_REPORT_SECS: f64 = 2.0;

/// Offset text (`+08:00`, `-05:30`).
/// At most this many "zone not inferred" warnings, the last one counting the rest.
const MAX_WEAK_WARNINGS: usize = 10;

fn offset_text(minutes: i32) -> String {
    FixedOffset::east_opt(minutes * 60).map_or_else(|| format!("{minutes}m"), |o| o.to_string())
}

/// Infers zones, re-times, measures skew (see the module header). `default`: the zone and
/// reason files got when no flag named their zone.
pub fn settle(
    out: &mut ScanOutput,
    default: (&Zone, ZoneReason),
    correct_skew: bool,
) -> ClockReport {
    let mut report = ClockReport::default();
    settle_years(out, &mut report);
    settle_zones(out, &mut report);
    settle_skew(out, &mut report, correct_skew);
    report.naive_zones = naive_zones(out, &report);
    let applied: Vec<&ZoneInference> = report.inferences.iter().filter(|i| i.changed).collect();
    if let Some(first) = applied.first() {
        if applied.iter().all(|i| i.offset == first.offset) {
            if let Ok(z) = Zone::parse(&first.offset) {
                report.effective = Some((z, ZoneReason::Inferred));
            }
        }
    }
    if report.effective.is_none() {
        report.effective = Some((default.0.clone(), default.1));
    }
    report
}

/// Per-file activity and roles for the inference.
fn activities(out: &ScanOutput) -> Vec<(Activity, Role)> {
    let mut acts: Vec<(Activity, Role)> = out
        .files
        .iter()
        .map(|f| {
            let role = if f.dump.is_some() || f.access.is_none() || f.dated_records == 0 {
                Role::Ignore
            } else if f.naive_count > 0 {
                match f.zone_reason {
                    Some(r) if r.is_default() && !f.explicit_offsets => Role::Naive,
                    Some(ZoneReason::Flag | ZoneReason::FlagForFile) if !f.explicit_offsets => {
                        Role::Witness
                    }
                    _ => Role::Ignore,
                }
            } else if f.explicit_offsets || f.naive_stamps {
                Role::Witness
            } else {
                Role::Ignore
            };
            let records = f.minutes.iter().map(|(m, n)| (m, f64::from(n))).collect();
            (
                Activity {
                    records,
                    events: Vec::new(),
                },
                role,
            )
        })
        .collect();
    let times = out
        .hits
        .iter()
        .map(|h| (h.file, h.time))
        .chain(out.unknown.times().map(|(f, t)| (f, Some(t))));
    for (f, t) in times {
        if let (Some(a), Some(t)) = (acts.get_mut(f as usize), t) {
            a.0.events.push((t.timestamp().div_euclid(60), 1.0));
        }
    }
    // Naive files: their minutes are wall minutes in the zone the scan used.
    for (i, f) in out.files.iter().enumerate() {
        if acts[i].1 != Role::Naive {
            continue;
        }
        let Ok(zone) = Zone::parse(&f.zone) else {
            acts[i].1 = Role::Ignore;
            continue;
        };
        let wall = |m: i64| match chrono::DateTime::from_timestamp(m * 60, 0) {
            Some(t) => m + i64::from(zone.offset_at(t).local_minus_utc() / 60),
            None => m,
        };
        let a = &mut acts[i].0;
        for p in a.records.iter_mut().chain(a.events.iter_mut()) {
            p.0 = wall(p.0);
        }
    }
    acts
}

fn settle_zones(out: &mut ScanOutput, report: &mut ClockReport) {
    let acts = activities(out);
    if !acts.iter().any(|a| a.1 == Role::Naive) || !acts.iter().any(|a| a.1 == Role::Witness) {
        return;
    }
    // The offsets the scan's own files state (`+0800` in the access log), in minutes.
    // `Z` and `+00:00` are no statement about a host's zone (UTC is the convention of
    // containers, IIS, JSON loggers), as in the likely-zone hints.
    let mut stated: Vec<i32> = out
        .files
        .iter()
        .zip(&acts)
        .filter(|(_, a)| a.1 == Role::Witness)
        .flat_map(|(f, _)| f.offsets.keys().map(|o| o / 60))
        .filter(|&o| o != 0)
        .collect();
    stated.sort_unstable();
    stated.dedup();
    let est = infer_by_writer(out, acts, &stated);
    let mut moves = Vec::new();
    // "Zone not inferred" once per file for a few files; beyond that, one line naming how
    // many (a tree of 100,000 naive files printed 80,000 warnings).
    let mut weak: Vec<String> = Vec::new();
    for (i, e) in est.iter().enumerate() {
        let Some(e) = e else { continue };
        let f = &out.files[i];
        let Ok(zone) = Zone::parse(&f.zone) else {
            continue;
        };
        let at = f.first.unwrap_or_else(chrono::Utc::now);
        let current = zone.offset_at(at).local_minus_utc() / 60;
        let witness = e.witness.map(|w| out.files[w].path.clone());
        let offset = offset_text(e.offset_minutes);
        if e.strong && e.offset_minutes != current {
            moves.push((
                i,
                Move::Rezone {
                    from: zone,
                    to_secs: e.offset_minutes * 60,
                },
            ));
        } else if !e.strong {
            weak.push(format!(
                "{}: zone not inferred: its activity lines up best with {} at {offset} (runner-up {}), \
                 but only at confidence {} (needs {}); its naive times stay in {} ({}): set --tz or --tz-for if you know the zone",
                f.path,
                witness.as_deref().unwrap_or("the files that state their offset"),
                e.runner_up_minutes.map_or("none".into(), offset_text),
                confidence_text(e.confidence),
                confidence_text(1.0 - zones::ALPHA),
                f.zone,
                f.zone_reason.map_or("default", |r| r.describe()),
            ));
        }
        report.inferences.push(ZoneInference {
            path: f.path.clone(),
            offset,
            runner_up: e.runner_up_minutes.map(offset_text),
            confidence: round4(e.confidence),
            changed: e.strong && e.offset_minutes != current,
            z: (e.z * 100.0).round() / 100.0,
            runner_up_z: (e.runner_up_z * 100.0).round() / 100.0,
            applied: e.strong,
            default_zone: f.zone.to_string(),
            witness,
            overlap_minutes: e.overlap_minutes,
            basis: e.basis,
        });
    }
    if weak.len() <= MAX_WEAK_WARNINGS {
        report.warnings.extend(weak);
    } else {
        let n = weak.len();
        report
            .warnings
            .extend(weak.into_iter().take(MAX_WEAK_WARNINGS - 1));
        report.warnings.push(format!(
            "{} more naive-time files: zone not inferred either (their estimates are in the \
             JSON report's clock.inferences); their naive times stay in their default zone: \
             set --tz or --tz-for if you know the zone",
            n - (MAX_WEAK_WARNINGS - 1)
        ));
    }
    for (i, m) in &moves {
        if let Move::Rezone { to_secs, .. } = m {
            let fs = &mut out.files[*i];
            fs.zone = offset_text(to_secs / 60).into();
            fs.zone_reason = Some(ZoneReason::Inferred);
        }
    }
    retime::apply(out, &moves);
}

/// The naive files one writer wrote, pooled: same directory, same service, same
/// timestamp format and the same assumed zone (`app.log`, `app.log.1`, `app.log.2.gz`, or a
/// thousand small `app-000123.log` of one host). One writer has one clock, so its files are
/// estimated as one: stronger evidence than any of its files alone, and one estimate
/// instead of one per file (a tree of 100,000 small files took 37 s and 3.9 GB estimating
/// each). Every member gets the writer's estimate; files of a writer of one file are
/// estimated alone, as before.
fn writer_groups(out: &ScanOutput, acts: &[(Activity, Role)]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut index: std::collections::HashMap<(&str, &str, Option<Format>, &str), usize> =
        std::collections::HashMap::new();
    for (i, (f, a)) in out.files.iter().zip(acts).enumerate() {
        if a.1 != Role::Naive {
            groups.push(vec![i]);
            continue;
        }
        let dir = std::path::Path::new(&f.path)
            .parent()
            .and_then(|d| d.to_str())
            .unwrap_or("");
        let key = (dir, &*f.service, f.format, &*f.zone);
        match index.get(&key) {
            Some(&g) => groups[g].push(i),
            None => {
                index.insert(key, groups.len());
                groups.push(vec![i]);
            }
        }
    }
    groups
}

/// [`zones::infer`] over the writers ([`writer_groups`]), its estimates handed back to
/// every file of each writer (one entry per file, as `infer` gives).
fn infer_by_writer(
    out: &ScanOutput,
    acts: Vec<(Activity, Role)>,
    stated: &[i32],
) -> Vec<Option<zones::Estimate>> {
    let groups = writer_groups(out, &acts);
    if groups.len() == acts.len() {
        return zones::infer(&acts, stated);
    }
    let mut slots: Vec<Option<(Activity, Role)>> = acts.into_iter().map(Some).collect();
    let pooled: Vec<(Activity, Role)> = groups
        .iter()
        .map(|g| {
            let mut first = slots[g[0]]
                .take()
                .unwrap_or((Activity::default(), Role::Ignore));
            for &i in &g[1..] {
                if let Some((a, _)) = slots[i].take() {
                    first.0.records.extend(a.records);
                    first.0.events.extend(a.events);
                }
            }
            first
        })
        .collect();
    let est = zones::infer(&pooled, stated);
    let mut out_est = vec![None; slots.len()];
    for (g, e) in groups.iter().zip(est) {
        for &i in g {
            out_est[i] = e.clone().map(|mut e| {
                // The witness named is a pooled entry's index: map it back to a file.
                e.witness = e.witness.and_then(|w| groups.get(w).map(|m| m[0]));
                e
            });
        }
    }
    out_est
}

/// Year-less files whose years came from their mtime move to the dated files' years
/// (`years.rs`); before zones, which need the files to overlap at all.
fn settle_years(out: &mut ScanOutput, report: &mut ClockReport) {
    let mut moves = Vec::new();
    for (i, k) in years::infer(&out.files).into_iter().enumerate() {
        let Some(k) = k else { continue };
        let f = &mut out.files[i];
        report.years.push(YearMove {
            path: f.path.clone(),
            years: k,
            was_from: f.year_from.clone().unwrap_or_default(),
        });
        f.year_from = Some("dated files".into());
        // The scan's note that the mtime's year may be wrong is answered now.
        let stale = format!("{}: stamps carry no year", f.path);
        f.notes.retain(|n| !n.starts_with(&stale));
        moves.push((i, Move::Years(k)));
    }
    retime::apply(out, &moves);
}

fn settle_skew(out: &mut ScanOutput, report: &mut ClockReport, correct: bool) {
    let mut by_service: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for f in &out.files {
        by_service.entry(&f.service).or_default();
    }
    let times = out
        .hits
        .iter()
        .map(|h| (h.file, h.time))
        .chain(out.unknown.times().map(|(f, t)| (f, Some(t))));
    for (f, t) in times {
        if let Some(t) = t {
            let svc: &str = &out.files[f as usize].service;
            if let Some(v) = by_service.get_mut(svc) {
                v.push(t.timestamp_millis());
            }
        }
    }
    let names: Vec<String> = by_service.keys().map(|s| s.to_string()).collect();
    let mut series: Vec<Vec<i64>> = by_service.into_values().collect();
    for s in &mut series {
        s.sort_unstable();
    }
    let lags = skew::lags(&series);
    let with_events = series.iter().filter(|s| !s.is_empty()).count();
    let skews = skew::majority(&lags, with_events);
    let mut moves = Vec::new();
    for (k, s) in skews.iter().enumerate() {
        let (Some(s), Some(est)) = (s, &lags[k]) else {
            continue;
        };
        if s.abs() <= SKEW_REPORT_SECS {
            continue;
        }
        report.skews.push(Skew {
            service: names[k].clone(),
            seconds: (s * 10.0).round() / 10.0,
            pairs: est.pairs,
            applied: correct,
        });
        if correct {
            let ms = (s * 1000.0).round() as i64;
            for (i, f) in out.files.iter().enumerate() {
                if *f.service == *names[k] {
                    moves.push((i, Move::Skew(ms)));
                }
            }
        }
    }
    report.skew_corrected = correct && !moves.is_empty();
    retime::apply(out, &moves);
}

/// The zones naive times were read in, grouped.
fn naive_zones(out: &ScanOutput, report: &ClockReport) -> Vec<NaiveZone> {
    let mut groups: BTreeMap<(String, &'static str), NaiveZone> = BTreeMap::new();
    // The first applied inference per path (a search per file was quadratic: 80,000 naive
    // files took half a minute here).
    let mut applied: std::collections::HashMap<&str, &ZoneInference> =
        std::collections::HashMap::new();
    for i in report.inferences.iter().filter(|i| i.applied) {
        applied.entry(i.path.as_str()).or_insert(i);
    }
    for f in &out.files {
        if f.naive_count == 0 || f.dump.is_some() {
            continue;
        }
        let Some(reason) = f.zone_reason else {
            continue;
        };
        let source = reason.id();
        let inf = applied.get(f.path.as_str()).copied();
        let g = groups
            .entry((f.zone.to_string(), source))
            .or_insert_with(|| NaiveZone {
                zone: f.zone.to_string(),
                source,
                from: None,
                confidence: None,
                files: 0,
            });
        g.files += 1;
        if let Some(inf) = inf {
            if g.from.is_none() {
                g.from = inf.witness.clone();
            }
            g.confidence = Some(
                g.confidence
                    .map_or(inf.confidence, |c| c.min(inf.confidence)),
            );
        }
    }
    let mut v: Vec<NaiveZone> = groups.into_values().collect();
    v.sort_by(|a, b| b.files.cmp(&a.files).then(a.zone.cmp(&b.zone)));
    v
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).floor() / 10_000.0
}

/// A confidence as people read it: `99.9 %`, `62 %`.
pub fn confidence_text(c: f64) -> String {
    let p = c * 100.0;
    if p >= 99.99 {
        ">99.99 %".into()
    } else if p >= 99.0 {
        format!("{:.2} %", (p * 100.0).floor() / 100.0)
    } else {
        format!("{:.0} %", p.floor())
    }
}

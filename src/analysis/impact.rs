//! User impact from access logs, per minute: failed/total requests and latency, the signal an
//! incident detector reads besides signature hits, and windows of slowness without errors.
//!
//! Input: the scan output (each access log's per-minute [`MinuteTraffic`]: requests,
//! failures, client-closed requests, a latency histogram; see `evidence::access`). Output:
//! [`series`] (every access log's minutes added up: the failed/total signal) and
//! [`slow_windows`] (per access log, runs of minutes whose p99 latency is well above that
//! log's own baseline).
//!
//! Slowness model, per access log (a CDN edge and a database proxy have latencies orders of
//! magnitude apart, so a merged baseline would hide one in the other):
//! - only minutes with at least [`MIN_REQUESTS`] timed requests are judged (the p99 of three
//!   requests is their maximum: one slow call, not user impact);
//! - the baseline is the median of those minutes' p99: robust to the slow minutes themselves
//!   as long as they are fewer than half of the span;
//! - a request is slow when it takes at least T = max([`FACTOR`] × baseline,
//!   baseline + [`MIN_JUMP_MS`]) (a 2 ms → 7 ms jump is no user impact);
//! - the log's share of slow requests over its whole span, s, is the background (a steady
//!   trickle of slow requests — a nightly report endpoint, a cold cache — is not impact);
//! - a minute is slow when its p99 reaches T and its count of slow requests k is improbable
//!   under Poisson(n·s) for its n timed requests: P(X ≥ k) below [`ALPHA`] divided by the
//!   number of judged minutes (Bonferroni: one false window per 100 logs scanned at most);
//!   s includes the slow minutes themselves, which only makes the test more conservative;
//! - slow minutes at most one minute apart form a window; a window needs [`MIN_SLOW_MINUTES`]
//!   slow minutes (a single minute's GC pause is logged as noise, not impact);
//! - a log needs [`MIN_BASELINE_MINUTES`] judged minutes for a baseline (a short capture
//!   has none: no windows, rather than windows against nothing).
//!
//! A steady latency, however high, never makes a window (the baseline moves with it: a
//! property test checks it). Quantiles come from histograms with 8 buckets per power of two
//! (±6.25 %), far inside [`FACTOR`].

use crate::analysis::incidents::{minute_range, Clusters};
use crate::analysis::rates::{poisson_sf, round};
use crate::evidence::access::{FileTraffic, MinuteTraffic};
use crate::scan::ScanOutput;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Judged minutes a log needs for a latency baseline.
pub use crate::evidence::access::MIN_BASELINE_MINUTES;
/// Timed requests a minute needs before its p99 is judged.
pub use crate::evidence::access::MIN_TIMED as MIN_REQUESTS;
/// A slow minute's p99 is at least this many times the baseline.
pub use crate::evidence::access::SLOW_FACTOR as FACTOR;
/// ... and this many milliseconds above it.
pub use crate::evidence::access::SLOW_MIN_JUMP_MS as MIN_JUMP_MS;
/// Family-wise false-positive rate of the per-minute tests of one log.
pub const ALPHA: f64 = 0.01;
/// Slow minutes a window needs.
pub const MIN_SLOW_MINUTES: usize = 2;

/// One minute of user impact, every access log added up.
#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImpactMinute {
    /// Unix minute (UTC).
    pub minute: i64,
    /// Requests.
    pub requests: u64,
    /// Failed requests (5xx, or no status and a server-failure flag).
    pub failed: u64,
    /// Requests the client gave up on (499, ALB 460, client-abort flags): not failures.
    pub client_closed: u64,
}

/// Every access log's dated requests per minute, in minute order (minutes without requests
/// are absent): the failed/total user-impact signal.
pub fn series(scan: &ScanOutput) -> Vec<ImpactMinute> {
    let mut all: BTreeMap<i64, ImpactMinute> = BTreeMap::new();
    for h in scan.files.iter().filter_map(|f| f.http.as_ref()) {
        for m in &h.minutes {
            let e = all.entry(m.minute).or_insert(ImpactMinute {
                minute: m.minute,
                ..ImpactMinute::default()
            });
            e.requests += u64::from(m.requests);
            e.failed += u64::from(m.failed);
            e.client_closed += u64::from(m.client_closed);
        }
    }
    all.into_values().collect()
}

/// A run of minutes whose p99 latency is well above the log's own baseline.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct SlowWindow {
    /// The access log.
    pub file: String,
    /// Its layout.
    pub layout: String,
    /// Start of the first slow minute.
    pub from: DateTime<Utc>,
    /// End of the last slow minute.
    pub to: DateTime<Utc>,
    /// Slow minutes in the window.
    pub slow_minutes: usize,
    /// Requests in the window's minutes.
    pub requests: u64,
    /// Failed requests in the window's minutes (0: slowness without errors).
    pub failed: u64,
    /// The highest per-minute p99 in the window (ms).
    pub p99_ms: f64,
    /// The log's baseline p99: the median of its judged minutes' p99 (ms).
    pub baseline_p99_ms: f64,
    /// The incidents whose minutes overlap the window (empty: impact no incident shows).
    pub incidents: Vec<usize>,
}

/// The slow windows of every access log, ordered by start then file.
pub fn slow_windows(scan: &ScanOutput, clusters: &Clusters) -> Vec<SlowWindow> {
    let ranges: Vec<(usize, (i64, i64))> = clusters
        .incidents
        .iter()
        .map(|i| (i.id, minute_range(i)))
        .collect();
    let mut out: Vec<SlowWindow> = scan
        .files
        .iter()
        .filter_map(|f| f.http.as_ref().map(|h| (f, h)))
        .flat_map(|(f, h)| {
            windows_of(h)
                .into_iter()
                .map(move |w| (f.path.clone(), h.layout.clone(), w))
        })
        .map(|(file, layout, w)| SlowWindow {
            incidents: ranges
                .iter()
                .filter(|(_, (a, b))| *a <= w.last && w.first <= *b)
                .map(|(id, _)| *id)
                .collect(),
            from: minute_time(w.first),
            to: minute_time(w.last + 1),
            file,
            layout,
            slow_minutes: w.slow,
            requests: w.requests,
            failed: w.failed,
            p99_ms: round(w.peak, 1),
            baseline_p99_ms: round(w.baseline, 1),
        })
        .collect();
    out.sort_by(|a, b| a.from.cmp(&b.from).then_with(|| a.file.cmp(&b.file)));
    out
}

fn minute_time(m: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(m.saturating_mul(60), 0).unwrap_or_default()
}

/// A slow window of one log, in Unix minutes.
#[derive(Debug, Clone, PartialEq)]
struct Window {
    first: i64,
    last: i64,
    slow: usize,
    requests: u64,
    failed: u64,
    peak: f64,
    baseline: f64,
}

/// The slow windows of one log (see the module header for the model).
fn windows_of(h: &FileTraffic) -> Vec<Window> {
    let judged: Vec<(&MinuteTraffic, f64)> = h
        .minutes
        .iter()
        .filter(|m| m.durations.count() >= u64::from(MIN_REQUESTS))
        .filter_map(|m| m.p99_ms().map(|p| (m, p)))
        .collect();
    let Some((base, t)) = h.slow_threshold_ms() else {
        return Vec::new();
    };
    let (timed, over) = judged.iter().fold((0u64, 0u64), |(n, k), (m, _)| {
        (
            n + m.durations.count(),
            k + m.durations.count_at_least_ms(t),
        )
    });
    let share = over as f64 / timed as f64;
    let alpha = ALPHA / judged.len() as f64;
    let slow = |m: &MinuteTraffic, p: f64| {
        let k = m.durations.count_at_least_ms(t);
        p >= t && k >= 2 && poisson_sf(k, m.durations.count() as f64 * share) < alpha
    };
    let mut out: Vec<Window> = Vec::new();
    for (m, p) in judged.iter().filter(|(m, p)| slow(m, *p)) {
        match out.last_mut() {
            Some(w) if m.minute - w.last <= 2 => {
                w.last = m.minute;
                w.slow += 1;
                w.peak = w.peak.max(*p);
            }
            _ => out.push(Window {
                first: m.minute,
                last: m.minute,
                slow: 1,
                requests: 0,
                failed: 0,
                peak: *p,
                baseline: base,
            }),
        }
    }
    out.retain(|w| w.slow >= MIN_SLOW_MINUTES);
    for w in &mut out {
        let lo = h.minutes.partition_point(|m| m.minute < w.first);
        for m in h.minutes[lo..].iter().take_while(|m| m.minute <= w.last) {
            w.requests += u64::from(m.requests);
            w.failed += u64::from(m.failed);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::access::Histogram;

    /// A log with `n` requests per minute taking `ms(minute, i)` milliseconds each.
    fn log(minutes: std::ops::Range<i64>, n: u32, ms: impl Fn(i64, u32) -> u64) -> FileTraffic {
        let minutes = minutes
            .map(|minute| {
                let mut durations = Histogram::default();
                for i in 0..n {
                    durations.add(Histogram::bucket(ms(minute, i) * 1000), 1);
                }
                MinuteTraffic {
                    minute,
                    requests: n,
                    durations,
                    ..MinuteTraffic::default()
                }
            })
            .collect();
        FileTraffic {
            layout: "combined".into(),
            minutes,
            ..FileTraffic::default()
        }
    }

    /// A small deterministic generator (xorshift).
    fn noise(seed: u64) -> impl FnMut() -> u64 {
        let mut s = seed | 1;
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        }
    }

    #[test]
    fn a_latency_jump_without_errors_is_a_window() {
        // 2 hours at 20–60 ms, then 6 minutes where a fifth of the requests take 2–3 s.
        let h = log(0..120, 40, |m, i| {
            let base = 20 + (m as u64 * 7 + u64::from(i) * 13) % 40;
            if (60..66).contains(&m) && i % 5 == 0 {
                2000 + u64::from(i) * 20
            } else {
                base
            }
        });
        let w = windows_of(&h);
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!((w[0].first, w[0].last, w[0].slow), (60, 65, 6));
        assert_eq!((w[0].requests, w[0].failed), (240, 0));
        assert!(w[0].peak > 1900.0 && w[0].baseline < 70.0, "{w:?}");
    }

    #[test]
    fn short_captures_sparse_minutes_and_single_minutes_make_none() {
        // Too few judged minutes for a baseline.
        let h = log(0..9, 40, |m, _| if m == 5 { 3000 } else { 30 });
        assert!(windows_of(&h).is_empty());
        // Slow minutes with fewer than MIN_REQUESTS timed requests are not judged.
        let h = log(
            0..60,
            MIN_REQUESTS - 1,
            |m, _| if m > 30 { 3000 } else { 30 },
        );
        assert!(windows_of(&h).is_empty());
        // One slow minute alone.
        let h = log(0..60, 40, |m, _| if m == 30 { 3000 } else { 30 });
        assert!(windows_of(&h).is_empty());
        // A jump of a few milliseconds, however many times the baseline.
        let h = log(0..60, 40, |m, _| if (30..35).contains(&m) { 20 } else { 2 });
        assert!(windows_of(&h).is_empty());
    }

    proptest::proptest! {
        /// Any steady latency (any level, any spread, occasional slow outliers) gives no window.
        #[test]
        fn steady_latency_never_makes_a_window(
            seed in proptest::num::u64::ANY,
            level in 1u64..5000,
            spread in 1u64..4,
            n in 10u32..200,
        ) {
            let mut r = noise(seed);
            let mut draws: Vec<u64> = Vec::new();
            for _ in 0..(180 * n) {
                let x = r();
                // Log-uniform within [level, level·2^spread); one request in 500 is 10× slower.
                let v = level as f64 * 2f64.powf((x % 1000) as f64 / 1000.0 * spread as f64);
                draws.push(if x % 500 == 0 { (v * 10.0) as u64 } else { v as u64 });
            }
            let h = log(0..180, n, |m, i| draws[(m as usize) * n as usize + i as usize]);
            let w = windows_of(&h);
            proptest::prop_assert!(w.is_empty(), "{:?}", w);
        }
    }
}

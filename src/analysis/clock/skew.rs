//! Clock skew: how many seconds one source's clock runs ahead of (or behind) the others,
//! from events the sources log about the same moments.
//!
//! Input: per source (a service: the files one process wrote with one host clock), the
//! times of its events (signature hits and error/warning records, after zones are settled).
//! Output: per source a [`SkewEstimate`] when the evidence is significant, and the
//! [`majority`] rule that turns lags into skews.
//!
//! How: the lag of a source against the pooled events of every other source is the peak of
//! the histogram of pairwise time differences within ±[`WINDOW_SECS`] (250 ms bins, summed
//! over two adjacent bins), refined to the median of the differences within ±300 ms of the
//! top of a 100 ms histogram around it. Failing requests are logged by the access log and
//! by the app that failed them within milliseconds of each other, so a skewed clock moves
//! that whole peak.
//!
//! The rule for significance is a test, as for zones: each sum against its local
//! background (the mean over ±30 s: pairs of different requests in one burst make a hump
//! as wide as the burst) as an exact Poisson tail; the peak must give p < [`ALPHA`](super::zones::ALPHA)
//! after a Bonferroni correction over the 3,601 bins, and any other significant peak more
//! than [`RUNNER_UP_SECS`] away must be significantly lower (a runner-up test: periodic sources give
//! a comb of equal peaks). The skew of a source is its lag minus the median lag of all
//! significant sources when three or more were measured ("against the majority"); with fewer
//! than three sources with events there is no majority, and nothing is reported.
//!
//! The same peak must also show when each separate moment (source events more than
//! [`CLUSTER_GAP`] apart) counts once: a clock is off all the time, one burst whose cadence
//! matches another's gives many events but one moment.
//!
//! Tricky cases: a causal delay looks like a skew (nginx logs a 504 sixty seconds after the
//! request that timed out): the report names the evidence and `--correct-skew` is opt-in.
//! The window is half the zone grid (±7.5 min): anything larger is a zone question.

use super::stats::{normal_sf, poisson_sf};
use super::zones::ALPHA;

/// Largest lag looked at, in seconds (half of the zone inference's 15-minute step).
pub const WINDOW_SECS: i64 = 450;
/// Fewest events a source needs to be measured.
pub const MIN_EVENTS: usize = 8;
/// Fewest pairs that must support the peak.
pub const MIN_PAIRS: usize = 5;
/// Source events further apart than this (seconds) are separate moments.
pub const CLUSTER_GAP: i64 = 60;
/// Half-width in seconds of the local background a lag's count is compared with.
const BACKGROUND: i64 = 30;
/// Histogram bin of the lag search, milliseconds.
const BIN_MS: i64 = 250;
/// A runner-up peak must be further than this from the peak (seconds). Nearer bins belong
/// to the peak's own hump: pairs of different requests in one 30–90 s burst pile up a few
/// seconds around it (a bin 4 s off at 74 against the peak's 115 failed the runner-up test,
/// found by the injected-skew property test), while the teeth of a periodic comb are a
/// scheduler's period apart.
const RUNNER_UP_SECS: i64 = 10;
/// Most pairs looked at per source (beyond this, source events are sampled evenly).
const MAX_PAIRS: usize = 1 << 18;

/// A source's lag against the others.
#[derive(Clone, Debug, PartialEq)]
pub struct SkewEstimate {
    /// Seconds this source's stamps are ahead of the others' (negative: behind).
    pub lag_seconds: f64,
    /// Pairs within ±1.5 s of the peak.
    pub pairs: usize,
    /// z-score of the peak against the null.
    pub z: f64,
}

/// The lag of `source` (event times in ms, sorted) against `others` (sorted), when
/// significant.
pub fn lag(source: &[i64], others: &[i64]) -> Option<SkewEstimate> {
    if source.len() < MIN_EVENTS || others.len() < MIN_EVENTS {
        return None;
    }
    // Events within 100 ms of the one before are one moment (a dozen threads logging the
    // same failure at once): counted once, so that pairs stay independent.
    let source = moments(source);
    let others = moments(others);
    let w = WINDOW_SECS * 1000;
    // Where each source event's window of others starts and ends (two pointers: both sorted).
    let mut windows: Vec<(usize, usize)> = Vec::with_capacity(source.len());
    let (mut lo, mut hi) = (0usize, 0usize);
    for &a in &source {
        while lo < others.len() && others[lo] < a - w {
            lo += 1;
        }
        hi = hi.max(lo);
        while hi < others.len() && others[hi] <= a + w {
            hi += 1;
        }
        windows.push((lo, hi));
    }
    // A flood of pairs (every line of a busy day is an event) says no more than
    // [`MAX_PAIRS`]: every `stride`-th source event is kept, evenly over the whole span, so
    // the estimate stays the same in expectation and the work stays bounded (the dense
    // bench corpus spent 1.2 s here, sorting 40 million pairs).
    let total: usize = windows.iter().map(|(l, h)| h - l).sum();
    let stride = total.div_ceil(MAX_PAIRS).max(1);
    // (difference, the source event's time), source events ascending.
    let mut diffs: Vec<(i64, i64)> = Vec::with_capacity(total.min(MAX_PAIRS + 4096));
    for (&a, &(lo, hi)) in source.iter().zip(&windows).step_by(stride) {
        diffs.extend(others[lo..hi].iter().map(|&b| (a - b, a)));
    }
    // Per source event, and per separate moment (cluster of source events more than
    // [`CLUSTER_GAP`] apart): a clock is off all the time, while one burst whose cadence
    // happens to match another's gives many events but one moment. Both must show the peak.
    let (peak, z) = peak_test(&histogram(&diffs, |a| a))?;
    let starts: Vec<i64> = cluster_starts(&source);
    let cluster = |a: i64| starts.partition_point(|&s| s <= a) as i64;
    let by_moment = histogram(&diffs, cluster);
    let base = background(&by_moment);
    // A confirmation at the place the test above chose: one comparison, no correction.
    if poisson_sf(by_moment[peak], base[peak]) >= ALPHA {
        return None;
    }
    let coarse = peak as i64 * BIN_MS - w + BIN_MS;
    // The peak's centre, finer: 100 ms bins within ±2 s of the coarse peak, smoothed over
    // 500 ms, and the median of the differences within ±300 ms of their top (pairs of
    // different requests in the same burst spread evenly around the peak and would pull a
    // wide window's median off it).
    let near: Vec<(i64, i64)> = diffs
        .iter()
        .copied()
        .filter(|p| (p.0 - coarse).abs() <= 2000)
        .collect();
    let mut fine = [0usize; 41];
    for (d, _) in &near {
        fine[((d - coarse + 2000) / 100).clamp(0, 40) as usize] += 1;
    }
    let top = (0..41usize)
        .max_by_key(|&i| {
            let sum: usize = fine[i.saturating_sub(2)..(i + 3).min(41)].iter().sum();
            (sum, std::cmp::Reverse((i as i64 - 20).abs()))
        })
        .unwrap_or(20);
    let c1 = coarse - 2000 + top as i64 * 100 + 50;
    let mut close: Vec<i64> = near
        .into_iter()
        .map(|p| p.0)
        .filter(|d| (d - c1).abs() <= 300)
        .collect();
    if close.len() < MIN_PAIRS {
        return None;
    }
    close.sort_unstable();
    Some(SkewEstimate {
        lag_seconds: close[close.len() / 2] as f64 / 1000.0,
        pairs: close.len(),
        z,
    })
}

/// Does a p-value pass the null test: p < [`ALPHA`] after a Bonferroni correction over
/// `bins`?
fn significant(p: f64, bins: usize) -> bool {
    p * (bins as f64) < ALPHA
}

/// The histogram of differences (250 ms bins over ±[`WINDOW_SECS`]) counting each `key` of
/// the source event once per bin, summed over two adjacent bins (500 ms: a peak that
/// straddles a bin edge is whole in one sum).
fn histogram(diffs: &[(i64, i64)], key: impl Fn(i64) -> i64) -> Vec<f64> {
    let w = WINDOW_SECS * 1000;
    let bins = (2 * w / BIN_MS + 1) as usize;
    // `diffs` come grouped by source event in ascending time and `key` never decreases with
    // time, so "counted once per key" is "the last key that counted this bin differs": no
    // sort, one pass.
    let mut last = vec![i64::MIN; bins];
    let mut hist = vec![0.0f64; bins];
    for &(d, a) in diffs {
        let k = key(a);
        let b = ((d + w) / BIN_MS) as usize;
        if let (Some(h), Some(l)) = (hist.get_mut(b), last.get_mut(b)) {
            if *l != k {
                *l = k;
                *h += 1.0;
            }
        }
    }
    (0..bins)
        .map(|i| hist[i] + hist.get(i + 1).copied().unwrap_or(0.0))
        .collect()
}

/// The peak of a histogram and its z-score, when it passes both tests: against its local
/// background (the mean over ±[`BACKGROUND`] s: pairs of different requests in one burst
/// make a hump as wide as the burst, and only what stands above the hump is a coincidence
/// of the same events), an exact Poisson tail with a Bonferroni correction over the bins;
/// and against the runner-up: another peak more than [`RUNNER_UP_SECS`] away that is itself
/// significant must have a significantly smaller excess (the difference of two Poisson
/// counts has variance top + second). Periodic sources, a scheduler failing every 60 s
/// beside one failing every 180 s, give a comb of equal peaks at their phase difference:
/// that is no clock.
fn peak_test(pair: &[f64]) -> Option<(usize, f64)> {
    let bins = pair.len();
    let base = background(pair);
    let p: Vec<f64> = pair
        .iter()
        .zip(&base)
        .map(|(&x, &b)| if x > b { poisson_sf(x, b) } else { 1.0 })
        .collect();
    let centre_bin = (bins / 2) as i64;
    let peak = (0..bins).min_by(|&a, &b| {
        p[a].total_cmp(&p[b]).then(
            (a as i64 - centre_bin)
                .abs()
                .cmp(&(b as i64 - centre_bin).abs()),
        )
    })?;
    let second = (0..bins)
        .filter(|&i| (i as i64 - peak as i64).abs() * BIN_MS > RUNNER_UP_SECS * 1000)
        .min_by(|&a, &b| p[a].total_cmp(&p[b]));
    let excess = |i: usize| pair[i] - base[i];
    let clear = second.is_none_or(|s| {
        !significant(p[s], bins)
            || normal_sf((excess(peak) - excess(s)) / (pair[peak] + pair[s]).max(1.0).sqrt())
                < ALPHA
    });
    let z = excess(peak) / base[peak].max(1.0).sqrt();
    (significant(p[peak], bins) && clear).then_some((peak, z))
}

/// The first event of each cluster (events more than [`CLUSTER_GAP`] apart start a new
/// one), sorted.
fn cluster_starts(times: &[i64]) -> Vec<i64> {
    let mut out = Vec::new();
    let mut last: Option<i64> = None;
    for &t in times {
        if last.is_none_or(|l| t - l > CLUSTER_GAP * 1000) {
            out.push(t);
        }
        last = Some(t);
    }
    out
}

/// Sorted times with those within 100 ms of the one kept before dropped.
fn moments(times: &[i64]) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::with_capacity(times.len());
    for &t in times {
        if out.last().is_none_or(|&l| t - l > 100) {
            out.push(t);
        }
    }
    out
}

/// Each value's local background: the mean over ±[`BACKGROUND`] seconds without the
/// second around it (a median is 0 wherever the background is below one count a bin, and
/// six coincidences where one is expected are no clock), with one pseudo-count added.
fn background(v: &[f64]) -> Vec<f64> {
    let half = (BACKGROUND * 1000 / BIN_MS) as usize;
    let own = (1000 / BIN_MS) as usize;
    let mut prefix = Vec::with_capacity(v.len() + 1);
    prefix.push(0.0);
    for x in v {
        prefix.push(prefix[prefix.len() - 1] + x);
    }
    let sum = |lo: usize, hi: usize| prefix[hi] - prefix[lo];
    (0..v.len())
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(v.len());
            let olo = i.saturating_sub(own);
            let ohi = (i + own + 1).min(v.len());
            let n = (hi - lo) - (ohi - olo);
            if n == 0 {
                return 0.0;
            }
            // One pseudo-count: a background of exactly 0 made any count a "certain" peak
            // (three pairs at the window's edge, where no other pair fell, outranked the true
            // peak of 105; found by the injected-skew property test).
            (sum(lo, hi) - sum(olo, ohi) + 1.0) / n as f64
        })
        .collect()
}

/// Lags of every source against the pooled others: `sources[i]` holds sorted event times
/// (ms). One entry per source. The others are one merged list with each event's source,
/// built once (a tree of many services must not rebuild it per service).
pub fn lags(sources: &[Vec<i64>]) -> Vec<Option<SkewEstimate>> {
    let mut all: Vec<(i64, usize)> = sources
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.iter().map(move |&t| (t, i)))
        .collect();
    all.sort_unstable();
    (0..sources.len())
        .map(|i| {
            if sources[i].len() < MIN_EVENTS || all.len() - sources[i].len() < MIN_EVENTS {
                return None;
            }
            let others: Vec<i64> = all
                .iter()
                .filter(|(_, s)| *s != i)
                .map(|(t, _)| *t)
                .collect();
            lag(&sources[i], &others)
        })
        .collect()
}

/// Skews against the majority. Each lag is already measured against the pooled events of
/// every other source, which the majority dominates; when three or more sources were
/// measured, the median of their lags (a bias all share) is taken off too. `None` where
/// there was no significant lag, and everywhere when fewer than three sources had events
/// (two clocks that disagree do not say which one is off).
pub fn majority(lags: &[Option<SkewEstimate>], sources_with_events: usize) -> Vec<Option<f64>> {
    if sources_with_events < 3 {
        return vec![None; lags.len()];
    }
    let mut sig: Vec<f64> = lags.iter().flatten().map(|e| e.lag_seconds).collect();
    sig.sort_by(|a, b| a.total_cmp(b));
    let med = if sig.len() >= 3 {
        sig[sig.len() / 2]
    } else {
        0.0
    };
    lags.iter()
        .map(|e| e.as_ref().map(|e| e.lag_seconds - med))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Generated services: each failing request (three outages of 30–90 s, and a trickle
    /// through the day) is logged by the access log and by the app that served it, within
    /// 0–200 ms; background errors of their own; the last service's clock runs `skew`
    /// milliseconds off. Times in ms.
    fn services(skew_ms: i64, seed: u64, n_services: usize) -> Vec<Vec<i64>> {
        let mut x = seed.wrapping_mul(2654435761).wrapping_add(1);
        let mut next = move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let mut out = vec![Vec::new(); n_services];
        let t0 = 1_700_000_000_000i64;
        // Three outages of 30-90 s, 8 h apart... and requests failing through them.
        for burst in 0..3 {
            let start = t0 + burst * 3_600_000 + next(600_000) as i64;
            let len = 30_000 + next(60_000) as i64;
            for _ in 0..(40 + next(60)) {
                let t = start + next(len as u64) as i64;
                // Access log (service 0) and one app service.
                out[0].push(t + next(50) as i64);
                let s = 1 + next(n_services as u64 - 1) as usize;
                out[s].push(t + next(200) as i64);
            }
        }
        // A trickle of failing requests through the day, each logged by both sides.
        for _ in 0..(60 + next(80)) {
            let t = t0 + next(12 * 3_600_000) as i64;
            out[0].push(t + next(50) as i64);
            let s = 1 + next(n_services as u64 - 1) as usize;
            out[s].push(t + next(200) as i64);
        }
        // Background: unrelated errors spread over the day.
        for s in out.iter_mut() {
            for _ in 0..(5 + next(20)) {
                s.push(t0 + next(12 * 3_600_000) as i64);
            }
        }
        // The last service's clock is off.
        let last = out.len() - 1;
        for t in &mut out[last] {
            *t += skew_ms;
        }
        for s in &mut out {
            s.sort_unstable();
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Whatever is measured is right: an injected skew within ±1 s, the other services
        /// at 0. (That it is measured at all is a question of power: the next test.)
        #[test]
        fn an_injected_skew_is_never_misread(skew in -400_000i64..400_000, seed in 0u64..1_000_000) {
            let s = services(skew, seed, 4);
            let l = lags(&s);
            let m = majority(&l, s.len());
            if let Some(got) = m[3] {
                prop_assert!((got - skew as f64 / 1000.0).abs() <= 1.0, "{got} vs {skew} ms: {l:?}");
            }
            for (i, v) in m.iter().enumerate().take(3) {
                if let Some(v) = v {
                    prop_assert!(v.abs() <= 1.0, "service {i}: {v}");
                }
            }
        }
    }

    /// Power: over 400 generated systems (skews spread over ±400 s), the skewed service is
    /// measured in at least 97 % of them. Its events are ~100 moments, a third in three
    /// bursts: a few draws leave too little above the bursts' own hump to call a peak,
    /// and then nothing is reported rather than a guess.
    #[test]
    fn an_injected_skew_is_measured_in_almost_every_system() {
        let n = 400u64;
        let measured = (0..n)
            .filter(|&seed| {
                let skew = (seed as i64 * 7919 % 800_001) - 400_000;
                let s = services(skew, seed * 2654435761 % 1_000_000, 4);
                majority(&lags(&s), s.len())[3].is_some()
            })
            .count() as f64;
        assert!(measured / n as f64 >= 0.97, "{measured} of {n}");
    }

    #[test]
    fn unrelated_events_give_no_lag() {
        let mut x = 99u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 43_200_000) as i64
        };
        let a: Vec<i64> = {
            let mut v: Vec<i64> = (0..200).map(|_| next()).collect();
            v.sort_unstable();
            v
        };
        let b: Vec<i64> = {
            let mut v: Vec<i64> = (0..200).map(|_| next()).collect();
            v.sort_unstable();
            v
        };
        assert_eq!(lag(&a, &b), None);
        assert_eq!(lag(&a[..3], &b), None);
    }
}

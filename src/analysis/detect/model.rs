//! One signal against its own baseline: the multi-scale scan, the robust baseline and the
//! edge trimming of the detector (the rules are in the module header, `detect/mod.rs`).
//!
//! Input: a [`Series`] (events per minute over the signal's observation span, optionally
//! with a per-minute exposure such as requests) and the [`Params`] (per-test level, effect
//! size, scales). Output: a [`Fit`]: the baseline rate and dispersion, the flagged runs
//! ([`Flag`]) and what the classification needs. Pure and deterministic: the property tests
//! of `detect::tests` drive it with generated streams.
//!
//! Cost: per round, O(events × scales) window counts (windows start at an event minute:
//! any window's count is at most that of the window of the same length starting at its
//! first event), with the critical count computed once per scale for minute exposure.

use super::stats::{critical, dispersion, tail};

/// One signal's counts over its observation span.
#[derive(Clone, Debug, Default)]
pub struct Series {
    /// (minute, events), sorted by minute, counts > 0.
    pub events: Vec<(i64, u32)>,
    /// First and last minute of the observation span (inclusive).
    pub lo: i64,
    /// See `lo`.
    pub hi: i64,
    /// Observed minutes of the span (the span minus the service's log gaps).
    pub minutes: f64,
    /// Per-minute exposure (requests per minute for user impact), sorted by minute; `None`
    /// means one unit per minute.
    pub weights: Option<Vec<(i64, f64)>>,
}

/// What the scan tests against.
#[derive(Clone, Debug)]
pub struct Params {
    /// Level of one test: α divided by the number of tests (Bonferroni).
    pub alpha_test: f64,
    /// Effect size: a window is flagged only when observed ≥ `effect` × expected.
    pub effect: f64,
    /// Window lengths in minutes.
    pub scales: Vec<i64>,
    /// Events added to an empty baseline (so one event is never "infinitely" surprising).
    pub floor: f64,
    /// Baseline rounds (detect, remove the flagged minutes, re-estimate).
    pub rounds: usize,
}

/// A flagged run of minutes, after trimming its edges.
#[derive(Clone, Debug, PartialEq)]
pub struct Flag {
    /// First minute with an event that belongs to the burst.
    pub first: i64,
    /// Last such minute.
    pub last: i64,
    /// Events in `first..=last`.
    pub observed: u64,
    /// Events the baseline expects there.
    pub expected: f64,
    /// Tail probability of the most surprising window that flagged the run.
    pub p: f64,
    /// Its length in minutes.
    pub scale: i64,
    /// The burst's rate per exposure unit (events / exposure over the run): the edge and
    /// gap rules compare it with the baseline rate.
    pub burst_rate: f64,
    /// Minutes removed from the baseline for this burst (`first..=last`).
    pub removed: (i64, i64),
}

/// A signal's fit.
#[derive(Clone, Debug, Default)]
pub struct Fit {
    /// Baseline rate per exposure unit (per minute for minute exposure).
    pub rate: f64,
    /// Dispersion of the baseline (variance / mean, at least 1).
    pub phi: f64,
    /// Flagged runs in time order.
    pub flags: Vec<Flag>,
    /// Events outside the flagged runs.
    pub baseline_events: f64,
    /// Exposure outside the flagged runs.
    pub baseline_exposure: f64,
    /// Rounds run.
    pub rounds: usize,
    /// Hours of the span with an event outside the flagged runs, and hours of the span.
    pub hours_present: (usize, usize),
}

/// Prefix sums of a per-minute exposure, for window sums.
struct Exposure<'a> {
    series: &'a Series,
    cum: Vec<f64>,
}

impl<'a> Exposure<'a> {
    fn new(series: &'a Series) -> Self {
        let mut cum = vec![0.0];
        if let Some(w) = &series.weights {
            for &(_, x) in w {
                cum.push(cum.last().copied().unwrap_or(0.0) + x);
            }
        }
        Exposure { series, cum }
    }

    /// Exposure of minutes `a..=b` (clipped to the span).
    fn of(&self, a: i64, b: i64) -> f64 {
        let (a, b) = (a.max(self.series.lo), b.min(self.series.hi));
        if b < a {
            return 0.0;
        }
        match &self.series.weights {
            None => (b - a + 1) as f64,
            Some(w) => {
                let i = w.partition_point(|p| p.0 < a);
                let j = w.partition_point(|p| p.0 <= b);
                self.cum[j] - self.cum[i]
            }
        }
    }

    /// Exposure of one minute.
    fn minute(&self, m: i64) -> f64 {
        self.of(m, m)
    }

    fn total(&self) -> f64 {
        match &self.series.weights {
            None => self.series.minutes,
            Some(_) => self.cum.last().copied().unwrap_or(0.0),
        }
    }
}

/// Fits one signal: baseline rounds, flagged runs, classification counts.
pub fn fit(series: &Series, p: &Params) -> Fit {
    let ex = Exposure::new(series);
    let mut removed: Vec<(i64, i64)> = Vec::new();
    let mut fit = Fit::default();
    for round in 0..p.rounds.max(1) {
        let (rate, phi, n_out, e_out) = baseline(series, &ex, &removed, p.floor);
        // The first round tests against a Poisson baseline: the dispersion of data that still
        // holds the outages is the outages' (four clumps of 15 in five hours read as φ ≈ 12
        // and would hide themselves). Later rounds use the dispersion of what is left.
        let phi = if round == 0 { 1.0 } else { phi };
        let flags = scan(series, &ex, rate, phi, p);
        // Segments of one run share its removed range: each range once.
        let mut now: Vec<(i64, i64)> = flags.iter().map(|f| f.removed).collect();
        now.sort_unstable();
        now.dedup();
        fit = Fit {
            rate,
            phi,
            flags,
            baseline_events: n_out,
            baseline_exposure: e_out,
            rounds: round + 1,
            hours_present: (0, 0),
        };
        if now == removed {
            break;
        }
        removed = now;
    }
    fit.hours_present = hours_present(series, &fit.flags);
    fit
}

/// Baseline rate (with the floor), dispersion, events and exposure outside `removed`.
fn baseline(
    series: &Series,
    ex: &Exposure,
    removed: &[(i64, i64)],
    floor: f64,
) -> (f64, f64, f64, f64) {
    let inside = |m: i64| {
        let i = removed.partition_point(|r| r.1 < m);
        i < removed.len() && removed[i].0 <= m
    };
    let mut n = 0.0;
    let mut minutes_events: Vec<(f64, f64)> = Vec::new(); // (events, exposure) of event minutes
    for &(m, x) in &series.events {
        if !inside(m) {
            n += f64::from(x);
            minutes_events.push((f64::from(x), ex.minute(m)));
        }
    }
    let removed_exposure: f64 = removed.iter().map(|&(a, b)| ex.of(a, b)).sum();
    let e = (ex.total() - removed_exposure).max(1.0);
    let rate = n.max(floor) / e;
    let removed_minutes: f64 = removed
        .iter()
        .map(|&(a, b)| (b.min(series.hi) - a.max(series.lo) + 1).max(0) as f64)
        .sum();
    let minutes = (series.minutes - removed_minutes).max(1.0);
    // Pearson: Σ x²/μ over event minutes, μ = rate × exposure of the minute.
    let ssq: f64 = minutes_events
        .iter()
        .filter(|(_, e)| *e > 0.0)
        .map(|(x, e)| x * x / (rate * e))
        .sum();
    let phi = dispersion(ssq, n, rate * e, minutes);
    (rate, phi, n, e)
}

/// The multi-scale scan: every window starting at an event minute, at every scale; flagged
/// windows merge into runs, whose edges are trimmed.
fn scan(series: &Series, ex: &Exposure, rate: f64, phi: f64, p: &Params) -> Vec<Flag> {
    let ev = &series.events;
    if ev.is_empty() {
        return Vec::new();
    }
    let mut prefix = Vec::with_capacity(ev.len() + 1);
    prefix.push(0u64);
    for &(_, x) in ev {
        prefix.push(prefix.last().copied().unwrap_or(0) + u64::from(x));
    }
    // (first minute, last minute, p, scale) of flagged windows.
    let mut flagged: Vec<(i64, i64, f64, i64)> = Vec::new();
    for &w in &p.scales {
        let uniform = series.weights.is_none();
        let c_uniform = uniform.then(|| threshold(rate * w as f64, phi, p));
        let mut j = 0;
        for i in 0..ev.len() {
            let a = ev[i].0;
            let b = a + w - 1;
            j = j.max(i);
            while j < ev.len() && ev[j].0 <= b {
                j += 1;
            }
            let count = prefix[j] - prefix[i];
            let mu = rate * ex.of(a, b);
            let flag = match c_uniform {
                Some(c) => count >= c,
                // Exposure varies per window (requests): one tail instead of a search for
                // the critical count, and only past the effect size.
                None => count as f64 >= p.effect * mu && tail(count, mu, phi) <= p.alpha_test,
            };
            if flag {
                flagged.push((a, ev[j - 1].0, tail(count, mu, phi), w));
            }
        }
    }
    flagged.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.cmp(&y.1)));
    let windows: Vec<(i64, i64)> = flagged.iter().map(|f| (f.0, f.1)).collect();
    // A segment of a run counts only when a flagged window lies wholly inside it: the
    // segments are cut after the test, and must not become tests of their own.
    let holds_flag = |seg: &(i64, i64)| windows.iter().any(|w| seg.0 <= w.0 && w.1 <= seg.1);
    let mut runs: Vec<(i64, i64, f64, i64)> = Vec::new();
    for f in flagged {
        match runs.last_mut() {
            Some(r) if f.0 <= r.1 + 1 => {
                r.1 = r.1.max(f.1);
                if f.2 < r.2 {
                    r.2 = f.2;
                    r.3 = f.3;
                }
            }
            _ => runs.push(f),
        }
    }
    let prefix = &prefix;
    runs.into_iter()
        .flat_map(|(a, b, pv, w)| {
            segments(series, ex, prefix, rate, (a, b))
                .into_iter()
                .filter(holds_flag)
                .filter_map(move |seg| trim(series, ex, prefix, (rate, phi), seg, pv, w))
        })
        // What is left must still pass the test over its own length.
        .filter(|f| f.observed >= threshold(f.expected, phi, p))
        .collect()
}

/// The smallest flagged count for a window of expectation `mu`: significant at the test
/// level and at least `effect` × expected.
fn threshold(mu: f64, phi: f64, p: &Params) -> u64 {
    let effect = (p.effect * mu - 1e-9).ceil().max(1.0) as u64;
    critical(mu, phi, p.alpha_test).max(effect)
}

/// The burst inside a flagged run: the sub-interval between two of its event minutes with
/// the largest Poisson log-likelihood ratio x ln(x/μ) − (x − μ) against the baseline
/// (Kulldorff's scan statistic). A run is the union of every flagged window, so a 60-minute
/// window around a 2-minute outage of a busy signal makes it two hours long; the ratio
/// picks the outage, not the hour around it, and not one background event a minute before
/// it (adding it raises μ more than x explains). Runs of more than [`SCAN_MAX`] event
/// minutes (hours of a busy signal) are first shrunk by dropping edge minutes whose own
/// two-rate ratio (Page's CUSUM increment) is not positive. `None` when nothing is left.
fn trim(
    series: &Series,
    ex: &Exposure,
    prefix: &[u64],
    (rate, phi): (f64, f64),
    (a, b): (i64, i64),
    p: f64,
    scale: i64,
) -> Option<Flag> {
    let ev = &series.events;
    let i0 = ev.partition_point(|e| e.0 < a);
    let i1 = ev.partition_point(|e| e.0 <= b);
    if i1 <= i0 || rate <= 0.0 {
        return None;
    }
    let (mut s, mut t) = (i0, i1 - 1);
    while t - s + 1 > SCAN_MAX {
        let n = (prefix[t + 1] - prefix[s]) as f64;
        let burst = n / ex.of(ev[s].0, ev[t].0).max(1e-9);
        let llr = |k: usize| {
            let (m, x) = ev[k];
            f64::from(x) * (burst / rate).ln() - (burst - rate) * ex.minute(m)
        };
        if llr(s) <= llr(t) {
            s += 1;
        } else {
            t -= 1;
        }
    }
    let mut best: Option<(f64, usize, usize)> = None;
    for u in s..=t {
        for v in u..=t {
            let x = (prefix[v + 1] - prefix[u]) as f64;
            let mu = rate * ex.of(ev[u].0, ev[v].0);
            if x <= mu || mu <= 0.0 {
                continue;
            }
            let llr = x * (x / mu).ln() - (x - mu);
            if best.is_none_or(|b| llr > b.0) {
                best = Some((llr, u, v));
            }
        }
    }
    let (_, mut s, mut t) = best?;
    // The ratio prefers a burst's dense core to its partial first and last minutes (55
    // events in the last 12 s of a minute lower the mean rate of 270 a minute): adjacent
    // minutes whose own count is improbable under the baseline (P < EDGE_ALPHA) belong to it.
    let edge = |k: usize| {
        let (m, x) = ev[k];
        tail(u64::from(x), rate * ex.minute(m), phi) < EDGE_ALPHA
    };
    while s > i0 && ev[s - 1].0 == ev[s].0 - 1 && edge(s - 1) {
        s -= 1;
    }
    while t + 1 < i1 && ev[t + 1].0 == ev[t].0 + 1 && edge(t + 1) {
        t += 1;
    }
    let (first, last) = (ev[s].0, ev[t].0);
    let observed = prefix[t + 1] - prefix[s];
    let exposure = ex.of(first, last);
    Some(Flag {
        first,
        last,
        observed,
        expected: rate * exposure,
        p,
        scale,
        burst_rate: observed as f64 / exposure.max(1e-9),
        removed: (first, last),
    })
}

/// Level of the test that adds a burst's adjacent minutes to it (one test per minute, once
/// a burst is established).
pub const EDGE_ALPHA: f64 = 0.01;

/// A run cut where it holds a silence the baseline explains better than the burst: with
/// the run's rate r_b and the baseline λ (per exposure unit), a silence of exposure E is
/// more likely under λ when (r_b − λ)·E > ln(r_b/λ). A 60-minute window joins two outages
/// an hour apart into one run; the hour of silence between them splits it again.
fn segments(
    series: &Series,
    ex: &Exposure,
    prefix: &[u64],
    rate: f64,
    (a, b): (i64, i64),
) -> Vec<(i64, i64)> {
    let ev = &series.events;
    let i0 = ev.partition_point(|e| e.0 < a);
    let i1 = ev.partition_point(|e| e.0 <= b);
    if i1 <= i0 || rate <= 0.0 {
        return Vec::new();
    }
    let n = (prefix[i1] - prefix[i0]) as f64;
    let burst = n / ex.of(ev[i0].0, ev[i1 - 1].0).max(1e-9);
    if burst <= rate {
        return vec![(a, b)];
    }
    let longest = (burst / rate).ln() / (burst - rate);
    let mut out = Vec::new();
    let mut start = ev[i0].0;
    for k in i0 + 1..i1 {
        let silence = ex.of(ev[k - 1].0 + 1, ev[k].0 - 1);
        if silence > longest {
            out.push((start, ev[k - 1].0));
            start = ev[k].0;
        }
    }
    out.push((start, ev[i1 - 1].0));
    out
}

/// Most event minutes of a run searched exhaustively for its burst (O(n²)).
const SCAN_MAX: usize = 1500;

/// Hours of the span with an event outside the flagged runs, and the span's hours.
fn hours_present(series: &Series, flags: &[Flag]) -> (usize, usize) {
    let total = ((series.hi - series.lo) / 60 + 1).max(1) as usize;
    let mut present = vec![false; total.min(1 << 20)];
    for &(m, _) in &series.events {
        if flags.iter().any(|f| f.removed.0 <= m && m <= f.removed.1) {
            continue;
        }
        let h = ((m - series.lo) / 60) as usize;
        if h < present.len() {
            present[h] = true;
        }
    }
    (present.iter().filter(|&&x| x).count(), total)
}

/// The gap (in seconds) below which two consecutive records belong to the same burst: the
/// exponential inter-arrival likelihood ratio of the burst rate against the baseline,
/// ln(r_b/λ) − (r_b − λ)·g, is positive for g < ln(r_b/λ)/(r_b − λ). Rates per minute.
pub fn burst_gap_seconds(burst_per_min: f64, base_per_min: f64) -> f64 {
    if burst_per_min <= base_per_min || base_per_min <= 0.0 {
        return 0.0;
    }
    60.0 * (burst_per_min / base_per_min).ln() / (burst_per_min - base_per_min)
}

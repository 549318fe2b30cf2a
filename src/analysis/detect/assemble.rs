//! From fitted signals to incidents: second-precise windows, rare events, short-capture
//! windows, merging within the gap, minimum evidence, isolated events and the signals that
//! join an incident because they are elevated inside it.
//!
//! Input: the [`Signals`], each non-short signal's [`Fit`] and the gap. Output: the
//! [`Window`]s, the incident [`Group`]s and the [`Isolated`] events of a [`Detection`].
//! The rules and their constants are in the module header (`detect/mod.rs`).

use super::model::{burst_gap_seconds, Fit, EDGE_ALPHA};
use super::signals::{Signal, SignalKind, Signals};
use super::stats::tail;
use super::{
    Group, How, Isolated, Joined, Window, EFFECT, FLOOR, JOIN_ALPHA, MIN_RECORDS, NOISE_EFFECT,
    RARE_ALPHA,
};
use chrono::{DateTime, Duration, Utc};

/// Record-level edges of a flagged run `first..=last` (minutes) of a signal: walking back
/// from the last record of the first minute (and forward from the first record of the last
/// minute), each gap g scores ln(r/λ) − (r − λ)g, the exponential inter-arrival likelihood
/// ratio of the burst's rate r at that edge against the baseline λ (`base`, per minute),
/// and the edge is where the cumulative score is largest (Page's CUSUM, [`cusum_edge`]);
/// one minute beyond the run at most, never across a gap of `cap` seconds. r is the edge minute's records over the part
/// of the minute they occupy (from its first record to the minute's end at the start): a
/// burst ramps up, so its edge rate, not its mean, decides, and its first minute is partial.
/// Without stored records (dropped by `--max-hits`) the edges are the minutes'.
pub(super) fn edges(
    sig: &Signal,
    first: i64,
    last: i64,
    base: f64,
    cap: f64,
) -> (DateTime<Utc>, DateTime<Utc>, Vec<usize>) {
    let minute = |t: &DateTime<Utc>| t.timestamp().div_euclid(60);
    let lo = sig.times.partition_point(|x| minute(&x.0) < first - 1);
    let hi = sig.times.partition_point(|x| minute(&x.0) <= last + 1);
    let ts = &sig.times[lo..hi];
    let at = |m: i64| DateTime::from_timestamp(m * 60, 0).unwrap_or_default();
    if ts.is_empty() {
        return (at(first), at(last + 1) - Duration::seconds(1), Vec::new());
    }
    let secs = |a: DateTime<Utc>, b: DateTime<Utc>| (b - a).num_milliseconds() as f64 / 1000.0;
    let in_minute = |m: i64| ts.iter().filter(move |x| minute(&x.0) == m);
    // Per minute: the edge minute's records over the seconds they occupy.
    let start_rate = match in_minute(first).next() {
        Some(f) => 60.0 * in_minute(first).count() as f64 / secs(f.0, at(first + 1)).max(1.0),
        None => f64::INFINITY,
    };
    let end_rate = match in_minute(last).next_back() {
        Some(l) => 60.0 * in_minute(last).count() as f64 / secs(at(last), l.0).max(1.0),
        None => f64::INFINITY,
    };
    let g_start = burst_gap_seconds(start_rate, base).min(cap);
    let g_end = burst_gap_seconds(end_rate, base).min(cap);
    let mut i = ts
        .iter()
        .rposition(|x| minute(&x.0) == first)
        .unwrap_or_else(|| ts.iter().position(|x| minute(&x.0) > first).unwrap_or(0));
    // Seconds from the first record: the walks below read gaps and spans from it.
    let t: Vec<f64> = ts.iter().map(|x| secs(ts[0].0, x.0)).collect();
    i = cusum_edge(i, g_start, cap, |k| {
        (k > 0).then(|| t[k] - t[k - 1]).map(|g| (k - 1, g))
    });
    i = ramp_edge(&t, i, -1, base, cap);
    let mut j = ts
        .iter()
        .position(|x| minute(&x.0) == last)
        .unwrap_or_else(|| {
            ts.iter()
                .rposition(|x| minute(&x.0) < last)
                .unwrap_or(ts.len() - 1)
        });
    j = cusum_edge(j, g_end, cap, |k| {
        (k + 1 < t.len())
            .then(|| t[k + 1] - t[k])
            .map(|g| (k + 1, g))
    });
    j = ramp_edge(&t, j, 1, base, cap);
    let (a, b) = (ts[i.min(j)].0, ts[i.max(j)].0);
    let members = ts
        .iter()
        .filter(|x| x.0 >= a && x.0 <= b)
        .map(|x| x.1)
        .collect();
    (a, b, members)
}

/// A burst's ramp beyond a record edge `from` (`dir` −1: before a start, +1: after an
/// end): the edge minute's rate is the dense core's, and a ramp at a tenth of it (a pool's
/// housekeeper warning nine times in 30 s before the requests pile up) loses to it. The
/// records within a minute beyond the edge are a ramp when their own count is improbable
/// under the baseline (P(X ≥ n | λ·1 min) < [`EDGE_ALPHA`], the level at which adjacent
/// minutes join a burst, with n ≥ 2 so that a rate can be read); the edge then moves by the
/// same CUSUM at the ramp's own rate, and again from there while that holds. Background
/// records are not improbable under their own baseline and stay out.
fn ramp_edge(t: &[f64], mut from: usize, dir: i8, base: f64, cap: f64) -> usize {
    loop {
        let beyond: Vec<usize> = if dir < 0 {
            (0..from)
                .rev()
                .take_while(|&k| t[from] - t[k] <= 60.0)
                .collect()
        } else {
            (from + 1..t.len())
                .take_while(|&k| t[k] - t[from] <= 60.0)
                .collect()
        };
        let n = beyond.len();
        let Some(&outer) = beyond.last() else {
            return from;
        };
        if n < 2 || tail(n as u64, base, 1.0) >= EDGE_ALPHA {
            return from;
        }
        let rate = 60.0 * n as f64 / (t[from] - t[outer]).abs().max(1.0);
        let g = burst_gap_seconds(rate, base).min(cap);
        let next = cusum_edge(from, g, cap, |k| {
            if dir < 0 {
                (k > 0).then(|| t[k] - t[k - 1]).map(|g| (k - 1, g))
            } else {
                (k + 1 < t.len())
                    .then(|| t[k + 1] - t[k])
                    .map(|g| (k + 1, g))
            }
        });
        if next == from {
            return from;
        }
        from = next;
    }
}

/// Page's CUSUM over the gaps walking outward from record `from`: each gap g adds
/// ln(r/λ) − (r − λ)·g = (r − λ)·(g0 − g), g0 = ln(r/λ)/(r − λ) the burst gap, and the edge
/// is the record where the cumulative sum is largest. A single gap a little longer than g0
/// inside a ramp (nine pool timeouts over 30 s before the dense core) does not cut off the
/// records beyond it when those are dense; a background record a minute away costs far
/// more than one record gains, so it stays out. `next(k)` gives the next record outward
/// and the gap to it; no gap of `cap` seconds or more is crossed (the `--gap`, which also
/// bounds g0), and the records are those of the run and one minute beyond it.
fn cusum_edge(
    from: usize,
    g0: f64,
    cap: f64,
    next: impl Fn(usize) -> Option<(usize, f64)>,
) -> usize {
    if g0 <= 0.0 {
        return from;
    }
    let (mut k, mut sum, mut best, mut at) = (from, 0.0f64, 0.0f64, from);
    // In units of (r − λ): the sum's sign and argmax do not depend on the factor.
    while let Some((n, g)) = next(k) {
        if g >= cap {
            break;
        }
        sum += g0 - g;
        k = n;
        if sum > best {
            best = sum;
            at = k;
        }
    }
    at
}

/// The windows of one fitted signal: its flagged runs (noise needs [`NOISE_EFFECT`]), then
/// its rare events.
pub(super) fn fitted_windows(
    idx: usize,
    sig: &Signal,
    fit: &Fit,
    gap: Duration,
    out: &mut Vec<Window>,
) {
    for f in &fit.flags {
        if sig.noise && (f.observed as f64) < NOISE_EFFECT * f.expected {
            continue;
        }
        let minutes = (f.last - f.first + 1) as f64;
        let base = f.expected / minutes;
        let cap = gap.num_seconds() as f64;
        let (start, end, members) = edges(sig, f.first, f.last, base, cap);
        out.push(Window {
            signal: idx,
            start,
            end,
            first_minute: f.first,
            last_minute: f.last,
            observed: f.observed,
            expected: Some(f.expected),
            p: Some(f.p),
            how: How::Burst,
            members,
        });
    }
    if !(sig.rare_role && sig.opens()) {
        return;
    }
    // Rare events: one occurrence of a crash/host-wide signal that its own background
    // (leave-one-out) makes unlikely within ±gap.
    let span = 1 + 2 * (gap.num_seconds() + 59) / 60;
    for &(m, x) in &sig.counts {
        if fit
            .flags
            .iter()
            .any(|f| f.removed.0 <= m && m <= f.removed.1)
        {
            continue;
        }
        let loo = (fit.baseline_events - f64::from(x)).max(FLOOR) / fit.baseline_exposure;
        let mu = loo * span as f64;
        let p = tail(u64::from(x), mu, 1.0);
        if p < RARE_ALPHA {
            let at = DateTime::from_timestamp(m * 60, 0).unwrap_or_default();
            let (start, end) = minute_records(sig, m).unwrap_or((at, at + Duration::seconds(59)));
            out.push(Window {
                signal: idx,
                start,
                end,
                first_minute: m,
                last_minute: m,
                observed: u64::from(x),
                expected: Some(mu),
                p: Some(p),
                how: How::RareEvent,
                members: sig
                    .times
                    .iter()
                    .filter(|t| t.0.timestamp().div_euclid(60) == m)
                    .map(|t| t.1)
                    .collect(),
            });
        }
    }
}

/// First and last record time in minute `m`.
fn minute_records(sig: &Signal, m: i64) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let mut it = sig
        .times
        .iter()
        .filter(|t| t.0.timestamp().div_euclid(60) == m)
        .map(|t| t.0);
    let a = it.next()?;
    Some((a, it.next_back().unwrap_or(a)))
}

/// Windows of a signal of a short capture (no baseline): its records chained while less
/// than `gap` apart, each chain a window ("anomalous" by default, stated in the report).
pub(super) fn short_windows(idx: usize, sig: &Signal, gap: Duration, out: &mut Vec<Window>) {
    if sig.noise {
        return;
    }
    let mut chain: Vec<(DateTime<Utc>, usize)> = Vec::new();
    let flush = |chain: &mut Vec<(DateTime<Utc>, usize)>, out: &mut Vec<Window>| {
        if let (Some(a), Some(b)) = (chain.first(), chain.last()) {
            out.push(Window {
                signal: idx,
                start: a.0,
                end: b.0,
                first_minute: a.0.timestamp().div_euclid(60),
                last_minute: b.0.timestamp().div_euclid(60),
                observed: chain.len() as u64,
                expected: None,
                p: None,
                how: if sig.rare_role {
                    How::RareEvent
                } else {
                    How::ShortCapture
                },
                members: chain.iter().map(|x| x.1).collect(),
            });
        }
        chain.clear();
    };
    for &t in &sig.times {
        if let Some(last) = chain.last() {
            if t.0 - last.0 >= gap {
                flush(&mut chain, out);
            }
        }
        chain.push(t);
    }
    flush(&mut chain, out);
}

/// Windows merged while less than `gap` apart (different signals' windows weld; a window
/// is one signal's burst, so a trickle never does). Returns the groups as window indices.
pub(super) fn merge(windows: &[Window], gap: Duration) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..windows.len()).collect();
    order.sort_by_key(|&i| (windows[i].start, windows[i].end, windows[i].signal));
    let mut groups: Vec<(DateTime<Utc>, Vec<usize>)> = Vec::new();
    for i in order {
        let w = &windows[i];
        match groups.last_mut() {
            Some((end, g)) if w.start < *end + gap => {
                *end = (*end).max(w.end);
                g.push(i);
            }
            _ => groups.push((w.end, vec![i])),
        }
    }
    groups.into_iter().map(|g| g.1).collect()
}

/// Does a group of windows make an incident? It needs a window of an opening, non-noise
/// signal, and: [`MIN_RECORDS`] anomalous records outside rare-event windows, or user
/// impact, or a rare event corroborated by a second signal or service. `Err` gives why not.
pub(super) fn evidence(
    group: &[usize],
    windows: &[Window],
    signals: &Signals,
) -> Result<(), String> {
    let sig = |w: &Window| &signals.signals[w.signal];
    // Without a baseline (a short capture) an unknown error's count says nothing: a few
    // `duplicate key` errors or an nginx `bind() ... Cannot assign requested address` at
    // startup (issue 21's innocent lines) are no outage. There a template joins an incident
    // that a catalog failure or user impact opens, but does not open one itself. So do slow
    // requests: the trickle above a log's own threshold is a count without a baseline too.
    let opening = |w: &Window| {
        let s = sig(w);
        s.opens()
            && !s.noise
            && !(w.how == How::ShortCapture
                && matches!(s.kind, SignalKind::Template(_) | SignalKind::Slow))
    };
    if !group.iter().any(|&i| opening(&windows[i])) {
        return Err(if group.iter().any(|&i| sig(&windows[i]).opens()) {
            "only unknown errors in a short capture (no baseline to call their count anomalous)"
                .into()
        } else {
            "only warning-level or noise signals".into()
        });
    }
    let records: u64 = group
        .iter()
        .map(|&i| &windows[i])
        .filter(|w| w.how != How::RareEvent)
        .map(|w| w.observed)
        .sum();
    if records >= MIN_RECORDS {
        return Ok(());
    }
    if group
        .iter()
        .any(|&i| sig(&windows[i]).kind.is_user_impact())
    {
        return Ok(());
    }
    let mut distinct: Vec<usize> = group.iter().map(|&i| windows[i].signal).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let rare = group.iter().any(|&i| windows[i].how == How::RareEvent);
    if rare && distinct.len() >= 2 {
        return Ok(());
    }
    Err(if rare {
        "a rare event with no second anomalous signal or service".into()
    } else {
        format!("{records} anomalous record(s), fewer than {MIN_RECORDS}, and no user impact")
    })
}

/// The isolated events of a group that is not an incident: one per opening window.
pub(super) fn isolate(
    group: &[usize],
    windows: &[Window],
    signals: &Signals,
    reason: &str,
    out: &mut Vec<Isolated>,
) {
    for &i in group {
        let w = &windows[i];
        let s = &signals.signals[w.signal];
        if !s.opens() || s.noise {
            continue;
        }
        out.push(Isolated {
            window: i,
            reason: reason.to_string(),
        });
    }
}

/// Signals elevated inside an incident that did not open it: tested over the incident's
/// minutes, from `gap` before its start (a cause precedes its symptoms: one I/O-stall
/// message 20 s before the timeouts it causes), against a baseline outside every incident
/// (so not built from the window's own hits), at [`JOIN_ALPHA`] Bonferroni over the
/// candidates, effect
/// [`EFFECT`] ([`NOISE_EFFECT`] for noise). Short-capture signals have no baseline: their
/// records inside join as such.
pub(super) fn joiners(
    groups: &[Group],
    gi: usize,
    signals: &Signals,
    fits: &[Option<Fit>],
    windows: &[Window],
    gap: Duration,
) -> Vec<Joined> {
    let g = &groups[gi];
    let from = g.start - gap;
    let (ms, me) = (
        from.timestamp().div_euclid(60),
        g.end.timestamp().div_euclid(60),
    );
    let contributing: Vec<usize> = g.windows.iter().map(|&w| windows[w].signal).collect();
    let in_range = |s: &Signal, a: i64, b: i64| -> u64 {
        let i = s.counts.partition_point(|c| c.0 < a);
        let j = s.counts.partition_point(|c| c.0 <= b);
        s.counts[i..j].iter().map(|c| u64::from(c.1)).sum()
    };
    let candidates: Vec<usize> = (0..signals.signals.len())
        .filter(|i| !contributing.contains(i) && in_range(&signals.signals[*i], ms, me) > 0)
        .collect();
    let m = candidates.len().max(1) as f64;
    let mut out = Vec::new();
    for s in candidates {
        let sig = &signals.signals[s];
        let x = in_range(sig, ms, me);
        let members: Vec<usize> = sig
            .times
            .iter()
            .filter(|t| t.0 >= from && t.0 <= g.end)
            .map(|t| t.1)
            .collect();
        let first = sig
            .times
            .iter()
            .find(|t| t.0 >= from && t.0 <= g.end)
            .map(|t| t.0);
        let Some(fit) = &fits[s] else {
            if !sig.noise {
                out.push(Joined {
                    signal: s,
                    observed: x,
                    expected: None,
                    p: None,
                    members,
                    first,
                });
            }
            continue;
        };
        // Baseline outside every incident of the run.
        let inside: u64 = groups
            .iter()
            .map(|o| {
                in_range(
                    sig,
                    (o.start - gap).timestamp().div_euclid(60),
                    o.end.timestamp().div_euclid(60),
                )
            })
            .sum();
        let exposure_of = |a: i64, b: i64| match &sig.requests {
            Some(r) => r
                .iter()
                .filter(|(mm, _)| *mm >= a && *mm <= b)
                .map(|x| x.1)
                .sum::<f64>(),
            None => (b - a + 1) as f64,
        };
        let in_exposure: f64 = groups
            .iter()
            .map(|o| {
                exposure_of(
                    (o.start - gap).timestamp().div_euclid(60),
                    o.end.timestamp().div_euclid(60),
                )
            })
            .sum();
        let total_exposure = match &sig.requests {
            Some(r) => r.iter().map(|x| x.1).sum::<f64>(),
            None => {
                fit.baseline_exposure
                    + fit
                        .flags
                        .iter()
                        .map(|f| (f.removed.1 - f.removed.0 + 1) as f64)
                        .sum::<f64>()
            }
        };
        let rate = (sig.total().saturating_sub(inside) as f64).max(FLOOR)
            / (total_exposure - in_exposure).max(1.0);
        let mu = rate * exposure_of(ms, me);
        let p = tail(x, mu, fit.phi);
        let effect = if sig.noise { NOISE_EFFECT } else { EFFECT };
        if p < JOIN_ALPHA / m && x as f64 >= effect * mu {
            out.push(Joined {
                signal: s,
                observed: x,
                expected: Some(mu),
                p: Some(p),
                members,
                first,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{cusum_edge, ramp_edge};

    #[test]
    fn a_slow_ramp_before_a_dense_core_belongs_to_the_burst() {
        // day24 at --scale 10: a background record, nine pool warnings over 22 s, then a
        // core of 200 records in 30 s; the baseline is 0.21 a minute. From the core's
        // first record (where the core's rate puts the edge) the ramp is taken in whole.
        let mut t = vec![0.0];
        t.extend([
            200.0,
            206.2,
            208.2,
            208.6,
            209.0,
            213.0,
            221.2,
            222.6,
            222.0 + 7.5,
        ]);
        t.sort_by(f64::total_cmp);
        let core = t.len();
        t.extend((0..200).map(|k| 230.0 + 0.15 * k as f64));
        assert_eq!(ramp_edge(&t, core, -1, 0.21, 120.0), 1);
        // Forward from the core's last record: nothing beyond it, the edge stays.
        assert_eq!(ramp_edge(&t, t.len() - 1, 1, 0.21, 120.0), t.len() - 1);
    }

    #[test]
    fn background_before_a_burst_is_no_ramp() {
        // At 5 a minute, five records in the minute before the edge are the baseline.
        let mut t: Vec<f64> = (0..5).map(|k| 100.0 + 11.0 * k as f64).collect();
        let edge = t.len();
        t.extend((0..100).map(|k| 160.0 + 0.2 * k as f64));
        assert_eq!(ramp_edge(&t, edge, -1, 5.0, 120.0), edge);
        // One rare record a minute earlier: no rate to read, stays out.
        let t = [100.0, 150.0, 150.2, 150.4];
        assert_eq!(ramp_edge(&t, 1, -1, 0.01, 120.0), 1);
    }

    /// Walks back over `gaps` (seconds, outward from record 0).
    fn back(gaps: &[f64], g0: f64) -> usize {
        cusum_edge(0, g0, 120.0, |k| gaps.get(k).map(|&g| (k + 1, g)))
    }

    #[test]
    fn a_ramp_with_one_longer_gap_stays_whole() {
        // A pool running dry (day24's shape): the dense core's burst gap is ~7 s; the ramp
        // before it has one 7.7 s and one 8.2 s gap among short ones. All nine ramp records
        // belong to the burst; the background record 200 s earlier does not.
        let gaps = [7.7, 1.35, 8.2, 4.0, 0.5, 0.35, 1.95, 6.25, 200.0];
        assert_eq!(back(&gaps, 7.1), 8);
    }

    #[test]
    fn a_background_record_a_minute_away_stays_out() {
        assert_eq!(back(&[0.5, 0.5, 55.0, 0.5], 7.1), 2);
        // A long gap is not crossed for a few dense records beyond it.
        assert_eq!(back(&[30.0, 0.1, 0.1, 0.1], 7.1), 0);
        // No burst gap (rate not above the baseline): no walk.
        assert_eq!(back(&[0.1, 0.1], 0.0), 0);
    }
}

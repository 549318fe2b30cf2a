//! Recurrence: do incidents repeat at a regular interval (period, jitter, phase, missed
//! cycles)? Robust to one extra or one missing incident; `None` otherwise.
//!
//! Input: the incidents' start times, the assumed zone (for the phase) and the end of the
//! logs. Output: [`Recurrence`]. [`fit_grid`] (pure, unit-tested) finds the grid through the
//! start times: candidate periods from pairs of nearby starts, each refined by least squares
//! over the starts it catches, the best kept by its members, then its missed cycles, then
//! its relative jitter. Three starts on a grid must sit tighter than four, four tighter than
//! more ([`RECURRENCE_TOLERANCE_THREE`], [`RECURRENCE_TOLERANCE_FOUR`]).
//!
//! Tricky cases: stamps years apart at a minutes period would mean billions of cycles, so a
//! fit stops before listing its missed cycles when there are more than points. The phase
//! (minute past the hour, in the assumed zone) is given only for periods near a whole
//! number of hours, and is a circular mean (:59 and :01 average to :00).

use super::{ser_time, ser_times};
use crate::analysis::incidents::Clusters;
use crate::time::Zone;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Recurrence: an incident is on the grid when its start is within this share of the
/// period from a grid point (10 %: ±6 min for an hourly job).
pub const RECURRENCE_TOLERANCE: f64 = 0.10;
/// Recurrence with only three incidents on the grid must be tighter (2 %: ±72 s hourly).
pub const RECURRENCE_TOLERANCE_THREE: f64 = 0.02;
/// Recurrence with four incidents on the grid (5 %: ±3 min hourly).
pub const RECURRENCE_TOLERANCE_FOUR: f64 = 0.05;
/// Shortest period considered.
pub const RECURRENCE_MIN_PERIOD_SECS: f64 = 60.0;
/// Phase (minute past the hour) is given when the period is within this share of a whole
/// number of hours.
pub const PHASE_HOURLY_TOLERANCE: f64 = 0.05;

/// Incidents repeating at a regular interval.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Recurrence {
    /// Fitted period (least squares over the incidents on the grid), whole seconds.
    pub period_seconds: i64,
    /// Largest distance of an incident start from the fitted grid, whole seconds.
    pub jitter_seconds: i64,
    /// Incidents on the grid.
    pub count: usize,
    /// Typical minute past the hour of the starts (in the assumed zone), for periods near
    /// a whole number of hours; `null` otherwise.
    pub phase: Option<u32>,
    /// Typical second past the hour (same condition), e.g. 2829 = :47:09.
    pub phase_seconds: Option<u32>,
    /// Ids of the incidents on the grid.
    pub incidents: Vec<usize>,
    /// Ids of incidents off the grid (extra).
    pub extra: Vec<usize>,
    /// Expected occurrences between the first and last incident on the grid that did not
    /// happen (missed cycles).
    #[serde(serialize_with = "ser_times")]
    pub missed: Vec<DateTime<Utc>>,
    /// The next grid point after the last incident.
    #[serde(serialize_with = "ser_time")]
    pub next_expected: DateTime<Utc>,
    /// Did the logs still run at `next_expected` (so its absence is itself a finding)?
    pub next_expected_in_logs: bool,
}

/// A grid fit over start times in seconds (pure; unit-tested).
#[derive(Debug, Clone, PartialEq)]
pub struct GridFit {
    /// Period in seconds.
    pub period: f64,
    /// Time of cycle 0.
    pub anchor: f64,
    /// (index into the input, cycle number, residual seconds) of the points on the grid.
    pub members: Vec<(usize, i64, f64)>,
    /// Indices off the grid.
    pub extra: Vec<usize>,
    /// Cycle numbers between the first and last member with no point.
    pub missed: Vec<i64>,
    /// Largest absolute residual.
    pub jitter: f64,
}

fn assign(t: &[f64], period: f64, anchor: f64, tol: f64) -> (Vec<(usize, i64, f64)>, Vec<usize>) {
    let mut best: BTreeMap<i64, (usize, f64)> = BTreeMap::new();
    let mut extra = Vec::new();
    for (i, &x) in t.iter().enumerate() {
        let c = ((x - anchor) / period).round();
        let r = x - anchor - c * period;
        if r.abs() > tol {
            extra.push(i);
            continue;
        }
        let c = c as i64;
        match best.get(&c) {
            Some(&(_, rj)) if rj.abs() <= r.abs() => extra.push(i),
            Some(&(j, _)) => {
                extra.push(j);
                best.insert(c, (i, r));
            }
            None => {
                best.insert(c, (i, r));
            }
        }
    }
    extra.sort_unstable();
    (
        best.into_iter().map(|(c, (i, r))| (i, c, r)).collect(),
        extra,
    )
}

/// Least squares `t = anchor + period * cycle` over the members.
fn refit(t: &[f64], members: &[(usize, i64, f64)]) -> Option<(f64, f64)> {
    let n = members.len() as f64;
    if members.len() < 2 {
        return None;
    }
    let mc = members.iter().map(|m| m.1 as f64).sum::<f64>() / n;
    let mt = members.iter().map(|m| t[m.0]).sum::<f64>() / n;
    let sxx: f64 = members.iter().map(|m| (m.1 as f64 - mc).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let sxy: f64 = members
        .iter()
        .map(|m| (m.1 as f64 - mc) * (t[m.0] - mt))
        .sum();
    let period = sxy / sxx;
    Some((period, mt - period * mc))
}

/// Finds a regular grid through sorted start times (seconds). Rules (docs/reports.md):
/// at least 3 points on the grid within ±10 % of the period (±5 % when exactly 3); extra
/// points off the grid: none with 3 on it, else at most max(1, n/5); missed cycles between
/// the first and last member: none with 3 on it, else at most max(1, members/4). Among
/// candidates the most members win, then the fewest missed cycles, then the smallest
/// relative jitter.
pub fn fit_grid(t: &[f64]) -> Option<GridFit> {
    let n = t.len();
    if n < 3 {
        return None;
    }
    let mut best: Option<(GridFit, (usize, usize, f64))> = None;
    for i in 0..n {
        for j in i + 1..n.min(i + 4) {
            let span = t[j] - t[i];
            for k in 1..=(j - i + 2) as i64 {
                let p0 = span / k as f64;
                if p0 < RECURRENCE_MIN_PERIOD_SECS {
                    continue;
                }
                let Some(fit) = try_grid(t, p0, t[i]) else {
                    continue;
                };
                let key = (
                    usize::MAX - fit.members.len(),
                    fit.missed.len(),
                    fit.jitter / fit.period,
                );
                let better = match &best {
                    None => true,
                    Some((_, bk)) => {
                        (key.0, key.1) < (bk.0, bk.1)
                            || ((key.0, key.1) == (bk.0, bk.1) && key.2 < bk.2 - 1e-9)
                    }
                };
                if better {
                    best = Some((fit, key));
                }
            }
        }
    }
    best.map(|b| b.0)
}

fn try_grid(t: &[f64], p0: f64, a0: f64) -> Option<GridFit> {
    let (mut period, mut anchor) = (p0, a0);
    let mut members;
    let mut extra;
    (members, extra) = assign(t, period, anchor, RECURRENCE_TOLERANCE * period);
    for _ in 0..3 {
        let (p, a) = refit(t, &members)?;
        if p < RECURRENCE_MIN_PERIOD_SECS {
            return None;
        }
        (period, anchor) = (p, a);
        (members, extra) = assign(t, period, anchor, RECURRENCE_TOLERANCE * period);
    }
    // Renumber cycles from 0 at the first member.
    let c0 = members.first()?.1;
    anchor += c0 as f64 * period;
    for m in &mut members {
        m.1 -= c0;
    }
    let m = members.len();
    let cycles = members.last()?.1 + 1;
    let have: BTreeSet<i64> = members.iter().map(|m| m.1).collect();
    // No rule below accepts more missed cycles than there are points; stop before listing
    // them (stamps years apart at a minutes period would mean billions of cycles: a hang).
    if cycles - have.len() as i64 > t.len() as i64 {
        return None;
    }
    let missed: Vec<i64> = (0..cycles).filter(|c| !have.contains(c)).collect();
    let jitter = members.iter().map(|m| m.2.abs()).fold(0.0, f64::max);
    let n = t.len();
    let ok = match m {
        0..=2 => false,
        3 => extra.is_empty() && missed.is_empty() && jitter <= RECURRENCE_TOLERANCE_THREE * period,
        4 => extra.len() + missed.len() <= 1 && jitter <= RECURRENCE_TOLERANCE_FOUR * period,
        _ => extra.len() + missed.len() <= (m / 5).max(1) && extra.len() <= n / 4,
    };
    ok.then_some(GridFit {
        period,
        anchor,
        members,
        extra,
        missed,
        jitter,
    })
}

pub(super) fn recurrence(
    clusters: &Clusters,
    tz: &Zone,
    logs_end: Option<DateTime<Utc>>,
) -> Option<Recurrence> {
    let incs = &clusters.incidents;
    let t: Vec<f64> = incs
        .iter()
        .map(|i| i.start.timestamp_millis() as f64 / 1000.0)
        .collect();
    let fit = fit_grid(&t)?;
    let at = |secs: f64| {
        DateTime::from_timestamp_millis((secs * 1000.0).round() as i64).unwrap_or_default()
    };
    let hours = fit.period / 3600.0;
    let near_hourly =
        hours.round() >= 1.0 && (hours - hours.round()).abs() <= PHASE_HOURLY_TOLERANCE * hours;
    let phase_seconds = near_hourly.then(|| {
        // Circular mean of the seconds past the hour (so :59 and :01 average to :00).
        let (mut s, mut c) = (0.0f64, 0.0f64);
        for m in &fit.members {
            let start = incs[m.0].start;
            let local = start.timestamp() + tz.offset_at(start).local_minus_utc() as i64;
            let ang = local.rem_euclid(3600) as f64 / 3600.0 * std::f64::consts::TAU;
            s += ang.sin();
            c += ang.cos();
        }
        let mean = s.atan2(c).rem_euclid(std::f64::consts::TAU) / std::f64::consts::TAU * 3600.0;
        (mean.round() as u32) % 3600
    });
    let last_cycle = fit.members.last()?.1;
    let next_expected = at(fit.anchor + (last_cycle + 1) as f64 * fit.period);
    Some(Recurrence {
        period_seconds: fit.period.round() as i64,
        jitter_seconds: fit.jitter.round() as i64,
        count: fit.members.len(),
        phase: phase_seconds.map(|s| s / 60),
        phase_seconds,
        incidents: fit.members.iter().map(|m| incs[m.0].id).collect(),
        extra: fit.extra.iter().map(|&i| incs[i].id).collect(),
        missed: fit
            .missed
            .iter()
            .map(|&c| at(fit.anchor + c as f64 * fit.period))
            .collect(),
        next_expected,
        next_expected_in_logs: logs_end.is_some_and(|e| e >= next_expected),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(period: f64, n: usize, jitter: &[f64]) -> Vec<f64> {
        (0..n)
            .map(|k| 1_566_348_430.0 + k as f64 * period + jitter.get(k).copied().unwrap_or(0.0))
            .collect()
    }

    #[test]
    fn exact_period() {
        let t = grid(3600.0, 5, &[]);
        let f = fit_grid(&t).expect("regular");
        assert!((f.period - 3600.0).abs() < 1e-6);
        assert_eq!(f.members.len(), 5);
        assert!(f.extra.is_empty() && f.missed.is_empty());
        assert!(f.jitter < 1e-6);
    }

    #[test]
    fn jittered_period() {
        // The founding case: 3595, 3615, 3582 s apart.
        let t = vec![0.0, 3595.0, 7210.0, 10792.0];
        let f = fit_grid(&t).expect("regular");
        assert_eq!(f.period.round(), 3599.0);
        assert_eq!(f.jitter.round(), 11.0);
        assert_eq!(f.members.len(), 4);
        let t = grid(
            1800.0,
            8,
            &[30.0, -45.0, 12.0, 80.0, -60.0, 0.0, 25.0, -10.0],
        );
        let f = fit_grid(&t).expect("regular");
        assert!((f.period - 1800.0).abs() < 20.0, "{}", f.period);
        assert_eq!(f.members.len(), 8);
    }

    #[test]
    fn one_missing() {
        let mut t = grid(3600.0, 7, &[5.0, -8.0, 3.0, 0.0, 9.0, -4.0, 2.0]);
        t.remove(3);
        let f = fit_grid(&t).expect("regular despite a missed cycle");
        assert!((f.period - 3600.0).abs() < 10.0);
        assert_eq!(f.members.len(), 6);
        assert_eq!(f.missed, vec![3]);
        assert!(f.extra.is_empty());
    }

    #[test]
    fn one_extra() {
        let mut t = grid(3600.0, 6, &[4.0, -3.0, 0.0, 6.0, -2.0, 1.0]);
        t.push(t[2] + 1400.0);
        t.sort_by(f64::total_cmp);
        let f = fit_grid(&t).expect("regular despite an extra incident");
        assert!((f.period - 3600.0).abs() < 10.0);
        assert_eq!(f.members.len(), 6);
        assert_eq!(f.extra, vec![3]);
        assert!(f.missed.is_empty());
    }

    #[test]
    fn random_is_none() {
        // Deterministic pseudo-random starts (LCG), several seeds.
        for seed in 1..=40u64 {
            let mut x = seed;
            let mut t: Vec<f64> = (0..7)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((x >> 33) % 86_400) as f64
                })
                .collect();
            t.sort_by(f64::total_cmp);
            t.dedup();
            assert!(
                fit_grid(&t).is_none(),
                "seed {seed}: {t:?} → {:?}",
                fit_grid(&t)
            );
        }
        assert!(fit_grid(&[0.0, 1000.0, 5000.0, 5600.0, 9999.0, 14000.0]).is_none());
        assert!(fit_grid(&[0.0, 3600.0]).is_none(), "two are not a pattern");
        assert!(
            fit_grid(&[0.0, 3600.0, 9000.0]).is_none(),
            "three must be tight"
        );
    }

    /// Random incident times must rarely look periodic (measured ~4 % at n = 3, ~0 from 7).
    #[test]
    fn false_positive_rate() {
        for n in 3..=12usize {
            let mut hits = 0;
            for seed in 1..=500u64 {
                let mut x = seed * 7919 + n as u64;
                let mut t: Vec<f64> = (0..n)
                    .map(|_| {
                        x = x
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        ((x >> 33) % 86_400) as f64
                    })
                    .collect();
                t.sort_by(f64::total_cmp);
                t.dedup();
                if fit_grid(&t).is_some() {
                    hits += 1;
                }
            }
            assert!(
                hits * 100 <= 500 * 6,
                "n={n}: {hits}/500 random sets called periodic"
            );
        }
    }
}

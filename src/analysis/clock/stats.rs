//! The statistics under zone and skew inference: dense per-minute series with a high-pass
//! filter, Pearson correlation of two series at a shift, robust location and scale of a null
//! sample, and the normal tail that turns a z-score into a p-value.
//!
//! Input: (minute, count) pairs or values. Output: numbers. Nothing here knows about files.
//!
//! Tricky cases:
//! - Counts are square-rooted first (Poisson counts have variance equal to their mean: a
//!   minute of 5,000 errors must not outweigh every other minute).
//! - The high-pass filter subtracts a centred 15-minute moving average, so a diurnal curve
//!   or a slow ramp, which every system shares, does not correlate at a wrong offset; what is
//!   left is minute-to-minute variation (Poisson noise of shared traffic, bursts), which lines
//!   up only at the right offset.
//! - A series with no variation over the overlap has no correlation (`None`), never 0/0.

/// Half-width in minutes of the high-pass filter's moving average (a 15-minute window).
pub const HP_HALF: usize = 7;
/// Zero minutes kept before and after a series' activity.
const PAD: i64 = 2 * HP_HALF as i64 + 1;

/// A dense series over consecutive minutes `start..start + v.len()`, zero outside.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dense {
    /// First minute.
    pub start: i64,
    /// One value per minute.
    pub v: Vec<f64>,
    /// Minutes with a non-zero count before filtering (how much the series can say).
    pub active: usize,
    /// First minute with activity, and one past the last (the series without its padding).
    pub span: (i64, i64),
    /// Prefix sums of `v` and of its squares (`sums[i]` covers `v[..i]`): a window's sum in
    /// O(1), since zone inference correlates each pair at ~1,500 shifts.
    sums: Vec<(f64, f64)>,
}

impl Dense {
    /// A series from (minute, count) pairs (any order; repeats add), square-rooted and
    /// high-pass filtered. `None` for no pairs.
    pub fn from_counts(pairs: impl IntoIterator<Item = (i64, f64)>) -> Option<Dense> {
        let mut pairs: Vec<(i64, f64)> = pairs.into_iter().collect();
        if pairs.is_empty() {
            return None;
        }
        pairs.sort_by_key(|p| p.0);
        // Zeros around the activity, so that its start and end show in the filtered series
        // (the filter's whole response to a step fits in the padding).
        let start = pairs[0].0 - PAD;
        let end = pairs[pairs.len() - 1].0 + PAD;
        // A bound on the span (a year of minutes): a clock years off is no activity to align.
        let len = usize::try_from(end - start + 1).ok()?.min(366 * 1440);
        let mut raw = vec![0.0; len];
        for (m, n) in pairs {
            if let Some(slot) = usize::try_from(m - start).ok().and_then(|i| raw.get_mut(i)) {
                *slot += n;
            }
        }
        let active = raw.iter().filter(|x| **x > 0.0).count();
        for x in &mut raw {
            *x = x.sqrt();
        }
        let v = highpass(&raw, HP_HALF);
        let mut sums = Vec::with_capacity(v.len() + 1);
        let (mut s1, mut s2) = (0.0, 0.0);
        sums.push((s1, s2));
        for x in &v {
            s1 += x;
            s2 += x * x;
            sums.push((s1, s2));
        }
        Some(Dense {
            start,
            v,
            active,
            span: (start + PAD, end - PAD + 1),
            sums,
        })
    }

    /// One past the last minute.
    pub fn end(&self) -> i64 {
        self.start + self.v.len() as i64
    }

    /// The series moved by `by` minutes (its minute `m` becomes `m + by`).
    pub fn shifted(&self, by: i64) -> Dense {
        Dense {
            start: self.start + by,
            v: self.v.clone(),
            active: self.active,
            span: (self.span.0 + by, self.span.1 + by),
            sums: self.sums.clone(),
        }
    }
}

/// `x` minus its centred moving average over `2 * half + 1` values (shorter at the ends).
pub fn highpass(x: &[f64], half: usize) -> Vec<f64> {
    let mut prefix = Vec::with_capacity(x.len() + 1);
    prefix.push(0.0);
    for v in x {
        prefix.push(prefix[prefix.len() - 1] + v);
    }
    (0..x.len())
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(x.len());
            x[i] - (prefix[hi] - prefix[lo]) / (hi - lo) as f64
        })
        .collect()
}

/// Pearson correlation of `a(t)` and `b(t - shift)` over the minutes the *shorter* of the
/// two covers (with its padding of zeros; the other is zero outside its own minutes), and
/// how many minutes their spans of activity overlap.
///
/// Why that window: silence counts where it is evidence. At a wrong offset the shorter
/// file logs where the longer one, running, is silent, and files that start or stop
/// together (a restart, the moment the logs were collected) line up only at the right one
/// (the padding shows the edges). But a day of app log beside the last hour of an access
/// log must not be diluted by the 23 hours the access log no longer holds: only the
/// shorter file's time is compared. `None` when the spans of activity overlap by fewer
/// than `min_overlap` minutes or either series is constant in the window.
pub fn corr_at(a: &Dense, b: &Dense, shift: i64, min_overlap: usize) -> Option<(f64, usize)> {
    let active = a.span.1.min(b.span.1 + shift) - a.span.0.max(b.span.0 + shift);
    if active < min_overlap as i64 {
        return None;
    }
    // The window: the shorter series' minutes (b moved by `shift`).
    let (lo, hi) = if a.v.len() <= b.v.len() {
        (a.start, a.end())
    } else {
        (b.start + shift, b.end() + shift)
    };
    let n = (hi - lo) as usize;
    // The window's sums: each series' own from its prefix sums (a term outside a series is
    // zero), the cross term over the minutes both cover, in four lanes (one running sum is
    // bound by the latency of an add).
    let part = |d: &Dense, by: i64| -> (f64, f64) {
        let len = d.v.len() as i64;
        let s = (lo - (d.start + by)).clamp(0, len) as usize;
        let e = (hi - (d.start + by)).clamp(0, len) as usize;
        if e <= s {
            return (0.0, 0.0);
        }
        (d.sums[e].0 - d.sums[s].0, d.sums[e].1 - d.sums[s].1)
    };
    let (sa, saa) = part(a, 0);
    let (sb, sbb) = part(b, shift);
    let (c0, c1) = (
        lo.max(a.start).max(b.start + shift),
        hi.min(a.end()).min(b.end() + shift),
    );
    let mut lanes = [0.0f64; 4];
    if c0 < c1 {
        let xa = &a.v[(c0 - a.start) as usize..(c1 - a.start) as usize];
        let yb = &b.v[(c0 - b.start - shift) as usize..(c1 - b.start - shift) as usize];
        let mut xs = xa.chunks_exact(4);
        let mut ys = yb.chunks_exact(4);
        for (x, y) in (&mut xs).zip(&mut ys) {
            for k in 0..4 {
                lanes[k] += x[k] * y[k];
            }
        }
        for (x, y) in xs.remainder().iter().zip(ys.remainder()) {
            lanes[0] += x * y;
        }
    }
    let sab = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    let nf = n as f64;
    let cov = sab - sa * sb / nf;
    let va = saa - sa * sa / nf;
    let vb = sbb - sb * sb / nf;
    if va <= 1e-12 || vb <= 1e-12 {
        return None;
    }
    Some((cov / (va * vb).sqrt(), active as usize))
}

/// Median and a robust standard deviation (1.4826 × the median absolute deviation) of a
/// sample; `None` for an empty one.
pub fn robust(values: &[f64]) -> Option<(f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let med = median(values);
    let dev: Vec<f64> = values.iter().map(|v| (v - med).abs()).collect();
    Some((med, 1.4826 * median(&dev)))
}

/// The `q` quantile (0..=1, nearest rank) of a sample; `None` for an empty one.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize;
    Some(v[i])
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// P(Z > z) for a standard normal Z (Numerical Recipes' `erfcc`, relative error below
/// 1.2e-7 everywhere: good for the small tails a Bonferroni correction asks about).
pub fn normal_sf(z: f64) -> f64 {
    let x = z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * x.abs());
    let y = t
        * (-x * x - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    let erfc = if x >= 0.0 { y } else { 2.0 - y };
    erfc / 2.0
}

/// P(X ≥ x) for X ~ Poisson(λ) (exact sum of the terms; counts are small where the normal
/// approximation fails: 6 coincidences where 1 is expected is p = 6e-4, not the 3e-7 a
/// z-score of 5 suggests).
pub fn poisson_sf(x: f64, lambda: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let lambda = lambda.max(1e-9);
    let k0 = x.ceil() as u64;
    // log of the first term: -λ + k0 ln λ - ln k0!
    let ln_fact: f64 = (2..=k0).map(|k| (k as f64).ln()).sum();
    let mut term = (-lambda + k0 as f64 * lambda.ln() - ln_fact).exp();
    let mut sum = 0.0;
    let mut k = k0;
    while term > 1e-300 && k < k0 + 100_000 {
        sum += term;
        k += 1;
        term *= lambda / k as f64;
        if term < sum * 1e-16 {
            break;
        }
    }
    sum.min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The plain definition [`corr_at`] is optimised from: every minute of the window,
    /// zeros outside each series.
    fn corr_reference(
        a: &Dense,
        b: &Dense,
        shift: i64,
        min_overlap: usize,
    ) -> Option<(f64, usize)> {
        let active = a.span.1.min(b.span.1 + shift) - a.span.0.max(b.span.0 + shift);
        if active < min_overlap as i64 {
            return None;
        }
        let (lo, hi) = if a.v.len() <= b.v.len() {
            (a.start, a.end())
        } else {
            (b.start + shift, b.end() + shift)
        };
        let value = |d: &Dense, by: i64, t: i64| -> f64 {
            usize::try_from(t - by - d.start)
                .ok()
                .and_then(|i| d.v.get(i))
                .copied()
                .unwrap_or(0.0)
        };
        let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for t in lo..hi {
            let (x, y) = (value(a, 0, t), value(b, shift, t));
            sa += x;
            sb += y;
            saa += x * x;
            sbb += y * y;
            sab += x * y;
        }
        let nf = (hi - lo) as f64;
        let (cov, va, vb) = (sab - sa * sb / nf, saa - sa * sa / nf, sbb - sb * sb / nf);
        if va <= 1e-12 || vb <= 1e-12 {
            return None;
        }
        Some((cov / (va * vb).sqrt(), active as usize))
    }

    proptest! {
        /// The optimised correlation is the plain one (to rounding), at any shift (inside,
        /// overlapping and past either series).
        #[test]
        fn corr_at_equals_its_definition(
            a in proptest::collection::vec((0i64..400, 0.0f64..50.0), 1..80),
            b in proptest::collection::vec((0i64..400, 0.0f64..50.0), 1..80),
            start_b in -300i64..300,
            shift in -900i64..900,
        ) {
            let da = Dense::from_counts(a).unwrap();
            let db = Dense::from_counts(b.into_iter().map(|(m, n)| (m + start_b, n))).unwrap();
            // Translation: `a` moved by `by` is `a` at a shift `by` less (zones' best
            // witness relies on it instead of copying each witness per naive file).
            let by = start_b / 3;
            let moved = corr_at(&da.shifted(by), &db, shift, 0);
            let same = corr_at(&da, &db, shift - by, 0);
            prop_assert_eq!(moved.map(|x| x.1), same.map(|x| x.1));
            if let (Some(m), Some(s)) = (moved, same) {
                prop_assert!((m.0 - s.0).abs() < 1e-9, "{} vs {}", m.0, s.0);
            }
            for s in [shift, -shift, shift / 7, 0] {
                let got = corr_at(&da, &db, s, 0);
                let want = corr_reference(&da, &db, s, 0);
                match (got, want) {
                    (Some(g), Some(w)) => {
                        prop_assert_eq!(g.1, w.1);
                        prop_assert!((g.0 - w.0).abs() < 1e-9, "{} vs {}", g.0, w.0);
                    }
                    // A window whose variance is at the 1e-12 cut either way.
                    (g, w) => prop_assert_eq!(g.is_some(), w.is_some(), "{:?} vs {:?}", g, w),
                }
            }
        }
    }

    #[test]
    fn normal_tail() {
        assert!((normal_sf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_sf(1.959_964) - 0.025).abs() < 1e-6);
        assert!((normal_sf(3.090_232) - 0.001).abs() < 1e-7);
        assert!((normal_sf(-1.644_854) - 0.95).abs() < 1e-6);
        assert!((normal_sf(6.0) / 9.865_876e-10 - 1.0).abs() < 1e-5);
    }

    #[test]
    fn poisson_tail() {
        assert!((poisson_sf(6.0, 1.0) - 0.000_594_2).abs() < 1e-6);
        assert!((poisson_sf(1.0, 2.0) - (1.0 - (-2.0f64).exp())).abs() < 1e-12);
        assert_eq!(poisson_sf(0.0, 3.0), 1.0);
        assert!(poisson_sf(200.0, 100.0) < 1e-15);
    }

    #[test]
    fn highpass_removes_trends() {
        let ramp: Vec<f64> = (0..100).map(|i| i as f64).collect();
        let hp = highpass(&ramp, 7);
        assert!(hp[10..90].iter().all(|v| v.abs() < 1e-9));
    }

    #[test]
    fn correlation_peaks_at_the_true_shift() {
        // A pseudo-random series and itself moved by 37 minutes.
        let mut x = 12345u64;
        let pairs: Vec<(i64, f64)> = (0..600)
            .map(|m| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (m, (x >> 59) as f64)
            })
            .collect();
        let a = Dense::from_counts(pairs.clone()).unwrap();
        let b = Dense::from_counts(pairs.iter().map(|&(m, n)| (m - 37, n))).unwrap();
        let best = (-100..100)
            .filter_map(|s| corr_at(&a, &b, s, 30).map(|(r, _)| (s, r)))
            .max_by(|p, q| p.1.total_cmp(&q.1))
            .unwrap();
        assert_eq!(best.0, 37);
        assert!((best.1 - 1.0).abs() < 1e-9);
        assert_eq!(corr_at(&a, &b, 5000, 30), None);
    }

    #[test]
    fn robust_scale() {
        let (m, s) = robust(&[1.0, 2.0, 3.0, 4.0, 100.0]).unwrap();
        assert_eq!(m, 3.0);
        assert!((s - 1.4826).abs() < 1e-9);
    }
}

//! Count tails for the detector: P(X ≥ c) under a Poisson (dispersion 1) or a negative
//! binomial with the same mean and a variance φ times larger (φ > 1: events come in clumps,
//! as retries do), the smallest count whose tail is below a level ([`critical`]), and the
//! Pearson dispersion of a baseline ([`dispersion`]).
//!
//! Tails are summed upwards from `c` in log space once `c` is past the mode, so a tail of
//! 1e-30 is computed as such (1 − CDF would round it to 0); below the mode they are 1 minus
//! the lower sum. ln Γ is Lanczos' approximation (g = 7, 9 terms; relative error < 1e-14).

/// ln Γ(x) for x > 0 (Lanczos, g = 7).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).abs().ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The count distribution of a window: mean `mu`, variance `phi × mu`.
#[derive(Clone, Copy, Debug)]
struct Dist {
    mu: f64,
    phi: f64,
}

impl Dist {
    fn poisson(self) -> bool {
        self.phi <= 1.0 + 1e-9
    }

    /// ln P(X = k).
    fn ln_pmf(self, k: u64) -> f64 {
        let kf = k as f64;
        if self.mu <= 0.0 {
            return if k == 0 { 0.0 } else { f64::NEG_INFINITY };
        }
        if self.poisson() {
            return kf * self.mu.ln() - self.mu - ln_gamma(kf + 1.0);
        }
        // NB(r, p): r = μ/(φ−1), p = 1/φ (mean μ, variance φμ).
        let r = self.mu / (self.phi - 1.0);
        let p = 1.0 / self.phi;
        ln_gamma(kf + r) - ln_gamma(r) - ln_gamma(kf + 1.0) + r * p.ln() + kf * (1.0 - p).ln()
    }

    /// pmf(k+1) / pmf(k).
    fn ratio(self, k: u64) -> f64 {
        let kf = k as f64;
        if self.poisson() {
            self.mu / (kf + 1.0)
        } else {
            let r = self.mu / (self.phi - 1.0);
            (kf + r) / (kf + 1.0) * (1.0 - 1.0 / self.phi)
        }
    }

    /// The mode (floor of the mean is close enough to split the two summation directions).
    fn mode(self) -> u64 {
        self.mu.max(0.0).floor() as u64
    }
}

/// Longest tail sum (terms). A tail needs this many only for a dispersion in the hundreds.
const MAX_TERMS: usize = 200_000;

/// P(X ≥ c) for a count of mean `mu` and dispersion `phi` (Poisson when `phi` ≤ 1).
pub fn tail(c: u64, mu: f64, phi: f64) -> f64 {
    if c == 0 {
        return 1.0;
    }
    if mu <= 0.0 {
        return 0.0;
    }
    let d = Dist {
        mu,
        phi: phi.max(1.0),
    };
    if c > d.mode() {
        // Upwards from c: every term smaller than the one before.
        let mut term = d.ln_pmf(c).exp();
        let mut sum = 0.0;
        for k in (c..).take(MAX_TERMS) {
            sum += term;
            term *= d.ratio(k);
            if term <= sum * 1e-17 || term == 0.0 {
                break;
            }
        }
        sum.min(1.0)
    } else {
        // 1 − P(X < c), the lower sum downwards from c − 1.
        let mut term = d.ln_pmf(c - 1).exp();
        let mut low = 0.0;
        let mut k = c - 1;
        loop {
            low += term;
            if k == 0 || term < 1e-300 {
                break;
            }
            term /= d.ratio(k - 1);
            k -= 1;
        }
        (1.0 - low).clamp(0.0, 1.0)
    }
}

/// The smallest count `c ≥ 1` with P(X ≥ c) ≤ `alpha` (mean `mu`, dispersion `phi`).
pub fn critical(mu: f64, phi: f64, alpha: f64) -> u64 {
    if mu <= 0.0 {
        return 1;
    }
    let ok = |c: u64| tail(c, mu, phi) <= alpha;
    let mut lo = mu.floor().max(1.0) as u64; // tail(lo) is usually > alpha
    if ok(lo) {
        // Down to the smallest.
        while lo > 1 && ok(lo - 1) {
            lo -= 1;
        }
        return lo;
    }
    let mut step = (mu.sqrt().ceil() as u64).max(1);
    let mut hi = lo + step;
    while !ok(hi) {
        lo = hi;
        step *= 2;
        hi = lo + step;
    }
    // tail(lo) > alpha ≥ tail(hi)
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// Pearson dispersion of counts against their expected values, at least 1: Σ (x − μ)² / μ
/// over the baseline minutes, divided by their number. `sum_sq_over_mu` is Σ x²/μ over the
/// minutes with events, `n` the events, `e` the total expectation (Σ μ) and `minutes` the
/// baseline minutes (zeros included): Σ (x−μ)²/μ = Σ x²/μ − 2n + Σ μ.
pub fn dispersion(sum_sq_over_mu: f64, n: f64, e: f64, minutes: f64) -> f64 {
    if minutes < 2.0 || e <= 0.0 {
        return 1.0;
    }
    let chi2 = sum_sq_over_mu - 2.0 * n + e;
    (chi2 / minutes).max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rates::poisson_sf;

    #[test]
    fn gamma() {
        assert!((ln_gamma(1.0)).abs() < 1e-13);
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
        assert!((ln_gamma(100.5) - 361.435_540_467_777_6).abs() < 1e-9);
    }

    #[test]
    fn poisson_tails_match_the_rates_module() {
        for &(c, mu) in &[
            (1, 0.1),
            (3, 2.0),
            (10, 3.5),
            (60, 30.0),
            (5, 20.0),
            (1, 1e-4),
        ] {
            let a = tail(c, mu, 1.0);
            let b = poisson_sf(c, mu);
            assert!(
                (a - b).abs() < 1e-7 * b.max(1e-300) + 1e-14,
                "{c} {mu}: {a} {b}"
            );
        }
        // Deep tails keep their size (1 − CDF would give 0).
        let t = tail(40, 1.0, 1.0);
        assert!(t > 1e-50 && t < 1e-45, "{t}");
    }

    #[test]
    fn negative_binomial_tails_are_heavier_and_sum_to_one() {
        let (mu, phi) = (2.0, 3.0);
        let d = Dist { mu, phi };
        let total: f64 = (0..400).map(|k| d.ln_pmf(k).exp()).sum();
        assert!((total - 1.0).abs() < 1e-10, "{total}");
        let mean: f64 = (0..400).map(|k| k as f64 * d.ln_pmf(k).exp()).sum();
        assert!((mean - mu).abs() < 1e-9);
        assert!(tail(10, mu, phi) > tail(10, mu, 1.0) * 10.0);
        // Upper and lower summation agree at the mode.
        let c = d.mode() + 1;
        let up = tail(c, mu, phi);
        let low = 1.0 - (0..c).map(|k| d.ln_pmf(k).exp()).sum::<f64>();
        assert!((up - low).abs() < 1e-12);
    }

    #[test]
    fn critical_counts() {
        for &(mu, phi, alpha) in &[
            (0.001, 1.0, 1e-8),
            (1.0, 1.0, 1e-6),
            (30.0, 1.0, 1e-8),
            (0.5, 4.0, 1e-7),
            (1800.0, 1.0, 1e-9),
        ] {
            let c = critical(mu, phi, alpha);
            assert!(tail(c, mu, phi) <= alpha, "{mu} {phi}");
            assert!(c == 1 || tail(c - 1, mu, phi) > alpha, "{mu} {phi} {c}");
        }
        assert_eq!(critical(0.0, 1.0, 0.01), 1);
    }

    #[test]
    fn dispersion_of_poisson_and_clumps() {
        // 100 minutes, 10 single events at λ = 0.1: Σx²/μ = 10/0.1 = 100.
        assert!((dispersion(100.0, 10.0, 10.0, 100.0) - 1.0).abs() < 0.2);
        // The same 10 events in clumps of 5: Σx²/μ = 2·25/0.1 = 500.
        assert!(dispersion(500.0, 10.0, 10.0, 100.0) > 4.0);
    }
}

//! Rate maths: rounding for display, second spans and Poisson tails. The findings use it
//! (red-herring scoring, coverage, traffic); it stands apart so that an incident detector
//! working from rates can use it too.
//!
//! - `round`: to a number of decimals, never `-0.0` (every figure is rounded before it is
//!   shown, so output is identical for any thread count).
//! - `Spans`: half-open second intervals `[a, b)`, sorted and disjoint. `union` builds them
//!   from any list (empty and reversed intervals dropped); `measure`, `intersect` and
//!   `contains` read them.
//! - [`poisson_cdf`] and [`poisson_sf`]: P(X ≤ k) and P(X ≥ k) for Poisson(λ), summed in log
//!   space from the largest term down (no underflow for large λ); `ln_factorial` switches to
//!   Stirling with two correction terms from k = 64.

pub(crate) fn round(x: f64, digits: i32) -> f64 {
    let m = 10f64.powi(digits);
    let r = (x * m).round() / m;
    if r == 0.0 {
        0.0 // no "-0.0"
    } else {
        r
    }
}

/// Half-open second intervals `[a, b)`, sorted and disjoint.
pub(crate) type Spans = Vec<(i64, i64)>;

pub(crate) fn union(mut v: Spans) -> Spans {
    v.sort_unstable();
    let mut out: Spans = Vec::with_capacity(v.len());
    for (a, b) in v {
        if b <= a {
            continue;
        }
        match out.last_mut() {
            Some(l) if a <= l.1 => l.1 = l.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

pub(crate) fn measure(v: &Spans) -> i64 {
    v.iter().map(|(a, b)| b - a).sum()
}

pub(crate) fn intersect(x: &Spans, y: &Spans) -> i64 {
    let (mut i, mut j, mut total) = (0, 0, 0);
    while i < x.len() && j < y.len() {
        let a = x[i].0.max(y[j].0);
        let b = x[i].1.min(y[j].1);
        if b > a {
            total += b - a;
        }
        if x[i].1 < y[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    total
}

pub(crate) fn contains(v: &Spans, s: i64) -> bool {
    let i = v.partition_point(|&(_, b)| b <= s);
    i < v.len() && v[i].0 <= s
}

/// ln P(X = k) for Poisson(λ).
fn ln_pmf(k: u64, lambda: f64) -> f64 {
    if lambda <= 0.0 {
        return if k == 0 { 0.0 } else { f64::NEG_INFINITY };
    }
    let kf = k as f64;
    kf * lambda.ln() - lambda - ln_factorial(k)
}

fn ln_factorial(k: u64) -> f64 {
    if k < 64 {
        (1..=k).map(|i| (i as f64).ln()).sum()
    } else {
        // Stirling with two correction terms (error < 1e-10 here).
        let x = k as f64;
        x * x.ln() - x + 0.5 * (std::f64::consts::TAU * x).ln() + 1.0 / (12.0 * x)
            - 1.0 / (360.0 * x.powi(3))
    }
}

/// P(X ≤ k) for Poisson(λ), summed in log space (no underflow for large λ).
pub fn poisson_cdf(k: u64, lambda: f64) -> f64 {
    if lambda <= 0.0 {
        return 1.0;
    }
    // Sum downwards from k: the largest terms dominate; stop when they vanish.
    let top = ln_pmf(k, lambda);
    let mut acc = 0.0f64;
    let mut term = 0.0f64; // ln(pmf(i)) - top
    let mut i = k;
    loop {
        acc += term.exp();
        if i == 0 {
            break;
        }
        // pmf(i-1) = pmf(i) * i / λ
        term += (i as f64).ln() - lambda.ln();
        if term < -50.0 {
            break;
        }
        i -= 1;
    }
    (top + acc.ln()).exp().min(1.0)
}

/// P(X ≥ k) for Poisson(λ).
pub fn poisson_sf(k: u64, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    (1.0 - poisson_cdf(k - 1, lambda)).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson() {
        assert!((poisson_cdf(0, 1.0) - (-1.0f64).exp()).abs() < 1e-12);
        assert!((poisson_cdf(1, 1.0) - 2.0 * (-1.0f64).exp()).abs() < 1e-12);
        assert!((poisson_sf(1, 2.0) - (1.0 - (-2.0f64).exp())).abs() < 1e-12);
        let big = poisson_cdf(10_000, 10_000.0);
        assert!((big - 0.5).abs() < 0.01, "{big}");
    }

    #[test]
    fn spans() {
        let a = union(vec![(0, 10), (5, 20), (30, 40)]);
        assert_eq!(a, vec![(0, 20), (30, 40)]);
        assert_eq!(measure(&a), 30);
        assert_eq!(intersect(&a, &[(15, 35)].to_vec()), 10);
        assert!(contains(&a, 0) && contains(&a, 19) && !contains(&a, 20) && contains(&a, 39));
    }
}

//! Property tests of the detector on generated hit streams: a steady Poisson trickle never
//! makes an incident, an injected burst is found at its start, two bursts separated by
//! baseline time stay two. Streams are generated from a seed by a small xorshift generator
//! (proptest draws the seeds and parameters, from a fixed seed: the tests are repeatable).
//!
//! Parameters (docs/how-it-works.md repeats them):
//! - trickle: rate 0.01–10 per minute, 2–12 hours, one service;
//! - burst: baseline 0.01–5 per minute over 6 hours, a burst of 2–10 minutes at k× the
//!   baseline with k ≥ max(10, 30 / (λ·D)) — the detectability bound: at least ten times
//!   the baseline and at least 30 events (fewer are not reliably told from the Bonferroni
//!   critical count of the rarest signals, and a start needs events to be placed);
//! - found: an incident starts within ±60 s of the burst's first event.

use super::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// xorshift64*: enough randomness for Poisson streams, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Event times (seconds) of a Poisson process of `per_min` events per minute over
    /// `from..to` seconds.
    fn poisson(&mut self, per_min: f64, from: f64, to: f64, out: &mut Vec<f64>) {
        let rate = per_min / 60.0;
        let mut t = from;
        loop {
            t += -self.next().ln() / rate;
            if t >= to {
                break;
            }
            out.push(t);
        }
    }
}

/// 2024-01-01T00:00:00Z.
const T0: i64 = 1_704_067_200;

/// One service, one error signal with events at `secs` (seconds after T0), observed over
/// `0..span_secs`.
fn signals(mut secs: Vec<f64>, span_secs: f64) -> Signals {
    secs.sort_by(f64::total_cmp);
    let times: Vec<(DateTime<Utc>, usize)> = secs
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            (
                DateTime::from_timestamp_millis(T0 * 1000 + (s * 1000.0) as i64).unwrap(),
                i,
            )
        })
        .collect();
    let mut counts: Vec<(i64, u32)> = Vec::new();
    for (t, _) in &times {
        let m = t.timestamp().div_euclid(60);
        match counts.last_mut() {
            Some(l) if l.0 == m => l.1 += 1,
            _ => counts.push((m, 1)),
        }
    }
    let lo = T0 / 60;
    let hi = (T0 + span_secs as i64) / 60 - 1;
    Signals {
        services: vec![ServiceSpan {
            name: "svc".into(),
            range: Some((lo, hi)),
            minutes: hi - lo + 1,
        }],
        signals: vec![Signal {
            kind: SignalKind::Signature(0),
            service: 0,
            counts,
            times,
            requests: None,
            severity: crate::catalog::Severity::Error,
            noise: false,
            rare_role: false,
        }],
    }
}

fn detect_secs(secs: Vec<f64>, span_secs: f64) -> Detection {
    run(signals(secs, span_secs), Duration::seconds(120), false)
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(20),
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(96))]

    /// A steady Poisson trickle at any rate from 0.01 to 10 per minute, over hours, is no
    /// incident.
    #[test]
    fn a_steady_trickle_is_never_an_incident(
        seed in 1u64..u64::MAX,
        log_rate in (0.01f64).ln()..(10f64).ln(),
        hours in 2u32..12,
    ) {
        let mut rng = Rng(seed);
        let span = f64::from(hours) * 3600.0;
        let mut secs = Vec::new();
        rng.poisson(log_rate.exp(), 0.0, span, &mut secs);
        let d = detect_secs(secs, span);
        prop_assert!(d.groups.is_empty(), "rate {:.3}/min: {:?}", log_rate.exp(), d.groups.iter().map(|g| (g.start, g.end)).collect::<Vec<_>>());
    }

    /// A burst of k× the baseline (above the detectability bound) injected anywhere is found
    /// within ±60 s of its start.
    #[test]
    fn an_injected_burst_is_found_at_its_start(
        seed in 1u64..u64::MAX,
        log_rate in (0.01f64).ln()..(5f64).ln(),
        minutes in 2u32..10,
        k in 10f64..100.0,
        at in 0.05f64..0.95,
    ) {
        let mut rng = Rng(seed);
        let span = 6.0 * 3600.0;
        let lambda = log_rate.exp();
        let d_min = f64::from(minutes);
        let burst_rate = (k * lambda).max(30.0 / d_min);
        let start = (at * (span - d_min * 60.0)).floor();
        let mut secs = Vec::new();
        rng.poisson(lambda, 0.0, span, &mut secs);
        let mut burst = Vec::new();
        // The burst's first event is at `start` (its start by definition), the rest follow.
        burst.push(start);
        rng.poisson(burst_rate, start, start + d_min * 60.0, &mut burst);
        secs.extend(&burst);
        let d = detect_secs(secs, span);
        let want = DateTime::from_timestamp(T0 + start as i64, 0).unwrap();
        prop_assert!(
            d.groups.iter().any(|g| (g.start - want).num_seconds().abs() <= 60),
            "λ {lambda:.3}/min, burst {burst_rate:.1}/min for {minutes} min at {want}: {:?}",
            d.groups.iter().map(|g| (g.start, g.end)).collect::<Vec<_>>()
        );
    }

    /// Two bursts separated by baseline time (at least 10 minutes) stay two incidents.
    #[test]
    fn two_bursts_apart_stay_two(
        seed in 1u64..u64::MAX,
        log_rate in (0.01f64).ln()..(2f64).ln(),
        apart in 10u32..120,
    ) {
        let mut rng = Rng(seed);
        let span = 6.0 * 3600.0;
        let lambda = log_rate.exp();
        let burst_rate = (20.0 * lambda).max(15.0);
        let a = 2.0 * 3600.0;
        let b = a + 3.0 * 60.0 + f64::from(apart) * 60.0;
        let mut secs = Vec::new();
        rng.poisson(lambda, 0.0, span, &mut secs);
        for s in [a, b] {
            secs.push(s);
            rng.poisson(burst_rate, s, s + 180.0, &mut secs);
        }
        let d = detect_secs(secs, span);
        prop_assert_eq!(d.groups.len(), 2, "λ {:.3}, {} min apart: {:?}", lambda, apart,
            d.groups.iter().map(|g| (g.start, g.end)).collect::<Vec<_>>());
    }
}

#[test]
fn one_stray_event_is_isolated_not_an_incident() {
    let span = 6.0 * 3600.0;
    let d = detect_secs(vec![3600.0], span);
    assert!(d.groups.is_empty());
    assert_eq!(d.isolated.len(), 1);
    assert_eq!(d.windows[d.isolated[0].window].how, How::Stray);
    // Two in a minute: not significant over six hours either; both are on the timeline.
    let d = detect_secs(vec![3600.0, 3610.0], span);
    assert!(d.groups.is_empty());
    assert_eq!(d.isolated.len(), 2, "{:?}", d.windows);
}

#[test]
fn a_chronic_signal_is_chronic_and_a_burst_of_it_still_shows() {
    let mut rng = Rng(7);
    let span = 8.0 * 3600.0;
    let mut secs = Vec::new();
    rng.poisson(1.0, 0.0, span, &mut secs);
    let d = detect_secs(secs.clone(), span);
    assert_eq!(d.classes[0], Some(Class::Chronic));
    assert!(is_chronic(d.fits[0].as_ref().unwrap()));
    rng.poisson(40.0, 4.0 * 3600.0, 4.0 * 3600.0 + 180.0, &mut secs);
    let d = detect_secs(secs, span);
    assert_eq!(d.groups.len(), 1);
    assert_eq!(d.classes[0], Some(Class::Bursting));
    assert!(
        is_chronic(d.fits[0].as_ref().unwrap()),
        "its baseline stays chronic"
    );
}

#[test]
fn a_short_capture_falls_back_to_absolute_minimums() {
    // 20 minutes of logs: no baseline; three errors within the gap are an incident.
    let d = detect_secs(vec![60.0, 70.0, 80.0], 1200.0);
    assert_eq!(d.mode(), "short-capture");
    assert_eq!(d.groups.len(), 1);
    let d = detect_secs(vec![60.0, 700.0], 1200.0);
    assert!(d.groups.is_empty());
}

#[test]
fn a_rare_crash_needs_a_second_signal() {
    let span = 6.0 * 3600.0;
    let mut s = signals(vec![3600.0], span);
    s.signals[0].rare_role = true;
    s.signals[0].severity = crate::catalog::Severity::Critical;
    let d = run(s.clone(), Duration::seconds(120), false);
    assert!(d.groups.is_empty());
    assert_eq!(d.isolated.len(), 1);
    assert_eq!(d.windows[0].how, How::RareEvent);
    // With a second signal bursting 30 s later (callers refused), it is an incident.
    let other = signals((0..10).map(|i| 3630.0 + f64::from(i)).collect(), span);
    let mut sig = other.signals[0].clone();
    sig.kind = SignalKind::Signature(1);
    s.signals.push(sig);
    let d = run(s, Duration::seconds(120), false);
    assert_eq!(d.groups.len(), 1);
    assert_eq!(d.groups[0].start.timestamp(), T0 + 3600);
}

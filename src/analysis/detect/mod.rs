//! The incident detector: incidents by rate, not by proximity (issue 20).
//!
//! **Problem.** Real logs carry a steady trickle of errors. Merging every error hit less than
//! `--gap` apart turns one retry a minute into a five-hour incident, one every three minutes
//! into a hundred incidents, and one stray line into an incident that pages someone. An
//! incident is a departure of a signal from *its own* normal, and that normal has to be
//! estimated from the same logs, robustly, because nothing else is known about them.
//!
//! **Signals** (`signals.rs`). Per service and UTC minute: each catalog signature (dated
//! hits, counted by the scan before `--max-hits` drops any), each mined template (its
//! dated records) and user impact (failed requests of an access log against its requests,
//! [`ImpactMinute`]). Markers are timeline context, not signals. A signal's baseline is
//! measured over its service's observation span only: first to last record of the service's
//! files, less the log gaps of the coverage finding (a service writing in most minutes that
//! goes silent for ≥ 10 minutes was not being logged).
//!
//! **Model** (`model.rs`, `stats.rs`). A signal's count in a window of w minutes is Poisson
//! with mean λw, or — when its baseline is over-dispersed (Pearson variance/mean φ > 1:
//! retries come in clumps) — negative binomial with the same mean and variance φλw. λ is
//! robust to the outages themselves: detect, remove the flagged minutes, re-estimate, up to
//! [`ROUNDS`] rounds. An empty baseline gets [`FLOOR`] = 0.5 events per span, so one event
//! of a never-seen signal is never "infinitely" surprising.
//!
//! **Test.** Windows of [`SCALES`] = 1, 2, 3, 5, 10, 15, 30, 60 minutes start at every event
//! minute (a window's count is at most that of the window of equal length starting at its
//! first event, so no position is missed). A window is flagged when
//! 1. P(X ≥ observed | baseline) ≤ α / T, with α = [`ALPHA`] = 0.001 and T the number of
//!    tests, positions × scales × signals (Bonferroni: a run of the tool over any logs with
//!    no outage reports a false window with probability below 0.1 %; at 1 % a property
//!    test of steady trickles found one in a hundred runs, a page nobody should get); the
//!    critical count is computed once per signal and scale, so the scan costs
//!    O(events × scales) comparisons; and
//! 2. observed ≥ k × expected, k = [`EFFECT`] = 3: a huge-volume signal's 10 % wobble is
//!    significant but no incident. 3 is the multiple of the SRE workbook's lowest
//!    multi-window burn-rate alert that still fits our window lengths (3× over 2 h: the
//!    "ticket" level; the paging levels 6× and 14.4× are multiples of an SLO budget, and
//!    our baseline already holds the normal failures), and it clears the ~2× swing of
//!    diurnal traffic that errors proportional to traffic inherit.
//!
//! Flagged windows of a signal merge into runs; a run is cut at silences the baseline
//! explains better than the run's rate ((r_b − λ)·L > ln(r_b/λ): two outages an hour apart
//! joined by a 60-minute window part again), and only pieces holding a whole flagged window
//! count. In each piece the burst is the interval of largest Poisson likelihood ratio
//! x ln(x/μ) − (x − μ) (Kulldorff's scan statistic): a 60-minute window around a 2-minute
//! outage of a busy signal yields the outage, and a background event a minute before it
//! stays out (it raises μ more than x explains). Adjacent minutes that are improbable on
//! their own (P < [`model::EDGE_ALPHA`] = 0.01) join it, so a partial first minute is not
//! lost. The burst's own minutes leave the baseline for the next round. Inside the edge
//! minutes the records decide, to the second: each gap g between consecutive records
//! scores ln(r/λ) − (r − λ)g, r the edge minute's rate (the exponential inter-arrival
//! likelihood ratio; a burst ramps up, so its edge rate decides), and the edge is where the
//! running sum peaks walking outward (Page's CUSUM): a pool running dry logs nine timeouts
//! over 30 s with one gap a little longer than the dense core's before the core itself,
//! and those nine belong to the outage. When the core is far denser than such a ramp, the
//! records within a minute beyond the edge whose own count is improbable under the
//! baseline (P < `EDGE_ALPHA`, as for adjacent minutes) extend it by the same CUSUM at
//! their own rate.
//!
//! **Rare events.** A `crash` or `host-wide` signal (OOM kill, JVM crash, disk full) that
//! can open an incident has almost no background: one occurrence is a *rare event* when its
//! own background without it (leave-one-out) puts P(≥ that many within ±gap) below
//! [`RARE_ALPHA`] = 0.01 (per event: a rare event alone is never an incident).
//!
//! **Incidents.** Windows of different signals merge while less than `--gap` apart; a
//! window is one signal's burst, so a chronic trickle can neither weld hours together nor
//! split into many incidents. A group is an incident when it holds a window of an opening
//! (critical/error, not noise) signal and **minimum evidence**: [`MIN_RECORDS`] = 3
//! anomalous records outside rare-event windows (the fewest the test can call significant
//! for a never-seen signal in the shortest span we model: at λ = 0.5/60 per minute, two in
//! a minute have P ≈ 3·10⁻⁵, three P ≈ 10⁻⁷), or anomalous user impact, or a rare event
//! corroborated by a second anomalous signal or service. Anything less is *isolated*
//! ([`Isolated`]: on the timeline, not an incident, no exit 1), and so is each record of an
//! error seen fewer than three times in the whole capture (a stray line). An incident
//! starts at its first burst record (user impact only when nothing else burst: an access log
//! stamps a request when it completes) and ends when every contributing signal is back at
//! its baseline.
//!
//! **Inside an incident** other signals count only when elevated there: their count over
//! the incident's minutes, from `--gap` before it, against a baseline outside every
//! incident (not built from the window's own hits), at [`JOIN_ALPHA`] = 0.01 over the
//! candidates and k × expected ([`Joined`], shown as ×lift). A failure elevated just before
//! the incident starts it: a cause precedes its symptoms.
//! The catalog's `noise` flag is a prior: a noise signature needs [`NOISE_EFFECT`] = 2k and
//! is never a root cause. The root cause is chosen among these anomalous signals only
//! (`incidents/`).
//!
//! **Classes.** Every signal is *bursting* (it has a window), *chronic* (present in more
//! than [`CHRONIC_SHARE`] of its observed hours outside its windows and the incidents, over
//! at least [`CHRONIC_MIN_HOURS`] hours: a steady background worth one line) or *sporadic*.
//!
//! **Short captures.** A service observed for under [`SHORT_MINUTES`] = 60 minutes (its
//! span less its log gaps; the longest window: a shorter baseline cannot tell a burst from
//! the rate) has no baseline:
//! its error records chain by `--gap` and count as anomalous, minimum evidence still
//! applies, and the report says so (`detector.mode`). There an unknown-error template
//! joins an incident but does not open one: without a rate to compare with, three
//! `duplicate key` errors are not an outage (issue 21's innocent lines, in a four-minute
//! precision corpus).
//!
//! Cost: O(signals × (events × scales × rounds)) after the scan, plus a sort of each
//! signal's events; the scan only counts per hit.

mod assemble;
mod model;
mod signals;
mod stats;

#[cfg(test)]
mod tests;

pub use model::{fit, Fit, Flag, Params, Series};
pub use signals::{
    impact_minutes, is_access_log, is_impact, signal_severity, ImpactMinute, ServiceSpan, Signal,
    SignalKind, Signals,
};
pub use stats::{critical, tail};

use crate::catalog::Catalog;
use crate::scan::ScanOutput;
use chrono::{DateTime, Duration, Utc};
use rayon::prelude::*;

/// Family-wise error level of the whole run (Bonferroni over every test).
pub const ALPHA: f64 = 0.001;
/// Level of the rare-event test (one crash/host-wide event against its leave-one-out
/// background). Per event, not corrected for positions: a rare event never makes an
/// incident alone, it needs a second anomalous signal or service.
pub const RARE_ALPHA: f64 = 0.01;
/// Level for a signal joining an established incident (Bonferroni over that incident's
/// candidates): a new, small family of tests, at the level of the red-herring score.
pub const JOIN_ALPHA: f64 = 0.01;
/// Effect size: a flagged window holds at least this many times its expected count.
pub const EFFECT: f64 = 3.0;
/// Effect size for signatures the catalog flags as noise (a prior, twice [`EFFECT`]).
pub const NOISE_EFFECT: f64 = 2.0 * EFFECT;
/// Window lengths in minutes.
pub const SCALES: [i64; 8] = [1, 2, 3, 5, 10, 15, 30, 60];
/// Events an empty baseline is given over its span.
pub const FLOOR: f64 = 0.5;
/// Baseline rounds: detect, remove flagged minutes, re-estimate.
pub const ROUNDS: usize = 3;
/// Anomalous records an incident needs (unless user impact or a corroborated rare event).
pub const MIN_RECORDS: u64 = 3;
/// A service observed for fewer minutes has no baseline (short capture).
pub const SHORT_MINUTES: i64 = 60;
/// Chronic: present in more than this share of its span's hours.
pub const CHRONIC_SHARE: f64 = 0.5;
/// Chronic: over at least this many hours.
pub const CHRONIC_MIN_HOURS: usize = 2;

/// How a window was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum How {
    /// The multi-scale test against the signal's baseline.
    Burst,
    /// One occurrence of a rare crash/host-wide event.
    RareEvent,
    /// A short capture's records (no baseline).
    ShortCapture,
    /// One or two records of an error seen that often in the whole capture: not anomalous
    /// (one event is never significant), listed as isolated so it is on the timeline.
    Stray,
}

impl How {
    /// Lowercase name (JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            How::Burst => "burst",
            How::RareEvent => "rare-event",
            How::ShortCapture => "short-capture",
            How::Stray => "stray",
        }
    }
}

/// One signal's anomalous window.
#[derive(Clone, Debug)]
pub struct Window {
    /// Index into [`Signals::signals`].
    pub signal: usize,
    /// First record of the burst.
    pub start: DateTime<Utc>,
    /// Last record of the burst.
    pub end: DateTime<Utc>,
    /// First minute of the run.
    pub first_minute: i64,
    /// Last minute of the run.
    pub last_minute: i64,
    /// Events in the run's minutes (counted, stored or not).
    pub observed: u64,
    /// Events its baseline expects there (`None`: short capture).
    pub expected: Option<f64>,
    /// Tail probability of the test that found it.
    pub p: Option<f64>,
    /// How it was found.
    pub how: How,
    /// Its records between `start` and `end` (hit indices; template point indices for
    /// templates).
    pub members: Vec<usize>,
}

/// A signal elevated inside an incident it did not open.
#[derive(Clone, Debug)]
pub struct Joined {
    /// Index into [`Signals::signals`].
    pub signal: usize,
    /// Events in the incident's minutes.
    pub observed: u64,
    /// Expected at its baseline outside every incident (`None`: short capture).
    pub expected: Option<f64>,
    /// Tail probability.
    pub p: Option<f64>,
    /// Its records inside the incident (from `gap` before its start).
    pub members: Vec<usize>,
    /// Its first record there.
    pub first: Option<DateTime<Utc>>,
}

/// An incident: windows merged within the gap that passed minimum evidence.
#[derive(Clone, Debug)]
pub struct Group {
    /// First burst record.
    pub start: DateTime<Utc>,
    /// Last burst record.
    pub end: DateTime<Utc>,
    /// Its windows (indices into [`Detection::windows`]), by start.
    pub windows: Vec<usize>,
    /// Signals elevated inside it.
    pub joined: Vec<Joined>,
}

/// An anomalous window that is not an incident.
#[derive(Clone, Debug)]
pub struct Isolated {
    /// Index into [`Detection::windows`].
    pub window: usize,
    /// Why it is not an incident.
    pub reason: String,
}

/// A signal's class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Has an anomalous window.
    Bursting,
    /// Present in most hours at its rate.
    Chronic,
    /// Neither.
    Sporadic,
}

/// What the detector found.
#[derive(Clone, Debug, Default)]
pub struct Detection {
    /// The signals and the services' spans.
    pub signals: Signals,
    /// Each signal's fit (`None`: short capture, or no span).
    pub fits: Vec<Option<Fit>>,
    /// Each signal's class.
    pub classes: Vec<Option<Class>>,
    /// Every anomalous window.
    pub windows: Vec<Window>,
    /// Incidents, in time order.
    pub groups: Vec<Group>,
    /// Anomalous windows that are not incidents, in time order.
    pub isolated: Vec<Isolated>,
    /// Tests counted for the Bonferroni correction.
    pub tests: u64,
    /// Services without a baseline (short capture), in name order.
    pub short_services: Vec<String>,
    /// `--debug` lines: baselines, flagged windows, merges, isolated events.
    pub debug: Vec<String>,
}

impl Detection {
    /// `baseline`, `short-capture` (no service had a baseline) or `mixed`.
    pub fn mode(&self) -> &'static str {
        let with_span = self
            .signals
            .services
            .iter()
            .filter(|s| s.range.is_some())
            .count();
        if self.short_services.is_empty() {
            "baseline"
        } else if self.short_services.len() >= with_span {
            "short-capture"
        } else {
            "mixed"
        }
    }

    /// α per test.
    pub fn alpha_test(&self) -> f64 {
        ALPHA / (self.tests.max(1) as f64)
    }
}

/// Runs the detector over a scan. `templates` are the mined templates of the unknown
/// records (their per-minute counts and record times), `template_opens` whether a template
/// is error-level; `debug` keeps explanations.
pub fn detect(
    scan: &ScanOutput,
    cat: &Catalog,
    templates: &super::templates::Analysis,
    template_opens: &dyn Fn(u32) -> bool,
    gap: Duration,
    debug: bool,
) -> Detection {
    // The user-impact input (one seam: parsed access-log traffic replaces it).
    let impact = signals::impact_minutes(scan, cat);
    let signals = signals::build(scan, cat, templates, template_opens, &impact);
    run(signals, gap, debug)
}

/// The detector over built signals (the property tests enter here).
pub fn run(signals: Signals, gap: Duration, debug: bool) -> Detection {
    let svc = &signals.services;
    // Short: observed for under SHORT_MINUTES, its log gaps left out (a log that wrote two
    // minutes, fell silent for an hour and wrote one more minute has three minutes of
    // baseline, not ninety: its rate there would hide any burst).
    let short = |s: &Signal| match svc[s.service].range {
        Some((lo, hi)) => (hi - lo + 1).min(svc[s.service].minutes) < SHORT_MINUTES,
        None => true,
    };
    let tests: u64 = signals
        .signals
        .iter()
        .filter(|s| !short(s))
        .map(|s| {
            let (lo, hi) = svc[s.service].range.unwrap_or((0, 0));
            SCALES
                .iter()
                .map(|w| (hi - lo + 2 - w).max(0) as u64)
                .sum::<u64>()
        })
        .sum();
    let params = Params {
        alpha_test: ALPHA / tests.max(1) as f64,
        effect: EFFECT,
        scales: SCALES.to_vec(),
        floor: FLOOR,
        rounds: ROUNDS,
    };
    let mut fits: Vec<Option<Fit>> = signals
        .signals
        .par_iter()
        .map(|s| {
            if short(s) {
                return None;
            }
            let (lo, hi) = svc[s.service].range?;
            let series = Series {
                events: s.counts.clone(),
                lo,
                hi,
                minutes: svc[s.service].minutes as f64,
                weights: s.requests.clone(),
            };
            Some(fit(&series, &params))
        })
        .collect();
    let mut windows: Vec<Window> = Vec::new();
    for (i, s) in signals.signals.iter().enumerate() {
        match &fits[i] {
            Some(f) => assemble::fitted_windows(i, s, f, gap, &mut windows),
            None => assemble::short_windows(i, s, gap, &mut windows),
        }
    }
    let mut det = Detection {
        tests,
        short_services: {
            let mut v: Vec<String> = signals
                .signals
                .iter()
                .filter(|s| short(s))
                .map(|s| svc[s.service].name.clone())
                .collect();
            v.sort();
            v.dedup();
            v
        },
        ..Default::default()
    };
    let mut groups: Vec<Group> = Vec::new();
    for g in assemble::merge(&windows, gap) {
        match assemble::evidence(&g, &windows, &signals) {
            Ok(()) => groups.push(Group {
                start: group_start(&g, &windows, &signals),
                end: g.iter().map(|&i| windows[i].end).max().expect("window"),
                windows: g,
                joined: Vec::new(),
            }),
            Err(why) => {
                if debug {
                    det.debug.push(format!(
                        "not an incident at {}: {why}",
                        crate::time::rfc3339(windows[g[0]].start)
                    ));
                }
                assemble::isolate(&g, &windows, &signals, &why, &mut det.isolated)
            }
        }
    }
    for gi in 0..groups.len() {
        let j = assemble::joiners(&groups, gi, &signals, &fits, &windows, gap);
        groups[gi].joined = j;
    }
    // A failure elevated just before an incident (tested, critical/error) starts it.
    for g in &mut groups {
        for j in &g.joined {
            if j.expected.is_some()
                && signals.signals[j.signal].opens()
                && !signals.signals[j.signal].noise
            {
                if let Some(t) = j.first.filter(|&t| t < g.start) {
                    if debug {
                        det.debug.push(format!(
                            "incident at {}: starts at {} with an elevated failure just before it",
                            crate::time::rfc3339(g.start),
                            crate::time::rfc3339(t)
                        ));
                    }
                    g.start = t;
                }
            }
        }
    }
    // Stray errors: a signal seen fewer than MIN_RECORDS times in the whole capture, never
    // above its baseline, outside every incident: on the timeline as isolated events.
    for (i, s) in signals.signals.iter().enumerate() {
        if !s.opens() || s.noise || fits[i].is_none() || windows.iter().any(|w| w.signal == i) {
            continue;
        }
        let n = s.total();
        if n == 0 || n >= MIN_RECORDS {
            continue;
        }
        for &(t, rec) in &s.times {
            if groups
                .iter()
                .any(|g| t >= g.start - gap && t <= g.end + gap)
            {
                continue;
            }
            windows.push(Window {
                signal: i,
                start: t,
                end: t,
                first_minute: t.timestamp().div_euclid(60),
                last_minute: t.timestamp().div_euclid(60),
                observed: 1,
                expected: None,
                p: None,
                how: How::Stray,
                members: vec![rec],
            });
            det.isolated.push(Isolated {
                window: windows.len() - 1,
                reason: format!("seen {n} time(s) in the whole capture, never above its baseline"),
            });
        }
    }
    det.isolated
        .sort_by_key(|x| (windows[x.window].start, windows[x.window].signal));
    // Classes: hours with an event outside the signal's own windows and outside every
    // incident (a signal elevated in hourly outages is not chronic for it).
    let incident_minutes: Vec<(i64, i64)> = groups
        .iter()
        .map(|g| {
            (
                g.start.timestamp().div_euclid(60),
                g.end.timestamp().div_euclid(60),
            )
        })
        .collect();
    det.classes = signals
        .signals
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let f = fits[i].as_mut()?;
            let (lo, hi) = svc[s.service].range?;
            // Hours of observation (holes in the log are no hours of it).
            let hours = ((svc[s.service].minutes + 59) / 60).clamp(1, (hi - lo) / 60 + 1) as usize;
            let mut present = std::collections::BTreeSet::new();
            for &(m, _) in &s.counts {
                let own = f.flags.iter().any(|x| x.removed.0 <= m && m <= x.removed.1);
                let inc = incident_minutes.iter().any(|&(a, b)| a <= m && m <= b);
                if !own && !inc {
                    present.insert((m - lo) / 60);
                }
            }
            f.hours_present = (present.len(), hours);
            Some(
                if windows.iter().any(|w| w.signal == i && w.how != How::Stray) {
                    Class::Bursting
                } else if is_chronic(f) {
                    Class::Chronic
                } else {
                    Class::Sporadic
                },
            )
        })
        .collect();
    det.signals = signals;
    det.fits = fits;
    det.windows = windows;
    det.groups = groups;
    det
}

/// An incident's start: its first burst record, user impact only when nothing else burst.
/// An access log writes a request when it completes, to the second: a 504 is stamped after
/// the upstream timeout, and a background 5xx in the same minute is indistinguishable from
/// the first failed request, so the failing services' own records say when it began.
fn group_start(g: &[usize], windows: &[Window], signals: &Signals) -> DateTime<Utc> {
    let causal = g
        .iter()
        .filter(|&&i| !signals.signals[windows[i].signal].kind.is_user_impact())
        .map(|&i| windows[i].start)
        .min();
    causal.unwrap_or_else(|| g.iter().map(|&i| windows[i].start).min().expect("window"))
}

/// Is the signal's baseline chronic (present in more than [`CHRONIC_SHARE`] of at least
/// [`CHRONIC_MIN_HOURS`] hours outside its windows), whether or not it also burst?
pub fn is_chronic(fit: &Fit) -> bool {
    let (present, hours) = fit.hours_present;
    hours >= CHRONIC_MIN_HOURS && present as f64 > CHRONIC_SHARE * hours as f64
}

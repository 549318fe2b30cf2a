//! The detector's incidents as [`Clusters`]: each incident group of `analysis::detect`
//! becomes an [`Incident`] described by `root_cause.rs` from the hits of its anomalous
//! signals only (the windows that opened it and the signals elevated inside it), so the
//! root cause is chosen among signals anomalous in this window; a group whose anomalous
//! signals are all unknown templates becomes a template incident. Markers go on the
//! timeline (a run of the same marker in one service within the gap is one marker),
//! undated hits are counted, noise outside every incident is background.
//!
//! Input: the [`Detection`], the sorted hits, the catalog, the gap, the service of each file
//! and the template analysis with the unknown records' summary. Output: the [`Clusters`], with each
//! template window inside an incident kept as a [`Burst`] (`templates[].bursts`,
//! "also new in this window").

use super::root_cause::Describe;
use super::{Clusters, Incident, Opened, RootKind, Why};
use crate::analysis::detect::{Detection, How, SignalKind};
use crate::analysis::templates::{Analysis, Burst};
use crate::catalog::{Catalog, Severity};
use crate::scan::{Hit, Unknown};
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

/// What [`from_detection`] reads besides the detection.
pub struct Inputs<'a> {
    /// Hits, sorted.
    pub hits: &'a [Hit],
    /// The catalog.
    pub catalog: &'a Catalog,
    /// `--gap`.
    pub gap: Duration,
    /// Service of a file.
    pub service_of: &'a dyn Fn(u32) -> String,
    /// The unknown records' summary (the evidence of template windows, whose members index
    /// the template analysis's points).
    pub unknown: &'a Unknown,
}

/// Builds the clusters from the detector's groups.
pub fn from_detection(det: &Detection, mut analysis: Analysis, inp: &Inputs) -> Clusters {
    let mut out = Clusters::default();
    markers_and_undated(inp, &mut out);
    let sigs = &det.signals.signals;
    for (n, g) in det.groups.iter().enumerate() {
        let mut members: Vec<usize> = Vec::new();
        let mut bursts: Vec<usize> = Vec::new();
        let mut why: Vec<Why> = Vec::new();
        let mut opened: Vec<Opened> = Vec::new();
        for &wi in &g.windows {
            let w = &det.windows[wi];
            let s = &sigs[w.signal];
            match s.kind {
                SignalKind::Template(t) => bursts.push(template_burst(
                    &mut analysis,
                    inp,
                    t,
                    (w.start, w.end),
                    &w.members,
                    s.total(),
                )),
                _ => members.extend(&w.members),
            }
            opened.push(Opened {
                signature: signature_of(s.kind, &w.members, inp.hits),
                start: w.start,
                end: w.end,
            });
            why.push(Why {
                signal: w.signal,
                how: w.how.as_str(),
                observed: w.observed,
                expected: w.expected,
                p: w.p,
                start: Some(w.start),
            });
        }
        for j in &g.joined {
            let s = &sigs[j.signal];
            match s.kind {
                SignalKind::Template(t) if !j.members.is_empty() => {
                    let (a, b) = span_of(&j.members, |r| analysis.points.get(r).map(|p| p.time));
                    bursts.push(template_burst(
                        &mut analysis,
                        inp,
                        t,
                        (a, b),
                        &j.members,
                        s.total(),
                    ));
                }
                SignalKind::Template(_) => {}
                _ => members.extend(&j.members),
            }
            why.push(Why {
                signal: j.signal,
                how: if j.expected.is_some() {
                    "elevated"
                } else {
                    How::ShortCapture.as_str()
                },
                observed: j.observed,
                expected: j.expected,
                p: j.p,
                start: None,
            });
        }
        members.sort_unstable();
        members.dedup();
        let has_signature = members.iter().any(|&i| {
            let s = &inp.catalog.signatures[inp.hits[i].sig as usize];
            !s.noise && s.severity != Severity::Marker
        });
        let slow = g
            .windows
            .iter()
            .any(|&wi| sigs[det.windows[wi].signal].kind == SignalKind::Slow);
        let mut inc = if !has_signature && bursts.is_empty() && slow && members.is_empty() {
            // Only slowness: no failure names a cause (issue 19).
            let mut inc = hitless_incident(n + 1, g, det, inp);
            inc.kind = RootKind::Slowness;
            inc.severity = Severity::Error;
            inc
        } else if !has_signature && bursts.is_empty() {
            // Every hit of its windows was dropped by `--max-hits`: the rates still opened
            // it (they are counted before the bound), the evidence is gone.
            hitless_incident(n + 1, g, det, inp)
        } else if has_signature {
            let describe = Describe {
                hits: inp.hits,
                catalog: inp.catalog,
                gap: inp.gap,
                service_of: inp.service_of,
                markers: &out.markers,
            };
            describe.incident(n + 1, g.start, g.end, members)
        } else {
            template_incident(n + 1, g.start, g.end, &bursts, &analysis, inp)
        };
        if has_signature {
            bursts.sort_by_key(|&b| (analysis.bursts[b].start, analysis.bursts[b].template));
            inc.bursts = bursts;
        }
        inc.why = why;
        inc.opened = opened;
        out.incidents.push(inc);
    }
    // Noise outside every incident: background.
    for h in inp.hits {
        let (Some(t), s) = (h.time, &inp.catalog.signatures[h.sig as usize]) else {
            continue;
        };
        if s.noise && !out.incidents.iter().any(|i| t >= i.start && t <= i.end) {
            *out.background.entry(h.sig).or_default() += 1;
        }
    }
    // Bursts were pushed incident by incident, in time order; incidents index them.
    out.templates = analysis;
    out
}

/// An incident whose windows' hits were all dropped by `--max-hits`: named from its
/// signals (lowest layer first), without evidence lines.
fn hitless_incident(
    id: usize,
    g: &crate::analysis::detect::Group,
    det: &Detection,
    inp: &Inputs,
) -> Incident {
    let mut counts: BTreeMap<u16, u64> = BTreeMap::new();
    let mut services: Vec<String> = Vec::new();
    for &wi in &g.windows {
        let w = &det.windows[wi];
        let s = &det.signals.signals[w.signal];
        if let SignalKind::Signature(x) = s.kind {
            *counts.entry(x).or_default() += w.observed;
        }
        let svc = det.signals.services[s.service].name.clone();
        if !services.contains(&svc) {
            services.push(svc);
        }
    }
    let mut chain: Vec<u16> = counts.keys().copied().collect();
    chain.sort_by_key(|&c| (inp.catalog.signatures[c as usize].rank(), c));
    let root = chain.first().copied().unwrap_or(0);
    Incident {
        id,
        start: g.start,
        end: g.end,
        severity: chain
            .iter()
            .map(|&c| inp.catalog.signatures[c as usize].severity)
            .min()
            .unwrap_or(Severity::Error),
        root,
        chain,
        counts,
        first_seen: (services.first().cloned().unwrap_or_default(), g.start),
        services,
        evidence: Vec::new(),
        hits: Vec::new(),
        restart: None,
        kind: RootKind::Signature,
        bursts: Vec::new(),
        why: Vec::new(),
        opened: Vec::new(),
    }
}

/// The signature a window stands for (impact: the user-impact signature of its hits).
fn signature_of(kind: SignalKind, members: &[usize], hits: &[Hit]) -> Option<u16> {
    match kind {
        SignalKind::Signature(s) => Some(s),
        SignalKind::Impact => members.first().map(|&i| hits[i].sig),
        SignalKind::Template(_) | SignalKind::Slow => None,
    }
}

/// First and last time of some records.
fn span_of(
    members: &[usize],
    time: impl Fn(usize) -> Option<DateTime<Utc>>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let ts: Vec<DateTime<Utc>> = members.iter().filter_map(|&i| time(i)).collect();
    (
        ts.iter().min().copied().unwrap_or_default(),
        ts.iter().max().copied().unwrap_or_default(),
    )
}

/// Keeps template `t`'s window `start..=end` (its records `recs`, point indices; `total`
/// the template's records) as a [`Burst`] of `analysis`; returns its index.
fn template_burst(
    analysis: &mut Analysis,
    inp: &Inputs,
    t: u32,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    recs: &[usize],
    total: u64,
) -> usize {
    let mut files: Vec<u32> = recs
        .iter()
        .filter_map(|&r| analysis.points.get(r).map(|p| p.file))
        .collect();
    files.sort_unstable();
    files.dedup();
    let firsts =
        crate::analysis::templates::window_firsts(inp.unknown, analysis, t, start, end, &files);
    let mut records = recs.to_vec();
    records.sort_unstable();
    analysis.bursts.push(Burst {
        template: t as usize,
        start,
        end,
        count: recs.len() as u64,
        records,
        background: total.saturating_sub(recs.len() as u64),
        firsts,
    });
    analysis.bursts.len() - 1
}

/// An incident whose anomalous signals are all unknown templates: rooted at the earliest
/// template window (ties: the larger).
fn template_incident(
    id: usize,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    bursts: &[usize],
    analysis: &Analysis,
    inp: &Inputs,
) -> Incident {
    let mut g = bursts.to_vec();
    g.sort_by_key(|&b| {
        let x = &analysis.bursts[b];
        (x.start, std::cmp::Reverse(x.count), x.template)
    });
    let mut services: Vec<(DateTime<Utc>, String)> = Vec::new();
    for &b in &g {
        for &r in &analysis.bursts[b].records {
            let Some(p) = analysis.points.get(r) else {
                continue;
            };
            let (svc, t) = ((inp.service_of)(p.file), p.time);
            match services.iter_mut().find(|(_, s)| *s == svc) {
                Some((first, _)) => *first = (*first).min(t),
                None => services.push((t, svc)),
            }
        }
    }
    services.sort();
    let first = g
        .first()
        .and_then(|&b| analysis.bursts[b].records.first())
        .and_then(|&r| analysis.points.get(r));
    Incident {
        id,
        start,
        end,
        severity: Severity::Error,
        root: 0,
        chain: Vec::new(),
        counts: BTreeMap::new(),
        services: services.into_iter().map(|(_, s)| s).collect(),
        first_seen: first.map_or((String::new(), start), |p| {
            ((inp.service_of)(p.file), p.time)
        }),
        evidence: Vec::new(),
        hits: Vec::new(),
        restart: None,
        kind: RootKind::Template,
        bursts: g,
        why: Vec::new(),
        opened: Vec::new(),
    }
}

/// Markers (a run of one marker signature in one service within the gap is one marker with
/// a count) and undated hits.
fn markers_and_undated(inp: &Inputs, out: &mut Clusters) {
    for (i, h) in inp.hits.iter().enumerate() {
        let Some(t) = h.time else {
            out.undated.push(i);
            continue;
        };
        let s = &inp.catalog.signatures[h.sig as usize];
        if s.severity != Severity::Marker || s.noise {
            continue;
        }
        let svc = (inp.service_of)(h.file);
        let repeat = out.markers.iter_mut().rev().find(|(j, _)| {
            let m = &inp.hits[*j];
            m.sig == h.sig && (inp.service_of)(m.file) == svc
        });
        match repeat {
            Some((j, n)) if t - inp.hits[*j].time.expect("dated") < inp.gap => *n += 1,
            _ => out.markers.push((i, 1)),
        }
    }
}

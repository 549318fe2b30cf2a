//! Root cause: describes one incident window, whichever detector opened it.
//!
//! Input: the window (start, end, the hits attached to it), the sorted hits, the catalog,
//! the gap, the service of each file and the timeline's markers. Output: the [`Incident`]:
//! its severity, services, counts, causal chain, root cause, where the root was first
//! seen, evidence lines and the restart that explains it, if any.
//!
//! Rules (signatures.md §11): the root is the lowest causal layer among the non-noise hits
//! (0 host/kernel ... 8 user-facing 5xx), ties to the signature seen first; the chain lists
//! every signature seen, root first (noise and markers are shown in counts, not in the
//! chain). Evidence: up to three hits, the root signature's first hit in each service (at
//! most two), then the first hit of each next signature of the chain. A restart marker in
//! the window or within `gap` before it explains a root at the transport layer or above
//! ([`RESTART_EXPLAINS_FROM_LAYER`]): refusals while a callee restarts are expected churn.

use super::{is_restart_marker, Incident, RootKind};
use crate::catalog::{Catalog, Severity};
use crate::scan::Hit;
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// Causal layer at and above which a restart in the window explains the failures
/// (3 = peer transport: connection refused/reset, timeouts).
const RESTART_EXPLAINS_FROM_LAYER: u8 = 3;

/// What a window is described against: the sorted hits, the catalog, the gap (how long
/// before a window a restart still explains it), the service of each file, and the
/// timeline's markers (index of the first hit, repeats).
pub(super) struct Describe<'a> {
    pub hits: &'a [Hit],
    pub catalog: &'a Catalog,
    pub gap: Duration,
    pub service_of: &'a dyn Fn(u32) -> String,
    pub markers: &'a [(usize, u64)],
}

impl Describe<'_> {
    /// Incident `id` over `start..=end` with the hits `members` attached to it.
    pub fn incident(
        &self,
        id: usize,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        mut members: Vec<usize>,
    ) -> Incident {
        let Describe {
            hits,
            catalog,
            gap,
            service_of,
            markers,
        } = *self;
        let sig = |h: &Hit| &catalog.signatures[h.sig as usize];
        members.sort_unstable();
        let mut counts: BTreeMap<u16, u64> = BTreeMap::new();
        let mut first_at: BTreeMap<u16, (DateTime<Utc>, usize)> = BTreeMap::new();
        let mut services: Vec<(DateTime<Utc>, String)> = Vec::new();
        let mut seen_services = BTreeSet::new();
        let mut severity = Severity::Warning;
        for &i in &members {
            let h = &hits[i];
            let t = h.time.expect("dated");
            *counts.entry(h.sig).or_default() += 1;
            first_at.entry(h.sig).or_insert((t, i));
            let s = sig(h);
            if h.severity(catalog).opens_incident() && !s.noise {
                severity = severity.min(h.severity(catalog));
            }
            let svc = service_of(h.file);
            if seen_services.insert(svc.clone()) {
                services.push((t, svc));
            }
        }
        services.sort();
        let rank = |id: u16| {
            let s = &catalog.signatures[id as usize];
            (
                s.noise,
                s.severity == Severity::Marker,
                s.rank(),
                first_at[&id].0,
                id,
            )
        };
        let mut chain: Vec<u16> = counts.keys().copied().collect();
        chain.sort_by_key(|&id| rank(id));
        let root = chain[0];
        // Noise and markers are shown in counts, not in the causal chain.
        chain.retain(|&id| {
            let s = &catalog.signatures[id as usize];
            !s.noise && s.severity != Severity::Marker
        });
        let (root_time, root_hit) = first_at[&root];
        let evidence = pick_evidence(hits, &members, &chain, service_of);
        let restart = if catalog.signatures[root as usize].rank() >= RESTART_EXPLAINS_FROM_LAYER {
            markers
                .iter()
                .map(|&(i, _)| i)
                .filter(|&i| {
                    let t = hits[i].time.expect("dated");
                    t >= start - gap && t <= end && is_restart_marker(sig(&hits[i]))
                })
                .min_by_key(|&i| hits[i].time)
        } else {
            None
        };
        Incident {
            id,
            start,
            end,
            severity,
            root,
            chain,
            counts,
            services: services.into_iter().map(|(_, s)| s).collect(),
            first_seen: (service_of(hits[root_hit].file), root_time),
            evidence,
            hits: members,
            restart,
            kind: RootKind::Signature,
            bursts: Vec::new(),
        }
    }
}

/// Up to three evidence hits: the root signature's first hit in each service (at most two),
/// then the first hit of each next signature of the chain.
fn pick_evidence(
    hits: &[Hit],
    members: &[usize],
    chain: &[u16],
    service_of: &dyn Fn(u32) -> String,
) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    let mut services = BTreeSet::new();
    if let Some(&root) = chain.first() {
        for &i in members {
            if hits[i].sig == root && services.insert(service_of(hits[i].file)) {
                out.push(i);
                if out.len() == 2 {
                    break;
                }
            }
        }
    }
    for &sig in chain.iter().skip(1) {
        if out.len() >= 3 {
            break;
        }
        if let Some(&i) = members.iter().find(|&&i| hits[i].sig == sig) {
            out.push(i);
        }
    }
    out.truncate(3);
    out
}

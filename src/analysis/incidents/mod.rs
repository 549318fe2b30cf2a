//! Clustering and root cause: hits from all files become incidents, and each incident gets
//! the signature deepest in its causal chain as its root cause.
//!
//! Input: sorted hits (from `scan`), the catalog and the gap. Output: [`Incident`]s and the
//! marker hits for the timeline.
//!
//! Rules (issue 3 and signatures.md §11):
//! - Only critical and error hits open incidents; they merge across *all* files and services
//!   while consecutive hits are less than `gap` apart.
//! - Warnings inside an incident, or within `gap` of its edges ("touching"), attach to it;
//!   warnings alone never make an incident. Markers (restarts, `Started X in ...`) go on the
//!   timeline and never open an incident.
//! - Noise signatures (steady background such as nginx `CreateFile()` 404s, the founding
//!   case's red herring) never open an incident and are never a root cause.
//! - Root cause: the lowest causal layer among the incident's non-noise hits (0 host/kernel
//!   ... 8 user-facing 5xx); ties go to the signature seen first. The chain lists every
//!   signature seen, root first. Evidence: up to three lines, the root signature's first
//!   hits (one per service where possible) and then the next layers.
//! - Undated hits cannot be placed in time: they are counted, never dropped silently.

use crate::catalog::{Catalog, Severity};
use crate::scan::Hit;
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// One incident.
#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    /// 1-based id in time order.
    pub id: usize,
    /// First critical/error hit.
    pub start: DateTime<Utc>,
    /// Last critical/error hit.
    pub end: DateTime<Utc>,
    /// Most severe signature severity among its opening hits.
    pub severity: Severity,
    /// Root cause signature (catalog index).
    pub root: u16,
    /// Signatures seen, root first, by layer then first appearance.
    pub chain: Vec<u16>,
    /// Hit count per signature (records, not lines).
    pub counts: BTreeMap<u16, u64>,
    /// Services with hits, in order of first hit.
    pub services: Vec<String>,
    /// (service, time) where the root signature was first seen.
    pub first_seen: (String, DateTime<Utc>),
    /// Indices into the hit list: evidence lines.
    pub evidence: Vec<usize>,
    /// Indices of every hit attached to the incident.
    pub hits: Vec<usize>,
    /// A restart marker (index of its first hit) in or just before the window that explains a
    /// root cause at the transport layer or above: refusals while a callee restarts are
    /// expected churn, and the question becomes what restarted it (signatures.md §11).
    pub restart: Option<usize>,
    /// How the root cause was found: a catalog signature, or the burst of an unknown
    /// error template (then `root`, `chain`, `counts`, `evidence` and `hits` are empty or
    /// unused and `bursts[0]` is the root).
    pub kind: RootKind,
    /// Bursts of unknown templates in this incident (indices into
    /// `Clusters::templates.bursts`), by start time: "also new in this window".
    pub bursts: Vec<usize>,
}

/// What an incident's root cause is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootKind {
    /// A catalog signature.
    Signature,
    /// An unknown error template that burst (src/templates.rs).
    Template,
}

/// Causal layer at and above which a restart in the window explains the failures
/// (3 = peer transport: connection refused/reset, timeouts).
const RESTART_EXPLAINS_FROM_LAYER: u8 = 3;

fn is_restart_marker(sig: &crate::catalog::Signature) -> bool {
    sig.category == "lifecycle" && sig.severity == Severity::Marker
}

/// The first and last minute (Unix minutes) an incident touches.
pub(crate) fn minute_range(i: &Incident) -> (i64, i64) {
    (
        i.start.timestamp().div_euclid(60),
        i.end.timestamp().div_euclid(60),
    )
}

/// Output of clustering.
#[derive(Clone, Debug, Default)]
pub struct Clusters {
    /// Incidents in time order.
    pub incidents: Vec<Incident>,
    /// Marker hits (index of the first, and how many repeats of the same signature in the
    /// same service followed within the gap), time order. A shutdown logs a dozen
    /// `[extShutdownHook]` lines: the timeline shows one marker.
    pub markers: Vec<(usize, u64)>,
    /// Undated hits (indices).
    pub undated: Vec<usize>,
    /// Noise hits per signature outside any incident (background rate).
    pub background: BTreeMap<u16, u64>,
    /// Unknown error templates and their bursts (see [`merge_templates`]).
    pub templates: crate::analysis::templates::Analysis,
}

/// Clusters hits. `service_of(file)` names the service of a hit's file.
pub fn cluster(
    hits: &[Hit],
    catalog: &Catalog,
    gap: Duration,
    service_of: &dyn Fn(u32) -> String,
) -> Clusters {
    let sig = |h: &Hit| &catalog.signatures[h.sig as usize];
    let mut out = Clusters::default();
    // 1. Windows from opening hits.
    let mut windows: Vec<(DateTime<Utc>, DateTime<Utc>, Vec<usize>)> = Vec::new();
    for (i, h) in hits.iter().enumerate() {
        let Some(t) = h.time else {
            out.undated.push(i);
            continue;
        };
        let s = sig(h);
        if !s.severity.opens_incident() || s.noise {
            continue;
        }
        match windows.last_mut() {
            Some((_, end, members)) if t - *end < gap => {
                *end = (*end).max(t);
                members.push(i);
            }
            _ => windows.push((t, t, vec![i])),
        }
    }
    // 2. Attach warnings and noise touching a window; markers go to the timeline.
    let mut attached: Vec<Vec<usize>> = windows.iter().map(|w| w.2.clone()).collect();
    let mut w = 0;
    for (i, h) in hits.iter().enumerate() {
        let Some(t) = h.time else { continue };
        let s = sig(h);
        if s.severity == Severity::Marker && !s.noise {
            let svc = service_of(h.file);
            let repeat = out.markers.iter_mut().rev().find(|(j, _)| {
                let m = &hits[*j];
                m.sig == h.sig && service_of(m.file) == svc
            });
            match repeat {
                Some((j, n)) if t - hits[*j].time.expect("dated") < gap => *n += 1,
                _ => out.markers.push((i, 1)),
            }
            continue;
        }
        if s.severity.opens_incident() && !s.noise {
            continue;
        }
        while w < windows.len() && windows[w].1 + gap <= t {
            w += 1;
        }
        let touching = w < windows.len() && t > windows[w].0 - gap && t < windows[w].1 + gap;
        if touching {
            attached[w].push(i);
        } else if s.noise {
            *out.background.entry(h.sig).or_default() += 1;
        }
    }
    // 3. Describe each incident.
    for (n, ((start, end, _), mut members)) in windows.into_iter().zip(attached).enumerate() {
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
            if s.severity.opens_incident() && !s.noise {
                severity = severity.min(s.severity);
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
            out.markers
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
        out.incidents.push(Incident {
            id: n + 1,
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
        });
    }
    out
}

/// Joins unknown-template bursts to the incidents: a burst touching a signature incident
/// (overlapping it or within `gap` of its edges, as warnings attach) is listed there as
/// "also new in this window"; the other bursts become incidents of their own, bursts
/// touching each other sharing one (root: the earliest burst, ties to the larger). Ids are
/// renumbered in time order. `records` are the records the analysis indexes.
pub fn merge_templates(
    c: &mut Clusters,
    analysis: crate::analysis::templates::Analysis,
    records: &[crate::record::level::LevelRecord],
    gap: Duration,
    service_of: &dyn Fn(u32) -> String,
) {
    let mut alone: Vec<usize> = Vec::new();
    for (b, burst) in analysis.bursts.iter().enumerate() {
        let host = c
            .incidents
            .iter_mut()
            .filter(|i| i.kind == RootKind::Signature)
            .find(|i| burst.start < i.end + gap && burst.end > i.start - gap);
        match host {
            Some(inc) => inc.bursts.push(b),
            None => alone.push(b),
        }
    }
    // Bursts alone: chain those touching each other into one incident.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_end: Option<DateTime<Utc>> = None;
    for b in alone {
        let burst = &analysis.bursts[b];
        match (groups.last_mut(), group_end) {
            (Some(g), Some(end)) if burst.start < end + gap => {
                g.push(b);
                group_end = Some(end.max(burst.end));
            }
            _ => {
                groups.push(vec![b]);
                group_end = Some(burst.end);
            }
        }
    }
    for mut g in groups {
        g.sort_by_key(|&b| {
            let x = &analysis.bursts[b];
            (x.start, std::cmp::Reverse(x.records.len()), x.template)
        });
        let root = &analysis.bursts[g[0]];
        let start = g
            .iter()
            .map(|&b| analysis.bursts[b].start)
            .min()
            .expect("burst");
        let end = g
            .iter()
            .map(|&b| analysis.bursts[b].end)
            .max()
            .expect("burst");
        let mut services: Vec<(DateTime<Utc>, String)> = Vec::new();
        for &b in &g {
            for &r in &analysis.bursts[b].records {
                let svc = service_of(records[r].file);
                let t = records[r].time.expect("dated");
                match services.iter_mut().find(|(_, s)| *s == svc) {
                    Some((first, _)) => *first = (*first).min(t),
                    None => services.push((t, svc)),
                }
            }
        }
        services.sort();
        let first = &records[root.records[0]];
        c.incidents.push(Incident {
            id: 0,
            start,
            end,
            severity: Severity::Error,
            root: 0,
            chain: Vec::new(),
            counts: BTreeMap::new(),
            services: services.into_iter().map(|(_, s)| s).collect(),
            first_seen: (service_of(first.file), first.time.expect("dated")),
            evidence: Vec::new(),
            hits: Vec::new(),
            restart: None,
            kind: RootKind::Template,
            bursts: g,
        });
    }
    c.incidents
        .sort_by_key(|i| (i.start, i.kind == RootKind::Template, i.end));
    for (n, inc) in c.incidents.iter_mut().enumerate() {
        inc.id = n + 1;
        if inc.kind == RootKind::Signature {
            inc.bursts.sort_by_key(|&b| {
                let x = &analysis.bursts[b];
                (x.start, x.template)
            });
        }
    }
    c.templates = analysis;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_566_350_000 + s, 0).unwrap()
    }

    fn hit(cat: &Catalog, id: &str, file: u32, secs: Option<i64>, off: u64) -> Hit {
        Hit {
            file,
            sig: cat.index_of(id).unwrap_or_else(|| panic!("{id}")) as u16,
            offset: off,
            line: off + 1,
            record: off,
            time: secs.map(t),
            excerpt: "".into(),
        }
    }

    fn run(cat: &Catalog, mut hits: Vec<Hit>) -> (Clusters, Vec<Hit>) {
        crate::scan::sort_hits(&mut hits);
        let c = cluster(&hits, cat, Duration::seconds(120), &|f| format!("svc{f}"));
        (c, hits)
    }

    #[test]
    fn gap_splits_and_root_is_deepest_layer() {
        let cat = Catalog::builtin().unwrap();
        let hits = vec![
            hit(
                &cat,
                "zuul-numberof-retries-nextserver-exceeded",
                0,
                Some(0),
                1,
            ),
            hit(&cat, "tcp-port-exhaustion-wsaenobufs", 1, Some(5), 2),
            hit(&cat, "http-5xx-access-log", 2, Some(30), 3),
            hit(&cat, "http-5xx-access-log", 2, Some(3600), 4),
            hit(&cat, "springboot-started", 1, Some(1800), 5),
            hit(&cat, "connect-refused", 1, None, 6),
        ];
        let (c, hits) = run(&cat, hits);
        assert_eq!(c.incidents.len(), 2);
        let i = &c.incidents[0];
        assert_eq!((i.start, i.end), (t(0), t(30)));
        assert_eq!(
            cat.signatures[i.root as usize].id,
            "tcp-port-exhaustion-wsaenobufs"
        );
        assert_eq!(i.first_seen, ("svc1".to_string(), t(5)));
        assert_eq!(i.services, vec!["svc0", "svc1", "svc2"]);
        assert_eq!(i.severity, Severity::Critical);
        assert_eq!(
            cat.signatures[hits[i.evidence[0]].sig as usize].id,
            "tcp-port-exhaustion-wsaenobufs"
        );
        assert_eq!(c.markers.len(), 1);
        assert_eq!(c.undated.len(), 1);
    }

    #[test]
    fn warnings_attach_but_never_open() {
        let cat = Catalog::builtin().unwrap();
        let warn = cat
            .signatures
            .iter()
            .find(|s| s.severity == Severity::Warning && !s.noise)
            .unwrap()
            .id
            .clone();
        let (c, _) = run(&cat, vec![hit(&cat, &warn, 0, Some(0), 1)]);
        assert!(c.incidents.is_empty());
        let (c, _) = run(
            &cat,
            vec![
                hit(&cat, &warn, 0, Some(-60), 1),
                hit(&cat, "connect-refused", 0, Some(0), 2),
                hit(&cat, &warn, 0, Some(500), 3),
            ],
        );
        assert_eq!(c.incidents.len(), 1);
        assert_eq!(c.incidents[0].hits.len(), 2, "the far warning stays out");
        assert_eq!(c.incidents[0].start, t(0));
    }

    #[test]
    fn restart_in_window_explains_refusals() {
        let cat = Catalog::builtin().unwrap();
        let (c, hits) = run(
            &cat,
            vec![
                hit(&cat, "springboot-shutdown", 1, Some(-30), 1),
                hit(&cat, "connect-refused", 0, Some(0), 2),
                hit(&cat, "http-5xx-access-log", 2, Some(10), 3),
            ],
        );
        let inc = &c.incidents[0];
        assert_eq!(cat.signatures[inc.root as usize].id, "connect-refused");
        let r = inc.restart.expect("restart explains the refusals");
        assert_eq!(
            cat.signatures[hits[r].sig as usize].id,
            "springboot-shutdown"
        );
        // A resource-level root is not explained away by a restart.
        let (c, _) = run(
            &cat,
            vec![
                hit(&cat, "springboot-shutdown", 1, Some(-30), 1),
                hit(&cat, "jvm-oom-heap", 1, Some(-40), 2),
                hit(&cat, "connect-refused", 0, Some(0), 3),
            ],
        );
        assert!(c.incidents[0].restart.is_none());
    }

    #[test]
    fn exactly_gap_apart_splits() {
        let cat = Catalog::builtin().unwrap();
        let (c, _) = run(
            &cat,
            vec![
                hit(&cat, "connect-refused", 0, Some(0), 1),
                hit(&cat, "connect-refused", 0, Some(119), 2),
                hit(&cat, "connect-refused", 0, Some(239), 3),
            ],
        );
        assert_eq!(c.incidents.len(), 2);
    }
}

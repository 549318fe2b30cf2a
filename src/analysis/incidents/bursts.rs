//! Unknown-template bursts into incidents: a burst touching a signature incident
//! (overlapping it or within `gap` of its edges, as warnings attach) is listed there as
//! "also new in this window"; the other bursts become incidents of their own, bursts
//! touching each other sharing one (root: the earliest burst, ties to the larger). Ids are
//! renumbered in time order.
//!
//! Input: the clusters and the template analysis (bursts, with their first records). Output:
//! the clusters with the bursts joined and the analysis kept in `Clusters::templates`.

use super::{Clusters, Incident, RootKind};
use crate::catalog::Severity;
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

/// Joins unknown-template bursts to the incidents: a burst touching a signature incident
/// (overlapping it or within `gap` of its edges, as warnings attach) is listed there as
/// "also new in this window"; the other bursts become incidents of their own, bursts
/// touching each other sharing one (root: the earliest burst, ties to the larger). Ids are
/// renumbered in time order.
pub fn merge_templates(
    c: &mut Clusters,
    analysis: crate::analysis::templates::Analysis,
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
            (x.start, std::cmp::Reverse(x.count), x.template)
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
            // The earliest record of each file in the burst: a service's first is among them.
            for r in &analysis.bursts[b].firsts {
                let svc = service_of(r.file);
                let t = r.time.expect("dated");
                match services.iter_mut().find(|(_, s)| *s == svc) {
                    Some((first, _)) => *first = (*first).min(t),
                    None => services.push((t, svc)),
                }
            }
        }
        services.sort();
        let first = &root.firsts[0];
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

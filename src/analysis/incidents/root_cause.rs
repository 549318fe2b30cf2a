//! Root cause: describes one incident window, whichever detector opened it.
//!
//! Input: the window (start, end, the hits attached to it), the sorted hits, the catalog,
//! the gap, the service of each file and the timeline's markers. Output: the [`Incident`]:
//! its severity, services, counts, causal chain, root cause, where the root was first
//! seen, evidence lines and the restart that explains it, if any.
//!
//! Rules (signatures.md §11): the root is the lowest causal layer among the non-noise
//! failures (critical/error; warnings only when there is none), 0 host/kernel ... 8
//! user-facing 5xx, ties to the signature seen first; the chain lists
//! every signature seen, root first (noise and markers are shown in counts, not in the
//! chain). Evidence: up to three hits, the root signature's first hit in each service (at
//! most two), then the first hit of each next signature of the chain. A restart marker in
//! the window or within `gap` before it explains a root at the transport layer or above
//! ([`RESTART_EXPLAINS_FROM_LAYER`]) when it comes from the callee: a service other than
//! the ones logging the root, named by their records (`http://order-service:8080` names
//! `order-service`). Refusals while a callee restarts are expected churn; a restart of an
//! unrelated service (an nginx log reopen) explains nothing.

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
        // The root: a failure (critical/error) before a warning, then by layer. A warning in
        // the window says something degraded; the errors say what failed (a thread-pool
        // starvation warning during a lock storm is a symptom of the deadlocks).
        let root = *chain
            .iter()
            .min_by_key(|&&id| {
                (
                    !catalog.signatures[id as usize].severity.opens_incident(),
                    rank(id),
                )
            })
            .expect("members");
        if let Some(at) = chain.iter().position(|&c| c == root) {
            chain.remove(at);
            chain.insert(0, root);
        }
        // Noise and markers are shown in counts, not in the causal chain.
        chain.retain(|&id| {
            let s = &catalog.signatures[id as usize];
            !s.noise && s.severity != Severity::Marker
        });
        let (root_time, root_hit) = first_at[&root];
        let evidence = pick_evidence(hits, &members, &chain, service_of);
        let restart = if catalog.signatures[root as usize].rank() >= RESTART_EXPLAINS_FROM_LAYER {
            // The failing services (those logging the root) and what their records say.
            let failing: BTreeSet<String> = members
                .iter()
                .filter(|&&i| hits[i].sig == root)
                .map(|&i| service_of(hits[i].file))
                .collect();
            let texts: Vec<String> = members
                .iter()
                .filter(|&&i| hits[i].sig == root)
                .map(|&i| hits[i].excerpt.to_lowercase())
                .collect();
            markers
                .iter()
                .map(|&(i, _)| i)
                .filter(|&i| {
                    let t = hits[i].time.expect("dated");
                    let svc = service_of(hits[i].file);
                    t >= start - gap
                        && t <= end
                        && is_restart_marker(sig(&hits[i]))
                        && !failing.contains(&svc)
                        && texts.iter().any(|x| names(x, &svc))
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
            why: Vec::new(),
            opened: Vec::new(),
        }
    }
}

/// Does `text` (lowercase) name `service` as a word (letters and digits around it are
/// not part of it)? `order-service` names it in `http://order-service:8080/x`.
fn names(text: &str, service: &str) -> bool {
    let svc = service.to_lowercase();
    if svc.len() < 3 {
        return false;
    }
    let b = text.as_bytes();
    text.match_indices(&svc).any(|(at, _)| {
        let before = at.checked_sub(1).map(|k| b[k]);
        let after = b.get(at + svc.len()).copied();
        !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
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

    fn hit(cat: &Catalog, id: &str, file: u32, secs: i64, off: u64, text: &str) -> Hit {
        Hit {
            file,
            sig: cat.index_of(id).unwrap_or_else(|| panic!("{id}")) as u16,
            offset: off,
            line: off + 1,
            record: off,
            time: Some(t(secs)),
            excerpt: text.into(),
            level: None,
        }
    }

    /// Services: 0 gateway, 1 order-service, 2 nginx.
    fn describe(
        cat: &Catalog,
        hits: &[Hit],
        members: Vec<usize>,
        markers: &[(usize, u64)],
    ) -> Incident {
        let names = ["gateway", "order-service", "nginx"];
        let service_of = |f: u32| names[f as usize].to_string();
        Describe {
            hits,
            catalog: cat,
            gap: Duration::seconds(120),
            service_of: &service_of,
            markers,
        }
        .incident(1, t(0), t(30), members)
    }

    #[test]
    fn root_is_the_deepest_failure_and_warnings_only_without_one() {
        let cat = Catalog::builtin().unwrap();
        let hits = vec![
            hit(
                &cat,
                "zuul-numberof-retries-nextserver-exceeded",
                0,
                0,
                1,
                "",
            ),
            hit(&cat, "tcp-port-exhaustion-wsaenobufs", 0, 5, 2, ""),
            hit(&cat, "http-5xx-access-log", 2, 10, 3, ""),
        ];
        let inc = describe(&cat, &hits, vec![0, 1, 2], &[]);
        assert_eq!(
            cat.signatures[inc.root as usize].id,
            "tcp-port-exhaustion-wsaenobufs"
        );
        assert_eq!(inc.chain[0], inc.root);
        // A warning at a deeper layer is not the root while a failure is there.
        let warn = cat
            .signatures
            .iter()
            .find(|s| s.severity == Severity::Warning && !s.noise && s.rank() == 1)
            .expect("a layer-1 warning");
        let hits = vec![
            hit(&cat, &warn.id, 0, 0, 1, ""),
            hit(&cat, "connect-refused", 0, 5, 2, ""),
        ];
        let inc = describe(&cat, &hits, vec![0, 1], &[]);
        assert_eq!(cat.signatures[inc.root as usize].id, "connect-refused");
    }

    #[test]
    fn a_restart_explains_refusals_only_from_the_named_callee() {
        let cat = Catalog::builtin().unwrap();
        let refused =
            "java.net.ConnectException: Connection refused: http://order-service:8080/api";
        // The callee (named by the refusals) restarted: it explains them.
        let hits = vec![
            hit(&cat, "springboot-shutdown", 1, -30, 1, ""),
            hit(&cat, "connect-refused", 0, 0, 2, refused),
        ];
        let inc = describe(&cat, &hits, vec![1], &[(0, 1)]);
        assert_eq!(inc.restart, Some(0));
        // A restart of a service the errors do not name (nginx reopening its log) does not.
        let hits = vec![
            hit(&cat, "springboot-shutdown", 2, -30, 1, ""),
            hit(&cat, "connect-refused", 0, 0, 2, refused),
        ];
        let inc = describe(&cat, &hits, vec![1], &[(0, 1)]);
        assert_eq!(inc.restart, None);
        // Nor does the failing service's own restart.
        let hits = vec![
            hit(&cat, "springboot-shutdown", 0, -30, 1, ""),
            hit(
                &cat,
                "connect-refused",
                0,
                0,
                2,
                "Connection refused: gateway",
            ),
        ];
        let inc = describe(&cat, &hits, vec![1], &[(0, 1)]);
        assert_eq!(inc.restart, None);
    }

    #[test]
    fn names_is_a_word_match() {
        assert!(names("http://order-service:8080/x", "order-service"));
        assert!(!names("http://order-service2:8080/x", "order-service"));
        assert!(!names("reorder-service", "order-service"));
        assert!(!names("at db", "db"));
    }
}

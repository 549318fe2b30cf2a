//! The gap detector: hits → incident windows. Critical and error hits (not noise) open
//! windows and merge across *all* files and services while consecutive hits are less than
//! `gap` apart; warnings and noise touching a window (inside it or within `gap` of its
//! edges) attach to it; markers go on the timeline.
//!
//! Input: the sorted hits, the catalog, the gap and the service of each file. Output: the
//! [`Clusters`], each window described by `root_cause.rs`. Tricky cases: hits exactly `gap`
//! apart split; a marker repeated by the same signature in the same service within the gap
//! is one marker with a count (a shutdown logs a dozen `[extShutdownHook]` lines); noise
//! outside every window is counted as background; undated hits cannot be placed and are
//! listed in `undated`.

use super::root_cause::Describe;
use super::Clusters;
use crate::catalog::{Catalog, Severity};
use crate::scan::Hit;
use chrono::{DateTime, Duration, Utc};

/// A window: its first and last opening hit, and the opening hits (indices).
type Window = (DateTime<Utc>, DateTime<Utc>, Vec<usize>);

/// Clusters hits. `service_of(file)` names the service of a hit's file.
pub fn cluster(
    hits: &[Hit],
    catalog: &Catalog,
    gap: Duration,
    service_of: &dyn Fn(u32) -> String,
) -> Clusters {
    let mut out = Clusters::default();
    // 1. Windows from opening hits.
    let windows = open_windows(hits, catalog, gap, &mut out);
    // 2. Attach warnings and noise touching a window; markers go to the timeline.
    let attached = attach(hits, catalog, gap, service_of, &windows, &mut out);
    // 3. Describe each incident.
    let describe = Describe {
        hits,
        catalog,
        gap,
        service_of,
        markers: &out.markers,
    };
    for (n, ((start, end, _), members)) in windows.into_iter().zip(attached).enumerate() {
        out.incidents
            .push(describe.incident(n + 1, start, end, members));
    }
    out
}

/// Step 1: the windows, from the opening hits (critical and error, not noise) in time
/// order; undated hits go to `out.undated`.
fn open_windows(hits: &[Hit], catalog: &Catalog, gap: Duration, out: &mut Clusters) -> Vec<Window> {
    let sig = |h: &Hit| &catalog.signatures[h.sig as usize];
    let mut windows: Vec<(DateTime<Utc>, DateTime<Utc>, Vec<usize>)> = Vec::new();
    for (i, h) in hits.iter().enumerate() {
        let Some(t) = h.time else {
            out.undated.push(i);
            continue;
        };
        let s = sig(h);
        if !h.severity(catalog).opens_incident() || s.noise {
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
    windows
}

/// Step 2: the hits of each window: its opening hits, then the warnings and noise touching
/// it. Markers go to `out.markers` (repeats counted), noise outside every window to
/// `out.background`.
fn attach(
    hits: &[Hit],
    catalog: &Catalog,
    gap: Duration,
    service_of: &dyn Fn(u32) -> String,
    windows: &[Window],
    out: &mut Clusters,
) -> Vec<Vec<usize>> {
    let sig = |h: &Hit| &catalog.signatures[h.sig as usize];
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
        if h.severity(catalog).opens_incident() && !s.noise {
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
    attached
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
            level: None,
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

    /// A critical entry on a WARN record counts as a warning (the record's own level lowers
    /// it): it attaches to an incident, never opens one, and does not raise its severity.
    #[test]
    fn a_hit_on_a_warn_record_counts_as_a_warning() {
        use crate::catalog::RecordLevel;
        let cat = Catalog::builtin().unwrap();
        let on = |level, secs, off| {
            let mut h = hit(&cat, "tcp-port-exhaustion-wsaenobufs", 0, Some(secs), off);
            h.level = level;
            h
        };
        let (c, _) = run(&cat, vec![on(Some(RecordLevel::Warning), 0, 1)]);
        assert!(c.incidents.is_empty());
        let (c, _) = run(
            &cat,
            vec![
                on(Some(RecordLevel::Warning), 0, 1),
                hit(&cat, "connect-refused", 1, Some(10), 2),
            ],
        );
        assert_eq!(c.incidents.len(), 1);
        assert_eq!(c.incidents[0].start, t(10), "the warning does not open it");
        assert_eq!(c.incidents[0].severity, Severity::Error);
        assert_eq!(c.incidents[0].hits.len(), 2, "the warning attaches");
        let (c, _) = run(&cat, vec![on(Some(RecordLevel::Error), 0, 1)]);
        assert_eq!(c.incidents[0].severity, Severity::Critical);
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
    fn restart_is_a_role_not_a_category() {
        // Issue 18: behaviour follows the typed role, so renaming a category with --rules
        // changes nothing, and taking the role away does.
        let mut cat = Catalog::builtin().unwrap();
        let i = cat.index_of("springboot-shutdown").unwrap();
        cat.signatures[i].category = "renamed-by-rules".into();
        let hits = vec![
            hit(&cat, "springboot-shutdown", 1, Some(-30), 1),
            hit(&cat, "connect-refused", 0, Some(0), 2),
        ];
        let (c, _) = run(&cat, hits.clone());
        assert!(c.incidents[0].restart.is_some());
        cat.signatures[i].roles.clear();
        let (c, _) = run(&cat, hits);
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

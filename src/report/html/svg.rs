//! The SVG drawings of the HTML page: the overview (one lane per service: when it logged,
//! its silent stretches, its error hits in each incident, its markers; incident bands
//! across all lanes) and one detail drawing per incident (each service's hits in the
//! window, or why it has none).
//!
//! Input: the [`Report`] and the display zone. Output: [`Svg`] values (geometry rounded to
//! 0.1, titles as text) that the template draws; the axis ticks are chosen to give at most
//! about eight labels, on round local times.

use crate::analysis::findings::Presence;
use crate::report::escape::{clip, t};
use crate::report::prose::human_duration;
use crate::report::{IncidentOut, Report};
use crate::time::Zone;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// SVG geometry: drawing width, label column, lane height.
const WIDTH: f64 = 1000.0;
const LEFT: f64 = 170.0;
const RIGHT: f64 = 20.0;
const LANE: f64 = 26.0;
const TOP: f64 = 30.0;

fn r1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[derive(Serialize)]
struct Seg {
    x: f64,
    w: f64,
    title: String,
}

#[derive(Serialize)]
struct Tick {
    x: f64,
    label: String,
}

#[derive(Serialize)]
struct Lane {
    label: String,
    y: f64,
    mid: f64,
    spans: Vec<Seg>,
    gaps: Vec<Seg>,
    errors: Vec<Seg>,
    markers: Vec<Seg>,
    note: String,
    note_class: &'static str,
}

#[derive(Serialize)]
pub(super) struct Svg {
    width: f64,
    height: f64,
    plot_left: f64,
    plot_right: f64,
    axis_y: f64,
    ticks: Vec<Tick>,
    lanes: Vec<Lane>,
    bands: Vec<Seg>,
    label: String,
}

struct Scale {
    t0: i64,
    t1: i64,
}

impl Scale {
    fn x(&self, at: DateTime<Utc>) -> f64 {
        let span = (self.t1 - self.t0).max(1) as f64;
        let ms = (at.timestamp_millis() - self.t0) as f64;
        r1(LEFT + (ms / span).clamp(0.0, 1.0) * (WIDTH - LEFT - RIGHT))
    }
    fn seg(&self, a: DateTime<Utc>, b: DateTime<Utc>, min_w: f64, title: String) -> Seg {
        let (x0, x1) = (self.x(a), self.x(b));
        let w = (x1 - x0).max(min_w);
        Seg {
            x: r1(x0.min(WIDTH - RIGHT - w)),
            w: r1(w),
            title,
        }
    }
}

fn ticks(scale: &Scale, display: &Zone, y_date: bool) -> Vec<Tick> {
    let span_s = (scale.t1 - scale.t0) / 1000;
    let steps = [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
        172800, 604800,
    ];
    let step = steps
        .iter()
        .copied()
        .find(|s| span_s / s <= 8)
        .unwrap_or(604800);
    let start = DateTime::from_timestamp_millis(scale.t0).unwrap_or_default();
    let off = display.offset_at(start).local_minus_utc() as i64;
    let first_local = (scale.t0 / 1000 + off).div_euclid(step) * step + step;
    let mut out = Vec::new();
    let mut local = first_local;
    while (local - off) * 1000 <= scale.t1 {
        let at = DateTime::from_timestamp(local - off, 0).unwrap_or_default();
        let fmt = if step < 60 {
            "%H:%M:%S"
        } else if y_date && step >= 86400 {
            "%m-%d"
        } else {
            "%H:%M"
        };
        out.push(Tick {
            x: scale.x(at),
            label: display.format(at, fmt),
        });
        local += step;
    }
    out
}

/// The overview: one lane per service over the whole span of the logs, incident bands
/// across them (`None` without dated records).
pub(super) fn overview(r: &Report, display: &Zone) -> Option<Svg> {
    let (first, last) = (r.summary.first?, r.summary.last?);
    let scale = Scale {
        t0: first.timestamp_millis(),
        t1: last.timestamp_millis().max(first.timestamp_millis() + 1000),
    };
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    let cov = &r.findings.coverage;
    let mut lanes = Vec::new();
    let mut errors = error_segs(r, &scale, display);
    let mut markers = marker_segs(r, &scale, display);
    let mut y = TOP;
    for s in &cov.services {
        let mut spans = Vec::new();
        if let (Some(a), Some(b)) = (s.first, s.last) {
            spans.push(scale.seg(
                a,
                b,
                1.0,
                format!(
                    "{} logged from {} to {}: {} records, {:.1}/min outside incidents",
                    s.service,
                    day(a),
                    day(b),
                    s.records,
                    s.baseline_per_minute
                ),
            ));
        }
        let gaps = s
            .gaps
            .iter()
            .map(|g| {
                scale.seg(
                    g.from,
                    g.to,
                    2.0,
                    format!(
                        "{}: no record for {} min from {}",
                        s.service,
                        g.minutes,
                        day(g.from)
                    ),
                )
            })
            .collect();
        let silent = cov.incidents.iter().any(|c| {
            c.services
                .iter()
                .any(|p| p.service == s.service && p.status == Presence::Silent)
        });
        lanes.push(Lane {
            label: clip(&t(&s.service), 22),
            y: r1(y),
            mid: r1(y + LANE / 2.0),
            spans,
            gaps,
            errors: errors.remove(s.service.as_str()).unwrap_or_default(),
            markers: markers.remove(s.service.as_str()).unwrap_or_default(),
            note: if silent {
                "silent".into()
            } else {
                String::new()
            },
            note_class: "warn",
        });
        y += LANE;
    }
    for s in &cov.without_records {
        lanes.push(Lane {
            label: clip(&t(s), 22),
            y: r1(y),
            mid: r1(y + LANE / 2.0),
            spans: Vec::new(),
            gaps: Vec::new(),
            errors: Vec::new(),
            markers: markers.remove(s.as_str()).unwrap_or_default(),
            note: "no dated records".into(),
            note_class: "muted",
        });
        y += LANE;
    }
    let bands = bands(r, &scale, display);
    Some(Svg {
        width: WIDTH,
        height: r1(y + 30.0),
        plot_left: LEFT,
        plot_right: WIDTH - RIGHT,
        axis_y: r1(y + 4.0),
        ticks: ticks(&scale, display, true),
        lanes,
        bands,
        label: format!("Timeline {} to {} ({display})", day(first), day(last)),
    })
}

/// Each service's error hits in each incident, as segments of its lane.
fn error_segs<'r>(r: &'r Report, scale: &Scale, display: &Zone) -> BTreeMap<&'r str, Vec<Seg>> {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    let cov = &r.findings.coverage;
    let mut errors: BTreeMap<&str, Vec<Seg>> = BTreeMap::new();
    for c in &cov.incidents {
        for s in &c.services {
            if let (Some(a), Some(b)) = (s.first_hit, s.last_hit) {
                errors
                    .entry(s.service.as_str())
                    .or_default()
                    .push(scale.seg(
                        a,
                        b,
                        3.0,
                        format!(
                            "{}: {} error hits in incident #{} ({} – {})",
                            s.service,
                            s.hits,
                            c.id,
                            day(a),
                            display.format(b, "%H:%M:%S")
                        ),
                    ));
            }
        }
    }
    errors
}

/// Each service's markers, as ticks on its lane.
fn marker_segs<'r>(r: &'r Report, scale: &Scale, display: &Zone) -> BTreeMap<&'r str, Vec<Seg>> {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    let mut markers: BTreeMap<&str, Vec<Seg>> = BTreeMap::new();
    for m in &r.markers {
        markers
            .entry(m.hit.service.as_str())
            .or_default()
            .push(Seg {
                x: scale.x(m.hit.time),
                w: 0.0,
                title: format!(
                    "{} {} at {} ({}:{})",
                    m.hit.service,
                    m.hit.signature,
                    day(m.hit.time),
                    m.hit.path,
                    m.hit.line
                ),
            });
    }
    // Isolated events sit on the timeline too (anomalous, not incidents).
    for x in &r.isolated {
        markers.entry(x.service.as_str()).or_default().push(Seg {
            x: scale.x(x.time),
            w: 0.0,
            title: format!(
                "isolated: {} {} ×{} at {} ({})",
                x.service,
                x.signal,
                x.observed,
                day(x.time),
                x.reason
            ),
        });
    }
    markers
}

/// The incident bands across all lanes.
fn bands(r: &Report, scale: &Scale, display: &Zone) -> Vec<Seg> {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    r.incidents
        .iter()
        .map(|i| {
            scale.seg(
                i.start,
                i.end,
                3.0,
                format!(
                    "#{} {} – {} ({}), root cause {}",
                    i.id,
                    day(i.start),
                    display.format(i.end, "%H:%M:%S"),
                    human_duration(i.duration_seconds),
                    i.root_cause.signature
                ),
            )
        })
        .collect()
}

/// One incident in detail: each service's hits in the window (padded by a fifth of its
/// length, at least 5 s each side), or why it has none.
pub(super) fn detail(r: &Report, inc: &IncidentOut, display: &Zone) -> Svg {
    let pad = ((inc.end - inc.start).num_milliseconds() / 5).max(5_000);
    let scale = Scale {
        t0: inc.start.timestamp_millis() - pad,
        t1: inc.end.timestamp_millis() + pad,
    };
    let clock = |t: DateTime<Utc>| display.format(t, "%H:%M:%S%.3f");
    let mut lanes = Vec::new();
    let mut y = TOP;
    if let Some(c) = r
        .findings
        .coverage
        .incidents
        .iter()
        .find(|c| c.id == inc.id)
    {
        for s in &c.services {
            let errors = match (s.first_hit, s.last_hit) {
                (Some(a), Some(b)) => vec![scale.seg(
                    a,
                    b,
                    4.0,
                    format!(
                        "{}: {} hits, {} – {}",
                        s.service,
                        s.hits,
                        clock(a),
                        clock(b)
                    ),
                )],
                _ => Vec::new(),
            };
            let (note, note_class) = match s.status {
                Presence::Logging if s.hits > 0 => (
                    format!("{} hit{}", s.hits, if s.hits == 1 { "" } else { "s" }),
                    "err",
                ),
                Presence::Logging => (
                    format!(
                        "logging, no errors ({} record{})",
                        s.records,
                        if s.records == 1 { "" } else { "s" }
                    ),
                    "ok",
                ),
                Presence::Silent => (
                    format!("SILENT: no record, {:.1} expected", s.expected),
                    "warn",
                ),
                Presence::Quiet => (
                    format!("no record (rare logger, {:.1} expected)", s.expected),
                    "muted",
                ),
                Presence::NotCovered => ("log does not cover this time".into(), "muted"),
            };
            lanes.push(Lane {
                label: clip(&t(&s.service), 22),
                y: r1(y),
                mid: r1(y + LANE / 2.0),
                spans: Vec::new(),
                gaps: Vec::new(),
                errors,
                markers: Vec::new(),
                note,
                note_class,
            });
            y += LANE;
        }
    }
    Svg {
        width: WIDTH,
        height: r1(y + 30.0),
        plot_left: LEFT,
        plot_right: WIDTH - RIGHT,
        axis_y: r1(y + 4.0),
        ticks: ticks(&scale, display, false),
        lanes,
        bands: vec![scale.seg(inc.start, inc.end, 2.0, format!("incident #{}", inc.id))],
        label: format!("Incident #{} in detail", inc.id),
    }
}

//! HTML: one self-contained page (inline CSS and SVG, no script, no network) with the
//! timeline drawn as SVG lanes per service and incident bands, the findings and evidence.
//!
//! Rendered with minijinja and HTML auto-escaping: every value (log text, file names, URL
//! paths) is escaped by the template engine, never concatenated into markup. Log text is
//! hostile: `<script>` or `"><img onerror=...>` in a log line renders as text. The page
//! also carries a Content-Security-Policy that forbids every script, so even a bug in the
//! escaping could not run one.

use super::escape::{clip, t};
use super::prose::{human_duration, phase_text, recurrence_sentence, verdict_sentence};
use super::Report;
use crate::analysis::findings::Presence;
use crate::time::Zone;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

const TEMPLATE: &str = include_str!("report.html.j2");

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
struct Svg {
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

#[derive(Serialize)]
struct Evidence {
    loc: String,
    time: String,
    service: String,
    signature: String,
    text: String,
}

#[derive(Serialize)]
struct IncidentView {
    id: usize,
    start: String,
    end: String,
    duration: String,
    severity: &'static str,
    root: String,
    root_title: String,
    root_means: String,
    chain: Vec<String>,
    culprit: String,
    context: String,
    services: String,
    signatures: Vec<(String, u64)>,
    evidence: Vec<Evidence>,
    detail: Svg,
}

#[derive(Serialize)]
struct Card {
    label: &'static str,
    value: String,
    note: String,
}

#[derive(Serialize)]
struct ScoreRow {
    signature: String,
    hits: u64,
    inside: u64,
    share: String,
    expected: String,
    lift: String,
    verdict: &'static str,
    class: &'static str,
}

#[derive(Serialize)]
struct CoverageRow {
    id: usize,
    logging: String,
    silent: String,
    quiet: String,
    not_covered: String,
}

#[derive(Serialize)]
struct TrafficRow {
    id: String,
    minutes: i64,
    requests: u64,
    errors: u64,
    rate: String,
    paths: String,
}

#[derive(Serialize)]
struct MarkerRow {
    time: String,
    service: String,
    signature: String,
    loc: String,
    count: u64,
}

#[derive(Serialize)]
struct Checks {
    root: String,
    incidents: String,
    checks: Vec<String>,
}

#[derive(Serialize)]
struct FileRow {
    path: String,
    service: String,
    format: String,
    zone: String,
    bytes: u64,
    records: u64,
    sha256: String,
}

#[derive(Serialize)]
struct View {
    title: String,
    meta: String,
    summary: String,
    cards: Vec<Card>,
    timeline: Option<Svg>,
    incidents: Vec<IncidentView>,
    recurrence: String,
    scores: Vec<ScoreRow>,
    coverage: Vec<CoverageRow>,
    coverage_notes: Vec<String>,
    traffic: Option<(String, Vec<TrafficRow>)>,
    host_wide: Vec<String>,
    host_evidence: String,
    markers: Vec<MarkerRow>,
    checks: Vec<Checks>,
    files: Vec<FileRow>,
    warnings: Vec<String>,
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

fn overview(r: &Report, display: &Zone) -> Option<Svg> {
    let (first, last) = (r.summary.first?, r.summary.last?);
    let scale = Scale {
        t0: first.timestamp_millis(),
        t1: last.timestamp_millis().max(first.timestamp_millis() + 1000),
    };
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    let cov = &r.findings.coverage;
    let mut lanes = Vec::new();
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
    let bands = r
        .incidents
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
        .collect();
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

fn detail(r: &Report, inc: &super::IncidentOut, display: &Zone) -> Svg {
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

fn ids(v: &[usize]) -> String {
    v.iter()
        .map(|i| format!("#{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn dash(v: Vec<&str>) -> String {
    if v.is_empty() {
        "–".into()
    } else {
        v.join(", ")
    }
}

/// Renders the page.
pub fn to_html(r: &Report, display: &Zone) -> String {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    let clock = |t: DateTime<Utc>| display.format(t, "%H:%M:%S");
    let f = &r.findings;
    let n = r.incidents.len();
    let root = r.incidents.first().map(|i| i.root_cause.signature.clone());
    let mut meta = format!(
        "faultscope {} · {} files · times in {} (naive log times read as {}, {})",
        r.tool.version,
        r.summary.files_scanned,
        display,
        r.assumed_timezone,
        match r.timezone_reason.as_str() {
            "flag" => "from --tz",
            "default-local" => "the local zone of the machine that ran faultscope",
            x => x,
        }
    );
    if let Some(g) = r.generated_at {
        meta.push_str(&format!(" · generated {}", crate::time::rfc3339(g)));
    }
    let summary = match (r.incidents.first(), r.incidents.last()) {
        (Some(a), Some(b)) => {
            let mut s = format!(
                "Between {} and {} there {} {} incident{} ({} of outage in total).",
                day(a.start),
                day(b.end),
                if n == 1 { "was" } else { "were" },
                n,
                if n == 1 { "" } else { "s" },
                human_duration(r.summary.total_downtime_seconds)
            );
            if let Some(rs) = recurrence_sentence(r, display) {
                s.push_str(&format!(" {rs}."));
            }
            s
        }
        _ => "No incident: no error or critical signature was found.".into(),
    };
    let mut cards = vec![
        Card {
            label: "incidents",
            value: n.to_string(),
            note: root.map(|x| format!("root cause {x}")).unwrap_or_default(),
        },
        Card {
            label: "downtime",
            value: human_duration(r.summary.total_downtime_seconds),
            note: format!("{} s in total", r.summary.total_downtime_seconds),
        },
    ];
    if let Some(tr) = &f.traffic {
        cards.push(Card {
            label: "failed requests",
            value: tr.failed_requests.to_string(),
            note: format!(
                "5xx in incident minutes; baseline {:.2}/min",
                tr.baseline.errors_per_minute
            ),
        });
    }
    if let Some(c) = r.incidents.iter().find_map(|i| i.culprit.as_ref()) {
        cards.push(Card {
            label: "culprit (host evidence)",
            value: t(&c
                .culprit
                .process
                .clone()
                .unwrap_or_else(|| format!("port {}", c.culprit.port))),
            note: t(&clip(&c.sentence, 60)),
        });
    }
    if let Some(rec) = &f.recurrence {
        cards.push(Card {
            label: "recurrence",
            value: human_duration(rec.period_seconds),
            note: format!(
                "±{}{}",
                human_duration(rec.jitter_seconds),
                rec.phase_seconds
                    .map(|p| format!(", at {} past the hour", phase_text(p)))
                    .unwrap_or_default()
            ),
        });
    }
    let incidents = r
        .incidents
        .iter()
        .map(|i| {
            let mut sigs: Vec<(String, u64)> =
                i.signatures.iter().map(|(k, v)| (k.clone(), *v)).collect();
            sigs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            IncidentView {
                id: i.id,
                start: day(i.start),
                end: clock(i.end),
                duration: human_duration(i.duration_seconds),
                severity: i.severity.as_str(),
                root: i.root_cause.signature.clone(),
                root_title: t(&i.root_cause.title),
                root_means: t(&i.root_cause.means),
                chain: i.chain.clone(),
                culprit: i
                    .culprit
                    .as_ref()
                    .map(|c| {
                        t(&format!(
                            "{}{} ({}{})",
                            c.sentence,
                            if c.culprit.loopback {
                                ", loopback churn"
                            } else {
                                ""
                            },
                            c.snapshot,
                            c.snapshot_time
                                .map(|x| format!(" at {}", day(x)))
                                .unwrap_or_default()
                        ))
                    })
                    .unwrap_or_default(),
                context: i
                    .root_cause
                    .restart
                    .as_ref()
                    .map(|rs| {
                        t(&format!(
                            "{} restarted at {} ({}, {}:{}): the failures follow the restart; look for what stopped it",
                            rs.service,
                            clock(rs.time),
                            rs.signature,
                            rs.path,
                            rs.line
                        ))
                    })
                    .unwrap_or_default(),
                services: t(&i.services.join(", ")),
                signatures: sigs,
                evidence: i
                    .evidence
                    .iter()
                    .map(|e| Evidence {
                        loc: t(&format!("{}:{}", e.path, e.line)),
                        time: clock(e.time),
                        service: t(&e.service),
                        signature: e.signature.clone(),
                        text: t(e.text.trim_end()),
                    })
                    .collect(),
                detail: detail(r, i, display),
            }
        })
        .collect();
    let recurrence = match &f.recurrence {
        Some(_) => recurrence_sentence(r, display).unwrap_or_default(),
        None if n >= 3 => "None: the incidents do not repeat at a regular interval.".into(),
        None => "Too few incidents to tell (3 needed).".into(),
    };
    let scores = f
        .red_herrings
        .iter()
        .map(|s| ScoreRow {
            signature: s.signature.clone(),
            hits: s.hits,
            inside: s.inside,
            share: format!("{:.1} %", s.share_inside * 100.0),
            expected: format!("{:.2}", s.expected_inside),
            lift: s.lift.map_or("∞".into(), |l| format!("{l:.2}")),
            verdict: verdict_sentence(s.verdict),
            class: match s.verdict {
                crate::analysis::findings::Verdict::Correlated => "err",
                crate::analysis::findings::Verdict::UnrelatedNoise => "muted",
                _ => "",
            },
        })
        .collect();
    let coverage = f
        .coverage
        .incidents
        .iter()
        .map(|c| CoverageRow {
            id: c.id,
            logging: t(&dash(c.with(Presence::Logging))),
            silent: t(&dash(c.with(Presence::Silent))),
            quiet: t(&dash(c.with(Presence::Quiet))),
            not_covered: t(&dash(c.with(Presence::NotCovered))),
        })
        .collect();
    let mut coverage_notes = Vec::new();
    for s in &f.coverage.services {
        for g in &s.gaps {
            coverage_notes.push(t(&format!(
                "{} wrote nothing from {} to {} ({} min){}",
                s.service,
                day(g.from),
                clock(g.to),
                g.minutes,
                if g.incidents.is_empty() {
                    String::new()
                } else {
                    format!(", overlapping incident {}", ids(&g.incidents))
                }
            )));
        }
    }
    if !f.coverage.without_records.is_empty() {
        coverage_notes.push(t(&format!(
            "No dated records at all (coverage unknown): {}",
            f.coverage.without_records.join(", ")
        )));
    }
    let traffic = f.traffic.as_ref().map(|tr| {
        let mut rows: Vec<TrafficRow> = tr
            .incidents
            .iter()
            .map(|i| TrafficRow {
                id: format!("#{}", i.id),
                minutes: i.rate.minutes,
                requests: i.rate.requests,
                errors: i.rate.errors,
                rate: format!("{:.1} %", i.rate.error_rate * 100.0),
                paths: t(&i
                    .top_paths
                    .iter()
                    .map(|p| format!("{} ×{}", clip(&p.path, 80), p.count))
                    .collect::<Vec<_>>()
                    .join(", ")),
            })
            .collect();
        let b = &tr.baseline;
        rows.push(TrafficRow {
            id: "baseline".into(),
            minutes: b.minutes,
            requests: b.requests,
            errors: b.errors,
            rate: format!("{:.1} %", b.error_rate * 100.0),
            paths: format!("{:.1} requests/min", b.requests_per_minute),
        });
        (t(&tr.files.join(", ")), rows)
    });
    let host_wide = f
        .host_wide
        .iter()
        .map(|h| {
            t(&format!(
                "{} in {} within the same second, {} time{} (first {}{}): a shared cause, not one service's fault",
                h.signature,
                h.services.join(", "),
                h.seconds,
                if h.seconds == 1 { "" } else { "s" },
                day(h.first),
                if h.incidents.is_empty() {
                    String::new()
                } else {
                    format!(", incidents {}", ids(&h.incidents))
                }
            ))
        })
        .collect();
    let markers = r
        .markers
        .iter()
        .map(|m| MarkerRow {
            time: day(m.hit.time),
            service: t(&m.hit.service),
            signature: m.hit.signature.clone(),
            loc: t(&format!("{}:{}", m.hit.path, m.hit.line)),
            count: m.count,
        })
        .collect();
    let mut checks: Vec<Checks> = Vec::new();
    for i in &r.incidents {
        let id = &i.root_cause.signature;
        if i.next_checks.is_empty() || checks.iter().any(|c| &c.root == id) {
            continue;
        }
        let which: Vec<usize> = r
            .incidents
            .iter()
            .filter(|x| &x.root_cause.signature == id)
            .map(|x| x.id)
            .collect();
        checks.push(Checks {
            root: id.clone(),
            incidents: ids(&which),
            checks: i.next_checks.iter().map(|c| t(c)).collect(),
        });
    }
    let files = r
        .files
        .iter()
        .map(|fl| FileRow {
            path: t(&fl.path),
            service: t(fl.service),
            format: fl.format.unwrap_or("–").into(),
            zone: if fl.zone.is_empty() {
                "–".into()
            } else {
                fl.zone.to_string()
            },
            bytes: fl.bytes,
            records: fl.records,
            sha256: match (&fl.sha256, &fl.error) {
                (Some(h), _) => h.clone(),
                (None, Some(e)) => t(&format!("unreadable: {e}")),
                (None, None) => "–".into(),
            },
        })
        .collect();
    let view = View {
        title: format!(
            "Postmortem: {} incident{}{}",
            n,
            if n == 1 { "" } else { "s" },
            r.incidents
                .first()
                .map(|i| format!(", root cause {}", i.root_cause.signature))
                .unwrap_or_default()
        ),
        meta,
        summary,
        cards,
        timeline: overview(r, display),
        incidents,
        recurrence,
        scores,
        coverage,
        coverage_notes,
        traffic,
        host_wide,
        host_evidence: if r.sockets.snapshots.is_empty() && r.sockets.process_tables.is_empty() {
            String::new()
        } else {
            crate::evidence::sockets::render_text(&r.sockets)
                .lines()
                .map(t)
                .collect::<Vec<_>>()
                .join("\n")
        },
        markers,
        checks,
        files,
        warnings: r.warnings.iter().map(|w| t(w)).collect(),
    };
    let mut env = minijinja::Environment::new();
    // The name ends in .html: auto-escaping is on for every `{{ }}`.
    env.add_template("report.html", TEMPLATE)
        .expect("the built-in template parses");
    env.get_template("report.html")
        .and_then(|tpl| tpl.render(minijinja::context! { v => view }))
        .expect("the built-in template renders")
}

//! The page's values: [`View`] built from the [`Report`] (title, meta line, summary, cards,
//! incidents with their detail drawings, findings, host evidence, markers, next checks,
//! files, warnings), every text from logs made printable here and HTML-escaped by the
//! template engine.
//!
//! Input: the [`Report`] and the display zone. Output: a [`View`] the template renders.
//! The SVG drawings come from [`super::svg`].

use super::svg::{detail, overview, Svg};
use crate::analysis::findings::{Findings, Presence};
use crate::report::escape::{clip, t};
use crate::report::prose::{human_duration, phase_text, recurrence_sentence, verdict_sentence};
use crate::report::Report;
use crate::time::Zone;
use chrono::{DateTime, Utc};
use serde::Serialize;

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
pub(super) struct View {
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
    /// The clocks rows: (label, text).
    clocks: Vec<(&'static str, String)>,
    host_evidence: String,
    markers: Vec<MarkerRow>,
    checks: Vec<Checks>,
    files: Vec<FileRow>,
    warnings: Vec<String>,
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

/// The page's values, every text from logs made printable.
pub(super) fn view(r: &Report, display: &Zone) -> View {
    let f = &r.findings;
    let n = r.incidents.len();
    let meta = meta(r, display);
    let summary = summary(r, display);
    let cards = cards(r);
    let incidents = incidents(r, display);
    let recurrence = match &f.recurrence {
        Some(_) => recurrence_sentence(r, display).unwrap_or_default(),
        None if n >= 3 => "None: the incidents do not repeat at a regular interval.".into(),
        None => "Too few incidents to tell (3 needed).".into(),
    };
    let scores = scores(f);
    let coverage = coverage_rows(f);
    let coverage_notes = coverage_notes(f, display);
    let traffic = traffic(f);
    let host_wide = host_wide(f, display);
    let markers = markers(r, display);
    let checks = checks(r);
    let files = files(r);
    View {
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
        clocks: crate::report::prose::clock_rows(r)
            .into_iter()
            .map(|(l, x)| (l, t(&x)))
            .collect(),
        host_evidence: if r.sockets.snapshots.is_empty() && r.sockets.process_tables.is_empty() {
            String::new()
        } else {
            crate::evidence::sockets::render_text_with(&r.sockets, &|t: DateTime<Utc>| {
                display.format(t, "%Y-%m-%d %H:%M:%S")
            })
            .lines()
            .map(t)
            .collect::<Vec<_>>()
            .join("\n")
        },
        markers,
        checks,
        files,
        // The run's error first (nothing could be scanned), among the warnings.
        warnings: r
            .error
            .iter()
            .map(|e| format!("error: {}", t(e)))
            .chain(r.warnings.iter().map(|w| t(w)))
            .collect(),
    }
}

/// The meta line: version, files, the zones, `--now`'s time.
fn meta(r: &Report, display: &Zone) -> String {
    let mut meta = format!(
        "faultscope {} · {} files · {}",
        r.tool.version,
        r.summary.files_scanned,
        crate::report::prose::zone_statement(r, display)
    );
    if let Some(g) = r.generated_at {
        meta.push_str(&format!(" · generated {}", crate::time::rfc3339(g)));
    }
    meta
}

/// The summary sentence: the span of the incidents, downtime, recurrence.
fn summary(r: &Report, display: &Zone) -> String {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    let n = r.incidents.len();
    match (r.incidents.first(), r.incidents.last()) {
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
    }
}

/// The cards at the top: incidents, downtime, failed requests, culprit, recurrence.
fn cards(r: &Report) -> Vec<Card> {
    let f = &r.findings;
    let n = r.incidents.len();
    let root = r.incidents.first().map(|i| i.root_cause.signature.clone());
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
    cards
}

/// One view per incident, with its detail drawing.
fn incidents(r: &Report, display: &Zone) -> Vec<IncidentView> {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    let clock = |t: DateTime<Utc>| display.format(t, "%H:%M:%S");
    r
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
        .collect()
}

/// Red herrings: one row per scored signature.
fn scores(f: &Findings) -> Vec<ScoreRow> {
    f.red_herrings
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
        .collect()
}

/// Coverage: one row per incident.
fn coverage_rows(f: &Findings) -> Vec<CoverageRow> {
    f.coverage
        .incidents
        .iter()
        .map(|c| CoverageRow {
            id: c.id,
            logging: t(&dash(c.with(Presence::Logging))),
            silent: t(&dash(c.with(Presence::Silent))),
            quiet: t(&dash(c.with(Presence::Quiet))),
            not_covered: t(&dash(c.with(Presence::NotCovered))),
        })
        .collect()
}

/// Coverage notes: silent stretches, services without dated records.
fn coverage_notes(f: &Findings, display: &Zone) -> Vec<String> {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    let clock = |t: DateTime<Utc>| display.format(t, "%H:%M:%S");
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
    coverage_notes
}

/// Traffic: its files, and one row per incident plus the baseline.
fn traffic(f: &Findings) -> Option<(String, Vec<TrafficRow>)> {
    f.traffic.as_ref().map(|tr| {
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
    })
}

/// Host-wide events, one sentence each.
fn host_wide(f: &Findings, display: &Zone) -> Vec<String> {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    f
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
        .collect()
}

/// Timeline markers, one row each.
fn markers(r: &Report, display: &Zone) -> Vec<MarkerRow> {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    r.markers
        .iter()
        .map(|m| MarkerRow {
            time: day(m.hit.time),
            service: t(&m.hit.service),
            signature: m.hit.signature.clone(),
            loc: t(&format!("{}:{}", m.hit.path, m.hit.line)),
            count: m.count,
        })
        .collect()
}

/// Next checks, once per root cause.
fn checks(r: &Report) -> Vec<Checks> {
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
    checks
}

/// Every input file.
fn files(r: &Report) -> Vec<FileRow> {
    r.files
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
        .collect()
}

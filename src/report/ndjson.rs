//! NDJSON: one JSON object per line, one per incident and one per hit, with Elastic Common
//! Schema field names (`@timestamp`, `log.file.path`, `service.name`, `event.kind`,
//! `rule.id`, ...) as flat dotted keys (as ecs-logging writes them), for loading into
//! Elasticsearch, Loki or BigQuery.
//!
//! Lines are in time order; an incident line sits at its start time, before the hits of
//! the same instant (warnings attached to it may come earlier). Keys are sorted
//! (`@timestamp` first). Undated hits come last, without `@timestamp` and with
//! `faultscope.undated: true`. Fields outside ECS live under `faultscope.`.

use super::Report;
use crate::analysis::findings::request_path;
use crate::analysis::incidents::Clusters;
use crate::catalog::{Catalog, Severity};
use crate::scan::ScanOutput;
use crate::time::rfc3339;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// ECS version the field names follow.
pub const ECS_VERSION: &str = "8.11.0";

fn severity_number(s: Severity) -> u8 {
    match s {
        Severity::Critical => 4,
        Severity::Error => 3,
        Severity::Warning => 2,
        Severity::Marker => 1,
    }
}

/// The status code after the request of an access-log line: `"GET / HTTP/1.1" 500 176`.
fn status_code(line: &str) -> Option<u16> {
    let q1 = line.find('"')?;
    let q2 = q1 + 1 + line[q1 + 1..].find('"')?;
    let code = line[q2 + 1..].split_whitespace().next()?;
    (code.len() == 3).then(|| code.parse().ok()).flatten()
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        if !v.is_null() {
            m.insert(k.to_string(), v);
        }
    }
    Value::Object(m)
}

/// A line with its sort key: (undated, time or MAX, 0 incident / 1 hit, index).
type Line = ((bool, i64, u8, usize), String);

/// Renders the NDJSON stream.
pub fn to_ndjson(r: &Report, scan: &ScanOutput, clusters: &Clusters, cat: &Catalog) -> String {
    let mut incident_of: BTreeMap<usize, usize> = BTreeMap::new();
    for inc in &clusters.incidents {
        for &h in &inc.hits {
            incident_of.insert(h, inc.id);
        }
    }
    // (time or MAX, 0 incident / 1 hit, index) → line
    let mut lines: Vec<Line> = Vec::new();
    incident_lines(&mut lines, r);
    hit_lines(&mut lines, scan, cat, &incident_of);
    lines.sort_by_key(|l| l.0);
    let mut out = String::new();
    if let Some(e) = &r.error {
        // The run's error (nothing could be scanned) as one event, first.
        let v = obj(vec![
            ("ecs.version", json!(ECS_VERSION)),
            ("event.kind", json!("event")),
            ("event.module", json!("faultscope")),
            ("event.dataset", json!("faultscope.error")),
            ("error.message", json!(e)),
        ]);
        out.push_str(&v.to_string());
        out.push('\n');
    }
    for (_, l) in lines {
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// One `faultscope.incident` line per incident, at its start time.
fn incident_lines(lines: &mut Vec<Line>, r: &Report) {
    for inc in &r.incidents {
        let root = &inc.root_cause;
        let v = obj(vec![
            ("@timestamp", json!(rfc3339(inc.start))),
            ("ecs.version", json!(ECS_VERSION)),
            ("event.kind", json!("alert")),
            ("event.module", json!("faultscope")),
            ("event.dataset", json!("faultscope.incident")),
            ("event.start", json!(rfc3339(inc.start))),
            ("event.end", json!(rfc3339(inc.end))),
            (
                "event.duration",
                json!((inc.end - inc.start).num_nanoseconds().unwrap_or(0)),
            ),
            ("event.severity", json!(severity_number(inc.severity))),
            ("log.level", json!(inc.severity.as_str())),
            ("rule.id", json!(root.signature)),
            ("rule.name", json!(root.title)),
            ("rule.category", json!(root.category)),
            ("rule.ruleset", json!("faultscope")),
            ("service.name", json!(inc.first_seen.service)),
            (
                "message",
                json!(format!(
                    "incident #{}: {} ({}) in {}, {} s",
                    inc.id,
                    root.signature,
                    root.title,
                    inc.services.join(", "),
                    inc.duration_seconds
                )),
            ),
            ("faultscope.incident.id", json!(inc.id)),
            ("faultscope.chain", json!(inc.chain)),
            ("faultscope.services", json!(inc.services)),
            ("faultscope.signatures", json!(inc.signatures)),
            (
                "faultscope.evidence",
                json!(inc
                    .evidence
                    .iter()
                    .map(|e| format!("{}:{}", e.path, e.line))
                    .collect::<Vec<_>>()),
            ),
            ("faultscope.next_checks", json!(inc.next_checks)),
            // The zone naive times were read in, its source and confidence: the header of
            // the other formats, carried by each incident line.
            ("faultscope.timezone", json!(r.assumed_timezone)),
            ("faultscope.timezone_source", json!(r.timezone_reason)),
            (
                "faultscope.timezone_confidence",
                json!(r.clock.naive_zones.first().and_then(|z| z.confidence)),
            ),
        ]);
        lines.push((
            (false, inc.start.timestamp_micros(), 0, inc.id),
            serde_json::to_string(&v).expect("serializes"),
        ));
    }
}

/// One `faultscope.hit` line per hit, with the incident that holds it (undated hits last).
fn hit_lines(
    lines: &mut Vec<Line>,
    scan: &ScanOutput,
    cat: &Catalog,
    incident_of: &BTreeMap<usize, usize>,
) {
    for (i, h) in scan.hits.iter().enumerate() {
        let s = &cat.signatures[h.sig as usize];
        let f = &scan.files[h.file as usize];
        let alert = s.severity != Severity::Marker && !s.noise;
        let access = f.format == Some(crate::time::Format::Clf);
        let v = obj(vec![
            (
                "@timestamp",
                h.time.map_or(Value::Null, |t| json!(rfc3339(t))),
            ),
            ("ecs.version", json!(ECS_VERSION)),
            ("event.kind", json!(if alert { "alert" } else { "event" })),
            ("event.module", json!("faultscope")),
            ("event.dataset", json!("faultscope.hit")),
            ("event.severity", json!(severity_number(s.severity))),
            ("log.level", json!(s.severity.as_str())),
            ("log.file.path", json!(f.path)),
            ("log.offset", json!(h.offset)),
            ("service.name", json!(f.service)),
            ("rule.id", json!(s.id)),
            ("rule.name", json!(s.title)),
            ("rule.category", json!(s.category)),
            ("rule.ruleset", json!("faultscope")),
            ("message", json!(h.excerpt)),
            (
                "url.path",
                if access {
                    request_path(&h.excerpt).map_or(Value::Null, |p| json!(p))
                } else {
                    Value::Null
                },
            ),
            (
                "http.response.status_code",
                if access {
                    status_code(&h.excerpt).map_or(Value::Null, |c| json!(c))
                } else {
                    Value::Null
                },
            ),
            ("faultscope.line", json!(h.line)),
            (
                "faultscope.incident.id",
                incident_of.get(&i).map_or(Value::Null, |id| json!(id)),
            ),
            (
                "faultscope.noise",
                if s.noise { json!(true) } else { Value::Null },
            ),
            (
                "faultscope.undated",
                if h.time.is_none() {
                    json!(true)
                } else {
                    Value::Null
                },
            ),
        ]);
        lines.push((
            (
                h.time.is_none(),
                h.time.map_or(i64::MAX, |t| t.timestamp_micros()),
                1,
                i,
            ),
            serde_json::to_string(&v).expect("serializes"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes() {
        assert_eq!(
            status_code(r#"1.2.3.4 - - [x] "GET / HTTP/1.1" 500 176 "-" "ua""#),
            Some(500)
        );
        assert_eq!(status_code("no quote"), None);
    }
}

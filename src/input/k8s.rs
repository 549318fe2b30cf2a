//! Kubernetes exports: `kubectl get events` dumps become records, `kubectl logs
//! --timestamps` prefixes give way to the app's lines, and a `kubectl cluster-info dump`
//! `logs.txt` splits into one service per container.
//!
//! Input: a file's bytes (recognised by content, [`sniff`]) and its modification time.
//! Output ([`Out`]):
//! * events (`-o json`, `-o yaml`, the `kubectl get events [-o wide]` table): one [`Event`]
//!   per occurrence, `<time> WARNING|INFO <reason> <Kind>/<namespace>/<name>: <message>`,
//!   service = the involved object's name (a pod's events meet its logs). Time: the last
//!   occurrence (`lastTimestamp`, `series.lastObservedTime`, `eventTime`). `count` N > 1
//!   is expanded into a rate: N records spread evenly from the first occurrence
//!   (`firstTimestamp`/`eventTime`) to the last, so the per-minute signal sees a
//!   crash-looping pod's BackOff as the rate it was, not one line (at most
//!   [`MAX_EXPANDED`] per event, with a note). The table's ages (`LAST SEEN` `5m`,
//!   `FIRST SEEN` in `-o wide`) are counted back from the file's modification time (when
//!   the command ran), and a note says so.
//! * `kubectl logs --timestamps` (and CRI files, `<stamp> stdout F <line>`): every line
//!   carries the RFC 3339 stamp, stack-trace lines too, which would make each frame its own
//!   record. A line whose app text is a continuation (starts with a space or tab,
//!   `Caused by:`, `... N more`) loses its prefix, so it continues the record above; other
//!   lines are kept whole (the stamp is the record's time, the rest the app's line). Only
//!   when the first 64 KiB show such a line: other files are left as they are.
//! * `cluster-info dump` `<namespace>/<pod>/logs.txt`: `==== START logs for container C of
//!   pod NS/P ====` blocks. The bytes stay; each block is a [`Part`] whose service is `P`
//!   (one container in the file) or `P/C` (several: a sidecar is not the app).
//!
//! Tricky cases: `count` may be absent (1) or 0; `eventTime` is null for core/v1 events and
//! set for events.k8s.io ones; a table row's message may hold runs of spaces: columns are
//! cut at the header's column starts.

use super::render::{Decoded, Event, Level, Part, Stamp};
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use std::time::SystemTime;

/// Most records one event's `count` expands into.
pub const MAX_EXPANDED: u64 = 10_000;

/// The forms recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    EventsJson,
    EventsYaml,
    EventsTable,
    TimestampedLogs,
    ClusterDumpLogs,
    /// `kubectl get pods|nodes -o json`, a dump's `pods.json`/`nodes.json`.
    ObjectsJson,
}

impl Kind {
    pub(super) fn what(self) -> &'static str {
        match self {
            Kind::EventsJson => "kubectl events JSON",
            Kind::EventsYaml => "kubectl events YAML",
            Kind::EventsTable => "kubectl events table",
            Kind::TimestampedLogs => "kubectl logs --timestamps",
            Kind::ClusterDumpLogs => "cluster-info dump logs",
            Kind::ObjectsJson => "kubectl pods/nodes JSON",
        }
    }
}

/// What decoding gives.
pub(super) enum Out {
    /// Records to render.
    Events(Decoded),
    /// New text and its parts.
    Text(Vec<u8>, Vec<Part>),
    /// The same bytes, cut into parts.
    Parts(Vec<Part>),
}

const DUMP_START: &str = "==== START logs for container ";

/// Which Kubernetes form `head` (a file's first bytes) is, if any.
pub(super) fn sniff(head: &[u8]) -> Option<Kind> {
    // Most logs start with a digit: only `kubectl logs --timestamps` can, and only when the
    // first line carries its RFC 3339 prefix (no text conversion, no second look otherwise:
    // this runs for every file).
    let start = head.iter().position(|c| !c.is_ascii_whitespace())?;
    if head[start].is_ascii_digit() {
        return (stamp_len(&head[start..]).is_some() && timestamped_continuations(head))
            .then_some(Kind::TimestampedLogs);
    }
    let text = String::from_utf8_lossy(head);
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if body.starts_with(DUMP_START) {
        return Some(Kind::ClusterDumpLogs);
    }
    if body.starts_with('{') {
        if text.contains("\"involvedObject\"") && text.contains("\"reason\"") {
            return Some(Kind::EventsJson);
        }
        let kind = |k: &str| {
            text.contains(&format!("\"kind\": \"{k}\""))
                || text.contains(&format!("\"kind\":\"{k}\""))
        };
        return (kind("PodList") || kind("NodeList") || kind("Pod") || kind("Node"))
            .then_some(Kind::ObjectsJson);
    }
    let first = body.lines().next().unwrap_or("");
    if (first.starts_with("apiVersion:")
        || first.starts_with("items:")
        || first.starts_with("kind:"))
        && text.contains("involvedObject:")
    {
        return Some(Kind::EventsYaml);
    }
    let cols: Vec<&str> = first
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    if cols.contains(&"LAST SEEN")
        && ["TYPE", "REASON", "OBJECT", "MESSAGE"]
            .iter()
            .all(|c| cols.contains(c))
    {
        return Some(Kind::EventsTable);
    }
    None
}

/// Decodes `buf` of kind `kind`; `mtime` anchors the table's relative ages.
pub(super) fn decode(buf: &[u8], kind: Kind, mtime: Option<SystemTime>, shown: &str) -> Out {
    match kind {
        Kind::EventsJson => match serde_json::from_slice::<Value>(buf) {
            Ok(v) => Out::Events(events_from_value(&v, shown)),
            Err(e) => Out::Events(bad(shown, kind, e.to_string())),
        },
        Kind::EventsYaml => {
            let text = String::from_utf8_lossy(buf);
            match yaml_rust2::YamlLoader::load_from_str(&text) {
                Ok(docs) => {
                    let v = Value::Array(docs.iter().map(yaml_to_json).collect());
                    Out::Events(events_from_value(&v, shown))
                }
                Err(e) => Out::Events(bad(shown, kind, e.to_string())),
            }
        }
        Kind::EventsTable => Out::Events(table(&String::from_utf8_lossy(buf), mtime, shown)),
        Kind::TimestampedLogs => Out::Text(strip_continuation_stamps(buf), Vec::new()),
        Kind::ClusterDumpLogs => Out::Parts(dump_parts(buf)),
        Kind::ObjectsJson => match serde_json::from_slice::<Value>(buf) {
            Ok(v) => Out::Events(objects(&v)),
            Err(e) => Out::Events(bad(shown, kind, e.to_string())),
        },
    }
}

/// Pods and nodes: what their status dates. A container's termination (`state` or
/// `lastState.terminated`, at `finishedAt`: `OOMKilled`, exit 137) is the record a
/// crash-looping pod leaves in a dump; a node's conditions (`lastTransitionTime`) say when
/// it went `Ready=False` or under `MemoryPressure`/`DiskPressure`/`PIDPressure`. Other
/// status fields carry no time and are left out.
fn objects(v: &Value) -> Decoded {
    let mut items = Vec::new();
    match v.get("items").and_then(Value::as_array) {
        Some(a) => items.extend(a.iter()),
        None => items.push(v),
    }
    let mut events = Vec::new();
    for it in items {
        let meta = it.get("metadata");
        let name = meta
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let ns = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            .map(|n| format!("{n}/"))
            .unwrap_or_default();
        let status = it.get("status");
        let service = (!name.is_empty()).then(|| name.to_string());
        for key in ["initContainerStatuses", "containerStatuses"] {
            let Some(cs) = status.and_then(|s| s.get(key)).and_then(Value::as_array) else {
                continue;
            };
            for c in cs {
                let cname = c.get("name").and_then(Value::as_str).unwrap_or_default();
                let restarts = c.get("restartCount").and_then(Value::as_u64).unwrap_or(0);
                for state in ["lastState", "state"] {
                    let Some(t) = c.get(state).and_then(|s| s.get("terminated")) else {
                        continue;
                    };
                    let str_of = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or_default();
                    let code = t.get("exitCode").and_then(Value::as_i64).unwrap_or(0);
                    let reason = str_of("reason");
                    let level = if code != 0 || reason == "OOMKilled" || reason == "Error" {
                        Level::Error
                    } else {
                        Level::Info
                    };
                    events.push(Event {
                        time: time_of(t.get("finishedAt")).map(Stamp::Utc),
                        level,
                        head: format!("Terminated Pod/{ns}{name}"),
                        message: format!(
                            "container {cname} terminated: reason={reason} exitCode={code} \
                             startedAt={} restartCount={restarts}{}",
                            str_of("startedAt"),
                            match str_of("message") {
                                "" => String::new(),
                                m => format!(" message={m}"),
                            }
                        ),
                        service: service.clone(),
                    });
                }
            }
        }
        let is_node = it.get("kind").and_then(Value::as_str) == Some("Node")
            || (status
                .is_some_and(|s| s.get("nodeInfo").is_some() || s.get("conditions").is_some())
                && it
                    .get("spec")
                    .is_some_and(|s| s.get("containers").is_none()));
        if !is_node {
            continue;
        }
        for c in status
            .and_then(|s| s.get("conditions"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let str_of = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or_default();
            let (ty, st) = (str_of("type"), str_of("status"));
            // `Ready` is the one node condition that is good when True.
            let bad = if ty == "Ready" {
                st != "True"
            } else {
                st == "True"
            };
            events.push(Event {
                time: time_of(c.get("lastTransitionTime")).map(Stamp::Utc),
                level: if bad { Level::Warning } else { Level::Info },
                head: format!(
                    "{} Node/{name}",
                    if str_of("reason").is_empty() {
                        "Condition"
                    } else {
                        str_of("reason")
                    }
                ),
                message: format!("condition {ty}={st}: {}", str_of("message")),
                service: service.clone(),
            });
        }
    }
    Decoded {
        events,
        notes: Vec::new(),
        problem: None,
    }
}

fn bad(shown: &str, kind: Kind, e: String) -> Decoded {
    Decoded {
        events: Vec::new(),
        notes: Vec::new(),
        problem: Some(crate::error::FileError::new(
            "corrupt-kubernetes-export",
            format!("{shown}: {} does not parse: {e}", kind.what()),
        )),
    }
}

/// YAML as JSON values (kubectl writes plain block YAML: scalars, maps, lists).
fn yaml_to_json(y: &yaml_rust2::Yaml) -> Value {
    use yaml_rust2::Yaml;
    match y {
        Yaml::Real(s) => s
            .parse::<f64>()
            .map_or(Value::String(s.clone()), Value::from),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(a) => Value::Array(a.iter().map(yaml_to_json).collect()),
        Yaml::Hash(h) => Value::Object(
            h.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), yaml_to_json(v))))
                .collect(),
        ),
        Yaml::Alias(_) | Yaml::Null | Yaml::BadValue => Value::Null,
    }
}

fn time_of(v: Option<&Value>) -> Option<DateTime<Utc>> {
    let s = v?.as_str()?;
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Every Event object in `v` (a list's `items`, a bare event, YAML documents).
fn collect_events<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| collect_events(x, out)),
        Value::Object(o) => {
            if o.contains_key("involvedObject") || o.contains_key("regarding") {
                out.push(v);
            } else if let Some(items) = o.get("items") {
                collect_events(items, out);
            }
        }
        _ => {}
    }
}

/// Events of a `kubectl get events -o json|yaml` dump (core/v1 or events.k8s.io/v1).
fn events_from_value(v: &Value, shown: &str) -> Decoded {
    let mut objs = Vec::new();
    collect_events(v, &mut objs);
    let mut events = Vec::new();
    let mut capped = 0u64;
    for e in objs {
        let obj = e.get("involvedObject").or_else(|| e.get("regarding"));
        let field = |k: &str| {
            obj.and_then(|o| o.get(k))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let series = e.get("series");
        let last = time_of(series.and_then(|s| s.get("lastObservedTime")))
            .or_else(|| time_of(e.get("lastTimestamp")))
            .or_else(|| time_of(e.get("eventTime")))
            .or_else(|| time_of(e.get("deprecatedLastTimestamp")))
            .or_else(|| time_of(e.get("firstTimestamp")));
        let first = time_of(e.get("firstTimestamp"))
            .or_else(|| time_of(e.get("deprecatedFirstTimestamp")))
            .or_else(|| time_of(e.get("eventTime")))
            .or(last);
        let count = series
            .and_then(|s| s.get("count"))
            .or_else(|| e.get("count"))
            .or_else(|| e.get("deprecatedCount"))
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .max(1);
        let text = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or_default();
        let level = match text("type") {
            "Warning" => Level::Warning,
            _ => Level::Info,
        };
        let name = field("name");
        let mut head = String::new();
        head.push_str(if text("reason").is_empty() {
            "Event"
        } else {
            text("reason")
        });
        head.push(' ');
        head.push_str(&field("kind"));
        head.push('/');
        let ns = field("namespace");
        if !ns.is_empty() {
            head.push_str(&ns);
            head.push('/');
        }
        head.push_str(&name);
        let message = text("message").or_else_note(e.get("note"));
        let (n, c) = expand(count, first, last);
        capped += c;
        for t in n {
            let mut message = message.clone();
            if count > 1 {
                message.push_str(&format!(" (x{count}"));
                if let Some(f) = first {
                    message.push_str(&format!(" since {}", crate::time::rfc3339(f)));
                }
                message.push(')');
            }
            events.push(Event {
                time: t.map(Stamp::Utc),
                level,
                head: head.clone(),
                message,
                service: (!name.is_empty()).then(|| name.clone()),
            });
        }
    }
    let notes = if capped > 0 {
        vec![format!(
            "{shown}: {capped} occurrence(s) beyond {MAX_EXPANDED} per event were not expanded into records"
        )]
    } else {
        Vec::new()
    };
    Decoded {
        events,
        notes,
        problem: None,
    }
}

trait OrNote {
    fn or_else_note(self, note: Option<&Value>) -> String;
}

impl OrNote for &str {
    /// events.k8s.io/v1 calls the message `note`.
    fn or_else_note(self, note: Option<&Value>) -> String {
        if self.is_empty() {
            note.and_then(Value::as_str).unwrap_or_default().to_string()
        } else {
            self.to_string()
        }
    }
}

/// The times of `count` occurrences spread evenly from `first` to `last` (one at `last` when
/// the span is unknown or empty), and how many were not expanded ([`MAX_EXPANDED`]).
fn expand(
    count: u64,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
) -> (Vec<Option<DateTime<Utc>>>, u64) {
    match (first, last) {
        (Some(f), Some(l)) if count > 1 && l > f => {
            let n = count.min(MAX_EXPANDED);
            let span = (l - f).num_milliseconds();
            let times = (0..n)
                .map(|i| Some(f + Duration::milliseconds(span * i as i64 / (n - 1) as i64)))
                .collect();
            (times, count - n)
        }
        _ => (vec![last.or(first)], 0),
    }
}

/// A kubectl age (`45s`, `5m30s`, `3h`, `2d5h`, `3y20d`) as a duration.
fn age(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() || !s.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    let mut total = Duration::zero();
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: i64 = num.parse().ok()?;
        num.clear();
        total += match c {
            's' => Duration::seconds(n),
            'm' => Duration::minutes(n),
            'h' => Duration::hours(n),
            'd' => Duration::days(n),
            'y' => Duration::days(365 * n),
            _ => return None,
        };
    }
    num.is_empty().then_some(total)
}

/// The `kubectl get events [-A] [-o wide]` table: columns cut at the header's column starts.
fn table(text: &str, mtime: Option<SystemTime>, shown: &str) -> Decoded {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().unwrap_or_default();
    // Column starts: a header word after two or more spaces (or at 0).
    let mut starts: Vec<(usize, String)> = Vec::new();
    let hb = header.as_bytes();
    let mut i = 0;
    while i < hb.len() {
        if hb[i] != b' ' && (i == 0 || (i >= 2 && hb[i - 1] == b' ' && hb[i - 2] == b' ')) {
            let end = header[i..].find("  ").map_or(header.len(), |e| i + e);
            starts.push((i, header[i..end].trim().to_string()));
            i = end;
        } else {
            i += 1;
        }
    }
    let col = |row: &str, name: &str| -> Option<String> {
        let k = starts.iter().position(|(_, n)| n == name)?;
        let from = starts[k].0;
        let to = starts.get(k + 1).map_or(usize::MAX, |s| s.0);
        let chars: Vec<char> = row.chars().collect();
        let cell: String = chars
            .get(from.min(chars.len())..to.min(chars.len()))
            .map(|c| c.iter().collect())
            .unwrap_or_default();
        Some(cell.trim().to_string())
    };
    let anchor = mtime.map(DateTime::<Utc>::from);
    let mut events = Vec::new();
    let mut undatable = 0;
    for row in lines {
        let last = col(row, "LAST SEEN").and_then(|a| age(&a));
        let first = col(row, "FIRST SEEN").and_then(|a| age(&a));
        let count = col(row, "COUNT")
            .and_then(|c| c.parse::<u64>().ok())
            .unwrap_or(1)
            .max(1);
        let (last, first) = match anchor {
            Some(a) => (last.map(|d| a - d), first.map(|d| a - d)),
            None => (None, None),
        };
        if last.is_none() {
            undatable += 1;
        }
        let object = col(row, "OBJECT").unwrap_or_default();
        let name = object.rsplit('/').next().unwrap_or_default().to_string();
        let ns = col(row, "NAMESPACE").filter(|n| !n.is_empty());
        let (kind, obj_name) = object.split_once('/').unwrap_or(("", object.as_str()));
        let head = format!(
            "{} {}/{}{}",
            col(row, "REASON").unwrap_or_default(),
            kind_title(kind),
            ns.map(|n| format!("{n}/")).unwrap_or_default(),
            obj_name
        );
        let level = match col(row, "TYPE").as_deref() {
            Some("Warning") => Level::Warning,
            _ => Level::Info,
        };
        let message = col(row, "MESSAGE").unwrap_or_default();
        let (times, _) = expand(count, first.or(last), last);
        for t in times {
            let mut m = message.clone();
            if count > 1 {
                m.push_str(&format!(" (x{count})"));
            }
            events.push(Event {
                time: t.map(Stamp::Utc),
                level,
                head: head.clone(),
                message: m,
                service: (!name.is_empty()).then(|| name.clone()),
            });
        }
    }
    let mut notes = vec![format!(
        "{shown}: the table's ages were counted back from the file's modification time{}",
        anchor.map_or(String::new(), |a| format!(" ({})", crate::time::rfc3339(a)))
    )];
    if undatable > 0 {
        notes.push(format!(
            "{shown}: {undatable} row(s) without a readable age"
        ));
    }
    Decoded {
        events,
        notes,
        problem: None,
    }
}

/// `pod` → `Pod`, `replicaset` → `ReplicaSet` (the table writes kinds in lower case).
fn kind_title(kind: &str) -> String {
    match kind {
        "pod" => "Pod".into(),
        "node" => "Node".into(),
        "deployment" => "Deployment".into(),
        "replicaset" => "ReplicaSet".into(),
        "statefulset" => "StatefulSet".into(),
        "daemonset" => "DaemonSet".into(),
        "job" => "Job".into(),
        "cronjob" => "CronJob".into(),
        "service" => "Service".into(),
        other => other.to_string(),
    }
}

/// Length of an RFC 3339 stamp (`Z` or an offset, 0-9 fraction digits) at the start of
/// `line`, followed by a space.
fn stamp_len(line: &[u8]) -> Option<usize> {
    let d = |i: usize| line.get(i).is_some_and(u8::is_ascii_digit);
    let fixed = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    if !fixed.iter().all(|&i| d(i))
        || line.get(4) != Some(&b'-')
        || line.get(10) != Some(&b'T')
        || line.get(13) != Some(&b':')
    {
        return None;
    }
    let mut i = 19;
    if line.get(i) == Some(&b'.') {
        i += 1;
        while d(i) {
            i += 1;
        }
    }
    match line.get(i) {
        Some(b'Z') => i += 1,
        Some(b'+' | b'-') if line.len() >= i + 6 && line[i + 3] == b':' => i += 6,
        _ => return None,
    }
    (line.get(i) == Some(&b' ')).then_some(i + 1)
}

/// The app's part of a prefixed line: after the stamp, and after CRI's `stdout F `.
fn app_part(line: &[u8], at: usize) -> usize {
    let rest = &line[at..];
    for p in [&b"stdout F "[..], b"stderr F ", b"stdout P ", b"stderr P "] {
        if rest.starts_with(p) {
            return at + p.len();
        }
    }
    at
}

/// Whether an app line continues the record above: stack frames, `Caused by:`, `... N
/// more`, and an exception header (`java.net.SocketTimeoutException: Read timed out`: a
/// dotted class name ending in `Exception` or `Error`, then `:` or the line's end).
fn continues(app: &[u8]) -> bool {
    if matches!(app.first(), Some(b' ' | b'\t'))
        || app.starts_with(b"Caused by:")
        || app.starts_with(b"... ")
    {
        return true;
    }
    let app = app.strip_suffix(b"\n").unwrap_or(app);
    let app = app.strip_suffix(b"\r").unwrap_or(app);
    let end = app.iter().position(|&c| c == b':').unwrap_or(app.len());
    let class = &app[..end];
    class.contains(&b'.')
        && class.first().is_some_and(u8::is_ascii_lowercase)
        && (class.ends_with(b"Exception") || class.ends_with(b"Error"))
        && class
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'$' | b'_'))
}

/// Whether the first 64 KiB hold stamped continuation lines (see the module docs).
fn timestamped_continuations(head: &[u8]) -> bool {
    let mut stamped = 0;
    let mut lines = 0;
    let mut cont = false;
    for line in head.split(|&c| c == b'\n').take(2000) {
        if line.is_empty() {
            continue;
        }
        lines += 1;
        if let Some(n) = stamp_len(line) {
            stamped += 1;
            cont |= continues(&line[app_part(line, n)..]);
        }
    }
    cont && stamped * 10 >= lines * 9
}

/// `kubectl logs --timestamps` text with the stamp removed from continuation lines.
fn strip_continuation_stamps(buf: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(buf.len());
    for line in buf.split_inclusive(|&c| c == b'\n') {
        match stamp_len(line) {
            Some(n) => {
                let app = app_part(line, n);
                if continues(&line[app..]) {
                    out.extend_from_slice(&line[app..]);
                } else {
                    out.extend_from_slice(line);
                }
            }
            None => out.extend_from_slice(line),
        }
    }
    out
}

/// The parts of a cluster-info dump `logs.txt`: one per `==== START logs for container C of
/// pod NS/P ====` block.
fn dump_parts(buf: &[u8]) -> Vec<Part> {
    let mut blocks: Vec<(usize, String, String)> = Vec::new();
    let mut pos = 0;
    for line in buf.split_inclusive(|&c| c == b'\n') {
        if let Some(rest) = line.strip_prefix(DUMP_START.as_bytes()) {
            let rest = String::from_utf8_lossy(rest);
            let rest = rest.trim_end().trim_end_matches('=').trim();
            if let Some((container, pod)) = rest.split_once(" of pod ") {
                let pod = pod.rsplit('/').next().unwrap_or(pod);
                blocks.push((pos, pod.to_string(), container.to_string()));
            }
        }
        pos += line.len();
    }
    let several = blocks.len() > 1;
    blocks
        .into_iter()
        .map(|(start, pod, container)| Part {
            start,
            service: Some(if several {
                format!("{pod}/{container}")
            } else {
                pod
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_terminations_and_node_conditions_are_records() {
        let v: Value = serde_json::from_str(
            r#"{"kind":"PodList","items":[{"metadata":{"name":"web-1","namespace":"shop"},
            "spec":{"containers":[{"name":"web"}]},
            "status":{"containerStatuses":[{"name":"web","restartCount":4,
              "state":{"waiting":{"reason":"CrashLoopBackOff"}},
              "lastState":{"terminated":{"exitCode":137,"reason":"OOMKilled",
                "startedAt":"2024-05-14T09:01:40Z","finishedAt":"2024-05-14T09:05:02Z"}}}]}},
            {"kind":"Node","metadata":{"name":"node-a"},"spec":{},"status":{"conditions":[
              {"type":"MemoryPressure","status":"True","lastTransitionTime":"2024-05-14T09:04:00Z","reason":"KubeletHasInsufficientMemory","message":"kubelet has insufficient memory available"},
              {"type":"Ready","status":"True","lastTransitionTime":"2024-05-14T07:00:00Z","reason":"KubeletReady","message":"ok"}]}}]}"#,
        )
        .unwrap();
        let d = objects(&v);
        let got: Vec<(Level, &str, Option<&str>)> = d
            .events
            .iter()
            .map(|e| (e.level, e.head.as_str(), e.service.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (Level::Error, "Terminated Pod/shop/web-1", Some("web-1")),
                (
                    Level::Warning,
                    "KubeletHasInsufficientMemory Node/node-a",
                    Some("node-a")
                ),
                (Level::Info, "KubeletReady Node/node-a", Some("node-a")),
            ]
        );
        assert!(d.events[0]
            .message
            .contains("reason=OOMKilled exitCode=137"));
    }

    #[test]
    fn ages() {
        assert_eq!(age("45s"), Some(Duration::seconds(45)));
        assert_eq!(age("5m30s"), Some(Duration::seconds(330)));
        assert_eq!(age("2d5h"), Some(Duration::hours(53)));
        assert_eq!(age("<unknown>"), None);
        assert_eq!(age("5x"), None);
    }

    #[test]
    fn count_expands_evenly() {
        let f: DateTime<Utc> = "2024-05-14T09:00:00Z".parse().unwrap();
        let l: DateTime<Utc> = "2024-05-14T09:10:00Z".parse().unwrap();
        let (t, capped) = expand(11, Some(f), Some(l));
        assert_eq!(t.len(), 11);
        assert_eq!(capped, 0);
        assert_eq!(t[0], Some(f));
        assert_eq!(t[10], Some(l));
        assert_eq!(t[1], Some(f + Duration::minutes(1)));
        let (t, capped) = expand(MAX_EXPANDED + 5, Some(f), Some(l));
        assert_eq!((t.len() as u64, capped), (MAX_EXPANDED, 5));
        assert_eq!(expand(3, None, Some(l)).0, vec![Some(l)]);
    }

    #[test]
    fn continuation_stamps_are_stripped() {
        let buf =
            b"2024-05-14T09:12:01.123456789Z 2024-05-14 09:12:01.123 ERROR [main] c.e.App - boom\n\
2024-05-14T09:12:01.123456789Z java.lang.IllegalStateException: x\n\
2024-05-14T09:12:01.123456789Z \tat c.e.App.run(App.java:1)\n\
2024-05-14T09:12:01.1234Z Caused by: java.net.ConnectException: refused\n\
2024-05-14T09:12:02Z stdout F \tat c.e.B\n";
        assert!(timestamped_continuations(buf));
        let out = String::from_utf8(strip_continuation_stamps(buf)).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("2024-05-14T09:12:01.123456789Z 2024-05-14"));
        assert_eq!(lines[1], "java.lang.IllegalStateException: x");
        assert_eq!(lines[2], "\tat c.e.App.run(App.java:1)");
        assert_eq!(lines[3], "Caused by: java.net.ConnectException: refused");
        assert_eq!(lines[4], "\tat c.e.B");
        // An ISO-stamped log without stamped continuation lines is left alone.
        assert!(!timestamped_continuations(
            b"2024-05-14T09:12:01.123Z ERROR x\n\tat y\n2024-05-14T09:12:02Z INFO z\n"
        ));
    }

    #[test]
    fn dump_parts_by_container() {
        let buf = b"==== START logs for container app of pod shop/web-1 ====\nline\n==== END logs for container app of pod shop/web-1 ====\n==== START logs for container istio-proxy of pod shop/web-1 ====\nx\n";
        let p = dump_parts(buf);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].start, 0);
        assert_eq!(p[1].service.as_deref(), Some("web-1/istio-proxy"));
        let one = dump_parts(b"==== START logs for container app of pod shop/web-1 ====\nline\n");
        assert_eq!(one[0].service.as_deref(), Some("web-1"));
    }

    #[test]
    fn sniffs() {
        assert_eq!(
            sniff(b"LAST SEEN   TYPE      REASON    OBJECT        MESSAGE\n5m  Warning  BackOff  pod/web-1  Back-off\n"),
            Some(Kind::EventsTable)
        );
        assert_eq!(
            sniff(b"{\n    \"apiVersion\": \"v1\",\n    \"items\": [{\"involvedObject\": {}, \"reason\": \"x\"}]}"),
            Some(Kind::EventsJson)
        );
        assert_eq!(
            sniff(b"apiVersion: v1\nitems:\n- involvedObject:\n    kind: Pod\n"),
            Some(Kind::EventsYaml)
        );
        assert_eq!(sniff(b"{\"level\":\"error\",\"reason\":\"x\"}"), None);
        assert_eq!(
            sniff(b"{\n    \"kind\": \"PodList\",\n    \"items\": []}"),
            Some(Kind::ObjectsJson)
        );
        assert_eq!(sniff(b"2024-05-14T09:12:01Z INFO x\n"), None);
    }
}

//! Windows event records, from any of the forms an engineer hands over, into [`Event`]s.
//!
//! Input: one record as the `evtx` crate's JSON ([`from_json`], see `evtx.rs`), or the text
//! of an export recognised by content ([`sniff`], [`decode`]): `wevtutil qe /f:text`
//! (`Event[0]:` blocks), `wevtutil qe /f:xml` / `/f:RenderedXml` and Event Viewer's "Save as
//! XML" (`<Event xmlns=...>`), `Get-WinEvent | Format-List` (and `Get-EventLog | fl`), Event
//! Viewer's CSV (`Level,Date and Time,Source,Event ID,Task Category`) and PowerShell's
//! `Export-Csv` (`"TimeCreated","ProviderName","Id",...`). Output: one [`Event`] per record,
//! rendered (`render.rs`) as `<stamp> <LEVEL> <Provider>[<EventID>]: <message>`, the same
//! whatever the form, so a catalog entry's `event` (provider + ids) and its text patterns
//! match all of them.
//!
//! Tricky cases:
//! * An `.evtx` file holds no message text (that lives in the provider's message DLL on the
//!   machine that wrote it): the message is `RenderingInfo/Message` when the record carries
//!   one (forwarded events, RenderedXml), else the event data as `Name=value` pairs
//!   (unnamed `<Data>` as `param1=`, `param2=`, ... as Windows numbers them).
//! * Exports write *local* time without a zone (`8/21/2019 8:47:10 AM`,
//!   `Date: 2019-05-26T10:21:11.251`): those stamps stay naive ([`Stamp::Naive`]) so
//!   `--tz`/`--tz-for` apply. Dates with a `/` and AM/PM are US `M/d/yyyy`; a `/` on a 24-hour
//!   clock is `d/M/yyyy` (en-GB, fr, es, it...); dots are `d.M.yyyy` (de, ru...).
//! * Level words are localised in exports (`信息`, `Avertissement`): a known English word
//!   or a level number (`Level : 3`) gives the level; anything else, and an export that
//!   names none (`Format-List`), renders as `EVENT` (no level: `INFO` would make the
//!   catalog refuse the record's error matches).
//! * Security audit records have level 0 (LogAlways): a failure (keyword bit
//!   0x10000000000000, "Audit Failure") reads as WARNING, a success as INFO.

use super::render::{Decoded, Event, Level, Stamp};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde_json::Value;

/// One Windows event, whatever form it came in.
#[derive(Clone, Debug, Default)]
pub(super) struct WinRecord {
    pub provider: String,
    pub id: Option<u32>,
    pub level: Option<Level>,
    pub time: Option<Stamp>,
    pub message: Option<String>,
    /// Event data: `(name, value)`; unnamed values are named `param1`, `param2`, ...
    pub data: Vec<(String, String)>,
}

impl WinRecord {
    /// The record as an [`Event`] of the file's own service.
    pub(super) fn into_event(self) -> Event {
        let head = match self.id {
            Some(id) => format!("{}[{id}]", self.provider),
            None => self.provider.clone(),
        };
        let message = match self.message.filter(|m| !m.trim().is_empty()) {
            Some(m) => m,
            None => data_text(&self.data),
        };
        Event {
            time: self.time,
            level: self.level.unwrap_or(Level::Unnamed),
            head,
            message,
            service: None,
        }
    }
}

/// Event data as `Name=value` pairs; a value with a space is quoted, a multi-line value
/// keeps its lines (continuation lines of the record).
fn data_text(data: &[(String, String)]) -> String {
    let mut out = String::new();
    for (k, v) in data {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(k);
        out.push('=');
        if v.contains([' ', '\t']) && !v.contains('\n') && !v.contains('"') {
            out.push('"');
            out.push_str(v);
            out.push('"');
        } else {
            out.push_str(v);
        }
    }
    out
}

/// A level from a Windows level number (1 critical ... 5 verbose; 0 LogAlways) and the
/// keywords (audit failure / success bits).
fn level_of(n: Option<u64>, keywords: Option<u64>) -> Option<Level> {
    const AUDIT_FAILURE: u64 = 0x0010_0000_0000_0000;
    match n? {
        1 => Some(Level::Critical),
        2 => Some(Level::Error),
        3 => Some(Level::Warning),
        4 => Some(Level::Info),
        5 => Some(Level::Debug),
        0 if keywords.is_some_and(|k| k & AUDIT_FAILURE != 0) => Some(Level::Warning),
        _ => Some(Level::Info),
    }
}

/// A level from an export's word (`Warning`, `Error`, `Audit Failure`) or number.
fn level_word(w: &str) -> Option<Level> {
    let w = w.trim();
    if let Ok(n) = w.parse::<u64>() {
        return level_of(Some(n), None);
    }
    Some(match w.to_ascii_lowercase().as_str() {
        "critical" => Level::Critical,
        "error" => Level::Error,
        "warning" | "failureaudit" | "audit failure" => Level::Warning,
        "verbose" => Level::Debug,
        "information" | "informational" | "info" | "successaudit" | "audit success" => Level::Info,
        // A localised word (`Avertissement`, `信息`): unknown, not informational.
        _ => Level::Unnamed,
    })
}

// ---------------------------------------------------------------------------------------
// The evtx crate's JSON (and, through `from_xml`, the same shape from XML exports).

/// A JSON node's text: a string, a number, or `{"#text": ...}` (an element with attributes).
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(o) => o.get("#text").and_then(text_of),
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().filter_map(text_of).collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
        Value::Null => None,
    }
}

fn attr<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.get("#attributes")?.get(name)
}

fn number(v: Option<&Value>) -> Option<u64> {
    let t = text_of(v?)?;
    let t = t.trim();
    match t.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => t.parse().ok(),
    }
}

/// An ISO 8601 stamp as the event log writes it: `2017-07-12T17:16:28.2141616Z` (UTC), or
/// without a zone (local time in text exports).
pub(super) fn iso_stamp(s: &str) -> Option<Stamp> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(Stamp::Utc(t.with_timezone(&Utc)));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(Stamp::Naive(t));
        }
    }
    None
}

/// One record from the evtx crate's JSON (`{"Event": {"System": ..., "EventData": ...}}`).
pub(super) fn from_json(v: &Value) -> WinRecord {
    let ev = v.get("Event").unwrap_or(v);
    let sys = ev.get("System").unwrap_or(&Value::Null);
    let provider = sys
        .get("Provider")
        .and_then(|p| attr(p, "Name").or_else(|| attr(p, "EventSourceName")))
        .and_then(text_of)
        .unwrap_or_default();
    let keywords = number(sys.get("Keywords"));
    let time = sys
        .get("TimeCreated")
        .and_then(|t| attr(t, "SystemTime"))
        .and_then(text_of)
        .and_then(|s| iso_stamp(&s));
    let message = ev
        .get("RenderingInfo")
        .and_then(|r| r.get("Message"))
        .and_then(text_of);
    let mut data = Vec::new();
    for key in ["EventData", "UserData"] {
        if let Some(d) = ev.get(key) {
            flatten(d, "", &mut data);
        }
    }
    WinRecord {
        provider,
        id: number(sys.get("EventID")).and_then(|n| u32::try_from(n).ok()),
        level: level_of(number(sys.get("Level")), keywords),
        time,
        message,
        data,
    }
}

/// Event data as pairs: named values by name, an unnamed `Data` list as `param1`...,
/// nested `UserData` elements by their leaf names; `Binary` is cut short.
fn flatten(v: &Value, name: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(o) => {
            if let Some(t) = o.get("#text") {
                // `<Data>` without names: `{"Data": {"#text": [..]}}`.
                match t {
                    Value::Array(a) if name == "Data" || name.is_empty() => {
                        for (i, x) in a.iter().enumerate() {
                            if let Some(s) = text_of(x) {
                                out.push((format!("param{}", i + 1), s));
                            }
                        }
                    }
                    t => {
                        if let Some(s) = text_of(t) {
                            out.push((param_name(name, out.len()), s));
                        }
                    }
                }
                return;
            }
            for (k, x) in o {
                if k == "#attributes" || k.ends_with("_attributes") {
                    continue;
                }
                flatten(x, k, out);
            }
        }
        Value::Array(a) => {
            for x in a {
                flatten(x, name, out);
            }
        }
        Value::Null => {}
        other => {
            if let Some(mut s) = text_of(other) {
                if name == "Binary" && s.len() > 64 {
                    s.truncate(64);
                    // ASCII: one non-ASCII byte on a line makes the catalog automaton's lazy
                    // DFA give up (Unicode word boundaries) for the slow PikeVM; with `…` on
                    // every Binary line the real system.evtx took 37 s to scan, 0.3 s now.
                    s.push_str("...");
                }
                out.push((param_name(name, out.len()), s));
            }
        }
    }
}

fn param_name(name: &str, n: usize) -> String {
    if name.is_empty() || name == "Data" {
        format!("param{}", n + 1)
    } else {
        name.to_string()
    }
}

// ---------------------------------------------------------------------------------------
// Text exports.

/// The export forms recognised by content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// `wevtutil qe LOG /f:text`.
    WevtutilText,
    /// `<Event xmlns=...>` elements (wevtutil `/f:xml`, Event Viewer "Save as XML").
    Xml,
    /// `Get-WinEvent | Format-List` / `Get-EventLog | Format-List`.
    FormatList,
    /// Event Viewer "Save as CSV" or PowerShell `Export-Csv`.
    Csv,
}

impl Kind {
    pub(super) fn what(self) -> &'static str {
        match self {
            Kind::WevtutilText => "wevtutil text",
            Kind::Xml => "Windows event XML",
            Kind::FormatList => "Get-WinEvent Format-List",
            Kind::Csv => "Windows event CSV",
        }
    }
}

/// Which export `head` (a file's first bytes) starts, if any. Looks at the first non-blank
/// line (a few bytes for every file).
pub(super) fn sniff(head: &[u8]) -> Option<Kind> {
    let text = String::from_utf8_lossy(&head[..head.len().min(4096)]);
    let text = text.trim_start_matches('\u{feff}');
    let first = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    if first.starts_with("Event[") && first.ends_with("]:") {
        return Some(Kind::WevtutilText);
    }
    if first.starts_with('<') {
        let body = text.trim_start();
        let body = match body.strip_prefix("<?xml") {
            Some(rest) => rest.split_once("?>").map_or("", |(_, r)| r).trim_start(),
            None => body,
        };
        if (body.starts_with("<Event ")
            || body.starts_with("<Events>")
            || body.starts_with("<Event>"))
            && text.contains("<System>")
        {
            return Some(Kind::Xml);
        }
        return None;
    }
    if first.starts_with("#TYPE ") || first.contains(',') {
        let header = if first.starts_with("#TYPE ") {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .nth(1)?
        } else {
            first
        };
        let cols = csv_row(header);
        return csv_columns(&cols).map(|_| Kind::Csv);
    }
    if let Some((k, _)) = first.split_once(':') {
        let k = k.trim();
        if matches!(
            k,
            "TimeCreated" | "ProviderName" | "Message" | "Index" | "Id"
        ) && (text.contains("\nProviderName ") || text.contains("\nSource "))
            && (text.contains("TimeCreated ") || text.contains("TimeGenerated "))
        {
            return Some(Kind::FormatList);
        }
    }
    None
}

/// Decodes an export of kind `kind`.
pub(super) fn decode(buf: &[u8], kind: Kind, shown: &str) -> Decoded {
    let text = String::from_utf8_lossy(buf);
    let text = text.trim_start_matches('\u{feff}');
    let mut notes = Vec::new();
    let records = match kind {
        Kind::WevtutilText => wevtutil_text(text),
        Kind::FormatList => format_list(text),
        Kind::Csv => csv(text),
        Kind::Xml => match xml(text) {
            Ok(r) => r,
            Err(e) => {
                return Decoded {
                    events: Vec::new(),
                    notes,
                    problem: Some(crate::error::FileError::new(
                        "corrupt-xml",
                        format!("{shown}: Windows event XML does not parse: {e}"),
                    )),
                }
            }
        },
    };
    let unnamed = records.iter().filter(|r| r.provider.is_empty()).count();
    if unnamed > 0 {
        notes.push(format!(
            "{shown}: {unnamed} record(s) without a provider name"
        ));
    }
    Decoded {
        events: records.into_iter().map(WinRecord::into_event).collect(),
        notes,
        problem: None,
    }
}

/// `wevtutil qe LOG /f:text`: `Event[N]:` blocks of `  Key: value` lines, the description
/// after `  Description:` running to the next block.
fn wevtutil_text(text: &str) -> Vec<WinRecord> {
    let mut out = Vec::new();
    let mut cur: Option<WinRecord> = None;
    let mut in_desc = false;
    let mut desc = String::new();
    let flush = |cur: &mut Option<WinRecord>, desc: &mut String, out: &mut Vec<WinRecord>| {
        if let Some(mut r) = cur.take() {
            let d = desc.trim();
            if !d.is_empty() {
                r.message = Some(d.to_string());
            }
            out.push(r);
        }
        desc.clear();
    };
    for line in text.lines() {
        let t = line.trim_end();
        if t.starts_with("Event[") && t.ends_with("]:") {
            flush(&mut cur, &mut desc, &mut out);
            cur = Some(WinRecord::default());
            in_desc = false;
            continue;
        }
        let Some(r) = cur.as_mut() else { continue };
        if in_desc {
            desc.push_str(t);
            desc.push('\n');
            continue;
        }
        let Some((k, v)) = t.trim_start().split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k.trim() {
            "Source" => r.provider = v.to_string(),
            "Event ID" => r.id = v.parse().ok(),
            "Level" => r.level = level_word(v),
            "Date" => r.time = iso_stamp(v),
            "Description" => {
                in_desc = true;
                if !v.is_empty() {
                    desc.push_str(v);
                    desc.push('\n');
                }
            }
            _ => {}
        }
    }
    flush(&mut cur, &mut desc, &mut out);
    out
}

/// A date as Windows tools print it in the machine's locale: `8/21/2019 8:47:10 AM` (US),
/// `21/08/2019 08:47:10` (24-hour slash: day first), `21.08.2019 08:47:10`, or ISO.
pub(super) fn local_stamp(s: &str) -> Option<Stamp> {
    let s = s.trim();
    if let Some(st) = iso_stamp(s) {
        return Some(st);
    }
    let (date, rest) = s.split_once(' ')?;
    let rest = rest.trim();
    let (clock, pm) = match rest.rsplit_once(' ') {
        Some((c, ap)) if ap.eq_ignore_ascii_case("AM") => (c, Some(false)),
        Some((c, ap)) if ap.eq_ignore_ascii_case("PM") => (c, Some(true)),
        _ => (rest, None),
    };
    let sep = if date.contains('/') { '/' } else { '.' };
    let f: Vec<u32> = date
        .split(sep)
        .filter_map(|x| x.trim().parse().ok())
        .collect();
    let [a, b, y] = f[..] else { return None };
    let (m, d) = if sep == '/' && pm.is_some() {
        (a, b)
    } else {
        (b, a)
    };
    let date = NaiveDate::from_ymd_opt(y as i32, m, d)?;
    let mut t = NaiveTime::parse_from_str(clock, "%H:%M:%S%.f")
        .or_else(|_| NaiveTime::parse_from_str(clock, "%H:%M"))
        .ok()?;
    if let Some(pm) = pm {
        use chrono::Timelike;
        let h = t.hour() % 12 + if pm { 12 } else { 0 };
        t = t.with_hour(h)?;
    }
    Some(Stamp::Naive(date.and_time(t)))
}

/// `Get-WinEvent | Format-List` (and `Get-EventLog | fl`): blocks of `Key : value` lines
/// separated by blank lines; a long value wraps onto lines indented to its column.
fn format_list(text: &str) -> Vec<WinRecord> {
    let mut out = Vec::new();
    let mut fields: Vec<(String, String)> = Vec::new();
    let finish = |fields: &mut Vec<(String, String)>, out: &mut Vec<WinRecord>| {
        if fields.is_empty() {
            return;
        }
        let get = |names: &[&str]| {
            fields
                .iter()
                .find(|(k, _)| names.contains(&k.as_str()))
                .map(|(_, v)| v.trim().to_string())
        };
        let r = WinRecord {
            provider: get(&["ProviderName", "Source"]).unwrap_or_default(),
            id: get(&["Id", "EventID"]).and_then(|v| v.parse().ok()),
            level: get(&["LevelDisplayName", "EntryType", "Level"]).and_then(|v| level_word(&v)),
            time: get(&["TimeCreated", "TimeGenerated"]).and_then(|v| local_stamp(&v)),
            message: get(&["Message"]),
            data: Vec::new(),
        };
        fields.clear();
        if !r.provider.is_empty() || r.time.is_some() {
            out.push(r);
        }
    };
    for line in text.lines() {
        let l = line.trim_end();
        if l.trim().is_empty() {
            finish(&mut fields, &mut out);
            continue;
        }
        let key_line = !l.starts_with(' ')
            && l.split_once(" : ")
                .or_else(|| l.split_once(" :"))
                .is_some_and(|(k, _)| !k.trim().is_empty() && !k.trim().contains(' '));
        if key_line {
            let (k, v) = l
                .split_once(" : ")
                .or_else(|| l.split_once(" :"))
                .unwrap_or((l, ""));
            fields.push((k.trim().to_string(), v.trim().to_string()));
        } else if let Some((_, v)) = fields.last_mut() {
            // A wrapped or multi-line value: its lines are indented to the value column.
            v.push('\n');
            v.push_str(l.trim());
        }
    }
    finish(&mut fields, &mut out);
    // A wrapped message was cut at the console width: its lines are one text.
    for r in &mut out {
        if let Some(m) = &mut r.message {
            *m = m.lines().map(str::trim).collect::<Vec<_>>().join(" ");
        }
    }
    out
}

/// One CSV row (RFC 4180 quoting; for header lines).
fn csv_row(line: &str) -> Vec<String> {
    let mut rows = csv_rows(line);
    rows.pop().unwrap_or_default()
}

/// CSV rows: quoted fields may hold commas, `""` and newlines.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                if row.iter().any(|f| !f.is_empty()) {
                    rows.push(std::mem::take(&mut row));
                }
                row.clear();
            }
            (false, c) => field.push(c),
        }
    }
    row.push(field);
    if row.iter().any(|f| !f.is_empty()) {
        rows.push(row);
    }
    rows
}

/// Column indexes of (time, source, id, level, message) in a header, if it is an event
/// export's: Event Viewer's `Level,Date and Time,Source,Event ID,Task Category` (the
/// message is the unnamed sixth column) or `Export-Csv`'s property names.
fn csv_columns(cols: &[String]) -> Option<[Option<usize>; 5]> {
    let find = |names: &[&str]| {
        cols.iter()
            .position(|c| names.iter().any(|n| c.trim().eq_ignore_ascii_case(n)))
    };
    let time = find(&["Date and Time", "TimeCreated", "TimeGenerated"])?;
    let source = find(&["Source", "ProviderName"])?;
    let id = find(&["Event ID", "Id", "EventID"])?;
    let level = find(&["LevelDisplayName", "EntryType"]).or_else(|| find(&["Level"]));
    let message = find(&["Message", "Description"]).or_else(|| {
        // Event Viewer: the message column has no name.
        (cols.len() == 5 && cols[4].trim().eq_ignore_ascii_case("Task Category")).then_some(5)
    });
    Some([Some(time), Some(source), Some(id), level, message])
}

/// Event Viewer "Save as CSV" and `Export-Csv` rows.
fn csv(text: &str) -> Vec<WinRecord> {
    let mut rows = csv_rows(text).into_iter();
    let mut header = rows.next().unwrap_or_default();
    if header.first().is_some_and(|h| h.starts_with("#TYPE")) {
        header = rows.next().unwrap_or_default();
    }
    let Some([time, source, id, level, message]) = csv_columns(&header) else {
        return Vec::new();
    };
    fn at(row: &[String], i: Option<usize>) -> Option<&str> {
        i.and_then(|i| row.get(i)).map(|s| s.trim())
    }
    rows.map(|row| WinRecord {
        provider: at(&row, source).unwrap_or_default().to_string(),
        id: at(&row, id).and_then(|v| v.parse().ok()),
        level: at(&row, level).and_then(level_word),
        time: at(&row, time).and_then(local_stamp),
        message: at(&row, message).map(str::to_string),
        data: Vec::new(),
    })
    .collect()
}

/// `<Event>` elements (any number, with or without an `<Events>` root): the same fields as
/// the evtx JSON, read from the XML.
fn xml(text: &str) -> Result<Vec<WinRecord>, String> {
    let body = match text.trim_start().strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or("", |(_, r)| r),
        None => text,
    };
    // wevtutil writes one `<Event>` after another without a root element.
    let wrapped = format!("<r>{body}</r>");
    let doc = roxmltree::Document::parse(&wrapped).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for ev in doc.descendants().filter(|n| n.has_tag_name_local("Event")) {
        out.push(xml_event(ev));
    }
    Ok(out)
}

trait LocalName {
    fn has_tag_name_local(&self, name: &str) -> bool;
}

impl LocalName for roxmltree::Node<'_, '_> {
    fn has_tag_name_local(&self, name: &str) -> bool {
        self.is_element() && self.tag_name().name() == name
    }
}

fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    n.children().find(|c| c.has_tag_name_local(name))
}

fn xml_event(ev: roxmltree::Node) -> WinRecord {
    let sys = child(ev, "System");
    let get = |name: &str| sys.and_then(|s| child(s, name));
    let provider = get("Provider")
        .and_then(|p| {
            p.attribute("Name")
                .or_else(|| p.attribute("EventSourceName"))
        })
        .unwrap_or_default()
        .to_string();
    let num = |n: Option<roxmltree::Node>| {
        let t = n?.text()?.trim().to_string();
        match t.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).ok(),
            None => t.parse().ok(),
        }
    };
    let time = get("TimeCreated")
        .and_then(|t| t.attribute("SystemTime"))
        .and_then(iso_stamp);
    let message = child(ev, "RenderingInfo")
        .and_then(|r| child(r, "Message"))
        .and_then(|m| m.text())
        .map(str::to_string);
    let mut data = Vec::new();
    for key in ["EventData", "UserData"] {
        if let Some(d) = child(ev, key) {
            xml_data(d, &mut data);
        }
    }
    WinRecord {
        provider,
        id: num(get("EventID")).and_then(|n| u32::try_from(n).ok()),
        level: level_of(num(get("Level")), num(get("Keywords"))),
        time,
        message,
        data,
    }
}

/// `<Data Name="x">v</Data>` (unnamed: `param1`, ...) and `UserData`'s leaf elements.
fn xml_data(n: roxmltree::Node, out: &mut Vec<(String, String)>) {
    for c in n.children().filter(|c| c.is_element()) {
        let leaf = !c.children().any(|x| x.is_element());
        if leaf {
            let v = c.text().unwrap_or_default().to_string();
            let name = match (c.tag_name().name(), c.attribute("Name")) {
                (_, Some(name)) => name.to_string(),
                ("Data", None) => format!("param{}", out.len() + 1),
                (tag, None) => tag.to_string(),
            };
            out.push((name, v));
        } else {
            xml_data(c, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(s: &str) -> Stamp {
        Stamp::Naive(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap())
    }

    #[test]
    fn local_dates_by_locale_shape() {
        assert_eq!(
            local_stamp("8/21/2019 8:47:10 AM"),
            Some(naive("2019-08-21 08:47:10"))
        );
        assert_eq!(
            local_stamp("8/21/2019 12:47:10 AM"),
            Some(naive("2019-08-21 00:47:10"))
        );
        assert_eq!(
            local_stamp("8/1/2019 1:02:03 PM"),
            Some(naive("2019-08-01 13:02:03"))
        );
        assert_eq!(
            local_stamp("01/08/2019 13:02:03"),
            Some(naive("2019-08-01 13:02:03"))
        );
        assert_eq!(
            local_stamp("21.08.2019 08:47:10"),
            Some(naive("2019-08-21 08:47:10"))
        );
        assert_eq!(local_stamp("13/13/2019 08:47:10"), None);
        assert!(matches!(
            iso_stamp("2017-07-12T17:16:28.2141616Z"),
            Some(Stamp::Utc(_))
        ));
    }

    #[test]
    fn sniffs_each_export_and_nothing_else() {
        assert_eq!(
            sniff(b"Event[0]:\n  Log Name: System\n"),
            Some(Kind::WevtutilText)
        );
        assert_eq!(
            sniff(b"Level,Date and Time,Source,Event ID,Task Category\r\nWarning,8/21/2019 8:47:10 AM,Tcpip,4227,None,x\r\n"),
            Some(Kind::Csv)
        );
        assert_eq!(
            sniff(b"#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord\n\"Message\",\"Id\",\"ProviderName\",\"TimeCreated\"\n"),
            Some(Kind::Csv)
        );
        assert_eq!(
            sniff(b"\r\n\r\nTimeCreated  : 5/14/2024 9:12:01 AM\r\nProviderName : Tcpip\r\nId           : 4227\r\n"),
            Some(Kind::FormatList)
        );
        assert_eq!(
            sniff(b"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"),
            Some(Kind::Xml)
        );
        for other in [
            &b"2019-08-21 08:00:00 ERROR x\n"[..],
            b"time,level,msg\n1,2,3\n",
            b"<html><body>",
            b"Id: 5\nName: x\n",
            b"{\"a\":1}",
        ] {
            assert_eq!(sniff(other), None, "{}", String::from_utf8_lossy(other));
        }
    }

    #[test]
    fn csv_quotes_and_newlines() {
        let rows = csv_rows("a,\"b,c\",\"say \"\"hi\"\"\nthere\"\r\nx,y,z\n");
        assert_eq!(
            rows,
            vec![
                vec!["a".to_string(), "b,c".into(), "say \"hi\"\nthere".into()],
                vec!["x".to_string(), "y".into(), "z".into()]
            ]
        );
    }

    #[test]
    fn data_pairs_render_quoted() {
        let r = WinRecord {
            provider: "Service Control Manager".into(),
            id: Some(7031),
            data: vec![
                ("param1".into(), "Apache Tomcat 9.0 Tomcat9".into()),
                ("param2".into(), "1".into()),
                ("param3".into(), "".into()),
            ],
            ..Default::default()
        };
        let e = r.into_event();
        assert_eq!(e.head, "Service Control Manager[7031]");
        assert_eq!(e.message, "param1=\"Apache Tomcat 9.0 Tomcat9\" param2=1");
        // No level in the record: `EVENT`, never a claimed INFO.
        assert_eq!(e.level, Level::Unnamed);
        assert_eq!(level_word("Avertissement"), Some(Level::Unnamed));
        assert_eq!(level_word("Information"), Some(Level::Info));
    }
}

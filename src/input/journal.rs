//! journald exports: `journalctl -o export` and `journalctl -o json` (also `json-pretty`,
//! `json-seq`) into [`Event`]s, one service per unit.
//!
//! Input: a file's bytes. `-o export` ([`is_export`]) is recognised by its first field
//! (`__CURSOR=` or `__REALTIME_TIMESTAMP=`), before the binary check: its binary-safe fields
//! (`NAME\n<u64 LE length><bytes>\n`) hold NULs. JSON ([`sniff_json`]) by a first object
//! naming `__REALTIME_TIMESTAMP` or `__CURSOR`. Output: one [`Event`] per entry:
//!
//! ```text
//! 2024-05-14T09:12:01.123456Z ERROR web01 nginx[812]: connect() failed (111: Connection refused)
//! ```
//!
//! * time: `__REALTIME_TIMESTAMP` (microseconds since the epoch, UTC), else
//!   `_SOURCE_REALTIME_TIMESTAMP`;
//! * level: `PRIORITY` (0-2 CRITICAL, 3 ERROR, 4 WARNING, 5 NOTICE, 6 INFO, 7 DEBUG; none:
//!   INFO), written as the word the level pass reads;
//! * head: `_HOSTNAME`, then `SYSLOG_IDENTIFIER` (else `_COMM`) and `[_PID]`, as
//!   `journalctl -o short` writes it;
//! * message: `MESSAGE`, also when it is a byte array (`[104,105]` in JSON, a binary field
//!   in an export: not UTF-8, or holding control characters), read as lossy UTF-8;
//! * service ([`service_of`]): the unit the entry is *about*. `UNIT=`/`USER_UNIT=` when
//!   systemd writes about a unit (`nginx.service: Main process exited, code=killed`), else
//!   `_SYSTEMD_UNIT`/`_SYSTEMD_USER_UNIT`, else `kernel` for the kernel transport, else the
//!   syslog identifier. A `.service` suffix is dropped (`nginx.service` → `nginx`), so the
//!   unit meets the files of the same name (`/var/log/nginx/error.log` → `nginx`). A journal
//!   mixes units: each becomes its own part (`render.rs`), so each unit is its own service.
//!
//! `journalctl -o short-monotonic` ([`sniff_monotonic`], [`decode_monotonic`]) stamps lines
//! with seconds since boot (`[ 3600.000000] web01 api[4242]: ...`): a wall-clock anchor is
//! needed. The header older journalctl versions print (`-- Logs begin at ..., end at Tue
//! 2024-05-14 09:10:47 UTC. --`, `-- Journal begins at ..., ends at ... --`) dates the last
//! line; without it the file's modification time does (the export ran right after the last
//! line), and a note says which. Only the last boot can be anchored (a `-- Boot <id> --`
//! line restarts the clock): earlier boots' lines stay undated, counted in a note.
//!
//! Tricky cases: an export cut short (a length running past the end) keeps the entries
//! before it and reports the problem; a JSON line that does not parse is counted in a note.

use super::render::{Decoded, Event, Level, Stamp};
use crate::error::FileError;
use chrono::DateTime;
use std::borrow::Cow;
use std::collections::HashMap;

/// True when `bytes` start like `journalctl -o export` output.
pub(super) fn is_export(bytes: &[u8]) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    (b.starts_with(b"__CURSOR=") || b.starts_with(b"__REALTIME_TIMESTAMP="))
        && memchr::memchr(b'\n', &b[..b.len().min(4096)]).is_some()
}

/// The JSON form `head` starts, if it is a journal's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum JsonKind {
    /// One object per line, `json-pretty` objects, or `json-seq` records.
    Objects,
}

/// Recognises `journalctl -o json` (and `json-pretty`, `json-seq`) by its first object.
pub(super) fn sniff_json(head: &[u8]) -> Option<JsonKind> {
    let first = head
        .iter()
        .position(|c| !c.is_ascii_whitespace() && *c != 0x1e)?;
    if head[first] != b'{' {
        return None;
    }
    let window = &head[first..head.len().min(first + 2048)];
    let has = |k: &[u8]| memchr::memmem::find(window, k).is_some();
    (has(b"\"__REALTIME_TIMESTAMP\"") || has(b"\"__CURSOR\"")).then_some(JsonKind::Objects)
}

/// Length of a `[ 3600.000000] ` monotonic prefix at the start of `line`.
fn mono_prefix(line: &[u8]) -> Option<(usize, f64)> {
    let rest = line.strip_prefix(b"[")?;
    let close = memchr::memchr(b']', &rest[..rest.len().min(24)])?;
    let num = std::str::from_utf8(&rest[..close]).ok()?.trim();
    if !num.contains('.') || !num.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        return None;
    }
    let secs: f64 = num.parse().ok()?;
    (rest.get(close + 1) == Some(&b' ')).then_some((close + 3, secs))
}

/// True when `head` reads as `journalctl -o short-monotonic` output (its first lines that
/// are not `-- ... --` separators carry the monotonic prefix).
pub(super) fn sniff_monotonic(head: &[u8]) -> bool {
    let lines: Vec<&[u8]> = head
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty() && !l.starts_with(b"-- "))
        .take(20)
        .collect();
    lines.len() >= 2 && lines.iter().all(|l| mono_prefix(l).is_some())
}

/// The wall-clock end a short-monotonic header gives (`end at Tue 2024-05-14 09:10:47 UTC`).
fn header_end(line: &str) -> Option<Stamp> {
    let i = line
        .find(", end at ")
        .map(|i| i + 9)
        .or_else(|| line.find(", ends at ").map(|i| i + 10))?;
    let t = line[i..]
        .trim()
        .trim_end_matches("--")
        .trim()
        .trim_end_matches('.');
    // `Tue 2024-05-14 09:10:47 UTC`: the weekday is dropped.
    let t = t.split_once(' ').map_or(t, |(_, r)| r);
    let (clock, zone) = t.rsplit_once(' ')?;
    let naive = chrono::NaiveDateTime::parse_from_str(clock, "%Y-%m-%d %H:%M:%S").ok()?;
    Some(match zone {
        "UTC" | "GMT" => Stamp::Utc(naive.and_utc()),
        _ => match chrono::DateTime::parse_from_str(
            &format!("{clock} {zone}"),
            "%Y-%m-%d %H:%M:%S %z",
        ) {
            Ok(t) => Stamp::Utc(t.with_timezone(&chrono::Utc)),
            Err(_) => Stamp::Naive(naive),
        },
    })
}

/// `journalctl -o short-monotonic` with every line of the last boot dated (see the module
/// docs): the rendered text, and notes.
pub(super) fn decode_monotonic(
    buf: &[u8],
    mtime: Option<std::time::SystemTime>,
    shown: &str,
) -> (Vec<u8>, Vec<String>) {
    let text = String::from_utf8_lossy(buf);
    let mut anchor = None;
    let mut last_boot = 0;
    let mut last_mono = 0.0;
    let lines: Vec<&str> = text.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("-- ") {
            if let Some(a) = header_end(l) {
                anchor = Some((a, "the journal header's end"));
            }
            if l.starts_with("-- Boot ") || l.starts_with("-- Reboot") {
                last_boot = i;
            }
        } else if let Some((_, secs)) = mono_prefix(l.as_bytes()) {
            last_mono = secs;
        }
    }
    let anchor = anchor.or_else(|| {
        mtime.map(|m| {
            (
                Stamp::Utc(chrono::DateTime::<chrono::Utc>::from(m)),
                "the file's modification time",
            )
        })
    });
    let mut notes = Vec::new();
    let Some((end, why)) = anchor else {
        notes.push(format!(
            "{shown}: short-monotonic without a wall-clock anchor: left undated"
        ));
        return (buf.to_vec(), notes);
    };
    let mut out = String::with_capacity(buf.len() + lines.len() * 16);
    let mut earlier = 0u64;
    for (i, l) in lines.iter().enumerate() {
        match mono_prefix(l.as_bytes()) {
            Some((n, secs)) if i >= last_boot => {
                let back =
                    chrono::Duration::microseconds(((last_mono - secs) * 1e6).round() as i64);
                let t = match end {
                    Stamp::Utc(t) => Stamp::Utc(t - back),
                    Stamp::Naive(t) => Stamp::Naive(t - back),
                };
                t.push(&mut out);
                out.push(' ');
                out.push_str(&l[n..]);
            }
            Some(_) => {
                earlier += 1;
                out.push_str(l);
            }
            None => out.push_str(l),
        }
        out.push('\n');
    }
    notes.push(format!(
        "{shown}: short-monotonic stamps dated from {why} (the last line's time)"
    ));
    if earlier > 0 {
        notes.push(format!(
            "{shown}: {earlier} line(s) of earlier boots left undated (the monotonic clock restarts at boot)"
        ));
    }
    (out.into_bytes(), notes)
}

/// One entry's fields, by name.
type Fields<'a> = HashMap<&'a str, Cow<'a, [u8]>>;

/// The event of one entry.
fn entry_event(f: &Fields) -> Event {
    let text = |k: &str| f.get(k).map(|v| String::from_utf8_lossy(v));
    let micros = |k: &str| text(k).and_then(|v| v.trim().parse::<i64>().ok());
    let time = micros("__REALTIME_TIMESTAMP")
        .or_else(|| micros("_SOURCE_REALTIME_TIMESTAMP"))
        .and_then(DateTime::from_timestamp_micros)
        .map(Stamp::Utc);
    let level = text("PRIORITY")
        .and_then(|p| p.trim().parse::<u8>().ok())
        .map_or(Level::Info, Level::from_syslog);
    let ident = text("SYSLOG_IDENTIFIER")
        .or_else(|| text("_COMM"))
        .or_else(|| text("_SYSTEMD_UNIT"));
    let pid = text("_PID").or_else(|| text("SYSLOG_PID"));
    let mut head = String::new();
    if let Some(h) = text("_HOSTNAME") {
        head.push_str(&h);
    }
    if let Some(i) = ident {
        if !head.is_empty() {
            head.push(' ');
        }
        head.push_str(&i);
        if let Some(p) = pid {
            head.push('[');
            head.push_str(&p);
            head.push(']');
        }
    }
    if head.is_empty() {
        head.push_str("journal");
    }
    Event {
        time,
        level,
        head,
        message: text("MESSAGE").map(Cow::into_owned).unwrap_or_default(),
        service: service_of(&|k| text(k)),
    }
}

/// The service of an entry (see the module docs).
fn service_of<'a>(text: &dyn Fn(&str) -> Option<Cow<'a, str>>) -> Option<String> {
    let unit = ["UNIT", "USER_UNIT", "_SYSTEMD_UNIT", "_SYSTEMD_USER_UNIT"]
        .iter()
        .find_map(|k| text(k).filter(|v| !v.trim().is_empty()));
    if let Some(u) = unit {
        let u = u.trim();
        return Some(u.strip_suffix(".service").unwrap_or(u).to_string());
    }
    if text("_TRANSPORT").as_deref() == Some("kernel") {
        return Some("kernel".to_string());
    }
    text("SYSLOG_IDENTIFIER").map(|s| s.trim().to_string())
}

/// `journalctl -o export`: entries separated by an empty line; `NAME=value` lines, and
/// binary fields as `NAME\n`, a little-endian 64-bit length, the bytes and `\n`.
pub(super) fn decode_export(buf: &[u8], shown: &str) -> Decoded {
    let mut events = Vec::new();
    let mut fields: Fields = HashMap::new();
    let mut pos = buf.len() - buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(buf).len();
    let mut problem = None;
    while pos < buf.len() {
        if buf[pos] == b'\n' {
            if !fields.is_empty() {
                events.push(entry_event(&fields));
                fields.clear();
            }
            pos += 1;
            continue;
        }
        let nl = memchr::memchr(b'\n', &buf[pos..]).map_or(buf.len(), |i| pos + i);
        let line = &buf[pos..nl];
        if let Some(eq) = memchr::memchr(b'=', line) {
            if let Ok(k) = std::str::from_utf8(&line[..eq]) {
                fields.insert(k, Cow::Borrowed(&line[eq + 1..]));
            }
            pos = nl + 1;
            continue;
        }
        // A binary field: its name, then the length.
        let len = buf
            .get(nl + 1..nl + 9)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
        let end = len
            .and_then(|n| usize::try_from(n).ok())
            .and_then(|n| (nl + 9).checked_add(n))
            .filter(|&e| e <= buf.len());
        match (std::str::from_utf8(line), end) {
            (Ok(k), Some(end)) => {
                fields.insert(k, Cow::Borrowed(&buf[nl + 9..end]));
                pos = end + 1;
            }
            _ => {
                problem = Some(FileError::new(
                    "truncated-journal-export",
                    format!(
                        "{shown}: journal export cut short or damaged at byte {pos} \
                         (binary field `{}`); the {} entries before it were read",
                        String::from_utf8_lossy(&line[..line.len().min(64)]),
                        events.len()
                    ),
                ));
                fields.clear();
                break;
            }
        }
    }
    if !fields.is_empty() {
        events.push(entry_event(&fields));
    }
    Decoded {
        events,
        notes: Vec::new(),
        problem,
    }
}

/// A JSON field value as bytes: a string, a number, a byte array (`MESSAGE` that is not
/// UTF-8), or an array of those (a field set twice): the first.
fn json_bytes(v: &serde_json::Value) -> Option<Cow<'_, [u8]>> {
    use serde_json::Value;
    match v {
        Value::String(s) => Some(Cow::Borrowed(s.as_bytes())),
        Value::Number(n) => Some(Cow::Owned(n.to_string().into_bytes())),
        Value::Array(a) if a.iter().all(Value::is_u64) => Some(Cow::Owned(
            a.iter()
                .filter_map(Value::as_u64)
                .map(|b| b.min(255) as u8)
                .collect(),
        )),
        Value::Array(a) => a.first().and_then(json_bytes),
        _ => None,
    }
}

/// `journalctl -o json` / `json-pretty` / `json-seq`: a stream of objects.
pub(super) fn decode_json(buf: &[u8], _kind: JsonKind, shown: &str) -> Decoded {
    // json-seq puts an RS (0x1E) before every record: whitespace to the JSON reader.
    let owned;
    let buf = if buf.contains(&0x1e) {
        owned = buf
            .iter()
            .map(|&c| if c == 0x1e { b' ' } else { c })
            .collect::<Vec<u8>>();
        &owned[..]
    } else {
        buf
    };
    let mut events = Vec::new();
    let mut bad = 0u64;
    let mut rest = buf;
    while !rest.is_empty() {
        let mut stream =
            serde_json::Deserializer::from_slice(rest).into_iter::<serde_json::Value>();
        match stream.next() {
            None => break,
            Some(Ok(v)) => {
                if let Some(o) = v.as_object() {
                    let fields: Fields = o
                        .iter()
                        .filter_map(|(k, v)| Some((k.as_str(), json_bytes(v)?)))
                        .collect();
                    events.push(entry_event(&fields));
                }
                rest = &rest[stream.byte_offset()..];
            }
            Some(Err(_)) => {
                // Skip to the next line and go on: one bad line is not a bad file.
                bad += 1;
                let off = stream.byte_offset();
                match memchr::memchr(b'\n', &rest[off.min(rest.len())..]) {
                    Some(i) => rest = &rest[off + i + 1..],
                    None => break,
                }
            }
        }
    }
    let notes = if bad > 0 {
        vec![format!(
            "{shown}: {bad} line(s) of the journal JSON did not parse and were skipped"
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

#[cfg(test)]
mod tests {
    use super::*;

    fn export_entry(fields: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (k, v) in fields {
            if v.contains(&b'\n') || v.iter().any(|&c| c < 0x20) {
                out.extend(k.as_bytes());
                out.push(b'\n');
                out.extend((v.len() as u64).to_le_bytes());
                out.extend(*v);
                out.push(b'\n');
            } else {
                out.extend(k.as_bytes());
                out.push(b'=');
                out.extend(*v);
                out.push(b'\n');
            }
        }
        out.push(b'\n');
        out
    }

    #[test]
    fn export_with_binary_fields_units_and_priorities() {
        let mut buf = export_entry(&[
            ("__CURSOR", b"s=1"),
            ("__REALTIME_TIMESTAMP", b"1715677921123456"),
            ("PRIORITY", b"3"),
            ("_HOSTNAME", b"web01"),
            ("SYSLOG_IDENTIFIER", b"nginx"),
            ("_PID", b"812"),
            ("_SYSTEMD_UNIT", b"nginx.service"),
            ("MESSAGE", b"line one\nline two\x00"),
        ]);
        buf.extend(export_entry(&[
            ("__CURSOR", b"s=2"),
            ("__REALTIME_TIMESTAMP", b"1715677922000000"),
            ("PRIORITY", b"6"),
            ("SYSLOG_IDENTIFIER", b"systemd"),
            ("_SYSTEMD_UNIT", b"init.scope"),
            ("UNIT", b"nginx.service"),
            (
                "MESSAGE",
                b"nginx.service: Main process exited, code=killed, status=9/KILL",
            ),
        ]));
        buf.extend(export_entry(&[
            ("__REALTIME_TIMESTAMP", b"1715677923000000"),
            ("_TRANSPORT", b"kernel"),
            ("PRIORITY", b"2"),
            ("MESSAGE", b"Out of memory: Killed process 812 (nginx)"),
        ]));
        assert!(is_export(&buf));
        let d = decode_export(&buf, "j.export");
        assert!(d.problem.is_none());
        let e: Vec<_> = d
            .events
            .iter()
            .map(|e| (e.level, e.service.as_deref()))
            .collect();
        assert_eq!(
            e,
            [
                (Level::Error, Some("nginx")),
                (Level::Info, Some("nginx")),
                (Level::Critical, Some("kernel"))
            ]
        );
        assert_eq!(d.events[0].head, "web01 nginx[812]");
        assert!(d.events[0].message.starts_with("line one\nline two"));
        // Cut inside a binary field: the entries before it are kept, the problem named.
        let cut = &buf[..buf.len() - 30];
        let mut cut = cut.to_vec();
        cut.extend(b"MESSAGE\n\xff\xff\xff\xff\x00\x00\x00\x00abc");
        let d = decode_export(&cut, "j.export");
        assert_eq!(d.events.len(), 2);
        assert!(d.problem.unwrap().message.contains("j.export"));
    }

    #[test]
    fn json_lines_byte_array_messages_and_bad_lines() {
        let buf = b"{\"__REALTIME_TIMESTAMP\":\"1715677921123456\",\"PRIORITY\":\"4\",\"_SYSTEMD_UNIT\":\"api.service\",\"MESSAGE\":[104,105,255]}\n\
                    not json\n\
                    {\"__REALTIME_TIMESTAMP\":\"1715677922000000\",\"MESSAGE\":\"plain\",\"SYSLOG_IDENTIFIER\":\"cron\"}\n";
        assert_eq!(sniff_json(buf), Some(JsonKind::Objects));
        let d = decode_json(buf, JsonKind::Objects, "j.json");
        assert_eq!(d.events.len(), 2);
        assert_eq!(d.events[0].message, "hi\u{fffd}");
        assert_eq!(d.events[0].service.as_deref(), Some("api"));
        assert_eq!(d.events[0].level, Level::Warning);
        assert_eq!(d.events[1].service.as_deref(), Some("cron"));
        assert_eq!(d.notes.len(), 1);
        assert_eq!(sniff_json(b"{\"log\":\"x\",\"time\":\"2019\"}"), None);
    }

    #[test]
    fn short_monotonic_dates_the_last_boot() {
        let buf = b"-- Logs begin at Tue 2024-05-14 08:00:00 UTC, end at Tue 2024-05-14 09:10:47 UTC. --\n\
[    5.000000] web01 kernel: old boot\n\
-- Reboot --\n\
[    1.500000] web01 kernel: Linux version 6.1\n\
[   11.500000] web01 api[42]: ready\n";
        assert!(sniff_monotonic(buf));
        let (out, notes) = decode_monotonic(buf, None, "m");
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains("\n2024-05-14T09:10:37Z web01 kernel: Linux version 6.1\n"),
            "{out}"
        );
        assert!(
            out.contains("\n2024-05-14T09:10:47Z web01 api[42]: ready\n"),
            "{out}"
        );
        assert!(out.contains("[    5.000000] web01 kernel: old boot"));
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(!sniff_monotonic(
            b"[2024-05-14 09:10:47] x\n[2024-05-14 09:10:48] y\n"
        ));
    }

    proptest::proptest! {
        /// Random bytes after an export's first field never panic the reader.
        #[test]
        fn random_export_never_panics(tail in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let mut b = b"__CURSOR=s\n".to_vec();
            b.extend(tail);
            let _ = decode_export(&b, "x");
        }
    }
}

//! Stamps read from inside a line or a field rather than at its head: access logs (the stamp
//! after the client address: `[21/Aug/2019:08:00:01 +0800]`, or nginx `[$time_iso8601]`),
//! logfmt (a `time=`/`ts=`/`t=`/`timestamp=` field among the first fields), JSON lines (a
//! top-level time field: an RFC 3339 string, possibly naive, or an epoch number) and epoch
//! numbers.
//!
//! Input: a whole line (or a field's text). Output: a [`RawStamp`]; for JSON lines also the
//! flavour (`docker-json`, `json-epoch`, `json-lines`).
//!
//! Tricky cases:
//! - An epoch number's unit is told by its magnitude (timestamps.md §6: seconds,
//!   milliseconds, microseconds, nanoseconds), and only plausible log dates (1990..2100) are
//!   times: a counter or id is not.
//! - Only top-level JSON keys are read (keys may be reordered or escaped; a nested `time` is
//!   not the record's); values are borrowed as raw JSON text and read only for the field
//!   that is used.

use super::iso::{parse_iso_like, parse_slash};
use crate::time::bytes::{
    at_boundary, at_end, digits, fraction, make, month_abbr, offset, utc_offset,
};
use crate::time::format::{Format, RawStamp, StampZone};
use chrono::{DateTime, NaiveDateTime};
use serde::Deserialize;
use serde_json::value::RawValue;

/// `dd/Mon/yyyy:HH:mm:ss +zzzz` (inside `[...]`), CLF `$time_local` / `%t`.
fn parse_clf_body(b: &[u8], at: usize) -> Option<RawStamp> {
    let d = digits(b, at, 2)?;
    if b.get(at + 2) != Some(&b'/') || b.get(at + 6) != Some(&b'/') {
        return None;
    }
    let mo = month_abbr(b, at + 3)?;
    let y = digits(b, at + 7, 4)?;
    if b.get(at + 11) != Some(&b':') {
        return None;
    }
    let h = digits(b, at + 12, 2)?;
    let mi = digits(b, at + 15, 2)?;
    let s = digits(b, at + 18, 2)?;
    let (nanos, used) = fraction(b, at + 20);
    let naive = make(y as i32, mo, d, h, mi, s, nanos)?;
    let end = at + 20 + used;
    let zone = if b.get(end) == Some(&b' ') {
        match offset(b, end + 1) {
            Some((off, _)) => StampZone::Offset(off),
            None => StampZone::Naive,
        }
    } else {
        StampZone::Naive
    };
    Some(RawStamp::zoned(naive, zone))
}

/// Access-log line: the stamp is the first `[dd/Mon/yyyy:` within the first 512 bytes.
pub(in crate::time) fn parse_clf_line(b: &[u8]) -> Option<RawStamp> {
    let head = &b[..b.len().min(512)];
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'[', &head[from..]) {
        let at = from + i + 1;
        if let Some(st) = parse_clf_body(b, at) {
            return Some(st);
        }
        // nginx `$time_iso8601`: `[2019-08-21T16:02:06+08:00]`.
        if at > 1 && b[at - 2] == b' ' {
            if let Some((st, _, end)) = parse_iso_like(b, at) {
                if b.get(end) == Some(&b']') {
                    return Some(st);
                }
            }
        }
        from = at;
    }
    None
}

/// The time keys of logfmt lines, most common first.
const LOGFMT_KEYS: [&[u8]; 5] = [b"time=", b"ts=", b"t=", b"timestamp=", b"@timestamp="];

/// logfmt: a `time=`/`ts=`/`t=`/`timestamp=` field among the first 8 fields, RFC 3339 (quoted
/// or not) or an epoch number.
pub(super) fn parse_logfmt(b: &[u8]) -> Option<RawStamp> {
    let mut p = 0;
    for _ in 0..8 {
        while b.get(p) == Some(&b' ') {
            p += 1;
        }
        if at_end(b, p) {
            return None;
        }
        if let Some(k) = LOGFMT_KEYS.iter().find(|k| b[p..].starts_with(k)) {
            let mut v = p + k.len();
            let quoted = b.get(v) == Some(&b'"');
            if quoted {
                v += 1;
            }
            if let Some((st, _, end)) = parse_iso_like(b, v) {
                let closed = if quoted {
                    b.get(end) == Some(&b'"')
                } else {
                    at_boundary(b, end)
                };
                return closed.then_some(st);
            }
            if *k == b"time=" {
                if let Some(st) = date_and_time(b, v) {
                    return Some(st);
                }
            }
            let n = b[v..]
                .iter()
                .take_while(|c| c.is_ascii_digit() || **c == b'.')
                .count();
            if n > 0 {
                return epoch_stamp(std::str::from_utf8(&b[v..v + n]).ok()?);
            }
            return None;
        }
        // Next field (quoted values may hold spaces).
        let mut in_quote = false;
        while let Some(&c) = b.get(p) {
            match c {
                b'"' => in_quote = !in_quote,
                b'\\' if in_quote => p += 1,
                b' ' if !in_quote => break,
                b'\r' | b'\n' => return None,
                _ => {}
            }
            p += 1;
        }
    }
    None
}

/// Fortinet FortiOS: `date=2024-05-14 time=09:47:16 devname="FG100E" … tz="+0200"`: the
/// date and the clock in two fields (`time=` at `v`), and the device's offset in `tz`
/// when it writes one (FortiOS 6.2+).
fn date_and_time(b: &[u8], v: usize) -> Option<RawStamp> {
    let (h, mi, s) = super::syslog::hms(b, v)?;
    if !at_boundary(b, v + 8) {
        return None;
    }
    let head = &b[..b.len().min(400)];
    let field = |key: &[u8]| {
        memchr::memmem::find_iter(head, key)
            .find(|&i| i == 0 || head[i - 1] == b' ')
            .map(|i| i + key.len())
    };
    let d = field(b"date=")?;
    let y = digits(b, d, 4)?;
    if b.get(d + 4) != Some(&b'-') || b.get(d + 7) != Some(&b'-') {
        return None;
    }
    let naive = make(
        y as i32,
        digits(b, d + 5, 2)?,
        digits(b, d + 8, 2)?,
        h,
        mi,
        s,
        0,
    )?;
    let zone = field(b"tz=\"")
        .and_then(|z| offset(b, z))
        .map_or(StampZone::Naive, |(o, _)| StampZone::Offset(o));
    Some(RawStamp::zoned(naive, zone))
}

/// Cheap shape check for logfmt: a time key at the start or after a space, early in the line.
pub(super) fn logfmt_shape(b: &[u8]) -> bool {
    let head = &b[..b.len().min(160)];
    if !head.contains(&b'=') {
        return false;
    }
    // A key at the start or right after a space: try the keys at those positions only
    // (no per-call substring searcher; this runs on sampled lines of every file).
    std::iter::once(0)
        .chain(memchr::memchr_iter(b' ', head).map(|i| i + 1))
        .any(|p| LOGFMT_KEYS.iter().any(|k| head[p..].starts_with(k)))
}

/// The time fields a JSON log line may carry, most specific first. Only top-level keys are
/// read (a real parser: keys may be reordered or escaped; nested objects are skipped). The
/// values are borrowed as raw JSON text and read only for the field that is used: parsed
/// into `serde_json::Value`s, each line cost a string allocation per time field (JSON
/// lines are parsed at every minute change, and per line during format detection).
#[derive(Deserialize, Default)]
struct JsonTimeFields<'a> {
    #[serde(rename = "@timestamp", borrow)]
    at_timestamp: Option<&'a RawValue>,
    #[serde(borrow)]
    timestamp: Option<&'a RawValue>,
    #[serde(borrow)]
    time: Option<&'a RawValue>,
    #[serde(borrow)]
    ts: Option<&'a RawValue>,
    #[serde(borrow)]
    datetime: Option<&'a RawValue>,
    #[serde(borrow)]
    date: Option<&'a RawValue>,
    #[serde(rename = "eventTime", borrow)]
    event_time: Option<&'a RawValue>,
    #[serde(rename = "__REALTIME_TIMESTAMP", borrow)]
    realtime: Option<&'a RawValue>,
    #[serde(borrow)]
    t: Option<&'a RawValue>,
    /// Serilog's compact JSON (CLEF).
    #[serde(rename = "@t", borrow)]
    at_t: Option<&'a RawValue>,
    /// log4j2 `JsonLayout` (epoch milliseconds).
    #[serde(rename = "timeMillis", borrow)]
    time_millis: Option<&'a RawValue>,
    /// log4j2 `JsonLayout` 2.11+: `{"epochSecond":…,"nanoOfSecond":…}`.
    #[serde(borrow)]
    instant: Option<&'a RawValue>,
    #[serde(rename = "unixTime", borrow)]
    unix_time: Option<&'a RawValue>,
    #[serde(rename = "calendarTime", borrow)]
    calendar_time: Option<&'a RawValue>,
    /// python-json-logger's default `asctime` (`2019-08-21 08:00:00,123`).
    #[serde(borrow)]
    asctime: Option<&'a RawValue>,
    /// Kubernetes audit events.
    #[serde(rename = "requestReceivedTimestamp", borrow)]
    request_received: Option<&'a RawValue>,
    /// Windows events as JSON (`Get-WinEvent | ConvertTo-Json`, Azure Monitor).
    #[serde(rename = "TimeCreated", borrow)]
    time_created: Option<&'a RawValue>,
    #[serde(rename = "TimeGenerated", borrow)]
    time_generated: Option<&'a RawValue>,
    /// Envoy's JSON access log.
    #[serde(borrow)]
    start_time: Option<&'a RawValue>,
    /// nginx JSON access logs (`log_format … escape=json`).
    #[serde(borrow)]
    time_iso8601: Option<&'a RawValue>,
    #[serde(borrow)]
    time_local: Option<&'a RawValue>,
    /// Python's `LogRecord.created` (epoch seconds, float).
    #[serde(borrow)]
    created: Option<&'a RawValue>,
    /// Docker json-file: the message field (presence only).
    log: Option<serde::de::IgnoredAny>,
}

/// The time objects JSON logs nest: MongoDB's `{"$date": "…"}` (or `{"$date":
/// {"$numberLong": "…"}}`), log4j2's `{"epochSecond": …, "nanoOfSecond": …}`, protobuf's
/// and Google Cloud's `{"seconds": …, "nanos": …}`.
#[derive(Deserialize, Default)]
struct TimeObject<'a> {
    #[serde(rename = "$date", borrow)]
    date: Option<&'a RawValue>,
    #[serde(rename = "$numberLong", borrow)]
    number_long: Option<&'a RawValue>,
    #[serde(rename = "epochSecond", alias = "seconds", borrow)]
    seconds: Option<&'a RawValue>,
    #[serde(rename = "nanoOfSecond", alias = "nanos", borrow)]
    nanos: Option<&'a RawValue>,
}

/// A time field's value as the stamp readers take it.
enum JsonTime<'a> {
    /// A number, as `serde_json::Number` prints it (`1.5e3` reads as `1500.0`).
    Number(String),
    /// A string's text (unescaped).
    Text(std::borrow::Cow<'a, str>),
}

/// Reads a raw JSON value (already validated by the parser) as a [`JsonTime`]; other JSON
/// types (`true`, objects, arrays) are no time.
fn json_time(raw: &RawValue) -> Option<JsonTime<'_>> {
    let text = raw.get();
    match text.as_bytes().first()? {
        // Without a backslash the text between the quotes is the string (the parser
        // rejected raw control characters).
        b'"' if !text.contains('\\') => Some(JsonTime::Text(text[1..text.len() - 1].into())),
        b'"' => serde_json::from_str::<String>(text)
            .ok()
            .map(|s| JsonTime::Text(s.into())),
        b'-' | b'0'..=b'9' => match serde_json::from_str::<serde_json::Value>(text).ok()? {
            serde_json::Value::Number(n) => Some(JsonTime::Number(n.to_string())),
            _ => None,
        },
        b'{' => {
            let o: TimeObject = serde_json::from_str(text).ok()?;
            if let Some(d) = o.date.or(o.number_long) {
                // The inner value is a string or a number, or `{"$numberLong": …}`.
                return json_time(d);
            }
            let whole = |r: &RawValue| -> Option<i64> {
                let t = r.get().trim_matches('"');
                t.parse().ok()
            };
            let secs = whole(o.seconds?)?;
            let nanos = o.nanos.and_then(whole).unwrap_or(0);
            (0..1_000_000_000)
                .contains(&nanos)
                .then(|| JsonTime::Number(format!("{secs}.{nanos:09}")))
        }
        _ => None,
    }
}

/// Epoch number → UTC instant, unit told by magnitude (timestamps.md §6): seconds
/// (10 digits), milliseconds (13), microseconds (16), nanoseconds (19). Fractions are
/// seconds' fractions only for the seconds magnitude (`1566374526.452`, nginx `$msec`).
pub fn epoch_to_utc(int: i128, frac_nanos: u32) -> Option<NaiveDateTime> {
    if int <= 0 {
        return None;
    }
    let (secs, nanos) = if int < 100_000_000_000 {
        (int as i64, frac_nanos)
    } else if int < 100_000_000_000_000 {
        ((int / 1000) as i64, ((int % 1000) * 1_000_000) as u32)
    } else if int < 100_000_000_000_000_000 {
        ((int / 1_000_000) as i64, ((int % 1_000_000) * 1000) as u32)
    } else {
        ((int / 1_000_000_000) as i64, (int % 1_000_000_000) as u32)
    };
    // Only plausible log dates (1990..2100): a counter or id is not a time.
    if !(631_152_000..=4_102_444_800).contains(&secs) {
        return None;
    }
    DateTime::from_timestamp(secs, nanos.min(999_999_999)).map(|d| d.naive_utc())
}

/// Parses the text of an epoch number (`1566374526`, `1566374526452`, `1566374526.452`).
pub fn epoch_text(s: &str) -> Option<NaiveDateTime> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int.is_empty() || int.len() > 20 || !int.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut nanos = 0u32;
    for (i, c) in frac.bytes().take(9).enumerate() {
        nanos += u32::from(c - b'0') * 10u32.pow(8 - i as u32);
    }
    epoch_to_utc(int.parse().ok()?, nanos)
}

pub(super) fn epoch_stamp(s: &str) -> Option<RawStamp> {
    Some(RawStamp::zoned(
        epoch_text(s)?,
        StampZone::Offset(utc_offset()),
    ))
}

fn json_value_stamp(v: &JsonTime<'_>) -> Option<RawStamp> {
    match v {
        JsonTime::Number(n) => epoch_stamp(n),
        JsonTime::Text(s) => {
            let b = s.as_bytes();
            if let Some((st, _, end)) = parse_iso_like(b, 0) {
                return (end == b.len() || !b[end].is_ascii_alphanumeric()).then_some(st);
            }
            if let Some(st) = epoch_stamp(s) {
                return Some(st);
            }
            // .NET's JSON dates: `/Date(1566374526452)/`, `/Date(1566374526452+0800)/`.
            if let Some(ms) = s.strip_prefix("/Date(") {
                let n = ms.bytes().take_while(u8::is_ascii_digit).count();
                return epoch_stamp(&ms[..n]);
            }
            parse_slash(b, 0)
                .map(|(st, _, _)| st)
                .or_else(|| parse_clf_body(b, 0))
                .or_else(|| super::more::parse_value(b))
        }
    }
}

/// Reads the time field of a JSON object line.
pub fn parse_json_line(line: &[u8]) -> Option<RawStamp> {
    parse_json_kind(line).map(|(st, _)| st)
}

/// Reads the time field of a JSON object line and names the flavour: `docker-json` (a `log`
/// field beside an RFC 3339 `time`), `json-epoch` (an epoch number) or `json-lines`.
pub fn parse_json_kind(line: &[u8]) -> Option<(RawStamp, Format)> {
    let start = line.iter().position(|c| !c.is_ascii_whitespace())?;
    if line[start] != b'{' {
        return None;
    }
    let mut end = line.len();
    while end > start && line[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    let fields: JsonTimeFields = serde_json::from_slice(&line[start..end]).ok()?;
    let docker = fields.log.is_some() && fields.time.is_some();
    let (st, v) = [
        fields.at_timestamp,
        fields.at_t,
        fields.timestamp,
        fields.time,
        fields.ts,
        fields.time_millis,
        fields.instant,
        fields.datetime,
        fields.event_time,
        fields.date,
        fields.realtime,
        fields.t,
        fields.unix_time,
        fields.calendar_time,
        fields.asctime,
        fields.request_received,
        fields.time_created,
        fields.time_generated,
        fields.start_time,
        fields.time_iso8601,
        fields.time_local,
        fields.created,
    ]
    .into_iter()
    .flatten()
    .filter_map(json_time)
    .find_map(|v| json_value_stamp(&v).map(|st| (st, v)))?;
    let epoch = match &v {
        JsonTime::Number(_) => true,
        JsonTime::Text(s) => s.bytes().all(|c| c.is_ascii_digit() || c == b'.'),
    };
    let format = if epoch {
        Format::JsonEpoch
    } else if docker {
        Format::DockerJson
    } else {
        Format::JsonLines
    };
    Some((st, format))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON time reader before raw values: every time field parsed into a `Value`.
    fn parse_json_kind_via_values(line: &[u8]) -> Option<(RawStamp, Format)> {
        #[derive(Deserialize)]
        struct Fields {
            #[serde(rename = "@timestamp")]
            at_timestamp: Option<serde_json::Value>,
            timestamp: Option<serde_json::Value>,
            time: Option<serde_json::Value>,
            ts: Option<serde_json::Value>,
            datetime: Option<serde_json::Value>,
            date: Option<serde_json::Value>,
            #[serde(rename = "eventTime")]
            event_time: Option<serde_json::Value>,
            #[serde(rename = "__REALTIME_TIMESTAMP")]
            realtime: Option<serde_json::Value>,
            t: Option<serde_json::Value>,
            log: Option<serde::de::IgnoredAny>,
        }
        let text = std::str::from_utf8(line).ok()?.trim();
        if !text.starts_with('{') {
            return None;
        }
        let f: Fields = serde_json::from_str(text).ok()?;
        let docker = f.log.is_some() && f.time.is_some();
        let (st, v) = [
            f.at_timestamp,
            f.timestamp,
            f.time,
            f.ts,
            f.datetime,
            f.event_time,
            f.date,
            f.realtime,
            f.t,
        ]
        .into_iter()
        .flatten()
        .find_map(|v| {
            let jt = match &v {
                serde_json::Value::Number(n) => JsonTime::Number(n.to_string()),
                serde_json::Value::String(s) => JsonTime::Text(s.as_str().into()),
                _ => return None,
            };
            json_value_stamp(&jt).map(|st| (st, v.clone()))
        })?;
        let epoch = match &v {
            serde_json::Value::Number(_) => true,
            serde_json::Value::String(s) => s.bytes().all(|c| c.is_ascii_digit() || c == b'.'),
            _ => false,
        };
        Some((
            st,
            if epoch {
                Format::JsonEpoch
            } else if docker {
                Format::DockerJson
            } else {
                Format::JsonLines
            },
        ))
    }

    proptest::proptest! {
        /// Raw time values read as the parsed values did: strings plain and escaped
        /// (`\u0032` is a digit), numbers with fractions and exponents, null, booleans,
        /// nested objects, duplicate and reordered keys, broken JSON.
        #[test]
        fn json_time_fields_read_as_parsed_values(
            fields in proptest::collection::vec(
                (
                    proptest::sample::select(vec!["time", "ts", "@timestamp", "timestamp", "date", "t", "log", "msg", "eventTime"]),
                    proptest::sample::select(vec![
                        "\"2019-08-21T08:47:10.123+08:00\"",
                        "\"2019-08-21 08:47:10\"",
                        "\"2019-08-21T08:47:10Z junk\"",
                        "\"\\u0032019-08-21T08:47:10Z\"",
                        "\"2019\\/08\\/21 08:47:10\"",
                        "\"21/Aug/2019:08:47:10 +0800\"",
                        "\"1566348430\"",
                        "\"1566348430.5\"",
                        "1566348430",
                        "1566348430123",
                        "1.56634843e9",
                        "-1566348430",
                        "1566348430.250",
                        "null",
                        "true",
                        "{\"time\": \"2019-08-21T08:47:10Z\"}",
                        "[1566348430]",
                        "\"not a time\"",
                        "\"tab\\there\"",
                    ]),
                ),
                0..5,
            ),
            broken in proptest::bool::weighted(0.1),
        ) {
            let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
            let mut line = format!("  {{{}}} ", body.join(", "));
            if broken {
                line.pop();
                line.pop();
            }
            let got = parse_json_kind(line.as_bytes());
            let want = parse_json_kind_via_values(line.as_bytes());
            proptest::prop_assert_eq!(
                got.map(|(st, f)| (st.naive, format!("{:?}", st.zone), f)),
                want.map(|(st, f)| (st.naive, format!("{:?}", st.zone), f)),
                "{}", line
            );
        }
    }
}

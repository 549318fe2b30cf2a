//! Timestamps: find them at the head of a log line, parse them, and turn them into UTC
//! instants under an explicit zone rule.
//!
//! Input is one physical line (bytes, `\r` already stripped or not). Output is a
//! [`RawStamp`]: the wall-clock reading plus what the text said about its zone
//! ([`StampZone`]: nothing, an explicit offset, UTC, or an abbreviation such as `CST`).
//! [`ZoneRule::resolve`] then turns a raw stamp into an instant plus the *provenance* of
//! the offset used (explicit / flag / alias / default local), because a timeline is only
//! as trustworthy as the zone assumption under it (the founding case ends with
//! `Sun Jun 30 12:46:00 CST 2019` re-read as US Central: 14 h off).
//!
//! Tricky cases handled here (see `shared/reference/timestamps.md`):
//! - `boot-logback` (`.452`), `comma-millis` (`,452`) and ISO 8601 (`T`, offsets with and
//!   without colon, `Z`, up to 9 fraction digits) share a prefix: one parser reads them all
//!   and the *shape* names the format.
//! - `nginx-error` and Go `log` both start `yyyy/MM/dd HH:mm:ss`.
//! - Access logs carry the stamp after the client address: `[21/Aug/2019:08:00:01 +0800]`.
//! - JSON lines keep the time in a field (`@timestamp`, `timestamp`, `time`, `ts`, ...) as an
//!   RFC 3339 string (possibly naive) or an epoch number whose unit is told by magnitude.
//! - Ambiguous abbreviations (CST, IST, BST, ...) are never guessed: they need an alias.
//!
//! Detection is per file ([`detect`]) on the first stamped lines; a line the detected format
//! does not read is retried with every format (per-line fallback, for mixed stdout files).

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// A timestamp format faultscope can read. The names are the ids of timestamps.md §1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// `2019-08-21T16:02:06.452+08:00`, `...Z`, `...+0800` (explicit zone).
    Iso8601Offset,
    /// `2019-08-21T16:02:06.452` (ISO with `T`, no zone).
    Iso8601Naive,
    /// `2019-08-21 16:02:06.452` (Spring Boot 1.x/2.x default).
    BootLogback,
    /// `2015-10-18 18:01:47,978` (log4j, logback `%d`, Python asctime).
    CommaMillis,
    /// `2019-08-21 16:02:06` (no fraction: IIS, ad-hoc).
    DateTimeSeconds,
    /// `2019/08/21 08:07:25 [error] ...` (nginx error log).
    NginxError,
    /// `2020/11/05 16:23:08.433760 msg` / `2009/01/23 01:23:23 msg` (Go `log`).
    GoLog,
    /// `[21/Aug/2019:08:00:01 +0800]` (Common/Combined Log Format).
    Clf,
    /// One JSON object per line with a time field.
    JsonLines,
    /// `[Sun Dec 04 04:47:44 2005]` / `[Wed Mar 09 06:28:44.358980 2022]` (Apache error log).
    ApacheError,
    /// `Sun Jun 30 12:46:00 CST 2019` (`java.util.Date.toString()`).
    JavaDate,
    /// `21-Aug-2019 16:02:06.452` (Tomcat JULI OneLineFormatter).
    TomcatJuli,
}

impl Format {
    /// Every format, most specific first (the detection order of timestamps.md §1).
    pub const ALL: [Format; 12] = [
        Format::Iso8601Offset,
        Format::BootLogback,
        Format::CommaMillis,
        Format::Iso8601Naive,
        Format::DateTimeSeconds,
        Format::JavaDate,
        Format::TomcatJuli,
        Format::NginxError,
        Format::GoLog,
        Format::Clf,
        Format::ApacheError,
        Format::JsonLines,
    ];

    /// Stable id used in reports and `--debug`.
    pub fn id(self) -> &'static str {
        match self {
            Format::Iso8601Offset => "iso8601-offset",
            Format::Iso8601Naive => "iso8601-naive",
            Format::BootLogback => "boot-logback",
            Format::CommaMillis => "comma-millis",
            Format::DateTimeSeconds => "datetime-seconds",
            Format::NginxError => "nginx-error",
            Format::GoLog => "go-log",
            Format::Clf => "clf",
            Format::JsonLines => "json-lines",
            Format::ApacheError => "apache-error",
            Format::JavaDate => "java-date-tostring",
            Format::TomcatJuli => "tomcat-juli",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// What a stamp's own text says about its zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StampZone {
    /// No zone in the text: read it in the file's zone.
    Naive,
    /// Digits in the text (`+08:00`, `+0800`, `Z`) or an epoch number.
    Offset(FixedOffset),
    /// An abbreviation (`CST`, `JST`): resolved through aliases, never guessed.
    Abbrev(String),
}

/// A timestamp as read from the text, before any zone rule is applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawStamp {
    /// Wall-clock reading.
    pub naive: NaiveDateTime,
    /// Zone information carried by the text.
    pub zone: StampZone,
}

impl RawStamp {
    fn naive(naive: NaiveDateTime) -> RawStamp {
        RawStamp {
            naive,
            zone: StampZone::Naive,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Byte-level helpers. Parsing runs per record head, not per byte, so clarity wins over
// micro-optimisation, but nothing here allocates.

#[inline]
fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Reads 1..=max digits; returns (value, count).
#[inline]
fn var_digits(b: &[u8], at: usize, max: usize) -> Option<(u32, usize)> {
    let mut v = 0u32;
    let mut n = 0;
    while n < max {
        match b.get(at + n) {
            Some(c) if c.is_ascii_digit() => {
                v = v * 10 + u32::from(c - b'0');
                n += 1;
            }
            _ => break,
        }
    }
    (n > 0).then_some((v, n))
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];
const WEEKDAYS: [&[u8; 3]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];

fn month_abbr(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    MONTHS
        .iter()
        .position(|m| s.eq_ignore_ascii_case(&m[..]))
        .map(|i| i as u32 + 1)
}

fn is_weekday(b: &[u8], at: usize) -> bool {
    b.get(at..at + 3)
        .is_some_and(|s| WEEKDAYS.iter().any(|w| s.eq_ignore_ascii_case(&w[..])))
}

fn make(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, nanos: u32) -> Option<NaiveDateTime> {
    // Leap seconds (`23:59:60`) are folded into the last second rather than rejected.
    let s = s.min(59);
    NaiveDate::from_ymd_opt(y, mo, d)?.and_hms_nano_opt(h, mi, s, nanos)
}

/// Reads `.fff`/`,fff` fraction digits (1..=9) at `at`; returns (nanos, bytes consumed).
fn fraction(b: &[u8], at: usize) -> (u32, usize) {
    match b.get(at) {
        Some(b'.') | Some(b',') => {}
        _ => return (0, 0),
    }
    let mut n = 0usize;
    let mut v = 0u32;
    while n < 9 {
        match b.get(at + 1 + n) {
            Some(c) if c.is_ascii_digit() => {
                v = v * 10 + u32::from(c - b'0');
                n += 1;
            }
            _ => break,
        }
    }
    if n == 0 {
        return (0, 0);
    }
    // Skip digits past nanosecond precision.
    let mut extra = 0;
    while b.get(at + 1 + n + extra).is_some_and(u8::is_ascii_digit) {
        extra += 1;
    }
    (v * 10u32.pow(9 - n as u32), 1 + n + extra)
}

/// Reads `Z`, `+08:00`, `+0800` or `+08` at `at`; returns (offset, bytes consumed).
fn offset(b: &[u8], at: usize) -> Option<(FixedOffset, usize)> {
    match b.get(at)? {
        b'Z' | b'z' => Some((FixedOffset::east_opt(0)?, 1)),
        c @ (b'+' | b'-') => {
            let sign = if *c == b'-' { -1 } else { 1 };
            let h = digits(b, at + 1, 2)?;
            let (m, used) = if b.get(at + 3) == Some(&b':') {
                (digits(b, at + 4, 2)?, 6)
            } else if let Some(m) = digits(b, at + 3, 2) {
                (m, 5)
            } else {
                (0, 3)
            };
            if h > 15 || m > 59 {
                return None;
            }
            Some((
                FixedOffset::east_opt(sign * (h as i32 * 3600 + m as i32 * 60))?,
                used,
            ))
        }
        _ => None,
    }
}

/// `yyyy-MM-dd[T ]HH:mm:ss[.,frac][zone]` at `at`.
/// Returns the stamp, its format, and the end offset.
fn parse_iso_like(b: &[u8], at: usize) -> Option<(RawStamp, Format, usize)> {
    let y = digits(b, at, 4)?;
    if b.get(at + 4) != Some(&b'-') || b.get(at + 7) != Some(&b'-') {
        return None;
    }
    let mo = digits(b, at + 5, 2)?;
    let d = digits(b, at + 8, 2)?;
    let sep = *b.get(at + 10)?;
    if sep != b'T' && sep != b' ' {
        return None;
    }
    let h = digits(b, at + 11, 2)?;
    if b.get(at + 13) != Some(&b':') || b.get(at + 16) != Some(&b':') {
        return None;
    }
    let mi = digits(b, at + 14, 2)?;
    let s = digits(b, at + 17, 2)?;
    let mut end = at + 19;
    let frac_sep = b.get(end).copied();
    let (nanos, used) = fraction(b, end);
    end += used;
    let naive = make(y as i32, mo, d, h, mi, s, nanos)?;
    if let Some((off, used)) = offset(b, end) {
        // `2019-08-21 16:02:06 -0500`-style and `...Z` both count as explicit.
        return Some((
            RawStamp {
                naive,
                zone: StampZone::Offset(off),
            },
            Format::Iso8601Offset,
            end + used,
        ));
    }
    // A space then an offset (`2019-08-21 16:02:06 +0800`, Go's default `time.String`).
    if b.get(end) == Some(&b' ') {
        if let Some((off, used)) = offset(b, end + 1) {
            if used >= 5 && !b.get(end + 1 + used).is_some_and(u8::is_ascii_digit) {
                return Some((
                    RawStamp {
                        naive,
                        zone: StampZone::Offset(off),
                    },
                    Format::Iso8601Offset,
                    end + 1 + used,
                ));
            }
        }
    }
    let format = match (sep, frac_sep, used) {
        (b'T', _, _) => Format::Iso8601Naive,
        (_, Some(b','), u) if u > 0 => Format::CommaMillis,
        (_, _, u) if u > 0 => Format::BootLogback,
        _ => Format::DateTimeSeconds,
    };
    Some((RawStamp::naive(naive), format, end))
}

/// `yyyy/MM/dd HH:mm:ss[.frac]` (nginx error log, Go log).
fn parse_slash(b: &[u8], at: usize) -> Option<(RawStamp, Format, usize)> {
    let y = digits(b, at, 4)?;
    if b.get(at + 4) != Some(&b'/') || b.get(at + 7) != Some(&b'/') || b.get(at + 10) != Some(&b' ')
    {
        return None;
    }
    let mo = digits(b, at + 5, 2)?;
    let d = digits(b, at + 8, 2)?;
    let h = digits(b, at + 11, 2)?;
    if b.get(at + 13) != Some(&b':') || b.get(at + 16) != Some(&b':') {
        return None;
    }
    let mi = digits(b, at + 14, 2)?;
    let s = digits(b, at + 17, 2)?;
    let (nanos, used) = fraction(b, at + 19);
    let end = at + 19 + used;
    let naive = make(y as i32, mo, d, h, mi, s, nanos)?;
    // nginx continues with ` [level] pid#tid:`; everything else is Go's `log`.
    let format = if b.get(end..end + 2) == Some(b" [") && used == 0 {
        Format::NginxError
    } else {
        Format::GoLog
    };
    Some((RawStamp::naive(naive), format, end))
}

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
    Some(RawStamp { naive, zone })
}

/// Access-log line: the stamp is the first `[dd/Mon/yyyy:` within the first 512 bytes.
fn parse_clf_line(b: &[u8]) -> Option<RawStamp> {
    let head = &b[..b.len().min(512)];
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'[', &head[from..]) {
        let at = from + i + 1;
        if let Some(st) = parse_clf_body(b, at) {
            return Some(st);
        }
        from = at;
    }
    None
}

/// `EEE MMM dd HH:mm:ss[.frac] yyyy` at `at` (Apache error log body, without the zone),
/// or with a zone abbreviation before the year (`java.util.Date.toString()`).
fn parse_ctime(b: &[u8], at: usize) -> Option<(RawStamp, usize)> {
    if !is_weekday(b, at) || b.get(at + 3) != Some(&b' ') {
        return None;
    }
    let mo = month_abbr(b, at + 4)?;
    if b.get(at + 7) != Some(&b' ') {
        return None;
    }
    // Day may be space-padded (`Jul  1`).
    let mut p = at + 8;
    if b.get(p) == Some(&b' ') {
        p += 1;
    }
    let (d, n) = var_digits(b, p, 2)?;
    p += n;
    if b.get(p) != Some(&b' ') {
        return None;
    }
    p += 1;
    let h = digits(b, p, 2)?;
    let mi = digits(b, p + 3, 2)?;
    let s = digits(b, p + 6, 2)?;
    if b.get(p + 2) != Some(&b':') || b.get(p + 5) != Some(&b':') {
        return None;
    }
    p += 8;
    let (nanos, used) = fraction(b, p);
    p += used;
    if b.get(p) != Some(&b' ') {
        return None;
    }
    p += 1;
    // Optional zone word (`CST`, `GMT+08:00`) before the year.
    let mut zone = StampZone::Naive;
    if b.get(p).is_some_and(u8::is_ascii_alphabetic) {
        let start = p;
        while b
            .get(p)
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b':'))
        {
            p += 1;
        }
        let word = std::str::from_utf8(&b[start..p]).ok()?;
        zone = zone_word(word)?;
        if b.get(p) != Some(&b' ') {
            return None;
        }
        p += 1;
    }
    let y = digits(b, p, 4)?;
    let naive = make(y as i32, mo, d, h, mi, s, nanos)?;
    Some((RawStamp { naive, zone }, p + 4))
}

/// A zone word in text: `GMT+08:00`, `UTC`, or an abbreviation.
fn zone_word(word: &str) -> Option<StampZone> {
    for prefix in ["GMT", "UTC"] {
        if let Some(rest) = word.strip_prefix(prefix) {
            if rest.is_empty() {
                return Some(StampZone::Offset(FixedOffset::east_opt(0)?));
            }
            let (off, used) = offset(rest.as_bytes(), 0)?;
            return (used == rest.len()).then_some(StampZone::Offset(off));
        }
    }
    if (2..=5).contains(&word.len()) && word.bytes().all(|c| c.is_ascii_uppercase()) {
        return Some(StampZone::Abbrev(word.to_string()));
    }
    None
}

/// `dd-MMM-yyyy HH:mm:ss.SSS` (Tomcat JULI).
fn parse_juli(b: &[u8]) -> Option<RawStamp> {
    let d = digits(b, 0, 2)?;
    if b.get(2) != Some(&b'-') || b.get(6) != Some(&b'-') || b.get(11) != Some(&b' ') {
        return None;
    }
    let mo = month_abbr(b, 3)?;
    let y = digits(b, 7, 4)?;
    let h = digits(b, 12, 2)?;
    let mi = digits(b, 15, 2)?;
    let s = digits(b, 18, 2)?;
    if b.get(14) != Some(&b':') || b.get(17) != Some(&b':') {
        return None;
    }
    let (nanos, _) = fraction(b, 20);
    Some(RawStamp::naive(make(y as i32, mo, d, h, mi, s, nanos)?))
}

/// The time fields a JSON log line may carry, most specific first. Only top-level keys are
/// read (a real parser: keys may be reordered or escaped; nested objects are skipped).
#[derive(Deserialize, Default)]
struct JsonTimeFields {
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

fn epoch_stamp(s: &str) -> Option<RawStamp> {
    Some(RawStamp {
        naive: epoch_text(s)?,
        zone: StampZone::Offset(FixedOffset::east_opt(0)?),
    })
}

fn json_value_stamp(v: &serde_json::Value) -> Option<RawStamp> {
    match v {
        serde_json::Value::Number(n) => epoch_stamp(&n.to_string()),
        serde_json::Value::String(s) => {
            let b = s.as_bytes();
            if let Some((st, _, end)) = parse_iso_like(b, 0) {
                return (end == b.len() || !b[end].is_ascii_alphanumeric()).then_some(st);
            }
            if let Some(st) = epoch_stamp(s) {
                return Some(st);
            }
            parse_slash(b, 0)
                .map(|(st, _, _)| st)
                .or_else(|| parse_clf_body(b, 0))
        }
        _ => None,
    }
}

/// Reads the time field of a JSON object line.
pub fn parse_json_line(line: &[u8]) -> Option<RawStamp> {
    let start = line.iter().position(|c| !c.is_ascii_whitespace())?;
    if line[start] != b'{' {
        return None;
    }
    let mut end = line.len();
    while end > start && line[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    let fields: JsonTimeFields = serde_json::from_slice(&line[start..end]).ok()?;
    [
        fields.at_timestamp,
        fields.timestamp,
        fields.time,
        fields.ts,
        fields.datetime,
        fields.event_time,
        fields.date,
        fields.realtime,
        fields.t,
    ]
    .into_iter()
    .flatten()
    .find_map(|v| json_value_stamp(&v))
}

/// Reads the stamp of `format` at the head of `line` (for CLF: inside the line).
pub fn parse_with(format: Format, line: &[u8]) -> Option<RawStamp> {
    let line = strip_line(line);
    match format {
        Format::Iso8601Offset
        | Format::Iso8601Naive
        | Format::BootLogback
        | Format::CommaMillis
        | Format::DateTimeSeconds => parse_iso_like(line, 0)
            .filter(|(_, f, _)| *f == format)
            .map(|(s, _, _)| s),
        Format::NginxError | Format::GoLog => parse_slash(line, 0)
            .filter(|(_, f, _)| *f == format)
            .map(|(s, _, _)| s),
        Format::Clf => parse_clf_line(line),
        Format::JsonLines => parse_json_line(line),
        Format::ApacheError => {
            if line.first() != Some(&b'[') {
                return None;
            }
            let (st, end) = parse_ctime(line, 1)?;
            (line.get(end) == Some(&b']') && st.zone == StampZone::Naive).then_some(st)
        }
        Format::JavaDate => {
            let (st, _) = parse_ctime(line, 0)?;
            (st.zone != StampZone::Naive).then_some(st)
        }
        Format::TomcatJuli => parse_juli(line),
    }
}

/// Strips a UTF-8 BOM and leading `\r`-free whitespace-free prefix; lines keep their `\r`
/// at the end, which no parser reads.
fn strip_line(line: &[u8]) -> &[u8] {
    line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
}

/// Cheap pre-check: can this line start with any known stamp? Continuation lines (`\tat`,
/// `Caused by:`, `... 12 more`) fail it at the first byte, which keeps the per-line
/// fallback off the hot path.
#[inline]
pub fn may_start_stamp(line: &[u8]) -> bool {
    match strip_line(line).first() {
        Some(c) if c.is_ascii_digit() => true,
        Some(b'[') | Some(b'{') => true,
        Some(c) if c.is_ascii_uppercase() => line.len() > 12 && is_weekday(line, 0),
        _ => false,
    }
}

/// Tries every format on one line (the per-line fallback). Returns the first that reads it.
pub fn parse_any(line: &[u8]) -> Option<(RawStamp, Format)> {
    let l = strip_line(line);
    match l.first()? {
        c if c.is_ascii_digit() => {
            if let Some((st, f, _)) = parse_iso_like(l, 0) {
                return Some((st, f));
            }
            if let Some((st, f, _)) = parse_slash(l, 0) {
                return Some((st, f));
            }
            if let Some(st) = parse_juli(l) {
                return Some((st, Format::TomcatJuli));
            }
            parse_clf_line(l).map(|st| (st, Format::Clf))
        }
        b'[' => parse_with(Format::ApacheError, l)
            .map(|s| (s, Format::ApacheError))
            .or_else(|| parse_clf_line(l).map(|s| (s, Format::Clf))),
        b'{' => parse_json_line(l).map(|s| (s, Format::JsonLines)),
        _ => parse_with(Format::JavaDate, l).map(|s| (s, Format::JavaDate)),
    }
}

/// Detects the dominant format of a file from a sample of its first lines.
///
/// Each of the first `max_lines` non-empty lines votes for the format that reads it;
/// continuation lines do not vote. Access logs have the client address first, so CLF is
/// tried on lines no head-of-line format reads.
pub fn detect(sample: &[u8], max_lines: usize) -> Option<Format> {
    let mut votes: BTreeMap<Format, usize> = BTreeMap::new();
    for line in sample.split(|&c| c == b'\n').take(max_lines * 4) {
        if votes.values().sum::<usize>() >= max_lines {
            break;
        }
        let found = if may_start_stamp(line) {
            parse_any(line).map(|(_, f)| f)
        } else {
            None
        };
        let found = found.or_else(|| parse_clf_line(line).map(|_| Format::Clf));
        if let Some(f) = found {
            *votes.entry(f).or_default() += 1;
        }
    }
    // Most votes wins; ties go to the more specific format (enum order).
    votes
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(f, _)| f)
}

// ---------------------------------------------------------------------------------------
// Zones.

/// A zone faultscope can apply to naive times.
#[derive(Clone, Debug, PartialEq)]
pub enum Zone {
    /// A fixed offset (`+08:00`, `UTC`).
    Fixed(FixedOffset),
    /// An IANA zone with its DST rules (`Asia/Shanghai`, `Europe/Berlin`).
    Iana(Tz),
}

impl Zone {
    /// Parses `UTC`, `Z`, `+08:00`, `+0800`, `UTC+8`, `GMT-05:00` or an IANA name.
    /// Abbreviations are refused here on purpose: `CST` is not a zone (timestamps.md §9).
    pub fn parse(s: &str) -> Result<Zone, String> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("z") || t == "GMT" {
            return Ok(Zone::Fixed(FixedOffset::east_opt(0).expect("zero offset")));
        }
        for prefix in ["UTC", "GMT", ""] {
            if let Some(rest) = t.strip_prefix(prefix) {
                if let Some(off) = parse_offset_text(rest) {
                    return Ok(Zone::Fixed(off));
                }
            }
        }
        if let Ok(tz) = t.parse::<Tz>() {
            // POSIX sign inversion trap: `Etc/GMT-8` is +08:00. Accept it (it is valid) but
            // the resolved offset is echoed in every report so a surprise is visible.
            return Ok(Zone::Iana(tz));
        }
        if let Some(cands) = ambiguous_abbrev(t) {
            return Err(format!(
                "`{t}` is an ambiguous abbreviation ({cands}); give an offset such as +08:00 or an IANA name such as Asia/Shanghai"
            ));
        }
        Err(format!(
            "`{t}` is not a zone: use an offset (+08:00, -0500, UTC) or an IANA name (Asia/Shanghai)"
        ))
    }

    /// The machine's local zone (IANA name when the OS tells it, else the current offset).
    pub fn local() -> Zone {
        if let Ok(name) = iana_time_zone::get_timezone() {
            if let Ok(tz) = name.parse::<Tz>() {
                return Zone::Iana(tz);
            }
        }
        Zone::Fixed(chrono::Local::now().offset().fix())
    }

    /// Resolves a naive wall-clock reading. DST folds take the earlier instant; times in a
    /// spring-forward gap are shifted forward by the gap (timestamps.md §11).
    pub fn to_utc(&self, naive: NaiveDateTime) -> DateTime<Utc> {
        match self {
            Zone::Fixed(off) => {
                (naive - chrono::Duration::seconds(off.local_minus_utc() as i64)).and_utc()
            }
            Zone::Iana(tz) => match tz.from_local_datetime(&naive) {
                LocalResult::Single(t) => t.with_timezone(&Utc),
                LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
                LocalResult::None => {
                    // In a gap: read with the offset in force just before it.
                    let before = naive - chrono::Duration::hours(3);
                    let off = match tz.from_local_datetime(&before) {
                        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                            t.offset().fix().local_minus_utc()
                        }
                        LocalResult::None => 0,
                    };
                    (naive - chrono::Duration::seconds(off as i64)).and_utc()
                }
            },
        }
    }

    /// Offset in force at `utc` (for display).
    pub fn offset_at(&self, utc: DateTime<Utc>) -> FixedOffset {
        match self {
            Zone::Fixed(off) => *off,
            Zone::Iana(tz) => tz.offset_from_utc_datetime(&utc.naive_utc()).fix(),
        }
    }

    /// Renders an instant in this zone, RFC 3339 style with the local offset.
    pub fn format(&self, utc: DateTime<Utc>, fmt: &str) -> String {
        utc.with_timezone(&self.offset_at(utc))
            .format(fmt)
            .to_string()
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Zone::Fixed(off) if off.local_minus_utc() == 0 => f.write_str("UTC"),
            Zone::Fixed(off) => write!(f, "{off}"),
            Zone::Iana(tz) => f.write_str(tz.name()),
        }
    }
}

fn parse_offset_text(s: &str) -> Option<FixedOffset> {
    let b = s.as_bytes();
    match b.first()? {
        b'+' | b'-' => {}
        _ => return None,
    }
    if let Some((off, used)) = offset(b, 0) {
        if used == b.len() {
            return Some(off);
        }
    }
    // `+8`, `-5`, `+5:30`
    let sign = if b[0] == b'-' { -1 } else { 1 };
    let (h, n) = var_digits(b, 1, 2)?;
    let mut m = 0;
    let mut used = 1 + n;
    if b.get(used) == Some(&b':') {
        let (mm, n2) = var_digits(b, used + 1, 2)?;
        m = mm;
        used += 1 + n2;
    }
    if used != b.len() || h > 15 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h as i32 * 3600 + m as i32 * 60))
}

/// Abbreviations with more than one real-world meaning (timestamps.md §9): never guessed.
pub fn ambiguous_abbrev(abbr: &str) -> Option<&'static str> {
    Some(match abbr {
        "CST" => "US Central -06:00, China +08:00, Cuba -05:00",
        "CDT" => "US Central daylight -05:00, Cuba daylight -04:00",
        "IST" => "India +05:30, Israel +02:00, Ireland +01:00",
        "BST" => "British Summer +01:00, Bangladesh +06:00",
        "AST" => "Atlantic -04:00, Arabia +03:00",
        "ADT" => "Atlantic daylight -03:00, Arabia",
        "GST" => "Gulf +04:00, South Georgia -02:00",
        "SST" => "Samoa -11:00, Singapore +08:00",
        "PST" => "US Pacific -08:00, Philippines +08:00",
        _ => return None,
    })
}

/// Abbreviations with one common meaning, resolved without asking (timestamps.md §9 "safe").
pub fn builtin_abbrev(abbr: &str) -> Option<FixedOffset> {
    let h = |x: i32| FixedOffset::east_opt(x * 3600);
    match abbr {
        "UTC" | "GMT" | "UT" | "Z" | "WET" => h(0),
        "WEST" | "CET" => h(1),
        "CEST" | "EET" => h(2),
        "EEST" | "MSK" => h(3),
        "JST" | "KST" => h(9),
        "HKT" | "SGT" | "AWST" => h(8),
        "AEST" => h(10),
        "AEDT" => h(11),
        "NZST" => h(12),
        "NZDT" => h(13),
        "HST" => h(-10),
        "EST" => h(-5),
        "EDT" => h(-4),
        "MST" => h(-7),
        "MDT" => h(-6),
        "PDT" => h(-7),
        "AKST" => h(-9),
        "AKDT" => h(-8),
        "NST" => FixedOffset::east_opt(-(3 * 3600 + 1800)),
        _ => None,
    }
}

/// Why an instant has the offset it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ZoneReason {
    /// The text carried digits or `Z` (or an epoch number).
    Explicit,
    /// `--tz-for GLOB=ZONE` matched the file.
    FlagForFile,
    /// `--tz ZONE`.
    Flag,
    /// `--tz-alias ABBR=ZONE` or an unambiguous built-in abbreviation.
    Alias,
    /// Nothing said: the machine's local zone.
    DefaultLocal,
}

impl ZoneReason {
    /// Human wording used in reports.
    pub fn describe(self) -> &'static str {
        match self {
            ZoneReason::Explicit => "explicit offset in the text",
            ZoneReason::FlagForFile => "--tz-for",
            ZoneReason::Flag => "--tz",
            ZoneReason::Alias => "abbreviation alias",
            ZoneReason::DefaultLocal => "default: this machine's local zone",
        }
    }
}

/// How naive times and abbreviations in one file are resolved.
#[derive(Clone, Debug)]
pub struct ZoneRule {
    /// Zone for naive times.
    pub zone: Zone,
    /// Why that zone (flag, per-file flag, local default).
    pub reason: ZoneReason,
    /// `--tz-alias` entries (abbreviation → zone).
    pub aliases: BTreeMap<String, Zone>,
}

/// Result of resolving one stamp.
#[derive(Clone, Debug, PartialEq)]
pub enum Resolved {
    /// An instant, and why its offset is what it is.
    At(DateTime<Utc>, ZoneReason),
    /// An ambiguous abbreviation nobody resolved: counted as undated, with a warning.
    Ambiguous(String),
}

impl ZoneRule {
    /// Applies the resolution order of timestamps.md §11: explicit offset → alias table →
    /// unambiguous built-in abbreviation → the file's zone.
    pub fn resolve(&self, st: &RawStamp) -> Resolved {
        match &st.zone {
            StampZone::Offset(off) => Resolved::At(
                (st.naive - chrono::Duration::seconds(off.local_minus_utc() as i64)).and_utc(),
                ZoneReason::Explicit,
            ),
            StampZone::Naive => Resolved::At(self.zone.to_utc(st.naive), self.reason),
            StampZone::Abbrev(a) => {
                if let Some(z) = self.aliases.get(a) {
                    return Resolved::At(z.to_utc(st.naive), ZoneReason::Alias);
                }
                if ambiguous_abbrev(a).is_some() {
                    return Resolved::Ambiguous(a.clone());
                }
                match builtin_abbrev(a) {
                    Some(off) => Resolved::At(Zone::Fixed(off).to_utc(st.naive), ZoneReason::Alias),
                    None => Resolved::Ambiguous(a.clone()),
                }
            }
        }
    }
}

/// Formats an instant as RFC 3339 UTC with second precision (`2019-08-21T00:47:10Z`);
/// fractions are kept when present so ordering stays visible.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    if t.timestamp_subsec_nanos() == 0 {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }
}

/// Parses durations like `90s`, `2m`, `1h30m`, `500ms`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<chrono::Duration, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(n) = t.parse::<u64>() {
        return Ok(chrono::Duration::seconds(n as i64));
    }
    let mut total_ms: i64 = 0;
    let mut num = String::new();
    let mut chars = t.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphabetic() {
                unit.push(n);
                chars.next();
            } else {
                break;
            }
        }
        let v: f64 = num
            .parse()
            .map_err(|_| format!("`{s}` is not a duration (try 90s, 2m, 1h)"))?;
        num.clear();
        let ms = match unit.as_str() {
            "ms" => 1.0,
            "s" | "sec" => 1000.0,
            "m" | "min" => 60_000.0,
            "h" => 3_600_000.0,
            "d" => 86_400_000.0,
            _ => return Err(format!("`{s}`: unknown unit `{unit}` (use ms, s, m, h, d)")),
        };
        total_ms += (v * ms).round() as i64;
        any = true;
    }
    if !num.is_empty() || !any {
        return Err(format!("`{s}` is not a duration (try 90s, 2m, 1h)"));
    }
    Ok(chrono::Duration::milliseconds(total_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn rule(zone: &str) -> ZoneRule {
        ZoneRule {
            zone: Zone::parse(zone).unwrap(),
            reason: ZoneReason::Flag,
            aliases: BTreeMap::new(),
        }
    }

    fn at(line: &str, zone: &str) -> DateTime<Utc> {
        let (st, _) = parse_any(line.as_bytes()).expect("parses");
        match rule(zone).resolve(&st) {
            Resolved::At(t, _) => t,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn boot_logback_and_comma_millis() {
        let l = "2019-08-21 08:00:04.053  INFO 4321 --- [main] c.e.App : hi";
        assert_eq!(parse_any(l.as_bytes()).unwrap().1, Format::BootLogback);
        assert_eq!(at(l, "+08:00"), utc("2019-08-21T00:00:04.053Z"));
        let l = "2019-08-21 11:00:01,628 INFO  [main] c.e.Job - x";
        assert_eq!(parse_any(l.as_bytes()).unwrap().1, Format::CommaMillis);
        assert_eq!(at(l, "UTC"), utc("2019-08-21T11:00:01.628Z"));
    }

    #[test]
    fn iso_variants() {
        for (l, want) in [
            (
                "2019-08-21T16:02:06.452+08:00 x",
                "2019-08-21T08:02:06.452Z",
            ),
            ("2019-08-21T16:02:06.452+0800 x", "2019-08-21T08:02:06.452Z"),
            (
                "2019-08-21T08:02:06.452345678Z x",
                "2019-08-21T08:02:06.452345678Z",
            ),
            (
                "2020-08-06T14:25:02.835618Z 0 [Note]",
                "2020-08-06T14:25:02.835618Z",
            ),
            ("2019-08-21T16:02:06+08 x", "2019-08-21T08:02:06Z"),
        ] {
            let (_, f) = parse_any(l.as_bytes()).unwrap();
            assert_eq!(f, Format::Iso8601Offset, "{l}");
            assert_eq!(at(l, "-05:00"), utc(want), "{l}");
        }
        let l = "2019-08-21T16:02:06.452 naive";
        assert_eq!(parse_any(l.as_bytes()).unwrap().1, Format::Iso8601Naive);
        assert_eq!(at(l, "+02:00"), utc("2019-08-21T14:02:06.452Z"));
    }

    #[test]
    fn nginx_error_vs_go_log() {
        let l = "2019/08/21 08:07:25 [error] 8768#14324: *3 CreateFile() failed";
        assert_eq!(parse_any(l.as_bytes()).unwrap().1, Format::NginxError);
        assert_eq!(at(l, "+08:00"), utc("2019-08-21T00:07:25Z"));
        let l = "2020/11/05 16:23:08.433760 D:/code/x.go:58: msg";
        assert_eq!(parse_any(l.as_bytes()).unwrap().1, Format::GoLog);
    }

    #[test]
    fn clf_access_log() {
        let l = r#"192.168.2.20 - - [28/Jul/2006:10:27:10 -0300] "GET /cgi-bin/try/ HTTP/1.0" 200 3395"#;
        let st = parse_with(Format::Clf, l.as_bytes()).unwrap();
        assert_eq!(
            rule("UTC").resolve(&st),
            Resolved::At(utc("2006-07-28T13:27:10Z"), ZoneReason::Explicit)
        );
        assert_eq!(detect(l.as_bytes(), 10), Some(Format::Clf));
    }

    #[test]
    fn json_lines_fields_and_epochs() {
        for (l, want) in [
            (
                r#"{"timestamp":1566374526452,"status":500}"#,
                "2019-08-21T08:02:06.452Z",
            ),
            (
                r#"{"ts":1566374526.5,"msg":"x"}"#,
                "2019-08-21T08:02:06.500Z",
            ),
            (
                r#"{"@timestamp":"2019-08-21T08:00:03.123+08:00","message":"x"}"#,
                "2019-08-21T00:00:03.123Z",
            ),
            (
                r#"{"msg":"x","time":"2019-08-21T08:02:06.452345678Z"}"#,
                "2019-08-21T08:02:06.452345678Z",
            ),
            (
                r#"{"__REALTIME_TIMESTAMP":"1566374526452345"}"#,
                "2019-08-21T08:02:06.452345Z",
            ),
            (
                r#"{"time":1566374526452345678}"#,
                "2019-08-21T08:02:06.452345678Z",
            ),
        ] {
            assert_eq!(at(l, "+08:00"), utc(want), "{l}");
        }
        // Nested keys are not the record's time.
        assert!(parse_json_line(br#"{"nested":{"time":1566374526}}"#).is_none());
        // A counter is not a time.
        assert!(parse_json_line(br#"{"time":42}"#).is_none());
        // Naive ISO string in JSON takes the zone rule.
        assert_eq!(
            at(r#"{"time":"2019-08-21 16:02:06.452"}"#, "+08:00"),
            utc("2019-08-21T08:02:06.452Z")
        );
    }

    #[test]
    fn ambiguous_abbreviations_are_not_guessed() {
        let l = "Sun Jun 30 12:46:00 CST 2019 something";
        let (st, f) = parse_any(l.as_bytes()).unwrap();
        assert_eq!(f, Format::JavaDate);
        assert_eq!(rule("UTC").resolve(&st), Resolved::Ambiguous("CST".into()));
        let mut r = rule("UTC");
        r.aliases
            .insert("CST".into(), Zone::parse("Asia/Shanghai").unwrap());
        assert_eq!(
            r.resolve(&st),
            Resolved::At(utc("2019-06-30T04:46:00Z"), ZoneReason::Alias)
        );
        let (st, _) = parse_any(b"Sun Jun 30 12:46:00 JST 2019").unwrap();
        assert_eq!(
            rule("UTC").resolve(&st),
            Resolved::At(utc("2019-06-30T03:46:00Z"), ZoneReason::Alias)
        );
    }

    #[test]
    fn apache_error_and_juli() {
        let l = "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok";
        assert_eq!(parse_any(l.as_bytes()).unwrap().1, Format::ApacheError);
        assert_eq!(at(l, "UTC"), utc("2005-12-04T04:47:44Z"));
        let l = "[Wed Mar 09 06:28:44.358980 2022] [core:notice] [pid 21332] x";
        assert_eq!(at(l, "UTC"), utc("2022-03-09T06:28:44.358980Z"));
        let l = "21-Aug-2019 16:02:06.452 INFO [main] org.apache.catalina.startup.Catalina.start";
        assert_eq!(parse_any(l.as_bytes()).unwrap().1, Format::TomcatJuli);
    }

    #[test]
    fn zones_parse_and_dst() {
        assert_eq!(Zone::parse("+08:00").unwrap().to_string(), "+08:00");
        assert_eq!(Zone::parse("UTC+8").unwrap().to_string(), "+08:00");
        assert_eq!(Zone::parse("-0530").unwrap().to_string(), "-05:30");
        assert!(Zone::parse("CST").unwrap_err().contains("ambiguous"));
        assert!(Zone::parse("Mars/Olympus").is_err());
        // Etc/GMT-8 is +08:00 (POSIX sign inversion).
        let z = Zone::parse("Etc/GMT-8").unwrap();
        assert_eq!(
            z.to_utc(
                NaiveDate::from_ymd_opt(2019, 8, 21)
                    .unwrap()
                    .and_hms_opt(8, 0, 0)
                    .unwrap()
            ),
            utc("2019-08-21T00:00:00Z")
        );
        let ny = Zone::parse("America/New_York").unwrap();
        // Fall back: 01:30 happens twice on 2019-11-03; the earlier (EDT) is taken.
        let fold = NaiveDate::from_ymd_opt(2019, 11, 3)
            .unwrap()
            .and_hms_opt(1, 30, 0)
            .unwrap();
        assert_eq!(ny.to_utc(fold), utc("2019-11-03T05:30:00Z"));
        // Spring forward: 02:30 does not exist on 2019-03-10; read with the EST offset.
        let gap = NaiveDate::from_ymd_opt(2019, 3, 10)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(ny.to_utc(gap), utc("2019-03-10T07:30:00Z"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap().num_seconds(), 90);
        assert_eq!(parse_duration("2m").unwrap().num_seconds(), 120);
        assert_eq!(parse_duration("1h30m").unwrap().num_seconds(), 5400);
        assert_eq!(parse_duration("45").unwrap().num_seconds(), 45);
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5x").is_err());
    }

    #[test]
    fn continuation_lines_are_not_stamps() {
        for l in [
            "\tat java.net.DualStackPlainSocketImpl.connect0(Native Method)",
            "Caused by: java.net.SocketException: No buffer space available",
            "\t... 158 common frames omitted",
            "com.netflix.zuul.exception.ZuulException: Forwarding error",
            "",
        ] {
            assert!(
                !may_start_stamp(l.as_bytes()) || parse_any(l.as_bytes()).is_none(),
                "{l}"
            );
        }
    }

    #[test]
    fn detect_prefers_majority() {
        let sample = b"2019-08-21 08:00:04.053  INFO 1 --- [main] a : b\n\tat x\n2019-08-21 08:00:05.053  INFO 1 --- [main] a : b\n";
        assert_eq!(detect(sample, 50), Some(Format::BootLogback));
        assert_eq!(detect(b"no stamps here\nnone\n", 50), None);
    }

    proptest::proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = parse_any(&bytes);
            let _ = detect(&bytes, 50);
            for f in Format::ALL { let _ = parse_with(f, &bytes); }
        }

        #[test]
        fn iso_round_trip(secs in 631_152_000i64..4_102_444_000, ms in 0u32..1000, off_min in -720i32..840) {
            let off = FixedOffset::east_opt(off_min * 60).unwrap();
            let t = DateTime::from_timestamp(secs, ms * 1_000_000).unwrap();
            let text = t.with_timezone(&off).format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string();
            let (st, _) = parse_any(text.as_bytes()).unwrap();
            proptest::prop_assert_eq!(rule("UTC").resolve(&st), Resolved::At(t, ZoneReason::Explicit));
        }
    }
}

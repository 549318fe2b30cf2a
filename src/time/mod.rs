//! Timestamps: find them in a log line, parse them, and turn them into UTC instants under an
//! explicit zone rule.
//!
//! Input is one physical line (bytes, `\r` already stripped or not). Output is a
//! [`RawStamp`]: the wall-clock reading plus what the text said about its zone
//! ([`StampZone`]: nothing, an explicit offset, UTC, or an abbreviation such as `CST`) and
//! what it lacks ([`Partial`]: the year for syslog/klog/logcat, the date for time-only
//! stamps, a wall clock for JVM uptime). A per-file [`FileTime`] fills in what is missing
//! (year from the file's mtime or `--year`, date from the file name) and [`ZoneRule::resolve`]
//! turns the result into an instant plus the *provenance* of the offset used (explicit /
//! flag / alias / default local), because a timeline is only as trustworthy as the zone
//! assumption under it (the founding case ends with `Sun Jun 30 12:46:00 CST 2019` re-read
//! as US Central: 14 h off).
//!
//! Tricky cases handled here (see `shared/reference/timestamps.md`):
//! - `boot-logback` (`.452`), `comma-millis` (`,452`), `mssql-errorlog` (`.45`), `pg-prefix`
//!   (`… CST [123]`), `iis-w3c` (`… 10.0.0.5 GET`), `cri` (`…Z stdout F`) and ISO 8601 share
//!   a prefix: one parser reads them all and the *shape* names the format.
//! - `nginx-error` and Go `log` both start `yyyy/MM/dd HH:mm:ss`; Spark writes `yy/MM/dd`.
//! - Access logs carry the stamp after the client address: `[21/Aug/2019:08:00:01 +0800]`.
//! - Some files put the stamp after other fields (OpenStack: a file name; HPC: epoch
//!   seconds in the 5th column): detection learns a per-file [`Layout`] (format + fields to
//!   skip).
//! - JSON lines keep the time in a field (`@timestamp`, `timestamp`, `time`, `ts`, ...) as an
//!   RFC 3339 string (possibly naive) or an epoch number whose unit is told by magnitude.
//! - Ambiguous abbreviations (CST, IST, BST, ...) are never guessed: they need an alias.
//! - HDFS `yyMMdd HHmmss` and bare `HH:mm:ss` are only accepted per file (six-digit pairs
//!   and clock times are common in messages), never by the per-line fallback.
//!
//! Detection is per file ([`detect_file`]) on the first stamped lines; a line the detected
//! format does not read is retried with every column-0 format (per-line fallback, for mixed
//! stdout files).

use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc,
};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::fmt;

mod context;

pub use context::{FileTime, FileTimeInput, Inference, SAMPLE_BYTES};

/// A timestamp format faultscope can read. The names are the ids of timestamps.md §1, plus
/// the loghub oddities (§8). Declaration order is the detection tie-break order (most
/// specific first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// Thunderbird/BGL: `- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 …` (epoch + date +
    /// node, then the node's own stamp).
    EpochPrefix,
    /// `2019-04-30T02:12:41.8443515Z stdout F msg` (containerd / CRI-O).
    Cri,
    /// `2019-08-21T16:02:06+0800 host unit[123]: msg` (`journalctl -o short-iso`).
    JournalShortIso,
    /// `<165>1 2003-10-11T22:14:15.003Z host app - ID47 - msg` (RFC 5424).
    Syslog5424,
    /// `2019-08-21T16:02:06.452+08:00`, `...Z`, `...+0800` (explicit zone).
    Iso8601Offset,
    /// `{"log":"msg\n","stream":"stdout","time":"2019-08-21T08:02:06.452345678Z"}`.
    DockerJson,
    /// `{"timestamp":1566374526452,…}` (epoch number in a JSON field).
    JsonEpoch,
    /// `[0.025s][info][gc]` / `[2024-01-18T15:52:18.144+0000][info][gc]` (JDK 9+ `-Xlog`).
    JvmUnified,
    /// `2019-08-21 08:02:06 10.0.0.5 GET /x …` (IIS W3C: always UTC).
    IisW3c,
    /// `2018-11-21 12:41:32 FET 00000 LOG:` / `… +03 …` (PostgreSQL `log_line_prefix`).
    PgPrefix,
    /// `2006-02-27 00:02:00.34 Logon  Error: 18456` (SQL Server ERRORLOG, 2-digit fraction).
    MssqlErrorlog,
    /// `2019-08-21 16:02:06.452` (Spring Boot 1.x/2.x default).
    BootLogback,
    /// `2015-10-18 18:01:47,978` (log4j, logback `%d`, Python asctime).
    CommaMillis,
    /// `2019-08-21T16:02:06.452` (ISO with `T`, no zone).
    Iso8601Naive,
    /// `2005-06-03-15.42.50.675872` (BGL: dots in the time).
    Bgl,
    /// `20171223-22:15:29:606` (HealthApp: milliseconds not zero-padded).
    HealthApp,
    /// `2019-08-21 16:02:06` (no fraction: ad-hoc, Windows CBS `2016-09-28 04:30:30, Info`).
    DateTimeSeconds,
    /// `Sun Jun 30 12:46:00 CST 2019` (`java.util.Date.toString()`).
    JavaDate,
    /// `21-Aug-2019 16:02:06.452` (Tomcat JULI OneLineFormatter).
    TomcatJuli,
    /// `Dec 22, 2015 1:45:12 PM org.x.Y method` (JUL SimpleFormatter, 12 h clock).
    JulSimple,
    /// `2019/08/21 08:07:25 [error] ...` (nginx error log).
    NginxError,
    /// `2020/11/05 16:23:08.433760 msg` / `2009/01/23 01:23:23 msg` (Go `log`).
    GoLog,
    /// `17/06/09 20:10:40 INFO …` (Spark: `yy/MM/dd`).
    Spark,
    /// `[21/Aug/2019:08:00:01 +0800]` (Common/Combined Log Format).
    Clf,
    /// `[Sun Dec 04 04:47:44 2005]` / `[Wed Mar 09 06:28:44.358980 2022]` (Apache error log).
    ApacheError,
    /// `[10.30 16:49:06] chrome.exe - …` (Proxifier: `MM.dd`, no year).
    Proxifier,
    /// `Jun 14 15:16:02 host tag[pid]: msg` / `Jul  1 09:01:05` (RFC 3164, no year).
    Syslog3164,
    /// `I1012 20:32:36.250791   24371 main.go:11] msg` (Kubernetes klog/glog, no year).
    Klog,
    /// `03-17 16:13:38.811  1702  2395 D Tag: msg` (Android logcat threadtime, no year).
    Logcat,
    /// One JSON object per line with an RFC 3339 time field.
    JsonLines,
    /// logfmt: `time=2023-08-04T16:09:59.123-04:00 level=INFO msg=…` (Go slog, logrus,
    /// go-kit `ts=`), the time key among the first fields.
    Logfmt,
    /// `081109 203615 148 INFO dfs.DataNode…` (Hadoop 0.x HDFS; only whole files).
    Hdfs,
    /// Epoch seconds in a fixed whitespace-separated column (HPC; squid `1566374526.452`).
    EpochColumn,
    /// `22:43:19.343 [main] INFO c.e.App - msg` (no date: taken from file name or mtime).
    TimeOnly,
}

/// Serialized as its id (`iso8601-space`), as in reports.
impl serde::Serialize for Format {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> serde::Deserialize<'de> for Format {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Format, D::Error> {
        let id = String::deserialize(d)?;
        Format::from_id(&id)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown timestamp format `{id}`")))
    }
}

impl Format {
    /// Every format, most specific first (the detection order of timestamps.md §1).
    pub const ALL: [Format; 34] = [
        Format::EpochPrefix,
        Format::Cri,
        Format::JournalShortIso,
        Format::Syslog5424,
        Format::Iso8601Offset,
        Format::DockerJson,
        Format::JsonEpoch,
        Format::JvmUnified,
        Format::IisW3c,
        Format::PgPrefix,
        Format::MssqlErrorlog,
        Format::BootLogback,
        Format::CommaMillis,
        Format::Iso8601Naive,
        Format::Bgl,
        Format::HealthApp,
        Format::DateTimeSeconds,
        Format::JavaDate,
        Format::TomcatJuli,
        Format::JulSimple,
        Format::NginxError,
        Format::GoLog,
        Format::Spark,
        Format::Clf,
        Format::ApacheError,
        Format::Proxifier,
        Format::Syslog3164,
        Format::Klog,
        Format::Logcat,
        Format::JsonLines,
        Format::Logfmt,
        Format::Hdfs,
        Format::EpochColumn,
        Format::TimeOnly,
    ];

    /// Stable id used in reports and `--debug`.
    pub fn id(self) -> &'static str {
        match self {
            Format::EpochPrefix => "epoch-prefix",
            Format::Cri => "cri",
            Format::JournalShortIso => "journal-short-iso",
            Format::Syslog5424 => "syslog-5424",
            Format::Iso8601Offset => "iso8601-offset",
            Format::DockerJson => "docker-json",
            Format::JsonEpoch => "json-epoch",
            Format::JvmUnified => "jvm-unified",
            Format::IisW3c => "iis-w3c",
            Format::PgPrefix => "pg-prefix",
            Format::MssqlErrorlog => "mssql-errorlog",
            Format::BootLogback => "boot-logback",
            Format::CommaMillis => "comma-millis",
            Format::Iso8601Naive => "iso8601-naive",
            Format::Bgl => "bgl",
            Format::HealthApp => "healthapp",
            Format::DateTimeSeconds => "datetime-seconds",
            Format::JavaDate => "java-date-tostring",
            Format::TomcatJuli => "tomcat-juli",
            Format::JulSimple => "jul-simple",
            Format::NginxError => "nginx-error",
            Format::GoLog => "go-log",
            Format::Spark => "spark",
            Format::Clf => "clf",
            Format::ApacheError => "apache-error",
            Format::Proxifier => "proxifier",
            Format::Syslog3164 => "syslog-3164",
            Format::Klog => "klog",
            Format::Logcat => "logcat",
            Format::JsonLines => "json-lines",
            Format::Logfmt => "logfmt",
            Format::Hdfs => "hdfs",
            Format::EpochColumn => "epoch-column",
            Format::TimeOnly => "time-only",
        }
    }

    /// The format with this id.
    pub fn from_id(id: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.id() == id)
    }

    /// What the format's stamps lack (JVM uptime is decided per line).
    pub fn missing(self) -> Partial {
        match self {
            Format::Syslog3164 | Format::Klog | Format::Logcat | Format::Proxifier => {
                Partial::NoYear
            }
            Format::TimeOnly => Partial::NoDate,
            _ => Partial::Full,
        }
    }

    /// What the format says about zones, for tables and `inspect`.
    pub fn zone_kind(self) -> &'static str {
        match self {
            Format::Iso8601Offset
            | Format::Clf
            | Format::Syslog5424
            | Format::JournalShortIso
            | Format::DockerJson
            | Format::Cri
            | Format::JsonEpoch
            | Format::EpochColumn => "explicit",
            Format::EpochPrefix => {
                "explicit (epoch column; offset of the node's own stamp derived from it)"
            }
            Format::IisW3c => "UTC by definition (not marked)",
            Format::JavaDate | Format::PgPrefix => "abbreviation or offset",
            Format::JvmUnified => "explicit, or uptime only",
            Format::JsonLines | Format::Logfmt => "explicit or naive",
            _ => "none (naive)",
        }
    }

    /// True for formats whose parser is shared (`parse_iso_like`) and told apart by shape.
    fn iso_family(self) -> bool {
        matches!(
            self,
            Format::Iso8601Offset
                | Format::Iso8601Naive
                | Format::BootLogback
                | Format::CommaMillis
                | Format::DateTimeSeconds
                | Format::MssqlErrorlog
                | Format::PgPrefix
                | Format::JournalShortIso
                | Format::Cri
                | Format::IisW3c
        )
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

/// What a stamp's text lacks, to be filled in per file ([`FileTime`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Partial {
    /// A complete wall-clock reading.
    #[default]
    Full,
    /// No year (syslog, klog, logcat, Proxifier): `naive` holds [`PLACEHOLDER_YEAR`].
    NoYear,
    /// No date (time-only): `naive` is on 2000-01-01.
    NoDate,
    /// No wall clock (JVM uptime): `naive` is 1970-01-01 plus the uptime.
    Uptime,
}

/// Year stored in year-less stamps until the real one is known (a leap year, so `Feb 29`
/// survives until then).
pub const PLACEHOLDER_YEAR: i32 = 2000;

/// A timestamp as read from the text, before any zone rule is applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawStamp {
    /// Wall-clock reading.
    pub naive: NaiveDateTime,
    /// Zone information carried by the text.
    pub zone: StampZone,
    /// What the text lacks (year, date, wall clock).
    pub partial: Partial,
}

impl RawStamp {
    fn naive(naive: NaiveDateTime) -> RawStamp {
        RawStamp {
            naive,
            zone: StampZone::Naive,
            partial: Partial::Full,
        }
    }

    fn zoned(naive: NaiveDateTime, zone: StampZone) -> RawStamp {
        RawStamp {
            naive,
            zone,
            partial: Partial::Full,
        }
    }

    fn partial(naive: NaiveDateTime, partial: Partial) -> RawStamp {
        RawStamp {
            naive,
            zone: StampZone::Naive,
            partial,
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

/// True at the end of the line (end of slice, `\r` or `\n`).
#[inline]
fn at_end(b: &[u8], p: usize) -> bool {
    matches!(b.get(p), None | Some(b'\r') | Some(b'\n'))
}

/// True at a field boundary: a space or tab, or the end of the line.
#[inline]
fn at_boundary(b: &[u8], p: usize) -> bool {
    at_end(b, p) || matches!(b.get(p), Some(b' ') | Some(b'\t'))
}

/// Log level words that look like zone abbreviations (`INFO` after a pg-like stamp).
fn is_level_word(w: &[u8]) -> bool {
    const LEVELS: [&[u8]; 20] = [
        b"INFO", b"WARN", b"ERROR", b"DEBUG", b"TRACE", b"FATAL", b"CRIT", b"ALERT", b"EMERG",
        b"NOTE", b"LOG", b"PANIC", b"FINE", b"FINER", b"HINT", b"OK", b"FAIL", b"ERR", b"DBG",
        b"WRN",
    ];
    LEVELS.contains(&w)
}

/// ` host tag[pid]: ` after a stamp (journalctl short forms, syslog).
fn syslog_tail(b: &[u8], p: usize) -> bool {
    if b.get(p) != Some(&b' ') {
        return false;
    }
    let mut q = p + 1;
    let host = q;
    while b
        .get(q)
        .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
    {
        q += 1;
    }
    if q == host || q - host > 255 || b.get(q) != Some(&b' ') {
        return false;
    }
    q += 1;
    let tag = q;
    while q < b.len() && q - tag <= 96 && !matches!(b[q], b' ' | b'\r' | b'\n') {
        q += 1;
    }
    q > tag + 1 && b[q - 1] == b':'
}

/// ` stdout F ` / ` stderr P ` after a CRI stamp.
fn std_stream_tail(b: &[u8], p: usize) -> bool {
    let Some(rest) = b.get(p..p + 8) else {
        return false;
    };
    (rest == b" stdout " || rest == b" stderr ")
        && matches!(b.get(p + 8), Some(b'P') | Some(b'F'))
        && at_boundary(b, p + 9)
}

/// ` 10.0.0.5 GET ` after an IIS W3C `date time` (default field order `s-ip cs-method`).
fn iis_tail(b: &[u8], p: usize) -> bool {
    if b.get(p) != Some(&b' ') {
        return false;
    }
    let mut q = p + 1;
    let ip = q;
    let mut dots = 0;
    while let Some(&c) = b.get(q) {
        match c {
            b'.' | b':' => dots += 1,
            c if c.is_ascii_hexdigit() => {}
            _ => break,
        }
        q += 1;
    }
    if q - ip < 3 || dots < 2 || b.get(q) != Some(&b' ') {
        return false;
    }
    q += 1;
    let m = q;
    while b
        .get(q)
        .is_some_and(|c| c.is_ascii_uppercase() || *c == b'_')
    {
        q += 1;
    }
    (3..=16).contains(&(q - m)) && b.get(q) == Some(&b' ')
}

/// A PostgreSQL `%m`/`%t` zone word after the stamp: `CST `, `FET 00000`, `UTC [12]`.
/// Returns the zone and the end of the word.
fn pg_zone_word(b: &[u8], p: usize) -> Option<(StampZone, usize)> {
    let mut q = p;
    while b.get(q).is_some_and(u8::is_ascii_uppercase) {
        q += 1;
    }
    let word = &b[p..q];
    if !(2..=5).contains(&word.len()) || is_level_word(word) || !at_boundary(b, q) {
        return None;
    }
    let w = std::str::from_utf8(word).ok()?;
    let known = ambiguous_abbrev(w).is_some() || builtin_abbrev(w).is_some();
    let next = b.get(q + 1);
    if !known && !next.is_some_and(|c| c.is_ascii_digit() || *c == b'[') {
        return None;
    }
    Some((zone_word(w)?, q))
}

/// `yyyy-MM-dd[T ]HH:mm:ss[.,frac][zone]` at `at`.
/// Returns the stamp, its format (told by shape), and the end offset.
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
    if let Some((off, oused)) = offset(b, end) {
        // `…+08:00`, `…+0800`, `…Z`: explicit. The tail names the emitter.
        let zend = end + oused;
        let format = if sep == b'T' && std_stream_tail(b, zend) {
            Format::Cri
        } else if sep == b'T' && oused == 5 && syslog_tail(b, zend) {
            Format::JournalShortIso
        } else {
            Format::Iso8601Offset
        };
        return Some((RawStamp::zoned(naive, StampZone::Offset(off)), format, zend));
    }
    if b.get(end) == Some(&b' ') {
        // A space then an offset (`2019-08-21 16:02:06 +0800`, Go's `time.String`; pg `+03`).
        if matches!(b.get(end + 1), Some(b'+') | Some(b'-')) {
            if let Some((off, oused)) = offset(b, end + 1) {
                let zend = end + 1 + oused;
                if oused >= 5 && !b.get(zend).is_some_and(u8::is_ascii_digit) {
                    return Some((
                        RawStamp::zoned(naive, StampZone::Offset(off)),
                        Format::Iso8601Offset,
                        zend,
                    ));
                }
                if oused == 3 && at_boundary(b, zend) {
                    return Some((
                        RawStamp::zoned(naive, StampZone::Offset(off)),
                        Format::PgPrefix,
                        zend,
                    ));
                }
            }
        }
        // A zone word (`CST`, `FET`, `UTC`): PostgreSQL `log_line_prefix` `%m`/`%t`.
        if let Some((zone, zend)) = pg_zone_word(b, end + 1) {
            return Some((RawStamp::zoned(naive, zone), Format::PgPrefix, zend));
        }
    }
    let format = match (sep, frac_sep, used) {
        (b'T', _, _) => Format::Iso8601Naive,
        (_, Some(b','), u) if u > 0 => Format::CommaMillis,
        (_, _, 3) => Format::MssqlErrorlog,
        (_, _, u) if u > 0 => Format::BootLogback,
        _ if iis_tail(b, end) => {
            return Some((
                RawStamp::zoned(naive, StampZone::Offset(utc_offset())),
                Format::IisW3c,
                end,
            ))
        }
        _ => Format::DateTimeSeconds,
    };
    Some((RawStamp::naive(naive), format, end))
}

#[inline]
fn utc_offset() -> FixedOffset {
    FixedOffset::east_opt(0).expect("zero offset")
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
    Some(RawStamp::zoned(naive, zone))
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
fn parse_logfmt(b: &[u8]) -> Option<RawStamp> {
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

/// Cheap shape check for logfmt: a time key at the start or after a space, early in the line.
fn logfmt_shape(b: &[u8]) -> bool {
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
    Some((RawStamp::zoned(naive, zone), p + 4))
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
    /// Docker json-file: the message field (presence only).
    log: Option<serde::de::IgnoredAny>,
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

fn epoch_stamp(s: &str) -> Option<RawStamp> {
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
            parse_slash(b, 0)
                .map(|(st, _, _)| st)
                .or_else(|| parse_clf_body(b, 0))
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

// ---------------------------------------------------------------------------------------
// Formats added for issue 4: syslog, klog, logcat, JUL, RFC 5424, JVM unified logging,
// HDFS, time-only and the loghub oddities.

/// `<PRI>` at `at` (1-3 digits, at most 191); returns the offset after `>`.
fn syslog_pri(b: &[u8], at: usize) -> Option<usize> {
    if b.get(at) != Some(&b'<') {
        return None;
    }
    let (pri, n) = var_digits(b, at + 1, 3)?;
    (pri <= 191 && b.get(at + 1 + n) == Some(&b'>')).then_some(at + 2 + n)
}

/// `HH:mm:ss` at `at`.
fn hms(b: &[u8], at: usize) -> Option<(u32, u32, u32)> {
    if b.get(at + 2) != Some(&b':') || b.get(at + 5) != Some(&b':') {
        return None;
    }
    Some((
        digits(b, at, 2)?,
        digits(b, at + 3, 2)?,
        digits(b, at + 6, 2)?,
    ))
}

/// RFC 3164: `[<PRI>]MMM dd HH:mm:ss[.frac] ` (day space-padded or not). No year.
fn parse_syslog(b: &[u8], at: usize) -> Option<(RawStamp, usize)> {
    let mut p = syslog_pri(b, at).unwrap_or(at);
    let mo = month_abbr(b, p)?;
    if b.get(p + 3) != Some(&b' ') {
        return None;
    }
    p += 4;
    if b.get(p) == Some(&b' ') {
        p += 1;
    }
    let (d, n) = var_digits(b, p, 2)?;
    p += n;
    if b.get(p) != Some(&b' ') {
        return None;
    }
    p += 1;
    let (h, mi, s) = hms(b, p)?;
    p += 8;
    let (nanos, used) = fraction(b, p);
    p += used;
    if !at_boundary(b, p) {
        return None;
    }
    let naive = make(PLACEHOLDER_YEAR, mo, d, h, mi, s, nanos)?;
    Some((RawStamp::partial(naive, Partial::NoYear), p))
}

/// RFC 5424: `<PRI>VERSION TIMESTAMP …` with an RFC 3339 timestamp (`-` = no time).
fn parse_5424(b: &[u8]) -> Option<RawStamp> {
    let p = syslog_pri(b, 0)?;
    let (ver, n) = var_digits(b, p, 2)?;
    if ver == 0 || b.get(p + n) != Some(&b' ') || b.get(p + n + 11) != Some(&b'T') {
        return None;
    }
    let (st, _, end) = parse_iso_like(b, p + n + 1)?;
    at_boundary(b, end).then_some(st)
}

/// Chinese month names as `SimpleDateFormat` prints them for `zh_CN` (`十二月`).
const ZH_MONTHS: [&str; 12] = [
    "一月",
    "二月",
    "三月",
    "四月",
    "五月",
    "六月",
    "七月",
    "八月",
    "九月",
    "十月",
    "十一月",
    "十二月",
];

/// An English month abbreviation or a Chinese month name at `at`; returns (month, bytes).
fn month_word(b: &[u8], at: usize) -> Option<(u32, usize)> {
    if let Some(m) = month_abbr(b, at) {
        return Some((m, 3));
    }
    let rest = b.get(at..)?;
    ZH_MONTHS
        .iter()
        .enumerate()
        .filter(|(_, z)| rest.starts_with(z.as_bytes()))
        .max_by_key(|(_, z)| z.len())
        .map(|(i, z)| (i as u32 + 1, z.len()))
}

/// JUL SimpleFormatter: `Dec 22, 2015 1:45:12 PM` (12 h clock; `上午`/`下午` too).
fn parse_jul(b: &[u8]) -> Option<RawStamp> {
    let (mo, n) = month_word(b, 0)?;
    let mut p = n;
    if b.get(p) != Some(&b' ') {
        return None;
    }
    p += 1;
    let (d, n) = var_digits(b, p, 2)?;
    p += n;
    if b.get(p..p + 2) != Some(b", ") {
        return None;
    }
    p += 2;
    let y = digits(b, p, 4)?;
    p += 4;
    if b.get(p) != Some(&b' ') {
        return None;
    }
    p += 1;
    let (h, n) = var_digits(b, p, 2)?;
    p += n;
    if b.get(p) != Some(&b':') || b.get(p + 3) != Some(&b':') {
        return None;
    }
    let mi = digits(b, p + 1, 2)?;
    let s = digits(b, p + 4, 2)?;
    p += 6;
    if b.get(p) != Some(&b' ') {
        return None;
    }
    p += 1;
    let rest = b.get(p..)?;
    let pm = if rest.starts_with(b"PM")
        || rest.starts_with(b"pm")
        || rest.starts_with("下午".as_bytes())
    {
        true
    } else if rest.starts_with(b"AM")
        || rest.starts_with(b"am")
        || rest.starts_with("上午".as_bytes())
    {
        false
    } else {
        return None;
    };
    if !(1..=12).contains(&h) {
        return None;
    }
    let h24 = match (h, pm) {
        (12, false) => 0,
        (12, true) => 12,
        (h, true) => h + 12,
        (h, false) => h,
    };
    Some(RawStamp::naive(make(y as i32, mo, d, h24, mi, s, 0)?))
}

/// klog/glog: `I1012 20:32:36.250791 ` (severity letter glued to MMdd; no year).
fn parse_klog(b: &[u8]) -> Option<RawStamp> {
    if !matches!(b.first(), Some(b'I' | b'W' | b'E' | b'F')) || b.get(5) != Some(&b' ') {
        return None;
    }
    let mo = digits(b, 1, 2)?;
    let d = digits(b, 3, 2)?;
    let (h, mi, s) = hms(b, 6)?;
    let (nanos, used) = fraction(b, 14);
    if !at_boundary(b, 14 + used) {
        return None;
    }
    let naive = make(PLACEHOLDER_YEAR, mo, d, h, mi, s, nanos)?;
    Some(RawStamp::partial(naive, Partial::NoYear))
}

/// Android logcat threadtime: `03-17 16:13:38.811 ` (no year).
fn parse_logcat(b: &[u8]) -> Option<RawStamp> {
    if b.get(2) != Some(&b'-') || b.get(5) != Some(&b' ') {
        return None;
    }
    let mo = digits(b, 0, 2)?;
    let d = digits(b, 3, 2)?;
    let (h, mi, s) = hms(b, 6)?;
    let (nanos, used) = fraction(b, 14);
    if used == 0 || !at_boundary(b, 14 + used) {
        return None;
    }
    let naive = make(PLACEHOLDER_YEAR, mo, d, h, mi, s, nanos)?;
    Some(RawStamp::partial(naive, Partial::NoYear))
}

/// Proxifier: `[10.30 16:49:06]` (`MM.dd`, no year).
fn parse_proxifier(b: &[u8]) -> Option<RawStamp> {
    if b.first() != Some(&b'[') || b.get(3) != Some(&b'.') || b.get(6) != Some(&b' ') {
        return None;
    }
    let mo = digits(b, 1, 2)?;
    let d = digits(b, 4, 2)?;
    let (h, mi, s) = hms(b, 7)?;
    let (nanos, used) = fraction(b, 15);
    if b.get(15 + used) != Some(&b']') {
        return None;
    }
    let naive = make(PLACEHOLDER_YEAR, mo, d, h, mi, s, nanos)?;
    Some(RawStamp::partial(naive, Partial::NoYear))
}

/// Spark: `17/06/09 20:10:40` (`yy/MM/dd`; never US `MM/dd/yy`).
fn parse_spark(b: &[u8]) -> Option<RawStamp> {
    if b.get(2) != Some(&b'/') || b.get(5) != Some(&b'/') || b.get(8) != Some(&b' ') {
        return None;
    }
    let y = digits(b, 0, 2)?;
    let mo = digits(b, 3, 2)?;
    let d = digits(b, 6, 2)?;
    let (h, mi, s) = hms(b, 9)?;
    let (nanos, used) = fraction(b, 17);
    if !at_boundary(b, 17 + used) {
        return None;
    }
    Some(RawStamp::naive(make(
        2000 + y as i32,
        mo,
        d,
        h,
        mi,
        s,
        nanos,
    )?))
}

/// HealthApp: `20171223-22:15:29:606` (nothing after the date is zero-padded: `22:16:0:119`,
/// `:6` is 6 ms).
fn parse_healthapp(b: &[u8]) -> Option<RawStamp> {
    if b.get(8) != Some(&b'-') {
        return None;
    }
    let y = digits(b, 0, 4)?;
    let mo = digits(b, 4, 2)?;
    let d = digits(b, 6, 2)?;
    let mut p = 9;
    let mut f = [0u32; 4];
    for (i, v) in f.iter_mut().enumerate() {
        let (x, n) = var_digits(b, p, if i == 3 { 3 } else { 2 })?;
        *v = x;
        p += n;
        if i < 3 {
            if b.get(p) != Some(&b':') {
                return None;
            }
            p += 1;
        }
    }
    if b.get(p).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    Some(RawStamp::naive(make(
        y as i32,
        mo,
        d,
        f[0],
        f[1],
        f[2],
        f[3] * 1_000_000,
    )?))
}

/// BGL: `2005-06-03-15.42.50.675872` (dots in the time).
fn parse_bgl(b: &[u8], at: usize) -> Option<(RawStamp, usize)> {
    if b.get(at + 4) != Some(&b'-')
        || b.get(at + 7) != Some(&b'-')
        || b.get(at + 10) != Some(&b'-')
        || b.get(at + 13) != Some(&b'.')
        || b.get(at + 16) != Some(&b'.')
    {
        return None;
    }
    let y = digits(b, at, 4)?;
    let mo = digits(b, at + 5, 2)?;
    let d = digits(b, at + 8, 2)?;
    let h = digits(b, at + 11, 2)?;
    let mi = digits(b, at + 14, 2)?;
    let s = digits(b, at + 17, 2)?;
    let (nanos, used) = fraction(b, at + 19);
    let end = at + 19 + used;
    if !at_boundary(b, end) {
        return None;
    }
    Some((
        RawStamp::naive(make(y as i32, mo, d, h, mi, s, nanos)?),
        end,
    ))
}

/// HDFS (loghub): `081109 203615 ` (`yyMMdd HHmmss`). Only used once a whole file matched.
fn parse_hdfs(b: &[u8]) -> Option<RawStamp> {
    if b.get(6) != Some(&b' ') || !at_boundary(b, 13) {
        return None;
    }
    let y = digits(b, 0, 2)?;
    let mo = digits(b, 2, 2)?;
    let d = digits(b, 4, 2)?;
    let h = digits(b, 7, 2)?;
    let mi = digits(b, 9, 2)?;
    let s = digits(b, 11, 2)?;
    let year = if y < 70 { 2000 + y } else { 1900 + y };
    Some(RawStamp::naive(make(year as i32, mo, d, h, mi, s, 0)?))
}

/// `HH:mm:ss[.,frac] ` with no date (logback BasicConfigurator, ad-hoc).
fn parse_time_only(b: &[u8]) -> Option<RawStamp> {
    let (h, mi, s) = hms(b, 0)?;
    let (nanos, used) = fraction(b, 8);
    if !at_boundary(b, 8 + used) {
        return None;
    }
    let naive = make(PLACEHOLDER_YEAR, 1, 1, h, mi, s, nanos)?;
    Some(RawStamp::partial(naive, Partial::NoDate))
}

/// The UNIX epoch as a naive reading (base of uptime stamps).
fn epoch_base() -> NaiveDateTime {
    DateTime::from_timestamp(0, 0).expect("epoch").naive_utc()
}

/// JDK unified logging: `[2024-01-18T15:52:18.144+0000]`, `[0.025s]` (uptime),
/// `[1566374526452ms]` (time millis) / `[25ms]` (uptime millis), then `[` or a space.
fn parse_jvm(b: &[u8]) -> Option<RawStamp> {
    if b.first() != Some(&b'[') {
        return None;
    }
    let close = memchr::memchr(b']', &b[..b.len().min(48)])?;
    if !matches!(b.get(close + 1), Some(b'[') | Some(b' ')) {
        return None;
    }
    if let Some((st, _, end)) = parse_iso_like(b, 1) {
        return (end == close).then_some(st);
    }
    let inner = std::str::from_utf8(&b[1..close]).ok()?;
    let (num, unit) = if let Some(n) = inner.strip_suffix("ms") {
        (n, 1_000_000u64)
    } else if let Some(n) = inner.strip_suffix("ns") {
        (n, 1)
    } else if let Some(n) = inner.strip_suffix('s') {
        (n, 1_000_000_000)
    } else {
        return None;
    };
    if num.is_empty() || !num.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        return None;
    }
    if unit != 1_000_000_000 {
        // Whole milli/nanoseconds: an epoch by magnitude, else an uptime.
        if num.contains('.') {
            return None;
        }
        let v: u64 = num.parse().ok()?;
        if let Some(t) = epoch_to_utc(v as i128, 0).filter(|_| num.len() >= 12) {
            return Some(RawStamp::zoned(t, StampZone::Offset(utc_offset())));
        }
        let nanos = v.checked_mul(unit)?;
        let t = epoch_base() + chrono::Duration::nanoseconds(i64::try_from(nanos).ok()?);
        return Some(RawStamp::partial(t, Partial::Uptime));
    }
    let secs: f64 = num.parse().ok()?;
    if !(0.0..1e9).contains(&secs) {
        return None;
    }
    let t = epoch_base() + chrono::Duration::microseconds((secs * 1e6).round() as i64);
    Some(RawStamp::partial(t, Partial::Uptime))
}

/// An epoch number token (`1077804742`, `1566374526.452`, 13/16/19-digit ms/µs/ns) followed
/// by a field boundary.
fn parse_epoch_field(b: &[u8]) -> Option<(RawStamp, usize)> {
    let mut p = 0;
    while b.get(p).is_some_and(|c| c.is_ascii_digit() || *c == b'.') {
        p += 1;
    }
    let int_len = b[..p].iter().position(|&c| c == b'.').unwrap_or(p);
    if !(9..=19).contains(&int_len) || !at_boundary(b, p) {
        return None;
    }
    let s = std::str::from_utf8(&b[..p]).ok()?;
    Some((epoch_stamp(s)?, p))
}

/// Thunderbird/BGL: `LABEL EPOCH yyyy.MM.dd NODE <stamp>`. The node's own stamp (BGL
/// `2005-06-03-15.42.50.675872`, Thunderbird `Nov 9 12:01:01`) keeps sub-second precision;
/// the epoch column pins its offset (rounded to 15 min, timestamps.md §2 "use the pair to
/// measure the source's offset"). Without a usable inner stamp the epoch alone is used.
fn parse_epoch_prefix(b: &[u8]) -> Option<RawStamp> {
    let sp = memchr::memchr(b' ', &b[..b.len().min(40)])?;
    if sp == 0 {
        return None;
    }
    let p = sp + 1;
    let n = b[p..].iter().take_while(|c| c.is_ascii_digit()).count();
    if !(9..=10).contains(&n) || b.get(p + n) != Some(&b' ') {
        return None;
    }
    let epoch: i64 = std::str::from_utf8(&b[p..p + n]).ok()?.parse().ok()?;
    let q = p + n + 1;
    if b.get(q + 4) != Some(&b'.') || b.get(q + 7) != Some(&b'.') || b.get(q + 10) != Some(&b' ') {
        return None;
    }
    let y = digits(b, q, 4)? as i32;
    let dm = digits(b, q + 5, 2)?;
    let dd = digits(b, q + 8, 2)?;
    NaiveDate::from_ymd_opt(y, dm, dd)?;
    let utc_naive = epoch_to_utc(epoch as i128, 0)?;
    let r = q + 11;
    let node_end = r + memchr::memchr(b' ', &b[r..b.len().min(r + 128)]).unwrap_or(0);
    let inner = if node_end > r {
        let s = node_end + 1;
        if let Some((st, _)) = parse_bgl(b, s) {
            Some(st.naive)
        } else if let Some((st, _)) = parse_syslog(b, s) {
            // The date column gives the year; a Dec/Jan pair straddles New Year.
            let m = st.naive.month();
            let year = match (m, dm) {
                (12, 1) => y - 1,
                (1, 12) => y + 1,
                _ => y,
            };
            st.naive.with_year(year)
        } else {
            None
        }
    } else {
        None
    };
    if let Some(local) = inner {
        let diff_ms = (local - utc_naive).num_milliseconds();
        let quarter = ((diff_ms as f64) / 900_000.0).round() as i64 * 900;
        let residual_ms = diff_ms - quarter * 1000;
        if residual_ms.abs() <= 2000 && quarter.abs() <= 14 * 3600 {
            let off = FixedOffset::east_opt(quarter as i32)?;
            return Some(RawStamp::zoned(local, StampZone::Offset(off)));
        }
    }
    Some(RawStamp::zoned(utc_naive, StampZone::Offset(utc_offset())))
}

/// Cheap shape check for [`parse_epoch_prefix`]: `TOKEN 9-10digits yyyy.`.
fn epoch_prefix_shape(b: &[u8]) -> bool {
    let Some(sp) = memchr::memchr(b' ', &b[..b.len().min(40)]) else {
        return false;
    };
    let p = sp + 1;
    let n = b
        .get(p..)
        .map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count());
    sp > 0
        && (9..=10).contains(&n)
        && b.get(p + n) == Some(&b' ')
        && b.get(p + n + 5) == Some(&b'.')
}

// ---------------------------------------------------------------------------------------
// Per-format entry points.

/// Reads the stamp of `format` at the head of `line` (for CLF: inside the line). `line`
/// starts where the stamp starts: skip a [`Layout`]'s leading fields first
/// ([`Layout::parse`] does).
pub fn parse_with(format: Format, line: &[u8]) -> Option<RawStamp> {
    let line = strip_line(line);
    if format.iso_family() {
        let (st, f, _) = parse_iso_like(line, 0)?;
        if f == format {
            return Some(st);
        }
        // IIS W3C: every `date time` row is UTC once the file is known to be IIS.
        if format == Format::IisW3c && matches!(f, Format::DateTimeSeconds | Format::BootLogback) {
            return Some(RawStamp::zoned(st.naive, StampZone::Offset(utc_offset())));
        }
        return None;
    }
    match format {
        Format::NginxError | Format::GoLog => parse_slash(line, 0)
            .filter(|(_, f, _)| *f == format)
            .map(|(s, _, _)| s),
        Format::Clf => parse_clf_line(line),
        Format::JsonLines | Format::JsonEpoch | Format::DockerJson => {
            parse_json_kind(line).map(|(s, _)| s)
        }
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
        Format::JulSimple => parse_jul(line),
        Format::Syslog3164 => parse_syslog(line, 0).map(|(s, _)| s),
        Format::Syslog5424 => parse_5424(line),
        Format::Klog => parse_klog(line),
        Format::Logcat => parse_logcat(line),
        Format::Proxifier => parse_proxifier(line),
        Format::Spark => parse_spark(line),
        Format::HealthApp => parse_healthapp(line),
        Format::Bgl => parse_bgl(line, 0).map(|(s, _)| s),
        Format::Hdfs => parse_hdfs(line),
        Format::JvmUnified => parse_jvm(line),
        Format::TimeOnly => parse_time_only(line),
        Format::EpochPrefix => parse_epoch_prefix(line),
        Format::EpochColumn => parse_epoch_field(line).map(|(s, _)| s),
        Format::Logfmt => parse_logfmt(line),
        _ => None,
    }
}

/// Strips a UTF-8 BOM; lines keep their `\r` at the end, which no parser reads.
fn strip_line(line: &[u8]) -> &[u8] {
    line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
}

/// Cheap pre-check: can this line start with any stamp the per-line fallback reads?
/// Continuation lines (`\tat`, `Caused by:`, `... 12 more`) fail it within a few bytes, which
/// keeps the per-line fallback off the hot path.
#[inline]
pub fn may_start_stamp(line: &[u8]) -> bool {
    let line = strip_line(line);
    match line.first() {
        Some(c) if c.is_ascii_digit() => true,
        Some(b'[') | Some(b'{') | Some(b'<') => true,
        Some(c) if c.is_ascii_uppercase() => {
            line.len() > 12
                && ((line[3] == b' ' && (is_weekday(line, 0) || month_abbr(line, 0).is_some()))
                    || (matches!(c, b'I' | b'W' | b'E' | b'F')
                        && line[1..5].iter().all(u8::is_ascii_digit)
                        && line[5] == b' ')
                    || epoch_prefix_shape(line)
                    || logfmt_shape(line))
        }
        Some(0xE4) | Some(0xE5) => month_word(line, 0).is_some(),
        Some(c) if !c.is_ascii_whitespace() => epoch_prefix_shape(line) || logfmt_shape(line),
        _ => false,
    }
}

/// A whole-line stamp parser.
type LineParser = fn(&[u8]) -> Option<RawStamp>;

/// Tries every column-0 format on one line (the per-line fallback). Returns the first that
/// reads it. HDFS, time-only and epoch columns are per-file decisions and never tried here.
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
            let tries: [(LineParser, Format); 5] = [
                (parse_juli, Format::TomcatJuli),
                (|b| parse_bgl(b, 0).map(|(s, _)| s), Format::Bgl),
                (parse_healthapp, Format::HealthApp),
                (parse_spark, Format::Spark),
                (parse_logcat, Format::Logcat),
            ];
            for (parse, f) in tries {
                if let Some(st) = parse(l) {
                    return Some((st, f));
                }
            }
            parse_clf_line(l).map(|st| (st, Format::Clf))
        }
        b'[' => parse_with(Format::ApacheError, l)
            .map(|s| (s, Format::ApacheError))
            .or_else(|| parse_proxifier(l).map(|s| (s, Format::Proxifier)))
            .or_else(|| parse_jvm(l).map(|s| (s, Format::JvmUnified)))
            .or_else(|| parse_clf_line(l).map(|s| (s, Format::Clf))),
        b'{' => parse_json_kind(l),
        b'<' => parse_5424(l)
            .map(|s| (s, Format::Syslog5424))
            .or_else(|| parse_syslog(l, 0).map(|(s, _)| (s, Format::Syslog3164))),
        c if c.is_ascii_uppercase() => parse_with(Format::JavaDate, l)
            .map(|s| (s, Format::JavaDate))
            .or_else(|| parse_syslog(l, 0).map(|(s, _)| (s, Format::Syslog3164)))
            .or_else(|| parse_jul(l).map(|s| (s, Format::JulSimple)))
            .or_else(|| parse_klog(l).map(|s| (s, Format::Klog)))
            .or_else(|| parse_epoch_prefix(l).map(|s| (s, Format::EpochPrefix)))
            .or_else(|| parse_logfmt(l).map(|s| (s, Format::Logfmt))),
        0xE4 | 0xE5 => parse_jul(l).map(|s| (s, Format::JulSimple)),
        c if !c.is_ascii_whitespace() => parse_epoch_prefix(l)
            .map(|s| (s, Format::EpochPrefix))
            .or_else(|| parse_logfmt(l).map(|s| (s, Format::Logfmt))),
        _ => None,
    }
}

/// Where ` [` first occurs (an access log's `[21/Aug/2019:...` stamp). Per line, so not
/// `memmem::find`, which builds a searcher per call (1.5 % of a profile of access logs).
#[inline]
pub fn space_bracket(b: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'[', b)
        .find(|&i| i > 0 && b[i - 1] == b' ')
        .map(|i| i - 1)
}

/// Syntactic header check for one format (no calendar math): runs on every line of a file.
/// `b` starts where the stamp should start.
#[inline]
pub fn quick_shape(format: Format, b: &[u8]) -> bool {
    let d = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let is = |i: usize, c: u8| b.get(i) == Some(&c);
    match format {
        f if f.iso_family() => d(0) && d(3) && is(4, b'-') && is(7, b'-') && is(13, b':') && d(18),
        Format::NginxError | Format::GoLog => d(0) && is(4, b'/') && is(13, b':') && d(18),
        Format::Spark => d(0) && is(2, b'/') && is(5, b'/') && is(11, b':') && d(16),
        Format::JsonLines | Format::JsonEpoch | Format::DockerJson => {
            b.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'{')
        }
        Format::Clf => space_bracket(&b[..b.len().min(512)]).is_some(),
        Format::ApacheError => is(0, b'[') && is_weekday(b, 1) && is(4, b' '),
        Format::JavaDate => is_weekday(b, 0) && is(3, b' ') && is(7, b' '),
        Format::TomcatJuli => d(0) && is(2, b'-') && is(6, b'-') && is(14, b':'),
        Format::JulSimple => {
            month_word(b, 0).is_some() && memchr::memchr(b',', &b[..b.len().min(16)]).is_some()
        }
        Format::Syslog3164 => {
            let p = if is(0, b'<') {
                memchr::memchr(b'>', &b[..b.len().min(5)]).map_or(0, |i| i + 1)
            } else {
                0
            };
            b.len() > p + 14
                && is(p + 3, b' ')
                && (d(p + 4) || is(p + 4, b' '))
                && (is(p + 9, b':') || (is(p + 5, b' ') && is(p + 8, b':')))
                && month_abbr(b, p).is_some()
        }
        Format::Syslog5424 => is(0, b'<') && memchr::memchr(b'>', &b[..b.len().min(5)]).is_some(),
        Format::Klog => {
            matches!(b.first(), Some(b'I' | b'W' | b'E' | b'F'))
                && d(1)
                && d(4)
                && is(5, b' ')
                && is(8, b':')
        }
        Format::Logcat => d(0) && is(2, b'-') && d(3) && is(5, b' ') && is(8, b':'),
        Format::Proxifier => is(0, b'[') && d(1) && is(3, b'.') && is(6, b' ') && is(9, b':'),
        Format::HealthApp => d(0) && d(7) && is(8, b'-') && d(9),
        Format::Bgl => d(0) && is(4, b'-') && is(10, b'-') && is(13, b'.'),
        Format::Hdfs => d(0) && d(5) && is(6, b' ') && d(7) && d(12) && is(13, b' '),
        Format::JvmUnified => is(0, b'[') && d(1),
        Format::TimeOnly => d(0) && is(2, b':') && is(5, b':') && d(7),
        Format::EpochPrefix => epoch_prefix_shape(b),
        Format::Logfmt => logfmt_shape(b),
        Format::EpochColumn => {
            let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
            (9..=19).contains(&n) && at_boundary(b, n) || (n >= 9 && is(n, b'.'))
        }
        _ => false,
    }
}

/// Syntactic check: does this line start with a stamp the per-line fallback would read?
#[inline]
pub fn quick_any(line: &[u8]) -> bool {
    let l = strip_line(line);
    match l.first() {
        Some(c) if c.is_ascii_digit() => [
            Format::Iso8601Offset,
            Format::NginxError,
            Format::TomcatJuli,
            Format::Bgl,
            Format::HealthApp,
            Format::Spark,
            Format::Logcat,
        ]
        .into_iter()
        .any(|f| quick_shape(f, l)),
        Some(b'{') => true,
        Some(b'[') => [Format::ApacheError, Format::Proxifier, Format::JvmUnified]
            .into_iter()
            .any(|f| quick_shape(f, l)),
        Some(b'<') => quick_shape(Format::Syslog5424, l),
        Some(_) => may_start_stamp(l),
        None => false,
    }
}

/// Skips `n` whitespace-separated leading fields (and an opening `[`, `(` or `"` before a
/// digit); `None` if the line has fewer or starts with whitespace (a continuation line).
#[inline]
pub fn skip_fields(line: &[u8], n: u8) -> Option<&[u8]> {
    if n == 0 {
        return Some(line);
    }
    let mut p = 0;
    match line.first() {
        Some(c) if !c.is_ascii_whitespace() => {}
        _ => return None,
    }
    for _ in 0..n {
        p += memchr::memchr(b' ', &line[p..])?;
        while line.get(p) == Some(&b' ') {
            p += 1;
        }
        if at_end(line, p) {
            return None;
        }
    }
    // A stamp in brackets or quotes after other fields (Rails `I, [2019-08-21T…`).
    if matches!(line[p], b'[' | b'(' | b'"') && line.get(p + 1).is_some_and(u8::is_ascii_digit) {
        p += 1;
    }
    Some(&line[p..])
}

// ---------------------------------------------------------------------------------------
// Detection.

/// Where and how a file's stamps are read: a format, after `skip` leading fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Layout {
    /// The format.
    pub format: Format,
    /// Whitespace-separated fields before the stamp (OpenStack: 1, HPC epoch column: 4).
    pub skip: u8,
}

impl Layout {
    /// A layout with the stamp at column 0.
    pub fn at0(format: Format) -> Layout {
        Layout { format, skip: 0 }
    }

    /// Parses the stamp of one line in this layout.
    #[inline]
    pub fn parse(&self, line: &[u8]) -> Option<RawStamp> {
        parse_with(self.format, skip_fields(strip_line(line), self.skip)?)
    }

    /// Syntactic header check in this layout.
    #[inline]
    pub fn quick(&self, line: &[u8]) -> bool {
        match skip_fields(strip_line(line), self.skip) {
            Some(b) => quick_shape(self.format, b),
            None => false,
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.skip {
            0 => write!(f, "{}", self.format),
            1 => write!(f, "{} after 1 field", self.format),
            n => write!(f, "{} after {n} fields", self.format),
        }
    }
}

/// What detection learned about a file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Detected {
    /// Layouts, most votes first (several for mixed files); empty: no stamps found.
    pub layouts: Vec<Layout>,
    /// SQL Server `UTC adjustment: 5:30` seen: the file's offset.
    pub utc_adjustment: Option<FixedOffset>,
    /// Non-empty sample lines looked at (continuation and `#` lines included).
    pub lines: usize,
}

/// Lines of a sample, `\r` and a BOM stripped, empty lines skipped.
fn sample_lines(sample: &[u8]) -> impl Iterator<Item = &[u8]> {
    // memchr, not `slice::split`, whose byte-at-a-time predicate loop was 70 % of format
    // detection on the 100,000-file bench corpus (detection reads every line of a small
    // file). Same pieces as `split(b'\n')`, the last one included.
    let mut rest = Some(sample);
    std::iter::from_fn(move || {
        let r = rest?;
        Some(match memchr::memchr(b'\n', r) {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                &r[..i]
            }
            None => {
                rest = None;
                r
            }
        })
    })
    .map(|l| strip_line(l.strip_suffix(b"\r").unwrap_or(l)))
    .filter(|l| !l.is_empty())
}

/// Detects how a file's stamps are written from a sample of its first lines.
///
/// Each of the first `max_lines` stamped lines votes for the layout that reads it
/// (continuation lines do not vote): column-0 formats first, then CLF anywhere in the line,
/// then column-0 formats after 1-4 leading fields (OpenStack). Formats that are only safe per
/// file decide afterwards: HDFS when every line reads as HDFS, an epoch column when every
/// line has a plausible epoch in the same field (HPC), time-only when nothing else reads.
/// IIS directives (`#Software: Microsoft Internet Information Services`, `#Fields: date
/// time`) make `date time` rows UTC.
pub fn detect_file(sample: &[u8], max_lines: usize) -> Detected {
    detect_file_keeping(sample, max_lines, |_, _, _| {})
}

/// [`detect_file`], calling `keep(line, layout, stamp)` for every line that voted: the line
/// (a slice of `sample`, `\r` and BOM stripped), the layout it voted for and the stamp that
/// layout reads there.
pub(crate) fn detect_file_keeping<'s>(
    sample: &'s [u8],
    max_lines: usize,
    mut keep: impl FnMut(&'s [u8], Layout, RawStamp),
) -> Detected {
    // (layout, votes): a file has one to three layouts, so a vector searched in place (one
    // allocation) rather than a map (a node per file, and a second collection to rank).
    let mut votes: Vec<(Layout, usize)> = Vec::new();
    let mut heads = 0usize; // non-continuation lines seen
    let mut hdfs = 0usize;
    let mut consumed = 0usize; // sample lines looked at (the second pass reads the same)
    let mut iis = false;
    let mut adjustment = None;
    // SQL Server's `UTC adjustment:` line, looked for in the lines only when the sample holds
    // the words at all: one search instead of one per line (the per-line searches were
    // 1.5% of the CPU of a scan of the bench's 100,000 small files).
    let adjustment_possible = UTC_ADJUSTMENT.find(sample).is_some();
    let mut voted = 0usize;
    for line in sample_lines(sample).take(max_lines.max(1) * 4) {
        if voted >= max_lines {
            break;
        }
        consumed += 1;
        if line[0] == b'#' {
            iis |= line.starts_with(b"#Software: Microsoft Internet Information Services")
                || line.starts_with(b"#Fields: date time");
            continue;
        }
        if adjustment.is_none() && adjustment_possible {
            adjustment = utc_adjustment(line);
        }
        if line[0].is_ascii_whitespace() {
            continue;
        }
        heads += 1;
        // HDFS only counts when every head reads as HDFS: after one miss, stop trying.
        if hdfs + 1 == heads && parse_hdfs(line).is_some() {
            hdfs += 1;
        }
        let mut found = if may_start_stamp(line) {
            parse_any(line).map(|(st, f)| (Layout::at0(f), st))
        } else {
            None
        };
        if found.is_none() {
            found = parse_clf_line(line).map(|st| (Layout::at0(Format::Clf), st));
        }
        if found.is_none() {
            for k in 1..=4u8 {
                let Some(rest) = skip_fields(line, k) else {
                    break;
                };
                if !may_start_stamp(rest) {
                    continue;
                }
                if let Some((st, f)) = parse_any(rest) {
                    // Only full dates after leading fields: year-less and JSON shapes are too
                    // weak to trust away from column 0.
                    if st.partial == Partial::Full
                        && !matches!(
                            f,
                            Format::Clf
                                | Format::JsonLines
                                | Format::JsonEpoch
                                | Format::DockerJson
                        )
                    {
                        found = Some((Layout { format: f, skip: k }, st));
                        break;
                    }
                }
            }
        }
        if let Some((l, st)) = found {
            match votes.iter_mut().find(|(v, _)| *v == l) {
                Some((_, n)) => *n += 1,
                None => votes.push((l, 1)),
            }
            voted += 1;
            keep(line, l, st);
        }
    }
    let mut ranked = votes;
    // Most votes first; ties go to the more specific format (enum order), then fewer skips
    // (layouts are distinct: a total order, whatever order they were met in).
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let top = ranked.first().map_or(0, |r| r.1);
    if heads > 0 && hdfs == heads {
        ranked = vec![(Layout::at0(Format::Hdfs), hdfs)];
    } else if top * 2 < heads {
        // Epoch columns and time-only stamps only matter when the votes are weak: the head
        // lines are read for them again here, not on every file (most files vote clearly;
        // perf on the 100,000-file bench corpus: ~1% of the scan's CPU).
        let mut time_only = 0usize;
        let mut epoch_cols = [0usize; 8];
        let head_lines = sample_lines(sample)
            .take(consumed)
            .filter(|l| l[0] != b'#' && !l[0].is_ascii_whitespace());
        for line in head_lines {
            if parse_time_only(line).is_some() {
                time_only += 1;
            }
            for (k, field) in line
                .split(|&c| c == b' ')
                .filter(|f| !f.is_empty())
                .take(epoch_cols.len())
                .enumerate()
            {
                if parse_epoch_field(field).is_some() {
                    epoch_cols[k] += 1;
                }
            }
        }
        if let Some(k) = (0..epoch_cols.len()).find(|&k| heads > 0 && epoch_cols[k] == heads) {
            ranked.insert(
                0,
                (
                    Layout {
                        format: Format::EpochColumn,
                        skip: k as u8,
                    },
                    heads,
                ),
            );
        } else if time_only > 0 && time_only * 2 >= heads {
            ranked.insert(0, (Layout::at0(Format::TimeOnly), time_only));
        }
    }
    let top = ranked.first().map_or(0, |r| r.1);
    let mut layouts: Vec<Layout> = ranked
        .into_iter()
        .filter(|(_, n)| *n * 5 >= top && *n > 0)
        .map(|(l, _)| l)
        .take(3)
        .collect();
    if iis {
        for l in &mut layouts {
            if l.skip == 0 && matches!(l.format, Format::DateTimeSeconds | Format::BootLogback) {
                l.format = Format::IisW3c;
            }
        }
        layouts.dedup();
    }
    Detected {
        layouts,
        utc_adjustment: adjustment,
        lines: consumed,
    }
}

/// The words of SQL Server's `UTC adjustment:` line. A finder built once, not per call
/// (perf on the 100,000-file bench corpus: building it was 1.5% of the scan's CPU).
static UTC_ADJUSTMENT: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"UTC adjustment: "));

/// SQL Server's startup line `… Server      UTC adjustment: 5:30` (or `-5:00`).
fn utc_adjustment(line: &[u8]) -> Option<FixedOffset> {
    let i = UTC_ADJUSTMENT.find(line)?;
    let rest = std::str::from_utf8(&line[i + 16..]).ok()?.trim();
    let (sign, rest) = match rest.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, rest.strip_prefix('+').unwrap_or(rest)),
    };
    let (h, m) = rest.split_once(':')?;
    let h: i32 = h.trim().parse().ok()?;
    let m: i32 = m.trim().get(..2)?.parse().ok()?;
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// Detects the dominant format of a file from a sample of its first lines (the first
/// layout of [`detect_file`]).
pub fn detect(sample: &[u8], max_lines: usize) -> Option<Format> {
    detect_file(sample, max_lines)
        .layouts
        .first()
        .map(|l| l.format)
}

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

/// The candidate zones of an ambiguous abbreviation: (offset in seconds, a zone that fixes
/// it, what it is). Empty for unknown or unambiguous abbreviations.
pub fn ambiguous_candidates(abbr: &str) -> &'static [(i32, &'static str, &'static str)] {
    const H: i32 = 3600;
    match abbr {
        "CST" => &[
            (8 * H, "Asia/Shanghai", "China"),
            (-6 * H, "America/Chicago", "US Central"),
            (-5 * H, "America/Havana", "Cuba"),
        ],
        "CDT" => &[
            (-5 * H, "America/Chicago", "US Central daylight"),
            (-4 * H, "America/Havana", "Cuba daylight"),
        ],
        "IST" => &[
            (5 * H + 1800, "Asia/Kolkata", "India"),
            (2 * H, "Asia/Jerusalem", "Israel"),
            (H, "Europe/Dublin", "Ireland summer"),
        ],
        "BST" => &[
            (H, "Europe/London", "British Summer"),
            (6 * H, "Asia/Dhaka", "Bangladesh"),
        ],
        "AST" => &[
            (-4 * H, "America/Halifax", "Atlantic"),
            (3 * H, "Asia/Riyadh", "Arabia"),
        ],
        "ADT" => &[
            (-3 * H, "America/Halifax", "Atlantic daylight"),
            (4 * H, "+04:00", "Arabia daylight"),
        ],
        "GST" => &[
            (4 * H, "Asia/Dubai", "Gulf"),
            (-2 * H, "Atlantic/South_Georgia", "South Georgia"),
        ],
        "SST" => &[
            (-11 * H, "Pacific/Pago_Pago", "Samoa"),
            (8 * H, "Asia/Singapore", "Singapore"),
        ],
        "PST" => &[
            (-8 * H, "America/Los_Angeles", "US Pacific"),
            (8 * H, "Asia/Manila", "Philippines"),
        ],
        _ => &[],
    }
}

/// The flags that fix an ambiguous abbreviation, e.g.
/// `--tz-alias CST=Asia/Shanghai (China) or --tz-alias CST=America/Chicago (US Central)`.
pub fn abbrev_examples(abbr: &str) -> String {
    let c = ambiguous_candidates(abbr);
    if c.is_empty() {
        return format!("--tz-alias {abbr}=+08:00 (with the right offset)");
    }
    c.iter()
        .take(2)
        .map(|(_, z, what)| format!("--tz-alias {abbr}={z} ({what})"))
        .collect::<Vec<_>>()
        .join(" or ")
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
        "FET" => h(3),
        _ => None,
    }
}

/// Why an instant has the offset it has.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
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
    /// The stamp lacks a year/date nobody could supply, or the inferred date does not exist
    /// (29 Feb in a non-leap year): undated.
    Undated,
}

impl ZoneRule {
    /// Applies the resolution order of timestamps.md §11: explicit offset → alias table →
    /// unambiguous built-in abbreviation → the file's zone.
    pub fn resolve(&self, st: &RawStamp) -> Resolved {
        if st.partial != Partial::Full {
            // A year-less/date-less stamp needs its file's context ([`FileTime::resolve`]).
            return Resolved::Undated;
        }
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
    let mut s = String::with_capacity(24);
    push_rfc3339(&mut s, t);
    s
}

/// [`rfc3339`] appended to `out` (no string of its own: the files table writes two per
/// file).
pub fn push_rfc3339(out: &mut String, t: DateTime<Utc>) {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write as _;
    let nanos = t.timestamp_subsec_nanos();
    let year = t.year();
    // Digits written directly: chrono's strftime interpreter took 3 % of the CPU on the
    // 100,000-file bench corpus (two stamps per file in the files table). Years chrono
    // writes with a sign (outside 0..=9999) and leap seconds keep the formatter.
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        let _ = if nanos == 0 {
            write!(out, "{}", t.format("%Y-%m-%dT%H:%M:%SZ"))
        } else {
            write!(out, "{}", t.format("%Y-%m-%dT%H:%M:%S%.3fZ"))
        };
        return;
    }
    let mut b = *b"0000-00-00T00:00:00.000Z";
    let mut put = |at: usize, width: usize, mut v: u32| {
        for i in (at..at + width).rev() {
            b[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, year as u32);
    put(5, 2, t.month());
    put(8, 2, t.day());
    put(11, 2, t.hour());
    put(14, 2, t.minute());
    put(17, 2, t.second());
    let s = if nanos == 0 {
        b[19] = b'Z';
        &b[..20]
    } else {
        put(20, 3, nanos / 1_000_000);
        &b[..]
    };
    // Only ASCII digits and separators were written.
    out.push_str(std::str::from_utf8(s).unwrap_or_default());
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
        /// The hand-written RFC 3339 digits equal chrono's strftime, over years with and
        /// without a sign, whole seconds, milliseconds and leap seconds.
        #[test]
        fn rfc3339_equals_chrono_format(
            secs in -100_000_000_000i64..300_000_000_000i64,
            nanos in proptest::prop_oneof![proptest::strategy::Just(0u32), 0u32..2_000_000_000],
        ) {
            if let Some(t) = DateTime::<Utc>::from_timestamp(secs, nanos) {
                let want = if t.timestamp_subsec_nanos() == 0 {
                    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
                } else {
                    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
                };
                proptest::prop_assert_eq!(rfc3339(t), want);
            }
        }

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

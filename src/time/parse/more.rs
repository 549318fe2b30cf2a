//! Formats added for issue 22, each a real product's default (the source is named on each
//! reader): MySQL ≤ 5.6, Cisco IOS/ASA with a year, `dd.MM.yyyy` dates, auditd, a stamp in
//! brackets (Celery, Kafka, gunicorn, Elasticsearch, Envoy), Redis, Erlang/OTP reports,
//! PHP, a bare `ctime` line (Oracle alert log), US 12-hour dates (Windows exports), Nagios,
//! `dmesg` uptime, and the column of a CSV/TSV export with a header (Event Viewer, Get-WinEvent).
//!
//! Input: a line that starts where the stamp starts (the CSV/TSV reader takes the whole
//! line and a column). Output: a [`RawStamp`].
//!
//! Tricky cases:
//! - MySQL ≤ 5.6 pads the hour with a space (`130715  9:08:03`); HDFS `081109 203615` has
//!   no colons and stays a per-file decision.
//! - A bracketed stamp followed by `][` is JDK unified logging (`[…][info][gc]`), not this.
//! - PHP names an IANA zone (`[14-May-2024 09:47:16 Europe/Berlin]`): read with its rules,
//!   so the stamp is explicit.
//! - US dates are only read with `AM`/`PM` (the US locale's 12-hour clock): `5/6/2024
//!   09:47:16` could be either order and is refused, as timestamps.md §4 asks.

use super::fields::epoch_stamp;
use super::iso::{parse_iso_like, parse_slash, zone_word};
use super::syslog::hms;
use crate::time::bytes::{at_boundary, digits, fraction, make, month_abbr, var_digits};
use crate::time::format::{epoch_base, Partial, RawStamp, StampZone};
use chrono::{NaiveDateTime, Offset, TimeZone};

/// MySQL ≤ 5.6 error log: `161209 14:18:50 [Note] …`, `130715  9:08:03 [Note] …`
/// (`yyMMdd H:mm:ss`, local time; MySQL 5.5 reference manual, "The Error Log").
pub(super) fn parse_mysql_legacy(b: &[u8]) -> Option<RawStamp> {
    if b.get(6) != Some(&b' ') || b.get(9) != Some(&b':') || b.get(12) != Some(&b':') {
        return None;
    }
    let y = digits(b, 0, 2)?;
    let mo = digits(b, 2, 2)?;
    let d = digits(b, 4, 2)?;
    let h = match b.get(7) {
        Some(b' ') => digits(b, 8, 1)?,
        _ => digits(b, 7, 2)?,
    };
    let mi = digits(b, 10, 2)?;
    let s = digits(b, 13, 2)?;
    if !at_boundary(b, 15) {
        return None;
    }
    let year = if y < 70 { 2000 + y } else { 1900 + y };
    Some(RawStamp::naive(make(year as i32, mo, d, h, mi, s, 0)?))
}

/// A zone word and `:` after a Cisco stamp (`… 18:46:11.123 UTC:`): the zone and the end.
fn cisco_tail(b: &[u8], p: usize) -> Option<(StampZone, usize)> {
    if b.get(p) == Some(&b':') {
        return Some((StampZone::Naive, p + 1));
    }
    if at_boundary(b, p) && b.get(p + 1).is_some_and(u8::is_ascii_uppercase) {
        let start = p + 1;
        let mut q = start;
        while b.get(q).is_some_and(u8::is_ascii_uppercase) {
            q += 1;
        }
        if b.get(q) == Some(&b':') {
            let word = std::str::from_utf8(&b[start..q]).ok()?;
            return Some((zone_word(word)?, q + 1));
        }
    }
    at_boundary(b, p).then_some((StampZone::Naive, p))
}

/// Cisco IOS/ASA with a year: `Apr 15 2013 09:36:50: %ASA-4-106023 …`, `*Mar  1 2013
/// 18:46:11.123 UTC: %SYS-5-CONFIG_I …` (`service timestamps log datetime year
/// [show-timezone]`; `*` or `.` in front: the clock is not synchronised). Without a year
/// the IOS form is read by the syslog reader.
pub(super) fn parse_cisco(b: &[u8]) -> Option<RawStamp> {
    let mut p = usize::from(matches!(b.first(), Some(b'*' | b'.')));
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
    if b.get(p) != Some(&b' ') || b.get(p + 5) != Some(&b' ') {
        return None;
    }
    let y = digits(b, p + 1, 4)?;
    p += 6;
    let (h, mi, s) = hms(b, p)?;
    p += 8;
    let (nanos, used) = fraction(b, p);
    let (zone, _) = cisco_tail(b, p + used)?;
    Some(RawStamp::zoned(
        make(y as i32, mo, d, h, mi, s, nanos)?,
        zone,
    ))
}

/// `dd.MM.yyyy HH:mm:ss[.fff]` (German, Russian and other day-first locales: Windows
/// exports, 1C, many Java apps with a localised pattern).
pub(super) fn parse_dotted(b: &[u8]) -> Option<RawStamp> {
    if b.get(2) != Some(&b'.') || b.get(5) != Some(&b'.') || b.get(10) != Some(&b' ') {
        return None;
    }
    let d = digits(b, 0, 2)?;
    let mo = digits(b, 3, 2)?;
    let y = digits(b, 6, 4)?;
    let (h, mi, s) = hms(b, 11)?;
    let (nanos, used) = fraction(b, 19);
    if b.get(19 + used).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    Some(RawStamp::naive(make(y as i32, mo, d, h, mi, s, nanos)?))
}

/// auditd: `type=SYSCALL msg=audit(1481076983.819:7798): arch=…` (also after `node=host`):
/// epoch seconds with milliseconds, then the event serial (auditd's `audit.log`).
pub(super) fn parse_auditd(b: &[u8]) -> Option<RawStamp> {
    let head = &b[..b.len().min(160)];
    let i = memchr::memmem::find(head, b"msg=audit(")? + 10;
    let n = b[i..]
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == b'.')
        .count();
    if b.get(i + n) != Some(&b':') {
        return None;
    }
    epoch_stamp(std::str::from_utf8(&b[i..i + n]).ok()?)
}

/// Cheap shape check for [`parse_auditd`].
pub(super) fn auditd_shape(b: &[u8]) -> bool {
    (b.starts_with(b"type=") || b.starts_with(b"node="))
        && memchr::memmem::find(&b[..b.len().min(160)], b"msg=audit(").is_some()
}

/// A stamp in brackets closed by `]` or `:`: Celery `[2024-05-14 09:47:16,080:
/// ERROR/ForkPoolWorker-3]`, Kafka/ZooKeeper log4j `[2024-05-14 09:47:16,080] INFO …`,
/// gunicorn `[2024-05-14 09:47:16 +0000] [2211] [INFO]`, Elasticsearch
/// `[2024-05-14T09:47:16,080][INFO ]…`, Envoy `[2024-05-14T09:47:16.080Z] "GET / …"`.
/// Followed by `][level]` it is JDK unified logging's, read there.
pub(super) fn parse_bracket_iso(b: &[u8]) -> Option<RawStamp> {
    if b.first() != Some(&b'[') {
        return None;
    }
    let (st, _, end) = parse_iso_like(b, 1)?;
    match b.get(end) {
        Some(b']') if b.get(end + 1) != Some(&b'[') || level_bracket(b, end + 1) => Some(st),
        Some(b':') => Some(st),
        _ => None,
    }
}

/// `[info]`/`[INFO ]`/`[error]` at `at`: a level in brackets (Elasticsearch), not JDK
/// unified logging's decorations (`[0.025s]`, `[info]` after a stamp *and* tags).
fn level_bracket(b: &[u8], at: usize) -> bool {
    let Some(close) = b
        .get(at..)
        .and_then(|r| memchr::memchr(b']', &r[..r.len().min(12)]))
    else {
        return false;
    };
    let word = &b[at + 1..at + close];
    let word = std::str::from_utf8(word).unwrap_or("").trim();
    matches!(
        word,
        "INFO" | "WARN" | "ERROR" | "DEBUG" | "TRACE" | "FATAL"
    )
}

/// Redis 3+: `1:M 14 May 2024 10:41:37.208 # …` (`pid:role`, role X/C/S/M) and the signal
/// handler's `1:signal-handler (1693279182) Received SIGTERM` (epoch seconds).
pub(super) fn parse_redis(b: &[u8]) -> Option<RawStamp> {
    let pid = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if pid == 0 || pid > 10 || b.get(pid) != Some(&b':') {
        return None;
    }
    let mut p = pid + 1;
    if b[p..].starts_with(b"signal-handler (") {
        p += 16;
        let n = b[p..].iter().take_while(|c| c.is_ascii_digit()).count();
        if b.get(p + n) != Some(&b')') {
            return None;
        }
        return epoch_stamp(std::str::from_utf8(&b[p..p + n]).ok()?);
    }
    if !matches!(b.get(p), Some(b'X' | b'C' | b'S' | b'M')) || b.get(p + 1) != Some(&b' ') {
        return None;
    }
    p += 2;
    let (d, n) = var_digits(b, p, 2)?;
    p += n;
    if b.get(p) != Some(&b' ') || b.get(p + 4) != Some(&b' ') || b.get(p + 9) != Some(&b' ') {
        return None;
    }
    let mo = month_abbr(b, p + 1)?;
    let y = digits(b, p + 5, 4)?;
    p += 10;
    let (h, mi, s) = hms(b, p)?;
    let (nanos, used) = fraction(b, p + 8);
    if !at_boundary(b, p + 8 + used) {
        return None;
    }
    Some(RawStamp::naive(make(y as i32, mo, d, h, mi, s, nanos)?))
}

/// Cheap shape check for [`parse_redis`]: `digits:` then a role letter and a space, or
/// `signal-handler`.
pub(super) fn redis_shape(b: &[u8]) -> bool {
    let pid = b.iter().take(11).take_while(|c| c.is_ascii_digit()).count();
    pid > 0
        && b.get(pid) == Some(&b':')
        && (matches!(b.get(pid + 1), Some(b'X' | b'C' | b'S' | b'M'))
            && b.get(pid + 2) == Some(&b' ')
            || b[pid + 1..].starts_with(b"signal-handler"))
}

/// `dd-Mon-yyyy` at `at`.
fn dmy_dash(b: &[u8], at: usize) -> Option<(u32, u32, u32)> {
    if b.get(at + 2) != Some(&b'-') || b.get(at + 6) != Some(&b'-') {
        return None;
    }
    Some((
        digits(b, at, 2)?,
        month_abbr(b, at + 3)?,
        digits(b, at + 7, 4)?,
    ))
}

/// Erlang/OTP error_logger reports: `=ERROR REPORT==== 14-May-2024::09:47:16.080 ===`
/// (OTP 21+ with milliseconds; RabbitMQ ≤ 3.6, CouchDB, ejabberd).
pub(super) fn parse_erlang(b: &[u8]) -> Option<RawStamp> {
    if b.first() != Some(&b'=') {
        return None;
    }
    let at = memchr::memmem::find(&b[..b.len().min(40)], b"==== ")? + 5;
    let (d, mo, y) = dmy_dash(b, at)?;
    if b.get(at + 11..at + 13) != Some(b"::") {
        return None;
    }
    let (h, mi, s) = hms(b, at + 13)?;
    let (nanos, used) = fraction(b, at + 21);
    if !at_boundary(b, at + 21 + used) {
        return None;
    }
    Some(RawStamp::naive(make(y as i32, mo, d, h, mi, s, nanos)?))
}

/// PHP's error log: `[14-May-2024 09:47:16 UTC] PHP Fatal error: …`, `[14-May-2024
/// 09:47:16 Europe/Berlin] …` (the `date.timezone` name) and PHP-FPM's `[14-May-2024
/// 09:47:16] WARNING: [pool www] …` (no zone).
pub(super) fn parse_php(b: &[u8]) -> Option<RawStamp> {
    if b.first() != Some(&b'[') || b.get(12) != Some(&b' ') {
        return None;
    }
    let (d, mo, y) = dmy_dash(b, 1)?;
    let (h, mi, s) = hms(b, 13)?;
    let (nanos, used) = fraction(b, 21);
    let p = 21 + used;
    let naive = make(y as i32, mo, d, h, mi, s, nanos)?;
    match b.get(p) {
        Some(b']') => Some(RawStamp::naive(naive)),
        Some(b' ') => {
            let close = p + 1 + memchr::memchr(b']', &b[p + 1..b.len().min(p + 48)])?;
            let name = std::str::from_utf8(&b[p + 1..close]).ok()?;
            Some(RawStamp::zoned(naive, named_zone(name, naive)?))
        }
        _ => None,
    }
}

/// A zone written by name after a stamp: an IANA name, read with its rules at that wall
/// time (so the stamp is explicit), or a zone word (`UTC`, `CEST`).
fn named_zone(name: &str, naive: NaiveDateTime) -> Option<StampZone> {
    if let Ok(tz) = name.parse::<chrono_tz::Tz>() {
        let off = tz.from_local_datetime(&naive).earliest()?.offset().fix();
        return Some(StampZone::Offset(off));
    }
    zone_word(name)
}

/// A bare `ctime` line: `Tue May 14 09:47:16 2024` (Oracle ≤ 11g alert log, `date`,
/// Python's `time.ctime()`), local time.
pub(super) fn parse_ctime_line(b: &[u8]) -> Option<RawStamp> {
    let (st, end) = super::iso::parse_ctime(b, 0)?;
    (st.zone == StampZone::Naive && at_boundary(b, end)).then_some(st)
}

/// US 12-hour dates: `5/14/2024 9:47:16 AM` (.NET `DateTime.ToString()` and Windows
/// exports in the en-US locale). Only with `AM`/`PM`: the 24-hour `5/6/2024 09:47:16`
/// could be day-first too.
pub(super) fn parse_us_12h(b: &[u8]) -> Option<(RawStamp, usize)> {
    let (mo, n1) = var_digits(b, 0, 2)?;
    if b.get(n1) != Some(&b'/') {
        return None;
    }
    let (d, n2) = var_digits(b, n1 + 1, 2)?;
    let mut p = n1 + 1 + n2;
    if b.get(p) != Some(&b'/') || b.get(p + 5) != Some(&b' ') {
        return None;
    }
    let y = digits(b, p + 1, 4)?;
    p += 6;
    let (h, n) = var_digits(b, p, 2)?;
    p += n;
    if b.get(p) != Some(&b':') || b.get(p + 3) != Some(&b':') || b.get(p + 6) != Some(&b' ') {
        return None;
    }
    let mi = digits(b, p + 1, 2)?;
    let s = digits(b, p + 4, 2)?;
    p += 7;
    let pm = match b.get(p..p + 2) {
        Some(b"PM") | Some(b"pm") => true,
        Some(b"AM") | Some(b"am") => false,
        _ => return None,
    };
    if !(1..=12).contains(&h) || !at_boundary(b, p + 2) && b.get(p + 2) != Some(&b'"') {
        return None;
    }
    let h24 = (h % 12) + if pm { 12 } else { 0 };
    Some((
        RawStamp::naive(make(y as i32, mo, d, h24, mi, s, 0)?),
        p + 2,
    ))
}

/// Nagios/Icinga 1: `[1715672836] SERVICE ALERT: …` (epoch seconds in brackets).
pub(super) fn parse_nagios(b: &[u8]) -> Option<RawStamp> {
    if b.first() != Some(&b'[') || b.get(11) != Some(&b']') {
        return None;
    }
    if !b[1..11].iter().all(u8::is_ascii_digit) {
        return None;
    }
    epoch_stamp(std::str::from_utf8(&b[1..11]).ok()?)
}

/// The kernel ring buffer (`dmesg`, `/var/log/dmesg`): `[    0.000000] Linux version …`,
/// `[12345.678901] …`: seconds since boot, no wall clock (anchored per file, like JVM
/// uptime).
pub(super) fn parse_dmesg(b: &[u8]) -> Option<RawStamp> {
    if b.first() != Some(&b'[') {
        return None;
    }
    let close = memchr::memchr(b']', &b[..b.len().min(20)])?;
    let inner = std::str::from_utf8(&b[1..close]).ok()?.trim_start();
    let (int, frac) = inner.split_once('.')?;
    if int.is_empty()
        || frac.len() != 6
        || !int.bytes().all(|c| c.is_ascii_digit())
        || !frac.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let secs: i64 = int.parse().ok()?;
    let micros: i64 = frac.parse().ok()?;
    let t = epoch_base() + chrono::Duration::seconds(secs) + chrono::Duration::microseconds(micros);
    Some(RawStamp::partial(t, Partial::Uptime))
}

/// A time value as exports write it (a CSV/TSV cell, a JSON string): ISO 8601 (with or
/// without an offset), `yyyy/MM/dd`, US 12-hour, `dd.MM.yyyy`, or an epoch number.
pub(in crate::time) fn parse_value(v: &[u8]) -> Option<RawStamp> {
    if let Some((st, _, end)) = parse_iso_like(v, 0) {
        return (end == v.len() || !v[end].is_ascii_alphanumeric()).then_some(st);
    }
    if let Some((st, _, _)) = parse_slash(v, 0) {
        return Some(st);
    }
    if let Some((st, end)) = parse_us_12h(v) {
        return (end == v.len()).then_some(st);
    }
    if let Some(st) = parse_dotted(v) {
        return Some(st);
    }
    epoch_stamp(std::str::from_utf8(v).ok()?)
}

/// The `col`-th cell of a delimited line (CSV quoting: `"a, b"`, `""` inside quotes).
pub(in crate::time) fn cell(line: &[u8], delim: u8, col: usize) -> Option<&[u8]> {
    let mut i = 0;
    let mut k = 0;
    while i <= line.len() {
        let quoted = line.get(i) == Some(&b'"');
        let start = if quoted { i + 1 } else { i };
        let mut j = start;
        if quoted {
            loop {
                match line.get(j) {
                    None => return None,
                    Some(b'"') if line.get(j + 1) == Some(&b'"') => j += 2,
                    Some(b'"') => break,
                    Some(_) => j += 1,
                }
            }
        } else {
            while j < line.len() && line[j] != delim && line[j] != b'\r' && line[j] != b'\n' {
                j += 1;
            }
        }
        if k == col {
            return Some(&line[start..j]);
        }
        // Past the closing quote, then the delimiter.
        let mut next = if quoted { j + 1 } else { j };
        if line.get(next) != Some(&delim) {
            return None;
        }
        next += 1;
        i = next;
        k += 1;
    }
    None
}

/// A CSV/TSV header naming a time column: (delimiter, column). Event Viewer's "Save All
/// Events As" CSV/text (`Level,Date and Time,Source,Event ID,Task Category`),
/// `Get-WinEvent | Export-Csv` (`TimeCreated`), and exports with `timestamp`, `time`,
/// `date`, `@timestamp` columns.
pub(in crate::time) fn table_header(line: &[u8]) -> Option<(u8, usize)> {
    const NAMES: [&str; 10] = [
        "date and time",
        "timecreated",
        "timegenerated",
        "timestamp",
        "@timestamp",
        "datetime",
        "eventtime",
        "time",
        "date",
        "created",
    ];
    let delim = if memchr::memchr(b'\t', line).is_some() {
        b'\t'
    } else if memchr::memchr(b',', line).is_some() {
        b','
    } else {
        return None;
    };
    let text = std::str::from_utf8(line).ok()?;
    let cells: Vec<String> = text
        .split(delim as char)
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    if cells.len() < 2 || cells.iter().any(|c| c.is_empty() || c.len() > 40) {
        return None;
    }
    // The most specific name present wins ("Date and Time" over a later "Date").
    NAMES
        .iter()
        .find_map(|n| cells.iter().position(|c| c == n))
        .map(|col| (delim, col))
}

/// The stamp of a delimited line's time column.
pub(in crate::time) fn parse_table(line: &[u8], delim: u8, col: usize) -> Option<RawStamp> {
    parse_value(cell(line, delim, col)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(st: &RawStamp) -> String {
        st.naive.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
    }

    #[test]
    fn cells_and_headers() {
        let l = br#"Information,"8/21/2019 4:02:06 PM","a, ""b""",7036"#;
        assert_eq!(cell(l, b',', 1), Some(&b"8/21/2019 4:02:06 PM"[..]));
        assert_eq!(cell(l, b',', 2), Some(&br#"a, ""b"""#[..]));
        assert_eq!(cell(l, b',', 3), Some(&b"7036"[..]));
        assert_eq!(cell(l, b',', 4), None);
        assert_eq!(
            table_header(b"Level,Date and Time,Source,Event ID,Task Category"),
            Some((b',', 1))
        );
        assert_eq!(
            table_header(b"Level\tDate and Time\tSource\tEvent ID\tTask Category"),
            Some((b'\t', 1))
        );
        assert_eq!(
            table_header(b"\"Message\",\"Id\",\"TimeCreated\""),
            Some((b',', 2))
        );
        assert_eq!(table_header(b"hello, world"), None);
    }

    #[test]
    fn readers() {
        let st =
            parse_mysql_legacy(b"130715  9:08:03 [Note] Plugin 'FEDERATED' is disabled.").unwrap();
        assert_eq!(at(&st), "2013-07-15 09:08:03.000");
        assert!(parse_mysql_legacy(b"081109 203615 148 INFO dfs").is_none());
        let st = parse_us_12h(b"8/21/2019 4:02:06 PM").unwrap().0;
        assert_eq!(at(&st), "2019-08-21 16:02:06.000");
        assert!(parse_us_12h(b"8/21/2019 16:02:06").is_none());
        let st = parse_dmesg(b"[ 1234.567890] eth0: link up").unwrap();
        assert_eq!(st.partial, Partial::Uptime);
        assert!(parse_dmesg(b"[0.025s][info][gc] x").is_none());
    }
}

//! `yyyy-MM-dd[T ]HH:mm:ss` and its relatives. `boot-logback` (`.452`), `comma-millis`
//! (`,452`), `mssql-errorlog` (`.45`), `pg-prefix` (`… CST [123]`), `iis-w3c`
//! (`… 10.0.0.5 GET`), `cri` (`…Z stdout F`) and ISO 8601 share a prefix: one parser
//! ([`parse_iso_like`]) reads them all and the *shape* (separator, fraction, zone, what
//! follows the stamp) names the format. Also `yyyy/MM/dd` (nginx error log and Go `log`),
//! `EEE MMM dd HH:mm:ss yyyy` (Apache error log; `java.util.Date.toString()` with a zone word
//! before the year) and Tomcat JULI `dd-MMM-yyyy`.
//!
//! Input: a line's bytes and the offset the stamp starts at. Output: the stamp, the format
//! its shape names, and the offset after it.
//!
//! Tricky cases: nginx and Go `log` both start `yyyy/MM/dd HH:mm:ss` (nginx goes on with
//! ` [level]` and has no fraction); a PostgreSQL zone word must not be a log level (`INFO`)
//! and is only taken when known or followed by digits or `[`; IIS W3C rows are UTC by
//! definition.

use crate::time::bytes::{
    at_boundary, digits, fraction, is_level_word, is_weekday, make, month_abbr, offset, utc_offset,
    var_digits,
};
use crate::time::format::{Format, RawStamp, StampZone};
use crate::time::zone::{ambiguous_abbrev, builtin_abbrev};
use chrono::FixedOffset;

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
pub(super) fn parse_iso_like(b: &[u8], at: usize) -> Option<(RawStamp, Format, usize)> {
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
    // MariaDB pads the hour with a space: `2024-05-14  9:47:16 0 [Note] …`.
    let h = if sep == b' ' && b.get(at + 11) == Some(&b' ') {
        digits(b, at + 12, 1)?
    } else {
        digits(b, at + 11, 2)?
    };
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

/// `yyyy/MM/dd HH:mm:ss[.frac]` (nginx error log, Go log).
pub(super) fn parse_slash(b: &[u8], at: usize) -> Option<(RawStamp, Format, usize)> {
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

/// `EEE MMM dd HH:mm:ss[.frac] yyyy` at `at` (Apache error log body, without the zone),
/// or with a zone abbreviation before the year (`java.util.Date.toString()`).
pub(super) fn parse_ctime(b: &[u8], at: usize) -> Option<(RawStamp, usize)> {
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
pub(super) fn zone_word(word: &str) -> Option<StampZone> {
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
pub(super) fn parse_juli(b: &[u8]) -> Option<RawStamp> {
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

//! Formats added for issue 4: syslog (RFC 3164 and 5424), klog, logcat, JUL, JVM unified
//! logging, HDFS, time-only and the loghub oddities (Proxifier, Spark, HealthApp, BGL, the
//! Thunderbird/BGL epoch prefix, epoch columns).
//!
//! Input: a line that starts where the stamp starts (or, for [`parse_syslog`] and
//! [`parse_bgl`], a line and an offset). Output: a [`RawStamp`]. Year-less stamps (syslog,
//! klog, logcat, Proxifier) hold [`PLACEHOLDER_YEAR`] and [`Partial::NoYear`], time-only
//! stamps [`Partial::NoDate`], JVM uptime stamps [`Partial::Uptime`]: the file's
//! [`FileTime`](crate::time::FileTime) fills those in.
//!
//! Tricky cases: Spark writes `yy/MM/dd` (never US `MM/dd/yy`); HealthApp pads nothing after
//! the date (`:6` is 6 ms); JUL uses a 12 h clock and, under `zh_CN`, Chinese month names and
//! `上午`/`下午`; HDFS and bare `HH:mm:ss` are only used once a whole file matched; the
//! Thunderbird/BGL epoch column pins the offset of the node's own stamp (rounded to 15 min).

use super::fields::{epoch_stamp, epoch_to_utc};
use super::iso::parse_iso_like;
use crate::time::bytes::{at_boundary, digits, fraction, make, month_abbr, utc_offset, var_digits};
use crate::time::format::{epoch_base, Partial, RawStamp, StampZone, PLACEHOLDER_YEAR};
use chrono::{Datelike, FixedOffset, NaiveDate};

/// `<PRI>` at `at` (1-3 digits, at most 191); returns the offset after `>`.
pub(in crate::time) fn syslog_pri(b: &[u8], at: usize) -> Option<usize> {
    if b.get(at) != Some(&b'<') {
        return None;
    }
    let (pri, n) = var_digits(b, at + 1, 3)?;
    (pri <= 191 && b.get(at + 1 + n) == Some(&b'>')).then_some(at + 2 + n)
}

/// `HH:mm:ss` at `at`.
pub(in crate::time) fn hms(b: &[u8], at: usize) -> Option<(u32, u32, u32)> {
    if b.get(at + 2) != Some(&b':') || b.get(at + 5) != Some(&b':') {
        return None;
    }
    Some((
        digits(b, at, 2)?,
        digits(b, at + 3, 2)?,
        digits(b, at + 6, 2)?,
    ))
}

/// RFC 3164: `[<PRI>]MMM dd HH:mm:ss[.frac] ` (day space-padded or not). No year. Also
/// Cisco IOS's form of it: `*Mar  1 18:46:11.123: %SYS-…` (`*` or `.`: clock not
/// synchronised; a colon after the time, or a zone word and a colon: `… 18:46:11.123 UTC:`).
pub(super) fn parse_syslog(b: &[u8], at: usize) -> Option<(RawStamp, usize)> {
    let mut p = syslog_pri(b, at).unwrap_or(at);
    if matches!(b.get(p), Some(b'*' | b'.')) {
        p += 1;
    }
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
    let mut zone = StampZone::Naive;
    if b.get(p) == Some(&b':') {
        p += 1;
    } else if !at_boundary(b, p) {
        return None;
    } else if let Some((z, end)) = cisco_zone(b, p) {
        zone = z;
        p = end;
    }
    let naive = make(PLACEHOLDER_YEAR, mo, d, h, mi, s, nanos)?;
    let mut st = RawStamp::partial(naive, Partial::NoYear);
    st.zone = zone;
    Some((st, p))
}

/// Cisco's ` UTC:` / ` CEST:` after a time (`show-timezone`): a zone word and a colon.
fn cisco_zone(b: &[u8], p: usize) -> Option<(StampZone, usize)> {
    let start = p + 1;
    let mut q = start;
    while b.get(q).is_some_and(u8::is_ascii_uppercase) {
        q += 1;
    }
    if q - start < 2 || q - start > 5 || b.get(q) != Some(&b':') {
        return None;
    }
    let word = std::str::from_utf8(&b[start..q]).ok()?;
    Some((super::iso::zone_word(word)?, q + 1))
}

/// RFC 5424: `<PRI>VERSION TIMESTAMP …` with an RFC 3339 timestamp (`-` = no time).
pub(super) fn parse_5424(b: &[u8]) -> Option<RawStamp> {
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
pub(super) fn month_word(b: &[u8], at: usize) -> Option<(u32, usize)> {
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
pub(super) fn parse_jul(b: &[u8]) -> Option<RawStamp> {
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
pub(super) fn parse_klog(b: &[u8]) -> Option<RawStamp> {
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
pub(super) fn parse_logcat(b: &[u8]) -> Option<RawStamp> {
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
pub(super) fn parse_proxifier(b: &[u8]) -> Option<RawStamp> {
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
pub(super) fn parse_spark(b: &[u8]) -> Option<RawStamp> {
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
pub(super) fn parse_healthapp(b: &[u8]) -> Option<RawStamp> {
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
pub(super) fn parse_bgl(b: &[u8], at: usize) -> Option<(RawStamp, usize)> {
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
pub(in crate::time) fn parse_hdfs(b: &[u8]) -> Option<RawStamp> {
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
pub(in crate::time) fn parse_time_only(b: &[u8]) -> Option<RawStamp> {
    let (h, mi, s) = hms(b, 0)?;
    let (nanos, used) = fraction(b, 8);
    if !at_boundary(b, 8 + used) {
        return None;
    }
    let naive = make(PLACEHOLDER_YEAR, 1, 1, h, mi, s, nanos)?;
    Some(RawStamp::partial(naive, Partial::NoDate))
}

/// JDK unified logging: `[2024-01-18T15:52:18.144+0000]`, `[0.025s]` (uptime),
/// `[1566374526452ms]` (time millis) / `[25ms]` (uptime millis), then `[` or a space.
pub(super) fn parse_jvm(b: &[u8]) -> Option<RawStamp> {
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
pub(in crate::time) fn parse_epoch_field(b: &[u8]) -> Option<(RawStamp, usize)> {
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
pub(super) fn parse_epoch_prefix(b: &[u8]) -> Option<RawStamp> {
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
pub(super) fn epoch_prefix_shape(b: &[u8]) -> bool {
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

//! Timestamps inside a dump: when the snapshot was taken.
//!
//! Input: a dump's text and the zone for naive times. Output: the capture time written
//! into the file ([`file_time`]), if any; the caller falls back to the file's mtime. Also
//! [`time_hit`], which tells `classify` that a line is a bare timestamp (neutral, not a
//! malformed row).
//!
//! Tricky cases:
//! * Only whole-line timestamps count: lines with anything else on them are not, which
//!   keeps log lines (which start with a timestamp) out.
//! * Preferences ([`TimeHit`]): an ISO-ish line beats Windows `date /t` + `time /t`, which
//!   beats `date` output with a zone abbreviation. `CST` is China, US Central or Cuba: only
//!   unambiguous zone names are trusted, the rest are read in the caller's zone.
//! * `03/04/2019` without a hint (an English weekday, a part above 12) is ambiguous and not
//!   guessed.

use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use regex::Regex;

use super::row::strip_bom;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum TimeHit {
    /// Full date and time; `Some(offset)` when the line says which zone. `rank` orders
    /// trust: ISO-ish (3) beats `date` output with a zone abbreviation (1).
    Full {
        at: NaiveDateTime,
        offset: Option<FixedOffset>,
        rank: u8,
    },
    /// Windows `date /t`.
    Date(NaiveDate),
    /// Windows `time /t`.
    Time(NaiveTime),
}

struct TimeRegexes {
    iso: Regex,
    unix_date: Regex,
    zh_date: Regex,
    slash_date: Regex,
    dot_date: Regex,
    time_only: Regex,
}

fn time_regexes() -> &'static TimeRegexes {
    static RX: OnceLock<TimeRegexes> = OnceLock::new();
    RX.get_or_init(|| TimeRegexes {
        iso: Regex::new(
            r"^([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})(?:[T ]\s*([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?)?\s*(Z|[+-][0-9]{2}:?[0-9]{2})?(?:\s+\S+)?$",
        )
        .expect("iso regex"),
        unix_date: Regex::new(
            r"^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+([0-9]{1,2})\s+([0-9]{1,2}):([0-9]{2}):([0-9]{2})\s+(?:(\S+)\s+)?([0-9]{4})$",
        )
        .expect("date regex"),
        zh_date: Regex::new(
            r"^([0-9]{4})年\s*([0-9]{1,2})月\s*([0-9]{1,2})日(?:\s+\S+)?\s+([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\s+(\S+))?$",
        )
        .expect("zh date regex"),
        slash_date: Regex::new(r"^(?:([A-Za-z]{2,3})\.?\s+)?([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")
            .expect("slash date regex"),
        dot_date: Regex::new(r"^(?:[A-Za-z]{2}\.?\s+)?([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})$")
            .expect("dot date regex"),
        time_only: Regex::new(
            r"^([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:[.,][0-9]+)?)?(?:\s*([AaPp][Mm]))?$",
        )
        .expect("time regex"),
    })
}

fn cap_u32(c: &regex::Captures<'_>, i: usize) -> Option<u32> {
    c.get(i).and_then(|m| m.as_str().parse().ok())
}

fn parse_offset(s: &str) -> Option<FixedOffset> {
    match s {
        "Z" | "UTC" | "GMT" => return FixedOffset::east_opt(0),
        _ => {}
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits[2..].parse().ok()?;
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// Is this whole line a timestamp (and which)? Lines with anything else on them are not:
/// that keeps log lines, which start with a timestamp, out.
pub(super) fn time_hit(line: &str) -> Option<TimeHit> {
    let line = line.trim();
    if line.len() < 4 || line.len() > 64 || !line.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let rx = time_regexes();
    if let Some(c) = rx.iso.captures(line) {
        let date =
            NaiveDate::from_ymd_opt(cap_u32(&c, 1)? as i32, cap_u32(&c, 2)?, cap_u32(&c, 3)?)?;
        let Some(h) = cap_u32(&c, 4) else {
            return Some(TimeHit::Date(date));
        };
        let nanos = c.get(7).map_or(Some(0), |m| {
            let s = m.as_str();
            let v: u32 = s.parse().ok()?;
            Some(v * 10u32.pow(9 - s.len() as u32))
        })?;
        let time =
            NaiveTime::from_hms_nano_opt(h, cap_u32(&c, 5)?, cap_u32(&c, 6).unwrap_or(0), nanos)?;
        let offset = match c.get(8) {
            Some(m) => Some(parse_offset(m.as_str())?),
            None => None,
        };
        return Some(TimeHit::Full {
            at: date.and_time(time),
            offset,
            rank: 3,
        });
    }
    if let Some(c) = rx.unix_date.captures(line) {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let mon = MONTHS.iter().position(|m| *m == &c[1])? as u32 + 1;
        let date = NaiveDate::from_ymd_opt(cap_u32(&c, 7)? as i32, mon, cap_u32(&c, 2)?)?;
        let time = NaiveTime::from_hms_opt(cap_u32(&c, 3)?, cap_u32(&c, 4)?, cap_u32(&c, 5)?)?;
        // `CST` is China, US Central or Cuba: only trust unambiguous zone names.
        let offset = c.get(6).and_then(|m| parse_offset(m.as_str()));
        return Some(TimeHit::Full {
            at: date.and_time(time),
            offset,
            rank: 1,
        });
    }
    if let Some(c) = rx.zh_date.captures(line) {
        let date =
            NaiveDate::from_ymd_opt(cap_u32(&c, 1)? as i32, cap_u32(&c, 2)?, cap_u32(&c, 3)?)?;
        let time = NaiveTime::from_hms_opt(cap_u32(&c, 4)?, cap_u32(&c, 5)?, cap_u32(&c, 6)?)?;
        let offset = c.get(7).and_then(|m| parse_offset(m.as_str()));
        return Some(TimeHit::Full {
            at: date.and_time(time),
            offset,
            rank: 1,
        });
    }
    if let Some(c) = rx.slash_date.captures(line) {
        // en-US `date /t` is `Wed 08/21/2019`; day-first locales have no English weekday.
        let (a, b, y) = (cap_u32(&c, 2)?, cap_u32(&c, 3)?, cap_u32(&c, 4)? as i32);
        let (m, d) = if c.get(1).is_some() || b > 12 {
            (a, b)
        } else if a > 12 {
            (b, a)
        } else {
            return None; // 03/04/2019 without a hint: ambiguous, do not guess.
        };
        return NaiveDate::from_ymd_opt(y, m, d).map(TimeHit::Date);
    }
    if let Some(c) = rx.dot_date.captures(line) {
        return NaiveDate::from_ymd_opt(cap_u32(&c, 3)? as i32, cap_u32(&c, 2)?, cap_u32(&c, 1)?)
            .map(TimeHit::Date);
    }
    if let Some(c) = rx.time_only.captures(line) {
        let mut h = cap_u32(&c, 1)?;
        if let Some(ampm) = c.get(4) {
            let pm = ampm.as_str().eq_ignore_ascii_case("pm");
            if h == 0 || h > 12 {
                return None;
            }
            h = match (pm, h) {
                (false, 12) => 0,
                (true, 12) => 12,
                (true, h) => h + 12,
                (false, h) => h,
            };
        }
        return NaiveTime::from_hms_opt(h, cap_u32(&c, 2)?, cap_u32(&c, 3).unwrap_or(0))
            .map(TimeHit::Time);
    }
    None
}

/// Lines at the top of a dump that may carry the capture time.
const TIME_SCAN_LINES: usize = 30;

/// The capture time written into the file, if any (see [`TimeHit`] for preferences).
pub(super) fn file_time(text: &str, naive_zone: FixedOffset) -> Option<DateTime<Utc>> {
    let mut best: Option<(u8, DateTime<Utc>)> = None;
    let mut date = None;
    let mut time = None;
    let to_utc = |at: NaiveDateTime, off: Option<FixedOffset>| -> Option<DateTime<Utc>> {
        let zone = off.unwrap_or(naive_zone);
        zone.from_local_datetime(&at)
            .single()
            .map(|d| d.with_timezone(&Utc))
    };
    for line in strip_bom(text)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(TIME_SCAN_LINES)
    {
        match time_hit(line) {
            Some(TimeHit::Full { at, offset, rank }) if best.is_none_or(|(r, _)| rank > r) => {
                if let Some(t) = to_utc(at, offset) {
                    best = Some((rank, t));
                }
            }
            Some(TimeHit::Full { .. }) => {}
            Some(TimeHit::Date(d)) => {
                date.get_or_insert(d);
            }
            Some(TimeHit::Time(t)) => {
                time.get_or_insert(t);
            }
            None => {}
        }
    }
    // `date /t` + `time /t` (rank 2) sits between an ISO line and a `date` with zone name.
    if let (Some(d), Some(t)) = (date, time) {
        if best.is_none_or(|(r, _)| r < 2) {
            if let Some(t) = to_utc(d.and_time(t), None) {
                best = Some((2, t));
            }
        }
    }
    best.map(|(_, t)| t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::sockets::fixtures::*;
    use crate::evidence::sockets::{analyze, SocketConfig, TimeSource};

    #[test]
    fn snapshot_time_from_file_or_mtime() {
        let utc = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let t = |head: &str| file_time(&format!("{head}\n{WIN_ANO}"), zone(8));
        assert_eq!(
            t("2019-08-21T11:47:20+08:00"),
            Some(utc("2019-08-21T03:47:20Z"))
        );
        assert_eq!(t("2019-08-21 11:47:20"), Some(utc("2019-08-21T03:47:20Z")));
        assert_eq!(
            t("2019/08/21 周三\n11:47"),
            Some(utc("2019-08-21T03:47:00Z"))
        );
        assert_eq!(
            t("Wed 08/21/2019\n11:47 AM"),
            Some(utc("2019-08-21T03:47:00Z"))
        );
        assert_eq!(t("21.08.2019\n11:47"), Some(utc("2019-08-21T03:47:00Z")));
        // CST is ambiguous: read in the caller's zone.
        assert_eq!(
            t("Wed Aug 21 11:47:20 CST 2019"),
            Some(utc("2019-08-21T03:47:20Z"))
        );
        assert_eq!(
            t("Wed Aug 21 11:47:20 UTC 2019"),
            Some(utc("2019-08-21T11:47:20Z"))
        );
        // ISO beats `date` output.
        assert_eq!(
            t("Wed Aug 21 11:47:20 CST 2019\n2019-08-21T11:47:21Z"),
            Some(utc("2019-08-21T11:47:21Z"))
        );
        assert_eq!(t("03/04/2019\n11:47"), None);
        assert_eq!(t(""), None);

        let mtime = Some(utc("2019-08-21T03:50:00Z"));
        let mut i = input("w/n.txt", WIN_ANO);
        i.mtime = mtime;
        let s = snap(&[i.clone()]);
        assert_eq!((s.time, s.time_source), (mtime, Some(TimeSource::Mtime)));
        i.text = format!("2019-08-21 11:47:20\r\n{WIN_ANO}");
        let s = analyze(&[i], &SocketConfig::default(), zone(8))
            .snapshots
            .remove(0);
        assert_eq!(s.time, Some(utc("2019-08-21T03:47:20Z")));
        assert_eq!(s.time_source, Some(TimeSource::File));
        // The timestamp line is neutral, not malformed.
        assert_eq!(s.malformed_rows, 0);
    }
}

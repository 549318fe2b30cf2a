//! Byte-level helpers shared by every stamp reader and by zone parsing: fixed and variable
//! digit runs, month and weekday abbreviations, fractions, offsets, field boundaries.
//!
//! Input: a line's bytes and an offset into them. Output: a value and, where the length
//! varies, the bytes consumed; `None` when the bytes are not that shape. Parsing runs per
//! record head, not per byte, so clarity wins over micro-optimisation, but nothing here
//! allocates.
//!
//! Tricky cases: leap seconds (`23:59:60`) are folded into the last second rather than
//! rejected; fraction digits past nanosecond precision are skipped; an offset may be `Z`,
//! `+08:00`, `+0800` or `+08`; a line's end is the end of the slice, `\r` or `\n`. This sits
//! beside `parse/`, not inside it, because `zone.rs` reads offsets with the same helpers.

use chrono::{FixedOffset, NaiveDate, NaiveDateTime};

#[inline]
pub(super) fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
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
pub(super) fn var_digits(b: &[u8], at: usize, max: usize) -> Option<(u32, usize)> {
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

pub(super) fn month_abbr(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    MONTHS
        .iter()
        .position(|m| s.eq_ignore_ascii_case(&m[..]))
        .map(|i| i as u32 + 1)
}

pub(super) fn is_weekday(b: &[u8], at: usize) -> bool {
    b.get(at..at + 3)
        .is_some_and(|s| WEEKDAYS.iter().any(|w| s.eq_ignore_ascii_case(&w[..])))
}

pub(super) fn make(
    y: i32,
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
    nanos: u32,
) -> Option<NaiveDateTime> {
    // Leap seconds (`23:59:60`) are folded into the last second rather than rejected.
    let s = s.min(59);
    NaiveDate::from_ymd_opt(y, mo, d)?.and_hms_nano_opt(h, mi, s, nanos)
}

/// Reads `.fff`/`,fff` fraction digits (1..=9) at `at`; returns (nanos, bytes consumed).
pub(super) fn fraction(b: &[u8], at: usize) -> (u32, usize) {
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
pub(super) fn offset(b: &[u8], at: usize) -> Option<(FixedOffset, usize)> {
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
pub(super) fn at_end(b: &[u8], p: usize) -> bool {
    matches!(b.get(p), None | Some(b'\r') | Some(b'\n'))
}

/// True at a field boundary: a space or tab, or the end of the line.
#[inline]
pub(super) fn at_boundary(b: &[u8], p: usize) -> bool {
    at_end(b, p) || matches!(b.get(p), Some(b' ') | Some(b'\t'))
}

/// Log level words that look like zone abbreviations (`INFO` after a pg-like stamp).
pub(super) fn is_level_word(w: &[u8]) -> bool {
    const LEVELS: [&[u8]; 20] = [
        b"INFO", b"WARN", b"ERROR", b"DEBUG", b"TRACE", b"FATAL", b"CRIT", b"ALERT", b"EMERG",
        b"NOTE", b"LOG", b"PANIC", b"FINE", b"FINER", b"HINT", b"OK", b"FAIL", b"ERR", b"DBG",
        b"WRN",
    ];
    LEVELS.contains(&w)
}

#[inline]
pub(super) fn utc_offset() -> FixedOffset {
    FixedOffset::east_opt(0).expect("zero offset")
}

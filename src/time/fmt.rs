//! Instants and durations as text: [`rfc3339`] and [`push_rfc3339`] write an instant as RFC
//! 3339 UTC with second precision (milliseconds kept when present, so ordering stays
//! visible), and [`parse_duration`] reads `90s`, `2m`, `1h30m`, `500ms` or a bare number of
//! seconds.
//!
//! Input: a UTC instant, or a duration flag's text. Output: the text, or a
//! `chrono::Duration` (an error message names the units it takes).
//!
//! Tricky cases: the digits are written by hand (chrono's strftime interpreter took 3 % of
//! the CPU on the 100,000-file bench corpus); years chrono writes with a sign (outside
//! 0..=9999) and leap seconds keep chrono's formatter.

// layout.md §4 also moves `ser_time`, `ser_opt_time` and `ser_times` here from the findings
// module; they stay there until that folder's split (not this one) moves them.

use chrono::{DateTime, Utc};

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

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap().num_seconds(), 90);
        assert_eq!(parse_duration("2m").unwrap().num_seconds(), 120);
        assert_eq!(parse_duration("1h30m").unwrap().num_seconds(), 5400);
        assert_eq!(parse_duration("45").unwrap().num_seconds(), 45);
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5x").is_err());
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
    }
}

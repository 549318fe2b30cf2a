//! Re-timing after the scan: a file whose zone was inferred, or a source whose skew is
//! corrected, has every time the scan gave it moved, instead of being scanned again.
//!
//! Input: the [`ScanOutput`] and, per file, a map from the instant the scan computed to the
//! right one. Output: the same output with the file's first/last, per-minute counts (an
//! access log's per-minute traffic too), hits and unknown error/warning records (their
//! summary's per-file times) moved, and the hit order restored ([`sort_hits`]): what a
//! scan with the right zone would have given.
//!
//! Why this is exact: a naive stamp read in zone A is `wall − offset_A(wall)`; read in B it
//! is `wall − offset_B`. Both offsets are whole minutes, so per-minute counts move by whole
//! minutes too. A skew correction moves by seconds: a minute count moves to the minute its
//! first second lands in (half a minute off at worst, documented).
//!
//! Tricky case: `--max-hits` kept the earliest hits *as scanned*; after a move the kept set
//! may not be the earliest any more (the warning about dropped hits already says counts are
//! lower bounds).

use crate::scan::{sort_hits, ScanOutput};
use crate::time::Zone;
use chrono::{DateTime, Duration, Utc};

/// How one file's times move.
#[derive(Clone, Debug, PartialEq)]
pub enum Move {
    /// Its naive stamps were read in `from`; read them at the fixed offset `to_secs`.
    Rezone {
        /// The zone the scan used.
        from: Zone,
        /// The inferred offset, seconds east of UTC.
        to_secs: i32,
    },
    /// Its clock runs this many milliseconds ahead: subtract them.
    Skew(i64),
    /// Its year-less stamps got the wrong years: move them by whole years.
    Years(i32),
}

impl Move {
    /// The instant a time moves to.
    pub fn apply(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Move::Rezone { from, to_secs } => {
                let old = from.offset_at(t).local_minus_utc();
                t + Duration::seconds(i64::from(old - to_secs))
            }
            Move::Skew(ms) => t - Duration::milliseconds(*ms),
            Move::Years(k) => {
                use chrono::Datelike;
                t.with_year(t.year() + k)
                    .unwrap_or_else(|| t + Duration::days(365 * i64::from(*k)))
            }
        }
    }
}

/// Applies the moves (`(file index, move)`, at most one per file and kind, applied in the
/// order given) and restores the orders of hits and unknown records.
pub fn apply(out: &mut ScanOutput, moves: &[(usize, Move)]) {
    if moves.is_empty() {
        return;
    }
    let mut per_file: Vec<Vec<&Move>> = vec![Vec::new(); out.files.len()];
    for (f, m) in moves {
        if let Some(v) = per_file.get_mut(*f) {
            v.push(m);
        }
    }
    let map = |f: usize, t: DateTime<Utc>| per_file[f].iter().fold(t, |t, m| m.apply(t));
    for (i, fs) in out.files.iter_mut().enumerate() {
        if per_file[i].is_empty() {
            continue;
        }
        fs.first = fs.first.map(|t| map(i, t));
        fs.last = fs.last.map(|t| map(i, t));
        let moved: crate::scan::activity::Minutes = fs
            .minutes
            .iter()
            .filter_map(|(m, n)| {
                let t = DateTime::from_timestamp(m.checked_mul(60)?, 0)?;
                Some((map(i, t).timestamp().div_euclid(60), n))
            })
            .collect();
        fs.minutes = moved;
        // The detector's per-minute signature counts move with the hits they count, or a
        // re-timed file's rates would sit hours away from its hits (the founding case
        // without --tz lost its incidents' exact edges).
        fs.sig_minutes = fs
            .sig_minutes
            .iter()
            .filter_map(|(m, sig, n)| {
                let t = DateTime::from_timestamp(m.checked_mul(60)?, 0)?;
                Some((map(i, t).timestamp().div_euclid(60), sig, n))
            })
            .collect();
        // An access log's per-minute traffic moves with its records (a syslog-prefixed
        // HAProxy log whose year is settled from the other files).
        if let Some(h) = fs.http.as_mut() {
            h.remap_minutes(|m| {
                DateTime::from_timestamp(m.saturating_mul(60), 0)
                    .map_or(m, |t| map(i, t).timestamp().div_euclid(60))
            });
        }
    }
    for h in &mut out.hits {
        if let Some(t) = h.time {
            h.time = Some(map(h.file as usize, t));
        }
    }
    out.unknown.map_times(|f, t| map(f as usize, t));
    sort_hits(&mut out.hits);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves() {
        let t = DateTime::parse_from_rfc3339("2019-08-21T08:47:10Z")
            .unwrap()
            .with_timezone(&Utc);
        // Read as UTC, really +08:00: eight hours earlier.
        let m = Move::Rezone {
            from: Zone::parse("UTC").unwrap(),
            to_secs: 8 * 3600,
        };
        assert_eq!(m.apply(t).to_rfc3339(), "2019-08-21T00:47:10+00:00");
        // Read in Berlin summer time (+02:00), really -05:30.
        let m = Move::Rezone {
            from: Zone::parse("Europe/Berlin").unwrap(),
            to_secs: -(5 * 3600 + 1800),
        };
        assert_eq!(m.apply(t).to_rfc3339(), "2019-08-21T16:17:10+00:00");
        assert_eq!(
            Move::Skew(1500).apply(t).to_rfc3339(),
            "2019-08-21T08:47:08.500+00:00"
        );
    }
}

//! Years for year-less stamps (syslog, klog, logcat, Proxifier) from the dated files of the
//! same scan.
//!
//! Input: the scanned files: a year-less file's span (its per-minute activity, with the
//! years the scan inferred from the file's mtime) and the spans of the files whose stamps
//! carry full dates. Output: per year-less file whose years came from its mtime (or from
//! nothing), a whole number of years to move it by, or none.
//!
//! Why: a copied or unpacked log gets a new mtime (`scp`, `tar x`, a support bundle), so a
//! syslog of August 2019 copied in 2025 reads as August 2025, a timeline six years away from
//! the app logs beside it. When the year-less file overlaps no dated file in its mtime's
//! year but does in another year (within ten), that year is the evidence: the file moves by
//! the whole number of years that gives the largest overlap (fewest years on a tie).
//! `--year` and a date in the file name are never overridden.
//!
//! Tricky case: a year-less file that is genuinely older than everything else (last year's
//! syslog beside this week's logs) overlaps nothing in any year and stays as it was.

use crate::scan::FileScan;
use chrono::{DateTime, Datelike, Utc};

/// Farthest a file is moved, in years.
pub const MAX_YEARS: i32 = 10;

/// A file's span in UTC minutes (first and last minute with records).
fn span(f: &FileScan) -> Option<(i64, i64)> {
    let mut it = f.minutes.iter();
    let first = it.next()?.0;
    let last = f.minutes.iter().last().map_or(first, |p| p.0);
    Some((first, last + 1))
}

/// `t` (UTC minutes) moved by whole years.
pub fn add_years(minute: i64, years: i32) -> i64 {
    let Some(t) = DateTime::<Utc>::from_timestamp(minute * 60, 0) else {
        return minute;
    };
    let moved = t
        .with_year(t.year() + years)
        .unwrap_or_else(|| t + chrono::Duration::days(365 * i64::from(years)));
    moved.timestamp().div_euclid(60)
}

/// The years to move each file by (`Some(k)`, k ≠ 0) so that it overlaps the dated files
/// (see the module header); `None` for files that stay.
pub fn infer(files: &[FileScan]) -> Vec<Option<i32>> {
    let dated: Vec<(i64, i64)> = files
        .iter()
        .filter(|f| f.year_from.is_none() && f.dump.is_none() && f.dated_records > 0)
        .filter_map(span)
        .collect();
    let overlap = |(a, b): (i64, i64)| -> i64 {
        dated
            .iter()
            .map(|&(c, d)| (b.min(d) - a.max(c)).max(0))
            .sum()
    };
    files
        .iter()
        .map(|f| {
            if !matches!(f.year_from.as_deref(), Some("mtime" | "none")) || dated.is_empty() {
                return None;
            }
            let s = span(f)?;
            if overlap(s) > 0 {
                return None;
            }
            (1..=MAX_YEARS)
                .flat_map(|k| [-k, k])
                .map(|k| (k, overlap((add_years(s.0, k), add_years(s.1, k)))))
                .filter(|&(_, o)| o > 0)
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.abs().cmp(&a.0.abs())))
                .map(|(k, _)| k)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::activity::Minutes;

    fn file(from: Option<&str>, start: &str, hours: i64) -> FileScan {
        let t0 = DateTime::parse_from_rfc3339(start).unwrap().timestamp() / 60;
        FileScan {
            year_from: from.map(str::to_string),
            dated_records: 10,
            minutes: (0..hours * 60).map(|m| (t0 + m, 1)).collect::<Minutes>(),
            ..Default::default()
        }
    }

    #[test]
    fn a_copied_syslog_moves_to_the_dated_files_year() {
        let files = vec![
            file(None, "2019-08-21T00:00:00Z", 6),
            file(Some("mtime"), "2025-08-21T02:00:00Z", 2),
            // Already overlapping: stays.
            file(Some("mtime"), "2019-08-21T01:00:00Z", 2),
            // `--year` and file names are never overridden.
            file(Some("--year"), "2025-08-21T02:00:00Z", 2),
            file(Some("file name"), "2025-08-21T02:00:00Z", 2),
            // Another season: overlaps nothing in any year.
            file(Some("mtime"), "2025-03-01T02:00:00Z", 2),
        ];
        assert_eq!(infer(&files), vec![None, Some(-6), None, None, None, None]);
        // Nothing dated: nothing to go by.
        assert_eq!(infer(&files[1..2]), vec![None]);
    }

    #[test]
    fn years_move_whole() {
        let m = DateTime::parse_from_rfc3339("2024-02-29T10:00:00Z")
            .unwrap()
            .timestamp()
            / 60;
        let back = DateTime::<Utc>::from_timestamp(add_years(m, -5) * 60, 0).unwrap();
        // 2019 has no Feb 29: a year of days back instead.
        assert_eq!(back.year(), 2019);
        let m = DateTime::parse_from_rfc3339("2025-08-21T02:00:00Z")
            .unwrap()
            .timestamp()
            / 60;
        let back = DateTime::<Utc>::from_timestamp(add_years(m, -6) * 60, 0).unwrap();
        assert_eq!(back.to_rfc3339(), "2019-08-21T02:00:00+00:00");
    }
}

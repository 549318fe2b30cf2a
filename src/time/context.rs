//! Per-file time context: what one file's stamps need beyond their own text.
//!
//! Input: the file's bytes (already opened by `input`), its chunk ranges, its name, mtime and
//! zone rule, and `--year`. Output: a [`FileTime`]: the file's [`Layout`]s (format + fields
//! to skip, several when a file changes format), and everything needed to complete partial
//! stamps:
//! - **Year** (syslog, klog, logcat, Proxifier; timestamps.md §11 steps 1-4): the last
//!   record's year is the mtime's year (`--year` replaces it), minus one when the last
//!   record's month/day lies after the mtime's; walking backwards, every New Year (the month
//!   goes *up* when read backwards) takes one year off. A short out-of-order run (a stray
//!   `Jan 1` line from a box without RTC in the middle of June) is not a New Year.
//! - **Date** (time-only, step 5): from a date in the file name (first record), else from the
//!   mtime (last record); the day advances when the clock goes back by more than 2 hours.
//! - **Clock** (JVM unified logging with uptime only): uptime 0 = mtime − last uptime.
//!
//! The year/day boundaries come from one syntactic pre-pass over the record heads (`prepass`:
//! no calendar math, chunks in parallel), so resolving a stamp later is a binary search.

use super::bytes::utc_offset;
use super::detect::{detect_file, detect_file_keeping, Detected, Layout};
use super::format::{epoch_base, Format, Partial, RawStamp, StampZone};
use super::parse::{may_start_stamp, parse_any, quick_any};
use super::prepass::{prepass, Kind};
use super::zone::{Resolved, ZoneRule};
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, Timelike, Utc};
use std::ops::Range;
use std::time::SystemTime;

mod window;

/// Bytes sampled for detection at the head of a file (and at each chunk start and the tail).
pub const SAMPLE_BYTES: usize = 64 * 1024;
/// Bytes sampled at the end of a file to notice a change of format.
pub const TAIL_BYTES: usize = 8 * 1024;
/// Stamped lines that vote in one detection sample.
pub const SAMPLE_LINES: usize = 50;

/// What the caller knows about a file besides its bytes.
#[derive(Clone, Debug, Default)]
pub struct FileTimeInput<'a> {
    /// The path shown in notes.
    pub path: &'a str,
    /// The file name (dates in it: `catalina.2019-08-21.log`).
    pub name: &'a str,
    /// Modification time.
    pub mtime: Option<SystemTime>,
    /// `--year`: the year of the file's last record (year-less formats).
    pub year: Option<i32>,
}

/// How a missing part of the stamps was filled in (provenance `inferred`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Inference {
    /// `year`, `date` or `clock`.
    pub what: &'static str,
    /// Where it came from: `--year`, `mtime`, `file name`, `none`.
    pub source: &'static str,
    /// Human summary, e.g. `year 2019 (from the file's mtime 2020-01-02), 1 New Year rollover`.
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq)]
enum Base {
    /// Nothing to fill in, or nothing to fill it with.
    None,
    /// Year of period 0.
    Year(i32),
    /// Date of period 0.
    Date(NaiveDate),
    /// UTC instant of uptime 0.
    Anchor(NaiveDateTime),
}

/// Everything faultscope knows about one file's time.
#[derive(Clone, Debug)]
pub struct FileTime {
    /// Layouts, the detected one first (several when the file changes format).
    pub layouts: Vec<Layout>,
    /// Zone rule for naive times and abbreviations.
    pub rule: ZoneRule,
    /// SQL Server `UTC adjustment:` offset, applied to naive stamps when no flag set a zone.
    pub utc_adjustment: Option<FixedOffset>,
    /// How a missing year/date/clock was filled in.
    pub inference: Option<Inference>,
    /// Notes for the report (copied files, 29 Feb in a non-leap year, no date at all).
    pub notes: Vec<String>,
    /// Offsets where a new year/day starts.
    periods: Vec<usize>,
    base: Base,
    /// Local reference date-time (mtime in the file's zone, or the file-name date) for stamps
    /// outside the pre-pass (per-line fallback).
    reference: Option<NaiveDateTime>,
    /// `--year`, for year-less stamps outside the pre-pass.
    year_flag: Option<i32>,
    /// Stamps detection read in the first layout, by line offset ([`FileTime::parse_line_at`]).
    head: Vec<(usize, Layout, RawStamp)>,
    /// Lines detection looked at in the head sample ([`FileTime::reads_as_log`]).
    sampled_lines: usize,
    /// Multi-line records (pretty-printed JSON, `wevtutil` text): each head's stamp.
    table: Option<super::multiline::Table>,
}

impl FileTime {
    /// A context with fixed layouts and no inference (tests, embedding).
    pub fn with_layouts(layouts: Vec<Layout>, rule: ZoneRule) -> FileTime {
        FileTime {
            layouts,
            rule,
            utc_adjustment: None,
            inference: None,
            notes: Vec::new(),
            periods: Vec::new(),
            base: Base::None,
            reference: None,
            year_flag: None,
            head: Vec::new(),
            sampled_lines: 0,
            table: None,
        }
    }

    /// Learns a file's time context: detection on the head (re-detection at every chunk
    /// start and on the tail, for files that change format), then the year/date pre-pass.
    pub fn learn(
        buf: &[u8],
        chunks: &[Range<usize>],
        input: &FileTimeInput<'_>,
        rule: ZoneRule,
    ) -> FileTime {
        // The stamps detection read at the head are kept: a record's stamp is read again
        // for the per-minute counts at every minute change, and in a small file whose
        // records are minutes apart that is every line detection just read (the second
        // parse was 8% of the CPU of a scan of the bench's 100,000 small files).
        // Only lines the sample holds whole: the last one may be cut at the sample's end.
        let sample = &buf[..buf.len().min(SAMPLE_BYTES)];
        // Room for every voting line at once (one allocation, not one per doubling).
        let mut head = Vec::with_capacity(SAMPLE_LINES.min(sample.len() / 16 + 1));
        let det = detect_file_keeping(sample, SAMPLE_LINES, |line, l, st| {
            let at = line.as_ptr() as usize - sample.as_ptr() as usize;
            if at + line.len() < sample.len() {
                head.push((at, l, st));
            }
        });
        let utc_adjustment = det.utc_adjustment;
        let sampled_lines = det.lines;
        let mut layouts = det.layouts;
        let mut extra = |det: Detected| {
            for l in det.layouts {
                if !layouts.contains(&l) && layouts.len() < 4 {
                    layouts.push(l);
                }
            }
        };
        if buf.len() > SAMPLE_BYTES {
            for c in chunks.iter().skip(1) {
                let end = buf.len().min(c.start + SAMPLE_BYTES);
                extra(detect_file(&buf[c.start..end], SAMPLE_LINES));
            }
            let from = buf.len() - TAIL_BYTES;
            let from = memchr::memchr(b'\n', &buf[from..]).map_or(buf.len(), |i| from + i + 1);
            // Every line of the tail votes: a recent change of format must not be outvoted by
            // the lines before it.
            extra(detect_file(&buf[from..], usize::MAX / 8));
        }
        if iis_name(input.name) {
            // IIS names its W3C logs `u_exYYMMDD.log`: `date time` rows are UTC.
            for l in &mut layouts {
                if l.skip == 0 && l.format == Format::DateTimeSeconds {
                    l.format = Format::IisW3c;
                }
            }
        }
        let mut ft = FileTime::with_layouts(layouts, rule);
        // Only stamps of the layout `parse_line` tries first are what it would return.
        if let Some(&first) = ft.layouts.first() {
            head.retain(|(_, l, _)| *l == first);
            ft.head = head;
        }
        ft.year_flag = input.year;
        ft.sampled_lines = sampled_lines;
        if let Some(f) = ft
            .format()
            .filter(|f| matches!(f, Format::JsonPretty | Format::WinEventText))
        {
            ft.table = Some(super::multiline::table(buf, f));
        }
        if ft.rule.reason.is_default() {
            ft.utc_adjustment = utc_adjustment;
        }
        ft.reference = input.mtime.map(|m| ft.local(m));
        let name_date = date_in_name(input.name);
        if let Some(first) = ft.layouts.first().copied() {
            match first.format.missing() {
                Partial::NoYear => ft.learn_years(buf, chunks, first, input, name_date),
                Partial::NoDate => ft.learn_days(buf, chunks, first, input, name_date),
                Partial::Full if matches!(first.format, Format::JvmUnified | Format::Dmesg) => {
                    ft.learn_uptime(buf, input)
                }
                _ => {}
            }
        }
        if ft.reference.is_none() {
            ft.reference = name_date.and_then(|d| d.and_hms_opt(23, 59, 59));
        }
        ft
    }

    /// Moves the inferred years of a year-less file by `years` (the clocks stage found
    /// them in the dated files of the same scan: a copied file's mtime lies). `detail`
    /// says why; a file whose year did not come from its mtime (or nothing) is left alone.
    pub fn shift_years(&mut self, years: i32, detail: String) {
        let from_mtime = self
            .inference
            .as_ref()
            .is_some_and(|i| i.what == "year" && matches!(i.source, "mtime" | "none"));
        if years == 0 || !from_mtime {
            return;
        }
        if let Base::Year(y) = self.base {
            self.base = Base::Year(y + years);
        }
        self.reference = self
            .reference
            .and_then(|r| r.with_year(r.year() + years).or(Some(r)));
        self.inference = Some(Inference {
            what: "year",
            source: "dated files",
            detail,
        });
    }

    /// Does the file read as a log: the detected layout's stamp starts the line (no fields
    /// before it) and at least half the lines detection looked at carry it? Saved
    /// `netstat`/`ss`/`tasklist`/`ps` output never does (its rows start with a protocol, a
    /// state, an image or a user name; a `date` line heading a dump is one line among many),
    /// so the scan looks for dumps only among files that do not.
    pub fn reads_as_log(&self) -> bool {
        self.layouts.first().is_some_and(|l| l.skip == 0)
            && !self.head.is_empty()
            && self.head.len() * 2 >= self.sampled_lines
    }

    /// The detected format (of the first layout).
    pub fn format(&self) -> Option<Format> {
        self.layouts.first().map(|l| l.format)
    }

    /// One line summary: layouts and inference, e.g. `boot-logback after 1 field`.
    pub fn describe(&self) -> String {
        use std::fmt::Write as _;
        // Written into one string: this runs once per file (100,000 times on the bench's
        // small-files corpus), and a string per layout plus a vector and a join were three
        // allocations each time.
        let mut s = String::new();
        if self.layouts.is_empty() {
            s.push_str("none");
        }
        for (i, l) in self.layouts.iter().enumerate() {
            if i > 0 {
                s.push_str(" + ");
            }
            let _ = write!(s, "{l}");
        }
        if let Some(off) = self.utc_adjustment {
            let _ = write!(s, "; offset {off} from the file's `UTC adjustment` line");
        }
        if let Some(inf) = &self.inference {
            s.push_str("; ");
            s.push_str(&inf.detail);
        }
        s
    }

    fn local(&self, t: SystemTime) -> NaiveDateTime {
        let utc: DateTime<Utc> = t.into();
        let off = self.rule.zone.offset_at(utc);
        utc.naive_utc() + Duration::seconds(i64::from(off.local_minus_utc()))
    }

    /// [`FileTime::parse_line`] for the line at byte `at` of the file: a stamp detection
    /// read there in the first layout is returned as read (the same stamp: that layout's
    /// parser on the same line, which ends in `\r` here, a byte no parser reads).
    pub fn parse_line_at(&self, at: usize, line: &[u8]) -> Option<(RawStamp, Format)> {
        if let (Some(t), Some(f)) = (&self.table, self.format()) {
            if let Some(st) = t.at(at) {
                return Some((st.clone(), f));
            }
        }
        if let Ok(i) = self.head.binary_search_by_key(&at, |(o, _, _)| *o) {
            let (_, l, st) = &self.head[i];
            return Some((st.clone(), l.format));
        }
        self.parse_line(line)
    }

    /// Reads the stamp of one line: the file's layouts in order, then every column-0 format
    /// if the line may start with a stamp (per-line fallback, mixed files).
    #[inline]
    pub fn parse_line(&self, line: &[u8]) -> Option<(RawStamp, Format)> {
        if let (Some(t), Some(f)) = (&self.table, self.format()) {
            if let Some(st) = t.lookup(line) {
                return Some((st.clone(), f));
            }
        }
        for l in &self.layouts {
            if let Some(st) = l.parse(line) {
                return Some((st, l.format));
            }
        }
        if may_start_stamp(line) {
            return parse_any(line);
        }
        None
    }

    /// Syntactic record-head check (no calendar math): runs on every line.
    #[inline]
    pub fn quick(&self, line: &[u8]) -> bool {
        self.layouts.iter().any(|l| l.quick(line)) || quick_any(line)
    }

    /// Fills in what a stamp at byte `offset` of the file lacks. `None`: nothing to fill it
    /// with, or the result does not exist (29 Feb in a non-leap year).
    pub fn complete(&self, st: &RawStamp, offset: usize) -> Option<RawStamp> {
        let mut st = st.clone();
        if let (StampZone::Naive, Some(off)) = (&st.zone, self.utc_adjustment) {
            st.zone = StampZone::Offset(off);
        }
        match st.partial {
            Partial::Full => return Some(st),
            Partial::NoYear => {
                let year = match self.base {
                    Base::Year(y0) => y0 + self.period(offset) as i32,
                    _ => self.fallback_year(&st.naive),
                };
                st.naive = st.naive.with_year(year)?;
            }
            Partial::NoDate => {
                let Base::Date(d0) = self.base else {
                    return None;
                };
                let d = d0 + Duration::days(self.period(offset) as i64);
                st.naive = d.and_time(st.naive.time());
            }
            Partial::Uptime => {
                let Base::Anchor(a) = self.base else {
                    return None;
                };
                st.naive = a + (st.naive - epoch_base());
                st.zone = StampZone::Offset(utc_offset());
            }
        }
        st.partial = Partial::Full;
        Some(st)
    }

    /// Completes and resolves a stamp found at byte `offset`.
    pub fn resolve(&self, st: &RawStamp, offset: usize) -> Resolved {
        match self.complete(st, offset) {
            Some(full) => self.rule.resolve(&full),
            None => Resolved::Undated,
        }
    }

    fn period(&self, offset: usize) -> usize {
        self.periods.partition_point(|&b| b <= offset)
    }

    /// A year for a lone year-less stamp: `--year`, else the latest year that does not put
    /// it more than a day after the reference (mtime), or after today.
    fn fallback_year(&self, naive: &NaiveDateTime) -> i32 {
        if let Some(y) = self.year_flag {
            return y;
        }
        let reference = self.reference.unwrap_or_else(|| Utc::now().naive_utc());
        latest_year_not_after(naive.month(), naive.day(), reference.date())
    }

    fn learn_years(
        &mut self,
        buf: &[u8],
        chunks: &[Range<usize>],
        layout: Layout,
        input: &FileTimeInput<'_>,
        name_date: Option<NaiveDate>,
    ) {
        let pass = prepass(buf, chunks, layout, Kind::Year);
        let Some((_, last_key, last_day)) = pass.last else {
            return;
        };
        self.periods = pass.boundaries;
        let rolls = self.periods.len() as i32;
        let now = self.local(SystemTime::now());
        let (last_year, source, detail) = if let Some(y) = input.year {
            (y, "--year", format!("year {y} from --year"))
        } else if let Some(mref) = self.reference {
            let y = latest_year_not_after(last_key, last_day, mref.date());
            let mut chosen = (
                y,
                "mtime",
                format!("year {y} from the file's mtime ({})", mref.date()),
            );
            let last = NaiveDate::from_ymd_opt(y, last_key, last_day)
                .or_else(|| NaiveDate::from_ymd_opt(y, last_key, 28))
                .unwrap_or(mref.date());
            let stale = (mref.date() - last).num_days() > 1;
            let future = mref > now + Duration::days(1);
            if stale || future {
                if let Some(nd) = name_date {
                    let y = latest_year_not_after(last_key, last_day, nd);
                    chosen = (
                        y,
                        "file name",
                        format!("year {y} from the date in the file name ({nd})"),
                    );
                }
                let why = if future {
                    "lies in the future".to_string()
                } else {
                    format!(
                        "is {} days after the last record",
                        (mref.date() - last).num_days()
                    )
                };
                self.notes.push(format!(
                    "{}: stamps carry no year and the file's mtime ({}) {why} (a copied file?); {}: set --year if that is wrong",
                    input.path,
                    mref.date(),
                    chosen.2
                ));
            }
            chosen
        } else if let Some(nd) = name_date {
            let y = latest_year_not_after(last_key, last_day, nd);
            (
                y,
                "file name",
                format!("year {y} from the date in the file name ({nd})"),
            )
        } else {
            let y = now.year();
            self.notes.push(format!(
                "{}: stamps carry no year and the file has no mtime: assuming {y}; set --year",
                input.path
            ));
            (y, "none", format!("year {y} assumed (no mtime)"))
        };
        let first_year = last_year - rolls;
        self.base = Base::Year(first_year);
        let detail = if rolls > 0 {
            format!(
                "{detail} for the last record; {rolls} New Year rollover{} ({first_year}–{last_year})",
                if rolls == 1 { "" } else { "s" }
            )
        } else {
            detail
        };
        self.inference = Some(Inference {
            what: "year",
            source,
            detail,
        });
        for off in pass.feb29 {
            let y = first_year + self.period(off) as i32;
            if NaiveDate::from_ymd_opt(y, 2, 29).is_none() {
                let line = bytecount::count(&buf[..off], b'\n') + 1;
                self.notes.push(format!(
                    "{}:{line}: `Feb 29` in the inferred year {y} (not a leap year): the year guess is wrong; set --year",
                    input.path
                ));
                break;
            }
        }
    }

    fn learn_days(
        &mut self,
        buf: &[u8],
        chunks: &[Range<usize>],
        layout: Layout,
        input: &FileTimeInput<'_>,
        name_date: Option<NaiveDate>,
    ) {
        let pass = prepass(buf, chunks, layout, Kind::Day);
        let Some((_, last_secs, _)) = pass.last else {
            return;
        };
        self.periods = pass.boundaries;
        let days = self.periods.len() as i64;
        let (first, source, what) = if let Some(nd) = name_date {
            (
                nd,
                "file name",
                format!("date {nd} from the file name for the first record"),
            )
        } else if let Some(mref) = self.reference {
            let mut last = mref.date();
            if last_secs > mref.time().num_seconds_from_midnight() + 3600 {
                last -= Duration::days(1);
            }
            (
                last - Duration::days(days),
                "mtime",
                format!("date {last} from the file's mtime for the last record"),
            )
        } else {
            self.notes.push(format!(
                "{}: time-only stamps and no date in the file name or mtime: records left undated",
                input.path
            ));
            return;
        };
        let detail = if days > 0 {
            format!(
                "{what}; {days} midnight rollover{}",
                if days == 1 { "" } else { "s" }
            )
        } else {
            what
        };
        self.notes.push(format!(
            "{}: time-only stamps: {detail} (inferred, check it)",
            input.path
        ));
        self.base = Base::Date(first);
        self.inference = Some(Inference {
            what: "date",
            source,
            detail,
        });
    }

    fn learn_uptime(&mut self, buf: &[u8], input: &FileTimeInput<'_>) {
        // The last uptime stamp in the file, read backwards over at most 4096 lines.
        let mut end = buf.len();
        let mut last = None;
        for _ in 0..4096 {
            if end == 0 {
                break;
            }
            let start = memchr::memrchr(b'\n', &buf[..end.saturating_sub(1)]).map_or(0, |i| i + 1);
            if let Some((st, _)) = self.parse_line(&buf[start..end]) {
                if st.partial == Partial::Uptime {
                    last = Some(st.naive - epoch_base());
                    break;
                }
                if st.partial == Partial::Full {
                    return; // wall-clock decorations: nothing to anchor
                }
            }
            end = start;
        }
        let (Some(up), Some(m)) = (last, input.mtime) else {
            return;
        };
        let mtime: DateTime<Utc> = m.into();
        let anchor = mtime.naive_utc() - up;
        self.base = Base::Anchor(anchor);
        let detail = format!(
            "clock = uptime + start {}Z (the file's mtime minus the last uptime)",
            anchor.format("%Y-%m-%dT%H:%M:%S")
        );
        self.notes.push(format!(
            "{}: uptime stamps: {detail} (inferred, check it)",
            input.path
        ));
        self.inference = Some(Inference {
            what: "clock",
            source: "mtime",
            detail,
        });
    }
}

/// IIS W3C log file names: `u_ex190821.log`, `u_ex19082110.log` (hourly), `ex190821.log`.
fn iis_name(name: &str) -> bool {
    let stem = name.strip_prefix("u_").unwrap_or(name);
    stem.strip_prefix("ex").is_some_and(|r| {
        let d = r.bytes().take_while(u8::is_ascii_digit).count();
        (d == 6 || d == 8) && r[d..].eq_ignore_ascii_case(".log")
    })
}

/// The latest year in which `month/day` is not more than a day after `reference`.
fn latest_year_not_after(month: u32, day: u32, reference: NaiveDate) -> i32 {
    let y = reference.year();
    // 29 Feb compares as 28 Feb (the reference year need not be a leap year).
    match NaiveDate::from_ymd_opt(y, month, if month == 2 { day.min(28) } else { day }) {
        Some(d) if d > reference + Duration::days(1) => y - 1,
        _ => y,
    }
}

/// A date in a file name: `2019-08-21`, `2019_08_21`, `2019.08.21` or `20190821`.
pub fn date_in_name(name: &str) -> Option<NaiveDate> {
    let b = name.as_bytes();
    let dig = |i: usize, n: usize| -> Option<u32> {
        let s = b.get(i..i + n)?;
        s.iter()
            .all(u8::is_ascii_digit)
            .then(|| s.iter().fold(0, |v, c| v * 10 + u32::from(c - b'0')))
    };
    for i in 0..b.len() {
        if i > 0 && b[i - 1].is_ascii_digit() {
            continue;
        }
        let Some(y) = dig(i, 4) else { continue };
        if !(1990..=2100).contains(&y) {
            continue;
        }
        let (m, d, end) = match b.get(i + 4) {
            Some(b'-' | b'_' | b'.') if b.get(i + 7) == b.get(i + 4) => {
                (dig(i + 5, 2), dig(i + 8, 2), i + 10)
            }
            _ => (dig(i + 4, 2), dig(i + 6, 2), i + 8),
        };
        if b.get(end).is_some_and(u8::is_ascii_digit) {
            continue;
        }
        if let (Some(m), Some(d)) = (m, d) {
            if let Some(date) = NaiveDate::from_ymd_opt(y as i32, m, d) {
                return Some(date);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Zone, ZoneReason, PLACEHOLDER_YEAR};

    fn utc_rule() -> ZoneRule {
        ZoneRule {
            zone: Zone::parse("UTC").unwrap(),
            reason: ZoneReason::Flag,
            aliases: Default::default(),
        }
    }

    fn mtime(s: &str) -> SystemTime {
        DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&Utc)
            .into()
    }

    fn learn(text: &str, name: &str, m: Option<&str>, year: Option<i32>) -> FileTime {
        let buf = text.as_bytes();
        let range = 0..buf.len();
        let whole = std::slice::from_ref(&range);
        FileTime::learn(
            buf,
            whole,
            &FileTimeInput {
                path: name,
                name,
                mtime: m.map(mtime),
                year,
            },
            utc_rule(),
        )
    }

    /// Logs whose lines start with their stamps read as logs; host dumps never do, even with
    /// a `date` line on top (the founding case's `netstat -ano`), nor do files whose stamps
    /// sit after other fields or are outnumbered by other lines (the dump check then runs).
    #[test]
    fn reads_as_log_only_when_most_lines_start_with_the_stamp() {
        let log: String = (0..14)
            .map(|i| {
                format!("2019-08-21 10:00:{i:02}.123  INFO 42 --- [main] c.e.App : step {i}\n")
            })
            .collect();
        assert!(learn(&log, "app.log", None, None).reads_as_log());
        let crlf = log.replace('\n', "\r\n");
        assert!(learn(&crlf, "app.log", None, None).reads_as_log());
        let mut netstat = String::from(
            "2019/08/21 11:47:20.15\r\n\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n",
        );
        for p in 0..300 {
            netstat.push_str(&format!(
                "  TCP    10.0.0.5:{}        10.0.0.9:1433          TIME_WAIT       0\r\n",
                50000 + p
            ));
        }
        assert!(!learn(&netstat, "netstat-ano.txt", None, None).reads_as_log());
        let ps = "UID          PID    PPID  C STIME TTY          TIME CMD\n\
root           1       0  0 Aug21 ?        00:00:05 /sbin/init\n\
root         812       1  0 10:00 ?        00:01:10 /usr/sbin/sqlservr\n";
        assert!(!learn(ps, "ps-ef.txt", None, None).reads_as_log());
        // Stamps after a field: not taken as a log (the check runs, as before).
        let fielded: String = (0..14)
            .map(|i| format!("node-7 2019-08-21 10:00:{i:02} INFO step {i}\n"))
            .collect();
        assert!(!learn(&fielded, "app.log", None, None).reads_as_log());
        // One head among a long stack trace: outnumbered.
        let mut trace =
            String::from("2019-08-21 10:00:00.123 ERROR 42 --- [main] c.e.App : boom\n");
        for i in 0..40 {
            trace.push_str(&format!("\tat com.example.Frame{i}.call(Frame.java:{i})\n"));
        }
        assert!(!learn(&trace, "app.log", None, None).reads_as_log());
    }

    /// The stamps kept from detection are what `parse_line` reads on the same lines: every
    /// line start of files in several formats (CRLF, a BOM, continuation lines, a second
    /// layout, a JSON line, a line cut by the end of the detection sample).
    #[test]
    fn parse_line_at_is_parse_line() {
        let long = format!(
            "2019-08-21 00:00:01.000  INFO 1 --- [main] a.B : {}\n2019-08-21 00:00:02.000  INFO x\n",
            "y".repeat(SAMPLE_BYTES)
        );
        let texts = [
            "\u{feff}2019-08-21 08:47:00.123  INFO 1 --- [main] a.B : up\r\n2019-08-21 08:48:00.123 ERROR 1 --- [main] a.B : down\r\n\tat x.Y(Y.java:1)\r\n2019-08-21 09:00:00.000  WARN 1 --- [main] a.B : w\r\n".to_string(),
            "2019-08-21 08:47:00,123 INFO a\n21-Aug-2019 08:48:00.123 INFO b\n2019-08-21 08:49:00,123 INFO c\n".to_string(),
            "{\"ts\":\"2019-08-21T08:47:00Z\",\"level\":\"error\"}\n{\"ts\":\"2019-08-21T09:47:00+08:00\"}\r\n".to_string(),
            "10.0.0.1 - - [21/Aug/2019:08:47:00 +0000] \"GET / HTTP/1.1\" 500 1\n10.0.0.1 - - [21/Aug/2019:08:48:00 +0800] \"GET / HTTP/1.1\" 200 1\n".to_string(),
            "Aug 21 08:47:00 host app: a\nAug 21 08:48:00 host app: b\n".to_string(),
            long,
        ];
        for text in &texts {
            let ft = learn(text, "app.log", Some("2019-08-22T00:00:00Z"), None);
            let buf = text.as_bytes();
            let mut at = 0;
            while at < buf.len() {
                let end = buf[at..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(buf.len(), |i| at + i);
                let line = &buf[at..end];
                assert_eq!(
                    ft.parse_line_at(at, line),
                    ft.parse_line(line),
                    "{text:?} at {at}"
                );
                at = end + 1;
            }
        }
        // The stamps are kept (the BOM line under its offset after the BOM, where no line
        // starts; not the line the sample's end cuts): this test is about them.
        assert_eq!(learn(&texts[0], "a.log", None, None).head.len(), 3);
        assert_eq!(learn(&texts[5], "a.log", None, None).head.len(), 0);
    }

    fn times(ft: &FileTime, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut off = 0;
        for line in text.split_inclusive('\n') {
            if let Some((st, _)) = ft.parse_line(line.as_bytes()) {
                match ft.resolve(&st, off) {
                    Resolved::At(t, _) => out.push(t.format("%Y-%m-%d %H:%M:%S").to_string()),
                    other => out.push(format!("{other:?}")),
                }
            }
            off += line.len();
        }
        out
    }

    #[test]
    fn syslog_year_rolls_back_across_new_year() {
        let text = "Dec 30 23:59:01 h a: x\nDec 31 10:00:00 h a: x\nJan  1 00:00:05 h a: x\nJan  2 08:00:00 h a: x\n";
        let ft = learn(text, "messages", Some("2020-01-02T09:00:00Z"), None);
        assert_eq!(ft.format(), Some(Format::Syslog3164));
        assert_eq!(
            times(&ft, text),
            [
                "2019-12-30 23:59:01",
                "2019-12-31 10:00:00",
                "2020-01-01 00:00:05",
                "2020-01-02 08:00:00"
            ]
        );
        assert_eq!(ft.inference.as_ref().unwrap().source, "mtime");
        // December lines in a file last written on 2 January: the previous year.
        let text = "Dec 30 23:59:01 h a: x\nDec 31 10:00:00 h a: x\n";
        let ft = learn(text, "messages", Some("2020-01-02T09:00:00Z"), None);
        assert_eq!(times(&ft, text)[0], "2019-12-30 23:59:01");
        // --year is the last record's year.
        let text = "Dec 31 10:00:00 h a: x\nJan  1 00:00:05 h a: x\n";
        let ft = learn(text, "messages", None, Some(2006));
        assert_eq!(
            times(&ft, text),
            ["2005-12-31 10:00:00", "2006-01-01 00:00:05"]
        );
    }

    #[test]
    fn large_files_are_sampled_and_still_roll_over() {
        // > 8 MiB: the sampled pre-pass. Nov..Dec then Jan, a stray `Jan 1` early on.
        let mut text = String::new();
        let mut i = 0u32;
        let mut push = |text: &mut String, mon: &str, day: u32| {
            i += 1;
            text.push_str(&format!(
                "{mon} {day:2} {:02}:{:02}:{:02} host app[{i}]: some message text to fill the line\n",
                (i / 3600) % 24,
                (i / 60) % 60,
                i % 60
            ));
        };
        while text.len() < 4 << 20 {
            push(&mut text, "Dec", 30);
            if text.len() > 1 << 20 && text.len() < (1 << 20) + 100 {
                push(&mut text, "Jan", 1);
            }
        }
        let rollover = text.len();
        while text.len() < 10 << 20 {
            push(&mut text, "Jan", 2);
        }
        let buf = text.as_bytes();
        // One chunk: the scan's 16 MiB chunks cut this 10 MiB file nowhere (built here so
        // that `time` names nothing else of the crate, even in tests).
        assert!(buf.len() < 16 << 20);
        let whole = 0..buf.len();
        let ft = FileTime::learn(
            buf,
            std::slice::from_ref(&whole),
            &FileTimeInput {
                path: "m",
                name: "m",
                mtime: Some(mtime("2020-01-02T12:00:00Z")),
                year: None,
            },
            utc_rule(),
        );
        assert_eq!(ft.periods, vec![rollover]);
        let (st, _) = ft.parse_line(&buf[..80]).unwrap();
        match ft.resolve(&st, 0) {
            Resolved::At(t, _) => assert_eq!(t.year(), 2019),
            other => panic!("{other:?}"),
        }
        let (st, _) = ft.parse_line(&buf[rollover..]).unwrap();
        match ft.resolve(&st, rollover) {
            Resolved::At(t, _) => assert_eq!(t.year(), 2020),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_stray_line_is_not_a_new_year() {
        let mut text = String::new();
        for i in 0..30 {
            text.push_str(&format!("Jun 14 10:{:02}:00 h a: x\n", i));
        }
        text.push_str("Jan  1 00:00:12 h busybox: booted without RTC\n");
        for i in 30..60 {
            text.push_str(&format!("Jun 14 10:{:02}:00 h a: x\n", i));
        }
        let ft = learn(&text, "messages", Some("2019-06-14T11:00:00Z"), None);
        let t = times(&ft, &text);
        assert!(t.iter().all(|s| s.starts_with("2019-")), "{t:?}");
        assert_eq!(ft.periods.len(), 0);
    }

    #[test]
    fn feb_29_without_year() {
        let text = "Feb 29 10:00:00 h a: x\nMar  1 10:00:00 h a: x\n";
        // 2020 is a leap year.
        let ft = learn(text, "m", Some("2020-03-01T11:00:00Z"), None);
        assert_eq!(
            times(&ft, text),
            ["2020-02-29 10:00:00", "2020-03-01 10:00:00"]
        );
        assert!(ft.notes.is_empty(), "{:?}", ft.notes);
        // 2019 is not: undated and a note says the guess is wrong.
        let ft = learn(text, "m", Some("2019-03-01T11:00:00Z"), None);
        assert_eq!(times(&ft, text)[0], "Undated");
        assert!(
            ft.notes.iter().any(|n| n.contains("Feb 29")),
            "{:?}",
            ft.notes
        );
    }

    #[test]
    fn copied_file_prefers_the_date_in_its_name() {
        let text = "Aug 21 10:00:00 h a: x\n";
        let ft = learn(
            text,
            "messages-2017-08-22",
            Some("2025-11-25T10:00:00Z"),
            None,
        );
        assert_eq!(times(&ft, text), ["2017-08-21 10:00:00"]);
        assert!(ft.notes[0].contains("copied"), "{:?}", ft.notes);
    }

    #[test]
    fn time_only_takes_the_date_from_the_name_and_rolls_at_midnight() {
        let text = "23:58:00.001 [main] INFO a - x\n23:59:59.999 [main] INFO a - x\n00:00:00.500 [main] INFO a - x\n";
        let ft = learn(text, "app.2019-08-21.log", None, None);
        assert_eq!(ft.format(), Some(Format::TimeOnly));
        assert_eq!(
            times(&ft, text),
            [
                "2019-08-21 23:58:00",
                "2019-08-21 23:59:59",
                "2019-08-22 00:00:00"
            ]
        );
        assert!(ft.notes[0].contains("file name"));
        // From the mtime: the last record is on the mtime's day.
        let ft = learn(text, "app.log", Some("2019-08-22T00:10:00Z"), None);
        assert_eq!(times(&ft, text)[2], "2019-08-22 00:00:00");
        assert_eq!(times(&ft, text)[0], "2019-08-21 23:58:00");
        // Nothing to take a date from: undated, and said so.
        let ft = learn(text, "app.log", None, None);
        assert_eq!(times(&ft, text)[0], "Undated");
        assert!(ft.notes[0].contains("undated"));
    }

    #[test]
    fn jvm_uptime_is_anchored_to_mtime() {
        let text = "[0.025s][info][gc] Using G1\n[10.500s][info][gc] GC(0) Pause\n";
        let ft = learn(text, "gc.log", Some("2024-01-18T15:52:28.500Z"), None);
        assert_eq!(ft.format(), Some(Format::JvmUnified));
        assert_eq!(
            times(&ft, text),
            ["2024-01-18 15:52:18", "2024-01-18 15:52:28"]
        );
    }

    #[test]
    fn iis_file_names() {
        assert!(iis_name("u_ex190821.log"));
        assert!(iis_name("u_ex19082110.log"));
        assert!(iis_name("ex190821.log"));
        assert!(!iis_name("index190821.log"));
        assert!(!iis_name("u_ex1908.log"));
    }

    #[test]
    fn names_with_dates() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd);
        assert_eq!(date_in_name("catalina.2019-08-21.log"), d(2019, 8, 21));
        assert_eq!(
            date_in_name("localhost_access_log.2019-08-21.txt"),
            d(2019, 8, 21)
        );
        assert_eq!(date_in_name("messages-20190821"), d(2019, 8, 21));
        assert_eq!(date_in_name("app_2019_08_21.log"), d(2019, 8, 21));
        assert_eq!(date_in_name("app.log.1"), None);
        assert_eq!(date_in_name("id-123456789012.log"), None);
        assert_eq!(date_in_name("x-2019-13-45.log"), None);
    }

    #[test]
    fn placeholder_year_is_leap() {
        assert!(NaiveDate::from_ymd_opt(PLACEHOLDER_YEAR, 2, 29).is_some());
    }
}

//! Per-minute record counts: how much each file logged, minute by minute.
//!
//! Input: the record heads the scan's per-line pass already finds (`scan::walk::quick_header`).
//! Output: for each file, [`Minutes`]: UTC minute (unix seconds / 60) → records, a sorted
//! vector, used by the coverage/silence and traffic findings (`findings`).
//!
//! Cost: this runs on every record head of every file, so it never parses a timestamp per
//! line. It keeps the bytes of the previous head's stamp up to the minute (`2019-08-21
//! 08:47` for the fixed-position formats, `21/Aug/2019:08:47` for access logs, the learned
//! position of the time field in JSON lines) and parses only when they differ; otherwise
//! it increments the current minute. Parsing happens about once per minute of log.
//!
//! Approximations (documented in docs/reports.md): two heads with the same minute text but
//! different explicit offsets count in the first one's minute; in a DST fall-back hour the
//! repeated local minute counts in its first occurrence.

use crate::time::{Format, RawStamp};
use chrono::{DateTime, NaiveDateTime, Utc};

/// Longest minute key kept (`21/Aug/2019:08:47` is 17 bytes).
const KEY_MAX: usize = 24;

/// Counts record heads per minute for one chunk; runs are merged per file afterwards.
#[derive(Debug, Default)]
pub struct MinuteCounter {
    key: [u8; KEY_MAX],
    key_len: usize,
    /// Where the key sits in the line (JSON lines: learned from the last parse).
    key_at: usize,
    minute: Option<i64>,
    /// (minute, records) in line order; consecutive heads of one minute share a run.
    pub runs: Vec<(i64, u32)>,
}

impl MinuteCounter {
    /// A counter with room for `runs` runs.
    pub fn with_capacity(runs: usize) -> MinuteCounter {
        MinuteCounter {
            runs: Vec::with_capacity(runs),
            ..MinuteCounter::default()
        }
    }

    /// Counts one stamped record head. `parse` reads and resolves the head's stamp; it
    /// runs only when the minute text differs from the previous head's.
    #[inline]
    pub fn count<F>(&mut self, line: &[u8], format: Option<Format>, parse: F)
    where
        F: FnOnce(&[u8]) -> Option<(RawStamp, DateTime<Utc>)>,
    {
        let key = minute_key(line, format, self.key_at);
        if let (Some(k), Some(m)) = (key, self.minute) {
            if self.key_len > 0 && k == &self.key[..self.key_len] {
                self.bump(m);
                return;
            }
        }
        let Some((raw, t)) = parse(line) else {
            return;
        };
        let m = t.timestamp().div_euclid(60);
        self.minute = Some(m);
        if format == Some(Format::JsonLines) {
            self.key_at = json_key_at(line, &raw.naive).unwrap_or(usize::MAX);
        }
        match minute_key(line, format, self.key_at) {
            Some(k) if k.len() <= KEY_MAX => {
                self.key[..k.len()].copy_from_slice(k);
                self.key_len = k.len();
            }
            _ => self.key_len = 0,
        }
        self.bump(m);
    }

    #[inline]
    fn bump(&mut self, m: i64) {
        match self.runs.last_mut() {
            Some((lm, n)) if *lm == m => *n += 1,
            _ => self.runs.push((m, 1)),
        }
    }
}

/// A file's dated records per UTC minute: (minute, records) sorted by minute, each minute
/// once. A sorted vector, not a map: a file of 14 records in 14 minutes (the bench's small
/// files) held three B-tree nodes, about 500 bytes, where the vector holds 224, and a
/// scan of 100,000 files keeps one per file until the report is written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Minutes(Vec<(i64, u32)>);

impl Minutes {
    /// (minute, records) in minute order.
    pub fn iter(&self) -> impl Iterator<Item = (i64, u32)> + '_ {
        self.0.iter().copied()
    }

    /// Number of minutes with records.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No dated record at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds a chunk's runs (minutes in line order; a minute may repeat when stamps go
    /// back). In the usual case (a file in one chunk, its stamps in order) the runs become
    /// the result without a copy (one allocation per file fewer, on 100,000 small files).
    pub fn merge_runs(&mut self, mut runs: Vec<(i64, u32)>) {
        if self.0.is_empty() && runs.windows(2).all(|w| w[0].0 < w[1].0) {
            runs.shrink_to_fit();
            self.0 = runs;
            return;
        }
        self.merge_sorted(&runs);
    }

    fn merge_sorted(&mut self, runs: &[(i64, u32)]) {
        let mut all: Vec<(i64, u32)> = Vec::with_capacity(self.0.len() + runs.len());
        all.extend_from_slice(&self.0);
        all.extend_from_slice(runs);
        all.sort_by_key(|p| p.0);
        let mut out: Vec<(i64, u32)> = Vec::with_capacity(all.len());
        for (m, n) in all {
            match out.last_mut() {
                Some(last) if last.0 == m => last.1 = last.1.saturating_add(n),
                _ => out.push((m, n)),
            }
        }
        out.shrink_to_fit();
        self.0 = out;
    }
}

impl FromIterator<(i64, u32)> for Minutes {
    /// Any (minute, records) pairs: sorted and summed per minute.
    fn from_iter<I: IntoIterator<Item = (i64, u32)>>(it: I) -> Self {
        let mut m = Minutes::default();
        m.merge_runs(it.into_iter().collect());
        m
    }
}

/// Compact serde form of a file's [`Minutes`] (partial results): one flat
/// array `[m0, n0, d1, n1, d2, n2, ...]` where `m0` is the first minute, `d` the distance
/// in minutes from the previous entry and `n` the records. A day of steady logging is about
/// five bytes a minute instead of twenty for a JSON object.
pub mod minutes_serde {
    use super::Minutes;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes the minutes as delta pairs.
    pub fn serialize<S: Serializer>(m: &Minutes, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(m.len() * 2))?;
        let mut prev: Option<i64> = None;
        for (k, n) in m.iter() {
            seq.serialize_element(&(k - prev.unwrap_or(0)))?;
            seq.serialize_element(&i64::from(n))?;
            prev = Some(k);
        }
        seq.end()
    }

    /// Reads delta pairs back.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Minutes, D::Error> {
        let flat = Vec::<i64>::deserialize(d)?;
        if flat.len() % 2 != 0 {
            return Err(serde::de::Error::custom("minutes: odd number of values"));
        }
        let mut out = Vec::with_capacity(flat.len() / 2);
        let mut at = 0i64;
        for (i, pair) in flat.chunks(2).enumerate() {
            if i > 0 && pair[0] <= 0 {
                return Err(serde::de::Error::custom("minutes: not increasing"));
            }
            at = at
                .checked_add(pair[0])
                .ok_or_else(|| serde::de::Error::custom("minutes: overflow"))?;
            let n = u32::try_from(pair[1])
                .map_err(|_| serde::de::Error::custom("minutes: bad count"))?;
            out.push((at, n));
        }
        // Strictly increasing, as checked: already in `Minutes` form.
        Ok(Minutes(out))
    }
}

/// The bytes of the line's stamp up to the minute, when the format puts them at a known
/// place; `None` means "parse this line".
#[inline]
fn minute_key(line: &[u8], format: Option<Format>, key_at: usize) -> Option<&[u8]> {
    let at = |s: usize, n: usize| line.get(s..s.checked_add(n)?);
    match format? {
        // `2019-08-21 08:47` / `2019-08-21T08:47` / `2019/08/21 08:47`
        Format::Iso8601Offset
        | Format::Iso8601Naive
        | Format::BootLogback
        | Format::CommaMillis
        | Format::DateTimeSeconds
        | Format::MssqlErrorlog
        | Format::PgPrefix
        | Format::IisW3c
        | Format::JournalShortIso
        | Format::Cri
        | Format::Bgl
        | Format::NginxError
        | Format::GoLog
        | Format::DottedDate => at(0, 16),
        // `[2024-05-14 09:47`
        Format::BracketIso => at(1, 16),
        // `161209 14:18` / `130715  9:08`
        Format::MysqlLegacy => at(0, 12),
        // `17/06/09 20:10`, `03-17 16:13`, `081109 2036`, `22:43`
        Format::Spark => at(0, 14),
        Format::Logcat | Format::Hdfs => at(0, 11),
        Format::TimeOnly => at(0, 5),
        // `Jun 14 15:16` / `Jul  1 09:01` / `Nov 9 12:01:`, `[10.30 16:49`, `I1012 20:32`
        Format::Syslog3164 | Format::Proxifier => at(0, 12),
        Format::Klog => at(0, 11),
        // `21-Aug-2019 16:02`
        Format::TomcatJuli => at(0, 17),
        // `... [21/Aug/2019:08:47`
        Format::Clf => {
            let head = &line[..line.len().min(512)];
            let i = crate::time::space_bracket(head)?;
            at(i + 2, 17)
        }
        Format::JsonLines => at(key_at, 16),
        // The year comes after the clock, widths vary, or the key is a number: parse every
        // head.
        Format::ApacheError
        | Format::JavaDate
        | Format::JulSimple
        | Format::HealthApp
        | Format::Syslog5424
        | Format::DockerJson
        | Format::JsonEpoch
        | Format::Logfmt
        | Format::JvmUnified
        | Format::EpochPrefix
        | Format::EpochColumn
        | Format::Auditd
        | Format::Redis
        | Format::ErlangReport
        | Format::Php
        | Format::Nagios
        | Format::Dmesg
        | Format::Cisco
        | Format::Ctime
        | Format::Us12h
        | Format::CsvColumn
        | Format::TsvColumn
        | Format::JsonPretty
        | Format::WinEventText => None,
    }
}

/// Where a JSON line writes its time as `YYYY-MM-DD?HH:MM` (with `T` or a space).
fn json_key_at(line: &[u8], naive: &NaiveDateTime) -> Option<usize> {
    use chrono::{Datelike, Timelike};
    // The key's digits are written directly: chrono's formatter with two `to_string`s was
    // three quarters of this function, which runs at every minute change of a JSON log
    // (every record of the bench's small files).
    let year = naive.year();
    if !(0..=9999).contains(&year) {
        // chrono writes a sign and more digits outside 0..=9999.
        let date = naive.format("%Y-%m-%d").to_string();
        let clock = naive.format("%H:%M").to_string();
        return find_key(line, date.as_bytes(), clock.as_bytes());
    }
    let digits = |out: &mut [u8], mut v: u32| {
        for b in out.iter_mut().rev() {
            *b = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    let mut date = *b"0000-00-00";
    digits(&mut date[0..4], year as u32);
    digits(&mut date[5..7], naive.month());
    digits(&mut date[8..10], naive.day());
    let mut clock = *b"00:00";
    digits(&mut clock[0..2], naive.hour());
    digits(&mut clock[3..5], naive.minute());
    find_key(line, &date, &clock)
}

/// The first `date` followed by `T` or a space and `clock`.
fn find_key(line: &[u8], date: &[u8], clock: &[u8]) -> Option<usize> {
    // Candidates by the date's first byte, then compared: `memmem::find` builds a searcher
    // per call, and this runs at every minute change of a JSON log (1% of the CPU of a scan
    // of the bench's small files, which change minute at every record).
    let (&first, _) = date.split_first()?;
    memchr::memchr_iter(first, line).find(|&p| {
        line[p..].starts_with(date)
            && matches!(line.get(p + 10), Some(b'T') | Some(b' '))
            && line.get(p + 11..p + 16) == Some(clock)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{self, ZoneRule};
    use std::cell::Cell;

    proptest::proptest! {
        /// The digits written by hand are chrono's `%Y-%m-%d` and `%H:%M`: the key is found
        /// where the formatted text is in years 0..=9999, and for any instant as chrono's
        /// own text finds it (years with a sign included).
        #[test]
        fn json_key_matches_chrono_formatting(
            secs in -80_000_000_000i64..300_000_000_000,
            lead in "[ -~]{0,12}",
            t in proptest::bool::ANY,
        ) {
            let naive = DateTime::from_timestamp(secs, 0).unwrap().naive_utc();
            let text = naive
                .format(if t { "%Y-%m-%dT%H:%M:%S" } else { "%Y-%m-%d %H:%M:%S" })
                .to_string();
            let line = format!("{{\"x\":\"{lead}\",\"time\":\"{text}\"}}");
            let oracle = find_key(
                line.as_bytes(),
                naive.format("%Y-%m-%d").to_string().as_bytes(),
                naive.format("%H:%M").to_string().as_bytes(),
            );
            let got = json_key_at(line.as_bytes(), &naive);
            proptest::prop_assert_eq!(got, oracle);
            if (0..=9999).contains(&chrono::Datelike::year(&naive)) {
                proptest::prop_assert_eq!(got, line.find(&text));
            }
        }
    }

    proptest::proptest! {
        /// The candidate loop finds what a substring search finds: the first place where the
        /// date, a `T` or space, and the clock follow one another.
        #[test]
        fn find_key_is_the_first_full_match(
            line in "[0-2T :-]{0,40}",
            date in "[0-2-]{1,10}",
            clock in "[0-2:]{1,5}",
        ) {
            let (line, date, clock) = (line.as_bytes(), date.as_bytes(), clock.as_bytes());
            // The former search: `memmem` from each failed candidate on.
            let mut from = 0;
            let mut oracle = None;
            while let Some(i) = memchr::memmem::find(&line[from..], date) {
                let p = from + i;
                if matches!(line.get(p + 10), Some(b'T') | Some(b' '))
                    && line.get(p + 11..p + 16) == Some(clock)
                {
                    oracle = Some(p);
                    break;
                }
                from = p + 1;
            }
            proptest::prop_assert_eq!(find_key(line, date, clock), oracle);
        }
    }

    fn run(text: &str, format: Format) -> (Vec<(i64, u32)>, usize) {
        let rule = ZoneRule {
            zone: time::Zone::parse("+08:00").unwrap(),
            reason: time::ZoneReason::Flag,
            aliases: Default::default(),
        };
        let parses = Cell::new(0);
        let mut c = MinuteCounter::default();
        for line in text.lines() {
            c.count(line.as_bytes(), Some(format), |l| {
                parses.set(parses.get() + 1);
                let st = time::parse_with(format, l)?;
                match rule.resolve(&st) {
                    time::Resolved::At(t, _) => Some((st, t)),
                    _ => None,
                }
            });
        }
        (c.runs, parses.get())
    }

    #[test]
    fn minutes_round_trip_compactly() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct W(#[serde(with = "super::minutes_serde")] Minutes);
        let m: Minutes = [
            (26_105_900, u32::MAX),
            (-5, 1),
            (26_105_760, 37),
            (26_105_761, 2),
        ]
        .into_iter()
        .collect();
        let json = serde_json::to_string(&W(m.clone())).unwrap();
        assert_eq!(json, "[-5,1,26105765,37,1,2,139,4294967295]");
        assert_eq!(serde_json::from_str::<W>(&json).unwrap(), W(m));
        assert!(serde_json::from_str::<W>("[1,2,0,3]").is_err());
    }

    #[test]
    fn parses_once_per_minute() {
        let text = "2019-08-21 08:47:10.412  INFO 1 --- [main] a : x\n\
                    2019-08-21 08:47:11.000  INFO 1 --- [main] a : x\n\
                    2019-08-21 08:47:59.999  INFO 1 --- [main] a : x\n\
                    2019-08-21 08:48:00.000  INFO 1 --- [main] a : x\n";
        let (runs, parses) = run(text, Format::BootLogback);
        let m = DateTime::parse_from_rfc3339("2019-08-21T00:47:00Z")
            .unwrap()
            .timestamp()
            / 60;
        assert_eq!(runs, vec![(m, 3), (m + 1, 1)]);
        assert_eq!(parses, 2);
    }

    #[test]
    fn access_log_and_json_keys() {
        let clf = "1.2.3.4 - - [21/Aug/2019:08:47:10 +0800] \"GET / HTTP/1.1\" 200 1\n\
                   1.2.3.4 - - [21/Aug/2019:08:47:20 +0800] \"GET / HTTP/1.1\" 500 1\n\
                   10.0.0.1 - - [21/Aug/2019:08:49:20 +0800] \"GET / HTTP/1.1\" 200 1\n";
        let (runs, parses) = run(clf, Format::Clf);
        assert_eq!(runs.iter().map(|r| r.1).collect::<Vec<_>>(), vec![2, 1]);
        assert_eq!(runs[1].0 - runs[0].0, 2);
        assert_eq!(parses, 2);
        let json = "{\"@timestamp\":\"2019-08-21T08:47:10.1+08:00\",\"m\":\"a\"}\n\
                    {\"@timestamp\":\"2019-08-21T08:47:30.1+08:00\",\"m\":\"b\"}\n\
                    {\"@timestamp\":\"2019-08-21T08:48:00.1+08:00\",\"m\":\"c\"}\n";
        let (runs, parses) = run(json, Format::JsonLines);
        assert_eq!(runs.iter().map(|r| r.1).collect::<Vec<_>>(), vec![2, 1]);
        assert_eq!(parses, 2);
    }
}

//! Unknown error/warning records summarised as the scan meets them: [`Unknown`].
//!
//! Input: the error/warning records no signature matched ([`LevelRecord`]s, one at a time,
//! in any order), or other summaries to merge. Output: one *shape* per distinct masked
//! message (the template miner's input, `crate::record::mask`): its counts, first and last
//! time, exception classes, files, its earliest record (the example), per-file *buckets*
//! of time (count, first and last time) of its dated records, and its dated records' times
//! (bounded like hits by `--max-hits`, [`Shape::times`]). Nothing but the bounded times
//! grows with the number of records: issue 23 measured 252 MB peak for the 2 GB bench
//! corpus when every unknown record was kept whole (a warn-heavy nginx error log alone
//! ~176 MB); a time is 24 bytes.
//!
//! What reads them: the rate detector (`analysis::detect`) counts each template per service
//! and UTC minute, and places its windows' edges to the second, from the record times, as
//! it did from the records kept whole. A bucket is `bucket_ms` wide, a divisor of a minute
//! and at most `gap`, so it lies inside one UTC minute: when `--max-hits` cut the times,
//! the per-minute counts come from the buckets instead, still every record.
//!
//! Evidence: a template window shows the earliest record of each file in it. A bucket keeps
//! its first record ([`Bucket::head`]) while it may start a *run* of its shape in its file
//! (no record of the same shape and file less than `gap` before it); [`Unknown::merge`]
//! drops the others. Per shape, then, memory is one example record, a bucket per file and
//! `bucket_ms` with records (48 bytes), a record per run, and the bounded times.
//!
//! Tricky cases:
//! - Merges happen in any order (chunks finish on any thread): every choice is by the
//!   records' order key ([`record_key`]), so the merged summary does not depend on it
//!   (`-j1` = `-j8`; property-tested below).
//! - Summaries made with different bucket widths (partials of runs with different `--gap`)
//!   merge at the wider width.

use crate::record::distinct::Distinct;
use crate::record::level::{Level, LevelRecord};
use chrono::{DateTime, Utc};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The order of unknown records: dated by time, then file and record head; undated last
/// (as [`crate::scan::sort_unknown`]).
pub type RecordKey = (bool, Option<DateTime<Utc>>, u32, u64);

/// A record's [`RecordKey`].
pub fn record_key(r: &LevelRecord) -> RecordKey {
    (r.time.is_none(), r.time, r.file, r.record)
}

/// The message mined for a record: its message, plus `[exception class]` when the record
/// names one that the message does not already show.
pub fn record_message(r: &LevelRecord) -> Cow<'_, str> {
    match &r.exception {
        Some(e) if !r.message().contains(&**e) => format!("{} [{}]", r.message(), e).into(),
        _ => Cow::Borrowed(r.message()),
    }
}

/// Widest bucket: a minute (the width of the scan's other histograms); narrower when
/// `--gap` is shorter, so the records of a bucket always chain.
pub const BUCKET_MAX_MS: i64 = 60_000;

/// The bucket width for `gap_ms`: the widest divisor of a minute (whole seconds) not wider
/// than the gap, so a bucket never straddles a UTC minute.
fn bucket_width(gap_ms: i64) -> i64 {
    const DIVISORS: [i64; 12] = [60, 30, 20, 15, 12, 10, 6, 5, 4, 3, 2, 1];
    let secs = gap_ms.min(BUCKET_MAX_MS) / 1000;
    DIVISORS.iter().find(|&&d| d <= secs).copied().unwrap_or(1) * 1000
}

/// A dated record's time as kept: (unix milliseconds, file, record head offset), unique per
/// record, so the earliest `--max-hits` of them are one set whatever the merge order.
pub type TimeKey = (i64, u32, u64);

/// A shape's kept record times, in no particular order (compared and shown as sets).
#[derive(Clone, Default)]
pub struct Times(pub Vec<TimeKey>);

impl std::fmt::Debug for Times {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut v = self.0.clone();
        v.sort_unstable();
        f.debug_tuple("Times").field(&v).finish()
    }
}

impl PartialEq for Times {
    fn eq(&self, other: &Times) -> bool {
        let sorted = |t: &Times| {
            let mut v = t.0.clone();
            v.sort_unstable();
            v
        };
        self.0.len() == other.0.len() && sorted(self) == sorted(other)
    }
}

/// Serde form of [`Times`]: per file, sorted, milliseconds as differences from the previous
/// one (the first from 0) and record offsets: a few bytes a record.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TimesForm {
    file: u32,
    ms: Vec<i64>,
    rec: Vec<u64>,
}

impl serde::Serialize for Times {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut sorted: Vec<(u32, i64, u64)> =
            self.0.iter().map(|&(ms, f, r)| (f, ms, r)).collect();
        sorted.sort_unstable();
        let mut out: Vec<TimesForm> = Vec::new();
        let mut prev = 0i64;
        for (f, ms, r) in sorted {
            match out.last_mut() {
                Some(t) if t.file == f => {
                    t.ms.push(ms - prev);
                    t.rec.push(r);
                }
                _ => out.push(TimesForm {
                    file: f,
                    ms: vec![ms],
                    rec: vec![r],
                }),
            }
            prev = ms;
        }
        out.serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Times {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Times, D::Error> {
        let forms = Vec::<TimesForm>::deserialize(d)?;
        let mut v = Vec::new();
        for t in forms {
            if t.ms.len() != t.rec.len() {
                return Err(serde::de::Error::custom(
                    "times: ms and rec differ in length",
                ));
            }
            let mut at = 0i64;
            for (d, r) in t.ms.into_iter().zip(t.rec) {
                at = at.saturating_add(d);
                v.push((at, t.file, r));
            }
        }
        Ok(Times(v))
    }
}

/// One distinct masked message of the unknown records: what the template miner clusters
/// and what a template's statistics are summed from.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Shape {
    /// Records.
    pub count: u64,
    /// Error-level records (the rest are warnings).
    pub errors: u64,
    /// Records without a usable time.
    pub undated: u64,
    /// Exception classes named by its records, with their counts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub exceptions: BTreeMap<String, u64>,
    /// Per file with records, sorted by file: times and earliest record. Per file, because
    /// the clock stage moves a file's times after the scan (an inferred zone, a skew).
    pub files: Vec<FileShape>,
    /// Dated records per file and bucket of time, sorted by (file, bucket).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buckets: Vec<Bucket>,
    /// Its dated records' times, those among the scan's earliest `--max-hits` (all when the
    /// summary is [`Unknown::complete`]).
    #[serde(default, skip_serializing_if = "Times::is_empty")]
    pub times: Times,
}

impl Times {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A shape's records in one file.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FileShape {
    /// File index.
    pub file: u32,
    /// Earliest record time.
    pub first: Option<DateTime<Utc>>,
    /// Latest record time.
    pub last: Option<DateTime<Utc>>,
    /// Its earliest record ([`record_key`] order).
    pub example: LevelRecord,
}

/// Dated records of one shape in one file within one bucket of time.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bucket {
    /// Bucket number: unix milliseconds / the bucket width.
    pub at: i64,
    /// File index.
    pub file: u32,
    /// Records.
    pub count: u64,
    /// Earliest record time.
    pub first: DateTime<Utc>,
    /// Latest record time.
    pub last: DateTime<Utc>,
    /// The earliest record, kept while it may start a run of the shape in its file (no
    /// earlier record of the shape in the file less than `gap` before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<Box<LevelRecord>>,
}

impl Bucket {
    fn head_key(&self) -> (DateTime<Utc>, u64) {
        (
            self.first,
            self.head.as_ref().map_or(u64::MAX, |h| h.record),
        )
    }
}

/// The unknown records of a chunk, a file, or a whole scan, summarised (module docs).
#[derive(Clone, Debug)]
pub struct Unknown {
    /// Masked message per shape (`keys[i]` is shape `i`'s), and the memo that spares most
    /// records their masking.
    distinct: Distinct,
    /// Shapes, in the order first met (not deterministic across threads: readers order
    /// them by their example's [`record_key`]).
    pub shapes: Vec<Shape>,
    /// Width of the error buckets, milliseconds.
    pub bucket_ms: i64,
    /// The gap that separates runs, milliseconds.
    pub gap_ms: i64,
    /// Times kept over all shapes ([`Shape::times`]): the dated records' times, the
    /// earliest `max_times` of them (0: all). The clock stage pairs events of different
    /// sources to the millisecond (skew) and counts them per minute (zones); the detector
    /// counts templates per minute and places edges. Bounded like hits (`--max-hits`).
    kept: usize,
    /// Most times kept (0: no bound).
    pub max_times: usize,
    /// Once trimmed: the latest time kept; later ones are not.
    cut: Option<TimeKey>,
    /// Records were [`Unknown::add`]ed since the shapes' buckets were last joined
    /// ([`Shape::normalize`]): a merge settles them first, so that it can append the
    /// other's buckets instead of sorting them all again.
    unsettled: bool,
}

impl Default for Unknown {
    fn default() -> Unknown {
        Unknown::new(chrono::Duration::seconds(crate::config::DEFAULT_GAP_SECS))
    }
}

impl PartialEq for Unknown {
    /// Equal summaries: the same shapes with the same statistics, whatever the order.
    fn eq(&self, other: &Unknown) -> bool {
        self.bucket_ms == other.bucket_ms
            && self.gap_ms == other.gap_ms
            && self.sorted() == other.sorted()
    }
}

impl Unknown {
    /// An empty summary for runs separated by `gap` (`--gap`).
    pub fn new(gap: chrono::Duration) -> Unknown {
        let gap_ms = gap.num_milliseconds().max(1000);
        Unknown {
            distinct: Distinct::new(),
            shapes: Vec::new(),
            bucket_ms: bucket_width(gap_ms),
            gap_ms,
            kept: 0,
            max_times: 0,
            cut: None,
            unsettled: false,
        }
    }

    /// The same, keeping at most `max` record times (`--max-hits`; 0: all).
    pub fn bounded(mut self, max: usize) -> Unknown {
        self.max_times = max;
        self
    }

    /// The kept record times (file, time; the earliest `max_times`), in time order, then
    /// file (as the records were sorted when kept whole).
    pub fn times(&self) -> impl Iterator<Item = (u32, DateTime<Utc>)> {
        let mut v: Vec<TimeKey> = self
            .shapes
            .iter()
            .flat_map(|s| s.times.0.iter().copied())
            .collect();
        v.sort_unstable();
        v.into_iter()
            .filter_map(|(ms, f, _)| Some((f, DateTime::from_timestamp_millis(ms)?)))
    }

    /// Are all the dated records' times kept (no `--max-hits` cut)?
    pub fn complete(&self) -> bool {
        self.cut.is_none()
    }

    fn trim(&mut self) {
        let max = self.max_times;
        if let Some(c) = self.cut {
            for s in &mut self.shapes {
                s.times.0.retain(|t| *t <= c);
            }
            self.kept = self.shapes.iter().map(|s| s.times.0.len()).sum();
        }
        if max == 0 || self.kept <= max {
            return;
        }
        let mut all: Vec<TimeKey> = self
            .shapes
            .iter()
            .flat_map(|s| s.times.0.iter().copied())
            .collect();
        let (_, &mut c, _) = all.select_nth_unstable(max - 1);
        self.cut = Some(self.cut.map_or(c, |x| x.min(c)));
        for s in &mut self.shapes {
            s.times.0.retain(|t| *t <= c);
        }
        self.kept = max;
    }

    /// Records summarised.
    pub fn records(&self) -> u64 {
        self.shapes.iter().map(|s| s.count).sum()
    }

    /// No records?
    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }

    /// Shapes with their masked message, ordered by their example's [`record_key`]
    /// (deterministic: a record is in one shape only).
    pub fn sorted(&self) -> Vec<(&[u8], &Shape)> {
        let mut v: Vec<(&[u8], &Shape)> = self
            .distinct
            .keys
            .iter()
            .map(|k| &**k)
            .zip(&self.shapes)
            .collect();
        v.sort_by_key(|(_, s)| record_key(s.example()));
        v
    }

    /// Summarises one record.
    pub fn add(&mut self, r: LevelRecord) {
        let key = r
            .time
            .map(|t| (t.timestamp_millis(), r.file, r.record))
            .filter(|k| self.cut.is_none_or(|c| *k <= c));
        let k = self.distinct.add(record_message(&r).as_bytes()) as usize;
        self.unsettled = true;
        if k == self.shapes.len() {
            self.shapes.push(Shape::of(r, self.bucket_ms));
        } else {
            self.shapes[k].absorb(r, self.bucket_ms);
        }
        if let Some(key) = key {
            self.shapes[k].times.0.push(key);
            self.kept += 1;
            let max = self.max_times;
            if max > 0 && self.kept >= max + max / 4 + 1024 {
                self.trim();
            }
        }
    }

    /// Adds `other`'s records.
    pub fn merge(&mut self, mut other: Unknown) {
        if self.shapes.is_empty() {
            // Nothing to rebucket: take the other's widths (a merge of partials starts
            // from an empty summary made with the default gap).
            self.bucket_ms = other.bucket_ms;
            self.gap_ms = other.gap_ms;
        }
        if other.bucket_ms != self.bucket_ms {
            let w = self.bucket_ms.max(other.bucket_ms);
            self.rebucket(w);
            other.rebucket(w);
        }
        if self.unsettled || other.gap_ms > self.gap_ms {
            // Every shape joined at the gap in force, which [`Shape::merge`] relies on.
            self.gap_ms = self.gap_ms.max(other.gap_ms);
            self.settle();
        }
        if self.max_times == 0 || (other.max_times > 0 && other.max_times < self.max_times) {
            self.max_times = other.max_times;
        }
        self.cut = match (self.cut, other.cut) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.kept += other.kept;
        let keys = std::mem::take(&mut other.distinct.keys);
        for (key, shape) in keys.iter().zip(other.shapes) {
            let k = self.distinct.add_masked(key, shape.count) as usize;
            if k == self.shapes.len() {
                let mut shape = shape;
                shape.normalize(self.gap_ms);
                self.shapes.push(shape);
            } else {
                self.shapes[k].merge(shape, self.gap_ms);
            }
        }
        self.trim();
    }

    /// Joins the buckets that records added one at a time ([`Unknown::add`]) left apart
    /// (a merge does it too).
    pub fn settle(&mut self) {
        for s in &mut self.shapes {
            s.normalize(self.gap_ms);
        }
        self.unsettled = false;
    }

    /// Calls `f` on every record kept (examples and bucket heads): to fix their line
    /// numbers or offsets once known.
    pub fn for_each_record(&mut self, mut f: impl FnMut(&mut LevelRecord)) {
        for s in &mut self.shapes {
            for x in &mut s.files {
                f(&mut x.example);
            }
            for b in &mut s.buckets {
                if let Some(h) = &mut b.head {
                    f(h);
                }
            }
        }
    }

    /// Moves every record's head offset by `abs` (a stream window's offsets → the stream's):
    /// the records kept and the times' keys.
    pub fn rebase_records(&mut self, abs: u64) {
        self.for_each_record(|r| r.record += abs);
        for s in &mut self.shapes {
            for t in &mut s.times.0 {
                t.2 += abs;
            }
        }
        self.cut = self.cut.map(|c| (c.0, c.1, c.2 + abs));
    }

    /// Points every record at file `f(old index)`.
    pub fn map_files(&mut self, f: impl Fn(u32) -> u32) {
        self.cut = self.cut.map(|c| (c.0, f(c.1), c.2));
        for s in &mut self.shapes {
            for t in &mut s.times.0 {
                t.1 = f(t.1);
            }
            for x in std::mem::take(&mut s.files) {
                let file = f(x.file);
                let mut x = x;
                x.file = file;
                x.example.file = file;
                s.add_file(x);
            }
            for b in &mut s.buckets {
                b.file = f(b.file);
                if let Some(h) = &mut b.head {
                    h.file = b.file;
                }
            }
            s.normalize(self.gap_ms);
        }
    }

    /// The largest file index the summary names (records, shapes, buckets, times).
    pub fn max_file(&self) -> Option<u32> {
        let mut m = None;
        for s in &self.shapes {
            m = m.max(s.times.0.iter().map(|t| t.1).max());
            let files = s.files.iter().flat_map(|x| [x.file, x.example.file]);
            let buckets = s
                .buckets
                .iter()
                .flat_map(|b| [b.file, b.head.as_ref().map_or(b.file, |h| h.file)]);
            m = m.max(files.chain(buckets).max());
        }
        m
    }

    /// Moves every time of file `file` to `f(file, time)` (the clock stage's re-timing:
    /// an inferred zone, a corrected skew, settled years).
    pub fn map_times(&mut self, f: impl Fn(u32, DateTime<Utc>) -> DateTime<Utc>) {
        // Moved times keep their set (the earliest as scanned, as for hits): the cut goes.
        let was_cut = self.cut.take().is_some();
        for s in &mut self.shapes {
            for t in &mut s.times.0 {
                if let Some(x) = DateTime::from_timestamp_millis(t.0) {
                    t.0 = f(t.1, x).timestamp_millis();
                }
            }
            for x in &mut s.files {
                x.first = x.first.map(|t| f(x.file, t));
                x.last = x.last.map(|t| f(x.file, t));
                x.example.time = x.example.time.map(|t| f(x.file, t));
            }
            // Bucket numbers stay: a file's buckets move together, so they stay apart (a
            // renumbered bucket could join its neighbour), and the burst rule reads times.
            for b in &mut s.buckets {
                b.first = f(b.file, b.first);
                b.last = f(b.file, b.last);
                if let Some(h) = &mut b.head {
                    h.time = h.time.map(|t| f(b.file, t));
                }
            }
            s.normalize(self.gap_ms);
        }
        if was_cut {
            // Still cut: the latest time kept, as moved.
            self.cut = self
                .shapes
                .iter()
                .flat_map(|s| s.times.0.iter().copied())
                .max();
        }
    }

    /// The masked messages and shapes, in first-met order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Shape)> {
        self.distinct.keys.iter().map(|k| &**k).zip(&self.shapes)
    }

    fn rebucket(&mut self, w: i64) {
        if w == self.bucket_ms {
            return;
        }
        self.bucket_ms = w;
        for s in &mut self.shapes {
            for b in &mut s.buckets {
                b.at = b.first.timestamp_millis().div_euclid(w);
            }
            s.normalize(self.gap_ms);
        }
    }
}

impl Shape {
    /// Earliest record time.
    pub fn first(&self) -> Option<DateTime<Utc>> {
        self.files.iter().filter_map(|x| x.first).min()
    }

    /// Latest record time.
    pub fn last(&self) -> Option<DateTime<Utc>> {
        self.files.iter().filter_map(|x| x.last).max()
    }

    /// Its earliest record ([`record_key`] order): the example line.
    pub fn example(&self) -> &LevelRecord {
        self.files
            .iter()
            .map(|x| &x.example)
            .min_by_key(|r| record_key(r))
            .expect("a shape has a record")
    }

    fn of(r: LevelRecord, bucket_ms: i64) -> Shape {
        let mut s = Shape {
            count: 0,
            errors: 0,
            undated: 0,
            exceptions: BTreeMap::new(),
            files: Vec::new(),
            buckets: Vec::new(),
            times: Times::default(),
        };
        s.absorb(r, bucket_ms);
        s
    }

    fn absorb(&mut self, r: LevelRecord, bucket_ms: i64) {
        self.count += 1;
        self.undated += u64::from(r.time.is_none());
        if let Some(e) = &r.exception {
            *self.exceptions.entry(e.to_string()).or_default() += 1;
        }
        if r.level == Level::Error {
            self.errors += 1;
        }
        if let Some(t) = r.time {
            self.bucket(&r, t, bucket_ms);
        }
        self.add_file(FileShape {
            file: r.file,
            first: r.time,
            last: r.time,
            example: r,
        });
    }

    /// Joins `x` to the shape's entry for its file.
    fn add_file(&mut self, x: FileShape) {
        match self.files.binary_search_by_key(&x.file, |y| y.file) {
            Ok(i) => {
                let y = &mut self.files[i];
                y.first = min_time(y.first, x.first);
                y.last = y.last.max(x.last);
                if record_key(&x.example) < record_key(&y.example) {
                    y.example = x.example;
                }
            }
            Err(i) => self.files.insert(i, x),
        }
    }

    /// Counts the dated error record `r` (time `t`) in its bucket.
    fn bucket(&mut self, r: &LevelRecord, t: DateTime<Utc>, bucket_ms: i64) {
        let at = t.timestamp_millis().div_euclid(bucket_ms);
        // Records arrive in offset order, mostly in time order: the bucket is nearly always
        // among the last few; otherwise a new one, joined at the next merge.
        let n = self.buckets.len();
        let found = self.buckets[n.saturating_sub(4)..]
            .iter()
            .rposition(|b| b.at == at && b.file == r.file)
            .map(|i| i + n.saturating_sub(4));
        match found {
            Some(i) => {
                let b = &mut self.buckets[i];
                b.count += 1;
                b.last = b.last.max(t);
                if (t, r.record) < b.head_key() {
                    b.first = t;
                    b.head = Some(Box::new(r.clone()));
                }
            }
            None => self.buckets.push(Bucket {
                at,
                file: r.file,
                count: 1,
                first: t,
                last: t,
                head: Some(Box::new(r.clone())),
            }),
        }
    }

    fn merge(&mut self, mut o: Shape, gap_ms: i64) {
        self.count += o.count;
        self.errors += o.errors;
        self.undated += o.undated;
        for (e, n) in std::mem::take(&mut o.exceptions) {
            *self.exceptions.entry(e).or_default() += n;
        }
        for x in std::mem::take(&mut o.files) {
            self.add_file(x);
        }
        self.times.0.extend(std::mem::take(&mut o.times.0));
        if o.buckets.is_empty() {
            return;
        }
        // `self` is joined at `gap_ms` (its callers see to it). Summaries are merged in file
        // order, so the other's buckets nearly always all come after these: appending them
        // joined is what sorting the whole again gives, but linear in the other's buckets
        // only. Sorting every time made merging 100,000 small files' summaries quadratic
        // (a third of the small-files bench corpus's scan time).
        o.normalize(gap_ms);
        let after = match (self.buckets.last(), o.buckets.first()) {
            (Some(a), Some(b)) => (a.file, a.at) < (b.file, b.at),
            _ => true,
        };
        if !after {
            self.buckets.extend(o.buckets);
            self.normalize(gap_ms);
            return;
        }
        let n = self.buckets.len();
        self.buckets.extend(o.buckets);
        if n > 0 {
            let (prev, cur) = self.buckets.split_at_mut(n);
            drop_head_near(&prev[n - 1], &mut cur[0], gap_ms);
        }
    }

    /// Sorts the buckets by (file, bucket), joins equal ones, and drops the heads that
    /// cannot start a run (an earlier bucket of the file ends less than `gap_ms` before).
    fn normalize(&mut self, gap_ms: i64) {
        self.buckets.sort_unstable_by(|a, b| {
            (a.file, a.at, a.head_key()).cmp(&(b.file, b.at, b.head_key()))
        });
        let mut out: Vec<Bucket> = Vec::with_capacity(self.buckets.len());
        for b in std::mem::take(&mut self.buckets) {
            match out.last_mut() {
                // Sorted: `b` is not earlier than `last`, whose head stays.
                Some(last) if last.file == b.file && last.at == b.at => {
                    last.count += b.count;
                    last.last = last.last.max(b.last);
                }
                _ => out.push(b),
            }
        }
        for i in 1..out.len() {
            let (prev, cur) = out.split_at_mut(i);
            drop_head_near(&prev[i - 1], &mut cur[0], gap_ms);
        }
        self.buckets = out;
    }
}

/// Drops `cur`'s head when `prev`, the bucket before it in (file, bucket) order, is of the
/// same file and ends less than `gap_ms` before it: that head cannot start a run.
fn drop_head_near(prev: &Bucket, cur: &mut Bucket, gap_ms: i64) {
    if prev.file == cur.file
        && cur.head.is_some()
        && (cur.first - prev.last).num_milliseconds() < gap_ms
    {
        cur.head = None;
    }
}

/// The earlier of two optional times (`None`: none known).
fn min_time(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The serde form of an [`Unknown`] (partial results): each shape with its masked message
/// (its kept times in [`Shape::times`]).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UnknownForm {
    bucket_ms: i64,
    gap_ms: i64,
    shapes: Vec<ShapeForm>,
    /// `max_times`, and the latest time kept once `--max-hits` cut the times.
    #[serde(default)]
    max_times: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cut: Option<TimeKey>,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ShapeForm {
    key: String,
    shape: Shape,
}

impl serde::Serialize for Unknown {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        UnknownForm {
            bucket_ms: self.bucket_ms,
            gap_ms: self.gap_ms,
            max_times: self.max_times,
            cut: self.cut,
            shapes: self
                .sorted()
                .into_iter()
                .map(|(k, shape)| ShapeForm {
                    key: String::from_utf8_lossy(k).into_owned(),
                    shape: shape.clone(),
                })
                .collect(),
        }
        .serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Unknown {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Unknown, D::Error> {
        let f = UnknownForm::deserialize(d)?;
        if f.bucket_ms < 1 || f.gap_ms < 1 || BUCKET_MAX_MS % f.bucket_ms != 0 {
            return Err(serde::de::Error::custom(
                "bucket_ms and gap_ms must be positive, bucket_ms a divisor of a minute",
            ));
        }
        let mut u = Unknown {
            distinct: Distinct::new(),
            shapes: Vec::new(),
            bucket_ms: f.bucket_ms,
            gap_ms: f.gap_ms,
            kept: 0,
            max_times: f.max_times,
            cut: f.cut,
            unsettled: false,
        };
        for ShapeForm { key, mut shape } in f.shapes {
            u.kept += shape.times.0.len();
            let k = u.distinct.add_masked(key.as_bytes(), shape.count) as usize;
            if k == u.shapes.len() {
                shape.normalize(u.gap_ms);
                u.shapes.push(shape);
            } else {
                u.shapes[k].merge(shape, u.gap_ms);
            }
        }
        u.trim();
        Ok(u)
    }
}

/// Line numbers of a chunk's records carry the chunk's index in their top bits until the
/// chunk's first line is known (chunks finish in any order): [`tag_line`], [`untag_line`].
const CHUNK_SHIFT: u32 = 40;

/// Chunk-relative `line` of chunk `chunk`, tagged.
pub(super) fn tag_line(chunk: usize, line: u64) -> u64 {
    ((chunk as u64) << CHUNK_SHIFT) | line
}

/// The file's line number of a tagged line, `bases[chunk - chunk0]` being each chunk's first
/// line (0-based).
pub(super) fn untag_line(line: u64, bases: &[u64], chunk0: usize) -> u64 {
    let chunk = (line >> CHUNK_SHIFT) as usize;
    let rel = line & ((1u64 << CHUNK_SHIFT) - 1);
    bases
        .get(chunk.wrapping_sub(chunk0))
        .map_or(rel, |b| b + rel)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::level::Message;
    use proptest::prelude::*;

    fn rec(file: u32, record: u64, level: Level, secs: Option<i64>, msg: &str) -> LevelRecord {
        LevelRecord {
            file,
            record,
            line: record + 1,
            level,
            time: secs.map(|s| DateTime::from_timestamp(1_566_345_600 + s, 0).unwrap()),
            message: Message::Own(msg.into()),
            exception: (record % 5 == 0).then(|| "java.io.IOException".into()),
            head: msg.into(),
        }
    }

    fn records() -> impl Strategy<Value = Vec<LevelRecord>> {
        let msgs = [
            "worker 17 stalled",
            "worker 9 stalled after 30 ms",
            "pool main exhausted",
            "pool batch exhausted",
            "disk /dev/sda1 at 91%",
            "upstream 10.0.0.1:80 timed out",
        ];
        prop::collection::vec(
            (
                0u32..4,
                0usize..6,
                any::<bool>(),
                prop::option::weighted(0.9, 0i64..20_000),
            ),
            0..300,
        )
        .prop_map(move |v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (file, m, err, secs))| {
                    let level = if err { Level::Error } else { Level::Warning };
                    rec(file, i as u64 * 100, level, secs, msgs[m])
                })
                .collect()
        })
    }

    proptest! {
        /// Summaries made over any split of the records (chunks, files, threads), merged
        /// in any order, equal the summary of all records added one by one; and a serde
        /// round trip (partial results) keeps it.
        #[test]
        fn merged_summaries_equal_one_summary(
            recs in records(),
            cuts in prop::collection::vec(0usize..300, 0..6),
            gap in 1i64..400,
            reverse in any::<bool>(),
            max_times in prop_oneof![Just(0usize), 1usize..200],
        ) {
            let gap = chrono::Duration::seconds(gap);
            let mut whole = Unknown::new(gap).bounded(max_times);
            for r in &recs {
                whole.add(r.clone());
            }
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(recs.len())).collect();
            cuts.sort_unstable();
            let mut parts: Vec<Unknown> = Vec::new();
            let mut start = 0;
            for end in cuts.into_iter().chain([recs.len()]) {
                let mut u = Unknown::new(gap).bounded(max_times);
                for r in &recs[start..end.max(start)] {
                    u.add(r.clone());
                }
                parts.push(u);
                start = end.max(start);
            }
            if reverse {
                parts.reverse();
            }
            let mut merged = Unknown::new(gap).bounded(max_times);
            for p in parts {
                merged.merge(p);
            }
            // A summary built one record at a time has not joined its buckets yet.
            let mut settled = Unknown::new(gap).bounded(max_times);
            settled.merge(whole);
            prop_assert_eq!(&merged, &settled);
            prop_assert_eq!(merged.records(), recs.len() as u64);
            // The earliest `max_times` record times are kept (all with 0).
            let mut want: Vec<(u32, DateTime<Utc>)> =
                recs.iter().filter_map(|r| Some((r.file, r.time?))).collect();
            want.sort_by_key(|&(f, t)| (t, f));
            if max_times > 0 {
                want.truncate(max_times);
            }
            prop_assert_eq!(merged.times().collect::<Vec<_>>(), want);
            let json = serde_json::to_string(&merged).unwrap();
            let back: Unknown = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&back, &merged);
        }

        /// Every run of a shape's dated records in a file (records less than `gap` apart) keeps
        /// its first record as a bucket head, and only run starts keep one.
        #[test]
        fn run_starts_keep_their_record(recs in records(), gap in 1i64..400) {
            let gap_d = chrono::Duration::seconds(gap);
            let mut u = Unknown::new(gap_d);
            for r in &recs {
                u.add(r.clone());
            }
            let mut settled = Unknown::new(gap_d);
            settled.merge(u);
            for (key, shape) in settled.iter() {
                for f in shape.files.iter().map(|x| x.file) {
                    let mut errs: Vec<&LevelRecord> = recs
                        .iter()
                        .filter(|r| {
                            r.file == f
                                && r.time.is_some()
                                && crate::record::mask::mask_str(&record_message(r)).as_bytes()
                                    == key
                        })
                        .collect();
                    errs.sort_by_key(|r| (r.time, r.record));
                    let mut starts: Vec<u64> = Vec::new();
                    for (i, r) in errs.iter().enumerate() {
                        if i == 0 || (r.time.unwrap() - errs[i - 1].time.unwrap()).num_seconds() >= gap {
                            starts.push(r.record);
                        }
                    }
                    let mut heads: Vec<u64> = shape
                        .buckets
                        .iter()
                        .filter(|b| b.file == f)
                        .filter_map(|b| b.head.as_ref().map(|h| h.record))
                        .collect();
                    heads.sort_unstable();
                    starts.sort_unstable();
                    prop_assert_eq!(heads, starts);
                }
            }
        }
    }

    #[test]
    fn lines_carry_their_chunk_until_based() {
        let t = tag_line(3, 17);
        assert_eq!(untag_line(t, &[0, 10, 20, 30, 40], 0), 47);
        assert_eq!(untag_line(t, &[30, 40], 3), 47);
    }
}

//! Unknown error/warning records summarised as the scan meets them: [`Unknown`].
//!
//! Input: the error/warning records no signature matched ([`LevelRecord`]s, one at a time,
//! in any order), or other summaries to merge. Output: one *shape* per distinct masked
//! message (the template miner's input, `crate::record::mask`): its counts, first and last
//! time, exception classes, files, its earliest record (the example) and, for its dated
//! error records, per-file *buckets* of time (count, first and last time) that keep the
//! burst rule of `analysis::templates` exact. Nothing grows with the number of records:
//! issue 23 measured 252 MB peak for the 2 GB bench corpus when every unknown record was
//! kept whole (a warn-heavy nginx error log alone ~176 MB).
//!
//! Why buckets are enough for bursts: error records chain into a burst window while
//! consecutive ones are less than `gap` apart. A bucket is `bucket_ms` ≤ `gap` wide, so the
//! records of one bucket always chain, and whether two buckets chain depends only on the
//! earlier one's last time and the later one's first: windows, their start, end, count and
//! background come out as from the records themselves.
//!
//! Evidence: a burst shows the earliest record of each file in its window. That record
//! always starts a *run* of its shape in its file (no record of the same shape and file
//! less than `gap` before it: one would be in the window too), so a bucket keeps its first
//! record ([`Bucket::head`]) only while it may start a run; [`Unknown::merge`] drops the
//! others. Per shape, then, memory is one example record, a bucket per file and
//! `bucket_ms` with errors (48 bytes), and a record per run of its errors.
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

/// Widest error bucket: a minute (the width of the scan's other histograms); narrower when
/// `--gap` is shorter, so the records of a bucket always chain.
pub const BUCKET_MAX_MS: i64 = 60_000;

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
    /// Dated error records per file and bucket of time, sorted by (file, bucket).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buckets: Vec<Bucket>,
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

/// Dated error records of one shape in one file within one bucket of time.
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
    /// The dated records' times (unix milliseconds, file), the earliest `max_times` of them
    /// (0: all), unordered: the clock stage pairs events of different sources to the
    /// millisecond (skew) and counts them per minute (zones). Evidence bounded like hits
    /// (`--max-hits`): 16 bytes a record.
    times: Vec<(i64, u32)>,
    /// Most times kept (0: no bound).
    pub max_times: usize,
    /// Once trimmed: the latest time kept; later ones are not.
    cut: Option<(i64, u32)>,
}

impl Default for Unknown {
    fn default() -> Unknown {
        Unknown::new(chrono::Duration::seconds(crate::config::DEFAULT_GAP_SECS))
    }
}

impl PartialEq for Unknown {
    /// Equal summaries: the same shapes with the same statistics, whatever the order.
    fn eq(&self, other: &Unknown) -> bool {
        let times = |u: &Unknown| {
            let mut v = u.times.clone();
            v.sort_unstable();
            v
        };
        self.bucket_ms == other.bucket_ms
            && self.gap_ms == other.gap_ms
            && self.sorted() == other.sorted()
            && times(self) == times(other)
    }
}

impl Unknown {
    /// An empty summary for runs separated by `gap` (`--gap`).
    pub fn new(gap: chrono::Duration) -> Unknown {
        let gap_ms = gap.num_milliseconds().max(1000);
        Unknown {
            distinct: Distinct::new(),
            shapes: Vec::new(),
            bucket_ms: (gap_ms.min(BUCKET_MAX_MS) / 1000).max(1) * 1000,
            gap_ms,
            times: Vec::new(),
            max_times: 0,
            cut: None,
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
        let mut v = self.times.clone();
        v.sort_unstable();
        v.into_iter()
            .filter_map(|(ms, f)| Some((f, DateTime::from_timestamp_millis(ms)?)))
    }

    fn push_time(&mut self, t: (i64, u32)) {
        if self.cut.is_some_and(|c| t > c) {
            return;
        }
        self.times.push(t);
        let max = self.max_times;
        if max > 0 && self.times.len() >= max + max / 4 + 1024 {
            self.trim();
        }
    }

    fn trim(&mut self) {
        let max = self.max_times;
        if max == 0 || self.times.len() <= max {
            return;
        }
        self.times.select_nth_unstable(max - 1);
        self.times.truncate(max);
        self.cut = self.times.iter().max().copied();
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
        if let Some(t) = r.time {
            self.push_time((t.timestamp_millis(), r.file));
        }
        let k = self.distinct.add(record_message(&r).as_bytes()) as usize;
        if k == self.shapes.len() {
            self.shapes.push(Shape::of(r, self.bucket_ms));
        } else {
            self.shapes[k].absorb(r, self.bucket_ms);
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
        self.gap_ms = self.gap_ms.max(other.gap_ms);
        if self.max_times == 0 || (other.max_times > 0 && other.max_times < self.max_times) {
            self.max_times = other.max_times;
        }
        for t in std::mem::take(&mut other.times) {
            self.push_time(t);
        }
        self.trim();
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
    }

    /// Joins the buckets that records added one at a time ([`Unknown::add`]) left apart
    /// (a merge does it too).
    pub fn settle(&mut self) {
        for s in &mut self.shapes {
            s.normalize(self.gap_ms);
        }
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

    /// Points every record at file `f(old index)`.
    pub fn map_files(&mut self, f: impl Fn(u32) -> u32) {
        for t in &mut self.times {
            t.1 = f(t.1);
        }
        for s in &mut self.shapes {
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
        let mut m = self.times.iter().map(|t| t.1).max();
        for s in &self.shapes {
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
        for t in &mut self.times {
            if let Some(x) = DateTime::from_timestamp_millis(t.0) {
                t.0 = f(t.1, x).timestamp_millis();
            }
        }
        self.cut = None;
        self.trim();
        for s in &mut self.shapes {
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
            if let Some(t) = r.time {
                self.bucket(&r, t, bucket_ms);
            }
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

    fn merge(&mut self, o: Shape, gap_ms: i64) {
        self.count += o.count;
        self.errors += o.errors;
        self.undated += o.undated;
        for (e, n) in o.exceptions {
            *self.exceptions.entry(e).or_default() += n;
        }
        for x in o.files {
            self.add_file(x);
        }
        if !o.buckets.is_empty() {
            self.buckets.extend(o.buckets);
            self.normalize(gap_ms);
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
            let (prev, cur) = (&prev[i - 1], &mut cur[0]);
            if prev.file == cur.file
                && cur.head.is_some()
                && (cur.first - prev.last).num_milliseconds() < gap_ms
            {
                cur.head = None;
            }
        }
        self.buckets = out;
    }
}

/// The earlier of two optional times (`None`: none known).
fn min_time(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The serde form of an [`Unknown`] (partial results): each shape with its masked message.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UnknownForm {
    bucket_ms: i64,
    gap_ms: i64,
    shapes: Vec<ShapeForm>,
    /// `max_times` and the kept times per file, sorted, as differences from the previous
    /// one (the first from 0): a few bytes a record.
    #[serde(default)]
    max_times: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    times: Vec<TimesForm>,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TimesForm {
    file: u32,
    ms: Vec<i64>,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ShapeForm {
    key: String,
    shape: Shape,
}

impl serde::Serialize for Unknown {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut sorted: Vec<(u32, i64)> = self.times.iter().map(|&(ms, f)| (f, ms)).collect();
        sorted.sort_unstable();
        let mut times: Vec<TimesForm> = Vec::new();
        let mut prev = 0i64;
        for (f, ms) in sorted {
            match times.last_mut() {
                Some(t) if t.file == f => t.ms.push(ms - prev),
                _ => times.push(TimesForm {
                    file: f,
                    ms: vec![ms],
                }),
            }
            prev = ms;
        }
        UnknownForm {
            bucket_ms: self.bucket_ms,
            gap_ms: self.gap_ms,
            max_times: self.max_times,
            times,
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
        if f.bucket_ms < 1 || f.gap_ms < 1 {
            return Err(serde::de::Error::custom(
                "bucket_ms and gap_ms must be positive",
            ));
        }
        let mut u = Unknown {
            distinct: Distinct::new(),
            shapes: Vec::new(),
            bucket_ms: f.bucket_ms,
            gap_ms: f.gap_ms,
            times: Vec::new(),
            max_times: f.max_times,
            cut: None,
        };
        for t in f.times {
            let mut at = 0i64;
            for d in t.ms {
                at = at.saturating_add(d);
                u.times.push((at, t.file));
            }
        }
        u.trim();
        for ShapeForm { key, mut shape } in f.shapes {
            let k = u.distinct.add_masked(key.as_bytes(), shape.count) as usize;
            if k == u.shapes.len() {
                shape.normalize(u.gap_ms);
                u.shapes.push(shape);
            } else {
                u.shapes[k].merge(shape, u.gap_ms);
            }
        }
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

        /// Every run of a shape's errors in a file (records less than `gap` apart) keeps
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
                                && r.level == Level::Error
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

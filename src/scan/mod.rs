//! The scan engine: every file, in parallel, through one multi-pattern automaton.
//!
//! Input: the discovered [`Source`]s and the [`ScanConfig`]. Output: [`ScanOutput`]: per-file
//! results ([`FileScan`]) and every signature hit ([`Hit`]) with its record's time, sorted
//! deterministically by (time, path, offset) so `-j1` and `-j8` give identical output.
//!
//! How (scan-engine.md §4, what ripgrep does and a prototype measured):
//! 1. Each file is opened by `input` (map or read, gzip, UTF-16) and its timestamp format is
//!    detected from its first 64 KiB.
//! 2. The buffer is cut into line-aligned chunks (files above the chunk size), and chunks of
//!    all files go through rayon, so one 2 GB file also keeps every core busy.
//! 3. In a chunk the whole buffer goes through `meta::Regex` (all signatures, one automaton,
//!    literal prefilter): never a per-line regex loop. Per-record work (line bounds, walk-back
//!    to the record head, timestamp parse) happens only at hits.
//! 4. A cheap per-line pass counts lines and record heads (syntactic check of the detected
//!    format, no calendar math) for the files table; exact times are parsed for the first and
//!    last record of each chunk only.
//! 5. A record that matches a signature on several lines counts once per signature: hits are
//!    de-duplicated on (file, record head, signature) after chunks are merged (a record can
//!    straddle a chunk boundary).
//!
//! Per-file problems never stop the scan: they land in [`FileScan::error`].

pub mod activity;
pub mod bound;

use crate::config::ScanConfig;
use crate::error::FileError;
use crate::input::discover::Source;
use crate::input::{self, Access, Skip};
use crate::record;
use crate::record::excerpt::{floor_char, lossy_box, EXCERPT_MAX};
use crate::time::{self, FileTime, FileTimeInput, Format, Resolved, ZoneReason};
use chrono::{DateTime, Utc};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::ops::Range;

/// One signature hit, attached to its record.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// Index into [`ScanOutput::files`].
    pub file: u32,
    /// Index into the catalog.
    pub sig: u16,
    /// Byte offset of the matched line.
    pub offset: u64,
    /// 1-based line number of the matched line.
    pub line: u64,
    /// Byte offset of the record head.
    pub record: u64,
    /// The record's time (`None`: undated).
    pub time: Option<DateTime<Utc>>,
    /// The matched line (lossy UTF-8, `\r` removed, at most [`EXCERPT_MAX`] bytes).
    pub excerpt: Box<str>,
}

/// Result for one file. Serialized whole into partial results: a field
/// added here travels from `scan --emit partial` to `merge` without further work.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FileScan {
    /// Shown path.
    pub path: String,
    /// Service name (shared with the file's source and every file of the service).
    pub service: std::sync::Arc<str>,
    /// Detected timestamp format id (`None`: no stamps found).
    pub format: Option<Format>,
    /// Zone applied to naive stamps.
    pub zone: std::sync::Arc<str>,
    /// Why that zone.
    pub zone_reason: Option<ZoneReason>,
    /// Did this file carry explicit offsets?
    pub explicit_offsets: bool,
    /// Was the zone rule applied to at least one naive stamp? (If not, the file's times
    /// are all explicit and its zone did not matter.)
    pub naive_stamps: bool,
    /// How the bytes were read.
    pub access: Option<Access>,
    /// Bytes scanned.
    pub bytes: u64,
    /// Physical lines.
    pub lines: u64,
    /// Records (stamped heads plus undated lines that are not continuations).
    pub records: u64,
    /// Records with a parsed time.
    pub dated_records: u64,
    /// First record time.
    pub first: Option<DateTime<Utc>>,
    /// Last record time.
    pub last: Option<DateTime<Utc>>,
    /// Hits (after de-duplication).
    pub hits: u64,
    /// Dated records per UTC minute (unix seconds / 60): coverage and traffic findings.
    #[serde(with = "crate::scan::activity::minutes_serde")]
    pub minutes: crate::scan::activity::Minutes,
    /// Distinct lines with at least one match, before record de-duplication: the number
    /// `rg -c -f <(faultscope signatures --export-patterns)` reports (the bench checks it).
    pub matched_lines: u64,
    /// Why the file could not be (fully) read.
    pub error: Option<FileError>,
    /// Skipped (binary) with this note.
    pub skipped: Option<String>,
    /// Ambiguous abbreviations met: abbreviation → (first line, count).
    pub ambiguous: BTreeMap<String, (u64, u64)>,
    /// Notes (NUL runs, transcoding).
    pub notes: Vec<String>,
    /// Explicit offsets met (seconds east of UTC → records), for the likely-zone hint.
    pub offsets: BTreeMap<i32, u64>,
    /// Stamps resolved in the file's zone rule (naive in the text).
    pub naive_count: u64,
    /// How stamps are read: layouts and year/date inference (filled under `--debug` only).
    pub time_detail: String,
    /// Set when the file is a saved netstat/ss/tasklist/ps dump (detected by content):
    /// host evidence for `sockets`, not a log.
    pub dump: Option<crate::evidence::sockets::DumpKind>,
    /// Error- and warning-level records (src/level.rs), signature-matched or not.
    pub level_records: u64,
    /// Unknown error/warning records not kept because of `--max-hits` (which bounds them as
    /// it bounds hits: the earliest are kept).
    #[serde(default)]
    pub unknown_dropped: u64,
    /// Error- and warning-level records that no signature matched, in offset order
    /// (moved to [`ScanOutput::unknown`] by [`scan`]; a partial carries them there).
    #[serde(skip)]
    pub unknown: Vec<crate::record::level::LevelRecord>,
}

/// What a scan produced.
#[derive(Debug, Default)]
pub struct ScanOutput {
    /// Files in path order.
    pub files: Vec<FileScan>,
    /// Saved socket/process dumps found among the files, in path order.
    pub dumps: Vec<crate::evidence::sockets::DumpInput>,
    /// Hits sorted by (time, file, offset, signature); undated hits last.
    pub hits: Vec<Hit>,
    /// Hits found but not stored because of `--max-hits` (see [`crate::scan::bound`]).
    pub hits_dropped: u64,
    /// Error- and warning-level records no signature matched (template mining input),
    /// sorted by (time, file, offset); undated last. At most `--max-hits` of them.
    pub unknown: Vec<crate::record::level::LevelRecord>,
    /// Unknown records found but not kept (`--max-hits`).
    pub unknown_dropped: u64,
}

/// Per-chunk result, merged per file.
#[derive(Default)]
struct ChunkOut {
    hits: Vec<Hit>,
    lines: u64,
    records: u64,
    dated: u64,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    explicit: bool,
    naive: bool,
    ambiguous: BTreeMap<String, (u64, u64)>,
    offsets: BTreeMap<i32, u64>,
    naive_count: u64,
    orphans: u64,
    minutes: Vec<(i64, u32)>,
    matched_lines: u64,
    /// Hits not stored (`--max-hits`).
    dropped: u64,
    levels: Vec<crate::record::level::LevelRecord>,
    /// Level records found in the chunk, signature-matched or not, kept or not.
    level_count: u64,
    /// Unknown records of the chunk not kept (`--max-hits`).
    unknown_dropped: u64,
    /// Record heads with a signature hit, stored or dropped by `--max-hits`.
    matched: Vec<u64>,
}

/// Bytes of file content scanned so far by this process (for a progress bar; never read by
/// the scan itself).
pub static SCANNED_BYTES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Scans every source. Never fails as a whole: problems are per file.
pub fn scan(sources: &[Source], cfg: &ScanConfig) -> ScanOutput {
    if !sources.is_empty() {
        cfg.matcher.prepare(&sample(sources));
    }
    let mut order: Vec<usize> = (0..sources.len()).collect();
    // Largest first: the long poles start early, small files fill the gaps.
    order.sort_by(|&a, &b| sources[b].size.cmp(&sources[a].size).then(a.cmp(&b)));
    // Hits go straight into one bounded store (`--max-hits`): memory follows the bound, and
    // the kept set does not depend on which file finishes first.
    let store = std::sync::Mutex::new(crate::scan::bound::Bounded::new(cfg.max_hits));
    // Saved host dumps are rare: they go aside with their index, so the result per file is
    // the `FileScan` alone and rayon's indexed collect writes each straight into `files`.
    let dumps = std::sync::Mutex::new(Vec::new());
    let mut files: Vec<FileScan> = order
        .par_iter()
        .with_max_len(256)
        .map(|&i| {
            let (fs, hits, dump) = scan_file(i as u32, &sources[i], cfg);
            // Most files of a large tree have no hit: they need not take the lock.
            if fs.hits > 0 {
                let mut st = store.lock().unwrap_or_else(|p| p.into_inner());
                st.add_dropped(fs.hits - hits.len() as u64);
                st.extend(hits);
            }
            if let Some(d) = dump {
                dumps.lock().unwrap_or_else(|p| p.into_inner()).push((i, d));
            }
            fs
        })
        .collect();
    // Back to path order, in place. Walked files have no size yet (discovery does not stat
    // them), so for a directory tree `order` is the identity and nothing moves; collecting
    // into slots and then into `out.files` copied every FileScan (~400 bytes) twice into
    // fresh memory: 80 MB of page faults on the 100,000-file bench corpus.
    permute_into_place(&mut files, &mut order);
    let mut out = ScanOutput::default();
    let mut dumps = dumps.into_inner().unwrap_or_else(|p| p.into_inner());
    dumps.sort_unstable_by_key(|(i, _)| *i);
    out.dumps = dumps
        .into_iter()
        .map(|(i, dump)| crate::evidence::sockets::DumpInput {
            path: files[i].path.clone(),
            text: dump.text,
            mtime: dump.mtime.map(DateTime::<Utc>::from),
        })
        .collect();
    // Exact capacity for the unknown records: they are the bulk of a scan's memory on
    // warning-heavy logs, and a doubling vector would hold up to twice their size.
    out.unknown
        .reserve_exact(files.iter().map(|fs| fs.unknown.len()).sum());
    let mut unknown_dropped = 0;
    (out.hits, out.hits_dropped) = store
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .finish();
    for fs in &mut files {
        out.unknown.append(&mut fs.unknown);
        unknown_dropped += fs.unknown_dropped;
    }
    out.files = files;
    // Across files: the earliest `--max-hits` unknown records.
    let mut kept = crate::scan::bound::Bounded::new(cfg.max_hits);
    kept.add_dropped(unknown_dropped);
    kept.extend(std::mem::take(&mut out.unknown));
    (out.unknown, out.unknown_dropped) = kept.finish();
    sort_hits(&mut out.hits);
    sort_unknown(&mut out.unknown);
    out
}

/// Reorders `items`, where `items[k]` belongs at index `order[k]`, by following the
/// permutation's cycles: each swap puts one item in its final place, and an identity
/// permutation moves nothing. `order` ends as the identity.
fn permute_into_place<T>(items: &mut [T], order: &mut [usize]) {
    for k in 0..items.len() {
        while order[k] != k {
            let j = order[k];
            items.swap(k, j);
            order.swap(k, j);
        }
    }
}

/// A sample of the input for the prefilter's statistics: 64 KiB from the middle of up to 16
/// files spread over the list (which is in path order: the same sample for any `-j`).
///
/// A tree of small files gives little that way (16 files of 2 KB: 32 KB, too few lines to
/// tell a word in every JSON line from a rare one; on the bench's 100,000 small files the
/// prefilter then picked literals found on one line in six). There, more files are read,
/// spread over the list, until the sample holds [`SAMPLE_SMALL_BYTES`] or
/// [`SAMPLE_SMALL_FILES`] files were read (about a millisecond).
fn sample(sources: &[Source]) -> Vec<u8> {
    const FILES: usize = 16;
    const LEN: usize = 64 * 1024;
    let step = sources.len().div_ceil(FILES).max(1);
    let mut out = Vec::new();
    for src in sources.iter().step_by(step) {
        out.extend(input::sample(&src.path, LEN));
    }
    if out.len() < SAMPLE_SMALL_BYTES && sources.len() > FILES {
        let step = sources.len().div_ceil(SAMPLE_SMALL_FILES).max(1);
        for src in sources.iter().skip(step / 2).step_by(step) {
            if out.len() >= SAMPLE_SMALL_BYTES {
                break;
            }
            out.extend(input::sample(&src.path, LEN));
        }
    }
    out
}

/// Bytes a sample of many small files is grown to.
const SAMPLE_SMALL_BYTES: usize = 1024 * 1024;
/// Most files read for such a sample.
const SAMPLE_SMALL_FILES: usize = 256;

/// Deterministic order of unknown level records: dated by time, then file and record head;
/// undated last.
pub fn sort_unknown(records: &mut [crate::record::level::LevelRecord]) {
    // (file, record) is unique, so an unstable sort is as deterministic, and needs no
    // buffer of half the records.
    // On every thread: 35,000 warnings of the bench's small files took 2 ms on one thread
    // after the scan.
    records.par_sort_unstable_by_key(|r| (r.time.is_none(), r.time, r.file, r.record));
}

/// Deterministic hit order: dated by time, then file, offset, signature; undated last.
pub fn sort_hits(hits: &mut [Hit]) {
    hits.par_sort_by(|a, b| {
        (a.time.is_none(), a.time, a.file, a.offset, a.sig).cmp(&(
            b.time.is_none(),
            b.time,
            b.file,
            b.offset,
            b.sig,
        ))
    });
}

/// The kind of socket/process dump `buf` holds, if it is one (see `sockets::sniff`).
fn dump_kind(buf: &[u8]) -> Option<crate::evidence::sockets::DumpKind> {
    let head = &buf[..buf.len().min(64 * 1024)];
    crate::evidence::sockets::may_be_dump(head)
        .then(|| crate::evidence::sockets::sniff(&String::from_utf8_lossy(head)))
        .flatten()
}

/// [`scan_file`]'s result for a dump: its lines counted, its text kept for the sockets stage.
fn dump_scan(
    mut fs: FileScan,
    kind: crate::evidence::sockets::DumpKind,
    buf: &[u8],
    mtime: Option<std::time::SystemTime>,
) -> (FileScan, Vec<Hit>, Option<Dump>) {
    fs.dump = Some(kind);
    fs.lines = bytecount::count(buf, b'\n') as u64;
    let text = String::from_utf8_lossy(buf).into_owned();
    (fs, Vec::new(), Some(Dump { text, mtime }))
}

/// Scans one file. The third value is the text of a socket/process dump (host evidence,
/// recognised by content), which is not scanned as a log.
pub fn scan_file(idx: u32, src: &Source, cfg: &ScanConfig) -> (FileScan, Vec<Hit>, Option<Dump>) {
    let rule = cfg.zone_rule_for(&src.path, &src.relative);
    let mut fs = FileScan {
        // Same text as `format!("{prefix}{}", path.display())` (both replace invalid UTF-8
        // the same way), without the formatting machinery: this runs once per file.
        path: [
            cfg.path_prefix.as_str(),
            &input::lossy(src.path.as_os_str()),
        ]
        .concat(),
        service: src.service.clone(),
        zone: zone_name(&rule.zone),
        zone_reason: Some(rule.reason),
        ..Default::default()
    };
    let opened = match input::open(&src.path, &cfg.input) {
        Ok(Ok(o)) => o,
        Ok(Err(Skip::Binary(note))) => {
            fs.skipped = Some(note);
            return (fs, Vec::new(), None);
        }
        Err(e) => {
            fs.error = Some(e);
            return (fs, Vec::new(), None);
        }
    };
    fs.access = Some(opened.access);
    fs.error = opened.partial;
    fs.notes = opened.notes;
    let buf: &[u8] = &opened.bytes;
    fs.bytes = buf.len() as u64;
    // Saved `netstat`/`ss`/`tasklist`/`ps` output lying among the logs is evidence for the
    // sockets stage (founding case: the answer was in `netstat -ano`), not a log. A large
    // file is checked first (its head is a sliver of it). A small one is checked only if it
    // does not read as a log (most lines start with a stamp, `FileTime::reads_as_log`),
    // which detection finds out anyway: the token search over the head was one more pass
    // over every byte of a tree of small logs (2 % of the CPU of a scan of the bench's
    // 100,000 files), while a dump's detection costs a few lines.
    let small = buf.len() <= crate::time::SAMPLE_BYTES;
    if !small {
        if let Some(kind) = dump_kind(buf) {
            return dump_scan(fs, kind, buf, opened.mtime.or(src.mtime));
        }
    }
    let chunks = split_chunks(buf, cfg.chunk_size);
    // The file name, as text: the end of the shown path (already text) when that is where
    // the name is, converted again otherwise.
    let lossy_name;
    let name: &str = match src.path.file_name() {
        Some(n) => match fs
            .path
            .len()
            .checked_sub(n.len())
            .and_then(|i| fs.path.get(i..))
            .filter(|t| t.as_bytes() == n.as_encoded_bytes())
        {
            Some(t) => t,
            None => {
                lossy_name = input::lossy(n);
                &lossy_name
            }
        },
        None => "",
    };
    let ft = FileTime::learn(
        buf,
        &chunks,
        &FileTimeInput {
            path: &fs.path,
            name,
            mtime: opened.mtime.or(src.mtime),
            year: cfg.year,
        },
        rule,
    );
    if small && !ft.reads_as_log() {
        if let Some(kind) = dump_kind(buf) {
            return dump_scan(fs, kind, buf, opened.mtime.or(src.mtime));
        }
    }
    fs.format = ft.format();
    // Only `--debug` prints it: a string per file otherwise written for nothing.
    if cfg.debug {
        fs.time_detail = ft.describe();
    }
    fs.notes.extend(ft.notes.iter().cloned());

    // Mapped pages are released as soon as they are scanned, so resident memory follows
    // the chunks in flight, not the file size (issue 7: peak RSS grows with hits, not with
    // input). Learning may have read the whole file (year inference's pre-pass).
    opened.bytes.release(0..buf.len());
    // Unknown records go into one bounded store as each chunk finishes (tagged with their
    // chunk, whose line base is known only after all chunks), so a file's records never
    // all wait in memory at once beyond `--max-hits` (issue 7).
    let unknown_store = std::sync::Mutex::new(crate::scan::bound::Bounded::<ChunkRecord>::new(
        cfg.max_hits,
    ));
    let outs: Vec<ChunkOut> = chunks
        .par_iter()
        .enumerate()
        .map(|(ci, r)| {
            let mut out = scan_chunk(idx, buf, r.clone(), &ft, cfg);
            opened.bytes.release(r.clone());
            let levels = std::mem::take(&mut out.levels);
            let mut st = unknown_store.lock().unwrap_or_else(|p| p.into_inner());
            st.add_dropped(out.unknown_dropped);
            for rec in levels {
                st.push(ChunkRecord { chunk: ci, rec });
            }
            out
        })
        .collect();
    let (unknown, unknown_dropped) = unknown_store
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .finish();

    // Merge chunks: line numbers become absolute, first/last come from the outer chunks.
    let mut hits = Vec::new();
    let mut base = 0u64;
    let mut orphans = 0u64;
    let mut dropped = 0u64;
    let mut matched: std::collections::HashSet<u64> = std::collections::HashSet::new();
    let mut bases = Vec::with_capacity(outs.len());
    for mut c in outs {
        dropped += c.dropped;
        for h in &mut c.hits {
            h.line += base;
        }
        bases.push(base);
        fs.level_records += c.level_count;
        matched.extend(c.matched.iter().copied());
        base += c.lines;
        fs.records += c.records;
        fs.dated_records += c.dated;
        fs.explicit_offsets |= c.explicit;
        fs.naive_count += c.naive_count;
        for (o, n) in &c.offsets {
            *fs.offsets.entry(*o).or_default() += n;
        }
        orphans += c.orphans;
        fs.minutes.merge_runs(std::mem::take(&mut c.minutes));
        fs.naive_stamps |= c.naive;
        fs.matched_lines += c.matched_lines;
        if fs.first.is_none() {
            fs.first = c.first;
        }
        if c.last.is_some() {
            fs.last = c.last;
        }
        for (abbr, (line, n)) in c.ambiguous {
            let e = fs
                .ambiguous
                .entry(abbr)
                .or_insert((line + base - c.lines, 0));
            e.1 += n;
        }
        hits.extend(c.hits);
    }
    fs.lines = base;
    if orphans > 0 {
        fs.notes.push(format!(
            "{}: {orphans} hit(s) in continuation lines at the top of the file were timed from the first stamped record below",
            fs.path
        ));
    }
    if opened.bytes.truncated_during_scan() {
        // The mapped file shrank under us; the vanished pages read as zeros (input docs).
        fs.error = Some(input::truncated_during_scan_error(&fs.path));
    }
    // One record counts once per signature (a record may straddle a chunk boundary).
    hits.sort_by_key(|h| (h.record, h.sig, h.offset));
    hits.dedup_by_key(|h| (h.record, h.sig));
    // Unknown errors: level records whose record no signature matched (stored or not),
    // bounded again for the whole file.
    fs.unknown = unknown
        .into_iter()
        .map(|mut c| {
            c.rec.line += bases[c.chunk];
            c.rec
        })
        .filter(|r| !matched.contains(&r.record))
        .collect();
    fs.unknown_dropped = unknown_dropped;
    fs.unknown.sort_unstable_by_key(|r| r.record);
    let mut bounded = crate::scan::bound::Bounded::new(cfg.max_hits);
    bounded.add_dropped(dropped);
    bounded.extend(hits);
    let (mut hits, dropped) = bounded.finish();
    hits.sort_by_key(|h| h.offset);
    // Counted, stored or not.
    fs.hits = hits.len() as u64 + dropped;
    (fs, hits, None)
}

/// The zone's name, shared by every file of a thread that uses the same zone: a string per
/// file was an allocation per file for the same few letters.
fn zone_name(zone: &time::Zone) -> std::sync::Arc<str> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(time::Zone, std::sync::Arc<str>)>> =
            const { std::cell::RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| match last {
        Some((z, name)) if z == zone => name.clone(),
        _ => {
            let name: std::sync::Arc<str> = zone.to_string().into();
            *last = Some((zone.clone(), name.clone()));
            name
        }
    })
}

/// A socket/process dump found among the logs: its text and modification time.
pub struct Dump {
    /// The dump's text (lossy UTF-8).
    pub text: String,
    /// When the file was last modified (the dump's reference time).
    pub mtime: Option<std::time::SystemTime>,
}

/// An unknown record and the chunk it came from (its line is chunk-relative until merged).
struct ChunkRecord {
    chunk: usize,
    rec: crate::record::level::LevelRecord,
}

impl crate::scan::bound::Keyed for ChunkRecord {
    type Key = <crate::record::level::LevelRecord as crate::scan::bound::Keyed>::Key;
    fn key(&self) -> Self::Key {
        self.rec.key()
    }
}

/// Line-aligned chunk ranges covering `buf`.
pub fn split_chunks(buf: &[u8], chunk: usize) -> Vec<Range<usize>> {
    let chunk = chunk.max(64 * 1024);
    let mut out = Vec::with_capacity(buf.len() / chunk + 1);
    let mut start = 0;
    while start < buf.len() {
        let mut end = (start + chunk).min(buf.len());
        if end < buf.len() {
            end = match memchr::memchr(b'\n', &buf[end..]) {
                Some(i) => end + i + 1,
                None => buf.len(),
            };
        }
        out.push(start..end);
        start = end;
    }
    if out.is_empty() {
        out.push(0..0);
    }
    out
}

fn resolve(
    ft: &FileTime,
    st: &time::RawStamp,
    offset: usize,
    line_no: u64,
    out: &mut ChunkOut,
) -> Option<DateTime<Utc>> {
    match ft.resolve(st, offset) {
        // Outside years 0..=9999 a time has no RFC 3339 form (the JSON contract): a clock
        // that far off dates nothing.
        Resolved::At(t, _) if !(0..=9999).contains(&chrono::Datelike::year(&t)) => None,
        Resolved::At(t, reason) => {
            if reason == ZoneReason::Explicit {
                out.explicit = true;
                if let time::StampZone::Offset(o) = &st.zone {
                    *out.offsets.entry(o.local_minus_utc()).or_default() += 1;
                }
            } else {
                out.naive = true;
                if st.zone == time::StampZone::Naive {
                    out.naive_count += 1;
                }
            }
            Some(t)
        }
        Resolved::Ambiguous(a) => {
            let e = out.ambiguous.entry(a).or_insert((line_no, 0));
            e.1 += 1;
            None
        }
        Resolved::Undated => None,
    }
}

fn scan_chunk(
    file: u32,
    buf: &[u8],
    range: Range<usize>,
    ft: &FileTime,
    cfg: &ScanConfig,
) -> ChunkOut {
    let mut out = ChunkOut::default();
    let hay = &buf[range.clone()];

    // --- Hits: one automaton over the whole chunk.
    let mut line_cursor = range.start;
    let mut line_no = 0u64; // newlines seen in range.start..line_cursor
                            // The last hit's line and record: several hits on one line share the walk-back.
    let mut last_line: Option<LineCache> = None;
    let mut bounded = crate::scan::bound::Bounded::new(cfg.max_hits);
    // One record counts once per signature: drop repeats here already (hits of a record are
    // contiguous), so `--max-hits` bounds distinct hits; the merge dedups across chunks.
    let mut dedup: (usize, Vec<u16>) = (usize::MAX, Vec::new());
    for_each_match(&cfg.matcher, buf, range.clone(), |pos, pattern| {
        let ls = record::line_start(buf, pos).max(range.start);
        let (le, head) = match &last_line {
            Some(c) if c.start == ls => (c.end, Some((c.record, c.time))),
            _ => {
                out.matched_lines += 1;
                (record::line_end(buf, ls), None)
            }
        };
        line_no += bytecount::count(&buf[line_cursor..ls], b'\n') as u64;
        line_cursor = ls;
        let (rec_start, time, walk) = match head {
            Some((r, t)) => (r, t, last_line.take().map(|c| c.walk)),
            None => {
                let walk = find_head_memo(buf, ls, last_line.as_ref(), |l| ft.parse_line(l));
                out.orphans += u64::from(walk.orphan);
                let t = match &walk.stamp {
                    Some((st, _)) => resolve(ft, st, walk.start, line_no + 1, &mut out),
                    None => None,
                };
                (walk.start, t, Some(walk))
            }
        };
        last_line = walk.map(|walk| LineCache {
            start: ls,
            end: le,
            record: rec_start,
            time,
            walk,
        });
        let sig = cfg.matcher.pattern_sig[pattern];
        if dedup.0 != rec_start {
            dedup = (rec_start, Vec::new());
            out.matched.push(rec_start as u64);
        } else if dedup.1.contains(&sig) {
            return;
        }
        dedup.1.push(sig);
        if !bounded.admits(&(time.is_none(), time, file, ls as u64, sig)) {
            bounded.add_dropped(1);
            return;
        }
        let line = record::trim_cr(&buf[ls..le]);
        let cut = floor_char(line, EXCERPT_MAX);
        bounded.push(Hit {
            file,
            sig,
            offset: ls as u64,
            line: line_no + 1,
            record: rec_start as u64,
            time,
            excerpt: lossy_box(&line[..cut]),
        });
    });
    (out.hits, out.dropped) = bounded.finish();
    // Bounded storage is unordered; the merge below relies on offset order.
    out.hits.sort_by_key(|h| h.offset);

    // --- Levels: a second small automaton over the same chunk (src/level.rs).
    // Records a signature matched in this chunk are not unknown: the level pass only counts
    // them. The rest is bounded like hits (the earliest `--max-hits` kept), so memory follows
    // the bound even on a log where every line is a warning. Chunk boundaries depend on the
    // chunk size, not on `-j`: the kept set is the same for every thread count. (A record
    // whose signature hit falls in the next chunk is removed at the file merge.)
    let matched: std::collections::HashSet<u64> = out.matched.iter().copied().collect();
    let mut lv = ChunkOut::default();
    (out.levels, out.level_count) = crate::record::level::level_pass_except(
        file,
        buf,
        range.clone(),
        ft.format(),
        &|l| ft.parse_line(l),
        &mut |st, at, l| resolve(ft, st, at, l, &mut lv),
        &|head| matched.contains(&head),
    );
    out.explicit |= lv.explicit;
    out.naive |= lv.naive;
    let mut kept = crate::scan::bound::Bounded::new(cfg.max_hits);
    kept.extend(std::mem::take(&mut out.levels));
    (out.levels, out.unknown_dropped) = kept.finish();
    out.levels.sort_unstable_by_key(|r| r.record);

    // --- Per-line statistics: lines, record heads (syntactic), first/last exact times.
    out.lines = bytecount::count(hay, b'\n') as u64;
    if !hay.is_empty() && *hay.last().unwrap() != b'\n' {
        out.lines += 1; // no final newline: the last line still counts
    }
    let mut first_head: Option<usize> = None;
    let mut last_head: Option<usize> = None;
    // Room for a run per line up front (at most 1,024): growing from empty took three
    // allocations for a file of 14 lines in 14 minutes.
    let mut minutes =
        crate::scan::activity::MinuteCounter::with_capacity(out.lines.min(1024) as usize);
    let mut minute_scratch = ChunkOut::default();
    let mut pos = range.start;
    while pos < range.end {
        let le = memchr::memchr(b'\n', &buf[pos..range.end]).map_or(range.end, |i| pos + i);
        let line = &buf[pos..le];
        if !line.is_empty() && line != b"\r" {
            match quick_header(line, ft) {
                HeaderKind::Stamped => {
                    out.records += 1;
                    out.dated += 1;
                    if first_head.is_none() {
                        first_head = Some(pos);
                    }
                    last_head = Some(pos);
                    // The minute key is read where the file's stamp starts (after any
                    // leading fields); the parse reads the whole line.
                    let (mformat, mline) = match ft.layouts.first() {
                        Some(l) => (
                            Some(l.format),
                            time::skip_fields(line, l.skip).unwrap_or(line),
                        ),
                        None => (None, line),
                    };
                    minutes.count(mline, mformat, |_| {
                        let (st, _) = ft.parse_line_at(pos, line)?;
                        let t = resolve(ft, &st, pos, 0, &mut minute_scratch)?;
                        Some((st, t))
                    });
                }
                HeaderKind::Plain => out.records += 1,
                HeaderKind::Continuation => {}
            }
        }
        pos = le + 1;
    }
    let mut scratch = ChunkOut::default();
    for (slot, at) in [(0, first_head), (1, last_head)] {
        if let Some(at) = at {
            let le = record::line_end(buf, at);
            if let Some((st, _)) = ft.parse_line_at(at, &buf[at..le]) {
                let t = resolve(ft, &st, at, 0, &mut scratch);
                if slot == 0 {
                    out.first = t;
                } else {
                    out.last = t;
                }
            }
        }
    }
    out.explicit |= scratch.explicit;
    out.naive |= scratch.naive;
    out.naive_count += scratch.naive_count;
    for (o, n) in scratch.offsets {
        *out.offsets.entry(o).or_default() += n;
    }
    out.minutes = minutes.runs;
    SCANNED_BYTES.fetch_add(hay.len() as u64, std::sync::atomic::Ordering::Relaxed);
    out
}

/// Calls `f(at, pattern id)` for every catalog match in `buf[range]`, in order, where `at`
/// lies on the match's line (its start, or the line start). With a
/// prefilter (src/prefilter.rs) the automaton runs only on lines that hold one of the
/// necessary literals; without one, over the whole range. Both give the same matches
/// (patterns are line-local; a property test below compares them).
fn for_each_match(
    m: &crate::catalog::Matcher,
    buf: &[u8],
    range: Range<usize>,
    mut f: impl FnMut(usize, usize),
) {
    let input = |r: Range<usize>| regex_automata::Input::new(buf).range(r);
    match m.prefilter() {
        Ok(pf) => {
            let mut cursor = pf.cursor();
            let mut at = range.start;
            while at < range.end {
                let Some(p) = cursor.find(buf, at, range.end) else {
                    break;
                };
                let ls = record::line_start(buf, p).max(at);
                let le = record::line_end(buf, p).min(range.end);
                // Forward-only searches: the caller needs the line and the pattern, not the
                // match start, so the reverse scan that finds a start is skipped (3 % of a
                // profile of the dense corpus). Each search resumes at the previous match's
                // end, as `find_iter` does, so the same matches come out.
                let mut from = ls;
                while from <= le {
                    let Some(hm) = m.regex.search_half(&input(from..le)) else {
                        break;
                    };
                    f(ls, hm.pattern().as_usize());
                    from = if hm.offset() > from {
                        hm.offset()
                    } else {
                        hm.offset() + 1
                    };
                }
                at = le + 1;
            }
        }
        Err(_) => {
            for hit in m.regex.find_iter(input(range)) {
                f(hit.start(), hit.pattern().as_usize());
            }
        }
    }
}

struct LineCache {
    start: usize,
    end: usize,
    record: usize,
    time: Option<DateTime<Utc>>,
    /// How the record head was found (reused by the next hit's walk-back).
    walk: Walk,
}

/// A record-head walk: [`record::Head`] plus what the next walk needs to reuse it.
struct Walk {
    /// Head line start (the hit's own line when undated; 0 for an orphan).
    start: usize,
    /// The head's stamp; `None`: undated.
    stamp: Option<(time::RawStamp, Format)>,
    /// Continuation lines at the top of the file, timed from the first stamp below.
    orphan: bool,
    /// Lines from the walking line up to the head line (or up to line 0 when `top`).
    depth: usize,
    /// Start of the line after the head (a stamped head above the walking line).
    head_next: usize,
    /// The upward walk reached line 0 without a stamp (`orphan`, or undated).
    top: bool,
}

/// [`record::find_head_by`] that stops at the previous hit's line (`prev`, above `ls` in
/// the same chunk) and reuses its result. Without it, many hits inside one long record (a
/// runaway trace, an undated file where every line is a hit) cost O(hits ×
/// MAX_RECORD_LINES): a 9 MB file of 200,000 undated `Connection refused` lines took 20 s.
/// With it, each line is walked over at most once upwards. Same answer as `find_head_by`
/// (property-tested below).
fn find_head_memo(
    buf: &[u8],
    ls: usize,
    prev: Option<&LineCache>,
    stamp: impl Fn(&[u8]) -> Option<(time::RawStamp, Format)>,
) -> Walk {
    let undated = |top: bool, depth: usize| Walk {
        start: ls,
        stamp: None,
        orphan: false,
        depth,
        head_next: ls,
        top,
    };
    // At line 0 without a stamp above: the first stamped line below, within the caps
    // (record.rs: an orphan record at the top of a file).
    let forward = |depth: usize| {
        let mut p = record::line_end(buf, ls) + 1;
        let mut n = 0;
        while p < buf.len() && n < record::MAX_RECORD_LINES && p - ls < record::MAX_RECORD_BYTES {
            let le = record::line_end(buf, p);
            if let Some(st) = stamp(&buf[p..le]) {
                return Walk {
                    start: 0,
                    stamp: Some(st),
                    orphan: true,
                    depth,
                    head_next: 0,
                    top: true,
                };
            }
            p = le + 1;
            n += 1;
        }
        undated(true, depth)
    };
    let mut cur = ls;
    let mut lines = 0usize;
    loop {
        if let Some(p) = prev.filter(|p| lines > 0 && p.start == cur) {
            // The walk from `ls` goes on exactly as it went from `p`, with `lines` more lines
            // and more bytes behind it (so its upward reach is a subset of p's).
            let w = &p.walk;
            let depth = lines + w.depth;
            return match &w.stamp {
                // p's head is a stamped line above: reached iff within the caps from `ls`.
                Some(st) if !w.orphan => {
                    if depth < record::MAX_RECORD_LINES
                        && ls - w.head_next < record::MAX_RECORD_BYTES
                    {
                        Walk {
                            start: w.start,
                            stamp: Some(st.clone()),
                            orphan: false,
                            depth,
                            head_next: w.head_next,
                            top: false,
                        }
                    } else {
                        undated(false, 0)
                    }
                }
                // p reached line 0: `ls` does too iff line 0 is within its caps.
                _ if w.top => {
                    let line1 = record::line_end(buf, 0) + 1;
                    let reach = depth < record::MAX_RECORD_LINES
                        && (depth == 0 || ls - line1 < record::MAX_RECORD_BYTES);
                    match &w.stamp {
                        // No stamp between p and ls: p's stamp below is the first below ls
                        // too, and nearer, so within the caps.
                        Some(st) if reach => Walk {
                            start: 0,
                            stamp: Some(st.clone()),
                            orphan: true,
                            depth,
                            head_next: 0,
                            top: true,
                        },
                        // Only near the top of a file: bounded by MAX_RECORD_LINES hits.
                        None if reach => forward(depth),
                        _ => undated(false, 0),
                    }
                }
                // p stopped at a cap: so does `ls`.
                _ => undated(false, 0),
            };
        }
        let le = record::line_end(buf, cur);
        if let Some(st) = stamp(&buf[cur..le]) {
            return Walk {
                start: cur,
                stamp: Some(st),
                orphan: false,
                depth: lines,
                head_next: le + 1,
                top: false,
            };
        }
        if cur == 0 {
            return forward(lines);
        }
        lines += 1;
        if lines >= record::MAX_RECORD_LINES || ls - cur >= record::MAX_RECORD_BYTES {
            return undated(false, 0);
        }
        cur = record::line_start(buf, cur - 1);
    }
}

enum HeaderKind {
    /// Starts with a stamp: a dated record head.
    Stamped,
    /// Neither stamped nor a continuation form: an undated record.
    Plain,
    /// Continuation of the record above.
    Continuation,
}

/// Syntactic header check, no calendar math: this runs on every line.
#[inline]
fn quick_header(line: &[u8], ft: &FileTime) -> HeaderKind {
    if ft.quick(line) {
        return HeaderKind::Stamped;
    }
    if ft.format().is_none() {
        // No format: every line is its own (undated) record.
        return HeaderKind::Plain;
    }
    // In a stamped file every other line continues the record above (timestamps.md §12).
    HeaderKind::Continuation
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::strategy::Strategy as _;

    proptest::proptest! {
        /// Any permutation (the scan's largest-first order) is undone: every item lands
        /// at the index it was tagged with.
        #[test]
        fn permute_into_place_restores_path_order(
            order in proptest::strategy::Just((0..200usize).collect::<Vec<_>>()).prop_shuffle(),
        ) {
            let mut items: Vec<usize> = order.clone();
            let mut order = order;
            permute_into_place(&mut items, &mut order);
            proptest::prop_assert_eq!(&items, &(0..200).collect::<Vec<_>>());
            proptest::prop_assert_eq!(&order, &items);
        }
    }

    #[test]
    fn chunks_are_line_aligned_and_cover_everything() {
        let text = "line one\nline two is longer\nthree\n".repeat(10_000);
        let b = text.as_bytes();
        let chunks = split_chunks(b, 64 * 1024);
        assert!(chunks.len() > 3);
        assert_eq!(chunks.first().unwrap().start, 0);
        assert_eq!(chunks.last().unwrap().end, b.len());
        for w in chunks.windows(2) {
            assert_eq!(w[0].end, w[1].start);
            assert_eq!(b[w[0].end - 1], b'\n');
        }
        assert_eq!(split_chunks(b"", 1024), vec![0..0]);
    }

    /// Chunking is an implementation detail: hits, line numbers, times and record counts
    /// must not depend on where chunk boundaries fall (records straddle them here).
    #[test]
    fn chunked_scan_equals_whole_scan() {
        let mut text = String::new();
        for i in 0..6000 {
            let s = i % 60;
            text.push_str(&format!(
                "2019-08-21 08:{:02}:{s:02}.000 ERROR 1 --- [main] a.B : call {i} failed\n",
                (i / 60) % 60
            ));
            if i % 7 == 0 {
                text.push_str("com.netflix.zuul.exception.ZuulException: Forwarding error\n");
                text.push_str("\tat a.b.C.d(C.java:1)\n");
                text.push_str("Caused by: java.net.ConnectException: Connection refused (Connection refused)\n");
                text.push_str("\t... 12 common frames omitted\n");
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("app.log");
        std::fs::write(&p, &text).unwrap();
        let src = Source {
            path: p.clone(),
            relative: "app.log".into(),
            service: "app".into(),
            size: Some(text.len() as u64),
            mtime: None,
        };
        let mut cfg = ScanConfig::new(vec![p]).unwrap();
        cfg.tz = crate::time::Zone::parse("UTC").unwrap();
        let (whole, whole_hits, _) = scan_file(0, &src, &cfg);
        cfg.chunk_size = 64 * 1024;
        let (chunked, chunked_hits, _) = scan_file(0, &src, &cfg);
        assert!(split_chunks(text.as_bytes(), cfg.chunk_size).len() > 4);
        assert_eq!(whole_hits.len(), 6000 / 7 + 1 + 6000 / 7 + 1);
        assert_eq!(whole_hits, chunked_hits);
        assert_eq!(
            (
                whole.lines,
                whole.records,
                whole.dated_records,
                whole.first,
                whole.last
            ),
            (
                chunked.lines,
                chunked.records,
                chunked.dated_records,
                chunked.first,
                chunked.last
            )
        );
        assert_eq!(whole.records, 6000);
        // Continuation-line hits carry their record head's time and their own line number.
        let h = whole_hits
            .iter()
            .find(|h| h.excerpt.starts_with("Caused by"))
            .unwrap();
        assert_eq!(h.line, 4);
        assert_eq!(h.record, 0);
        assert_eq!(h.time, Some("2019-08-21T08:00:00Z".parse().unwrap()));
    }

    proptest::proptest! {
        /// The memoised walk-back gives `record::find_head`'s answer for every hit sequence,
        /// including across the line and byte caps.
        #[test]
        fn memoised_walk_matches_find_head(
            segs in proptest::collection::vec((0usize..5, 1usize..1500), 1..8),
            picks in proptest::collection::vec(0usize..100_000, 1..40),
        ) {
            let kinds: [&[u8]; 5] = [
                b"2019-08-21 08:00:00.000 ERROR 1 --- [main] a.B : head\n",
                b"\tat a.b.C(C.java:1)\n",
                b"java.net.ConnectException: Connection refused\n",
                b"\n",
                b"x\n",
            ];
            let mut buf = Vec::new();
            let mut starts = Vec::new();
            for &(k, n) in &segs {
                // Long lines make the byte cap reachable too.
                let line: Vec<u8> = if k == 4 { [vec![b'x'; 900], b"\n".to_vec()].concat() } else { kinds[k].to_vec() };
                for _ in 0..n {
                    starts.push(buf.len());
                    buf.extend_from_slice(&line);
                }
            }
            let mut lines: Vec<usize> = picks.iter().map(|&p| starts[p % starts.len()]).collect();
            lines.sort();
            lines.dedup();
            let format = Some(Format::BootLogback);
            let mut prev: Option<LineCache> = None;
            for ls in lines {
                let want = record::find_head(&buf, ls, format);
                let got = find_head_memo(&buf, ls, prev.as_ref(), |l| record::header_stamp(l, format));
                proptest::prop_assert_eq!(got.start, want.start, "line at {}", ls);
                proptest::prop_assert_eq!(&got.stamp, &want.stamp);
                proptest::prop_assert_eq!(got.orphan, want.orphan);
                prev = Some(LineCache { start: ls, end: record::line_end(&buf, ls), record: got.start, time: None, walk: got });
            }
        }
    }

    proptest::proptest! {
        /// The prefilter is only a shortcut: on lines made of catalog examples (positive and
        /// negative), their fragments and noise, the matches found through it equal a plain
        /// whole-buffer run of the automaton, whatever sample steered the literal choice.
        #[test]
        fn prefiltered_matches_equal_whole_buffer_matches(
            picks in proptest::collection::vec((0usize..10_000, 0usize..200, 0usize..4), 1..300),
            sample_from_input in proptest::bool::ANY,
        ) {
            use crate::catalog::Catalog;
            let cat = Catalog::builtin().unwrap();
            let mut texts: Vec<String> = Vec::new();
            for sig in &cat.signatures {
                texts.extend(sig.examples.matching.iter().cloned());
                texts.extend(sig.examples.no_match.iter().cloned());
            }
            texts.push("2019-08-21 08:00:00.000 INFO 1 --- [main] c.e.Svc : request served".into());
            let mut buf = String::new();
            for &(t, cut, how) in &picks {
                let line = &texts[t % texts.len()];
                let mut end = line.len().min(cut.max(1) * 4);
                while !line.is_char_boundary(end) { end -= 1; }
                match how {
                    0 => buf.push_str(line),
                    1 => buf.push_str(&line[..end]),
                    2 => { buf.push_str("noise "); buf.push_str(&line[end..]); }
                    _ => { buf.push_str(line); buf.push(' '); buf.push_str(line); }
                }
                buf.push(if t % 7 == 0 { '\r' } else { ' ' });
                buf.push('\n');
            }
            let m = cat.compile().unwrap();
            if sample_from_input { m.prepare(buf.as_bytes()); } else { m.prepare(b""); }
            proptest::prop_assert!(m.prefilter().is_ok());
            let b = buf.as_bytes();
            let mut got = Vec::new();
            for_each_match(&m, b, 0..b.len(), |at, p| got.push((record::line_start(b, at), p)));
            let want: Vec<(usize, usize)> = m
                .regex
                .find_iter(b)
                .map(|x| (record::line_start(b, x.start()), x.pattern().as_usize()))
                .collect();
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn excerpts_never_split_utf8() {
        let s = "é".repeat(400);
        let cut = floor_char(s.as_bytes(), EXCERPT_MAX);
        assert!(std::str::from_utf8(&s.as_bytes()[..cut]).is_ok());
    }
}

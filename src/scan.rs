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

use crate::config::ScanConfig;
use crate::discover::Source;
use crate::error::FileError;
use crate::input::{self, Access, Skip};
use crate::record;
use crate::time::{self, Format, Resolved, ZoneReason, ZoneRule};
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

/// Longest excerpt kept per hit.
pub const EXCERPT_MAX: usize = 300;

/// Result for one file.
#[derive(Clone, Debug, Default)]
pub struct FileScan {
    /// Shown path.
    pub path: String,
    /// Service name.
    pub service: String,
    /// Detected timestamp format id (`None`: no stamps found).
    pub format: Option<Format>,
    /// Zone applied to naive stamps.
    pub zone: String,
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
    /// Set when the file is a saved netstat/ss/tasklist/ps dump (detected by content):
    /// host evidence for `sockets`, not a log.
    pub dump: Option<crate::sockets::DumpKind>,
    /// Error- and warning-level records (src/level.rs), signature-matched or not.
    pub level_records: u64,
    /// Error- and warning-level records that no signature matched, in offset order
    /// (moved to [`ScanOutput::unknown`] by [`scan`]).
    pub unknown: Vec<crate::level::LevelRecord>,
}

/// What a scan produced.
#[derive(Debug, Default)]
pub struct ScanOutput {
    /// Files in path order.
    pub files: Vec<FileScan>,
    /// Saved socket/process dumps found among the files, in path order.
    pub dumps: Vec<crate::sockets::DumpInput>,
    /// Hits sorted by (time, file, offset, signature); undated hits last.
    pub hits: Vec<Hit>,
    /// Error- and warning-level records no signature matched (template mining input),
    /// sorted by (time, file, offset); undated last.
    pub unknown: Vec<crate::level::LevelRecord>,
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
    matched_lines: u64,
    levels: Vec<crate::level::LevelRecord>,
}

/// Scans every source. Never fails as a whole: problems are per file.
pub fn scan(sources: &[Source], cfg: &ScanConfig) -> ScanOutput {
    let mut order: Vec<usize> = (0..sources.len()).collect();
    // Largest first: the long poles start early, small files fill the gaps.
    order.sort_by(|&a, &b| sources[b].size.cmp(&sources[a].size).then(a.cmp(&b)));
    let mut results: Vec<(usize, FileScan, Vec<Hit>, Option<String>)> = order
        .par_iter()
        .map(|&i| {
            let (fs, hits, dump) = scan_file(i as u32, &sources[i], cfg);
            (i, fs, hits, dump)
        })
        .collect();
    results.sort_by_key(|r| r.0);
    let mut out = ScanOutput::default();
    for (i, fs, hits, dump) in results {
        if let Some(text) = dump {
            out.dumps.push(crate::sockets::DumpInput {
                path: fs.path.clone(),
                text,
                mtime: sources[i].mtime.map(DateTime::<Utc>::from),
            });
        }
        let mut fs = fs;
        out.unknown.append(&mut fs.unknown);
        out.files.push(fs);
        out.hits.extend(hits);
    }
    sort_hits(&mut out.hits);
    out.unknown
        .sort_by_key(|r| (r.time.is_none(), r.time, r.file, r.record));
    out
}

/// Deterministic hit order: dated by time, then file, offset, signature; undated last.
pub fn sort_hits(hits: &mut [Hit]) {
    hits.sort_by(|a, b| {
        (a.time.is_none(), a.time, a.file, a.offset, a.sig).cmp(&(
            b.time.is_none(),
            b.time,
            b.file,
            b.offset,
            b.sig,
        ))
    });
}

/// Scans one file. The third value is the text of a socket/process dump (host evidence,
/// recognised by content), which is not scanned as a log.
pub fn scan_file(idx: u32, src: &Source, cfg: &ScanConfig) -> (FileScan, Vec<Hit>, Option<String>) {
    let rule = cfg.zone_rule_for(&src.path, &src.relative);
    let mut fs = FileScan {
        path: src.path.display().to_string(),
        service: src.service.clone(),
        zone: rule.zone.to_string(),
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
    // sockets stage (founding case: the answer was in `netstat -ano`), not a log.
    let head = &buf[..buf.len().min(64 * 1024)];
    if let Some(kind) = crate::sockets::sniff(&String::from_utf8_lossy(head)) {
        fs.dump = Some(kind);
        fs.lines = bytecount::count(buf, b'\n') as u64;
        return (
            fs,
            Vec::new(),
            Some(String::from_utf8_lossy(buf).into_owned()),
        );
    }
    let format = time::detect(head, 50);
    fs.format = format;

    let chunks = split_chunks(buf, cfg.chunk_size);
    let outs: Vec<ChunkOut> = chunks
        .par_iter()
        .map(|r| scan_chunk(idx, buf, r.clone(), format, &rule, cfg))
        .collect();

    // Merge chunks: line numbers become absolute, first/last come from the outer chunks.
    let mut hits = Vec::new();
    let mut base = 0u64;
    for mut c in outs {
        for h in &mut c.hits {
            h.line += base;
        }
        for r in &mut c.levels {
            r.line += base;
        }
        fs.unknown.append(&mut c.levels);
        base += c.lines;
        fs.records += c.records;
        fs.dated_records += c.dated;
        fs.explicit_offsets |= c.explicit;
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
    // One record counts once per signature (a record may straddle a chunk boundary).
    hits.sort_by_key(|h| (h.record, h.sig, h.offset));
    hits.dedup_by_key(|h| (h.record, h.sig));
    hits.sort_by_key(|h| h.offset);
    fs.hits = hits.len() as u64;
    // Unknown errors: level records whose record no signature matched.
    fs.level_records = fs.unknown.len() as u64;
    let matched: std::collections::HashSet<u64> = hits.iter().map(|h| h.record).collect();
    fs.unknown.retain(|r| !matched.contains(&r.record));
    (fs, hits, None)
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
    rule: &ZoneRule,
    st: &time::RawStamp,
    line_no: u64,
    out: &mut ChunkOut,
) -> Option<DateTime<Utc>> {
    match rule.resolve(st) {
        Resolved::At(t, reason) => {
            if reason == ZoneReason::Explicit {
                out.explicit = true;
            } else {
                out.naive = true;
            }
            Some(t)
        }
        Resolved::Ambiguous(a) => {
            let e = out.ambiguous.entry(a).or_insert((line_no, 0));
            e.1 += 1;
            None
        }
    }
}

fn scan_chunk(
    file: u32,
    buf: &[u8],
    range: Range<usize>,
    format: Option<Format>,
    rule: &ZoneRule,
    cfg: &ScanConfig,
) -> ChunkOut {
    let mut out = ChunkOut::default();
    let hay = &buf[range.clone()];

    // --- Hits: one automaton over the whole chunk.
    let mut line_cursor = range.start;
    let mut line_no = 0u64; // newlines seen in range.start..line_cursor
                            // The last hit's line and record: several hits on one line share the walk-back.
    let mut last_line: Option<LineCache> = None;
    for m in cfg.matcher.regex.find_iter(hay) {
        let pos = range.start + m.start();
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
        let (rec_start, time) = match head {
            Some(h) => h,
            None => {
                let head = record::find_head(buf, ls, format);
                let t = match &head.stamp {
                    Some((st, _)) => resolve(rule, st, line_no + 1, &mut out),
                    None => None,
                };
                (head.start, t)
            }
        };
        last_line = Some(LineCache {
            start: ls,
            end: le,
            record: rec_start,
            time,
        });
        let sig = cfg.matcher.pattern_sig[m.pattern().as_usize()];
        let line = record::trim_cr(&buf[ls..le]);
        let cut = floor_char(line, EXCERPT_MAX);
        out.hits.push(Hit {
            file,
            sig,
            offset: ls as u64,
            line: line_no + 1,
            record: rec_start as u64,
            time,
            excerpt: String::from_utf8_lossy(&line[..cut]).into(),
        });
    }

    // --- Levels: a second small automaton over the same chunk (src/level.rs).
    let mut lv = ChunkOut::default();
    out.levels = crate::level::level_pass(file, buf, range.clone(), format, &mut |st, l| {
        resolve(rule, st, l, &mut lv)
    });
    out.explicit |= lv.explicit;
    out.naive |= lv.naive;

    // --- Per-line statistics: lines, record heads (syntactic), first/last exact times.
    out.lines = bytecount::count(hay, b'\n') as u64;
    if !hay.is_empty() && *hay.last().unwrap() != b'\n' {
        out.lines += 1; // no final newline: the last line still counts
    }
    let mut first_head: Option<usize> = None;
    let mut last_head: Option<usize> = None;
    let mut pos = range.start;
    while pos < range.end {
        let le = memchr::memchr(b'\n', &buf[pos..range.end]).map_or(range.end, |i| pos + i);
        let line = &buf[pos..le];
        if !line.is_empty() && line != b"\r" {
            match quick_header(line, format) {
                HeaderKind::Stamped => {
                    out.records += 1;
                    out.dated += 1;
                    if first_head.is_none() {
                        first_head = Some(pos);
                    }
                    last_head = Some(pos);
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
            if let Some((st, _)) = record::header_stamp(&buf[at..le], format) {
                let t = resolve(rule, &st, 0, &mut scratch);
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
    out
}

struct LineCache {
    start: usize,
    end: usize,
    record: usize,
    time: Option<DateTime<Utc>>,
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
fn quick_header(line: &[u8], format: Option<Format>) -> HeaderKind {
    let Some(f) = format else {
        // No format: every line is its own (undated) record unless it reads as a stamp.
        return if time::may_start_stamp(line) && time::parse_any(line).is_some() {
            HeaderKind::Stamped
        } else {
            HeaderKind::Plain
        };
    };
    let d = |i: usize| line.get(i).is_some_and(u8::is_ascii_digit);
    let ok = match f {
        Format::Iso8601Offset
        | Format::Iso8601Naive
        | Format::BootLogback
        | Format::CommaMillis
        | Format::DateTimeSeconds => {
            d(0) && d(3) && line.get(4) == Some(&b'-') && line.get(13) == Some(&b':') && d(18)
        }
        Format::NginxError | Format::GoLog => {
            d(0) && line.get(4) == Some(&b'/') && line.get(13) == Some(&b':') && d(18)
        }
        Format::JsonLines => line.first() == Some(&b'{'),
        Format::Clf => memchr::memmem::find(&line[..line.len().min(512)], b" [").is_some(),
        _ => time::parse_with(f, line).is_some(),
    };
    if ok {
        return HeaderKind::Stamped;
    }
    if time::may_start_stamp(line) && time::parse_any(line).is_some() {
        return HeaderKind::Stamped;
    }
    // In a stamped file every other line continues the record above (timestamps.md §12).
    HeaderKind::Continuation
}

/// Largest index <= max that does not split a UTF-8 sequence.
fn floor_char(line: &[u8], max: usize) -> usize {
    if line.len() <= max {
        return line.len();
    }
    let mut i = max;
    while i > 0 && (line[i] & 0xC0) == 0x80 {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

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
            size: text.len() as u64,
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

    #[test]
    fn excerpts_never_split_utf8() {
        let s = "é".repeat(400);
        let cut = floor_char(s.as_bytes(), EXCERPT_MAX);
        assert!(std::str::from_utf8(&s.as_bytes()[..cut]).is_ok());
    }
}

//! One stream through the scan: [`scan_stream`] (stdin, a FIFO or device named on the
//! command line; `input::stream` opens and decodes it).
//!
//! Input: a stream [`Source`] and the [`ScanConfig`]. Output: what [`scan_file`] gives for
//! a file (its [`FileScan`], hits, or a host dump's text), with memory bounded by the
//! window size (the scan's chunk size, 16 MiB) whatever the stream's length.
//!
//! A stream is scanned in windows as it arrives: bytes are read until the window holds a
//! chunk's worth of new bytes, the whole lines among them are scanned (in line-aligned
//! sub-chunks on every thread), and the window moves on, keeping:
//! - **context** before the new bytes: enough lines that a record walk-back from any
//!   scanned line stops at its caps (`record::MAX_RECORD_LINES` lines or
//!   `MAX_RECORD_BYTES`) before it reaches the window's start, so continuation lines
//!   (`Caused by:` at the top of a window) find their head in the previous window exactly
//!   as in a file;
//! - **look-ahead** after the scanned lines: the same caps' worth of lines is read but not
//!   scanned yet, so what reads forward from a record (the exception in its trace, an
//!   orphan's first stamp) sees what a file would; it is scanned in the next window;
//! - the partial last line, carried over until its newline arrives. A line longer than
//!   [`LINE_MAX`] is cut there (noted): memory stays bounded on a stream without newlines.
//!
//! The stream is read ahead on a thread of its own (`input::stream::ReadAhead`: up to a
//! window of 1 MiB blocks queued), so reading and decoding the next window overlap scanning
//! this one; memory is then about two windows.
//!
//! The time context is learnt on the first window (its "mtime" is now: a stream is being
//! written as it is read) and carried to the next ones (`FileTime::next_window`: year and
//! day rollovers of year-less and time-only stamps). Offsets in hits and records are the
//! stream's own, so hits are de-duplicated per record across windows like across chunks;
//! stored hits are bounded by `--max-hits` as windows pass.
//!
//! [`scan_file`]: super::scan_file

use super::access::Profile;
use super::chunk::{scan_chunk, split_chunks, ChunkOut};
use super::file::{
    dump_kind, dump_scan, finish, merge_more, zone_name, Dump, FileUnknown, MergedChunks,
};
use super::output::{FileScan, Hit};
use crate::config::ScanConfig;
use crate::input::discover::Source;
use crate::input::stream::{check_first, open_stream, ReadAhead};
use crate::record::{line_start, MAX_RECORD_BYTES, MAX_RECORD_LINES};
use crate::time::{FileTime, FileTimeInput};
use rayon::prelude::*;
use std::ops::Range;

/// Longest line kept whole in a stream: beyond it the line is cut (and noted). Four
/// default chunks: a stack trace printed on one line by a JSON logger stays whole.
pub const LINE_MAX: usize = 64 * 1024 * 1024;

/// A host dump read from a stream is kept whole up to this size (dumps are a few MB).
const DUMP_MAX: usize = 256 * 1024 * 1024;

/// Scans one stream. The third value is the text of a socket/process dump piped in
/// (`netstat -ano | faultscope scan -`), which is not scanned as a log.
pub fn scan_stream(idx: u32, src: &Source, cfg: &ScanConfig) -> (FileScan, Vec<Hit>, Option<Dump>) {
    scan_windowed(idx, src, cfg, None)
}

/// Files at least this large are scanned window by window under `--mmap never`
/// ([`crate::input::windowed`]): two windows, what the windowed scan holds at once.
pub(super) fn windowed_min(cfg: &ScanConfig) -> u64 {
    2 * window_size(cfg) as u64
}

/// Scans a stream, or (`file = Some(its mtime)`) a regular file read front to back in
/// windows like one, so that its memory is the window's, not the file's.
pub(super) fn scan_windowed(
    idx: u32,
    src: &Source,
    cfg: &ScanConfig,
    file: Option<Option<std::time::SystemTime>>,
) -> (FileScan, Vec<Hit>, Option<Dump>) {
    let rule = cfg.zone_rule_for(&src.path, &src.relative);
    let mut fs = FileScan {
        path: [
            cfg.path_prefix.as_str(),
            &crate::input::lossy(src.path.as_os_str()),
        ]
        .concat(),
        service: src.service.clone(),
        zone: zone_name(&rule.zone),
        zone_reason: Some(rule.reason),
        ..Default::default()
    };
    let mut stream = match open_stream(src, &cfg.input) {
        Ok(s) => s,
        Err(e) => {
            fs.error = Some(e);
            return (fs, Vec::new(), None);
        }
    };
    if file.is_some() {
        stream.access = crate::input::Access::Read;
    }
    let access = stream.access;
    fs.access = Some(access);
    fs.notes = std::mem::take(&mut stream.notes);
    let window = window_size(cfg);
    // Up to a window read ahead while the previous one is scanned: a producer may be
    // bursty. A regular file is read far faster than it is scanned: a quarter does (and
    // keeps `--mmap never` within a few MB of a map's footprint).
    let ahead = if file.is_some() { window / 4 } else { window };
    let mut stream = stream.read_ahead(BLOCK, (ahead / BLOCK).max(1));
    let mut w = Window::default();
    w.fill(&mut stream, window + LOOK_BYTES);
    let (first, notes) = match check_first(std::mem::take(&mut w.buf), access, &fs.path) {
        Ok(x) => x,
        Err(skip) => {
            fs.skipped = Some(skip.into_note());
            return (fs, Vec::new(), None);
        }
    };
    w.buf = first;
    fs.notes.extend(notes);
    // A stream's "mtime" is now: it is being written as it is read.
    let mtime = file.unwrap_or_else(|| Some(std::time::SystemTime::now()));
    if let Some(kind) = dump_kind(&w.buf) {
        w.fill(&mut stream, DUMP_MAX);
        let mut done = dump_scan(fs, kind, &w.buf, mtime);
        done.0.bytes = w.buf.len() as u64;
        return done;
    }
    // Only streams are scanned (no file sampled for the prefilter): sample this window.
    cfg.matcher
        .prepare(&w.buf[..w.buf.len().min(crate::time::SAMPLE_BYTES * 16)]);
    let name = src
        .path
        .file_name()
        .map(crate::input::lossy)
        .unwrap_or_default();
    let ft = FileTime::learn(
        &w.buf,
        &split_chunks(&w.buf, cfg.chunk_size),
        &FileTimeInput {
            path: &fs.path,
            name: &name,
            mtime,
            year: cfg.year,
        },
        rule,
    );
    fs.format = ft.format();
    if cfg.debug {
        fs.time_detail = ft.describe();
    }
    fs.notes.extend(ft.notes.iter().cloned());
    // Access layout and level dialect from the first window's sampled lines.
    let mut profile = super::access::profile(&w.buf, fs.format, cfg);
    fs.access_detail = std::mem::take(&mut profile.detail);
    let scanned = scan_windows(idx, &mut stream, w, ft, &mut fs, cfg, &mut profile);
    fs.bytes = scanned.bytes;
    if scanned.cut_lines > 0 {
        fs.notes.push(format!(
            "{}: {} line(s) longer than {} MiB cut there (the rest of each was not scanned)",
            fs.path,
            scanned.cut_lines,
            LINE_MAX >> 20
        ));
    }
    if let Some(ended) = stream.ended() {
        fs.error = ended.take_problem();
        fs.notes.extend(ended.limit_note());
    }
    let Scanned {
        merged, unknown, ..
    } = scanned;
    finish(fs, merged, unknown, 0, false, cfg)
}

/// Bytes per block read ahead.
const BLOCK: usize = 1024 * 1024;

/// New bytes per window: the scan's chunk size.
fn window_size(cfg: &ScanConfig) -> usize {
    cfg.chunk_size.max(64 * 1024)
}

/// Look-ahead and context sizes: the record caps, and a line more.
const LOOK_BYTES: usize = MAX_RECORD_BYTES + 1;
const LOOK_LINES: usize = MAX_RECORD_LINES + 2;

/// The bytes of a stream in memory: `buf[..ctx]` was scanned (context), the rest not yet.
#[derive(Default)]
struct Window {
    buf: Vec<u8>,
    ctx: usize,
    /// Stream offset of `buf[0]` (plus what cut lines skipped).
    abs: u64,
    /// Decoded bytes read from the stream.
    read: u64,
}

impl Window {
    /// Reads until `want` bytes wait unscanned, or the stream ends.
    fn fill(&mut self, stream: &mut ReadAhead, want: usize) {
        // Exactly what is asked: the buffer's capacity is the window's, not a doubling of it.
        let pending = self.buf.len() - self.ctx;
        self.buf.reserve_exact(want.saturating_sub(pending));
        while !stream.is_done() && self.buf.len() - self.ctx < want {
            let need = want - (self.buf.len() - self.ctx);
            self.read += stream.fill(&mut self.buf, need) as u64;
        }
    }
}

/// What the windows of a stream gave.
struct Scanned {
    merged: MergedChunks,
    unknown: FileUnknown,
    bytes: u64,
    cut_lines: u64,
}

/// Scans the stream window by window (module docs), starting with the first window `w`
/// and its time context `ft`; counters go into `fs`.
fn scan_windows(
    idx: u32,
    stream: &mut ReadAhead,
    mut w: Window,
    mut ft: FileTime,
    fs: &mut FileScan,
    cfg: &ScanConfig,
    profile: &mut Profile,
) -> Scanned {
    let window = window_size(cfg);
    let mut merged = MergedChunks::default();
    let mut unknown = FileUnknown::new(cfg);
    let mut chunk_no = 0usize;
    let mut cut_lines = 0u64;
    // The previous window's time context and where its scan ended (its offsets).
    let mut prev: Option<usize> = None;
    let mut want = window + LOOK_BYTES;
    loop {
        w.fill(stream, want);
        let done = stream.is_done();
        if done && stream.ended().is_some_and(|s| s.limit_hit()) {
            // `--max-decompressed` cut the stream: whole lines only, as for a file.
            let keep = memchr::memrchr(b'\n', &w.buf[w.ctx..]).map_or(w.ctx, |i| w.ctx + i + 1);
            w.buf.truncate(keep);
        }
        let end = if done {
            w.buf.len()
        } else {
            look_ahead_start(&w.buf, w.ctx)
        };
        if end == w.ctx && !done {
            if memchr::memchr(b'\n', &w.buf[w.ctx..]).is_none() && w.buf.len() - w.ctx >= LINE_MAX {
                cut_lines += 1;
                cut_long_line(&mut w, stream);
            } else {
                // Long lines: the look-ahead took every whole line; read on.
                want = w.buf.len() - w.ctx + window;
            }
            continue;
        }
        want = window + LOOK_BYTES;
        if let Some(end) = prev.take() {
            ft = ft.next_window(end, &w.buf, w.ctx);
        }
        profile.window(&w.buf, end, chunk_no > 0);
        let mut outs = scan_range(idx, &w.buf, w.ctx..end, &ft, cfg, profile);
        for c in &mut outs {
            rebase(c, w.abs);
            // Window offsets → stream offsets, lines tagged with the chunk (`unknown.rs`).
            let mut u = std::mem::take(&mut c.unknown);
            u.rebase_records(w.abs);
            u.for_each_record(|rec| rec.line = super::unknown::tag_line(chunk_no, rec.line));
            unknown.summary.merge(u);
            unknown.whole.extend(c.boundary.take().map(|mut rec| {
                rec.record += w.abs;
                rec.line = super::unknown::tag_line(chunk_no, rec.line);
                rec
            }));
            chunk_no += 1;
        }
        merge_more(fs, &mut merged, outs);
        bound_hits(&mut merged, cfg.max_hits);
        if done {
            break;
        }
        let keep_from = context_start(&w.buf, end);
        w.buf.drain(..keep_from);
        w.abs += keep_from as u64;
        w.ctx = end - keep_from;
        prev = Some(end);
    }
    Scanned {
        merged,
        unknown,
        bytes: w.read,
        cut_lines,
    }
}

/// `range` of the window in line-aligned sub-chunks on every thread (fixed sizes, so the
/// result does not depend on `-j`), in order.
fn scan_range(
    idx: u32,
    buf: &[u8],
    range: Range<usize>,
    ft: &FileTime,
    cfg: &ScanConfig,
    profile: &Profile,
) -> Vec<ChunkOut> {
    let sub = (window_size(cfg) / 4).max(64 * 1024);
    let subs: Vec<Range<usize>> = split_chunks(&buf[range.clone()], sub)
        .into_iter()
        .map(|r| range.start + r.start..range.start + r.end)
        .collect();
    subs.into_par_iter()
        .map(|r| scan_chunk(idx, buf, r, ft, cfg, profile))
        .collect()
}

/// Window offsets → stream offsets in a chunk's hits and matched records.
fn rebase(c: &mut ChunkOut, abs: u64) {
    for h in &mut c.hits {
        h.offset += abs;
        h.record += abs;
    }
    for m in &mut c.matched {
        *m += abs;
    }
    // Records straddling a sub-chunk or window boundary, so the detector's per-minute
    // counts de-duplicate a record's hits across windows as across a file's chunks.
    for s in &mut c.straddling {
        s.0 += abs;
    }
    if let Some(t) = &mut c.tail {
        t.0 += abs;
    }
}

/// Keeps the stored hits of a long stream within `--max-hits` as windows pass (a file's
/// chunks are bounded once, at its end: a stream's could be many times the bound).
fn bound_hits(m: &mut MergedChunks, max: usize) {
    if max == 0 || m.hits.len() <= 2 * max {
        return;
    }
    let mut b = crate::scan::bound::Bounded::new(max);
    b.extend(std::mem::take(&mut m.hits));
    let (mut hits, dropped) = b.finish();
    // The merge and the per-record de-duplication expect offset order.
    hits.sort_by_key(|h| h.offset);
    m.hits = hits;
    m.dropped += dropped;
}

/// Where the look-ahead starts: the whole lines after `ctx` minus, at their end, enough
/// lines that a forward read (a trace, an orphan's first stamp) from any line before
/// stops at its caps inside them. `ctx` when there is no room (long lines).
fn look_ahead_start(buf: &[u8], ctx: usize) -> usize {
    let Some(nl) = memchr::memrchr(b'\n', &buf[ctx..]) else {
        return ctx;
    };
    let whole = ctx + nl + 1;
    let mut p = whole;
    let mut lines = 0;
    while p > ctx && lines < LOOK_LINES && whole - p < LOOK_BYTES {
        p = line_start(buf, p - 1).max(ctx);
        lines += 1;
    }
    if lines < LOOK_LINES && whole - p < LOOK_BYTES {
        return ctx;
    }
    p
}

/// Where the next window's context starts: enough lines before `end` that a walk-back
/// from `end` on stops at its caps (its line or byte count) before the context's first
/// line, so it never takes the window's start for the top of the file. The stream's start
/// when less was read.
fn context_start(buf: &[u8], end: usize) -> usize {
    let mut p = end;
    let mut lines = 0;
    while p > 0 {
        p = line_start(buf, p - 1);
        lines += 1;
        if lines >= LOOK_LINES || end - p >= LOOK_BYTES {
            // One line more: the cap trips on the line below the context's first.
            if p > 0 {
                p = line_start(buf, p - 1);
            }
            break;
        }
    }
    p
}

/// A line with no newline in [`LINE_MAX`] bytes: keep its first `LINE_MAX` bytes as one
/// line, drop the rest of it as it arrives (memory stays bounded).
fn cut_long_line(w: &mut Window, stream: &mut ReadAhead) {
    w.buf.truncate(w.ctx + LINE_MAX);
    w.buf.push(b'\n');
    let mut scratch = Vec::with_capacity(1024 * 1024);
    loop {
        scratch.clear();
        let n = stream.fill(&mut scratch, 1024 * 1024);
        w.read += n as u64;
        if n == 0 {
            return;
        }
        match memchr::memchr(b'\n', &scratch) {
            Some(i) => {
                w.abs += i as u64;
                w.buf.extend_from_slice(&scratch[i + 1..]);
                return;
            }
            None => w.abs += n as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::stream::StreamKind;
    use crate::scan::scan_file;

    /// Scans `text` as a file and as a FIFO read window by window (64 KiB windows), and
    /// returns both results.
    #[cfg(unix)]
    fn both(
        text: &[u8],
        max_hits: usize,
        years: [Option<i32>; 2],
    ) -> [(FileScan, Vec<Hit>, Vec<String>); 2] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("app.log");
        std::fs::write(&file, text).unwrap();
        let fifo = dir.path().join("app.pipe");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let mut cfg = ScanConfig::new(vec![file.clone()]).unwrap();
        cfg.tz = crate::time::Zone::parse("UTC").unwrap();
        cfg.chunk_size = 64 * 1024;
        cfg.max_hits = max_hits;
        let src = |path: &std::path::Path, stream| Source {
            path: path.to_path_buf(),
            relative: "app.log".into(),
            service: "app".into(),
            stream,
            ..Default::default()
        };
        let writer = {
            let (fifo, text) = (fifo.clone(), text.to_vec());
            std::thread::spawn(move || {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
                // Small writes: windows fill from many reads.
                for part in text.chunks(7_777) {
                    f.write_all(part).unwrap();
                }
            })
        };
        cfg.year = years[1];
        let streamed = scan_stream(0, &src(&fifo, Some(StreamKind::Named)), &cfg);
        writer.join().unwrap();
        cfg.year = years[0];
        let whole = scan_file(0, &src(&file, None), &cfg);
        [whole, streamed].map(|(fs, hits, _)| {
            let unknown = fs
                .unknown
                .sorted()
                .into_iter()
                .map(|(k, s)| format!("{} {s:?}", String::from_utf8_lossy(k)))
                .collect();
            (fs, hits, unknown)
        })
    }

    /// The counters a file and its stream must agree on.
    fn counters(fs: &FileScan) -> impl PartialEq + std::fmt::Debug {
        (
            (
                fs.lines,
                fs.records,
                fs.dated_records,
                fs.hits,
                fs.level_records,
            ),
            (fs.first, fs.last, fs.matched_lines, fs.bytes),
            fs.minutes.clone(),
            // The detector's per-minute signature counts (records straddling windows
            // count once per signature, as across a file's chunks).
            fs.sig_minutes.clone(),
        )
    }

    /// Spring Boot records with traces (`Caused by:` lines far below their head, across
    /// window edges), undated lines, unknown errors: a stream read in 64 KiB windows gives
    /// the same hits (offsets, lines, record heads, times), counters (the detector's
    /// per-minute signature counts too) and unknown records as the file.
    #[cfg(unix)]
    #[test]
    fn a_stream_scans_like_the_same_bytes_as_a_file() {
        let mut text = String::new();
        for i in 0..30_000u32 {
            let (m, sec) = ((i / 60) % 60, i % 60);
            let level = if i % 11 == 0 { "ERROR" } else { "INFO" };
            text.push_str(&format!(
                "2019-08-21 08:{m:02}:{sec:02}.000 {level} 1 --- [main] a.B : step {i} of job {}\n",
                i % 97
            ));
            if i % 37 == 0 {
                text.push_str("com.netflix.zuul.exception.ZuulException: Forwarding error\n");
                for k in 0..(i % 300) {
                    text.push_str(&format!("\tat a.b.C{k}.d(C.java:{k})\n"));
                }
                text.push_str(
                    "Caused by: java.net.ConnectException: Connection refused (Connection refused)\n",
                );
            }
            if i % 501 == 0 {
                text.push_str("an undated line saying Connection refused\n");
            }
        }
        for max_hits in [1_000_000, 50] {
            let [file, stream] = both(text.as_bytes(), max_hits, [None, None]);
            assert!(file.1.len() > 40, "{}", file.1.len());
            assert_eq!(
                counters(&file.0),
                counters(&stream.0),
                "max_hits {max_hits}"
            );
            assert_eq!(file.1, stream.1, "max_hits {max_hits}");
            assert_eq!(file.2, stream.2, "max_hits {max_hits}");
        }
    }

    /// Year-less syslog crossing New Year in a late window: every hit gets the year the
    /// file gives it (rollovers are carried from window to window).
    #[cfg(unix)]
    #[test]
    fn a_year_less_stream_carries_new_year_like_the_file() {
        let mut text = String::new();
        for (mon, day) in [("Dec", 30), ("Dec", 31), ("Jan", 1), ("Jan", 2)] {
            for i in 0..12_000u32 {
                let (h, m, s) = (i / 3600 % 24, i / 60 % 60, i % 60);
                text.push_str(&format!(
                    "{mon} {day:2} {h:02}:{m:02}:{s:02} web sshd[7]: error: connect to backend failed: Connection refused\n"
                ));
            }
        }
        // `--year` names the year of the last record of a file, of the first window's last
        // record of a stream (its end is unknown when the first records are read): here
        // the last record is in January 2020, the first window's in December 2019.
        let [file, stream] = both(text.as_bytes(), 1_000_000, [Some(2020), Some(2019)]);
        assert_eq!((file.0.first, file.0.last), (stream.0.first, stream.0.last));
        assert!(counters(&file.0) == counters(&stream.0));
        assert!(file.1 == stream.1);
        let years: std::collections::BTreeSet<i32> = stream
            .1
            .iter()
            .filter_map(|h| h.time.map(|t| chrono::Datelike::year(&t)))
            .collect();
        assert_eq!(years.into_iter().collect::<Vec<_>>(), [2019, 2020]);
    }

    #[test]
    fn look_ahead_and_context_cover_the_record_caps() {
        let line = b"2019-08-21 08:00:00.000 INFO x\n";
        let buf = line.repeat(5000);
        let la = look_ahead_start(&buf, 0);
        assert_eq!((buf.len() - la) / line.len(), LOOK_LINES);
        let cs = context_start(&buf, la);
        assert_eq!((la - cs) / line.len(), LOOK_LINES + 1);
        // Too little after ctx: no room for a scan yet.
        assert_eq!(look_ahead_start(&buf[..line.len() * 10], 0), 0);
        // Long lines: the byte cap decides.
        let long = [vec![b'x'; 300 * 1024], vec![b'\n']].concat().repeat(10);
        let la = look_ahead_start(&long, 0);
        assert!(long.len() - la >= LOOK_BYTES && long.len() - la < LOOK_BYTES + 300 * 1024 + 1);
        let cs = context_start(&long, la);
        assert!(la - cs >= LOOK_BYTES + 300 * 1024);
    }
}

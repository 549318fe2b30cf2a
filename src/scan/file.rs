//! One file through the scan: [`scan_file`].
//!
//! Input: a discovered [`Source`] and the [`ScanConfig`]. Output: its [`FileScan`], its hits
//! (de-duplicated per record and signature, bounded by `--max-hits`, in offset order) and,
//! for a saved `netstat`/`ss`/`tasklist`/`ps` dump found among the logs, the dump's text
//! ([`Dump`]) instead of a log scan.
//!
//! The steps, in order:
//! 1. open and detect: the file is opened (map or read, gzip, UTF-16), checked for a host
//!    dump, cut into line-aligned chunks, its stamps learnt (`FileTime::learn`) and its
//!    sampled lines profiled (`access.rs`: access layout, level dialect, JSON lines);
//! 2. chunk fan-out: the chunks go through rayon (`chunk.rs`), each chunk's pages released
//!    once scanned, unknown records into one bounded store as each chunk finishes;
//! 3. merge of chunks: counters summed, line numbers made absolute, first/last from the
//!    outer chunks;
//! 4. finish: one record counts once per signature (a record may straddle a chunk
//!    boundary), unknown records whose record a signature matched are dropped, and the
//!    file's hits are bounded again.

use super::access::Profile;
use super::chunk::{scan_chunk, split_chunks, ChunkOut};
use super::output::{FileScan, Hit};
use crate::config::ScanConfig;
use crate::input;
use crate::input::discover::Source;
use crate::time::{self, FileTime, FileTimeInput};
use rayon::prelude::*;
use std::ops::ControlFlow;
use std::ops::Range;

/// The kind of socket/process dump `buf` holds, if it is one (see `sockets::sniff`).
pub(super) fn dump_kind(buf: &[u8]) -> Option<crate::evidence::sockets::DumpKind> {
    let head = &buf[..buf.len().min(64 * 1024)];
    crate::evidence::sockets::may_be_dump(head)
        .then(|| crate::evidence::sockets::sniff(&String::from_utf8_lossy(head)))
        .flatten()
}

/// [`scan_file`]'s result for a dump: its lines counted, its text kept for the sockets stage.
pub(super) fn dump_scan(
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
    match scan_file_or_defer(idx, src, cfg) {
        Early::Done(r) => r,
        Early::Windowed(mtime) => super::stream::scan_windowed(idx, src, cfg, Some(mtime)),
    }
}

/// A file's result before its chunks are scanned: done (unreadable, binary, a host dump,
/// or scanned), or to be scanned window by window (`--mmap never` and a large plain file:
/// the caller scans those one at a time, see `scan`).
// Moved once per file, straight into the result list: a box would be one more allocation
// per file of a 100,000-file tree.
#[allow(clippy::large_enum_variant)]
pub(super) enum Early {
    Done((FileScan, Vec<Hit>, Option<Dump>)),
    Windowed(Option<std::time::SystemTime>),
}

/// [`scan_file`], except that a file to be scanned window by window is handed back.
pub(super) fn scan_file_or_defer(idx: u32, src: &Source, cfg: &ScanConfig) -> Early {
    let Detected {
        mut fs,
        bytes,
        mut chunks,
        ft,
        profile,
        parts,
    } = match open_and_detect(src, cfg) {
        ControlFlow::Continue(d) => d,
        ControlFlow::Break(early) => return early,
    };
    if fs.access == Some(input::Access::Mmap) {
        injected_map_fault(src, &mut fs, &mut chunks);
    }
    let (outs, mut unknown) = fan_out(idx, &bytes, &chunks, &parts, &ft, cfg, &profile);
    if parts.is_empty() {
        let merged = merge_chunks(&mut fs, outs, 0);
        let truncated = bytes.truncated_during_scan();
        let u = unknown.pop().unwrap_or_default();
        return Early::Done(finish(fs, merged, u, 0, truncated, cfg));
    }
    Early::Done(finish_parts(
        fs, &parts, &chunks, outs, unknown, &bytes, cfg,
    ))
}

/// [`scan_file`]'s merge and finish for a file cut into parts (`parts.rs`): one result per
/// part, the first returned with the others in [`FileScan::split`]. Line numbers stay the
/// file's; notes and the file's problem go with the first part only (one warning each).
fn finish_parts(
    fs: FileScan,
    parts: &[(usize, std::sync::Arc<str>)],
    chunks: &[Range<usize>],
    outs: Vec<ChunkOut>,
    unknown: Vec<FileUnknown>,
    bytes: &input::Buffer,
    cfg: &ScanConfig,
) -> (FileScan, Vec<Hit>, Option<Dump>) {
    let mut outs = outs.into_iter();
    let mut unknown = unknown.into_iter();
    let mut results: Vec<(u64, FileScan)> = Vec::with_capacity(parts.len());
    let mut all_hits = Vec::new();
    let mut line_base = 0u64;
    let mut first_chunk = 0usize;
    for (k, (start, service)) in parts.iter().enumerate() {
        let end = parts.get(k + 1).map_or(bytes.len(), |p| p.0);
        let n = chunks[first_chunk..]
            .iter()
            .take_while(|c| c.start < end || (c.is_empty() && c.start == end))
            .count();
        let mut pfs = if k == 0 {
            fs.clone()
        } else {
            FileScan {
                notes: Vec::new(),
                error: None,
                ..fs.clone()
            }
        };
        pfs.service = service.clone();
        let merged = merge_chunks(&mut pfs, outs.by_ref().take(n).collect(), line_base);
        line_base += pfs.lines;
        pfs.bytes = (end - start) as u64;
        let mine = unknown.next().unwrap_or_default();
        let chunk0 = first_chunk;
        first_chunk += n;
        let (pfs, hits, _) = finish(
            pfs,
            merged,
            mine,
            chunk0,
            bytes.truncated_during_scan(),
            cfg,
        );
        all_hits.extend(hits);
        results.push((*start as u64, pfs));
    }
    let mut results = results.into_iter();
    let Some((_, mut first)) = results.next() else {
        return (fs, all_hits, None);
    };
    first.split = results.collect();
    (first, all_hits, None)
}

/// `FAULTSCOPE_TEST_READ_ERROR` on a mapped file ([`input::INJECT_READ_ERROR_ENV`]): a disk
/// error under a map arrives as a fault on a page; it is simulated at the first chunk that
/// reaches the offset. That chunk and the rest are not scanned, the chunks before it are
/// kept, and the file is reported, as a `read()` failing there would be.
fn injected_map_fault(src: &Source, fs: &mut FileScan, chunks: &mut Vec<Range<usize>>) {
    let Some(at) = input::injected_read_error(&input::lossy(src.path.as_os_str())) else {
        return;
    };
    let keep = chunks.iter().take_while(|c| c.end as u64 <= at).count();
    if keep == chunks.len() {
        return;
    }
    chunks.truncate(keep);
    let got = chunks.last().map_or(0, |c| c.end as u64);
    fs.bytes = got;
    let eio = std::io::Error::from_raw_os_error(libc::EIO);
    fs.error = Some(input::read_error(&fs.path, got, &eio));
}

/// A file opened, its stamps learnt and found to be a log: what the chunk fan-out reads.
struct Detected {
    /// The file's result so far (path, service, zone, access, format, notes).
    fs: FileScan,
    /// The file's bytes.
    bytes: input::Buffer,
    /// Its line-aligned chunks.
    chunks: Vec<Range<usize>>,
    /// How its stamps are read.
    ft: FileTime,
    /// What its sampled lines say: access layout, level dialect, JSON lines.
    profile: Profile,
    /// Where each service's part starts, when the file holds several (`parts.rs`).
    parts: Vec<(usize, std::sync::Arc<str>)>,
}

/// [`scan_file`]'s first step: opens the file and learns its stamps. Breaks with the file's
/// whole result when it is not scanned as a log (unreadable, binary, or a host dump).
fn open_and_detect(src: &Source, cfg: &ScanConfig) -> ControlFlow<Early, Detected> {
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
    let window_min = super::stream::windowed_min(cfg);
    let opened = match input::open_or_window(&src.path, &cfg.input, window_min) {
        Ok(input::Opening::Whole(Ok(o))) => o,
        Ok(input::Opening::Windowed(mtime)) => return ControlFlow::Break(Early::Windowed(mtime)),
        Ok(input::Opening::Whole(Err(skip))) => {
            let note = skip.into_note();
            fs.skipped = Some(note);
            return ControlFlow::Break(Early::Done((fs, Vec::new(), None)));
        }
        Err(e) => {
            fs.error = Some(e);
            return ControlFlow::Break(Early::Done((fs, Vec::new(), None)));
        }
    };
    fs.access = Some(opened.access);
    fs.error = opened.partial;
    fs.notes = opened.notes;
    let parts = super::parts::effective(opened.parts, src, cfg, &mut fs.service);
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
            return ControlFlow::Break(Early::Done(dump_scan(
                fs,
                kind,
                buf,
                opened.mtime.or(src.mtime),
            )));
        }
    }
    // A file of several services is chunked part by part: no chunk crosses a part's start.
    let chunks = if parts.is_empty() {
        split_chunks(buf, cfg.chunk_size)
    } else {
        let mut v = Vec::new();
        for (k, (start, _)) in parts.iter().enumerate() {
            let end = parts.get(k + 1).map_or(buf.len(), |p| p.0);
            v.extend(
                split_chunks(&buf[*start..end], cfg.chunk_size)
                    .into_iter()
                    .map(|r| r.start + start..r.end + start),
            );
        }
        v
    };
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
            return ControlFlow::Break(Early::Done(dump_scan(
                fs,
                kind,
                buf,
                opened.mtime.or(src.mtime),
            )));
        }
    }
    fs.format = ft.format();
    fs.year_from = ft
        .inference
        .as_ref()
        .filter(|i| i.what == "year")
        .map(|i| i.source.to_string());
    // Only `--debug` prints it: a string per file otherwise written for nothing.
    if cfg.debug {
        fs.time_detail = ft.describe();
    }
    fs.notes.extend(ft.notes.iter().cloned());
    let profile = super::access::profile(buf, fs.format, cfg);
    fs.access_detail = profile.detail.clone();
    ControlFlow::Continue(Detected {
        fs,
        bytes: opened.bytes,
        chunks,
        ft,
        profile,
        parts,
    })
}

/// [`scan_file`]'s second step: the chunks through rayon. Returns each chunk's result, in
/// chunk order, and per part of the file (one when it has no `parts`) its unknown records:
/// a summary and the records kept whole (lines tagged with their chunk, see `unknown.rs`).
fn fan_out(
    idx: u32,
    bytes: &input::Buffer,
    chunks: &[Range<usize>],
    parts: &[(usize, std::sync::Arc<str>)],
    ft: &FileTime,
    cfg: &ScanConfig,
    profile: &Profile,
) -> (Vec<ChunkOut>, Vec<FileUnknown>) {
    let buf: &[u8] = bytes;
    // Mapped pages are released as soon as they are scanned, so resident memory follows
    // the chunks in flight, not the file size (issue 7: peak RSS grows with hits, not with
    // input). Learning may have read the whole file (year inference's pre-pass).
    bytes.release(0..buf.len());
    // Each chunk's summary of unknown records joins its part's as the chunk finishes (its
    // lines tagged with the chunk, whose line base is known only after all chunks), so a
    // file's unknown records never wait in memory (issue 23).
    let stores: Vec<std::sync::Mutex<FileUnknown>> = (0..parts.len().max(1))
        .map(|_| std::sync::Mutex::new(FileUnknown::new(cfg)))
        .collect();
    let outs: Vec<ChunkOut> = chunks
        .par_iter()
        .enumerate()
        .map(|(ci, r)| {
            let mut out = scan_chunk(idx, buf, r.clone(), ft, cfg, profile);
            bytes.release(r.clone());
            let part = parts.partition_point(|p| p.0 <= r.start).saturating_sub(1);
            let mut u = std::mem::take(&mut out.unknown);
            u.for_each_record(|rec| rec.line = super::unknown::tag_line(ci, rec.line));
            let whole = out.boundary.take().map(|mut rec| {
                rec.line = super::unknown::tag_line(ci, rec.line);
                rec
            });
            let mut st = stores[part].lock().unwrap_or_else(|p| p.into_inner());
            st.summary.merge(u);
            st.whole.extend(whole);
            out
        })
        .collect();
    let unknown = stores
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
        .collect();
    (outs, unknown)
}

/// The chunks' results merged into the file's (counters in [`FileScan`], the rest here).
#[derive(Default)]
pub(super) struct MergedChunks {
    /// Every chunk's stored hits, line numbers absolute, in chunk order.
    pub(super) hits: Vec<Hit>,
    /// Each chunk's first line number (0-based): the base of its chunk-relative lines.
    pub(super) bases: Vec<u64>,
    /// Hits in continuation lines at the top of the file (timed from the stamp below).
    pub(super) orphans: u64,
    /// Hits not stored (`--max-hits`).
    pub(super) dropped: u64,
    /// Record heads with a signature hit, stored or not.
    pub(super) matched: std::collections::HashSet<u64>,
    /// Dated hits per (minute, signature), counted before `--max-hits` (the detector's
    /// signals); moved into `FileScan::sig_minutes` by [`finish`].
    pub(super) sig_minutes: crate::scan::activity::SigCounter,
    /// The last merged chunk's last record with hits and its signatures (file or stream
    /// offsets): a record straddling a chunk or window boundary counts once per signature.
    pub(super) tail: Option<(u64, Vec<u16>)>,
}

/// [`scan_file`]'s third step: merges the chunks' results into `fs` (counters, absolute
/// line numbers; `base0`: the line number the first chunk starts at, so `fs.lines` counts
/// only these chunks' lines: a part of a file keeps the file's line numbers).
fn merge_chunks(fs: &mut FileScan, outs: Vec<ChunkOut>, base0: u64) -> MergedChunks {
    let mut merged = MergedChunks::default();
    fs.lines = base0;
    merge_more(fs, &mut merged, outs);
    fs.lines -= base0;
    merged
}

/// Merges more chunks, which follow those merged so far, into `fs` and `m`: line numbers
/// continue from `fs.lines` (a stream merges window after window).
pub(super) fn merge_more(fs: &mut FileScan, m: &mut MergedChunks, outs: Vec<ChunkOut>) {
    // Merge chunks: line numbers become absolute, first/last come from the outer chunks.
    let mut base = fs.lines;
    for mut c in outs {
        m.sig_minutes.append(&mut c.sig_minutes);
        for &(rec, sig, minute) in &c.straddling {
            match &mut m.tail {
                Some((r, sigs)) if *r == rec => {
                    if !sigs.contains(&sig) {
                        sigs.push(sig);
                        m.sig_minutes.add(minute, sig);
                    }
                }
                _ => {
                    m.tail = Some((rec, vec![sig]));
                    m.sig_minutes.add(minute, sig);
                }
            }
        }
        if c.tail.is_some() {
            m.tail = c.tail.take();
        }
        m.dropped += c.dropped;
        for h in &mut c.hits {
            h.line += base;
        }
        m.bases.push(base);
        fs.level_records += c.level_counts.total();
        fs.levels.add(c.level_counts);
        if let Some(t) = c.http.take() {
            match &mut fs.http {
                Some(all) => all.merge(t),
                None => fs.http = Some(Box::new(t)),
            }
        }
        m.matched.extend(c.matched.iter().copied());
        base += c.lines;
        fs.records += c.records;
        fs.dated_records += c.dated;
        fs.explicit_offsets |= c.explicit;
        fs.naive_count += c.naive_count;
        for (o, n) in &c.offsets {
            *fs.offsets.entry(*o).or_default() += n;
        }
        m.orphans += c.orphans;
        fs.minutes.merge_runs(std::mem::take(&mut c.minutes));
        fs.naive_stamps |= c.naive;
        fs.matched_lines += c.matched_lines;
        fs.rejected.add(&c.rejected);
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
        m.hits.extend(c.hits);
    }
    fs.lines = base;
}

/// [`scan_file`]'s last step: notes, hits de-duplicated per record and signature, unknown
/// records that no signature matched (lines tagged with chunks from `chunk0` on, see
/// `unknown.rs`), and the hits bounded again for the whole file.
pub(super) fn finish(
    mut fs: FileScan,
    merged: MergedChunks,
    unknown: FileUnknown,
    chunk0: usize,
    truncated: bool,
    cfg: &ScanConfig,
) -> (FileScan, Vec<Hit>, Option<Dump>) {
    let MergedChunks {
        mut hits,
        bases,
        orphans,
        dropped,
        matched,
        sig_minutes,
        tail: _,
    } = merged;
    fs.sig_minutes = sig_minutes.finish();
    if orphans > 0 {
        fs.notes.push(format!(
            "{}: {orphans} hit(s) in continuation lines at the top of the file were timed from the first stamped record below",
            fs.path
        ));
    }
    if truncated {
        // The mapped file shrank under us; the vanished pages read as zeros (input docs).
        fs.error = Some(input::truncated_during_scan_error(&fs.path));
    }
    // One record counts once per signature (a record may straddle a chunk boundary).
    hits.sort_by_key(|h| (h.record, h.sig, h.offset));
    hits.dedup_by_key(|h| (h.record, h.sig));
    // Unknown errors: the records kept whole whose record no signature matched (a hit in a
    // later chunk) join the summary; then lines become the file's.
    let FileUnknown { mut summary, whole } = unknown;
    for r in whole {
        if !matched.contains(&r.record) {
            summary.add(r);
        }
    }
    summary.settle();
    summary.for_each_record(|r| r.line = super::unknown::untag_line(r.line, &bases, chunk0));
    fs.unknown = summary;
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
pub(super) fn zone_name(zone: &time::Zone) -> std::sync::Arc<str> {
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

/// A file's (or a part's) unknown records until its chunks are merged: a summary, and each
/// chunk's last record kept whole (a hit in the next chunk may claim it). Their lines carry
/// their chunk (`unknown::tag_line`).
#[derive(Default)]
pub(super) struct FileUnknown {
    pub(super) summary: super::Unknown,
    pub(super) whole: Vec<crate::record::level::LevelRecord>,
}

impl FileUnknown {
    pub(super) fn new(cfg: &ScanConfig) -> FileUnknown {
        FileUnknown {
            summary: super::Unknown::new(cfg.gap).bounded(cfg.max_hits),
            whole: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            stream: None,
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
        // Per-minute signature counts: one per record and signature, whatever the chunking
        // and however few hits `--max-hits` stores.
        assert_eq!(whole.sig_minutes, chunked.sig_minutes);
        let counted: u64 = whole.sig_minutes.iter().map(|(_, _, n)| u64::from(n)).sum();
        assert_eq!(counted, whole_hits.len() as u64);
        cfg.max_hits = 10;
        let (bounded, bounded_hits, _) = scan_file(0, &src, &cfg);
        assert_eq!(bounded_hits.len(), 10);
        assert_eq!(bounded.sig_minutes, whole.sig_minutes);
        // Continuation-line hits carry their record head's time and their own line number.
        let h = whole_hits
            .iter()
            .find(|h| h.excerpt.starts_with("Caused by"))
            .unwrap();
        assert_eq!(h.line, 4);
        assert_eq!(h.record, 0);
        assert_eq!(h.time, Some("2019-08-21T08:00:00Z".parse().unwrap()));
    }
}

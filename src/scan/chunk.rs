//! One chunk of a file through the scan: [`scan_chunk`], and how a file is cut into chunks
//! ([`split_chunks`]).
//!
//! Input: a line-aligned range of a file's bytes, the file's [`FileTime`] and the
//! [`ScanConfig`]. Output: a [`ChunkOut`] (hits, level records, counters), merged per file
//! by `file.rs`. Three passes over the chunk:
//! - hits: the whole chunk goes through the catalog automaton ([`for_each_match`], behind
//!   the literal prefilter), and per-record work (line bounds, walk-back to the record head,
//!   timestamp parse) happens only at hits;
//! - levels: a second small automaton finds error/warning records (`record::level`); those
//!   no signature matched are the unknown records, summarised as met (`unknown.rs`);
//! - per-line statistics: lines, record heads (syntactic check, no calendar math), records
//!   per minute, exact times of the first and last record only.
//!
//! [`SCANNED_BYTES`] counts the bytes scanned, for the progress bar.

use super::output::Hit;
use super::walk::{find_head_memo, quick_header, HeaderKind, LineCache};
use crate::config::ScanConfig;
use crate::record;
use crate::record::excerpt::{floor_char, lossy_box, EXCERPT_MAX};
use crate::time::{self, FileTime, Resolved, ZoneReason};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::ops::Range;

/// Per-chunk result, merged per file.
#[derive(Default)]
pub(super) struct ChunkOut {
    pub(super) hits: Vec<Hit>,
    pub(super) lines: u64,
    pub(super) records: u64,
    pub(super) dated: u64,
    pub(super) first: Option<DateTime<Utc>>,
    pub(super) last: Option<DateTime<Utc>>,
    pub(super) explicit: bool,
    pub(super) naive: bool,
    pub(super) ambiguous: BTreeMap<String, (u64, u64)>,
    pub(super) offsets: BTreeMap<i32, u64>,
    pub(super) naive_count: u64,
    pub(super) orphans: u64,
    pub(super) minutes: Vec<(i64, u32)>,
    pub(super) matched_lines: u64,
    /// Hits not stored (`--max-hits`).
    pub(super) dropped: u64,
    /// The chunk's unknown records, summarised, but for [`ChunkOut::boundary`].
    pub(super) unknown: super::Unknown,
    /// The chunk's last unknown record, kept whole: a signature hit in the next chunk may
    /// belong to its record (a trace across the boundary), which is then not unknown.
    pub(super) boundary: Option<crate::record::level::LevelRecord>,
    /// Level records found in the chunk, signature-matched or not.
    pub(super) level_count: u64,
    /// Record heads with a signature hit, stored or dropped by `--max-hits`.
    pub(super) matched: Vec<u64>,
}

/// Bytes of file content scanned so far by this process (for a progress bar; never read by
/// the scan itself).
pub static SCANNED_BYTES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

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
                // The offset the text states, or SQL Server's `UTC adjustment` line.
                let stated = match &st.zone {
                    time::StampZone::Offset(o) => Some(*o),
                    time::StampZone::Naive => ft.utc_adjustment,
                    _ => None,
                };
                if let Some(o) = stated {
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

/// Scans one chunk: hits, then levels, then per-line statistics (the three `// ---` passes
/// below). One body on purpose, longer than the rest: it is the scan's hot path, tuned by
/// measurement, and its passes share the chunk's result and resolution scratch; it moved
/// here whole, unchanged.
pub(super) fn scan_chunk(
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
    // them. The rest is summarised as it is met (`unknown.rs`), so memory does not grow
    // with them even on a log where every line is a warning. Only the last one is kept
    // whole: a hit in the next chunk walks back at most to this chunk's last record head,
    // and the file merge drops that record if so.
    let matched: std::collections::HashSet<u64> = out.matched.iter().copied().collect();
    let mut lv = ChunkOut::default();
    let mut summary = super::Unknown::new(cfg.gap).bounded(cfg.max_hits);
    let mut last: Option<crate::record::level::LevelRecord> = None;
    out.level_count = crate::record::level::level_pass_each(
        file,
        buf,
        range.clone(),
        ft.format(),
        &|l| ft.parse_line(l),
        &mut |st, at, l| resolve(ft, st, at, l, &mut lv),
        &|head| matched.contains(&head),
        &mut |r| {
            if let Some(prev) = last.replace(r) {
                summary.add(prev);
            }
        },
    );
    out.explicit |= lv.explicit;
    out.naive |= lv.naive;
    out.unknown = summary;
    out.boundary = last;

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

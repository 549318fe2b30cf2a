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

use super::access::{ChunkAccess, Profile};
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
    pub(super) level_counts: crate::record::level::LevelCounts,
    /// The chunk's requests, when the file is an access log.
    pub(super) http: Option<crate::evidence::access::FileTraffic>,
    /// Record heads with a signature hit, stored or dropped by `--max-hits`.
    pub(super) matched: Vec<u64>,
    /// Dated hits per (UTC minute, signature), counted before `--max-hits` drops any
    /// (`SigMinutes`): the detector's rates. Hits whose record starts before the chunk are
    /// in `straddling` instead, and the last record's signatures in `tail`, so the file
    /// merge counts a record that straddles a chunk boundary once per signature.
    pub(super) sig_minutes: crate::scan::activity::SigCounter,
    /// (record head, signature, minute) of dated hits whose record starts in an earlier chunk.
    pub(super) straddling: Vec<(u64, u16, i64)>,
    /// The chunk's last record head that had hits, and the signatures counted for it.
    pub(super) tail: Option<(u64, Vec<u16>)>,
    /// Matches the catalog's precision rules refused.
    pub(super) rejected: super::output::Rejected,
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
/// measurement, and its passes share the chunk's result and resolution scratch. `profile`:
/// what the file's sampled lines said (access layout, level dialect, JSON lines).
pub(super) fn scan_chunk(
    file: u32,
    buf: &[u8],
    range: Range<usize>,
    ft: &FileTime,
    cfg: &ScanConfig,
    profile: &Profile,
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
    // JSON lines: the prefilter's candidate lines, whose message fields are read unescaped.
    let mut candidates: Vec<usize> = Vec::new();
    let mut on_line = |ls: usize| {
        if profile.json_lines {
            candidates.push(ls)
        }
    };
    // The precision rules (catalog `judge`): the file's access-log verdict, once; the
    // record's level, once per record (its head line, `record::level::line_level`).
    let access_file = matches!(ft.format(), Some(time::Format::Clf | time::Format::IisW3c));
    let mut rec_level: (usize, Option<crate::catalog::RecordLevel>) = (usize::MAX, None);
    for_each_match(
        &cfg.matcher,
        buf,
        range.clone(),
        &mut on_line,
        |pos, pattern| {
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
            let orphan = walk.as_ref().is_some_and(|w| w.orphan);
            last_line = walk.map(|walk| LineCache {
                start: ls,
                end: le,
                record: rec_start,
                time,
                walk,
            });
            let sig = cfg.matcher.pattern_sig[pattern];
            // The access-log user-impact signature's hits come from parsed statuses (below),
            // never from its regex: `" 5\d\d "` also matches `$request_length` 500–599.
            if Some(sig) == cfg.access_impact {
                return true;
            }
            if dedup.0 == rec_start && dedup.1.contains(&sig) {
                return true;
            }
            let line = record::trim_cr(&buf[ls..le]);
            let continuation = rec_start != ls;
            let level = if cfg.matcher.pattern_reads_level(pattern) {
                if rec_level.0 != rec_start {
                    // An orphan's head is the stamp below it, not a line of its own.
                    let lv = (!orphan).then(|| {
                        let he = record::line_end(buf, rec_start);
                        record::level::line_level(record::trim_cr(&buf[rec_start..he]))
                    });
                    rec_level = (rec_start, lv.flatten());
                }
                record::match_level(rec_level.1, continuation, line)
            } else {
                None
            };
            let verdict = cfg.matcher.judge(sig as usize, line, level, |c| {
                record::context_fits(c, line, access_file, continuation)
            });
            if let Err(why) = verdict {
                out.rejected.count(why);
                return false;
            }
            if dedup.0 != rec_start {
                dedup = (rec_start, Vec::new());
                out.matched.push(rec_start as u64);
            }
            dedup.1.push(sig);
            // Rates count every distinct hit, stored or not (`--max-hits` must not thin them).
            if let Some(t) = time {
                let minute = t.timestamp().div_euclid(60);
                if rec_start < range.start {
                    out.straddling.push((rec_start as u64, sig, minute));
                } else {
                    out.sig_minutes.add(minute, sig);
                }
            }
            if !bounded.admits(&(time.is_none(), time, file, ls as u64, sig)) {
                bounded.add_dropped(1);
                return true;
            }
            let cut = floor_char(line, EXCERPT_MAX);
            bounded.push(Hit {
                file,
                sig,
                offset: ls as u64,
                line: line_no + 1,
                record: rec_start as u64,
                time,
                excerpt: lossy_box(&line[..cut]),
                level,
            });
            true
        },
    );
    (out.hits, out.dropped) = bounded.finish();
    if dedup.0 != usize::MAX && dedup.0 >= range.start {
        out.tail = Some((dedup.0 as u64, dedup.1));
    }
    // Bounded storage is unordered; the merge below relies on offset order.
    out.hits.sort_by_key(|h| h.offset);
    // Hits found after this pass (JSON fields, access logs' failed requests), merged into
    // `out.hits` at the end under the same bound.
    let mut extra: Vec<Hit> = Vec::new();
    let mut scratch = Vec::new();
    let mut json_cursor = (range.start, 0u64);
    let mut field_hits =
        |ls: usize, line_no: Option<u64>, out: &mut ChunkOut, extra: &mut Vec<Hit>| {
            let le = record::line_end(buf, ls);
            let line = record::trim_cr(&buf[ls..le]);
            let mut time: Option<Option<DateTime<Utc>>> = None;
            let line_no = line_no.unwrap_or_else(|| {
                json_cursor.1 += bytecount::count(&buf[json_cursor.0..ls], b'\n') as u64;
                json_cursor.0 = ls;
                json_cursor.1 + 1
            });
            let mut found = false;
            super::fields::field_matches(
                &cfg.matcher,
                line,
                cfg.access_impact,
                &mut scratch,
                |sig, text| {
                    // A signature the raw line already matched counts once per record.
                    let i = out.hits.partition_point(|h| h.offset < ls as u64);
                    let raw = out.hits[i..]
                        .iter()
                        .take_while(|h| h.offset == ls as u64)
                        .any(|h| h.sig == sig);
                    if raw {
                        return;
                    }
                    let t = *time.get_or_insert_with(|| {
                        let (st, _) = ft.parse_line_at(ls, line)?;
                        resolve(ft, &st, ls, line_no, &mut ChunkOut::default())
                    });
                    found = true;
                    extra.push(Hit {
                        file,
                        sig,
                        offset: ls as u64,
                        line: line_no,
                        record: ls as u64,
                        time: t,
                        excerpt: lossy_box(&text[..floor_char(text, EXCERPT_MAX)]),
                        level: None,
                    });
                },
            );
            if found && !out.matched.contains(&(ls as u64)) {
                out.matched.push(ls as u64);
            }
            found
        };
    for &ls in &candidates {
        field_hits(ls, None, &mut out, &mut extra);
    }

    // --- Levels: a second small automaton over the same chunk (src/level.rs).
    // Records a signature matched in this chunk are not unknown: the level pass only counts
    // them. The rest is summarised as it is met (`unknown.rs`), so memory does not grow
    // with them even on a log where every line is a warning. Only the last one is kept
    // whole: a hit in the next chunk walks back at most to this chunk's last record head,
    // and the file merge drops that record if so.
    let matched: std::collections::HashSet<u64> = out.matched.iter().copied().collect();
    let mut lv = ChunkOut::default();
    let access = profile.access.as_ref();
    let pass = crate::record::level::LevelPass {
        format: ft.format(),
        dialect: profile.dialect,
        parse_head: &|l| ft.parse_line(l),
        known: &|head| matched.contains(&head),
        skip: &|line| access.is_some_and(|a| a.is_request(line)),
    };
    let mut summary = super::Unknown::new(cfg.gap).bounded(cfg.max_hits);
    let mut last: Option<crate::record::level::LevelRecord> = None;
    let json_lines = profile.json_lines;
    let counts = pass.run_each(
        file,
        buf,
        range.clone(),
        &mut |st, at, l| resolve(ft, st, at, l, &mut lv),
        &mut |rec| {
            if json_lines {
                // Error records no signature matched on the raw line: their fields,
                // unescaped.
                let ls = rec.record as usize;
                let tried = candidates.binary_search(&ls).is_ok();
                if rec.level == crate::record::level::Level::Error
                    && !tried
                    && field_hits(ls, Some(rec.line), &mut out, &mut extra)
                {
                    return; // matched now: no longer unknown
                }
            }
            if let Some(prev) = last.replace(rec) {
                summary.add(prev);
            }
        },
    );
    out.level_counts = counts;
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
    let mut requests = access.map(|a| ChunkAccess::new(a, file, range.start, cfg));
    let mut exact_scratch = ChunkOut::default();
    let mut exact = |at: usize, line: &[u8]| {
        let (st, _) = ft.parse_line_at(at, line)?;
        resolve(ft, &st, at, 0, &mut exact_scratch)
    };
    let mut pos = range.start;
    while pos < range.end {
        let le = memchr::memchr(b'\n', &buf[pos..range.end]).map_or(range.end, |i| pos + i);
        let line = &buf[pos..le];
        if !line.is_empty() && line != b"\r" {
            let mut minute = None;
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
                    minute = minutes.count(mline, mformat, |_| {
                        let (st, _) = ft.parse_line_at(pos, line)?;
                        let t = resolve(ft, &st, pos, 0, &mut minute_scratch)?;
                        Some((st, t))
                    });
                }
                HeaderKind::Plain => out.records += 1,
                HeaderKind::Continuation => {}
            }
            if let Some(r) = requests.as_mut() {
                r.line(buf, pos, line, minute, &mut exact);
            }
        }
        pos = le + 1;
    }
    if let Some(r) = requests {
        let (traffic, derived) = r.finish();
        out.http = Some(traffic);
        extra.extend(derived);
    }
    out.explicit |= exact_scratch.explicit;
    out.naive |= exact_scratch.naive;
    if !extra.is_empty() {
        // The detector's per-minute rates count these too (JSON message fields, failed
        // requests of access logs), stored or not, like the automaton's hits above.
        for h in &extra {
            if let Some(t) = h.time {
                out.sig_minutes.add(t.timestamp().div_euclid(60), h.sig);
            }
        }
        out.matched.extend(extra.iter().map(|h| h.record));
        let mut bounded = crate::scan::bound::Bounded::new(cfg.max_hits);
        bounded.add_dropped(out.dropped);
        bounded.extend(std::mem::take(&mut out.hits));
        bounded.extend(extra);
        (out.hits, out.dropped) = bounded.finish();
        out.hits.sort_by_key(|h| (h.offset, h.sig));
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
/// is the start of the match's line; `f` answers whether the match counts (a refused one is
/// searched past, see `Matcher::search_line`). With a prefilter (src/prefilter.rs) the
/// automaton runs only on lines that hold one of the necessary literals; without one, it
/// sweeps the whole range and each line with a match is then searched on its own. Both give
/// the same matches (patterns are line-local; a property test below compares them).
/// `on_line(line start)` is called for every line the prefilter makes a candidate, before
/// its matches (the JSON message fields are read on those lines).
fn for_each_match(
    m: &crate::catalog::Matcher,
    buf: &[u8],
    range: Range<usize>,
    on_line: &mut dyn FnMut(usize),
    mut f: impl FnMut(usize, usize) -> bool,
) {
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
                on_line(ls);
                m.search_line(buf, ls..le, |pattern| f(ls, pattern));
                at = le + 1;
            }
        }
        Err(_) => {
            let mut at = range.start;
            while at < range.end {
                let input = regex_automata::Input::new(buf).range(at..range.end);
                let Some(hit) = m.regex.search(&input) else {
                    break;
                };
                let ls = record::line_start(buf, hit.start()).max(at);
                let le = record::line_end(buf, hit.start()).min(range.end);
                m.search_line(buf, hit.start()..le, |pattern| f(ls, pattern));
                at = le + 1;
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
            for_each_match(&m, b, 0..b.len(), &mut |_| {}, |at, p| {
                got.push((record::line_start(b, at), p));
                true
            });
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

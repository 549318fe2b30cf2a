//! The syntactic pre-pass of [`FileTime`](crate::time::FileTime): where a file's stamps
//! start a new period, a New Year for year-less formats (syslog, klog, logcat, Proxifier;
//! the month goes *down*) or a new day for time-only stamps (the clock goes back by more than
//! 2 hours).
//!
//! Input: the file's bytes, its chunk ranges, the layout of its first stamps and the
//! [`Kind`] of period. Output: a [`Pass`]: the offsets where a new period starts, the last
//! head (offset, month or seconds of the day, day of month) and the offsets of `Feb 29`
//! heads. It reads the record heads syntactically (no calendar math, chunks in parallel),
//! so resolving a stamp later is a binary search.
//!
//! Tricky cases:
//! - A short out-of-order run (a stray `Jan 1` line from a box without RTC in the middle of
//!   June) is not a New Year: a jump back followed within [`STRAY_RECORDS`] records by a jump
//!   forward is dropped, also across chunk borders.
//! - Large files are sampled every [`STRIDE`] bytes first, and only the stretches between
//!   two samples whose keys jumped are read line by line (plus the tail); no stray run spans
//!   the stretches that were skipped.

use super::bytes::{digits, month_abbr, var_digits};
use super::detect::Layout;
use super::format::Format;
use super::parse::syslog::{hms, syslog_pri};
use super::parse::{skip_fields, strip_line};
use rayon::prelude::*;
use std::ops::Range;

/// A backward jump in a time-only file larger than this starts a new day.
const DAY_ROLL_SECS: u32 = 2 * 3600;
/// A jump back followed within this many records by a jump forward is an out-of-order run,
/// not a New Year / new day.
const STRAY_RECORDS: usize = 16;

/// The period a pre-pass looks for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Key = month (1-12); a New Year when it goes down.
    Year,
    /// Key = seconds of the day; a new day when it goes down by more than 2 h.
    Day,
}

impl Kind {
    fn drop(self, prev: u32, key: u32) -> bool {
        match self {
            Kind::Year => key < prev,
            Kind::Day => key + DAY_ROLL_SECS < prev,
        }
    }
    fn rise(self, prev: u32, key: u32) -> bool {
        match self {
            Kind::Year => key > prev,
            Kind::Day => key > prev + DAY_ROLL_SECS,
        }
    }
}

/// A head whose key jumped relative to the head before it.
#[derive(Clone, Copy, Debug)]
struct Mark {
    /// Index of the head (in its chunk, then global).
    idx: usize,
    offset: usize,
    prev: u32,
    key: u32,
}

#[derive(Default)]
struct ChunkPass {
    marks: Vec<Mark>,
    heads: usize,
    first: Option<(usize, u32)>,
    last: Option<(usize, u32, u32)>,
    feb29: Vec<usize>,
}

/// Sampling stride of the pre-pass on large files.
const STRIDE: usize = 1 << 20;

/// Line start at or after `pos`.
fn next_line(buf: &[u8], pos: usize) -> usize {
    if pos == 0 {
        return 0;
    }
    memchr::memchr(b'\n', &buf[pos - 1..]).map_or(buf.len(), |i| pos + i)
}

/// The stretches of a large file the pre-pass must read line by line: around every pair of
/// samples whose keys jumped, and the last line.
fn refine_ranges(buf: &[u8], layout: Layout, kind: Kind) -> Vec<Range<usize>> {
    let line_end = |p: usize| memchr::memchr(b'\n', &buf[p..]).map_or(buf.len(), |i| p + i);
    let mut samples: Vec<(usize, u32)> = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let mut p = next_line(buf, pos);
        for _ in 0..64 {
            if p >= buf.len() {
                break;
            }
            let le = line_end(p);
            if let Some((k, _)) = head_key(layout, &buf[p..le], kind) {
                samples.push((p, k));
                break;
            }
            p = le + 1;
        }
        pos += STRIDE;
    }
    let mut ranges: Vec<Range<usize>> = Vec::new();
    let mut push = |r: Range<usize>| match ranges.last_mut() {
        Some(l) if r.start <= l.end => l.end = l.end.max(r.end),
        _ => ranges.push(r),
    };
    if let Some(&(p, _)) = samples.first() {
        push(p..(line_end(p) + 1).min(buf.len()));
    }
    for w in samples.windows(2) {
        let ((a, ka), (b, kb)) = (w[0], w[1]);
        if kind.drop(ka, kb) || kind.rise(ka, kb) {
            push(a..(line_end(b) + 1).min(buf.len()));
        }
    }
    // The tail: the last head anchors the years/dates.
    let tail = next_line(buf, buf.len().saturating_sub(64 * 1024));
    push(tail..buf.len());
    ranges
}

/// Result of the pre-pass over a whole file.
pub(super) struct Pass {
    /// Offsets where a new period starts.
    pub(super) boundaries: Vec<usize>,
    /// Last head: (offset, key, day-of-month).
    pub(super) last: Option<(usize, u32, u32)>,
    /// Offsets of `Feb 29` heads (at most 16).
    pub(super) feb29: Vec<usize>,
}

/// (key, day-of-month) of a head line in `layout`, syntactically.
#[inline]
fn head_key(layout: Layout, line: &[u8], kind: Kind) -> Option<(u32, u32)> {
    if !layout.quick(line) {
        return None;
    }
    let b = skip_fields(strip_line(line), layout.skip)?;
    let d2 = |i: usize| digits(b, i, 2);
    match kind {
        Kind::Day => {
            let (h, m, s) = hms(b, 0)?;
            Some((h * 3600 + m * 60 + s, 0))
        }
        Kind::Year => {
            let (m, d) = match layout.format {
                Format::Syslog3164 => {
                    let mut p = syslog_pri(b, 0).unwrap_or(0);
                    if matches!(b.get(p), Some(b'*' | b'.')) {
                        p += 1;
                    }
                    let m = month_abbr(b, p)?;
                    let d = if b.get(p + 4) == Some(&b' ') {
                        digits(b, p + 5, 1)?
                    } else {
                        var_digits(b, p + 4, 2)?.0
                    };
                    (m, d)
                }
                Format::Klog => (d2(1)?, d2(3)?),
                Format::Logcat => (d2(0)?, d2(3)?),
                Format::Proxifier => (d2(1)?, d2(4)?),
                _ => return None,
            };
            ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((m, d))
        }
    }
}

fn chunk_pass(buf: &[u8], range: Range<usize>, layout: Layout, kind: Kind) -> ChunkPass {
    let mut out = ChunkPass::default();
    let mut pos = range.start;
    let mut prev: Option<u32> = None;
    while pos < range.end {
        let le = memchr::memchr(b'\n', &buf[pos..range.end]).map_or(range.end, |i| pos + i);
        if let Some((key, day)) = head_key(layout, &buf[pos..le], kind) {
            match prev {
                None => out.first = Some((pos, key)),
                Some(p) if kind.drop(p, key) || kind.rise(p, key) => out.marks.push(Mark {
                    idx: out.heads,
                    offset: pos,
                    prev: p,
                    key,
                }),
                _ => {}
            }
            if kind == Kind::Year && key == 2 && day == 29 && out.feb29.len() < 16 {
                out.feb29.push(pos);
            }
            prev = Some(key);
            out.last = Some((pos, key, day));
            out.heads += 1;
        }
        pos = le + 1;
    }
    out
}

/// The syntactic pre-pass: period boundaries (New Years or midnights) of a whole file.
///
/// Small files are read whole (chunks in parallel). Large files are sampled every
/// [`STRIDE`] bytes first: months (or clock hours) change rarely, so only the stretches
/// between two samples whose keys jumped are read line by line (plus the last line), which
/// keeps the pass far below the cost of the scan itself.
pub(super) fn prepass(buf: &[u8], chunks: &[Range<usize>], layout: Layout, kind: Kind) -> Pass {
    let ranges = if buf.len() <= 8 * STRIDE {
        chunks.to_vec()
    } else {
        refine_ranges(buf, layout, kind)
    };
    let parts: Vec<(Range<usize>, ChunkPass)> = ranges
        .par_iter()
        .map(|r| (r.clone(), chunk_pass(buf, r.clone(), layout, kind)))
        .collect();
    let mut marks: Vec<Mark> = Vec::new();
    let mut base = 0usize;
    let mut last: Option<(usize, u32, u32)> = None;
    let mut feb29 = Vec::new();
    let mut prev_end = 0usize;
    for (r, p) in parts {
        if r.start != prev_end {
            // Stretches not read line by line: no stray run spans them.
            base += 1 << 30;
        }
        prev_end = r.end;
        if let (Some((_, lk, _)), Some((off, fk))) = (last, p.first) {
            if kind.drop(lk, fk) || kind.rise(lk, fk) {
                marks.push(Mark {
                    idx: base,
                    offset: off,
                    prev: lk,
                    key: fk,
                });
            }
        }
        marks.extend(p.marks.iter().map(|m| Mark {
            idx: m.idx + base,
            ..*m
        }));
        base += p.heads;
        if p.last.is_some() {
            last = p.last;
        }
        feb29.extend(p.feb29);
    }
    feb29.truncate(16);
    let mut boundaries = Vec::new();
    let mut i = 0;
    while i < marks.len() {
        let m = marks[i];
        if kind.drop(m.prev, m.key) {
            let stray = marks.get(i + 1).is_some_and(|n| {
                kind.rise(n.prev, n.key)
                    && n.idx - m.idx <= STRAY_RECORDS
                    && !kind.drop(m.prev, n.key)
            });
            if stray {
                i += 2;
                continue;
            }
            boundaries.push(m.offset);
        }
        i += 1;
    }
    Pass {
        boundaries,
        last,
        feb29,
    }
}

//! From a hit's line back to its record head, and the per-line header check.
//!
//! [`find_head_memo`] gives `record::find_head_by`'s answer (the record head above a line,
//! its stamp, orphan records at the top of a file, the line and byte caps) but reuses the
//! previous hit's walk in the same chunk, so many hits inside one long record cost each
//! line one upward walk. [`quick_header`] classifies a line as a stamped head, an undated
//! record or a continuation without calendar math: it runs on every line.

use crate::record;
use crate::time::{self, FileTime, Format};
use chrono::{DateTime, Utc};

pub(super) struct LineCache {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) record: usize,
    pub(super) time: Option<DateTime<Utc>>,
    /// How the record head was found (reused by the next hit's walk-back).
    pub(super) walk: Walk,
}

/// A record-head walk: [`record::Head`] plus what the next walk needs to reuse it.
pub(super) struct Walk {
    /// Head line start (the hit's own line when undated; 0 for an orphan).
    pub(super) start: usize,
    /// The head's stamp; `None`: undated.
    pub(super) stamp: Option<(time::RawStamp, Format)>,
    /// Continuation lines at the top of the file, timed from the first stamp below.
    pub(super) orphan: bool,
    /// Lines from the walking line up to the head line (or up to line 0 when `top`).
    pub(super) depth: usize,
    /// Start of the line after the head (a stamped head above the walking line).
    pub(super) head_next: usize,
    /// The upward walk reached line 0 without a stamp (`orphan`, or undated).
    pub(super) top: bool,
}

/// [`record::find_head_by`] that stops at the previous hit's line (`prev`, above `ls` in
/// the same chunk) and reuses its result. Without it, many hits inside one long record (a
/// runaway trace, an undated file where every line is a hit) cost O(hits ×
/// MAX_RECORD_LINES): a 9 MB file of 200,000 undated `Connection refused` lines took 20 s.
/// With it, each line is walked over at most once upwards. Same answer as `find_head_by`
/// (property-tested below).
pub(super) fn find_head_memo(
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

pub(super) enum HeaderKind {
    /// Starts with a stamp: a dated record head.
    Stamped,
    /// Neither stamped nor a continuation form: an undated record.
    Plain,
    /// Continuation of the record above.
    Continuation,
}

/// Syntactic header check, no calendar math: this runs on every line.
#[inline]
pub(super) fn quick_header(line: &[u8], ft: &FileTime) -> HeaderKind {
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
}

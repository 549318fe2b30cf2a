//! Access logs and JSON lines on the scan: what sampled lines say about a file
//! ([`profile`]: its access layout, level dialect, whether it is JSON lines) and the per-line
//! request split of a chunk ([`ChunkAccess`]).
//!
//! Input: a file's buffer, its timestamp format, the configuration's layouts. Output: a
//! [`Profile`] per file; per chunk, its [`FileTraffic`] and the derived hits of failed
//! requests ([`derived_hit_signature`]).
//!
//! Cost: sampling reads at most two 64 KiB windows of lines per file, and detection gives a
//! window up after 8 lines no layout reads (`evidence::access::detect`). Only lines of files
//! detected as access logs are split, each once, in the scan's existing per-line pass; the
//! split allocates nothing. A failed request (rare) reads its exact time and may add a hit.

use super::output::Hit;
use crate::config::ScanConfig;
use crate::evidence::access::{self, Builder, FileTraffic, Layout, Layouts, Prefix, W3cFields};
use crate::record::excerpt::{floor_char, lossy_box, EXCERPT_MAX};
use crate::record::level::Dialect;
use crate::time::Format;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Bytes of a sample window.
const WINDOW: usize = 64 * 1024;
/// Lines kept per sample window.
const WINDOW_LINES: usize = 64;

/// What sampled lines say about a file.
pub(super) struct Profile {
    /// The access layout, when the file is an access log.
    pub(super) access: Option<FileAccess>,
    /// Which level syntaxes the level pass reads.
    pub(super) dialect: Dialect,
    /// Most lines are JSON objects: signatures also read their message fields unescaped.
    pub(super) json_lines: bool,
    /// The detection, for `--debug`.
    pub(super) detail: String,
}

/// A file detected as an access log.
pub(super) struct FileAccess {
    layouts: Arc<Layouts>,
    layout: usize,
    prefix: Prefix,
    /// W3C `#Fields:` headers in the file: (line offset, fields), in file order.
    headers: Vec<(usize, W3cFields)>,
}

impl FileAccess {
    /// The layout.
    pub(super) fn layout(&self) -> &Layout {
        &self.layouts.layouts[self.layout]
    }

    /// Whether a line is a request of this file (the level pass leaves those alone).
    pub(super) fn is_request(&self, line: &[u8]) -> bool {
        let w3c = self.headers.first().map(|h| &h.1);
        self.prefix
            .strip(line)
            .is_some_and(|rest| self.layout().parse(rest, w3c).is_some())
    }
}

/// Every W3C `#Fields:` header of a buffer at a line start (IIS writes one after each
/// restart): one search over a W3C file's bytes, so each chunk knows the header in force at
/// its start.
fn w3c_headers(layout: &Layout, buf: &[u8]) -> Vec<(usize, W3cFields)> {
    memchr::memmem::find_iter(buf, b"#Fields:")
        .filter(|&i| i == 0 || buf[i - 1] == b'\n')
        .filter_map(|i| {
            let le = crate::record::line_end(buf, i);
            layout
                .w3c_fields(crate::record::trim_cr(&buf[i..le]))
                .map(|f| (i, f))
        })
        .collect()
}

impl Profile {
    /// A stream's window (`buf`, scanned up to `end`; `buf[..ctx]` is the previous window's
    /// tail): the W3C headers become this window's, with the header in force at the previous
    /// window's end carried at offset 0 when `carry` (window offsets restart, and a header
    /// may have changed in any earlier window; the first window carries nothing).
    pub(super) fn window(&mut self, buf: &[u8], end: usize, carry: bool) {
        let Some(fa) = self.access.as_mut() else {
            return;
        };
        if !fa.layout().is_w3c() {
            return;
        }
        let carried = fa.headers.last().filter(|_| carry).map(|h| h.1.clone());
        let found = w3c_headers(&fa.layouts.layouts[fa.layout], &buf[..end]);
        fa.headers = carried.into_iter().map(|f| (0, f)).chain(found).collect();
    }
}

/// Lines of up to two sample windows: the head and (for a file of more than two windows)
/// the middle, each cut at line starts.
fn windows(buf: &[u8]) -> Vec<Vec<&[u8]>> {
    let lines = |from: usize| -> Vec<&[u8]> {
        let end = (from + WINDOW).min(buf.len());
        buf[from..end]
            .split(|c| *c == b'\n')
            .take(WINDOW_LINES)
            .filter(|l| !l.is_empty())
            .collect()
    };
    let mut out = vec![lines(0)];
    if buf.len() > 2 * WINDOW {
        let mid = buf.len() / 2;
        if let Some(i) = memchr::memchr(b'\n', &buf[mid..]) {
            out.push(lines(mid + i + 1));
        }
    }
    out
}

/// Samples a file: its access layout (header, then a vote), level dialect and JSON-ness.
pub(super) fn profile(buf: &[u8], format: Option<Format>, cfg: &ScanConfig) -> Profile {
    let w = windows(buf);
    let all = || w.iter().flatten().copied();
    let dialect = Dialect::sniff(all(), format);
    let json_lines = Dialect::json_lines(all());
    let detection = access::detect(&cfg.access, &w);
    let detail = match &detection {
        Some(d) if cfg.debug => d.describe(&cfg.access),
        _ => String::new(),
    };
    let access = detection.map(|d| {
        let layout = &cfg.access.layouts[d.layout];
        let headers = if layout.is_w3c() {
            w3c_headers(layout, buf)
        } else {
            Vec::new()
        };
        FileAccess {
            layouts: cfg.access.clone(),
            layout: d.layout,
            prefix: d.prefix,
            headers,
        }
    });
    Profile {
        access,
        dialect,
        json_lines,
        detail,
    }
}

/// The signature each failed request of an access log adds one hit of (the parsed status
/// decides, never the regex: `http-5xx-access-log` in the built-in catalog), so the
/// hit-based incident logic keeps seeing user impact. When the incident detector reads the
/// per-minute traffic instead, this returns `None` (the one line to change).
pub(super) fn derived_hit_signature(cfg: &ScanConfig) -> Option<u16> {
    cfg.access_impact
}

/// Reads the exact time of the line at an offset (called for failed requests only).
pub(super) type ExactTime<'e> = &'e mut dyn FnMut(usize, &[u8]) -> Option<DateTime<Utc>>;

/// One chunk's requests.
pub(super) struct ChunkAccess<'a> {
    fa: &'a FileAccess,
    w3c: Option<W3cFields>,
    builder: Builder,
    derived: Vec<Hit>,
    sig: Option<u16>,
    file: u32,
    cursor: usize,
    line_no: u64,
}

impl<'a> ChunkAccess<'a> {
    /// Counting for the chunk that starts at `start` (the W3C header in force there).
    pub(super) fn new(fa: &'a FileAccess, file: u32, start: usize, cfg: &ScanConfig) -> Self {
        let w3c = fa
            .headers
            .iter()
            .rev()
            .find(|(o, _)| *o < start || *o == 0)
            .map(|h| h.1.clone());
        ChunkAccess {
            fa,
            w3c,
            builder: Builder::new(&fa.layout().id),
            derived: Vec::new(),
            sig: derived_hit_signature(cfg),
            file,
            cursor: start,
            line_no: 0,
        }
    }

    /// One line of the chunk (every non-empty line, in order) starting at `pos`. `minute`:
    /// its minute when it is a dated record head; `exact` reads its exact time (called for
    /// failed requests only).
    #[inline]
    pub(super) fn line(
        &mut self,
        buf: &[u8],
        pos: usize,
        line: &[u8],
        minute: Option<i64>,
        exact: ExactTime,
    ) {
        let line = crate::record::trim_cr(line);
        let layout = self.fa.layout();
        if line.first() == Some(&b'#') && layout.is_w3c() {
            if let Some(f) = layout.w3c_fields(line) {
                self.w3c = Some(f);
            }
            return;
        }
        let Some(req) = self
            .fa
            .prefix
            .strip(line)
            .and_then(|rest| layout.parse(rest, self.w3c.as_ref()))
        else {
            self.builder.other_line();
            return;
        };
        let o = layout.outcome(&req);
        let (mut minute, mut ms) = (minute, None);
        if o.failed {
            let t = exact(pos, line);
            if let Some(t) = t {
                minute = Some(t.timestamp().div_euclid(60));
                ms = Some(
                    t.timestamp().rem_euclid(60) as u32 * 1000
                        + t.timestamp_subsec_millis().min(999),
                );
            }
            if let Some(sig) = self.sig {
                self.line_no += bytecount::count(&buf[self.cursor..pos], b'\n') as u64;
                self.cursor = pos;
                self.derived.push(Hit {
                    file: self.file,
                    sig,
                    offset: pos as u64,
                    line: self.line_no + 1,
                    record: pos as u64,
                    time: t,
                    excerpt: lossy_box(&line[..floor_char(line, EXCERPT_MAX)]),
                    level: None,
                });
            }
        }
        self.builder.add(layout, &req, o, minute, ms);
    }

    /// The chunk's traffic and derived hits (chunk-relative line numbers).
    pub(super) fn finish(self) -> (FileTraffic, Vec<Hit>) {
        (self.builder.finish(), self.derived)
    }
}

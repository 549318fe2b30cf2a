//! Record heads: the walk back from a hit's line to the head line of its record, which
//! carries the time.
//!
//! Input: a whole file buffer, a byte offset inside it (a regex hit), and the file's detected
//! timestamp format. Output: the bounds of the hit's line and the record head (offset and
//! parsed stamp), found by walking back over continuation lines.
//!
//! Rules (timestamps.md §12):
//! - A record starts at a line that carries a timestamp; following lines without one
//!   (`\tat ...`, `Caused by: ...`, `... 158 common frames omitted`, exception headers) are
//!   continuation lines and take the record's time.
//! - A line that reads as another known format's header also starts a record (mixed stdout
//!   of two processes), so the walk-back tries the per-line fallback on lines that may start
//!   with a stamp.
//! - The walk stops after [`MAX_RECORD_LINES`] lines or [`MAX_RECORD_BYTES`] bytes: past that
//!   the hit is undated rather than glued to a stamp far above (a binary blob or a runaway
//!   dump is not one record).
//! - Continuation lines at the top of a file (rotation cut a trace) form an *orphan* record
//!   timed from the first stamped record below it, flagged ([`Head::orphan`]).
//! - Lines keep a trailing `\r` (CRLF files); it is never part of a stamp or an excerpt.
//! - Where the stamp sits and what it lacks (year, date) is the file's [`FileTime`]: use
//!   [`find_head_in`]; [`find_head`] is the same walk with a bare format.

use super::{line_end, line_start};
use crate::time::{self, FileTime, Format, RawStamp};

/// Longest record, in lines, that the walk-back follows.
pub const MAX_RECORD_LINES: usize = 2000;
/// Longest record, in bytes, that the walk-back follows.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;

/// Reads the stamp at the head of one line: the file's format first, then any format if the
/// line may start with a stamp (per-line fallback).
#[inline]
pub fn header_stamp(line: &[u8], format: Option<Format>) -> Option<(RawStamp, Format)> {
    if let Some(f) = format {
        if let Some(st) = time::parse_with(f, line) {
            return Some((st, f));
        }
    }
    if time::may_start_stamp(line) {
        return time::parse_any(line);
    }
    // Access-log style stamps sit after the client address.
    if format == Some(Format::Clf) {
        return None;
    }
    None
}

/// A record head: where it starts and the stamp it carries (if any was found in reach).
#[derive(Clone, Debug)]
pub struct Head {
    /// Byte offset of the head line.
    pub start: usize,
    /// The stamp, or `None` when no stamped line was found within the record caps.
    pub stamp: Option<(RawStamp, Format)>,
    /// Continuation lines at the top of the file: the stamp is the first one *below*.
    pub orphan: bool,
}

/// Walks back from the line starting at `start` to the head of its record.
pub fn find_head(buf: &[u8], start: usize, format: Option<Format>) -> Head {
    find_head_by(buf, start, |line| header_stamp(line, format))
}

/// Walks back from the line starting at `start` to the head of its record, reading stamps
/// with the file's time context (layouts with leading fields, per-line fallback).
pub fn find_head_in(buf: &[u8], start: usize, ft: &FileTime) -> Head {
    find_head_by(buf, start, |line| ft.parse_line(line))
}

/// The walk-back, with any stamp reader.
pub fn find_head_by(
    buf: &[u8],
    start: usize,
    stamp: impl Fn(&[u8]) -> Option<(RawStamp, Format)>,
) -> Head {
    let mut ls = start;
    let mut lines = 0;
    loop {
        let le = line_end(buf, ls);
        if let Some(st) = stamp(&buf[ls..le]) {
            return Head {
                start: ls,
                stamp: Some(st),
                orphan: false,
            };
        }
        lines += 1;
        if ls == 0 {
            // Continuation lines at the top of the file: time them from the first stamped
            // record below (within the caps), flagged.
            let mut p = line_end(buf, start) + 1;
            let mut n = 0;
            while p < buf.len() && n < MAX_RECORD_LINES && p - start < MAX_RECORD_BYTES {
                let le = line_end(buf, p);
                if let Some(st) = stamp(&buf[p..le]) {
                    return Head {
                        start: 0,
                        stamp: Some(st),
                        orphan: true,
                    };
                }
                p = le + 1;
                n += 1;
            }
            return Head {
                start,
                stamp: None,
                orphan: false,
            };
        }
        if lines >= MAX_RECORD_LINES || start - ls >= MAX_RECORD_BYTES {
            // A runaway record: the hit's own line is its record, undated.
            return Head {
                start,
                stamp: None,
                orphan: false,
            };
        }
        ls = line_start(buf, ls - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = "2019-08-21 08:47:10.412  WARN 5120 --- [nio-8080-exec-7] o.s.c.n.z.filters.post.SendErrorFilter   : Error during filtering\r\n\
com.netflix.zuul.exception.ZuulException: Forwarding error\r\n\
\tat org.springframework.cloud.netflix.zuul.filters.route.RibbonRoutingFilter.handleException(RibbonRoutingFilter.java:189)\r\n\
Caused by: com.netflix.client.ClientException: Number of retries on next server exceeded max 1 retries, while making a call for: 192.168.1.20:8081\r\n\
Caused by: java.net.SocketException: No buffer space available (maximum connections reached?): connect\r\n\
\tat java.net.DualStackPlainSocketImpl.connect0(Native Method)\r\n\
\t... 158 common frames omitted\r\n\
2019-08-21 08:47:11.000  INFO 5120 --- [main] a.B : next\r\n";

    #[test]
    fn continuation_lines_take_the_record_time() {
        let buf = TRACE.as_bytes();
        let pos = TRACE.find("No buffer space").unwrap();
        let ls = line_start(buf, pos);
        let head = find_head(buf, ls, Some(Format::BootLogback));
        assert_eq!(head.start, 0);
        let (st, f) = head.stamp.unwrap();
        assert_eq!(f, Format::BootLogback);
        assert_eq!(st.naive.to_string(), "2019-08-21 08:47:10.412");
        let pos = TRACE.find("INFO 5120").unwrap();
        let head = find_head(buf, line_start(buf, pos), Some(Format::BootLogback));
        assert!(head.start > 0);
    }

    #[test]
    fn orphans_are_undated() {
        let buf = b"\tat a.b(C.java:1)\nCaused by: java.net.ConnectException: Connection refused\n";
        let pos = 18;
        let head = find_head(buf, line_start(buf, pos + 5), Some(Format::BootLogback));
        assert!(head.stamp.is_none());
        assert_eq!(head.start, 18);
    }

    #[test]
    fn orphans_at_the_top_take_the_first_stamp_below() {
        let buf =
            b"\tat a.b(C.java:1)\n\t... 3 more\n2019-08-21 08:00:00.000  INFO 1 --- [main] a : x\n";
        let head = find_head(buf, 0, Some(Format::BootLogback));
        assert!(head.orphan);
        assert_eq!(head.start, 0);
        assert_eq!(
            head.stamp.unwrap().0.naive.to_string(),
            "2019-08-21 08:00:00"
        );
    }

    #[test]
    fn layouts_with_leading_fields() {
        use crate::time::{Layout, Zone, ZoneReason, ZoneRule};
        let rule = ZoneRule {
            zone: Zone::parse("UTC").unwrap(),
            reason: ZoneReason::Flag,
            aliases: Default::default(),
        };
        let ft = FileTime::with_layouts(
            vec![Layout {
                format: Format::BootLogback,
                skip: 1,
            }],
            rule,
        );
        let buf = b"nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO x\n  trace line\n";
        let head = find_head_in(buf, line_start(buf, 80), &ft);
        assert_eq!(head.start, 0);
        assert_eq!(
            head.stamp.unwrap().0.naive.to_string(),
            "2017-05-16 00:00:00.008"
        );
    }

    #[test]
    fn other_format_header_starts_a_record() {
        let buf = b"2019-08-21 08:00:00.000  INFO 1 --- [main] a : x\n2019/08/21 08:00:05 [error] 1#1: boom\n";
        let pos = 55;
        let head = find_head(buf, line_start(buf, pos), Some(Format::BootLogback));
        assert_eq!(head.stamp.unwrap().1, Format::NginxError);
    }
}

//! Records: a hit belongs to its log *record*, and the record's head line carries the time.
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
//! - Lines keep a trailing `\r` (CRLF files); it is never part of a stamp or an excerpt.

use crate::time::{self, Format, RawStamp};

/// Longest record, in lines, that the walk-back follows.
pub const MAX_RECORD_LINES: usize = 2000;
/// Longest record, in bytes, that the walk-back follows.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;

/// Start of the line containing `pos`.
#[inline]
pub fn line_start(buf: &[u8], pos: usize) -> usize {
    memchr::memrchr(b'\n', &buf[..pos]).map_or(0, |i| i + 1)
}

/// End of the line starting at or containing `pos` (index of its `\n`, or the buffer end).
#[inline]
pub fn line_end(buf: &[u8], pos: usize) -> usize {
    memchr::memchr(b'\n', &buf[pos..]).map_or(buf.len(), |i| pos + i)
}

/// The line at `start..end` without its trailing `\r`.
#[inline]
pub fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

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
}

/// Walks back from the line starting at `start` to the head of its record.
pub fn find_head(buf: &[u8], start: usize, format: Option<Format>) -> Head {
    let mut ls = start;
    let mut lines = 0;
    loop {
        let le = line_end(buf, ls);
        let line = &buf[ls..le];
        if let Some(st) = header_stamp(line, format) {
            return Head {
                start: ls,
                stamp: Some(st),
            };
        }
        lines += 1;
        if ls == 0 || lines >= MAX_RECORD_LINES || start - ls >= MAX_RECORD_BYTES {
            // An orphan (continuation lines at the top of a file, or a runaway record): the
            // hit's own line is its record, undated.
            return Head { start, stamp: None };
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
    fn other_format_header_starts_a_record() {
        let buf = b"2019-08-21 08:00:00.000  INFO 1 --- [main] a : x\n2019/08/21 08:00:05 [error] 1#1: boom\n";
        let pos = 55;
        let head = find_head(buf, line_start(buf, pos), Some(Format::BootLogback));
        assert_eq!(head.stamp.unwrap().1, Format::NginxError);
    }
}

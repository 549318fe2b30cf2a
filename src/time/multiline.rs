//! Records whose stamp is not on their first line: JSON events pretty-printed over several
//! lines (`jq .`, Serilog/Winston/`JSON.stringify(x, null, 2)` to a file, Windows
//! `ConvertTo-Json`), and `wevtutil qe … /f:text` (`Event[0]:` then `  Date: 2019-08-21T16:02:06.452`).
//!
//! Input: a file's bytes. Output: whether a sample reads as such a file ([`detect`]), and
//! a [`Table`] of every record head's offset and stamp, built once per file by reading
//! each record (the JSON object whole, or the `Date:` field), so that the per-line readers
//! find a head's stamp by its offset.
//!
//! Tricky cases:
//! - A pretty-printed object opens with `{` alone at column 0 and closes with `}` alone at
//!   column 0; everything between is indented: the scan's continuation rule holds.
//! - Lines are looked up by their place in the file's buffer (the readers pass slices of
//!   the buffer the table was built from); a slice from elsewhere is simply not found.

use super::format::{Format, RawStamp};
use super::parse::{more::parse_value, parse_json_kind};

/// Stamps of the record heads of a multi-line file, by byte offset.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// Address of the buffer the offsets are in.
    base: usize,
    /// Its length.
    len: usize,
    /// (offset of the head line, its record's stamp), sorted by offset.
    heads: Vec<(usize, RawStamp)>,
}

impl Table {
    /// The stamp of the record whose head line is `line` (a slice of the table's buffer).
    pub fn lookup(&self, line: &[u8]) -> Option<&RawStamp> {
        let at = (line.as_ptr() as usize).checked_sub(self.base)?;
        if at >= self.len || self.heads.is_empty() {
            return None;
        }
        let i = self.heads.binary_search_by_key(&at, |h| h.0).ok()?;
        Some(&self.heads[i].1)
    }

    /// The stamp of the record whose head line starts at byte `at`.
    pub fn at(&self, at: usize) -> Option<&RawStamp> {
        let i = self.heads.binary_search_by_key(&at, |h| h.0).ok()?;
        Some(&self.heads[i].1)
    }

    /// Records with a stamp.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.heads.len()
    }
}

/// Is this line a record head of `format`?
pub fn is_head(format: Format, line: &[u8]) -> bool {
    let l = trim_end(line);
    match format {
        Format::JsonPretty => l == b"{",
        Format::WinEventText => l.starts_with(b"Event[") && l.ends_with(b"]:"),
        _ => false,
    }
}

fn trim_end(line: &[u8]) -> &[u8] {
    let mut e = line.len();
    while e > 0 && matches!(line[e - 1], b' ' | b'\t' | b'\r' | b'\n') {
        e -= 1;
    }
    &line[..e]
}

/// Lines of `buf` with their start offsets.
fn lines(buf: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= buf.len() {
            return None;
        }
        let end = memchr::memchr(b'\n', &buf[pos..]).map_or(buf.len(), |i| pos + i);
        let at = pos;
        pos = end + 1;
        Some((at, &buf[at..end]))
    })
}

/// The stamp of the record starting at `head` (its head line's offset); `next` is where
/// the next record starts (or the end).
fn record_stamp(format: Format, buf: &[u8], head: usize, next: usize) -> Option<RawStamp> {
    let rec = &buf[head..next];
    match format {
        Format::JsonPretty => parse_json_kind(rec).map(|(st, _)| st),
        Format::WinEventText => lines(rec).find_map(|(_, l)| {
            let t = l.strip_suffix(b"\r").unwrap_or(l);
            let t = &t[t.iter().take_while(|c| c.is_ascii_whitespace()).count()..];
            parse_value(t.strip_prefix(b"Date: ")?.trim_ascii())
        }),
        _ => None,
    }
}

/// Builds the table of a whole file in `format`.
pub fn table(buf: &[u8], format: Format) -> Table {
    let starts: Vec<usize> = lines(buf)
        .filter(|(_, l)| is_head(format, l))
        .map(|(at, _)| at)
        .collect();
    let mut heads = Vec::with_capacity(starts.len());
    for (k, &at) in starts.iter().enumerate() {
        // A record ends where the next begins (at most 1 MiB: a broken file is not read
        // to its end for one record).
        let next = starts
            .get(k + 1)
            .copied()
            .unwrap_or(buf.len())
            .min(at + (1 << 20));
        if let Some(st) = record_stamp(format, buf, at, next) {
            heads.push((at, st));
        }
    }
    Table {
        base: buf.as_ptr() as usize,
        len: buf.len(),
        heads,
    }
}

/// Does a sample read as a multi-line file: record heads are at least a fifth of its
/// column-0 lines, and its first whole record has a stamp?
pub fn detect(sample: &[u8]) -> Option<Format> {
    [Format::JsonPretty, Format::WinEventText]
        .into_iter()
        .find(|&f| {
            let mut col0 = 0usize;
            let mut heads = Vec::new();
            for (at, l) in lines(sample) {
                if l.first().is_some_and(|c| !c.is_ascii_whitespace()) {
                    col0 += 1;
                    if is_head(f, l) {
                        heads.push(at);
                    }
                }
            }
            heads.len() >= 2
                && heads.len() * 5 >= col0
                && record_stamp(f, sample, heads[0], heads[1]).is_some()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_json_and_wevtutil() {
        let text = "{\n  \"level\": \"error\",\n  \"timestamp\": \"2024-05-14T09:47:16.080Z\",\n  \"msg\": \"x\"\n}\n{\n  \"timestamp\": \"2024-05-14T09:47:17Z\"\n}\n";
        assert_eq!(detect(text.as_bytes()), Some(Format::JsonPretty));
        let t = table(text.as_bytes(), Format::JsonPretty);
        assert_eq!(t.len(), 2);
        let second = text
            .find("{\n  \"timestamp\": \"2024-05-14T09:47:17Z")
            .unwrap();
        let line = &text.as_bytes()[second..second + 1];
        assert!(t.lookup(line).is_some());
        assert!(t.lookup(b"{").is_none());
        let ev = "Event[0]:\r\n  Log Name: System\r\n  Source: Service Control Manager\r\n  Date: 2019-08-21T16:02:06.452\r\n  Event ID: 7036\r\nEvent[1]:\r\n  Log Name: System\r\n  Date: 2019-08-21T16:03:06.000\r\n";
        assert_eq!(detect(ev.as_bytes()), Some(Format::WinEventText));
        let t = table(ev.as_bytes(), Format::WinEventText);
        assert_eq!(
            t.at(0).unwrap().naive.to_string(),
            "2019-08-21 16:02:06.452"
        );
        assert_eq!(detect(b"{\"a\":1}\n{\"b\":2}\n"), None);
    }
}

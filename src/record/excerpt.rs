//! Excerpts: the bounded, lossy UTF-8 copy of a line that hits and level records keep.
//!
//! Input: a line's bytes. Output: at most [`EXCERPT_MAX`] bytes of it, cut on a character
//! boundary ([`floor_char`]) and decoded leniently ([`lossy_box`]): invalid UTF-8 in a log
//! never stops a scan and never splits a character in a report.

/// Longest excerpt kept per hit.
pub const EXCERPT_MAX: usize = 300;

/// `String::from_utf8_lossy(b).into()`, with valid UTF-8 (nearly every log line) checked by
/// `str::from_utf8`, whose ASCII fast path reads words at a time; the lossy decoder steps
/// byte by byte (3.5 % of a profile of a warning-flooded log).
pub fn lossy_box(b: &[u8]) -> Box<str> {
    match std::str::from_utf8(b) {
        Ok(s) => s.into(),
        Err(_) => String::from_utf8_lossy(b).into(),
    }
}

/// Largest index <= max that does not split a UTF-8 sequence.
pub fn floor_char(line: &[u8], max: usize) -> usize {
    if line.len() <= max {
        return line.len();
    }
    let mut i = max;
    while i > 0 && (line[i] & 0xC0) == 0x80 {
        i -= 1;
    }
    i
}

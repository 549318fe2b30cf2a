//! Records: a hit belongs to its log *record*, and the record's head line carries the time.
//!
//! One log record, as the engine (scan) and analysis read it:
//! - `head.rs`: the walk back from a hit's line to its record head and the stamp it
//!   carries ([`find_head_in`], [`find_head`]), across continuation lines;
//! - [`level`]: which records are errors or warnings, read on the scan's whole-buffer pass;
//!   `dialect.rs`: the level syntaxes (text, JSON, syslog `<PRI>`, glog) and their automata;
//! - `message.rs`: a head line's message after its timestamp/level/logger prefix
//!   ([`strip_prefix`]) and the exception class a line names ([`exception_class`]);
//! - `tokens.rs`: the byte classes and whitespace scanner that prefix stripping and the
//!   template miner's masking share;
//! - [`mask`], [`distinct`], [`hash`]: a message → its masked form (variables as `<*>`), the
//!   distinct masked messages with counts, and the template ids' hash: the scan summarises
//!   unknown records by masked message as it meets them (template mining, in
//!   `analysis::templates`, clusters those);
//! - [`excerpt`]: the bounded, lossy UTF-8 copy of a line that hits and level records keep;
//! - `context.rs`: whether a signature match sits where its entry's `context` wants it
//!   (an access-log request line, a stack trace): [`context_fits`]; and which level governs
//!   a match on a continuation line ([`match_level`]).
//!
//! This file: line bounds ([`line_start`], [`line_end`]). Lines keep a trailing `\r` (CRLF
//! files); it is never part of a stamp or an excerpt ([`trim_cr`]).

#[cfg(test)]
mod catalog_judging;
mod context;
mod dialect;
pub mod distinct;
pub mod excerpt;
pub mod hash;
mod head;
pub mod level;
pub mod mask;
mod message;
pub(crate) mod tokens;

pub use context::{context_fits, match_level, trace_line};
pub use head::{
    find_head, find_head_by, find_head_in, header_stamp, Head, MAX_RECORD_BYTES, MAX_RECORD_LINES,
};
pub use message::{exception_class, strip_prefix};

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

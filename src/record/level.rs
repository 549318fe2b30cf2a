//! Record levels: which records are errors or warnings, read on the scan's whole-buffer
//! pass.
//!
//! Input: a chunk of a file buffer (the same one the signature automaton just ran over),
//! the file's timestamp format and its level [`Dialect`] (`dialect.rs`: which automata run,
//! which levels are read per line). Output: one [`LevelRecord`] per error- or warning-level
//! record head, with its message (prefix stripped, see [`crate::record::strip_prefix`];
//! JSON: the `msg`/`message`/`@m`/`MESSAGE` field; ASP.NET Core console: the indented line
//! under `fail:`) and the exception class named by its continuation lines (JSON: by its
//! `stack_trace`/`exception`/`err.stack` field), and [`LevelCounts`].
//!
//! How: small `regex_automata::meta::Regex`es hold the level literals (never a per-line
//! loop; see `dialect.rs` for the forms: words, brackets, logfmt `level=error`, logrus
//! `ERRO[`, ASP.NET `fail:`, glog heads, JSON values and pino/journald numbers). A candidate
//! counts only when:
//! - its line is a record head (the line carries the file's timestamp, see
//!   [`crate::record::header_stamp`]; in a file with no detected format every line is its
//!   own record): a record's level is its head's, and a `WARN` inside a stack trace or a
//!   message body is not a level;
//! - a bare word or bracket sits in the line's first [`LEVEL_WINDOW`] bytes and no other
//!   level word (`INFO`, `DEBUG`, ...) comes before it (`INFO ... 0 ERRORs` is info);
//! - a JSON field is inside a JSON object, under a level key;
//! - the caller does not skip the line (an access log's request lines: their failures are
//!   traffic, read from the status field).
//!
//! Access logs in the `clf` format are skipped whole, as before.

use super::dialect::{self, Kind};
pub use super::dialect::{Dialect, NumericLevel};
use crate::record;
use crate::time::{Format, RawStamp};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::ops::Range;

/// A record level that matters for unknown errors.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// ERROR, FATAL, SEVERE, CRITICAL, `[error]`, `[crit]`, glog `E`/`F`.
    Error,
    /// WARN, WARNING, `[warn]`, glog `W`.
    Warning,
}

impl Level {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }
}

/// Bare level words and brackets count only in the first this many bytes of a head line.
pub const LEVEL_WINDOW: usize = 96;
/// Longest message kept per record.
pub const MESSAGE_MAX: usize = 512;
/// Continuation lines read per record for the exception class.
const TRACE_LINES: usize = 200;
/// Continuation bytes read per record for the exception class.
const TRACE_BYTES: usize = 64 * 1024;

/// Error- and warning-level records of a file (or chunk), signature-matched or not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LevelCounts {
    /// Error-level records.
    pub error: u64,
    /// Warning-level records.
    pub warning: u64,
}

impl LevelCounts {
    /// Both.
    pub fn total(&self) -> u64 {
        self.error + self.warning
    }

    /// Adds another count.
    pub fn add(&mut self, o: LevelCounts) {
        self.error += o.error;
        self.warning += o.warning;
    }
}

/// An error- or warning-level record. Partial results carry them, with
/// `file` indexing the partial's own files; see [`LevelRecord`]'s serde form there.
#[derive(Clone, Debug, PartialEq)]
pub struct LevelRecord {
    /// Index into the scan's files.
    pub file: u32,
    /// Byte offset of the record head (the same key as the scan's `Hit::record`).
    pub record: u64,
    /// 1-based line of the head.
    pub line: u64,
    /// Level.
    pub level: Level,
    /// The record's time (`None`: undated).
    pub time: Option<DateTime<Utc>>,
    /// The message: the head line after its prefix (JSON: the `message` field); read it
    /// with [`LevelRecord::message`].
    pub message: Message,
    /// The exception class named in the record (deepest `Caused by:` first).
    pub exception: Option<Box<str>>,
    /// The head line (lossy UTF-8), cut at [`crate::record::excerpt::EXCERPT_MAX`] bytes or where the
    /// message ends, whichever is later; shown as [`LevelRecord::excerpt`].
    pub head: Box<str>,
}

/// A record's message, stored without repeating the head line: usually the message is the
/// head line after its prefix, so only where it starts is kept. Unknown records are the one
/// thing a scan holds per error/warning line (issue 7: memory grows with hits, not input);
/// this keeps one copy of each line instead of two (the bench's 350,000 nginx warnings:
/// ~710 → ~420 bytes each).
#[derive(Clone, Debug, PartialEq)]
pub enum Message {
    /// `head[at..]`.
    Tail(u32),
    /// A message that is not a tail of the head line (JSON `message` fields).
    Own(Box<str>),
}

impl Message {
    /// Stores `message` relative to `head`; `hint`: where it probably starts there.
    pub fn of(head: &str, message: &str, hint: Option<usize>) -> Message {
        let tail = |at: usize| head.get(at..) == Some(message);
        match hint
            .filter(|&at| tail(at))
            .or_else(|| head.len().checked_sub(message.len()).filter(|&at| tail(at)))
        {
            Some(at) => Message::Tail(at as u32),
            None => Message::Own(message.into()),
        }
    }
}

impl LevelRecord {
    /// The message.
    pub fn message(&self) -> &str {
        match &self.message {
            Message::Own(m) => m,
            Message::Tail(at) => &self.head[*at as usize..],
        }
    }

    /// The head line cut at [`crate::record::excerpt::EXCERPT_MAX`] bytes (never inside a character).
    pub fn excerpt(&self) -> &str {
        let mut cut = self.head.len().min(crate::record::excerpt::EXCERPT_MAX);
        while !self.head.is_char_boundary(cut) {
            cut -= 1;
        }
        &self.head[..cut]
    }
}

/// The serde form of a [`LevelRecord`] (partial results): the message is usually the head
/// line after its prefix, so it starts inside the excerpt (the head line cut at 300 bytes);
/// then only where it starts is written (`message_at`, a byte offset into `excerpt`) and
/// what goes on past the excerpt's end (`message_more`), which halves the records' size.
#[derive(Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LevelRecordForm<'a> {
    file: u32,
    record: u64,
    line: u64,
    level: Level,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    exception: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    excerpt: std::borrow::Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    message: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message_at: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    message_more: Option<std::borrow::Cow<'a, str>>,
}

impl Serialize for LevelRecord {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use std::borrow::Cow;
        let excerpt = self.excerpt();
        // The partial format (unchanged): the message as an offset into the excerpt plus
        // what follows the excerpt, or spelled out when it starts past the excerpt.
        let (own, at, more) = match &self.message {
            Message::Tail(at) if (*at as usize) <= excerpt.len() => {
                let more = &self.head[excerpt.len()..];
                (None, Some(*at as usize), (!more.is_empty()).then_some(more))
            }
            _ => (Some(self.message()), None, None),
        };
        LevelRecordForm {
            file: self.file,
            record: self.record,
            line: self.line,
            level: self.level,
            time: self.time,
            exception: self.exception.as_deref().map(Cow::Borrowed),
            excerpt: Cow::Borrowed(excerpt),
            message: own.map(Cow::Borrowed),
            message_at: at,
            message_more: more.map(Cow::Borrowed),
        }
        .serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for LevelRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<LevelRecord, D::Error> {
        let f = LevelRecordForm::deserialize(d)?;
        let (message, head) = match (f.message, f.message_at) {
            (Some(m), None) => (Message::Own(m.into()), f.excerpt.into()),
            (None, Some(at)) => {
                if f.excerpt.get(at..).is_none() {
                    return Err(serde::de::Error::custom("message_at outside the excerpt"));
                }
                let mut head = f.excerpt.into_owned();
                head.push_str(f.message_more.as_deref().unwrap_or(""));
                (Message::Tail(at as u32), head.into_boxed_str())
            }
            _ => {
                return Err(serde::de::Error::custom(
                    "a record needs one of message and message_at",
                ))
            }
        };
        Ok(LevelRecord {
            file: f.file,
            record: f.record,
            line: f.line,
            level: f.level,
            time: f.time,
            message,
            exception: f.exception.map(|e| e.into()),
            head,
        })
    }
}

/// Reads the stamp at the head of a line (the file's layout first), as the scan does.
pub type HeadParser<'a> = &'a dyn Fn(&[u8]) -> Option<(RawStamp, Format)>;

/// Turns a head stamp into a time, given the head's byte offset and its 1-based chunk line.
pub type Resolver<'a> = &'a mut dyn FnMut(&RawStamp, usize, u64) -> Option<DateTime<Utc>>;

/// The level of one record head line, for the catalog's precision rules (a signature's
/// `level`, the severity lowered on a WARN or INFO record: `catalog::Signature::severity_at`).
///
/// Error and warning come from the level pass's own automaton and rules, applied to this one
/// line: its first level match decides, inside [`LEVEL_WINDOW`] and with no other level word
/// before it ([`level_counts`]), so a hit's record has the level the pass gives it.
/// `FATAL`, `CRITICAL`, `CRIT`, `[crit]`, `[alert]`, `[emerg]` and glog `F` heads are
/// critical. A line without one is info when the pass's other level words
/// (`INFO`, `DEBUG`, `TRACE`, `NOTICE`, `[info]`, ...) sit in its window, or it carries an
/// Apache `[module:info]`-style bracket, a logfmt `level=info`/`debug`/`trace`, a .NET
/// console `info:`/`dbug:`/`trce:` head or a JSON level field with such a value; else
/// `None` (syslog, kernel and event-log lines name no level). Run once per record that has
/// a signature match, never per line.
pub fn line_level(line: &[u8]) -> Option<crate::catalog::RecordLevel> {
    use crate::catalog::RecordLevel;
    // The line's own dialect (numeric JSON levels, PRI, glog, logfmt, .NET console), then
    // the same candidates and rules the level pass applies to a whole chunk.
    let d = dialect::Dialect::sniff(std::iter::once(line), None);
    let first = dialect::candidates(line, &d).find(|&(at, _, kind)| {
        // A glog head's candidate starts at the newline before it; here the line is alone.
        let at = if kind == Kind::Glog { 0 } else { at };
        at <= line.len() && dialect::counts(kind, line, at)
    });
    if let Some((at, level, kind)) = first {
        let word = &line[at.min(line.len())..line.len().min(at + 12)];
        let glog_fatal = matches!(kind, Kind::Glog | Kind::GlogAfter | Kind::GlogStamped)
            && word.iter().find(|b| b.is_ascii_alphabetic()) == Some(&b'F');
        return Some(match level {
            Level::Warning => RecordLevel::Warning,
            Level::Error if glog_fatal || is_critical(word) => RecordLevel::Critical,
            Level::Error => RecordLevel::Error,
        });
    }
    info_words(line).then_some(RecordLevel::Info)
}

/// Is a matched error word one of the critical ones (`FATAL`, `CRIT`, `[emerg]`, ...)?
fn is_critical(word: &[u8]) -> bool {
    let w = word.to_ascii_uppercase();
    [&b"FATAL"[..], b"CRIT", b"ALERT", b"EMERG"]
        .iter()
        .any(|c| memchr::memmem::find(&w, c).is_some())
}

/// Does a line name an informational level ([`line_level`])?
fn info_words(line: &[u8]) -> bool {
    let window = &line[..line.len().min(LEVEL_WINDOW)];
    if dialect::other_level_before(window) {
        return true;
    }
    static WORDS: std::sync::LazyLock<Vec<memchr::memmem::Finder<'static>>> =
        std::sync::LazyLock::new(|| {
            [
                &b":info]"[..],
                b":notice]",
                b":debug]",
                b"level=info",
                b"level=debug",
                b"level=trace",
                b"level=INFO",
                b"level=DEBUG",
                b"level=TRACE",
            ]
            .into_iter()
            .map(memchr::memmem::Finder::new)
            .collect()
        });
    if WORDS.iter().any(|f| f.find(window).is_some()) {
        return true;
    }
    let trimmed = line.trim_ascii_start();
    if [&b"info: "[..], b"dbug: ", b"trce: "]
        .iter()
        .any(|w| trimmed.starts_with(w))
    {
        return true;
    }
    // A JSON record: a level field with an info value, anywhere in the object.
    if trimmed.first() == Some(&b'{') {
        for value in [
            &b"\"info\""[..],
            b"\"INFO\"",
            b"\"Info\"",
            b"\"debug\"",
            b"\"DEBUG\"",
            b"\"Debug\"",
            b"\"trace\"",
            b"\"TRACE\"",
            b"\"notice\"",
            b"\"Information\"",
        ] {
            let mut from = 0;
            while let Some(i) = memchr::memmem::find(&line[from..], value) {
                if dialect::json_level_key(line, from + i) {
                    return true;
                }
                from += i + 1;
            }
        }
    }
    false
}

/// Runs the level pass over `buf[range]` (its dialect sniffed from the range's first 64
/// lines, as the scan sniffs a file's) and returns the error/warning record heads, with
/// chunk-relative line numbers (1-based from `range.start`). `parse_head` reads a line's
/// head stamp; `resolve` turns a stamp into a time (and does the zone bookkeeping) given the
/// head's byte offset and its 1-based chunk line.
pub fn level_pass(
    file: u32,
    buf: &[u8],
    range: Range<usize>,
    format: Option<Format>,
    parse_head: HeadParser,
    resolve: Resolver,
) -> Vec<LevelRecord> {
    let head = &buf[range.start..range.end.min(range.start + 64 * 1024)];
    let pass = LevelPass {
        format,
        dialect: Dialect::sniff(head.split(|c| *c == b'\n').take(64), format),
        parse_head,
        known: &|_| false,
        skip: &|_| false,
    };
    pass.run(file, buf, range, resolve).0
}

/// How one file's level pass runs.
pub struct LevelPass<'a> {
    /// The file's timestamp format.
    pub format: Option<Format>,
    /// Which level syntaxes the file uses.
    pub dialect: Dialect,
    /// Reads the stamp at the head of a line.
    pub parse_head: HeadParser<'a>,
    /// Records (by head offset) a signature already matched: counted, not built. On a
    /// dense log most error records are signature hits, and their message, exception and
    /// head line would be built only to be dropped.
    pub known: &'a dyn Fn(u64) -> bool,
    /// Lines that are no level record whatever they say (an access log's requests).
    pub skip: &'a dyn Fn(&[u8]) -> bool,
}

impl LevelPass<'_> {
    /// Runs over `buf[range]`: the records built (not `known`) and the counts of all
    /// error/warning records (built or only counted).
    pub fn run(
        &self,
        file: u32,
        buf: &[u8],
        range: Range<usize>,
        resolve: Resolver,
    ) -> (Vec<LevelRecord>, LevelCounts) {
        let mut out = Vec::new();
        let counts = self.run_each(file, buf, range, resolve, &mut |r| out.push(r));
        (out, counts)
    }

    /// [`LevelPass::run`] that hands each record built to `sink` as it is met, in offset
    /// order, instead of collecting them: the scan summarises unknown records as it meets
    /// them (a chunk of a warning-only log is 100,000 records; collected they were ~45 MB
    /// per chunk in flight). Returns the counts of all error/warning records.
    pub fn run_each(
        &self,
        file: u32,
        buf: &[u8],
        range: Range<usize>,
        resolve: Resolver,
        sink: &mut dyn FnMut(LevelRecord),
    ) -> LevelCounts {
        let mut counts = LevelCounts::default();
        if self.format == Some(Format::Clf) {
            return counts;
        }
        let hay = &buf[range.clone()];
        let mut line_cursor = range.start;
        let mut line_no = 0u64;
        let mut last_line: Option<usize> = None;
        for (at_in_hay, level, kind) in dialect::candidates(hay, &self.dialect) {
            let pos = range.start + at_in_hay;
            let ls = record::line_start(buf, pos).max(range.start);
            if last_line == Some(ls) {
                continue; // one level per line: the first that counted (or was refused)
            }
            last_line = Some(ls);
            let le = record::line_end(buf, ls);
            let line = record::trim_cr(&buf[ls..le]);
            if !dialect::counts(kind, line, pos - ls) || (self.skip)(line) {
                continue;
            }
            let stamp = (self.parse_head)(line);
            let glog = matches!(kind, Kind::Glog | Kind::Pri);
            if stamp.is_none() && self.format.is_some() && !glog {
                continue; // a continuation line: not a record head
            }
            line_no += bytecount::count(&buf[line_cursor..ls], b'\n') as u64;
            line_cursor = ls;
            let time = stamp.and_then(|(st, _)| resolve(&st, ls, line_no + 1));
            match level {
                Level::Error => counts.error += 1,
                Level::Warning => counts.warning += 1,
            }
            if (self.known)(ls as u64) {
                continue;
            }
            let (message, exception, hint) =
                message_of(buf, line, le, kind, self.format, self.parse_head);
            // The head line as far as the excerpt or the message reaches, whichever is
            // later, so the message is a tail of it.
            let head = lossy(
                line,
                crate::record::excerpt::EXCERPT_MAX.max(hint.map_or(0, |h| h + MESSAGE_MAX)),
            );
            sink(LevelRecord {
                file,
                record: ls as u64,
                line: line_no + 1,
                level,
                time,
                message: Message::of(&head, &message, hint),
                exception,
                head,
            });
        }
        counts
    }
}

/// The message, exception class and message start (in `line`, when the message is a tail
/// of it) of the record whose head `line` ends at `le`: a JSON record's fields; an ASP.NET
/// Core console entry's first indented line; else the line after its prefix and the class
/// its continuation lines name.
fn message_of(
    buf: &[u8],
    line: &[u8],
    le: usize,
    kind: Kind,
    format: Option<Format>,
    parse_head: HeadParser,
) -> (Box<str>, Option<Box<str>>, Option<usize>) {
    if matches!(kind, Kind::Json | Kind::JsonNumber) || dialect::is_json_line(line) {
        let (m, e) = json_message(line);
        return (m, e, None);
    }
    let exception = trace_exception(buf, le, format, parse_head).map(Into::into);
    if kind == Kind::Dotnet {
        // `fail: Category[EventId]` and the message on the next, indented line
        // (SimpleConsoleFormatter writes 6 spaces).
        let next = le + 1;
        if next < buf.len() {
            let nl = record::trim_cr(&buf[next..record::line_end(buf, next)]);
            let body = nl.trim_ascii_start();
            if body.len() < nl.len() && !body.is_empty() {
                return (lossy(body, MESSAGE_MAX), exception, None);
            }
        }
    }
    let msg = record::strip_prefix(line);
    (
        lossy(msg, MESSAGE_MAX),
        exception,
        // `msg` is a tail of `line`: where it starts, if the excerpt kept the bytes.
        Some(line.len() - msg.len()),
    )
}

fn lossy(b: &[u8], max: usize) -> Box<str> {
    let mut cut = b.len().min(max);
    while cut < b.len() && cut > 0 && (b[cut] & 0xC0) == 0x80 {
        cut -= 1;
    }
    crate::record::excerpt::lossy_box(&b[..cut])
}

/// The exception class of a record from its continuation lines: the deepest `Caused by:`,
/// else the first exception line.
fn trace_exception(
    buf: &[u8],
    head_end: usize,
    format: Option<Format>,
    parse_head: HeadParser,
) -> Option<String> {
    let mut first: Option<&str> = None;
    let mut deepest: Option<&str> = None;
    let mut pos = head_end + 1;
    let mut lines = 0;
    while pos < buf.len() && lines < TRACE_LINES && pos - head_end < TRACE_BYTES {
        let le = record::line_end(buf, pos);
        let line = record::trim_cr(&buf[pos..le]);
        let continuation = match format {
            Some(_) => parse_head(line).is_none(),
            // No stamps: only trace-shaped lines continue a record.
            None => {
                line.first().is_some_and(|c| *c == b'\t' || *c == b' ')
                    || line.starts_with(b"Caused by:")
                    || record::exception_class(line).is_some()
            }
        };
        if !continuation || line.is_empty() && format.is_none() {
            break;
        }
        if let Some(c) = record::exception_class(line) {
            if line.starts_with(b"Caused by:") {
                deepest = Some(c);
            } else if first.is_none() {
                first = Some(c);
            }
        }
        lines += 1;
        pos = le + 1;
    }
    deepest.or(first).map(str::to_string)
}

/// Keys of a JSON record's message, most specific first (Serilog CLEF `@m`/`@mt`,
/// journald `MESSAGE`, Docker's `log`).
pub const JSON_MESSAGE_KEYS: &[&str] = &[
    "message",
    "msg",
    "@m",
    "@mt",
    "MESSAGE",
    "log",
    "event",
    "error.message",
    "err.message",
];

/// Keys of a JSON record's stack trace or exception (pino `err.stack`, Serilog `@x`, ECS
/// `error.stack_trace`, logstash-logback `stack_trace`, Python `exc_info`).
pub const JSON_TRACE_KEYS: &[&str] = &[
    "stack_trace",
    "stacktrace",
    "exception",
    "@x",
    "error.stack_trace",
    "error.stack",
    "err.stack",
    "exc_info",
    "exception.stacktrace",
    "error",
];

/// Message and exception class of a JSON record (the object may follow a prefix such as a
/// kubectl timestamp).
fn json_message(line: &[u8]) -> (Box<str>, Option<Box<str>>) {
    let obj = memchr::memchr(b'{', line).map_or(line, |i| &line[i..]);
    let v: serde_json::Value = match serde_json::from_slice(obj) {
        Ok(v) => v,
        Err(_) => return (lossy(line, MESSAGE_MAX), None),
    };
    let field = |names: &[&str]| -> Option<String> {
        names.iter().find_map(|n| {
            // Nested (`err` → `stack`) or flat (`"error.message"`).
            let mut cur = v.get(*n).or_else(|| {
                let mut cur = &v;
                for part in n.split('.') {
                    cur = cur.get(part)?;
                }
                Some(cur)
            })?;
            if let serde_json::Value::Object(_) = cur {
                // `"exception": {"stacktrace": ...}`: the object is no text.
                cur = cur.get("stacktrace").or_else(|| cur.get("message"))?;
            }
            match cur {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            }
        })
    };
    let message = field(JSON_MESSAGE_KEYS).unwrap_or_default();
    let trace = field(JSON_TRACE_KEYS);
    let exception = trace.and_then(|t| {
        let mut first = None;
        let mut deepest = None;
        for l in t.lines() {
            if let Some(c) = record::exception_class(l.as_bytes()) {
                if l.trim_start().starts_with("Caused by:") {
                    deepest = Some(c.to_string());
                } else if first.is_none() {
                    first = Some(c.to_string());
                }
            }
        }
        deepest.or(first).map(String::into_boxed_str)
    });
    let first_line = message.lines().next().unwrap_or("");
    (lossy(first_line.as_bytes(), MESSAGE_MAX), exception)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_with_the_message_as_a_tail_of_the_excerpt() {
        let rec = |message: &str, excerpt: &str| LevelRecord {
            file: 3,
            record: 10,
            line: 2,
            level: Level::Error,
            time: Some("2019-08-21T00:12:54.339Z".parse().unwrap()),
            message: Message::of(excerpt, message, None),
            exception: None,
            head: excerpt.into(),
        };
        let tail = rec(
            "lock \"é\" failed",
            "2019-08-21 ERROR x : lock \"é\" failed",
        );
        let json = serde_json::to_string(&tail).unwrap();
        assert!(
            json.contains("\"message_at\":21") && !json.contains("\"message\""),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<LevelRecord>(&json).unwrap(), tail);
        let mut field = rec(
            "pay failed",
            "{\"message\":\"pay failed\",\"level\":\"ERROR\"}",
        );
        field.exception = Some("a.b.PayException".into());
        field.time = None;
        let json = serde_json::to_string(&field).unwrap();
        assert!(json.contains("\"message\":\"pay failed\""), "{json}");
        assert_eq!(serde_json::from_str::<LevelRecord>(&json).unwrap(), field);
        // A long line: the excerpt is cut, the message goes on past it.
        let long = format!("upstream timed out {}", "x".repeat(400));
        let line = format!("2019/08/21 00:00:02 [warn] 31#31: {long}");
        let cut = rec(&long, &line);
        assert_eq!(cut.excerpt(), &line[..300]);
        assert_eq!(cut.message(), long);
        assert!(
            matches!(cut.message, Message::Tail(34)),
            "one copy of the line"
        );
        let json = serde_json::to_string(&cut).unwrap();
        assert!(json.contains("\"message_at\":34") && json.contains("\"message_more\""));
        assert_eq!(serde_json::from_str::<LevelRecord>(&json).unwrap(), cut);
        assert_eq!(
            serde_json::from_str::<LevelRecord>(&serde_json::to_string(&rec("", "x")).unwrap())
                .unwrap(),
            rec("", "x")
        );
        let bad = json.replace("\"message_at\":34", "\"message_at\":999");
        assert!(serde_json::from_str::<LevelRecord>(&bad).is_err());
    }

    fn run(text: &str, format: Option<Format>) -> Vec<LevelRecord> {
        let buf = text.as_bytes();
        level_pass(
            0,
            buf,
            0..buf.len(),
            format,
            &|l| record::header_stamp(l, format),
            &mut |_, _, _| None,
        )
    }

    #[test]
    fn levels_on_record_heads_only() {
        let text = "\
2019-08-21 08:47:10.412 ERROR 5120 --- [main] c.e.Ledger : lock failed\n\
com.example.ledger.LedgerLockException: ledger 42 locked by batch-7\n\
\tat c.e.Ledger.lock(Ledger.java:1)\n\
Caused by: java.util.concurrent.TimeoutException: WARN timeout\n\
2019-08-21 08:47:11.000  INFO 5120 --- [main] c.e.Ledger : processed 3 ERROR items\n\
2019-08-21 08:47:12.000  WARN 5120 --- [main] c.e.Ledger : slow commit\n";
        let recs = run(text, Some(Format::BootLogback));
        assert_eq!(recs.len(), 2, "{recs:#?}");
        assert_eq!(recs[0].level, Level::Error);
        assert_eq!(recs[0].line, 1);
        assert_eq!(recs[0].message(), "lock failed");
        assert_eq!(
            recs[0].exception.as_deref(),
            Some("java.util.concurrent.TimeoutException")
        );
        assert_eq!(recs[1].level, Level::Warning);
        assert_eq!(recs[1].line, 6);
        assert_eq!(recs[1].message(), "slow commit");
    }

    #[test]
    fn nginx_json_glog_levels() {
        let nginx = "2019/08/21 08:00:00 [error] 31#31: *9 open() \"/x\" failed\n2019/08/21 08:00:01 [notice] 31#31: ok\n";
        let r = run(nginx, Some(Format::NginxError));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].message(), "open() <*> failed".replace("<*>", "\"/x\""));

        let json = "{\"@timestamp\":\"2019-08-21T00:00:00Z\",\"level\":\"ERROR\",\"message\":\"pay failed\",\"stack_trace\":\"a.b.PayException: x\\n\\tat a.b.C(C.java:1)\\n\"}\n\
{\"@timestamp\":\"2019-08-21T00:00:01Z\",\"level\":\"INFO\",\"message\":\"ok\"}\n";
        let r = run(json, Some(Format::JsonLines));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].message(), "pay failed");
        assert_eq!(r[0].exception.as_deref(), Some("a.b.PayException"));

        let glog = "I1012 10:20:30.123456   1 main.go:1] fine\nE1012 10:20:31.123456   1 sync.go:12] sync failed: boom\nW1012 10:20:32.000000   1 x.go:2] slow\n";
        let r = run(glog, None);
        assert_eq!(r.len(), 1, "glog: E and F heads (W is read as no level)");
        assert_eq!(
            (r[0].level, r[0].message()),
            (Level::Error, "sync failed: boom")
        );
        // A head on the first line (no newline before it), CRLF, and the klog format.
        let glog = "F0101 00:00:01.000000   1 main.go:9] disk gone\r\nI0101 00:00:02.000000   1 main.go:1] fine\r\nE1231 23:59:59.000000   1 x.go:2] late\r\n";
        for format in [None, Some(Format::Klog)] {
            let r = run(glog, format);
            let got: Vec<(u64, &str)> = r.iter().map(|r| (r.line, r.message())).collect();
            assert_eq!(got, [(1, "disk gone"), (3, "late")], "{format:?}");
        }
        // Not heads: a glog-like word inside a line, a month 13.
        assert!(run("I0101 00:00:01.000000   1 a.go:1] saw E1012 in data\nE1312 00:00:01.000000   1 a.go:1] x\n", None).is_empty());
    }

    fn run_with(text: &str, format: Option<Format>, dialect: Dialect) -> Vec<LevelRecord> {
        let buf = text.as_bytes();
        let pass = LevelPass {
            format,
            dialect,
            parse_head: &|l| record::header_stamp(l, format),
            known: &|_| false,
            skip: &|_| false,
        };
        pass.run(0, buf, 0..buf.len(), &mut |_, _, _| None).0
    }

    /// (line, level, message) of each record.
    fn got(recs: &[LevelRecord]) -> Vec<(u64, Level, String)> {
        recs.iter()
            .map(|r| (r.line, r.level, r.message().to_string()))
            .collect()
    }

    #[test]
    fn numeric_json_levels_pino_bunyan_journald() {
        let pino = "{\"level\":30,\"time\":1725390761000,\"msg\":\"ok\"}\n\
{\"level\":50,\"time\":1725390761001,\"err\":{\"type\":\"Error\",\"message\":\"getaddrinfo EAI_AGAIN payments.internal\",\"stack\":\"Error: getaddrinfo EAI_AGAIN payments.internal\\n    at GetAddrInfoReqWrap.onlookup (node:dns:107:26)\"},\"msg\":\"charge failed\"}\n\
{\"level\":40,\"time\":1725390761002,\"msg\":\"slow request\"}\n\
{\"level\":60,\"time\":1725390761003,\"msg\":\"fatal\"}\n\
{\"level\":500,\"time\":1725390761004,\"msg\":\"not a level\"}\n";
        let sniff = |t: &str| Dialect::sniff(t.lines().map(str::as_bytes), None);
        assert_eq!(sniff(pino).numeric, Some(NumericLevel::Pino));
        assert_eq!(
            got(&run_with(pino, Some(Format::JsonEpoch), sniff(pino))),
            vec![
                (2, Level::Error, "charge failed".into()),
                (3, Level::Warning, "slow request".into()),
                (4, Level::Error, "fatal".into()),
            ]
        );
        let journald = "{\"__REALTIME_TIMESTAMP\":\"1718676182140000\",\"PRIORITY\":\"3\",\"MESSAGE\":\"Failed to start nginx.service\"}\n\
{\"__REALTIME_TIMESTAMP\":\"1718676182140001\",\"PRIORITY\":\"6\",\"MESSAGE\":\"Started\"}\n\
{\"__REALTIME_TIMESTAMP\":\"1718676182140002\",\"PRIORITY\":\"4\",\"MESSAGE\":\"low disk\"}\n";
        assert_eq!(
            got(&run_with(journald, None, sniff(journald))),
            vec![
                (1, Level::Error, "Failed to start nginx.service".into()),
                (3, Level::Warning, "low disk".into()),
            ]
        );
        // Re-serialised with spaces after the colons (Python's `json.dumps`), and a
        // `"level"` string value before the key.
        let spaced = "{\"msg\": \"level\", \"level\": 30, \"time\": 1725390761000}\n\
{\"msg\": \"level\", \"level\" : 50, \"time\": 1725390761001}\n";
        assert_eq!(sniff(spaced).numeric, Some(NumericLevel::Pino));
        assert_eq!(
            got(&run_with(spaced, Some(Format::JsonEpoch), sniff(spaced)))
                .iter()
                .map(|g| (g.0, g.1))
                .collect::<Vec<_>>(),
            vec![(2, Level::Error)]
        );
        let journald = "{\"PRIORITY\": \"6\", \"MESSAGE\": \"Started\"}\n{\"PRIORITY\": \"2\", \"MESSAGE\": \"Failed\"}\n";
        assert_eq!(sniff(journald).numeric, Some(NumericLevel::Journald));
        assert_eq!(
            got(&run_with(journald, None, sniff(journald))),
            vec![(2, Level::Error, "Failed".into())]
        );
    }

    #[test]
    fn syslog_pri_levels() {
        let text = "<11>Oct 11 22:14:15 host app: disk failed\n<12>Oct 11 22:14:16 host app: disk slow\n<14>Oct 11 22:14:17 host app: fine\n<165>1 2003-10-11T22:14:15.003Z host app 1 - - info\n<131>1 2003-10-11T22:14:15.003Z host app 1 - - local0 err\n";
        let d = Dialect::sniff(text.lines().map(str::as_bytes), None);
        assert!(d.pri);
        assert_eq!(
            got(&run_with(text, None, d))
                .into_iter()
                .map(|g| (g.0, g.1))
                .collect::<Vec<_>>(),
            vec![(1, Level::Error), (2, Level::Warning), (5, Level::Error)]
        );
    }

    #[test]
    fn json_word_levels_under_any_level_key() {
        for (line, level) in [
            ("{\"level\":\"error\",\"msg\":\"m\"}", Level::Error),
            ("{\"severity\":\"ERROR\",\"message\":\"m\"}", Level::Error),
            ("{\"@t\":\"2024-01-01T00:00:00Z\",\"@l\":\"Warning\",\"@mt\":\"m {X}\",\"@m\":\"m\"}", Level::Warning),
            ("{\"lvl\":\"crit\",\"msg\":\"m\"}", Level::Error),
            ("{\"log.level\":\"warn\",\"message\":\"m\"}", Level::Warning),
            ("{\"log\":{\"level\":\"error\"},\"message\":\"m\"}", Level::Error),
            ("2024-06-18T02:03:02.140Z {\"level\":\"error\",\"msg\":\"m\"}", Level::Error),
        ] {
            let r = run(&format!("{line}\n"), None);
            assert_eq!(got(&r), vec![(1, level, "m".into())], "{line}");
        }
        // A level word as a value of another key is no level.
        assert!(run("{\"level\":\"info\",\"msg\":\"error\"}\n", None).is_empty());
    }

    #[test]
    fn aspnet_core_console_two_line_entries() {
        let text = "2024-02-20 13:03:15.310 fail: Microsoft.EntityFrameworkCore.Database.Command[20102]\n      Failed executing DbCommand (30,248 ms) [Parameters=[], CommandType='Text']\n      SELECT 1\n2024-02-20 13:03:15.311 info: Microsoft.Hosting.Lifetime[0]\n      Now listening\n2024-02-20 13:03:16.000 warn: Microsoft.AspNetCore.Server.Kestrel[22]\n      Heartbeat took longer than \"00:00:01\"\n";
        let r = run(text, Some(Format::DateTimeSeconds));
        assert_eq!(
            got(&r),
            vec![
                (
                    1,
                    Level::Error,
                    "Failed executing DbCommand (30,248 ms) [Parameters=[], CommandType='Text']"
                        .into()
                ),
                (
                    6,
                    Level::Warning,
                    "Heartbeat took longer than \"00:00:01\"".into()
                ),
            ]
        );
        // Without a timestamp format (the default console), and `crit:`.
        let text = "crit: Microsoft.AspNetCore.Hosting.Diagnostics[6]\n      Application startup exception\n      System.InvalidOperationException: boom\n";
        let r = run(text, None);
        assert_eq!(
            got(&r),
            vec![(1, Level::Error, "Application startup exception".into())]
        );
        assert_eq!(
            r[0].exception.as_deref(),
            Some("System.InvalidOperationException")
        );
        // `fail:` in a message is not a level.
        assert!(run(
            "2024-02-20 13:03:15.310 info: X[0] test fail: nothing\n",
            Some(Format::DateTimeSeconds)
        )
        .is_empty());
    }

    #[test]
    fn python_logging_and_celery_prefixes() {
        let r = run(
            "ERROR:root:payment failed\nINFO:root:ok\nWARNING:urllib3.connectionpool:Retrying\n",
            None,
        );
        assert_eq!(
            got(&r).iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(),
            vec![(1, Level::Error), (3, Level::Warning)]
        );
        let django =
            "2024-05-14 09:47:16,080 ERROR django.request Internal Server Error: /api/orders/\n";
        assert_eq!(run(django, Some(Format::CommaMillis)).len(), 1);
        let celery = "[2024-05-14 09:47:16,080: ERROR/ForkPoolWorker-3] Task shop.tasks.push[c4e9] raised unexpected: LedgerLocked()\n[2024-05-14 09:47:17,000: INFO/MainProcess] Task received\n[2024-05-14 09:47:18,000: WARNING/ForkPoolWorker-3] soft time limit\n";
        let r = run(celery, None);
        assert_eq!(
            got(&r).iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(),
            vec![(1, Level::Error), (3, Level::Warning)]
        );
    }

    #[test]
    fn go_zap_logrus_slog_log15_text_forms() {
        for (line, level) in [
            ("2024-06-18T04:12:31.442Z\tERROR\tcheckout/main.go:42\tdial failed\t{\"error\": \"connection refused\"}", Level::Error),
            ("time=\"2024-06-18T04:12:31Z\" level=error msg=\"dial failed\"", Level::Error),
            ("time=\"2024-06-18T04:12:31Z\" level=warning msg=\"slow\"", Level::Warning),
            ("ERRO[0042] dial failed                                  error=\"refused\"", Level::Error),
            ("time=2024-06-18T04:12:31.000Z level=ERROR msg=\"dial failed\" err=refused", Level::Error),
            ("t=2024-06-18T04:12:31+0000 lvl=eror msg=\"dial failed\"", Level::Error),
        ] {
            let r = run(&format!("{line}\n"), None);
            assert_eq!(r.iter().map(|r| r.level).collect::<Vec<_>>(), vec![level], "{line}");
        }
        assert!(run(
            "time=\"2024-06-18T04:12:31Z\" level=info msg=\"errors=0\"\n",
            None
        )
        .is_empty());
    }

    #[test]
    fn glog_warning_heads_and_wrapped_heads() {
        let klog = "I1012 10:20:30.123456   1 main.go:1] fine\nW1012 10:20:32.000000   1 x.go:2] slow\nE1012 10:20:33.000000   1 x.go:3] failed\n";
        let d = Dialect::sniff(std::iter::empty(), Some(Format::Klog));
        let r = run_with(klog, Some(Format::Klog), d);
        assert_eq!(
            got(&r).iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(),
            vec![(2, Level::Warning), (3, Level::Error)]
        );
        // kubelet through journald, a static pod's CRI file.
        let journal = "Jun 18 04:00:00 node-2 kubelet[1187]: E0618 04:00:00.773302    1187 kubelet_volumes.go:245] \"orphaned pod\"\nJun 18 04:00:01 node-2 kubelet[1187]: I0618 04:00:01.000000    1187 a.go:1] fine\nJun 18 04:00:02 node-2 kubelet[1187]: W0618 04:00:02.000000    1187 a.go:1] slow\n";
        let r = run(journal, Some(Format::Syslog3164));
        assert_eq!(
            got(&r).iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(),
            vec![(1, Level::Error), (3, Level::Warning)]
        );
        let kubectl = "2024-06-18T01:58:02.000000068Z I0618 01:58:02.113201       7 controller.go:190] \"Configuration changes detected\"\n2024-06-18T01:58:03.000000068Z E0618 01:58:03.113201       7 controller.go:191] \"Error reloading NGINX\"\n2024-06-18T01:58:04.000000068Z 10.0.0.4 - - [18/Jun/2024:01:58:04 +0000] \"GET /ERROR HTTP/2.0\" 200 1 \"-\" \"-\"\n";
        let d = Dialect::sniff(
            kubectl.lines().map(str::as_bytes),
            Some(Format::Iso8601Offset),
        );
        assert!(d.glog_stamped);
        // The access line's `/ERROR` is a level only when nothing says the line is a request.
        let r = run_with(kubectl, Some(Format::Iso8601Offset), d);
        assert_eq!(
            got(&r).iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(),
            vec![(2, Level::Error), (3, Level::Error)]
        );
        let pass = LevelPass {
            format: Some(Format::Iso8601Offset),
            dialect: d,
            parse_head: &|l| record::header_stamp(l, Some(Format::Iso8601Offset)),
            known: &|_| false,
            skip: &|l| memchr::memmem::find(l, b" HTTP/").is_some(),
        };
        let buf = kubectl.as_bytes();
        let (r, counts) = pass.run(0, buf, 0..buf.len(), &mut |_, _, _| None);
        assert_eq!(
            got(&r).iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(),
            vec![(2, Level::Error)]
        );
        assert_eq!(
            counts,
            LevelCounts {
                error: 1,
                warning: 0
            }
        );
        let cri = "2024-06-18T04:12:31.442118Z stderr F E0618 04:12:31.442118       1 controller.go:9] sync failed\n2024-06-18T04:12:31.442119Z stderr F I0618 04:12:31.442119       1 controller.go:9] ok\n";
        let r = run(cri, Some(Format::Cri));
        assert_eq!(
            got(&r).iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(),
            vec![(1, Level::Error)]
        );
    }

    /// A head line's level for the catalog's rules: the pass's error/warning words with its
    /// rules, the critical ones apart, and the informational words.
    #[test]
    fn line_levels() {
        use crate::catalog::RecordLevel::*;
        for (line, want) in [
            (
                "2024-03-02 09:14:11.123  INFO 1 --- [main] x : 0 ERRORs",
                Some(Info),
            ),
            (
                "2024-03-02 09:14:11.123  INFO 1 --- [main] x : saw an ERROR upstream",
                Some(Info),
            ),
            (
                "2024/03/02 09:14:11 [emerg] 1021#1021: bind() to",
                Some(Critical),
            ),
            (
                "2024/03/02 09:14:11 [crit] 1021#1021: *1 SSL_do_handshake()",
                Some(Critical),
            ),
            (
                "2024/03/02 09:14:11 [error] 1021#1021: *1 connect()",
                Some(Error),
            ),
            (
                "2024/03/02 09:14:11 [info] 1021#1021: *1 recv() failed",
                Some(Info),
            ),
            (
                "Mar  2 09:14:11 ftp01 pure-ftpd: (?@1.2.3.4) [INFO] Too many",
                Some(Info),
            ),
            (
                "[02-Mar-2024 09:14:11] WARNING: [pool www] server reached",
                Some(Warning),
            ),
            (
                "2024-03-02 09:14:11 UTC [4412] FATAL:  sorry, too many",
                Some(Critical),
            ),
            (
                "[Sat Mar 02 09:14:11.123 2024] [ssl:info] [pid 1021] AH01964: Connection",
                Some(Info),
            ),
            (
                "[Sat Mar 02 09:14:11.123 2024] [proxy:error] [pid 1021] AH00957: connect",
                Some(Error),
            ),
            (r#"{"level":"error","msg":"x"}"#, Some(Error)),
            (r#"{"msg":"x","level":"info","t":1}"#, Some(Info)),
            (r#"{"msg":"level info","t":"info"}"#, None),
            ("ts=2024 level=debug msg=x", Some(Info)),
            (
                "info: Microsoft.Hosting.Lifetime[0] Now listening",
                Some(Info),
            ),
            (
                "F0101 00:00:01.000000   1 main.go:9] disk gone",
                Some(Critical),
            ),
            (
                "E0101 00:00:01.000000   1 main.go:9] sync failed",
                Some(Error),
            ),
            // PostgreSQL's LOG is not informational (log_min_messages ranks it above ERROR).
            (
                "2024-03-02 09:14:11 UTC [4412] LOG:  checkpoint starting",
                None,
            ),
            ("java.net.ConnectException: Connection refused", None),
            (
                "Mar  2 09:14:11 web01 kernel: Out of memory: Killed process 1",
                None,
            ),
            (
                "Error,8/21/2019 8:47:10 AM,Service Control Manager,7031",
                None,
            ),
        ] {
            assert_eq!(line_level(line.as_bytes()), want, "{line}");
        }
    }

    #[test]
    fn access_logs_are_left_to_signatures() {
        let clf = "10.0.0.9 - - [21/Aug/2019:08:00:01 +0000] \"GET /ERROR HTTP/1.1\" 502 1\n";
        assert!(run(clf, Some(Format::Clf)).is_empty());
    }
}

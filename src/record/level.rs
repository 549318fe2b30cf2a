//! Record levels: which records are errors or warnings, read on the scan's whole-buffer
//! pass.
//!
//! Input: a chunk of a file buffer (the same one the signature automaton just ran over) and
//! the file's timestamp format. Output: one [`LevelRecord`] per error- or warning-level
//! record head, with its message (prefix stripped, see [`crate::record::strip_prefix`])
//! and the exception class named by its continuation lines.
//!
//! How: a second, small `regex_automata::meta::Regex` holds the level literals (never a
//! per-line loop): bare `ERROR`/`FATAL`/`SEVERE`/`CRITICAL`/`CRIT`/`WARN`/`WARNING` words,
//! nginx/Apache `[error]`/`[crit]`/`[alert]`/`[emerg]`/`[warn]` and Apache 2.4
//! `[module:error]`, JSON `"level":"error"`-style fields (case variants spelled out: a
//! `(?i)` flag would expand into hundreds of literals and switch the prefilter off), and
//! glog/klog heads (`E1012 10:20:30.123456 ...`). A match counts only when:
//! - its line is a record head (the line carries the file's timestamp, see
//!   [`crate::record::header_stamp`]; in a file with no detected format every line is its
//!   own record): a record's level is its head's, and a `WARN` inside a stack trace or a
//!   message body is not a level;
//! - a bare word or bracket sits in the line's first [`LEVEL_WINDOW`] bytes and no other
//!   level word (`INFO`, `DEBUG`, ...) comes before it (`INFO ... 0 ERRORs` is info);
//! - a JSON field is on a line that is a JSON object.
//!
//! Access logs (CLF) are skipped: their HTTP 5xx are the `http-5xx-access-log` signature.

use crate::record;
use crate::time::{Format, RawStamp};
use chrono::{DateTime, Utc};
use regex_automata::meta;
use serde::Serialize;
use std::ops::Range;
use std::sync::OnceLock;

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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `ERROR`, `WARN` as a word.
    Word,
    /// `[error]`, `[core:error]`.
    Bracket,
    /// `"level":"error"`.
    Json,
    /// `E1012 10:20:30`.
    Glog,
}

/// The compiled level patterns.
pub struct LevelMatcher {
    regex: meta::Regex,
    kinds: Vec<(Level, Kind)>,
}

/// The level patterns: (regex, level, kind). Together they keep at most 64 prefix
/// literals (a Teddy prefilter); JSON values are matched as `"error"` and their key is
/// checked at the match (`"level"`, `"severity"`, ... see [`json_level_key`]).
fn patterns() -> Vec<(&'static str, Level, Kind)> {
    let e = Level::Error;
    let w = Level::Warning;
    vec![
        (
            r"(?-u:\b)(?:ERROR|FATAL|SEVERE|CRITICAL|CRIT)(?-u:\b)",
            e,
            Kind::Word,
        ),
        (r"(?-u:\b)WARN(?:ING)?(?-u:\b)", w, Kind::Word),
        (r"[\[:](?:error|crit|alert|emerg)\]", e, Kind::Bracket),
        (r"[\[:]warn\]", w, Kind::Bracket),
        (
            r#""(?:error|ERROR|Error|fatal|FATAL|Fatal|critical|CRITICAL|crit|CRIT)""#,
            e,
            Kind::Json,
        ),
        (
            r#""(?:warn|WARN|Warn|warning|WARNING|Warning)""#,
            w,
            Kind::Json,
        ),
        // The newline before a glog head is part of the pattern so that its literals are
        // 4 bytes (`\nE10`), like every other level literal: one 3-byte literal (`E10`)
        // shortened the whole Teddy fingerprint to 3 bytes and let hex ids, `0xE10` and
        // `F12345` through as candidates (the level pass was 11 % of a profile of the bench
        // .gz corpus). A head on the range's first line has no newline before it and is
        // checked apart ([`first_line_glog`]).
        (r"\n[EF](?:0[1-9]|1[0-2])", e, Kind::Glog),
    ]
}

/// A glog/klog error head (`E1012 ...`, `F0101 ...`) at the very start of `hay`, which the
/// level pattern (anchored on the newline before a head) cannot see.
fn first_line_glog(hay: &[u8]) -> bool {
    matches!(
        hay,
        [b'E' | b'F', b'0', b'1'..=b'9', ..] | [b'E' | b'F', b'1', b'0'..=b'2', ..]
    )
}

/// Is the JSON string value starting at `at` the value of a level key (`"level":"error"`,
/// `"severity": "ERROR"`, `"log.level":"warn"`)?
fn json_level_key(line: &[u8], at: usize) -> bool {
    let mut i = at;
    while i > 0 && line[i - 1] == b' ' {
        i -= 1;
    }
    if i == 0 || line[i - 1] != b':' {
        return false;
    }
    i -= 1;
    while i > 0 && line[i - 1] == b' ' {
        i -= 1;
    }
    let before = &line[..i];
    [
        &b"\"level\""[..],
        b"\"severity\"",
        b"\"lvl\"",
        b"\"levelname\"",
        b"\"log.level\"",
        b"\"loglevel\"",
    ]
    .iter()
    .any(|k| before.ends_with(k))
}

/// The shared level matcher (compiled once).
pub fn matcher() -> &'static LevelMatcher {
    static M: OnceLock<LevelMatcher> = OnceLock::new();
    M.get_or_init(|| {
        let pats = patterns();
        let srcs: Vec<&str> = pats.iter().map(|p| p.0).collect();
        let regex = meta::Builder::new()
            .syntax(regex_automata::util::syntax::Config::new().utf8(false))
            .configure(meta::Config::new().utf8_empty(false))
            .build_many(&srcs)
            .expect("level patterns compile");
        LevelMatcher {
            regex,
            kinds: pats.iter().map(|p| (p.1, p.2)).collect(),
        }
    })
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

/// Runs the level automaton over `buf[range]` and returns the error/warning record heads,
/// with chunk-relative line numbers (1-based from `range.start`). `parse_head` reads a
/// line's head stamp; `resolve` turns a stamp into a time (and does the zone bookkeeping)
/// given the head's byte offset and its 1-based chunk line.
pub fn level_pass(
    file: u32,
    buf: &[u8],
    range: Range<usize>,
    format: Option<Format>,
    parse_head: HeadParser,
    resolve: Resolver,
) -> Vec<LevelRecord> {
    level_pass_except(file, buf, range, format, parse_head, resolve, &|_| false).0
}

/// [`level_pass`] that only counts the records for which `known(head offset)` holds (a
/// signature already matched them, so they are not unknown) instead of building them: on a
/// dense log most error records are signature hits, and their message, exception and head
/// line would be built only to be dropped. Returns the records built and the count of all
/// error/warning records (built or only counted).
pub fn level_pass_except(
    file: u32,
    buf: &[u8],
    range: Range<usize>,
    format: Option<Format>,
    parse_head: HeadParser,
    resolve: Resolver,
    known: &dyn Fn(u64) -> bool,
) -> (Vec<LevelRecord>, u64) {
    let mut out = Vec::new();
    let count = level_pass_each(
        file,
        buf,
        range,
        format,
        parse_head,
        resolve,
        known,
        &mut |r| out.push(r),
    );
    (out, count)
}

/// [`level_pass_except`] that hands each record built to `sink` as it is met, in offset
/// order, instead of collecting them: the scan summarises unknown records as it meets them
/// (a chunk of a warning-only log is 100,000 records; collected they were ~45 MB per
/// chunk in flight). Returns the count of all error/warning records.
#[allow(clippy::too_many_arguments)]
pub fn level_pass_each(
    file: u32,
    buf: &[u8],
    range: Range<usize>,
    format: Option<Format>,
    parse_head: HeadParser,
    resolve: Resolver,
    known: &dyn Fn(u64) -> bool,
    sink: &mut dyn FnMut(LevelRecord),
) -> u64 {
    let mut count = 0u64;
    if format == Some(Format::Clf) {
        return 0;
    }
    let m = matcher();
    let hay = &buf[range.clone()];
    let mut line_cursor = range.start;
    let mut line_no = 0u64;
    let mut last_line: Option<usize> = None;
    let glog = m.kinds.iter().position(|k| k.1 == Kind::Glog);
    let first = glog.filter(|_| first_line_glog(hay)).map(|g| (0, g));
    let hits = m.regex.find_iter(hay).map(|hit| {
        let p = hit.pattern().as_usize();
        // A glog match starts at the newline before the head.
        (hit.start() + usize::from(Some(p) == glog), p)
    });
    for (at_in_hay, pattern) in first.into_iter().chain(hits) {
        let pos = range.start + at_in_hay;
        let ls = record::line_start(buf, pos).max(range.start);
        if last_line == Some(ls) {
            continue; // one level per line: the first that counted (or was refused)
        }
        last_line = Some(ls);
        let (level, kind) = m.kinds[pattern];
        let le = record::line_end(buf, ls);
        let line = record::trim_cr(&buf[ls..le]);
        let at = pos - ls;
        if !level_counts(kind, line, at) {
            continue;
        }
        let stamp = parse_head(line);
        if stamp.is_none() && format.is_some() && kind != Kind::Glog {
            continue; // a continuation line: not a record head
        }
        line_no += bytecount::count(&buf[line_cursor..ls], b'\n') as u64;
        line_cursor = ls;
        let time = stamp.and_then(|(st, _)| resolve(&st, ls, line_no + 1));
        count += 1;
        if known(ls as u64) {
            continue;
        }
        let (message, exception, hint) = message_of(buf, line, le, kind, format, parse_head);
        // The head line as far as the excerpt or the message reaches, whichever is later,
        // so the message is a tail of it.
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
    count
}

/// Does a level match of `kind` at `at` in `line` count as the line's level (see the
/// module docs: the window, no other level before it, a JSON object, a whole glog head)?
fn level_counts(kind: Kind, line: &[u8], at: usize) -> bool {
    match kind {
        Kind::Word | Kind::Bracket => at < LEVEL_WINDOW && !other_level_before(&line[..at]),
        Kind::Json => {
            line.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'{')
                && json_level_key(line, at)
        }
        // `E1012 10:20:30.123456 ...`: the rest of the head is checked here.
        Kind::Glog => {
            line.len() > 9
                && line[3..5].iter().all(u8::is_ascii_digit)
                && line[5] == b' '
                && line[8] == b':'
        }
    }
}

/// The message, exception class and message start (in `line`, when the message is a tail
/// of it) of the record whose head `line` ends at `le`: a JSON record's fields, else the
/// line after its prefix and the class its continuation lines name.
fn message_of(
    buf: &[u8],
    line: &[u8],
    le: usize,
    kind: Kind,
    format: Option<Format>,
    parse_head: HeadParser,
) -> (Box<str>, Option<Box<str>>, Option<usize>) {
    if kind == Kind::Json || line.first() == Some(&b'{') {
        let (m, e) = json_message(line);
        (m, e, None)
    } else {
        let msg = record::strip_prefix(line);
        (
            lossy(msg, MESSAGE_MAX),
            trace_exception(buf, le, format, parse_head).map(Into::into),
            // `msg` is a tail of `line`: where it starts, if the excerpt kept the bytes.
            Some(line.len() - msg.len()),
        )
    }
}

fn lossy(b: &[u8], max: usize) -> Box<str> {
    let mut cut = b.len().min(max);
    while cut < b.len() && cut > 0 && (b[cut] & 0xC0) == 0x80 {
        cut -= 1;
    }
    crate::record::excerpt::lossy_box(&b[..cut])
}

/// Another level word before the match (`INFO ... ERROR`): the line's level is that one.
fn other_level_before(prefix: &[u8]) -> bool {
    // Searchers built once: `memmem::find` builds one per call, and this runs per level
    // match (a warning-flooded nginx log has one per line).
    static OTHERS: std::sync::LazyLock<[memchr::memmem::Finder<'static>; 7]> =
        std::sync::LazyLock::new(|| {
            [
                &b"INFO"[..],
                b"DEBUG",
                b"TRACE",
                b"NOTICE",
                b"[info]",
                b"[debug]",
                b"[notice]",
            ]
            .map(memchr::memmem::Finder::new)
        });
    OTHERS.iter().any(|f| f.find(prefix).is_some())
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

/// Message and exception class of a JSON record (`message`/`msg`/`log` field;
/// `stack_trace`/`exception`/`error` field).
fn json_message(line: &[u8]) -> (Box<str>, Option<Box<str>>) {
    let v: serde_json::Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(_) => return (lossy(line, MESSAGE_MAX), None),
    };
    let field = |names: &[&str]| -> Option<String> {
        names.iter().find_map(|n| {
            let mut cur = &v;
            for part in n.split('.') {
                cur = cur.get(part)?;
            }
            match cur {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            }
        })
    };
    let message = field(&["message", "msg", "log", "event", "error.message"]).unwrap_or_default();
    let trace = field(&[
        "stack_trace",
        "stacktrace",
        "exception",
        "error.stack_trace",
        "error.stack",
        "exc_info",
        "error",
    ]);
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

    /// Prefilter hygiene, as for the catalog: every level pattern starts with a small,
    /// finite set of literals of at least 4 bytes (Teddy's fingerprint is as long as the
    /// shortest), or the level pass would run the lazy DFA over every byte.
    #[test]
    fn level_patterns_keep_a_literal_prefilter() {
        use regex_syntax::hir::literal::{ExtractKind, Extractor};
        let mut total = 0;
        for (p, _, _) in patterns() {
            let hir = regex_syntax::ParserBuilder::new()
                .utf8(false)
                .build()
                .parse(p)
                .unwrap();
            let mut seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
            seq.minimize_by_preference();
            let lits = seq
                .literals()
                .unwrap_or_else(|| panic!("`{p}` has no finite literal prefix set"));
            assert!(lits.len() <= 32, "`{p}` expands to {} prefixes", lits.len());
            for l in lits {
                assert!(l.len() >= 4, "`{p}` has a short prefix {l:?}");
            }
            total += lits.len();
        }
        assert!(
            total <= 64,
            "{total} prefix literals: more than Teddy takes"
        );
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

    #[test]
    fn access_logs_are_left_to_signatures() {
        let clf = "10.0.0.9 - - [21/Aug/2019:08:00:01 +0000] \"GET /ERROR HTTP/1.1\" 502 1\n";
        assert!(run(clf, Some(Format::Clf)).is_empty());
    }
}

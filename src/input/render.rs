//! Structured sources rendered into scannable text: Windows event logs, journald exports,
//! Kubernetes dumps become one text line per record, so the one automaton, the record walk,
//! the level pass and the time detection read them like any log (no second match path).
//!
//! Input: a file's bytes after decompression ([`binary`]: before the binary check, for
//! `.evtx` and `journalctl -o export`; [`text`]: after it, for the text and JSON forms).
//! Output: the same [`Opened`] with its bytes replaced by the rendering, [`Access`] naming the
//! source, notes and a partial-read problem (a damaged evtx chunk), and [`Part`]s when the
//! records belong to several services (a journal mixes units, a pod's `logs.txt` holds
//! several containers, an events dump names many objects).
//!
//! The rendered form of one record (docs/sources.md):
//!
//! ```text
//! 2024-05-14T09:12:01.1234567Z WARNING Tcpip[4227]: TCP/IP failed to establish ...
//!   a second message line, indented so it continues the record
//! ```
//!
//! an explicit UTC stamp (the source's own precision) at column 0, an upper-case level word
//! the level pass reads (`CRITICAL`, `ERROR`, `WARNING`, `NOTICE`, `INFO`, `DEBUG`, or `EVENT`
//! when the source names none: read as no level), a head
//! naming what wrote it (`Provider[EventID]`, `host identifier[pid]`, `Reason Kind/name`)
//! and the message. Continuation lines start with two spaces: a stamp is never read there.
//!
//! Tricky cases:
//! * Records are grouped by service (one [`Part`] each, services in name order) and ordered
//!   by time inside a part (stable: records of one instant keep the source's order), so a
//!   part reads as one time-ordered log. A record without a time cannot be placed: it is
//!   counted in a note, never silently dropped.
//! * Sniffing costs a look at the first bytes: every file passes here.

use crate::error::FileError;
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

use super::{Access, Buffer, Opened};

/// A level word the level pass and `catalog::guess_level` read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Level {
    Critical,
    Error,
    Warning,
    Notice,
    Info,
    Debug,
    /// The source names no level (`Get-WinEvent | Format-List` prints none): rendered as
    /// `EVENT`, which the level pass reads as no level. `INFO` would claim the writer judged
    /// the record informational, and the catalog's precision rules refuse error matches on
    /// informational records (docs/catalog.md).
    Unnamed,
}

impl Level {
    pub(super) fn word(self) -> &'static str {
        match self {
            Level::Critical => "CRITICAL",
            Level::Error => "ERROR",
            Level::Warning => "WARNING",
            Level::Notice => "NOTICE",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Unnamed => "EVENT",
        }
    }

    /// A syslog priority (journald `PRIORITY`, 0 emerg ... 7 debug).
    pub(super) fn from_syslog(p: u8) -> Level {
        match p {
            0..=2 => Level::Critical,
            3 => Level::Error,
            4 => Level::Warning,
            5 => Level::Notice,
            6 => Level::Info,
            _ => Level::Debug,
        }
    }
}

/// When a record happened: an instant, or a wall-clock reading without a zone (Event
/// Viewer's CSV and `wevtutil`'s text write local time): rendered naive, so the file's zone
/// rule (`--tz`, `--tz-for`) applies to it like to any naive log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stamp {
    Utc(DateTime<Utc>),
    Naive(NaiveDateTime),
}

impl Stamp {
    fn key(self) -> NaiveDateTime {
        match self {
            Stamp::Utc(t) => t.naive_utc(),
            Stamp::Naive(t) => t,
        }
    }

    pub(super) fn push(self, out: &mut String) {
        use std::fmt::Write as _;
        let _ = match self {
            Stamp::Utc(t) => write!(out, "{}", t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            Stamp::Naive(t) => write!(out, "{}", t.format("%Y-%m-%dT%H:%M:%S%.f")),
        };
    }
}

/// One record of a structured source.
#[derive(Clone, Debug)]
pub(super) struct Event {
    /// When it happened (`None`: no usable time; counted, not rendered).
    pub time: Option<Stamp>,
    /// Its level.
    pub level: Level,
    /// What wrote it: `Tcpip[4227]`, `web01 nginx[812]`, `BackOff Pod/web-1`.
    pub head: String,
    /// The message; further lines become indented continuation lines.
    pub message: String,
    /// The service it belongs to, when the source names one (`None`: the file's).
    pub service: Option<String>,
}

/// A run of the rendered text that belongs to one service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// Byte offset where the part starts (parts are contiguous and in order).
    pub start: usize,
    /// Its service (`None`: the file's own service).
    pub service: Option<String>,
}

/// Renders events into text (see the module docs for the form) and the parts by service.
pub(super) fn render(mut events: Vec<Event>) -> (Vec<u8>, Vec<Part>, u64) {
    let undated = events.iter().filter(|e| e.time.is_none()).count() as u64;
    events.retain(|e| e.time.is_some());
    // Group by service (name order, the file's own first), then time; stable, so records
    // of one instant keep the source's order.
    events.sort_by(|a, b| {
        (&a.service, a.time.map(Stamp::key)).cmp(&(&b.service, b.time.map(Stamp::key)))
    });
    let mut out = String::with_capacity(events.iter().map(|e| e.message.len() + 64).sum());
    let mut parts: Vec<Part> = Vec::new();
    for e in &events {
        if parts.last().is_none_or(|p| p.service != e.service) {
            parts.push(Part {
                start: out.len(),
                service: e.service.clone(),
            });
        }
        let Some(t) = e.time else { continue };
        t.push(&mut out);
        out.push(' ');
        out.push_str(e.level.word());
        out.push(' ');
        push_line(&mut out, &e.head);
        out.push(':');
        let mut lines = e
            .message
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.trim().is_empty());
        if let Some(first) = lines.next() {
            out.push(' ');
            push_line(&mut out, first.trim_start());
        }
        for l in lines {
            out.push_str("\n  ");
            push_line(&mut out, l);
        }
        out.push('\n');
    }
    // A single part of the file's own service is no split.
    if parts.len() == 1 && parts[0].service.is_none() {
        parts.clear();
    }
    (out.into_bytes(), parts, undated)
}

/// Appends `s` with control characters (a `\r`, a tab inside a head, a NUL from a binary
/// field) replaced by spaces, so one rendered line stays one line.
fn push_line(out: &mut String, s: &str) {
    if s.bytes().all(|c| c >= 0x20 || c == b'\t') {
        out.push_str(s);
    } else {
        out.extend(
            s.chars()
                .map(|c| if c.is_control() && c != '\t' { ' ' } else { c }),
        );
    }
}

/// What a renderer gives: its events, notes, and a problem that left part of the file
/// unread (the rest is still rendered).
pub(super) struct Decoded {
    pub events: Vec<Event>,
    pub notes: Vec<String>,
    pub problem: Option<FileError>,
}

/// Replaces `opened`'s bytes by the rendering of `d` and records how they were obtained.
fn apply(mut opened: Opened, d: Decoded, access: Access, what: &str, shown: &str) -> Opened {
    let n = d.events.len();
    let (text, parts, undated) = render(d.events);
    opened.notes.extend(d.notes);
    if undated > 0 {
        opened.notes.push(format!(
            "{shown}: {undated} {what} record(s) without a time were left out"
        ));
    }
    if n == 0 && opened.partial.is_none() && d.problem.is_none() {
        opened
            .notes
            .push(format!("{shown}: read as {what}, but it holds no records"));
    }
    if opened.partial.is_none() {
        opened.partial = d.problem;
    }
    opened.bytes = Buffer::Owned(text);
    opened.access = access;
    opened.parts = parts;
    opened
}

/// Binary sources, recognised by magic bytes before the binary check: `.evtx` (`ElfFile\0`)
/// and `journalctl -o export` (length-prefixed binary fields). `None`: not one of them.
pub(super) fn binary(
    bytes: &Buffer,
    access: Access,
    partial: &Option<FileError>,
    shown: &str,
) -> Option<Opened> {
    let shell = |access| Opened {
        bytes: Buffer::Owned(Vec::new()),
        access,
        partial: partial.clone(),
        notes: Vec::new(),
        mtime: None,
        parts: Vec::new(),
    };
    if bytes.starts_with(super::evtx::MAGIC) {
        let d = super::evtx::decode(bytes, shown);
        return Some(apply(shell(access), d, Access::Evtx, "evtx", shown));
    }
    if super::journal::is_export(bytes) {
        let d = super::journal::decode_export(bytes, shown);
        return Some(apply(
            shell(access),
            d,
            Access::Journal,
            "journal export",
            shown,
        ));
    }
    None
}

/// A text source recognised by content (from a file's first 8 KiB).
#[derive(Clone, Copy, Debug)]
enum TextKind {
    JournalJson(super::journal::JsonKind),
    JournalMonotonic,
    Kubernetes(super::k8s::Kind),
    WinEvent(super::winevent::Kind),
}

/// Which text source `head` (a file's first bytes) starts, if any.
fn sniff_text(head: &[u8]) -> Option<TextKind> {
    let head = &head[..head.len().min(8192)];
    // Every file passes here: the first byte that is not a BOM or whitespace says which
    // sniffers can apply (a log starting with a digit is only ever `kubectl logs
    // --timestamps`), so most files cost one short look.
    let first = head
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(head)
        .iter()
        .copied()
        .find(|c| !c.is_ascii_whitespace())?;
    if matches!(first, b'{' | 0x1e) {
        if let Some(kind) = super::journal::sniff_json(head) {
            return Some(TextKind::JournalJson(kind));
        }
    }
    if matches!(first, b'[' | b'-') && super::journal::sniff_monotonic(head) {
        return Some(TextKind::JournalMonotonic);
    }
    if first == b'[' {
        return None;
    }
    if let Some(kind) = super::k8s::sniff(head) {
        return Some(TextKind::Kubernetes(kind));
    }
    if first.is_ascii_digit() || first == b'{' {
        return None;
    }
    super::winevent::sniff(head).map(TextKind::WinEvent)
}

/// Does a file starting with `head` need rendering (binary or text form), i.e. must it be
/// read whole? A plain log does not: it can be scanned window by window.
pub(super) fn needs_whole(head: &[u8]) -> bool {
    head.starts_with(super::evtx::MAGIC)
        || super::journal::is_export(head)
        || sniff_text(head).is_some()
}

/// Text sources recognised by content: journald JSON, Kubernetes dumps, Windows event
/// exports. Anything else is returned unchanged.
pub(super) fn text(opened: Opened, shown: &str) -> Opened {
    let Some(kind) = sniff_text(&opened.bytes) else {
        return opened;
    };
    let buf: &[u8] = &opened.bytes;
    match kind {
        TextKind::JournalJson(kind) => {
            let d = super::journal::decode_json(buf, kind, shown);
            apply(opened, d, Access::Journal, "journal JSON", shown)
        }
        TextKind::JournalMonotonic => {
            let (text, notes) = super::journal::decode_monotonic(buf, opened.mtime, shown);
            let mut o = opened;
            o.bytes = Buffer::Owned(text);
            o.access = Access::Journal;
            o.notes.extend(notes);
            o
        }
        TextKind::Kubernetes(kind) => {
            let mtime = opened.mtime;
            match super::k8s::decode(buf, kind, mtime, shown) {
                super::k8s::Out::Events(d) => {
                    apply(opened, d, Access::Kubernetes, kind.what(), shown)
                }
                super::k8s::Out::Text(text, parts) => {
                    let mut o = opened;
                    o.bytes = Buffer::Owned(text);
                    o.parts = parts;
                    o.notes.push(format!(
                        "{shown}: read as {}: stamps of continuation lines removed",
                        kind.what()
                    ));
                    o
                }
                super::k8s::Out::Parts(parts) => {
                    let mut o = opened;
                    o.parts = parts;
                    o
                }
            }
        }
        TextKind::WinEvent(kind) => {
            let d = super::winevent::decode(buf, kind, shown);
            apply(opened, d, Access::WinEvent, kind.what(), shown)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t: &str, svc: Option<&str>, msg: &str) -> Event {
        Event {
            time: t.parse().ok().map(Stamp::Utc),
            level: Level::Warning,
            head: "Tcpip[4227]".into(),
            message: msg.into(),
            service: svc.map(str::to_string),
        }
    }

    #[test]
    fn renders_lines_parts_and_continuations() {
        let (text, parts, undated) = render(vec![
            ev("2024-05-14T09:12:02Z", Some("b"), "second"),
            ev("2024-05-14T09:12:01.5Z", Some("b"), "first\r\nmore\n\n"),
            ev("2024-05-14T09:12:00Z", Some("a"), "a one"),
            ev("x", Some("a"), "undated"),
        ]);
        let text = String::from_utf8(text).unwrap();
        assert_eq!(
            text,
            "2024-05-14T09:12:00Z WARNING Tcpip[4227]: a one\n\
             2024-05-14T09:12:01.500Z WARNING Tcpip[4227]: first\n  more\n\
             2024-05-14T09:12:02Z WARNING Tcpip[4227]: second\n"
        );
        assert_eq!(undated, 1);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].start, text.find("2024-05-14T09:12:01.5").unwrap());
        assert_eq!(parts[1].service.as_deref(), Some("b"));
        // One part of the file's own service is no split.
        let (_, parts, _) = render(vec![ev("2024-05-14T09:12:00Z", None, "x")]);
        assert!(parts.is_empty());
    }

    proptest::proptest! {
        /// Whatever the message holds, a record is one stamped line plus indented
        /// continuation lines: no line of the rendering but a record's first starts with a
        /// non-space byte, and every record's first line parses back to its time.
        #[test]
        fn any_message_stays_one_record(msgs in proptest::collection::vec(".{0,80}", 1..8)) {
            let t0: DateTime<Utc> = "2024-05-14T09:12:00Z".parse().unwrap();
            let events: Vec<Event> = msgs
                .iter()
                .enumerate()
                .map(|(i, m)| Event {
                    time: Some(Stamp::Utc(t0 + chrono::Duration::milliseconds(i as i64 * 1500))),
                    level: Level::Error,
                    head: "x[1]".into(),
                    message: m.clone(),
                    service: None,
                })
                .collect();
            let (text, _, _) = render(events);
            let text = String::from_utf8(text).unwrap();
            let heads: Vec<&str> = text.lines().filter(|l| !l.starts_with("  ")).collect();
            proptest::prop_assert_eq!(heads.len(), msgs.len());
            for (i, h) in heads.iter().enumerate() {
                let (st, f) = crate::time::parse_any(h.as_bytes()).unwrap();
                proptest::prop_assert_eq!(f, crate::time::Format::Iso8601Offset);
                let want = t0 + chrono::Duration::milliseconds(i as i64 * 1500);
                let crate::time::StampZone::Offset(off) = st.zone else {
                    return Err(proptest::test_runner::TestCaseError::fail("not explicit"));
                };
                proptest::prop_assert_eq!((st.naive - off).and_utc(), want);
            }
        }
    }
}

//! Where a line says its level, per file dialect: the candidates the level pass checks.
//!
//! Input: a chunk of a file and the file's [`Dialect`] (sniffed once per file from sampled
//! lines: JSON objects, text lines, syslog `<PRI>` heads, glog/klog heads). Output: level
//! candidates in byte order: (offset, level, [`Kind`]), checked by [`counts`].
//!
//! Two small automata, each within Teddy's budget (at most 64 prefix literals, all ≥ 4
//! bytes: a test checks it, docs/unknown-errors.md says why), run only on the files whose
//! dialect needs them:
//! - text: `ERROR`/`FATAL`/`SEVERE`/`CRITICAL`/`CRIT`, `WARN`/`WARNING` words; nginx/Apache
//!   `[error]`, `[core:error]`; logrus terminal `ERRO[0000]`; glog heads at a line start
//!   (`\nE0618`) and after a syslog tag or a CRI head (`]: E0618`, ` F E0618`);
//! - JSON: level values `"error"`/`"Warning"`... (the key is checked at the match: `level`,
//!   `severity`, `@l`, `lvl`, `log.level`...).
//!
//! Levels that sit at a known place of every line are read per line instead, for the files
//! whose sampled lines have them (as automaton literals they would make every line of such
//! files a candidate, and their 4-byte fingerprints — `leve`, `fail`, `warn` — would match
//! common words in every other file): syslog `<PRI>` (severity = PRI mod 8), glog heads in
//! klog files (`W` included) and after a leading stamp, logfmt `level=error` (logrus,
//! go-kit; log15 `lvl=eror`), ASP.NET Core console heads (`fail: `/`crit: `/`warn: `),
//! pino/bunyan numbers (`"level":50`) and journald's `"PRIORITY":"3"`.

use super::level::Level;
use crate::time::Format;
use regex_automata::meta;
use std::sync::OnceLock;

/// How a level is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `ERROR`, `WARN` as a word.
    Word,
    /// `[error]`, `[core:error]`.
    Bracket,
    /// `"level":"error"` and other JSON string values.
    Json,
    /// `"level":50` (pino, bunyan), `"PRIORITY":"3"` (journald), read per line.
    JsonNumber,
    /// `E1012 10:20:30.123456 ...` at a line start.
    Glog,
    /// A glog head after a syslog tag or CRI head (`]: E0618 ...`, ` F E0618 ...`); the
    /// match starts 3 bytes before the head.
    GlogAfter,
    /// A glog head after a leading stamp (read per line; the candidate is the head).
    GlogStamped,
    /// `level=error`, `lvl=eror`.
    Logfmt,
    /// logrus on a terminal: `ERRO[0000]`.
    Short,
    /// ASP.NET Core console: `fail: Category[id]` with the message on the next lines.
    Dotnet,
    /// Syslog `<PRI>` at a line start.
    Pri,
}

/// Which level syntaxes a file uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    /// Some lines are not JSON: run the text automaton.
    pub text: bool,
    /// Some lines hold a JSON object: run the JSON automaton.
    pub json: bool,
    /// Lines start with a syslog `<PRI>`.
    pub pri: bool,
    /// A glog/klog file: read every head's first letter (`W` included).
    pub glog: bool,
    /// glog heads after a stamp (`kubectl logs --timestamps` of a Kubernetes component:
    /// `2024-06-18T01:58:02.000000068Z E0618 01:58:02.113201 7 x.go:1] ...`): read per line.
    pub glog_stamped: bool,
    /// logfmt `level=`/`lvl=` fields (logrus, go-kit, log15).
    pub logfmt: bool,
    /// ASP.NET Core console heads (`fail: Category[id]`).
    pub dotnet: bool,
    /// A numeric level field on every JSON line.
    pub numeric: Option<NumericLevel>,
}

/// A numeric level field JSON lines carry on every line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumericLevel {
    /// pino / bunyan `"level":50` (60 fatal, 50 error, 40 warn).
    Pino,
    /// journald `"PRIORITY":"3"` (0–3 error, 4 warning).
    Journald,
}

impl NumericLevel {
    fn key(self) -> &'static memchr::memmem::Finder<'static> {
        static PINO: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"level\""));
        static JOURNALD: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"PRIORITY\""));
        match self {
            NumericLevel::Pino => &PINO,
            NumericLevel::Journald => &JOURNALD,
        }
    }

    /// Where the key starts and the bytes of its value (journald's quote skipped). The
    /// colon may have spaces around it: pino and `journalctl -o json` write none, but
    /// Python's `json.dumps` (structlog, log shippers re-serialising) writes `"level": 50`.
    fn value(self, line: &[u8]) -> Option<(usize, &[u8])> {
        let f = self.key();
        let mut from = 0;
        while let Some(i) = f.find(&line[from..]) {
            let at = from + i;
            let v = &line[at + f.needle().len()..];
            let v = v
                .trim_ascii_start()
                .strip_prefix(b":")
                .map(|v| v.trim_ascii_start());
            let v = match (self, v) {
                (NumericLevel::Journald, Some(v)) => v.strip_prefix(b"\""),
                (_, v) => v,
            };
            if let Some(v) = v {
                return Some((at, v));
            }
            from = at + 1;
        }
        None
    }

    /// The level a line says, and where its key starts.
    fn read(self, line: &[u8]) -> Option<(usize, Level)> {
        let (at, v) = self.value(line)?;
        let end = v
            .iter()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(v.len());
        if end == 0 || end > 3 {
            return None;
        }
        let n: u16 = std::str::from_utf8(&v[..end]).ok()?.parse().ok()?;
        let level = match (self, n) {
            (NumericLevel::Pino, 50 | 60) => Level::Error,
            (NumericLevel::Pino, 40) => Level::Warning,
            (NumericLevel::Journald, 0..=3) => Level::Error,
            (NumericLevel::Journald, 4) => Level::Warning,
            _ => return None,
        };
        Some((at, level))
    }
}

impl Default for Dialect {
    /// Both automata, no per-line reading: for a file nothing was sampled from.
    fn default() -> Dialect {
        Dialect {
            text: true,
            json: true,
            pri: false,
            glog: false,
            glog_stamped: false,
            logfmt: false,
            dotnet: false,
            numeric: None,
        }
    }
}

impl Dialect {
    /// The dialect of a file from sampled lines and its timestamp format.
    pub fn sniff<'a>(lines: impl IntoIterator<Item = &'a [u8]>, format: Option<Format>) -> Dialect {
        let (mut json, mut text, mut pri, mut n) = (0usize, 0usize, 0usize, 0usize);
        let (mut pino, mut journald, mut stamped) = (0usize, 0usize, 0usize);
        let (mut logfmt, mut dotnet) = (0usize, 0usize);
        for l in lines {
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            if l.is_empty() {
                continue;
            }
            n += 1;
            if is_json_line(l) {
                json += 1;
                let has = |k: NumericLevel| {
                    k.value(l)
                        .is_some_and(|(_, v)| v.first().is_some_and(u8::is_ascii_digit))
                };
                pino += usize::from(has(NumericLevel::Pino));
                journald += usize::from(has(NumericLevel::Journald));
            } else {
                text += 1;
            }
            pri += usize::from(pri_of(l).is_some());
            stamped += usize::from(stamped_glog(l).is_some());
            logfmt += usize::from(logfmt_level(l).is_some());
            dotnet += usize::from(dotnet_head(l).is_some());
        }
        let numeric = if json > 0 && pino * 2 > json {
            Some(NumericLevel::Pino)
        } else if json > 0 && journald * 2 > json {
            Some(NumericLevel::Journald)
        } else {
            None
        };
        if n == 0 {
            return Dialect {
                glog: format == Some(Format::Klog),
                ..Dialect::default()
            };
        }
        Dialect {
            text: text > 0,
            json: json > 0,
            pri: pri * 2 > n,
            glog: format == Some(Format::Klog),
            glog_stamped: stamped > 0,
            logfmt: logfmt * 4 >= n,
            dotnet: dotnet > 0,
            numeric,
        }
    }

    /// Most lines are JSON objects (JSON message fields are read, see `scan`).
    pub fn json_lines<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> bool {
        let (mut json, mut n) = (0usize, 0usize);
        for l in lines {
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            if !l.is_empty() {
                n += 1;
                json += usize::from(is_json_line(l));
            }
        }
        n > 0 && json * 2 >= n
    }
}

/// A line holding a JSON object: `{"` at its start, or after a lone stamp (`kubectl logs
/// --timestamps`) or a CRI head (`<stamp> stdout F `), and `}` at its end. A text line that
/// ends with structured fields (zap's console `... dial failed\t{"error": "..."}`) is not.
pub fn is_json_line(l: &[u8]) -> bool {
    let l = l.strip_suffix(b"\r").unwrap_or(l);
    if l.last() != Some(&b'}') {
        return false;
    }
    let head = &l[..l.len().min(64)];
    let Some(i) = memchr::memchr(b'{', head) else {
        return false;
    };
    if l.get(i + 1) != Some(&b'"') {
        return false;
    }
    let pre: Vec<&[u8]> = l[..i]
        .split(|c| *c == b' ' || *c == b'\t')
        .filter(|t| !t.is_empty())
        .collect();
    match pre.as_slice() {
        [] => true,
        [stamp] => stamp.first().is_some_and(u8::is_ascii_digit),
        [stamp, stream, tag] => {
            stamp.first().is_some_and(u8::is_ascii_digit)
                && matches!(*stream, b"stdout" | b"stderr")
                && matches!(*tag, b"F" | b"P")
        }
        _ => false,
    }
}

/// Where a glog head starts after a leading RFC 3339 stamp, and its level.
fn stamped_glog(l: &[u8]) -> Option<(usize, Level)> {
    if !(l.len() > 30 && l[..4].iter().all(u8::is_ascii_digit) && l[4] == b'-' && l[10] == b'T') {
        return None;
    }
    let sp = memchr::memchr(b' ', &l[..l.len().min(40)])?;
    glog_head(&l[sp + 1..]).map(|lv| (sp + 1, lv))
}

/// An ASP.NET Core console head (`fail: Category[id]`, at the line start or after the
/// console's `TimestampFormat`): where its level word starts, and the level (`None` for
/// `info`/`dbug`/`trce`).
fn dotnet_head(l: &[u8]) -> Option<(usize, Option<Level>)> {
    let head = &l[..l.len().min(super::level::LEVEL_WINDOW)];
    let at = if head.first().is_some_and(u8::is_ascii_digit) {
        let i = head
            .iter()
            .position(|c| c.is_ascii_alphabetic() && *c != b'T' && *c != b'Z')?;
        if i == 0
            || head[i - 1] != b' '
            || !head[..i]
                .iter()
                .all(|c| c.is_ascii_digit() || b"-:./ T+Z,".contains(c))
        {
            return None;
        }
        i
    } else {
        0
    };
    let rest = &head[at..];
    let level = match rest.get(..6)? {
        b"fail: " | b"crit: " => Some(Level::Error),
        b"warn: " => Some(Level::Warning),
        b"info: " | b"dbug: " | b"trce: " => None,
        _ => return None,
    };
    // `Category[EventId]` follows.
    let cat = &rest[6..];
    let open = memchr::memchr(b'[', cat)?;
    (open > 0
        && !cat[..open].contains(&b' ')
        && cat[open + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
            > 0)
    .then_some((at, level))
}

/// A logfmt level field among a line's first fields (`level=error`, `lvl=eror`,
/// `level="warning"`): where its key starts, and the level (`None` for other values).
fn logfmt_level(l: &[u8]) -> Option<(usize, Option<Level>)> {
    static KEYS: std::sync::LazyLock<[memchr::memmem::Finder<'static>; 2]> =
        std::sync::LazyLock::new(|| [&b"level="[..], b"lvl="].map(memchr::memmem::Finder::new));
    let head = &l[..l.len().min(2 * super::level::LEVEL_WINDOW)];
    let (at, key) = KEYS.iter().find_map(|f| {
        f.find_iter(head)
            .find(|&i| i == 0 || head[i - 1] == b' ')
            .map(|i| (i, f.needle().len()))
    })?;
    let mut v = &head[at + key..];
    if let Some(q) = v.strip_prefix(b"\"") {
        v = q;
    }
    let end = v
        .iter()
        .position(|c| !c.is_ascii_alphabetic())
        .unwrap_or(v.len());
    let level = match v[..end].to_ascii_lowercase().as_slice() {
        b"error" | b"err" | b"eror" | b"fatal" | b"panic" | b"crit" | b"critical" | b"alert"
        | b"emerg" => Some(Level::Error),
        b"warn" | b"warning" => Some(Level::Warning),
        b"" => return None,
        _ => None,
    };
    Some((at, level))
}

/// The severity of a syslog `<PRI>` at the start of a line (PRI mod 8).
pub fn pri_of(l: &[u8]) -> Option<u8> {
    if l.first() != Some(&b'<') {
        return None;
    }
    let close = memchr::memchr(b'>', &l[..l.len().min(5)])?;
    let digits = &l[1..close];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v: u16 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    (v <= 191).then_some((v % 8) as u8)
}

/// The compiled patterns of one automaton.
pub struct Patterns {
    /// The automaton.
    pub regex: meta::Regex,
    /// Per pattern: its level and kind.
    pub kinds: Vec<(Level, Kind)>,
}

/// The text automaton's patterns: (regex, level, kind).
pub(super) fn text_patterns() -> Vec<(&'static str, Level, Kind)> {
    let (e, w) = (Level::Error, Level::Warning);
    vec![
        (
            r"(?-u:\b)(?:ERROR|FATAL|SEVERE|CRITICAL|CRIT)(?-u:\b)",
            e,
            Kind::Word,
        ),
        (r"(?-u:\b)WARN(?:ING)?(?-u:\b)", w, Kind::Word),
        (r"[\[:](?:error|crit|alert|emerg)\]", e, Kind::Bracket),
        (r"[\[:]warn\]", w, Kind::Bracket),
        // The newline before a glog head is part of the pattern so that its literals are
        // 4 bytes (`\nE10`), like every other level literal: one 3-byte literal (`E10`)
        // shortened the whole Teddy fingerprint to 3 bytes and let hex ids, `0xE10` and
        // `F12345` through as candidates (the level pass was 11 % of a profile of the bench
        // .gz corpus). A head on the range's first line has no newline before it and is
        // checked apart (`glog_head` on the chunk's first line).
        (r"\n[EF](?:0[1-9]|1[0-2])", e, Kind::Glog),
        // kubelet through journald (`kubelet[1187]: E0618 ...`), a static pod's CRI file
        // (`... stderr F E0618 ...`): the 4 bytes before the month are the literal.
        (r"(?:\]:| F) [EF]", e, Kind::GlogAfter),
        (r"(?:\]:| F) W", w, Kind::GlogAfter),
        // logrus on a terminal; `WARN[` is the word pattern's. (`ERRO` is also `ERROR`'s
        // fingerprint: no new candidates.)
        (r"(?:ERRO|FATA|PANI)\[", e, Kind::Short),
    ]
}

/// The JSON automaton's patterns. Values are matched as `error"` and their opening quote
/// and key are checked at the match (`json_level_key`): spelled-out `"level": "error"`
/// variants (and `(?i)`) would explode the literal set.
pub(super) fn json_patterns() -> Vec<(&'static str, Level, Kind)> {
    let (e, w) = (Level::Error, Level::Warning);
    // Without the opening quote: literals that all start with `"` let the regex engine pick
    // a one-byte prefilter on the quote, so every string of a JSON line was a candidate (0.6
    // GB/s on pino logs). The quote and the key are checked at the match (`counts`). Numeric
    // levels (pino, journald) are read per line (`NumericLevel`).
    vec![
        (
            r#"(?:error|ERROR|Error|fatal|FATAL|Fatal|critical|CRITICAL|crit|CRIT)""#,
            e,
            Kind::Json,
        ),
        (
            r#"(?:warn|WARN|Warn|warning|WARNING|Warning)""#,
            w,
            Kind::Json,
        ),
    ]
}

fn compile(pats: Vec<(&'static str, Level, Kind)>) -> Patterns {
    let srcs: Vec<&str> = pats.iter().map(|p| p.0).collect();
    let regex = meta::Builder::new()
        .syntax(regex_automata::util::syntax::Config::new().utf8(false))
        .configure(meta::Config::new().utf8_empty(false))
        .build_many(&srcs)
        .expect("level patterns compile");
    Patterns {
        regex,
        kinds: pats.iter().map(|p| (p.1, p.2)).collect(),
    }
}

/// The text automaton (compiled once).
pub fn text() -> &'static Patterns {
    static M: OnceLock<Patterns> = OnceLock::new();
    M.get_or_init(|| compile(text_patterns()))
}

/// The JSON automaton (compiled once).
pub fn json() -> &'static Patterns {
    static M: OnceLock<Patterns> = OnceLock::new();
    M.get_or_init(|| compile(json_patterns()))
}

/// A glog/klog head (`E1012 10:20:30...`) at the start of `b`.
pub fn glog_head(b: &[u8]) -> Option<Level> {
    let level = match b.first()? {
        b'E' | b'F' => Level::Error,
        b'W' => Level::Warning,
        _ => return None,
    };
    let ok = b.len() > 9
        && matches!(&b[1..3], [b'0', b'1'..=b'9'] | [b'1', b'0'..=b'2'])
        && b[3..5].iter().all(u8::is_ascii_digit)
        && b[5] == b' '
        && b[6..8].iter().all(u8::is_ascii_digit)
        && b[8] == b':';
    ok.then_some(level)
}

/// Candidates of one chunk (`hay` = the chunk, offsets relative to it), in byte order:
/// (offset, level, kind). Each source is already in order; they are merged lazily.
pub fn candidates<'h>(
    hay: &'h [u8],
    d: &Dialect,
) -> impl Iterator<Item = (usize, Level, Kind)> + 'h {
    let from = |p: &'static Patterns| {
        p.regex.find_iter(hay).map(move |m| {
            let (level, kind) = p.kinds[m.pattern().as_usize()];
            // A glog match starts at the newline before the head.
            (m.start() + usize::from(kind == Kind::Glog), level, kind)
        })
    };
    let text = d.text.then(|| from(text()));
    let json = d.json.then(|| from(json()));
    // A head on the chunk's first line has no newline before it.
    let first = (d.text && !d.glog)
        .then(|| {
            glog_head(hay)
                .filter(|l| *l == Level::Error)
                .map(|l| (0, l, Kind::Glog))
        })
        .flatten();
    let lines = (d.pri || d.glog || d.glog_stamped || d.logfmt || d.dotnet || d.numeric.is_some())
        .then(|| line_led(hay, *d));
    Merge3 {
        a: first
            .into_iter()
            .chain(text.into_iter().flatten())
            .peekable(),
        b: json.into_iter().flatten().peekable(),
        c: lines.into_iter().flatten().peekable(),
    }
}

/// Per-line candidates: a `<PRI>` or glog head at each line start, a numeric level field.
fn line_led(hay: &[u8], d: Dialect) -> impl Iterator<Item = (usize, Level, Kind)> + '_ {
    std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', hay).map(|i| i + 1))
        .filter(|&s| s < hay.len())
        .filter_map(move |s| {
            let line = &hay[s..];
            if let Some(k) = d.numeric {
                let le = memchr::memchr(b'\n', line).unwrap_or(line.len());
                return k
                    .read(&line[..le])
                    .map(|(at, l)| (s + at, l, Kind::JsonNumber));
            }
            let le = memchr::memchr(b'\n', line).unwrap_or(line.len());
            let line = &line[..le];
            if d.glog_stamped {
                if let Some((at, l)) = stamped_glog(line) {
                    return Some((s + at, l, Kind::GlogStamped));
                }
            }
            if d.dotnet {
                if let Some((at, Some(l))) = dotnet_head(line) {
                    return Some((s + at, l, Kind::Dotnet));
                }
            }
            if d.logfmt {
                if let Some((at, Some(l))) = logfmt_level(line) {
                    return Some((s + at, l, Kind::Logfmt));
                }
            }
            let (pri, glog) = (d.pri, d.glog);
            if pri {
                if let Some(sev) = pri_of(line) {
                    return match sev {
                        0..=3 => Some((s, Level::Error, Kind::Pri)),
                        4 => Some((s, Level::Warning, Kind::Pri)),
                        _ => None,
                    };
                }
            }
            if glog {
                return glog_head(line).map(|l| (s, l, Kind::Glog));
            }
            None
        })
}

/// Three ordered streams merged by offset (ties: the first stream).
struct Merge3<A: Iterator, B: Iterator, C: Iterator> {
    a: std::iter::Peekable<A>,
    b: std::iter::Peekable<B>,
    c: std::iter::Peekable<C>,
}

impl<A, B, C> Iterator for Merge3<A, B, C>
where
    A: Iterator<Item = (usize, Level, Kind)>,
    B: Iterator<Item = (usize, Level, Kind)>,
    C: Iterator<Item = (usize, Level, Kind)>,
{
    type Item = (usize, Level, Kind);

    fn next(&mut self) -> Option<Self::Item> {
        let pa = self.a.peek().map(|x| x.0);
        let pb = self.b.peek().map(|x| x.0);
        let pc = self.c.peek().map(|x| x.0);
        let min = [pa, pb, pc].into_iter().flatten().min()?;
        if pa == Some(min) {
            self.a.next()
        } else if pb == Some(min) {
            self.b.next()
        } else {
            self.c.next()
        }
    }
}

/// Is the JSON string value starting at `at` the value of a level key (`"level":"error"`,
/// `"severity": "ERROR"`, `"log.level":"warn"`, Serilog's `"@l":"Warning"`)?
pub(super) fn json_level_key(line: &[u8], at: usize) -> bool {
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
        b"\"@l\"",
        b"\"Level\"",
        b"\"SeverityText\"",
    ]
    .iter()
    .any(|k| before.ends_with(k))
}

/// Does a candidate of `kind` at `at` in `line` count as the line's level (the window, no
/// other level before it, a JSON object, a whole glog head, a console prefix)?
pub fn counts(kind: Kind, line: &[u8], at: usize) -> bool {
    let window = super::level::LEVEL_WINDOW;
    let before = &line[..at];
    match kind {
        Kind::Word | Kind::Bracket => at < window && !other_level_before(before),
        Kind::Json => {
            at > 0
                && line[at - 1] == b'"'
                && memchr::memchr(b'{', before).is_some()
                && json_level_key(line, at - 1)
        }
        Kind::JsonNumber => memchr::memchr(b'{', before).is_some(),
        // `E1012 10:20:30.123456 ...`: the rest of the head is checked here.
        Kind::Glog | Kind::Pri => at == 0 && (kind == Kind::Pri || glog_head(line).is_some()),
        Kind::GlogAfter => at < window && glog_head(&line[at + 3..]).is_some(),
        Kind::GlogStamped => glog_head(&line[at..]).is_some(),
        // Read per line, and checked there (`logfmt_level`, `dotnet_head`).
        Kind::Logfmt | Kind::Dotnet => true,
        Kind::Short => at < window && (at == 0 || before.ends_with(b" ")),
    }
}

/// Another level word before the match (`INFO ... ERROR`): the line's level is that one.
pub(super) fn other_level_before(prefix: &[u8]) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Prefilter hygiene, as for the catalog: every level pattern of each automaton starts
    /// with a small, finite set of literals of at least 4 bytes (Teddy's fingerprint is as
    /// long as the shortest), at most 64 per automaton, or the level pass would run the
    /// lazy DFA over every byte.
    #[test]
    fn level_patterns_keep_a_literal_prefilter() {
        use regex_syntax::hir::literal::{ExtractKind, Extractor};
        for (name, pats) in [("text", text_patterns()), ("json", json_patterns())] {
            let mut total = 0;
            for (p, _, _) in pats {
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
                "{name}: {total} prefix literals: more than Teddy takes"
            );
        }
    }

    #[test]
    fn sniffs_dialects() {
        let lines: Vec<&[u8]> = vec![
            b"{\"level\":50,\"msg\":\"x\"}",
            b"(node:1) [DEP0005] DeprecationWarning: x",
            b"",
        ];
        let d = Dialect::sniff(lines.iter().copied(), None);
        assert!(d.json && d.text && !d.pri && !d.glog);
        let lines: Vec<&[u8]> = vec![b"2024-06-18T02:03:02Z {\"level\":\"info\",\"msg\":\"a\"}\r"];
        let d = Dialect::sniff(lines.iter().copied(), None);
        assert!(d.json && !d.text);
        assert!(Dialect::json_lines(lines.iter().copied()));
        let lines: Vec<&[u8]> = vec![
            b"<11>Oct 11 22:14:15 host app: boom",
            b"<14>Oct 11 22:14:16 host app: ok",
        ];
        assert!(Dialect::sniff(lines.iter().copied(), None).pri);
        assert!(Dialect::sniff(std::iter::empty(), Some(Format::Klog)).glog);
        assert!(is_json_line(b"2024-06-18T02:03:02.1Z stdout F {\"a\":1}"));
        assert!(!is_json_line(
            b"2024-06-18T04:12:31.442Z\tERROR\tmain.go:42\tdial failed\t{\"error\": \"x\"}"
        ));
        assert!(!is_json_line(b"INFO request {\"a\":1}"));
        assert!(!is_json_line(
            b"2024-06-18T04:12:31.442Z\tERROR\tmain.go:42\tfailed\t{\"error\":1}"
        ));
        assert_eq!(pri_of(b"<3>x"), Some(3));
        assert_eq!(pri_of(b"<192>x"), None);
        assert_eq!(pri_of(b"<a>x"), None);
    }
}

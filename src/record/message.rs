//! Messages from log lines: the message of a record's head line ([`strip_prefix`]) and the
//! exception class a line names ([`exception_class`]). The level pass reads both for every
//! error/warning record head; the template miner mines the messages.
//!
//! Input: one line's bytes. Output: a tail of the line, its text after a generic timestamp
//! / level / pid / `[thread]` / logger prefix; or the class name of `pkg.SomeException:
//! msg`, `Caused by: pkg.SomeException`, `Exception in thread "main" pkg.X: msg`.
//!
//! Tricky cases:
//! - Stripping stops at the first token that is none of those, so an unknown layout keeps
//!   more text (still masked by the miner) rather than losing the message.
//! - A bracket group may hold spaces (`[client 1.2.3.4]`, `[Sun Dec 04 04:47:44 2005]`).
//! - Python's `%(asctime)s - %(name)s - %(levelname)s - %(message)s` puts a level after the
//!   logger; a level word is at most 11 bytes, so no more is read for it (a JSON line's
//!   first "word" runs for hundreds of bytes).
//! - Stripping is the miner's per-line cost besides masking: each token's bytes are read
//!   once, into `PrefixToken`'s flags, and token ends come from the whitespace bitmask of
//!   [`super::tokens::WsScan`]. `tests::strip_prefix_equals_reference` checks the result
//!   equals the token-by-token version (`tests::reference::strip_prefix`).

use super::tokens::{class, WsScan, WS};

const LEVEL_WORDS: [&[u8]; 16] = [
    b"ERROR",
    b"ERR",
    b"WARN",
    b"WARNING",
    b"INFO",
    b"DEBUG",
    b"TRACE",
    b"FATAL",
    b"SEVERE",
    b"CRITICAL",
    b"CRIT",
    b"NOTICE",
    b"ALERT",
    b"EMERG",
    b"FINE",
    b"CONFIG",
];

const MONTHS_DAYS: [&[u8]; 19] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
    b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun",
];

fn is_level_word(t: &[u8]) -> bool {
    if t.len() < 3 || t.len() > 11 {
        return false;
    }
    let t = t.strip_suffix(b":").unwrap_or(t);
    let t = if (t.starts_with(b"[") && t.ends_with(b"]"))
        || (t.starts_with(b"<") && t.ends_with(b">"))
    {
        &t[1..t.len() - 1]
    } else {
        t
    };
    // Most prefix tokens are rejected here, before the 16 comparisons: level words are 3-8
    // letters starting with one of these.
    (3..=8).contains(&t.len())
        && matches!(
            t[0] | 0x20,
            b'a' | b'c' | b'd' | b'e' | b'f' | b'i' | b'n' | b's' | b't' | b'w'
        )
        && LEVEL_WORDS.iter().any(|w| t.eq_ignore_ascii_case(w))
}

/// A timestamp-ish or number-ish token: digits plus date/time punctuation only.
fn is_stamp_token(t: &[u8]) -> bool {
    if !t.first().is_some_and(|&c| c.is_ascii_digit() || c == b'[') {
        return false;
    }
    let t = t
        .strip_prefix(b"[")
        .unwrap_or(t)
        .strip_suffix(b"]")
        .unwrap_or(t);
    let t = t.strip_prefix(b"[").unwrap_or(t);
    let t = t.strip_suffix(b",").unwrap_or(t);
    let t = t.strip_suffix(b"]").unwrap_or(t);
    !t.is_empty()
        && t.iter().any(u8::is_ascii_digit)
        && t.iter().all(|&c| {
            c.is_ascii_digit()
                || matches!(
                    c,
                    b':' | b'.' | b',' | b'/' | b'-' | b'+' | b'T' | b'Z' | b'#' | b'_'
                )
        })
}

/// A zone after a stamp: a known abbreviation (`CEST`, `UTC`, `CST`) or a numeric offset
/// (`-03`, `+0530`, `+05:30`).
fn is_zone_token(t: &[u8]) -> bool {
    match t.first() {
        Some(b'+' | b'-') => {
            let d = &t[1..];
            matches!(d.len(), 2 | 4 | 5)
                && d.iter().all(|c| c.is_ascii_digit() || *c == b':')
                && d.iter().filter(|c| c.is_ascii_digit()).count() >= 2
        }
        Some(c) if c.is_ascii_uppercase() => {
            (2..=5).contains(&t.len())
                && t.iter().all(u8::is_ascii_uppercase)
                && std::str::from_utf8(t).is_ok_and(|w| {
                    crate::time::builtin_abbrev(w).is_some()
                        || crate::time::ambiguous_abbrev(w).is_some()
                })
        }
        _ => false,
    }
}

fn is_month_or_day(t: &[u8]) -> bool {
    if t.len() > 4 {
        return false;
    }
    let t = t.strip_prefix(b"[").unwrap_or(t);
    // `MONTHS_DAYS` as patterns: a length test and byte compares, no `memcmp` calls.
    let r = matches!(
        t,
        b"Jan"
            | b"Feb"
            | b"Mar"
            | b"Apr"
            | b"May"
            | b"Jun"
            | b"Jul"
            | b"Aug"
            | b"Sep"
            | b"Oct"
            | b"Nov"
            | b"Dec"
            | b"Mon"
            | b"Tue"
            | b"Wed"
            | b"Thu"
            | b"Fri"
            | b"Sat"
            | b"Sun"
    );
    debug_assert_eq!(r, MONTHS_DAYS.contains(&t));
    r
}

/// A logger, class or program name: identifier characters with `.`, `$`, `_`, `-`, `/`,
/// optionally with a `[pid]` or `(...)` suffix, ending in `:` when it closes the prefix.
fn is_logger_token(t: &[u8]) -> bool {
    let t = t.strip_suffix(b":").unwrap_or(t);
    !t.is_empty()
        && t[0].is_ascii_alphabetic()
        && t.iter().all(|&c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    b'.' | b'$' | b'_' | b'-' | b'/' | b'[' | b']' | b'(' | b')' | b'@'
                )
        })
}

/// Byte flags for the prefix tokens of [`strip_prefix`]. One pass over a token folds them
/// twice, OR (which kinds of bytes it holds) and AND (which sets all its bytes are in), so
/// the token tests below are bit tests instead of a byte loop each: a prefix has half a
/// dozen tokens, and every loop that ends at a data-dependent length costs a mispredicted
/// branch.
const P_DIGIT: u8 = 1 << 0;
/// Digits, `[`, `]` and the punctuation [`is_stamp_token`] accepts.
const P_STAMP: u8 = 1 << 1;
/// `[` or `]`.
const P_BRACKET: u8 = 1 << 2;
/// What [`is_logger_token`] accepts: ASCII letters and digits, `. $ _ - / [ ] ( ) @`.
const P_LOGGER: u8 = 1 << 3;
/// `:`.
const P_COLON: u8 = 1 << 4;

const fn prefix_flags() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        let mut f = 0;
        if c.is_ascii_digit() {
            f |= P_DIGIT | P_STAMP;
        }
        if matches!(
            c,
            b':' | b'.' | b',' | b'/' | b'-' | b'+' | b'T' | b'Z' | b'#' | b'_' | b'[' | b']'
        ) {
            f |= P_STAMP;
        }
        if c == b'[' || c == b']' {
            f |= P_BRACKET;
        }
        if c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'.' | b'$' | b'_' | b'-' | b'/' | b'[' | b']' | b'(' | b')' | b'@'
            )
        {
            f |= P_LOGGER;
        }
        if c == b':' {
            f |= P_COLON;
        }
        t[i] = f;
        i += 1;
    }
    t
}

static PREFIX_FLAGS: [u8; 256] = prefix_flags();

/// A prefix token and the fold of its [`PREFIX_FLAGS`].
struct PrefixToken<'a> {
    t: &'a [u8],
    /// OR over all bytes.
    any: u8,
    /// AND over all bytes.
    all: u8,
    /// AND over all bytes but the last (all bits set for a one-byte token).
    all_but_last: u8,
}

impl<'a> PrefixToken<'a> {
    /// `t` is not empty (a token holds at least one non-whitespace byte).
    #[inline(always)]
    fn new(t: &'a [u8]) -> PrefixToken<'a> {
        // Every test that reads the flags first asks for a digit, `[` or a letter at the
        // start: other tokens (`{"@timestamp":...`, a JSON line's first word of hundreds
        // of bytes) are not read.
        if !(t[0].is_ascii_alphanumeric() || t[0] == b'[') {
            return PrefixToken {
                t,
                any: 0,
                all: 0,
                all_but_last: 0,
            };
        }
        let (head, last) = t.split_at(t.len() - 1);
        let (mut any, mut all) = (0u8, !0u8);
        for &c in head {
            let f = PREFIX_FLAGS[c as usize];
            any |= f;
            all &= f;
        }
        let fl = PREFIX_FLAGS[last[0] as usize];
        PrefixToken {
            t,
            any: any | fl,
            all: all & fl,
            all_but_last: all,
        }
    }

    /// [`is_stamp_token`], from the flags when the token holds no bracket.
    #[inline(always)]
    fn is_stamp(&self) -> bool {
        // A byte outside the stamp set or no digit: no stamp whatever brackets and commas
        // are stripped (stripping removes only those, never a digit). Without brackets,
        // stripping changes nothing else `is_stamp_token` looks at.
        (self.t[0].is_ascii_digit() || self.t[0] == b'[')
            && self.all & P_STAMP != 0
            && self.any & P_DIGIT != 0
            && (self.any & P_BRACKET == 0 || is_stamp_token(self.t))
    }

    /// [`is_logger_token`] from the flags.
    #[inline(always)]
    fn is_logger(&self) -> bool {
        let n = self.t.len();
        self.t[0].is_ascii_alphabetic()
            && if self.t[n - 1] == b':' {
                // The closing `:` is not part of the name.
                n > 1 && self.all_but_last & P_LOGGER != 0
            } else {
                self.all & P_LOGGER != 0
            }
    }
}

/// The message of a record's head line: the text after a generic timestamp / level / pid
/// / `[thread]` / logger prefix. Stops at the first token that is none of those, so an
/// unknown layout keeps more text (still masked) rather than losing the message.
///
/// Handles Spring Boot/logback (`2019-08-21 08:47:10.412 ERROR 5120 --- [main]
/// c.e.Foo : msg`), log4j (`... ERROR [main] c.e.Foo - msg`), Python (`... - name - ERROR -
/// msg`), nginx (`2019/08/21 08:00:00 [error] 31#31: *9 msg`), Apache (`[Sun Dec 04
/// 04:47:44 2005] [error] [client 1.2.3.4] msg`), syslog (`Jun 14 15:16:02 host prog[1]:
/// msg`) and glog/klog (`E1012 10:20:30.123456 1 file.go:12] msg`).
///
/// The miner's per-line cost besides masking: each token's bytes are read once, into
/// `PrefixToken`'s flags (`tests::strip_prefix_equals_reference` checks the result
/// equals the token-by-token version, `tests::reference::strip_prefix`).
pub fn strip_prefix(line: &[u8]) -> &[u8] {
    let line = record_trim(line);
    let mut ws = WsScan::new(line);
    let mut k = 0;
    let mut stamp = false;
    let mut level = false;
    let mut cut = 0;
    let mut cur = prefix_token(&mut ws, 0);
    while let Some((s, e)) = cur {
        if k >= 12 {
            break;
        }
        let tok = PrefixToken::new(&line[s..e]);
        let t = tok.t;
        let next = prefix_token(&mut ws, e);
        let bracket_stamp = k == 0
            && t[0] == b'['
            && t[t.len() - 1] == b']'
            && tok.any & P_COLON != 0
            && tok.any & P_DIGIT != 0;
        if bracket_stamp || tok.is_stamp() || is_month_or_day(t) || glog_head(t) {
            stamp = true;
        } else if is_level_word(t) {
            level = true;
        } else if matches!(t, b"-" | b"---" | b"|" | b":" | b"--") {
        } else if stamp && !level && is_zone_token(t) {
            // The stamp's zone: PostgreSQL's `%m` writes `CEST`, `-03` after the time.
        } else if t[0] == b'[' && t[t.len() - 1] == b']' && (stamp || level) {
            // `[thread]`, `[client ...]`, `[pid 12:tid 34]`: prefix furniture.
        } else if t[0] == b'*' && t[1..].iter().all(u8::is_ascii_digit) && stamp {
            // nginx connection number `*9`.
        } else if stamp && t[t.len() - 1] == b']' && t.len() > 1 && t[0] != b'[' {
            // glog/klog `file.go:123]` closes the prefix.
            cut = e;
            break;
        } else if (stamp || level) && tok.is_logger() {
            // `logger:` or `logger :` / `logger -` closes the prefix; a bare word is the
            // message itself unless a separator follows.
            if t.ends_with(b":") || t.ends_with(b"]") && next.is_some() && t.contains(&b'.') {
                cut = e;
                break;
            }
            if let Some((s2, e2)) = next {
                let n2 = &line[s2..e2];
                if matches!(n2, b":" | b"-" | b"|") {
                    cut = e2;
                    break;
                }
                // syslog host before `prog[pid]:`.
                if !level && n2.ends_with(b":") && is_logger_token(n2) {
                    cut = e2;
                    break;
                }
            }
            break;
        } else {
            break;
        }
        k += 1;
        cut = e;
        cur = next;
    }
    let mut rest = &line[ws.next_non_ws(cut.min(line.len()))..];
    // Python's `%(asctime)s - %(name)s - %(levelname)s - %(message)s`: a level after the
    // logger.
    // A level word is at most 11 bytes: look no further for the end of the first word (a
    // JSON line's first "word" runs for hundreds of bytes).
    let word_end = rest
        .iter()
        .take(12)
        .position(|&c| class(c) == WS)
        .unwrap_or(usize::MAX);
    if word_end < rest.len() && is_level_word(&rest[..word_end]) {
        let after = skip_ws(&rest[word_end..]);
        rest = match after {
            [b'-' | b':' | b'|', b' ', ..] => skip_ws(&after[1..]),
            _ => after,
        };
    }
    rest
}

/// The next prefix token at or after `i`: a bracket group may hold spaces (`[client
/// 1.2.3.4]`, `[Sun Dec 04 04:47:44 2005]`).
#[inline(always)]
fn prefix_token(ws: &mut WsScan<'_>, i: usize) -> Option<(usize, usize)> {
    let line = ws.s;
    let mut i = ws.next_non_ws(i);
    if i >= line.len() {
        return None;
    }
    let s = i;
    if line[i] == b'[' {
        if let Some(c) = memchr::memchr(b']', &line[i..i + (line.len() - i).min(96)]) {
            i += c + 1;
        }
    }
    Some((s, ws.next_ws(i)))
}

fn skip_ws(s: &[u8]) -> &[u8] {
    let st = s.iter().position(|&c| class(c) != WS).unwrap_or(s.len());
    &s[st..]
}

fn record_trim(line: &[u8]) -> &[u8] {
    let mut l = line;
    while let [rest @ .., last] = l {
        if class(*last) == WS {
            l = rest;
        } else {
            break;
        }
    }
    l
}

/// `E1012` (glog/klog level letter + MMDD).
fn glog_head(t: &[u8]) -> bool {
    t.len() == 5
        && matches!(t[0], b'I' | b'W' | b'E' | b'F')
        && t[1..].iter().all(u8::is_ascii_digit)
}

/// The exception class a line names: `pkg.SomeException: msg`, `Caused by:
/// pkg.SomeException`, `Exception in thread "main" pkg.X: msg`. `None` for other lines.
pub fn exception_class(line: &[u8]) -> Option<&str> {
    let mut l = record_trim(line);
    while let [first, rest @ ..] = l {
        if class(*first) == WS {
            l = rest;
        } else {
            break;
        }
    }
    if let Some(r) = l.strip_prefix(b"Caused by: ") {
        l = r;
    } else if let Some(r) = l.strip_prefix(b"Suppressed: ") {
        l = r;
    } else if l.starts_with(b"Exception in thread ") {
        // `Exception in thread "main" java.lang.X: msg`
        let q2 = memchr::memchr(b'"', &l[21..]).map(|q| 21 + q + 1)?;
        l = &l[q2..];
        while let [b' ', rest @ ..] = l {
            l = rest;
        }
    }
    let end = l
        .iter()
        .position(|&c| c == b':' || class(c) == WS)
        .unwrap_or(l.len());
    let name = &l[..end];
    if end < l.len() && l[end] != b':' {
        return None;
    }
    let simple = name.rsplit(|&c| c == b'.' || c == b'$').next()?;
    let named = [
        &b"Exception"[..],
        b"Error",
        b"Throwable",
        b"Failure",
        b"Fault",
    ]
    .iter()
    .any(|s| simple.ends_with(s));
    if !named || !name.contains(&b'.') || simple.is_empty() {
        return None;
    }
    if !name
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'$' | b'_'))
    {
        return None;
    }
    std::str::from_utf8(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prefix rules as first written (token by token): what [`strip_prefix`] must equal.
    mod reference {
        use super::super::{
            class, glog_head, is_level_word, is_logger_token, is_month_or_day, is_stamp_token,
            is_zone_token, prefix_token, record_trim, skip_ws, WsScan, WS,
        };

        /// [`strip_prefix`](super::super::strip_prefix) as first written: each token test
        /// loops over the token's bytes itself.
        pub fn strip_prefix(line: &[u8]) -> &[u8] {
            let line = record_trim(line);
            let mut ws = WsScan::new(line);
            let mut k = 0;
            let mut stamp = false;
            let mut level = false;
            let mut cut = 0;
            let mut cur = prefix_token(&mut ws, 0);
            while let Some((s, e)) = cur {
                if k >= 12 {
                    break;
                }
                let t = &line[s..e];
                let next = prefix_token(&mut ws, e);
                let bracket_stamp = k == 0
                    && t.starts_with(b"[")
                    && t.ends_with(b"]")
                    && t.contains(&b':')
                    && t.iter().any(u8::is_ascii_digit);
                if bracket_stamp || is_stamp_token(t) || is_month_or_day(t) || glog_head(t) {
                    stamp = true;
                } else if is_level_word(t) {
                    level = true;
                } else if matches!(t, b"-" | b"---" | b"|" | b":" | b"--")
                    || (stamp && !level && is_zone_token(t))
                {
                } else if t.starts_with(b"[") && t.ends_with(b"]") && (stamp || level) {
                    // `[thread]`, `[client ...]`, `[pid 12:tid 34]`: prefix furniture.
                } else if t.starts_with(b"*") && t[1..].iter().all(u8::is_ascii_digit) && stamp {
                    // nginx connection number `*9`.
                } else if stamp && t.ends_with(b"]") && t.len() > 1 && !t.starts_with(b"[") {
                    // glog/klog `file.go:123]` closes the prefix.
                    cut = e;
                    break;
                } else if (stamp || level) && is_logger_token(t) {
                    // `logger:` or `logger :` / `logger -` closes the prefix; a bare word is the
                    // message itself unless a separator follows.
                    if t.ends_with(b":") || t.ends_with(b"]") && next.is_some() && t.contains(&b'.')
                    {
                        cut = e;
                        break;
                    }
                    if let Some((s2, e2)) = next {
                        let n2 = &line[s2..e2];
                        if matches!(n2, b":" | b"-" | b"|") {
                            cut = e2;
                            break;
                        }
                        // syslog host before `prog[pid]:`.
                        if !level && n2.ends_with(b":") && is_logger_token(n2) {
                            cut = e2;
                            break;
                        }
                    }
                    break;
                } else {
                    break;
                }
                k += 1;
                cut = e;
                cur = next;
            }
            let mut rest = &line[ws.next_non_ws(cut.min(line.len()))..];
            // Python's `%(asctime)s - %(name)s - %(levelname)s - %(message)s`: a level after the
            // logger.
            // A level word is at most 11 bytes: look no further for the end of the first word (a
            // JSON line's first "word" runs for hundreds of bytes).
            let word_end = rest
                .iter()
                .take(12)
                .position(|&c| class(c) == WS)
                .unwrap_or(usize::MAX);
            if word_end < rest.len() && is_level_word(&rest[..word_end]) {
                let after = skip_ws(&rest[word_end..]);
                rest = match after {
                    [b'-' | b':' | b'|', b' ', ..] => skip_ws(&after[1..]),
                    _ => after,
                };
            }
            rest
        }
    }

    /// Tokens of log-line prefixes for [`strip_prefix`]: stamps (with brackets and commas
    /// where `is_stamp_token` strips them), month and day names, levels, separators,
    /// thread brackets, loggers with and without their `:`, glog heads and closers, nginx
    /// connection numbers, and message words.
    const PREFIX_PIECES: [&str; 48] = [
        "2019-08-21",
        "08:47:10.412",
        "08:47:10,412",
        "[21/Aug/2019:00:00:00",
        "+0000]",
        "[2019-08-21T08:47:10Z]",
        "[08:47:10]",
        "[1.5],",
        "1,]",
        "[[1]",
        "12]",
        "10.0.0.1",
        "5120",
        "31#31:",
        "*9",
        "*",
        "Jun",
        "[Sun",
        "Dec",
        "ERROR",
        "INFO",
        "[error]",
        "<warn>",
        "WARN:",
        "info",
        "-",
        "---",
        "|",
        ":",
        "--",
        "[main]",
        "[client 1.2.3.4]",
        "[io-8080-exec-7]",
        "c.e.order.web.OrderController",
        "org.apache.Foo:",
        "sshd(pam_unix)[19937]:",
        "combo",
        "a:",
        "a::",
        "E1012",
        "controller.go:123]",
        "[x.y]",
        "request",
        "failed",
        "{\"@timestamp\":1}",
        "é",
        "\t",
        "  ",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]

        #[test]
        fn strip_prefix_equals_reference(
            tokens in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(&PREFIX_PIECES[..]), 1..3),
                0..12,
            )
        ) {
            // Tokens of 1-2 pieces, so that pieces also meet inside a token.
            let line = tokens.iter().map(|t| t.concat()).collect::<Vec<_>>().join(" ");
            proptest::prop_assert_eq!(
                strip_prefix(line.as_bytes()),
                reference::strip_prefix(line.as_bytes()),
                "{:?}",
                line
            );
        }

        #[test]
        fn strip_prefix_equals_reference_on_any_bytes(
            line in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80)
        ) {
            proptest::prop_assert_eq!(strip_prefix(&line), reference::strip_prefix(&line));
        }
    }

    #[test]
    fn prefixes_are_stripped() {
        let cases: [(&str, &str); 11] = [
            // PostgreSQL `%m [%p] `: the zone is part of the stamp, not the message.
            ("2024-05-14 09:12:01.123 CEST [1234] ERROR:  relation \"foo\" does not exist", "relation \"foo\" does not exist"),
            ("2024-07-10 00:00:17.006 -03 [64] LOG:  checkpoint starting: time", "checkpoint starting: time"),
            ("2019-08-21 08:47:10.412 ERROR 5120 --- [io-8080-exec-7] c.e.order.web.OrderController   : request failed", "request failed"),
            ("2019-08-21 08:47:10,412 ERROR [http-nio-8082-exec-7] c.e.order.OrderService - request failed", "request failed"),
            ("2019/08/21 08:00:00 [error] 31#31: *9 connect() failed (111: Connection refused)", "connect() failed (111: Connection refused)"),
            ("[Sun Dec 04 04:47:44 2005] [error] [client 1.2.3.4] Directory index forbidden", "Directory index forbidden"),
            ("Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown", "check pass; user unknown"),
            ("2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster", "Created MRAppMaster"),
            ("E1012 10:20:30.123456   12345 controller.go:123] sync failed", "sync failed"),
            ("2019-08-21 08:47:10,412 - ledger - ERROR - lock failed", "lock failed"),
            ("plain message without prefix", "plain message without prefix"),
        ];
        for (line, want) in cases {
            assert_eq!(
                String::from_utf8_lossy(strip_prefix(line.as_bytes())),
                want,
                "{line}"
            );
        }
    }

    #[test]
    fn exception_classes() {
        assert_eq!(
            exception_class(b"com.example.ledger.LedgerLockException: ledger 42 locked"),
            Some("com.example.ledger.LedgerLockException")
        );
        assert_eq!(
            exception_class(b"Caused by: java.net.SocketTimeoutException: Read timed out\r"),
            Some("java.net.SocketTimeoutException")
        );
        assert_eq!(
            exception_class(b"Exception in thread \"main\" java.lang.IllegalStateException: x"),
            Some("java.lang.IllegalStateException")
        );
        assert_eq!(
            exception_class(b"java.lang.OutOfMemoryError"),
            Some("java.lang.OutOfMemoryError")
        );
        assert_eq!(exception_class(b"\tat a.b.C.d(C.java:1)"), None);
        assert_eq!(exception_class(b"Error: something"), None);
        assert_eq!(exception_class(b"request failed: timeout"), None);
    }
}

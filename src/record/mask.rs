//! Masking: one message → its tokens, with the variable parts written as [`WILDCARD`].
//!
//! Input: a message (a record's head line after [`crate::record::strip_prefix`]). Output:
//! its tokens separated by single spaces. Numbers, hex ids, UUIDs, IPv4/IPv6 addresses
//! (with ports), paths, URLs, e-mail addresses and quoted values become `<*>`; a token
//! keeps its letters and punctuation (`blk_-6330812010936261924` → `blk_<*>`,
//! `taskID[2019352994]` → `taskID[<*>]`), so exception class names and identifiers survive.
//! Runs of masked pieces joined by `.`, `:`, `-`, `/`, ... collapse into one `<*>`
//! (`10.0.0.1:8080`).
//!
//! Tricky cases:
//! - A double-quoted span may hold spaces: a quoted phrase (`"GET /api HTTP/1.1"`) keeps
//!   its words, masked on their own; other quoted values become `<*>`.
//! - Month and weekday names are masked only in a date context (`Fri Jul  1 07:57:30
//!   2005`); a unit after a value (`30 ms`, `18.4 KB)`) and a bracketed annotation of the
//!   value (`2034 bytes (1.98 KB)`, `from 1.2.3.4 (host.example.com)`) join that value.
//! - `SOCKS5`, `ipv6`, `sha256`, `eth0`: a word with a few trailing digits is a name.
//! - Masking never looks at which digit a byte is, and the only digits it copies to its
//!   output are in words that start with letters: the premise of the memo of
//!   [`super::distinct::Distinct::add`].
//!
//! Speed: this is the miner's per-line cost, so [`mask`] is one pass over the bytes with a
//! flag table, token ends come from the whitespace bitmask of `WsScan`, and
//! `tests::mask_equals_reference` checks the result equals the straightforward version of
//! the rules (`tests::reference`).

use crate::record::tokens::{class, WsScan, ALPHA, CLASS, DIGIT, PUNCT, WS};

/// The wildcard written for a masked value.
pub const WILDCARD: &str = "<*>";

/// Punctuation that joins the pieces of one value (`10.0.0.1:8080`, `2019-08-21`,
/// `msra-sa-41/10.190.173.170`): masked pieces joined by these collapse into one `<*>`.
#[inline]
fn is_joiner(b: u8) -> bool {
    matches!(
        b,
        b'.' | b':' | b'-' | b'_' | b'/' | b'#' | b'+' | b',' | b'@' | b'%'
    )
}

#[inline]
fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

/// End of an IPv6 or MAC address starting at `i` (groups of at most 4 hex digits joined
/// by `:`, at least 3 groups or a `::`, a digit somewhere), or `i` when there is none.
fn ipv6_end(tok: &[u8], i: usize) -> usize {
    let mut e = i;
    let (mut colons, mut double, mut digit, mut group) = (0, false, false, 0);
    while e < tok.len() {
        let c = tok[e];
        if c == b':' {
            if group > 4 {
                return i;
            }
            if e + 1 < tok.len() && tok[e + 1] == b':' {
                double = true;
            }
            colons += 1;
            group = 0;
        } else if is_hex(c) {
            digit |= c.is_ascii_digit();
            group += 1;
        } else if c == b'.' && colons >= 2 {
            // `::ffff:10.0.0.1`: the IPv4 tail.
            e += 1;
            while e < tok.len() && (tok[e].is_ascii_digit() || tok[e] == b'.') {
                e += 1;
            }
            break;
        } else {
            break;
        }
        e += 1;
    }
    while e > i && tok[e - 1] == b':' && !(e >= 2 && tok[e - 2] == b':') {
        e -= 1;
    }
    if group > 4
        || !digit
        || !(colons >= 2 || double)
        || (e < tok.len() && is_word_byte(tok[e]) && tok[e] != b'.')
    {
        return i;
    }
    e
}

/// `csnsu.nsuok.edu`, `host8.topspot.net`, `c51471f2c.cable.wanadoo.nl`: a dotted name
/// ending in a common generic top-level domain, or in a two-letter country code after at
/// least two dots. (Java names end in a class name; `workerEnv.init` is no host.)
fn is_hostname(w: &[u8]) -> bool {
    const GENERIC: [&[u8]; 14] = [
        b"com",
        b"net",
        b"org",
        b"edu",
        b"gov",
        b"mil",
        b"info",
        b"biz",
        b"io",
        b"local",
        b"internal",
        b"lan",
        b"localdomain",
        b"arpa",
    ];
    let dots = w.iter().filter(|&&c| c == b'.').count();
    let Some(last) = w.rsplit(|&c| c == b'.').next() else {
        return false;
    };
    if dots == 0 || !w[0].is_ascii_alphanumeric() {
        return false;
    }
    GENERIC.contains(&last)
        || (dots >= 2 && last.len() == 2 && last.iter().all(u8::is_ascii_lowercase))
}

#[inline]
fn is_word_byte(b: u8) -> bool {
    class(b) == DIGIT || class(b) == ALPHA || matches!(b, b'.' | b'_' | b'-')
}

/// Byte flags for the token scan of [`mask`]: the class bits of [`CLASS`] (`1 << class`)
/// plus facts that let a token skip checks that cannot match it.
const F_WS: u16 = 1 << WS;
const F_DIGIT: u16 = 1 << DIGIT;
const F_ALPHA: u16 = 1 << ALPHA;
const F_PUNCT: u16 = 1 << PUNCT;
/// `"`: opens a span that may hold spaces.
const F_QUOTE: u16 = 1 << 4;
/// A letter that is not a hex digit (`g`-`z`, `G`-`Z`, bytes ≥ 0x80).
const F_NONHEX: u16 = 1 << 5;
/// `/`, `\`, `:`, `@`, `-`: a token without any is no path, URL, e-mail or UUID.
const F_WHOLE: u16 = 1 << 6;

const fn byte_flags() -> [u16; 256] {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        let mut f = 1u16 << CLASS[i];
        if c == b'"' {
            f |= F_QUOTE;
        }
        if CLASS[i] == ALPHA && !c.is_ascii_hexdigit() {
            f |= F_NONHEX;
        }
        if matches!(c, b'/' | b'\\' | b':' | b'@' | b'-') {
            f |= F_WHOLE;
        }
        t[i] = f;
        i += 1;
    }
    t
}

static FLAGS: [u16; 256] = byte_flags();

thread_local! {
    /// Reused output buffer for a quoted phrase masked on its own (see [`mask_pieces`]), so
    /// the per-line path does not allocate.
    static QUOTED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Masks the variable parts of one message and writes its tokens, separated by single
/// spaces, to `out` (cleared first). See the module docs for the rules.
///
/// This is the miner's per-line cost, so it is one pass over the bytes with a flag table:
/// a token's scan collects which kinds of bytes it holds, and tokens of letters only or
/// digits only (most tokens) are written at once; other tokens go through the piece-wise
/// rules, skipping the whole-token checks (paths, URLs, ...) when the token lacks the bytes
/// they need. `tests::mask_equals_reference` checks that the result equals the
/// straightforward version of these rules (`tests::reference`).
pub fn mask(msg: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let n = msg.len();
    let mut ws = WsScan::new(msg);
    let mut i = 0;
    while i < n {
        // Skip whitespace.
        i = ws.next_non_ws(i);
        if i >= n {
            break;
        }
        if !out.is_empty() {
            out.push(b' ');
        }
        // A token runs to the next whitespace, except that a double-quoted span may hold
        // spaces (its inside adds no flags): the flags of the bytes up to the next
        // whitespace, and when they hold a quote, the byte loop from the start.
        let start = i;
        let mut end = ws.next_ws(i);
        let mut seen = msg[start..end]
            .iter()
            .fold(0u16, |a, &c| a | FLAGS[c as usize]);
        if seen & F_QUOTE != 0 {
            end = start;
            seen = 0;
            while end < n {
                let f = FLAGS[msg[end] as usize];
                if f & (F_WS | F_QUOTE) != 0 {
                    if f & F_WS != 0 {
                        break;
                    }
                    seen |= f;
                    if let Some(q) = memchr::memchr(b'"', &msg[end + 1..]) {
                        end += q + 2;
                        continue;
                    }
                }
                seen |= f;
                end += 1;
            }
        }
        let tok = &msg[start..end];
        let tok_out = out.len();
        let after_value = prev_token_is_value(out, tok_out);
        if seen & !(F_ALPHA | F_NONHEX) == 0 {
            // Letters only: a date word in a date context, a unit after a value, a long
            // hex run or a plain word (what the general path below gives for such tokens).
            if tok[0].is_ascii_uppercase() && is_date_word(tok) && date_context(msg, end, out) {
                out.extend_from_slice(WILDCARD.as_bytes());
            } else if after_value && absorb_unit(tok, out, tok_out) {
            } else if tok.len() >= 8 && seen & F_NONHEX == 0 {
                out.extend_from_slice(WILDCARD.as_bytes());
            } else {
                out.extend_from_slice(tok);
            }
            i = end;
            continue;
        }
        if seen == F_DIGIT {
            out.extend_from_slice(WILDCARD.as_bytes());
            i = end;
            continue;
        }
        if seen & !(F_ALPHA | F_NONHEX | F_PUNCT | F_WHOLE) == 0
            && !after_value
            && class(tok[0]) == ALPHA
            && !tok[0].is_ascii_uppercase()
        {
            // A word with closing punctuation (`cache,`, `failed:`, `state)`): not a date
            // word (lowercase) nor a unit (no value before), so the general path writes
            // the word (or `<*>` for a long hex run) and then the punctuation, which no
            // annotation collapse can match.
            let w = tok
                .iter()
                .position(|&c| class(c) != ALPHA)
                .unwrap_or(tok.len());
            if tok[w..].iter().all(|&c| {
                matches!(
                    c,
                    b')' | b']' | b'}' | b'>' | b',' | b';' | b'.' | b':' | b'!' | b'?'
                )
            }) {
                if w >= 8 && tok[..w].iter().all(|&c| is_hex(c)) {
                    out.extend_from_slice(WILDCARD.as_bytes());
                } else {
                    out.extend_from_slice(&tok[..w]);
                }
                out.extend_from_slice(&tok[w..]);
                i = end;
                continue;
            }
        }
        if is_date_word(tok) && date_context(msg, end, out) {
            out.extend_from_slice(WILDCARD.as_bytes());
        } else if after_value && absorb_unit(tok, out, tok_out) {
            // `30 ms`, `18.4 KB)`: the unit belongs to the value before it.
        } else {
            // Bytes inside quotes are not in `seen`: a token with a quote is checked whole.
            mask_token(tok, out, seen & (F_WHOLE | F_QUOTE) != 0);
        }
        if matches!(out.last(), Some(b')' | b']' | b',' | b';' | b'.' | b':')) {
            collapse_annotation(out);
        }
        i = end;
    }
}

/// Did the token before `tok_out` (the output position of the current token, after its
/// separating space) end in a masked value?
#[inline]
fn prev_token_is_value(out: &[u8], tok_out: usize) -> bool {
    tok_out >= 4 && &out[tok_out - 4..tok_out - 1] == WILDCARD.as_bytes()
}

/// `<*> (<*>)`, `<*> ()`: a bracketed annotation of the value before it (`2034 bytes
/// (1.98 KB)`, `from 1.2.3.4 (host.example.com)`) joins that value.
fn collapse_annotation(out: &mut Vec<u8>) {
    let ls = memchr::memrchr(b' ', out).map_or(0, |i| i + 1);
    if ls == 0 {
        return;
    }
    let last = &out[ls..];
    let mut e = last.len();
    while e > 0 && matches!(last[e - 1], b',' | b';' | b'.' | b':') {
        e -= 1;
    }
    if !matches!(&last[..e], b"(<*>)" | b"[<*>]" | b"()" | b"[]") || !prev_token_is_value(out, ls) {
        return;
    }
    let tail: Vec<u8> = last[e..].to_vec();
    out.truncate(ls - 1);
    out.extend_from_slice(&tail);
}

/// If `tok` is a unit (`ms`, `KB)`, `sec,`), drops it, keeps its closing punctuation on
/// the value before it and returns true.
fn absorb_unit(tok: &[u8], out: &mut Vec<u8>, tok_out: usize) -> bool {
    const UNITS: [&[u8]; 28] = [
        b"bytes", b"B", b"KB", b"MB", b"GB", b"TB", b"KiB", b"MiB", b"GiB", b"kB", b"k", b"K",
        b"M", b"G", b"ms", b"us", b"ns", b"s", b"sec", b"secs", b"seconds", b"min", b"mins",
        b"minutes", b"h", b"hours", b"days", b"%",
    ];
    let mut e = tok.len();
    while e > 0 && matches!(tok[e - 1], b')' | b']' | b',' | b';' | b'.') {
        e -= 1;
    }
    // Units are 1-7 bytes: most tokens after a value are rejected before the comparisons.
    // `UNITS` as patterns: a length test and byte compares, no `memcmp` calls.
    let unit = e <= 7
        && matches!(
            &tok[..e],
            b"bytes"
                | b"B"
                | b"KB"
                | b"MB"
                | b"GB"
                | b"TB"
                | b"KiB"
                | b"MiB"
                | b"GiB"
                | b"kB"
                | b"k"
                | b"K"
                | b"M"
                | b"G"
                | b"ms"
                | b"us"
                | b"ns"
                | b"s"
                | b"sec"
                | b"secs"
                | b"seconds"
                | b"min"
                | b"mins"
                | b"minutes"
                | b"h"
                | b"hours"
                | b"days"
                | b"%"
        );
    debug_assert_eq!(unit, e <= 7 && UNITS.iter().any(|u| &tok[..e] == *u));
    if !unit {
        return false;
    }
    out.truncate(tok_out - 1);
    out.extend_from_slice(&tok[e..]);
    true
}

/// Month and weekday names (a date word; masked only in a date context). `is_date_word`
/// matches these; the list is what its tests compare with.
#[cfg(test)]
const DATE_WORDS: [&[u8]; 40] = [
    b"Jan",
    b"January",
    b"Feb",
    b"February",
    b"Mar",
    b"March",
    b"Apr",
    b"April",
    b"May",
    b"Jun",
    b"June",
    b"Jul",
    b"July",
    b"Aug",
    b"August",
    b"Sep",
    b"Sept",
    b"September",
    b"Oct",
    b"October",
    b"Nov",
    b"November",
    b"Dec",
    b"December",
    b"Mon",
    b"Monday",
    b"Tue",
    b"Tuesday",
    b"Wed",
    b"Wednesday",
    b"Thu",
    b"Thursday",
    b"Fri",
    b"Friday",
    b"Sat",
    b"Saturday",
    b"Sun",
    b"Sunday",
    b"Tues",
    b"Thurs",
];

#[inline(always)]
fn is_date_word(t: &[u8]) -> bool {
    if t.len() < 3 || t.len() > 10 || !t[0].is_ascii_uppercase() {
        return false;
    }
    let t = t.strip_suffix(b",").unwrap_or(t);
    // A `match` on the bytes (length first), not a scan of `DATE_WORDS`.
    matches!(
        t,
        b"Jan"
            | b"January"
            | b"Feb"
            | b"February"
            | b"Mar"
            | b"March"
            | b"Apr"
            | b"April"
            | b"May"
            | b"Jun"
            | b"June"
            | b"Jul"
            | b"July"
            | b"Aug"
            | b"August"
            | b"Sep"
            | b"Sept"
            | b"September"
            | b"Oct"
            | b"October"
            | b"Nov"
            | b"November"
            | b"Dec"
            | b"December"
            | b"Mon"
            | b"Monday"
            | b"Tue"
            | b"Tuesday"
            | b"Wed"
            | b"Wednesday"
            | b"Thu"
            | b"Thursday"
            | b"Fri"
            | b"Friday"
            | b"Sat"
            | b"Saturday"
            | b"Sun"
            | b"Sunday"
            | b"Tues"
            | b"Thurs"
    )
}

/// A date word is part of a date when the token before it is masked or the next token
/// starts with a digit or is another date word (`Fri Jul  1 07:57:30 2005`).
fn date_context(msg: &[u8], end: usize, out: &[u8]) -> bool {
    let prev_masked = out.ends_with(b"<*> ");
    let mut i = end;
    while i < msg.len() && class(msg[i]) == WS {
        i += 1;
    }
    let mut j = i;
    while j < msg.len() && class(msg[j]) != WS {
        j += 1;
    }
    let next = &msg[i..j];
    prev_masked
        || next.first().is_some_and(u8::is_ascii_digit)
        || (!next.is_empty() && is_date_word(next))
}

/// Masks one token (no whitespace outside double quotes). `may_be_whole`: the token holds
/// a byte a path, URL, e-mail address or UUID needs (false skips those checks).
fn mask_token(tok: &[u8], out: &mut Vec<u8>, may_be_whole: bool) {
    // Leading and trailing brackets/punctuation stay around the core.
    let mut a = 0;
    while a < tok.len() && matches!(tok[a], b'(' | b'[' | b'{' | b'<' | b'=') {
        a += 1;
    }
    let mut b = tok.len();
    while b > a
        && matches!(
            tok[b - 1],
            b')' | b']' | b'}' | b'>' | b',' | b';' | b'.' | b':' | b'!' | b'?'
        )
    {
        b -= 1;
    }
    let core = &tok[a..b];
    if may_be_whole && whole_token_variable(core) {
        out.extend_from_slice(&tok[..a]);
        out.extend_from_slice(WILDCARD.as_bytes());
        out.extend_from_slice(&tok[b..]);
        return;
    }
    mask_pieces(tok, out);
}

/// Paths, URLs, e-mail addresses and UUIDs: the whole token is the value.
fn whole_token_variable(core: &[u8]) -> bool {
    if core.len() < 2 {
        return false;
    }
    let c0 = core[0];
    // Unix paths, home/relative paths, Windows drive paths, UNC paths.
    if (c0 == b'/' && core[1] != b'/' && class(core[1]) != WS)
        || core.starts_with(b"~/")
        || core.starts_with(b"./")
        || core.starts_with(b"../")
        || core.starts_with(b"\\\\")
        || (core.len() > 2 && c0.is_ascii_alphabetic() && core[1] == b':' && core[2] == b'\\')
    {
        return true;
    }
    // URLs.
    // Tokens are short: a plain loop beats memchr's dispatch here (this runs per token).
    if core
        .iter()
        .position(|&c| c == b':')
        .is_some_and(|i| core[i..].starts_with(b"://"))
    {
        return true;
    }
    // E-mail: local@domain.tld.
    if let Some(at) = core.iter().position(|&c| c == b'@') {
        if at > 0
            && class(core[at - 1]) != PUNCT
            && core[at + 1..].contains(&b'.')
            && core[at + 1..]
                .first()
                .is_some_and(|c| c.is_ascii_alphanumeric())
            && core[at + 1..]
                .iter()
                .all(|&c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-')
            && core[at + 1..]
                .iter()
                .rev()
                .take_while(|&&c| c != b'.')
                .all(|c| c.is_ascii_alphabetic())
        {
            return true;
        }
    }
    // UUID 8-4-4-4-12.
    if core.len() == 36
        && core.iter().enumerate().all(|(i, &c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == b'-'
            } else {
                is_hex(c)
            }
        })
    {
        return true;
    }
    false
}

/// Piece-wise masking inside a token: alphanumeric runs holding a digit (or long hex runs)
/// become `<*>`, quoted spans become `<*>`, joined masked runs collapse.
///
/// One body, longer than the usual limit, not cut into steps: it is inside the miner's
/// per-line cost (see [`mask`]), whose loops are tuned by measurement (docs/unknown-errors.md, template
/// mining, "Speed"); `tests::reference` keeps its straightforward version.
fn mask_pieces(tok: &[u8], out: &mut Vec<u8>) {
    let n = tok.len();
    let mut i = 0;
    // Output position just after the last `<*>` written, if nothing but joiners followed.
    let mut last_var_end: Option<usize> = None;
    let mut pending_join: usize = 0; // joiner bytes written since the last `<*>`
    while i < n {
        let c = tok[i];
        let cl = class(c);
        if cl == PUNCT {
            // Double-quoted span (may hold spaces) or single-quoted value at a word start.
            if c == b'"' {
                if let Some(q) = memchr::memchr(b'"', &tok[i + 1..]) {
                    let inner = &tok[i + 1..i + 1 + q];
                    if inner.iter().any(|&c| class(c) == WS) {
                        // A quoted phrase (`"GET /api HTTP/1.1"`) keeps its words.
                        out.push(b'"');
                        // `inner` holds no `"`, so this does not come back here.
                        QUOTED.with(|q| {
                            let mut tmp = q.take();
                            mask(inner, &mut tmp);
                            out.extend_from_slice(&tmp);
                            q.replace(tmp);
                        });
                        out.push(b'"');
                        last_var_end = None;
                        pending_join = 0;
                        i += q + 2;
                        continue;
                    }
                    emit_var(out, &mut last_var_end, &mut pending_join, true);
                    i += q + 2;
                    continue;
                }
            } else if c == b'\'' && (i == 0 || class(tok[i - 1]) != ALPHA) {
                if let Some(q) = memchr::memchr(b'\'', &tok[i + 1..]) {
                    let close = i + 1 + q;
                    if close + 1 >= n || class(tok[close + 1]) == PUNCT {
                        emit_var(out, &mut last_var_end, &mut pending_join, true);
                        i = close + 1;
                        continue;
                    }
                }
            }
            // A sign directly before digits belongs to the number.
            if (c == b'-' || c == b'+' || c == b'<' || c == b'>' || c == b'~')
                && i + 1 < n
                && class(tok[i + 1]) == DIGIT
                && (i == 0 || class(tok[i - 1]) == PUNCT)
            {
                i += 1;
                continue;
            }
            out.push(c);
            if last_var_end.is_some() && is_joiner(c) {
                pending_join += 1;
            } else {
                last_var_end = None;
                pending_join = 0;
            }
            i += 1;
            continue;
        }
        // IPv6 (`fe80::1ff:fe23:4567:890a`, `::ffff:10.0.0.1`) and MAC addresses.
        if (i == 0 || !is_word_byte(tok[i - 1])) && is_hex(c) {
            let e = ipv6_end(tok, i);
            if e > i {
                emit_var(out, &mut last_var_end, &mut pending_join, false);
                i = e;
                continue;
            }
        }
        // A dotted/dashed word with a numeric piece (`220-135-151-1.hinet-ip.hinet.net`,
        // `node-148`, `core.114`) is one value.
        if i == 0 || !is_word_byte(tok[i - 1]) {
            let mut e = i;
            let mut pieces = 1;
            let mut numeric_piece = class(tok[i]) == DIGIT;
            while e < n && is_word_byte(tok[e]) {
                if matches!(tok[e], b'.' | b'_' | b'-') && e + 1 < n && class(tok[e + 1]) != PUNCT {
                    pieces += 1;
                    numeric_piece |= class(tok[e + 1]) == DIGIT;
                }
                e += 1;
            }
            while e > i && matches!(tok[e - 1], b'.' | b'_' | b'-') {
                e -= 1;
            }
            if pieces >= 2 && (numeric_piece || is_hostname(&tok[i..e])) {
                emit_var(out, &mut last_var_end, &mut pending_join, false);
                i = e;
                continue;
            }
        }
        // An alphanumeric run.
        let s = i;
        let mut digits = false;
        let mut all_hex = true;
        while i < n {
            let k = class(tok[i]);
            if k == DIGIT {
                digits = true;
            } else if k == ALPHA {
                all_hex &= is_hex(tok[i]);
            } else {
                break;
            }
            i += 1;
        }
        let len = i - s;
        // `SOCKS5`, `ipv6`, `sha256`, `eth0`: a word with a few trailing digits is a name.
        let name_like = digits
            && len >= 3
            && tok[s].is_ascii_alphabetic()
            && tok[s + 1].is_ascii_alphabetic()
            && tok[s..i].iter().filter(|c| c.is_ascii_digit()).count() <= 3
            && !(all_hex && len >= 8);
        if (digits && !name_like) || (all_hex && len >= 8) {
            emit_var(out, &mut last_var_end, &mut pending_join, false);
        } else {
            out.extend_from_slice(&tok[s..i]);
            last_var_end = None;
            pending_join = 0;
        }
    }
}

#[inline]
fn emit_var(
    out: &mut Vec<u8>,
    last_var_end: &mut Option<usize>,
    pending_join: &mut usize,
    quoted: bool,
) {
    if let (Some(_), false) = (*last_var_end, quoted) {
        // `<*>` + joiners + this value: drop the joiners, the value joins the `<*>`.
        out.truncate(out.len() - *pending_join);
    } else {
        out.extend_from_slice(WILDCARD.as_bytes());
    }
    *last_var_end = Some(out.len());
    *pending_join = 0;
}

/// Masks one message into a new string (convenience for tests and reports).
pub fn mask_str(msg: &str) -> String {
    let mut out = Vec::with_capacity(msg.len());
    mask(msg.as_bytes(), &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
pub mod tests;

//! Template mining: unknown error messages → templates with stable ids.
//!
//! Input: messages (the head line of a log record with its timestamp/level/thread/logger
//! prefix stripped, see [`strip_prefix`]). Output: a [`Clustering`]: one template per group
//! of messages that differ only in their variable parts, and for each message its template.
//!
//! How (one built-in configuration, no per-dataset tuning):
//! 1. **Mask** ([`mask`]): numbers, hex ids, UUIDs, IPv4/IPv6 addresses (with ports), paths,
//!    URLs, e-mail addresses and quoted values become `<*>`; a token keeps its letters and
//!    punctuation (`blk_-6330812010936261924` → `blk_<*>`, `taskID[2019352994]` →
//!    `taskID[<*>]`), so exception class names and identifiers survive. Runs of masked
//!    pieces joined by `.`, `:`, `-`, `/`, ... collapse into one `<*>` (`10.0.0.1:8080`).
//! 2. **Deduplicate**: identical masked messages share one key (a hash map, per chunk of
//!    messages, merged in input order). This is the per-line cost; everything after runs
//!    once per distinct masked message. Most messages are not masked at all: masking does
//!    not depend on which digit a byte is, so a message that differs from one masked
//!    recently only in digits masking drops (ids, addresses, sizes, times) takes that
//!    one's key from a small per-thread memo (see [`Distinct::add`]). What is left per
//!    line is prefix stripping, the memo's hash and compare, and masking the rest; token
//!    ends come from a whitespace bitmask of 64 bytes at a time (`WsScan`).
//! 3. **Cluster** the distinct masked messages, weighted by count, in a deterministic order:
//!    messages are grouped by token count; within a group, a token is a *constant* when it
//!    is frequent at its position (the "longest common pattern" idea of Brain, Yu et al.
//!    2023): each message's constants are the tokens that share its most common
//!    (position, token) frequency; messages with the same constants form a cluster, and
//!    clusters whose templates differ in a single column holding many distinct values are
//!    merged (that column is a variable). See `cluster` below for the exact rules.
//! 4. **Ids**: a template's id is a 64-bit FNV-1a hash of its text, printed as 16 hex
//!    digits: the same text gets the same id on every run, for `-j1` and `-j8`.

use crate::record::level::{Level, LevelRecord};
use crate::record::tokens::{class, WsScan, ALPHA, CLASS, DIGIT, PUNCT, WS};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

pub use crate::record::strip_prefix;

/// The wildcard written for a masked value.
pub const WILDCARD: &str = "<*>";

// ---------------------------------------------------------------------------------------
// Fast hashing (FxHash): keys are our own masked text, not attacker-controlled in a way
// that matters for a one-shot CLI run.

/// FxHasher (rustc's hasher): a multiply-rotate over 8-byte words.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.hash = (self.hash.rotate_left(5) ^ w).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf) ^ ((rest.len() as u64) << 59));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A `HashMap` with [`FxHasher`].
pub type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// FNV-1a, 64 bit: the stable template id hash (documented, reproducible anywhere).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The stable id of a template text: 16 lowercase hex digits.
pub fn template_id(text: &str) -> String {
    format!("{:016x}", fnv1a64(text.as_bytes()))
}

// ---------------------------------------------------------------------------------------
// Masking.

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

// ---------------------------------------------------------------------------------------
// Deduplication of masked messages.

/// Distinct masked messages in first-seen order, with counts.
#[derive(Debug)]
pub struct Distinct {
    index: FxHashMap<Box<[u8]>, u32>,
    /// Masked text per key, first-seen order.
    pub keys: Vec<Box<[u8]>>,
    /// Messages per key.
    pub counts: Vec<u64>,
    scratch: Vec<u8>,
    /// Tells this set's entries in the thread's raw-message memo from other sets' (see
    /// [`Distinct::add`]): unique per set, clones included.
    id: u64,
}

/// Ids of [`Distinct`] sets (0 marks an empty memo slot).
static NEXT_DISTINCT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Default for Distinct {
    fn default() -> Distinct {
        Distinct {
            index: FxHashMap::default(),
            keys: Vec::new(),
            counts: Vec::new(),
            scratch: Vec::new(),
            id: NEXT_DISTINCT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }
}

impl Clone for Distinct {
    /// A clone is a new set: its keys may diverge from the original's, so it must not
    /// take the original's memo entries.
    fn clone(&self) -> Distinct {
        Distinct {
            index: self.index.clone(),
            keys: self.keys.clone(),
            counts: self.counts.clone(),
            ..Distinct::default()
        }
    }
}

/// Slots of the message memo: a cache of sets of two, so it holds a bounded number of
/// messages however many distinct ones pass (ids, timestamps, ...).
const MEMO_SLOTS: usize = 1024;

/// One memo entry: a message's digit form (see [`Distinct::add`]), the digits it keeps,
/// and its key in the set `owner`; `owner == 0` for an empty slot.
#[derive(Clone, Debug)]
struct MemoSlot {
    owner: u64,
    hash: u64,
    key: u32,
    form: Vec<u8>,
    /// The message's [`word_digit_runs`] (start, length), and their digits, concatenated.
    runs: Vec<(u32, u32)>,
    run_digits: Vec<u8>,
}

/// The message memo of one thread: its slots, and a buffer for a message's digit form.
#[derive(Default)]
struct Memo {
    slots: Vec<MemoSlot>,
    form: Vec<u8>,
}

thread_local! {
    /// The message memo of [`Distinct::add`], one per thread rather than one per set: the
    /// miner makes a set per chunk of 16 K messages, and a memo per set meant allocating
    /// and faulting in up to 1024 message buffers per chunk (about 100 MB over the 2 GB
    /// bench corpus, with the two threads contending in the kernel's page-fault path). A
    /// thread's memo serves one set at a time; an entry of another set is a miss.
    static MEMO: std::cell::RefCell<Memo> = std::cell::RefCell::new(Memo::default());
}

/// `msg` with every ASCII digit replaced by `0`, into `out` (cleared first): its *digit
/// form*. Masking treats all digits alike (see [`Distinct::add`]).
#[inline]
fn digit_form(msg: &[u8], out: &mut Vec<u8>) {
    out.clear();
    // A plain map over the bytes: the compiler vectorises it.
    out.extend(
        msg.iter()
            .map(|&c| if c.is_ascii_digit() { b'0' } else { c }),
    );
}

/// The memo's hash of a digit form: FxHash's step in four independent lanes, 32 bytes a
/// round, the last round over the last 32 bytes (overlapping the one before). A message of
/// 200 bytes waits on 8 multiplies in a row instead of 26.
#[inline]
fn memo_hash(b: &[u8]) -> u64 {
    if b.len() < 32 {
        let mut h = FxHasher::default();
        h.write(b);
        return h.finish();
    }
    let mut lanes = [1u64, 2, 3, 4];
    let mut round = |c: &[u8]| {
        for (l, w) in lanes.iter_mut().zip(c.chunks_exact(8)) {
            let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
            *l = (l.rotate_left(5) ^ w).wrapping_mul(FX_SEED);
        }
    };
    let mut chunks = b.chunks_exact(32);
    for c in &mut chunks {
        round(c);
    }
    if !chunks.remainder().is_empty() {
        round(&b[b.len() - 32..]);
    }
    let [a, c, d, e] = lanes;
    (a ^ c.rotate_left(16) ^ d.rotate_left(32) ^ e.rotate_left(48) ^ b.len() as u64)
        .wrapping_mul(FX_SEED)
}

/// The runs of digits (start, length) inside words that start with an ASCII letter
/// (`Win64`, `SOCKS5`, `ab1c2`), into `out` (cleared first). A word here is a maximal run
/// of letters and digits (class `ALPHA` or `DIGIT`): the runs [`mask_pieces`] judges,
/// which only keeps digits of a run that starts with two letters (a name like `eth0`).
fn word_digit_runs(msg: &[u8], out: &mut Vec<(u32, u32)>) {
    out.clear();
    let alnum = |c: u8| matches!(class(c), DIGIT | ALPHA);
    let mut i = 0;
    while i < msg.len() {
        if !alnum(msg[i]) {
            i += 1;
            continue;
        }
        let word = msg[i].is_ascii_alphabetic();
        while i < msg.len() && alnum(msg[i]) {
            if word && msg[i].is_ascii_digit() {
                let s = i;
                while i < msg.len() && msg[i].is_ascii_digit() {
                    i += 1;
                }
                out.push((s as u32, (i - s) as u32));
            } else {
                i += 1;
            }
        }
    }
}

impl Distinct {
    /// An empty set.
    pub fn new() -> Distinct {
        Distinct::default()
    }

    /// Masks `msg` and returns its key.
    ///
    /// Most messages are not masked: a small cache (the thread's `MEMO`) gives the key of
    /// a message masked before *up to digits masking drops*. Masking never looks at which
    /// digit a byte is, only that it is one (byte classes, hex tests, lengths and counts of
    /// digit runs), and the only digits it copies to its output are in words that start
    /// with letters (`eth0`, `Win64`). So two messages with the same *digit form* (every
    /// digit replaced by `0`, `digit_form`) and the same digits in such words
    /// (`word_digit_runs`) are masked alike: `Order 488079 created` and `Order 512345
    /// created` share an entry, as do nginx access lines that differ in addresses, sizes
    /// and times. `tests::mask_ignores_digits_outside_words` checks this premise.
    #[inline]
    pub fn add(&mut self, msg: &[u8]) -> u32 {
        MEMO.with(|memo| {
            let memo = &mut *memo.borrow_mut();
            if memo.slots.is_empty() {
                memo.slots = vec![
                    MemoSlot {
                        owner: 0,
                        hash: 0,
                        key: 0,
                        form: Vec::new(),
                        runs: Vec::new(),
                        run_digits: Vec::new(),
                    };
                    MEMO_SLOTS
                ];
            }
            digit_form(msg, &mut memo.form);
            let hash = memo_hash(&memo.form);
            // Two ways per set, the more recently used first: two frequent messages whose
            // hashes share a set do not evict each other on every line.
            let set = 2 * ((hash >> 54) as usize % (MEMO_SLOTS / 2));
            let id = self.id;
            let form = &memo.form;
            // Same digit form: the same words, so `m.runs` are where `msg`'s kept digits are.
            let matches = |m: &MemoSlot| {
                m.owner == id && m.hash == hash && m.form == *form && {
                    let mut d = &m.run_digits[..];
                    m.runs.iter().all(|&(s, n)| {
                        let (kept, rest) = d.split_at(n as usize);
                        d = rest;
                        msg[s as usize..(s + n) as usize] == *kept
                    })
                }
            };
            let ways = &mut memo.slots[set..set + 2];
            if matches(&ways[0]) {
                let k = ways[0].key;
                self.counts[k as usize] += 1;
                return k;
            }
            if matches(&ways[1]) {
                ways.swap(0, 1);
                let k = ways[0].key;
                self.counts[k as usize] += 1;
                return k;
            }
            let mut scratch = std::mem::take(&mut self.scratch);
            mask(msg, &mut scratch);
            let k = self.add_masked(&scratch, 1);
            self.scratch = scratch;
            // The new entry goes first; the least recently used one is dropped.
            ways.swap(0, 1);
            let m = &mut ways[0];
            m.owner = id;
            m.hash = hash;
            m.key = k;
            std::mem::swap(&mut m.form, &mut memo.form);
            word_digit_runs(msg, &mut m.runs);
            m.run_digits.clear();
            for &(s, n) in &m.runs {
                m.run_digits
                    .extend_from_slice(&msg[s as usize..(s + n) as usize]);
            }
            k
        })
    }

    /// Adds an already masked message `n` times.
    #[inline]
    pub fn add_masked(&mut self, masked: &[u8], n: u64) -> u32 {
        if let Some(&k) = self.index.get(masked) {
            self.counts[k as usize] += n;
            return k;
        }
        let k = self.keys.len() as u32;
        let boxed: Box<[u8]> = masked.into();
        self.index.insert(boxed.clone(), k);
        self.keys.push(boxed);
        self.counts.push(n);
        k
    }

    /// Appends `other` (later input) to `self`; returns the remap of `other`'s keys.
    pub fn merge(&mut self, other: Distinct) -> Vec<u32> {
        other
            .keys
            .iter()
            .zip(&other.counts)
            .map(|(k, &n)| self.add_masked(k, n))
            .collect()
    }

    /// Number of distinct masked messages.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// No messages?
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

// ---------------------------------------------------------------------------------------
// Clustering.

/// Result of clustering distinct masked messages.
#[derive(Clone, Debug, Default)]
pub struct Clustering {
    /// Template texts (tokens joined by single spaces, `<*>` for variables), in order of
    /// first appearance of their first key.
    pub templates: Vec<String>,
    /// For each distinct key, its template index.
    pub of_key: Vec<u32>,
}

/// A column with fewer distinct names than this splits its cluster (one template each).
const SPLIT_BELOW: usize = 3;
/// A column with at most this many distinct names, each in at least
/// [`SPLIT_ENUM_MIN_COUNT`] messages, also splits: an enumeration such as `VM Paused` /
/// `VM Resumed` / `VM Started` / `VM Stopped`, not a variable.
const SPLIT_ENUM_MAX: usize = 6;
/// See [`SPLIT_ENUM_MAX`].
const SPLIT_ENUM_MIN_COUNT: u64 = 3;

/// Clusters distinct masked messages, weighted by their counts. The result does not
/// depend on the order of `d`'s keys except for template numbering (first key first).
///
/// 1. Messages are grouped by token count.
/// 2. In a group, each (position, token) has a frequency: the messages holding it. Each
///    message's *longest common pattern* is the set of its tokens sharing the frequency
///    value most of its tokens have (ties: the rarer value, the more specific pattern).
///    Tokens of one event occur together, so they share a frequency; variables spread
///    over many values and tokens shared with other events are more frequent.
///    Messages with the same pattern form a cluster.
/// 3. A cluster's columns that hold more than one token are variables, except that a
///    column of names (tokens with a letter) that is an enumeration splits the cluster:
///    fewer than [`SPLIT_BELOW`] distinct names, or at most [`SPLIT_ENUM_MAX`] names each
///    seen [`SPLIT_ENUM_MIN_COUNT`] times. The column with the fewest names splits first,
///    then each part is examined again.
pub fn cluster(d: &Distinct) -> Clustering {
    let mut intern = Interner::new();
    let seqs: Vec<Vec<u32>> = d.keys.iter().map(|k| tokenize(&mut intern, k)).collect();
    // Tokens without a letter (`<*>`, `(<*>)`, `<*>,`, `()`, `****`) are values.
    let valueish: Vec<bool> = intern
        .text
        .iter()
        .map(|t| !t.iter().any(|c| c.is_ascii_alphabetic() || *c >= 0x80))
        .collect();
    let ctx = Ctx {
        seqs: &seqs,
        counts: &d.counts,
        valueish: &valueish,
    };
    let mut by_len: std::collections::BTreeMap<usize, Vec<u32>> = Default::default();
    for (k, s) in seqs.iter().enumerate() {
        by_len.entry(s.len()).or_default().push(k as u32);
    }
    let mut clusters: Vec<(Vec<u32>, Vec<u32>)> = Vec::new(); // (template, keys)
    let mut freq: FxHashMap<(usize, u32), u64> = FxHashMap::default();
    let mut fs: Vec<u64> = Vec::new();
    for (_, keys) in by_len {
        freq.clear();
        for &k in &keys {
            for (p, &t) in seqs[k as usize].iter().enumerate() {
                if t != WILD {
                    *freq.entry((p, t)).or_default() += d.counts[k as usize];
                }
            }
        }
        let mut groups: Vec<Vec<u32>> = Vec::new();
        let mut group_of: FxHashMap<Vec<(usize, u32)>, usize> = FxHashMap::default();
        for &k in &keys {
            let seq = &seqs[k as usize];
            fs.clear();
            fs.extend(
                seq.iter()
                    .enumerate()
                    .filter(|(_, &t)| t != WILD)
                    .map(|(p, &t)| freq[&(p, t)]),
            );
            fs.sort_unstable();
            // The frequency value shared by most tokens; ties go to the rarer value.
            let mut best = (0usize, 0u64);
            let mut i = 0;
            while i < fs.len() {
                let mut j = i;
                while j < fs.len() && fs[j] == fs[i] {
                    j += 1;
                }
                if j - i > best.0 {
                    best = (j - i, fs[i]);
                }
                i = j;
            }
            let lcp: Vec<(usize, u32)> = seq
                .iter()
                .enumerate()
                .filter(|(p, &t)| t != WILD && freq[&(*p, t)] == best.1)
                .map(|(p, &t)| (p, t))
                .collect();
            let g = *group_of.entry(lcp).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[g].push(k);
        }
        for g in groups {
            refine(&ctx, g, &mut clusters);
        }
    }
    finish_clusters(&intern, clusters, seqs.len())
}

struct Ctx<'a> {
    seqs: &'a [Vec<u32>],
    counts: &'a [u64],
    valueish: &'a [bool],
}

/// Splits a cluster on its enumeration columns (fewest names first) and emits one
/// template per part; other columns with several tokens become `<*>`.
fn refine(ctx: &Ctx, group: Vec<u32>, out: &mut Vec<(Vec<u32>, Vec<u32>)>) {
    let seqs = ctx.seqs;
    let mut tpl = seqs[group[0] as usize].clone();
    let mut split: Option<(usize, usize)> = None; // (distinct names, position)
    let mut vals: Vec<(u32, u64)> = Vec::new();
    for (p, slot) in tpl.iter_mut().enumerate() {
        vals.clear();
        for &k in &group {
            let t = seqs[k as usize][p];
            let n = ctx.counts[k as usize];
            match vals.iter_mut().find(|(v, _)| *v == t) {
                Some((_, c)) => *c += n,
                None => vals.push((t, n)),
            }
            if vals.len() > SPLIT_ENUM_MAX + 1 {
                break;
            }
        }
        if vals.len() == 1 {
            continue;
        }
        *slot = WILD;
        let names = vals.iter().all(|&(v, _)| !ctx.valueish[v as usize]);
        let enumeration = names
            && (vals.len() < SPLIT_BELOW
                || (vals.len() <= SPLIT_ENUM_MAX
                    && vals.iter().all(|&(_, c)| c >= SPLIT_ENUM_MIN_COUNT)));
        if enumeration && split.map_or(true, |(u, _)| vals.len() < u) {
            split = Some((vals.len(), p));
        }
    }
    let Some((_, p)) = split else {
        out.push((tpl, group));
        return;
    };
    let mut parts: Vec<(u32, Vec<u32>)> = Vec::new();
    for k in group {
        let v = seqs[k as usize][p];
        match parts.iter_mut().find(|(t, _)| *t == v) {
            Some((_, ks)) => ks.push(k),
            None => parts.push((v, vec![k])),
        }
    }
    for (_, ks) in parts {
        refine(ctx, ks, out);
    }
}

/// Numbers clusters by their first key and merges clusters with the same template text
/// (same text, same id).
fn finish_clusters(
    intern: &Interner,
    mut clusters: Vec<(Vec<u32>, Vec<u32>)>,
    nkeys: usize,
) -> Clustering {
    clusters.sort_by_key(|(_, ks)| ks.iter().copied().min());
    let mut templates: Vec<String> = Vec::new();
    let mut by_text: FxHashMap<String, u32> = FxHashMap::default();
    let mut of_key = vec![0u32; nkeys];
    for (tpl, ks) in clusters {
        let mut text = Vec::new();
        for (i, &t) in tpl.iter().enumerate() {
            if i > 0 {
                text.push(b' ');
            }
            text.extend_from_slice(&intern.text[t as usize]);
        }
        let text = String::from_utf8_lossy(&text).into_owned();
        let id = *by_text.entry(text.clone()).or_insert_with(|| {
            templates.push(text);
            templates.len() as u32 - 1
        });
        for k in ks {
            of_key[k as usize] = id;
        }
    }
    Clustering { templates, of_key }
}

/// Token interning for clustering; id 0 is `<*>`.
struct Interner {
    ids: FxHashMap<Vec<u8>, u32>,
    text: Vec<Vec<u8>>,
}

const WILD: u32 = 0;

impl Interner {
    fn new() -> Interner {
        let mut i = Interner {
            ids: FxHashMap::default(),
            text: Vec::new(),
        };
        i.id(WILDCARD.as_bytes());
        i
    }
    fn id(&mut self, t: &[u8]) -> u32 {
        if let Some(&k) = self.ids.get(t) {
            return k;
        }
        let k = self.text.len() as u32;
        self.ids.insert(t.to_vec(), k);
        self.text.push(t.to_vec());
        k
    }
}

fn tokenize(intern: &mut Interner, key: &[u8]) -> Vec<u32> {
    key.split(|&c| c == b' ')
        .filter(|t| !t.is_empty())
        .map(|t| intern.id(t))
        .collect()
}

/// Mines templates from messages: masks and deduplicates them in parallel (rayon, chunks
/// merged in input order) and clusters the distinct masked messages. Returns the
/// clustering and, per message, its template index.
pub fn mine<S: AsRef<[u8]> + Sync>(messages: &[S]) -> (Clustering, Vec<u32>) {
    use rayon::prelude::*;
    const CHUNK: usize = 1 << 14;
    let parts: Vec<(Distinct, Vec<u32>)> = messages
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut d = Distinct::new();
            let ids = chunk.iter().map(|m| d.add(m.as_ref())).collect();
            (d, ids)
        })
        .collect();
    let mut all = Distinct::new();
    let mut keys = Vec::with_capacity(messages.len());
    for (d, ids) in parts {
        let remap = all.merge(d);
        keys.extend(ids.into_iter().map(|k| remap[k as usize]));
    }
    let c = cluster(&all);
    let assign = keys.into_iter().map(|k| c.of_key[k as usize]).collect();
    (c, assign)
}

// ---------------------------------------------------------------------------------------
// Unknown errors: templates of the level records no signature matched, and their bursts.

/// Default `--burst-min`: records of one template that make a burst.
pub const DEFAULT_BURST_MIN: usize = 5;
/// A burst's rate must be at least this many times the template's rate in the rest of the
/// scanned span (and, for a chronically clumpy template, its median clump rate).
pub const BURST_RATE_FACTOR: f64 = 10.0;
/// A template with at least this many clumps (windows of `--burst-min` records) clumps
/// habitually: its bursts must also stand out against its median clump (see [`analyze`]).
/// Meant as "more than a few": a handful of floods of an otherwise quiet error are each
/// news (the unknown-errors fixture has 3, so it must be at least 4); from 5 on, the median
/// clump is a usual clump. Not fitted to loghub: every value from 4 to 37 gives the same
/// loghub results (Apache's chronic template has 37 clumps, the other systems' bursting
/// templates at most 3).
pub const CHRONIC_CLUMPS: usize = 5;

/// One template of unknown error/warning records, with its statistics.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    /// `template:` + 16 hex digits of FNV-1a over `text` (see [`template_id`]).
    pub id: String,
    /// The template: masked message tokens, `[exception class]` last when the record
    /// named one.
    pub text: String,
    /// Most severe level among its records.
    pub level: Level,
    /// The exception class its records name (deepest `Caused by:`), if any.
    pub exception: Option<String>,
    /// Records.
    pub count: u64,
    /// Records without a usable time.
    pub undated: u64,
    /// Earliest record time.
    pub first: Option<DateTime<Utc>>,
    /// Latest record time.
    pub last: Option<DateTime<Utc>>,
    /// Services with records, sorted.
    pub services: Vec<String>,
    /// The first record (index into the record list): the example line.
    pub example: usize,
    /// Its records (indices into the record list), in record order.
    pub records: Vec<usize>,
}

/// A burst: a window in which one error-level template fired far above its own rate.
#[derive(Clone, Debug, PartialEq)]
pub struct Burst {
    /// Template index.
    pub template: usize,
    /// First record time in the window.
    pub start: DateTime<Utc>,
    /// Last record time in the window.
    pub end: DateTime<Utc>,
    /// Error records of the template in the window (indices into the record list).
    pub records: Vec<usize>,
    /// Error records of the template outside the window.
    pub background: u64,
}

/// Templates and bursts of one scan.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Analysis {
    /// Templates, ordered by first time (undated last), then id.
    pub templates: Vec<Template>,
    /// For each record, its template index.
    pub of_record: Vec<u32>,
    /// Bursts by start time, then template.
    pub bursts: Vec<Burst>,
}

/// The message mined for a record: its message, plus `[exception class]` when the record
/// names one that the message does not already show.
pub fn record_message(r: &LevelRecord) -> std::borrow::Cow<'_, str> {
    match &r.exception {
        Some(e) if !r.message().contains(&**e) => format!("{} [{}]", r.message(), e).into(),
        _ => std::borrow::Cow::Borrowed(r.message()),
    }
}

/// Mines the templates of `records` (sorted as [`crate::scan::ScanOutput::unknown`]) and
/// finds their bursts.
///
/// Burst rule, per error-level template: its dated error records chain into windows while
/// consecutive records are less than `gap` apart. A window is a burst when
/// 1. it holds at least `burst_min` records, and
/// 2. its rate, records / max(window length, `gap`), is at least [`BURST_RATE_FACTOR`]
///    times the template's rate in the rest of the scanned span (`span`): records outside
///    the window / (span − max(window length, gap)); a template never seen outside the
///    window has rate 0 there, and
/// 3. the rest of the span is at least as long as the window (a template that fires all
///    through the logs has no quieter baseline to burst from: that is its usual rate), and
/// 4. it stands out against the template's own clumps: a *clump* is any of its windows
///    holding at least `burst_min` records (this one included). A template with at least
///    [`CHRONIC_CLUMPS`] clumps clumps habitually, and then a window must also have at least
///    [`BURST_RATE_FACTOR`] times the median clump rate (rates as in 2). With fewer clumps
///    rule 4 holds for every window.
///
/// So an error that recurs at its usual rate, however often, never bursts; the same error
/// arriving five times in a minute after hours of one an hour does. Rule 4 is for errors
/// whose usual rate is itself clumpy (Apache's `mod_jk child workerEnv in error state <*>`
/// arrives in dozens of 5–30-record clumps through a day and a half): against the rest of
/// the span every clump looks like a burst, but a clump like the template's other clumps is
/// its normal behaviour, not an outage; only a clump far above them is.
pub fn analyze<'s>(
    records: &[LevelRecord],
    service_of: &dyn Fn(u32) -> &'s str,
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    gap: chrono::Duration,
    burst_min: usize,
) -> Analysis {
    // Borrowed where the message is the record's own (most): no second copy of every
    // message in memory (350,000 nginx warnings in the bench corpus were ~90 MB of copies).
    let messages: Vec<std::borrow::Cow<'_, str>> = records.iter().map(record_message).collect();
    let views: Vec<&[u8]> = messages.iter().map(|m| m.as_bytes()).collect();
    let (clustering, assign) = mine(&views);
    // Per clustered template: its records.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); clustering.templates.len()];
    for (i, &t) in assign.iter().enumerate() {
        members[t as usize].push(i);
    }
    let mut templates: Vec<Template> = Vec::new();
    for (t, recs) in members.into_iter().enumerate() {
        if recs.is_empty() {
            continue;
        }
        let text = clustering.templates[t].clone();
        // Borrowed, then owned once per service (a string per record was 35,000
        // allocations for the bench's small files).
        let mut services: Vec<&str> = recs.iter().map(|&i| service_of(records[i].file)).collect();
        services.sort_unstable();
        services.dedup();
        let services: Vec<String> = services.into_iter().map(str::to_string).collect();
        let mut exceptions: Vec<&str> = recs
            .iter()
            .filter_map(|&i| records[i].exception.as_deref())
            .collect();
        exceptions.sort_unstable();
        let exception = most_common(&exceptions).map(str::to_string);
        let times = recs.iter().filter_map(|&i| records[i].time);
        templates.push(Template {
            id: format!("template:{}", template_id(&text)),
            level: recs
                .iter()
                .map(|&i| records[i].level)
                .min()
                .expect("records"),
            exception,
            count: recs.len() as u64,
            undated: recs.iter().filter(|&&i| records[i].time.is_none()).count() as u64,
            first: times.clone().min(),
            last: times.max(),
            services,
            example: recs[0],
            records: recs,
            text,
        });
    }
    templates.sort_by(|a, b| {
        (a.first.is_none(), a.first, &a.id).cmp(&(b.first.is_none(), b.first, &b.id))
    });
    let mut of_record = vec![0u32; records.len()];
    for (t, tpl) in templates.iter().enumerate() {
        for &i in &tpl.records {
            of_record[i] = t as u32;
        }
    }
    let mut bursts = Vec::new();
    if let Some((s0, s1)) = span {
        let span_len = (s1 - s0).max(chrono::Duration::zero());
        for (t, tpl) in templates.iter().enumerate() {
            if tpl.level != Level::Error {
                continue;
            }
            let errs: Vec<usize> = tpl
                .records
                .iter()
                .copied()
                .filter(|&i| records[i].level == Level::Error && records[i].time.is_some())
                .collect();
            if errs.len() < burst_min {
                continue;
            }
            let time = |i: usize| records[errs[i]].time.expect("dated");
            // Windows: maximal runs of records less than `gap` apart, as (first, end) index
            // ranges into `errs`.
            let mut windows: Vec<(usize, usize)> = Vec::new();
            let mut w0 = 0;
            while w0 < errs.len() {
                let mut w1 = w0 + 1;
                while w1 < errs.len() && time(w1) - time(w1 - 1) < gap {
                    w1 += 1;
                }
                windows.push((w0, w1));
                w0 = w1;
            }
            // records / max(window length, gap), per millisecond.
            let rate = |&(w0, w1): &(usize, usize)| {
                let window = (time(w1 - 1) - time(w0)).max(gap);
                (w1 - w0) as f64 / window.num_milliseconds().max(1) as f64
            };
            let mut clump_rates: Vec<f64> = windows
                .iter()
                .filter(|(w0, w1)| w1 - w0 >= burst_min)
                .map(rate)
                .collect();
            // Rule 4: the median clump rate a burst must stand out against (0: the template
            // clumps too rarely for its clumps to be its usual behaviour).
            let usual_clump_rate = if clump_rates.len() >= CHRONIC_CLUMPS {
                clump_rates.sort_by(f64::total_cmp);
                clump_rates[(clump_rates.len() - 1) / 2]
            } else {
                0.0
            };
            for &(w0, w1) in &windows {
                let k = w1 - w0;
                let start = time(w0);
                let end = time(w1 - 1);
                let window = (end - start).max(gap);
                let rest = span_len - window;
                let background = (errs.len() - k) as u64;
                if k >= burst_min && rest >= window {
                    let rate_in = rate(&(w0, w1));
                    let rate_out = background as f64 / rest.num_milliseconds().max(1) as f64;
                    if rate_in >= BURST_RATE_FACTOR * rate_out
                        && rate_in >= BURST_RATE_FACTOR * usual_clump_rate
                    {
                        bursts.push(Burst {
                            template: t,
                            start,
                            end,
                            records: errs[w0..w1].to_vec(),
                            background,
                        });
                    }
                }
            }
        }
    }
    bursts.sort_by_key(|b| (b.start, b.template));
    Analysis {
        templates,
        of_record,
        bursts,
    }
}

/// The most common value of a sorted slice (ties: the first).
fn most_common<'a>(sorted: &[&'a str]) -> Option<&'a str> {
    let mut best: Option<(&str, usize)> = None;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j] == sorted[i] {
            j += 1;
        }
        if best.map_or(true, |(_, n)| j - i > n) {
            best = Some((sorted[i], j - i));
        }
        i = j;
    }
    best.map(|(s, _)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The masking rules as first written (token by token, a class per byte, no flag
    /// table, no fast paths beyond plain words and numbers): what [`mask`] must equal.
    mod reference {
        use super::super::{
            absorb_unit, class, collapse_annotation, date_context, emit_var, ipv6_end, is_hex,
            is_hostname, is_joiner, is_word_byte, prev_token_is_value, whole_token_variable, ALPHA,
            DATE_WORDS, DIGIT, PUNCT, WILDCARD, WS,
        };

        pub fn mask(msg: &[u8], out: &mut Vec<u8>) {
            out.clear();
            let n = msg.len();
            let mut i = 0;
            while i < n {
                // Skip whitespace.
                while i < n && class(msg[i]) == WS {
                    i += 1;
                }
                if i >= n {
                    break;
                }
                if !out.is_empty() {
                    out.push(b' ');
                }
                // A token runs to the next whitespace, except that a double-quoted span may hold
                // spaces.
                let start = i;
                let mut end = i;
                let mut seen = 0u8; // bit per byte class met
                while end < n {
                    let c = class(msg[end]);
                    if c == WS {
                        break;
                    }
                    seen |= 1 << c;
                    if msg[end] == b'"' {
                        if let Some(q) = memchr::memchr(b'"', &msg[end + 1..]) {
                            end += q + 2;
                            continue;
                        }
                    }
                    end += 1;
                }
                let tok = &msg[start..end];
                let tok_out = out.len();
                let after_value = prev_token_is_value(out, tok_out);
                // Fast paths: a plain lowercase word and a plain number.
                if seen == 1 << ALPHA
                    && !after_value
                    && !tok[0].is_ascii_uppercase()
                    && (tok.len() < 8 || !tok.iter().all(|&c| is_hex(c)))
                {
                    out.extend_from_slice(tok);
                    i = end;
                    continue;
                }
                if seen == 1 << DIGIT {
                    out.extend_from_slice(WILDCARD.as_bytes());
                    i = end;
                    continue;
                }
                if is_date_word(tok) && date_context(msg, end, out) {
                    out.extend_from_slice(WILDCARD.as_bytes());
                } else if after_value && absorb_unit(tok, out, tok_out) {
                    // `30 ms`, `18.4 KB)`: the unit belongs to the value before it.
                } else {
                    mask_token(tok, out);
                }
                if matches!(out.last(), Some(b')' | b']' | b',' | b';' | b'.' | b':')) {
                    collapse_annotation(out);
                }
                i = end;
            }
        }

        pub fn is_date_word(t: &[u8]) -> bool {
            if t.len() < 3 || t.len() > 10 || !t[0].is_ascii_uppercase() {
                return false;
            }
            let t = t.strip_suffix(b",").unwrap_or(t);
            t.len() >= 3 && t[0].is_ascii_uppercase() && DATE_WORDS.contains(&t)
        }

        fn mask_token(tok: &[u8], out: &mut Vec<u8>) {
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
            if whole_token_variable(core) {
                out.extend_from_slice(&tok[..a]);
                out.extend_from_slice(WILDCARD.as_bytes());
                out.extend_from_slice(&tok[b..]);
                return;
            }
            mask_pieces(tok, out);
        }

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
                                let mut tmp = Vec::new();
                                mask(inner, &mut tmp);
                                out.extend_from_slice(&tmp);
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
                        if matches!(tok[e], b'.' | b'_' | b'-')
                            && e + 1 < n
                            && class(tok[e + 1]) != PUNCT
                        {
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
    }

    /// Pieces of log messages that meet every masking rule: words, date words, units,
    /// numbers, hex, addresses, paths, URLs, quotes, brackets and joiners.
    const PIECES: [&str; 64] = [
        " ",
        "  ",
        "\t",
        "error",
        "Fetching",
        "cache,",
        "ACCEPTING_TRAFFIC",
        "deadbeef",
        "DEADBEEFCAFE",
        "abcdefab",
        "Jul",
        "Fri",
        "May,",
        "Sunday",
        "ms",
        "KB)",
        "bytes",
        "sec,",
        "%",
        "42",
        "-7",
        "+3",
        "0.93",
        "1.2.3.4",
        "10.0.0.1:8080",
        "fe80::1ff:fe23",
        "::ffff:10.0.0.1",
        "ab:cd:ef:01:23:45",
        "/var/log/a.log",
        "~/x",
        "./y",
        "C:\\x",
        "\\\\srv",
        "http://h/p?id=3",
        "a@b.com",
        "3f2a8b1c-0d4e-4f5a-9b6c-7d8e9f0a1b2c",
        "\"",
        "\"GET /a HTTP/1.1\"",
        "'v'",
        "don't",
        "(",
        ")",
        "[",
        "]",
        "<",
        ">",
        "=",
        ",",
        ";",
        ":",
        ".",
        "-",
        "_",
        "/",
        "#",
        "@",
        "node-148",
        "host8.example.net",
        "blk_-63",
        "taskID[20]",
        "SOCKS5",
        "é",
        "<*>",
        "()",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]

        /// The raw-message memo of `Distinct::add` gives every message the key and count
        /// that masking it gives (messages drawn from a few, so they repeat).
        #[test]
        fn distinct_memo_equals_masking(
            picks in proptest::collection::vec(0usize..6, 0..200),
            pool in proptest::collection::vec(
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..90), 6..7)
        ) {
            let (mut memo, mut plain) = (Distinct::new(), Distinct::new());
            let mut buf = Vec::new();
            for &p in &picks {
                mask(&pool[p], &mut buf);
                proptest::prop_assert_eq!(memo.add(&pool[p]), plain.add_masked(&buf, 1));
            }
            proptest::prop_assert_eq!(&memo.keys, &plain.keys);
            proptest::prop_assert_eq!(&memo.counts, &plain.counts);
        }

        /// The thread's memo serves several sets at once without mixing their keys: sets
        /// (and a clone made midway) fed interleaved messages each equal masking alone.
        /// Messages of a few bytes, so that many share a digit form (`a1`, `a9`), with and
        /// without digits in their masking (`aaa1` is a name).
        #[test]
        fn distinct_memo_keeps_sets_apart(
            picks in proptest::collection::vec((0usize..3, 0usize..4), 0..200),
            pool in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(&b"a19 ."[..]), 0..8), 4..5)
        ) {
            let mut memo = [Distinct::new(), Distinct::new(), Distinct::new()];
            let mut plain = [Distinct::new(), Distinct::new(), Distinct::new()];
            let mut buf = Vec::new();
            for (i, &(set, p)) in picks.iter().enumerate() {
                if i == picks.len() / 2 {
                    // Set 2 restarts as a copy of set 0.
                    memo[2] = memo[0].clone();
                    plain[2] = plain[0].clone();
                }
                mask(&pool[p], &mut buf);
                proptest::prop_assert_eq!(memo[set].add(&pool[p]), plain[set].add_masked(&buf, 1));
            }
            for (m, p) in memo.iter().zip(&plain) {
                proptest::prop_assert_eq!(&m.keys, &p.keys);
                proptest::prop_assert_eq!(&m.counts, &p.counts);
            }
        }

        /// The premise of the digit-form memo of [`Distinct::add`]: masking a message's
        /// digit form gives the digit form of its masking (masking does not depend on which
        /// digit a byte is, and copies digits unchanged).
        #[test]
        fn mask_commutes_with_digit_form(
            tokens in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(&PIECES[..]), 1..4),
                0..12,
            ),
            digits in proptest::collection::vec(0u8..10, 0..16)
        ) {
            // PIECES's digits replaced by varied digits, so runs of unequal digits meet.
            let mut d = digits.iter().cycle();
            let msg: Vec<u8> = tokens
                .iter()
                .map(|t| t.concat())
                .collect::<Vec<_>>()
                .join(" ")
                .bytes()
                .map(|c| if c.is_ascii_digit() { b'0' + d.next().copied().unwrap_or(7) } else { c })
                .collect();
            let (mut masked, mut form, mut masked_form, mut form_masked) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            mask(&msg, &mut masked);
            digit_form(&msg, &mut form);
            mask(&form, &mut masked_form);
            digit_form(&masked, &mut form_masked);
            proptest::prop_assert_eq!(
                String::from_utf8_lossy(&masked_form),
                String::from_utf8_lossy(&form_masked),
                "{:?}",
                String::from_utf8_lossy(&msg)
            );
        }

        #[test]
        fn mask_commutes_with_digit_form_on_any_bytes(
            msg in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80)
        ) {
            let (mut masked, mut form, mut masked_form, mut form_masked) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            mask(&msg, &mut masked);
            digit_form(&msg, &mut form);
            mask(&form, &mut masked_form);
            digit_form(&masked, &mut form_masked);
            proptest::prop_assert_eq!(masked_form, form_masked);
        }

        /// The memo gives every message the key masking gives it when messages share
        /// their digit forms but differ in digits, kept (`SOCKS5`, `SOCKS4`) or not (`42`,
        /// `17`): a few messages of `PIECES`, each added with its digits replaced by one
        /// of a few digit strings.
        #[test]
        fn distinct_memo_equals_masking_across_digits(
            bases in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(&PIECES[..]), 1..8), 1..4),
            picks in proptest::collection::vec((0usize..3, 0usize..3), 0..100),
            digits in proptest::collection::vec(
                proptest::collection::vec(0u8..3, 1..4), 3..4)
        ) {
            let (mut memo, mut plain) = (Distinct::new(), Distinct::new());
            let mut buf = Vec::new();
            for &(b, d) in &picks {
                let mut ds = digits[d].iter().cycle();
                let msg: Vec<u8> = bases[b % bases.len()]
                    .concat()
                    .bytes()
                    .map(|c| if c.is_ascii_digit() { b'0' + ds.next().unwrap() } else { c })
                    .collect();
                mask(&msg, &mut buf);
                proptest::prop_assert_eq!(memo.add(&msg), plain.add_masked(&buf, 1));
            }
            proptest::prop_assert_eq!(&memo.keys, &plain.keys);
            proptest::prop_assert_eq!(&memo.counts, &plain.counts);
        }

        /// The premise of the memo of [`Distinct::add`]: messages that differ only in
        /// digits outside [`word_digit_runs`] are masked alike.
        #[test]
        fn mask_ignores_digits_outside_words(
            tokens in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(&PIECES[..]), 1..4),
                0..12,
            ),
            digits in proptest::collection::vec(0u8..10, 1..16)
        ) {
            let msg = tokens.iter().map(|t| t.concat()).collect::<Vec<_>>().join(" ");
            let mut other = msg.clone().into_bytes();
            let mut runs = Vec::new();
            word_digit_runs(msg.as_bytes(), &mut runs);
            let kept = |i: usize| runs.iter().any(|&(s, n)| (s as usize..(s + n) as usize).contains(&i));
            for (i, d) in (0..other.len()).zip(digits.iter().cycle()) {
                if other[i].is_ascii_digit() && !kept(i) {
                    other[i] = b'0' + d;
                }
            }
            let (mut a, mut b) = (Vec::new(), Vec::new());
            mask(msg.as_bytes(), &mut a);
            mask(&other, &mut b);
            proptest::prop_assert_eq!(
                String::from_utf8_lossy(&a),
                String::from_utf8_lossy(&b),
                "{:?} / {:?}",
                msg,
                String::from_utf8_lossy(&other)
            );
        }

        #[test]
        fn mask_ignores_digits_outside_words_on_any_bytes(
            msg in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80),
            digits in proptest::collection::vec(0u8..10, 1..16)
        ) {
            let mut other = msg.clone();
            let mut runs = Vec::new();
            word_digit_runs(&msg, &mut runs);
            let kept = |i: usize| runs.iter().any(|&(s, n)| (s as usize..(s + n) as usize).contains(&i));
            for (i, d) in (0..other.len()).zip(digits.iter().cycle()) {
                if other[i].is_ascii_digit() && !kept(i) {
                    other[i] = b'0' + d;
                }
            }
            let (mut a, mut b) = (Vec::new(), Vec::new());
            mask(&msg, &mut a);
            mask(&other, &mut b);
            proptest::prop_assert_eq!(a, b);
        }

        #[test]
        fn mask_equals_reference(
            tokens in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(&PIECES[..]), 1..4),
                0..12,
            )
        ) {
            // Tokens of 1-3 pieces (pieces may hold spaces themselves), so that pieces
            // meet each other and token starts and ends often.
            let msg = tokens.iter().map(|t| t.concat()).collect::<Vec<_>>().join(" ");
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            mask(msg.as_bytes(), &mut fast);
            reference::mask(msg.as_bytes(), &mut slow);
            proptest::prop_assert_eq!(
                String::from_utf8_lossy(&fast),
                String::from_utf8_lossy(&slow),
                "{:?}",
                msg
            );
        }

        #[test]
        fn mask_equals_reference_on_any_bytes(
            msg in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80)
        ) {
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            mask(&msg, &mut fast);
            reference::mask(&msg, &mut slow);
            proptest::prop_assert_eq!(fast, slow);
        }
    }

    #[test]
    fn date_words_are_the_listed_ones() {
        for w in DATE_WORDS {
            assert!(is_date_word(w), "{}", String::from_utf8_lossy(w));
            assert!(reference::is_date_word(w));
        }
        for w in ["Janu", "jan", "JAN", "Mo", "Sundays", "Dec,", "Thurs,"] {
            assert_eq!(
                is_date_word(w.as_bytes()),
                reference::is_date_word(w.as_bytes()),
                "{w}"
            );
        }
    }

    #[test]
    fn masks_numbers_ids_addresses() {
        let cases = [
            ("ledger 42 locked by batch-7", "ledger <*> locked by <*>"),
            ("took 1.503 s", "took <*>"),
            ("offset -42 and +7", "offset <*> and <*>"),
            ("id 0x7f3a9c00 done", "id <*> done"),
            ("trace deadbeefcafe", "trace <*>"),
            (
                "req 3f2a8b1c-0d4e-4f5a-9b6c-7d8e9f0a1b2c failed",
                "req <*> failed",
            ),
            (
                "req abcdefab-abcd-abcd-abcd-abcdefabcdef failed",
                "req <*> failed",
            ),
            ("from 10.0.0.1:8080 to 192.168.1.20", "from <*> to <*>"),
            ("peer [fe80::1ff:fe23:4567:890a]:443", "peer [<*>]:<*>"),
            ("addr 2001:db8::8a2e:370:7334 up", "addr <*> up"),
            ("via SOCKS5 on eth0", "via SOCKS5 on eth0"),
            ("from 220-135-151-1.hinet-ip.hinet.net", "from <*>"),
            ("rhost=csnsu.nsuok.edu user=root", "rhost=<*> user=root"),
            ("node-148 and core.114", "<*> and <*>"),
            ("lifetime <1 sec", "lifetime <*>"),
            ("sent 2034 bytes (1.98 KB), ok", "sent <*>, ok"),
            (
                "connection from 1.2.3.4 () at Fri Jul  1 07:57:30 2005",
                "connection from <*> at <*> <*> <*> <*> <*>",
            ),
            (
                "10.11.10.1 \"GET /v2/servers/detail HTTP/1.1\" status: 200",
                "<*> \"GET <*> HTTP/<*>\" status: <*>",
            ),
            ("open /var/log/app.log: denied", "open <*>: denied"),
            ("open C:\\logs\\app.log failed", "open <*> failed"),
            (
                "GET http://inventory/stock/42 timed out",
                "GET <*> timed out",
            ),
            ("mail to ops@example.com bounced", "mail to <*> bounced"),
            ("key \"orders\" missing", "key <*> missing"),
            (
                "phrase \"no such table: 42\" kept",
                "phrase \"no such table: <*>\" kept",
            ),
            ("user 'alice' denied", "user <*> denied"),
            ("blk_-6330812010936261924 size 67108864", "<*> size <*>"),
            ("taskID[2019352994] dealloc", "taskID[<*>] dealloc"),
            ("appattempt_1445144423722_0020_000001", "<*>"),
            ("at 2019-08-21T08:47:10.412Z", "at <*>"),
        ];
        for (input, want) in cases {
            assert_eq!(mask_str(input), want, "{input}");
        }
    }

    #[test]
    fn masking_keeps_exception_classes_and_words() {
        assert_eq!(
            mask_str("com.example.ledger.LedgerLockException: ledger 42 locked by batch-7"),
            "com.example.ledger.LedgerLockException: ledger <*> locked by <*>"
        );
        assert_eq!(
            mask_str("don't  stop   me"),
            "don't stop me",
            "apostrophes are not quotes; whitespace is normalised"
        );
        assert_eq!(mask_str("Class$Inner@1a2b3c"), "Class$Inner@<*>");
    }

    #[test]
    fn ids_are_stable() {
        assert_eq!(template_id("a <*> b"), template_id("a <*> b"));
        assert_ne!(template_id("a <*> b"), template_id("a <*> c"));
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
    }

    /// Error records of one template (`worker <n> stalled`), one per offset in seconds from
    /// 2019-08-21 00:00:00 UTC.
    fn stalled_records(secs: &[i64]) -> Vec<LevelRecord> {
        let t0 = DateTime::parse_from_rfc3339("2019-08-21T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        secs.iter()
            .enumerate()
            .map(|(i, &s)| LevelRecord {
                file: 0,
                record: i as u64 * 100,
                line: i as u64 + 1,
                level: Level::Error,
                time: Some(t0 + chrono::Duration::seconds(s)),
                message: crate::record::level::Message::Own(
                    format!("worker {} stalled", 1000 + i).into(),
                ),
                exception: None,
                head: "".into(),
            })
            .collect()
    }

    /// Bursts of `stalled_records(secs)` over one day, gap 2 min, burst-min 5.
    fn day_bursts(secs: &[i64]) -> Vec<Burst> {
        let recs = stalled_records(secs);
        let t0 = DateTime::parse_from_rfc3339("2019-08-21T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let span = Some((t0, t0 + chrono::Duration::hours(24)));
        let a = analyze(
            &recs,
            &|_| "svc",
            span,
            chrono::Duration::minutes(2),
            DEFAULT_BURST_MIN,
        );
        assert_eq!(a.templates.len(), 1, "{:?}", a.templates);
        a.bursts
    }

    /// `n` records 10 s apart from `at` seconds.
    fn clump(at: i64, n: i64) -> impl Iterator<Item = i64> {
        (0..n).map(move |i| at + 10 * i)
    }

    #[test]
    fn a_chronically_clumpy_template_does_not_burst() {
        // A clump of 6 records in 50 s every hour all day. Each clump alone passes rules
        // 1-3 (6 per 2 min against 138 in the rest of the day is over 30x), but 24 alike
        // clumps are the template's usual behaviour.
        let secs: Vec<i64> = (0..24).flat_map(|h| clump(h * 3600 + 600, 6)).collect();
        assert_eq!(day_bursts(&secs), vec![]);
    }

    #[test]
    fn a_clump_far_above_the_usual_clumps_bursts() {
        // The same hourly clumps, and at 12:30 one of 120 records in 119 s: 20x the
        // median clump rate (both windows are shorter than the gap).
        let mut secs: Vec<i64> = (0..24).flat_map(|h| clump(h * 3600 + 600, 6)).collect();
        secs.extend((0..120).map(|i| 12 * 3600 + 1800 + i));
        secs.sort_unstable();
        let bursts = day_bursts(&secs);
        assert_eq!(bursts.len(), 1, "{bursts:?}");
        assert_eq!(bursts[0].records.len(), 120);
        assert_eq!(bursts[0].background, 24 * 6);
    }

    #[test]
    fn a_few_clumps_of_a_quiet_template_all_burst() {
        // Below CHRONIC_CLUMPS clumps, every clump that passes rules 1-3 is a burst, alike
        // or not: four floods of 7 among one sporadic record every 3 hours.
        let mut secs: Vec<i64> = (0..8).map(|k| k * 3 * 3600 + 1234).collect();
        for h in [3, 9, 14, 20] {
            secs.extend(clump(h * 3600, 7));
        }
        secs.sort_unstable();
        assert_eq!(CHRONIC_CLUMPS, 5, "the test places one clump fewer");
        let bursts = day_bursts(&secs);
        assert_eq!(bursts.len(), 4, "{bursts:?}");
        assert!(bursts.iter().all(|b| b.records.len() == 7));
    }

    #[test]
    fn mining_groups_variants() {
        let msgs = [
            "ledger 42 locked by batch-7",
            "connection to 10.0.0.1:5432 lost",
            "ledger 43 locked by batch-9",
            "connection to 10.0.0.2:5432 lost",
        ];
        let (c, assign) = mine(&msgs);
        assert_eq!(assign[0], assign[2]);
        assert_eq!(assign[1], assign[3]);
        assert_ne!(assign[0], assign[1]);
        assert_eq!(c.templates[assign[0] as usize], "ledger <*> locked by <*>");
        // Two names in one column are two templates (an enumeration, not a variable).
        let (_, assign) = mine(&["pool main exhausted", "pool batch exhausted"]);
        assert_ne!(assign[0], assign[1]);
    }
}

//! Tests of masking: examples, and the fast [`mask`] against the rules as first written
//! (`reference`) on generated messages. [`PIECES`] is shared with the memo's tests in
//! `distinct.rs`.

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
pub const PIECES: [&str; 64] = [
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

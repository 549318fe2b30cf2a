//! A JSON object walker that allocates nothing, and JSON string unescaping.
//!
//! Input: one log line holding a JSON object (possibly after a prefix such as a kubectl
//! timestamp: the object starts at the line's first `{`). Output: for every scalar value
//! at depth ≤ [`MAX_DEPTH`], its key path (the keys from the top) and its raw bytes, handed
//! to a callback; and [`unescape_into`], which undoes `\n`, `\t`, `\"`, `\uXXXX` ... into a
//! caller's reusable buffer.
//!
//! Why not serde: this runs on every line of a JSON access log (status, path, duration)
//! and on the candidate lines of JSON application logs (message and exception fields);
//! a `serde_json::Value` per line is an allocation per key. The walker reads each byte once
//! and compares keys in place.
//!
//! Tricky cases:
//! - A key path matches a wanted dotted name both nested (`{"http":{"status_code":503}}`)
//!   and flat (`{"http.status_code":503}`, as ECS loggers write it): [`KeyPath::is`].
//! - Strings are returned raw (between the quotes); `escaped` says whether a backslash
//!   occurs, so callers unescape only when they need the text.
//! - Malformed JSON stops the walk (the callback has seen what came before): a line cut by
//!   rotation still yields its first fields.

/// Deepest object nesting whose keys are tracked (deeper values are skipped).
pub const MAX_DEPTH: usize = 4;

/// The keys from the top of the object to a value.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeyPath<'a> {
    keys: [&'a [u8]; MAX_DEPTH],
    len: usize,
}

impl<'a> KeyPath<'a> {
    /// The key path as dotted text equals `name` (`res.statusCode` is `{"res":{"statusCode"}}`
    /// or `{"res.statusCode"}`, or any split of the dots between levels).
    pub fn is(&self, name: &[u8]) -> bool {
        let mut rest = name;
        for (i, k) in self.keys[..self.len].iter().enumerate() {
            if !rest.starts_with(k) {
                return false;
            }
            rest = &rest[k.len()..];
            if i + 1 < self.len {
                match rest.split_first() {
                    Some((b'.', r)) => rest = r,
                    _ => return false,
                }
            }
        }
        self.len > 0 && rest.is_empty()
    }

    /// The total length of the dotted name (a cheap pre-check before [`KeyPath::is`]).
    pub fn dotted_len(&self) -> usize {
        self.keys[..self.len].iter().map(|k| k.len()).sum::<usize>() + self.len.saturating_sub(1)
    }

    /// The last key.
    pub fn last(&self) -> &'a [u8] {
        if self.len == 0 {
            b""
        } else {
            self.keys[self.len - 1]
        }
    }
}

/// A scalar value as it stands in the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// A string: the bytes between the quotes, and whether a backslash escape occurs.
    Str(&'a [u8], bool),
    /// A number, `true`, `false` or `null`: its text.
    Bare(&'a [u8]),
}

impl<'a> Value<'a> {
    /// The raw text (a string's bytes without the quotes).
    pub fn text(&self) -> &'a [u8] {
        match *self {
            Value::Str(s, _) | Value::Bare(s) => s,
        }
    }
}

/// Calls `f(path, value)` for every scalar value of the first JSON object in `line`, in
/// order. Arrays are skipped. Returns whether the object was read to its closing brace.
pub fn walk<'a>(line: &'a [u8], mut f: impl FnMut(&KeyPath<'a>, Value<'a>)) -> bool {
    let Some(start) = memchr::memchr(b'{', line) else {
        return false;
    };
    let mut w = Walker {
        b: line,
        i: start + 1,
        path: KeyPath::default(),
    };
    w.object(0, &mut f).is_some()
}

struct Walker<'a> {
    b: &'a [u8],
    i: usize,
    path: KeyPath<'a>,
}

impl<'a> Walker<'a> {
    #[inline]
    fn ws(&mut self) {
        while let Some(c) = self.b.get(self.i) {
            if !matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
                break;
            }
            self.i += 1;
        }
    }

    /// A string starting after its opening quote: (content, escaped); `i` after the
    /// closing quote.
    fn string(&mut self) -> Option<(&'a [u8], bool)> {
        let from = self.i;
        let mut escaped = false;
        loop {
            let j = memchr::memchr2(b'"', b'\\', &self.b[self.i..])?;
            self.i += j;
            if self.b[self.i] == b'\\' {
                escaped = true;
                self.i += 2;
                if self.i > self.b.len() {
                    return None;
                }
            } else {
                let s = &self.b[from..self.i];
                self.i += 1;
                return Some((s, escaped));
            }
        }
    }

    /// The object whose `{` was just read, at `depth`; `i` after its `}`.
    fn object(&mut self, depth: usize, f: &mut impl FnMut(&KeyPath<'a>, Value<'a>)) -> Option<()> {
        self.ws();
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Some(());
        }
        loop {
            self.ws();
            if self.b.get(self.i) != Some(&b'"') {
                return None;
            }
            self.i += 1;
            let (key, _) = self.string()?;
            self.ws();
            if self.b.get(self.i) != Some(&b':') {
                return None;
            }
            self.i += 1;
            self.ws();
            let tracked = depth < MAX_DEPTH;
            if tracked {
                self.path.keys[depth] = key;
                self.path.len = depth + 1;
            }
            self.value(depth, tracked, f)?;
            self.ws();
            match self.b.get(self.i)? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn value(
        &mut self,
        depth: usize,
        tracked: bool,
        f: &mut impl FnMut(&KeyPath<'a>, Value<'a>),
    ) -> Option<()> {
        match *self.b.get(self.i)? {
            b'"' => {
                self.i += 1;
                let (s, esc) = self.string()?;
                if tracked {
                    f(&self.path, Value::Str(s, esc));
                }
            }
            b'{' => {
                self.i += 1;
                self.object(depth + 1, f)?;
            }
            b'[' => {
                self.i += 1;
                self.array(depth + 1)?;
            }
            _ => {
                let from = self.i;
                while let Some(c) = self.b.get(self.i) {
                    if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                        break;
                    }
                    self.i += 1;
                }
                if self.i == from {
                    return None;
                }
                if tracked {
                    f(&self.path, Value::Bare(&self.b[from..self.i]));
                }
            }
        }
        Some(())
    }

    /// Skips an array whose `[` was just read (values inside are not reported).
    fn array(&mut self, depth: usize) -> Option<()> {
        let mut ignore = |_: &KeyPath<'a>, _: Value<'a>| {};
        self.ws();
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
            return Some(());
        }
        let saved = self.path;
        loop {
            self.ws();
            self.value(depth, false, &mut ignore)?;
            self.path = saved;
            self.ws();
            match self.b.get(self.i)? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

/// Appends the unescaped form of a JSON string's raw content to `out` (`\n` becomes a
/// newline, `\u00e9` becomes `é`, a lone surrogate becomes U+FFFD). Invalid escapes are
/// kept as they stand.
pub fn unescape_into(raw: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < raw.len() {
        let Some(j) = memchr::memchr(b'\\', &raw[i..]) else {
            out.extend_from_slice(&raw[i..]);
            return;
        };
        out.extend_from_slice(&raw[i..i + j]);
        i += j;
        let Some(&c) = raw.get(i + 1) else {
            out.push(b'\\');
            return;
        };
        i += 2;
        match c {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'"' | b'\\' | b'/' => out.push(c),
            b'u' => {
                let Some(hi) = hex4(raw.get(i..i + 4)) else {
                    out.extend_from_slice(b"\\u");
                    continue;
                };
                i += 4;
                let cp = if (0xD800..0xDC00).contains(&hi) {
                    match (raw.get(i..i + 2), hex4(raw.get(i + 2..i + 6))) {
                        (Some(b"\\u"), Some(lo)) if (0xDC00..0xE000).contains(&lo) => {
                            i += 6;
                            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                        }
                        _ => 0xFFFD,
                    }
                } else if (0xDC00..0xE000).contains(&hi) {
                    0xFFFD
                } else {
                    hi
                };
                let ch = char::from_u32(cp).unwrap_or('\u{FFFD}');
                let mut tmp = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
}

fn hex4(b: Option<&[u8]>) -> Option<u32> {
    let b = b?;
    let mut v = 0u32;
    for &c in b {
        v = v * 16 + (c as char).to_digit(16)?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(line: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        walk(line.as_bytes(), |p, v| {
            let path: Vec<String> = p.keys[..p.len]
                .iter()
                .map(|k| String::from_utf8_lossy(k).into_owned())
                .collect();
            out.push((
                path.join("."),
                String::from_utf8_lossy(v.text()).into_owned(),
            ));
        });
        out
    }

    #[test]
    fn walks_nested_objects_and_skips_arrays() {
        let got = collect(
            r#"2024-06-18T02:03:02Z {"level":50, "req":{"method":"GET","url":"/a\"b"},"tags":[1,{"x":2}],"res":{"statusCode":503},"ok":true}"#,
        );
        assert_eq!(
            got,
            vec![
                ("level".into(), "50".into()),
                ("req.method".into(), "GET".into()),
                ("req.url".into(), "/a\\\"b".into()),
                ("res.statusCode".into(), "503".into()),
                ("ok".into(), "true".into()),
            ]
        );
        // Cut by rotation: the fields before the cut are still seen.
        assert_eq!(collect(r#"{"status":502,"path":"/x"#).len(), 1);
        assert!(!walk(b"no object here", |_, _| {}));
    }

    #[test]
    fn dotted_names_match_nested_and_flat_keys() {
        let mut hits = 0;
        for line in [
            r#"{"http":{"response":{"status_code":503}}}"#,
            r#"{"http.response.status_code":503}"#,
            r#"{"http":{"response.status_code":503}}"#,
        ] {
            walk(line.as_bytes(), |p, _| {
                hits += usize::from(p.is(b"http.response.status_code"));
                assert_eq!(p.dotted_len(), "http.response.status_code".len());
            });
        }
        assert_eq!(hits, 3);
        walk(br#"{"http":{"status":1},"httpx":2}"#, |p, _| {
            assert!(!p.is(b"http.response.status_code") && !p.is(b"http"));
        });
    }

    #[test]
    fn unescapes_json_strings() {
        let mut out = Vec::new();
        unescape_into(
            br#"a\"b\\c\/d\n\tat x(Y.java:1)\u00e9\ud83d\ude00\ud83d!\q"#,
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a\"b\\c/d\n\tat x(Y.java:1)é😀\u{FFFD}!\\q"
        );
    }

    proptest::proptest! {
        /// Any string serde writes reads back through `unescape_into`, and the walker finds
        /// it under its key.
        #[test]
        fn unescape_inverts_serde(s in "\\PC{0,40}", ctl in proptest::collection::vec(0u8..32, 0..4)) {
            let mut text = s.clone();
            for c in ctl { text.push(c as char); }
            let line = serde_json::json!({"a": 1, "msg": text}).to_string();
            let mut seen = None;
            walk(line.as_bytes(), |p, v| if p.is(b"msg") { seen = Some(v) });
            let Some(Value::Str(raw, _)) = seen else { panic!("msg not found in {line}") };
            let mut out = Vec::new();
            unescape_into(raw, &mut out);
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), text);
        }
    }
}

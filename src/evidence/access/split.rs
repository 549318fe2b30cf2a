//! The field splitter every layout shares: a line → a [`Request`] (status, method, target,
//! duration, upstream, flags, client), borrowing the line, allocating nothing.
//!
//! Input: a line (after any prefix the file's detection found) and a layout's split: token
//! positions ([`Spec`]s, quote/bracket/brace aware), W3C positions named by a `#Fields:`
//! header, or JSON key paths. Output: `Some(Request)` when every field the layout names
//! holds a valid value, else `None` (the line is not a request of this layout).
//!
//! Tokens (`split: "tokens"`): runs of spaces separate tokens; `"..."` (with `\"` escapes),
//! `[...]` and `{...}` are one token each. An unquoted token that ends with `,` joins the next
//! one, and a lone `:` joins its neighbours, so nginx's lists (`$upstream_addr` =
//! `10.0.3.7:8080, 10.0.3.8:8080`, `$upstream_status` = `502, 503`, `... : ...` after an
//! internal redirect) stay one field. A spec may split one token into parts on `/`, `:` or
//! spaces (`%b/%s`, `%ci:%cp`, `"%REQ(:METHOD)% %PATH% %PROTOCOL%"`): the first separator is
//! found from the left, the last from the right (an IPv6 client `2001:db8::1:443` keeps its
//! colons). Specs after an optional one (`?{-}`, HAProxy's captured headers) are matched
//! from the end of the line. Trailing `key=value` tokens (`rt=0.512 urt="0.510"`) fill the
//! roles the layout's `keys` name.
//!
//! Validation is what makes detection work: a status is `100`–`599` (or HAProxy's `-1`,
//! Envoy's `0`: no response), byte counts are digits or `-`, durations numbers (an optional
//! unit suffix such as Traefik's `12ms` wins over the layout's unit), a bracketed time
//! starts with a digit. A `$request_length` of 503 is never read as a status because the
//! status is taken from its own position only.

use super::json;

/// Most tokens a line may have (an ALB line has about 30); longer lines are not requests.
pub const MAX_TOKENS: usize = 64;

/// A duration's unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Seconds (nginx `$request_time`, ALB, Caddy).
    S,
    /// Milliseconds (HAProxy, Envoy, IIS `time-taken`, Traefik).
    Ms,
    /// Microseconds (Apache `%D`).
    Us,
    /// Nanoseconds (ECS `event.duration`, Traefik JSON).
    Ns,
}

impl Unit {
    fn micros(self, v: f64) -> f64 {
        match self {
            Unit::S => v * 1e6,
            Unit::Ms => v * 1e3,
            Unit::Us => v,
            Unit::Ns => v / 1e3,
        }
    }
}

/// What a field means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Present, not read (`-`).
    Ignore,
    /// Client address.
    Client,
    /// The request's time (its shape is checked; the scan dates the record).
    Time,
    /// `METHOD target PROTOCOL` in one field.
    Request,
    /// The method.
    Method,
    /// The target (path, possibly with a query or an absolute URL).
    Path,
    /// The status sent to the client.
    Status,
    /// The status the upstream answered (last of a list).
    UpstreamStatus,
    /// A byte count (checked, not kept).
    Bytes,
    /// The request's duration.
    Duration(Unit),
    /// One of several durations that add up to the request's (ALB's three timers).
    DurationPart(Unit),
    /// The upstream address or server (last of a list).
    Upstream,
    /// The upstream's name (ingress-nginx `[$proxy_upstream_name]`).
    UpstreamName,
    /// Termination state or response flags.
    Flags,
    /// The virtual host.
    Host,
}

impl Role {
    /// The role a name in the layout data stands for.
    pub fn parse(name: &str) -> Option<Role> {
        Some(match name {
            "-" => Role::Ignore,
            "client" => Role::Client,
            "time" => Role::Time,
            "request" => Role::Request,
            "method" => Role::Method,
            "path" => Role::Path,
            "status" => Role::Status,
            "upstream_status" => Role::UpstreamStatus,
            "bytes" => Role::Bytes,
            "duration_s" => Role::Duration(Unit::S),
            "duration_ms" => Role::Duration(Unit::Ms),
            "duration_us" => Role::Duration(Unit::Us),
            "duration_ns" => Role::Duration(Unit::Ns),
            "duration_part_s" => Role::DurationPart(Unit::S),
            "upstream" => Role::Upstream,
            "upstream_name" => Role::UpstreamName,
            "flags" => Role::Flags,
            "host" => Role::Host,
            _ => return None,
        })
    }
}

/// How a token is wrapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrap {
    /// Bare.
    None,
    /// `"..."`.
    Quote,
    /// `[...]`.
    Bracket,
    /// `{...}`.
    Brace,
    /// Starts with `(` (Spring Boot's `(%D ms)`).
    Paren,
}

/// One token position of a layout: its wrapping and the roles of its parts.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// How the token is wrapped.
    pub wrap: Wrap,
    /// May be absent (only before the specs matched from the end).
    pub optional: bool,
    /// The parts' roles, left to right.
    pub parts: Vec<Role>,
    /// The separators between parts (`parts.len() - 1` of them).
    pub seps: Vec<u8>,
}

impl Spec {
    /// Parses a spec (`client`, `[time]`, `"request"`, `-/upstream`, `client:-`,
    /// `"method path -"`, `?{-}`, `(duration_ms`).
    pub fn parse(text: &str) -> Result<Spec, String> {
        let (optional, t) = match text.strip_prefix('?') {
            Some(t) => (true, t),
            None => (false, text),
        };
        let (wrap, body) = match t.as_bytes() {
            [b'"', .., b'"'] if t.len() >= 2 => (Wrap::Quote, &t[1..t.len() - 1]),
            [b'[', .., b']'] => (Wrap::Bracket, &t[1..t.len() - 1]),
            [b'{', .., b'}'] => (Wrap::Brace, &t[1..t.len() - 1]),
            [b'(', ..] => (Wrap::Paren, &t[1..]),
            _ => (Wrap::None, t),
        };
        let mut parts = Vec::new();
        let mut seps = Vec::new();
        let b = body.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let start = i;
            if b[i] == b'-' {
                i += 1;
            } else {
                while i < b.len() && (b[i].is_ascii_lowercase() || b[i] == b'_') {
                    i += 1;
                }
            }
            if i == start {
                return Err(format!("field `{text}`: unexpected `{}`", b[i] as char));
            }
            let name = &body[start..i];
            parts.push(
                Role::parse(name)
                    .ok_or_else(|| format!("field `{text}`: unknown role `{name}`"))?,
            );
            if i < b.len() {
                if !matches!(b[i], b'/' | b':' | b' ') {
                    return Err(format!(
                        "field `{text}`: separator `{}` (use `/`, `:` or a space)",
                        b[i] as char
                    ));
                }
                seps.push(b[i]);
                i += 1;
                if i == b.len() {
                    return Err(format!("field `{text}`: ends with a separator"));
                }
            }
        }
        if parts.is_empty() {
            return Err(format!("field `{text}`: no role"));
        }
        Ok(Spec {
            wrap,
            optional,
            parts,
            seps,
        })
    }
}

/// One request, as read from a line (slices of the line).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Request<'a> {
    /// Status sent to the client (`None`: absent, `-`, HAProxy `-1`, Envoy `0`).
    pub status: Option<u16>,
    /// The status field said "no response" (`-1`, `0`).
    pub no_response: bool,
    /// Status the upstream answered (the last of a list).
    pub upstream_status: Option<u16>,
    /// The upstream status field is there and says `-` (ALB `target_status_code -`).
    pub upstream_status_missing: bool,
    /// Method (`GET`); empty when unknown.
    pub method: &'a [u8],
    /// Request target as written (path, query, maybe `scheme://host`); see [`Request::path`].
    pub target: &'a [u8],
    /// The target is a JSON string with escapes (unescape before showing it).
    pub target_escaped: bool,
    /// Duration in microseconds.
    pub duration_us: Option<u64>,
    /// Upstream address or server; empty when unknown or `-`.
    pub upstream: &'a [u8],
    /// Termination state or response flags as written; empty when absent.
    pub flags: &'a [u8],
    /// Client address; empty when unknown.
    pub client: &'a [u8],
    /// Virtual host; empty when unknown.
    pub host: &'a [u8],
    /// How many fields carried a value (the detection vote's score).
    pub score: u16,
    /// Tokens the layout explained (the vote's tie-break: `combined` over `common`).
    pub tokens: u16,
}

impl<'a> Request<'a> {
    /// The path: the target without `scheme://host`, query string and fragment.
    pub fn path(&self) -> &'a [u8] {
        path_of(self.target)
    }
}

/// The path of a request target (`https://h:443/a/b?x=1` → `/a/b`).
pub fn path_of(target: &[u8]) -> &[u8] {
    let mut t = target;
    if let Some(i) = memchr::memmem::find(t, b"://") {
        if t[..i].iter().all(u8::is_ascii_alphabetic) {
            let rest = &t[i + 3..];
            t = match memchr::memchr(b'/', rest) {
                Some(j) => &rest[j..],
                None => b"/",
            };
        }
    }
    let end = memchr::memchr2(b'?', b'#', t).unwrap_or(t.len());
    &t[..end]
}

/// Token boundaries of `line` (quote/bracket/brace aware, lists joined), at most `limit`
/// tokens into `out`; returns how many. `quoted: false` splits on spaces only (W3C).
pub fn tokenize(line: &[u8], quoted: bool, out: &mut [(u32, u32)], limit: usize) -> usize {
    let limit = limit.min(out.len());
    let n = line.len();
    let mut i = 0;
    let mut count = 0;
    while count < limit {
        while i < n && (line[i] == b' ' || line[i] == b'\t') {
            i += 1;
        }
        if i >= n {
            break;
        }
        let start = i;
        let closing = if quoted {
            match line[i] {
                b'"' => Some(b'"'),
                b'[' => Some(b']'),
                b'{' => Some(b'}'),
                _ => None,
            }
        } else {
            None
        };
        match closing {
            Some(b'"') => {
                i += 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', &line[i..]) {
                        Some(j) if line[i + j] == b'\\' => i += j + 2,
                        Some(j) => {
                            i += j + 1;
                            break;
                        }
                        None => {
                            i = n;
                            break;
                        }
                    }
                }
                i = i.min(n);
            }
            Some(c) => {
                i = match memchr::memchr(c, &line[i + 1..]) {
                    Some(j) => i + 1 + j + 1,
                    None => n,
                };
            }
            None => {}
        }
        // Text glued to a closing bracket or quote belongs to the token (`[2001:db8::1]:443`).
        if closing.is_some() {
            i = bare_end(line, i);
        }
        match closing {
            Some(_) => {}
            None => {
                i = bare_end(line, i);
                if quoted {
                    // nginx lists: `a, b` and `a : b` stay one token.
                    loop {
                        let mut k = i;
                        while k < n && line[k] == b' ' {
                            k += 1;
                        }
                        if line[i - 1] == b',' && k < n && k > i {
                            i = bare_end(line, k);
                        } else if k > i
                            && line.get(k) == Some(&b':')
                            && line.get(k + 1) == Some(&b' ')
                            && line.get(k + 2).is_some_and(|c| *c != b' ')
                        {
                            i = bare_end(line, k + 2);
                        } else {
                            break;
                        }
                    }
                }
            }
        }
        out[count] = (start as u32, i as u32);
        count += 1;
    }
    count
}

#[inline]
fn bare_end(line: &[u8], mut i: usize) -> usize {
    while i < line.len() && line[i] != b' ' && line[i] != b'\t' {
        i += 1;
    }
    i
}

/// Fields being filled for one line.
#[derive(Default)]
pub(super) struct Fill<'a> {
    pub(super) req: Request<'a>,
    part_us: f64,
    part_bad: bool,
    parts: u8,
}

impl<'a> Fill<'a> {
    /// The request, once every field was applied.
    pub(super) fn finish(mut self) -> Request<'a> {
        if self.parts > 0 && !self.part_bad && self.req.duration_us.is_none() {
            self.req.duration_us = Some(self.part_us.round() as u64);
            self.req.score += 1;
        }
        self.req
    }

    /// Applies a value of `role`; `false` when the value is not valid for it.
    pub(super) fn apply(&mut self, role: Role, v: &'a [u8], escaped: bool) -> bool {
        let r = &mut self.req;
        let counted = |r: &mut Request, yes: bool| r.score += u16::from(yes);
        match role {
            Role::Bytes => v == b"-" || (!v.is_empty() && v.iter().all(u8::is_ascii_digit)),
            Role::Client => {
                r.client = v;
                counted(r, !v.is_empty() && v != b"-");
                true
            }
            Role::Time => {
                let ok = v.first().is_some_and(u8::is_ascii_digit);
                counted(r, ok);
                ok
            }
            Role::Request => {
                let (m, t) = split_request(v);
                r.method = m;
                r.target = t;
                r.target_escaped = escaped;
                counted(r, !m.is_empty());
                true
            }
            Role::Method => {
                let ok = v == b"-" || is_method(v);
                if ok && v != b"-" {
                    r.method = v;
                    counted(r, true);
                }
                ok
            }
            Role::Path => {
                if v != b"-" {
                    r.target = v;
                    r.target_escaped = escaped;
                    counted(r, !v.is_empty());
                }
                true
            }
            Role::Status => match status(v) {
                Some(s) => {
                    r.status = s;
                    r.no_response = s.is_none() && v != b"-";
                    counted(r, true);
                    true
                }
                None => false,
            },
            Role::UpstreamStatus => {
                let last = last_of_list(v);
                if last == b"-" {
                    r.upstream_status_missing = true;
                    return true;
                }
                match digits(last) {
                    Some(s) if s < 1000 => {
                        r.upstream_status = Some(s as u16);
                        counted(r, true);
                        true
                    }
                    _ => false,
                }
            }
            Role::Duration(unit) => match duration_us(last_of_list(v), unit) {
                Some(d) => {
                    if let Some(d) = d {
                        r.duration_us = Some(d);
                        counted(r, true);
                    }
                    true
                }
                None => false,
            },
            Role::DurationPart(unit) => match duration_us(v, unit) {
                Some(d) => {
                    match d {
                        Some(d) => self.part_us += d as f64,
                        None => self.part_bad = true,
                    }
                    self.parts += 1;
                    true
                }
                None => false,
            },
            Role::Upstream => {
                let last = last_of_list(v);
                if last != b"-" {
                    r.upstream = last;
                    counted(r, !last.is_empty());
                }
                true
            }
            Role::UpstreamName => {
                counted(r, !v.is_empty() && v != b"-");
                true
            }
            Role::Flags => {
                r.flags = v;
                counted(r, !v.is_empty());
                !v.is_empty()
            }
            Role::Host => {
                r.host = v;
                true
            }
            Role::Ignore => true,
        }
    }

    /// Applies one token to a spec: unwraps it, splits its parts, applies each role.
    pub(super) fn apply_spec(&mut self, spec: &Spec, tok: &'a [u8]) -> bool {
        let Some(inner) = unwrap(tok, spec.wrap) else {
            return false;
        };
        let quoted = spec.wrap == Wrap::Quote;
        if spec.parts.len() == 1 {
            // Escapes inside a quoted token are nginx's `\x22` or Apache's `\"`, not JSON's:
            // the target is shown as written.
            return self.apply(spec.parts[0], inner, false);
        }
        let mut rest = inner;
        let last = spec.seps.len() - 1;
        for (k, &role) in spec.parts.iter().enumerate() {
            let v = if k == spec.parts.len() - 1 {
                let v = rest;
                rest = b"";
                v
            } else {
                let sep = spec.seps[k];
                let at = if k == last {
                    memchr::memrchr(sep, rest)
                } else {
                    memchr::memchr(sep, rest)
                };
                match at {
                    Some(i) => {
                        let v = &rest[..i];
                        rest = &rest[i + 1..];
                        v
                    }
                    // Fewer parts than the spec (`"-"` for a request that never came):
                    // the remaining parts are empty.
                    None if quoted => std::mem::take(&mut rest),
                    None => return false,
                }
            };
            if !self.apply(role, v, false) {
                return false;
            }
        }
        true
    }
}

/// The token without its wrapping, if it has the spec's.
fn unwrap(tok: &[u8], wrap: Wrap) -> Option<&[u8]> {
    let pair = |open: u8, close: u8| {
        (tok.len() >= 2 && tok[0] == open && tok[tok.len() - 1] == close)
            .then(|| &tok[1..tok.len() - 1])
    };
    match wrap {
        Wrap::None => (!tok.is_empty() && tok[0] != b'"').then_some(tok),
        Wrap::Quote => pair(b'"', b'"'),
        Wrap::Bracket => pair(b'[', b']'),
        Wrap::Brace => pair(b'{', b'}'),
        Wrap::Paren => tok.strip_prefix(b"("),
    }
}

/// `GET /a HTTP/1.1` → (`GET`, `/a`); anything else → (``, ``).
fn split_request(v: &[u8]) -> (&[u8], &[u8]) {
    let Some(sp) = memchr::memchr(b' ', v) else {
        return (b"", b"");
    };
    let m = &v[..sp];
    if !is_method(m) {
        return (b"", b"");
    }
    let rest = &v[sp + 1..];
    let end = memchr::memrchr(b' ', rest).unwrap_or(rest.len());
    (m, &rest[..end])
}

fn is_method(m: &[u8]) -> bool {
    (1..=20).contains(&m.len())
        && m.iter()
            .all(|c| c.is_ascii_uppercase() || *c == b'-' || *c == b'_')
}

/// A status field: `Some(Some(code))` for 100–599, `Some(None)` for "no response" (`-1`,
/// `0`, `-`), `None` when the text is not a status.
pub(super) fn status(v: &[u8]) -> Option<Option<u16>> {
    match v {
        b"-" | b"-1" | b"0" | b"000" => Some(None),
        [a, b, c] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => {
            let s = u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
            (100..=599).contains(&s).then_some(Some(s))
        }
        _ => None,
    }
}

fn digits(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 18 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v.iter().fold(0u64, |a, c| a * 10 + u64::from(c - b'0')))
}

/// The last element of an nginx list (`a, b`, `a : b`), trimmed.
fn last_of_list(v: &[u8]) -> &[u8] {
    // Most values are one element: no space, nothing to search.
    if memchr::memchr(b' ', v).is_none() {
        return v;
    }
    let comma = memchr::memmem::rfind(v, b", ").map(|i| i + 2);
    let colon = memchr::memmem::rfind(v, b" : ").map(|i| i + 3);
    let t = &v[comma.max(colon).unwrap_or(0)..];
    let s = t.iter().position(|c| *c != b' ').unwrap_or(t.len());
    &t[s..]
}

/// A duration: `Some(Some(µs))`, `Some(None)` for `-`/`-1` (not measured), `None` when the
/// text is not a duration. A unit suffix (`12ms`, `0.5s`, `300us`, `15ns`) overrides `unit`.
pub(super) fn duration_us(v: &[u8], unit: Unit) -> Option<Option<u64>> {
    if v == b"-" || v == b"-1" || v.is_empty() {
        return Some(None);
    }
    let num_end = v
        .iter()
        .position(|c| !(c.is_ascii_digit() || *c == b'.' || *c == b'-' || *c == b'e' || *c == b'+'))
        .unwrap_or(v.len());
    let unit = match &v[num_end..] {
        b"" => unit,
        b"s" => Unit::S,
        b"ms" => Unit::Ms,
        b"us" | b"\xC2\xB5s" => Unit::Us,
        b"ns" => Unit::Ns,
        _ => return None,
    };
    let num = &v[..num_end];
    if let Some(us) = decimal_micros(num, unit) {
        return Some(Some(us));
    }
    let n: f64 = std::str::from_utf8(num).ok()?.parse().ok()?;
    if !n.is_finite() {
        return None;
    }
    if n < 0.0 {
        return Some(None);
    }
    Some(Some(unit.micros(n).round().min(u64::MAX as f64) as u64))
}

/// `123` or `0.512` in `unit`, as whole microseconds without a float parse (the usual
/// forms: this runs on every line of a timed access log); `None` for other forms.
fn decimal_micros(num: &[u8], unit: Unit) -> Option<u64> {
    let (int, frac) = match memchr::memchr(b'.', num) {
        Some(i) => (&num[..i], &num[i + 1..]),
        None => (num, &b""[..]),
    };
    if int.is_empty() || int.len() > 12 || frac.len() > 9 {
        return None;
    }
    // 21 digits at most: u128 (12 + 9 digits overflow a u64; hostile lines must not panic
    // in debug builds nor wrap in release ones).
    let mut v: u128 = 0;
    for &c in int.iter().chain(frac) {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u128::from(c - b'0');
    }
    // v = number × 10^frac.len(); micros = number × scale.
    let div = 10u128.pow(frac.len() as u32);
    let us = match unit {
        Unit::S => (v * 1_000_000 + div / 2) / div,
        Unit::Ms => (v * 1_000 + div / 2) / div,
        Unit::Us => (v + div / 2) / div,
        Unit::Ns => (v + 500 * div) / (1_000 * div),
    };
    Some(u64::try_from(us).unwrap_or(u64::MAX))
}

/// The text of a JSON value for a role (strings unquoted), and whether it holds escapes.
pub(super) fn json_value(v: json::Value<'_>) -> (&[u8], bool) {
    match v {
        json::Value::Str(s, esc) => (s, esc),
        json::Value::Bare(s) => (s, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(line: &str) -> Vec<&str> {
        let mut out = [(0u32, 0u32); MAX_TOKENS];
        let n = tokenize(line.as_bytes(), true, &mut out, MAX_TOKENS);
        out[..n]
            .iter()
            .map(|&(a, b)| &line[a as usize..b as usize])
            .collect()
    }

    #[test]
    fn tokens_keep_quotes_brackets_and_lists_whole() {
        assert_eq!(
            toks(
                r#"1.2.3.4 - - [21/Aug/2019:08:00:01 +0800] "GET /a\"b HTTP/1.1" 502 0 [] 10.0.0.1:80, 10.0.0.2:80 : 10.0.0.3:80 502, 503 {a b}"#
            ),
            vec![
                "1.2.3.4",
                "-",
                "-",
                "[21/Aug/2019:08:00:01 +0800]",
                r#""GET /a\"b HTTP/1.1""#,
                "502",
                "0",
                "[]",
                "10.0.0.1:80, 10.0.0.2:80 : 10.0.0.3:80",
                "502, 503",
                "{a b}"
            ]
        );
        // An unclosed quote runs to the end of the line.
        assert_eq!(toks(r#"a "b c"#), vec!["a", r#""b c"#]);
    }

    #[test]
    fn specs_parse_and_reject_nonsense() {
        let s = Spec::parse("\"method path -\"").unwrap();
        assert_eq!(
            (s.wrap, s.parts.len(), s.seps.clone()),
            (Wrap::Quote, 3, vec![b' ', b' '])
        );
        assert!(Spec::parse("?{-}").unwrap().optional);
        assert_eq!(Spec::parse("(duration_ms").unwrap().wrap, Wrap::Paren);
        assert!(Spec::parse("statuz").is_err());
        assert!(Spec::parse("status;bytes").is_err());
        assert!(Spec::parse("client:").is_err());
    }

    proptest::proptest! {
        /// The integer fast path gives what the float parse gives (within rounding).
        #[test]
        fn decimal_fast_path_matches_the_float_parse(int in 0u64..1_000_000_000_000, frac in "[0-9]{0,9}", u in 0usize..4) {
            let unit = [Unit::S, Unit::Ms, Unit::Us, Unit::Ns][u];
            let text = if frac.is_empty() { int.to_string() } else { format!("{int}.{frac}") };
            let fast = decimal_micros(text.as_bytes(), unit).unwrap();
            let slow = unit.micros(text.parse::<f64>().unwrap()).round();
            proptest::prop_assert!((fast as f64 - slow).abs() <= 1.0 + slow * 1e-12, "{} {:?}: {} vs {}", text, unit, fast, slow);
        }
    }

    #[test]
    fn values() {
        assert_eq!(status(b"503"), Some(Some(503)));
        assert_eq!(status(b"-1"), Some(None));
        assert_eq!(status(b"600"), None);
        assert_eq!(status(b"50"), None);
        assert_eq!(duration_us(b"0.512", Unit::S), Some(Some(512_000)));
        assert_eq!(duration_us(b"12ms", Unit::S), Some(Some(12_000)));
        assert_eq!(duration_us(b"0.550s", Unit::Ms), Some(Some(550_000)));
        assert_eq!(duration_us(b"-1", Unit::Ms), Some(None));
        assert_eq!(duration_us(b"abc", Unit::Ms), None);
        assert_eq!(last_of_list(b"0.001, 0.002"), b"0.002");
        assert_eq!(last_of_list(b"502 : 200"), b"200");
        assert_eq!(last_of_list(b"10.0.0.1:80"), b"10.0.0.1:80");
        assert_eq!(path_of(b"https://h.example:443/a/b?x=1#f"), b"/a/b");
        assert_eq!(path_of(b"http://h.example"), b"/");
        assert_eq!(path_of(b"/x?http://y"), b"/x");
        assert_eq!(
            split_request(b"GET /a b HTTP/1.1"),
            (&b"GET"[..], &b"/a b"[..])
        );
        assert_eq!(split_request(b"\\x16\\x03"), (&b""[..], &b""[..]));
    }
}

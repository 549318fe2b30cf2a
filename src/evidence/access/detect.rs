//! Which layout a file's lines follow: by header, then by a vote over sampled lines; never
//! by file name.
//!
//! Input: the [`Layouts`] and sampled lines of one file (its head and middle). Output: a
//! [`Detection`] (the winning layout, the prefix its lines carry, the vote) or `None`.
//!
//! - Header: a W3C `#Fields:` line that names a status field picks the W3C layout (IIS
//!   writes one at the top and again after every restart).
//! - Vote: each sampled line is read by every layout after each [`Prefix`] it may carry (a
//!   syslog header, a `kubectl logs --timestamps` stamp, a CRI `<stamp> stdout F`); the line
//!   votes for the reading with the most fields, then the most tokens explained (so
//!   `combined` beats `common` on a combined line, and ingress-nginx's `upstreaminfo` beats
//!   `combined + $request_time` on an ingress line whose `$request_length` would read as a
//!   time). The winner needs at least [`MIN_SHARE_PERCENT`] % of the sampled lines: mixed
//!   files (a controller's own klog lines between its access lines, an app log with a few
//!   request lines) still count the requests they hold, while one stray line does not make
//!   a file an access log.
//! - Cost: at most [`SAMPLE_LINES`] lines per window, and a window is given up after
//!   [`GIVE_UP_AFTER`] lines that no layout reads, so a file that is no access log costs a
//!   few line reads; JSON layouts are tried only on lines holding one of their status keys.

use super::layout::{Layouts, Tokens};

/// Lines read per sample window (head, middle).
pub const SAMPLE_LINES: usize = 32;
/// A window stops after this many leading lines that no layout reads.
pub const GIVE_UP_AFTER: usize = 8;
/// The winner's least share of the sampled lines, in percent.
pub const MIN_SHARE_PERCENT: u32 = 10;

/// What stands before the access line on each line of a file.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Prefix {
    /// Nothing: the line is the access line.
    None,
    /// One RFC 3339 stamp (`kubectl logs --timestamps`).
    Stamp,
    /// A CRI log line head: `<RFC 3339> stdout|stderr F|P`.
    Cri,
    /// A syslog header ending in the program tag (`Sep  3 15:12:41 lb1 haproxy[2190]:`,
    /// RFC 5424 `<134>1 ... - -`).
    Syslog,
}

impl Prefix {
    /// Every prefix, in the order tried.
    pub const ALL: [Prefix; 4] = [Prefix::None, Prefix::Stamp, Prefix::Cri, Prefix::Syslog];

    /// The line after this prefix, or `None` when the line does not carry it.
    pub fn strip(self, line: &[u8]) -> Option<&[u8]> {
        match self {
            Prefix::None => Some(line),
            Prefix::Stamp => stamp_token(line),
            Prefix::Cri => {
                let rest = stamp_token(line)?;
                let rest = rest
                    .strip_prefix(b"stdout ")
                    .or_else(|| rest.strip_prefix(b"stderr "))?;
                rest.strip_prefix(b"F ")
                    .or_else(|| rest.strip_prefix(b"P "))
            }
            Prefix::Syslog => syslog_tag(line),
        }
    }

    /// Kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Prefix::None => "none",
            Prefix::Stamp => "stamp",
            Prefix::Cri => "cri",
            Prefix::Syslog => "syslog",
        }
    }
}

/// The rest of a line that starts with an RFC 3339 date-time token.
fn stamp_token(line: &[u8]) -> Option<&[u8]> {
    let ok = line.len() > 20
        && line[..4].iter().all(u8::is_ascii_digit)
        && line[4] == b'-'
        && line[7] == b'-'
        && line[10] == b'T';
    if !ok {
        return None;
    }
    let sp = memchr::memchr(b' ', line)?;
    let mut i = sp;
    while line.get(i) == Some(&b' ') {
        i += 1;
    }
    Some(&line[i..])
}

/// The rest of a line after a syslog header: RFC 5424 (`<pri>1 stamp host app pid msgid sd`)
/// or the first of the first 8 tokens that ends with `:` (the program tag), provided no
/// token before it opens a quote or a bracket (those belong to an access line).
fn syslog_tag(line: &[u8]) -> Option<&[u8]> {
    let skip_spaces = |mut i: usize| {
        while line.get(i) == Some(&b' ') {
            i += 1;
        }
        i
    };
    if line.first() == Some(&b'<') {
        let close = memchr::memchr(b'>', &line[..line.len().min(5)])?;
        if line.get(close + 1).is_some_and(u8::is_ascii_digit) && line.get(close + 2) == Some(&b' ')
        {
            // RFC 5424: version, then stamp host app procid msgid, then structured data.
            let mut i = close + 3;
            for _ in 0..5 {
                i = skip_spaces(i + memchr::memchr(b' ', &line[i..])?);
            }
            if line.get(i) == Some(&b'[') {
                i += memchr::memchr(b']', &line[i..])? + 1;
            } else {
                i += memchr::memchr(b' ', &line[i..]).unwrap_or(line.len() - i);
            }
            return Some(&line[skip_spaces(i)..]);
        }
    }
    let mut i = 0;
    for _ in 0..8 {
        i = skip_spaces(i);
        let end = memchr::memchr(b' ', &line[i..]).map_or(line.len(), |j| i + j);
        let tok = &line[i..end];
        match tok.first() {
            None | Some(b'"') | Some(b'[') | Some(b'{') => return None,
            _ => {}
        }
        if tok.len() > 1 && tok.ends_with(b":") {
            return Some(&line[skip_spaces(end)..]);
        }
        if end >= line.len() {
            return None;
        }
        i = end;
    }
    None
}

/// A file's layout, and how it was chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    /// Index into [`Layouts::layouts`].
    pub layout: usize,
    /// What precedes the access line on each line.
    pub prefix: Prefix,
    /// Chosen by a W3C `#Fields:` header.
    pub by_header: bool,
    /// Votes per (layout, prefix), most first.
    pub votes: Vec<(usize, Prefix, u32)>,
    /// Sampled lines (non-empty, not `#` comments).
    pub sampled: u32,
}

impl Detection {
    /// One line for `--debug`: the winner and the vote.
    pub fn describe(&self, layouts: &Layouts) -> String {
        let name = |i: usize| layouts.layouts[i].id.as_str();
        if self.by_header {
            return format!("{} (by its #Fields: header)", name(self.layout));
        }
        let votes: Vec<String> = self
            .votes
            .iter()
            .map(|(l, p, n)| {
                if *p == Prefix::None {
                    format!("{} {n}", name(*l))
                } else {
                    format!("{}+{} {n}", name(*l), p.as_str())
                }
            })
            .collect();
        format!(
            "{} (prefix {}; vote over {} sampled lines: {})",
            name(self.layout),
            self.prefix.as_str(),
            self.sampled,
            votes.join(", ")
        )
    }
}

/// Finds the layout of a file from sample windows of its lines (each window in line
/// order; `\r` may end a line).
pub fn detect(layouts: &Layouts, windows: &[Vec<&[u8]>]) -> Option<Detection> {
    for w in windows {
        for line in w {
            if line.starts_with(b"#Fields:") {
                if let Some(i) = layouts
                    .layouts
                    .iter()
                    .position(|l| l.w3c_fields(trim_cr(line)).is_some())
                {
                    return Some(Detection {
                        layout: i,
                        prefix: Prefix::None,
                        by_header: true,
                        votes: Vec::new(),
                        sampled: 0,
                    });
                }
            }
        }
    }
    let mut tally: Vec<(usize, Prefix, u32)> = Vec::new();
    let mut sampled = 0u32;
    for w in windows {
        let mut read_any = false;
        for (k, line) in w.iter().take(SAMPLE_LINES).enumerate() {
            if !read_any && k >= GIVE_UP_AFTER {
                break;
            }
            let line = trim_cr(line);
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            sampled += 1;
            if let Some((l, p)) = best_reading(layouts, line) {
                read_any = true;
                match tally.iter_mut().find(|t| t.0 == l && t.1 == p) {
                    Some(t) => t.2 += 1,
                    None => tally.push((l, p, 1)),
                }
            }
        }
    }
    tally.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
    let &(layout, prefix, n) = tally.first()?;
    (n * 100 >= sampled * MIN_SHARE_PERCENT).then_some(Detection {
        layout,
        prefix,
        by_header: false,
        votes: tally,
        sampled,
    })
}

/// The reading of one line with the most fields (then tokens, then the earlier layout).
fn best_reading(layouts: &Layouts, line: &[u8]) -> Option<(usize, Prefix)> {
    let mut best: Option<((u16, u16), usize, Prefix)> = None;
    let mut tried: [Option<usize>; 4] = [None; 4];
    for (pi, p) in Prefix::ALL.into_iter().enumerate() {
        let Some(rest) = p.strip(line) else { continue };
        // The same text after two prefixes (none found): read it once.
        let at = line.len() - rest.len();
        if tried[..pi].contains(&Some(at)) {
            continue;
        }
        tried[pi] = Some(at);
        let json = rest.first() == Some(&b'{');
        if json && !layouts.may_hold_json_status(rest) {
            continue;
        }
        // Split once for all the token layouts (JSON layouts read the text).
        let split = (!json).then(|| Tokens::of(rest));
        for (i, l) in layouts.layouts.iter().enumerate() {
            if l.is_w3c() || l.is_json() != json {
                continue;
            }
            let read = match &split {
                Some(t) => l.parse_split(t),
                None => l.parse(rest, None),
            };
            if let Some(req) = read {
                let key = (req.score, req.tokens);
                if best.as_ref().is_none_or(|b| key > b.0) {
                    best = Some((key, i, p));
                }
            }
        }
    }
    best.map(|b| (b.1, b.2))
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        let l = b"Sep  3 15:12:41 lb1 haproxy[2190]: 10.0.1.28:56813 [03/Sep/2024:15:12:41.154] x";
        assert_eq!(
            Prefix::Syslog.strip(l).unwrap(),
            &b"10.0.1.28:56813 [03/Sep/2024:15:12:41.154] x"[..]
        );
        let l = b"<134>1 2024-09-03T15:12:41.154-04:00 lb1 haproxy 2190 - - 10.0.1.28:1 [x]";
        assert_eq!(Prefix::Syslog.strip(l).unwrap(), &b"10.0.1.28:1 [x]"[..]);
        let l = b"<134>1 2024-09-03T15:12:41Z lb1 haproxy 2190 - [a b=\"c\"] msg";
        assert_eq!(Prefix::Syslog.strip(l).unwrap(), &b"msg"[..]);
        // A colon inside an access line's request is not a syslog tag.
        assert!(Prefix::Syslog
            .strip(b"1.2.3.4 - - [21/Aug/2019:08:00:01 +0800] \"GET /x: HTTP/1.1\" 200 1")
            .is_none());
        let l =
            b"2024-06-18T02:00:02.857744722Z 10.0.0.4 - - [18/Jun/2024:02:00:02 +0000] \"GET /\"";
        assert!(Prefix::Stamp.strip(l).unwrap().starts_with(b"10.0.0.4 "));
        let l = b"2024-06-18T02:00:02.857744722Z stdout F 10.0.0.4 - -";
        assert_eq!(Prefix::Cri.strip(l).unwrap(), &b"10.0.0.4 - -"[..]);
        assert!(Prefix::Cri
            .strip(b"2024-06-18T02:00:02Z 10.0.0.4")
            .is_none());
    }
}

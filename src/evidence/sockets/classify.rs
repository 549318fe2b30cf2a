//! Line classification: what one line of a dump of a known kind is.
//!
//! Input: a line and the [`DumpKind`] being tried. Output: a [`Line`] (a TCP row, a UDP row,
//! a process, a `netstat -b` image or service line, neutral, or bad). `sniff` runs a
//! [`Classifier`] per kind over a file's first lines; `parse` runs the chosen one over all.
//!
//! Tricky cases:
//! * The classifier is stateful: `netstat -b` annotations only make sense right after a row,
//!   and `tasklist` column widths come from the `=====` underline (image names contain
//!   spaces, so widths beat whitespace splitting; non-ASCII names break the byte alignment
//!   and fall back to "first all-digit token is the PID").
//! * Lines the format does not explain are neutral if they carry no digits (titles, headers,
//!   `Can not obtain ownership information`) or are a bare timestamp, and bad otherwise.
//! * Windows netstat: some locales use two-word states, so the state is everything between
//!   the foreign address and the PID. Linux `netstat -e` inserts columns before the
//!   `PID/Program name` one. `ss -a` without `-t` has a Netid column first. A listening
//!   socket shared by a pre-forking server lists every worker: the lowest PID wins.
//! * Rows are split on ASCII whitespace and parsed by hand (no regex per row).

use std::borrow::Cow;

use super::row::{is_ss_state, map_state, parse_digits, parse_ep, Line, RawSock};
use super::stamp::time_hit;
use super::DumpKind;

/// Per-file line classifier. Stateful because `netstat -b` annotations only make sense right
/// after a row, and `tasklist` column widths come from the `=====` underline.
pub(super) struct Classifier<'a> {
    kind: DumpKind,
    after_row: bool,
    /// Byte spans of the first two tasklist columns (image name, PID).
    cols: Option<[(usize, usize); 2]>,
    toks: Vec<&'a str>,
}

impl<'a> Classifier<'a> {
    pub(super) fn new(kind: DumpKind) -> Self {
        Classifier {
            kind,
            after_row: false,
            cols: None,
            toks: Vec::with_capacity(16),
        }
    }

    /// Classify one line; lines the format does not explain fall back to "neutral" if they
    /// carry no digits (titles, headers, `Can not obtain ownership information`) or are a bare
    /// timestamp, and are "bad" otherwise.
    pub(super) fn classify(&mut self, line: &'a str) -> Line<'a> {
        let out = match self.kind {
            DumpKind::NetstatWindows => self.netstat_windows(line),
            DumpKind::NetstatLinux => self.netstat_linux(line),
            DumpKind::Ss => self.ss(line),
            DumpKind::Tasklist => self.tasklist(line),
            DumpKind::TasklistCsv => tasklist_csv(line),
            DumpKind::PsEf => self.ps_ef(line),
            DumpKind::PsAux => self.ps_aux(line),
        };
        match out {
            Line::Bad => {
                self.after_row = false;
                if !line.bytes().any(|b| b.is_ascii_digit()) || time_hit(line).is_some() {
                    Line::Neutral
                } else {
                    Line::Bad
                }
            }
            Line::Sock(_) | Line::Udp => {
                self.after_row = true;
                out
            }
            other => other,
        }
    }

    fn tokenize(&mut self, line: &'a str) {
        self.toks.clear();
        self.toks.extend(line.split_ascii_whitespace());
    }

    fn netstat_windows(&mut self, line: &'a str) -> Line<'a> {
        self.tokenize(line);
        let t = &self.toks;
        if t.is_empty() {
            return Line::Neutral;
        }
        let proto = t[0];
        if proto.eq_ignore_ascii_case("TCP") && t.len() >= 4 {
            let (Some(local), Some(remote)) = (parse_ep(t[1]), parse_ep(t[2])) else {
                return Line::Bad;
            };
            // `-ano`: state then PID; `-an`: state only. Some locales use two-word states,
            // so the state is everything between the foreign address and the PID.
            let (state_toks, pid) = match parse_digits(t[t.len() - 1]) {
                Some(pid) if t.len() >= 5 => (&t[3..t.len() - 1], Some(pid)),
                Some(_) => return Line::Bad,
                None => (&t[3..], None),
            };
            let state = if state_toks.len() == 1 {
                map_state(state_toks[0]).ok_or(Cow::Borrowed(state_toks[0]))
            } else {
                let joined = state_toks.join(" ");
                map_state(&joined).ok_or(Cow::Owned(joined))
            };
            return Line::Sock(RawSock {
                local,
                remote,
                state,
                pid,
                name: None,
            });
        }
        if proto.eq_ignore_ascii_case("UDP") && (3..=4).contains(&t.len()) {
            if parse_ep(t[1]).is_some() && parse_ep(t[2]).is_some() {
                return Line::Udp;
            }
            return Line::Bad;
        }
        if self.after_row {
            let trimmed = line.trim();
            if let Some(inner) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                return Line::Image(inner.trim());
            }
            if t.len() == 1 && !trimmed.contains(':') && parse_digits(trimmed).is_none() {
                return Line::Service(trimmed);
            }
        }
        Line::Bad
    }

    fn netstat_linux(&mut self, line: &'a str) -> Line<'a> {
        self.tokenize(line);
        let t = &self.toks;
        if t.is_empty() {
            return Line::Neutral;
        }
        match t[0] {
            "tcp" | "tcp6" | "tcp4" => {}
            "udp" | "udp6" | "udp4" | "udpl" | "udpl6" => {
                if t.len() >= 5 && parse_ep(t[3]).is_some() && parse_ep(t[4]).is_some() {
                    return Line::Udp;
                }
                return Line::Bad;
            }
            // `netstat -anp` also lists raw and unix sockets: not our business, not errors.
            "raw" | "raw6" | "unix" => return Line::Neutral,
            _ => return Line::Bad,
        }
        if t.len() < 6 || parse_digits(t[1]).is_none() || parse_digits(t[2]).is_none() {
            return Line::Bad;
        }
        let (Some(local), Some(remote)) = (parse_ep(t[3]), parse_ep(t[4])) else {
            return Line::Bad;
        };
        let state = map_state(t[5]).ok_or(Cow::Borrowed(t[5]));
        // `-p` adds `PID/Program name` (or `-`); `-e` inserts User and Inode before it, so look
        // for the first token shaped like `123/name` or a lone `-`.
        let mut pid = None;
        let mut name = None;
        for tok in &t[6..] {
            if *tok == "-" {
                break;
            }
            if let Some((p, n)) = tok.split_once('/') {
                if let Some(p) = parse_digits(p) {
                    pid = Some(p);
                    if !n.is_empty() {
                        name = Some(n);
                    }
                    break;
                }
            }
        }
        Line::Sock(RawSock {
            local,
            remote,
            state,
            pid,
            name,
        })
    }

    fn ss(&mut self, line: &'a str) -> Line<'a> {
        self.tokenize(line);
        let t = &self.toks;
        if t.is_empty() {
            return Line::Neutral;
        }
        let mut i = 0;
        let mut udp = false;
        if !is_ss_state(t[0]) {
            // `ss -a` without `-t` has a Netid column first.
            match t[0] {
                "tcp" | "mptcp" => {}
                "udp" => udp = true,
                "u_str" | "u_dgr" | "u_seq" | "raw" | "nl" | "p_raw" | "p_dgr" | "sctp"
                | "dccp" | "tipc" | "v_str" | "v_dgr" | "xdp" | "icmp6" | "u_seqpacket" => {
                    return if t.len() >= 2 && is_ss_state(t[1]) {
                        Line::Neutral
                    } else {
                        Line::Bad
                    };
                }
                _ => return Line::Bad,
            }
            i = 1;
        }
        if t.len() < i + 5 || !is_ss_state(t[i]) {
            return Line::Bad;
        }
        if parse_digits(t[i + 1]).is_none() || parse_digits(t[i + 2]).is_none() {
            return Line::Bad;
        }
        let (Some(local), Some(remote)) = (parse_ep(t[i + 3]), parse_ep(t[i + 4])) else {
            return Line::Bad;
        };
        if udp || t[i] == "UNCONN" {
            return Line::Udp;
        }
        let state = map_state(t[i]).ok_or(Cow::Borrowed(t[i]));
        let (pid, name) = match memchr::memmem::find(line.as_bytes(), b"users:((") {
            Some(at) => parse_ss_users(&line[at + 8..]),
            None => (None, None),
        };
        Line::Sock(RawSock {
            local,
            remote,
            state,
            pid,
            name,
        })
    }

    fn tasklist(&mut self, line: &'a str) -> Line<'a> {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            return Line::Neutral;
        }
        // The underline `==== ====` gives the column widths; image names contain spaces
        // ("System Idle Process"), so widths beat whitespace splitting.
        if trimmed.bytes().all(|b| b == b'=' || b == b' ') {
            let mut spans = Vec::new();
            let mut start = None;
            for (i, b) in line.bytes().enumerate() {
                match (b == b'=', start) {
                    (true, None) => start = Some(i),
                    (false, Some(s)) => {
                        spans.push((s, i));
                        start = None;
                    }
                    _ => {}
                }
            }
            if let Some(s) = start {
                spans.push((s, line.len()));
            }
            if spans.len() >= 2 && spans[0].1 - spans[0].0 >= 5 {
                self.cols = Some([spans[0], spans[1]]);
                return Line::Neutral;
            }
            return Line::Bad;
        }
        if let Some([c0, c1]) = self.cols {
            let image = line.get(c0.0..c0.1.min(line.len())).map(str::trim);
            let pid = line
                .get(c1.0.min(line.len())..c1.1.min(line.len()))
                .map(str::trim);
            match (image, pid) {
                // `/svc` continuation line: more services of the process above.
                (Some(""), Some("")) => return Line::Neutral,
                (Some(image), Some(pid)) if !image.is_empty() => {
                    if let Some(pid) = parse_digits(pid) {
                        return Line::Proc(pid, Cow::Borrowed(image));
                    }
                }
                _ => {}
            }
            // Non-ASCII image names break byte alignment (the console aligned by display
            // width): fall back to "first all-digit token is the PID".
            if line.is_ascii() {
                return Line::Bad;
            }
            self.tokenize(line);
            return match self
                .toks
                .iter()
                .skip(1)
                .position(|t| parse_digits(t).is_some())
            {
                Some(p) => {
                    let tok = self.toks[p + 1];
                    let off = tok.as_ptr() as usize - line.as_ptr() as usize;
                    let pid = parse_digits(tok).unwrap_or(0);
                    Line::Proc(pid, Cow::Borrowed(line[..off].trim()))
                }
                None => Line::Bad,
            };
        }
        // `/NH` (no header, no underline): demand the full default row shape
        // `<image…> <pid> <session name> <session#> <mem> K`.
        self.tokenize(line);
        let t = &self.toks;
        let n = t.len();
        if n < 6 {
            return Line::Bad;
        }
        let unit = t[n - 1];
        let mem = t[n - 2];
        let unit_ok = unit.len() <= 3 && unit.chars().all(char::is_alphabetic);
        let mem_ok = mem.bytes().any(|b| b.is_ascii_digit())
            && mem
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b',' | b'.' | b'\''));
        if !unit_ok || !mem_ok || parse_digits(t[n - 3]).is_none() {
            return Line::Bad;
        }
        let Some(pid) = parse_digits(t[n - 5]) else {
            return Line::Bad;
        };
        if n - 5 == 0 {
            return Line::Bad;
        }
        let tok = t[n - 5];
        let off = tok.as_ptr() as usize - line.as_ptr() as usize;
        Line::Proc(pid, Cow::Borrowed(line[..off].trim()))
    }

    fn ps_ef(&mut self, line: &'a str) -> Line<'a> {
        self.tokenize(line);
        let t = &self.toks;
        // UID PID PPID C STIME TTY TIME CMD
        if t.len() < 8
            || parse_digits(t[1]).is_none()
            || parse_digits(t[2]).is_none()
            || parse_digits(t[3]).is_none()
        {
            return Line::Bad;
        }
        // STIME is one token with procps ("11:47", "Aug20", "2019") but some ps print
        // "Aug 20": accept TIME at index 6 or 7.
        let time_at = (6..=7).find(|&i| i + 1 < t.len() && is_cpu_time(t[i]));
        let Some(ti) = time_at else {
            return Line::Bad;
        };
        let pid = parse_digits(t[1]).unwrap_or(0);
        Line::Proc(pid, Cow::Borrowed(command_name(t[ti + 1])))
    }

    fn ps_aux(&mut self, line: &'a str) -> Line<'a> {
        self.tokenize(line);
        let t = &self.toks;
        // USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND
        if t.len() < 11
            || parse_digits(t[1]).is_none()
            || !is_decimal(t[2])
            || !is_decimal(t[3])
            || parse_digits(t[4]).is_none()
            || parse_digits(t[5]).is_none()
            || !is_cpu_time(t[9])
        {
            return Line::Bad;
        }
        let pid = parse_digits(t[1]).unwrap_or(0);
        Line::Proc(pid, Cow::Borrowed(command_name(t[10])))
    }
}

/// `ps` TIME column: `00:00:05`, `0:05`, `1-02:03:04`.
fn is_cpu_time(s: &str) -> bool {
    s.contains(':')
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b == b':' || b == b'-')
}

fn is_decimal(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
}

/// `/usr/lib/postgresql/12/bin/postgres` → `postgres`; `postgres:` (a backend's retitled
/// argv) → `postgres`; kernel threads `[kworker/0:1]` stay whole.
fn command_name(argv0: &str) -> &str {
    if argv0.starts_with('[') {
        return argv0;
    }
    let base = argv0.rsplit(['/', '\\']).next().unwrap_or(argv0);
    let base = base.trim_end_matches(':');
    if base.is_empty() {
        argv0
    } else {
        base
    }
}

/// `"java",pid=1234,fd=5),("java",pid=1234,fd=9))` (the text after `users:((`) → owner.
/// A listening socket shared by a pre-forking server lists every worker in whatever order the
/// kernel walked them; the lowest PID is almost always the master, which is the stable name
/// to report, so that one wins.
fn parse_ss_users(s: &str) -> (Option<u32>, Option<&str>) {
    let mut best: (Option<u32>, Option<&str>) = (None, None);
    // Entries are `"name",pid=N,fd=M` separated by `),(`; the name is quoted and may hold
    // commas or spaces, so split on the quote pairs rather than on commas.
    let mut rest = s;
    while let Some(open) = rest.find('"') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('"') else { break };
        let name = &after[..close];
        let tail = &after[close + 1..];
        let entry_end = tail.find(')').unwrap_or(tail.len());
        let pid = tail[..entry_end].find("pid=").and_then(|at| {
            let digits = &tail[at + 4..entry_end];
            let end = digits
                .bytes()
                .position(|b| !b.is_ascii_digit())
                .unwrap_or(digits.len());
            parse_digits(&digits[..end])
        });
        let better = match (pid, best.0) {
            (Some(p), Some(b)) => p < b,
            (Some(_), None) => true,
            (None, _) => best.1.is_none(),
        };
        if better {
            best = (pid, Some(name));
        }
        rest = &tail[entry_end..];
    }
    best
}

/// `"Image Name","PID",…` rows; the header (and a localized header) has no digits, so it
/// falls through to neutral. Column position, not header text, decides.
fn tasklist_csv(line: &str) -> Line<'_> {
    let trimmed = line.trim();
    if !trimmed.starts_with('"') {
        return Line::Bad;
    }
    let fields = split_csv(trimmed);
    if fields.len() < 2 {
        return Line::Bad;
    }
    match parse_digits(fields[1].trim()) {
        Some(pid) => Line::Proc(pid, fields.into_iter().next().unwrap_or_default()),
        None => Line::Bad,
    }
}

/// Minimal RFC 4180 field splitter (quotes, doubled quotes). Unterminated quotes end the line.
fn split_csv(line: &str) -> Vec<Cow<'_, str>> {
    let mut out = Vec::new();
    let b = line.as_bytes();
    let mut i = 0;
    while i <= b.len() {
        if i < b.len() && b[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            let mut owned: Option<String> = None;
            loop {
                match memchr::memchr(b'"', &b[j..]) {
                    None => {
                        let tail = &line[start..];
                        out.push(match owned {
                            Some(mut o) => {
                                o.push_str(&line[j..]);
                                Cow::Owned(o)
                            }
                            None => Cow::Borrowed(tail),
                        });
                        return out;
                    }
                    Some(k) => {
                        let q = j + k;
                        if q + 1 < b.len() && b[q + 1] == b'"' {
                            let o = owned.get_or_insert_with(String::new);
                            o.push_str(&line[j..=q]);
                            j = q + 2;
                            continue;
                        }
                        let field = match owned.take() {
                            Some(mut o) => {
                                o.push_str(&line[j..q]);
                                Cow::Owned(o)
                            }
                            None => Cow::Borrowed(&line[start..q]),
                        };
                        out.push(field);
                        // Skip to after the next comma.
                        match memchr::memchr(b',', &b[q + 1..]) {
                            Some(c) => i = q + 1 + c + 1,
                            None => return out,
                        }
                        break;
                    }
                }
            }
        } else {
            match memchr::memchr(b',', &b[i.min(b.len())..]) {
                Some(c) => {
                    out.push(Cow::Borrowed(&line[i..i + c]));
                    i = i + c + 1;
                }
                None => {
                    out.push(Cow::Borrowed(&line[i.min(b.len())..]));
                    return out;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::sockets::fixtures::*;
    use crate::evidence::sockets::row::St;
    use crate::evidence::sockets::{sniff, ProcessSource, Side};

    #[test]
    fn windows_netstat_ano() {
        let d = dump(WIN_ANO);
        assert_eq!(d.kind, DumpKind::NetstatWindows);
        assert_eq!(d.rows.len(), 8);
        assert_eq!(d.udp_rows, 2);
        assert_eq!(d.malformed, 0);
        assert_eq!(d.rows[1].local, ep("0.0.0.0", 1433));
        assert_eq!(d.rows[1].pid, Some(2468));
        assert_eq!(d.rows[2].state, St::TimeWait);
        assert_eq!(d.rows[2].pid, Some(0));
        assert_eq!(d.rows[6].local, ep("::", 1433));
        assert_eq!(d.rows[7].remote, ep("::1", 50010));
    }

    #[test]
    fn windows_netstat_an_without_pid_column() {
        let text = "Active Connections\n\n  Proto  Local Address          Foreign Address        State\n  TCP    0.0.0.0:1433           0.0.0.0:0              LISTENING\n  TCP    127.0.0.1:50001        127.0.0.1:1433         TIME_WAIT\n  UDP    0.0.0.0:123            *:*\n";
        let d = dump(text);
        assert_eq!(d.kind, DumpKind::NetstatWindows);
        assert_eq!(d.rows.len(), 2);
        assert_eq!(d.rows[0].pid, None);
        assert_eq!(d.rows[1].state, St::TimeWait);
        assert_eq!(d.udp_rows, 1);
        // No PID and no table: the port alone hints SQL Server.
        let s = snap(&[input("h/netstat-an.txt", text)]);
        let c = &s.culprits[0];
        assert_eq!((c.port, c.pid), (1433, None));
        assert_eq!(c.process_source, Some(ProcessSource::WellKnownPort));
        assert_eq!(c.side, Side::ClientToListener);
    }

    #[test]
    fn german_headers_and_state_words() {
        let text = "\nAktive Verbindungen\n\n  Proto  Lokale Adresse         Remoteadresse          Status           PID\n  TCP    0.0.0.0:1433           0.0.0.0:0              ABHÖREN          2468\n  TCP    127.0.0.1:50001        127.0.0.1:1433         WARTEND          0\n  TCP    127.0.0.1:50002        127.0.0.1:1433         HERGESTELLT      3120\n  TCP    127.0.0.1:50003        127.0.0.1:1433         SYN_GESENDET     3120\n";
        let d = dump(text);
        assert_eq!(d.kind, DumpKind::NetstatWindows);
        let s = snap(&[input("de/netstat.txt", text)]);
        assert_eq!(state(&s, "LISTENING"), 1);
        assert_eq!(state(&s, "TIME_WAIT"), 1);
        assert_eq!(state(&s, "ESTABLISHED"), 1);
        // Not sure of it: kept as written.
        assert_eq!(state(&s, "SYN_GESENDET"), 1);
        assert_eq!(s.culprits[0].pid, Some(2468));
    }

    #[test]
    fn chinese_and_french_headers() {
        let zh = "\n活动连接\n\n  协议  本地地址          外部地址        状态           PID\n  TCP    0.0.0.0:1433           0.0.0.0:0              LISTENING       2468\n  TCP    127.0.0.1:50001        127.0.0.1:1433         TIME_WAIT       0\n";
        assert_eq!(sniff(zh), Some(DumpKind::NetstatWindows));
        assert_eq!(dump(zh).malformed, 0);
        let fr = "\nConnexions actives\n\n  Proto  Adresse locale         Adresse distante       État\n  TCP    0.0.0.0:1433           0.0.0.0:0              ÉCOUTE\n  TCP    10.0.0.5:50001         10.0.0.9:8080          ÉTABLIE\n";
        let d = dump(fr);
        assert_eq!(d.rows[0].state, St::Listening);
        assert_eq!(d.rows[1].state, St::Established);
    }

    #[test]
    fn linux_netstat_tanp() {
        let d = dump(LINUX_NETSTAT);
        assert_eq!(d.kind, DumpKind::NetstatLinux);
        assert_eq!(d.rows.len(), 6);
        assert_eq!(d.udp_rows, 1);
        assert_eq!(d.malformed, 0);
        assert_eq!(d.rows[0].pid, Some(812));
        assert_eq!(d.names[d.rows[0].name.unwrap() as usize], "postgres");
        assert_eq!(d.rows[1].pid, None);
        assert_eq!(d.rows[5].local, ep("10.0.0.5", 8080));
        let s = snap(&[input("l/netstat.txt", LINUX_NETSTAT)]);
        assert_eq!(s.ephemeral_range, (32768, 60999));
        let c = &s.culprits[0];
        assert_eq!(c.side, Side::ClientToListener);
        assert_eq!(c.process.as_deref(), Some("postgres"));
        assert_eq!(c.process_source, Some(ProcessSource::NetstatP));
        assert_eq!(c.clients, vec!["java (PID 1234)".to_string()]);
    }

    #[test]
    fn ss_tanp_with_header() {
        let d = dump(SS_TANP);
        assert_eq!(d.kind, DumpKind::Ss);
        assert_eq!(d.rows.len(), 8);
        assert_eq!(d.malformed, 0);
        assert_eq!(d.rows[2].pid, Some(1500));
        assert_eq!(d.rows[5].local, ep("127.0.0.1", 33012));
        let s = snap(&[input("l/ss.txt", SS_TANP)]);
        assert_eq!(state(&s, "TIME_WAIT"), 2);
        assert_eq!(state(&s, "CLOSE_WAIT"), 1);
        assert_eq!(state(&s, "SYN_SENT"), 1);
        assert_eq!(state(&s, "LISTENING"), 3);
        let c = &s.culprits[0];
        assert_eq!((c.port, c.pid), (5432, Some(812)));
        assert_eq!(c.process_source, Some(ProcessSource::SsP));
        assert_eq!(c.time_wait, 2);
        assert_eq!(c.established, 1);
        assert!(c.loopback);
    }

    #[test]
    fn ss_without_header_and_with_netid() {
        let body: String = SS_TANP.lines().skip(1).map(|l| format!("{l}\n")).collect();
        let d = dump(&body);
        assert_eq!((d.kind, d.rows.len()), (DumpKind::Ss, 8));
        let netid = "Netid State     Recv-Q Send-Q Local Address:Port Peer Address:Port\nudp   UNCONN    0      0      0.0.0.0:68         0.0.0.0:*\ntcp   TIME-WAIT 0      0      127.0.0.1:33011    127.0.0.1:5432\ntcp   LISTEN    0      128    127.0.0.1:5432     0.0.0.0:*\nu_str ESTAB     0      0      /run/systemd/journal/stdout 17045 * 16000\n";
        let d = dump(netid);
        assert_eq!(d.rows.len(), 2);
        assert_eq!(d.udp_rows, 1);
        assert_eq!(d.malformed, 0);
        // `ss -tn`: only connected sockets, old-style IPv6 without brackets.
        let tn = "ESTAB 0 0 ::ffff:10.0.0.5:8080 ::ffff:10.0.0.9:51000\nESTAB 0 0 10.0.0.5:40000 10.0.0.7:6379\n";
        assert_eq!(dump(tn).rows[0].remote, ep("10.0.0.9", 51000));
    }

    #[test]
    fn ss_users_parsing() {
        let (pid, name) = parse_ss_users("\"java\",pid=1234,fd=5),(\"java\",pid=1234,fd=9))");
        assert_eq!((pid, name), (Some(1234), Some("java")));
        let workers = "\"php-fpm\",pid=1508,fd=9),(\"php-fpm\",pid=1500,fd=7),(\"Web, Content\",pid=1600,fd=1))";
        assert_eq!(parse_ss_users(workers), (Some(1500), Some("php-fpm")));
        assert_eq!(parse_ss_users("garbage"), (None, None));
        assert_eq!(parse_ss_users("\"x\",pid="), (None, Some("x")));
    }

    #[test]
    fn tasklist_table() {
        let t = table(TASKLIST);
        assert_eq!(t.kind, DumpKind::Tasklist);
        assert_eq!(t.count, 4);
        assert_eq!(t.names[&0], "System Idle Process");
        assert_eq!(t.names[&2468], "sqlservr.exe");
        // /NH: no header, no underline.
        let nh: String = TASKLIST.lines().skip(3).map(|l| format!("{l}\n")).collect();
        let t = table(&nh);
        assert_eq!(t.count, 4);
        assert_eq!(t.names[&0], "System Idle Process");
        // /svc: continuation lines of services.
        let svc = "\nImage Name                     PID Services\n========================= ======== ============================================\nsvchost.exe                    884 RpcEptMapper, RpcSs\nsvchost.exe                   1016 BrokerInfrastructure, DcomLaunch, PlugPlay,\n                                   Power, SystemEventsBroker\nsqlservr.exe                  2468 MSSQLSERVER\n";
        let t = table(svc);
        assert_eq!((t.kind, t.count), (DumpKind::Tasklist, 3));
        assert_eq!(t.names[&2468], "sqlservr.exe");
    }

    #[test]
    fn tasklist_csv_plain_svc_and_localized() {
        let csv = "\"Image Name\",\"PID\",\"Session Name\",\"Session#\",\"Mem Usage\"\n\"System Idle Process\",\"0\",\"Services\",\"0\",\"8 K\"\n\"sqlservr.exe\",\"2468\",\"Services\",\"0\",\"412,884 K\"\n";
        let t = table(csv);
        assert_eq!((t.kind, t.count), (DumpKind::TasklistCsv, 2));
        assert_eq!(t.names[&2468], "sqlservr.exe");
        let zh = "\u{feff}\"映像名称\",\"PID\",\"服务\"\r\n\"svchost.exe\",\"884\",\"RpcEptMapper,RpcSs\"\r\n\"sqlservr.exe\",\"2468\",\"MSSQLSERVER\"\r\n";
        let t = table(zh);
        assert_eq!(t.count, 2);
        assert_eq!(t.names[&884], "svchost.exe");
        let fields = split_csv("\"a \"\"b\"\"\",\"1\",,x");
        assert_eq!(fields, vec!["a \"b\"", "1", "", "x"]);
    }

    #[test]
    fn ps_ef_and_ps_aux() {
        let ef = "UID          PID    PPID  C STIME TTY          TIME CMD\nroot           1       0  0 Aug20 ?        00:00:05 /sbin/init splash\npostgres     812       1  0 Aug20 ?        00:01:10 /usr/lib/postgresql/12/bin/postgres -D /var/lib/postgresql/12/main\nwww-data    1501    1500  3 11:02 ?        00:10:00 php-fpm: pool www\nroot           2       0  0 Aug20 ?        00:00:00 [kthreadd]\n";
        let t = table(ef);
        assert_eq!((t.kind, t.count), (DumpKind::PsEf, 4));
        assert_eq!(t.names[&812], "postgres");
        assert_eq!(t.names[&1501], "php-fpm");
        assert_eq!(t.names[&2], "[kthreadd]");
        let aux = "USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\nroot           1  0.0  0.1 169000 13000 ?        Ss   Aug20   0:05 /sbin/init splash\npostgres     812  0.1  1.2 215000 28000 ?        Ss   Aug20   1:10 /usr/lib/postgresql/12/bin/postgres -D /var/lib/postgresql/12/main\nwww-data    1501 12.5  0.8 300000 40000 ?        S    11:02  10:00 php-fpm: pool www\n";
        let t = table(aux);
        assert_eq!((t.kind, t.count), (DumpKind::PsAux, 3));
        assert_eq!(t.names[&1501], "php-fpm");
    }
}

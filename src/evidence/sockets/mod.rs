//! Socket-state snapshots as evidence: who is exhausting the ephemeral ports?
//!
//! # Job
//! Read **saved** command output (a support engineer ran `netstat -ano > netstat.txt` or
//! `ss -tanp > ss.txt` on the sick host and shipped the file along with the logs), recognise
//! what it is, count sockets per TCP state, measure how much of the ephemeral port range is
//! held, and name the process behind the TIME_WAIT pile-up (signatures.md §12, §1).
//!
//! # Inputs and outputs
//! * Input: [`DumpInput`] (path, already-decoded text, file mtime). UTF-16 files written by
//!   PowerShell `>` must be decoded by the caller; a UTF-8 BOM and CRLF line ends are handled here.
//! * Recognised dumps ([`DumpKind`]): Windows `netstat -an/-ano/-anob` (also with localized
//!   headers and state words), Linux `netstat -tan/-tanp`, `ss -tan/-tanp/-tn` (with or without
//!   header and `Netid` column), and process tables `tasklist` (table and `/FO CSV`, `/svc`),
//!   `ps -ef`, `ps aux`. Recognition is by content ([`sniff`]), never by file name.
//! * Output: [`SocketsReport`] (serde JSON, see the field docs) and [`render_text`].
//!
//! # Tricky cases, and why the code does what it does
//! * A TIME_WAIT socket has no owner any more: Windows shows PID 0 ("System Idle Process"),
//!   Linux shows `-`. So the culprit is found by *port matching*: a TIME_WAIT whose local port is
//!   a LISTENING port is the server side of that listener; one whose foreign end is a listening
//!   port on this very host (loopback or one of our own addresses) is the client side of
//!   connections **to** that listener, and it pins one of our ephemeral ports. Everything else is
//!   grouped by remote `ip:port`.
//! * The founding case: SQL Server on the same Windows host churned connections, 15k+ TIME_WAIT
//!   `127.0.0.1:<ephemeral> -> 127.0.0.1:1433` ate the 49152–65535 range, and unrelated JVMs
//!   got `No buffer space available (maximum connections reached?): connect`. The report must
//!   say "sqlservr.exe (PID 2468) listening on 1433", which needs a process table or
//!   `netstat -b` names; without either we fall back to a well-known-port guess.
//! * Exhaustion is per destination on Linux (`connect()` only needs a unique 4-tuple), so the
//!   headline ratio is the worst remote endpoint; the global count is reported beside it.
//! * Ordinary logs mention `TIME_WAIT`/`LISTENING` too. [`sniff`] therefore demands that most
//!   sampled lines parse as rows of one format; headers, titles and timestamp lines are neutral.
//! * Parsing is tolerant: a row that cannot be parsed is counted in `malformed_rows` and skipped;
//!   nothing here returns an error or panics on hostile input (there is a proptest for that).
//! * Speed: rows are split on ASCII whitespace and parsed by hand (no regex per row); a
//!   1,000,000-row dump parses in a fraction of a second in release mode.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use rayon::prelude::*;
use regex::Regex;
use serde::Serialize;

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/// What a saved command output is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum DumpKind {
    /// Windows `netstat -an`, `-ano`, `-anob` (any display language).
    NetstatWindows,
    /// Linux net-tools `netstat -tan` / `-tanp`.
    NetstatLinux,
    /// iproute2 `ss -tan` / `-tanp` / `-tn`, with or without header and Netid column.
    Ss,
    /// Windows `tasklist` (table format, optionally `/svc` or `/v`).
    Tasklist,
    /// Windows `tasklist /FO CSV` (optionally `/svc`).
    TasklistCsv,
    /// `ps -ef`.
    PsEf,
    /// `ps aux`.
    PsAux,
}

const ALL_KINDS: [DumpKind; 7] = [
    DumpKind::NetstatWindows,
    DumpKind::NetstatLinux,
    DumpKind::Ss,
    DumpKind::Tasklist,
    DumpKind::TasklistCsv,
    DumpKind::PsEf,
    DumpKind::PsAux,
];

impl DumpKind {
    /// The serde name, e.g. `"netstat-windows"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DumpKind::NetstatWindows => "netstat-windows",
            DumpKind::NetstatLinux => "netstat-linux",
            DumpKind::Ss => "ss",
            DumpKind::Tasklist => "tasklist",
            DumpKind::TasklistCsv => "tasklist-csv",
            DumpKind::PsEf => "ps-ef",
            DumpKind::PsAux => "ps-aux",
        }
    }

    /// True for process tables (tasklist, ps), false for socket dumps.
    pub fn is_process_table(self) -> bool {
        !matches!(
            self,
            DumpKind::NetstatWindows | DumpKind::NetstatLinux | DumpKind::Ss
        )
    }

    fn is_windows(self) -> bool {
        matches!(
            self,
            DumpKind::NetstatWindows | DumpKind::Tasklist | DumpKind::TasklistCsv
        )
    }

    /// OS default dynamic port range: Windows Vista+ 49152–65535, Linux
    /// `ip_local_port_range` 32768–60999 (signatures.md §12 table).
    pub fn default_ephemeral_range(self) -> (u16, u16) {
        if self.is_windows() {
            (49152, 65535)
        } else {
            (32768, 60999)
        }
    }
}

/// Analysis knobs.
#[derive(Debug, Clone, Default)]
pub struct SocketConfig {
    /// Override of the ephemeral range (inclusive); `None` = the OS default of the dump kind.
    pub ephemeral_range: Option<(u16, u16)>,
}

/// One file handed to [`analyze`] (also carried by partial results).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct DumpInput {
    /// Path as shown to the user.
    pub path: String,
    /// The dump's text (already decoded).
    pub text: String,
    /// File modification time: the snapshot time when the file carries none.
    pub mtime: Option<DateTime<Utc>>,
}

/// Where a snapshot's time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimeSource {
    /// A timestamp line inside the file (`date`, ISO line, `date /t` + `time /t`).
    File,
    /// The file's modification time passed by the caller.
    Mtime,
}

/// How a culprit's process name was learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProcessSource {
    /// PID looked up in a `tasklist` table or CSV.
    Tasklist,
    /// PID looked up in a `ps -ef` / `ps aux` table.
    Ps,
    /// `[image.exe]` line of `netstat -b`.
    NetstatB,
    /// `PID/Program name` column of Linux `netstat -p`.
    NetstatP,
    /// `users:(("name",pid=…))` of `ss -p`.
    SsP,
    /// Only a guess from the port number (1433 → SQL Server, …).
    WellKnownPort,
}

/// Which end of the connections a culprit's TIME_WAIT sockets are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// Our client sockets to a listener on this same host; each pins one ephemeral port.
    ClientToListener,
    /// The listener closed first, so the TIME_WAIT sits on its side.
    ServerSide,
    /// Connections to another host, grouped by remote `ip:port`.
    Remote,
}

/// A process (or remote endpoint) ranked by the TIME_WAIT sockets attributed to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Culprit {
    /// Listening port (client-to-listener, server-side) or remote port (remote).
    pub port: u16,
    /// PID of the listener, when known.
    pub pid: Option<u32>,
    /// Process name (or a well-known-port service label).
    pub process: Option<String>,
    /// How the name was learned.
    pub process_source: Option<ProcessSource>,
    /// TIME_WAIT sockets attributed.
    pub time_wait: usize,
    /// ESTABLISHED sockets attributed.
    pub established: usize,
    /// Distinct ephemeral ports of this host held by this group ÷ range size.
    pub share: f64,
    /// Most of the TIME_WAIT sockets are loopback ↔ loopback.
    pub loopback: bool,
    /// Which end of the connections holds the TIME_WAIT sockets.
    pub side: Side,
    /// Remote `ip:port` (only for `side: "remote"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Distinct ephemeral ports counted in `share`.
    pub ephemeral_ports: usize,
    /// Owners of the ESTABLISHED client sockets of this group (from `-b`/`-p`/PID + table):
    /// for a local listener these are the processes doing the churning.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<String>,
}

/// TIME_WAIT / ESTABLISHED counts toward one remote endpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemoteEndpoint {
    /// `ip:port`.
    pub endpoint: String,
    /// TIME_WAIT sockets toward it.
    pub time_wait: usize,
    /// ESTABLISHED sockets toward it.
    pub established: usize,
}

/// Analysis of one socket dump.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    /// Dump file.
    pub path: String,
    /// When the snapshot was taken.
    pub time: Option<DateTime<Utc>>,
    /// Where that time came from.
    pub time_source: Option<TimeSource>,
    /// Dump format.
    pub kind: DumpKind,
    /// TCP sockets per normalized state (LISTENING, ESTABLISHED, TIME_WAIT, …; unknown
    /// localized words are kept as written).
    pub states: BTreeMap<String, usize>,
    /// Ephemeral port range assumed (inclusive).
    pub ephemeral_range: (u16, u16),
    /// Worst remote endpoint: distinct local ephemeral ports held (TIME_WAIT + ESTABLISHED)
    /// toward it ÷ range size.
    pub ephemeral_in_use_ratio: f64,
    /// Distinct local ephemeral ports held (TIME_WAIT + ESTABLISHED) toward any destination.
    pub ephemeral_in_use: usize,
    /// Ranked by TIME_WAIT held.
    pub culprits: Vec<Culprit>,
    /// TCP rows parsed.
    pub rows: usize,
    /// UDP rows (no TCP state; counted apart).
    pub udp_rows: usize,
    /// Rows skipped because they did not parse.
    pub malformed_rows: usize,
    /// Busiest remote endpoints.
    pub top_remote_endpoints: Vec<RemoteEndpoint>,
}

/// A process table found among the inputs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessTableSummary {
    /// Table file.
    pub path: String,
    /// Table format.
    pub kind: DumpKind,
    /// Number of processes listed.
    pub processes: usize,
}

/// Everything [`analyze`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct SocketsReport {
    /// One per netstat/ss dump.
    pub snapshots: Vec<Snapshot>,
    /// Process tables used for PID → name.
    pub process_tables: Vec<ProcessTableSummary>,
}

// ---------------------------------------------------------------------------------------------
// Low-level row model
// ---------------------------------------------------------------------------------------------

/// Normalized TCP state (Windows/netstat spelling). `Other` indexes the dump's list of
/// state words we could not map (localized words we are not sure of).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum St {
    Listening,
    Established,
    TimeWait,
    CloseWait,
    SynSent,
    SynReceived,
    FinWait1,
    FinWait2,
    LastAck,
    Closing,
    Closed,
    Other(u32),
}

impl St {
    fn name(self) -> &'static str {
        match self {
            St::Listening => "LISTENING",
            St::Established => "ESTABLISHED",
            St::TimeWait => "TIME_WAIT",
            St::CloseWait => "CLOSE_WAIT",
            St::SynSent => "SYN_SENT",
            St::SynReceived => "SYN_RECEIVED",
            St::FinWait1 => "FIN_WAIT_1",
            St::FinWait2 => "FIN_WAIT_2",
            St::LastAck => "LAST_ACK",
            St::Closing => "CLOSING",
            St::Closed => "CLOSED",
            St::Other(_) => "",
        }
    }
}

/// Map a state word (English netstat, ss, or a localized Windows word we are sure of).
fn map_state(word: &str) -> Option<St> {
    map_state_exact(word).or_else(|| {
        // Files saved through odd pipelines may come lower-cased; retry upper-cased, once.
        if word.chars().any(char::is_lowercase) {
            map_state_exact(&word.to_uppercase())
        } else {
            None
        }
    })
}

fn map_state_exact(word: &str) -> Option<St> {
    Some(match word {
        "LISTENING" | "LISTEN" => St::Listening,
        "ESTABLISHED" | "ESTAB" => St::Established,
        "TIME_WAIT" | "TIME-WAIT" => St::TimeWait,
        "CLOSE_WAIT" | "CLOSE-WAIT" => St::CloseWait,
        "SYN_SENT" | "SYN-SENT" => St::SynSent,
        "SYN_RECEIVED" | "SYN_RECV" | "SYN-RECV" | "SYN-RECEIVED" => St::SynReceived,
        "FIN_WAIT_1" | "FIN_WAIT1" | "FIN-WAIT-1" => St::FinWait1,
        "FIN_WAIT_2" | "FIN_WAIT2" | "FIN-WAIT-2" => St::FinWait2,
        "LAST_ACK" | "LAST-ACK" => St::LastAck,
        "CLOSING" => St::Closing,
        // Linux netstat prints CLOSE for TCP_CLOSE.
        "CLOSED" | "CLOSE" => St::Closed,
        // German Windows.
        "ABHÖREN" => St::Listening,
        "HERGESTELLT" => St::Established,
        "WARTEND" => St::TimeWait,
        "SCHLIESSEN_WARTEN" => St::CloseWait,
        // French / Spanish Windows.
        "ÉCOUTE" => St::Listening,
        "ÉTABLI" | "ÉTABLIE" => St::Established,
        "ESCUCHANDO" => St::Listening,
        "ESTABLECIDO" => St::Established,
        _ => return None,
    })
}

/// ss state words (ss is never localized, so this list is closed; it keeps `sniff` strict).
fn is_ss_state(word: &str) -> bool {
    matches!(
        word,
        "ESTAB"
            | "TIME-WAIT"
            | "LISTEN"
            | "SYN-SENT"
            | "SYN-RECV"
            | "FIN-WAIT-1"
            | "FIN-WAIT-2"
            | "CLOSE-WAIT"
            | "LAST-ACK"
            | "CLOSING"
            | "CLOSED"
            | "UNCONN"
            | "UNKNOWN"
    )
}

/// An `ip:port`. IPv4-mapped IPv6 is folded to IPv4 so `[::ffff:127.0.0.1]:1433` and
/// `127.0.0.1:1433` are the same endpoint; a wildcard port (`*`) is 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Ep {
    ip: IpAddr,
    port: u16,
}

impl Ep {
    fn display(&self) -> String {
        match self.ip {
            IpAddr::V4(v4) => format!("{v4}:{}", self.port),
            IpAddr::V6(v6) => format!("[{v6}]:{}", self.port),
        }
    }
}

fn parse_port(s: &str) -> Option<u16> {
    if s == "*" {
        return Some(0);
    }
    parse_digits(s).and_then(|n| u16::try_from(n).ok())
}

/// Parse an ASCII decimal number quickly (no sign, no separators).
fn parse_digits(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 10 {
        return None;
    }
    let mut n: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(c - b'0');
    }
    u32::try_from(n).ok()
}

fn parse_ip(host: &str) -> Option<IpAddr> {
    // Zone ids (`fe80::1%4`, `127.0.0.53%lo`) say nothing about the endpoint's identity here.
    let host = host.split('%').next().unwrap_or(host);
    if host == "*" || host.is_empty() {
        return Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    }
    host.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// `1.2.3.4:80`, `[::1]:1433`, `[fe80::1%4]:49152`, `:::8080`, `::ffff:10.0.0.5:8080`,
/// `*:22`, `0.0.0.0:*`, `*:*`.
fn parse_ep(s: &str) -> Option<Ep> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = parse_port(after.strip_prefix(':')?)?;
        return Some(Ep {
            ip: parse_ip(host)?,
            port,
        });
    }
    let (host, port) = s.rsplit_once(':')?;
    Some(Ep {
        ip: parse_ip(host)?,
        port: parse_port(port)?,
    })
}

fn is_unspecified(ip: &IpAddr) -> bool {
    ip.is_unspecified()
}

/// One TCP row as it comes off a line, borrowing from the text.
#[derive(Debug)]
struct RawSock<'a> {
    local: Ep,
    remote: Ep,
    state: Result<St, Cow<'a, str>>,
    pid: Option<u32>,
    name: Option<&'a str>,
}

/// What one line of a dump is.
#[derive(Debug)]
enum Line<'a> {
    Sock(RawSock<'a>),
    Udp,
    Proc(u32, Cow<'a, str>),
    /// `netstat -b` image line ` [sqlservr.exe]`.
    Image(&'a str),
    /// `netstat -b` service line `  RpcSs`.
    Service(&'a str),
    /// Header, title, timestamp, unix-socket row, `/svc` continuation: neither row nor error.
    Neutral,
    Bad,
}

/// Per-file line classifier. Stateful because `netstat -b` annotations only make sense right
/// after a row, and `tasklist` column widths come from the `=====` underline.
struct Classifier<'a> {
    kind: DumpKind,
    after_row: bool,
    /// Byte spans of the first two tasklist columns (image name, PID).
    cols: Option<[(usize, usize); 2]>,
    toks: Vec<&'a str>,
}

impl<'a> Classifier<'a> {
    fn new(kind: DumpKind) -> Self {
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
    fn classify(&mut self, line: &'a str) -> Line<'a> {
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

// ---------------------------------------------------------------------------------------------
// Sniffing
// ---------------------------------------------------------------------------------------------

fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// How many non-empty lines [`sniff`] looks at.
const SNIFF_LINES: usize = 50;

/// Cheap gate before [`sniff`]: can the first bytes of a file be a socket or process dump
/// at all? Every dump this module reads has a header word or a state word among these in
/// its first lines. `scan` calls this on every file (100,000 small logs must not each pay
/// for a full classification).
pub fn may_be_dump(head: &[u8]) -> bool {
    const TOKENS: [&[u8]; 11] = [
        b"PID",
        b"LISTEN",
        b"ESTAB",
        b"TIME_WAIT",
        b"TIME-WAIT",
        b"Recv-Q",
        b"Proto",
        b"Image Name",
        "ABHÖREN".as_bytes(),
        "ÉCOUTE".as_bytes(),
        b"ESCUCHANDO",
    ];
    // One automaton for all tokens, built once: `memmem::find` built a searcher per token per
    // call, and then 11 separate searches ran over the head. On the 100,000-file bench
    // corpus that was 2.9% of the scan's CPU; a literal alternation is one (Teddy) pass.
    static ANY: OnceLock<regex::bytes::Regex> = OnceLock::new();
    let any = ANY.get_or_init(|| {
        let alternation = TOKENS
            .iter()
            .map(|t| regex::escape(std::str::from_utf8(t).expect("tokens are UTF-8")))
            .collect::<Vec<_>>()
            .join("|");
        regex::bytes::Regex::new(&alternation).expect("literal alternation compiles")
    });
    let head = &head[..head.len().min(8192)];
    any.is_match(head)
}

/// Recognise a dump by content from its first ~50 non-empty lines. `None` for anything else,
/// in particular for logs that merely mention `TIME_WAIT`: most sampled lines (headers,
/// titles and timestamp lines aside) must parse as rows of one format.
pub fn sniff(text: &str) -> Option<DumpKind> {
    let sample: Vec<&str> = strip_bom(text)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(SNIFF_LINES)
        .collect();
    let mut best: Option<(usize, DumpKind)> = None;
    for kind in ALL_KINDS {
        let mut c = Classifier::new(kind);
        let (mut rows, mut bad, mut neutral) = (0usize, 0usize, 0usize);
        for &line in &sample {
            match c.classify(line) {
                Line::Sock(_) | Line::Udp | Line::Proc(..) => rows += 1,
                // netstat -b annotations ride on rows; they neither help nor hurt.
                Line::Image(_) | Line::Service(_) => {}
                Line::Neutral => neutral += 1,
                Line::Bad => bad += 1,
            }
        }
        // Rows must outnumber failures two to one and be at least a quarter of the
        // considered lines, so a log with a pasted row or two is not claimed.
        let considered = rows + bad + neutral;
        if rows == 0 || rows < 2 * bad || rows * 4 < considered {
            continue;
        }
        if best.map_or(true, |(r, _)| rows > r) {
            best = Some((rows, kind));
        }
    }
    best.map(|(_, k)| k)
}

// ---------------------------------------------------------------------------------------------
// Timestamps inside the file
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum TimeHit {
    /// Full date and time; `Some(offset)` when the line says which zone. `rank` orders
    /// trust: ISO-ish (3) beats `date` output with a zone abbreviation (1).
    Full {
        at: NaiveDateTime,
        offset: Option<FixedOffset>,
        rank: u8,
    },
    /// Windows `date /t`.
    Date(NaiveDate),
    /// Windows `time /t`.
    Time(NaiveTime),
}

struct TimeRegexes {
    iso: Regex,
    unix_date: Regex,
    zh_date: Regex,
    slash_date: Regex,
    dot_date: Regex,
    time_only: Regex,
}

fn time_regexes() -> &'static TimeRegexes {
    static RX: OnceLock<TimeRegexes> = OnceLock::new();
    RX.get_or_init(|| TimeRegexes {
        iso: Regex::new(
            r"^([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})(?:[T ]\s*([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?)?\s*(Z|[+-][0-9]{2}:?[0-9]{2})?(?:\s+\S+)?$",
        )
        .expect("iso regex"),
        unix_date: Regex::new(
            r"^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+([0-9]{1,2})\s+([0-9]{1,2}):([0-9]{2}):([0-9]{2})\s+(?:(\S+)\s+)?([0-9]{4})$",
        )
        .expect("date regex"),
        zh_date: Regex::new(
            r"^([0-9]{4})年\s*([0-9]{1,2})月\s*([0-9]{1,2})日(?:\s+\S+)?\s+([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\s+(\S+))?$",
        )
        .expect("zh date regex"),
        slash_date: Regex::new(r"^(?:([A-Za-z]{2,3})\.?\s+)?([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")
            .expect("slash date regex"),
        dot_date: Regex::new(r"^(?:[A-Za-z]{2}\.?\s+)?([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})$")
            .expect("dot date regex"),
        time_only: Regex::new(
            r"^([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:[.,][0-9]+)?)?(?:\s*([AaPp][Mm]))?$",
        )
        .expect("time regex"),
    })
}

fn cap_u32(c: &regex::Captures<'_>, i: usize) -> Option<u32> {
    c.get(i).and_then(|m| m.as_str().parse().ok())
}

fn parse_offset(s: &str) -> Option<FixedOffset> {
    match s {
        "Z" | "UTC" | "GMT" => return FixedOffset::east_opt(0),
        _ => {}
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits[2..].parse().ok()?;
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// Is this whole line a timestamp (and which)? Lines with anything else on them are not:
/// that keeps log lines, which start with a timestamp, out.
fn time_hit(line: &str) -> Option<TimeHit> {
    let line = line.trim();
    if line.len() < 4 || line.len() > 64 || !line.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let rx = time_regexes();
    if let Some(c) = rx.iso.captures(line) {
        let date =
            NaiveDate::from_ymd_opt(cap_u32(&c, 1)? as i32, cap_u32(&c, 2)?, cap_u32(&c, 3)?)?;
        let Some(h) = cap_u32(&c, 4) else {
            return Some(TimeHit::Date(date));
        };
        let nanos = c.get(7).map_or(Some(0), |m| {
            let s = m.as_str();
            let v: u32 = s.parse().ok()?;
            Some(v * 10u32.pow(9 - s.len() as u32))
        })?;
        let time =
            NaiveTime::from_hms_nano_opt(h, cap_u32(&c, 5)?, cap_u32(&c, 6).unwrap_or(0), nanos)?;
        let offset = match c.get(8) {
            Some(m) => Some(parse_offset(m.as_str())?),
            None => None,
        };
        return Some(TimeHit::Full {
            at: date.and_time(time),
            offset,
            rank: 3,
        });
    }
    if let Some(c) = rx.unix_date.captures(line) {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let mon = MONTHS.iter().position(|m| *m == &c[1])? as u32 + 1;
        let date = NaiveDate::from_ymd_opt(cap_u32(&c, 7)? as i32, mon, cap_u32(&c, 2)?)?;
        let time = NaiveTime::from_hms_opt(cap_u32(&c, 3)?, cap_u32(&c, 4)?, cap_u32(&c, 5)?)?;
        // `CST` is China, US Central or Cuba: only trust unambiguous zone names.
        let offset = c.get(6).and_then(|m| parse_offset(m.as_str()));
        return Some(TimeHit::Full {
            at: date.and_time(time),
            offset,
            rank: 1,
        });
    }
    if let Some(c) = rx.zh_date.captures(line) {
        let date =
            NaiveDate::from_ymd_opt(cap_u32(&c, 1)? as i32, cap_u32(&c, 2)?, cap_u32(&c, 3)?)?;
        let time = NaiveTime::from_hms_opt(cap_u32(&c, 4)?, cap_u32(&c, 5)?, cap_u32(&c, 6)?)?;
        let offset = c.get(7).and_then(|m| parse_offset(m.as_str()));
        return Some(TimeHit::Full {
            at: date.and_time(time),
            offset,
            rank: 1,
        });
    }
    if let Some(c) = rx.slash_date.captures(line) {
        // en-US `date /t` is `Wed 08/21/2019`; day-first locales have no English weekday.
        let (a, b, y) = (cap_u32(&c, 2)?, cap_u32(&c, 3)?, cap_u32(&c, 4)? as i32);
        let (m, d) = if c.get(1).is_some() || b > 12 {
            (a, b)
        } else if a > 12 {
            (b, a)
        } else {
            return None; // 03/04/2019 without a hint: ambiguous, do not guess.
        };
        return NaiveDate::from_ymd_opt(y, m, d).map(TimeHit::Date);
    }
    if let Some(c) = rx.dot_date.captures(line) {
        return NaiveDate::from_ymd_opt(cap_u32(&c, 3)? as i32, cap_u32(&c, 2)?, cap_u32(&c, 1)?)
            .map(TimeHit::Date);
    }
    if let Some(c) = rx.time_only.captures(line) {
        let mut h = cap_u32(&c, 1)?;
        if let Some(ampm) = c.get(4) {
            let pm = ampm.as_str().eq_ignore_ascii_case("pm");
            if h == 0 || h > 12 {
                return None;
            }
            h = match (pm, h) {
                (false, 12) => 0,
                (true, 12) => 12,
                (true, h) => h + 12,
                (false, h) => h,
            };
        }
        return NaiveTime::from_hms_opt(h, cap_u32(&c, 2)?, cap_u32(&c, 3).unwrap_or(0))
            .map(TimeHit::Time);
    }
    None
}

/// Lines at the top of a dump that may carry the capture time.
const TIME_SCAN_LINES: usize = 30;

/// The capture time written into the file, if any (see [`TimeHit`] for preferences).
fn file_time(text: &str, naive_zone: FixedOffset) -> Option<DateTime<Utc>> {
    let mut best: Option<(u8, DateTime<Utc>)> = None;
    let mut date = None;
    let mut time = None;
    let to_utc = |at: NaiveDateTime, off: Option<FixedOffset>| -> Option<DateTime<Utc>> {
        let zone = off.unwrap_or(naive_zone);
        zone.from_local_datetime(&at)
            .single()
            .map(|d| d.with_timezone(&Utc))
    };
    for line in strip_bom(text)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(TIME_SCAN_LINES)
    {
        match time_hit(line) {
            Some(TimeHit::Full { at, offset, rank }) if best.map_or(true, |(r, _)| rank > r) => {
                if let Some(t) = to_utc(at, offset) {
                    best = Some((rank, t));
                }
            }
            Some(TimeHit::Full { .. }) => {}
            Some(TimeHit::Date(d)) => {
                date.get_or_insert(d);
            }
            Some(TimeHit::Time(t)) => {
                time.get_or_insert(t);
            }
            None => {}
        }
    }
    // `date /t` + `time /t` (rank 2) sits between an ISO line and a `date` with zone name.
    if let (Some(d), Some(t)) = (date, time) {
        if best.map_or(true, |(r, _)| r < 2) {
            if let Some(t) = to_utc(d.and_time(t), None) {
                best = Some((2, t));
            }
        }
    }
    best.map(|(_, t)| t)
}

// ---------------------------------------------------------------------------------------------
// Parsing whole files
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct SockRow {
    local: Ep,
    remote: Ep,
    state: St,
    pid: Option<u32>,
    /// Index into `SocketDump::names` (process name from `-b`, `-p`).
    name: Option<u32>,
}

#[derive(Debug)]
struct SocketDump {
    kind: DumpKind,
    rows: Vec<SockRow>,
    udp_rows: usize,
    malformed: usize,
    names: Vec<String>,
    other_states: Vec<String>,
}

impl SocketDump {
    fn state_name(&self, st: St) -> &str {
        match st {
            St::Other(i) => self
                .other_states
                .get(i as usize)
                .map_or("?", String::as_str),
            known => known.name(),
        }
    }

    fn name_source(&self) -> ProcessSource {
        match self.kind {
            DumpKind::NetstatWindows => ProcessSource::NetstatB,
            DumpKind::NetstatLinux => ProcessSource::NetstatP,
            _ => ProcessSource::SsP,
        }
    }
}

#[derive(Debug)]
struct ProcTable {
    path: String,
    kind: DumpKind,
    names: HashMap<u32, String>,
    count: usize,
}

enum Parsed {
    Sockets(SocketDump),
    Procs(ProcTable),
}

/// Interns strings so a million rows naming the same process share one allocation.
#[derive(Default)]
struct Interner {
    map: HashMap<Box<str>, u32>,
    list: Vec<String>,
}

impl Interner {
    fn get(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.map.get(s) {
            return i;
        }
        let i = self.list.len() as u32;
        self.map.insert(s.into(), i);
        self.list.push(s.to_string());
        i
    }
}

fn parse_dump(path: &str, text: &str, kind: DumpKind) -> Parsed {
    let mut c = Classifier::new(kind);
    let lines = strip_bom(text).lines();
    if kind.is_process_table() {
        let mut names = HashMap::new();
        let mut count = 0;
        for line in lines {
            if let Line::Proc(pid, name) = c.classify(line) {
                count += 1;
                names.entry(pid).or_insert_with(|| name.into_owned());
            }
        }
        return Parsed::Procs(ProcTable {
            path: path.to_string(),
            kind,
            names,
            count,
        });
    }
    let mut rows: Vec<SockRow> = Vec::with_capacity(text.len() / 80);
    let mut names = Interner::default();
    let mut others = Interner::default();
    let (mut udp_rows, mut malformed) = (0, 0);
    // `netstat -b`: the image/service lines that follow a row belong to it.
    let mut last_row: Option<usize> = None;
    let mut service: Option<&str> = None;
    for line in lines {
        if line.trim().is_empty() {
            continue;
        }
        match c.classify(line) {
            Line::Sock(r) => {
                let state = match r.state {
                    Ok(st) => st,
                    Err(word) => St::Other(others.get(&word)),
                };
                rows.push(SockRow {
                    local: r.local,
                    remote: r.remote,
                    state,
                    pid: r.pid,
                    name: r.name.map(|n| names.get(n)),
                });
                last_row = Some(rows.len() - 1);
                service = None;
            }
            Line::Udp => {
                udp_rows += 1;
                last_row = None;
            }
            Line::Service(s) => {
                if let Some(i) = last_row {
                    service = Some(s);
                    rows[i].name = Some(names.get(s));
                }
            }
            Line::Image(img) => {
                if let Some(i) = last_row {
                    let full = match service {
                        Some(s) => format!("{img} ({s})"),
                        None => img.to_string(),
                    };
                    rows[i].name = Some(names.get(&full));
                }
                last_row = None;
            }
            Line::Proc(..) | Line::Neutral => {}
            Line::Bad => {
                malformed += 1;
                last_row = None;
            }
        }
    }
    Parsed::Sockets(SocketDump {
        kind,
        rows,
        udp_rows,
        malformed,
        names: names.list,
        other_states: others.list,
    })
}

// ---------------------------------------------------------------------------------------------
// Analysis
// ---------------------------------------------------------------------------------------------

/// Service guessed from a well-known server port, used when no process name is available.
pub fn well_known_port(port: u16) -> Option<&'static str> {
    Some(match port {
        1433 => "SQL Server", // sqlservr.exe
        3306 => "MySQL",
        5432 => "PostgreSQL",
        6379 => "Redis",
        27017 => "MongoDB",
        9200 => "Elasticsearch",
        5672 => "RabbitMQ",
        9092 => "Kafka",
        11211 => "memcached",
        1521 => "Oracle",
        80 | 443 => "web server",
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, Default)]
struct Listener {
    pid: Option<u32>,
    name: Option<u32>,
}

#[derive(Default)]
struct Agg {
    tw: usize,
    est: usize,
    loopback_tw: usize,
    /// Ephemeral ports of this host held (unsorted, deduplicated at the end).
    ports: Vec<u16>,
    /// ESTABLISHED client owners: (pid, name index).
    clients: HashSet<(Option<u32>, Option<u32>)>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct GroupKey {
    side: Side,
    port: u16,
    /// Remote endpoint, only for `Side::Remote`.
    remote: Option<Ep>,
}

fn distinct(ports: &mut Vec<u16>) -> usize {
    ports.sort_unstable();
    ports.dedup();
    ports.len()
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Culprits listed per snapshot, and remote endpoints listed.
const TOP_N: usize = 10;

fn analyze_dump(
    path: &str,
    dump: &SocketDump,
    tables: &[&ProcTable],
    cfg: &SocketConfig,
) -> Snapshot {
    let (lo, hi) = {
        let (a, b) = cfg
            .ephemeral_range
            .unwrap_or_else(|| dump.kind.default_ephemeral_range());
        (a.min(b), a.max(b))
    };
    let size = f64::from(u32::from(hi) - u32::from(lo) + 1);
    let in_range = |p: u16| p >= lo && p <= hi && p != 0;

    // Pass 1: states, our own addresses, listeners.
    let mut state_counts: HashMap<St, usize> = HashMap::new();
    let mut own_ips: HashSet<IpAddr> = HashSet::new();
    let mut listeners: HashMap<u16, Listener> = HashMap::new();
    let mut last_ip: Option<IpAddr> = None;
    for r in &dump.rows {
        *state_counts.entry(r.state).or_default() += 1;
        // Rows come in runs from the same local address; skip redundant set inserts.
        if last_ip != Some(r.local.ip) {
            last_ip = Some(r.local.ip);
            if !is_unspecified(&r.local.ip) {
                own_ips.insert(r.local.ip);
            }
        }
        if r.state == St::Listening {
            let e = listeners.entry(r.local.port).or_default();
            if e.pid.is_none() {
                e.pid = r.pid;
            }
            if e.name.is_none() {
                e.name = r.name;
            }
        }
    }
    let is_local = |ip: &IpAddr| ip.is_loopback() || own_ips.contains(ip);

    // Pass 2: TIME_WAIT and ESTABLISHED, per remote endpoint and per culprit group.
    let mut endpoints: HashMap<Ep, (usize, usize, Vec<u16>)> = HashMap::new();
    let mut groups: HashMap<GroupKey, Agg> = HashMap::new();
    let mut global = vec![0u64; 1024]; // 65,536-bit set of local ephemeral ports in use
    for r in &dump.rows {
        let tw = match r.state {
            St::TimeWait => true,
            St::Established => false,
            _ => continue,
        };
        let held_local = in_range(r.local.port).then_some(r.local.port);
        if let Some(p) = held_local {
            global[usize::from(p) >> 6] |= 1u64 << (p & 63);
        }
        if !is_unspecified(&r.remote.ip) && r.remote.port != 0 {
            let e = endpoints.entry(r.remote).or_default();
            if tw {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
            if let Some(p) = held_local {
                e.2.push(p);
            }
        }
        let remote_local = is_local(&r.remote.ip);
        let to_local_listener = remote_local && listeners.contains_key(&r.remote.port);
        // Windows keeps RPC listeners (49664…) inside the dynamic range, so a client port can
        // equal some listening port. When both ends look like listeners, the end outside the
        // ephemeral range is the real server port.
        let local_is_server = listeners.contains_key(&r.local.port)
            && !(to_local_listener && in_range(r.local.port) && !in_range(r.remote.port));
        let (key, held) = if local_is_server {
            // Our listener's side. It pins an ephemeral port only when the peer is this
            // host too (the 4-tuple blocks reuse of that client port toward the listener).
            let held = (remote_local && in_range(r.remote.port)).then_some(r.remote.port);
            (
                GroupKey {
                    side: Side::ServerSide,
                    port: r.local.port,
                    remote: None,
                },
                held,
            )
        } else if to_local_listener {
            (
                GroupKey {
                    side: Side::ClientToListener,
                    port: r.remote.port,
                    remote: None,
                },
                held_local,
            )
        } else if !in_range(r.local.port) && in_range(r.remote.port) && r.local.port != 0 {
            // No LISTENING row (e.g. `netstat -an` cut short), but a fixed local port facing
            // an ephemeral peer port is the server end: group by our port, not per client.
            (
                GroupKey {
                    side: Side::ServerSide,
                    port: r.local.port,
                    remote: None,
                },
                None,
            )
        } else {
            (
                GroupKey {
                    side: Side::Remote,
                    port: r.remote.port,
                    remote: Some(r.remote),
                },
                held_local,
            )
        };
        let g = groups.entry(key).or_default();
        if tw {
            g.tw += 1;
            if r.local.ip.is_loopback() && r.remote.ip.is_loopback() {
                g.loopback_tw += 1;
            }
        } else {
            g.est += 1;
            if key.side != Side::ServerSide && (r.pid.is_some() || r.name.is_some()) {
                g.clients.insert((r.pid, r.name));
            }
        }
        if let Some(p) = held {
            g.ports.push(p);
        }
    }

    // PID → name from the paired process tables (first table wins on conflicts: the caller
    // orders them same-directory first).
    let table_name = |pid: u32| -> Option<(String, ProcessSource)> {
        tables.iter().find_map(|t| {
            t.names.get(&pid).map(|n| {
                let src = if t.kind.is_windows() {
                    ProcessSource::Tasklist
                } else {
                    ProcessSource::Ps
                };
                (n.clone(), src)
            })
        })
    };
    let row_name = |i: u32| dump.names.get(i as usize).cloned();

    let mut culprits: Vec<(GroupKey, Culprit)> = groups
        .into_iter()
        .filter(|(_, g)| g.tw > 0)
        .map(|(key, mut g)| {
            let ports = distinct(&mut g.ports);
            let (pid, mut process, mut source) = match key.side {
                Side::Remote => (None, None, None),
                _ => {
                    let l = listeners.get(&key.port).copied().unwrap_or_default();
                    match (l.name.and_then(row_name), l.pid.and_then(table_name)) {
                        (Some(n), _) => (l.pid, Some(n), Some(dump.name_source())),
                        (None, Some((n, s))) => (l.pid, Some(n), Some(s)),
                        (None, None) => (l.pid, None, None),
                    }
                }
            };
            if process.is_none() {
                if let Some(h) = well_known_port(key.port) {
                    process = Some(h.to_string());
                    source = Some(ProcessSource::WellKnownPort);
                }
            }
            // Pre-forked workers (php-fpm, gunicorn) are many PIDs of one program: one entry
            // per program name, with the PID when there is just one.
            let mut by_name: BTreeMap<String, Vec<u32>> = BTreeMap::new();
            let mut anonymous: Vec<u32> = Vec::new();
            for &(cpid, cname) in &g.clients {
                let name = cname
                    .and_then(row_name)
                    .or_else(|| cpid.and_then(table_name).map(|(n, _)| n));
                match name {
                    Some(n) => by_name.entry(n).or_default().extend(cpid),
                    None => anonymous.extend(cpid),
                }
            }
            let mut clients: Vec<String> = by_name
                .into_iter()
                .map(|(n, mut pids)| {
                    pids.sort_unstable();
                    pids.dedup();
                    match pids.as_slice() {
                        [] => n,
                        [p] => format!("{n} (PID {p})"),
                        many => format!("{n} ({} processes)", many.len()),
                    }
                })
                .collect();
            anonymous.sort_unstable();
            anonymous.dedup();
            clients.extend(anonymous.iter().map(|p| format!("PID {p}")));
            clients.truncate(5);
            let culprit = Culprit {
                port: key.port,
                pid,
                process,
                process_source: source,
                time_wait: g.tw,
                established: g.est,
                share: round4(ports as f64 / size),
                loopback: g.loopback_tw * 2 > g.tw,
                side: key.side,
                endpoint: key.remote.map(|e| e.display()),
                ephemeral_ports: ports,
                clients,
            };
            (key, culprit)
        })
        .collect();
    culprits.sort_by(|(ka, a), (kb, b)| {
        b.time_wait
            .cmp(&a.time_wait)
            .then(a.port.cmp(&b.port))
            .then(ka.cmp(kb))
    });
    culprits.truncate(TOP_N);

    let mut worst = 0usize;
    let mut top: Vec<(Ep, usize, usize)> = Vec::with_capacity(endpoints.len());
    for (ep, (tw, est, mut ports)) in endpoints {
        worst = worst.max(distinct(&mut ports));
        top.push((ep, tw, est));
    }
    top.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    top.truncate(TOP_N);

    let states = state_counts
        .into_iter()
        .map(|(st, n)| (dump.state_name(st).to_string(), n))
        .fold(BTreeMap::new(), |mut m, (k, n)| {
            *m.entry(k).or_insert(0) += n;
            m
        });

    Snapshot {
        path: path.to_string(),
        time: None,
        time_source: None,
        kind: dump.kind,
        states,
        ephemeral_range: (lo, hi),
        ephemeral_in_use_ratio: round4(worst as f64 / size),
        ephemeral_in_use: global.iter().map(|w| w.count_ones() as usize).sum(),
        culprits: culprits.into_iter().map(|(_, c)| c).collect(),
        rows: dump.rows.len(),
        udp_rows: dump.udp_rows,
        malformed_rows: dump.malformed,
        top_remote_endpoints: top
            .into_iter()
            .map(|(ep, tw, est)| RemoteEndpoint {
                endpoint: ep.display(),
                time_wait: tw,
                established: est,
            })
            .collect(),
    }
}

/// Directory part of a path, accepting both separators (dumps come from Windows hosts).
fn dir_of(path: &str) -> &str {
    path.rfind(['/', '\\']).map_or("", |i| &path[..i])
}

/// Sniff, parse and analyse a set of saved outputs. Inputs that are not dumps are ignored.
/// Process tables are paired with socket dumps in the same directory; when a directory has
/// none, all tables of the same OS family are used. `naive_zone` interprets in-file times
/// that carry no offset.
pub fn analyze(inputs: &[DumpInput], cfg: &SocketConfig, naive_zone: FixedOffset) -> SocketsReport {
    // Files are independent: parse them in parallel (order is kept by `collect`).
    let parsed: Vec<(usize, Parsed)> = inputs
        .par_iter()
        .enumerate()
        .filter_map(|(i, inp)| sniff(&inp.text).map(|k| (i, parse_dump(&inp.path, &inp.text, k))))
        .collect();
    let mut tables: Vec<&ProcTable> = Vec::new();
    let mut dumps: Vec<(usize, &SocketDump)> = Vec::new();
    for (i, p) in &parsed {
        match p {
            Parsed::Procs(t) => tables.push(t),
            Parsed::Sockets(d) => dumps.push((*i, d)),
        }
    }
    tables.sort_by(|a, b| a.path.cmp(&b.path));

    let mut snapshots: Vec<Snapshot> = dumps
        .par_iter()
        .map(|&(i, d)| {
            let inp = &inputs[i];
            let dir = dir_of(&inp.path);
            let mut paired: Vec<&ProcTable> = tables
                .iter()
                .copied()
                .filter(|t| dir_of(&t.path) == dir)
                .collect();
            if paired.is_empty() {
                paired = tables
                    .iter()
                    .copied()
                    .filter(|t| t.kind.is_windows() == d.kind.is_windows())
                    .collect();
            }
            let mut snap = analyze_dump(&inp.path, d, &paired, cfg);
            match file_time(&inp.text, naive_zone) {
                Some(t) => {
                    snap.time = Some(t);
                    snap.time_source = Some(TimeSource::File);
                }
                None => {
                    snap.time = inp.mtime;
                    snap.time_source = inp.mtime.map(|_| TimeSource::Mtime);
                }
            }
            snap
        })
        .collect();
    snapshots.sort_by(|a, b| a.path.cmp(&b.path));

    SocketsReport {
        snapshots,
        process_tables: tables
            .iter()
            .map(|t| ProcessTableSummary {
                path: t.path.clone(),
                kind: t.kind,
                processes: t.count,
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Text rendering
// ---------------------------------------------------------------------------------------------

/// `15873` → `15,873`.
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p > 0.0 && p < 0.5 {
        "<1 %".to_string()
    } else {
        format!("{:.0} %", p.round())
    }
}

/// One sentence naming a culprit, e.g.
/// `sqlservr.exe (PID 2468) listening on 1433 holds 15,873 TIME_WAIT, 97 % of 49152–65535`.
pub fn culprit_sentence(c: &Culprit, range: (u16, u16)) -> String {
    let guessed = c.process_source == Some(ProcessSource::WellKnownPort);
    let who = match (&c.process, c.pid, guessed) {
        (Some(p), Some(pid), false) => format!("{p} (PID {pid})"),
        (Some(p), None, false) => p.clone(),
        (Some(p), Some(pid), true) => format!("PID {pid} (probably {p})"),
        (Some(p), None, true) => format!("probably {p}"),
        (None, Some(pid), _) => format!("PID {pid}"),
        (None, None, _) => "unknown process".to_string(),
    };
    let tail = format!(
        "{} TIME_WAIT, {} of {}–{}",
        thousands(c.time_wait),
        percent(c.share),
        range.0,
        range.1
    );
    match c.side {
        Side::ClientToListener => format!("{who} listening on {} holds {tail}", c.port),
        Side::ServerSide => format!("{who} listening on {} holds server-side {tail}", c.port),
        Side::Remote => {
            let ep = c
                .endpoint
                .clone()
                .unwrap_or_else(|| format!("*:{}", c.port));
            if c.process.is_some() {
                format!("remote {ep} ({who}) holds {tail}")
            } else {
                format!("remote {ep} holds {tail}")
            }
        }
    }
}

/// A few readable lines per snapshot.
pub fn render_text(report: &SocketsReport) -> String {
    let mut out = String::new();
    for s in &report.snapshots {
        let when = match (s.time, s.time_source) {
            (Some(t), Some(src)) => format!(
                "{} from {}",
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                match src {
                    TimeSource::File => "file",
                    TimeSource::Mtime => "mtime",
                }
            ),
            _ => "time unknown".to_string(),
        };
        let mut states: Vec<(&String, &usize)> = s.states.iter().collect();
        states.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let states: Vec<String> = states
            .iter()
            .take(4)
            .map(|(k, n)| format!("{k} {}", thousands(**n)))
            .collect();
        out.push_str(&format!(
            "{} ({}, {}): {} sockets; {}",
            s.path,
            s.kind.as_str(),
            when,
            thousands(s.rows),
            states.join(", ")
        ));
        if s.malformed_rows > 0 {
            out.push_str(&format!(
                " ({} malformed rows skipped)",
                thousands(s.malformed_rows)
            ));
        }
        out.push('\n');
        let (lo, hi) = s.ephemeral_range;
        out.push_str(&format!(
            "  ephemeral ports in use: {} of {lo}–{hi}; busiest destination {}\n",
            thousands(s.ephemeral_in_use),
            percent(s.ephemeral_in_use_ratio)
        ));
        for c in s.culprits.iter().take(3) {
            out.push_str("  culprit: ");
            out.push_str(&culprit_sentence(c, s.ephemeral_range));
            if c.loopback {
                out.push_str(" (loopback churn)");
            }
            if !c.clients.is_empty() {
                out.push_str(&format!("; clients: {}", c.clients.join(", ")));
            }
            out.push('\n');
        }
    }
    for t in &report.process_tables {
        out.push_str(&format!(
            "{} ({}): {} processes\n",
            t.path,
            t.kind.as_str(),
            thousands(t.processes)
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn zone(hours: i32) -> FixedOffset {
        FixedOffset::east_opt(hours * 3600).unwrap()
    }

    fn input(path: &str, text: &str) -> DumpInput {
        DumpInput {
            path: path.to_string(),
            text: text.to_string(),
            mtime: None,
        }
    }

    fn dump(text: &str) -> SocketDump {
        let kind = sniff(text).expect("should sniff as a dump");
        match parse_dump("t", text, kind) {
            Parsed::Sockets(d) => d,
            Parsed::Procs(_) => panic!("expected a socket dump"),
        }
    }

    fn table(text: &str) -> ProcTable {
        let kind = sniff(text).expect("should sniff as a table");
        match parse_dump("t", text, kind) {
            Parsed::Procs(t) => t,
            Parsed::Sockets(_) => panic!("expected a process table"),
        }
    }

    fn snap(inputs: &[DumpInput]) -> Snapshot {
        let mut r = analyze(inputs, &SocketConfig::default(), zone(0));
        assert_eq!(r.snapshots.len(), 1, "one snapshot expected");
        r.snapshots.remove(0)
    }

    fn state(s: &Snapshot, name: &str) -> usize {
        s.states.get(name).copied().unwrap_or(0)
    }

    fn ep(ip: &str, port: u16) -> Ep {
        Ep {
            ip: ip.parse().unwrap(),
            port,
        }
    }

    const WIN_ANO: &str = "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       884\r\n  TCP    0.0.0.0:1433           0.0.0.0:0              LISTENING       2468\r\n  TCP    127.0.0.1:50001        127.0.0.1:1433         TIME_WAIT       0\r\n  TCP    127.0.0.1:50002        127.0.0.1:1433         TIME_WAIT       0\r\n  TCP    127.0.0.1:50003        127.0.0.1:1433         ESTABLISHED     3120\r\n  TCP    127.0.0.1:1433         127.0.0.1:50003        ESTABLISHED     2468\r\n  TCP    [::]:1433              [::]:0                 LISTENING       2468\r\n  TCP    [::1]:1433             [::1]:50010            TIME_WAIT       0\r\n  UDP    0.0.0.0:123            *:*                                    1100\r\n  UDP    [::]:123               *:*                                    1100\r\n";

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

    const WIN_ANOB: &str = "Active Connections\n\n  Proto  Local Address          Foreign Address        State           PID\n  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       884\n  RpcSs\n [svchost.exe]\n  TCP    0.0.0.0:1433           0.0.0.0:0              LISTENING       2468\n [sqlservr.exe]\n  TCP    0.0.0.0:445            0.0.0.0:0              LISTENING       4\n Can not obtain ownership information\n  TCP    127.0.0.1:50001        127.0.0.1:1433         TIME_WAIT       0\n  TCP    127.0.0.1:50002        127.0.0.1:1433         TIME_WAIT       0\n  UDP    0.0.0.0:500            *:*                                    3000\n  IKEEXT\n [svchost.exe]\n";

    #[test]
    fn windows_netstat_anob_names_go_to_the_row_above() {
        let d = dump(WIN_ANOB);
        assert_eq!(d.rows.len(), 5);
        assert_eq!(d.malformed, 0);
        let name = |i: usize| d.rows[i].name.map(|n| d.names[n as usize].as_str());
        assert_eq!(name(0), Some("svchost.exe (RpcSs)"));
        assert_eq!(name(1), Some("sqlservr.exe"));
        assert_eq!(name(2), None);
        assert_eq!(name(3), None);
        let s = snap(&[input("h/netstat-anob.txt", WIN_ANOB)]);
        let c = &s.culprits[0];
        assert_eq!(c.process.as_deref(), Some("sqlservr.exe"));
        assert_eq!(c.pid, Some(2468));
        assert_eq!(c.process_source, Some(ProcessSource::NetstatB));
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
    fn endpoint_forms() {
        assert_eq!(parse_ep("[::1]:1433"), Some(ep("::1", 1433)));
        assert_eq!(parse_ep("[::]:1433"), Some(ep("::", 1433)));
        assert_eq!(parse_ep("[fe80::1%4]:49152"), Some(ep("fe80::1", 49152)));
        assert_eq!(parse_ep(":::8080"), Some(ep("::", 8080)));
        assert_eq!(parse_ep("::ffff:10.0.0.5:8080"), Some(ep("10.0.0.5", 8080)));
        assert_eq!(
            parse_ep("[::ffff:127.0.0.1]:1433"),
            Some(ep("127.0.0.1", 1433))
        );
        assert_eq!(parse_ep("*:22"), Some(ep("0.0.0.0", 22)));
        assert_eq!(parse_ep("0.0.0.0:*"), Some(ep("0.0.0.0", 0)));
        assert_eq!(parse_ep(":::*"), Some(ep("::", 0)));
        assert_eq!(parse_ep("127.0.0.53%lo:53"), Some(ep("127.0.0.53", 53)));
        assert_eq!(parse_ep("localhost:ms-sql-s"), None);
        assert_eq!(parse_ep("1.2.3.4:99999"), None);
        assert_eq!(parse_ep("[::1"), None);
    }

    const LINUX_NETSTAT: &str = "Active Internet connections (servers and established)\nProto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name\ntcp        0      0 127.0.0.1:5432          0.0.0.0:*               LISTEN      812/postgres\ntcp        0      0 10.0.0.5:43210          10.0.0.9:5432           TIME_WAIT   -\ntcp        0      0 127.0.0.1:33001         127.0.0.1:5432          TIME_WAIT   -\ntcp        0      0 127.0.0.1:33002         127.0.0.1:5432          ESTABLISHED 1234/java\ntcp6       0      0 :::8080                 :::*                    LISTEN      1234/java\ntcp6       0      0 ::ffff:10.0.0.5:8080    ::ffff:10.0.0.7:51000   ESTABLISHED 1234/java\nudp        0      0 0.0.0.0:68              0.0.0.0:*                           700/dhclient\nActive UNIX domain sockets (servers and established)\nProto RefCnt Flags       Type       State         I-Node   PID/Program name     Path\nunix  2      [ ACC ]     STREAM     LISTENING     12345    1/systemd            /run/systemd/private\n";

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

    const SS_TANP: &str = "State      Recv-Q Send-Q Local Address:Port   Peer Address:Port  Process\nLISTEN     0      128        127.0.0.1:5432        0.0.0.0:*      users:((\"postgres\",pid=812,fd=5))\nLISTEN     0      128             [::]:22             [::]:*      users:((\"sshd\",pid=640,fd=4))\nLISTEN     0      128                *:9000              *:*      users:((\"php-fpm\",pid=1500,fd=7),(\"php-fpm\",pid=1501,fd=7))\nESTAB      0      0          127.0.0.1:33010     127.0.0.1:5432   users:((\"php-fpm\",pid=1501,fd=9))\nTIME-WAIT  0      0          127.0.0.1:33011     127.0.0.1:5432\nTIME-WAIT  0      0   [::ffff:127.0.0.1]:33012   [::ffff:127.0.0.1]:5432\nCLOSE-WAIT 1      0           10.0.0.5:40000      10.0.0.7:6379   users:((\"php-fpm\",pid=1502,fd=11))\nSYN-SENT   0      1           10.0.0.5:40001      10.0.0.7:6379   users:((\"php-fpm\",pid=1502,fd=12))\n";

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

    const TASKLIST: &str = "\r\nImage Name                     PID Session Name        Session#    Mem Usage\r\n========================= ======== ================ =========== ============\r\nSystem Idle Process              0 Services                   0          8 K\r\nSystem                           4 Services                   0      9,124 K\r\nsqlservr.exe                  2468 Services                   0    412,884 K\r\njava.exe                      3120 Console                    1  1,048,576 K\r\n";

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

    #[test]
    fn sniff_rejects_ordinary_logs() {
        let logback = "2019-08-21 11:47:20.123  WARN 1234 --- [main] c.e.Gateway : 15000 sockets in TIME_WAIT\n2019-08-21 11:47:21.456 ERROR 1234 --- [nio-8080-exec-1] o.a.c.c.C.[.[.[/].[dispatcherServlet] : Servlet.service() threw exception\njava.net.SocketException: No buffer space available (maximum connections reached?): connect\n\tat java.net.DualStackPlainSocketImpl.connect0(Native Method)\n\tat java.net.DualStackPlainSocketImpl.socketConnect(DualStackPlainSocketImpl.java:79)\n2019-08-21 11:47:22.000  INFO 1234 --- [main] c.e.Gateway : port 1433 LISTENING, TCP 127.0.0.1:50001 127.0.0.1:1433 TIME_WAIT 0\n";
        assert_eq!(sniff(logback), None);
        let nginx = "10.0.0.1 - - [21/Aug/2019:11:47:20 +0800] \"GET /api/login HTTP/1.1\" 502 166 \"-\" \"okhttp/3.12.0\"\n10.0.0.2 - - [21/Aug/2019:11:47:21 +0800] \"GET /static/app.js HTTP/1.1\" 200 612 \"-\" \"Mozilla/5.0\"\n";
        assert_eq!(sniff(nginx), None);
        assert_eq!(sniff(""), None);
        assert_eq!(sniff("\u{feff}\r\n\r\n"), None);
        // A log with one netstat row pasted in among many log lines is still a log.
        let mixed = format!("{logback}{logback}  TCP    127.0.0.1:50001        127.0.0.1:1433         TIME_WAIT       0\n");
        assert_eq!(sniff(&mixed), None);
        let report = analyze(
            &[input("app.log", logback)],
            &SocketConfig::default(),
            zone(8),
        );
        assert!(report.snapshots.is_empty() && report.process_tables.is_empty());
    }

    #[test]
    fn malformed_rows_counted_bom_crlf_trailing_garbage() {
        let text = format!(
            "\u{feff}{WIN_ANO}  TCP    999.0.0.1:1        127.0.0.1:1433   TIME_WAIT   0\r\n  TCP    127.0.0.1:50009\r\nC:\\Users\\admin>exit 0\r\n\u{0}\u{1}7"
        );
        let d = dump(&text);
        assert_eq!(d.rows.len(), 8);
        assert_eq!(d.malformed, 4);
        let s = snap(&[input("w/n.txt", &text)]);
        assert_eq!(s.malformed_rows, 4);
        assert_eq!(s.rows, 8);
    }

    #[test]
    fn attribution_client_side_vs_server_side() {
        // Host 10.0.0.5 runs a listener on 8080; clients churn toward it (server-side TW),
        // and the host itself churns toward its own SQL Server on 1433 through its LAN
        // address (client-side TW), plus a remote database.
        let text = "  Proto  Local Address          Foreign Address        State           PID\n  TCP    0.0.0.0:8080           0.0.0.0:0              LISTENING       3120\n  TCP    0.0.0.0:1433           0.0.0.0:0              LISTENING       2468\n  TCP    10.0.0.5:8080          10.0.0.9:51000         TIME_WAIT       0\n  TCP    10.0.0.5:8080          10.0.0.9:51001         TIME_WAIT       0\n  TCP    10.0.0.5:8080          10.0.0.9:51002         TIME_WAIT       0\n  TCP    10.0.0.5:50000         10.0.0.5:1433          TIME_WAIT       0\n  TCP    10.0.0.5:50001         10.0.0.5:1433          TIME_WAIT       0\n  TCP    10.0.0.5:50002         10.0.0.20:1433         TIME_WAIT       0\n";
        let s = snap(&[input("w/n.txt", text)]);
        let by_side = |side| s.culprits.iter().find(|c| c.side == side).unwrap();
        let server = by_side(Side::ServerSide);
        assert_eq!(
            (server.port, server.pid, server.time_wait),
            (8080, Some(3120), 3)
        );
        assert_eq!(server.share, 0.0);
        assert!(!server.loopback);
        let client = by_side(Side::ClientToListener);
        assert_eq!(
            (client.port, client.pid, client.time_wait),
            (1433, Some(2468), 2)
        );
        assert_eq!(client.ephemeral_ports, 2);
        let remote = by_side(Side::Remote);
        assert_eq!(remote.endpoint.as_deref(), Some("10.0.0.20:1433"));
        assert_eq!(remote.pid, None);
        assert_eq!(remote.process_source, Some(ProcessSource::WellKnownPort));
        // Ranked by TIME_WAIT held.
        assert_eq!(s.culprits[0].side, Side::ServerSide);
        assert!(culprit_sentence(server, s.ephemeral_range).contains("server-side"));
    }

    #[test]
    fn client_port_that_equals_a_dynamic_range_listener() {
        let text = "  TCP    0.0.0.0:1433 0.0.0.0:0 LISTENING 2468\n  TCP    0.0.0.0:49664 0.0.0.0:0 LISTENING 528\n  TCP    127.0.0.1:49664 127.0.0.1:1433 TIME_WAIT 0\n  TCP    127.0.0.1:49665 127.0.0.1:1433 TIME_WAIT 0\n";
        let s = snap(&[input("w/n.txt", text)]);
        assert_eq!(s.culprits.len(), 1);
        assert_eq!((s.culprits[0].port, s.culprits[0].time_wait), (1433, 2));
    }

    #[test]
    fn server_side_without_listening_rows_groups_by_local_port() {
        let text = "  TCP    10.0.0.5:3306          10.0.0.9:51000         TIME_WAIT       0\n  TCP    10.0.0.5:3306          10.0.0.9:51001         TIME_WAIT       0\n";
        let s = snap(&[input("w/n.txt", text)]);
        assert_eq!(s.culprits.len(), 1);
        let c = &s.culprits[0];
        assert_eq!((c.side, c.port, c.time_wait), (Side::ServerSide, 3306, 2));
        assert_eq!(c.process.as_deref(), Some("MySQL"));
    }

    #[test]
    fn process_name_from_paired_table_and_well_known_hint() {
        let with_table = snap(&[
            input("host/netstat.txt", WIN_ANO),
            input("host/tasklist.txt", TASKLIST),
        ]);
        let c = &with_table.culprits[0];
        assert_eq!(c.process.as_deref(), Some("sqlservr.exe"));
        assert_eq!(c.process_source, Some(ProcessSource::Tasklist));
        assert_eq!(c.clients, vec!["java.exe (PID 3120)".to_string()]);
        let without = snap(&[input("host/netstat.txt", WIN_ANO)]);
        let c = &without.culprits[0];
        assert_eq!(c.pid, Some(2468));
        assert_eq!(c.process.as_deref(), Some("SQL Server"));
        assert_eq!(c.process_source, Some(ProcessSource::WellKnownPort));
        assert_eq!(
            culprit_sentence(c, without.ephemeral_range),
            "PID 2468 (probably SQL Server) listening on 1433 holds 2 TIME_WAIT, <1 % of 49152–65535"
        );
    }

    #[test]
    fn tables_pair_by_directory_first() {
        let other = TASKLIST.replace("sqlservr.exe ", "impostor.exe ");
        let r = analyze(
            &[
                input("a/netstat.txt", WIN_ANO),
                input("a/tasklist.txt", TASKLIST),
                input("b/tasklist.txt", &other),
            ],
            &SocketConfig::default(),
            zone(0),
        );
        assert_eq!(r.process_tables.len(), 2);
        assert_eq!(
            r.snapshots[0].culprits[0].process.as_deref(),
            Some("sqlservr.exe")
        );
        // No table beside the dump: every Windows table is used (path order).
        let r = analyze(
            &[
                input("c/netstat.txt", WIN_ANO),
                input("b/tasklist.txt", &other),
            ],
            &SocketConfig::default(),
            zone(0),
        );
        assert_eq!(
            r.snapshots[0].culprits[0].process.as_deref(),
            Some("impostor.exe")
        );
    }

    #[test]
    fn loopback_flag() {
        let s = snap(&[input("w/n.txt", WIN_ANO)]);
        let c = &s.culprits[0];
        // 127.0.0.1 pair twice, plus the ::1 server-side row belongs to the other group.
        assert_eq!(c.side, Side::ClientToListener);
        assert!(c.loopback);
        let lan = "  TCP    0.0.0.0:1433 0.0.0.0:0 LISTENING 2468\n  TCP    10.0.0.5:50000 10.0.0.5:1433 TIME_WAIT 0\n";
        assert!(!snap(&[input("w/n.txt", lan)]).culprits[0].loopback);
    }

    #[test]
    fn ephemeral_ratio_math_and_range_override() {
        // 100 ports to A (TIME_WAIT), 50 to B (ESTABLISHED) of which 10 reuse A's ports,
        // one port outside the range.
        let mut text = String::from("Proto Local Foreign State PID\n");
        for p in 0..100u32 {
            text.push_str(&format!(
                "  TCP 10.0.0.5:{} 10.0.0.7:6379 TIME_WAIT 0\n",
                50000 + p
            ));
        }
        for p in 90..140u32 {
            text.push_str(&format!(
                "  TCP 10.0.0.5:{} 10.0.0.8:80 ESTABLISHED 77\n",
                50000 + p
            ));
        }
        text.push_str("  TCP 10.0.0.5:1200 10.0.0.7:6379 TIME_WAIT 0\n");
        let s = snap(&[input("w/n.txt", &text)]);
        assert_eq!(s.ephemeral_range, (49152, 65535));
        assert_eq!(s.ephemeral_in_use, 140);
        assert_eq!(s.ephemeral_in_use_ratio, round4(100.0 / 16384.0));
        assert_eq!(s.top_remote_endpoints[0].endpoint, "10.0.0.7:6379");
        assert_eq!(s.top_remote_endpoints[0].time_wait, 101);
        assert_eq!(s.top_remote_endpoints[1].established, 50);
        let redis = &s.culprits[0];
        assert_eq!(redis.ephemeral_ports, 100);
        assert_eq!(redis.share, round4(100.0 / 16384.0));

        let cfg = SocketConfig {
            ephemeral_range: Some((50000, 50199)),
        };
        let r = analyze(&[input("w/n.txt", &text)], &cfg, zone(0));
        let s = &r.snapshots[0];
        assert_eq!(s.ephemeral_range, (50000, 50199));
        assert_eq!(s.ephemeral_in_use_ratio, 0.5);
        assert_eq!(s.culprits[0].share, 0.5);
        // A reversed override is normalised rather than trusted.
        let cfg = SocketConfig {
            ephemeral_range: Some((50199, 50000)),
        };
        let r = analyze(&[input("w/n.txt", &text)], &cfg, zone(0));
        assert_eq!(r.snapshots[0].ephemeral_range, (50000, 50199));
    }

    #[test]
    fn snapshot_time_from_file_or_mtime() {
        let utc = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let t = |head: &str| file_time(&format!("{head}\n{WIN_ANO}"), zone(8));
        assert_eq!(
            t("2019-08-21T11:47:20+08:00"),
            Some(utc("2019-08-21T03:47:20Z"))
        );
        assert_eq!(t("2019-08-21 11:47:20"), Some(utc("2019-08-21T03:47:20Z")));
        assert_eq!(
            t("2019/08/21 周三\n11:47"),
            Some(utc("2019-08-21T03:47:00Z"))
        );
        assert_eq!(
            t("Wed 08/21/2019\n11:47 AM"),
            Some(utc("2019-08-21T03:47:00Z"))
        );
        assert_eq!(t("21.08.2019\n11:47"), Some(utc("2019-08-21T03:47:00Z")));
        // CST is ambiguous: read in the caller's zone.
        assert_eq!(
            t("Wed Aug 21 11:47:20 CST 2019"),
            Some(utc("2019-08-21T03:47:20Z"))
        );
        assert_eq!(
            t("Wed Aug 21 11:47:20 UTC 2019"),
            Some(utc("2019-08-21T11:47:20Z"))
        );
        // ISO beats `date` output.
        assert_eq!(
            t("Wed Aug 21 11:47:20 CST 2019\n2019-08-21T11:47:21Z"),
            Some(utc("2019-08-21T11:47:21Z"))
        );
        assert_eq!(t("03/04/2019\n11:47"), None);
        assert_eq!(t(""), None);

        let mtime = Some(utc("2019-08-21T03:50:00Z"));
        let mut i = input("w/n.txt", WIN_ANO);
        i.mtime = mtime;
        let s = snap(&[i.clone()]);
        assert_eq!((s.time, s.time_source), (mtime, Some(TimeSource::Mtime)));
        i.text = format!("2019-08-21 11:47:20\r\n{WIN_ANO}");
        let s = analyze(&[i], &SocketConfig::default(), zone(8))
            .snapshots
            .remove(0);
        assert_eq!(s.time, Some(utc("2019-08-21T03:47:20Z")));
        assert_eq!(s.time_source, Some(TimeSource::File));
        // The timestamp line is neutral, not malformed.
        assert_eq!(s.malformed_rows, 0);
    }

    #[test]
    fn culprit_sentence_style() {
        let c = Culprit {
            port: 1433,
            pid: Some(2468),
            process: Some("sqlservr.exe".into()),
            process_source: Some(ProcessSource::Tasklist),
            time_wait: 15_873,
            established: 3,
            share: round4(15_873.0 / 16_384.0),
            loopback: true,
            side: Side::ClientToListener,
            endpoint: None,
            ephemeral_ports: 15_873,
            clients: vec![],
        };
        assert_eq!(
            culprit_sentence(&c, (49152, 65535)),
            "sqlservr.exe (PID 2468) listening on 1433 holds 15,873 TIME_WAIT, 97 % of 49152–65535"
        );
        let remote = Culprit {
            port: 6379,
            pid: None,
            process: Some("Redis".into()),
            process_source: Some(ProcessSource::WellKnownPort),
            side: Side::Remote,
            endpoint: Some("10.0.0.7:6379".into()),
            time_wait: 1_200,
            share: 0.0425,
            ..c.clone()
        };
        assert_eq!(
            culprit_sentence(&remote, (32768, 60999)),
            "remote 10.0.0.7:6379 (probably Redis) holds 1,200 TIME_WAIT, 4 % of 32768–60999"
        );
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn render_and_json_shape() {
        let mut i = input("host/netstat-ano.txt", WIN_ANO);
        i.mtime = Some(Utc.with_ymd_and_hms(2019, 8, 21, 3, 47, 20).unwrap());
        let r = analyze(
            &[i, input("host/tasklist.txt", TASKLIST)],
            &SocketConfig::default(),
            zone(8),
        );
        let text = render_text(&r);
        assert!(text.starts_with(
            "host/netstat-ano.txt (netstat-windows, 2019-08-21T03:47:20Z from mtime): 8 sockets; "
        ));
        assert!(text.contains(
            "  culprit: sqlservr.exe (PID 2468) listening on 1433 holds 2 TIME_WAIT, <1 % of 49152–65535 (loopback churn)"
        ));
        assert!(text.contains("host/tasklist.txt (tasklist): 4 processes"));

        let v = serde_json::to_value(&r).unwrap();
        let s = &v["snapshots"][0];
        for key in [
            "path",
            "time",
            "time_source",
            "kind",
            "states",
            "ephemeral_range",
            "ephemeral_in_use_ratio",
            "culprits",
            "rows",
            "malformed_rows",
            "top_remote_endpoints",
        ] {
            assert!(s.get(key).is_some(), "missing {key}");
        }
        assert_eq!(s["time"], "2019-08-21T03:47:20Z");
        assert_eq!(s["time_source"], "mtime");
        assert_eq!(s["kind"], "netstat-windows");
        assert_eq!(s["ephemeral_range"], serde_json::json!([49152, 65535]));
        assert_eq!(s["states"]["TIME_WAIT"], 3);
        let c = &s["culprits"][0];
        for key in [
            "port",
            "pid",
            "process",
            "process_source",
            "time_wait",
            "established",
            "share",
            "loopback",
            "side",
        ] {
            assert!(c.get(key).is_some(), "missing culprit.{key}");
        }
        assert_eq!(c["side"], "client-to-listener");
        assert_eq!(c["process_source"], "tasklist");
        assert_eq!(v["process_tables"][0]["kind"], "tasklist");
        assert_eq!(
            serde_json::to_value(ProcessSource::WellKnownPort).unwrap(),
            "well-known-port"
        );
        assert_eq!(
            serde_json::to_value(ProcessSource::NetstatB).unwrap(),
            "netstat-b"
        );
        assert_eq!(serde_json::to_value(ProcessSource::SsP).unwrap(), "ss-p");
    }

    #[test]
    fn deterministic_output() {
        let inputs = [
            input("host/netstat-ano.txt", WIN_ANO),
            input("host/tasklist.txt", TASKLIST),
            input("l/ss.txt", SS_TANP),
        ];
        let a = serde_json::to_string(&analyze(&inputs, &SocketConfig::default(), zone(0)));
        let rev: Vec<DumpInput> = inputs.iter().rev().cloned().collect();
        let b = serde_json::to_string(&analyze(&rev, &SocketConfig::default(), zone(0)));
        assert_eq!(a.unwrap(), b.unwrap());
    }

    const FRAGMENTS: &[&str] = &[
        "TCP",
        "tcp",
        "tcp6",
        "UDP",
        "udp",
        "ESTAB",
        "TIME-WAIT",
        "TIME_WAIT",
        "LISTENING",
        "LISTEN",
        "0",
        "1",
        "4294967296",
        "-",
        "1234/java",
        "0.0.0.0:0",
        "[::]:0",
        "[::1]:1433",
        "127.0.0.1:1433",
        "127.0.0.1:50000",
        ":::*",
        "*:*",
        "[fe80::1%4]:1",
        "users:((\"a\",pid=",
        "users:((",
        "\"",
        "\",\"",
        "=====",
        "[x.exe]",
        "RpcSs",
        "K",
        "1,234",
        "00:00:01",
        "0.0",
        "Aug20",
        "?",
        "\u{feff}",
        "\r",
        "ª",
        "ÉCOUTE",
        "2019-08-21",
        "11:47",
        "[",
        "]",
        ":",
        "%",
    ];

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let _ = sniff(&text);
            let r = analyze(&[input("x/y", &text)], &SocketConfig::default(), zone(0));
            let _ = render_text(&r);
        }

        #[test]
        fn dump_like_soup_never_panics(
            lines in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..9), 0..40),
            lo in any::<u16>(),
            hi in any::<u16>(),
        ) {
            let text: String = lines.iter().map(|l| format!("  {}\n", l.join("  "))).collect();
            for kind in ALL_KINDS {
                let _ = parse_dump("x", &text, kind);
            }
            let cfg = SocketConfig { ephemeral_range: Some((lo, hi)) };
            let r = analyze(&[input("x/a", &text), input("x/b", &text)], &cfg, zone(-5));
            let _ = render_text(&r);
            let _ = serde_json::to_string(&r).unwrap();
        }
    }
}

//! The row model every dump format is read into: TCP states, endpoints, and what one line
//! of a dump is.
//!
//! Input: the whitespace-split tokens of one line (from `classify`). Output: [`St`] (a
//! normalized TCP state, or the index of a localized word we could not map), [`Ep`]
//! (`ip:port`), [`RawSock`] (one TCP row borrowing from the text) and [`Line`] (row, UDP row,
//! process, `netstat -b` annotation, neutral or bad).
//!
//! Tricky cases:
//! * State words come in English netstat, ss and localized Windows spellings (German,
//!   French, Spanish); files saved through odd pipelines may come lower-cased. A word we are
//!   not sure of is kept as written, never guessed.
//! * IPv4-mapped IPv6 is folded to IPv4, so `[::ffff:127.0.0.1]:1433` and `127.0.0.1:1433`
//!   are the same endpoint; zone ids (`fe80::1%4`) are dropped; a wildcard port (`*`) is 0.
//! * Numbers are parsed by hand (no regex per row): a 1,000,000-row dump must parse in a
//!   fraction of a second.
//! * [`strip_bom`] lives here, below `sniff`, `stamp` and `parse`, which all need it: in
//!   `sniff` it would make `sniff → classify → stamp → sniff` a cycle.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr};

/// Normalized TCP state (Windows/netstat spelling). `Other` indexes the dump's list of
/// state words we could not map (localized words we are not sure of).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum St {
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
    pub(super) fn name(self) -> &'static str {
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
pub(super) fn map_state(word: &str) -> Option<St> {
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
pub(super) fn is_ss_state(word: &str) -> bool {
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
pub(super) struct Ep {
    pub(super) ip: IpAddr,
    pub(super) port: u16,
}

impl Ep {
    pub(super) fn display(&self) -> String {
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
pub(super) fn parse_digits(s: &str) -> Option<u32> {
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
pub(super) fn parse_ep(s: &str) -> Option<Ep> {
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

pub(super) fn is_unspecified(ip: &IpAddr) -> bool {
    ip.is_unspecified()
}

/// One TCP row as it comes off a line, borrowing from the text.
#[derive(Debug)]
pub(super) struct RawSock<'a> {
    pub(super) local: Ep,
    pub(super) remote: Ep,
    pub(super) state: Result<St, Cow<'a, str>>,
    pub(super) pid: Option<u32>,
    pub(super) name: Option<&'a str>,
}

/// What one line of a dump is.
#[derive(Debug)]
pub(super) enum Line<'a> {
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

/// `text` without its leading UTF-8 BOM, if any (the caller decodes, this module strips).
pub(super) fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::sockets::fixtures::ep;

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
}

//! Parsing whole files: a sniffed dump into socket rows or a PID → name table.
//!
//! Input: a path, the dump's text and its [`DumpKind`]. Output: [`Parsed`]: a
//! [`SocketDump`] (TCP rows, UDP and malformed counts, interned process names and state
//! words) or a [`ProcTable`] (PID → name, first name per PID wins).
//!
//! Tricky cases:
//! * `netstat -b`: the image/service lines that follow a row belong to it (`svchost.exe
//!   (RpcSs)`); a bad or UDP row in between cuts the link.
//! * Parsing is tolerant: a row that cannot be parsed is counted in `malformed` and skipped;
//!   nothing here returns an error or panics on hostile input.
//! * Strings are interned so a million rows naming the same process share one allocation.

use std::collections::HashMap;

use super::classify::Classifier;
use super::row::{strip_bom, Ep, Line, St};
use super::{DumpKind, ProcessSource};

#[derive(Debug, Clone, Copy)]
pub(super) struct SockRow {
    pub(super) local: Ep,
    pub(super) remote: Ep,
    pub(super) state: St,
    pub(super) pid: Option<u32>,
    /// Index into `SocketDump::names` (process name from `-b`, `-p`).
    pub(super) name: Option<u32>,
}

#[derive(Debug)]
pub(super) struct SocketDump {
    pub(super) kind: DumpKind,
    pub(super) rows: Vec<SockRow>,
    pub(super) udp_rows: usize,
    pub(super) malformed: usize,
    pub(super) names: Vec<String>,
    other_states: Vec<String>,
}

impl SocketDump {
    pub(super) fn state_name(&self, st: St) -> &str {
        match st {
            St::Other(i) => self
                .other_states
                .get(i as usize)
                .map_or("?", String::as_str),
            known => known.name(),
        }
    }

    pub(super) fn name_source(&self) -> ProcessSource {
        match self.kind {
            DumpKind::NetstatWindows => ProcessSource::NetstatB,
            DumpKind::NetstatLinux => ProcessSource::NetstatP,
            _ => ProcessSource::SsP,
        }
    }
}

#[derive(Debug)]
pub(super) struct ProcTable {
    pub(super) path: String,
    pub(super) kind: DumpKind,
    pub(super) names: HashMap<u32, String>,
    pub(super) count: usize,
}

pub(super) enum Parsed {
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

pub(super) fn parse_dump(path: &str, text: &str, kind: DumpKind) -> Parsed {
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

#[cfg(test)]
mod tests {
    use crate::evidence::sockets::fixtures::*;
    use crate::evidence::sockets::ProcessSource;

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
}

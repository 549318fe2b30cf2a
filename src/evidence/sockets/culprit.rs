//! Who holds the ports: the culprit groups of a snapshot, named and ranked.
//!
//! Input: the groups `analyze` attributed each TIME_WAIT/ESTABLISHED socket to ([`GroupKey`]
//! → [`Agg`]), the listeners of the dump, the dump's own process names and the paired
//! process tables. Output: the snapshot's [`Culprit`]s, ranked by TIME_WAIT held.
//!
//! Tricky cases:
//! * A TIME_WAIT socket has no owner any more (PID 0 on Windows, `-` on Linux), so a group
//!   is named after the process listening on its port: first its name in the dump itself
//!   (`netstat -b`, `netstat -p`, `ss -p`), then its PID looked up in a paired `tasklist` or
//!   `ps` table (first table wins: the caller orders them same-directory first), and only
//!   then a guess from the port number ([`well_known_port`]).
//! * Pre-forked workers (php-fpm, gunicorn) are many PIDs of one program: the clients of a
//!   group are listed once per program name, with the PID when there is just one.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::parse::{ProcTable, SocketDump};
use super::row::Ep;
use super::{Culprit, ProcessSource, Side};

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

/// Who listens on a port: its PID and its name in the dump's rows (`-b`, `-p`), as far as
/// the LISTENING rows say.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Listener {
    pub(super) pid: Option<u32>,
    pub(super) name: Option<u32>,
}

/// The TIME_WAIT and ESTABLISHED sockets attributed to one culprit group.
#[derive(Default)]
pub(super) struct Agg {
    pub(super) tw: usize,
    pub(super) est: usize,
    pub(super) loopback_tw: usize,
    /// Ephemeral ports of this host held (unsorted, deduplicated at the end).
    pub(super) ports: Vec<u16>,
    /// ESTABLISHED client owners: (pid, name index).
    pub(super) clients: HashSet<(Option<u32>, Option<u32>)>,
}

/// A culprit group: the listener's port on this host (client-to-listener, server-side), or
/// a remote endpoint.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct GroupKey {
    pub(super) side: Side,
    pub(super) port: u16,
    /// Remote endpoint, only for `Side::Remote`.
    pub(super) remote: Option<Ep>,
}

/// Sorts and deduplicates `ports`; how many distinct ones there are.
pub(super) fn distinct(ports: &mut Vec<u16>) -> usize {
    ports.sort_unstable();
    ports.dedup();
    ports.len()
}

/// `x` rounded to 4 decimals (the shares and ratios of the JSON).
pub(super) fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Culprits listed per snapshot, and remote endpoints listed.
pub(super) const TOP_N: usize = 10;

/// The culprits of one snapshot: every group that holds TIME_WAIT sockets, named after its
/// listener (or a well-known-port guess) and its clients, ranked by TIME_WAIT held, the
/// first [`TOP_N`]. `size` is the size of the ephemeral range.
pub(super) fn rank(
    dump: &SocketDump,
    tables: &[&ProcTable],
    listeners: &HashMap<u16, Listener>,
    groups: HashMap<GroupKey, Agg>,
    size: f64,
) -> Vec<(GroupKey, Culprit)> {
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
            let (mut pid, mut process, mut source) =
                listener_name(key, dump, listeners, &row_name, &table_name);
            let clients = client_names(&g.clients, &row_name, &table_name);
            let mut remote_service = None;
            if key.side == Side::Remote {
                // TIME_WAIT toward another host sit on this host's client sockets: the
                // process to stop is the local program making those connections (a backup
                // agent churning HTTPS to cloud storage), not the remote's service. The
                // port's usual service still describes the remote.
                remote_service = process.take();
                source = None;
                if let Some((cpid, name, src)) =
                    sole_client(&g.clients, &row_name, &table_name, dump)
                {
                    (pid, process, source) = (cpid, Some(name), Some(src));
                }
            }
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
                remote_service,
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
    culprits
}

/// The process listening on a group's port: its PID, its name and how the name was
/// learned (the dump's rows, then the process tables, then the port number). A remote
/// group has no listener here.
fn listener_name(
    key: GroupKey,
    dump: &SocketDump,
    listeners: &HashMap<u16, Listener>,
    row_name: &impl Fn(u32) -> Option<String>,
    table_name: &impl Fn(u32) -> Option<(String, ProcessSource)>,
) -> (Option<u32>, Option<String>, Option<ProcessSource>) {
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
    (pid, process, source)
}

/// The one program owning a group's ESTABLISHED client sockets (one name, from the rows or
/// the process tables; its PID when it is one process): `None` when there are several
/// programs or none is named, since picking one of several would be a guess.
fn sole_client(
    owners: &HashSet<(Option<u32>, Option<u32>)>,
    row_name: &impl Fn(u32) -> Option<String>,
    table_name: &impl Fn(u32) -> Option<(String, ProcessSource)>,
    dump: &SocketDump,
) -> Option<(Option<u32>, String, ProcessSource)> {
    let mut found: Option<(String, ProcessSource)> = None;
    let mut pids: Vec<u32> = Vec::new();
    for &(cpid, cname) in owners {
        let named = match cname.and_then(row_name) {
            Some(n) => Some((n, dump.name_source())),
            None => cpid.and_then(table_name),
        };
        let (name, src) = named?;
        match &found {
            Some((n, _)) if *n != name => return None,
            _ => found = Some((name, src)),
        }
        pids.extend(cpid);
    }
    pids.sort_unstable();
    pids.dedup();
    let (name, src) = found?;
    Some(((pids.len() == 1).then(|| pids[0]), name, src))
}

/// The owners of a group's ESTABLISHED client sockets, at most five: one entry per
/// program name, then the PIDs without a name.
fn client_names(
    owners: &HashSet<(Option<u32>, Option<u32>)>,
    row_name: &impl Fn(u32) -> Option<String>,
    table_name: &impl Fn(u32) -> Option<(String, ProcessSource)>,
) -> Vec<String> {
    // Pre-forked workers (php-fpm, gunicorn) are many PIDs of one program: one entry
    // per program name, with the PID when there is just one.
    let mut by_name: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut anonymous: Vec<u32> = Vec::new();
    for &(cpid, cname) in owners {
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
    clients
}

#[cfg(test)]
mod tests {
    use crate::evidence::sockets::fixtures::*;
    use crate::evidence::sockets::{culprit_sentence, ProcessSource};

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
}

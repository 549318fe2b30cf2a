//! Analysis of one socket dump, and of a set of saved outputs.
//!
//! Input: [`DumpInput`]s (netstat/ss dumps and process tables, already decoded),
//! [`SocketConfig`] and the zone for naive in-file times. Output: a [`SocketsReport`]: per
//! dump a [`Snapshot`] (sockets per state, ephemeral ports held, culprits, busiest remote
//! endpoints), and the process tables used.
//!
//! Two passes over a dump's rows: pass 1 counts states and learns this host's own addresses
//! and its listeners; pass 2 attributes every TIME_WAIT and ESTABLISHED socket to a remote
//! endpoint and to a culprit group, which `culprit` names and ranks.
//!
//! Tricky cases:
//! * Port matching: a TIME_WAIT whose local port is a LISTENING port is the server side of
//!   that listener; one whose foreign end is a listening port on this very host (loopback or
//!   one of our own addresses) is the client side of connections **to** that listener, and
//!   it pins one of our ephemeral ports. Everything else is grouped by remote `ip:port`.
//! * Windows keeps RPC listeners (49664…) inside the dynamic range, so a client port can
//!   equal some listening port: when both ends look like listeners, the end outside the
//!   ephemeral range is the real server port.
//! * Exhaustion is per destination on Linux (`connect()` only needs a unique 4-tuple), so the
//!   headline ratio is the worst remote endpoint; the global count is reported beside it.
//! * Process tables are paired with socket dumps in the same directory; when a directory
//!   has none, all tables of the same OS family are used.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

use chrono::FixedOffset;
use rayon::prelude::*;

use super::culprit::{self, distinct, round4, Agg, GroupKey, Listener, TOP_N};
use super::parse::{parse_dump, Parsed, ProcTable, SocketDump};
use super::row::{is_unspecified, Ep, St};
use super::sniff::sniff;
use super::stamp::file_time;
use super::{
    DumpInput, ProcessTableSummary, RemoteEndpoint, Side, Snapshot, SocketConfig, SocketsReport,
    TimeSource,
};

/// What pass 1 learns from a dump: sockets per state, this host's own addresses, and the
/// listener of each LISTENING port.
struct Seen {
    state_counts: HashMap<St, usize>,
    own_ips: HashSet<IpAddr>,
    listeners: HashMap<u16, Listener>,
}

/// What pass 2 counts: per remote endpoint (TIME_WAIT, ESTABLISHED, our ephemeral ports
/// held toward it), per culprit group, and the set of local ephemeral ports in use.
struct Held {
    endpoints: HashMap<Ep, (usize, usize, Vec<u16>)>,
    groups: HashMap<GroupKey, Agg>,
    /// 65,536-bit set of local ephemeral ports in use.
    global: Vec<u64>,
}

/// One dump's [`Snapshot`], its time left to the caller ([`analyze`] fills it in).
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

    let Seen {
        state_counts,
        own_ips,
        listeners,
    } = pass1_states(dump);
    let Held {
        endpoints,
        groups,
        global,
    } = pass2_groups(dump, &own_ips, &listeners, in_range);

    let culprits = culprit::rank(dump, tables, &listeners, groups, size);

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

/// Pass 1: states, our own addresses, listeners.
fn pass1_states(dump: &SocketDump) -> Seen {
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
    Seen {
        state_counts,
        own_ips,
        listeners,
    }
}

/// Pass 2: TIME_WAIT and ESTABLISHED, per remote endpoint and per culprit group.
/// `in_range`: is a port in the ephemeral range.
fn pass2_groups(
    dump: &SocketDump,
    own_ips: &HashSet<IpAddr>,
    listeners: &HashMap<u16, Listener>,
    in_range: impl Fn(u16) -> bool,
) -> Held {
    let is_local = |ip: &IpAddr| ip.is_loopback() || own_ips.contains(ip);

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

    Held {
        endpoints,
        groups,
        global,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::sockets::fixtures::*;
    use crate::evidence::sockets::{culprit_sentence, render_text, ProcessSource, ALL_KINDS};
    use proptest::prelude::*;

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
        // No ESTABLISHED row names the local client: no process, the port's service
        // describes the remote only.
        assert_eq!(remote.process, None);
        assert_eq!(remote.remote_service.as_deref(), Some("SQL Server"));
        assert_eq!(
            culprit_sentence(remote, s.ephemeral_range),
            "remote 10.0.0.20:1433 (probably SQL Server) holds 1 TIME_WAIT, <1 % of 49152–65535"
        );
        // Ranked by TIME_WAIT held.
        assert_eq!(s.culprits[0].side, Side::ServerSide);
        assert!(culprit_sentence(server, s.ephemeral_range).contains("server-side"));
    }

    #[test]
    fn remote_churn_names_the_local_client() {
        // A backup agent churning HTTPS to cloud storage: the TIME_WAIT sit on this host's
        // client sockets (PID 0), its ESTABLISHED ones carry its PID. The process to stop is
        // the agent, not "a web server" (held-out IIS case); SQL Server's loopback churn
        // through w3wp.exe stays the listener's.
        let mut text = String::from(
            "  TCP    0.0.0.0:1433           0.0.0.0:0              LISTENING       2468\n",
        );
        for p in 50000..50040 {
            text.push_str(&format!(
                "  TCP    10.1.0.5:{p}         52.239.148.100:443     TIME_WAIT       0\n"
            ));
        }
        text.push_str(
            "  TCP    10.1.0.5:51141         52.239.148.100:443     ESTABLISHED     3912\n",
        );
        text.push_str(
            "  TCP    10.1.0.5:51142         52.239.148.100:443     ESTABLISHED     3912\n",
        );
        text.push_str("  TCP    127.0.0.1:50100        127.0.0.1:1433         TIME_WAIT       0\n");
        let tasklist = TASKLIST.to_string()
            + "BackupAgent.exe               3912 Services                   0     88,120 K\r\n";
        let s = snap(&[
            input("h/netstat.txt", &text),
            input("h/tasklist.txt", &tasklist),
        ]);
        let top = &s.culprits[0];
        assert_eq!(top.side, Side::Remote);
        assert_eq!(
            (top.process.as_deref(), top.pid, top.process_source),
            (
                Some("BackupAgent.exe"),
                Some(3912),
                Some(ProcessSource::Tasklist)
            )
        );
        assert_eq!(top.remote_service.as_deref(), Some("web server"));
        assert_eq!(
            culprit_sentence(top, s.ephemeral_range),
            "BackupAgent.exe (PID 3912) connecting to remote 52.239.148.100:443 (probably web server) holds 40 TIME_WAIT, <1 % of 49152–65535"
        );
        // Two programs sharing the endpoint: no one of them is named the culprit.
        let shared = text.clone()
            + "  TCP    10.1.0.5:51143         52.239.148.100:443     ESTABLISHED     2468\n";
        let s = snap(&[
            input("h/netstat.txt", &shared),
            input("h/tasklist.txt", &tasklist),
        ]);
        assert_eq!(s.culprits[0].process, None);
        assert_eq!(s.culprits[0].clients.len(), 2);
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

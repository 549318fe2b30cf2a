//! The socket-snapshot fixtures (fixtures/hosts/, made by gen_hosts.py) through the public
//! `faultscope::evidence::sockets` API: the founding Windows/SQL Server case and a Linux PostgreSQL one.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use faultscope::evidence::sockets::{
    analyze, culprit_sentence, render_text, sniff, DumpInput, DumpKind, ProcessSource, Side,
    SocketConfig, SocketsReport, TimeSource,
};

fn load(rel: &str, mtime: Option<DateTime<Utc>>) -> DumpInput {
    let full = format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"));
    DumpInput {
        path: rel.to_string(),
        text: std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}")),
        mtime,
    }
}

fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

fn mtime() -> Option<DateTime<Utc>> {
    Some(Utc.with_ymd_and_hms(2019, 8, 21, 3, 47, 20).unwrap())
}

fn windows_inputs() -> Vec<DumpInput> {
    vec![
        load("fixtures/hosts/windows/netstat-ano.txt", mtime()),
        load("fixtures/hosts/windows/tasklist.txt", mtime()),
    ]
}

fn linux_inputs() -> Vec<DumpInput> {
    vec![
        load("fixtures/hosts/linux/ss-tanp.txt", None),
        load("fixtures/hosts/linux/ps-aux.txt", None),
    ]
}

fn run(inputs: &[DumpInput]) -> SocketsReport {
    analyze(inputs, &SocketConfig::default(), china())
}

#[test]
fn fixtures_sniff_as_their_kind() {
    let kinds: Vec<Option<DumpKind>> = windows_inputs()
        .iter()
        .chain(linux_inputs().iter())
        .map(|i| sniff(&i.text))
        .collect();
    assert_eq!(
        kinds,
        vec![
            Some(DumpKind::NetstatWindows),
            Some(DumpKind::Tasklist),
            Some(DumpKind::Ss),
            Some(DumpKind::PsAux),
        ]
    );
}

#[test]
fn windows_sql_server_churn_is_named() {
    let r = run(&windows_inputs());
    assert_eq!(r.snapshots.len(), 1);
    assert_eq!(r.process_tables.len(), 1);
    assert_eq!(r.process_tables[0].processes, 19);
    let s = &r.snapshots[0];
    assert_eq!(s.kind, DumpKind::NetstatWindows);
    assert_eq!((s.time, s.time_source), (mtime(), Some(TimeSource::Mtime)));
    assert_eq!(s.malformed_rows, 0);
    assert_eq!(s.udp_rows, 4);
    assert_eq!(s.states["TIME_WAIT"], 15_873 + 12);
    assert_eq!(s.states["ESTABLISHED"], 6 + 60 + 20 + 1);
    assert_eq!(s.states["LISTENING"], 15);
    assert_eq!(s.states["CLOSE_WAIT"], 2);
    assert_eq!(s.ephemeral_range, (49152, 65535));
    // 15,873 TIME_WAIT + 3 pooled SQL Agent connections toward 127.0.0.1:1433.
    assert_eq!(s.ephemeral_in_use_ratio, 0.969);
    // CLOSE_WAIT sockets are not counted: only TIME_WAIT + ESTABLISHED.
    assert_eq!(s.ephemeral_in_use, 15_873 + 3 + 20 + 12);

    let c = &s.culprits[0];
    assert_eq!(c.port, 1433);
    assert_eq!(c.pid, Some(2468));
    assert_eq!(c.process.as_deref(), Some("sqlservr.exe"));
    assert_eq!(c.process_source, Some(ProcessSource::Tasklist));
    assert_eq!(c.side, Side::ClientToListener);
    assert_eq!((c.time_wait, c.established), (15_873, 3));
    assert_eq!(c.share, 0.969);
    assert!(c.loopback);
    assert_eq!(c.clients, vec!["SQLAGENT.EXE (PID 2520)".to_string()]);
    assert_eq!(
        culprit_sentence(c, s.ephemeral_range),
        "sqlservr.exe (PID 2468) listening on 1433 holds 15,873 TIME_WAIT, 97 % of 49152–65535"
    );

    let remote = &s.culprits[1];
    assert_eq!(remote.side, Side::Remote);
    assert_eq!(remote.endpoint.as_deref(), Some("203.0.113.10:443"));
    assert_eq!(remote.time_wait, 12);
    // No ESTABLISHED row names a local client of that endpoint: the port only describes
    // the remote.
    assert_eq!(remote.process_source, None);
    assert_eq!(remote.remote_service.as_deref(), Some("web server"));

    assert_eq!(s.top_remote_endpoints[0].endpoint, "127.0.0.1:1433");
    assert_eq!(s.top_remote_endpoints[0].time_wait, 15_873);

    let text = render_text(&r);
    assert!(text.contains("fixtures/hosts/windows/netstat-ano.txt (netstat-windows, 2019-08-21T03:47:20Z from mtime): 15,989 sockets; TIME_WAIT 15,885, ESTABLISHED 87, LISTENING 15, CLOSE_WAIT 2\n"), "{text}");
    assert!(text.contains("  culprit: sqlservr.exe (PID 2468) listening on 1433 holds 15,873 TIME_WAIT, 97 % of 49152–65535 (loopback churn)"), "{text}");
}

#[test]
fn windows_without_tasklist_falls_back_to_the_port() {
    let r = run(&windows_inputs()[..1]);
    let c = &r.snapshots[0].culprits[0];
    assert_eq!((c.port, c.pid), (1433, Some(2468)));
    assert_eq!(c.process_source, Some(ProcessSource::WellKnownPort));
    assert_eq!(c.process.as_deref(), Some("SQL Server"));
}

#[test]
fn linux_postgres_client_churn_is_named() {
    let r = run(&linux_inputs());
    assert_eq!(r.snapshots.len(), 1);
    assert_eq!(r.process_tables[0].kind, DumpKind::PsAux);
    assert_eq!(r.process_tables[0].processes, 27);
    let s = &r.snapshots[0];
    assert_eq!(s.kind, DumpKind::Ss);
    // `date -Iseconds` line at the top wins over the (absent) mtime.
    assert_eq!(
        s.time,
        Some(Utc.with_ymd_and_hms(2019, 8, 21, 3, 47, 20).unwrap())
    );
    assert_eq!(s.time_source, Some(TimeSource::File));
    assert_eq!(s.malformed_rows, 0);
    assert_eq!(s.states["TIME_WAIT"], 25_000 + 600 + 150);
    assert_eq!(s.states["ESTABLISHED"], 16 + 6 + 40 + 1);
    assert_eq!(s.states["LISTENING"], 6);
    assert_eq!(s.ephemeral_range, (32768, 60999));
    // 25,000 TIME-WAIT + 8 pooled ESTAB toward 127.0.0.1:5432 out of 28,232 ports.
    assert_eq!(s.ephemeral_in_use_ratio, 0.8858);
    assert_eq!(s.ephemeral_in_use, 25_008 + 606 + 150);

    let c = &s.culprits[0];
    assert_eq!(c.port, 5432);
    assert_eq!(c.pid, Some(812));
    assert_eq!(c.process.as_deref(), Some("postgres"));
    assert_eq!(c.process_source, Some(ProcessSource::SsP));
    assert_eq!(c.side, Side::ClientToListener);
    assert_eq!((c.time_wait, c.established), (25_000, 8));
    assert_eq!(c.share, 0.8858);
    assert!(c.loopback);
    // The churners are the php-fpm workers holding the ESTABLISHED client sockets.
    assert_eq!(c.clients, vec!["php-fpm (8 processes)".to_string()]);
    assert_eq!(
        culprit_sentence(c, s.ephemeral_range),
        "postgres (PID 812) listening on 5432 holds 25,000 TIME_WAIT, 89 % of 32768–60999"
    );

    let redis = &s.culprits[1];
    assert_eq!(redis.side, Side::Remote);
    assert_eq!(redis.endpoint.as_deref(), Some("10.0.0.7:6379"));
    assert_eq!((redis.time_wait, redis.established), (600, 6));
    // Toward a remote host the TIME_WAIT sit on our client sockets: the local program
    // making the connections (the php-fpm workers) is what to look at; Redis describes the
    // remote.
    assert_eq!(redis.process.as_deref(), Some("php-fpm"));
    assert_eq!(redis.pid, None, "8 worker processes: no single PID");
    assert_eq!(redis.remote_service.as_deref(), Some("Redis"));
    assert!(!redis.loopback);

    let fpm = &s.culprits[2];
    assert_eq!((fpm.port, fpm.pid, fpm.time_wait), (9000, Some(1500), 150));
    assert_eq!(fpm.process.as_deref(), Some("php-fpm"));
}

#[test]
fn linux_without_ss_users_uses_the_ps_table() {
    let mut inputs = linux_inputs();
    // `ss -tan` (no -p): drop the users:(…) column; postgres' name must then come from ps.
    inputs[0].text = inputs[0]
        .text
        .lines()
        .map(|l| match l.find("users:(") {
            Some(at) => format!("{}\n", l[..at].trim_end()),
            None => format!("{l}\n"),
        })
        .collect();
    let r = run(&inputs);
    let c = &r.snapshots[0].culprits[0];
    // Without -p there is no PID for the listener either: only the port hint is left.
    assert_eq!((c.port, c.pid), (5432, None));
    assert_eq!(c.process.as_deref(), Some("PostgreSQL"));
    assert_eq!(c.process_source, Some(ProcessSource::WellKnownPort));
}

#[test]
fn both_hosts_together_pair_tables_by_directory() {
    let mut inputs = linux_inputs();
    inputs.extend(windows_inputs());
    let r = run(&inputs);
    assert_eq!(r.snapshots.len(), 2);
    assert_eq!(r.process_tables.len(), 2);
    // Sorted by path: linux first.
    assert_eq!(
        r.snapshots[0].culprits[0].process.as_deref(),
        Some("postgres")
    );
    assert_eq!(
        r.snapshots[1].culprits[0].process.as_deref(),
        Some("sqlservr.exe")
    );
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json["snapshots"][1]["culprits"][0]["side"],
        "client-to-listener"
    );
    assert_eq!(json["snapshots"][1]["kind"], "netstat-windows");
    assert_eq!(json["snapshots"][0]["time"], "2019-08-21T03:47:20Z");
}

//! Sample dumps and helpers shared by the unit tests of the `sockets` files: the founding
//! Windows case (`netstat -ano`, `-anob`, `tasklist`), Linux `netstat -tanp` and `ss -tanp`,
//! and shortcuts from text to a parsed dump, a table or one snapshot.

use chrono::FixedOffset;

use super::parse::{parse_dump, Parsed, ProcTable, SocketDump};
use super::row::Ep;
use super::{analyze, sniff, DumpInput, Snapshot, SocketConfig};

pub(super) fn zone(hours: i32) -> FixedOffset {
    FixedOffset::east_opt(hours * 3600).unwrap()
}

pub(super) fn input(path: &str, text: &str) -> DumpInput {
    DumpInput {
        path: path.to_string(),
        text: text.to_string(),
        mtime: None,
    }
}

pub(super) fn dump(text: &str) -> SocketDump {
    let kind = sniff(text).expect("should sniff as a dump");
    match parse_dump("t", text, kind) {
        Parsed::Sockets(d) => d,
        Parsed::Procs(_) => panic!("expected a socket dump"),
    }
}

pub(super) fn table(text: &str) -> ProcTable {
    let kind = sniff(text).expect("should sniff as a table");
    match parse_dump("t", text, kind) {
        Parsed::Procs(t) => t,
        Parsed::Sockets(_) => panic!("expected a process table"),
    }
}

pub(super) fn snap(inputs: &[DumpInput]) -> Snapshot {
    let mut r = analyze(inputs, &SocketConfig::default(), zone(0));
    assert_eq!(r.snapshots.len(), 1, "one snapshot expected");
    r.snapshots.remove(0)
}

pub(super) fn state(s: &Snapshot, name: &str) -> usize {
    s.states.get(name).copied().unwrap_or(0)
}

pub(super) fn ep(ip: &str, port: u16) -> Ep {
    Ep {
        ip: ip.parse().unwrap(),
        port,
    }
}

pub(super) const WIN_ANO: &str = "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       884\r\n  TCP    0.0.0.0:1433           0.0.0.0:0              LISTENING       2468\r\n  TCP    127.0.0.1:50001        127.0.0.1:1433         TIME_WAIT       0\r\n  TCP    127.0.0.1:50002        127.0.0.1:1433         TIME_WAIT       0\r\n  TCP    127.0.0.1:50003        127.0.0.1:1433         ESTABLISHED     3120\r\n  TCP    127.0.0.1:1433         127.0.0.1:50003        ESTABLISHED     2468\r\n  TCP    [::]:1433              [::]:0                 LISTENING       2468\r\n  TCP    [::1]:1433             [::1]:50010            TIME_WAIT       0\r\n  UDP    0.0.0.0:123            *:*                                    1100\r\n  UDP    [::]:123               *:*                                    1100\r\n";

pub(super) const WIN_ANOB: &str = "Active Connections\n\n  Proto  Local Address          Foreign Address        State           PID\n  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       884\n  RpcSs\n [svchost.exe]\n  TCP    0.0.0.0:1433           0.0.0.0:0              LISTENING       2468\n [sqlservr.exe]\n  TCP    0.0.0.0:445            0.0.0.0:0              LISTENING       4\n Can not obtain ownership information\n  TCP    127.0.0.1:50001        127.0.0.1:1433         TIME_WAIT       0\n  TCP    127.0.0.1:50002        127.0.0.1:1433         TIME_WAIT       0\n  UDP    0.0.0.0:500            *:*                                    3000\n  IKEEXT\n [svchost.exe]\n";

pub(super) const LINUX_NETSTAT: &str = "Active Internet connections (servers and established)\nProto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name\ntcp        0      0 127.0.0.1:5432          0.0.0.0:*               LISTEN      812/postgres\ntcp        0      0 10.0.0.5:43210          10.0.0.9:5432           TIME_WAIT   -\ntcp        0      0 127.0.0.1:33001         127.0.0.1:5432          TIME_WAIT   -\ntcp        0      0 127.0.0.1:33002         127.0.0.1:5432          ESTABLISHED 1234/java\ntcp6       0      0 :::8080                 :::*                    LISTEN      1234/java\ntcp6       0      0 ::ffff:10.0.0.5:8080    ::ffff:10.0.0.7:51000   ESTABLISHED 1234/java\nudp        0      0 0.0.0.0:68              0.0.0.0:*                           700/dhclient\nActive UNIX domain sockets (servers and established)\nProto RefCnt Flags       Type       State         I-Node   PID/Program name     Path\nunix  2      [ ACC ]     STREAM     LISTENING     12345    1/systemd            /run/systemd/private\n";

pub(super) const SS_TANP: &str = "State      Recv-Q Send-Q Local Address:Port   Peer Address:Port  Process\nLISTEN     0      128        127.0.0.1:5432        0.0.0.0:*      users:((\"postgres\",pid=812,fd=5))\nLISTEN     0      128             [::]:22             [::]:*      users:((\"sshd\",pid=640,fd=4))\nLISTEN     0      128                *:9000              *:*      users:((\"php-fpm\",pid=1500,fd=7),(\"php-fpm\",pid=1501,fd=7))\nESTAB      0      0          127.0.0.1:33010     127.0.0.1:5432   users:((\"php-fpm\",pid=1501,fd=9))\nTIME-WAIT  0      0          127.0.0.1:33011     127.0.0.1:5432\nTIME-WAIT  0      0   [::ffff:127.0.0.1]:33012   [::ffff:127.0.0.1]:5432\nCLOSE-WAIT 1      0           10.0.0.5:40000      10.0.0.7:6379   users:((\"php-fpm\",pid=1502,fd=11))\nSYN-SENT   0      1           10.0.0.5:40001      10.0.0.7:6379   users:((\"php-fpm\",pid=1502,fd=12))\n";

pub(super) const TASKLIST: &str = "\r\nImage Name                     PID Session Name        Session#    Mem Usage\r\n========================= ======== ================ =========== ============\r\nSystem Idle Process              0 Services                   0          8 K\r\nSystem                           4 Services                   0      9,124 K\r\nsqlservr.exe                  2468 Services                   0    412,884 K\r\njava.exe                      3120 Console                    1  1,048,576 K\r\n";

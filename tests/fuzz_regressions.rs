//! Fuzz regressions and a stand-in fuzzer (issue 7).
//!
//! - Every input saved under `tests/data/fuzz/<target>/` (crashes, timeouts and slow units
//!   found by the cargo-fuzz targets in `fuzz/`) is replayed through the same entry point.
//! - The entry points also run on random bytes and on random log-shaped lines under proptest,
//!   so machines without nightly/libFuzzer still exercise them on every `cargo test`.

use proptest::prelude::*;
use std::path::Path;
use std::time::{Duration, Instant};

fn replay(target: &str, f: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fuzz")
        .join(target);
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            continue;
        }
        let data = std::fs::read(&p).unwrap();
        let t0 = Instant::now();
        f(&data);
        // Release-mode libFuzzer flagged these at >1 s; a debug build gets some slack.
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "{}: {:?}",
            p.display(),
            t0.elapsed()
        );
        n += 1;
    }
    eprintln!("{target}: replayed {n} saved inputs");
}

#[test]
fn saved_record_time_inputs() {
    replay("record_time", faultscope::fuzzing::record_time);
}

#[test]
fn saved_socket_dump_inputs() {
    replay("socket_dump", faultscope::fuzzing::socket_dump);
}

/// Fragments that steer random lines into the parsers' interesting branches.
const FRAGMENTS: &[&str] = &[
    "2019-08-21 08:47:10.412",
    "2019-08-21T08:47:10+08:00",
    "2019-08-21T08:47:10.123456789Z",
    "2019/08/21 08:47:10",
    "[21/Aug/2019:08:47:10 +0800]",
    "[Wed Aug 21 08:47:10.123 2019]",
    "Wed Aug 21 08:47:10 CST 2019",
    "21-Aug-2019 08:47:10.412",
    "{\"@timestamp\":\"2019-08-21T08:47:10.412Z\",\"ts\":1566348430.5}",
    "{\"time\":1566348430412}",
    "2019-02-29 25:61:61,999",
    "9999-12-31 23:59:59.999",
    "0000-01-01 00:00:00.000",
    "2019-03-10 02:30:00.000",
    "2019-11-03 01:30:00.000",
    "  TCP    10.0.0.5:49152    10.0.0.9:1433    TIME_WAIT       2468",
    "  TCP    0.0.0.0:1433    0.0.0.0:0    LISTENING    2468",
    "Proto  Local Address          Foreign Address        State           PID",
    "Active Connections",
    "State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process",
    "TIME-WAIT 0 0 10.0.0.5:51234 10.0.0.9:5432 users:((\"java\",pid=77,fd=3))",
    "Image Name                     PID Session Name        Session#    Mem Usage",
    "sqlservr.exe                  2468 Services                   0    812,344 K",
    "  PID TTY      STAT   TIME COMMAND",
    "UID        PID  PPID  C STIME TTY          TIME CMD",
    "\tat a.b.C(C.java:1)",
    "Caused by: java.net.ConnectException: Connection refused",
    " ERROR 1 --- [main] a.B : x",
    "\r",
    "\u{1b}[31m",
    "\u{feff}",
    "\0\0\0",
    "é",
];

fn log_like() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        (
            proptest::sample::select(FRAGMENTS),
            proptest::collection::vec(any::<u8>(), 0..6),
            any::<bool>(),
        ),
        0..40,
    )
    .prop_map(|parts| {
        let mut out = Vec::new();
        for (frag, noise, nl) in parts {
            out.extend_from_slice(frag.as_bytes());
            out.extend_from_slice(&noise);
            if nl {
                out.push(b'\n');
            }
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn record_time_on_random_bytes(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        faultscope::fuzzing::record_time(&data);
    }

    #[test]
    fn record_time_on_log_like_lines(data in log_like()) {
        faultscope::fuzzing::record_time(&data);
    }

    #[test]
    fn socket_dump_on_random_bytes(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        faultscope::fuzzing::socket_dump(&data);
    }

    #[test]
    fn socket_dump_on_dump_like_lines(data in log_like()) {
        faultscope::fuzzing::socket_dump(&data);
    }
}

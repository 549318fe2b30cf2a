//! Micro-benchmarks of the scan's hot paths (issue 8): record-boundary search, timestamp
//! parsing and clustering. Run with `cargo bench --bench hot_paths`.
//!
//! The whole-corpus comparison with ripgrep lives in `bench/run.sh`; these isolate the
//! per-hit work so a regression shows up with its cause.

use chrono::{DateTime, Duration};
use faultscope::catalog::Catalog;
use faultscope::scan::Hit;
use faultscope::{record, time};

fn main() {
    divan::main();
}

fn trace_buffer() -> Vec<u8> {
    let mut b = b"2019-08-21 08:47:10.412  WARN 5120 --- [nio-8080-exec-7] o.s.c.n.z.filters.post.SendErrorFilter   : Error during filtering\n".to_vec();
    b.extend_from_slice(b"com.netflix.zuul.exception.ZuulException: Forwarding error\n");
    for i in 0..60 {
        b.extend_from_slice(
            format!("\tat com.example.Frame{i}.call(Frame{i}.java:{i})\n").as_bytes(),
        );
    }
    b.extend_from_slice(b"Caused by: java.net.SocketException: No buffer space available (maximum connections reached?): connect\n");
    b
}

/// Walk back from a `Caused by:` line 62 lines below its record head.
#[divan::bench]
fn record_head_walk_back(bencher: divan::Bencher) {
    let buf = trace_buffer();
    let pos = buf.len() - 10;
    bencher.bench(|| {
        let ls = record::line_start(&buf, pos);
        record::find_head(divan::black_box(&buf), ls, Some(time::Format::BootLogback))
    });
}

#[divan::bench(args = [
    "2019-08-21 08:00:04.053  INFO 4321 --- [main] c.e.App : hi",
    "2019-08-21 11:00:01,628 INFO  [main] c.e.Job - x",
    "2019-08-21T16:02:06.452+08:00 msg",
    "2019/08/21 08:07:25 [error] 8768#14324: *3 connect() failed",
    "192.168.2.20 - - [28/Jul/2006:10:27:10 -0300] \"GET / HTTP/1.0\" 200 3395",
    "{\"@timestamp\":\"2019-08-21T08:00:03.123+08:00\",\"level\":\"INFO\",\"message\":\"x\"}",
    "Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown",
    "I1012 20:32:36.250791   24371 main.go:11] \"hello world\"",
    "- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond[2915]: x",
    "Sun Jun 30 12:46:00 CST 2019 x",
])]
fn timestamp_parse_any(line: &str) -> Option<(time::RawStamp, time::Format)> {
    time::parse_any(divan::black_box(line.as_bytes()))
}

/// The per-line syntactic header check of the scan (runs on every line), for a stamped line
/// and a stack-frame continuation line.
#[divan::bench(args = [
    "2019-08-21 08:00:04.053  INFO 4321 --- [main] c.e.App : hi",
    "\tat com.example.Frame1.call(Frame1.java:1)",
    "Caused by: java.net.SocketException: No buffer space available",
])]
fn quick_header_check(bencher: divan::Bencher, line: &str) {
    let rule = time::ZoneRule {
        zone: time::Zone::parse("UTC").unwrap(),
        reason: time::ZoneReason::Flag,
        aliases: Default::default(),
    };
    let ft = time::FileTime::with_layouts(vec![time::Layout::at0(time::Format::BootLogback)], rule);
    bencher.bench(|| ft.quick(divan::black_box(line.as_bytes())));
}

/// Learning a 32 MiB year-less syslog file's time context: detection plus the year pre-pass
/// (sampled: only stretches where the month changes are read line by line).
#[divan::bench(sample_count = 10)]
fn file_time_learn_syslog_32m(bencher: divan::Bencher) {
    let mut buf = Vec::with_capacity(33 << 20);
    let mut i = 0u64;
    while buf.len() < 32 << 20 {
        let month = ["Nov", "Dec", "Jan"][(i * 3 / 400_000).min(2) as usize];
        buf.extend_from_slice(
            format!(
                "{month} {:2} {:02}:{:02}:{:02} host sshd[{i}]: Accepted publickey for user from 10.0.0.1\n",
                1 + (i / 20_000) % 28,
                (i / 3600) % 24,
                (i / 60) % 60,
                i % 60
            )
            .as_bytes(),
        );
        i += 1;
    }
    let chunks = faultscope::scan::split_chunks(&buf, 16 << 20);
    let rule = time::ZoneRule {
        zone: time::Zone::parse("UTC").unwrap(),
        reason: time::ZoneReason::Flag,
        aliases: Default::default(),
    };
    bencher.bench(|| {
        time::FileTime::learn(
            divan::black_box(&buf),
            &chunks,
            &time::FileTimeInput {
                path: "messages",
                name: "messages",
                mtime: None,
                year: Some(2020),
            },
            rule.clone(),
        )
    });
}

/// The rate detector over one million dated hits in 20 files (a day; four signatures per
/// file): signals, baselines, windows and incidents, after the scan.
#[divan::bench(sample_count = 10)]
fn cluster_1m_hits(bencher: divan::Bencher) {
    let cat = Catalog::builtin().unwrap();
    let sigs: Vec<u16> = [
        "connect-refused",
        "tcp-port-exhaustion-wsaenobufs",
        "http-5xx-access-log",
        "springboot-started",
    ]
    .iter()
    .map(|id| cat.index_of(id).unwrap() as u16)
    .collect();
    let base = DateTime::from_timestamp(1_566_345_600, 0).unwrap();
    let mut hits: Vec<Hit> = (0..1_000_000u64)
        .map(|i| Hit {
            file: (i % 20) as u32,
            sig: sigs[(i % 4) as usize],
            offset: i * 100,
            line: i + 1,
            record: i * 100,
            time: Some(base + Duration::milliseconds((i * 86) as i64)),
            excerpt: "".into(),
            level: None,
        })
        .collect();
    faultscope::scan::sort_hits(&mut hits);
    let mut out = faultscope::scan::ScanOutput::default();
    for f in 0..20u32 {
        let mine = hits.iter().filter(|h| h.file == f);
        out.files.push(faultscope::scan::FileScan {
            path: format!("svc{f}/app.log"),
            service: format!("svc{f}").into(),
            first: mine.clone().filter_map(|h| h.time).min(),
            last: mine.clone().filter_map(|h| h.time).max(),
            dated_records: mine.clone().count() as u64,
            sig_minutes: mine
                .clone()
                .map(|h| (h.time.unwrap().timestamp().div_euclid(60), h.sig, 1))
                .collect(),
            minutes: mine
                .map(|h| (h.time.unwrap().timestamp().div_euclid(60), 1))
                .collect(),
            ..Default::default()
        });
    }
    out.hits = hits;
    bencher.bench(|| {
        faultscope::analysis::detect::detect(
            divan::black_box(&out),
            &cat,
            &faultscope::analysis::templates::Analysis::default(),
            &|_| false,
            Duration::seconds(120),
            false,
        )
    });
}

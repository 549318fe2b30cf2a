//! Slowness without errors is user impact (issue 19): a run of minutes whose share of slow
//! requests jumps well above the access log's own baseline opens an incident, even when
//! every request answered 200. A steady latency, at any level and with a steady trickle of
//! slow outliers, never does.
//!
//! The logs are nginx `combined` with `$request_time $upstream_response_time` appended (the
//! `upstreaminfo`-like form nginx's docs give for timing), generated here: six hours at
//! ~60 requests a minute, durations drawn around a base latency, one request in 200 slow
//! whatever happens (a report endpoint, a cold cache).

use assert_cmd::Command;
use std::path::Path;

/// Writes `access.log`: `base_ms` typical latency; during `slow` (minutes from the start)
/// `share` of the requests take 20–40 times as long. Every status is 200.
fn write_log(dir: &Path, base_ms: f64, slow: std::ops::Range<u32>, share: f64, seed: u64) {
    write_minutes(dir, 360, base_ms, slow, share, seed)
}

/// [`write_log`] over `minutes` minutes.
fn write_minutes(
    dir: &Path,
    minutes: u32,
    base_ms: f64,
    slow: std::ops::Range<u32>,
    share: f64,
    seed: u64,
) {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut unit = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut out = String::new();
    for minute in 0..minutes {
        let n = 50 + (unit() * 20.0) as u32;
        for k in 0..n {
            let sec = k * 60 / n;
            let (h, m) = (8 + minute / 60, minute % 60);
            let slow_now = slow.contains(&minute) && unit() < share;
            let trickle = unit() < 0.005;
            let ms = if slow_now {
                base_ms * (20.0 + 20.0 * unit())
            } else if trickle {
                base_ms * (10.0 + 30.0 * unit())
            } else {
                base_ms * (0.5 + unit())
            };
            let s = ms / 1000.0;
            out.push_str(&format!(
                "10.1.{}.{} - - [21/Aug/2019:{h:02}:{m:02}:{sec:02} +0000] \"GET /api/orders/{} HTTP/1.1\" 200 {} \"-\" \"okhttp/4.9.0\" {s:.3} {s:.3}\n",
                k % 200,
                minute % 250,
                k * 7 + minute,
                500 + k % 90,
            ));
        }
    }
    std::fs::write(dir.join("access.log"), out).unwrap();
}

/// `scan --format json` of `dir`: (exit code, report).
fn scan(dir: &Path) -> (i32, serde_json::Value) {
    let out = Command::cargo_bin("faultscope")
        .unwrap()
        .args(["scan", "--format", "json", "--tz", "UTC"])
        .arg(dir)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    assert!(
        matches!(code, 0 | 1),
        "{code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn a_latency_jump_without_errors_opens_an_incident() {
    let d = tempfile::tempdir().unwrap();
    // Minutes 200–207: a third of the requests take about a second instead of 30 ms.
    write_log(d.path(), 30.0, 200..208, 0.35, 7);
    let (code, v) = scan(d.path());
    let incidents = v["incidents"].as_array().unwrap();
    assert_eq!(code, 1, "{:#}", v["incidents"]);
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    let inc = &incidents[0];
    assert_eq!(inc["root_cause"]["kind"], "slowness", "{inc:#}");
    // 08:00 + 200 min = 11:20; the window is the slow minutes, to the minute.
    let start = inc["start"].as_str().unwrap();
    let end = inc["end"].as_str().unwrap();
    assert!(
        ("2019-08-21T11:19:00Z".."2019-08-21T11:21:01Z").contains(&start),
        "start {start}"
    );
    assert!(
        ("2019-08-21T11:26:59Z".."2019-08-21T11:29:01Z").contains(&end),
        "end {end}"
    );
    // The slow window finding points at it.
    let slow = v["findings"]["traffic"]["slow"].as_array().unwrap();
    assert_eq!(slow.len(), 1, "{slow:#?}");
    assert_eq!(slow[0]["incidents"][0], inc["id"]);
}

#[test]
fn a_steady_latency_at_any_level_opens_nothing() {
    for (base, seed) in [(3.0, 1), (30.0, 2), (400.0, 3), (2500.0, 4)] {
        let d = tempfile::tempdir().unwrap();
        write_log(d.path(), base, 0..0, 0.0, seed);
        let (code, v) = scan(d.path());
        assert_eq!(code, 0, "base {base} ms: {:#}", v["incidents"]);
        // A short capture (no baseline for the detector): its trickle of slow requests
        // opens nothing either.
        let d = tempfile::tempdir().unwrap();
        write_minutes(d.path(), 30, base, 0..0, 0.0, seed);
        let (code, v) = scan(d.path());
        assert_eq!(code, 0, "30 min, base {base} ms: {:#}", v["incidents"]);
    }
}

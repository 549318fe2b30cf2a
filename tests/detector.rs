//! The rate detector through the binary (issue 20), on generated log files: a steady Poisson
//! trickle of errors at any rate from 0.01 to 10 a minute over hours is no incident (exit 0,
//! the signal listed as chronic when it is), a burst of at least 10× the baseline (and 30
//! events) injected anywhere is found within ±60 s of its start, two bursts an hour apart
//! stay two, one stray error is an isolated event with exit 0, and the result does not
//! depend on `-j` or on the order of the files.

use assert_cmd::Command;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::Value;
use std::path::Path;

#[path = "support/report.rs"]
mod report;
use report::incident_starts;

/// xorshift64*: Poisson streams from a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn poisson(&mut self, per_min: f64, from: f64, to: f64, out: &mut Vec<f64>) {
        let mut t = from;
        loop {
            t += -self.next().ln() / (per_min / 60.0);
            if t >= to {
                break;
            }
            out.push(t);
        }
    }
}

/// A Spring Boot log: an INFO line every 20 s over `span` seconds from 2024-01-01 00:00 UTC,
/// and a refused connection (head + exception line) at each of `errors` (seconds).
fn log(errors: &[f64], span: f64) -> String {
    let mut lines: Vec<(f64, String)> = Vec::new();
    let stamp = |t: f64| {
        let ms = (t * 1000.0) as u64;
        let s = ms / 1000;
        format!(
            "2024-01-01 {:02}:{:02}:{:02}.{:03}",
            s / 3600,
            s / 60 % 60,
            s % 60,
            ms % 1000
        )
    };
    let mut t = 0.0;
    while t < span {
        lines.push((
            t,
            format!("{}  INFO 7 --- [main] c.e.Svc : served\n", stamp(t)),
        ));
        t += 20.0;
    }
    for &e in errors {
        lines.push((
            e,
            format!(
                "{} ERROR 7 --- [pool-1] c.e.Svc : call failed\njava.net.ConnectException: Connection refused (Connection refused)\n",
                stamp(e)
            ),
        ));
    }
    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
    lines.into_iter().map(|l| l.1).collect()
}

fn scan(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let out = Command::cargo_bin("faultscope")
        .unwrap()
        .args(["scan", "--format", "json", "--tz", "UTC"])
        .args(extra)
        .arg(dir)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), v)
}

/// 2024-01-01T00:00:00Z.
const T0: i64 = 1_704_067_200;

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(20),
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(10))]

    /// A steady trickle (0.01–10 a minute, 3–6 hours) is no incident: exit 0.
    #[test]
    fn a_trickle_through_the_binary_is_no_incident(
        seed in 1u64..u64::MAX,
        log_rate in (0.01f64).ln()..(10f64).ln(),
        hours in 3u32..6,
    ) {
        let d = tempfile::tempdir().unwrap();
        let span = f64::from(hours) * 3600.0;
        let mut errors = Vec::new();
        Rng(seed).poisson(log_rate.exp(), 0.0, span, &mut errors);
        std::fs::write(d.path().join("app.log"), log(&errors, span)).unwrap();
        let (code, v) = scan(d.path(), &[]);
        prop_assert_eq!(code, 0, "rate {:.3}/min: {:#}", log_rate.exp(), v["incidents"]);
        prop_assert_eq!(v["incidents"].as_array().unwrap().len(), 0);
        if log_rate.exp() >= 0.1 {
            // Present in every hour: chronic.
            prop_assert!(v["chronic"].as_array().unwrap().iter().any(|c| c["signature"] == "connect-refused"),
                "{:#}", v["chronic"]);
        }
    }

    /// A burst of at least 10× the baseline and 30 events is found within ±60 s.
    #[test]
    fn a_burst_through_the_binary_is_found_at_its_start(
        seed in 1u64..u64::MAX,
        log_rate in (0.01f64).ln()..(3f64).ln(),
        minutes in 2u32..8,
        at in 0.1f64..0.9,
    ) {
        let d = tempfile::tempdir().unwrap();
        let span = 4.0 * 3600.0;
        let lambda = log_rate.exp();
        let dur = f64::from(minutes) * 60.0;
        let rate = (10.0 * lambda).max(30.0 / f64::from(minutes));
        let start = (at * (span - dur)).floor();
        let mut rng = Rng(seed);
        let mut errors = vec![start];
        rng.poisson(lambda, 0.0, span, &mut errors);
        rng.poisson(rate, start, start + dur, &mut errors);
        std::fs::write(d.path().join("app.log"), log(&errors, span)).unwrap();
        let (code, v) = scan(d.path(), &[]);
        prop_assert_eq!(code, 1);
        let want = T0 + start as i64;
        prop_assert!(incident_starts(&v).iter().any(|s| (s - want).abs() <= 60),
            "λ {:.3}/min, {:.1}/min for {} min at {}: {:?}", lambda, rate, minutes, want, incident_starts(&v));
        let inc = &v["incidents"][0];
        prop_assert_eq!(&inc["root_cause"]["signature"], "connect-refused");
        prop_assert!(inc["why"].as_array().unwrap().iter().any(|w| w["signal"] == "connect-refused" && w["how"] == "burst"));
    }
}

#[test]
fn two_bursts_an_hour_apart_stay_two_and_ignore_j_and_file_order() {
    let d = tempfile::tempdir().unwrap();
    let span = 5.0 * 3600.0;
    let mut rng = Rng(42);
    // Two services: a trickle in both, the bursts in `api` (an hour apart) and in `db`.
    let mut api = Vec::new();
    rng.poisson(0.5, 0.0, span, &mut api);
    for s in [3600.0, 7200.0] {
        api.push(s);
        rng.poisson(20.0, s, s + 120.0, &mut api);
    }
    let mut db = Vec::new();
    rng.poisson(0.2, 0.0, span, &mut db);
    db.push(3590.0);
    rng.poisson(15.0, 3590.0, 3700.0, &mut db);
    for (dir, errs) in [("api", &api), ("db", &db)] {
        std::fs::create_dir_all(d.path().join(dir)).unwrap();
        std::fs::write(d.path().join(dir).join("app.log"), log(errs, span)).unwrap();
    }
    let (code, v) = scan(d.path(), &["-j1"]);
    assert_eq!(code, 1);
    assert_eq!(
        incident_starts(&v),
        vec![T0 + 3590, T0 + 7200],
        "{:#}",
        v["incidents"]
    );
    let (_, v3) = scan(d.path(), &["-j3"]);
    assert_eq!(v, v3, "-j1 and -j3 differ");
    // File order: the same logs under swapped names give the same incidents.
    let e = tempfile::tempdir().unwrap();
    for (dir, errs) in [("zz-api", &api), ("aa-db", &db)] {
        std::fs::create_dir_all(e.path().join(dir)).unwrap();
        std::fs::write(e.path().join(dir).join("app.log"), log(errs, span)).unwrap();
    }
    let (_, w) = scan(e.path(), &[]);
    let key = |v: &Value| {
        v["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["start"].clone(),
                    i["end"].clone(),
                    i["root_cause"]["signature"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&v), key(&w));
}

#[test]
fn one_stray_error_is_isolated_and_exits_zero() {
    let d = tempfile::tempdir().unwrap();
    let span = 3.0 * 3600.0;
    std::fs::write(d.path().join("app.log"), log(&[5000.0], span)).unwrap();
    let (code, v) = scan(d.path(), &[]);
    assert_eq!(code, 0, "{:#}", v["incidents"]);
    let iso = v["isolated"].as_array().unwrap();
    assert_eq!(iso.len(), 1, "{:#}", v["isolated"]);
    assert_eq!(iso[0]["signal"], "connect-refused");
    assert!(iso[0]["evidence"]["path"]
        .as_str()
        .unwrap()
        .ends_with("app.log"));
    assert_eq!(v["detector"]["mode"], "baseline");
    // `--fail-on any` (zero tolerance) fails on the isolated event and names it in JUnit;
    // `critical` and `error` gate on incidents only.
    assert_eq!(scan(d.path(), &["--fail-on", "error"]).0, 0);
    let (code, _) = scan(d.path(), &["--fail-on", "any"]);
    assert_eq!(code, 1);
    let out = Command::cargo_bin("faultscope")
        .unwrap()
        .args([
            "scan",
            "--tz",
            "UTC",
            "--format",
            "junit",
            "--fail-on",
            "any",
        ])
        .arg(d.path())
        .output()
        .unwrap();
    let xml = String::from_utf8_lossy(&out.stdout);
    assert!(
        xml.contains("isolated events") && xml.contains("connect-refused @ "),
        "{xml}"
    );
}

#[test]
fn a_ten_minute_excerpt_is_a_short_capture_and_says_so() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("app.log"),
        log(&[120.0, 121.0, 122.5, 124.0], 600.0),
    )
    .unwrap();
    let (code, v) = scan(d.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(v["detector"]["mode"], "short-capture");
    assert_eq!(incident_starts(&v), vec![T0 + 120]);
    assert_eq!(v["incidents"][0]["why"][0]["how"], "short-capture");
    let out = Command::cargo_bin("faultscope")
        .unwrap()
        .args(["scan", "--tz", "UTC"])
        .arg(d.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("short capture: no baseline"), "{text}");
}

/// `t` seconds from T0 as nginx's `$time_local` in UTC.
fn clf_stamp(t: f64) -> String {
    chrono::DateTime::from_timestamp(T0 + t as i64, 0)
        .unwrap()
        .format("%d/%b/%Y:%H:%M:%S +0000")
        .to_string()
}

/// `t` seconds from T0 as Python logging's default `asctime` (naive, read with --tz UTC).
fn py_stamp(t: f64) -> String {
    let ms = (t * 1000.0) as i64;
    chrono::DateTime::from_timestamp_millis(T0 * 1000 + ms)
        .unwrap()
        .format("%Y-%m-%d %H:%M:%S,%3f")
        .to_string()
}

/// A second stack and format: an nginx access log (requests at `rpm` a minute, each failing
/// with 502 at probability `fail`, or `outage_fail` inside `outage`) and a Python worker's
/// log (INFO every 30 s, `psycopg2.OperationalError ... Connection refused` at `err` a
/// minute, 20 a minute inside `outage`). Returns the first outage record's second.
fn python_stack(
    dir: &Path,
    rng: &mut Rng,
    (rpm, fail, err): (f64, f64, f64),
    span: f64,
    outage: Option<(f64, f64)>,
) -> Option<f64> {
    let inside = |t: f64| outage.is_some_and(|(a, b)| t >= a && t < b);
    let mut first: Option<f64> = None;
    let mut note = |t: f64| first = Some(first.map_or(t, |f: f64| f.min(t)));
    let mut reqs = Vec::new();
    rng.poisson(rpm, 0.0, span, &mut reqs);
    let mut access = String::new();
    for t in reqs {
        let p = if inside(t) { 0.6 } else { fail };
        let status = if rng.next() < p {
            if inside(t) {
                note(t);
            }
            502
        } else {
            200
        };
        access.push_str(&format!(
            "10.0.0.{} - - [{}] \"GET /api/items?page={} HTTP/1.1\" {status} 512 \"-\" \"curl/8.0\"\n",
            1 + (t as u64 % 200),
            clf_stamp(t),
            t as u64 % 50
        ));
    }
    let mut errs = Vec::new();
    rng.poisson(err, 0.0, span, &mut errs);
    if let Some((a, b)) = outage {
        let mut burst = Vec::new();
        rng.poisson(20.0, a, b, &mut burst);
        if let Some(&f) = burst.first() {
            note(f);
        }
        errs.extend(burst);
    }
    let mut lines: Vec<(f64, String)> = errs
        .iter()
        .map(|&t| {
            (
                t,
                format!(
                    "{} ERROR worker.sync: sync failed\npsycopg2.OperationalError: could not connect to server: Connection refused\n",
                    py_stamp(t)
                ),
            )
        })
        .collect();
    let mut t = 0.0;
    while t < span {
        lines.push((t, format!("{} INFO worker.sync: batch done\n", py_stamp(t))));
        t += 30.0;
    }
    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (sub, text) in [
        ("nginx", access),
        ("worker", lines.into_iter().map(|l| l.1).collect()),
    ] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        let name = if sub == "nginx" {
            "access.log"
        } else {
            "worker.log"
        };
        std::fs::write(dir.join(sub).join(name), text).unwrap();
    }
    first
}

proptest! {
    #![proptest_config(config(6))]

    /// Another stack and two formats side by side (nginx access log with a steady share of
    /// 502s, a Python worker with a steady trickle of refused connections): the trickles
    /// alone are no incident; a three-minute outage in both is one incident, starting
    /// within ±60 s of its first record.
    #[test]
    fn a_python_stack_trickles_quietly_and_its_outage_is_one_incident(
        seed in 1u64..u64::MAX,
        rpm in 5.0f64..60.0,
        fail in 0.002f64..0.03,
        log_err in (0.05f64).ln()..(3f64).ln(),
    ) {
        let span = 4.0 * 3600.0;
        let params = (rpm, fail, log_err.exp());
        let quiet = tempfile::tempdir().unwrap();
        python_stack(quiet.path(), &mut Rng(seed | 1), params, span, None);
        let (code, v) = scan(quiet.path(), &[]);
        prop_assert_eq!(code, 0, "{:?}: {:#}", params, v["incidents"]);
        let loud = tempfile::tempdir().unwrap();
        let first = python_stack(loud.path(), &mut Rng(seed | 1), params, span, Some((7200.0, 7380.0)))
            .expect("outage records");
        let (code, v) = scan(loud.path(), &[]);
        prop_assert_eq!(code, 1);
        let s = incident_starts(&v);
        prop_assert_eq!(s.len(), 1, "{:?}: {:#}", params, v["incidents"]);
        prop_assert!((s[0] - (T0 + first as i64)).abs() <= 60, "{:?}: {} vs {}", params, s[0], T0 + first as i64);
    }
}

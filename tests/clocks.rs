//! Right times without flags (issue 22), through the binary: zone inference from files that
//! state their offset, at every candidate offset; nothing inferred without such files or
//! from unrelated activity; the founding case without `--tz`; `TZ`; negative offsets;
//! years from dated files; clock skew recovered and corrected; warnings of
//! `inspect --records`.
//!
//! The logs are generated here: an nginx access log (explicit `+0100`) in front of a
//! Spring Boot service that logs most of the same requests in naive local time, with
//! Poisson traffic and two outages.

use assert_cmd::Command;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;

#[path = "support/report.rs"]
mod report;
use report::incident_starts;

fn bin() -> Command {
    let mut c = Command::cargo_bin("faultscope").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    // The machine's zone is a default the inference may replace: make it the same
    // everywhere.
    c.env("TZ", "UTC");
    c
}

fn scan_json(args: &[&str]) -> Value {
    let out = bin().arg("scan").args(args).output().unwrap();
    let code = out.status.code().unwrap();
    assert!(
        code == 0 || code == 1,
        "exit {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

/// A small deterministic generator.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.next()).ln()
    }
}

/// 2024-05-14T06:00:00Z
const T0: i64 = 1_715_666_400;

fn fmt_clf(t: f64, off_min: i64) -> String {
    let d = chrono::DateTime::from_timestamp(t as i64 + off_min * 60, 0).unwrap();
    let sign = if off_min < 0 { '-' } else { '+' };
    format!(
        "{} {sign}{:02}{:02}",
        d.format("%d/%b/%Y:%H:%M:%S"),
        off_min.abs() / 60,
        off_min.abs() % 60
    )
}

fn fmt_naive(t: f64, off_min: i64) -> String {
    let ms = (t * 1000.0).round() as i64 + off_min * 60_000;
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .format("%Y-%m-%d %H:%M:%S%.3f")
        .to_string()
}

/// The outages (UTC seconds from T0) of a system.
fn outages(seed: u64) -> [(f64, f64); 2] {
    let s = (seed % 7) as f64 * 300.0;
    [(6000.0 + s, 90.0), (15000.0 + s, 120.0)]
}

/// Writes `dir/nginx/access.log` (+0100, UTC span `start..start+hours`) and
/// `dir/app/app.log` (naive at `app_off` minutes, most of the same requests, a span that
/// starts and ends a little differently). `app_seed` other than `seed` makes the app an
/// unrelated system.
fn write_system(dir: &Path, app_off: i64, seed: u64, app_seed: u64, app_shift: f64) {
    let mut access = String::new();
    let mut app = String::new();
    let mut g = Lcg(seed);
    let mut ga = Lcg(app_seed ^ 0x9e37);
    let ours = outages(seed);
    let theirs = outages(app_seed);
    let in_out = |t: f64, o: &[(f64, f64); 2]| {
        o.iter()
            .any(|&(s, d)| t - T0 as f64 >= s && t - T0 as f64 <= s + d)
    };
    let mut t = T0 as f64;
    let end = T0 as f64 + 6.0 * 3600.0;
    while t < end {
        t += g.exp(2.0);
        let failing = in_out(t, &ours);
        let status = if failing { 502 } else { 200 };
        let _ = writeln!(
            access,
            "10.0.0.{} - - [{}] \"GET /api/orders/{} HTTP/1.1\" {status} 512 \"-\" \"okhttp/4.12\"",
            (t as i64) % 250,
            fmt_clf(t, 60),
            (t as i64) % 9973
        );
    }
    // The app: the same requests when it is the same system (its log starts and ends
    // `app_shift` seconds later), its own otherwise.
    let same = seed == app_seed;
    let mut t = if same {
        T0 as f64
    } else {
        T0 as f64 + app_shift
    };
    let (from, end) = (T0 as f64 + app_shift, end + app_shift);
    let mut g2 = Lcg(seed);
    while t < end {
        t += if same { g2.exp(2.0) } else { ga.exp(2.0) };
        if t > end {
            break;
        }
        if t < from {
            continue;
        }
        let failing = in_out(t, if same { &ours } else { &theirs });
        if failing {
            let _ = writeln!(
                app,
                "{} ERROR 4242 --- [nio-8080-exec-3] c.e.orders.OrderClient : I/O error on GET request for \"http://inventory:8080/stock\": Connection refused (Connection refused); nested exception is java.net.ConnectException: Connection refused (Connection refused)",
                fmt_naive(t + 0.005, app_off)
            );
        } else if ga.next() < 0.8 {
            let _ = writeln!(
                app,
                "{}  INFO 4242 --- [nio-8080-exec-3] c.e.orders.web.RequestLog : GET /api/orders 200",
                fmt_naive(t + 0.005, app_off)
            );
        }
    }
    std::fs::create_dir_all(dir.join("nginx")).unwrap();
    std::fs::create_dir_all(dir.join("app")).unwrap();
    std::fs::write(dir.join("nginx/access.log"), access).unwrap();
    std::fs::write(dir.join("app/app.log"), app).unwrap();
}

fn inference<'a>(r: &'a Value, file: &str) -> Option<&'a Value> {
    r["clock"]["inferences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with(file))
}

/// Every candidate offset, −12:00 … +14:00 in 15-minute steps (+05:30 and +05:45
/// included), is recovered for a naive app log beside an access log that states `+0100`,
/// and the incidents land where they happened.
#[test]
fn zone_inferred_at_every_offset() {
    let tmp = tempfile::tempdir().unwrap();
    for (k, off) in (-48..=56).map(|q| q * 15).enumerate() {
        let dir = tmp.path().join(format!("o{k}"));
        write_system(&dir, off, 11 + k as u64, 11 + k as u64, 120.0);
        let r = scan_json(&["--format", "json", dir.to_str().unwrap()]);
        let i = inference(&r, "app.log").unwrap_or_else(|| panic!("offset {off}: {r}"));
        let want = chrono::FixedOffset::east_opt(off as i32 * 60)
            .unwrap()
            .to_string();
        assert_eq!(i["offset"], want.as_str(), "offset {off}: {i}");
        assert_eq!(i["applied"], true, "offset {off}: {i}");
        assert!(i["confidence"].as_f64().unwrap() >= 0.999, "{i}");
        // The header states it, and the outage starts where it did (±15 s).
        let z = &r["clock"]["naive_zones"][0];
        if off != 0 {
            assert_eq!(z["source"], "inferred", "{z}");
            assert_eq!(r["timezone_reason"], "inferred");
        }
        let first = outages(11 + k as u64)[0].0 as i64 + T0;
        let starts = incident_starts(&r);
        assert!(
            starts.iter().any(|s| (s - first).abs() <= 15),
            "offset {off}: starts {starts:?}, want {first}"
        );
    }
}

/// Without a file that states its offset nothing is inferred: the naive times stay in the
/// default zone (here `TZ`), and the header says so.
#[test]
fn nothing_inferred_without_witnesses() {
    let tmp = tempfile::tempdir().unwrap();
    write_system(tmp.path(), 480, 5, 5, 60.0);
    std::fs::remove_dir_all(tmp.path().join("nginx")).unwrap();
    let r = scan_json(&["--format", "json", tmp.path().to_str().unwrap()]);
    assert_eq!(r["clock"]["inferences"], serde_json::json!([]));
    assert_eq!(r["clock"]["naive_zones"][0]["source"], "tz-env");
    assert_eq!(r["timezone_reason"], "tz-env");
}

/// An app log of another system (its own traffic and outages, another span) beside the
/// access log: no confident inference, whatever the seed; its zone stays the default and a
/// warning says why.
#[test]
fn unrelated_activity_is_not_inferred() {
    let tmp = tempfile::tempdir().unwrap();
    for seed in 0..6u64 {
        let dir = tmp.path().join(format!("s{seed}"));
        write_system(&dir, 330, 100 + seed, 900 + seed, 37.0 * 60.0);
        let r = scan_json(&["--format", "json", dir.to_str().unwrap()]);
        if let Some(i) = inference(&r, "app.log") {
            assert_eq!(i["applied"], false, "seed {seed}: {i}");
        }
        assert_ne!(r["timezone_reason"], "inferred", "seed {seed}");
    }
}

/// The founding case without `--tz` gives the incidents `--tz Asia/Shanghai` gives.
#[test]
fn founding_case_without_tz() {
    let key = |r: &Value| -> Vec<(String, String, String)> {
        r["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["start"].as_str().unwrap().to_string(),
                    i["end"].as_str().unwrap().to_string(),
                    i["root_cause"]["signature"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let with = scan_json(&[
        "--format",
        "json",
        "--tz",
        "Asia/Shanghai",
        "fixtures/founding-case",
    ]);
    let without = scan_json(&["--format", "json", "fixtures/founding-case"]);
    assert_eq!(key(&with).len(), 4);
    assert_eq!(key(&with), key(&without));
    assert_eq!(without["assumed_timezone"], "+08:00");
    assert_eq!(without["timezone_reason"], "inferred");
    assert_eq!(without["summary"]["first"], with["summary"]["first"]);
    // Every format's header says where the zone came from.
    let text = bin()
        .args(["scan", "fixtures/founding-case"])
        .output()
        .unwrap();
    let head = String::from_utf8(text.stdout).unwrap();
    let first = head.lines().next().unwrap();
    assert!(
        first.contains("naive times read as +08:00, inferred from fixtures/founding-case/"),
        "{first}"
    );
    assert!(first.contains("confidence"), "{first}");
    let md = bin()
        .args(["scan", "--format", "markdown", "fixtures/founding-case"])
        .output()
        .unwrap();
    assert!(String::from_utf8(md.stdout)
        .unwrap()
        .contains("inferred from"));
}

/// `TZ` is honoured like every Unix tool; `--tz` wins over inference; negative offsets are
/// values, not flags.
#[test]
fn tz_environment_and_negative_offsets() {
    let out = bin()
        .env("TZ", "Asia/Shanghai")
        .args(["scan", "fixtures/founding-case"])
        .output()
        .unwrap();
    let first = String::from_utf8(out.stdout).unwrap();
    let first = first.lines().next().unwrap().to_string();
    assert!(first.contains("times in Asia/Shanghai"), "{first}");
    assert!(first.contains("from TZ"), "{first}");
    let r = scan_json(&[
        "--format",
        "json",
        "--tz",
        "-02:00",
        "fixtures/founding-case",
    ]);
    assert_eq!(r["assumed_timezone"], "-02:00");
    assert_eq!(r["timezone_reason"], "flag");
    assert_eq!(r["clock"]["inferences"], serde_json::json!([]));
    bin()
        .args([
            "inspect",
            "--tz",
            "-02:00",
            "fixtures/founding-case/nginx/error.log",
        ])
        .assert()
        .success();
}

/// A syslog copied years after it was written (its mtime says 2030) beside dated logs
/// takes the dated logs' year, and says so.
#[test]
fn years_from_dated_files() {
    let tmp = tempfile::tempdir().unwrap();
    write_system(tmp.path(), 60, 3, 3, 0.0);
    let host = tmp.path().join("host");
    std::fs::create_dir_all(&host).unwrap();
    let mut syslog = String::new();
    for m in 0..300 {
        let t = chrono::DateTime::from_timestamp(T0 + m * 60 + 3600, 0).unwrap();
        let _ = writeln!(
            syslog,
            "{} web1 kernel: nf_conntrack: table full, dropping packet",
            t.format("%b %e %H:%M:%S")
        );
    }
    let p = host.join("messages");
    std::fs::write(&p, syslog).unwrap();
    let f = std::fs::File::options().write(true).open(&p).unwrap();
    f.set_modified(
        chrono::DateTime::parse_from_rfc3339("2030-05-15T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc)
            .into(),
    )
    .unwrap();
    let r = scan_json(&["--format", "json", tmp.path().to_str().unwrap()]);
    let y = &r["clock"]["years"][0];
    assert!(y["path"].as_str().unwrap().ends_with("messages"), "{r}");
    assert_eq!(y["years"], -6);
    let f = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("messages"))
        .unwrap();
    assert!(
        f["first"].as_str().unwrap().starts_with("2024-05-14"),
        "{f}"
    );
}

/// Three services and an access log; every failing request is logged by the access log
/// and by the service that failed it; `app2`'s clock runs 45 s ahead. The skew is found
/// within ±1 s, reported, and removed with `--correct-skew`.
#[test]
fn clock_skew_found_and_corrected() {
    let tmp = tempfile::tempdir().unwrap();
    let mut g = Lcg(77);
    let mut files: [String; 4] = Default::default();
    let skew = [0.0, 0.0, 0.0, 45.0];
    let mut t = T0 as f64;
    let iso = |t: f64| {
        chrono::DateTime::from_timestamp_millis((t * 1000.0) as i64)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string()
    };
    while t < T0 as f64 + 6.0 * 3600.0 {
        t += g.exp(60.0);
        let svc = 1 + (g.next() * 3.0) as usize % 3;
        let _ = writeln!(
            files[0],
            "10.0.0.9 - - [{}] \"GET /api/s{svc} HTTP/1.1\" 502 0 \"-\" \"curl\"",
            fmt_clf(t + 0.02, 0)
        );
        let _ = writeln!(
            files[svc],
            "{} ERROR [main] c.e.S : upstream call failed: Connection refused",
            iso(t + skew[svc] + g.next() * 0.2)
        );
    }
    for (k, name) in ["edge", "app0", "app1", "app2"].iter().enumerate() {
        let d = tmp.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("x.log"), &files[k]).unwrap();
    }
    let dir = tmp.path().to_str().unwrap();
    let r = scan_json(&["--format", "json", dir]);
    let skews = r["clock"]["skews"].as_array().unwrap();
    assert_eq!(skews.len(), 1, "{skews:?}");
    assert_eq!(skews[0]["service"], "app2");
    let s = skews[0]["seconds"].as_f64().unwrap();
    assert!((s - 45.0).abs() <= 1.0, "{s}");
    assert_eq!(skews[0]["applied"], false);
    let fixed = scan_json(&["--format", "json", "--correct-skew", dir]);
    assert_eq!(fixed["clock"]["skews"][0]["applied"], true);
    assert_eq!(fixed["clock"]["skew_corrected"], true);
    let last = |r: &Value, name: &str| -> i64 {
        let f = r["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"].as_str().unwrap().contains(name))
            .unwrap();
        chrono::DateTime::parse_from_rfc3339(f["last"].as_str().unwrap())
            .unwrap()
            .timestamp()
    };
    let moved = last(&r, "app2") - last(&fixed, "app2");
    assert!((moved - 45).abs() <= 1, "{moved}");
    assert_eq!(last(&r, "app1"), last(&fixed, "app1"));
}

/// `inspect --records` prints one JSON object per record on stdout, and the warnings a
/// scan would print (an ambiguous `CST`) on stderr.
#[test]
fn inspect_records_warns_on_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("app.log");
    std::fs::write(
        &p,
        "Sun Jun 30 12:46:00 CST 2019 request failed\nSun Jun 30 12:47:00 CST 2019 request failed\n",
    )
    .unwrap();
    let out = bin()
        .args(["inspect", "--records", p.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("`CST` is ambiguous"), "{stderr}");
    assert!(stderr.contains("--tz-alias CST=Asia/Shanghai"), "{stderr}");
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 2);
}

/// The "logs from … to …" of the header is earliest → latest, whatever order the files'
/// records are in.
#[test]
fn header_span_is_earliest_to_latest() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("app.log"),
        "2024-05-14 10:00:00.000 INFO 1 --- [main] a.B : late first\n2024-05-14 08:00:00.000 INFO 1 --- [main] a.B : early\n2024-05-14 12:00:00.000 INFO 1 --- [main] a.B : latest\n2024-05-14 09:00:00.000 INFO 1 --- [main] a.B : last line\n",
    )
    .unwrap();
    let r = scan_json(&["--format", "json", tmp.path().to_str().unwrap()]);
    assert_eq!(r["summary"]["first"], "2024-05-14T08:00:00Z");
    assert_eq!(r["summary"]["last"], "2024-05-14T12:00:00Z");
}

/// One writer, many files: the app's log cut into 72 files of 5 minutes each (a tree of
/// small rotated files), in one directory. No piece is long enough to be lined up alone
/// (30 minutes of overlap at least), yet the writer's pieces together are: every piece
/// gets the writer's zone, and the outage lands where it happened.
#[test]
fn a_writers_small_files_are_inferred_together() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sys");
    write_system(&dir, 330, 5, 5, 60.0);
    let whole = std::fs::read_to_string(dir.join("app/app.log")).unwrap();
    std::fs::remove_file(dir.join("app/app.log")).unwrap();
    // Cut at the minute of each line's naive stamp: piece k holds minutes 5k..5k+4.
    let first =
        chrono::NaiveDateTime::parse_from_str(&whole[..23], "%Y-%m-%d %H:%M:%S%.3f").unwrap();
    let mut pieces: std::collections::BTreeMap<i64, String> = Default::default();
    for line in whole.lines() {
        let t =
            chrono::NaiveDateTime::parse_from_str(&line[..23], "%Y-%m-%d %H:%M:%S%.3f").unwrap();
        let k = (t - first).num_minutes() / 5;
        let p = pieces.entry(k).or_default();
        p.push_str(line);
        p.push('\n');
    }
    assert!(pieces.len() >= 60, "{} pieces", pieces.len());
    for (k, text) in &pieces {
        std::fs::write(dir.join(format!("app/app-{k:03}.log")), text).unwrap();
    }
    let r = scan_json(&["--format", "json", dir.to_str().unwrap()]);
    let infs = r["clock"]["inferences"].as_array().unwrap();
    let apps: Vec<&Value> = infs
        .iter()
        .filter(|i| i["path"].as_str().unwrap().contains("app-"))
        .collect();
    assert_eq!(
        apps.len(),
        pieces.len(),
        "every piece has an inference: {infs:?}"
    );
    for i in apps {
        assert_eq!(i["offset"], "+05:30", "{i}");
        assert_eq!(i["applied"], true, "{i}");
    }
    let want = outages(5)[0].0 as i64 + T0;
    let starts = incident_starts(&r);
    assert!(
        starts.iter().any(|s| (s - want).abs() <= 15),
        "starts {starts:?}, want {want}"
    );
}

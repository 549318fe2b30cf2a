//! End-to-end tests of `faultscope scan` on the founding-case fixture and on small hostile
//! variations of it: the binary is run as a user would run it.

use assert_cmd::Command;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

const CASE: &str = "fixtures/founding-case";

fn bin() -> Command {
    let mut c = Command::cargo_bin("faultscope").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn scan_json(args: &[&str]) -> (Value, i32, String) {
    let out = bin()
        .args(["scan", "--format", "json", "--tz", "+08:00"])
        .args(args)
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (v, code, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn starts(v: &Value) -> Vec<String> {
    v["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["start"].as_str().unwrap().to_string())
        .collect()
}

/// The expected timeline of fixtures/README.md.
const EXPECTED_STARTS: [&str; 4] = [
    "2019-08-21T00:47:10",
    "2019-08-21T01:47:05",
    "2019-08-21T02:47:20",
    "2019-08-21T03:47:02",
];

fn assert_founding_timeline(v: &Value) {
    let incs = v["incidents"].as_array().unwrap();
    assert_eq!(incs.len(), 4, "{:#}", v["incidents"]);
    for (inc, want) in incs.iter().zip(EXPECTED_STARTS) {
        let start = inc["start"].as_str().unwrap();
        assert!(start.starts_with(want), "start {start}, want {want}");
        assert_eq!(
            inc["root_cause"]["signature"], "tcp-port-exhaustion-wsaenobufs",
            "{inc:#}"
        );
        assert_eq!(inc["severity"], "critical");
        let d = inc["duration_seconds"].as_i64().unwrap();
        assert!((28..=34).contains(&d), "duration {d}");
        let services: Vec<&str> = inc["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        for s in ["nginx", "zuul-gateway", "user-service", "order-service"] {
            assert!(services.contains(&s), "{s} missing from {services:?}");
        }
        assert!(!services.contains(&"billing-service"));
        assert_eq!(inc["first_seen"]["service"], "zuul-gateway");
        let chain: Vec<&str> = inc["chain"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(chain[0], "tcp-port-exhaustion-wsaenobufs");
        assert!(chain.contains(&"zuul-numberof-retries-nextserver-exceeded"));
        assert!(
            !chain.contains(&"nginx-static-file-missing"),
            "noise is never in the causal chain"
        );
        let ev = inc["evidence"].as_array().unwrap();
        assert!(!ev.is_empty() && ev.len() <= 3);
        assert_eq!(ev[0]["signature"], "tcp-port-exhaustion-wsaenobufs");
        assert!(ev[0]["line"].as_u64().unwrap() > 0);
        assert!(ev[0]["path"].as_str().unwrap().contains("/"));
    }
}

#[test]
fn founding_case_timeline() {
    let (v, code, _) = scan_json(&[CASE]);
    assert_eq!(code, 1, "incidents found => exit 1");
    assert_eq!(v["schema"], "faultscope/1");
    assert_eq!(v["assumed_timezone"], "+08:00");
    assert_eq!(v["timezone_reason"], "flag");
    assert_founding_timeline(&v);
    assert_eq!(v["undated_hits"], 0);
    // The restart is a marker, never an incident.
    let markers = v["markers"].as_array().unwrap();
    assert!(markers
        .iter()
        .any(|m| m["signature"] == "springboot-starting"
            && m["service"] == "user-service"
            && m["time"]
                .as_str()
                .unwrap()
                .starts_with("2019-08-21T02:05:09")));
    // The red herring is background, outside incidents.
    let bg = v["background"].as_array().unwrap();
    assert!(bg.iter().any(
        |b| b["signature"] == "nginx-static-file-missing" && b["hits"].as_u64().unwrap() > 100
    ));
    // Files: formats detected, the gz read transparently, zones stated.
    let files = v["files"].as_array().unwrap();
    let find = |suffix: &str| {
        files
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(suffix))
            .unwrap_or_else(|| panic!("{suffix} not in files"))
    };
    assert_eq!(find("gateway.log")["format"], "boot-logback");
    assert_eq!(find("billing.log")["format"], "comma-millis");
    assert_eq!(find("access.log")["format"], "clf");
    assert_eq!(find("access.log")["zone_reason"], "explicit");
    assert_eq!(find("error.log")["format"], "nginx-error");
    assert_eq!(find("order-service.json.log")["format"], "json-lines");
    let gz = find("gateway.2019-08-21.0.log.gz");
    assert_eq!(gz["access"], "gzip");
    assert_eq!(gz["service"], "zuul-gateway");
    assert_eq!(gz["lines"], 93);
    assert_eq!(gz["first"], "2019-08-20T23:00:00.123Z");
}

#[test]
fn text_output_reads_as_a_timeline() {
    let out = bin()
        .args(["scan", "--tz", "Asia/Shanghai", CASE])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("faultscope: 4 incidents"), "{text}");
    assert!(
        text.contains("#1  2019-08-21 08:47:10 → 08:47:41"),
        "{text}"
    );
    assert!(text.contains("root cause  tcp-port-exhaustion-wsaenobufs"));
    assert!(text.contains("springboot-starting"));
    assert!(text.contains("summary: 4 incidents"));
    // --display-tz changes only the rendering.
    let out = bin()
        .args(["scan", "--tz", "+08:00", "--display-tz", "UTC", CASE])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("#1  2019-08-21 00:47:10 → 00:47:41"),
        "{text}"
    );
}

#[test]
fn thread_count_does_not_change_output() {
    let a = bin()
        .args(["scan", "--format", "json", "--tz", "+08:00", "-j1", CASE])
        .output()
        .unwrap();
    let b = bin()
        .args(["scan", "--format", "json", "--tz", "+08:00", "-j4", CASE])
        .output()
        .unwrap();
    assert!(!a.stdout.is_empty());
    assert_eq!(a.stdout, b.stdout, "-j1 and -j4 must give identical JSON");
}

/// Rewrites one fixture file: relative path and bytes in, new relative path and bytes out.
type Transform = dyn Fn(&Path, Vec<u8>) -> (PathBuf, Vec<u8>);

fn copy_dir(from: &Path, to: &Path, transform: &Transform) {
    for entry in walkdir(from) {
        let rel = entry.strip_prefix(from).unwrap();
        let data = std::fs::read(&entry).unwrap();
        let (rel2, data2) = transform(rel, data);
        let dst = to.join(rel2);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::write(dst, data2).unwrap();
    }
}

fn walkdir(d: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn fixture_copy(transform: &Transform) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(CASE);
    copy_dir(&root, dir.path(), transform);
    dir
}

fn scan_dir_json(dir: &Path, extra: &[&str]) -> (Value, i32, String) {
    let mut args = vec![dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    scan_json(&args)
}

#[test]
fn crlf_line_endings_give_the_same_timeline() {
    let dir = fixture_copy(&|rel, data| {
        if rel.extension().is_some_and(|e| e == "gz") {
            return (rel.to_path_buf(), data);
        }
        let mut out = Vec::with_capacity(data.len() + data.len() / 50);
        for &b in &data {
            if b == b'\n' {
                out.push(b'\r');
            }
            out.push(b);
        }
        (rel.to_path_buf(), out)
    });
    let (v, code, _) = scan_dir_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_founding_timeline(&v);
    // Evidence text never carries the `\r`.
    for inc in v["incidents"].as_array().unwrap() {
        for e in inc["evidence"].as_array().unwrap() {
            assert!(!e["text"].as_str().unwrap().contains('\r'));
        }
    }
}

#[test]
fn gzip_input_gives_the_same_timeline() {
    let dir = fixture_copy(&|rel, data| {
        if rel.extension().is_some_and(|e| e == "log") {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(&data).unwrap();
            let mut name = rel.as_os_str().to_owned();
            name.push(".1.gz");
            return (PathBuf::from(name), e.finish().unwrap());
        }
        (rel.to_path_buf(), data)
    });
    let (v, code, _) = scan_dir_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_founding_timeline(&v);
    let files = v["files"].as_array().unwrap();
    assert!(files.iter().any(
        |f| f["path"].as_str().unwrap().ends_with("gateway.log.1.gz") && f["access"] == "gzip"
    ));
}

#[test]
fn no_final_newline_keeps_the_last_record() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.log"),
        "2019-08-21 08:00:00.000  INFO 1 --- [main] a.B : ok\n\
         2019-08-21 08:00:01.000 ERROR 1 --- [main] a.B : call failed\n\
         java.net.ConnectException: Connection refused (Connection refused)",
    )
    .unwrap();
    let (v, code, _) = scan_dir_json(dir.path(), &[]);
    // One error record: an isolated event on the timeline, exit 0.
    assert_eq!(code, 0);
    let iso = &v["isolated"][0];
    assert_eq!(iso["signal"], "connect-refused");
    assert_eq!(iso["time"], "2019-08-21T00:00:01Z");
    assert_eq!(iso["evidence"]["line"], 3);
    assert_eq!(v["files"][0]["lines"], 3);
}

#[test]
fn unreadable_and_missing_files_do_not_lose_other_results() {
    // CI runs as root, where chmod does not deny: the open error is injected.
    let out = bin()
        .env("FAULTSCOPE_TEST_OPEN_ERROR", "billing.log")
        .args([
            "scan",
            "--format",
            "json",
            "--tz",
            "+08:00",
            CASE,
            "no/such/dir",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "incidents still found");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_founding_timeline(&v);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("billing.log") && stderr.contains("Permission denied"),
        "{stderr}"
    );
    assert!(stderr.contains("no/such/dir"), "{stderr}");
    let files = v["files"].as_array().unwrap();
    let bad: Vec<&Value> = files.iter().filter(|f| !f["error"].is_null()).collect();
    assert_eq!(bad.len(), 2, "{bad:#?}");
    // Nothing readable at all: exit 2.
    bin()
        .args(["scan", "no/such/dir", "nor/this.log"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no/such/dir"));
}

#[test]
fn exit_codes() {
    // No incident: exit 0.
    bin()
        .args([
            "scan",
            "--tz",
            "UTC",
            "fixtures/founding-case/billing-service",
        ])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("0 incidents"));
    // --exit-zero for pipelines.
    bin()
        .args(["scan", "--exit-zero", "--tz", "UTC", CASE])
        .assert()
        .code(0);
    // Bad flag values: exit 2 with the flag named.
    bin()
        .args(["scan", "--gap", "soon", CASE])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--gap"));
    bin()
        .args(["scan", "--tz", "CST", CASE])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("ambiguous"));
}

#[test]
fn gap_flag_splits_or_merges() {
    let (v, _, _) = scan_json(&["--gap", "2h", CASE]);
    assert_eq!(starts(&v).len(), 1, "2h gap merges the hourly incidents");
    let (v, _, _) = scan_json(&["--gap", "90s", CASE]);
    assert_eq!(starts(&v).len(), 4);
}

#[test]
fn bad_rules_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("rules.toml");
    std::fs::write(
        &p,
        "[[signatures]]\nid = \"mine\"\npatterns = ['(unclosed']\n",
    )
    .unwrap();
    bin()
        .args(["scan", "--rules", p.to_str().unwrap(), CASE])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("rules.toml"))
        .stderr(predicates::str::contains("mine"));
    // A good rules file adds a signature that opens incidents.
    std::fs::write(
        &p,
        "[[signatures]]\nid = \"ledger-lock\"\ntitle = \"Ledger locked\"\nseverity = \"critical\"\nlayer = 2\npatterns = ['LedgerLockException: ledger \\d+ locked']\n",
    )
    .unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::write(
        logs.join("ledger.log"),
        // Three in three seconds: an incident (one line alone is an isolated event).
        "2019-08-21 08:00:00,000 ERROR [batch-7] c.e.Ledger - com.example.LedgerLockException: ledger 42 locked by batch-7\n\
         2019-08-21 08:00:01,000 ERROR [batch-7] c.e.Ledger - com.example.LedgerLockException: ledger 42 locked by batch-7\n\
         2019-08-21 08:00:02,000 ERROR [batch-7] c.e.Ledger - com.example.LedgerLockException: ledger 42 locked by batch-7\n",
    )
    .unwrap();
    let (v, code, _) = scan_json(&["--rules", p.to_str().unwrap(), logs.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(v["incidents"][0]["root_cause"]["signature"], "ledger-lock");
    assert_eq!(v["incidents"][0]["services"][0], "ledger");
}

#[test]
fn undated_hits_are_counted_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("stdout.txt"),
        "starting\njava.net.ConnectException: Connection refused\nbye\n",
    )
    .unwrap();
    let (v, code, stderr) = scan_dir_json(dir.path(), &[]);
    assert_eq!(code, 0, "no dated hit, no incident");
    assert_eq!(v["undated_hits"], 1);
    assert!(stderr.contains("stdout.txt"), "{stderr}");
}

#[test]
fn service_override_and_single_file_root() {
    let (v, _, _) = scan_json(&[
        "--service",
        "**/gateway.log=edge",
        "fixtures/founding-case/zuul-gateway/gateway.log",
    ]);
    assert_eq!(v["files"][0]["service"], "edge");
    let (v, _, _) = scan_json(&["fixtures/founding-case/zuul-gateway/gateway.log"]);
    assert_eq!(v["files"][0]["service"], "gateway");
}

#[test]
fn signatures_listing_and_export() {
    let out = bin().args(["signatures"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().count() > 40);
    assert!(text.contains("tcp-port-exhaustion-wsaenobufs"));
    let out = bin()
        .args(["signatures", "--export-patterns"])
        .output()
        .unwrap();
    let pats = String::from_utf8(out.stdout).unwrap();
    assert!(pats.lines().count() >= 57);
    for p in pats.lines() {
        regex::bytes::Regex::new(p).unwrap_or_else(|e| panic!("{p}: {e}"));
    }
    let out = bin()
        .args(["signatures", "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["signatures"].as_array().unwrap().len() >= 40);
}

#[test]
fn debug_explains_decisions() {
    let out = bin()
        .args(["scan", "--debug", "--tz", "+08:00", CASE])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("format=boot-logback"), "{stderr}");
    assert!(stderr.contains("zone=+08:00 (--tz)"), "{stderr}");
    assert!(stderr.contains("incident #1"), "{stderr}");
    assert!(stderr.contains("prefilter: "), "{stderr}");
}

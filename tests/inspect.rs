//! `faultscope inspect` end to end: text, JSON and NDJSON records.

use assert_cmd::Command;
use std::fs;

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app");
    fs::create_dir(&app).unwrap();
    fs::write(
        app.join("app.log"),
        "2019-08-21 08:00:00.000  INFO 1 --- [main] a.B : start\n\
         2019-08-21 08:00:01.000  WARN 1 --- [main] a.B : boom\n\
         java.net.SocketException: No buffer space available\n\
         \tat java.net.Socket.connect(Socket.java:1)\n\
         AH00558: a line that is neither a record nor a continuation\n\
         2019-08-21 09:30:01.000  INFO 1 --- [main] a.B : after a hole\n\
         2019-08-21 09:00:00.000  INFO 1 --- [main] a.B : back in time\n",
    )
    .unwrap();
    fs::write(
        app.join("java.log"),
        "Sun Jun 30 12:46:00 CST 2019 something failed\n",
    )
    .unwrap();
    dir
}

#[test]
fn text_summary() {
    let dir = fixture();
    let out = Command::cargo_bin("faultscope")
        .unwrap()
        .args(["inspect", "--tz", "+08:00"])
        .arg(dir.path().join("app"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("format     boot-logback"), "{s}");
    assert!(s.contains("zone       +08:00 (--tz)"), "{s}");
    assert!(
        s.contains("records    4 in 7 lines: 4 dated, 0 undated"),
        "{s}"
    );
    assert!(s.contains("59m 59s before line 7"), "{s}");
    assert!(s.contains("1 record(s) go back in time"), "{s}");
    assert!(s.contains("5: AH00558"), "{s}");
    assert!(s.contains("`CST` on 1 record(s)"), "{s}");
    assert!(s.contains("--tz-alias CST=Asia/Shanghai"), "{s}");
}

#[test]
fn json_and_records() {
    let dir = fixture();
    let log = dir.path().join("app").join("app.log");
    let out = Command::cargo_bin("faultscope")
        .unwrap()
        .args(["inspect", "--format", "json", "--tz", "UTC"])
        .arg(&log)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "faultscope-inspect/1");
    let f = &v["files"][0];
    assert_eq!(f["format"], "boot-logback");
    assert_eq!(f["zone"], "UTC");
    assert_eq!(f["zone_reason"], "flag");
    assert_eq!(f["records"], 4);
    assert_eq!(f["dated"], 4);
    assert_eq!(f["first"], "2019-08-21T08:00:00Z");
    assert_eq!(f["out_of_order"], 1);
    assert_eq!(f["first_out_of_order"]["line"], 7);
    assert_eq!(f["gaps"][0]["seconds"], 3599.0);
    assert_eq!(f["unparsed"], 1);

    let out = Command::cargo_bin("faultscope")
        .unwrap()
        .args(["inspect", "--records", "--tz", "+08:00"])
        .arg(&log)
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(lines[0]["time"], "2019-08-21T00:00:00Z");
    assert_eq!(lines[3]["line"], 7);
    assert!(lines[0]["path"].as_str().unwrap().ends_with("app.log"));
}

#[test]
fn scan_offers_the_likely_zone() {
    let dir = tempfile::tempdir().unwrap();
    let nginx = dir.path().join("nginx");
    fs::create_dir(&nginx).unwrap();
    fs::write(
        nginx.join("access.log"),
        "192.168.2.20 - - [21/Aug/2019:08:47:10 +0800] \"GET /api HTTP/1.1\" 500 176\n",
    )
    .unwrap();
    fs::write(
        nginx.join("error.log"),
        "2019/08/21 08:47:10 [error] 8768#14324: *3 upstream timed out (110: Connection timed out)\n",
    )
    .unwrap();
    let out = Command::cargo_bin("faultscope")
        .unwrap()
        .args(["scan", "--exit-zero"])
        .arg(dir.path())
        .env("TZ", "UTC")
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    let local_is_plus8 = err.is_empty();
    if !local_is_plus8 {
        assert!(err.contains("error.log: naive times"), "{err}");
        assert!(err.contains("--tz +08:00"), "{err}");
    }
    // With --tz there is nothing to offer.
    let out = Command::cargo_bin("faultscope")
        .unwrap()
        .args(["scan", "--exit-zero", "--tz", "+08:00"])
        .arg(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!err.contains("likely zone"), "{err}");
}

//! `faultscope sockets` and the host-evidence join inside `faultscope scan`, run as a user
//! would: the founding case must name the culprit process, not just the symptom.

use assert_cmd::Command;
use serde_json::Value;

fn bin() -> Command {
    let mut c = Command::cargo_bin("faultscope").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn json(args: &[&str]) -> (Value, i32) {
    let out = bin().args(args).output().unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (v, out.status.code().unwrap())
}

#[test]
fn scan_names_the_culprit_of_port_exhaustion() {
    let (v, code) = json(&[
        "scan",
        "--format",
        "json",
        "--tz",
        "+08:00",
        "fixtures/founding-case",
    ]);
    assert_eq!(code, 1);
    let snap = &v["sockets"]["snapshots"][0];
    assert_eq!(snap["kind"], "netstat-windows");
    assert_eq!(snap["time"], "2019-08-21T03:47:20.150Z");
    assert_eq!(snap["time_source"], "file");
    assert_eq!(snap["states"]["TIME_WAIT"], 15913);
    assert_eq!(snap["ephemeral_range"], serde_json::json!([49152, 65535]));
    let top = &snap["culprits"][0];
    assert_eq!(top["process"], "sqlservr.exe");
    assert_eq!(top["pid"], 2468);
    assert_eq!(top["port"], 1433);
    assert_eq!(top["time_wait"], 15873);
    let share = top["share"].as_f64().unwrap();
    assert!((0.96..0.98).contains(&share), "{share}");
    for inc in v["incidents"].as_array().unwrap() {
        let c = &inc["culprit"];
        assert_eq!(c["process"], "sqlservr.exe", "{inc:#}");
        assert_eq!(
            c["sentence"],
            "sqlservr.exe (PID 2468) listening on 1433 holds 15,873 TIME_WAIT, 97 % of 49152–65535"
        );
    }
    // The dumps are host evidence, not logs.
    let files = v["files"].as_array().unwrap();
    let kinds: Vec<&str> = files.iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert!(
        kinds.contains(&"netstat-windows") && kinds.contains(&"tasklist"),
        "{kinds:?}"
    );
}

#[test]
fn sockets_subcommand_windows_and_linux() {
    let out = bin()
        .args(["sockets", "fixtures/hosts/windows"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("sqlservr.exe (PID 2468) listening on 1433 holds 15,873 TIME_WAIT"),
        "{text}"
    );
    let (v, code) = json(&["sockets", "--format", "json", "fixtures/hosts/linux"]);
    assert_eq!(code, 0);
    assert_eq!(v["schema"], "faultscope-sockets/1");
    let top = &v["sockets"]["snapshots"][0]["culprits"][0];
    assert_eq!(top["process"], "postgres");
    assert_eq!(top["port"], 5432);
    assert_eq!(
        v["sockets"]["snapshots"][0]["ephemeral_range"],
        serde_json::json!([32768, 60999])
    );
    // A range override changes the share.
    let (v2, _) = json(&[
        "sockets",
        "--format",
        "json",
        "--ephemeral-range",
        "10000-65535",
        "fixtures/hosts/linux",
    ]);
    let s1 = top["share"].as_f64().unwrap();
    let s2 = v2["sockets"]["snapshots"][0]["culprits"][0]["share"]
        .as_f64()
        .unwrap();
    assert!(s2 < s1, "{s2} < {s1}");
}

#[test]
fn sockets_subcommand_rejects_non_dumps() {
    bin()
        .args(["sockets", "fixtures/founding-case/billing-service"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no netstat/ss/tasklist/ps dump"));
    bin()
        .args([
            "sockets",
            "--ephemeral-range",
            "9-1",
            "fixtures/hosts/linux",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--ephemeral-range"));
}

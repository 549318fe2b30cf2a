//! Structured sources through the binary (docs/sources.md): real `.evtx` files (one
//! damaged), journald exports written by `systemd-journal-remote` + `journalctl`, kubectl
//! output, the four Windows export forms, and the Windows port-exhaustion scenario.
//! fixtures/sources/README.md says where each input came from.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;

const DIR: &str = "fixtures/sources";

fn scan(args: &[&str]) -> (Value, i32, String) {
    let out = Command::cargo_bin("faultscope")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["scan", "--format", "json", "--tz", "UTC"])
        .args(args)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        v,
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn path(p: &str) -> String {
    format!("{DIR}/{p}")
}

/// Signature id → hits, over every incident.
fn signatures(v: &Value) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for i in v["incidents"].as_array().unwrap() {
        for (k, n) in i["signatures"].as_object().unwrap() {
            *out.entry(k.clone()).or_default() += n.as_u64().unwrap();
        }
    }
    out
}

/// Service → (records, hits) over the files table.
fn services(v: &Value) -> BTreeMap<String, (u64, u64)> {
    let mut out: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for f in v["files"].as_array().unwrap() {
        let e = out
            .entry(f["service"].as_str().unwrap().to_string())
            .or_default();
        e.0 += f["records"].as_u64().unwrap();
        e.1 += f["hits"].as_u64().unwrap();
    }
    out
}

#[test]
fn real_evtx_records_are_dated_leveled_and_matched_by_event_id() {
    let (v, code, _) = scan(&[&path("evtx/system.evtx")]);
    assert_eq!(
        code, 1,
        "the sample's SCM 7023 and disk 51 events open incidents"
    );
    let f = &v["files"][0];
    assert_eq!(f["access"], "evtx");
    assert_eq!(f["service"], "system");
    assert_eq!(f["records"], 1881, "one record per event");
    assert_eq!(f["dated_records"], 1881);
    assert_eq!(f["first"], "2017-07-12T07:18:24.681Z");
    assert_eq!(f["zone_reason"], "explicit", "TimeCreated is UTC");
    let s = signatures(&v);
    // `Service Control Manager[7023]` and `Disk[51]` carry no message text in the file:
    // they match by provider + event id alone.
    assert!(s.contains_key("windows-service-start-failed"), "{s:?}");
    assert!(s.contains_key("windows-disk-errors"), "{s:?}");
    let evidence = v["incidents"][0]["evidence"].to_string();
    assert!(
        evidence.contains("ERROR Service Control Manager[7023]: param1=Spooler"),
        "{evidence}"
    );
}

#[test]
fn a_damaged_evtx_chunk_is_reported_and_the_rest_is_kept() {
    let (v, _, stderr) = scan(&[
        &path("evtx/sample_with_a_bad_chunk_magic.evtx"),
        &path("evtx/Application_no_crc32.evtx"),
    ]);
    let files = v["files"].as_array().unwrap();
    let bad = files
        .iter()
        .find(|f| f["path"].as_str().unwrap().contains("bad_chunk"))
        .unwrap();
    let err = bad["error"].as_str().unwrap();
    assert!(
        err.contains("sample_with_a_bad_chunk_magic.evtx")
            && err.contains("chunk number 6")
            && err.contains("chunk number 10"),
        "{err}"
    );
    assert!(stderr.contains("damaged evtx"), "{stderr}");
    // The other chunks' 301 records are there (one has no TimeCreated: counted in a
    // warning, not rendered), and so is the other file.
    assert_eq!(bad["records"], 300);
    assert!(
        stderr.contains("1 evtx record(s) without a time"),
        "{stderr}"
    );
    let app = files
        .iter()
        .find(|f| f["path"].as_str().unwrap().contains("Application"))
        .unwrap();
    assert_eq!(app["records"], 17);
    assert!(app["error"].is_null());
}

#[test]
fn the_four_windows_export_forms_read_alike_and_fire_the_windows_entries() {
    let forms = [
        "wevtutil-system.txt",
        "get-winevent-format-list.txt",
        "eventviewer-system.csv",
        "wevtutil-system.xml",
    ];
    let mut seen = Vec::new();
    for form in forms {
        let (v, code, _) = scan(&[&path(&format!("windows/{form}"))]);
        assert_eq!(code, 1, "{form}");
        assert_eq!(v["files"][0]["access"], "win-event", "{form}");
        assert_eq!(v["files"][0]["records"], 19, "{form}");
        seen.push(signatures(&v));
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:#?}");
    for id in [
        "windows-tcpip-4227-4231",
        "windows-service-crashed",
        "windows-service-start-failed",
        "windows-application-error-1000",
        "windows-dotnet-runtime-1026",
        "windows-low-virtual-memory-2004",
        "windows-unexpected-shutdown-6008",
        "windows-kernel-power-41",
        "windows-disk-errors",
        "windows-ntfs-corruption-55",
        "sqlserver-slow-io-833",
        "sqlserver-non-yielding-17883",
        "sqlserver-deadlock-victim",
    ] {
        assert!(seen[0].contains_key(id), "{id} in {:?}", seen[0]);
    }
    assert_eq!(seen[0]["windows-service-crashed"], 2, "7031 and 7034");
    assert_eq!(seen[0]["windows-disk-errors"], 3, "7, 51 and 153");
}

#[test]
fn port_exhaustion_on_windows_names_the_root_cause() {
    let (v, code, _) = scan(&[&path("scenario-windows-ports")]);
    assert_eq!(code, 1);
    let incidents = v["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    let i = &incidents[0];
    assert_eq!(i["root_cause"]["signature"], "windows-tcpip-4227-4231");
    let chain: Vec<&str> = i["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        chain.contains(&"tcp-port-exhaustion-wsaenobufs"),
        "{chain:?}"
    );
    let svcs = i["services"].to_string();
    assert!(
        svcs.contains("APP01") && svcs.contains("orders-api"),
        "{svcs}"
    );
}

#[test]
fn journald_export_and_json_make_one_service_per_unit() {
    let (export, code, _) = scan(&[&path("journald/journal.export")]);
    assert_eq!(code, 1);
    let (json, _, _) = scan(&[&path("journald/journal.json")]);
    // Both forms of the same journal render alike.
    assert_eq!(services(&export), services(&json));
    assert_eq!(signatures(&export), signatures(&json));
    let svc = services(&export);
    assert_eq!(
        svc.keys().collect::<Vec<_>>(),
        ["api", "kernel", "nginx"],
        "units (`.service` dropped), the kernel transport; systemd's lines about \
         api.service (UNIT=) belong to api"
    );
    assert_eq!(svc.values().map(|v| v.0).sum::<u64>(), 107, "every entry");
    let i = &export["incidents"][0];
    assert_eq!(i["root_cause"]["signature"], "linux-oom-killer");
    assert_eq!(export["files"][0]["access"], "journal");
    // The byte-array MESSAGE (not UTF-8) is read: its `panic:` is a hit.
    assert!(signatures(&export).contains_key("go-panic"));
    // PRIORITY became the level word the level pass reads.
    let ev = i["evidence"].to_string();
    assert!(
        ev.contains("WARNING web01 kernel: api invoked oom-killer"),
        "{ev}"
    );
}

#[test]
fn a_service_rule_wins_over_the_units() {
    let (v, _, _) = scan(&[
        "--service",
        "journal.json=web01",
        &path("journald/journal.json"),
    ]);
    assert_eq!(
        services(&v).keys().collect::<Vec<_>>(),
        ["web01"],
        "{:?}",
        services(&v)
    );
}

#[test]
fn journald_text_forms_are_read() {
    for (form, format) in [
        ("short-iso", "journal-short-iso"),
        ("short-precise", "syslog-3164"),
    ] {
        let (v, _, _) = scan(&[&path(&format!("journald/journal.{form}"))]);
        assert_eq!(v["files"][0]["format"], format, "{form}");
        assert_eq!(v["files"][0]["records"], 107, "{form}");
    }
}

/// `short-monotonic` (seconds since boot, real journalctl 252 output without a header) is
/// dated from the file's modification time: the export ran right after its last line.
#[test]
fn journald_short_monotonic_is_anchored_at_the_export_time() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("web01.short-monotonic");
    std::fs::copy(path("journald/journal.short-monotonic"), &p).unwrap();
    let last: chrono::DateTime<chrono::Utc> = "2024-05-14T09:10:47Z".parse().unwrap();
    std::fs::File::options()
        .write(true)
        .open(&p)
        .unwrap()
        .set_modified(last.into())
        .unwrap();
    let (v, _, stderr) = scan(&[p.to_str().unwrap()]);
    let f = &v["files"][0];
    assert_eq!(f["records"], 107);
    assert_eq!(f["first"], "2024-05-14T09:00:00Z");
    assert_eq!(f["last"], "2024-05-14T09:10:47Z");
    assert!(stderr.contains("modification time"), "{stderr}");
    assert_eq!(
        v["incidents"][0]["root_cause"]["signature"], "linux-oom-killer",
        "{:#}",
        v["incidents"]
    );
}

#[test]
fn kubectl_events_json_yaml_and_table_become_records_with_rates() {
    let (j, code, _) = scan(&[&path("kubernetes/events.json")]);
    assert_eq!(code, 1);
    let (y, _, _) = scan(&[&path("kubernetes/events.yaml")]);
    assert_eq!(services(&j), services(&y));
    assert_eq!(signatures(&j), signatures(&y));
    let svc = services(&j);
    // BackOff ×24 + Unhealthy ×9 + Scheduled: the counts expanded into records.
    assert_eq!(svc["web-7d4b9c-x2k4q"].0, 34, "{svc:?}");
    assert_eq!(svc["web"].0, 1, "the Deployment's event");
    assert_eq!(j["files"][0]["access"], "kubernetes");
    // The expanded BackOff occurrences span first → last timestamp.
    let i = &j["incidents"][0];
    assert_eq!(i["end"], "2024-05-14T09:14:00Z");
    // The `-o wide` table: ages counted back from the file's modification time.
    let (t, _, stderr) = scan(&[&path("kubernetes/events-wide.txt")]);
    assert_eq!(services(&t)["web-7d4b9c-x2k4q"].0, 34);
    assert!(stderr.contains("modification time"), "{stderr}");
}

#[test]
fn cluster_info_dump_scans_as_is_one_service_per_pod_and_container() {
    let (v, code, _) = scan(&[&path("kubernetes/cluster-info-dump")]);
    assert_eq!(code, 1);
    let svc = services(&v);
    // pods.json: the OOM kill's `lastState.terminated` is a dated record of the pod.
    let pods = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("pods.json"))
        .unwrap();
    assert_eq!(pods["first"], "2024-05-14T09:05:02Z");
    assert_eq!(pods["service"], "web-7d4b9c-x2k4q");
    assert_eq!(svc["node-a"].0, 1, "nodes.json: the node's condition");
    for s in [
        "web-7d4b9c-x2k4q/web",
        "web-7d4b9c-x2k4q/istio-proxy",
        "orders-5f6d8-abcde",
        "web-7d4b9c-x2k4q",
    ] {
        assert!(svc.contains_key(s), "{s} in {svc:?}");
    }
    let i = &v["incidents"][0];
    assert_eq!(i["root_cause"]["signature"], "k8s-container-restart");
}

#[test]
fn kubectl_logs_timestamps_keep_stack_traces_in_their_record() {
    let (v, _, _) = scan(&[&path("kubernetes/web-timestamps.log")]);
    let f = &v["files"][0];
    assert_eq!(f["lines"], 4);
    assert_eq!(
        f["records"], 2,
        "the exception and its frame continue the ERROR"
    );
}

#[test]
fn parts_are_deterministic_across_thread_counts() {
    let args = |j: &'static str| {
        vec![
            "-j",
            j,
            "fixtures/sources/journald/journal.export",
            "fixtures/sources/kubernetes/cluster-info-dump",
            "fixtures/sources/evtx/system.evtx",
        ]
    };
    let (a, _, _) = scan(&args("1"));
    let (b, _, _) = scan(&args("2"));
    assert_eq!(a["files"], b["files"]);
    assert_eq!(a["incidents"], b["incidents"]);
}

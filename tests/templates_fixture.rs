//! Unknown errors end to end: the `fixtures/unknown-errors` case (fixtures/unknown-errors/
//! README.md states the expected result), a template burst inside a signature incident,
//! the `templates` subcommand, and determinism of template ids for `-j1` and `-j4`.

use assert_cmd::Command;
use proptest::prelude::*;
use serde_json::Value;
use std::path::Path;

const CASE: &str = "fixtures/unknown-errors/logs";
const LOCK_TEMPLATE: &str =
    "Posting failed: com.example.ledger.LedgerLockException: ledger <*> locked by <*>";

fn bin() -> Command {
    let mut c = Command::cargo_bin("faultscope").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn json(args: &[&str]) -> (Value, i32) {
    let out = bin().args(args).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (v, out.status.code().unwrap())
}

#[test]
fn three_lock_bursts_are_incidents_and_sporadic_errors_are_not() {
    let (v, code) = json(&["scan", "--format", "json", "--tz", "UTC", CASE]);
    assert_eq!(code, 1, "incidents found");
    assert_eq!(v["summary"]["hits"], 0, "no catalog signature in this case");
    let incidents = v["incidents"].as_array().unwrap();
    let starts: Vec<&str> = incidents
        .iter()
        .map(|i| i["start"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            "2019-08-21T09:14:03.378Z",
            "2019-08-21T13:37:20.697Z",
            "2019-08-21T19:05:41.418Z"
        ]
    );
    let lock = v["templates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["text"] == LOCK_TEMPLATE)
        .expect("the lock template is listed");
    assert_eq!(lock["level"], "error");
    assert_eq!(lock["bursts"], 3);
    assert_eq!(lock["exception"], "com.example.ledger.LedgerLockException");
    for (n, inc) in incidents.iter().enumerate() {
        let rc = &inc["root_cause"];
        assert_eq!(rc["kind"], "template");
        assert_eq!(rc["signature"], lock["id"]);
        assert_eq!(rc["template"]["id"], lock["id"]);
        assert_eq!(rc["template"]["text"], LOCK_TEMPLATE);
        assert_eq!(
            rc["template"]["exception"],
            "com.example.ledger.LedgerLockException"
        );
        let count = rc["template"]["count"].as_u64().unwrap();
        assert!((6..=9).contains(&count), "#{n}: {count} records");
        assert_eq!(inc["id"], n + 1);
        assert_eq!(inc["services"], serde_json::json!(["ledger"]));
        assert!(inc["new_templates"].as_array().unwrap().is_empty());
        let ev = &inc["evidence"][0];
        assert!(ev["text"].as_str().unwrap().contains("LedgerLockException"));
        assert_eq!(ev["path"], "fixtures/unknown-errors/logs/ledger/ledger.log");
    }
    // The sporadic errors and the warning run are templates, never incidents.
    for text in [
        "Reconciliation skipped for account <*>: statement not yet available",
        "Export of statement <*> to archive incomplete: <*> pages missing",
        "Posting queue above soft limit: <*> pending",
    ] {
        let t = v["templates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["text"] == text)
            .unwrap_or_else(|| panic!("template {text}"));
        assert_eq!(t["bursts"], 0, "{text}");
    }
    let warn = v["templates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["level"] == "warning")
        .unwrap();
    assert_eq!(warn["count"], 8);
}

#[test]
fn burst_min_is_deprecated_and_ignored() {
    // Templates are signals of the rate detector: `--burst-min` no longer changes anything,
    // and says so.
    let with = bin()
        .args([
            "scan",
            "--format",
            "json",
            "--tz",
            "UTC",
            "--burst-min",
            "10",
            CASE,
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&with.stderr);
    assert!(
        stderr.contains("--burst-min is deprecated and ignored"),
        "{stderr}"
    );
    let v: Value = serde_json::from_slice(&with.stdout).unwrap();
    let (plain, code) = json(&["scan", "--format", "json", "--tz", "UTC", CASE]);
    assert_eq!(with.status.code(), Some(code));
    assert_eq!(v["incidents"], plain["incidents"]);
}

#[test]
fn text_report_names_the_template() {
    let out = bin().args(["scan", "--tz", "UTC", CASE]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("3 incidents"), "{text}");
    assert!(
        text.contains("root cause  template:") && text.contains(LOCK_TEMPLATE),
        "{text}"
    );
    assert!(text.contains("unknown errors and warnings: "), "{text}");
}

#[test]
fn templates_subcommand_lists_counts_times_services_and_examples() {
    let (v, code) = json(&["templates", "--format", "json", "--tz", "UTC", CASE]);
    assert_eq!(code, 0);
    assert_eq!(v["schema"], "faultscope-templates/1");
    let ts = v["templates"].as_array().unwrap();
    let lock = ts.iter().find(|t| t["text"] == LOCK_TEMPLATE).unwrap();
    assert_eq!(lock["first"], "2019-08-21T04:02:11.500Z");
    assert_eq!(lock["last"], "2019-08-21T22:48:30.500Z");
    assert_eq!(lock["services"], serde_json::json!(["ledger"]));
    assert_eq!(
        lock["example"]["path"],
        "fixtures/unknown-errors/logs/ledger/ledger.log"
    );
    assert!(lock["example"]["line"].as_u64().unwrap() > 1);
    assert!(lock["id"].as_str().unwrap().starts_with("template:"));
    let out = bin()
        .args(["templates", "--tz", "UTC", CASE])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(LOCK_TEMPLATE), "{text}");
    assert!(text.contains("e.g. fixtures/unknown-errors/logs/ledger/ledger.log:"));
}

#[test]
fn a_burst_inside_a_signature_incident_is_also_new() {
    let dir = tempfile::tempdir().unwrap();
    let svc = dir.path().join("gateway");
    std::fs::create_dir(&svc).unwrap();
    let mut log = String::new();
    // A quiet day, then a signature incident (connection refused) with a flood of an
    // unknown error at the same minute.
    for m in 0..600 {
        log.push_str(&format!(
            "2019-08-21 {:02}:{:02}:00.000  INFO 1 --- [main] c.e.Gw : tick {m}\n",
            m / 60,
            m % 60
        ));
    }
    for s in 0..8 {
        log.push_str(&format!(
            "2019-08-21 10:00:{:02}.000 ERROR 1 --- [main] c.e.Gw : route failed\n\
             java.net.ConnectException: Connection refused (Connection refused)\n\
             2019-08-21 10:00:{:02}.500 ERROR 1 --- [main] c.e.Gw : quota table q{} stale for tenant {}\n",
            s * 3,
            s * 3,
            s,
            s * 7
        ));
    }
    std::fs::write(svc.join("gw.log"), log).unwrap();
    let (v, _) = json(&[
        "scan",
        "--format",
        "json",
        "--tz",
        "UTC",
        dir.path().to_str().unwrap(),
    ]);
    let incidents = v["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    let inc = &incidents[0];
    assert_eq!(inc["root_cause"]["kind"], "signature");
    assert_eq!(inc["root_cause"]["signature"], "connect-refused");
    let new = inc["new_templates"].as_array().unwrap();
    assert_eq!(new.len(), 1, "{new:#?}");
    assert_eq!(new[0]["text"], "quota table <*> stale for tenant <*>");
    assert_eq!(new[0]["count"], 8);
}

/// Scans `dir` on a pool of `threads` threads; returns (template id, text, count) per
/// template, and each template's example and each burst (with its evidence records).
fn mine_with(dir: &Path, threads: usize) -> (Vec<(String, String, u64)>, Vec<String>) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut cfg = faultscope::config::ScanConfig::new(vec![dir.to_path_buf()]).unwrap();
        cfg.tz = faultscope::time::Zone::parse("UTC").unwrap();
        cfg.chunk_size = 64 * 1024;
        let disc = faultscope::input::discover::discover(&cfg.roots, &cfg.discover);
        let out = faultscope::scan::scan(&disc.sources, &cfg);
        let a = faultscope::analysis::templates::analyze(&out.unknown, &|f| {
            &out.files[f as usize].service
        });
        let ids = a
            .templates
            .iter()
            .map(|t| (t.id.clone(), t.text.clone(), t.count))
            .collect();
        // Each template's example record and each burst with its evidence records.
        let per_record = a
            .templates
            .iter()
            .map(|t| format!("{} {}:{}", t.id, t.example.file, t.example.line))
            .chain(
                a.bursts
                    .iter()
                    .map(|b| format!("{:?}", (b.template, b.start, b.end, b.count, &b.firsts))),
            )
            .collect();
        (ids, per_record)
    })
}

const WORDS: [&str; 8] = [
    "ledger", "quota", "cache", "tenant", "account", "batch", "region", "stream",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// The same logs give the same template ids, texts, counts, examples and bursts on one
    /// thread and on four (chunk summaries merge in whatever order threads finish them).
    #[test]
    fn template_ids_do_not_depend_on_threads(
        seed_lines in prop::collection::vec((0usize..3, 0usize..8, 0u32..100_000, 0u8..4), 200..1500),
        files in 1usize..4,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut bodies = vec![String::new(); files];
        for (n, (lvl, w, num, shape)) in seed_lines.iter().enumerate() {
            let level = ["ERROR", "WARN", "INFO"][*lvl];
            let word = WORDS[*w];
            let msg = match shape {
                0 => format!("{word} {num} failed: timeout after {} ms", num % 977),
                1 => format!("cannot open {word} store at /data/{word}/{num}.db"),
                2 => format!("{word} handler gave up on id {num:x} (retries {})", num % 5),
                _ => format!("{word} is degraded"),
            };
            let secs = n as u32 * 7;
            bodies[n % files].push_str(&format!(
                "2019-08-21 {:02}:{:02}:{:02}.000 {level} 1 --- [main] c.e.App : {msg}\n",
                (secs / 3600) % 24, (secs / 60) % 60, secs % 60
            ));
            if n % 11 == 0 {
                bodies[n % files].push_str("com.example.AppException: boom\n\tat a.b.C(C.java:1)\n");
            }
        }
        for (i, b) in bodies.iter().enumerate() {
            let d = dir.path().join(format!("svc{i}"));
            std::fs::create_dir(&d).unwrap();
            // Pad so files cross the 64 KiB chunk size.
            let mut text = b.repeat(1 + 70_000 / (b.len() + 1));
            if text.is_empty() { text.push('\n'); }
            std::fs::write(d.join("app.log"), text).unwrap();
        }
        let one = mine_with(dir.path(), 1);
        let four = mine_with(dir.path(), 4);
        prop_assert_eq!(one, four);
    }
}

//! Scaling out (docs/scaling-out.md): for random sets of log files and any split of them over
//! workers, `faultscope merge` of the workers' `scan --emit partial` results prints the
//! byte-identical JSON report of one `faultscope scan` over all the files, with the same exit
//! code. Splits are made two ways: `--shard I/N` (the hash split every worker computes
//! alone), and arbitrary assignments where each worker sees only its own files in a copy of
//! the tree (what the Spark recipe does for object storage). Mismatched partials are refused.
//!
//! The binary is run as a user runs it; cases are few and files small so this stays fast.

use proptest::prelude::*;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const BIN: &str = env!("CARGO_BIN_EXE_faultscope");
const CASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/founding-case");

/// Lines of the fixture's logs: random files are slices of them (real stamps, multi-line
/// traces, hits of many signatures, access logs and JSON lines).
fn pools() -> &'static Vec<Vec<String>> {
    static P: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    P.get_or_init(|| {
        [
            "zuul-gateway/gateway.log",
            "user-service/user-service.log",
            "nginx/error.log",
            "nginx/access.log",
            "order-service/order-service.json.log",
            "billing-service/billing.log",
            // Error records no signature knows: unknown-error templates and bursts.
            "../unknown-errors/logs/ledger/ledger.log",
        ]
        .iter()
        .map(|f| {
            std::fs::read_to_string(Path::new(CASE).join(f))
                .unwrap()
                .lines()
                .map(String::from)
                .collect()
        })
        .collect()
    })
}

const SERVICES: [&str; 5] = ["", "zuul-gateway", "user-service", "nginx", "svc-é"];
const NAMES: [&str; 6] = [
    "app.log",
    "gateway.log",
    "error.log",
    "access.log.1",
    "b.json.log",
    "z.log",
];

/// One generated file.
#[derive(Clone, Debug)]
struct FileSpec {
    service: usize,
    name: usize,
    source: usize,
    /// Offset of the slice from the case's common position, in thousandths of the pool.
    jitter: i32,
    len: usize,
    gzip: bool,
}

fn file_spec() -> impl Strategy<Value = FileSpec> {
    (
        0..5usize,
        0..6usize,
        0..7usize,
        -60..60i32,
        1..250usize,
        any::<bool>(),
    )
        .prop_map(|(service, name, source, jitter, len, gzip)| FileSpec {
            service,
            name,
            source,
            jitter,
            len,
            gzip: gzip && len % 3 == 0,
        })
}

/// Writes the files under `dir/root`; returns their paths relative to `dir`.
fn write_tree(dir: &Path, specs: &[FileSpec], center: f64, dump: bool) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for s in specs {
        let mut rel = PathBuf::from("root");
        if !SERVICES[s.service].is_empty() {
            rel.push(SERVICES[s.service]);
        }
        rel.push(NAMES[s.name]);
        if s.gzip {
            rel.set_extension(format!("{}.gz", rel.extension().unwrap().to_string_lossy()));
        }
        if out.contains(&rel) {
            continue;
        }
        let pool = &pools()[s.source];
        let at =
            ((center + f64::from(s.jitter) / 1000.0).clamp(0.0, 1.0) * pool.len() as f64) as usize;
        let at = at.min(pool.len() - 1);
        let end = (at + s.len).min(pool.len());
        let mut text = pool[at..end].join("\n");
        text.push('\n');
        let path = dir.join(&rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let bytes = if s.gzip {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(text.as_bytes()).unwrap();
            gz.finish().unwrap()
        } else {
            text.into_bytes()
        };
        std::fs::write(&path, bytes).unwrap();
        out.push(rel);
    }
    if dump {
        // A small netstat -ano and a tasklist: host evidence found by content.
        let netstat: String = std::fs::read_to_string(Path::new(CASE).join("host/netstat-ano.txt"))
            .unwrap()
            .lines()
            .take(600)
            .map(|l| format!("{l}\n"))
            .collect();
        for (name, text) in [
            ("netstat-ano.txt", netstat),
            (
                "tasklist.txt",
                std::fs::read_to_string(Path::new(CASE).join("host/tasklist.txt")).unwrap(),
            ),
        ] {
            let rel = PathBuf::from("root/host").join(name);
            std::fs::create_dir_all(dir.join("root/host")).unwrap();
            std::fs::write(dir.join(&rel), text).unwrap();
            out.push(rel);
        }
    }
    out
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

const SCAN: [&str; 6] = ["--tz", "Asia/Shanghai", "--year", "2019", "-j", "2"];

/// `faultscope merge --format json` of the partials; (stdout, exit code, stderr).
fn merge(dir: &Path, parts: &[PathBuf], extra: &[&str]) -> (String, i32, String) {
    let mut args: Vec<String> = vec!["merge".into(), "--format".into(), "json".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(parts.iter().map(|p| p.display().to_string()));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(dir, &a);
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn emit(dir: &Path, out: &Path, extra: &[&str], roots: &[&str]) {
    let mut args = vec!["scan"];
    args.extend(SCAN);
    args.extend(extra);
    let o = out.display().to_string();
    args.extend(["--emit", "partial", "-o", &o]);
    args.extend(roots);
    let r = run(dir, &args);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
}

fn single(dir: &Path, extra: &[&str], roots: &[&str]) -> (String, i32) {
    let mut args = vec!["scan", "--format", "json"];
    args.extend(SCAN);
    args.extend(extra);
    args.extend(roots);
    let r = run(dir, &args);
    (
        String::from_utf8(r.stdout).unwrap(),
        r.status.code().unwrap(),
    )
}

#[cfg(unix)]
fn make_links(dir: &Path) {
    for (name, to) in [("root/m-link.log", "nowhere"), ("root/a-link.log", "../x")] {
        std::os::unix::fs::symlink(to, dir.join(name)).unwrap();
    }
}

#[cfg(not(unix))]
fn make_links(_dir: &Path) {}

fn copy_with_mtime(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to).unwrap();
    let mtime = std::fs::metadata(from).unwrap().modified().unwrap();
    std::fs::File::options()
        .write(true)
        .open(to)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn merged_partials_equal_one_scan(
        specs in proptest::collection::vec(file_spec(), 1..8),
        center in 0.0f64..1.0,
        dump in proptest::bool::weighted(0.3),
        workers in 1usize..5,
        assign in proptest::collection::vec(0usize..4, 10),
        missing_root in proptest::bool::weighted(0.2),
        links in proptest::bool::weighted(0.3),
        max_hits in prop_oneof![3 => Just(0usize), 1 => 1usize..60],
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("all");
        let files = write_tree(&base, &specs, center, dump);
        if links {
            // Symlinks met in a walk are notes (warnings, in discovery order).
            make_links(&base);
        }
        let mut roots = vec!["root"];
        if missing_root {
            roots.push("gone");
        }
        // --max-hits keeps the earliest hits: each share keeps its earliest, the merge the
        // earliest of all.
        let max = max_hits.to_string();
        let bound = ["--max-hits", max.as_str()];
        let (want, want_code) = single(&base, &bound, &roots);
        let v: Value = serde_json::from_str(&want).unwrap();
        prop_assert!(v["summary"]["files_scanned"].as_u64().unwrap() > 0);

        // 1. --shard I/N over the whole tree.
        let mut parts = Vec::new();
        for i in 0..workers {
            let p = tmp.path().join(format!("shard-{i}.json"));
            let shard = format!("{i}/{workers}");
            emit(&base, &p, &["--shard", &shard, bound[0], bound[1]], &roots);
            parts.push(p);
        }
        parts.reverse(); // the order of partials does not matter
        let (got, code, err) = merge(&base, &parts, &[]);
        prop_assert_eq!(&got, &want, "--shard split; stderr: {}", err);
        prop_assert_eq!(code, want_code);

        // 2. An arbitrary split: worker k gets a copy of the tree with only its files.
        let mut parts = Vec::new();
        for k in 0..workers {
            let wdir = tmp.path().join(format!("w{k}"));
            std::fs::create_dir_all(wdir.join("root")).unwrap();
            if links && k == 0 {
                make_links(&wdir);
            }
            for (j, rel) in files.iter().enumerate() {
                if assign[j % assign.len()] % workers == k {
                    copy_with_mtime(&base.join(rel), &wdir.join(rel));
                }
            }
            let p = tmp.path().join(format!("part-{k}.json"));
            // A missing root is every worker's problem: one of them reports it.
            let wroots: Vec<&str> = if k == 0 { roots.clone() } else { vec!["root"] };
            emit(&wdir, &p, &bound, &wroots);
            parts.push(p);
        }
        let (got, code, err) = merge(&base, &parts, &[]);
        prop_assert_eq!(&got, &want, "arbitrary split; stderr: {}", err);
        prop_assert_eq!(code, want_code);
    }
}

/// Text, Markdown, HTML and NDJSON of a merge equal a scan's too (they render the same
/// report), on the founding case and the unknown-errors fixture split four ways.
#[test]
fn every_format_matches_on_the_fixtures() {
    for case in ["fixtures/founding-case", "fixtures/unknown-errors/logs"] {
        every_format_matches(case);
    }
}

fn every_format_matches(case: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = Path::new(root);
    let mut parts = Vec::new();
    for i in 0..4 {
        // Partials may be gzip-compressed (-o NAME.gz).
        let ext = if i % 2 == 0 { "json" } else { "json.gz" };
        let p = tmp.path().join(format!("p{i}.{ext}"));
        emit(dir, &p, &["--shard", &format!("{i}/4")], &[case]);
        parts.push(p);
    }
    for f in ["json", "text", "markdown", "html", "ndjson"] {
        let mut a = vec!["scan", "--format", f];
        a.extend(SCAN);
        a.push(case);
        let s = run(dir, &a);
        let mut m: Vec<String> = ["merge", "--format", f]
            .iter()
            .map(|s| s.to_string())
            .collect();
        m.extend(parts.iter().map(|p| p.display().to_string()));
        let m: Vec<&str> = m.iter().map(String::as_str).collect();
        let g = run(dir, &m);
        assert_eq!(
            String::from_utf8_lossy(&s.stdout),
            String::from_utf8_lossy(&g.stdout),
            "{case} {f}"
        );
        assert_eq!(s.status.code(), Some(1), "{case} {f}");
        assert_eq!(g.status.code(), Some(1), "{case} {f}");
        assert_eq!(s.stderr, g.stderr, "{case} {f}: same warnings on stderr");
    }
}

/// Partials that cannot make one report are refused with exit 2 and an error that names the
/// files and the option.
#[test]
fn mismatched_partials_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let case = "fixtures/founding-case";
    let p = |n: &str| t.join(n);
    emit(dir, &p("a.json"), &["--shard", "0/2"], &[case]);
    emit(dir, &p("b.json"), &["--shard", "1/2"], &[case]);
    // The same share scanned with another zone.
    let mut args = vec!["scan", "--tz", "UTC", "--year", "2019", "--shard", "1/2"];
    let o = p("b-utc.json").display().to_string();
    args.extend(["--emit", "partial", "-o", &o, case]);
    assert_eq!(run(dir, &args).status.code(), Some(0));
    // Another catalog.
    let rules = p("rules.toml");
    std::fs::write(
        &rules,
        "[[signature]]\nid = \"custom-boom\"\ntitle = \"Boom\"\ncategory = \"app\"\nseverity = \"error\"\npatterns = ['BOOM']\n",
    )
    .unwrap();
    let r = rules.display().to_string();
    emit(
        dir,
        &p("b-rules.json"),
        &["--shard", "1/2", "--rules", &r],
        &[case],
    );

    let refused = |parts: &[&str], extra: &[&str], want: &[&str]| {
        let parts: Vec<PathBuf> = parts.iter().map(|n| p(n)).collect();
        let (out, code, err) = merge(dir, &parts, extra);
        assert_eq!(code, 2, "{parts:?}: {err}");
        assert!(out.is_empty());
        for w in want {
            assert!(err.contains(w), "{parts:?}: `{w}` not in: {err}");
        }
    };
    refused(
        &["a.json", "b-utc.json"],
        &[],
        &["a.json", "b-utc.json", "--tz", "`UTC`"],
    );
    refused(
        &["a.json", "b-rules.json"],
        &[],
        &["a.json", "b-rules.json", "--rules"],
    );
    // A merge with the partials' --rules but without them in the partials: catalog.
    refused(
        &["a.json", "b.json"],
        &["--rules", &r],
        &["--rules", "catalog"],
    );
    refused(&["a.json"], &[], &["shard 1/2 is missing"]);
    refused(&["a.json", "a.json"], &[], &["both shard 0/2"]);

    // Another faultscope version.
    let text = std::fs::read_to_string(p("b.json")).unwrap();
    let old = text.replacen(
        &format!("\"tool_version\":\"{}\"", env!("CARGO_PKG_VERSION")),
        "\"tool_version\":\"0.0.1\"",
        1,
    );
    assert_ne!(old, text);
    std::fs::write(p("b-old.json"), old).unwrap();
    refused(
        &["a.json", "b-old.json"],
        &[],
        &["b-old.json", "0.0.1", "same version"],
    );
    // Not a partial at all (a report).
    let mut args = vec!["scan", "--format", "json", "-o"];
    let rep = p("report.json").display().to_string();
    args.extend([rep.as_str(), case]);
    run(dir, &args);
    refused(
        &["a.json", "report.json"],
        &[],
        &["report.json", "faultscope/1"],
    );
    // Two unsharded partials of the same files overlap.
    emit(dir, &p("all-1.json"), &[], &[case]);
    emit(dir, &p("all-2.json"), &[], &[case]);
    refused(&["all-1.json", "all-2.json"], &[], &["in both", "overlap"]);

    // Report options belong to the merge: refused on a partial scan.
    let bad = run(
        dir,
        &["scan", "--emit", "partial", "--format", "json", case],
    );
    assert_eq!(bad.status.code(), Some(2));
    let bad = run(dir, &["scan", "--shard", "2/2", "--emit", "partial", case]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("0-based"));
}

/// Hosts with the same layout (`/var/log/app` everywhere) merge side by side with
/// `--path-prefix HOST:`; a prefixed scan split in shards still equals the prefixed scan.
#[test]
fn hosts_with_the_same_layout_merge_side_by_side() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let case = "fixtures/founding-case";
    let hosts: Vec<PathBuf> = ["web-01", "web-02"]
        .iter()
        .map(|h| {
            let p = tmp.path().join(format!("{h}.json"));
            emit(dir, &p, &["--path-prefix", &format!("{h}:")], &[case]);
            p
        })
        .collect();
    let (one, _) = single(dir, &[], &[case]);
    let one: Value = serde_json::from_str(&one).unwrap();
    let (both, code, err) = merge(dir, &hosts, &[]);
    assert_eq!(code, 1, "{err}");
    let both: Value = serde_json::from_str(&both).unwrap();
    let files = both["files"].as_array().unwrap();
    assert_eq!(files.len(), 2 * one["files"].as_array().unwrap().len());
    assert!(files[0]["path"]
        .as_str()
        .unwrap()
        .starts_with("web-01:fixtures/founding-case/"));
    assert!(files.last().unwrap()["path"]
        .as_str()
        .unwrap()
        .starts_with("web-02:"));
    assert_eq!(
        both["summary"]["hits"].as_u64().unwrap(),
        2 * one["summary"]["hits"].as_u64().unwrap()
    );

    let (want, _) = single(dir, &["--path-prefix", "web-01:"], &[case]);
    let shards: Vec<PathBuf> = (0..3)
        .map(|i| {
            let p = tmp.path().join(format!("s{i}.json"));
            let shard = format!("{i}/3");
            emit(
                dir,
                &p,
                &["--path-prefix", "web-01:", "--shard", &shard],
                &[case],
            );
            p
        })
        .collect();
    assert_eq!(merge(dir, &shards, &[]).0, want);
}

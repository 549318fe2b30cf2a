//! The hostile-input matrix, continued (issue 23): streams, nothing to scan, xz/bzip2 and
//! unsupported compressors, output files that are never half-written, and read errors in
//! the middle of a file. Like `hostile_inputs.rs`, every row runs the binary as a user
//! would and, where it can, puts the bad input next to a good log with one incident. The
//! table in docs/robustness.md lists the rows.

use assert_cmd::Command;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The good log: one Spring Boot record whose trace says `Connection refused`.
const GOOD: &str = "2019-08-21 08:00:01.000 ERROR 1 --- [main] a.B : call failed\n\
                    java.net.ConnectException: Connection refused\n";
const GOOD_START: &str = "2019-08-21T08:00:01Z";

/// A record with a hit at `hh:mm` on 2019-08-21 (UTC): a second, separate incident.
fn record_at(hhmm: &str) -> String {
    format!(
        "2019-08-21 {hhmm}:00.000 ERROR 1 --- [main] a.B : call failed\n\
         java.net.ConnectException: Connection refused\n"
    )
}

fn bin() -> Command {
    let mut c = Command::cargo_bin("faultscope").unwrap();
    c.timeout(Duration::from_secs(60));
    c
}

struct Run {
    code: i32,
    json: Value,
    stderr: String,
}

/// `faultscope scan --tz UTC --format json ARGS` in `dir`, with `stdin` on its standard
/// input.
fn scan_in(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Run {
    let mut c = bin();
    c.current_dir(dir)
        .args(["scan", "--tz", "UTC", "--format", "json"])
        .args(args)
        .write_stdin(stdin.to_vec());
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal: {out:?}"));
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Run {
        code,
        json,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn with_good() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("good.log"), GOOD).unwrap();
    d
}

fn starts(v: &Value) -> Vec<String> {
    v["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["start"].as_str().unwrap().to_string())
        .collect()
}

fn assert_good_incident(v: &Value) {
    let inc = v["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["start"] == GOOD_START)
        .unwrap_or_else(|| panic!("good.log's incident missing: {:#}", v["incidents"]));
    assert_eq!(inc["root_cause"]["signature"], "connect-refused");
}

fn file<'a>(v: &'a Value, suffix: &str) -> &'a Value {
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("{suffix} not in files: {:#}", v["files"]))
}

fn contains_all(hay: &str, needles: &[&str]) {
    for n in needles {
        assert!(hay.contains(n), "`{n}` missing from:\n{hay}");
    }
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn bz2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[cfg(unix)]
fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
}

/// Names in a directory (temporary files included).
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn stdin_dash_is_scanned_as_a_stream() {
    let d = with_good();
    let r = scan_in(
        d.path(),
        &["good.log", "-"],
        &[],
        record_at("09:30").as_bytes(),
    );
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    assert_eq!(starts(&r.json), [GOOD_START, "2019-08-21T09:30:00Z"]);
    let f = file(&r.json, "<stdin>");
    assert_eq!(
        (f["service"].as_str(), f["access"].as_str()),
        (Some("stdin"), Some("stream"))
    );
    // `kubectl logs … | faultscope scan --service api -`: a bare --service names stdin.
    let r = scan_in(
        d.path(),
        &["--service", "api", "-"],
        &[],
        record_at("09:30").as_bytes(),
    );
    assert_eq!(r.code, 1);
    assert_eq!(file(&r.json, "<stdin>")["service"], "api");
    assert_eq!(r.json["incidents"][0]["evidence"][0]["path"], "<stdin>");
    // Empty stdin alone: nothing was scanned, exit 2 (a failed `kubectl logs` upstream).
    let r = scan_in(d.path(), &["-"], &[], b"");
    assert_eq!(r.code, 2);
    contains_all(&r.stderr, &["nothing could be scanned", "<stdin>: empty"]);
}

/// gz, zstd, xz and bzip2 streams are recognised by their magic bytes and decoded on the
/// fly; a compressed stream is bounded by --max-decompressed like a file.
#[test]
fn compressed_stdin_is_decoded_on_the_fly() {
    let d = with_good();
    let text = record_at("09:30");
    let zst = zstd::encode_all(text.as_bytes(), 3).unwrap();
    for (codec, bytes) in [
        ("gzip", gz(text.as_bytes())),
        ("zstd", zst),
        ("xz", xz(text.as_bytes())),
        ("bzip2", bz2(text.as_bytes())),
    ] {
        let r = scan_in(d.path(), &["good.log", "-"], &[], &bytes);
        assert_eq!(r.code, 1, "{codec}: {}", r.stderr);
        assert_eq!(
            starts(&r.json),
            [GOOD_START, "2019-08-21T09:30:00Z"],
            "{codec}"
        );
        assert_eq!(file(&r.json, "<stdin>")["access"], codec);
    }
    // A bomb through a pipe: stopped at the bound, whole lines kept, a warning.
    let mut big = text.repeat(1000);
    big.push_str(&record_at("11:00"));
    let r = scan_in(
        d.path(),
        &["--max-decompressed", "4K", "good.log", "-"],
        &[],
        &gz(big.as_bytes()),
    );
    assert_eq!(r.code, 1);
    assert_eq!(starts(&r.json), [GOOD_START, "2019-08-21T09:30:00Z"]);
    contains_all(
        &r.stderr,
        &["<stdin>: stopped after 4096 decompressed bytes"],
    );
    // A truncated xz stream: what was decoded is scanned, the stream reported.
    let mut two = text.clone();
    two.push_str(&"2019-08-21 09:31:00.000 INFO 1 --- [main] a.B : filler line\n".repeat(4000));
    let cut = xz(two.as_bytes());
    let r = scan_in(d.path(), &["good.log", "-"], &[], &cut[..cut.len() / 2]);
    assert_eq!(r.code, 1);
    assert_eq!(starts(&r.json), [GOOD_START, "2019-08-21T09:30:00Z"]);
    contains_all(&r.stderr, &["error: <stdin>: truncated xz stream"]);
}

/// A FIFO named on the command line is read as a stream, waiting for its writer like
/// `cat` (here the writer comes 300 ms later); one met while walking a directory is still
/// skipped.
#[cfg(unix)]
#[test]
fn fifo_argument_is_read_as_a_stream() {
    let d = with_good();
    let pipe = d.path().join("pipe.log");
    mkfifo(&pipe);
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        let mut f = std::fs::OpenOptions::new().write(true).open(pipe).unwrap();
        f.write_all(record_at("09:30").as_bytes()).unwrap();
    });
    let r = scan_in(d.path(), &["good.log", "pipe.log"], &[], b"");
    writer.join().unwrap();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(starts(&r.json), [GOOD_START, "2019-08-21T09:30:00Z"]);
    let f = file(&r.json, "pipe.log");
    assert_eq!(
        (f["service"].as_str(), f["access"].as_str()),
        (Some("pipe"), Some("stream"))
    );
    // In a walk: skipped with a note, never waited on.
    let t0 = Instant::now();
    let r = scan_in(d.path(), &["."], &[], b"");
    assert_eq!(r.code, 1);
    contains_all(
        &r.stderr,
        &["./pipe.log: not a regular file (FIFO, socket or device), skipped"],
    );
    assert!(t0.elapsed() < Duration::from_secs(20));
}

#[cfg(target_os = "linux")]
#[test]
fn dev_stdin_is_read_as_a_stream() {
    let d = with_good();
    let r = scan_in(
        d.path(),
        &["good.log", "/dev/stdin"],
        &[],
        record_at("09:30").as_bytes(),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(starts(&r.json), [GOOD_START, "2019-08-21T09:30:00Z"]);
    let f = file(&r.json, "/dev/stdin");
    assert_eq!(
        (f["service"].as_str(), f["access"].as_str()),
        (Some("stdin"), Some("stream"))
    );
}

/// `faultscope scan <(kubectl logs …)`: bash hands over `/dev/fd/63`, a pipe.
#[cfg(target_os = "linux")]
#[test]
fn process_substitution_via_bash() {
    let d = with_good();
    std::fs::write(d.path().join("later.txt"), record_at("09:30")).unwrap();
    let exe = assert_cmd::cargo::cargo_bin("faultscope");
    let script = format!(
        "{} scan --tz UTC --format json good.log <(cat later.txt) <(gzip -c later.txt)",
        exe.display()
    );
    let out = std::process::Command::new("bash")
        .current_dir(d.path())
        .args(["-c", &script])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(starts(&v), [GOOD_START, "2019-08-21T09:30:00Z"]);
    let fds: Vec<&Value> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"].as_str().unwrap().starts_with("/dev/fd/"))
        .collect();
    assert_eq!(fds.len(), 2, "{:#}", v["files"]);
    assert!(fds
        .iter()
        .all(|f| f["service"].as_str().unwrap().starts_with("fd")));
    assert!(fds.iter().any(|f| f["access"] == "gzip"));
}

/// A read error in the middle of a stream: what arrived is scanned, the stream reported,
/// the other files kept.
#[test]
fn stdin_read_error_mid_stream_is_reported() {
    let d = with_good();
    let mut text = record_at("09:30");
    text.push_str(&"2019-08-21 09:31:00.000 INFO 1 --- [main] a.B : filler line\n".repeat(2000));
    text.push_str(&record_at("11:00"));
    let r = scan_in(
        d.path(),
        &["good.log", "-"],
        &[("FAULTSCOPE_TEST_READ_ERROR", "<stdin>:65536")],
        text.as_bytes(),
    );
    assert_eq!(r.code, 1);
    assert_eq!(starts(&r.json), [GOOD_START, "2019-08-21T09:30:00Z"]);
    contains_all(
        &r.stderr,
        &["error: <stdin>: read error after 65536 bytes (Input/output error (os error 5))"],
    );
    let e = file(&r.json, "<stdin>")["error"].as_str().unwrap();
    assert!(e.contains("read error after 65536 bytes"), "{e}");
}

/// An empty directory, or one holding only binary, unsupported or empty files, is an
/// error in every output format (a CI gate must not pass on nothing), naming what was
/// skipped and why.
#[test]
fn nothing_to_scan_exits_2_in_every_format() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("empty")).unwrap();
    let r = scan_in(d.path(), &["empty"], &[], b"");
    assert_eq!(r.code, 2);
    let e = r.json["error"].as_str().unwrap();
    contains_all(e, &["nothing could be scanned", "no file found in empty"]);
    contains_all(&r.stderr, &["faultscope: error: nothing could be scanned"]);
    let bin_dir = d.path().join("bin");
    std::fs::create_dir(&bin_dir).unwrap();
    std::fs::write(
        bin_dir.join("a.out"),
        b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0",
    )
    .unwrap();
    std::fs::write(
        bin_dir.join("app.log.lz4"),
        b"\x04\x22\x4d\x18\x64\x40\xa7junk",
    )
    .unwrap();
    std::fs::write(bin_dir.join("empty.log"), b"").unwrap();
    let r = scan_in(d.path(), &["bin"], &[], b"");
    assert_eq!(r.code, 2);
    contains_all(
        r.json["error"].as_str().unwrap(),
        &[
            "no readable log among the 3 inputs",
            "bin/a.out: binary file (magic number)",
            "bin/app.log.lz4: lz4 not supported",
            "bin/empty.log: empty",
        ],
    );
    // Text, Markdown, HTML and NDJSON carry it too; --exit-zero does not hide it.
    for (fmt, needle) in [
        ("text", "error: nothing could be scanned"),
        ("md", "**Error:** nothing could be scanned"),
        ("html", "error: nothing could be scanned"),
        ("ndjson", "\"event.dataset\":\"faultscope.error\""),
    ] {
        let out = bin()
            .current_dir(d.path())
            .args(["scan", "--exit-zero", "--format", fmt, "bin"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{fmt}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains(needle), "{fmt}: {stdout}");
    }
    // One readable log among them: not an error.
    std::fs::write(bin_dir.join("good.log"), GOOD).unwrap();
    let r = scan_in(d.path(), &["bin"], &[], b"");
    assert_eq!(r.code, 1);
    assert!(r.json.get("error").is_none());
}

/// `.xz` and `.bz2` archives (found by magic bytes, whatever their names) are decoded,
/// multi-stream, bounded by --max-decompressed; a corrupt one is named.
#[test]
fn xz_and_bzip2_are_decoded_and_bounded() {
    let d = with_good();
    let mut two = record_at("09:30").into_bytes();
    let mut xz2 = xz(&two);
    xz2.extend(xz(record_at("10:30").as_bytes()));
    std::fs::write(d.path().join("app.log.1"), &xz2).unwrap();
    two = record_at("11:30").into_bytes();
    std::fs::write(d.path().join("app.log.2.bz2"), bz2(&two)).unwrap();
    std::fs::write(
        d.path().join("bad.log.3.xz"),
        b"\xfd7zXZ\0garbage garbage garbage",
    )
    .unwrap();
    let r = scan_in(d.path(), &["."], &[], b"");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        starts(&r.json),
        [
            GOOD_START,
            "2019-08-21T09:30:00Z",
            "2019-08-21T10:30:00Z",
            "2019-08-21T11:30:00Z"
        ]
    );
    assert_eq!(file(&r.json, "app.log.1")["access"], "xz");
    assert_eq!(file(&r.json, "app.log.2.bz2")["access"], "bzip2");
    contains_all(&r.stderr, &["error: ./bad.log.3.xz: corrupt xz stream"]);
    // A bomb stops at the bound, whole lines kept.
    let bomb = "2019-08-21 09:31:00.000 INFO 1 --- [main] a.B : filler line\n".repeat(100_000);
    std::fs::write(d.path().join("bomb.bz2"), bz2(bomb.as_bytes())).unwrap();
    let r = scan_in(
        d.path(),
        &["--max-decompressed", "64K", "bomb.bz2", "good.log"],
        &[],
        b"",
    );
    assert_eq!(r.code, 1);
    contains_all(
        &r.stderr,
        &["bomb.bz2: stopped after 65536 decompressed bytes"],
    );
    assert!(file(&r.json, "bomb.bz2")["bytes"].as_u64().unwrap() <= 65536);
}

/// Formats faultscope cannot read are named, with how to unpack them, not "binary".
#[test]
fn unsupported_compressors_are_named_not_binary() {
    let d = with_good();
    std::fs::write(
        d.path().join("a.log.lz4"),
        b"\x04\x22\x4d\x18\x64\x40\xa7\x00\x01",
    )
    .unwrap();
    std::fs::write(d.path().join("b.log.7z"), b"7z\xbc\xaf\x27\x1c\x00\x04").unwrap();
    std::fs::write(d.path().join("c.zip"), b"PK\x03\x04\x14\x00\x00\x00").unwrap();
    let mut tar = vec![0u8; 1024];
    tar[..7].copy_from_slice(b"app.log");
    tar[257..263].copy_from_slice(b"ustar\0");
    std::fs::write(d.path().join("logs.tar.gz"), gz(&tar)).unwrap();
    let r = scan_in(d.path(), &["."], &[], b"");
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    contains_all(
        &r.stderr,
        &[
            "./a.log.lz4: lz4 not supported (unpack it first: `lz4 -dc ./a.log.lz4 | faultscope scan -`)",
            "./b.log.7z: 7z not supported",
            "./c.zip: zip archive not supported",
            "./logs.tar.gz: tar archive not supported",
        ],
    );
    assert!(!r.stderr.contains("binary"), "{}", r.stderr);
}

/// A full disk while writing `-o`: a clear error naming the path, exit 2, and nothing at
/// the path (a report that was there stays as it was); the same for a set of formats and a
/// gzip partial. Injected (`FAULTSCOPE_TEST_WRITE_ERROR`) and, where a mount namespace can
/// be made, on a real 64 KiB tmpfs.
#[test]
fn enospc_on_output_is_an_error_and_leaves_no_file() {
    let d = with_good();
    let out = d.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("report.json"), "previous report\n").unwrap();
    let enospc = [("FAULTSCOPE_TEST_WRITE_ERROR", "report:100")];
    let o = bin()
        .current_dir(d.path())
        .envs(enospc)
        .args([
            "scan",
            "--tz",
            "UTC",
            "--format",
            "json",
            "-o",
            "out/report.json",
            "good.log",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    contains_all(
        &stderr,
        &["error: cannot write out/report.json: No space left on device (os error 28)"],
    );
    assert_eq!(
        std::fs::read_to_string(out.join("report.json")).unwrap(),
        "previous report\n"
    );
    assert_eq!(names(&out), ["report.json"], "no temporary file left");
    // A set: the second format fails, neither file appears.
    let o = bin()
        .current_dir(d.path())
        .env("FAULTSCOPE_TEST_WRITE_ERROR", "pm.html")
        .args([
            "scan", "--tz", "UTC", "--format", "md,html", "-o", "out/pm", "good.log",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(names(&out), ["report.json"]);
    // A gzip partial.
    let o = bin()
        .current_dir(d.path())
        .env("FAULTSCOPE_TEST_WRITE_ERROR", "part:10")
        .args([
            "scan",
            "--tz",
            "UTC",
            "--emit",
            "partial",
            "-o",
            "out/part.json.gz",
            "good.log",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot write out/part.json.gz"));
    assert_eq!(names(&out), ["report.json"]);
    // Without the fault, each appears whole.
    bin()
        .current_dir(d.path())
        .args([
            "scan", "--tz", "UTC", "--format", "md,html", "-o", "out/pm", "good.log",
        ])
        .assert()
        .code(1);
    assert_eq!(names(&out), ["pm.html", "pm.md", "report.json"]);
    real_tmpfs_enospc(d.path());
}

/// The same on a real full file system: a 64 KiB tmpfs in a private mount namespace
/// (`unshare -rm`, no trace outside it). Skipped, with a line saying so, where user and
/// mount namespaces cannot be made; the injected case above always runs.
fn real_tmpfs_enospc(dir: &Path) {
    if !cfg!(target_os = "linux") {
        return;
    }
    let mnt = dir.join("small");
    std::fs::create_dir(&mnt).unwrap();
    // A log big enough that its NDJSON report outgrows 64 KiB.
    let mut big = String::new();
    for m in 0..60 {
        for s in 0..10 {
            big.push_str(&format!(
                "2019-08-21 08:{m:02}:{s:02}.000 ERROR 1 --- [main] a.B : call {m} {s} failed\n\
                 java.net.ConnectException: Connection refused\n"
            ));
        }
    }
    std::fs::write(dir.join("big.log"), big).unwrap();
    let ns = std::process::Command::new("unshare")
        .args(["-rm", "mount", "-t", "tmpfs", "tmpfs", "/mnt"])
        .output();
    if !ns.is_ok_and(|o| o.status.success()) {
        println!("skipped: no user and mount namespace here (the injected ENOSPC ran)");
        return;
    }
    let exe = assert_cmd::cargo::cargo_bin("faultscope");
    let script = format!(
        "mount -t tmpfs -o size=64k tmpfs small || exit 99; \
         {} scan --tz UTC --format ndjson -o small/report.ndjson big.log; code=$?; \
         ls -A small; exit $code",
        exe.display()
    );
    let o = std::process::Command::new("unshare")
        .current_dir(dir)
        .args(["-rm", "sh", "-c", &script])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    contains_all(
        &String::from_utf8_lossy(&o.stderr),
        &["cannot write small/report.ndjson: No space left on device"],
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "",
        "nothing left in the full tmpfs"
    );
}

/// SIGINT in the middle of writing `-o`: exit 130, and no file at the path, not even a
/// temporary one; SIGTERM: exit 2, the same. The write is held mid-way by
/// `FAULTSCOPE_TEST_WRITE_STALL` so the signal lands there every time.
#[cfg(unix)]
#[test]
fn a_signal_mid_write_leaves_no_file() {
    let d = with_good();
    let mut big = String::new();
    for m in 0..60 {
        big.push_str(&record_at(&format!("09:{m:02}")));
    }
    std::fs::write(d.path().join("big.log"), big).unwrap();
    let exe = assert_cmd::cargo::cargo_bin("faultscope");
    for (sig, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 2)] {
        let child = std::process::Command::new(&exe)
            .current_dir(d.path())
            .env("FAULTSCOPE_TEST_WRITE_STALL", "report.html:4096")
            .args([
                "scan",
                "--tz",
                "UTC",
                "--format",
                "html",
                "-o",
                "report.html",
                ".",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait for the temporary file: the write has begun.
        let t0 = Instant::now();
        while !names(d.path())
            .iter()
            .any(|n| n.starts_with(".report.html."))
        {
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "no temporary file appeared"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        // SAFETY: kill(2) on our own child.
        assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted by SIG"));
        assert_eq!(names(d.path()), ["big.log", "good.log"], "signal {sig}");
    }
}

/// A read error (EIO) in the middle of one file: that file is reported, what was read
/// before the error is scanned, every other file's results are kept: through `read()`
/// and through a memory map (where the fault is simulated at the chunk boundary).
#[test]
fn eio_mid_file_is_reported_and_other_files_kept() {
    let d = with_good();
    let filler = "2019-08-21 09:31:00.000 INFO 1 --- [main] a.B : filler line\n";
    // Read path: an incident before the failing byte, one after.
    let mut text = record_at("09:30");
    text.push_str(&filler.repeat(4000));
    text.push_str(&record_at("11:00"));
    std::fs::write(d.path().join("disk.log"), &text).unwrap();
    let fault = [("FAULTSCOPE_TEST_READ_ERROR", "disk.log:65536")];
    for mmap in ["never", "auto"] {
        let r = scan_in(
            d.path(),
            &["--mmap", mmap, "good.log", "disk.log"],
            &fault,
            b"",
        );
        assert_eq!(r.code, 1);
        assert_eq!(
            starts(&r.json),
            [GOOD_START, "2019-08-21T09:30:00Z"],
            "{mmap}"
        );
        contains_all(
            &r.stderr,
            &["error: disk.log: read error after 65536 bytes (Input/output error (os error 5))"],
        );
        let f = file(&r.json, "disk.log");
        assert_eq!(f["bytes"].as_u64(), Some(65536));
        assert!(f["error"]
            .as_str()
            .unwrap()
            .contains("read error after 65536 bytes"));
    }
    // Mapped (--mmap always), past the first 16 MiB chunk: the first chunk is kept.
    let mut big = record_at("09:30");
    big.push_str(&filler.repeat(17 * 1024 * 1024 / filler.len()));
    big.push_str(&record_at("11:00"));
    std::fs::write(d.path().join("mapped.log"), &big).unwrap();
    let at = (big.len() - 1000).to_string();
    let spec = format!("mapped.log:{at}");
    let r = scan_in(
        d.path(),
        &["--mmap", "always", "good.log", "mapped.log"],
        &[("FAULTSCOPE_TEST_READ_ERROR", &spec)],
        b"",
    );
    assert_eq!(r.code, 1);
    assert_eq!(starts(&r.json), [GOOD_START, "2019-08-21T09:30:00Z"]);
    let f = file(&r.json, "mapped.log");
    assert_eq!(f["access"], "mmap");
    assert!(f["error"].as_str().unwrap().contains("read error after"));
    let kept = f["bytes"].as_u64().unwrap();
    assert!(
        kept >= 16 * 1024 * 1024 && kept < big.len() as u64 - 1000,
        "{kept}"
    );
    // Without the fault, both incidents of the file.
    let r = scan_in(
        d.path(),
        &["--mmap", "always", "good.log", "mapped.log"],
        &[],
        b"",
    );
    assert_eq!(starts(&r.json).len(), 3);
}

//! The hostile-input matrix (issue 7): one test per row, each run through the binary as a
//! user would. Every row puts the bad input next to a small good log with one incident and
//! checks (1) the exit code, (2) the message names the file and the problem, (3) the good
//! log's incident is still reported. The table in docs/robustness.md lists the rows.

use assert_cmd::Command;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The good log: one Spring Boot record whose trace says `Connection refused`.
/// Three refused calls in three seconds: the smallest incident the rate detector opens
/// (one error line alone is an isolated event, not an incident).
const GOOD: &str = "2019-08-21 08:00:01.000 ERROR 1 --- [main] a.B : call failed\n\
                    java.net.ConnectException: Connection refused\n\
                    2019-08-21 08:00:02.000 ERROR 1 --- [main] a.B : call failed\n\
                    java.net.ConnectException: Connection refused\n\
                    2019-08-21 08:00:03.000 ERROR 1 --- [main] a.B : call failed\n\
                    java.net.ConnectException: Connection refused\n";
const GOOD_START: &str = "2019-08-21T08:00:01Z";

/// Ten refused calls in ten seconds from `hh:mm` on 2019-08-21 (UTC): a second, separate
/// incident (a burst far above any background, even when a file holds several of them).
fn record_at(hhmm: &str) -> String {
    (0..10)
        .map(|s| {
            format!(
                "2019-08-21 {hhmm}:{s:02}.000 ERROR 1 --- [main] a.B : call failed\n\
                 java.net.ConnectException: Connection refused\n"
            )
        })
        .collect()
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

/// `faultscope scan --tz UTC --format json ARGS` in `dir`.
fn scan_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = bin();
    c.current_dir(dir)
        .args(["scan", "--tz", "UTC", "--format", "json"])
        .args(args);
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

/// A temp dir holding `good.log`.
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

/// The good log's incident is there, with its evidence from good.log.
fn assert_good_incident(v: &Value) {
    let inc = v["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["start"] == GOOD_START)
        .unwrap_or_else(|| panic!("good.log's incident missing: {:#}", v["incidents"]));
    assert_eq!(inc["root_cause"]["signature"], "connect-refused");
    assert!(inc["evidence"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with("good.log"));
}

fn file<'a>(v: &'a Value, suffix: &str) -> &'a Value {
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("{suffix} not in files: {:#}", v["files"]))
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn contains_all(hay: &str, needles: &[&str]) {
    for n in needles {
        assert!(hay.contains(n), "`{n}` missing from:\n{hay}");
    }
}

#[test]
fn empty_file() {
    let d = with_good();
    std::fs::write(d.path().join("empty.log"), "").unwrap();
    let r = scan_in(d.path(), &["."], &[]);
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    let f = file(&r.json, "empty.log");
    assert_eq!(
        (f["bytes"].as_u64(), f["lines"].as_u64()),
        (Some(0), Some(0))
    );
    assert!(f["error"].is_null() && f["skipped"].is_null());
    assert_eq!(r.json["summary"]["files_scanned"], 2);
    // Only an empty file: nothing could be scanned, a CI gate must not pass (issue 23).
    let r = scan_in(d.path(), &["empty.log"], &[]);
    assert_eq!(r.code, 2);
    assert!(r.json["error"]
        .as_str()
        .unwrap()
        .contains("empty.log: empty"));
}

#[test]
fn binary_files_elf_and_png_are_skipped_with_a_warning() {
    let d = with_good();
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0".to_vec();
    // A binary that happens to contain a signature's text must not produce a hit.
    elf.extend(b"java.net.ConnectException: Connection refused\n");
    elf.extend(vec![0u8; 4096]);
    std::fs::write(d.path().join("app.bin"), &elf).unwrap();
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend((0..4096u32).map(|i| (i * 7) as u8));
    std::fs::write(d.path().join("shot.png"), &png).unwrap();
    let r = scan_in(d.path(), &["."], &[]);
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    assert_eq!(r.json["incidents"].as_array().unwrap().len(), 1);
    contains_all(
        &r.stderr,
        &[
            "warning: ./app.bin: binary file",
            "warning: ./shot.png: binary file",
        ],
    );
    assert!(file(&r.json, "app.bin")["skipped"].is_string());
}

#[test]
fn invalid_utf8_is_scanned_lossily() {
    let d = with_good();
    let mut bad =
        b"2019-08-21 09:00:00.000  INFO 1 --- [main] a.B : caf\xe9 \xc3\x28 \xff\n".to_vec();
    bad.extend(record_at("09:30").as_bytes());
    bad.extend(b"\xfe\xfe\xfe trailing garbage \x80\n");
    std::fs::write(d.path().join("latin1.log"), &bad).unwrap();
    let r = scan_in(d.path(), &["."], &[]);
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    assert_eq!(
        starts(&r.json),
        [GOOD_START, "2019-08-21T09:30:00Z"],
        "the hit after invalid bytes is found"
    );
    assert!(file(&r.json, "latin1.log")["error"].is_null());
}

#[test]
fn utf16le_with_bom_is_decoded_and_its_hits_found() {
    let d = with_good();
    let text = record_at("10:00").replace('\n', "\r\n");
    let mut u = vec![0xff, 0xfe];
    for c in text.encode_utf16() {
        u.extend(c.to_le_bytes());
    }
    std::fs::write(d.path().join("ERRORLOG"), &u).unwrap();
    let r = scan_in(d.path(), &["."], &[]);
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    assert_eq!(starts(&r.json), [GOOD_START, "2019-08-21T10:00:00Z"]);
    let f = file(&r.json, "ERRORLOG");
    assert_eq!(f["access"], "utf16");
    assert!(
        r.stderr.contains("ERRORLOG: decoded from UTF-16LE"),
        "{}",
        r.stderr
    );
}

/// Runs the binary without assert_cmd's wait so `wait4` can report the child's own peak RSS.
#[cfg(target_os = "linux")]
#[allow(clippy::zombie_processes)] // reaped by wait4 below, which also gives its rusage
fn run_measuring_rss(dir: &Path, args: &[&str]) -> (i32, Vec<u8>, u64) {
    use std::os::unix::process::ExitStatusExt;
    let out_path = dir.join("stdout.json");
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("faultscope"))
        .current_dir(dir)
        .args(args)
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: a zeroed rusage is valid; wait4 reaps exactly our child.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut ru) };
    assert_eq!(pid, child.id() as i32);
    let st = std::process::ExitStatus::from_raw(status);
    let code = st
        .code()
        .unwrap_or_else(|| panic!("killed by signal {:?}", st.signal()));
    (
        code,
        std::fs::read(out_path).unwrap(),
        ru.ru_maxrss as u64 * 1024,
    )
}

#[cfg(target_os = "linux")]
#[test]
fn fifty_megabyte_single_line_no_hang_bounded_memory() {
    let d = with_good();
    {
        let f = std::fs::File::create(d.path().join("oneline.log")).unwrap();
        let mut w = std::io::BufWriter::new(f);
        w.write_all(b"2019-08-21 11:00:00.000 ERROR 1 --- [main] a.B : ")
            .unwrap();
        let block = vec![b'x'; 1 << 20];
        for _ in 0..50 {
            w.write_all(&block).unwrap();
        }
        w.write_all(b" java.net.ConnectException: Connection refused")
            .unwrap();
    }
    let t0 = Instant::now();
    let (code, stdout, rss) = run_measuring_rss(
        d.path(),
        &[
            "scan",
            "--tz",
            "UTC",
            "--format",
            "json",
            "good.log",
            "oneline.log",
        ],
    );
    let took = t0.elapsed();
    assert_eq!(code, 1);
    let v: Value = serde_json::from_slice(&stdout).unwrap();
    assert_good_incident(&v);
    // One error record: an isolated event, not an incident.
    assert_eq!(starts(&v), [GOOD_START]);
    assert_eq!(v["isolated"][0]["time"], "2019-08-21T11:00:00Z");
    let f = file(&v, "oneline.log");
    assert_eq!(f["lines"], 1);
    // The excerpt is capped, not 50 MB.
    let ev = &v["isolated"][0]["evidence"]["text"];
    assert!(
        ev.as_str().unwrap().len() <= 300,
        "{}",
        ev.as_str().unwrap().len()
    );
    // One copy of the file plus the process: no per-line or per-hit blow-up.
    assert!(rss < 200 << 20, "peak RSS {} MiB", rss >> 20);
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

#[test]
fn crlf_and_mixed_line_endings() {
    let d = with_good();
    let body = "2019-08-21 12:00:00.000  INFO 1 --- [main] a.B : crlf line\r\n\
                2019-08-21 12:00:01.000  INFO 1 --- [main] a.B : lf line\n\
                2019-08-21 12:00:02.000  INFO 1 --- [main] a.B : lone cr\r\
                still the same line for a reader of \\n\r\n\
                2019-08-21 12:00:03.000 ERROR 1 --- [main] a.B : call failed\r\n\
                java.net.ConnectException: Connection refused\r\n";
    std::fs::write(d.path().join("mixed.log"), body).unwrap();
    let r = scan_in(d.path(), &["."], &[]);
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    // One error record is an isolated event, not an incident.
    assert_eq!(starts(&r.json), [GOOD_START]);
    let iso = &r.json["isolated"][0];
    assert_eq!(iso["time"], "2019-08-21T12:00:03Z");
    let ev = &iso["evidence"];
    assert_eq!(ev["line"], 5);
    assert_eq!(ev["text"], "java.net.ConnectException: Connection refused");
    assert_eq!(file(&r.json, "mixed.log")["lines"], 5);
}

#[test]
fn no_final_newline() {
    let d = with_good();
    let body = record_at("13:00");
    std::fs::write(d.path().join("cut.log"), body.trim_end()).unwrap();
    let r = scan_in(d.path(), &["."], &[]);
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    assert_eq!(starts(&r.json), [GOOD_START, "2019-08-21T13:00:00Z"]);
    assert_eq!(file(&r.json, "cut.log")["lines"], 20);
}

#[test]
fn nul_bytes_inside_a_text_log() {
    let d = with_good();
    // copytruncate leftovers: a NUL run where the old content was, then new lines; and NULs
    // in the middle of a line.
    let mut body = vec![0u8; 8192];
    body.extend(b"2019-08-21 14:00:00.000  INFO 1 --- [main] a.B : a\0b\0c\n");
    body.extend(record_at("14:00").as_bytes());
    std::fs::write(d.path().join("rotated.log"), &body).unwrap();
    let r = scan_in(d.path(), &["."], &[]);
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    assert_eq!(starts(&r.json), [GOOD_START, "2019-08-21T14:00:00Z"]);
    contains_all(
        &r.stderr,
        &["./rotated.log: starts with 8192 NUL bytes (copy-truncate leftovers?)"],
    );
    // NULs inside lines only.
    let mut body = record_at("14:30").into_bytes();
    body.splice(30..30, *b"\0\0\0");
    std::fs::write(d.path().join("rotated.log"), &body).unwrap();
    let r = scan_in(d.path(), &["."], &[]);
    assert_eq!(starts(&r.json), [GOOD_START, "2019-08-21T14:30:00Z"]);
    contains_all(&r.stderr, &["./rotated.log: contains NUL bytes"]);
}

#[test]
fn permission_denied_injected() {
    let d = with_good();
    std::fs::write(d.path().join("secret.log"), record_at("15:00")).unwrap();
    let r = scan_in(
        d.path(),
        &["."],
        &[("FAULTSCOPE_TEST_OPEN_ERROR", "secret.log")],
    );
    assert_eq!(r.code, 1, "other files' incidents still found");
    assert_good_incident(&r.json);
    assert_eq!(starts(&r.json), [GOOD_START]);
    contains_all(&r.stderr, &["error: ./secret.log: Permission denied"]);
    assert!(file(&r.json, "secret.log")["error"]
        .as_str()
        .unwrap()
        .contains("Permission denied"));
    assert_eq!(r.json["summary"]["files_with_errors"], 1);
    // The only file unreadable: exit 2.
    let r = scan_in(
        d.path(),
        &["secret.log"],
        &[("FAULTSCOPE_TEST_OPEN_ERROR", "secret.log")],
    );
    assert_eq!(r.code, 2);
}

#[cfg(unix)]
#[test]
fn broken_symlink() {
    let d = with_good();
    std::os::unix::fs::symlink("gone.log", d.path().join("current.log")).unwrap();
    // Inside a walk: a warning.
    let r = scan_in(d.path(), &["."], &[]);
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    contains_all(&r.stderr, &["warning: ./current.log: broken symlink"]);
    // Inside a walk with --follow: still a warning, the walk goes on.
    let r = scan_in(d.path(), &["--follow", "."], &[]);
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    contains_all(&r.stderr, &["./current.log: broken symlink"]);
    // Named on the command line: an error for that path.
    let r = scan_in(d.path(), &["good.log", "current.log"], &[]);
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    contains_all(&r.stderr, &["error: current.log: broken symlink"]);
    assert!(file(&r.json, "current.log")["error"].is_string());
}

#[cfg(unix)]
#[test]
fn symlink_loop() {
    let d = with_good();
    std::os::unix::fs::symlink("b.log", d.path().join("a.log")).unwrap();
    std::os::unix::fs::symlink("a.log", d.path().join("b.log")).unwrap();
    for follow in [false, true] {
        let args: &[&str] = if follow { &["--follow", "."] } else { &["."] };
        let r = scan_in(d.path(), args, &[]);
        assert_eq!(r.code, 1, "follow={follow}");
        assert_good_incident(&r.json);
        contains_all(
            &r.stderr,
            &["./a.log: symlink loop", "./b.log: symlink loop"],
        );
    }
    let r = scan_in(d.path(), &["good.log", "a.log"], &[]);
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    contains_all(&r.stderr, &["error: a.log: symlink loop"]);
}

#[cfg(unix)]
#[test]
fn directory_symlink_pointing_back_up() {
    let d = with_good();
    let svc = d.path().join("svc");
    std::fs::create_dir(&svc).unwrap();
    std::fs::write(svc.join("svc.log"), record_at("16:00")).unwrap();
    std::os::unix::fs::symlink("..", svc.join("up")).unwrap();
    for follow in [false, true] {
        let args: &[&str] = if follow { &["--follow", "."] } else { &["."] };
        let r = scan_in(d.path(), args, &[]);
        assert_eq!(r.code, 1);
        assert_good_incident(&r.json);
        // Each file once: the loop is not walked twice.
        assert_eq!(r.json["summary"]["files_scanned"], 2, "follow={follow}");
        assert_eq!(r.json["summary"]["hits"], 3 + 10);
        let want = if follow {
            "./svc/up: symlink loop, not followed"
        } else {
            "./svc/up: symlink not followed (use --follow)"
        };
        contains_all(&r.stderr, &[want]);
    }
}

#[cfg(unix)]
fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
}

#[cfg(unix)]
#[test]
fn fifo_and_device_files_never_block() {
    let d = with_good();
    mkfifo(&d.path().join("pipe.log"));
    std::os::unix::fs::symlink("/dev/null", d.path().join("null.log")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", d.path().join("zero.log")).unwrap();
    let t0 = Instant::now();
    // In a walk, with and without --follow.
    for follow in [false, true] {
        let args: &[&str] = if follow { &["--follow", "."] } else { &["."] };
        let r = scan_in(d.path(), args, &[]);
        assert_eq!(r.code, 1);
        assert_good_incident(&r.json);
        contains_all(&r.stderr, &["./pipe.log: not a regular file"]);
        if follow {
            contains_all(
                &r.stderr,
                &[
                    "./null.log: not a regular file",
                    "./zero.log: not a regular file",
                ],
            );
        }
    }
    // Named explicitly, a device is read as a stream (issue 23; a named FIFO too, see
    // `hostile_streams.rs`): /dev/null is empty, /dev/zero is binary after its first bytes
    // (never read to its endless end), a link to a device is the device.
    let r = scan_in(
        d.path(),
        &["good.log", "/dev/null", "/dev/zero", "null.log"],
        &[],
    );
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    contains_all(
        &r.stderr,
        &["warning: /dev/zero: binary file (only NUL bytes), skipped"],
    );
    assert_eq!(file(&r.json, "/dev/null")["access"], "stream");
    assert_eq!(file(&r.json, "null.log")["bytes"], 0);
    // A FIFO as a socket dump (`--sockets`) and to `faultscope sockets`: no hang either.
    let r = scan_in(d.path(), &["--sockets", "pipe.log", "good.log"], &[]);
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    contains_all(
        &r.stderr,
        &["warning: pipe.log: not a regular file (FIFO, socket or device), skipped (--sockets)"],
    );
    let out = bin()
        .current_dir(d.path())
        .args(["sockets", "pipe.log", "/dev/null"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "no dump found");
    // `faultscope scan /dev/null` alone: nothing to scan (exit 2), no hang.
    let r = scan_in(d.path(), &["/dev/null"], &[]);
    assert_eq!(r.code, 2);
    contains_all(&r.stderr, &["nothing could be scanned", "/dev/null: empty"]);
    assert!(t0.elapsed() < Duration::from_secs(30));
}

#[cfg(unix)]
#[test]
fn fifo_swapped_in_after_discovery_does_not_block_open() {
    // Discovery saw a regular file; by the time it is opened it is a FIFO with no writer.
    // input::open must not block in open(2).
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("swap.log");
    mkfifo(&p);
    let t0 = Instant::now();
    let e = faultscope::input::open(&p, &Default::default())
        .err()
        .unwrap();
    assert_eq!(e.kind, "special-file");
    assert!(e.message.contains("swap.log"));
    assert!(t0.elapsed() < Duration::from_secs(5));
}

#[test]
fn corrupt_gz() {
    let d = with_good();
    std::fs::write(
        d.path().join("app.log.1.gz"),
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03this is not deflate data at all",
    )
    .unwrap();
    let r = scan_in(d.path(), &["."], &[]);
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    contains_all(&r.stderr, &["error: ./app.log.1.gz: corrupt gzip stream"]);
    assert!(file(&r.json, "app.log.1.gz")["error"].is_string());
}

#[test]
fn truncated_gz_keeps_what_was_decoded() {
    let d = with_good();
    let mut text = record_at("17:00");
    for i in 0..20_000 {
        text.push_str(&format!(
            "2019-08-21 17:30:00.000  INFO 1 --- [main] a.B : filler {i} {}\n",
            i * 7919 % 10007
        ));
    }
    let z = gz(text.as_bytes());
    std::fs::write(d.path().join("app.log.2.gz"), &z[..z.len() * 6 / 10]).unwrap();
    let r = scan_in(d.path(), &["."], &[]);
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    assert_eq!(starts(&r.json), [GOOD_START, "2019-08-21T17:00:00Z"]);
    contains_all(&r.stderr, &["./app.log.2.gz: truncated gzip stream"]);
    let f = file(&r.json, "app.log.2.gz");
    assert!(f["error"].as_str().unwrap().contains("truncated"));
    assert!(f["lines"].as_u64().unwrap() > 1000);
}

#[test]
fn gzip_bomb_stops_at_max_decompressed_with_a_warning() {
    let d = with_good();
    // 64 MiB of log text compresses to ~100 KB; the hit is at the start.
    let mut text = record_at("18:00").into_bytes();
    text.extend(
        b"2019-08-21 18:30:00.000  INFO 1 --- [main] a.B : aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
            .repeat(800_000),
    );
    let z = gz(&text);
    assert!(z.len() < 2 << 20);
    std::fs::write(d.path().join("bomb.log.gz"), &z).unwrap();
    let r = scan_in(d.path(), &["--max-decompressed", "1M", "."], &[]);
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    assert_eq!(starts(&r.json), [GOOD_START, "2019-08-21T18:00:00Z"]);
    contains_all(
        &r.stderr,
        &["warning: ./bomb.log.gz: stopped after 1048576 decompressed bytes (--max-decompressed)"],
    );
    let f = file(&r.json, "bomb.log.gz");
    assert!(f["bytes"].as_u64().unwrap() <= 1 << 20);
    assert!(f["error"].is_null(), "a limit, not an error");
    // A bad size is a flag error.
    let r = bin()
        .args(["scan", "--max-decompressed", "lots", "."])
        .current_dir(d.path())
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("--max-decompressed"));
}

#[test]
fn concatenated_multi_member_gz() {
    let d = with_good();
    let mut z = gz(record_at("19:00").as_bytes());
    z.extend(gz(record_at("19:30").as_bytes()));
    z.extend(gz(b""));
    z.extend(gz(record_at("20:00").as_bytes()));
    std::fs::write(d.path().join("cat.log.gz"), &z).unwrap();
    let r = scan_in(d.path(), &["."], &[]);
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    assert_eq!(
        starts(&r.json),
        [
            GOOD_START,
            "2019-08-21T19:00:00Z",
            "2019-08-21T19:30:00Z",
            "2019-08-21T20:00:00Z"
        ]
    );
    assert_eq!(file(&r.json, "cat.log.gz")["access"], "gzip");
}

#[test]
fn zstd_input_and_corrupt_zstd() {
    let d = with_good();
    let mut z = zstd::encode_all(record_at("21:00").as_bytes(), 3).unwrap();
    z.extend(zstd::encode_all(record_at("21:30").as_bytes(), 3).unwrap());
    std::fs::write(d.path().join("app.log.zst"), &z).unwrap();
    std::fs::write(
        d.path().join("bad.log.zst"),
        b"\x28\xb5\x2f\xfd garbage that is not a frame",
    )
    .unwrap();
    let r = scan_in(d.path(), &["."], &[]);
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    assert_eq!(
        starts(&r.json),
        [GOOD_START, "2019-08-21T21:00:00Z", "2019-08-21T21:30:00Z"]
    );
    assert_eq!(file(&r.json, "app.log.zst")["access"], "zstd");
    contains_all(&r.stderr, &["error: ./bad.log.zst: corrupt zstd stream"]);
}

#[test]
fn hundred_thousand_small_files() {
    // Creating 100,000 files is the slow part on a busy virtual disk (over a minute seen):
    // use tmpfs when there is one, so the test measures faultscope, not the disk.
    let d = match tempfile::tempdir_in("/dev/shm") {
        Ok(d) => d,
        Err(_) => tempfile::tempdir().unwrap(),
    };
    std::fs::write(d.path().join("good.log"), GOOD).unwrap();
    let many = d.path().join("many");
    std::fs::create_dir(&many).unwrap();
    const N: usize = 100_000;
    for i in 0..N {
        // 100 directories of 1,000 files.
        let sub = many.join(format!("d{:03}", i / 1000));
        if i % 1000 == 0 {
            std::fs::create_dir(&sub).unwrap();
        }
        std::fs::write(
            sub.join(format!("f{i:06}.log")),
            "2019-08-21 07:00:00.000  INFO 1 --- [main] a.B : ok\n",
        )
        .unwrap();
    }
    let t0 = Instant::now();
    let out = bin()
        .current_dir(d.path())
        .args(["scan", "--tz", "UTC", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("{} files scanned", N + 1)),
        "{}",
        &text[text.len().saturating_sub(400)..]
    );
    assert!(text.contains("#1  2019-08-21 08:00:01"), "{text}");
    assert!(t0.elapsed() < Duration::from_secs(60), "{:?}", t0.elapsed());
}

#[cfg(unix)]
#[test]
fn same_file_through_two_paths_is_scanned_once() {
    let d = with_good();
    let sub = d.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::hard_link(d.path().join("good.log"), sub.join("hard.log")).unwrap();
    std::os::unix::fs::symlink(d.path().join("good.log"), d.path().join("link.log")).unwrap();
    let r = scan_in(
        d.path(),
        &[
            ".",
            "good.log",
            "./good.log",
            "link.log",
            "sub/hard.log",
            "sub",
        ],
        &[],
    );
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    assert_eq!(r.json["summary"]["files_scanned"], 1);
    assert_eq!(r.json["summary"]["hits"], 3);
    assert_eq!(r.json["incidents"][0]["signatures"]["connect-refused"], 3);
}

#[test]
fn missing_path_among_good_ones() {
    let d = with_good();
    let r = scan_in(d.path(), &["good.log", "no/such/dir", "gone.log"], &[]);
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    contains_all(
        &r.stderr,
        &[
            "error: no/such/dir: cannot open",
            "error: gone.log: cannot open",
        ],
    );
    assert_eq!(r.json["summary"]["files_with_errors"], 2);
    // Nothing readable at all: exit 2.
    let r = scan_in(d.path(), &["no/such/dir"], &[]);
    assert_eq!(r.code, 2);
}

#[test]
fn rules_file_errors_stop_the_run_naming_file_entry_and_problem() {
    let d = with_good();
    let cases: [(&str, &str, &[&str]); 5] = [
        (
            "bad-regex.toml",
            "[[signatures]]\nid = \"mine\"\npatterns = ['(unclosed']\n",
            &["bad-regex.toml", "`mine`", "unclosed group"],
        ),
        (
            "unknown-field.toml",
            "[[signatures]]\nid = \"mine\"\npatterns = ['x']\nseverityy = \"critical\"\n",
            &["unknown-field.toml", "unknown field `severityy`"],
        ),
        (
            "unknown-field.json",
            "{\"signatures\": [{\"id\": \"j\", \"patterns\": [\"a\"], \"bogus\": 1}]}",
            &["unknown-field.json", "unknown field `bogus`"],
        ),
        (
            "dup.toml",
            "[[signatures]]\nid = \"twice\"\npatterns = ['x']\n[[signatures]]\nid = \"twice\"\npatterns = ['y']\n",
            &["dup.toml", "`twice`", "duplicate id"],
        ),
        (
            "huge.toml",
            "[[signatures]]\nid = \"huge\"\npatterns = ['(?u)\\w{1000}\\w{1000}\\w{1000}']\n",
            &["huge.toml", "`huge`", "size limit"],
        ),
    ];
    for (name, body, needles) in cases {
        std::fs::write(d.path().join(name), body).unwrap();
        let out = bin()
            .current_dir(d.path())
            .args(["scan", "--tz", "UTC", "--rules", name, "good.log"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(out.stdout.is_empty(), "no partial report for {name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("faultscope: error: "), "{stderr}");
        contains_all(&stderr, needles);
    }
    // A missing rules file too.
    let out = bin()
        .current_dir(d.path())
        .args(["scan", "--rules", "nope.toml", "good.log"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.toml"));
}

#[test]
fn timestamps_far_in_the_past_and_future_and_non_monotonic() {
    let d = with_good();
    let mut body = String::new();
    for stamp in [
        "2019-08-21 23:00:00.000",
        "1970-01-01 00:00:01.000",
        "9999-12-31 23:59:59.000",
        "0001-01-01 00:00:00.000",
        "2019-08-21 22:00:00.000",
        "2019-13-45 25:61:61.000",
    ] {
        body.push_str(&format!(
            "{stamp} ERROR 1 --- [main] a.B : call failed\njava.net.ConnectException: Connection refused\n"
        ));
    }
    std::fs::write(d.path().join("clock.log"), &body).unwrap();
    // An access log with the same clock trouble (traffic findings walk its minutes).
    std::fs::write(
        d.path().join("access.log"),
        "10.0.0.1 - - [21/Aug/0001:08:00:00 +0000] \"GET /a HTTP/1.1\" 503 12 \"-\" \"x\"\n\
         10.0.0.1 - - [31/Dec/9999:08:00:00 +0000] \"GET /a HTTP/1.1\" 503 12 \"-\" \"x\"\n\
         10.0.0.1 - - [21/Aug/2019:08:00:00 +0000] \"GET /a HTTP/1.1\" 200 12 \"-\" \"x\"\n",
    )
    .unwrap();
    // Stamps 10,000 years apart once hung the coverage and recurrence findings (walking
    // every minute / every cycle of the span): this must finish quickly.
    let t0 = Instant::now();
    let r = scan_in(d.path(), &["clock.log", "good.log"], &[]);
    assert!(t0.elapsed() < Duration::from_secs(20), "{:?}", t0.elapsed());
    let all = scan_in(d.path(), &["."], &[]);
    assert_eq!(all.code, 1);
    assert!(t0.elapsed() < Duration::from_secs(30), "{:?}", t0.elapsed());
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    // Sorted by time whatever the file order; the impossible date is no record head, so its
    // hit joins the record above (22:00). Five errors scattered over 10,000 years are no
    // burst: no incident beside good.log's, and the clock.log's span is read as it is.
    assert_eq!(starts(&r.json), [GOOD_START]);
    // Zones that push a time past year 9999 leave it undated instead of writing a time that
    // is not RFC 3339 (the JSON contract).
    let out = bin()
        .current_dir(d.path())
        .args(["scan", "--format", "json", "--tz", "-12:00", "clock.log"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for x in v["files"].as_array().unwrap() {
        for k in ["first", "last"] {
            if let Some(s) = x[k].as_str() {
                assert_eq!(s.len(), 20, "RFC 3339 with a 4-digit year: {s}");
            }
        }
    }
    assert_eq!(v["undated_hits"], 1);
}

#[test]
fn terminal_escape_sequences_are_shown_escaped() {
    let d = with_good();
    let evil = "2019-08-21 23:30:00.000 ERROR 1 --- [main] a.B : \x1b]0;pwned\x07 call failed\n\
                java.net.ConnectException: Connection refused \x1b[31mRED\x1b[0m \x1b[2J\x08\n";
    // Three times: an incident, so the line is shown as evidence.
    std::fs::write(d.path().join("evil.log"), evil.repeat(3)).unwrap();
    // A file name with an escape sequence too.
    std::fs::write(d.path().join("name\x1b[31m.log"), record_at("23:45")).unwrap();
    let out = bin()
        .current_dir(d.path())
        .args(["scan", "--tz", "UTC", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    for (what, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !bytes.iter().any(|&b| b == 0x1b || b == 0x07 || b == 0x08),
            "raw control byte in {what}: {}",
            String::from_utf8_lossy(bytes)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    contains_all(
        &text,
        &[
            "#1  2019-08-21 08:00:01",
            "Connection refused \\x1b[31mRED\\x1b[0m \\x1b[2J\\x08",
            "name\\x1b[31m.log",
        ],
    );
    // With colors forced on, the only escape sequences are faultscope's own SGR colors.
    let out = bin()
        .current_dir(d.path())
        .args(["scan", "--tz", "UTC", "--color", "always", "."])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    contains_all(&text, &["name\\x1b[31m.log", "RED\\x1b[0m \\x1b[2J\\x08"]);
    for (i, _) in text.match_indices('\x1b') {
        let rest = &text[i + 1..];
        let sgr = rest.starts_with('[')
            && rest[1..].find('m').is_some_and(|end| {
                rest[1..1 + end]
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b';')
            });
        assert!(
            sgr,
            "raw escape that is not a color: {:?}",
            &text[i..(i + 12).min(text.len())]
        );
    }
    assert!(!out.stdout.iter().any(|&b| b == 0x07 || b == 0x08));
    // JSON carries the raw text (escaped by JSON itself), for tools.
    let r = scan_in(d.path(), &["evil.log", "good.log"], &[]);
    assert_good_incident(&r.json);
    assert!(r.json["incidents"][1]["evidence"][0]["text"]
        .as_str()
        .unwrap()
        .contains("\x1b[31mRED"));
}

#[test]
fn never_writes_next_to_the_logs() {
    let d = with_good();
    std::fs::write(d.path().join("b.log.gz"), gz(record_at("06:00").as_bytes())).unwrap();
    let listing = |p: &Path| -> Vec<(PathBuf, u64, std::time::SystemTime)> {
        let mut v: Vec<_> = walk(p)
            .into_iter()
            .map(|f| {
                let m = std::fs::symlink_metadata(&f).unwrap();
                (f, m.len(), m.modified().unwrap())
            })
            .collect();
        v.sort();
        v
    };
    let before = listing(d.path());
    for mmap in ["auto", "always", "never"] {
        let r = scan_in(d.path(), &["--mmap", mmap, "--debug", "."], &[]);
        assert_eq!(r.code, 1);
        assert_good_incident(&r.json);
    }
    assert_eq!(listing(d.path()), before, "nothing created or modified");
}

fn walk(p: &Path) -> Vec<PathBuf> {
    let mut out = vec![p.to_path_buf()];
    if p.is_dir() && !p.is_symlink() {
        for e in std::fs::read_dir(p).unwrap() {
            out.extend(walk(&e.unwrap().path()));
        }
    }
    out
}

#[cfg(unix)]
#[test]
fn never_follows_symlinks_out_of_the_roots_unless_follow() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("elsewhere.log"), record_at("05:00")).unwrap();
    let d = with_good();
    std::os::unix::fs::symlink(outside.path(), d.path().join("outdir")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("elsewhere.log"),
        d.path().join("out.log"),
    )
    .unwrap();
    let r = scan_in(d.path(), &["."], &[]);
    assert_eq!(
        starts(&r.json),
        [GOOD_START],
        "nothing from outside the root"
    );
    assert_eq!(r.json["summary"]["files_scanned"], 1);
    contains_all(
        &r.stderr,
        &[
            "./outdir: symlink not followed (use --follow)",
            "./out.log: symlink not followed (use --follow)",
        ],
    );
    let r = scan_in(d.path(), &["--follow", "."], &[]);
    assert_eq!(
        starts(&r.json),
        ["2019-08-21T05:00:00Z", GOOD_START],
        "--follow reaches it (once: both links lead to one file)"
    );
    assert_eq!(r.json["summary"]["files_scanned"], 2);
}

#[test]
fn max_hits_bounds_storage_with_a_warning() {
    let d = with_good();
    let mut body = String::new();
    for m in 0..50 {
        body.push_str(&format!(
            "2019-08-21 09:{m:02}:00.000 ERROR 1 --- [main] a.B : call failed\n\
             java.net.ConnectException: Connection refused\n"
        ));
    }
    std::fs::write(d.path().join("noisy.log"), &body).unwrap();
    let full = scan_in(d.path(), &["--max-hits", "0", "."], &[]);
    assert_eq!(full.json["summary"]["hits"], 53);
    assert!(!full.stderr.contains("--max-hits"));
    let r = scan_in(d.path(), &["--max-hits", "10", "."], &[]);
    assert_eq!(r.code, 1);
    assert_good_incident(&r.json);
    assert_eq!(r.json["summary"]["hits"], 10, "stored");
    assert_eq!(file(&r.json, "noisy.log")["hits"], 50, "counted");
    contains_all(
        &r.stderr,
        &[
            "warning: --max-hits 10 reached: stored the 10 earliest hits (timeline complete through 2019-08-21T09:06:00Z); 43 more",
        ],
    );
    // The earliest 10 (good.log's three at 08:00:01-03, then 09:00..09:06): the same
    // whatever -j. Both files are short captures (under an hour): their stored records chain.
    let inc = r.json["incidents"].as_array().unwrap();
    assert_eq!(inc.len(), 2);
    assert_eq!(inc[1]["signatures"]["connect-refused"], 7);
    for j in ["1", "3"] {
        let rj = scan_in(d.path(), &["--max-hits", "10", "-j", j, "."], &[]);
        assert_eq!(rj.json, r.json, "-j{j}");
    }
}

/// A log where every line is an unknown warning: unknown records are summarised, not kept
/// (issue 23), so `--max-hits` bounds hits only and every record is counted, the same for
/// any `-j`.
#[test]
fn max_hits_does_not_drop_unknown_records() {
    let d = with_good();
    let mut body = String::new();
    for s in 0..300 {
        body.push_str(&format!(
            "2019-08-21 10:{:02}:{:02}.000  WARN 1 --- [main] c.e.Cache : cache shard {} is cold\n",
            s / 60,
            s % 60,
            s % 7
        ));
    }
    std::fs::write(d.path().join("warn.log"), &body).unwrap();
    let count = |r: &Run| -> u64 {
        r.json["templates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["count"].as_u64().unwrap())
            .sum()
    };
    let full = scan_in(d.path(), &["."], &[]);
    assert_eq!(count(&full), 300);
    assert!(!full.stderr.contains("--max-hits"));
    let r = scan_in(d.path(), &["--max-hits", "50", "."], &[]);
    assert_good_incident(&r.json);
    assert_eq!(count(&r), 300, "every record counted");
    let t = &r.json["templates"][0];
    assert_eq!(t["first"], "2019-08-21T10:00:00Z");
    assert_eq!(t["last"], "2019-08-21T10:04:59Z");
    assert!(!r.stderr.contains("unknown error/warning records"));
    for j in ["1", "3"] {
        let rj = scan_in(d.path(), &["--max-hits", "50", "-j", j, "."], &[]);
        assert_eq!(rj.json, r.json, "-j{j}");
    }
}

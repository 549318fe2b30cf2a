//! Files that change while they are scanned (issue 7): truncated under a memory map (the
//! SIGBUS case that kills `rg --mmap`, see src/input.rs) and appended to by a live writer.
//! Each scan must end with an exit code (never a signal), keep the other file's incident, and
//! report the changing file either completely or explicitly as "truncated during scan".

use assert_cmd::Command;
use serde_json::Value;
use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Three refused calls in three seconds: the smallest incident (one line alone is isolated).
const GOOD: &str = "2019-08-21 08:00:01.000 ERROR 1 --- [main] a.B : call failed\n\
                    java.net.ConnectException: Connection refused\n\
                    2019-08-21 08:00:02.000 ERROR 1 --- [main] a.B : call failed\n\
                    java.net.ConnectException: Connection refused\n\
                    2019-08-21 08:00:03.000 ERROR 1 --- [main] a.B : call failed\n\
                    java.net.ConnectException: Connection refused\n";

fn scan(dir: &Path, args: &[&str]) -> (Option<i32>, Value, String) {
    let out = Command::cargo_bin("faultscope")
        .unwrap()
        .timeout(Duration::from_secs(60))
        .current_dir(dir)
        .args(["scan", "--tz", "UTC", "--format", "json", "--gap", "30s"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.code().is_none() {
        use std::os::unix::process::ExitStatusExt;
        panic!(
            "faultscope died from signal {:?} (135 = SIGBUS); stderr: {stderr}",
            out.status.signal()
        );
    }
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}); stderr: {stderr}"));
    (out.status.code(), v, stderr)
}

fn file<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == name)
        .unwrap()
}

fn assert_good(v: &Value) {
    assert!(
        v["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["start"] == "2019-08-21T08:00:01Z"),
        "good.log's incident lost: {:#}",
        v["incidents"]
    );
}

/// A 24 MB log: one incident at 09:00 in the first lines, then filler.
fn big_log() -> Vec<u8> {
    let mut b = b"2019-08-21 09:00:00.000 ERROR 1 --- [main] a.B : call failed\n\
                  java.net.ConnectException: Connection refused\n"
        .to_vec();
    let filler =
        b"2019-08-21 09:00:01.000  INFO 1 --- [nio-8080-exec-1] c.e.Controller : request served in 12 ms\n";
    while b.len() < 24 << 20 {
        b.extend_from_slice(filler);
    }
    b
}

#[test]
fn truncated_in_a_loop_while_scanned_never_crashes() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("good.log"), GOOD).unwrap();
    let content = big_log();
    let path = d.path().join("live.log");
    std::fs::write(&path, &content).unwrap();

    // copytruncate, over and over: shrink the file to 64 KiB, then write the rest back.
    let stop = Arc::new(AtomicBool::new(false));
    let truncator = {
        let stop = stop.clone();
        let path = path.clone();
        let content = content.clone();
        std::thread::spawn(move || {
            let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            let mut cycles = 0u32;
            while !stop.load(Ordering::Relaxed) {
                f.set_len(64 << 10).unwrap();
                std::thread::sleep(Duration::from_millis(3));
                f.write_all_at(&content[64 << 10..], 64 << 10).unwrap();
                std::thread::sleep(Duration::from_millis(7 + (cycles % 5) as u64 * 4));
                cycles += 1;
            }
            cycles
        })
    };

    let t0 = Instant::now();
    let (mut runs, mut truncated, mut complete, mut mapped_faults) = (0, 0, 0, 0);
    while t0.elapsed() < Duration::from_secs(4) || runs < 6 {
        // Mostly maps (the SIGBUS case); every third run the read() path.
        let mode = if runs % 3 == 2 { "never" } else { "always" };
        let (code, v, stderr) = scan(d.path(), &["--mmap", mode, "-j2", "live.log", "good.log"]);
        assert_eq!(code, Some(1), "{stderr}");
        assert_good(&v);
        let f = file(&v, "live.log");
        match f["error"].as_str() {
            None => complete += 1,
            Some(e) => {
                assert!(
                    e.contains("live.log: file truncated during scan"),
                    "unexpected error: {e}"
                );
                assert!(stderr.contains("error: live.log: file truncated during scan"));
                truncated += 1;
                mapped_faults += e.contains("memory-mapped") as u32;
            }
        }
        runs += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let cycles = truncator.join().unwrap();
    eprintln!("{runs} scans during {cycles} truncations: {complete} complete, {truncated} reported truncated");
    assert_eq!(complete + truncated, runs);
    assert!(cycles > 10);
    // The fault path itself ran (a scan takes far longer than the 3-17 ms between
    // truncations, so nearly every mapped scan meets one).
    assert!(mapped_faults > 0, "no mapped scan met a truncation");
}

#[test]
fn appended_while_scanned_gives_a_consistent_prefix() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("good.log"), GOOD).unwrap();
    let path = d.path().join("app.log");
    // Filler first, so each scan takes a while.
    let mut start = Vec::new();
    let filler =
        b"2019-08-21 08:30:00.000  INFO 1 --- [nio-8080-exec-1] c.e.Controller : request served in 12 ms\n";
    while start.len() < 8 << 20 {
        start.extend_from_slice(filler);
    }
    std::fs::write(&path, &start).unwrap();

    // The writer appends one failing record per minute of log time (10:00, 10:01, ...),
    // in small writes, so scans often see a half-written record at the end.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let path = path.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap();
            let mut m = 0u32;
            while !stop.load(Ordering::Relaxed) && m < 600 {
                let rec = format!(
                    "2019-08-21 {:02}:{:02}:00.000 ERROR 1 --- [main] a.B : call failed\n\
                     java.net.ConnectException: Connection refused\n",
                    10 + m / 60,
                    m % 60
                );
                let (a, b) = rec.as_bytes().split_at(rec.len() / 2);
                f.write_all(a).unwrap();
                std::thread::sleep(Duration::from_millis(1));
                f.write_all(b).unwrap();
                f.flush().unwrap();
                m += 1;
                std::thread::sleep(Duration::from_millis(4));
            }
            f.seek(SeekFrom::End(0)).unwrap()
        })
    };

    let t0 = Instant::now();
    let mut runs = 0;
    let mut seen = Vec::new();
    while t0.elapsed() < Duration::from_secs(3) || runs < 4 {
        let mode = if runs % 2 == 0 { "always" } else { "never" };
        let (code, v, stderr) = scan(d.path(), &["--mmap", mode, "app.log", "good.log"]);
        assert_eq!(code, Some(1), "{stderr}");
        assert_good(&v);
        let f = file(&v, "app.log");
        assert!(f["error"].is_null(), "growing is not an error: {f:#}");
        // The appended records are exactly 10:00, 10:01, ... up to some minute: a prefix, no
        // hole, no duplicate, whatever moment the snapshot was taken. (One error a minute is a
        // steady trickle to the rate detector, not incidents: the file's hits and its last
        // record say what was read.)
        let n = f["hits"].as_u64().unwrap() as usize;
        let starts: Vec<String> = (0..n)
            .map(|m| format!("2019-08-21T{:02}:{:02}:00Z", 10 + m / 60, m % 60))
            .collect();
        // The last record read is the n-th, or the next one half-written (its head is there,
        // its exception line, the hit, not yet).
        let next = format!("2019-08-21T{:02}:{:02}:00Z", 10 + n / 60, n % 60);
        if let (Some(want), Some(last)) = (starts.last(), f["last"].as_str()) {
            assert!(
                last == want || last == next,
                "{mode}: last {last}, {n} hits"
            );
        }
        seen.push(starts.len());
        runs += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let size = writer.join().unwrap();
    eprintln!("{runs} scans saw {seen:?} appended incidents; final size {size}");
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "later scans see at least as much: {seen:?}"
    );
}

/// The guard only swallows faults in its own maps: a SIGBUS anywhere else still kills the
/// process (here: a map made behind the guard's back, in a child copy of this test binary).
#[cfg(target_os = "linux")]
#[test]
fn a_fault_outside_guarded_maps_still_crashes() {
    const CHILD: &str = "FAULTSCOPE_TEST_SIGBUS_CHILD";
    if let Some(dir) = std::env::var_os(CHILD) {
        let dir = Path::new(&dir);
        // Install the guard with a real guarded map.
        let guarded = dir.join("guarded.log");
        std::fs::write(&guarded, vec![b'x'; 1 << 20]).unwrap();
        let opts = faultscope::input::InputOptions {
            mmap: faultscope::input::MmapChoice::Always,
            ..Default::default()
        };
        let o = faultscope::input::open(&guarded, &opts)
            .unwrap()
            .ok()
            .unwrap();
        assert_eq!(o.access, faultscope::input::Access::Mmap);
        // An unguarded map, truncated, then read: must die with SIGBUS.
        let other = dir.join("other.log");
        std::fs::write(&other, vec![b'y'; 1 << 20]).unwrap();
        let f = std::fs::File::open(&other).unwrap();
        // SAFETY: deliberately unsafe: the test wants the fault.
        let map = unsafe { memmap2::Mmap::map(&f).unwrap() };
        std::fs::OpenOptions::new()
            .write(true)
            .open(&other)
            .unwrap()
            .set_len(0)
            .unwrap();
        let sum: u64 = map.iter().map(|&b| b as u64).sum();
        println!("survived with sum {sum}");
        std::process::exit(0);
    }
    let d = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_fault_outside_guarded_maps_still_crashes",
            "--nocapture",
        ])
        .env(CHILD, d.path())
        .output()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGBUS),
        "{:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
}

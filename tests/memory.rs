//! Memory flat in the input size (issue 23), through the binary.
//!
//! - A warning-heavy log (an nginx error log where every line is a `[warn]` no signature
//!   knows, a tenth `[error]`s) is scanned under `RLIMIT_DATA` (heap and other private
//!   writable memory; the log itself is mapped, `--mmap always`, so its pages are not
//!   counted). Before the unknown records were summarised, each was kept whole (~420 bytes
//!   with its head line): 64 MB of this log needed ~150 MB and the scan aborted under the
//!   limit; summarised, it needs under 40 MB.
//! - The same log gives the same report and templates for `-j1` and `-j8`: the chunks'
//!   summaries merge in whatever order threads finish them.
//! - `--mmap never` reads large plain files window by window: two copies of the log scan
//!   under the same limit (read whole, each would need its 64 MB), and the report is the
//!   one the mapped files give.

use assert_cmd::Command;
use std::io::Write;
use std::path::Path;

/// Bytes of generated log.
const LOG_BYTES: usize = 64 << 20;

/// Writes the warning-heavy log: one record per line, spread over a day, its variable
/// parts (ids, addresses, paths) drawn from a fixed xorshift sequence.
fn write_log(path: &Path) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let (mut written, mut n) = (0usize, 0u64);
    while written < LOG_BYTES {
        let t = n * 86_400 / 230_000 % 86_400;
        let stamp = format!(
            "2019/08/21 {:02}:{:02}:{:02}",
            t / 3600,
            t / 60 % 60,
            t % 60
        );
        let line = if n % 10 == 3 {
            format!(
                "{stamp} [error] 31#31: *{n} ledger {} locked by batch-{}, client: 10.0.{}.{}, server: api\n",
                next(1_000_000),
                next(9),
                next(256),
                next(256)
            )
        } else {
            format!(
                "{stamp} [warn] 31#31: *{n} an upstream response is buffered to a temporary file \
                 /var/cache/nginx/proxy_temp/{}/{:02}/{n} while reading upstream, client: 10.0.{}.{}, \
                 server: api, request: \"GET /api/order/{} HTTP/1.1\", upstream: \
                 \"http://10.0.1.5:8080/api/inventory/stock\", host: \"api.example.com\"\n",
                next(10),
                next(100),
                next(256),
                next(256),
                next(1_000_000)
            )
        };
        f.write_all(line.as_bytes()).unwrap();
        written += line.len();
        n += 1;
    }
    f.flush().unwrap();
}

/// Heap and private writable memory allowed to the scan.
const DATA_LIMIT: u64 = 64 << 20;
/// The same for a whole `scan --mmap never` of two such logs (a mapped scan of them needs
/// 80 MB of it, the detector and report included; reading each whole needed 64 MB more per
/// thread, and that scan aborted under 128 MB).
const SCAN_LIMIT: u64 = 96 << 20;

/// The binary with `args`, under `limit` bytes of `RLIMIT_DATA`.
#[cfg(target_os = "linux")]
fn limited(args: &[&str], logs: &Path, limit: u64) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("faultscope"));
    cmd.args(args).arg(logs);
    // SAFETY: only async-signal-safe calls (setrlimit) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_DATA, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn a_warning_heavy_log_scans_under_a_data_limit() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("nginx");
    std::fs::create_dir(&logs).unwrap();
    write_log(&logs.join("error.log"));
    let out = limited(
        &["templates", "--format", "json", "--mmap", "always", "-j2"],
        &logs,
        DATA_LIMIT,
    );
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Every record is counted: 9 warnings of one template for each error of the other.
    let records = v["records"].as_u64().unwrap();
    assert!(records > 200_000, "{records}");
    let templates = v["templates"].as_array().unwrap();
    assert_eq!(templates.len(), 2, "{templates:#?}");
    let count = |level: &str| {
        templates
            .iter()
            .filter(|t| t["level"] == level)
            .map(|t| t["count"].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(count("warning") + count("error"), records);
    assert_eq!(count("error"), (records + 6) / 10);
}

#[test]
fn thread_count_never_changes_the_templates_of_a_large_log() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("nginx");
    std::fs::create_dir(&logs).unwrap();
    write_log(&logs.join("error.log"));
    // A second, smaller file: summaries of several files merge too.
    let text = std::fs::read_to_string(logs.join("error.log")).unwrap();
    std::fs::write(logs.join("error.log.1"), &text[..text.len() / 7]).unwrap();
    drop(text);
    let run = |j: &str, cmd: &str| {
        let out = Command::cargo_bin("faultscope")
            .unwrap()
            .args([cmd, "--format", "json", "--tz", "UTC", j])
            .arg(&logs)
            .output()
            .unwrap();
        assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
        out.stdout
    };
    for cmd in ["templates", "scan"] {
        let one = run("-j1", cmd);
        let eight = run("-j8", cmd);
        assert!(one == eight, "{cmd}: -j1 and -j8 differ");
    }
}

/// The scan report without what says how the bytes were obtained (`access`) or how long
/// things took.
fn comparable(mut v: serde_json::Value) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.retain(|k, _| !matches!(k.as_str(), "access" | "elapsed_ms" | "timings"));
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

#[cfg(target_os = "linux")]
#[test]
fn mmap_never_reads_large_files_in_windows_under_a_data_limit() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("nginx");
    std::fs::create_dir(&logs).unwrap();
    write_log(&logs.join("error.log"));
    std::fs::copy(logs.join("error.log"), logs.join("error.log.1")).unwrap();
    let args = ["scan", "--format", "json", "--tz", "UTC", "-j2"];
    let never = limited(
        &[&args[..], &["--mmap", "never"]].concat(),
        &logs,
        SCAN_LIMIT,
    );
    assert!(
        matches!(never.status.code(), Some(0 | 1)),
        "{:?}: {}",
        never.status,
        String::from_utf8_lossy(&never.stderr)
    );
    let never: serde_json::Value = serde_json::from_slice(&never.stdout).unwrap();
    for f in never["files"].as_array().unwrap() {
        assert_eq!(f["access"], "read", "{f:#}");
        assert!(f["bytes"].as_u64().unwrap() >= LOG_BYTES as u64, "{f:#}");
    }
    let mapped = Command::cargo_bin("faultscope")
        .unwrap()
        .args(args)
        .args(["--mmap", "always"])
        .arg(&logs)
        .output()
        .unwrap();
    let mapped: serde_json::Value = serde_json::from_slice(&mapped.stdout).unwrap();
    assert_eq!(comparable(never), comparable(mapped));
}

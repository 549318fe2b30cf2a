//! Output files that appear whole or not at all.
//!
//! Every file faultscope writes (reports with `-o`, `-o PREFIX` sets, `--emit partial` files,
//! `.gz` or not, `templates -o`) goes through [`Output`]: the bytes go to a temporary file
//! in the destination's own directory (`.NAME.XXXXXX.tmp`, so the final rename never
//! crosses a file system), which is flushed and `fsync`ed and only then renamed over the
//! destination. A CI step, a dashboard or a `merge` reading the destination sees the old
//! file or the whole new one, never a truncated report that looks like a result.
//!
//! Failure paths:
//! - a write, flush, `fsync` or rename error (a full disk: `No space left on device`)
//!   is an error naming the destination; the temporary file is removed (exit 2);
//! - SIGINT or SIGTERM ([`install_signal_cleanup`]): a watcher thread (signal-hook's
//!   self-pipe, so the handler itself only writes a byte) removes every registered
//!   temporary file and exits 130 for SIGINT, 2 for SIGTERM. [`Output::commit`] renames
//!   while holding the registry's lock, so a signal either comes before the rename (the
//!   temporary file is removed, nothing appears) or after it (the file is complete).
//!   Signals ignored when faultscope started (`nohup`, a background job of a script) stay
//!   ignored.
//!
//! A destination that exists and is not a regular file (`-o /dev/stdout`, `/dev/null`, a
//! FIFO) is written in place: renaming over it would replace the device node.
//!
//! [`INJECT_WRITE_ERROR_ENV`] makes writes to matching destinations fail with ENOSPC, for
//! tests (a full disk cannot be had in CI without mounting a small file system).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Environment variable that makes writes to matching destinations fail with ENOSPC (`No
/// space left on device`): `SUBSTRING` or `SUBSTRING:BYTES` (fail once BYTES were
/// written; default 0).
pub const INJECT_WRITE_ERROR_ENV: &str = "FAULTSCOPE_TEST_WRITE_ERROR";

/// Environment variable that makes writes to matching destinations stall for a minute once
/// some bytes were written: `SUBSTRING:BYTES`. A slow disk, for the test that interrupts a
/// run mid-write (it waits for the temporary file, then sends SIGINT).
pub const INJECT_WRITE_STALL_ENV: &str = "FAULTSCOPE_TEST_WRITE_STALL";

/// Temporary files not yet renamed into place: removed by the signal watcher.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// One output file being written. Write to it, then [`Output::commit`]; dropped without a
/// commit, its temporary file is removed and the destination is untouched.
pub struct Output {
    dest: PathBuf,
    target: Target,
    written: u64,
    /// Injected ENOSPC after this many bytes ([`INJECT_WRITE_ERROR_ENV`]).
    fail_at: Option<u64>,
    /// Injected stall after this many bytes ([`INJECT_WRITE_STALL_ENV`]).
    stall_at: Option<u64>,
}

enum Target {
    /// A temporary file beside the destination (`None` once committed or removed).
    Temp(Option<tempfile::NamedTempFile>),
    /// A device or FIFO named as destination: written in place.
    Direct(File),
}

fn write_err(dest: &Path, e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("cannot write {}: {e}", dest.display())
}

impl Output {
    /// Starts writing `dest`: a temporary file in its directory (or `dest` itself when it
    /// is a device or FIFO). Errors name `dest`.
    pub fn create(dest: &Path) -> anyhow::Result<Output> {
        let fail_at = injected(INJECT_WRITE_ERROR_ENV, dest);
        let stall_at = injected(INJECT_WRITE_STALL_ENV, dest);
        let special = std::fs::metadata(dest).is_ok_and(|m| !m.is_file() && !m.is_dir());
        let target = if special {
            Target::Direct(File::create(dest).map_err(|e| write_err(dest, e))?)
        } else {
            let dir = match dest.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            let name = dest.file_name().unwrap_or(dest.as_os_str());
            let mut prefix = std::ffi::OsString::from(".");
            prefix.push(name);
            prefix.push(".");
            let mut b = tempfile::Builder::new();
            b.prefix(&prefix).suffix(".tmp");
            #[cfg(unix)]
            {
                // What `File::create` gives (0666 less the umask), not tempfile's 0600: a
                // report is often served or shared.
                use std::os::unix::fs::PermissionsExt;
                b.permissions(std::fs::Permissions::from_mode(0o666));
            }
            // Registered under the lock that the signal watcher takes, so it never misses
            // a file created while it cleans up.
            let mut pending = lock_pending();
            let tmp = b.tempfile_in(dir).map_err(|e| write_err(dest, e))?;
            pending.push(tmp.path().to_path_buf());
            Target::Temp(Some(tmp))
        };
        Ok(Output {
            dest: dest.to_path_buf(),
            target,
            written: 0,
            fail_at,
            stall_at,
        })
    }

    /// Flushes and `fsync`s the bytes, then renames the temporary file over the
    /// destination. Errors name the destination; the temporary file is removed.
    pub fn commit(mut self) -> anyhow::Result<()> {
        let dest = self.dest.clone();
        match &mut self.target {
            Target::Direct(f) => f.flush().map_err(|e| write_err(&dest, e)),
            Target::Temp(slot) => {
                let Some(tmp) = slot.as_mut() else {
                    return Err(write_err(&dest, "the temporary file is gone"));
                };
                tmp.as_file_mut()
                    .flush()
                    .and_then(|_| tmp.as_file().sync_all())
                    .map_err(|e| write_err(&dest, e))?;
                let tmp = slot.take().expect("checked above");
                let path = tmp.path().to_path_buf();
                let mut pending = lock_pending();
                // On failure the temporary file comes back in the error and is removed
                // when it drops, still under the lock.
                let renamed = tmp
                    .persist(&dest)
                    .map(drop)
                    .map_err(|e| write_err(&dest, e.error));
                pending.retain(|p| *p != path);
                drop(pending);
                renamed?;
                sync_dir(&dest);
                Ok(())
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut buf = buf;
        if let Some(at) = self.fail_at {
            let room = at.saturating_sub(self.written);
            if room == 0 {
                return Err(enospc());
            }
            buf = &buf[..buf.len().min(usize::try_from(room).unwrap_or(usize::MAX))];
        }
        if let Some(at) = self.stall_at {
            if self.written >= at {
                self.stall_at = None;
                std::thread::sleep(std::time::Duration::from_secs(60));
            } else {
                // Up to the stall point first: the next write stalls.
                let room = usize::try_from(at - self.written).unwrap_or(usize::MAX);
                buf = &buf[..buf.len().min(room)];
            }
        }
        let n = match &mut self.target {
            Target::Direct(f) => f.write(buf)?,
            Target::Temp(Some(t)) => t.write(buf)?,
            Target::Temp(None) => return Err(std::io::Error::other("output already committed")),
        };
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.target {
            Target::Direct(f) => f.flush(),
            Target::Temp(Some(t)) => t.flush(),
            Target::Temp(None) => Ok(()),
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Target::Temp(slot) = &mut self.target {
            if let Some(tmp) = slot.take() {
                // Removed under the lock: the watcher either removed it already (and then
                // exits) or will not see it.
                let mut pending = lock_pending();
                pending.retain(|p| p != tmp.path());
                let _ = tmp.close();
            }
        }
    }
}

fn lock_pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(|p| p.into_inner())
}

/// After a rename: `fsync` the directory so the new name survives a crash (best effort;
/// not every file system allows opening a directory for it).
fn sync_dir(dest: &Path) {
    #[cfg(unix)]
    if let Some(dir) = dest.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = dest;
}

fn enospc() -> std::io::Error {
    #[cfg(unix)]
    {
        std::io::Error::from_raw_os_error(libc::ENOSPC)
    }
    #[cfg(not(unix))]
    {
        std::io::Error::other("No space left on device")
    }
}

/// The byte count after which writes to `dest` fail or stall (the test hooks above).
fn injected(var: &str, dest: &Path) -> Option<u64> {
    let spec = std::env::var(var).ok()?;
    let (needle, at) = match spec.rsplit_once(':') {
        Some((n, a)) if a.parse::<u64>().is_ok() => (n.to_string(), a.parse().ok()?),
        _ => (spec.clone(), 0),
    };
    (!needle.is_empty() && dest.to_string_lossy().contains(&needle)).then_some(at)
}

/// Installs the SIGINT/SIGTERM cleanup (see the module docs): once per process, before any
/// output file is created. Without it (no thread, no handler) signals keep their default
/// action.
pub fn install_signal_cleanup() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let wanted: Vec<i32> = [SIGINT, SIGTERM]
            .into_iter()
            .filter(|&s| !ignored_at_start(s))
            .collect();
        if wanted.is_empty() {
            return;
        }
        let Ok(mut signals) = signal_hook::iterator::Signals::new(&wanted) else {
            return;
        };
        let _ = std::thread::Builder::new()
            .name("faultscope-signals".into())
            .spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    cleanup_and_exit(sig);
                }
            });
    }
}

/// Was `sig` ignored when the process started (`nohup`, `cmd &` in a script)? Then it stays
/// ignored, as the shell meant.
#[cfg(unix)]
fn ignored_at_start(sig: i32) -> bool {
    // SAFETY: sigaction with a null new action only reads the current disposition into
    // `old`, a zeroed (valid) sigaction.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(sig, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN
    }
}

/// Removes every pending temporary file and exits: 130 for SIGINT (128 + 2, what a shell
/// reports for Ctrl-C), 2 (trouble) for SIGTERM.
#[cfg(unix)]
fn cleanup_and_exit(sig: i32) -> ! {
    // Held until exit: a commit waiting for it never renames.
    let pending = lock_pending();
    for p in pending.iter() {
        let _ = std::fs::remove_file(p);
    }
    let (name, code) = if sig == signal_hook::consts::SIGINT {
        ("SIGINT", 130)
    } else {
        ("SIGTERM", super::EXIT_TROUBLE)
    };
    let removed = if pending.is_empty() {
        String::new()
    } else {
        format!(
            "; removed {} unfinished output file{}",
            pending.len(),
            if pending.len() == 1 { "" } else { "s" }
        )
    };
    eprintln!("faultscope: interrupted by {name}{removed}");
    std::process::exit(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn commit_renames_whole_and_drop_leaves_nothing() {
        let d = tempfile::tempdir().unwrap();
        let dest = d.path().join("report.json");
        std::fs::write(&dest, "old\n").unwrap();
        let mut o = Output::create(&dest).unwrap();
        o.write_all(b"new report\n").unwrap();
        // Not yet committed: the old file is intact beside a hidden temporary file.
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "old\n");
        assert_eq!(names(d.path()).len(), 2);
        assert!(lock_pending().iter().any(|p| p.starts_with(d.path())));
        o.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "new report\n");
        assert_eq!(names(d.path()), ["report.json"]);
        assert!(!lock_pending().iter().any(|p| p.starts_with(d.path())));
        // Abandoned (an error before commit): the destination keeps its old bytes.
        let mut o = Output::create(&dest).unwrap();
        o.write_all(b"half").unwrap();
        drop(o);
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "new report\n");
        assert_eq!(names(d.path()), ["report.json"]);
        // A new file that is never committed never appears.
        let fresh = d.path().join("fresh.md");
        drop(Output::create(&fresh).unwrap());
        assert!(!fresh.exists());
    }

    #[cfg(unix)]
    #[test]
    fn permissions_follow_the_umask_like_file_create() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let plain = d.path().join("plain");
        File::create(&plain).unwrap();
        let dest = d.path().join("out.txt");
        Output::create(&dest).unwrap().commit().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dest), mode(&plain));
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_written_in_place_never_replaced() {
        let mut o = Output::create(Path::new("/dev/null")).unwrap();
        o.write_all(b"discarded").unwrap();
        o.commit().unwrap();
        use std::os::unix::fs::FileTypeExt;
        let ft = std::fs::metadata("/dev/null").unwrap().file_type();
        assert!(ft.is_char_device());
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_the_destination() {
        let e = Output::create(Path::new("/no/such/dir/out.json"))
            .err()
            .unwrap()
            .to_string();
        assert!(e.starts_with("cannot write /no/such/dir/out.json: "), "{e}");
    }
}

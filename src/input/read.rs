//! Reading: non-blocking opens, bounded reads, and samples.
//!
//! Input: a path or an open file. Output: bytes: a snapshot of a file as it was at `fstat`
//! time ([`read_snapshot`]), or a sample of its middle for the prefilter ([`sample`]).
//!
//! Tricky cases:
//! * `open()` on a FIFO with no writer blocks forever without `O_NONBLOCK` (and on some
//!   devices has side effects without `O_NOCTTY`): every open here passes both.
//! * A thread keeps its last directory open and opens the next file relative to it
//!   (`openat`, Linux): files come in path order, so the kernel looks up one name instead
//!   of every component of the path again.
//! * A file appended to while we read gives a consistent snapshot (at most the size seen at
//!   open); one that shrank is reported as `truncated-during-scan`. A regular file
//!   reporting size 0 (`/proc`, some FUSE files) is read to its end, bounded by
//!   `--max-decompressed`.

use crate::error::FileError;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::codec::{Codec, SNIFF_LEN};
use super::InputOptions;

/// Environment variable that makes reading matching paths fail with EIO (`Input/output
/// error`) at a byte offset: `SUBSTRING:OFFSET`, e.g. `app.log:65536`.
///
/// A test hook like [`INJECT_OPEN_ERROR_ENV`](super::INJECT_OPEN_ERROR_ENV): a disk that
/// fails in the middle of a file cannot be had in CI. Reads with `read()` (plain files,
/// compressed files, streams) fail when they reach OFFSET (of the file's own bytes, before
/// decompression); a memory-mapped file fails at the first scan chunk that reaches OFFSET
/// (a real I/O error under a map arrives as SIGBUS, see `sigbus`). It only ever makes
/// faultscope read *less*.
pub const INJECT_READ_ERROR_ENV: &str = "FAULTSCOPE_TEST_READ_ERROR";

/// The offset where reading `shown` fails by [`INJECT_READ_ERROR_ENV`], if it matches.
pub fn injected_read_error(shown: &str) -> Option<u64> {
    // Read once per process, like the open hook.
    static SPEC: std::sync::OnceLock<Option<(String, u64)>> = std::sync::OnceLock::new();
    let (needle, at) = SPEC
        .get_or_init(|| {
            let v = std::env::var_os(INJECT_READ_ERROR_ENV)?
                .into_string()
                .ok()?;
            let (needle, at) = v.rsplit_once(':')?;
            Some((needle.to_string(), at.parse().ok()?)).filter(|(n, _)| !n.is_empty())
        })
        .as_ref()?;
    shown.contains(needle.as_str()).then_some(*at)
}

/// A reader that fails with EIO once `at` bytes were read ([`INJECT_READ_ERROR_ENV`]);
/// without an offset it only passes reads through.
pub(super) struct FaultAt<R> {
    inner: R,
    pos: u64,
    at: u64,
}

impl<R> FaultAt<R> {
    pub(super) fn new(inner: R, at: Option<u64>) -> FaultAt<R> {
        FaultAt {
            inner,
            pos: 0,
            at: at.unwrap_or(u64::MAX),
        }
    }
}

impl<R: Read> Read for FaultAt<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.at {
            return Err(eio());
        }
        let room = usize::try_from(self.at - self.pos).unwrap_or(usize::MAX);
        let n = buf.len().min(room);
        let got = self.inner.read(&mut buf[..n])?;
        self.pos += got as u64;
        Ok(got)
    }
}

/// The error a failing disk gives (`EIO`).
pub(super) fn eio() -> std::io::Error {
    #[cfg(unix)]
    {
        std::io::Error::from_raw_os_error(libc::EIO)
    }
    #[cfg(not(unix))]
    {
        std::io::Error::other("Input/output error")
    }
}

/// Up to `len` bytes from the middle of a regular file (from windows spread over it when it
/// is over 16 times that size; from the start of a gzip or zstd stream, decompressed), for
/// the prefilter's byte statistics (src/catalog/prefilter.rs). Anything odd (not a regular
/// file, an error) gives nothing: the sample only steers speed.
pub fn sample(path: &Path, len: usize) -> Vec<u8> {
    sample_sized(path, len, true).0
}

/// [`sample`] and the file's size on disk (`None` when it is not a regular file or cannot
/// be opened): the scan estimates the input's size from its samples. `spread: false` takes
/// a big file's middle in one piece (the scan does when it samples 16 files or more: they
/// span the input already, and on the bench's 20 files of 100 MB the prefilter planned on
/// windows of them searched 25 % slower, 0.29 → 0.39 s on one core).
pub fn sample_sized(path: &Path, len: usize, spread: bool) -> (Vec<u8>, Option<u64>) {
    let Ok(f) = open_nonblocking(path) else {
        return (Vec::new(), None);
    };
    let size = match f.metadata() {
        Ok(m) if m.is_file() => m.len(),
        _ => return (Vec::new(), None),
    };
    (sample_open(f, size, len, spread), Some(size))
}

/// A file holding this many samples' worth of bytes or more is sampled in as many windows
/// spread over it, not in one piece from its middle.
const SPREAD_WINDOWS: usize = 16;

/// Fills `buf` with [`SPREAD_WINDOWS`] equal windows, one from the middle of each
/// sixteenth of the file; returns the bytes read. Why: one big file is often several logs
/// in one (a day's rotation of a service with a JSON phase and a plain phase, `cat`ted
/// logs of several services), and its middle 64 KiB is one of them. On the bench's single
/// 2 GB file (the 20 files' logs one after another) the middle held only Spring Boot lines,
/// so the prefilter chose `"message"` and `read`, which are on every JSON line: 1.4 M
/// candidate lines of 13 M. Spread over the file: 1,611.
fn read_spread(f: &mut File, size: u64, buf: &mut [u8]) -> std::io::Result<usize> {
    let w = buf.len() / SPREAD_WINDOWS;
    let part = size / SPREAD_WINDOWS as u64;
    let mut got = 0;
    for i in 0..SPREAD_WINDOWS as u64 {
        f.seek(SeekFrom::Start(
            part * i + part.saturating_sub(w as u64) / 2,
        ))?;
        got += read_up_to(f, &mut buf[got..got + w])?;
    }
    Ok(got)
}

fn sample_open(mut f: File, size: u64, len: usize, spread: bool) -> Vec<u8> {
    let mut magic = [0u8; SNIFF_LEN];
    let n = read_up_to(&mut f, &mut magic).unwrap_or(0);
    let mut buf = vec![0u8; len];
    if f.seek(SeekFrom::Start(0)).is_err() {
        return Vec::new();
    }
    let got = if let Some(codec) = Codec::sniff(&magic[..n]) {
        // Compressed archives are most of some corpora: sample their first decompressed
        // bytes (the middle would mean decompressing half the file).
        match codec.reader(f) {
            Ok(dec) => read_up_to(&mut dec.take(len as u64), &mut buf),
            Err(e) => Err(e),
        }
    } else if spread && size > (SPREAD_WINDOWS * len) as u64 {
        read_spread(&mut f, size, &mut buf)
    } else {
        let at = size.saturating_sub(len as u64) / 2;
        f.seek(SeekFrom::Start(at))
            .and_then(|_| read_up_to(&mut f, &mut buf))
    };
    match got {
        Ok(n) => {
            buf.truncate(n);
            buf
        }
        Err(_) => Vec::new(),
    }
}

/// Opens read-only without blocking: `open()` on a FIFO with no writer blocks forever
/// without `O_NONBLOCK` (and on some devices has side effects without `O_NOCTTY`).
pub(super) fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    o.open(path)
}

/// [`open_nonblocking`] through the directory: a thread keeps its last directory open and
/// opens the next file of that directory relative to it (`openat`). Files come to a thread
/// in path order, so most share the previous file's directory, and the kernel then looks
/// up one name instead of every component of the path again: the lookups were about 6% of
/// the CPU of a scan of the bench's 100,000 small files. The same file is opened (the
/// path is exactly the directory, `/` and the name) with the same flags; when the
/// directory cannot be opened, the plain `open` gives the error.
#[cfg(target_os = "linux")]
pub(super) fn open_listed(path: &Path) -> std::io::Result<File> {
    use std::cell::RefCell;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;
    thread_local! {
        static DIR: RefCell<Option<(Vec<u8>, OwnedFd)>> = const { RefCell::new(None) };
    }
    let whole = path.as_os_str().as_bytes();
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return open_nonblocking(path);
    };
    let (dir, name) = (dir.as_os_str().as_bytes(), name.as_bytes());
    let mut cname = [0u8; 256];
    if dir.is_empty()
        || name.len() >= cname.len()
        || whole.len() != dir.len() + 1 + name.len()
        || whole.get(dir.len()) != Some(&b'/')
        || !whole.ends_with(name)
        || name.contains(&0)
    {
        return open_nonblocking(path);
    }
    cname[..name.len()].copy_from_slice(name);
    DIR.with_borrow_mut(|cached| {
        if !matches!(cached, Some((d, _)) if d.as_slice() == dir) {
            *cached = None;
            let cdir = std::ffi::CString::new(dir).map_err(std::io::Error::other)?;
            // SAFETY: `cdir` is a NUL-terminated path; the result is checked before use.
            let fd = unsafe {
                libc::open(
                    cdir.as_ptr(),
                    libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
                )
            };
            if fd < 0 {
                return open_nonblocking(path);
            }
            // SAFETY: `fd` was just opened and is owned by nothing else.
            *cached = Some((dir.to_vec(), unsafe { OwnedFd::from_raw_fd(fd) }));
        }
        let Some((_, dirfd)) = cached.as_ref() else {
            return open_nonblocking(path);
        };
        loop {
            // SAFETY: `cname` holds the name and a NUL (checked: no NUL inside, shorter
            // than the buffer); `dirfd` is an open directory descriptor.
            let fd = unsafe {
                libc::openat(
                    dirfd.as_raw_fd(),
                    cname.as_ptr().cast(),
                    libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC,
                )
            };
            if fd >= 0 {
                // SAFETY: `fd` was just opened and is owned by nothing else.
                return Ok(unsafe { File::from_raw_fd(fd) });
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    })
}

#[cfg(not(target_os = "linux"))]
pub(super) fn open_listed(path: &Path) -> std::io::Result<File> {
    open_nonblocking(path)
}

pub(super) fn read_up_to(f: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Reads the file as it was at `fstat` time: at most `size` bytes. Fewer bytes mean it was
/// truncated while we read (reported); bytes appended after `fstat` are left for the next
/// run. A regular file reporting size 0 (`/proc`, some FUSE files) is read to its end,
/// bounded by `--max-decompressed`.
pub(super) fn read_snapshot(
    file: &mut File,
    size: u64,
    opts: &InputOptions,
    shown: &str,
) -> Result<(Vec<u8>, Option<FileError>), FileError> {
    let limit = if size == 0 {
        opts.max_decompressed
    } else {
        size
    };
    let mut v = Vec::with_capacity(usize::try_from(size.min(1 << 30)).unwrap_or(0));
    let fault = injected_read_error(shown);
    if let Err(e) = FaultAt::new(&mut *file, fault)
        .take(limit)
        .read_to_end(&mut v)
    {
        // A failing disk in the middle of a file (EIO): what was read is scanned, the file
        // is reported; nothing read is an error for the whole file.
        if v.is_empty() {
            return Err(FileError::io(shown, &e));
        }
        let partial = read_error(shown, v.len() as u64, &e);
        return Ok((v, Some(partial)));
    }
    let partial = (size > 0 && (v.len() as u64) < size).then(|| {
        FileError::new(
            "truncated-during-scan",
            format!(
                "{shown}: file truncated during scan (it shrank from {size} to {} bytes while \
                 being read); results cover the bytes read",
                v.len()
            ),
        )
    });
    Ok((v, partial))
}

/// The per-file error for a read that failed after `got` bytes: the bytes before it are
/// scanned.
pub fn read_error(shown: &str, got: u64, e: &std::io::Error) -> FileError {
    FileError::new(
        "read-error",
        format!(
            "{shown}: read error after {got} bytes ({e}); results cover the bytes read before it"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// The prefilter's sample reads text: the middle of a plain file, the decompressed start
    /// of a `.gz` (by magic, not name); nothing from a FIFO or a missing file.
    #[test]
    fn samples_are_text() {
        let dir = tempfile::tempdir().unwrap();
        let text = b"2019-08-21 08:00:00.000 ERROR x : sample me\n".repeat(5000);
        let p = dir.path().join("a.log");
        std::fs::write(&p, &text).unwrap();
        let s = sample(&p, 4096);
        assert_eq!(s.len(), 4096);
        assert!(memchr::memmem::find(&s, b"sample me").is_some());
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&text).unwrap();
        let gz = e.finish().unwrap();
        let q = dir.path().join("rotated.1");
        std::fs::write(&q, &gz).unwrap();
        assert_eq!(sample(&q, 4096), &text[..4096]);
        assert!(sample(&dir.path().join("missing"), 4096).is_empty());
        #[cfg(unix)]
        {
            let fifo = dir.path().join("fifo");
            let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
            // SAFETY: a valid NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
            assert!(sample(&fifo, 4096).is_empty(), "never blocks on a FIFO");
        }
    }

    /// A big file made of several logs one after another is sampled across all of them,
    /// not only the one in its middle (the bench's single 2 GB file); a file of under 16
    /// samples' size still gives its middle in one piece.
    #[test]
    fn a_big_file_is_sampled_across_its_parts() {
        let dir = tempfile::tempdir().unwrap();
        let parts = [
            "2019-08-21 08:00:00.000  INFO 1 --- [main] c.e.Svc : plain spring line\n",
            "{\"@timestamp\":\"2019-08-21T08:00:00Z\",\"thread\":\"main\",\"message\":\"json\"}\n",
            "10.0.0.1 - - [21/Aug/2019:08:00:00 +0000] \"GET / HTTP/1.1\" 200 12 \"-\" \"curl\"\n",
        ];
        let mut text = Vec::new();
        for p in parts {
            text.extend(p.as_bytes().repeat(20_000));
        }
        let p = dir.path().join("all.log");
        std::fs::write(&p, &text).unwrap();
        let s = sample(&p, 64 * 1024);
        assert!(s.len() <= 64 * 1024 && s.len() > 60 * 1024, "{}", s.len());
        for needle in ["plain spring line", "\"thread\":\"main\"", "HTTP/1.1\" 200"] {
            assert!(
                memchr::memmem::find(&s, needle.as_bytes()).is_some(),
                "{needle} missing from the sample"
            );
        }
        // Not spread (the scan samples 16 files or more): the middle, the JSON part only.
        let (s, size) = sample_sized(&p, 64 * 1024, false);
        assert_eq!((s.len(), size), (64 * 1024, Some(text.len() as u64)));
        assert!(memchr::memmem::find(&s, b"plain spring line").is_none());
        assert!(memchr::memmem::find(&s, b"\"thread\":\"main\"").is_some());
        // Under 16 samples' size: one piece from the middle, the JSON part only.
        let mut text = parts[0].as_bytes().repeat(2_000);
        text.extend(parts[1].as_bytes().repeat(20_000));
        text.extend(parts[2].as_bytes().repeat(2_000));
        assert!(text.len() < 16 * 128 * 1024);
        std::fs::write(&p, &text).unwrap();
        let s = sample(&p, 128 * 1024);
        assert_eq!(s.len(), 128 * 1024);
        assert!(memchr::memmem::find(&s, b"plain spring line").is_none());
        assert!(memchr::memmem::find(&s, b"HTTP/1.1").is_none());
    }

    #[test]
    fn read_path_takes_a_snapshot_of_the_size_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.log");
        std::fs::write(&p, b"abc\n").unwrap();
        let mut f = File::open(&p).unwrap();
        let opts = InputOptions::default();
        // Appended after fstat: not read.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"more\n")
            .unwrap();
        let (v, partial) = read_snapshot(&mut f, 4, &opts, "f.log").unwrap();
        assert_eq!(v, b"abc\n");
        assert!(partial.is_none());
        // Shrunk after fstat: reported.
        let mut f = File::open(&p).unwrap();
        let (v, partial) = read_snapshot(&mut f, 100, &opts, "f.log").unwrap();
        assert_eq!(v.len(), 9);
        assert_eq!(partial.unwrap().kind, "truncated-during-scan");
    }
}

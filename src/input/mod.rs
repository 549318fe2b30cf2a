//! Input: gets the bytes of one discovered file, safely.
//!
//! Input: a path and [`InputOptions`]. Output: [`Opened`]: a byte buffer (memory map or owned
//! vector), how it was obtained, and notes (truncated gzip, NUL runs, UTF-16 decoded).
//!
//! ## Memory maps, truncation and SIGBUS
//! A map of a file that another process truncates kills the reader with SIGBUS the moment
//! it touches a page past the new end. ripgrep accepts that risk (issue 581; measured in
//! scan-engine.md: `rg --mmap` died with exit 135 and lost all output when a 1 GB file was
//! truncated mid-scan). logrotate's `copytruncate` does exactly this to the *live* log, and
//! faultscope is run while services are still writing. Two layers keep that from costing a
//! result:
//!
//! 1. **Policy** (`--mmap auto`, the default): map a file only when it is large (at least
//!    [`MMAP_MIN_SIZE`]: below that `read()` costs nothing measurable) and has not been
//!    modified for [`MMAP_STABLE_SECS`] seconds (rotated archives, copied evidence). The
//!    live log is read with `read()`, where a concurrent truncation only shortens what we
//!    see, unless it is at least [`MMAP_LIVE_MIN_SIZE`] (the scan's chunk size): reading it
//!    whole would cost its size in memory, so it is mapped under the guard of layer 2.
//!    Mapped pages are released (`MADV_DONTNEED`) as each chunk is scanned
//!    ([`Buffer::release`]), so in `auto` resident memory is bounded by the chunks in
//!    flight, not by file sizes. `--mmap always` maps every plain file (benchmarks on frozen
//!    corpora); `--mmap never` maps nothing and holds each file being scanned in memory.
//! 2. **A SIGBUS guard** for every map that is made (both `auto` and `always`; Linux). Each
//!    map is registered in a fixed table of regions ([`sigbus`]), lock-free so a signal
//!    handler can read it. A process-wide SIGBUS handler, installed on the first map, looks
//!    up the faulting address: if it lies in a registered region it replaces the pages from
//!    the faulting one to the end of the region with anonymous zero pages
//!    (`mmap(MAP_FIXED|MAP_ANONYMOUS)`), marks the region *faulted* and returns; the
//!    interrupted read resumes and sees NUL bytes where the vanished tail was. The scan of
//!    that file completes over what was still there and the file is reported with the
//!    error kind `truncated-during-scan`; every other file is unaffected. A fault outside
//!    any registered region (a bug, or someone else's map) restores the previous
//!    disposition and re-faults, so it still crashes as it would without us.
//!
//!    Why not `sigsetjmp`/`siglongjmp` out of the handler: jumping over Rust frames skips
//!    destructors and is undefined behaviour. Replacing the pages and resuming needs no
//!    unwinding: the faulting instruction simply succeeds the second time. `mmap` is not on
//!    POSIX's async-signal-safe list, but on Linux it is a plain system call wrapper that
//!    takes no user-space lock, and the fault can only come from our own loads from the map
//!    (memchr, the regex engine), never from inside the allocator. If the table is full
//!    (more than [`sigbus::SLOTS`] maps alive) or the platform has no guard, the file is
//!    read instead of mapped: a map is never made without the guard. The previous
//!    disposition is usually std's own handler (it reports stack overflows on guard-page
//!    faults): restoring it and re-faulting keeps that report intact.
//!
//!    Evidence: `tests/during_scan.rs` truncates a 24 MB file to 64 KiB and writes it back
//!    every few milliseconds while scans run with `--mmap always` for 4 s: every scan exits
//!    normally and reports the file complete or truncated; with the handler disabled the
//!    first scan died with SIGBUS (exit 135). The unit test below checks the zero pages and
//!    the flag directly.
//!
//! The `read()` path reads at most the size seen by `fstat` at open (a file appended to
//! while we read gives a consistent snapshot instead of a moving target; appended lines
//! wait for the next run); if it gets fewer bytes the file shrank while being read and is
//! reported as `truncated-during-scan` too. Every file is opened exactly once, with
//! `O_NONBLOCK`, and checked with `fstat` before any read: a FIFO or device that replaced a
//! file after discovery is refused instead of blocking the scan forever. A file below
//! [`SMALL_READ_FIRST`] is read whole first and its magic number checked in that buffer
//! (open, `fstat`, one `read`, close): per-file system calls are most of the cost of a
//! directory of many small logs.
//!
//! ## Decoding
//! - gzip (by magic bytes, not name: rotated files are often renamed) through flate2's
//!   multi-member decoder, and zstd (magic bytes; the `zstd` crate, multi-frame), both
//!   bounded by `--max-decompressed` so a decompression bomb stops with a warning instead
//!   of eating the machine. A truncated or corrupt stream keeps the bytes decoded so far
//!   and reports the problem.
//! - UTF-16LE/BE with BOM (SQL Server ERRORLOG, Windows tools) is decoded to UTF-8.
//! - Binary files (known magic numbers, or NUL bytes among mostly non-text bytes) are skipped
//!   with a note, like ripgrep. NUL runs inside text (left by copy-truncate rotation) are
//!   tolerated: the text around them is scanned.

pub mod discover;

use crate::error::FileError;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Deref;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// Files smaller than this are read, not mapped.
pub const MMAP_MIN_SIZE: u64 = 4 * 1024 * 1024;
/// Files smaller than this (and not empty) are read whole before they are classified
/// (compressed or not), unless `--mmap always`: holding that much at once costs nothing.
pub const SMALL_READ_FIRST: u64 = 1024 * 1024;
/// Recently modified (possibly live) files at least this large are mapped under the
/// SIGBUS guard rather than read whole into memory: the chunk size, so a read buffer is
/// never bigger than what one chunk of a mapped file keeps resident.
pub const MMAP_LIVE_MIN_SIZE: u64 = 16 * 1024 * 1024;
/// Files modified within this many seconds are read, not mapped (they may be truncated).
pub const MMAP_STABLE_SECS: u64 = 30;
/// Default `--max-decompressed`: 4 GiB.
pub const DEFAULT_MAX_DECOMPRESSED: u64 = 4 * 1024 * 1024 * 1024;

/// `--mmap` choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum MmapChoice {
    /// Map large files not modified in the last 30 s; read the rest.
    #[default]
    Auto,
    /// Map every plain file (fastest; unsafe if files are truncated while scanned).
    Always,
    /// Never map.
    Never,
}

/// Options for opening inputs.
#[derive(Clone, Debug)]
pub struct InputOptions {
    /// mmap policy.
    pub mmap: MmapChoice,
    /// Stop decompressing after this many bytes.
    pub max_decompressed: u64,
}

impl Default for InputOptions {
    fn default() -> Self {
        InputOptions {
            mmap: MmapChoice::Auto,
            max_decompressed: DEFAULT_MAX_DECOMPRESSED,
        }
    }
}

/// The bytes of one file.
pub enum Buffer {
    /// A read-only memory map, registered with the SIGBUS guard.
    Mapped(sigbus::GuardedMap),
    /// An owned buffer (read, decompressed or transcoded).
    Owned(Vec<u8>),
}

impl Buffer {
    /// Tells the system that `range` has been scanned: a map drops those pages from the
    /// resident set ([`sigbus::GuardedMap::release`]); an owned buffer is unchanged.
    pub fn release(&self, range: std::ops::Range<usize>) {
        if let Buffer::Mapped(m) = self {
            m.release(range);
        }
    }

    /// True when the file was truncated while mapped and the vanished pages were replaced
    /// by zeros (see the module docs). Check it after scanning the bytes.
    pub fn truncated_during_scan(&self) -> bool {
        match self {
            Buffer::Mapped(m) => m.faulted(),
            Buffer::Owned(_) => false,
        }
    }
}

/// `OsStr::to_string_lossy`, checked first with `str::from_utf8` (the same text): the lossy
/// conversion walks UTF-8 chunk by chunk even when there is nothing to replace, and paths
/// are converted a few times per file (1% of the CPU of a scan of 100,000 small files).
pub fn lossy(s: &std::ffi::OsStr) -> std::borrow::Cow<'_, str> {
    match s.to_str() {
        Some(t) => std::borrow::Cow::Borrowed(t),
        None => s.to_string_lossy(),
    }
}

/// The per-file error reported when a mapped file was truncated while it was scanned.
pub fn truncated_during_scan_error(shown: &str) -> FileError {
    FileError::new(
        "truncated-during-scan",
        format!(
            "{shown}: file truncated during scan (another process shortened it while it was \
             memory-mapped); results cover the bytes still there"
        ),
    )
}

impl Deref for Buffer {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Buffer::Mapped(m) => m,
            Buffer::Owned(v) => v,
        }
    }
}

/// How the bytes were obtained (shown by `--debug` and in JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// Memory-mapped.
    Mmap,
    /// Read with `read()`.
    Read,
    /// gzip-decompressed in process.
    Gzip,
    /// zstd-decompressed in process.
    Zstd,
    /// Decoded from UTF-16.
    Utf16,
}

impl Access {
    /// The serde name (`mmap`, `read`, `gzip`, `zstd`, `utf16`), without going through serde:
    /// the files table writes one per file.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Mmap => "mmap",
            Access::Read => "read",
            Access::Gzip => "gzip",
            Access::Zstd => "zstd",
            Access::Utf16 => "utf16",
        }
    }
}

/// An opened input.
pub struct Opened {
    /// The bytes (possibly decoded).
    pub bytes: Buffer,
    /// How they were obtained.
    pub access: Access,
    /// A partial-read problem: the bytes are usable, but incomplete.
    pub partial: Option<FileError>,
    /// Notes worth a line under `--debug` / in warnings (NUL runs, transcoding).
    pub notes: Vec<String>,
    /// The file's modification time (from the `fstat` of the opened descriptor: discovery
    /// does not `stat` most files, see `discover`).
    pub mtime: Option<SystemTime>,
}

/// Why a file was not scanned at all although it could be opened.
pub enum Skip {
    /// Binary content.
    Binary(String),
}

/// Environment variable that makes opening matching paths fail with "permission denied".
///
/// A test hook: CI runs as root, where `chmod 000` does not deny anything, yet the
/// "unreadable file among good ones" behaviour must be tested. The value is a substring of
/// the paths to fail. It only ever makes faultscope read *less*.
pub const INJECT_OPEN_ERROR_ENV: &str = "FAULTSCOPE_TEST_OPEN_ERROR";

fn injected_open_error(shown: &str) -> Option<std::io::Error> {
    // Read once per process: `getenv` takes the environment lock, once per file otherwise.
    static NEEDLE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let needle = NEEDLE
        .get_or_init(|| {
            std::env::var_os(INJECT_OPEN_ERROR_ENV)
                .and_then(|n| n.into_string().ok())
                .filter(|n| !n.is_empty())
        })
        .as_deref()?;
    shown.contains(needle).then(|| {
        std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "Permission denied (os error 13)",
        )
    })
}

/// Opens a file. `Err` means nothing of the file can be scanned.
pub fn open(path: &Path, opts: &InputOptions) -> Result<Result<Opened, Skip>, FileError> {
    // The same text as `path.display()`, borrowed when the path is UTF-8: a string per file
    // only for messages cost two allocations per file (here and in `open_regular`).
    let shown = lossy(path.as_os_str());
    let shown: &str = &shown;
    if let Some(e) = injected_open_error(shown) {
        return Err(FileError::io(shown, &e));
    }
    let file = open_listed(path).map_err(|e| FileError::io(shown, &e))?;
    // fstat on the opened descriptor, never a second lookup by name: what we check is what
    // we read.
    let meta = file.metadata().map_err(|e| FileError::io(shown, &e))?;
    if !meta.is_file() {
        return Err(FileError::new(
            "special-file",
            format!("{shown}: not a regular file (FIFO, socket or device), skipped"),
        ));
    }
    let mtime = meta.modified().ok();
    open_regular(file, &meta, shown, opts).map(|r| {
        r.map(|mut o| {
            o.mtime = mtime;
            o
        })
    })
}

/// [`open`] once the descriptor is known to be a regular file.
fn open_regular(
    mut file: File,
    meta: &std::fs::Metadata,
    shown: &str,
    opts: &InputOptions,
) -> Result<Result<Opened, Skip>, FileError> {
    if meta.len() > 0 && meta.len() < SMALL_READ_FIRST && opts.mmap != MmapChoice::Always {
        // A small file is read whole before its magic number is looked at, and a compressed
        // one is decoded from that buffer: no 4-byte read and `lseek` back per file. On the
        // 100,000-file bench corpus those were two of the six system calls per file.
        let (v, partial) = read_snapshot(&mut file, meta.len(), opts, shown)?;
        if v.starts_with(&[0x1f, 0x8b]) {
            return Ok(Ok(gunzip(
                &v[..],
                shown,
                opts,
                gzip_size(&v[v.len().saturating_sub(4)..]),
            )?));
        }
        if v.starts_with(&ZSTD_MAGIC) {
            return Ok(Ok(unzstd(&v[..], shown, opts)?));
        }
        return Ok(finish(Buffer::Owned(v), Access::Read, partial, shown));
    }
    let mut head = [0u8; 4];
    let n = read_up_to(&mut file, &mut head).map_err(|e| FileError::io(shown, &e))?;
    let head = &head[..n];
    file.seek(SeekFrom::Start(0))
        .map_err(|e| FileError::io(shown, &e))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let hint = trailer(&file, meta.len()).and_then(|t| gzip_size(&t));
        return Ok(Ok(gunzip(file, shown, opts, hint)?));
    }
    if head.starts_with(&ZSTD_MAGIC) {
        return Ok(Ok(unzstd(file, shown, opts)?));
    }
    let stable = meta
        .modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok())
        .is_some_and(|age| age >= Duration::from_secs(MMAP_STABLE_SECS));
    let map = match opts.mmap {
        MmapChoice::Always => meta.len() > 0,
        MmapChoice::Never => false,
        // A live file too large to hold in memory is mapped anyway: the SIGBUS guard below
        // turns a truncation into `truncated-during-scan`, and reading 2 GB into a vector
        // would cost 2 GB of memory (measured: 2.3 GB peak RSS on the bench's single file).
        MmapChoice::Auto => {
            meta.len() >= MMAP_MIN_SIZE && (stable || meta.len() >= MMAP_LIVE_MIN_SIZE)
        }
    } && usize::try_from(meta.len()).is_ok();
    let mapped = if map {
        sigbus::GuardedMap::new(&file, meta.len() as usize)
    } else {
        None
    };
    let (bytes, access, partial) = match mapped {
        Some(m) => (Buffer::Mapped(m), Access::Mmap, None),
        // Not mapped, mapping failed (ENOMEM, odd filesystems: fall back like ripgrep), or no
        // guard slot free: read.
        None => {
            let (v, partial) = read_snapshot(&mut file, meta.len(), opts, shown)?;
            (Buffer::Owned(v), Access::Read, partial)
        }
    };
    Ok(finish(bytes, access, partial, shown))
}

/// Up to `len` bytes from the middle of a regular file (from the start of a gzip or zstd
/// stream, decompressed), for the prefilter's byte statistics (src/prefilter.rs). Anything
/// odd (not a regular file, an error) gives nothing: the sample only steers speed.
pub fn sample(path: &Path, len: usize) -> Vec<u8> {
    let Ok(mut f) = open_nonblocking(path) else {
        return Vec::new();
    };
    let size = match f.metadata() {
        Ok(m) if m.is_file() => m.len(),
        _ => return Vec::new(),
    };
    let mut magic = [0u8; 4];
    let n = read_up_to(&mut f, &mut magic).unwrap_or(0);
    let mut buf = vec![0u8; len];
    if f.seek(SeekFrom::Start(0)).is_err() {
        return Vec::new();
    }
    let got = if magic[..n].starts_with(&[0x1f, 0x8b]) {
        // Compressed archives are most of some corpora: sample their first decompressed
        // bytes (the middle would mean decompressing half the file).
        let dec = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(f));
        read_up_to(&mut dec.take(len as u64), &mut buf)
    } else if magic[..n] == ZSTD_MAGIC {
        match zstd::stream::read::Decoder::new(f) {
            Ok(dec) => read_up_to(&mut dec.take(len as u64), &mut buf),
            Err(e) => Err(e),
        }
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

/// The decompressed size a gzip stream's trailer announces (ISIZE: the last member's size
/// modulo 4 GiB), from its last 4 bytes.
fn gzip_size(tail: &[u8]) -> Option<u64> {
    let b: [u8; 4] = tail.try_into().ok()?;
    Some(u64::from(u32::from_le_bytes(b)))
}

/// A file's last 4 bytes, read without moving its position.
fn trailer(file: &File, len: u64) -> Option<[u8; 4]> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        let mut b = [0u8; 4];
        file.read_exact_at(&mut b, len.checked_sub(4)?).ok()?;
        Some(b)
    }
    #[cfg(not(unix))]
    {
        let _ = (file, len);
        None
    }
}

/// zstd frame magic number (little-endian 0xFD2FB528).
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Opens read-only without blocking: `open()` on a FIFO with no writer blocks forever
/// without `O_NONBLOCK` (and on some devices has side effects without `O_NOCTTY`).
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
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
fn open_listed(path: &Path) -> std::io::Result<File> {
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
fn open_listed(path: &Path) -> std::io::Result<File> {
    open_nonblocking(path)
}

fn read_up_to(f: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
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
fn read_snapshot(
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
    file.take(limit)
        .read_to_end(&mut v)
        .map_err(|e| FileError::io(shown, &e))?;
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

/// Bytes, a partial-read problem, the decoder's error, and the `--max-decompressed` note.
type Decompressed = (
    Buffer,
    Option<FileError>,
    Option<std::io::Error>,
    Option<String>,
);

/// Decompressed streams larger than this go to an unnamed temporary file that is then
/// mapped (and released chunk by chunk like any map), instead of a vector: a 2 GB `.gz`
/// would otherwise cost 2 GB of memory (issue 7: memory grows with hits, not input size).
pub const SPILL_AT: usize = 16 * 1024 * 1024;

/// Reads a decompressor to its end, bounded by `--max-decompressed`, keeping what was
/// decoded before an error. Up to [`SPILL_AT`] bytes stay in memory; beyond that they go to
/// an unnamed file in the temporary directory (never next to the logs), mapped for the
/// scan. If no temporary file can be made, or with `--mmap never`, everything stays in
/// memory.
///
/// `hint`: the decompressed size the container announces (gzip's trailer), if any. A stream
/// announced past [`SPILL_AT`] goes to the temporary file from its first byte instead of
/// through a 16 MiB vector first (its growth copies, page faults and unmapping were ~8 % of
/// the CPU on the bench's `.gz` corpus); a smaller one gets its vector at the announced size.
/// The hint only steers where the bytes go: a wrong one (gzip's size is modulo 4 GiB and
/// names the last member only) costs the other path, never a byte.
fn decompress(
    mut dec: impl Read,
    what: &str,
    shown: &str,
    opts: &InputOptions,
    hint: Option<u64>,
) -> Decompressed {
    let cap = opts.max_decompressed.saturating_add(1);
    let direct = hint.is_some_and(|h| h >= SPILL_AT as u64) && opts.mmap != MmapChoice::Never;
    let mut out = match hint {
        Some(h) if !direct => Vec::with_capacity((h.min(cap) as usize).min(SPILL_AT)),
        _ => Vec::new(),
    };
    let mut partial = None;
    let mut limit = None;
    let mut err = None;
    let mut spill: Option<(File, u64)> = None;
    // The temporary file could not be read back after a failed write.
    let mut spill_err: Option<std::io::Error> = None;
    let mut read_err = |e: std::io::Error, got: u64, err: &mut Option<std::io::Error>| {
        let kind = if e.kind() == std::io::ErrorKind::UnexpectedEof {
            "truncated"
        } else {
            "corrupt"
        };
        partial = Some(FileError::new(
            &format!("{kind}-{what}"),
            format!(
                "{shown}: {kind} {what} stream ({e}); scanned the first {got} decompressed bytes"
            ),
        ));
        *err = Some(e);
    };
    let mut dec = (&mut dec).take(cap);
    let first = if direct {
        Ok(0)
    } else {
        (&mut dec).take(SPILL_AT as u64).read_to_end(&mut out)
    };
    match first {
        Err(e) => read_err(e, out.len() as u64, &mut err),
        Ok(_) if direct || out.len() == SPILL_AT => {
            // More may follow: continue into a temporary file.
            let file = if opts.mmap == MmapChoice::Never {
                None
            } else {
                tempfile::tempfile().ok()
            };
            if let Some(mut f) = file {
                use std::io::Write;
                // Bytes known to be in the file; when a write fails, what is not.
                let mut written = 0u64;
                let mut unwritten: Option<Vec<u8>> = match f.write_all(&out) {
                    Ok(()) => {
                        written = out.len() as u64;
                        out = Vec::new();
                        None
                    }
                    // `out` still holds them.
                    Err(_) => Some(Vec::new()),
                };
                let mut block = vec![0u8; 1024 * 1024];
                while unwritten.is_none() {
                    match dec.read(&mut block) {
                        Ok(0) => break,
                        Ok(n) => match f.write_all(&block[..n]) {
                            Ok(()) => written += n as u64,
                            Err(_) => unwritten = Some(block[..n].to_vec()),
                        },
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            read_err(e, written, &mut err);
                            break;
                        }
                    }
                }
                match unwritten {
                    None => spill = Some((f, written)),
                    Some(rest) => {
                        // The temporary directory is full or unwritable: hold everything in
                        // memory, the bytes already written read back first (none lost).
                        if written > 0 {
                            let back = f.seek(SeekFrom::Start(0)).and_then(|_| {
                                (&mut f).take(written).read_to_end(&mut out).map(|_| ())
                            });
                            if let Err(e) = back {
                                spill_err = Some(e);
                            }
                        }
                        if spill_err.is_none() {
                            out.extend_from_slice(&rest);
                            if let Err(e) = dec.read_to_end(&mut out) {
                                read_err(e, out.len() as u64, &mut err);
                            }
                        }
                    }
                }
            } else if let Err(e) = dec.read_to_end(&mut out) {
                read_err(e, out.len() as u64, &mut err);
            }
        }
        Ok(_) => {}
    }
    if let Some(e) = spill_err {
        partial = Some(FileError::new(
            "io",
            format!(
                "{shown}: the temporary file holding the decompressed {what} stream could not be read back ({e}); scanned the first {} decompressed bytes",
                out.len()
            ),
        ));
    }
    let len = spill.as_ref().map_or(out.len() as u64, |s| s.1);
    let mut keep = len;
    if len > opts.max_decompressed {
        keep = opts.max_decompressed;
        // A bound the user set (or the documented default), not a broken file: a warning.
        limit = Some(format!(
            "{shown}: stopped after {} decompressed bytes (--max-decompressed); the rest was not scanned",
            opts.max_decompressed
        ));
    }
    let bytes = match spill {
        Some((f, _)) => {
            let map = sigbus::GuardedMap::new(&f, keep as usize).map(Buffer::Mapped);
            match map {
                Some(m) => m,
                // No map (no guard slot, odd platform): read the spilled bytes back.
                None => {
                    let mut v = Vec::with_capacity(keep as usize);
                    let mut f = f;
                    let _ = f
                        .seek(SeekFrom::Start(0))
                        .and_then(|_| (&mut f).take(keep).read_to_end(&mut v));
                    Buffer::Owned(v)
                }
            }
        }
        None => {
            out.truncate(keep as usize);
            Buffer::Owned(out)
        }
    };
    // Keep whole lines only after the limit cut.
    let bytes = if limit.is_some() {
        let nl = memchr::memrchr(b'\n', &bytes).map_or(0, |i| i + 1);
        match bytes {
            Buffer::Owned(mut v) => {
                v.truncate(nl);
                Buffer::Owned(v)
            }
            Buffer::Mapped(m) => Buffer::Mapped(m.shortened(nl)),
        }
    } else {
        bytes
    };
    (bytes, partial, err, limit)
}

fn unzstd(file: impl Read, shown: &str, opts: &InputOptions) -> Result<Opened, FileError> {
    let dec = zstd::stream::read::Decoder::new(file).map_err(|e| {
        FileError::new("corrupt-zstd", format!("{shown}: corrupt zstd stream: {e}"))
    })?;
    let (out, partial, err, limit) = decompress(dec, "zstd", shown, opts, None);
    if out.is_empty() {
        if let Some(e) = err {
            return Err(FileError::new(
                "corrupt-zstd",
                format!("{shown}: corrupt zstd stream: {e}"),
            ));
        }
    }
    let mut o = decoded(out, Access::Zstd, partial, shown);
    o.notes.extend(limit);
    Ok(o)
}

fn gunzip(
    file: impl Read,
    shown: &str,
    opts: &InputOptions,
    hint: Option<u64>,
) -> Result<Opened, FileError> {
    let dec =
        flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(256 * 1024, file));
    let (out, partial, err, limit) = decompress(dec, "gzip", shown, opts, hint);
    if out.is_empty() {
        if let Some(e) = err {
            return Err(FileError::new(
                "corrupt-gzip",
                format!("{shown}: corrupt gzip stream: {e}"),
            ));
        }
    }
    let mut o = decoded(out, Access::Gzip, partial, shown);
    o.notes.extend(limit);
    Ok(o)
}

/// Finishes decompressed bytes: a compressed binary is reported, not scanned.
fn decoded(out: Buffer, access: Access, partial: Option<FileError>, shown: &str) -> Opened {
    match finish(out, access, partial, shown) {
        Ok(o) => o,
        Err(Skip::Binary(m)) => Opened {
            bytes: Buffer::Owned(Vec::new()),
            access,
            partial: Some(FileError::new("binary", m)),
            notes: vec![],
            mtime: None,
        },
    }
}

/// Known binary magic numbers: executables, images, archives, databases.
const BINARY_MAGIC: &[&[u8]] = &[
    b"\x7fELF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"%PDF",
    b"MZ",
    b"SQLite format 3",
    b"\xfe\xed\xfa",
    b"\xcf\xfa\xed\xfe",
    b"BZh",
    b"\xfd7zXZ",
];

fn finish(
    bytes: Buffer,
    access: Access,
    partial: Option<FileError>,
    shown: &str,
) -> Result<Opened, Skip> {
    let mut notes = Vec::new();
    // UTF-16 with BOM: decode (Windows tools, SQL Server ERRORLOG).
    if let Some(be) = match bytes.get(..2) {
        Some([0xff, 0xfe]) => Some(false),
        Some([0xfe, 0xff]) => Some(true),
        _ => None,
    } {
        let body = &bytes[2..];
        let units = body.chunks_exact(2).map(|c| {
            if be {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from_le_bytes([c[0], c[1]])
            }
        });
        let text: String = char::decode_utf16(units)
            .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        notes.push(format!(
            "{shown}: decoded from UTF-16{} (BOM)",
            if be { "BE" } else { "LE" }
        ));
        return Ok(Opened {
            bytes: Buffer::Owned(text.into_bytes()),
            access: Access::Utf16,
            partial,
            notes,
            mtime: None,
        });
    }
    if BINARY_MAGIC.iter().any(|m| bytes.starts_with(m)) {
        return Err(Skip::Binary(format!(
            "{shown}: binary file (magic number), skipped"
        )));
    }
    // copytruncate leftovers: a writer without O_APPEND keeps writing at its old offset, so
    // the file starts with a (sparse) run of NULs as long as the old content. Sniff the text
    // after that run, not the run.
    let lead = if bytes.first() == Some(&0) {
        bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len())
    } else {
        0
    };
    if lead == bytes.len() && lead > 0 {
        return Err(Skip::Binary(format!(
            "{shown}: binary file (only NUL bytes), skipped"
        )));
    }
    let head = &bytes[lead..bytes.len().min(lead + 8192)];
    let nuls = bytecount::count(head, 0);
    if nuls > 0 || lead > 0 {
        // Text with NUL runs vs real binary: look at the bytes that are not NUL.
        let non_nul = head.len() - nuls;
        let ctrl = head
            .iter()
            .filter(|&&c| c != 0 && c < 0x20 && !matches!(c, b'\n' | b'\r' | b'\t' | 0x1b | 0x0c))
            .count();
        if non_nul < 16 && lead + head.len() == bytes.len() {
            return Err(Skip::Binary(format!(
                "{shown}: binary file (only NUL bytes), skipped"
            )));
        }
        if non_nul == 0 || ctrl * 10 > non_nul {
            return Err(Skip::Binary(format!(
                "{shown}: binary file (NUL byte in the first 8 KiB), skipped"
            )));
        }
        notes.push(if lead > 0 {
            format!(
                "{shown}: starts with {lead} NUL bytes (copy-truncate leftovers?); scanned the text after them"
            )
        } else {
            format!("{shown}: contains NUL bytes (copy-truncate leftovers?); scanned as text")
        });
    }
    Ok(Opened {
        bytes,
        access,
        partial,
        notes,
        mtime: None,
    })
}

pub mod sigbus {
    //! The SIGBUS guard for memory maps (see the module docs of `input` for the design).
    //!
    //! A fixed table of [`SLOTS`] regions, each a small state machine of atomics
    //! (`FREE → CLAIMED → ACTIVE → FREE`), so the signal handler reads it without locks or
    //! allocation. [`GuardedMap`] owns one map and one slot; dropping it frees the slot
    //! before the map is unmapped.

    use memmap2::{Mmap, MmapOptions};
    use std::fs::File;
    use std::ops::Deref;
    use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

    /// Maps that can be guarded at once; a map beyond that is not made (the file is read).
    pub const SLOTS: usize = 256;

    const FREE: u8 = 0;
    const CLAIMED: u8 = 1;
    const ACTIVE: u8 = 2;

    struct Slot {
        state: AtomicU8,
        start: AtomicUsize,
        len: AtomicUsize,
        faulted: AtomicBool,
    }

    #[allow(clippy::declare_interior_mutable_const)]
    const EMPTY: Slot = Slot {
        state: AtomicU8::new(FREE),
        start: AtomicUsize::new(0),
        len: AtomicUsize::new(0),
        faulted: AtomicBool::new(false),
    };

    static TABLE: [Slot; SLOTS] = [EMPTY; SLOTS];

    /// A read-only map of a whole file whose truncation cannot kill the process.
    pub struct GuardedMap {
        map: Mmap,
        slot: usize,
        /// Bytes visible through `Deref` (≤ the map's length).
        len: usize,
    }

    impl GuardedMap {
        /// Maps `len` bytes of `file` under the guard. `None` when the platform has no
        /// guard, every slot is taken, or mapping fails: the caller reads instead.
        pub fn new(file: &File, len: usize) -> Option<GuardedMap> {
            if len == 0 || !install() {
                return None;
            }
            let slot = claim()?;
            // SAFETY: a read-only private map. The one hazard, another process truncating
            // the file while we read it, is what the guard handles: the slot is published
            // below, before any byte of the map is read.
            let map = match unsafe { MmapOptions::new().len(len).map(file) } {
                Ok(m) => m,
                Err(_) => {
                    TABLE[slot].state.store(FREE, Ordering::Release);
                    return None;
                }
            };
            let s = &TABLE[slot];
            s.start.store(map.as_ptr() as usize, Ordering::Relaxed);
            s.len.store(map.len(), Ordering::Relaxed);
            s.faulted.store(false, Ordering::Relaxed);
            s.state.store(ACTIVE, Ordering::Release);
            #[cfg(unix)]
            let _ = map.advise(memmap2::Advice::Sequential);
            Some(GuardedMap { map, slot, len })
        }

        /// Drops this process's page-table entries for the whole pages inside `range`, so
        /// pages already scanned stop counting in our resident set (the kernel keeps them
        /// in its page cache; a later read faults them back in). Without it a 2 GB mapped
        /// file showed 2.3 GB peak RSS although each byte is scanned once.
        pub fn release(&self, range: std::ops::Range<usize>) {
            #[cfg(unix)]
            {
                let page = PAGE.load(Ordering::Relaxed).max(4096);
                let base = self.map.as_ptr() as usize;
                // Whole pages only: round the start up and the end down (the map's start
                // is page-aligned).
                let start = (base + range.start).div_ceil(page) * page - base;
                let end =
                    ((base + range.end.min(self.map.len())) / page * page).saturating_sub(base);
                if end > start {
                    // SAFETY: a private, read-only file map that is never written: MADV_DONTNEED
                    // only discards page-table entries, and the next access reads the same
                    // file bytes back (or, after a truncation, faults into the SIGBUS guard as
                    // any first access would). Concurrent readers just fault again.
                    let _ = unsafe {
                        self.map.unchecked_advise_range(
                            memmap2::UncheckedAdvice::DontNeed,
                            start,
                            end - start,
                        )
                    };
                }
            }
            #[cfg(not(unix))]
            let _ = range;
        }

        /// The same map seen as its first `len` bytes (the rest stays mapped, unread).
        pub fn shortened(mut self, len: usize) -> GuardedMap {
            self.len = self.len.min(len);
            self
        }

        /// True once a page of this map faulted (the file shrank) and was replaced by zeros.
        pub fn faulted(&self) -> bool {
            TABLE[self.slot].faulted.load(Ordering::Acquire)
        }
    }

    impl Deref for GuardedMap {
        type Target = [u8];
        fn deref(&self) -> &[u8] {
            &self.map[..self.len]
        }
    }

    impl Drop for GuardedMap {
        fn drop(&mut self) {
            // Fields drop after this: the slot is free before the map is unmapped, and no
            // read of the map can happen in between.
            TABLE[self.slot].state.store(FREE, Ordering::Release);
        }
    }

    fn claim() -> Option<usize> {
        TABLE.iter().position(|s| {
            s.state
                .compare_exchange(FREE, CLAIMED, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        })
    }

    /// Number of guarded maps alive (tests and `--debug`).
    pub fn active() -> usize {
        TABLE
            .iter()
            .filter(|s| s.state.load(Ordering::Acquire) != FREE)
            .count()
    }

    #[cfg(target_os = "linux")]
    fn install() -> bool {
        use std::sync::OnceLock;
        static INSTALLED: OnceLock<bool> = OnceLock::new();
        *INSTALLED.get_or_init(|| {
            // SAFETY: sysconf has no preconditions.
            let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            if page <= 0 {
                return false;
            }
            PAGE.store(page as usize, Ordering::Relaxed);
            // SAFETY: a zeroed sigaction is a valid starting value and the handler has the
            // SA_SIGINFO signature. PREV is written only here, once (OnceLock), by
            // sigaction itself; the handler reads it only for a fault outside our maps,
            // and no map exists before this returns.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = handler as *const () as usize;
                sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut sa.sa_mask);
                let prev = std::ptr::addr_of_mut!(PREV);
                libc::sigaction(libc::SIGBUS, &sa, prev) == 0
            }
        })
    }

    #[cfg(not(target_os = "linux"))]
    fn install() -> bool {
        false
    }

    #[cfg(target_os = "linux")]
    static PAGE: AtomicUsize = AtomicUsize::new(4096);

    /// The disposition before ours, restored for faults that are not ours.
    #[cfg(target_os = "linux")]
    static mut PREV: libc::sigaction = unsafe { std::mem::zeroed() };

    #[cfg(target_os = "linux")]
    extern "C" fn handler(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
        // Only loads of atomics, one mmap system call, and sigaction/raise: no allocation,
        // no locks, no panics.
        // SAFETY: the kernel passes a valid siginfo_t for SA_SIGINFO handlers.
        let (code, addr) = unsafe { ((*info).si_code, (*info).si_addr() as usize) };
        // si_code > 0: sent by the kernel for a fault (BUS_ADRERR for a page past EOF).
        if code > 0 {
            let page = PAGE.load(Ordering::Relaxed);
            for s in TABLE.iter() {
                if s.state.load(Ordering::Acquire) != ACTIVE {
                    continue;
                }
                let start = s.start.load(Ordering::Relaxed);
                let len = s.len.load(Ordering::Relaxed);
                if addr < start || addr >= start + len {
                    continue;
                }
                let from = addr & !(page - 1);
                let end = (start + len).div_ceil(page) * page;
                // SAFETY: [from, end) lies inside our own live read-only map (registered,
                // ACTIVE, not yet unmapped: GuardedMap frees the slot before unmapping and
                // is the only reader). MAP_FIXED replaces those pages atomically with zero
                // pages; the map's later munmap removes them with the rest.
                let r = unsafe {
                    libc::mmap(
                        from as *mut libc::c_void,
                        end - from,
                        libc::PROT_READ,
                        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                        -1,
                        0,
                    )
                };
                if r != libc::MAP_FAILED {
                    s.faulted.store(true, Ordering::Release);
                    return;
                }
                break;
            }
        }
        // Not ours: put back the previous disposition. A fault re-executes the faulting
        // instruction on return and gets it (by default: the usual death by SIGBUS); a
        // signal sent with kill() is raised again.
        // SAFETY: PREV was filled by sigaction at installation; sigaction and raise are
        // async-signal-safe.
        unsafe {
            libc::sigaction(libc::SIGBUS, std::ptr::addr_of!(PREV), std::ptr::null_mut());
            if code <= 0 {
                libc::raise(libc::SIGBUS);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn open_bytes(b: &[u8]) -> Result<Result<Opened, Skip>, FileError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.log");
        std::fs::write(&p, b).unwrap();
        open(&p, &InputOptions::default())
    }

    #[test]
    fn plain_gzip_multimember_truncated_bomb() {
        let text = b"2019-08-21 08:00:00.000 ERROR x\n".repeat(100);
        let mut gz = Vec::new();
        for _ in 0..2 {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(&text).unwrap();
            gz.extend(e.finish().unwrap());
        }
        let o = open_bytes(&gz).unwrap().ok().unwrap();
        assert_eq!(o.access, Access::Gzip);
        assert_eq!(o.bytes.len(), text.len() * 2, "both members");
        assert!(o.partial.is_none());
        let o = open_bytes(&gz[..gz.len() / 4]).unwrap().ok().unwrap();
        assert!(
            o.partial.as_ref().unwrap().kind.contains("gzip"),
            "{:?}",
            o.partial
        );
        assert!(!o.bytes.is_empty());
        assert!(open_bytes(b"\x1f\x8b\x08\x00garbagegarbage").is_err());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bomb.gz");
        std::fs::write(&p, &gz).unwrap();
        let o = open(
            &p,
            &InputOptions {
                max_decompressed: 1000,
                ..Default::default()
            },
        )
        .unwrap()
        .ok()
        .unwrap();
        assert!(o.bytes.len() <= 1000 && o.bytes.ends_with(b"\n"));
        assert!(o.partial.is_none(), "the limit is a warning, not an error");
        assert!(o.notes[0].contains("--max-decompressed"), "{:?}", o.notes);
    }

    /// A stream decompressing past [`SPILL_AT`] is spilled to a temporary file and mapped
    /// (bounded memory), byte-identical to the in-memory result; the limit still cuts at a
    /// line end; `--mmap never` keeps it in memory.
    #[test]
    fn big_gzip_spills_to_a_mapped_temporary_file() {
        let line = b"2019-08-21 08:00:00.000 ERROR 1 --- [main] a.B : something happened here\n";
        let text = line.repeat(SPILL_AT / line.len() + 5000);
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&text).unwrap();
        let gz = e.finish().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.log.gz");
        std::fs::write(&p, &gz).unwrap();
        let o = open(&p, &InputOptions::default()).unwrap().ok().unwrap();
        assert!(matches!(o.bytes, Buffer::Mapped(_)), "spilled and mapped");
        assert_eq!(o.access, Access::Gzip);
        assert!(*o.bytes == *text);
        // Nothing was written next to the log.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let limit = SPILL_AT as u64 + 1000;
        let o = open(
            &p,
            &InputOptions {
                max_decompressed: limit,
                ..Default::default()
            },
        )
        .unwrap()
        .ok()
        .unwrap();
        assert!(o.bytes.len() as u64 <= limit && o.bytes.ends_with(b"\n"));
        assert!(o.bytes.len() as u64 > limit - line.len() as u64);
        assert!(o.notes.iter().any(|n| n.contains("--max-decompressed")));
        let o = open(
            &p,
            &InputOptions {
                mmap: MmapChoice::Never,
                ..Default::default()
            },
        )
        .unwrap()
        .ok()
        .unwrap();
        assert!(matches!(o.bytes, Buffer::Owned(_)));
        assert!(*o.bytes == *text);
        // Two members, the last one small: the trailer announces a few bytes, the stream
        // holds more than SPILL_AT: in memory first, then spilled, every byte kept.
        let mut e = flate2::write::GzEncoder::new(gz.clone(), flate2::Compression::fast());
        e.write_all(line).unwrap();
        let two = e.finish().unwrap();
        assert_eq!(gzip_size(&two[two.len() - 4..]), Some(line.len() as u64));
        let q = dir.path().join("two.log.gz");
        std::fs::write(&q, &two).unwrap();
        let o = open(&q, &InputOptions::default()).unwrap().ok().unwrap();
        assert!(matches!(o.bytes, Buffer::Mapped(_)), "spilled and mapped");
        assert_eq!(o.bytes.len(), text.len() + line.len());
        assert!(o.bytes.starts_with(&text) && o.bytes.ends_with(line));
    }

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

    #[test]
    fn binary_and_nul_runs_and_utf16() {
        assert!(matches!(
            open_bytes(b"\x7fELF\x02\x01\x01\0\0\0").unwrap(),
            Err(Skip::Binary(_))
        ));
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend([0u8; 100]);
        assert!(matches!(open_bytes(&png).unwrap(), Err(Skip::Binary(_))));
        let mut t = vec![0u8; 4096];
        t.extend(b"2019-08-21 08:00:00.000 ERROR after copytruncate\n".repeat(10));
        let o = open_bytes(&t).unwrap().ok().unwrap();
        assert_eq!(o.notes.len(), 1);
        let s = "2019-08-21 08:00:00.00 spid5 Error: 1, Severity: 20\r\n";
        let mut u = vec![0xff, 0xfe];
        for c in s.encode_utf16() {
            u.extend(c.to_le_bytes());
        }
        let o = open_bytes(&u).unwrap().ok().unwrap();
        assert_eq!(&*o.bytes, s.as_bytes());
        assert_eq!(o.access, Access::Utf16);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn truncated_map_reads_zeros_and_is_flagged_instead_of_sigbus() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("live.log");
        let line =
            b"2019-08-21 08:00:00.000 ERROR x java.net.ConnectException: Connection refused\n";
        std::fs::write(&p, line.repeat(20_000)).unwrap();
        let always = InputOptions {
            mmap: MmapChoice::Always,
            ..Default::default()
        };
        let o = open(&p, &always).unwrap().ok().unwrap();
        assert_eq!(o.access, Access::Mmap);
        assert!(!o.bytes.truncated_during_scan());
        let before = sigbus::active();
        assert!(before >= 1);
        // copytruncate: shorten the file while it is mapped, then read every page.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .unwrap()
            .set_len(100)
            .unwrap();
        let total: u64 = o.bytes.iter().map(|&b| b as u64).sum();
        assert!(total > 0);
        assert!(o.bytes.truncated_during_scan());
        assert_eq!(
            &o.bytes[..100],
            &line.repeat(2)[..100],
            "the head is intact"
        );
        assert!(
            o.bytes[8192..].iter().all(|&b| b == 0),
            "the vanished tail reads as zeros"
        );
        drop(o);
        assert_eq!(
            sigbus::active(),
            before - 1,
            "the slot is freed with the map"
        );
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

    #[test]
    fn zstd_multi_frame_and_truncated() {
        let text = b"2019-08-21 08:00:00.000 ERROR x\n".repeat(1000);
        let mut z = zstd::encode_all(&text[..], 3).unwrap();
        z.extend(zstd::encode_all(&text[..], 3).unwrap());
        let o = open_bytes(&z).unwrap().ok().unwrap();
        assert_eq!(o.access, Access::Zstd);
        assert_eq!(o.bytes.len(), text.len() * 2);
        assert!(o.partial.is_none());
        let o = open_bytes(&z[..z.len() / 2 + 10]).unwrap().ok().unwrap();
        assert!(o.partial.unwrap().kind.ends_with("zstd"));
    }

    #[test]
    fn access_names_are_the_serde_names() {
        for a in [
            Access::Mmap,
            Access::Read,
            Access::Gzip,
            Access::Zstd,
            Access::Utf16,
        ] {
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
        }
    }

    #[test]
    fn missing_file_is_an_error_with_path() {
        let e = open(Path::new("/no/such/file.log"), &InputOptions::default())
            .err()
            .unwrap();
        assert_eq!(e.kind, "not-found");
        assert!(e.message.contains("/no/such/file.log"));
    }
}

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
//!   multi-member decoder, zstd (the `zstd` crate, multi-frame), xz (`liblzma`) and bzip2
//!   (`bzip2` on libbz2-rs-sys), all bounded by `--max-decompressed` so a decompression
//!   bomb stops with a warning instead of eating the machine. A truncated or corrupt
//!   stream keeps the bytes decoded so far and reports the problem. Formats not read (lz4,
//!   7z, zip, tar …) are named, with how to unpack them ([`Skip::Unsupported`]).
//! - UTF-16LE/BE with BOM (SQL Server ERRORLOG, Windows tools) is decoded to UTF-8.
//! - Structured sources are rendered into text lines (`render`, docs/sources.md): `.evtx`
//!   (`evtx`) and `journalctl -o export` (`journal`) by magic before the binary check;
//!   journald JSON, Kubernetes exports (`k8s`) and Windows event exports (`winevent`) by
//!   content after it.
//! - Binary files (known magic numbers, or NUL bytes among mostly non-text bytes) are skipped
//!   with a note, like ripgrep. NUL runs inside text (left by copy-truncate rotation) are
//!   tolerated: the text around them is scanned.
//!
//! ## Streams
//! stdin (`-`) and FIFOs or devices named on the command line are not files: [`stream`]
//! splits them from the roots and reads them once, as they arrive, decoding on the fly
//! (`scan::stream` scans them window by window).
//!
//! ## Where the code is
//! This file holds the types every reader of a file uses; the steps are one file each:
//! `open` (the mmap-or-read policy), `read` (non-blocking, bounded reads and samples, the
//! read-error hook), `codec` (compressed formats by magic bytes, their decoders, the
//! unsupported ones), `decode` (decompression within `--max-decompressed`, UTF-16, the
//! binary check), `render` and its sources (`evtx`, `journal`, `k8s`, `winevent`),
//! [`stream`] (stdin and named FIFOs), [`sigbus`] (the guard for maps), [`discover`]
//! (roots → sources), [`globs`] (`-g`) and [`service`] (the service a path names).

pub mod discover;
pub mod globs;
pub mod service;
pub mod sigbus;
pub mod stream;

mod codec;
mod decode;
mod evtx;
mod journal;
mod k8s;
mod open;
mod read;
mod render;
mod winevent;

pub use decode::SPILL_AT;
pub use open::{open, open_or_window, Opening, INJECT_OPEN_ERROR_ENV};
pub use read::{injected_read_error, read_error, sample, sample_sized, INJECT_READ_ERROR_ENV};
pub use render::Part;

use crate::error::FileError;
use std::ops::Deref;
use std::time::SystemTime;

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
    /// xz-decompressed in process.
    Xz,
    /// bzip2-decompressed in process.
    Bzip2,
    /// Decoded from UTF-16.
    Utf16,
    /// Rendered from a Windows `.evtx` file (docs/sources.md).
    Evtx,
    /// Rendered from a journald export (`journalctl -o export` / `-o json`).
    Journal,
    /// Rendered from a Kubernetes events dump (`kubectl get events`).
    Kubernetes,
    /// Rendered from a Windows event export (wevtutil text, Format-List, CSV, XML).
    WinEvent,
    /// Read as a stream (stdin, a FIFO or device named on the command line), window by
    /// window as it arrived.
    Stream,
}

impl Access {
    /// The serde name (`mmap`, `read`, `gzip`, `zstd`, `xz`, `bzip2`, `utf16`, `stream`), without going through serde:
    /// the files table writes one per file.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Mmap => "mmap",
            Access::Read => "read",
            Access::Gzip => "gzip",
            Access::Zstd => "zstd",
            Access::Xz => "xz",
            Access::Bzip2 => "bzip2",
            Access::Utf16 => "utf16",
            Access::Evtx => "evtx",
            Access::Journal => "journal",
            Access::Kubernetes => "kubernetes",
            Access::WinEvent => "win-event",
            Access::Stream => "stream",
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
    /// When the records belong to several services (a journal's units, a pod's
    /// containers): where each service's run of the bytes starts (docs/sources.md). Empty:
    /// the whole file is its own service's.
    pub parts: Vec<Part>,
}

/// Why a file was not scanned at all although it could be opened.
pub enum Skip {
    /// Binary content.
    Binary(String),
    /// A compressed or archive format recognised but not read (lz4, 7z, zip, tar …): the
    /// note names it and how to unpack it.
    Unsupported(String),
}

impl Skip {
    /// The note shown for the skipped file (`PATH: ..., skipped`).
    pub fn into_note(self) -> String {
        match self {
            Skip::Binary(n) | Skip::Unsupported(n) => n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_names_are_the_serde_names() {
        for a in [
            Access::Mmap,
            Access::Read,
            Access::Gzip,
            Access::Zstd,
            Access::Xz,
            Access::Bzip2,
            Access::Utf16,
            Access::Evtx,
            Access::Journal,
            Access::Kubernetes,
            Access::WinEvent,
            Access::Stream,
        ] {
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
        }
    }
}

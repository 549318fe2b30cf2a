//! Opening one file: the mmap-or-read policy.
//!
//! Input: a path and [`InputOptions`]. Output: [`Opened`] (the bytes, how they were
//! obtained, notes), [`Skip`] for a binary file, or the [`FileError`] that keeps the whole
//! file from being scanned.
//!
//! Tricky cases (the module docs of `input` give the reasons):
//! * Every file is opened exactly once, with `O_NONBLOCK`, and checked with `fstat` on the
//!   opened descriptor before any read: a FIFO or device that replaced a file after
//!   discovery is refused instead of blocking the scan forever.
//! * A file below [`SMALL_READ_FIRST`] is read whole first and its magic number checked in
//!   that buffer; a larger one has its first 4 bytes read and the position put back.
//! * `--mmap auto` maps a file only when it is large and has not been modified for
//!   [`MMAP_STABLE_SECS`] seconds, or when it is too large to hold in memory
//!   ([`MMAP_LIVE_MIN_SIZE`]); every map is made under the SIGBUS guard, and a file whose
//!   map cannot be made (no guard slot, ENOMEM) is read instead.
//! * `--mmap never` reads files, but a large plain one is not read whole: [`open_or_window`]
//!   hands it to the windowed scan (memory bounded by the window, not the file).
//! * [`INJECT_OPEN_ERROR_ENV`] makes matching paths fail, for tests that run as root.

use crate::error::FileError;
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::codec::{self, Codec, SNIFF_LEN};
use super::decode::{finish, gzip_size, trailer};
use super::read::{injected_read_error, open_listed, read_snapshot, read_up_to, FaultAt};
use super::{
    lossy, sigbus, Access, Buffer, InputOptions, MmapChoice, Opened, Skip, MMAP_LIVE_MIN_SIZE,
    MMAP_MIN_SIZE, MMAP_STABLE_SECS, SMALL_READ_FIRST,
};

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
    let (file, meta) = open_checked(path, &shown)?;
    whole(file, &meta, &shown, opts)
}

/// What [`open_or_window`] found.
pub enum Opening {
    /// Opened (or skipped as binary or unsupported) as [`open`] does.
    Whole(Result<Opened, Skip>),
    /// A plain text file to scan window by window, as a stream (`scan::stream`); its
    /// modification time.
    Windowed(Option<SystemTime>),
}

/// [`open`], except that under `--mmap never` a plain text file of at least `window_min`
/// bytes is not read: it is to be scanned window by window. Reading it whole would cost its
/// size in memory, per thread (issue 23: 247 MB peak RSS on the 2 GB bench corpus, where
/// maps cost 73 MB). Compressed files (bounded by their own decoder), UTF-16 and the sources
/// rendered whole (evtx, journal exports and JSON, Kubernetes dumps, Windows exports: they
/// are sorted and split by service) are read whole as before.
pub fn open_or_window(
    path: &Path,
    opts: &InputOptions,
    window_min: u64,
) -> Result<Opening, FileError> {
    let shown = lossy(path.as_os_str());
    let (mut file, meta) = open_checked(path, &shown)?;
    if opts.mmap == MmapChoice::Never && meta.len() >= window_min {
        let mut head = [0u8; 8192];
        let n = read_up_to(&mut file, &mut head).map_err(|e| FileError::io(&shown, &e))?;
        let head = &head[..n];
        let plain = Codec::sniff(head).is_none()
            && codec::unsupported(head).is_none()
            && !head.starts_with(&[0xff, 0xfe])
            && !head.starts_with(&[0xfe, 0xff])
            && !super::render::needs_whole(head);
        if plain {
            return Ok(Opening::Windowed(meta.modified().ok()));
        }
        file.seek(SeekFrom::Start(0))
            .map_err(|e| FileError::io(&shown, &e))?;
    }
    whole(file, &meta, &shown, opts).map(Opening::Whole)
}

/// Opens `path` (the injected-error hook first) and checks, on the opened descriptor, that
/// it is a regular file.
fn open_checked(path: &Path, shown: &str) -> Result<(File, std::fs::Metadata), FileError> {
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
    Ok((file, meta))
}

/// A regular file read (or mapped) whole, and rendered when it is a text source.
fn whole(
    file: File,
    meta: &std::fs::Metadata,
    shown: &str,
    opts: &InputOptions,
) -> Result<Result<Opened, Skip>, FileError> {
    let mtime = meta.modified().ok();
    open_regular(file, meta, shown, opts).map(|r| {
        r.map(|mut o| {
            o.mtime = mtime;
            // Text sources recognised by content (journald JSON, kubectl, Windows exports)
            // are rendered here, where the modification time is known (a kubectl table's
            // ages count back from it).
            super::render::text(o, shown)
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
        if let Some(c) = Codec::sniff(&v) {
            let hint = gzip_size(&v[v.len().saturating_sub(4)..]).filter(|_| c == Codec::Gzip);
            let mut o = codec::decode(c, &v[..], shown, opts, hint)?;
            // A read error in the compressed bytes outranks the decoder's view of their end.
            if partial.is_some() {
                o.partial = partial;
            }
            return Ok(Ok(o));
        }
        return Ok(finish(Buffer::Owned(v), Access::Read, partial, shown));
    }
    let mut head = [0u8; SNIFF_LEN];
    let n = read_up_to(&mut file, &mut head).map_err(|e| FileError::io(shown, &e))?;
    let head = &head[..n];
    file.seek(SeekFrom::Start(0))
        .map_err(|e| FileError::io(shown, &e))?;
    if let Some(c) = Codec::sniff(head) {
        let hint = match c {
            Codec::Gzip => trailer(&file, meta.len()).and_then(|t| gzip_size(&t)),
            _ => None,
        };
        let fault = injected_read_error(shown);
        return Ok(Ok(codec::decode(
            c,
            FaultAt::new(file, fault),
            shown,
            opts,
            hint,
        )?));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_is_an_error_with_path() {
        let e = open(Path::new("/no/such/file.log"), &InputOptions::default())
            .err()
            .unwrap();
        assert_eq!(e.kind, "not-found");
        assert!(e.message.contains("/no/such/file.log"));
    }
}

//! Input: gets the bytes of one discovered file, safely.
//!
//! Input: a path and [`InputOptions`]. Output: [`Opened`]: a byte buffer (memory map or owned
//! vector), how it was obtained, and notes (truncated gzip, NUL runs, UTF-16 decoded).
//!
//! ## Why memory maps are used only for large, stable files (`--mmap auto`)
//! A map of a file that another process truncates kills the reader with SIGBUS the moment
//! it touches a page past the new end. ripgrep accepts that risk (issue 581; measured in
//! scan-engine.md: `rg --mmap` died with exit 135 and lost all output when a 1 GB file was
//! truncated mid-scan). logrotate's `copytruncate` does exactly this to the *live* log, and
//! faultscope is run while services are still writing. So `auto` maps a file only when it
//! is large (at least [`MMAP_MIN_SIZE`]: below that `read()` costs nothing measurable) and
//! has not been modified for [`MMAP_STABLE_SECS`] seconds (rotated archives, copied
//! evidence). Everything else is read with `read()` into memory: a concurrent truncation
//! then only shortens what we see. `--mmap always` is for benchmarks on frozen corpora;
//! `--mmap never` for paranoid runs.
//!
//! ## Decoding
//! - gzip (by magic bytes, not name: rotated files are often renamed) through flate2's
//!   multi-member decoder, bounded by `--max-decompressed` so a gzip bomb stops with a
//!   warning instead of eating the machine. A truncated or corrupt stream keeps the bytes
//!   decoded so far and reports the problem.
//! - UTF-16LE/BE with BOM (SQL Server ERRORLOG, Windows tools) is decoded to UTF-8.
//! - Binary files (known magic numbers, or NUL bytes among mostly non-text bytes) are skipped
//!   with a note, like ripgrep. NUL runs inside text (left by copy-truncate rotation) are
//!   tolerated: the text around them is scanned.

use crate::error::FileError;
use memmap2::Mmap;
use std::fs::File;
use std::io::Read;
use std::ops::Deref;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// Files smaller than this are read, not mapped.
pub const MMAP_MIN_SIZE: u64 = 4 * 1024 * 1024;
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
    /// A read-only memory map.
    Mapped(Mmap),
    /// An owned buffer (read, decompressed or transcoded).
    Owned(Vec<u8>),
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
    /// Decoded from UTF-16.
    Utf16,
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
    let needle = std::env::var_os(INJECT_OPEN_ERROR_ENV)?;
    let needle = needle.to_str()?;
    (!needle.is_empty() && shown.contains(needle)).then(|| {
        std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "Permission denied (os error 13)",
        )
    })
}

/// Opens a file. `Err` means nothing of the file can be scanned.
pub fn open(path: &Path, opts: &InputOptions) -> Result<Result<Opened, Skip>, FileError> {
    let shown = path.display().to_string();
    if let Some(e) = injected_open_error(&shown) {
        return Err(FileError::io(&shown, &e));
    }
    let mut file = File::open(path).map_err(|e| FileError::io(&shown, &e))?;
    let meta = file.metadata().map_err(|e| FileError::io(&shown, &e))?;
    if !meta.is_file() {
        return Err(FileError::new(
            "special-file",
            format!("{shown}: not a regular file"),
        ));
    }
    let mut head_buf = [0u8; 4];
    let n = read_up_to(&mut file, &mut head_buf).map_err(|e| FileError::io(&shown, &e))?;
    let head = &head_buf[..n];
    if head.starts_with(&[0x1f, 0x8b]) {
        return Ok(Ok(gunzip(path, &shown, opts)?));
    }
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Ok(Err(Skip::Binary(format!(
            "{shown}: zstd-compressed input is not supported yet; decompress it with `zstd -d`"
        ))));
    }
    let stable = meta
        .modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok())
        .is_some_and(|age| age >= Duration::from_secs(MMAP_STABLE_SECS));
    let map = match opts.mmap {
        MmapChoice::Always => meta.len() > 0,
        MmapChoice::Never => false,
        MmapChoice::Auto => meta.len() >= MMAP_MIN_SIZE && stable,
    };
    let (bytes, access) = if map {
        // SAFETY: the map is read-only. The remaining hazard is another process truncating
        // the file while we read it (SIGBUS); `auto` only maps files that have not changed
        // for MMAP_STABLE_SECS (see the module docs), `always` is the user's explicit choice.
        match unsafe { Mmap::map(&file) } {
            Ok(m) => {
                #[cfg(unix)]
                let _ = m.advise(memmap2::Advice::Sequential);
                (Buffer::Mapped(m), Access::Mmap)
            }
            // Mapping can fail (ENOMEM, odd filesystems): fall back to read, like ripgrep.
            Err(_) => (
                Buffer::Owned(read_rest(&mut file, head, meta.len(), &shown)?),
                Access::Read,
            ),
        }
    } else {
        (
            Buffer::Owned(read_rest(&mut file, head, meta.len(), &shown)?),
            Access::Read,
        )
    };
    Ok(finish(bytes, access, None, &shown))
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
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

/// The rest of an open file after the `head` bytes already read from it (one open per
/// file: with 100,000 small files, a second open is a measurable share of the scan).
fn read_rest(f: &mut File, head: &[u8], len: u64, shown: &str) -> Result<Vec<u8>, FileError> {
    // +1 so a file that grows a little while read does not double the buffer.
    let mut v = Vec::with_capacity((len as usize).saturating_add(1).max(head.len()));
    v.extend_from_slice(head);
    f.read_to_end(&mut v)
        .map_err(|e| FileError::io(shown, &e))?;
    Ok(v)
}

fn gunzip(path: &Path, shown: &str, opts: &InputOptions) -> Result<Opened, FileError> {
    let f = File::open(path).map_err(|e| FileError::io(shown, &e))?;
    let mut dec =
        flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(256 * 1024, f))
            .take(opts.max_decompressed.saturating_add(1));
    let mut out = Vec::new();
    let mut partial = None;
    match dec.read_to_end(&mut out) {
        Ok(_) => {}
        Err(e) => {
            if out.is_empty() {
                return Err(FileError::new(
                    "corrupt-gzip",
                    format!("{shown}: corrupt gzip stream: {e}"),
                ));
            }
            let kind = if e.kind() == std::io::ErrorKind::UnexpectedEof {
                "truncated-gzip"
            } else {
                "corrupt-gzip"
            };
            partial = Some(FileError::new(
                kind,
                format!(
                    "{shown}: {} gzip stream ({e}); scanned the first {} decompressed bytes",
                    if kind == "truncated-gzip" {
                        "truncated"
                    } else {
                        "corrupt"
                    },
                    out.len()
                ),
            ));
        }
    }
    if out.len() as u64 > opts.max_decompressed {
        out.truncate(opts.max_decompressed as usize);
        // Keep whole lines only.
        if let Some(nl) = memchr::memrchr(b'\n', &out) {
            out.truncate(nl + 1);
        }
        partial = Some(FileError::new(
            "decompressed-limit",
            format!(
                "{shown}: stopped after {} decompressed bytes (--max-decompressed); the rest was not scanned",
                opts.max_decompressed
            ),
        ));
    }
    Ok(
        match finish(Buffer::Owned(out), Access::Gzip, partial, shown) {
            Ok(o) => o,
            Err(Skip::Binary(m)) => Opened {
                bytes: Buffer::Owned(Vec::new()),
                access: Access::Gzip,
                partial: Some(FileError::new("binary", m)),
                notes: vec![],
            },
        },
    )
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
        });
    }
    if BINARY_MAGIC.iter().any(|m| bytes.starts_with(m)) {
        return Err(Skip::Binary(format!(
            "{shown}: binary file (magic number), skipped"
        )));
    }
    let head = &bytes[..bytes.len().min(8192)];
    let nuls = bytecount::count(head, 0);
    if nuls > 0 {
        // Text with NUL runs (copy-truncate leftovers) vs real binary: look at the bytes that
        // are not NUL.
        let non_nul = head.len() - nuls;
        let ctrl = head
            .iter()
            .filter(|&&c| c != 0 && c < 0x20 && !matches!(c, b'\n' | b'\r' | b'\t' | 0x1b | 0x0c))
            .count();
        if non_nul < 16 && head.len() == bytes.len() {
            return Err(Skip::Binary(format!(
                "{shown}: binary file (only NUL bytes), skipped"
            )));
        }
        if non_nul == 0 || ctrl * 10 > non_nul {
            return Err(Skip::Binary(format!(
                "{shown}: binary file (NUL byte in the first 8 KiB), skipped"
            )));
        }
        notes.push(format!(
            "{shown}: contains NUL bytes (copy-truncate leftovers?); scanned as text"
        ));
    }
    Ok(Opened {
        bytes,
        access,
        partial,
        notes,
    })
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
        assert_eq!(o.partial.unwrap().kind, "decompressed-limit");
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

    #[test]
    fn missing_file_is_an_error_with_path() {
        let e = open(Path::new("/no/such/file.log"), &InputOptions::default())
            .err()
            .unwrap();
        assert_eq!(e.kind, "not-found");
        assert!(e.message.contains("/no/such/file.log"));
    }
}

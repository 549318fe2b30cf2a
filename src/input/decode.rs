//! Decoding: what the bytes of a file are before they are scanned.
//!
//! Input: a reader (a file, or bytes already read) or a buffer, and [`InputOptions`].
//! Output: [`Opened`] with the decoded bytes, or [`Skip`] for a binary file.
//!
//! Tricky cases:
//! * gzip (by magic bytes, not name: rotated files are often renamed) through flate2's
//!   multi-member decoder, and zstd (magic bytes; multi-frame), both bounded by
//!   `--max-decompressed` so a decompression bomb stops with a warning, cut at a line end
//!   (xz and bzip2 take the same path from `codec`).
//!   A truncated or corrupt stream keeps the bytes decoded so far and reports the problem.
//! * A stream larger than [`SPILL_AT`] goes to an unnamed temporary file (never next to the
//!   logs) that is then mapped, so memory does not grow with the size of a `.gz`.
//! * UTF-16LE/BE with BOM (SQL Server ERRORLOG, Windows tools) is decoded to UTF-8.
//! * Binary files (known magic numbers, or NUL bytes among mostly non-text bytes) are
//!   skipped with a note; archives and compressors we do not read are named
//!   (`codec::unsupported`). NUL runs inside text (left by copy-truncate rotation) are
//!   tolerated: the text around them is scanned.

use crate::error::FileError;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use super::{sigbus, Access, Buffer, InputOptions, MmapChoice, Opened, Skip};

/// The decompressed size a gzip stream's trailer announces (ISIZE: the last member's size
/// modulo 4 GiB), from its last 4 bytes.
pub(super) fn gzip_size(tail: &[u8]) -> Option<u64> {
    let b: [u8; 4] = tail.try_into().ok()?;
    Some(u64::from(u32::from_le_bytes(b)))
}

/// A file's last 4 bytes, read without moving its position.
pub(super) fn trailer(file: &File, len: u64) -> Option<[u8; 4]> {
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
pub(super) fn decompress(
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
            (spill, spill_err) = spill_rest(&mut dec, &mut out, opts, &mut read_err, &mut err);
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

/// The rest of a stream that filled the first [`SPILL_AT`] bytes of `out` (or is announced
/// past it): into an unnamed temporary file, `out` first, unless `--mmap never` or no
/// temporary file can be made (then into `out`). Gives the temporary file and the bytes in
/// it, and the error if bytes already written could not be read back after a failed write.
fn spill_rest(
    dec: &mut impl Read,
    out: &mut Vec<u8>,
    opts: &InputOptions,
    read_err: &mut impl FnMut(std::io::Error, u64, &mut Option<std::io::Error>),
    err: &mut Option<std::io::Error>,
) -> (Option<(File, u64)>, Option<std::io::Error>) {
    let mut spill: Option<(File, u64)> = None;
    // The temporary file could not be read back after a failed write.
    let mut spill_err: Option<std::io::Error> = None;
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
        let mut unwritten: Option<Vec<u8>> = match f.write_all(out) {
            Ok(()) => {
                written = out.len() as u64;
                *out = Vec::new();
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
                    read_err(e, written, err);
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
                    let back = f
                        .seek(SeekFrom::Start(0))
                        .and_then(|_| (&mut f).take(written).read_to_end(out).map(|_| ()));
                    if let Err(e) = back {
                        spill_err = Some(e);
                    }
                }
                if spill_err.is_none() {
                    out.extend_from_slice(&rest);
                    if let Err(e) = dec.read_to_end(out) {
                        read_err(e, out.len() as u64, err);
                    }
                }
            }
        }
    } else if let Err(e) = dec.read_to_end(out) {
        read_err(e, out.len() as u64, err);
    }
    (spill, spill_err)
}

pub(super) fn unzstd(
    file: impl Read,
    shown: &str,
    opts: &InputOptions,
) -> Result<Opened, FileError> {
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

pub(super) fn gunzip(
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
pub(super) fn decoded(
    out: Buffer,
    access: Access,
    partial: Option<FileError>,
    shown: &str,
) -> Opened {
    match finish(out, access, partial, shown) {
        Ok(o) => o,
        Err(skip) => {
            let kind = match &skip {
                Skip::Binary(_) => "binary",
                Skip::Unsupported(_) => "unsupported",
            };
            Opened {
                bytes: Buffer::Owned(Vec::new()),
                access,
                partial: Some(FileError::new(kind, skip.into_note())),
                notes: vec![],
                mtime: None,
                parts: Vec::new(),
            }
        }
    }
}

/// Known binary magic numbers: executables, images, archives, databases.
const BINARY_MAGIC: &[&[u8]] = &[
    b"\x7fELF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"%PDF",
    b"MZ",
    b"SQLite format 3",
    b"\xfe\xed\xfa",
    b"\xcf\xfa\xed\xfe",
];

pub(super) fn finish(
    bytes: Buffer,
    access: Access,
    partial: Option<FileError>,
    shown: &str,
) -> Result<Opened, Skip> {
    // `.evtx` and journal exports hold NULs: rendered before the binary check.
    if let Some(o) = super::render::binary(&bytes, access, &partial, shown) {
        return Ok(o);
    }
    finish_text(bytes, access, partial, shown)
}

fn finish_text(
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
            parts: Vec::new(),
        });
    }
    if let Some(u) = super::codec::unsupported(&bytes) {
        return Err(Skip::Unsupported(format!(
            "{shown}: {} not supported (unpack it first: `{}`), skipped",
            u.name,
            u.unpack.replace("FILE", shown)
        )));
    }
    if let Some(inner) = super::codec::Codec::sniff(&bytes) {
        // A codec's magic in decoded bytes: compressed twice (`log.gz.gz`).
        return Err(Skip::Unsupported(format!(
            "{shown}: {} data inside the {} stream (compressed twice) not supported, skipped",
            inner.name(),
            access.as_str()
        )));
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
        parts: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::open;
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
}

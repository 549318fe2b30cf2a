//! Compressed inputs, recognised by their magic bytes (never by name: rotated archives are
//! renamed `app.log.1`, `gateway.2019-08-21.0.log` …): which codec, its streaming decoder,
//! and the formats faultscope names but does not read.
//!
//! Input: the first [`SNIFF_LEN`] bytes of a file or stream, then a reader. Output: a
//! [`Codec`] and its decoder (a `Read`), or the name of an unsupported format.
//!
//! Choices (measured in docs/robustness.md, "Compression"):
//! - gzip (flate2 on zlib-rs) and zstd (the zstd crate) as before;
//! - xz through `liblzma`, the maintained fork of `xz2` that bundles xz-utils' own liblzma
//!   (the reference decoder; `xz2`'s last release is from 2018, and the pure-Rust `lzma-rs`
//!   decodes several times slower);
//! - bzip2 through the `bzip2` crate on `libbz2-rs-sys`, the pure-Rust port of libbzip2 by
//!   the team behind zlib-rs (which flate2 already uses here): no C toolchain, as fast as
//!   the C library.
//!
//! Every decoder reads all members/streams of a concatenated file (`cat a.gz b.gz`, pxz and
//! pbzip2 output), and every one is bounded by `--max-decompressed` by its caller.
//!
//! Tricky cases:
//! - bzip2's magic `BZh` is three printable letters: a log could start with them. It counts
//!   only with a block size digit and the 48-bit block (or end-of-stream) magic after it.
//! - A format we cannot read (lz4, 7z, rar, zip, lzip, lzma, Unix compress, snappy, tar) is
//!   named, with the command that unpacks it, instead of "binary file": the user then
//!   knows the logs are there and how to get at them. Brotli has no magic number and is
//!   indistinguishable from other binary data.

use crate::error::FileError;
use std::io::{BufReader, Read};

use super::{Access, InputOptions, Opened};

/// Bytes of a file's head needed to recognise every format here (tar's `ustar` sits at
/// 257, but tar is only looked for in bytes already read whole).
pub(super) const SNIFF_LEN: usize = 16;

/// A compressed format read in process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Codec {
    /// gzip (RFC 1952), any number of members.
    Gzip,
    /// zstd frames.
    Zstd,
    /// xz streams (`.xz`; not the legacy `.lzma` format).
    Xz,
    /// bzip2 streams.
    Bzip2,
}

/// zstd frame magic number (little-endian 0xFD2FB528).
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// xz stream header magic.
const XZ_MAGIC: [u8; 6] = [0xfd, b'7', b'z', b'X', b'Z', 0];
/// bzip2: the first block's magic (BCD of pi), or the end-of-stream magic of an empty stream.
const BZ2_BLOCK: [u8; 6] = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
const BZ2_EOS: [u8; 6] = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];

impl Codec {
    /// The codec whose magic number `head` starts with.
    pub(super) fn sniff(head: &[u8]) -> Option<Codec> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Codec::Gzip)
        } else if head.starts_with(&ZSTD_MAGIC) {
            Some(Codec::Zstd)
        } else if head.starts_with(&XZ_MAGIC) {
            Some(Codec::Xz)
        } else if is_bzip2(head) {
            Some(Codec::Bzip2)
        } else {
            None
        }
    }

    /// The name used in messages and error kinds (`corrupt-xz`).
    pub(super) fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Zstd => "zstd",
            Codec::Xz => "xz",
            Codec::Bzip2 => "bzip2",
        }
    }

    /// How the bytes of such a file are reported (`files[].access`).
    pub(super) fn access(self) -> Access {
        match self {
            Codec::Gzip => Access::Gzip,
            Codec::Zstd => Access::Zstd,
            Codec::Xz => Access::Xz,
            Codec::Bzip2 => Access::Bzip2,
        }
    }

    /// A streaming decoder over `r` (all members or frames). Fails only when the decoder
    /// cannot be set up (zstd allocates its context here).
    pub(super) fn reader<'a>(self, r: impl Read + Send + 'a) -> std::io::Result<DecoderBox<'a>> {
        // 256 KiB reads from the file: the decoders' own 8-32 KiB buffers cost a system call
        // per few KiB of a multi-GB archive.
        let buffered = BufReader::with_capacity(256 * 1024, r);
        Ok(match self {
            Codec::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
            Codec::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(buffered)?),
            Codec::Xz => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(buffered)),
            Codec::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(buffered)),
        })
    }
}

/// A boxed streaming decoder.
pub(super) type DecoderBox<'a> = Box<dyn Read + Send + 'a>;

fn is_bzip2(head: &[u8]) -> bool {
    head.len() >= 10
        && head.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&head[3])
        && (head[4..10] == BZ2_BLOCK || head[4..10] == BZ2_EOS)
}

/// Decodes a whole file of `codec` (its reader at the first byte), bounded by
/// `--max-decompressed`, spilling large outputs to a temporary file (`decode::decompress`).
/// `hint`: the decompressed size gzip's trailer announces.
pub(super) fn decode(
    codec: Codec,
    file: impl Read + Send,
    shown: &str,
    opts: &InputOptions,
    hint: Option<u64>,
) -> Result<Opened, FileError> {
    match codec {
        // Kept on their own paths (gzip's size hint, zstd's error wording).
        Codec::Gzip => super::decode::gunzip(file, shown, opts, hint),
        Codec::Zstd => super::decode::unzstd(file, shown, opts),
        Codec::Xz | Codec::Bzip2 => {
            let what = codec.name();
            let corrupt = |e: std::io::Error| {
                FileError::new(
                    &format!("corrupt-{what}"),
                    format!("{shown}: corrupt {what} stream: {e}"),
                )
            };
            let dec = codec.reader(file).map_err(corrupt)?;
            let (out, partial, err, limit) =
                super::decode::decompress(dec, what, shown, opts, None);
            if out.is_empty() {
                if let Some(e) = err {
                    return Err(corrupt(e));
                }
            }
            let mut o = super::decode::decoded(out, codec.access(), partial, shown);
            o.notes.extend(limit);
            Ok(o)
        }
    }
}

/// A compressed or archive format faultscope recognises but does not read: its name and
/// how to unpack it, for the message.
pub(super) struct Unsupported {
    /// `lz4`, `7z`, `zip archive` …
    pub(super) name: &'static str,
    /// A command that unpacks it (`FILE` stands for the path): a compressor's output piped
    /// into `faultscope scan -`, an archive unpacked to a directory.
    pub(super) unpack: &'static str,
}

/// The unsupported format `bytes` (a file's head, or its whole decoded content) starts
/// with, if any.
pub(super) fn unsupported(bytes: &[u8]) -> Option<Unsupported> {
    const TABLE: &[(&[u8], &str, &str)] = &[
        // LZ4 frame format, and the legacy format of `lz4 -l` (old Linux kernels).
        (
            &[0x04, 0x22, 0x4d, 0x18],
            "lz4",
            "lz4 -dc FILE | faultscope scan -",
        ),
        (
            &[0x02, 0x21, 0x4c, 0x18],
            "lz4",
            "lz4 -dc FILE | faultscope scan -",
        ),
        (b"7z\xbc\xaf\x27\x1c", "7z", "7z x FILE"),
        (b"Rar!\x1a\x07", "rar", "unrar x FILE"),
        (b"PK\x03\x04", "zip archive", "unzip FILE"),
        (b"PK\x05\x06", "zip archive", "unzip FILE"),
        (b"LZIP", "lzip", "lzip -dc FILE | faultscope scan -"),
        // Unix `compress` (.Z).
        (
            &[0x1f, 0x9d],
            "compress (.Z)",
            "uncompress -c FILE | faultscope scan -",
        ),
        // Snappy framing format's stream identifier.
        (
            b"\xff\x06\x00\x00sNaPpY",
            "snappy",
            "snzip -dc FILE | faultscope scan -",
        ),
        // Legacy .lzma (LZMA-alone): properties byte 0x5D and a little-endian dictionary size
        // whose low bytes are zero (xz-utils writes powers of two).
        (
            &[0x5d, 0x00, 0x00],
            "lzma",
            "xz --format=lzma -dc FILE | faultscope scan -",
        ),
    ];
    for (magic, name, unpack) in TABLE {
        if bytes.starts_with(magic) {
            return Some(Unsupported { name, unpack });
        }
    }
    // POSIX tar: `ustar` at 257 (a `.tar.gz` reaches here decoded).
    if bytes.get(257..262) == Some(b"ustar") {
        return Some(Unsupported {
            name: "tar archive",
            unpack: "tar -xf FILE",
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn xz(data: &[u8]) -> Vec<u8> {
        let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn bz2(data: &[u8]) -> Vec<u8> {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn sniffs_every_codec_and_not_text() {
        let text = b"2019-08-21 08:00:00.000 ERROR x\n".repeat(50);
        assert_eq!(Codec::sniff(&xz(&text)), Some(Codec::Xz));
        assert_eq!(Codec::sniff(&bz2(&text)), Some(Codec::Bzip2));
        assert_eq!(Codec::sniff(&bz2(b"")), Some(Codec::Bzip2), "empty stream");
        assert_eq!(
            Codec::sniff(&zstd::encode_all(&text[..], 1).unwrap()),
            Some(Codec::Zstd)
        );
        // Text that starts like bzip2's magic is text.
        assert_eq!(Codec::sniff(b"BZh9 is not a bzip2 stream\n"), None);
        assert_eq!(Codec::sniff(&text), None);
        assert!(unsupported(&text).is_none());
        assert_eq!(
            unsupported(b"\x04\x22\x4d\x18\x64\x40").unwrap().name,
            "lz4"
        );
        assert_eq!(
            unsupported(b"PK\x03\x04\x14\0").unwrap().name,
            "zip archive"
        );
        let mut tar = vec![0u8; 512];
        tar[..7].copy_from_slice(b"app.log");
        tar[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(unsupported(&tar).unwrap().name, "tar archive");
    }

    /// Concatenated streams decode whole (pxz, pbzip2 and `cat a.xz b.xz` write several).
    #[test]
    fn multi_stream_xz_and_bzip2_decode_whole() {
        let text = b"2019-08-21 08:00:00.000 ERROR x\n".repeat(500);
        for (codec, enc) in [(Codec::Xz, xz as fn(&[u8]) -> Vec<u8>), (Codec::Bzip2, bz2)] {
            let mut two = enc(&text);
            two.extend(enc(&text));
            let mut out = Vec::new();
            codec
                .reader(&two[..])
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out.len(), text.len() * 2, "{codec:?}");
            let o = decode(codec, &two[..], "f", &InputOptions::default(), None).unwrap();
            assert_eq!(o.access, codec.access());
            assert_eq!(o.bytes.len(), text.len() * 2);
            assert!(o.partial.is_none());
            // Truncated: what was decoded is kept, the problem named.
            let cut = &two[..two.len() / 2 + 7];
            match decode(codec, cut, "f", &InputOptions::default(), None) {
                Ok(o) => {
                    let p = o.partial.expect("a truncated stream is reported");
                    assert!(p.kind.ends_with(codec.name()), "{p:?}");
                }
                Err(e) => assert!(e.kind.ends_with(codec.name()), "{e:?}"),
            }
            // Garbage after the magic: an error naming the codec, not a panic.
            let mut bad = enc(&text)[..12].to_vec();
            bad.extend(b"garbage garbage garbage garbage");
            let e = decode(codec, &bad[..], "f", &InputOptions::default(), None);
            match e {
                Ok(o) => assert!(o.partial.is_some() || o.bytes.is_empty()),
                Err(e) => assert_eq!(e.kind, format!("corrupt-{}", codec.name())),
            }
        }
    }

    /// `--max-decompressed` bounds xz and bzip2 like gzip: whole lines, a warning.
    #[test]
    fn xz_and_bzip2_are_bounded() {
        let text = b"2019-08-21 08:00:00.000 ERROR x\n".repeat(1000);
        let opts = InputOptions {
            max_decompressed: 1000,
            ..Default::default()
        };
        for data in [xz(&text), bz2(&text)] {
            let codec = Codec::sniff(&data).unwrap();
            let o = decode(codec, &data[..], "f", &opts, None).unwrap();
            assert!(o.bytes.len() <= 1000 && o.bytes.ends_with(b"\n"));
            assert!(o.notes.iter().any(|n| n.contains("--max-decompressed")));
        }
    }
}

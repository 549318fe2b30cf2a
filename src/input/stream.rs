//! Streams: stdin (`-`) and the FIFOs, character devices and sockets named on the command
//! line (`/dev/stdin`, a `<(kubectl logs …)` process substitution, a `mkfifo` pipe). They
//! are read once, front to back, as the bytes arrive: never mapped, never sampled twice,
//! never held whole (`scan::stream` scans them window by window).
//!
//! Input: the roots a user typed ([`split_streams`]), then one stream [`Source`] and
//! [`InputOptions`] ([`open_stream`]). Output: stream sources (the rest of the roots go to
//! discovery), then a [`Stream`]: the decoded bytes on demand ([`Stream::fill`]), how they
//! were obtained, notes, and the problem that ended the stream early, if any.
//!
//! Tricky cases:
//! - Only paths *named* on the command line are streams. A FIFO met while walking a
//!   directory is still skipped (`discover`): nobody asked to wait on it.
//! - `open()` of a FIFO without a writer blocks; we open it `O_NONBLOCK` (and `fstat` the
//!   descriptor, so a regular file swapped in is read as a file would be) and `poll()`
//!   before each read. On Linux a FIFO's reader is not woken by "no writer" until a writer
//!   has come and gone, so `mkfifo p; faultscope scan p & producer > p` waits for the
//!   producer, like `cat p`. stdin is read as it is (its file description is the shell's:
//!   setting `O_NONBLOCK` on it would leak into the shell).
//! - The first bytes decide the codec (gzip, zstd, xz, bzip2 by magic bytes: `zcat`-free
//!   pipelines like `kubectl cp … | faultscope scan -` of a `.gz`) and UTF-16 (BOM),
//!   decoded on the fly; a compressed stream is bounded by `--max-decompressed` like a file,
//!   a plain one is not (it may be a `kubectl logs -f`).
//! - A read error (EIO), a corrupt or truncated compressed stream, or the bound ends the
//!   stream; what arrived before is scanned and the stream is reported.
//!   `FAULTSCOPE_TEST_READ_ERROR` applies to the raw bytes (`read::INJECT_READ_ERROR_ENV`).

use crate::error::FileError;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::codec::{Codec, SNIFF_LEN};
use super::discover::{DiscoverOptions, Discovery, ServiceRule, Source};
use super::read::{injected_read_error, read_error, read_up_to, FaultAt};
use super::service::{service_of, shared_service};
use super::{Access, InputOptions};

/// The argument that names stdin.
pub const STDIN_ARG: &str = "-";
/// How stdin is shown (paths of evidence, `files[].path`): ripgrep's name for it.
pub const STDIN_SHOWN: &str = "<stdin>";

/// What kind of stream a source is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamKind {
    /// Standard input (`-`).
    Stdin,
    /// A FIFO, character device or socket named on the command line.
    Named,
}

/// Splits the roots a user typed into stream sources (`-`, and named FIFOs, character
/// devices and sockets, in the order given; stdin once) and the paths left for discovery.
pub fn split_streams(roots: &[PathBuf], services: &[ServiceRule]) -> (Vec<Source>, Vec<PathBuf>) {
    let mut streams: Vec<Source> = Vec::new();
    let mut rest = Vec::new();
    for root in roots {
        let kind = if root.as_os_str() == STDIN_ARG {
            StreamKind::Stdin
        } else if is_stream_path(root) {
            StreamKind::Named
        } else {
            rest.push(root.clone());
            continue;
        };
        let path = match kind {
            StreamKind::Stdin => PathBuf::from(STDIN_SHOWN),
            StreamKind::Named => root.clone(),
        };
        if streams
            .iter()
            .any(|s| s.path == path && s.stream == Some(kind))
        {
            continue;
        }
        let relative = PathBuf::from(path.file_name().unwrap_or(path.as_os_str()));
        let service = match services.iter().find(|r| r.matches(&path, &relative)) {
            Some(r) => shared_service(r.name()),
            None => shared_service(&default_service(kind, &path, &relative)),
        };
        streams.push(Source {
            path,
            relative,
            service,
            size: None,
            mtime: None,
            stream: Some(kind),
        });
    }
    (streams, rest)
}

/// Discovery with streams: the stream roots split off ([`split_streams`]), the other roots
/// walked (`discover`), and the streams put among the files in path order.
pub fn discover_all(roots: &[PathBuf], opts: &DiscoverOptions) -> Discovery {
    let (streams, rest) = split_streams(roots, &opts.services);
    let mut d = if rest.is_empty() {
        Discovery::default()
    } else {
        super::discover::discover(&rest, opts)
    };
    for s in streams {
        let at = d.sources.partition_point(|x| x.path <= s.path);
        d.sources.insert(at, s);
    }
    d
}

/// A stream's service when no `--service` rule names it: `stdin` for stdin (also as
/// `/dev/stdin`, `/dev/fd/0`), `fdN` for other descriptors (a process substitution is
/// `/dev/fd/63`), else the file's stem like any file named on the command line.
fn default_service(kind: StreamKind, path: &Path, relative: &Path) -> String {
    if kind == StreamKind::Stdin {
        return "stdin".into();
    }
    let s = path.to_string_lossy();
    if s == "/dev/stdin" {
        return "stdin".into();
    }
    let fd = s
        .strip_prefix("/dev/fd/")
        .or_else(|| s.strip_prefix("/proc/self/fd/"))
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    match fd {
        Some("0") => "stdin".into(),
        Some(n) => format!("fd{n}"),
        None => service_of(relative).into_owned(),
    }
}

/// Is `path` (named on the command line) a FIFO, character device or socket, following
/// symlinks (`/dev/stdin` → `/proc/self/fd/0` → a pipe)?
fn is_stream_path(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        std::fs::metadata(path).is_ok_and(|m| {
            let t = m.file_type();
            t.is_fifo() || t.is_char_device() || t.is_socket()
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// An open stream: its decoded bytes on demand.
pub struct Stream {
    reader: Box<dyn Read + Send>,
    /// How the bytes are obtained: `stream`, or the codec (`gzip`, `xz` …), or `utf16`.
    pub access: Access,
    /// Notes for `--debug` and warnings (UTF-16 decoded).
    pub notes: Vec<String>,
    shown: String,
    codec: Option<Codec>,
    /// Set by the raw reader when reading the source itself failed (not the decoder).
    raw_failed: Arc<AtomicBool>,
    /// Decoded bytes handed out so far.
    given: u64,
    /// `--max-decompressed` for a compressed stream.
    limit: Option<u64>,
    limit_hit: bool,
    done: bool,
    problem: Option<FileError>,
}

/// Opens a stream source (see the module docs). `Err`: nothing can be read from it.
pub fn open_stream(src: &Source, opts: &InputOptions) -> Result<Stream, FileError> {
    let shown = super::lossy(src.path.as_os_str()).into_owned();
    let raw: Box<dyn Read + Send> = match src.stream {
        Some(StreamKind::Stdin) => Box::new(std::io::stdin()),
        _ => open_named(&src.path, &shown)?,
    };
    let raw_failed = Arc::new(AtomicBool::new(false));
    let mut raw: Box<dyn Read + Send> = Box::new(Flagged {
        inner: FaultAt::new(raw, injected_read_error(&shown)),
        failed: raw_failed.clone(),
    });
    let mut head = [0u8; SNIFF_LEN];
    let n = read_up_to(&mut raw, &mut head).map_err(|e| FileError::io(&shown, &e))?;
    let raw = Box::new(std::io::Cursor::new(head[..n].to_vec()).chain(raw));
    let codec = Codec::sniff(&head[..n]);
    let mut reader: Box<dyn Read + Send> = match codec {
        Some(c) => c.reader(raw).map_err(|e| {
            FileError::new(
                &format!("corrupt-{}", c.name()),
                format!("{shown}: corrupt {} stream: {e}", c.name()),
            )
        })?,
        None => raw,
    };
    let mut access = codec.map_or(Access::Stream, Codec::access);
    let mut notes = Vec::new();
    // A UTF-16 BOM in the decoded bytes: transcode on the fly (the BOM is dropped).
    let mut bom = [0u8; 2];
    let got = read_up_to(&mut reader, &mut bom);
    let reader: Box<dyn Read + Send> = match got {
        Ok(2) if bom == [0xff, 0xfe] || bom == [0xfe, 0xff] => {
            let be = bom[0] == 0xfe;
            notes.push(format!(
                "{shown}: decoded from UTF-16{} (BOM)",
                if be { "BE" } else { "LE" }
            ));
            access = Access::Utf16;
            Box::new(Utf16Reader::new(reader, be))
        }
        Ok(k) => Box::new(std::io::Cursor::new(bom[..k].to_vec()).chain(reader)),
        // The error comes back at the first `fill`, with what was read before it.
        Err(e) => Box::new(Failing(Some(e))),
    };
    Ok(Stream {
        reader,
        access,
        notes,
        shown,
        codec,
        raw_failed,
        given: 0,
        limit: codec.map(|_| opts.max_decompressed),
        limit_hit: false,
        done: false,
        problem: None,
    })
}

impl Stream {
    /// Appends up to `want` decoded bytes to `buf` (fewer only at the end of the stream);
    /// returns how many. 0: the stream is over (end, error or `--max-decompressed`; see
    /// [`Stream::take_problem`] and [`Stream::limit_note`]).
    pub fn fill(&mut self, buf: &mut Vec<u8>, want: usize) -> usize {
        let mut want = want as u64;
        if let Some(limit) = self.limit {
            // One byte past the bound tells a stream that ends exactly there from a bomb.
            want = want.min((limit + 1).saturating_sub(self.given));
        }
        let start = buf.len();
        let mut got = 0u64;
        while !self.done && got < want {
            let before = buf.len();
            let r = (&mut self.reader).take(want - got).read_to_end(buf);
            let k = (buf.len() - before) as u64;
            got += k;
            match r {
                Ok(_) if k == 0 => self.done = true,
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    self.problem = Some(self.error(e, self.given + got));
                }
            }
        }
        self.given += got;
        if let Some(limit) = self.limit.filter(|l| self.given > *l) {
            buf.truncate(start + (got - (self.given - limit)) as usize);
            self.given = limit;
            self.limit_hit = true;
            self.done = true;
            return buf.len() - start;
        }
        got as usize
    }

    /// True once the stream is over.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The problem that ended the stream early (read error, corrupt or truncated
    /// compressed data), if any.
    pub fn take_problem(&mut self) -> Option<FileError> {
        self.problem.take()
    }

    /// True when `--max-decompressed` ended the stream (its last partial line is then
    /// dropped, as for a file).
    pub fn limit_hit(&self) -> bool {
        self.limit_hit
    }

    /// The warning when `--max-decompressed` ended the stream.
    pub fn limit_note(&self) -> Option<String> {
        self.limit_hit.then(|| {
            format!(
                "{}: stopped after {} decompressed bytes (--max-decompressed); the rest was not scanned",
                self.shown, self.given
            )
        })
    }

    fn error(&self, e: std::io::Error, got: u64) -> FileError {
        match self.codec {
            Some(c) if !self.raw_failed.load(Ordering::Relaxed) => {
                let what = c.name();
                let kind = if e.kind() == std::io::ErrorKind::UnexpectedEof {
                    "truncated"
                } else {
                    "corrupt"
                };
                FileError::new(
                    &format!("{kind}-{what}"),
                    format!(
                        "{}: {kind} {what} stream ({e}); scanned the first {got} decompressed bytes",
                        self.shown
                    ),
                )
            }
            _ => read_error(&self.shown, got, &e),
        }
    }
}

/// A stream read ahead on a thread of its own, in blocks, so that reading and decoding the
/// next window overlaps scanning this one (a `.gz` piped in decodes at ~0.5 GB/s on one
/// core while the scan runs on the others). At most `depth` blocks wait: memory stays
/// bounded. Dropped early (a binary stream), its reader stops at its next block.
pub struct ReadAhead {
    feed: Feed,
    /// The part of the current block not handed out yet.
    cur: Vec<u8>,
    at: usize,
    /// The stream, once its reader ended (or when no thread could be made).
    ended: Option<Stream>,
}

enum Feed {
    Thread {
        rx: std::sync::mpsc::Receiver<Vec<u8>>,
        back: std::sync::mpsc::Sender<Vec<u8>>,
        reader: Option<std::thread::JoinHandle<Stream>>,
    },
    Inline,
}

impl Stream {
    /// Starts reading ahead (see [`ReadAhead`]): blocks of `block` bytes, `depth` of them
    /// waiting at most. Without a thread the stream is read in place.
    pub fn read_ahead(mut self, block: usize, depth: usize) -> ReadAhead {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(depth.max(1));
        let (back, recycled) = std::sync::mpsc::channel::<Vec<u8>>();
        let spawned = std::thread::Builder::new()
            .name("faultscope-stream".into())
            .spawn(move || {
                loop {
                    let mut b = recycled
                        .try_recv()
                        .unwrap_or_else(|_| Vec::with_capacity(block));
                    b.clear();
                    if self.fill(&mut b, block) == 0 || tx.send(b).is_err() {
                        break;
                    }
                }
                self
            });
        match spawned {
            Ok(h) => ReadAhead {
                feed: Feed::Thread {
                    rx,
                    back,
                    reader: Some(h),
                },
                cur: Vec::new(),
                at: 0,
                ended: None,
            },
            // Only resource limits fail a spawn, and it consumed the stream: report it.
            Err(e) => ReadAhead {
                feed: Feed::Inline,
                cur: Vec::new(),
                at: 0,
                ended: Some(Stream::failed(&e)),
            },
        }
    }

    /// A stream that ends at once with `e` (no reader thread could be made).
    fn failed(e: &std::io::Error) -> Stream {
        Stream {
            reader: Box::new(std::io::empty()),
            access: Access::Stream,
            notes: Vec::new(),
            shown: String::new(),
            codec: None,
            raw_failed: Arc::new(AtomicBool::new(true)),
            given: 0,
            limit: None,
            limit_hit: false,
            done: true,
            problem: Some(FileError::new(
                "io",
                format!("cannot start reading the stream: {e}"),
            )),
        }
    }
}

impl ReadAhead {
    /// [`Stream::fill`] from the blocks read ahead: appends up to `want` bytes; 0 once the
    /// stream is over.
    pub fn fill(&mut self, buf: &mut Vec<u8>, want: usize) -> usize {
        let mut got = 0;
        while got < want {
            if self.at < self.cur.len() {
                let n = (want - got).min(self.cur.len() - self.at);
                buf.extend_from_slice(&self.cur[self.at..self.at + n]);
                self.at += n;
                got += n;
                continue;
            }
            let Feed::Thread { rx, back, reader } = &mut self.feed else {
                break;
            };
            match rx.recv() {
                Ok(b) => {
                    let old = std::mem::replace(&mut self.cur, b);
                    self.at = 0;
                    let _ = back.send(old);
                }
                Err(_) => {
                    // Every block was taken and the reader is gone: its stream has the end.
                    if let Some(h) = reader.take() {
                        self.ended = Some(h.join().unwrap_or_else(|_| {
                            Stream::failed(&std::io::Error::other("the reading thread failed"))
                        }));
                    }
                    self.feed = Feed::Inline;
                    break;
                }
            }
        }
        got
    }

    /// True once every byte was handed out and the stream is over.
    pub fn is_done(&self) -> bool {
        matches!(self.feed, Feed::Inline) && self.at == self.cur.len()
    }

    /// The stream, once [`ReadAhead::is_done`] (its problem, its `--max-decompressed` note).
    pub fn ended(&mut self) -> Option<&mut Stream> {
        self.ended.as_mut()
    }
}

/// The checks a file's bytes get (`decode::finish`: binary, unsupported formats, NUL
/// runs), on a stream's first window: the window back, and notes; or why the stream is
/// skipped.
pub fn check_first(
    first: Vec<u8>,
    access: Access,
    shown: &str,
) -> Result<(Vec<u8>, Vec<String>), super::Skip> {
    let o = super::decode::finish(super::Buffer::Owned(first), access, None, shown)?;
    let bytes = match o.bytes {
        super::Buffer::Owned(v) => v,
        super::Buffer::Mapped(m) => m.to_vec(),
    };
    Ok((bytes, o.notes))
}

/// Opens a named stream without blocking in `open()`, and reads it with `poll()` (module
/// docs). A regular file found at the path after all (it was swapped) is read plainly.
fn open_named(path: &Path, shown: &str) -> Result<Box<dyn Read + Send>, FileError> {
    let file = super::read::open_nonblocking(path).map_err(|e| FileError::io(shown, &e))?;
    let meta = file.metadata().map_err(|e| FileError::io(shown, &e))?;
    if meta.is_dir() {
        return Err(FileError::new(
            "special-file",
            format!("{shown}: a directory, not a stream"),
        ));
    }
    #[cfg(unix)]
    if !meta.is_file() {
        return Ok(Box::new(Polled(file)));
    }
    Ok(Box::new(file))
}

/// A descriptor opened `O_NONBLOCK`, read as a blocking one: `poll()` until it is readable
/// (data, or the writer gone after it came), then `read()`.
#[cfg(unix)]
struct Polled(std::fs::File);

#[cfg(unix)]
impl Read for Polled {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::fd::AsRawFd;
        loop {
            let mut p = libc::pollfd {
                fd: self.0.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd for a descriptor we own; no timeout.
            let r = unsafe { libc::poll(&mut p, 1, -1) };
            if r < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            match self.0.read(buf) {
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::Interrupted => {}
                r => return r,
            }
        }
    }
}

/// Notes when reading the source itself failed (as opposed to decoding it).
struct Flagged<R> {
    inner: R,
    failed: Arc<AtomicBool>,
}

impl<R: Read> Read for Flagged<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if e.kind() != std::io::ErrorKind::Interrupted {
                self.failed.store(true, Ordering::Relaxed);
            }
        })
    }
}

/// A reader that fails once with an error met while peeking, then ends.
struct Failing(Option<std::io::Error>);

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// UTF-16 (after its BOM) to UTF-8, on the fly: a code unit split between two reads and a
/// surrogate pair split between two units wait for their other half; unpaired surrogates
/// become U+FFFD, as for a file (`decode::finish`).
struct Utf16Reader<R> {
    inner: R,
    be: bool,
    /// Undecoded bytes (an odd byte, a high surrogate) carried to the next read.
    carry: Vec<u8>,
    /// Decoded text not yet handed out.
    out: Vec<u8>,
    at: usize,
    eof: bool,
}

impl<R: Read> Utf16Reader<R> {
    fn new(inner: R, be: bool) -> Utf16Reader<R> {
        Utf16Reader {
            inner,
            be,
            carry: Vec::new(),
            out: Vec::new(),
            at: 0,
            eof: false,
        }
    }

    /// Decodes the next block of input into `out`.
    fn refill(&mut self) -> std::io::Result<()> {
        let mut raw = std::mem::take(&mut self.carry);
        let from = raw.len();
        raw.resize(from + 64 * 1024, 0);
        let n = read_up_to(&mut self.inner, &mut raw[from..])?;
        raw.truncate(from + n);
        if n == 0 {
            self.eof = true;
        }
        let mut units: Vec<u16> = raw
            .chunks_exact(2)
            .map(|c| {
                if self.be {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            })
            .collect();
        let odd = raw.len() % 2;
        if !self.eof {
            self.carry.extend_from_slice(&raw[raw.len() - odd..]);
            // A high surrogate at the end waits for its low half.
            if units.last().is_some_and(|u| (0xD800..0xDC00).contains(u)) {
                let u = units.pop().unwrap_or_default();
                let b = if self.be {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                };
                self.carry.splice(0..0, b);
            }
        }
        self.out.clear();
        self.at = 0;
        for c in char::decode_utf16(units) {
            let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
            let mut b = [0u8; 4];
            self.out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
        }
        Ok(())
    }
}

impl<R: Read> Read for Utf16Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.out.len() {
            if self.eof {
                return Ok(0);
            }
            self.refill()?;
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader handing out at most `step` bytes per call: splits every unit and pair.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.1).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    proptest::proptest! {
        /// UTF-16 decoded on the fly equals decoding it whole, however the reads split it
        /// (odd bytes, surrogate pairs across reads).
        #[test]
        fn utf16_on_the_fly_equals_whole(
            text in "[a-zé中\u{1F600}\n ]{0,200}",
            step in 1usize..9,
            be in proptest::bool::ANY,
        ) {
            let mut raw = Vec::new();
            for u in text.encode_utf16() {
                raw.extend(if be { u.to_be_bytes() } else { u.to_le_bytes() });
            }
            let mut r = Utf16Reader::new(Trickle(&raw, step), be);
            let mut out = Vec::new();
            r.read_to_end(&mut out).unwrap();
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), text);
        }
    }

    #[test]
    fn stdin_and_named_streams_are_split_from_the_roots() {
        let roots: Vec<PathBuf> = ["-", "logs", "-", "/dev/null"]
            .iter()
            .map(PathBuf::from)
            .collect();
        let (streams, rest) = split_streams(&roots, &[]);
        assert_eq!(rest, [PathBuf::from("logs")]);
        let got: Vec<_> = streams
            .iter()
            .map(|s| (s.path.to_string_lossy().into_owned(), s.service.to_string()))
            .collect();
        #[cfg(unix)]
        assert_eq!(
            got,
            [
                ("<stdin>".to_string(), "stdin".to_string()),
                ("/dev/null".to_string(), "null".to_string())
            ]
        );
        let rule = ServiceRule::parse("<stdin>=api").unwrap();
        let (streams, _) = split_streams(&roots[..1], &[rule]);
        assert_eq!(&*streams[0].service, "api");
        assert_eq!(
            default_service(StreamKind::Named, Path::new("/dev/fd/63"), Path::new("63")),
            "fd63"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_named_device_reads_as_a_stream() {
        let src = Source {
            path: PathBuf::from("/dev/null"),
            relative: PathBuf::from("null"),
            stream: Some(StreamKind::Named),
            ..Default::default()
        };
        let mut s = open_stream(&src, &InputOptions::default()).unwrap();
        let mut buf = Vec::new();
        assert_eq!(s.fill(&mut buf, 1024), 0);
        assert!(s.is_done() && s.take_problem().is_none());
        assert_eq!(s.access, Access::Stream);
    }
}

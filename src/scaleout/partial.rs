//! A partial result (`schema: "faultscope-partial/2"`): the scan output of one share of the
//! files, everything that exists before clustering, as `scan --emit partial` writes it.
//!
//! [`Partial::new`] builds one from a [`ScanOutput`]: hits name their signature by id
//! (catalogs are matched by id, never by position), discovery problems keep their place in
//! discovery. [`Options`] holds what must agree between the partials of one merge (the
//! catalog by its hash, [`catalog_hash`]); merge-time options are not in a partial. Files are
//! written compact, gzip when the name ends in `.gz`, and read back plain or gzip; a file
//! from another schema or another faultscope version is refused before its body is read.

use super::shard::Shard;
use crate::catalog::Catalog;
use crate::config::ScanConfig;
use crate::evidence::sockets::DumpInput;
use crate::evidence::sockets::SocketFile;
use crate::input::discover::Problem;
use crate::scan::{FileScan, ScanOutput};
use crate::time::{Zone, ZoneReason};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// Schema id of a partial result.
pub const SCHEMA: &str = "faultscope-partial/2";

/// The version of this faultscope (partials must come from the same one).
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The effective catalog's fingerprint: SHA-256 (hex) of its JSON form, and of the access
/// layouts its rules files add (they decide which files are access logs and how their
/// lines read). Partials scanned with different `--rules` differ here.
pub fn catalog_hash(cat: &Catalog) -> String {
    let mut json = serde_json::to_vec(&cat.signatures).expect("catalog serializes");
    if !cat.access_rules.is_empty() {
        json.extend(serde_json::to_vec(&cat.access_rules).expect("access rules serialize"));
    }
    hex(&Sha256::digest(&json))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The options that change what a scan produces: they must agree between the partials of
/// one merge. (Merge-time options — `--gap`, `--format`, `--display-tz` — are not here.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// Zone for naive stamps, resolved (`--tz`, or the worker's local zone).
    pub tz: String,
    /// Why that zone (`flag`, `default-local`).
    pub tz_reason: ZoneReason,
    /// `--tz-for GLOB=ZONE`, in order.
    pub tz_for: Vec<String>,
    /// `--tz-alias ABBR=ZONE`, resolved.
    pub tz_alias: BTreeMap<String, String>,
    /// `--year`.
    pub year: Option<i32>,
    /// SHA-256 of the effective catalog (built-in + `--rules`).
    pub catalog: String,
    /// `--service GLOB=NAME`, in order.
    pub service: Vec<String>,
    /// `--follow`.
    pub follow: bool,
    /// `--mmap` (it decides `files[].access`).
    pub mmap: String,
    /// `--max-decompressed`, bytes.
    pub max_decompressed: u64,
    /// `--sockets` files, as given.
    pub sockets: Vec<String>,
    /// `--ephemeral-range`.
    pub ephemeral_range: Option<(u16, u16)>,
    /// `--max-hits` (each share keeps its earliest; the merge keeps the earliest of all).
    pub max_hits: usize,
}

impl Options {
    /// The options of a configuration.
    pub fn of(cfg: &ScanConfig) -> Options {
        Options {
            tz: cfg.tz.to_string(),
            tz_reason: cfg.tz_reason,
            tz_for: cfg
                .tz_for
                .iter()
                .map(|r| format!("{}={}", r.glob.glob(), r.zone))
                .collect(),
            tz_alias: cfg
                .tz_alias
                .iter()
                .map(|(a, z)| (a.clone(), z.to_string()))
                .collect(),
            year: cfg.year,
            catalog: catalog_hash(&cfg.catalog),
            service: cfg.discover.services.iter().map(|r| r.describe()).collect(),
            follow: cfg.discover.follow,
            mmap: format!("{:?}", cfg.input.mmap).to_lowercase(),
            max_decompressed: cfg.input.max_decompressed,
            sockets: cfg
                .sockets
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            ephemeral_range: cfg.ephemeral_range,
            max_hits: cfg.max_hits,
        }
    }

    /// The assumed zone, parsed back.
    pub fn zone(&self) -> Result<Zone, String> {
        Zone::parse(&self.tz)
    }
}

/// One hit in a partial: its file is an index into the partial's own `files`, its signature
/// an id (catalogs are matched by id, never by position).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialHit {
    /// Index into [`Partial::files`].
    pub file: u32,
    /// Signature id.
    pub signature: String,
    /// Record time (RFC 3339, full precision; absent: undated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<DateTime<Utc>>,
    /// 1-based line of the match.
    pub line: u64,
    /// Byte offset of the matched line.
    pub offset: u64,
    /// Byte offset of the record head.
    pub record: u64,
    /// The matched line (at most [`crate::record::excerpt::EXCERPT_MAX`] bytes).
    pub excerpt: String,
    /// The record's own level (absent: none read), from which the hit's severity derives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<crate::catalog::RecordLevel>,
}

/// A discovery problem (missing root, symlink loop, special file) in a partial.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialProblem {
    /// Position in the worker's discovery (all workers of a sharded scan see the same
    /// discovery, so this orders the merged list as one scan orders it).
    pub seq: u32,
    /// The path.
    pub path: String,
    /// Error kind.
    pub kind: String,
    /// Message.
    pub message: String,
    /// A note, not an error.
    pub note: bool,
}

/// A partial result: the scan output of one share of the files.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partial {
    /// [`SCHEMA`].
    pub schema: String,
    /// The faultscope version that wrote it.
    pub tool_version: String,
    /// Options that must agree between partials.
    pub options: Options,
    /// `--shard`, if any.
    pub shard: Option<Shard>,
    /// The paths given to the scan (informational).
    pub roots: Vec<String>,
    /// The `--rules` files given (informational: the catalog hash is what is compared).
    pub rules: Vec<String>,
    /// Per-file results, in path order: stats, errors, zone assumptions, per-minute record
    /// counts.
    pub files: Vec<FileScan>,
    /// Signature hits, in the scan's order.
    pub hits: Vec<PartialHit>,
    /// Hits found but not stored (`--max-hits`).
    pub hits_dropped: u64,
    /// Error/warning records no signature matched, summarised per masked message (the
    /// unknown-error templates are mined from them at merge; `crate::scan::Unknown`),
    /// `file` indexing [`Partial::files`]. Since `faultscope-partial/2`: version 1 carried
    /// every record (most of a partial's size on warning-heavy logs).
    pub unknown: crate::scan::Unknown,
    /// Saved socket/process dumps found among the files (their text: the sockets stage
    /// runs at merge).
    pub dumps: Vec<DumpInput>,
    /// Discovery problems and notes this shard is responsible for.
    pub problems: Vec<PartialProblem>,
    /// The `--sockets` files as read (only in shard 0 or an unsharded partial).
    pub socket_files: Option<Vec<SocketFile>>,
}

impl Partial {
    /// Builds a partial from a scan. `problems` are (position in discovery, problem).
    pub fn new(
        cfg: &ScanConfig,
        shard: Option<Shard>,
        out: ScanOutput,
        problems: Vec<(usize, Problem)>,
        socket_files: Option<Vec<SocketFile>>,
    ) -> Partial {
        let hits = out
            .hits
            .into_iter()
            .map(|h| PartialHit {
                file: h.file,
                signature: cfg.catalog.signatures[h.sig as usize].id.clone(),
                time: h.time,
                line: h.line,
                offset: h.offset,
                record: h.record,
                excerpt: h.excerpt.into(),
                level: h.level,
            })
            .collect();
        Partial {
            schema: SCHEMA.into(),
            tool_version: TOOL_VERSION.into(),
            options: Options::of(cfg),
            shard,
            roots: cfg.roots.iter().map(|p| p.display().to_string()).collect(),
            rules: Vec::new(),
            files: out.files,
            hits,
            hits_dropped: out.hits_dropped,
            unknown: out.unknown,
            dumps: out.dumps,
            problems: problems
                .into_iter()
                .map(|(seq, p)| PartialProblem {
                    seq: seq as u32,
                    path: p.path.display().to_string(),
                    kind: p.error.kind,
                    message: p.error.message,
                    note: p.note,
                })
                .collect(),
            socket_files,
        }
    }

    /// Compact JSON (one line, newline-terminated).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string(self).expect("partial serializes");
        s.push('\n');
        s
    }

    /// Writes the partial to `w`, gzip-compressed with `gz` (the CLI asks for it when the
    /// file name ends in `.gz`: about a tenth of the size, excerpts and minute counts
    /// compress well). Returns the bytes written. The CLI gives an output file that appears
    /// only once complete (`cli::atomic`).
    pub fn write_to(&self, mut w: impl std::io::Write, gz: bool) -> std::io::Result<u64> {
        use std::io::Write as _;
        let json = self.to_json();
        if gz {
            let mut counted = Counted { w, n: 0 };
            let mut enc =
                flate2::write::GzEncoder::new(&mut counted, flate2::Compression::default());
            enc.write_all(json.as_bytes())?;
            enc.finish()?;
            counted.w.flush()?;
            Ok(counted.n)
        } else {
            w.write_all(json.as_bytes())?;
            w.flush()?;
            Ok(json.len() as u64)
        }
    }

    /// Reads a partial file, plain or gzip (recognised by its magic bytes).
    pub fn read_file(path: &Path) -> Result<Partial, String> {
        use std::io::Read;
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
        let text = if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut s = String::new();
            flate2::read::MultiGzDecoder::new(&bytes[..])
                .read_to_string(&mut s)
                .map_err(|e| format!("{name}: cannot decompress: {e}"))?;
            s
        } else {
            String::from_utf8(bytes).map_err(|_| format!("{name}: not UTF-8 JSON"))?
        };
        Partial::from_json(&name, &text)
    }

    /// Reads a partial; `name` (its file) is used in errors. A file from another schema or
    /// another faultscope version is refused before its body is read.
    pub fn from_json(name: &str, text: &str) -> Result<Partial, String> {
        #[derive(Deserialize)]
        struct Head {
            schema: Option<String>,
            tool_version: Option<String>,
        }
        let head: Head = serde_json::from_str(text)
            .map_err(|e| format!("{name}: not a faultscope partial result: {e}"))?;
        match head.schema.as_deref() {
            Some(SCHEMA) => {}
            Some(other) => {
                return Err(format!(
                    "{name}: schema `{other}` is not `{SCHEMA}` (write partials with `faultscope scan --emit partial`)"
                ))
            }
            None => {
                return Err(format!(
                    "{name}: not a faultscope partial result (no `schema`; write one with `faultscope scan --emit partial`)"
                ))
            }
        }
        let version = head.tool_version.unwrap_or_default();
        if version != TOOL_VERSION {
            return Err(format!(
                "{name}: written by faultscope {version}, this is faultscope {TOOL_VERSION}: scan and merge with the same version"
            ));
        }
        serde_json::from_str(text).map_err(|e| format!("{name}: invalid partial result: {e}"))
    }
}

/// A writer that counts the bytes it passes on (the size of a gzip partial).
struct Counted<W> {
    w: W,
    n: u64,
}

impl<W: std::io::Write> std::io::Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let k = self.w.write(buf)?;
        self.n += k as u64;
        Ok(k)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }
}

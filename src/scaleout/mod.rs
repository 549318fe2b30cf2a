//! Scaling out: shards of the input and partial results that merge into one report.
//!
//! faultscope does not run its own cluster. It runs unchanged as the map step of engines
//! people already operate (Spark, Kubernetes Jobs, GNU parallel over ssh) and merges the
//! small results (README, "Scaling out"):
//!
//! - `scan --shard I/N` keeps the discovered files whose [`shard_hash`] modulo `N` is `I`,
//!   so `N` workers given the same paths agree on a split without talking.
//! - `scan --emit partial` writes the [`ScanOutput`] of those files, everything that exists
//!   before clustering, as a [`Partial`] (`schema: "faultscope-partial/1"`).
//! - [`merge`] reads partials back into one [`ScanOutput`]: files in discovery (path) order,
//!   hits re-indexed and sorted exactly as `scan` sorts them. `faultscope merge` then runs
//!   the very same cluster → sockets → findings → report code as `scan`, so its output is
//!   byte-identical to one scan over all the files, by construction (property-tested in
//!   `tests/scaleout.rs`).
//!
//! What must agree between partials is in [`Options`]; `merge` refuses a mix, naming the two
//! files and the option. What is chosen at merge time (`--gap`, `--format`, `--display-tz`)
//! is not in a partial.

use crate::catalog::Catalog;
use crate::config::ScanConfig;
use crate::error::FileError;
use crate::evidence::sockets::{DumpInput, SocketFile};
use crate::input::discover::Problem;
use crate::record::level::LevelRecord;
use crate::scan::{FileScan, Hit, ScanOutput};
use crate::time::{Zone, ZoneReason};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Schema id of a partial result.
pub const SCHEMA: &str = "faultscope-partial/1";

/// The version of this faultscope (partials must come from the same one).
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// `--shard I/N`: the `index`-th (0-based) of `count` shares of the discovered files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 0-based index, below `count`.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

impl Shard {
    /// Parses `I/N` (0-based: `0/4` ... `3/4`).
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}`: expected I/N, e.g. 0/4"))?;
        let index: u32 = i
            .trim()
            .parse()
            .map_err(|_| format!("`{s}`: `{i}` is not a shard index"))?;
        let count: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("`{s}`: `{n}` is not a shard count"))?;
        if count == 0 {
            return Err(format!("`{s}`: the shard count must be at least 1"));
        }
        if index >= count {
            return Err(format!(
                "`{s}`: the index is 0-based and must be below the count (0/{count} ... {}/{count})",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// Does this shard take the file (or discovery problem) shown as `path`?
    pub fn owns(&self, path: &Path) -> bool {
        shard_hash(path) % u64::from(self.count) == u64::from(self.index)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The stable hash that assigns a file to a shard: the first 8 bytes (big-endian) of the
/// SHA-256 of the path as shown in reports (`--path-prefix`, then the root as given joined
/// with the path under it; lossy UTF-8). Every worker given the same root arguments computes the same value on
/// any machine; a different spelling of a root (`./logs` vs `logs`) changes the split, and
/// the report's paths, alike. The root is part of the key so that identical layouts under
/// many roots (`host1/nginx/access.log`, `host2/nginx/access.log`) spread over shards.
pub fn shard_hash(path: &Path) -> u64 {
    let digest = Sha256::digest(path.to_string_lossy().as_bytes());
    u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// The effective catalog's fingerprint: SHA-256 (hex) of its JSON form. Partials scanned
/// with different `--rules` differ here.
pub fn catalog_hash(cat: &Catalog) -> String {
    let json = serde_json::to_vec(&cat.signatures).expect("catalog serializes");
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

/// The flag behind an [`Options`] field, for error messages.
fn flag_of(field: &str) -> String {
    match field {
        "catalog" => "--rules (the effective catalog)".into(),
        "tz_reason" => "--tz (given or this machine's zone)".into(),
        f => format!("--{}", f.replace('_', "-")),
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
    /// Error/warning records no signature matched (the unknown-error templates are mined
    /// from them at merge), `file` indexing [`Partial::files`].
    pub unknown: Vec<LevelRecord>,
    /// Unknown records found but not kept (`--max-hits`), all levels of the scan.
    #[serde(default)]
    pub unknown_dropped: u64,
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
            unknown_dropped: out.unknown_dropped,
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

    /// Writes the partial to `path`, gzip-compressed when the name ends in `.gz` (about a
    /// tenth of the size: excerpts and minute counts compress well). Returns the bytes
    /// written.
    pub fn write_file(&self, path: &Path) -> std::io::Result<u64> {
        use std::io::Write;
        let json = self.to_json();
        let gz = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
        let bytes = if gz {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(json.as_bytes())?;
            enc.finish()?
        } else {
            json.into_bytes()
        };
        std::fs::write(path, &bytes)?;
        Ok(bytes.len() as u64)
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

/// Partials merged back into one scan's output.
#[derive(Debug)]
pub struct Merged {
    /// The scan output, as one scan over all the files would have produced it.
    pub out: ScanOutput,
    /// Discovery problems, in discovery order.
    pub problems: Vec<Problem>,
    /// The `--sockets` files as read.
    pub socket_files: Vec<SocketFile>,
    /// The options every partial agrees on.
    pub options: Options,
}

/// Merges named partials. `catalog` must be the catalog the partials were scanned with
/// (same `--rules`). Errors name the files and the option at fault.
pub fn merge(parts: Vec<(String, Partial)>, catalog: &Catalog) -> Result<Merged, String> {
    let Some((first_name, first)) = parts.first() else {
        return Err("no partial results to merge".into());
    };
    for (name, p) in &parts[1..] {
        if p.options != first.options {
            let a = serde_json::to_value(&first.options).expect("options serialize");
            let b = serde_json::to_value(&p.options).expect("options serialize");
            let (a, b) = (
                a.as_object().expect("object"),
                b.as_object().expect("object"),
            );
            let field = a
                .keys()
                .find(|k| a.get(*k) != b.get(*k))
                .cloned()
                .unwrap_or_default();
            return Err(format!(
                "{first_name} and {name} were scanned with different {}: {} vs {}; \
                 scan every share with the same options",
                flag_of(&field),
                a.get(&field).map_or("-".into(), show_value),
                b.get(&field).map_or("-".into(), show_value),
            ));
        }
    }
    let hash = catalog_hash(catalog);
    if hash != first.options.catalog {
        let rules = if first.rules.is_empty() {
            "no --rules".to_string()
        } else {
            format!("--rules {}", first.rules.join(" --rules "))
        };
        return Err(format!(
            "{first_name} was scanned with another signature catalog ({rules}; catalog {}), \
             this merge has catalog {}: pass merge the same --rules as the scan",
            &first.options.catalog[..12.min(first.options.catalog.len())],
            &hash[..12]
        ));
    }
    check_shards(&parts)?;

    // Files in discovery order (path order), each path once.
    let mut order: Vec<(usize, usize)> = Vec::new();
    for (pi, (_, p)) in parts.iter().enumerate() {
        order.extend((0..p.files.len()).map(|fi| (pi, fi)));
    }
    let path_of = |&(pi, fi): &(usize, usize)| Path::new(&parts[pi].1.files[fi].path);
    order.sort_by(|a, b| path_of(a).cmp(path_of(b)).then(a.cmp(b)));
    for w in order.windows(2) {
        if path_of(&w[0]) == path_of(&w[1]) {
            return Err(format!(
                "{} is in both {} and {}: the partials overlap (were two workers given the same --shard?)",
                parts[w[0].0].1.files[w[0].1].path,
                parts[w[0].0].0,
                parts[w[1].0].0
            ));
        }
    }
    let mut global: Vec<Vec<u32>> = parts.iter().map(|(_, p)| vec![0; p.files.len()]).collect();
    for (g, &(pi, fi)) in order.iter().enumerate() {
        global[pi][fi] = g as u32;
    }
    let options = first.options.clone();

    let sig_index: HashMap<String, u16> = catalog
        .signatures
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.clone(), i as u16))
        .collect();
    let mut out = ScanOutput::default();
    // `--max-hits`: every share kept its earliest hits; the earliest of their union are the
    // earliest of all (crate::scan::bound), whatever the split.
    let mut store = crate::scan::bound::Bounded::new(options.max_hits);
    let mut files: Vec<Option<FileScan>> = vec![None; order.len()];
    let mut dumps: Vec<(u32, DumpInput)> = Vec::new();
    let mut problems: Vec<(u32, usize, PartialProblem)> = Vec::new();
    let mut socket_files: Option<Vec<SocketFile>> = None;
    let mut unknown_dropped = 0u64;
    // Partials are consumed as they are merged: excerpts and dump texts move, never copy.
    for (pi, (name, p)) in parts.into_iter().enumerate() {
        let map = &global[pi];
        store.add_dropped(p.hits_dropped);
        unknown_dropped += p.unknown_dropped;
        for h in p.hits {
            let file = *map
                .get(h.file as usize)
                .ok_or_else(|| format!("{name}: a hit names file #{} of {}", h.file, map.len()))?;
            let sig = *sig_index.get(&h.signature).ok_or_else(|| {
                format!("{name}: signature `{}` is not in the catalog", h.signature)
            })?;
            store.push(Hit {
                file,
                sig,
                offset: h.offset,
                line: h.line,
                record: h.record,
                time: h.time,
                excerpt: h.excerpt.into_boxed_str(),
            });
        }
        let local: HashMap<&str, u32> = p
            .files
            .iter()
            .enumerate()
            .map(|(fi, f)| (f.path.as_str(), map[fi]))
            .collect();
        for d in p.dumps {
            // A dump is one of its partial's files; one scan lists dumps in file order.
            let at = local.get(d.path.as_str()).copied().unwrap_or(u32::MAX);
            dumps.push((at, d));
        }
        drop(local);
        for (fi, f) in p.files.into_iter().enumerate() {
            files[map[fi] as usize] = Some(f);
        }
        for mut r in p.unknown {
            r.file = *map.get(r.file as usize).ok_or_else(|| {
                format!("{name}: a record names file #{} of {}", r.file, map.len())
            })?;
            out.unknown.push(r);
        }
        problems.extend(p.problems.into_iter().map(|q| (q.seq, pi, q)));
        if socket_files.is_none() {
            socket_files = p.socket_files;
        }
    }
    (out.hits, out.hits_dropped) = store.finish();
    // Unknown records: the earliest `--max-hits` over all partials, as one scan keeps.
    let mut kept = crate::scan::bound::Bounded::new(options.max_hits);
    kept.add_dropped(unknown_dropped);
    kept.extend(std::mem::take(&mut out.unknown));
    (out.unknown, out.unknown_dropped) = kept.finish();
    crate::scan::sort_hits(&mut out.hits);
    crate::scan::sort_unknown(&mut out.unknown);
    dumps.sort_by_key(|d| d.0);
    out.dumps = dumps.into_iter().map(|d| d.1).collect();
    out.files = files
        .into_iter()
        .map(|f| f.expect("every slot filled"))
        .collect();

    // All workers of a sharded scan see one discovery: its order is the problems' order.
    problems.sort_by_key(|q| (q.0, q.1));
    let problems = problems
        .into_iter()
        .map(|(_, _, q)| Problem {
            path: PathBuf::from(q.path),
            error: FileError::new(&q.kind, q.message),
            note: q.note,
        })
        .collect();
    Ok(Merged {
        out,
        problems,
        socket_files: socket_files.unwrap_or_default(),
        options,
    })
}

fn show_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "(none)".into(),
        serde_json::Value::String(s) => format!("`{s}`"),
        serde_json::Value::Array(a) if a.is_empty() => "(none)".into(),
        other => format!("`{other}`"),
    }
}

/// Sharded partials: one count, each index once, none missing.
fn check_shards(parts: &[(String, Partial)]) -> Result<(), String> {
    let sharded: Vec<(&str, Shard)> = parts
        .iter()
        .filter_map(|(n, p)| p.shard.map(|s| (n.as_str(), s)))
        .collect();
    let Some(&(first_name, first)) = sharded.first() else {
        return Ok(());
    };
    let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
    for &(name, s) in &sharded {
        if s.count != first.count {
            return Err(format!(
                "{first_name} is shard {first} but {name} is shard {s}: every share must be scanned with the same --shard count"
            ));
        }
        if let Some(other) = seen.insert(s.index, name) {
            return Err(format!(
                "{other} and {name} are both shard {s}: each shard must be merged once"
            ));
        }
    }
    let missing: Vec<String> = (0..first.count)
        .filter(|i| !seen.contains_key(i))
        .map(|i| format!("{i}/{}", first.count))
        .collect();
    if !missing.is_empty() {
        let (what, verb) = if missing.len() == 1 {
            ("shard", "is")
        } else {
            ("shards", "are")
        };
        return Err(format!(
            "{what} {} {verb} missing (have {} partial(s) of {}): a merge of part of the shards would silently leave files out",
            missing.join(", "),
            sharded.len(),
            first.count
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_flags() {
        assert_eq!(Shard::parse("0/4").unwrap(), Shard { index: 0, count: 4 });
        assert_eq!(Shard::parse("3/4").unwrap().to_string(), "3/4");
        for bad in ["4/4", "1/0", "x/2", "2", "-1/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        assert!(Shard::parse("4/4").unwrap_err().contains("0-based"));
    }

    /// The hash is part of the contract (other tools may split the same way): pin it.
    #[test]
    fn shard_hash_is_stable() {
        let h = shard_hash(Path::new("fixtures/founding-case/zuul-gateway/gateway.log"));
        let digest = Sha256::digest(b"fixtures/founding-case/zuul-gateway/gateway.log");
        assert_eq!(h, u64::from_be_bytes(digest[..8].try_into().unwrap()));
        // Every file lands in exactly one of N shards.
        for n in 1..6 {
            let owners = (0..n)
                .filter(|&i| Shard { index: i, count: n }.owns(Path::new("a/b.log")))
                .count();
            assert_eq!(owners, 1);
        }
    }
}

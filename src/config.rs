//! Resolved configuration: what the engine runs with, after every flag has been validated.
//!
//! Input: raw CLI arguments (see `cli`). Output: [`ScanConfig`], immutable, shared by every
//! stage. Keeping the raw clap structs apart from this (ripgrep's LowArgs/HiArgs split) means
//! flag parsing errors happen once, up front, with the flag named, and tests can build a
//! configuration without a command line.

use crate::catalog::{Catalog, Matcher};
use crate::input::discover::DiscoverOptions;
use crate::input::InputOptions;
use crate::time::{Zone, ZoneReason, ZoneRule};
use globset::GlobMatcher;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Default gap that separates incidents: 2 minutes.
pub const DEFAULT_GAP_SECS: i64 = 120;
/// Files larger than this are split into line-aligned chunks scanned in parallel.
pub const DEFAULT_CHUNK: usize = 16 * 1024 * 1024;

/// Default `--max-hits`: one million stored hits (a few hundred MB at worst: excerpts are
/// capped at 300 bytes); the scan's bound module keeps at most this many.
pub const DEFAULT_MAX_HITS: usize = 1_000_000;

/// A `--tz-for GLOB=ZONE` rule.
#[derive(Clone, Debug)]
pub struct ZoneFor {
    /// Files it applies to.
    pub glob: GlobMatcher,
    /// The zone.
    pub zone: Zone,
}

/// Everything the scan needs.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    /// Paths to scan.
    pub roots: Vec<PathBuf>,
    /// Discovery options.
    pub discover: DiscoverOptions,
    /// Input options (mmap policy, decompression bound).
    pub input: InputOptions,
    /// Worker threads (0 = all cores).
    pub threads: usize,
    /// Incidents split where hits are at least this far apart.
    pub gap: chrono::Duration,
    /// Zone for naive times.
    pub tz: Zone,
    /// Why that zone (`--tz`, `TZ` or the machine's local zone).
    pub tz_reason: ZoneReason,
    /// Per-file zones.
    pub tz_for: Vec<ZoneFor>,
    /// Abbreviation aliases.
    pub tz_alias: BTreeMap<String, Zone>,
    /// Chunk size for large files.
    pub chunk_size: usize,
    /// Catalog in use.
    pub catalog: Catalog,
    /// Its compiled matcher.
    pub matcher: Matcher,
    /// Emit `--debug` explanations on stderr.
    pub debug: bool,
    /// `--year`: year of the last record of files whose stamps carry none (default: mtime).
    pub year: Option<i32>,
    /// Socket/process dumps named with `--sockets` (in addition to those found by content).
    pub sockets: Vec<PathBuf>,
    /// `--ephemeral-range LO-HI` override.
    pub ephemeral_range: Option<(u16, u16)>,
    /// `--max-hits`: hits stored at most (0: no limit); the scan keeps the first in report order.
    pub max_hits: usize,
    /// `--path-prefix`: put in front of every path shown (`web-01:`), so the partial results
    /// of hosts with the same layout merge side by side.
    pub path_prefix: String,
}

impl ScanConfig {
    /// A configuration with defaults (built-in catalog, local zone), for tests and embedding.
    pub fn new(roots: Vec<PathBuf>) -> crate::Result<ScanConfig> {
        let catalog = Catalog::builtin()?;
        let matcher = catalog.compile()?;
        let (tz, tz_reason) = crate::time::default_zone();
        Ok(ScanConfig {
            roots,
            discover: DiscoverOptions::default(),
            input: InputOptions::default(),
            threads: 0,
            gap: chrono::Duration::seconds(DEFAULT_GAP_SECS),
            tz,
            tz_reason,
            tz_for: Vec::new(),
            tz_alias: BTreeMap::new(),
            chunk_size: DEFAULT_CHUNK,
            catalog,
            matcher,
            debug: false,
            year: None,
            sockets: Vec::new(),
            ephemeral_range: None,
            max_hits: DEFAULT_MAX_HITS,
            path_prefix: String::new(),
        })
    }

    /// The zone rule for one file: `--tz-for` (first match) → `--tz` → local.
    pub fn zone_rule_for(&self, shown: &Path, relative: &Path) -> ZoneRule {
        let (zone, reason) = self
            .tz_for
            .iter()
            .find(|r| {
                r.glob.is_match(shown)
                    || r.glob.is_match(relative)
                    || shown.file_name().is_some_and(|n| r.glob.is_match(n))
            })
            .map(|r| (r.zone.clone(), ZoneReason::FlagForFile))
            .unwrap_or_else(|| (self.tz.clone(), self.tz_reason));
        ZoneRule {
            zone,
            reason,
            aliases: self.tz_alias.clone(),
        }
    }
}

//! The scan's output: what every later stage reads.
//!
//! [`Hit`] (one signature hit, attached to its record), [`FileScan`] (the result for one
//! file, serialized whole into partial results) and [`ScanOutput`] (files in path order,
//! hits, the summary of unknown error/warning records, saved host dumps), with the
//! deterministic orders [`sort_hits`] and [`sort_unknown`] that make `-j1` and `-j8` give
//! identical output.
//! The bounded stores (`bound.rs`) order by the same keys.

use crate::error::FileError;
use crate::input::Access;
use crate::time::{Format, ZoneReason};
use chrono::{DateTime, Utc};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// One signature hit, attached to its record.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// Index into [`ScanOutput::files`].
    pub file: u32,
    /// Index into the catalog.
    pub sig: u16,
    /// Byte offset of the matched line.
    pub offset: u64,
    /// 1-based line number of the matched line.
    pub line: u64,
    /// Byte offset of the record head.
    pub record: u64,
    /// The record's time (`None`: undated).
    pub time: Option<DateTime<Utc>>,
    /// The matched line (lossy UTF-8, `\r` removed, at most
    /// [`EXCERPT_MAX`](crate::record::excerpt::EXCERPT_MAX) bytes).
    pub excerpt: Box<str>,
    /// The record's own level, as its head line names it (`None`: no level word, or not
    /// read because the signature is a marker). The hit's severity derives from it:
    /// [`Hit::severity`].
    pub level: Option<crate::catalog::RecordLevel>,
}

impl Hit {
    /// The hit's severity: its signature's, lowered when the record's own level is lower
    /// ([`crate::catalog::Signature::severity_at`]). The one place every detector reads a
    /// hit's severity from: a critical entry on a WARN line counts as a warning. (The scan
    /// keeps no hit that the rule turns into none; the catalog's severity stands in, should
    /// a partial scanned with other rules bring one.)
    pub fn severity(&self, catalog: &crate::catalog::Catalog) -> crate::catalog::Severity {
        let sig = &catalog.signatures[self.sig as usize];
        sig.severity_at(self.level).unwrap_or(sig.severity)
    }
}

/// Matches that the catalog's precision rules refused, by rule (`--debug` shows them): they
/// are not hits. See [`crate::catalog::Reject`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rejected {
    /// An `unless` regex matched the line.
    pub unless: u64,
    /// The record's level is below the entry's `level`.
    pub level: u64,
    /// Outside the entry's `context`.
    pub context: u64,
    /// On an informational record (INFO, DEBUG, ...) the entry is not logged at.
    pub informational: u64,
}

impl Rejected {
    /// Counts one refusal.
    pub fn count(&mut self, why: crate::catalog::Reject) {
        use crate::catalog::Reject;
        *match why {
            Reject::Unless => &mut self.unless,
            Reject::Level => &mut self.level,
            Reject::Context => &mut self.context,
            Reject::Informational => &mut self.informational,
        } += 1;
    }

    /// Adds another count.
    pub fn add(&mut self, o: &Rejected) {
        self.unless += o.unless;
        self.level += o.level;
        self.context += o.context;
        self.informational += o.informational;
    }

    /// All refusals.
    pub fn total(&self) -> u64 {
        self.unless + self.level + self.context + self.informational
    }
}

/// Result for one file. Serialized whole into partial results: a field
/// added here travels from `scan --emit partial` to `merge` without further work.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FileScan {
    /// Shown path.
    pub path: String,
    /// Service name (shared with the file's source and every file of the service).
    pub service: std::sync::Arc<str>,
    /// Detected timestamp format id (`None`: no stamps found).
    pub format: Option<Format>,
    /// Zone applied to naive stamps.
    pub zone: std::sync::Arc<str>,
    /// Why that zone.
    pub zone_reason: Option<ZoneReason>,
    /// Did this file carry explicit offsets?
    pub explicit_offsets: bool,
    /// Was the zone rule applied to at least one naive stamp? (If not, the file's times
    /// are all explicit and its zone did not matter.)
    pub naive_stamps: bool,
    /// How the bytes were read.
    pub access: Option<Access>,
    /// Bytes scanned.
    pub bytes: u64,
    /// Physical lines.
    pub lines: u64,
    /// Records (stamped heads plus undated lines that are not continuations).
    pub records: u64,
    /// Records with a parsed time.
    pub dated_records: u64,
    /// First record time.
    pub first: Option<DateTime<Utc>>,
    /// Last record time.
    pub last: Option<DateTime<Utc>>,
    /// Hits (after de-duplication).
    pub hits: u64,
    /// Signature matches the precision rules refused (not hits).
    #[serde(default)]
    pub rejected: Rejected,
    /// Dated records per UTC minute (unix seconds / 60): coverage and traffic findings.
    #[serde(with = "crate::scan::activity::minutes_serde")]
    pub minutes: crate::scan::activity::Minutes,
    /// Dated hits per UTC minute and signature (one record counts once per signature),
    /// counted before `--max-hits` drops any: the rates the incident detector reads
    /// (`analysis::detect`). Partials carry them.
    #[serde(default, with = "crate::scan::activity::sig_minutes_serde")]
    pub sig_minutes: crate::scan::activity::SigMinutes,
    /// Distinct lines with at least one match, before record de-duplication: the number
    /// `rg -c -f <(faultscope signatures --export-patterns)` reports (the bench checks it).
    pub matched_lines: u64,
    /// Why the file could not be (fully) read.
    pub error: Option<FileError>,
    /// Skipped (binary) with this note.
    pub skipped: Option<String>,
    /// Ambiguous abbreviations met: abbreviation → (first line, count).
    pub ambiguous: BTreeMap<String, (u64, u64)>,
    /// Notes (NUL runs, transcoding).
    pub notes: Vec<String>,
    /// Explicit offsets met (seconds east of UTC → records), for the likely-zone hint.
    pub offsets: BTreeMap<i32, u64>,
    /// Stamps resolved in the file's zone rule (naive in the text).
    pub naive_count: u64,
    /// How stamps are read: layouts and year/date inference (filled under `--debug` only).
    pub time_detail: String,
    /// For stamps without a year: where the year came from (`mtime`, `file name`, `--year`,
    /// `none`); `dated files` once the clocks stage moved it to the dated files' years.
    #[serde(default)]
    pub year_from: Option<String>,
    /// Set when the file is a saved netstat/ss/tasklist/ps dump (detected by content):
    /// host evidence for `sockets`, not a log.
    pub dump: Option<crate::evidence::sockets::DumpKind>,
    /// Error- and warning-level records (src/level.rs), signature-matched or not.
    pub level_records: u64,
    /// The same records per level.
    #[serde(default)]
    pub levels: crate::record::level::LevelCounts,
    /// Access-log traffic: requests per minute, status classes, failures, durations
    /// (`None`: not an access log; see `evidence::access`). Boxed: most files have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<Box<crate::evidence::access::FileTraffic>>,
    /// How the access layout was chosen, and the vote (filled under `--debug` only).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub access_detail: String,
    /// Error- and warning-level records that no signature matched, summarised (merged
    /// into [`ScanOutput::unknown`] by [`scan`](super::scan); a partial carries them
    /// there).
    #[serde(skip)]
    pub unknown: crate::scan::Unknown,
    /// The file's later parts when its records belong to several services (a journal's
    /// units, docs/sources.md): (start offset, the part's result). This result is the first
    /// part's; [`scan`](super::scan) puts the others after it in the file list.
    #[serde(skip)]
    pub split: Vec<(u64, FileScan)>,
}

/// What a scan produced.
#[derive(Debug, Default)]
pub struct ScanOutput {
    /// Files in path order.
    pub files: Vec<FileScan>,
    /// Saved socket/process dumps found among the files, in path order.
    pub dumps: Vec<crate::evidence::sockets::DumpInput>,
    /// Hits sorted by (time, file, offset, signature); undated hits last.
    pub hits: Vec<Hit>,
    /// Hits found but not stored because of `--max-hits` (see [`crate::scan::bound`]).
    pub hits_dropped: u64,
    /// Error- and warning-level records no signature matched (template mining input),
    /// summarised as they were met: memory does not grow with their number.
    pub unknown: crate::scan::Unknown,
}

/// Deterministic order of unknown level records: dated by time, then file and record head;
/// undated last.
pub fn sort_unknown(records: &mut [crate::record::level::LevelRecord]) {
    // (file, record) is unique, so an unstable sort is as deterministic, and needs no
    // buffer of half the records.
    // On every thread: 35,000 warnings of the bench's small files took 2 ms on one thread
    // after the scan.
    records.par_sort_unstable_by_key(|r| (r.time.is_none(), r.time, r.file, r.record));
}

/// Deterministic hit order: dated by time, then file, offset, signature; undated last.
pub fn sort_hits(hits: &mut [Hit]) {
    hits.par_sort_by(|a, b| {
        (a.time.is_none(), a.time, a.file, a.offset, a.sig).cmp(&(
            b.time.is_none(),
            b.time,
            b.file,
            b.offset,
            b.sig,
        ))
    });
}

//! Reports: the outage timeline as data ([`Report`], the JSON contract) and as text.
//!
//! Input: scan output, clusters, the configuration and discovery problems. Output: a
//! [`Report`] value; [`to_json`] and [`to_text`] render it. Every renderer reads the same
//! value, so text and JSON never disagree.
//!
//! Contract (docs/json.md): `schema` is versioned (`faultscope/1`); times are
//! RFC 3339 UTC; the zone assumed for naive times is stated (`assumed_timezone`, and per
//! file `zone` + `zone_reason`); every list is sorted, so output is identical for `-j1` and
//! `-j8`. No wall-clock time of the run appears in a report.
//!
//! Log text is hostile input: excerpts are escaped for the terminal (control characters and
//! ANSI escape sequences are shown as `\x1b`-style escapes, never emitted).
//!
//! This file holds the types (the contract) and re-exports the entry points. `build` makes
//! the value ([`build()`], [`hash_inputs`]), `json` writes it ([`to_json`], [`write_json`]),
//! [`text`], [`markdown`], [`html`], [`ndjson`] and [`junit`] render it ([`gate`] decides,
//! for `--fail-on`, which findings fail a run), and the renderers share
//! `escape` (log text made safe to show) and `prose` (durations and the sentences every
//! format words alike).

use crate::catalog::Severity;
use crate::time::rfc3339;
use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

mod build;
mod detector;
mod escape;
pub mod gate;
pub mod html;
mod json;
pub mod junit;
pub mod markdown;
pub mod ndjson;
mod prose;
pub mod text;

pub use build::{build, hash_inputs, templates_out};
pub use detector::{ChronicOut, DetectorOut, IsolatedOut, WhyOut};
pub use escape::escape_control;
pub use json::{to_json, write_json};
pub use text::{colorize, template_line, to_text};

/// JSON schema id.
pub const SCHEMA: &str = "faultscope/1";

fn ser_time<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

fn ser_opt_time<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&rfc3339(*t)),
        None => s.serialize_none(),
    }
}

/// The whole report. It borrows the per-file texts (path, service, zone) from the scan
/// output it was built from: a report of 100,000 files copied 300,000 strings on one
/// thread after the scan.
#[derive(Serialize, Debug, Clone)]
pub struct Report<'a> {
    /// Schema id.
    pub schema: &'static str,
    /// Tool name and version.
    pub tool: Tool,
    /// Zone assumed for naive timestamps (unless a file says otherwise in `files[]`).
    pub assumed_timezone: String,
    /// Why that zone.
    pub timezone_reason: String,
    /// Incident gap in seconds.
    pub gap_seconds: i64,
    /// Counts.
    pub summary: Summary,
    /// Incidents in time order.
    pub incidents: Vec<IncidentOut>,
    /// Timeline markers (restarts, starts) in time order.
    pub markers: Vec<MarkerOut>,
    /// Anomalous events that are not incidents (too little evidence), in time order: on
    /// the timeline, never an exit 1.
    pub isolated: Vec<IsolatedOut>,
    /// Steady background signals (present in most hours), by rate.
    pub chronic: Vec<ChronicOut>,
    /// How incidents were decided: mode, α, scales, rules.
    pub detector: DetectorOut,
    /// Recurrence, red-herring scores, coverage, traffic, host-wide events.
    pub findings: crate::analysis::findings::Findings<'a>,
    /// When the report was made: only with `--now` (reports carry no wall-clock time
    /// otherwise, so they are byte-identical across runs).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_time"
    )]
    pub generated_at: Option<DateTime<Utc>>,
    /// Noise signatures outside incidents: steady background, not evidence.
    pub background: Vec<Background>,
    /// Every input file.
    #[serde(serialize_with = "json::ser_files")]
    pub files: Vec<FileOut<'a>>,
    /// Host evidence: saved netstat/ss dumps and process tables, with culprits.
    pub sockets: crate::evidence::sockets::SocketsReport,
    /// Hits whose record has no usable time.
    pub undated_hits: u64,
    /// Templates of the error/warning records no signature matched (src/analysis/templates/),
    /// by count (most first), then id.
    pub templates: Vec<TemplateOut>,
    /// Warnings (also printed on stderr).
    pub warnings: Vec<String>,
    /// Why the run is an error although it produced a report: nothing could be scanned
    /// (every input missing, binary, unsupported or empty; an empty directory). The exit
    /// code is then 2. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Zones naive times were read in (and why), zone inference per file, clock skews.
    pub clock: crate::analysis::clock::ClockReport,
}

/// Tool identity.
#[derive(Serialize, Debug, Clone)]
pub struct Tool {
    /// `faultscope`.
    pub name: &'static str,
    /// Crate version.
    pub version: &'static str,
}

/// Counts for the summary line.
#[derive(Serialize, Debug, Clone, Default)]
pub struct Summary {
    /// Incidents.
    pub incidents: usize,
    /// Sum of incident durations.
    pub total_downtime_seconds: i64,
    /// Files scanned (read at least partly).
    pub files_scanned: usize,
    /// Files with an error.
    pub files_with_errors: usize,
    /// Total hits (records × signatures).
    pub hits: usize,
    /// Earliest record time over all files.
    #[serde(serialize_with = "ser_opt_time")]
    pub first: Option<DateTime<Utc>>,
    /// Latest record time over all files.
    #[serde(serialize_with = "ser_opt_time")]
    pub last: Option<DateTime<Utc>>,
}

/// A signature reference.
#[derive(Serialize, Debug, Clone)]
pub struct RootCause {
    /// Signature id.
    pub signature: String,
    /// Category.
    pub category: String,
    /// Title.
    pub title: String,
    /// Causal layer (0 host ... 8 user-facing).
    pub layer: Option<u8>,
    /// What it means.
    pub means: String,
    /// A restart (marker) in or just before the window that explains a transport-level root:
    /// then the question is what restarted that service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart: Option<HitOut>,
    /// `signature`; `template` when an unknown error template burst (then `signature`
    /// is the template id, `template:<16 hex>`); `slowness` when requests slowed down and no
    /// failure names a cause (then `signature` is `slow-requests`).
    pub kind: &'static str,
    /// The template, for `kind: template`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateRef>,
}

/// A template as a root cause or as "also new in this window".
#[derive(Serialize, Debug, Clone)]
pub struct TemplateRef {
    /// `template:<16 hex>`.
    pub id: String,
    /// Template text.
    pub text: String,
    /// Exception class its records name.
    pub exception: Option<String>,
    /// Records of the template in the burst window.
    pub count: u64,
    /// Records of the template outside the window (its background).
    pub background: u64,
    /// First record in the window.
    #[serde(serialize_with = "ser_time")]
    pub first: DateTime<Utc>,
    /// Last record in the window.
    #[serde(serialize_with = "ser_time")]
    pub last: DateTime<Utc>,
}

/// Where a template was seen.
#[derive(Serialize, Debug, Clone)]
pub struct ExampleOut {
    /// File.
    pub path: String,
    /// 1-based line of the record head.
    pub line: u64,
    /// The head line (raw log text).
    pub text: String,
}

/// One template of unknown errors/warnings.
#[derive(Serialize, Debug, Clone)]
pub struct TemplateOut {
    /// `template:<16 hex>`: FNV-1a of the text, stable across runs and `-j`.
    pub id: String,
    /// Masked message (`<*>` for values), `[exception class]` last.
    pub text: String,
    /// error | warning (the most severe of its records).
    pub level: crate::record::level::Level,
    /// Exception class its records name.
    pub exception: Option<String>,
    /// Records.
    pub count: u64,
    /// First record time.
    #[serde(serialize_with = "ser_opt_time")]
    pub first: Option<DateTime<Utc>>,
    /// Last record time.
    #[serde(serialize_with = "ser_opt_time")]
    pub last: Option<DateTime<Utc>>,
    /// Services with records.
    pub services: Vec<String>,
    /// The first record.
    pub example: ExampleOut,
    /// Bursts (incident windows) of this template.
    pub bursts: usize,
}

/// Where something was first seen.
#[derive(Serialize, Debug, Clone)]
pub struct FirstSeen {
    /// Service.
    pub service: String,
    /// Time.
    #[serde(serialize_with = "ser_time")]
    pub time: DateTime<Utc>,
}

/// One hit as shown in a report.
#[derive(Serialize, Debug, Clone)]
pub struct HitOut {
    /// Record time.
    #[serde(serialize_with = "ser_time")]
    pub time: DateTime<Utc>,
    /// Service.
    pub service: String,
    /// Signature id.
    pub signature: String,
    /// File.
    pub path: String,
    /// 1-based line.
    pub line: u64,
    /// The matched line (raw log text; escape before printing to a terminal or HTML).
    pub text: String,
}

/// A timeline marker: the first hit of a run of the same marker signature in one service.
#[derive(Serialize, Debug, Clone)]
pub struct MarkerOut {
    /// The first hit.
    #[serde(flatten)]
    pub hit: HitOut,
    /// How many hits of that signature in that service the run holds.
    pub count: u64,
}

/// One incident.
#[derive(Serialize, Debug, Clone)]
pub struct IncidentOut {
    /// 1-based id.
    pub id: usize,
    /// Start (first record of its first anomalous signal).
    #[serde(serialize_with = "ser_time")]
    pub start: DateTime<Utc>,
    /// End (last record of its anomalous signals' bursts).
    #[serde(serialize_with = "ser_time")]
    pub end: DateTime<Utc>,
    /// `end - start`, whole seconds.
    pub duration_seconds: i64,
    /// critical | error.
    pub severity: Severity,
    /// Root cause.
    pub root_cause: RootCause,
    /// Signatures seen, root first.
    pub chain: Vec<String>,
    /// Hits per signature id.
    pub signatures: BTreeMap<String, u64>,
    /// Services with hits.
    pub services: Vec<String>,
    /// Where the root signature was first seen.
    pub first_seen: FirstSeen,
    /// Evidence lines.
    pub evidence: Vec<HitOut>,
    /// Next checks from the catalog for the root cause.
    pub next_checks: Vec<String>,
    /// For port-exhaustion incidents with a socket snapshot: who holds the ports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub culprit: Option<CulpritOut>,
    /// Unknown error templates that burst in this window ("also new in this window"); for
    /// a template incident, the templates beside its root.
    pub new_templates: Vec<TemplateRef>,
    /// Why it is an incident: its anomalous signals, observed against expected.
    pub why: Vec<WhyOut>,
}

/// The process a socket snapshot blames for a port-exhaustion incident.
#[derive(Serialize, Debug, Clone)]
pub struct CulpritOut {
    /// One sentence: `sqlservr.exe (PID 2468) listening on 1433 holds 15,873 TIME_WAIT, 97 % of 49152–65535`.
    pub sentence: String,
    /// The snapshot file.
    pub snapshot: String,
    /// When the snapshot was taken.
    #[serde(serialize_with = "ser_opt_time")]
    pub snapshot_time: Option<DateTime<Utc>>,
    /// The culprit as analysed.
    #[serde(flatten)]
    pub culprit: crate::evidence::sockets::Culprit,
}

/// An access log's traffic in `files[]`.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct HttpOut<'a> {
    /// The layout that reads its lines (`combined`, `haproxy-http`, `iis-w3c`, ...).
    pub layout: &'a str,
    /// Requests read.
    pub requests: u64,
    /// Requests per status class.
    pub by_class: ByClass,
    /// Failed requests: 5xx, or no status and a server-failure flag (HAProxy TCP `SC`).
    pub failed: u64,
    /// Requests whose client went away (499, ALB 460, HAProxy `CD`, Envoy `DC`): not
    /// failures.
    pub client_closed: u64,
    /// Median and 99th percentile duration (`null`: the layout has no duration).
    pub duration_ms: Option<crate::analysis::findings::Quantiles>,
}

/// Requests per status class.
#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ByClass {
    /// 1xx.
    #[serde(rename = "1xx")]
    pub c1: u64,
    /// 2xx.
    #[serde(rename = "2xx")]
    pub c2: u64,
    /// 3xx.
    #[serde(rename = "3xx")]
    pub c3: u64,
    /// 4xx.
    #[serde(rename = "4xx")]
    pub c4: u64,
    /// 5xx.
    #[serde(rename = "5xx")]
    pub c5: u64,
}

impl<'a> HttpOut<'a> {
    /// The `files[].http` object of an access log's traffic.
    pub fn of(t: &'a crate::evidence::access::FileTraffic) -> HttpOut<'a> {
        let c = t.by_class;
        HttpOut {
            layout: &t.layout,
            requests: t.requests,
            by_class: ByClass {
                c1: c[0],
                c2: c[1],
                c3: c[2],
                c4: c[3],
                c5: c[4],
            },
            failed: t.failed,
            client_closed: t.client_closed,
            duration_ms: crate::analysis::findings::Quantiles::of(&t.durations),
        }
    }
}

/// Background noise counts.
#[derive(Serialize, Debug, Clone)]
pub struct Background {
    /// Signature id.
    pub signature: String,
    /// Hits outside incidents.
    pub hits: u64,
}

/// One file in the report.
#[derive(Serialize, Debug, Clone)]
pub struct FileOut<'a> {
    /// Path.
    pub path: std::borrow::Cow<'a, str>,
    /// Service.
    pub service: &'a str,
    /// Detected timestamp format (`null`: none found).
    pub format: Option<&'static str>,
    /// Zone applied to naive times in this file.
    pub zone: &'a str,
    /// Why: explicit / flag / flag-for-file / alias / default-local.
    pub zone_reason: Option<&'static str>,
    /// mmap | read | gzip | utf16.
    pub access: Option<&'static str>,
    /// SHA-256 of the file as stored (computed for the Markdown and HTML reports, see
    /// [`hash_inputs`]; absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Bytes scanned.
    pub bytes: u64,
    /// Lines.
    pub lines: u64,
    /// Records.
    pub records: u64,
    /// Records with a time.
    pub dated_records: u64,
    /// First record time.
    #[serde(serialize_with = "ser_opt_time")]
    pub first: Option<DateTime<Utc>>,
    /// Last record time.
    #[serde(serialize_with = "ser_opt_time")]
    pub last: Option<DateTime<Utc>>,
    /// Hits.
    pub hits: u64,
    /// Error- and warning-level records (signature-matched or not).
    pub levels: crate::record::level::LevelCounts,
    /// Access-log traffic (`null`: not an access log).
    pub http: Option<HttpOut<'a>>,
    /// Error, if the file could not be (fully) read.
    pub error: Option<String>,
    /// Why it was skipped (binary).
    pub skipped: Option<String>,
    /// `log`, or the kind of host dump (`netstat-windows`, `tasklist`, `ss`, ...).
    pub kind: &'static str,
}

//! Reports: the outage timeline as data ([`Report`], the JSON contract) and as text.
//!
//! Input: scan output, clusters, the configuration and discovery problems. Output: a
//! [`Report`] value; [`to_json`] and [`to_text`] render it. Every renderer reads the same
//! value, so text and JSON never disagree.
//!
//! Contract (README "JSON contract"): `schema` is versioned (`faultscope/1`); times are
//! RFC 3339 UTC; the zone assumed for naive times is stated (`assumed_timezone`, and per
//! file `zone` + `zone_reason`); every list is sorted, so output is identical for `-j1` and
//! `-j8`. No wall-clock time of the run appears in a report.
//!
//! Log text is hostile input: excerpts are escaped for the terminal (control characters and
//! ANSI escape sequences are shown as `\x1b`-style escapes, never emitted).

use crate::analysis::incidents::Clusters;
use crate::catalog::{Catalog, Severity};
use crate::config::ScanConfig;
use crate::input::discover::Problem;
use crate::json::push_json_str;
use crate::scan::{Hit, ScanOutput};
use crate::time::{rfc3339, Zone};
use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub mod html;
pub mod markdown;
pub mod ndjson;
pub mod text;

pub use text::colorize;

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
    #[serde(serialize_with = "ser_files")]
    pub files: Vec<FileOut<'a>>,
    /// Host evidence: saved netstat/ss dumps and process tables, with culprits.
    pub sockets: crate::evidence::sockets::SocketsReport,
    /// Hits whose record has no usable time.
    pub undated_hits: u64,
    /// Templates of the error/warning records no signature matched (src/templates.rs),
    /// by count (most first), then id.
    pub templates: Vec<TemplateOut>,
    /// Warnings (also printed on stderr).
    pub warnings: Vec<String>,
}

/// `files`, exactly as the derived serialization writes it, with the rows written by hand
/// on every thread. A 100,000-file report is ~35 MB of rows; serde's escaper, called for
/// every key and value (2.5 million short strings), took 50 of the 70 ms one thread spent
/// writing them after the scan. Rows go in batches (memory stays a batch's text) and are
/// emitted verbatim as raw JSON; `rows_are_written_as_serde_writes_them` compares the
/// bytes with the derived form. The report is only written pretty ([`to_json`],
/// [`write_json`]); a compact writer would get these rows pretty (still the same JSON).
fn ser_files<S: Serializer>(files: &[FileOut<'_>], s: S) -> Result<S::Ok, S::Error> {
    use rayon::prelude::*;
    use serde::ser::SerializeSeq;
    /// Rows per batch: enough to share out, few enough to stay in cache.
    const BATCH: usize = 2048;
    let mut seq = s.serialize_seq(Some(files.len()))?;
    for batch in files.chunks(BATCH) {
        let rows: Vec<Box<serde_json::value::RawValue>> = batch
            .par_iter()
            .map(|row| {
                let mut text = String::with_capacity(512);
                write_file_row(&mut text, row);
                // SAFETY: `write_file_row` writes one JSON object, every string through
                // `push_json_str` (serde_json's escaping), numbers as digits, no leading or
                // trailing whitespace (the unit test parses its output; debug builds also
                // re-parse every raw value here).
                unsafe { serde_json::value::RawValue::from_string_unchecked(text) }
            })
            .collect();
        for row in &rows {
            seq.serialize_element(row)?;
        }
    }
    seq.end()
}

/// One `files[]` row as serde_json's pretty printer writes it at depth 2 of the report
/// (fields in declaration order, `sha256` only when set), without the indentation before
/// its opening brace.
fn write_file_row(out: &mut String, f: &FileOut<'_>) {
    /// A field's value, as the derived serialization writes it.
    enum V<'v> {
        Str(&'v str),
        OptStr(Option<&'v str>),
        Num(u64),
        Time(Option<DateTime<Utc>>),
    }
    let fields: [Option<(&str, V)>; 17] = [
        Some(("path", V::Str(&f.path))),
        Some(("service", V::Str(f.service))),
        Some(("format", V::OptStr(f.format))),
        Some(("zone", V::Str(f.zone))),
        Some(("zone_reason", V::OptStr(f.zone_reason))),
        Some(("access", V::OptStr(f.access))),
        f.sha256.as_deref().map(|h| ("sha256", V::Str(h))),
        Some(("bytes", V::Num(f.bytes))),
        Some(("lines", V::Num(f.lines))),
        Some(("records", V::Num(f.records))),
        Some(("dated_records", V::Num(f.dated_records))),
        Some(("first", V::Time(f.first))),
        Some(("last", V::Time(f.last))),
        Some(("hits", V::Num(f.hits))),
        Some(("error", V::OptStr(f.error.as_deref()))),
        Some(("skipped", V::OptStr(f.skipped.as_deref()))),
        Some(("kind", V::Str(f.kind))),
    ];
    out.push('{');
    for (i, (name, value)) in fields.into_iter().flatten().enumerate() {
        out.push_str(if i == 0 { "\n      \"" } else { ",\n      \"" });
        out.push_str(name);
        out.push_str("\": ");
        match value {
            V::Str(s) | V::OptStr(Some(s)) => push_json_str(out, s),
            V::Num(n) => out.push_str(itoa::Buffer::new().format(n)),
            // RFC 3339 text needs no escaping.
            V::Time(Some(t)) => {
                out.push('"');
                crate::time::push_rfc3339(out, t);
                out.push('"');
            }
            V::OptStr(None) | V::Time(None) => out.push_str("null"),
        }
    }
    out.push_str("\n    }");
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
    /// `signature`, or `template` when an unknown error template burst (then `signature`
    /// is the template id, `template:<16 hex>`).
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
    /// Start (first critical/error hit).
    #[serde(serialize_with = "ser_time")]
    pub start: DateTime<Utc>,
    /// End (last critical/error hit).
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
    /// Error, if the file could not be (fully) read.
    pub error: Option<String>,
    /// Why it was skipped (binary).
    pub skipped: Option<String>,
    /// `log`, or the kind of host dump (`netstat-windows`, `tasklist`, `ss`, ...).
    pub kind: &'static str,
}

/// Builds the report.
pub fn build<'a>(
    scan: &'a ScanOutput,
    clusters: &Clusters,
    cfg: &ScanConfig,
    problems: &[Problem],
    sockets: crate::evidence::sockets::SocketsReport,
) -> Report<'a> {
    let cat: &Catalog = &cfg.catalog;
    let hit_out = |h: &Hit| HitOut {
        time: h.time.expect("dated"),
        service: scan.files[h.file as usize].service.to_string(),
        signature: cat.signatures[h.sig as usize].id.clone(),
        path: scan.files[h.file as usize].path.clone(),
        line: h.line,
        text: h.excerpt.to_string(),
    };
    let analysis = &clusters.templates;
    let template_ref = |b: usize| {
        let burst = &analysis.bursts[b];
        let t = &analysis.templates[burst.template];
        TemplateRef {
            id: t.id.clone(),
            text: t.text.clone(),
            exception: t.exception.clone(),
            count: burst.records.len() as u64,
            background: burst.background,
            first: burst.start,
            last: burst.end,
        }
    };
    let incidents: Vec<IncidentOut> = clusters
        .incidents
        .iter()
        .map(|inc| {
            if inc.kind == crate::analysis::incidents::RootKind::Template {
                return template_incident(scan, inc, analysis, &template_ref);
            }
            let root = &cat.signatures[inc.root as usize];
            IncidentOut {
                id: inc.id,
                start: inc.start,
                end: inc.end,
                duration_seconds: (inc.end - inc.start).num_seconds(),
                severity: inc.severity,
                root_cause: RootCause {
                    signature: root.id.clone(),
                    category: root.category.clone(),
                    title: root.title.clone(),
                    layer: root.layer,
                    means: root.means.clone(),
                    restart: inc.restart.map(|i| hit_out(&scan.hits[i])),
                    kind: "signature",
                    template: None,
                },
                chain: inc
                    .chain
                    .iter()
                    .map(|&s| cat.signatures[s as usize].id.clone())
                    .collect(),
                signatures: inc
                    .counts
                    .iter()
                    .map(|(&s, &n)| (cat.signatures[s as usize].id.clone(), n))
                    .collect(),
                services: inc.services.clone(),
                first_seen: FirstSeen {
                    service: inc.first_seen.0.clone(),
                    time: inc.first_seen.1,
                },
                evidence: inc
                    .evidence
                    .iter()
                    .map(|&i| hit_out(&scan.hits[i]))
                    .collect(),
                next_checks: root.next.clone(),
                culprit: culprit_for(inc, cat, &sockets),
                new_templates: inc.bursts.iter().map(|&b| template_ref(b)).collect(),
            }
        })
        .collect();

    let mut warnings = Vec::new();
    for p in problems.iter().filter(|p| p.note) {
        warnings.push(p.error.message.clone());
    }
    for f in &scan.files {
        if let Some(s) = &f.skipped {
            warnings.push(s.clone());
        }
        warnings.extend(f.notes.iter().cloned());
        for (abbr, (line, n)) in &f.ambiguous {
            let cands = crate::time::ambiguous_abbrev(abbr).unwrap_or("several zones");
            warnings.push(format!(
                "{}:{line}: zone abbreviation `{abbr}` is ambiguous ({cands}); {n} record(s) left undated. \
                 Fix with --tz-alias {abbr}=<zone>, e.g. {}",
                f.path,
                crate::time::abbrev_examples(abbr)
            ));
        }
        if f.format.is_none() && f.hits > 0 && f.dated_records == 0 {
            warnings.push(format!(
                "{}: no timestamp format recognised; its {} hit(s) are undated",
                f.path, f.hits
            ));
        }
    }
    // One row per file (100,000 on the bench's small-files corpus): built on every thread
    // into one reservation while the findings are computed, the fixed vocabularies (format,
    // zone reason, access, kind) as static strings and the texts borrowed from the scan.
    use rayon::prelude::*;
    let file_rows = || {
        let mut files: Vec<FileOut> = Vec::with_capacity(problems.len() + scan.files.len());
        for p in problems.iter().filter(|p| !p.note) {
            files.push(FileOut {
                path: p.path.display().to_string().into(),
                service: "",
                format: None,
                zone: "",
                zone_reason: None,
                access: None,
                sha256: None,
                bytes: 0,
                lines: 0,
                records: 0,
                dated_records: 0,
                first: None,
                last: None,
                hits: 0,
                error: Some(p.error.message.clone()),
                skipped: None,
                kind: "log",
            });
        }
        files.par_extend(scan.files.par_iter().map(|f| {
            let all_explicit = f.explicit_offsets && !f.naive_stamps;
            FileOut {
                path: f.path.as_str().into(),
                service: &f.service,
                format: f.format.map(|x| x.id()),
                zone: if all_explicit { "explicit" } else { &f.zone },
                zone_reason: if all_explicit {
                    Some("explicit")
                } else {
                    f.zone_reason.map(reason_id)
                },
                access: f.access.map(|a| a.as_str()),
                sha256: None,
                bytes: f.bytes,
                lines: f.lines,
                records: f.records,
                dated_records: f.dated_records,
                first: f.first,
                last: f.last,
                hits: f.hits,
                error: f.error.as_ref().map(|e| e.message.clone()),
                skipped: f.skipped.clone(),
                kind: f.dump.map_or("log", |k| k.as_str()),
            }
        }));
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files
    };
    let (files, findings) = rayon::join(file_rows, || {
        crate::analysis::findings::compute(scan, clusters, cat, &cfg.tz)
    });
    let markers = clusters
        .markers
        .iter()
        .map(|&(i, count)| MarkerOut {
            hit: hit_out(&scan.hits[i]),
            count,
        })
        .collect();
    let background = clusters
        .background
        .iter()
        .map(|(&s, &n)| Background {
            signature: cat.signatures[s as usize].id.clone(),
            hits: n,
        })
        .collect();
    let read_files = scan.files.iter().filter(|f| f.access.is_some()).count();
    let summary = Summary {
        incidents: incidents.len(),
        total_downtime_seconds: incidents.iter().map(|i| i.duration_seconds).sum(),
        files_scanned: read_files,
        files_with_errors: files.iter().filter(|f| f.error.is_some()).count(),
        hits: scan.hits.len(),
        first: scan.files.iter().filter_map(|f| f.first).min(),
        last: scan.files.iter().filter_map(|f| f.last).max(),
    };
    Report {
        schema: SCHEMA,
        tool: Tool {
            name: "faultscope",
            version: env!("CARGO_PKG_VERSION"),
        },
        assumed_timezone: cfg.tz.to_string(),
        timezone_reason: reason_id(cfg.tz_reason).to_string(),
        gap_seconds: cfg.gap.num_seconds(),
        summary,
        incidents,
        markers,
        findings,
        generated_at: None,
        background,
        files,
        sockets,
        undated_hits: clusters.undated.len() as u64,
        warnings,
        templates: templates_out(scan, analysis),
    }
}

/// The templates list: by count (most first), then id.
pub fn templates_out(
    scan: &ScanOutput,
    analysis: &crate::analysis::templates::Analysis,
) -> Vec<TemplateOut> {
    let mut out: Vec<TemplateOut> = analysis
        .templates
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let ex = &scan.unknown[t.example];
            let f = &scan.files[ex.file as usize];
            TemplateOut {
                id: t.id.clone(),
                text: t.text.clone(),
                level: t.level,
                exception: t.exception.clone(),
                count: t.count,
                first: t.first,
                last: t.last,
                services: t.services.clone(),
                example: ExampleOut {
                    path: f.path.clone(),
                    line: ex.line,
                    text: ex.excerpt().to_string(),
                },
                bursts: analysis.bursts.iter().filter(|b| b.template == i).count(),
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));
    out
}

/// An incident opened by an unknown template's burst.
fn template_incident(
    scan: &ScanOutput,
    inc: &crate::analysis::incidents::Incident,
    analysis: &crate::analysis::templates::Analysis,
    template_ref: &dyn Fn(usize) -> TemplateRef,
) -> IncidentOut {
    let root_burst = &analysis.bursts[inc.bursts[0]];
    let root = &analysis.templates[root_burst.template];
    let rec_out = |r: usize| {
        let rec = &scan.unknown[r];
        let f = &scan.files[rec.file as usize];
        HitOut {
            time: rec.time.expect("dated"),
            service: f.service.to_string(),
            signature: analysis.templates[analysis.of_record[r] as usize]
                .id
                .clone(),
            path: f.path.clone(),
            line: rec.line,
            text: rec.excerpt().to_string(),
        }
    };
    // Evidence: the root's first record per service (at most two), then the other
    // templates' first records.
    let mut evidence: Vec<HitOut> = Vec::new();
    for &r in &root_burst.records {
        let svc = &scan.files[scan.unknown[r].file as usize].service;
        if evidence.len() < 2 && !evidence.iter().any(|e| *e.service == **svc) {
            evidence.push(rec_out(r));
        }
    }
    for &b in inc.bursts.iter().skip(1) {
        if evidence.len() < 3 {
            evidence.push(rec_out(analysis.bursts[b].records[0]));
        }
    }
    let mut signatures = BTreeMap::new();
    for &b in &inc.bursts {
        let burst = &analysis.bursts[b];
        *signatures
            .entry(analysis.templates[burst.template].id.clone())
            .or_default() += burst.records.len() as u64;
    }
    let window = (root_burst.end - root_burst.start).num_seconds();
    IncidentOut {
        id: inc.id,
        start: inc.start,
        end: inc.end,
        duration_seconds: (inc.end - inc.start).num_seconds(),
        severity: inc.severity,
        root_cause: RootCause {
            signature: root.id.clone(),
            category: "unknown-error".into(),
            title: root.text.clone(),
            layer: None,
            means: format!(
                "An error no catalog signature knows burst: {} records in {}s, against {} in the rest of the logs.",
                root_burst.records.len(),
                window,
                root_burst.background
            ),
            restart: None,
            kind: "template",
            template: Some(template_ref(inc.bursts[0])),
        },
        chain: inc
            .bursts
            .iter()
            .map(|&b| analysis.templates[analysis.bursts[b].template].id.clone())
            .collect(),
        signatures,
        services: inc.services.clone(),
        first_seen: FirstSeen {
            service: inc.first_seen.0.clone(),
            time: inc.first_seen.1,
        },
        evidence,
        next_checks: vec![
            format!(
                "read the example records around {} (faultscope templates lists every template)",
                rfc3339(inc.start)
            ),
            "add a signature for it with --rules so the next outage names it".into(),
        ],
        culprit: None,
        new_templates: inc.bursts.iter().skip(1).map(|&b| template_ref(b)).collect(),
    }
}

/// Joins host evidence to an incident: when its chain holds a port-exhaustion signature,
/// the top culprit of the snapshot closest in time names who holds the ports (the step
/// the founding case's engineer never got to).
fn culprit_for(
    inc: &crate::analysis::incidents::Incident,
    cat: &Catalog,
    sockets: &crate::evidence::sockets::SocketsReport,
) -> Option<CulpritOut> {
    let exhaustion = inc
        .chain
        .iter()
        .any(|&s| cat.signatures[s as usize].category == "port-exhaustion");
    if !exhaustion {
        return None;
    }
    let distance = |t: Option<DateTime<Utc>>| match t {
        Some(t) if t >= inc.start && t <= inc.end => 0,
        Some(t) => (t - inc.start)
            .num_seconds()
            .abs()
            .min((t - inc.end).num_seconds().abs()),
        None => i64::MAX,
    };
    let snap = sockets
        .snapshots
        .iter()
        .filter(|s| !s.culprits.is_empty())
        .min_by_key(|s| (distance(s.time), s.path.clone()))?;
    let top = snap.culprits.first()?;
    Some(CulpritOut {
        sentence: crate::evidence::sockets::culprit_sentence(top, snap.ephemeral_range),
        snapshot: snap.path.clone(),
        snapshot_time: snap.time,
        culprit: top.clone(),
    })
}

fn reason_id(r: crate::time::ZoneReason) -> &'static str {
    use crate::time::ZoneReason::*;
    match r {
        Explicit => "explicit",
        FlagForFile => "flag-for-file",
        Flag => "flag",
        Alias => "alias",
        DefaultLocal => "default-local",
    }
}

/// JSON rendering (pretty, trailing newline).
pub fn to_json(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(r).expect("report serializes");
    s.push('\n');
    s
}

/// [`to_json`] written straight to `w` (buffered): a 100,000-file scan's report is ~50 MB,
/// and building it as one string first cost its growth copies and page faults (7 % of the
/// CPU on the bench's small-files corpus).
pub fn write_json(r: &Report, w: impl std::io::Write) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(256 * 1024, w);
    serde_json::to_writer_pretty(&mut w, r)?;
    std::io::Write::write_all(&mut w, b"\n")?;
    std::io::Write::flush(&mut w)
}

/// Fills `files[].sha256` with the SHA-256 of each readable input file as stored (a `.gz`
/// is hashed compressed, as `sha256sum` would), files in parallel.
pub fn hash_inputs(r: &mut Report) {
    use rayon::prelude::*;
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let hashes: Vec<Option<String>> = r
        .files
        .par_iter()
        .map(|f| {
            f.access.as_ref()?;
            let mut file = std::fs::File::open(&*f.path).ok()?;
            let mut h = Sha256::new();
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = file.read(&mut buf).ok()?;
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
            }
            let mut hex = String::with_capacity(64);
            for b in h.finalize() {
                let _ = write!(hex, "{b:02x}");
            }
            Some(hex)
        })
        .collect();
    for (f, h) in r.files.iter_mut().zip(hashes) {
        f.sha256 = h;
    }
}

/// Escapes control characters (ANSI escapes included) so log text cannot drive the terminal.
pub fn escape_control(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push_str("    "),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn human_duration(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m {:02}s", s / 60, s % 60),
        s => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Templates listed in the text report.
const TEXT_TEMPLATES: usize = 10;

/// One template as a text line: count, level, id, text, services, first–last.
pub fn template_line(t: &TemplateOut, day: &dyn Fn(DateTime<Utc>) -> String) -> String {
    format!(
        "    ×{:<6} {:<7} {}  {}  [{}{}]",
        t.count,
        t.level.as_str(),
        t.id,
        clip(&escape_control(&t.text), 100),
        t.services.join(", "),
        match (t.first, t.last) {
            (Some(a), Some(b)) => format!("; {} → {}", day(a), day(b)),
            _ => String::new(),
        }
    )
}

/// Text rendering: one block per incident, times in `display` zone.
pub fn to_text(r: &Report, display: &Zone, cat: &Catalog) -> String {
    let mut o = String::new();
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    let clock = |t: DateTime<Utc>| display.format(t, "%H:%M:%S");
    let same_day = |a: DateTime<Utc>, b: DateTime<Utc>| {
        display.format(a, "%Y-%m-%d") == display.format(b, "%Y-%m-%d")
    };
    let span = match (r.summary.first, r.summary.last) {
        (Some(a), Some(b)) => format!(
            ", logs from {} to {}",
            day(a),
            if same_day(a, b) { clock(b) } else { day(b) }
        ),
        _ => String::new(),
    };
    let zone_note = format!("times in {display}");
    let _ = writeln!(
        o,
        "faultscope: {} incident{} in {} file{}{span} ({zone_note}; naive times read as {} from {})",
        r.incidents.len(),
        if r.incidents.len() == 1 { "" } else { "s" },
        r.summary.files_scanned,
        if r.summary.files_scanned == 1 { "" } else { "s" },
        r.assumed_timezone,
        match r.timezone_reason.as_str() {
            "flag" => "--tz",
            "default-local" => "this machine's local zone; set --tz",
            x => x,
        }
    );
    for inc in &r.incidents {
        let _ = writeln!(o);
        let end = if same_day(inc.start, inc.end) {
            clock(inc.end)
        } else {
            day(inc.end)
        };
        let _ = writeln!(
            o,
            "#{}  {} → {}  {}  {}",
            inc.id,
            day(inc.start),
            end,
            human_duration(inc.duration_seconds),
            inc.severity.as_str().to_uppercase()
        );
        let rc = &inc.root_cause;
        match &rc.template {
            Some(t) => {
                let _ = writeln!(
                    o,
                    "    root cause  {}: {} [unknown error: ×{} in this window, {} elsewhere]",
                    t.id,
                    clip(&escape_control(&t.text), 110),
                    t.count,
                    t.background
                );
            }
            None => {
                let _ = writeln!(
                    o,
                    "    root cause  {}: {} [{}]",
                    rc.signature, rc.title, rc.category
                );
            }
        }
        if let Some(r) = &rc.restart {
            let _ = writeln!(
                o,
                "    context     {} restarted at {} ({}, {}:{}): the failures follow the restart; look for what stopped it",
                r.service,
                clock(r.time),
                r.signature,
                r.path,
                r.line
            );
        }
        if inc.chain.len() > 1 {
            let _ = writeln!(o, "    chain       {}", inc.chain.join(" → "));
        }
        let _ = writeln!(
            o,
            "    first seen  {} at {}",
            inc.first_seen.service,
            clock(inc.first_seen.time)
        );
        let _ = writeln!(o, "    services    {}", inc.services.join(", "));
        let mut sigs: Vec<(&String, &u64)> = inc.signatures.iter().collect();
        sigs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let sig_text: Vec<String> = sigs
            .iter()
            .map(|(id, n)| {
                let noise = cat.index_of(id).is_some_and(|i| cat.signatures[i].noise);
                format!("{id} ×{n}{}", if noise { " (noise)" } else { "" })
            })
            .collect();
        let _ = writeln!(o, "    hits        {}", sig_text.join(", "));
        for (k, e) in inc.evidence.iter().enumerate() {
            let _ = writeln!(
                o,
                "    {:<12}{}:{}  {}",
                if k == 0 { "evidence" } else { "" },
                e.path,
                e.line,
                clip(&escape_control(e.text.trim()), 110)
            );
        }
        for (k, t) in inc.new_templates.iter().enumerate() {
            let _ = writeln!(
                o,
                "    {:<12}{}: {} (×{})",
                if k == 0 { "also new" } else { "" },
                t.id,
                clip(&escape_control(&t.text), 100),
                t.count
            );
        }
        if let Some(c) = &inc.culprit {
            let _ = writeln!(
                o,
                "    culprit     {}{} ({}{})",
                c.sentence,
                if c.culprit.loopback {
                    ", loopback churn"
                } else {
                    ""
                },
                c.snapshot,
                c.snapshot_time
                    .map(|t| format!(" at {}", day(t)))
                    .unwrap_or_default()
            );
        }
        if !inc.next_checks.is_empty() {
            let _ = writeln!(
                o,
                "    next        {}",
                inc.next_checks
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
    }
    if !r.markers.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "markers");
        for m in &r.markers {
            let h = &m.hit;
            let _ = writeln!(
                o,
                "    {}  {:<16} {:<28} {}:{}{}",
                day(h.time),
                h.service,
                h.signature,
                h.path,
                h.line,
                if m.count > 1 {
                    format!(" (×{})", m.count)
                } else {
                    String::new()
                }
            );
        }
    }
    if !r.sockets.snapshots.is_empty() || !r.sockets.process_tables.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "host evidence");
        for line in crate::evidence::sockets::render_text(&r.sockets).lines() {
            let _ = writeln!(o, "    {}", escape_control(line));
        }
    }
    if !r.background.is_empty() {
        let _ = writeln!(o);
        let bg: Vec<String> = r
            .background
            .iter()
            .map(|b| format!("{} ×{}", b.signature, b.hits))
            .collect();
        let _ = writeln!(
            o,
            "background noise outside incidents (not evidence): {}",
            bg.join(", ")
        );
    }
    o.push_str(&text::findings(r, display));
    if !r.templates.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "unknown errors and warnings: {} templates (top {} by count; faultscope templates lists all)",
            r.templates.len(),
            r.templates.len().min(TEXT_TEMPLATES)
        );
        for t in r.templates.iter().take(TEXT_TEMPLATES) {
            let _ = writeln!(o, "{}", template_line(t, &day));
        }
    }
    let _ = writeln!(o);
    let errs = r.summary.files_with_errors;
    let _ = writeln!(
        o,
        "summary: {} incident{}, {} of outage in total; {} file{} scanned{}; {} undated hit{}",
        r.incidents.len(),
        if r.incidents.len() == 1 { "" } else { "s" },
        human_duration(r.summary.total_downtime_seconds),
        r.summary.files_scanned,
        if r.summary.files_scanned == 1 {
            ""
        } else {
            "s"
        },
        if errs > 0 {
            format!(", {errs} with errors (see stderr)")
        } else {
            String::new()
        },
        r.undated_hits,
        if r.undated_hits == 1 { "" } else { "s" },
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The report's shape around `files`, once with the hand-written rows and once with
    /// serde's derived ones.
    #[derive(Serialize)]
    struct Fast<'a> {
        before: u8,
        #[serde(serialize_with = "ser_files")]
        files: Vec<FileOut<'a>>,
        after: u8,
    }

    #[derive(Serialize)]
    struct Derived<'a> {
        before: u8,
        files: Vec<FileOut<'a>>,
        after: u8,
    }

    fn opt_time() -> impl proptest::strategy::Strategy<Value = Option<DateTime<Utc>>> {
        use proptest::strategy::Strategy as _;
        proptest::option::of(
            (-70_000_000_000i64..300_000_000_000, 0u32..1_000_000_000)
                .prop_map(|(s, n)| DateTime::from_timestamp(s, n).unwrap()),
        )
    }

    proptest::proptest! {
        /// Same bytes as serde's pretty printer for any row: escapes (quotes, backslashes,
        /// control characters, non-ASCII), absent options, `sha256` set or skipped, any
        /// number, times with and without fractions, years with a sign.
        #[test]
        fn rows_are_written_as_serde_writes_them(
            texts in proptest::collection::vec("(?s).{0,12}", 5),
            opts in proptest::collection::vec(proptest::option::of("(?s).{0,8}"), 5),
            nums in proptest::collection::vec(proptest::num::u64::ANY, 5),
            first in opt_time(),
            last in opt_time(),
            rows in 0usize..100,
        ) {
            let row = |i: usize| FileOut {
                path: texts[0].as_str().into(),
                service: &texts[1],
                format: (i % 3 == 0).then_some("boot-logback"),
                zone: &texts[2],
                zone_reason: (i % 2 == 0).then_some("flag"),
                access: (i % 5 != 0).then_some("read"),
                sha256: opts[0].clone(),
                bytes: nums[0],
                lines: nums[1],
                records: nums[2],
                dated_records: nums[3],
                first,
                last,
                hits: nums[4] ^ i as u64,
                error: opts[1].clone(),
                skipped: opts[2].clone(),
                kind: if i % 7 == 0 { "netstat-windows" } else { "log" },
            };
            let files: Vec<FileOut> = (0..rows % 7).map(row).collect();
            let fast = serde_json::to_string_pretty(&Fast { before: 1, files: files.clone(), after: 2 }).unwrap();
            let derived = serde_json::to_string_pretty(&Derived { before: 1, files, after: 2 }).unwrap();
            proptest::prop_assert_eq!(fast, derived);
        }
    }

    #[test]
    fn a_long_files_table_is_written_in_batches_as_one_array() {
        let names: Vec<String> = (0..5000).map(|i| format!("logs/app-{i}.log")).collect();
        let files: Vec<FileOut> = names
            .iter()
            .map(|n| FileOut {
                path: n.as_str().into(),
                service: "app",
                format: Some("clf"),
                zone: "UTC",
                zone_reason: Some("flag"),
                access: Some("read"),
                sha256: None,
                bytes: 1,
                lines: 2,
                records: 3,
                dated_records: 4,
                first: None,
                last: None,
                hits: 5,
                error: None,
                skipped: None,
                kind: "log",
            })
            .collect();
        let fast = serde_json::to_string_pretty(&Fast {
            before: 1,
            files: files.clone(),
            after: 2,
        })
        .unwrap();
        let derived = serde_json::to_string_pretty(&Derived {
            before: 1,
            files,
            after: 2,
        })
        .unwrap();
        assert_eq!(fast, derived);
        let back: serde_json::Value = serde_json::from_str(&fast).unwrap();
        assert_eq!(back["files"].as_array().unwrap().len(), 5000);
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_control("a\x1b[31mred\x07"), "a\\x1b[31mred\\x07");
        assert_eq!(escape_control("tab\there"), "tab    here");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(31), "31s");
        assert_eq!(human_duration(124), "2m 04s");
        assert_eq!(human_duration(7300), "2h 01m");
    }
}

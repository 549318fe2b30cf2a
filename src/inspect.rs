//! `faultscope inspect`: how each file's timestamps are read, for people who need to trust
//! the parse before they trust the timeline.
//!
//! Input: discovered files and the scan configuration (zones, `--year`). Output: one
//! [`FileInspect`] per file: the detected format (layouts), the zone used and why, how a
//! missing year/date was inferred, records (dated/undated), first and last time, the largest
//! gaps in the file's own timeline (rotation holes, logging outages), records that go back in
//! time, and sample lines that did not parse. Optionally every record's time
//! (`--records`: NDJSON `{"path","line","time"}`).
//!
//! Reuses the scan's pieces (`input::open`, `FileTime::learn`, `FileTime::parse_line` and
//! `resolve`): what `inspect` shows is what `scan` uses. Unlike the scan's per-line pass
//! (syntactic), inspect parses every record head fully; it is a diagnostic, not the hot path.

use crate::config::ScanConfig;
use crate::input;
use crate::input::discover::Source;
use crate::scan::split_chunks;
use crate::time::{
    rfc3339, FileTime, FileTimeInput, Inference, Resolved, StampZone, Zone, ZoneReason,
};
use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::ControlFlow;

/// JSON schema id of `inspect --format json`.
pub const SCHEMA: &str = "faultscope-inspect/1";
/// Sample lines kept per file.
pub const MAX_SAMPLES: usize = 5;
/// A record this much older than the latest one before it counts as out of order.
const BACKWARD_TOLERANCE_MS: i64 = 1000;

fn ser_time<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

fn ser_opt_time<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&rfc3339(*t)),
        None => s.serialize_none(),
    }
}

/// A hole in a file's timeline.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Gap {
    /// Last time before the hole.
    #[serde(serialize_with = "ser_time")]
    pub from: DateTime<Utc>,
    /// First time after it.
    #[serde(serialize_with = "ser_time")]
    pub to: DateTime<Utc>,
    /// Length in seconds.
    pub seconds: f64,
    /// 1-based line of the record after the hole.
    pub line: u64,
}

/// The first record that goes back in time.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Backward {
    /// 1-based line.
    pub line: u64,
    /// Its time.
    #[serde(serialize_with = "ser_time")]
    pub time: DateTime<Utc>,
    /// The latest time seen before it.
    #[serde(serialize_with = "ser_time")]
    pub after: DateTime<Utc>,
}

/// A line shown as an example.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Sample {
    /// 1-based line.
    pub line: u64,
    /// The text (lossy UTF-8, at most 200 bytes).
    pub text: String,
}

/// One record's time (`--records`).
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct RecordTime {
    /// 1-based line of the record head.
    pub line: u64,
    /// Its instant (`None`: undated).
    #[serde(serialize_with = "ser_opt_time")]
    pub time: Option<DateTime<Utc>>,
}

/// What `inspect` found in one file.
#[derive(Serialize, Debug, Clone, Default)]
pub struct FileInspect {
    /// Path.
    pub path: String,
    /// Detected format id (`null`: none).
    pub format: Option<String>,
    /// Every layout used (format and leading fields skipped), detected one first.
    pub layouts: Vec<String>,
    /// What the format says about zones.
    pub format_zone: Option<String>,
    /// Zone applied to naive times, or `explicit` when every stamp carried its offset.
    pub zone: String,
    /// Why: explicit / flag / flag-for-file / alias / default-local / tz-env / inferred
    /// (most records).
    pub zone_reason: Option<String>,
    /// For an inferred zone: from which file and with what confidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_inferred: Option<String>,
    /// Records per reason.
    pub zone_reasons: BTreeMap<String, u64>,
    /// Explicit offsets met (`+08:00` → records).
    pub offsets: BTreeMap<String, u64>,
    /// How a missing year/date/clock was filled in.
    pub inferred: Option<Inference>,
    /// Physical lines.
    pub lines: u64,
    /// Records (stamped heads; every line when no format was found).
    pub records: u64,
    /// Records with an instant.
    pub dated: u64,
    /// Records without (ambiguous abbreviation, impossible inferred date, no format).
    pub undated: u64,
    /// First record time (file order).
    #[serde(serialize_with = "ser_opt_time")]
    pub first: Option<DateTime<Utc>>,
    /// Last record time (file order).
    #[serde(serialize_with = "ser_opt_time")]
    pub last: Option<DateTime<Utc>>,
    /// Largest holes in the file's timeline, largest first.
    pub gaps: Vec<Gap>,
    /// Records more than 1 s older than the latest record before them.
    pub out_of_order: u64,
    /// The first of them.
    pub first_out_of_order: Option<Backward>,
    /// Lines that are neither a stamped record nor a continuation form.
    pub unparsed: u64,
    /// Some of them.
    pub unparsed_samples: Vec<Sample>,
    /// Ambiguous abbreviations met → records.
    pub ambiguous: BTreeMap<String, u64>,
    /// Ambiguous abbreviations → the first line they were met on.
    #[serde(skip)]
    pub ambiguous_lines: BTreeMap<String, u64>,
    /// Notes (year/date inference, copied files).
    pub notes: Vec<String>,
    /// Why the file could not be read.
    pub error: Option<String>,
    /// Every record's time (`--records` only).
    #[serde(skip)]
    pub record_times: Vec<RecordTime>,
}

/// `inspect` options.
#[derive(Clone, Debug)]
pub struct InspectOptions {
    /// Keep every record's time.
    pub records: bool,
    /// Gaps reported per file.
    pub gaps: usize,
}

impl Default for InspectOptions {
    fn default() -> Self {
        InspectOptions {
            records: false,
            gaps: 5,
        }
    }
}

/// Stable id of a zone reason (same words as the scan report).
pub fn reason_id(r: ZoneReason) -> &'static str {
    r.id()
}

/// What the scan's clocks stage settled for one file: the zone its naive times are read
/// in when inferred, and the years its year-less stamps moved by.
#[derive(Clone, Debug, Default)]
pub struct Settled {
    /// The inferred zone, and how (`inferred from nginx/access.log, confidence 99.95 %`).
    pub zone: Option<(Zone, String)>,
    /// Years moved, and why.
    pub years: Option<(i32, String)>,
}

/// Inspects every source (in parallel, results in path order). When naive times would be
/// read in a default zone, the sources are scanned first and the clocks stage settles
/// zones and years as `scan` does (`analysis::clock`), so what `inspect` shows is what
/// `scan` uses; its warnings are returned with the files.
pub fn inspect(sources: &[Source], cfg: &ScanConfig, opts: &InspectOptions) -> Vec<FileInspect> {
    let settled = settle(sources, cfg);
    sources
        .par_iter()
        .enumerate()
        .map(|(i, s)| inspect_file_settled(s, cfg, opts, settled.get(i)))
        .collect()
}

/// The clocks stage over a scan of the sources (only when some zone is a default).
fn settle(sources: &[Source], cfg: &ScanConfig) -> Vec<Settled> {
    if !cfg.tz_reason.is_default() || sources.len() < 2 {
        return Vec::new();
    }
    let mut out = crate::scan::scan(sources, cfg);
    let clock = crate::analysis::clock::settle(&mut out, (&cfg.tz, cfg.tz_reason), false);
    let mut settled = vec![Settled::default(); sources.len()];
    for (i, f) in out.files.iter().enumerate() {
        if f.zone_reason == Some(ZoneReason::Inferred) {
            let how = clock
                .inferences
                .iter()
                .find(|x| x.path == f.path)
                .map(|x| {
                    format!(
                        "inferred from {}, confidence {}",
                        x.witness
                            .as_deref()
                            .unwrap_or("the files that state their offset"),
                        crate::analysis::clock::confidence_text(x.confidence)
                    )
                })
                .unwrap_or_else(|| "inferred".into());
            if let Ok(z) = Zone::parse(&f.zone) {
                settled[i].zone = Some((z, how));
            }
        }
        if let Some(y) = clock.years.iter().find(|y| y.path == f.path) {
            settled[i].years = Some((
                y.years,
                format!(
                    "years moved {:+} to those of the dated files of this scan (the {} gave a year they do not cover)",
                    y.years, y.was_from
                ),
            ));
        }
    }
    settled
}

/// Lines that continue the record above (timestamps.md §12), told apart from lines that
/// should have carried a stamp.
pub fn continuation_form(line: &[u8]) -> bool {
    let Some(&c0) = line.first() else {
        return true;
    };
    if c0.is_ascii_whitespace() || matches!(c0, b'}' | b']' | b')' | b'#' | b'!') {
        return true;
    }
    const PREFIXES: [&[u8]; 12] = [
        b"at ",
        b"Caused by:",
        b"Wrapped by:",
        b"Suppressed:",
        b"...",
        b"Traceback",
        b"goroutine ",
        b"panic:",
        b"Exception in thread",
        b"During handling",
        b"The above exception",
        b"--",
    ];
    if PREFIXES.iter().any(|p| line.starts_with(p)) {
        return true;
    }
    // JUL message line: `INFO: …`, `严重: …`.
    if let Some(i) = memchr::memmem::find(&line[..line.len().min(24)], b": ") {
        let word = &line[..i];
        const JUL: [&str; 14] = [
            "SEVERE",
            "WARNING",
            "INFO",
            "CONFIG",
            "FINE",
            "FINER",
            "FINEST",
            "严重",
            "警告",
            "信息",
            "配置",
            "详细",
            "较详细",
            "非常详细",
        ];
        if JUL.iter().any(|w| w.as_bytes() == word) {
            return true;
        }
    }
    // Exception header: a dotted class name, then `:` or the end (`java.net.SocketException: …`).
    let head_end = line
        .iter()
        .position(|&c| c == b':' || c == b' ')
        .unwrap_or(line.len());
    let head = &line[..head_end];
    let exception_word = [
        &b"Exception"[..],
        b"Error",
        b"Throwable",
        b"Failure",
        b"Fault",
    ]
    .iter()
    .any(|w| head.ends_with(w));
    // Python's last traceback line: `ValueError: bad`.
    if exception_word
        && head.first().is_some_and(u8::is_ascii_uppercase)
        && line.get(head_end) == Some(&b':')
    {
        return true;
    }
    head.contains(&b'.')
        && (head_end == line.len() || line[head_end] == b':')
        && head
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'$'))
        && [
            &b"Exception"[..],
            b"Error",
            b"Throwable",
            b"Failure",
            b"Fault",
        ]
        .iter()
        .any(|w| memchr::memmem::find(head, w).is_some())
}

fn clip(line: &[u8]) -> String {
    let mut cut = line.len().min(200);
    while cut > 0 && cut < line.len() && (line[cut] & 0xC0) == 0x80 {
        cut -= 1;
    }
    String::from_utf8_lossy(&line[..cut]).into_owned()
}

/// Inspects one file.
pub fn inspect_file(src: &Source, cfg: &ScanConfig, opts: &InspectOptions) -> FileInspect {
    inspect_file_settled(src, cfg, opts, None)
}

/// [`inspect_file`] with what the clocks stage settled for the file.
fn inspect_file_settled(
    src: &Source,
    cfg: &ScanConfig,
    opts: &InspectOptions,
    settled: Option<&Settled>,
) -> FileInspect {
    let (mut fi, opened, ft) = match open_and_learn(src, cfg, settled) {
        ControlFlow::Continue(o) => o,
        ControlFlow::Break(fi) => return fi,
    };
    let buf: &[u8] = &opened.bytes;
    let mut times: Vec<(DateTime<Utc>, u64)> = Vec::new();
    let mut reasons: BTreeMap<ZoneReason, u64> = BTreeMap::new();
    read_records(&mut fi, buf, &ft, opts, &mut times, &mut reasons);
    if let Some((reason, _)) = reasons
        .iter()
        .max_by_key(|(r, n)| (**n, std::cmp::Reverse(**r)))
    {
        fi.zone_reason = Some(reason_id(*reason).to_string());
    }
    if reasons.len() == 1 && reasons.contains_key(&ZoneReason::Explicit) {
        fi.zone = "explicit".into();
    }
    fi.zone_reasons = reasons
        .into_iter()
        .map(|(r, n)| (reason_id(r).to_string(), n))
        .collect();
    fi.gaps = largest_gaps(&mut times, opts.gaps);
    fi
}

/// [`inspect_file`]'s first step: opens the file and learns how its stamps are read. Breaks
/// with the file's result when it cannot be read.
fn open_and_learn(
    src: &Source,
    cfg: &ScanConfig,
    settled: Option<&Settled>,
) -> ControlFlow<FileInspect, (FileInspect, input::Opened, FileTime)> {
    let mut rule = cfg.zone_rule_for(&src.path, &src.relative);
    let mut zone_how = None;
    if let Some((z, how)) = settled.and_then(|s| s.zone.clone()) {
        rule.zone = z;
        rule.reason = ZoneReason::Inferred;
        zone_how = Some(how);
    }
    let mut fi = FileInspect {
        path: src.path.display().to_string(),
        zone: rule.zone.to_string(),
        zone_reason: Some(reason_id(rule.reason).to_string()),
        ..Default::default()
    };
    let opened = match input::open(&src.path, &cfg.input) {
        Ok(Ok(o)) => o,
        Ok(Err(skip)) => {
            let note = skip.into_note();
            fi.error = Some(note);
            return ControlFlow::Break(fi);
        }
        Err(e) => {
            fi.error = Some(e.message);
            return ControlFlow::Break(fi);
        }
    };
    fi.notes = opened.notes.clone();
    if let Some(e) = &opened.partial {
        fi.error = Some(e.message.clone());
    }
    let buf: &[u8] = &opened.bytes;
    let chunks = split_chunks(buf, cfg.chunk_size);
    let name = src
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut ft = FileTime::learn(
        buf,
        &chunks,
        &FileTimeInput {
            path: &fi.path,
            name: &name,
            mtime: opened.mtime.or(src.mtime),
            year: cfg.year,
        },
        rule,
    );
    if let Some((k, why)) = settled.and_then(|s| s.years.clone()) {
        ft.shift_years(k, why);
        let stale = format!("{}: stamps carry no year", fi.path);
        ft.notes.retain(|n| !n.starts_with(&stale));
    }
    fi.zone_inferred = zone_how;
    fi.format = ft.format().map(|f| f.id().to_string());
    fi.format_zone = ft.format().map(|f| f.zone_kind().to_string());
    fi.layouts = ft.layouts.iter().map(|l| l.to_string()).collect();
    fi.inferred = ft.inference.clone();
    fi.notes.extend(ft.notes.iter().cloned());
    ControlFlow::Continue((fi, opened, ft))
}

/// [`inspect_file`]'s pass over every line: records, their times, unparsed samples, records
/// out of order, into `fi`; each dated record's (time, line) into `times`, and the zone
/// reasons met into `reasons`.
fn read_records(
    fi: &mut FileInspect,
    buf: &[u8],
    ft: &FileTime,
    opts: &InspectOptions,
    times: &mut Vec<(DateTime<Utc>, u64)>,
    reasons: &mut BTreeMap<ZoneReason, u64>,
) {
    let mut latest: Option<DateTime<Utc>> = None;
    let mut pos = 0usize;
    let mut line_no = 0u64;
    while pos < buf.len() {
        let le = memchr::memchr(b'\n', &buf[pos..]).map_or(buf.len(), |i| pos + i);
        let raw = &buf[pos..le];
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        line_no += 1;
        let at = pos;
        pos = le + 1;
        if line.is_empty() {
            continue;
        }
        let Some((st, _)) = ft.parse_line(line) else {
            if ft.format().is_none() {
                fi.records += 1;
                fi.undated += 1;
                if opts.records {
                    fi.record_times.push(RecordTime {
                        line: line_no,
                        time: None,
                    });
                }
                if fi.unparsed_samples.len() < MAX_SAMPLES {
                    fi.unparsed_samples.push(Sample {
                        line: line_no,
                        text: clip(line),
                    });
                }
                fi.unparsed += 1;
            } else if !continuation_form(line) {
                fi.unparsed += 1;
                if fi.unparsed_samples.len() < MAX_SAMPLES {
                    fi.unparsed_samples.push(Sample {
                        line: line_no,
                        text: clip(line),
                    });
                }
            }
            continue;
        };
        fi.records += 1;
        let time = match ft.resolve(&st, at) {
            Resolved::At(t, reason) => {
                *reasons.entry(reason).or_default() += 1;
                if let (ZoneReason::Explicit, StampZone::Offset(o)) = (reason, &st.zone) {
                    *fi.offsets.entry(o.to_string()).or_default() += 1;
                }
                Some(t)
            }
            Resolved::Ambiguous(a) => {
                fi.ambiguous_lines.entry(a.clone()).or_insert(line_no);
                *fi.ambiguous.entry(a).or_default() += 1;
                None
            }
            Resolved::Undated => None,
        };
        if opts.records {
            fi.record_times.push(RecordTime {
                line: line_no,
                time,
            });
        }
        let Some(t) = time else {
            fi.undated += 1;
            continue;
        };
        fi.dated += 1;
        if fi.first.is_none() {
            fi.first = Some(t);
        }
        fi.last = Some(t);
        if let Some(l) = latest {
            if (l - t).num_milliseconds() > BACKWARD_TOLERANCE_MS {
                fi.out_of_order += 1;
                if fi.first_out_of_order.is_none() {
                    fi.first_out_of_order = Some(Backward {
                        line: line_no,
                        time: t,
                        after: l,
                    });
                }
            }
        }
        latest = Some(latest.map_or(t, |l| l.max(t)));
        times.push((t, line_no));
    }
    fi.lines = line_no;
}

/// The `n` largest holes between consecutive instants (sorted by time, so an unordered file
/// still shows real holes).
fn largest_gaps(times: &mut [(DateTime<Utc>, u64)], n: usize) -> Vec<Gap> {
    times.sort();
    let mut gaps: Vec<Gap> = times
        .windows(2)
        .filter(|w| w[1].0 > w[0].0)
        .map(|w| Gap {
            from: w[0].0,
            to: w[1].0,
            seconds: (w[1].0 - w[0].0).num_milliseconds() as f64 / 1000.0,
            line: w[1].1,
        })
        .collect();
    gaps.sort_by(|a, b| {
        b.seconds
            .partial_cmp(&a.seconds)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.line.cmp(&b.line))
    });
    gaps.truncate(n);
    gaps
}

fn human(secs: f64) -> String {
    let s = secs.round() as i64;
    match s {
        s if s < 60 => format!("{secs:.1}s"),
        s if s < 3600 => format!("{}m {:02}s", s / 60, s % 60),
        s if s < 86_400 => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
        s => format!("{}d {:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// The warnings a scan of these files would print (ambiguous zone abbreviations, notes on
/// inferred years and dates), one line each, for stderr: `--records` and JSON output have
/// no place for them.
pub fn warnings(files: &[FileInspect]) -> Vec<String> {
    let mut out = Vec::new();
    for f in files {
        for (abbr, n) in &f.ambiguous {
            let line = f.ambiguous_lines.get(abbr).copied().unwrap_or(0);
            out.push(format!(
                "{}:{line}: zone abbreviation `{abbr}` is ambiguous ({}); {n} record(s) left undated. Fix with --tz-alias {abbr}=<zone>, e.g. {}",
                f.path,
                crate::time::ambiguous_abbrev(abbr).unwrap_or("several zones"),
                crate::time::abbrev_examples(abbr)
            ));
        }
        out.extend(f.notes.iter().cloned());
    }
    out
}

/// JSON rendering.
pub fn to_json(files: &[FileInspect]) -> String {
    #[derive(Serialize)]
    struct Out<'a> {
        schema: &'static str,
        files: &'a [FileInspect],
    }
    let v = Out {
        schema: SCHEMA,
        files,
    };
    let mut s = serde_json::to_string_pretty(&v).expect("inspect serializes");
    s.push('\n');
    s
}

/// NDJSON: one `{"path","line","time"}` object per record.
pub fn to_ndjson(files: &[FileInspect]) -> String {
    #[derive(Serialize)]
    struct Rec<'a> {
        path: &'a str,
        line: u64,
        #[serde(serialize_with = "ser_opt_time")]
        time: Option<DateTime<Utc>>,
    }
    let mut o = String::new();
    for f in files {
        for r in &f.record_times {
            let v = Rec {
                path: &f.path,
                line: r.line,
                time: r.time,
            };
            o.push_str(&serde_json::to_string(&v).expect("record serializes"));
            o.push('\n');
        }
    }
    o
}

/// Text rendering: one block per file, times in UTC.
pub fn to_text(files: &[FileInspect]) -> String {
    let esc = crate::report::escape_control;
    let mut o = String::new();
    for (i, f) in files.iter().enumerate() {
        if i > 0 {
            o.push('\n');
        }
        let _ = writeln!(o, "{}", esc(&f.path));
        if let Some(e) = &f.error {
            let _ = writeln!(o, "  error      {}", esc(e));
            if f.lines == 0 {
                continue;
            }
        }
        match &f.format {
            Some(_) => {
                let _ = writeln!(
                    o,
                    "  format     {} (zone in text: {})",
                    f.layouts.join(" + "),
                    f.format_zone.as_deref().unwrap_or("-")
                );
            }
            None => {
                let _ = writeln!(
                    o,
                    "  format     none recognised: every line is an undated record"
                );
            }
        }
        let reason = match f.zone_reason.as_deref() {
            Some("explicit") => "explicit offsets in the text",
            Some("flag") => "--tz",
            Some("flag-for-file") => "--tz-for",
            Some("alias") => "abbreviation alias",
            Some("default-local") => "default: this machine's local zone (set --tz)",
            Some("tz-env") => "the TZ environment variable",
            Some("inferred") => f.zone_inferred.as_deref().unwrap_or("inferred"),
            _ => "-",
        };
        let offs = if f.offsets.is_empty() {
            String::new()
        } else {
            format!(
                "; offsets seen: {}",
                f.offsets
                    .iter()
                    .map(|(o, n)| format!("{o} ×{n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let _ = writeln!(o, "  zone       {} ({reason}){offs}", f.zone);
        if let Some(inf) = &f.inferred {
            let _ = writeln!(o, "  inferred   {} (from {})", inf.detail, inf.source);
        }
        let _ = writeln!(
            o,
            "  records    {} in {} lines: {} dated, {} undated",
            f.records, f.lines, f.dated, f.undated
        );
        for (abbr, n) in &f.ambiguous {
            let _ = writeln!(
                o,
                "  ambiguous  `{abbr}` on {n} record(s): fix with {}",
                crate::time::abbrev_examples(abbr)
            );
        }
        if let (Some(a), Some(b)) = (f.first, f.last) {
            let _ = writeln!(
                o,
                "  span       {} → {} (first → last record, UTC)",
                rfc3339(a),
                rfc3339(b)
            );
        }
        for (k, g) in f.gaps.iter().enumerate() {
            let _ = writeln!(
                o,
                "  {}   {:>8} before line {} ({} → {})",
                if k == 0 { "gaps    " } else { "        " },
                human(g.seconds),
                g.line,
                rfc3339(g.from),
                rfc3339(g.to)
            );
        }
        match &f.first_out_of_order {
            None if f.dated > 1 => {
                let _ = writeln!(o, "  order      in order");
            }
            None => {}
            Some(b) => {
                let _ = writeln!(
                    o,
                    "  order      {} record(s) go back in time by more than 1s; first at line {}: {} after {}",
                    f.out_of_order,
                    b.line,
                    rfc3339(b.time),
                    rfc3339(b.after)
                );
            }
        }
        if f.unparsed > 0 {
            let _ = writeln!(
                o,
                "  unparsed   {} line(s) neither stamped nor a continuation form, e.g.",
                f.unparsed
            );
            for s in &f.unparsed_samples {
                let _ = writeln!(o, "             {}: {}", s.line, esc(&s.text));
            }
        }
        for n in &f.notes {
            let _ = writeln!(o, "  note       {}", esc(n));
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_forms() {
        for l in [
            "\tat java.net.DualStackPlainSocketImpl.connect0(Native Method)",
            "Caused by: java.net.SocketException: No buffer space available",
            "\t... 158 common frames omitted",
            "com.netflix.zuul.exception.ZuulException: Forwarding error",
            "INFO: I/O exception (java.net.SocketException) caught",
            "严重: Servlet.service() threw exception",
            "! Causing: javax.net.ssl.SSLHandshakeException: x",
            "Traceback (most recent call last):",
        ] {
            assert!(continuation_form(l.as_bytes()), "{l}");
        }
        for l in [
            "AH00558: httpd: Could not reliably determine",
            "hello world",
        ] {
            assert!(!continuation_form(l.as_bytes()), "{l}");
        }
    }

    #[test]
    fn gaps_are_sorted_largest_first() {
        let t = |s: i64| DateTime::from_timestamp(1_566_374_400 + s, 0).unwrap();
        let mut times = vec![(t(0), 1), (t(10), 2), (t(3610), 3), (t(3620), 4), (t(5), 5)];
        let g = largest_gaps(&mut times, 2);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].seconds, 3600.0);
        assert_eq!(g[0].line, 3);
        assert_eq!(g[1].seconds, 10.0);
    }
}

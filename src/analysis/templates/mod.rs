//! Template mining: unknown error messages → templates with stable ids.
//!
//! Input: messages (the head line of a log record with its timestamp/level/thread/logger
//! prefix stripped, see [`strip_prefix`]). Output: a [`Clustering`]: one template per group
//! of messages that differ only in their variable parts, and for each message its template.
//!
//! How (one built-in configuration, no per-dataset tuning):
//! 1. **Mask** ([`mask()`]): numbers, hex ids, UUIDs, IPv4/IPv6 addresses (with ports), paths,
//!    URLs, e-mail addresses and quoted values become `<*>`; a token keeps its letters and
//!    punctuation (`blk_-6330812010936261924` → `blk_<*>`, `taskID[2019352994]` →
//!    `taskID[<*>]`), so exception class names and identifiers survive. Runs of masked
//!    pieces joined by `.`, `:`, `-`, `/`, ... collapse into one `<*>` (`10.0.0.1:8080`).
//! 2. **Deduplicate**: identical masked messages share one key (a hash map, per chunk of
//!    messages, merged in input order). This is the per-line cost; everything after runs
//!    once per distinct masked message. Most messages are not masked at all: masking does
//!    not depend on which digit a byte is, so a message that differs from one masked
//!    recently only in digits masking drops (ids, addresses, sizes, times) takes that
//!    one's key from a small per-thread memo (see [`Distinct::add`]). What is left per
//!    line is prefix stripping, the memo's hash and compare, and masking the rest; token
//!    ends come from a whitespace bitmask of 64 bytes at a time (`WsScan`).
//! 3. **Cluster** the distinct masked messages, weighted by count, in a deterministic order:
//!    messages are grouped by token count; within a group, a token is a *constant* when it
//!    is frequent at its position (the "longest common pattern" idea of Brain, Yu et al.
//!    2023): each message's constants are the tokens that share its most common
//!    (position, token) frequency; messages with the same constants form a cluster, and
//!    clusters whose templates differ in a single column holding many distinct values are
//!    merged (that column is a variable). See [`cluster`] for the exact rules.
//! 4. **Ids**: a template's id is a 64-bit FNV-1a hash of its text, printed as 16 hex
//!    digits: the same text gets the same id on every run, for `-j1` and `-j8`.
//!
//! Files: `mine.rs` (3 and [`mine()`], the whole path). Steps 1, 2 and 4 (`mask.rs`,
//! `distinct.rs`, `hash.rs`) are record work, in `crate::record`, beside prefix stripping
//! ([`strip_prefix`]) and the byte classes: the scan summarises unknown records by their
//! masked message as it meets them (`crate::scan`'s `unknown.rs`), and a stage may only
//! import the stages below it. This file: the templates of those summaries ([`analyze`]),
//! with what the rate detector (`analysis::detect`) reads of them: each template's record
//! times ([`Point`]s) and per-file counts per UTC minute; the bursts are the detector's
//! (template windows inside incidents), their evidence read back from the summaries
//! ([`window_firsts`]).

mod mine;

pub use crate::record::distinct::Distinct;
pub use crate::record::hash::{fnv1a64, template_id, FxHashMap, FxHasher};
pub use crate::record::mask::{mask, mask_str, WILDCARD};
pub use crate::record::{exception_class, strip_prefix};
pub use mine::{cluster, mine, Clustering};

use crate::record::level::{Level, LevelRecord};
use crate::scan::{record_key, Shape, Unknown};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------------------
// Unknown errors: templates of the level records no signature matched.

/// One template of unknown error/warning records, with its statistics.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    /// `template:` + 16 hex digits of FNV-1a over `text` (see [`template_id`]).
    pub id: String,
    /// The template: masked message tokens, `[exception class]` last when the record
    /// named one.
    pub text: String,
    /// Most severe level among its records.
    pub level: Level,
    /// The exception class its records name (deepest `Caused by:`), if any.
    pub exception: Option<String>,
    /// Records.
    pub count: u64,
    /// Records without a usable time.
    pub undated: u64,
    /// Earliest record time.
    pub first: Option<DateTime<Utc>>,
    /// Latest record time.
    pub last: Option<DateTime<Utc>>,
    /// Services with records, sorted.
    pub services: Vec<String>,
    /// The first record (in [`crate::scan::record_key`] order): the example line.
    pub example: LevelRecord,
}

/// A burst: a window in which one template fired far above its own rate, inside an
/// incident (found by `analysis::detect`, which treats templates as signals).
#[derive(Clone, Debug, PartialEq)]
pub struct Burst {
    /// Template index.
    pub template: usize,
    /// First record time in the window.
    pub start: DateTime<Utc>,
    /// Last record time in the window.
    pub end: DateTime<Utc>,
    /// Records of the template in the window (with a kept time).
    pub count: u64,
    /// Those records (indices into [`Analysis::points`]), in time order.
    pub records: Vec<usize>,
    /// The earliest record of each file in the window, in record order, as the summary
    /// kept them ([`window_firsts`]): the evidence.
    pub firsts: Vec<LevelRecord>,
    /// Records of the template outside the window.
    pub background: u64,
}

/// One dated unknown record as the detector reads it: its time, file and template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Point {
    /// Record time.
    pub time: DateTime<Utc>,
    /// File index.
    pub file: u32,
    /// Record head offset (order only).
    pub record: u64,
    /// Template index.
    pub template: u32,
}

/// Templates of one scan and what the detector reads of them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Analysis {
    /// Templates, ordered by first time (undated last), then id.
    pub templates: Vec<Template>,
    /// Bursts by start time, then template (filled from the detector's windows).
    pub bursts: Vec<Burst>,
    /// Each shape's template, shapes in `Unknown::sorted` order.
    pub of_shape: Vec<u32>,
    /// The kept record times ([`crate::scan::Shape::times`]), sorted by time, file and record
    /// (the order of the unknown records when they were kept whole): a template window's
    /// members index them.
    pub points: Vec<Point>,
    /// Records per (template, file, UTC minute), every dated record: from the times, or
    /// from the buckets (each inside one minute) when `--max-hits` cut the times.
    pub minutes: Vec<(u32, u32, i64, u32)>,
}

/// The message mined for a record: its message, plus `[exception class]` when the record
/// names one that the message does not already show.
pub fn record_message(r: &LevelRecord) -> std::borrow::Cow<'_, str> {
    crate::scan::record_message(r)
}

/// Mines the templates of the scan's summary of unknown records (one [`Shape`] per distinct
/// masked message, `crate::scan::Unknown`). Their bursts are found by the rate detector
/// (`analysis::detect`), which counts each template per service and minute like a catalog
/// signature ([`Analysis::minutes`], [`Analysis::points`]); `bursts` is empty here.
pub fn analyze<'s>(unknown: &Unknown, service_of: &dyn Fn(u32) -> &'s str) -> Analysis {
    // In the order of their first records: the order the miner met messages in when every
    // record was kept (template numbering only; the result does not depend on it).
    let shapes = unknown.sorted();
    let mut d = Distinct::new();
    for (key, s) in &shapes {
        d.add_masked(key, s.count);
    }
    let clustering = cluster(&d);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); clustering.templates.len()];
    for i in 0..shapes.len() {
        members[clustering.of_key[i] as usize].push(i);
    }
    let mut templates: Vec<(Template, Vec<usize>)> = members
        .into_iter()
        .enumerate()
        .filter(|(_, m)| !m.is_empty())
        .map(|(t, m)| {
            let ss: Vec<&Shape> = m.iter().map(|&i| shapes[i].1).collect();
            (
                template_of(clustering.templates[t].clone(), &ss, service_of),
                m,
            )
        })
        .collect();
    templates.sort_by(|(a, _), (b, _)| {
        (a.first.is_none(), a.first, &a.id).cmp(&(b.first.is_none(), b.first, &b.id))
    });
    let mut of_shape = vec![0u32; shapes.len()];
    for (t, (_, m)) in templates.iter().enumerate() {
        for &i in m {
            of_shape[i] = t as u32;
        }
    }
    let mut points: Vec<Point> = Vec::new();
    let mut minutes: BTreeMap<(u32, u32, i64), u32> = BTreeMap::new();
    let complete = unknown.complete();
    for (i, (_, s)) in shapes.iter().enumerate() {
        let t = of_shape[i];
        for &(ms, file, record) in &s.times.0 {
            let Some(time) = DateTime::from_timestamp_millis(ms) else {
                continue;
            };
            points.push(Point {
                time,
                file,
                record,
                template: t,
            });
            if complete {
                *minutes
                    .entry((t, file, time.timestamp().div_euclid(60)))
                    .or_default() += 1;
            }
        }
        if !complete {
            // A bucket lies inside one minute as scanned (a divisor of a minute wide); a
            // re-timed file's buckets count at their first record's minute, as the scan's
            // other per-minute counts move (`analysis::clock`).
            for b in &s.buckets {
                let n = u32::try_from(b.count).unwrap_or(u32::MAX);
                let e = minutes
                    .entry((t, b.file, b.first.timestamp().div_euclid(60)))
                    .or_default();
                *e = e.saturating_add(n);
            }
        }
    }
    points.sort_unstable_by_key(|p| (p.time, p.file, p.record));
    Analysis {
        templates: templates.into_iter().map(|(t, _)| t).collect(),
        bursts: Vec::new(),
        of_shape,
        points,
        minutes: minutes
            .into_iter()
            .map(|((t, f, m), n)| (t, f, m, n))
            .collect(),
    }
}

/// The template `text` of `shapes`, with their statistics summed.
fn template_of<'s>(
    text: String,
    shapes: &[&Shape],
    service_of: &dyn Fn(u32) -> &'s str,
) -> Template {
    // Borrowed, then owned once per service.
    let mut services: Vec<&str> = shapes
        .iter()
        .flat_map(|s| s.files.iter().map(|x| service_of(x.file)))
        .collect();
    services.sort_unstable();
    services.dedup();
    let mut exceptions: std::collections::BTreeMap<&str, u64> = Default::default();
    for s in shapes {
        for (e, n) in &s.exceptions {
            *exceptions.entry(e).or_default() += n;
        }
    }
    // The most common (ties: the first in sorted order).
    let exception = exceptions
        .iter()
        .fold(None::<(&str, u64)>, |best, (&e, &n)| match best {
            Some((_, b)) if b >= n => best,
            _ => Some((e, n)),
        })
        .map(|(e, _)| e.to_string());
    let example = shapes
        .iter()
        .map(|s| s.example())
        .min_by_key(|r| record_key(r))
        .expect("a template has shapes")
        .clone();
    Template {
        id: format!("template:{}", template_id(&text)),
        level: if shapes.iter().any(|s| s.errors > 0) {
            Level::Error
        } else {
            Level::Warning
        },
        exception,
        count: shapes.iter().map(|s| s.count).sum(),
        undated: shapes.iter().map(|s| s.undated).sum(),
        first: shapes.iter().filter_map(|s| s.first()).min(),
        last: shapes.iter().filter_map(|s| s.last()).max(),
        services: services.into_iter().map(str::to_string).collect(),
        example,
        text,
    }
}

/// The evidence of template `t`'s window `start..=end` in `files`: per file, the earliest
/// record of the window the summary kept, in record order. A bucket keeps its first record
/// while it starts a run of its shape in its file ([`crate::scan::Bucket::head`]): a window
/// that starts inside a run shows the record that started it (the same message, moments
/// before); a file whose window records have no bucket shows its shape's earliest record.
pub fn window_firsts(
    unknown: &Unknown,
    analysis: &Analysis,
    t: u32,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    files: &[u32],
) -> Vec<LevelRecord> {
    let shapes = unknown.sorted();
    let mut best: BTreeMap<u32, (bool, DateTime<Utc>, &LevelRecord)> = BTreeMap::new();
    for (i, (_, s)) in shapes.iter().enumerate() {
        if analysis.of_shape.get(i) != Some(&t) {
            continue;
        }
        for b in &s.buckets {
            let Some(h) = b.head.as_deref() else { continue };
            if !files.contains(&b.file) || b.first > end || b.last < start - unknown_gap(unknown) {
                continue;
            }
            // Inside the window first (earliest), else the latest run start before it.
            let inside = b.first >= start;
            let e = best.entry(b.file).or_insert((inside, b.first, h));
            let better = match (inside, e.0) {
                (true, false) => true,
                (true, true) => (b.first, h.record) < (e.1, e.2.record),
                (false, false) => (b.first, h.record) > (e.1, e.2.record),
                (false, true) => false,
            };
            if better {
                *e = (inside, b.first, h);
            }
        }
    }
    let mut out: Vec<LevelRecord> = best.into_values().map(|(_, _, r)| r.clone()).collect();
    for &f in files {
        if out.iter().any(|r| r.file == f) {
            continue;
        }
        let ex = shapes
            .iter()
            .enumerate()
            .filter(|(i, _)| analysis.of_shape.get(*i) == Some(&t))
            .flat_map(|(_, (_, s))| s.files.iter().filter(|x| x.file == f))
            .map(|x| &x.example)
            .min_by_key(|r| record_key(r));
        out.extend(ex.cloned());
    }
    out.sort_by_key(record_key);
    out.dedup_by_key(|r| record_key(r));
    out
}

/// The gap that separates runs in `unknown`.
fn unknown_gap(unknown: &Unknown) -> chrono::Duration {
    chrono::Duration::milliseconds(unknown.gap_ms)
}

#[cfg(test)]
mod summary_tests;

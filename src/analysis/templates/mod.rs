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
//! Files: `mask.rs` (step 1), `distinct.rs` (2), `mine.rs` (3 and [`mine()`], the whole
//! path), `hash.rs` (4 and the maps' hasher). This file: the templates of the unknown
//! error/warning records ([`analyze`]); their bursts are the rate detector's
//! (`analysis::detect`). Prefix stripping
//! ([`strip_prefix`]) and the byte classes are record work, in `crate::record`.

mod distinct;
mod hash;
mod mask;
mod mine;

pub use crate::record::{exception_class, strip_prefix};
pub use distinct::Distinct;
pub use hash::{fnv1a64, template_id, FxHashMap, FxHasher};
pub use mask::{mask, mask_str, WILDCARD};
pub use mine::{cluster, mine, Clustering};

use crate::record::level::{Level, LevelRecord};
use chrono::{DateTime, Utc};

// ---------------------------------------------------------------------------------------
// Unknown errors: templates of the level records no signature matched, and their bursts.

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
    /// The first record (index into the record list): the example line.
    pub example: usize,
    /// Its records (indices into the record list), in record order.
    pub records: Vec<usize>,
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
    /// Error records of the template in the window (indices into the record list).
    pub records: Vec<usize>,
    /// Error records of the template outside the window.
    pub background: u64,
}

/// Templates and bursts of one scan.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Analysis {
    /// Templates, ordered by first time (undated last), then id.
    pub templates: Vec<Template>,
    /// For each record, its template index.
    pub of_record: Vec<u32>,
    /// Bursts by start time, then template.
    pub bursts: Vec<Burst>,
}

/// The message mined for a record: its message, plus `[exception class]` when the record
/// names one that the message does not already show.
pub fn record_message(r: &LevelRecord) -> std::borrow::Cow<'_, str> {
    match &r.exception {
        Some(e) if !r.message().contains(&**e) => format!("{} [{}]", r.message(), e).into(),
        _ => std::borrow::Cow::Borrowed(r.message()),
    }
}

/// Mines the templates of `records` (sorted as [`crate::scan::ScanOutput::unknown`]).
/// Their bursts are found by the rate detector (`analysis::detect`), which counts each
/// template per service and minute like a catalog signature; `bursts` is empty here.
pub fn analyze<'s>(records: &[LevelRecord], service_of: &dyn Fn(u32) -> &'s str) -> Analysis {
    // Borrowed where the message is the record's own (most): no second copy of every
    // message in memory (350,000 nginx warnings in the bench corpus were ~90 MB of copies).
    let messages: Vec<std::borrow::Cow<'_, str>> = records.iter().map(record_message).collect();
    let views: Vec<&[u8]> = messages.iter().map(|m| m.as_bytes()).collect();
    let (clustering, assign) = mine(&views);
    let templates = templates_of(records, service_of, &clustering, &assign);
    let mut of_record = vec![0u32; records.len()];
    for (t, tpl) in templates.iter().enumerate() {
        for &i in &tpl.records {
            of_record[i] = t as u32;
        }
    }
    Analysis {
        templates,
        of_record,
        bursts: Vec::new(),
    }
}

/// The templates of `records` from their clustering (`assign`: each record's template),
/// with their statistics, ordered by first time (undated last), then id.
fn templates_of<'s>(
    records: &[LevelRecord],
    service_of: &dyn Fn(u32) -> &'s str,
    clustering: &Clustering,
    assign: &[u32],
) -> Vec<Template> {
    // Per clustered template: its records.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); clustering.templates.len()];
    for (i, &t) in assign.iter().enumerate() {
        members[t as usize].push(i);
    }
    let mut templates: Vec<Template> = Vec::new();
    for (t, recs) in members.into_iter().enumerate() {
        if recs.is_empty() {
            continue;
        }
        let text = clustering.templates[t].clone();
        // Borrowed, then owned once per service (a string per record was 35,000
        // allocations for the bench's small files).
        let mut services: Vec<&str> = recs.iter().map(|&i| service_of(records[i].file)).collect();
        services.sort_unstable();
        services.dedup();
        let services: Vec<String> = services.into_iter().map(str::to_string).collect();
        let mut exceptions: Vec<&str> = recs
            .iter()
            .filter_map(|&i| records[i].exception.as_deref())
            .collect();
        exceptions.sort_unstable();
        let exception = most_common(&exceptions).map(str::to_string);
        let times = recs.iter().filter_map(|&i| records[i].time);
        templates.push(Template {
            id: format!("template:{}", template_id(&text)),
            level: recs
                .iter()
                .map(|&i| records[i].level)
                .min()
                .expect("records"),
            exception,
            count: recs.len() as u64,
            undated: recs.iter().filter(|&&i| records[i].time.is_none()).count() as u64,
            first: times.clone().min(),
            last: times.max(),
            services,
            example: recs[0],
            records: recs,
            text,
        });
    }
    templates.sort_by(|a, b| {
        (a.first.is_none(), a.first, &a.id).cmp(&(b.first.is_none(), b.first, &b.id))
    });
    templates
}

/// The most common value of a sorted slice (ties: the first).
fn most_common<'a>(sorted: &[&'a str]) -> Option<&'a str> {
    let mut best: Option<(&str, usize)> = None;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j] == sorted[i] {
            j += 1;
        }
        if best.is_none_or(|(_, n)| j - i > n) {
            best = Some((sorted[i], j - i));
        }
        i = j;
    }
    best.map(|(s, _)| s)
}

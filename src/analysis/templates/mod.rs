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
//! import the stages below it. This file: the templates of those summaries and their
//! bursts ([`analyze`]).

mod mine;

pub use crate::record::distinct::Distinct;
pub use crate::record::hash::{fnv1a64, template_id, FxHashMap, FxHasher};
pub use crate::record::mask::{mask, mask_str, WILDCARD};
pub use crate::record::{exception_class, strip_prefix};
pub use mine::{cluster, mine, Clustering};

use crate::record::level::{Level, LevelRecord};
use crate::scan::{record_key, Bucket, Shape, Unknown};
use chrono::{DateTime, Utc};

// ---------------------------------------------------------------------------------------
// Unknown errors: templates of the level records no signature matched, and their bursts.

/// Default `--burst-min`: records of one template that make a burst.
pub const DEFAULT_BURST_MIN: usize = 5;
/// A burst's rate must be at least this many times the template's rate in the rest of the
/// scanned span (and, for a chronically clumpy template, its median clump rate).
pub const BURST_RATE_FACTOR: f64 = 10.0;
/// A template with at least this many clumps (windows of `--burst-min` records) clumps
/// habitually: its bursts must also stand out against its median clump (see [`analyze`]).
/// Meant as "more than a few": a handful of floods of an otherwise quiet error are each
/// news (the unknown-errors fixture has 3, so it must be at least 4); from 5 on, the median
/// clump is a usual clump. Not fitted to loghub: every value from 4 to 37 gives the same
/// loghub results (Apache's chronic template has 37 clumps, the other systems' bursting
/// templates at most 3).
pub const CHRONIC_CLUMPS: usize = 5;

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

/// A burst: a window in which one error-level template fired far above its own rate.
#[derive(Clone, Debug, PartialEq)]
pub struct Burst {
    /// Template index.
    pub template: usize,
    /// First record time in the window.
    pub start: DateTime<Utc>,
    /// Last record time in the window.
    pub end: DateTime<Utc>,
    /// Error records of the template in the window.
    pub count: u64,
    /// The earliest record of each file in the window, in record order (the first is the
    /// window's first record): the evidence.
    pub firsts: Vec<LevelRecord>,
    /// Error records of the template outside the window.
    pub background: u64,
}

/// Templates and bursts of one scan.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Analysis {
    /// Templates, ordered by first time (undated last), then id.
    pub templates: Vec<Template>,
    /// Bursts by start time, then template.
    pub bursts: Vec<Burst>,
}

/// The message mined for a record: its message, plus `[exception class]` when the record
/// names one that the message does not already show.
pub fn record_message(r: &LevelRecord) -> std::borrow::Cow<'_, str> {
    crate::scan::record_message(r)
}

/// Mines the templates of the scan's summary of unknown records (one [`Shape`] per distinct
/// masked message, `crate::scan::Unknown`) and finds their bursts.
///
/// Burst rule, per error-level template: its dated error records chain into windows while
/// consecutive records are less than `gap` apart. A window is a burst when
/// 1. it holds at least `burst_min` records, and
/// 2. its rate, records / max(window length, `gap`), is at least [`BURST_RATE_FACTOR`]
///    times the template's rate in the rest of the scanned span (`span`): records outside
///    the window / (span − max(window length, gap)); a template never seen outside the
///    window has rate 0 there, and
/// 3. the rest of the span is at least as long as the window (a template that fires all
///    through the logs has no quieter baseline to burst from: that is its usual rate), and
/// 4. it stands out against the template's own clumps: a *clump* is any of its windows
///    holding at least `burst_min` records (this one included). A template with at least
///    [`CHRONIC_CLUMPS`] clumps clumps habitually, and then a window must also have at least
///    [`BURST_RATE_FACTOR`] times the median clump rate (rates as in 2). With fewer clumps
///    rule 4 holds for every window.
///
/// So an error that recurs at its usual rate, however often, never bursts; the same error
/// arriving five times in a minute after hours of one an hour does. Rule 4 is for errors
/// whose usual rate is itself clumpy (Apache's `mod_jk child workerEnv in error state <*>`
/// arrives in dozens of 5–30-record clumps through a day and a half): against the rest of
/// the span every clump looks like a burst, but a clump like the template's other clumps is
/// its normal behaviour, not an outage; only a clump far above them is.
///
/// The windows are read from the shapes' time buckets (`Bucket`), each at most `gap` wide:
/// the records of a bucket always chain, so the windows are those of the records (a
/// `gap` shorter than the bucket width of the summary, possible only when merging partials
/// of runs with different `--gap`, chains each bucket whole).
pub fn analyze<'s>(
    unknown: &Unknown,
    service_of: &dyn Fn(u32) -> &'s str,
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    gap: chrono::Duration,
    burst_min: usize,
) -> Analysis {
    // In the order of their first records: the order the miner met messages in when every
    // record was kept (template numbering only; the result does not depend on it).
    let shapes = unknown.sorted();
    let mut d = Distinct::new();
    for (key, s) in &shapes {
        d.add_masked(key, s.count);
    }
    let clustering = cluster(&d);
    let mut members: Vec<Vec<&Shape>> = vec![Vec::new(); clustering.templates.len()];
    for (i, (_, s)) in shapes.iter().enumerate() {
        members[clustering.of_key[i] as usize].push(s);
    }
    let mut templates: Vec<(Template, Vec<&Shape>)> = members
        .into_iter()
        .enumerate()
        .filter(|(_, m)| !m.is_empty())
        .map(|(t, m)| {
            (
                template_of(clustering.templates[t].clone(), &m, service_of),
                m,
            )
        })
        .collect();
    templates.sort_by(|(a, _), (b, _)| {
        (a.first.is_none(), a.first, &a.id).cmp(&(b.first.is_none(), b.first, &b.id))
    });
    let mut bursts = Vec::new();
    if let Some((s0, s1)) = span {
        let span_len = (s1 - s0).max(chrono::Duration::zero());
        for (t, (tpl, m)) in templates.iter().enumerate() {
            if tpl.level == Level::Error {
                template_bursts(m, t, span_len, gap, burst_min, &mut bursts);
            }
        }
    }
    bursts.sort_by_key(|b| (b.start, b.template));
    Analysis {
        templates: templates.into_iter().map(|(t, _)| t).collect(),
        bursts,
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

/// Pushes the bursts of template `t` (its `shapes`) to `bursts`: the rules are in
/// [`analyze`]; `span_len` is the length of the scanned span.
fn template_bursts(
    shapes: &[&Shape],
    t: usize,
    span_len: chrono::Duration,
    gap: chrono::Duration,
    burst_min: usize,
    bursts: &mut Vec<Burst>,
) {
    let mut buckets: Vec<&Bucket> = shapes.iter().flat_map(|s| &s.buckets).collect();
    let errs: u64 = buckets.iter().map(|b| b.count).sum();
    if errs < burst_min as u64 {
        return;
    }
    // Windows, swept in order of the buckets' first records: a bucket joins the window when
    // its first record is less than `gap` after the latest record so far (then the record
    // before it in time is that one, or later and closer); inside a bucket records are
    // less than `gap` apart. Also right when the clock stage moved one file's buckets
    // against another's.
    buckets.sort_by_key(|b| (b.first, b.file, b.at));
    let mut windows: Vec<Window> = Vec::new();
    for (i, b) in buckets.iter().enumerate() {
        match windows.last_mut() {
            Some(w) if b.first - w.end < gap => {
                w.to = i + 1;
                w.count += b.count;
                w.end = w.end.max(b.last);
            }
            _ => windows.push(Window {
                from: i,
                to: i + 1,
                count: b.count,
                start: b.first,
                end: b.last,
            }),
        }
    }
    // records / max(window length, gap), per millisecond.
    let rate = |w: &Window| {
        let window = (w.end - w.start).max(gap);
        w.count as f64 / window.num_milliseconds().max(1) as f64
    };
    let mut clump_rates: Vec<f64> = windows
        .iter()
        .filter(|w| w.count >= burst_min as u64)
        .map(rate)
        .collect();
    // Rule 4: the median clump rate a burst must stand out against (0: the template
    // clumps too rarely for its clumps to be its usual behaviour).
    let usual_clump_rate = if clump_rates.len() >= CHRONIC_CLUMPS {
        clump_rates.sort_by(f64::total_cmp);
        clump_rates[(clump_rates.len() - 1) / 2]
    } else {
        0.0
    };
    for w in &windows {
        let window = (w.end - w.start).max(gap);
        let rest = span_len - window;
        let background = errs - w.count;
        if w.count >= burst_min as u64 && rest >= window {
            let rate_in = rate(w);
            let rate_out = background as f64 / rest.num_milliseconds().max(1) as f64;
            if rate_in >= BURST_RATE_FACTOR * rate_out
                && rate_in >= BURST_RATE_FACTOR * usual_clump_rate
            {
                bursts.push(Burst {
                    template: t,
                    start: w.start,
                    end: w.end,
                    count: w.count,
                    firsts: firsts(&buckets[w.from..w.to]),
                    background,
                });
            }
        }
    }
}

/// A window of error records: buckets `from..to` (sorted by first record), their records,
/// first and last time.
struct Window {
    from: usize,
    to: usize,
    count: u64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

/// The earliest record of each file among `buckets`, in record order. It starts a run of
/// its shape in its file, so its bucket kept it (`crate::scan::Bucket::head`).
fn firsts(buckets: &[&Bucket]) -> Vec<LevelRecord> {
    let mut by_file: std::collections::BTreeMap<u32, &Bucket> = Default::default();
    for &b in buckets {
        let e = by_file.entry(b.file).or_insert(b);
        let key = |x: &Bucket| (x.first, x.head.as_ref().map_or(u64::MAX, |h| h.record));
        if key(b) < key(e) {
            *e = b;
        }
    }
    let mut out: Vec<LevelRecord> = by_file
        .into_values()
        .filter_map(|b| b.head.as_deref().cloned())
        .collect();
    out.sort_by_key(record_key);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Error records of one template (`worker <n> stalled`), one per offset in seconds from
    /// 2019-08-21 00:00:00 UTC.
    fn stalled_records(secs: &[i64]) -> Vec<LevelRecord> {
        let t0 = DateTime::parse_from_rfc3339("2019-08-21T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        secs.iter()
            .enumerate()
            .map(|(i, &s)| LevelRecord {
                file: 0,
                record: i as u64 * 100,
                line: i as u64 + 1,
                level: Level::Error,
                time: Some(t0 + chrono::Duration::seconds(s)),
                message: crate::record::level::Message::Own(
                    format!("worker {} stalled", 1000 + i).into(),
                ),
                exception: None,
                head: "".into(),
            })
            .collect()
    }

    /// Bursts of `stalled_records(secs)` over one day, gap 2 min, burst-min 5.
    fn day_bursts(secs: &[i64]) -> Vec<Burst> {
        let recs = stalled_records(secs);
        let t0 = DateTime::parse_from_rfc3339("2019-08-21T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let span = Some((t0, t0 + chrono::Duration::hours(24)));
        let mut u = Unknown::new(chrono::Duration::minutes(2));
        for r in recs {
            u.add(r);
        }
        let a = analyze(
            &u,
            &|_| "svc",
            span,
            chrono::Duration::minutes(2),
            DEFAULT_BURST_MIN,
        );
        assert_eq!(a.templates.len(), 1, "{:?}", a.templates);
        a.bursts
    }

    /// `n` records 10 s apart from `at` seconds.
    fn clump(at: i64, n: i64) -> impl Iterator<Item = i64> {
        (0..n).map(move |i| at + 10 * i)
    }

    #[test]
    fn a_chronically_clumpy_template_does_not_burst() {
        // A clump of 6 records in 50 s every hour all day. Each clump alone passes rules
        // 1-3 (6 per 2 min against 138 in the rest of the day is over 30x), but 24 alike
        // clumps are the template's usual behaviour.
        let secs: Vec<i64> = (0..24).flat_map(|h| clump(h * 3600 + 600, 6)).collect();
        assert_eq!(day_bursts(&secs), vec![]);
    }

    #[test]
    fn a_clump_far_above_the_usual_clumps_bursts() {
        // The same hourly clumps, and at 12:30 one of 120 records in 119 s: 20x the
        // median clump rate (both windows are shorter than the gap).
        let mut secs: Vec<i64> = (0..24).flat_map(|h| clump(h * 3600 + 600, 6)).collect();
        secs.extend((0..120).map(|i| 12 * 3600 + 1800 + i));
        secs.sort_unstable();
        let bursts = day_bursts(&secs);
        assert_eq!(bursts.len(), 1, "{bursts:?}");
        assert_eq!(bursts[0].count, 120);
        assert_eq!(bursts[0].background, 24 * 6);
    }

    #[test]
    fn a_few_clumps_of_a_quiet_template_all_burst() {
        // Below CHRONIC_CLUMPS clumps, every clump that passes rules 1-3 is a burst, alike
        // or not: four floods of 7 among one sporadic record every 3 hours.
        let mut secs: Vec<i64> = (0..8).map(|k| k * 3 * 3600 + 1234).collect();
        for h in [3, 9, 14, 20] {
            secs.extend(clump(h * 3600, 7));
        }
        secs.sort_unstable();
        assert_eq!(CHRONIC_CLUMPS, 5, "the test places one clump fewer");
        let bursts = day_bursts(&secs);
        assert_eq!(bursts.len(), 4, "{bursts:?}");
        assert!(bursts.iter().all(|b| b.count == 7));
    }
}

#[cfg(test)]
mod summary_tests;

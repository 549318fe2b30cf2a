//! Traffic: from access logs read as fields, requests and failures per incident vs the
//! baseline outside, the URL paths that failed most, the upstreams behind the failures and
//! the proxy flags, each explained.
//!
//! Input: the scan output (each access log's [`FileTraffic`](crate::evidence::access::FileTraffic):
//! per-minute requests, failures, client-closed requests, latency histograms and top lists;
//! see `evidence::access`), the clusters and the layouts (for what a flag means). Output:
//! [`Traffic`], `None` without an access log. Failures are what the parsed status says (5xx,
//! or no status and a server-failure flag), never a regex over the line; 499s and other
//! client-closed requests are counted apart and are not failures. Each incident is measured
//! over the minutes it touches; the baseline is every other minute of the access logs'
//! span, counted without walking it (stamps years apart would mean billions of minutes).
//! Slowness windows come from `analysis::impact`.

use crate::analysis::impact::{slow_windows, SlowWindow};
use crate::analysis::incidents::{minute_range, Clusters};
use crate::analysis::rates::round;
use crate::evidence::access::{Histogram, Layouts, MinuteTraffic, TopK};
use crate::scan::ScanOutput;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Traffic: URL paths (and upstreams, flags) listed per incident.
pub const TOP_PATHS: usize = 5;

/// Requests from access logs.
#[derive(Serialize, Debug, Clone)]
pub struct Traffic {
    /// Access logs read (files whose lines a layout reads, with dated requests).
    pub files: Vec<String>,
    /// Dated requests.
    pub requests: u64,
    /// Failed requests (5xx, or no status and a server-failure flag).
    pub errors: u64,
    /// Outside incident minutes.
    pub baseline: Rate,
    /// Per incident, over the minutes it touches.
    pub incidents: Vec<IncidentTraffic>,
    /// Failed requests during incidents (the "failed requests" of the impact).
    pub failed_requests: u64,
    /// Paths with the most failures during incidents.
    pub top_paths: Vec<PathCount>,
    /// Windows where an access log's p99 latency jumped well above its own baseline
    /// (`analysis::impact`), with the incidents they overlap.
    pub slow: Vec<SlowWindow>,
}

/// A request rate.
#[derive(Serialize, Debug, Clone, Default)]
pub struct Rate {
    /// Minutes.
    pub minutes: i64,
    /// Requests.
    pub requests: u64,
    /// Failed requests.
    pub errors: u64,
    /// Requests per minute.
    pub requests_per_minute: f64,
    /// Failures per minute.
    pub errors_per_minute: f64,
    /// errors / requests.
    pub error_rate: f64,
    /// Requests whose client went away (499 and the like): not failures.
    pub client_closed: u64,
    /// Median and 99th percentile duration in ms, where the layouts have a duration.
    pub duration_ms: Option<Quantiles>,
}

/// Duration quantiles in milliseconds (from a histogram: within ±6.25 %).
#[derive(Serialize, Debug, Clone, Copy, PartialEq)]
pub struct Quantiles {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
}

impl Quantiles {
    /// The quantiles of a histogram (`None` when it is empty), rounded to 0.1 ms.
    pub fn of(h: &Histogram) -> Option<Quantiles> {
        Some(Quantiles {
            p50: round(h.quantile_ms(0.5)?, 1),
            p99: round(h.quantile_ms(0.99)?, 1),
        })
    }
}

/// Traffic during one incident.
#[derive(Serialize, Debug, Clone)]
pub struct IncidentTraffic {
    /// Incident id.
    pub id: usize,
    /// Requests, failures and rates over the minutes the incident touches.
    #[serde(flatten)]
    pub rate: Rate,
    /// Paths with the most failures.
    pub top_paths: Vec<PathCount>,
    /// Upstreams (addresses, servers) behind the most failures.
    pub upstreams: Vec<PathCount>,
    /// Proxy flags seen (HAProxy termination states, Envoy response flags, ALB's missing
    /// target status), with what each means.
    pub flags: Vec<FlagCount>,
}

/// A URL path (or an upstream) and its failure count.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct PathCount {
    /// Path without the query string (or upstream).
    pub path: String,
    /// Failed requests.
    pub count: u64,
}

/// A proxy flag, how often it was seen and what it means.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct FlagCount {
    /// The flag (`sH`, `UF`, `target_status_code -`).
    pub flag: String,
    /// The layout whose flag table explains it.
    pub layout: String,
    /// Requests carrying it.
    pub count: u64,
    /// What it means (one line), when the layout's table knows it.
    pub means: Option<String>,
}

/// The request path of an access-log line: `"GET /api/x?y=1 HTTP/1.1"` → `/api/x` (for a
/// hit's excerpt in NDJSON; the traffic finding reads parsed fields).
pub fn request_path(line: &str) -> Option<&str> {
    let q = line.find('"')?;
    let rest = &line[q + 1..];
    let mut parts = rest.splitn(3, ' ');
    let method = parts.next()?;
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let target = parts.next()?;
    let target = target.split('"').next()?;
    let path = target.split(['?', '#']).next()?;
    (!path.is_empty()).then_some(path)
}

/// Per-minute traffic of all access logs, and per file its minutes (for flags).
struct Sum {
    all: BTreeMap<i64, MinuteTraffic>,
}

pub(super) fn traffic(
    scan: &ScanOutput,
    clusters: &Clusters,
    layouts: &Layouts,
) -> Option<Traffic> {
    let access: Vec<usize> = scan
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.http.as_ref().is_some_and(|h| !h.minutes.is_empty()))
        .map(|(i, _)| i)
        .collect();
    if access.is_empty() {
        return None;
    }
    let mut sum = Sum {
        all: BTreeMap::new(),
    };
    for &i in &access {
        for m in &scan.files[i].http.as_ref().expect("access").minutes {
            sum.all
                .entry(m.minute)
                .and_modify(|e| e.merge(m))
                .or_insert_with(|| m.clone());
        }
    }
    let mut inc_minutes: BTreeSet<i64> = BTreeSet::new();
    let mut incidents = Vec::new();
    let mut all_paths = TopK::default();
    for inc in &clusters.incidents {
        let (a, b) = minute_range(inc);
        inc_minutes.extend(a..=b);
        let window = window(sum.all.range(a..=b).map(|(_, m)| m));
        all_paths.merge(&window.paths, usize::MAX);
        let mut flags: BTreeMap<(String, String), u64> = BTreeMap::new();
        for &i in &access {
            let h = scan.files[i].http.as_ref().expect("access");
            let lo = h.minutes.partition_point(|m| m.minute < a);
            for m in h.minutes[lo..].iter().take_while(|m| m.minute <= b) {
                for (f, n) in m.flags.ranked() {
                    *flags.entry((f.to_string(), h.layout.clone())).or_default() += n;
                }
            }
        }
        let mut flags: Vec<FlagCount> = flags
            .into_iter()
            .map(|((flag, layout), count)| FlagCount {
                means: layouts.explain(&layout, &flag).map(str::to_string),
                flag,
                layout,
                count,
            })
            .collect();
        flags.sort_by(|x, y| y.count.cmp(&x.count).then(x.flag.cmp(&y.flag)));
        // The top flags of each layout: behind an ALB and an HAProxy, both say why.
        let mut per_layout: BTreeMap<String, usize> = BTreeMap::new();
        flags.retain(|f| {
            let n = per_layout.entry(f.layout.clone()).or_default();
            *n += 1;
            *n <= TOP_PATHS
        });
        incidents.push(IncidentTraffic {
            id: inc.id,
            rate: window.rate(b - a + 1),
            top_paths: top(&window.paths),
            upstreams: top(&window.upstreams),
            flags,
        });
    }
    let (m0, m1) = match (sum.all.keys().next(), sum.all.keys().next_back()) {
        (Some(&a), Some(&b)) => (a, b),
        _ => (0, -1),
    };
    // Not by walking the span: access-log stamps years apart would mean billions of minutes.
    let base_minutes = if m1 < m0 {
        0
    } else {
        (m1 - m0 + 1) - inc_minutes.range(m0..=m1).count() as i64
    };
    let base = window(
        sum.all
            .iter()
            .filter(|(m, _)| !inc_minutes.contains(m))
            .map(|(_, m)| m),
    );
    let failed: u64 = incidents.iter().map(|i| i.rate.errors).sum();
    let mut files: Vec<String> = access.iter().map(|&i| scan.files[i].path.clone()).collect();
    files.sort();
    Some(Traffic {
        files,
        requests: sum.all.values().map(|m| u64::from(m.requests)).sum(),
        errors: sum.all.values().map(|m| u64::from(m.failed)).sum(),
        baseline: base.rate(base_minutes),
        incidents,
        failed_requests: failed,
        top_paths: top(&all_paths),
        slow: slow_windows(scan, clusters),
    })
}

/// Minutes added up.
#[derive(Default)]
struct Window {
    requests: u64,
    failed: u64,
    client_closed: u64,
    durations: Histogram,
    paths: TopK,
    upstreams: TopK,
}

impl Window {
    fn rate(&self, minutes: i64) -> Rate {
        let mut r = rate(minutes, self.requests, self.failed);
        r.client_closed = self.client_closed;
        r.duration_ms = Quantiles::of(&self.durations);
        r
    }
}

fn window<'a>(minutes: impl Iterator<Item = &'a MinuteTraffic>) -> Window {
    let mut w = Window::default();
    for m in minutes {
        w.requests += u64::from(m.requests);
        w.failed += u64::from(m.failed);
        w.client_closed += u64::from(m.client_closed);
        w.durations.merge(&m.durations);
        w.paths.merge(&m.paths, usize::MAX);
        w.upstreams.merge(&m.upstreams, usize::MAX);
    }
    w
}

/// The [`TOP_PATHS`] most frequent, ties by name.
fn top(t: &TopK) -> Vec<PathCount> {
    t.ranked()
        .into_iter()
        .take(TOP_PATHS)
        .map(|(path, count)| PathCount {
            path: path.to_string(),
            count,
        })
        .collect()
}

/// Requests, 5xx and their rates over some minutes (0 where a divisor is 0).
fn rate(minutes: i64, requests: u64, errors: u64) -> Rate {
    Rate {
        minutes,
        requests,
        errors,
        client_closed: 0,
        duration_ms: None,
        requests_per_minute: if minutes > 0 {
            round(requests as f64 / minutes as f64, 2)
        } else {
            0.0
        },
        errors_per_minute: if minutes > 0 {
            round(errors as f64 / minutes as f64, 2)
        } else {
            0.0
        },
        error_rate: if requests > 0 {
            round(errors as f64 / requests as f64, 3)
        } else {
            0.0
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let l = r#"1.2.3.4 - - [21/Aug/2019:08:47:10 +0800] "POST /api/user/login?x=1 HTTP/1.1" 500 192 "-" "okhttp""#;
        assert_eq!(request_path(l), Some("/api/user/login"));
        assert_eq!(request_path("no quotes"), None);
        assert_eq!(request_path(r#"x "-" 400 0"#), None);
    }
}

//! Traffic: from access logs, requests and 5xx per incident vs the baseline outside, and
//! the URL paths that failed most.
//!
//! Input: the scan output (access logs are the files of format `clf` with dated records)
//! and the clusters. Output: [`Traffic`], `None` without an access log. Requests are the
//! access logs' dated records per minute; 5xx are the hits of user-impact signatures of the access-log context (catalog data) in those files,
//! and their paths come from the excerpt ([`request_path`], without the query string). Each
//! incident is measured over the minutes it touches; the baseline is every other minute of
//! the access logs' span, counted without walking it (stamps years apart would mean
//! billions of minutes).

use crate::analysis::incidents::{minute_range, Clusters};
use crate::analysis::rates::round;
use crate::catalog::{Catalog, MatchContext, Role};
use crate::scan::{Hit, ScanOutput};
use crate::time::Format;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Traffic: URL paths listed per incident.
pub const TOP_PATHS: usize = 5;

/// Requests from access logs.
#[derive(Serialize, Debug, Clone)]
pub struct Traffic {
    /// Access logs read (format `clf`).
    pub files: Vec<String>,
    /// Requests (dated records).
    pub requests: u64,
    /// 5xx responses (hits of `http-5xx-access-log`).
    pub errors: u64,
    /// Outside incident minutes.
    pub baseline: Rate,
    /// Per incident, over the minutes it touches.
    pub incidents: Vec<IncidentTraffic>,
    /// 5xx during incidents (the "failed requests" of the impact).
    pub failed_requests: u64,
    /// Paths with the most 5xx during incidents.
    pub top_paths: Vec<PathCount>,
}

/// A request rate.
#[derive(Serialize, Debug, Clone, Default)]
pub struct Rate {
    /// Minutes.
    pub minutes: i64,
    /// Requests.
    pub requests: u64,
    /// 5xx.
    pub errors: u64,
    /// Requests per minute.
    pub requests_per_minute: f64,
    /// 5xx per minute.
    pub errors_per_minute: f64,
    /// errors / requests.
    pub error_rate: f64,
}

/// Traffic during one incident.
#[derive(Serialize, Debug, Clone)]
pub struct IncidentTraffic {
    /// Incident id.
    pub id: usize,
    /// Requests, 5xx and rates over the minutes the incident touches.
    #[serde(flatten)]
    pub rate: Rate,
    /// Paths with the most 5xx.
    pub top_paths: Vec<PathCount>,
}

/// A URL path and its 5xx count.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct PathCount {
    /// Path without the query string.
    pub path: String,
    /// 5xx responses.
    pub count: u64,
}

/// The request path of an access-log line: `"GET /api/x?y=1 HTTP/1.1"` → `/api/x`.
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

pub(super) fn traffic(
    scan: &ScanOutput,
    clusters: &Clusters,
    catalog: &Catalog,
) -> Option<Traffic> {
    let access: Vec<usize> = scan
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.format == Some(Format::Clf) && f.dated_records > 0)
        .map(|(i, _)| i)
        .collect();
    if access.is_empty() {
        return None;
    }
    let impact: Vec<bool> = catalog
        .signatures
        .iter()
        .map(|s| s.has_role(Role::UserImpact) && s.context == Some(MatchContext::AccessLog))
        .collect();
    let mut req: BTreeMap<i64, u64> = BTreeMap::new();
    for &i in &access {
        for (m, n) in scan.files[i].minutes.iter() {
            *req.entry(m).or_default() += n as u64;
        }
    }
    let is_access: BTreeSet<u32> = access.iter().map(|&i| i as u32).collect();
    let errors: Vec<&Hit> = scan
        .hits
        .iter()
        .filter(|h| impact[h.sig as usize] && is_access.contains(&h.file) && h.time.is_some())
        .collect();
    let mut err: BTreeMap<i64, u64> = BTreeMap::new();
    for h in &errors {
        *err.entry(h.time.expect("dated").timestamp().div_euclid(60))
            .or_default() += 1;
    }
    let mut inc_minutes: BTreeSet<i64> = BTreeSet::new();
    let mut incidents = Vec::new();
    let mut all_paths: BTreeMap<String, u64> = BTreeMap::new();
    for inc in &clusters.incidents {
        let (a, b) = minute_range(inc);
        inc_minutes.extend(a..=b);
        let requests: u64 = req.range(a..=b).map(|(_, n)| n).sum();
        let mut paths: BTreeMap<String, u64> = BTreeMap::new();
        let mut n5 = 0;
        for h in &errors {
            let m = h.time.expect("dated").timestamp().div_euclid(60);
            if m >= a && m <= b {
                n5 += 1;
                if let Some(p) = request_path(&h.excerpt) {
                    *paths.entry(p.to_string()).or_default() += 1;
                    *all_paths.entry(p.to_string()).or_default() += 1;
                }
            }
        }
        incidents.push(IncidentTraffic {
            id: inc.id,
            rate: rate(b - a + 1, requests, n5),
            top_paths: top_paths(paths),
        });
    }
    let (m0, m1) = match (req.keys().next(), req.keys().next_back()) {
        (Some(&a), Some(&b)) => (a, b),
        _ => (0, -1),
    };
    // Not by walking the span: access-log stamps years apart would mean billions of minutes.
    let base_minutes = if m1 < m0 {
        0
    } else {
        (m1 - m0 + 1) - inc_minutes.range(m0..=m1).count() as i64
    };
    let base_req: u64 = req
        .iter()
        .filter(|(m, _)| !inc_minutes.contains(m))
        .map(|(_, n)| n)
        .sum();
    let base_err: u64 = err
        .iter()
        .filter(|(m, _)| !inc_minutes.contains(m))
        .map(|(_, n)| n)
        .sum();
    let failed: u64 = incidents.iter().map(|i| i.rate.errors).sum();
    let mut files: Vec<String> = access.iter().map(|&i| scan.files[i].path.clone()).collect();
    files.sort();
    Some(Traffic {
        files,
        requests: req.values().sum(),
        errors: errors.len() as u64,
        baseline: rate(base_minutes, base_req, base_err),
        incidents,
        failed_requests: failed,
        top_paths: top_paths(all_paths),
    })
}

/// Requests, 5xx and their rates over some minutes (0 where a divisor is 0).
fn rate(minutes: i64, requests: u64, errors: u64) -> Rate {
    Rate {
        minutes,
        requests,
        errors,
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

/// The [`TOP_PATHS`] paths with the most 5xx, ties by path.
fn top_paths(paths: BTreeMap<String, u64>) -> Vec<PathCount> {
    let mut v: Vec<PathCount> = paths
        .into_iter()
        .map(|(path, count)| PathCount { path, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.path.cmp(&b.path)));
    v.truncate(TOP_PATHS);
    v
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

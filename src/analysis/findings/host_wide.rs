//! Host-wide events: one signature in several services within the same second, a shared
//! cause (ports, DNS, disk), not one service's fault.
//!
//! Input: the dated hits (noise and markers skipped) and which incident holds a second.
//! Output: one [`HostWide`] per signature with such seconds, by layer, then first second,
//! then id, with its first [`HOST_WIDE_EXAMPLES`] seconds as examples. The hits are read as
//! sorted, deduplicated (signature, second, service) keys, not a map of sets (a 273,537-hit
//! scan spent 11 % of its CPU in `BTreeMap<_, BTreeSet<_>>`).

use super::ser_time;
use crate::catalog::{Catalog, Severity};
use crate::scan::ScanOutput;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Host-wide: examples kept per signature.
pub const HOST_WIDE_EXAMPLES: usize = 3;

/// One signature in several services within the same second.
#[derive(Serialize, Debug, Clone)]
pub struct HostWide {
    /// Signature id.
    pub signature: String,
    /// Its causal layer.
    pub layer: Option<u8>,
    /// Services involved, in name order.
    pub services: Vec<String>,
    /// Seconds in which at least two services hit it.
    pub seconds: u64,
    /// First such second.
    #[serde(serialize_with = "ser_time")]
    pub first: DateTime<Utc>,
    /// Incidents containing such seconds.
    pub incidents: Vec<usize>,
    /// The first few seconds and their services.
    pub examples: Vec<HostWideSecond>,
}

/// A second shared by several services.
#[derive(Serialize, Debug, Clone)]
pub struct HostWideSecond {
    /// The second.
    #[serde(serialize_with = "ser_time")]
    pub time: DateTime<Utc>,
    /// Services.
    pub services: Vec<String>,
}

pub(super) fn host_wide(
    scan: &ScanOutput,
    catalog: &Catalog,
    incident_of: impl Fn(i64) -> Option<usize>,
) -> Vec<HostWide> {
    // (signature, second, service), sorted and deduplicated: the same order a map of sets
    // gives, without a tree node and a set per second (a 273,537-hit scan spent 11 % of its
    // CPU here with BTreeMap<_, BTreeSet<_>>).
    let mut keys: Vec<(u16, i64, &str)> = scan
        .hits
        .iter()
        .filter_map(|h| {
            let t = h.time?;
            let s = &catalog.signatures[h.sig as usize];
            if s.noise || s.severity == Severity::Marker {
                return None;
            }
            Some((
                h.sig,
                t.timestamp(),
                scan.files[h.file as usize].service.as_ref(),
            ))
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let mut out: BTreeMap<u16, HostWide> = BTreeMap::new();
    for group in keys.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        let (sig, sec) = (group[0].0, group[0].1);
        let services: Vec<&str> = group.iter().map(|k| k.2).collect();
        if services.len() < 2 {
            continue;
        }
        let time = DateTime::from_timestamp(sec, 0).unwrap_or_default();
        let s = &catalog.signatures[sig as usize];
        let e = out.entry(sig).or_insert_with(|| HostWide {
            signature: s.id.clone(),
            layer: s.layer,
            services: Vec::new(),
            seconds: 0,
            first: time,
            incidents: Vec::new(),
            examples: Vec::new(),
        });
        e.seconds += 1;
        for svc in &services {
            if !e.services.iter().any(|x| x == svc) {
                e.services.push(svc.to_string());
            }
        }
        if let Some(id) = incident_of(sec) {
            if !e.incidents.contains(&id) {
                e.incidents.push(id);
            }
        }
        if e.examples.len() < HOST_WIDE_EXAMPLES {
            e.examples.push(HostWideSecond {
                time,
                services: services.iter().map(|s| s.to_string()).collect(),
            });
        }
    }
    let mut v: Vec<HostWide> = out.into_values().collect();
    for h in &mut v {
        h.services.sort();
    }
    v.sort_by(|a, b| {
        (a.layer.unwrap_or(u8::MAX), a.first, &a.signature).cmp(&(
            b.layer.unwrap_or(u8::MAX),
            b.first,
            &b.signature,
        ))
    });
    v
}

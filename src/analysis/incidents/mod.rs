//! Clustering and root cause: hits from all files become incidents, and each incident gets
//! the signature deepest in its causal chain as its root cause.
//!
//! Input: sorted hits (from `scan`), the catalog and the gap. Output: [`Incident`]s and the
//! marker hits for the timeline ([`Clusters`]).
//!
//! Rules (issue 3 and signatures.md §11):
//! - Only critical and error hits open incidents; they merge across *all* files and services
//!   while consecutive hits are less than `gap` apart.
//! - Warnings inside an incident, or within `gap` of its edges ("touching"), attach to it;
//!   warnings alone never make an incident. Markers (restarts, `Started X in ...`) go on the
//!   timeline and never open an incident.
//! - Noise signatures (steady background such as nginx `CreateFile()` 404s, the founding
//!   case's red herring) never open an incident and are never a root cause.
//! - Root cause: the lowest causal layer among the incident's non-noise hits (0 host/kernel
//!   ... 8 user-facing 5xx); ties go to the signature seen first. The chain lists every
//!   signature seen, root first. Evidence: up to three lines, the root signature's first
//!   hits (one per service where possible) and then the next layers.
//! - Undated hits cannot be placed in time: they are counted, never dropped silently.
//!
//! One file per step: `gaps.rs` opens windows by gap and attaches warnings and markers
//! ([`cluster`]); `root_cause.rs` describes a window (chain, root, restart, evidence)
//! whichever detector opened it; `bursts.rs` joins the unknown-template bursts to the
//! incidents ([`merge_templates`]).

mod bursts;
mod gaps;
mod root_cause;

pub use bursts::merge_templates;
pub use gaps::cluster;

use crate::catalog::Severity;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// One incident.
#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    /// 1-based id in time order.
    pub id: usize,
    /// First critical/error hit.
    pub start: DateTime<Utc>,
    /// Last critical/error hit.
    pub end: DateTime<Utc>,
    /// Most severe signature severity among its opening hits.
    pub severity: Severity,
    /// Root cause signature (catalog index).
    pub root: u16,
    /// Signatures seen, root first, by layer then first appearance.
    pub chain: Vec<u16>,
    /// Hit count per signature (records, not lines).
    pub counts: BTreeMap<u16, u64>,
    /// Services with hits, in order of first hit.
    pub services: Vec<String>,
    /// (service, time) where the root signature was first seen.
    pub first_seen: (String, DateTime<Utc>),
    /// Indices into the hit list: evidence lines.
    pub evidence: Vec<usize>,
    /// Indices of every hit attached to the incident.
    pub hits: Vec<usize>,
    /// A restart marker (index of its first hit) in or just before the window that explains a
    /// root cause at the transport layer or above: refusals while a callee restarts are
    /// expected churn, and the question becomes what restarted it (signatures.md §11).
    pub restart: Option<usize>,
    /// How the root cause was found: a catalog signature, or the burst of an unknown
    /// error template (then `root`, `chain`, `counts`, `evidence` and `hits` are empty or
    /// unused and `bursts[0]` is the root).
    pub kind: RootKind,
    /// Bursts of unknown templates in this incident (indices into
    /// `Clusters::templates.bursts`), by start time: "also new in this window".
    pub bursts: Vec<usize>,
}

/// What an incident's root cause is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootKind {
    /// A catalog signature.
    Signature,
    /// An unknown error template that burst (`analysis::templates`).
    Template,
}

/// A restart of a service (its role in the catalog, never its id or category).
fn is_restart_marker(sig: &crate::catalog::Signature) -> bool {
    sig.has_role(crate::catalog::Role::RestartMarker)
}

/// The first and last minute (Unix minutes) an incident touches.
pub(crate) fn minute_range(i: &Incident) -> (i64, i64) {
    (
        i.start.timestamp().div_euclid(60),
        i.end.timestamp().div_euclid(60),
    )
}

/// Output of clustering.
#[derive(Clone, Debug, Default)]
pub struct Clusters {
    /// Incidents in time order.
    pub incidents: Vec<Incident>,
    /// Marker hits (index of the first, and how many repeats of the same signature in the
    /// same service followed within the gap), time order. A shutdown logs a dozen
    /// `[extShutdownHook]` lines: the timeline shows one marker.
    pub markers: Vec<(usize, u64)>,
    /// Undated hits (indices).
    pub undated: Vec<usize>,
    /// Noise hits per signature outside any incident (background rate).
    pub background: BTreeMap<u16, u64>,
    /// Unknown error templates and their bursts (see [`merge_templates`]).
    pub templates: crate::analysis::templates::Analysis,
}

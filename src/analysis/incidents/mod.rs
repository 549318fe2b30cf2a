//! Incidents and root cause: the detector's incident groups (`analysis::detect`) become
//! incidents, and each incident gets the signature deepest in its causal chain as its root
//! cause, chosen among the signals anomalous in its window.
//!
//! Input: the [`Detection`](crate::analysis::detect::Detection), the sorted hits, the
//! catalog and the gap. Output: [`Incident`]s and the marker hits for the timeline
//! ([`Clusters`]).
//!
//! Rules (issue 20 and signatures.md §11):
//! - Incidents are opened and closed by the rate detector, never by proximity alone: an
//!   incident's hits are those of the signals anomalous in its window (the windows that
//!   opened it and the signals elevated inside it), so a chronic trickle or a stray warning
//!   in the window is neither evidence nor root cause.
//! - Markers (restarts, `Started X in ...`) go on the timeline and never open an incident.
//! - Noise signatures (steady background such as nginx `CreateFile()` 404s) are never a root
//!   cause.
//! - Root cause: the lowest causal layer among the incident's anomalous non-noise hits (0
//!   host/kernel ... 8 user-facing 5xx); ties go to the signature seen first. The chain lists
//!   every anomalous signature, root first. Evidence: up to three lines, the root
//!   signature's first hits (one per service where possible) and then the next layers.
//! - A restart marker explains a root at the transport layer or above only when it comes
//!   from a service the failing records name (the callee), never from the failing service
//!   itself or an unrelated one (an nginx log reopen does not explain another service's
//!   refusals).
//! - Undated hits cannot be placed in time: they are counted, never dropped silently.
//!
//! One file per step: `detected.rs` turns the detector's groups into incidents
//! ([`from_detection`]); `root_cause.rs` describes a window (chain, root, restart,
//! evidence).

mod detected;
mod root_cause;

pub use detected::{from_detection, Inputs};

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
    /// Why it is an incident: its anomalous signals, observed against expected.
    pub why: Vec<Why>,
    /// The windows that opened it: (signature, or `None` for a template; first and last
    /// record). The red-herring score of a signature uses the incidents' windows without
    /// its own (leave-one-out).
    pub opened: Vec<Opened>,
}

/// One anomalous signal of an incident.
#[derive(Clone, Debug, PartialEq)]
pub struct Why {
    /// Index into the detection's signals.
    pub signal: usize,
    /// `burst`, `rare-event`, `short-capture` (opened it) or `elevated` (inside it).
    pub how: &'static str,
    /// Events counted.
    pub observed: u64,
    /// Events its baseline expects (`None`: no baseline, short capture).
    pub expected: Option<f64>,
    /// Tail probability of the test.
    pub p: Option<f64>,
    /// First record of its window (for the signals that opened the incident).
    pub start: Option<DateTime<Utc>>,
}

/// A window that opened an incident.
#[derive(Clone, Debug, PartialEq)]
pub struct Opened {
    /// Its signature (`None`: an unknown template).
    pub signature: Option<u16>,
    /// First record.
    pub start: DateTime<Utc>,
    /// Last record.
    pub end: DateTime<Utc>,
}

/// What an incident's root cause is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootKind {
    /// A catalog signature.
    Signature,
    /// An unknown error template that burst (`analysis::templates`).
    Template,
    /// Requests slowed down, with no failure a signature or template names (the access
    /// logs' slowness signal alone; `root` and `chain` are empty then).
    Slowness,
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
    /// Unknown error templates and their bursts (template windows inside incidents).
    pub templates: crate::analysis::templates::Analysis,
    /// What the detector found (signals, baselines, windows, isolated events).
    pub detection: crate::analysis::detect::Detection,
}

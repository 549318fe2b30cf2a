//! Access logs read as fields, not regexes: which layout a file follows, each request's
//! status, path, duration, upstream and flags, and the traffic they add up to.
//!
//! Input: layouts as data ([`layout`]: `catalog/access/*.json` embedded, plus the `access`
//! section of `--rules` files), sampled lines of a file ([`detect`]), then each line of a
//! file detected as an access log ([`Layout::parse`]). Output: a [`Detection`] per file,
//! a [`Request`] per request line (slices of the line: no allocation), and per file a
//! mergeable [`FileTraffic`] (per-minute requests, status classes, failures, client-closed
//! requests, latency histograms, top failing paths, upstreams and flags).
//!
//! The scan drives it (`scan::chunk` splits only the lines of files detected here); the
//! traffic finding and the incident detector read the [`FileTraffic`] it leaves in each
//! file's result.
//!
//! Files:
//! - `layout.rs`: the data model, the embedded families, `--rules`, compiled [`Layouts`];
//!   per-request [`Outcome`] and flag meanings;
//! - `split.rs`: the one field splitter (tokens, W3C, JSON values) and [`Request`];
//! - `json.rs`: a JSON object walker without allocation, and JSON unescaping (also used
//!   for the message fields of JSON application logs);
//! - `detect.rs`: header, then a vote over sampled lines, and line [`Prefix`]es (syslog,
//!   kubectl stamps, CRI);
//! - `traffic.rs`: [`FileTraffic`], [`MinuteTraffic`], the latency [`Histogram`].
//!
//! Tricky cases are documented where they are handled: `$request_length` 500–599 after
//! the user agent (ingress-nginx) never reads as a status (positions, not a regex); HAProxy,
//! IIS and ALB have no quote before the status; Envoy's flags follow the status; IIS may
//! change its `#Fields:` mid-file; ALB's `target_status_code -` and HAProxy's `sH--` are
//! flags with meanings.

pub mod detect;
pub mod json;
pub mod layout;
pub mod split;
pub mod traffic;

#[cfg(test)]
mod tests;

pub use detect::{detect, Detection, Prefix};
pub use layout::{FlagEntry, Layout, Layouts, Outcome, W3cFields};
pub use split::Request;
pub use traffic::{
    Builder, FileTraffic, Histogram, MinuteTraffic, TopK, CLASSES, MIN_BASELINE_MINUTES, MIN_TIMED,
    SLOW_FACTOR, SLOW_MIN_JUMP_MS,
};

use crate::catalog::Catalog;
use std::sync::{Arc, OnceLock};

/// The layouts a catalog asks for: the embedded ones (built once per process) with the
/// `access` sections of its rules files applied.
pub fn layouts_for(catalog: &Catalog) -> crate::Result<Arc<Layouts>> {
    static BUILTIN: OnceLock<Result<Arc<Layouts>, String>> = OnceLock::new();
    if catalog.access_rules.is_empty() {
        return BUILTIN
            .get_or_init(|| Layouts::builtin().map(Arc::new).map_err(|e| e.to_string()))
            .clone()
            .map_err(|reason| crate::Error::Rules {
                path: "<builtin access layouts>".into(),
                entry: None,
                reason,
            });
    }
    Layouts::with_rules(&catalog.access_rules).map(Arc::new)
}

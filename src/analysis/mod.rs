//! Analysis: scan output → incidents → findings.
//!
//! Takes the [`crate::scan::ScanOutput`] (hits, per-minute activity, unknown error records)
//! and the catalog, and gives the incidents with their root causes ([`incidents`]), the
//! unknown-error templates and their bursts ([`templates`]), the findings beside the
//! timeline ([`findings`]: recurrence, red herrings, coverage, traffic, host-wide events)
//! and clock/zone hints ([`clock`]).
//!
//! Imports only stages below it (scan, record, evidence, config, catalog, input, time).

pub mod clock;
pub mod findings;
pub mod incidents;
pub mod rates;
pub mod templates;

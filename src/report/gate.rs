//! `--fail-on`: which findings fail a run (exit 1), so a CI job gates on what it cares about;
//! the JUnit report marks the same findings as failing tests.
//!
//! Input: the report, the scan output and the clusters it was built from, the catalog and
//! the level ([`FailOn`]). Output: a [`Gate`]: for every incident whether it fails the run,
//! and, for `any`, the error evidence found outside the incidents.
//!
//! The levels (docs/ci.md states them for users):
//! - `critical`: an incident whose severity is `critical` (its opening hits include a
//!   critical signature: user requests were failing).
//! - `error` (the default, and faultscope's rule before `--fail-on`): any incident. Every
//!   incident is `critical` or `error`, since warnings, markers and noise never open one.
//! - `any`: zero tolerance, for logs that should be clean (a test run, a canary): any
//!   incident, **or** a hit of a critical or error signature outside every incident (the
//!   steady trickle a detector keeps apart from incidents, undated hits), **or** an unknown
//!   record at level error (an error-level template, `faultscope templates`). Noise
//!   signatures (known red herrings), warnings, markers and warning-level templates never
//!   fail a run at any level.
//!
//! `--exit-zero` still turns any exit 1 into 0; the JUnit report is unchanged by it.

use super::Report;
use crate::analysis::incidents::Clusters;
use crate::catalog::{Catalog, Severity};
use crate::record::level::Level;
use crate::scan::ScanOutput;
use std::collections::BTreeMap;

/// `--fail-on`: the least severe finding that fails a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Only critical incidents (user requests failing).
    Critical,
    /// Any incident (critical or error).
    #[default]
    Error,
    /// Any incident, any critical/error hit outside incidents, any error-level unknown record.
    Any,
}

impl FailOn {
    /// The flag value (`critical`, `error`, `any`).
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Critical => "critical",
            FailOn::Error => "error",
            FailOn::Any => "any",
        }
    }

    /// Does an incident of this severity fail the run?
    pub fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::Critical => severity == Severity::Critical,
            FailOn::Error | FailOn::Any => severity.opens_incident(),
        }
    }
}

/// What fails the run under one `--fail-on` level.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Gate {
    /// The level.
    pub fail_on: FailOn,
    /// Per incident of the report, in its order: does it fail the run?
    pub incidents: Vec<bool>,
    /// `any` only: hits of critical/error signatures outside every incident, per signature
    /// id (sorted by id).
    pub outside_hits: BTreeMap<String, u64>,
    /// `any` only: error-level unknown templates (id, records, text), in report order.
    pub error_templates: Vec<(String, u64, String)>,
}

impl Gate {
    /// Does the run fail (exit 1 unless `--exit-zero`)?
    pub fn fails(&self) -> bool {
        self.incidents.iter().any(|&f| f) || self.fails_outside()
    }

    /// Does error evidence outside the incidents fail the run (`any` only)?
    pub fn fails_outside(&self) -> bool {
        !self.outside_hits.is_empty() || !self.error_templates.is_empty()
    }
}

/// Evaluates `fail_on` over a report and what it was built from.
pub fn evaluate(
    fail_on: FailOn,
    report: &Report<'_>,
    scan: &ScanOutput,
    clusters: &Clusters,
    catalog: &Catalog,
) -> Gate {
    let incidents = report
        .incidents
        .iter()
        .map(|i| fail_on.fails(i.severity))
        .collect();
    let mut gate = Gate {
        fail_on,
        incidents,
        ..Gate::default()
    };
    if fail_on != FailOn::Any {
        return gate;
    }
    // Per hit, not per line of log: the hit list is what the scan stored (at most
    // --max-hits), so this is cheap.
    let mut in_incident = vec![false; scan.hits.len()];
    for i in &clusters.incidents {
        for &h in &i.hits {
            if let Some(slot) = in_incident.get_mut(h) {
                *slot = true;
            }
        }
    }
    for (h, inside) in scan.hits.iter().zip(&in_incident) {
        let Some(sig) = catalog.signatures.get(usize::from(h.sig)) else {
            continue;
        };
        if !inside && sig.severity.opens_incident() && !sig.noise {
            *gate.outside_hits.entry(sig.id.clone()).or_default() += 1;
        }
    }
    gate.error_templates = report
        .templates
        .iter()
        .filter(|t| t.level == Level::Error)
        .map(|t| (t.id.clone(), t.count, t.text.clone()))
        .collect();
    gate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_order_severities() {
        use Severity::*;
        for (level, fails) in [
            (FailOn::Critical, [true, false, false, false]),
            (FailOn::Error, [true, true, false, false]),
            (FailOn::Any, [true, true, false, false]),
        ] {
            let got: Vec<bool> = [Critical, Error, Warning, Marker]
                .iter()
                .map(|s| level.fails(*s))
                .collect();
            assert_eq!(got, fails, "{level:?}");
        }
        let clean = Gate::default();
        assert!(!clean.fails());
        let outside = Gate {
            error_templates: vec![("template:1".into(), 3, "x".into())],
            ..Gate::default()
        };
        assert!(outside.fails() && outside.fails_outside());
    }
}

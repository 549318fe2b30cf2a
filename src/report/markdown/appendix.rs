//! The end of the Markdown postmortem: `### Unknown errors and warnings` (the top
//! templates of records no signature matched), `### Next checks` (from the catalog, one
//! checklist per root cause) and `### Appendix: inputs` (format, zone, bytes, records and
//! SHA-256 of every file, so the report can be reproduced, then the warnings).
//!
//! Input: the [`Report`] and the display zone. Output: Markdown appended to the document;
//! every text from logs or file names goes through [`md`].

use super::{ids, md};
use crate::report::Report;
use crate::time::Zone;
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

/// `### Unknown errors and warnings`: templates of records no signature matched.
pub(super) fn unknown_errors(o: &mut String, r: &Report, display: &Zone) {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    if !r.templates.is_empty() {
        let _ = writeln!(o, "### Unknown errors and warnings");
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "| count | level | template | services | first | last | bursts |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|---|---|");
        for t in r.templates.iter().take(20) {
            let _ = writeln!(
                o,
                "| {} | {} | `{}` {} | {} | {} | {} | {} |",
                t.count,
                t.level.as_str(),
                t.id,
                md(&t.text),
                md(&t.services.join(", ")),
                t.first.map(day).unwrap_or_default(),
                t.last.map(day).unwrap_or_default(),
                t.bursts
            );
        }
        let _ = writeln!(o);
    }
}

/// `### Next checks`: the catalog's checks, once per root cause.
pub(super) fn next_checks(o: &mut String, r: &Report) {
    if !r.incidents.is_empty() {
        let _ = writeln!(o, "### Next checks");
        let _ = writeln!(o);
        let mut seen: Vec<&str> = Vec::new();
        for i in &r.incidents {
            let id = i.root_cause.signature.as_str();
            if seen.contains(&id) || i.next_checks.is_empty() {
                continue;
            }
            seen.push(id);
            let which: Vec<usize> = r
                .incidents
                .iter()
                .filter(|x| x.root_cause.signature == id)
                .map(|x| x.id)
                .collect();
            let _ = writeln!(o, "For `{id}` (incident {}):", ids(&which));
            let _ = writeln!(o);
            for c in &i.next_checks {
                let _ = writeln!(o, "- [ ] {}", md(c));
            }
            let _ = writeln!(o);
        }
    }
}

/// `### Appendix: inputs`: every file, then the warnings.
pub(super) fn inputs(o: &mut String, r: &Report) {
    let _ = writeln!(o, "### Appendix: inputs");
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "Incident gap {} s; naive times read as {}. SHA-256 of each file as stored.",
        r.gap_seconds, r.assumed_timezone
    );
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "| file | service | format | zone | bytes | records | SHA-256 |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|");
    for fl in &r.files {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} |",
            md(&fl.path),
            md(fl.service),
            fl.format.unwrap_or("–"),
            if fl.zone.is_empty() {
                "–".to_string()
            } else {
                md(fl.zone)
            },
            fl.bytes,
            fl.records,
            match (&fl.sha256, &fl.error) {
                (Some(h), _) => format!("`{h}`"),
                (None, Some(e)) => format!("unreadable: {}", md(e)),
                (None, None) => "–".to_string(),
            }
        );
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "Warnings:");
        let _ = writeln!(o);
        for w in &r.warnings {
            let _ = writeln!(o, "- {}", md(w));
        }
    }
}

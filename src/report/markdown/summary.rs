//! The opening of the Markdown postmortem: title and meta line, `### Summary` (the
//! incidents, their root causes by frequency, recurrence, host evidence, what is not
//! evidence) and `### Impact` (a table of counts: downtime, longest incident, failed
//! requests, services with errors, the span of the logs).
//!
//! Input: the [`Report`] and the display zone. Output: Markdown appended to the document;
//! every text from logs or file names goes through [`md`].

use super::md;
use crate::report::prose::{human_duration, recurrence_sentence};
use crate::report::Report;
use crate::time::Zone;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Root causes by frequency: (signature, incidents, title), most first, then by id.
pub(super) fn root_causes<'r>(r: &'r Report) -> Vec<(&'r str, usize, &'r str)> {
    let mut roots: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    for i in &r.incidents {
        let e = roots
            .entry(i.root_cause.signature.as_str())
            .or_insert((0, i.root_cause.title.as_str()));
        e.0 += 1;
    }
    let mut roots: Vec<(&str, usize, &str)> =
        roots.into_iter().map(|(k, (c, t))| (k, c, t)).collect();
    roots.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    roots
}

/// Title and meta line: version, files, the zones, `--now`'s time.
pub(super) fn title(o: &mut String, r: &Report, display: &Zone, roots: &[(&str, usize, &str)]) {
    let n = r.incidents.len();
    let _ = writeln!(
        o,
        "## Postmortem: {} incident{}{}",
        n,
        if n == 1 { "" } else { "s" },
        roots
            .first()
            .map(|(id, _, _)| format!(", root cause `{id}`"))
            .unwrap_or_default()
    );
    let _ = writeln!(o);
    let mut meta = format!(
        "_faultscope {} · {} file{} · {}",
        r.tool.version,
        r.summary.files_scanned,
        if r.summary.files_scanned == 1 {
            ""
        } else {
            "s"
        },
        super::md(&crate::report::prose::zone_statement(r, display))
    );
    if let Some(g) = r.generated_at {
        let _ = write!(meta, " · generated {}", crate::time::rfc3339(g));
    }
    meta.push('_');
    let _ = writeln!(o, "{meta}");
    let _ = writeln!(o);
}

/// `### Summary`: one paragraph.
pub(super) fn summary(o: &mut String, r: &Report, display: &Zone, roots: &[(&str, usize, &str)]) {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    let clock = |t: DateTime<Utc>| display.format(t, "%H:%M:%S");
    let n = r.incidents.len();
    let f = &r.findings;
    let _ = writeln!(o, "### Summary");
    let _ = writeln!(o);
    match (r.incidents.first(), r.incidents.last()) {
        (Some(a), Some(b)) => {
            let _ = write!(
                o,
                "Between {} and {} there {} **{} incident{}** ({} of outage in total).",
                day(a.start),
                if display.format(a.start, "%F") == display.format(b.end, "%F") {
                    clock(b.end)
                } else {
                    day(b.end)
                },
                if n == 1 { "was" } else { "were" },
                n,
                if n == 1 { "" } else { "s" },
                human_duration(r.summary.total_downtime_seconds)
            );
            for (id, count, title) in roots {
                let _ = write!(
                    o,
                    " Root cause of {} of {}: **`{}`**, {}.",
                    count,
                    n,
                    id,
                    md(title)
                );
            }
            if let Some(s) = recurrence_sentence(r, display) {
                let _ = write!(o, " Recurrence: {}.", md(&s));
            }
            if let Some(c) = r.incidents.iter().find_map(|i| i.culprit.as_ref()) {
                let _ = write!(
                    o,
                    " Host evidence ({}): **{}**.",
                    md(&c.snapshot),
                    md(&c.sentence)
                );
            }
            let noise: Vec<&str> = f
                .red_herrings
                .iter()
                .filter(|s| s.verdict == crate::analysis::findings::Verdict::UnrelatedNoise)
                .map(|s| s.signature.as_str())
                .collect();
            if !noise.is_empty() {
                let _ = write!(
                    o,
                    " Not evidence (same rate inside and outside the incidents): {}.",
                    noise
                        .iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let _ = writeln!(o);
        }
        _ => {
            let _ = writeln!(o, "No incident: no error or critical signature was found.");
        }
    }
    let _ = writeln!(o);
}

/// `### Impact`: a table of counts.
pub(super) fn impact(o: &mut String, r: &Report, display: &Zone) {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    let n = r.incidents.len();
    let f = &r.findings;
    let _ = writeln!(o, "### Impact");
    let _ = writeln!(o);
    let _ = writeln!(o, "| | |");
    let _ = writeln!(o, "|---|---|");
    let _ = writeln!(o, "| Incidents | {n} |");
    let _ = writeln!(
        o,
        "| Total downtime | {} ({} s) |",
        human_duration(r.summary.total_downtime_seconds),
        r.summary.total_downtime_seconds
    );
    if let Some(l) = r
        .incidents
        .iter()
        .max_by_key(|i| (i.duration_seconds, usize::MAX - i.id))
    {
        let _ = writeln!(
            o,
            "| Longest | #{}, {} |",
            l.id,
            human_duration(l.duration_seconds)
        );
    }
    if let Some(t) = &f.traffic {
        let during: u64 = t.incidents.iter().map(|i| i.rate.requests).sum();
        let _ = writeln!(
            o,
            "| Failed requests (5xx) | {} of {} requests in the incident minutes; baseline {:.2} × 5xx/min at {:.1} requests/min |",
            t.failed_requests, during, t.baseline.errors_per_minute, t.baseline.requests_per_minute
        );
    }
    let mut services: Vec<&str> = Vec::new();
    for i in &r.incidents {
        for s in &i.services {
            if !services.contains(&s.as_str()) {
                services.push(s);
            }
        }
    }
    if !services.is_empty() {
        let _ = writeln!(o, "| Services with errors | {} |", md(&services.join(", ")));
    }
    if let (Some(a), Some(b)) = (r.summary.first, r.summary.last) {
        let _ = writeln!(o, "| Logs cover | {} to {} |", day(a), day(b));
    }
    let _ = writeln!(o);
}

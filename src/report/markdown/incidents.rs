//! The incidents in the Markdown postmortem: `### Timeline` (a Mermaid `gantt`: the
//! incidents, one section per service with its error hits in each incident, the markers)
//! and `### Incidents` (the table with evidence as `path:line`, then per incident its
//! chain, template root cause, templates also new in its window, culprit, restart context
//! and evidence lines).
//!
//! Input: the [`Report`] and the display zone. Output: Markdown appended to the document.
//! Text inside the gantt goes through [`mermaid_text`], every other text from logs or file
//! names through [`md`].

use super::{md, mermaid_text};
use crate::report::escape::clip;
use crate::report::prose::human_duration;
use crate::report::Report;
use crate::time::Zone;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// (incident id, first hit, last hit, hits) of one service.
type LaneItem = (usize, DateTime<Utc>, DateTime<Utc>, u64);

/// `### Timeline`: the Mermaid gantt.
pub(super) fn timeline(o: &mut String, r: &Report, display: &Zone) {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    let f = &r.findings;
    let _ = writeln!(o, "### Timeline");
    let _ = writeln!(o);
    let _ = writeln!(o, "```mermaid");
    let _ = writeln!(o, "gantt");
    let _ = writeln!(
        o,
        "    title Incidents, times in {}",
        display
            .to_string()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | ':' | '/' | '_'))
            .collect::<String>()
    );
    let _ = writeln!(o, "    dateFormat YYYY-MM-DD HH:mm:ss");
    let _ = writeln!(o, "    axisFormat %H:%M");
    let _ = writeln!(o, "    section Incidents");
    for i in &r.incidents {
        let _ = writeln!(
            o,
            "    I{} {} :crit, i{}, {}, {}",
            i.id,
            mermaid_text(&i.root_cause.signature),
            i.id,
            day(i.start),
            day(i.end)
        );
    }
    // One section per service: when it logged errors in each incident.
    let mut lanes: BTreeMap<&str, Vec<LaneItem>> = BTreeMap::new();
    for c in &f.coverage.incidents {
        for s in &c.services {
            if let (Some(a), Some(b)) = (s.first_hit, s.last_hit) {
                lanes
                    .entry(s.service.as_str())
                    .or_default()
                    .push((c.id, a, b, s.hits));
            }
        }
    }
    for (svc, items) in &lanes {
        let _ = writeln!(o, "    section {}", mermaid_text(svc));
        for (id, a, b, hits) in items {
            let _ = writeln!(o, "    I{id} {hits} hits :active, {}, {}", day(*a), day(*b));
        }
    }
    if !r.markers.is_empty() {
        let _ = writeln!(o, "    section Markers");
        for m in &r.markers {
            let _ = writeln!(
                o,
                "    {} {} :milestone, {}, 0m",
                mermaid_text(&m.hit.service),
                mermaid_text(&m.hit.signature),
                day(m.hit.time)
            );
        }
    }
    let _ = writeln!(o, "```");
    let _ = writeln!(o);
}

/// `### Incidents`: the table, one row per incident.
pub(super) fn table(o: &mut String, r: &Report, display: &Zone) {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    let clock = |t: DateTime<Utc>| display.format(t, "%H:%M:%S");
    let _ = writeln!(o, "### Incidents");
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "| # | start | end | duration | severity | root cause | services | evidence |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|");
    for i in &r.incidents {
        let ev: Vec<String> = i
            .evidence
            .iter()
            .map(|e| format!("{}:{}", md(&e.path), e.line))
            .collect();
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | `{}` | {} | {} |",
            i.id,
            day(i.start),
            clock(i.end),
            human_duration(i.duration_seconds),
            i.severity.as_str(),
            i.root_cause.signature,
            md(&i.services.join(", ")),
            ev.join("<br>")
        );
    }
    let _ = writeln!(o);
}

/// Under the table, per incident: chain, template root cause, also new, culprit, restart
/// context, evidence lines.
pub(super) fn details(o: &mut String, r: &Report, display: &Zone) {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    let clock = |t: DateTime<Utc>| display.format(t, "%H:%M:%S");
    for i in &r.incidents {
        let _ = writeln!(
            o,
            "**#{}** chain: {}",
            i.id,
            i.chain
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(" → ")
        );
        let _ = writeln!(o);
        super::detector::why(o, i);
        if let Some(t) = &i.root_cause.template {
            let _ = writeln!(
                o,
                "Root cause: an error no signature knows burst, `{}`: {} (×{} in this window, {} elsewhere{}).",
                t.id,
                md(&t.text),
                t.count,
                t.background,
                t.exception
                    .as_deref()
                    .map(|e| format!("; exception `{e}`"))
                    .unwrap_or_default()
            );
            let _ = writeln!(o);
        }
        for t in &i.new_templates {
            let _ = writeln!(
                o,
                "Also new in this window: `{}`: {} (×{}).",
                t.id,
                md(&t.text),
                t.count
            );
            let _ = writeln!(o);
        }
        if let Some(c) = &i.culprit {
            let _ = writeln!(
                o,
                "Culprit: {}{} ({}{}).",
                md(&c.sentence),
                if c.culprit.loopback {
                    ", loopback churn"
                } else {
                    ""
                },
                md(&c.snapshot),
                c.snapshot_time
                    .map(|t| format!(" at {}", day(t)))
                    .unwrap_or_default()
            );
            let _ = writeln!(o);
        }
        if let Some(rs) = &i.root_cause.restart {
            let _ = writeln!(
                o,
                "Context: {} restarted at {} (`{}`, {}:{}): the failures follow the restart; look for what stopped it.",
                md(&rs.service),
                clock(rs.time),
                rs.signature,
                md(&rs.path),
                rs.line
            );
            let _ = writeln!(o);
        }
        for e in &i.evidence {
            let _ = writeln!(
                o,
                "- {}:{} ({}, {}): {}",
                md(&e.path),
                e.line,
                md(&e.service),
                clock(e.time),
                md(&clip(e.text.trim(), 240))
            );
        }
        let _ = writeln!(o);
    }
}

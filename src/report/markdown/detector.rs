//! What the rate detector decided, in the Markdown postmortem: per incident a `why` table
//! (its anomalous signals, observed against expected, lift, p-value), then the isolated
//! events (anomalous, not incidents), the chronic signals (steady background) and one
//! paragraph on how incidents were decided (mode, α, tests, effect size, short capture).
//!
//! Input: the [`Report`] and the display zone. Output: Markdown appended to the document;
//! text from logs, services and template texts goes through [`md`].

use super::md;
use crate::report::escape::clip;
use crate::report::{IncidentOut, Report};
use crate::time::Zone;
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

/// The `why` table of one incident.
pub(super) fn why(o: &mut String, i: &IncidentOut) {
    if i.why.is_empty() {
        return;
    }
    let _ = writeln!(o, "Why an incident:");
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "| signal | service | how | observed | expected | lift | p |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|");
    for w in &i.why {
        let _ = writeln!(
            o,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            w.signal,
            md(&w.service),
            w.how,
            w.observed,
            w.expected.map_or("–".into(), |e| format!("{e}")),
            w.lift.map_or("–".into(), |l| format!("×{l}")),
            w.p_value.map_or("–".into(), |p| format!("{p:.1e}"))
        );
    }
    let _ = writeln!(o);
}

/// `### Isolated events`, `### Chronic signals` and `### How incidents were decided`.
pub(super) fn sections(o: &mut String, r: &Report, display: &Zone) {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    if !r.isolated.is_empty() {
        let _ = writeln!(o, "### Isolated events");
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "Anomalous, but too little evidence for an incident (no page, no exit 1)."
        );
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "| time | service | signal | records | why not an incident | evidence |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|---|");
        for x in &r.isolated {
            let _ = writeln!(
                o,
                "| {} | {} | `{}` | {} | {} | {} |",
                day(x.time),
                md(&x.service),
                x.signal,
                x.observed,
                md(&x.reason),
                x.evidence.as_ref().map_or("–".into(), |e| format!(
                    "{}:{} {}",
                    md(&e.path),
                    e.line,
                    md(&clip(e.text.trim(), 100))
                ))
            );
        }
        let _ = writeln!(o);
    }
    if !r.chronic.is_empty() {
        let _ = writeln!(o, "### Chronic signals");
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "Steady background, present in most hours: not an outage; inside an incident they count only when elevated."
        );
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "| signal | services | per hour | minutes present | bursts | first | last | what |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|---|---|---|");
        let t = |x: Option<DateTime<Utc>>| x.map_or("–".into(), day);
        for c in &r.chronic {
            let _ = writeln!(
                o,
                "| `{}` | {} | {} | {:.0} % | {} | {} | {} | {} |",
                c.signature,
                md(&c.services.join(", ")),
                c.rate_per_hour,
                c.share_of_minutes * 100.0,
                c.windows,
                t(c.first),
                t(c.last),
                md(&clip(&c.title, 90))
            );
        }
        let _ = writeln!(o);
    }
    let d = &r.detector;
    let _ = writeln!(o, "### How incidents were decided");
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "Mode **{}**: a signal (signature, template or user impact, per service and minute) is anomalous where its count over {}–{} minutes has P ≤ {} / {} tests under its own baseline and is at least {}× the expected count ({}× for catalog noise). An incident needs {} anomalous records, user impact, or a rare crash/host-wide event corroborated by a second signal.",
        d.mode,
        d.scales_minutes.first().copied().unwrap_or(1),
        d.scales_minutes.last().copied().unwrap_or(60),
        d.alpha,
        d.tests,
        d.effect,
        d.noise_effect,
        d.min_records
    );
    if !d.short_services.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "Short capture: no baseline for {} (observed under {} minutes); their error records count as anomalous.",
            md(&d.short_services.join(", ")),
            d.short_minutes
        );
    }
    let _ = writeln!(o);
}

//! `### Findings` in the Markdown postmortem: recurrence, red herrings (a table of lifts
//! and verdicts), coverage (who logged during each incident, silent stretches), traffic
//! (requests and 5xx per incident), host-wide events, host evidence (the sockets report in
//! a fence) and the markers.
//!
//! Input: the [`Report`] and the display zone. Output: Markdown appended to the document;
//! every text from logs or file names goes through [`md`]. The host evidence is fenced
//! with eight tildes, and a line cannot close the fence.

use super::{ids, md};
use crate::analysis::findings::{Findings, Presence};
use crate::report::escape::{clip, escape_control};
use crate::report::prose::{phase_text, recurrence_sentence, verdict_sentence};
use crate::report::Report;
use crate::time::Zone;
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

/// `### Findings`: its paragraphs in order.
pub(super) fn findings(o: &mut String, r: &Report, display: &Zone) {
    let f = &r.findings;
    let _ = writeln!(o, "### Findings");
    let _ = writeln!(o);
    recurrence(o, r, display);
    red_herrings(o, f);
    coverage(o, f, display);
    traffic(o, f);
    host_wide(o, f, display);
    host_evidence(o, r, display);
    markers(o, r, display);
}

/// **Recurrence.**: the sentence with period, jitter and phase, or why there is none.
fn recurrence(o: &mut String, r: &Report, display: &Zone) {
    let n = r.incidents.len();
    let f = &r.findings;
    match &f.recurrence {
        Some(rec) => {
            let _ = writeln!(
                o,
                "**Recurrence.** {}. Period {} s, jitter ±{} s, {} incidents on the pattern{}.",
                md(&recurrence_sentence(r, display).unwrap_or_default()),
                rec.period_seconds,
                rec.jitter_seconds,
                rec.count,
                rec.phase_seconds
                    .map(|p| format!(", phase {} past the hour", phase_text(p)))
                    .unwrap_or_default()
            );
        }
        None if n >= 3 => {
            let _ = writeln!(
                o,
                "**Recurrence.** None: the incidents do not repeat at a regular interval."
            );
        }
        None => {
            let _ = writeln!(o, "**Recurrence.** Too few incidents to tell (3 needed).");
        }
    }
    let _ = writeln!(o);
}

/// **Red herrings.**: each signature's hits inside the incidents against its rate outside.
fn red_herrings(o: &mut String, f: &Findings) {
    if !f.red_herrings.is_empty() {
        let _ = writeln!(
            o,
            "**Red herrings.** Each signature's hits inside the incident windows against its rate outside them (lift = rate inside ÷ rate outside; ∞ = never outside)."
        );
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "| signature | hits | inside | expected inside | lift | verdict |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|---|");
        for s in &f.red_herrings {
            let _ = writeln!(
                o,
                "| `{}` | {} | {} ({:.1} %) | {:.2} | {} | {} |",
                s.signature,
                s.hits,
                s.inside,
                s.share_inside * 100.0,
                s.expected_inside,
                s.lift.map_or("∞".to_string(), |l| format!("{l:.2}")),
                verdict_sentence(s.verdict)
            );
        }
        let _ = writeln!(o);
    }
}

/// **Coverage.**: which services wrote records during each incident, and the notes below.
fn coverage(o: &mut String, f: &Findings, display: &Zone) {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    let clock = |t: DateTime<Utc>| display.format(t, "%H:%M:%S");
    let cov = &f.coverage;
    if !cov.incidents.is_empty() {
        let _ = writeln!(
            o,
            "**Coverage.** Which services wrote records during each incident (minute resolution). A silent service is not a healthy one."
        );
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "| # | logging | silent | quiet (rare logger) | not covered |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|");
        for c in &cov.incidents {
            let cell = |p: Presence| {
                let v = c.with(p);
                if v.is_empty() {
                    "–".to_string()
                } else {
                    md(&v.join(", "))
                }
            };
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                c.id,
                cell(Presence::Logging),
                cell(Presence::Silent),
                cell(Presence::Quiet),
                cell(Presence::NotCovered)
            );
        }
        let _ = writeln!(o);
        let mut notes = false;
        for s in &cov.services {
            for g in &s.gaps {
                notes = true;
                let _ = writeln!(
                    o,
                    "- {} wrote nothing from {} to {} ({} min){}.",
                    md(&s.service),
                    day(g.from),
                    clock(g.to),
                    g.minutes,
                    if g.incidents.is_empty() {
                        String::new()
                    } else {
                        format!(", overlapping incident {}", ids(&g.incidents))
                    }
                );
            }
        }
        if !cov.without_records.is_empty() {
            notes = true;
            let _ = writeln!(
                o,
                "- No dated records at all (coverage unknown): {}.",
                md(&cov.without_records.join(", "))
            );
        }
        if notes {
            let _ = writeln!(o);
        }
    }
}

/// **Traffic.**: requests and 5xx in the minutes each incident touches, and the baseline.
fn traffic(o: &mut String, f: &Findings) {
    if let Some(t) = &f.traffic {
        let _ = writeln!(
            o,
            "**Traffic.** From {} (requests per minute and 5xx in the minutes each incident touches).",
            md(&t.files.join(", "))
        );
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "| # | minutes | requests | 5xx | error rate | most failed paths |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|---|");
        for it in &t.incidents {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {:.1} % | {} |",
                it.id,
                it.rate.minutes,
                it.rate.requests,
                it.rate.errors,
                it.rate.error_rate * 100.0,
                it.top_paths
                    .iter()
                    .map(|p| format!("{} ×{}", md(&clip(&p.path, 80)), p.count))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let b = &t.baseline;
        let _ = writeln!(
            o,
            "| baseline | {} | {} | {} | {:.1} % | {:.1} requests/min |",
            b.minutes,
            b.requests,
            b.errors,
            b.error_rate * 100.0,
            b.requests_per_minute
        );
        let _ = writeln!(o);
    }
}

/// **Host-wide events.**: the same signature in several services within one second.
fn host_wide(o: &mut String, f: &Findings, display: &Zone) {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    if !f.host_wide.is_empty() {
        let _ = writeln!(
            o,
            "**Host-wide events.** The same signature in several services within one second points to a shared cause (ports, DNS, disk), not one service's fault."
        );
        let _ = writeln!(o);
        for h in &f.host_wide {
            let _ = writeln!(
                o,
                "- `{}` in {} within the same second, {} time{} (first {}{}).",
                h.signature,
                md(&h.services.join(", ")),
                h.seconds,
                if h.seconds == 1 { "" } else { "s" },
                day(h.first),
                if h.incidents.is_empty() {
                    String::new()
                } else {
                    format!(", incidents {}", ids(&h.incidents))
                }
            );
        }
        let _ = writeln!(o);
    }
}

/// **Host evidence**: the sockets report, fenced.
fn host_evidence(o: &mut String, r: &Report, display: &Zone) {
    if !r.sockets.snapshots.is_empty() || !r.sockets.process_tables.is_empty() {
        let _ = writeln!(
            o,
            "**Host evidence** (saved netstat/ss/tasklist/ps output found among the inputs):"
        );
        let _ = writeln!(o);
        let _ = writeln!(o, "~~~~~~~~ text");
        let when = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
        for line in crate::evidence::sockets::render_text_with(&r.sockets, &when).lines() {
            let line = escape_control(line);
            // A line cannot close the fence: it would need eight tildes at its start.
            let _ = writeln!(o, "{}", line.trim_start_matches('~'));
        }
        let _ = writeln!(o, "~~~~~~~~");
        let _ = writeln!(o);
    }
}

/// **Markers**: restarts and lifecycle, not incidents.
fn markers(o: &mut String, r: &Report, display: &Zone) {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    if !r.markers.is_empty() {
        let _ = writeln!(o, "**Markers** (restarts and lifecycle, not incidents):");
        let _ = writeln!(o);
        for m in &r.markers {
            let _ = writeln!(
                o,
                "- {} {} `{}` at {}:{}{}",
                day(m.hit.time),
                md(&m.hit.service),
                m.hit.signature,
                md(&m.hit.path),
                m.hit.line,
                if m.count > 1 {
                    format!(" (×{})", m.count)
                } else {
                    String::new()
                }
            );
        }
        let _ = writeln!(o);
    }
}

//! The `findings` section of the text report: recurrence, red herrings, coverage, traffic
//! and host-wide events, one labelled row each.
//!
//! Input: a [`Report`] and the display zone. Output: the section's text (empty when there
//! is nothing to say). Its labels sit in the label column of the incident blocks, so
//! [`super::colorize`] styles them alike.

use super::LABEL;
use crate::analysis::findings::{Findings, Presence};
use crate::report::escape::{clip, escape_control};
use crate::report::prose::{
    join_or_none, lift_text, percent, recurrence_sentence, verdict_sentence,
};
use crate::report::Report;
use crate::time::Zone;
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

/// The `findings` section of the text report (empty when there is nothing to say).
pub(crate) fn findings(r: &Report, display: &Zone) -> String {
    let f = &r.findings;
    let mut o = String::new();
    recurrence(&mut o, r, display);
    red_herrings(&mut o, f);
    coverage(&mut o, f, display);
    traffic(&mut o, f, display);
    host_wide(&mut o, f, display);
    if o.is_empty() {
        return o;
    }
    format!("\nfindings\n{o}")
}

/// One row of the section: the label on a finding's first row only, in the label column.
fn row(o: &mut String, label: &str, first: &mut bool, text: &str) {
    let _ = writeln!(o, "    {:<LABEL$}{}", if *first { label } else { "" }, text);
    *first = false;
}

/// The recurrence sentence, or why there is none (three incidents or more).
fn recurrence(o: &mut String, r: &Report, display: &Zone) {
    if let Some(s) = recurrence_sentence(r, display) {
        row(o, "recurrence", &mut true, &s);
    } else if r.incidents.len() >= 3 {
        row(
            o,
            "recurrence",
            &mut true,
            "none: the incidents do not repeat at a regular interval",
        );
    }
}

/// Each scored signature: hits inside the incidents, lift and verdict.
fn red_herrings(o: &mut String, f: &Findings) {
    if !f.red_herrings.is_empty() {
        let w = f
            .red_herrings
            .iter()
            .map(|s| s.signature.len())
            .max()
            .unwrap_or(10);
        let mut first = true;
        for s in &f.red_herrings {
            let line = format!(
                "{:<w$}  {:>4} of {:<5} inside  lift {:>4}  {}",
                s.signature,
                s.inside,
                s.hits,
                lift_text(s.lift),
                verdict_sentence(s.verdict)
            );
            row(o, "red herrings", &mut first, line.trim_end());
        }
    }
}

/// Which services logged during each incident, their silent stretches, and the services
/// without dated records.
fn coverage(o: &mut String, f: &Findings, display: &Zone) {
    let clock = |t: DateTime<Utc>| display.format(t, "%H:%M:%S");
    let cov = &f.coverage;
    if !cov.incidents.is_empty() {
        let mut first = true;
        let all_logging = cov
            .incidents
            .iter()
            .all(|c| c.services.iter().all(|s| s.status == Presence::Logging));
        if all_logging {
            let names: Vec<&str> = cov.services.iter().map(|s| s.service.as_str()).collect();
            row(
                o,
                "coverage",
                &mut first,
                &format!(
                    "every service with dated records logged during every incident: {}",
                    names.join(", ")
                ),
            );
        } else {
            for c in &cov.incidents {
                let mut parts = vec![format!(
                    "#{} logging: {}",
                    c.id,
                    join_or_none(&c.with(Presence::Logging))
                )];
                for (p, word) in [
                    (Presence::Silent, "SILENT (no record, expected"),
                    (
                        Presence::Quiet,
                        "quiet (no record, normal at its rate: expected",
                    ),
                    (Presence::NotCovered, ""),
                ] {
                    let v: Vec<String> = c
                        .services
                        .iter()
                        .filter(|s| s.status == p)
                        .map(|s| {
                            if p == Presence::NotCovered {
                                format!("{} (its log does not cover it)", s.service)
                            } else {
                                format!("{} {word} {:.1})", s.service, s.expected)
                            }
                        })
                        .collect();
                    if !v.is_empty() {
                        parts.push(v.join(", "));
                    }
                }
                row(o, "coverage", &mut first, &parts.join("; "));
            }
        }
        for s in &cov.services {
            for g in &s.gaps {
                row(
                    o,
                    "coverage",
                    &mut first,
                    &format!(
                        "{} wrote nothing from {} to {} ({} min{})",
                        s.service,
                        clock(g.from),
                        clock(g.to),
                        g.minutes,
                        if g.incidents.is_empty() {
                            String::new()
                        } else {
                            format!(
                                ", during incident {}",
                                g.incidents
                                    .iter()
                                    .map(|i| format!("#{i}"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        }
                    ),
                );
            }
        }
        if !cov.without_records.is_empty() {
            row(
                o,
                "coverage",
                &mut first,
                &format!(
                    "no dated records at all (coverage unknown): {}",
                    cov.without_records.join(", ")
                ),
            );
        }
    }
}

/// Requests and 5xx per incident with the most failed paths, and the baseline.
fn traffic(o: &mut String, f: &Findings, display: &Zone) {
    if let Some(t) = &f.traffic {
        let mut first = true;
        for it in &t.incidents {
            let paths: Vec<String> = it
                .top_paths
                .iter()
                .map(|p| format!("{} ×{}", clip(&escape_control(&p.path), 60), p.count))
                .collect();
            row(
                o,
                "traffic",
                &mut first,
                &format!(
                    "#{} {} request{} in {} min, {} × 5xx ({}){}",
                    it.id,
                    it.rate.requests,
                    if it.rate.requests == 1 { "" } else { "s" },
                    it.rate.minutes,
                    it.rate.errors,
                    percent(it.rate.error_rate),
                    if paths.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", paths.join(", "))
                    }
                ),
            );
            if !it.upstreams.is_empty() {
                let ups: Vec<String> = it
                    .upstreams
                    .iter()
                    .map(|p| format!("{} ×{}", clip(&escape_control(&p.path), 40), p.count))
                    .collect();
                row(
                    o,
                    "traffic",
                    &mut first,
                    &format!("   failing upstreams: {}", ups.join(", ")),
                );
            }
            // Proxy flags, each with what it means (HAProxy sH--, Envoy UF, ALB `-`).
            for f in &it.flags {
                row(
                    o,
                    "traffic",
                    &mut first,
                    &format!(
                        "   flag {} ×{}{}",
                        escape_control(&f.flag),
                        f.count,
                        f.means
                            .as_deref()
                            .map(|m| format!(": {}", escape_control(m)))
                            .unwrap_or_default()
                    ),
                );
            }
        }
        let b = &t.baseline;
        row(
            o,
            "traffic",
            &mut first,
            &format!(
                "baseline outside incidents: {:.1} requests/min, {:.2} × 5xx/min ({}); {} failed request{} during incidents",
                b.requests_per_minute,
                b.errors_per_minute,
                percent(b.error_rate),
                t.failed_requests,
                if t.failed_requests == 1 { "" } else { "s" }
            ),
        );
        // Latency jumps (`analysis::impact`): user impact even without a 5xx.
        for w in &t.slow {
            row(
                o,
                "traffic",
                &mut first,
                &crate::report::prose::slow_line(w, display),
            );
        }
    }
}

/// Signatures seen in several services within the same second.
fn host_wide(o: &mut String, f: &Findings, display: &Zone) {
    let clock = |t: DateTime<Utc>| display.format(t, "%H:%M:%S");
    if !f.host_wide.is_empty() {
        let mut first = true;
        for h in &f.host_wide {
            row(
                o,
                "host-wide",
                &mut first,
                &format!(
                    "{} in {} within the same second ({} time{}, first {}): shared cause, not one service's fault",
                    h.signature,
                    h.services.join(", "),
                    h.seconds,
                    if h.seconds == 1 { "" } else { "s" },
                    clock(h.first)
                ),
            );
        }
    }
}

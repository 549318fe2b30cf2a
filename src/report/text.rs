//! Text output helpers: the findings section and terminal colors.
//!
//! Colors are added after rendering, by line shape (incident headers, labels, headings),
//! so the plain text stays the single source and log text (already escaped by
//! [`super::escape_control`]: no escape byte survives) is never styled or interpreted.

use super::{clip, escape_control, human_duration, Report};
use crate::analysis::findings::{Presence, Verdict};
use crate::time::Zone;
use anstyle::{AnsiColor, Style};
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

/// Label column width (matches the incident blocks: `    root cause  `).
const LABEL: usize = 14;

fn percent(x: f64) -> String {
    let p = x * 100.0;
    if p == 0.0 || p >= 10.0 {
        format!("{p:.0} %")
    } else {
        format!("{p:.1} %")
    }
}

/// `:47` or `:47:09`.
pub(crate) fn phase_text(secs: u32) -> String {
    if secs % 60 == 0 {
        format!(":{:02}", secs / 60)
    } else {
        format!(":{:02}:{:02}", secs / 60, secs % 60)
    }
}

/// The recurrence in one sentence (shared by every format).
pub(crate) fn recurrence_sentence(r: &Report, display: &Zone) -> Option<String> {
    let rec = r.findings.recurrence.as_ref()?;
    let mut s = format!(
        "{} incidents repeat every {} (±{})",
        rec.count,
        human_duration(rec.period_seconds),
        human_duration(rec.jitter_seconds)
    );
    if let Some(p) = rec.phase_seconds {
        let _ = write!(s, ", at about {} past the hour", phase_text(p));
    }
    if !rec.extra.is_empty() {
        let _ = write!(
            s,
            "; off the pattern: {}",
            rec.extra
                .iter()
                .map(|i| format!("#{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !rec.missed.is_empty() {
        let _ = write!(
            s,
            "; missed cycle{} at {}",
            if rec.missed.len() == 1 { "" } else { "s" },
            rec.missed
                .iter()
                .map(|t| display.format(*t, "%H:%M:%S"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = write!(
        s,
        "; next expected {}{}",
        display.format(rec.next_expected, "%Y-%m-%d %H:%M:%S"),
        if rec.next_expected_in_logs {
            " (the logs cover it: did it happen?)"
        } else {
            " (after the logs end)"
        }
    );
    Some(s)
}

fn lift_text(l: Option<f64>) -> String {
    l.map_or("∞".to_string(), |l| format!("{l:.2}"))
}

/// One sentence per scored signature.
pub(crate) fn verdict_sentence(v: Verdict) -> &'static str {
    match v {
        Verdict::Correlated => "correlated: evidence",
        Verdict::Elevated => "elevated during incidents, but mostly background",
        Verdict::UnrelatedNoise => "unrelated noise: same rate inside and outside, not evidence",
        Verdict::Suppressed => "rarer during incidents",
        Verdict::TooFewHits => "too few hits to say",
        Verdict::NotComparable => "its logs do not overlap the incidents",
    }
}

fn join_or_none(v: &[&str]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// The `findings` section of the text report (empty when there is nothing to say).
pub(crate) fn findings(r: &Report, display: &Zone) -> String {
    let f = &r.findings;
    let mut o = String::new();
    let clock = |t: DateTime<Utc>| display.format(t, "%H:%M:%S");
    let row = |o: &mut String, label: &str, first: &mut bool, text: &str| {
        let _ = writeln!(o, "    {:<LABEL$}{}", if *first { label } else { "" }, text);
        *first = false;
    };
    if let Some(s) = recurrence_sentence(r, display) {
        row(&mut o, "recurrence", &mut true, &s);
    } else if r.incidents.len() >= 3 {
        row(
            &mut o,
            "recurrence",
            &mut true,
            "none: the incidents do not repeat at a regular interval",
        );
    }
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
            row(&mut o, "red herrings", &mut first, line.trim_end());
        }
    }
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
                &mut o,
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
                row(&mut o, "coverage", &mut first, &parts.join("; "));
            }
        }
        for s in &cov.services {
            for g in &s.gaps {
                row(
                    &mut o,
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
                &mut o,
                "coverage",
                &mut first,
                &format!(
                    "no dated records at all (coverage unknown): {}",
                    cov.without_records.join(", ")
                ),
            );
        }
    }
    if let Some(t) = &f.traffic {
        let mut first = true;
        for it in &t.incidents {
            let paths: Vec<String> = it
                .top_paths
                .iter()
                .map(|p| format!("{} ×{}", clip(&escape_control(&p.path), 60), p.count))
                .collect();
            row(
                &mut o,
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
        }
        let b = &t.baseline;
        row(
            &mut o,
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
    }
    if !f.host_wide.is_empty() {
        let mut first = true;
        for h in &f.host_wide {
            row(
                &mut o,
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
    if o.is_empty() {
        return o;
    }
    format!("\nfindings\n{o}")
}

/// Adds ANSI styles to a rendered text report: incident headers, labels, headings. Only
/// layout the renderer wrote is styled; log text was escaped before.
pub fn colorize(text: &str) -> String {
    let bold = Style::new().bold();
    let label = Style::new().fg_color(Some(AnsiColor::Cyan.into()));
    let crit = Style::new().bold().fg_color(Some(AnsiColor::Red.into()));
    let err = Style::new().bold().fg_color(Some(AnsiColor::Yellow.into()));
    let dim = Style::new().dimmed();
    let good = Style::new().fg_color(Some(AnsiColor::Green.into()));
    let paint = |s: Style, t: &str| format!("{s}{t}{s:#}");
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let styled = if body.starts_with('#') && body[1..].starts_with(|c: char| c.is_ascii_digit())
        {
            // `#1  2019-08-21 08:47:10 → 08:47:41  31s  CRITICAL`
            let sev = if body.ends_with("CRITICAL") {
                crit
            } else {
                err
            };
            paint(sev, body)
        } else if matches!(body, "markers" | "findings" | "host evidence")
            || body.starts_with("summary:")
            || body.starts_with("faultscope:")
        {
            paint(bold, body)
        } else if let Some(rest) = body.strip_prefix("    ") {
            let lab_len = rest
                .char_indices()
                .take(LABEL)
                .find(|(i, c)| *c == ' ' && rest[*i..].starts_with("  "))
                .map(|(i, _)| i);
            match lab_len {
                Some(n)
                    if n > 0
                        && rest[..n]
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == ' ' || c == '-') =>
                {
                    let (lab, value) = rest.split_at(n);
                    let value = if lab == "root cause" {
                        paint(bold, value)
                    } else if value.contains("unrelated noise") {
                        paint(dim, value)
                    } else if value.contains("correlated: evidence") || value.contains("SILENT") {
                        paint(err, value)
                    } else if value.trim_start().starts_with("every service") {
                        paint(good, value)
                    } else {
                        value.to_string()
                    };
                    format!("    {}{}", paint(label, lab), value)
                }
                _ => body.to_string(),
            }
        } else if body.starts_with("background noise") {
            paint(dim, body)
        } else {
            body.to_string()
        };
        out.push_str(&styled);
        out.push_str(nl);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors_only_layout() {
        let t = "#1  2019-08-21 08:47:10 → 08:47:41  31s  CRITICAL\n    root cause  x: y\n    evidence  a.log:1  \\x1b[31m\n";
        let c = colorize(t);
        assert!(c.contains("\x1b["));
        // Stripping the styles gives the plain text back.
        let mut plain = String::new();
        let mut it = c.chars().peekable();
        while let Some(ch) = it.next() {
            if ch == '\x1b' {
                for d in it.by_ref() {
                    if d == 'm' {
                        break;
                    }
                }
            } else {
                plain.push(ch);
            }
        }
        assert_eq!(plain, t);
        assert_eq!(phase_text(2829), ":47:09");
        assert_eq!(phase_text(2820), ":47");
    }
}

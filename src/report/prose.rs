//! Wording shared by the human-readable formats (text, Markdown, HTML): durations (`31s`,
//! `2m 04s`, `2h 01m`), percentages, the phase past the hour, the recurrence in one
//! sentence, red-herring verdicts and lifts.
//!
//! Input: a [`Report`] (or one of its numbers) and the display zone. Output: strings, so
//! every format says the same thing in the same words.

use super::Report;
use crate::analysis::findings::Verdict;
use crate::time::Zone;
use std::fmt::Write as _;

pub(super) fn human_duration(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m {:02}s", s / 60, s % 60),
        s => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

pub(super) fn percent(x: f64) -> String {
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

/// Where a zone came from, in the words of the header: `--tz`, `TZ`, `inferred from
/// <file>`, `this machine's local zone`.
fn source_words(z: &crate::analysis::clock::NaiveZone) -> String {
    match z.source {
        "flag" => "--tz".into(),
        "flag-for-file" => "--tz-for".into(),
        "tz-env" => "TZ".into(),
        "default-local" => "this machine's local zone".into(),
        "inferred" => {
            let mut s = match &z.from {
                Some(f) => format!("inferred from {f}"),
                None => "inferred".into(),
            };
            if let Some(c) = z.confidence {
                let _ = write!(
                    s,
                    ", confidence {}",
                    crate::analysis::clock::confidence_text(c)
                );
            }
            s
        }
        other => other.into(),
    }
}

/// What the header says about zones: the display zone, and which zone naive times were
/// read in and why (`naive times read as +08:00, inferred from nginx/access.log,
/// confidence >99.99 %`), one clause per zone when files differ. Every human format
/// (text, Markdown, HTML) prints this sentence.
pub(crate) fn zone_statement(r: &Report, display: &Zone) -> String {
    let zones = &r.clock.naive_zones;
    let naive = match zones.as_slice() {
        [] => format!(
            "naive times read as {} from {}",
            r.assumed_timezone,
            match r.timezone_reason.as_str() {
                "flag" => "--tz",
                "tz-env" => "TZ",
                "inferred" => "inference",
                _ => "this machine's local zone; set --tz",
            }
        ),
        [one] => {
            let mut s = if one.source == "inferred" {
                format!("naive times read as {}, {}", one.zone, source_words(one))
            } else {
                format!(
                    "naive times read as {} from {}",
                    one.zone,
                    source_words(one)
                )
            };
            if one.source == "default-local" {
                s.push_str("; set --tz");
            }
            s
        }
        many => format!(
            "naive times read as {}",
            many.iter()
                .map(|z| format!(
                    "{} ({} file{}, {})",
                    z.zone,
                    z.files,
                    if z.files == 1 { "" } else { "s" },
                    source_words(z)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!("times in {display}; {naive}")
}

/// The rows of the clocks section (label, text): each file whose zone was inferred or left
/// in a default for want of evidence, and each clock skew. Empty when there is nothing to
/// say.
pub(crate) fn clock_rows(r: &Report) -> Vec<(&'static str, String)> {
    use crate::analysis::clock::confidence_text;
    let mut rows = Vec::new();
    for i in &r.clock.inferences {
        let witness = i
            .witness
            .as_deref()
            .unwrap_or("the files that state their offset");
        let text = if i.applied && !i.changed {
            format!(
                "{}: {} confirmed, its activity lines up with {} ({}, confidence {})",
                i.path,
                i.default_zone,
                witness,
                basis_words(i.basis),
                confidence_text(i.confidence)
            )
        } else if i.applied {
            format!(
                "{}: {} (was {}), its activity lines up with {} ({}, confidence {})",
                i.path,
                i.offset,
                i.default_zone,
                witness,
                basis_words(i.basis),
                confidence_text(i.confidence)
            )
        } else {
            format!(
                "{}: kept {}; best alignment {} with {} at confidence {} only (needs {})",
                i.path,
                i.default_zone,
                i.offset,
                witness,
                confidence_text(i.confidence),
                confidence_text(1.0 - crate::analysis::clock::zones::ALPHA)
            )
        };
        rows.push(("zone", text));
    }
    for y in &r.clock.years {
        rows.push((
            "year",
            format!(
                "{}: stamps without a year moved {} year{} {} to the years of the dated files beside it (its {} gave a year they do not cover: a copied file?)",
                y.path,
                y.years.abs(),
                if y.years.abs() == 1 { "" } else { "s" },
                if y.years < 0 { "back" } else { "forward" },
                if y.was_from == "mtime" { "mtime" } else { "clock" },
            ),
        ));
    }
    for s in &r.clock.skews {
        rows.push((
            "skew",
            format!(
                "{} runs {:.1} s {} the majority ({} matching events){}",
                s.service,
                s.seconds.abs(),
                if s.seconds > 0.0 {
                    "ahead of"
                } else {
                    "behind"
                },
                s.pairs,
                if s.applied {
                    "; corrected (--correct-skew)"
                } else {
                    "; not corrected: a causal delay looks alike, check it, then --correct-skew"
                }
            ),
        ));
    }
    rows
}

fn basis_words(b: crate::analysis::clock::zones::Basis) -> &'static str {
    use crate::analysis::clock::zones::Basis;
    match b {
        Basis::AllOffsets => "best of all offsets",
        Basis::StatedOffsets => "best of the offsets other files state",
        Basis::Group => "with the other naive files",
        Basis::Consensus => "the offset every other inference agrees on",
    }
}

pub(super) fn lift_text(l: Option<f64>) -> String {
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

pub(super) fn join_or_none(v: &[&str]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(31), "31s");
        assert_eq!(human_duration(124), "2m 04s");
        assert_eq!(human_duration(7300), "2h 01m");
    }

    #[test]
    fn phases_read_well() {
        assert_eq!(phase_text(2829), ":47:09");
        assert_eq!(phase_text(2820), ":47");
    }
}

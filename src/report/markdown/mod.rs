//! Markdown: a postmortem section to paste into a postmortem document or a ticket as is.
//!
//! Summary, impact, a Mermaid `gantt` timeline, the incident table with evidence as
//! `path:line`, the findings, next checks from the catalog, and an appendix of the inputs
//! (format, zone, SHA-256) so the report can be reproduced.
//!
//! Log text is hostile: every piece of text from logs or file names goes through [`md`],
//! which escapes control characters and Markdown/HTML punctuation, so a log line cannot
//! open a link, an image, raw HTML or break a table.

use super::escape::{clip, escape_control};
use super::prose::{human_duration, phase_text, recurrence_sentence, verdict_sentence};
use super::Report;
use crate::analysis::findings::Presence;
use crate::time::Zone;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Escapes text for Markdown (inline, table cells included): control characters become
/// `\x..`, and every ASCII punctuation character with a Markdown or HTML meaning gets a
/// backslash (CommonMark: any ASCII punctuation may be backslash-escaped).
pub fn md(s: &str) -> String {
    let s = escape_control(s);
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`'
                | '*'
                | '_'
                | '{'
                | '}'
                | '['
                | ']'
                | '<'
                | '>'
                | '('
                | ')'
                | '#'
                | '!'
                | '|'
                | '~'
                | '&'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text safe inside a Mermaid gantt line: letters, digits, space and `.-_/@` only.
fn mermaid_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | '/' | '@') {
                c
            } else {
                ' '
            }
        })
        .collect::<String>()
        .trim()
        .to_string()
}

fn ids(v: &[usize]) -> String {
    v.iter()
        .map(|i| format!("#{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// (incident id, first hit, last hit, hits) of one service.
type LaneItem = (usize, DateTime<Utc>, DateTime<Utc>, u64);

/// Renders the postmortem section. `display` is the zone times are shown in.
pub fn to_markdown(r: &Report, display: &Zone) -> String {
    let mut o = String::new();
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    let clock = |t: DateTime<Utc>| display.format(t, "%H:%M:%S");
    let n = r.incidents.len();
    let f = &r.findings;

    // Root causes by frequency.
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

    // ---- Title and summary.
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
        "_faultscope {} · {} file{} · times in {} (naive log times read as {}, {})",
        r.tool.version,
        r.summary.files_scanned,
        if r.summary.files_scanned == 1 {
            ""
        } else {
            "s"
        },
        display,
        r.assumed_timezone,
        match r.timezone_reason.as_str() {
            "flag" => "from --tz",
            "default-local" => "the local zone of the machine that ran faultscope",
            x => x,
        }
    );
    if let Some(g) = r.generated_at {
        let _ = write!(meta, " · generated {}", crate::time::rfc3339(g));
    }
    meta.push('_');
    let _ = writeln!(o, "{meta}");
    let _ = writeln!(o);
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
            for (id, count, title) in &roots {
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

    // ---- Impact.
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

    // ---- Timeline.
    if !r.incidents.is_empty() {
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

        // ---- Incidents.
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

    // ---- Findings.
    let _ = writeln!(o, "### Findings");
    let _ = writeln!(o);
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
    if !r.sockets.snapshots.is_empty() || !r.sockets.process_tables.is_empty() {
        let _ = writeln!(
            o,
            "**Host evidence** (saved netstat/ss/tasklist/ps output found among the inputs):"
        );
        let _ = writeln!(o);
        let _ = writeln!(o, "~~~~~~~~ text");
        for line in crate::evidence::sockets::render_text(&r.sockets).lines() {
            let line = escape_control(line);
            // A line cannot close the fence: it would need eight tildes at its start.
            let _ = writeln!(o, "{}", line.trim_start_matches('~'));
        }
        let _ = writeln!(o, "~~~~~~~~");
        let _ = writeln!(o);
    }
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

    // ---- Unknown errors (templates of records no signature matched).
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

    // ---- Next checks.
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

    // ---- Appendix.
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
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escaping() {
        assert_eq!(
            md("<script>alert(1)</script> | [x](y) `z`\x1b[31m"),
            "\\<script\\>alert\\(1\\)\\</script\\> \\| \\[x\\]\\(y\\) \\`z\\`\\\\x1b\\[31m"
        );
        assert_eq!(mermaid_text("a:b#c;d"), "a b c d");
    }
}

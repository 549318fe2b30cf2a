//! The text report: a header line, one block per incident, markers, host evidence,
//! background noise, the findings, the top unknown-error templates and a summary line.
//!
//! Input: a [`Report`], the display zone and the catalog (to mark noise signatures).
//! Output: plain text, times in the display zone. Log text is escaped
//! ([`escape_control`]) before it is written; colors are added afterwards by [`colorize`],
//! by line shape.

use super::escape::{clip, escape_control};
use super::prose::human_duration;
use super::{IncidentOut, Report, TemplateOut};
use crate::catalog::Catalog;
use crate::time::Zone;
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

mod color;
mod findings;

pub use color::colorize;

/// Label column width (matches the incident blocks: `    root cause  `).
const LABEL: usize = 14;

/// Templates listed in the text report.
const TEXT_TEMPLATES: usize = 10;

/// One template as a text line: count, level, id, text, services, first–last.
pub fn template_line(t: &TemplateOut, day: &dyn Fn(DateTime<Utc>) -> String) -> String {
    format!(
        "    ×{:<6} {:<7} {}  {}  [{}{}]",
        t.count,
        t.level.as_str(),
        t.id,
        clip(&escape_control(&t.text), 100),
        t.services.join(", "),
        match (t.first, t.last) {
            (Some(a), Some(b)) => format!("; {} → {}", day(a), day(b)),
            _ => String::new(),
        }
    )
}

/// Text rendering: one block per incident, times in `display` zone.
pub fn to_text(r: &Report, display: &Zone, cat: &Catalog) -> String {
    let mut o = String::new();
    header(&mut o, r, display);
    if let Some(e) = &r.error {
        let _ = writeln!(o, "error: {e}");
    }
    for inc in &r.incidents {
        incident_head(&mut o, inc, display, cat);
        incident_details(&mut o, inc, display);
    }
    markers(&mut o, r, display);
    isolated(&mut o, r, display);
    chronic(&mut o, r);
    host_evidence(&mut o, r, display);
    background(&mut o, r);
    o.push_str(&findings::findings(r, display));
    clocks(&mut o, r);
    templates(&mut o, r, display);
    detector(&mut o, r);
    summary(&mut o, r);
    o
}

/// Why lines listed per incident before "…and N more".
const WHY_LINES: usize = 6;

/// One anomalous signal: observed against expected, lift, p-value, how it counted.
pub fn why_text(w: &super::WhyOut) -> String {
    match (w.expected, w.lift, w.p_value) {
        (Some(e), lift, p) => format!(
            "{} @ {}: {} vs {} expected{}{} ({})",
            w.signal,
            w.service,
            w.observed,
            fmt_expected(e),
            lift.map_or(String::new(), |l| format!(", ×{}", fmt_lift(l))),
            p.map_or(String::new(), |p| format!(", p {p:.1e}")),
            w.how
        ),
        (None, _, _) => format!(
            "{} @ {}: {} records, no baseline ({})",
            w.signal, w.service, w.observed, w.how
        ),
    }
}

fn fmt_expected(e: f64) -> String {
    if e >= 10.0 {
        format!("{e:.0}")
    } else if e >= 0.1 {
        format!("{e:.1}")
    } else {
        format!("{e:.3}")
    }
}

fn fmt_lift(l: f64) -> String {
    if l >= 100.0 {
        format!("{l:.0}")
    } else {
        format!("{l:.1}")
    }
}

/// Anomalous events that are not incidents.
fn isolated(o: &mut String, r: &Report, display: &Zone) {
    if r.isolated.is_empty() {
        return;
    }
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "isolated (anomalous, not incidents: too little evidence)"
    );
    for x in &r.isolated {
        let _ = writeln!(
            o,
            "    {}  {:<16} {} ×{}: {}{}",
            day(x.time),
            x.service,
            x.signal,
            x.observed,
            x.reason,
            x.evidence
                .as_ref()
                .map(|e| format!("  {}:{}", e.path, e.line))
                .unwrap_or_default()
        );
    }
}

/// Steady background signals.
fn chronic(o: &mut String, r: &Report) {
    if r.chronic.is_empty() {
        return;
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "chronic (steady background, present in most hours; not incidents)"
    );
    for c in &r.chronic {
        let _ = writeln!(
            o,
            "    {:>8.1}/h  {}  [{}; {:.0} % of minutes{}]  {}",
            c.rate_per_hour,
            c.signature,
            c.services.join(", "),
            c.share_of_minutes * 100.0,
            if c.windows > 0 {
                format!("; {} burst(s)", c.windows)
            } else {
                String::new()
            },
            clip(&escape_control(&c.title), 80)
        );
    }
}

/// How incidents were decided, on one line (and the short-capture note).
fn detector(o: &mut String, r: &Report) {
    let d = &r.detector;
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "detector: {} mode; a window is anomalous at P ≤ {} / {} tests and ≥ {}× its baseline (scales {}–{} min); an incident needs {} anomalous records, user impact or a corroborated rare event",
        d.mode,
        d.alpha,
        d.tests,
        d.effect,
        d.scales_minutes.first().copied().unwrap_or(1),
        d.scales_minutes.last().copied().unwrap_or(60),
        d.min_records
    );
    if !d.short_services.is_empty() {
        let _ = writeln!(
            o,
            "short capture: no baseline for {} (observed under {} minutes): their error records count as anomalous",
            d.short_services.join(", "),
            d.short_minutes
        );
    }
}

/// One incident's block as the text report prints it (its header line, root cause, chain,
/// evidence, culprit, next checks), for renderers that show incidents one at a time (JUnit's
/// failure text).
pub fn incident_block(inc: &IncidentOut, display: &Zone, cat: &Catalog) -> String {
    let mut o = String::new();
    incident_head(&mut o, inc, display, cat);
    incident_details(&mut o, inc, display);
    o.trim_start_matches('\n').to_string()
}

/// The first line: incidents, files, the span of the logs and the zones.
fn header(o: &mut String, r: &Report, display: &Zone) {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    let clock = |t: DateTime<Utc>| display.format(t, "%H:%M:%S");
    let same_day = |a: DateTime<Utc>, b: DateTime<Utc>| {
        display.format(a, "%Y-%m-%d") == display.format(b, "%Y-%m-%d")
    };
    let span = match (r.summary.first, r.summary.last) {
        (Some(a), Some(b)) => format!(
            ", logs from {} to {}",
            day(a),
            if same_day(a, b) { clock(b) } else { day(b) }
        ),
        _ => String::new(),
    };
    let _ = writeln!(
        o,
        "faultscope: {} incident{} in {} file{}{span} ({})",
        r.incidents.len(),
        if r.incidents.len() == 1 { "" } else { "s" },
        r.summary.files_scanned,
        if r.summary.files_scanned == 1 {
            ""
        } else {
            "s"
        },
        crate::report::prose::zone_statement(r, display)
    );
}

/// An incident block's header line and its root cause, restart context, chain, first
/// sighting, services and hits per signature.
fn incident_head(o: &mut String, inc: &IncidentOut, display: &Zone, cat: &Catalog) {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    let clock = |t: DateTime<Utc>| display.format(t, "%H:%M:%S");
    let same_day = |a: DateTime<Utc>, b: DateTime<Utc>| {
        display.format(a, "%Y-%m-%d") == display.format(b, "%Y-%m-%d")
    };
    let _ = writeln!(o);
    let end = if same_day(inc.start, inc.end) {
        clock(inc.end)
    } else {
        day(inc.end)
    };
    let _ = writeln!(
        o,
        "#{}  {} → {}  {}  {}",
        inc.id,
        day(inc.start),
        end,
        human_duration(inc.duration_seconds),
        inc.severity.as_str().to_uppercase()
    );
    let rc = &inc.root_cause;
    match &rc.template {
        Some(t) => {
            let _ = writeln!(
                o,
                "    root cause  {}: {} [unknown error: ×{} in this window, {} elsewhere]",
                t.id,
                clip(&escape_control(&t.text), 110),
                t.count,
                t.background
            );
        }
        None => {
            let _ = writeln!(
                o,
                "    root cause  {}: {} [{}]",
                rc.signature, rc.title, rc.category
            );
        }
    }
    if let Some(r) = &rc.restart {
        let _ = writeln!(
            o,
            "    context     {} restarted at {} ({}, {}:{}): the failures follow the restart; look for what stopped it",
            r.service,
            clock(r.time),
            r.signature,
            r.path,
            r.line
        );
    }
    if inc.chain.len() > 1 {
        let _ = writeln!(o, "    chain       {}", inc.chain.join(" → "));
    }
    let _ = writeln!(
        o,
        "    first seen  {} at {}",
        inc.first_seen.service,
        clock(inc.first_seen.time)
    );
    let _ = writeln!(o, "    services    {}", inc.services.join(", "));
    let mut sigs: Vec<(&String, &u64)> = inc.signatures.iter().collect();
    sigs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let sig_text: Vec<String> = sigs
        .iter()
        .map(|(id, n)| {
            let noise = cat.index_of(id).is_some_and(|i| cat.signatures[i].noise);
            format!("{id} ×{n}{}", if noise { " (noise)" } else { "" })
        })
        .collect();
    // A slowness incident has no hits: no empty line for them.
    if !sig_text.is_empty() {
        let _ = writeln!(o, "    hits        {}", sig_text.join(", "));
    }
}

/// The rest of an incident block: evidence lines, templates also new in its window, the
/// culprit from host evidence and the first next checks.
fn incident_details(o: &mut String, inc: &IncidentOut, display: &Zone) {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    for (k, e) in inc.evidence.iter().enumerate() {
        let _ = writeln!(
            o,
            "    {:<12}{}:{}  {}",
            if k == 0 { "evidence" } else { "" },
            e.path,
            e.line,
            clip(&escape_control(e.text.trim()), 110)
        );
    }
    for (k, w) in inc.why.iter().take(WHY_LINES).enumerate() {
        let _ = writeln!(
            o,
            "    {:<12}{}",
            if k == 0 { "why" } else { "" },
            escape_control(&why_text(w))
        );
    }
    if inc.why.len() > WHY_LINES {
        let _ = writeln!(o, "    {:<12}…and {} more", "", inc.why.len() - WHY_LINES);
    }
    for (k, t) in inc.new_templates.iter().enumerate() {
        let _ = writeln!(
            o,
            "    {:<12}{}: {} (×{})",
            if k == 0 { "also new" } else { "" },
            t.id,
            clip(&escape_control(&t.text), 100),
            t.count
        );
    }
    if let Some(c) = &inc.culprit {
        let _ = writeln!(
            o,
            "    culprit     {}{} ({}{})",
            c.sentence,
            if c.culprit.loopback {
                ", loopback churn"
            } else {
                ""
            },
            c.snapshot,
            c.snapshot_time
                .map(|t| format!(" at {}", day(t)))
                .unwrap_or_default()
        );
    }
    if !inc.next_checks.is_empty() {
        let _ = writeln!(
            o,
            "    next        {}",
            inc.next_checks
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
}

/// Timeline markers (restarts, starts), one line each.
fn markers(o: &mut String, r: &Report, display: &Zone) {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    if !r.markers.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "markers");
        for m in &r.markers {
            let h = &m.hit;
            let _ = writeln!(
                o,
                "    {}  {:<16} {:<28} {}:{}{}",
                day(h.time),
                h.service,
                h.signature,
                h.path,
                h.line,
                if m.count > 1 {
                    format!(" (×{})", m.count)
                } else {
                    String::new()
                }
            );
        }
    }
}

/// Saved netstat/ss/tasklist/ps output, as the sockets renderer writes it (escaped).
fn host_evidence(o: &mut String, r: &Report, display: &Zone) {
    if !r.sockets.snapshots.is_empty() || !r.sockets.process_tables.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "host evidence");
        let when = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
        for line in crate::evidence::sockets::render_text_with(&r.sockets, &when).lines() {
            let _ = writeln!(o, "    {}", escape_control(line));
        }
    }
}

/// The clocks section: zones inferred (or not) per file, clock skews.
fn clocks(o: &mut String, r: &Report) {
    let rows = crate::report::prose::clock_rows(r);
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "clocks");
    let mut last = "";
    for (label, text) in rows {
        let shown = if label == last { "" } else { label };
        last = label;
        let _ = writeln!(o, "    {shown:<LABEL$}{}", escape_control(&text));
    }
}

/// Noise signatures outside incidents, on one line.
fn background(o: &mut String, r: &Report) {
    if !r.background.is_empty() {
        let _ = writeln!(o);
        let bg: Vec<String> = r
            .background
            .iter()
            .map(|b| format!("{} ×{}", b.signature, b.hits))
            .collect();
        let _ = writeln!(
            o,
            "background noise outside incidents (not evidence): {}",
            bg.join(", ")
        );
    }
}

/// The top unknown-error templates by count.
fn templates(o: &mut String, r: &Report, display: &Zone) {
    let day = |t: DateTime<Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
    if !r.templates.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "unknown errors and warnings: {} templates (top {} by count; faultscope templates lists all)",
            r.templates.len(),
            r.templates.len().min(TEXT_TEMPLATES)
        );
        for t in r.templates.iter().take(TEXT_TEMPLATES) {
            let _ = writeln!(o, "{}", template_line(t, &day));
        }
    }
}

/// The last line: incidents, outage in total, files, undated hits.
fn summary(o: &mut String, r: &Report) {
    let _ = writeln!(o);
    let errs = r.summary.files_with_errors;
    let _ = writeln!(
        o,
        "summary: {} incident{}, {} of outage in total; {} file{} scanned{}; {} undated hit{}",
        r.incidents.len(),
        if r.incidents.len() == 1 { "" } else { "s" },
        human_duration(r.summary.total_downtime_seconds),
        r.summary.files_scanned,
        if r.summary.files_scanned == 1 {
            ""
        } else {
            "s"
        },
        if errs > 0 {
            format!(", {errs} with errors (see stderr)")
        } else {
            String::new()
        },
        r.undated_hits,
        if r.undated_hits == 1 { "" } else { "s" },
    );
}

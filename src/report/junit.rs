//! `--format junit`: the report as JUnit XML, so CI systems (GitLab's test report, GitHub
//! test-report actions, Jenkins) show incidents the way they show failing tests.
//!
//! Input: the report, the display zone, the catalog and the [`Gate`] of `--fail-on`.
//! Output: one XML document, valid against the common JUnit schema (Apache Ant's, as
//! published by Windy Road): `<testsuites>` without attributes, one `<testsuite>` with
//! `name`, `package`, `id`, `timestamp` (no zone), `hostname`, `tests`, `failures`,
//! `errors`, `skipped`, `time`, then `<properties>`, the test cases, `<system-out>` and
//! `<system-err>`, in that order.
//!
//! - One test case per incident, named `incident #N at START: ROOT CAUSE`. An incident that
//!   fails the run under `--fail-on` carries a `<failure>` (type = its severity) whose text
//!   is the incident's block of the text report: root cause, chain, services, evidence
//!   lines `path:line`, culprit, next checks. An incident below the gate is `<skipped>`
//!   with the same text, so CI shows it without failing.
//! - No incident: one passing case, `no incident`, so the report is never an empty suite.
//! - `--fail-on any` with error evidence outside the incidents: one more failing case
//!   listing it (signatures with counts, error-level templates).
//! - A case's `time` is the incident's duration in seconds (the outage, not a test run);
//!   the suite's `timestamp` is the `--now` time if given, else the start of the logs (a
//!   report carries no wall-clock time otherwise); `hostname` is `localhost` for the same
//!   reason.
//!
//! Log text is hostile: every piece goes through `escape_control` (control characters shown
//! as `\x1b`, which XML 1.0 could not carry even as references), then XML escaping;
//! characters XML forbids (U+FFFE, U+FFFF) become U+FFFD. Names and `message` attributes
//! are one line with single spaces (the schema types them `xs:token`).

use super::escape::escape_control;
use super::gate::Gate;
use super::{IncidentOut, Report};
use crate::catalog::Catalog;
use crate::time::Zone;
use std::fmt::Write as _;

/// A test case before it is written.
struct Case {
    name: String,
    classname: String,
    time: i64,
    outcome: Outcome,
}

enum Outcome {
    Pass,
    Failure {
        kind: String,
        message: String,
        text: String,
    },
    Skipped {
        message: String,
        text: String,
    },
}

/// Renders the JUnit XML document.
pub fn to_junit(r: &Report<'_>, display: &Zone, cat: &Catalog, gate: &Gate) -> String {
    let mut cases: Vec<Case> = r
        .incidents
        .iter()
        .enumerate()
        .map(|(k, inc)| {
            incident_case(
                inc,
                gate.incidents.get(k) == Some(&true),
                display,
                cat,
                gate,
            )
        })
        .collect();
    if gate.fails_outside() {
        cases.push(outside_case(gate));
    }
    if cases.is_empty() {
        cases.push(Case {
            name: "no incident".into(),
            classname: "faultscope".into(),
            time: 0,
            outcome: Outcome::Pass,
        });
    }
    let failures = cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Failure { .. }))
        .count();
    let skipped = cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Skipped { .. }))
        .count();
    let total: i64 = cases.iter().map(|c| c.time).sum();
    let stamp = r.generated_at.or(r.summary.first).map_or_else(
        || "1970-01-01T00:00:00".to_string(),
        |t| t.format("%Y-%m-%dT%H:%M:%S").to_string(),
    );
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    let _ = writeln!(
        o,
        "  <testsuite name=\"faultscope\" package=\"faultscope\" id=\"0\" timestamp=\"{stamp}\" \
         hostname=\"localhost\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{total}\">",
        cases.len()
    );
    o.push_str("    <properties>\n");
    for (name, value) in [
        ("fail-on", gate.fail_on.as_str().to_string()),
        ("schema", super::SCHEMA.to_string()),
        ("version", r.tool.version.to_string()),
        ("assumed-timezone", r.assumed_timezone.clone()),
        ("files-scanned", r.summary.files_scanned.to_string()),
        ("incidents", r.incidents.len().to_string()),
    ] {
        let _ = writeln!(
            o,
            "      <property name=\"{name}\" value=\"{}\"/>",
            attr(&value)
        );
    }
    o.push_str("    </properties>\n");
    for c in &cases {
        write_case(&mut o, c);
    }
    let _ = writeln!(
        o,
        "    <system-out>{}</system-out>",
        text(&summary_line(r, gate))
    );
    let _ = writeln!(
        o,
        "    <system-err>{}</system-err>",
        text(
            &r.warnings
                .iter()
                .map(|w| escape_control(w))
                .collect::<Vec<_>>()
                .join("\n")
        )
    );
    o.push_str("  </testsuite>\n</testsuites>\n");
    o
}

fn incident_case(
    inc: &IncidentOut,
    fails: bool,
    display: &Zone,
    cat: &Catalog,
    gate: &Gate,
) -> Case {
    let root = match &inc.root_cause.template {
        Some(t) => format!("{}: {}", t.id, t.text),
        None => format!("{}: {}", inc.root_cause.signature, inc.root_cause.title),
    };
    let start = display.format(inc.start, "%Y-%m-%d %H:%M:%S %:z");
    let name = token(&format!("incident #{} at {start}: {root}", inc.id));
    let block: String = super::text::incident_block(inc, display, cat)
        .lines()
        .map(|l| escape_control(l) + "\n")
        .collect();
    let severity = inc.severity.as_str();
    let outcome = if fails {
        Outcome::Failure {
            kind: severity.to_string(),
            message: token(&format!("{severity} incident: {root}")),
            text: block,
        }
    } else {
        Outcome::Skipped {
            message: token(&format!(
                "{severity} incident, below --fail-on {}: {root}",
                gate.fail_on.as_str()
            )),
            text: block,
        }
    };
    Case {
        name,
        classname: token(&format!(
            "faultscope.{}",
            inc.root_cause
                .template
                .as_ref()
                .map_or(inc.root_cause.signature.as_str(), |t| t.id.as_str())
        )),
        time: inc.duration_seconds.max(0),
        outcome,
    }
}

/// `--fail-on any`: the error evidence outside the incidents, as one failing case.
fn outside_case(gate: &Gate) -> Case {
    let mut body = String::new();
    if !gate.outside_hits.is_empty() {
        body.push_str("critical/error signature hits outside incidents:\n");
        for (sig, n) in &gate.outside_hits {
            let _ = writeln!(body, "    {sig} ×{n}");
        }
    }
    if !gate.error_templates.is_empty() {
        body.push_str("unknown error-level records (faultscope templates):\n");
        for (id, n, t) in &gate.error_templates {
            let _ = writeln!(body, "    {id} ×{n}  {}", escape_control(t));
        }
    }
    let hits: u64 = gate.outside_hits.values().sum();
    let records: u64 = gate.error_templates.iter().map(|t| t.1).sum();
    Case {
        name: "error evidence outside incidents".into(),
        classname: "faultscope".into(),
        time: 0,
        outcome: Outcome::Failure {
            kind: "any".into(),
            message: format!(
                "--fail-on any: {hits} critical/error hits outside incidents, {records} unknown error records"
            ),
            text: body,
        },
    }
}

fn write_case(o: &mut String, c: &Case) {
    let head = format!(
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\"",
        attr(&c.name),
        attr(&c.classname),
        c.time
    );
    match &c.outcome {
        Outcome::Pass => {
            let _ = writeln!(o, "{head}/>");
        }
        Outcome::Failure {
            kind,
            message,
            text: body,
        } => {
            let _ = writeln!(
                o,
                "{head}>\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>",
                attr(kind),
                attr(message),
                text(body)
            );
        }
        Outcome::Skipped {
            message,
            text: body,
        } => {
            let _ = writeln!(
                o,
                "{head}>\n      <skipped message=\"{}\">{}</skipped>\n    </testcase>",
                attr(message),
                text(body)
            );
        }
    }
}

fn summary_line(r: &Report<'_>, gate: &Gate) -> String {
    let failing = gate.incidents.iter().filter(|&&f| f).count();
    format!(
        "faultscope {}: {} incident{} in {} file{}; --fail-on {}: {} failing{}",
        r.tool.version,
        r.incidents.len(),
        if r.incidents.len() == 1 { "" } else { "s" },
        r.summary.files_scanned,
        if r.summary.files_scanned == 1 {
            ""
        } else {
            "s"
        },
        gate.fail_on.as_str(),
        failing,
        if gate.fails_outside() {
            " (and error evidence outside incidents)"
        } else {
            ""
        }
    )
}

/// One line, single spaces, no control characters (`xs:token`).
fn token(s: &str) -> String {
    escape_control(s)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// XML character data: `&`, `<`, `>` escaped, characters XML 1.0 forbids replaced.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(xml_char(c)),
        }
    }
    out
}

/// An attribute value (quoted with `"`): [`text`] plus quotes, and line breaks kept as
/// references (a parser would turn a raw one into a space).
fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(xml_char(c)),
        }
    }
    out
}

/// A character XML 1.0 allows as is (`Char` production), else U+FFFD. Control characters
/// other than tab and line breaks never get here: `escape_control` ran first, but a stray
/// one is replaced rather than written.
fn xml_char(c: char) -> char {
    match c {
        '\t' | '\n' | '\r' => c,
        '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
        c => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(text("a<b>&c\"'"), "a&lt;b&gt;&amp;c\"'");
        assert_eq!(attr("a\"b'\n<"), "a&quot;b&apos;&#10;&lt;");
        assert_eq!(text("x\u{1}y\u{ffff}"), "x\u{fffd}y\u{fffd}");
        assert_eq!(token("  a\tb\n\x1b[31m  c "), "a b\\x0a\\x1b[31m c");
    }
}

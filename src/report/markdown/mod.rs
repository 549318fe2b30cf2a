//! Markdown: a postmortem section to paste into a postmortem document or a ticket as is.
//!
//! Summary, impact, a Mermaid `gantt` timeline, the incident table with evidence as
//! `path:line`, the findings, next checks from the catalog, and an appendix of the inputs
//! (format, zone, SHA-256) so the report can be reproduced.
//!
//! Log text is hostile: every piece of text from logs or file names goes through [`md`],
//! which escapes control characters and Markdown/HTML punctuation, so a log line cannot
//! open a link, an image, raw HTML or break a table.
//!
//! [`to_markdown`] writes the `###` sections in order, one function each: `summary`
//! (title, summary, impact), `incidents` (timeline, incident table and notes), `findings`
//! and `appendix` (unknown errors, next checks, inputs). This file keeps the sequence and
//! the escapers the sections share.

use super::escape::escape_control;
use super::Report;
use crate::time::Zone;

mod appendix;
mod findings;
mod incidents;
mod summary;

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

/// Renders the postmortem section. `display` is the zone times are shown in.
pub fn to_markdown(r: &Report, display: &Zone) -> String {
    let mut o = String::new();
    let roots = summary::root_causes(r);
    summary::title(&mut o, r, display, &roots);
    if let Some(e) = &r.error {
        let _ = std::fmt::Write::write_fmt(&mut o, format_args!("> **Error:** {}\n\n", md(e)));
    }
    summary::summary(&mut o, r, display, &roots);
    summary::impact(&mut o, r, display);
    if !r.incidents.is_empty() {
        incidents::timeline(&mut o, r, display);
        incidents::table(&mut o, r, display);
        incidents::details(&mut o, r, display);
    }
    findings::findings(&mut o, r, display);
    clocks(&mut o, r);
    appendix::unknown_errors(&mut o, r, display);
    appendix::next_checks(&mut o, r);
    appendix::inputs(&mut o, r);
    o
}

/// `### Clocks`: zones inferred (or not) per file, clock skews; nothing when there is
/// nothing to say.
fn clocks(o: &mut String, r: &Report) {
    use std::fmt::Write as _;
    let rows = crate::report::prose::clock_rows(r);
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(o, "### Clocks");
    let _ = writeln!(o);
    for (label, text) in rows {
        let _ = writeln!(o, "- **{label}**: {}", md(&text));
    }
    let _ = writeln!(o);
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

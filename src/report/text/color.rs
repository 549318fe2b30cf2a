//! Terminal colors for the text report.
//!
//! Colors are added after rendering, by line shape (incident headers, labels, headings),
//! so the plain text stays the single source and log text (already escaped by
//! [`escape_control`](crate::report::escape_control): no escape byte survives) is never
//! styled or interpreted.

use super::LABEL;
use anstyle::{AnsiColor, Style};

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
    }
}

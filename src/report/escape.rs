//! Log text made safe to show. Log text is hostile input: [`escape_control`] turns control
//! characters (ANSI escape sequences included) into `\x1b`-style escapes, so they are shown,
//! never emitted; `clip` shortens text to a column (`…` last); `t` is the HTML renderer's
//! name for the first (HTML escaping itself is the template engine's job).
//!
//! Input and output: strings. The text, Markdown and HTML renderers pass log text and file
//! names through here before writing them.

use std::fmt::Write as _;

/// Escapes control characters (ANSI escapes included) so log text cannot drive the terminal.
pub fn escape_control(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push_str("    "),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

pub(super) fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Text from logs, made printable (control characters escaped); HTML escaping is the
/// template engine's job.
pub(super) fn t(s: &str) -> String {
    escape_control(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_control("a\x1b[31mred\x07"), "a\\x1b[31mred\\x07");
        assert_eq!(escape_control("tab\there"), "tab    here");
    }
}

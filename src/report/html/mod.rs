//! HTML: one self-contained page (inline CSS and SVG, no script, no network) with the
//! timeline drawn as SVG lanes per service and incident bands, the findings and evidence.
//!
//! Rendered with minijinja and HTML auto-escaping: every value (log text, file names, URL
//! paths) is escaped by the template engine, never concatenated into markup. Log text is
//! hostile: `<script>` or `"><img onerror=...>` in a log line renders as text. The page
//! also carries a Content-Security-Policy that forbids every script, so even a bug in the
//! escaping could not run one.
//!
//! `view` builds the page's values from the [`Report`] and `svg` draws the timeline
//! lanes; this file renders them with the template (`report.html.j2`, beside it).

use super::Report;
use crate::time::Zone;

mod svg;
mod view;

const TEMPLATE: &str = include_str!("report.html.j2");

/// Renders the page.
pub fn to_html(r: &Report, display: &Zone) -> String {
    let view = view::view(r, display);
    let mut env = minijinja::Environment::new();
    // The name ends in .html: auto-escaping is on for every `{{ }}`.
    env.add_template("report.html", TEMPLATE)
        .expect("the built-in template parses");
    env.get_template("report.html")
        .and_then(|tpl| tpl.render(minijinja::context! { v => view }))
        .expect("the built-in template renders")
}

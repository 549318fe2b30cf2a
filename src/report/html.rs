//! HTML (placeholder).
use super::Report;
use crate::time::Zone;

/// Renders the HTML page.
pub fn to_html(_r: &Report, _display: &Zone) -> String {
    String::new()
}

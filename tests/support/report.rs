//! Readers of a `faultscope scan --format json` report shared by integration tests that
//! have nothing else in common (`tests/common` is the loghub corpus's helpers).

use serde_json::Value;

/// The incidents' start times (unix seconds), in report order.
pub fn incident_starts(r: &Value) -> Vec<i64> {
    r["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            chrono::DateTime::parse_from_rfc3339(i["start"].as_str().unwrap())
                .unwrap()
                .timestamp()
        })
        .collect()
}

//! Tests that need something this machine may lack (Chromium for the HTML test, pyspark and
//! Java for the Spark test, python3 for the fixture tools, the loghub corpus) call [`skip`]
//! when it is missing.
//!
//! - Locally the test passes and says so where `cargo test` shows it: a `SKIPPED test: why`
//!   line written to the real stderr (the harness captures `println!`/`eprintln!` of a
//!   passing test, so a skip printed that way was invisible).
//! - In CI (`CI` set, as `.ci/run` and every CI service set it, to anything but `false` or
//!   `0`) the test fails instead, naming what is missing: a green CI means every such test
//!   ran. `.ci/run` installs what they need.

use std::io::Write;

/// True under CI (`CI=true`, `CI=1`, ...; not `CI=false`, `CI=0` or empty).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Skips the calling test because `why` (what is missing and how to get it); panics in CI.
pub fn skip(test: &str, why: &str) {
    if in_ci() {
        panic!("{test}: cannot run under CI: {why} (.ci/run provides it; see docs/development.md)");
    }
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

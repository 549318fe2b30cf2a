//! The report as JSON: [`to_json`] and [`write_json`] (pretty, trailing newline), and the
//! `files[]` rows written by hand.
//!
//! Input: a [`Report`]. Output: its JSON text, exactly as serde's derived serialization
//! writes it. The one exception to serde doing the work is `files`: a 100,000-file report
//! is ~35 MB of rows, so `ser_files` writes them on every thread and emits them as raw
//! JSON; the unit tests compare its bytes with the derived form (escapes, absent options,
//! `sha256` set or skipped, times with and without fractions).

use super::{FileOut, Report};
use crate::json::push_json_str;
use chrono::{DateTime, Utc};
use serde::Serializer;

/// `files`, exactly as the derived serialization writes it, with the rows written by hand
/// on every thread. A 100,000-file report is ~35 MB of rows; serde's escaper, called for
/// every key and value (2.5 million short strings), took 50 of the 70 ms one thread spent
/// writing them after the scan. Rows go in batches (memory stays a batch's text) and are
/// emitted verbatim as raw JSON; `rows_are_written_as_serde_writes_them` compares the
/// bytes with the derived form. The report is only written pretty ([`to_json`],
/// [`write_json`]); a compact writer would get these rows pretty (still the same JSON).
pub(super) fn ser_files<S: Serializer>(files: &[FileOut<'_>], s: S) -> Result<S::Ok, S::Error> {
    use rayon::prelude::*;
    use serde::ser::SerializeSeq;
    /// Rows per batch: enough to share out, few enough to stay in cache.
    const BATCH: usize = 2048;
    let mut seq = s.serialize_seq(Some(files.len()))?;
    for batch in files.chunks(BATCH) {
        let rows: Vec<Box<serde_json::value::RawValue>> = batch
            .par_iter()
            .map(|row| {
                let mut text = String::with_capacity(512);
                write_file_row(&mut text, row);
                // SAFETY: `write_file_row` writes one JSON object, every string through
                // `push_json_str` (serde_json's escaping), numbers as digits, no leading or
                // trailing whitespace (the unit test parses its output; debug builds also
                // re-parse every raw value here).
                unsafe { serde_json::value::RawValue::from_string_unchecked(text) }
            })
            .collect();
        for row in &rows {
            seq.serialize_element(row)?;
        }
    }
    seq.end()
}

/// One `files[]` row as serde_json's pretty printer writes it at depth 2 of the report
/// (fields in declaration order, `sha256` only when set), without the indentation before
/// its opening brace.
fn write_file_row(out: &mut String, f: &FileOut<'_>) {
    /// A field's value, as the derived serialization writes it.
    enum V<'v> {
        Str(&'v str),
        OptStr(Option<&'v str>),
        Num(u64),
        Time(Option<DateTime<Utc>>),
        Levels(crate::record::level::LevelCounts),
        /// Nested JSON as serde's pretty printer writes it at this depth (rare: access logs).
        Raw(String),
    }
    let fields: [Option<(&str, V)>; 19] = [
        Some(("path", V::Str(&f.path))),
        Some(("service", V::Str(f.service))),
        Some(("format", V::OptStr(f.format))),
        Some(("zone", V::Str(f.zone))),
        Some(("zone_reason", V::OptStr(f.zone_reason))),
        Some(("access", V::OptStr(f.access))),
        f.sha256.as_deref().map(|h| ("sha256", V::Str(h))),
        Some(("bytes", V::Num(f.bytes))),
        Some(("lines", V::Num(f.lines))),
        Some(("records", V::Num(f.records))),
        Some(("dated_records", V::Num(f.dated_records))),
        Some(("first", V::Time(f.first))),
        Some(("last", V::Time(f.last))),
        Some(("hits", V::Num(f.hits))),
        Some(("levels", V::Levels(f.levels))),
        Some((
            "http",
            V::Raw(match &f.http {
                // The nested object's lines indented to this depth (a row's fields are 6
                // spaces in).
                Some(h) => serde_json::to_string_pretty(h)
                    .expect("http serializes")
                    .replace('\n', "\n      "),
                None => "null".into(),
            }),
        )),
        Some(("error", V::OptStr(f.error.as_deref()))),
        Some(("skipped", V::OptStr(f.skipped.as_deref()))),
        Some(("kind", V::Str(f.kind))),
    ];
    out.push('{');
    for (i, (name, value)) in fields.into_iter().flatten().enumerate() {
        out.push_str(if i == 0 { "\n      \"" } else { ",\n      \"" });
        out.push_str(name);
        out.push_str("\": ");
        match value {
            V::Str(s) | V::OptStr(Some(s)) => push_json_str(out, s),
            V::Num(n) => out.push_str(itoa::Buffer::new().format(n)),
            // RFC 3339 text needs no escaping.
            V::Time(Some(t)) => {
                out.push('"');
                crate::time::push_rfc3339(out, t);
                out.push('"');
            }
            V::OptStr(None) | V::Time(None) => out.push_str("null"),
            V::Levels(l) => {
                out.push_str("{\n        \"error\": ");
                out.push_str(itoa::Buffer::new().format(l.error));
                out.push_str(",\n        \"warning\": ");
                out.push_str(itoa::Buffer::new().format(l.warning));
                out.push_str("\n      }");
            }
            V::Raw(s) => out.push_str(&s),
        }
    }
    out.push_str("\n    }");
}

/// JSON rendering (pretty, trailing newline).
pub fn to_json(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(r).expect("report serializes");
    s.push('\n');
    s
}

/// [`to_json`] written straight to `w` (buffered): a 100,000-file scan's report is ~50 MB,
/// and building it as one string first cost its growth copies and page faults (7 % of the
/// CPU on the bench's small-files corpus).
pub fn write_json(r: &Report, w: impl std::io::Write) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(256 * 1024, w);
    serde_json::to_writer_pretty(&mut w, r)?;
    std::io::Write::write_all(&mut w, b"\n")?;
    std::io::Write::flush(&mut w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    /// The report's shape around `files`, once with the hand-written rows and once with
    /// serde's derived ones.
    #[derive(Serialize)]
    struct Fast<'a> {
        before: u8,
        #[serde(serialize_with = "ser_files")]
        files: Vec<FileOut<'a>>,
        after: u8,
    }

    #[derive(Serialize)]
    struct Derived<'a> {
        before: u8,
        files: Vec<FileOut<'a>>,
        after: u8,
    }

    fn opt_time() -> impl proptest::strategy::Strategy<Value = Option<DateTime<Utc>>> {
        use proptest::strategy::Strategy as _;
        proptest::option::of(
            (-70_000_000_000i64..300_000_000_000, 0u32..1_000_000_000)
                .prop_map(|(s, n)| DateTime::from_timestamp(s, n).unwrap()),
        )
    }

    proptest::proptest! {
        /// Same bytes as serde's pretty printer for any row: escapes (quotes, backslashes,
        /// control characters, non-ASCII), absent options, `sha256` set or skipped, any
        /// number, times with and without fractions, years with a sign.
        #[test]
        fn rows_are_written_as_serde_writes_them(
            texts in proptest::collection::vec("(?s).{0,12}", 5),
            opts in proptest::collection::vec(proptest::option::of("(?s).{0,8}"), 5),
            nums in proptest::collection::vec(proptest::num::u64::ANY, 5),
            first in opt_time(),
            last in opt_time(),
            rows in 0usize..100,
        ) {
            let row = |i: usize| FileOut {
                path: texts[0].as_str().into(),
                service: &texts[1],
                format: (i % 3 == 0).then_some("boot-logback"),
                zone: &texts[2],
                zone_reason: (i % 2 == 0).then_some("flag"),
                access: (i % 5 != 0).then_some("read"),
                sha256: opts[0].clone(),
                bytes: nums[0],
                lines: nums[1],
                records: nums[2],
                dated_records: nums[3],
                first,
                last,
                hits: nums[4] ^ i as u64,
                levels: crate::record::level::LevelCounts { error: nums[0] / 3, warning: i as u64 },
                http: (i % 2 == 1).then(|| super::super::HttpOut {
                    layout: &texts[3],
                    requests: nums[1],
                    by_class: super::super::ByClass { c1: 0, c2: nums[2], c3: 1, c4: 2, c5: nums[3] },
                    failed: nums[3],
                    client_closed: i as u64,
                    duration_ms: (i % 3 == 1).then_some(crate::analysis::findings::Quantiles { p50: 1.5, p99: 2000.0 }),
                }),
                error: opts[1].clone(),
                skipped: opts[2].clone(),
                kind: if i % 7 == 0 { "netstat-windows" } else { "log" },
            };
            let files: Vec<FileOut> = (0..rows % 7).map(row).collect();
            let fast = serde_json::to_string_pretty(&Fast { before: 1, files: files.clone(), after: 2 }).unwrap();
            let derived = serde_json::to_string_pretty(&Derived { before: 1, files, after: 2 }).unwrap();
            proptest::prop_assert_eq!(fast, derived);
        }
    }

    #[test]
    fn a_long_files_table_is_written_in_batches_as_one_array() {
        let names: Vec<String> = (0..5000).map(|i| format!("logs/app-{i}.log")).collect();
        let files: Vec<FileOut> = names
            .iter()
            .map(|n| FileOut {
                path: n.as_str().into(),
                service: "app",
                format: Some("clf"),
                zone: "UTC",
                zone_reason: Some("flag"),
                access: Some("read"),
                sha256: None,
                bytes: 1,
                lines: 2,
                records: 3,
                dated_records: 4,
                first: None,
                last: None,
                hits: 5,
                levels: Default::default(),
                http: None,
                error: None,
                skipped: None,
                kind: "log",
            })
            .collect();
        let fast = serde_json::to_string_pretty(&Fast {
            before: 1,
            files: files.clone(),
            after: 2,
        })
        .unwrap();
        let derived = serde_json::to_string_pretty(&Derived {
            before: 1,
            files,
            after: 2,
        })
        .unwrap();
        assert_eq!(fast, derived);
        let back: serde_json::Value = serde_json::from_str(&fast).unwrap();
        assert_eq!(back["files"].as_array().unwrap().len(), 5000);
    }
}

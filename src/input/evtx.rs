//! `.evtx` (Windows XML Event Log) read natively with the `evtx` crate.
//!
//! Input: a file's bytes starting with [`MAGIC`] (`ElfFile\0`, recognised by content, not by
//! name: a copied `System.evtx.bak` or a gzip'd one is read too). Output: one [`Event`] per
//! record (`winevent.rs` turns a record into provider, event id, level, `TimeCreated` in UTC
//! and the event data), in record order.
//!
//! Tricky cases:
//! * A damaged chunk (bad magic, a header that does not parse, a record that cannot be
//!   read) costs that chunk, never the file: the other chunks' records are rendered, and a
//!   problem names the file and each chunk (`damaged-evtx`), so the report lists the file
//!   as partly read. The real sample `sample_with_a_bad_chunk_magic.evtx` has two such
//!   chunks and one unreadable record.
//! * The crate can parse chunks on its own rayon pipeline; it runs single-threaded here
//!   (its `multithreading` feature is off): the scan already has one file per core, and
//!   a pool worker blocking on another pool's jobs could starve the pool.
//! * Chunks are read in record order from the oldest chunk (a log that wrapped around
//!   starts mid-file), which is what the crate does.

use super::render::{Decoded, Event};
use crate::error::FileError;

/// The file signature of an evtx file.
pub const MAGIC: &[u8] = b"ElfFile\0";

/// Decodes an evtx file's bytes into events.
pub(super) fn decode(bytes: &[u8], shown: &str) -> Decoded {
    let settings = evtx::ParserSettings::new()
        .num_threads(1)
        .validate_checksums(false);
    let mut parser = match evtx::EvtxParser::from_read_seek(std::io::Cursor::new(bytes)) {
        Ok(p) => p.with_configuration(settings),
        Err(e) => {
            return Decoded {
                events: Vec::new(),
                notes: Vec::new(),
                problem: Some(FileError::new(
                    "corrupt-evtx",
                    format!("{shown}: not a readable evtx file: {}", chain(&e)),
                )),
            }
        }
    };
    let mut events: Vec<Event> = Vec::new();
    let mut damage: Vec<String> = Vec::new();
    for r in parser.records_json_value() {
        match r {
            Ok(rec) => events.push(super::winevent::from_json(&rec.data).into_event()),
            Err(e) => damage.push(chain(&e)),
        }
    }
    let problem = (!damage.is_empty()).then(|| {
        FileError::new(
            "damaged-evtx",
            format!(
                "{shown}: damaged evtx: {}; the {} record(s) of the other chunks were read",
                damage.join("; "),
                events.len()
            ),
        )
    });
    Decoded {
        events,
        notes: Vec::new(),
        problem,
    }
}

/// An error with its causes: `Failed to parse chunk number 6: ... bad magic`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_an_evtx_is_a_problem_not_a_panic() {
        let mut b = MAGIC.to_vec();
        b.extend([0u8; 100]);
        let d = decode(&b, "x.evtx");
        assert!(d.events.is_empty());
        assert_eq!(d.problem.unwrap().kind, "corrupt-evtx");
    }

    proptest::proptest! {
        /// Random bytes after the magic never panic the reader.
        #[test]
        fn random_bytes_never_panic(tail in proptest::collection::vec(proptest::num::u8::ANY, 0..8192)) {
            let mut b = MAGIC.to_vec();
            b.extend(tail);
            let _ = decode(&b, "x.evtx");
        }
    }
}

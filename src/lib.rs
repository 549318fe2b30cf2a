//! faultscope reads the logs of a misbehaving system and tells an on-call engineer what
//! broke, when, how often, and why: an outage timeline for a postmortem.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`discover`]: paths → files to scan, each with its service name.
//! 2. [`input`]: a file → its bytes (memory map or read, gzip, UTF-16), safely.
//! 3. [`scan`]: bytes → signature hits, one multi-pattern automaton over whole buffers
//!    behind a SIMD literal [`prefilter`], files and chunks in parallel (rayon).
//! 4. [`record`] + [`time`]: a hit → its record head and timestamp (multi-line Java traces
//!    included), resolved to UTC under an explicit zone rule.
//! 5. [`catalog`]: the signatures, as data (`catalog/signatures.json` + `--rules`).
//! 6. [`cluster`]: hits → incidents by time gaps, each with the root cause deepest in its
//!    causal chain.
//! 7. [`report`]: incidents → JSON (the contract) and text.
//! 8. [`sockets`]: saved netstat/ss/tasklist/ps dumps → socket-state evidence and the
//!    process holding the ports (the founding case's culprit).
//! 9. [`findings`]: recurrence, red-herring scores, coverage and silence (from the per-minute
//!    record counts of [`activity`]), traffic, host-wide events; part of the report.
//!    [`report`] renders text, JSON, Markdown, HTML and NDJSON; [`output`] writes them
//!    (`-o` prefixes, colors, progress bar).
//!
//! [`partial`] scales out: `scan --shard I/N --emit partial` on many workers, `merge` of
//! their partial results into the report one scan would have printed.
//!
//! [`inspect`] shows how each file's timestamps are read (`faultscope inspect`).
//! [`config`] holds the resolved configuration; [`cli`] is the command line and the only
//! place that prints.

#![deny(missing_docs)]

pub mod activity;
pub mod bound;
pub mod catalog;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod discover;
pub mod error;
pub mod findings;
#[doc(hidden)]
pub mod fuzzing;
pub mod input;
pub mod inspect;
pub mod level;
pub mod output;
pub mod partial;
pub mod prefilter;
pub mod record;
pub mod report;
pub mod scan;
pub mod sockets;
pub mod templates;
pub mod time;

pub use error::{Error, Result};

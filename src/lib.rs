//! faultscope reads the logs of a misbehaving system and tells an on-call engineer what
//! broke, when, how often, and why: an outage timeline for a postmortem.
//!
//! The source tree is the pipeline, one folder per stage. Each stage imports only the
//! stages listed below it (`tests/layout.rs` fails on an upward import or a cycle):
//!
//! | stage | takes → gives |
//! |---|---|
//! | [`cli`] | arguments → a resolved [`config`], the run, printing and exit codes |
//! | [`inspect`], [`scaleout`] | files → how their stamps are read; shards → partial results → one report |
//! | [`report`] | incidents and findings → the `Report` value (JSON contract) and its renderers |
//! | [`analysis`] | scan output → zones and clocks settled, incidents, root causes, templates, findings |
//! | [`scan`] | files → hits, per-minute activity, unknown error records (the engine) |
//! | [`record`] | a byte offset → its record (head, continuation lines, level, message) |
//! | [`config`] | the resolved settings every stage reads |
//! | [`evidence`] | side inputs (netstat/ss/tasklist dumps) → socket evidence |
//! | [`input`], [`catalog`] | paths → sources and bytes; signatures as data → one matcher |
//! | [`time`], [`error`], [`json`] | timestamps and zones; error types; the JSON string writer |

#![deny(missing_docs)]

pub mod analysis;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod error;
pub mod evidence;
#[doc(hidden)]
pub mod fuzzing;
pub mod input;
pub mod inspect;
pub mod json;
pub mod record;
pub mod report;
pub mod scaleout;
pub mod scan;
pub mod time;

pub use error::{Error, Result};

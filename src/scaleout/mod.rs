//! Scaling out: shards of the input and partial results that merge into one report.
//!
//! faultscope does not run its own cluster. It runs unchanged as the map step of engines
//! people already operate (Spark, Kubernetes Jobs, GNU parallel over ssh) and merges the
//! small results (docs/scaling-out.md):
//!
//! - `scan --shard I/N` keeps the discovered files whose [`shard_hash`] modulo `N` is `I`,
//!   so `N` workers given the same paths agree on a split without talking.
//! - `scan --emit partial` writes the [`ScanOutput`] of those files, everything that exists
//!   before clustering, as a [`Partial`] (`schema: "faultscope-partial/2"`).
//! - [`merge`](fn@merge) reads partials back into one [`ScanOutput`]: files in discovery (path) order,
//!   hits re-indexed and sorted exactly as `scan` sorts them. `faultscope merge` then runs
//!   the very same cluster → sockets → findings → report code as `scan`, so its output is
//!   byte-identical to one scan over all the files, by construction (property-tested in
//!   `tests/scaleout.rs`).
//!
//! What must agree between partials is in [`Options`]; `merge` refuses a mix, naming the two
//! files and the option. What is chosen at merge time (`--gap`, `--format`, `--display-tz`)
//! is not in a partial.
//!
//! Files: `shard.rs` ([`Shard`], [`shard_hash`]), `partial.rs` ([`Partial`] and what it
//! holds, [`Options`], reading and writing) and `merge.rs` ([`merge`](fn@merge), [`Merged`]: the
//! checks that partials belong together, then one scan's output back from them).
//!
//! [`ScanOutput`]: crate::scan::ScanOutput

mod merge;
mod partial;
mod shard;

pub use merge::{merge, Merged};
pub use partial::{
    catalog_hash, Options, Partial, PartialHit, PartialProblem, SCHEMA, TOOL_VERSION,
};
pub use shard::{shard_hash, Shard};

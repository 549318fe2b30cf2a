//! The scan engine: every file, in parallel, through one multi-pattern automaton.
//!
//! Input: the discovered [`Source`]s and the [`ScanConfig`]. Output: [`ScanOutput`]: per-file
//! results ([`FileScan`]) and every signature hit ([`Hit`]) with its record's time, sorted
//! deterministically by (time, path, offset) so `-j1` and `-j8` give identical output.
//!
//! How (scan-engine.md §4, what ripgrep does and a prototype measured):
//! 1. Each file is opened by `input` (map or read, gzip, UTF-16) and its timestamp format is
//!    detected from its first 64 KiB.
//! 2. The buffer is cut into line-aligned chunks (files above the chunk size), and chunks of
//!    all files go through rayon, so one 2 GB file also keeps every core busy.
//! 3. In a chunk the whole buffer goes through `meta::Regex` (all signatures, one automaton,
//!    literal prefilter): never a per-line regex loop. Per-record work (line bounds, walk-back
//!    to the record head, timestamp parse) happens only at hits.
//! 4. A cheap per-line pass counts lines and record heads (syntactic check of the detected
//!    format, no calendar math) for the files table; exact times are parsed for the first and
//!    last record of each chunk only.
//! 5. A record that matches a signature on several lines counts once per signature: hits are
//!    de-duplicated on (file, record head, signature) after chunks are merged (a record can
//!    straddle a chunk boundary).
//!
//! Per-file problems never stop the scan: they land in [`FileScan::error`].
//!
//! Files of this stage, in the order a byte meets them:
//! - `mod.rs` (this file): [`scan`]: files in parallel, largest first, into bounded stores,
//!   then back to path order.
//! - `stream.rs`: [`scan_stream`]: stdin and named FIFOs, window by window as they arrive
//!   (bounded memory, context and look-ahead kept around each window).
//! - `file.rs`: [`scan_file`]: open and detect (a saved host dump is set aside), the chunk
//!   fan-out, the merge of chunk results, the per-file finish (de-duplication, bound).
//! - `chunk.rs`: [`split_chunks`] and one chunk's passes: hits, levels, per-line statistics.
//! - `walk.rs`: the memoised walk-back from a hit to its record head, and the per-line header
//!   check.
//! - `output.rs`: [`Hit`], [`FileScan`], [`ScanOutput`] and their orders ([`sort_hits`],
//!   [`sort_unknown`]): what every later stage reads.
//! - `access.rs`: per file, what sampled lines say (access layout, level dialect, JSON
//!   lines); per chunk, the request split of an access log's lines (per-minute traffic,
//!   one derived hit per failed request); `fields.rs`: signatures over JSON lines' message
//!   fields, unescaped.
//! - `unknown.rs`: [`Unknown`], the unknown error/warning records summarised per masked
//!   message as chunks meet them, merged per file and then across files (memory flat in
//!   the input size, issue 23).
//! - [`activity`] (records per minute) and [`bound`] (`--max-hits`).

mod access;
pub mod activity;
pub mod bound;
mod chunk;
mod fields;
mod file;
mod output;
mod parts;
mod stream;
mod unknown;
mod walk;

pub use chunk::{split_chunks, SCANNED_BYTES};
pub use file::{scan_file, Dump};
pub use output::{sort_hits, sort_unknown, FileScan, Hit, Rejected, ScanOutput};
pub use stream::scan_stream;
pub use unknown::{record_key, record_message, Bucket, RecordKey, Shape, Unknown, BUCKET_MAX_MS};

use crate::config::ScanConfig;
use crate::input;
use crate::input::discover::Source;
use chrono::{DateTime, Utc};
use rayon::prelude::*;

/// Scans every source. Never fails as a whole: problems are per file.
pub fn scan(sources: &[Source], cfg: &ScanConfig) -> ScanOutput {
    // Streams (stdin, named FIFOs) are read once, by `scan_stream`: never sampled here.
    let (streams, plain): (Vec<usize>, Vec<usize>) =
        (0..sources.len()).partition(|&i| sources[i].stream.is_some());
    if !plain.is_empty() {
        let (sample, bytes) = sample(sources, &plain);
        cfg.matcher.prepare_for(&sample, bytes);
    }
    let mut order = plain;
    // Largest first: the long poles start early, small files fill the gaps.
    order.sort_by(|&a, &b| sources[b].size.cmp(&sources[a].size).then(a.cmp(&b)));
    // Hits go straight into one bounded store (`--max-hits`): memory follows the bound, and
    // the kept set does not depend on which file finishes first.
    let store = std::sync::Mutex::new(crate::scan::bound::Bounded::new(cfg.max_hits));
    // Saved host dumps are rare: they go aside with their index, so the result per file is
    // the `FileScan` alone and rayon's indexed collect writes each straight into `files`.
    let dumps = std::sync::Mutex::new(Vec::new());
    let keep = |i: usize, (fs, hits, dump): (FileScan, Vec<Hit>, Option<Dump>)| {
        // A file of several services counts its parts' hits too (`parts.rs`).
        let counted = fs.hits + fs.split.iter().map(|(_, p)| p.hits).sum::<u64>();
        // Most files of a large tree have no hit: they need not take the lock.
        if counted > 0 {
            let mut st = store.lock().unwrap_or_else(|p| p.into_inner());
            st.add_dropped(counted - hits.len() as u64);
            st.extend(hits);
        }
        if let Some(d) = dump {
            dumps.lock().unwrap_or_else(|p| p.into_inner()).push((i, d));
        }
        fs
    };
    // Each stream is read on a thread of its own (it may wait on a slow producer, which
    // must not hold a scan thread), its windows scanned on the pool beside the files.
    let (mut files, streamed): (Vec<FileScan>, Vec<FileScan>) = std::thread::scope(|s| {
        let readers: Vec<_> = streams
            .iter()
            .map(|&i| {
                let keep = &keep;
                s.spawn(move || keep(i, scan_stream(i as u32, &sources[i], cfg)))
            })
            .collect();
        // Large plain files under `--mmap never` come back to be scanned window by window,
        // one at a time, each window on every thread. Scanned inside the pool, a thread
        // waiting on one file's windows steals another file and opens its windows too:
        // memory then grows with the number of such files in flight.
        let windowed = std::sync::Mutex::new(Vec::new());
        let mut files: Vec<FileScan> = order
            .par_iter()
            .with_max_len(256)
            .enumerate()
            .map(
                |(k, &i)| match file::scan_file_or_defer(i as u32, &sources[i], cfg) {
                    file::Early::Done(r) => keep(i, r),
                    file::Early::Windowed(mtime) => {
                        windowed
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push((k, i, mtime));
                        FileScan::default()
                    }
                },
            )
            .collect();
        let mut windowed = windowed.into_inner().unwrap_or_else(|p| p.into_inner());
        windowed.sort_unstable_by_key(|w| w.0);
        for (k, i, mtime) in windowed {
            files[k] = keep(
                i,
                stream::scan_windowed(i as u32, &sources[i], cfg, Some(mtime)),
            );
        }
        let streamed = readers
            .into_iter()
            .zip(&streams)
            .map(|(h, &i)| {
                h.join().unwrap_or_else(|_| FileScan {
                    path: sources[i].path.display().to_string(),
                    error: Some(crate::error::FileError::new(
                        "internal",
                        format!("{}: the stream's scan failed", sources[i].path.display()),
                    )),
                    ..Default::default()
                })
            })
            .collect();
        (files, streamed)
    });
    files.extend(streamed);
    order.extend(&streams);
    // Back to path order, in place. Walked files have no size yet (discovery does not stat
    // them), so for a directory tree `order` is the identity and nothing moves; collecting
    // into slots and then into `out.files` copied every FileScan (~400 bytes) twice into
    // fresh memory: 80 MB of page faults on the 100,000-file bench corpus.
    permute_into_place(&mut files, &mut order);
    // Dumps keep their file's index of before the parts (a dump is never split); hits and
    // unknown records move to their part.
    let parts = parts::flatten(&mut files);
    let mut out = ScanOutput::default();
    let mut dumps = dumps.into_inner().unwrap_or_else(|p| p.into_inner());
    dumps.sort_unstable_by_key(|(i, _)| *i);
    out.dumps = dumps
        .into_iter()
        .map(|(i, dump)| crate::evidence::sockets::DumpInput {
            path: files[parts.as_ref().map_or(i, |p| p.first(i))].path.clone(),
            text: dump.text,
            mtime: dump.mtime.map(DateTime::<Utc>::from),
        })
        .collect();
    (out.hits, out.hits_dropped) = store
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .finish();
    // Across files: the summaries merged (no bound needed: they do not grow with records).
    out.unknown = Unknown::new(cfg.gap).bounded(cfg.max_hits);
    for fs in &mut files {
        out.unknown.merge(std::mem::take(&mut fs.unknown));
    }
    out.files = files;
    if let Some(p) = &parts {
        p.hits(&mut out.hits);
    }
    sort_hits(&mut out.hits);
    out
}

/// Reorders `items`, where `items[k]` belongs at index `order[k]`, by following the
/// permutation's cycles: each swap puts one item in its final place, and an identity
/// permutation moves nothing. `order` ends as the identity.
fn permute_into_place<T>(items: &mut [T], order: &mut [usize]) {
    for k in 0..items.len() {
        while order[k] != k {
            let j = order[k];
            items.swap(k, j);
            order.swap(k, j);
        }
    }
}

/// A sample of the input for the prefilter's statistics: 64 KiB from the middle of up to 16
/// of the `plain` files (not streams) spread over the list (which is in path order: the
/// same sample for any `-j`).
///
/// A tree of small files gives little that way (16 files of 2 KB: 32 KB, too few lines to
/// tell a word in every JSON line from a rare one; on the bench's 100,000 small files the
/// prefilter then picked literals found on one line in six). There, more files are read,
/// spread over the list, until the sample holds [`SAMPLE_SMALL_BYTES`] or
/// [`SAMPLE_SMALL_FILES`] files were read (about a millisecond).
///
/// Also returns the input's estimated size: the sampled files' mean size (a compressed
/// one's times ten) times the number of files. Discovery does not stat a walked
/// directory's files (100,000 stats would cost more than the estimate is worth); a sampled
/// file's size comes with its sample. The prefilter's start-up search is scaled by it.
fn sample(sources: &[Source], plain: &[usize]) -> (Vec<u8>, u64) {
    const FILES: usize = 16;
    const LEN: usize = 64 * 1024;
    let step = plain.len().div_ceil(FILES).max(1);
    // A few files are sampled at 16 places each: one of them may hold several kinds of
    // log (`input::sample_sized`).
    let spread = plain.len() < FILES;
    let mut out = Vec::new();
    let (mut sized, mut bytes) = (0u64, 0u64);
    let mut take = |i: usize, out: &mut Vec<u8>| {
        let (bytes_of, size) = input::sample_sized(&sources[i].path, LEN, spread);
        out.extend(bytes_of);
        if let Some(n) = size {
            // A compressed log holds about ten times its size in text (the bench's `.gz`
            // files: 14×); the text is what gets scanned.
            let packed = matches!(
                sources[i].path.extension().and_then(|e| e.to_str()),
                Some("gz" | "zst" | "bz2" | "xz")
            );
            sized += 1;
            bytes = bytes.saturating_add(if packed { n.saturating_mul(10) } else { n });
        }
    };
    for &i in plain.iter().step_by(step) {
        take(i, &mut out);
    }
    if out.len() < SAMPLE_SMALL_BYTES && plain.len() > FILES {
        let step = plain.len().div_ceil(SAMPLE_SMALL_FILES).max(1);
        for &i in plain.iter().skip(step / 2).step_by(step) {
            if out.len() >= SAMPLE_SMALL_BYTES {
                break;
            }
            take(i, &mut out);
        }
    }
    let estimate = (bytes / sized.max(1)).saturating_mul(plain.len() as u64);
    (out, estimate)
}

/// Bytes a sample of many small files is grown to.
const SAMPLE_SMALL_BYTES: usize = 1024 * 1024;
/// Most files read for such a sample.
const SAMPLE_SMALL_FILES: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::strategy::Strategy as _;

    proptest::proptest! {
        /// Any permutation (the scan's largest-first order) is undone: every item lands
        /// at the index it was tagged with.
        #[test]
        fn permute_into_place_restores_path_order(
            order in proptest::strategy::Just((0..200usize).collect::<Vec<_>>()).prop_shuffle(),
        ) {
            let mut items: Vec<usize> = order.clone();
            let mut order = order;
            permute_into_place(&mut items, &mut order);
            proptest::prop_assert_eq!(&items, &(0..200).collect::<Vec<_>>());
            proptest::prop_assert_eq!(&order, &items);
        }
    }
}

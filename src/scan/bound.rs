//! Bounds: `--max-hits`, the cap on stored hits that keeps memory proportional to the bound,
//! not to the input.
//!
//! Input: hits as they are found (per chunk, per file, then across files). Output: at most
//! `max` stored hits, always **the `max` smallest in report order** (time, then file, offset
//! and signature; undated last — [`crate::scan::sort_hits`]), plus a count of the hits that
//! were found but not stored.
//!
//! Why this rule: it does not depend on scheduling. Chunks and files finish in any order
//! under `-j N`, yet "the N earliest hits" is one set, so the report stays identical for every
//! thread count, and the timeline it shows is complete up to a point in time instead of
//! missing random pieces. Each level (chunk, file, whole scan) keeps a threshold: once it
//! holds `max` hits, a hit that sorts after the largest kept one can never be in the final
//! set and is counted without being stored (not even its excerpt is built). Storage is
//! trimmed back to `max` whenever it grows by a quarter (`select_nth_unstable`, linear), so
//! peak memory is about `max × 1.25` per level in flight.
//!
//! What it does to a report (documented in docs/robustness.md): incidents after the time of
//! the last stored hit are missing, per-incident and background counts are lower bounds, and
//! `files[].hits` still counts every hit of the file (dropped ones as raw line matches, so a
//! record matched on several lines may count more than once there). A warning says so and
//! names the time up to which the timeline is complete.

use super::output::Hit;
use chrono::{DateTime, Utc};

/// Sort key of a hit: report order.
pub type Key = (bool, Option<DateTime<Utc>>, u32, u64, u16);

/// The report-order key of a hit (the order of [`crate::scan::sort_hits`]).
#[inline]
pub fn key(h: &Hit) -> Key {
    (h.time.is_none(), h.time, h.file, h.offset, h.sig)
}

/// Something a [`Bounded`] store keeps the smallest of.
pub trait Keyed {
    /// The order: smaller is kept first.
    type Key: Ord + Clone;
    /// This item's key.
    fn key(&self) -> Self::Key;
}

impl Keyed for Hit {
    type Key = Key;
    fn key(&self) -> Key {
        key(self)
    }
}

/// Unknown error/warning records (template mining input) are bounded the same way, in the
/// order of [`crate::scan::sort_unknown`]: on a log where every line is a warning they are
/// the one thing a scan holds per line (issue 7).
impl Keyed for crate::record::level::LevelRecord {
    type Key = (bool, Option<DateTime<Utc>>, u32, u64);
    fn key(&self) -> Self::Key {
        (self.time.is_none(), self.time, self.file, self.record)
    }
}

/// A bounded store of hits (or other [`Keyed`] items).
#[derive(Debug)]
pub struct Bounded<T: Keyed = Hit> {
    /// `0`: unbounded.
    max: usize,
    /// Stored items, unordered.
    pub hits: Vec<T>,
    /// Items counted but not stored.
    pub dropped: u64,
    /// Largest kept key once a trim happened: anything larger is never kept.
    threshold: Option<T::Key>,
}

impl<T: Keyed> Default for Bounded<T> {
    fn default() -> Self {
        Bounded {
            max: 0,
            hits: Vec::new(),
            dropped: 0,
            threshold: None,
        }
    }
}

impl<T: Keyed> Bounded<T> {
    /// A store keeping at most `max` items (`0`: no limit).
    pub fn new(max: usize) -> Bounded<T> {
        Bounded {
            max,
            ..Default::default()
        }
    }

    /// Would an item with this key be stored? (Check before building an expensive hit.)
    #[inline]
    pub fn admits(&self, k: &T::Key) -> bool {
        self.threshold.as_ref().is_none_or(|t| k < t)
    }

    /// Offers one item.
    pub fn push(&mut self, h: T) {
        if !self.admits(&h.key()) {
            self.dropped += 1;
            return;
        }
        self.hits.push(h);
        self.maybe_trim();
    }

    /// Offers many items.
    pub fn extend(&mut self, hits: Vec<T>) {
        for h in hits {
            self.push(h);
        }
    }

    /// Counts items that a lower level already dropped.
    pub fn add_dropped(&mut self, n: u64) {
        self.dropped += n;
    }

    fn maybe_trim(&mut self) {
        if self.max > 0 && self.hits.len() >= self.max + (self.max / 4).max(64) {
            self.trim();
        }
    }

    /// Trims to `max` now.
    pub fn trim(&mut self) {
        if self.max == 0 || self.hits.len() <= self.max {
            return;
        }
        self.hits
            .select_nth_unstable_by(self.max - 1, |a, b| a.key().cmp(&b.key()));
        let removed = self.hits.len() - self.max;
        self.hits.truncate(self.max);
        self.dropped += removed as u64;
        self.threshold = self.hits.iter().map(Keyed::key).max();
    }

    /// Trims to `max` and returns the stored items and the dropped count.
    pub fn finish(mut self) -> (Vec<T>, u64) {
        self.trim();
        (self.hits, self.dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hit(file: u32, offset: u64, secs: Option<i64>) -> Hit {
        Hit {
            file,
            sig: 0,
            offset,
            line: 1,
            record: offset,
            time: secs.map(|s| DateTime::from_timestamp(s, 0).unwrap()),
            excerpt: "x".into(),
            level: None,
        }
    }

    proptest! {
        /// Whatever the arrival order and batching, the kept set is the `max` smallest.
        #[test]
        fn keeps_the_smallest_whatever_the_order(
            raw in proptest::collection::vec((0u32..5, 0u64..10_000, proptest::option::of(0i64..500)), 0..600),
            max in 1usize..150,
            split in 1usize..50,
        ) {
            let mut all: Vec<Hit> = raw.iter().enumerate()
                .map(|(i, &(f, o, t))| hit(f, o * 1000 + i as u64, t)).collect();
            let mut want: Vec<Key> = all.iter().map(key).collect();
            want.sort();
            want.truncate(max);
            all.reverse();
            let mut b = Bounded::new(max);
            for batch in all.chunks(split) {
                let mut inner = Bounded::new(max);
                for h in batch { inner.push(h.clone()); }
                let (hits, dropped) = inner.finish();
                b.add_dropped(dropped);
                b.extend(hits);
            }
            let (kept, dropped) = b.finish();
            let mut got: Vec<Key> = kept.iter().map(key).collect();
            got.sort();
            prop_assert_eq!(got, want);
            prop_assert_eq!(kept.len() as u64 + dropped, raw.len() as u64);
        }
    }

    #[test]
    fn unbounded_keeps_everything() {
        let mut b = Bounded::new(0);
        for i in 0..1000 {
            b.push(hit(0, i, Some(i as i64)));
        }
        let (kept, dropped) = b.finish();
        assert_eq!((kept.len(), dropped), (1000, 0));
    }
}

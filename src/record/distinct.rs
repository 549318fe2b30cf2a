//! Deduplication of masked messages: [`Distinct`], the distinct masked messages in
//! first-seen order with their counts, and the memo that spares most messages their masking.
//!
//! Input: messages ([`Distinct::add`] masks them) or masked messages
//! ([`Distinct::add_masked`]). Output: a key per message. The miner makes a set per chunk of
//! messages and merges the sets in input order ([`Distinct::merge`]). This is the per-line
//! cost; everything after runs once per distinct masked message.
//!
//! Tricky cases:
//! - The memo: masking does not depend on which digit a byte is, so a message that differs
//!   from one masked recently only in digits masking drops (ids, addresses, sizes, times)
//!   takes that one's key (see [`Distinct::add`]). Property tests check the premise, and the
//!   memo's keys and counts against masking.
//! - The memo is per thread, not per set (see `MEMO`): an entry of another set, a clone
//!   included, is a miss.
//! - It holds a bounded number of messages however many distinct ones pass: a cache of
//!   sets of two, [`MEMO_SLOTS`] slots.

use super::hash::{FxHashMap, FxHasher, FX_SEED};
use super::mask::mask;
use crate::record::tokens::{class, ALPHA, DIGIT};
use std::hash::Hasher;

/// Distinct masked messages in first-seen order, with counts.
#[derive(Debug)]
pub struct Distinct {
    index: FxHashMap<Box<[u8]>, u32>,
    /// Masked text per key, first-seen order.
    pub keys: Vec<Box<[u8]>>,
    /// Messages per key.
    pub counts: Vec<u64>,
    scratch: Vec<u8>,
    /// Tells this set's entries in the thread's raw-message memo from other sets' (see
    /// [`Distinct::add`]): unique per set, clones included.
    id: u64,
}

/// Ids of [`Distinct`] sets (0 marks an empty memo slot).
static NEXT_DISTINCT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Default for Distinct {
    fn default() -> Distinct {
        Distinct {
            index: FxHashMap::default(),
            keys: Vec::new(),
            counts: Vec::new(),
            scratch: Vec::new(),
            id: NEXT_DISTINCT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }
}

impl Clone for Distinct {
    /// A clone is a new set: its keys may diverge from the original's, so it must not
    /// take the original's memo entries.
    fn clone(&self) -> Distinct {
        Distinct {
            index: self.index.clone(),
            keys: self.keys.clone(),
            counts: self.counts.clone(),
            ..Distinct::default()
        }
    }
}

/// Slots of the message memo: a cache of sets of two, so it holds a bounded number of
/// messages however many distinct ones pass (ids, timestamps, ...).
const MEMO_SLOTS: usize = 1024;

/// One memo entry: a message's digit form (see [`Distinct::add`]), the digits it keeps,
/// and its key in the set `owner`; `owner == 0` for an empty slot.
#[derive(Clone, Debug)]
struct MemoSlot {
    owner: u64,
    hash: u64,
    key: u32,
    form: Vec<u8>,
    /// The message's [`word_digit_runs`] (start, length), and their digits, concatenated.
    runs: Vec<(u32, u32)>,
    run_digits: Vec<u8>,
}

/// The message memo of one thread: its slots, and a buffer for a message's digit form.
#[derive(Default)]
struct Memo {
    slots: Vec<MemoSlot>,
    form: Vec<u8>,
}

thread_local! {
    /// The message memo of [`Distinct::add`], one per thread rather than one per set: the
    /// miner makes a set per chunk of 16 K messages, and a memo per set meant allocating
    /// and faulting in up to 1024 message buffers per chunk (about 100 MB over the 2 GB
    /// bench corpus, with the two threads contending in the kernel's page-fault path). A
    /// thread's memo serves one set at a time; an entry of another set is a miss.
    static MEMO: std::cell::RefCell<Memo> = std::cell::RefCell::new(Memo::default());
}

/// `msg` with every ASCII digit replaced by `0`, into `out` (cleared first): its *digit
/// form*. Masking treats all digits alike (see [`Distinct::add`]).
#[inline]
fn digit_form(msg: &[u8], out: &mut Vec<u8>) {
    out.clear();
    // A plain map over the bytes: the compiler vectorises it.
    out.extend(
        msg.iter()
            .map(|&c| if c.is_ascii_digit() { b'0' } else { c }),
    );
}

/// The memo's hash of a digit form: FxHash's step in four independent lanes, 32 bytes a
/// round, the last round over the last 32 bytes (overlapping the one before). A message of
/// 200 bytes waits on 8 multiplies in a row instead of 26.
#[inline]
fn memo_hash(b: &[u8]) -> u64 {
    if b.len() < 32 {
        let mut h = FxHasher::default();
        h.write(b);
        return h.finish();
    }
    let mut lanes = [1u64, 2, 3, 4];
    let mut round = |c: &[u8]| {
        for (l, w) in lanes.iter_mut().zip(c.chunks_exact(8)) {
            let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
            *l = (l.rotate_left(5) ^ w).wrapping_mul(FX_SEED);
        }
    };
    let mut chunks = b.chunks_exact(32);
    for c in &mut chunks {
        round(c);
    }
    if !chunks.remainder().is_empty() {
        round(&b[b.len() - 32..]);
    }
    let [a, c, d, e] = lanes;
    (a ^ c.rotate_left(16) ^ d.rotate_left(32) ^ e.rotate_left(48) ^ b.len() as u64)
        .wrapping_mul(FX_SEED)
}

/// The runs of digits (start, length) inside words that start with an ASCII letter
/// (`Win64`, `SOCKS5`, `ab1c2`), into `out` (cleared first). A word here is a maximal run
/// of letters and digits (class `ALPHA` or `DIGIT`): the runs `mask_pieces` judges,
/// which only keeps digits of a run that starts with two letters (a name like `eth0`).
fn word_digit_runs(msg: &[u8], out: &mut Vec<(u32, u32)>) {
    out.clear();
    let alnum = |c: u8| matches!(class(c), DIGIT | ALPHA);
    let mut i = 0;
    while i < msg.len() {
        if !alnum(msg[i]) {
            i += 1;
            continue;
        }
        let word = msg[i].is_ascii_alphabetic();
        while i < msg.len() && alnum(msg[i]) {
            if word && msg[i].is_ascii_digit() {
                let s = i;
                while i < msg.len() && msg[i].is_ascii_digit() {
                    i += 1;
                }
                out.push((s as u32, (i - s) as u32));
            } else {
                i += 1;
            }
        }
    }
}

impl Distinct {
    /// An empty set.
    pub fn new() -> Distinct {
        Distinct::default()
    }

    /// Masks `msg` and returns its key.
    ///
    /// Most messages are not masked: a small cache (the thread's `MEMO`) gives the key of
    /// a message masked before *up to digits masking drops*. Masking never looks at which
    /// digit a byte is, only that it is one (byte classes, hex tests, lengths and counts of
    /// digit runs), and the only digits it copies to its output are in words that start
    /// with letters (`eth0`, `Win64`). So two messages with the same *digit form* (every
    /// digit replaced by `0`, `digit_form`) and the same digits in such words
    /// (`word_digit_runs`) are masked alike: `Order 488079 created` and `Order 512345
    /// created` share an entry, as do nginx access lines that differ in addresses, sizes
    /// and times. `tests::mask_ignores_digits_outside_words` checks this premise.
    #[inline]
    pub fn add(&mut self, msg: &[u8]) -> u32 {
        MEMO.with(|memo| {
            let memo = &mut *memo.borrow_mut();
            if memo.slots.is_empty() {
                memo.slots = vec![
                    MemoSlot {
                        owner: 0,
                        hash: 0,
                        key: 0,
                        form: Vec::new(),
                        runs: Vec::new(),
                        run_digits: Vec::new(),
                    };
                    MEMO_SLOTS
                ];
            }
            digit_form(msg, &mut memo.form);
            let hash = memo_hash(&memo.form);
            // Two ways per set, the more recently used first: two frequent messages whose
            // hashes share a set do not evict each other on every line.
            let set = 2 * ((hash >> 54) as usize % (MEMO_SLOTS / 2));
            let id = self.id;
            let form = &memo.form;
            // Same digit form: the same words, so `m.runs` are where `msg`'s kept digits are.
            let matches = |m: &MemoSlot| {
                m.owner == id && m.hash == hash && m.form == *form && {
                    let mut d = &m.run_digits[..];
                    m.runs.iter().all(|&(s, n)| {
                        let (kept, rest) = d.split_at(n as usize);
                        d = rest;
                        msg[s as usize..(s + n) as usize] == *kept
                    })
                }
            };
            let ways = &mut memo.slots[set..set + 2];
            if matches(&ways[0]) {
                let k = ways[0].key;
                self.counts[k as usize] += 1;
                return k;
            }
            if matches(&ways[1]) {
                ways.swap(0, 1);
                let k = ways[0].key;
                self.counts[k as usize] += 1;
                return k;
            }
            let mut scratch = std::mem::take(&mut self.scratch);
            mask(msg, &mut scratch);
            let k = self.add_masked(&scratch, 1);
            self.scratch = scratch;
            // The new entry goes first; the least recently used one is dropped.
            ways.swap(0, 1);
            let m = &mut ways[0];
            m.owner = id;
            m.hash = hash;
            m.key = k;
            std::mem::swap(&mut m.form, &mut memo.form);
            word_digit_runs(msg, &mut m.runs);
            m.run_digits.clear();
            for &(s, n) in &m.runs {
                m.run_digits
                    .extend_from_slice(&msg[s as usize..(s + n) as usize]);
            }
            k
        })
    }

    /// Adds an already masked message `n` times.
    #[inline]
    pub fn add_masked(&mut self, masked: &[u8], n: u64) -> u32 {
        if let Some(&k) = self.index.get(masked) {
            self.counts[k as usize] += n;
            return k;
        }
        let k = self.keys.len() as u32;
        let boxed: Box<[u8]> = masked.into();
        self.index.insert(boxed.clone(), k);
        self.keys.push(boxed);
        self.counts.push(n);
        k
    }

    /// Appends `other` (later input) to `self`; returns the remap of `other`'s keys.
    pub fn merge(&mut self, other: Distinct) -> Vec<u32> {
        other
            .keys
            .iter()
            .zip(&other.counts)
            .map(|(k, &n)| self.add_masked(k, n))
            .collect()
    }

    /// Number of distinct masked messages.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// No messages?
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::super::mask::tests::PIECES;
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]

        /// The raw-message memo of `Distinct::add` gives every message the key and count
        /// that masking it gives (messages drawn from a few, so they repeat).
        #[test]
        fn distinct_memo_equals_masking(
            picks in proptest::collection::vec(0usize..6, 0..200),
            pool in proptest::collection::vec(
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..90), 6..7)
        ) {
            let (mut memo, mut plain) = (Distinct::new(), Distinct::new());
            let mut buf = Vec::new();
            for &p in &picks {
                mask(&pool[p], &mut buf);
                proptest::prop_assert_eq!(memo.add(&pool[p]), plain.add_masked(&buf, 1));
            }
            proptest::prop_assert_eq!(&memo.keys, &plain.keys);
            proptest::prop_assert_eq!(&memo.counts, &plain.counts);
        }

        /// The thread's memo serves several sets at once without mixing their keys: sets
        /// (and a clone made midway) fed interleaved messages each equal masking alone.
        /// Messages of a few bytes, so that many share a digit form (`a1`, `a9`), with and
        /// without digits in their masking (`aaa1` is a name).
        #[test]
        fn distinct_memo_keeps_sets_apart(
            picks in proptest::collection::vec((0usize..3, 0usize..4), 0..200),
            pool in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(&b"a19 ."[..]), 0..8), 4..5)
        ) {
            let mut memo = [Distinct::new(), Distinct::new(), Distinct::new()];
            let mut plain = [Distinct::new(), Distinct::new(), Distinct::new()];
            let mut buf = Vec::new();
            for (i, &(set, p)) in picks.iter().enumerate() {
                if i == picks.len() / 2 {
                    // Set 2 restarts as a copy of set 0.
                    memo[2] = memo[0].clone();
                    plain[2] = plain[0].clone();
                }
                mask(&pool[p], &mut buf);
                proptest::prop_assert_eq!(memo[set].add(&pool[p]), plain[set].add_masked(&buf, 1));
            }
            for (m, p) in memo.iter().zip(&plain) {
                proptest::prop_assert_eq!(&m.keys, &p.keys);
                proptest::prop_assert_eq!(&m.counts, &p.counts);
            }
        }

        /// The premise of the digit-form memo of [`Distinct::add`]: masking a message's
        /// digit form gives the digit form of its masking (masking does not depend on which
        /// digit a byte is, and copies digits unchanged).
        #[test]
        fn mask_commutes_with_digit_form(
            tokens in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(&PIECES[..]), 1..4),
                0..12,
            ),
            digits in proptest::collection::vec(0u8..10, 0..16)
        ) {
            // PIECES's digits replaced by varied digits, so runs of unequal digits meet.
            let mut d = digits.iter().cycle();
            let msg: Vec<u8> = tokens
                .iter()
                .map(|t| t.concat())
                .collect::<Vec<_>>()
                .join(" ")
                .bytes()
                .map(|c| if c.is_ascii_digit() { b'0' + d.next().copied().unwrap_or(7) } else { c })
                .collect();
            let (mut masked, mut form, mut masked_form, mut form_masked) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            mask(&msg, &mut masked);
            digit_form(&msg, &mut form);
            mask(&form, &mut masked_form);
            digit_form(&masked, &mut form_masked);
            proptest::prop_assert_eq!(
                String::from_utf8_lossy(&masked_form),
                String::from_utf8_lossy(&form_masked),
                "{:?}",
                String::from_utf8_lossy(&msg)
            );
        }

        #[test]
        fn mask_commutes_with_digit_form_on_any_bytes(
            msg in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80)
        ) {
            let (mut masked, mut form, mut masked_form, mut form_masked) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            mask(&msg, &mut masked);
            digit_form(&msg, &mut form);
            mask(&form, &mut masked_form);
            digit_form(&masked, &mut form_masked);
            proptest::prop_assert_eq!(masked_form, form_masked);
        }

        /// The memo gives every message the key masking gives it when messages share
        /// their digit forms but differ in digits, kept (`SOCKS5`, `SOCKS4`) or not (`42`,
        /// `17`): a few messages of `PIECES`, each added with its digits replaced by one
        /// of a few digit strings.
        #[test]
        fn distinct_memo_equals_masking_across_digits(
            bases in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(&PIECES[..]), 1..8), 1..4),
            picks in proptest::collection::vec((0usize..3, 0usize..3), 0..100),
            digits in proptest::collection::vec(
                proptest::collection::vec(0u8..3, 1..4), 3..4)
        ) {
            let (mut memo, mut plain) = (Distinct::new(), Distinct::new());
            let mut buf = Vec::new();
            for &(b, d) in &picks {
                let mut ds = digits[d].iter().cycle();
                let msg: Vec<u8> = bases[b % bases.len()]
                    .concat()
                    .bytes()
                    .map(|c| if c.is_ascii_digit() { b'0' + ds.next().unwrap() } else { c })
                    .collect();
                mask(&msg, &mut buf);
                proptest::prop_assert_eq!(memo.add(&msg), plain.add_masked(&buf, 1));
            }
            proptest::prop_assert_eq!(&memo.keys, &plain.keys);
            proptest::prop_assert_eq!(&memo.counts, &plain.counts);
        }

        /// The premise of the memo of [`Distinct::add`]: messages that differ only in
        /// digits outside [`word_digit_runs`] are masked alike.
        #[test]
        fn mask_ignores_digits_outside_words(
            tokens in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(&PIECES[..]), 1..4),
                0..12,
            ),
            digits in proptest::collection::vec(0u8..10, 1..16)
        ) {
            let msg = tokens.iter().map(|t| t.concat()).collect::<Vec<_>>().join(" ");
            let mut other = msg.clone().into_bytes();
            let mut runs = Vec::new();
            word_digit_runs(msg.as_bytes(), &mut runs);
            let kept = |i: usize| runs.iter().any(|&(s, n)| (s as usize..(s + n) as usize).contains(&i));
            for (i, d) in (0..other.len()).zip(digits.iter().cycle()) {
                if other[i].is_ascii_digit() && !kept(i) {
                    other[i] = b'0' + d;
                }
            }
            let (mut a, mut b) = (Vec::new(), Vec::new());
            mask(msg.as_bytes(), &mut a);
            mask(&other, &mut b);
            proptest::prop_assert_eq!(
                String::from_utf8_lossy(&a),
                String::from_utf8_lossy(&b),
                "{:?} / {:?}",
                msg,
                String::from_utf8_lossy(&other)
            );
        }

        #[test]
        fn mask_ignores_digits_outside_words_on_any_bytes(
            msg in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80),
            digits in proptest::collection::vec(0u8..10, 1..16)
        ) {
            let mut other = msg.clone();
            let mut runs = Vec::new();
            word_digit_runs(&msg, &mut runs);
            let kept = |i: usize| runs.iter().any(|&(s, n)| (s as usize..(s + n) as usize).contains(&i));
            for (i, d) in (0..other.len()).zip(digits.iter().cycle()) {
                if other[i].is_ascii_digit() && !kept(i) {
                    other[i] = b'0' + d;
                }
            }
            let (mut a, mut b) = (Vec::new(), Vec::new());
            mask(&msg, &mut a);
            mask(&other, &mut b);
            proptest::prop_assert_eq!(a, b);
        }
    }
}

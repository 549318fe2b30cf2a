//! How one Teddy searcher's literals are dealt to its buckets, the part of the prefilter's
//! speed that the literals' own rarity does not decide.
//!
//! Input: one group of prefilter literals and the [`Model`] of the logs being scanned.
//! Output: the order to hand them to aho-corasick's Teddy ([`bucket_order`]), whose deal
//! then puts like literals in one bucket.
//!
//! Why it matters: Teddy flags a position for a bucket when each of the first four bytes
//! matches, nibble by nibble, *some* literal of that bucket, so a bucket of unlike literals
//! accepts the cross product of their nibbles, and every such false fingerprint hit costs a
//! verification of each literal in the bucket. On the bench's service logs the 198-entry
//! catalog's first searcher verified ~47,000 literals per MB (one every 21 bytes) for
//! ~140 true occurrences, and those verifications were 60 % of its time: a Teddy pass with
//! no false hits runs at 8.5 GB/s (fat, 16 buckets) or 14 GB/s (slim, 8), the measured
//! pass at 2.1 GB/s (issue 21, "keep the engine's speed").
//!
//! How: a greedy plan from the byte-share estimate ([`fingerprint_rate`]: bytes taken as
//! independent), then, when the model has a sample, local search on the sample's exact
//! counts ([`Grams`], [`refine`]): swap units between buckets while the hits × literals
//! to verify go down. Exact counts see what the estimate cannot: `e ` and `on` are common
//! pairs, `qz` is not.
//!
//! Tricky: aho-corasick deals literals round-robin by index and puts a literal whose
//! fingerprint's low nibbles equal an earlier one's in that one's bucket (needed for its
//! leftmost-first semantics), so such literals are one *unit*, and each bucket's number of
//! units is fixed by the deal; swaps keep it. Only speed depends on any of this.

use super::{Model, FINGERPRINT};

#[cfg(test)]
mod tests;

/// How many buckets aho-corasick's Teddy spreads `n` literals over: 16 ("fat") above 32
/// literals where AVX2 runs, else 8 (its builder's rule; only speed depends on agreeing).
pub(super) fn teddy_buckets(n: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    if n > 32 && std::arch::is_x86_feature_detected!("avx2") {
        return 16;
    }
    let _ = n;
    8
}

/// Expected fingerprint hits per haystack byte of one Teddy bucket holding `lits` (each
/// `mask` bytes long at least). Teddy flags position `i` for a bucket when, for every
/// `j < mask`, the low and the high nibble of byte `i + j` each equal the nibble of some
/// literal's byte `j` in that bucket: a bucket of unlike literals accepts the cross
/// product of their nibbles. Bytes are taken as independent, with the model's shares.
pub(super) fn fingerprint_rate(lits: &[&[u8]], mask: usize, model: &Model) -> f64 {
    (0..mask)
        .map(|j| {
            let (mut lo, mut hi) = (0u16, 0u16);
            for l in lits {
                lo |= 1 << (l[j] & 15);
                hi |= 1 << (l[j] >> 4);
            }
            (0..256usize)
                .filter(|&c| lo & (1 << (c & 15)) != 0 && hi & (1 << (c >> 4)) != 0)
                .map(|c| model.bytes[c])
                .sum::<f64>()
        })
        .product()
}

/// The order to hand one Teddy group's literals to aho-corasick so that each bucket holds
/// literals with like nibbles. Why: aho-corasick deals literals to buckets round-robin by
/// their index (those sharing their first bytes' low nibbles join the first one's bucket),
/// so our sorted list put `" fai"`, `"FALLBACK_SUCCESS"` and `"tart"` together, whose masks
/// then accept common letters at every position; verifying those false fingerprint hits
/// held the 51 literals of the small-files bench corpus to 2.2 GB/s, and packed by this
/// function they run at 4.4 GB/s (Teddy alone over 30,000 of its files, one core; exact
/// counts of false hits on a sample instead of this estimate reached 5.3 GB/s, but cost
/// far more than the build may take). Greedy: units (literals sharing low
/// nibbles, which must share a bucket) in order of their own rate, highest first, each to
/// the bucket whose expected verification work (hits × literals to compare) grows least,
/// with room kept so that the round-robin deal realises the plan exactly. Deterministic;
/// any order finds the same literals.
pub(super) fn bucket_order(group: &[Vec<u8>], buckets: usize, model: &Model) -> Vec<Vec<u8>> {
    let Some((units, plan)) = bucket_plan(group, buckets, model) else {
        return group.to_vec();
    };
    // Deal: unit heads in round-robin order, then the other members of each unit (they
    // follow their head into its bucket wherever they stand).
    let mut out = Vec::with_capacity(group.len());
    let mut next = vec![0usize; buckets];
    for i in 0..units.len() {
        let k = buckets - 1 - i % buckets;
        out.push(units[plan[k][next[k]]][0].to_vec());
        next[k] += 1;
    }
    for u in &units {
        out.extend(u[1..].iter().map(|l| l.to_vec()));
    }
    out
}

/// [`bucket_order`]'s plan: the units (literals sharing their fingerprint's low nibbles,
/// which Teddy puts in one bucket) and, per bucket, the units it gets. `None` when there
/// is nothing to plan (one literal, or one shorter than a byte of fingerprint).
#[allow(clippy::type_complexity)]
pub(super) fn bucket_plan<'a>(
    group: &'a [Vec<u8>],
    buckets: usize,
    model: &Model,
) -> Option<(Vec<Vec<&'a [u8]>>, Vec<Vec<usize>>)> {
    let (units, mut plan, mask) = greedy_plan(group, buckets, model)?;
    if let Some(grams) = &model.grams {
        refine(&units, &mut plan, mask, grams, model.evals);
    }
    Some((units, plan))
}

/// The greedy plan from the byte-share estimate, and the fingerprint's length.
#[allow(clippy::type_complexity)]
fn greedy_plan<'a>(
    group: &'a [Vec<u8>],
    buckets: usize,
    model: &Model,
) -> Option<(Vec<Vec<&'a [u8]>>, Vec<Vec<usize>>, usize)> {
    let mask = group
        .iter()
        .map(Vec::len)
        .min()
        .unwrap_or(0)
        .min(FINGERPRINT);
    if mask == 0 || group.len() <= 1 {
        return None;
    }
    let key = |x: &[u8]| x[..mask].iter().map(|b| b & 15).collect::<Vec<u8>>();
    let mut units: Vec<Vec<&[u8]>> = Vec::new();
    for l in group {
        match units.iter_mut().find(|u| key(u[0]) == key(l)) {
            Some(u) => u.push(l),
            None => units.push(vec![l]),
        }
    }
    // The deal gives unit `i` bucket `buckets - 1 - i % buckets`: buckets from the last
    // down take one more unit when the units do not divide evenly.
    let (q, r) = (units.len() / buckets, units.len() % buckets);
    let room = |k: usize| q + usize::from(k >= buckets - r);
    let own: Vec<f64> = units
        .iter()
        .map(|u| fingerprint_rate(u, mask, model))
        .collect();
    let mut order: Vec<usize> = (0..units.len()).collect();
    // Highest rate first; ties keep the sorted order (stable sort).
    order.sort_by(|&a, &b| own[b].total_cmp(&own[a]));
    let work = |lits: &[&[u8]]| {
        if lits.is_empty() {
            0.0
        } else {
            fingerprint_rate(lits, mask, model) * (1 + lits.len()) as f64
        }
    };
    let mut plan: Vec<Vec<usize>> = vec![Vec::new(); buckets];
    let mut members: Vec<Vec<&[u8]>> = vec![Vec::new(); buckets];
    for i in order {
        let mut best: Option<(f64, usize)> = None;
        for k in (0..buckets).filter(|&k| plan[k].len() < room(k)) {
            let mut with = members[k].clone();
            with.extend(&units[i]);
            let grow = work(&with) - work(&members[k]);
            if best.is_none_or(|(g, _)| grow < g) {
                best = Some((grow, k));
            }
        }
        // The rooms add up to the number of units, so some bucket has room.
        let k = best.map_or(0, |(_, k)| k);
        plan[k].push(i);
        members[k].extend(&units[i]);
    }
    Some((units, plan, mask))
}

/// Distinct 4-grams of (a part of) the sample with their counts, grouped by first byte:
/// what [`refine`] counts a bucket's fingerprint hits on.
pub(super) struct Grams {
    /// Bytes 2–4 of each distinct 4-gram (big-endian in the low 24 bits) and its count,
    /// grouped by the first byte.
    rest: Vec<(u32, u32)>,
    /// Where each first byte's grams start in `rest` (257 entries).
    start: Vec<u32>,
}

/// Bytes of the sample the 4-grams are counted over: 128 KiB in 4 KiB windows spread over
/// the whole sample (up to 1 MiB from up to 256 files), so every file sampled has a say,
/// and building the table (a sort of 128 Ki words) stays about a millisecond. (256 KiB
/// planned no better on the bench corpus, at twice the time per evaluation.)
const GRAM_BYTES: usize = 128 * 1024;

const GRAM_WINDOW: usize = 4096;

/// Most bucket evaluations [`refine`] spends (each reads the sample's 4-grams that start
/// with a byte the bucket accepts).
pub(super) const MAX_EVALS: usize = 10_000;

/// Evaluations when the input's size is not known (a stream): a few milliseconds.
pub(super) const DEFAULT_EVALS: usize = 2_000;

/// [`refine`]'s evaluations for an input of `bytes`: one per 50 KB, from 500 to
/// [`MAX_EVALS`]. Why: the search costs ~1.5 µs an evaluation, once per run, and pays back
/// per byte scanned: on the bench's 2 GB it converges at ~6,000 evaluations (~10 ms) and
/// cuts the prefilter's time from 1.25 s to 0.33 s (one core), while a 10 MB log would
/// spend more on the search than it could ever save.
pub(super) fn evals_for(bytes: u64) -> usize {
    usize::try_from(bytes / 50_000)
        .unwrap_or(MAX_EVALS)
        .clamp(500, MAX_EVALS)
}

impl Grams {
    pub(super) fn from_sample(sample: &[u8]) -> Grams {
        let windows: Vec<&[u8]> = sample.chunks(GRAM_WINDOW).collect();
        let keep = GRAM_BYTES / GRAM_WINDOW;
        // `keep` windows evenly spaced from the first to the last (all of them for a small
        // sample).
        let picked: Vec<&[u8]> = if windows.len() <= keep {
            windows
        } else {
            (0..keep)
                .map(|k| windows[k * (windows.len() - 1) / (keep - 1)])
                .collect()
        };
        let mut v: Vec<u32> = Vec::with_capacity(GRAM_BYTES.min(sample.len()));
        for w in picked {
            v.extend(
                w.windows(4)
                    .map(|x| u32::from_be_bytes([x[0], x[1], x[2], x[3]])),
            );
        }
        v.sort_unstable();
        let mut rest: Vec<(u32, u32)> = Vec::new();
        let mut start = vec![0u32; 257];
        let mut i = 0;
        while i < v.len() {
            let g = v[i];
            let n = v[i..].iter().take_while(|&&x| x == g).count();
            start[(g >> 24) as usize + 1] += 1;
            rest.push((g & 0x00FF_FFFF, n as u32));
            i += n;
        }
        for b in 1..257 {
            start[b] += start[b - 1];
        }
        Grams { rest, start }
    }

    /// How many of the counted positions a Teddy bucket holding `lits` flags (the first
    /// `mask` bytes each pass the bucket's nibble masks).
    pub(super) fn hits(&self, lits: &[&[u8]], mask: usize) -> u64 {
        let acc = accepted(lits, mask);
        let mut n = 0u64;
        for c0 in 0..256usize {
            if !has(&acc[0], c0 as u8) {
                continue;
            }
            let (a, b) = (self.start[c0] as usize, self.start[c0 + 1] as usize);
            for &(r, count) in &self.rest[a..b] {
                if has(&acc[1], (r >> 16) as u8)
                    && has(&acc[2], (r >> 8) as u8)
                    && has(&acc[3], r as u8)
                {
                    n += u64::from(count);
                }
            }
        }
        n
    }
}

/// Per fingerprint position, the bytes a bucket of `lits` accepts (a 256-bit set; every
/// byte past the mask).
fn accepted(lits: &[&[u8]], mask: usize) -> [[u64; 4]; 4] {
    let mut acc = [[u64::MAX; 4]; 4];
    for (j, set) in acc.iter_mut().enumerate().take(mask) {
        let (mut lo, mut hi) = (0u16, 0u16);
        for l in lits {
            lo |= 1 << (l[j] & 15);
            hi |= 1 << (l[j] >> 4);
        }
        *set = [0; 4];
        for c in 0..256usize {
            if lo & (1 << (c & 15)) != 0 && hi & (1 << (c >> 4)) != 0 {
                set[c >> 6] |= 1 << (c & 63);
            }
        }
    }
    acc
}

#[inline]
fn has(set: &[u64; 4], c: u8) -> bool {
    (set[usize::from(c >> 6)] >> (c & 63)) & 1 == 1
}

/// Local search on a plan: take the bucket with the most work on the sample (fingerprint
/// hits × (1 + literals to verify), as [`bucket_plan`] estimates it), and swap one of its
/// units with one of another bucket when that lowers the two buckets' exact work; again,
/// until no swap out of any bucket with hits helps or `max_evals` evaluations are spent.
/// Why hottest first: a plain sweep over all pairs of units did not finish one round for
/// the 89 literals of one searcher, and a few crowded buckets hold most of the hits. Swaps
/// keep each bucket's number of units, so the deal still realises the plan.
/// Deterministic: ties go to the lower index.
fn refine(
    units: &[Vec<&[u8]>],
    plan: &mut [Vec<usize>],
    mask: usize,
    grams: &Grams,
    max_evals: usize,
) {
    let cost = |p: &[usize]| -> u64 {
        let m: Vec<&[u8]> = p.iter().flat_map(|&u| units[u].iter().copied()).collect();
        if m.is_empty() {
            0
        } else {
            grams.hits(&m, mask) * (1 + m.len() as u64)
        }
    };
    let mut costs: Vec<u64> = plan.iter().map(|p| cost(p)).collect();
    let mut evals = plan.len();
    // Buckets no swap could improve since they last changed.
    let mut settled = vec![false; plan.len()];
    while evals < max_evals {
        let hot = (0..plan.len())
            .filter(|&a| costs[a] > 0 && !settled[a])
            .max_by(|&x, &y| costs[x].cmp(&costs[y]).then(y.cmp(&x)));
        let Some(a) = hot else {
            return;
        };
        // `a`'s units, the one whose removal helps most first.
        let mut out: Vec<(u64, usize)> = (0..plan[a].len())
            .map(|i| {
                let rest: Vec<usize> = plan[a]
                    .iter()
                    .enumerate()
                    .filter(|&(k, _)| k != i)
                    .map(|(_, &u)| u)
                    .collect();
                (cost(&rest), i)
            })
            .collect();
        evals += out.len();
        out.sort_unstable();
        let mut swapped = false;
        for &(_, i) in &out {
            let u = plan[a][i];
            // `a` with each other bucket's unit in place of `u`, cheapest first.
            let mut with: Vec<(u64, usize, usize)> = Vec::new();
            for b in (0..plan.len()).filter(|&b| b != a) {
                for j in 0..plan[b].len() {
                    plan[a][i] = plan[b][j];
                    with.push((cost(&plan[a]), b, j));
                }
            }
            plan[a][i] = u;
            evals += with.len();
            with.sort_unstable();
            // The best swap: only those whose `a` side alone leaves room for a gain need
            // their other side counted (a cost is never below 0).
            let mut best: Option<(u64, usize, usize, u64, u64)> = None;
            for &(ca, b, j) in &with {
                let old = costs[a] + costs[b];
                if ca + best.map_or(0, |x| x.0) >= old {
                    continue;
                }
                let v = plan[b][j];
                plan[b][j] = u;
                let cb = cost(&plan[b]);
                plan[b][j] = v;
                evals += 1;
                if ca + cb < old && best.is_none_or(|x| old - ca - cb > x.0) {
                    best = Some((old - ca - cb, b, j, ca, cb));
                }
            }
            if let Some((_, b, j, ca, cb)) = best {
                plan[a][i] = plan[b][j];
                plan[b][j] = u;
                costs[a] = ca;
                costs[b] = cb;
                // Both changed: any bucket may now gain from a swap it could not before.
                settled.iter_mut().for_each(|s| *s = false);
                swapped = true;
                break;
            }
        }
        if !swapped {
            settled[a] = true;
        }
    }
}

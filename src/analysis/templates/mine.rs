//! Clustering: distinct masked messages → templates; and [`mine`], the miner's whole path
//! (mask and deduplicate in parallel, then cluster).
//!
//! Input: a [`Distinct`] set (masked messages with their counts), or for [`mine`] the
//! messages themselves. Output: a [`Clustering`]: one template text per group of messages
//! that differ only in their variable parts, and each key's template.
//!
//! How: messages are grouped by token count; within a group a token is a *constant* when
//! it is frequent at its position (the "longest common pattern" idea of Brain, Yu et al.
//! 2023); messages with the same constants form a cluster, and a column of names that is an
//! enumeration splits its cluster. [`cluster`] gives the exact rules.
//!
//! Tricky cases: the result does not depend on the order of the keys except for template
//! numbering (first key first), nor on the thread count ([`mine`] merges its chunks in input
//! order); clusters with the same template text merge (same text, same id).

use super::Distinct;
use super::FxHashMap;
use super::WILDCARD;

/// Result of clustering distinct masked messages.
#[derive(Clone, Debug, Default)]
pub struct Clustering {
    /// Template texts (tokens joined by single spaces, `<*>` for variables), in order of
    /// first appearance of their first key.
    pub templates: Vec<String>,
    /// For each distinct key, its template index.
    pub of_key: Vec<u32>,
}

/// A column with fewer distinct names than this splits its cluster (one template each).
const SPLIT_BELOW: usize = 3;
/// A column with at most this many distinct names, each in at least
/// [`SPLIT_ENUM_MIN_COUNT`] messages, also splits: an enumeration such as `VM Paused` /
/// `VM Resumed` / `VM Started` / `VM Stopped`, not a variable.
const SPLIT_ENUM_MAX: usize = 6;
/// See [`SPLIT_ENUM_MAX`].
const SPLIT_ENUM_MIN_COUNT: u64 = 3;

/// Clusters distinct masked messages, weighted by their counts. The result does not
/// depend on the order of `d`'s keys except for template numbering (first key first).
///
/// 1. Messages are grouped by token count.
/// 2. In a group, each (position, token) has a frequency: the messages holding it. Each
///    message's *longest common pattern* is the set of its tokens sharing the frequency
///    value most of its tokens have (ties: the rarer value, the more specific pattern).
///    Tokens of one event occur together, so they share a frequency; variables spread
///    over many values and tokens shared with other events are more frequent.
///    Messages with the same pattern form a cluster.
/// 3. A cluster's columns that hold more than one token are variables, except that a
///    column of names (tokens with a letter) that is an enumeration splits the cluster:
///    fewer than [`SPLIT_BELOW`] distinct names, or at most [`SPLIT_ENUM_MAX`] names each
///    seen [`SPLIT_ENUM_MIN_COUNT`] times. The column with the fewest names splits first,
///    then each part is examined again.
pub fn cluster(d: &Distinct) -> Clustering {
    let mut intern = Interner::new();
    let seqs: Vec<Vec<u32>> = d.keys.iter().map(|k| tokenize(&mut intern, k)).collect();
    // Tokens without a letter (`<*>`, `(<*>)`, `<*>,`, `()`, `****`) are values.
    let valueish: Vec<bool> = intern
        .text
        .iter()
        .map(|t| !t.iter().any(|c| c.is_ascii_alphabetic() || *c >= 0x80))
        .collect();
    let ctx = Ctx {
        seqs: &seqs,
        counts: &d.counts,
        valueish: &valueish,
    };
    let mut by_len: std::collections::BTreeMap<usize, Vec<u32>> = Default::default();
    for (k, s) in seqs.iter().enumerate() {
        by_len.entry(s.len()).or_default().push(k as u32);
    }
    let mut clusters: Vec<(Vec<u32>, Vec<u32>)> = Vec::new(); // (template, keys)
    let mut freq: FxHashMap<(usize, u32), u64> = FxHashMap::default();
    let mut fs: Vec<u64> = Vec::new();
    for (_, keys) in by_len {
        freq.clear();
        for &k in &keys {
            for (p, &t) in seqs[k as usize].iter().enumerate() {
                if t != WILD {
                    *freq.entry((p, t)).or_default() += d.counts[k as usize];
                }
            }
        }
        let mut groups: Vec<Vec<u32>> = Vec::new();
        let mut group_of: FxHashMap<Vec<(usize, u32)>, usize> = FxHashMap::default();
        for &k in &keys {
            let seq = &seqs[k as usize];
            fs.clear();
            fs.extend(
                seq.iter()
                    .enumerate()
                    .filter(|(_, &t)| t != WILD)
                    .map(|(p, &t)| freq[&(p, t)]),
            );
            fs.sort_unstable();
            // The frequency value shared by most tokens; ties go to the rarer value.
            let mut best = (0usize, 0u64);
            let mut i = 0;
            while i < fs.len() {
                let mut j = i;
                while j < fs.len() && fs[j] == fs[i] {
                    j += 1;
                }
                if j - i > best.0 {
                    best = (j - i, fs[i]);
                }
                i = j;
            }
            let lcp: Vec<(usize, u32)> = seq
                .iter()
                .enumerate()
                .filter(|(p, &t)| t != WILD && freq[&(*p, t)] == best.1)
                .map(|(p, &t)| (p, t))
                .collect();
            let g = *group_of.entry(lcp).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[g].push(k);
        }
        for g in groups {
            refine(&ctx, g, &mut clusters);
        }
    }
    finish_clusters(&intern, clusters, seqs.len())
}

struct Ctx<'a> {
    seqs: &'a [Vec<u32>],
    counts: &'a [u64],
    valueish: &'a [bool],
}

/// Splits a cluster on its enumeration columns (fewest names first) and emits one
/// template per part; other columns with several tokens become `<*>`.
fn refine(ctx: &Ctx, group: Vec<u32>, out: &mut Vec<(Vec<u32>, Vec<u32>)>) {
    let seqs = ctx.seqs;
    let mut tpl = seqs[group[0] as usize].clone();
    let mut split: Option<(usize, usize)> = None; // (distinct names, position)
    let mut vals: Vec<(u32, u64)> = Vec::new();
    for (p, slot) in tpl.iter_mut().enumerate() {
        vals.clear();
        for &k in &group {
            let t = seqs[k as usize][p];
            let n = ctx.counts[k as usize];
            match vals.iter_mut().find(|(v, _)| *v == t) {
                Some((_, c)) => *c += n,
                None => vals.push((t, n)),
            }
            if vals.len() > SPLIT_ENUM_MAX + 1 {
                break;
            }
        }
        if vals.len() == 1 {
            continue;
        }
        *slot = WILD;
        let names = vals.iter().all(|&(v, _)| !ctx.valueish[v as usize]);
        let enumeration = names
            && (vals.len() < SPLIT_BELOW
                || (vals.len() <= SPLIT_ENUM_MAX
                    && vals.iter().all(|&(_, c)| c >= SPLIT_ENUM_MIN_COUNT)));
        if enumeration && split.is_none_or(|(u, _)| vals.len() < u) {
            split = Some((vals.len(), p));
        }
    }
    let Some((_, p)) = split else {
        out.push((tpl, group));
        return;
    };
    let mut parts: Vec<(u32, Vec<u32>)> = Vec::new();
    for k in group {
        let v = seqs[k as usize][p];
        match parts.iter_mut().find(|(t, _)| *t == v) {
            Some((_, ks)) => ks.push(k),
            None => parts.push((v, vec![k])),
        }
    }
    for (_, ks) in parts {
        refine(ctx, ks, out);
    }
}

/// Numbers clusters by their first key and merges clusters with the same template text
/// (same text, same id).
fn finish_clusters(
    intern: &Interner,
    mut clusters: Vec<(Vec<u32>, Vec<u32>)>,
    nkeys: usize,
) -> Clustering {
    clusters.sort_by_key(|(_, ks)| ks.iter().copied().min());
    let mut templates: Vec<String> = Vec::new();
    let mut by_text: FxHashMap<String, u32> = FxHashMap::default();
    let mut of_key = vec![0u32; nkeys];
    for (tpl, ks) in clusters {
        let mut text = Vec::new();
        for (i, &t) in tpl.iter().enumerate() {
            if i > 0 {
                text.push(b' ');
            }
            text.extend_from_slice(&intern.text[t as usize]);
        }
        let text = String::from_utf8_lossy(&text).into_owned();
        let id = *by_text.entry(text.clone()).or_insert_with(|| {
            templates.push(text);
            templates.len() as u32 - 1
        });
        for k in ks {
            of_key[k as usize] = id;
        }
    }
    Clustering { templates, of_key }
}

/// Token interning for clustering; id 0 is `<*>`.
struct Interner {
    ids: FxHashMap<Vec<u8>, u32>,
    text: Vec<Vec<u8>>,
}

const WILD: u32 = 0;

impl Interner {
    fn new() -> Interner {
        let mut i = Interner {
            ids: FxHashMap::default(),
            text: Vec::new(),
        };
        i.id(WILDCARD.as_bytes());
        i
    }
    fn id(&mut self, t: &[u8]) -> u32 {
        if let Some(&k) = self.ids.get(t) {
            return k;
        }
        let k = self.text.len() as u32;
        self.ids.insert(t.to_vec(), k);
        self.text.push(t.to_vec());
        k
    }
}

fn tokenize(intern: &mut Interner, key: &[u8]) -> Vec<u32> {
    key.split(|&c| c == b' ')
        .filter(|t| !t.is_empty())
        .map(|t| intern.id(t))
        .collect()
}

/// Mines templates from messages: masks and deduplicates them in parallel (rayon, chunks
/// merged in input order) and clusters the distinct masked messages. Returns the
/// clustering and, per message, its template index.
pub fn mine<S: AsRef<[u8]> + Sync>(messages: &[S]) -> (Clustering, Vec<u32>) {
    use rayon::prelude::*;
    const CHUNK: usize = 1 << 14;
    let parts: Vec<(Distinct, Vec<u32>)> = messages
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut d = Distinct::new();
            let ids = chunk.iter().map(|m| d.add(m.as_ref())).collect();
            (d, ids)
        })
        .collect();
    let mut all = Distinct::new();
    let mut keys = Vec::with_capacity(messages.len());
    for (d, ids) in parts {
        let remap = all.merge(d);
        keys.extend(ids.into_iter().map(|k| remap[k as usize]));
    }
    let c = cluster(&all);
    let assign = keys.into_iter().map(|k| c.of_key[k as usize]).collect();
    (c, assign)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mining_groups_variants() {
        let msgs = [
            "ledger 42 locked by batch-7",
            "connection to 10.0.0.1:5432 lost",
            "ledger 43 locked by batch-9",
            "connection to 10.0.0.2:5432 lost",
        ];
        let (c, assign) = mine(&msgs);
        assert_eq!(assign[0], assign[2]);
        assert_eq!(assign[1], assign[3]);
        assert_ne!(assign[0], assign[1]);
        assert_eq!(c.templates[assign[0] as usize], "ledger <*> locked by <*>");
        // Two names in one column are two templates (an enumeration, not a variable).
        let (_, assign) = mine(&["pool main exhausted", "pool batch exhausted"]);
        assert_ne!(assign[0], assign[1]);
    }
}

//! The signature prefilter: a few rare literals that every catalog match must contain,
//! searched with SIMD (Teddy) so the regex runs only on the lines that hold one.
//!
//! Input: the catalog's patterns as line-local HIR (`catalog::Matcher`). Output: a
//! [`Prefilter`] whose [`Prefilter::find`] returns the next position in a buffer where a
//! *candidate* line starts to be interesting, or `None` when no pattern can match further
//! on. The scan then runs the full automaton on that one line only and skips to the next
//! line (scan-engine.md §1 "lines only around hits", ripgrep's `find_candidate_line`).
//!
//! Why our own and not the regex engine's: `regex-automata`'s prefilter looks only at
//! *prefix* literals, and our 138 patterns have ~200 distinct prefixes, more than it keeps
//! (it gives up above 64 short prefixes), so it turned itself off and the lazy DFA read
//! every byte: 64 % of a profile of the 2 GB bench corpus and ~0.5 GB/s per core, the same
//! wall as `rg -f` with these patterns (bench/RESULTS.md). Prefixes are also the worst
//! choice for log text: `Connection refused` starts with `Con` (Connection pool,
//! Content-Type...), `java\.net\.` with `jav` (every stack frame). scan-engine.md §3 measured
//! that rarer leading literals alone cut 18–22 % of `rg -f`'s time.
//!
//! How:
//! 1. For every pattern, pick a *necessary set*: literals of which every match contains at
//!    least one ([`necessary`]). Candidates come from each suffix of a concatenation (its
//!    finite prefix literals, via regex-syntax's extractor), from inside captures and
//!    `+` repetitions, and the union over an alternation's branches. A pattern with no
//!    necessary set (`.*`, a lone class) switches the prefilter off: the scan then runs the
//!    automaton over the whole buffer, as before. Correctness never depends on the choice.
//! 2. Sets are scored by how often their literals occur in *the logs being scanned*:
//!    trigram and 4-gram counts over a sample (64 KiB from the middle of up to 16 input
//!    files, from 16 places in a file over 1 MiB when fewer are sampled; for a tree of
//!    small files, up to 1 MiB
//!    from up to 256: `scan::sample`, `input::sample`,
//!    [`Model::from_sample`]), a literal rated as often as its rarest 4-gram (an upper
//!    bound: underestimates flood the automaton with candidate lines); without a sample, a
//!    static byte rank (memchr's). Why: a static rank calls `que` rare while `request` is on
//!    every access-log line.
//! 3. Any substring of a necessary literal is necessary too: a greedy weighted set cover
//!    ([`cover_in_groups`]) picks few rare substrings that every literal contains (the three
//!    `... probe failed: ` branches share one; fingerprints start on rare bytes), trading
//!    Teddy's cost per literal against the expected candidate rate, and raising that cost
//!    until the cover fits as few Teddy searchers (96 literals each with AVX2, one pass
//!    over every byte each) as it can. On the bench corpus: 153 literals → ~45; the
//!    198-entry catalog's 368 necessary literals → ~90, one searcher.
//! 4. Teddy (aho-corasick's packed searcher, SIMD; 4-byte fingerprints) searches for them,
//!    [`group_size`] literals per searcher; literals shorter than 4 bytes get their own group
//!    (memchr's memmem when alone), since one 3-byte literal would shorten the whole
//!    group's fingerprint. Aho-Corasick where Teddy is unavailable.
//! 5. Teddy's speed depends on which literals share a bucket: a bucket's nibble masks
//!    accept the cross product of its literals' bytes, and every false fingerprint hit
//!    costs a verification. [`bucket_order`] hands the literals over in an order that puts
//!    like ones together, checked against exact counts on the sample (`buckets.rs`; the
//!    198-entry catalog's searcher over the bench's service logs: 2.1 → 7 GB/s).
//! 6. A hit of a searched substring is a candidate only when a necessary literal it stands
//!    for surrounds it ([`Verify`]): `read` found in `"thread"` is searched past, not sent
//!    to the automaton.
//!
//! Exactness: the catalog patterns never match `\n` (catalog.rs strips it), so a match lies
//! on one line, and that line contains one of its pattern's necessary literals. Running the
//! automaton from each such line's start to its end therefore finds exactly the matches a
//! whole-buffer run finds (a property test in scan.rs checks both ways agree).

mod buckets;

use aho_corasick::{packed, AhoCorasick, MatchKind};
use buckets::{bucket_order, fingerprint_rate, teddy_buckets, Grams};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Hir, HirKind};

/// Literals kept at most: beyond this the prefilter would flag too many lines to pay off.
const MAX_LITERALS: usize = 500;

/// Literals per Teddy searcher: 6 per bucket, so 96 where AVX2 gives Teddy 16 buckets, 48
/// with 8. aho-corasick's own default stops at 64, a limit for literals dealt to buckets
/// without a plan; with `buckets.rs`'s plan, checked on the sample, the 198-entry catalog's
/// 95 literals in one searcher cost 1.1× the 57-entry catalog's one searcher, against 1.7×
/// for two searchers of 64 and 31 planned on the estimate alone (prefilter alone over the
/// bench's 20 files, one core).
/// Why not more (aho-corasick takes 128): on the dense bench corpus the cover has 141
/// literals, and 128 + 13 took 0.22 s where 96 + 45 take 0.13 s: eight unlike literals in
/// a bucket leave false hits no plan removes.
pub(super) fn group_size() -> usize {
    6 * teddy_buckets(usize::MAX)
}

/// Shortest literal worth searching for: Teddy with 1–2 byte fingerprints flags most lines.
const MIN_LITERAL: usize = 3;

/// The built searcher.
#[derive(Clone, Debug)]
pub struct Prefilter {
    searcher: Searcher,
    literals: Vec<Vec<u8>>,
    /// Per literal of [`Prefilter::literals`]: how a hit of it is confirmed ([`Verify`]).
    verify: Vec<Verify>,
    /// How long building it took (start-up cost, shown by `--debug`).
    built_in: std::time::Duration,
}

#[derive(Clone, Debug)]
enum Group {
    /// A Teddy searcher and, per its pattern id, the literal's index in
    /// [`Prefilter::literals`] (the bucket plan hands literals over in its own order).
    Teddy(packed::Searcher, Vec<u32>),
    /// One literal, with its index.
    One(memchr::memmem::Finder<'static>, u32),
}

/// How a hit of one searched literal is confirmed. The cover (step 3 of the module docs)
/// searches for substrings of the necessary literals: `read` stands for `native thread`,
/// `read ETIMEDOUT` and `READONLY You can't write against a read only`, yet it is in every
/// JSON line's `"thread"` field, and a sample that missed the JSON lines cannot know. An
/// unconfirmed hit used to send its line through the automaton (~0.5 µs); now the few
/// necessary literals around it are compared first (a few ns) and a hit none confirms is
/// searched past. On the bench's single 2 GB file with a sample of its middle only:
/// 1.39 M candidate lines → 1.03 M (those hold `"message"`, itself necessary). Exact: a
/// line that can match holds a whole necessary literal, and every necessary literal
/// contains a searched one (the cover's definition).
#[derive(Clone, Debug)]
enum Verify {
    /// The searched literal is itself a necessary literal: its hit is a candidate.
    Always,
    /// The hit is a candidate when one of these necessary literals surrounds it:
    /// (bytes before the hit, literal).
    Around(Vec<(usize, Vec<u8>)>),
}

impl Verify {
    /// The checks for searched literal `c` among `searched`, given the necessary literals.
    /// Several searched literals can start at one position only when one is a prefix of the
    /// other, and the searcher reports one of them: the checks of both are taken.
    fn new(c: &[u8], searched: &[Vec<u8>], necessary: &[Vec<u8>]) -> Verify {
        if necessary.binary_search_by(|n| n.as_slice().cmp(c)).is_ok() {
            return Verify::Always;
        }
        let mut checks: Vec<(usize, Vec<u8>)> = Vec::new();
        for s in searched
            .iter()
            .filter(|s| s.starts_with(c) || c.starts_with(s))
        {
            for n in necessary {
                for (k, w) in n.windows(s.len()).enumerate() {
                    if w == s.as_slice() {
                        checks.push((k, n.clone()));
                    }
                }
            }
        }
        checks.sort();
        checks.dedup();
        Verify::Around(checks)
    }

    /// Whether the hit at `at` in `hay` is a candidate.
    #[inline]
    fn accepts(&self, hay: &[u8], at: usize) -> bool {
        match self {
            Verify::Always => true,
            Verify::Around(checks) => checks.iter().any(|(back, n)| {
                at >= *back && hay.get(at - back..at - back + n.len()) == Some(n.as_slice())
            }),
        }
    }
}

#[derive(Clone, Debug)]
enum Searcher {
    /// Teddy (SIMD), one searcher per [`group_size`] literals, or memchr's memmem for a group of
    /// one literal.
    Packed(Vec<Group>),
    /// Aho-Corasick where Teddy is not available (no SSSE3/AVX2/NEON).
    Automaton(AhoCorasick),
}

impl Prefilter {
    /// Builds the prefilter for these patterns, or says why there is none.
    pub fn new(hirs: &[Hir], model: &Model) -> Result<Prefilter, String> {
        let started = std::time::Instant::now();
        if hirs.is_empty() {
            return Err("no patterns".into());
        }
        // Patterns are independent; their sets are found on every thread (this runs before
        // the first file is scanned, with the other cores idle) and taken in pattern order.
        use rayon::prelude::*;
        let sets: Vec<Option<Vec<Vec<u8>>>> =
            hirs.par_iter().map(|h| necessary(h, model)).collect();
        let mut lits: Vec<Vec<u8>> = Vec::new();
        for (i, set) in sets.into_iter().enumerate() {
            let set =
                set.ok_or_else(|| format!("pattern {i} has no literal that every match contains"))?;
            lits.extend(set);
        }
        lits.sort();
        lits.dedup();
        let necessary = lits;
        let mut lits = cover_in_groups(&necessary, model);
        lits.sort();
        let verify: Vec<Verify> = lits
            .par_iter()
            .map(|c| Verify::new(c, &lits, &necessary))
            .collect();
        let index = |l: &[u8]| {
            lits.binary_search_by(|x| x.as_slice().cmp(l))
                .expect("a group's literal is one of the literals") as u32
        };
        if lits.len() > MAX_LITERALS {
            return Err(format!("{} literals: too many to pay off", lits.len()));
        }
        // One Teddy searcher holds `group_size` literals; a bigger cover gets several whose
        // candidate streams are merged. On the bench corpus one Aho-Corasick automaton over the 153 literals
        // was slower than no prefilter at all: it steps through every byte.
        // Teddy's fingerprint is as long as the group's shortest literal (up to 4 bytes), and
        // 3-byte fingerprints let far more false candidates through: short literals get a
        // group of their own.
        let (short, mut long): (Vec<Vec<u8>>, Vec<Vec<u8>>) =
            lits.iter().cloned().partition(|l| l.len() < FINGERPRINT);
        if long.len() > group_size() {
            // More than one searcher: literals of like fingerprint rates share one (the
            // commonest in the first, fat one: its 16 buckets keep their masks apart), not
            // the alphabetical chunks they were. The 198-entry catalog's 89 literals over
            // the bench's 20 files: Teddy alone 1.16 s → 1.03 s (one core; sum of the best
            // of three runs per file; 0.57 s for the 57-entry catalog's one searcher).
            let fp = |l: &[u8]| fingerprint_rate(&[l], FINGERPRINT, model);
            long.sort_by(|a, b| fp(b).total_cmp(&fp(a)).then(a.cmp(b)));
            for g in long.chunks_mut(group_size()) {
                g.sort();
            }
        }
        // Each group's bucket plan is searched on a thread of its own (start-up runs with
        // the other cores idle; the dense bench corpus's two groups: 40–50 ms → ~30 ms).
        let parts: Vec<&[Vec<u8>]> = long
            .chunks(group_size())
            .chain(short.chunks(group_size()))
            .collect();
        let built: Vec<Option<Group>> = parts
            .par_iter()
            .map(|group| {
                if let [one] = group {
                    return Some(Group::One(
                        memchr::memmem::Finder::new(one).into_owned(),
                        index(one),
                    ));
                }
                let order = bucket_order(group, teddy_buckets(group.len()), model);
                let ids: Vec<u32> = order.iter().map(|l| index(l)).collect();
                packed::Config::new()
                    .match_kind(packed::MatchKind::LeftmostFirst)
                    .only_teddy(true)
                    .heuristic_pattern_limits(false)
                    .builder()
                    .extend(order)
                    .build()
                    .map(|s| Group::Teddy(s, ids))
            })
            .collect();
        // Teddy unavailable for one group: Aho-Corasick for all.
        let groups: Vec<Group> = built.into_iter().collect::<Option<_>>().unwrap_or_default();
        let searcher = if groups.is_empty() {
            Searcher::Automaton(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(&lits)
                    .map_err(|e| e.to_string())?,
            )
        } else {
            Searcher::Packed(groups)
        };
        Ok(Prefilter {
            searcher,
            literals: lits,
            verify,
            built_in: started.elapsed(),
        })
    }

    /// How long building it took.
    pub fn built_in(&self) -> std::time::Duration {
        self.built_in
    }

    /// The literals searched for (for `--debug`).
    pub fn literals(&self) -> &[Vec<u8>] {
        &self.literals
    }

    /// Which searcher runs: `"Teddy"` or `"Aho-Corasick"` (for `--debug`).
    pub fn engine(&self) -> String {
        match &self.searcher {
            Searcher::Packed(g) => format!("Teddy ({} group(s))", g.len()),
            Searcher::Automaton(_) => "Aho-Corasick".into(),
        }
    }

    /// Start of the first literal occurrence in `hay[from..to]`. For a caller that walks
    /// forward through one buffer, [`Prefilter::cursor`] avoids searching each group again.
    pub fn find(&self, hay: &[u8], from: usize, to: usize) -> Option<usize> {
        self.cursor().find(hay, from, to)
    }

    /// The first hit of group `g` in `hay[from..to]`: its start and its literal's index.
    #[inline]
    fn search(&self, g: usize, hay: &[u8], from: usize, to: usize) -> Option<(usize, u32)> {
        if from >= to {
            return None;
        }
        match &self.searcher {
            Searcher::Packed(gs) => match &gs[g] {
                Group::Teddy(t, ids) => t
                    .find_in(
                        hay,
                        aho_corasick::Span {
                            start: from,
                            end: to,
                        },
                    )
                    .map(|m| (m.start(), ids[m.pattern().as_usize()])),
                Group::One(f, id) => f.find(&hay[from..to]).map(|i| (from + i, *id)),
            },
            Searcher::Automaton(a) => a
                .find(aho_corasick::Input::new(hay).range(from..to))
                .map(|m| (m.start(), m.pattern().as_u32())),
        }
    }

    /// A forward-only search state over one haystack range.
    pub fn cursor(&self) -> Cursor<'_> {
        let n = match &self.searcher {
            Searcher::Packed(g) => g.len(),
            Searcher::Automaton(_) => 1,
        };
        Cursor {
            pf: self,
            next: vec![None; n],
        }
    }
}

/// Forward-only search over one haystack: each group's next occurrence is remembered, so
/// with several Teddy groups each searches the buffer once, not once per candidate line.
pub struct Cursor<'a> {
    pf: &'a Prefilter,
    /// Per group: `None` before its first search, else (searched from, first occurrence at
    /// or after that).
    next: Vec<Option<(usize, Option<usize>)>>,
}

impl Cursor<'_> {
    /// Start of the first literal occurrence in `hay[from..to]`; `from` must not decrease
    /// between calls, and `hay` and `to` must stay the same.
    #[inline]
    pub fn find(&mut self, hay: &[u8], from: usize, to: usize) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (g, slot) in self.next.iter_mut().enumerate() {
            // A remembered occurrence at or after `from` is still the first one; `None`
            // found from an earlier start means none is left.
            let fresh = matches!(*slot, Some((_, None)))
                || matches!(*slot, Some((_, Some(p))) if p >= from);
            if !fresh {
                // A hit its necessary literals do not confirm is searched past. What is
                // refused stays refused for any later `from`, so the remembered result
                // stays right.
                let mut start = from;
                let found = loop {
                    let Some((at, lit)) = self.pf.search(g, hay, start, to) else {
                        break None;
                    };
                    if self.pf.verify[lit as usize].accepts(hay, at) {
                        break Some(at);
                    }
                    start = at + 1;
                };
                *slot = Some((from, found));
            }
            if let Some((_, Some(p))) = *slot {
                best = Some(best.map_or(p, |b| b.min(p)));
            }
        }
        best
    }
}

/// The cheapest necessary literal set of one pattern (see the module docs), or `None`.
pub fn necessary(h: &Hir, model: &Model) -> Option<Vec<Vec<u8>>> {
    let mut best: Option<(f64, Vec<Vec<u8>>)> = None;
    let mut offer = |set: Vec<Vec<u8>>| {
        if set.is_empty() || set.iter().any(|l| l.len() < MIN_LITERAL) {
            return;
        }
        let c = set_cost(&set, model);
        if best.as_ref().is_none_or(|(b, _)| c < *b) {
            best = Some((c, set));
        }
    };
    if let Some(set) = finite_prefixes(h) {
        offer(set);
    }
    match h.kind() {
        HirKind::Literal(l) => offer(vec![l.0.to_vec()]),
        HirKind::Capture(c) => {
            if let Some(s) = necessary(&c.sub, model) {
                offer(s);
            }
        }
        HirKind::Repetition(r) if r.min >= 1 => {
            if let Some(s) = necessary(&r.sub, model) {
                offer(s);
            }
        }
        HirKind::Concat(subs) => {
            for i in 1..subs.len() {
                if let Some(set) = finite_prefixes(&Hir::concat(subs[i..].to_vec())) {
                    offer(set);
                }
            }
            for s in subs {
                if let Some(set) = necessary(s, model) {
                    offer(set);
                }
            }
        }
        HirKind::Alternation(subs) => {
            let mut union = Vec::new();
            for s in subs {
                union.extend(necessary(s, model)?);
            }
            union.sort();
            union.dedup();
            offer(union);
        }
        _ => {}
    }
    best.map(|(_, s)| s)
}

/// The finite prefix literals of `h` (each match of `h` starts with one of them), if the
/// extractor finds a small finite set.
fn finite_prefixes(h: &Hir) -> Option<Vec<Vec<u8>>> {
    let seq = Extractor::new()
        .kind(ExtractKind::Prefix)
        .limit_class(10)
        .limit_repeat(4)
        .limit_literal_len(64)
        .limit_total(64)
        .extract(h);
    let lits = seq.literals()?;
    if lits.is_empty() {
        return None;
    }
    Some(lits.iter().map(|l| l.as_bytes().to_vec()).collect())
}

/// Rough probability that a byte occurs at a given position of log text, from a static
/// frequency rank (0 rare .. 255 common).
fn byte_p(b: u8) -> f64 {
    // The most common byte (space) taken as ~15 % of text, halving every 12 ranks: `e` ~12 %,
    // upper-case letters ~0.1–1 %, control bytes almost never. Tabulated once (start-up).
    static TABLE: std::sync::OnceLock<[f64; 256]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        std::array::from_fn(|i| 0.15 * (2f64).powf((f64::from(RANK[i]) - 255.0) / 12.0))
    })[usize::from(b)]
}

/// How often byte strings occur in the logs being scanned, estimated from a sample of them
/// (trigram and 4-gram counts), or, without a sample, from a static byte rank. Only speed
/// depends on it: any choice of necessary literals finds the same matches.
pub struct Model {
    /// Trigram counts, hashed into [`TRI_BUCKETS`] slots.
    tri: Vec<u32>,
    /// 4-gram counts, hashed into [`QUAD_BUCKETS`] slots.
    quad: Vec<u32>,
    /// Trigrams counted.
    n: f64,
    /// Share of each byte value in the sample (from the static rank without one): what
    /// [`bucket_order`] weighs Teddy's nibble masks by.
    bytes: Vec<f64>,
    /// The sample's 4-grams, for exact counts of Teddy's false fingerprint hits
    /// (`buckets.rs`); none without a sample.
    grams: Option<Grams>,
    /// How many bucket evaluations the plan's local search may spend (`buckets.rs`).
    evals: usize,
}

const TRI_BUCKETS: usize = 1 << 18;

const QUAD_BUCKETS: usize = 1 << 19;

#[inline]
fn quad_slot(w: &[u8]) -> usize {
    let x = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
    (x.wrapping_mul(0x9E37_79B1) >> (32 - 19)) as usize
}

#[inline]
fn tri_slot(a: u8, b: u8, c: u8) -> usize {
    let x = (u32::from(a) << 16) | (u32::from(b) << 8) | u32::from(c);
    (x.wrapping_mul(0x9E37_79B1) >> (32 - 18)) as usize
}

impl Model {
    /// The static byte-rank model (no sample).
    pub fn prior() -> Model {
        let total: f64 = (0..=255u8).map(byte_p).sum();
        Model {
            tri: Vec::new(),
            quad: Vec::new(),
            n: 0.0,
            bytes: (0..=255u8).map(|b| byte_p(b) / total).collect(),
            grams: None,
            evals: 0,
        }
    }

    /// Counts the trigrams of a sample of the input. Why a sample and not a fixed table:
    /// a static byte rank calls `que` rare (`q` is rare in prose) while `request` is on
    /// every line of an access log, and `rvice ` rare while `service` is in every logger
    /// name; the sample knows.
    pub fn from_sample(sample: &[u8]) -> Model {
        if sample.len() < 4096 {
            return Model::prior();
        }
        // The two tables side by side: this runs before the first file is scanned, with the
        // other cores idle (a 1 MiB sample for a tree of small files).
        let (((tri, bytes), quad), grams) = rayon::join(
            || {
                rayon::join(
                    || {
                        let mut tri = vec![0u32; TRI_BUCKETS];
                        for w in sample.windows(3) {
                            tri[tri_slot(w[0], w[1], w[2])] += 1;
                        }
                        let mut bytes = vec![0.0; 256];
                        for &b in sample {
                            bytes[usize::from(b)] += 1.0;
                        }
                        for x in &mut bytes {
                            *x /= sample.len() as f64;
                        }
                        (tri, bytes)
                    },
                    || {
                        let mut quad = vec![0u32; QUAD_BUCKETS];
                        for w in sample.windows(4) {
                            quad[quad_slot(w)] += 1;
                        }
                        quad
                    },
                )
            },
            || Grams::from_sample(sample),
        );
        Model {
            tri,
            quad,
            n: (sample.len() - 2) as f64,
            bytes,
            grams: Some(grams),
            evals: buckets::DEFAULT_EVALS,
        }
    }

    /// The same model for an input of `bytes` in all: how much start-up time the bucket
    /// plan's search may take is paid back per byte scanned (`buckets::evals_for`).
    pub fn for_input(mut self, bytes: u64) -> Model {
        if self.grams.is_some() {
            self.evals = buckets::evals_for(bytes);
        }
        self
    }

    /// Calls `f(j, n, fingerprint rate, rate)` for every substring `l[j..j + n]` that
    /// [`cover`] considers (from [`FINGERPRINT`] to [`MAX_SHARED`] bytes, the whole literal
    /// when shorter), with how often per haystack byte its fingerprint and the substring
    /// itself occur (an upper bound). Probabilities grow one factor per byte, so this is
    /// linear in the substrings visited (start-up stays under a millisecond for the
    /// catalog).
    fn substring_parts(&self, l: &[u8], mut f: impl FnMut(usize, usize, f64, f64)) {
        let min = FINGERPRINT.min(l.len());
        for j in 0..=l.len() - min {
            let max = (l.len() - j).min(MAX_SHARED);
            let mut p = 1.0;
            let mut fp = 1.0;
            for n in 1..=max {
                let i = j + n - 1; // the byte added
                p *= if self.n == 0.0 || n < 3 {
                    // Prior: independent bytes for the fingerprint, then words (each byte
                    // past it only a flat factor rarer).
                    if n <= FINGERPRINT {
                        byte_p(l[i])
                    } else {
                        NEXT_BYTE
                    }
                } else if n == 3 {
                    // Trigram model: the first trigram's frequency replaces the two prior
                    // factors taken so far; additive smoothing keeps a trigram absent from
                    // the sample rare, not impossible.
                    let t = f64::from(self.tri[tri_slot(l[j], l[j + 1], l[j + 2])]);
                    (t + 0.5) / (self.n + 1.0) / (byte_p(l[j]) * byte_p(l[j + 1]))
                } else {
                    // Past 3 bytes: no more frequent than the substring one byte shorter,
                    // nor than its last 4-gram. This bounds from above; the chain of
                    // conditional trigram rates it replaced (P(c | ab) per byte) went far
                    // below the truth for long literals of common pieces: `"message"` is on
                    // every JSON line, yet `"me`, `mes`, `ess`... are common elsewhere too,
                    // and the chain called it 1 in 20,000 bytes, so it was chosen over the
                    // Zuul body pattern's eight rare enum names and every JSON line became a
                    // candidate (25 % of a profile of the bench .gz corpus). Too high an
                    // estimate costs a longer literal; too low a flood of candidate lines.
                    // A 4-gram the sample lacks makes a long literal a little rarer still
                    // (prefer `terminated unexpectedly` to `terminated` when both are unseen).
                    let c = self.quad[quad_slot(&l[i - 3..=i])];
                    let q = (f64::from(c) + 0.5) / (self.n + 1.0);
                    (q / p).min(1.0) * if c == 0 { UNSEEN_BYTE } else { 1.0 }
                };
                if n <= FINGERPRINT {
                    fp = p;
                }
                if n >= min {
                    f(j, n, fp, p);
                }
            }
        }
    }
}

/// Teddy fingerprints the first 3 bytes of each literal.
const FINGERPRINT: usize = 4;

/// What one line that holds a necessary literal costs beside one fingerprint hit (a
/// fingerprint hit is a short compare; a candidate line runs the whole automaton over that
/// line).
const LINE_COST: f64 = 100.0;

/// What a hit of a searched literal costs when it is no necessary literal's: the compares
/// of [`Verify`] and a new start of the searcher past it (~0.1 µs measured: 3.5 M such
/// hits cost 0.38 s on the bench's single file). Only true occurrences of a necessary
/// literal cost [`LINE_COST`], whichever substring the cover searches for, so the cover
/// weighs its substrings by this: the dense bench corpus's 138 searched literals became
/// 126, the single file's 97 became 96 (one searcher).
const HIT_COST: f64 = 20.0;

/// What one more literal costs Teddy, in the unit of [`rate`] (measured: 1 literal scans a
/// service log at 10.4 GB/s, 16 at 6–8 GB/s, i.e. ~0.004 ns per byte per literal, about a
/// fingerprint hit in every 1,000 bytes at ~5 ns per verification).
const PER_LITERAL: f64 = 1e-3;

/// How much rarer each byte past the fingerprint makes a literal.
const NEXT_BYTE: f64 = 0.4;

/// How much rarer each further 4-gram absent from the sample makes a literal.
const UNSEEN_BYTE: f64 = 0.7;

/// Longest substring considered as a shared literal.
const MAX_SHARED: usize = 16;

fn set_cost(set: &[Vec<u8>], model: &Model) -> f64 {
    set.iter()
        .map(|l| {
            let (mut best, mut rarest) = (f64::INFINITY, f64::INFINITY);
            model.substring_parts(l, |_, _, fp, p| {
                best = best.min(fp + HIT_COST * p);
                rarest = rarest.min(p);
            });
            best + LINE_COST * rarest + PER_LITERAL
        })
        .sum()
}

/// Any substring of a necessary literal is necessary too. This picks few, rare substrings
/// such that every literal contains one of them (greedy weighted set cover: the substring
/// with the lowest (per-literal overhead + rate) per newly covered literal first), so
/// `Connection refused` and `connection refused` share `onnection refused`, the three
/// `... probe failed: ` alternatives share one literal, and fingerprints start on rare
/// bytes. Deterministic: ties go to the substring met first.
#[cfg(test)]
fn cover(lits: &[Vec<u8>], model: &Model) -> Vec<Vec<u8>> {
    Candidates::new(lits, model)
        .pick(PER_LITERAL)
        .into_iter()
        .map(|l| l.0)
        .collect()
}

/// [`cover`] that also minds Teddy's searchers: one searcher holds [`group_size`] literals, and
/// each more searcher is one more pass over every byte (the 197-entry catalog's first cover
/// had 78 long literals: two Teddy passes, the prefilter a third slower on the bench's
/// service logs than with the 57-entry catalog's 50). When the cover needs more searchers
/// than necessary, the per-literal cost is doubled until the cover fits fewer (shared,
/// somewhat commoner substrings: a few more candidate lines, which cost far less than a
/// pass), up to [`MAX_LITERAL_SCALE`] times; the cover with the fewest searchers wins, at
/// the lowest cost that reaches it.
fn cover_in_groups(lits: &[Vec<u8>], model: &Model) -> Vec<Vec<u8>> {
    let cands = Candidates::new(lits, model);
    let searchers = |c: &[(Vec<u8>, f64)]| {
        let long = c.iter().filter(|l| l.0.len() >= FINGERPRINT).count();
        long.div_ceil(group_size()) + usize::from(long < c.len())
    };
    // Modeled work per haystack byte: the literals' own rates, plus a pass per searcher.
    let rates = |c: &[(Vec<u8>, f64)]| c.iter().map(|l| PER_LITERAL + l.1).sum::<f64>();
    let cost = |c: &[(Vec<u8>, f64)]| rates(c) + PASS * searchers(c) as f64;
    let mut best = cands.pick(PER_LITERAL);
    let mut per = PER_LITERAL;
    while searchers(&best) > 1 && per < PER_LITERAL * MAX_LITERAL_SCALE {
        per *= 2.0;
        let c = cands.pick(per);
        if cost(&c) < cost(&best) {
            best = c;
        } else if rates(&c) + PASS >= cost(&best) {
            // Its literals alone cost more than the best cover, even in one searcher; a
            // higher per-literal cost only picks commoner ones.
            break;
        }
    }
    best.into_iter().map(|l| l.0).collect()
}

/// One Teddy pass over a byte, in the unit of [`rate`] (a verification, ~5 ns): a searcher
/// runs at 4–8 GB/s per core, ~0.2 ns a byte. (Measured on the bench's 20-file corpus: one
/// Teddy searcher over the 197-entry catalog's 78 literals was slower than two passes over
/// 64 and 14; a cover that fit one searcher took literals like ` the ` and ` for` and sent
/// a line in three to the automaton, 2.8× the scan's time.)
const PASS: f64 = 0.04;

/// How far [`cover_in_groups`] raises the per-literal cost.
const MAX_LITERAL_SCALE: f64 = 16.0;

/// A cheap hasher for the cover's substring table (~100,000 short byte strings at start-up;
/// the standard SipHash was most of the prefilter's build time): FxHash's multiply-rotate
/// over 8-byte words. Not DoS-resistant, and needs not be: the keys are the catalog's own
/// literals.
#[derive(Default)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        self.0 = (self.0.rotate_left(5) ^ n as u64).wrapping_mul(K);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The substrings [`cover`] chooses from: each with its rate and the literals holding it.
struct Candidates<'a> {
    /// (substring, rate, first literal, further literals): the first inline, the others
    /// (shared substrings, a few thousand of ~26,000) in a vector, so most allocate nothing.
    cands: Vec<(&'a [u8], f64, u32, Vec<u32>)>,
    /// Literals to cover.
    n: usize,
}

impl<'a> Candidates<'a> {
    fn new(lits: &'a [Vec<u8>], model: &Model) -> Candidates<'a> {
        use rayon::prelude::*;
        use std::collections::HashMap;
        // Each literal's substrings and their rates, on every thread (a substring's rate
        // depends on its bytes only); this runs before the first file is scanned, with the
        // other cores idle.
        let per_lit: Vec<Vec<(&[u8], f64)>> = lits
            .par_iter()
            .map(|l| {
                let mut v = Vec::new();
                model.substring_parts(l, |j, n, fp, p| {
                    v.push((&l[j..j + n], fp + HIT_COST * p));
                });
                v
            })
            .collect();
        // A substring two literals hold starts with a 4-byte head two literals hold: find
        // those heads first, in a small table (one entry per start position), and put only
        // substrings with such a head in the big one. Most substrings are one literal's own
        // (their heads too), and hashing ~100,000 of them cost more than the rest of the
        // prefilter's build (cache misses on a table of megabytes).
        let fx = std::hash::BuildHasherDefault::<FxHasher>::default;
        let head = |sub: &[u8]| u32::from_le_bytes([sub[0], sub[1], sub[2], sub[3]]);
        let mut heads: HashMap<u32, (u32, bool), _> =
            HashMap::with_capacity_and_hasher(lits.iter().map(Vec::len).sum(), fx());
        for (i, subs) in per_lit.iter().enumerate() {
            for &(sub, _) in subs.iter().filter(|s| s.0.len() == FINGERPRINT) {
                let e = heads.entry(head(sub)).or_insert((i as u32, false));
                e.1 |= e.0 != i as u32;
            }
        }
        let may_share = |sub: &[u8]| sub.len() < FINGERPRINT || heads[&head(sub)].1;
        // Shared candidates in order of first appearance (deterministic, no sort); each
        // literal's own substrings only compete with one another (same coverage: the lowest
        // rate, first met on a tie, always scores best), so only its best is kept.
        let mut index: HashMap<&[u8], usize, _> = HashMap::with_hasher(fx());
        let mut cands: Vec<(&[u8], f64, u32, Vec<u32>)> = Vec::new();
        let mut own: Vec<Option<(&[u8], f64)>> = vec![None; lits.len()];
        for (i, subs) in per_lit.iter().enumerate() {
            let i = i as u32;
            for &(sub, r) in subs {
                if !may_share(sub) {
                    let b = &mut own[i as usize];
                    if b.is_none_or(|(_, br)| r < br) {
                        *b = Some((sub, r));
                    }
                    continue;
                }
                let k = *index.entry(sub).or_insert_with(|| {
                    cands.push((sub, r, i, Vec::new()));
                    cands.len() - 1
                });
                let c = &mut cands[k];
                if c.3.last().unwrap_or(&c.2) != &i {
                    c.3.push(i);
                }
            }
        }
        // Candidates of the big table that only one literal holds after all join the contest
        // for that literal's best own substring.
        for c in cands.iter().filter(|c| c.3.is_empty()) {
            let b = &mut own[c.2 as usize];
            if b.is_none_or(|(_, br)| c.1 < br) {
                *b = Some((c.0, c.1));
            }
        }
        cands.retain(|c| !c.3.is_empty());
        for (i, b) in own.into_iter().enumerate() {
            if let Some((sub, r)) = b {
                cands.push((sub, r, i as u32, Vec::new()));
            }
        }
        Candidates {
            cands,
            n: lits.len(),
        }
    }

    /// The greedy cover with `per_literal` as each chosen substring's overhead. Lazy greedy:
    /// a candidate's score only grows as literals get covered, so a stale score is a lower
    /// bound and only the heap's top is re-scored.
    fn pick(&self, per_literal: f64) -> Vec<(Vec<u8>, f64)> {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        // Scores are positive, so their bit patterns order like the numbers.
        let key = |score: f64, k: usize| Reverse((score.to_bits(), k));
        let mut heap: BinaryHeap<Reverse<(u64, usize)>> = self
            .cands
            .iter()
            .enumerate()
            .map(|(k, c)| key((per_literal + c.1) / (1 + c.3.len()) as f64, k))
            .collect();
        let mut covered = vec![false; self.n];
        let mut left = self.n;
        let mut out = Vec::new();
        while let Some(Reverse((_, k))) = heap.pop() {
            let (sub, rate, first, more) = &self.cands[k];
            let v = || std::iter::once(first).chain(more);
            let n = v().filter(|&&i| !covered[i as usize]).count();
            if n == 0 {
                continue;
            }
            let fresh = key((per_literal + rate) / n as f64, k);
            if heap.peek().is_some_and(|top| fresh < *top) {
                // Another candidate's (lower-bound) score is now better: re-queue.
                heap.push(fresh);
                continue;
            }
            for &i in v() {
                if !covered[i as usize] {
                    covered[i as usize] = true;
                    left -= 1;
                }
            }
            out.push((sub.to_vec(), *rate));
            if left == 0 {
                break;
            }
        }
        out
    }
}

/// Byte frequency rank for text, higher = more common. The table is memchr's
/// `default_rank::RANK` (MIT/Unlicense), the heuristic its memmem and regex-syntax's
/// literal optimiser use; it is crate-private there, so it is repeated here.
#[rustfmt::skip]
const RANK: [u8; 256] = [
    55, 52, 51, 50, 49, 48, 47, 46, 45, 103, 242, 66, 67, 229, 44, 43,
    42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 56, 32, 31, 30, 29, 28,
    255, 148, 164, 149, 136, 160, 155, 173, 221, 222, 134, 122, 232, 202, 215, 224,
    208, 220, 204, 187, 183, 179, 177, 168, 178, 200, 226, 195, 154, 184, 174, 126,
    120, 191, 157, 194, 170, 189, 162, 161, 150, 193, 142, 137, 171, 176, 185, 167,
    186, 112, 175, 192, 188, 156, 140, 143, 123, 133, 128, 147, 138, 146, 114, 223,
    151, 249, 216, 238, 236, 253, 227, 218, 230, 247, 135, 180, 241, 233, 246, 244,
    231, 139, 245, 243, 251, 235, 201, 196, 240, 214, 152, 182, 205, 181, 127, 27,
    212, 211, 210, 213, 228, 197, 169, 159, 131, 172, 105, 80, 98, 96, 97, 81,
    207, 145, 116, 115, 144, 130, 153, 121, 107, 132, 109, 110, 124, 111, 82, 108,
    118, 141, 113, 129, 119, 125, 165, 117, 92, 106, 83, 72, 99, 93, 65, 79,
    166, 237, 163, 199, 190, 225, 209, 203, 198, 217, 219, 206, 234, 248, 158, 239,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
];

#[cfg(test)]
mod tests;

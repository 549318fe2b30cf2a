//! Zone inference: the UTC offset of a file written in naive local time, found by lining
//! its activity up with files whose stamps state their offset.
//!
//! Input: per file, its [`Activity`] (records per minute, and events per minute: signature
//! hits and error/warning records) and its [`Role`]: a *witness* (its minutes are UTC:
//! explicit offsets, epochs, `Z`, IIS W3C, a zone from `--tz-for` or an alias) or *naive*
//! (its minutes are wall-clock minutes of an unknown zone). Output: per naive file an
//! [`Estimate`]: the best offset, its runner-up, a confidence and whether the evidence is
//! strong enough to apply.
//!
//! How: every candidate offset from −12:00 to +14:00 in 15-minute steps (105 of them,
//! +05:30 and +05:45 included) moves the naive file onto the UTC timeline, and the Pearson
//! correlation of its high-pass filtered activity with the witnesses' is measured there
//! (records and events separately, `stats.rs`). Shared traffic makes minute-to-minute
//! noise and error bursts line up at the right offset only.
//!
//! The rule for *strong* evidence is a test, not a tuned constant. The correlations at
//! candidates at least an hour away from the best are a sample of what shifted, unaligned
//! activity gives (the null); each correlation becomes a z-score against that sample's
//! median and robust spread (never below 1/√n, the spread of correlations of unrelated
//! series over n minutes), and the records' and events' z-scores are combined (Stouffer).
//! The best offset is applied when both
//! - it beats the null: p = 105 · P(Z > z_best) (Bonferroni over the candidates), and
//! - it beats the runner-up: p = P(Z > (z_best − z_second) / √2),
//!
//! are below [`ALPHA`]; the confidence reported is 1 − the larger p. Files that overlap
//! the witnesses by less than [`MIN_OVERLAP`] minutes, or that leave fewer than
//! [`MIN_NULL`] candidates for the null, get no estimate.
//!
//! Tricky cases:
//! - Outages that recur every hour line up at ±1 h too (the founding case): the runner-up
//!   test is what keeps such a file from being applied when only the bursts speak; shared
//!   traffic noise, which does not recur, usually settles it.
//! - A file applied in one round is a witness in the next (up to [`ROUNDS`]): a naive app
//!   log beside nothing but a naive gateway log that an access log pinned.
//! - Unrelated activity (another system's logs) gives correlations at the level of the null
//!   everywhere: no estimate is strong.

use super::stats::{corr_at, normal_sf, quantile, robust, Dense};
use rayon::prelude::*;

/// Candidate offsets in minutes: −12:00 … +14:00 in 15-minute steps.
pub fn candidates() -> impl Iterator<Item = i32> {
    (-48..=56).map(|q| q * 15)
}

/// Significance level of both tests of the rule.
pub const ALPHA: f64 = 0.001;
/// Fewest minutes a naive file must overlap the witnesses at a candidate offset.
pub const MIN_OVERLAP: usize = 30;
/// Fewest minute shifts the null sample must hold.
pub const MIN_NULL: usize = 50;
/// Candidates this close to the best (minutes) are not part of its null.
pub const NULL_EXCLUSION: i32 = 60;
/// Rounds in which applied files join the witnesses.
pub const ROUNDS: usize = 3;
/// Minutes around a candidate offset within which its best correlation counts: host clocks
/// that disagree by a few minutes still share a zone.
pub const SKEW_TOLERANCE: i32 = 1;

/// Which candidate offsets a decision was made among.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// All 105 (Bonferroni over all of them).
    AllOffsets,
    /// The offsets stated by files of the same scan (the access log's `+0800`): fewer
    /// hypotheses, so the same evidence is stronger; used only when the best of all offsets
    /// does not beat the stated one significantly.
    StatedOffsets,
    /// The naive files of the scan taken together ([`infer`]'s group step).
    Group,
    /// The offset every applied inference agrees on, for a file whose own evidence is too
    /// thin to decide but does not point elsewhere ([`infer`]'s consensus step).
    Consensus,
}

/// One file's activity: (minute, count) pairs.
#[derive(Clone, Debug, Default)]
pub struct Activity {
    /// Records per minute.
    pub records: Vec<(i64, f64)>,
    /// Signature hits and error/warning records per minute.
    pub events: Vec<(i64, f64)>,
}

/// What a file is to the inference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Its minutes are UTC.
    Witness,
    /// Its minutes are wall-clock minutes of an unknown zone.
    Naive,
    /// Neither (no dated records, mixed stamps).
    Ignore,
}

/// The inference's answer for one naive file.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Estimate {
    /// Best offset, minutes east of UTC.
    pub offset_minutes: i32,
    /// Second-best offset.
    pub runner_up_minutes: Option<i32>,
    /// Combined z-score of the best offset against the null.
    pub z: f64,
    /// Combined z-score of the runner-up.
    pub runner_up_z: f64,
    /// 1 − the larger p-value of the two tests.
    pub confidence: f64,
    /// Both tests passed at [`ALPHA`]: apply it.
    pub strong: bool,
    /// Which candidates the tests ran over.
    pub basis: Basis,
    /// The witness whose own activity lines up best at that offset (index into the input).
    pub witness: Option<usize>,
    /// Minutes of overlap with the witnesses at that offset.
    pub overlap_minutes: usize,
    /// Round in which it was made (1: explicit witnesses only).
    pub round: usize,
    /// Applied as a member of the scan's other naive files ([`infer`]'s group step): the
    /// offset, confidence and runner-up are the group's.
    pub group: bool,
    /// The combined z-score at every candidate (offset, z).
    #[serde(skip)]
    pub curve: Vec<(i32, f64)>,
}

/// Correlations over the candidates: (offset, r, overlap minutes).
type Curve = Vec<(i32, f64, usize)>;

/// z-scores of a naive series (wall minutes) against a witness series (UTC minutes) at
/// every candidate offset (at offset `o`, wall minute `w` is UTC minute `w - o`).
///
/// A candidate's correlation is the best within ±[`SKEW_TOLERANCE`] minutes of it: two
/// hosts' clocks a few minutes apart still share a zone (skew is measured later, to the
/// second). The null is the same, at every *minute* shift of the candidate range at
/// least [`NULL_EXCLUSION`] from the best candidate: what shifted, unaligned activity gives.
/// The z-scores are taken against its median and a spread that is the largest of: its upper
/// tail ((99th percentile − median) / 2.326: recurring bursts and chance coincidences make
/// the tail heavier than a normal one), 1/√n (n minutes of overlap: unrelated series), and
/// 1/√k (k active minutes of the sparser series: one burst lining up with one burst by
/// chance says little). `None` when the null holds fewer than [`MIN_NULL`] shifts.
fn zcurve(naive: &Dense, witness: &Dense) -> Option<Curve> {
    let lo = candidates().next()?;
    let hi = candidates().last()?;
    let tol = SKEW_TOLERANCE;
    // r at every minute shift, then the best within the tolerance around each.
    let raw: Vec<Option<(f64, usize)>> = (lo - tol..=hi + tol)
        .map(|s| corr_at(witness, naive, -(s as i64), MIN_OVERLAP))
        .collect();
    let at = |s: i32| -> Option<(f64, usize)> {
        let i = (s - (lo - tol)) as usize;
        raw[i - tol as usize..=i + tol as usize]
            .iter()
            .flatten()
            .copied()
            .max_by(|a, b| a.0.total_cmp(&b.0))
    };
    let grid: Curve = candidates()
        .filter_map(|o| at(o).map(|(r, n)| (o, r, n)))
        .collect();
    let best = *grid.iter().max_by(|a, b| a.1.total_cmp(&b.1))?;
    let null: Vec<f64> = (lo..=hi)
        .filter(|s| (s - best.0).abs() >= NULL_EXCLUSION)
        .filter_map(|s| at(s).map(|p| p.0))
        .collect();
    if null.len() < MIN_NULL {
        return None;
    }
    let (mu, _) = robust(&null)?;
    let tail = (quantile(&null, 0.99)? - mu) / 2.326;
    let k = naive.active.min(witness.active).max(1) as f64;
    let n = best.2.max(1) as f64;
    let sd = tail.max(1.0 / k.sqrt()).max(1.0 / n.sqrt());
    Some(
        grid.iter()
            .map(|&(o, r, n)| (o, (r - mu) / sd, n))
            .collect(),
    )
}

/// Combines the series' z-curves (Stouffer: sum / √count at each candidate; a candidate
/// counts where the records series has a value).
fn combine(curves: &[Vec<(i32, f64, usize)>]) -> Vec<(i32, f64, usize)> {
    let Some(base) = curves.first() else {
        return Vec::new();
    };
    base.iter()
        .map(|&(o, z0, n)| {
            let mut sum = z0;
            let mut k = 1.0;
            for c in &curves[1..] {
                if let Some(p) = c.iter().find(|p| p.0 == o) {
                    sum += p.1;
                    k += 1.0;
                }
            }
            (o, sum / f64::sqrt(k), n)
        })
        .collect()
}

/// The two tests of the rule on a z-curve restricted to `keep`: the best candidate against
/// the null (Bonferroni over the candidates kept) and against the runner-up.
fn test(z: &[(i32, f64, usize)], keep: impl Fn(i32) -> bool) -> Option<Estimate> {
    let kept: Vec<(i32, f64, usize)> = z.iter().copied().filter(|p| keep(p.0)).collect();
    let best = *kept.iter().max_by(|a, b| a.1.total_cmp(&b.1))?;
    let second = kept
        .iter()
        .filter(|p| p.0 != best.0)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .copied();
    let p_null = (kept.len() as f64 * normal_sf(best.1)).min(1.0);
    let z2 = second.map_or(f64::NEG_INFINITY, |s| s.1);
    let p_sep = if z2.is_finite() {
        normal_sf((best.1 - z2) / std::f64::consts::SQRT_2)
    } else {
        0.0
    };
    Some(Estimate {
        offset_minutes: best.0,
        runner_up_minutes: second.map(|s| s.0),
        z: best.1,
        runner_up_z: if z2.is_finite() { z2 } else { 0.0 },
        confidence: 1.0 - p_null.max(p_sep),
        strong: p_null < ALPHA && p_sep < ALPHA,
        basis: Basis::AllOffsets,
        witness: None,
        overlap_minutes: best.2,
        round: 0,
        group: false,
        curve: z.iter().map(|p| (p.0, p.1)).collect(),
    })
}

/// The decision on a combined z-curve: the test over every candidate; when that is not
/// strong, the test over the offsets the scan's own files state (`stated`), which applies
/// when it passes and the data does not prefer an unstated offset ([`fits`]).
fn decide(z: &[(i32, f64, usize)], stated: &[i32]) -> Option<Estimate> {
    let all = test(z, |_| true)?;
    if all.strong || stated.is_empty() {
        return Some(all);
    }
    match test(z, |o| stated.contains(&o)) {
        Some(mut st) if st.strong && fits(&all, st.offset_minutes) => {
            st.basis = Basis::StatedOffsets;
            Some(st)
        }
        _ => Some(all),
    }
}

/// Does a file's own evidence fit an offset chosen for it by other files: its z-score
/// there is not significantly below its own best (the runner-up test of the rule) and not
/// significantly below the null (its activity does not run against that offset), both at
/// [`ALPHA`]? Where it does not overlap the witnesses at that offset it has no evidence
/// for or against: it fits unless its own best is significant against zero.
fn fits(own: &Estimate, offset: i32) -> bool {
    let below = |z: f64| normal_sf((own.z - z) / std::f64::consts::SQRT_2) >= ALPHA;
    match own.curve.iter().find(|p| p.0 == offset) {
        Some(&(_, z)) => normal_sf(-z) >= ALPHA && below(z),
        None => below(0.0),
    }
}

/// A file's two series, built once.
struct Series {
    records: Option<Dense>,
    events: Option<Dense>,
}

impl Series {
    fn of(a: &Activity) -> Series {
        Series {
            records: Dense::from_counts(a.records.iter().copied()),
            events: Dense::from_counts(a.events.iter().copied()),
        }
    }
}

/// The witnesses' pooled activity (UTC minutes).
fn pool(acts: &[(Activity, i64)]) -> Series {
    let mut a = Activity::default();
    for (x, by) in acts {
        a.records
            .extend(x.records.iter().map(|&(m, n)| (m + by, n)));
        a.events.extend(x.events.iter().map(|&(m, n)| (m + by, n)));
    }
    Series::of(&a)
}

/// Estimates one naive file against the pooled witnesses.
fn estimate(naive: &Series, witnesses: &Series, stated: &[i32]) -> Option<Estimate> {
    let (Some(nr), Some(wr)) = (&naive.records, &witnesses.records) else {
        return None;
    };
    // A file shorter than the overlap the rule needs says nothing at any offset: skipped
    // before 1,500 shifts are tried (a tree of 100,000 small files).
    if nr.span.1 - nr.span.0 < MIN_OVERLAP as i64 || wr.span.1 - wr.span.0 < MIN_OVERLAP as i64 {
        return None;
    }
    let mut curves = vec![zcurve(nr, wr)?];
    if let (Some(ne), Some(we)) = (&naive.events, &witnesses.events) {
        if let Some(z) = zcurve(ne, we) {
            curves.push(z);
        }
    }
    decide(&combine(&curves), stated)
}

/// Estimates every naive file's offset (see the module header). Naive activity is in wall
/// minutes, witness activity in UTC minutes. The result has one entry per input file:
/// `Some` for naive files the witnesses overlap enough to say anything about.
pub fn infer(files: &[(Activity, Role)], stated: &[i32]) -> Vec<Option<Estimate>> {
    let mut out: Vec<Option<Estimate>> = vec![None; files.len()];
    // (file, shift that puts it on UTC minutes)
    let mut witnesses: Vec<(usize, i64)> = files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.1 == Role::Witness)
        .map(|(i, _)| (i, 0))
        .collect();
    let naive: Vec<usize> = files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.1 == Role::Naive)
        .map(|(i, _)| i)
        .collect();
    // Naive files' series now; a witness's only once it is named (below): the estimates
    // use the witnesses pooled, and building every witness's own series (days of minutes
    // each) for 20,000 witness files held a gigabyte.
    let mut series: Vec<Option<Series>> = files
        .iter()
        .map(|f| (f.1 == Role::Naive).then(|| Series::of(&f.0)))
        .collect();
    for round in 1..=ROUNDS {
        if witnesses.is_empty() {
            break;
        }
        let pooled = pool(
            &witnesses
                .iter()
                .map(|&(i, by)| (files[i].0.clone(), by))
                .collect::<Vec<_>>(),
        );
        let named = name_witnesses(files, &witnesses, &mut series);
        let series = &series;
        let mut added = Vec::new();
        // Each naive file is estimated against this round's pool alone: in parallel, then
        // applied in file order (the same result for any -j).
        let todo: Vec<usize> = naive
            .iter()
            .copied()
            .filter(|&i| !out[i].as_ref().is_some_and(|e| e.strong))
            .collect();
        let found: Vec<(usize, Estimate)> = todo
            .par_iter()
            .filter_map(|&i| {
                let s = series[i].as_ref()?;
                let mut e = estimate(s, &pooled, stated)?;
                e.round = round;
                e.witness = best_witness(s, &named, series, e.offset_minutes);
                Some((i, e))
            })
            .collect();
        for (i, e) in found {
            if e.strong {
                added.push((i, -(e.offset_minutes as i64)));
            }
            out[i] = Some(e);
        }
        if added.is_empty() {
            break;
        }
        witnesses.extend(added);
    }
    group_step(files, &mut series, &witnesses, stated, &mut out);
    consensus_step(files, &mut out);
    out
}

/// The consensus step: when every applied estimate agrees on one offset, the naive files
/// still undecided take it (what `--tz` with that offset would do), unless their own
/// evidence points elsewhere (it does not [`fits`] the offset). A file with no estimate at
/// all (nothing of it overlaps the witnesses: an older rotation) takes it too. The
/// confidence given is the lowest of the agreeing estimates'.
fn consensus_step(files: &[(Activity, Role)], out: &mut [Option<Estimate>]) {
    let applied: Vec<&Estimate> = out.iter().flatten().filter(|e| e.strong).collect();
    let Some(first) = applied.first() else {
        return;
    };
    let offset = first.offset_minutes;
    if applied.iter().any(|e| e.offset_minutes != offset) {
        return;
    }
    let confidence = applied
        .iter()
        .map(|e| e.confidence)
        .fold(f64::INFINITY, f64::min);
    let witness = first.witness;
    for i in 0..files.len() {
        if files[i].1 != Role::Naive || out[i].as_ref().is_some_and(|e| e.strong) {
            continue;
        }
        if let Some(own) = &out[i] {
            if !fits(own, offset) {
                continue;
            }
        }
        let own = out[i].take();
        out[i] = Some(Estimate {
            offset_minutes: offset,
            runner_up_minutes: own
                .as_ref()
                .and_then(|o| (o.offset_minutes != offset).then_some(o.offset_minutes)),
            z: own
                .as_ref()
                .and_then(|o| o.curve.iter().find(|p| p.0 == offset).map(|p| p.1))
                .unwrap_or(0.0),
            runner_up_z: own.as_ref().map_or(0.0, |o| o.z),
            confidence,
            strong: true,
            basis: Basis::Consensus,
            witness: own.as_ref().and_then(|o| o.witness).or(witness),
            overlap_minutes: own.as_ref().map_or(0, |o| o.overlap_minutes),
            round: own.as_ref().map_or(0, |o| o.round),
            group: false,
            curve: own.map(|o| o.curve).unwrap_or_default(),
        });
    }
}

/// The group step: the naive files left undecided are taken together, as `--tz` takes
/// them (one zone for every naive file), and their pooled activity is estimated against
/// every witness. When that estimate is strong, each member whose own evidence [`fits`] it
/// takes it. A member whose own activity prefers another offset significantly keeps its
/// own (weak) estimate.
fn group_step(
    files: &[(Activity, Role)],
    series: &mut [Option<Series>],
    witnesses: &[(usize, i64)],
    stated: &[i32],
    out: &mut [Option<Estimate>],
) {
    let members: Vec<usize> = (0..files.len())
        .filter(|&i| files[i].1 == Role::Naive && out[i].as_ref().is_some_and(|e| !e.strong))
        .collect();
    if members.len() < 2 || witnesses.is_empty() {
        return;
    }
    let pooled_w = pool(
        &witnesses
            .iter()
            .map(|&(i, by)| (files[i].0.clone(), by))
            .collect::<Vec<_>>(),
    );
    let pooled_n = pool(
        &members
            .iter()
            .map(|&i| (files[i].0.clone(), 0))
            .collect::<Vec<_>>(),
    );
    let Some(g) = estimate(&pooled_n, &pooled_w, stated).filter(|g| g.strong) else {
        return;
    };
    let named = name_witnesses(files, witnesses, series);
    for &i in &members {
        let Some(own) = out[i].clone() else { continue };
        if !fits(&own, g.offset_minutes) {
            continue;
        }
        let witness = series[i]
            .as_ref()
            .and_then(|s| best_witness(s, &named, series, g.offset_minutes))
            .or(own.witness);
        out[i] = Some(Estimate {
            witness,
            round: own.round,
            group: true,
            basis: Basis::Group,
            overlap_minutes: own.overlap_minutes,
            curve: own.curve,
            ..g.clone()
        });
    }
}

/// Witnesses a naive file's [`best_witness`] is chosen among: the [`NAMED_WITNESSES`] with
/// the most active minutes (ties: file order). The witness named is an explanation for
/// the reader, not part of the estimate (that is made against every witness pooled); looking
/// through every witness for every naive file was quadratic: a tree of 100,000 small files
/// took minutes.
fn strongest(witnesses: &[(usize, i64)], files: &[(Activity, Role)]) -> Vec<(usize, i64)> {
    // Minutes with records (what its series would count as active).
    let active = |i: usize| {
        let mut m: Vec<i64> = files[i]
            .0
            .records
            .iter()
            .filter(|p| p.1 > 0.0)
            .map(|p| p.0)
            .collect();
        m.sort_unstable();
        m.dedup();
        m.len()
    };
    let mut v: Vec<(usize, (usize, i64))> = witnesses.iter().map(|&w| (active(w.0), w)).collect();
    v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1 .0.cmp(&b.1 .0)));
    v.truncate(NAMED_WITNESSES);
    v.into_iter().map(|x| x.1).collect()
}

/// [`strongest`], with the series of the witnesses it names made (they are built only
/// when named).
fn name_witnesses(
    files: &[(Activity, Role)],
    witnesses: &[(usize, i64)],
    series: &mut [Option<Series>],
) -> Vec<(usize, i64)> {
    let named = strongest(witnesses, files);
    for &(i, _) in &named {
        if series[i].is_none() {
            series[i] = Some(Series::of(&files[i].0));
        }
    }
    named
}

/// How many witnesses [`strongest`] keeps.
const NAMED_WITNESSES: usize = 32;

/// The witness whose own records line up best with the naive file at `offset`.
fn best_witness(
    naive: &Series,
    witnesses: &[(usize, i64)],
    series: &[Option<Series>],
    offset: i32,
) -> Option<usize> {
    let nr = naive.records.as_ref()?;
    witnesses
        .iter()
        .filter_map(|&(i, by)| {
            // The witness moved by `by` is the same series correlated at a shift `by` less
            // (correlation is translation-invariant): no copy of the series per naive file
            // and witness (100,000 small files: 77 % of the scan went to those copies).
            let w = series[i].as_ref()?;
            let wr = w.records.as_ref()?;
            let shift = -(offset as i64) - by;
            let r = corr_at(wr, nr, shift, MIN_OVERLAP).map(|(r, _)| r);
            let re = match (&naive.events, &w.events) {
                (Some(ne), Some(we)) => corr_at(we, ne, shift, MIN_OVERLAP)
                    .map(|(r, _)| r)
                    .unwrap_or(0.0),
                _ => 0.0,
            };
            r.map(|r| (i, r + re))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (the tests must not depend on a seed crate).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
        /// Poisson draw by inversion (small means).
        fn poisson(&mut self, mean: f64) -> f64 {
            let (mut k, mut p, l) = (0.0, 1.0, (-mean).exp());
            loop {
                p *= self.next();
                if p <= l {
                    return k;
                }
                k += 1.0;
            }
        }
    }

    /// An access log (UTC minutes) and an app log that logs most of the same requests plus
    /// its own, in wall minutes at `offset`: the offset comes back.
    fn system(offset: i32, seed: u64, minutes: i64) -> Vec<(Activity, Role)> {
        system_at(offset, seed, 28_000_000, minutes)
    }

    fn system_at(offset: i32, seed: u64, t0: i64, minutes: i64) -> Vec<(Activity, Role)> {
        let mut g = Lcg(seed);
        let mut access = Activity::default();
        let mut app = Activity::default();
        for m in t0..t0 + minutes {
            // A diurnal-ish slow wave plus Poisson noise; two outages.
            let rate = 20.0 + 10.0 * ((m - t0) as f64 / 240.0).sin();
            let n = g.poisson(rate);
            access.records.push((m, n));
            app.records
                .push((m + offset as i64, (n * 0.8).round() + g.poisson(2.0)));
            if (m - t0) % 173 < 2 {
                let e = 30.0 + g.poisson(5.0);
                access.events.push((m, e));
                app.events.push((m + offset as i64, e / 2.0));
            }
        }
        vec![(access, Role::Witness), (app, Role::Naive)]
    }

    #[test]
    fn every_offset_is_recovered() {
        for o in candidates() {
            let files = system(o, 7 + o as u64, 360);
            let est = infer(&files, &[]);
            let e = est[1].as_ref().expect("an estimate");
            assert_eq!(e.offset_minutes, o, "{e:?}");
            assert!(e.strong, "{e:?}");
            assert!(e.confidence > 0.999, "{e:?}");
            assert_eq!(e.witness, Some(0));
            assert!(est[0].is_none());
        }
    }

    #[test]
    fn nothing_without_witnesses_or_overlap() {
        let mut files = system(480, 3, 360);
        files[0].1 = Role::Ignore;
        assert!(infer(&files, &[]).iter().all(Option::is_none));
        // The witness covers another day: no overlap at any candidate.
        let mut files = system(480, 3, 360);
        for p in &mut files[0].0.records {
            p.0 += 3 * 1440;
        }
        assert!(infer(&files, &[])[1].is_none());
    }

    /// Activity of an unrelated system (independent traffic and outages, logs that start
    /// and end at other times) gives no strong estimate, whatever the seed.
    #[test]
    fn unrelated_activity_is_never_strong() {
        for seed in 0..40u64 {
            let a = system(0, 1000 + seed, 360);
            let b = system_at(0, 5000 + seed, 28_000_000 + 37 + seed as i64 * 11, 300);
            let files = vec![a[0].clone(), b[1].clone()];
            let est = infer(&files, &[]);
            if let Some(e) = &est[1] {
                assert!(!e.strong, "seed {seed}: {e:?}");
            }
        }
    }

    /// A second round: a naive worker whose activity overlaps only the app's, not the
    /// access log's, is pinned by the app once the app is applied.
    #[test]
    fn applied_files_become_witnesses() {
        let mut files = system(330, 11, 720);
        let app = files[1].0.clone();
        let cut = 28_000_000 + 240;
        files[0].0.records.retain(|p| p.0 < cut);
        files[0].0.events.retain(|p| p.0 < cut);
        // The worker logs the app's second half, in the app's zone.
        let mut worker = Activity::default();
        let mut g = Lcg(5);
        for &(m, n) in app.records.iter().filter(|p| p.0 >= cut + 330 + 60) {
            worker.records.push((m, (n * 0.5).round() + g.poisson(1.0)));
        }
        worker.events = app
            .events
            .iter()
            .copied()
            .filter(|p| p.0 >= cut + 330 + 60)
            .collect();
        files.push((worker, Role::Naive));
        let est = infer(&files, &[]);
        let app_e = est[1].as_ref().unwrap();
        assert_eq!((app_e.offset_minutes, app_e.round), (330, 1));
        let w = est[2].as_ref().unwrap();
        assert_eq!(
            (w.offset_minutes, w.round, w.strong),
            (330, 2, true),
            "{w:?}"
        );
        assert_eq!(w.witness, Some(1));
    }

    /// The offsets the scan states decide between close candidates: a weak but clear
    /// best at a stated offset is applied, the same data without the statement is not.
    #[test]
    fn stated_offsets_need_less_evidence() {
        let z: Vec<(i32, f64, usize)> = candidates()
            .map(|o| {
                (
                    o,
                    if o == 480 {
                        5.0
                    } else if o == 540 {
                        1.5
                    } else {
                        0.0
                    },
                    300,
                )
            })
            .collect();
        let all = decide(&z, &[]).unwrap();
        assert_eq!(all.offset_minutes, 480);
        assert!(!all.strong);
        let st = decide(&z, &[480, 0]).unwrap();
        assert!(st.strong, "{st:?}");
        assert_eq!(st.basis, Basis::StatedOffsets);
        // A stated offset the data does not prefer is not taken.
        let st = decide(&z, &[540, 0]).unwrap();
        assert!(!st.strong, "{st:?}");
    }
}

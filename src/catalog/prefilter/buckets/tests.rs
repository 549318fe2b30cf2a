//! Tests of the bucket plan: exact 4-gram counts against a naive Teddy simulation, and the
//! local search against the greedy plan it starts from.

use super::*;
use crate::catalog::prefilter::tests::log_sample;

/// What Teddy flags for a bucket of `lits`, position by position (bytes `i..i + mask` each
/// pass the bucket's nibble masks), over the windows [`Grams`] counts.
fn naive_hits(sample: &[u8], lits: &[&[u8]], mask: usize) -> u64 {
    let ok = |j: usize, c: u8| {
        lits.iter().any(|l| l[j] & 15 == c & 15) && lits.iter().any(|l| l[j] >> 4 == c >> 4)
    };
    let mut n = 0;
    for w in sample.chunks(GRAM_WINDOW) {
        for g in w.windows(4) {
            if (0..mask).all(|j| ok(j, g[j])) {
                n += 1;
            }
        }
    }
    n
}

proptest::proptest! {
    /// The grouped, counted 4-grams flag exactly the positions a position-by-position
    /// simulation flags.
    #[test]
    fn gram_counts_flag_what_teddy_flags(
        text in proptest::collection::vec(proptest::sample::select(b"aeiost EO:[1\n".to_vec()), 4..9000),
        lits in proptest::collection::vec(proptest::collection::vec(proptest::sample::select(b"aeiost EO:[1".to_vec()), 4..7), 1..6),
        mask in 1usize..=4,
    ) {
        let grams = Grams::from_sample(&text);
        let lits: Vec<&[u8]> = lits.iter().map(Vec::as_slice).collect();
        proptest::prop_assert_eq!(grams.hits(&lits, mask), naive_hits(&text, &lits, mask));
    }
}

/// The first searcher's 64 literals the 198-entry catalog chose for the bench's service logs.
const BENCH_GROUP: [&str; 64] = [
    "econd",
    " of ",
    "rror",
    "ons link failur",
    "the ",
    "on: ",
    "oo large, data f",
    "ertificate",
    "rol Manager[",
    "rese",
    "not ",
    "ver ",
    "eceived",
    "ect E",
    " record(s) fo",
    " on ",
    "exce",
    "time",
    "ster",
    "cess",
    " host",
    "oom-kill",
    "no healthy up",
    "artitio",
    "ailed",
    "read",
    "any ",
    "tart",
    "] overhead, spen",
    "ystem",
    "ited",
    "container",
    ", Severity: ",
    "able",
    "ower",
    "ault",
    "Shrinking ISR fr",
    "ling",
    "lock",
    "getaddrinfo ",
    "roke",
    "utio",
    "entLog[6008",
    "term",
    "g fo",
    "isk[",
    "used",
    " while ",
    "lacked sufficien",
    "Tomcat ",
    "CrashLoopBackOff",
    "back",
    "tfs[55]:",
    "mysqld got signa",
    "cpip[",
    "eady",
    "' doesn't match ",
    "Stopping ser",
    "down",
    "tExc",
    "Aborted co",
    "xhaust",
    "eque",
    "Hand",
];

fn exact_work(units: &[Vec<&[u8]>], plan: &[Vec<usize>], grams: &Grams) -> u64 {
    plan.iter()
        .map(|p| {
            let m: Vec<&[u8]> = p.iter().flat_map(|&u| units[u].iter().copied()).collect();
            if m.is_empty() {
                0
            } else {
                grams.hits(&m, FINGERPRINT) * (1 + m.len() as u64)
            }
        })
        .sum()
}

#[test]
fn refined_plan_verifies_less_on_the_sample_and_keeps_the_deal() {
    let sample = log_sample();
    let model = Model::from_sample(&sample);
    let grams = model.grams.as_ref().expect("a sample gives 4-gram counts");
    let mut lits: Vec<Vec<u8>> = BENCH_GROUP.iter().map(|s| s.as_bytes().to_vec()).collect();
    lits.sort();
    for buckets in [8, 16] {
        let (units, greedy, mask) = greedy_plan(&lits, buckets, &model).unwrap();
        assert_eq!(mask, FINGERPRINT);
        let (units2, refined) = bucket_plan(&lits, buckets, &model).unwrap();
        assert_eq!(units, units2);
        // Each bucket keeps its number of units: the round-robin deal still realises it.
        let sizes = |p: &[Vec<usize>]| p.iter().map(Vec::len).collect::<Vec<_>>();
        assert_eq!(sizes(&greedy), sizes(&refined));
        // Still every unit once.
        let mut all: Vec<usize> = refined.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..units.len()).collect::<Vec<_>>());
        // Less to verify, counted exactly on the sample (the estimate's plan leaves hits
        // the byte shares do not foresee).
        let (before, after) = (
            exact_work(&units, &greedy, grams),
            exact_work(&units, &refined, grams),
        );
        assert!(after < before, "{buckets} buckets: {after} vs {before}");
    }
    // Deterministic.
    assert_eq!(
        bucket_plan(&lits, 16, &model).unwrap().1,
        bucket_plan(&lits, 16, &model).unwrap().1
    );
}

#[test]
fn without_a_sample_the_estimate_alone_plans() {
    let model = Model::prior();
    assert!(model.grams.is_none());
    let lits: Vec<Vec<u8>> = BENCH_GROUP.iter().map(|s| s.as_bytes().to_vec()).collect();
    let (_, greedy, _) = greedy_plan(&lits, 16, &model).unwrap();
    assert_eq!(bucket_plan(&lits, 16, &model).unwrap().1, greedy);
}

#[test]
fn a_big_sample_is_counted_in_spread_windows() {
    // 4 MiB: the counted windows hold GRAM_BYTES in all, from its start to its end.
    let mut sample = vec![b'a'; 4 << 20];
    let tail = sample.len() - 3 * GRAM_WINDOW;
    sample[tail..].fill(b'z');
    let grams = Grams::from_sample(&sample);
    let all: u64 = grams.hits(&[b"aaaa", b"zzzz"], 4);
    assert!(all <= GRAM_BYTES as u64, "{all}");
    assert!(all >= GRAM_BYTES as u64 * 9 / 10, "{all}");
    assert!(
        grams.hits(&[b"zzzz"], 4) > 0,
        "the end of the sample is counted"
    );
}

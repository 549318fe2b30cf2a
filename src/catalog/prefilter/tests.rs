//! Tests of the prefilter: the necessary literals of patterns, the cover, the searchers
//! against a naive search.

use super::buckets::bucket_plan;
use super::*;

fn hir(p: &str) -> Hir {
    regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(p)
        .unwrap()
}

fn strs(set: Option<Vec<Vec<u8>>>) -> Vec<String> {
    set.unwrap()
        .into_iter()
        .map(|l| String::from_utf8(l).unwrap())
        .collect()
}

#[test]
fn inner_literals_are_found() {
    assert_eq!(
        strs(necessary(
            &hir(r"Number of retries exceeded max (\d+) retries, while"),
            &Model::prior()
        )),
        vec!["Number of retries exceeded max "]
    );
    // A literal after a leading class is still necessary.
    let s = strs(necessary(&hir(r"[Cc]onnection refused"), &Model::prior()));
    assert!(s.iter().all(|l| l.contains("onnection refused")), "{s:?}");
    // Alternations: one literal per branch.
    let s = strs(necessary(
        &hir(r"(?:Liveness|Readiness|Startup) probe failed: "),
        &Model::prior(),
    ));
    assert_eq!(s, vec![" probe failed: "]);
    // No literal at all.
    assert!(necessary(&hir(r"\w+"), &Model::prior()).is_none());
    assert!(necessary(&hir(r".*"), &Model::prior()).is_none());
}

#[test]
fn cover_shares_literals_and_prefers_rare_bytes() {
    let lits: Vec<Vec<u8>> = [
        "Liveness probe failed: ",
        "Readiness probe failed: ",
        "Startup probe failed: ",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let c = cover(&lits, &Model::prior());
    assert_eq!(c.len(), 1, "{c:?}");
    assert!(lits
        .iter()
        .all(|l| memchr::memmem::find(l, &c[0]).is_some()));
    // Every literal is covered, whatever the sharing.
    let lits: Vec<Vec<u8>> = ["abc", "xyz0", "Connection refused", "connection refused"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    let c = cover(&lits, &Model::prior());
    for l in &lits {
        assert!(
            c.iter().any(|s| memchr::memmem::find(l, s).is_some()),
            "{l:?}"
        );
    }
    assert!(c.len() <= 3, "{c:?}");
}

/// More distinct rare literals than one Teddy searcher holds, all sharing a piece on one
/// line in `every`: the plain cover keeps them apart (two searchers, two passes over every
/// byte); the grouped cover takes the shared piece when its candidate lines cost less
/// than the pass it saves, and not when the piece is on every line.
#[test]
fn cover_fits_one_searcher_when_it_pays() {
    // Literals with a byte of their own each, so no other piece is shared by a few: half
    // again as many as one searcher holds (100 where it holds 64).
    let n = group_size() * 100 / 64;
    // The shared piece on one line in `every`: rarer than the literals' own overhead in
    // total, yet commoner than that overhead less a searcher's pass (the window the
    // per-literal and per-pass costs leave). A hit of the piece on a line without a whole
    // literal costs a confirmation (`HIT_COST`), not a line through the automaton; the
    // piece is on 5 lines in `every` (3.65: what the model charges per line it is on).
    let per_line = 3.65 * HIT_COST / LINE_COST;
    let every = (5.0 * per_line / (n as f64 * PER_LITERAL + PASS / 2.0)).round() as usize;
    let sample = |every: usize| -> String {
        (0..1800)
            .map(|k| {
                let z = if k % every < 5 { " zzzz" } else { " wwww" };
                format!("xxxxxxxxx{z} yyyyyyy {k:04}\n")
            })
            .collect()
    };
    let own: Vec<u8> = (1..=255u8)
        .filter(|b| !b" zwxyJQ0123456789\n".contains(b))
        .take(n)
        .collect();
    assert_eq!(own.len(), n);
    let lits: Vec<Vec<u8>> = own
        .iter()
        .map(|&i| [&[b'Q', i, b'J', i][..], b" zzzz"].concat())
        .collect();
    let long = |c: &[Vec<u8>]| c.iter().filter(|l| l.len() >= FINGERPRINT).count();
    let rare = Model::from_sample(sample(every).as_bytes());
    let plain = cover(&lits, &rare);
    assert!(long(&plain) > group_size(), "{}", plain.len());
    let grouped = cover_in_groups(&lits, &rare);
    assert!(long(&grouped) <= group_size(), "{grouped:?}");
    for l in &lits {
        assert!(
            grouped.iter().any(|s| memchr::memmem::find(l, s).is_some()),
            "{l:?}"
        );
    }
    // On every line, the piece's hits would cost more than a second pass: two it is.
    let common = Model::from_sample(sample(1).as_bytes());
    assert!(long(&cover_in_groups(&lits, &common)) > group_size());
}

#[test]
fn a_long_literal_on_every_line_is_not_called_rare() {
    // JSON lines with `"message"` on each, and the pieces of `"message"` common elsewhere
    // too (time, name, messages...): the Zuul body pattern must be found through its
    // rare enum names, not through `"message"` (bench .gz corpus, 25 % of a profile).
    let mut sample = String::new();
    for i in 0..400 {
        sample.push_str(&format!(
            "{{\"@timestamp\":\"2019-08-21T00:00:{:02}Z\",\"level\":\"INFO\",\"message\":\"Readiness state changed\"}}\n",
            i % 60
        ));
        // The pieces of `"message"` are common in other lines: "me", "es", "ss", "sa"...
        sample.push_str(&format!(
            "2019-08-21 00:00:{:02}.123 INFO 1 --- [main] c.e.Some : times lessen passes, usage of pages by agents, some messages sent {i}\n",
            i % 60
        ));
    }
    let model = Model::from_sample(sample.as_bytes());
    // The estimate never undercuts the truth: every substring the cover may pick is
    // rated at least as often as it occurs in the sample.
    for lit in [&b"\"message\""[..], b"Readiness state", b"lessen passes"] {
        let true_rate = |sub: &[u8]| {
            let n = sample
                .as_bytes()
                .windows(sub.len())
                .filter(|w| *w == sub)
                .count();
            n as f64 / (sample.len() - 2) as f64
        };
        model.substring_parts(lit, |j, n, _, r| {
            let sub = &lit[j..j + n];
            assert!(
                r >= true_rate(sub),
                "{:?}: {r} < {}",
                String::from_utf8_lossy(sub),
                true_rate(sub)
            );
        });
    }
    let set = strs(necessary(
        &hir(r#""message" *: *"(GENERAL|TIMEOUT|SHORTCIRCUIT|REJECTED_\w+|SERVER_THROTTLED)""#),
        &model,
    ));
    assert!(!set.iter().any(|l| l.contains("message")), "{set:?}");
    assert!(set.iter().any(|l| l.contains("SHORTCIRCUIT")), "{set:?}");
    // Without the sample's evidence the single literal is the cheaper set.
    let prior = strs(necessary(
        &hir(r#""message" *: *"(GENERAL|TIMEOUT|SHORTCIRCUIT|REJECTED_\w+|SERVER_THROTTLED)""#),
        &Model::prior(),
    ));
    assert_eq!(prior, vec!["\"message\""]);
}

#[test]
fn finds_every_literal_and_reports_no_prefilter_without_one() {
    let pf = Prefilter::new(
        &[hir("No buffer space available"), hir("Too many open files")],
        &Model::prior(),
    )
    .unwrap();
    let hay = b"xx Too many open files\nyy No buffer space available\n";
    let a = pf.find(hay, 0, hay.len()).unwrap();
    assert!((3..22).contains(&a), "{a}");
    let b = pf.find(hay, 23, hay.len()).unwrap();
    assert!(b >= 26);
    assert!(pf.find(hay, hay.len() - 3, hay.len()).is_none());
    assert!(Prefilter::new(&[hir("ok literal"), hir(r"\d+")], &Model::prior()).is_err());
}

/// A searched substring's hit is a candidate only with one of the necessary literals it
/// stands for around it: `read E` shared by four `read E...` errors is searched past in
/// `thread EXIT`, and the first line holding a whole literal is found.
#[test]
fn a_hit_without_its_necessary_literal_is_searched_past() {
    let pats = [
        "read ETIMEDOUT",
        "read ECONNRESET",
        "read EPIPE",
        "read ENOTCONN",
    ];
    let hirs: Vec<Hir> = pats.iter().map(|p| hir(p)).collect();
    let pf = Prefilter::new(&hirs, &Model::prior()).unwrap();
    // The cover shares one substring, so the confirmation is what this test exercises.
    assert!(
        pf.literals()
            .iter()
            .all(|l| !pats.contains(&&*String::from_utf8_lossy(l))),
        "{:?}",
        pf.literals()
    );
    let mut hay = b"worker thread EXITED cleanly; spread ENV; bread EATEN\n".repeat(50);
    assert_eq!(pf.find(&hay, 0, hay.len()), None);
    let at = hay.len();
    hay.extend(b"socket read ECONNRESET\n");
    let hit = pf.find(&hay, 0, hay.len()).unwrap();
    assert!(
        (at + 7..at + 12).contains(&hit),
        "{hit} in `socket read ECONNRESET`"
    );
    // Searching from past the hit finds nothing further.
    assert_eq!(pf.find(&hay, hit + 1, hay.len()), None);
}

/// Two searched literals can start at one place only when one is the other's prefix, and
/// the searcher reports one of them: a confirmation holds the necessary literals of both.
#[test]
fn a_confirmation_covers_the_literals_that_start_where_it_does() {
    let searched = vec![b"time".to_vec(), b"timeout".to_vec()];
    let necessary = vec![b"Read timed out".to_vec(), b"timeout: ".to_vec()];
    let v = Verify::new(b"time", &searched, &necessary);
    assert!(v.accepts(b"x timeout: 30", 2));
    assert!(v.accepts(b"Read timed out", 5));
    assert!(!v.accepts(b"\"timestamp\":1", 1));
    assert!(
        !v.accepts(b"timeout", 0),
        "`timeout` alone is no necessary literal"
    );
    assert!(
        !v.accepts(b"d timed out", 2),
        "never reads before the haystack"
    );
    // A searched literal that is itself necessary needs no look around.
    let v = Verify::new(b"timeout: ", &[b"timeout: ".to_vec()], &necessary);
    assert!(matches!(v, Verify::Always));
}

/// aho-corasick's deal of literals to Teddy buckets (packed/teddy/generic.rs): by index,
/// round-robin from the last bucket, except that a literal whose first bytes' low
/// nibbles equal an earlier one's joins that one's bucket.
fn deal(order: &[Vec<u8>], buckets: usize, mask: usize) -> Vec<Vec<&[u8]>> {
    let mut out: Vec<Vec<&[u8]>> = vec![Vec::new(); buckets];
    let mut seen: Vec<(Vec<u8>, usize)> = Vec::new();
    for (id, l) in order.iter().enumerate() {
        let key: Vec<u8> = l[..mask].iter().map(|b| b & 15).collect();
        let k = match seen.iter().find(|(s, _)| *s == key) {
            Some(&(_, k)) => k,
            None => {
                let k = buckets - 1 - id % buckets;
                seen.push((key, k));
                k
            }
        };
        out[k].push(l);
    }
    out
}

fn dealt_work(order: &[Vec<u8>], buckets: usize, model: &Model) -> f64 {
    deal(order, buckets, 4)
        .iter()
        .filter(|b| !b.is_empty())
        .map(|b| fingerprint_rate(b, 4, model) * (1 + b.len()) as f64)
        .sum()
}

/// Log text like the bench corpus: logback, access-log and JSON lines.
pub(super) fn log_sample() -> Vec<u8> {
    let mut s = String::new();
    for i in 0..300 {
        s.push_str(&format!(
            "2019-08-21 10:{:02}:{:02}.123  INFO 4242 --- [nio-8080-exec-{}] c.e.order.OrderService : Started processing request {i} for customer {}\n",
            i % 60, (i * 7) % 60, i % 10, i * 31
        ));
        s.push_str(&format!(
            "10.0.{}.{} - - [21/Aug/2019:10:{:02}:00 +0800] \"GET /api/orders/{i} HTTP/1.1\" 200 {} \"-\" \"okhttp/3.14\"\n",
            i % 256, (i * 3) % 256, i % 60, 100 + i
        ));
        s.push_str(&format!(
            "{{\"@timestamp\":\"2019-08-21T10:{:02}:00Z\",\"level\":\"INFO\",\"logger\":\"com.example.Inventory\",\"message\":\"stock updated for item {i}\"}}\n",
            i % 60
        ));
    }
    s.into_bytes()
}

#[test]
fn bucket_order_deals_like_literals_together() {
    // The literals the small-files bench corpus chose (51 of at least 4 bytes), sorted
    // as `Prefilter::new` sorts them.
    let mut lits: Vec<Vec<u8>> = [
        " fai",
        " of ",
        " on ",
        " seconds (",
        " the ",
        " tim",
        "() \"",
        ") wh",
        ", Severity: ",
        "CertificateExpir",
        "CrashLoopBackOff",
        "FALLBACK_SUCCESS",
        "GENERAL",
        "Hand",
        "Killed",
        "NUMBEROF_RETRIES",
        "REJECTED_",
        "SERVER_THROTTLED",
        "SHORTCIRCUIT",
        "SQL Server is",
        "Stopping se",
        "TIMEOUT",
        "Time",
        "Tomcat ",
        "_EXCE",
        "able",
        "allb",
        "containe",
        "ddress",
        "down",
        "eExc",
        "eceived",
        "ected",
        "ed with result '",
        "ely ",
        "ited",
        "lacked sufficien",
        "le connecting t",
        "n re",
        "native thr",
        "not ",
        "o route to ho",
        "o such ho",
        "oken pipe",
        "oo many ",
        "oom-kill",
        "register",
        "rese",
        "rror",
        "tExc",
        "tart",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    lits.sort();
    let model = Model::from_sample(&log_sample());
    for buckets in [8, 16] {
        let order = bucket_order(&lits, buckets, &model);
        // A permutation of the group...
        let (mut a, mut b) = (order.clone(), lits.clone());
        a.sort();
        b.sort();
        assert_eq!(a, b);
        // ...whose deal holds far fewer false fingerprint hits than the sorted order's.
        let (packed, sorted) = (
            dealt_work(&order, buckets, &model),
            dealt_work(&lits, buckets, &model),
        );
        assert!(packed < sorted / 2.0, "{buckets}: {packed} vs {sorted}");
    }
    // Deterministic.
    assert_eq!(
        bucket_order(&lits, 16, &model),
        bucket_order(&lits, 16, &model)
    );
}

#[test]
fn bucket_order_keeps_its_plan_through_the_deal() {
    // Literals sharing low nibbles (`Time`/`time`, `TIMEOUT`/`timeout`) join one bucket
    // whatever their index; the heads must still land where the plan put them.
    let lits: Vec<Vec<u8>> = [
        "Time",
        "time",
        "TIMEOUT",
        "timeout",
        "rror",
        "RROR",
        "Killed",
        "down",
        "tart",
        "able",
        "ected",
        "oken pipe",
        "register",
        "native thr",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let model = Model::from_sample(&log_sample());
    let order = bucket_order(&lits, 8, &model);
    assert_eq!(order.len(), lits.len());
    let dealt = deal(&order, 8, 4);
    // Each bucket holds exactly the literals the plan gave it.
    let (units, plan) = bucket_plan(&lits, 8, &model).unwrap();
    for k in 0..8 {
        let mut want: Vec<&[u8]> = plan[k].iter().flat_map(|&u| units[u].clone()).collect();
        let mut got = dealt[k].clone();
        want.sort();
        got.sort();
        assert_eq!(got, want, "bucket {k}");
    }
    // Units sharing low nibbles are in one bucket.
    for b in &dealt {
        for pair in [["Time", "time"], ["TIMEOUT", "timeout"], ["rror", "RROR"]] {
            let n = pair.iter().filter(|p| b.contains(&p.as_bytes())).count();
            assert!(n == 0 || n == 2, "{pair:?} split: {b:?}");
        }
    }
    // Never worse than the sorted order's deal on this sample.
    let mut sorted = lits.clone();
    sorted.sort();
    assert!(dealt_work(&order, 8, &model) <= dealt_work(&sorted, 8, &model));
}

proptest::proptest! {
    /// Whatever the order, the prefilter finds the first occurrence of a searched literal
    /// inside a necessary one: the packed order changes speed only.
    #[test]
    fn packed_prefilter_finds_what_a_naive_search_finds(
        picks in proptest::collection::vec(0usize..40, 1..40),
        filler in proptest::collection::vec(0usize..40, 0..30),
    ) {
        let words: Vec<String> = (0..40)
            .map(|i| format!("{}{}x{}", ["Conn", "time", "rror", "Kill", " of "][i % 5], i, "abcdefg".repeat(i % 3)))
            .collect();
        let hirs: Vec<Hir> = words.iter().map(|w| Hir::literal(w.as_bytes())).collect();
        let pf = Prefilter::new(&hirs, &Model::from_sample(&log_sample())).unwrap();
        let mut hay = Vec::new();
        for (n, &p) in picks.iter().enumerate() {
            hay.extend_from_slice(b"INFO ordinary text ");
            if let Some(&f) = filler.get(n) {
                hay.extend_from_slice(&words[f].as_bytes()[..words[f].len() / 2]);
            }
            hay.extend_from_slice(words[p].as_bytes());
            hay.push(b'\n');
        }
        // The first hit of a searched literal inside a whole word (a necessary literal).
        let lits = pf.literals();
        let confirmed = |p: usize| {
            lits.iter().any(|l| {
                hay[p..].starts_with(l)
                    && words.iter().any(|w| {
                        let w = w.as_bytes();
                        (0..=w.len().saturating_sub(l.len())).any(|k| {
                            w[k..].starts_with(l) && p >= k && hay[p - k..].starts_with(w)
                        })
                    })
            })
        };
        let mut from = 0;
        while from < hay.len() {
            let naive = (from..hay.len()).find(|&p| confirmed(p));
            let got = pf.find(&hay, from, hay.len());
            proptest::prop_assert_eq!(got, naive);
            from = got.map_or(hay.len(), |g| g + 1);
        }
    }
}

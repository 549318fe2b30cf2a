//! Templates and bursts from summaries (`crate::scan::Unknown`) equal those computed from
//! every record kept whole (`reference`: the record-based analysis as it was before issue
//! 23), whatever way the records were cut into chunks and files and in whatever order the
//! summaries were merged (threads finish in any order).

use super::*;
use proptest::prelude::*;

/// The record-based analysis: templates (id → statistics and example) and bursts (template
/// id, start, end, records, background, the earliest record of each file).
mod reference {
    use super::*;

    pub type Tpl = (
        String,
        Level,
        Option<String>,
        u64,
        u64,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Vec<String>,
        LevelRecord,
    );
    pub type Bst = (
        String,
        DateTime<Utc>,
        DateTime<Utc>,
        u64,
        u64,
        Vec<LevelRecord>,
    );

    pub fn analyze(
        records: &mut [LevelRecord],
        span: (DateTime<Utc>, DateTime<Utc>),
        gap: chrono::Duration,
        burst_min: usize,
    ) -> (Vec<Tpl>, Vec<Bst>) {
        records.sort_by_key(record_key);
        let messages: Vec<String> = records
            .iter()
            .map(|r| record_message(r).into_owned())
            .collect();
        let (clustering, assign) = mine(&messages);
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); clustering.templates.len()];
        for (i, &t) in assign.iter().enumerate() {
            members[t as usize].push(i);
        }
        let mut tpls = Vec::new();
        let mut bursts = Vec::new();
        for (t, recs) in members.into_iter().enumerate() {
            if recs.is_empty() {
                continue;
            }
            let text = clustering.templates[t].clone();
            let id = format!("template:{}", template_id(&text));
            let mut services: Vec<String> = recs
                .iter()
                .map(|&i| format!("svc{}", records[i].file % 2))
                .collect();
            services.sort();
            services.dedup();
            let mut ex: Vec<&str> = recs
                .iter()
                .filter_map(|&i| records[i].exception.as_deref())
                .collect();
            ex.sort_unstable();
            let mut best: Option<(&str, usize)> = None;
            let mut i = 0;
            while i < ex.len() {
                let mut j = i;
                while j < ex.len() && ex[j] == ex[i] {
                    j += 1;
                }
                if best.is_none_or(|(_, n)| j - i > n) {
                    best = Some((ex[i], j - i));
                }
                i = j;
            }
            let level = recs.iter().map(|&i| records[i].level).min().unwrap();
            let times = recs.iter().filter_map(|&i| records[i].time);
            tpls.push((
                id.clone(),
                level,
                best.map(|(e, _)| e.to_string()),
                recs.len() as u64,
                recs.iter().filter(|&&i| records[i].time.is_none()).count() as u64,
                times.clone().min(),
                times.max(),
                services,
                records[recs[0]].clone(),
            ));
            if level != Level::Error {
                continue;
            }
            let errs: Vec<usize> = recs
                .iter()
                .copied()
                .filter(|&i| records[i].level == Level::Error && records[i].time.is_some())
                .collect();
            if errs.len() < burst_min {
                continue;
            }
            let time = |i: usize| records[errs[i]].time.unwrap();
            let mut windows = Vec::new();
            let mut w0 = 0;
            while w0 < errs.len() {
                let mut w1 = w0 + 1;
                while w1 < errs.len() && time(w1) - time(w1 - 1) < gap {
                    w1 += 1;
                }
                windows.push((w0, w1));
                w0 = w1;
            }
            let rate = |&(w0, w1): &(usize, usize)| {
                (w1 - w0) as f64
                    / (time(w1 - 1) - time(w0)).max(gap).num_milliseconds().max(1) as f64
            };
            let mut clumps: Vec<f64> = windows
                .iter()
                .filter(|(a, b)| b - a >= burst_min)
                .map(rate)
                .collect();
            let usual = if clumps.len() >= CHRONIC_CLUMPS {
                clumps.sort_by(f64::total_cmp);
                clumps[(clumps.len() - 1) / 2]
            } else {
                0.0
            };
            let span_len = (span.1 - span.0).max(chrono::Duration::zero());
            for &(w0, w1) in &windows {
                let k = w1 - w0;
                let window = (time(w1 - 1) - time(w0)).max(gap);
                let rest = span_len - window;
                let background = (errs.len() - k) as u64;
                if k >= burst_min && rest >= window {
                    let rin = rate(&(w0, w1));
                    let rout = background as f64 / rest.num_milliseconds().max(1) as f64;
                    if rin >= BURST_RATE_FACTOR * rout && rin >= BURST_RATE_FACTOR * usual {
                        let mut firsts: Vec<LevelRecord> = Vec::new();
                        for &i in &errs[w0..w1] {
                            if !firsts.iter().any(|f| f.file == records[i].file) {
                                firsts.push(records[i].clone());
                            }
                        }
                        bursts.push((
                            id.clone(),
                            time(w0),
                            time(w1 - 1),
                            k as u64,
                            background,
                            firsts,
                        ));
                    }
                }
            }
        }
        tpls.sort_by(|a, b| (a.5.is_none(), a.5, &a.0).cmp(&(b.5.is_none(), b.5, &b.0)));
        bursts.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        (tpls, bursts)
    }
}

const MESSAGES: [&str; 7] = [
    "worker {} stalled",
    "worker {} stalled after {} ms",
    "pool main exhausted",
    "pool batch exhausted",
    "pool audit exhausted",
    "disk /dev/sda{} at {}%",
    "upstream 10.0.0.{}:80 timed out",
];

/// Records: message, level, file, time (seconds into a 6-hour day, clumped), exception.
fn records() -> impl Strategy<Value = Vec<LevelRecord>> {
    let t = prop_oneof![
        3 => 0i64..21_600,
        2 => (0i64..6).prop_flat_map(|c| (c * 3600 + 600)..(c * 3600 + 700)),
    ];
    prop::collection::vec(
        (
            0usize..MESSAGES.len(),
            any::<bool>(),
            0u32..4,
            prop::option::weighted(0.95, t),
            0u8..8,
            0u32..1000,
        ),
        0..400,
    )
    .prop_map(|v| {
        let t0 = DateTime::parse_from_rfc3339("2019-08-21T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        v.into_iter()
            .enumerate()
            .map(|(i, (m, err, file, secs, exc, n))| {
                let mut text = MESSAGES[m].to_string();
                while let Some(at) = text.find("{}") {
                    text.replace_range(at..at + 2, &(n + at as u32).to_string());
                }
                LevelRecord {
                    file,
                    record: i as u64 * 64,
                    line: i as u64 + 1,
                    level: if err { Level::Error } else { Level::Warning },
                    time: secs
                        .map(|s| t0 + chrono::Duration::milliseconds(s * 1000 + i64::from(n))),
                    message: crate::record::level::Message::Own(text.clone().into()),
                    exception: match exc {
                        0 => Some("java.io.IOException".into()),
                        1 => Some("java.net.SocketException".into()),
                        _ => None,
                    },
                    head: format!("line {i}: {text}").into(),
                }
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn summaries_give_the_templates_and_bursts_of_the_records(
        recs in records(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
        order in any::<u64>(),
        gap_secs in prop_oneof![Just(120i64), 5i64..600],
        burst_min in 2usize..8,
        shifts in prop::option::of(prop::array::uniform4(-7_200_000i64..7_200_000)),
    ) {
        let gap = chrono::Duration::seconds(gap_secs);
        let t0 = DateTime::parse_from_rfc3339("2019-08-21T00:00:00Z").unwrap().with_timezone(&Utc);
        let span = (t0, t0 + chrono::Duration::hours(6));
        // Chunks of the record list, summarised apart and merged in a shuffled order.
        let mut at: Vec<usize> = cuts.iter().map(|c| c.index(recs.len() + 1)).collect();
        at.push(0);
        at.push(recs.len());
        at.sort_unstable();
        let mut parts: Vec<Unknown> = at
            .windows(2)
            .map(|w| {
                let mut u = Unknown::new(gap);
                for r in &recs[w[0]..w[1]] {
                    u.add(r.clone());
                }
                u
            })
            .collect();
        let mut x = order | 1;
        for i in (1..parts.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            parts.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let mut merged = Unknown::new(gap);
        for p in parts {
            merged.merge(p);
        }
        // The clock stage moves a file's times after the scan (an inferred zone, a skew):
        // moving the summary equals summarising the moved records.
        let mut recs = recs;
        if let Some(sh) = shifts {
            let by = |f: u32, t: DateTime<Utc>| t + chrono::Duration::milliseconds(sh[f as usize]);
            merged.map_times(by);
            for r in &mut recs {
                r.time = r.time.map(|t| by(r.file, t));
            }
        }
        let services = ["svc0", "svc1"];
        let a = analyze(&merged, &|f| services[f as usize % 2], Some(span), gap, burst_min);
        let mut all = recs.clone();
        let (tpls, bursts) = reference::analyze(&mut all, span, gap, burst_min);
        let got: Vec<reference::Tpl> = a
            .templates
            .iter()
            .map(|t| (t.id.clone(), t.level, t.exception.clone(), t.count, t.undated, t.first, t.last, t.services.clone(), t.example.clone()))
            .collect();
        prop_assert_eq!(got, tpls);
        let got: Vec<reference::Bst> = a
            .bursts
            .iter()
            .map(|b| (a.templates[b.template].id.clone(), b.start, b.end, b.count, b.background, b.firsts.clone()))
            .collect();
        prop_assert_eq!(got, bursts);
    }
}

//! Templates, and what the rate detector reads of them (per-minute counts, record times),
//! from summaries (`crate::scan::Unknown`) equal those computed from every record kept
//! whole (`reference`: the record-based analysis as it was before issue 23), whatever way
//! the records were cut into chunks and files and in whatever order the summaries were
//! merged (threads finish in any order).

use super::*;
use proptest::prelude::*;

/// The record-based analysis: templates (id → statistics and example), the dated records
/// (time, file, record, template id) and the records per (template id, file, minute).
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
    pub type Pt = (DateTime<Utc>, u32, u64, String);
    pub type Min = (String, u32, i64, u32);

    pub fn analyze(records: &mut [LevelRecord]) -> (Vec<Tpl>, Vec<Pt>, Vec<Min>) {
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
        let mut pts = Vec::new();
        let mut mins: std::collections::BTreeMap<(String, u32, i64), u32> = Default::default();
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
            for &i in &recs {
                let r = &records[i];
                if let Some(t) = r.time {
                    pts.push((t, r.file, r.record, id.clone()));
                    *mins
                        .entry((id.clone(), r.file, t.timestamp().div_euclid(60)))
                        .or_default() += 1;
                }
            }
        }
        tpls.sort_by(|a, b| (a.5.is_none(), a.5, &a.0).cmp(&(b.5.is_none(), b.5, &b.0)));
        pts.sort();
        let mins = mins
            .into_iter()
            .map(|((t, f, m), n)| (t, f, m, n))
            .collect();
        (tpls, pts, mins)
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
    fn summaries_give_the_templates_and_minutes_of_the_records(
        recs in records(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
        order in any::<u64>(),
        gap_secs in prop_oneof![Just(120i64), 5i64..600],
        max_times in prop_oneof![Just(0usize), 1usize..300],
        shifts in prop::option::of(prop::array::uniform4(-7_200_000i64..7_200_000)),
    ) {
        let gap = chrono::Duration::seconds(gap_secs);
        // Chunks of the record list, summarised apart and merged in a shuffled order.
        let mut at: Vec<usize> = cuts.iter().map(|c| c.index(recs.len() + 1)).collect();
        at.push(0);
        at.push(recs.len());
        at.sort_unstable();
        let mut parts: Vec<Unknown> = at
            .windows(2)
            .map(|w| {
                let mut u = Unknown::new(gap).bounded(max_times);
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
        let mut merged = Unknown::new(gap).bounded(max_times);
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
        let a = analyze(&merged, &|f| services[f as usize % 2]);
        let mut all = recs.clone();
        let (tpls, pts, mins) = reference::analyze(&mut all);
        let got: Vec<reference::Tpl> = a
            .templates
            .iter()
            .map(|t| (t.id.clone(), t.level, t.exception.clone(), t.count, t.undated, t.first, t.last, t.services.clone(), t.example.clone()))
            .collect();
        prop_assert_eq!(got, tpls);
        // The kept times: the earliest `max_times` as scanned (all with 0).
        let got: Vec<reference::Pt> = a
            .points
            .iter()
            .map(|p| (p.time, p.file, p.record, a.templates[p.template as usize].id.clone()))
            .collect();
        if max_times == 0 || pts.len() <= max_times {
            prop_assert_eq!(&got, &pts);
        } else {
            prop_assert_eq!(got.len(), max_times);
            prop_assert!(got.iter().all(|p| pts.contains(p)));
            if shifts.is_none() {
                prop_assert_eq!(&got[..], &pts[..max_times]);
            }
        }
        // Per-minute counts: every record, from the times or (cut) from the buckets; a
        // sub-minute move of a cut summary counts a bucket at its first record's minute.
        let mut got: Vec<reference::Min> = a
            .minutes
            .iter()
            .map(|&(t, f, m, n)| (a.templates[t as usize].id.clone(), f, m, n))
            .collect();
        got.sort();
        if merged.complete() || shifts.is_none() {
            prop_assert_eq!(got, mins);
        } else {
            let total = |v: &[reference::Min]| v.iter().map(|x| u64::from(x.3)).sum::<u64>();
            prop_assert_eq!(total(&got), total(&mins));
        }
    }
}

//! Fuzz entry points: the exact code the cargo-fuzz targets in `fuzz/` run, kept in the
//! library so the proptest stand-in (`tests/fuzz_regressions.rs`) and the regression inputs
//! exercise the same calls. Each takes arbitrary bytes and must never panic, hang or
//! allocate without bound.

use crate::time::{self, FileTime, FileTimeInput, Format, Zone, ZoneReason, ZoneRule};
use std::collections::BTreeMap;

/// The record/timestamp parser: format detection, the file's time context (layouts,
/// year/date/uptime inference, as the scan learns it), every per-format parser and the
/// per-line fallback on every line, the record walk-back from every line, and zone
/// resolution of every stamp under a fixed offset and a DST zone.
pub fn record_time(data: &[u8]) {
    let _ = time::detect(data, 50);
    let rules = [
        ZoneRule {
            zone: Zone::parse("+14:00").expect("fixed zone"),
            reason: ZoneReason::Flag,
            aliases: BTreeMap::new(),
        },
        ZoneRule {
            zone: Zone::parse("America/New_York").expect("IANA zone"),
            reason: ZoneReason::DefaultLocal,
            aliases: [(
                "CST".to_string(),
                Zone::parse("Asia/Shanghai").expect("IANA zone"),
            )]
            .into_iter()
            .collect(),
        },
    ];
    let chunks = crate::scan::split_chunks(data, 64 * 1024);
    // The first byte picks the name, mtime and --year the context learns from.
    let sel = data.first().copied().unwrap_or(0);
    let names = [
        "app.log",
        "catalina.2019-02-28.log",
        "u_ex190821.log",
        "messages",
    ];
    let input = FileTimeInput {
        path: "fuzz.log",
        name: names[usize::from(sel) % names.len()],
        mtime: (sel & 4 != 0)
            .then(|| std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_566_370_000)),
        year: (sel & 8 != 0).then_some(2019),
    };
    let contexts: Vec<FileTime> = rules
        .iter()
        .map(|r| FileTime::learn(data, &chunks, &input, r.clone()))
        .collect();
    let mut start = 0;
    let mut lines = 0;
    while start <= data.len() && lines < 2000 {
        let end = crate::record::line_end(data, start);
        let line = &data[start..end];
        let mut stamps = Vec::new();
        for f in Format::ALL {
            stamps.extend(time::parse_with(f, line));
        }
        if time::may_start_stamp(line) {
            stamps.extend(time::parse_any(line).map(|(st, _)| st));
        }
        stamps.extend(time::parse_json_line(line));
        // The walk-back only near the start (it is quadratic in lines by design of this
        // harness, not of the scan, which memoises it).
        if lines < 200 {
            let head = crate::record::find_head(data, start, time::detect(data, 50));
            stamps.extend(head.stamp.map(|(st, _)| st));
        }
        for ft in &contexts {
            let _ = ft.quick(line);
            let own = ft.parse_line(line).map(|(st, _)| st);
            if lines < 200 {
                let head = crate::record::find_head_in(data, start, ft);
                if let Some((st, _)) = head.stamp {
                    let _ = ft.resolve(&st, head.start);
                }
            }
            for st in stamps.iter().chain(own.iter()) {
                let _ = ft.complete(st, start);
                if let time::Resolved::At(t, _) = ft.resolve(st, start) {
                    let _ = time::rfc3339(t);
                }
            }
        }
        for st in &stamps {
            for r in &rules {
                if let time::Resolved::At(t, _) = r.resolve(st) {
                    let _ = time::rfc3339(t);
                }
            }
        }
        start = end + 1;
        lines += 1;
    }
}

/// The socket-dump parser: sniffing, parsing and analysis of one dump (text decoded lossily,
/// as the scan does), its text rendering and culprit sentences.
pub fn socket_dump(data: &[u8]) {
    use crate::evidence::sockets::{
        analyze, culprit_sentence, render_text, sniff, DumpInput, SocketConfig,
    };
    let text = String::from_utf8_lossy(data).into_owned();
    if sniff(&text).is_none() {
        return;
    }
    let inputs = [DumpInput {
        path: "fuzz.txt".into(),
        text,
        mtime: None,
    }];
    // The range comes from the first bytes, so both defaults and odd overrides are tried.
    let range = match data {
        [a, b, c, d, ..] if a & 1 == 1 => {
            let lo = u16::from_le_bytes([*b, *c]).max(1);
            Some((lo, lo.saturating_add(u16::from(*d) * 256)))
        }
        _ => None,
    };
    let offset = chrono::FixedOffset::east_opt(8 * 3600).expect("offset");
    let report = analyze(
        &inputs,
        &SocketConfig {
            ephemeral_range: range,
        },
        offset,
    );
    let _ = render_text(&report);
    for snap in &report.snapshots {
        for c in &snap.culprits {
            let _ = culprit_sentence(c, snap.ephemeral_range);
        }
    }
    let _ = serde_json::to_string(&report);
}

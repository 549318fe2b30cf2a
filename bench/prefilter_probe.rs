//! Catalog hygiene (scan-engine.md §4.6): how often each prefilter literal occurs in
//! sample logs, how many lines the prefilter sends to the automaton, and how fast the
//! prefilter alone runs over each file.
//!
//!   cargo run --release --example prefilter_probe -- FILE... [--rules RULES] [--all] [--scan-sample]
//!
//! `--all` lists every literal, not only the 20 most frequent. By default the prefilter is
//! built from 1 MiB of the first file's middle; `--scan-sample` builds it the way a scan
//! of all the FILEs does (64 KiB from the middle of up to 16 of them), so the time per
//! file is the one that scan's prefilter costs.
use faultscope::catalog::Catalog;
use std::time::Instant;

fn main() {
    let usage = "usage: prefilter_probe FILE... [--rules RULES] [--all] [--scan-sample]";
    let mut args = std::env::args().skip(1);
    let mut cat = Catalog::builtin().expect("builtin catalog");
    let (mut all, mut scan_sample, mut paths) = (false, false, Vec::new());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rules" => cat
                .apply_rules_file(args.next().expect(usage).as_ref())
                .expect("rules"),
            "--all" => all = true,
            "--scan-sample" => scan_sample = true,
            _ if arg.starts_with("--") => panic!("{usage}"),
            _ => paths.push(arg),
        }
    }
    assert!(!paths.is_empty(), "{usage}");
    let m = cat.compile().expect("catalog compiles");
    let sample = if scan_sample {
        // As `scan::sample`: 64 KiB from the middle of up to 16 files spread over the list
        // (from 16 places in each file over 1 MiB when they are fewer than 16)...
        let step = paths.len().div_ceil(16).max(1);
        let mut out = Vec::new();
        let spread = paths.len() < 16;
        for p in paths.iter().step_by(step) {
            out.extend(faultscope::input::sample_sized(p.as_ref(), 64 * 1024, spread).0);
        }
        // ...grown to 1 MiB from up to 256 files when there are more than 16.
        if out.len() < 1 << 20 && paths.len() > 16 {
            let step = paths.len().div_ceil(256).max(1);
            for p in paths.iter().skip(step / 2).step_by(step) {
                if out.len() >= 1 << 20 {
                    break;
                }
                out.extend(faultscope::input::sample_sized(p.as_ref(), 64 * 1024, spread).0);
            }
        }
        out
    } else {
        let buf = std::fs::read(&paths[0]).expect("read FILE");
        let from = buf.len() / 2 - (buf.len() / 2).min(512 * 1024);
        buf[from..][..(buf.len() - from).min(1 << 20)].to_vec()
    };
    // As a scan of these files: the bucket plan's search scaled to their size.
    let bytes: u64 = paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    m.prepare_for(&sample, bytes);
    let pf = match m.prefilter() {
        Ok(pf) => pf,
        Err(why) => {
            println!("no prefilter: {why}");
            return;
        }
    };
    let first = std::fs::read(&paths[0]).expect("read FILE");
    let mut v: Vec<(usize, String)> = pf
        .literals()
        .iter()
        .map(|l| {
            let n = memchr::memmem::find_iter(&first, l).count();
            (n, String::from_utf8_lossy(l).into_owned())
        })
        .collect();
    v.sort_by(|a, b| b.cmp(a));
    println!(
        "{} literals, {}; most frequent in {}:",
        v.len(),
        pf.engine(),
        paths[0]
    );
    for (n, l) in v.iter().take(if all { usize::MAX } else { 20 }) {
        println!("{n:>10}  {l:?}");
    }
    let mut total = 0.0;
    for p in &paths {
        let buf = std::fs::read(p).expect("read FILE");
        let lines = bytecount::count(&buf, b'\n');
        // Best of 5: the machine may be shared.
        let (mut el, mut cand) = (std::time::Duration::MAX, 0usize);
        for _ in 0..5 {
            let t = Instant::now();
            let (mut n, mut cur, mut at) = (0usize, pf.cursor(), 0usize);
            while let Some(p) = cur.find(&buf, at, buf.len()) {
                n += 1;
                at = memchr::memchr(b'\n', &buf[p..]).map_or(buf.len(), |i| p + i + 1);
            }
            el = el.min(t.elapsed());
            cand = n;
        }
        total += el.as_secs_f64();
        println!(
            "{p}: candidate lines {cand} of {lines}; prefilter alone {:.3} s = {:.2} GB/s on one core",
            el.as_secs_f64(),
            buf.len() as f64 / el.as_secs_f64() / 1e9
        );
    }
    println!("total prefilter alone {total:.3} s");
}

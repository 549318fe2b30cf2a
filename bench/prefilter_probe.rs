//! Catalog hygiene (scan-engine.md §4.6): how often each prefilter literal occurs in a
//! sample log, and how many lines the prefilter sends to the automaton.
//!
//!   cargo run --release --example prefilter_probe -- FILE [--rules RULES] [--all]
//!
//! `--all` lists every literal, not only the 20 most frequent.
use faultscope::catalog::Catalog;
use std::time::Instant;

fn main() {
    let usage = "usage: prefilter_probe FILE [--rules RULES] [--all]";
    let mut args = std::env::args().skip(1);
    let path = args.next().expect(usage);
    let mut cat = Catalog::builtin().expect("builtin catalog");
    let mut all = false;
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--rules" => cat
                .apply_rules_file(args.next().expect(usage).as_ref())
                .expect("rules"),
            "--all" => all = true,
            _ => panic!("{usage}"),
        }
    }
    let buf = std::fs::read(&path).expect("read FILE");
    let m = cat.compile().expect("catalog compiles");
    m.prepare(&buf[buf.len() / 2 - (buf.len() / 2).min(512 * 1024)..][..buf.len().min(1 << 20)]);
    let pf = match m.prefilter() {
        Ok(pf) => pf,
        Err(why) => {
            println!("no prefilter: {why}");
            return;
        }
    };
    let mut v: Vec<(usize, String)> = pf
        .literals()
        .iter()
        .map(|l| {
            let n = memchr::memmem::find_iter(&buf, l).count();
            (n, String::from_utf8_lossy(l).into_owned())
        })
        .collect();
    v.sort_by(|a, b| b.cmp(a));
    println!("{} literals, {}; most frequent:", v.len(), pf.engine());
    for (n, l) in v.iter().take(if all { usize::MAX } else { 20 }) {
        println!("{n:>10}  {l:?}");
    }
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
    println!(
        "candidate lines {cand} of {lines}; prefilter alone {:.3} s = {:.2} GB/s on one core",
        el.as_secs_f64(),
        buf.len() as f64 / el.as_secs_f64() / 1e9
    );
}

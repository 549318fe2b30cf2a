//! Catalog hygiene (scan-engine.md §4.6): how often each prefilter literal occurs in a
//! sample log, and how many lines the prefilter sends to the automaton.
//!
//!   cargo run --release --example prefilter_probe -- FILE [--rules RULES]
use faultscope::catalog::Catalog;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: prefilter_probe FILE [--rules RULES]");
    let mut cat = Catalog::builtin().expect("builtin catalog");
    if let (Some(flag), Some(rules)) = (args.next(), args.next()) {
        assert_eq!(flag, "--rules");
        cat.apply_rules_file(rules.as_ref()).expect("rules");
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
    for (n, l) in v.iter().take(if std::env::var("FS_ALL").is_ok() {
        usize::MAX
    } else {
        20
    }) {
        println!("{n:>10}  {l:?}");
    }
    if std::env::var("FS_PROBE").is_ok() {
        let all: Vec<&[u8]> = pf.literals().iter().map(|l| l.as_slice()).collect();
        teddy_rate(&buf, &[b"ZuulException: Forwarding error"]);
        teddy_rate(
            &buf,
            &[
                b"ZuulException: Forwarding error",
                b"Connection refused",
                b"Read timed out",
                b"HystrixRuntimeException: ",
            ],
        );
        for c in all.chunks(16) {
            let r = teddy_rate(&buf, c);
            if r < 3.0 {
                eprintln!(
                    "   slow: {:?}",
                    c.iter()
                        .map(|l| String::from_utf8_lossy(l))
                        .collect::<Vec<_>>()
                );
            }
        }
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

#[allow(dead_code)]
fn teddy_rate(buf: &[u8], lits: &[&[u8]]) -> f64 {
    let s = aho_corasick::packed::Config::new()
        .only_teddy(true)
        .heuristic_pattern_limits(false)
        .builder()
        .extend(lits)
        .build()
        .unwrap();
    let t = Instant::now();
    let n = s.find_iter(buf).count();
    let r = buf.len() as f64 / t.elapsed().as_secs_f64() / 1e9;
    eprintln!("{} lits: {n} matches {r:.2} GB/s", lits.len());
    r
}

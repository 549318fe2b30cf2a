//! Access-log field split throughput (issue 19), on any files:
//!
//!   cargo run --release --example access_bench -- bench/corpus/nginx/access-17.log
//!
//! For each file: the layout detection of the scan (header, then a vote over the head and
//! middle windows), then, timed, every line through what the scan does to a line of an
//! access log: prefix strip, field split, outcome, traffic count (minute left out: the scan
//! already has it). Prints MB/s and lines/s of the split, the same for a bare line iteration
//! (the floor: `memchr` for each newline), requests and failures found; then the level pass
//! with the file's dialect against both automata. One thread; files are read into memory
//! first; each figure is the best of 5 runs of the thread's CPU time (user + system, so a
//! figure that holds on a loaded machine too).

use faultscope::evidence::access::{self, Builder, Layouts};
use faultscope::record::level::{Dialect, LevelPass};

/// CPU seconds of this thread so far.
fn cpu() -> f64 {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_THREAD, &mut ru);
        ru
    };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(ru.ru_utime) + t(ru.ru_stime)
}

fn best<T>(mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::MAX;
    let mut out = None;
    for _ in 0..5 {
        let t = cpu();
        let r = f();
        best = best.min(cpu() - t);
        out = Some(r);
    }
    (best.max(1e-6), out.unwrap())
}

fn lines(buf: &[u8]) -> impl Iterator<Item = &[u8]> {
    buf.split(|c| *c == b'\n').filter(|l| !l.is_empty())
}

fn main() {
    let layouts = Layouts::builtin().expect("layouts");
    for path in std::env::args().skip(1) {
        let buf = std::fs::read(&path).expect("read");
        let mb = buf.len() as f64 / 1e6;
        let head: Vec<&[u8]> = lines(&buf[..buf.len().min(64 * 1024)]).take(64).collect();
        let mid_at =
            buf.len() / 2 + memchr::memchr(b'\n', &buf[buf.len() / 2..]).map_or(0, |i| i + 1);
        let mid: Vec<&[u8]> = lines(&buf[mid_at..(mid_at + 64 * 1024).min(buf.len())])
            .take(64)
            .collect();
        let windows = vec![head, mid];
        let Some(d) = access::detect(&layouts, &windows) else {
            println!("{path}: no access layout");
            continue;
        };
        let layout = &layouts.layouts[d.layout];
        let w3c = lines(&buf)
            .find(|l| l.starts_with(b"#Fields:"))
            .and_then(|l| layout.w3c_fields(l));
        let (floor, n) = best(|| lines(&buf).count());
        let (parse_only, _) = best(|| {
            lines(&buf)
                .filter(|l| {
                    d.prefix
                        .strip(l)
                        .and_then(|r| layout.parse(r, w3c.as_ref()))
                        .is_some()
                })
                .count()
        });
        let (t, (requests, failed)) = best(|| {
            let mut b = Builder::new(&layout.id);
            let (mut requests, mut failed) = (0u64, 0u64);
            for line in lines(&buf) {
                let Some(req) = d
                    .prefix
                    .strip(line)
                    .and_then(|r| layout.parse(r, w3c.as_ref()))
                else {
                    b.other_line();
                    continue;
                };
                let o = layout.outcome(&req);
                requests += 1;
                failed += u64::from(o.failed);
                b.add(layout, &req, o, None, None);
            }
            std::hint::black_box(b.finish());
            (requests, failed)
        });
        println!(
            "{path}: {} ({}); {n} lines, {requests} requests, {failed} failed",
            layout.id,
            d.describe(&layouts)
        );
        println!(
            "  split + count: {:.0} MB/s, {:.1} M lines/s ({:.3}s); split alone {:.0} MB/s ({:.1} ns/line over the floor); bare line iteration {:.0} MB/s ({:.3}s); split + count {:.1} ns/line over the floor",
            mb / t,
            n as f64 / t / 1e6,
            t,
            mb / parse_only,
            (parse_only - floor) * 1e9 / n as f64,
            mb / floor,
            floor,
            (t - floor) * 1e9 / n as f64
        );
        let all: Vec<&[u8]> = windows.iter().flatten().copied().collect();
        for (name, dialect) in [
            ("file dialect", Dialect::sniff(all.iter().copied(), None)),
            ("both automata", Dialect::default()),
        ] {
            let (t, recs) = best(|| {
                let pass = LevelPass {
                    format: None,
                    dialect,
                    parse_head: &|_| None,
                    known: &|_| true,
                    skip: &|_| false,
                };
                pass.run(0, &buf, 0..buf.len(), &mut |_, _, _| None).1
            });
            println!(
                "  level pass, {name} {dialect:?}: {:.2} GB/s ({:.3}s, {} error/warning heads)",
                mb / t / 1000.0,
                t,
                recs.total()
            );
        }
    }
}

//! Template-mining and level-pass throughput (issue 9), on any log directory, e.g. the
//! corpus of `gen_corpus`:
//!
//!   cargo run --release --example gen_corpus -- --out /tmp/x --size 512M
//!   cargo run --release --example templates_bench -- /tmp/x 1 2
//!
//! For each thread count given (default 1 and 2) it prints:
//! - `miner`: every line of every file through the miner alone: prefix strip, masking,
//!   deduplication (per 16 K-line chunk, in parallel, merged in order) and clustering of
//!   the distinct masked messages; lines/s (wall clock) and lines per CPU-second (user +
//!   system time of the process over the same region: what the cores it got did, so a
//!   figure that holds on a loaded machine too). Line splitting is outside the timed
//!   region. (The scan mines only the messages of unknown error/warning records, usually
//!   a small share of the lines: this is the miner's worst case.)
//! - `signatures`: the catalog automaton over every file (the scan's main pass), GB/s;
//! - `levels`: the level pass (src/level.rs) over every file, GB/s, and the error/warning
//!   record heads it found: its cost beside the signature pass.
//!
//! Files are read into memory first; times exclude I/O.

use faultscope::analysis::templates::{self, Distinct};
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

fn files(root: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// CPU seconds (user + system) used by this process so far: the miner's throughput per
/// CPU-second does not depend on what else the machine runs.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(
        args.next()
            .expect("usage: templates_bench DIR [THREADS...]"),
    );
    let mut threads: Vec<usize> = args.map(|a| a.parse().expect("thread count")).collect();
    if threads.is_empty() {
        threads = vec![1, 2];
    }
    let bufs: Vec<(PathBuf, Vec<u8>)> = files(&root)
        .into_iter()
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    let bytes: usize = bufs.iter().map(|b| b.1.len()).sum();
    // Line boundaries (not timed).
    let mut lines: Vec<&[u8]> = Vec::new();
    for (_, b) in &bufs {
        lines.extend(b.split(|&c| c == b'\n').filter(|l| !l.is_empty()));
    }
    println!(
        "{} files, {:.1} MB, {} lines",
        bufs.len(),
        bytes as f64 / 1e6,
        lines.len()
    );
    let cfg = faultscope::config::ScanConfig::new(vec![root.clone()]).unwrap();
    for &n in &threads {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap();
        pool.install(|| {
            // Miner alone.
            let cpu0 = cpu_seconds();
            let t = Instant::now();
            let parts: Vec<Distinct> = lines
                .par_chunks(1 << 14)
                .map(|chunk| {
                    let mut d = Distinct::new();
                    for l in chunk {
                        d.add(templates::strip_prefix(l));
                    }
                    d
                })
                .collect();
            let mut all = Distinct::new();
            for d in parts {
                all.merge(d);
            }
            let t_mask = t.elapsed();
            let c = templates::cluster(&all);
            let dt = t.elapsed();
            let cpu = cpu_seconds() - cpu0;
            println!(
                "threads {n}: miner {:.2} M lines/s ({:.2}s; {:.2} M lines per CPU-second, {:.2} CPU-s; mask+dedup {:.2}s, cluster {:.3}s; {} distinct masked, {} templates)",
                lines.len() as f64 / dt.as_secs_f64() / 1e6,
                dt.as_secs_f64(),
                lines.len() as f64 / cpu / 1e6,
                cpu,
                t_mask.as_secs_f64(),
                (dt - t_mask).as_secs_f64(),
                all.len(),
                c.templates.len()
            );
            if std::env::var_os("TEMPLATES_BENCH_MINER_ONLY").is_some() {
                return;
            }
            // Signature pass alone (chunks of 16 MiB, as the scan cuts them).
            let chunks: Vec<(&[u8], std::ops::Range<usize>)> = bufs
                .iter()
                .flat_map(|(_, b)| {
                    faultscope::scan::split_chunks(b, 16 << 20)
                        .into_iter()
                        .map(move |r| (&b[..], r))
                })
                .collect();
            let t = Instant::now();
            let sig: usize = chunks
                .par_iter()
                .map(|(b, r)| cfg.matcher.regex.find_iter(&b[r.clone()]).count())
                .sum();
            let ds = t.elapsed();
            let t = Instant::now();
            let lv: usize = chunks
                .par_iter()
                .map(|(b, r)| {
                    let format = faultscope::time::detect(&b[..b.len().min(64 * 1024)], 50);
                    faultscope::record::level::level_pass(
                        0,
                        b,
                        r.clone(),
                        format,
                        &|l| faultscope::record::header_stamp(l, format),
                        &mut |_, _, _| None,
                    )
                    .len()
                })
                .sum();
            let dl = t.elapsed();
            println!(
                "threads {n}: signatures {:.2} GB/s ({:.2}s, {sig} matches); levels {:.2} GB/s ({:.2}s, {lv} error/warning heads) = {:.0}% of the signature pass",
                bytes as f64 / ds.as_secs_f64() / 1e9,
                ds.as_secs_f64(),
                bytes as f64 / dl.as_secs_f64() / 1e9,
                dl.as_secs_f64(),
                100.0 * dl.as_secs_f64() / ds.as_secs_f64()
            );
        });
    }
}

//! The floor of the signature prefilter's cost: how fast aho-corasick's Teddy runs over a
//! log when no fingerprint ever hits (literals of bytes ≥ 0x80, absent from ASCII logs), so
//! what a real prefilter spends beyond it is verification of false fingerprint hits
//! (src/catalog/prefilter/buckets.rs).
//!
//!   cargo run --release --example teddy_base -- FILE
use aho_corasick::packed;
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("usage: teddy_base FILE");
    let buf = std::fs::read(&path).expect("read FILE");
    for (n, fat) in [
        (8usize, false),
        (32, false),
        (33, true),
        (64, true),
        (128, true),
    ] {
        let pats: Vec<Vec<u8>> = (0..n)
            .map(|i| {
                let (a, b) = ((i % 64) as u8, (i / 64) as u8);
                vec![0x80 + a, 0x90 + b, 0xA0, 0xB0 + (a % 16), b'x']
            })
            .collect();
        let Some(s) = packed::Config::new()
            .only_teddy(true)
            .only_teddy_fat(Some(fat))
            .heuristic_pattern_limits(false)
            .builder()
            .extend(&pats)
            .build()
        else {
            println!("{n} literals: no Teddy on this machine");
            continue;
        };
        // Best of 5: the machine may be shared.
        let mut best = f64::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            let found = s.find(&buf);
            best = best.min(t.elapsed().as_secs_f64());
            assert!(found.is_none(), "a literal of high bytes in {path}");
        }
        println!(
            "{n} literals, {}: {best:.3} s = {:.2} GB/s on one core",
            if fat {
                "fat (16 buckets)"
            } else {
                "slim (8 buckets)"
            },
            buf.len() as f64 / best / 1e9
        );
    }
}

//! Deterministic benchmark corpus generator for faultscope (issue 8).
//!
//! Writes realistic mixed logs — Spring Boot/logback, log4j2, JSON lines, nginx access and
//! error logs — with a controlled density of signature hits:
//!
//! - `sparse`: about one matching line per 2 MB, all inside four ~40 s outage windows
//!   (03:12, 11:45, 16:00, 21:30), as multi-line Java traces with `Caused by:` lines;
//! - `dense`: about one matching line per 1 KB, spread over the day.
//!
//! Normal lines deliberately contain the words that make signature prefilters work hard
//! (`HikariPool-1`, `CircuitBreakerStateMachine`, `AppleWebKit`, `rt=1.503`, `upstream`), so
//! the benchmark measures the real candidate rate, not an empty haystack.
//!
//! Layouts: `dir` (N files), `single` (one file), `small` (N files of ~2 KB each).
//!
//! Usage:
//!   cargo run --release --example gen_corpus -- --out bench/corpus --size 2G --files 20
//!   cargo run --release --example gen_corpus -- --out bench/corpus-dense --size 256M --density dense
//!   cargo run --release --example gen_corpus -- --out bench/corpus-small --layout small --files 100000
//!
//! The same arguments always give byte-identical files (xorshift PRNG seeded by `--seed`).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Logback,
    Log4j2,
    Json,
    Access,
    NginxError,
}

#[derive(Clone, Copy, PartialEq)]
enum Density {
    Sparse,
    Dense,
}

const DAY_START: i64 = 1_566_345_600; // 2019-08-21T00:00:00Z
const WINDOWS: [(i64, i64); 4] = [
    (3 * 3600 + 12 * 60, 40),
    (11 * 3600 + 45 * 60, 45),
    (16 * 3600, 35),
    (21 * 3600 + 30 * 60, 40),
];

fn civil(t: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Howard Hinnant's days-from-civil inverse.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    (
        y,
        m,
        d,
        (secs / 3600) as u32,
        ((secs % 3600) / 60) as u32,
        (secs % 60) as u32,
    )
}

const MON: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

const LOGGERS: [&str; 8] = [
    "c.e.order.web.OrderController",
    "com.zaxxer.hikari.pool.HikariPool",
    "i.g.r.c.i.CircuitBreakerStateMachine",
    "o.s.web.servlet.DispatcherServlet",
    "c.n.l.DynamicServerListLoadBalancer",
    "c.e.order.service.OrderService",
    "o.h.engine.jdbc.spi.SqlExceptionHelper",
    "c.n.discovery.DiscoveryClient",
];

const MESSAGES: [&str; 12] = [
    "HikariPool-1 - Pool stats (total=10, active=2, idle=8, waiting=0)",
    "CircuitBreaker 'inventory' changed state from HALF_OPEN to CLOSED",
    "Completed 200 OK in 12ms",
    "Order {} created for customer {} with 3 items",
    "Resolving eureka endpoints via configuration",
    "Connection pool HikariPool-1 is healthy: 10 connections",
    "Fetching order {} from cache, hit ratio 0.93",
    "DynamicServerListLoadBalancer for client inventory-service initialized",
    "Application event published: OrderPlacedEvent[id={}]",
    "upstream inventory-service responded in 83ms",
    "Readiness state changed to ACCEPTING_TRAFFIC",
    "Scheduled task refreshCache took 41 ms",
];

const ERRORS: [(&str, &str); 5] = [
    (
        "com.netflix.zuul.exception.ZuulException: Forwarding error",
        "Caused by: java.net.SocketException: No buffer space available (maximum connections reached?): connect",
    ),
    (
        "org.springframework.web.client.ResourceAccessException: I/O error on GET request",
        "Caused by: java.net.ConnectException: Connection refused (Connection refused)",
    ),
    (
        "feign.RetryableException: Read timed out executing GET http://inventory/stock/42",
        "Caused by: java.net.SocketTimeoutException: Read timed out",
    ),
    (
        "org.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection",
        "Caused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.",
    ),
    (
        "com.netflix.hystrix.exception.HystrixRuntimeException: InventoryClient#stock(Long) timed-out and fallback failed.",
        "Caused by: java.util.concurrent.TimeoutException: null",
    ),
];

const PATHS: [&str; 6] = [
    "/api/order/list",
    "/api/user/info",
    "/static/app.js",
    "/api/order/submit",
    "/favicon.ico",
    "/api/inventory/stock",
];

const AGENTS: [&str; 3] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/76.0.3809.100 Safari/537.36",
    "okhttp/3.12.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 12_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
];

fn in_window(sec_of_day: i64) -> bool {
    WINDOWS
        .iter()
        .any(|&(s, d)| sec_of_day >= s && sec_of_day < s + d)
}

struct Gen<'a> {
    w: &'a mut dyn Write,
    rng: Rng,
    kind: Kind,
    density: Density,
    written: u64,
    hit_lines: u64,
    last_hit_sec: i64,
}

impl<'a> Gen<'a> {
    /// A generator for file `i`: its own PRNG stream, so files do not depend on each other.
    fn new(w: &'a mut dyn Write, seed: u64, i: usize, kind: Kind, density: Density) -> Self {
        Gen {
            w,
            rng: Rng(seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            kind,
            density,
            written: 0,
            hit_lines: 0,
            last_hit_sec: 0,
        }
    }

    fn out(&mut self, s: &str) -> std::io::Result<()> {
        self.written += s.len() as u64;
        self.w.write_all(s.as_bytes())
    }

    fn stamp(&self, t: i64, ms: u32, sep: char) -> String {
        let (y, mo, d, h, mi, s) = civil(t);
        format!("{y}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}{sep}{ms:03}")
    }

    fn normal(&mut self, t: i64) -> std::io::Result<()> {
        let ms = self.rng.below(1000) as u32;
        let id = self.rng.below(1_000_000);
        let msg = self.rng.pick(&MESSAGES).replace("{}", &id.to_string());
        let line = match self.kind {
            Kind::Logback => format!(
                "{}  INFO 23703 --- [io-8080-exec-{}] {:<40} : {}\n",
                self.stamp(t, ms, '.'),
                self.rng.below(50),
                self.rng.pick(&LOGGERS),
                msg
            ),
            Kind::Log4j2 => format!(
                "{} INFO  [http-nio-8082-exec-{}] {} - {}\n",
                self.stamp(t, ms, ','),
                self.rng.below(50),
                self.rng.pick(&LOGGERS),
                msg
            ),
            Kind::Json => {
                let (y, mo, d, h, mi, s) = civil(t);
                format!(
                    "{{\"@timestamp\":\"{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z\",\"level\":\"INFO\",\"logger_name\":\"{}\",\"thread_name\":\"http-nio-8083-exec-{}\",\"message\":\"{}\"}}\n",
                    self.rng.pick(&LOGGERS),
                    self.rng.below(50),
                    msg
                )
            }
            Kind::Access => {
                let (y, mo, d, h, mi, s) = civil(t);
                format!(
                    "10.0.{}.{} - - [{d:02}/{}/{y}:{h:02}:{mi:02}:{s:02} +0000] \"GET {}?id={id} HTTP/1.1\" 200 {} \"-\" \"{}\" rt=1.{:03} uct=0.001\n",
                    self.rng.below(255),
                    self.rng.below(255),
                    MON[mo as usize - 1],
                    self.rng.pick(&PATHS),
                    200 + self.rng.below(5000),
                    self.rng.pick(&AGENTS),
                    self.rng.below(1000)
                )
            }
            Kind::NginxError => {
                let (y, mo, d, h, mi, s) = civil(t);
                format!(
                    "{y}/{mo:02}/{d:02} {h:02}:{mi:02}:{s:02} [warn] 31#31: *{id} an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/{}/00/{id} while reading upstream, client: 10.0.0.{}, server: api, request: \"GET {} HTTP/1.1\", upstream: \"http://10.0.1.5:8080{}\", host: \"api.example.com\"\n",
                    id % 10,
                    self.rng.below(255),
                    self.rng.pick(&PATHS),
                    self.rng.pick(&PATHS)
                )
            }
        };
        self.out(&line)
    }

    fn error(&mut self, t: i64) -> std::io::Result<()> {
        let ms = self.rng.below(1000) as u32;
        let (head, cause) = *self.rng.pick(&ERRORS);
        match self.kind {
            Kind::Logback | Kind::Log4j2 => {
                let stamp = if self.kind == Kind::Logback {
                    format!(
                        "{} ERROR 23703 --- [io-8080-exec-7] c.e.order.web.OrderController   :",
                        self.stamp(t, ms, '.')
                    )
                } else {
                    format!(
                        "{} ERROR [http-nio-8082-exec-7] c.e.order.OrderService -",
                        self.stamp(t, ms, ',')
                    )
                };
                let text = format!(
                    "{stamp} request failed\n{head}\n\tat org.springframework.cloud.netflix.zuul.filters.route.RibbonRoutingFilter.handleException(RibbonRoutingFilter.java:189)\n\tat org.springframework.cloud.netflix.zuul.filters.route.RibbonRoutingFilter.forward(RibbonRoutingFilter.java:164)\n{cause}\n\tat java.net.DualStackPlainSocketImpl.connect0(Native Method)\n\t... 158 common frames omitted\n"
                );
                self.hit_lines += 2;
                self.out(&text)
            }
            Kind::Json => {
                let (y, mo, d, h, mi, s) = civil(t);
                self.hit_lines += 1;
                let text = format!(
                    "{{\"@timestamp\":\"{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z\",\"level\":\"ERROR\",\"logger_name\":\"c.e.pay.PayService\",\"message\":\"Failed to call inventory\",\"stack_trace\":\"{head}\\n\\tat a.b.C.d(C.java:1)\\n{cause}\\n\"}}\n"
                );
                self.out(&text)
            }
            Kind::Access => {
                let (y, mo, d, h, mi, s) = civil(t);
                self.hit_lines += 1;
                let text = format!(
                    "10.0.0.9 - - [{d:02}/{}/{y}:{h:02}:{mi:02}:{s:02} +0000] \"GET /api/order/list HTTP/1.1\" 502 157 \"-\" \"okhttp/3.12.1\" rt=0.{:03} uct=-\n",
                    MON[mo as usize - 1],
                    self.rng.below(1000)
                );
                self.out(&text)
            }
            Kind::NginxError => {
                let (y, mo, d, h, mi, s) = civil(t);
                self.hit_lines += 1;
                let text = format!(
                    "{y}/{mo:02}/{d:02} {h:02}:{mi:02}:{s:02} [error] 31#31: *9 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.9, server: api, request: \"GET /api/order/list HTTP/1.1\", upstream: \"http://10.0.1.5:8080/api/order/list\", host: \"api.example.com\"\n"
                );
                self.out(&text)
            }
        }
    }

    /// Writes `size` bytes of log covering one day.
    fn run(&mut self, size: u64) -> std::io::Result<()> {
        while self.written < size {
            let t_off = (self.written as u128 * 86_400 / size.max(1) as u128) as i64;
            let t = DAY_START + t_off;
            let hit = match self.density {
                Density::Sparse => {
                    in_window(t_off) && t != self.last_hit_sec && self.rng.below(16) == 0
                }
                Density::Dense => self.rng.below(1000) < 180,
            };
            if hit {
                self.last_hit_sec = t;
                self.error(t)?;
            } else {
                self.normal(t)?;
            }
        }
        Ok(())
    }
}

fn parse_size(s: &str) -> u64 {
    let (n, mult) = match s.chars().last() {
        Some('G') | Some('g') => (&s[..s.len() - 1], 1u64 << 30),
        Some('M') | Some('m') => (&s[..s.len() - 1], 1 << 20),
        Some('K') | Some('k') => (&s[..s.len() - 1], 1 << 10),
        _ => (s, 1),
    };
    n.parse::<u64>().expect("size") * mult
}

fn kind_for(i: usize) -> Kind {
    match i % 20 {
        0..=11 => Kind::Logback,
        12..=14 => Kind::Log4j2,
        15 | 16 => Kind::Json,
        17 | 18 => Kind::Access,
        _ => Kind::NginxError,
    }
}

fn name_for(i: usize, kind: Kind) -> String {
    match kind {
        Kind::Logback => format!("service-{i:02}/service-{i:02}.log"),
        Kind::Log4j2 => format!("batch-{i:02}/batch-{i:02}.log"),
        Kind::Json => format!("pay-{i:02}/pay-{i:02}.json.log"),
        Kind::Access => format!("nginx/access-{i:02}.log"),
        Kind::NginxError => format!("nginx/error-{i:02}.log"),
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |flag: &str, default: &str| -> String {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
            .unwrap_or_else(|| default.to_string())
    };
    let out = PathBuf::from(get("--out", "bench/corpus"));
    let size = parse_size(&get("--size", "2G"));
    let files: usize = get("--files", "20").parse().expect("--files");
    let seed: u64 = get("--seed", "42").parse().expect("--seed");
    let density = match get("--density", "sparse").as_str() {
        "dense" => Density::Dense,
        _ => Density::Sparse,
    };
    let layout = get("--layout", "dir");
    if out.exists() {
        fs::remove_dir_all(&out)?;
    }
    fs::create_dir_all(&out)?;
    let mut total_hits = 0;
    let mut total_bytes = 0;
    match layout.as_str() {
        "single" => {
            let f = File::create(out.join("all.log"))?;
            let mut w = BufWriter::with_capacity(1 << 20, f);
            // One file holding every kind in turn, a day per kind segment.
            for i in 0..files {
                let mut g = Gen::new(&mut w, seed, i, kind_for(i), density);
                g.run(size / files as u64)?;
                total_hits += g.hit_lines;
                total_bytes += g.written;
            }
            w.flush()?;
        }
        "small" => {
            for i in 0..files {
                let dir = out.join(format!("host-{:03}", i / 1000));
                if i % 1000 == 0 {
                    fs::create_dir_all(&dir)?;
                }
                let kind = kind_for(i);
                let f = File::create(dir.join(format!("app-{i:06}.log")))?;
                let mut w = BufWriter::new(f);
                let mut g = Gen::new(&mut w, seed, i, kind, density);
                g.run(size / files as u64)?;
                total_hits += g.hit_lines;
                total_bytes += g.written;
                w.flush()?;
            }
        }
        _ => {
            for i in 0..files {
                let kind = kind_for(i);
                let path = out.join(name_for(i, kind));
                fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
                let f = File::create(&path)?;
                let mut w = BufWriter::with_capacity(1 << 20, f);
                let mut g = Gen::new(&mut w, seed, i, kind, density);
                g.run(size / files as u64)?;
                total_hits += g.hit_lines;
                total_bytes += g.written;
                w.flush()?;
            }
        }
    }
    eprintln!(
        "wrote {} bytes in {} file(s) to {}; ~{} matching lines",
        total_bytes,
        if layout == "single" { 1 } else { files },
        out.display(),
        total_hits
    );
    Ok(())
}

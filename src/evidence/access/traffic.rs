//! Traffic of one access log: per file and per UTC minute, mergeable.
//!
//! Input: the requests the scan reads from an access log's lines ([`Builder::add`], one
//! per request line, with its minute and, for a failed request, its millisecond within the
//! minute). Output: [`FileTraffic`]: requests, status classes, failures (5xx, or no status
//! and a server-failure flag), client-closed requests (499, ALB 460, a client-abort flag:
//! not a server failure), a latency histogram, bounded top lists of failing paths, upstreams
//! and flags, and [`MinuteTraffic`] per minute (the same counts, the first and last failed
//! request's time within the minute, and the minute's latency histogram).
//!
//! Mergeable: a file's chunks each build one and [`FileTraffic::merge`] sums them in chunk
//! order (chunk boundaries depend on the chunk size, not on `-j`, so `-j1` = `-j8`); partial
//! results carry it inside `FileScan` and read back the same value.
//!
//! Cost per request: a few counter increments and a histogram bucket (a leading-zeros
//! count); per failed or flagged request (rare) a top-list update. The histogram has 8
//! buckets per power of two (bucket width ≤ 12.5 %, a quantile read from it is within
//! ±6.25 % of the true one); a minute's buckets are counted densely while the minute lasts
//! and kept sparse after.

use super::layout::{Layout, Outcome};
use super::split::Request;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Status class names, index 0 = `1xx`.
pub const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];
/// Entries kept per file in each top list (paths, upstreams, flags).
pub const TOP_FILE: usize = 32;
/// Entries kept per minute in each top list.
pub const TOP_MINUTE: usize = 8;
/// Histogram buckets.
const BUCKETS: usize = 256;

/// A log-scale histogram of durations in microseconds: (bucket, count), by bucket.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Histogram(Vec<(u8, u64)>);

impl Histogram {
    /// The bucket of a duration: exact below 16 µs, then 8 per power of two, up to ~4.7 h.
    #[inline]
    pub fn bucket(us: u64) -> u8 {
        if us < 8 {
            return us as u8;
        }
        let bits = 64 - us.leading_zeros() as u64; // ≥ 4
        let octave = bits - 4;
        let sub = (us >> octave) - 8;
        (8 + octave * 8 + sub).min(BUCKETS as u64 - 1) as u8
    }

    /// A bucket's representative duration in microseconds (its midpoint).
    pub fn value_us(b: u8) -> f64 {
        if b < 8 {
            return f64::from(b);
        }
        let octave = u32::from(b - 8) / 8;
        let sub = u64::from(b - 8) % 8;
        let lower = (8 + sub) << octave;
        if octave == 0 {
            lower as f64
        } else {
            lower as f64 + (1u64 << octave) as f64 / 2.0
        }
    }

    /// Durations counted.
    pub fn count(&self) -> u64 {
        self.0.iter().map(|e| e.1).sum()
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds `n` durations in bucket `b`.
    pub fn add(&mut self, b: u8, n: u64) {
        match self.0.binary_search_by_key(&b, |e| e.0) {
            Ok(i) => self.0[i].1 += n,
            Err(i) => self.0.insert(i, (b, n)),
        }
    }

    /// Adds another histogram.
    pub fn merge(&mut self, other: &Histogram) {
        if self.0.is_empty() {
            self.0 = other.0.clone();
            return;
        }
        let mut out = Vec::with_capacity(self.0.len() + other.0.len());
        let (mut i, mut j) = (0, 0);
        while i < self.0.len() || j < other.0.len() {
            match (self.0.get(i), other.0.get(j)) {
                (Some(a), Some(b)) if a.0 == b.0 => {
                    out.push((a.0, a.1 + b.1));
                    i += 1;
                    j += 1;
                }
                (Some(a), Some(b)) if a.0 < b.0 => {
                    out.push(*a);
                    i += 1;
                }
                (Some(a), None) => {
                    out.push(*a);
                    i += 1;
                }
                (_, Some(b)) => {
                    out.push(*b);
                    j += 1;
                }
                (None, None) => break,
            }
        }
        self.0 = out;
    }

    /// Durations whose bucket's representative value is at least `ms` milliseconds.
    pub fn count_at_least_ms(&self, ms: f64) -> u64 {
        self.0
            .iter()
            .filter(|&&(b, _)| Histogram::value_us(b) / 1000.0 >= ms)
            .map(|e| e.1)
            .sum()
    }

    /// The `q` quantile (0 < q ≤ 1) in milliseconds, `None` when empty: the representative
    /// value of the bucket holding the ⌈q·n⌉-th duration.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        let n = self.count();
        if n == 0 {
            return None;
        }
        let rank = ((q * n as f64).ceil() as u64).clamp(1, n);
        let mut seen = 0;
        for &(b, c) in &self.0 {
            seen += c;
            if seen >= rank {
                return Some(Histogram::value_us(b) / 1000.0);
            }
        }
        None
    }
}

impl Serialize for Histogram {
    /// Flat `[bucket, count, bucket, count, ...]`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().flat_map(|&(b, n)| [u64::from(b), n]))
    }
}

impl<'de> Deserialize<'de> for Histogram {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Histogram, D::Error> {
        let flat = Vec::<u64>::deserialize(d)?;
        if flat.len() % 2 != 0 {
            return Err(serde::de::Error::custom("histogram: odd number of values"));
        }
        let mut h = Histogram::default();
        for p in flat.chunks(2) {
            let b = u8::try_from(p[0])
                .map_err(|_| serde::de::Error::custom("histogram: bad bucket"))?;
            h.add(b, p[1]);
        }
        Ok(h)
    }
}

/// A bounded list of the most frequent keys (Space-Saving: when full, a new key takes the
/// place of the least frequent one and inherits its count, so counts may be over, never
/// under, and a key more frequent than 1/cap of the total is always kept).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TopK(Vec<(String, u64)>);

impl TopK {
    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Counts `key` `n` times, keeping at most `cap` keys.
    pub fn add(&mut self, key: &str, n: u64, cap: usize) {
        if let Some(e) = self.0.iter_mut().find(|e| e.0 == key) {
            e.1 += n;
            return;
        }
        if self.0.len() < cap {
            self.0.push((key.to_string(), n));
            return;
        }
        // The least frequent (ties: the greatest key) makes room.
        if let Some(i) = (0..self.0.len()).min_by(|&a, &b| {
            let (x, y) = (&self.0[a], &self.0[b]);
            x.1.cmp(&y.1).then(y.0.cmp(&x.0))
        }) {
            let min = self.0[i].1;
            self.0[i] = (key.to_string(), min + n);
        }
    }

    /// Adds another list (in its ranked order, so the result does not depend on how the
    /// other was built).
    pub fn merge(&mut self, other: &TopK, cap: usize) {
        for (k, n) in other.ranked() {
            self.add(k, n, cap);
        }
    }

    /// (key, count), most frequent first, ties by key.
    pub fn ranked(&self) -> Vec<(&str, u64)> {
        let mut v: Vec<(&str, u64)> = self.0.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v
    }
}

/// One UTC minute of one access log.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MinuteTraffic {
    /// Unix seconds / 60.
    pub minute: i64,
    /// Requests.
    pub requests: u32,
    /// Requests per status class (`1xx` ... `5xx`).
    pub by_class: [u32; 5],
    /// Failed requests (5xx, or no status and a server-failure flag).
    pub failed: u32,
    /// Requests whose client went away (not failures).
    pub client_closed: u32,
    /// The first failed request's millisecond within the minute (0–59,999).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_failed_ms: Option<u32>,
    /// The last failed request's millisecond within the minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failed_ms: Option<u32>,
    /// Durations.
    #[serde(default, skip_serializing_if = "Histogram::is_empty")]
    pub durations: Histogram,
    /// Failed requests' paths (query dropped).
    #[serde(default, skip_serializing_if = "TopK::is_empty")]
    pub paths: TopK,
    /// Failed requests' upstreams.
    #[serde(default, skip_serializing_if = "TopK::is_empty")]
    pub upstreams: TopK,
    /// Flags (other than "normal") of any request.
    #[serde(default, skip_serializing_if = "TopK::is_empty")]
    pub flags: TopK,
}

impl MinuteTraffic {
    /// The minute's 99th percentile duration in milliseconds (`None`: no duration).
    /// A latency jump above the usual p99 is user impact without a single error.
    pub fn p99_ms(&self) -> Option<f64> {
        self.durations.quantile_ms(0.99)
    }

    /// The minute's median duration in milliseconds.
    pub fn p50_ms(&self) -> Option<f64> {
        self.durations.quantile_ms(0.5)
    }

    /// Adds another count of the same minute.
    pub fn merge(&mut self, o: &MinuteTraffic) {
        self.requests += o.requests;
        for (a, b) in self.by_class.iter_mut().zip(o.by_class) {
            *a += b;
        }
        self.failed += o.failed;
        self.client_closed += o.client_closed;
        self.first_failed_ms = min_opt(self.first_failed_ms, o.first_failed_ms);
        self.last_failed_ms = self.last_failed_ms.max(o.last_failed_ms);
        self.durations.merge(&o.durations);
        self.paths.merge(&o.paths, TOP_MINUTE);
        self.upstreams.merge(&o.upstreams, TOP_MINUTE);
        self.flags.merge(&o.flags, TOP_MINUTE);
    }
}

fn min_opt(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// One access log's traffic.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FileTraffic {
    /// The layout's id.
    pub layout: String,
    /// Requests (lines the layout read).
    pub requests: u64,
    /// Requests without a time (not in any minute).
    #[serde(default)]
    pub undated: u64,
    /// Requests per status class.
    pub by_class: [u64; 5],
    /// Failed requests.
    pub failed: u64,
    /// Requests whose client went away.
    pub client_closed: u64,
    /// Lines of the file the layout did not read (a controller's own log lines, junk).
    #[serde(default)]
    pub other_lines: u64,
    /// Durations.
    #[serde(default)]
    pub durations: Histogram,
    /// Failed requests' paths (query dropped), at most [`TOP_FILE`].
    #[serde(default)]
    pub paths: TopK,
    /// Failed requests' upstreams.
    #[serde(default)]
    pub upstreams: TopK,
    /// Flags of any request.
    #[serde(default)]
    pub flags: TopK,
    /// Per minute, by minute.
    #[serde(default)]
    pub minutes: Vec<MinuteTraffic>,
}

/// Timed requests a minute needs before its p99 is judged (the p99 of three requests is
/// their maximum: one slow call, not user impact).
pub const MIN_TIMED: u32 = 10;
/// Judged minutes a log needs for a latency baseline (a short capture has none).
pub const MIN_BASELINE_MINUTES: usize = 10;
/// A request is slow at this many times the log's baseline p99 ...
pub const SLOW_FACTOR: f64 = 3.0;
/// ... and at least this many milliseconds above it (a 2 ms → 7 ms jump is no user impact).
pub const SLOW_MIN_JUMP_MS: f64 = 50.0;

impl FileTraffic {
    /// The log's latency baseline (the median of the p99 of its minutes with at least
    /// [`MIN_TIMED`] timed requests: robust to slow minutes as long as they are fewer than
    /// half) and the slow threshold T = max([`SLOW_FACTOR`] × baseline, baseline +
    /// [`SLOW_MIN_JUMP_MS`]), in ms. `None` with fewer than [`MIN_BASELINE_MINUTES`] judged
    /// minutes. Both the slow-window finding and the detector's slowness signal use it.
    pub fn slow_threshold_ms(&self) -> Option<(f64, f64)> {
        let mut p99s: Vec<f64> = self
            .minutes
            .iter()
            .filter(|m| m.durations.count() >= u64::from(MIN_TIMED))
            .filter_map(|m| m.p99_ms())
            .collect();
        if p99s.len() < MIN_BASELINE_MINUTES {
            return None;
        }
        p99s.sort_by(f64::total_cmp);
        let n = p99s.len();
        let base = if n % 2 == 1 {
            p99s[n / 2]
        } else {
            (p99s[n / 2 - 1] + p99s[n / 2]) / 2.0
        };
        Some((base, (SLOW_FACTOR * base).max(base + SLOW_MIN_JUMP_MS)))
    }

    /// Adds a later chunk of the same file (or any other count: minutes are merged by
    /// minute).
    pub fn merge(&mut self, o: FileTraffic) {
        if self.layout.is_empty() {
            self.layout = o.layout.clone();
        }
        self.requests += o.requests;
        self.undated += o.undated;
        for (a, b) in self.by_class.iter_mut().zip(o.by_class) {
            *a += b;
        }
        self.failed += o.failed;
        self.client_closed += o.client_closed;
        self.other_lines += o.other_lines;
        self.durations.merge(&o.durations);
        self.paths.merge(&o.paths, TOP_FILE);
        self.upstreams.merge(&o.upstreams, TOP_FILE);
        self.flags.merge(&o.flags, TOP_FILE);
        if self.minutes.is_empty() {
            self.minutes = o.minutes;
        } else if !o.minutes.is_empty() {
            let mut all = std::mem::take(&mut self.minutes);
            all.extend(o.minutes);
            self.minutes = normalise(all);
        }
    }

    /// The file's `q` quantile duration in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        self.durations.quantile_ms(q)
    }

    /// Moves every minute by `f` (a file re-timed after the scan: an inferred zone, a
    /// settled year, a corrected skew), minutes kept sorted and each once.
    pub fn remap_minutes(&mut self, f: impl Fn(i64) -> i64) {
        let mut runs = std::mem::take(&mut self.minutes);
        for m in &mut runs {
            m.minute = f(m.minute);
        }
        self.minutes = normalise(runs);
    }

    /// (minute, p99 in ms) for every minute with durations: the slowness signal.
    pub fn p99_series(&self) -> impl Iterator<Item = (i64, f64)> + '_ {
        self.minutes
            .iter()
            .filter_map(|m| m.p99_ms().map(|p| (m.minute, p)))
    }
}

/// Minutes sorted, each once (runs of one minute merged in their order).
fn normalise(mut runs: Vec<MinuteTraffic>) -> Vec<MinuteTraffic> {
    runs.sort_by_key(|m| m.minute); // stable: equal minutes keep their order
    let mut out: Vec<MinuteTraffic> = Vec::with_capacity(runs.len());
    for m in runs {
        match out.last_mut() {
            Some(last) if last.minute == m.minute => last.merge(&m),
            _ => out.push(m),
        }
    }
    out
}

/// Builds one chunk's [`FileTraffic`].
pub struct Builder {
    t: FileTraffic,
    runs: Vec<MinuteTraffic>,
    /// The current run's durations, dense while the minute lasts.
    dense: Box<[u32; BUCKETS]>,
    mask: [u64; 4],
    file_dense: Box<[u64; BUCKETS]>,
}

impl Builder {
    /// An empty count for a file of `layout`.
    pub fn new(layout: &str) -> Builder {
        Builder {
            t: FileTraffic {
                layout: layout.to_string(),
                ..FileTraffic::default()
            },
            runs: Vec::new(),
            dense: Box::new([0; BUCKETS]),
            mask: [0; 4],
            file_dense: Box::new([0; BUCKETS]),
        }
    }

    /// A line of the file that is not a request.
    #[inline]
    pub fn other_line(&mut self) {
        self.t.other_lines += 1;
    }

    /// Counts one request whose outcome is `o` ([`Layout::outcome`]). `minute`: its UTC
    /// minute (`None`: undated); `failed_ms`: for a failed request, its millisecond within
    /// the minute (when the stamp is read).
    pub fn add(
        &mut self,
        layout: &Layout,
        req: &Request,
        o: Outcome,
        minute: Option<i64>,
        failed_ms: Option<u32>,
    ) {
        let t = &mut self.t;
        t.requests += 1;
        if let Some(c) = o.class {
            t.by_class[c] += 1;
        }
        t.failed += u64::from(o.failed);
        t.client_closed += u64::from(o.client_closed);
        let bucket = req.duration_us.map(Histogram::bucket);
        if let Some(b) = bucket {
            self.file_dense[b as usize] += 1;
        }
        let run = match minute {
            Some(m) => Some(self.run_for(m)),
            None => {
                self.t.undated += 1;
                None
            }
        };
        if let Some(i) = run {
            let r = &mut self.runs[i];
            r.requests += 1;
            if let Some(c) = o.class {
                r.by_class[c] += 1;
            }
            r.client_closed += u32::from(o.client_closed);
            if o.failed {
                r.failed += 1;
                r.first_failed_ms = min_opt(r.first_failed_ms, failed_ms);
                r.last_failed_ms = r.last_failed_ms.max(failed_ms);
            }
            if let Some(b) = bucket {
                self.dense[b as usize] += 1;
                self.mask[b as usize / 64] |= 1 << (b % 64);
            }
        }
        // Rare: flags that are not "normal", and what a failed request touched.
        let mut flags_seen = false;
        layout.for_each_flag(req, |_, _| flags_seen = true);
        if flags_seen {
            let (t, runs) = (&mut self.t, &mut self.runs);
            layout.for_each_flag(req, |f, _| {
                let f = String::from_utf8_lossy(f);
                t.flags.add(&f, 1, TOP_FILE);
                if let Some(i) = run {
                    runs[i].flags.add(&f, 1, TOP_MINUTE);
                }
            });
        }
        if o.failed {
            // A TCP log (HAProxy `tcplog`) has no path: no `-` among the failing paths.
            let path = (!req.path().is_empty()).then(|| request_path_text(req));
            if let Some(path) = &path {
                self.t.paths.add(path, 1, TOP_FILE);
            }
            let up = String::from_utf8_lossy(req.upstream);
            if !up.is_empty() {
                self.t.upstreams.add(&up, 1, TOP_FILE);
            }
            if let Some(i) = run {
                if let Some(path) = &path {
                    self.runs[i].paths.add(path, 1, TOP_MINUTE);
                }
                if !up.is_empty() {
                    self.runs[i].upstreams.add(&up, 1, TOP_MINUTE);
                }
            }
        }
    }

    /// The index of the run counting `minute` (a new run when the minute changed).
    #[inline]
    fn run_for(&mut self, minute: i64) -> usize {
        match self.runs.last() {
            Some(r) if r.minute == minute => self.runs.len() - 1,
            _ => {
                self.flush();
                self.runs.push(MinuteTraffic {
                    minute,
                    ..MinuteTraffic::default()
                });
                self.runs.len() - 1
            }
        }
    }

    /// Moves the current run's dense durations into its sparse histogram.
    fn flush(&mut self) {
        let Some(r) = self.runs.last_mut() else {
            return;
        };
        for (w, word) in self.mask.iter_mut().enumerate() {
            while *word != 0 {
                let bit = word.trailing_zeros() as usize;
                *word &= *word - 1;
                let b = w * 64 + bit;
                r.durations.add(b as u8, u64::from(self.dense[b]));
                self.dense[b] = 0;
            }
        }
    }

    /// The chunk's traffic.
    pub fn finish(mut self) -> FileTraffic {
        self.flush();
        for (b, &n) in self.file_dense.iter().enumerate() {
            if n > 0 {
                self.t.durations.add(b as u8, n);
            }
        }
        self.t.minutes = normalise(self.runs);
        self.t
    }
}

/// A request's path as text (JSON escapes undone, invalid UTF-8 replaced, `-` when none).
pub fn request_path_text(req: &Request) -> String {
    let p = req.path();
    if p.is_empty() {
        return "-".into();
    }
    if req.target_escaped {
        let mut out = Vec::with_capacity(p.len());
        super::json::unescape_into(p, &mut out);
        // An escaped `?` (`\u003f`) ends the path too.
        let end = out
            .iter()
            .position(|c| *c == b'?' || *c == b'#')
            .unwrap_or(out.len());
        return String::from_utf8_lossy(&out[..end]).into_owned();
    }
    String::from_utf8_lossy(p).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_monotone_and_tight() {
        let mut last = 0u8;
        for us in [
            0u64,
            1,
            7,
            8,
            15,
            16,
            17,
            100,
            1_000,
            1_500,
            60_000_000,
            u64::MAX,
        ] {
            let b = Histogram::bucket(us);
            assert!(b >= last, "{us}");
            last = b;
        }
        for us in (16..5_000_000u64).step_by(997) {
            let v = Histogram::value_us(Histogram::bucket(us));
            assert!(
                (v - us as f64).abs() <= us as f64 * 0.0625 + 0.5,
                "{us} → {v}"
            );
        }
    }

    proptest::proptest! {
        /// Quantiles from the histogram are within a bucket's half-width of the exact ones,
        /// and merging two halves gives the histogram of the whole.
        #[test]
        fn quantiles_within_bucket_error(mut v in proptest::collection::vec(16u64..100_000_000, 1..300), cut in 0usize..300) {
            let mut all = Histogram::default();
            let (mut a, mut b) = (Histogram::default(), Histogram::default());
            for (i, &x) in v.iter().enumerate() {
                all.add(Histogram::bucket(x), 1);
                if i < cut { a.add(Histogram::bucket(x), 1) } else { b.add(Histogram::bucket(x), 1) }
            }
            a.merge(&b);
            proptest::prop_assert_eq!(&a, &all);
            v.sort_unstable();
            for q in [0.5, 0.99] {
                let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
                let exact = v[rank - 1] as f64 / 1000.0;
                let got = all.quantile_ms(q).unwrap();
                proptest::prop_assert!((got - exact).abs() <= exact * 0.0625 + 0.001, "{} vs {}", got, exact);
            }
        }

        /// A key more frequent than 1/cap of all counts is always in the top list, and no
        /// count is under the true one.
        #[test]
        fn top_list_keeps_heavy_hitters(keys in proptest::collection::vec(0u8..40, 1..400)) {
            let cap = 8;
            let mut t = TopK::default();
            let mut exact = std::collections::BTreeMap::new();
            for k in &keys {
                t.add(&k.to_string(), 1, cap);
                *exact.entry(k.to_string()).or_insert(0u64) += 1;
            }
            let ranked = t.ranked();
            for (k, n) in &exact {
                if *n * cap as u64 > keys.len() as u64 {
                    let got = ranked.iter().find(|e| e.0 == k);
                    proptest::prop_assert!(got.is_some_and(|g| g.1 >= *n), "{} ×{} missing", k, n);
                }
            }
        }
    }

    #[test]
    fn p99_series_shows_a_latency_jump() {
        let mk = |minute: i64, ms: &[u64]| {
            let mut m = MinuteTraffic {
                minute,
                ..Default::default()
            };
            for &x in ms {
                m.durations.add(Histogram::bucket(x * 1000), 1);
                m.requests += 1;
            }
            m
        };
        let f = FileTraffic {
            minutes: vec![
                mk(10, &[20; 100]),
                mk(11, &[]),
                mk(12, &[20, 20, 3000, 3100]),
            ],
            ..Default::default()
        };
        let s: Vec<(i64, f64)> = f.p99_series().collect();
        assert_eq!(s.len(), 2);
        assert!((s[0].1 - 20.0).abs() < 1.3, "{s:?}");
        assert!(s[1].1 > 2900.0 && s[1].1 < 3300.0, "{s:?}");
        let p50 = f.minutes[2].p50_ms().unwrap();
        assert!((p50 - 20.0).abs() <= 20.0 * 0.0625, "{p50}");
    }

    #[test]
    fn minutes_merge_by_minute_and_round_trip() {
        let m = |minute, failed, first, last| MinuteTraffic {
            minute,
            requests: 10,
            failed,
            first_failed_ms: first,
            last_failed_ms: last,
            ..Default::default()
        };
        let mut a = FileTraffic {
            layout: "x".into(),
            requests: 20,
            minutes: vec![m(5, 1, Some(30_000), Some(30_000)), m(7, 0, None, None)],
            ..Default::default()
        };
        let b = FileTraffic {
            requests: 20,
            minutes: vec![
                m(7, 2, Some(1_500), Some(59_999)),
                m(5, 1, Some(12_345), Some(20_000)),
            ],
            ..Default::default()
        };
        a.merge(b);
        assert_eq!(a.requests, 40);
        assert_eq!(a.minutes.len(), 2);
        assert_eq!(
            (
                a.minutes[0].requests,
                a.minutes[0].first_failed_ms,
                a.minutes[0].last_failed_ms
            ),
            (20, Some(12_345), Some(30_000))
        );
        assert_eq!(a.minutes[1].failed, 2);
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<FileTraffic>(&json).unwrap(), a);
    }
}

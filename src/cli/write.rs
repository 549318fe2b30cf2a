//! Writing reports: the formats, `-o` files and prefixes, terminal colors and the progress
//! bar. Used by `cli` (the only module that prints).
//!
//! - Several `--format`s at once need `-o PREFIX`; each lands in `PREFIX.<ext>` (a known
//!   extension on the prefix is dropped: `-o out.md` → `out.md`, `out.html`).
//! - Colors: text only; `--color auto` colors on a terminal unless `NO_COLOR` is set or
//!   `TERM=dumb` (anstream's rules, which also honour `CLICOLOR_FORCE`); files get colors
//!   only with `--color always`.
//! - Progress: an indicatif bar on stderr, only when stderr is a terminal, `CI` is unset,
//!   and the scan has run for more than [`PROGRESS_DELAY`]; cleared before the report.

use crate::analysis::incidents::Clusters;
use crate::config::ScanConfig;
use crate::report::{self, Report};
use crate::scan::ScanOutput;
use crate::time::Zone;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A report format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum ReportFormat {
    /// Human-readable timeline (default).
    Text,
    /// The JSON contract.
    Json,
    /// A postmortem section in Markdown (with a Mermaid timeline).
    #[value(alias = "md")]
    Markdown,
    /// One self-contained HTML page (inline CSS and SVG, no network).
    Html,
    /// One ECS JSON object per hit and per incident.
    Ndjson,
    /// JUnit XML: a test case per incident, failing per --fail-on (CI test reports).
    Junit,
}

impl ReportFormat {
    /// File extension used with an `-o` prefix.
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Text => "txt",
            ReportFormat::Json => "json",
            ReportFormat::Markdown => "md",
            ReportFormat::Html => "html",
            ReportFormat::Ndjson => "ndjson",
            ReportFormat::Junit => "xml",
        }
    }

    /// Does the format show input checksums (so they must be computed)?
    pub fn needs_hashes(self) -> bool {
        matches!(self, ReportFormat::Markdown | ReportFormat::Html)
    }
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always, even into pipes and files.
    Always,
    /// Never.
    Never,
}

/// Where each format goes: `None` = stdout. Errors name the problem for `--format`/`-o`.
pub fn destinations(
    formats: &[ReportFormat],
    output: Option<&Path>,
) -> Result<Vec<(ReportFormat, Option<PathBuf>)>, String> {
    let mut fs: Vec<ReportFormat> = Vec::new();
    for f in formats {
        if !fs.contains(f) {
            fs.push(*f);
        }
    }
    match (fs.len(), output) {
        (0, _) => Ok(vec![(ReportFormat::Text, output.map(Path::to_path_buf))]),
        (1, o) => Ok(vec![(fs[0], o.map(Path::to_path_buf))]),
        (_, None) => Err(
            "several formats need -o PREFIX (each is written to PREFIX.txt, .json, .md, .html, .ndjson, .xml)"
                .into(),
        ),
        (_, Some(prefix)) => {
            let mut base = prefix.as_os_str().to_os_string();
            if let Some(ext) = prefix.extension().and_then(|e| e.to_str()) {
                let known = ["txt", "json", "md", "html", "ndjson", "xml"];
                if known.contains(&ext) {
                    base = prefix.with_extension("").into_os_string();
                }
            }
            Ok(fs
                .iter()
                .map(|f| {
                    let mut p = base.clone();
                    p.push(".");
                    p.push(f.extension());
                    (*f, Some(PathBuf::from(p)))
                })
                .collect())
        }
    }
}

/// Everything a renderer may need.
pub struct RenderInput<'a> {
    /// The report.
    pub report: &'a Report<'a>,
    /// Display zone.
    pub display: &'a Zone,
    /// Configuration (catalog).
    pub cfg: &'a ScanConfig,
    /// Scan output (NDJSON lists every hit).
    pub scan: &'a ScanOutput,
    /// Clusters (NDJSON tags hits with their incident).
    pub clusters: &'a Clusters,
    /// What fails the run under `--fail-on` (JUnit marks it as failing tests).
    pub gate: &'a report::gate::Gate,
}

/// Renders one format (text without colors).
pub fn render(f: ReportFormat, i: &RenderInput<'_>) -> String {
    match f {
        // Safety net for the terminal: every line of the plain text goes through the
        // (idempotent) escaper before colors are added, so no field (a file or directory
        // name, a rules-file title) can carry a raw control sequence to the terminal.
        ReportFormat::Text => report::to_text(i.report, i.display, &i.cfg.catalog)
            .lines()
            .map(|l| report::escape_control(l) + "\n")
            .collect(),
        ReportFormat::Json => report::to_json(i.report),
        ReportFormat::Markdown => report::markdown::to_markdown(i.report, i.display),
        ReportFormat::Html => report::html::to_html(i.report, i.display),
        ReportFormat::Ndjson => {
            report::ndjson::to_ndjson(i.report, i.scan, i.clusters, &i.cfg.catalog)
        }
        ReportFormat::Junit => report::junit::to_junit(i.report, i.display, &i.cfg.catalog, i.gate),
    }
}

fn choice(c: ColorWhen) -> anstream::ColorChoice {
    match c {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    }
}

/// Writes every requested format to its destination. Files are written whole or not at
/// all ([`Output`](super::atomic::Output)): each goes to a temporary file first, and the set
/// is renamed into place only once every one of them was written and flushed.
pub fn write_all(
    dests: &[(ReportFormat, Option<PathBuf>)],
    input: &RenderInput<'_>,
    color: ColorWhen,
) -> anyhow::Result<()> {
    let mut done = Vec::new();
    for (f, dest) in dests {
        if *f == ReportFormat::Json {
            // Streamed, not rendered to a string first (see `report::write_json`).
            match dest {
                Some(p) => {
                    let mut out = super::atomic::Output::create(p)?;
                    report::write_json(input.report, &mut out)
                        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?;
                    done.push(out);
                }
                None => report::write_json(input.report, std::io::stdout().lock())?,
            }
            continue;
        }
        let mut text = render(*f, input);
        let styled = *f == ReportFormat::Text && color != ColorWhen::Never;
        if styled {
            text = report::colorize(&text);
        }
        match dest {
            Some(p) => {
                if styled {
                    // Colors kept or stripped as for a file (`--color always` keeps them).
                    let mut w = anstream::AutoStream::new(Vec::new(), choice(color));
                    w.write_all(text.as_bytes())?;
                    text = String::from_utf8_lossy(&w.into_inner()).into_owned();
                }
                let mut out = super::atomic::Output::create(p)?;
                out.write_all(text.as_bytes())
                    .and_then(|_| out.flush())
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?;
                done.push(out);
            }
            None => {
                let stdout = std::io::stdout().lock();
                let mut w: Box<dyn Write> = if styled {
                    Box::new(anstream::AutoStream::new(stdout, choice(color)))
                } else {
                    Box::new(stdout)
                };
                w.write_all(text.as_bytes())?;
                w.flush()?;
            }
        }
    }
    for out in done {
        out.commit()?;
    }
    Ok(())
}

/// How long a scan runs before the progress bar appears.
pub const PROGRESS_DELAY: Duration = Duration::from_millis(500);

/// A progress bar on stderr for the scan, shown only on a terminal and only when the scan
/// takes a while. Drop or [`Progress::finish`] clears it.
pub struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    /// Is a progress bar allowed here (stderr a terminal, not CI, not a dumb terminal)?
    pub fn allowed() -> bool {
        std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none()
            && std::env::var("TERM").map_or(true, |t| t != "dumb")
    }

    /// Starts watching [`crate::scan::SCANNED_BYTES`] against the total size: `known`
    /// bytes plus the sizes of `unstated` files, which discovery did not `stat` (see
    /// `discover`); those are read on the bar's own thread once the bar is due, so a scan
    /// that ends sooner, or runs without a terminal, never pays for them.
    pub fn start(known: u64, unstated: Vec<std::path::PathBuf>, enabled: bool) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        if !enabled {
            return Progress { stop, thread: None };
        }
        let base = crate::scan::SCANNED_BYTES.load(Ordering::Relaxed);
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            // The scan starts now: rates are measured from here, not from when the bar
            // appears (which made the first frame read "12.39 TiB/s": everything scanned
            // during the delay, divided by the time since the bar was made).
            let t0 = std::time::Instant::now();
            while t0.elapsed() < PROGRESS_DELAY {
                if flag.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            let mut total = known;
            for (i, p) in unstated.iter().enumerate() {
                if i % 1024 == 0 && flag.load(Ordering::Relaxed) {
                    return;
                }
                total += std::fs::metadata(p).map_or(0, |m| m.len());
            }
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(total.max(1)),
                indicatif::ProgressDrawTarget::hidden(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "scanning {bar:30} {bytes}/{total_bytes} {msg}",
            ) {
                bar.set_style(style);
            }
            let mut rate = RateWindow::new(t0);
            let mut shown = false;
            while !flag.load(Ordering::Relaxed) {
                let done = crate::scan::SCANNED_BYTES
                    .load(Ordering::Relaxed)
                    .saturating_sub(base);
                // Decompressed .gz content can exceed the on-disk total.
                if done > total {
                    total = done;
                    bar.set_length(done);
                }
                // The message first: the position draws the frame.
                bar.set_message(rate.line(std::time::Instant::now(), done, total));
                bar.set_position(done);
                if !shown {
                    // Hidden until both are set, so no frame goes out without its rate.
                    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                    shown = true;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            bar.finish_and_clear();
        });
        Progress {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops and clears the bar.
    pub fn finish(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The progress bar's rate and ETA: bytes over the last [`RateWindow::SPAN`] of the scan
/// (from the scan's start until the scan is that old), so the rate is true on the first
/// frame and follows a scan that speeds up or slows down (small files, then big ones).
struct RateWindow {
    start: std::time::Instant,
    samples: std::collections::VecDeque<(std::time::Instant, u64)>,
}

impl RateWindow {
    /// How far back the rate looks.
    const SPAN: Duration = Duration::from_secs(5);

    fn new(start: std::time::Instant) -> RateWindow {
        RateWindow {
            start,
            samples: std::collections::VecDeque::from([(start, 0)]),
        }
    }

    /// The text after the bar: `1.20 GiB/s, eta 14s`.
    fn line(&mut self, now: std::time::Instant, done: u64, total: u64) -> String {
        self.samples.push_back((now, done));
        while self.samples.len() > 2 && self.samples[1].0 + Self::SPAN <= now {
            self.samples.pop_front();
        }
        let (t_old, d_old) = self.samples[0];
        rate_line(
            now.duration_since(t_old).as_secs_f64(),
            done.saturating_sub(d_old),
            now.duration_since(self.start).as_secs_f64(),
            done,
            total,
        )
    }
}

/// Seconds of scan before an ETA is shown: the first second is dominated by opening files
/// and faulting in maps, and an ETA from it ("eta 0s" on the first frame) misleads.
const ETA_AFTER_SECS: f64 = 2.0;

/// The rate over a window of `window_secs` in which `window_bytes` were scanned, and the
/// ETA for the rest once the scan is [`ETA_AFTER_SECS`] old and has made progress.
fn rate_line(window_secs: f64, window_bytes: u64, elapsed: f64, done: u64, total: u64) -> String {
    if window_secs < 0.2 {
        return "measuring…".into();
    }
    let rate = window_bytes as f64 / window_secs;
    let rate_text = format!("{}/s", indicatif::HumanBytes(rate as u64));
    if elapsed < ETA_AFTER_SECS || done == 0 || rate < 1.0 {
        return format!("{rate_text}, eta …");
    }
    let secs = (total.saturating_sub(done) as f64 / rate).ceil() as u64;
    let eta = match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m {:02}s", secs / 60, secs % 60),
        _ => format!("{}h {:02}m", secs / 3600, secs % 3600 / 60),
    };
    format!("{rate_text}, eta {eta}")
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_rate_is_true_from_the_first_frame() {
        // The first frame, 0.5 s into a scan at 200 MB/s: that rate, and no ETA yet.
        let first = rate_line(0.5, 100_000_000, 0.5, 100_000_000, 1_000_000_000);
        assert_eq!(first, "190.73 MiB/s, eta …");
        // Later: the ETA is the rest at the window's rate.
        let later = rate_line(5.0, 1_000_000_000, 8.0, 1_600_000_000, 2_600_000_000);
        assert_eq!(later, "190.73 MiB/s, eta 5s");
        assert!(rate_line(0.1, 1, 0.1, 1, 10).starts_with("measuring"));
        assert!(rate_line(5.0, 0, 9.0, 0, 10).ends_with("eta …"));
        assert!(rate_line(5.0, 5, 600.0, 10, 10_000).ends_with("eta 2h 46m"));
    }

    #[test]
    fn progress_window_slides() {
        let t0 = std::time::Instant::now();
        let mut w = RateWindow::new(t0);
        let s = |x: u64| t0 + Duration::from_secs(x);
        // 10 MB/s for 10 s, then 1 MB/s: after 10 more seconds the rate is the new one.
        for k in 1..=10 {
            w.line(s(k), k * 10_000_000, 1 << 40);
        }
        for k in 11..=20 {
            w.line(s(k), 100_000_000 + (k - 10) * 1_000_000, 1 << 40);
        }
        let line = w.line(s(21), 111_000_000, 1 << 40);
        assert!(line.starts_with("976.56 KiB/s"), "{line}");
    }

    #[test]
    fn prefixes() {
        let d = destinations(&[ReportFormat::Json], None).unwrap();
        assert_eq!(d, vec![(ReportFormat::Json, None)]);
        let d = destinations(&[ReportFormat::Markdown], Some(Path::new("x.txt"))).unwrap();
        assert_eq!(
            d,
            vec![(ReportFormat::Markdown, Some(PathBuf::from("x.txt")))]
        );
        assert!(destinations(&[ReportFormat::Json, ReportFormat::Html], None).is_err());
        let d = destinations(
            &[ReportFormat::Junit, ReportFormat::Json],
            Some(Path::new("ci/out.xml")),
        )
        .unwrap();
        assert_eq!(
            d[0],
            (ReportFormat::Junit, Some(PathBuf::from("ci/out.xml")))
        );
        assert_eq!(
            d[1],
            (ReportFormat::Json, Some(PathBuf::from("ci/out.json")))
        );
        let d = destinations(
            &[
                ReportFormat::Markdown,
                ReportFormat::Html,
                ReportFormat::Markdown,
            ],
            Some(Path::new("out/pm.md")),
        )
        .unwrap();
        assert_eq!(
            d,
            vec![
                (ReportFormat::Markdown, Some(PathBuf::from("out/pm.md"))),
                (ReportFormat::Html, Some(PathBuf::from("out/pm.html"))),
            ]
        );
    }
}

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
            "several formats need -o PREFIX (each is written to PREFIX.txt, .json, .md, .html, .ndjson)"
                .into(),
        ),
        (_, Some(prefix)) => {
            let mut base = prefix.as_os_str().to_os_string();
            if let Some(ext) = prefix.extension().and_then(|e| e.to_str()) {
                let known = ["txt", "json", "md", "html", "ndjson"];
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
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "scanning {bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            ) {
                bar.set_style(style);
            }
            while !flag.load(Ordering::Relaxed) {
                let done = crate::scan::SCANNED_BYTES
                    .load(Ordering::Relaxed)
                    .saturating_sub(base);
                // Decompressed .gz content can exceed the on-disk total.
                if done > total {
                    bar.set_length(done);
                }
                bar.set_position(done);
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

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

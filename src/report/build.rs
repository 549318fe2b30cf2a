//! Building the [`Report`] from the analysis: incidents (signature or template roots,
//! culprits from host evidence), warnings, the file rows, markers, background, the summary
//! counts and the templates list.
//!
//! Input: scan output, clusters, the configuration, discovery problems and the socket
//! report. Output: a [`Report`] that borrows the per-file texts from the scan output. The
//! file rows are built on every thread while the findings are computed (`rayon::join`).
//! [`hash_inputs`] fills `files[].sha256` afterwards (for the Markdown and HTML reports).

use super::{
    Background, CulpritOut, ExampleOut, FileOut, FirstSeen, HitOut, IncidentOut, MarkerOut, Report,
    RootCause, Summary, TemplateOut, TemplateRef, Tool, SCHEMA,
};
use crate::analysis::incidents::Clusters;
use crate::catalog::{Catalog, Role};
use crate::config::ScanConfig;
use crate::input::discover::Problem;
use crate::scan::{Hit, ScanOutput};
use crate::time::rfc3339;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Builds the report.
pub fn build<'a>(
    scan: &'a ScanOutput,
    clusters: &Clusters,
    cfg: &ScanConfig,
    problems: &[Problem],
    sockets: crate::evidence::sockets::SocketsReport,
) -> Report<'a> {
    let cat: &Catalog = &cfg.catalog;
    let hit_out = |h: &Hit| HitOut {
        time: h.time.expect("dated"),
        service: scan.files[h.file as usize].service.to_string(),
        signature: cat.signatures[h.sig as usize].id.clone(),
        path: scan.files[h.file as usize].path.clone(),
        line: h.line,
        text: h.excerpt.to_string(),
    };
    let analysis = &clusters.templates;
    let warnings = build_warnings(scan, problems);
    let (files, findings) = rayon::join(
        || build_files(scan, problems),
        || crate::analysis::findings::compute(scan, clusters, cat, &cfg.access, &cfg.tz),
    );
    let series = findings
        .recurrence
        .as_ref()
        .map(|r| r.incidents.clone())
        .unwrap_or_default();
    let mut incidents = build_incidents(scan, clusters, cat, &sockets, &series, &hit_out);
    for (out, inc) in incidents.iter_mut().zip(&clusters.incidents) {
        out.why = super::detector::why(inc, clusters, cat);
    }
    let isolated = super::detector::isolated(clusters, scan, cat, &|i| hit_out(&scan.hits[i]));
    let chronic = super::detector::chronic(clusters, cat);
    let detector = super::detector::detector(&clusters.detection);
    let markers = clusters
        .markers
        .iter()
        .map(|&(i, count)| MarkerOut {
            hit: hit_out(&scan.hits[i]),
            count,
        })
        .collect();
    let background = clusters
        .background
        .iter()
        .map(|(&s, &n)| Background {
            signature: cat.signatures[s as usize].id.clone(),
            hits: n,
        })
        .collect();
    let summary = build_summary(scan, &incidents, &files);
    Report {
        schema: SCHEMA,
        tool: Tool {
            name: "faultscope",
            version: env!("CARGO_PKG_VERSION"),
        },
        assumed_timezone: cfg.tz.to_string(),
        timezone_reason: reason_id(cfg.tz_reason).to_string(),
        gap_seconds: cfg.gap.num_seconds(),
        summary,
        incidents,
        markers,
        isolated,
        chronic,
        detector,
        findings,
        generated_at: None,
        background,
        files,
        sockets,
        undated_hits: clusters.undated.len() as u64,
        warnings,
        error: None,
        templates: templates_out(scan, analysis),
        clock: Default::default(),
    }
}

/// The incidents as the report shows them: a signature root with its chain, evidence,
/// next checks and culprit, or an unknown template's burst ([`template_incident`]).
fn build_incidents(
    scan: &ScanOutput,
    clusters: &Clusters,
    cat: &Catalog,
    sockets: &crate::evidence::sockets::SocketsReport,
    series: &[usize],
    hit_out: &dyn Fn(&Hit) -> HitOut,
) -> Vec<IncidentOut> {
    let analysis = &clusters.templates;
    let template_ref = |b: usize| {
        let burst = &analysis.bursts[b];
        let t = &analysis.templates[burst.template];
        TemplateRef {
            id: t.id.clone(),
            text: t.text.clone(),
            exception: t.exception.clone(),
            count: burst.count,
            background: burst.background,
            first: burst.start,
            last: burst.end,
        }
    };
    clusters
        .incidents
        .iter()
        .map(|inc| {
            match inc.kind {
                crate::analysis::incidents::RootKind::Template => {
                    return template_incident(scan, inc, analysis, &template_ref);
                }
                crate::analysis::incidents::RootKind::Slowness => return slow_incident(scan, inc),
                crate::analysis::incidents::RootKind::Signature => {}
            }
            let root = &cat.signatures[inc.root as usize];
            IncidentOut {
                chain: inc
                    .chain
                    .iter()
                    .map(|&s| cat.signatures[s as usize].id.clone())
                    .collect(),
                signatures: inc
                    .counts
                    .iter()
                    .map(|(&s, &n)| (cat.signatures[s as usize].id.clone(), n))
                    .collect(),
                evidence: inc
                    .evidence
                    .iter()
                    .map(|&i| hit_out(&scan.hits[i]))
                    .collect(),
                next_checks: root.next.clone(),
                culprit: culprit_for(inc, &clusters.incidents, series, cat, sockets),
                new_templates: inc.bursts.iter().map(|&b| template_ref(b)).collect(),
                ..frame(
                    inc,
                    RootCause {
                        signature: root.id.clone(),
                        category: root.category.clone(),
                        title: root.title.clone(),
                        layer: root.layer,
                        means: root.means.clone(),
                        restart: inc.restart.map(|i| hit_out(&scan.hits[i])),
                        kind: "signature",
                        template: None,
                    },
                )
            }
        })
        .collect()
}

/// Warnings (also printed on stderr): discovery notes, skipped files, file notes,
/// ambiguous zone abbreviations and files whose stamps no format reads.
fn build_warnings(scan: &ScanOutput, problems: &[Problem]) -> Vec<String> {
    let mut warnings = Vec::new();
    for p in problems.iter().filter(|p| p.note) {
        warnings.push(p.error.message.clone());
    }
    for f in &scan.files {
        if let Some(s) = &f.skipped {
            warnings.push(s.clone());
        }
        warnings.extend(f.notes.iter().cloned());
        for (abbr, (line, n)) in &f.ambiguous {
            let cands = crate::time::ambiguous_abbrev(abbr).unwrap_or("several zones");
            warnings.push(format!(
                "{}:{line}: zone abbreviation `{abbr}` is ambiguous ({cands}); {n} record(s) left undated. \
                 Fix with --tz-alias {abbr}=<zone>, e.g. {}",
                f.path,
                crate::time::abbrev_examples(abbr)
            ));
        }
        if f.format.is_none() && f.hits > 0 && f.dated_records == 0 {
            warnings.push(format!(
                "{}: no timestamp format recognised; its {} hit(s) are undated",
                f.path, f.hits
            ));
        }
    }
    warnings
}

/// The `files[]` rows, sorted by path. One row per file (100,000 on the bench's small-files
/// corpus): built on every thread into one reservation while the findings are computed, the
/// fixed vocabularies (format, zone reason, access, kind) as static strings and the texts
/// borrowed from the scan.
fn build_files<'a>(scan: &'a ScanOutput, problems: &[Problem]) -> Vec<FileOut<'a>> {
    use rayon::prelude::*;
    let mut files: Vec<FileOut> = Vec::with_capacity(problems.len() + scan.files.len());
    for p in problems.iter().filter(|p| !p.note) {
        files.push(FileOut {
            path: p.path.display().to_string().into(),
            service: "",
            format: None,
            zone: "",
            zone_reason: None,
            access: None,
            sha256: None,
            bytes: 0,
            lines: 0,
            records: 0,
            dated_records: 0,
            first: None,
            last: None,
            hits: 0,
            levels: Default::default(),
            http: None,
            error: Some(p.error.message.clone()),
            skipped: None,
            kind: "log",
        });
    }
    files.par_extend(scan.files.par_iter().map(|f| {
        let all_explicit = f.explicit_offsets && !f.naive_stamps;
        FileOut {
            path: f.path.as_str().into(),
            service: &f.service,
            format: f.format.map(|x| x.id()),
            zone: if all_explicit { "explicit" } else { &f.zone },
            zone_reason: if all_explicit {
                Some("explicit")
            } else {
                f.zone_reason.map(reason_id)
            },
            access: f.access.map(|a| a.as_str()),
            sha256: None,
            bytes: f.bytes,
            lines: f.lines,
            records: f.records,
            dated_records: f.dated_records,
            first: f.first,
            last: f.last,
            hits: f.hits,
            levels: f.levels,
            http: f.http.as_deref().map(super::HttpOut::of),
            error: f.error.as_ref().map(|e| e.message.clone()),
            skipped: f.skipped.clone(),
            kind: f.dump.map_or("log", |k| k.as_str()),
        }
    }));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// The summary counts: incidents, downtime, files read and with errors, hits, first and last
/// record.
fn build_summary(scan: &ScanOutput, incidents: &[IncidentOut], files: &[FileOut]) -> Summary {
    let read_files = scan.files.iter().filter(|f| f.access.is_some()).count();
    Summary {
        incidents: incidents.len(),
        total_downtime_seconds: incidents.iter().map(|i| i.duration_seconds).sum(),
        files_scanned: read_files,
        files_with_errors: files.iter().filter(|f| f.error.is_some()).count(),
        hits: scan.hits.len(),
        first: scan.files.iter().filter_map(earliest).min(),
        last: scan.files.iter().filter_map(latest).max(),
    }
}

/// A file's earliest record: its first record, unless its per-minute counts hold an earlier
/// minute (an unordered file, a clock that stepped back): then that minute. The header's
/// "logs from … to …" is earliest → latest, not the files' order.
fn earliest(f: &crate::scan::FileScan) -> Option<DateTime<Utc>> {
    let by_minute = f
        .minutes
        .iter()
        .next()
        .and_then(|(m, _)| DateTime::from_timestamp(m.checked_mul(60)?, 0));
    match (f.first, by_minute) {
        (Some(a), Some(b)) if b.timestamp() / 60 < a.timestamp().div_euclid(60) => Some(b),
        (Some(a), _) => Some(a),
        (None, b) => b,
    }
}

/// A file's latest record: its last record, unless its per-minute counts hold a later
/// minute (then the start of that minute).
fn latest(f: &crate::scan::FileScan) -> Option<DateTime<Utc>> {
    let by_minute = f
        .minutes
        .iter()
        .last()
        .and_then(|(m, _)| DateTime::from_timestamp(m.checked_mul(60)?, 0));
    match (f.last, by_minute) {
        (Some(a), Some(b)) if b.timestamp() / 60 > a.timestamp().div_euclid(60) => Some(b),
        (Some(a), _) => Some(a),
        (None, b) => b,
    }
}

/// The templates list: by count (most first), then id.
pub fn templates_out(
    scan: &ScanOutput,
    analysis: &crate::analysis::templates::Analysis,
) -> Vec<TemplateOut> {
    let mut out: Vec<TemplateOut> = analysis
        .templates
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let ex = &t.example;
            let f = &scan.files[ex.file as usize];
            TemplateOut {
                id: t.id.clone(),
                text: t.text.clone(),
                level: t.level,
                exception: t.exception.clone(),
                count: t.count,
                first: t.first,
                last: t.last,
                services: t.services.clone(),
                example: ExampleOut {
                    path: f.path.clone(),
                    line: ex.line,
                    text: ex.excerpt().to_string(),
                },
                bursts: analysis.bursts.iter().filter(|b| b.template == i).count(),
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));
    out
}

/// An incident opened by an unknown template's burst.
fn template_incident(
    scan: &ScanOutput,
    inc: &crate::analysis::incidents::Incident,
    analysis: &crate::analysis::templates::Analysis,
    template_ref: &dyn Fn(usize) -> TemplateRef,
) -> IncidentOut {
    let root_burst = &analysis.bursts[inc.bursts[0]];
    let root = &analysis.templates[root_burst.template];
    let rec_out = |rec: &crate::record::level::LevelRecord, template: usize| {
        let f = &scan.files[rec.file as usize];
        HitOut {
            time: rec.time.expect("dated"),
            service: f.service.to_string(),
            signature: analysis.templates[template].id.clone(),
            path: f.path.clone(),
            line: rec.line,
            text: rec.excerpt().to_string(),
        }
    };
    // Evidence: the root's first record per service (at most two), then the other
    // templates' first records.
    let mut evidence: Vec<HitOut> = Vec::new();
    // (A service's first record in the burst is among the files' firsts.)
    for r in &root_burst.firsts {
        let svc = &scan.files[r.file as usize].service;
        if evidence.len() < 2 && !evidence.iter().any(|e| *e.service == **svc) {
            evidence.push(rec_out(r, root_burst.template));
        }
    }
    for &b in inc.bursts.iter().skip(1) {
        if evidence.len() < 3 {
            let burst = &analysis.bursts[b];
            evidence.push(rec_out(&burst.firsts[0], burst.template));
        }
    }
    let mut signatures = BTreeMap::new();
    for &b in &inc.bursts {
        let burst = &analysis.bursts[b];
        *signatures
            .entry(analysis.templates[burst.template].id.clone())
            .or_default() += burst.count;
    }
    let window = (root_burst.end - root_burst.start).num_seconds();
    IncidentOut {
        chain: inc
            .bursts
            .iter()
            .map(|&b| analysis.templates[analysis.bursts[b].template].id.clone())
            .collect(),
        signatures,
        evidence,
        next_checks: vec![
            format!(
                "read the example records around {} (faultscope templates lists every template)",
                rfc3339(inc.start)
            ),
            "add a signature for it with --rules so the next outage names it".into(),
        ],
        new_templates: inc.bursts.iter().skip(1).map(|&b| template_ref(b)).collect(),
        ..frame(
            inc,
    RootCause {
                signature: root.id.clone(),
                category: "unknown-error".into(),
                title: root.text.clone(),
                layer: None,
                means: format!(
                    "An error no catalog signature knows burst: {} records in {}s, against {} in the rest of the logs.",
                    root_burst.count,
                    window,
                    root_burst.background
                ),
                restart: None,
                kind: "template",
                template: Some(template_ref(inc.bursts[0])),
            },
        )
    }
}

/// An incident's fields every kind of root cause fills alike (time, severity, services, the
/// first service to fail), the root cause given, and the rest empty for the caller to fill.
fn frame(inc: &crate::analysis::incidents::Incident, root_cause: RootCause) -> IncidentOut {
    IncidentOut {
        id: inc.id,
        start: inc.start,
        end: inc.end,
        duration_seconds: (inc.end - inc.start).num_seconds(),
        severity: inc.severity,
        root_cause,
        chain: Vec::new(),
        signatures: BTreeMap::new(),
        services: inc.services.clone(),
        first_seen: FirstSeen {
            service: inc.first_seen.0.clone(),
            time: inc.first_seen.1,
        },
        evidence: Vec::new(),
        next_checks: Vec::new(),
        culprit: None,
        new_templates: Vec::new(),
        why: Vec::new(),
    }
}

/// An incident of slowness alone (issue 19): requests slowed down and no failure names a
/// cause. The root cause states the latency against the access logs' own baseline.
fn slow_incident(scan: &ScanOutput, inc: &crate::analysis::incidents::Incident) -> IncidentOut {
    let (lo, hi) = (
        inc.start.timestamp().div_euclid(60),
        inc.end.timestamp().div_euclid(60),
    );
    // The worst minute's p99 in the window, and the baseline of the log it is in.
    let mut peak: Option<(f64, f64, String)> = None;
    for f in scan
        .files
        .iter()
        .filter(|f| inc.services.contains(&f.service.to_string()))
    {
        let Some(h) = &f.http else { continue };
        let Some((base, _)) = h.slow_threshold_ms() else {
            continue;
        };
        for (m, p) in h.p99_series() {
            if (lo..=hi).contains(&m) && peak.as_ref().is_none_or(|x| p > x.0) {
                peak = Some((p, base, f.path.clone()));
            }
        }
    }
    let (title, means) = match &peak {
        Some((p, base, path)) => (
            format!("Requests slowed down: p99 {p:.0} ms against a baseline of {base:.0} ms"),
            format!(
                "{path}: the share of requests slower than the log's own threshold jumped well above its \
                 baseline, with no failure a catalog signature or an unknown error names. Users waited; \
                 the cause is upstream of the access log (a saturated pool, GC pauses, a slow dependency)."
            ),
        ),
        None => (
            "Requests slowed down".into(),
            "The share of slow requests in the access logs jumped well above its baseline, with no failure a catalog signature or an unknown error names.".into(),
        ),
    };
    IncidentOut {
        next_checks: vec![
            "the slowest paths and upstreams of the window (findings: traffic)".into(),
            format!(
                "the upstream services' logs around {}: pool waits, GC pauses, slow queries",
                rfc3339(inc.start)
            ),
        ],
        ..frame(
            inc,
            RootCause {
                signature: "slow-requests".into(),
                category: "slowness".into(),
                title,
                layer: Some(8),
                means,
                restart: None,
                kind: "slowness",
                template: None,
            },
        )
    }
}

/// How far from an incident a host dump still describes it (a TIME_WAIT pile lives for
/// minutes, a dump an hour away describes another state of the host).
pub const DUMP_NEAR_SECONDS: i64 = 3600;

/// Joins host evidence to an incident: when its chain holds a port-exhaustion signature,
/// the top culprit of the snapshot closest in time names who holds the ports (the step
/// the founding case's engineer never got to). The snapshot must be captured within
/// [`DUMP_NEAR_SECONDS`] of the incident, or of another incident of the same recurring
/// series (`series`: the recurrence finding's incidents) with the same root cause, and its
/// OS must fit the root cause (a Linux `ss` dump does not explain WSAENOBUFS).
fn culprit_for(
    inc: &crate::analysis::incidents::Incident,
    all: &[crate::analysis::incidents::Incident],
    series: &[usize],
    cat: &Catalog,
    sockets: &crate::evidence::sockets::SocketsReport,
) -> Option<CulpritOut> {
    use crate::evidence::sockets::DumpKind;
    let exhaustion: Vec<&crate::catalog::Signature> = inc
        .chain
        .iter()
        .map(|&s| &cat.signatures[s as usize])
        .filter(|s| s.has_role(Role::PortExhaustion))
        .collect();
    if exhaustion.is_empty() {
        return None;
    }
    let root_os = cat.signatures[inc.root as usize].os.or_else(|| {
        inc.chain
            .iter()
            .map(|&s| &cat.signatures[s as usize])
            .find(|s| s.has_role(Role::PortExhaustion))
            .and_then(|s| s.os)
    });
    let os_fits = |k: DumpKind| {
        !matches!(
            (root_os, k),
            (
                Some(crate::catalog::Os::Windows),
                DumpKind::NetstatLinux | DumpKind::Ss
            ) | (Some(crate::catalog::Os::Linux), DumpKind::NetstatWindows)
        )
    };
    let distance = |i: &crate::analysis::incidents::Incident, t: Option<DateTime<Utc>>| match t {
        Some(t) if t >= i.start && t <= i.end => 0,
        Some(t) => (t - i.start)
            .num_seconds()
            .abs()
            .min((t - i.end).num_seconds().abs()),
        None => i64::MAX,
    };
    // The incidents whose time a dump may be near: this one, and those of its recurring
    // series with the same root cause.
    let kin: Vec<&crate::analysis::incidents::Incident> = std::iter::once(inc)
        .chain(all.iter().filter(|o| {
            o.id != inc.id
                && series.contains(&inc.id)
                && series.contains(&o.id)
                && o.kind == inc.kind
                && o.root == inc.root
        }))
        .collect();
    let near =
        |t: Option<DateTime<Utc>>| kin.iter().map(|i| distance(i, t)).min().unwrap_or(i64::MAX);
    let snap = sockets
        .snapshots
        .iter()
        .filter(|s| !s.culprits.is_empty() && os_fits(s.kind))
        // A dump of another OS than the exhaustion's errno texts is no evidence for it.
        .filter(|s| exhaustion.iter().any(|sig| sig.fits_os(s.kind.os())))
        .filter(|s| near(s.time) <= DUMP_NEAR_SECONDS)
        .min_by_key(|s| (distance(inc, s.time), s.path.clone()))?;
    let top = snap.culprits.first()?;
    Some(CulpritOut {
        sentence: crate::evidence::sockets::culprit_sentence(top, snap.ephemeral_range),
        snapshot: snap.path.clone(),
        snapshot_time: snap.time,
        culprit: top.clone(),
    })
}

fn reason_id(r: crate::time::ZoneReason) -> &'static str {
    r.id()
}

/// Fills `files[].sha256` with the SHA-256 of each readable input file as stored (a `.gz`
/// is hashed compressed, as `sha256sum` would), files in parallel.
pub fn hash_inputs(r: &mut Report) {
    use rayon::prelude::*;
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let hashes: Vec<Option<String>> = r
        .files
        .par_iter()
        .map(|f| {
            f.access.as_ref()?;
            let mut file = std::fs::File::open(&*f.path).ok()?;
            let mut h = Sha256::new();
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = file.read(&mut buf).ok()?;
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
            }
            let mut hex = String::with_capacity(64);
            for b in h.finalize() {
                let _ = write!(hex, "{b:02x}");
            }
            Some(hex)
        })
        .collect();
    for (f, h) in r.files.iter_mut().zip(hashes) {
        f.sha256 = h;
    }
}

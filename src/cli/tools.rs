//! The other subcommands: `templates` (the unknown-error templates of a scan), `inspect`
//! (how each file's stamps are read), `sockets` (saved netstat/ss/tasklist/ps dumps alone)
//! and `signatures` (the catalog).

use super::args::{InspectArgs, OutputFormat, ScanArgs, SignaturesArgs, SocketsArgs};
use super::resolve::{flag_err, load_catalog, parse_range, resolve, split_eq};
use super::{EXIT_CLEAN, EXIT_TROUBLE};
use crate::config::{ScanConfig, ZoneFor};
use crate::input::discover::{self, DiscoverOptions};
use crate::input::InputOptions;
use crate::time::{Zone, ZoneReason};
use crate::{report, scan};
use globset::Glob;
use std::io::Write;

pub(super) fn run_templates(a: ScanArgs) -> anyhow::Result<i32> {
    if a.shard.is_some() || a.emit.is_some() {
        return Err(flag_err(
            if a.shard.is_some() {
                "--shard"
            } else {
                "--emit"
            },
            "belongs to `faultscope scan` (merge the partials, then read the report's templates)"
                .into(),
        ));
    }
    let cfg = resolve(&a)?;
    let display_flag = match &a.report.display_tz {
        Some(z) => Some(Zone::parse(z).map_err(|e| flag_err("--display-tz", e))?),
        None => None,
    };
    if cfg.threads > 0 {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(cfg.threads)
            .build_global();
    }
    let disc = crate::input::stream::discover_all(&cfg.roots, &cfg.discover);
    for p in disc.problems.iter().filter(|p| !p.note) {
        eprintln!(
            "faultscope: error: {}",
            report::escape_control(&p.error.message)
        );
    }
    let mut out = scan::scan(&disc.sources, &cfg);
    for f in &out.files {
        if let Some(e) = &f.error {
            eprintln!("faultscope: error: {}", report::escape_control(&e.message));
        }
    }
    // Zones and clocks settled as `scan` settles them, so the templates' times agree.
    let clock =
        crate::analysis::clock::settle(&mut out, (&cfg.tz, cfg.tz_reason), a.report.correct_skew);
    for w in &clock.warnings {
        eprintln!("faultscope: warning: {}", report::escape_control(w));
    }
    let display = display_flag.unwrap_or_else(|| {
        clock
            .effective
            .as_ref()
            .map_or_else(|| cfg.tz.clone(), |(z, _)| z.clone())
    });
    let analysis = crate::analysis::templates_with_bursts(&out, &cfg);
    let templates = report::templates_out(&out, &analysis);
    let json = a
        .report
        .format
        .iter()
        .any(|f| matches!(f, crate::cli::write::ReportFormat::Json));
    let rendered = match if json {
        OutputFormat::Json
    } else {
        OutputFormat::Text
    } {
        OutputFormat::Json => {
            let v = serde_json::json!({
                "schema": "faultscope-templates/1",
                "records": out.unknown.records(),
                "templates": templates,
            });
            format!("{}\n", serde_json::to_string_pretty(&v)?)
        }
        OutputFormat::Text => {
            let day = |t: chrono::DateTime<chrono::Utc>| display.format(t, "%Y-%m-%d %H:%M:%S");
            let mut o = format!(
                "faultscope: {} templates from {} error/warning records no signature matched (times in {display})\n",
                templates.len(),
                out.unknown.records()
            );
            for t in &templates {
                o.push_str(&report::template_line(t, &day));
                o.push('\n');
                o.push_str(&format!(
                    "             e.g. {}:{}  {}\n",
                    t.example.path,
                    t.example.line,
                    report::escape_control(t.example.text.trim())
                        .chars()
                        .take(120)
                        .collect::<String>()
                ));
            }
            o
        }
    };
    match &a.report.output {
        Some(p) => {
            let mut out = super::atomic::Output::create(p)?;
            out.write_all(rendered.as_bytes())
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?;
            out.commit()?;
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(rendered.as_bytes())?;
            stdout.flush()?;
        }
    }
    let read_any = out.files.iter().any(|f| f.access.is_some());
    Ok(if read_any { EXIT_CLEAN } else { EXIT_TROUBLE })
}

pub(super) fn run_inspect(a: InspectArgs) -> anyhow::Result<i32> {
    let mut cfg = ScanConfig::new(a.paths.clone())?;
    cfg.discover.follow = a.follow;
    cfg.discover.globs = discover::Globs::new(&a.glob).map_err(|e| flag_err("--glob", e))?;
    cfg.year = a.year;
    if let Some(z) = &a.tz {
        cfg.tz = Zone::parse(z).map_err(|e| flag_err("--tz", e))?;
        cfg.tz_reason = ZoneReason::Flag;
    }
    for s in &a.tz_for {
        let (g, z) = split_eq("--tz-for", s)?;
        cfg.tz_for.push(ZoneFor {
            glob: Glob::new(g)
                .map_err(|e| flag_err("--tz-for", format!("`{g}`: {e}")))?
                .compile_matcher(),
            zone: Zone::parse(z).map_err(|e| flag_err("--tz-for", e))?,
        });
    }
    for s in &a.tz_alias {
        let (abbr, z) = split_eq("--tz-alias", s)?;
        cfg.tz_alias.insert(
            abbr.to_string(),
            Zone::parse(z).map_err(|e| flag_err("--tz-alias", e))?,
        );
    }
    let disc = discover::discover(&cfg.roots, &cfg.discover);
    for p in &disc.problems {
        let kind = if p.note { "note" } else { "error" };
        eprintln!(
            "faultscope: {kind}: {}",
            report::escape_control(&p.error.message)
        );
    }
    let opts = crate::inspect::InspectOptions {
        records: a.records,
        gaps: a.gaps,
    };
    let files = crate::inspect::inspect(&disc.sources, &cfg, &opts);
    if a.records || a.format == OutputFormat::Json {
        // The text rendering shows them in each file's block; these outputs cannot.
        for w in crate::inspect::warnings(&files) {
            eprintln!("faultscope: warning: {}", report::escape_control(&w));
        }
    }
    let rendered = if a.records {
        crate::inspect::to_ndjson(&files)
    } else {
        match a.format {
            OutputFormat::Json => crate::inspect::to_json(&files),
            OutputFormat::Text => crate::inspect::to_text(&files),
        }
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(rendered.as_bytes())?;
    stdout.flush()?;
    let read_any = files.iter().any(|f| f.lines > 0 || f.error.is_none());
    Ok(if read_any && !disc.sources.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_TROUBLE
    })
}

pub(super) fn run_sockets(a: SocketsArgs) -> anyhow::Result<i32> {
    let tz = match &a.tz {
        Some(z) => Zone::parse(z).map_err(|e| flag_err("--tz", e))?,
        None => Zone::local(),
    };
    let range = match &a.ephemeral_range {
        Some(r) => Some(parse_range(r).map_err(|e| flag_err("--ephemeral-range", e))?),
        None => None,
    };
    let disc = discover::discover(&a.paths, &DiscoverOptions::default());
    let mut trouble = false;
    for p in disc.problems.iter().filter(|p| !p.note) {
        eprintln!("faultscope: error: {}", p.error.message);
        trouble = true;
    }
    let mut inputs = Vec::new();
    for src in &disc.sources {
        let shown = src.path.display().to_string();
        match crate::input::open(&src.path, &InputOptions::default()) {
            Ok(Ok(opened)) => {
                let text = String::from_utf8_lossy(&opened.bytes).into_owned();
                if crate::evidence::sockets::sniff(&text).is_some() {
                    inputs.push(crate::evidence::sockets::DumpInput {
                        path: shown,
                        text,
                        mtime: src.mtime.map(chrono::DateTime::<chrono::Utc>::from),
                    });
                } else {
                    eprintln!(
                        "faultscope: warning: {shown}: not a netstat/ss/tasklist/ps dump, skipped"
                    );
                }
            }
            Ok(Err(skip)) => eprintln!("faultscope: warning: {}", skip.into_note()),
            Err(e) => {
                eprintln!("faultscope: error: {e}");
                trouble = true;
            }
        }
    }
    let reference = inputs.iter().filter_map(|d| d.mtime).max();
    let report = crate::evidence::sockets::analyze(
        &inputs,
        &crate::evidence::sockets::SocketConfig {
            ephemeral_range: range,
        },
        tz.offset_at(reference.unwrap_or(chrono::DateTime::UNIX_EPOCH)),
    );
    let mut stdout = std::io::stdout().lock();
    match a.format {
        OutputFormat::Json => {
            let v = serde_json::json!({"schema": "faultscope-sockets/1", "sockets": report});
            writeln!(stdout, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        OutputFormat::Text => {
            // Dump text is untrusted input (process names): escape per line.
            for line in crate::evidence::sockets::render_text(&report).lines() {
                writeln!(stdout, "{}", report::escape_control(line))?;
            }
        }
    }
    if inputs.is_empty() {
        eprintln!("faultscope: error: no netstat/ss/tasklist/ps dump found in the given paths");
        return Ok(EXIT_TROUBLE);
    }
    Ok(if trouble { EXIT_TROUBLE } else { EXIT_CLEAN })
}

pub(super) fn run_signatures(a: SignaturesArgs) -> anyhow::Result<i32> {
    let cat = load_catalog(&a.rules)?;
    cat.compile()?;
    let chosen = cat
        .select(&a.stack, &a.category)
        .map_err(|e| anyhow::anyhow!(e))?;
    let mut stdout = std::io::stdout().lock();
    if a.export_patterns {
        for s in &chosen {
            for p in &s.patterns {
                writeln!(stdout, "{p}")?;
            }
        }
        return Ok(EXIT_CLEAN);
    }
    match a.format {
        OutputFormat::Json => {
            let v = serde_json::json!({
                "schema": crate::catalog::SCHEMA,
                "signatures": chosen,
            });
            writeln!(stdout, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        OutputFormat::Text => {
            let width = |f: &dyn Fn(&crate::catalog::Signature) -> usize, min: usize| {
                chosen.iter().map(|s| f(s)).max().unwrap_or(min).max(min)
            };
            let w = width(&|s| s.id.len(), 2);
            let c = width(&|s| s.category.len(), 8);
            let k = width(&|s| s.stacks.join(",").len(), 6);
            writeln!(
                stdout,
                "{:<w$}  {:<c$}  {:<8}  LAYER  {:<k$}  TITLE",
                "ID", "CATEGORY", "SEVERITY", "STACKS"
            )?;
            for s in &chosen {
                writeln!(
                    stdout,
                    "{:<w$}  {:<c$}  {:<8}  {:<5}  {:<k$}  {}",
                    s.id,
                    s.category,
                    s.severity.as_str(),
                    s.layer.map_or("-".into(), |l| l.to_string()),
                    s.stacks.join(","),
                    s.title
                )?;
            }
        }
    }
    Ok(EXIT_CLEAN)
}

//! Zone hints: where a naive file sits beside files that state their offset, say so.
//!
//! Input: the scanned files (format, zone rule and the offsets their stamps carried), after
//! zone inference (`zones.rs`) moved the files it could. Output: warnings. A file whose
//! naive times are still read in a default zone (this machine's, or `TZ`), next to a file
//! with explicit non-zero offsets (the nginx error log beside the
//! access log's `+0800`), gets a warning offering that offset as the likely zone, with the
//! exact flag. Files in the same directory are preferred witnesses (same host); otherwise any
//! file of the scan. An ambiguous abbreviation whose candidates include that offset gets the
//! matching `--tz-alias`. `Z`/`+00:00` stamps are no witness: UTC is a convention, not a
//! host's zone.

use crate::scan::FileScan;
use crate::time::{ambiguous_candidates, Zone, ZoneReason};
use chrono::{FixedOffset, Utc};
use std::collections::BTreeMap;
use std::path::Path;

fn parent(p: &str) -> &Path {
    Path::new(p).parent().unwrap_or(Path::new(""))
}

fn fmt_off(secs: i32) -> String {
    FixedOffset::east_opt(secs).map_or_else(|| secs.to_string(), |o| o.to_string())
}

/// Likely-zone warnings for a scan.
pub fn likely_zone_warnings(files: &[FileScan]) -> Vec<String> {
    let mut out = Vec::new();
    type Entry<'a> = (&'a FileScan, Option<i32>, Vec<&'a str>, &'static str);
    let mut naive_hits: BTreeMap<i32, Vec<Entry<'_>>> = BTreeMap::new();
    let witnesses: Vec<&FileScan> = files
        .iter()
        .filter(|g| g.offsets.keys().any(|&o| o != 0))
        .collect();
    if witnesses.is_empty() {
        return out;
    }
    for f in files {
        if !f.zone_reason.is_some_and(ZoneReason::is_default)
            || (f.naive_count == 0 && f.ambiguous.is_empty())
        {
            continue;
        }
        let dir = parent(&f.path);
        let same: Vec<&FileScan> = witnesses
            .iter()
            .copied()
            .filter(|g| g.path != f.path && parent(&g.path) == dir)
            .collect();
        let (pool, place) = if same.is_empty() {
            (
                witnesses
                    .iter()
                    .copied()
                    .filter(|g| g.path != f.path)
                    .collect::<Vec<_>>(),
                "elsewhere in this scan",
            )
        } else {
            (same, "in the same directory")
        };
        let mut tally: BTreeMap<i32, u64> = BTreeMap::new();
        for g in &pool {
            for (&o, &n) in &g.offsets {
                if o != 0 {
                    *tally.entry(o).or_default() += n;
                }
            }
        }
        let Some((&off, _)) = tally.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))) else {
            continue;
        };
        let names: Vec<&str> = pool
            .iter()
            .filter(|g| g.offsets.contains_key(&off))
            .take(2)
            .map(|g| g.path.as_str())
            .collect();
        let who = names.join(" and ");
        let offs = fmt_off(off);
        if f.naive_count > 0 {
            let local = Zone::parse(&f.zone).ok().map(|z| {
                z.offset_at(f.first.unwrap_or_else(Utc::now))
                    .local_minus_utc()
            });
            if local != Some(off) {
                naive_hits
                    .entry(off)
                    .or_default()
                    .push((f, local, names.clone(), place));
            }
        }
        for abbr in f.ambiguous.keys() {
            if let Some((_, zone, what)) = ambiguous_candidates(abbr).iter().find(|c| c.0 == off) {
                out.push(format!(
                    "{}: `{abbr}` is likely {what} {offs} ({who} {place} writes {offs}): use --tz-alias {abbr}={zone}",
                    f.path
                ));
            }
        }
    }
    for (off, entries) in naive_hits {
        let offs = fmt_off(off);
        let mut who: Vec<&str> = entries.iter().flat_map(|e| e.2.iter().copied()).collect();
        who.sort_unstable();
        who.dedup();
        let verb = if who.len() == 1 { "writes" } else { "write" };
        let who = who
            .iter()
            .take(2)
            .copied()
            .collect::<Vec<_>>()
            .join(" and ");
        let (f, local, _, place) = &entries[0];
        let local = local.map_or("?".into(), fmt_off);
        if entries.len() == 1 {
            let name = Path::new(&f.path)
                .file_name()
                .map_or(f.path.clone(), |n| n.to_string_lossy().into_owned());
            out.push(format!(
                "{}: naive times were read in this machine's zone {} ({local}) by default, but {who} {place} {verb} explicit {offs}: \
                 if they come from the same host, the likely zone is {offs}: use --tz {offs} (or --tz-for '{name}={offs}' for this file only)",
                f.path, f.zone,
            ));
        } else {
            let mut paths: Vec<&str> = entries.iter().map(|e| e.0.path.as_str()).collect();
            let more = paths.len().saturating_sub(3);
            paths.truncate(3);
            let list = if more > 0 {
                format!("{} and {more} more", paths.join(", "))
            } else {
                paths.join(", ")
            };
            out.push(format!(
                "{} files with naive times ({list}) were read in this machine's zone {} ({local}) by default, but {who} {verb} explicit {offs}: \
                 if they come from the same host, the likely zone is {offs}: use --tz {offs}",
                entries.len(),
                f.zone,
            ));
        }
    }
    out
}

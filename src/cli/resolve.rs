//! Flag values into settings: [`resolve`] turns the raw `scan` arguments into the engine's
//! [`ScanConfig`] (catalog and `--rules`, `--gap`, zones, `--tz-for` globs, `--tz-alias`,
//! services, sizes, the ephemeral range), and the parsers the other subcommands share.
//!
//! Every error names its flag ([`flag_err`]): flag parsing fails once, up front.

use super::args::ScanArgs;
use crate::catalog::Catalog;
use crate::config::{ScanConfig, ZoneFor};
use crate::input::discover::{DiscoverOptions, Globs, ServiceRule};
use crate::input::{InputOptions, DEFAULT_MAX_DECOMPRESSED};
use crate::time::{parse_duration, Zone, ZoneReason};
use globset::Glob;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub(super) fn load_catalog(rules: &[PathBuf]) -> anyhow::Result<Catalog> {
    let mut cat = Catalog::builtin()?;
    for r in rules {
        cat.apply_rules_file(r)?;
    }
    Ok(cat)
}

/// Parses `49152-65535`.
pub fn parse_range(s: &str) -> Result<(u16, u16), String> {
    let (a, b) = s
        .split_once(['-', ':'])
        .ok_or_else(|| format!("`{s}`: expected LO-HI, e.g. 49152-65535"))?;
    let lo: u16 = a
        .trim()
        .parse()
        .map_err(|_| format!("`{a}` is not a port"))?;
    let hi: u16 = b
        .trim()
        .parse()
        .map_err(|_| format!("`{b}` is not a port"))?;
    if lo == 0 || lo > hi {
        return Err(format!("`{s}`: need 1 <= LO <= HI <= 65535"));
    }
    Ok((lo, hi))
}

/// Parses `512M`, `4G`, `1000`, `64KiB`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size (try 512M, 4G)"))?;
    let mult: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        "T" | "TB" | "TIB" => 1 << 40,
        _ => return Err(format!("`{s}`: unknown size unit (use K, M, G)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{s}` is too large"))
}

/// `--gap`: a duration with its unit. A bare number is refused rather than read as seconds:
/// `--gap 2` meant two minutes as often as two seconds, and the two give different timelines.
pub(super) fn parse_gap(s: &str) -> anyhow::Result<chrono::Duration> {
    let t = s.trim();
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(flag_err(
            "--gap",
            format!("`{t}` has no unit: did you mean `{t}s` or `{t}m`? (units: ms, s, m, h)"),
        ));
    }
    let gap = parse_duration(t).map_err(|e| flag_err("--gap", e))?;
    if gap <= chrono::Duration::zero() {
        return Err(flag_err("--gap", "must be positive".into()));
    }
    Ok(gap)
}

pub(super) fn flag_err(flag: &str, reason: String) -> anyhow::Error {
    crate::Error::Flag {
        flag: flag.to_string(),
        reason,
    }
    .into()
}

pub(super) fn split_eq<'a>(flag: &str, s: &'a str) -> anyhow::Result<(&'a str, &'a str)> {
    s.rsplit_once('=')
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .ok_or_else(|| flag_err(flag, format!("`{s}`: expected KEY=VALUE")))
}

/// Resolves raw scan arguments into the engine configuration.
pub(super) fn resolve(a: &ScanArgs) -> anyhow::Result<ScanConfig> {
    let catalog = load_catalog(&a.rules)?;
    let matcher = catalog.compile()?;
    let gap = parse_gap(&a.report.gap)?;
    let (tz, tz_reason) = match &a.tz {
        Some(z) => (
            Zone::parse(z).map_err(|e| flag_err("--tz", e))?,
            ZoneReason::Flag,
        ),
        None => crate::time::default_zone(),
    };
    let mut tz_for = Vec::new();
    for s in &a.tz_for {
        let (g, z) = split_eq("--tz-for", s)?;
        tz_for.push(ZoneFor {
            glob: Glob::new(g)
                .map_err(|e| flag_err("--tz-for", format!("`{g}`: {e}")))?
                .compile_matcher(),
            zone: Zone::parse(z).map_err(|e| flag_err("--tz-for", e))?,
        });
    }
    let mut tz_alias = BTreeMap::new();
    for s in &a.tz_alias {
        let (abbr, z) = split_eq("--tz-alias", s)?;
        tz_alias.insert(
            abbr.to_string(),
            Zone::parse(z).map_err(|e| flag_err("--tz-alias", e))?,
        );
    }
    let services = a
        .service
        .iter()
        .map(|s| {
            // A bare NAME names stdin (`kubectl logs … | faultscope scan --service api -`).
            let rule = if s.contains('=') {
                ServiceRule::parse(s)
            } else {
                ServiceRule::parse(&format!("{}={s}", crate::input::stream::STDIN_SHOWN))
            };
            rule.map_err(|e| flag_err("--service", e))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let max_decompressed = match &a.max_decompressed {
        Some(s) => parse_size(s).map_err(|e| flag_err("--max-decompressed", e))?,
        None => DEFAULT_MAX_DECOMPRESSED,
    };
    Ok(ScanConfig {
        roots: a.paths.clone(),
        discover: DiscoverOptions {
            follow: a.follow,
            services,
            globs: Globs::new(&a.glob).map_err(|e| flag_err("--glob", e))?,
        },
        input: InputOptions {
            mmap: a.mmap,
            max_decompressed,
        },
        threads: a.threads.unwrap_or(0),
        gap,
        tz,
        tz_reason,
        tz_for,
        tz_alias,
        chunk_size: crate::config::DEFAULT_CHUNK,
        catalog,
        matcher,
        debug: a.debug,
        year: a.year,
        sockets: a.sockets.clone(),
        ephemeral_range: match &a.ephemeral_range {
            Some(r) => Some(parse_range(r).map_err(|e| flag_err("--ephemeral-range", e))?),
            None => None,
        },
        max_hits: a.max_hits,
        path_prefix: a.path_prefix.clone().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512M").unwrap(), 512 << 20);
        assert_eq!(parse_size("4G").unwrap(), 4 << 30);
        assert_eq!(parse_size("1000").unwrap(), 1000);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("3X").is_err());
    }

    #[test]
    fn gaps_need_a_unit() {
        assert_eq!(parse_gap("90s").unwrap(), chrono::Duration::seconds(90));
        assert_eq!(parse_gap("2m").unwrap(), chrono::Duration::minutes(2));
        for bare in ["2", "0", "1.5"] {
            let e = format!("{:#}", parse_gap(bare).unwrap_err());
            assert!(e.contains(&format!("`{bare}s` or `{bare}m`")), "{e}");
        }
        assert!(parse_gap("0s").is_err());
    }
}

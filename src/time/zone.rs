//! Zones: the [`Zone`] naive times are read in (a fixed offset or an IANA zone with its DST
//! rules), the abbreviation tables, and the [`ZoneRule`] that turns a complete [`RawStamp`]
//! into an instant plus the provenance of its offset ([`ZoneReason`]: explicit / flag /
//! alias / default local), because a timeline is only as trustworthy as the zone assumption
//! under it.
//!
//! Input: `--tz`, `--tz-for` and `--tz-alias` values, and stamps whose year, date and clock
//! are complete. Output: [`Resolved`]: an instant and its reason, an unresolved ambiguous
//! abbreviation, or undated. The resolution order is timestamps.md §11: explicit offset →
//! alias table → unambiguous built-in abbreviation → the file's zone.
//!
//! Tricky cases:
//! - Ambiguous abbreviations (CST, IST, BST, ...) are never guessed: they need an alias, and
//!   [`Zone::parse`] refuses them as zones on purpose (`CST` is not a zone, timestamps.md §9).
//! - `Etc/GMT-8` is +08:00 (POSIX sign inversion): accepted, and the resolved offset is
//!   echoed in every report so a surprise is visible.
//! - DST folds take the earlier instant; times in a spring-forward gap are read with the
//!   offset in force just before it.

use super::bytes::{offset, var_digits};
use super::format::{Partial, RawStamp, StampZone};
use chrono::{DateTime, FixedOffset, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::fmt;

/// A zone faultscope can apply to naive times.
#[derive(Clone, Debug, PartialEq)]
pub enum Zone {
    /// A fixed offset (`+08:00`, `UTC`).
    Fixed(FixedOffset),
    /// An IANA zone with its DST rules (`Asia/Shanghai`, `Europe/Berlin`).
    Iana(Tz),
}

impl Zone {
    /// Parses `UTC`, `Z`, `+08:00`, `+0800`, `UTC+8`, `GMT-05:00` or an IANA name.
    /// Abbreviations are refused here on purpose: `CST` is not a zone (timestamps.md §9).
    pub fn parse(s: &str) -> Result<Zone, String> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("z") || t == "GMT" {
            return Ok(Zone::Fixed(FixedOffset::east_opt(0).expect("zero offset")));
        }
        for prefix in ["UTC", "GMT", ""] {
            if let Some(rest) = t.strip_prefix(prefix) {
                if let Some(off) = parse_offset_text(rest) {
                    return Ok(Zone::Fixed(off));
                }
            }
        }
        if let Ok(tz) = t.parse::<Tz>() {
            // POSIX sign inversion trap: `Etc/GMT-8` is +08:00. Accept it (it is valid) but
            // the resolved offset is echoed in every report so a surprise is visible.
            return Ok(Zone::Iana(tz));
        }
        if let Some(cands) = ambiguous_abbrev(t) {
            return Err(format!(
                "`{t}` is an ambiguous abbreviation ({cands}); give an offset such as +08:00 or an IANA name such as Asia/Shanghai"
            ));
        }
        Err(format!(
            "`{t}` is not a zone: use an offset (+08:00, -0500, UTC) or an IANA name (Asia/Shanghai)"
        ))
    }

    /// The machine's local zone: `TZ` when set (like every Unix tool), else the IANA name
    /// the OS tells, else the current offset.
    pub fn local() -> Zone {
        default_zone().0
    }

    /// Resolves a naive wall-clock reading. DST folds take the earlier instant; times in a
    /// spring-forward gap are shifted forward by the gap (timestamps.md §11).
    pub fn to_utc(&self, naive: NaiveDateTime) -> DateTime<Utc> {
        match self {
            Zone::Fixed(off) => {
                (naive - chrono::Duration::seconds(off.local_minus_utc() as i64)).and_utc()
            }
            Zone::Iana(tz) => match tz.from_local_datetime(&naive) {
                LocalResult::Single(t) => t.with_timezone(&Utc),
                LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
                LocalResult::None => {
                    // In a gap: read with the offset in force just before it.
                    let before = naive - chrono::Duration::hours(3);
                    let off = match tz.from_local_datetime(&before) {
                        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                            t.offset().fix().local_minus_utc()
                        }
                        LocalResult::None => 0,
                    };
                    (naive - chrono::Duration::seconds(off as i64)).and_utc()
                }
            },
        }
    }

    /// Offset in force at `utc` (for display).
    pub fn offset_at(&self, utc: DateTime<Utc>) -> FixedOffset {
        match self {
            Zone::Fixed(off) => *off,
            Zone::Iana(tz) => tz.offset_from_utc_datetime(&utc.naive_utc()).fix(),
        }
    }

    /// Renders an instant in this zone, RFC 3339 style with the local offset.
    pub fn format(&self, utc: DateTime<Utc>, fmt: &str) -> String {
        utc.with_timezone(&self.offset_at(utc))
            .format(fmt)
            .to_string()
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Zone::Fixed(off) if off.local_minus_utc() == 0 => f.write_str("UTC"),
            Zone::Fixed(off) => write!(f, "{off}"),
            Zone::Iana(tz) => f.write_str(tz.name()),
        }
    }
}

/// The zone naive times default to, and why: `TZ` when it is set (`TZ=Asia/Shanghai
/// faultscope …`, as every Unix tool reads it; an empty `TZ` is UTC, as in POSIX), else
/// this machine's zone (the IANA name the OS tells, else its current offset).
pub fn default_zone() -> (Zone, ZoneReason) {
    match std::env::var_os("TZ") {
        Some(v) => (
            tz_env(&v.to_string_lossy()).unwrap_or_else(local_offset),
            ZoneReason::TzEnv,
        ),
        None => (system_zone(), ZoneReason::DefaultLocal),
    }
}

/// The OS's zone, ignoring `TZ` (the `/etc/localtime` link, the registry on Windows).
fn system_zone() -> Zone {
    if let Ok(name) = iana_time_zone::get_timezone() {
        if let Ok(tz) = name.parse::<Tz>() {
            return Zone::Iana(tz);
        }
    }
    local_offset()
}

/// The current offset as the C library computes it (chrono reads `TZ` the same way).
fn local_offset() -> Zone {
    Zone::Fixed(chrono::Local::now().offset().fix())
}

/// Reads a `TZ` value: `Asia/Shanghai`, `:Asia/Shanghai`, `/usr/share/zoneinfo/Asia/Shanghai`,
/// `UTC`, `+08:00`, and POSIX `STDoffset[DST…]` such as `CST-8` (+08:00: POSIX offsets are
/// west-positive) or `EST5EDT` (a legacy IANA name). `None`: a POSIX rule with its own DST
/// dates (`CET-1CEST,M3.5.0,M10.5.0/3`), which the caller reads as the current offset.
pub fn tz_env(value: &str) -> Option<Zone> {
    let v = value.trim().trim_start_matches(':');
    if v.is_empty() {
        return Some(Zone::Fixed(FixedOffset::east_opt(0)?));
    }
    let v = match v.find("zoneinfo/") {
        Some(i) => &v[i + "zoneinfo/".len()..],
        None => v,
    };
    if let Ok(tz) = v.parse::<Tz>() {
        return Some(Zone::Iana(tz));
    }
    if let Some(z) = posix_tz(v) {
        return z;
    }
    Zone::parse(v).ok()
}

/// A POSIX `TZ` rule: `Some(Some(zone))` for `STDoffset` (`CST-8`, `UTC0`, `<+08>-8`; the
/// offset is west-positive, so `GMT+8` is -08:00 here, unlike `--tz GMT+8`),
/// `Some(None)` for a rule with a DST part, `None` when `v` is not POSIX-shaped.
fn posix_tz(v: &str) -> Option<Option<Zone>> {
    let b = v.as_bytes();
    let name_end = if b.first() == Some(&b'<') {
        v.find('>')? + 1
    } else {
        b.iter().take_while(|c| c.is_ascii_alphabetic()).count()
    };
    if name_end < 3 {
        return None;
    }
    let rest = &v[name_end..];
    let num_end = rest
        .bytes()
        .take_while(|c| c.is_ascii_digit() || matches!(c, b'+' | b'-' | b':'))
        .count();
    if num_end == 0 || !rest.as_bytes()[..num_end].iter().any(u8::is_ascii_digit) {
        return None;
    }
    let (num, dst) = rest.split_at(num_end);
    if !dst.is_empty() {
        return Some(None);
    }
    let (sign, digits) = match num.as_bytes()[0] {
        b'-' => (1, &num[1..]),
        b'+' => (-1, &num[1..]),
        _ => (-1, num),
    };
    let mut parts = digits.split(':');
    let h: i32 = parts.next()?.parse().ok()?;
    let m: i32 = match parts.next() {
        Some(m) => m.parse().ok()?,
        None => 0,
    };
    if h > 24 || m > 59 {
        return None;
    }
    Some(FixedOffset::east_opt(sign * (h * 3600 + m * 60)).map(Zone::Fixed))
}

fn parse_offset_text(s: &str) -> Option<FixedOffset> {
    let b = s.as_bytes();
    match b.first()? {
        b'+' | b'-' => {}
        _ => return None,
    }
    if let Some((off, used)) = offset(b, 0) {
        if used == b.len() {
            return Some(off);
        }
    }
    // `+8`, `-5`, `+5:30`
    let sign = if b[0] == b'-' { -1 } else { 1 };
    let (h, n) = var_digits(b, 1, 2)?;
    let mut m = 0;
    let mut used = 1 + n;
    if b.get(used) == Some(&b':') {
        let (mm, n2) = var_digits(b, used + 1, 2)?;
        m = mm;
        used += 1 + n2;
    }
    if used != b.len() || h > 15 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h as i32 * 3600 + m as i32 * 60))
}

/// Abbreviations with more than one real-world meaning (timestamps.md §9): never guessed.
pub fn ambiguous_abbrev(abbr: &str) -> Option<&'static str> {
    Some(match abbr {
        "CST" => "US Central -06:00, China +08:00, Cuba -05:00",
        "CDT" => "US Central daylight -05:00, Cuba daylight -04:00",
        "IST" => "India +05:30, Israel +02:00, Ireland +01:00",
        "BST" => "British Summer +01:00, Bangladesh +06:00",
        "AST" => "Atlantic -04:00, Arabia +03:00",
        "ADT" => "Atlantic daylight -03:00, Arabia",
        "GST" => "Gulf +04:00, South Georgia -02:00",
        "SST" => "Samoa -11:00, Singapore +08:00",
        "PST" => "US Pacific -08:00, Philippines +08:00",
        _ => return None,
    })
}

/// The candidate zones of an ambiguous abbreviation: (offset in seconds, a zone that fixes
/// it, what it is). Empty for unknown or unambiguous abbreviations.
pub fn ambiguous_candidates(abbr: &str) -> &'static [(i32, &'static str, &'static str)] {
    const H: i32 = 3600;
    match abbr {
        "CST" => &[
            (8 * H, "Asia/Shanghai", "China"),
            (-6 * H, "America/Chicago", "US Central"),
            (-5 * H, "America/Havana", "Cuba"),
        ],
        "CDT" => &[
            (-5 * H, "America/Chicago", "US Central daylight"),
            (-4 * H, "America/Havana", "Cuba daylight"),
        ],
        "IST" => &[
            (5 * H + 1800, "Asia/Kolkata", "India"),
            (2 * H, "Asia/Jerusalem", "Israel"),
            (H, "Europe/Dublin", "Ireland summer"),
        ],
        "BST" => &[
            (H, "Europe/London", "British Summer"),
            (6 * H, "Asia/Dhaka", "Bangladesh"),
        ],
        "AST" => &[
            (-4 * H, "America/Halifax", "Atlantic"),
            (3 * H, "Asia/Riyadh", "Arabia"),
        ],
        "ADT" => &[
            (-3 * H, "America/Halifax", "Atlantic daylight"),
            (4 * H, "+04:00", "Arabia daylight"),
        ],
        "GST" => &[
            (4 * H, "Asia/Dubai", "Gulf"),
            (-2 * H, "Atlantic/South_Georgia", "South Georgia"),
        ],
        "SST" => &[
            (-11 * H, "Pacific/Pago_Pago", "Samoa"),
            (8 * H, "Asia/Singapore", "Singapore"),
        ],
        "PST" => &[
            (-8 * H, "America/Los_Angeles", "US Pacific"),
            (8 * H, "Asia/Manila", "Philippines"),
        ],
        _ => &[],
    }
}

/// The flags that fix an ambiguous abbreviation, e.g.
/// `--tz-alias CST=Asia/Shanghai (China) or --tz-alias CST=America/Chicago (US Central)`.
pub fn abbrev_examples(abbr: &str) -> String {
    let c = ambiguous_candidates(abbr);
    if c.is_empty() {
        return format!("--tz-alias {abbr}=+08:00 (with the right offset)");
    }
    c.iter()
        .take(2)
        .map(|(_, z, what)| format!("--tz-alias {abbr}={z} ({what})"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Abbreviations with one common meaning, resolved without asking (timestamps.md §9 "safe").
pub fn builtin_abbrev(abbr: &str) -> Option<FixedOffset> {
    let h = |x: i32| FixedOffset::east_opt(x * 3600);
    match abbr {
        "UTC" | "GMT" | "UT" | "Z" | "WET" => h(0),
        "WEST" | "CET" => h(1),
        "CEST" | "EET" => h(2),
        "EEST" | "MSK" => h(3),
        "JST" | "KST" => h(9),
        "HKT" | "SGT" | "AWST" => h(8),
        "AEST" => h(10),
        "AEDT" => h(11),
        "NZST" => h(12),
        "NZDT" => h(13),
        "HST" => h(-10),
        "EST" => h(-5),
        "EDT" => h(-4),
        "MST" => h(-7),
        "MDT" => h(-6),
        "PDT" => h(-7),
        "AKST" => h(-9),
        "AKDT" => h(-8),
        "NST" => FixedOffset::east_opt(-(3 * 3600 + 1800)),
        "FET" => h(3),
        _ => None,
    }
}

/// Why an instant has the offset it has.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum ZoneReason {
    /// The text carried digits or `Z` (or an epoch number).
    Explicit,
    /// `--tz-for GLOB=ZONE` matched the file.
    FlagForFile,
    /// `--tz ZONE`.
    Flag,
    /// `--tz-alias ABBR=ZONE` or an unambiguous built-in abbreviation.
    Alias,
    /// Nothing said: the machine's local zone.
    DefaultLocal,
    /// Nothing said but the `TZ` environment variable.
    TzEnv,
    /// Nothing said, and the file's activity lines up with files that state their offset
    /// (`analysis::clock`): the offset that aligns them.
    Inferred,
}

impl ZoneReason {
    /// Human wording used in reports.
    pub fn describe(self) -> &'static str {
        match self {
            ZoneReason::Explicit => "explicit offset in the text",
            ZoneReason::FlagForFile => "--tz-for",
            ZoneReason::Flag => "--tz",
            ZoneReason::Alias => "abbreviation alias",
            ZoneReason::DefaultLocal => "default: this machine's local zone",
            ZoneReason::TzEnv => "the TZ environment variable",
            ZoneReason::Inferred => "inferred from files that state their offset",
        }
    }

    /// Stable id used in JSON and partial results (`explicit`, `flag`, `flag-for-file`,
    /// `alias`, `default-local`, `tz-env`, `inferred`).
    pub fn id(self) -> &'static str {
        match self {
            ZoneReason::Explicit => "explicit",
            ZoneReason::FlagForFile => "flag-for-file",
            ZoneReason::Flag => "flag",
            ZoneReason::Alias => "alias",
            ZoneReason::DefaultLocal => "default-local",
            ZoneReason::TzEnv => "tz-env",
            ZoneReason::Inferred => "inferred",
        }
    }

    /// A default nobody chose for these logs (the machine's zone, or `TZ`): what evidence
    /// in the logs may replace.
    pub fn is_default(self) -> bool {
        matches!(self, ZoneReason::DefaultLocal | ZoneReason::TzEnv)
    }
}

/// How naive times and abbreviations in one file are resolved.
#[derive(Clone, Debug)]
pub struct ZoneRule {
    /// Zone for naive times.
    pub zone: Zone,
    /// Why that zone (flag, per-file flag, local default).
    pub reason: ZoneReason,
    /// `--tz-alias` entries (abbreviation → zone).
    pub aliases: BTreeMap<String, Zone>,
}

/// Result of resolving one stamp.
#[derive(Clone, Debug, PartialEq)]
pub enum Resolved {
    /// An instant, and why its offset is what it is.
    At(DateTime<Utc>, ZoneReason),
    /// An ambiguous abbreviation nobody resolved: counted as undated, with a warning.
    Ambiguous(String),
    /// The stamp lacks a year/date nobody could supply, or the inferred date does not exist
    /// (29 Feb in a non-leap year): undated.
    Undated,
}

impl ZoneRule {
    /// Applies the resolution order of timestamps.md §11: explicit offset → alias table →
    /// unambiguous built-in abbreviation → the file's zone.
    pub fn resolve(&self, st: &RawStamp) -> Resolved {
        if st.partial != Partial::Full {
            // A year-less/date-less stamp needs its file's context ([`FileTime::resolve`]).
            return Resolved::Undated;
        }
        match &st.zone {
            StampZone::Offset(off) => Resolved::At(
                (st.naive - chrono::Duration::seconds(off.local_minus_utc() as i64)).and_utc(),
                ZoneReason::Explicit,
            ),
            StampZone::Naive => Resolved::At(self.zone.to_utc(st.naive), self.reason),
            StampZone::Abbrev(a) => {
                if let Some(z) = self.aliases.get(a) {
                    return Resolved::At(z.to_utc(st.naive), ZoneReason::Alias);
                }
                if ambiguous_abbrev(a).is_some() {
                    return Resolved::Ambiguous(a.clone());
                }
                match builtin_abbrev(a) {
                    Some(off) => Resolved::At(Zone::Fixed(off).to_utc(st.naive), ZoneReason::Alias),
                    None => Resolved::Ambiguous(a.clone()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn zones_parse_and_dst() {
        assert_eq!(Zone::parse("+08:00").unwrap().to_string(), "+08:00");
        assert_eq!(Zone::parse("UTC+8").unwrap().to_string(), "+08:00");
        assert_eq!(Zone::parse("-0530").unwrap().to_string(), "-05:30");
        assert!(Zone::parse("CST").unwrap_err().contains("ambiguous"));
        assert!(Zone::parse("Mars/Olympus").is_err());
        // Etc/GMT-8 is +08:00 (POSIX sign inversion).
        let z = Zone::parse("Etc/GMT-8").unwrap();
        assert_eq!(
            z.to_utc(
                NaiveDate::from_ymd_opt(2019, 8, 21)
                    .unwrap()
                    .and_hms_opt(8, 0, 0)
                    .unwrap()
            ),
            utc("2019-08-21T00:00:00Z")
        );
        let ny = Zone::parse("America/New_York").unwrap();
        // Fall back: 01:30 happens twice on 2019-11-03; the earlier (EDT) is taken.
        let fold = NaiveDate::from_ymd_opt(2019, 11, 3)
            .unwrap()
            .and_hms_opt(1, 30, 0)
            .unwrap();
        assert_eq!(ny.to_utc(fold), utc("2019-11-03T05:30:00Z"));
        // Spring forward: 02:30 does not exist on 2019-03-10; read with the EST offset.
        let gap = NaiveDate::from_ymd_opt(2019, 3, 10)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(ny.to_utc(gap), utc("2019-03-10T07:30:00Z"));
    }

    /// `TZ` values as the C library reads them: IANA names (with a leading `:` or as a
    /// zoneinfo path), POSIX `STDoffset` with west-positive offsets, empty = UTC.
    #[test]
    fn tz_environment_values() {
        let show = |v: &str| tz_env(v).map(|z| z.to_string());
        assert_eq!(show("Asia/Shanghai").as_deref(), Some("Asia/Shanghai"));
        assert_eq!(show(":Asia/Shanghai").as_deref(), Some("Asia/Shanghai"));
        assert_eq!(
            show("/usr/share/zoneinfo/Europe/Berlin").as_deref(),
            Some("Europe/Berlin")
        );
        assert_eq!(show("").as_deref(), Some("UTC"));
        assert_eq!(show("UTC").as_deref(), Some("UTC"));
        assert_eq!(show("UTC0").as_deref(), Some("UTC"));
        assert_eq!(show("CST-8").as_deref(), Some("+08:00"));
        assert_eq!(show("GMT+8").as_deref(), Some("-08:00"));
        assert_eq!(show("<+0530>-5:30").as_deref(), Some("+05:30"));
        assert_eq!(show("EST5EDT").as_deref(), Some("EST5EDT"));
        assert_eq!(show("+08:00").as_deref(), Some("+08:00"));
        // A POSIX rule with its own DST dates: left to the C library's current offset.
        assert_eq!(show("CET-1CEST,M3.5.0,M10.5.0/3"), None);
        assert_eq!(show("Mars/Olympus"), None);
    }
}

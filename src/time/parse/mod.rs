//! Reading stamps: the per-format entry point [`parse_with`], the per-line fallback
//! [`parse_any`] (every column-0 format in turn, for mixed stdout files), and the syntactic
//! checks that run on every line ([`quick_shape`], [`quick_any`], [`may_start_stamp`],
//! [`skip_fields`], [`space_bracket`]).
//!
//! The readers live in submodules: `iso` (the `yyyy-MM-dd` family, told apart by shape;
//! slash dates; ctime; Tomcat JULI), `fields` (stamps inside a line or field: access logs,
//! logfmt, JSON lines, epoch numbers) and `syslog` (the formats added for issue 4: syslog,
//! klog, logcat, JUL, RFC 5424, JVM unified logging, HDFS, time-only and the loghub
//! oddities).
//!
//! Input: one physical line (bytes, `\r` already stripped or not; a UTF-8 BOM is stripped
//! here). Output: a [`RawStamp`], and for the fallback the [`Format`] that read it.
//!
//! Tricky cases: HDFS, time-only and epoch columns are per-file decisions and never tried by
//! the fallback; continuation lines (`\tat`, `Caused by:`, `... 12 more`) fail
//! [`may_start_stamp`] within a few bytes, which keeps the fallback off the hot path.

pub(in crate::time) mod fields;
mod iso;
pub(in crate::time) mod more;
pub(in crate::time) mod syslog;

pub use fields::{epoch_text, epoch_to_utc, parse_json_kind, parse_json_line};

use super::bytes::{at_boundary, at_end, is_weekday, month_abbr, utc_offset};
use super::format::{Format, RawStamp, StampZone};
use fields::{logfmt_shape, parse_clf_line, parse_logfmt};
use iso::{parse_ctime, parse_iso_like, parse_juli, parse_slash};
use more::{
    auditd_shape, parse_auditd, parse_bracket_iso, parse_cisco, parse_ctime_line, parse_dmesg,
    parse_dotted, parse_erlang, parse_mysql_legacy, parse_nagios, parse_php, parse_redis,
    parse_us_12h, redis_shape,
};
use syslog::{
    epoch_prefix_shape, month_word, parse_5424, parse_bgl, parse_epoch_field, parse_epoch_prefix,
    parse_hdfs, parse_healthapp, parse_jul, parse_jvm, parse_klog, parse_logcat, parse_proxifier,
    parse_spark, parse_syslog, parse_time_only,
};

/// Reads the stamp of `format` at the head of `line` (for CLF: inside the line). `line`
/// starts where the stamp starts: skip a [`Layout`](crate::time::Layout)'s leading fields
/// first ([`Layout::parse`](crate::time::Layout::parse) does).
pub fn parse_with(format: Format, line: &[u8]) -> Option<RawStamp> {
    let line = strip_line(line);
    if format.iso_family() {
        let (st, f, _) = parse_iso_like(line, 0)?;
        if f == format {
            return Some(st);
        }
        // IIS W3C: every `date time` row is UTC once the file is known to be IIS.
        if format == Format::IisW3c && matches!(f, Format::DateTimeSeconds | Format::BootLogback) {
            return Some(RawStamp::zoned(st.naive, StampZone::Offset(utc_offset())));
        }
        return None;
    }
    match format {
        Format::NginxError | Format::GoLog => parse_slash(line, 0)
            .filter(|(_, f, _)| *f == format)
            .map(|(s, _, _)| s),
        Format::Clf => parse_clf_line(line),
        Format::JsonLines | Format::JsonEpoch | Format::DockerJson => {
            parse_json_kind(line).map(|(s, _)| s)
        }
        Format::ApacheError => {
            if line.first() != Some(&b'[') {
                return None;
            }
            let (st, end) = parse_ctime(line, 1)?;
            (line.get(end) == Some(&b']') && st.zone == StampZone::Naive).then_some(st)
        }
        Format::JavaDate => {
            let (st, _) = parse_ctime(line, 0)?;
            (st.zone != StampZone::Naive).then_some(st)
        }
        Format::TomcatJuli => parse_juli(line),
        Format::JulSimple => parse_jul(line),
        Format::Syslog3164 => parse_syslog(line, 0).map(|(s, _)| s),
        Format::Syslog5424 => parse_5424(line),
        Format::Klog => parse_klog(line),
        Format::Logcat => parse_logcat(line),
        Format::Proxifier => parse_proxifier(line),
        Format::Spark => parse_spark(line),
        Format::HealthApp => parse_healthapp(line),
        Format::Bgl => parse_bgl(line, 0).map(|(s, _)| s),
        Format::Hdfs => parse_hdfs(line),
        Format::JvmUnified => parse_jvm(line),
        Format::TimeOnly => parse_time_only(line),
        Format::EpochPrefix => parse_epoch_prefix(line),
        Format::EpochColumn => parse_epoch_field(line).map(|(s, _)| s),
        Format::Logfmt => parse_logfmt(line),
        Format::Auditd => parse_auditd(line),
        Format::Redis => parse_redis(line),
        Format::ErlangReport => parse_erlang(line),
        Format::Php => parse_php(line),
        Format::Nagios => parse_nagios(line),
        Format::BracketIso => parse_bracket_iso(line),
        Format::Dmesg => parse_dmesg(line),
        Format::Cisco => parse_cisco(line),
        Format::Ctime => parse_ctime_line(line),
        Format::DottedDate => parse_dotted(line),
        Format::MysqlLegacy => parse_mysql_legacy(line),
        Format::Us12h => parse_us_12h(line).map(|(s, _)| s),
        // The column of a table needs its layout (`Layout::parse`), a multi-line record its
        // file's table (`FileTime::parse_line`).
        Format::CsvColumn | Format::TsvColumn | Format::JsonPretty | Format::WinEventText => None,
        _ => None,
    }
}

/// Strips a UTF-8 BOM; lines keep their `\r` at the end, which no parser reads.
pub(in crate::time) fn strip_line(line: &[u8]) -> &[u8] {
    line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
}

/// Cheap pre-check: can this line start with any stamp the per-line fallback reads?
/// Continuation lines (`\tat`, `Caused by:`, `... 12 more`) fail it within a few bytes, which
/// keeps the per-line fallback off the hot path.
#[inline]
pub fn may_start_stamp(line: &[u8]) -> bool {
    let line = strip_line(line);
    match line.first() {
        Some(c) if c.is_ascii_digit() => true,
        Some(b'[') | Some(b'{') | Some(b'<') | Some(b'=') => true,
        Some(b'*') | Some(b'.') => line.len() > 12 && month_abbr(line, 1).is_some(),
        Some(c) if c.is_ascii_uppercase() => {
            line.len() > 12
                && ((line[3] == b' ' && (is_weekday(line, 0) || month_abbr(line, 0).is_some()))
                    || (matches!(c, b'I' | b'W' | b'E' | b'F')
                        && line[1..5].iter().all(u8::is_ascii_digit)
                        && line[5] == b' ')
                    || epoch_prefix_shape(line)
                    || logfmt_shape(line))
        }
        Some(0xE4) | Some(0xE5) => month_word(line, 0).is_some(),
        Some(c) if !c.is_ascii_whitespace() => {
            epoch_prefix_shape(line) || logfmt_shape(line) || auditd_shape(line)
        }
        _ => false,
    }
}

/// A whole-line stamp parser.
type LineParser = fn(&[u8]) -> Option<RawStamp>;

/// Tries every column-0 format on one line (the per-line fallback). Returns the first that
/// reads it. HDFS, time-only and epoch columns are per-file decisions and never tried here.
pub fn parse_any(line: &[u8]) -> Option<(RawStamp, Format)> {
    let l = strip_line(line);
    match l.first()? {
        c if c.is_ascii_digit() => {
            if let Some((st, f, _)) = parse_iso_like(l, 0) {
                return Some((st, f));
            }
            if let Some((st, f, _)) = parse_slash(l, 0) {
                return Some((st, f));
            }
            let tries: [(LineParser, Format); 10] = [
                (parse_juli, Format::TomcatJuli),
                (|b| parse_bgl(b, 0).map(|(s, _)| s), Format::Bgl),
                (parse_healthapp, Format::HealthApp),
                (parse_spark, Format::Spark),
                (parse_logcat, Format::Logcat),
                (parse_redis, Format::Redis),
                (parse_dotted, Format::DottedDate),
                (parse_mysql_legacy, Format::MysqlLegacy),
                (|b| parse_us_12h(b).map(|(s, _)| s), Format::Us12h),
                (parse_logfmt, Format::Logfmt),
            ];
            for (parse, f) in tries {
                if let Some(st) = parse(l) {
                    return Some((st, f));
                }
            }
            parse_clf_line(l).map(|st| (st, Format::Clf))
        }
        b'[' => parse_with(Format::ApacheError, l)
            .map(|s| (s, Format::ApacheError))
            .or_else(|| parse_proxifier(l).map(|s| (s, Format::Proxifier)))
            .or_else(|| parse_bracket_iso(l).map(|s| (s, Format::BracketIso)))
            .or_else(|| parse_jvm(l).map(|s| (s, Format::JvmUnified)))
            .or_else(|| parse_php(l).map(|s| (s, Format::Php)))
            .or_else(|| parse_nagios(l).map(|s| (s, Format::Nagios)))
            .or_else(|| parse_dmesg(l).map(|s| (s, Format::Dmesg)))
            .or_else(|| parse_clf_line(l).map(|s| (s, Format::Clf))),
        b'=' => parse_erlang(l).map(|s| (s, Format::ErlangReport)),
        b'*' | b'.' => parse_cisco(l)
            .map(|s| (s, Format::Cisco))
            .or_else(|| parse_syslog(l, 0).map(|(s, _)| (s, Format::Syslog3164))),
        b'{' => parse_json_kind(l),
        b'<' => parse_5424(l)
            .map(|s| (s, Format::Syslog5424))
            .or_else(|| parse_syslog(l, 0).map(|(s, _)| (s, Format::Syslog3164))),
        c if c.is_ascii_uppercase() => parse_with(Format::JavaDate, l)
            .map(|s| (s, Format::JavaDate))
            .or_else(|| parse_ctime_line(l).map(|s| (s, Format::Ctime)))
            .or_else(|| parse_cisco(l).map(|s| (s, Format::Cisco)))
            .or_else(|| parse_syslog(l, 0).map(|(s, _)| (s, Format::Syslog3164)))
            .or_else(|| parse_jul(l).map(|s| (s, Format::JulSimple)))
            .or_else(|| parse_klog(l).map(|s| (s, Format::Klog)))
            .or_else(|| parse_epoch_prefix(l).map(|s| (s, Format::EpochPrefix)))
            .or_else(|| parse_logfmt(l).map(|s| (s, Format::Logfmt))),
        0xE4 | 0xE5 => parse_jul(l).map(|s| (s, Format::JulSimple)),
        c if !c.is_ascii_whitespace() => parse_epoch_prefix(l)
            .map(|s| (s, Format::EpochPrefix))
            .or_else(|| parse_auditd(l).map(|s| (s, Format::Auditd)))
            .or_else(|| parse_logfmt(l).map(|s| (s, Format::Logfmt))),
        _ => None,
    }
}

/// Where ` [` first occurs (an access log's `[21/Aug/2019:...` stamp). Per line, so not
/// `memmem::find`, which builds a searcher per call (1.5 % of a profile of access logs).
#[inline]
pub fn space_bracket(b: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'[', b)
        .find(|&i| i > 0 && b[i - 1] == b' ')
        .map(|i| i - 1)
}

/// Syntactic header check for one format (no calendar math): runs on every line of a file.
/// `b` starts where the stamp should start.
#[inline]
pub fn quick_shape(format: Format, b: &[u8]) -> bool {
    let d = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let is = |i: usize, c: u8| b.get(i) == Some(&c);
    match format {
        f if f.iso_family() => d(0) && d(3) && is(4, b'-') && is(7, b'-') && is(13, b':') && d(18),
        Format::NginxError | Format::GoLog => d(0) && is(4, b'/') && is(13, b':') && d(18),
        Format::Spark => d(0) && is(2, b'/') && is(5, b'/') && is(11, b':') && d(16),
        Format::JsonLines | Format::JsonEpoch | Format::DockerJson => {
            b.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'{')
        }
        Format::Clf => space_bracket(&b[..b.len().min(512)]).is_some(),
        Format::ApacheError => is(0, b'[') && is_weekday(b, 1) && is(4, b' '),
        Format::JavaDate => is_weekday(b, 0) && is(3, b' ') && is(7, b' '),
        Format::TomcatJuli => d(0) && is(2, b'-') && is(6, b'-') && is(14, b':'),
        Format::JulSimple => {
            month_word(b, 0).is_some() && memchr::memchr(b',', &b[..b.len().min(16)]).is_some()
        }
        Format::Syslog3164 => {
            let mut p = if is(0, b'<') {
                memchr::memchr(b'>', &b[..b.len().min(5)]).map_or(0, |i| i + 1)
            } else {
                0
            };
            // Cisco IOS: `*` or `.` in front when the clock is not synchronised.
            if matches!(b.get(p), Some(b'*' | b'.')) {
                p += 1;
            }
            b.len() > p + 14
                && is(p + 3, b' ')
                && (d(p + 4) || is(p + 4, b' '))
                && (is(p + 9, b':') || (is(p + 5, b' ') && is(p + 8, b':')))
                && month_abbr(b, p).is_some()
        }
        Format::Syslog5424 => is(0, b'<') && memchr::memchr(b'>', &b[..b.len().min(5)]).is_some(),
        Format::Klog => {
            matches!(b.first(), Some(b'I' | b'W' | b'E' | b'F'))
                && d(1)
                && d(4)
                && is(5, b' ')
                && is(8, b':')
        }
        Format::Logcat => d(0) && is(2, b'-') && d(3) && is(5, b' ') && is(8, b':'),
        Format::Proxifier => is(0, b'[') && d(1) && is(3, b'.') && is(6, b' ') && is(9, b':'),
        Format::HealthApp => d(0) && d(7) && is(8, b'-') && d(9),
        Format::Bgl => d(0) && is(4, b'-') && is(10, b'-') && is(13, b'.'),
        Format::Hdfs => d(0) && d(5) && is(6, b' ') && d(7) && d(12) && is(13, b' '),
        Format::JvmUnified => is(0, b'[') && d(1),
        Format::TimeOnly => d(0) && is(2, b':') && is(5, b':') && d(7),
        Format::EpochPrefix => epoch_prefix_shape(b),
        Format::Logfmt => logfmt_shape(b),
        Format::Auditd => auditd_shape(b),
        Format::Redis => redis_shape(b),
        Format::ErlangReport => is(0, b'=') && b.len() > 30,
        Format::Php => is(0, b'[') && d(1) && is(3, b'-') && is(7, b'-') && is(12, b' '),
        Format::Nagios => is(0, b'[') && d(1) && d(10) && is(11, b']'),
        Format::BracketIso => {
            is(0, b'[') && d(1) && is(5, b'-') && is(8, b'-') && is(14, b':') && d(19)
        }
        Format::Dmesg => is(0, b'[') && (is(1, b' ') || d(1)),
        Format::Cisco => {
            let p = usize::from(matches!(b.first(), Some(b'*' | b'.')));
            month_abbr(b, p).is_some() && is(p + 3, b' ')
        }
        Format::Ctime => is_weekday(b, 0) && is(3, b' ') && is(7, b' '),
        Format::DottedDate => d(0) && is(2, b'.') && is(5, b'.') && is(10, b' ') && is(13, b':'),
        Format::MysqlLegacy => d(0) && d(5) && is(6, b' ') && is(9, b':') && is(12, b':'),
        Format::Us12h => d(0) && (is(1, b'/') || is(2, b'/')),
        // A table's column is checked by its layout (`Layout::quick`).
        Format::CsvColumn | Format::TsvColumn => false,
        Format::JsonPretty | Format::WinEventText => crate::time::multiline::is_head(format, b),
        Format::EpochColumn => {
            let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
            (9..=19).contains(&n) && at_boundary(b, n) || (n >= 9 && is(n, b'.'))
        }
        _ => false,
    }
}

/// Syntactic check: does this line start with a stamp the per-line fallback would read?
#[inline]
pub fn quick_any(line: &[u8]) -> bool {
    let l = strip_line(line);
    match l.first() {
        Some(c) if c.is_ascii_digit() => [
            Format::Iso8601Offset,
            Format::NginxError,
            Format::TomcatJuli,
            Format::Bgl,
            Format::HealthApp,
            Format::Spark,
            Format::Logcat,
        ]
        .into_iter()
        .any(|f| quick_shape(f, l)),
        Some(b'{') => true,
        Some(b'[') => [Format::ApacheError, Format::Proxifier, Format::JvmUnified]
            .into_iter()
            .any(|f| quick_shape(f, l)),
        Some(b'<') => quick_shape(Format::Syslog5424, l),
        Some(_) => may_start_stamp(l),
        None => false,
    }
}

/// Skips `n` whitespace-separated leading fields (and an opening `[`, `(` or `"` before a
/// digit); `None` if the line has fewer or starts with whitespace (a continuation line).
#[inline]
pub fn skip_fields(line: &[u8], n: u8) -> Option<&[u8]> {
    if n == 0 {
        return Some(line);
    }
    let mut p = 0;
    match line.first() {
        Some(c) if !c.is_ascii_whitespace() => {}
        _ => return None,
    }
    for _ in 0..n {
        p += memchr::memchr(b' ', &line[p..])?;
        while line.get(p) == Some(&b' ') {
            p += 1;
        }
        if at_end(line, p) {
            return None;
        }
    }
    // A stamp in brackets or quotes after other fields (Rails `I, [2019-08-21T…`).
    if matches!(line[p], b'[' | b'(' | b'"') && line.get(p + 1).is_some_and(u8::is_ascii_digit) {
        p += 1;
    }
    Some(&line[p..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{detect, Resolved, Zone, ZoneReason, ZoneRule};
    use chrono::{DateTime, FixedOffset, Utc};
    use std::collections::BTreeMap;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn rule(zone: &str) -> ZoneRule {
        ZoneRule {
            zone: Zone::parse(zone).unwrap(),
            reason: ZoneReason::Flag,
            aliases: BTreeMap::new(),
        }
    }

    fn at(line: &str, zone: &str) -> DateTime<Utc> {
        let (st, _) = parse_any(line.as_bytes()).expect("parses");
        match rule(zone).resolve(&st) {
            Resolved::At(t, _) => t,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn boot_logback_and_comma_millis() {
        let l = "2019-08-21 08:00:04.053  INFO 4321 --- [main] c.e.App : hi";
        assert_eq!(parse_any(l.as_bytes()).unwrap().1, Format::BootLogback);
        assert_eq!(at(l, "+08:00"), utc("2019-08-21T00:00:04.053Z"));
        let l = "2019-08-21 11:00:01,628 INFO  [main] c.e.Job - x";
        assert_eq!(parse_any(l.as_bytes()).unwrap().1, Format::CommaMillis);
        assert_eq!(at(l, "UTC"), utc("2019-08-21T11:00:01.628Z"));
    }

    #[test]
    fn iso_variants() {
        for (l, want) in [
            (
                "2019-08-21T16:02:06.452+08:00 x",
                "2019-08-21T08:02:06.452Z",
            ),
            ("2019-08-21T16:02:06.452+0800 x", "2019-08-21T08:02:06.452Z"),
            (
                "2019-08-21T08:02:06.452345678Z x",
                "2019-08-21T08:02:06.452345678Z",
            ),
            (
                "2020-08-06T14:25:02.835618Z 0 [Note]",
                "2020-08-06T14:25:02.835618Z",
            ),
            ("2019-08-21T16:02:06+08 x", "2019-08-21T08:02:06Z"),
        ] {
            let (_, f) = parse_any(l.as_bytes()).unwrap();
            assert_eq!(f, Format::Iso8601Offset, "{l}");
            assert_eq!(at(l, "-05:00"), utc(want), "{l}");
        }
        let l = "2019-08-21T16:02:06.452 naive";
        assert_eq!(parse_any(l.as_bytes()).unwrap().1, Format::Iso8601Naive);
        assert_eq!(at(l, "+02:00"), utc("2019-08-21T14:02:06.452Z"));
    }

    #[test]
    fn nginx_error_vs_go_log() {
        let l = "2019/08/21 08:07:25 [error] 8768#14324: *3 CreateFile() failed";
        assert_eq!(parse_any(l.as_bytes()).unwrap().1, Format::NginxError);
        assert_eq!(at(l, "+08:00"), utc("2019-08-21T00:07:25Z"));
        let l = "2020/11/05 16:23:08.433760 D:/code/x.go:58: msg";
        assert_eq!(parse_any(l.as_bytes()).unwrap().1, Format::GoLog);
    }

    #[test]
    fn clf_access_log() {
        let l = r#"192.168.2.20 - - [28/Jul/2006:10:27:10 -0300] "GET /cgi-bin/try/ HTTP/1.0" 200 3395"#;
        let st = parse_with(Format::Clf, l.as_bytes()).unwrap();
        assert_eq!(
            rule("UTC").resolve(&st),
            Resolved::At(utc("2006-07-28T13:27:10Z"), ZoneReason::Explicit)
        );
        assert_eq!(detect(l.as_bytes(), 10), Some(Format::Clf));
    }

    #[test]
    fn json_lines_fields_and_epochs() {
        for (l, want) in [
            (
                r#"{"timestamp":1566374526452,"status":500}"#,
                "2019-08-21T08:02:06.452Z",
            ),
            (
                r#"{"ts":1566374526.5,"msg":"x"}"#,
                "2019-08-21T08:02:06.500Z",
            ),
            (
                r#"{"@timestamp":"2019-08-21T08:00:03.123+08:00","message":"x"}"#,
                "2019-08-21T00:00:03.123Z",
            ),
            (
                r#"{"msg":"x","time":"2019-08-21T08:02:06.452345678Z"}"#,
                "2019-08-21T08:02:06.452345678Z",
            ),
            (
                r#"{"__REALTIME_TIMESTAMP":"1566374526452345"}"#,
                "2019-08-21T08:02:06.452345Z",
            ),
            (
                r#"{"time":1566374526452345678}"#,
                "2019-08-21T08:02:06.452345678Z",
            ),
        ] {
            assert_eq!(at(l, "+08:00"), utc(want), "{l}");
        }
        // Nested keys are not the record's time.
        assert!(parse_json_line(br#"{"nested":{"time":1566374526}}"#).is_none());
        // A counter is not a time.
        assert!(parse_json_line(br#"{"time":42}"#).is_none());
        // Naive ISO string in JSON takes the zone rule.
        assert_eq!(
            at(r#"{"time":"2019-08-21 16:02:06.452"}"#, "+08:00"),
            utc("2019-08-21T08:02:06.452Z")
        );
    }

    #[test]
    fn ambiguous_abbreviations_are_not_guessed() {
        let l = "Sun Jun 30 12:46:00 CST 2019 something";
        let (st, f) = parse_any(l.as_bytes()).unwrap();
        assert_eq!(f, Format::JavaDate);
        assert_eq!(rule("UTC").resolve(&st), Resolved::Ambiguous("CST".into()));
        let mut r = rule("UTC");
        r.aliases
            .insert("CST".into(), Zone::parse("Asia/Shanghai").unwrap());
        assert_eq!(
            r.resolve(&st),
            Resolved::At(utc("2019-06-30T04:46:00Z"), ZoneReason::Alias)
        );
        let (st, _) = parse_any(b"Sun Jun 30 12:46:00 JST 2019").unwrap();
        assert_eq!(
            rule("UTC").resolve(&st),
            Resolved::At(utc("2019-06-30T03:46:00Z"), ZoneReason::Alias)
        );
    }

    #[test]
    fn apache_error_and_juli() {
        let l = "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok";
        assert_eq!(parse_any(l.as_bytes()).unwrap().1, Format::ApacheError);
        assert_eq!(at(l, "UTC"), utc("2005-12-04T04:47:44Z"));
        let l = "[Wed Mar 09 06:28:44.358980 2022] [core:notice] [pid 21332] x";
        assert_eq!(at(l, "UTC"), utc("2022-03-09T06:28:44.358980Z"));
        let l = "21-Aug-2019 16:02:06.452 INFO [main] org.apache.catalina.startup.Catalina.start";
        assert_eq!(parse_any(l.as_bytes()).unwrap().1, Format::TomcatJuli);
    }

    #[test]
    fn continuation_lines_are_not_stamps() {
        for l in [
            "\tat java.net.DualStackPlainSocketImpl.connect0(Native Method)",
            "Caused by: java.net.SocketException: No buffer space available",
            "\t... 158 common frames omitted",
            "com.netflix.zuul.exception.ZuulException: Forwarding error",
            "",
        ] {
            assert!(
                !may_start_stamp(l.as_bytes()) || parse_any(l.as_bytes()).is_none(),
                "{l}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = parse_any(&bytes);
            let _ = detect(&bytes, 50);
            for f in Format::ALL { let _ = parse_with(f, &bytes); }
        }

        #[test]
        fn iso_round_trip(secs in 631_152_000i64..4_102_444_000, ms in 0u32..1000, off_min in -720i32..840) {
            let off = FixedOffset::east_opt(off_min * 60).unwrap();
            let t = DateTime::from_timestamp(secs, ms * 1_000_000).unwrap();
            let text = t.with_timezone(&off).format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string();
            let (st, _) = parse_any(text.as_bytes()).unwrap();
            proptest::prop_assert_eq!(rule("UTC").resolve(&st), Resolved::At(t, ZoneReason::Explicit));
        }
    }
}

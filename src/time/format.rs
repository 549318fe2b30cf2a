//! The vocabulary of timestamps: the [`Format`] a stamp is written in, what its text says
//! about its zone ([`StampZone`]), what it lacks ([`Partial`]), and the [`RawStamp`] every
//! parser returns: a wall-clock reading before any zone rule is applied.
//!
//! Input: none (types only). Output: the values the parsers, detection and
//! [`FileTime`](crate::time::FileTime) pass around.
//!
//! Tricky cases:
//! - [`Format`]'s declaration order is the detection tie-break order (most specific first),
//!   and its id ([`Format::id`]) is what reports carry and what deserializing reads back.
//! - Year-less stamps hold [`PLACEHOLDER_YEAR`], a leap year, so `Feb 29` survives until the
//!   real year is known; time-only stamps sit on 2000-01-01; JVM uptime stamps are
//!   1970-01-01 ([`epoch_base`]) plus the uptime.

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use std::fmt;

/// A timestamp format faultscope can read. The names are the ids of timestamps.md §1, plus
/// the loghub oddities (§8). Declaration order is the detection tie-break order (most
/// specific first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// Thunderbird/BGL: `- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 …` (epoch + date +
    /// node, then the node's own stamp).
    EpochPrefix,
    /// `2019-04-30T02:12:41.8443515Z stdout F msg` (containerd / CRI-O).
    Cri,
    /// `2019-08-21T16:02:06+0800 host unit[123]: msg` (`journalctl -o short-iso`).
    JournalShortIso,
    /// `<165>1 2003-10-11T22:14:15.003Z host app - ID47 - msg` (RFC 5424).
    Syslog5424,
    /// `2019-08-21T16:02:06.452+08:00`, `...Z`, `...+0800` (explicit zone).
    Iso8601Offset,
    /// `{"log":"msg\n","stream":"stdout","time":"2019-08-21T08:02:06.452345678Z"}`.
    DockerJson,
    /// `{"timestamp":1566374526452,…}` (epoch number in a JSON field).
    JsonEpoch,
    /// `[0.025s][info][gc]` / `[2024-01-18T15:52:18.144+0000][info][gc]` (JDK 9+ `-Xlog`).
    JvmUnified,
    /// `2019-08-21 08:02:06 10.0.0.5 GET /x …` (IIS W3C: always UTC).
    IisW3c,
    /// `2018-11-21 12:41:32 FET 00000 LOG:` / `… +03 …` (PostgreSQL `log_line_prefix`).
    PgPrefix,
    /// `2006-02-27 00:02:00.34 Logon  Error: 18456` (SQL Server ERRORLOG, 2-digit fraction).
    MssqlErrorlog,
    /// `2019-08-21 16:02:06.452` (Spring Boot 1.x/2.x default).
    BootLogback,
    /// `2015-10-18 18:01:47,978` (log4j, logback `%d`, Python asctime).
    CommaMillis,
    /// `2019-08-21T16:02:06.452` (ISO with `T`, no zone).
    Iso8601Naive,
    /// `2005-06-03-15.42.50.675872` (BGL: dots in the time).
    Bgl,
    /// `20171223-22:15:29:606` (HealthApp: milliseconds not zero-padded).
    HealthApp,
    /// `2019-08-21 16:02:06` (no fraction: ad-hoc, Windows CBS `2016-09-28 04:30:30, Info`).
    DateTimeSeconds,
    /// `Sun Jun 30 12:46:00 CST 2019` (`java.util.Date.toString()`).
    JavaDate,
    /// `21-Aug-2019 16:02:06.452` (Tomcat JULI OneLineFormatter).
    TomcatJuli,
    /// `Dec 22, 2015 1:45:12 PM org.x.Y method` (JUL SimpleFormatter, 12 h clock).
    JulSimple,
    /// `2019/08/21 08:07:25 [error] ...` (nginx error log).
    NginxError,
    /// `2020/11/05 16:23:08.433760 msg` / `2009/01/23 01:23:23 msg` (Go `log`).
    GoLog,
    /// `17/06/09 20:10:40 INFO …` (Spark: `yy/MM/dd`).
    Spark,
    /// `[21/Aug/2019:08:00:01 +0800]` (Common/Combined Log Format).
    Clf,
    /// `[Sun Dec 04 04:47:44 2005]` / `[Wed Mar 09 06:28:44.358980 2022]` (Apache error log).
    ApacheError,
    /// `[10.30 16:49:06] chrome.exe - …` (Proxifier: `MM.dd`, no year).
    Proxifier,
    /// `Jun 14 15:16:02 host tag[pid]: msg` / `Jul  1 09:01:05` (RFC 3164, no year).
    Syslog3164,
    /// `I1012 20:32:36.250791   24371 main.go:11] msg` (Kubernetes klog/glog, no year).
    Klog,
    /// `03-17 16:13:38.811  1702  2395 D Tag: msg` (Android logcat threadtime, no year).
    Logcat,
    /// One JSON object per line with an RFC 3339 time field.
    JsonLines,
    /// logfmt: `time=2023-08-04T16:09:59.123-04:00 level=INFO msg=…` (Go slog, logrus,
    /// go-kit `ts=`), the time key among the first fields.
    Logfmt,
    /// `081109 203615 148 INFO dfs.DataNode…` (Hadoop 0.x HDFS; only whole files).
    Hdfs,
    /// Epoch seconds in a fixed whitespace-separated column (HPC; squid `1566374526.452`).
    EpochColumn,
    /// `22:43:19.343 [main] INFO c.e.App - msg` (no date: taken from file name or mtime).
    TimeOnly,
    /// `type=SYSCALL msg=audit(1481076983.819:7798): …` (auditd; epoch).
    Auditd,
    /// `1:M 14 May 2024 10:41:37.208 # …` (Redis 3+).
    Redis,
    /// `=ERROR REPORT==== 14-May-2024::09:47:16.080 ===` (Erlang/OTP error_logger).
    ErlangReport,
    /// `[14-May-2024 09:47:16 UTC] PHP Fatal error: …` (PHP, PHP-FPM).
    Php,
    /// `[1715672836] SERVICE ALERT: …` (Nagios; epoch).
    Nagios,
    /// `[2024-05-14 09:47:16,080: ERROR/…]`, `[2024-05-14 09:47:16,080] INFO …` (Celery,
    /// Kafka, gunicorn, Elasticsearch, Envoy).
    BracketIso,
    /// `[ 1234.567890] …` (kernel ring buffer: uptime only).
    Dmesg,
    /// `Apr 15 2013 09:36:50: %ASA-…` / `*Mar  1 2013 18:46:11.123 UTC: %SYS-…` (Cisco).
    Cisco,
    /// `Tue May 14 09:47:16 2024` alone (Oracle alert log, `date`).
    Ctime,
    /// `14.05.2024 09:47:16` (day-first locales).
    DottedDate,
    /// `161209 14:18:50 [Note] …` (MySQL ≤ 5.6).
    MysqlLegacy,
    /// `5/14/2024 9:47:16 AM` (en-US 12-hour clock).
    Us12h,
    /// The time column of a CSV export with a header; the layout's `skip` is the column.
    CsvColumn,
    /// The time column of a tab-separated export with a header (Event Viewer "Text").
    TsvColumn,
    /// JSON events pretty-printed over several lines (`{` alone opens a record).
    JsonPretty,
    /// `wevtutil qe … /f:text`: `Event[0]:` then `  Date: 2019-08-21T16:02:06.452`.
    WinEventText,
}

/// Serialized as its id (`iso8601-space`), as in reports.
impl serde::Serialize for Format {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> serde::Deserialize<'de> for Format {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Format, D::Error> {
        let id = String::deserialize(d)?;
        Format::from_id(&id)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown timestamp format `{id}`")))
    }
}

impl Format {
    /// Every format, most specific first (the detection order of timestamps.md §1).
    pub const ALL: [Format; 50] = [
        Format::Auditd,
        Format::Redis,
        Format::ErlangReport,
        Format::Php,
        Format::Nagios,
        Format::EpochPrefix,
        Format::Cri,
        Format::JournalShortIso,
        Format::Syslog5424,
        Format::Iso8601Offset,
        Format::DockerJson,
        Format::JsonEpoch,
        Format::JvmUnified,
        Format::IisW3c,
        Format::PgPrefix,
        Format::MssqlErrorlog,
        Format::BootLogback,
        Format::CommaMillis,
        Format::Iso8601Naive,
        Format::Bgl,
        Format::HealthApp,
        Format::DateTimeSeconds,
        Format::JavaDate,
        Format::TomcatJuli,
        Format::JulSimple,
        Format::NginxError,
        Format::GoLog,
        Format::Spark,
        Format::Clf,
        Format::ApacheError,
        Format::Proxifier,
        Format::Syslog3164,
        Format::Klog,
        Format::Logcat,
        Format::JsonLines,
        Format::Logfmt,
        Format::Hdfs,
        Format::EpochColumn,
        Format::TimeOnly,
        Format::BracketIso,
        Format::Dmesg,
        Format::Cisco,
        Format::Ctime,
        Format::DottedDate,
        Format::MysqlLegacy,
        Format::Us12h,
        Format::CsvColumn,
        Format::TsvColumn,
        Format::JsonPretty,
        Format::WinEventText,
    ];

    /// Stable id used in reports and `--debug`.
    pub fn id(self) -> &'static str {
        match self {
            Format::EpochPrefix => "epoch-prefix",
            Format::Cri => "cri",
            Format::JournalShortIso => "journal-short-iso",
            Format::Syslog5424 => "syslog-5424",
            Format::Iso8601Offset => "iso8601-offset",
            Format::DockerJson => "docker-json",
            Format::JsonEpoch => "json-epoch",
            Format::JvmUnified => "jvm-unified",
            Format::IisW3c => "iis-w3c",
            Format::PgPrefix => "pg-prefix",
            Format::MssqlErrorlog => "mssql-errorlog",
            Format::BootLogback => "boot-logback",
            Format::CommaMillis => "comma-millis",
            Format::Iso8601Naive => "iso8601-naive",
            Format::Bgl => "bgl",
            Format::HealthApp => "healthapp",
            Format::DateTimeSeconds => "datetime-seconds",
            Format::JavaDate => "java-date-tostring",
            Format::TomcatJuli => "tomcat-juli",
            Format::JulSimple => "jul-simple",
            Format::NginxError => "nginx-error",
            Format::GoLog => "go-log",
            Format::Spark => "spark",
            Format::Clf => "clf",
            Format::ApacheError => "apache-error",
            Format::Proxifier => "proxifier",
            Format::Syslog3164 => "syslog-3164",
            Format::Klog => "klog",
            Format::Logcat => "logcat",
            Format::JsonLines => "json-lines",
            Format::Logfmt => "logfmt",
            Format::Hdfs => "hdfs",
            Format::EpochColumn => "epoch-column",
            Format::TimeOnly => "time-only",
            Format::Auditd => "auditd",
            Format::Redis => "redis",
            Format::ErlangReport => "erlang-report",
            Format::Php => "php",
            Format::Nagios => "nagios",
            Format::BracketIso => "bracket-iso",
            Format::Dmesg => "dmesg",
            Format::Cisco => "cisco",
            Format::Ctime => "ctime",
            Format::DottedDate => "dotted-date",
            Format::MysqlLegacy => "mysql-legacy",
            Format::Us12h => "us-12h",
            Format::CsvColumn => "csv-column",
            Format::TsvColumn => "tsv-column",
            Format::JsonPretty => "json-multiline",
            Format::WinEventText => "wevtutil-text",
        }
    }

    /// The format with this id.
    pub fn from_id(id: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.id() == id)
    }

    /// What the format's stamps lack (JVM uptime is decided per line).
    pub fn missing(self) -> Partial {
        match self {
            Format::Syslog3164 | Format::Klog | Format::Logcat | Format::Proxifier => {
                Partial::NoYear
            }
            Format::TimeOnly => Partial::NoDate,
            _ => Partial::Full,
        }
    }

    /// What the format says about zones, for tables and `inspect`.
    pub fn zone_kind(self) -> &'static str {
        match self {
            Format::Iso8601Offset
            | Format::Clf
            | Format::Syslog5424
            | Format::JournalShortIso
            | Format::DockerJson
            | Format::Cri
            | Format::JsonEpoch
            | Format::EpochColumn
            | Format::Auditd
            | Format::Nagios => "explicit",
            Format::Php => "explicit (zone name) or none",
            Format::Cisco => "none, or a zone word",
            Format::BracketIso => "explicit or naive",
            Format::Dmesg => "uptime only",
            Format::CsvColumn | Format::TsvColumn => "as the column writes it",
            Format::EpochPrefix => {
                "explicit (epoch column; offset of the node's own stamp derived from it)"
            }
            Format::IisW3c => "UTC by definition (not marked)",
            Format::JavaDate | Format::PgPrefix => "abbreviation or offset",
            Format::JvmUnified => "explicit, or uptime only",
            Format::JsonLines | Format::Logfmt | Format::JsonPretty => "explicit or naive",
            _ => "none (naive)",
        }
    }

    /// True for formats whose parser is shared (`parse_iso_like`) and told apart by shape.
    pub(super) fn iso_family(self) -> bool {
        matches!(
            self,
            Format::Iso8601Offset
                | Format::Iso8601Naive
                | Format::BootLogback
                | Format::CommaMillis
                | Format::DateTimeSeconds
                | Format::MssqlErrorlog
                | Format::PgPrefix
                | Format::JournalShortIso
                | Format::Cri
                | Format::IisW3c
        )
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// What a stamp's own text says about its zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StampZone {
    /// No zone in the text: read it in the file's zone.
    Naive,
    /// Digits in the text (`+08:00`, `+0800`, `Z`) or an epoch number.
    Offset(FixedOffset),
    /// An abbreviation (`CST`, `JST`): resolved through aliases, never guessed.
    Abbrev(String),
}

/// What a stamp's text lacks, to be filled in per file
/// ([`FileTime`](crate::time::FileTime)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Partial {
    /// A complete wall-clock reading.
    #[default]
    Full,
    /// No year (syslog, klog, logcat, Proxifier): `naive` holds [`PLACEHOLDER_YEAR`].
    NoYear,
    /// No date (time-only): `naive` is on 2000-01-01.
    NoDate,
    /// No wall clock (JVM uptime): `naive` is 1970-01-01 plus the uptime.
    Uptime,
}

/// Year stored in year-less stamps until the real one is known (a leap year, so `Feb 29`
/// survives until then).
pub const PLACEHOLDER_YEAR: i32 = 2000;

/// A timestamp as read from the text, before any zone rule is applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawStamp {
    /// Wall-clock reading.
    pub naive: NaiveDateTime,
    /// Zone information carried by the text.
    pub zone: StampZone,
    /// What the text lacks (year, date, wall clock).
    pub partial: Partial,
}

impl RawStamp {
    pub(super) fn naive(naive: NaiveDateTime) -> RawStamp {
        RawStamp {
            naive,
            zone: StampZone::Naive,
            partial: Partial::Full,
        }
    }

    pub(super) fn zoned(naive: NaiveDateTime, zone: StampZone) -> RawStamp {
        RawStamp {
            naive,
            zone,
            partial: Partial::Full,
        }
    }

    pub(super) fn partial(naive: NaiveDateTime, partial: Partial) -> RawStamp {
        RawStamp {
            naive,
            zone: StampZone::Naive,
            partial,
        }
    }
}

/// The UNIX epoch as a naive reading (base of uptime stamps).
pub(super) fn epoch_base() -> NaiveDateTime {
    DateTime::from_timestamp(0, 0).expect("epoch").naive_utc()
}

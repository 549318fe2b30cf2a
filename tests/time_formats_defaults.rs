//! The formats of issue 22, in `tests/time_formats.rs`'s style: one real-shaped line (or
//! record) per product default, read the way a scan reads a file (detection on the text,
//! then the file's time context, then the zone rule), with the source of the shape stated.
//! Lines marked *pattern* are built from the product's documented pattern.

use chrono::{DateTime, Utc};
use faultscope::time::{FileTime, FileTimeInput, Format, Resolved, Zone, ZoneReason, ZoneRule};
use std::collections::BTreeMap;

fn rule(zone: &str) -> ZoneRule {
    ZoneRule {
        zone: Zone::parse(zone).unwrap(),
        reason: ZoneReason::Flag,
        aliases: BTreeMap::new(),
    }
}

fn learn(text: &str, name: &str, zone: &str) -> FileTime {
    let buf = text.as_bytes();
    let chunks = faultscope::scan::split_chunks(buf, 16 << 20);
    FileTime::learn(
        buf,
        &chunks,
        &FileTimeInput {
            path: name,
            name,
            mtime: None,
            year: Some(2024),
        },
        rule(zone),
    )
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// The detected format and the times of the file's records (lines the file's reader
/// reads), in order.
fn times(text: &str, zone: &str) -> (Option<Format>, Vec<Resolved>) {
    let ft = learn(text, "x.log", zone);
    let mut out = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let l = line.trim_end_matches('\n');
        if let Some((st, _)) = ft.parse_line_at(at, &text.as_bytes()[at..at + l.len()]) {
            out.push(ft.resolve(&st, at));
        }
        at += line.len();
    }
    (ft.format(), out)
}

#[track_caller]
fn check(text: &str, zone: &str, format: Format, want: &[&str], reason: ZoneReason) {
    let (f, got) = times(text, zone);
    assert_eq!(f, Some(format), "{text}");
    let want: Vec<Resolved> = want.iter().map(|w| Resolved::At(utc(w), reason)).collect();
    assert_eq!(got, want, "{text}");
}

/// MySQL ≤ 5.6 error log (MySQL 5.5 manual, "The Error Log"; the hour is space-padded):
/// `yyMMdd H:mm:ss`, local time.
#[test]
fn mysql_legacy() {
    check(
        "161209 14:18:50 [Note] InnoDB: 5.6.33 started; log sequence number 1626007\n130715  9:08:03 [Note] Plugin 'FEDERATED' is disabled.\n",
        "+08:00",
        Format::MysqlLegacy,
        &["2016-12-09T06:18:50Z", "2013-07-15T01:08:03Z"],
        ZoneReason::Flag,
    );
    // MariaDB 10 pads the hour of its ISO date the same way.
    check(
        "2024-05-14  9:47:16 0 [Note] mariadbd: ready for connections.\n2024-05-14 10:47:16 0 [ERROR] mariadbd: Got error 28\n",
        "UTC",
        Format::DateTimeSeconds,
        &["2024-05-14T09:47:16Z", "2024-05-14T10:47:16Z"],
        ZoneReason::Flag,
    );
}

/// Cisco ASA buffer/syslog (`logging timestamp`): `Apr 15 2013 09:36:50: %ASA-…`; IOS
/// with `service timestamps log datetime msec year show-timezone` (`*`: clock not set).
#[test]
fn cisco() {
    check(
        "Apr 15 2013 09:36:50: %ASA-4-106023: Deny tcp src outside:10.1.1.1/1234 dst inside:10.2.2.2/80\nApr 15 2013 09:36:51: %ASA-6-302013: Built outbound TCP connection 1\n",
        "-05:00",
        Format::Cisco,
        &["2013-04-15T14:36:50Z", "2013-04-15T14:36:51Z"],
        ZoneReason::Flag,
    );
    check(
        "*Mar  1 2013 18:46:11.123 UTC: %SYS-5-CONFIG_I: Configured from console by vty0\n*Mar  1 2013 18:47:11.123 UTC: %LINK-3-UPDOWN: Interface Gi0/1, changed state to down\n",
        "+08:00",
        Format::Cisco,
        &["2013-03-01T18:46:11.123Z", "2013-03-01T18:47:11.123Z"],
        ZoneReason::Explicit,
    );
    // Without `year`, IOS writes the syslog shape with a colon (and `*`): year-less.
    check(
        "*Mar  1 18:46:11.123: %SYS-5-CONFIG_I: Configured from console\n*Mar  1 18:47:12.456: %LINK-3-UPDOWN: Interface Gi0/1\n",
        "UTC",
        Format::Syslog3164,
        &["2024-03-01T18:46:11.123Z", "2024-03-01T18:47:12.456Z"],
        ZoneReason::Flag,
    );
}

/// `dd.MM.yyyy HH:mm:ss` (day-first locales: de_DE/ru_RU Java patterns, 1C, Windows
/// exports).
#[test]
fn dotted_dates() {
    check(
        "14.05.2024 09:47:16 ERROR Verbindung abgelehnt\n14.05.2024 09:47:17.250 INFO ok\n",
        "+02:00",
        Format::DottedDate,
        &["2024-05-14T07:47:16Z", "2024-05-14T07:47:17.250Z"],
        ZoneReason::Flag,
    );
}

/// auditd `audit.log` (linux-audit `auparse` docs): `msg=audit(epoch.ms:serial)`, also
/// after `node=` when `name_format` is set.
#[test]
fn auditd() {
    check(
        "type=SYSCALL msg=audit(1481076983.819:7798): arch=c000003e syscall=2 success=no exit=-13\nnode=web1 type=USER_LOGIN msg=audit(1481076990.100:7800): pid=1 uid=0\n",
        "+08:00",
        Format::Auditd,
        &["2016-12-07T02:16:23.819Z", "2016-12-07T02:16:30.100Z"],
        ZoneReason::Explicit,
    );
}

/// Stamps in brackets: Celery's worker log (`[%(asctime)s: %(levelname)s/%(processName)s]`),
/// Kafka/ZooKeeper's log4j `[%d] %p %m`, gunicorn's error log (`[%Y-%m-%d %H:%M:%S %z]`),
/// Elasticsearch's `[%d{ISO8601}][%-5p]`.
#[test]
fn bracketed_stamps() {
    check(
        "[2024-05-14 09:47:16,080: ERROR/ForkPoolWorker-3] Task shop.tasks.push raised unexpected: ConnectionError()\n[2024-05-14 09:47:17,000: INFO/MainProcess] Task shop.tasks.push succeeded\n",
        "+02:00",
        Format::BracketIso,
        &["2024-05-14T07:47:16.080Z", "2024-05-14T07:47:17Z"],
        ZoneReason::Flag,
    );
    check(
        "[2024-05-14 09:47:16,080] INFO [KafkaServer id=1] started (kafka.server.KafkaServer)\n[2024-05-14 09:47:17,080] WARN [Controller id=1] x (kafka.controller.KafkaController)\n",
        "UTC",
        Format::BracketIso,
        &["2024-05-14T09:47:16.080Z", "2024-05-14T09:47:17.080Z"],
        ZoneReason::Flag,
    );
    check(
        "[2024-05-14 09:47:16 +0200] [2211] [INFO] Starting gunicorn 21.2.0\n[2024-05-14 09:47:46 +0200] [2211] [CRITICAL] WORKER TIMEOUT (pid:2215)\n",
        "UTC",
        Format::BracketIso,
        &["2024-05-14T07:47:16Z", "2024-05-14T07:47:46Z"],
        ZoneReason::Explicit,
    );
    check(
        "[2024-05-14T09:47:16,080][INFO ][o.e.n.Node               ] [node-1] started\n[2024-05-14T09:47:17,080][WARN ][o.e.c.r.a.DiskThresholdMonitor] [node-1] high disk watermark\n",
        "UTC",
        Format::BracketIso,
        &["2024-05-14T09:47:16.080Z", "2024-05-14T09:47:17.080Z"],
        ZoneReason::Flag,
    );
}

/// Redis 3+ (`serverLogRaw`: `pid:role dd Mon yyyy HH:MM:SS.mmm level`) and its signal
/// handler's epoch.
#[test]
fn redis() {
    let (f, got) = times(
        "1:M 14 May 2024 10:41:37.208 # Server initialized\n1:signal-handler (1715683297) Received SIGTERM scheduling shutdown...\n",
        "+02:00",
    );
    assert_eq!(f, Some(Format::Redis));
    assert_eq!(
        got,
        vec![
            Resolved::At(utc("2024-05-14T08:41:37.208Z"), ZoneReason::Flag),
            Resolved::At(utc("2024-05-14T10:41:37Z"), ZoneReason::Explicit),
        ]
    );
}

/// Erlang/OTP error_logger (RabbitMQ ≤ 3.6): `=ERROR REPORT==== 14-May-2024::09:47:16 ===`.
#[test]
fn erlang_reports() {
    check(
        "=ERROR REPORT==== 14-May-2024::09:47:16.080 ===\nError in process <0.123.0>\n=INFO REPORT==== 14-May-2024::09:47:17 ===\nstarted\n",
        "UTC",
        Format::ErlangReport,
        &["2024-05-14T09:47:16.080Z", "2024-05-14T09:47:17Z"],
        ZoneReason::Flag,
    );
}

/// PHP's `error_log` (`[d-M-Y H:i:s e]`: the `date.timezone` name) and PHP-FPM's (no zone).
#[test]
fn php() {
    let text = "[14-May-2024 09:47:16 Europe/Berlin] PHP Fatal error:  Uncaught Exception in /srv/x.php:3\n[14-May-2024 09:47:17 UTC] PHP Warning:  y\n[14-May-2024 09:47:18] WARNING: [pool www] child 12 exited\n";
    let (f, got) = times(text, "+08:00");
    assert_eq!(f, Some(Format::Php));
    assert_eq!(
        got,
        vec![
            Resolved::At(utc("2024-05-14T07:47:16Z"), ZoneReason::Explicit),
            Resolved::At(utc("2024-05-14T09:47:17Z"), ZoneReason::Explicit),
            Resolved::At(utc("2024-05-14T01:47:18Z"), ZoneReason::Flag),
        ]
    );
}

/// Oracle ≤ 11g alert log: a bare `ctime` line, then the message lines.
#[test]
fn ctime_lines() {
    check(
        "Tue May 14 09:47:16 2024\nORA-00600: internal error code, arguments: [kcbz]\nTue May 14 09:48:16 2024\nThread 1 advanced to log sequence 42\n",
        "UTC",
        Format::Ctime,
        &["2024-05-14T09:47:16Z", "2024-05-14T09:48:16Z"],
        ZoneReason::Flag,
    );
}

/// Nagios's `nagios.log` (`[epoch] SERVICE ALERT: …`).
#[test]
fn nagios() {
    check(
        "[1715680036] SERVICE ALERT: web1;HTTP;CRITICAL;HARD;3;Connection refused\n[1715680037] HOST ALERT: web1;DOWN;HARD;1;PING CRITICAL\n",
        "+08:00",
        Format::Nagios,
        &["2024-05-14T09:47:16Z", "2024-05-14T09:47:17Z"],
        ZoneReason::Explicit,
    );
}

/// Event Viewer's "Save All Events As…" CSV and tab-separated text (en-US and de-DE),
/// `Get-WinEvent | Export-Csv` (*pattern*): the time is a column the header names.
#[test]
fn windows_exports() {
    check(
        "Level,Date and Time,Source,Event ID,Task Category\nError,5/14/2024 9:47:16 AM,Service Control Manager,7031,None,\"The X service terminated unexpectedly.\"\nInformation,5/14/2024 9:48:16 PM,Service Control Manager,7036,None,\"The Y service entered the running state.\"\n",
        "UTC",
        Format::CsvColumn,
        &["2024-05-14T09:47:16Z", "2024-05-14T21:48:16Z"],
        ZoneReason::Flag,
    );
    check(
        "Ebene\tDate and Time\tQuelle\tEreignis-ID\tAufgabenkategorie\nFehler\t14.05.2024 09:47:16\tService Control Manager\t7031\tKeine\tDer Dienst wurde unerwartet beendet.\n",
        "+02:00",
        Format::TsvColumn,
        &["2024-05-14T07:47:16Z"],
        ZoneReason::Flag,
    );
    check(
        "\"Message\",\"Id\",\"TimeCreated\"\n\"The X service terminated unexpectedly.\",\"7031\",\"5/14/2024 9:47:16 AM\"\n",
        "UTC",
        Format::CsvColumn,
        &["2024-05-14T09:47:16Z"],
        ZoneReason::Flag,
    );
    // `wevtutil qe System /f:text`: the date is a field of the record.
    check(
        "Event[0]:\r\n  Log Name: System\r\n  Source: Service Control Manager\r\n  Date: 2024-05-14T09:47:16.452\r\n  Event ID: 7031\r\nEvent[1]:\r\n  Log Name: System\r\n  Date: 2024-05-14T09:48:16.000\r\n",
        "UTC",
        Format::WinEventText,
        &["2024-05-14T09:47:16.452Z", "2024-05-14T09:48:16Z"],
        ZoneReason::Flag,
    );
}

/// JSON time fields of the common JSON layouts: log4j2 `JsonLayout` (`timeMillis`, and
/// `instant` since 2.11), Serilog's compact JSON (`@t`), MongoDB 4.4+ (`{"t":{"$date":…}}`),
/// zap's float `ts`, epochs in seconds/ms/µs/ns under `timestamp`, Google Cloud's
/// `{"seconds","nanos"}`, `unixTime`, `calendarTime`.
#[test]
fn json_time_fields() {
    let text = concat!(
        r#"{"timeMillis":1715680036080,"thread":"main","level":"ERROR","message":"boom"}"#,
        "\n",
        r#"{"instant":{"epochSecond":1715680036,"nanoOfSecond":80000000},"level":"ERROR"}"#,
        "\n",
        r#"{"@t":"2024-05-14T09:47:16.0800000Z","@mt":"Failed {Id}","@l":"Error","Id":7}"#,
        "\n",
        r#"{"t":{"$date":"2024-05-14T11:47:16.080+02:00"},"s":"E","c":"NETWORK","msg":"x"}"#,
        "\n",
        r#"{"level":"error","ts":1715680036.08,"msg":"x"}"#,
        "\n",
        r#"{"timestamp":1715680036080000,"msg":"µs"}"#,
        "\n",
        r#"{"timestamp":1715680036080000000,"msg":"ns"}"#,
        "\n",
        r#"{"timestamp":{"seconds":1715680036,"nanos":80000000},"severity":"ERROR"}"#,
        "\n",
        r#"{"unixTime":1715680036,"msg":"s"}"#,
        "\n",
        r#"{"calendarTime":"2024-05-14T09:47:16Z","msg":"s"}"#,
        "\n",
        r#"{"TimeCreated":"\/Date(1715680036080)\/","Id":7031}"#,
        "\n",
    );
    let (_, got) = times(text, "+08:00");
    let ms = Resolved::At(utc("2024-05-14T09:47:16.080Z"), ZoneReason::Explicit);
    let s = Resolved::At(utc("2024-05-14T09:47:16Z"), ZoneReason::Explicit);
    assert_eq!(
        got,
        vec![
            ms.clone(),
            ms.clone(),
            ms.clone(),
            ms.clone(),
            ms.clone(),
            ms.clone(),
            ms.clone(),
            ms.clone(),
            s.clone(),
            s,
            ms
        ]
    );
}

/// JSON events pretty-printed over several lines (`jq .`, `JSON.stringify(e, null, 2)`):
/// the record starts at `{` and its time is a field further down.
#[test]
fn pretty_printed_json() {
    check(
        "{\n  \"level\": \"error\",\n  \"timestamp\": \"2024-05-14T09:47:16.080Z\",\n  \"message\": \"Connection refused\"\n}\n{\n  \"timestamp\": \"2024-05-14T09:47:17.080Z\",\n  \"level\": \"info\"\n}\n",
        "+08:00",
        Format::JsonPretty,
        &["2024-05-14T09:47:16.080Z", "2024-05-14T09:47:17.080Z"],
        ZoneReason::Explicit,
    );
}

/// A relay's header before the device's own stamp (rsyslog relaying a firewall; a
/// collector prefixing its RFC 3339 receive time): the inner stamp is the event's time.
#[test]
fn relays() {
    check(
        "May 14 09:47:20 relay01 May 14 09:47:16 fw01 kernel: DROP IN=eth0 SRC=1.2.3.4\nMay 14 09:47:21 relay01 May 14 09:47:17 fw01 kernel: DROP IN=eth0 SRC=1.2.3.5\n",
        "UTC",
        Format::Syslog3164,
        &["2024-05-14T09:47:16Z", "2024-05-14T09:47:17Z"],
        ZoneReason::Flag,
    );
    check(
        "2024-05-14T09:47:20+02:00 relay01 Apr 15 2013 09:36:50: %ASA-4-106023: Deny tcp\n2024-05-14T09:47:21+02:00 relay01 Apr 15 2013 09:36:51: %ASA-4-106023: Deny tcp\n",
        "UTC",
        Format::Cisco,
        &["2013-04-15T09:36:50Z", "2013-04-15T09:36:51Z"],
        ZoneReason::Flag,
    );
    // A syslog line whose message holds a stamp after the program is not a relay.
    let (_, got) = times(
        "May 14 09:47:20 host app[1]: 2024-05-14 01:00:00 job done\n",
        "UTC",
    );
    assert_eq!(
        got,
        vec![Resolved::At(utc("2024-05-14T09:47:20Z"), ZoneReason::Flag)]
    );
}

/// Fortinet FortiOS (`date=… time=… tz="+0200"`).
#[test]
fn fortios_key_values() {
    check(
        "date=2024-05-14 time=09:47:16 devname=\"FG100E\" logid=\"0000000013\" type=\"traffic\" tz=\"+0200\" action=\"deny\"\ndate=2024-05-14 time=09:47:17 devname=\"FG100E\" type=\"traffic\" tz=\"+0200\" action=\"accept\"\n",
        "UTC",
        Format::Logfmt,
        &["2024-05-14T07:47:16Z", "2024-05-14T07:47:17Z"],
        ZoneReason::Explicit,
    );
}

/// The kernel ring buffer: seconds since boot, anchored to the file's mtime.
#[test]
fn dmesg_uptime() {
    let text = "[    0.000000] Linux version 5.15.0\n[ 1234.567890] Out of memory: Killed process 1234 (java)\n";
    let buf = text.as_bytes();
    let ft = FileTime::learn(
        buf,
        &faultscope::scan::split_chunks(buf, 16 << 20),
        &FileTimeInput {
            path: "dmesg",
            name: "dmesg",
            mtime: Some(utc("2024-05-14T10:00:00Z").into()),
            year: None,
        },
        rule("UTC"),
    );
    assert_eq!(ft.format(), Some(Format::Dmesg));
    let second = text.find("[ 1234").unwrap();
    let (st, _) = ft.parse_line(&buf[second..buf.len() - 1]).unwrap();
    assert_eq!(
        ft.resolve(&st, second),
        Resolved::At(utc("2024-05-14T10:00:00Z"), ZoneReason::Explicit)
    );
}

/// PostgreSQL `%m` with an unambiguous abbreviation (`CEST`) is read at its offset, and
/// an ambiguous one (`CST`) is still refused.
#[test]
fn abbreviations_with_their_dst_meaning() {
    check(
        "2024-05-14 09:12:01.123 CEST [1234] LOG:  database system is ready to accept connections\n",
        "UTC",
        Format::PgPrefix,
        &["2024-05-14T07:12:01.123Z"],
        ZoneReason::Alias,
    );
    let (_, got) = times(
        "2024-05-14 09:12:01.123 CST [1234] LOG:  database system is ready\n",
        "UTC",
    );
    assert_eq!(got, vec![Resolved::Ambiguous("CST".into())]);
}

//! Every timestamp format of timestamps.md §1 (and the loghub oddities of §8), read the way a
//! scan reads a file: detection on the text, then the file's time context, then the zone
//! rule. Examples are the document's own.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use faultscope::time::{
    detect, detect_file, parse_any, parse_with, quick_shape, FileTime, FileTimeInput, Format,
    Partial, Resolved, StampZone, Zone, ZoneReason, ZoneRule,
};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn rule(zone: &str, aliases: &[(&str, &str)]) -> ZoneRule {
    ZoneRule {
        zone: Zone::parse(zone).unwrap(),
        reason: ZoneReason::Flag,
        aliases: aliases
            .iter()
            .map(|(a, z)| (a.to_string(), Zone::parse(z).unwrap()))
            .collect::<BTreeMap<_, _>>(),
    }
}

fn learn_with(text: &str, name: &str, r: ZoneRule, year: Option<i32>) -> FileTime {
    let buf = text.as_bytes();
    let chunks = faultscope::scan::split_chunks(buf, 16 << 20);
    FileTime::learn(
        buf,
        &chunks,
        &FileTimeInput {
            path: name,
            name,
            mtime: None,
            year,
        },
        r,
    )
}

/// Detected format and the first line's resolution, for a file made of `text`.
fn read(text: &str, zone: &str) -> (Option<Format>, Resolved) {
    let ft = learn_with(text, "x.log", rule(zone, &[]), Some(2019));
    let first = text.lines().next().unwrap();
    let (st, _) = ft.parse_line(first.as_bytes()).expect("stamp");
    (ft.format(), ft.resolve(&st, 0))
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[track_caller]
fn check(line: &str, zone: &str, format: Format, want: &str, reason: ZoneReason) {
    let (f, r) = read(line, zone);
    assert_eq!(f, Some(format), "{line}");
    assert_eq!(r, Resolved::At(utc(want), reason), "{line}");
}

#[test]
fn iso8601_offset_variants() {
    for (l, want) in [
        (
            "2019-08-21T16:02:06.452+08:00 x",
            "2019-08-21T08:02:06.452Z",
        ),
        ("2019-08-21T16:02:06.452+0800 x", "2019-08-21T08:02:06.452Z"),
        ("2019-08-21T16:02:06.452Z x", "2019-08-21T16:02:06.452Z"),
        (
            "2019-08-21T16:02:06.452345678Z x",
            "2019-08-21T16:02:06.452345678Z",
        ),
        (
            "2023-05-09T00:25:48.283+02:00  INFO 20062 --- [main] o.s.b.App : Started",
            "2023-05-08T22:25:48.283Z",
        ),
        (
            "2019-08-21T16:02:06.452+0800: 12.345: [GC (Allocation Failure)",
            "2019-08-21T08:02:06.452Z",
        ),
    ] {
        check(
            l,
            "-05:00",
            Format::Iso8601Offset,
            want,
            ZoneReason::Explicit,
        );
    }
}

#[test]
fn java_application_formats() {
    check(
        "2019-08-21 16:02:06.452  INFO 1234 --- [main] c.e.DemoApplication : msg",
        "+08:00",
        Format::BootLogback,
        "2019-08-21T08:02:06.452Z",
        ZoneReason::Flag,
    );
    check(
        "2015-10-18 18:01:47,978 INFO [main] o.a.h.mapreduce.v2.app.MRAppMaster: Created",
        "UTC",
        Format::CommaMillis,
        "2015-10-18T18:01:47.978Z",
        ZoneReason::Flag,
    );
    check(
        "2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200",
        "UTC",
        Format::CommaMillis,
        "2015-07-29T17:41:44.747Z",
        ZoneReason::Flag,
    );
    for l in [
        "21-Aug-2019 16:02:06.452 INFO [main] org.apache.catalina.startup.Catalina.start …",
        "21-Aug-2019 16:02:06.452 信息 [main] org.apache.catalina.startup.Catalina.start …",
    ] {
        check(
            l,
            "+08:00",
            Format::TomcatJuli,
            "2019-08-21T08:02:06.452Z",
            ZoneReason::Flag,
        );
    }
}

#[test]
fn jul_simple_formatter_12h_clock_and_chinese_months() {
    let two = "Dec 22, 2015 1:45:12 PM org.apache.commons.httpclient.HttpMethodDirector executeWithRetry\nINFO: I/O exception (java.net.SocketException) caught when processing request: Connection reset\n";
    check(
        two,
        "UTC",
        Format::JulSimple,
        "2015-12-22T13:45:12Z",
        ZoneReason::Flag,
    );
    // The message line is not a stamp: it belongs to the record above.
    assert!(parse_any(b"INFO: I/O exception (java.net.SocketException) caught").is_none());
    for (l, want) in [
        ("Dec 22, 2015 12:05:00 AM a.B m", "2015-12-22T00:05:00Z"),
        ("Dec 22, 2015 12:05:00 PM a.B m", "2015-12-22T12:05:00Z"),
        ("Dec 22, 2015 11:59:59 PM a.B m", "2015-12-22T23:59:59Z"),
        ("十二月 22, 2015 1:45:12 下午 a.B m", "2015-12-22T13:45:12Z"),
        ("三月 1, 2016 9:00:00 上午 a.B m", "2016-03-01T09:00:00Z"),
    ] {
        check(l, "UTC", Format::JulSimple, want, ZoneReason::Flag);
    }
    assert!(parse_any(b"Dec 22, 2015 13:45:12 PM a.B m").is_none());
}

#[test]
fn java_date_tostring_abbreviations() {
    // The founding case: CST is never guessed.
    let (f, r) = read("Sun Jun 30 12:46:00 CST 2019 msg", "UTC");
    assert_eq!(f, Some(Format::JavaDate));
    assert_eq!(r, Resolved::Ambiguous("CST".into()));
    let ft = learn_with(
        "Sun Jun 30 12:46:00 CST 2019 msg",
        "x",
        rule("UTC", &[("CST", "Asia/Shanghai")]),
        None,
    );
    let (st, _) = ft.parse_line(b"Sun Jun 30 12:46:00 CST 2019 msg").unwrap();
    assert_eq!(
        ft.resolve(&st, 0),
        Resolved::At(utc("2019-06-30T04:46:00Z"), ZoneReason::Alias)
    );
    check(
        "Sun Jun 30 12:46:00 JST 2019",
        "UTC",
        Format::JavaDate,
        "2019-06-30T03:46:00Z",
        ZoneReason::Alias,
    );
    check(
        "Sun Jun 30 12:46:00 GMT+08:00 2019",
        "UTC",
        Format::JavaDate,
        "2019-06-30T04:46:00Z",
        ZoneReason::Explicit,
    );
    for a in ["IST", "BST", "AST", "PST", "SST", "GST", "CDT", "ADT"] {
        let l = format!("Sun Jun 30 12:46:00 {a} 2019");
        assert_eq!(read(&l, "UTC").1, Resolved::Ambiguous(a.into()), "{a}");
    }
}

#[test]
fn web_server_formats() {
    check(
        "2020/06/01 08:53:59 [error] 32197#32197: *6552 connect() failed (111: Connection refused)",
        "+08:00",
        Format::NginxError,
        "2020-06-01T00:53:59Z",
        ZoneReason::Flag,
    );
    check(
        r#"192.168.2.20 - - [28/Jul/2006:10:27:10 -0300] "GET /cgi-bin/try/ HTTP/1.0" 200 3395"#,
        "+08:00",
        Format::Clf,
        "2006-07-28T13:27:10Z",
        ZoneReason::Explicit,
    );
    check(
        "[Wed Mar 09 06:28:44.358980 2022] [core:notice] [pid 21332] AH00094: Command line",
        "UTC",
        Format::ApacheError,
        "2022-03-09T06:28:44.358980Z",
        ZoneReason::Flag,
    );
    check(
        "[Tue Jul 28 06:07:02 2015] [notice] Apache configured",
        "UTC",
        Format::ApacheError,
        "2015-07-28T06:07:02Z",
        ZoneReason::Flag,
    );
}

#[test]
fn iis_w3c_is_utc_whatever_the_flag_says() {
    let l = "2019-08-21 08:02:06 10.0.0.5 GET /api/x - 443 - 10.0.0.9 Mozilla/5.0 200 0 0 46";
    check(
        l,
        "+08:00",
        Format::IisW3c,
        "2019-08-21T08:02:06Z",
        ZoneReason::Explicit,
    );
    // Another field order: the `#Fields` directive decides.
    let file = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2019-08-21 08:00:00\n#Fields: date time s-sitename s-computername s-ip cs-method\n2019-08-21 08:02:06 W3SVC1 WEB01 10.0.0.5 GET\n";
    let ft = learn_with(file, "u_ex190821.log", rule("+08:00", &[]), None);
    assert_eq!(ft.format(), Some(Format::IisW3c));
    let (st, _) = ft
        .parse_line(b"2019-08-21 08:02:06 W3SVC1 WEB01 10.0.0.5 GET")
        .unwrap();
    assert_eq!(
        ft.resolve(&st, 0),
        Resolved::At(utc("2019-08-21T08:02:06Z"), ZoneReason::Explicit)
    );
}

#[test]
fn database_formats() {
    check(
        "2006-02-27 00:02:00.34 Logon       Error: 18456, Severity: 14, State: 8.",
        "UTC",
        Format::MssqlErrorlog,
        "2006-02-27T00:02:00.340Z",
        ZoneReason::Flag,
    );
    // `UTC adjustment` pins the file's offset when no flag set a zone.
    let file = "2022-09-22 15:58:11.50 Server      UTC adjustment: 5:30\n2022-09-22 15:58:12.00 Logon       Error: 18456\n";
    let mut r = rule("UTC", &[]);
    r.reason = ZoneReason::DefaultLocal;
    let ft = learn_with(file, "ERRORLOG", r, None);
    let (st, _) = ft
        .parse_line(b"2022-09-22 15:58:12.00 Logon       Error: 18456")
        .unwrap();
    assert_eq!(
        ft.resolve(&st, 0),
        Resolved::At(utc("2022-09-22T10:28:12Z"), ZoneReason::Explicit)
    );
    // PostgreSQL: abbreviation or numeric offset.
    check(
        "2018-11-21 12:41:32 FET 00000 LOG:  database system is ready",
        "UTC",
        Format::PgPrefix,
        "2018-11-21T09:41:32Z",
        ZoneReason::Alias,
    );
    check(
        "2018-11-21 12:41:32 +03 00000 LOG:  database system is ready",
        "UTC",
        Format::PgPrefix,
        "2018-11-21T09:41:32Z",
        ZoneReason::Explicit,
    );
    let (f, r) = read("2019-08-21 16:02:06.452 CST [1234] LOG:  checkpoint", "UTC");
    assert_eq!(f, Some(Format::PgPrefix));
    assert_eq!(r, Resolved::Ambiguous("CST".into()));
    // A level word is not a zone.
    let (f, _) = read("2019-08-21 16:02:06.452 INFO 1234 --- [main] a : b", "UTC");
    assert_eq!(f, Some(Format::BootLogback));
    check(
        "2020-08-06T14:25:02.835618Z 0 [Note] [MY-012487] [InnoDB] DDL log recovery",
        "+08:00",
        Format::Iso8601Offset,
        "2020-08-06T14:25:02.835618Z",
        ZoneReason::Explicit,
    );
}

#[test]
fn system_formats() {
    check(
        "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 - msg",
        "+08:00",
        Format::Syslog5424,
        "2003-10-11T22:14:15.003Z",
        ZoneReason::Explicit,
    );
    check(
        "2019-08-21T16:02:06+0800 host unit[123]: msg",
        "UTC",
        Format::JournalShortIso,
        "2019-08-21T08:02:06Z",
        ZoneReason::Explicit,
    );
    check(
        "2019-08-21T16:02:06.452345+0800 host kernel: msg",
        "UTC",
        Format::JournalShortIso,
        "2019-08-21T08:02:06.452345Z",
        ZoneReason::Explicit,
    );
    // RFC 3164: no year (--year 2019 in `read`), day space-padded or not, with a PRI.
    for (l, want) in [
        (
            "Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown",
            "2019-06-14T15:16:02Z",
        ),
        (
            "Jul  1 09:01:05 calvisitor-10-105-160-95 com.apple.CDScheduler[43]: Thermal",
            "2019-07-01T09:01:05Z",
        ),
        (
            "Nov 9 12:01:01 dn228/dn228 crond[2915]: x",
            "2019-11-09T12:01:01Z",
        ),
        (
            "<34>Oct 11 22:14:15 mymachine su: 'su root' failed",
            "2019-10-11T22:14:15Z",
        ),
    ] {
        check(l, "UTC", Format::Syslog3164, want, ZoneReason::Flag);
    }
    check(
        r#"I1012 20:32:36.250791   24371 main.go:11] "hello world" foo="bar""#,
        "UTC",
        Format::Klog,
        "2019-10-12T20:32:36.250791Z",
        ZoneReason::Flag,
    );
    check(
        "E0102 03:04:05.000001    1 reflector.go:1] failed",
        "+01:00",
        Format::Klog,
        "2019-01-02T02:04:05.000001Z",
        ZoneReason::Flag,
    );
    check(
        "03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogs",
        "UTC",
        Format::Logcat,
        "2019-03-17T16:13:38.811Z",
        ZoneReason::Flag,
    );
}

#[test]
fn container_and_json_formats() {
    check(
        r#"{"log":"msg\n","stream":"stdout","time":"2019-08-21T08:02:06.452345678Z"}"#,
        "+08:00",
        Format::DockerJson,
        "2019-08-21T08:02:06.452345678Z",
        ZoneReason::Explicit,
    );
    check(
        "2019-04-30T02:12:41.8443515Z stdout F message",
        "+08:00",
        Format::Cri,
        "2019-04-30T02:12:41.8443515Z",
        ZoneReason::Explicit,
    );
    check(
        r#"2025-11-05T00:40:00.149897031+07:00 stdout F {"component":"x"}"#,
        "UTC",
        Format::Cri,
        "2025-11-04T17:40:00.149897031Z",
        ZoneReason::Explicit,
    );
    for (l, want) in [
        (
            r#"{"timestamp":1566374526452,"level":"info"}"#,
            "2019-08-21T08:02:06.452Z",
        ),
        (
            r#"{"level":"info","ts":1566374526.452,"msg":"x"}"#,
            "2019-08-21T08:02:06.452Z",
        ),
        (
            r#"{"__REALTIME_TIMESTAMP":"1566374526452345","MESSAGE":"x"}"#,
            "2019-08-21T08:02:06.452345Z",
        ),
        (r#"{"time":1566374526,"msg":"x"}"#, "2019-08-21T08:02:06Z"),
    ] {
        check(l, "+08:00", Format::JsonEpoch, want, ZoneReason::Explicit);
    }
    check(
        r#"{"@timestamp":"2019-08-21T08:00:03.123+08:00","message":"x"}"#,
        "UTC",
        Format::JsonLines,
        "2019-08-21T00:00:03.123Z",
        ZoneReason::Explicit,
    );
    // A naive RFC 3339 string in JSON takes the zone rule.
    check(
        r#"{"time":"2019-08-21T16:02:06.452","msg":"x"}"#,
        "+08:00",
        Format::JsonLines,
        "2019-08-21T08:02:06.452Z",
        ZoneReason::Flag,
    );
}

#[test]
fn logfmt_rails_and_iso_access_logs() {
    check(
        "time=2023-08-04T16:09:59.123-04:00 level=INFO msg=\"hello world\"",
        "UTC",
        Format::Logfmt,
        "2023-08-04T20:09:59.123Z",
        ZoneReason::Explicit,
    );
    check(
        r#"time="2016-02-04T06:51:03.053580605Z" level=info msg="GET /containers/json""#,
        "+08:00",
        Format::Logfmt,
        "2016-02-04T06:51:03.053580605Z",
        ZoneReason::Explicit,
    );
    check(
        r#"level=info ts=2019-08-21T08:02:06.452Z caller=main.go:42 msg="Starting Prometheus""#,
        "+08:00",
        Format::Logfmt,
        "2019-08-21T08:02:06.452Z",
        ZoneReason::Explicit,
    );
    // nginx `$time_iso8601` in brackets.
    check(
        r#"10.0.0.1 - - [2019-08-21T16:02:06+08:00] "GET / HTTP/1.1" 200 612"#,
        "UTC",
        Format::Clf,
        "2019-08-21T08:02:06Z",
        ZoneReason::Explicit,
    );
    // Ruby Logger: the stamp in brackets after the severity letter.
    let rails = "I, [2019-08-21T16:02:06.452345 #1234]  INFO -- : Started GET\n";
    let ft = learn_with(rails, "x", rule("+08:00", &[]), None);
    assert_eq!(ft.format(), Some(Format::Iso8601Naive));
    assert_eq!(ft.layouts[0].skip, 1);
    let (st, _) = ft.parse_line(rails.as_bytes()).unwrap();
    assert_eq!(
        ft.resolve(&st, 0),
        Resolved::At(utc("2019-08-21T08:02:06.452345Z"), ZoneReason::Flag)
    );
    // IIS by file name, whatever the field order.
    let iis = "2019-08-21 08:02:06 W3SVC1 10.0.0.5 GET /api/x - 443 - 10.0.0.9 - 500 0 0 46\n";
    let ft = learn_with(iis, "u_ex190821.log", rule("+08:00", &[]), None);
    assert_eq!(ft.format(), Some(Format::IisW3c));
}

#[test]
fn go_log_and_jvm_unified() {
    check(
        "2020/11/05 16:23:08.433760 D:/code/x.go:58: msg",
        "UTC",
        Format::GoLog,
        "2020-11-05T16:23:08.433760Z",
        ZoneReason::Flag,
    );
    check(
        "2009/01/23 01:23:23 msg",
        "UTC",
        Format::GoLog,
        "2009-01-23T01:23:23Z",
        ZoneReason::Flag,
    );
    check(
        "[2024-01-18T15:52:18.144+0000][info][gc] GC(0) Pause Young",
        "+08:00",
        Format::JvmUnified,
        "2024-01-18T15:52:18.144Z",
        ZoneReason::Explicit,
    );
    let (st, f) = parse_any(b"[0.025s][info][gc] GC(0) Pause Full").unwrap();
    assert_eq!(f, Format::JvmUnified);
    assert_eq!(st.partial, Partial::Uptime);
    // Uptime without a clock and without an mtime: undated, never a 1970 date.
    assert_eq!(read("[0.025s][info][gc] x", "UTC").1, Resolved::Undated);
}

#[test]
fn hdfs_only_when_the_whole_file_matches() {
    let l = "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating";
    check(
        l,
        "UTC",
        Format::Hdfs,
        "2008-11-09T20:36:15Z",
        ZoneReason::Flag,
    );
    // Never by the per-line fallback, and not when other lines do not match.
    assert!(parse_any(l.as_bytes()).is_none());
    let mixed = format!("{l}\nsomething else 123456 654321\n");
    assert_ne!(detect(mixed.as_bytes(), 50), Some(Format::Hdfs));
}

#[test]
fn time_only_needs_a_date() {
    let l = "22:43:19.343 [main] INFO  c.e.App - msg";
    assert!(parse_any(l.as_bytes()).is_none());
    assert_eq!(detect(l.as_bytes(), 50), Some(Format::TimeOnly));
    let ft = learn_with(l, "app.2019-08-21.log", rule("+08:00", &[]), None);
    let (st, _) = ft.parse_line(l.as_bytes()).unwrap();
    assert_eq!(
        ft.resolve(&st, 0),
        Resolved::At(utc("2019-08-21T14:43:19.343Z"), ZoneReason::Flag)
    );
    assert!(ft.notes[0].contains("file name"), "{:?}", ft.notes);
}

#[test]
fn loghub_oddities() {
    check(
        "17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered",
        "UTC",
        Format::Spark,
        "2017-06-09T20:10:40Z",
        ZoneReason::Flag,
    );
    for (l, want) in [
        (
            "20171223-22:15:29:606|Step_LSC|30002312|x",
            "2017-12-23T22:15:29.606Z",
        ),
        (
            "20171223-22:15:29:6|Step_LSC|30002312|x",
            "2017-12-23T22:15:29.006Z",
        ),
        (
            "20171223-22:15:29:60|Step_LSC|30002312|x",
            "2017-12-23T22:15:29.060Z",
        ),
        (
            "20171223-22:16:0:119|Step_LSC|30002312|x",
            "2017-12-23T22:16:00.119Z",
        ),
    ] {
        check(l, "UTC", Format::HealthApp, want, ZoneReason::Flag);
    }
    check(
        "[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy",
        "UTC",
        Format::Proxifier,
        "2019-10-30T16:49:06Z",
        ZoneReason::Flag,
    );
    check(
        "2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505",
        "UTC",
        Format::DateTimeSeconds,
        "2016-09-28T04:30:30Z",
        ZoneReason::Flag,
    );
    check(
        "2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO x",
        "UTC",
        Format::Bgl,
        "2005-06-03T15:42:50.675872Z",
        ZoneReason::Flag,
    );
    // Epoch + date prefix: the epoch pins the offset of the node's own stamp.
    check(
        "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO x",
        "+08:00",
        Format::EpochPrefix,
        "2005-06-03T22:42:50.675872Z",
        ZoneReason::Explicit,
    );
    check(
        "- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed",
        "+08:00",
        Format::EpochPrefix,
        "2005-11-09T20:01:01Z",
        ZoneReason::Explicit,
    );
    // OpenStack: the source file name comes first.
    let os = "nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38101a0b] x\n";
    let ft = learn_with(os, "x", rule("UTC", &[]), None);
    assert_eq!(ft.layouts[0].format, Format::BootLogback);
    assert_eq!(ft.layouts[0].skip, 1);
    // HPC: epoch seconds in the 5th column, trusted because every line has one.
    let hpc = "134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change\n350766 node-109 unix.hw state_change.unavailable 1084680778 1 Component State Change\n";
    let ft = learn_with(hpc, "x", rule("+08:00", &[]), None);
    assert_eq!(ft.layouts[0].format, Format::EpochColumn);
    assert_eq!(ft.layouts[0].skip, 4);
    let (st, _) = ft
        .parse_line(hpc.lines().nth(1).unwrap().as_bytes())
        .unwrap();
    assert_eq!(
        ft.resolve(&st, 0),
        Resolved::At(
            DateTime::from_timestamp(1084680778, 0).unwrap(),
            ZoneReason::Explicit
        )
    );
}

#[test]
fn dst_gaps_and_folds_in_iana_zones() {
    let at = |line: &str| read(line, "Europe/Berlin").1;
    // Spring forward: 02:30 does not exist on 2019-03-31; read with the offset before (+01:00).
    assert_eq!(
        at("2019-03-31 02:30:00.000  INFO 1 --- [main] a : b"),
        Resolved::At(utc("2019-03-31T01:30:00Z"), ZoneReason::Flag)
    );
    // Fall back: 02:30 happens twice on 2019-10-27; the earlier (CEST) is taken.
    assert_eq!(
        at("2019-10-27 02:30:00.000  INFO 1 --- [main] a : b"),
        Resolved::At(utc("2019-10-27T00:30:00Z"), ZoneReason::Flag)
    );
    assert_eq!(
        at("2019-07-01 12:00:00.000  INFO 1 --- [main] a : b"),
        Resolved::At(utc("2019-07-01T10:00:00Z"), ZoneReason::Flag)
    );
    // Etc/GMT-8 is +08:00 (POSIX sign inversion).
    assert_eq!(
        read(
            "2019-07-01 12:00:00.000  INFO 1 --- [main] a : b",
            "Etc/GMT-8"
        )
        .1,
        Resolved::At(utc("2019-07-01T04:00:00Z"), ZoneReason::Flag)
    );
}

#[test]
fn leap_years() {
    assert!(parse_any(b"2020-02-29 10:00:00.000  INFO 1 --- [main] a : b").is_some());
    assert!(parse_any(b"2000-02-29 10:00:00,000 INFO x").is_some());
    assert!(parse_any(b"2019-02-29 10:00:00.000  INFO 1 --- [main] a : b").is_none());
    assert!(parse_any(b"2100-02-29 10:00:00,000 INFO x").is_none());
    // Feb 29 without a year survives parsing and is checked once the year is known.
    let (st, _) = parse_any(b"Feb 29 10:00:00 h a: x").unwrap();
    assert_eq!((st.naive.month(), st.naive.day()), (2, 29));
    assert_eq!(st.partial, Partial::NoYear);
    let ft = learn_with(
        "Feb 29 10:00:00 h a: x\n",
        "m",
        rule("UTC", &[]),
        Some(2019),
    );
    assert_eq!(ft.resolve(&st, 0), Resolved::Undated);
    assert!(ft.notes.iter().any(|n| n.contains("leap")));
    let ft = learn_with(
        "Feb 29 10:00:00 h a: x\n",
        "m",
        rule("UTC", &[]),
        Some(2024),
    );
    assert_eq!(
        ft.resolve(&st, 0),
        Resolved::At(utc("2024-02-29T10:00:00Z"), ZoneReason::Flag)
    );
}

#[test]
fn a_file_that_changes_format_is_redetected() {
    let mut text = String::new();
    while text.len() < 80 * 1024 {
        text.push_str("2019-08-21 08:00:04.053  INFO 4321 --- [main] c.e.App : starting up\n");
    }
    let tail_line = "Aug 21 10:00:00 host app[1]: switched to syslog";
    for _ in 0..100 {
        text.push_str(tail_line);
        text.push('\n');
    }
    let buf = text.as_bytes();
    let chunks = faultscope::scan::split_chunks(buf, 16 << 20);
    let ft = FileTime::learn(
        buf,
        &chunks,
        &FileTimeInput {
            path: "x",
            name: "x",
            mtime: None,
            year: Some(2019),
        },
        rule("UTC", &[]),
    );
    assert_eq!(ft.format(), Some(Format::BootLogback));
    assert!(
        ft.layouts.iter().any(|l| l.format == Format::Syslog3164),
        "{:?}",
        ft.layouts
    );
    let (st, f) = ft.parse_line(tail_line.as_bytes()).unwrap();
    assert_eq!(f, Format::Syslog3164);
    assert_eq!(
        ft.resolve(&st, buf.len() - 10),
        Resolved::At(utc("2019-08-21T10:00:00Z"), ZoneReason::Flag)
    );
}

#[test]
fn detection_prefers_the_majority_and_specific_formats() {
    let d = detect_file(
        b"2019-08-21 08:00:04.053  INFO 1 --- [main] a : b\n\tat x\nCaused by: y\n2019-08-21 08:00:05.053  INFO 1 --- [main] a : b\n",
        50,
    );
    assert_eq!(d.layouts[0].format, Format::BootLogback);
    assert!(detect(b"no stamps here\nnone at all\n", 50).is_none());
}

// ---------------------------------------------------------------------------------------
// Property tests.

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (631_152_000i64..4_102_444_000, 0u32..1000)
        .prop_map(|(s, ms)| DateTime::from_timestamp(s, ms * 1_000_000).unwrap())
}

proptest! {
    /// Format an instant in each format, read it back.
    #[test]
    fn round_trips(t in instant(), off_min in -720i32..840) {
        let n = t.naive_utc();
        let ms = n.and_utc().timestamp_subsec_millis();
        let cases: Vec<(String, Format)> = vec![
            (n.format("%Y-%m-%d %H:%M:%S%.3f  INFO 1 --- [main] a : b").to_string(), Format::BootLogback),
            (n.format("%Y-%m-%d %H:%M:%S,%3f INFO [main] a - b").to_string(), Format::CommaMillis),
            (n.format("%Y/%m/%d %H:%M:%S [error] 1#1: x").to_string(), Format::NginxError),
            (n.format("[%a %b %d %H:%M:%S%.6f %Y] [core:notice] x").to_string(), Format::ApacheError),
            (n.format("%d-%b-%Y %H:%M:%S%.3f INFO [main] a.B.c x").to_string(), Format::TomcatJuli),
            (n.format("%b %-d, %Y %-I:%M:%S %p a.B m").to_string(), Format::JulSimple),
            (n.format("%Y-%m-%d-%H.%M.%S%.6f R02 RAS").to_string(), Format::Bgl),
            (format!("{}{}|c|1|x", n.format("%Y%m%d-%-H:%-M:%-S:"), ms), Format::HealthApp),
            (n.format("%Y-%m-%d %H:%M:%S.%3f Logon x").to_string().replacen(&format!(".{:03}", ms), &format!(".{:02}", ms / 10), 1), Format::MssqlErrorlog),
        ];
        for (line, f) in cases {
            let (st, got) = parse_any(line.as_bytes()).unwrap_or_else(|| panic!("{line}"));
            prop_assert_eq!(got, f, "{}", line);
            let want = match f {
                Format::JulSimple | Format::NginxError => n.with_nanosecond(0).unwrap(),
                Format::MssqlErrorlog => n.with_nanosecond(ms / 10 * 10_000_000).unwrap(),
                _ => n,
            };
            prop_assert_eq!(st.naive, want, "{}", line);
        }
        // Explicit offsets: the instant survives whatever the zone rule says.
        let off = chrono::FixedOffset::east_opt(off_min * 60).unwrap();
        let local = t.with_timezone(&off);
        for (line, f) in [
            (local.format("%Y-%m-%dT%H:%M:%S%.3f%:z x").to_string(), Format::Iso8601Offset),
            (local.format("1.2.3.4 - - [%d/%b/%Y:%H:%M:%S %z] \"GET / HTTP/1.1\" 200 1").to_string(), Format::Clf),
            (local.format("<13>1 %Y-%m-%dT%H:%M:%S%.3f%:z host app - - - msg").to_string(), Format::Syslog5424),
            (format!("{{\"ts\":{}.{:03}}}", t.timestamp(), ms), Format::JsonEpoch),
        ] {
            let (f2, r) = read(&line, "+05:00");
            prop_assert_eq!(f2, Some(f), "{}", line);
            let want = if f == Format::Clf { t.with_nanosecond(0).unwrap() } else { t };
            prop_assert_eq!(r, Resolved::At(want, ZoneReason::Explicit), "{}", line);
        }
        // Year-less formats: month, day and time survive; the year comes from --year.
        for (line, f) in [
            (n.format("%b %e %H:%M:%S host app[1]: x").to_string(), Format::Syslog3164),
            (n.format("I%m%d %H:%M:%S%.6f    1 a.go:1] x").to_string(), Format::Klog),
            (n.format("%m-%d %H:%M:%S%.3f  1  2 D T: x").to_string(), Format::Logcat),
            (n.format("[%m.%d %H:%M:%S] a.exe - x").to_string(), Format::Proxifier),
        ] {
            let (st, got) = parse_any(line.as_bytes()).unwrap_or_else(|| panic!("{line}"));
            prop_assert_eq!(got, f);
            prop_assert_eq!(st.partial, Partial::NoYear);
            prop_assert_eq!((st.naive.month(), st.naive.day(), st.naive.hour(), st.naive.minute(), st.naive.second()),
                (n.month(), n.day(), n.hour(), n.minute(), n.second()));
            let ft = learn_with(&line, "x", rule("UTC", &[]), Some(n.year()));
            match ft.resolve(&st, 0) {
                Resolved::At(r, _) => prop_assert_eq!(r.naive_utc().date(), n.date()),
                other => prop_assert!(false, "{:?}", other),
            }
        }
    }

    /// Random bytes never panic the detector, the per-file context or any parser.
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = detect_file(&bytes, 50);
        let chunks = faultscope::scan::split_chunks(&bytes, 1 << 20);
        let ft = FileTime::learn(&bytes, &chunks, &FileTimeInput::default(), rule("UTC", &[]));
        for line in bytes.split(|&c| c == b'\n') {
            if let Some((st, _)) = ft.parse_line(line) {
                let _ = ft.resolve(&st, 0);
            }
            let _ = ft.quick(line);
            let _ = parse_any(line);
            for f in Format::ALL {
                let _ = parse_with(f, line);
                let _ = quick_shape(f, line);
            }
        }
    }

    /// Near-stamps (digits, separators, month names) never panic either.
    #[test]
    fn near_stamps_never_panic(s in "[0-9 :./T+Z\\-\\[\\]<>{}\",a-zA-Z]{0,60}") {
        let b = s.as_bytes();
        let _ = detect_file(b, 50);
        let _ = parse_any(b);
        for f in Format::ALL {
            if let Some(st) = parse_with(f, b) {
                // Whatever reads, reads a valid calendar date.
                prop_assert!(NaiveDate::from_ymd_opt(st.naive.year(), st.naive.month(), st.naive.day()).is_some());
                if let StampZone::Offset(o) = st.zone {
                    prop_assert!(o.local_minus_utc().abs() <= 15 * 3600);
                }
            }
        }
    }
}

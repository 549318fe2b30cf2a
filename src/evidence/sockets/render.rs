//! Text rendering of socket evidence: a culprit sentence and a few readable lines per
//! snapshot.
//!
//! Input: a [`SocketsReport`] (or one [`Culprit`] and its snapshot's ephemeral range).
//! Output: text for `faultscope sockets` and for the host-evidence section of the text,
//! Markdown and HTML reports ([`render_text`]); [`culprit_sentence`] also names the culprit
//! of an incident in the report.
//!
//! Tricky case: a process name learned only from the port number is a guess and reads as
//! one ("PID 2468 (probably SQL Server)").

use super::{Culprit, ProcessSource, Side, SocketsReport, TimeSource};

/// `15873` → `15,873`.
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p > 0.0 && p < 0.5 {
        "<1 %".to_string()
    } else {
        format!("{:.0} %", p.round())
    }
}

/// One sentence naming a culprit, e.g.
/// `sqlservr.exe (PID 2468) listening on 1433 holds 15,873 TIME_WAIT, 97 % of 49152–65535`.
pub fn culprit_sentence(c: &Culprit, range: (u16, u16)) -> String {
    let guessed = c.process_source == Some(ProcessSource::WellKnownPort);
    let who = match (&c.process, c.pid, guessed) {
        (Some(p), Some(pid), false) => format!("{p} (PID {pid})"),
        (Some(p), None, false) => p.clone(),
        (Some(p), Some(pid), true) => format!("PID {pid} (probably {p})"),
        (Some(p), None, true) => format!("probably {p}"),
        (None, Some(pid), _) => format!("PID {pid}"),
        (None, None, _) => "unknown process".to_string(),
    };
    let tail = format!(
        "{} TIME_WAIT, {} of {}–{}",
        thousands(c.time_wait),
        percent(c.share),
        range.0,
        range.1
    );
    match c.side {
        Side::ClientToListener => format!("{who} listening on {} holds {tail}", c.port),
        Side::ServerSide => format!("{who} listening on {} holds server-side {tail}", c.port),
        Side::Remote => {
            let ep = c
                .endpoint
                .clone()
                .unwrap_or_else(|| format!("*:{}", c.port));
            let ep = match &c.remote_service {
                Some(svc) => format!("remote {ep} (probably {svc})"),
                None => format!("remote {ep}"),
            };
            if c.process.is_some() || c.pid.is_some() {
                format!("{who} connecting to {ep} holds {tail}")
            } else {
                format!("{ep} holds {tail}")
            }
        }
    }
}

/// A few readable lines per snapshot (capture times in RFC 3339 UTC).
pub fn render_text(report: &SocketsReport) -> String {
    render_text_with(report, &|t| {
        t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    })
}

/// [`render_text`] with capture times written by `when` (a report's display zone: one zone
/// for every time of a report).
pub fn render_text_with(
    report: &SocketsReport,
    when: &dyn Fn(chrono::DateTime<chrono::Utc>) -> String,
) -> String {
    let when_of = when;
    let mut out = String::new();
    for s in &report.snapshots {
        let when = match (s.time, s.time_source) {
            (Some(t), Some(src)) => format!(
                "{} from {}",
                when_of(t),
                match src {
                    TimeSource::File => "file",
                    TimeSource::Mtime => "mtime",
                }
            ),
            _ => "time unknown".to_string(),
        };
        let mut states: Vec<(&String, &usize)> = s.states.iter().collect();
        states.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let states: Vec<String> = states
            .iter()
            .take(4)
            .map(|(k, n)| format!("{k} {}", thousands(**n)))
            .collect();
        out.push_str(&format!(
            "{} ({}, {}): {} sockets; {}",
            s.path,
            s.kind.as_str(),
            when,
            thousands(s.rows),
            states.join(", ")
        ));
        if s.malformed_rows > 0 {
            out.push_str(&format!(
                " ({} malformed rows skipped)",
                thousands(s.malformed_rows)
            ));
        }
        out.push('\n');
        let (lo, hi) = s.ephemeral_range;
        out.push_str(&format!(
            "  ephemeral ports in use: {} of {lo}–{hi}; busiest destination {}\n",
            thousands(s.ephemeral_in_use),
            percent(s.ephemeral_in_use_ratio)
        ));
        for c in s.culprits.iter().take(3) {
            out.push_str("  culprit: ");
            out.push_str(&culprit_sentence(c, s.ephemeral_range));
            if c.loopback {
                out.push_str(" (loopback churn)");
            }
            // A remote culprit named after its one client already says who it is.
            let named_client = c.side == Side::Remote && c.process.is_some();
            if !c.clients.is_empty() && !named_client {
                out.push_str(&format!("; clients: {}", c.clients.join(", ")));
            }
            out.push('\n');
        }
    }
    for t in &report.process_tables {
        out.push_str(&format!(
            "{} ({}): {} processes\n",
            t.path,
            t.kind.as_str(),
            thousands(t.processes)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::sockets::culprit::round4;
    use crate::evidence::sockets::fixtures::*;
    use crate::evidence::sockets::{analyze, SocketConfig};
    use chrono::{TimeZone, Utc};

    #[test]
    fn culprit_sentence_style() {
        let c = Culprit {
            port: 1433,
            pid: Some(2468),
            process: Some("sqlservr.exe".into()),
            process_source: Some(ProcessSource::Tasklist),
            time_wait: 15_873,
            established: 3,
            share: round4(15_873.0 / 16_384.0),
            loopback: true,
            side: Side::ClientToListener,
            endpoint: None,
            remote_service: None,
            ephemeral_ports: 15_873,
            clients: vec![],
        };
        assert_eq!(
            culprit_sentence(&c, (49152, 65535)),
            "sqlservr.exe (PID 2468) listening on 1433 holds 15,873 TIME_WAIT, 97 % of 49152–65535"
        );
        let remote = Culprit {
            port: 6379,
            pid: None,
            process: None,
            process_source: None,
            remote_service: Some("Redis".into()),
            side: Side::Remote,
            endpoint: Some("10.0.0.7:6379".into()),
            time_wait: 1_200,
            share: 0.0425,
            ..c.clone()
        };
        assert_eq!(
            culprit_sentence(&remote, (32768, 60999)),
            "remote 10.0.0.7:6379 (probably Redis) holds 1,200 TIME_WAIT, 4 % of 32768–60999"
        );
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn render_and_json_shape() {
        let mut i = input("host/netstat-ano.txt", WIN_ANO);
        i.mtime = Some(Utc.with_ymd_and_hms(2019, 8, 21, 3, 47, 20).unwrap());
        let r = analyze(
            &[i, input("host/tasklist.txt", TASKLIST)],
            &SocketConfig::default(),
            zone(8),
        );
        let text = render_text(&r);
        assert!(text.starts_with(
            "host/netstat-ano.txt (netstat-windows, 2019-08-21T03:47:20Z from mtime): 8 sockets; "
        ));
        assert!(text.contains(
            "  culprit: sqlservr.exe (PID 2468) listening on 1433 holds 2 TIME_WAIT, <1 % of 49152–65535 (loopback churn)"
        ));
        assert!(text.contains("host/tasklist.txt (tasklist): 4 processes"));

        let v = serde_json::to_value(&r).unwrap();
        let s = &v["snapshots"][0];
        for key in [
            "path",
            "time",
            "time_source",
            "kind",
            "states",
            "ephemeral_range",
            "ephemeral_in_use_ratio",
            "culprits",
            "rows",
            "malformed_rows",
            "top_remote_endpoints",
        ] {
            assert!(s.get(key).is_some(), "missing {key}");
        }
        assert_eq!(s["time"], "2019-08-21T03:47:20Z");
        assert_eq!(s["time_source"], "mtime");
        assert_eq!(s["kind"], "netstat-windows");
        assert_eq!(s["ephemeral_range"], serde_json::json!([49152, 65535]));
        assert_eq!(s["states"]["TIME_WAIT"], 3);
        let c = &s["culprits"][0];
        for key in [
            "port",
            "pid",
            "process",
            "process_source",
            "time_wait",
            "established",
            "share",
            "loopback",
            "side",
        ] {
            assert!(c.get(key).is_some(), "missing culprit.{key}");
        }
        assert_eq!(c["side"], "client-to-listener");
        assert_eq!(c["process_source"], "tasklist");
        assert_eq!(v["process_tables"][0]["kind"], "tasklist");
        assert_eq!(
            serde_json::to_value(ProcessSource::WellKnownPort).unwrap(),
            "well-known-port"
        );
        assert_eq!(
            serde_json::to_value(ProcessSource::NetstatB).unwrap(),
            "netstat-b"
        );
        assert_eq!(serde_json::to_value(ProcessSource::SsP).unwrap(), "ss-p");
    }
}

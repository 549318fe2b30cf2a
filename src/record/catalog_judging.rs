//! The catalog's examples and issue 21's innocent lines judged as the scan judges them:
//! each line's level read by [`crate::record::level::line_level`], its context by
//! [`crate::record::context_fits`] (no access-log file, not a continuation line). Here,
//! above the catalog, because the judging reads records (the catalog's own tests need no
//! record code).

use crate::catalog::{compile_one, Catalog, Matcher, Reject, Severity, Signature};
use regex_automata::meta;

/// Issue 21's table, lines as logged.
const ISSUE_21_INNOCENT: &[(&str, &str)] = &[
    ("nginx-upstream-closed", r#"2020/06/01 08:53:59 [crit] 4312#2212: *6552 CreateFile() "C:\nginx/temp/proxy_temp/1/00/0000000001" failed (32: The process cannot access the file because it is being used by another process) while reading upstream, client: 127.0.0.1, server: localhost, request: "GET /files/a.zip HTTP/1.1", upstream: "http://127.0.0.1:8765/files/a.zip", host: "localhost""#),
    ("tcp-port-exhaustion-eaddrnotavail", "2024/03/02 09:14:11 [emerg] 1021#1021: bind() to 10.0.0.100:443 failed (99: Cannot assign requested address)"),
    ("tcp-port-exhaustion-eaddrinuse-connect", "crit: Microsoft.AspNetCore.Server.Kestrel[0] Unable to start Kestrel. System.IO.IOException: Failed to bind to address http://127.0.0.1:5000. ---> Microsoft.AspNetCore.Connections.AddressInUseException: Only one usage of each socket address (protocol/network address/port) is normally permitted."),
    ("tls-handshake-failed", "2024/03/02 09:14:11 [crit] 1021#1021: *88231 SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking, client: 45.155.205.233, server: 0.0.0.0:443"),
    ("dns-resolution-failed", "Mar  2 09:14:11 mail01 postfix/smtpd[2211]: warning: hostname 45-12-34-56.example.net does not resolve to address 45.12.34.56: Name or service not known"),
    ("no-route-to-host", "Mar  2 09:14:11 web01 ntpd[812]: sendto(2001:67c:1560:8003::c8) (fd=24): Network is unreachable"),
    ("db-server-connection-limit", "Mar  2 09:14:11 ftp01 pure-ftpd: (?@203.0.113.7) [INFO] Too many connections (3) from this IP"),
    ("k8s-container-restart", "default     2m          Warning   Unhealthy   pod/web-7d9f8b6c5-x2k4q   Readiness probe failed: HTTP probe failed with statuscode: 503"),
    ("sqlserver-errorlog-events", "2006-02-27 00:02:00.34 Logon       Error: 18456, Severity: 14, State: 8."),
];

/// A line judged alone as the scan judges it: its level by `record::level::line_level`,
/// its context from the line (no access-log file, not a continuation line).
fn judge_line(sig: &Signature, line: &str) -> std::result::Result<Severity, Reject> {
    let b = line.as_bytes();
    sig.judge(b, crate::record::level::line_level(b), |c| {
        crate::record::context_fits(c, b, false, false)
    })
}

/// [`Matcher::hits_on_line`] with the line's own level and context, as in `judge_line`.
fn line_hits(m: &Matcher, line: &str) -> Vec<(usize, Severity)> {
    let b = line.as_bytes();
    m.hits_on_line(b, crate::record::level::line_level(b), |c| {
        crate::record::context_fits(c, b, false, false)
    })
}

/// An entry's `event` pattern keeps the catalog severity whatever level word the rendered
/// record carries (an event id's level is its provider's, fixed), while its text patterns
/// on the same kind of line are judged by the level as any line is.
#[test]
fn event_matches_are_not_judged_by_the_rendered_level() {
    let cat = Catalog::builtin().unwrap();
    let m = cat.compile().unwrap();
    let sig = cat
        .signatures
        .iter()
        .position(|s| s.event.is_some() && s.severity == Severity::Error)
        .expect("an error entry with an event");
    let ev = cat.signatures[sig].event.as_ref().unwrap();
    for level in ["WARNING", "INFO", "ERROR"] {
        let line = format!(
            "2024-05-14T09:12:01Z {level} {}[{}]: x",
            ev.provider, ev.ids[0]
        );
        let hits = line_hits(&m, &line);
        assert!(hits.contains(&(sig, Severity::Error)), "{line}: {hits:?}");
        let pattern = m
            .pattern_sig
            .iter()
            .rposition(|&s| s as usize == sig)
            .unwrap();
        assert!(!m.pattern_reads_level(pattern));
    }
    // A text pattern of an error entry on a WARNING line is lowered, on an INFO line refused.
    let text = cat
        .signatures
        .iter()
        .position(|s| s.id == "connect-refused")
        .unwrap();
    let line = "2024-05-14T09:12:01Z WARNING app: java.net.ConnectException: Connection refused";
    assert!(
        line_hits(&m, line).contains(&(text, Severity::Warning)),
        "{line}"
    );
    let line = "2024-05-14T09:12:01Z INFO app: java.net.ConnectException: Connection refused";
    assert!(!line_hits(&m, line).iter().any(|h| h.0 == text), "{line}");
}

#[test]
fn every_example_behaves() {
    // Each entry's positive examples must be matched by that entry's patterns and be
    // hits (its `unless`/`level`/`context` and the level rule of its severity, the
    // line's level read as the scan reads it); negative examples must not be, unless
    // the rules reject them (then they are precision rules at work).
    let cat = Catalog::builtin().unwrap();
    let m = cat.compile().unwrap();
    let mut problems = Vec::new();
    for sig in &cat.signatures {
        assert!(
            sig.examples.matching.len() >= 2 && sig.examples.no_match.len() >= 2,
            "{} needs >= 2 match and >= 2 no_match examples",
            sig.id
        );
        assert!(!sig.refs.is_empty(), "{} has no ref", sig.id);
        let own = |ex: &str| {
            sig.patterns.iter().any(|p| {
                let h = compile_one(p, true).unwrap();
                meta::Regex::builder()
                    .build_from_hir(&h)
                    .unwrap()
                    .is_match(ex.as_bytes())
            })
        };
        for ex in &sig.examples.matching {
            // Overlapping signatures may claim the leftmost match; check by the entry's
            // own patterns as well as the combined automaton.
            if !own(ex) {
                problems.push(format!("{}: example does not match: {ex}", sig.id));
            } else if let Err(why) = judge_line(sig, ex) {
                problems.push(format!(
                    "{}: example rejected by its own rules ({}): {ex}",
                    sig.id,
                    why.as_str()
                ));
            }
        }
        for ex in &sig.examples.no_match {
            if own(ex) && judge_line(sig, ex).is_ok() {
                problems.push(format!("{}: near miss matches: {ex}", sig.id));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(!m.regex.is_match(b"no error here".as_slice()));
}

/// Issue 21's innocent lines: each fooled one entry; with the entry's patterns, `unless`
/// and `level` applied (and through the combined automaton) it no longer fires.
#[test]
fn issue_21_innocent_lines_do_not_fire() {
    let cat = Catalog::builtin().unwrap();
    let m = cat.compile().unwrap();
    for (id, line) in ISSUE_21_INNOCENT {
        let i = cat.index_of(id).unwrap_or_else(|| panic!("no entry {id}"));
        let sig = &cat.signatures[i];
        let own = sig.patterns.iter().any(|p| {
            let h = compile_one(p, true).unwrap();
            meta::Regex::builder()
                .build_from_hir(&h)
                .unwrap()
                .is_match(line.as_bytes())
        });
        assert!(
            !(own && judge_line(sig, line).is_ok()),
            "{id} still fires on {line}"
        );
        for (s, sev) in line_hits(&m, line) {
            assert!(s != i, "{id} still fires (combined automaton) on {line}");
            assert!(
                !sev.opens_incident() || cat.signatures[s].noise,
                "{} fires at {sev:?} on {line}",
                cat.signatures[s].id
            );
        }
        assert!(
            sig.examples.no_match.iter().any(|n| n == line),
            "{id}: the innocent line is not among its no_match examples: {line}"
        );
    }
}

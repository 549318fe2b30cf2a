//! Sniffing: is a file a socket or process dump, and of which kind? By content, never by
//! file name.
//!
//! Input: the first bytes of a file ([`may_be_dump`], a cheap gate the scan calls on every
//! file) or its decoded text ([`sniff`]). Output: yes/no, or the [`DumpKind`].
//!
//! Tricky cases: ordinary logs mention `TIME_WAIT`/`LISTENING` too. [`sniff`] therefore
//! demands that most sampled lines parse as rows of one format; headers, titles and
//! timestamp lines are neutral, so a log with a pasted row or two is not claimed.

use std::sync::OnceLock;

use super::classify::Classifier;
use super::row::{strip_bom, Line};
use super::{DumpKind, ALL_KINDS};

/// How many non-empty lines [`sniff`] looks at.
const SNIFF_LINES: usize = 50;

/// Cheap gate before [`sniff`]: can the first bytes of a file be a socket or process dump
/// at all? Every dump this module reads has a header word or a state word among these in
/// its first lines. `scan` calls this on every file (100,000 small logs must not each pay
/// for a full classification).
pub fn may_be_dump(head: &[u8]) -> bool {
    const TOKENS: [&[u8]; 11] = [
        b"PID",
        b"LISTEN",
        b"ESTAB",
        b"TIME_WAIT",
        b"TIME-WAIT",
        b"Recv-Q",
        b"Proto",
        b"Image Name",
        "ABHÖREN".as_bytes(),
        "ÉCOUTE".as_bytes(),
        b"ESCUCHANDO",
    ];
    // One automaton for all tokens, built once: `memmem::find` built a searcher per token per
    // call, and then 11 separate searches ran over the head. On the 100,000-file bench
    // corpus that was 2.9% of the scan's CPU; a literal alternation is one (Teddy) pass.
    static ANY: OnceLock<regex::bytes::Regex> = OnceLock::new();
    let any = ANY.get_or_init(|| {
        let alternation = TOKENS
            .iter()
            .map(|t| regex::escape(std::str::from_utf8(t).expect("tokens are UTF-8")))
            .collect::<Vec<_>>()
            .join("|");
        regex::bytes::Regex::new(&alternation).expect("literal alternation compiles")
    });
    let head = &head[..head.len().min(8192)];
    any.is_match(head)
}

/// Recognise a dump by content from its first ~50 non-empty lines. `None` for anything else,
/// in particular for logs that merely mention `TIME_WAIT`: most sampled lines (headers,
/// titles and timestamp lines aside) must parse as rows of one format.
pub fn sniff(text: &str) -> Option<DumpKind> {
    let sample: Vec<&str> = strip_bom(text)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(SNIFF_LINES)
        .collect();
    let mut best: Option<(usize, DumpKind)> = None;
    for kind in ALL_KINDS {
        let mut c = Classifier::new(kind);
        let (mut rows, mut bad, mut neutral) = (0usize, 0usize, 0usize);
        for &line in &sample {
            match c.classify(line) {
                Line::Sock(_) | Line::Udp | Line::Proc(..) => rows += 1,
                // netstat -b annotations ride on rows; they neither help nor hurt.
                Line::Image(_) | Line::Service(_) => {}
                Line::Neutral => neutral += 1,
                Line::Bad => bad += 1,
            }
        }
        // Rows must outnumber failures two to one and be at least a quarter of the
        // considered lines, so a log with a pasted row or two is not claimed.
        let considered = rows + bad + neutral;
        if rows == 0 || rows < 2 * bad || rows * 4 < considered {
            continue;
        }
        if best.is_none_or(|(r, _)| rows > r) {
            best = Some((rows, kind));
        }
    }
    best.map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::sockets::fixtures::*;
    use crate::evidence::sockets::{analyze, SocketConfig};

    #[test]
    fn sniff_rejects_ordinary_logs() {
        let logback = "2019-08-21 11:47:20.123  WARN 1234 --- [main] c.e.Gateway : 15000 sockets in TIME_WAIT\n2019-08-21 11:47:21.456 ERROR 1234 --- [nio-8080-exec-1] o.a.c.c.C.[.[.[/].[dispatcherServlet] : Servlet.service() threw exception\njava.net.SocketException: No buffer space available (maximum connections reached?): connect\n\tat java.net.DualStackPlainSocketImpl.connect0(Native Method)\n\tat java.net.DualStackPlainSocketImpl.socketConnect(DualStackPlainSocketImpl.java:79)\n2019-08-21 11:47:22.000  INFO 1234 --- [main] c.e.Gateway : port 1433 LISTENING, TCP 127.0.0.1:50001 127.0.0.1:1433 TIME_WAIT 0\n";
        assert_eq!(sniff(logback), None);
        let nginx = "10.0.0.1 - - [21/Aug/2019:11:47:20 +0800] \"GET /api/login HTTP/1.1\" 502 166 \"-\" \"okhttp/3.12.0\"\n10.0.0.2 - - [21/Aug/2019:11:47:21 +0800] \"GET /static/app.js HTTP/1.1\" 200 612 \"-\" \"Mozilla/5.0\"\n";
        assert_eq!(sniff(nginx), None);
        assert_eq!(sniff(""), None);
        assert_eq!(sniff("\u{feff}\r\n\r\n"), None);
        // A log with one netstat row pasted in among many log lines is still a log.
        let mixed = format!("{logback}{logback}  TCP    127.0.0.1:50001        127.0.0.1:1433         TIME_WAIT       0\n");
        assert_eq!(sniff(&mixed), None);
        let report = analyze(
            &[input("app.log", logback)],
            &SocketConfig::default(),
            zone(8),
        );
        assert!(report.snapshots.is_empty() && report.process_tables.is_empty());
    }
}

//! Where a signature match sits: the catalog's `context` rule
//! ([`crate::catalog::MatchContext`]) read from the record.
//!
//! Input: the matched line, whether its file was detected as an access log, and whether the
//! line is a continuation line of its record. Output: whether the match counts. Asked per hit,
//! and only for an entry that has a `context`.
//!
//! - `access-log`: an HTTP status pattern (`" 503 1234`) means a failed request only on a
//!   request line. The file is an access log (its stamps are CLF or IIS W3C), or the line
//!   itself holds a quoted HTTP request (`"GET /x HTTP/1.1"`): nginx, Apache, Envoy,
//!   Traefik and HAProxy request lines wrapped in syslog, journald or a container log.
//!   An application line that quotes a status (`upstream said "busy" 503 1200ms`) is not.
//! - `stack-trace`: inside a stack trace: a continuation line of a record (`\tat ...`,
//!   `Caused by: ...`), or a line that names an exception itself (`Caused by:`, `Suppressed:`,
//!   `Exception in thread`, `java.net.ConnectException: ...`).
//!
//! And whose level governs a match ([`match_level`]): the record's head names the level of
//! its own line and of its stack trace, not of every line that follows it without a stamp.

use crate::catalog::{MatchContext, RecordLevel};

/// Whether a match on `line` sits in `context`. `access_file`: the file was detected as an
/// access log; `continuation`: the line is not its record's head line.
pub fn context_fits(
    context: MatchContext,
    line: &[u8],
    access_file: bool,
    continuation: bool,
) -> bool {
    match context {
        MatchContext::AccessLog => access_file || holds_request(line),
        MatchContext::StackTrace => continuation || crate::record::exception_class(line).is_some(),
    }
}

/// The level that governs a match on `line` (for the catalog's `level` rule and the severity
/// lowered on a WARN or INFO record), given the level its record's head names.
///
/// On the head line: the head's level. On a continuation line: the head's level only for a
/// WARN-or-higher record and a line of its stack trace ([`trace_line`]): a logger's
/// `warn("retrying", e)` writes the exception under the WARN head, and the retried failure
/// is the warning. Any other line without a stamp of its own (after an INFO line, or not
/// trace-shaped) is judged without a level: text that follows an INFO line is far more
/// often another writer's output (a Go `panic:`, Node's `FATAL ERROR: ... heap out of
/// memory`, a JVM `Exception in thread "main"`, Python's uncaught `Traceback`) than part of
/// the info message, and a crash must not be hidden by the line before it.
pub fn match_level(
    head: Option<RecordLevel>,
    continuation: bool,
    line: &[u8],
) -> Option<RecordLevel> {
    if !continuation {
        return head;
    }
    head.filter(|&l| l >= RecordLevel::Warning && trace_line(line))
}

/// Is the line part of a logged stack trace: a frame (`\tat ...`, `    at ...`, `... 12
/// more`), a `Caused by:`/`Suppressed:` or .NET ` ---> ` inner exception, or an exception
/// line (`java.net.ConnectException: ...`)? `Exception in thread "..."` is not: the JVM
/// prints it for an uncaught exception, outside any logger record.
pub fn trace_line(line: &[u8]) -> bool {
    let t = line.trim_ascii_start();
    if t.starts_with(b"Exception in thread ") {
        return false;
    }
    line.first() == Some(&b'\t')
        || t.starts_with(b"at ")
        || t.starts_with(b"... ")
        || t.starts_with(b"Caused by:")
        || t.starts_with(b"Suppressed:")
        || t.starts_with(b"---> ")
        || crate::record::exception_class(line).is_some()
}

/// Does the line hold a quoted HTTP request line: `"METHOD target HTTP/d`?
fn holds_request(line: &[u8]) -> bool {
    let finder = memchr::memmem::Finder::new(b" HTTP/");
    let mut from = 0;
    while let Some(i) = finder.find(&line[from..]) {
        let at = from + i;
        // Back over the target to the method and the quote before it.
        let before = &line[..at];
        if let Some(sp) = memchr::memrchr(b' ', before) {
            let method_start = memchr::memrchr(b'"', &before[..sp]).map(|q| q + 1);
            if let Some(ms) = method_start {
                let method = &before[ms..sp];
                if !method.is_empty()
                    && method.len() <= 16
                    && method.iter().all(|c| c.is_ascii_uppercase())
                    && line[at + 6..].first().is_some_and(u8::is_ascii_digit)
                {
                    return true;
                }
            }
        }
        from = at + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_log_context() {
        let ctx = MatchContext::AccessLog;
        for line in [
            r#"10.0.0.9 - - [21/Aug/2019:08:00:01 +0000] "GET /api/orders HTTP/1.1" 502 157 "-" "curl/8""#,
            r#"Mar  2 09:14:11 lb01 haproxy[812]: 10.0.0.9:51234 [02/Mar/2024:09:14:11.120] fe be/<NOSRV> 0/-1/-1/-1/0 503 217 - - SC-- 1/1/0/0/0 0/0 "POST /pay HTTP/1.1""#,
            r#"[2024-03-02T09:14:11.123Z] "GET /x HTTP/2" 503 UF 0 91 3 - "10.0.0.9" "curl/8" "id" "x" "10.1.1.1:80""#,
        ] {
            assert!(context_fits(ctx, line.as_bytes(), false, false), "{line}");
        }
        for line in [
            r#"2024-03-02 09:14:11 WARN upstream said "busy" 503 1200ms"#,
            r#"request "GET /x" 503 12"#,
            r#"{"status": 503, "path": "/x"}"#,
        ] {
            assert!(!context_fits(ctx, line.as_bytes(), false, false), "{line}");
            assert!(context_fits(ctx, line.as_bytes(), true, false), "{line}");
        }
    }

    #[test]
    fn the_head_level_governs_its_line_and_its_trace() {
        use RecordLevel::*;
        let warn = Some(Warning);
        assert_eq!(match_level(warn, false, b"2024 WARN x retrying"), warn);
        for line in [
            "java.net.ConnectException: Connection refused",
            "Caused by: java.net.ConnectException: Connection refused",
            "\tat a.b.C.d(C.java:1)",
            "       ---> System.Net.Sockets.SocketException (111): Connection refused",
        ] {
            assert_eq!(match_level(warn, true, line.as_bytes()), warn, "{line}");
            assert_eq!(match_level(Some(Error), true, line.as_bytes()), Some(Error));
            // An INFO line does not lower what follows it.
            assert_eq!(
                match_level(Some(Info), true, line.as_bytes()),
                None,
                "{line}"
            );
        }
        for line in [
            "panic: runtime error: invalid memory address or nil pointer dereference",
            "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
            "Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space",
        ] {
            assert_eq!(match_level(warn, true, line.as_bytes()), None, "{line}");
            assert_eq!(
                match_level(Some(Info), true, line.as_bytes()),
                None,
                "{line}"
            );
        }
        assert_eq!(match_level(None, true, b"\tat a.b.C.d(C.java:1)"), None);
    }

    #[test]
    fn stack_trace_context() {
        let ctx = MatchContext::StackTrace;
        assert!(context_fits(ctx, b"\tat a.b.C.d(C.java:1)", false, true));
        assert!(context_fits(
            ctx,
            b"Caused by: java.net.ConnectException: Connection refused",
            false,
            false
        ));
        assert!(context_fits(
            ctx,
            b"java.net.SocketTimeoutException: Read timed out",
            false,
            false
        ));
        assert!(!context_fits(
            ctx,
            b"2024-03-02 09:14:11 INFO retrying: Read timed out",
            false,
            false
        ));
    }
}

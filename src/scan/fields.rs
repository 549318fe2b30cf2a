//! Signatures over the message fields of JSON lines, with JSON escapes undone.
//!
//! A JSON log writes a stack trace as one string: `"stack_trace":"java.net.ConnectException:
//! Connection refused\n\tat ...\nCaused by: ..."`. Matched as it stands, `\"` hides quotes,
//! `\u003c` hides `<`, and `Caused by:` is no line of its own. Here the message and exception
//! fields (`msg`, `message`, `@m`, `err.message`, `exception`, `stack_trace`, `err.stack`,
//! ... see `record::level`'s key lists) are unescaped into a scratch buffer, one line per
//! `\n`, and the catalog's automaton runs over that: a trace inside a JSON string is a record
//! with frames.
//!
//! Only for files whose sampled lines are mostly JSON objects, and only on lines that can
//! matter: candidates of the catalog's literal prefilter, and error-level records the raw
//! line matched nothing on. Fields without a backslash are skipped (the raw pass saw them
//! as they are). No second pass over every byte.

use crate::catalog::Matcher;
use crate::evidence::access::json::{self, Value};
use crate::record::level::{JSON_MESSAGE_KEYS, JSON_TRACE_KEYS};

/// Calls `f(signature, matched line of the unescaped text)` once per signature matched in
/// the unescaped message and exception fields of the JSON `line` (`skip`: a signature whose
/// matches are ignored). `scratch` is reused from call to call.
pub(super) fn field_matches(
    m: &Matcher,
    line: &[u8],
    skip: Option<u16>,
    scratch: &mut Vec<u8>,
    mut f: impl FnMut(u16, &[u8]),
) {
    scratch.clear();
    json::walk(line, |path, v| {
        if let Value::Str(raw, true) = v {
            let len = path.dotted_len();
            let wanted = JSON_MESSAGE_KEYS
                .iter()
                .chain(JSON_TRACE_KEYS)
                .any(|k| k.len() == len && path.is(k.as_bytes()));
            if wanted {
                json::unescape_into(raw, scratch);
                scratch.push(b'\n');
            }
        }
    });
    if scratch.is_empty() {
        return;
    }
    let mut seen: Vec<u16> = Vec::new();
    for hit in m.regex.find_iter(&scratch[..]) {
        let sig = m.pattern_sig[hit.pattern().as_usize()];
        if Some(sig) == skip || seen.contains(&sig) {
            continue;
        }
        seen.push(sig);
        let ls = crate::record::line_start(scratch, hit.start());
        let le = crate::record::line_end(scratch, ls);
        f(sig, crate::record::trim_cr(&scratch[ls..le]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn traces_inside_json_strings_match_line_by_line() {
        let cat = Catalog::builtin().unwrap();
        let m = cat.compile().unwrap();
        let line = br#"{"@timestamp":"2019-08-21T08:47:10Z","level":"ERROR","message":"call failed","stack_trace":"com.netflix.zuul.exception.ZuulException: Forwarding error\n\tat a.B.c(B.java:1)\nCaused by: java.net.SocketException: No buffer space available (maximum connections reached?): connect\n\t... 3 common frames omitted"}"#;
        let mut scratch = Vec::new();
        let mut got = Vec::new();
        field_matches(&m, line, None, &mut scratch, |sig, l| {
            got.push((
                cat.signatures[sig as usize].id.clone(),
                String::from_utf8_lossy(l).into_owned(),
            ))
        });
        assert!(
            got.iter().any(|(_, l)| l.starts_with("Caused by: java.net.SocketException: No buffer space")),
            "{got:?}"
        );
        // A field without escapes is left to the raw pass.
        let mut n = 0;
        field_matches(
            &m,
            br#"{"message":"Connection refused"}"#,
            None,
            &mut scratch,
            |_, _| n += 1,
        );
        assert_eq!(n, 0);
    }
}

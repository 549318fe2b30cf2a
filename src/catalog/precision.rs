//! The catalog's precision rules: when a match of an entry's pattern is a hit, and at
//! which severity (docs/catalog.md, "Precision rules").
//!
//! Input: a match (its signature and line), the level its record names and a way to ask
//! whether the match sits in a [`MatchContext`]. Output: the hit's severity, or why it is no
//! hit ([`Reject`]). The rules, cheapest first: the entry's `level`, the level rule of its
//! severity ([`Signature::severity_at`]: lowered on a WARN record, no hit on an INFO one
//! unless the entry's `logged_at` says the product logs the failure that low), its
//! `context`, its `unless` regexes. And the search that asks them ([`Matcher::search_line`]):
//! a refused match must not hide the matches behind it.
//!
//! Tricky cases: markers never change (an INFO `Started` line is their normal form); a
//! lower-priority pattern starting at the very byte of a refused match is not tried (the
//! automaton reports one match per start).

use super::{MatchContext, Matcher, Os, RecordLevel, Severity, Signature};
use regex_automata::meta;
use std::ops::Range;

impl Signature {
    /// The record level at which a hit keeps the catalog severity: the entry's `logged_at`,
    /// else `error` for critical and error entries and `warning` for warning entries;
    /// `None` for markers (a marker is context at any level: `Started Application` is an
    /// INFO line).
    pub fn expected_level(&self) -> Option<RecordLevel> {
        expected_level(self.severity, self.logged_at)
    }

    /// The severity of a hit of this entry in a record whose own level is `level` (`None`:
    /// the record names no level, as syslog, kernel and event-log lines do). The catalog's
    /// severity, lowered when the program that wrote the line judged it less severe:
    /// - no level, or a level at or above [`Signature::expected_level`]: the catalog's;
    /// - a WARN record below it: at most `warning` (the program recovered or retried; the
    ///   line is context for an incident, never its opener);
    /// - an INFO/DEBUG/TRACE/NOTICE record below it: `None`, not a hit (nginx logs the
    ///   TLS and reset errors clients cause at `[info]`; pure-ftpd its per-IP limit at
    ///   `[INFO]`). A product that logs a real failure that low says so in `logged_at`.
    ///
    /// Markers never change. One function for the scan and for every detector.
    pub fn severity_at(&self, level: Option<RecordLevel>) -> Option<Severity> {
        severity_for(self.severity, self.expected_level(), level)
    }

    /// Whether a host whose OS is `os` (`None`: unknown) can show this entry's failure: an
    /// entry pinned to an OS (`os`, its errno texts are that OS's) fits only that OS; an
    /// entry without one fits any host. For joining host dumps (a Linux `ss` dump is no
    /// evidence for WinSock's WSAENOBUFS).
    pub fn fits_os(&self, os: Option<Os>) -> bool {
        match (self.os, os) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }

    /// Whether a line one of this entry's patterns matched is a hit, and at which severity:
    /// see [`Matcher::judge`]. Compiles the `unless` regexes on every call: for tests and
    /// one-off checks; the scan uses [`Matcher::judge`].
    pub fn judge(
        &self,
        line: &[u8],
        level: Option<RecordLevel>,
        context_ok: impl FnOnce(MatchContext) -> bool,
    ) -> std::result::Result<Severity, Reject> {
        let guard = Guard {
            unless: compile_unless(&self.unless).unwrap_or(None),
            level: self.level,
            context: self.context,
            expected: self.expected_level(),
            severity: self.severity,
        };
        guard.judge(line, level, context_ok)
    }
}

/// Why a match of a signature's pattern is not a hit (counted per file, shown by `--debug`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reject {
    /// The record's level is below the entry's `level`.
    Level,
    /// The record is informational (INFO and the like) and the entry is not logged that
    /// low: [`Signature::severity_at`] is `None`.
    Informational,
    /// The match is outside the entry's `context`.
    Context,
    /// One of the entry's `unless` regexes matches the line.
    Unless,
}

impl Reject {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Reject::Level => "level",
            Reject::Informational => "informational",
            Reject::Context => "context",
            Reject::Unless => "unless",
        }
    }
}

fn expected_level(severity: Severity, logged_at: Option<RecordLevel>) -> Option<RecordLevel> {
    match severity {
        Severity::Marker => None,
        _ if logged_at.is_some() => logged_at,
        Severity::Critical | Severity::Error => Some(RecordLevel::Error),
        Severity::Warning => Some(RecordLevel::Warning),
    }
}

/// [`Signature::severity_at`] from its parts.
fn severity_for(
    severity: Severity,
    expected: Option<RecordLevel>,
    level: Option<RecordLevel>,
) -> Option<Severity> {
    match (expected, level) {
        (Some(expected), Some(level)) if level < expected => match level {
            // `max`: the less severe of the two (Severity sorts the most severe first).
            RecordLevel::Warning => Some(severity.max(Severity::Warning)),
            RecordLevel::Info => None,
            // Below `expected` but error or above: only a `logged_at: critical` entry on an
            // ERROR line; error is what the program said.
            RecordLevel::Error | RecordLevel::Critical => Some(severity.max(Severity::Error)),
        },
        _ => Some(severity),
    }
}

/// One regex for all of an entry's `unless` patterns (`None` when there are none).
pub(super) fn compile_unless(
    unless: &[String],
) -> std::result::Result<Option<meta::Regex>, String> {
    if unless.is_empty() {
        return Ok(None);
    }
    meta::Builder::new()
        .configure(meta::Config::new().utf8_empty(false))
        .syntax(regex_automata::util::syntax::Config::new().utf8(false))
        .build_many(unless)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// An entry's precision rules, compiled: what [`Matcher::judge`] applies to each match.
#[derive(Clone, Debug)]
pub(super) struct Guard {
    /// The `unless` regexes as one automaton.
    pub(super) unless: Option<meta::Regex>,
    /// `level`: the least record level a hit needs.
    pub(super) level: Option<RecordLevel>,
    /// `context`.
    pub(super) context: Option<MatchContext>,
    /// [`Signature::expected_level`].
    pub(super) expected: Option<RecordLevel>,
    /// The catalog severity.
    pub(super) severity: Severity,
}

impl Guard {
    /// Cheapest first: the level (one comparison), the context (a look at the line), the
    /// `unless` regexes (a search of the line) last.
    fn judge(
        &self,
        line: &[u8],
        level: Option<RecordLevel>,
        context_ok: impl FnOnce(MatchContext) -> bool,
    ) -> std::result::Result<Severity, Reject> {
        if let (Some(min), Some(level)) = (self.level, level) {
            if level < min {
                return Err(Reject::Level);
            }
        }
        let severity =
            severity_for(self.severity, self.expected, level).ok_or(Reject::Informational)?;
        if let Some(c) = self.context {
            if !context_ok(c) {
                return Err(Reject::Context);
            }
        }
        if self.unless.as_ref().is_some_and(|re| re.is_match(line)) {
            return Err(Reject::Unless);
        }
        Ok(severity)
    }
}

impl Matcher {
    /// Whether a match of signature `sig` (its index in the catalog) on `line` is a hit, and
    /// at which severity ([`Signature::severity_at`]). `level` is the record's own level
    /// (`None`: it names none); `context_ok` answers whether the match sits in a
    /// [`MatchContext`] and is asked only for an entry that has one. The rules, cheapest
    /// first: `level`, the severity's level rule, `context`, `unless`. All per hit: nothing
    /// here runs on lines without a match.
    pub fn judge(
        &self,
        sig: usize,
        line: &[u8],
        level: Option<RecordLevel>,
        context_ok: impl FnOnce(MatchContext) -> bool,
    ) -> std::result::Result<Severity, Reject> {
        self.guards[sig].judge(line, level, context_ok)
    }

    /// Whether [`Matcher::judge`] reads the record's level for `sig`: markers without a
    /// `level` rule are hits at any level, and their record's level need not be looked up.
    pub fn needs_level(&self, sig: usize) -> bool {
        let g = &self.guards[sig];
        g.level.is_some() || g.expected.is_some()
    }

    /// Whether a match of `pattern` is judged with its record's level (`false`: judge it
    /// with `None`, as a line that names no level). An entry's `event` pattern is not: an
    /// event id's level is fixed by its provider's manifest, not chosen per occurrence, so
    /// it says nothing about this one (Disk 51 "error ... during a paging operation" and
    /// Tcpip 4227 are always `Warning`; the entry's severity already weighed them), and an
    /// export that names no level (`Get-WinEvent | Format-List`) renders as `INFO`.
    pub fn pattern_reads_level(&self, pattern: usize) -> bool {
        !self.pattern_event[pattern] && self.needs_level(self.pattern_sig[pattern] as usize)
    }

    /// The leftmost-first matches of the automaton in `hay[line]` (one line, or its tail),
    /// in order, each reported as its pattern id to `f`, which answers whether it counts.
    ///
    /// A match `f` refuses (an `unless`, `level` or `context` rule) must not hide the
    /// matches behind it: the automaton resumes after a match's end, so a refused leftmost
    /// match would swallow a later signature's match that starts inside it. The search
    /// therefore goes on from the refused match's start + 1, and the refused signature's
    /// further matches on this line are refused without asking `f` (its rules read the
    /// line and the record, the same for every match on it). Accepted matches resume at
    /// their end, as `find_iter` does. A lower-priority pattern that starts at the very
    /// byte of a refused match is not tried (the automaton reports one match per start;
    /// family order puts the specific entry first, and no example or precision-corpus line
    /// has such a pair).
    ///
    /// Forward-only searches: the end of a match and its pattern suffice while matches
    /// count, so the reverse scan that finds a start runs only for a refused match.
    pub fn search_line(&self, hay: &[u8], line: Range<usize>, mut f: impl FnMut(usize) -> bool) {
        let input = |from: usize| regex_automata::Input::new(hay).range(from..line.end);
        let mut from = line.start;
        // Refused signatures of this line; empty (no allocation) on almost every line.
        let mut refused: Vec<u16> = Vec::new();
        while from <= line.end {
            let Some(hm) = self.regex.search_half(&input(from)) else {
                break;
            };
            let pattern = hm.pattern().as_usize();
            let sig = self.pattern_sig[pattern];
            if !refused.contains(&sig) && f(pattern) {
                from = if hm.offset() > from {
                    hm.offset()
                } else {
                    hm.offset() + 1
                };
                continue;
            }
            if !refused.contains(&sig) {
                refused.push(sig);
            }
            // The same search with its start this time: the refused match's start.
            let start = self
                .regex
                .search(&input(from))
                .map_or(hm.offset(), |m| m.start());
            from = start + 1;
        }
    }

    /// The hits one line gives, as the scan finds them ([`Matcher::search_line`] then
    /// [`Matcher::judge`]): each signature once, in match order, with its severity. For
    /// tests and tools that judge lines outside a scan; `level` and `context_ok` stand for
    /// the record the line belongs to.
    pub fn hits_on_line(
        &self,
        line: &[u8],
        level: Option<RecordLevel>,
        context_ok: impl Fn(MatchContext) -> bool,
    ) -> Vec<(usize, Severity)> {
        let mut out: Vec<(usize, Severity)> = Vec::new();
        self.search_line(line, 0..line.len(), |pattern| {
            let sig = self.pattern_sig[pattern] as usize;
            if out.iter().any(|&(s, _)| s == sig) {
                return true;
            }
            let level = level.filter(|_| !self.pattern_event[pattern]);
            match self.judge(sig, line, level, &context_ok) {
                Ok(sev) => {
                    out.push((sig, sev));
                    true
                }
                Err(_) => false,
            }
        });
        out
    }
}

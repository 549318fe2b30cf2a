//! The signature catalog: known outage messages as data, compiled into one multi-pattern
//! matcher.
//!
//! Input: the embedded family files `catalog/*.json` ([`BUILTIN_FILES`], schema
//! `faultscope-catalog/2`, concatenated in a fixed order; the first entries come from
//! `shared/reference/signatures.md`) plus any `--rules FILE` (JSON or TOML) that adds,
//! overrides (same id) or disables entries. Output: a [`Catalog`] (the entries) and a
//! [`Matcher`]: every pattern of every enabled entry in one `regex_automata::meta::Regex`
//! built with `new_many`, so one pass over a whole buffer finds all signatures and the
//! pattern id names the signature (scan-engine.md §4.1: a per-line loop costs 1.8x).
//!
//! Tricky cases:
//! - Patterns must never match a newline, or a match could straddle two records and chunk
//!   boundaries would change results (ripgrep's `strip.rs`/`ban.rs` do the same). We remove
//!   `\n` from every class in the parsed HIR (so `\s` and `[^"]` stay line-local) and turn a
//!   literal `\n` into "never matches".
//! - A bad rules file is an error naming the file, the entry and the reason (exit 2), never
//!   a silently smaller catalog.
//! - Regexes are compiled over bytes (`utf8(false)`): invalid UTF-8 in a log never stops a
//!   scan; Unicode classes simply do not match it.

pub mod prefilter;

use crate::error::{Error, Result};
use regex_automata::meta;
use regex_syntax::hir::{
    Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange, Hir, HirKind,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

/// Schema of the embedded family files.
pub const SCHEMA: &str = "faultscope-catalog/2";

/// The embedded catalog: one file per family (`{"schema", "family", "signatures"}`), in
/// the order their entries are loaded (pattern ids, and so which entry claims an
/// overlapping match, follow this order).
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "java-spring.json",
        include_str!("../../catalog/java-spring.json"),
    ),
    ("nginx.json", include_str!("../../catalog/nginx.json")),
    ("windows.json", include_str!("../../catalog/windows.json")),
    (
        "sqlserver.json",
        include_str!("../../catalog/sqlserver.json"),
    ),
    (
        "postgresql.json",
        include_str!("../../catalog/postgresql.json"),
    ),
    ("mysql.json", include_str!("../../catalog/mysql.json")),
    (
        "databases.json",
        include_str!("../../catalog/databases.json"),
    ),
    ("redis.json", include_str!("../../catalog/redis.json")),
    ("mongodb.json", include_str!("../../catalog/mongodb.json")),
    ("kafka.json", include_str!("../../catalog/kafka.json")),
    ("rabbitmq.json", include_str!("../../catalog/rabbitmq.json")),
    (
        "elasticsearch.json",
        include_str!("../../catalog/elasticsearch.json"),
    ),
    ("python.json", include_str!("../../catalog/python.json")),
    ("node.json", include_str!("../../catalog/node.json")),
    ("go.json", include_str!("../../catalog/go.json")),
    ("dotnet.json", include_str!("../../catalog/dotnet.json")),
    ("ruby-php.json", include_str!("../../catalog/ruby-php.json")),
    ("haproxy.json", include_str!("../../catalog/haproxy.json")),
    (
        "envoy-istio.json",
        include_str!("../../catalog/envoy-istio.json"),
    ),
    ("traefik.json", include_str!("../../catalog/traefik.json")),
    (
        "kubernetes.json",
        include_str!("../../catalog/kubernetes.json"),
    ),
    (
        "linux-systemd.json",
        include_str!("../../catalog/linux-systemd.json"),
    ),
    ("tls.json", include_str!("../../catalog/tls.json")),
    ("cloud.json", include_str!("../../catalog/cloud.json")),
    (
        "lifecycle.json",
        include_str!("../../catalog/lifecycle.json"),
    ),
    ("network.json", include_str!("../../catalog/network.json")),
    (
        "resources.json",
        include_str!("../../catalog/resources.json"),
    ),
];

/// How bad a signature is. Order matters: the most severe sorts first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// User requests are failing.
    Critical,
    /// Something failed.
    Error,
    /// Context: attaches to an incident, never opens one.
    Warning,
    /// Timeline context (restarts, config): never opens an incident.
    Marker,
}

impl Severity {
    /// Critical and error hits open incidents.
    pub fn opens_incident(self) -> bool {
        matches!(self, Severity::Critical | Severity::Error)
    }

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Marker => "marker",
        }
    }
}

/// Example lines every entry ships; a test runs them.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    /// Lines that must match.
    #[serde(default, rename = "match")]
    pub matching: Vec<String>,
    /// Near misses that must not match.
    #[serde(default)]
    pub no_match: Vec<String>,
}

/// What an entry means to the engine: the code asks these roles, never an entry's id, title
/// or category, so a `--rules` edit of free text cannot change root-cause logic (issue 18).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A service stopped, started or restarted: explains refusals of its callers.
    RestartMarker,
    /// Ephemeral port / socket exhaustion: a netstat/ss dump is evidence for it (names the
    /// process holding the ports).
    PortExhaustion,
    /// Users' requests failed (an access log's 5xx).
    UserImpact,
    /// A process died (OOM kill, segfault, JVM fatal error, unhandled exception exit).
    Crash,
    /// Affects every service on the host (disk full, kernel table overflow, OOM killer).
    HostWide,
    /// Failures caused by clients (scanners, bad passwords, client aborts).
    ClientNoise,
}

/// The OS an entry's text pins (errno texts differ between OSes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Os {
    /// Windows (WinSock / Win32 texts, event log).
    Windows,
    /// Linux (glibc errno texts, kernel).
    Linux,
    /// macOS.
    Macos,
}

/// A record's level, as far as signatures care; ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordLevel {
    /// INFO, NOTICE, DEBUG, TRACE (and PostgreSQL `LOG:`).
    Info,
    /// WARN, WARNING.
    Warning,
    /// ERROR, SEVERE.
    Error,
    /// CRITICAL, FATAL, `[crit]`, `[alert]`, `[emerg]`.
    Critical,
}

/// Where a match must sit to count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchContext {
    /// On an access-log line (CLF / combined and similar).
    AccessLog,
    /// Inside a stack trace (exception line or `Caused by:`).
    StackTrace,
}

/// A Windows event-log entry by provider and event ids (matched besides the text).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventMatch {
    /// Provider (source) name, e.g. `Microsoft-Windows-Tcpip` or `Tcpip`.
    pub provider: String,
    /// Event ids.
    pub ids: Vec<u32>,
}

/// One catalog entry.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// Stable kebab-case id (`tcp-port-exhaustion-wsaenobufs`).
    pub id: String,
    /// Short human title.
    pub title: String,
    /// Category (`port-exhaustion`, `gateway-retry-exhausted`, ...).
    pub category: String,
    /// Severity.
    pub severity: Severity,
    /// Rank in the causal chains of signatures.md §11: 0 host/kernel ... 8 user-facing.
    /// `None` for markers.
    #[serde(default)]
    pub layer: Option<u8>,
    /// Regexes (Rust `regex` syntax, line-local).
    pub patterns: Vec<String>,
    /// What it means and usual causes.
    #[serde(default)]
    pub means: String,
    /// What to check next.
    #[serde(default)]
    pub next: Vec<String>,
    /// Red-herring candidate: fires at a steady background rate; never a root cause.
    #[serde(default)]
    pub noise: bool,
    /// Example lines.
    #[serde(default)]
    pub examples: Examples,
    /// Where the wording was verified (URLs or `owner/repo:path`).
    #[serde(default, rename = "ref")]
    pub refs: Vec<String>,
    /// Stacks the entry belongs to (lowercase: `java`, `python`, `nginx`, ...).
    #[serde(default)]
    pub stacks: Vec<String>,
    /// What the entry means to the engine (restart marker, port exhaustion, user impact...):
    /// the code asks roles, never ids, titles or categories.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// The OS the text pins, if any.
    #[serde(default)]
    pub os: Option<Os>,
    /// Minimum record level for a hit to count (`None`: any level).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<RecordLevel>,
    /// The level the product itself logs this failure at, when it is below the level the
    /// severity implies (php-fpm's `WARNING: server reached pm.max_children`, the kernel's
    /// `INFO: task ... blocked`): a record at this level keeps the catalog severity (see
    /// [`Signature::severity_at`]). `None`: `error` for critical/error entries, `warning`
    /// for warning entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logged_at: Option<RecordLevel>,
    /// Where the match must sit (`None`: anywhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<MatchContext>,
    /// Regexes: a matched line that also matches one of these is not a hit.
    #[serde(default)]
    pub unless: Vec<String>,
    /// Windows event-log provider and ids, for entries of the event log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventMatch>,
}

impl Signature {
    /// Layer used for ranking; markers and unknown layers sort last.
    pub fn rank(&self) -> u8 {
        self.layer.unwrap_or(u8::MAX)
    }

    /// Whether the entry has a role.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

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
fn compile_unless(unless: &[String]) -> std::result::Result<Option<meta::Regex>, String> {
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
struct Guard {
    /// The `unless` regexes as one automaton.
    unless: Option<meta::Regex>,
    /// `level`: the least record level a hit needs.
    level: Option<RecordLevel>,
    /// `context`.
    context: Option<MatchContext>,
    /// [`Signature::expected_level`].
    expected: Option<RecordLevel>,
    /// The catalog severity.
    severity: Severity,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    schema: String,
    family: String,
    signatures: Vec<serde_json::Value>,
}

/// A `--rules` entry: every field but `id` is optional; given fields replace the
/// built-in entry's (or define a new one), `disabled = true` removes the id.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    id: String,
    title: Option<String>,
    category: Option<String>,
    severity: Option<Severity>,
    layer: Option<u8>,
    patterns: Option<Vec<String>>,
    means: Option<String>,
    next: Option<Vec<String>>,
    noise: Option<bool>,
    examples: Option<Examples>,
    #[serde(rename = "ref")]
    refs: Option<Vec<String>>,
    stacks: Option<Vec<String>>,
    roles: Option<Vec<Role>>,
    os: Option<Os>,
    level: Option<RecordLevel>,
    logged_at: Option<RecordLevel>,
    context: Option<MatchContext>,
    unless: Option<Vec<String>>,
    event: Option<EventMatch>,
    #[serde(default)]
    disabled: bool,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    schema: Option<String>,
    /// Family name (a catalog file's; ignored).
    #[serde(default)]
    #[allow(dead_code)]
    family: Option<String>,
    #[serde(default, alias = "signature")]
    signatures: Vec<RuleEntry>,
    /// Ids to disable.
    #[serde(default)]
    disable: Vec<String>,
}

/// The enabled signatures, in a stable order (built-ins first, then added rules).
#[derive(Clone, Debug)]
pub struct Catalog {
    /// Entries.
    pub signatures: Vec<Signature>,
}

/// Compiled form of a catalog: one automaton; pattern id → signature index.
#[derive(Clone, Debug)]
pub struct Matcher {
    /// The multi-pattern regex.
    pub regex: meta::Regex,
    /// For each pattern id, the index of its signature in the catalog.
    pub pattern_sig: Vec<u16>,
    /// The patterns' HIR (the prefilter is built from them).
    hirs: Vec<Hir>,
    /// Per signature: its precision rules, compiled.
    guards: Vec<Guard>,
    /// Necessary literals of every pattern (src/prefilter.rs), or why there are none (then
    /// the automaton reads the whole buffer). Built once, from a sample of the input when
    /// [`Matcher::prepare`] runs first.
    prefilter:
        std::sync::OnceLock<std::result::Result<crate::catalog::prefilter::Prefilter, String>>,
}

impl Matcher {
    /// Builds the prefilter from a sample of the logs about to be scanned (their byte
    /// statistics pick rare literals); a no-op once it is built.
    pub fn prepare(&self, sample: &[u8]) {
        self.prefilter.get_or_init(|| {
            crate::catalog::prefilter::Prefilter::new(
                &self.hirs,
                &crate::catalog::prefilter::Model::from_sample(sample),
            )
        });
    }

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

    /// The prefilter (built without a sample if [`Matcher::prepare`] did not run), or why
    /// there is none.
    pub fn prefilter(&self) -> &std::result::Result<crate::catalog::prefilter::Prefilter, String> {
        self.prefilter.get_or_init(|| {
            crate::catalog::prefilter::Prefilter::new(
                &self.hirs,
                &crate::catalog::prefilter::Model::prior(),
            )
        })
    }
}

/// Compiled-regex size limit per catalog (the regex crate's default is 10 MiB per regex;
/// a rules file with a pathological pattern gets a clear error instead of minutes of
/// compile time).
pub const REGEX_SIZE_LIMIT: usize = 64 * 1024 * 1024;

impl Catalog {
    /// The embedded catalog: every family file of [`BUILTIN_FILES`], in order.
    pub fn builtin() -> Result<Catalog> {
        let mut signatures = Vec::new();
        for (name, text) in BUILTIN_FILES {
            signatures.extend(Self::parse_family(&format!("catalog/{name}"), text)?);
        }
        let mut seen = std::collections::BTreeSet::new();
        for s in &signatures {
            if !seen.insert(s.id.as_str()) {
                return Err(Error::Rules {
                    path: "<builtin catalog>".into(),
                    entry: Some(s.id.clone()),
                    reason: "duplicate id".into(),
                });
            }
        }
        Ok(Catalog { signatures })
    }

    /// Parses one family file (schema `faultscope-catalog/2`); an entry that does not
    /// deserialize (an unknown role, a missing field, a bad `unless` regex) is an error
    /// naming the file and the entry.
    pub fn parse_family(path: &str, text: &str) -> Result<Vec<Signature>> {
        let err = |entry: Option<String>, reason: String| Error::Rules {
            path: path.to_string(),
            entry,
            reason,
        };
        let file: CatalogFile = serde_json::from_str(text).map_err(|e| err(None, e.to_string()))?;
        if file.schema != SCHEMA {
            return Err(err(None, format!("unknown schema {}", file.schema)));
        }
        if file.family.is_empty() {
            return Err(err(None, "empty family name".into()));
        }
        let mut out = Vec::with_capacity(file.signatures.len());
        for v in file.signatures {
            let id = v.get("id").and_then(|x| x.as_str()).map(str::to_string);
            let sig: Signature =
                serde_json::from_value(v).map_err(|e| err(id.clone(), e.to_string()))?;
            if sig.level == Some(RecordLevel::Info) {
                return Err(err(id, "`level` must be warning, error or critical".into()));
            }
            compile_unless(&sig.unless).map_err(|e| err(id, format!("`unless`: {e}")))?;
            out.push(sig);
        }
        Ok(out)
    }

    /// Applies a rules file (JSON or TOML; told by extension, else by first byte).
    pub fn apply_rules_file(&mut self, path: &Path) -> Result<()> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::Rules {
            path: shown.clone(),
            entry: None,
            reason: format!("cannot read: {e}"),
        })?;
        let is_json = match path.extension().and_then(|e| e.to_str()) {
            Some("json") => true,
            Some("toml") => false,
            _ => text.trim_start().starts_with('{'),
        };
        let rules: RulesFile = if is_json {
            serde_json::from_str(&text).map_err(|e| Error::Rules {
                path: shown.clone(),
                entry: None,
                reason: e.to_string(),
            })?
        } else {
            toml::from_str(&text).map_err(|e| Error::Rules {
                path: shown.clone(),
                entry: None,
                reason: e.to_string(),
            })?
        };
        if let Some(s) = &rules.schema {
            if s != "faultscope-rules/1" && s != "faultscope-catalog/1" && s != SCHEMA {
                return Err(Error::Rules {
                    path: shown,
                    entry: None,
                    reason: format!("unknown schema `{s}` (expected faultscope-rules/1)"),
                });
            }
        }
        self.apply_rules(&shown, rules)
    }

    fn apply_rules(&mut self, path: &str, rules: RulesFile) -> Result<()> {
        let err = |entry: &str, reason: String| Error::Rules {
            path: path.to_string(),
            entry: Some(entry.to_string()),
            reason,
        };
        let mut seen = BTreeMap::new();
        for r in rules.signatures {
            if seen.insert(r.id.clone(), ()).is_some() {
                return Err(err(&r.id, "duplicate id in this rules file".into()));
            }
            if r.id.is_empty()
                || !r
                    .id
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.')
            {
                return Err(err(
                    &r.id,
                    "id must be non-empty and use letters, digits, '-', '_', '.'".into(),
                ));
            }
            let pos = self.signatures.iter().position(|s| s.id == r.id);
            if r.disabled {
                match pos {
                    Some(i) => {
                        self.signatures.remove(i);
                    }
                    None => return Err(err(&r.id, "cannot disable: no such signature".into())),
                }
                continue;
            }
            let mut sig = match pos {
                Some(i) => self.signatures[i].clone(),
                None => {
                    let patterns = r
                        .patterns
                        .clone()
                        .ok_or_else(|| err(&r.id, "a new signature needs `patterns`".into()))?;
                    Signature {
                        id: r.id.clone(),
                        title: r.id.clone(),
                        category: "custom".into(),
                        severity: Severity::Error,
                        layer: Some(4),
                        patterns,
                        means: String::new(),
                        next: Vec::new(),
                        noise: false,
                        examples: Examples::default(),
                        refs: Vec::new(),
                        stacks: Vec::new(),
                        roles: Vec::new(),
                        os: None,
                        level: None,
                        logged_at: None,
                        context: None,
                        unless: Vec::new(),
                        event: None,
                    }
                }
            };
            if let Some(v) = r.title {
                sig.title = v;
            }
            if let Some(v) = r.category {
                sig.category = v;
            }
            if let Some(v) = r.severity {
                sig.severity = v;
            }
            if let Some(v) = r.layer {
                if v > 8 {
                    return Err(err(&r.id, format!("layer {v} is out of range 0..=8")));
                }
                sig.layer = Some(v);
            }
            if let Some(v) = r.patterns {
                sig.patterns = v;
            }
            if let Some(v) = r.means {
                sig.means = v;
            }
            if let Some(v) = r.next {
                sig.next = v;
            }
            if let Some(v) = r.noise {
                sig.noise = v;
            }
            if let Some(v) = r.examples {
                sig.examples = v;
            }
            if let Some(v) = r.refs {
                sig.refs = v;
            }
            if let Some(v) = r.stacks {
                sig.stacks = v;
            }
            if let Some(v) = r.roles {
                sig.roles = v;
            }
            if r.os.is_some() {
                sig.os = r.os;
            }
            if r.level.is_some() {
                sig.level = r.level;
            }
            if r.logged_at.is_some() {
                sig.logged_at = r.logged_at;
            }
            if r.context.is_some() {
                sig.context = r.context;
            }
            if let Some(v) = r.unless {
                compile_unless(&v).map_err(|e| err(&r.id, format!("`unless`: {e}")))?;
                sig.unless = v;
            }
            if r.event.is_some() {
                sig.event = r.event;
            }
            if sig.patterns.is_empty() {
                return Err(err(&r.id, "no patterns".into()));
            }
            for p in &sig.patterns {
                compile_one(p, true)
                    .map_err(|reason| err(&r.id, format!("pattern `{p}`: {reason}")))?;
            }
            match pos {
                Some(i) => self.signatures[i] = sig,
                None => self.signatures.push(sig),
            }
        }
        for id in rules.disable {
            match self.signatures.iter().position(|s| s.id == id) {
                Some(i) => {
                    self.signatures.remove(i);
                }
                None => return Err(err(&id, "cannot disable: no such signature".into())),
            }
        }
        Ok(())
    }

    /// The entries of any of `stacks` and any of `categories` (an empty list: no filter),
    /// in catalog order, for `faultscope signatures --stack/--category`. Names compare
    /// case-insensitively. A name no entry has is an error naming the ones that exist (a
    /// typo must not print an empty list that reads as "nothing for this stack").
    pub fn select(
        &self,
        stacks: &[String],
        categories: &[String],
    ) -> std::result::Result<Vec<&Signature>, String> {
        let norm = |v: &[String]| -> Vec<String> {
            v.iter()
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let (stacks, categories) = (norm(stacks), norm(categories));
        let known_stacks: std::collections::BTreeSet<String> = self
            .signatures
            .iter()
            .flat_map(|s| s.stacks.iter().map(|x| x.to_ascii_lowercase()))
            .collect();
        let known_categories: std::collections::BTreeSet<String> = self
            .signatures
            .iter()
            .map(|s| s.category.to_ascii_lowercase())
            .collect();
        for (what, asked, known) in [
            ("stack", &stacks, &known_stacks),
            ("category", &categories, &known_categories),
        ] {
            if let Some(bad) = asked.iter().find(|a| !known.contains(*a)) {
                return Err(format!(
                    "no signature has {what} `{bad}`; known: {}",
                    known.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
        Ok(self
            .signatures
            .iter()
            .filter(|s| {
                stacks.is_empty()
                    || s.stacks
                        .iter()
                        .any(|x| stacks.contains(&x.to_ascii_lowercase()))
            })
            .filter(|s| {
                categories.is_empty() || categories.contains(&s.category.to_ascii_lowercase())
            })
            .collect())
    }

    /// Index of a signature by id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.signatures.iter().position(|s| s.id == id)
    }

    /// Compiles every pattern of every entry into one automaton.
    pub fn compile(&self) -> Result<Matcher> {
        let mut hirs = Vec::new();
        let mut pattern_sig = Vec::new();
        let mut guards = Vec::with_capacity(self.signatures.len());
        for (i, sig) in self.signatures.iter().enumerate() {
            let unless = compile_unless(&sig.unless).map_err(|reason| Error::Rules {
                path: "<catalog>".into(),
                entry: Some(sig.id.clone()),
                reason: format!("`unless`: {reason}"),
            })?;
            guards.push(Guard {
                unless,
                level: sig.level,
                context: sig.context,
                expected: sig.expected_level(),
                severity: sig.severity,
            });
            for p in &sig.patterns {
                let hir = compile_one(p, false).map_err(|reason| Error::Rules {
                    path: "<catalog>".into(),
                    entry: Some(sig.id.clone()),
                    reason: format!("pattern `{p}`: {reason}"),
                })?;
                hirs.push(hir);
                pattern_sig.push(i as u16);
            }
        }
        let regex = meta::Builder::new()
            .configure(
                meta::Config::new()
                    .nfa_size_limit(Some(REGEX_SIZE_LIMIT))
                    .onepass_size_limit(Some(REGEX_SIZE_LIMIT))
                    .hybrid_cache_capacity(4 * 1024 * 1024)
                    .utf8_empty(false),
            )
            .build_many_from_hir(&hirs)
            .map_err(|e| Error::Rules {
                path: "<catalog>".into(),
                entry: None,
                reason: format!("the combined catalog does not compile: {e}"),
            })?;
        Ok(Matcher {
            regex,
            pattern_sig,
            hirs,
            guards,
            prefilter: std::sync::OnceLock::new(),
        })
    }

    /// Patterns one per line, line-local, usable by `rg -f` / `grep -E -f`-style tools
    /// (rg reads Rust syntax; every pattern was checked to compile here).
    pub fn export_patterns(&self) -> String {
        let mut out = String::new();
        for sig in &self.signatures {
            for p in &sig.patterns {
                out.push_str(p);
                out.push('\n');
            }
        }
        out
    }
}

/// Parses one pattern into line-local HIR; with `check_size`, also compiles it alone to
/// report a pattern over the size limit by name (done for rules files; the built-in catalog
/// is checked by its tests, and skipping it keeps start-up fast).
fn compile_one(pattern: &str, check_size: bool) -> std::result::Result<Hir, String> {
    let hir = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .unicode(true)
        .build()
        .parse(pattern)
        .map_err(|e| {
            e.to_string()
                .lines()
                .last()
                .unwrap_or("invalid regex")
                .trim()
                .to_string()
        })?;
    let hir = strip_newlines(hir);
    if !check_size {
        return Ok(hir);
    }
    // Size check with the same engine the scan uses.
    meta::Builder::new()
        .configure(meta::Config::new().nfa_size_limit(Some(REGEX_SIZE_LIMIT / 8)))
        .build_from_hir(&hir)
        .map_err(|e| {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                src = s.source();
            }
            if e.size_limit().is_some() || msg.contains("size limit") {
                format!(
                    "regex is over the size limit ({} bytes compiled): {msg}",
                    REGEX_SIZE_LIMIT / 8
                )
            } else {
                msg
            }
        })?;
    Ok(hir)
}

/// Removes `\n` from every class and makes literal newlines unmatchable, so no pattern can
/// match across a line break (see the module docs).
fn strip_newlines(hir: Hir) -> Hir {
    match hir.into_kind() {
        HirKind::Literal(lit) => {
            if lit.0.contains(&b'\n') {
                Hir::fail()
            } else {
                Hir::literal(lit.0)
            }
        }
        HirKind::Class(Class::Unicode(mut c)) => {
            c.difference(&ClassUnicode::new([ClassUnicodeRange::new('\n', '\n')]));
            Hir::class(Class::Unicode(c))
        }
        HirKind::Class(Class::Bytes(mut c)) => {
            c.difference(&ClassBytes::new([ClassBytesRange::new(b'\n', b'\n')]));
            Hir::class(Class::Bytes(c))
        }
        HirKind::Repetition(mut rep) => {
            rep.sub = Box::new(strip_newlines(*rep.sub));
            Hir::repetition(rep)
        }
        HirKind::Capture(mut cap) => {
            cap.sub = Box::new(strip_newlines(*cap.sub));
            Hir::capture(cap)
        }
        HirKind::Concat(subs) => Hir::concat(subs.into_iter().map(strip_newlines).collect()),
        HirKind::Alternation(subs) => {
            Hir::alternation(subs.into_iter().map(strip_newlines).collect())
        }
        HirKind::Empty => Hir::empty(),
        HirKind::Look(l) => Hir::look(l),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(m: &Matcher, cat: &Catalog, line: &str) -> Vec<String> {
        let mut ids: Vec<String> = m
            .regex
            .find_iter(line.as_bytes())
            .map(|x| {
                cat.signatures[m.pattern_sig[x.pattern().as_usize()] as usize]
                    .id
                    .clone()
            })
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

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

    #[test]
    fn builtin_loads_and_compiles() {
        let cat = Catalog::builtin().unwrap();
        assert!(cat.signatures.len() >= 150, "{}", cat.signatures.len());
        cat.compile().unwrap();
    }

    /// The embedded list names every family file in `catalog/` (the data test reads the
    /// directory; this keeps both in step).
    #[test]
    fn builtin_files_are_the_catalog_directory() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json") && n != "cross_matches.json")
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = BUILTIN_FILES.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
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
        assert!(matches(&m, &cat, "no error here").is_empty());
    }

    #[test]
    fn unknown_role_is_an_error_naming_the_entry() {
        let text = r#"{"schema": "faultscope-catalog/2", "family": "x", "signatures": [
            {"id": "bad-role", "title": "t", "category": "c", "severity": "error", "layer": 3,
             "patterns": ["abc"], "roles": ["explodes"], "ref": ["x/y#1"]}]}"#;
        let e = Catalog::parse_family("catalog/x.json", text)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("bad-role") && e.contains("explodes") && e.contains("catalog/x.json"),
            "{e}"
        );
        let text = text
            .replace("explodes", "crash")
            .replace(r#""ref""#, r#""unless": ["(unclosed"], "ref""#);
        let e = Catalog::parse_family("catalog/x.json", &text)
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad-role") && e.contains("unless"), "{e}");
        let text = text.replace(r#""unless": ["(unclosed"], "#, r#""level": "info", "#);
        let e = Catalog::parse_family("catalog/x.json", &text)
            .unwrap_err()
            .to_string();
        assert!(e.contains("level"), "{e}");
        let ok = text.replace(
            r#""level": "info", "#,
            r#""level": "error", "os": "windows", "event": {"provider": "Tcpip", "ids": [4227]}, "#,
        );
        let sigs = Catalog::parse_family("catalog/x.json", &ok).unwrap();
        assert_eq!(sigs[0].roles, [Role::Crash]);
        assert_eq!(sigs[0].os, Some(Os::Windows));
        assert_eq!(sigs[0].event.as_ref().unwrap().ids, [4227]);
        let e = Catalog::parse_family("x", &ok.replace("/2", "/9")).unwrap_err();
        assert!(e.to_string().contains("schema"), "{e}");
    }

    #[test]
    fn judge_applies_the_precision_rules() {
        use RecordLevel::*;
        let mut sig = Catalog::builtin().unwrap().signatures[0].clone();
        sig.severity = Severity::Critical;
        sig.unless = vec![r"bind\(\) to".into()];
        sig.level = Some(Error);
        let any = |_: MatchContext| true;
        let line = b"connect() failed";
        assert_eq!(sig.judge(line, None, any), Ok(Severity::Critical));
        assert_eq!(sig.judge(line, Some(Critical), any), Ok(Severity::Critical));
        assert_eq!(sig.judge(line, Some(Error), any), Ok(Severity::Critical));
        assert_eq!(sig.judge(line, Some(Warning), any), Err(Reject::Level));
        assert_eq!(sig.judge(line, Some(Info), any), Err(Reject::Level));
        assert_eq!(
            sig.judge(b"bind() to 10.0.0.1:443 failed", None, any),
            Err(Reject::Unless)
        );
        // Without `level`, the severity's own level rule: lowered on WARN, none on INFO.
        sig.level = None;
        assert_eq!(sig.judge(line, Some(Warning), any), Ok(Severity::Warning));
        assert_eq!(sig.judge(line, Some(Info), any), Err(Reject::Informational));
        // A product that logs the failure at WARN (`logged_at`) keeps the severity there.
        sig.logged_at = Some(Warning);
        assert_eq!(sig.judge(line, Some(Warning), any), Ok(Severity::Critical));
        assert_eq!(sig.judge(line, Some(Info), any), Err(Reject::Informational));
        sig.logged_at = Some(Info);
        assert_eq!(sig.judge(line, Some(Info), any), Ok(Severity::Critical));
        // Context: asked only for an entry that has one.
        sig.context = Some(MatchContext::AccessLog);
        assert_eq!(sig.judge(line, None, |_| false), Err(Reject::Context));
        sig.context = None;
        assert_eq!(
            sig.judge(line, None, |_| panic!("no context to ask")),
            Ok(Severity::Critical)
        );
        // The compiled guard gives the same answers.
        sig.logged_at = None;
        sig.level = Some(Error);
        let cat = Catalog {
            signatures: vec![sig],
        };
        let m = cat.compile().unwrap();
        assert_eq!(m.judge(0, line, Some(Warning), any), Err(Reject::Level));
        assert_eq!(
            m.judge(0, b"[emerg] bind() to 10.0.0.1:443 failed", None, any),
            Err(Reject::Unless)
        );
        assert!(m.needs_level(0));
    }

    /// The severity rule, for every catalog severity and record level: never raised, a
    /// marker never changed, a WARN record caps at warning, an INFO record is no hit (unless
    /// the entry is logged that low), and a record without level keeps the catalog's.
    #[test]
    fn severity_is_lowered_by_the_record_level_never_raised() {
        use RecordLevel::*;
        let mut sig = Catalog::builtin().unwrap().signatures[0].clone();
        for sev in [
            Severity::Critical,
            Severity::Error,
            Severity::Warning,
            Severity::Marker,
        ] {
            for logged_at in [None, Some(Info), Some(Warning), Some(Error)] {
                sig.severity = sev;
                sig.logged_at = logged_at;
                assert_eq!(sig.severity_at(None), Some(sev));
                for level in [Info, Warning, Error, Critical] {
                    let got = sig.severity_at(Some(level));
                    if let Some(g) = got {
                        assert!(g >= sev, "{sev:?} raised to {g:?} on {level:?}");
                    }
                    if sev == Severity::Marker {
                        assert_eq!(got, Some(sev));
                    }
                    if level >= Error {
                        assert_eq!(got, Some(sev), "{sev:?} on an {level:?} record");
                    }
                    let expected = sig.expected_level();
                    if expected.is_some_and(|e| level < e) {
                        match level {
                            Warning => assert_eq!(got, Some(sev.max(Severity::Warning))),
                            Info => assert_eq!(got, None),
                            _ => {}
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn os_fits() {
        let mut sig = Catalog::builtin().unwrap().signatures[0].clone();
        sig.os = None;
        assert!(
            sig.fits_os(None) && sig.fits_os(Some(Os::Linux)) && sig.fits_os(Some(Os::Windows))
        );
        sig.os = Some(Os::Windows);
        assert!(sig.fits_os(None) && sig.fits_os(Some(Os::Windows)));
        assert!(!sig.fits_os(Some(Os::Linux)));
    }

    /// A refused match is searched past: the signature behind it still gets its hit, and the
    /// refused signature's further matches on the line are refused without being judged.
    #[test]
    fn a_refused_match_does_not_hide_the_next() {
        let text = r#"{"schema": "faultscope-catalog/2", "family": "x", "signatures": [
            {"id": "long", "title": "t", "category": "c", "severity": "error", "layer": 3,
             "patterns": ["alpha beta"], "unless": ["skip me"], "ref": ["x"]},
            {"id": "inner", "title": "t", "category": "c", "severity": "error", "layer": 3,
             "patterns": ["beta gamma"], "ref": ["x"]}]}"#;
        let cat = Catalog {
            signatures: Catalog::parse_family("x.json", text).unwrap(),
        };
        let m = cat.compile().unwrap();
        let ids = |line: &str| -> Vec<&str> {
            m.hits_on_line(line.as_bytes(), None, |_| true)
                .iter()
                .map(|&(s, _)| cat.signatures[s].id.as_str())
                .collect()
        };
        // Accepted: `long` claims `alpha beta`, hiding `beta gamma` (leftmost-first).
        assert_eq!(ids("alpha beta gamma"), ["long"]);
        // Refused by `unless`: the search resumes inside it and finds `inner`.
        assert_eq!(ids("skip me: alpha beta gamma"), ["inner"]);
        let mut judged = 0;
        m.search_line(b"alpha beta alpha beta", 0..21, |_| {
            judged += 1;
            false
        });
        assert_eq!(judged, 1, "a refused signature is judged once per line");
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

    /// Prefilter hygiene (scan-engine.md §4.6): every built-in pattern must start with a
    /// small, finite set of literals of at least 3 bytes. One pattern without (a leading
    /// class, `(?i)` expanding into hundreds of case variants, a lone `[`) turns the whole
    /// automaton's prefilter off and the scan runs the lazy DFA over every byte.
    #[test]
    fn builtin_patterns_have_literal_prefixes() {
        use regex_syntax::hir::literal::{ExtractKind, Extractor};
        let cat = Catalog::builtin().unwrap();
        for sig in &cat.signatures {
            for p in &sig.patterns {
                let hir = compile_one(p, true).unwrap();
                let mut seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
                seq.minimize_by_preference();
                let lits = seq
                    .literals()
                    .unwrap_or_else(|| panic!("{}: `{p}` has no literal prefix", sig.id));
                assert!(
                    lits.len() <= 16,
                    "{}: `{p}` expands to {} prefixes",
                    sig.id,
                    lits.len()
                );
                for l in lits {
                    assert!(l.len() >= 3, "{}: `{p}` has a short prefix {:?}", sig.id, l);
                }
            }
        }
    }

    #[test]
    fn patterns_are_line_local() {
        let h = compile_one(r"a\sb[^x]c", true).unwrap();
        let re = meta::Regex::builder().build_from_hir(&h).unwrap();
        assert!(re.is_match(b"a b-c"));
        assert!(!re.is_match(b"a\nb-c"));
        assert!(!re.is_match(b"a b\nc"));
        let h = compile_one(r"x\ny", true).unwrap();
        assert!(!meta::Regex::builder()
            .build_from_hir(&h)
            .unwrap()
            .is_match(b"x\ny"));
    }

    fn rules(text: &str, ext: &str) -> Result<Catalog> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(format!("rules.{ext}"));
        std::fs::write(&p, text).unwrap();
        let mut cat = Catalog::builtin().unwrap();
        cat.apply_rules_file(&p)?;
        Ok(cat)
    }

    #[test]
    fn rules_add_override_disable() {
        let n = Catalog::builtin().unwrap().signatures.len();
        let cat = rules(
            r#"
disable = ["nginx-static-file-missing"]

[[signatures]]
id = "ledger-lock"
patterns = ['LedgerLockException: ledger \d+ locked']
severity = "critical"
layer = 2

[[signatures]]
id = "connect-refused"
severity = "warning"
"#,
            "toml",
        )
        .unwrap();
        assert_eq!(cat.signatures.len(), n);
        let i = cat.index_of("connect-refused").unwrap();
        assert_eq!(cat.signatures[i].severity, Severity::Warning);
        assert!(cat.index_of("nginx-static-file-missing").is_none());
        let m = cat.compile().unwrap();
        assert_eq!(
            matches(&m, &cat, "x LedgerLockException: ledger 42 locked"),
            ["ledger-lock"]
        );
        let cat = rules(r#"{"signatures":[{"id":"x","patterns":["foo"]}]}"#, "json").unwrap();
        assert_eq!(cat.signatures.len(), n + 1);
    }

    #[test]
    fn bad_rules_name_file_entry_and_reason() {
        let e = rules(
            "[[signatures]]\nid = \"bad\"\npatterns = ['(unclosed']\n",
            "toml",
        )
        .unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("rules.toml") && s.contains("bad") && s.contains("unclosed"),
            "{s}"
        );
        let e = rules(
            "[[signatures]]\nid = \"x\"\npatterns = ['a']\ncolour = 'red'\n",
            "toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
        let e = rules("[[signatures]]\nid = \"x\"\npatterns=['a']\n[[signatures]]\nid = \"x\"\npatterns=['b']\n", "toml").unwrap_err();
        assert!(e.to_string().contains("duplicate"), "{e}");
        let e = rules(
            "[[signatures]]\nid = \"huge\"\npatterns = ['\\w{1000}\\w{1000}\\w{1000}']\n",
            "toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("size limit"), "{e}");
        let e = rules("disable = [\"no-such-id\"]\n", "toml").unwrap_err();
        assert!(e.to_string().contains("no-such-id"), "{e}");
        let e = rules(
            "[[signatures]]\nid = \"x\"\npatterns = ['a']\nroles = ['restarts']\n",
            "toml",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("restarts") && e.to_string().contains("restart-marker"),
            "an unknown role names itself and the roles that exist: {e}"
        );
    }

    #[test]
    fn roles_are_data_and_rules_can_set_them() {
        let cat = Catalog::builtin().unwrap();
        let with = |r: Role| -> Vec<&str> {
            cat.signatures
                .iter()
                .filter(|s| s.has_role(r))
                .map(|s| s.id.as_str())
                .collect()
        };
        assert!(with(Role::RestartMarker).contains(&"springboot-started"));
        assert!(with(Role::PortExhaustion).contains(&"tcp-port-exhaustion-wsaenobufs"));
        assert!(with(Role::UserImpact).contains(&"http-5xx-access-log"));
        let cat = rules(
            "[[signatures]]\nid = \"ledger-restart\"\nseverity = 'marker'\npatterns = ['Ledger restarted']\nroles = ['restart-marker']\n",
            "toml",
        )
        .unwrap();
        let i = cat.index_of("ledger-restart").unwrap();
        assert!(cat.signatures[i].has_role(Role::RestartMarker));
    }
}
